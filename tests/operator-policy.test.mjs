// `npm start`'s sample operator policy and approvals desk (README.md, "The
// sample operator policy"), as `scripts/start.mjs` starts them: hot storage
// gets the policy file and the sample dApp's webhook URL, both processes
// get one fresh secret in their environment and never on a command line,
// and the desk that secret opens answers an operator's decision signed
// (checked here with node's own HMAC).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startProcess } from "./support/index.mjs";
import { ROOT } from "../scripts/stack.mjs";

const sign = (secret, id, ts, body) =>
  "v1," + createHmac("sha256", Buffer.from(secret.slice("whsec_".length), "base64")).update(`${id}.${ts}.${body}`).digest("base64");

test("the published Standard Webhooks example signs the same here", () => {
  assert.equal(
    sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}'),
    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
  );
});

/** The processes whose command line names `marker`: { argv, env }. */
async function processesNaming(marker) {
  const out = [];
  for (const pid of (await readdir("/proc")).filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").filter(Boolean);
      if (!argv.some((a) => a.includes(marker))) continue;
      const env = Object.fromEntries(
        (await readFile(`/proc/${pid}/environ`, "utf8")).split("\0").filter(Boolean).map((kv) => {
          const i = kv.indexOf("=");
          return [kv.slice(0, i), kv.slice(i + 1)];
        }),
      );
      out.push({ argv, env });
    } catch {
      // gone, or not ours
    }
  }
  return out;
}

test("npm start runs hot storage with the sample policy and the sample dApp as its approval webhook", async () => {
  const dir = await mkdtemp(join(tmpdir(), "keyframe-operator-"));
  const ports = { DAPP_PORT: await freePort(), PROVIDER_PORT: await freePort(), SHIELD_PORT: await freePort(), ANVIL_PORT: await freePort() };
  const env = Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)]));
  const dapp = `http://127.0.0.1:${ports.DAPP_PORT}`;
  const started = await startProcess(process.execPath, [join(ROOT, "scripts", "start.mjs")], {
    cwd: ROOT,
    env: { ...env, KEYFRAME_DATA_DIR: dir },
    readyUrl: `${dapp}/`,
    readyTimeoutMs: 60_000,
  });
  try {
    for (let i = 0; i < 100 && !started.logs().includes("Keyframe is running"); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(started.logs(), new RegExp(`approvals page \\(the operator\\)\\s+${dapp}/approvals`));

    const procs = await processesNaming(dir);
    const hot = procs.find((p) => p.argv[0].endsWith("hot-storage-service"));
    const sample = procs.find((p) => p.argv[0].endsWith("sample-dapp"));
    assert.ok(hot && sample, JSON.stringify(procs.map((p) => p.argv[0])));
    const arg = (argv, flag) => argv[argv.indexOf(flag) + 1];
    assert.equal(arg(hot.argv, "--policy-file"), join(ROOT, "sample-dapp", "policy.json"));
    assert.equal(arg(hot.argv, "--approval-url"), `${dapp}/approvals/webhook`);
    assert.equal(arg(hot.argv, "--approval-timeout-ms"), "60000");
    assert.ok(Number(arg(hot.argv, "--request-timeout-seconds")) > 60);
    // One secret, in both environments, on no command line.
    const secret = hot.env.KEYFRAME_APPROVAL_SECRET;
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(sample.env.SAMPLE_DAPP_APPROVAL_SECRET, secret);
    for (const p of procs) assert.ok(!p.argv.join(" ").includes(secret.slice(6, 20)), p.argv[0]);

    // The desk takes a request signed with that secret and no other.
    const id = "ev_npm_start_1";
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      type: "keyframe.approval.requested",
      timestamp: new Date().toISOString(),
      data: { evaluation_id: id, kind: "evm_transaction", chain: 31337, value: "700000000000000000",
              to: "0x70997970c51812dc3a010c7d01b50e20d17dc79c", user: "bob", wallet: "w",
              rule: { layer: "operator", id: "big-transfer-needs-operator" }, deadline: now + 30 },
    });
    const post = (s) =>
      fetch(`${dapp}/approvals/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(now), "webhook-signature": sign(s, id, now, body) },
        body,
      });
    assert.equal((await post("whsec_" + Buffer.alloc(32, 7).toString("base64"))).status, 401);
    const answer = post(secret);
    let html = "";
    for (let i = 0; i < 100 && !html.includes(`/approvals/${id}`); i++) {
      html = await (await fetch(`${dapp}/approvals`)).text();
      if (!html.includes(`/approvals/${id}`)) await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(html, /0\.7 ETH/);
    assert.match(html, /big-transfer-needs-operator/);
    const decided = await fetch(`${dapp}/approvals/${id}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: dapp },
      body: "decision=refuse&reason=ask+the+desk",
      redirect: "manual",
    });
    assert.equal(decided.status, 303);
    const res = await answer;
    assert.equal(res.status, 200);
    const text = await res.text();
    const ts = res.headers.get("webhook-timestamp");
    assert.equal(res.headers.get("webhook-id"), id);
    assert.equal(res.headers.get("webhook-signature"), sign(secret, id, ts, text));
    assert.deepEqual(JSON.parse(text), { approved: false, evaluationId: id, reason: "ask the desk" });
  } finally {
    process.kill(-started.pid, "SIGINT");
    const { code } = await started.exited;
    await rm(dir, { recursive: true, force: true });
    assert.equal(code, 0, started.logs());
  }
});
