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
    // The words describe the value (the highest of the three, ≥ Q3 = 15), the verdict turns
    // it by polarity: lower is better, so the highest value is the weakest.
    assert_eq!(c["position"]["band"], "highest", "{c}");
    assert_eq!(c["position"]["verdict"], "worse", "{c}");
    assert_eq!(c["group_stats"]["n"], 3);
    assert_eq!(c["group_stats"]["median"], 10.0);
    // The group's own ratio: (1000 + 4000 + 3000) / (100 + 200 + 300).
    let agg = c["group_stats"]["aggregate"].as_f64().expect("aggregate");
    assert!((agg - 8000.0 / 600.0).abs() < 1e-9, "{agg}");
    let c = db.json(&["compare", "--unit", "0201011", "--indicator", "FIN_01", "--year", "2024", "--group", "country", "--format", "json"]);
    assert_eq!(c["position"]["rank"], 1, "{c}");
    // 10 is the median (10, 10, 20): said as such, and not judged, though it ranks first.
    assert_eq!((&c["position"]["band"], &c["position"]["verdict"]), (&serde_json::json!("at_median"), &serde_json::Value::Null), "{c}");

    let e = db.fails(&["compare", "--unit", "0201022", "--indicator", "FIN_01", "--year", "2024", "--group", "planets"]);
    assert!(e.contains("--group"), "{e}");

    // A broken formula: refused, with line and field, and nothing changed.
    std::fs::write(&cat, CATALOGUE.replace("denominator = \"ludnosc\"", "denominator = \"ludnosc *\"")).expect("write");
    let e = db.fails(&["import", "indicators", cat.to_str().expect("p")]);
    assert!(e.contains("k.toml:18") && e.contains("denominator"), "{e}");
    let c = db.json(&["compare", "--unit", "0201022", "--indicator", "FIN_01", "--year", "2024", "--group", "country", "--format", "json"]);
    assert_eq!(c["value"], 20.0);
}

/// Six gminy wiejskie under 5,000 inhabitants (one typology group): expenditure per
/// inhabitant 10, 11, 12, 13, 14 and 100 (the last a typo in thousands), books per inhabitant
/// 0.5, 1, 2, 1, 1.5, 1.
const PEERS: [(&str, f64, f64, f64); 6] = [
    ("0201022", 2000.0, 20_000.0, 1000.0),
    ("0201032", 2100.0, 23_100.0, 2100.0),
    ("0201052", 2300.0, 27_600.0, 4600.0),
    ("0201062", 2600.0, 33_800.0, 2600.0),
    ("0202052", 4000.0, 56_000.0, 6000.0),
    ("0202062", 3000.0, 300_000.0, 3000.0),
];

fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    (m, (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0)).sqrt())
}

fn peers_db() -> Db {
    let db = Db::new();
    db.ok(&["import", "units", data("teryt/TERC_Urzedowy_2026-01-08.csv").to_str().expect("p")]);
    let cat = db.path("k.toml");
    let books = r#"
[[variable]]
code = "ksiazki"
name_pl = "Księgozbiór"
[[indicator]]
code = "KUL_01"
name_pl = "Księgozbiór na mieszkańca"
name_en = "Books per inhabitant"
area = "kultura_rekreacja"
service_pl = "Biblioteki"
kind = "monitoring"
dimension = "availability"
polarity = "higher_better"
numerator = "ksiazki"
denominator = "ludnosc"
unit_pl = "wol."
decimals = 2
applies_to = ["gmina_miejska", "gmina_wiejska", "gmina_miejsko_wiejska"]
definition_pl = "Księgozbiór / ludność"
source = "test"
"#;
    std::fs::write(&cat, format!("{CATALOGUE}{books}")).expect("write");
    db.ok(&["import", "indicators", cat.to_str().expect("p")]);
    let mut csv = String::from("unit,variable,year,value\n");
    for (code, pop, spend, books) in PEERS {
        csv.push_str(&format!("{code},ludnosc,2024,{pop}\n{code},wydatki,2024,{spend}\n{code},ksiazki,2024,{books}\n"));
    }
    // Three years earlier the first one spent 12 per inhabitant: an improvement since.
    csv.push_str("0201022,ludnosc,2021,2000\n0201022,wydatki,2021,24000\n");
    let obs = db.path("o.csv");
    std::fs::write(&obs, csv).expect("write");
    db.ok(&["import", "observations", obs.to_str().expect("p")]);
    db
}

