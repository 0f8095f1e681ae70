// Host SDK tests in headless Chromium, against a fake iFrame written in JS
// (tests/fixtures/fake-iframe) on one origin and a dApp page on another
// (both 127.0.0.1: cross-origin, same site — docs/toolchain.md pitfall 6).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, launchBrowser, serveStatic } from "./support/index.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const FIXTURES = join(ROOT, "tests", "fixtures");
const ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

let browser, dapp, hostile, strictCsp, provider, rpc;
const allowedOrigins = [];

// Records every window.postMessage the dApp page makes (including on the
// cross-origin iFrame's WindowProxy, reached through a Proxy that the
// contentWindow getter and MessageEvent.source both return) with its
// targetOrigin.
function instrumentPostMessage() {
  if (window !== window.top) return; // init scripts run in every frame
  window.__posts = [];
  const record = (targetWindow, msg, opts) => {
    const targetOrigin = typeof opts === "string" ? opts : (opts && opts.targetOrigin) ?? "/";
    window.__posts.push({ targetOrigin, type: msg && msg.type, self: targetWindow === window });
  };
  const ownPost = window.postMessage.bind(window);
  window.postMessage = (msg, opts, transfer) => (record(window, msg, opts), ownPost(msg, opts, transfer));
  const proxies = new WeakMap();
  const wrap = (win) => {
    if (!win) return win;
    let p = proxies.get(win);
    if (!p) {
      const post = (msg, opts, transfer) => (record(win, msg, opts), win.postMessage(msg, opts, transfer));
      p = new Proxy(win, { get: (t, k) => (k === "postMessage" ? post : t[k]) });
      proxies.set(win, p);
    }
    return p;
  };
  const cw = Object.getOwnPropertyDescriptor(HTMLIFrameElement.prototype, "contentWindow");
  Object.defineProperty(HTMLIFrameElement.prototype, "contentWindow", {
    configurable: true,
    get() {
      return wrap(cw.get.call(this));
    },
  });
  const src = Object.getOwnPropertyDescriptor(MessageEvent.prototype, "source");
  Object.defineProperty(MessageEvent.prototype, "source", {
    configurable: true,
    get() {
      const s = src.get.call(this);
      const isWindow = s && s !== window && !(s instanceof MessagePort) && !(self.ServiceWorker && s instanceof ServiceWorker);
      return isWindow ? wrap(s) : s;
    },
  });
}

