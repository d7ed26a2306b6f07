//! Slowly changing inputs (DESIGN): a variable the catalogue marks `slowly_changing` (area,
//! network length) is published as a list of some date, not for every year. When the
//! snapshot's inputs are built, a year of a unit without an observation of its own takes the
//! value of the nearest earlier year that has one (else of the nearest later), flagged
//! *estimated*, as long as the unit's territory is the same in both years. The store keeps
//! only real observations: the estimated cells are derived again for every snapshot.
//!
//! The territory of year Y is the territory on 31 XII Y. Years a < b have different
//! territories when a change took effect on a date d with a < year(d) <= b (a change on
//! 1 January 2025 separates 2024 from 2025):
//! - the registry of territorial changes records a boundary change, a merger or a split of
//!   any code the unit has had ([`territory_changed`]);
//! - the unit was created on d (its validity in the store starts then); nor does a unit get
//!   a value for a year before the one it was created in;
//! - a gmina moved between two powiaty (województwa): a same-JST code change, in the store's
//!   code history or in the registry, whose powiat (województwo) part changed alters the
//!   territory of both powiaty (województwa).
//!
//! A change of a unit's own code or kind alone is not a territorial change: a gmina wiejska
//! becomes miejsko-wiejska (RODZ 2 → 3, a new code) when one of its villages is made a town,
//! and its boundary stays where it was — 76 gminy between the TERC states of 2020 and 2025.
//! A change of boundary that comes with a new code is a registry row of its own.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::RangeInclusive;

use store::{StoredUnit, UnitCode};

use crate::territory_changes::{registry, territory_changed};

/// What the store and the registry know of one unit's territory over time.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct UnitHistory {
    /// Every code the unit has had.
    codes: Vec<String>,
    /// The year the unit was created in, when it was created after the first register state.
    created: Option<i32>,
    /// Years in which a gmina crossed the unit's border (powiaty and województwa).
    moves: Vec<i32>,
}

impl UnitHistory {
    /// Whether the unit existed in `year` (on 31 XII).
    pub(crate) fn exists_in(&self, year: i32) -> bool {
        self.created.is_none_or(|c| c <= year)
    }

    /// Whether the unit's territory differs between the years `a` and `b` (either order).
    pub(crate) fn changed(&self, a: i32, b: i32) -> bool {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let within = |y: i32| lo < y && y <= hi;
        if lo == hi {
            return false;
        }
        let codes: Vec<&str> = self.codes.iter().map(String::as_str).collect();
        self.created.is_some_and(within) || self.moves.iter().copied().any(within) || territory_changed(&codes, lo, hi)
    }
}

/// The history of each of `units` (in their order) from every unit's codes.
pub(crate) fn histories(units: &[StoredUnit], codes: &[UnitCode]) -> Vec<UnitHistory> {
    let unit_of: HashMap<&str, i64> = codes.iter().map(|c| (c.code.as_str(), c.unit_id)).collect();
    let mut by_unit: HashMap<i64, Vec<&UnitCode>> = HashMap::new();
    for c in codes {
        by_unit.entry(c.unit_id).or_default().push(c);
    }
    // Same-JST code changes (old code, new code, year): the store's, then the registry's.
    let mut changes: Vec<(String, String, i32)> = Vec::new();
    for list in by_unit.values() {
        for pair in list.windows(2) {
            let year = pair[1].valid_from.or(pair[0].valid_to).map(|d| d.year());
            if let Some(year) = year {
                changes.push((pair[0].code.as_str().to_owned(), pair[1].code.as_str().to_owned(), year));
            }
        }
    }
    for r in registry().iter().filter(|r| r.kind.same_jst()) {
        if let Some(s) = &r.successor {
            changes.push((r.code.clone(), s.clone(), r.date.year()));
        }
    }
    // A change of the powiat (województwo) part moves the gmina across a border, unless the
    // two codes are one unit's (the powiat itself got a new code).
    let mut moves: HashMap<String, Vec<i32>> = HashMap::new();
    for (old, new, year) in &changes {
        for len in [4, 2] {
            let (Some(a), Some(b)) = (old.get(..len), new.get(..len)) else { continue };
            if old.len() <= len || a == b {
                continue;
            }
            if unit_of.get(a).is_some_and(|u| unit_of.get(b) == Some(u)) {
                continue;
            }
            moves.entry(a.to_owned()).or_default().push(*year);
            moves.entry(b.to_owned()).or_default().push(*year);
        }
    }
    units
        .iter()
        .map(|u| {
            let mut own: Vec<String> = by_unit.get(&u.id).map(|l| l.iter().map(|c| c.code.as_str().to_owned()).collect()).unwrap_or_default();
            if !own.iter().any(|c| c == u.code.as_str()) {
                own.push(u.code.as_str().to_owned());
            }
            let mut m: Vec<i32> = own.iter().filter_map(|c| moves.get(c)).flatten().copied().collect();
            m.sort_unstable();
            m.dedup();
            UnitHistory { codes: own, created: u.valid_from.map(|d| d.year()), moves: m }
        })
        .collect()
}

