//! Proofs that may be used only once: DPoP proof ids (`jti`) and the
//! nonces of wallet-authority signatures.
//!
//! The record is a row in the service's own database, written with one
//! `INSERT … ON CONFLICT DO NOTHING` whose affected-row count decides, so
//! any number of replicas on one PostgreSQL refuse a proof any of them has
//! seen (crate::db explains why a single conditional statement is enough).
//! Rows are kept until the proof could no longer pass its time window and
//! are pruned after that ([`spawn_pruner`]).

use std::time::Duration;

use crate::db::{Db, Migration, Untraced as _, now_ms};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    let done = sqlx::query(
        "INSERT INTO seen_once (scope, id, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (scope, id) DO NOTHING",
    )
    .bind(scope.as_str())
    .bind(id)
    .bind(expires_at_ms)
    .execute(&db.pool)
    .untraced(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the records whose proofs can no longer pass their window.
pub async fn prune(db: &Db, now_ms: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM seen_once WHERE expires_at < $1")
        .bind(now_ms)
        .execute(&db.pool)
        .untraced(db)
        .await?;
    Ok(done.rows_affected())
}

/// Prunes once a minute for the life of the process.
pub fn spawn_pruner(db: Db) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = prune(&db, now_ms()).await {
                tracing::warn!(error = %e, "pruning the replay records failed");
            }
        }
    })
}
