// The sample dApp as a new user meets it: only its labelled controls, in a
// real browser, against the whole stack (anvil included). Then `npm start`'s
// entry point, started on free ports, must serve a page and stop cleanly.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, launchBrowser, startProcess } from "./support/index.mjs";
import { ROOT, startStack } from "../scripts/stack.mjs";
import { approveNext, screenAlert, typeAndApprove, uniqueName } from "./support/e2e.mjs";

let stack, browser, dataDir;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "keyframe-sample-"));
  stack = await startStack({ dataDir });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const latestResult = (page) => page.getByRole("list", { name: "Results" }).getByRole("listitem").first();

async function expectVerified(page, label) {
  const item = latestResult(page);
  await item.filter({ hasText: label }).waitFor({ timeout: 30_000 });
  assert.match(await item.textContent(), /verified ✓/, await item.textContent());
}

/** While a request waits in the iFrame, the page says so; then the user approves there. */
async function approveInKeyframe(page) {
  await page.getByRole("status").filter({ hasText: "approve in the Keyframe window" }).waitFor({ timeout: 30_000 });
  await approveNext(page);
}

async function logIn(page, username, password, button) {
  await page.goto(stack.urls.dapp);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: button }).click();
}

test("a new user signs up, creates a wallet, signs and sends, then recovers on a second device and revokes the first", async () => {
  const username = uniqueName("alice");
  const password = "alice's long password";
  const recoveryPassword = "a recovery password for alice";

  const laptop = await browser.newContext();
  const page = await laptop.newPage();
  await logIn(page, username, password, "Sign up");
  // The page has no field for the recovery password: it is typed in the
  // Keyframe window.
  assert.equal(await page.locator("input[type=password]").count(), 1, "only the login password is on the page");
  await page.getByRole("button", { name: "Create wallet" }).click();
  await page.getByRole("status").filter({ hasText: "approve in the Keyframe window" }).waitFor({ timeout: 30_000 });
  await typeAndApprove(page, { "New recovery password": recoveryPassword, "Repeat the new password": recoveryPassword });
  await page.getByRole("button", { name: "Sign message" }).waitFor({ timeout: 60_000 });
  const address = (await page.locator("#evm-address").textContent()).trim();
  assert.match(address, /^0x[0-9a-fA-F]{40}$/);

  await page.getByRole("button", { name: "Sign message" }).click();
  await approveInKeyframe(page);
  await expectVerified(page, "Message signature");
  await page.getByRole("button", { name: "Sign typed data" }).click();
  await approveInKeyframe(page);
  await expectVerified(page, "Typed-data signature");
  await page.getByRole("button", { name: "Send transaction" }).click();
  await approveInKeyframe(page);
  await expectVerified(page, "Transaction");
  assert.match(await latestResult(page).textContent(), /mined in block \d+/);
  await page.getByRole("button", { name: "Sign Solana message" }).click();
  await approveInKeyframe(page);
  await expectVerified(page, "Solana signature");
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("button", { name: "Log in" }).waitFor();

  // A fresh browser profile: log in, recover, sign again.
  const phone = await browser.newContext();
  const page2 = await phone.newPage();
  await logIn(page2, username, password, "Log in");
  await page2.getByRole("button", { name: "Recover wallet" }).waitFor({ timeout: 30_000 });
  await page2.getByRole("button", { name: "Recover wallet" }).click();
  await typeAndApprove(page2, { "Recovery password": "not the recovery password" });
  await screenAlert(page2, "does not open this wallet");
  await typeAndApprove(page2, { "Recovery password": recoveryPassword });
  await page2.getByRole("button", { name: "Sign message" }).waitFor({ timeout: 60_000 });
  assert.equal((await page2.locator("#evm-address").textContent()).trim(), address);
  await page2.getByRole("button", { name: "Sign message" }).click();
  await approveInKeyframe(page2);
  await expectVerified(page2, "Message signature");

  // Revoke the laptop from the phone; the laptop can no longer sign.
  await page2.getByRole("button", { name: "Devices" }).click();
  const others = page2.getByRole("list", { name: "Device list" }).getByRole("listitem").filter({ hasNotText: "This device" });
  await others.first().waitFor();
  assert.equal(await others.count(), 1);
  await others.first().getByRole("button", { name: /Revoke/ }).click();
  await approveInKeyframe(page2);
  await others.first().waitFor({ state: "detached" });

  await logIn(page, username, password, "Log in");
  const signOrRecover = page.getByRole("button", { name: /Sign message|Recover wallet/ });
  await signOrRecover.first().waitFor({ timeout: 30_000 });
  if (await page.getByRole("button", { name: "Sign message" }).isVisible()) {
    await page.getByRole("button", { name: "Sign message" }).click();
    await approveInKeyframe(page);
    await page.getByRole("alert").filter({ hasText: "holds no key share" }).waitFor({ timeout: 30_000 });
  }
  await laptop.close();
  await phone.close();
});

