// The sample dApp: log in against our own server, embed Keyframe with the
// host SDK, and exercise every flow, verifying each signature independently.
import { createSigner } from "/sdk/index.js";
import { verifyMessage, verifyTypedData, verifyTransaction, verifySolana } from "/verify.js";

const $ = (id) => document.getElementById(id);
const state = { token: null, signer: null, config: null, status: null };

// Words a person understands, by the signer's stable reason codes.
const REASONS = {
  AUTH_REQUIRED: "Please log in again.",
  AUTH_EXPIRED: "Your session expired. Please log in again.",
  NO_WALLET: "You have no wallet yet. Create one first.",
  RECOVERY_REQUIRED: "This browser holds no key share for your wallet. Recover it with your recovery password or automatic recovery.",
  WRONG_PASSWORD: "That recovery password is not correct.",
  SHARE_UNAVAILABLE: "A key-share service did not answer. Try again in a moment.",
  SHARE_MISMATCH: "The key shares do not match this wallet. Recover the wallet on this device again.",
  POLICY_DENIED: "This request was refused by policy.",
  RATE_LIMITED: "Too many requests. Wait a moment and try again.",
  STORAGE_UNAVAILABLE: "This browser blocks storage for the wallet frame.",
  TIMEOUT: "The wallet took too long to answer. Try again.",
  BAD_REQUEST: "The request was not valid.",
  USER_REJECTED: "You rejected the request in the Keyframe window.",
};
const SERVER_ERRORS = {
  USERNAME_TAKEN: "That username is taken.",
  INVALID_CREDENTIALS: "Wrong username or password.",
  RATE_LIMITED: "Too many attempts. Wait a minute and try again.",
  SESSION_EXPIRED: "Your session reached its maximum length. Please log in again.",
};

function explain(err) {
  if (err && err.reason && REASONS[err.reason]) {
    return err.reason === "BAD_REQUEST" && err.message ? `The request was not valid: ${err.message}` : REASONS[err.reason];
  }
  if (err && err.code && SERVER_ERRORS[err.code]) return SERVER_ERRORS[err.code];
  return err && err.message ? err.message : String(err);
}

function showError(err) {
  $("error").textContent = explain(err);
  $("error").hidden = false;
}

/**
 * The progress note of a request the Keyframe iFrame shows to the user for
 * approval: the answer comes only once they approve (or reject) there.
 */
const waitsForYou = (what) => `${what}: approve in the Keyframe window…`;

/** Runs `work` with a progress note, buttons disabled, and errors shown. */
async function busy(label, work) {
  $("error").hidden = true;
  $("busy-text").textContent = label;
  $("busy").hidden = false;
  const buttons = [...document.querySelectorAll("button")];
  buttons.forEach((b) => (b.disabled = true));
  try {
    return await work();
  } catch (err) {
    showError(err);
    return undefined;
  } finally {
    buttons.forEach((b) => (b.disabled = false));
    $("busy").hidden = true;
  }
}

async function api(path, body, token = state.token) {
  const res = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = new Error(json?.error?.message || `HTTP ${res.status}`);
    e.code = json?.error?.code;
    throw e;
  }
  return json;
}

function result(label, detail, ok) {
  const li = document.createElement("li");
  const title = document.createElement("strong");
  title.textContent = `${label}: `;
  const verdict = document.createElement("span");
  verdict.className = ok ? "ok" : "bad";
  verdict.textContent = ok ? "verified ✓" : "NOT verified ✗";
  const value = document.createElement("code");
  value.textContent = ` ${detail}`;
  li.append(title, verdict, value);
  li.dataset.verified = String(ok);
  $("results").prepend(li);
}

function recoveryChoice() {
  if ($("method-automatic").checked) return null; // filled in by automaticRecovery()
  if ($("method-file").checked) return { method: "file" };
  // The password itself is typed in the Keyframe window, never here.
  return { method: "password" };
}

async function recoveryParam() {
  const choice = recoveryChoice();
  if (choice) return choice;
  const { key } = await api("/api/recovery-key");
  return { method: "automatic", token: key };
}

