//! The policy's state at hot storage (docs/policy.md, "Enforced twice",
//! "Activity"): its schema (own migrations table) and its SQL.
//!
//! * `policy_usage`: what each request decided by a rule with limits took,
//!   per user (the token's iss and sub, like every per-user row), so a
//!   rolling window holds across all of a user's devices, tabs and this
//!   service's replicas;
//! * `user_rules`: the user's signed rule set per wallet, as stored (the
//!   signature is checked on every use, so a row changed in the database
//!   is ignored, not trusted);
//! * `activity`: the activity log; an `approved_by_webhook` row is also
//!   the approval `recover` honours once (`consumed`).
//!
//! [`locked`] opens the transaction in which `recover` evaluates and
//! records: one at a time per user (PostgreSQL: an advisory lock on a hash
//! of the user; SQLite: `BEGIN IMMEDIATE`, the one writer).

use keyframe_policy::{Amount, Intent, Layer, RuleRef, TokenAmount, Usage};
use keyframe_wire::policy::{ActivityEntry, Decision, SignedUserRules};
use sha2::{Digest, Sha256};
use sqlx::{Any, Executor, FromRow, Transaction};

use crate::auth::Identity;
use crate::db::{Backend, Db, Migration, Untraced as _};
use crate::error::{AppError, AppResult};
use crate::types::{DeviceId, WalletId};

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        statements: &[
            "CREATE TABLE policy_usage (
            iss TEXT NOT NULL,
            sub TEXT NOT NULL,
            layer TEXT NOT NULL,
            rule TEXT NOT NULL,
            at BIGINT NOT NULL,
            value TEXT NOT NULL,
            lamports TEXT NOT NULL,
            tokens TEXT NOT NULL
        )",
            "CREATE INDEX policy_usage_user ON policy_usage (iss, sub, at)",
            "CREATE INDEX policy_usage_at ON policy_usage (at)",
            "CREATE TABLE user_rules (
            iss TEXT NOT NULL,
            sub TEXT NOT NULL,
            wallet TEXT NOT NULL,
            version BIGINT NOT NULL,
            rules TEXT NOT NULL,
            signature TEXT NOT NULL,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (iss, sub, wallet)
        )",
            "CREATE TABLE activity (
            id TEXT NOT NULL PRIMARY KEY,
            iss TEXT NOT NULL,
            sub TEXT NOT NULL,
            wallet TEXT NOT NULL,
            device TEXT,
            at BIGINT NOT NULL,
            at_us BIGINT NOT NULL,
            decision TEXT NOT NULL,
            rule_layer TEXT,
            rule_id TEXT,
            reason TEXT,
            intent TEXT NOT NULL,
            intent_digest TEXT NOT NULL,
            consumed BIGINT NOT NULL DEFAULT 0
        )",
            "CREATE INDEX activity_wallet ON activity (iss, sub, wallet, at_us)",
            "CREATE INDEX activity_at ON activity (at)",
        ],
    },
    Migration {
        // Usage kept per time bucket of a rule (keyframe_policy::bucket_secs)
        // instead of per request. Rows written before are their own buckets
        // (-1: never merged into) until they leave their windows.
        version: 2,
        statements: &[
            "ALTER TABLE policy_usage ADD COLUMN bucket BIGINT NOT NULL DEFAULT -1",
            "ALTER TABLE policy_usage ADD COLUMN count BIGINT NOT NULL DEFAULT 1",
            "CREATE INDEX policy_usage_bucket ON policy_usage (iss, sub, rule, bucket)",
        ],
    },
];

/// The table that records which of [`MIGRATIONS`] ran.
pub const MIGRATIONS_TABLE: &str = "policy_migrations";

/// A reason kept in the log is cut to this many characters (a webhook's
/// answer is not ours to size).
const MAX_REASON_CHARS: usize = 300;

fn corrupt(what: &str) -> AppError {
    AppError::Internal(anyhow::anyhow!("a stored {what} does not parse"))
}

fn layer_str(l: Layer) -> &'static str {
    match l {
        Layer::Operator => "operator",
        Layer::User => "user",
    }
}

