// Shared pieces of the end-to-end tests: users and tokens from the sample
// dApp server, host pages driving the real iFrame, and independent
// verification of what the iFrame signed.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519.js";
import { verifyMessage, verifyTypedData, recoverTransactionAddress, isAddressEqual } from "viem";
import { Transaction } from "ethers";

let counter = 0;
export const uniqueName = (prefix = "user") => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

export async function postJson(url, body, token) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = await res.json().catch(() => null);
  return { status: res.status, json };
}

/** Signs up a fresh user at the sample dApp; returns { username, password, token }. */
export async function signUp(stack, prefix) {
  const username = uniqueName(prefix);
  const password = "a long sample password";
  const { status, json } = await postJson(`${stack.urls.dapp.replace("localhost", "127.0.0.1")}/api/auth/signup`, { username, password });
  assert.equal(status, 200, JSON.stringify(json));
  return { username, password, token: json.token };
}

/**
 * Tokens for Keyframe's services (`{ hot, shield }`) from the sample dApp,
 * for the user of session `token`, bound to the iFrame key `jkt`.
 */
export async function keyframeTokens(stack, token, jkt) {
  const { status, json } = await postJson(`${stack.urls.dapp.replace("localhost", "127.0.0.1")}/api/keyframe-tokens`, { jkt }, token);
  assert.equal(status, 200, JSON.stringify(json));
  return json;
}

/** Signs the user of session `token` in to the iFrame of `page`, with tokens bound to its DPoP key. */
export async function authorize(page, stack, token) {
  const { dpopJkt } = await ok(page, "keyframe_status");
  return ok(page, "keyframe_setAuth", await keyframeTokens(stack, token, dpopJkt));
}

export async function recoveryKey(stack, token) {
  const res = await fetch(`${stack.urls.dapp.replace("localhost", "127.0.0.1")}/api/recovery-key`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 200);
  return (await res.json()).key;
}

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

/** A token signed with the dApp's real key but with claims of our choosing. */
export async function mintToken(stack, claims) {
  const key = await readFile(join(stack.dataDir, "sample-dapp", "jwt-signing.key"));
  const jwks = await (await fetch(`${stack.urls.dapp.replace("localhost", "127.0.0.1")}/.well-known/jwks.json`)).json();
  const header = { alg: "EdDSA", typ: "JWT", kid: jwks.keys[0].kid };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = ed25519.sign(new TextEncoder().encode(input), new Uint8Array(key));
  return `${input}.${b64url(sig)}`;
}

/** Opens the test host page in `context` and connects the SDK to the iFrame. */
export async function openHost(context, hostOrigin, stack, { readyTimeoutMs = 10_000 } = {}) {
  const page = await context.newPage();
  await page.goto(`${hostOrigin}/index.html`);
  await page.waitForFunction(() => window.hostReady === true);
  const connected = await page.evaluate(
    async ({ providerUrl, rpcUrl, readyTimeoutMs }) => {
      try {
        window.signer = await window.sdk.createSigner({ providerUrl, chainId: 31337, rpcUrl, readyTimeoutMs });
        return { ok: true };
      } catch (e) {
        return { ok: false, message: e.message, reason: e.reason };
      }
    },
    { providerUrl: stack.urls.provider, rpcUrl: stack.urls.rpc, readyTimeoutMs },
  );
  return { page, connected };
}

// ---- the iFrame's approval screen, as a person uses it ----------------------

/** The iFrame the SDK mounted (its approval screen lives inside). */
export const signerFrame = (page) => page.frameLocator("iframe[data-keyframe]");
/** The approval screen's buttons, found by their accessible names. */
export const approveButton = (page) => signerFrame(page).getByRole("button", { name: "Approve", exact: true });
export const rejectButton = (page) => signerFrame(page).getByRole("button", { name: "Reject", exact: true });

/** How long the pointer must rest on the screen before a click on Approve
 * counts (signer-wasm/src/consent/gate.rs, POINTER_DWELL_MS). */
export const POINTER_DWELL_MS = 400;

/**
 * Clicks Approve as a person does: the pointer comes onto the screen
 * (from outside the iFrame, so the iFrame sees it arrive and move), rests while the
 * screen's 800 ms visibility wait runs, and clicks once Approve unlocks and
 * the pointer has been there for POINTER_DWELL_MS. A click the screen
 * found too early (its hint says so) is made again after another rest.
 */
export const clickApprove = (page, opts) => clickOnScreen(page, approveButton(page), opts);

