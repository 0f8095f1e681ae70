// Backup files (docs/backup-format.md), as a person uses them in headless
// Chromium against the whole stack: a wallet whose only recovery is a file
// downloaded from inside the iFrame (Shield holds nothing), its recovery on
// a fresh profile, every error of a file shown on the screen in words with
// its code, and a password wallet's backup recovering it with Shield stopped.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { verifyMessage } from "viem";
import {
  authorize, keyframeTokens, approveButton, clickApprove, callUnattended, ok, openHost, screenAlert, signerFrame, signUp, typeAndApprove, typeInto,
} from "./support/e2e.mjs";
import { startHarness } from "./support/harness.mjs";
import { dpopFetch, dpopKey } from "./support/dpop.mjs";

const PASSWORD = "a backup password of mine";
const NEW = { "New recovery password": PASSWORD, "Repeat the new password": PASSWORD };

let harness, stack, browser, host, dataDir;

before(async () => {
  ({ stack, browser, host, dataDir } = harness = await startHarness("backup"));
});


after(async () => {
  await harness?.close();
});


async function device(token) {
  const context = await browser.newContext({ acceptDownloads: true });
  const { page, connected } = await openHost(context, host.origin, stack);
  assert.ok(connected.ok, JSON.stringify(connected));
  if (token) await authorize(page, stack, token);
  return { context, page };
}

/**
 * On the "Keep your backup" screen: Approve is refused until the download
 * started and the box is ticked; returns the downloaded file's path.
 */
async function keepBackup(page) {
  const frame = signerFrame(page);
  await frame.getByRole("heading", { name: "Keep your backup" }).waitFor({ timeout: 60_000 });
  await typeAndApprove(page, {});
  await screenAlert(page, "Download the backup file");
  await frame.getByLabel("I have kept the backup file").check();
  await clickApprove(page);
  await screenAlert(page, "Download the backup file");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    frame.getByRole("link", { name: "Download backup file" }).click(),
  ]);
  const path = join(dataDir, `${Date.now()}-${download.suggestedFilename()}`);
  await download.saveAs(path);
  assert.match(download.suggestedFilename(), /^keyframe-backup-[0-9a-f]{8}\.json$/);
  await clickApprove(page);
  return path;
}

/** Picks `file` and types `password` on the "Recover from backup" screen, then approves. */
async function pickAndApprove(page, file, password) {
  const frame = signerFrame(page);
  await frame.getByRole("heading", { name: "Recover from backup" }).waitFor({ timeout: 30_000 });
  await frame.getByLabel("Backup file", { exact: true }).setInputFiles(file);
  // The iFrame reads the file asynchronously; a moment for it.
  await new Promise((r) => setTimeout(r, 200));
  await typeInto(page, { "Recovery password": password });
  await clickApprove(page, { timeout: 60_000 });
}

/** What Shield answers the user of session `token` for `wallet` (a client of its own, with bound tokens). */
async function shieldStatus(token, wallet) {
  const key = await dpopKey();
  const { shield } = await keyframeTokens(stack, token, key.jkt);
  const res = await dpopFetch(key, `${stack.urls.shield}/v1/cold-shares/${wallet}`, shield);
  return res.status;
}

