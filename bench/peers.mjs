// The peers in the same run (issue 15, item 2): the host SDKs a dApp would
// install instead of Keyframe's, bundled with the settings of ours and set
// beside our SDK and our iFrame, plus two ceilings for the signing path:
// signing with no isolation at all in the page (viem local account; @noble
// ed25519 for Solana), measured in headless Chromium, and the raw core
// signing time of our own WASM (`benchCoreSign(kind, n, false)`, already
// measured by bench/run.mjs as `core.<kind>.signOnly`).
//
// The peers are installed into target/bench-peers/<name>/ (a package.json of
// their own there, exact versions, `--ignore-scripts`), never into the
// product's dependencies. A failed install or bundle makes that peer
// "unavailable (reason)"; it never fails the bench. `--smoke` skips the
// installs ("skipped in smoke") but still runs the in-page ceiling, with
// tiny counts.
import { spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

/** The peers and the versions the issue measured (pinned). */
export const PEERS = [
  { name: "Magic", pkg: "magic-sdk", version: "33.13.0" },
  { name: "Privy", pkg: "@privy-io/js-sdk-core", version: "0.76.2" },
  { name: "Turnkey", pkg: "@turnkey/sdk-browser", version: "8.2.1" },
  { name: "Openfort", pkg: "@openfort/openfort-js", version: "1.6.0" },
];

/** The esbuild settings of our SDK bundle (iframe-host/sdk/build.mjs); tests/bench-peers.test.mjs checks they agree. */
export const ESBUILD_OPTIONS = { bundle: true, format: "esm", minify: true, target: "es2020", platform: "browser", legalComments: "none" };

const INSTALL_TIMEOUT_MS = 5 * 60_000;

// ---- pure helpers (unit-tested without network) ------------------------------------

/** a ÷ b rounded to 2 decimals, or null when either is missing. */
export function ratio(a, b) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return Number((a / b).toFixed(2));
}

