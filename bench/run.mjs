#!/usr/bin/env node
// `npm run bench`: measures the budgets of docs/architecture.md §5 on this machine and writes
// bench/RESULTS.md and bench/results.json. See bench/README.md.
//
//   node bench/run.mjs [--smoke] [--out DIR] [--no-build] [--build]
//
// --smoke     tiny counts (for tests/bench-smoke.test.mjs); implies --no-build
// --out DIR   where RESULTS.md and results.json go (default: bench/)
// --no-build  use the release build as it is (default: scripts/build.sh first)
//
// Nothing here asserts anything about time: it measures and reports.
import { spawnSync } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync, existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem, tmpdir, release, platform, arch } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { setTimeout as sleep } from "node:timers/promises";
import { ROOT, startStack } from "../scripts/stack.mjs";
import { freePort, launchBrowser, serveStatic, startProcess } from "../tests/support/index.mjs";
import { approveButton, clickApprove, signUp, signerFrame, recoveryKey, mailTypedData, tickOnScreen } from "../tests/support/e2e.mjs";
import { budgets } from "./budgets.mjs";
import { FIGURES, SIGN_KINDS } from "./figures.mjs";
import { benchModuleCurrent } from "./module-stamp.mjs";
import { approvedSigns, connectDevice, keepBackup, typedRequest } from "./consent.mjs";
import { ensureWrk, rss, seedWallets, startHot, startPostgres, wrk, wrkScript } from "./load.mjs";
import { measurePeers, peersMarkdown } from "./peers.mjs";
import { measureWasmSize, wasmSizeMarkdown } from "./wasm-size.mjs";

// ---- options ----------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
};
const SMOKE = flag("--smoke");
const OUT = resolve(option("--out", join(ROOT, "bench")));
const BUILD = flag("--build") || (!SMOKE && !flag("--no-build"));

// Counts: warm-up iterations are run and discarded before each measurement.
const N = SMOKE
  ? { readyWarm: 1, ready: 2, pingWarm: 2, ping: 5, fetch: 5, signWarm: 1, sign: 2, b2b: 2, coreSamples: 2, coreIters: 2,
      recoveryWarm: 0, recovery: 1, argon: 1, unseal: 2, loadUsers: 4, loadWarmS: 0, loadS: 1, loadRuns: 1, conns: 8, proofsPerS: 20000, dpopProofs: 200 }
  : { readyWarm: 5, ready: 30, pingWarm: 20, ping: 200, fetch: 100, signWarm: 5, sign: 40, b2b: 40, coreSamples: 15, coreIters: 20,
      recoveryWarm: 1, recovery: 5, argon: 5, unseal: 20, loadUsers: 32, loadWarmS: 2, loadS: 8, loadRuns: 3, conns: 32, proofsPerS: 16000, dpopProofs: 5000 };
const WRK_THREADS = 2;

const log = (...a) => console.error("[bench]", ...a);
const started = Date.now();

// ---- the bench build of the signer ---------------------------------------------

// The signer with its `bench` feature (the core-timing exports of
// signer-wasm/src/web/bench.rs), in a target dir of its own so it never
// touches the shipped module; wasm-bindgen exactly as scripts/build.sh
// runs it. Cargo makes this a no-op when nothing changed.
const BENCH_TARGET = join(ROOT, "target", "wasm-bench");
const BENCH_PKG = join(BENCH_TARGET, "pkg");
function buildBenchModule() {
  const env = { ...process.env, PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}` };
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "inherit", "inherit"] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed`);
  };
  log("building the signer with its bench exports (target/wasm-bench; the first time takes a minute or two)");
  // Compiled as the shipped module is (scripts/wasm-env.sh: std built for
  // size, panics that trap at once), so its timings are the shipped code's.
  run("bash", ["-c", 'source scripts/lib.sh && source scripts/wasm-env.sh && signer_cargo "$0" build "$@"', BENCH_TARGET,
    "--profile", "wasm", "-q", "-p", "keyframe-signer", "--target", "wasm32-unknown-unknown", "--features", "bench"]);
  const wasm = join(BENCH_TARGET, "wasm32-unknown-unknown", "wasm", "keyframe_signer.wasm");
  const out = join(BENCH_PKG, "keyframe_signer_bg.wasm");
  // Written only after the wasm-opt passes succeed, so a run whose passes
  // failed (after wasm-bindgen wrote `out`) is redone by the next run
  // instead of leaving it a module without them.
  const done = join(BENCH_PKG, "wasm-opt.done");
  if (benchModuleCurrent(wasm, done)) return;
  rmSync(done, { force: true });
  run("wasm-bindgen", ["--target", "web", "--no-typescript", "--out-dir", BENCH_PKG, "--remove-name-section", "--remove-producers-section", wasm]);
  // The same wasm-opt passes as the shipped modules.
  run("bash", ["-c", 'source scripts/lib.sh && source scripts/wasm-env.sh && signer_wasm_opt "$0"', out]);
  writeFileSync(done, "");
}

// ---- statistics ---------------------------------------------------------------

