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
//!   the approval `recover` honours once (`consumed`). Its rows are read
//!   and written by activity_store.rs;
//! * `activity_recent`: the log's entries that `recover`'s batches wrote
//!   in the last moments, not yet moved into `activity` (no index,
//!   so a batch's entries are appended, not spread over index pages:
//!   activity_store.rs, [`MIGRATIONS`] version 4).
//!
//! [`locked`] opens the transaction in which `recover` evaluates and
//! records, for a batch of requests (crate::hot::policy_batch): one at a
//! time per user (PostgreSQL: an advisory lock on a hash of each user;
//! SQLite: `BEGIN IMMEDIATE`, the one writer).

use std::collections::HashSet;

use keyframe_policy::{Amount, Layer, TokenAmount, Usage};
use keyframe_wire::policy::SignedUserRules;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, FromRow, Row as _, Transaction};

use crate::auth::Identity;
use crate::db::{Backend, Db, Migration, Untraced as _, WriteConnection, now_ms};
use crate::error::{AppError, AppResult};
use crate::replay::{Scope, SeenInsert, first_use_many};
use crate::statement::{Statement, Value as SqlValue};
use crate::types::WalletId;

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
    Migration {
        // A bucket's row is updated in place (push_usage_writes), and no
        // index holds the columns an update changes, so it rewrites one
        // page, not five: the user's rows are read through
        // `policy_usage_bucket` (its `iss, sub` prefix), and the sweep
        // finds old rows by bucket (a bucket starts at or before its
        // row's `at`; rows from before buckets have -1).
        version: 3,
        statements: &[
            "DROP INDEX policy_usage_user",
            "DROP INDEX policy_usage_at",
            "CREATE INDEX policy_usage_sweep ON policy_usage (bucket)",
        ],
    },
    Migration {
        // The log's newest entries, as `recover`'s batches write them: a
        // table with no key and no index, so an entry is appended to its
        // last page, where an entry written straight into `activity`
        // dirtied its wallet's page of `activity_wallet` (a page per
        // entry of a batch). activity_store::move_recent_activity moves
        // them into `activity` every 250 ms, where a wallet's
        // entries of that interval share their index page; the wallet's
        // list reads both tables (docs/services.md, "Where a judged
        // recover's time goes", eighth pass).
        version: 4,
        statements: &["CREATE TABLE activity_recent (
            id TEXT NOT NULL,
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
        )"],
    },
];

/// The table that records which of [`MIGRATIONS`] ran.
pub const MIGRATIONS_TABLE: &str = "policy_migrations";

pub(super) fn corrupt(what: &str) -> AppError {
    AppError::Internal(anyhow::anyhow!("a stored {what} does not parse"))
}

pub(super) fn layer_str(l: Layer) -> &'static str {
    match l {
        Layer::Operator => "operator",
        Layer::User => "user",
    }
}

pub(super) fn layer_of(s: &str) -> AppResult<Layer> {
    match s {
        "operator" => Ok(Layer::Operator),
        "user" => Ok(Layer::User),
        _ => Err(corrupt("policy layer")),
    }
}

/// The user as the approval webhook is told it: `iss sub`.
pub fn user_name(id: &Identity) -> String {
    format!("{} {}", id.iss, id.sub)
}

/// An opaque id (activity entries, evaluation ids): 32 hex digits, the
/// first 12 the creation time in Unix milliseconds, the other 20 random
/// (80 bits). Ids made later sort later, so the `activity` table's primary
/// key grows at its end: a batch of entries dirties one or two index pages
/// instead of one random page each, which on SQLite is WAL written per
/// request (docs/services.md, "Writes per judged recover"). The time says
/// nothing the entry's `at` does not; 80 random bits keep it unguessable.
pub fn new_id() -> AppResult<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b[6..]).map_err(|e| anyhow::anyhow!("getrandom: {e}"))?;
    let ms = u64::try_from(now_ms()).unwrap_or(0).to_be_bytes();
    b[..6].copy_from_slice(&ms[2..]);
    Ok(hex::encode(b))
}

/// The advisory lock key of a user (PostgreSQL).
pub(super) fn lock_key(id: &Identity) -> i64 {
    let h = Sha256::digest(format!("keyframe-policy-user\n{}\n{}", id.iss, id.sub));
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    i64::from_be_bytes(b)
}