/** "12.3 KiB" (1 decimal), "–" for nothing. */
export function kib(bytes) {
  return Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KiB` : "–";
}

/** "0.28 ms" / "12.5 ms", "–" for nothing. */
export function ms(x) {
  return Number.isFinite(x) ? `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms` : "–";
}

/** A slug for a package name: `@privy-io/js-sdk-core` → `privy-io+js-sdk-core`. */
export function slug(pkg) {
  return pkg.replace(/^@/, "").replace(/\//g, "+");
}

/** The first line of an error or a tool's output, short enough for a table cell. */
export function reason(text) {
  const line = String(text ?? "").split("\n").map((l) => l.trim()).find((l) => l && !/^npm (warn|notice)/i.test(l)) ?? "unknown error";
  return line.length > 160 ? `${line.slice(0, 157)}…` : line.replace(/\|/g, "\\|");
}

/**
 * The size rows: ours (SDK, iFrame) first, then each peer, with the ratio of
 * its gzip size to our SDK's and to our iFrame's.
 */
export function sizeRows(peers, ours) {
  const rows = [
    { name: "Keyframe host SDK", what: "iframe-host/sdk/dist/keyframe-sdk.min.js", gzip: ours.sdkGzip, bytes: ours.sdkBytes },
    { name: "Keyframe iFrame", what: "iframe.html + boot.js + iframe.css + pkg/keyframe_signer.js + pkg/keyframe_signer_bg.wasm", gzip: ours.iframeGzip, bytes: ours.iframeBytes },
    ...peers.map((p) => ({ name: p.name, what: `${p.pkg}@${p.version}`, gzip: p.gzip, bytes: p.bytes, status: p.status, reason: p.reason })),
  ];
  return rows.map((r) => ({ ...r, vsSdk: ratio(r.gzip, ours.sdkGzip), vsIframe: ratio(r.gzip, ours.iframeGzip) }));
}

/** Signing-path rows: our figure, then each ceiling with our figure ÷ ceiling. */
export function signingRows(figures, inPage) {
  const mid = (k) => figures?.[k]?.median ?? figures?.[k]?.value;
  const rows = [];
  const kinds = [["personal_sign", "viem", "viem `privateKeyToAccount(…).signMessage` in the page", "k256 ECDSA (EIP-191)"],
    ["solana_signMessage", "ed25519", "@noble/curves `ed25519.sign` in the page", "ed25519"]];
  for (const [kind, key, pageLabel, rawLabel] of kinds) {
    const e2e = mid(`sign.${kind}.e2e`), compute = mid(`sign.${kind}.compute`), raw = mid(`core.${kind}.signOnly`);
    const page = inPage?.[key]?.median;
    rows.push({ kind, e2e, compute, raw, rawLabel, page, pageLabel,
      e2eVsPage: ratio(e2e, page), e2eVsRaw: ratio(e2e, raw), computeVsRaw: ratio(compute, raw), rawVsPage: ratio(raw, page) });
  }
  return rows;
}

/** The RESULTS.md section for the peers and the signing ceilings. */
export function peersMarkdown(section, figures) {
  const L = ["", "## Peers side by side (issue 15)", ""];
  if (!section) return [...L, "Not measured in this run.", ""];
  const p = section.sizes;
  L.push(`Each peer's npm package at the pinned version, installed into \`target/bench-peers/\` (outside the product's dependencies, \`--ignore-scripts\`), bundled from \`export * from "<package>"\` with the esbuild settings of our SDK (${Object.entries(ESBUILD_OPTIONS).map(([k, v]) => `${k}: ${v}`).join(", ")}; iframe-host/sdk/build.mjs), gzip -9. Ratio = its gzip ÷ ours. A vendor's own iFrame is not counted (none publishes what it loads).`, "");
  if (p.skipped) {
    L.push(`Peer sizes: ${p.skipped}.`, "");
  } else {
    L.push("| SDK | package | bytes | gzip -9 | ÷ Keyframe SDK | ÷ Keyframe iFrame |", "|---|---|---|---|---|---|");
    for (const r of p.rows) {
      if (r.status === "unavailable") L.push(`| ${r.name} | ${r.what} | unavailable (${r.reason}) | | | |`);
      else L.push(`| ${r.name} | ${r.what} | ${r.bytes?.toLocaleString("en") ?? "–"} | ${r.gzip?.toLocaleString("en") ?? "–"} (${kib(r.gzip)}) | ${r.vsSdk ?? "–"} | ${r.vsIframe ?? "–"} |`);
    }
    L.push("");
  }
  const s = section.signing;
  L.push("Signing-path ceilings (medians; \"in the page\" = no isolation at all: the key in the dApp's own JavaScript, measured in headless Chromium in this run, each sample the mean of " +
    `${s.iterations ?? "?"} signatures, ${s.samples ?? "?"} samples${s.chromium ? `, Chromium ${s.chromium}` : ""}; \"raw core\" = \`benchCoreSign(kind, n, false)\` of the bench build of our WASM in the same browser: sign with an already derived key, no I/O, no share rebuild):`, "");
  if (s.unavailable) L.push(`In-page signing: unavailable (${s.unavailable}).`, "");
  L.push("| request | Keyframe end to end | Keyframe inside the WASM (rebuild + sign + split) | raw core sign | in the page | e2e ÷ in the page | e2e ÷ raw core | WASM ÷ raw core | raw core ÷ in the page |", "|---|---|---|---|---|---|---|---|---|");
  for (const r of signingRows(figures, s.inPage)) {
    L.push(`| ${r.kind} | ${ms(r.e2e)} | ${ms(r.compute)} | ${ms(r.raw)} (${r.rawLabel}) | ${ms(r.page)} (${r.pageLabel}) | ${r.e2eVsPage ?? "–"} | ${r.e2eVsRaw ?? "–"} | ${r.computeVsRaw ?? "–"} | ${r.rawVsPage ?? "–"} |`);
  }
  L.push("");
  return L;
}

// ---- installing and bundling the peers -------------------------------------------------

function run(cmd, args, { cwd, timeoutMs }) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => { out += `\ntimed out after ${timeoutMs / 1000} s`; child.kill("SIGTERM"); }, timeoutMs);
    child.on("error", (e) => { clearTimeout(timer); resolve({ code: -1, out: `${e.message}\n${out}` }); });
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

const installedVersion = (dir, pkg) => {
  try { return JSON.parse(readFileSync(join(dir, "node_modules", pkg, "package.json"), "utf8")).version; } catch { return null; }
};

/** Installs one peer into its own folder (kept between runs: a second run reuses it). */
async function install(peer, base) {
  const dir = join(base, slug(peer.pkg));
  await mkdir(dir, { recursive: true });
  if (installedVersion(dir, peer.pkg) === peer.version) return { dir, cached: true };
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: `keyframe-bench-peer-${slug(peer.pkg).replace(/\+/g, "-")}`, private: true,
    description: "bench/peers.mjs: a peer SDK measured by npm run bench; not a dependency of Keyframe", dependencies: { [peer.pkg]: peer.version } }, null, 2) + "\n");
  const r = await run("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--save-exact", "--loglevel=error"], { cwd: dir, timeoutMs: INSTALL_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`npm install failed: ${reason(r.out)}`);
  const v = installedVersion(dir, peer.pkg);
  if (v !== peer.version) throw new Error(`npm installed ${peer.pkg}@${v}, not ${peer.version}`);
  return { dir, cached: false };
}

