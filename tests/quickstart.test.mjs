// docs/quickstart.md followed word for word, by a developer whose page runs
// on an origin of its own: `npm start`'s entry point with and without
// KEYFRAME_ALLOWED_ORIGINS, the quickstart's HTML file exactly as written
// (only the ports, which are free ones here, and viem's CDN URL, served
// locally from node_modules because the tests run offline, are replaced),
// the SDK imported from the provider's /sdk/keyframe-sdk.js.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { verifyMessage } from "viem";
import { freePort, launchBrowser, serveStatic, startProcess } from "./support/index.mjs";
import { ROOT } from "../scripts/stack.mjs";
import { approveNext, typeAndApprove, uniqueName } from "./support/e2e.mjs";

const require = createRequire(import.meta.url);
const VIEM_VERSION = require("viem/package.json").version;
const READY_TIMEOUT_MS = 10_000; // the SDK's default, which the quickstart keeps
const DOC_PROVIDER = "http://127.0.0.1:8787";
const DOC_DAPP = "http://127.0.0.1:3000";
const DOC_VIEM = `https://esm.sh/viem@${VIEM_VERSION}`;

let pageDir, page, browser, html;

/** The one ```html block of docs/quickstart.md. */
async function quickstartHtml() {
  const doc = await readFile(join(ROOT, "docs", "quickstart.md"), "utf8");
  const blocks = [...doc.matchAll(/```html\n([\s\S]*?)```/g)];
  assert.equal(blocks.length, 1, "docs/quickstart.md has one html block");
  return blocks[0][1];
}

/** Replaces every `from` in `text`, insisting it is there. */
function replaceAll(text, from, to) {
  assert.ok(text.includes(from), `the quickstart no longer mentions ${from}`);
  return text.split(from).join(to);
}

