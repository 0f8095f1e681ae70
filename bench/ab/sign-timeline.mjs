// One signature's timeline inside the iFrame, for finding where the click
// on Approve → answer time goes (issue 15, DESIGN's signing budget):
//   node bench/ab/sign-timeline.mjs [N]   (TRACE=FILE: one more signature, traced)
// Runs N (default 12) approved personal_signs through the SDK, as
// bench/run.mjs does, and prints for each the iFrame's requests (Resource
// Timing: start and end, in ms after the click on Approve) beside the
// click → answer-posted measure.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, startStack } from "../../scripts/stack.mjs";
import { launchBrowser, serveStatic } from "../../tests/support/index.mjs";
import { signUp, recoveryKey } from "../../tests/support/e2e.mjs";
import { approvedSign, connectDevice } from "../consent.mjs";

const N = Number(process.argv[2] ?? 12);
const tmp = await mkdtemp(join(tmpdir(), "kf-tl-"));
const host = await serveStatic(join(ROOT, "bench", "pages"), { mounts: { "/sdk/": join(ROOT, "iframe-host", "sdk", "dist") } });
const stack = await startStack({ dataDir: join(tmp, "data"), extraOrigins: [host.origin],
  env: { KEYFRAME_RATE_LIMIT_IP_PER_SECOND: "0", KEYFRAME_RATE_LIMIT_USER_PER_SECOND: "0" } });
const browser = await launchBrowser();
try {
  const user = await signUp(stack, "tl");
  const key = await recoveryKey(stack, user.token);
  const { page, frame } = await connectDevice(browser, host, stack, user.token);
  const created = await page.evaluate((k) => window.signer.request({ method: "keyframe_createWallet", params: { recovery: { method: "automatic", token: k } } }), key);
  const evm = created.addresses.evm;
  await new Promise((r) => setTimeout(r, 1000));
  const params = [`0x${Buffer.from("hello keyframe").toString("hex")}`, evm];
  for (let i = 0; i < N; i++) {
    await frame.evaluate(() => performance.clearResourceTimings());
    const s = await approvedSign({ page, frame }, "personal_sign", params);
    const tl = await frame.evaluate(() => {
      const click = performance.getEntriesByName("keyframe:approve-answer").at(-1);
      const t0 = click.startTime;
      const marks = performance.getEntriesByType("measure").filter((m) => m.name !== "keyframe:approve-answer")
        .map((m) => `${m.name.replace("keyframe:", "")} ${(m.startTime - t0).toFixed(1)}+${m.duration.toFixed(1)}`);
      const res = performance.getEntriesByType("resource").map((r) =>
        `${new URL(r.name).pathname} ${(r.startTime - t0).toFixed(1)}..${(r.responseEnd - t0).toFixed(1)} [req ${(r.requestStart - t0).toFixed(1)} resp ${(r.responseStart - t0).toFixed(1)}]`);
      return { inside: click.duration.toFixed(1), res, marks };
    });
    console.log(`#${i} inside=${tl.inside} | ${tl.res.join(" | ")} || ${tl.marks.join(" | ")}`);
  }
  if (process.env.TRACE) {
    await browser.startTracing(page, { categories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel", "blink.user_timing"] });
    await approvedSign({ page, frame }, "personal_sign", params);
    const buf = await browser.stopTracing();
    (await import("node:fs")).writeFileSync(process.env.TRACE, buf);
  }
  const raw = await frame.evaluate(async () => {
    const out = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      let t1 = 0;
      await navigator.locks.request("kf-probe", async () => { t1 = performance.now(); });
      out.push((t1 - t0).toFixed(2));
    }
    return out;
  });
  console.log("raw Web Locks acquire (ms):", raw.join(" "));
} finally {
  await browser.close();
  await stack.stop();
  await host.close?.();
  await rm(tmp, { recursive: true, force: true });
}
process.exit(0);
