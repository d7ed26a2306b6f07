//! `miernik check`: the real unemployment export adds up exactly in 2024; one changed gmina
//! value is found in its powiat and nowhere else.

mod common;

use common::{Db, data};

#[test]
fn real_unemployment_adds_up_and_a_planted_error_is_found() {
    let db = Db::new();
    for f in ["teryt/TERC_Urzedowy_2025-03-20.csv", "teryt/TERC_Urzedowy_2025-11-18.csv"] {
        db.ok(&["import", "units", data(f).to_str().expect("p")]);
    }
    let ryne = data("bdl/bdl_web_exports/RYNE_1944_CTAB_20250616184618.csv");
    db.ok(&["import", "observations", ryne.to_str().expect("p"), "--create-missing-units"]);

    let out = db.run(&["check", "--variable", "p1944_ogolem", "--year", "2024", "--format", "json"]);
    assert!(out.status.success());
    let mismatches: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(mismatches, serde_json::json!([]), "2024 adds up exactly (SOURCES.md)");
    let summary = String::from_utf8_lossy(&out.stderr);
    // 16 województwa + 380 powiaty + Poland + 711 urban-rural gminy (town + rural area).
    assert!(summary.contains("1108 units checked, 0 do not add up"), "{summary}");

    // Bolesławiec (gmina miejska) gets 5 more unemployed than the file says.
    let hist = db.json(&["history", "--unit", "0201011", "--variable", "p1944_ogolem", "--format", "json"]);
    let v2024 = hist.as_array().expect("array").iter().find(|h| h["year"] == 2024).and_then(|h| h["value"].as_f64()).expect("2024 value");
    let planted = db.path("planted.csv");
    std::fs::write(&planted, format!("unit,variable,year,value\n0201011,p1944_ogolem,2024,{}\n", v2024 + 5.0)).expect("write");
    db.ok(&["import", "observations", planted.to_str().expect("p")]);
    let found = db.json(&["check", "--variable", "p1944_ogolem", "--year", "2024", "--format", "json"]);
    let found = found.as_array().expect("array");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], "0201", "the powiat of the changed gmina");
    assert_eq!(found[0]["difference"], -5.0);

    // The same planted value, if ten times too large, stands out from the gmina's history.
    let before = db.json(&["check", "--variable", "p1944_ogolem", "--year", "2024", "--outliers", "--format", "json"]);
    assert!(before.as_array().expect("array").iter().all(|o| o["code"] != "0201011"), "{before}");
    std::fs::write(&planted, format!("unit,variable,year,value\n0201011,p1944_ogolem,2024,{}\n", v2024 * 10.0)).expect("write");
    db.ok(&["import", "observations", planted.to_str().expect("p")]);
    let after = db.json(&["check", "--variable", "p1944_ogolem", "--year", "2024", "--outliers", "--format", "json"]);
    let hit = after.as_array().expect("array").iter().find(|o| o["code"] == "0201011").expect("flagged");
    assert_eq!(hit["value"], v2024 * 10.0);
    assert!(hit["robust_z"].as_f64().expect("z") > 3.5, "{hit}");

    let err = db.fails(&["check", "--variable", "p1944_ogolem", "--year", "1800"]);
    assert!(err.contains("--year: 1800 is not a year"), "an impossible year is not 'all fine': {err}");
    let err = db.fails(&["check", "--variable", "nie_ma", "--year", "2024"]);
    assert!(err.contains("no variable with code nie_ma"), "{err}");
}
