//! The policy as hot storage enforces it before it releases a share
//! (docs/policy.md, "Enforced twice"), with group commit.
//!
//! [`enforce`] queues the request's judgement in its user's queue (one
//! on SQLite, two on PostgreSQL: [`POSTGRES_QUEUES`]); whoever holds that
//! queue's turn (crate::group_commit) judges everything queued in it so
//! far in one transaction that holds every user of the batch ([`ps::locked`]): it
//! reads their usage in one statement, evaluates each request (a
//! signature batch: its whole and its parts, keyframe_policy's
//! `evaluate_with_parts`) in the order queued against that usage plus
//! what the requests before it in the batch recorded, then writes the
//! activity log's entries and the usage buckets in one request
//! (crate::statement), and commits. Two requests of
//! one user, in one batch or on two replicas, therefore never both pass a
//! limit only one fits in; and the per-request cost of the transaction
//! (its locks, its round trips, SQLite's one writer) is shared by the
//! batch.

use std::collections::HashMap;
use std::sync::Arc;

use keyframe_policy::{Effect, Intent, Layers, Policy, Usage, evaluate_with_parts};
use keyframe_wire::policy::{APPROVAL_TTL_SECS, Decision};
use sqlx::AnyConnection;

use super::activity_store::{self, LogTable, LoggedIntent, NewActivity};
use super::policy_gate::{
    deny_reason, now_secs, rule_text, usage_since, user_layer, user_rules_of,
};
use super::policy_store::{self as ps, UsageWrite, WalletRules};
use super::store::HotStore;
use crate::auth::{Identity, PendingProof, ProofRecord, refused_replay};
use crate::db::{Backend, Db, now_ms};
use crate::error::{AppError, AppResult};
use crate::group_commit::GroupCommit;
use crate::metrics::Metrics;
use crate::replay::Scope;
use crate::settings::Settings;
use crate::statement::Statement;
use crate::types::{DeviceId, WalletId};

/// At most this many requests per transaction (the activity insert's
/// bind limit: activity_store::MAX_ACTIVITY_PER_INSERT).
const MAX_BATCH: usize = 128;

/// PostgreSQL: this many queues per process, each with one batch in
/// flight. A user's requests always go to the same queue (by their lock
/// key), so two batches of one process never hold one user's lock and
/// never wait on each other: while one waits on a round trip the other
/// runs (docs/services.md, "Where a judged recover's time goes"). SQLite has one writer, so one
/// queue.
const POSTGRES_QUEUES: usize = 2;

/// What `recover` asks before it opens a share for a signature.
pub struct Gate<'a> {
    pub wallet: &'a WalletId,
    pub device: Option<&'a DeviceId>,
    /// None: the share is not for a signature (export, recovery); the
    /// policy does not judge it.
    pub intent: Option<&'a Intent>,
    /// A batch's parts, judged with `intent` as its whole
    /// (`RecoverWithIntent::parts`; checked: at most
    /// `keyframe_wire::policy::MAX_INTENT_PARTS`).
    pub parts: &'a [Intent],
    /// The webhook's yes, when the effect is `approve`.
    pub approval: Option<&'a str>,
    /// The user approved this very request on the consent screen
    /// (`RecoverWithIntent::on_screen`). A decision that needs the screen
    /// is refused without it (409 `POLICY_CHANGED`).
    pub on_screen: bool,
}

/// One request to judge.
struct Job {
    id: Identity,
    wallet: WalletId,
    device: Option<DeviceId>,
    intent: Intent,
    /// A batch's parts ([`Gate::parts`]).
    parts: Vec<Intent>,
    /// The intent as the log stores it, made before the job is queued.
    logged: LoggedIntent,
    approval: Option<String>,
    /// The user said yes on the screen for this request ([`Gate::on_screen`]).
    on_screen: bool,
    operator: Arc<Policy>,
    /// The wallet's user rules, verified (policy_gate::user_rules_of).
    user: Option<Policy>,
    /// The request's DPoP proof, recorded in the batch's transaction
    /// before anything is judged (crate::auth::PendingProof).
    proof: Option<ProofRecord>,
}

