// Keeps `npm run bench` from rotting: runs bench/run.mjs with tiny counts
// against the release build and checks that results.json has every figure
// and every budget. It asserts nothing about time. The first run also builds
// the signer with its bench feature (target/wasm-bench), hence the timeout.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../scripts/stack.mjs";
import { FIGURES } from "../bench/figures.mjs";

test("the benchmark runs end to end and reports every figure", { timeout: 300_000 }, async () => {
  const out = await mkdtemp(join(tmpdir(), "keyframe-bench-smoke-"));
  try {
    const { code, output } = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, "bench", "run.mjs"), "--smoke", "--out", out], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, output }));
    });
    assert.equal(code, 0, output);
    const results = JSON.parse(await readFile(join(out, "results.json"), "utf8"));
    assert.equal(results.smoke, true);
    for (const key of ["cores", "cpu", "memoryGiB", "commit", "date"]) assert.ok(results.machine[key] !== undefined, `machine.${key}`);
    for (const key of Object.keys(FIGURES)) {
      const f = results.figures[key];
      assert.ok(f, `missing figure ${key}`);
      const v = f.median ?? f.value;
      assert.ok(Number.isFinite(v), `figure ${key} has no number: ${JSON.stringify(f)}`);
      if (f.ceiling) assert.ok(Number.isFinite(f.ceiling.value), `ceiling of ${key}`);
    }
    assert.equal(results.figures["load.sqlite.recover.errors"].value, 0, "the load test's requests failed");
    assert.equal(results.figures["load.postgres.recover.errors"].value, 0, "the load test's requests failed");
    assert.equal(results.figures["load.sqlite.recoverPolicy.errors"].value, 0, "the judged load's requests failed");
    assert.equal(results.figures["load.postgres.recoverPolicy.errors"].value, 0, "the judged load's requests failed");
    assert.ok(results.budgets.length >= 10);
    for (const b of results.budgets) assert.equal(typeof b.met, "boolean", `budget ${b.name} not evaluated`);
    const md = await readFile(join(out, "RESULTS.md"), "utf8");
    assert.match(md, /## Budgets/);
    // Issue 15's sections (bench/wasm-size.mjs, bench/peers.mjs): no installs in smoke.
    assert.equal(results.wasmSize?.skipped, "skipped in smoke");
    assert.equal(results.peers?.sizes?.skipped, "skipped in smoke");
    assert.match(md, /## Where the WASM's bytes go/);
    assert.match(md, /## Peers side by side/);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
