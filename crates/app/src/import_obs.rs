//! Importing observations: a reader thread parses the file into batches, the async side
//! resolves units and variables and writes each batch inside one transaction. All or
//! nothing by default; with `skip_invalid` bad rows are listed and the rest imported.

use std::collections::HashMap;

use rustc_hash::FxHashMap;
use std::path::Path;
use std::sync::Arc;

use ingest::{ReadOptions, Record, RecordSource, RowError, VariableInfo};
use model::{Level, UnitKind, VariableCode};
use store::{ImportCounts, NewUnit, NewVariable, ObsRow, Store, StoreError};
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
}

/// (variable id, unit id, year).
type ObsKey = (i64, i64, i64);
/// (value, flag, line) of the first row seen with a key.
type Seen = (Option<f64>, model::Flag, u64);

enum Msg {
    Opened { layout: ingest::Layout },
    Batch { records: Vec<Result<Record, RowError>>, variables: Vec<VariableInfo>, position: (u64, u64) },
    End { empty_cells: u64 },
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
                let _ = tx.blocking_send(Msg::End { empty_cells: reader.empty_cells() });
                return;
            }
        }
    });
    rx
}

/// The map from every code a unit ever had to the unit: current codes win over old ones.
async fn unit_code_map(store: &Store) -> Result<FxHashMap<String, i64>, AppError> {
    let mut codes = store.unit_codes().await?;
    // Old codes first, so that a code valid now overrides an alias of another unit.
    codes.sort_by_key(|c| (c.valid_to.is_none(), c.valid_to));
    Ok(codes.into_iter().map(|c| (c.code.as_str().to_owned(), c.unit_id)).collect())
}

fn historical_unit(record: &Record, newest_state: Option<model::Date>) -> NewUnit {
    let raw = record.unit_name.clone().unwrap_or_else(|| record.unit.as_str().to_owned());
    let parsed = ingest::bdl::parse_unit_name(&raw);
    let kind = match record.unit.level() {
        Level::Kraj => UnitKind::Kraj,
        Level::Wojewodztwo => UnitKind::Wojewodztwo,
        Level::Powiat => {
            let city = record.unit.as_str().get(2..4).and_then(|p| p.parse::<u8>().ok()).is_some_and(|p| p >= 61);
            if city { UnitKind::MiastoNaPrawachPowiatu } else { UnitKind::Powiat }
        }
        Level::Gmina => record.unit.rodz().and_then(UnitKind::from_rodz).unwrap_or(UnitKind::GminaWiejska),
    };
    let valid_from = parsed.from_year.and_then(model::new_year);
    // "do 2012" means valid through 2012; without an end year the unit was gone by the
    // newest register state imported (or today, if none).
    let valid_to = parsed.to_year.and_then(|y| model::new_year(y + 1)).or(newest_state).unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
    NewUnit {
        code: record.unit.clone(),
        name: if parsed.name.is_empty() { raw } else { parsed.name },
        kind,
        valid_from,
        valid_to: Some(valid_to),
        historical: true,
        parent_id: None,
    }
}

/// The unit's name as the file gives it, cut to a quote's length: a name is a field of the
/// input, and a message carries no more than a short quote of input.
fn quoted_name(rec: &Record) -> String {
    model::excerpt(rec.unit_name.as_deref().unwrap_or(""), ingest::limits::QUOTE_CHARS).into_owned()
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

struct Unknown {
    name: String,
    first_line: u64,
    rows: u64,
}

/// Imports an observation file (long CSV/XLSX or a BDL export). All or nothing unless
/// `skip_invalid`; `progress(done, total)` is called after every batch.
pub async fn import_observations(
    store: &Store,
    path: &Path,
    opts: &ObsImportOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<ObsImportReport, AppError> {
    let read_opts = ReadOptions { variable: opts.variable.clone(), sheet: opts.sheet.clone() };
    let owned = path.to_owned();
    let open: OpenSource = Arc::new(move || {
        let r: Box<dyn RecordSource> = Box::new(ingest::open_observations(&owned, &read_opts)?);
        Ok(r)
    });
    import_records(store, &path.display().to_string(), open, opts, progress).await
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
    let mut units = unit_code_map(store).await?;
    let mut variables: FxHashMap<String, i64> = store.variables().await?.into_iter().map(|v| (v.code, v.id)).collect();
    let newest_state = store.newest_territory_state().await?;

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
    };
    let mut unknown: HashMap<String, Unknown> = HashMap::new();
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
            Msg::End { empty_cells } => {
                report.empty_cells = empty_cells;
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
                    let unit_id = match units.get(rec.unit.as_str()) {
                        Some(id) => *id,
                        None if opts.create_missing_units && !failed => {
                            let u = historical_unit(&rec, newest_state);
                            let id = import.create_unit(&u).await?;
                            report.created_units.push((u.code.as_str().to_owned(), u.name.clone()));
                            units.insert(rec.unit.as_str().to_owned(), id);
                            id
                        }
                        None => {
                            rejected += 1;
                            let entry = unknown.entry(rec.unit.as_str().to_owned()).or_insert_with(|| Unknown {
                                name: quoted_name(&rec),
                                first_line: rec.line,
                                rows: 0,
                            });
                            entry.rows += 1;
                            if opts.skip_invalid && report.rejected.len() < MAX_LISTED {
                                report.rejected.push(Rejected {
                                    line: rec.line,
                                    column: None,
                                    message: format!("unknown unit {} {}", rec.unit, quoted_name(&rec)).trim_end().to_owned(),
                                });
                            }
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
                if failed && report.rejected.len() + unknown.len() >= MAX_ERRORS {
                    break;
                }
            }
        }
    }
    drop(rx);

    if failed {
        import.abandon().await?;
        let mut rows = report.rejected;
        let mut unknown: Vec<(String, Unknown)> = unknown.into_iter().collect();
        unknown.sort_by_key(|(_, u)| u.first_line);
        let n_unknown = unknown.len();
        for (code, u) in unknown {
            rows.push(Rejected {
                line: u.first_line,
                column: None,
                message: format!(
                    "unknown unit {code}{}{} ({} row{})",
                    if u.name.is_empty() { "" } else { " " },
                    u.name,
                    u.rows,
                    if u.rows == 1 { "" } else { "s" }
                ),
            });
        }
        rows.sort_by_key(|r| r.line);
        let summary = match rows.first() {
            Some(first) if n_unknown > 0 && rows.len() == n_unknown => format!(
                "{n_unknown} unknown unit code(s), first at {first}; import the TERC register (miernik import units) or add them as closed historical units with --create-missing-units"
            ),
            Some(first) => format!("{} bad row(s), first at {first}", rows.len()),
            None => "the import failed".to_owned(),
        };
        return Err(AppError::Rejected { file, summary, rows });
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