/// The judgement of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Pass,
    Denied(String),
    /// The decision needs the user's yes on the screen and the request
    /// says none was shown (the iFrame judged with older usage): not
    /// released, logged or counted.
    Changed(String),
    /// Its DPoP proof was recorded before: not judged, logged or counted.
    Replayed,
}

/// The policy's queues of judgements (one set per hot-storage process;
/// the router holds it as an extension: crate::hot::app).
pub struct PolicyBatches {
    db: Db,
    metrics: Arc<Metrics>,
    queues: Vec<GroupCommit<Job, Result<Verdict, String>>>,
}

impl PolicyBatches {
    pub fn new(db: Db, metrics: Arc<Metrics>) -> PolicyBatches {
        let queues = match db.backend {
            Backend::Sqlite => 1,
            Backend::Postgres => POSTGRES_QUEUES,
        };
        PolicyBatches {
            db,
            metrics,
            queues: (0..queues).map(|_| GroupCommit::new(MAX_BATCH)).collect(),
        }
    }

    async fn judge(&self, job: Job) -> AppResult<Verdict> {
        let run = |jobs: Vec<Job>| {
            let (db, metrics) = (self.db.clone(), self.metrics.clone());
            async move {
                match judge_batch(&db, &jobs).await {
                    Ok(judged) => judged
                        .into_iter()
                        .map(|(verdict, decision)| {
                            if let Some(d) = decision {
                                metrics.policy_decision(d.as_str());
                            }
                            Ok(verdict)
                        })
                        .collect(),
                    Err(e) => {
                        tracing::error!(error = %e, requests = jobs.len(), "a policy batch failed");
                        vec![Err("the policy's transaction failed".to_owned()); jobs.len()]
                    }
                }
            }
        };
        let queue = queue_of(&job.id, self.queues.len());
        self.queues[queue]
            .submit(job, run)
            .await?
            .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))
    }
}

/// The queue of `id`'s requests, of `n`: always the same one for a user.
fn queue_of(id: &Identity, n: usize) -> usize {
    let n = u64::try_from(n.max(1)).unwrap_or(1);
    usize::try_from(ps::lock_key(id).unsigned_abs() % n).unwrap_or(0)
}

/// Lets the share go (Ok) or refuses it with 403 `POLICY_DENIED` (or 409
/// `POLICY_CHANGED`: the decision needs the screen the request says was
/// not shown), recording the decision and the usage in the batch's transaction.
/// Called by `recover` once it knows the share exists, so a 404 records
/// nothing. `known`: the wallet's authority key and user rules if the
/// caller read them already (store::load_wallet_device does), else they
/// are read here. `proof`, if still pending, is recorded before this
/// returns Ok: in the batch's transaction for a judged request (a replay
/// is refused with `DPOP_INVALID` before it is judged), else on its own.
pub async fn enforce(
    batches: &PolicyBatches,
    st: &HotStore,
    settings: &Settings,
    id: &Identity,
    g: &Gate<'_>,
    known: Option<WalletRules>,
    proof: &mut PendingProof,
) -> AppResult<()> {
    let Some(intent) = g.intent else {
        return proof.record_now().await;
    };
    let user = match known {
        Some(w) => user_layer(st, w.authority.as_deref(), w.rules),
        None => user_rules_of(st, id, g.wallet).await?,
    };
    let logged = LoggedIntent::of(intent)?;
    let job = Job {
        id: id.clone(),
        wallet: *g.wallet,
        device: g.device.copied(),
        intent: intent.clone(),
        parts: g.parts.to_vec(),
        logged,
        approval: g.approval.map(str::to_owned),
        on_screen: g.on_screen,
        operator: settings.policy.current(),
        user,
        // Recorded in the batch's transaction, with its judgement: a
        // signature's record costs no commit, call or writer turn of its
        // own (docs/services.md, "Ninth pass", "Fifteenth pass").
        proof: proof.hand_on(),
    };
    // Failed: the transaction may not have committed the record, which
    // stays pending: the caller records it before it answers (a replay
    // then, if it did commit).
    let verdict = batches.judge(job).await?;
    // Answered: the batch's transaction committed.
    proof.recorded_by_batch();
    match verdict {
        Verdict::Pass => Ok(()),
        Verdict::Denied(why) => Err(AppError::PolicyDenied(why)),
        Verdict::Changed(why) => Err(AppError::PolicyChanged(why)),
        Verdict::Replayed => Err(refused_replay()),
    }
}