async function ensureSigner() {
  if (state.signer) return state.signer;
  state.config ??= await api("/api/config", undefined, null);
  state.signer = await createSigner({
    providerUrl: state.config.providerOrigin,
    chainId: state.config.chainId,
    rpcUrl: "/api/rpc",
    name: "Keyframe (sample)",
    // One token per Keyframe service, bound to the iFrame's DPoP key; our
    // own session token never leaves this page.
    getTokens: (jkt) => api("/api/keyframe-tokens", { jkt }),
  });
  state.signer.provider.on("accountsChanged", () => refreshStatus());
  return state.signer;
}

async function refreshStatus() {
  const signer = await ensureSigner();
  const status = await signer.request({ method: "keyframe_status" });
  state.status = status;
  $("storage-mode").textContent = status.storage === "persistent" ? "persistent (IndexedDB)" : "memory only (this tab)";
  const hasWallet = Boolean(status.wallet);
  const usable = hasWallet && status.hasLocalShare;
  $("setup-section").hidden = usable;
  $("wallet-section").hidden = !usable;
  $("create-wallet").hidden = hasWallet;
  $("recover-wallet").hidden = !hasWallet;
  $("recover-file").hidden = !hasWallet;
  $("setup-hint").textContent = hasWallet
    ? "Your wallet exists, but this browser has no share of it. Recover it here."
    : "You have no wallet yet. Choose how to protect its backup, then create it.";
  if (usable) {
    $("evm-address").textContent = status.addresses.evm;
    $("solana-address").textContent = status.addresses.solana ?? "—";
    $("device-id").textContent = status.device ?? "—";
    await updateBalance();
  }
}

async function updateBalance() {
  const wei = await state.signer.provider.request({ method: "eth_getBalance", params: [state.status.addresses.evm, "latest"] });
  $("balance").textContent = (Number(BigInt(wei)) / 1e18).toFixed(4);
}

// Tokens are short-lived: renew one a minute before it expires and hand the
// new one to the signer, so a session lasts as long as the server allows.
// A token never outlives its session (the server caps `exp`): once a renewal
// no longer moves `exp`, the session ends there and renewing stops.
function tokenExp(token) {
  return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).exp;
}

function scheduleRenewal(token, username, previousExp) {
  clearTimeout(state.renewal);
  const exp = tokenExp(token);
  if (previousExp !== undefined && exp <= previousExp) return;
  const delay = Math.max(5_000, exp * 1000 - Date.now() - 60_000);
  state.renewal = setTimeout(async () => {
    if (state.token !== token) return;
    try {
      const { token: fresh } = await api("/api/auth/refresh", {});
      state.token = fresh;
      sessionStorage.setItem("keyframe-sample", JSON.stringify({ token: fresh, username }));
      await state.signer?.authorize();
      scheduleRenewal(fresh, username, exp);
    } catch (err) {
      showError(err);
    }
  }, delay);
}

async function signedIn(token, username) {
  state.token = token;
  sessionStorage.setItem("keyframe-sample", JSON.stringify({ token, username }));
  scheduleRenewal(token, username);
  $("who").textContent = username;
  $("auth-section").hidden = true;
  $("session-section").hidden = false;
  const signer = await ensureSigner();
  await signer.authorize();
  await refreshStatus();
}

function credentials() {
  return { username: $("username").value.trim(), password: $("password").value };
}

$("auth-form").addEventListener("submit", (e) => {
  e.preventDefault();
  busy("Logging in…", async () => {
    const { token } = await api("/api/auth/login", credentials(), null);
    await signedIn(token, credentials().username);
  });
});
$("signup").addEventListener("click", () =>
  busy("Creating your account…", async () => {
    const { token } = await api("/api/auth/signup", credentials(), null);
    await signedIn(token, credentials().username);
  }));

$("create-wallet").addEventListener("click", () =>
  busy(!$("method-automatic").checked
    ? waitsForYou("Creating your wallet (choose its recovery password there; this takes a few seconds)")
    : "Creating your wallet (this takes a few seconds)…", async () => {
    const recovery = await recoveryParam();
    const created = await state.signer.request({ method: "keyframe_createWallet", params: { recovery } });
    await api("/api/faucet", { address: created.addresses.evm }).catch(() => {});
    await refreshStatus();
  }));

