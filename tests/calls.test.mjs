// EIP-5792 through viem's actions (sendCalls, waitForCallsStatus,
// getCapabilities) over the Keyframe provider in headless Chromium, against
// the whole stack with anvil: one approval screen lists every call, the
// calls are signed and sent in order and mined, and atomic execution is
// reported as unsupported.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { authorize, approveButton, clickApprove, ok, openHost, recoveryKey, rpc, signerFrame, signUp } from "./support/e2e.mjs";
import { bundleFixture, startHarness } from "./support/harness.mjs";

const ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

let harness, stack, browser, host, dataDir;

before(async () => {
  ({ stack, browser, host, dataDir } = harness = await startHarness("calls", {
    prepare: async (dir) => ({ mounts: { "/calls/": await bundleFixture(dir, "calls") } }),
  }));
});


after(async () => {
  await harness?.close();
});


test("viem's sendCalls: one screen lists every call, both are mined in order; atomic is unsupported", async () => {
  const context = await browser.newContext();
  const { page, connected } = await openHost(context, host.origin, stack);
  assert.ok(connected.ok, JSON.stringify(connected));
  const user = await signUp(stack, "calls");
  await authorize(page, stack, user.token);
  const key = await recoveryKey(stack, user.token);
  const { addresses } = await ok(page, "keyframe_createWallet", { recovery: { method: "automatic", token: key } });
  await rpc(stack, "anvil_setBalance", [addresses.evm, "0x56BC75E2D63100000"]);
  await page.addScriptTag({ url: "/calls/app.js", type: "module" });
  await page.waitForFunction(() => window.callsAppReady === true);
  await page.evaluate(([account, rpcUrl]) => { window.client = window.callsApp.client(window.signer.provider, account, rpcUrl); }, [addresses.evm, stack.urls.rpc]);

  const capabilities = await page.evaluate(() => window.callsApp.capabilities(window.client));
  assert.equal(capabilities[31337]?.atomic?.status, "unsupported", JSON.stringify(capabilities));
  const atomic = await page.evaluate(async () => {
    try {
      await window.callsApp.send(window.client, [{ to: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", value: 1n }], true);
      return "sent";
    } catch (e) { return String(e.code ?? e.cause?.code ?? e.message); }
  });
  assert.match(atomic, /5760/);

  const before = await Promise.all([ALICE, BOB].map((a) => rpc(stack, "eth_getBalance", [a, "latest"])));
  const sending = page.evaluate(([a, b]) => window.callsApp.send(window.client, [
    { to: a, value: 1000n },
    { to: b, value: 2000n },
  ]).then((r) => r.id), [ALICE, BOB]);
  await approveButton(page).waitFor({ state: "visible", timeout: 30_000 });
  const frame = signerFrame(page);
  assert.equal((await frame.getByRole("heading", { level: 1 }).textContent()).trim(), "Sign transactions");
  const body = await frame.locator(".consent-body").textContent();
  assert.match(body, /Call 1/);
  assert.match(body, /Call 2/);
  await clickApprove(page);
  const id = await sending;
  assert.match(id, /^0x[0-9a-f]{64}$/);
  const status = await page.evaluate((id) => window.callsApp.wait(window.client, id).then((s) => ({
    status: s.status, statusCode: s.statusCode, atomic: s.atomic,
    receipts: s.receipts.map((r) => ({ status: r.status, hash: r.transactionHash, block: String(r.blockNumber) })),
  })), id);
  assert.equal(status.status, "success", JSON.stringify(status));
  assert.equal(status.statusCode, 200);
  assert.equal(status.atomic, false);
  assert.equal(status.receipts.length, 2);
  // Mined, from the wallet, in order (nonces n and n + 1), values as asked.
  const txs = await Promise.all(status.receipts.map((r) => rpc(stack, "eth_getTransactionByHash", [r.hash])));
  for (const tx of txs) assert.equal(tx.from.toLowerCase(), addresses.evm.toLowerCase());
  assert.equal(BigInt(txs[1].nonce), BigInt(txs[0].nonce) + 1n);
  const after = await Promise.all([ALICE, BOB].map((a) => rpc(stack, "eth_getBalance", [a, "latest"])));
  assert.equal(BigInt(after[0]) - BigInt(before[0]), 1000n);
  assert.equal(BigInt(after[1]) - BigInt(before[1]), 2000n);
  await context.close();
});
