import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// docs/toolchain.md: what headless Chromium needs as root on these machines.
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Launches headless Chromium. Playwright gives the browser a throwaway
 * profile; call `browser.newContext()` for a fresh, isolated profile per test.
 */
export function launchBrowser(opts = {}) {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(opts.args ?? [])],
    ...opts.launch,
  });
}

/**
 * A persistent context on a fresh user-data-dir (a "device" with real
 * on-disk storage). `close()` closes it and deletes the directory; pass
 * `userDataDir` to reopen the same profile (then it is not deleted).
 */
export async function launchPersistent(opts = {}) {
  const owned = !opts.userDataDir;
  const userDataDir = opts.userDataDir ?? (await mkdtemp(join(tmpdir(), "keyframe-chromium-")));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(opts.args ?? [])],
    ...opts.context,
  });
  const close = async () => {
    await context.close().catch(() => {});
    if (owned) await rm(userDataDir, { recursive: true, force: true });
  };
  return { context, userDataDir, close };
}
