//! Database access: one code path for SQLite (default, WAL mode) and
//! PostgreSQL through sqlx's `Any` driver with `$N` placeholders, which both
//! accept.
//!
//! Every compare-and-swap is a single conditional `UPDATE`/`INSERT` whose
//! affected-row count decides the outcome, so it stays correct with many
//! replicas on one PostgreSQL (under READ COMMITTED a concurrent `UPDATE`
//! re-checks its `WHERE` after the row lock is released).
//!
//! Times are stored as BIGINT milliseconds since the Unix epoch; blobs as
//! BLOB (SQLite) / BYTEA (PostgreSQL).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

/// Which SQL backend a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!("database URL must start with sqlite:// or postgres://")
        }
    }

    fn blob(self) -> &'static str {
        match self {
            Backend::Sqlite => "BLOB",
            Backend::Postgres => "BYTEA",
        }
    }
}

/// A pool plus the backend it talks to.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// SQLite has one writer at a time and makes the others poll with
    /// sleeps (its busy handler); this process's write transactions take
    /// this turn first ([`Db::write_connection`]) so they queue here
    /// instead. The turn holds the connection its writers write on,
    /// outside the pool (None until first used, or after one was
    /// discarded).
    writer: Arc<tokio::sync::Mutex<Option<sqlx::AnyConnection>>>,
    /// Connections for the hot read path, held outside the pool
    /// ([`Db::reader`]).
    readers: Arc<Readers>,
}

/// A connection to write on, with this process's writer turn on SQLite
/// ([`Db::write_connection`]). Dereferences to the connection; on SQLite
/// it goes back to the turn when dropped, unless discarded.
pub struct WriteConnection {
    conn: Writer,
    discard: bool,
}

enum Writer {
    Pooled(sqlx::pool::PoolConnection<sqlx::Any>),
    /// The connection (None only once given back) and the turn it is
    /// given back to.
    Held {
        conn: Option<sqlx::AnyConnection>,
        turn: tokio::sync::OwnedMutexGuard<Option<sqlx::AnyConnection>>,
    },
}

impl WriteConnection {
    /// Closes the connection when this is dropped instead of keeping it:
    /// a transaction may still be open on it (a statement of it failed or
    /// its task ended early), and closing rolls it back.
    pub fn discard_on_drop(&mut self) {
        self.discard = true;
    }

    /// Whether this holds the process's writer turn (SQLite).
    pub fn has_turn(&self) -> bool {
        matches!(self.conn, Writer::Held { .. })
    }
}

impl std::ops::Deref for WriteConnection {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        match &self.conn {
            Writer::Pooled(c) => c,
            Writer::Held { conn, .. } => conn
                .as_ref()
                .expect("a held writer's connection is taken only by drop"),
        }
    }
}

impl std::ops::DerefMut for WriteConnection {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        match &mut self.conn {
            Writer::Pooled(c) => c,
            Writer::Held { conn, .. } => conn
                .as_mut()
                .expect("a held writer's connection is taken only by drop"),
        }
    }
}

impl Drop for WriteConnection {
    fn drop(&mut self) {
        match &mut self.conn {
            Writer::Pooled(c) => {
                if self.discard {
                    c.close_on_drop();
                }
            }
            Writer::Held { conn, turn } => {
                let Some(c) = conn.take() else { return };
                if self.discard {
                    close_in_background(c);
                } else {
                    **turn = Some(c);
                }
            }
        }
    }
}

/// Closes `conn` without waiting for it: on the runtime when there is one.
/// Where none runs (a value dropped on a thread of its own, or after the
/// runtime ended) `tokio::spawn` would panic; the connection is dropped
/// there instead, which closes it too, and an open transaction on it is
/// rolled back either way.
fn close_in_background(conn: sqlx::AnyConnection) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn(async move {
                let _ = sqlx::Connection::close_hard(conn).await;
            });
        }
        Err(_) => drop(conn),
    }
}

/// A schema migration: `{blob}` in the SQL becomes BLOB or BYTEA.
pub struct Migration {
    pub version: i64,
    pub statements: &'static [&'static str],
}

