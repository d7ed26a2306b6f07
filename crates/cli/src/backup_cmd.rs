//! `miernik backup --to FILE` (a checked copy of the live database: SQLite's online copy, or
//! a `pg_dump` archive of PostgreSQL) and `miernik restore --from FILE` (into a new database
//! only). The work is the store's (`Store::backup_file`, `Store::restore_file`); this prints.

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use clap::Args;
use serde_json::json;

use crate::SummaryFormat;
use crate::output::outln;

#[derive(Args)]
pub struct BackupArgs {
    /// The file to write: a SQLite database (for sqlite:) or a pg_dump custom-format archive
    /// (for postgres://); written as FILE.partial, checked, then renamed
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
    /// Replace FILE if it exists (default: refuse)
    #[arg(long)]
    force: bool,
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    format: SummaryFormat,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// The backup made by `miernik backup`; it goes into --db, which must be a new SQLite
    /// file or an empty PostgreSQL database (stop the portal and swap files to replace a live one)
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    format: SummaryFormat,
}

pub async fn backup(db: &str, a: BackupArgs) -> Result<()> {
    let options = app::backup::BackupOptions { overwrite: a.force };
    let info = app::Store::backup_file(db, &a.to, &options).await.map_err(|e| hint(e, "--force"))?;
    print(&info, a.format, "kopia / backup")
}

pub async fn restore(db: &str, a: RestoreArgs) -> Result<()> {
    if !a.from.is_file() {
        anyhow::bail!("{}: nie ma takiego pliku / no such file", a.from.display());
    }
    let info = app::Store::restore_file(&a.from, db).await.map_err(|e| anyhow!(e))?;
    match a.format {
        SummaryFormat::Json => outln!(
            "{}",
            json!({"from": a.from.display().to_string(), "db": app::redact_url(db), "backend": info.backend,
                "observations": info.counts.observations, "history": info.counts.history, "audit": info.counts.audit,
                "newest_import": info.counts.newest_import})
        )?,
        SummaryFormat::Text => outln!(
            "odtworzono / restored {} → {}: obserwacje / observations {}, historia / history rows {}, dziennik zdarzeń / audit rows {}, ostatni import / newest import {}",
            a.from.display(),
            app::redact_url(db),
            info.counts.observations,
            info.counts.history,
            info.counts.audit,
            info.counts.newest_import.map_or("—".to_owned(), |i| i.to_string())
        )?,
    }
    Ok(())
}

fn hint(e: app::StoreError, flag: &str) -> anyhow::Error {
    let text = e.to_string();
    if text.contains("already exists") { anyhow!("{text} (hint: {flag} replaces it)") } else { anyhow!(e) }
}

fn print(info: &app::backup::BackupInfo, format: SummaryFormat, what: &str) -> Result<()> {
    let c = &info.counts;
    match format {
        SummaryFormat::Json => outln!(
            "{}",
            json!({"file": info.path.display().to_string(), "bytes": info.bytes, "backend": info.backend,
                "observations": c.observations, "history": c.history, "audit": c.audit, "newest_import": c.newest_import})
        )?,
        SummaryFormat::Text => outln!(
            "{what}: {} ({}, {:.1} MB): obserwacje / observations {}, historia / history rows {}, dziennik zdarzeń / audit rows {}, ostatni import / newest import {}",
            info.path.display(),
            if info.backend == "postgres" { "pg_dump --format=custom" } else { "SQLite" },
            info.bytes as f64 / 1e6,
            c.observations,
            c.history,
            c.audit,
            c.newest_import.map_or("—".to_owned(), |i| i.to_string())
        )?,
    }
    Ok(())
}
