//! The activity log's rows (the `activity` and `activity_recent` tables,
//! created by policy_store.rs's migrations): entries added one at a time
//! or a batch per statement, the newest moved from `activity_recent` into
//! `activity`, the wallet's newest entries, and the approval webhook's
//! yes honoured once.
//!
//! `recover`'s batches (crate::hot::policy_batch) write to
//! `activity_recent`, which has no index: a batch's entries are appended
//! to one page. Written into `activity` they each dirtied their wallet's
//! page of the per-wallet index, one page of the SQLite log per entry
//! (docs/services.md, "Where a judged recover's time goes").
//! [`spawn_activity_mover`] moves them into `activity` every
//! [`MOVE_EVERY`], where one wallet's entries of that interval share a
//! page; [`list_activity`] reads both tables, so an entry is listed from
//! the moment its decision is committed. Entries written outside
//! `recover` (the approval route's, whose rows [`consume_approval`]
//! reads) go to `activity` directly.

use keyframe_policy::{Intent, RuleRef};
use keyframe_wire::policy::{ActivityEntry, Decision};
use sqlx::{Any, Executor, FromRow};

use sha2::{Digest, Sha256};

use super::policy_store::{self as ps, corrupt, layer_of, layer_str};
use crate::auth::Identity;
use crate::db::{Backend, Db, Untraced as _};
use crate::error::{AppError, AppResult};
use crate::statement::{Statement, Value as SqlValue};
use crate::types::{DeviceId, WalletId};

/// A reason kept in the log is cut to this many characters (a webhook's
/// answer is not ours to size).
const MAX_REASON_CHARS: usize = 300;

fn decision_of(s: &str) -> AppResult<Decision> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| corrupt("decision"))
}

/// An intent as the log stores it: its JSON as this service serializes it
/// (fields in a fixed order, amounts in canonical decimal) and that JSON's
/// SHA-256, the digest an approval is bound to, so the same intent always
/// gives the same digest whatever its JSON looked like. Made once per
/// request and before the policy's batch takes the writer's turn, so the
/// turn is not spent serializing (docs/services.md, "Where a judged
/// recover's time goes").
pub struct LoggedIntent {
    json: String,
    digest: String,
}

impl LoggedIntent {
    pub fn of(intent: &Intent) -> AppResult<LoggedIntent> {
        let json = serde_json::to_string(intent).map_err(anyhow::Error::from)?;
        let digest = hex::encode(Sha256::digest(json.as_bytes()));
        Ok(LoggedIntent { json, digest })
    }

    /// The digest an approval for this intent is bound to.
    pub fn digest(&self) -> &str {
        &self.digest
    }
}

/// One entry to add to the activity log.
pub struct NewActivity<'a> {
    pub id: &'a str,
    pub wallet: &'a WalletId,
    pub device: Option<&'a DeviceId>,
    pub decision: Decision,
    pub rule: Option<&'a RuleRef>,
    pub reason: Option<&'a str>,
    pub intent: &'a LoggedIntent,
}

/// Where an entry is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogTable {
    /// `activity`, the log itself.
    Log,
    /// `activity_recent`, moved into the log by [`move_recent_activity`].
    Recent,
}

impl LogTable {
    fn name(self) -> &'static str {
        match self {
            LogTable::Log => "activity",
            LogTable::Recent => "activity_recent",
        }
    }
}

/// The columns of both tables, in one order.
const COLUMNS: &str = "id, iss, sub, wallet, device, at, at_us, decision, rule_layer, \
                       rule_id, reason, intent, intent_digest, consumed";

/// How often [`spawn_activity_mover`] moves the recent entries.
pub const MOVE_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Adds `a` to the log (at now).
pub async fn insert_activity(
    exec: impl Executor<'_, Database = Any>,
    db: &Db,
    id: &Identity,
    a: &NewActivity<'_>,
) -> AppResult<()> {
    insert_activities(exec, db, &[(id, a)]).await
}

