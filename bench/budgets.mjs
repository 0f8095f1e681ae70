// The budgets of docs/architecture.md §5, judged on one run's figures
// (bench/run.mjs records them; bench/figures.mjs names them). Apart so
// tests/bench-budgets.test.mjs can check the rules without a run.
import { SIGN_KINDS } from "./figures.mjs";

/**
 * `[{ name, figure, stat, value, budget, met }]` for `figures` (key →
 * `{ median, p99, value, … }`); `met` is null where the figure is missing.
 */
export function budgets(figures) {
  const b = (name, key, stat, op, limit, unit) => {
    const value = figures[key]?.[stat];
    const met = value == null ? null : op === "<" ? value < limit : value >= limit;
    return { name, figure: key, stat, value, budget: `${op} ${limit} ${unit}`, met };
  };
  const list = [
    b("iFrame ready p50", "ready.iframe", "median", "<", 120, "ms"),
    b("personal_sign end to end p50", "sign.personal_sign.e2e", "median", "<", 10, "ms"),
    b("personal_sign end to end p99", "sign.personal_sign.e2e", "p99", "<", 25, "ms"),
    b("personal_sign inside the WASM (rebuild + sign)", "sign.personal_sign.compute", "median", "<", 5, "ms"),
    ...SIGN_KINDS.map((k) => b(`${k}: policy evaluation in the iFrame p50`, `sign.${k}.policy`, "median", "<", 0.5, "ms")),
    ...SIGN_KINDS.flatMap((k) => [
      b(`${k}: request → approval screen painted p50`, `consent.${k}.painted`, "median", "<", 50, "ms"),
      b(`${k}: click on Approve → answer p50`, `sign.${k}.e2e`, "median", "<", 10, "ms"),
    ]),
    b("what the iFrame loads, gzip", "size.iframe.gzip", "value", "<", 250 * 1024, "bytes"),
    b("host SDK, gzip", "size.sdk.gzip", "value", "<", 10 * 1024, "bytes"),
    b("wagmi connector, gzip (on top of the SDK)", "size.wagmi.gzip", "value", "<", 3 * 1024, "bytes"),
    // Issue 11: with a DPoP proof checked (and recorded) on every request,
    // at least 0.3 × the same process's /healthz under the same load.
    ...["sqlite", "postgres"].map((db) => b(`recover with DPoP, ${db}: throughput ≥ 0.3 × GET /healthz`,
      `load.${db}.recover.rps`, "median", "≥", Math.round(0.3 * (figures[`load.${db}.healthz.rps`]?.median ?? 0)), "req/s")),
    // Issue 12: the same with the policy judging an intent and a rolling
    // window read and written on every request.
    ...["sqlite", "postgres"].map((db) => b(`recover with a policy and a window, ${db}: throughput ≥ 0.3 × GET /healthz`,
      `load.${db}.recoverPolicy.rps`, "median", "≥", Math.round(0.3 * (figures[`load.${db}.healthz.rps`]?.median ?? 0)), "req/s")),
    b("recover, SQLite: throughput", "load.sqlite.recover.rps", "median", "≥", 5000, "req/s"),
    b("recover, SQLite: p99", "load.sqlite.recover.p99", "median", "<", 20, "ms"),
    b("recover, PostgreSQL: throughput (reported beside SQLite)", "load.postgres.recover.rps", "median", "≥", 5000, "req/s"),
    b("recover, PostgreSQL: p99", "load.postgres.recover.p99", "median", "<", 20, "ms"),
    b("hot storage resident memory under load (SQLite)", "load.sqlite.recover.rssMiB", "value", "<", 100, "MiB"),
    b("hot storage resident memory under load (PostgreSQL)", "load.postgres.recover.rssMiB", "value", "<", 100, "MiB"),
  ];
  // A load with failed requests meets none of its budgets: a refused
  // request is answered sooner than a served one, which raises the rate and
  // lowers the latency, and costs the process less memory.
  for (const x of list) {
    const [, db, load] = /^load\.(\w+)\.(recover|recoverPolicy)\./.exec(x.figure) ?? [];
    if (db && figures[`load.${db}.${load}.errors`]?.value > 0) x.met = false;
  }
  return list;
}