describe("a wallet whose recovery is a file the user keeps", () => {
  let user, addresses, wallet, file;

  test("created with method file: the file is downloaded inside the iFrame; Shield holds nothing", async () => {
    user = await signUp(stack, "file");
    const { page, context } = await device(user.token);
    const creating = callUnattended(page, "keyframe_createWallet", { recovery: { method: "file" } });
    await typeAndApprove(page, NEW);
    file = await keepBackup(page);
    const created = await creating;
    assert.ok(created.ok, JSON.stringify(created));
    ({ addresses, wallet } = created.result);
    const text = await readFile(file, "utf8");
    const parsed = JSON.parse(text);
    assert.equal(parsed.format, "keyframe-backup");
    assert.equal(parsed.wallet, wallet);
    assert.deepEqual(parsed.addresses, addresses);
    assert.ok(!text.includes(PASSWORD));
    assert.equal(await shieldStatus(user.token, wallet), 404, "Shield must hold no record of a file wallet");
    // The password never reached the page.
    const seen = await page.evaluate(() => window.__seen.join("\n"));
    assert.ok(!seen.includes(PASSWORD));
    await context.close();
  });

  test("a fresh profile recovers from the file and its password; viem verifies its signature", async () => {
    const { page, context } = await device(user.token);
    const recovering = callUnattended(page, "keyframe_recover", { recovery: { method: "file" } });
    await pickAndApprove(page, file, PASSWORD);
    const recovered = await recovering;
    assert.ok(recovered.ok, JSON.stringify(recovered));
    assert.deepEqual(recovered.result.addresses, addresses);
    const hex = `0x${Buffer.from("signed after a file recovery").toString("hex")}`;
    const signing = callUnattended(page, "personal_sign", [hex, addresses.evm]);
    await typeAndApprove(page, {});
    const signed = await signing;
    assert.ok(signed.ok, JSON.stringify(signed));
    assert.ok(await verifyMessage({ address: addresses.evm, message: { raw: hex }, signature: signed.result }));
    await context.close();
  });

  test("every error of a file is shown on the screen in words, with its code, and the screen stays", async () => {
    const text = await readFile(file, "utf8");
    const v = JSON.parse(text);
    const variant = async (name, content) => {
      const path = join(dataDir, `${name}.json`);
      await writeFile(path, content);
      return path;
    };
    const flipped = Buffer.from(v.ciphertext, "base64");
    flipped[5] ^= 1;
    const other = await signUp(stack, "fileother");
    const otherDevice = await device(other.token);
    const otherCreating = callUnattended(otherDevice.page, "keyframe_createWallet", { recovery: { method: "file" } });
    await typeAndApprove(otherDevice.page, NEW);
    const otherFile = await keepBackup(otherDevice.page);
    assert.ok((await otherCreating).ok);
    await otherDevice.context.close();

    const cases = [
      ["not a backup", await variant("notes", "my shopping list"), PASSWORD, "BACKUP_NOT_A_BACKUP", "not a Keyframe backup"],
      ["truncated", await variant("cut", text.slice(0, text.length / 2)), PASSWORD, "BACKUP_DAMAGED", "damaged or incomplete"],
      ["altered", await variant("flip", JSON.stringify({ ...v, ciphertext: flipped.toString("base64") })), PASSWORD, "BACKUP_DAMAGED", "damaged or incomplete"],
      ["newer format", await variant("v2", JSON.stringify({ ...v, version: 2 })), PASSWORD, "BACKUP_NEWER_FORMAT", "newer version"],
      ["another wallet", otherFile, PASSWORD, "BACKUP_OTHER_WALLET", "another wallet"],
      ["outdated", await variant("old", JSON.stringify({ ...v, recoveryPair: "00112233445566778899aabbccddeeff" })), PASSWORD, "BACKUP_OUTDATED", "outdated"],
      ["wrong password", file, "not the backup password", "WRONG_PASSWORD", "does not open this backup"],
    ];
    const { page, context } = await device(user.token);
    let settled = false;
    const recovering = callUnattended(page, "keyframe_recover", { recovery: { method: "file" } });
    recovering.finally(() => (settled = true));
    for (const [name, path, password, reason, words] of cases) {
      await pickAndApprove(page, path, password);
      const alert = signerFrame(page).locator(`[role=alert][data-reason=${reason}]`);
      await alert.waitFor({ timeout: 30_000 });
      assert.match(await alert.textContent(), new RegExp(words), name);
      assert.equal(settled, false, `${name}: the request ended instead of letting the user retry`);
    }
    await pickAndApprove(page, file, PASSWORD);
    const recovered = await recovering;
    assert.ok(recovered.ok, JSON.stringify(recovered));
    await context.close();
  });
});

