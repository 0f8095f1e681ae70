// scripts/check-vendor.mjs, the proof that each crate under vendor/ is the
// one crates.io published plus its patch, run on scratch copies of vendor/
// (KEYFRAME_VENDOR_DIR): the copy as committed passes, and every way of
// slipping in a change without its patch, or a patch without its change,
// fails and names what is wrong.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const SCRIPT = join(ROOT, "scripts", "check-vendor.mjs");
// The one line vendor/k256.patch changes, and a file it does not touch.
const PATCHED = join("k256", "src", "arithmetic", "field", "field_5x52.rs");
const UNTOUCHED = join("k256", "src", "lib.rs");

/** Runs the check on a copy of vendor/ after `tamper(copy)`. */
function checkCopy(tamper) {
  const copy = mkdtempSync(join(tmpdir(), "keyframe-vendor-test-"));
  try {
    cpSync(join(ROOT, "vendor"), copy, { recursive: true });
    tamper(copy);
    const run = spawnSync(process.execPath, [SCRIPT], {
      env: { ...process.env, KEYFRAME_VENDOR_DIR: copy },
      encoding: "utf8",
    });
    return { status: run.status, output: run.stdout + run.stderr };
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

function assertRefused(result, why) {
  assert.equal(result.status, 1, result.output);
  assert.match(result.output, why);
}

test("the vendored crates as committed are the published ones with their patches", () => {
  const result = checkCopy(() => {});
  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /k256 0\.14\.0 as published \(SHA-256 93f50113171a713f…\) with vendor\/k256\.patch/);
});

test("a byte changed in a vendored file without its patch is refused", () => {
  const result = checkCopy((copy) => {
    const file = join(copy, UNTOUCHED);
    const bytes = readFileSync(file);
    bytes[bytes.length - 2] ^= 0x01;
    writeFileSync(file, bytes);
  });
  assertRefused(result, /differs from the published crate with its patch: src\/lib\.rs/);
});

test("a file added to a vendored crate is refused", () => {
  const result = checkCopy((copy) => writeFileSync(join(copy, "k256", "src", "extra.rs"), "pub fn x() {}\n"));
  assertRefused(result, /not in the published crate: src\/extra\.rs/);
});

test("a file deleted from a vendored crate is refused", () => {
  const result = checkCopy((copy) => unlinkSync(join(copy, "k256", "src", "ecdsa.rs")));
  assertRefused(result, /missing: src\/ecdsa\.rs/);
});

test("the patch kept but its change undone in the crate is refused", () => {
  const result = checkCopy((copy) => {
    const file = join(copy, PATCHED);
    const text = readFileSync(file, "utf8");
    assert.ok(text.includes("#[inline(never)]\n    pub fn mul("), "the patched line moved: update this test");
    writeFileSync(file, text.replace("#[inline(never)]\n    pub fn mul(", "#[inline(always)]\n    pub fn mul("));
  });
  assertRefused(result, /differs from the published crate with its patch: src\/arithmetic\/field\/field_5x52\.rs/);
});

test("a patch that no longer applies to the published crate is refused", () => {
  const result = checkCopy((copy) => appendFileSync(join(copy, "k256.patch"), "@@ -1,1 +1,1 @@\n-no such line\n+x\n"));
  assert.equal(result.status, 1, result.output);
  assert.match(result.output, /scripts\/check-vendor\.mjs: /);
});
