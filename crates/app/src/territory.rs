//! Importing a TERC state: working out what changed against the units stored (a pure
//! function, [`plan_territory`]) and applying it in one transaction.
//!
//! A unit's identity survives TERYT changes: a gmina whose kind changes (RODZ 2 → 3, so its
//! 7-digit code changes) is matched by the 6-digit `WOJ+POW+GMI` base and stays the same
//! unit, with the old code kept as an alias; a new name under the same code is a rename; a
//! unit missing from the new state is closed, never deleted.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use ingest::{TercFile, TercRow};
use model::{Date, Level, TerytCode, UnitKind};
use store::{CodeChange, Link, NewUnit, Rename, Store, StoredUnit, TerritoryOutcome, TerritoryPlan};

use crate::AppError;

/// Dates of territorial changes that a pair of TERC states cannot tell by itself
/// (`data/teryt_changes.csv`).
#[derive(Debug, Clone, Default)]
pub struct KnownChanges {
    by_event: HashMap<(String, String), Date>,
}

impl KnownChanges {
    /// The registry shipped with Miernik.
    pub fn builtin() -> Self {
        // The file is ours and checked by a test, so a bad line is a bug; skip it rather
        // than fail a user's import.
        let mut known = Self::parse(include_str!("../data/teryt_changes.csv")).unwrap_or_default();
        known.add_registry(crate::territory_changes::registry());
        known
    }

    /// Adds the dates the registry of changes (`catalogue/territory_changes.csv`) knows and
    /// this list does not: a kind or code change dates the new code (and the town and rural
    /// parts of a new gmina miejsko-wiejska), a merger the closure, a split the new unit.
    pub fn add_registry(&mut self, rows: &[crate::territory_changes::TerritoryChange]) {
        use crate::territory_changes::ChangeKind;
        for r in rows {
            let mut events: Vec<(&str, String)> = Vec::new();
            match (r.kind, r.successor.as_deref()) {
                (ChangeKind::KindChange | ChangeKind::CodeChange, Some(s)) => {
                    events.push(("kind_changed", s.to_owned()));
                    if let Some(base) = s.strip_suffix('3').filter(|b| b.len() == 6) {
                        events.push(("created", format!("{base}4")));
                        events.push(("created", format!("{base}5")));
                    }
                }
                (ChangeKind::Merged, _) => events.push(("closed", r.code.clone())),
                (ChangeKind::Split, Some(s)) => events.push(("created", s.to_owned())),
                _ => {}
            }
            for (event, code) in events {
                self.by_event.entry((event.to_owned(), code)).or_insert(r.date);
            }
        }
    }

    /// Parses `date;event;code;name` lines; `#` starts a comment.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut by_event = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut f = line.split(';');
            let (Some(date), Some(event), Some(code)) = (f.next(), f.next(), f.next()) else {
                return Err(format!("line {}: expected date;event;code;name", i + 1));
            };
            let date = model::parse_date(date).ok_or_else(|| format!("line {}: bad date `{date}`", i + 1))?;
            if !matches!(event, "closed" | "kind_changed" | "created" | "renamed") {
                return Err(format!("line {}: unknown event `{event}`", i + 1));
            }
            TerytCode::parse(code).map_err(|e| format!("line {}: {e}", i + 1))?;
            by_event.insert((event.to_owned(), code.to_owned()), date);
        }
        Ok(KnownChanges { by_event })
    }

    fn date(&self, event: &str, code: &TerytCode, default: Date) -> Date {
        self.by_event.get(&(event.to_owned(), code.as_str().to_owned())).copied().unwrap_or(default)
    }
}

/// What an import of a TERC state did.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitsImportReport {
    pub state_date: Date,
    pub rows_read: u64,
    pub outcome: TerritoryOutcome,
    /// Human-readable lines for every change except the creations of a first import.
    pub events: Vec<String>,
}

