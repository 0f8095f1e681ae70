// What one asynchronous answer costs right after a click, against the same
// answer asked for while the page is idle, in a plain page of this
// machine's Chromium (bench/README.md, "Where a signature's click → answer
// goes"):  node bench/ab/after-click.mjs [N]
// Chromium holds many kinds of task that arrive after a discrete input
// (a click) until it has drawn its next frame; which kinds it holds
// decides what the iFrame may wait for between the click on Approve and
// the answer.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchBrowser, serveStatic } from "../../tests/support/index.mjs";

const N = Number(process.argv[2] ?? 15);
const PAGE = `<!doctype html><html><body><button id=b style="width:300px;height:120px">go</button><script>
const db = new Promise((res) => { const r = indexedDB.open("t", 1); r.onupgradeneeded = () => r.result.createObjectStore("s"); r.onsuccess = () => res(r.result); });
let key;
crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]).then((k) => { key = k; });
const ops = {
  "IndexedDB get": async () => { const d = await db; await new Promise((r) => { d.transaction("s").objectStore("s").get("x").onsuccess = r; }); },
  "Web Lock": async () => { let release; const held = new Promise((r) => { release = r; }); await new Promise((g) => navigator.locks.request("x", () => { g(); return held; })); release(); },
  "WebCrypto ECDSA sign": async () => { await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.privateKey, new Uint8Array(32)); },
  "fetch (same origin)": async () => { await (await fetch("/page.html", { cache: "no-store" })).text(); },
  "setTimeout 0": () => new Promise((r) => setTimeout(r, 0)),
  "MessageChannel": () => new Promise((r) => { const c = new MessageChannel(); c.port1.onmessage = r; c.port2.postMessage(1); }),
};
window.names = Object.keys(ops);
window.results = [];
window.which = null;
document.getElementById("b").addEventListener("click", async () => {
  const t0 = performance.now(); await ops[window.which](); window.results.push(performance.now() - t0);
});
window.idle = async (w) => { const t0 = performance.now(); await ops[w](); return performance.now() - t0; };
</script></body></html>`;

const tmp = await mkdtemp(join(tmpdir(), "kf-after-click-"));
await writeFile(join(tmp, "page.html"), PAGE);
const host = await serveStatic(tmp);
const browser = await launchBrowser();
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
try {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${host.origin}/page.html`);
  await page.waitForTimeout(500);
  console.log("| answer | idle p50 (ms) | after a click p50 (ms) |\n|---|---|---|");
  for (const name of await page.evaluate(() => window.names)) {
    const idle = [];
    for (let i = 0; i < N; i++) {
      idle.push(await page.evaluate((w) => window.idle(w), name));
      await page.waitForTimeout(30);
    }
    await page.evaluate((w) => { window.which = w; window.results = []; }, name);
    for (let i = 0; i < N; i++) {
      await page.mouse.move(100 + i, 50);
      await page.mouse.click(100 + i, 50);
      await page.waitForTimeout(60);
    }
    const clicked = await page.evaluate(() => window.results);
    console.log(`| ${name} | ${median(idle).toFixed(2)} | ${median(clicked).toFixed(2)} |`);
  }
} finally {
  await browser.close();
  await host.close();
  await rm(tmp, { recursive: true, force: true });
}
