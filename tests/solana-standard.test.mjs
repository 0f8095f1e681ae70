// Keyframe as a Solana Wallet Standard wallet (iframe-host/sdk/src/
// solana-wallet.ts), found by a Solana page that knows only
// `@wallet-standard/app`'s getWallets() and @solana/web3.js, in headless
// Chromium against the whole stack. Each signature is approved on the
// iFrame's screen and verified independently (ed25519 over the message
// bytes); signAndSendTransaction goes to an RPC endpoint the test runs.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { ed25519 } from "@noble/curves/ed25519.js";
import { freePort } from "./support/index.mjs";
import { authorize, approving, base58Decode, ok, openHost, recoveryKey, signUp } from "./support/e2e.mjs";
import { bundleFixture, startHarness } from "./support/harness.mjs";


let harness, stack, browser, host, dataDir, rpc, sent;

before(async () => {
  ({ stack, browser, host, dataDir } = harness = await startHarness("solana", {
    prepare: async (dir) => ({ mounts: { "/solana/": await bundleFixture(dir, "solana") } }),
  }));
  // A Solana JSON-RPC endpoint that accepts sendTransaction (and CORS).
  sent = [];
  const port = await freePort();
  rpc = createServer((req, res) => {
    res.setHeader("access-control-allow-origin", "*");
    res.setHeader("access-control-allow-headers", "content-type");
    if (req.method === "OPTIONS") return res.end();
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const call = JSON.parse(body);
      assert.equal(call.method, "sendTransaction");
      const tx = Buffer.from(call.params[0], "base64");
      sent.push(tx);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ jsonrpc: "2.0", id: call.id, result: base58(tx.subarray(1, 65)) }));
    });
  });
  await new Promise((r) => rpc.listen(port, "127.0.0.1", r));
  rpc.url = `http://127.0.0.1:${port}`;
});


after(async () => {
  await harness?.close();
  await new Promise((r) => (rpc ? rpc.close(r) : r()));
});


function base58(bytes) {
  const A = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = "";
  while (n > 0n) { out = A[Number(n % 58n)] + out; n /= 58n; }
  for (const b of bytes) { if (b !== 0) break; out = "1" + out; }
  return out;
}

test("a Solana page finds Keyframe with getWallets(), connects, signs a message and transactions, and sends one", async () => {
  const context = await browser.newContext();
  const { page, connected } = await openHost(context, host.origin, stack);
  assert.ok(connected.ok, JSON.stringify(connected));
  const user = await signUp(stack, "sol");
  await authorize(page, stack, user.token);
  const key = await recoveryKey(stack, user.token);
  const { addresses } = await ok(page, "keyframe_createWallet", { recovery: { method: "automatic", token: key } });

  // Registered before the app starts: the app's "app-ready" event finds it.
  await page.evaluate(async (rpcUrl) => {
    const { registerSolanaWallet } = await import("/sdk/solana-wallet.js");
    window.unregister = registerSolanaWallet(window.signer, { rpcUrl });
  }, rpc.url);
  await page.addScriptTag({ url: "/solana/app.js", type: "module" });
  await page.waitForFunction(() => window.solanaAppReady === true);
  assert.deepEqual(await page.evaluate(() => window.solanaApp.walletNames()), ["Keyframe"]);
  const features = await page.evaluate(() => Object.keys(window.solanaApp.wallet("Keyframe").features).sort());
  assert.deepEqual(features, ["solana:signAndSendTransaction", "solana:signMessage", "solana:signTransaction",
    "standard:connect", "standard:disconnect", "standard:events"]);

  const connectedAccounts = await page.evaluate(async () => {
    const w = window.solanaApp.wallet("Keyframe");
    window.changes = [];
    w.features["standard:events"].on("change", ({ accounts }) => window.changes.push(accounts.map((a) => a.address)));
    const { accounts } = await w.features["standard:connect"].connect();
    return accounts.map((a) => ({ address: a.address, publicKey: Array.from(a.publicKey), chains: a.chains }));
  });
  assert.equal(connectedAccounts.length, 1);
  assert.equal(connectedAccounts[0].address, addresses.solana);
  assert.deepEqual(Uint8Array.from(connectedAccounts[0].publicKey), base58Decode(addresses.solana));
  assert.ok(connectedAccounts[0].chains.includes("solana:mainnet"));

  // signMessage: approved on the iFrame's screen, verified with ed25519.
  const message = "hello from a Wallet Standard app";
  const signedMessage = await approving(page, page.evaluate(async (text) => {
    const w = window.solanaApp.wallet("Keyframe");
    const [out] = await w.features["solana:signMessage"].signMessage({ account: w.accounts[0], message: new TextEncoder().encode(text) });
    return { signature: Array.from(out.signature), signedMessage: Array.from(out.signedMessage) };
  }, message));
  const publicKey = base58Decode(addresses.solana);
  assert.ok(ed25519.verify(Uint8Array.from(signedMessage.signature), new TextEncoder().encode(message), publicKey));

  // signTransaction of a transaction built with @solana/web3.js.
  const blockhash = base58(new Uint8Array(32).fill(9));
  const to = base58(new Uint8Array(32).fill(7));
  const built = await page.evaluate(([from, to, bh]) => window.solanaApp.transfer(from, to, 12345, bh), [addresses.solana, to, blockhash]);
  const signed = await approving(page, page.evaluate(async (tx) => {
    const w = window.solanaApp.wallet("Keyframe");
    const [out] = await w.features["solana:signTransaction"].signTransaction({ account: w.accounts[0], transaction: Uint8Array.from(tx), chain: "solana:localnet" });
    return Array.from(out.signedTransaction);
  }, built.transaction));
  const signedTx = Uint8Array.from(signed);
  const msg = Uint8Array.from(built.message);
  assert.equal(signedTx[0], 1, "one signature");
  assert.deepEqual(signedTx.subarray(65), msg, "the message must not change");
  assert.ok(ed25519.verify(signedTx.subarray(1, 65), msg, publicKey), "ed25519 over the message bytes");

  // signAndSendTransaction: signed in the iFrame, sent to the dApp's RPC URL.
  const sentSignature = await approving(page, page.evaluate(async (tx) => {
    const w = window.solanaApp.wallet("Keyframe");
    const [out] = await w.features["solana:signAndSendTransaction"].signAndSendTransaction({ account: w.accounts[0], transaction: Uint8Array.from(tx), chain: "solana:localnet" });
    return Array.from(out.signature);
  }, built.transaction));
  assert.equal(sent.length, 1);
  assert.ok(ed25519.verify(sent[0].subarray(1, 65), msg, publicKey), "the RPC received a transaction signed by the wallet");
  assert.deepEqual(Uint8Array.from(sentSignature), Uint8Array.from(sent[0].subarray(1, 65)));

  // A foreign account is refused before anything reaches the iFrame.
  const foreign = await page.evaluate(async () => {
    const w = window.solanaApp.wallet("Keyframe");
    try {
      await w.features["solana:signMessage"].signMessage({ account: { address: "11111111111111111111111111111111" }, message: new Uint8Array([1]) });
      return "signed";
    } catch (e) { return e.message; }
  });
  assert.match(foreign, /not this wallet's account/);

  // disconnect: the change event says there are no accounts.
  await page.evaluate(() => window.solanaApp.wallet("Keyframe").features["standard:disconnect"].disconnect());
  assert.deepEqual(await page.evaluate(() => window.changes), [[addresses.solana], []]);
  await context.close();
});
