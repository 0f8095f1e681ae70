// Helpers shared by the browser and end-to-end tests.
//   freePort()                      → a free TCP port on 127.0.0.1
//   serveStatic(dir, opts)          → a tiny static file server on 127.0.0.1
//   startProcess(cmd, args, opts)   → a child process group, ready once an HTTP URL answers
//   launchBrowser(opts)             → headless Chromium (playwright-core, /usr/bin/chromium)
//   launchPersistent(opts)          → a persistent context on a fresh user-data-dir
export { freePort, serveStatic } from "./http.mjs";
export { startProcess, waitForHttp } from "./process.mjs";
export { launchBrowser, launchPersistent, CHROMIUM_ARGS, CHROMIUM_PATH } from "./browser.mjs";