describe("a password wallet's backup", () => {
  test("after a password change the old backup is outdated, and the iFrame offers a new one", async () => {
    const user = await signUp(stack, "rotate");
    const first = await device(user.token);
    const creating = callUnattended(first.page, "keyframe_createWallet", { recovery: { method: "password" } });
    await typeAndApprove(first.page, { "New recovery password": "the first long password", "Repeat the new password": "the first long password" });
    assert.ok((await creating).ok);
    const downloading = callUnattended(first.page, "keyframe_downloadBackup");
    await typeAndApprove(first.page, NEW);
    const oldFile = await keepBackup(first.page);
    assert.ok((await downloading).ok);
    // The password change rotates the recovery pair…
    const changing = callUnattended(first.page, "keyframe_setRecovery", { current: { method: "password" }, recovery: { method: "password" } });
    await typeAndApprove(first.page, {
      "Current recovery password": "the first long password",
      "New recovery password": "the second long password", "Repeat the new password": "the second long password",
    });
    // …so the iFrame says the backup is outdated and offers a new one.
    const frame = signerFrame(first.page);
    await frame.getByRole("heading", { name: "Your backup file is outdated" }).waitFor({ timeout: 60_000 });
    await typeAndApprove(first.page, {});
    await frame.getByRole("heading", { name: "Download backup" }).waitFor({ timeout: 30_000 });
    await typeAndApprove(first.page, NEW);
    const newFile = await keepBackup(first.page);
    const changed = await changing;
    assert.ok(changed.ok, JSON.stringify(changed));
    await first.context.close();

    const second = await device(user.token);
    let settled = false;
    const recovering = callUnattended(second.page, "keyframe_recover", { recovery: { method: "file" } });
    recovering.finally(() => (settled = true));
    await pickAndApprove(second.page, oldFile, PASSWORD);
    await signerFrame(second.page).locator("[role=alert][data-reason=BACKUP_OUTDATED]").waitFor({ timeout: 30_000 });
    assert.equal(settled, false);
    await pickAndApprove(second.page, newFile, PASSWORD);
    const recovered = await recovering;
    assert.ok(recovered.ok, JSON.stringify(recovered));
    await second.context.close();
  });

  test("recovers the wallet while Shield is stopped", async () => {
    const user = await signUp(stack, "pwfile");
    const first = await device(user.token);
    const creating = callUnattended(first.page, "keyframe_createWallet", { recovery: { method: "password" } });
    await typeAndApprove(first.page, { "New recovery password": "the shield password", "Repeat the new password": "the shield password" });
    const { addresses, wallet } = (await creating).result;
    assert.equal(await shieldStatus(user.token, wallet), 200, "a password wallet's cold share is at Shield (and the probe's path is right)");
    // "Download backup": approved with the file's password typed on the screen.
    const downloading = callUnattended(first.page, "keyframe_downloadBackup");
    const frame = signerFrame(first.page);
    await frame.getByRole("heading", { name: "Download backup" }).waitFor({ timeout: 30_000 });
    await typeAndApprove(first.page, NEW);
    const file = await keepBackup(first.page);
    assert.deepEqual((await downloading).result, { ok: true });
    await first.context.close();

    await stack.processes.shield.stop();
    const second = await device(user.token);
    // The Shield route is dead: password recovery cannot work now.
    const viaShield = callUnattended(second.page, "keyframe_recover", { recovery: { method: "password" } });
    await typeAndApprove(second.page, { "Recovery password": "the shield password" });
    const failed = await viaShield;
    assert.equal(failed.ok, false, "recovered through a stopped Shield?");
    const recovering = callUnattended(second.page, "keyframe_recover", { recovery: { method: "file" } });
    await pickAndApprove(second.page, file, PASSWORD);
    const recovered = await recovering;
    assert.ok(recovered.ok, JSON.stringify(recovered));
    assert.deepEqual(recovered.result.addresses, addresses);
    await second.context.close();
  });
});