/// One user's usage in a batch: what was read, merged with what the
/// batch's requests recorded so far.
struct UserUsage {
    /// Rows newer than this were read (and are what a write replaces).
    since: u64,
    usage: Vec<Usage>,
    /// Each entry's bucket (-1: a row from before buckets).
    bucket: Vec<i64>,
    /// Whether the batch changed the entry (it is written back).
    changed: Vec<bool>,
    /// Whether the entry is one stored row of its bucket, so it is
    /// written back in place (policy_store::UsageWrite::in_place).
    one_row: Vec<bool>,
}

impl UserUsage {
    fn new(since: u64, stored: Vec<ps::StoredUsage>) -> UserUsage {
        let mut u = UserUsage {
            since,
            usage: Vec::with_capacity(stored.len()),
            bucket: Vec::with_capacity(stored.len()),
            changed: Vec::with_capacity(stored.len()),
            one_row: Vec::with_capacity(stored.len()),
        };
        for s in stored {
            match u.find(s.bucket, &s.usage) {
                // Two rows of one bucket (written by replicas whose clocks
                // disagree by more than a window): one entry from now on,
                // which counts no less than the two did.
                Some(i) => {
                    u.usage[i].absorb(&s.usage);
                    u.changed[i] = true;
                    u.one_row[i] = false;
                }
                None => {
                    // A row from before buckets is never written back.
                    u.one_row.push(s.bucket >= 0);
                    u.usage.push(s.usage);
                    u.bucket.push(s.bucket);
                    u.changed.push(false);
                }
            }
        }
        u
    }

    /// The entry of `bucket` for `u`'s rule; never a row from before
    /// buckets.
    fn find(&self, bucket: i64, u: &Usage) -> Option<usize> {
        (bucket >= 0).then_some(())?;
        (0..self.usage.len()).find(|&i| {
            self.bucket[i] == bucket
                && self.usage[i].layer == u.layer
                && self.usage[i].rule == u.rule
        })
    }

    /// Adds one request's usage to its bucket of `bucket_secs`.
    fn record(&mut self, u: &Usage, bucket_secs: u64) {
        let bucket_secs = bucket_secs.max(1);
        let bucket = i64::try_from(u.at - u.at % bucket_secs).unwrap_or(i64::MAX);
        match self.find(bucket, u) {
            Some(i) => {
                self.usage[i].absorb(u);
                self.changed[i] = true;
            }
            None => {
                self.usage.push(u.clone());
                self.bucket.push(bucket);
                self.changed.push(true);
                self.one_row.push(false);
            }
        }
    }
}

/// One entry of the log the batch writes.
struct Entry {
    job: usize,
    id: String,
    decision: Decision,
    rule: Option<keyframe_policy::RuleRef>,
    reason: Option<String>,
}

