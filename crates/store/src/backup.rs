//! Backups of a live database while the portal serves and others write, with a copy that
//! never has its final name until it is complete and checked.
//!
//! - SQLite: `VACUUM INTO` a temporary file beside the target (one read transaction, so the
//!   copy is a consistent snapshot; in WAL mode writers carry on meanwhile), `fsync`, then the
//!   copy is opened read-only, `PRAGMA integrity_check`ed and counted, and only then renamed
//!   (or hard-linked, when an existing file must not be replaced) to its name.
//! - PostgreSQL: `pg_dump --format=custom` of a snapshot this module exports
//!   (`pg_export_snapshot()` in a repeatable-read transaction held open while `pg_dump` runs),
//!   so the counts reported are those of the dump; the password goes to `pg_dump` through
//!   `PGPASSWORD`, never on its command line. The archive is read back with `pg_restore
//!   --list` before it gets its name.
//!
//! Neither path migrates the source: a backup taken before an upgrade is of the old schema.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, PgConnection, SqliteConnection};

use crate::{Result, StoreError, redact_url};

/// What a backup holds, counted in the copy itself (SQLite) or in the snapshot dumped
/// (PostgreSQL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupCounts {
    pub observations: i64,
    pub history: i64,
    pub audit: i64,
    /// The newest entry of the import log, if any.
    pub newest_import: Option<i64>,
}

/// Counts a backup's rows through `$conn` (a connection or transaction of either backend).
macro_rules! count_rows {
    ($conn:expr) => {
        BackupCounts {
            observations: sqlx::query_scalar("SELECT COUNT(*) FROM observation").fetch_one($conn).await?,
            history: sqlx::query_scalar("SELECT COUNT(*) FROM observation_history").fetch_one($conn).await?,
            audit: sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one($conn).await?,
            newest_import: sqlx::query_scalar("SELECT MAX(id) FROM import_log").fetch_one($conn).await?,
        }
    };
}

/// A finished backup: its file, size and contents.
#[derive(Debug, Clone)]
pub struct BackupInfo {
    pub path: PathBuf,
    pub bytes: u64,
    /// `sqlite` (a database file) or `postgres` (a `pg_dump` custom-format archive).
    pub backend: &'static str,
    pub counts: BackupCounts,
}

/// How to write a backup.
#[derive(Debug, Clone, Default)]
pub struct BackupOptions {
    /// Replace an existing target file (off: an existing file is refused and left as it was).
    pub overwrite: bool,
}

impl crate::Store {
    /// Backs up the database at `url` (`sqlite:PATH` or `postgres://…`) into the file `to`,
    /// without migrating it. See the module documentation for how each backend does it.
    pub async fn backup_file(url: &str, to: &Path, options: &BackupOptions) -> Result<BackupInfo> {
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if path.is_empty() {
                return Err(StoreError::BadUrl(redact_url(url)));
            }
            crate::check_sqlite_file(path, url, false)?;
            let opts = SqliteConnectOptions::new().filename(path).read_only(true).busy_timeout(std::time::Duration::from_secs(30));
            let mut conn = SqliteConnection::connect_with(&opts).await.map_err(|source| StoreError::Open { url: redact_url(url), source })?;
            let r = sqlite_backup(&mut conn, Path::new(path), to, options).await;
            let _ = conn.close().await;
            r
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            postgres_backup(url, to, options).await
        } else {
            Err(StoreError::BadUrl(redact_url(url)))
        }
    }

    /// Restores the backup `from` into the database at `url`, which must be new: a SQLite
    /// file that does not exist yet, or a PostgreSQL database without tables. SQLite: the
    /// backup is copied as a backup is made (checked before it gets its name); PostgreSQL:
    /// `pg_restore --no-owner --single-transaction --exit-on-error`. The counts are read from
    /// the restored database.
    pub async fn restore_file(from: &Path, url: &str) -> Result<BackupInfo> {
        let from_text = from.to_str().ok_or_else(|| StoreError::Invalid(format!("{}: ścieżka nie w UTF-8 / path not in UTF-8", from.display())))?;
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if path.is_empty() {
                return Err(StoreError::BadUrl(redact_url(url)));
            }
            let to = Path::new(path);
            if to.exists() {
                return Err(StoreError::Invalid(format!(
                    "{p} już istnieje: odtwarzam tylko do nowego pliku (zatrzymaj portal i podmień plik sam, jeśli tego chcesz) / \
                     {p} already exists: restores go to a new file only (stop the portal and swap the file yourself if that is what you want)",
                    p = to.display()
                )));
            }
            Self::backup_file(&format!("sqlite:{from_text}"), to, &BackupOptions::default()).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            postgres_restore(from, url).await
        } else {
            Err(StoreError::BadUrl(redact_url(url)))
        }
    }

    /// Backs up this store's SQLite database into `to` (the same as [`Store::backup_file`] on
    /// its URL). PostgreSQL stores are backed up by URL, as `pg_dump` needs one.
    pub async fn backup_to(&self, to: &Path, options: &BackupOptions) -> Result<BackupInfo> {
        match &self.backend {
            crate::Backend::Sqlite(pool) => {
                let source = pool.connect_options().get_filename().to_path_buf();
                let mut conn = pool.acquire().await?;
                sqlite_backup(&mut conn, &source, to, options).await
            }
            crate::Backend::Postgres(_) => Err(StoreError::Invalid(
                "kopię PostgreSQL robi pg_dump: miernik backup --db postgres://… / a PostgreSQL backup is made by pg_dump: miernik backup --db postgres://…"
                    .to_owned(),
            )),
        }
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> StoreError {
    StoreError::Invalid(format!("{}: {e}", path.display()))
}

/// `FILE.partial` beside `to`, created empty and exclusively: a second backup to the same
/// file, or the leftover of an interrupted one, is refused instead of being written over.
fn partial_beside(to: &Path) -> Result<PathBuf> {
    let name = to.file_name().ok_or_else(|| StoreError::Invalid(format!("{}: nie plik / not a file name", to.display())))?;
    let mut partial_name = name.to_os_string();
    partial_name.push(".partial");
    let partial = to.with_file_name(partial_name);
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&partial) {
        Ok(_) => Ok(partial),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(StoreError::Invalid(format!(
            "{p} istnieje: trwa inna kopia albo poprzednia została przerwana — usuń ten plik / {p} exists: another backup is running or one was interrupted — remove that file",
            p = partial.display()
        ))),
        Err(e) => Err(io_error(&partial, &e)),
    }
}

