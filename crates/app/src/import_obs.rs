//! Importing observations: a reader thread parses the file into batches, the async side
//! resolves units and variables and writes each batch inside one transaction. All or
//! nothing by default; with `skip_invalid` bad rows are listed and the rest imported.

use std::collections::HashMap;

use rustc_hash::FxHashMap;
use std::path::Path;
use std::sync::Arc;

use ingest::{ReadOptions, Record, RecordSource, RowError, VariableInfo};
use model::VariableCode;
use store::{ImportCounts, NewVariable, ObsRow, Store, StoreError};
use tokio::sync::mpsc;

use crate::{AppError, Rejected};

/// Records per batch sent from the reader thread to the writer.
const BATCH: usize = 4000;
/// In all-or-nothing mode, how many bad rows to collect before giving up reading.
const MAX_ERRORS: usize = 20;
/// With `skip_invalid`, how many rejected rows to keep for the report (all are counted).
const MAX_LISTED: usize = 1000;

#[derive(Debug, Clone, Default)]
pub struct ObsImportOptions {
    pub variable: Option<VariableCode>,
    pub sheet: Option<String>,
    pub skip_invalid: bool,
    pub create_missing_units: bool,
    /// Where the data came from (`file` unless said; BDL exports say `bdl`).
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObsImportReport {
    pub counts: ImportCounts,
    /// Rejected rows (with `skip_invalid`), at most the first thousand.
    pub rejected: Vec<Rejected>,
    pub created_variables: Vec<String>,
    /// Historical units created (`create_missing_units`): code and name.
    pub created_units: Vec<(String, String)>,
    pub empty_cells: u64,
    /// Distinct unit codes no register knows (their rows are rejected with `skip_invalid`).
    pub unknown_units: usize,
    /// Old codes attached to current units through the registry of changes: (old, current).
    pub linked_codes: Vec<(String, String)>,
    /// Records of one JST (or one unit under two codes) that disagreed, and what was kept.
    pub conflicts: Vec<crate::JstConflict>,
    /// BDL exports: every series of the file and where it went (a catalogue variable, with
    /// the measure conversion, or a code of its own when the catalogue does not map it).
    pub series: Vec<ingest::SeriesOutcome>,
    /// How many BDL series the catalogue in the database maps; 0: no catalogue with
    /// `[[variable.bdl_series]]` was imported, so no series could be mapped.
    pub catalogue_series: usize,
    /// BDL exports newer than this one (by the stamp in the file name) already imported for
    /// the same variables: (variable, file). This import's values replaced theirs where they
    /// differ.
    pub newer_exports: Vec<(String, String)>,
}

/// (variable id, unit id, year).
type ObsKey = (i64, i64, i64);
/// (value, flag, line) of the first row seen with a key.
type Seen = (Option<f64>, model::Flag, u64);

enum Msg {
    Opened { layout: ingest::Layout },
    Batch { records: Vec<Result<Record, RowError>>, variables: Vec<VariableInfo>, position: (u64, u64) },
    End { empty_cells: u64, series: Vec<ingest::SeriesOutcome> },
    Fatal(ingest::IngestError),
}

/// Opens the input on the reader thread (parsing may be slow: it never runs on the async
/// side). It may be called twice: a conflicting duplicate is located by reading again.
pub type OpenSource = Arc<dyn Fn() -> Result<Box<dyn RecordSource>, ingest::IngestError> + Send + Sync>;

fn spawn_reader(open: OpenSource) -> mpsc::Receiver<Msg> {
    let (tx, rx) = mpsc::channel(4);
    std::thread::spawn(move || {
        let mut reader = match open() {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.blocking_send(Msg::Fatal(e));
                return;
            }
        };
        if tx.blocking_send(Msg::Opened { layout: reader.layout() }).is_err() {
            return;
        }
        let mut known_vars = 0usize;
        loop {
            let mut records = Vec::with_capacity(BATCH);
            let mut ended = false;
            while records.len() < BATCH {
                match reader.next_record() {
                    Ok(Some(r)) => records.push(r),
                    Ok(None) => {
                        ended = true;
                        break;
                    }
                    Err(e) => {
                        let _ = tx.blocking_send(Msg::Fatal(e));
                        return;
                    }
                }
            }
            let all = reader.variables();
            let variables = all.get(known_vars..).map(<[_]>::to_vec).unwrap_or_default();
            known_vars = all.len();
            if !records.is_empty() || !variables.is_empty() {
                let msg = Msg::Batch { records, variables, position: reader.progress() };
                if tx.blocking_send(msg).is_err() {
                    return; // the writer gave up
                }
            }
            if ended {
                let _ = tx.blocking_send(Msg::End { empty_cells: reader.empty_cells(), series: reader.series().to_vec() });
                return;
            }
        }
    });
    rx
}