impl Db {
    /// Connects (creating the SQLite file and its folder if needed).
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        Db::connect_with_log_limit(url, max_connections, LOG_RESTART_FRAMES).await
    }

    /// [`Db::connect`] with the SQLite log restarted past
    /// `restart_after_frames` frames (see `spawn_checkpointer`).
    async fn connect_with_log_limit(
        url: &str,
        max_connections: u32,
        restart_after_frames: i64,
    ) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        if backend == Backend::Sqlite {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:")
                .split('?')
                .next()
                .unwrap_or("");
            if !path.is_empty()
                && path != ":memory:"
                && let Some(parent) = std::path::Path::new(path).parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating database folder {}", parent.display()))?;
            }
        }
        let opts = AnyConnectOptions::from_str(url).context("parsing the database URL")?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA journal_mode=WAL").await?;
                        conn.execute("PRAGMA busy_timeout=5000").await?;
                        conn.execute("PRAGMA synchronous=NORMAL").await?;
                        // Checkpoints run beside the writers, not inside
                        // the commit of whichever write crossed the
                        // threshold (see `spawn_checkpointer`).
                        conn.execute("PRAGMA wal_autocheckpoint=0").await?;
                        // A log that grew past this (readers held the
                        // checkpoints back) is cut back to it once it is
                        // started again (see `spawn_checkpointer`).
                        conn.execute(sqlx::AssertSqlSafe(format!(
                            "PRAGMA journal_size_limit={LOG_SIZE_LIMIT_BYTES}"
                        )))
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await
            .context("connecting to the database")?;
        let readers = Arc::new(Readers::new(match backend {
            Backend::Sqlite => READERS_SQLITE,
            Backend::Postgres => READERS_POSTGRES,
        }));
        let db = Db {
            pool,
            backend,
            writer: Arc::new(tokio::sync::Mutex::new(None)),
            readers,
        };
        if backend == Backend::Sqlite {
            spawn_checkpointer(db.clone(), restart_after_frames);
        }
        Ok(db)
    }

    /// Runs the given migrations once each, recording them in `table`.
    /// On PostgreSQL an advisory lock serialises replicas starting together.
    pub async fn migrate(&self, table: &str, migrations: &[Migration]) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            tx.execute("SELECT pg_advisory_xact_lock(726172)").await?;
        }
        tx.execute(sqlx::AssertSqlSafe(format!(
            "CREATE TABLE IF NOT EXISTS {table} (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)"
        )))
        .await?;
        for m in migrations {
            let done: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT version FROM {table} WHERE version = $1"
            )))
            .bind(m.version)
            .fetch_optional(&mut *tx)
            .await?;
            if done.is_some() {
                continue;
            }
            for stmt in m.statements {
                let sql = stmt.replace("{blob}", self.backend.blob());
                tx.execute(sqlx::AssertSqlSafe(sql))
                    .await
                    .with_context(|| format!("migration {} of {table}", m.version))?;
            }
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO {table} (version, applied_at) VALUES ($1, $2)"
            )))
            .bind(m.version)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            tracing::info!(table, version = m.version, "migration applied");
        }
        tx.commit().await?;
        Ok(())
    }

    /// On SQLite, this process's writer turn and the connection it holds
    /// (hold it until the write transaction ends); on PostgreSQL, whose
    /// writers do not take turns, a pooled connection. Other processes on
    /// the same SQLite file still wait in SQLite's own lock, so `BEGIN
    /// IMMEDIATE` stays the guarantee.
    ///
    /// The SQLite writer's connection is held outside the pool, as the
    /// readers' are ([`Db::reader`]): the pool pings a connection when it
    /// hands it out and again when it comes back, each a handoff to the
    /// connection's thread, and every writer queued behind the turn
    /// waited out the first (docs/services.md, "Fourteenth pass"). Only
    /// the first writer, or the one after a connection was discarded,
    /// takes one from the pool, with the turn held; writers queued for
    /// the turn hold no connection, so it cannot wait for one of theirs.
    pub async fn write_connection(&self) -> Result<WriteConnection, sqlx::Error> {
        let conn = match self.backend {
            Backend::Sqlite => {
                let mut turn = self.writer.clone().lock_owned().await;
                let conn = match turn.take() {
                    Some(c) => c,
                    None => self.pool.acquire().untraced(self).await?.detach(),
                };
                Writer::Held {
                    conn: Some(conn),
                    turn,
                }
            }
            Backend::Postgres => Writer::Pooled(self.pool.acquire().untraced(self).await?),
        };
        Ok(WriteConnection {
            conn,
            discard: false,
        })
    }

    /// A connection for one read outside a transaction, from a few held
    /// outside the pool. The pool pings a connection when it hands it out
    /// and again when it comes back (sqlx's `test_before_acquire` and its
    /// release check); on SQLite each ping is a handoff to the
    /// connection's thread and back, on PostgreSQL a round trip, so a read
    /// through the pool costs three exchanges where one does (plain
    /// recovers +10 % on SQLite, docs/services.md, "Tenth pass"). Reads
    /// take it through [`Db::read_optional`], which discards a connection
    /// whose read failed and reads again through the pool, which tests
    /// its connection first: a held connection that the database or a
    /// proxy closed costs no request an error, and the next reader opens
    /// a new one.
    async fn reader(&self) -> Result<Reader<'_>, sqlx::Error> {
        let permit = self
            .readers
            .permits
            .acquire()
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = self
            .readers
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(c) => c,
            None => self.pool.acquire().await?.detach(),
        };
        Ok(Reader {
            conn: Some(conn),
            home: &self.readers,
            _permit: permit,
        })
    }

    /// Deletes the rows of `table` whose `condition` holds (with `$1` =
    /// `bound`), at most [`DELETE_CHUNK`] rows per statement, each
    /// statement on a writer's connection with its turn
    /// ([`Db::write_connection`]), and the turn given back between
    /// statements. `key` names columns that identify a row. Returns how
    /// many rows were deleted.
    ///
    /// Why in chunks: one `DELETE` of every expired row held SQLite's write
    /// lock for as long as it ran (about 15 µs a row: about a second for
    /// the 50,000-80,000 DPoP proofs a busy minute leaves), and every write
    /// of every request waited behind it
    /// (docs/services.md, "Eleventh pass"). Between chunks the writers
    /// queued for the turn go first. The chunk is one bound for every
    /// caller (the replay pruner, the activity log's retention sweep), not
    /// a parameter: what it bounds is how long any request's write waits.
    pub async fn delete_in_chunks(
        &self,
        table: &'static str,
        key: &'static str,
        condition: &'static str,
        bound: i64,
    ) -> Result<u64, sqlx::Error> {
        let sql = format!(
            "DELETE FROM {table} WHERE ({key}) IN \
             (SELECT {key} FROM {table} WHERE {condition} LIMIT $2)"
        );
        let chunk = DELETE_CHUNK;
        let mut deleted = 0;
        loop {
            let n = {
                let mut w = self.write_connection().await?;
                sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(bound)
                    .bind(i64::from(chunk))
                    .execute(&mut *w)
                    .untraced(self)
                    .await?
                    .rows_affected()
            };
            deleted += n;
            if n < u64::from(chunk) {
                return Ok(deleted);
            }
            tokio::task::yield_now().await;
        }
    }

    /// One read of at most one row, outside a transaction, on a held
    /// connection ([`Db::reader`]); if that read fails, its connection is
    /// discarded and the read made again through the pool, which tests its
    /// connection first. `query` builds the statement each time it is made.
    /// The reader goes back as soon as the row is read.
    pub async fn read_optional<'q>(
        &self,
        query: impl Fn() -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> Result<Option<sqlx::any::AnyRow>, sqlx::Error> {
        let mut reader = self.reader().await?;
        let read = query().fetch_optional(reader.conn()).untraced(self).await;
        match read {
            Ok(row) => Ok(row),
            Err(e) => {
                tracing::warn!(error = %e, "a read on a held connection failed; read again through the pool");
                reader.discard();
                query().fetch_optional(&self.pool).untraced(self).await
            }
        }
    }

    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