/** Nearest-rank percentile of sorted `s`. */
const pct = (s, p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
const round = (x, d = 3) => (x == null || !Number.isFinite(x) ? x : Number(x.toFixed(d)));
function stats(samples) {
  const s = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return { n: 0 };
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return {
    n: s.length, median: round(pct(s, 50)), p99: round(pct(s, 99)), min: round(s[0]), max: round(s.at(-1)),
    p25: round(pct(s, 25)), p75: round(pct(s, 75)), mean: round(mean),
  };
}

const figures = {};
/** Records a figure: `samples` (an array) or a single `value`; optional ceiling. */
function record(key, { samples, value, unit = "ms", ceiling, note } = {}) {
  if (!(key in FIGURES)) throw new Error(`unknown figure ${key}`);
  const f = { label: FIGURES[key], unit };
  if (samples) Object.assign(f, stats(samples));
  else f.value = round(value);
  if (ceiling) {
    f.ceiling = { label: ceiling.label, value: round(ceiling.value) };
    const mine = f.median ?? f.value;
    // Ratio > 1: slower (or, for throughput, the ceiling is higher) than the ceiling.
    f.ratio = ceiling.value ? round(unit === "req/s" ? ceiling.value / mine : mine / ceiling.value, 2) : null;
  }
  if (note) f.note = note;
  figures[key] = f;
  return f;
}
const mid = (key) => figures[key]?.median ?? figures[key]?.value;

// ---- machine ------------------------------------------------------------------

function machine() {
  const c = cpus();
  const git = (...a) => spawnSync("git", a, { cwd: ROOT, encoding: "utf8" }).stdout.trim();
  // The bench's own previous output does not make the tree dirty.
  const dirty = git("status", "--porcelain", "--", ".", ":!bench/RESULTS.md", ":!bench/results.json").length > 0;
  let load = null;
  try { load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "); } catch {}
  return {
    cores: c.length, cpu: c[0]?.model ?? "unknown", memoryGiB: round(totalmem() / 2 ** 30, 1),
    os: `${platform()} ${release()} ${arch()}`, node: process.version, loadAverageAtStart: load,
    commit: git("rev-parse", "HEAD") + (dirty ? " (+ uncommitted changes)" : ""),
    date: new Date().toISOString(),
  };
}

// ---- the browser part -------------------------------------------------------------

/** A copy of iframe-host/ plus the bench's same-origin pages, served by hot storage. */
async function staticDir(tmp) {
  const dir = join(tmp, "static");
  await mkdir(dir, { recursive: true });
  for (const f of ["iframe.html", "boot.js", "iframe.css", "pkg", "pkg-all"]) {
    await cp(join(ROOT, "iframe-host", f), join(dir, f), { recursive: true });
    // The compressed copies hot storage sends (scripts/precompress.mjs).
    for (const copy of [`${f}.br`, `${f}.gz`]) {
      if (existsSync(join(ROOT, "iframe-host", copy))) await cp(join(ROOT, "iframe-host", copy), join(dir, copy));
    }
  }
  await cp(BENCH_PKG, join(dir, "bench-pkg"), { recursive: true });
  await cp(join(ROOT, "bench", "pages", "blank.html"), join(dir, "bench-blank.html"));
  await cp(join(ROOT, "bench", "pages", "core.html"), join(dir, "bench-core.html"));
  await cp(join(ROOT, "bench", "pages", "core.js"), join(dir, "bench-core.js"));
  return dir;
}

const req = (page, method, params) => page.evaluate(([m, p]) => window.signer.request(p === undefined ? { method: m } : { method: m, params: p }), [method, params]);

/** The iFrame's latest User Timing measures (signer-wasm/src/web/bench.rs). */
const measures = (frame) => frame.evaluate(() => {
  const g = (n) => performance.getEntriesByName(n).at(-1)?.duration ?? null;
  return { dispatch: g("keyframe:dispatch"), compute: g("keyframe:compute"), refresh: g("keyframe:refresh") };
});

async function waitForRefresh(frame, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await measures(frame);
    if (m.refresh != null) return m;
    if (Date.now() > deadline) throw new Error("the refresh after a signature did not finish in time");
    await sleep(2);
  }
}

async function browserPart(stack, host, tmp) {
  const browser = await launchBrowser();
  const chromium = browser.version();
  try {
    // -- iFrame ready, and its ceiling ------------------------------------------
    log("iFrame ready");
    {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${host.origin}/host.html`);
      await page.waitForFunction(() => window.hostReady === true);
      const load = (src, waitFor) => page.evaluate(([s, w]) => window.loadFrame(s, w), [src, waitFor]);
      const run = async (src, waitFor) => {
        for (let i = 0; i < N.readyWarm; i++) await load(src, waitFor);
        const out = [];
        for (let i = 0; i < N.ready; i++) out.push(await load(src, waitFor));
        return out;
      };
      // Interleave nothing: each series runs on its own, blank first.
      const blank = await run(`${stack.urls.provider}/bench-blank.html`, "load");
      record("ready.blank", { samples: blank });
      const ready = await run(`${stack.urls.provider}/iframe.html`, "ready");
      record("ready.iframe", {
        samples: ready,
        ceiling: { label: "plain static iframe page, same origin (median)", value: mid("ready.blank") },
      });
      await context.close();
    }

    // -- raw core times in the same browser (no I/O) ------------------------------
    log("raw core times");
    const corePage = await (await browser.newContext()).newPage();
    await corePage.goto(`${stack.urls.provider}/bench-core.html`);
    await corePage.waitForFunction(() => window.coreReady === true, null, { timeout: 30_000 });
    const core = (fn, ...args) => corePage.evaluate(([f, a]) => window.kf[f](...a), [fn, args]);
    for (const kind of SIGN_KINDS) {
      await core("benchCoreSign", kind, N.coreIters, true); // warm-up
      const withRebuild = [], signOnly = [];
      for (let i = 0; i < N.coreSamples; i++) {
        withRebuild.push(await core("benchCoreSign", kind, N.coreIters, true));
        signOnly.push(await core("benchCoreSign", kind, N.coreIters, false));
      }
      record(`core.${kind}.rebuildSign`, { samples: withRebuild, note: `each sample: mean of ${N.coreIters} ops` });
      record(`core.${kind}.signOnly`, { samples: signOnly, note: `each sample: mean of ${N.coreIters} ops` });
    }
    // What a rebuild is made of (see signer-wasm/src/web/bench.rs).
    for (const step of ["seed", "evmKey", "solanaKey", "combine"]) {
      await core("benchCoreStep", step, N.coreIters);
      const out = [];
      for (let i = 0; i < N.coreSamples; i++) out.push(await core("benchCoreStep", step, N.coreIters));
      record(`core.step.${step}`, { samples: out, note: `each sample: mean of ${N.coreIters} ops` });
    }
    await core("benchArgon2", 1); // warm-up (first use grows the WASM memory by 64 MiB)
    const argon = [];
    for (let i = 0; i < N.argon; i++) argon.push(await core("benchArgon2", 1));
    record("core.argon2", { samples: argon });
    const unseal = [];
    for (let i = 0; i < N.unseal; i++) unseal.push(await core("benchUnsealKey", 10));
    record("core.unsealKey", { samples: unseal, note: "each sample: mean of 10 ops" });
    await corePage.context().close();

    // -- signing through the SDK ------------------------------------------------------
    log("signing through the SDK");
    const user = await signUp(stack, "bench");
    const key = await recoveryKey(stack, user.token);
    const dev = await connectDevice(browser, host, stack, user.token);
    const created = await req(dev.page, "keyframe_createWallet", { recovery: { method: "automatic", token: key } });
    const evm = created.addresses.evm;
    await waitForRefreshIdle(dev);

    // Ping and loopback fetch: the ceilings of the messaging and I/O paths.
    // The page's clock has 0.1 ms resolution (no cross-origin isolation) and a
    // ping is about that long, so each sample is the mean of 10 back-to-back pings.
    const pings = await dev.page.evaluate(async ([w, n]) => {
      await window.timedLoop("keyframe_ping", undefined, w);
      const out = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        for (let j = 0; j < 10; j++) await window.signer.request({ method: "keyframe_ping" });
        out.push((performance.now() - t0) / 10);
      }
      return out;
    }, [N.pingWarm, Math.max(2, Math.round(N.ping / 10))]);
    record("rtt.ping", { samples: pings, note: "each sample: mean of 10 pings" });
    const fetches = await dev.frame.evaluate(async (n) => {
      const out = [];
      for (let i = 0; i < n + 5; i++) {
        const t0 = performance.now();
        await (await fetch("/healthz", { cache: "no-store" })).arrayBuffer();
        out.push(performance.now() - t0);
      }
      return out.slice(5);
    }, N.fetch);
    record("rtt.fetch", { samples: fetches });

    // Request accounting for the refresh: every request of the iFrame frame.
    let phase = null;
    const traffic = [];
    dev.page.on("request", (r) => {
      if (phase === null || r.frame() !== dev.frame) return;
      const at = phase;
      traffic.push(r.response().then((res) => res?.finished()).then(() => r.sizes()).then((s) => ({ ...at, path: new URL(r.url()).pathname,
        bytes: s.requestHeadersSize + s.requestBodySize + s.responseHeadersSize + s.responseBodySize })).catch(() => null));
    });

    const params = {
      personal_sign: [`0x${Buffer.from("hello keyframe").toString("hex")}`, evm],
      eth_signTypedData_v4: [evm, JSON.stringify(mailTypedData(evm))],
      eth_signTransaction: [{ from: evm, type: "0x2", nonce: "0x0", gas: "0x5208", maxFeePerGas: "0x77359400",
        maxPriorityFeePerGas: "0x3b9aca00", to: "0x70997970C51812Dc3A010c7D01B50E20D17Dc79C", value: "0x1", chainId: "0x7a69" }],
      solana_signMessage: { message: Buffer.from("hello solana").toString("base64") },
    };
    const ceilingSign = (kind) => mid("rtt.ping") + mid("rtt.fetch") + mid(`core.${kind}.rebuildSign`);
    // Every signature waits for the approval screen; the bench clicks
    // Approve like a person (bench/consent.mjs). "End to end" is the machine
    // path: the click → the answer in the page.
    for (const kind of SIGN_KINDS) {
      if (kind === "personal_sign") phase = { kind, part: "sign" };
      const s = await approvedSigns(dev, kind, params[kind], N.signWarm, N.sign);
      phase = null;
      record(`consent.${kind}.painted`, { samples: s.painted, ceiling: { label: "ping RTT (median)", value: mid("rtt.ping") } });
      record(`sign.${kind}.e2e`, {
        samples: s.clickToAnswer,
        ceiling: { label: "ping RTT + one loopback fetch + raw core rebuild+sign (medians)", value: ceilingSign(kind) },
      });
      record(`sign.${kind}.dispatch`, { samples: s.inside, ceiling: { label: "one loopback fetch + raw core rebuild+sign (medians)", value: mid("rtt.fetch") + mid(`core.${kind}.rebuildSign`) } });
      record(`sign.${kind}.compute`, { samples: s.compute, ceiling: { label: "raw core rebuild+sign, same browser (median)", value: mid(`core.${kind}.rebuildSign`) } });
      record(`sign.${kind}.policy`, { samples: s.policy, ceiling: { label: "raw core rebuild+sign, same browser (median)", value: mid(`core.${kind}.rebuildSign`) } });
      record(`sign.${kind}.policyFetch`, { samples: s.policyFetch, ceiling: { label: "one loopback fetch (median)", value: mid("rtt.fetch") } });
      record(`sign.${kind}.refresh`, { samples: s.refresh, ceiling: { label: "two loopback fetches (refresh + commit) (medians)", value: 2 * mid("rtt.fetch") } });
      record(`sign.${kind}.backToBack`, { samples: s.total, ceiling: { label: "the 800 ms visibility wait + click → answer (medians)", value: 800 + mid(`sign.${kind}.e2e`) } });
      await waitForRefreshIdle(dev);
    }

    // The same machine path with no person in it: a transaction the user's
    // "Always allow" covers (ticked once, on the screen) is signed without
    // the screen, so no click comes before it and nothing is held for a frame
    // (bench/README.md, "Where a signature's click → answer goes").
    log("signing allowed by the user's rule (no screen)");
    {
      const tx = (nonce) => [{ ...params.eth_signTransaction[0], nonce: `0x${nonce.toString(16)}` }];
      const ticked = req(dev.page, "eth_signTransaction", tx(100));
      await approveButton(dev.page).waitFor({ state: "visible", timeout: 30_000 });
      await tickOnScreen(dev.page, signerFrame(dev.page).getByLabel(`Always allow requests like this from ${host.origin}`), { timeout: 30_000 });
      await clickApprove(dev.page, { timeout: 30_000 });
      await ticked;
      await waitForRefresh(dev.frame); // the rule is stored with the refresh
      const samples = [];
      for (let i = 0; i < N.signWarm + N.sign; i++) {
        await dev.frame.evaluate(() => performance.clearMeasures());
        const ms = await dev.page.evaluate(async (p) => {
          const t0 = performance.now();
          await window.signer.request({ method: "eth_signTransaction", params: p });
          return performance.now() - t0;
        }, tx(101 + i));
        await waitForRefresh(dev.frame);
        if (i >= N.signWarm) samples.push(ms);
      }
      record("sign.eth_signTransaction.allowed", {
        samples,
        ceiling: {
          label: "ping RTT + two loopback fetches (policy, recover) + raw core rebuild+sign (medians)",
          value: mid("rtt.ping") + 2 * mid("rtt.fetch") + mid("core.eth_signTransaction.rebuildSign"),
        },
      });
      await waitForRefreshIdle(dev);
    }

    // What one signature puts on the wire, split into its latency path and its refresh.
    const rows = (await Promise.all(traffic)).filter(Boolean);
    const perSig = N.signWarm + N.sign;
    const isRefresh = (p) => p.endsWith("/refresh") || p.endsWith("/commit");
    const refreshRows = rows.filter((r) => isRefresh(r.path));
    const signRows = rows.filter((r) => !isRefresh(r.path));
    const paths = [...new Set(rows.map((r) => r.path))].sort();
    record("refresh.requests", { value: refreshRows.length / perSig, unit: "requests",
      note: `HTTP paths seen per personal_sign: ${paths.map((p) => `${p} ×${round(rows.filter((r) => r.path === p).length / perSig, 2)}`).join(", ")}; the refresh also writes and deletes IndexedDB entries (not HTTP)` });
    record("refresh.bytes", { value: Math.round(refreshRows.reduce((a, r) => a + r.bytes, 0) / perSig), unit: "bytes" });
    record("sign.requests", { value: signRows.length / perSig, unit: "requests" });
    await dev.context.close();

    // -- recovery on a new device ----------------------------------------------------------
    log("recovery on a new device");
    const ioCeiling = mid("rtt.ping") + 4 * mid("rtt.fetch");
    for (const method of ["password", "automatic", "file"]) {
      const u = await signUp(stack, `rec${method}`);
      // A password is typed inside the iFrame (the SDK refuses one in params).
      const password = "a long benchmark password";
      const recovery = method === "automatic"
        ? { method: "automatic", token: await recoveryKey(stack, u.token) }
        : { method };
      const first = await connectDevice(browser, host, stack, u.token);
      let file;
      if (method === "file") {
        // Created with the file method: the file is downloaded in the iFrame.
        const creating = req(first.page, "keyframe_createWallet", { recovery });
        const frame = first.page.frameLocator("iframe[data-keyframe]");
        await frame.getByLabel("New recovery password", { exact: true }).fill(password, { timeout: 30_000 });
        await frame.getByLabel("Repeat the new password", { exact: true }).fill(password);
        await clickApprove(first.page, { timeout: 30_000 });
        file = await keepBackup(first, tmp);
        await creating;
      } else if (method === "password") {
        await typedRequest(first, "keyframe_createWallet", { recovery },
          { "New recovery password": password, "Repeat the new password": password });
      } else {
        await req(first.page, "keyframe_createWallet", { recovery });
      }
      await first.context.close();
      const out = [];
      for (let i = 0; i < N.recoveryWarm + N.recovery; i++) {
        const d = await connectDevice(browser, host, stack, u.token);
        const ms = method === "automatic"
          ? await d.page.evaluate((r) => window.timed("keyframe_recover", { recovery: r }), recovery)
          : await typedRequest(d, "keyframe_recover", { recovery }, { "Recovery password": password }, { file });
        if (i >= N.recoveryWarm) out.push(ms);
        await d.context.close();
      }
      record(`recovery.${method}`, {
        samples: out,
        ceiling: method === "automatic"
          ? { label: "ping RTT + 4 loopback fetches (medians)", value: ioCeiling }
          : { label: "ping RTT + 4 loopback fetches + raw Argon2id (medians)", value: ioCeiling + mid("core.argon2") },
      });
    }
  } finally {
    await browser.close();
  }
  return { chromium };
}

/** Waits until no refresh is running (a signature's refresh holds the device lock). */
async function waitForRefreshIdle(dev) {
  await dev.frame.evaluate(() => performance.clearMeasures());
  await dev.page.evaluate(() => window.signer.request({ method: "keyframe_ping" }));
  await sleep(100);
}

// ---- sizes ---------------------------------------------------------------------------

function sizes() {
  const gz = (buf) => gzipSync(buf, { level: 9 }).length;
  const files = ["iframe.html", "boot.js", "iframe.css", "pkg/keyframe_signer.js", "pkg/keyframe_signer_bg.wasm"].map((f) => {
    const buf = readFileSync(join(ROOT, "iframe-host", f));
    // What hot storage sends a browser that accepts Brotli: the build's
    // `.br` copy (scripts/precompress.mjs), else the file as it is.
    const br = join(ROOT, "iframe-host", `${f}.br`);
    const sent = existsSync(br) ? statSync(br).size : buf.length;
    return { file: `iframe-host/${f}`, bytes: buf.length, gzip: gz(buf), sent };
  });
  // The second module (signer-wasm/src/web/handover.rs): fetched only by
  // a page that calls a lifecycle method, so not part of what the iFrame
  // loads, and reported beside it.
  const second = ["pkg-all/keyframe_signer.js", "pkg-all/keyframe_signer_bg.wasm"].map((f) => {
    const buf = readFileSync(join(ROOT, "iframe-host", f));
    return { file: `iframe-host/${f} (second module)`, bytes: buf.length, gzip: gz(buf) };
  });
  const sdkBuf = readFileSync(join(ROOT, "iframe-host", "sdk", "dist", "keyframe-sdk.min.js"));
  const sum = (k) => files.reduce((a, f) => a + f[k], 0);
  record("size.iframe.bytes", { value: sum("bytes"), unit: "bytes" });
  record("size.iframe.gzip", { value: sum("gzip"), unit: "bytes", ceiling: { label: "budget 250 KiB", value: 250 * 1024 } });
  record("size.wasm.gzip", { value: files.at(-1).gzip, unit: "bytes" });
  record("size.iframe.sent", { value: sum("sent"), unit: "bytes" });
  record("size.second_module.gzip", { value: second.reduce((a, f) => a + f.gzip, 0), unit: "bytes" });
  record("size.sdk.bytes", { value: sdkBuf.length, unit: "bytes" });
  record("size.sdk.gzip", { value: gz(sdkBuf), unit: "bytes", ceiling: { label: "budget 10 KiB", value: 10 * 1024 } });
  const wagmiBuf = readFileSync(join(ROOT, "iframe-host", "wagmi", "dist", "keyframe-wagmi.min.js"));
  record("size.wagmi.gzip", { value: gz(wagmiBuf), unit: "bytes", ceiling: { label: "budget 3 KiB on top of the SDK", value: 3 * 1024 } });
  return { files, second, sdk: { file: "iframe-host/sdk/dist/keyframe-sdk.min.js", bytes: sdkBuf.length, gzip: gz(sdkBuf) } };
}

// ---- hot storage under load ------------------------------------------------------------

const WRK = { threads: WRK_THREADS, get conns() { return N.conns; } };

/** Errors of a load's rounds by wrk's kind ("; status 12, timeout 3"), or "". */
function errorKinds(rounds) {
  const sum = {};
  for (const r of rounds) for (const [k, v] of Object.entries(r.errorKinds)) sum[k] = (sum[k] ?? 0) + v;
  const parts = Object.entries(sum).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`);
  return parts.length ? `; ${parts.join(", ")} (status: answers other than 2xx)` : "";
}

async function loadPart(stack, tmp) {
  ensureWrk();
  log(`signing up ${N.loadUsers} users for the load test`);
  const users = [];
  for (let i = 0; i < N.loadUsers; i++) users.push(await signUp(stack, "load"));
  const pg = await startPostgres(tmp);
  const runs = {};
  try {
    for (const [db, dbUrl] of [["sqlite", null], ["postgres", pg.url]]) {
      log(`hot storage under load: ${db}`);
      const hot = await startHot(stack, tmp, db, dbUrl);
      try {
        const items = await seedWallets(stack, hot, users);
        // Fresh DPoP proofs for each run, enough for this many requests a second.
        const recoverLua = (seconds) => wrkScript(tmp, hot, items, Math.ceil(seconds * N.proofsPerS), WRK_THREADS);
        const healthLua = async () => wrkScript(tmp, hot, null, 0, WRK_THREADS);
        const judgedLua = (seconds) => wrkScript(tmp, hot, items, Math.ceil(seconds * N.proofsPerS), WRK_THREADS, "judged");
        const idleRss = rss(hot.proc.pid);
        // The three loads in rounds (recover, judged, /healthz; recover, …),
        // not one series after another: this shared machine's speed drifts
        // by tens of percent within minutes, and a ceiling measured a
        // minute after its figure carried that drift into the ratio.
        const loads = [
          { name: "recover", url: `${hot.url}/v2/devices/recover`, script: recoverLua },
          { name: "judged", url: `${hot.url}/v2/devices/recover`, script: judgedLua },
          { name: "health", url: `${hot.url}/healthz`, script: healthLua },
        ];
        const out = { recover: [], judged: [], health: [] };
        if (N.loadWarmS) for (const l of loads) await wrk(l.url, await l.script(N.loadWarmS), N.loadWarmS, hot.proc.pid, WRK);
        for (let i = 0; i < N.loadRuns; i++) {
          for (const l of loads) out[l.name].push(await wrk(l.url, await l.script(N.loadS), N.loadS, hot.proc.pid, WRK));
        }
        const { recover, judged, health } = out;
        runs[db] = { recover, judged, health };
        const note = `${N.loadRuns} round(s) of ${N.loadS} s each (recover, judged, /healthz in turn), wrk -t${WRK_THREADS} -c${N.conns} on the same machine; median and spread over runs`;
        record(`load.${db}.healthz.rps`, { samples: health.map((r) => r.rps), unit: "req/s", note });
        record(`load.${db}.healthz.p99`, { samples: health.map((r) => r.p99), note });
        record(`load.${db}.recover.rps`, { samples: recover.map((r) => r.rps), unit: "req/s", note,
          ceiling: { label: "GET /healthz, same process and load (median)", value: mid(`load.${db}.healthz.rps`) } });
        record(`load.${db}.recover.p50`, { samples: recover.map((r) => r.p50), note,
          ceiling: { label: "GET /healthz p50, same process and load (median)", value: stats(health.map((r) => r.p50)).median } });
        record(`load.${db}.recover.p99`, { samples: recover.map((r) => r.p99), note,
          ceiling: { label: "GET /healthz p99, same process and load (median)", value: mid(`load.${db}.healthz.p99`) } });
        record(`load.${db}.recoverPolicy.rps`, { samples: judged.map((r) => r.rps), unit: "req/s",
          note: `${note}; each request carries an intent judged by a policy rule with a 1 h window (bench/load.mjs LOAD_POLICY): usage read and written per request`,
          ceiling: { label: "GET /healthz, same process and load (median)", value: mid(`load.${db}.healthz.rps`) } });
        record(`load.${db}.recoverPolicy.p99`, { samples: judged.map((r) => r.p99), note,
          ceiling: { label: "GET /healthz p99, same process and load (median)", value: mid(`load.${db}.healthz.p99`) } });
        record(`load.${db}.recoverPolicy.errors`, { value: judged.reduce((a, r) => a + r.errors, 0), unit: "count",
          note: `of ${judged.reduce((a, r) => a + r.requests, 0)} requests${errorKinds(judged)}` });
        record(`load.${db}.recover.errors`, { value: recover.reduce((a, r) => a + r.errors, 0), unit: "count",
          note: `of ${recover.reduce((a, r) => a + r.requests, 0)} requests${errorKinds(recover)}` });
        record(`load.${db}.recover.rssMiB`, { value: Math.max(...recover.map((r) => r.rssMiB)), unit: "MiB", note: "peak VmRSS, sampled every 100 ms",
          ceiling: { label: "VmRSS of the same process idle, before the load", value: idleRss } });
      } finally {
        await hot.proc.stop();
      }
    }
  } finally {
    await pg.stop();
  }
  return runs;
}

/** What one DPoP proof check costs, from the service binary itself (µs per proof, per run). */
function measureDpop() {
  const bin = join(ROOT, "target", process.env.KEYFRAME_SERVICES_PROFILE ?? "release", "hot-storage-service");
  const out = [];
  for (let i = 0; i < N.loadRuns; i++) {
    const r = spawnSync(bin, ["measure-dpop", "--proofs", String(N.dpopProofs)], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`measure-dpop: ${r.stderr}`);
    out.push(JSON.parse(r.stdout).microsPerProof);
  }
  return out;
}

// ---- budgets and report ----------------------------------------------------------------

const fmt = (x, unit) => {
  if (x == null) return "–";
  if (unit === "bytes") return `${x.toLocaleString("en")} B (${(x / 1024).toFixed(1)} KiB)`;
  if (unit === "req/s") return `${Math.round(x).toLocaleString("en")} req/s`;
  if (unit === "ms") return `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`;
  if (unit === "MiB") return `${x.toFixed(1)} MiB`;
  if (unit === "µs") return `${x.toFixed(1)} µs`;
  return `${x}`;
};

function markdown(result) {
  const { machine: m, command, budgets: bs, sizes: sz } = result;
  const L = [];
  L.push("# Benchmark results", "");
  L.push(`Produced by \`${command}\` (bench/run.mjs; how to reproduce: bench/README.md).${result.smoke ? " **Smoke run: tiny counts, not meaningful.**" : ""}`, "");
  L.push(`* Date: ${m.date}`, `* Commit: ${m.commit}`, `* Machine: ${m.cores} cores, ${m.cpu}, ${m.memoryGiB} GiB RAM; ${m.os}; load average at start ${m.loadAverageAtStart}`,
    `* Node ${m.node}, Chromium ${result.chromium} (headless), wrk ${result.wrk ?? "?"}`, `* Duration of the run: ${result.durationSeconds} s`, "");
  L.push("## Budgets (docs/architecture.md §5)", "", "| budget | figure | value | met |", "|---|---|---|---|");
  for (const b of bs) {
    const unit = figures[b.figure]?.unit;
    L.push(`| ${b.name} ${b.budget} | \`${b.figure}\` (${b.stat === "value" ? "value" : b.stat === "median" ? "median" : b.stat}) | ${fmt(b.value, unit)} | ${b.met == null ? "not measured" : b.met ? "**met**" : "**not met**"} |`);
  }
  L.push("");
  const missed = bs.filter((b) => b.met === false);
  if (missed.length) {
    L.push("### Budgets not met, and why (in this run's figures; bench/budgets.mjs, `whyMissed`)", "");
    for (const b of missed) L.push(`* **${b.name} ${b.budget}**: ${b.why}`);
    L.push("");
  }
  L.push("## Figures", "", "Median, p99 and spread (p25–p75, min–max) over the samples; each figure beside its ceiling measured in the same run (ratio = figure ÷ ceiling; for throughput, ceiling ÷ figure).", "");
  L.push("| figure | n | median | p99 | p25–p75 | min–max | ceiling | ratio |", "|---|---|---|---|---|---|---|---|");
  for (const [key, f] of Object.entries(figures)) {
    const u = f.unit;
    const c = f.ceiling ? `${fmt(f.ceiling.value, u)} (${f.ceiling.label})` : "";
    if (f.n != null) {
      L.push(`| \`${key}\` ${f.label}${f.note ? ` — ${f.note}` : ""} | ${f.n} | ${fmt(f.median, u)} | ${fmt(f.p99, u)} | ${fmt(f.p25, u)}–${fmt(f.p75, u)} | ${fmt(f.min, u)}–${fmt(f.max, u)} | ${c} | ${f.ratio ?? ""} |`);
    } else {
      L.push(`| \`${key}\` ${f.label}${f.note ? ` — ${f.note}` : ""} | 1 | ${fmt(f.value, u)} | | | | ${c} | ${f.ratio ?? ""} |`);
    }
  }
  L.push("", "## Sizes", "", "| file | bytes | gzip -9 |", "|---|---|---|");
  for (const f of [...sz.files, ...(sz.second ?? []), sz.sdk]) L.push(`| ${f.file} | ${f.bytes.toLocaleString("en")} | ${f.gzip.toLocaleString("en")} |`);

  L.push(...wasmSizeMarkdown(result.wasmSize), ...peersMarkdown(result.peers, figures)); // bench/wasm-size.mjs, bench/peers.mjs
  L.push("", "## Method", "",
    "* **iFrame ready**: a dApp page on its own origin appends an `<iframe src=…/iframe.html>` and timestamps the iFrame's `ready` postMessage; the iframe is removed after each sample (fresh navigation every time; hot storage serves `no-store`). Ceiling: the same page loading a blank static page of the provider origin (`load` event).",
    "* **Signing**: a fresh browser profile, one wallet (automatic recovery), `signer.request` through the SDK; every signature shows the iFrame's approval screen and the driver clicks Approve inside the iFrame with real mouse events (bench/consent.mjs). `consent.*.painted` is the page's request → the screen painted in the iFrame (after its animation frame); `e2e` is the machine path, the click on Approve → the answer in the page, and `dispatch` the same inside the iFrame (the click → answer posted); `backToBack` is the whole request with the person's click, so it includes the 800 ms visibility wait. Times across page and iFrame use `performance.timeOrigin + now()`. The driver waits for the iFrame's `keyframe:refresh` measure between signatures, so the figures are refresh-excluded. `compute` is the iFrame's own `performance.measure` entry (signer-wasm/src/web/bench.rs). `sign.eth_signTransaction.allowed` is the same transaction once the user ticked \"Always allow\" for it on the screen (once, before the samples): no screen and no click, the page's request → the answer. Raw core: `benchCoreSign` in a same-origin page of the same browser, the same operation with no I/O.",
    "* **Recovery**: a new browser profile per sample calls `keyframe_recover` (password: Argon2id 64 MiB, t = 3, the password typed into the iFrame's screen by the driver and timed from the click on Approve to the answer in the page, so the person's typing is not counted; file: the same with the backup file the wallet was created with picked in the iFrame, Shield not asked; automatic: the dApp's recovery key, the request → the answer). Raw Argon2id: `benchArgon2`.",
    "* **Refresh cost**: Playwright `requestfinished` events of the iFrame frame during the timed `personal_sign` iterations, header + body bytes both ways.",
    "* **Load**: a hot-storage process of its own per database (rate limits off), one wallet per user for users signed up at the sample dApp (real JWTs), `wrk` with a Lua script sending `POST /v2/devices/recover` for the device's current share (what the iFrame sends before each signature), round-robin over users, each request with the user's hot-storage token bound to the client's key and a DPoP proof of its own (made by Node's WebCrypto just before the run; a proof is good once, so wrk gets a fixed supply, and a request beyond it is refused and counted as an error); `GET /healthz` of the same process under the same load as the ceiling. VmRSS sampled from /proc every 100 ms. PostgreSQL: a throwaway local cluster (initdb as the postgres user). wrk runs on the same cores as the server.",
    "");
  return L.join("\n");
}

// ---- main ---------------------------------------------------------------------------

async function main() {
  if (BUILD) {
    log("building (scripts/build.sh)");
    const r = spawnSync("bash", [join(ROOT, "scripts", "build.sh")], { stdio: "inherit" });
    if (r.status !== 0) throw new Error("build failed");
  }
  buildBenchModule();
  const m = machine();
  const tmp = await mkdtemp(join(tmpdir(), "keyframe-bench-"));
  const host = await serveStatic(join(ROOT, "bench", "pages"), { mounts: { "/sdk/": join(ROOT, "iframe-host", "sdk", "dist") } });
  let stack;
  const result = { smoke: SMOKE, command: `npm run bench${SMOKE ? " -- --smoke" : ""}`, machine: m };
  try {
    result.sizes = sizes();
    stack = await startStack({
      dataDir: join(tmp, "data"),
      staticDir: await staticDir(tmp),
      extraOrigins: [host.origin],
      env: { KEYFRAME_RATE_LIMIT_IP_PER_SECOND: "0", KEYFRAME_RATE_LIMIT_USER_PER_SECOND: "0", SAMPLE_DAPP_AUTH_IP_PER_MINUTE: "100000" },
    });
    Object.assign(result, await browserPart(stack, host, tmp));
    result.wrk = spawnSync("wrk", ["--version"], { encoding: "utf8" }).stdout?.split("\n")[0]?.replace(/^wrk\s*/, "").split(" ")[0];
    result.load = await loadPart(stack, tmp);
    record("dpop.verify", { samples: measureDpop(), unit: "µs", note: `${N.dpopProofs} proofs per run, the service binary's own build` });
  } finally {
    await stack?.stop();
    await host.close();
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
  }
  // Issue 15: where the WASM's bytes go, and the peers (after the stack stopped; never fail the run).
  result.wasmSize = await measureWasmSize({ root: ROOT, smoke: SMOKE, log });
  result.peers = await measurePeers({ root: ROOT, smoke: SMOKE, sizes: result.sizes, figures, launchBrowser, log });
  result.durationSeconds = Math.round((Date.now() - started) / 1000);
  result.counts = N;
  result.figures = figures;
  result.budgets = budgets(figures);
  await mkdir(OUT, { recursive: true });
  await writeFile(join(OUT, "results.json"), JSON.stringify(result, null, 2) + "\n");
  await writeFile(join(OUT, "RESULTS.md"), markdown(result));
  log(`wrote ${join(OUT, "RESULTS.md")} and results.json in ${result.durationSeconds} s`);
  for (const b of result.budgets) log(`${b.met == null ? "?" : b.met ? "met    " : "NOT MET"} ${b.name} ${b.budget}: ${b.value}`);
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