fn parent_code(row: &TercRow, city_gmina: &HashMap<String, TerytCode>) -> Option<TerytCode> {
    match row.kind {
        UnitKind::Kraj => None,
        UnitKind::Wojewodztwo => Some(TerytCode::country()),
        UnitKind::Powiat | UnitKind::MiastoNaPrawachPowiatu => row.code.wojewodztwo(),
        UnitKind::GminaMiejska | UnitKind::GminaWiejska | UnitKind::GminaMiejskoWiejska => row.code.powiat(),
        UnitKind::Miasto | UnitKind::ObszarWiejski => row.code.with_rodz('3'),
        UnitKind::Dzielnica | UnitKind::Delegatura => {
            let powiat = row.code.powiat()?;
            city_gmina.get(powiat.as_str()).cloned()
        }
    }
}

fn level_order(kind: UnitKind) -> u8 {
    match kind {
        UnitKind::Kraj => 0,
        UnitKind::Wojewodztwo => 1,
        UnitKind::Powiat | UnitKind::MiastoNaPrawachPowiatu => 2,
        k if k.is_gmina() => 3,
        _ => 4,
    }
}

/// Works out what a TERC state changes against the units stored. Pure: no I/O.
pub fn plan_territory(stored: &[StoredUnit], file: &TercFile, file_name: &str, known: &KnownChanges) -> (TerritoryPlan, Vec<String>) {
    let state = file.state_date;
    let open: Vec<&StoredUnit> = stored.iter().filter(|u| u.valid_to.is_none() && !u.historical).collect();
    let first_import = open.iter().all(|u| u.kind == UnitKind::Kraj);
    let by_code: HashMap<&str, &StoredUnit> = open.iter().map(|u| (u.code.as_str(), *u)).collect();
    let in_file: HashSet<&str> = file.rows.iter().map(|r| r.code.as_str()).collect();
    let mut gmina_by_base: HashMap<&str, &StoredUnit> = HashMap::new();
    for u in &open {
        if u.kind.is_gmina()
            && !in_file.contains(u.code.as_str())
            && let Some(base) = u.code.gmina_base()
        {
            gmina_by_base.insert(base, u);
        }
    }

    let mut plan = TerritoryPlan {
        state_date: state,
        file: file_name.to_owned(),
        rows_read: file.rows.len() as u64,
        closures: Vec::new(),
        code_changes: Vec::new(),
        renames: Vec::new(),
        new_units: Vec::new(),
        links: Vec::new(),
    };
    let mut events = Vec::new();
    let mut matched: HashSet<i64> = HashSet::new();

    if !open.iter().any(|u| u.kind == UnitKind::Kraj) {
        plan.new_units.push(NewUnit {
            code: TerytCode::country(),
            name: "Polska".to_owned(),
            kind: UnitKind::Kraj,
            valid_from: None,
            valid_to: None,
            historical: false,
            parent_id: None,
        });
    }

    for row in &file.rows {
        if let Some(u) = by_code.get(row.code.as_str()) {
            matched.insert(u.id);
            if u.name != row.name {
                let date = known.date("renamed", &row.code, state);
                events.push(format!("renamed {} `{}` → `{}` from {}", row.code, u.name, row.name, model::format_date(date)));
                plan.renames.push(Rename { unit_id: u.id, new_name: row.name.clone(), date });
            }
            continue;
        }
        if row.kind.is_gmina()
            && let Some(u) = row.code.gmina_base().and_then(|b| gmina_by_base.get(b))
            && matched.insert(u.id)
        {
            let date = known.date("kind_changed", &row.code, state);
            events.push(format!(
                "code changed {} → {} `{}` ({} → {}) from {}",
                u.code,
                row.code,
                row.name,
                u.kind.as_str(),
                row.kind.as_str(),
                model::format_date(date)
            ));
            plan.code_changes.push(CodeChange { unit_id: u.id, new_code: row.code.clone(), new_kind: row.kind, date });
            if u.name != row.name {
                plan.renames.push(Rename { unit_id: u.id, new_name: row.name.clone(), date });
            }
            continue;
        }
        // A first state's units existed before it (an open start), unless the registry of
        // changes knows when one was created (a gmina carved out in 2010, the parts of a
        // gmina that became miejsko-wiejska in 2016).
        let valid_from = if first_import {
            known.by_event.get(&("created".to_owned(), row.code.as_str().to_owned())).copied().filter(|d| *d <= state)
        } else {
            let d = known.date("created", &row.code, state);
            events.push(format!("created {} `{}` ({}) from {}", row.code, row.name, row.kind.as_str(), model::format_date(d)));
            Some(d)
        };
        plan.new_units.push(NewUnit {
            code: row.code.clone(),
            name: row.name.clone(),
            kind: row.kind,
            valid_from,
            valid_to: None,
            historical: false,
            parent_id: None,
        });
    }
    plan.new_units.sort_by_key(|u| (level_order(u.kind), u.code.clone()));

    for u in &open {
        if u.kind != UnitKind::Kraj && !matched.contains(&u.id) {
            let date = known.date("closed", &u.code, state);
            events.push(format!("closed {} `{}` ({}) from {}", u.code, u.name, u.kind.as_str(), model::format_date(date)));
            plan.closures.push((u.id, date));
        }
    }

    // The gmina miejska of each city-powiat: parent of its districts, and the other record
    // of a city with powiat rights.
    let mut city_gmina: HashMap<String, TerytCode> = HashMap::new();
    let city_powiats: HashSet<&str> = file.rows.iter().filter(|r| r.kind == UnitKind::MiastoNaPrawachPowiatu).map(|r| r.code.as_str()).collect();
    for r in &file.rows {
        if r.kind == UnitKind::GminaMiejska
            && let Some(p) = r.code.powiat()
            && city_powiats.contains(p.as_str())
        {
            city_gmina.entry(p.as_str().to_owned()).or_insert_with(|| r.code.clone());
        }
    }
    plan.links.push(Link { code: TerytCode::country(), parent: None, same_jst: None });
    for r in &file.rows {
        let same_jst = match r.kind {
            UnitKind::MiastoNaPrawachPowiatu => city_gmina.get(r.code.as_str()).cloned(),
            UnitKind::GminaMiejska => {
                r.code.powiat().filter(|p| city_powiats.contains(p.as_str())).filter(|p| city_gmina.get(p.as_str()) == Some(&r.code))
            }
            _ => None,
        };
        plan.links.push(Link { code: r.code.clone(), parent: parent_code(r, &city_gmina), same_jst });
    }
    debug_assert!(plan.links.iter().all(|l| l.code.level() == Level::Kraj || in_file.contains(l.code.as_str())));
    (plan, events)
}