#[test]
fn nearest_neighbours_with_distances_and_shares() {
    let db = peers_db();
    let pops: Vec<f64> = PEERS.iter().map(|p| p.1).collect();
    let (_, sd_pop) = mean_sd(&pops);
    let n = db.json(&["nearest", "--unit", "0201022", "--year", "2024", "--context", "ludnosc", "--k", "2", "--format", "json"]);
    let near = n["neighbours"].as_array().expect("neighbours");
    let codes: Vec<&str> = near.iter().map(|x| x["code"].as_str().expect("code")).collect();
    assert_eq!(codes, ["0201032", "0201052"], "populations 2100 and 2300 are nearest to 2000: {n}");
    let d = near[1]["distance"].as_f64().expect("distance");
    assert!((d - 300.0 / sd_pop).abs() < 1e-9, "{d} vs {}", 300.0 / sd_pop);

    // Two measures, spending weighted twice: each one's share of the squared distance.
    let spend: Vec<f64> = PEERS.iter().map(|p| p.2 / p.1).collect();
    let (_, sd_spend) = mean_sd(&spend);
    let n = db.json(&["nearest", "--unit", "0201022", "--year", "2024", "--context", "ludnosc,FIN_01*2", "--k", "5", "--format", "json"]);
    let first = &n["neighbours"][0];
    let other = PEERS.iter().position(|p| p.0 == first["code"].as_str().expect("code")).expect("a peer");
    let dp = (pops[other] - pops[0]) / sd_pop;
    let ds = (spend[other] - spend[0]) / sd_spend;
    let d2 = dp * dp + 2.0 * ds * ds;
    assert!((first["distance"].as_f64().expect("d") - d2.sqrt()).abs() < 1e-9, "{n}");
    let share = first["contributions"][1]["share"].as_f64().expect("share");
    assert!((share - 2.0 * ds * ds / d2).abs() < 1e-9, "{n}");
    assert_eq!(n["neighbours"].as_array().map(Vec::len), Some(5));

    // The same group drives compare: the unit and its 2 nearest.
    let c = db.json(&[
        "compare",
        "--unit",
        "0201022",
        "--indicator",
        "FIN_01",
        "--year",
        "2024",
        "--group",
        "nearest",
        "--context",
        "ludnosc",
        "--k",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(c["group_stats"]["n"], 3, "{c}");
    assert_eq!(c["group_stats"]["median"], 11.0);
    assert_eq!(c["peers"].as_array().map(Vec::len), Some(2));

    let e = db.fails(&["nearest", "--unit", "0201022", "--year", "2024", "--context", "ludnosc,nic_takiego"]);
    assert!(e.contains("nic_takiego"), "{e}");
    let e = db.fails(&["nearest", "--unit", "0201011", "--year", "2024", "--context", "ludnosc"]);
    assert!(e.contains("ludnosc"), "a unit without the context value is told which: {e}");
    let e = db.fails(&["compare", "--unit", "0201022", "--indicator", "FIN_01", "--year", "2024", "--group", "neighbours"]);
    assert!(e.contains("boundaries"), "no adjacency imported: {e}");
}

#[test]
fn diagnosis_custom_groups_and_peer_outliers() {
    let db = peers_db();
    let d = db.json(&["diagnose", "--unit", "0201022", "--year", "2024", "--group", "typology", "--format", "json"]);
    assert_eq!(d["judged"], 2, "{d}");
    let strengths = d["strengths"].as_array().expect("strengths");
    let weaknesses = d["weaknesses"].as_array().expect("weaknesses");
    assert_eq!(strengths.len(), 1, "{d}");
    assert_eq!(strengths[0]["indicator"], "FIN_01", "lowest spending, lower is better");
    let spend: Vec<f64> = PEERS.iter().map(|p| p.2 / p.1).collect();
    let (m, sd) = mean_sd(&spend);
    let score = strengths[0]["score"].as_f64().expect("score");
    assert!((score - (m - 10.0) / sd).abs() < 1e-9, "{score}");
    assert_eq!(strengths[0]["change_3y"], -2.0);
    assert_eq!(strengths[0]["trend_3y"], "improving", "12 → 10, lower is better");
    assert_eq!(strengths[0]["trend_5y"], "unknown", "no data for 2019");
    assert_eq!(weaknesses.len(), 1);
    assert_eq!(weaknesses[0]["indicator"], "KUL_01", "the fewest books per inhabitant");
    assert!(weaknesses[0]["score"].as_f64().expect("score") < 0.0);

    // A custom group: saved, listed, compared with; a bad member refuses the whole save.
    db.ok(&["group", "save", "G1", "--name", "Grupa wymiany", "--units", "0201022,0201032", "--units", "0201052"]);
    let e = db.fails(&["group", "save", "G2", "--name", "Zła", "--units", "0201022,9999999"]);
    assert!(e.contains("9999999") && e.contains("nothing saved"), "{e}");
    let groups = db.json(&["group", "list", "--format", "json"]);
    assert_eq!(groups.as_array().map(Vec::len), Some(1), "{groups}");
    assert_eq!(groups[0]["members"], serde_json::json!(["0201022", "0201032", "0201052"]));
    let c = db.json(&["compare", "--unit", "0201022", "--indicator", "FIN_01", "--year", "2024", "--group", "custom:G1", "--format", "json"]);
    assert_eq!(c["group_stats"]["n"], 3);
    assert_eq!(c["position"]["rank"], 1);
    let d = db.json(&["diagnose", "--unit", "0201022", "--year", "2024", "--group", "custom:G1", "--format", "json"]);
    assert_eq!(d["strengths"][0]["of"], 3, "{d}");

    // The typo in thousands stands out among its peers; nothing else does.
    let found = db.json(&["check", "--peers", "--year", "2024", "--format", "json"]);
    let found = found.as_array().expect("rows");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], "0202062");
    assert_eq!(found[0]["indicator"], "FIN_01");
    assert_eq!(found[0]["n"], 6);
    let one = db.json(&["check", "--peers", "--indicator", "KUL_01", "--year", "2024", "--format", "json"]);
    assert_eq!(one.as_array().map(Vec::len), Some(0));
    let e = db.fails(&["check", "--year", "2024"]);
    assert!(e.contains("--variable") || e.contains("variable"), "{e}");
}