/// Fills the years of `years` in which a unit has neither a value nor any other observation
/// (`observed`: (unit, year) of every stored observation of the variable, with or without a
/// value) from the nearest year with a value and the same territory. Adds the cells to
/// `cells` (unit, year, value) and returns them as (unit, year). Only real values are carried,
/// never a carried one.
pub(crate) fn carry(
    cells: &mut Vec<(usize, i64, f64)>,
    observed: &HashSet<(usize, i64)>,
    histories: &[UnitHistory],
    years: RangeInclusive<i64>,
) -> Vec<(usize, i64)> {
    let mut by_unit: BTreeMap<usize, BTreeMap<i64, f64>> = BTreeMap::new();
    for &(u, y, v) in cells.iter() {
        if v.is_finite() {
            by_unit.entry(u).or_default().insert(y, v);
        }
    }
    let mut filled = Vec::new();
    for (u, values) in &by_unit {
        let Some(h) = histories.get(*u) else { continue };
        for y in years.clone() {
            if values.contains_key(&y) || observed.contains(&(*u, y)) {
                continue;
            }
            let Ok(year) = i32::try_from(y) else { continue };
            if !h.exists_in(year) {
                continue;
            }
            let same = |other: i64| i32::try_from(other).is_ok_and(|o| !h.changed(o, year));
            let earlier = values.range(..y).next_back().filter(|(e, _)| same(**e));
            let from = earlier.or_else(|| values.range(y + 1..).next().filter(|(l, _)| same(**l)));
            if let Some((_, v)) = from {
                cells.push((*u, y, *v));
                filled.push((*u, y));
            }
        }
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{TerytCode, UnitKind};

    fn unit(id: i64, code: &str, from: Option<&str>) -> StoredUnit {
        StoredUnit {
            id,
            code: TerytCode::parse(code).expect("code"),
            name: code.to_owned(),
            kind: UnitKind::GminaWiejska,
            parent_id: None,
            same_jst_id: None,
            valid_from: from.and_then(model::parse_date),
            valid_to: None,
            historical: false,
        }
    }

    fn code(unit_id: i64, code: &str, from: Option<&str>, to: Option<&str>) -> UnitCode {
        UnitCode {
            unit_id,
            code: TerytCode::parse(code).expect("code"),
            valid_from: from.and_then(model::parse_date),
            valid_to: to.and_then(model::parse_date),
        }
    }

    #[test]
    fn a_value_is_carried_within_an_unchanged_territory_and_never_across_a_change() {
        // Kamienica gave Szczawa away on 2025-01-01 (in the shipped registry); Szczawa was
        // created that day; Końskowola only changed its kind (2 → 3) that day; the fourth
        // unit is a gmina with nothing happening.
        let units = [unit(1, "1207052", None), unit(2, "1207132", Some("2025-01-01")), unit(3, "0614053", None), unit(4, "0201011", None)];
        let codes = [
            code(1, "1207052", None, None),
            code(2, "1207132", Some("2025-01-01"), None),
            code(3, "0614052", None, Some("2025-01-01")),
            code(3, "0614053", Some("2025-01-01"), None),
            code(4, "0201011", None, None),
        ];
        let h = histories(&units, &codes);
        let mut cells: Vec<(usize, i64, f64)> = (0..4).map(|u| (u, 2025, 10.0 + u as f64)).collect();
        cells.push((3, 2019, 5.0));
        let observed: HashSet<(usize, i64)> = [(3, 2021)].into_iter().collect(); // confidential, say
        let filled: HashSet<(usize, i64)> = carry(&mut cells, &observed, &h, 2018..=2026).into_iter().collect();
        for y in [2018, 2019, 2020, 2021, 2022, 2023, 2024, 2026] {
            assert_eq!(filled.contains(&(0, y)), y == 2026, "Kamienica {y}: only forward, 2025 is its new territory");
            assert_eq!(filled.contains(&(1, y)), y == 2026, "Szczawa {y}: nothing before its creation");
            assert!(filled.contains(&(2, y)), "Końskowola {y}: a kind change keeps the territory");
        }
        let value = |u: usize, y: i64| cells.iter().find(|c| c.0 == u && c.1 == y).map(|c| c.2);
        assert_eq!(value(3, 2018), Some(5.0), "the nearest year with a value: 2019 before 2025");
        assert_eq!(value(3, 2020), Some(5.0), "the nearest earlier one");
        assert_eq!(value(3, 2021), None, "a year with an observation of its own (without a value) stays as it is");
        assert_eq!(value(3, 2024), Some(5.0), "earlier first, even when a later one is nearer");
        assert_eq!(value(3, 2026), Some(13.0));
        assert_eq!(cells.iter().filter(|c| c.0 == 3 && c.1 == 2019).count(), 1, "a real value is never overwritten");
    }

    #[test]
    fn a_gmina_moving_between_powiaty_changes_both_but_not_a_renumbered_powiat() {
        let units = [unit(1, "0201", None), unit(2, "0202", None), unit(3, "0202011", None), unit(4, "0265", None)];
        let codes = [
            code(1, "0201", None, None),
            code(2, "0202", None, None),
            code(3, "0201011", None, Some("2021-01-01")),
            code(3, "0202011", Some("2021-01-01"), None),
            // A powiat renumbered, with its gmina: one unit each, nothing moved.
            code(4, "0221", None, Some("2022-01-01")),
            code(4, "0265", Some("2022-01-01"), None),
            code(5, "0221011", None, Some("2022-01-01")),
            code(5, "0265011", Some("2022-01-01"), None),
        ];
        let h = histories(&units, &codes);
        assert!(h[0].changed(2020, 2021) && h[1].changed(2021, 2020));
        assert!(!h[0].changed(2021, 2024) && !h[0].changed(2019, 2020));
        assert!(!h[2].changed(2020, 2021), "the gmina itself keeps its territory");
        assert!(!h[3].changed(2021, 2022), "a new code of the powiat itself moves nothing");
    }
}
