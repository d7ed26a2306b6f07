//! Comparison groups (grupy porównawcze): the three fixed partitions every snapshot
//! precomputes, and the rules that put a unit into a group.
//!
//! * **country** (`kraj`) — every unit of the same comparison level in Poland;
//! * **wojewodztwo** — the units of the same level in the same województwo;
//! * **typology** (`typologia`) — the same unit kind and the same population class in that
//!   year (a gmina that grows past 20,000 moves to the next class from that year on).
//!
//! Comparison levels: gminy (miejskie, wiejskie, miejsko-wiejskie) are compared with gminy;
//! miasta na prawach powiatu with each other (they carry the tasks of a gmina *and* a powiat,
//! and are many times larger than the typical gmina); powiaty ziemskie with powiaty;
//! województwa with województwa.
//!
//! Population classes (by the population on 31 XII of the year, variable `ludnosc`). They are
//! Miernik's own, made by merging adjacent size classes of GUS's tables of gminy by
//! population (under 2 / 2–5 / 5–7 / 7–10 / 10–15 / 15–20 / 20–50 / 50–100 / 100–200 /
//! 200+ thousand) so that each group in a real year holds enough units to compare with; SMUP
//! and SAS publish groups of the same spirit (kind × size) but we found no public definition
//! of their exact thresholds to copy:
//!
//! | kind | classes |
//! |---|---|
//! | gmina miejska, wiejska, miejsko-wiejska | < 5k, 5–10k, 10–20k, 20–50k, 50–100k, ≥ 100k |
//! | miasto na prawach powiatu | < 100k, 100–200k, ≥ 200k |
//! | powiat | < 50k, 50–100k, ≥ 100k |
//! | województwo | one class |
//!
//! A unit without a population figure in a year takes the nearest year's; with none at all
//! it has no typology group (no group statistics, no rank): lumping such units together
//! would compare a city with a village. Poland itself is in the snapshot (its indicators
//! are computed) but in no group: it has no peers.

use engine::snapshot::{NO_GROUP, Partition};
use model::UnitKind;
use rustc_hash::FxHashMap;

/// The partitions' machine names, in the order the snapshot holds them.
pub const PARTITIONS: [&str; 3] = ["country", "wojewodztwo", "typology"];

/// Polish and English names of a partition, for people.
pub fn partition_label(name: &str) -> (&'static str, &'static str) {
    match name {
        "country" => ("kraj", "country"),
        "wojewodztwo" => ("województwo", "voivodeship"),
        "typology" => ("typologia (rodzaj × klasa wielkości)", "typology (kind × size class)"),
        _ => ("grupa", "group"),
    }
}

/// The comparison level of a unit kind; none for kinds that are not compared (parts of
/// gminy, districts, Poland itself).
pub fn comparison_level(kind: UnitKind) -> Option<&'static str> {
    match kind {
        UnitKind::GminaMiejska | UnitKind::GminaWiejska | UnitKind::GminaMiejskoWiejska => Some("gmina"),
        UnitKind::MiastoNaPrawachPowiatu => Some("miasto_na_prawach_powiatu"),
        UnitKind::Powiat => Some("powiat"),
        UnitKind::Wojewodztwo => Some("wojewodztwo"),
        _ => None,
    }
}