/// At most this many entries per statement (14 values each).
pub const MAX_ACTIVITY_PER_INSERT: usize = 256;

/// Adds each user's entry to the log (at now, in the order given) in one
/// statement.
pub async fn insert_activities(
    exec: impl Executor<'_, Database = Any>,
    db: &Db,
    entries: &[(&Identity, &NewActivity<'_>)],
) -> AppResult<()> {
    let mut stmt = Statement::new();
    push_activities(&mut stmt, LogTable::Log, entries)?;
    stmt.execute(exec, db).await?;
    Ok(())
}

/// Adds to `stmt` the part that inserts `entries` into `table` (at now,
/// in the order given; none when there are none).
pub fn push_activities(
    stmt: &mut Statement,
    table: LogTable,
    entries: &[(&Identity, &NewActivity<'_>)],
) -> AppResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    if entries.len() > MAX_ACTIVITY_PER_INSERT {
        return Err(AppError::Internal(anyhow::anyhow!(
            "{} activity entries in one statement",
            entries.len()
        )));
    }
    // Microseconds order the log: two entries of one millisecond keep
    // the order they were made in (within one statement, the order given).
    let at_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    let mut rows = Vec::with_capacity(entries.len());
    for (i, (id, a)) in entries.iter().enumerate() {
        let at_us = at_us.saturating_add(i64::try_from(i).unwrap_or(0));
        let values: [SqlValue; 14] = [
            a.id.into(),
            id.iss.as_str().into(),
            id.sub.as_str().into(),
            a.wallet.to_string().into(),
            a.device.map(ToString::to_string).into(),
            (at_us / 1000).into(),
            at_us.into(),
            a.decision.as_str().into(),
            a.rule.map(|r| layer_str(r.layer).to_owned()).into(),
            a.rule.map(|r| r.id.clone()).into(),
            a.reason
                .map(|r| r.chars().take(MAX_REASON_CHARS).collect::<String>())
                .into(),
            a.intent.json.as_str().into(),
            a.intent.digest.as_str().into(),
            0i64.into(),
        ];
        rows.push(stmt.row(values));
    }
    stmt.part(format!(
        "INSERT INTO {} ({COLUMNS}) VALUES {}",
        table.name(),
        rows.join(", ")
    ));
    Ok(())
}

/// Moves every entry of `activity_recent` into `activity`, in one
/// transaction; returns how many. PostgreSQL: one statement that deletes
/// and inserts what it deleted, so an entry committed while it runs is
/// either moved or left for the next move, and two replicas moving at
/// once move each entry once. SQLite: under this process's writer turn
/// and `BEGIN IMMEDIATE`, so nothing is written between the copy and the
/// delete.
pub async fn move_recent_activity(db: &Db) -> AppResult<u64> {
    match db.backend {
        Backend::Postgres => Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
            "WITH moved AS (DELETE FROM activity_recent RETURNING {COLUMNS}) \
             INSERT INTO activity ({COLUMNS}) SELECT {COLUMNS} FROM moved"
        )))
        .execute(&db.pool)
        .untraced(db)
        .await?
        .rows_affected()),
        Backend::Sqlite => {
            // Nothing to move (the usual case at rest): no writer turn.
            let any: Option<i64> = sqlx::query_scalar("SELECT 1 FROM activity_recent LIMIT 1")
                .fetch_optional(&db.pool)
                .untraced(db)
                .await?;
            if any.is_none() {
                return Ok(0);
            }
            // The judgement batch's transaction (policy_store::locked): the
            // writer turn, `BEGIN IMMEDIATE`, and a connection closed, not
            // pooled, if a statement fails with the transaction open.
            let mut t = ps::locked(db, &[]).await?;
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM activity_recent")
                .fetch_one(t.conn(db).await?)
                .untraced(db)
                .await?;
            let mut stmt = Statement::new();
            stmt.part(format!(
                "INSERT INTO activity ({COLUMNS}) SELECT {COLUMNS} FROM activity_recent"
            ));
            stmt.part("DELETE FROM activity_recent".to_owned());
            t.write_and_commit(db, vec![stmt]).await?;
            Ok(u64::try_from(n).unwrap_or(0))
        }
    }
}

