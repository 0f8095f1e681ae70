#!/usr/bin/env node
// Builds the wagmi connector: tsc (strict) → dist/index.js + index.d.ts
// (ESM; `@keyframe/sdk`, `@wagmi/core` and `viem` stay imports, they are
// peers), then a minified copy dist/keyframe-wagmi.min.js whose gzip size
// is checked against its budget (3 KiB on top of the SDK; bench/RESULTS.md).
//   node iframe-host/wagmi/build.mjs   (after iframe-host/sdk/build.mjs)
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const BUDGET = 3 * 1024;

execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", join(here, "tsconfig.json")], { stdio: "inherit" });

const esbuild = await import("esbuild");
const outfile = join(here, "dist", "keyframe-wagmi.min.js");
await esbuild.build({
  entryPoints: [join(here, "src", "index.ts")],
  outfile,
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  platform: "neutral",
  external: ["@keyframe/sdk", "@wagmi/core", "viem"],
  legalComments: "none",
  logLevel: "warning",
});
const gz = gzipSync(readFileSync(outfile), { level: 9 }).length;
console.log(`keyframe-wagmi.min.js: ${(gz / 1024).toFixed(2)} KiB gzip on top of the SDK (budget ${(BUDGET / 1024).toFixed(2)} KiB)`);
if (gz > BUDGET) {
  console.error("wagmi connector over its gzip budget");
  process.exit(1);
}
