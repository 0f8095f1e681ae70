// Recovery only, for an A/B of two commits (bench/AB-issue9.md):
//   node bench/ab/recovery-timeline.mjs TREE N OUT.json
// TREE is a checkout built by its own scripts/build.sh. For each of N
// rounds, a new user creates a wallet (password, then automatic recovery)
// on one browser context and recovers it on a fresh one, the way
// bench/run.mjs measures `recovery.*`; OUT gets each call's end-to-end time
// and the iFrame's requests (Playwright's request timing) in ms after the
// call began. The password travels in the request's params, as it did
// before the consent screen (issue 10): a tree with the screen needs
// bench/run.mjs instead.
import { join } from "node:path";
import { mkdtemp, mkdir, cp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { connectDevice } from "../consent.mjs";

const [tree, nArg, out] = process.argv.slice(2);
const N = Number(nArg);
const { startStack } = await import(join(tree, "scripts/stack.mjs"));
const { signUp, recoveryKey } = await import(join(tree, "tests/support/e2e.mjs"));
const { launchBrowser, serveStatic } = await import(join(tree, "tests/support/index.mjs"));

const tmp = await mkdtemp(join(tmpdir(), "ab-rec-"));
const dir = join(tmp, "static");
await mkdir(dir, { recursive: true });
for (const f of ["iframe.html", "boot.js", "iframe.css", "pkg"]) await cp(join(tree, "iframe-host", f), join(dir, f), { recursive: true }).catch(() => {});
const host = await serveStatic(join(tree, "bench", "pages"), { mounts: { "/sdk/": join(tree, "iframe-host", "sdk", "dist") } });
const stack = await startStack({
  dataDir: join(tmp, "data"), staticDir: dir, extraOrigins: [host.origin],
  env: { KEYFRAME_RATE_LIMIT_IP_PER_SECOND: "0", KEYFRAME_RATE_LIMIT_USER_PER_SECOND: "0", SAMPLE_DAPP_AUTH_IP_PER_MINUTE: "100000" },
});
const browser = await launchBrowser();
const result = { tree, samples: {} };
// A plain token through keyframe_setAuth, as at ed287b9 and a6db612:
// connectDevice's default binds the token to the iFrame's DPoP key, which
// those trees do not have.
const plainAuth = (page, _stack, token) =>
  page.evaluate((token) => window.signer.request({ method: "keyframe_setAuth", params: { token } }), token);
const connect = (token) => connectDevice(browser, host, stack, token, { authorize: plainAuth });
try {
  for (let round = 0; round < N; round++) {
    for (const method of ["password", "automatic"]) {
      const u = await signUp(stack, `rec${method}`);
      const recovery = method === "password"
        ? { method: "password", password: "a long benchmark password" }
        : { method: "automatic", token: await recoveryKey(stack, u.token) };
      const first = await connect(u.token);
      await first.page.evaluate(([m, p]) => window.signer.request({ method: m, params: p }), ["keyframe_createWallet", { recovery }]);
      await first.context.close();
      const d = await connect(u.token);
      const reqs = [];
      d.context.on("requestfinished", (r) => reqs.push(r));
      const { t0, ms } = await d.page.evaluate(async (r) => {
        const t0 = performance.timeOrigin + performance.now();
        const ms = await window.timed("keyframe_recover", { recovery: r });
        return { t0, ms };
      }, recovery);
      const timeline = reqs.map((r) => {
        const t = r.timing();
        return { m: r.method(), p: new URL(r.url()).pathname, start: +(t.startTime - t0).toFixed(1), dur: +(t.responseEnd).toFixed(1), ttfb: +(t.responseStart).toFixed(1) };
      }).filter((x) => x.start > -5);
      (result.samples[method] ??= []).push({ ms: +ms.toFixed(1), timeline });
      await d.context.close();
      console.error(tree.split("/").pop(), method, ms.toFixed(1));
    }
  }
} finally {
  await browser.close();
  await stack.stop();
  await host.close();
  await rm(tmp, { recursive: true, force: true });
}
await writeFile(out, JSON.stringify(result, null, 1));
process.exit(0);