/// Rows deleted per statement by [`Db::delete_in_chunks`]. On SQLite a
/// statement holds the one writer's turn for 10-14 µs a row (the DPoP
/// records and the activity log's entries with their two indexes alike),
/// so 50 rows keep what a request's write waits behind under a
/// millisecond. Measured (docs/services.md, "Twelfth pass" and
/// "Thirteenth pass"): recover p99 in rounds with a prune 27-34 ms at
/// 1,000 rows, 13-16 ms at 50.
pub const DELETE_CHUNK: u32 = 50;

/// Connections held for reads outside the pool ([`Db::reader`]).
const READERS_SQLITE: usize = 2;
const READERS_POSTGRES: usize = 8;

/// The connections behind [`Db::reader`].
#[derive(Debug)]
struct Readers {
    idle: std::sync::Mutex<Vec<sqlx::AnyConnection>>,
    permits: tokio::sync::Semaphore,
}

impl Readers {
    fn new(n: usize) -> Readers {
        Readers {
            idle: std::sync::Mutex::new(Vec::with_capacity(n)),
            permits: tokio::sync::Semaphore::new(n),
        }
    }
}

/// A connection for one read ([`Db::reader`]); back to its set when
/// dropped, unless discarded.
struct Reader<'a> {
    /// None only once discarded.
    conn: Option<sqlx::AnyConnection>,
    home: &'a Readers,
    _permit: tokio::sync::SemaphorePermit<'a>,
}