/// A transaction no other `locked` transaction of the same users runs
/// beside, on any replica: the usage it reads stays true until it commits.
pub struct Locked {
    kind: LockedKind,
}

enum LockedKind {
    Postgres(Transaction<'static, Any>),
    Sqlite(SqliteTurn),
}

/// SQLite: the batch's transaction on a connection of its own, begun by its
/// first statement and committed by its last (`BEGIN IMMEDIATE; <read>`
/// … `<writes>; COMMIT`), so a batch is two calls to the connection's
/// worker thread instead of four while every writer of the process waits
/// for this one (docs/services.md, "Where a judged recover's time goes").
struct SqliteTurn {
    /// This process's writer turn and its connection (crate::db).
    conn: WriteConnection,
    /// A transaction may be open on `conn`: set before the statement that
    /// begins it runs, cleared once the one that commits it succeeded.
    begun: bool,
}

impl SqliteTurn {
    /// What the next statement starts with: `BEGIN IMMEDIATE` unless the
    /// transaction is open already.
    fn begin(&mut self) -> Option<&'static str> {
        (!std::mem::replace(&mut self.begun, true)).then_some("BEGIN IMMEDIATE")
    }
}

impl Drop for SqliteTurn {
    /// A connection whose transaction may still be open (a statement
    /// failed, or the batch's task ended early) is not written on again:
    /// it is closed, which rolls the transaction back.
    fn drop(&mut self) {
        if self.begun {
            self.conn.discard_on_drop();
        }
    }
}

impl Locked {
    /// The usage of `users` since each one's time ([`load_usage_many`]);
    /// on SQLite the statement that opens the transaction.
    pub async fn load_usage(
        &mut self,
        db: &Db,
        users: &[(&Identity, u64)],
    ) -> AppResult<Vec<Vec<StoredUsage>>> {
        match &mut self.kind {
            LockedKind::Postgres(tx) => load_usage_many(&mut **tx, db, users, None).await,
            LockedKind::Sqlite(t) => {
                if users.is_empty() {
                    return Ok(Vec::new());
                }
                let begin = t.begin();
                load_usage_many(&mut *t.conn, db, users, begin).await
            }
        }
    }

    /// Records the batch's DPoP proofs (crate::replay's `first_use_many`:
    /// whether each was new, in order) and reads its users' usage
    /// ([`Locked::load_usage`]). On PostgreSQL, two statements in the open
    /// transaction. On SQLite both go in the call that opens the
    /// transaction (`BEGIN IMMEDIATE; INSERT … RETURNING …; SELECT …`), so
    /// a signature's proof costs no call, no commit and no turn of the
    /// writer of its own (docs/services.md, "Fifteenth pass"); the rows of
    /// the two are told apart by their width (two columns, ten).
    pub async fn record_and_load(
        &mut self,
        db: &Db,
        records: &[(Scope, &str, i64)],
        users: &[(&Identity, u64)],
    ) -> AppResult<(Vec<bool>, Vec<Vec<StoredUsage>>)> {
        let t = match &mut self.kind {
            LockedKind::Sqlite(t) => t,
            LockedKind::Postgres(tx) => {
                let fresh = if records.is_empty() {
                    Vec::new()
                } else {
                    first_use_many(&mut **tx, db, records, None).await?
                };
                return Ok((fresh, self.load_usage(db, users).await?));
            }
        };
        let insert = SeenInsert::new(records);
        let mut parts: Vec<String> = insert.sql(0).into_iter().collect();
        if !users.is_empty() {
            parts.push(usage_select(users, insert.values())?);
        }
        if parts.is_empty() {
            // Nothing to record or read: the transaction opens with the
            // batch's first write, as in `load_usage`.
            return Ok((insert.fresh(records, &HashSet::new()), Vec::new()));
        }
        if let Some(begin) = t.begin() {
            parts.insert(0, begin.to_owned());
        }
        let q = insert.bind(sqlx::query(sqlx::AssertSqlSafe(parts.join("; "))));
        let rows = bind_usage(q, users)
            .fetch_all(&mut *t.conn)
            .untraced(db)
            .await?;
        let (recorded, usage): (Vec<&AnyRow>, Vec<&AnyRow>) =
            rows.iter().partition(|r| r.columns().len() == 2);
        let mut inserted = HashSet::with_capacity(recorded.len());
        for row in recorded {
            inserted.insert(SeenInsert::returned(row)?);
        }
        let usage = if users.is_empty() {
            Vec::new()
        } else {
            usage_by_user(users, usage.into_iter())?
        };
        Ok((insert.fresh(records, &inserted), usage))
    }

