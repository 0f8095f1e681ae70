// bench/module-stamp.mjs: the bench rebuilds its signer module unless the
// wasm-opt passes finished on the current cargo output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchModuleCurrent } from "../bench/module-stamp.mjs";

test("the bench's module is current only once the passes finished on cargo's latest output", () => {
  const dir = mkdtempSync(join(tmpdir(), "keyframe-bench-stamp-"));
  try {
    const wasm = join(dir, "keyframe_signer.wasm");
    const done = join(dir, "wasm-opt.done");
    writeFileSync(wasm, "");
    utimesSync(wasm, 1_000, 1_000);
    // wasm-bindgen wrote the module, then the passes failed: no stamp.
    writeFileSync(join(dir, "keyframe_signer_bg.wasm"), "");
    assert.equal(benchModuleCurrent(wasm, done), false);
    writeFileSync(done, "");
    utimesSync(done, 2_000, 2_000);
    assert.equal(benchModuleCurrent(wasm, done), true);
    // cargo rebuilt the module after the last passes.
    utimesSync(wasm, 3_000, 3_000);
    assert.equal(benchModuleCurrent(wasm, done), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