test("a backup file: created with the file method, downloaded in the Keyframe window, then recovered from on a fresh profile", async () => {
  const username = uniqueName("filer");
  const password = "filer's long password";
  const backupPassword = "the password of my backup";
  const laptop = await browser.newContext({ acceptDownloads: true });
  const page = await laptop.newPage();
  await logIn(page, username, password, "Sign up");
  await page.getByLabel("A backup file I keep").check();
  await page.getByRole("button", { name: "Create wallet" }).click();
  await typeAndApprove(page, { "New recovery password": backupPassword, "Repeat the new password": backupPassword });
  const frame = page.frameLocator("iframe[data-keyframe]");
  await frame.getByRole("heading", { name: "Keep your backup" }).waitFor({ timeout: 60_000 });
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    frame.getByRole("link", { name: "Download backup file" }).click(),
  ]);
  const file = join(dataDir, download.suggestedFilename());
  await download.saveAs(file);
  await frame.getByLabel("I have kept the backup file").check();
  await approveNext(page);
  await page.getByRole("button", { name: "Sign message" }).waitFor({ timeout: 60_000 });
  const address = (await page.locator("#evm-address").textContent()).trim();
  // The wallet page offers a new backup at any time.
  await page.getByRole("button", { name: "Download backup" }).waitFor();
  await laptop.close();

  const phone = await browser.newContext();
  const page2 = await phone.newPage();
  await logIn(page2, username, password, "Log in");
  await page2.getByRole("button", { name: "Recover from file" }).click();
  const frame2 = page2.frameLocator("iframe[data-keyframe]");
  await frame2.getByLabel("Backup file", { exact: true }).setInputFiles(file);
  await new Promise((r) => setTimeout(r, 200));
  await typeAndApprove(page2, { "Recovery password": backupPassword });
  await page2.getByRole("button", { name: "Sign message" }).waitFor({ timeout: 60_000 });
  assert.equal((await page2.locator("#evm-address").textContent()).trim(), address);
  await page2.getByRole("button", { name: "Sign message" }).click();
  await approveInKeyframe(page2);
  await expectVerified(page2, "Message signature");
  await phone.close();
});

test("npm start's entry point serves the product on the ports it is given and stops on SIGINT", async () => {
  const dir = await mkdtemp(join(tmpdir(), "keyframe-start-"));
  const ports = { DAPP_PORT: await freePort(), PROVIDER_PORT: await freePort(), SHIELD_PORT: await freePort(), ANVIL_PORT: await freePort() };
  const env = Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)]));
  const started = await startProcess(process.execPath, [join(ROOT, "scripts", "start.mjs")], {
    cwd: ROOT,
    env: { ...env, KEYFRAME_DATA_DIR: dir },
    readyUrl: `http://127.0.0.1:${ports.DAPP_PORT}/`,
    readyTimeoutMs: 60_000,
  });
  try {
    for (let i = 0; i < 100 && !started.logs().includes("Keyframe is running"); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(started.logs(), new RegExp(`Open the sample dApp:\\s+http://127.0.0.1:${ports.DAPP_PORT}`));
    const page = await (await fetch(`http://127.0.0.1:${ports.DAPP_PORT}/`)).text();
    assert.match(page, /Keyframe sample dApp/);
    const iframe = await fetch(`http://127.0.0.1:${ports.PROVIDER_PORT}/iframe.html`);
    assert.equal(iframe.status, 200);
    assert.match(iframe.headers.get("content-security-policy") ?? "", new RegExp(`frame-ancestors[^;]*127.0.0.1:${ports.DAPP_PORT}`));
  } finally {
    process.kill(-started.pid, "SIGINT");
    const { code } = await started.exited;
    await rm(dir, { recursive: true, force: true });
    assert.equal(code, 0, started.logs());
  }
});