    /// The transaction's connection, for a statement of its own (SQLite:
    /// the transaction is opened first if no statement opened it yet).
    pub async fn conn(&mut self, db: &Db) -> AppResult<&mut AnyConnection> {
        match &mut self.kind {
            LockedKind::Postgres(tx) => Ok(&mut **tx),
            LockedKind::Sqlite(t) => {
                if let Some(begin) = t.begin() {
                    sqlx::query(begin)
                        .execute(&mut *t.conn)
                        .untraced(db)
                        .await?;
                }
                Ok(&mut *t.conn)
            }
        }
    }

    /// Runs `writes` in order and commits (SQLite: the first opens the
    /// transaction if it is not open yet, the last commits it).
    pub async fn write_and_commit(self, db: &Db, mut writes: Vec<Statement>) -> AppResult<()> {
        match self.kind {
            LockedKind::Postgres(mut tx) => {
                for w in writes {
                    w.execute(&mut *tx, db).await?;
                }
                Ok(tx.commit().await?)
            }
            LockedKind::Sqlite(mut t) => {
                writes.retain(|w| !w.is_empty());
                if writes.is_empty() {
                    if !t.begun {
                        return Ok(()); // nothing read, nothing written
                    }
                    writes.push(Statement::new());
                }
                if let (Some(begin), Some(first)) = (t.begin(), writes.first_mut()) {
                    first.prepend_plain(begin);
                }
                if let Some(last) = writes.last_mut() {
                    last.part("COMMIT".to_owned());
                }
                for w in writes {
                    w.execute(&mut *t.conn, db).await?;
                }
                t.begun = false;
                Ok(())
            }
        }
    }
}

/// Opens a [`Locked`] transaction for `users` (a batch of them:
/// crate::hot::policy_batch). PostgreSQL: their advisory locks, taken in
/// ascending key order, so two batches on two replicas that share users
/// never wait on each other in a circle. SQLite: a connection and this
/// process's writer turn (crate::db's `write_connection`); the
/// transaction itself opens with the batch's first statement
/// ([`SqliteTurn`]).
pub async fn locked(db: &Db, users: &[&Identity]) -> AppResult<Locked> {
    match db.backend {
        Backend::Sqlite => Ok(Locked {
            kind: LockedKind::Sqlite(SqliteTurn {
                conn: db.write_connection().await?,
                begun: false,
            }),
        }),
        Backend::Postgres => {
            let mut keys: Vec<i64> = users.iter().map(|u| lock_key(u)).collect();
            keys.sort_unstable();
            keys.dedup();
            let begin = begin_locking(&keys);
            let tx = db.pool.begin_with(sqlx::AssertSqlSafe(begin)).await?;
            Ok(Locked {
                kind: LockedKind::Postgres(tx),
            })
        }
    }
}

/// PostgreSQL: the text that opens a transaction and takes the advisory
/// locks of `keys` (sorted), sent as one simple query, so a batch pays one
/// round trip for both instead of two while every batch behind it waits
/// (docs/services.md, "Where a judged recover's time goes"). The keys are numbers this process
/// computed ([`lock_key`]) printed as integer literals: no text from a
/// request reaches it. A function scan of the array yields its elements in
/// order, one lock call each. The read that follows is a statement of its
/// own, so its snapshot is taken once the locks are held.
fn begin_locking(keys: &[i64]) -> String {
    if keys.is_empty() {
        return "BEGIN".to_owned();
    }
    let keys: Vec<String> = keys.iter().map(i64::to_string).collect();
    format!(
        "BEGIN; SELECT pg_advisory_xact_lock(k) FROM unnest(ARRAY[{}]::bigint[]) AS k",
        keys.join(", ")
    )
}