impl Reader<'_> {
    /// The connection to read on.
    fn conn(&mut self) -> &mut sqlx::AnyConnection {
        self.conn
            .as_mut()
            .expect("a reader's connection is taken only by discard or drop, which consume it")
    }

    /// Closes the connection instead of keeping it (after a failed read:
    /// the database may have closed it).
    fn discard(mut self) {
        if let Some(c) = self.conn.take() {
            close_in_background(c);
        }
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            self.home
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(c);
        }
    }
}

/// How often the SQLite WAL is checkpointed.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Past this many frames (64 MiB of 4 KiB pages) the SQLite log is
/// started again from its beginning (see `spawn_checkpointer`).
pub const LOG_RESTART_FRAMES: i64 = 16_384;

/// A log file larger than this is cut back to it when it starts again
/// (`PRAGMA journal_size_limit`): what a burst grew is given back to the
/// disk, while a log of the usual size is reused in place.
pub const LOG_SIZE_LIMIT_BYTES: i64 = 128 << 20;

/// SQLite: copies the write-ahead log into the database file every
/// [`CHECKPOINT_EVERY`], on a connection of its own, until the pool
/// closes. SQLite's automatic checkpoint (turned off in `Db::connect`)
/// would run inside the commit of the write that crossed its threshold,
/// while this process's writer turn is held, so every writer behind it
/// waited: measured, the recover's p99 halved without it (docs/services.md).
/// `PASSIVE` neither blocks nor waits for readers or writers.
///
/// A writer starts the log again from its beginning only when a
/// checkpoint has caught up and no reader is in the log. Under steady
/// load some reader always is, so the log grew without end (951 MB after
/// 14 s of judged recovers: docs/services.md) until the disk was full.
/// Past `restart_after_frames` this task therefore takes this process's
/// writer turn, so no writer adds frames, and runs a `RESTART`
/// checkpoint: it copies the rest, waits (busy timeout) for the readers
/// of older snapshots, which take a request's time, and leaves the log
/// to be written again from its start. Other processes on the file
/// still wait in SQLite's own lock.
fn spawn_checkpointer(db: Db, restart_after_frames: i64) {
    tokio::spawn(async move {
        let pool = db.pool.clone();
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut restarted: Option<i64> = None;
        loop {
            tick.tick().await;
            if pool.is_closed() {
                return;
            }
            let passive = checkpoint(&pool, "PASSIVE").await;
            let frames = match passive {
                Ok(c) => c.log_frames,
                Err(e) => {
                    if !pool.is_closed() {
                        tracing::warn!(error = %e, "checkpointing the SQLite log failed");
                    }
                    continue;
                }
            };
            // `restarted`: nothing was written since the last restart, so
            // the next writer starts the log again by itself.
            if frames <= restart_after_frames || restarted == Some(frames) {
                continue;
            }
            let mut writer = match db.write_connection().await {
                Ok(w) => w,
                Err(e) => {
                    if !pool.is_closed() {
                        tracing::warn!(error = %e, "restarting the SQLite log failed");
                    }
                    continue;
                }
            };
            let started = std::time::Instant::now();
            let restart = checkpoint(&mut *writer, "RESTART").await;
            drop(writer);
            match restart {
                Ok(c) if !c.busy => {
                    restarted = Some(c.log_frames);
                    tracing::debug!(
                        frames,
                        took_ms = started.elapsed().as_secs_f64() * 1e3,
                        "the SQLite log starts again from its beginning"
                    );
                }
                // Readers stayed past the busy timeout: tried again at
                // the next tick.
                Ok(_) => tracing::warn!(frames, "the SQLite log could not be started again"),
                Err(e) if !pool.is_closed() => {
                    tracing::warn!(error = %e, "restarting the SQLite log failed");
                }
                Err(_) => {}
            }
        }
    });
}

