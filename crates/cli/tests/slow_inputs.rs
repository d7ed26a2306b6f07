//! Slowly changing inputs (DESIGN; issue 16, point 4) on the real files: the TERC states
//! 2018 → 2026, GUGiK's area list "stan na 01.01.2025" imported without `--year`, and BDL's
//! population on 31 XII 2015–2024 (P1336) mapped to the catalogue's `ludnosc` through its
//! `bdl_series`. The list is the territory of 2025; every earlier year takes it as an
//! estimate for every unit whose territory did not change in between, never across a change.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use calamine::{Data, Reader};
use common::{Db, TERC_STATES, data};
use model::{Flag, UnitKind};

const AREA: &str = "area/Wykaz_powierzchni_wg_stanu_na_01012025_ha_km2.xlsx";
const POPULATION: &str = "bdl/bdl_web_exports/LUDN_1336_CTAB_20260608161213.csv";

const CATALOGUE: &str = r#"version = "test-slow"

[[variable]]
code = "ludnosc"
name_pl = "Ludność (stan 31 XII)"
unit = "osoba"
source = "GUS BDL"
population_date = "31_xii"
[[variable.bdl_series]]
subject = "P1336"
dims = ["ogółem", "miejsce zamieszkania", "stan na 31 grudnia", "ogółem"]
measure = "osoba"

[[variable]]
code = "powierzchnia"
name_pl = "Powierzchnia"
unit = "km²"
source = "GUGiK"
slowly_changing = true

[[indicator]]
code = "GESTOSC"
name_pl = "Gęstość zaludnienia"
name_en = "Population density"
area = "demografia"
service_pl = "Ludność"
service_en = "Population"
kind = "context"
dimension = "quantity"
polarity = "neutral"
factor = 1.0
numerator = "ludnosc"
denominator = "powierzchnia"
population_base = "31_xii"
population_base_source = "GUS: gęstość zaludnienia, ludność stan w dniu 31 XII"
unit_pl = "osoby na km²"
unit_en = "persons per km²"
decimals = 0
applies_to = ["gmina_miejska", "gmina_wiejska", "gmina_miejsko_wiejska", "miasto_na_prawach_powiatu", "powiat", "wojewodztwo"]
definition_pl = "Mieszkańcy na km²"
definition_en = "Inhabitants per km²"
source = "GUS BDL; GUGiK"
"#;

