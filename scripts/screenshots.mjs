// Screenshots of every screen of the iFrame, for docs/screens.md: the
// whole product on loopback (scripts/stack.mjs), a host page on its own
// origin, and each request made the way a dApp makes it; the iFrame's
// element is captured while its screen is up, then the request is rejected
// (or approved where the next screen needs it). Run after `npm run build`:
//
//   node scripts/screenshots.mjs            # writes docs/screens/*.png
//
// tests/screenshots.test.mjs checks that docs/screens.md shows a picture
// of every screen heading this script knows, so the set does not rot.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, startStack } from "./stack.mjs";
import { freePort, launchBrowser, serveStatic } from "../tests/support/index.mjs";
import {
  authorize, approveButton, approveNext, base58Decode, callUnattended, mailTypedData, ok, openHost, recoveryKey, rejectNext,
  screenAlert, signUp, solanaTransferTx, typeInto,
} from "../tests/support/e2e.mjs";

/** Every screen: its file name and the heading it shows. */
export const SCREENS = [
  ["create-wallet", "Create wallet"],
  ["recover-wallet", "Recover wallet"],
  ["import-wallet", "Import wallet"],
  ["sign-message", "Sign message"],
  ["sign-in", "Sign in"],
  ["sign-typed-data", "Sign typed data"],
  ["sign-transaction", "Sign transaction"],
  ["sign-solana-transaction", "Sign transaction"],
  ["export-wallet", "Export wallet"],
  ["change-recovery", "Change recovery method"],
  ["revoke-device", "Revoke device"],
  ["switch-network", "Switch network"],
];

const OUT = join(ROOT, "docs", "screens");
const PASSWORD = "correct horse battery staple";
const hex = (text) => `0x${Buffer.from(text).toString("hex")}`;

async function shoot(page, name) {
  await approveButton(page).waitFor({ state: "visible", timeout: 30_000 });
  // Wait for Approve to unlock, as the user sees it.
  for (let i = 0; i < 100 && !(await approveButton(page).isEnabled()); i++) await new Promise((r) => setTimeout(r, 50));
  await page.locator("iframe[data-keyframe]").screenshot({ path: join(OUT, `${name}.png`) });
  console.log(`docs/screens/${name}.png`);
}

/** Shows the screen of `method`, captures it, then rejects it. */
async function shootAndReject(page, name, method, params, typed = {}) {
  const pending = callUnattended(page, method, params);
  await approveButton(page).waitFor({ state: "visible", timeout: 30_000 });
  await typeInto(page, typed);
  await shoot(page, name);
  await rejectNext(page);
  await pending;
}

async function main() {
  await mkdir(OUT, { recursive: true });
  const dataDir = await mkdtemp(join(tmpdir(), "keyframe-screens-"));
  const host = await serveStatic(join(ROOT, "tests", "fixtures", "host"), {
    port: await freePort(), mounts: { "/sdk/": join(ROOT, "iframe-host", "sdk", "dist") },
  });
  const stack = await startStack({ dataDir, extraOrigins: [host.origin] });
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 900, height: 760 }, deviceScaleFactor: 1 });
    const { page } = await openHost(context, host.origin, stack);
    const user = await signUp(stack, "screens");
    await authorize(page, stack, user.token);

    // Create: the password typed twice, with its strength.
    const creating = callUnattended(page, "keyframe_createWallet", { recovery: { method: "password" } });
    await approveButton(page).waitFor({ state: "visible" });
    await typeInto(page, { "New recovery password": PASSWORD, "Repeat the new password": PASSWORD });
    await shoot(page, "create-wallet");
    await approveNext(page);
    const { addresses } = (await creating).result;

    await shootAndReject(page, "sign-message", "personal_sign", [hex("Welcome to the Keyframe sample dApp!"), addresses.evm]);
    const siwe = [
      `${new URL(host.origin).host} wants you to sign in with your Ethereum account:`, addresses.evm, "",
      "Sign in to the sample dApp.", "", `URI: ${host.origin}`, "Version: 1", "Chain ID: 31337",
      "Nonce: 32891756", `Issued At: ${new Date().toISOString()}`,
    ].join("\n");
    await shootAndReject(page, "sign-in", "personal_sign", [hex(siwe), addresses.evm]);
    await shootAndReject(page, "sign-typed-data", "eth_signTypedData_v4", [addresses.evm, JSON.stringify(mailTypedData(addresses.evm))]);
    // An unlimited ERC-20 approval: decoded, with its warning.
    const approve = `0x095ea7b3${"000000000000000000000000000000000022d473030f116ddee9f6b43ac78ba3"}${"f".repeat(64)}`;
    await shootAndReject(page, "sign-transaction", "eth_signTransaction", [{
      from: addresses.evm, to: "0x5FbDB2315678afecb367f032d93F642f64180aa3", data: approve, nonce: "0x0", gas: "0x10000",
      maxFeePerGas: "0x77359400", maxPriorityFeePerGas: "0x3b9aca00", value: "0x0", chainId: "0x7a69", type: "0x2",
    }]);
    const { tx } = solanaTransferTx(base58Decode(addresses.solana));
    await shootAndReject(page, "sign-solana-transaction", "solana_signTransaction", { transaction: tx.toString("base64") });
    await shootAndReject(page, "export-wallet", "keyframe_export");
    await shootAndReject(page, "change-recovery", "keyframe_setRecovery",
      { current: { method: "password" }, recovery: { method: "password" } },
      { "Current recovery password": PASSWORD, "New recovery password": "a new and longer password", "Repeat the new password": "a new and longer password" });
    // The SDK asks only for its configured chain; a dApp that asks for
    // another one talks to the iFrame's port (tests/fixtures/host rawCall).
    const switching = page.evaluate(() => window.rawCall("wallet_switchEthereumChain", [{ chainId: "0x2105" }]));
    await shoot(page, "switch-network");
    await rejectNext(page);
    await switching;

    // A second device: recovery with a mistyped password first.
    const phone = await browser.newContext({ viewport: { width: 900, height: 760 }, deviceScaleFactor: 1 });
    const { page: page2 } = await openHost(phone, host.origin, stack);
    await authorize(page2, stack, user.token);
    const recovering = callUnattended(page2, "keyframe_recover", { recovery: { method: "password" } });
    await approveButton(page2).waitFor({ state: "visible" });
    await typeInto(page2, { "Recovery password": "not the password" });
    await approveNext(page2);
    await screenAlert(page2, "does not open this wallet");
    await shoot(page2, "recover-wallet");
    await typeInto(page2, { "Recovery password": PASSWORD });
    await approveNext(page2);
    const { device } = (await recovering).result;
    await shootAndReject(page, "revoke-device", "keyframe_revokeDevice", { device });
    await phone.close();

    // Import, on an account without a wallet.
    const other = await signUp(stack, "screens-import");
    const importer = await browser.newContext({ viewport: { width: 900, height: 760 }, deviceScaleFactor: 1 });
    const { page: page3 } = await openHost(importer, host.origin, stack);
    await authorize(page3, stack, other.token);
    const key = await recoveryKey(stack, other.token);
    await shootAndReject(page3, "import-wallet", "keyframe_importWallet", { recovery: { method: "automatic", token: key } },
      { "Recovery phrase or private key": "test test test test test test test test test test test junk" });
    await importer.close();
    await context.close();
  } finally {
    await browser.close();
    await stack.stop();
    await host.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