/// Runs [`move_recent_activity`] every [`MOVE_EVERY`] until the task is
/// aborted (a failure is logged and tried again at the next tick; the
/// entries stay listed from `activity_recent` meanwhile).
pub fn spawn_activity_mover(db: Db) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(MOVE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if db.pool.is_closed() {
                return;
            }
            if let Err(e) = move_recent_activity(&db).await {
                tracing::warn!(error = %e, "moving the recent activity entries failed");
            }
        }
    })
}

#[derive(FromRow)]
struct ActivityRow {
    id: String,
    device: Option<String>,
    at: i64,
    decision: String,
    rule_layer: Option<String>,
    rule_id: Option<String>,
    reason: Option<String>,
    intent: String,
}

/// The wallet's newest `limit` entries, newest first.
pub async fn list_activity(
    db: &Db,
    id: &Identity,
    wallet: &WalletId,
    limit: u32,
) -> AppResult<Vec<ActivityEntry>> {
    // The log's newest through `activity_wallet` (ordered, limited), and
    // the entries not yet moved, which are few and have no index.
    let rows = sqlx::query_as::<_, ActivityRow>(
        "SELECT id, device, at, at_us, decision, rule_layer, rule_id, reason, intent FROM \
         (SELECT id, device, at, at_us, decision, rule_layer, rule_id, reason, intent \
          FROM activity WHERE iss = $1 AND sub = $2 AND wallet = $3 \
          ORDER BY at_us DESC, id LIMIT $4) AS moved \
         UNION ALL \
         SELECT id, device, at, at_us, decision, rule_layer, rule_id, reason, intent \
         FROM activity_recent WHERE iss = $5 AND sub = $6 AND wallet = $7 \
         ORDER BY at_us DESC, id LIMIT $8",
    )
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(wallet.to_string())
    .bind(i64::from(limit))
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(wallet.to_string())
    .bind(i64::from(limit))
    .fetch_all(&db.pool)
    .untraced(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            let rule = match (r.rule_layer, r.rule_id) {
                (Some(l), Some(i)) => Some(RuleRef {
                    layer: layer_of(&l)?,
                    id: i,
                }),
                _ => None,
            };
            Ok(ActivityEntry {
                id: r.id,
                at: r.at,
                decision: decision_of(&r.decision)?,
                rule,
                reason: r.reason,
                device: r
                    .device
                    .map(|d| d.parse().map_err(|_| corrupt("device id")))
                    .transpose()?,
                intent: serde_json::from_str(&r.intent).map_err(|_| corrupt("intent"))?,
            })
        })
        .collect()
}

