//! Proofs that may be used only once: DPoP proof ids (`jti`) and the
//! nonces of wallet-authority signatures.
//!
//! The record is a row in the service's own database, written with one
//! `INSERT … ON CONFLICT DO NOTHING` whose affected-row count decides, so
//! any number of replicas on one PostgreSQL refuse a proof any of them has
//! seen (crate::db explains why a single conditional statement is enough).
//! Rows are kept until the proof could no longer pass its time window and
//! are pruned after that ([`spawn_pruner`]).
//!
//! Every request that carries a DPoP proof records one, so the hot path
//! goes through [`ReplayLog`], which commits the records of concurrent
//! requests together (crate::group_commit): one multi-row `INSERT …
//! RETURNING` per batch instead of one write per request. On SQLite, whose
//! writers take turns, that also keeps requests from waiting on each
//! other's locks.

use std::collections::HashSet;
use std::time::Duration;

use crate::db::{Db, Migration, Untraced as _, now_ms};
use crate::group_commit::GroupCommit;

/// The table that records which of [`MIGRATIONS`] ran (each service's
/// database has its own copy of the replay table).
pub const MIGRATIONS_TABLE: &str = "replay_migrations";

pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    statements: &[
        "CREATE TABLE seen_once (
            scope TEXT NOT NULL,
            id TEXT NOT NULL,
            expires_at BIGINT NOT NULL,
            PRIMARY KEY (scope, id)
        )",
        "CREATE INDEX seen_once_expiry ON seen_once (expires_at)",
    ],
}];

/// What kind of proof an id belongs to (ids of different kinds never
/// collide).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// A DPoP proof's `jti`, per key thumbprint.
    Dpop,
    /// A wallet-authority signature's nonce, per wallet.
    Authority,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::Dpop => "dpop",
            Scope::Authority => "authority",
        }
    }
}

/// Records `id` in `scope` until `expires_at_ms`; `false` when it was
/// already recorded (a replay).
#[tracing::instrument(name = "db.seen_once", skip_all)]
pub async fn first_use(
    db: &Db,
    scope: Scope,
    id: &str,
    expires_at_ms: i64,
) -> Result<bool, sqlx::Error> {
    let first = first_use_many(&db.pool, db, &[(scope, id, expires_at_ms)], None).await?;
    Ok(first.first().copied().unwrap_or(false))
}

/// At most this many records per statement (3 binds each: well inside
/// SQLite's 32,766 and PostgreSQL's 65,535 bind limits).
const MAX_BATCH: usize = 512;

/// Records each `(scope, id, expires_at_ms)` in one statement; answers, in
/// order, whether each was new. An id that appears twice in `records` is
/// new at most once (its first appearance). The rows are inserted in the
/// order of their keys, so two transactions that record some of the same
/// ids (the policy's batches on two PostgreSQL replicas hold theirs to
/// their commit) wait for each other in one direction only. `begin`
/// (SQLite: `BEGIN IMMEDIATE`) goes before the insert in the same call,
/// as in policy_store::SqliteTurn.
pub async fn first_use_many(
    exec: impl sqlx::Executor<'_, Database = sqlx::Any>,
    db: &Db,
    records: &[(Scope, &str, i64)],
    begin: Option<&str>,
) -> Result<Vec<bool>, sqlx::Error> {
    let insert = SeenInsert::new(records);
    let Some(sql) = insert.sql(0) else {
        return Ok(insert.fresh(records, &HashSet::new()));
    };
    let sql = match begin {
        Some(b) => format!("{b}; {sql}"),
        None => sql,
    };
    let q = insert.bind(sqlx::query(sqlx::AssertSqlSafe(sql)));
    let mut inserted = HashSet::new();
    for row in q.fetch_all(exec).untraced(db).await? {
        inserted.insert(SeenInsert::returned(&row)?);
    }
    Ok(insert.fresh(records, &inserted))
}

/// The `INSERT` of [`first_use_many`], for a statement of its own or as
/// one part of a longer one (policy_store's `Locked::record_and_load`):
/// the first appearance of each record, in key order.
pub struct SeenInsert<'a> {
    /// Per record: its first appearance in the list.
    first: Vec<bool>,
    unique: Vec<(Scope, &'a str, i64)>,
}