/** As clickApprove, for another button the iFrame's gate judges (Reveal). */
export async function clickOnScreen(page, button, { timeout = 20_000 } = {}) {
  const deadline = Date.now() + timeout;
  for (let attempt = 0; ; attempt++) {
    await button.waitFor({ state: "visible", timeout: Math.max(1, deadline - Date.now()) });
    await page.mouse.move(1, 1);
    await button.hover({ timeout: Math.max(1, deadline - Date.now()) });
    // and moves on it: a pointer only seen at one spot may be one the
    // iFrame was moved under.
    const box = await button.boundingBox();
    if (box) await page.mouse.move(box.x + box.width / 2 + 8, box.y + box.height / 2 + 2);
    const arrived = Date.now();
    while (!(await button.isEnabled())) {
      if (Date.now() > deadline) throw new Error("the iFrame's screen never unlocked");
      await new Promise((r) => setTimeout(r, 25));
    }
    const rest = arrived + POINTER_DWELL_MS + 50 - Date.now();
    if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    await button.click({ timeout: Math.max(1, deadline - Date.now()) });
    // Counted: the screen moved on (or closed). Too soon: it says so.
    const tooSoon = await signerFrame(page).locator(".consent-hint, .export-hint").filter({ hasText: /./ })
      .first().isVisible().catch(() => false);
    if (!tooSoon || attempt >= 2) return;
  }
}

/**
 * A finger on `locator` (in the iFrame) through Chromium's touch input
 * (CDP `Input.dispatchTouchEvent`, as a touch screen delivers it, to
 * whichever frame is under it): pressed, held `holdMs`, lifted. The page's
 * context must be made with `hasTouch: true`.
 */
export async function pressOnScreen(page, locator, holdMs) {
  const box = await locator.boundingBox();
  const point = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [point] });
    await new Promise((r) => setTimeout(r, holdMs));
    await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  } finally {
    await cdp.detach().catch(() => {});
  }
}

/**
 * Ticks `box` (a checkbox locator on the iFrame's screen) as a person
 * does: once the screen has unlocked, the pointer comes onto the screen,
 * moves, rests, and clicks. The iFrame judges a tick of "Always allow" as
 * it judges a click on Approve (signer-wasm/src/web/consent/watch.rs).
 */
export async function tickOnScreen(page, box, { timeout = 20_000 } = {}) {
  const deadline = Date.now() + timeout;
  await box.waitFor({ state: "visible", timeout });
  while (!(await approveButton(page).isEnabled())) {
    if (Date.now() > deadline) throw new Error("the approval screen never unlocked");
    await new Promise((r) => setTimeout(r, 25));
  }
  await page.mouse.move(1, 1);
  await box.hover({ timeout });
  const b = await box.boundingBox();
  if (b) await page.mouse.move(b.x + b.width / 2 + 8, b.y + b.height / 2);
  await new Promise((r) => setTimeout(r, POINTER_DWELL_MS + 50));
  await box.check({ timeout: Math.max(1, deadline - Date.now()) });
}

/**
 * Approves the next request on the iFrame's screen: waits for it, for
 * "Approve" to unlock (the screen must have been visible for 800 ms), then
 * clicks it with real mouse events, as a person would (clickApprove).
 */
export async function approveNext(page, { timeout = 20_000 } = {}) {
  await clickApprove(page, { timeout });
}

/**
 * Rejects the next request on the iFrame's screen, once it has been on
 * screen as long as a person takes to read it (Approve unlocked): Chromium
 * drops clicks on a cross-origin iFrame that has only just appeared or
 * moved, which an instant click would hit.
 */
export async function rejectNext(page, { timeout = 20_000 } = {}) {
  const deadline = Date.now() + timeout;
  await approveButton(page).waitFor({ state: "visible", timeout });
  while (!(await approveButton(page).isEnabled())) {
    if (Date.now() > deadline) throw new Error("the approval screen never unlocked");
    await new Promise((r) => setTimeout(r, 50));
  }
  await rejectButton(page).click({ timeout });
}

/**
 * Types `typed` (label → value) into the inputs of the iFrame's screen that
 * has them, as a person would; labels the screen does not show are skipped.
 */
export async function typeInto(page, typed) {
  for (const [label, value] of Object.entries(typed)) {
    const input = signerFrame(page).getByLabel(label, { exact: true });
    if ((await input.count()) > 0) await input.fill(value, { timeout: 5_000 });
  }
}

/**
 * Waits for `pending` (a request the page made) and, until it settles,
 * approves every approval screen the iFrame shows, by clicking "Approve"
 * inside it, after typing `typed` (label → value) into the screen's inputs.
 * Requests that need no approval just settle.
 */