async function bundle(peer, dir, esbuild) {
  const entry = join(dir, "entry.mjs");
  await writeFile(entry, `export * from ${JSON.stringify(peer.pkg)};\n`);
  const outfile = join(dir, "bundle.min.js");
  try {
    await esbuild.build({ ...ESBUILD_OPTIONS, entryPoints: [entry], outfile, absWorkingDir: dir, logLevel: "silent" });
  } catch (e) {
    const first = e.errors?.[0];
    throw new Error(`esbuild failed: ${first ? `${first.text}${first.location ? ` (${first.location.file})` : ""}` : reason(e.message)}`);
  }
  const buf = await readFile(outfile);
  return { bytes: buf.length, gzip: gzipSync(buf, { level: 9 }).length };
}

async function peerSizes({ root, smoke, ours, log }) {
  if (smoke) {
    log("peer SDKs (npm installs): skipped in smoke");
    return { skipped: "skipped in smoke", rows: sizeRows([], ours) };
  }
  const base = join(root, "target", "bench-peers");
  const esbuild = await import("esbuild");
  const peers = await Promise.all(PEERS.map(async (peer) => {
    try {
      const { dir, cached } = await install(peer, base);
      const size = await bundle(peer, dir, esbuild);
      log(`peer ${peer.name} (${peer.pkg}@${peer.version}${cached ? ", already installed" : ""}): ${size.gzip} B gzip`);
      return { ...peer, status: "ok", ...size };
    } catch (e) {
      log(`peer ${peer.name}: unavailable (${e.message})`);
      return { ...peer, status: "unavailable", reason: reason(e.message) };
    }
  }));
  return { rows: sizeRows(peers, ours) };
}

// ---- signing in the page, no isolation --------------------------------------------------

// Anvil's first development key: public, never a real wallet.
const TEST_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

const HARNESS = `
import { privateKeyToAccount } from "viem/accounts";
import { ed25519 } from "@noble/curves/ed25519.js";
const account = privateKeyToAccount(${JSON.stringify(TEST_KEY)});
const edKey = new Uint8Array(32).fill(7);
const solMessage = new TextEncoder().encode("hello solana");
window.inPage = {
  async viem(n) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await account.signMessage({ message: "hello keyframe" });
    return (performance.now() - t0) / n;
  },
  async ed25519(n) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) ed25519.sign(solMessage, edKey);
    return (performance.now() - t0) / n;
  },
};
`;

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? Number(s[Math.ceil(s.length / 2) - 1].toFixed(3)) : null;
};

async function inPageSigning({ root, smoke, launchBrowser }) {
  const samples = smoke ? 2 : 15, iterations = smoke ? 2 : 20;
  const esbuild = await import("esbuild");
  const built = await esbuild.build({ stdin: { contents: HARNESS, resolveDir: root, loader: "js" }, bundle: true, format: "iife", minify: true,
    platform: "browser", target: "es2020", write: false, logLevel: "silent", nodePaths: [join(root, "node_modules")] });
  const browser = await launchBrowser();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto("about:blank");
    await page.addScriptTag({ content: built.outputFiles[0].text });
    const out = { samples, iterations, chromium: browser.version(), inPage: {} };
    for (const fn of ["viem", "ed25519"]) {
      await page.evaluate(([f, n]) => window.inPage[f](n), [fn, iterations]); // warm-up
      const xs = [];
      for (let i = 0; i < samples; i++) xs.push(await page.evaluate(([f, n]) => window.inPage[f](n), [fn, iterations]));
      out.inPage[fn] = { median: median(xs), samples: xs.map((x) => Number(x.toFixed(4))) };
    }
    return out;
  } finally {
    await browser.close();
  }
}

/**
 * Everything of issue 15 item 2, never throwing: `{ sizes, signing }` for
 * results.json (`peers`), rendered by peersMarkdown.
 */
export async function measurePeers({ root, smoke, sizes, figures, launchBrowser, log = () => {} }) {
  const ours = { sdkGzip: sizes?.sdk?.gzip, sdkBytes: sizes?.sdk?.bytes,
    iframeGzip: figures?.["size.iframe.gzip"]?.value, iframeBytes: figures?.["size.iframe.bytes"]?.value };
  const section = {};
  try {
    section.sizes = await peerSizes({ root, smoke, ours, log });
  } catch (e) {
    section.sizes = { skipped: `unavailable (${reason(e.message)})`, rows: sizeRows([], ours) };
  }
  try {
    log("signing in the page with no isolation (viem, @noble ed25519) in headless Chromium");
    section.signing = await inPageSigning({ root, smoke, launchBrowser });
  } catch (e) {
    section.signing = { unavailable: reason(e.message), inPage: {} };
  }
  return section;
}

