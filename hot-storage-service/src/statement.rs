//! Writes of several statements sent to the database as one.
//!
//! A [`Statement`] collects parts (each an `INSERT`, `DELETE` or `UPDATE`
//! without `RETURNING`) and their values, numbered `$1…` across all parts
//! as they are added. [`Statement::execute`] sends them as one request:
//! on SQLite the parts joined by `;` (sqlx runs each in turn, binding each
//! `$N` to the N-th value), on PostgreSQL one statement whose leading
//! parts are data-modifying `WITH` clauses (each runs exactly once, all on
//! one snapshot, so no part sees another's rows). What it saves is round
//! trips: a batch of the policy's judgements (crate::hot::policy_batch)
//! writes its log and its usage in one instead of three, inside a
//! transaction whose writer turn every other writer waits for.

use sqlx::{Any, Executor};

use crate::db::{Backend, Db, Untraced as _};

/// One value to bind.
pub enum Value {
    Text(String),
    MaybeText(Option<String>),
    Int(i64),
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}
impl From<Option<String>> for Value {
    fn from(s: Option<String>) -> Value {
        Value::MaybeText(s)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

/// Statement parts and their values (see the module's doc).
#[derive(Default)]
pub struct Statement {
    parts: Vec<String>,
    values: Vec<Value>,
}

/// Values of one statement, at most: PostgreSQL's limit (SQLite's is
/// 32,766; one part's caller keeps well below either).
pub const MAX_VALUES: usize = 32_766;

impl Statement {
    pub fn new() -> Statement {
        Statement::default()
    }

    /// The placeholder of `v`, the next value.
    pub fn value(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        format!("${}", self.values.len())
    }

    /// `(p, q, …)`: a row of placeholders, one per value.
    pub fn row(&mut self, values: impl IntoIterator<Item = Value>) -> String {
        let p: Vec<String> = values.into_iter().map(|v| self.value(v)).collect();
        format!("({})", p.join(", "))
    }

    /// Adds a part whose placeholders came from [`Statement::value`].
    pub fn part(&mut self, sql: String) {
        self.parts.push(sql);
    }

    /// Puts `sql`, a part without values (`BEGIN IMMEDIATE`), before
    /// every other part. The numbering of the values is unchanged.
    pub fn prepend_plain(&mut self, sql: &str) {
        self.parts.insert(0, sql.to_owned());
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    pub fn values(&self) -> usize {
        self.values.len()
    }

    /// The text sent for `backend`.
    pub fn sql(&self, backend: Backend) -> String {
        match (backend, self.parts.split_last()) {
            (_, None) => String::new(),
            (Backend::Sqlite, _) => self.parts.join("; "),
            (Backend::Postgres, Some((last, first))) => {
                if first.is_empty() {
                    return last.clone();
                }
                let with: Vec<String> = first
                    .iter()
                    .enumerate()
                    .map(|(i, p)| format!("part{i} AS ({p})"))
                    .collect();
                format!("WITH {} {last}", with.join(", "))
            }
        }
    }

    /// Sends every part as one request (nothing when there is none).
    pub async fn execute(
        self,
        exec: impl Executor<'_, Database = Any>,
        db: &Db,
    ) -> sqlx::Result<()> {
        if self.parts.is_empty() {
            return Ok(());
        }
        if self.values.len() > MAX_VALUES {
            return Err(sqlx::Error::Protocol(format!(
                "{} values in one statement",
                self.values.len()
            )));
        }
        let sql = self.sql(db.backend);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in self.values {
            q = match v {
                Value::Text(s) => q.bind(s),
                Value::MaybeText(s) => q.bind(s),
                Value::Int(n) => q.bind(n),
            };
        }
        q.execute(exec).untraced(db).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::db::{Backend, Db};
    use crate::statement::{Statement, Value};

    #[test]
    fn placeholders_count_across_parts_and_postgres_gets_one_statement() {
        let mut s = Statement::new();
        let r = s.row([Value::Int(1), Value::from("a")]);
        s.part(format!("INSERT INTO a (x, y) VALUES {r}"));
        let x = s.value(7i64);
        s.part(format!("DELETE FROM b WHERE x = {x}"));
        let r = s.row([Value::Int(9)]);
        s.part(format!("INSERT INTO b (x) VALUES {r}"));
        assert_eq!(
            s.sql(Backend::Sqlite),
            "INSERT INTO a (x, y) VALUES ($1, $2); DELETE FROM b WHERE x = $3; INSERT INTO b (x) VALUES ($4)"
        );
        assert_eq!(
            s.sql(Backend::Postgres),
            "WITH part0 AS (INSERT INTO a (x, y) VALUES ($1, $2)), part1 AS (DELETE FROM b WHERE x = $3) \
             INSERT INTO b (x) VALUES ($4)"
        );
    }

    /// Every part runs, each with its own values, in the order added.
    #[tokio::test]
    async fn sqlite_runs_every_part_with_its_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let db = Db::connect(&format!("sqlite://{}?mode=rwc", path.display()), 2)
            .await
            .unwrap();
        for sql in [
            "CREATE TABLE a (x BIGINT NOT NULL, y TEXT)",
            "CREATE TABLE b (x BIGINT NOT NULL)",
            "INSERT INTO b (x) VALUES (7), (8)",
        ] {
            sqlx::query(sql).execute(&db.pool).await.unwrap();
        }
        let mut s = Statement::new();
        let r1 = s.row([Value::Int(1), Value::from("one")]);
        let r2 = s.row([Value::Int(2), Value::MaybeText(None)]);
        s.part(format!("INSERT INTO a (x, y) VALUES {r1}, {r2}"));
        let x = s.value(7i64);
        s.part(format!("DELETE FROM b WHERE x = {x}"));
        let r = s.row([Value::Int(9)]);
        s.part(format!("INSERT INTO b (x) VALUES {r}"));
        s.execute(&db.pool, &db).await.unwrap();
        let a: Vec<(i64, Option<String>)> = sqlx::query_as("SELECT x, y FROM a ORDER BY x")
            .fetch_all(&db.pool)
            .await
            .unwrap();
        let b: Vec<(i64,)> = sqlx::query_as("SELECT x FROM b ORDER BY x")
            .fetch_all(&db.pool)
            .await
            .unwrap();
        assert_eq!(a, vec![(1, Some("one".to_owned())), (2, None)]);
        assert_eq!(b, vec![(8,), (9,)]);
        db.pool.close().await;
    }
}