#[derive(FromRow)]
struct UsageRow {
    iss: String,
    sub: String,
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

impl UsageRow {
    fn stored(self) -> AppResult<StoredUsage> {
        let usage = Usage {
            layer: layer_of(&self.layer)?,
            rule: self.rule,
            at: u64::try_from(self.at).map_err(|_| corrupt("usage time"))?,
            value: Amount::parse(&self.value).ok_or_else(|| corrupt("usage value"))?,
            lamports: Amount::parse(&self.lamports).ok_or_else(|| corrupt("usage value"))?,
            tokens: serde_json::from_str::<Vec<TokenAmount>>(&self.tokens)
                .map_err(|_| corrupt("usage tokens"))?,
            count: u64::try_from(self.count).map_err(|_| corrupt("usage count"))?,
        };
        Ok(StoredUsage {
            bucket: self.bucket,
            usage,
        })
    }
}

/// The user's usage of every rule's limits since `since` (Unix seconds,
/// exclusive), oldest first.
pub async fn load_usage(
    exec: impl Executor<'_, Database = Any>,
    db: &Db,
    id: &Identity,
    since: u64,
) -> AppResult<Vec<StoredUsage>> {
    let mut all = load_usage_many(exec, db, &[(id, since)], None).await?;
    Ok(all.pop().unwrap_or_default())
}

/// At most this many users per usage read (3 binds each).
const MAX_USERS_PER_READ: usize = 256;

/// [`load_usage`] for several users in one statement: one list per
/// `(user, since)` asked, in the order asked.
pub async fn load_usage_many(
    exec: impl Executor<'_, Database = Any>,
    db: &Db,
    users: &[(&Identity, u64)],
    begin: Option<&str>,
) -> AppResult<Vec<Vec<StoredUsage>>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    // SQLite: `begin` (a statement without values) opens the transaction
    // in the same call (SqliteTurn).
    let begin = begin.map(|b| format!("{b}; ")).unwrap_or_default();
    let sql = format!("{begin}{}", usage_select(users, 0)?);
    let q = bind_usage(sqlx::query(sqlx::AssertSqlSafe(sql)), users);
    let rows = q.fetch_all(exec).untraced(db).await?;
    usage_by_user(users, rows.iter())
}

/// The `SELECT` of [`load_usage_many`], its placeholders numbered after
/// `offset` values already bound: ten columns a row ([`UsageRow`]).
fn usage_select(users: &[(&Identity, u64)], offset: usize) -> AppResult<String> {
    if users.len() > MAX_USERS_PER_READ {
        return Err(AppError::Internal(anyhow::anyhow!(
            "a usage read for {} users",
            users.len()
        )));
    }
    let branches: Vec<String> = (0..users.len())
        .map(|i| {
            let n = offset + i * 3;
            format!(
                "(iss = ${} AND sub = ${} AND at > ${})",
                n + 1,
                n + 2,
                n + 3
            )
        })
        .collect();
    Ok(format!(
        "SELECT iss, sub, layer, rule, at, value, lamports, tokens, bucket, count FROM policy_usage \
         WHERE {} ORDER BY at",
        branches.join(" OR ")
    ))
}

/// Binds [`usage_select`]'s values, in the order of its placeholders.
fn bind_usage<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    users: &[(&'q Identity, u64)],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    for (id, since) in users {
        q = q
            .bind(id.iss.as_str())
            .bind(id.sub.as_str())
            .bind(i64::try_from(*since).unwrap_or(i64::MAX));
    }
    q
}

/// The rows [`usage_select`] returned, one list per user asked.
fn usage_by_user<'r>(
    users: &[(&Identity, u64)],
    rows: impl Iterator<Item = &'r AnyRow>,
) -> AppResult<Vec<Vec<StoredUsage>>> {
    let mut out: Vec<Vec<StoredUsage>> = users.iter().map(|_| Vec::new()).collect();
    for row in rows {
        let row = UsageRow::from_row(row)?;
        let Some(i) = users
            .iter()
            .position(|(id, _)| id.iss == row.iss && id.sub == row.sub)
        else {
            continue;
        };
        out[i].push(row.stored()?);
    }
    Ok(out)
}

/// One bucket's entry to write: it replaces every row of its user, layer,
/// rule and bucket newer than `since`, the ones read by [`load_usage_many`]
/// with the same `since` in the same [`Locked`] transaction (and merged
/// into `usage`).
pub struct UsageWrite<'a> {
    pub id: &'a Identity,
    pub since: u64,
    pub bucket: i64,
    pub usage: &'a Usage,
    /// Exactly one row was read for the bucket: it is updated in place
    /// (else the rows are deleted and one is inserted).
    pub in_place: bool,
}

/// At most this many entries per statement (16 values each).
pub const MAX_USAGE_WRITES: usize = 256;

