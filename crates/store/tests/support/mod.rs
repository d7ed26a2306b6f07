//! What the store's story tests share: running a story on both backends, and raw SQL under
//! the store, for what its API does not reach (damaging a record, reading a column).

use std::str::FromStr;

use sqlx::Connection;

/// Where a story's database is, for raw SQL on a connection of its own.
pub enum Raw {
    Sqlite(String),
    Postgres { url: String, schema: String },
}

impl Raw {
    /// Runs SQL (one statement or several) on a connection of its own; the database's answer.
    #[allow(dead_code)] // not every test binary reaches under the store
    pub async fn exec(&self, sql: &str) -> Result<(), sqlx::Error> {
        match self {
            Raw::Sqlite(url) => {
                let mut c = sqlx::SqliteConnection::connect(url).await?;
                let done = sqlx::raw_sql(sql).execute(&mut c).await.map(|_| ());
                c.close().await?;
                done
            }
            Raw::Postgres { url, schema } => {
                let opts = sqlx::postgres::PgConnectOptions::from_str(url)?.options([("search_path", schema.as_str())]);
                let mut c = sqlx::PgConnection::connect_with(&opts).await?;
                let done = sqlx::raw_sql(sql).execute(&mut c).await.map(|_| ());
                c.close().await?;
                done
            }
        }
    }
}

/// Runs `story(store, raw)` — or with `store only`, `story(store)` — on a fresh SQLite file
/// and, when `MIERNIK_TEST_POSTGRES` is set, on a fresh PostgreSQL schema named `prefix` +
/// story + process id, dropped afterwards.
macro_rules! on_both {
    ($prefix:literal, $story:ident) => {
        on_both!(@run $prefix, $story, |store, raw| $story(store, raw))
    };
    ($prefix:literal, $story:ident, store only) => {
        on_both!(@run $prefix, $story, |store, _raw| $story(store))
    };
    (@run $prefix:literal, $story:ident, $run:expr) => {{
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        let store = Store::open(&url).await.expect("sqlite opens");
        ($run)(store, $crate::support::Raw::Sqlite(url)).await;
        if let Ok(pg) = std::env::var("MIERNIK_TEST_POSTGRES") {
            let schema = format!("{}{}_{}", $prefix, stringify!($story), std::process::id());
            let store = Store::open_postgres_schema(&pg, &schema).await.expect("postgres opens");
            ($run)(store.clone(), $crate::support::Raw::Postgres { url: pg.clone(), schema: schema.clone() }).await;
            store.close().await;
            Store::drop_postgres_schema(&pg, &schema).await.expect("schema dropped");
        } else {
            eprintln!("MIERNIK_TEST_POSTGRES not set: {} ran on SQLite only", stringify!($story));
        }
    }};
}
