// KEYFRAME_ALLOWED_ORIGINS parsing (scripts/origins.mjs): exact origins only.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseAllowedOrigins } from "../scripts/origins.mjs";

test("exact http(s) origins are accepted, trimmed and de-duplicated; blanks are skipped", () => {
  assert.deepEqual(parseAllowedOrigins(undefined), []);
  assert.deepEqual(parseAllowedOrigins(""), []);
  assert.deepEqual(parseAllowedOrigins(" , "), []);
  assert.deepEqual(
    parseAllowedOrigins(" http://127.0.0.1:5173 ,https://dapp.example,http://localhost:8080,http://[::1]:5173,http://127.0.0.1:5173,"),
    ["http://127.0.0.1:5173", "https://dapp.example", "http://localhost:8080", "http://[::1]:5173"],
  );
});

test("anything but an exact origin is refused, each bad entry named with the reason", () => {
  const cases = [
    ["*", /wildcards are not allowed/],
    ["https://*.example.com", /wildcards are not allowed/],
    ["null", /cannot be allowed; serve the page over http/],
    ["127.0.0.1:5173", /not a URL|scheme must be http/],
    ["localhost", /not a URL/],
    ["ftp://files.example", /scheme must be http or https/],
    ["file:///home/dev/index.html", /scheme must be http or https/],
    ["http://127.0.0.1:5173/", /did you mean http:\/\/127\.0\.0\.1:5173\?/],
    ["http://127.0.0.1:5173/app", /did you mean http:\/\/127\.0\.0\.1:5173\?/],
    ["http://127.0.0.1:5173?x=1", /did you mean/],
    ["HTTP://LOCALHOST:5173", /did you mean http:\/\/localhost:5173\?/],
    ["http://localhost:80", /did you mean http:\/\/localhost\?/],
    ["https://user:pw@dapp.example", /no user name or password/],
  ];
  for (const [entry, why] of cases) {
    assert.throws(
      () => parseAllowedOrigins(`http://127.0.0.1:3001,${entry}`),
      (err) => {
        assert.match(err.message, /^KEYFRAME_ALLOWED_ORIGINS must be a comma-separated list of exact origins/);
        assert.ok(err.message.includes(`"${entry}": `), err.message);
        assert.ok(!err.message.includes('"http://127.0.0.1:3001"'), "good entries are not blamed");
        assert.match(err.message, why);
        return true;
      },
      entry,
    );
  }
  // Every bad entry at once, not only the first.
  assert.throws(() => parseAllowedOrigins("*,null"), (err) => err.message.includes('"*"') && err.message.includes('"null"'));
});

test("npm start checks the variable first, before installing or building anything", async () => {
  const { spawnSync } = await import("node:child_process");
  const { readFileSync } = await import("node:fs");
  const root = new URL("..", import.meta.url);
  const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8"));
  assert.match(pkg.scripts.start, /^node scripts\/origins\.mjs && /);
  const run = (value) =>
    spawnSync(process.execPath, ["scripts/origins.mjs"], { cwd: root, env: { ...process.env, KEYFRAME_ALLOWED_ORIGINS: value }, encoding: "utf8" });
  const bad = run("http://127.0.0.1:5173/");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /KEYFRAME_ALLOWED_ORIGINS must be .*\n.*"http:\/\/127\.0\.0\.1:5173\/": not an exact origin; did you mean http:\/\/127\.0\.0\.1:5173\?/);
  const good = run("http://127.0.0.1:5173");
  assert.equal(good.status, 0, good.stderr);
});