/// The population class of a unit of `kind` with `population` inhabitants; none when the
/// kind is classed by population and the population is unknown.
pub fn population_class(kind: UnitKind, population: Option<f64>) -> Option<&'static str> {
    if !matches!(
        kind,
        UnitKind::GminaMiejska | UnitKind::GminaWiejska | UnitKind::GminaMiejskoWiejska | UnitKind::MiastoNaPrawachPowiatu | UnitKind::Powiat
    ) {
        return Some("all");
    }
    let k = population? / 1000.0;
    Some(match kind {
        UnitKind::GminaMiejska | UnitKind::GminaWiejska | UnitKind::GminaMiejskoWiejska => match k {
            k if k < 5.0 => "<5k",
            k if k < 10.0 => "5-10k",
            k if k < 20.0 => "10-20k",
            k if k < 50.0 => "20-50k",
            k if k < 100.0 => "50-100k",
            _ => ">=100k",
        },
        UnitKind::MiastoNaPrawachPowiatu => match k {
            k if k < 100.0 => "<100k",
            k if k < 200.0 => "100-200k",
            _ => ">=200k",
        },
        UnitKind::Powiat => match k {
            k if k < 50.0 => "<50k",
            k if k < 100.0 => "50-100k",
            _ => ">=100k",
        },
        _ => "all",
    })
}

/// Why a unit is in no group of a fixed partition in a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoGroup {
    /// Its kind is not compared with others (Poland, parts of gminy).
    NotCompared,
    /// No typology group: no population figure for the year (nor any other year).
    NoPopulation { year: i32 },
}

impl NoGroup {
    /// The reason in Polish and in English.
    pub fn words(self) -> (String, String) {
        match self {
            NoGroup::NotCompared => (
                "jednostka nie jest porównywana z innymi: nie ma jednostek tego samego rodzaju, więc nie ma grupy ani pozycji".to_owned(),
                "the unit is not compared with others: there are no units of its kind, so there is no group and no position".to_owned(),
            ),
            NoGroup::NoPopulation { year } => {
                (format!("brak grupy typologicznej: brak danych o ludności za {year}"), format!("no typology group: no population data for {year}"))
            }
        }
    }
}

/// Why unit `u` is in no group of partition `p` in year index `y`; none when it is in one.
pub fn why_no_group(s: &engine::snapshot::Snapshot, kind: UnitKind, u: usize, p: usize, y: usize) -> Option<NoGroup> {
    if s.group_of(p, u, y).is_some() {
        return None;
    }
    if comparison_level(kind).is_none() {
        return Some(NoGroup::NotCompared);
    }
    Some(NoGroup::NoPopulation { year: s.first_year() + y as i32 })
}

/// What the partitions need to know of a unit.
#[derive(Debug, Clone)]
pub struct UnitPlace {
    pub kind: UnitKind,
    /// The two-digit code of its województwo (its own for a województwo).
    pub wojewodztwo: String,
}

/// Interns group keys.
#[derive(Default)]
struct Keys {
    keys: Vec<String>,
    index: FxHashMap<String, u32>,
}

impl Keys {
    fn get(&mut self, key: String) -> u32 {
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.keys.len() as u32;
        self.index.insert(key.clone(), i);
        self.keys.push(key);
        i
    }
}

