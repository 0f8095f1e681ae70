// The iFrame's two modules (signer-wasm/src/web/handover.rs; docs/api.md,
// "The iFrame's two modules"), in headless Chromium against the real
// services: a device that holds no share loads the second module (every
// method) at once; one that holds its wallet's share loads the first,
// which signs everything; its first lifecycle call loads the second and
// hands it the session, which it carries on with; requests sent meanwhile
// wait and are answered; a second module that cannot load costs that one
// request only.
// What the iFrame fetched is read from its Resource Timing entries, which
// list cache hits too.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import {
  approveButton, approveNext, assertPersonalSign, assertSignedTx, assertSolanaMessage, assertSolanaTransaction,
  assertTypedData, authorize, callUnattended, ok, openHost, passwordRecovery, rejectNext, signerFrame, signUp,
} from "./support/e2e.mjs";
import { startHarness } from "./support/harness.mjs";

const FIRST = "/pkg/keyframe_signer_bg.wasm";
const SECOND = "/pkg-all/keyframe_signer_bg.wasm";
const SECOND_ROUTE = "**/pkg-all/**";
// Longer than the screen's 800 ms wait, so "still waiting" means something.
const WAIT_MS = 1_500;

let harness, stack, browser, host;

before(async () => {
  ({ stack, browser, host } = harness = await startHarness("modules", {
    // The host page cross-site too (localhost ≠ 127.0.0.1): an iFrame
    // without storage.
    extraOrigins: (h) => [h.origin.replace("127.0.0.1", "localhost")],
  }));
});

after(async () => {
  await harness?.close();
});

const crossSiteHost = () => host.origin.replace("127.0.0.1", "localhost");

/** The signer's iFrame in `page`. */
const frameOf = (page) => page.frames().find((f) => f.url().startsWith(`${stack.urls.provider}/iframe.html`));

/** The paths the iFrame of `page` fetched, in order. */
async function fetched(page) {
  const paths = await frameOf(page).evaluate(() =>
    performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname));
  // The browser keeps 250 entries by default: a full buffer could hide a load.
  assert.ok(paths.length < 250, `${paths.length} resource entries`);
  return paths;
}
const times = (paths, path) => paths.filter((p) => p === path).length;

