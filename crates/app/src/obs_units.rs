//! The units of an observation import over time: which unit a code of the file means (its
//! current code, an old code of the store, an old code the registry of changes links to a
//! current unit, or a historical unit created for it), the validity of created historical
//! units (from the name, the data and the register), the unknown codes counted once each,
//! and the records of one JST that disagree.
//!
//! **One JST, one value.** Rows of units that can be reached by two records — a unit under
//! two codes (an old and a new one), and the gmina record and the powiat record of a city
//! with powiat rights (`same_jst_id`) — are held back while the file is read and settled at
//! its end:
//! - two codes of one unit, same variable and year: equal values are one row; different
//!   values keep the row under the code valid on 31 XII of that year and report the other;
//! - the two records of a city with powiat rights keep their own series (powiat comparisons
//!   read the powiat record, gmina comparisons the gmina record). When both have a value for
//!   a variable and year and the values differ, they are made equal and the case is reported
//!   as *rozbieżne rekordy jednej JST / conflicting records of one JST*: within one file the
//!   gmina record's value wins (the JST's own record); against a value already stored the
//!   value of this import wins, as any re-imported value does (the replaced one stays in the
//!   history).

use std::collections::HashMap;
use std::fmt;

use ingest::Record;
use model::{Date, Level, TerytCode, UnitKind};
use rustc_hash::{FxHashMap, FxHashSet};
use store::{NewUnit, ObsRow, ObservationImport, Store};

use crate::territory_changes::{self, ChangeKind};
use crate::{AppError, Rejected};

/// How many unknown codes a refusal lists (all are counted).
const UNKNOWN_LISTED: usize = 10;
/// Values closer than this (relative) are the same value.
const SAME: f64 = 1e-9;

/// One side of a disagreement: a record's code, value and line (`None`: already stored).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRef {
    pub code: String,
    pub value: Option<f64>,
    pub line: Option<u64>,
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value {
            Some(v) => write!(f, "{} = {v}", self.code)?,
            None => write!(f, "{} = (no value)", self.code)?,
        }
        match self.line {
            Some(l) => write!(f, " (line {l})"),
            None => f.write_str(" (stored)"),
        }
    }
}

/// Two records of one JST (or one unit under two codes) with different values of one
/// variable in one year, and what the import did about it.
#[derive(Debug, Clone, PartialEq)]
pub struct JstConflict {
    pub variable: String,
    pub year: i64,
    /// The value that stands.
    pub kept: RecordRef,
    /// The other record: dropped (a row of the file under another code of the same unit) or
    /// replaced by the kept value (the other record of a city with powiat rights).
    pub other: RecordRef,
    pub replaced: bool,
}

impl fmt::Display for JstConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rozbieżne rekordy jednej JST / conflicting records of one JST: {} {}: kept {}; {} {}",
            self.variable,
            self.year,
            self.kept,
            self.other,
            if self.replaced { "set to the kept value / zastąpiono" } else { "dropped / pominięto" }
        )
    }
}

struct Unknown {
    name: String,
    first_line: u64,
    rows: u64,
}

/// A historical unit created by this import, with what its validity comes from.
struct Created {
    id: i64,
    code: TerytCode,
    name: String,
    name_from: Option<i32>,
    name_to: Option<i32>,
    first: i64,
    last: i64,
}

/// A held row of a unit reachable by two records.
#[derive(Clone)]
struct Held {
    value: Option<f64>,
    flag: i64,
    line: u64,
    code: String,
}

/// One link of a registry chain: `code` was the unit's code from `from` until `to`, then
/// `successor`.
#[derive(Clone)]
struct Link {
    code: TerytCode,
    from: Option<Date>,
    to: Date,
    successor: TerytCode,
}

/// (variable id, unit id, year).
type Key = (i64, i64, i64);

