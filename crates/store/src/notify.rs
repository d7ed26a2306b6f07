//! Hearing of changes made by other processes, so every node's snapshot follows the
//! database within a second rather than a poll period.
//!
//! PostgreSQL: `LISTEN miernik_changes`, which triggers on `import_log` and `submission`
//! notify at commit (migration 0008). SQLite, which has no notifications: one connection of
//! its own polls `PRAGMA data_version`, which moves when any other connection commits — a
//! read of one page header, cheap enough to do ten times a second.
//!
//! A listener only says "look now": the caller then checks the import log and the pending
//! version as before, so a lost notice (a dropped connection) costs a poll period, not data.

use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::PgListener;

use crate::{Backend, Result, Store};

/// How often SQLite's data version is read.
pub const SQLITE_POLL: Duration = Duration::from_millis(100);

/// The channel the triggers notify.
pub const CHANNEL: &str = "miernik_changes";

pub enum ChangeListener {
    Sqlite { conn: Box<sqlx::SqliteConnection>, version: i64 },
    Postgres(Box<PgListener>),
}

impl std::fmt::Debug for ChangeListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ChangeListener::Sqlite { .. } => "ChangeListener(sqlite)",
            ChangeListener::Postgres(_) => "ChangeListener(postgres)",
        })
    }
}

impl Store {
    /// A listener for changes committed by any connection or process.
    pub async fn change_listener(&self) -> Result<ChangeListener> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                let mut conn = sqlx::SqliteConnection::connect_with(&pool.connect_options()).await?;
                let version: i64 = sqlx::query_scalar("PRAGMA data_version").fetch_one(&mut conn).await?;
                Ok(ChangeListener::Sqlite { conn: Box::new(conn), version })
            }
            Backend::Postgres(pool) => {
                let mut l = PgListener::connect_with(pool).await?;
                l.listen(CHANNEL).await?;
                Ok(ChangeListener::Postgres(Box::new(l)))
            }
        }
    }
}

impl ChangeListener {
    /// Waits until something may have changed. PostgreSQL: a notice (after a lost connection,
    /// at once, since notices may have been missed meanwhile); SQLite: the data version moved.
    pub async fn changed(&mut self) -> Result<()> {
        match self {
            ChangeListener::Sqlite { conn, version } => loop {
                tokio::time::sleep(SQLITE_POLL).await;
                let now: i64 = sqlx::query_scalar("PRAGMA data_version").fetch_one(&mut **conn).await?;
                if now != *version {
                    *version = now;
                    return Ok(());
                }
            },
            ChangeListener::Postgres(l) => {
                // `try_recv` answers `None` when the connection was lost (and is re-made on
                // the next call): anything may have happened meanwhile.
                let _ = l.try_recv().await?;
                Ok(())
            }
        }
    }
}