#[test]
fn context_indicators_that_do_not_apply_are_left_out_for_that_kind() {
    let db = peers_db();
    // Powiaty get population but FIN_01 applies to gminy only: it is skipped, not an error.
    let mut csv = String::from("unit,variable,year,value\n");
    for (code, pop) in [("0201", 90_000.0), ("0202", 100_000.0), ("0203", 150_000.0), ("0204", 60_000.0)] {
        csv.push_str(&format!("{code},ludnosc,2024,{pop}\n"));
    }
    let obs = db.path("p.csv");
    std::fs::write(&obs, csv).expect("write");
    db.ok(&["import", "observations", obs.to_str().expect("p")]);
    let n = db.json(&["nearest", "--unit", "0201", "--year", "2024", "--context", "log:ludnosc,FIN_01", "--k", "1", "--format", "json"]);
    assert_eq!(n["neighbours"][0]["code"], "0202", "{n}");
    assert_eq!(n["context"], serde_json::json!(["log:ludnosc"]));
    assert!(n["group"].as_str().expect("label").contains("FIN_01 not for this kind"), "{n}");
    let e = db.fails(&["nearest", "--unit", "0201", "--year", "2024", "--context", "FIN_01"]);
    assert!(e.contains("none of FIN_01 applies"), "{e}");
}