/// The units side of one observation import.
pub(crate) struct Units {
    by_code: FxHashMap<String, i64>,
    /// Codes the store does not know that the registry links to a stored unit: the chain of
    /// old codes to attach, oldest first, and the unit.
    links: FxHashMap<String, (Vec<Link>, i64)>,
    kind: FxHashMap<i64, UnitKind>,
    current: FxHashMap<i64, String>,
    validity: FxHashMap<(i64, String), (Option<Date>, Option<Date>)>,
    partner: FxHashMap<i64, i64>,
    watched: FxHashSet<i64>,
    created: FxHashMap<String, Created>,
    unknown: HashMap<String, Unknown>,
    /// The first and last year of the whole file.
    years: Option<(i64, i64)>,
    states: Vec<Date>,
    held: FxHashMap<Key, Vec<Held>>,
    /// Old codes attached to current units by this import: (old code, current code).
    pub linked: Vec<(String, String)>,
}

/// 31 December of a year: the day whose territory (and code) a year's value describes.
fn year_end(year: i64) -> Option<Date> {
    Date::from_calendar_date(i32::try_from(year).ok()?, time::Month::December, 31).ok()
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y || (x - y).abs() <= SAME * x.abs().max(y.abs()),
        (None, None) => true,
        _ => false,
    }
}

fn covers(v: &(Option<Date>, Option<Date>), d: Date) -> bool {
    v.0.is_none_or(|f| f <= d) && v.1.is_none_or(|t| d < t)
}

impl Units {
    /// Reads the store's units, codes and TERC states, and the registry's links.
    pub(crate) async fn load(store: &Store) -> Result<Self, AppError> {
        let mut codes = store.unit_codes().await?;
        // Old codes first, so that a code valid now overrides an alias of another unit.
        codes.sort_by_key(|c| (c.valid_to.is_none(), c.valid_to));
        let mut by_code: FxHashMap<String, i64> = FxHashMap::default();
        let mut validity = FxHashMap::default();
        let mut per_unit: FxHashMap<i64, usize> = FxHashMap::default();
        for c in codes {
            *per_unit.entry(c.unit_id).or_default() += 1;
            validity.insert((c.unit_id, c.code.as_str().to_owned()), (c.valid_from, c.valid_to));
            by_code.insert(c.code.as_str().to_owned(), c.unit_id);
        }
        let mut kind = FxHashMap::default();
        let mut current = FxHashMap::default();
        let mut partner = FxHashMap::default();
        for u in store.units().await? {
            kind.insert(u.id, u.kind);
            current.insert(u.id, u.code.as_str().to_owned());
            if let Some(p) = u.same_jst_id {
                partner.insert(u.id, p);
                partner.insert(p, u.id);
            }
        }
        let mut watched: FxHashSet<i64> = per_unit.iter().filter(|(_, n)| **n > 1).map(|(u, _)| *u).collect();
        watched.extend(partner.keys().copied());
        let links = registry_links(&by_code);
        watched.extend(links.values().map(|(_, u)| *u));
        Ok(Units {
            by_code,
            links,
            kind,
            current,
            validity,
            partner,
            watched,
            created: FxHashMap::default(),
            unknown: HashMap::new(),
            years: None,
            states: store.territory_states().await?,
            held: FxHashMap::default(),
            linked: Vec::new(),
        })
    }

    /// The unit a record is about: known, linked through the registry (the old codes are
    /// attached to the current unit inside the import), or created as a historical unit when
    /// `create` — else `None` (counted as unknown).
    pub(crate) async fn resolve(&mut self, rec: &Record, import: &mut ObservationImport, create: bool) -> Result<Option<i64>, AppError> {
        let year = i64::from(rec.year.get());
        self.years = Some(self.years.map_or((year, year), |(a, b)| (a.min(year), b.max(year))));
        let code = rec.unit.as_str();
        if let Some(&id) = self.by_code.get(code) {
            if let Some(c) = self.created.get_mut(code) {
                c.first = c.first.min(year);
                c.last = c.last.max(year);
            }
            return Ok(Some(id));
        }
        if let Some((chain, unit)) = self.links.get(code).cloned() {
            for l in &chain {
                if self.by_code.contains_key(l.code.as_str()) {
                    continue;
                }
                import.attach_code(unit, &l.code, l.from, l.to, &l.successor).await?;
                self.validity.insert((unit, l.code.as_str().to_owned()), (l.from, Some(l.to)));
                if let Some(v) = self.validity.get_mut(&(unit, l.successor.as_str().to_owned()))
                    && v.0.is_none()
                {
                    v.0 = Some(l.to);
                }
                self.by_code.insert(l.code.as_str().to_owned(), unit);
                self.links.remove(l.code.as_str());
                self.linked.push((l.code.as_str().to_owned(), self.current.get(&unit).cloned().unwrap_or_default()));
            }
            self.watched.insert(unit);
            return Ok(Some(unit));
        }
        if !create {
            let entry = self.unknown.entry(code.to_owned()).or_insert_with(|| Unknown { name: quoted_name(rec), first_line: rec.line, rows: 0 });
            entry.rows += 1;
            return Ok(None);
        }
        let u = historical_unit(rec, &self.by_code);
        let id = import.create_unit(&u).await?;
        let parsed = ingest::bdl::parse_unit_name(rec.unit_name.as_deref().unwrap_or(""));
        self.created.insert(
            code.to_owned(),
            Created {
                id,
                code: rec.unit.clone(),
                name: u.name.clone(),
                name_from: parsed.from_year,
                name_to: parsed.to_year,
                first: year,
                last: year,
            },
        );
        self.kind.insert(id, u.kind);
        self.current.insert(id, code.to_owned());
        self.by_code.insert(code.to_owned(), id);
        Ok(Some(id))
    }

