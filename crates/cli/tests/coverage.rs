//! `miernik coverage` and the warnings of `compute`, through the binary: a small catalogue of
//! two indicators over the real TERC register, one whose inputs are there (in some years) and
//! one whose denominator has no data at all; the counts, the missing inputs and the commands
//! that import them.
#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use common::{Db, data, kinds_in_file};
use serde_json::Value;

const CATALOGUE: &str = r#"version = "test"
[[variable]]
code = "wydatki"
name_pl = "Wydatki"
source = "GUS BDL"
bdl_id = 60559
[[variable]]
code = "ludnosc"
name_pl = "Ludność"
[[variable]]
code = "dochody"
name_pl = "Dochody własne"
[[variable]]
code = "ludnosc_30vi"
name_pl = "Ludność (30 VI)"
unit = "osoba"
[[variable.bdl_series]]
subject = "P1336"
dims = ["ogółem", "ogółem"]
measure = "osoba"
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
[[indicator]]
code = "FIN_02"
name_pl = "Dochody własne na mieszkańca"
name_en = "Own revenue per inhabitant"
area = "finanse"
service_pl = "Budżet"
kind = "monitoring"
dimension = "quantity"
polarity = "higher_better"
numerator = "dochody"
denominator = "ludnosc_30vi"
unit_pl = "zł"
decimals = 2
applies_to = ["gmina_miejska", "gmina_wiejska", "gmina_miejsko_wiejska"]
definition_pl = "Dochody własne / ludność 30 VI"
source = "test"
"#;

/// Three gminy of powiat bolesławiecki. FIN_01 (wydatki / ludnosc) has a value for 0201011
/// in 2023 and for all three in 2024; in 2025 only ludnosc is there (wydatki stops short).
/// FIN_02's denominator ludnosc_30vi has no observation at all.
const OBSERVATIONS: &str = "unit,variable,year,value
0201011,wydatki,2023,900
0201011,wydatki,2024,1000
0201011,ludnosc,2023,100
0201011,ludnosc,2024,100
0201011,ludnosc,2025,101
0201011,dochody,2024,500
0201022,wydatki,2024,4000
0201022,ludnosc,2023,199
0201022,ludnosc,2024,200
0201022,dochody,2024,800
0201032,wydatki,2024,3000
0201032,ludnosc,2024,300
";

fn gminy_in_register() -> usize {
    let kinds = kinds_in_file(&data("teryt/TERC_Urzedowy_2026-01-08.csv"));
    ["gmina_miejska", "gmina_wiejska", "gmina_miejsko_wiejska"].iter().map(|k| kinds.get(*k).copied().unwrap_or(0)).sum()
}

fn setup(with_observations: bool) -> Db {
    let db = Db::new();
    db.ok(&["import", "units", data("teryt/TERC_Urzedowy_2026-01-08.csv").to_str().unwrap()]);
    let cat = db.path("k.toml");
    std::fs::write(&cat, CATALOGUE).unwrap();
    db.ok(&["import", "indicators", cat.to_str().unwrap()]);
    if with_observations {
        let obs = db.path("o.csv");
        std::fs::write(&obs, OBSERVATIONS).unwrap();
        db.ok(&["import", "observations", obs.to_str().unwrap()]);
    }
    db
}

fn indicator<'a>(cov: &'a Value, code: &str) -> &'a Value {
    cov["indicators"].as_array().unwrap().iter().find(|i| i["code"] == code).unwrap_or_else(|| panic!("{code} in {cov}"))
}

fn input<'a>(ind: &'a Value, variable: &str) -> &'a Value {
    ind["inputs"].as_array().unwrap().iter().find(|v| v["variable"] == variable).unwrap_or_else(|| panic!("{variable} in {ind}"))
}