/// Adds to `stmt` the parts that write `entries`: an `UPDATE` of each row
/// updated in place, one `DELETE` of the rows the others replace, then one
/// multi-row `INSERT` (none when there are none). On PostgreSQL they are
/// one statement, so the `DELETE` runs on the statement's snapshot and
/// never sees the rows inserted; no two parts touch one row.
pub fn push_usage_writes(stmt: &mut Statement, entries: &[UsageWrite<'_>]) -> AppResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    if entries.len() > MAX_USAGE_WRITES {
        return Err(AppError::Internal(anyhow::anyhow!(
            "{} usage writes in one statement",
            entries.len()
        )));
    }
    let (in_place, replaced): (Vec<&UsageWrite<'_>>, Vec<&UsageWrite<'_>>) =
        entries.iter().partition(|e| e.in_place);
    for e in in_place {
        let c = UsageColumns::of(e.usage)?;
        let at = stmt.value(c.at);
        let value = stmt.value(c.value);
        let lamports = stmt.value(c.lamports);
        let tokens = stmt.value(c.tokens);
        let count = stmt.value(c.count);
        let key = usage_key(stmt, e);
        stmt.part(format!(
            "UPDATE policy_usage SET at = {at}, value = {value}, lamports = {lamports}, \
             tokens = {tokens}, count = {count} WHERE {key}"
        ));
    }
    if replaced.is_empty() {
        return Ok(());
    }
    let mut branches = Vec::with_capacity(replaced.len());
    for e in &replaced {
        branches.push(format!("({})", usage_key(stmt, e)));
    }
    stmt.part(format!(
        "DELETE FROM policy_usage WHERE {}",
        branches.join(" OR ")
    ));
    let mut rows = Vec::with_capacity(replaced.len());
    for e in replaced {
        let c = UsageColumns::of(e.usage)?;
        let values: [SqlValue; 10] = [
            e.id.iss.as_str().into(),
            e.id.sub.as_str().into(),
            layer_str(e.usage.layer).into(),
            e.usage.rule.as_str().into(),
            c.at.into(),
            c.value.into(),
            c.lamports.into(),
            c.tokens.into(),
            e.bucket.into(),
            c.count.into(),
        ];
        rows.push(stmt.row(values));
    }
    stmt.part(format!(
        "INSERT INTO policy_usage (iss, sub, layer, rule, at, value, lamports, tokens, bucket, count) \
         VALUES {}",
        rows.join(", ")
    ));
    Ok(())
}

/// A usage entry's columns as stored, beside its key.
struct UsageColumns {
    at: i64,
    value: String,
    lamports: String,
    tokens: String,
    count: i64,
}

impl UsageColumns {
    fn of(u: &Usage) -> AppResult<UsageColumns> {
        Ok(UsageColumns {
            at: i64::try_from(u.at).unwrap_or(i64::MAX),
            value: u.value.to_string(),
            lamports: u.lamports.to_string(),
            tokens: serde_json::to_string(&u.tokens).map_err(anyhow::Error::from)?,
            count: i64::try_from(u.count).unwrap_or(i64::MAX),
        })
    }
}

/// The condition that selects the rows `e` replaces (their values added
/// to `stmt`).
fn usage_key(stmt: &mut Statement, e: &UsageWrite<'_>) -> String {
    let (iss, sub) = (stmt.value(e.id.iss.as_str()), stmt.value(e.id.sub.as_str()));
    let layer = stmt.value(layer_str(e.usage.layer));
    let rule = stmt.value(e.usage.rule.as_str());
    let bucket = stmt.value(e.bucket);
    let since = stmt.value(i64::try_from(e.since).unwrap_or(i64::MAX));
    format!(
        "iss = {iss} AND sub = {sub} AND layer = {layer} AND rule = {rule} AND bucket = {bucket} AND at > {since}"
    )
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

/// A wallet's registered authority key and its user rules as stored (not
/// verified): what an evaluation needs besides usage.
pub struct WalletRules {
    pub authority: Option<String>,
    pub rules: Option<SignedUserRules>,
}

/// The caller's [`WalletRules`] for `wallet`, in one read; `None` when
/// the caller has no such wallet. The one reader of stored user rules.
pub async fn load_rules_and_authority(
    db: &Db,
    id: &Identity,
    wallet: &WalletId,
) -> AppResult<Option<WalletRules>> {
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
        return Ok(None);
    };
    WalletRules::from_columns(wallet, row.authority, row.version, row.rules, row.signature)
        .map(Some)
}