    /// The historical units created by this import: (code, name), in the order created.
    pub(crate) fn created_units(&self) -> Vec<(String, String)> {
        let mut list: Vec<&Created> = self.created.values().collect();
        list.sort_by_key(|c| c.id);
        list.into_iter().map(|c| (c.code.as_str().to_owned(), c.name.clone())).collect()
    }

    /// Holds the row when its unit can be reached by two records; gives it back otherwise.
    pub(crate) fn hold(&mut self, row: ObsRow, rec: &Record) -> Option<ObsRow> {
        if !self.watched.contains(&row.unit_id) {
            return Some(row);
        }
        let key = (row.variable_id, row.unit_id, row.year);
        self.held.entry(key).or_default().push(Held { value: row.value, flag: row.flag, line: rec.line, code: rec.unit.as_str().to_owned() });
        None
    }

    /// How many distinct unknown codes were met.
    pub(crate) fn unknown_count(&self) -> usize {
        self.unknown.len()
    }

    /// One entry per unknown code (by first line): `unknown unit CODE NAME (N rows)`.
    pub(crate) fn unknown_rows(&self, limit: usize) -> Vec<Rejected> {
        let mut list: Vec<(&String, &Unknown)> = self.unknown.iter().collect();
        list.sort_by_key(|(code, u)| (u.first_line, (*code).clone()));
        list.into_iter()
            .take(limit)
            .map(|(code, u)| Rejected {
                line: u.first_line,
                column: None,
                message: format!(
                    "unknown unit {code}{}{} ({} row{})",
                    if u.name.is_empty() { "" } else { " " },
                    u.name,
                    u.rows,
                    if u.rows == 1 { "" } else { "s" }
                ),
            })
            .collect()
    }

    /// The refusal of an all-or-nothing import: bad rows and unknown codes, the unknown ones
    /// counted as distinct codes and the first few listed. `complete`: the whole file was
    /// read (else the count is a lower bound).
    pub(crate) fn refusal(&self, file: String, bad: Vec<Rejected>, complete: bool) -> AppError {
        let n = self.unknown.len();
        let listed = self.unknown_rows(UNKNOWN_LISTED);
        let first_unknown = listed.first().cloned();
        let mut rows = bad.clone();
        rows.extend(listed);
        rows.sort_by_key(|r| r.line);
        let at_least = if complete { "" } else { "at least " };
        let first_few = if n > UNKNOWN_LISTED { format!(" (the first {UNKNOWN_LISTED} listed)") } else { String::new() };
        let codes = format!("{at_least}{n} unknown unit code(s){first_few}");
        let summary = match (bad.first(), first_unknown) {
            (None, Some(first)) => format!(
                "{codes}, first at {first}; import the TERC register (miernik import units) or add them as closed historical units with --create-missing-units"
            ),
            (Some(_), Some(_)) => format!("{} bad row(s) and {codes}, first at {}", bad.len(), rows[0]),
            (Some(first), None) => format!("{} bad row(s), first at {first}", bad.len()),
            (None, None) => "the import failed".to_owned(),
        };
        AppError::Rejected { file, summary, rows }
    }