fn layer_of(s: &str) -> AppResult<Layer> {
    match s {
        "operator" => Ok(Layer::Operator),
        "user" => Ok(Layer::User),
        _ => Err(corrupt("policy layer")),
    }
}

fn decision_of(s: &str) -> AppResult<Decision> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| corrupt("decision"))
}

/// The user as the approval webhook is told it: `iss sub`.
pub fn user_name(id: &Identity) -> String {
    format!("{} {}", id.iss, id.sub)
}

/// A random opaque id (activity entries, evaluation ids).
pub fn new_id() -> AppResult<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("getrandom: {e}"))?;
    Ok(hex::encode(b))
}

/// The digest an approval is bound to: SHA-256 of the intent's JSON as
/// this service serializes it (fields in a fixed order, amounts in
/// canonical decimal), so the same intent always gives the same digest.
pub fn intent_digest(intent: &Intent) -> AppResult<String> {
    let json = serde_json::to_vec(intent).map_err(anyhow::Error::from)?;
    Ok(hex::encode(Sha256::digest(json)))
}

/// The advisory lock key of a user (PostgreSQL).
fn lock_key(id: &Identity) -> i64 {
    let h = Sha256::digest(format!("keyframe-policy-user\n{}\n{}", id.iss, id.sub));
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    i64::from_be_bytes(b)
}

/// A transaction no other `locked` transaction of the same user runs
/// beside, on any replica: the usage it reads stays true until it commits.
pub struct Locked {
    pub tx: Transaction<'static, Any>,
    /// SQLite: this process's writer turn, held to the end (crate::db).
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Locked {
    pub async fn commit(self) -> AppResult<()> {
        Ok(self.tx.commit().await?)
    }

    pub async fn rollback(self) -> AppResult<()> {
        Ok(self.tx.rollback().await?)
    }
}

/// Opens a [`Locked`] transaction for `id`.
pub async fn locked(db: &Db, id: &Identity) -> AppResult<Locked> {
    match db.backend {
        Backend::Sqlite => {
            let turn = db.write_turn().await;
            let tx = db.pool.begin_with("BEGIN IMMEDIATE").untraced(db).await?;
            Ok(Locked { tx, _turn: turn })
        }
        Backend::Postgres => {
            let mut tx = db.pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(lock_key(id))
                .execute(&mut *tx)
                .await?;
            Ok(Locked { tx, _turn: None })
        }
    }
}

#[derive(FromRow)]
struct UsageRow {
    layer: String,
    rule: String,
    at: i64,
    value: String,
    lamports: String,
    tokens: String,
    bucket: i64,
    count: i64,
}

/// One stored usage entry and the bucket it is kept in (-1: a row from
/// before buckets, never merged into).
pub struct StoredUsage {
    pub bucket: i64,
    pub usage: Usage,
}

/// The user's usage of every rule's limits since `since` (Unix seconds,
/// exclusive).
pub async fn load_usage(
    exec: impl Executor<'_, Database = Any>,
    db: &Db,
    id: &Identity,
    since: u64,
) -> AppResult<Vec<StoredUsage>> {
    let rows = sqlx::query_as::<_, UsageRow>(
        "SELECT layer, rule, at, value, lamports, tokens, bucket, count FROM policy_usage \
         WHERE iss = $1 AND sub = $2 AND at > $3 ORDER BY at",
    )
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(i64::try_from(since).unwrap_or(i64::MAX))
    .fetch_all(exec)
    .untraced(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            let usage = Usage {
                layer: layer_of(&r.layer)?,
                rule: r.rule,
                at: u64::try_from(r.at).map_err(|_| corrupt("usage time"))?,
                value: Amount::parse(&r.value).ok_or_else(|| corrupt("usage value"))?,
                lamports: Amount::parse(&r.lamports).ok_or_else(|| corrupt("usage value"))?,
                tokens: serde_json::from_str::<Vec<TokenAmount>>(&r.tokens)
                    .map_err(|_| corrupt("usage tokens"))?,
                count: u64::try_from(r.count).map_err(|_| corrupt("usage count"))?,
            };
            Ok(StoredUsage {
                bucket: r.bucket,
                usage,
            })
        })
        .collect()
}