$("recover-wallet").addEventListener("click", () =>
  busy($("method-password").checked
    ? waitsForYou("Recovering your wallet on this device (type its recovery password there)")
    : "Recovering your wallet on this device…", async () => {
    const recovery = await recoveryParam();
    await state.signer.request({ method: "keyframe_recover", params: { recovery } });
    await refreshStatus();
  }));

$("recover-file").addEventListener("click", () =>
  busy(waitsForYou("Recovering your wallet from its backup file (choose the file and type its password there)"), async () => {
    await state.signer.request({ method: "keyframe_recover", params: { recovery: { method: "file" } } });
    await refreshStatus();
  }));

$("sign-message").addEventListener("click", () =>
  busy(waitsForYou("Signing the message"), async () => {
    const address = state.status.addresses.evm;
    const message = $("message").value;
    const signature = await state.signer.provider.request({ method: "personal_sign", params: [message, address] });
    result("Message signature", signature, await verifyMessage({ address, message, signature }));
  }));

const TYPED = (chainId, address) => ({
  types: {
    EIP712Domain: [
      { name: "name", type: "string" }, { name: "version", type: "string" },
      { name: "chainId", type: "uint256" }, { name: "verifyingContract", type: "address" },
    ],
    Person: [{ name: "name", type: "string" }, { name: "wallet", type: "address" }],
    Mail: [{ name: "from", type: "Person" }, { name: "to", type: "Person" }, { name: "contents", type: "string" }],
  },
  primaryType: "Mail",
  domain: { name: "Keyframe sample", version: "1", chainId, verifyingContract: "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC" },
  message: {
    from: { name: "You", wallet: address },
    to: { name: "Bob", wallet: "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB" },
    contents: $("message").value,
  },
});

$("sign-typed-data").addEventListener("click", () =>
  busy(waitsForYou("Signing typed data"), async () => {
    const address = state.status.addresses.evm;
    const typed = TYPED(state.config.chainId, address);
    const signature = await state.signer.provider.request({ method: "eth_signTypedData_v4", params: [address, JSON.stringify(typed)] });
    result("Typed-data signature", signature, await verifyTypedData({ address, ...typed, signature }));
  }));

$("send-transaction").addEventListener("click", () =>
  busy(waitsForYou("Signing and sending the transaction"), async () => {
    const from = state.status.addresses.evm;
    const wei = BigInt(Math.round(Number($("send-amount").value) * 1e6)) * 10n ** 12n;
    const hash = await state.signer.provider.request({
      method: "eth_sendTransaction",
      params: [{ from, to: $("send-to").value.trim(), value: `0x${wei.toString(16)}` }],
    });
    let receipt = null;
    for (let i = 0; i < 50 && !receipt; i++) {
      receipt = await state.signer.provider.request({ method: "eth_getTransactionReceipt", params: [hash] });
      if (!receipt) await new Promise((r) => setTimeout(r, 200));
    }
    const tx = await api("/api/rpc", { jsonrpc: "2.0", id: 1, method: "eth_getTransactionByHash", params: [hash] }).catch(() => null);
    const mined = receipt && receipt.status === "0x1";
    result("Transaction", `${hash}${mined ? ` mined in block ${BigInt(receipt.blockNumber)}` : " not mined"}`, Boolean(mined));
    await updateBalance();
    void tx;
  }));

$("sign-solana").addEventListener("click", () =>
  busy(waitsForYou("Signing the Solana message"), async () => {
    const message = new TextEncoder().encode($("message").value);
    const b64 = btoa(String.fromCharCode(...message));
    const { signature } = await state.signer.request({ method: "solana_signMessage", params: { message: b64 } });
    result("Solana signature", signature, verifySolana(message, signature, state.status.addresses.solana));
  }));