    /// At the end of the import, inside its transaction: sets the validity of the historical
    /// units created, settles the held rows (one value per JST) and writes them. Returns the
    /// disagreements found.
    pub(crate) async fn settle(
        &mut self,
        import: &mut ObservationImport,
        store: &Store,
        file: &str,
        variables: &FxHashMap<String, i64>,
    ) -> Result<Vec<JstConflict>, AppError> {
        self.set_validity(import).await?;
        let var_code: FxHashMap<i64, &str> = variables.iter().map(|(c, id)| (*id, c.as_str())).collect();
        let code_of = |id: i64| var_code.get(&id).copied().unwrap_or("?").to_owned();
        let mut conflicts = Vec::new();

        // One unit under several codes.
        let mut keys: Vec<Key> = self.held.keys().copied().collect();
        keys.sort_unstable();
        let mut chosen: FxHashMap<Key, Held> = FxHashMap::default();
        for key in &keys {
            let rows = &self.held[key];
            let mut distinct: Vec<&Held> = Vec::new();
            for r in rows {
                if let Some(prev) = distinct.iter().find(|d| d.code == r.code) {
                    if !same(prev.value, r.value) || prev.flag != r.flag {
                        return Err(AppError::Rejected {
                            file: file.to_owned(),
                            summary: format!(
                                "lines {} and {} give unit {} variable {} year {} different values",
                                prev.line,
                                r.line,
                                r.code,
                                code_of(key.0),
                                key.2
                            ),
                            rows: vec![Rejected { line: r.line, column: None, message: format!("conflicts with line {}", prev.line) }],
                        });
                    }
                    continue;
                }
                distinct.push(r);
            }
            let first = distinct[0];
            if distinct.iter().all(|d| same(d.value, first.value) && d.flag == first.flag) {
                chosen.insert(*key, first.clone());
                continue;
            }
            let keep = self.code_of_year(key.1, key.2, &distinct).unwrap_or(first);
            for other in distinct.iter().filter(|d| d.code != keep.code) {
                conflicts.push(JstConflict {
                    variable: code_of(key.0),
                    year: key.2,
                    kept: RecordRef { code: keep.code.clone(), value: keep.value, line: Some(keep.line) },
                    other: RecordRef { code: other.code.clone(), value: other.value, line: Some(other.line) },
                    replaced: false,
                });
            }
            chosen.insert(*key, keep.clone());
        }

        // The two records of a city with powiat rights.
        let mut out = chosen.clone();
        for key in &keys {
            let c = &chosen[key];
            let Some(&p) = self.partner.get(&key.1) else { continue };
            let Some(v) = c.value else { continue };
            let pk = (key.0, p, key.2);
            let p_code = self.current.get(&p).cloned().unwrap_or_default();
            if let Some(pc) = chosen.get(&pk) {
                if key.1 > p || pc.value.is_none() || same(pc.value, c.value) {
                    continue;
                }
                let gmina_first = self.kind.get(&key.1).is_some_and(|k| k.level() == Level::Gmina);
                let (win, lose, lose_key) = if gmina_first { (c, pc, pk) } else { (pc, c, *key) };
                out.insert(lose_key, Held { value: win.value, flag: win.flag, line: win.line, code: win.code.clone() });
                conflicts.push(JstConflict {
                    variable: code_of(key.0),
                    year: key.2,
                    kept: RecordRef { code: win.code.clone(), value: win.value, line: Some(win.line) },
                    other: RecordRef { code: lose.code.clone(), value: lose.value, line: Some(lose.line) },
                    replaced: true,
                });
                continue;
            }
            if let Some((Some(stored), _)) = store.observation(key.0, p, key.2).await?
                && !same(Some(stored), Some(v))
            {
                out.insert(pk, c.clone());
                conflicts.push(JstConflict {
                    variable: code_of(key.0),
                    year: key.2,
                    kept: RecordRef { code: c.code.clone(), value: c.value, line: Some(c.line) },
                    other: RecordRef { code: p_code, value: Some(stored), line: None },
                    replaced: true,
                });
            }
        }
        let mut rows: Vec<ObsRow> =
            out.into_iter().map(|((variable_id, unit_id, year), h)| ObsRow { variable_id, unit_id, year, value: h.value, flag: h.flag }).collect();
        rows.sort_unstable_by_key(|r| (r.variable_id, r.unit_id, r.year));
        for chunk in rows.chunks(4000) {
            import.write(chunk.to_vec()).await?;
        }
        self.held.clear();
        conflicts.sort_by(|a, b| (a.variable.as_str(), a.year, &a.kept.code).cmp(&(b.variable.as_str(), b.year, &b.kept.code)));
        Ok(conflicts)
    }