before(async () => {
  html = await quickstartHtml();
  pageDir = await mkdtemp(join(tmpdir(), "keyframe-quickstart-"));
  // viem as one ES module, as the CDN would serve it.
  const esbuild = await import("esbuild");
  await esbuild.build({
    stdin: { contents: 'export * from "viem";', resolveDir: ROOT, loader: "js" },
    bundle: true,
    format: "esm",
    platform: "browser",
    outfile: join(pageDir, "viem.js"),
    logLevel: "warning",
  });
  page = await serveStatic(pageDir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await page?.close();
  if (pageDir) await rm(pageDir, { recursive: true, force: true });
});

/** Runs scripts/start.mjs (what `npm start` runs after building) on free ports. */
async function npmStart(t, env) {
  const ports = { DAPP_PORT: await freePort(), PROVIDER_PORT: await freePort(), SHIELD_PORT: await freePort(), ANVIL_PORT: await freePort() };
  const dataDir = await mkdtemp(join(tmpdir(), "keyframe-quickstart-data-"));
  const started = await startProcess(process.execPath, [join(ROOT, "scripts", "start.mjs")], {
    cwd: ROOT,
    env: { ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), KEYFRAME_DATA_DIR: dataDir, ...env },
    readyUrl: `http://127.0.0.1:${ports.PROVIDER_PORT}/healthz`, // started last
    readyTimeoutMs: 60_000,
  });
  t.after(async () => {
    process.kill(-started.pid, "SIGINT");
    await started.exited;
    await rm(dataDir, { recursive: true, force: true });
  });
  for (let i = 0; i < 200 && !started.logs().includes("Press Ctrl-C"); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(started.logs(), /Keyframe is running/, started.logs());
  const provider = `http://127.0.0.1:${ports.PROVIDER_PORT}`;
  const dapp = `http://127.0.0.1:${ports.DAPP_PORT}`;
  // The quickstart's page, pointing at this run's ports and the local viem.
  let text = replaceAll(html, DOC_PROVIDER, provider);
  text = replaceAll(text, DOC_DAPP, dapp);
  text = replaceAll(text, DOC_VIEM, "/viem.js");
  await writeFile(join(pageDir, "index.html"), text);
  return { provider, dapp, logs: started.logs };
}

async function openPage(t) {
  const context = await browser.newContext();
  t.after(() => context.close());
  const tab = await context.newPage();
  const sdkLoads = [];
  tab.on("response", (r) => {
    if (r.url().endsWith("/sdk/keyframe-sdk.js")) sdkLoads.push({ url: r.url(), status: r.status() });
  });
  const t0 = Date.now();
  await tab.goto(page.url("/"));
  const out = tab.getByLabel("Output");
  return { tab, out, t0, sdkLoads };
}

test("without KEYFRAME_ALLOWED_ORIGINS the page gets an error naming its origin and the setting, within the ready timeout", { timeout: 120_000 }, async (t) => {
  const { provider, logs } = await npmStart(t, { KEYFRAME_ALLOWED_ORIGINS: "" });
  assert.ok(!logs().includes(page.origin), "the page's origin is not listed");
  const { tab, out, t0, sdkLoads } = await openPage(t);
  await out.filter({ hasText: "error" }).waitFor({ timeout: READY_TIMEOUT_MS + 5_000 });
  const elapsed = Date.now() - t0;
  const text = await out.textContent();
  assert.deepEqual(sdkLoads, [{ url: `${provider}/sdk/keyframe-sdk.js`, status: 200 }]);
  assert.ok(elapsed >= READY_TIMEOUT_MS - 500 && elapsed < READY_TIMEOUT_MS + 3_000, `${elapsed} ms`);
  assert.match(text, /error 4900: the Keyframe iFrame did not connect within 10000 ms/);
  assert.ok(text.includes(`this page's origin ${page.origin} is probably not on the provider's allowed origins`), text);
  assert.ok(text.includes(`KEYFRAME_ALLOWED_ORIGINS=${page.origin} npm start`), text);
  assert.ok(text.includes("--allowed-origins"), text);
  assert.ok(!text.includes("unreachable"), `the provider answered, so it is not called unreachable: ${text}`);
  assert.equal(await tab.getByRole("button", { name: "Sign up" }).isDisabled(), true);
  assert.equal(await tab.locator("iframe").count(), 0, "the SDK removed its iFrame");
});

test("with KEYFRAME_ALLOWED_ORIGINS the quickstart page loads the SDK from the provider, creates a wallet and signs; viem verifies", { timeout: 180_000 }, async (t) => {
  const { provider, logs } = await npmStart(t, { KEYFRAME_ALLOWED_ORIGINS: ` ${page.origin} ` });
  assert.match(logs(), new RegExp(`allowed to embed the iFrame:[\\s\\S]*${page.origin.replace(/[.]/g, "\\.")}`));
  assert.match(logs(), new RegExp(`${provider.replace(/[.]/g, "\\.")}/sdk/keyframe-sdk\\.js`));
  // The build (scripts/build.sh) put the SDK where the provider serves it, types beside it.
  const js = await fetch(`${provider}/sdk/keyframe-sdk.js`, { headers: { origin: page.origin } });
  assert.equal(js.status, 200);
  assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.equal(js.headers.get("access-control-allow-origin"), "*");
  assert.match(await js.text(), /createSigner/);
  const dts = await fetch(`${provider}/sdk/keyframe-sdk.d.ts`);
  assert.equal(dts.status, 200);
  assert.equal(dts.headers.get("content-type"), "application/typescript; charset=utf-8");
  assert.match(await dts.text(), /export \{ createSigner/);

  const { tab, out, sdkLoads } = await openPage(t);
  await out.filter({ hasText: "Keyframe connected." }).waitFor({ timeout: READY_TIMEOUT_MS });
  assert.deepEqual(sdkLoads, [{ url: `${provider}/sdk/keyframe-sdk.js`, status: 200 }]);

  await tab.getByLabel("Username").fill(uniqueName("dev"));
  await tab.getByLabel("Password", { exact: true }).fill("a long sample password");
  await tab.getByRole("button", { name: "Sign up" }).click();
  // The recovery password is typed in the Keyframe window, not on the page.
  await typeAndApprove(tab, { "New recovery password": "a long recovery password", "Repeat the new password": "a long recovery password" });
  await out.filter({ hasText: /Wallet: 0x|error/ }).waitFor({ timeout: 60_000 });
  assert.doesNotMatch(await out.textContent(), /error/);
  await tab.getByRole("button", { name: "Sign a message" }).click();
  // The iFrame asks the user; they approve inside it, as a person would.
  await approveNext(tab);
  await out.filter({ hasText: /Verified by viem|error/ }).waitFor({ timeout: 30_000 });
  const text = await out.textContent();
  assert.match(text, /Verified by viem: true/, text);
  const address = text.match(/Wallet: (0x[0-9a-fA-F]{40})/)[1];
  const signature = text.match(/Signature: (0x[0-9a-fA-F]+)/)[1];
  // Independently of the page: the signature is the wallet's, over that message.
  assert.equal(await verifyMessage({ address, message: "Hello from my dApp", signature }), true);
  assert.equal(await verifyMessage({ address, message: "another message", signature }), false);
});

test("npm start refuses a KEYFRAME_ALLOWED_ORIGINS entry that is not an exact origin, with a clear message", async () => {
  const started = await startProcess(process.execPath, [join(ROOT, "scripts", "start.mjs")], {
    cwd: ROOT,
    env: { KEYFRAME_ALLOWED_ORIGINS: "http://127.0.0.1:5173/app,*", KEYFRAME_DATA_DIR: join(tmpdir(), "keyframe-never-created") },
  });
  const { code } = await started.exited;
  assert.equal(code, 2, started.logs());
  assert.match(started.logs(), /KEYFRAME_ALLOWED_ORIGINS must be a comma-separated list of exact origins/);
  assert.match(started.logs(), /"http:\/\/127\.0\.0\.1:5173\/app": not an exact origin; did you mean http:\/\/127\.0\.0\.1:5173\?/);
  assert.match(started.logs(), /"\*": wildcards are not allowed/);
});
