//! The only crate that speaks SQL. One store, two backends: SQLite (embedded default, WAL)
//! and PostgreSQL (scale-out), chosen from the URL. The SQL is written once (placeholders
//! `$1`, `ON CONFLICT`, `IS DISTINCT FROM`, ISO text dates work on both) and the
//! [`dispatch!`] macro compiles each query body for both concrete pools, so neither backend
//! pays for an abstraction layer. Migrations live in `migrations/sqlite` and
//! `migrations/postgres` and are kept column-for-column equal.
//!
//! Invariants: observations are never overwritten in place and never deleted (database
//! triggers move an old value into `observation_history`); every import runs in one
//! transaction and leaves either all of its changes or none.

mod accounts;
mod audit;
pub mod backup;
mod boundaries;
mod campaigns;
mod catalogue;
pub mod columns;
mod cycle;
pub mod exchange;
pub mod notify;
mod observations;
mod pending;
mod plans;
pub mod surveys;
mod units;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Postgres, Sqlite, Transaction};

pub use accounts::{Credentials, InviteUse, StoredOrganisation, StoredRole, StoredSession, StoredUser};
pub use audit::{Actor, AuditCursor, AuditEntry, AuditFilter, AuditRow, RevertConflict, RevertOutcome};
pub use boundaries::{BoundaryCounts, NewBoundary, StoredBoundary};
pub use campaigns::{
    CAMPAIGN_SOURCE, CampaignUnitStatus, FieldValue, NewCampaignRow, PendingRow, Publication, SavedSubmission, StoredCampaign, StoredForm,
    StoredSubmission, SubmissionState,
};
pub use catalogue::{CATALOGUE_REF_SYSTEMS, CatalogueCounts, CatalogueIndicator, StoredGroup, StoredIndicator};
pub use cycle::{
    FunctionalAreaRow, InstitutionRow, MilestoneRow, PRACTICE_STATUSES, PracticeFields, PracticeFilter, PracticeRow, ReorganisationFields,
    ReorganisationRow,
};
pub use observations::{Change, ChangeCursor, HistoryEntry, ImportCounts, ImportInfo, NewVariable, ObsRow, ObservationImport, StoredVariable};
pub use pending::PendingVersion;
pub use plans::{ActionFields, ActionRow, Owner, PlanFields, PlanRow, PriorityRow, TargetFields, TargetRow};
pub use units::{CodeChange, Link, NewUnit, Rename, StoredUnit, TerritoryOutcome, TerritoryPlan, UnitAt, UnitCode};

/// Runs `$body` with `$p` bound to the concrete SQLite or PostgreSQL pool (or transaction):
/// the same source compiled for both backends.
macro_rules! dispatch {
    ($backend:expr, $p:ident => $body:expr) => {
        match $backend {
            $crate::Backend::Sqlite($p) => $body,
            $crate::Backend::Postgres($p) => $body,
        }
    };
}
pub(crate) use dispatch;

/// Every URL a `StoreError` holds has had its password taken out ([`redact_url`]).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL `{0}` is not understood: use sqlite:PATH or postgres://HOST/DB")]
    BadUrl(String),
    #[error("cannot open database {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    /// A SQLite file that is not there (or is empty) and was not to be created.
    #[error("brak bazy danych pod {url} / no database at {url}{}", if *empty { " (pusty plik / the file is empty)" } else { "" })]
    Missing { url: String, empty: bool },
    /// A file that is not a SQLite database: refused, and left as it was.
    #[error("{path}: to nie jest baza SQLite, plik zostawiono bez zmian / not a SQLite database, the file was left untouched")]
    NotSqlite { path: String },
    /// No connection came free in time (the pool's acquire timeout), or SQLite stayed locked
    /// past its busy timeout.
    #[error("baza danych jest zajęta, spróbuj ponownie za chwilę / the database is busy, try again in a moment")]
    Busy,
    #[error("database migration failed: {0}")]
    Migrate(String),
    #[error("database error: {0}")]
    Sql(sqlx::Error),
    #[error("the input gives one observation two different values")]
    ConflictingDuplicate,
    #[error("the database holds an invalid {what} `{value}`")]
    Corrupt { what: &'static str, value: String },
    #[error("this TERC state ({state}) is older than the newest state already imported ({newest}); import states oldest first")]
    OlderState { state: String, newest: String },
    #[error("{0}")]
    Invalid(String),
    /// A state change another person made first (two verifiers acting on one submission):
    /// nothing was written; reload and look again.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached now (connection refused, lost or closed; PostgreSQL
    /// shutting down or restarting): nothing was done; the pool reconnects on its own, so a
    /// later try may succeed. The portal answers 503, never 500.
    #[error("the database cannot be reached now, try again shortly: {0}")]
    Unavailable(String),
}

