//! The indicator story through the binary: a catalogue, observations for three gminy of one
//! powiat, then `compute` and `compare` — the numbers checked by hand — and a broken
//! catalogue refused with its line and field.

mod common;

use common::{Db, data};

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

#[test]
fn catalogue_compute_and_compare() {
    let db = Db::new();
    db.ok(&["import", "units", data("teryt/TERC_Urzedowy_2026-01-08.csv").to_str().expect("p")]);
    let cat = db.path("k.toml");
    std::fs::write(&cat, CATALOGUE).expect("write");
    let out = db.ok(&["import", "indicators", cat.to_str().expect("p")]);
    assert!(out.contains("1 new"), "{out}");
    // Three gminy of powiat bolesławiecki (0201): per-capita 10, 20 and 10 (a tie).
    let obs = db.path("o.csv");
    std::fs::write(
        &obs,
        "unit,variable,year,value\n0201011,wydatki,2024,1000\n0201011,ludnosc,2024,100\n\
         0201022,wydatki,2024,4000\n0201022,ludnosc,2024,200\n0201032,wydatki,2024,3000\n0201032,ludnosc,2024,300\n",
    )
    .expect("write");
    db.ok(&["import", "observations", obs.to_str().expect("p")]);
    let summary = db.json(&["compute", "--format", "json"]);
    assert_eq!(summary["indicators"], 1);
    assert_eq!(summary["values"], 3, "{summary}");

    let c = db.json(&["compare", "--unit", "0201022", "--indicator", "FIN_01", "--year", "2024", "--group", "wojewodztwo", "--format", "json"]);
    assert_eq!(c["value"], 20.0);
    assert_eq!(c["position"]["rank"], 3, "lower is better: 10, 10, 20 → rank 3: {c}");
    assert_eq!(c["group_stats"]["n"], 3);
    assert_eq!(c["group_stats"]["median"], 10.0);
    // The group's own ratio: (1000 + 4000 + 3000) / (100 + 200 + 300).
    let agg = c["group_stats"]["aggregate"].as_f64().expect("aggregate");
    assert!((agg - 8000.0 / 600.0).abs() < 1e-9, "{agg}");
    let c = db.json(&["compare", "--unit", "0201011", "--indicator", "FIN_01", "--year", "2024", "--group", "country", "--format", "json"]);
    assert_eq!(c["position"]["rank"], 1, "{c}");

    let e = db.fails(&["compare", "--unit", "0201022", "--indicator", "FIN_01", "--year", "2024", "--group", "planets"]);
    assert!(e.contains("--group"), "{e}");

    // A broken formula: refused, with line and field, and nothing changed.
    std::fs::write(&cat, CATALOGUE.replace("denominator = \"ludnosc\"", "denominator = \"ludnosc *\"")).expect("write");
    let e = db.fails(&["import", "indicators", cat.to_str().expect("p")]);
    assert!(e.contains("k.toml:18") && e.contains("denominator"), "{e}");
    let c = db.json(&["compare", "--unit", "0201022", "--indicator", "FIN_01", "--year", "2024", "--group", "country", "--format", "json"]);
    assert_eq!(c["value"], 20.0);
}
