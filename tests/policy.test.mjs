// Policies, approvals and the activity log (docs/policy.md) in headless
// Chromium against the real stack: hot storage runs an operator policy and
// an approval webhook (a real HTTP server this test starts and signs for,
// Standard Webhooks). A denied transfer answers POLICY_DENIED and nothing
// is signed; an `allow` rule signs without a screen; a rolling limit holds
// across two browser profiles of one user; "Always allow" on the screen is
// honoured; user rules rewritten on the way are ignored; the webhook
// approves, refuses, answers late and answers with a bad signature, each
// with the right outcome; the activity log shows each decision.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  approveButton, approveNext, assertSignedTx, authorize, callUnattended, ok, openHost, recoveryKey, rejectNext,
  signerFrame, signUp, tickOnScreen,
} from "./support/e2e.mjs";
import { freePort } from "./support/index.mjs";
import { startHarness } from "./support/harness.mjs";

const BURN = "0x000000000000000000000000000000000000dEaD";
const FRIEND = "0x70997970C51812Dc3A010c7D01B50E20D17Dc79C";
const POLICY = {
  version: 1,
  default: "ask",
  rules: [
    { id: "no-burn", effect: "deny", when: { kinds: ["evm_transaction"], to: [BURN.toLowerCase()] } },
    { id: "office-approves-big", effect: "approve", when: { kinds: ["evm_transaction"], value_at_least: "500000000000000000" } },
    {
      id: "small-tips", effect: "allow",
      when: { kinds: ["evm_transaction"], chains: [31337], value_at_most: "1000000000000000" },
      limits: [{ window: "1h", count_at_most: 2 }],
    },
  ],
};
const SECRET_BYTES = randomBytes(32);
const SECRET = `whsec_${SECRET_BYTES.toString("base64")}`;
const WEBHOOK_TIMEOUT_MS = 1_500;

/** Standard Webhooks: base64 HMAC-SHA256 over `id.timestamp.body`. */
const sign = (id, ts, body, key = SECRET_BYTES) =>
  `v1,${createHmac("sha256", key).update(`${id}.${ts}.${body}`).digest("base64")}`;

// The operator's approver: answers as `webhook.mode` says, and records
// what it was asked (after checking the request's signature).
const webhook = { mode: "approve", seen: [] };
let webhookServer;

async function startWebhook() {
  const port = await freePort();
  webhookServer = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", async () => {
      const id = req.headers["webhook-id"];
      const ts = req.headers["webhook-timestamp"];
      const valid = req.headers["webhook-signature"]?.split(" ").includes(sign(id, ts, body));
      const event = JSON.parse(body);
      webhook.seen.push({ valid, event });
      if (!valid) {
        res.writeHead(401).end();
        return;
      }
      const evaluationId = event.data.evaluation_id;
      const answer = (json, key) => {
        const text = JSON.stringify(json);
        const now = String(Math.floor(Date.now() / 1000));
        res.writeHead(200, {
          "content-type": "application/json",
          "webhook-id": id,
          "webhook-timestamp": now,
          "webhook-signature": sign(id, now, text, key),
        });
        res.end(text);
      };
      switch (webhook.mode) {
        case "approve":
          return answer({ approved: true, evaluationId });
        case "refuse":
          return answer({ approved: false, evaluationId, reason: "over the desk's daily limit" });
        case "late":
          await sleep(WEBHOOK_TIMEOUT_MS + 1_000);
          return answer({ approved: true, evaluationId });
        case "bad-signature":
          return answer({ approved: true, evaluationId }, randomBytes(32));
      }
    });
  });
  await new Promise((r) => webhookServer.listen(port, "127.0.0.1", r));
  return `http://127.0.0.1:${port}/approve`;
}

let harness, stack, browser, host;

before(async () => {
  const url = await startWebhook();
  harness = await startHarness("policy", {
    prepare: async (dir) => {
      const file = join(dir, "policy.json");
      await writeFile(file, JSON.stringify(POLICY));
      return {
        env: {
          HOT_STORAGE_POLICY_FILE: file,
          HOT_STORAGE_APPROVAL_URL: url,
          KEYFRAME_APPROVAL_SECRET: SECRET,
          HOT_STORAGE_APPROVAL_TIMEOUT_MS: String(WEBHOOK_TIMEOUT_MS),
        },
      };
    },
  });
  ({ stack, browser, host } = harness);
});

