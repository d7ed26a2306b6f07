//! Importing the real TERC states 2018 → 2020 → 2024 → 2025 → 2026 in order: counts per kind
//! match each file, and unit identity survives code changes, renames and dissolutions.

mod common;

use std::collections::BTreeMap;

use common::{Db, TERC_STATES, data, kinds_in_file};
use serde_json::Value;

fn kinds_at(db: &Db, date: &str) -> BTreeMap<String, usize> {
    let units = db.json(&["units", "--at", date, "--format", "json"]);
    let mut counts = BTreeMap::new();
    for u in units.as_array().expect("array") {
        let kind = u["kind"].as_str().expect("kind").to_owned();
        if kind != "kraj" {
            *counts.entry(kind).or_insert(0) += 1;
        }
    }
    counts
}

fn find(db: &Db, search: &str, at: &str) -> Vec<Value> {
    db.json(&["units", "--search", search, "--at", at, "--format", "json"]).as_array().expect("array").clone()
}

#[test]
fn five_terc_states_in_order_keep_every_unit_and_its_history() {
    let db = Db::new();
    let state_dates = ["2018-01-02", "2020-01-01", "2024-01-01", "2025-01-01", "2026-01-01"];
    let mut reports = Vec::new();
    for (file, date) in TERC_STATES.iter().zip(state_dates) {
        let path = data(file);
        let report = db.json(&["import", "units", path.to_str().expect("path"), "--format", "json"]);
        assert_eq!(report["state"], date, "{file}");
        assert_eq!(kinds_at(&db, date), kinds_in_file(&path), "counts per kind after {file}");
        reports.push(report);
    }
    // 2018 → 2020: Ostrowice dissolved, 14 gminy became urban-rural.
    assert_eq!(reports[1]["closed"], 1);
    assert_eq!(reports[1]["code_changes"], 14);
    // 2024 → 2025: 7 kind changes, 2 new gminy + 14 new parts, 3 renames.
    assert_eq!(reports[3]["code_changes"], 7);
    assert_eq!(reports[3]["created"], 16);
    assert_eq!(reports[3]["closed"], 0);
    // 2025 → 2026: 6 kind changes and the rename Nowe Miasto Lubawskie → Bratian.
    assert_eq!(reports[4]["code_changes"], 6);
    assert_eq!(reports[4]["renamed"], 1);

    // Ostrowice: closed on 2019-01-01 (from the registry of known dates), not deleted.
    let before = find(&db, "Ostrowice", "2018-06-01");
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(before[0]["code"], "3203042");
    assert_eq!(before[0]["valid_to"], "2019-01-01");
    assert!(find(&db, "Ostrowice", "2019-06-01").is_empty());

    // Końskowola: the same unit before and after its code changed on 2025-01-01.
    let old = find(&db, "Końskowola", "2024-06-01");
    let old_gmina: Vec<_> = old.iter().filter(|u| u["kind"] == "gmina_wiejska").collect();
    assert_eq!(old_gmina.len(), 1, "{old:?}");
    assert_eq!(old_gmina[0]["code"], "0614052");
    let new = find(&db, "konskowola", "2026-06-01");
    let new_gmina: Vec<_> = new.iter().filter(|u| u["kind"] == "gmina_miejsko_wiejska").collect();
    assert_eq!(new_gmina.len(), 1, "{new:?}");
    assert_eq!(new_gmina[0]["code"], "0614053");
    assert_eq!(new_gmina[0]["valid_from"], Value::Null, "same unit since before 2018");
    assert_eq!(new.len(), 3, "the gmina and its new parts 4/5: {new:?}");

    // Data under the old and the new code land on one unit: its history continues.
    let csv = db.path("konskowola.csv");
    std::fs::write(&csv, "unit,variable,year,value\n0614052,ludnosc,2020,14500\n0614053,ludnosc,2025,14400\n").expect("write");
    db.ok(&["import", "observations", csv.to_str().expect("path")]);
    let hist = db.json(&["history", "--unit", "0614053", "--variable", "ludnosc", "--format", "json"]);
    let years: Vec<i64> = hist.as_array().expect("array").iter().map(|h| h["year"].as_i64().expect("year")).collect();
    assert_eq!(years, vec![2020, 2025]);

    // Bratian: renamed under the same code; both names kept with dates.
    let then = find(&db, "Nowe Miasto Lubawskie", "2025-06-01");
    assert!(then.iter().any(|u| u["code"] == "2812052"), "{then:?}");
    let now = find(&db, "bratian", "2026-06-01");
    assert_eq!(now.len(), 1);
    assert_eq!(now[0]["code"], "2812052");
    assert_eq!(now[0]["valid_from"], Value::Null, "a rename keeps the unit");

    // Szczawa and Grabówka exist from 2025.
    for (name, code) in [("Szczawa", "1207132"), ("Grabówka", "2002162")] {
        assert!(find(&db, name, "2024-06-01").iter().all(|u| u["code"] != code));
        let found = find(&db, name, "2025-06-01");
        let unit = found.iter().find(|u| u["code"] == code).expect(name);
        assert_eq!(unit["valid_from"], "2025-01-01");
    }

    // Re-importing a state changes nothing; an older state is refused.
    let again = db.json(&["import", "units", data(TERC_STATES[4]).to_str().expect("path"), "--format", "json"]);
    assert_eq!(again["already_imported"], true);
    assert_eq!((again["created"].as_u64(), again["closed"].as_u64(), again["code_changes"].as_u64()), (Some(0), Some(0), Some(0)));
    let err = db.fails(&["import", "units", data(TERC_STATES[0]).to_str().expect("path")]);
    assert!(err.contains("older than the newest state"), "{err}");
}

