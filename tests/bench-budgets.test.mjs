// The rules bench/budgets.mjs judges a run by, on made-up figures: a load
// whose requests failed meets none of its budgets (a refused request is
// answered sooner than a served one, so errors raise the rate and lower the
// latency), for the plain recover and for the judged one alike.
import { test } from "node:test";
import assert from "node:assert/strict";
import { budgets } from "../bench/budgets.mjs";

/** The figures of one database's load: /healthz, recover and judged recover. */
function load(db, { healthz, recover, judged, recoverErrors = 0, judgedErrors = 0 }) {
  return {
    [`load.${db}.healthz.rps`]: { median: healthz },
    [`load.${db}.recover.rps`]: { median: recover },
    [`load.${db}.recover.errors`]: { value: recoverErrors },
    [`load.${db}.recoverPolicy.rps`]: { median: judged },
    [`load.${db}.recoverPolicy.errors`]: { value: judgedErrors },
  };
}

const find = (list, name) => {
  const b = list.find((x) => x.name === name);
  assert.ok(b, `no budget named ${name}`);
  return b;
};
const DPOP = (db) => `recover with DPoP, ${db}: throughput ≥ 0.3 × GET /healthz`;
const JUDGED = (db) => `recover with a policy and a window, ${db}: throughput ≥ 0.3 × GET /healthz`;

test("throughput budgets are 0.3 × the same process's /healthz", () => {
  const list = budgets({ ...load("sqlite", { healthz: 10_000, recover: 3_000, judged: 2_999 }),
    ...load("postgres", { healthz: 5_000, recover: 1_499, judged: 1_500 }) });
  assert.equal(find(list, DPOP("sqlite")).met, true);
  assert.equal(find(list, JUDGED("sqlite")).met, false);
  assert.equal(find(list, DPOP("postgres")).met, false);
  assert.equal(find(list, JUDGED("postgres")).met, true);
  assert.equal(find(list, JUDGED("sqlite")).budget, "≥ 3000 req/s");
});

test("a load with failed requests does not meet its budget, however fast", () => {
  for (const db of ["sqlite", "postgres"]) {
    const judgedFailed = budgets(load(db, { healthz: 10_000, recover: 9_000, judged: 9_000, judgedErrors: 1 }));
    assert.equal(find(judgedFailed, JUDGED(db)).met, false, `${db}: judged recover with errors`);
    assert.equal(find(judgedFailed, DPOP(db)).met, true, `${db}: the judged load's errors are its own`);
    const recoverFailed = budgets(load(db, { healthz: 10_000, recover: 9_000, judged: 9_000, recoverErrors: 1 }));
    assert.equal(find(recoverFailed, DPOP(db)).met, false, `${db}: recover with errors`);
    assert.equal(find(recoverFailed, JUDGED(db)).met, true, `${db}: the recover load's errors are its own`);
  }
});

test("a load with failed requests meets no latency or memory budget either", () => {
  const figures = { ...load("sqlite", { healthz: 10_000, recover: 9_000, judged: 9_000 }),
    "load.sqlite.recover.p99": { median: 5 }, "load.sqlite.recover.rssMiB": { value: 20 } };
  const clean = budgets(figures);
  assert.equal(find(clean, "recover, SQLite: p99").met, true);
  assert.equal(find(clean, "hot storage resident memory under load (SQLite)").met, true);
  const failed = budgets({ ...figures, "load.sqlite.recover.errors": { value: 1 } });
  assert.equal(find(failed, "recover, SQLite: p99").met, false);
  assert.equal(find(failed, "hot storage resident memory under load (SQLite)").met, false);
});

test("a budget whose figure is missing is not judged", () => {
  for (const b of budgets({})) assert.equal(b.met, null, b.name);
});

test("every budget missed is explained in the run's own figures, and none met is", () => {
  const figures = {
    ...load("sqlite", { healthz: 10_000, recover: 5_000, judged: 2_500 }),
    "sign.personal_sign.e2e": { median: 15, p99: 21 },
    "sign.personal_sign.dispatch": { median: 14.2 },
    "sign.personal_sign.compute": { median: 3.9 },
    "rtt.fetch": { median: 3 },
    "size.iframe.gzip": { value: 260_000 },
    "size.sdk.gzip": { value: 9_000 },
  };
  const list = budgets(figures);
  for (const b of list) {
    if (b.met === false) assert.ok(b.why && !/No reading/.test(b.why), `${b.name}: ${b.why}`);
    else assert.equal(b.why, null, `${b.name} is not missed, so it has no explanation`);
  }
  const click = find(list, "personal_sign: click on Approve → answer p50");
  assert.match(click.why, /^15\.0 ms from the click/);
  assert.match(click.why, /14\.2 ms inside the iFrame/);
  assert.match(click.why, /of which 3\.90 ms in the WASM \(rebuild, sign, next split\) and 10\.3 ms the device lock/);
  assert.match(click.why, /a bare loopback fetch takes 3\.00 ms in this run/);
  assert.match(find(list, "what the iFrame loads, gzip").why, /^260,000 B, 4,000 B over/);
  assert.match(find(list, JUDGED("sqlite")).why, /^2,500 req\/s = 0\.250 × \/healthz \(10,000 req\/s\); the plain recover with DPoP 5,000 req\/s = 0\.500 ×/);
  assert.equal(find(list, "host SDK, gzip").why, null);
});

test("a miss with failed requests says so, and a miss with no reading says that", () => {
  const failed = budgets(load("sqlite", { healthz: 10_000, recover: 9_000, judged: 9_000, judgedErrors: 3 }));
  assert.match(find(failed, JUDGED("sqlite")).why, /^3 requests of this load failed/);
  const slow = budgets({ "ready.iframe": { median: 500 } });
  assert.match(find(slow, "iFrame ready p50").why, /No reading of this miss is recorded/);
});