/** A fake JSON-RPC node (CORS open) that records what it was asked. */
async function startFakeRpc() {
  const calls = [];
  const state = { london: true };
  const answers = {
    eth_getTransactionCount: () => "0x7",
    eth_estimateGas: () => "0x5208",
    eth_getBlockByNumber: () => (state.london ? { number: "0x10", baseFeePerGas: "0x3b9aca00" } : { number: "0x10" }),
    eth_maxPriorityFeePerGas: () => "0x59682f00",
    eth_gasPrice: () => "0x77359400",
    eth_sendRawTransaction: () => "0x" + "cd".repeat(32),
    eth_getBalance: () => "0xde0b6b3a7640000",
    eth_blockNumber: () => "0x10",
  };
  const server = createServer((req, res) => {
    res.setHeader("access-control-allow-origin", "*");
    res.setHeader("access-control-allow-headers", "content-type");
    if (req.method === "OPTIONS") return res.writeHead(204).end();
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const { id, method, params } = JSON.parse(body);
      calls.push({ method, params });
      const fn = answers[method];
      const out = fn ? { jsonrpc: "2.0", id, result: fn(params) } : { jsonrpc: "2.0", id, error: { code: -32601, message: "method not found" } };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
    });
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${server.address().port}`, calls, state, close: () => new Promise((ok) => server.close(ok)) };
}

before(async () => {
  // Bundle the SDK exactly as shipped (dist/keyframe-sdk.min.js).
  execFileSync(process.execPath, [join(ROOT, "iframe-host/sdk/build.mjs"), "--no-tsc"], { stdio: "pipe" });
  const sdkDist = join(ROOT, "iframe-host/sdk/dist");
  // A page whose own CSP forbids every frame.
  const frameNone = { "content-security-policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; frame-src 'none'" };
  [dapp, hostile, strictCsp, browser, rpc] = await Promise.all([
    serveStatic(join(FIXTURES, "dapp"), { mounts: { "/sdk/": sdkDist } }),
    serveStatic(join(FIXTURES, "dapp"), { mounts: { "/sdk/": sdkDist } }),
    serveStatic(join(FIXTURES, "dapp"), { mounts: { "/sdk/": sdkDist }, headers: frameNone }),
    launchBrowser(),
    startFakeRpc(),
  ]);
  allowedOrigins.push(dapp.origin);
  provider = await serveStatic(join(FIXTURES, "fake-iframe"), {
    routes: { "/v2/config": () => ({ allowedOrigins }) },
  });
});

after(async () => {
  await browser?.close();
  await Promise.all([dapp?.close(), hostile?.close(), strictCsp?.close(), provider?.close(), rpc?.close()]);
});

/** A fresh browser context (fresh profile) with the dApp page loaded. */
async function openDapp(t, { origin = dapp.origin } = {}) {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.addInitScript(instrumentPostMessage);
  await page.goto(`${origin}/index.html`);
  await page.waitForFunction(() => document.body.dataset.ready === "1");
  return { page, errors };
}

/** Opens the dApp and creates a connected signer with `opts`. */
async function connected(t, opts = {}) {
  const env = await openDapp(t);
  await env.page.evaluate((o) => window.startSigner(o), { providerUrl: provider.origin, chainId: 31337, ...opts });
  return env;
}

const req = (page, method, params) => page.evaluate(([method, params]) => window.tryRequest({ method, params }), [method, params]);
const T = { timeout: 15_000 };
/** setAuth, then forget the accountsChanged it caused, so tests see only later events. */
const setAuth = (page, token) =>
  page.evaluate(async (token) => {
    await window.signer.setAuth(token);
    window.events.length = 0;
  }, token);
const iframeState = async (page) => (await req(page, "keyframe_test_state")).ok;

describe("Keyframe host SDK", () => {
  test("handshake, iFrame attributes and a request round trip", T, async (t) => {
    const { page, errors } = await connected(t);
    assert.deepEqual(await req(page, "eth_chainId"), { ok: "0x7a69" });
    assert.deepEqual(await req(page, "keyframe_ping"), { ok: "pong" });
    const frame = await page.evaluate(() => {
      const all = document.querySelectorAll("iframe");
      const f = all[0];
      const cs = getComputedStyle(f);
      return {
        count: all.length,
        src: f.getAttribute("src"),
        sandbox: f.getAttribute("sandbox"),
        allow: f.getAttribute("allow"),
        referrerpolicy: f.getAttribute("referrerpolicy"),
        title: f.getAttribute("title"),
        display: cs.display,
        position: cs.position,
        width: f.getBoundingClientRect().width,
        opacity: cs.opacity,
        pointerEvents: cs.pointerEvents,
      };
    });
    assert.deepEqual(frame, {
      count: 1,
      src: `${provider.origin}/iframe.html`,
      sandbox: "allow-scripts allow-same-origin allow-downloads",
      allow: "",
      referrerpolicy: "no-referrer",
      title: "Keyframe signer",
      display: "block", // not display:none (fixed positioning makes it block)
      position: "fixed",
      width: 0,
      opacity: "0",
      pointerEvents: "none",
    });
    const state = await iframeState(page);
    assert.equal(state.connects, 1);
    assert.equal(state.refusedConnects, 0);
    // The iFrame's load event (after its ready) must not look like a reload.
    await page.frames().find((f) => f.url().startsWith(provider.origin)).waitForLoadState("load");
    assert.deepEqual(await req(page, "keyframe_ping"), { ok: "pong" });
    assert.deepEqual(await page.evaluate(() => window.events), []);
    assert.deepEqual(errors, []);
  });

  test("errors: KeyframeError code/reason from the iFrame and host-side validation", T, async (t) => {
    const { page } = await connected(t);
    // From the iFrame.
    assert.deepEqual((await req(page, "personal_sign", ["0x68656c6c6f", ADDRESS])).err, {
      name: "KeyframeError",
      code: 4100,
      reason: "AUTH_REQUIRED",
      message: "call keyframe_setAuth first",
      isKeyframeError: true,
    });
    const fail = await req(page, "keyframe_test_fail", { code: -32603, reason: "SHARE_MISMATCH", message: "mismatch" });
    assert.equal(fail.err.code, -32603);
    assert.equal(fail.err.reason, "SHARE_MISMATCH");
    const expired = await page.evaluate(() => window.signer.setAuth("expired").then(() => null, (e) => [e.code, e.reason]));
    assert.deepEqual(expired, [4100, "AUTH_EXPIRED"]);
    // Host side, never posted.
    const before = (await iframeState(page)).calls.length;
    assert.equal((await req(page, "eth_frobnicate")).err.code, 4200);
    assert.equal((await req(page, "eth_sign", [ADDRESS, "0x00"])).err.code, 4200);
    const bad = await req(page, "personal_sign", ["0x00", "not-an-address"]);
    assert.equal(bad.err.code, -32602);
    assert.equal(bad.err.reason, "BAD_REQUEST");
    assert.equal((await req(page, "keyframe_createWallet", { recovery: { method: "magic" } })).err.code, -32602);
    assert.equal((await req(page, "eth_signTypedData_v4", [ADDRESS, "{not json"])).err.code, -32602);
    assert.equal((await req(page, "eth_getBalance", [ADDRESS, "latest"])).err.code, 4200, "no RPC URL, here or in the provider's list");
    assert.deepEqual(await req(page, "wallet_switchEthereumChain", [{ chainId: "0x7a69" }]), { ok: null });
    assert.deepEqual((await iframeState(page)).calls.slice(before), ["keyframe_chains", "keyframe_test_state"],
      "only the chain list (for an RPC URL) and keyframe_test_state reached the iFrame");
    // Reasons list exported.
    const reasons = await page.evaluate(() => [...window.Keyframe.KEYFRAME_REASONS]);
    assert.equal(reasons.length, 18);
    assert.ok(reasons.includes("UNSUPPORTED_BROWSER"));
    assert.ok(reasons.includes("SIGNER_UNAVAILABLE"));
    assert.ok(reasons.includes("STORAGE_UNAVAILABLE"));
    assert.ok(reasons.includes("AUTHORITY_REQUIRED"));
    assert.ok(reasons.includes("RNG_UNAVAILABLE"));
    assert.ok(reasons.includes("USER_REJECTED"));
    assert.ok(reasons.includes("UNSUPPORTED_CHAIN"));
  });

  test("params are normalised before posting (personal_sign text, typed data object)", T, async (t) => {
    const { page } = await connected(t);
    await setAuth(page, "token-n");
    assert.ok((await req(page, "personal_sign", ["hello", ADDRESS])).ok);
    assert.deepEqual((await iframeState(page)).lastParams, ["0x68656c6c6f", ADDRESS]);
    const typed = { types: { EIP712Domain: [] }, primaryType: "EIP712Domain", domain: {}, message: {} };
    await req(page, "eth_signTypedData_v4", [ADDRESS, typed]);
    assert.deepEqual((await iframeState(page)).lastParams, [ADDRESS, JSON.stringify(typed)]);
  });

  test("forged ready messages (wrong source or origin) are ignored", T, async (t) => {
    const { page } = await connected(t);
    const r = await page.evaluate(async () => {
      window.postMessage({ ns: "keyframe", type: "ready", version: 1 }, "*"); // source: the dApp window
      const other = document.createElement("iframe"); // a same-origin frame posting to its parent
      document.body.append(other);
      other.contentWindow.eval('parent.postMessage({ ns: "keyframe", type: "ready", version: 1 }, "*")');
      await new Promise((ok) => setTimeout(ok, 50));
      return { events: window.events.map((e) => e.ev), ping: await window.tryRequest({ method: "keyframe_ping" }) };
    });
    assert.deepEqual(r, { events: [], ping: { ok: "pong" } });
    assert.equal((await iframeState(page)).connects, 1);
  });

  test("a slow request times out alone when the iFrame still answers pings", T, async (t) => {
    const { page } = await connected(t, { timeouts: { keyframe_test_hang: 150, keyframe_ping: 500 } });
    const { loadId } = await iframeState(page);
    const r = await req(page, "keyframe_test_hang");
    assert.equal(r.err.code, -32603);
    assert.equal(r.err.reason, "TIMEOUT");
    assert.deepEqual(await req(page, "keyframe_ping"), { ok: "pong" });
    await page.evaluate(() => new Promise((ok) => setTimeout(ok, 50))); // let the liveness ping settle
    const s = await iframeState(page);
    assert.equal(s.loadId, loadId, "same iFrame document");
    assert.deepEqual(await page.evaluate(() => window.events), []);
  });

  test("a stuck iFrame: TIMEOUT, clean rebuild, setAuth replayed, disconnect then connect", T, async (t) => {
    const { page } = await connected(t, { timeouts: { keyframe_test_freeze: 150, keyframe_ping: 150 } });
    await setAuth(page, "token-1");
    const { loadId } = await iframeState(page);
    const result = await page.evaluate(async () => {
      const reconnected = window.nextEvent("connect");
      const other = window.tryRequest({ method: "keyframe_test_hang" }); // long default timeout
      const frozen = await window.tryRequest({ method: "keyframe_test_freeze" });
      const connectEvent = await reconnected;
      return { frozen, other: await other, connectEvent, events: window.events.map((e) => e.ev), frames: document.querySelectorAll("iframe").length };
    });
    assert.equal(result.frozen.err.code, -32603);
    assert.equal(result.frozen.err.reason, "TIMEOUT");
    assert.equal(result.other.err.code, 4900);
    assert.match(result.other.err.message, /disconnected/);
    assert.deepEqual(result.connectEvent, { chainId: "0x7a69" });
    assert.deepEqual(result.events, ["disconnect", "connect"]);
    assert.equal(result.frames, 1, "old iFrame removed");
    const s = await iframeState(page);
    assert.notEqual(s.loadId, loadId, "a new iFrame document");
    assert.equal(s.token, "token-1", "setAuth replayed");
    assert.equal(s.chainId, "0x7a69", "chain set on the new iFrame");
    assert.deepEqual(await req(page, "eth_accounts"), { ok: [ADDRESS] });
    assert.deepEqual(await page.evaluate(() => window.events.map((e) => e.ev)), ["disconnect", "connect"], "restore events not re-emitted");
  });

  test("getTokens: authorize() binds tokens to the iFrame's key, and a rebuild asks again for the new key", T, async (t) => {
    const { page } = await connected(t, { withTokens: true, timeouts: { keyframe_test_freeze: 150, keyframe_ping: 150 } });
    await page.evaluate(() => window.signer.authorize());
    const first = await iframeState(page);
    assert.deepEqual(await page.evaluate(() => window.tokenRequests), [`jkt-${first.loadId}`]);
    assert.equal(first.token, `hot-for-jkt-${first.loadId}`);
    assert.equal(first.shieldToken, `shield-for-jkt-${first.loadId}`);
    // A stuck iFrame is rebuilt: the new document has another key, so the
    // SDK asks for tokens bound to it instead of replaying the old ones.
    await page.evaluate(async () => {
      const reconnected = window.nextEvent("connect");
      await window.tryRequest({ method: "keyframe_test_freeze" });
      await reconnected;
    });
    const second = await iframeState(page);
    assert.notEqual(second.loadId, first.loadId);
    assert.deepEqual(await page.evaluate(() => window.tokenRequests), [`jkt-${first.loadId}`, `jkt-${second.loadId}`]);
    assert.equal(second.token, `hot-for-jkt-${second.loadId}`);
    // setAuth's params are checked before they reach the iFrame.
    const bad = await page.evaluate(() => window.signer.setAuth({ hot: "only-one" }).then(() => null, (e) => e.reason));
    assert.equal(bad, "BAD_REQUEST");
  });

  test("iFrame reload (ready before load): rebuild over the same iFrame, setAuth replayed", T, async (t) => {
    const { page } = await connected(t);
    await setAuth(page, "token-2");
    const { loadId } = await iframeState(page);
    const frameBefore = await page.evaluate(() => (window.firstFrame = document.querySelector("iframe")) && 1);
    assert.equal(frameBefore, 1);
    const result = await page.evaluate(async () => {
      const reconnected = window.nextEvent("connect");
      const hang = window.tryRequest({ method: "keyframe_test_hang" });
      await window.tryRequest({ method: "keyframe_test_reload" });
      await reconnected;
      return { hang: await hang, events: window.events.map((e) => e.ev), same: document.querySelector("iframe") === window.firstFrame };
    });
    assert.equal(result.hang.err.code, 4900);
    assert.deepEqual(result.events, ["disconnect", "connect"]);
    assert.equal(result.same, true);
    const s = await iframeState(page);
    assert.notEqual(s.loadId, loadId);
    assert.equal(s.token, "token-2");
    assert.equal(s.connects, 1);
    // A later load event of that same document must not tear the new connection down.
    await page.evaluate(() => new Promise((ok) => setTimeout(ok, 100)));
    assert.deepEqual(await req(page, "eth_accounts"), { ok: [ADDRESS] });
    assert.deepEqual(await page.evaluate(() => window.events.map((e) => e.ev)), ["disconnect", "connect"]);
  });

  test("iFrame reload (load before ready): disconnect on load, reconnect on ready", T, async (t) => {
    const { page } = await connected(t);
    await setAuth(page, "token-3");
    const result = await page.evaluate(async () => {
      const dis = window.nextEvent("disconnect");
      const con = window.nextEvent("connect");
      await window.tryRequest({ method: "keyframe_test_reload", params: { delayReady: 200 } });
      const d = await dis;
      const tDis = performance.now();
      await con;
      return { d, gap: performance.now() - tDis, events: window.events.map((e) => e.ev), raw: window.events };
    });
    assert.equal(result.d.code, 4900);
    assert.ok(result.gap >= 100, `connect came ${result.gap} ms after disconnect ${JSON.stringify(result.raw)}`);
    assert.deepEqual(result.events, ["disconnect", "connect"]);
    assert.equal((await iframeState(page)).token, "token-3");
  });

  test("requests made during a rebuild wait for the new connection", T, async (t) => {
    const { page } = await connected(t);
    await setAuth(page, "token-4");
    const r = await page.evaluate(async () => {
      const dis = window.nextEvent("disconnect");
      await window.tryRequest({ method: "keyframe_test_reload", params: { delayReady: 100 } });
      await dis;
      return window.tryRequest({ method: "eth_accounts" });
    });
    assert.deepEqual(r, { ok: [ADDRESS] });
  });

  test("EIP-6963: announce at creation and on requestProvider", T, async (t) => {
    const { page } = await connected(t, { name: "Keyframe Test", rdns: "dev.keyframe.test" });
    const r = await page.evaluate(() => {
      const first = window.announced.slice();
      window.dispatchEvent(new Event("eip6963:requestProvider"));
      const d = window.announced[window.announced.length - 1];
      return {
        count1: first.length,
        count2: window.announced.length,
        info: d.info,
        frozen: Object.isFrozen(d) && Object.isFrozen(d.info),
        same: d.provider === window.signer.provider && first[0].provider === window.signer.provider,
        isKeyframe: d.provider.isKeyframe,
      };
    });
    assert.equal(r.count1, 1);
    assert.equal(r.count2, 2);
    assert.equal(r.frozen, true);
    assert.equal(r.same, true);
    assert.equal(r.isKeyframe, true);
    assert.equal(r.info.name, "Keyframe Test");
    assert.equal(r.info.rdns, "dev.keyframe.test");
    assert.match(r.info.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(r.info.icon, /^data:image\//);
    // announce: false → silent; destroy → stops answering.
    const r2 = await page.evaluate(async (providerUrl) => {
      const n0 = window.announced.length;
      const quiet = await window.Keyframe.createSigner({ providerUrl, chainId: 31337, announce: false });
      const n1 = window.announced.length;
      window.signer.destroy();
      quiet.destroy();
      window.dispatchEvent(new Event("eip6963:requestProvider"));
      return [n1 - n0, window.announced.length - n1];
    }, provider.origin);
    assert.deepEqual(r2, [0, 0]);
  });

  test("eth_sendTransaction: fill via rpcUrl, sign in the iFrame, broadcast", T, async (t) => {
    const { page } = await connected(t, { rpcUrl: rpc.url });
    await setAuth(page, "token-5");
    rpc.calls.length = 0;
    rpc.state.london = true;
    const to = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const r = await req(page, "eth_sendTransaction", [{ from: ADDRESS, to, value: "0x1" }]);
    assert.deepEqual(r, { ok: "0x" + "cd".repeat(32) });
    const methods = rpc.calls.map((c) => c.method);
    assert.deepEqual(methods.slice(0, 3).sort(), ["eth_estimateGas", "eth_getBlockByNumber", "eth_getTransactionCount"]);
    assert.deepEqual(methods.slice(3), ["eth_maxPriorityFeePerGas", "eth_sendRawTransaction"]);
    assert.deepEqual(rpc.calls.find((c) => c.method === "eth_getTransactionCount").params, [ADDRESS, "pending"]);
    const raw = rpc.calls.at(-1).params[0];
    const signed = JSON.parse(Buffer.from(raw.slice(2), "hex").toString("utf8"));
    assert.deepEqual(signed, {
      from: ADDRESS,
      to,
      value: "0x1",
      chainId: "0x7a69",
      nonce: "0x7",
      gas: "0x5208",
      maxPriorityFeePerGas: "0x59682f00",
      maxFeePerGas: "0x" + (2n * 1_000_000_000n + 1_500_000_000n).toString(16),
      type: "0x2",
    });
    assert.ok((await iframeState(page)).calls.includes("eth_signTransaction"));

    // A pre-London chain: legacy gasPrice; `from` taken from eth_accounts.
    rpc.calls.length = 0;
    rpc.state.london = false;
    const r2 = await req(page, "eth_sendTransaction", [{ to, value: "0x2", nonce: "0x9" }]);
    assert.ok(r2.ok);
    const legacy = JSON.parse(Buffer.from(rpc.calls.at(-1).params[0].slice(2), "hex").toString("utf8"));
    assert.equal(legacy.gasPrice, "0x77359400");
    assert.equal(legacy.type, "0x0");
    assert.equal(legacy.nonce, "0x9");
    assert.equal(legacy.from, ADDRESS);
    assert.ok(!rpc.calls.some((c) => c.method === "eth_getTransactionCount"));

    // Wrong chain refused before signing; reads forwarded to the node.
    assert.equal((await req(page, "eth_sendTransaction", [{ to, chainId: "0x1" }])).err.code, 4901);
    assert.deepEqual(await req(page, "eth_getBalance", [ADDRESS, "latest"]), { ok: "0xde0b6b3a7640000" });
    assert.equal((await req(page, "eth_frobnicate", [])).err.code, -32601, "unknown eth_* goes to the node, which refuses it");
  });

  test("chains: a switch follows the iFrame (list, RPC URL, transactions, rebuild); wallet_addEthereumChain only for listed chains", T, async (t) => {
    const { page } = await connected(t, { rpcUrls: { 1: rpc.url } });
    await setAuth(page, "token-chains");
    assert.equal((await req(page, "eth_getBalance", [ADDRESS, "latest"])).err.code, 4200, "the local chain has no RPC URL here");
    // The iFrame enforces the provider's list; the signer stays where it is.
    const unlisted = await req(page, "wallet_switchEthereumChain", [{ chainId: "0x5" }]);
    assert.deepEqual([unlisted.err.code, unlisted.err.reason], [4902, "UNSUPPORTED_CHAIN"]);
    assert.deepEqual(await req(page, "eth_chainId"), { ok: "0x7a69" });
    assert.equal((await req(page, "wallet_switchEthereumChain", [{ chainId: 1 }])).err.code, -32602);

    const events = await page.evaluate(async () => {
      window.events.length = 0;
      const changed = window.nextEvent("chainChanged");
      await window.tryRequest({ method: "wallet_switchEthereumChain", params: [{ chainId: "0x1" }] });
      await changed;
      return window.events;
    });
    assert.deepEqual(events.map((e) => [e.ev, e.data]), [["chainChanged", "0x1"]]);
    assert.deepEqual(await req(page, "eth_chainId"), { ok: "0x1" });
    // Reads and sends now use chain 1's RPC URL, and transactions its id.
    rpc.calls.length = 0;
    rpc.state.london = true;
    assert.deepEqual(await req(page, "eth_getBalance", [ADDRESS, "latest"]), { ok: "0xde0b6b3a7640000" });
    const sent = await req(page, "eth_sendTransaction", [{ from: ADDRESS, to: ADDRESS, value: "0x1" }]);
    assert.ok(sent.ok, JSON.stringify(sent));
    assert.equal(JSON.parse(Buffer.from(rpc.calls.at(-1).params[0].slice(2), "hex").toString("utf8")).chainId, "0x1");
    assert.equal((await req(page, "eth_sendTransaction", [{ to: ADDRESS, chainId: "0x7a69" }])).err.code, 4901);
    // EIP-3085: the provider's list only.
    assert.deepEqual(await req(page, "wallet_addEthereumChain", [{ chainId: "0x7a69", chainName: "Local" }]), { ok: null });
    const foreign = await req(page, "wallet_addEthereumChain", [{ chainId: "0x5", chainName: "Goerli", rpcUrls: ["https://example.invalid"] }]);
    assert.deepEqual([foreign.err.code, foreign.err.reason], [4902, "UNSUPPORTED_CHAIN"]);
    assert.match(foreign.err.message, /0x5.*operator/);
    assert.equal((await req(page, "wallet_addEthereumChain", [{}])).err.code, -32602);
    // A rebuilt iFrame starts on the chain switched to, without a screen.
    await page.evaluate(async () => {
      const reconnected = window.nextEvent("connect");
      await window.tryRequest({ method: "keyframe_test_reload" });
      await reconnected;
    });
    assert.equal((await iframeState(page)).chainId, "0x1");
    assert.deepEqual(await req(page, "eth_chainId"), { ok: "0x1" });
    // And back: the starting chain again has no RPC URL.
    assert.deepEqual(await req(page, "wallet_switchEthereumChain", [{ chainId: "0x7a69" }]), { ok: null });
    assert.equal((await req(page, "eth_getBalance", [ADDRESS, "latest"])).err.code, 4200);
  });

  test("accountsChanged / chainChanged notifications are re-emitted as EIP-1193 events", T, async (t) => {
    const { page } = await connected(t);
    const onAuth = await page.evaluate(async () => {
      const acc = window.nextEvent("accountsChanged");
      await window.signer.setAuth("token-e");
      const got = await acc;
      window.events.length = 0;
      return got;
    });
    assert.deepEqual(onAuth, [ADDRESS]);
    const got = await page.evaluate(async () => {
      const acc = window.nextEvent("accountsChanged");
      const chain = window.nextEvent("chainChanged");
      await window.tryRequest({ method: "keyframe_test_emit", params: { type: "accountsChanged", data: ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"] } });
      await window.tryRequest({ method: "keyframe_test_emit", params: { type: "chainChanged", data: "0x1" } });
      await window.tryRequest({ method: "keyframe_test_emit", params: { type: "bogus", data: 1 } });
      return { acc: await acc, chain: await chain, events: window.events.map((e) => e.ev) };
    });
    assert.deepEqual(got, {
      acc: ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"],
      chain: "0x1",
      events: ["accountsChanged", "chainChanged"],
    });
  });

  test("the host never posts with '*'; only to the provider's exact origin", T, async (t) => {
    const { page } = await connected(t, { timeouts: { keyframe_test_freeze: 100, keyframe_ping: 100 } });
    // Through a reload and a rebuild, too.
    await page.evaluate(async () => {
      let c = window.nextEvent("connect");
      await window.tryRequest({ method: "keyframe_test_reload" });
      await c;
      c = window.nextEvent("connect");
      await window.tryRequest({ method: "keyframe_test_freeze" });
      await c;
    });
    const posts = await page.evaluate(() => window.__posts);
    assert.equal(posts.filter((p) => p.type === "connect").length, 3, "three handshakes recorded");
    for (const p of posts) assert.equal(p.targetOrigin, provider.origin);
  });

  test("keyframe_ui shows the iFrame as a modal overlay and hides it again", T, async (t) => {
    const { page } = await connected(t);
    const look = () =>
      page.evaluate(() => {
        const f = document.querySelector("iframe");
        const r = f.getBoundingClientRect();
        const cs = getComputedStyle(f);
        return {
          w: Math.round(r.width),
          h: Math.round(r.height),
          centered: Math.abs(r.left + r.width / 2 - innerWidth / 2) < 2 && Math.abs(r.top + r.height / 2 - innerHeight / 2) < 2,
          opacity: cs.opacity,
          pointerEvents: cs.pointerEvents,
          z: cs.zIndex,
          backdrop: document.querySelectorAll("[data-keyframe-backdrop]").length,
        };
      });
    await req(page, "keyframe_test_ui", { visible: true });
    await page.waitForFunction(() => document.querySelector("[data-keyframe-backdrop]"));
    assert.deepEqual(await look(), { w: 420, h: 520, centered: true, opacity: "1", pointerEvents: "auto", z: "2147483647", backdrop: 1 });
    await req(page, "keyframe_test_ui", { visible: false });
    await page.waitForFunction(() => !document.querySelector("[data-keyframe-backdrop]"));
    const hidden = await look();
    assert.equal(hidden.w, 0);
    assert.equal(hidden.opacity, "0");
    assert.equal(hidden.pointerEvents, "none");
  });

  /** createSigner with a short ready timeout, from `origin`; the rejection's fields. */
  async function failedConnect(t, origin, providerUrl) {
    const { page } = await openDapp(t, { origin });
    return page.evaluate(async (providerUrl) => {
      const t0 = performance.now();
      try {
        await window.Keyframe.createSigner({ providerUrl, chainId: 31337, readyTimeoutMs: 400 });
        return { ok: true };
      } catch (e) {
        const { code, reason, message, data } = e;
        return { code, reason, message, data, ms: performance.now() - t0, frames: document.querySelectorAll("iframe").length };
      }
    }, providerUrl);
  }

  test("a dApp origin that is not allowed never gets ready: createSigner rejects naming the origin and the setting, iFrame removed", T, async (t) => {
    const r = await failedConnect(t, hostile.origin, provider.origin);
    assert.equal(r.code, 4900);
    assert.equal(r.reason, "TIMEOUT");
    assert.ok(r.ms >= 380 && r.ms < 3000, `${r.ms} ms`);
    assert.equal(r.frames, 0);
    assert.deepEqual(r.data, { cause: "ORIGIN_NOT_ALLOWED", origin: hostile.origin, providerOrigin: provider.origin });
    assert.ok(r.message.startsWith("the Keyframe iFrame did not connect within 400 ms: "), r.message);
    assert.ok(r.message.includes(`this page's origin ${hostile.origin} is probably not on the provider's allowed origins`), r.message);
    assert.ok(r.message.includes(`KEYFRAME_ALLOWED_ORIGINS=${hostile.origin} npm start`), r.message);
    assert.ok(r.message.includes(`--allowed-origins ${hostile.origin}`), r.message);
    // The provider answered the probe, so it is not blamed.
    assert.ok(!r.message.includes("unreachable"), r.message);
  });

  test("a provider that does not answer: the error says it is unreachable", T, async (t) => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const r = await failedConnect(t, dapp.origin, closed);
    assert.equal(r.code, 4900);
    assert.equal(r.reason, "TIMEOUT");
    assert.ok(r.ms >= 380 && r.ms < 3000, `${r.ms} ms`);
    assert.equal(r.data.cause, "PROVIDER_UNREACHABLE");
    assert.ok(r.message.includes(`the provider ${closed} is unreachable`), r.message);
    assert.ok(!r.message.includes("allowed origins"), r.message);
  });

  test("a browser without WebAssembly SIMD (or without WebAssembly): createSigner rejects at once with UNSUPPORTED_BROWSER and creates no iFrame", T, async (t) => {
    const { page } = await openDapp(t, { origin: dapp.origin });
    const r = await page.evaluate(async (providerUrl) => {
      const attempt = async () => {
        const t0 = performance.now();
        try {
          await window.Keyframe.createSigner({ providerUrl, chainId: 31337, readyTimeoutMs: 5000 });
          return { ok: true };
        } catch (e) {
          return { code: e.code, reason: e.reason, message: e.message, ms: performance.now() - t0, frames: document.querySelectorAll("iframe").length };
        }
      };
      const real = WebAssembly;
      const validate = WebAssembly.validate;
      // An engine from before SIMD: it refuses any module with an opcode
      // of the SIMD prefix (0xfd) and validates the rest as usual.
      WebAssembly.validate = (bytes) => !new Uint8Array(bytes).includes(0xfd) && validate.call(real, bytes);
      const noSimd = await attempt();
      WebAssembly.validate = validate;
      globalThis.WebAssembly = undefined;
      const noWasm = await attempt();
      globalThis.WebAssembly = real;
      return { noSimd, noWasm };
    }, provider.origin);
    for (const [name, x] of Object.entries(r)) {
      assert.equal(x.code, 4900, name);
      assert.equal(x.reason, "UNSUPPORTED_BROWSER", name);
      assert.ok(x.message.includes("WebAssembly with SIMD") && x.message.includes("Safari 16.4+"), x.message);
      assert.ok(x.ms < 380, `${name}: rejected at once, not after a timeout (${x.ms} ms)`);
      assert.equal(x.frames, 0, `${name}: no iFrame created`);
    }
  });

  test("a page CSP that blocks frame-src: the error says so", T, async (t) => {
    const r = await failedConnect(t, strictCsp.origin, provider.origin);
    assert.equal(r.code, 4900);
    assert.equal(r.reason, "TIMEOUT");
    assert.equal(r.data.cause, "CSP_BLOCKED");
    assert.ok(r.message.includes(`this page's Content-Security-Policy blocks framing ${provider.origin}`), r.message);
    assert.ok(r.message.includes("frame-src"), r.message);
  });

  test("destroy(): pending requests fail with 4900, the iFrame is removed, later requests fail", T, async (t) => {
    const { page } = await connected(t);
    const r = await page.evaluate(async () => {
      const dis = window.nextEvent("disconnect");
      const pending = window.tryRequest({ method: "keyframe_test_hang" });
      await window.tryRequest({ method: "keyframe_ping" }); // the hang request is posted
      window.signer.destroy();
      return { pending: await pending, dis: await dis, later: await window.tryRequest({ method: "eth_chainId" }), frames: document.querySelectorAll("iframe").length };
    });
    assert.equal(r.pending.err.code, 4900);
    assert.equal(r.dis.code, 4900);
    assert.equal(r.later.err.code, 4900);
    assert.equal(r.frames, 0);
  });
});