#[test]
fn the_xml_variant_of_terc_gives_the_same_units_as_the_csv() {
    let csv_db = Db::new();
    csv_db.ok(&["import", "units", data("teryt/TERC_Urzedowy_2026-01-08.csv").to_str().expect("p")]);
    let xml_db = Db::new();
    xml_db.ok(&["import", "units", data("teryt/TERC_Urzedowy_2026-01-08.xml").to_str().expect("p")]);
    let a = csv_db.ok(&["units", "--at", "2026-02-01", "--format", "csv"]);
    let b = xml_db.ok(&["units", "--at", "2026-02-01", "--format", "csv"]);
    assert_eq!(a, b);
    assert!(a.lines().count() > 4000);
}

#[test]
fn units_can_be_filtered_by_kind_parent_and_diacritic_free_search() {
    let db = Db::new();
    db.ok(&["import", "units", data("teryt/TERC_Urzedowy_2026-01-08.csv").to_str().expect("p")]);
    let lodz = db.json(&["units", "--search", "LODZ", "--kind", "gmina_miejska", "--format", "json"]);
    let codes: Vec<&str> = lodz.as_array().expect("array").iter().map(|u| u["code"].as_str().expect("code")).collect();
    assert_eq!(codes[0], "1061011", "the best match first: {lodz}");
    assert_eq!(lodz[0]["name"], "Łódź");
    assert!(codes.contains(&"0208021"), "Kłodzko contains `lodz` too: {lodz}");
    let in_powiat = db.json(&["units", "--parent", "0201", "--format", "json"]);
    assert!(in_powiat.as_array().expect("array").iter().all(|u| u["parent"] == "0201"));
    assert_eq!(in_powiat.as_array().expect("array").len(), 6, "{in_powiat}");
    let csv = db.ok(&["units", "--kind", "wojewodztwo", "--format", "csv"]);
    assert!(csv.starts_with("code,name,kind,parent,valid_from,valid_to\n"), "{csv}");
    assert_eq!(csv.lines().count(), 17);
    let err = db.fails(&["units", "--kind", "gmina"]);
    assert!(err.starts_with("error: --kind: unknown unit kind"), "{err}");
    let err = db.fails(&["units", "--at", "2026-13-01"]);
    assert!(err.contains("not a date"), "{err}");
}

#[test]
fn the_adresowy_variant_is_refused_with_a_hint() {
    let db = Db::new();
    let err = db.fails(&["import", "units", data("teryt/TERC_Adresowy_2025-03-20.csv").to_str().expect("p")]);
    assert!(err.contains("Urz"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}
