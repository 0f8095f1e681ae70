// Chains and tokens as the provider's configuration (docs/api.md, "Chains",
// "GET /v2/config", "GET /v2/tokens"), in headless
// Chromium against the real services started with a token list of the
// test's own (`--tokens`, through HOT_STORAGE_TOKENS_FILE): the iFrame
// switches only to listed chains, asks before the first switch to each
// one (also the first switch of a document), and names a listed token on
// the approval screen. Approvals are clicks on "Approve" inside the iFrame.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { encodeFunctionData, erc20Abi } from "viem";
import {
  authorize, approveButton, approveNext, callUnattended, ok, openHost, passwordRecovery, signerFrame, signUp,
} from "./support/e2e.mjs";
import { startHarness } from "./support/harness.mjs";

// Longer than the screen's 800 ms wait, so "still pending" means something.
const WAIT_MS = 1_500;
// A token only the test's list knows, on the local chain (no contract is
// needed there: the transaction is only signed).
const TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const TOKENS = {
  name: "Keyframe test tokens",
  tokens: [{ chainId: 31337, address: TOKEN, symbol: "KFT", decimals: 6, name: "Keyframe Test Token" }],
};

let harness, stack, browser, host, dataDir;

before(async () => {
  ({ stack, browser, host, dataDir } = harness = await startHarness("chains", {
    prepare: async (dir) => {
      const tokensFile = join(dir, "tokens.json");
      await writeFile(tokensFile, JSON.stringify(TOKENS));
      return { env: { HOT_STORAGE_TOKENS_FILE: tokensFile } };
    },
  }));
});


after(async () => {
  await harness?.close();
});


/** A promise with a flag saying whether it settled. */
function track(promise) {
  const t = { settled: false };
  t.promise = promise.finally(() => (t.settled = true));
  return t;
}

/**
 * A host that skips the SDK: mounts the iFrame, connects with `connect`
 * (plus `extra`, e.g. `{ chainId }`) and exposes `raw(method, params)`.
 */