    /// Of several records of one unit, the one under the code valid on 31 XII of the year.
    fn code_of_year<'a>(&self, unit: i64, year: i64, rows: &[&'a Held]) -> Option<&'a Held> {
        let end = year_end(year)?;
        let valid: Vec<&&Held> = rows.iter().filter(|r| self.validity.get(&(unit, r.code.clone())).is_some_and(|v| covers(v, end))).collect();
        match valid.as_slice() {
            [one] => Some(**one),
            _ => {
                let now = self.current.get(&unit)?;
                rows.iter().find(|r| &r.code == now).copied()
            }
        }
    }

    /// The validity of every historical unit created: from the name's `od`/`do`, else the
    /// first/last year with data in this file (when it is not the file's own first/last
    /// year), else the registry; never past the day a successor's code appears in the store.
    async fn set_validity(&self, import: &mut ObservationImport) -> Result<(), AppError> {
        let Some((file_first, file_last)) = self.years else { return Ok(()) };
        let mut created: Vec<&Created> = self.created.values().collect();
        created.sort_by_key(|c| c.id);
        for c in created {
            let (from, to) = self.validity_of(c, file_first, file_last);
            import.set_unit_validity(c.id, from, Some(to)).await?;
        }
        Ok(())
    }

    fn validity_of(&self, c: &Created, file_first: i64, file_last: i64) -> (Option<Date>, Date) {
        let year = |y: i64| i32::try_from(y).ok().and_then(model::new_year);
        let code = c.code.as_str();
        let registry_end = territory_changes::registry()
            .iter()
            .filter(|r| r.code == code && matches!(r.kind, ChangeKind::Merged | ChangeKind::KindChange | ChangeKind::CodeChange))
            .map(|r| r.date)
            .min();
        let data_to = (c.last < file_last).then(|| year(c.last + 1)).flatten();
        let data_from = (c.first > file_first).then(|| year(c.first)).flatten();
        let to = c.name_to.and_then(|y| model::new_year(y + 1)).or(data_to).or(registry_end).or_else(|| year(c.last + 1));
        let cap = self.successor_appears(&c.code);
        let to = match (to, cap) {
            (Some(t), Some(cap)) => t.min(cap),
            (Some(t), None) => t,
            (None, Some(cap)) => cap,
            (None, None) => time::OffsetDateTime::now_utc().date(),
        };
        let from = c.name_from.and_then(model::new_year).or(data_from).filter(|f| *f < to);
        (from, to)
    }

    /// The first day a successor of `code` is known to bear its code: a gmina of the same
    /// `WWPPGG` base (another RODZ 1/2/3), or the registry's successor, as stored; an open
    /// start means the oldest TERC state imported.
    fn successor_appears(&self, code: &TerytCode) -> Option<Date> {
        let mut successors: Vec<String> = territory_changes::registry()
            .iter()
            .filter(|r| r.code == code.as_str() && r.kind != ChangeKind::Boundary && r.kind != ChangeKind::Split)
            .filter_map(|r| r.successor.clone())
            .collect();
        if let (Some(base), Some(r)) = (code.gmina_base(), code.rodz())
            && matches!(r, '1' | '2' | '3')
        {
            successors.extend(['1', '2', '3'].into_iter().filter(|x| *x != r).map(|x| format!("{base}{x}")));
        }
        successors
            .iter()
            .filter_map(|s| {
                let unit = *self.by_code.get(s)?;
                if self.created.contains_key(s) {
                    return None;
                }
                let from = self.validity.get(&(unit, s.clone())).and_then(|v| v.0);
                from.or_else(|| self.states.first().copied())
            })
            .min()
    }
}