describe("the iFrame's two modules", () => {
  let user, context, addresses;

  before(async () => {
    user = await signUp(stack, "modules");
    context = await browser.newContext();
    const { page, connected } = await openHost(context, host.origin, stack);
    assert.ok(connected.ok, JSON.stringify(connected));
    await authorize(page, stack, user.token);
    // A device that holds no share loads the second module at once: its
    // first use can only be to create or recover a wallet.
    let paths = await fetched(page);
    assert.equal(times(paths, FIRST), 0, `a new device loaded the first module: ${paths.join(" ")}`);
    assert.equal(times(paths, SECOND), 1, "a new device loads the second module");
    ({ addresses } = await ok(page, "keyframe_createWallet", { recovery: passwordRecovery() }));
    paths = await fetched(page);
    assert.deepEqual([times(paths, FIRST), times(paths, SECOND)], [0, 1], "and creates its wallet with it");
    await page.close();
  });

  after(async () => {
    await context?.close();
  });

  /** A new page on the device that holds the wallet, signed in. */
  async function returning() {
    const { page, connected } = await openHost(context, host.origin, stack);
    assert.ok(connected.ok, JSON.stringify(connected));
    await authorize(page, stack, user.token);
    return page;
  }

  test("an iFrame without storage holds no share: it loads the second module at once, recovers and signs", async () => {
    const { page, connected } = await openHost(context, crossSiteHost(), stack);
    assert.ok(connected.ok, JSON.stringify(connected));
    await authorize(page, stack, user.token);
    assert.equal((await ok(page, "keyframe_status")).storage, "memory");
    const paths = await fetched(page);
    assert.deepEqual([times(paths, FIRST), times(paths, SECOND)], [0, 1], paths.join(" "));
    await ok(page, "keyframe_recover", { recovery: passwordRecovery() });
    await assertPersonalSign(page, addresses.evm, "signed where nothing is stored");
    await page.close();
  });

  test("a device that holds its wallet signs everything with the first module alone", async () => {
    const page = await returning();
    await assertPersonalSign(page, addresses.evm);
    await assertTypedData(page, addresses.evm);
    const tx = { from: addresses.evm, type: "0x2", nonce: "0x0", gas: "0x5208", maxFeePerGas: "0x77359400", maxPriorityFeePerGas: "0x3b9aca00", to: addresses.evm, value: "0x1", chainId: "0x7a69" };
    await assertSignedTx(await ok(page, "eth_signTransaction", [tx]), addresses.evm, 2);
    await assertSolanaMessage(page, addresses.solana);
    await assertSolanaTransaction(page, addresses.solana);
    const paths = await fetched(page);
    assert.equal(times(paths, FIRST), 1);
    assert.equal(times(paths, SECOND), 0, `the second module was loaded: ${paths.join(" ")}`);
    await page.close();
  });

  test("a lifecycle method hands the session to the second module, which goes on where the first stopped", async () => {
    const page = await returning();
    // What the first module holds: the chain it is on, and one the user
    // let the page switch to (the document started on 0x7a69).
    await ok(page, "wallet_switchEthereumChain", [{ chainId: "0x2105" }]);
    const before = await ok(page, "keyframe_status");
    assert.equal(before.chainId, "0x2105");
    assert.equal(times(await fetched(page), SECOND), 0);

    const { devices } = await ok(page, "keyframe_listDevices");
    assert.ok(devices.some((d) => d.current), JSON.stringify(devices));
    assert.equal(times(await fetched(page), SECOND), 1, "the second module is loaded once");

    // The same session: the DPoP key (its thumbprint), tokens, wallet,
    // local share, storage and chain.
    assert.deepEqual(await ok(page, "keyframe_status"), before);
    assert.deepEqual(await ok(page, "eth_accounts"), [addresses.evm]);
    // Both chains stay free to switch to; a third is still asked.
    for (const chainId of ["0x7a69", "0x2105", "0x7a69"]) {
      assert.deepEqual(await callUnattended(page, "wallet_switchEthereumChain", [{ chainId }]), { ok: true, result: null }, chainId);
    }
    const asked = callUnattended(page, "wallet_switchEthereumChain", [{ chainId: "0xa" }]);
    await rejectNext(page);
    assert.equal((await asked).reason, "USER_REJECTED");

    // The second module signs, on one screen: the first took its own out.
    await assertPersonalSign(page, addresses.evm, "signed by the second module");
    assert.equal(await signerFrame(page).locator("section#consent").count(), 1, "one approval screen in the page");
    // The activity log (second module only) has that signature first.
    const [latest] = await ok(page, "keyframe_activity", { limit: 5 });
    assert.equal(latest?.intent?.kind, "evm_message", JSON.stringify(latest));
    assert.equal(latest.decision, "approved_on_screen");
    assert.equal(times(await fetched(page), SECOND), 1, "and only once");

    // The port stays the only channel: a second `connect` gets no answer
    // from either module.
    const reconnected = await page.evaluate(async (provider) => {
      const frame = document.querySelector("iframe[data-keyframe]");
      const { port1, port2 } = new MessageChannel();
      const answer = new Promise((resolve) => { port1.onmessage = (e) => resolve(e.data); });
      frame.contentWindow.postMessage({ ns: "keyframe", type: "connect", version: 1 }, new URL(provider).origin, [port2]);
      return Promise.race([answer, new Promise((resolve) => setTimeout(() => resolve("none"), 1_000))]);
    }, stack.urls.provider);
    assert.equal(reconnected, "none");
    await page.close();
  });

  test("requests sent during the handover wait for the one on the screen, then are answered", async () => {
    const page = await returning();
    await page.evaluate((address) => {
      window.order = [];
      window.track = (name, pending) => pending.then((r) => { window.order.push(name); return r; });
      window.signing = window.track("sign", window.call("personal_sign", ["0x6869", address]));
    }, addresses.evm);
    await approveButton(page).waitFor({ state: "visible", timeout: 20_000 });
    // With a request on the screen, a lifecycle method and two that need
    // nothing: all three wait until the screen is answered.
    await page.evaluate(() => {
      window.rest = [
        window.track("devices", window.call("keyframe_listDevices")),
        window.track("chain", window.call("eth_chainId")),
        window.track("accounts", window.call("eth_accounts")),
      ];
    });
    await sleep(WAIT_MS);
    assert.deepEqual(await page.evaluate(() => window.order), [], "nothing is answered while the screen waits");
    await approveNext(page);
    const { results, order } = await page.evaluate(async () =>
      ({ results: await Promise.all([window.signing, ...window.rest]), order: window.order }));
    for (const r of results) assert.ok(r.ok, JSON.stringify(results));
    assert.equal(order[0], "sign", `answered in the order ${order.join(", ")}`);
    assert.ok(results[1].result.devices.some((d) => d.current));
    assert.equal(results[2].result, "0x7a69");
    assert.deepEqual(results[3].result, [addresses.evm]);
    assert.equal(times(await fetched(page), SECOND), 1);
    await page.close();
  });

  test("after a failed load, a signature queued behind two lifecycle calls waits for the retried handover", async () => {
    const page = await returning();
    // The first fetch of the second module fails, the retry goes through.
    let fetches = 0;
    await context.route(SECOND_ROUTE, (route) => (fetches++ === 0 ? route.abort("connectionreset") : route.continue()));
    try {
      await page.evaluate((address) => {
        window.onScreen = window.call("personal_sign", ["0x6869", address]);
      }, addresses.evm);
      await approveButton(page).waitFor({ state: "visible", timeout: 20_000 });
      // Queued behind the screen: two lifecycle calls, then a signature.
      await page.evaluate((address) => {
        window.queued = [
          window.call("keyframe_listDevices"),
          window.call("keyframe_listDevices"),
          window.call("personal_sign", ["0x6869", address]),
        ];
      }, addresses.evm);
      await approveNext(page);
      const [first, second] = await page.evaluate(() => Promise.all(window.queued.slice(0, 2)));
      assert.equal(first.reason, "SIGNER_UNAVAILABLE", JSON.stringify(first));
      assert.ok(second.ok, JSON.stringify(second));
      // The signature waited for the second module, whose screen asks for it.
      await approveNext(page);
      const [signed, queuedSign] = await page.evaluate(() => Promise.all([window.onScreen, window.queued[2]]));
      assert.ok(signed.ok && queuedSign.ok, JSON.stringify([signed, queuedSign]));
      assert.equal(await signerFrame(page).locator("section#consent").count(), 1, "one approval screen in the page");
    } finally {
      await context.unroute(SECOND_ROUTE);
    }
    await page.close();
  });

  test("a second module that cannot load fails that request only, and the next one loads it", async () => {
    const page = await returning();
    await context.route(SECOND_ROUTE, (route) => route.abort("connectionreset"));
    try {
      const [devices, chain] = await page.evaluate(() =>
        Promise.all([window.call("keyframe_listDevices"), window.call("eth_chainId")]));
      assert.equal(devices.ok, false, JSON.stringify(devices));
      assert.equal(devices.reason, "SIGNER_UNAVAILABLE");
      assert.equal(devices.code, -32603);
      assert.deepEqual(chain, { ok: true, result: "0x7a69" }, "the queued request is answered by the first module");
      // The first module goes on, its screen included.
      await assertPersonalSign(page, addresses.evm, "after a failed handover");
    } finally {
      await context.unroute(SECOND_ROUTE);
    }
    const { devices } = await ok(page, "keyframe_listDevices");
    assert.ok(devices.some((d) => d.current));
    await assertPersonalSign(page, addresses.evm, "after the handover");
    assert.equal(await signerFrame(page).locator("section#consent").count(), 1, "one approval screen in the page");
    await page.close();
  });
});