impl WalletRules {
    /// From the columns of a `hot_wallets` row LEFT JOINed with its
    /// `user_rules` row (also read so by store::load_wallet_device).
    pub fn from_columns(
        wallet: &WalletId,
        authority: Option<String>,
        version: Option<i64>,
        rules: Option<String>,
        signature: Option<String>,
    ) -> AppResult<WalletRules> {
        let rules = match (version, rules, signature) {
            (Some(version), Some(rules), Some(signature)) => Some(SignedUserRules {
                wallet: *wallet,
                version: u64::try_from(version).map_err(|_| corrupt("user rules version"))?,
                rules,
                signature,
            }),
            _ => None,
        };
        Ok(WalletRules { authority, rules })
    }
}

/// Deletes activity older than `activity_before_ms` and usage older than
/// `usage_before_secs` (outside every window); returns both counts. Every
/// statement takes the writer's turn on SQLite, which the judgement and
/// DPoP batches of every request take: a batch then queues behind a
/// statement instead of sleeping in SQLite's busy handler.
pub async fn sweep(
    db: &Db,
    activity_before_ms: i64,
    usage_before_secs: i64,
) -> anyhow::Result<(u64, u64)> {
    // In chunks (index `activity_at`), as crate::replay prunes: at steady
    // state a sweep deletes a `sweep_interval` of entries (300,000 at
    // 5,000 signatures a second and the default minute), and at 1,000
    // rows a statement each held the writer's turn for about 14 ms
    // (docs/services.md, "Thirteenth pass").
    let mut a = db
        .delete_in_chunks("activity", "id", "at < $1", activity_before_ms)
        .await?;
    // Entries not yet moved are swept too: the mover may have failed. The
    // table holds a few moments of entries (no key to chunk by, nor need).
    {
        let mut w = db.write_connection().await?;
        a += sqlx::query("DELETE FROM activity_recent WHERE at < $1")
            .bind(activity_before_ms)
            .execute(&mut *w)
            .untraced(db)
            .await?
            .rows_affected();
    }
    // By bucket (index `policy_usage_sweep`): every row whose `at` is
    // before the cut has its bucket before it too. A user's rule keeps a
    // row per bucket, not per request, so a sweep's rows are few.
    let mut w = db.write_connection().await?;
    let u = sqlx::query("DELETE FROM policy_usage WHERE bucket < $1 AND at < $1")
        .bind(usage_before_secs)
        .execute(&mut *w)
        .untraced(db)
        .await?
        .rows_affected();
    Ok((a, u))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    // Named from the crate root: tests/module_graph.rs reads `super::*`
    // as an import of `hot`.
    use crate::db::now_ms;
    use crate::hot::policy_store::new_id;

    /// A migrated SQLite database with one usage row, and a second pool
    /// on the same file that sees only what was committed.
    async fn sqlite_with_usage() -> (tempfile::TempDir, crate::db::Db, crate::db::Db) {
        use crate::db::Db;
        use crate::hot::policy_store::{MIGRATIONS, MIGRATIONS_TABLE};
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
        let db = Db::connect(&url, 3).await.unwrap();
        db.migrate(MIGRATIONS_TABLE, MIGRATIONS).await.unwrap();
        sqlx::query(
            "INSERT INTO policy_usage (iss, sub, layer, rule, at, value, lamports, tokens, bucket, count) \
             VALUES ('i', 's', 'operator', 'r', 100, '1', '0', '[]', 60, 1)",
        )
        .execute(&db.pool)
        .await
        .unwrap();
        let other = Db::connect(&url, 1).await.unwrap();
        (dir, db, other)
    }

    /// The user of the row [`sqlite_with_usage`] stores.
    fn usage_owner() -> crate::auth::Identity {
        crate::auth::Identity {
            iss: "i".to_owned(),
            sub: "s".to_owned(),
        }
    }

    fn usage_write(value: &str) -> crate::statement::Statement {
        let mut w = crate::statement::Statement::new();
        let v = w.value(value);
        w.part(format!(
            "UPDATE policy_usage SET value = {v} WHERE rule = 'r'"
        ));
        w
    }

    async fn stored_value(db: &crate::db::Db) -> String {
        sqlx::query_scalar("SELECT value FROM policy_usage WHERE rule = 'r'")
            .fetch_one(&db.pool)
            .await
            .unwrap()
    }

    /// [`sqlite_with_usage`] with the DPoP records' table too.
    async fn sqlite_with_proofs() -> (tempfile::TempDir, crate::db::Db, crate::db::Db) {
        use crate::replay::{MIGRATIONS, MIGRATIONS_TABLE};
        let (dir, db, other) = sqlite_with_usage().await;
        db.migrate(MIGRATIONS_TABLE, MIGRATIONS).await.unwrap();
        (dir, db, other)
    }

    /// Three DPoP proofs' records, good for a minute.
    fn three_proofs() -> [(crate::replay::Scope, &'static str, i64); 3] {
        let until = now_ms() + 60_000;
        ["k:1", "k:2", "k:3"].map(|id| (crate::replay::Scope::Dpop, id, until))
    }

    /// How many proofs are recorded, as another connection sees it.
    async fn proofs_in(db: &crate::db::Db) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM seen_once")
            .fetch_one(&db.pool)
            .await
            .unwrap()
    }

    /// Every connection of `db`'s pool can begin a transaction: none was
    /// given back with one still open, and no other connection (the
    /// writer's, held outside the pool) holds the write lock of one.
    async fn no_open_transaction_in(db: &crate::db::Db) {
        let mut held = Vec::new();
        for _ in 0..3 {
            let mut c = db.pool.acquire().await.unwrap();
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut *c)
                .await
                .expect("a pooled connection was left inside a transaction");
            sqlx::query("ROLLBACK").execute(&mut *c).await.unwrap();
            held.push(c);
        }
    }

    /// SQLite: the batch's read opens its transaction and its last write
    /// commits it (two calls), and what it wrote is there for others.
    #[tokio::test]
    async fn a_sqlite_batch_opens_with_its_read_and_commits_with_its_write() {
        use crate::hot::policy_store::locked;
        let (_dir, db, other) = sqlite_with_usage().await;
        let user = usage_owner();
        let mut tx = locked(&db, &[&user]).await.unwrap();
        let read = tx.load_usage(&db, &[(&user, 0)]).await.unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].len(), 1, "the stored row is read");
        // The read holds SQLite's write lock: another connection cannot
        // write until the batch commits.
        let mut c = other.pool.acquire().await.unwrap();
        sqlx::query("PRAGMA busy_timeout = 0")
            .execute(&mut *c)
            .await
            .unwrap();
        let blocked = sqlx::query("BEGIN IMMEDIATE").execute(&mut *c).await;
        assert!(
            blocked.is_err(),
            "the batch's read did not open its transaction"
        );
        drop(c);
        tx.write_and_commit(&db, vec![usage_write("7")])
            .await
            .unwrap();
        assert_eq!(stored_value(&other).await, "7");
        no_open_transaction_in(&db).await;
        // With nothing to read, the write opens the transaction itself.
        let tx = locked(&db, &[&user]).await.unwrap();
        tx.write_and_commit(&db, vec![usage_write("8")])
            .await
            .unwrap();
        assert_eq!(stored_value(&other).await, "8");
        no_open_transaction_in(&db).await;
    }

    /// A batch that fails after its read, or is dropped, writes nothing
    /// and gives no connection back inside a transaction.
    #[tokio::test]
    async fn a_failed_or_dropped_sqlite_batch_leaves_nothing_open() {
        use crate::hot::policy_store::locked;
        let (_dir, db, other) = sqlite_with_usage().await;
        let user = usage_owner();
        // Dropped after the read.
        let mut tx = locked(&db, &[&user]).await.unwrap();
        tx.load_usage(&db, &[(&user, 0)]).await.unwrap();
        drop(tx);
        no_open_transaction_in(&db).await;
        // A write that fails after one that succeeded, in one batch.
        let mut tx = locked(&db, &[&user]).await.unwrap();
        tx.load_usage(&db, &[(&user, 0)]).await.unwrap();
        let mut bad = crate::statement::Statement::new();
        bad.part("INSERT INTO no_such_table (x) VALUES (1)".to_owned());
        assert!(
            tx.write_and_commit(&db, vec![usage_write("9"), bad])
                .await
                .is_err()
        );
        assert_eq!(stored_value(&other).await, "1", "a failed batch wrote");
        no_open_transaction_in(&db).await;
        // Approval-style: the connection asked for first opens it.
        let mut tx = locked(&db, &[&user]).await.unwrap();
        sqlx::query("UPDATE policy_usage SET count = 5")
            .execute(tx.conn(&db).await.unwrap())
            .await
            .unwrap();
        drop(tx);
        let count: i64 = sqlx::query_scalar("SELECT count FROM policy_usage")
            .fetch_one(&other.pool)
            .await
            .unwrap();
        assert_eq!(count, 1, "a dropped batch's update was kept");
        no_open_transaction_in(&db).await;
    }

    /// SQLite: a batch's proofs recorded and its users' usage read by the
    /// statement that opens its transaction (`Locked::record_and_load`):
    /// which proofs were new (a duplicate once, one recorded before not),
    /// the usage rows apart from the proofs' rows, either alone, and the
    /// records kept only if the batch commits.
    #[tokio::test]
    async fn a_sqlite_batch_records_its_proofs_as_it_reads_its_usage() {
        use crate::hot::policy_store::locked;
        let (_dir, db, other) = sqlite_with_proofs().await;
        let user = usage_owner();
        let [p1, p2, p3] = three_proofs();
        let recorded = || proofs_in(&other);
        assert!(
            crate::replay::first_use(&db, p3.0, p3.1, p3.2)
                .await
                .unwrap()
        );
        let mut tx = locked(&db, &[&user]).await.unwrap();
        let (fresh, usage) = tx
            .record_and_load(&db, &[p2, p1, p2, p3], &[(&user, 0)])
            .await
            .unwrap();
        assert_eq!(fresh, [true, true, false, false]);
        assert_eq!(usage.len(), 1);
        assert_eq!(usage[0].len(), 1, "the stored row is read");
        assert_eq!(usage[0][0].usage.value.to_string(), "1");
        drop(tx);
        assert_eq!(recorded().await, 1, "a dropped batch recorded its proofs");
        no_open_transaction_in(&db).await;

        let mut tx = locked(&db, &[&user]).await.unwrap();
        let (fresh, usage) = tx.record_and_load(&db, &[p1], &[]).await.unwrap();
        assert_eq!((fresh, usage.len()), (vec![true], 0));
        tx.write_and_commit(&db, vec![usage_write("4")])
            .await
            .unwrap();
        assert_eq!(recorded().await, 2);
        assert_eq!(stored_value(&other).await, "4");

        let mut tx = locked(&db, &[&user]).await.unwrap();
        let (fresh, usage) = tx.record_and_load(&db, &[], &[(&user, 0)]).await.unwrap();
        assert!(fresh.is_empty());
        assert_eq!(usage[0][0].usage.value.to_string(), "4");
        let (fresh, _) = tx.record_and_load(&db, &[p1, p2], &[]).await.unwrap();
        assert_eq!(fresh, [false, true], "in a transaction already open");
        tx.write_and_commit(&db, Vec::new()).await.unwrap();
        assert_eq!(recorded().await, 3);
        no_open_transaction_in(&db).await;
    }

    #[test]
    fn the_locking_begin_is_integer_literals_in_ascending_order() {
        use crate::hot::policy_store::begin_locking;
        assert_eq!(begin_locking(&[]), "BEGIN");
        assert_eq!(
            begin_locking(&[i64::MIN, -7, 42, i64::MAX]),
            "BEGIN; SELECT pg_advisory_xact_lock(k) FROM unnest(ARRAY[-9223372036854775808, -7, 42, 9223372036854775807]::bigint[]) AS k"
        );
    }

    #[test]
    fn ids_carry_their_time_first_and_80_random_bits() {
        let before = now_ms();
        let ids: Vec<String> = (0..64).map(|_| new_id().unwrap()).collect();
        let after = now_ms();
        for id in &ids {
            assert_eq!(id.len(), 32);
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            );
            let ms = i64::from_str_radix(&id[..12], 16).unwrap();
            assert!(
                (before..=after).contains(&ms),
                "{ms} not in {before}..={after}"
            );
        }
        // Later ids sort later (the point of the time prefix): ids of
        // different milliseconds compare as their times do.
        let older = new_id().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let newer = new_id().unwrap();
        assert!(older < newer);
        // The random part differs between ids of one millisecond.
        let mut tails: Vec<&str> = ids.iter().map(|id| &id[12..]).collect();
        tails.sort_unstable();
        tails.dedup();
        assert_eq!(tails.len(), ids.len());
    }
}