/// What `PRAGMA wal_checkpoint` answered.
struct Checkpoint {
    /// It could not finish (a `RESTART` that readers or a writer held back).
    busy: bool,
    /// Frames in the log.
    log_frames: i64,
}

async fn checkpoint(
    exec: impl sqlx::Executor<'_, Database = sqlx::Any>,
    mode: &'static str,
) -> Result<Checkpoint, sqlx::Error> {
    let (busy, log_frames, _copied): (i64, i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(
        format!("PRAGMA wal_checkpoint({mode})"),
    ))
    .fetch_one(exec)
    .await?;
    Ok(Checkpoint {
        busy: busy != 0,
        log_frames,
    })
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// RFC 3339 text for a millisecond timestamp.
pub fn rfc3339(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// Runs a SQLx call so that, on SQLite, it does not carry the caller's span.
///
/// SQLx's SQLite driver hands each command to the connection's worker
/// thread together with a clone of `Span::current()` and may keep that
/// clone after it answered; a span stays open while a clone lives, and so
/// do its ancestors. The request's span (crate::server) would then end, and
/// be exported (crate::telemetry), only when that connection runs its next
/// command, with a wrong duration. On SQLite the call therefore runs with
/// no subscriber, so SQLx sees no current span (and its own events inside
/// the call are not logged); on PostgreSQL nothing changes. The `db.*`
/// span around the call still times it.
pub trait Untraced: std::future::Future + Sized {
    fn untraced(self, db: &Db) -> tracing::instrument::WithDispatch<Self>;
}

impl<F: std::future::Future> Untraced for F {
    fn untraced(self, db: &Db) -> tracing::instrument::WithDispatch<Self> {
        use tracing::instrument::WithSubscriber as _;
        let dispatch = match db.backend {
            Backend::Sqlite => tracing::Dispatch::none(),
            Backend::Postgres => tracing::dispatcher::get_default(tracing::Dispatch::clone),
        };
        self.with_subscriber(dispatch)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use sqlx::Connection as _;

    use crate::db::{CHECKPOINT_EVERY, Db};

    /// A database in a new temporary directory, which lives as long as the
    /// directory guard returned with it.
    async fn sqlite(file: &str, max_connections: u32) -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join(file).display());
        let db = Db::connect(&url, max_connections).await.unwrap();
        (dir, db)
    }

    /// [`sqlite`] with a table `t` of one number column.
    async fn sqlite_with_t(file: &str, max_connections: u32) -> (tempfile::TempDir, Db) {
        let (dir, db) = sqlite(file, max_connections).await;
        sqlx::query("CREATE TABLE t (x BIGINT NOT NULL)")
            .execute(&db.pool)
            .await
            .unwrap();
        (dir, db)
    }

    /// A discarded writer dropped where no runtime runs (a thread of its
    /// own) is closed there instead of panicking, and the writer turn goes
    /// on with a new connection.
    #[test]
    fn a_discarded_writer_dropped_outside_a_runtime_is_closed_without_a_panic() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (_dir, db) = runtime.block_on(sqlite_with_t("outside.db", 2));
        let mut writer = runtime.block_on(db.write_connection()).unwrap();
        assert!(writer.has_turn());
        writer.discard_on_drop();
        std::thread::spawn(move || drop(writer))
            .join()
            .expect("dropping a discarded writer outside a runtime panicked");
        runtime.block_on(async {
            let mut next = db.write_connection().await.unwrap();
            sqlx::query("INSERT INTO t (x) VALUES (1)")
                .execute(&mut *next)
                .await
                .unwrap();
        });
    }

    /// Whether the connection has the TEMP table `mark` (which lives in
    /// one connection only): the connection is the one it was made on.
    async fn has_mark(conn: &mut sqlx::AnyConnection) -> bool {
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM sqlite_temp_master WHERE name = 'mark'")
                .fetch_one(conn)
                .await
                .unwrap();
        n == 1
    }

    /// A reader's connection goes back to the held set and is handed out
    /// again (a TEMP table, which lives in one connection, is still
    /// there); at most the set's size are out at once; a discarded one is
    /// closed and replaced by a new connection (its TEMP table is gone).
    #[tokio::test]
    async fn readers_are_reused_bounded_and_replaced_once_discarded() {
        let (_dir, db) = sqlite("r.db", 4).await;
        let mut r = db.reader().await.unwrap();
        sqlx::query("CREATE TEMP TABLE mark (x INTEGER)")
            .execute(r.conn())
            .await
            .unwrap();
        drop(r);
        let mut r = db.reader().await.unwrap();
        assert!(
            has_mark(r.conn()).await,
            "a returned reader's connection is handed out again"
        );

        let mut out = vec![r];
        while out.len() < super::READERS_SQLITE {
            out.push(db.reader().await.unwrap());
        }
        let waiting = tokio::spawn({
            let db = db.clone();
            async move { db.reader().await.map(|_| ()) }
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(!waiting.is_finished(), "more readers than the set holds");
        let first = out.remove(0);
        drop(out);
        waiting.await.unwrap().unwrap();

        first.discard();
        // The marked connection is gone: every reader handed out now is
        // another connection.
        let mut all = Vec::new();
        for _ in 0..super::READERS_SQLITE {
            let mut r = db.reader().await.unwrap();
            assert!(
                !has_mark(r.conn()).await,
                "a discarded reader's connection was handed out again"
            );
            all.push(r);
        }
    }

    /// A read that fails on its held connection is made again through
    /// the pool, and that connection is closed, not handed out again. The
    /// held connection is made to fail by `PRAGMA query_only` (which only
    /// it has) and a statement that writes.
    #[tokio::test]
    async fn a_failed_held_read_is_made_again_through_the_pool_and_its_connection_closed() {
        let (_dir, db) = sqlite_with_t("f.db", 4).await;
        let mut r = db.reader().await.unwrap();
        sqlx::query("PRAGMA query_only = 1")
            .execute(r.conn())
            .await
            .unwrap();
        drop(r);

        let row = db
            .read_optional(|| sqlx::query("INSERT INTO t (x) VALUES (7) RETURNING x"))
            .await
            .expect("read again through the pool")
            .expect("a row");
        let x: i64 = sqlx::Row::try_get(&row, "x").unwrap();
        assert_eq!(x, 7);
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(n, 1, "the held connection's attempt wrote nothing");

        // Every held connection, each out at once so none is the same.
        let mut all = Vec::new();
        for _ in 0..super::READERS_SQLITE {
            let mut r = db.reader().await.unwrap();
            let q: i64 = sqlx::query_scalar("PRAGMA query_only")
                .fetch_one(r.conn())
                .await
                .unwrap();
            assert_eq!(q, 0, "the failed connection was handed out again");
            all.push(r);
        }
    }

    /// A SQLite database of two connections with an empty table `t` of
    /// rows keyed by `id` and dated by `at`, for `delete_in_chunks`.
    async fn dated_rows_table(file: &str) -> (tempfile::TempDir, Db) {
        let (dir, db) = sqlite(file, 2).await;
        sqlx::query("CREATE TABLE t (id BIGINT PRIMARY KEY, at BIGINT NOT NULL)")
            .execute(&db.pool)
            .await
            .unwrap();
        (dir, db)
    }

    /// `delete_in_chunks` deletes every row its condition selects, across
    /// chunk boundaries (a count that is not a multiple of the chunk, and
    /// one that is), and no other row.
    #[tokio::test]
    async fn deleting_in_chunks_deletes_every_selected_row_and_no_other() {
        let (_dir, db) = dated_rows_table("c.db").await;
        let chunk = i64::from(super::DELETE_CHUNK);
        for (old, kept) in [(2 * chunk + 25, 5), (2 * chunk, 3), (0, 4)] {
            sqlx::query("DELETE FROM t")
                .execute(&db.pool)
                .await
                .unwrap();
            for i in 0..old + kept {
                sqlx::query("INSERT INTO t (id, at) VALUES ($1, $2)")
                    .bind(i)
                    .bind(if i < old { i } else { 1_000_000 + i })
                    .execute(&db.pool)
                    .await
                    .unwrap();
            }
            let deleted = db
                .delete_in_chunks("t", "id", "at < $1", 1_000_000)
                .await
                .unwrap();
            assert_eq!(deleted, u64::try_from(old).unwrap());
            let left: Vec<i64> = sqlx::query_scalar("SELECT at FROM t ORDER BY at")
                .fetch_all(&db.pool)
                .await
                .unwrap();
            assert_eq!(left.len(), usize::try_from(kept).unwrap());
            assert!(left.iter().all(|at| *at >= 1_000_000), "{left:?}");
        }
    }

    /// A writer that queues for the turn while `delete_in_chunks` runs
    /// waits behind at most 50 rows' deletion, however many rows are
    /// deleted: the bound that keeps a request's write under a millisecond
    /// behind the replay pruner and the activity sweep (50 rows at 10-14
    /// µs each on SQLite; docs/services.md, "Thirteenth pass"). It fails
    /// with a larger chunk and with the turn held across chunks.
    #[tokio::test]
    async fn a_writer_waits_behind_at_most_one_chunk_of_a_long_delete() {
        let (_dir, db) = dated_rows_table("q.db").await;
        let total: i64 = 1_000;
        let rows: Vec<String> = (0..total).map(|i| format!("({i}, {i})")).collect();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO t (id, at) VALUES {}",
            rows.join(", ")
        )))
        .execute(&db.pool)
        .await
        .unwrap();

        // The observer's connection is held from the start, so between two
        // of its turns it awaits nothing but the turn: it is always queued
        // when the deleter gives the turn back.
        let mut own = db.pool.acquire().await.unwrap();
        let deleter = tokio::spawn({
            let db = db.clone();
            async move { db.delete_in_chunks("t", "id", "at < $1", total).await }
        });
        let mut seen = vec![total];
        while !deleter.is_finished() {
            let turn = db.writer.clone().lock_owned().await;
            let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
                .fetch_one(&mut *own)
                .await
                .unwrap();
            drop(turn);
            seen.push(left);
            if left == 0 {
                break;
            }
        }
        assert_eq!(deleter.await.unwrap().unwrap(), 1_000);
        let waited_behind = seen.windows(2).map(|w| w[0] - w[1]).max().unwrap_or(0);
        assert!(
            waited_behind <= 50,
            "a writer waited behind {waited_behind} rows' deletion: {seen:?}"
        );
        assert!(seen.len() > 10, "{seen:?}");
    }

    /// SQLite writers write on one connection the turn holds
    /// (`Db::write_connection`): once it exists a writer needs nothing
    /// from the pool (the pool's only connection taken, a writer still
    /// gets the held one, its TEMP table still there); a discarded one is
    /// closed, which rolls back the transaction open on it, and the next
    /// writer gets another; and two writers never hold the turn together.
    #[tokio::test]
    async fn sqlite_writers_share_a_held_connection_and_take_turns() {
        let (_dir, db) = sqlite_with_t("w.db", 1).await;
        let mut w = db.write_connection().await.unwrap();
        assert!(w.has_turn(), "SQLite writers get a turn");
        sqlx::query("CREATE TEMP TABLE mark (x INTEGER)")
            .execute(&mut *w)
            .await
            .unwrap();
        drop(w);
        let pooled = db.pool.acquire().await.unwrap();
        let mut w = tokio::time::timeout(std::time::Duration::from_secs(2), db.write_connection())
            .await
            .expect("a writer waited for the pool while a connection was held for it")
            .unwrap();
        assert!(
            has_mark(&mut w).await,
            "the writer's connection was not the held one"
        );
        drop(pooled);

        sqlx::query("BEGIN IMMEDIATE; INSERT INTO t (x) VALUES (1)")
            .execute(&mut *w)
            .await
            .unwrap();
        w.discard_on_drop();
        drop(w);
        let mut w = db.write_connection().await.unwrap();
        assert!(
            !has_mark(&mut w).await,
            "a discarded writer's connection was handed out again"
        );
        sqlx::query("BEGIN IMMEDIATE; INSERT INTO t (x) VALUES (2); COMMIT")
            .execute(&mut *w)
            .await
            .unwrap();
        drop(w);
        let xs: Vec<i64> = sqlx::query_scalar("SELECT x FROM t")
            .fetch_all(&db.pool)
            .await
            .unwrap();
        assert_eq!(
            xs,
            vec![2],
            "the discarded connection's transaction was kept"
        );

        let (_turns_dir, db) = sqlite("turns.db", 4).await;
        let first = db.write_connection().await.unwrap();
        let second = tokio::spawn({
            let db = db.clone();
            async move { db.write_connection().await.map(|_| ()) }
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(
            !second.is_finished(),
            "a second writer got the turn while the first held it"
        );
        drop(first);
        tokio::time::timeout(std::time::Duration::from_secs(5), second)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }

    /// Writes `rows` rows of 2 KiB, each its own transaction taken with
    /// the writer turn (as the service's writers do), while three readers
    /// in turn keep a read transaction open at every moment (as a service
    /// under load does); then the log file's size and the rows written.
    async fn write_under_readers(restart_after_frames: i64, rows: i64) -> (u64, i64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        let db = Db::connect_with_log_limit(
            &format!("sqlite://{}?mode=rwc", path.display()),
            8,
            restart_after_frames,
        )
        .await
        .unwrap();
        sqlx::query("CREATE TABLE t (x BIGINT NOT NULL, pad BLOB NOT NULL)")
            .execute(&db.pool)
            .await
            .unwrap();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut readers = Vec::new();
        for k in 0..3u64 {
            let (pool, done) = (db.pool.clone(), done.clone());
            readers.push(tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(k)).await;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    let mut tx = pool.begin().await.unwrap();
                    let _: Option<i64> = sqlx::query_scalar("SELECT MAX(rowid) FROM t")
                        .fetch_one(&mut *tx)
                        .await
                        .unwrap();
                    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
                    tx.commit().await.unwrap();
                }
            }));
        }
        let wal = path.with_extension("db-wal");
        // At most one write a millisecond, so what a checkpoint interval
        // adds to the log does not depend on the machine's speed.
        let mut pace = tokio::time::interval(std::time::Duration::from_millis(1));
        pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for i in 0..rows {
            pace.tick().await;
            let mut w = db.write_connection().await.unwrap();
            sqlx::query("INSERT INTO t (x, pad) VALUES ($1, $2)")
                .bind(i)
                .bind(vec![7u8; 2048])
                .execute(&mut *w)
                .await
                .unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        for r in readers {
            r.await.unwrap();
        }
        let size = std::fs::metadata(&wal).unwrap().len();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        db.pool.close().await;
        (size, n)
    }

    /// Under steady load the log stays near its limit instead of growing
    /// with every write until the disk is full (docs/services.md), and
    /// nothing written is lost when it starts again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_stays_bounded_while_readers_are_always_in_it() {
        const ROWS: i64 = 4_000;
        // First the same readers and writes without the restart: the log
        // grows with every write (at least one 4 KiB page per commit), so
        // the load below is one that needs the restart.
        let (grown, n) = write_under_readers(i64::MAX, ROWS).await;
        assert_eq!(n, ROWS);
        assert!(
            grown >= ROWS as u64 * 4096,
            "without the restart the log should grow ({grown} bytes): the readers do not hold it"
        );
        // Restarted past 200 frames: at most 250 writes (a checkpoint
        // interval at one a millisecond) of a few pages each come on top.
        let (bounded, n) = write_under_readers(200, ROWS).await;
        assert_eq!(n, ROWS, "every row is there");
        assert!(
            bounded < 8 << 20,
            "the log grew to {bounded} bytes for {ROWS} writes ({grown} without the restart)"
        );
    }

    /// Rows count in the database file itself once the checkpointer ran,
    /// though SQLite's own checkpoint is off: read through a connection
    /// that ignores the log (`immutable=1`).
    #[tokio::test]
    async fn the_log_reaches_the_database_file_without_sqlites_own_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let db = Db::connect(&format!("sqlite://{}?mode=rwc", path.display()), 2)
            .await
            .unwrap();
        let auto: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(auto, 0, "SQLite's own checkpoint is off");
        sqlx::query("CREATE TABLE t (x BIGINT NOT NULL)")
            .execute(&db.pool)
            .await
            .unwrap();
        for i in 0..200i64 {
            sqlx::query("INSERT INTO t (x) VALUES ($1)")
                .bind(i)
                .execute(&db.pool)
                .await
                .unwrap();
        }
        let in_file = || async {
            let url = format!("sqlite://{}?mode=ro&immutable=1", path.display());
            let mut c = sqlx::AnyConnection::connect(&url).await.unwrap();
            let n: Result<i64, _> = sqlx::query_scalar("SELECT COUNT(*) FROM t")
                .fetch_one(&mut c)
                .await;
            c.close().await.unwrap();
            n.unwrap_or(0)
        };
        let mut seen = 0;
        for _ in 0..20 {
            tokio::time::sleep(CHECKPOINT_EVERY).await;
            seen = in_file().await;
            if seen == 200 {
                break;
            }
        }
        assert_eq!(seen, 200, "the log was not checkpointed into the file");
        db.pool.close().await;
    }
}