fn refuse_existing(to: &Path, options: &BackupOptions) -> Result<()> {
    if !options.overwrite && to.exists() {
        return Err(StoreError::Invalid(format!("{p} już istnieje, nie nadpisuję / {p} already exists, not replaced", p = to.display())));
    }
    Ok(())
}

/// Gives the finished, checked copy its name: renamed over an old file when that may be
/// replaced; otherwise hard-linked, which fails rather than replace a file that appeared
/// meanwhile. Then the directory is synced, so the name survives a crash.
fn publish(partial: &Path, to: &Path, options: &BackupOptions) -> Result<u64> {
    std::fs::File::open(partial).and_then(|f| f.sync_all()).map_err(|e| io_error(partial, &e))?;
    if options.overwrite {
        std::fs::rename(partial, to).map_err(|e| io_error(to, &e))?;
    } else {
        match std::fs::hard_link(partial, to) {
            Ok(()) => std::fs::remove_file(partial).map_err(|e| io_error(partial, &e))?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                refuse_existing(to, options)?;
                return Err(io_error(to, &e));
            }
            // A file system without hard links: the name was checked free a moment ago.
            Err(_) => {
                refuse_existing(to, options)?;
                std::fs::rename(partial, to).map_err(|e| io_error(to, &e))?;
            }
        }
    }
    if let Some(dir) = to.parent().map(|d| if d.as_os_str().is_empty() { Path::new(".") } else { d }) {
        // Directories cannot be opened for syncing everywhere; the data itself is synced.
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    std::fs::metadata(to).map(|m| m.len()).map_err(|e| io_error(to, &e))
}

/// The same file, even under another spelling of its path (or a path that does not exist yet).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

async fn sqlite_backup(conn: &mut SqliteConnection, source: &Path, to: &Path, options: &BackupOptions) -> Result<BackupInfo> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let live = PathBuf::from(format!("{}{suffix}", source.display()));
        if same_file(&live, to) {
            return Err(StoreError::Invalid(format!(
                "{} to plik samej bazy, wybierz inny / is the database's own file, choose another",
                to.display()
            )));
        }
    }
    refuse_existing(to, options)?;
    let partial = partial_beside(to)?;
    let result = async {
        let partial_text =
            partial.to_str().ok_or_else(|| StoreError::Invalid(format!("{}: ścieżka nie w UTF-8 / path not in UTF-8", partial.display())))?;
        // One statement, one read transaction: a consistent snapshot, whatever commits meanwhile.
        sqlx::query("VACUUM INTO $1").bind(partial_text).execute(&mut *conn).await?;
        let counts = check_sqlite_copy(&partial).await?;
        let bytes = publish(&partial, to, options)?;
        Ok(BackupInfo { path: to.to_path_buf(), bytes, backend: "sqlite", counts })
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Opens a copy read-only: `PRAGMA integrity_check` must answer `ok`; then its rows are counted.
async fn check_sqlite_copy(path: &Path) -> Result<BackupCounts> {
    let opts = SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn = SqliteConnection::connect_with(&opts).await.map_err(|source| StoreError::Open { url: path.display().to_string(), source })?;
    let result = async {
        let problems: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut conn).await?;
        if problems != ["ok"] {
            return Err(StoreError::Invalid(format!(
                "kopia nie przeszła PRAGMA integrity_check / the copy failed PRAGMA integrity_check: {}",
                problems.join("; ")
            )));
        }
        Ok(count_rows!(&mut conn))
    }
    .await;
    let _ = conn.close().await;
    result
}