/// Adds `u` (one request) to its bucket of `bucket_secs`: merged into the
/// bucket's entry when `loaded` (the usage read in the same [`Locked`]
/// transaction) has one, else a new entry.
pub async fn record_usage(
    tx: &mut Locked,
    db: &Db,
    id: &Identity,
    loaded: &[StoredUsage],
    u: &Usage,
    bucket_secs: u64,
) -> AppResult<()> {
    let bucket_secs = bucket_secs.max(1);
    let bucket = i64::try_from(u.at - u.at % bucket_secs).unwrap_or(i64::MAX);
    let current = loaded
        .iter()
        .find(|s| s.bucket == bucket && s.usage.layer == u.layer && s.usage.rule == u.rule);
    let Some(current) = current else {
        return insert_usage(&mut *tx.tx, db, id, u, bucket).await;
    };
    let mut merged = current.usage.clone();
    merged.absorb(u);
    sqlx::query(
        "UPDATE policy_usage SET at = $1, value = $2, lamports = $3, tokens = $4, count = $5 \
         WHERE iss = $6 AND sub = $7 AND layer = $8 AND rule = $9 AND bucket = $10",
    )
    .bind(i64::try_from(merged.at).unwrap_or(i64::MAX))
    .bind(merged.value.to_string())
    .bind(merged.lamports.to_string())
    .bind(serde_json::to_string(&merged.tokens).map_err(anyhow::Error::from)?)
    .bind(i64::try_from(merged.count).unwrap_or(i64::MAX))
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(layer_str(u.layer))
    .bind(&u.rule)
    .bind(bucket)
    .execute(&mut *tx.tx)
    .untraced(db)
    .await?;
    Ok(())
}

