// Proves that every crate under vendor/ is the crate crates.io published,
// byte for byte, plus the patch beside it and nothing else (vendor/README.md
// says why each is there). Run by scripts/test.sh as a lint stage.
//
// For each crate: the published `.crate` (cargo's download cache when it
// holds one, else static.crates.io) must have the SHA-256 pinned below,
// the one Cargo.lock recorded before the crate was vendored; it is
// unpacked into a scratch folder, `vendor/<name>.patch` is applied there
// with `git apply`, and the result must equal `vendor/<name>/` file for
// file. Any edit made in vendor/ without its patch, or any patch without
// its edit, fails.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, relative } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
// The folder holding each `<name>/` and its `<name>.patch`: vendor/, or
// KEYFRAME_VENDOR_DIR, which tests/check-vendor.test.mjs points at a
// tampered copy that must fail.
const VENDOR = process.env.KEYFRAME_VENDOR_DIR ?? join(ROOT, "vendor");

/** The vendored crates: name, version, SHA-256 of the published `.crate`. */
const VENDORED = [
  {
    name: "k256",
    version: "0.14.0",
    sha256: "93f50113171a713f4a4231ef82eb26703607139b35dcb56241f0ceab2ae1f7d8",
  },
];

function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The `.crate` from cargo's cache or ours (target/vendor-crates/) if it is
 * there and intact, else downloaded and kept in ours: since the crate is
 * patched, cargo never downloads it, and tests/check-vendor.test.mjs runs
 * this script six times.
 */
async function publishedCrate({ name, version, sha256: want }) {
  const file = `${name}-${version}.crate`;
  const ours = join(ROOT, "target", "vendor-crates");
  const cache = join(process.env.CARGO_HOME ?? join(homedir(), ".cargo"), "registry", "cache");
  const candidates = [join(ours, file)];
  if (existsSync(cache)) {
    for (const index of readdirSync(cache)) candidates.push(join(cache, index, file));
  }
  for (const path of candidates) {
    if (existsSync(path)) {
      const bytes = readFileSync(path);
      if (sha256(bytes) === want) return bytes;
    }
  }
  const url = `https://static.crates.io/crates/${name}/${file}`;
  const answer = await fetch(url);
  if (!answer.ok) throw new Error(`${url}: HTTP ${answer.status}`);
  const bytes = Buffer.from(await answer.arrayBuffer());
  // Kept only if intact; `check` refuses a wrong one with its digest.
  if (sha256(bytes) === want) {
    mkdirSync(ours, { recursive: true });
    writeFileSync(join(ours, file), bytes);
  }
  return bytes;
}

/** Every file under `dir`, as paths relative to it, sorted. */
function files(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

async function check(crate) {
  const label = relative(ROOT, join(VENDOR, crate.name));
  const bytes = await publishedCrate(crate);
  const got = sha256(bytes);
  if (got !== crate.sha256) {
    throw new Error(`${crate.name} ${crate.version}: the published .crate has SHA-256 ${got}, not the pinned ${crate.sha256}`);
  }
  const scratch = mkdtempSync(join(tmpdir(), "keyframe-vendor-"));
  try {
    const archive = join(scratch, "crate.tar.gz");
    writeFileSync(archive, bytes);
    execFileSync("tar", ["-xzf", archive, "-C", scratch]);
    const expected = join(scratch, `${crate.name}-${crate.version}`);
    // Outside any git repository, `git apply` patches the files it is
    // pointed at, and refuses a patch that does not apply exactly.
    execFileSync("git", ["apply", "-p1", join(VENDOR, `${crate.name}.patch`)], { cwd: expected, stdio: "pipe" });
    const actual = join(VENDOR, crate.name);
    const want = files(expected);
    const have = files(actual);
    const problems = [];
    for (const path of want.filter((p) => !have.includes(p))) problems.push(`missing: ${path}`);
    for (const path of have.filter((p) => !want.includes(p))) problems.push(`not in the published crate: ${path}`);
    for (const path of want.filter((p) => have.includes(p))) {
      if (!readFileSync(join(expected, path)).equals(readFileSync(join(actual, path)))) {
        problems.push(`differs from the published crate with its patch: ${path}`);
      }
    }
    if (problems.length > 0) {
      throw new Error(`${label} is not ${crate.name} ${crate.version} with vendor/${crate.name}.patch:\n  ${problems.join("\n  ")}`);
    }
    console.log(`${label}: ${crate.name} ${crate.version} as published (SHA-256 ${crate.sha256.slice(0, 16)}…) with vendor/${crate.name}.patch, ${have.length} files`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

try {
  for (const crate of VENDORED) await check(crate);
} catch (error) {
  console.error(`scripts/check-vendor.mjs: ${error.message}`);
  process.exit(1);
}
