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