/// Records `u` as a new entry of `bucket`.
async fn insert_usage(
    exec: impl Executor<'_, Database = Any>,
    db: &Db,
    id: &Identity,
    u: &Usage,
    bucket: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO policy_usage (iss, sub, layer, rule, at, value, lamports, tokens, bucket, count) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(layer_str(u.layer))
    .bind(&u.rule)
    .bind(i64::try_from(u.at).unwrap_or(i64::MAX))
    .bind(u.value.to_string())
    .bind(u.lamports.to_string())
    .bind(serde_json::to_string(&u.tokens).map_err(anyhow::Error::from)?)
    .bind(bucket)
    .bind(i64::try_from(u.count).unwrap_or(i64::MAX))
    .execute(exec)
    .untraced(db)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct UserRulesRow {
    version: i64,
    rules: String,
    signature: String,
}

/// The wallet's user rules as stored (not verified).
pub async fn load_user_rules(
    exec: impl Executor<'_, Database = Any>,
    db: &Db,
    id: &Identity,
    wallet: &WalletId,
) -> AppResult<Option<SignedUserRules>> {
    let row = sqlx::query_as::<_, UserRulesRow>(
        "SELECT version, rules, signature FROM user_rules WHERE iss = $1 AND sub = $2 AND wallet = $3",
    )
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(wallet.to_string())
    .fetch_optional(exec)
    .untraced(db)
    .await?;
    row.map(|r| {
        Ok(SignedUserRules {
            wallet: *wallet,
            version: u64::try_from(r.version).map_err(|_| corrupt("user rules version"))?,
            rules: r.rules,
            signature: r.signature,
        })
    })
    .transpose()
}

/// Stores `rules` unless a set of the same or a higher version is stored
/// (one conditional upsert: its affected-row count is the answer).
pub async fn store_user_rules(db: &Db, id: &Identity, rules: &SignedUserRules) -> AppResult<bool> {
    let version = i64::try_from(rules.version)
        .map_err(|_| AppError::BadRequest("invalid value at `version`".into()))?;
    let n = sqlx::query(
        "INSERT INTO user_rules (iss, sub, wallet, version, rules, signature, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (iss, sub, wallet) DO UPDATE SET \
         version = excluded.version, rules = excluded.rules, signature = excluded.signature, \
         updated_at = excluded.updated_at WHERE user_rules.version < excluded.version",
    )
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(rules.wallet.to_string())
    .bind(version)
    .bind(&rules.rules)
    .bind(&rules.signature)
    .bind(crate::db::now_ms())
    .execute(&db.pool)
    .untraced(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

#[derive(FromRow)]
struct RulesAndAuthorityRow {
    authority: Option<String>,
    version: Option<i64>,
    rules: Option<String>,
    signature: Option<String>,
}

/// The wallet's registered authority key and its user rules as stored
/// (not verified), in one read: what an evaluation needs besides usage.
pub async fn load_rules_and_authority(
    db: &Db,
    id: &Identity,
    wallet: &WalletId,
) -> AppResult<(Option<String>, Option<SignedUserRules>)> {
    let row = sqlx::query_as::<_, RulesAndAuthorityRow>(
        "SELECT w.authority AS authority, r.version AS version, r.rules AS rules, \
         r.signature AS signature FROM hot_wallets w LEFT JOIN user_rules r \
         ON r.iss = w.iss AND r.sub = w.sub AND r.wallet = w.wallet \
         WHERE w.iss = $1 AND w.sub = $2 AND w.wallet = $3",
    )
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(wallet.to_string())
    .fetch_optional(&db.pool)
    .untraced(db)
    .await?;
    let Some(row) = row else {
        return Ok((None, None));
    };
    let rules = match (row.version, row.rules, row.signature) {
        (Some(version), Some(rules), Some(signature)) => Some(SignedUserRules {
            wallet: *wallet,
            version: u64::try_from(version).map_err(|_| corrupt("user rules version"))?,
            rules,
            signature,
        }),
        _ => None,
    };
    Ok((row.authority, rules))
}

/// One entry to add to the activity log.
pub struct NewActivity<'a> {
    pub id: &'a str,
    pub wallet: &'a WalletId,
    pub device: Option<&'a DeviceId>,
    pub decision: Decision,
    pub rule: Option<&'a RuleRef>,
    pub reason: Option<&'a str>,
    pub intent: &'a Intent,
}

/// Adds `a` to the log (at now).
pub async fn insert_activity(
    exec: impl Executor<'_, Database = Any>,
    db: &Db,
    id: &Identity,
    a: &NewActivity<'_>,
) -> AppResult<()> {
    let intent = serde_json::to_string(a.intent).map_err(anyhow::Error::from)?;
    // Microseconds order the log: two entries of one millisecond keep
    // the order they were made in.
    let at_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    sqlx::query(
        "INSERT INTO activity (id, iss, sub, wallet, device, at, at_us, decision, rule_layer, \
         rule_id, reason, intent, intent_digest, consumed) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0)",
    )
    .bind(a.id)
    .bind(&id.iss)
    .bind(&id.sub)
    .bind(a.wallet.to_string())
    .bind(a.device.map(ToString::to_string))
    .bind(at_us / 1000)
    .bind(at_us)
    .bind(a.decision.as_str())
    .bind(a.rule.map(|r| layer_str(r.layer)))
    .bind(a.rule.map(|r| r.id.clone()))
    .bind(
        a.reason
            .map(|r| r.chars().take(MAX_REASON_CHARS).collect::<String>()),
    )
    .bind(intent)
    .bind(intent_digest(a.intent)?)
    .execute(exec)
    .untraced(db)
    .await?;
    Ok(())
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
    let rows = sqlx::query_as::<_, ActivityRow>(
        "SELECT id, device, at, decision, rule_layer, rule_id, reason, intent FROM activity \
         WHERE iss = $1 AND sub = $2 AND wallet = $3 ORDER BY at_us DESC, id LIMIT $4",
    )
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

/// Deletes activity older than `activity_before_ms` and usage older than
/// `usage_before_secs` (outside every window); returns both counts.
pub async fn sweep(
    db: &Db,
    activity_before_ms: i64,
    usage_before_secs: i64,
) -> anyhow::Result<(u64, u64)> {
    let a = sqlx::query("DELETE FROM activity WHERE at < $1")
        .bind(activity_before_ms)
        .execute(&db.pool)
        .untraced(db)
        .await?
        .rows_affected();
    let u = sqlx::query("DELETE FROM policy_usage WHERE at < $1")
        .bind(usage_before_secs)
        .execute(&db.pool)
        .untraced(db)
        .await?
        .rows_affected();
    Ok((a, u))
}