impl<'a> SeenInsert<'a> {
    pub fn new(records: &[(Scope, &'a str, i64)]) -> SeenInsert<'a> {
        let mut seen = HashSet::with_capacity(records.len());
        let first: Vec<bool> = records
            .iter()
            .map(|(scope, id, _)| seen.insert((*scope, *id)))
            .collect();
        let mut unique: Vec<(Scope, &'a str, i64)> = records
            .iter()
            .zip(&first)
            .filter_map(|(r, f)| f.then_some(*r))
            .collect();
        unique.sort_unstable_by_key(|(scope, id, _)| (scope.as_str(), *id));
        SeenInsert { first, unique }
    }

    /// The statement, its placeholders numbered after `offset` values
    /// already bound; `None` when there is nothing to record. Each row it
    /// returns is one record inserted ([`SeenInsert::returned`]): two
    /// columns, `scope` and `id`.
    pub fn sql(&self, offset: usize) -> Option<String> {
        if self.unique.is_empty() {
            return None;
        }
        let mut sql = "INSERT INTO seen_once (scope, id, expires_at) VALUES ".to_owned();
        for i in 0..self.unique.len() {
            let n = offset + i * 3;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(${}, ${}, ${})", n + 1, n + 2, n + 3));
        }
        sql.push_str(" ON CONFLICT (scope, id) DO NOTHING RETURNING scope, id");
        Some(sql)
    }

    /// How many values [`SeenInsert::bind`] binds.
    pub fn values(&self) -> usize {
        self.unique.len() * 3
    }

    /// Binds the statement's values, in the order of its placeholders.
    pub fn bind<'q>(
        &self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>
    where
        'a: 'q,
    {
        for (scope, id, expires) in &self.unique {
            q = q.bind(scope.as_str()).bind(*id).bind(*expires);
        }
        q
    }

    /// The record a row the statement returned names.
    pub fn returned(row: &sqlx::any::AnyRow) -> Result<(String, String), sqlx::Error> {
        use sqlx::Row as _;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    /// Whether each of `records` (the list this was made of) was new: its
    /// first appearance, and `inserted` (the rows returned) has it.
    pub fn fresh(
        &self,
        records: &[(Scope, &str, i64)],
        inserted: &HashSet<(String, String)>,
    ) -> Vec<bool> {
        records
            .iter()
            .zip(&self.first)
            .map(|((scope, id, _), f)| {
                *f && inserted.contains(&(scope.as_str().to_owned(), (*id).to_owned()))
            })
            .collect()
    }
}

/// [`first_use`] for the hot path, with group commit (crate::group_commit):
/// the records of concurrent requests are written in one statement.
pub struct ReplayLog {
    db: Db,
    queue: GroupCommit<(Scope, String, i64), Result<bool, String>>,
}

impl ReplayLog {
    pub fn new(db: Db) -> ReplayLog {
        ReplayLog {
            db,
            queue: GroupCommit::new(MAX_BATCH),
        }
    }

    /// Records `id` in `scope` until `expires_at_ms`; `false` when any
    /// replica recorded it before (a replay).
    #[tracing::instrument(name = "db.seen_once", skip_all)]
    pub async fn first_use(
        &self,
        scope: Scope,
        id: &str,
        expires_at_ms: i64,
    ) -> anyhow::Result<bool> {
        let run = |batch: Vec<(Scope, String, i64)>| {
            let db = self.db.clone();
            async move {
                let records: Vec<(Scope, &str, i64)> = batch
                    .iter()
                    .map(|(scope, id, expires)| (*scope, id.as_str(), *expires))
                    .collect();
                let written = async {
                    let mut w = db.write_connection().await?;
                    first_use_many(&mut *w, &db, &records, None).await
                };
                match written.await {
                    Ok(fresh) => fresh.into_iter().map(Ok).collect(),
                    Err(e) => {
                        let e = format!("recording single-use ids: {e}");
                        vec![Err(e); batch.len()]
                    }
                }
            }
        };
        self.queue
            .submit((scope, id.to_owned(), expires_at_ms), run)
            .await?
            .map_err(anyhow::Error::msg)
    }
}

/// How long past the moment a proof stops passing its window (on this
/// server's clock) its record is kept. Every replica on one database both
/// accepts proofs and prunes records, each by its own clock: without a
/// margin, a replica whose clock ran a second ahead deleted a record that
/// the others would still accept the proof of, and the proof could be
/// used again (a captured DPoP proof at `recover`, with a body of the
/// attacker's choosing). So replicas' clocks must agree within this
/// margin (docs/services.md, "Clocks"); a backward step of one server's
/// clock is covered the same way. It costs the table this much more of
/// records: at 9,000 requests a second, 90,000 rows.
pub const CLOCK_MARGIN_SECS: u64 = 10;

/// The time (ms since the epoch) until which a one-time proof's record is
/// kept: past `last_good_secs`, the last second at which its time still
/// passes its window, by [`CLOCK_MARGIN_SECS`].
pub fn keep_until_ms(last_good_secs: u64) -> i64 {
    i64::try_from(last_good_secs.saturating_add(1 + CLOCK_MARGIN_SECS))
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000)
}

/// How often expired records are deleted: each pass is then a second's
/// worth of records, where a pass a minute deleted a minute's.
pub const PRUNE_EVERY: Duration = Duration::from_secs(1);

/// Deletes the records whose proofs can no longer pass their window, a
/// chunk at a time ([`crate::db::DELETE_CHUNK`]), each with the writer's
/// turn. In the rounds of `bench/ab/load.mjs` that a prune of
/// 43,000-77,000 records fell into, recover p99s were 27-34 ms with
/// chunks of 1,000 and 13-16 ms with 50 (docs/services.md, "Twelfth
/// pass"); a prune then takes about 3 s, with other writes between its
/// statements.
pub async fn prune(db: &Db, now_ms: i64) -> Result<u64, sqlx::Error> {
    db.delete_in_chunks("seen_once", "scope, id", "expires_at < $1", now_ms)
        .await
}

/// Prunes every [`PRUNE_EVERY`] for the life of the process.
pub fn spawn_pruner(db: Db) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PRUNE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let started = std::time::Instant::now();
            match prune(&db, now_ms()).await {
                Ok(0) => {}
                Ok(rows) => tracing::debug!(
                    rows,
                    took_ms = started.elapsed().as_secs_f64() * 1e3,
                    "expired replay records pruned"
                ),
                Err(e) => tracing::warn!(error = %e, "pruning the replay records failed"),
            }
        }
    })
}