/// A PostgreSQL URL split into one without its password (fit for a command line) and the
/// password (percent-decoded, for `PGPASSWORD`); from `user:PASSWORD@` or `?password=`.
pub fn split_password(url: &str) -> (String, Option<String>) {
    let mut out = url.to_owned();
    let mut password = None;
    if let Some(q) = out.find('?') {
        let (kept, found): (Vec<&str>, Vec<&str>) = out[q + 1..].split('&').partition(|kv| !kv.to_ascii_lowercase().starts_with("password="));
        if let Some(p) = found.last() {
            password = Some(percent_decode(&p["password=".len()..]));
            let query = kept.join("&");
            out = if query.is_empty() { out[..q].to_owned() } else { format!("{}?{query}", &out[..q]) };
        }
    }
    if let Some(scheme) = out.find("://") {
        let start = scheme + 3;
        let end = out[start..].find(['?', '#']).map_or(out.len(), |i| start + i);
        if let Some(at) = out[start..end].rfind('@')
            && let Some(colon) = out[start..start + at].find(':')
        {
            let in_url = percent_decode(&out[start + colon + 1..start + at]);
            password.get_or_insert(in_url);
            out.replace_range(start + colon..start + at, "");
        }
    }
    (out, password)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The hint that comes with every failure to run a PostgreSQL tool.
fn pg_tool_hint(tool: &str) -> String {
    format!(
        "nie można uruchomić {tool}: zainstaluj klienta PostgreSQL (pakiet postgresql-client, wersja serwera lub nowsza) albo zrób kopię sam: \
         PGPASSWORD=… pg_dump --format=custom --file PLIK --dbname postgres://UŻYTKOWNIK@HOST/BAZA / \
         cannot run {tool}: install the PostgreSQL client (package postgresql-client, the server's version or newer) or make the backup yourself: \
         PGPASSWORD=… pg_dump --format=custom --file FILE --dbname postgres://USER@HOST/DB"
    )
}

/// Runs a PostgreSQL client tool off the async threads; its stderr (passwords taken out) is
/// the error when it fails.
async fn run_pg_tool(mut cmd: Command, tool: &'static str, password: Option<&str>) -> Result<Vec<u8>> {
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .map_err(|e| StoreError::Invalid(format!("{tool}: {e}")))?
        .map_err(|e| StoreError::Invalid(format!("{}: {e}", pg_tool_hint(tool))))?;
    if !out.status.success() {
        let mut text = redact_url(String::from_utf8_lossy(&out.stderr).trim());
        if let Some(p) = password.filter(|p| !p.is_empty()) {
            text = text.replace(p, "***");
        }
        return Err(StoreError::Invalid(format!("{tool} ({}): {text}", out.status)));
    }
    Ok(out.stdout)
}

async fn postgres_backup(url: &str, to: &Path, options: &BackupOptions) -> Result<BackupInfo> {
    refuse_existing(to, options)?;
    let opts = PgConnectOptions::from_str(url).map_err(|source| StoreError::Open { url: redact_url(url), source })?;
    let mut conn = PgConnection::connect_with(&opts).await.map_err(|source| StoreError::Open { url: redact_url(url), source })?;
    // The snapshot pg_dump dumps, counted here in the same transaction, held until it is done.
    let mut tx = conn.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()").fetch_one(&mut *tx).await?;
    let counts = count_rows!(&mut *tx);
    let partial = partial_beside(to)?;
    let (bare_url, password) = split_password(url);
    let result = async {
        let mut dump = Command::new("pg_dump");
        dump.arg("--format=custom")
            .arg("--no-password")
            .arg(format!("--snapshot={snapshot}"))
            .arg("--file")
            .arg(&partial)
            .arg("--dbname")
            .arg(&bare_url);
        if let Some(p) = &password {
            dump.env("PGPASSWORD", p);
        }
        run_pg_tool(dump, "pg_dump", password.as_deref()).await?;
        // The archive must read back: its table of contents, with our tables in it.
        let mut list = Command::new("pg_restore");
        list.arg("--list").arg(&partial);
        let toc = run_pg_tool(list, "pg_restore", None).await?;
        let toc = String::from_utf8_lossy(&toc);
        if !toc.lines().any(|l| l.contains("TABLE DATA") && l.contains(" observation_history ")) {
            return Err(StoreError::Invalid(format!(
                "{}: archiwum bez danych tabeli observation_history / the archive lacks the data of observation_history",
                partial.display()
            )));
        }
        let bytes = publish(&partial, to, options)?;
        Ok(BackupInfo { path: to.to_path_buf(), bytes, backend: "postgres", counts: counts.clone() })
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    let _ = tx.rollback().await;
    let _ = conn.close().await;
    result
}

async fn postgres_restore(from: &Path, url: &str) -> Result<BackupInfo> {
    let bytes = std::fs::metadata(from).map(|m| m.len()).map_err(|e| io_error(from, &e))?;
    let opts = PgConnectOptions::from_str(url).map_err(|source| StoreError::Open { url: redact_url(url), source })?;
    let mut conn = PgConnection::connect_with(&opts).await.map_err(|source| StoreError::Open { url: redact_url(url), source })?;
    let tables: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
        .fetch_one(&mut conn)
        .await?;
    if tables > 0 {
        let _ = conn.close().await;
        return Err(StoreError::Invalid(format!(
            "{u} ma już tabele ({tables}): odtwarzam tylko do pustej bazy (CREATE DATABASE …) albo użyj pg_restore --clean --if-exists / \
             {u} already has tables ({tables}): restores go to an empty database only (CREATE DATABASE …), or use pg_restore --clean --if-exists",
            u = redact_url(url)
        )));
    }
    let (bare_url, password) = split_password(url);
    let mut restore = Command::new("pg_restore");
    restore.arg("--no-owner").arg("--no-password").arg("--single-transaction").arg("--exit-on-error").arg("--dbname").arg(&bare_url).arg(from);
    if let Some(p) = &password {
        restore.env("PGPASSWORD", p);
    }
    let restored = run_pg_tool(restore, "pg_restore", password.as_deref()).await;
    let counts = match restored {
        Ok(_) => async { Ok::<_, StoreError>(count_rows!(&mut conn)) }.await,
        Err(e) => Err(e),
    };
    let _ = conn.close().await;
    Ok(BackupInfo { path: from.to_path_buf(), bytes, backend: "postgres", counts: counts? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_leave_the_url_for_pgpassword() {
        let check = |url: &str, bare: &str, pw: Option<&str>| {
            assert_eq!(split_password(url), (bare.to_owned(), pw.map(str::to_owned)), "{url}");
        };
        check("postgres://u:s%40cret@h:5432/db", "postgres://u@h:5432/db", Some("s@cret"));
        check("postgres://u:p@ss@h/db?sslmode=require", "postgres://u@h/db?sslmode=require", Some("p@ss"));
        check("postgres://u@h/db?password=x%26y&sslmode=disable", "postgres://u@h/db?sslmode=disable", Some("x&y"));
        check("postgres://u@h/db?password=x", "postgres://u@h/db", Some("x"));
        check("postgresql://h/db", "postgresql://h/db", None);
        check("postgres://u@h/db", "postgres://u@h/db", None);
    }

    #[tokio::test]
    async fn an_existing_file_is_replaced_only_when_asked_and_no_partial_is_left() {
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("m.db");
        let url = format!("sqlite:{}", db.display());
        let store = crate::Store::open(&url).await.expect("open");
        store.close().await;
        let to = dir.path().join("b.db");
        std::fs::write(&to, b"keep").expect("write");
        let err = crate::Store::backup_file(&url, &to, &BackupOptions::default()).await.expect_err("refused");
        assert!(err.to_string().contains("already exists"), "{err}");
        assert_eq!(std::fs::read(&to).expect("read"), b"keep");
        let info = crate::Store::backup_file(&url, &to, &BackupOptions { overwrite: true }).await.expect("replaced");
        assert_eq!(info.counts.observations, 0);
        assert!(info.bytes > 0);
        assert!(!dir.path().join("b.db.partial").exists());
        let err = crate::Store::backup_file(&url, &db, &BackupOptions { overwrite: true }).await.expect_err("own file");
        assert!(err.to_string().contains("own file"), "{err}");
    }
}