/// Splits a line on `sep` outside double quotes, unquoting.
fn split(line: &str, sep: char) -> Vec<String> {
    let (mut out, mut field, mut quoted) = (Vec::new(), String::new(), false);
    for c in line.trim_end_matches('\r').chars() {
        match c {
            '"' => quoted = !quoted,
            c if c == sep && !quoted => out.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    out.push(field);
    out
}

/// Population by (code, year) straight from the CTAB export (not Miernik's reader).
fn population() -> HashMap<(String, i64), f64> {
    let text = std::fs::read_to_string(data(POPULATION)).expect("population file");
    let mut lines = text.lines();
    let header = split(lines.next().expect("header"), ';');
    let years: Vec<Option<i64>> = header.iter().map(|h| h.split(';').nth(4).and_then(|y| y.parse().ok())).collect();
    let mut out = HashMap::new();
    for line in lines {
        let f = split(line, ';');
        for (i, v) in f.iter().enumerate() {
            if let (Some(Some(y)), Ok(v)) = (years.get(i), v.trim().parse::<f64>()) {
                out.insert((f[0].clone(), *y), v);
            }
        }
    }
    out
}

/// Areas in km² (the ha column ÷ 100) by code, straight from the workbook.
fn areas() -> HashMap<String, f64> {
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(data(AREA)).expect("workbook");
    let sheet = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&sheet).expect("sheet");
    let mut out = HashMap::new();
    for row in range.rows() {
        let code: String = row.first().map(|c| c.to_string()).unwrap_or_default().chars().filter(|c| !c.is_whitespace()).collect();
        let ha = match row.get(2) {
            Some(Data::Float(f)) => *f,
            Some(Data::Int(i)) => *i as f64,
            _ => continue,
        };
        if code.len() >= 2 && code.bytes().all(|b| b.is_ascii_digit()) {
            out.insert(code, ha / 100.0);
        }
    }
    out
}

#[tokio::test]
async fn the_2025_area_list_serves_earlier_years_as_an_estimate_while_the_territory_is_unchanged() {
    let db = Db::new();
    for s in TERC_STATES {
        db.ok(&["import", "units", data(s).to_str().expect("path")]);
    }
    let cat = db.path("slow.toml");
    std::fs::write(&cat, CATALOGUE).expect("catalogue");
    db.ok(&["import", "indicators", cat.to_str().expect("path")]);
    // No --year: the list "stan na 01.01.2025" is stored as 2025.
    let a = db.json(&["import", "areas", data(AREA).to_str().expect("path"), "--format", "json"]);
    assert_eq!(a["year"], 2025, "{a}");
    db.ok(&["import", "observations", data(POPULATION).to_str().expect("path")]);
    // Szczawa and Grabówka were created on 2025-01-01: give them a 2024 and a 2025 population
    // so that only the territory rule can keep a 2024 density from them.
    let extra = db.path("nowe_gminy.csv");
    std::fs::write(&extra, "unit,variable,year,value\n1207132,ludnosc,2024,5000\n1207132,ludnosc,2025,5000\n2002162,ludnosc,2024,3000\n")
        .expect("write");
    db.ok(&["import", "observations", extra.to_str().expect("path")]);

    let store = db.store().await;
    let c = app::compute(&store).await.expect("compute");
    let s = &c.snapshot;
    let i = s.indicator_index("GESTOSC").expect("indicator");
    let area_v = s.variable_index("powierzchnia").expect("area variable");
    let [y2020, y2024, y2025] = [2020, 2024, 2025].map(|y| s.year_index(y).expect("year"));
    let unit = |code: &str| c.unit_index(code).unwrap_or_else(|| panic!("{code} is not a current unit"));

    // The territorial changes the shipped registry knows (it may grow): a unit named in one
    // with a date in (Y, 2025] has no density for Y from the 2025 list.
    let changed_after = |code: &str, year: i32| {
        app::territory_changes::registry().iter().any(|r| {
            r.kind.alters_territory() && year < r.date.year() && r.date.year() <= 2025 && (r.code == code || r.successor.as_deref() == Some(code))
        })
    };
    let units = store.units().await.expect("units");
    let created: HashMap<String, i32> = units.iter().filter_map(|u| u.valid_from.map(|d| (u.code.as_str().to_owned(), d.year()))).collect();
    let gminy: Vec<&str> = units.iter().filter(|u| u.kind.is_gmina() && !u.historical && u.valid_to.is_none()).map(|u| u.code.as_str()).collect();
    assert_eq!(gminy.len(), 2479, "the gminy of 2026");

    for (year, y) in [(2020, y2020), (2024, y2024)] {
        let mut missing = BTreeSet::new();
        for g in &gminy {
            let u = unit(g);
            match s.value(i, u, y) {
                Some(_) => assert_eq!(c.flag(i, u, y), Flag::Estimated, "{g} {year}: the area is carried from 2025"),
                None => {
                    missing.insert(*g);
                }
            }
        }
        // Almost every gmina: only those whose territory changed after the year, or that did
        // not exist yet.
        for g in &missing {
            let explained = changed_after(g, year) || created.get(*g).is_some_and(|c| *c > year);
            assert!(explained, "{g} has no density {year}");
        }
        for g in ["1207052", "2002093", "1207132", "2002162"] {
            assert!(missing.contains(g), "{g} {year}: its territory of {year} is not the 2025 list's");
        }
        // And exactly those: every gmina the registry says changed after the year has none.
        let expected: BTreeSet<&str> =
            gminy.iter().copied().filter(|g| changed_after(g, year) || created.get(*g).is_some_and(|c| *c > year)).collect();
        assert_eq!(missing, expected, "{year}");
        assert!(missing.len() < 60, "{year}: {} gminy without density: {missing:?}", missing.len());
        // A change of kind only (Końskowola: gmina wiejska 0614052 → miejsko-wiejska 0614053
        // on 2025-01-01, when Końskowola became a town) keeps the territory.
        assert!(s.value(i, unit("0614053"), y).is_some(), "Końskowola {year}");
    }
    // Kamienica had a 2024 population and a 2025 area; its 2024 territory still held Szczawa.
    let kamienica = unit("1207052");
    assert!(s.value(i, kamienica, y2024).is_none() && s.variable(area_v, kamienica, y2024).is_none());
    assert!(s.variable(area_v, kamienica, y2025).is_some(), "the 2025 area itself stays");
    // Szczawa did not exist in 2024: no area then, even with a population; in 2025 the area
    // is its own (final) and so is the density.
    let szczawa = unit("1207132");
    assert!(s.variable(area_v, szczawa, y2024).is_none() && s.value(i, szczawa, y2024).is_none());
    assert_eq!(c.flag(i, szczawa, y2025), Flag::Final);
    assert!((s.value(i, szczawa, y2025).expect("2025") - 5000.0 / areas()["1207132"]).abs() < 1e-9);

    // The values: population ÷ the list's area, for every unit whose code is in both files,
    // gminy, powiaty and województwa alike (all 16 województwa for 2024).
    let (pop, area) = (population(), areas());
    let mut checked: BTreeMap<i64, usize> = BTreeMap::new();
    for (k, code) in c.codes.iter().enumerate() {
        let key = if code.as_str().len() == 7 { code.as_str().to_owned() } else { format!("{:0<7}", code.as_str()) };
        let Some(km2) = area.get(code.as_str()) else { continue };
        for (year, y) in [(2020, y2020), (2024, y2024)] {
            let Some(p) = pop.get(&(key.clone(), year)) else { continue };
            let Some(d) = s.value(i, k, y) else {
                assert!(changed_after(code.as_str(), year as i32), "{code} {year}: no density");
                continue;
            };
            assert!((d - p / km2).abs() <= 1e-9 * d, "{code} {year}: {d} vs {}", p / km2);
            *checked.entry(year).or_default() += 1;
        }
    }
    eprintln!("density checked against the files: {checked:?}");
    assert!(checked[&2020] >= 2750 && checked[&2024] >= 2850, "{checked:?}");
    let woj: Vec<usize> = (0..c.codes.len()).filter(|&k| c.kinds[k] == UnitKind::Wojewodztwo).collect();
    assert_eq!(woj.len(), 16);
    assert!(woj.iter().all(|&k| s.value(i, k, y2024).is_some() && c.flag(i, k, y2024) == Flag::Estimated));
    store.close().await;

    // `--year` still overrides: the same list stored as 2024 is a real 2024 value.
    let db2 = Db::new();
    db2.ok(&["import", "units", data(TERC_STATES[3]).to_str().expect("path")]);
    let a = db2.json(&["import", "areas", data(AREA).to_str().expect("path"), "--year", "2024", "--format", "json"]);
    assert_eq!(a["year"], 2024, "{a}");
}