export async function approving(page, pending, typed = {}) {
  let settled = false;
  const done = Promise.resolve(pending).finally(() => {
    settled = true;
  });
  while (!settled) {
    const button = approveButton(page);
    // Short waits, so no watcher outlives its request by much.
    const appeared = await Promise.race([
      button.waitFor({ state: "visible", timeout: 1_000 }).then(() => true, () => false),
      done.then(() => false, () => false),
    ]);
    if (settled) break;
    if (page.isClosed()) break;
    // The screen may close under us (the request settled or was withdrawn).
    if (appeared) {
      await typeInto(page, typed).catch(() => {});
      await clickApprove(page, { timeout: 20_000 }).catch(() => {});
    }
  }
  return done;
}

/** A request from the host page, answered without anyone touching the screen. */
export const callUnattended = (page, method, params) =>
  page.evaluate(([m, p]) => window.call(m, p), [method, params]);

/**
 * Waits for the iFrame's screen, types `typed` (label → value) into it and
 * clicks Approve once it unlocks.
 */
export async function typeAndApprove(page, typed, { timeout = 30_000 } = {}) {
  await approveButton(page).waitFor({ state: "visible", timeout });
  await typeInto(page, typed);
  await clickApprove(page, { timeout });
}

/** Waits for an alert on the iFrame's screen whose text contains `text`. */
export const screenAlert = (page, text, { timeout = 30_000 } = {}) =>
  signerFrame(page).getByRole("alert").filter({ hasText: text }).waitFor({ timeout });

/**
 * `keyframe_recover` with a password typed in the iFrame, trying each of
 * `attempts` in turn: every wrong one must be refused on the screen (the
 * request stays pending, and the retry waits); resolves with the answer.
 */
export async function recoverTyping(page, attempts) {
  let settled = false;
  const pending = callUnattended(page, "keyframe_recover", { recovery: { method: "password" } });
  pending.finally(() => (settled = true));
  for (const [i, password] of attempts.entries()) {
    await typeAndApprove(page, { "Recovery password": password });
    if (i < attempts.length - 1) {
      await screenAlert(page, "does not open this wallet");
      assert.equal(settled, false, "a wrong password must not end the request");
    }
  }
  return pending;
}

/**
 * The labels of the iFrame's inputs for a secret, by request and param
 * (signer-wasm/src/consent/entry.rs).
 */
const NEW_PASSWORD = ["New recovery password", "Repeat the new password"];
function labelsFor(method, param) {
  if (param === "current") return ["Current recovery password"];
  if (param === "mnemonic" || param === "privateKey") return ["Recovery phrase or private key"];
  return method === "keyframe_recover" ? ["Recovery password"] : NEW_PASSWORD;
}

/**
 * Splits a request as tests write it into what the page sends and what the
 * user types in the iFrame: a password in `recovery`/`current`
 * ({@link passwordRecovery}) and a phrase or key to import never travel in
 * params; they are typed into the screen's labelled inputs.
 */
export function splitTyped(method, params) {
  if (params === null || typeof params !== "object" || Array.isArray(params)) return { sent: params, typed: {} };
  const sent = { ...params };
  const typed = {};
  for (const name of ["recovery", "current"]) {
    const r = sent[name];
    if (r && typeof r === "object" && r.method === "password" && typeof r.password === "string") {
      const { password, ...rest } = r;
      sent[name] = rest;
      for (const label of labelsFor(method, name)) typed[label] = password;
    }
  }
  for (const name of ["mnemonic", "privateKey"]) {
    if (typeof sent[name] === "string") {
      for (const label of labelsFor(method, name)) typed[label] = sent[name];
      delete sent[name];
    }
  }
  return { sent, typed };
}

/**
 * A request from the host page; every approval screen it raises is approved
 * by a click, after the user types the request's secrets into the iFrame.
 */
export function call(page, method, params) {
  const { sent, typed } = splitTyped(method, params);
  return approving(page, callUnattended(page, method, sent), typed);
}

export async function ok(page, method, params) {
  const r = await call(page, method, params);
  assert.ok(r.ok, `${method} failed: ${JSON.stringify(r)}`);
  return r.result;
}

export async function fails(page, method, params, reason, code) {
  const r = await call(page, method, params);
  assert.equal(r.ok, false, `${method} should fail with ${reason}, got ${JSON.stringify(r)}`);
  assert.equal(r.reason, reason, JSON.stringify(r));
  if (code !== undefined) assert.equal(r.code, code, JSON.stringify(r));
  return r;
}

/**
 * A password recovery method as tests write it: {@link call} sends
 * `{ method: "password" }` and types `password` into the iFrame's screen.
 */
