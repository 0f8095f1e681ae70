// The wagmi connector (iframe-host/wagmi) with @wagmi/core's actions in
// headless Chromium against the whole stack with anvil: connect (creating
// the wallet on the iFrame's screens), signMessage, signTypedData,
// sendTransaction mined by anvil, switchChain (the provider's list, asked
// on the iFrame's screen), reconnect after a reload, disconnect; every
// signature checked by viem. And in Node: importing the connector and
// creating a config touches no browser global (server-side rendering).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { build } from "esbuild";
import { verifyMessage, verifyTypedData } from "viem";
import { approving, keyframeTokens, recoveryKey, rpc, signUp } from "./support/e2e.mjs";
import { bundleFixture, SDK_DIR, startHarness } from "./support/harness.mjs";
import { ROOT } from "../scripts/stack.mjs";

const ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const SDK = join(SDK_DIR, "index.js");
const TYPED = {
  domain: { name: "Keyframe wagmi test", version: "1", chainId: 31337, verifyingContract: "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC" },
  types: { Mail: [{ name: "to", type: "address" }, { name: "contents", type: "string" }] },
  primaryType: "Mail",
  message: { to: ALICE, contents: "hello from wagmi" },
};

let harness, stack, browser, host;

before(async () => {
  ({ stack, browser, host } = harness = await startHarness("wagmi", {
    prepare: async (dir) => ({ mounts: { "/wagmi/": await bundleFixture(dir, "wagmi", { alias: { "@keyframe/sdk": SDK } }) } }),
  }));
});

after(async () => {
  await harness?.close();
});

/** The host page with the wagmi dApp set up for the user of session `token`. */
async function openWagmiPage(page, token, key) {
  await page.goto(`${host.origin}/index.html`);
  await page.waitForFunction(() => window.hostReady === true);
  await page.addScriptTag({ url: "/wagmi/app.js", type: "module" });
  await page.waitForFunction(() => window.wagmiAppReady === true);
  await page.evaluate(({ providerUrl, rpcUrl, key }) => {
    window.recoveryKey = key;
    window.wagmiApp.setup({ providerUrl, rpcUrl });
  }, { providerUrl: stack.urls.provider, rpcUrl: stack.urls.rpc, key });
}