after(async () => {
  await harness?.close();
  webhookServer?.close();
});

const tx = (from, to, wei, nonce = 0) => ({
  from, to, value: `0x${BigInt(wei).toString(16)}`, nonce: `0x${nonce.toString(16)}`, gas: "0x5208", gasPrice: "0x1", chainId: "0x7a69",
});
const hex = (text) => `0x${Buffer.from(text).toString("hex")}`;

/** A profile (its own storage) of `user`, signed in to the iFrame. */
async function profile(user) {
  const context = await browser.newContext();
  const { page, connected } = await openHost(context, host.origin, stack);
  assert.ok(connected.ok, JSON.stringify(connected));
  await authorize(page, stack, user.token);
  return { context, page };
}

/** No approval screen appeared during `ms`. */
async function noScreenFor(page, ms = 1_000) {
  const shown = await approveButton(page).waitFor({ state: "visible", timeout: ms }).then(() => true, () => false);
  assert.equal(shown, false, "no approval screen");
}

describe("policies, approvals and the activity log", () => {
  let user, laptop, phone, addresses;

  before(async () => {
    user = await signUp(stack, "policy");
    laptop = await profile(user);
    const key = await recoveryKey(stack, user.token);
    ({ addresses } = await ok(laptop.page, "keyframe_createWallet", { recovery: { method: "automatic", token: key } }));
    phone = await profile(user);
    await ok(phone.page, "keyframe_recover", { recovery: { method: "automatic", token: key } });
  });

  after(async () => {
    await laptop?.context.close();
    await phone?.context.close();
  });

  test("a denied transfer answers POLICY_DENIED naming the rule, with no screen and nothing signed", async () => {
    const r = await callUnattended(laptop.page, "eth_signTransaction", [tx(addresses.evm, BURN, 1)]);
    assert.equal(r.ok, false, JSON.stringify(r));
    assert.equal(r.reason, "POLICY_DENIED");
    assert.equal(r.code, 4100);
    assert.match(r.message, /no-burn/);
    await noScreenFor(laptop.page, 300);
    const sim = await ok(laptop.page, "keyframe_simulate", { method: "eth_signTransaction", params: [tx(addresses.evm, BURN, 1)] });
    assert.equal(sim.effect, "deny");
    assert.equal(sim.deciding_rule.id, "no-burn");
    assert.equal(sim.per_rule.find((x) => x.id === "small-tips").first_failed_condition, undefined,
      "small-tips matched too; deny wins");
  });

  test("an allow rule signs without a screen, and its limit holds across two profiles", async () => {
    const first = await callUnattended(laptop.page, "eth_signTransaction", [tx(addresses.evm, FRIEND, 10n ** 15n, 1)]);
    assert.ok(first.ok, JSON.stringify(first));
    await assertSignedTx(first.result, addresses.evm, 0);
    const second = await callUnattended(phone.page, "eth_signTransaction", [tx(addresses.evm, FRIEND, 10n ** 14n, 2)]);
    assert.ok(second.ok, JSON.stringify(second));
    // The third small tip, on the laptop: the rule's count of 2 an hour is
    // used up across both profiles, so the default asks.
    const third = callUnattended(laptop.page, "eth_signTransaction", [tx(addresses.evm, FRIEND, 10n ** 14n, 3)]);
    await approveButton(laptop.page).waitFor({ state: "visible", timeout: 20_000 });
    await rejectNext(laptop.page);
    const r = await third;
    assert.equal(r.reason, "USER_REJECTED", JSON.stringify(r));
  });

  test("\"Always allow\" on the screen is kept, signed, and honoured on both profiles", async () => {
    // A plain send above small-tips' bound and below office-approves-big,
    // so only the default (ask) and the user's rule decide it. "Always
    // allow" is offered for transactions only, and its rule holds what the
    // screen showed: this recipient, no call, at most this value.
    const SEND = 2n * 10n ** 15n;
    const pending = callUnattended(laptop.page, "eth_signTransaction", [tx(addresses.evm, FRIEND, SEND, 20)]);
    await approveButton(laptop.page).waitFor({ state: "visible", timeout: 20_000 });
    const frame = signerFrame(laptop.page);
    await tickOnScreen(laptop.page, frame.getByLabel(`Always allow requests like this from ${host.origin}`));
    await frame.getByLabel("How long to always allow").selectOption({ label: "for 24 hours" });
    await approveNext(laptop.page);
    const first = await pending;
    assert.ok(first.ok, JSON.stringify(first));
    await assertSignedTx(first.result, addresses.evm, 0);
    // The rules are stored once the refresh after the signature ran.
    await sleep(500);
    for (const [n, { page }] of [laptop, phone].entries()) {
      const again = callUnattended(page, "eth_signTransaction", [tx(addresses.evm, FRIEND, SEND, 21 + n)]);
      await noScreenFor(page, 1_000);
      const r = await again;
      assert.ok(r.ok, JSON.stringify(r));
      await assertSignedTx(r.result, addresses.evm, 0);
    }
    const sim = await ok(phone.page, "keyframe_simulate", { method: "eth_signTransaction", params: [tx(addresses.evm, FRIEND, SEND, 23)] });
    assert.equal(sim.effect, "allow");
    assert.equal(sim.deciding_rule.layer, "user");
    assert.equal(sim.user_rules, "verified");
    // More than the screen showed, to the same address: asked again.
    const bigger = callUnattended(laptop.page, "eth_signTransaction", [tx(addresses.evm, FRIEND, SEND + 1n, 24)]);
    await approveButton(laptop.page).waitFor({ state: "visible", timeout: 20_000 });
    await rejectNext(laptop.page);
    const r = await bigger;
    assert.equal(r.reason, "USER_REJECTED", JSON.stringify(r));
  });

  test("user rules rewritten on their way to the iFrame are ignored", async () => {
    // A dishonest operator (or anyone on the path) widens the user's rule
    // (a transaction's, from the test above) to messages: the signature no
    // longer verifies, so the iFrame ignores the set and asks.
    await phone.context.route("**/v2/policy?*", async (route) => {
      const response = await route.fetch();
      const state = await response.json();
      if (state.user_rules) state.user_rules.rules = state.user_rules.rules.replace('"evm_transaction"', '"evm_transaction","evm_message"');
      await route.fulfill({ response, json: state });
    });
    const sim = await ok(phone.page, "keyframe_simulate", { method: "personal_sign", params: [hex("x"), addresses.evm] });
    assert.equal(sim.user_rules, "ignored");
    assert.equal(sim.effect, "ask");
    const pending = callUnattended(phone.page, "personal_sign", [hex("tampered"), addresses.evm]);
    await approveNext(phone.page);
    assert.ok((await pending).ok);
    await phone.context.unroute("**/v2/policy?*");
  });

  test("the approval webhook approves, refuses, answers late, answers with a bad signature", async () => {
    const big = (nonce) => [tx(addresses.evm, FRIEND, 6n * 10n ** 17n, nonce)];
    webhook.mode = "approve";
    const yes = callUnattended(laptop.page, "eth_signTransaction", big(10));
    // The webhook said yes; the rule is not silent, so the screen asks.
    await approveNext(laptop.page);
    const signed = await yes;
    assert.ok(signed.ok, JSON.stringify(signed));
    await assertSignedTx(signed.result, addresses.evm, 0);
    const asked = webhook.seen.at(-1);
    assert.ok(asked.valid, "the request is signed");
    assert.equal(asked.event.data.rule.id, "office-approves-big");
    assert.equal(asked.event.data.to.toLowerCase(), FRIEND.toLowerCase());

    for (const [mode, words] of [["refuse", /daily limit/], ["late", /time|answer/i], ["bad-signature", /signature/i]]) {
      webhook.mode = mode;
      const r = await callUnattended(laptop.page, "eth_signTransaction", big(11));
      assert.equal(r.ok, false, `${mode}: ${JSON.stringify(r)}`);
      assert.equal(r.reason, "POLICY_DENIED", mode);
      assert.match(r.message, words, mode);
      await noScreenFor(laptop.page, 200);
    }
  });

  test("the activity log shows each decision, newest first", async () => {
    const entries = await ok(laptop.page, "keyframe_activity", { limit: 50 });
    const decisions = entries.map((e) => e.decision);
    for (const d of ["denied", "allowed", "rejected", "approved_on_screen", "approved_by_webhook", "refused_by_webhook", "webhook_timed_out"]) {
      assert.ok(decisions.includes(d), `${d} in ${decisions.join(", ")}`);
    }
    const denied = entries.find((e) => e.decision === "denied");
    assert.equal(denied.rule.id, "no-burn");
    assert.equal(denied.intent.origin, host.origin);
    const times = entries.map((e) => e.at);
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
  });
});
