// scripts/precompress.mjs, the build's step that writes the compressed
// copies hot storage serves (hot-storage-service/src/static_files.rs),
// run from a path that a file: URL escapes: each copy must be written and
// decode to its file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliDecompressSync, gunzipSync } from "node:zlib";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

test("precompress: every page, script, style and WASM gets a Brotli and a gzip copy that decodes to it, from a path with a space", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "kf precompress "));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, "scripts dir", "precompress.mjs");
  mkdirSync(join(dir, "scripts dir"));
  copyFileSync(join(ROOT, "scripts", "precompress.mjs"), script);
  const folder = join(dir, "static files");
  mkdirSync(folder);
  const files = {
    "iframe.html": "<!doctype html><title>keyframe</title>".repeat(20),
    "boot.js": "export const x = 1;\n".repeat(50),
    "iframe.css": "body { margin: 0 }\n".repeat(30),
    "signer.wasm": Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...Array(500).fill(7)]),
  };
  for (const [name, body] of Object.entries(files)) writeFileSync(join(folder, name), body);
  writeFileSync(join(folder, "notes.txt"), "not served compressed");
  execFileSync(process.execPath, [script, folder], { stdio: "pipe" });
  for (const name of Object.keys(files)) {
    const original = readFileSync(join(folder, name));
    assert.deepEqual(brotliDecompressSync(readFileSync(join(folder, `${name}.br`))), original, `${name}.br`);
    assert.deepEqual(gunzipSync(readFileSync(join(folder, `${name}.gz`))), original, `${name}.gz`);
  }
  assert.ok(!existsSync(join(folder, "notes.txt.br")) && !existsSync(join(folder, "notes.txt.gz")));
});