export const passwordRecovery = (password = "correct horse battery staple") => ({ method: "password", password });

// ---- independent verification -------------------------------------------

export async function assertPersonalSign(page, address, text = "hello keyframe") {
  const hex = `0x${Buffer.from(text).toString("hex")}`;
  const signature = await ok(page, "personal_sign", [hex, address]);
  assert.ok(await verifyMessage({ address, message: { raw: hex }, signature }), "viem rejects the EIP-191 signature");
  return signature;
}

export function mailTypedData(address) {
  return {
    types: {
      EIP712Domain: [
        { name: "name", type: "string" }, { name: "version", type: "string" },
        { name: "chainId", type: "uint256" }, { name: "verifyingContract", type: "address" },
      ],
      Person: [{ name: "name", type: "string" }, { name: "wallet", type: "address" }],
      Mail: [{ name: "from", type: "Person" }, { name: "to", type: "Person" }, { name: "contents", type: "string" }],
    },
    primaryType: "Mail",
    domain: { name: "Ether Mail", version: "1", chainId: 31337, verifyingContract: "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC" },
    message: {
      from: { name: "Cow", wallet: address },
      to: { name: "Bob", wallet: "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB" },
      contents: "Hello, Bob!",
    },
  };
}

export async function assertTypedData(page, address) {
  const typed = mailTypedData(address);
  const signature = await ok(page, "eth_signTypedData_v4", [address, JSON.stringify(typed)]);
  assert.ok(await verifyTypedData({ address, ...typed, signature }), "viem rejects the EIP-712 signature");
  return signature;
}

/** Checks a signed raw transaction with viem and ethers. */
export async function assertSignedTx(raw, address, expectType) {
  assert.ok(isAddressEqual(await recoverTransactionAddress({ serializedTransaction: raw }), address), "viem: wrong signer");
  const tx = Transaction.from(raw);
  assert.equal(tx.from.toLowerCase(), address.toLowerCase(), "ethers: wrong signer");
  assert.equal(tx.type, expectType);
  return tx;
}

export async function rpc(stack, method, params = []) {
  const { json } = await postJson(stack.urls.rpc, { jsonrpc: "2.0", id: 1, method, params });
  if (json.error) throw new Error(`${method}: ${JSON.stringify(json.error)}`);
  return json.result;
}

export function base58Decode(text) {
  const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  let n = 0n;
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error("not base58");
    n = n * 58n + BigInt(v);
  }
  const bytes = [];
  while (n > 0n) { bytes.unshift(Number(n & 0xffn)); n >>= 8n; }
  for (const ch of text) { if (ch === "1") bytes.unshift(0); else break; }
  return Uint8Array.from(bytes);
}

export async function assertSolanaMessage(page, solanaAddress, text = "hello solana") {
  const message = Buffer.from(text);
  const { signature } = await ok(page, "solana_signMessage", { message: message.toString("base64") });
  assert.ok(ed25519.verify(base58Decode(signature), message, base58Decode(solanaAddress)), "ed25519 verify failed");
}

/** A legacy Solana transaction: fee payer `payer`, one System transfer. */
export function solanaTransferTx(payer, to = new Uint8Array(32).fill(7)) {
  const system = new Uint8Array(32); // the System program id is all zeros
  const blockhash = new Uint8Array(32).fill(9);
  const data = Buffer.alloc(12);
  data.writeUInt32LE(2, 0); // Transfer
  data.writeBigUInt64LE(1000n, 4);
  const message = Buffer.concat([
    Buffer.from([1, 0, 1]), // 1 required signature, 0 read-only signed, 1 read-only unsigned
    Buffer.from([3]), Buffer.from(payer), Buffer.from(to), Buffer.from(system),
    Buffer.from(blockhash),
    Buffer.from([1, 2, 2, 0, 1, data.length]), data, // 1 instruction: program 2, accounts [0, 1]
  ]);
  const tx = Buffer.concat([Buffer.from([1]), Buffer.alloc(64), message]);
  return { tx, message };
}

export async function assertSolanaTransaction(page, solanaAddress) {
  const payer = base58Decode(solanaAddress);
  const { tx, message } = solanaTransferTx(payer);
  const { transaction } = await ok(page, "solana_signTransaction", { transaction: tx.toString("base64") });
  const signed = Buffer.from(transaction, "base64");
  assert.equal(signed.length, tx.length);
  assert.deepEqual(signed.subarray(65), message, "the message must not change");
  assert.ok(ed25519.verify(signed.subarray(1, 65), message, payer), "ed25519 verify of the transaction failed");
}