/// Marks the webhook's yes `approval` used, if it is the caller's, for
/// `wallet` and the intent of `digest`, unused, and given at or after
/// `not_before_ms`. Returns whether it was (the one conditional `UPDATE`
/// is the compare-and-swap, so a yes is honoured once on any replica).
pub async fn consume_approval(
    exec: impl Executor<'_, Database = Any>,
    db: &Db,
    id: &Identity,
    wallet: &WalletId,
    approval: &str,
    digest: &str,
    not_before_ms: i64,
) -> AppResult<bool> {
    let n = sqlx::query(
        "UPDATE activity SET consumed = 1 WHERE id = $1 AND iss = $2 AND sub = $3 AND wallet = $4 \
         AND decision = $5 AND intent_digest = $6 AND consumed = 0 AND at >= $7",
    )
    .bind(approval)
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(wallet.to_string())
    .bind(Decision::ApprovedByWebhook.as_str())
    .bind(digest)
    .bind(not_before_ms)
    .execute(exec)
    .untraced(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::hot::activity_store::LoggedIntent;
    use keyframe_policy::Intent;

    /// The digest an approval row was stored with must still match the
    /// intent it was made for after an upgrade: the JSON and its SHA-256
    /// are pinned (the digest computed apart from this code, with
    /// `sha256sum`).
    #[test]
    fn a_logged_intent_keeps_its_pinned_json_and_digest() {
        let intent: Intent =
            serde_json::from_str(r#"{"value":"5","chain":1,"kind":"evm_transaction"}"#).unwrap();
        let logged = LoggedIntent::of(&intent).unwrap();
        assert_eq!(logged.json, PINNED_JSON);
        assert_eq!(logged.digest(), PINNED_DIGEST);
    }

    #[test]
    fn an_intent_has_one_digest_whatever_its_json_looked_like() {
        let a: Intent =
            serde_json::from_str(r#"{"kind":"evm_transaction","chain":1,"value":"5"}"#).unwrap();
        let b: Intent =
            serde_json::from_str(r#"{"value":"5","chain":1,"kind":"evm_transaction"}"#).unwrap();
        let c: Intent =
            serde_json::from_str(r#"{"kind":"evm_transaction","chain":1,"value":"6"}"#).unwrap();
        let d = |i: &Intent| LoggedIntent::of(i).unwrap().digest().to_owned();
        assert_eq!(d(&a), d(&b));
        assert_ne!(d(&a), d(&c));
    }

    /// A database migrated before `activity_recent` existed (the policy's
    /// migrations 1 to 3) keeps its log through migration 4: the old
    /// entry is still listed, a batch's entry joins it from the new table,
    /// and both are listed after the move.
    #[tokio::test]
    async fn a_log_from_before_migration_4_is_listed_with_the_new_entries() {
        use crate::auth::Identity;
        use crate::db::Db;
        use crate::hot::activity_store::{
            LogTable, NewActivity, insert_activity, list_activity, move_recent_activity,
            push_activities,
        };
        use crate::hot::policy_store::{MIGRATIONS, MIGRATIONS_TABLE};
        use crate::statement::Statement;
        use keyframe_wire::policy::{ActivityEntry, Decision};

        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
        let db = Db::connect(&url, 2).await.unwrap();
        db.migrate(MIGRATIONS_TABLE, &MIGRATIONS[..3])
            .await
            .unwrap();
        let user = Identity {
            iss: "i".to_owned(),
            sub: "s".to_owned(),
        };
        let wallet = crate::types::parse_wallet("7c9e6679-7425-40de-944b-e07fc1f90ae7").unwrap();
        let intent: Intent = serde_json::from_str(PINNED_JSON).unwrap();
        let logged = LoggedIntent::of(&intent).unwrap();
        let entry = |id| NewActivity {
            id,
            wallet: &wallet,
            device: None,
            decision: Decision::Allowed,
            rule: None,
            reason: None,
            intent: &logged,
        };
        insert_activity(&db.pool, &db, &user, &entry("old"))
            .await
            .unwrap();

        db.migrate(MIGRATIONS_TABLE, MIGRATIONS).await.unwrap();
        let mut stmt = Statement::new();
        push_activities(&mut stmt, LogTable::Recent, &[(&user, &entry("new"))]).unwrap();
        stmt.execute(&db.pool, &db).await.unwrap();
        let ids = |l: Vec<ActivityEntry>| l.into_iter().map(|e| e.id).collect::<Vec<_>>();
        let listed = ids(list_activity(&db, &user, &wallet, 10).await.unwrap());
        assert_eq!(listed, ["new", "old"]);
        assert_eq!(move_recent_activity(&db).await.unwrap(), 1);
        let listed = ids(list_activity(&db, &user, &wallet, 10).await.unwrap());
        assert_eq!(listed, ["new", "old"]);
    }

    const PINNED_JSON: &str = r#"{"kind":"evm_transaction","chain":1,"value":"5"}"#;
    const PINNED_DIGEST: &str = "2bff38c5e2ceee493a846d27158172be04b308785dc97c55204bf1981f8536e7";
}