/// Imports a TERC file (CSV or XML) as the territorial state it is of.
pub async fn import_units(store: &Store, path: &Path) -> Result<UnitsImportReport, AppError> {
    let p = path.to_owned();
    let file =
        tokio::task::spawn_blocking(move || ingest::read_terc(&p)).await.map_err(|e| AppError::Invalid(format!("reader thread failed: {e}")))??;
    let stored = store.units().await?;
    let name = path.display().to_string();
    let (plan, events) = plan_territory(&stored, &file, &name, &KnownChanges::builtin());
    let outcome = store.apply_territory(&plan).await?;
    Ok(UnitsImportReport { state_date: file.state_date, rows_read: plan.rows_read, outcome, events })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(date: &str, rows: &[(&str, &str, UnitKind)]) -> TercFile {
        TercFile {
            state_date: model::parse_date(date).expect("date"),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, (c, n, k))| TercRow {
                    line: i as u64 + 2,
                    code: TerytCode::parse(c).expect("code"),
                    name: (*n).to_owned(),
                    kind: *k,
                    name_extra: String::new(),
                })
                .collect(),
        }
    }

    /// Applies a plan to an in-memory list the way the store does, for chained checks.
    fn apply(stored: &mut Vec<StoredUnit>, plan: &TerritoryPlan) {
        for (id, d) in &plan.closures {
            stored.iter_mut().filter(|u| u.id == *id).for_each(|u| u.valid_to = Some(*d));
        }
        for c in &plan.code_changes {
            stored.iter_mut().filter(|u| u.id == c.unit_id).for_each(|u| {
                u.code = c.new_code.clone();
                u.kind = c.new_kind;
            });
        }
        for r in &plan.renames {
            stored.iter_mut().filter(|u| u.id == r.unit_id).for_each(|u| u.name = r.new_name.clone());
        }
        for n in &plan.new_units {
            let id = stored.len() as i64 + 1;
            stored.push(StoredUnit {
                id,
                code: n.code.clone(),
                name: n.name.clone(),
                kind: n.kind,
                parent_id: None,
                same_jst_id: None,
                valid_from: n.valid_from,
                valid_to: None,
                historical: false,
            });
        }
    }

    use UnitKind::*;

    const BASE: [(&str, &str, UnitKind); 6] = [
        ("06", "LUBELSKIE", Wojewodztwo),
        ("0614", "puławski", Powiat),
        ("0614052", "Końskowola", GminaWiejska),
        ("0614011", "Puławy", GminaMiejska),
        ("0662", "Lublin", MiastoNaPrawachPowiatu),
        ("0662011", "Lublin", GminaMiejska),
    ];

    #[test]
    fn a_first_state_creates_every_unit_with_an_open_start() {
        let (plan, events) = plan_territory(&[], &file("2024-01-01", &BASE), "f", &KnownChanges::default());
        assert_eq!(plan.new_units.len(), 7, "six rows and the country");
        assert_eq!(plan.new_units[0].kind, Kraj, "parents first");
        assert!(plan.new_units.iter().all(|u| u.valid_from.is_none()));
        assert!(events.is_empty(), "a first import lists no events");
        let lublin_powiat = plan.links.iter().find(|l| l.code.as_str() == "0662").expect("link");
        assert_eq!(lublin_powiat.same_jst.as_ref().map(TerytCode::as_str), Some("0662011"));
        let lublin_gmina = plan.links.iter().find(|l| l.code.as_str() == "0662011").expect("link");
        assert_eq!(lublin_gmina.same_jst.as_ref().map(TerytCode::as_str), Some("0662"));
        assert_eq!(lublin_gmina.parent.as_ref().map(TerytCode::as_str), Some("0662"));
        let pulawy = plan.links.iter().find(|l| l.code.as_str() == "0614011").expect("link");
        assert_eq!(pulawy.same_jst, None, "an ordinary town is one record");
    }

    #[test]
    fn a_kind_change_keeps_the_unit_and_new_parts_hang_under_it() {
        let mut stored = Vec::new();
        let (p1, _) = plan_territory(&stored, &file("2024-01-01", &BASE), "f", &KnownChanges::default());
        apply(&mut stored, &p1);
        let mut rows = BASE.to_vec();
        rows[2] = ("0614053", "Końskowola", GminaMiejskoWiejska);
        rows.push(("0614054", "Końskowola", Miasto));
        rows.push(("0614055", "Końskowola", ObszarWiejski));
        let (p2, events) = plan_territory(&stored, &file("2025-01-01", &rows), "f", &KnownChanges::default());
        assert_eq!(p2.code_changes.len(), 1);
        let id = stored.iter().find(|u| u.code.as_str() == "0614052").expect("old").id;
        assert_eq!(p2.code_changes[0].unit_id, id, "the same unit");
        assert_eq!(p2.code_changes[0].new_kind, GminaMiejskoWiejska);
        assert_eq!(p2.new_units.len(), 2, "only the parts are new");
        assert!(p2.closures.is_empty());
        assert!(events[0].contains("0614052 → 0614053"), "{events:?}");
        let town = p2.links.iter().find(|l| l.code.as_str() == "0614054").expect("link");
        assert_eq!(town.parent.as_ref().map(TerytCode::as_str), Some("0614053"));
        let date = model::parse_date("2025-01-01");
        assert_eq!(p2.new_units[0].valid_from, date);
    }

    #[test]
    fn a_missing_unit_is_closed_and_a_known_date_wins_over_the_state_date() {
        let mut stored = Vec::new();
        let (p1, _) = plan_territory(&stored, &file("2018-01-02", &BASE), "f", &KnownChanges::default());
        apply(&mut stored, &p1);
        let rows: Vec<_> = BASE.iter().copied().filter(|r| r.0 != "0614011").collect();
        let known = KnownChanges::parse("2019-01-01;closed;0614011;Puławy").expect("registry");
        let (p2, _) = plan_territory(&stored, &file("2020-01-01", &rows), "f", &known);
        assert_eq!(p2.closures.len(), 1);
        assert_eq!(Some(p2.closures[0].1), model::parse_date("2019-01-01"));
        let (p3, _) = plan_territory(&stored, &file("2020-01-01", &rows), "f", &KnownChanges::default());
        assert_eq!(Some(p3.closures[0].1), model::parse_date("2020-01-01"), "unknown: the new state's date");
    }

    #[test]
    fn a_new_name_under_the_same_code_is_a_rename_and_the_same_state_twice_changes_nothing() {
        let mut stored = Vec::new();
        let (p1, _) = plan_territory(&stored, &file("2025-01-01", &BASE), "f", &KnownChanges::default());
        apply(&mut stored, &p1);
        let (same, _) = plan_territory(&stored, &file("2025-01-01", &BASE), "f", &KnownChanges::default());
        assert!(same.new_units.is_empty() && same.closures.is_empty() && same.code_changes.is_empty() && same.renames.is_empty());
        let mut rows = BASE.to_vec();
        rows[3] = ("0614011", "Puławy Nowe", GminaMiejska);
        let (p2, _) = plan_territory(&stored, &file("2026-01-01", &rows), "f", &KnownChanges::default());
        assert_eq!(p2.renames.len(), 1);
        assert_eq!(p2.renames[0].new_name, "Puławy Nowe");
        assert!(p2.new_units.is_empty() && p2.closures.is_empty());
    }

    #[test]
    fn the_builtin_registry_parses_completely() {
        let text = include_str!("../data/teryt_changes.csv");
        let parsed = KnownChanges::parse(text).expect("registry is valid");
        let lines = text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).count();
        assert_eq!(parsed.by_event.len(), lines);
        let ostrowice = TerytCode::parse("3203042").expect("code");
        let fallback = model::new_year(2020).expect("date");
        assert_eq!(parsed.date("closed", &ostrowice, fallback), model::new_year(2019).expect("date"));
        assert_eq!(parsed.date("renamed", &ostrowice, fallback), fallback);
    }

    #[test]
    fn the_registry_of_changes_dates_what_a_pair_of_states_cannot() {
        let known = KnownChanges::builtin();
        let code = |c: &str| TerytCode::parse(c).expect("code");
        let state = model::new_year(2024).expect("date");
        // Kamieniec Ząbkowicki became miejsko-wiejska on 2021-01-01: between the 2020 and the
        // 2024 states, dated by the data (RYNE_1944), with its town and rural parts.
        for c in ["0224033", "0224034", "0224035"] {
            let event = if c.ends_with('3') { "kind_changed" } else { "created" };
            assert_eq!(known.date(event, &code(c), state), model::new_year(2021).expect("date"), "{c}");
        }
        // The list's own dates stay (Ostrowice closed 2019-01-01 in both).
        assert_eq!(known.date("closed", &code("3203042"), state), model::new_year(2019).expect("date"));
        // Szczawa carved out of Kamienica on 2025-01-01.
        assert_eq!(known.date("created", &code("1207132"), state), model::new_year(2025).expect("date"));
        assert_eq!(known.date("kind_changed", &code("0614053"), state), state, "unknown: the state's date");
    }

    #[test]
    fn a_first_state_dates_only_the_units_the_registry_knows_were_created() {
        let rows = [
            ("12", "MAŁOPOLSKIE", Wojewodztwo),
            ("1207", "limanowski", Powiat),
            ("1207052", "Kamienica", GminaWiejska),
            ("1207132", "Szczawa", GminaWiejska),
        ];
        let (plan, events) = plan_territory(&[], &file("2026-01-01", &rows), "f", &KnownChanges::builtin());
        let from = |c: &str| plan.new_units.iter().find(|u| u.code.as_str() == c).expect("unit").valid_from;
        assert_eq!(from("1207132"), model::new_year(2025), "Szczawa was carved out on 2025-01-01");
        assert_eq!(from("1207052"), None, "Kamienica existed before");
        assert!(events.is_empty());
        let (older, _) = plan_territory(&[], &file("2024-01-01", &rows), "f", &KnownChanges::builtin());
        assert_eq!(older.new_units.iter().find(|u| u.code.as_str() == "1207132").expect("unit").valid_from, None, "never after the state");
    }

    #[test]
    fn bad_registry_lines_are_refused_with_their_line() {
        let err = KnownChanges::parse("2019-01-01;closed;3203042;x\n2019-13-01;closed;3203042;x").expect_err("bad date");
        assert!(err.starts_with("line 2"), "{err}");
        let err = KnownChanges::parse("2019-01-01;vanished;3203042;x").expect_err("bad event");
        assert!(err.contains("vanished"), "{err}");
    }
}
