//! Storage: one connection type over SQLite and PostgreSQL, a pool, embedded
//! migrations, and the transaction helpers every request goes through.
//!
//! Lookups of one row use `load(..).next()` or `get_result`, never
//! diesel's `first()`: its bound `LIMIT ?` makes SQLite re-prepare the
//! statement on every execution, which was the largest cost of a read.
//!
//! # Who is asking: one rule for every function here
//!
//! A function takes exactly what decides its answer or what it records:
//!
//! - **`actor: &Actor`** when it records who acted (a return's versions keep
//!   the actor and role, the audit trail and idempotency keys the principal).
//!   It sees what `actor.scope()` sees.
//! - **`scope: &Scope`** when what it may see depends on a provider token:
//!   reads of providers, contracts and what hangs off them, outcome measures,
//!   returns and the missing-and-late list. A record outside the scope is
//!   `NotFound`, exactly as a missing one.
//! - **`organisation_id: OrganisationId`** when only the organisation matters: reads of
//!   what no provider sees (funding streams, reports, the audit trail), and
//!   writes only the organisation's own staff make that record no actor
//!   (streams and budgets, providers, a draft contract and its lines,
//!   measures). Such a write still reads through
//!   `Scope::organisation(organisation_id)`.
//!
//! Internal helpers follow the same rule (`funding_streams::exists` takes the
//! organisation, `contracts::load` a scope).

/// Orders a boxed query by a [`Sort`](crate::domain::sort::Sort)'s keys,
/// each mapped to its column, then by `$id` so equal keys keep a stable
/// order and pages neither overlap nor skip.
macro_rules! order_by {
    ($query:expr, $sort:expr, $id:expr, { $($key:path => $column:expr),+ $(,)? }) => {{
        use crate::domain::sort::Direction;
        let mut query = $query;
        for (key, direction) in $sort.keys() {
            query = match key {
                $($key => match direction {
                    Direction::Ascending => query.then_order_by($column.asc()),
                    Direction::Descending => query.then_order_by($column.desc()),
                },)+
            };
        }
        query.then_order_by($id.asc())
    }};
}

pub mod audit;
pub mod award_batches;
pub mod batch;
pub mod commitments;
pub mod contracts;
pub mod funding_streams;
pub mod idempotency;
pub mod imports;
pub mod metrics;
pub mod organisations;
pub mod outcomes;
pub mod providers;
pub mod publication;
pub mod reports;
pub mod schema;
pub mod stored;
pub mod sum;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::domain::id::{
    ContractId, FundingStreamId, MeasureId, OrganisationId, PaymentId, ProviderId, ReturnId,
};
use crate::error::AppError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Pragmas applied to every pooled SQLite connection: enforce foreign keys,
/// let readers and the writer run side by side (WAL), sync every commit to
/// disk before it is acknowledged (FULL: nothing acknowledged is lost, even
/// on power failure), and wait for a busy writer instead of failing at once.
const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;";

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database a URL names. Chosen by scheme, so a bad PostgreSQL URL is
/// a connection error rather than a SQLite file with a strange name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// The path SQLite should open for a URL (`sqlite://path`, `file:path` or a bare path).
fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// Which database a URL names, for people: the SQLite file's absolute path,
/// or the PostgreSQL URL without its user, password or parameters.
pub fn describe(url: &str) -> String {
    match Backend::from_url(url) {
        Backend::Sqlite => {
            let path = std::path::Path::new(sqlite_path(url));
            // Canonical (no `..`) once the file exists; absolute before.
            let absolute = std::fs::canonicalize(path)
                .or_else(|_| std::path::absolute(path))
                .unwrap_or_else(|_| path.to_path_buf());
            format!("SQLite database {}", absolute.display())
        }
        Backend::Postgres => {
            let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
            let rest = rest.split_once('?').map_or(rest, |(before, _)| before);
            let server = rest.rsplit_once('@').map_or(rest, |(_, server)| server);
            format!("PostgreSQL database {scheme}://{server}")
        }
    }
}