/// Whether an error says the database cannot be reached (rather than that a statement or
/// the data is wrong): I/O, TLS, a closed pool or crashed worker, PostgreSQL's class 08
/// (connection exception) and 57P0x (administrator or crash shutdown, cannot connect now).
fn unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => {
            d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some() && d.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P"))
        }
        _ => false,
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if matches!(e, sqlx::Error::PoolTimedOut) {
            return StoreError::Busy;
        }
        // SQLITE_BUSY and its extended codes (BUSY_RECOVERY, BUSY_SNAPSHOT, BUSY_TIMEOUT).
        if let sqlx::Error::Database(d) = &e
            && d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
            && d.code().and_then(|c| c.parse::<i64>().ok()).is_some_and(|c| c & 0xff == 5)
        {
            return StoreError::Busy;
        }
        if unreachable(&e) {
            return StoreError::Unavailable(model::excerpt(&e.to_string(), 200).into_owned());
        }
        let text = e.to_string();
        if text.contains("conflicting duplicate observation") { StoreError::ConflictingDuplicate } else { StoreError::Sql(e) }
    }
}

/// `url` with its password (`user:PASSWORD@`, `password=…` in the query) replaced by `***`,
/// fit to be printed or logged.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(scheme) = out.find("://") {
        let start = scheme + 3;
        // The user info ends at the last `@` before the query: a password may hold `/` or `@`.
        let end = out[start..].find(['?', '#']).map_or(out.len(), |i| start + i);
        if let Some(at) = out[start..end].rfind('@')
            && let Some(colon) = out[start..start + at].find(':')
        {
            out.replace_range(start + colon + 1..start + at, "***");
        }
    }
    if let Some(q) = out.find('?') {
        let query: Vec<String> = out[q + 1..]
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.to_ascii_lowercase().contains("password") => format!("{k}=***"),
                _ => kv.to_owned(),
            })
            .collect();
        out.replace_range(q + 1.., &query.join("&"));
    }
    out
}

/// A connection pool's state: connections open, of them idle, and the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

/// How to open a database.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Create a missing (or empty) SQLite file. Off, a missing file is [`StoreError::Missing`].
    /// A file that is not a SQLite database is refused either way ([`StoreError::NotSqlite`]).
    pub create: bool,
    /// The longest wait for a free connection before [`StoreError::Busy`]; `None`: the
    /// defaults (SQLite 30 s, PostgreSQL 10 s). The portal wants a few seconds.
    pub acquire_timeout: Option<Duration>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { create: true, acquire_timeout: None }
    }
}

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Checks the file of a `sqlite:` URL before SQLite touches it: there (or may be created),
/// and a SQLite database (or empty, when it may be created).
fn check_sqlite_file(path: &str, url: &str, create: bool) -> Result<()> {
    use std::io::Read;
    if path.starts_with(":memory:") || path.starts_with("file::memory:") {
        return Ok(());
    }
    let missing = |empty| if create { Ok(()) } else { Err(StoreError::Missing { url: redact_url(url), empty }) };
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return missing(false),
        Err(e) => return Err(StoreError::Open { url: redact_url(url), source: sqlx::Error::Io(e) }),
    };
    let mut head = Vec::with_capacity(16);
    (&mut file).take(16).read_to_end(&mut head).map_err(|e| StoreError::Open { url: redact_url(url), source: sqlx::Error::Io(e) })?;
    match head.as_slice() {
        [] => missing(true),
        h if h == SQLITE_HEADER => Ok(()),
        _ => Err(StoreError::NotSqlite { path: path.to_owned() }),
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone)]
pub(crate) enum Backend<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) backend: Backend<SqlitePool, PgPool>,
    /// Called when an import has to wait for another one to end (PostgreSQL).
    import_wait: Option<std::sync::Arc<dyn Fn() + Send + Sync>>,
    /// Who this handle writes as ([`Store::acting_as`]); `unknown` by default.
    actor: std::sync::Arc<Actor>,
}