describe("the wagmi connector", () => {
  test("connect, sign, send, switch chains, reconnect after a reload, disconnect", async () => {
    const user = await signUp(stack, "wagmi");
    const key = await recoveryKey(stack, user.token);
    const context = await browser.newContext();
    const page = await context.newPage();
    // getTokens: the page asks "its server" (here the test) for tokens bound to the iFrame's key.
    const jkts = [];
    await page.exposeFunction("keyframeTokensFor", (jkt) => {
      jkts.push(jkt);
      return keyframeTokens(stack, user.token, jkt);
    });
    await openWagmiPage(page, user.token, key);
    assert.equal((await page.evaluate(() => window.wagmiApp.account())).status, "disconnected");
    // wagmi's reconnect on page load asks every connector: for a user who
    // never connected Keyframe it mounts nothing and asks for no token.
    assert.deepEqual(await page.evaluate(() => window.wagmiApp.reconnect()), []);
    assert.equal(await page.locator("iframe[data-keyframe]").count(), 0, "no iFrame before connect");
    assert.equal(jkts.length, 0, "no tokens asked before connect");

    // A user without a wallet: connect creates one through onNoAccount.
    const connected = await approving(page, page.evaluate(() => window.wagmiApp.connect()));
    assert.equal(connected.chainId, 31337);
    assert.equal(connected.accounts.length, 1);
    const address = connected.accounts[0];
    assert.ok(jkts.length >= 1, "tokens were asked for the iFrame's key");
    assert.deepEqual(await page.evaluate(() => window.wagmiApp.account()), { status: "connected", address, chainId: 31337 });

    const message = "hello from wagmi";
    const signature = await approving(page, page.evaluate((m) => window.wagmiApp.signMessage(m), message));
    assert.equal(await verifyMessage({ address, message, signature }), true, "signMessage verifies in viem");
    const typed = await approving(page, page.evaluate((t) => window.wagmiApp.signTypedData(t), TYPED));
    assert.equal(await verifyTypedData({ address, ...TYPED, signature: typed }), true, "signTypedData verifies in viem");

    await rpc(stack, "anvil_setBalance", [address, "0x56BC75E2D63100000"]);
    const before = BigInt(await rpc(stack, "eth_getBalance", [ALICE, "latest"]));
    const sent = await approving(page, page.evaluate((to) => window.wagmiApp.send(to, "12345"), ALICE));
    assert.equal(sent.status, "success", JSON.stringify(sent));
    assert.equal(sent.from.toLowerCase(), address.toLowerCase());
    assert.equal(BigInt(await rpc(stack, "eth_getBalance", [ALICE, "latest"])) - before, 12345n, "mined by anvil");

    // switchChain: a chain the provider lists, after the user's Approve.
    const toPolygon = await approving(page, page.evaluate(() => window.wagmiApp.switchChain(137)));
    assert.deepEqual(toPolygon, { ok: 137 });
    assert.equal((await page.evaluate(() => window.wagmiApp.account())).chainId, 137);
    // A chain of the dApp's config that the provider does not list.
    const refused = await page.evaluate(() => window.wagmiApp.switchChain(5));
    assert.deepEqual(refused, { err: "SwitchChainError", cause: 4902 });
    assert.equal((await page.evaluate(() => window.wagmiApp.account())).chainId, 137);
    const back = await approving(page, page.evaluate(() => window.wagmiApp.switchChain(31337)));
    assert.deepEqual(back, { ok: 31337 });

    // A reload: wagmi reconnects to the same account without a screen.
    await openWagmiPage(page, user.token, key);
    const restored = await page.evaluate(() => window.wagmiApp.reconnect());
    assert.deepEqual(restored, [{ accounts: [address], chainId: 31337 }]);
    assert.deepEqual(await page.evaluate(() => window.wagmiApp.account()), { status: "connected", address, chainId: 31337 });
    const again = await approving(page, page.evaluate((m) => window.wagmiApp.signMessage(m), "after the reload"));
    assert.equal(await verifyMessage({ address, message: "after the reload", signature: again }), true);

    await page.evaluate(() => window.wagmiApp.disconnect());
    assert.equal((await page.evaluate(() => window.wagmiApp.account())).status, "disconnected");
    assert.equal(await page.locator("iframe[data-keyframe]").count(), 0, "the iFrame goes with the connection");
    // After a disconnect, a reload does not reconnect (nor mount the iFrame).
    const asked = jkts.length;
    await openWagmiPage(page, user.token, key);
    assert.deepEqual(await page.evaluate(() => window.wagmiApp.reconnect()), []);
    assert.equal(await page.locator("iframe[data-keyframe]").count(), 0, "no iFrame after a disconnect and a reload");
    assert.equal(jkts.length, asked, "no tokens asked after a disconnect");
    await context.close();
  });

  test("server-side rendering: importing the connector and creating a config touches no browser global", async () => {
    const out = join(harness.dataDir, "wagmi-ssr.mjs");
    await build({
      stdin: {
        contents: `
          import { createConfig, http } from "@wagmi/core";
          import { defineChain } from "viem";
          import { keyframe } from "./iframe-host/wagmi/dist/index.js";
          const local = defineChain({ id: 31337, name: "Local", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: ["http://127.0.0.1:9"] } } });
          export const config = createConfig({ chains: [local], connectors: [keyframe({ providerUrl: "http://127.0.0.1:9" })], transports: { 31337: http() }, ssr: true });
        `,
        resolveDir: ROOT, loader: "js",
      },
      bundle: true, format: "esm", platform: "node", outfile: out, logLevel: "warning",
      alias: { "@keyframe/sdk": SDK },
    });
    for (const name of ["window", "document", "localStorage"]) assert.equal(typeof globalThis[name], "undefined", name);
    const { config } = await import(out);
    assert.equal(config.connectors[0].id, "keyframe");
    assert.equal(config.connectors[0].type, "keyframe");
    assert.equal(config.state.status, "disconnected");
  });
});
