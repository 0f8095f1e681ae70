// Writes the compressed copies hot storage serves in place of the iFrame's
// files (hot-storage-service/src/static_files.rs): `X.br` (Brotli, quality
// 11) and `X.gz` (gzip -9) beside each `.wasm`, `.js`, `.html` and `.css`
// directly in the folders named on the command line. Run by
// scripts/build.sh after the files themselves are written; hot storage
// refuses to start on a copy that does not decode to the file beside it.
//
//   node scripts/precompress.mjs iframe-host iframe-host/pkg iframe-host/pkg-all
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const SUFFIXES = [".wasm", ".js", ".html", ".css"];

function brotli(bytes) {
  return brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
}

function gzip(bytes) {
  return gzipSync(bytes, { level: 9 });
}

function precompress(folder) {
  const written = [];
  for (const name of readdirSync(folder)) {
    if (!SUFFIXES.some((s) => name.endsWith(s))) continue;
    const path = join(folder, name);
    const bytes = readFileSync(path);
    const br = brotli(bytes);
    const gz = gzip(bytes);
    writeFileSync(`${path}.br`, br);
    writeFileSync(`${path}.gz`, gz);
    written.push({ name, bytes: bytes.length, br: br.length, gz: gz.length });
  }
  return written;
}

// Nothing imports this file, so it runs as a command without a guard
// (comparing `import.meta.url` with the script's path silently did
// nothing when the path held a character a URL escapes, such as a space).
for (const folder of process.argv.slice(2)) {
  for (const f of precompress(folder)) {
    console.log(`${join(folder, f.name)}: ${f.bytes} B, ${f.br} B as Brotli, ${f.gz} B as gzip`);
  }
}