#[test]
fn coverage_counts_units_with_values_and_names_the_missing_inputs() {
    let db = setup(true);
    let gminy = gminy_in_register();
    assert!(gminy > 2000, "{gminy}");
    let cov = db.json(&["coverage", "--format", "json"]);
    assert_eq!(cov["indicators_total"], 2, "{cov}");
    assert_eq!(cov["indicators_with_values"], 1, "{cov}");
    assert_eq!(cov["years"], serde_json::json!([2023, 2024, 2025]));

    let f1 = indicator(&cov, "FIN_01");
    assert_eq!(f1["units"], gminy, "every current gmina of the register: {f1}");
    let by_year: Vec<(i64, i64)> =
        f1["values_by_year"].as_array().unwrap().iter().map(|y| (y["year"].as_i64().unwrap(), y["units"].as_i64().unwrap())).collect();
    assert_eq!(by_year, vec![(2023, 1), (2024, 3), (2025, 0)]);
    assert_eq!((f1["latest_year"].as_i64(), f1["units_latest"].as_i64()), (Some(2024), Some(3)));
    let wydatki = input(f1, "wydatki");
    assert_eq!(wydatki["role"], "numerator");
    assert_eq!(wydatki["observations"], 4);
    assert_eq!(wydatki["years"], serde_json::json!([2023, 2024]));
    // 2025: FIN_01 has no value, ludnosc is there, wydatki is not.
    assert_eq!(wydatki["gap"], serde_json::json!({"years": [2025]}), "{wydatki}");
    assert_eq!(wydatki["imports"][0]["command"], "miernik import bdl --preset catalogue --years 2025", "{wydatki}");
    assert!(wydatki["imports"][0]["source_pl"].as_str().unwrap().contains("60559"), "{wydatki}");
    let ludnosc = input(f1, "ludnosc");
    assert_eq!(ludnosc["role"], "denominator");
    assert_eq!((ludnosc["observations"].as_i64(), ludnosc["units_latest"].as_i64(), ludnosc["latest_year"].as_i64()), (Some(6), Some(1), Some(2025)));
    assert_eq!(ludnosc["gap"], "none");

    let f2 = indicator(&cov, "FIN_02");
    assert_eq!(f2["latest_year"], Value::Null);
    assert_eq!(f2["values"], 0);
    assert_eq!(input(f2, "dochody")["observations"], 2);
    assert_eq!(input(f2, "dochody")["gap"], "none", "the numerator is there; the denominator is what is missing");
    let den = input(f2, "ludnosc_30vi");
    assert_eq!((den["observations"].as_i64(), &den["gap"]), (Some(0), &serde_json::json!("no_data")), "{den}");
    assert_eq!(den["imports"][0]["command"], "miernik import observations PLIK.csv", "{den}");
    assert_eq!(den["imports"][0]["source_pl"], "eksport BDL P1336 (ogółem; ogółem), osoba", "{den}");

    // Text: the per-year runs, the missing input with its command, the summary.
    let text = db.ok(&["coverage"]);
    assert!(text.contains(&format!("2023: 1/{gminy}; 2024: 3/{gminy}; 2025: 0/{gminy}")), "{text}");
    assert!(text.contains("ludnosc_30vi — brak danych / no data"), "{text}");
    assert!(text.contains("→ miernik import observations PLIK.csv"), "{text}");
    assert!(text.trim_end().ends_with("1 z 2 wskaźników ma wartości / 1 of 2 indicators have values"), "{text}");
    let one = db.ok(&["coverage", "--indicator", "FIN_02", "--missing"]);
    assert!(one.contains("FIN_02") && !one.contains("FIN_01 "), "{one}");
    let e = db.fails(&["coverage", "--indicator", "NOPE"]);
    assert!(e.contains("--indicator NOPE"), "{e}");
    // CSV: a row per (indicator, input).
    let csv = db.ok(&["coverage", "--format", "csv"]);
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let header = r.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4);
    let row = rows.iter().find(|r| &r[col("variable")] == "ludnosc_30vi").unwrap();
    assert_eq!((&row[col("indicator")], &row[col("missing")], &row[col("observations")]), ("FIN_02", "no_data", "0"));

    // compute warns for the indicator without values, naming the input and its command.
    let out = db.run(&["compute"]);
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    let line = err.lines().find(|l| l.contains("FIN_02")).unwrap_or_else(|| panic!("no warning for FIN_02: {err}"));
    assert!(line.starts_with("uwaga / warning: FIN_02 brak wartości / no values"), "{line}");
    assert!(line.contains("ludnosc_30vi (eksport BDL P1336") && line.contains("miernik import observations PLIK.csv"), "{line}");
    assert!(!err.contains("warning: FIN_01"), "FIN_01 has values: {err}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains(": 4 wartości / values"), "{stdout}");

    // The report of a gmina without any value says there is no data (not "none").
    let report = db.path("r.html");
    db.ok(&["report", "--unit", "0201043", "--year", "2024", "--out", report.to_str().unwrap()]);
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("Brak danych: jednostka nie ma w tym roku wartości"), "{html}");
}