/// The registry's same-JST links (kind and code changes) whose old code the store does not
/// know, each followed to a stored unit: old code → (the chain of codes to attach, unit).
fn registry_links(by_code: &FxHashMap<String, i64>) -> FxHashMap<String, (Vec<Link>, i64)> {
    let rows: Vec<_> = territory_changes::registry().iter().filter(|r| r.kind.same_jst()).collect();
    let began = |code: &str| rows.iter().filter(|r| r.successor.as_deref() == Some(code)).map(|r| r.date).max();
    let mut out = FxHashMap::default();
    for start in &rows {
        if by_code.contains_key(&start.code) {
            continue;
        }
        let mut chain = Vec::new();
        let mut at = start.code.clone();
        let mut unit = None;
        for _ in 0..16 {
            let Some(row) = rows.iter().find(|r| r.code == at) else { break };
            let (Ok(code), Some(Ok(successor))) = (TerytCode::parse(&row.code), row.successor.as_deref().map(TerytCode::parse)) else { break };
            chain.push(Link { code, from: began(&row.code), to: row.date, successor: successor.clone() });
            if let Some(&u) = by_code.get(successor.as_str()) {
                unit = Some(u);
                break;
            }
            at = successor.as_str().to_owned();
        }
        if let Some(u) = unit {
            out.insert(start.code.clone(), (chain, u));
        }
    }
    out
}

/// The unit's name as the file gives it, cut to a quote's length.
fn quoted_name(rec: &Record) -> String {
    model::excerpt(rec.unit_name.as_deref().unwrap_or(""), ingest::limits::QUOTE_CHARS).into_owned()
}

/// A historical unit for a code no TERC state knows, as first seen; its validity is settled
/// when the whole file is read ([`Units::settle`]). Its parent is the stored powiat (of a
/// gmina) or województwo (of a powiat) when there is one.
fn historical_unit(record: &Record, by_code: &FxHashMap<String, i64>) -> NewUnit {
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
    let parent = match record.unit.level() {
        Level::Gmina => record.unit.powiat(),
        Level::Powiat => record.unit.wojewodztwo(),
        _ => None,
    };
    let year = i32::from(record.year.get());
    NewUnit {
        code: record.unit.clone(),
        name: if parsed.name.is_empty() { raw } else { parsed.name },
        kind,
        valid_from: parsed.from_year.and_then(model::new_year),
        valid_to: parsed.to_year.unwrap_or(year).checked_add(1).and_then(model::new_year),
        historical: true,
        parent_id: parent.and_then(|p| by_code.get(p.as_str()).copied()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_links_follow_chains_to_a_stored_unit() {
        // Rejowiec: 0606082 → 0603152 (2006) → 0603153 (2017); only the last is stored.
        let by_code: FxHashMap<String, i64> = [("0603153".to_owned(), 7), ("0202033".to_owned(), 9)].into_iter().collect();
        let links = registry_links(&by_code);
        let (chain, unit) = links.get("0606082").expect("Rejowiec's first code is linked");
        assert_eq!(*unit, 7);
        let codes: Vec<&str> = chain.iter().map(|l| l.code.as_str()).collect();
        assert_eq!(codes, ["0606082", "0603152"]);
        assert_eq!(chain[0].to, chain[1].from.expect("the second code begins where the first ended"));
        assert!(chain[0].from.is_none());
        let (chain, unit) = links.get("0202031").expect("Pieszyce (1)");
        assert_eq!((*unit, chain.len()), (9, 1));
        assert_eq!(chain[0].to, model::new_year(2016).expect("date"));
        assert!(!links.contains_key("0202033"), "a stored code is no link");
    }

    #[test]
    fn a_conflict_names_both_records_and_the_outcome() {
        let c = JstConflict {
            variable: "ludnosc".into(),
            year: 2020,
            kept: RecordRef { code: "1465".into(), value: Some(1861774.0), line: Some(3) },
            other: RecordRef { code: "1465011".into(), value: Some(1794166.0), line: None },
            replaced: true,
        };
        let s = c.to_string();
        for part in ["conflicting records of one JST", "rozbieżne rekordy jednej JST", "1465 = 1861774 (line 3)", "1465011 = 1794166 (stored)"] {
            assert!(s.contains(part), "{part} in {s}");
        }
    }
}
