#!/usr/bin/env node
// Builds the host SDK: tsc → dist/*.js + *.d.ts (ESM, strict), then one
// minified ESM bundle dist/keyframe-sdk.min.js, and prints its gzip size
// against the 10 KiB budget (DESIGN.md §9).
//   node iframe-host/sdk/build.mjs [--no-tsc]
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const BUDGET = 10 * 1024;

if (!process.argv.includes("--no-tsc")) {
  const tsc = require.resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", join(here, "tsconfig.json")], { stdio: "inherit" });
}

const esbuild = await import("esbuild");
const outfile = join(here, "dist", "keyframe-sdk.min.js");
await esbuild.build({
  entryPoints: [join(here, "src", "index.ts")],
  outfile,
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  platform: "browser",
  legalComments: "none",
  logLevel: "warning",
});
const raw = readFileSync(outfile);
const gz = gzipSync(raw, { level: 9 }).length;
const kib = (n) => (n / 1024).toFixed(2) + " KiB";
console.log(`keyframe-sdk.min.js: ${kib(raw.length)} minified, ${kib(gz)} gzip (budget ${kib(BUDGET)})`);
if (gz > BUDGET) {
  console.error("host SDK over its gzip budget");
  process.exit(1);
}
