// The set-up the browser tests share: a data folder, the test host page
// (tests/fixtures/host) with the SDK at /sdk/, the stack with that page's
// origin allowed, and headless Chromium; `close()` undoes all of it.
import { mkdtemp, rm } from "node:fs/promises";
import { build } from "esbuild";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, launchBrowser, serveStatic } from "./index.mjs";
import { ROOT, startStack } from "../../scripts/stack.mjs";

export const HOST_DIR = join(ROOT, "tests", "fixtures", "host");
export const SDK_DIR = join(ROOT, "iframe-host", "sdk", "dist");

/**
 * Starts the harness for the test file `name`. `prepare(dataDir)` may
 * build what the page needs first and answer `{ mounts, env }`: more
 * folders served beside /sdk/, and environment for the stack's processes.
 * `extraOrigins(host)` adds origins to the provider's allow-list.
 */
export async function startHarness(name, { prepare, extraOrigins = () => [] } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), `keyframe-${name}-`));
  const h = { dataDir, host: null, stack: null, browser: null };
  h.close = async () => {
    await h.browser?.close();
    await h.stack?.stop();
    await h.host?.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const { mounts = {}, env } = (await prepare?.(dataDir)) ?? {};
    h.host = await serveStatic(HOST_DIR, { port: await freePort(), mounts: { "/sdk/": SDK_DIR, ...mounts } });
    h.stack = await startStack({ dataDir, extraOrigins: [h.host.origin, ...extraOrigins(h.host)], ...(env ? { env } : {}) });
    h.browser = await launchBrowser();
  } catch (err) {
    await h.close();
    throw err;
  }
  return h;
}

/**
 * Bundles tests/fixtures/<name>/app.mjs (a dApp built on a library such as
 * viem or @wallet-standard/app) into `<dir>/<name>/app.js`; answers the
 * folder, for `prepare`'s mounts. `alias` maps package names to files
 * (a package of this repository that is not installed under its name).
 */
export async function bundleFixture(dir, name, { alias } = {}) {
  const out = join(dir, name);
  await build({
    entryPoints: [join(ROOT, "tests", "fixtures", name, "app.mjs")],
    bundle: true, format: "esm", platform: "browser", outfile: join(out, "app.js"), logLevel: "warning",
    ...(alias ? { alias } : {}),
  });
  return out;
}
