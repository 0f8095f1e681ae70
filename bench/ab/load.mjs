// Hot storage under load, without the rest of the bench: for A/B runs of
// two service builds on one machine (bench/AB-issue9.md, docs/services.md).
//   node bench/ab/load.mjs [sqlite|postgres|both] [seconds] [runs]
// PROF_PARTS picks the loads (default healthz,recover,judged: GET /healthz,
// POST /v2/devices/recover with DPoP, and the same with an intent judged by
// bench/load.mjs's LOAD_POLICY). KEYFRAME_SERVICES_PROFILE picks
// target/<profile>/hot-storage-service (default release): copy a base
// build's binary into target/base/ and interleave runs with
// KEYFRAME_SERVICES_PROFILE=base. PG_URL_SUFFIX is appended to the
// PostgreSQL URL (e.g. ?options=-c%20synchronous_commit%3Doff).
// HOT_ECHO=1 copies hot storage's log to stderr; HOT_RUST_LOG is its
// RUST_LOG (default warn), e.g. warn,hot_storage_service::replay=debug to
// see each prune (docs/services.md, "Eleventh pass"). Each line of results
// starts with the time its round ended, to set beside the log.
// OLD_ACTIVITY=N (SQLite) writes N activity entries past the retention
// into hot storage's database just before each judged round, so the
// retention sweep deletes them during it; with
// HOT_STORAGE_SWEEP_INTERVAL_SECONDS=3 a sweep starts within the round's
// first 3 s (docs/services.md, "Thirteenth pass").
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startStack } from "../../scripts/stack.mjs";
import { signUp } from "../../tests/support/e2e.mjs";
import { ensureWrk, seedWallets, startHot, startPostgres, wrk, wrkScript } from "../load.mjs";

const which = process.argv[2] ?? "both";
const secs = Number(process.argv[3] ?? 8);
const runs = Number(process.argv[4] ?? 2);
const parts = (process.env.PROF_PARTS ?? "healthz,recover,judged").split(",");
const W = { threads: Number(process.env.WRK_THREADS ?? 2), conns: Number(process.env.WRK_CONNS ?? 32) };
const oldActivity = Number(process.env.OLD_ACTIVITY ?? 0);
ensureWrk();

/** `n` entries dated 400 days ago (past any retention) in one transaction. */
function writeOldActivity(file, n) {
  const at = Date.now() - 400 * 86_400_000;
  const sql = `PRAGMA busy_timeout=10000; WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < ${n - 1})
    INSERT INTO activity (id, iss, sub, wallet, device, at, at_us, decision, rule_layer, rule_id, reason, intent, intent_digest, consumed)
    SELECT lower(hex(randomblob(16))), 'https://issuer.example', 'old-' || (i % 1000), lower(hex(randomblob(16))), lower(hex(randomblob(16))),
      ${at} + i / 10, (${at} + i / 10) * 1000, 'allowed', 'operator', 'old', NULL,
      '{"kind":"evm_message","origin":"https://dapp.example","text":"' || lower(hex(randomblob(60))) || '"}', lower(hex(randomblob(32))), 0 FROM k;`;
  execFileSync("sqlite3", [file, sql], { stdio: ["ignore", "ignore", "inherit"] });
}
const tmp = await mkdtemp(join(tmpdir(), "kf-prof-"));
const stack = await startStack({ dataDir: join(tmp, "data"),
  env: { KEYFRAME_RATE_LIMIT_IP_PER_SECOND: "0", KEYFRAME_RATE_LIMIT_USER_PER_SECOND: "0", SAMPLE_DAPP_AUTH_IP_PER_MINUTE: "100000" } });
let pg;
try {
  const users = [];
  for (let i = 0; i < 32; i++) users.push(await signUp(stack, "load"));
  const dbs = [];
  if (which !== "postgres") dbs.push(["sqlite", null]);
  if (which !== "sqlite") { pg = await startPostgres(tmp); dbs.push(["postgres", pg.url + (process.env.PG_URL_SUFFIX ?? "")]); }
  for (const [db, url] of dbs) {
    const hot = await startHot(stack, tmp, db, url);
    try {
      const items = await seedWallets(stack, hot, users);
      // In rounds (each part in turn), as bench/run.mjs does: this
      // machine's speed drifts within minutes.
      for (let i = 0; i < runs; i++) {
        for (const part of parts) {
          const script = part === "healthz" ? await wrkScript(tmp, hot, null, 0, W.threads)
            : await wrkScript(tmp, hot, items, Math.ceil(secs * 16000), W.threads, part === "judged" ? "judged" : "body");
          const target = part === "healthz" ? `${hot.url}/healthz` : `${hot.url}/v2/devices/recover`;
          if (part === "judged" && db === "sqlite" && oldActivity > 0) writeOldActivity(join(tmp, "hot-sqlite", "hot-storage.db"), oldActivity);
          const r = await wrk(target, script, secs, hot.proc.pid, W);
          console.log(`${new Date().toISOString()} ${process.env.KEYFRAME_SERVICES_PROFILE ?? "release"} ${db} ${part} rps=${Math.round(r.rps)} p50=${r.p50.toFixed(2)} p99=${r.p99.toFixed(2)} err=${r.errors} ${r.errors ? JSON.stringify(r.errorKinds) : ""}`);
        }
      }
    } finally { await hot.proc.stop?.(); hot.proc.kill?.(); }
  }
} finally {
  await stack.stop();
  await pg?.stop?.();
  await rm(tmp, { recursive: true, force: true }).catch(() => {});
}