/// A bad row for the report. Its message is tamed again: a `RowError` may come from any
/// `RecordSource` (the BDL API pages too), and the report must not carry unbounded input.
fn reject(e: &RowError) -> Rejected {
    Rejected {
        line: e.line,
        column: e.column.as_ref().map(|(n, name)| format!("{n} ({})", model::excerpt(name, ingest::limits::QUOTE_CHARS))),
        message: ingest::tame(&e.message).into_owned(),
    }
}

/// Imports an observation file (long CSV/XLSX or a BDL export). All or nothing unless
/// `skip_invalid`; `progress(done, total)` is called after every batch.
pub async fn import_observations(
    store: &Store,
    path: &Path,
    opts: &ObsImportOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<ObsImportReport, AppError> {
    // The catalogue's series are read before the file: the reader thread never waits on
    // the database.
    let series = catalogue_series(store).await?;
    let catalogue_series = series.len();
    let read_opts = ReadOptions { variable: opts.variable.clone(), sheet: opts.sheet.clone(), series };
    let owned = path.to_owned();
    let open: OpenSource = Arc::new(move || {
        let r: Box<dyn RecordSource> = Box::new(ingest::open_observations(&owned, &read_opts)?);
        Ok(r)
    });
    let mut report = import_records(store, &path.display().to_string(), open, opts, progress).await?;
    report.catalogue_series = catalogue_series;
    report.newer_exports = newer_exports(store, path, &report).await?;
    Ok(report)
}

/// A BDL export imported after a newer export of the same variable (by the time stamp BDL
/// puts in the file name): (variable, the newer file). Its values have just replaced the newer
/// export's where they differ — for a series BDL revised in between (population after the 2021
/// census), the older figures are back, so the user is told.
async fn newer_exports(store: &Store, path: &Path, report: &ObsImportReport) -> Result<Vec<(String, String)>, AppError> {
    let name = |p: &str| Path::new(p).file_name().and_then(|n| n.to_str()).map(str::to_owned);
    let Some(stamp) = path.file_name().and_then(|n| n.to_str()).and_then(ingest::bdl::export_stamp_from_file_name) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for s in &report.series {
        if !seen.insert(s.variable.as_str()) {
            continue;
        }
        for (id, file, var) in store.imports_of_variable(s.variable.as_str()).await? {
            let Some(other) = file.as_deref().and_then(name) else { continue };
            if id != report.counts.import_id && ingest::bdl::export_stamp_from_file_name(&other).is_some_and(|t| t > stamp) {
                out.push((var, other));
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The BDL series the imported catalogue maps to its variables (`variable_ref` of system
/// `bdl_series`: `P2137|ogółem|ogółem|osoba`, subject, dimension values, measure), each with
/// its variable's code and measure unit.
pub async fn catalogue_series(store: &Store) -> Result<ingest::SeriesMap, AppError> {
    let vars: HashMap<i64, store::StoredVariable> = store.variables().await?.into_iter().map(|v| (v.id, v)).collect();
    let mut map = ingest::SeriesMap::new();
    for (id, system, r) in store.variable_refs().await? {
        if system != "bdl_series" {
            continue;
        }
        let parts: Vec<&str> = r.split('|').collect();
        let (Some(v), [subject, dims @ .., measure]) = (vars.get(&id), parts.as_slice()) else { continue };
        if dims.is_empty() {
            continue; // not written by a catalogue import, which needs a dimension
        }
        let Ok(code) = VariableCode::parse(&v.code) else { continue };
        let dims: Vec<String> = dims.iter().map(|d| (*d).to_owned()).collect();
        map.entry(ingest::catalogue::series_key(subject, &dims)).or_insert(ingest::SeriesTarget {
            variable: code,
            unit: v.measure_unit.clone(),
            measure: (*measure).to_owned(),
        });
    }
    Ok(map)
}

/// [`import_observations`] from any [`RecordSource`] (areas, budget reports, BDL API pages):
/// the same pipeline, one transaction, all or nothing unless `skip_invalid`. `file` names the
/// input in the import log and in messages.
pub async fn import_records(
    store: &Store,
    file: &str,
    open: OpenSource,
    opts: &ObsImportOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<ObsImportReport, AppError> {
    let file = file.to_owned();
    let mut units = crate::obs_units::Units::load(store).await?;
    let mut variables: FxHashMap<String, i64> = store.variables().await?.into_iter().map(|v| (v.code, v.id)).collect();

    let mut rx = spawn_reader(open.clone());
    // Open the transaction only once the file is known to be readable.
    let source_default = match rx.recv().await {
        Some(Msg::Opened { layout: ingest::Layout::Long }) => "file",
        Some(Msg::Opened { .. }) => "bdl",
        Some(Msg::Fatal(e)) => return Err(AppError::Ingest(e)),
        _ => return Err(AppError::Invalid(format!("{file}: the reader stopped unexpectedly"))),
    };
    let source = opts.source.clone().unwrap_or_else(|| source_default.to_owned());
    let mut import = store.begin_observation_import(&source, &file).await?;

    let mut infos: HashMap<String, VariableInfo> = HashMap::new();
    let mut report = ObsImportReport {
        counts: ImportCounts::default(),
        rejected: Vec::new(),
        created_variables: Vec::new(),
        created_units: Vec::new(),
        empty_cells: 0,
        unknown_units: 0,
        linked_codes: Vec::new(),
        conflicts: Vec::new(),
        series: Vec::new(),
        catalogue_series: 0,
        newer_exports: Vec::new(),
    };
    let mut complete = true; // the whole file was read
    let mut read = 0u64;
    let mut valid = 0u64;
    let mut rejected = 0u64;
    let mut failed = false; // all-or-nothing: stop writing after the first bad row
    let mut batch_rows: Vec<ObsRow> = Vec::with_capacity(BATCH);
    // (variable, unit, year) → (value, flag, line) of the rows in this batch.
    let mut batch_keys: FxHashMap<ObsKey, (Option<f64>, i64, u64)> = FxHashMap::default();

    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Opened { .. } => {}
            Msg::Fatal(e) => {
                import.abandon().await?;
                return Err(AppError::Ingest(e));
            }
            Msg::End { empty_cells, series } => {
                report.empty_cells = empty_cells;
                report.series = series;
                break;
            }
            Msg::Batch { records, variables: new_vars, position } => {
                for v in new_vars {
                    infos.insert(v.code.as_str().to_owned(), v);
                }
                batch_rows.clear();
                batch_keys.clear();
                for rec in records {
                    read += 1;
                    let rec = match rec {
                        Ok(r) => r,
                        Err(e) => {
                            rejected += 1;
                            if report.rejected.len() < MAX_LISTED {
                                report.rejected.push(reject(&e));
                            }
                            if !opts.skip_invalid {
                                failed = true;
                            }
                            continue;
                        }
                    };
                    // Known, linked through the registry of changes, created, or unknown
                    // (counted once per code; listed at the end).
                    let unit_id = match units.resolve(&rec, &mut import, opts.create_missing_units && !failed).await? {
                        Some(id) => id,
                        None => {
                            rejected += 1;
                            if !opts.skip_invalid {
                                failed = true;
                            }
                            continue;
                        }
                    };
                    if failed {
                        continue;
                    }
                    let variable_id = match variables.get(rec.variable.as_str()) {
                        Some(id) => *id,
                        None => {
                            let info = infos.get(rec.variable.as_str());
                            let v = NewVariable {
                                code: rec.variable.as_str().to_owned(),
                                name_pl: info.map_or_else(|| rec.variable.as_str().to_owned(), |i| i.name_pl.clone()),
                                name_en: None,
                                measure_unit: info.and_then(|i| i.measure_unit.clone()),
                                source: Some(if info.is_some_and(|i| i.bdl_subgroup.is_some()) { "bdl".to_owned() } else { source.clone() }),
                                refs: info.and_then(|i| i.bdl_subgroup.clone()).map(|s| vec![("bdl_subgroup".to_owned(), s)]).unwrap_or_default(),
                            };
                            let id = import.create_variable(&v).await?;
                            report.created_variables.push(v.code);
                            variables.insert(rec.variable.as_str().to_owned(), id);
                            id
                        }
                    };
                    let row = ObsRow {
                        variable_id,
                        unit_id,
                        year: i64::from(rec.year.get()),
                        value: rec.value.map(model::Value::get),
                        flag: i64::from(rec.flag.to_i16()),
                    };
                    // Rows of a unit reachable by two records are settled at the end.
                    let Some(row) = units.hold(row, &rec) else {
                        valid += 1;
                        continue;
                    };
                    let key = (variable_id, unit_id, row.year);
                    if let Some((v, f, line)) = batch_keys.get(&key) {
                        if *v == row.value && *f == row.flag {
                            valid += 1; // an identical repeated row changes nothing
                            continue;
                        }
                        import.abandon().await?;
                        return Err(conflict(&file, *line, rec.line, &rec));
                    }
                    batch_keys.insert(key, (row.value, row.flag, rec.line));
                    batch_rows.push(row);
                    valid += 1;
                }
                if !failed {
                    match import.write(std::mem::replace(&mut batch_rows, Vec::with_capacity(BATCH))).await {
                        Ok(()) => {}
                        Err(StoreError::ConflictingDuplicate) => {
                            import.abandon().await?;
                            return Err(find_conflict(open.clone(), &file).await);
                        }
                        Err(e) => {
                            let _ = import.abandon().await;
                            return Err(e.into());
                        }
                    }
                }
                progress(position.0, position.1);
                // Unknown units alone do not stop the reading: all of them are counted.
                if failed && report.rejected.len() >= MAX_ERRORS {
                    complete = false;
                    break;
                }
            }
        }
    }
    drop(rx);

    if failed {
        import.abandon().await?;
        return Err(units.refusal(file, report.rejected, complete));
    }

    match units.settle(&mut import, store, &file, &variables).await {
        Ok(conflicts) => report.conflicts = conflicts,
        Err(e) => {
            let _ = import.abandon().await;
            return Err(e);
        }
    }
    report.created_units = units.created_units();
    report.linked_codes = std::mem::take(&mut units.linked);
    report.unknown_units = units.unknown_count();
    if report.unknown_units > 0 {
        report.rejected.extend(units.unknown_rows(MAX_LISTED.saturating_sub(report.rejected.len())));
        report.rejected.sort_by_key(|r| r.line);
    }

    let counts = match import.finish(read, valid, rejected).await {
        Ok(c) => c,
        Err(StoreError::ConflictingDuplicate) => {
            return Err(find_conflict(open.clone(), &file).await);
        }
        Err(e) => return Err(e.into()),
    };
    report.counts = counts;
    Ok(report)
}

fn conflict(file: &str, first: u64, second: u64, rec: &Record) -> AppError {
    AppError::Rejected {
        file: file.to_owned(),
        summary: format!("lines {first} and {second} give unit {} variable {} year {} different values", rec.unit, rec.variable, rec.year),
        rows: vec![Rejected { line: second, column: None, message: format!("conflicts with line {first}") }],
    }
}

/// After the database refused a conflicting duplicate from different batches, reads the
/// file again to say which lines conflict. Keeps only one entry per key seen.
async fn find_conflict(open: OpenSource, file: &str) -> AppError {
    let file_owned = file.to_owned();
    let found = tokio::task::spawn_blocking(move || -> Option<AppError> {
        let mut reader = open().ok()?;
        let mut seen: HashMap<(String, String, i16), Seen> = HashMap::new();
        while let Ok(Some(rec)) = reader.next_record() {
            let Ok(rec) = rec else { continue };
            let key = (rec.unit.as_str().to_owned(), rec.variable.as_str().to_owned(), rec.year.get());
            let val = (rec.value.map(model::Value::get), rec.flag);
            match seen.get(&key) {
                Some((v, f, line)) if (*v, *f) != val => return Some(conflict(&file_owned, *line, rec.line, &rec)),
                Some(_) => {}
                None => {
                    seen.insert(key, (val.0, val.1, rec.line));
                }
            }
        }
        None
    })
    .await
    .ok()
    .flatten();
    found.unwrap_or_else(|| AppError::Rejected {
        file: file.to_owned(),
        summary: "two rows give one observation different values (also through an old and a new code of one unit)".to_owned(),
        rows: Vec::new(),
    })
}
