//! Importing the other official formats — GUGiK's list of areas and the MF budget reports
//! Rb-27S/Rb-28S — through the observation pipeline ([`import_records`]): one transaction per
//! file, all or nothing, revisions and the same report.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ingest::{AreaOptions, BudgetOptions, BudgetSummary, RecordSource};
use model::Year;
use store::Store;

use crate::{AppError, ObsImportOptions, ObsImportReport, OpenSource, import_records};

#[derive(Debug, Clone, Default)]
pub struct AreaImportOptions {
    /// Store the areas under this year instead of the state date's.
    pub year: Option<Year>,
    pub sheet: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AreaImportReport {
    pub obs: ObsImportReport,
    pub year: i16,
    /// Where the year came from (the file name, a cell, `--year`).
    pub year_from: String,
    /// Blank and note rows skipped.
    pub skipped: u64,
}

/// Imports a GUGiK list of areas (XLSX) as `powierzchnia` (km², from the ha column).
pub async fn import_areas(
    store: &Store,
    path: &Path,
    opts: &AreaImportOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<AreaImportReport, AppError> {
    let seen: Arc<Mutex<Option<(i16, String, u64)>>> = Arc::new(Mutex::new(None));
    let read_opts = AreaOptions { year: opts.year, sheet: opts.sheet.clone() };
    let owned = path.to_owned();
    let note = seen.clone();
    let open: OpenSource = Arc::new(move || {
        let r = ingest::open_areas(&owned, &read_opts)?;
        if let Ok(mut n) = note.lock() {
            *n = Some((r.year.get(), r.year_from.clone(), r.skipped));
        }
        let r: Box<dyn RecordSource> = Box::new(r);
        Ok(r)
    });
    let obs_opts = ObsImportOptions { source: Some("gugik".to_owned()), ..ObsImportOptions::default() };
    let obs = import_records(store, &path.display().to_string(), open, &obs_opts, progress).await?;
    let (year, year_from, skipped) = seen.lock().ok().and_then(|s| s.clone()).unwrap_or_default();
    Ok(AreaImportReport { obs, year, year_from, skipped })
}

#[derive(Debug, Clone, PartialEq)]
pub struct BudgetImportReport {
    pub file: PathBuf,
    pub obs: ObsImportReport,
    pub summary: BudgetSummary,
}

/// Imports BeSTi@ report packages (Rb-27S/Rb-28S XML). Every file is read and checked, and
/// every JST it reports for looked up, before anything is written, so a broken or unknown one
/// among several changes nothing; then each file is imported in its own transaction.
pub async fn import_budget(
    store: &Store,
    paths: &[PathBuf],
    opts: BudgetOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Vec<BudgetImportReport>, AppError> {
    let owned = paths.to_vec();
    let summaries = tokio::task::spawn_blocking(move || -> Result<Vec<BudgetSummary>, ingest::IngestError> {
        owned.iter().map(|p| ingest::open_budget(p, &opts).map(|r| r.summary)).collect()
    })
    .await
    .map_err(|e| AppError::Invalid(format!("the reader stopped: {e}")))??;
    let known: std::collections::HashSet<String> = store.unit_codes().await?.into_iter().map(|c| c.code.as_str().to_owned()).collect();
    for (path, summary) in paths.iter().zip(&summaries) {
        let unknown: Vec<&str> = summary.jst.iter().map(String::as_str).filter(|c| !known.contains(*c)).collect();
        if !unknown.is_empty() {
            return Err(AppError::Rejected {
                file: path.display().to_string(),
                summary: format!(
                    "unknown unit code(s) {} (from WK/PK/GK/GT); import the TERC register first (miernik import units)",
                    unknown.join(", ")
                ),
                rows: Vec::new(),
            });
        }
    }
    let mut out = Vec::with_capacity(paths.len());
    for (path, summary) in paths.iter().zip(summaries) {
        let owned = path.clone();
        let open: OpenSource = Arc::new(move || {
            let r: Box<dyn RecordSource> = Box::new(ingest::open_budget(&owned, &opts)?);
            Ok(r)
        });
        let obs_opts = ObsImportOptions { source: Some("mf".to_owned()), ..ObsImportOptions::default() };
        let obs = import_records(store, &path.display().to_string(), open, &obs_opts, progress).await?;
        out.push(BudgetImportReport { file: path.clone(), obs, summary });
    }
    Ok(out)
}