/// The three fixed partitions for `units` over `years` years; `population(u, y)` gives a
/// unit's population in year index `y`.
pub fn fixed_partitions(units: &[UnitPlace], years: usize, population: &dyn Fn(usize, usize) -> Option<f64>) -> Vec<Partition> {
    let n = units.len();
    let (mut country, mut woj, mut typ) = (Keys::default(), Keys::default(), Keys::default());
    let (mut c_cells, mut w_cells, mut t_cells) = (vec![NO_GROUP; n * years], vec![NO_GROUP; n * years], vec![NO_GROUP; n * years]);
    for (u, place) in units.iter().enumerate() {
        let Some(level) = comparison_level(place.kind) else { continue };
        let c = country.get(level.to_owned());
        let w = woj.get(format!("{level}|{}", place.wojewodztwo));
        let pops: Vec<Option<f64>> = (0..years).map(|y| population(u, y)).collect();
        for y in 0..years {
            // The nearest year's figure when this year's is missing (earlier first on a tie).
            let pop =
                pops[y].or_else(|| (1..years).find_map(|d| y.checked_sub(d).and_then(|e| pops[e]).or_else(|| pops.get(y + d).copied().flatten())));
            c_cells[y * n + u] = c;
            w_cells[y * n + u] = w;
            if let Some(class) = population_class(place.kind, pop) {
                t_cells[y * n + u] = typ.get(format!("{}:{class}", place.kind.as_str()));
            }
        }
    }
    vec![
        Partition { name: PARTITIONS[0].to_owned(), keys: country.keys, cell_group: c_cells },
        Partition { name: PARTITIONS[1].to_owned(), keys: woj.keys, cell_group: w_cells },
        Partition { name: PARTITIONS[2].to_owned(), keys: typ.keys, cell_group: t_cells },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_table() {
        assert_eq!(population_class(UnitKind::GminaWiejska, Some(4_999.0)), Some("<5k"));
        assert_eq!(population_class(UnitKind::GminaWiejska, Some(5_000.0)), Some("5-10k"));
        assert_eq!(population_class(UnitKind::GminaMiejska, Some(100_000.0)), Some(">=100k"));
        assert_eq!(population_class(UnitKind::MiastoNaPrawachPowiatu, Some(150_000.0)), Some("100-200k"));
        assert_eq!(population_class(UnitKind::Powiat, None), None, "no population, no class");
        assert_eq!(population_class(UnitKind::Wojewodztwo, None), Some("all"), "województwa are one class anyway");
    }

    #[test]
    fn a_growing_gmina_changes_class_and_a_gap_takes_the_nearest_year() {
        let units = vec![
            UnitPlace { kind: UnitKind::GminaWiejska, wojewodztwo: "02".into() },
            UnitPlace { kind: UnitKind::Powiat, wojewodztwo: "02".into() },
            UnitPlace { kind: UnitKind::Miasto, wojewodztwo: "02".into() },
        ];
        let pops = [[Some(4_000.0), None, Some(6_000.0)], [Some(80_000.0); 3], [Some(1.0); 3]];
        let parts = fixed_partitions(&units, 3, &|u, y| pops[u][y]);
        let typ = &parts[2];
        let key = |u: usize, y: usize| typ.keys[typ.cell_group[y * 3 + u] as usize].clone();
        assert_eq!(key(0, 0), "gmina_wiejska:<5k");
        assert_eq!(key(0, 1), "gmina_wiejska:<5k", "a missing year takes the earlier neighbour on a tie");
        assert_eq!(key(0, 2), "gmina_wiejska:5-10k");
        assert_eq!(key(1, 0), "powiat:50-100k");
        assert_eq!(parts[0].cell_group[2], NO_GROUP, "a town inside a gmina is not compared");
        assert_ne!(parts[0].cell_group[0], parts[0].cell_group[1], "gminy and powiaty are not compared");
        assert_eq!(parts[1].keys, vec!["gmina|02".to_owned(), "powiat|02".to_owned()]);
    }

    #[test]
    fn a_unit_without_any_population_has_no_typology_group_and_poland_no_group_at_all() {
        let units = vec![
            UnitPlace { kind: UnitKind::MiastoNaPrawachPowiatu, wojewodztwo: "14".into() },
            UnitPlace { kind: UnitKind::MiastoNaPrawachPowiatu, wojewodztwo: "12".into() },
            UnitPlace { kind: UnitKind::Kraj, wojewodztwo: String::new() },
        ];
        let pops = [[None, None], [Some(800_000.0); 2], [Some(38e6); 2]];
        let parts = fixed_partitions(&units, 2, &|u, y| pops[u][y]);
        let typ = &parts[2];
        assert_eq!(typ.cell_group[0], NO_GROUP, "no population in any year: no typology group");
        assert_eq!(typ.keys, vec!["miasto_na_prawach_powiatu:>=200k".to_owned()], "no `bez danych` group is made");
        assert_ne!(parts[0].cell_group[0], NO_GROUP, "it is still compared with the country's cities");
        assert!(parts.iter().all(|p| p.cell_group[2] == NO_GROUP), "Poland has no peers");
    }
}