/// Judges `jobs` in one transaction; each job's verdict and the decision
/// logged for it (to count once committed).
async fn judge_batch(db: &Db, jobs: &[Job]) -> AppResult<Vec<(Verdict, Option<Decision>)>> {
    // The batch's users, each once, in the order they first appear.
    let mut user_of: Vec<usize> = Vec::with_capacity(jobs.len());
    let mut users: Vec<&Identity> = Vec::new();
    {
        let mut index: HashMap<(&str, &str), usize> = HashMap::new();
        for j in jobs {
            let next = users.len();
            let i = *index
                .entry((j.id.iss.as_str(), j.id.sub.as_str()))
                .or_insert(next);
            if i == next {
                users.push(&j.id);
            }
            user_of.push(i);
        }
    }
    let mut tx = ps::locked(db, &users).await?;
    // The clock is read under the locks (PostgreSQL; on SQLite with this
    // process's writer turn), so usage recorded by the holder before us
    // is never later than our `now`.
    let now = now_secs();
    // Each user's usage since the longest window any of their requests'
    // policies can look at (none read when no rule has a limit).
    let mut since: Vec<Option<u64>> = vec![None; users.len()];
    for (j, &u) in jobs.iter().zip(&user_of) {
        if let Some(s) = usage_since(now, &j.operator, j.user.as_ref()) {
            since[u] = Some(since[u].map_or(s, |t: u64| t.min(s)));
        }
    }
    let asked: Vec<(&Identity, u64)> = users
        .iter()
        .zip(&since)
        .filter_map(|(u, s)| s.map(|s| (*u, s)))
        .collect();
    // The proofs first, in the same transaction: a replayed request is
    // neither judged nor logged nor counted, and a fresh proof's record
    // commits with its judgement (on SQLite in the call that opens the
    // transaction and reads the usage).
    let proofs: Vec<(usize, (Scope, &str, i64))> = jobs
        .iter()
        .enumerate()
        .filter_map(|(k, j)| {
            let p = j.proof.as_ref()?;
            Some((k, (Scope::Dpop, p.id.as_str(), p.until_ms)))
        })
        .collect();
    let records: Vec<(Scope, &str, i64)> = proofs.iter().map(|(_, r)| *r).collect();
    let (fresh, read) = tx.record_and_load(db, &records, &asked).await?;
    let mut replayed = vec![false; jobs.len()];
    for ((k, _), fresh) in proofs.iter().zip(fresh) {
        replayed[*k] = !fresh;
    }
    let mut read = read.into_iter();
    let mut usage: Vec<UserUsage> = since
        .iter()
        .map(|s| match s {
            Some(s) => UserUsage::new(*s, read.next().unwrap_or_default()),
            // Nothing read: a write (there can be none without a limit)
            // would replace nothing.
            None => UserUsage::new(now, Vec::new()),
        })
        .collect();

    let mut verdicts = Vec::with_capacity(jobs.len());
    let mut entries: Vec<Entry> = Vec::new();
    for (k, (j, &u)) in jobs.iter().zip(&user_of).enumerate() {
        if replayed[k] {
            verdicts.push((Verdict::Replayed, None));
            continue;
        }
        let layers = Layers {
            operator: &j.operator,
            user: j.user.as_ref(),
        };
        // The whole and each part, as the iFrame judged them: a modified
        // or stale iFrame that skipped the screen a part needs is caught
        // here. The usage recorded is the whole's, once.
        let e = evaluate_with_parts(&layers, &j.intent, &j.parts, &usage[u].usage, now);
        // A decision that needs the user's yes on the screen, for a
        // request whose screen was not shown: the iFrame judged `allow`
        // (or a silent `approve`) with usage older than this batch's, e.g.
        // concurrent requests that all saw the same usage. Refused before
        // anything is consumed, logged or counted; the iFrame shows the
        // screen and asks again.
        let needs_screen = match e.effect {
            Effect::Ask => true,
            Effect::Approve => !e.silent,
            Effect::Allow | Effect::Deny => false,
        };
        if needs_screen && !j.on_screen {
            tracing::info!(
                effect = e.effect.as_str(),
                kind = j.intent.kind.as_str(),
                "share held back: the decision needs the screen"
            );
            verdicts.push((
                Verdict::Changed(format!(
                    "{} decides {}, and this request was not approved on the screen",
                    rule_text(&e),
                    e.effect.as_str()
                )),
                None,
            ));
            continue;
        }
        let mut entry = |decision, reason| -> AppResult<()> {
            entries.push(Entry {
                job: k,
                id: ps::new_id()?,
                decision,
                rule: e.deciding_rule.clone(),
                reason,
            });
            Ok(())
        };
        let decision = match e.effect {
            Effect::Deny => {
                let why = deny_reason(&e);
                entry(Decision::Denied, Some(why.clone()))?;
                tracing::info!(
                    effect = "deny",
                    kind = j.intent.kind.as_str(),
                    "share refused by policy"
                );
                verdicts.push((Verdict::Denied(why), Some(Decision::Denied)));
                continue;
            }
            Effect::Approve => {
                if !consume_approval(tx.conn(db).await?, db, j).await? {
                    verdicts.push((
                        Verdict::Denied(format!(
                            "{} needs the approval webhook's yes (an unused approval for this wallet and this very request, at most {APPROVAL_TTL_SECS} s old)",
                            rule_text(&e)
                        )),
                        None,
                    ));
                    continue;
                }
                // The webhook's yes is the log's entry for this request.
                None
            }
            Effect::Allow => Some(Decision::Allowed),
            // `on_screen`: the user said yes to this very request (checked
            // above).
            Effect::Ask => Some(Decision::ApprovedOnScreen),
        };
        if let Some(d) = decision {
            entry(d, None)?;
        }
        if let Some(r) = &e.record {
            usage[u].record(r, e.record_bucket_secs);
        }
        verdicts.push((Verdict::Pass, decision));
    }

    let log: Vec<NewActivity<'_>> = entries
        .iter()
        .map(|x| NewActivity {
            id: &x.id,
            wallet: &jobs[x.job].wallet,
            device: jobs[x.job].device.as_ref(),
            decision: x.decision,
            rule: x.rule.as_ref(),
            reason: x.reason.as_deref(),
            intent: &jobs[x.job].logged,
        })
        .collect();
    // One entry at most per job, and MAX_BATCH jobs fit one statement.
    let rows: Vec<(&Identity, &NewActivity<'_>)> = log
        .iter()
        .zip(&entries)
        .map(|(a, x)| (&jobs[x.job].id, a))
        .collect();
    let writes: Vec<UsageWrite<'_>> = usage
        .iter()
        .zip(&users)
        .flat_map(|(uu, id)| {
            (0..uu.usage.len())
                .filter(|&i| uu.changed[i])
                .map(move |i| UsageWrite {
                    id,
                    since: uu.since,
                    bucket: uu.bucket[i],
                    usage: &uu.usage[i],
                    in_place: uu.one_row[i],
                })
        })
        .collect();
    // The log and the usage in one round trip (crate::statement): the
    // writer turn is held until the commit, so each round trip saved is
    // saved for every writer waiting behind this batch.
    let mut chunks = writes.chunks(ps::MAX_USAGE_WRITES);
    let mut stmt = Statement::new();
    // Appended to `activity_recent`, not spread over `activity`'s
    // per-wallet index pages (activity_store.rs).
    activity_store::push_activities(&mut stmt, LogTable::Recent, &rows)?;
    if let Some(first) = chunks.next() {
        ps::push_usage_writes(&mut stmt, first)?;
    }
    let mut statements = vec![stmt];
    // More changed buckets than one statement takes (rows merged on
    // reading): the rest after, in the same transaction.
    for chunk in chunks {
        let mut more = Statement::new();
        ps::push_usage_writes(&mut more, chunk)?;
        statements.push(more);
    }
    tx.write_and_commit(db, statements).await?;
    Ok(verdicts)
}

/// Marks the job's approval used, if it is a valid yes for it.
async fn consume_approval(conn: &mut AnyConnection, db: &Db, j: &Job) -> AppResult<bool> {
    let Some(a) = &j.approval else {
        return Ok(false);
    };
    let not_before = now_ms().saturating_sub(APPROVAL_TTL_SECS as i64 * 1000);
    activity_store::consume_approval(
        &mut *conn,
        db,
        &j.id,
        &j.wallet,
        a,
        j.logged.digest(),
        not_before,
    )
    .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use keyframe_policy::{Amount, Layer, Usage};

    use crate::auth::Identity;
    use crate::hot::policy_batch::{UserUsage, queue_of};
    use crate::hot::policy_store::StoredUsage;

    /// A user's requests share one queue (so two batches of one process
    /// never hold one user's lock), and users spread over the queues.
    #[test]
    fn a_user_always_has_the_same_queue_and_users_spread() {
        let user = |i: usize| Identity {
            iss: "https://issuer.example".to_owned(),
            sub: format!("user-{i}"),
        };
        let mut per_queue = [0usize; 2];
        for i in 0..64 {
            let q = queue_of(&user(i), 2);
            assert_eq!(q, queue_of(&user(i), 2), "user {i} moved");
            per_queue[q] += 1;
        }
        assert!(
            per_queue.iter().all(|&n| n >= 16),
            "64 users over 2 queues: {per_queue:?}"
        );
        assert_eq!(queue_of(&user(1), 1), 0);
    }

    fn usage(rule: &str, at: u64, value: u64) -> Usage {
        Usage {
            layer: Layer::Operator,
            rule: rule.to_owned(),
            at,
            value: Amount::parse(&value.to_string()).unwrap(),
            lamports: Amount::default(),
            tokens: Vec::new(),
            count: 1,
        }
    }

    fn stored(bucket: i64, u: Usage) -> StoredUsage {
        StoredUsage { bucket, usage: u }
    }

    #[test]
    fn requests_of_one_bucket_merge_and_others_start_their_own() {
        let mut u = UserUsage::new(0, vec![stored(60, usage("a", 61, 5))]);
        u.record(&usage("a", 100, 7), 60);
        u.record(&usage("b", 100, 1), 60);
        u.record(&usage("a", 130, 1), 60);
        assert_eq!(u.usage.len(), 3);
        assert_eq!((u.usage[0].count, u.usage[0].at), (2, 100));
        assert_eq!(u.usage[0].value, Amount::parse("12").unwrap());
        assert_eq!((u.bucket[1], u.usage[1].rule.as_str()), (60, "b"));
        assert_eq!(u.bucket[2], 120);
        assert_eq!(u.changed, vec![true, true, true]);
        assert_eq!(
            u.one_row,
            vec![true, false, false],
            "the stored bucket is updated in place, new ones inserted"
        );
    }

    #[test]
    fn two_rows_of_one_bucket_become_one_entry_that_counts_both() {
        let u = UserUsage::new(
            0,
            vec![
                stored(60, usage("a", 61, 5)),
                stored(60, usage("a", 70, 6)),
                stored(120, usage("a", 121, 1)),
            ],
        );
        assert_eq!(u.usage.len(), 2);
        assert_eq!((u.usage[0].count, u.usage[0].at), (2, 70));
        assert_eq!(u.usage[0].value, Amount::parse("11").unwrap());
        assert_eq!(
            u.changed,
            vec![true, false],
            "the merged entry is rewritten"
        );
        assert_eq!(
            u.one_row,
            vec![false, true],
            "two rows become one: deleted and inserted, not updated"
        );
    }

    #[test]
    fn rows_from_before_buckets_are_never_merged_into() {
        let mut u = UserUsage::new(
            0,
            vec![stored(-1, usage("a", 61, 5)), stored(-1, usage("a", 62, 5))],
        );
        assert_eq!(u.usage.len(), 2);
        u.record(&usage("a", 63, 1), 60);
        assert_eq!(u.usage.len(), 3);
        assert_eq!(u.changed, vec![false, false, true]);
        assert_eq!(u.one_row, vec![false, false, false]);
        assert_eq!(u.bucket[2], 60);
    }
}