#[test]
fn without_any_observation_every_indicator_lacks_all_inputs() {
    let db = setup(false);
    let cov = db.json(&["coverage", "--format", "json"]);
    assert_eq!(cov["years"], serde_json::json!([]));
    assert_eq!(cov["indicators_with_values"], 0);
    for code in ["FIN_01", "FIN_02"] {
        let ind = indicator(&cov, code);
        assert_eq!(ind["units"], gminy_in_register(), "{ind}");
        for v in ind["inputs"].as_array().unwrap() {
            assert_eq!(v["gap"], "no_data", "{v}");
        }
    }
    // Without a year to ask for, the BDL command asks for every year BDL has.
    assert_eq!(input(indicator(&cov, "FIN_01"), "wydatki")["imports"][0]["command"], "miernik import bdl --preset catalogue");
}

#[test]
fn compute_says_so_plainly_when_nothing_has_a_value() {
    let db = setup(false);
    // Observations that no indicator can use: ludnosc alone gives FIN_01 no value.
    let obs = db.path("o.csv");
    std::fs::write(&obs, "unit,variable,year,value\n0201011,ludnosc,2024,100\n").unwrap();
    db.ok(&["import", "observations", obs.to_str().unwrap()]);
    let out = db.run(&["compute"]);
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("0 wartości — żaden wskaźnik nie ma wartości"), "{err}");
    assert!(err.contains("FIN_01 brak wartości / no values — brak danych / missing: wydatki"), "{err}");
    assert!(err.contains("2 z 2 wskaźników bez wartości"), "{err}");
}

/// The unit card's diagnosis tells an empty list's reason: no data at all, or data in which
/// nothing stands out for the better.
#[tokio::test(flavor = "multi_thread")]
async fn the_diagnosis_says_no_data_apart_from_nothing_standing_out() {
    let db = setup(true);
    let store = db.store().await;
    let c = std::sync::Arc::new(app::compute(&store).await.unwrap());
    let portal = web::portal::Portal::new(1, c, &[]);
    let today = time::OffsetDateTime::now_utc().date();
    let card = |code: &str| {
        let code = model::TerytCode::parse(code).unwrap();
        let store = store.clone();
        async move { app::unit_card(&store, &code, today).await.unwrap() }
    };
    // 0201043 has no value of any indicator.
    let html = web::render_unit_card(&store, &portal, &card("0201043").await, Some("kraj"), false).await.unwrap();
    let diagnosis = &html[html.find("id=\"diagnoza\"").expect("a diagnosis")..];
    assert_eq!(diagnosis.matches("<strong>Brak danych</strong>: jednostka nie ma w tym roku wartości").count(), 2, "{diagnosis}");
    assert!(!html.contains("<p>Brak.</p>"));
    // 0201022 spends the most per head (lower is better): a weakness, and no strength.
    let html = web::render_unit_card(&store, &portal, &card("0201022").await, Some("kraj"), false).await.unwrap();
    let diagnosis = &html[html.find("id=\"diagnoza\"").expect("a diagnosis")..];
    assert!(diagnosis.contains("Żaden wskaźnik nie wyróżnia się na plus."), "{diagnosis}");
    assert!(!diagnosis.contains("Brak danych</strong>") && diagnosis.contains("słaba strona"), "{diagnosis}");
    store.close().await;
}
