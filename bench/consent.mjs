// Signing with the iFrame's approval screen in the way, measured the way a
// person meets it (docs/architecture.md, "The consent screen"): the bench
// asks, waits for the screen, and clicks "Approve" inside the iFrame with
// real mouse events, like tests/support/e2e.mjs's clickApprove (the pointer
// rests on the screen during its 800 ms wait, then clicks).
//
// Per signature it reports, on one clock (performance.timeOrigin + now is
// the same wall clock in the page and in the iFrame):
//   painted       the page's request → the approval screen painted in the iFrame
//   clickToAnswer the click on Approve (its event, in the iFrame) → the answer in the page
//   inside        the click on Approve → the answer posted, inside the iFrame
//   total         the page's request → the answer, with the 800 ms visibility wait
//   compute, refresh as the iFrame's User Timing measures report them;
//   policy        the policy's evaluation before the key (signer-wasm/src/flows/policy.rs),
//   policyFetch   the same with its GET /v2/policy.

import { clickApprove, keyframeTokens } from "../tests/support/e2e.mjs";

const iframeOf = (page, stack) => page.frames().find((f) => f.url().startsWith(`${stack.urls.provider}/iframe.html`));

/** keyframe_setAuth with `token` bound to the iFrame's DPoP key. */
async function setBoundAuth(page, stack, token) {
  const { dpopJkt } = await page.evaluate(() => window.signer.request({ method: "keyframe_status" }));
  const tokens = await keyframeTokens(stack, token, dpopJkt);
  await page.evaluate((tokens) => window.signer.request({ method: "keyframe_setAuth", params: tokens }), tokens);
}

/**
 * A device: a fresh browser context on the bench's host page with the SDK's
 * signer, its token (when given) handed over by `authorize(page, stack,
 * token)`: by default bound to the iFrame's DPoP key (a tree from before
 * DPoP passes its own, as bench/ab/recovery-timeline.mjs does);
 * `{ context, page, frame }`.
 */
export async function connectDevice(browser, host, stack, token, { authorize = setBoundAuth } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${host.origin}/host.html`);
  await page.waitForFunction(() => window.hostReady === true);
  await page.evaluate(async ({ providerUrl, rpcUrl }) => {
    window.signer = await window.sdk.createSigner({ providerUrl, chainId: 31337, rpcUrl, readyTimeoutMs: 15_000 });
  }, { providerUrl: stack.urls.provider, rpcUrl: stack.urls.rpc });
  if (token) await authorize(page, stack, token);
  return { context, page, frame: iframeOf(page, stack) };
}

const approveButton = (page) =>
  page.frameLocator("iframe[data-keyframe]").getByRole("button", { name: "Approve", exact: true });

/** The iFrame's latest consent and signing measures, in absolute ms. */
const consentMeasures = (frame) => frame.evaluate(() => {
  const last = (n) => performance.getEntriesByName(n).at(-1) ?? null;
  const abs = (e) => (e ? performance.timeOrigin + e.startTime : null);
  const painted = last("keyframe:consent-painted");
  const approved = last("keyframe:approve-answer");
  return {
    paintedAt: painted ? abs(painted) + painted.duration : null,
    clickedAt: abs(approved),
    inside: approved?.duration ?? null,
    compute: last("keyframe:compute")?.duration ?? null,
    refresh: last("keyframe:refresh")?.duration ?? null,
    policy: last("keyframe:policy")?.duration ?? null,
    policyFetch: last("keyframe:policy-fetch")?.duration ?? null,
  };
});

async function settledMeasures(frame, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await consentMeasures(frame);
    if (m.refresh != null && m.clickedAt != null && m.paintedAt != null) return m;
    if (Date.now() > deadline) throw new Error("the approved signature did not finish (or its refresh) in time");
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** One signature of `kind`, approved by a click; its timings in ms. */
export async function approvedSign(dev, kind, params) {
  await dev.frame.evaluate(() => performance.clearMeasures());
  const answered = dev.page.evaluate(async ([m, p]) => {
    const asked = performance.timeOrigin + performance.now();
    await window.signer.request({ method: m, params: p });
    return { asked, answered: performance.timeOrigin + performance.now() };
  }, [kind, params]);
  await clickApprove(dev.page, { timeout: 30_000 });
  const { asked, answered: answeredAt } = await answered;
  const m = await settledMeasures(dev.frame);
  return {
    painted: m.paintedAt - asked,
    clickToAnswer: answeredAt - m.clickedAt,
    inside: m.inside,
    total: answeredAt - asked,
    compute: m.compute,
    refresh: m.refresh,
    policy: m.policy,
    policyFetch: m.policyFetch,
  };
}

/** `warm` + `n` approved signatures of `kind`; the samples of the last `n`. */
export async function approvedSigns(dev, kind, params, warm, n) {
  const out = { painted: [], clickToAnswer: [], inside: [], total: [], compute: [], refresh: [], policy: [], policyFetch: [] };
  for (let i = 0; i < warm + n; i++) {
    const s = await approvedSign(dev, kind, params);
    if (i < warm) continue;
    for (const k of Object.keys(out)) out[k].push(s[k]);
  }
  return out;
}

/**
 * A request whose screen asks for secrets (a recovery password typed in the
 * iFrame): the driver types `typed` (label → value) into the screen, clicks
 * Approve, and reports the click → the answer in the page, which is the
 * machine's part (Argon2id, the fetches) without the person's typing.
 */
export async function typedRequest(dev, method, params, typed, { file } = {}) {
  await dev.frame.evaluate(() => performance.clearMeasures());
  const answered = dev.page.evaluate(async ([m, p]) => {
    await window.signer.request({ method: m, params: p });
    return performance.timeOrigin + performance.now();
  }, [method, params]);
  const frame = dev.page.frameLocator("iframe[data-keyframe]");
  if (file) {
    await frame.getByLabel("Backup file", { exact: true }).setInputFiles(file, { timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 200)); // the iFrame reads it
  }
  for (const [label, value] of Object.entries(typed)) {
    await frame.getByLabel(label, { exact: true }).fill(value, { timeout: 30_000 });
  }
  await clickApprove(dev.page, { timeout: 30_000 });
  const answeredAt = await answered;
  const clickedAt = await dev.frame.evaluate(() => {
    const e = performance.getEntriesByName("keyframe:approve-answer").at(-1);
    return e ? performance.timeOrigin + e.startTime : null;
  });
  if (clickedAt == null) throw new Error(`${method}: no approve-answer measure in the iFrame`);
  return answeredAt - clickedAt;
}

/**
 * On the iFrame's "Keep your backup" screen: downloads the file, ticks the
 * box, approves; resolves with the file's path (saved under `dir`).
 */
export async function keepBackup(dev, dir) {
  const frame = dev.page.frameLocator("iframe[data-keyframe]");
  const [download] = await Promise.all([
    dev.page.waitForEvent("download", { timeout: 60_000 }),
    frame.getByRole("link", { name: "Download backup file" }).click({ timeout: 60_000 }),
  ]);
  const path = `${dir}/${Date.now()}-${download.suggestedFilename()}`;
  await download.saveAs(path);
  await frame.getByLabel("I have kept the backup file").check();
  await clickApprove(dev.page, { timeout: 30_000 });
  return path;
}