fn establish(url: &str) -> Result<DbConn, diesel::ConnectionError> {
    match Backend::from_url(url) {
        Backend::Postgres => PgConnection::establish(url).map(DbConn::Postgres),
        Backend::Sqlite => {
            let mut conn = SqliteConnection::establish(sqlite_path(url))?;
            conn.batch_execute(SQLITE_PRAGMAS)
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(DbConn::Sqlite(conn))
        }
    }
}

pub struct ConnectionManager {
    url: String,
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        establish(&self.url).map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.is_broken()
    }
}

/// Creates the SQLite file's parent folder if needed, then runs any pending
/// migrations for the URL's backend.
pub fn migrate(url: &str) -> Result<Vec<String>, AppError> {
    if Backend::from_url(url) == Backend::Sqlite {
        let path = std::path::Path::new(sqlite_path(url));
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                AppError::internal(format!("cannot create {}", parent.display()), e)
            })?;
        }
    }
    let mut conn = establish(url)
        .map_err(|e| AppError::internal(format!("cannot open the {}", describe(url)), e))?;
    let applied: Vec<String> = match &mut conn {
        DbConn::Postgres(pg) => pg.run_pending_migrations(POSTGRES_MIGRATIONS),
        DbConn::Sqlite(lite) => lite.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| AppError::internal("migration failed", e))?
    .iter()
    .map(|v| v.to_string())
    .collect();
    let profiled = write_transaction(&mut conn, commitments::backfill)?;
    if profiled > 0 {
        tracing::info!(
            contracts = profiled,
            "profiled commitments of awarded contracts"
        );
    }
    let keyed = write_transaction(&mut conn, providers::backfill_name_keys)?;
    if keyed > 0 {
        tracing::info!(
            providers = keyed,
            "keyed provider names for duplicate checks"
        );
    }
    Ok(applied)
}

/// One unpooled connection, for the command line.
pub fn connect_one(url: &str) -> Result<DbConn, AppError> {
    establish(url).map_err(|e| AppError::internal(format!("cannot open the {}", describe(url)), e))
}

/// The pool's use, for `/metrics`.
#[derive(Debug, Clone, Copy)]
pub struct PoolState {
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
}

/// A pool of connections plus the knowledge of which backend it talks to.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager>,
    backend: Backend,
}

impl Db {
    pub fn connect(url: &str, max_connections: u32) -> Result<Db, AppError> {
        let pool = Pool::builder()
            .max_size(max_connections)
            .connection_timeout(Duration::from_secs(10))
            // No `SELECT 1` before every request: a connection that fails is
            // found broken (`has_broken`) and replaced.
            .test_on_check_out(false)
            .build(ConnectionManager {
                url: url.to_owned(),
            })
            .map_err(|e| AppError::internal("database pool", e))?;
        Ok(Db {
            pool,
            backend: Backend::from_url(url),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn get(&self) -> Result<PooledConnection<ConnectionManager>, AppError> {
        self.pool.get().map_err(|e| {
            tracing::error!(error = %e, "no database connection");
            AppError::Unavailable
        })
    }

    /// Runs read-only work on a blocking thread with a pooled connection.
    pub async fn read<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.on_connection("read", work).await
    }

    /// Runs work in one write transaction on a blocking thread: everything
    /// commits or nothing does.
    pub async fn write<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.on_connection("write", |conn| write_transaction(conn, work))
            .await
    }

    /// Runs work in one write transaction on a blocking thread, as
    /// [`write`](Self::write) does, and then rolls it back whatever the work
    /// answered: a dry run of a write, every rule applied and nothing kept.
    pub async fn trial<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.on_connection("write", |conn| trial_transaction(conn, work))
            .await
    }