async function rawHost(extra = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${host.origin}/index.html`);
  await page.waitForFunction(() => window.hostReady === true);
  await page.evaluate(async ([providerUrl, extra]) => {
    const f = document.createElement("iframe");
    f.setAttribute("data-keyframe", "raw");
    Object.assign(f.style, { position: "fixed", top: "40px", left: "40px", width: "420px", height: "520px", border: "0" });
    const origin = new URL(providerUrl).origin;
    const ready = new Promise((resolve) => window.addEventListener("message", (e) => {
      if (e.source === f.contentWindow && e.data?.type === "ready") resolve();
    }));
    f.src = `${providerUrl}/iframe.html`;
    document.body.appendChild(f);
    await ready;
    const { port1, port2 } = new MessageChannel();
    const pending = new Map();
    let id = 0;
    window.rawEvents = [];
    const onAnswer = (e) => {
      if (e.data?.method === "keyframe_event") window.rawEvents.push(e.data.params);
      pending.get(e.data?.id)?.(e.data);
    };
    window.raw = (method, params) => new Promise((resolve) => {
      id += 1;
      pending.set(id, (m) => resolve(m.error ? { ok: false, code: m.error.code, reason: m.error.data?.reason } : { ok: true, result: m.result }));
      port1.postMessage({ jsonrpc: "2.0", id, method, params });
    });
    const connected = new Promise((resolve) => { port1.onmessage = () => { port1.onmessage = onAnswer; resolve(); }; });
    f.contentWindow.postMessage({ ns: "keyframe", type: "connect", version: 1, ...extra }, origin, [port2]);
    await connected;
  }, [stack.urls.provider, extra]);
  const raw = (method, params) => page.evaluate(([m, p]) => window.raw(m, p), [method, params]);
  return { context, page, raw };
}

describe("the provider serves its chain list and the operator's token list", () => {
  test("/v2/config lists the default chains; /v2/tokens is the --tokens file", async () => {
    const config = await (await fetch(`${stack.urls.provider}/v2/config`)).json();
    assert.deepEqual(config.chains.map((c) => c.chainId), ["0x1", "0xa", "0x89", "0x2105", "0xa4b1", "0x7a69"]);
    assert.equal(config.chains.find((c) => c.chainId === "0x7a69").chainName, "Local chain");
    const res = await fetch(`${stack.urls.provider}/v2/tokens`);
    assert.equal(res.status, 200);
    const etag = res.headers.get("etag");
    assert.ok(etag, "an ETag");
    assert.deepEqual((await res.json()).tokens, TOKENS.tokens);
    const again = await fetch(`${stack.urls.provider}/v2/tokens`, { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304);
  });

  test("the SDK reads the list (keyframe_chains) and refuses to start on an unlisted chain", async () => {
    const context = await browser.newContext();
    const { page, connected } = await openHost(context, host.origin, stack);
    assert.ok(connected.ok, JSON.stringify(connected));
    const chains = await ok(page, "keyframe_chains");
    assert.deepEqual(chains.map((c) => c.chainId), ["0x1", "0xa", "0x89", "0x2105", "0xa4b1", "0x7a69"]);
    assert.equal(await ok(page, "eth_chainId"), "0x7a69", "the SDK's chain is where the document starts");
    const refused = await page.evaluate(async (providerUrl) => {
      try {
        await window.sdk.createSigner({ providerUrl, chainId: 5, readyTimeoutMs: 5_000, announce: false });
        return { ok: true };
      } catch (e) {
        return { ok: false, code: e.code, reason: e.reason, message: e.message, frames: document.querySelectorAll("iframe").length };
      }
    }, stack.urls.provider);
    assert.equal(refused.ok, false);
    assert.equal(refused.code, 4902, JSON.stringify(refused));
    assert.equal(refused.reason, "UNSUPPORTED_CHAIN");
    assert.match(refused.message, /0x5/);
    assert.equal(refused.frames, 1, "the refused signer's iFrame is removed");
    await context.close();
  });
});

describe("wallet_switchEthereumChain, enforced in the iFrame", () => {
  test("an unlisted chain answers 4902 UNSUPPORTED_CHAIN and shows no screen", async () => {
    const { context, page, raw } = await rawHost({ chainId: "0x7a69" });
    const t = track(raw("wallet_switchEthereumChain", [{ chainId: "0x5" }]));
    assert.deepEqual(await t.promise, { ok: false, code: 4902, reason: "UNSUPPORTED_CHAIN" });
    await sleep(300);
    assert.equal(await approveButton(page).isVisible(), false, "no screen for an unlisted chain");
    assert.equal((await raw("eth_chainId")).result, "0x7a69");
    await context.close();
  });

  test("the first switch to a listed chain shows its configured name and waits for Approve", async () => {
    const { context, page, raw } = await rawHost({ chainId: "0x7a69" });
    assert.deepEqual(await raw("wallet_switchEthereumChain", [{ chainId: "0x7a69" }]), { ok: true, result: null },
      "the starting chain needs no screen");
    const t = track(raw("wallet_switchEthereumChain", [{ chainId: "0x89" }]));
    await approveButton(page).waitFor({ state: "visible", timeout: 20_000 });
    const frame = signerFrame(page);
    assert.equal((await frame.getByRole("heading", { level: 1 }).textContent()).trim(), "Switch network");
    assert.match(await frame.locator(".consent-fields").textContent(), /Polygon/);
    await sleep(WAIT_MS);
    assert.equal(t.settled, false, "switched without an approval");
    assert.equal((await raw("eth_chainId")).result, "0x7a69");
    await approveNext(page);
    assert.deepEqual(await t.promise, { ok: true, result: null });
    assert.equal((await raw("eth_chainId")).result, "0x89");
    assert.deepEqual(await page.evaluate(() => window.rawEvents.at(-1)), { type: "chainChanged", data: "0x89" });
    await context.close();
  });

  test("without a chain in connect the document starts on the list's first chain, and the first switch is asked", async () => {
    const { context, page, raw } = await rawHost();
    assert.equal((await raw("eth_chainId")).result, "0x1");
    const t = track(raw("wallet_switchEthereumChain", [{ chainId: "0x7a69" }]));
    await approveButton(page).waitFor({ state: "visible", timeout: 20_000 });
    assert.match(await signerFrame(page).locator(".consent-fields").textContent(), /Local chain/);
    await sleep(WAIT_MS);
    assert.equal(t.settled, false, "the first switch of a document was silent");
    await approveNext(page);
    assert.deepEqual(await t.promise, { ok: true, result: null });
    await context.close();
  });
});

describe("the approval screen names tokens from the provider's list", () => {
  test("an ERC-20 transfer of a token of the --tokens file is shown with its symbol", async () => {
    const user = await signUp(stack, "chains");
    const context = await browser.newContext();
    const { page, connected } = await openHost(context, host.origin, stack);
    assert.ok(connected.ok, JSON.stringify(connected));
    await authorize(page, stack, user.token);
    const { addresses } = await ok(page, "keyframe_createWallet", { recovery: passwordRecovery() });
    const data = encodeFunctionData({ abi: erc20Abi, functionName: "transfer", args: ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8", 1_500_000n] });
    const tx = { from: addresses.evm, type: "0x2", nonce: "0x0", gas: "0x186a0", maxFeePerGas: "0x77359400",
      maxPriorityFeePerGas: "0x3b9aca00", to: TOKEN, value: "0x0", data, chainId: "0x7a69" };
    const t = track(callUnattended(page, "eth_signTransaction", [tx]));
    await approveButton(page).waitFor({ state: "visible", timeout: 20_000 });
    const frame = signerFrame(page);
    const summary = (await frame.locator(".consent-summary").textContent()).trim();
    assert.match(summary, /1\.5 KFT/, summary);
    assert.match(await frame.locator(".consent-fields").textContent(), /Local chain \(31337\)/);
    await approveNext(page);
    const r = await t.promise;
    assert.ok(r.ok, JSON.stringify(r));
    await context.close();
  });
});
