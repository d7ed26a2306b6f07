//! Cached pages → observation records: an `ingest::RecordSource`, so a BDL load goes
//! through the same all-or-nothing import as a file. Each value becomes a record under the
//! series' variable code; the unit's BDL id is mapped to its TERYT code (units TERYT does
//! not have — regions, subregions — are skipped); the attribute becomes the flag, and a value
//! under a flag that carries none (`attrId` 0 "no data", 4 confidential, 50 "not yet
//! available"…) is stored as missing, never as the `0` the API puts in `val`. Records are
//! numbered from 1 over the whole load (`line`); problems name the cache file and JSON path.

use std::collections::VecDeque;

use ingest::{IngestError, Layout, Record, RecordSource, RowError, VariableInfo};
use model::{Value, Year};

use crate::fetch::pages_of;
use crate::page::parse_data_page;
use crate::{Cache, Plan, unit_id};

pub struct CachedSource {
    cache: Cache,
    plan: Plan,
    series: usize,
    page: u64,
    pages: Option<u64>,
    pending: VecDeque<Result<Record, RowError>>,
    line: u64,
    variables: Vec<VariableInfo>,
    pages_done: u64,
    pages_total: u64,
    skipped: u64,
}

impl CachedSource {
    /// Reads the plan's pages from the cache; every page must be there (fetch first).
    pub fn open(cache: Cache, plan: Plan) -> CachedSource {
        let pages_total = plan.series.iter().map(crate::Series::expected_pages).sum();
        let variables = plan
            .series
            .iter()
            .map(|s| VariableInfo { code: s.code.clone(), name_pl: s.name.clone(), measure_unit: None, bdl_subgroup: None })
            .fold(Vec::<VariableInfo>::new(), |mut acc, v| {
                if !acc.iter().any(|a| a.code == v.code) {
                    acc.push(v);
                }
                acc
            });
        CachedSource {
            cache,
            plan,
            series: 0,
            page: 0,
            pages: None,
            pending: VecDeque::new(),
            line: 0,
            variables,
            pages_done: 0,
            pages_total,
            skipped: 0,
        }
    }

    fn load_next_page(&mut self) -> Result<bool, IngestError> {
        let Some(s) = self.plan.series.get(self.series).cloned() else { return Ok(false) };
        let name = s.page_name(self.page);
        let path = self.cache.path(&name);
        let file = path.display().to_string();
        let text = match self.cache.get(&name) {
            Ok(Some(t)) => t,
            Ok(None) => {
                return Err(IngestError::Format {
                    file,
                    line: 0,
                    message: "this page has not been fetched; run the import again to fetch it".to_owned(),
                });
            }
            Err(e) => return Err(IngestError::Format { file, line: 0, message: e.to_string() }),
        };
        let (env, series) = parse_data_page(&text).map_err(|e| IngestError::Format { file: file.clone(), line: 0, message: e.to_string() })?;
        if self.pages.is_none() {
            let n = pages_of(env.total_records);
            self.pages_total = self.pages_total + n - s.expected_pages().min(self.pages_total + n);
            self.pages = Some(n);
        }
        for (i, u) in series.iter().enumerate() {
            let unit = match unit_id::teryt_of(&u.id) {
                Ok(Some(c)) => c,
                Ok(None) => {
                    self.skipped += u.values.len() as u64;
                    continue;
                }
                Err(e) => {
                    self.line += 1;
                    self.pending.push_back(Err(RowError {
                        file: file.clone(),
                        line: self.line,
                        column: None,
                        message: format!("{name}: results[{i}].id: {e}"),
                    }));
                    continue;
                }
            };
            for (j, v) in u.values.iter().enumerate() {
                if !s.years.is_empty() && !s.years.contains(&v.year) {
                    continue;
                }
                self.line += 1;
                let at = format!("{name}: results[{i}].values[{j}]");
                let Some(year) = Year::new(v.year) else {
                    self.pending.push_back(Err(RowError {
                        file: file.clone(),
                        line: self.line,
                        column: None,
                        message: format!("{at}.year: {} is out of range", v.year),
                    }));
                    continue;
                };
                let Some(flag) = ingest::bdl::flag_from_attr_id(v.attr_id) else {
                    self.pending.push_back(Err(RowError {
                        file: file.clone(),
                        line: self.line,
                        column: None,
                        message: format!("{at}.attrId: unknown BDL attribute {} (see /attributes)", v.attr_id),
                    }));
                    continue;
                };
                let value = if flag.carries_value() {
                    match v.val.and_then(Value::new) {
                        Some(x) => Some(x),
                        None => {
                            self.pending.push_back(Err(RowError {
                                file: file.clone(),
                                line: self.line,
                                column: None,
                                message: format!("{at}.val: attribute {} needs a value, there is none", v.attr_id),
                            }));
                            continue;
                        }
                    }
                } else {
                    None
                };
                self.pending.push_back(Ok(Record {
                    line: self.line,
                    unit: unit.clone(),
                    unit_name: Some(u.name.clone()).filter(|n| !n.is_empty()),
                    variable: s.code.clone(),
                    year,
                    value,
                    flag,
                }));
            }
        }
        self.pages_done += 1;
        self.page += 1;
        if self.page >= self.pages.unwrap_or(1) {
            self.series += 1;
            self.page = 0;
            self.pages = None;
        }
        Ok(true)
    }

    /// Values of units without a TERYT code (regions, subregions), skipped.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

/// [`CachedSource::open`] as the import pipeline takes it.
pub fn boxed(cache: Cache, plan: Plan) -> Box<dyn RecordSource> {
    Box::new(CachedSource::open(cache, plan))
}

impl RecordSource for CachedSource {
    fn layout(&self) -> Layout {
        Layout::BdlCrel
    }

    fn next_record(&mut self) -> Result<Option<Result<Record, RowError>>, IngestError> {
        loop {
            if let Some(r) = self.pending.pop_front() {
                return Ok(Some(r));
            }
            if !self.load_next_page()? {
                return Ok(None);
            }
        }
    }

    fn variables(&self) -> &[VariableInfo] {
        &self.variables
    }

    fn progress(&self) -> (u64, u64) {
        (self.pages_done, self.pages_total.max(self.pages_done))
    }

    fn empty_cells(&self) -> u64 {
        self.skipped
    }
}