    /// Runs `work` on a pooled connection on the blocking pool, timed as a
    /// unit of work of `kind` from the wait for a connection on.
    async fn on_connection<T, F>(&self, kind: &'static str, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        crate::blocking::run(move || {
            let _timer = metrics::DB_SECONDS.with_label_values(&[kind]).start_timer();
            let mut conn = db.get()?;
            work(&mut conn)
        })
        .await
    }

    /// How many connections the pool has open, idle, and at most.
    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            connections: state.connections,
            idle: state.idle_connections,
            max: self.pool.max_size(),
        }
    }

    /// Checks the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), AppError> {
        self.read(|conn| conn.ping().map_err(AppError::from)).await
    }
}

/// A write transaction. On SQLite it is `BEGIN IMMEDIATE`, which takes the
/// database's write lock up front, so write transactions run one after the
/// other and every check a transaction makes still holds when it commits. On
/// PostgreSQL it is a READ COMMITTED transaction, where writers do run side
/// by side: a check-then-write is safe there only under the row lock of the
/// record whose rule it checks (see [`lock_record`]).
pub fn write_transaction<T, F>(conn: &mut DbConn, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError>,
{
    match conn {
        DbConn::Postgres(_) => conn.transaction(work),
        DbConn::Sqlite(_) => {
            conn.batch_execute("BEGIN IMMEDIATE")?;
            match work(conn) {
                Ok(value) => {
                    conn.batch_execute("COMMIT")?;
                    Ok(value)
                }
                Err(error) => {
                    if let Err(rollback) = conn.batch_execute("ROLLBACK") {
                        tracing::error!(error = %rollback, "rollback failed");
                    }
                    Err(error)
                }
            }
        }
    }
}

/// A write transaction, as [`write_transaction`] begins it, that is always
/// rolled back: `work` sees and takes every lock a real write would, and
/// answers as it would, but nothing it wrote is kept.
pub fn trial_transaction<T, F>(conn: &mut DbConn, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError>,
{
    /// Ends the transaction by rolling it back; a database error is one in
    /// beginning or rolling back.
    enum Trial {
        RolledBack,
        Database(diesel::result::Error),
    }
    impl From<diesel::result::Error> for Trial {
        fn from(error: diesel::result::Error) -> Trial {
            Trial::Database(error)
        }
    }
    match conn {
        DbConn::Postgres(_) => {
            let mut answer = None;
            let ended = conn.transaction::<(), Trial, _>(|conn| {
                answer = Some(work(conn));
                Err(Trial::RolledBack)
            });
            match (ended, answer) {
                (Err(Trial::RolledBack), Some(answer)) => answer,
                (Err(Trial::Database(error)), _) => Err(error.into()),
                (Ok(()), _) | (Err(Trial::RolledBack), None) => Err(AppError::internal_message(
                    "a trial transaction ended without its work",
                )),
            }
        }
        DbConn::Sqlite(_) => {
            conn.batch_execute("BEGIN IMMEDIATE")?;
            let answer = work(conn);
            conn.batch_execute("ROLLBACK")?;
            answer
        }
    }
}

/// Locks one record, the aggregate a write changes or adds to, until the
/// transaction ends; call it first in the transaction, before anything is
/// read.
///
/// This is the whole of the service's concurrency control on PostgreSQL.
/// Every rule the service checks before it writes is a rule about one record
/// and what hangs off it: a contract's `If-Match`, its status, its lines
/// summing to its value, its payments within its value; a return's state;
/// a stream's budget; a creation's idempotency key. Whoever checks such a
/// rule holds that record's row lock (`SELECT … FOR NO KEY UPDATE`), so a second
/// writer waits, and — READ COMMITTED taking a fresh snapshot for every
/// statement — then reads what the first committed and decides on that:
/// the same answer SQLite's one-writer-at-a-time gives.
///
/// Rules across records are left to the database: a budget, which many
/// contracts draw on, by also locking the streams ([`lock_streams`]); one
/// return per quarter and unique codes by unique constraints.
///
/// `NO KEY UPDATE` rather than `UPDATE`: it excludes every other writer that
/// takes it, but not the key-share locks foreign keys take, so a payment or
/// return that merely refers to a locked stream or contract is not held up.
///
/// Deadlock-free by order: a transaction locks at most one aggregate, first,
/// and only then the streams it draws on, in id order. No transaction
/// locks a stream and then a contract or return.
pub fn lock_record<I: Lockable>(conn: &mut DbConn, id: I) -> Result<(), AppError> {
    let DbConn::Postgres(pg) = conn else {
        // SQLite: `BEGIN IMMEDIATE` already holds the database's write lock.
        return Ok(());
    };
    I::lock(pg, id)?;
    Ok(())
}

/// Locks many records of a kind, as [`lock_record`] locks one, in id order
/// (so two writers cannot deadlock), a [`batch::LOOKUP`] to a statement.
pub fn lock_records<I: Lockable>(conn: &mut DbConn, ids: &[I]) -> Result<(), AppError> {
    let DbConn::Postgres(pg) = conn else {
        // SQLite: `BEGIN IMMEDIATE` already holds the database's write lock.
        return Ok(());
    };
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    for chunk in ids.chunks(batch::LOOKUP) {
        I::lock_all(pg, chunk)?;
    }
    Ok(())
}

/// The ids of records a write can lock: each names its table.
pub trait Lockable: crate::domain::id::EntityId + Ord {
    /// Takes the row lock of the record (PostgreSQL only).
    fn lock(pg: &mut PgConnection, id: Self) -> diesel::QueryResult<()>;

    /// Takes the row locks of the records, in id order (PostgreSQL only).
    fn lock_all(pg: &mut PgConnection, ids: &[Self]) -> diesel::QueryResult<()>;
}

macro_rules! lockable {
    ($($id:ty => $table:ident),+ $(,)?) => {$(
        impl Lockable for $id {
            fn lock(pg: &mut PgConnection, id: Self) -> diesel::QueryResult<()> {
                use diesel::prelude::*;
                schema::$table::table
                    .filter(schema::$table::id.eq(&id))
                    .select(schema::$table::id)
                    .for_no_key_update()
                    .load::<String>(pg)
                    .map(drop)
            }

            fn lock_all(pg: &mut PgConnection, ids: &[Self]) -> diesel::QueryResult<()> {
                use diesel::prelude::*;
                schema::$table::table
                    .filter(schema::$table::id.eq_any(ids))
                    .order(schema::$table::id)
                    .select(schema::$table::id)
                    .for_no_key_update()
                    .load::<String>(pg)
                    .map(drop)
            }
        }
    )+};
}

lockable!(
    OrganisationId => organisations,
    FundingStreamId => funding_streams,
    ProviderId => providers,
    ContractId => contracts,
    PaymentId => payments,
    MeasureId => outcome_measures,
    ReturnId => outcome_returns,
);

/// Serialises budget checks on the given streams until the transaction ends.
/// PostgreSQL takes row locks in id order (so two writers cannot deadlock);
/// SQLite already holds the database write lock from `BEGIN IMMEDIATE`.
pub fn lock_streams(conn: &mut DbConn, stream_ids: &[FundingStreamId]) -> Result<(), AppError> {
    lock_records(conn, stream_ids)
}

/// The current time in UTC to the microsecond, the precision both backends
/// store, so a record reads back exactly as written on either.
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    let micros = now.and_utc().timestamp_micros();
    chrono::DateTime::from_timestamp_micros(micros).map_or(now, |t| t.naive_utc())
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn a_database_is_described_without_credentials() {
        assert_eq!(
            describe("postgres://alice:s3cr@t@db.example:5432/commissioning?password=x"),
            "PostgreSQL database postgres://db.example:5432/commissioning"
        );
        assert_eq!(
            describe("postgresql://db.example/commissioning"),
            "PostgreSQL database postgresql://db.example/commissioning"
        );
        assert_eq!(
            describe("sqlite:///var/lib/commissioning.db"),
            "SQLite database /var/lib/commissioning.db"
        );
        let relative = describe("sqlite://data/not-made-by-this-test.db");
        let working = std::env::current_dir().expect("a working directory");
        assert_eq!(
            relative,
            format!(
                "SQLite database {}",
                working.join("data/not-made-by-this-test.db").display()
            )
        );
    }
}