$("devices").addEventListener("click", () =>
  busy("Loading devices…", async () => {
    const { devices } = await state.signer.request({ method: "keyframe_listDevices" });
    const list = $("device-list");
    list.replaceChildren();
    for (const d of devices) {
      const li = document.createElement("li");
      li.dataset.device = d.device;
      li.append(`${d.current ? "This device" : "Device"} ${d.device.slice(0, 8)}… · ${d.ephemeral ? "this tab only" : "persistent"} · last used ${d.lastUsedAt ?? d.createdAt} `);
      const revoke = document.createElement("button");
      revoke.type = "button";
      revoke.className = "small";
      revoke.textContent = "Revoke";
      revoke.setAttribute("aria-label", `Revoke device ${d.device.slice(0, 8)}`);
      revoke.addEventListener("click", () =>
        busy(waitsForYou("Revoking the device"), async () => {
          await state.signer.request({ method: "keyframe_revokeDevice", params: { device: d.device } });
          li.remove();
          await refreshStatus();
        }));
      li.append(revoke);
      list.append(li);
    }
  }));

// The wallet's activity log (docs/policy.md, "Activity"), newest first.
const DECISIONS = {
  allowed: "allowed by a rule",
  approved_on_screen: "approved on the screen",
  approved_by_webhook: "approved by the operator",
  rejected: "rejected on the screen",
  denied: "denied",
  refused_by_webhook: "refused by the operator",
  webhook_timed_out: "the operator did not answer",
};
$("activity").addEventListener("click", () =>
  busy("Loading the activity…", async () => {
    const entries = await state.signer.request({ method: "keyframe_activity", params: { limit: 50 } });
    const list = $("activity-list");
    list.replaceChildren();
    for (const e of entries) {
      const li = document.createElement("li");
      li.dataset.decision = e.decision;
      const what = [e.intent.kind, e.intent.chain && `chain ${e.intent.chain}`, e.intent.to && `to ${e.intent.to}`, e.intent.value && e.intent.value !== "0" && `${e.intent.value} wei`]
        .filter(Boolean).join(" · ");
      const rule = e.rule ? ` (rule ${e.rule.id})` : "";
      li.textContent = `${new Date(e.at).toLocaleString()} · ${DECISIONS[e.decision] ?? e.decision}${rule} · ${what}${e.reason ? ` · ${e.reason}` : ""}`;
      list.append(li);
    }
    if (entries.length === 0) list.textContent = "Nothing yet.";
  }));

$("export").addEventListener("click", () =>
  busy(waitsForYou("Showing your backup inside the wallet frame"), () => state.signer.request({ method: "keyframe_export" })));

$("download-backup").addEventListener("click", () =>
  busy(waitsForYou("Writing a backup file (choose its password, then download it there)"), async () => {
    await state.signer.request({ method: "keyframe_downloadBackup" });
    result("Backup file", "downloaded", true);
  }));

$("change-recovery").addEventListener("click", () =>
  busy(waitsForYou("Re-encrypting your backup share"), async () => {
    // The current method's secret proves the change is the user's
    // (docs/api.md, keyframe_setRecovery).
    // Both passwords are typed in the Keyframe window.
    const current = $("current-recovery-method").value === "automatic"
      ? { method: "automatic", token: (await api("/api/recovery-key")).key }
      : { method: "password" };
    await state.signer.request({ method: "keyframe_setRecovery", params: { current, recovery: { method: "password" } } });
    result("Recovery password", "changed", true);
  }));

$("refresh-balance").addEventListener("click", () => busy("Reading the balance…", updateBalance));

$("logout").addEventListener("click", () =>
  busy("Logging out…", async () => {
    await state.signer?.request({ method: "keyframe_logout" });
    sessionStorage.removeItem("keyframe-sample");
    clearTimeout(state.renewal);
    state.token = null;
    for (const id of ["session-section", "setup-section", "wallet-section"]) $(id).hidden = true;
    $("auth-section").hidden = false;
    $("results").replaceChildren();
    $("device-list").replaceChildren();
    $("activity-list").replaceChildren();
  }));

// Resume a session after a reload of this tab.
const saved = JSON.parse(sessionStorage.getItem("keyframe-sample") || "null");
if (saved) busy("Restoring your session…", () => signedIn(saved.token, saved.username));
