// Hot storage under load, for `npm run bench` (bench/run.mjs's loadPart):
// wrk and a throwaway PostgreSQL cluster, a hot-storage process of its own
// with rate limits off, wallets seeded through the API, and wrk's Lua
// scripts. Measures nothing itself; run.mjs records the figures.
import { spawn, spawnSync, execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../scripts/stack.mjs";
import { freePort, startProcess } from "../tests/support/index.mjs";
import { dpopFetch, dpopKey } from "../tests/support/dpop.mjs";
import { keyframeTokens } from "../tests/support/e2e.mjs";

export function ensureWrk() {
  if (spawnSync("wrk", ["--version"]).error === undefined) return;
  console.error("[bench] installing wrk (Debian package) for the load test");
  const asRoot = process.getuid?.() === 0 ? [] : ["sudo"];
  const run = (args) => spawnSync(asRoot.length ? asRoot[0] : args[0], asRoot.length ? args : args.slice(1), { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (run(["apt-get", "install", "-y", "-qq", "wrk"]).status !== 0) {
    run(["apt-get", "update", "-qq"]);
    if (run(["apt-get", "install", "-y", "-qq", "wrk"]).status !== 0) throw new Error("could not install wrk (apt-get install -y wrk)");
  }
}

const pgBin = () => {
  const base = "/usr/lib/postgresql";
  const v = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a))[0] : null;
  return v ? join(base, v, "bin") : null;
};

/** A throwaway PostgreSQL cluster, as the Rust tests start one (runuser -u postgres as root). */
export async function startPostgres(tmp) {
  const bin = pgBin();
  if (!bin) throw new Error("PostgreSQL is not installed (apt-get install -y postgresql)");
  const root = process.getuid?.() === 0;
  // Its own folder directly under the temp dir: the postgres user must reach it.
  const dir = await mkdtemp(join(tmpdir(), "keyframe-bench-pg-"));
  await mkdir(join(dir, "sock"), { recursive: true });
  if (root) execFileSync("chown", ["-R", "postgres:postgres", dir]);
  const asPg = (prog, args) => execFileSync(root ? "runuser" : join(bin, prog), root ? ["-u", "postgres", "--", join(bin, prog), ...args] : args, { stdio: ["ignore", "ignore", "pipe"] });
  asPg("initdb", ["-D", join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  asPg("pg_ctl", ["-D", join(dir, "data"), "-o", `-c listen_addresses=127.0.0.1 -p ${port} -k ${join(dir, "sock")} -c max_connections=200`,
    "-w", "-l", join(dir, "log"), "start"]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      try { asPg("pg_ctl", ["-D", join(dir, "data"), "-m", "fast", "stop"]); } catch {}
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The operator policy of the load test: an `allow` rule with a rolling
 * window over the bench's intents, so every recover with an intent is
 * judged, reads the user's usage in the window and records its own
 * (issue 12's budget: "recover with a policy and a window").
 */
export const LOAD_POLICY = {
  version: 1,
  default: "ask",
  rules: [
    { id: "no-mainnet", effect: "deny", when: { chains: [1] } },
    {
      id: "bench-window", effect: "allow", when: { kinds: ["evm_message"], chains: [31337] },
      limits: [{ window: "1h", count_at_most: 1000000000 }],
    },
  ],
};

/** A hot-storage process of its own for the load test, rate limits off. */
export async function startHot(stack, tmp, name, databaseUrl) {
  const policyFile = join(tmp, `policy-${name}.json`);
  await writeFile(policyFile, JSON.stringify(LOAD_POLICY));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = await startProcess(join(ROOT, "target", process.env.KEYFRAME_SERVICES_PROFILE ?? "release", "hot-storage-service"), [
    "--jwks-url", `http://127.0.0.1:${stack.ports.dapp}/.well-known/jwks.json`,
    "--jwt-issuer", stack.urls.dapp, "--dev",
    "--listen", `127.0.0.1:${port}`, "--public-url", url, "--data-dir", join(tmp, `hot-${name}`),
    "--allowed-origins", stack.urls.dapp, "--shield-url", stack.urls.shield,
    "--static-dir", join(ROOT, "iframe-host"),
    "--policy-file", policyFile,
    ...(databaseUrl ? ["--database-url", databaseUrl] : []),
  ], { readyUrl: `${url}/healthz`, echo: !!process.env.HOT_ECHO, env: { RUST_LOG: process.env.HOT_RUST_LOG ?? "warn", KEYFRAME_RATE_LIMIT_IP_PER_SECOND: "0", KEYFRAME_RATE_LIMIT_USER_PER_SECOND: "0" } });
  return { url, port, proc };
}

const hex = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (x) => x.toString(16).padStart(2, "0")).join("");
const uuid = () => crypto.randomUUID();

/**
 * One wallet per user, created through the API with opaque share blobs of
 * the real size, by a client with its own DPoP key and the user's hot-storage
 * token bound to it (what the iFrame holds): `{ key, token, body }` each.
 */
export async function seedWallets(stack, hot, users) {
  const items = [];
  for (const u of users) {
    const key = await dpopKey();
    const { hot: token } = await keyframeTokens(stack, u.token, key.jkt);
    const wallet = uuid(), device = uuid(), split = hex(16);
    const blob = () => Buffer.from(crypto.getRandomValues(new Uint8Array(110))).toString("base64");
    const body = {
      wallet, kind: "mnemonic",
      addresses: { evm: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", solana: "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM" },
      primary: { split: hex(16), share: blob() },
      device: { device, split, share: blob(), ephemeral: false, label: "bench" },
    };
    const json = { "content-type": "application/json" };
    const res = await dpopFetch(key, `${hot.url}/v2/devices/create`, token, { method: "POST", headers: json, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`create wallet: ${res.status} ${await res.text()}`);
    // What the iFrame sends before every signature: the device's current share.
    const recover = JSON.stringify({ wallet, device, version: 0, split });
    const check = await dpopFetch(key, `${hot.url}/v2/devices/recover`, token, { method: "POST", headers: json, body: recover });
    if (check.status !== 200) throw new Error(`recover: ${check.status} ${await check.text()}`);
    // The same with the intent of the signature, as the iFrame sends it
    // since the policy is enforced twice (docs/policy.md): allowed by
    // LOAD_POLICY's rule, so no screen was shown (`on_screen: false`).
    const judged = JSON.stringify({ wallet, device, version: 0, split, intent: { kind: "evm_message", chain: 31337, origin: stack.urls.dapp }, on_screen: false });
    const checkJudged = await dpopFetch(key, `${hot.url}/v2/devices/recover`, token, { method: "POST", headers: json, body: judged });
    if (checkJudged.status !== 200) throw new Error(`recover with an intent: ${checkJudged.status} ${await checkJudged.text()}`);
    items.push({ key, token, body: recover, judged });
  }
  return items;
}

const luaString = (s) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
/**
 * The wrk script for `/healthz` (`items` null) or for `POST
 * /v2/devices/recover` as the iFrame sends it, round-robin over users.
 * A DPoP proof is good once, and Lua cannot sign P-256, so the script
 * carries `proofs` requests, each with its own fresh proof (made just
 * before the run); thread k of `threads` sends the k-th of every `threads`
 * requests. Should wrk send more, the reused proofs are refused and
 * counted as errors. `field` picks the body: `body` (a plain recover) or
 * `judged` (with an intent).
 *
 * `iat` must be within the service's window (60 s each way) when a proof
 * is checked, and making 128,000 proofs takes 22 s on a quiet 2-core
 * machine and more than twice that on a busy one: stamped with the time
 * they were made, the first proofs were over a minute old by the time wrk
 * (after parsing the script) sent them, and were refused (63,128 of
 * 102,264 requests in one `npm run bench` run, 5 December). A client makes
 * each proof just before its request; every proof here is stamped
 * `IAT_AHEAD_S` past the moment the script is started, the middle of the
 * span in which it is sent. The service's work per proof does not depend
 * on `iat`, but when its replay record is pruned does: a round's records
 * expire together about 90 s after the round's script is made, and their
 * prune falls into whichever round runs then (docs/services.md, "Eleventh
 * pass"). A proof still refused is counted by kind (`errorKinds` of
 * `wrk`), and a load with any error meets none of its budgets (bench/budgets.mjs).
 */
const IAT_AHEAD_S = 30;
export async function wrkScript(tmp, hot, items, proofs = 0, threads = 1, field = "body") {
  const file = join(tmp, `${items ? `recover-${field}` : "healthz"}-${hot.port}.lua`);
  // The start line: one empty folder per script, where each thread leaves a
  // file once its init is done. wrk starts each thread as soon as its own
  // init is done, while the next thread's init (seconds for recover: tens
  // of thousands of requests to build) is still running, and counts what
  // the early threads complete meanwhile against a duration that starts
  // after the last thread: recover's rate came out about a quarter too
  // high against /healthz's (whose init is empty), and the first thread
  // outran its share of the proofs. No thread sends before every thread is
  // ready; /healthz's script waits the same way, so both pay for the same
  // per-request hook (wrk calls `delay` before every request).
  const ready = await mkdtemp(join(tmp, "wrk-ready-"));
  const startLine = `
function setup(thread)
  thread:set("id", setup_count)
  setup_count = setup_count + 1
end
setup_count = 0
local function mark_ready()
  local f = assert(io.open(${luaString(ready)} .. "/" .. (id or 0), "w"))
  f:close()
end
local started = false
function delay()
  if started then return 0 end
  for k = 0, ${threads} - 1 do
    local f = io.open(${luaString(ready)} .. "/" .. k, "r")
    if not f then return 2 end
    f:close()
  end
  started = true
  return 0
end`;
  const done = `
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end`;
  if (!items) {
    await writeFile(file, `${startLine}
function init(args)
  mark_ready()
end
${done}`);
    return file;
  }
  const url = `${hot.url}/v2/devices/recover`;
  const rows = [];
  const iat = Math.floor(Date.now() / 1000) + IAT_AHEAD_S;
  for (let k = 0; k < proofs; k++) {
    const it = items[k % items.length];
    rows.push(`  { ${luaString(it.token)}, ${luaString(await it.key.proof("POST", url, it.token, iat))}, ${luaString(it[field])} },`);
  }
  // A Lua function holds at most 65,536 constants and every proof is one:
  // the table is built by functions of at most CHUNK rows each.
  const CHUNK = 20000;
  const chunks = [];
  for (let k = 0; k < rows.length; k += CHUNK) {
    chunks.push(`add((function() return {\n${rows.slice(k, k + CHUNK).join("\n")}\n} end)())`);
  }
  const lua = `-- POST /v2/devices/recover as the iFrame sends it: a fresh DPoP proof each.
local items = {}
local function add(t) for _, it in ipairs(t) do items[#items + 1] = it end end
${chunks.join("\n")}
local reqs = {}
local i = 0
${startLine}
function init(args)
  for k, it in ipairs(items) do
    reqs[k] = wrk.format("POST", "/v2/devices/recover", {
      ["Host"] = "127.0.0.1:${hot.port}",
      ["Content-Type"] = "application/json",
      ["Authorization"] = "DPoP " .. it[1],
      ["DPoP"] = it[2],
    }, it[3])
  end
  i = (id or 0) + 1 - ${threads}
  mark_ready()
end
function request()
  i = i + ${threads}
  if i > #reqs then i = i - #reqs end
  return reqs[i]
end
${done}`;
  await writeFile(file, lua);
  return file;
}

export function rss(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch { return null; }
}

/** Runs wrk for `seconds` and samples the server's VmRSS meanwhile. */
export async function wrk(url, script, seconds, pid, { threads, conns }) {
  let peak = 0;
  const timer = setInterval(() => { const r = rss(pid); if (r > peak) peak = r; }, 100);
  const out = await new Promise((ok, fail) => {
    const child = spawn("wrk", ["-t", String(threads), "-c", String(conns), "-d", `${seconds}s`, "--timeout", "5s", "-s", script, url],
      { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (d) => (text += d));
    child.stderr.on("data", (d) => (text += d));
    child.on("error", fail);
    child.on("close", (code) => (code === 0 ? ok(text) : fail(new Error(`wrk exited ${code}: ${text}`))));
  });
  clearInterval(timer);
  const line = out.split("\n").find((l) => l.startsWith("WRKJSON "));
  if (!line) throw new Error(`no result from wrk: ${out}`);
  const r = JSON.parse(line.slice(8));
  return { rps: r.requests / (r.duration_us / 1e6), p50: r.p50_us / 1000, p99: r.p99_us / 1000,
    errors: r.connect + r.read + r.write + r.status + r.timeout, requests: r.requests, rssMiB: peak,
    errorKinds: { connect: r.connect, read: r.read, write: r.write, status: r.status, timeout: r.timeout } };
}
