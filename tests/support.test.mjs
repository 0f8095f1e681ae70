// Self-tests of tests/support (the helpers the end-to-end tests rely on).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, serveStatic, startProcess } from "./support/index.mjs";

// Running and not a zombie (an orphan may wait a while for its reaper).
const alive = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
};

test("serveStatic: files, mounts, routes, headers, no path traversal", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kf-static-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, "a"));
  await mkdir(join(dir, "b"));
  await writeFile(join(dir, "a", "index.html"), "<p>a</p>");
  await writeFile(join(dir, "b", "x.wasm"), "wasm");
  await writeFile(join(dir, "secret.txt"), "no");
  const srv = await serveStatic(join(dir, "a"), {
    headers: { "x-test": "1" },
    mounts: { "/pkg/": join(dir, "b") },
    routes: { "/v2/config": () => ({ ok: true }) },
  });
  t.after(() => srv.close());
  assert.match(srv.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
  const home = await fetch(srv.url("/"));
  assert.equal(home.status, 200);
  assert.equal(home.headers.get("x-test"), "1");
  assert.equal(await home.text(), "<p>a</p>");
  const wasm = await fetch(srv.url("/pkg/x.wasm"));
  assert.equal(wasm.headers.get("content-type"), "application/wasm");
  assert.deepEqual(await (await fetch(srv.url("/v2/config"))).json(), { ok: true });
  assert.equal((await fetch(srv.url("/nope"))).status, 404);
  assert.notEqual((await fetch(srv.url("/%2e%2e/secret.txt"))).status, 200);
});

test("startProcess: waits for readyUrl, stop() kills the whole process group", async () => {
  const port = await freePort();
  // A parent that starts a grandchild HTTP server and then just waits.
  const script = `
    const { spawn } = require("node:child_process");
    const gc = spawn(process.execPath, ["-e", "require('http').createServer((q,s)=>s.end('ok')).listen(${port}, '127.0.0.1'); setInterval(()=>{}, 1000)"], { stdio: "inherit" });
    console.log("grandchild", gc.pid);
    setInterval(() => {}, 1000);`;
  const proc = await startProcess(process.execPath, ["-e", script], { readyUrl: `http://127.0.0.1:${port}/` });
  assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "ok");
  const gcPid = Number(/grandchild (\d+)/.exec(proc.logs())?.[1]);
  assert.ok(gcPid > 0 && alive(gcPid));
  await proc.stop();
  for (let i = 0; i < 50 && alive(gcPid); i++) await new Promise((ok) => setTimeout(ok, 20));
  assert.equal(alive(gcPid), false, "grandchild killed with the group");
});

test("startProcess: a process that exits before it is ready is reported with its output", async () => {
  const port = await freePort();
  await assert.rejects(
    startProcess(process.execPath, ["-e", "console.error('boom'); process.exit(3)"], { readyUrl: `http://127.0.0.1:${port}/`, readyTimeoutMs: 5_000 }),
    /exited before[\s\S]*boom/,
  );
});