/// The advisory lock every import transaction takes on PostgreSQL (with the schema's hash as
/// the second key), so that imports run one after another instead of deadlocking over rows.
const IMPORT_LOCK: i32 = 72784;

pub(crate) type Tx = Backend<Transaction<'static, Sqlite>, Transaction<'static, Postgres>>;

/// Schema migrations, in order, per backend: (version, SQL). Applied once each, each in its
/// own transaction, recorded in `schema_migration`.
const SQLITE_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_foundation.sql")),
    (2, include_str!("../migrations/sqlite/0002_indicators_groups.sql")),
    (3, include_str!("../migrations/sqlite/0003_boundaries.sql")),
    (4, include_str!("../migrations/sqlite/0004_changes_keyset.sql")),
    (5, include_str!("../migrations/sqlite/0005_people_audit_forms.sql")),
    (6, include_str!("../migrations/sqlite/0006_cycle.sql")),
    (7, include_str!("../migrations/sqlite/0007_exchange_surveys.sql")),
    (8, include_str!("../migrations/sqlite/0008_observation_columns.sql")),
];
const POSTGRES_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_foundation.sql")),
    (2, include_str!("../migrations/postgres/0002_indicators_groups.sql")),
    (3, include_str!("../migrations/postgres/0003_boundaries.sql")),
    (4, include_str!("../migrations/postgres/0004_changes_keyset.sql")),
    (5, include_str!("../migrations/postgres/0005_people_audit_forms.sql")),
    (6, include_str!("../migrations/postgres/0006_cycle.sql")),
    (7, include_str!("../migrations/postgres/0007_exchange_surveys.sql")),
    (8, include_str!("../migrations/postgres/0008_observation_columns.sql")),
];

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.backend_name())
    }
}

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates the database at `url`:
    /// `sqlite:PATH`, `sqlite://PATH`, or `postgres://…` / `postgresql://…`.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, OpenOptions::default()).await
    }

    /// [`Store::open`] with options: whether a missing SQLite file may be created, and how
    /// long to wait for a free connection.
    pub async fn open_with(url: &str, options: OpenOptions) -> Result<Self> {
        let store = if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if path.is_empty() {
                return Err(StoreError::BadUrl(redact_url(url)));
            }
            check_sqlite_file(path, url, options.create)?;
            let opts = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(options.create)
                // Larger pages: shallower B-trees for the bulk of observations (applies to
                // new databases; sqlx sets it before the journal mode, as SQLite requires).
                .page_size(16384)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30))
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory");
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(options.acquire_timeout.unwrap_or(Duration::from_secs(30)))
                .connect_with(opts)
                .await
                .map_err(|source| StoreError::Open { url: redact_url(url), source })?;
            Store { backend: Backend::Sqlite(pool), import_wait: None, actor: std::sync::Arc::new(Actor::unknown()) }
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url).map_err(|source| StoreError::Open { url: redact_url(url), source })?;
            Self::open_postgres(url, opts, options.acquire_timeout).await?
        } else {
            return Err(StoreError::BadUrl(redact_url(url)));
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Opens a PostgreSQL database with every table in `schema` (created if missing), so
    /// that tests and tenants can share one server without seeing each other.
    pub async fn open_postgres_schema(url: &str, schema: &str) -> Result<Self> {
        if !schema.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(StoreError::Invalid(format!("schema name `{schema}` is not an identifier")));
        }
        let base = PgConnectOptions::from_str(url).map_err(|source| StoreError::Open { url: redact_url(url), source })?;
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(base.clone())
            .await
            .map_err(|source| StoreError::Open { url: redact_url(url), source })?;
        sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}")).execute(&admin).await?;
        admin.close().await;
        let opts = base.options([("search_path", schema)]);
        let store = Self::open_postgres(url, opts, None).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Creates the database `name` on the server of `url` unless it exists, and returns the
    /// URL of it (benchmarks and tests that need a database of their own).
    pub async fn create_postgres_database(url: &str, name: &str) -> Result<String> {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(StoreError::Invalid(format!("database name `{name}` is not a plain identifier")));
        }
        let pool = PgPool::connect(url).await.map_err(|source| StoreError::Open { url: redact_url(url), source })?;
        let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1").bind(name).fetch_optional(&pool).await?;
        if exists.is_none() {
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await?;
        }
        pool.close().await;
        let base = url.split(['?', '#']).next().unwrap_or(url);
        let query = &url[base.len()..];
        let scheme_end = base.find("://").map_or(0, |i| i + 3);
        let host_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
        Ok(format!("{}/{name}{query}", &base[..host_end]))
    }

    /// Drops a schema made by [`Store::open_postgres_schema`].
    pub async fn drop_postgres_schema(url: &str, schema: &str) -> Result<()> {
        let pool = PgPool::connect(url).await.map_err(|source| StoreError::Open { url: redact_url(url), source })?;
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&pool).await?;
        pool.close().await;
        Ok(())
    }

    async fn open_postgres(url: &str, opts: PgConnectOptions, acquire_timeout: Option<Duration>) -> Result<Self> {
        let wait = acquire_timeout.unwrap_or(Duration::from_secs(10));
        // One plain connection first: the pool retries a refused or failed connection until its
        // timeout and then says only "pool timed out"; this says why, at once.
        let probe = tokio::time::timeout(wait.max(Duration::from_secs(10)), <sqlx::PgConnection as sqlx::Connection>::connect_with(&opts))
            .await
            .unwrap_or_else(|_| Err(sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, "the server did not answer in time"))));
        match probe {
            Ok(c) => {
                let _ = sqlx::Connection::close(c).await;
            }
            Err(source) => return Err(StoreError::Open { url: redact_url(url), source }),
        }
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(wait)
            .connect_with(opts)
            .await
            .map_err(|source| StoreError::Open { url: redact_url(url), source })?;
        Ok(Store { backend: Backend::Postgres(pool), import_wait: None, actor: std::sync::Arc::new(Actor::unknown()) })
    }

    /// Calls `f` whenever an import has to wait for another import to end first (PostgreSQL:
    /// imports take turns; SQLite's writers wait in the database itself). The CLI says so.
    pub fn on_import_wait(mut self, f: impl Fn() + Send + Sync + 'static) -> Self {
        self.import_wait = Some(std::sync::Arc::new(f));
        self
    }

    async fn migrate(&self) -> Result<()> {
        let migrations = match self.backend {
            Backend::Sqlite(_) => SQLITE_MIGRATIONS,
            Backend::Postgres(_) => POSTGRES_MIGRATIONS,
        };
        dispatch!(&self.backend, p => {
            sqlx::raw_sql("CREATE TABLE IF NOT EXISTS schema_migration (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)")
                .execute(p).await?;
        });
        for (version, sql) in migrations {
            let mut tx = self.begin().await?;
            if let Tx::Postgres(t) = &mut tx {
                // Two servers starting at once must not both migrate.
                sqlx::query("SELECT pg_advisory_xact_lock(72783)").execute(&mut **t).await?;
            }
            let done: Option<i64> = dispatch!(&mut tx, t => sqlx::query_scalar("SELECT version FROM schema_migration WHERE version = $1")
                .bind(version).fetch_optional(&mut **t).await?);
            if done.is_none() {
                dispatch!(&mut tx, t => {
                    sqlx::raw_sql(sql).execute(&mut **t).await.map_err(|e| StoreError::Migrate(format!("migration {version}: {e}")))?;
                    sqlx::query("INSERT INTO schema_migration (version, applied_at) VALUES ($1, $2)")
                        .bind(version).bind(now_text()).execute(&mut **t).await?;
                });
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// `sqlite` or `postgres`.
    /// The connection pool's state now, for `/metrics`.
    pub fn pool_stats(&self) -> PoolStats {
        match &self.backend {
            Backend::Sqlite(p) => PoolStats { size: p.size(), idle: p.num_idle() as u32, max: p.options().get_max_connections() },
            Backend::Postgres(p) => PoolStats { size: p.size(), idle: p.num_idle() as u32, max: p.options().get_max_connections() },
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// SQLite: writes the write-ahead log into the database file and empties it, so the file
    /// alone holds every committed change (before moving it, say). PostgreSQL: nothing to do.
    pub async fn checkpoint(&self) -> Result<()> {
        if let Backend::Sqlite(p) = &self.backend {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(p).await?;
        }
        Ok(())
    }

    pub async fn close(&self) {
        dispatch!(&self.backend, p => p.close().await)
    }

    pub(crate) async fn begin(&self) -> Result<Tx> {
        Ok(match &self.backend {
            Backend::Sqlite(p) => Backend::Sqlite(p.begin().await?),
            Backend::Postgres(p) => Backend::Postgres(p.begin().await?),
        })
    }

    /// Begins the transaction of an import. On PostgreSQL it first takes the import lock of
    /// this schema, held until commit or rollback: two imports at once would otherwise wait
    /// on each other's rows until the server broke one off ("deadlock detected"). When
    /// another import holds it, the wait hook is told, then the import waits its turn.
    pub(crate) async fn begin_import(&self) -> Result<Tx> {
        let mut tx = self.begin().await?;
        if let Tx::Postgres(t) = &mut tx {
            let got: bool =
                sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1, hashtext(current_schema()))").bind(IMPORT_LOCK).fetch_one(&mut **t).await?;
            if !got {
                if let Some(f) = &self.import_wait {
                    f();
                }
                sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))").bind(IMPORT_LOCK).execute(&mut **t).await?;
            }
        }
        Ok(tx)
    }

    /// Counts rows of a table; for tests and summaries. `table` must be one of ours.
    pub async fn count(&self, table: &str) -> Result<i64> {
        const TABLES: [&str; 16] = [
            "indicator",
            "indicator_history",
            "unit_group",
            "unit_group_member",
            "unit_adjacency",
            "unit_boundary",
            "import_log",
            "import_variable",
            "unit",
            "unit_code",
            "unit_name",
            "territory_state",
            "variable",
            "variable_ref",
            "observation",
            "observation_history",
        ];
        if !TABLES.contains(&table) {
            return Err(StoreError::Invalid(format!("no table `{table}`")));
        }
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = dispatch!(&self.backend, p => sqlx::query_scalar(&sql).fetch_one(p).await?);
        Ok(n)
    }

    /// SQLite's own consistency check (`ok` when sound); PostgreSQL answers `ok`.
    pub async fn integrity_check(&self) -> Result<String> {
        match &self.backend {
            Backend::Sqlite(p) => Ok(sqlx::query_scalar("PRAGMA integrity_check").fetch_one(p).await?),
            Backend::Postgres(_) => Ok("ok".to_owned()),
        }
    }
}

impl Tx {
    pub(crate) async fn commit(self) -> Result<()> {
        dispatch!(self, t => t.commit().await?);
        Ok(())
    }

    pub(crate) async fn rollback(self) -> Result<()> {
        dispatch!(self, t => t.rollback().await?);
        Ok(())
    }
}

/// Now, as ISO 8601 text in UTC with microseconds: sortable as text on both backends, and two
/// imports finishing one after the other never share a stamp (with milliseconds they could,
/// and "changes since the last import" then took in the one before it).
pub(crate) fn now_text() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.microsecond()
    )
}

pub(crate) fn date_text(d: Option<model::Date>) -> Option<String> {
    d.map(model::format_date)
}

pub(crate) fn parse_date_col(s: Option<String>) -> Result<Option<model::Date>> {
    match s {
        None => Ok(None),
        Some(t) => model::parse_date(&t).map(Some).ok_or(StoreError::Corrupt { what: "date", value: t }),
    }
}
