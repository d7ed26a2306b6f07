//! The CLI's JSON outputs that are contracts (`--format json` of units and coverage), as
//! insta snapshots in `tests/snapshots/`: a change of shape or wording fails the test and is
//! reviewed before the `.snap` file is updated (`INSTA_UPDATE=always`, then read the diff).

mod common;

use common::{Db, data};

/// The test's catalogue: one indicator reading two variables, so coverage names inputs.
const CATALOGUE: &str = r#"version = "test"
[[variable]]
code = "wydatki"
name_pl = "Wydatki"
[[variable]]
code = "ludnosc"
name_pl = "Ludność"
[[indicator]]
code = "FIN_01"
name_pl = "Wydatki na mieszkańca"
name_en = "Expenditure per inhabitant"
area = "finanse"
service_pl = "Budżet"
kind = "monitoring"
dimension = "efficiency"
polarity = "lower_better"
numerator = "wydatki"
denominator = "ludnosc"
unit_pl = "zł"
decimals = 2
applies_to = ["gmina_miejska", "gmina_wiejska", "gmina_miejsko_wiejska"]
definition_pl = "Wydatki / ludność"
source = "test"
"#;

/// Pretty JSON with the volatile parts (dates of a run, temporary paths) replaced.
fn redacted(v: &serde_json::Value, db: &Db) -> String {
    let text = serde_json::to_string_pretty(v).expect("json");
    let dir = db.path("x");
    let dir = dir.parent().expect("dir").display().to_string();
    text.replace(&dir, "[TMP]")
}

#[test]
fn units_as_json_keep_their_shape() {
    let db = Db::new();
    db.ok(&["import", "units", data("teryt/TERC_Urzedowy_2026-01-08.csv").to_str().expect("p")]);
    let units = db.json(&["units", "--parent", "0201", "--format", "json"]);
    assert!(units.as_array().is_some_and(|a| a.len() > 3), "{units}");
    insta::assert_snapshot!("units_parent_0201", redacted(&units, &db));
}

#[test]
fn coverage_as_json_keeps_its_shape() {
    let db = Db::new();
    db.ok(&["import", "units", data("teryt/TERC_Urzedowy_2026-01-08.csv").to_str().expect("p")]);
    let cat = db.path("k.toml");
    std::fs::write(&cat, CATALOGUE).expect("write");
    db.ok(&["import", "indicators", cat.to_str().expect("p")]);
    let coverage = db.json(&["coverage", "--format", "json"]);
    insta::assert_snapshot!("coverage_no_observations", redacted(&coverage, &db));
}
