//! Importing observations through the CLI: the real BDL exports, revisions, the JSON
//! summary, XLSX, and broken inputs that must change nothing.

mod common;

use common::{Db, data};

/// A database with the TERC states of 2018 → 2024 (so that codes of 2020 are known).
fn db_with_units() -> Db {
    let db = Db::new();
    for f in &common::TERC_STATES[..3] {
        db.ok(&["import", "units", data(f).to_str().expect("path")]);
    }
    db
}

fn summary(db: &Db, args: &[&str]) -> serde_json::Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    db.json(&a)
}

#[test]
fn every_real_bdl_export_imports_and_a_reimport_changes_nothing() {
    let db = db_with_units();
    let dir = data("bdl/bdl_web_exports");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("dir").map(|e| e.expect("entry").path()).collect();
    files.sort();
    // Twelve files since the start, three more (gmina budgets and population, P2622, P2633,
    // P1336) since 2026-12-05: every export in the folder must import as downloaded.
    assert!(files.len() >= 15, "{files:?}");
    for f in &files {
        let p = f.to_str().expect("path");
        let first = summary(&db, &["import", "observations", p, "--create-missing-units"]);
        let keys: Vec<&String> = first.as_object().expect("object").keys().collect();
        assert_eq!(keys.len(), 5, "exactly the five keys: {first}");
        for k in ["read", "inserted", "changed", "unchanged", "rejected"] {
            assert!(first.get(k).is_some(), "{k} in {first}");
        }
        assert_eq!(first["rejected"], 0, "{p}: {first}");
        assert!(first["read"].as_u64().expect("read") > 0, "{p}");
        let again = summary(&db, &["import", "observations", p, "--create-missing-units"]);
        assert_eq!(again["inserted"], 0, "{p}: {again}");
        assert_eq!(again["changed"], 0, "{p}: {again}");
        assert_eq!(again["unchanged"], first["read"], "{p}: {again}");
    }
    // Population 2020 of Bolesławiec (gmina miejska), BDL P2137, as in the file.
    let hist = db.json(&["history", "--unit", "0201011", "--variable", "p2137_ogolem_ogolem", "--format", "json"]);
    assert_eq!(hist[0]["value"], 38486.0, "{hist}");
    assert_eq!(hist[0]["source"], "bdl");
}

#[test]
fn historical_units_are_reported_by_code_and_name_unless_created() {
    let db = db_with_units();
    let ryne = data("bdl/bdl_web_exports/RYNE_1944_CTAB_20250616184618.csv");
    let p = ryne.to_str().expect("path");
    let store_before = db.ok(&["changes", "--since", "2000-01-01", "--format", "csv"]);
    let err = db.fails(&["import", "observations", p]);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("Zielona Góra (2)") && err.contains("0809102"), "unknown units listed by code and name: {err}");
    assert!(!err.contains("0221091"), "Wałbrzych's old code is linked by the registry: {err}");
    assert_eq!(db.ok(&["changes", "--since", "2000-01-01", "--format", "csv"]), store_before, "nothing written");

    let ok = summary(&db, &["import", "observations", p, "--create-missing-units"]);
    assert_eq!(ok["rejected"], 0);
    // Merged into Zielona Góra city in 2015: a historical unit of its own, closed then.
    let zg = db.json(&["units", "--search", "0809102", "--at", "2010-06-01", "--format", "json"]);
    assert_eq!(zg[0]["valid_to"], "2015-01-01", "{zg}");
    assert!(db.json(&["units", "--search", "0809102", "--format", "json"]).as_array().expect("a").is_empty());
    // Wałbrzych's old code (a gmina of powiat wałbrzyski until 2012) is the current city.
    let w = db.json(&["units", "--search", "0221091", "--at", "2010-06-01", "--format", "json"]);
    assert_eq!((w[0]["kind"].as_str(), w[0]["valid_to"].is_null()), (Some("gmina_miejska"), true), "{w}");
}

#[test]
fn a_changed_value_is_a_new_revision_and_the_old_one_stays() {
    let db = db_with_units();
    let a = db.path("a.csv");
    std::fs::write(
        &a,
        "unit;variable;year;value;flag\n0201011;ludnosc;2020;38 486,0;\n0201022;ludnosc;2020;14000;preliminary\n02;ludnosc;2020;;confidential\n",
    )
    .expect("write");
    let first = summary(&db, &["import", "observations", a.to_str().expect("p")]);
    assert_eq!((first["read"].as_u64(), first["inserted"].as_u64()), (Some(3), Some(3)));
    let b = db.path("b.csv");
    std::fs::write(&b, "unit,variable,year,value,flag\n0201011,ludnosc,2020,38500,\n0201022,ludnosc,2020,14000,preliminary\n").expect("write");
    let second = summary(&db, &["import", "observations", b.to_str().expect("p")]);
    assert_eq!((second["changed"].as_u64(), second["unchanged"].as_u64()), (Some(1), Some(1)), "{second}");
    let hist = db.json(&["history", "--unit", "0201011", "--variable", "ludnosc", "--format", "json"]);
    let values: Vec<(f64, &str)> =
        hist.as_array().expect("array").iter().map(|h| (h["value"].as_f64().expect("v"), h["status"].as_str().expect("s"))).collect();
    assert_eq!(values, vec![(38486.0, "superseded"), (38500.0, "current")]);
    let changes = db.json(&["changes", "--since", "2000-01-01", "--format", "json"]);
    let c = changes.as_array().expect("array").iter().find(|c| c["unit"] == "0201011").expect("change");
    assert_eq!(c["new_value"], 38500.0);
}

#[test]
fn xlsx_in_the_long_layout_imports_like_csv() {
    let db = db_with_units();
    let path = db.path("obs.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["unit", "variable", "year", "value"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    sheet.write_string(1, 0, "0201011").expect("cell");
    sheet.write_string(1, 1, "ludnosc").expect("cell");
    sheet.write_number(1, 2, 2021.0).expect("cell");
    sheet.write_number(1, 3, 38123.5).expect("cell");
    book.save(&path).expect("save");
    let s = summary(&db, &["import", "observations", path.to_str().expect("p")]);
    assert_eq!(s["inserted"], 1, "{s}");
    let hist = db.json(&["history", "--unit", "0201011", "--variable", "ludnosc", "--format", "json"]);
    assert_eq!(hist[0]["value"], 38123.5);
    assert_eq!(hist[0]["year"], 2021);
}

/// Each broken input fails with a message naming where and why, and changes nothing.
#[test]
fn broken_inputs_fail_clearly_and_change_nothing() {
    let db = db_with_units();
    let good = db.path("good.csv");
    std::fs::write(&good, "unit,variable,year,value\n0201011,ludnosc,2019,1\n").expect("write");
    db.ok(&["import", "observations", good.to_str().expect("p")]);
    let snapshot = || {
        (
            db.ok(&["changes", "--since", "2000-01-01", "--format", "csv"]),
            db.ok(&["history", "--unit", "0201011", "--variable", "ludnosc", "--format", "csv"]),
        )
    };
    let before = snapshot();
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        ("wrong separator", b"unit\tvariable\tyear\tvalue\n0201011\tludnosc\t2020\t5\n".to_vec(), &["separator"]),
        ("bad TERYT code", b"unit,variable,year,value\n0201011,ludnosc,2020,5\n02010X1,ludnosc,2020,5\n".to_vec(), &["line 3", "02010X1"]),
        ("unknown unit", b"unit,variable,year,value\n0201011,ludnosc,2020,5\n3299011,ludnosc,2020,5\n".to_vec(), &["3299011", "unknown unit"]),
        ("non-numeric value", b"unit,variable,year,value\n0201011,ludnosc,2020,5\n0201022,ludnosc,2020,abc\n".to_vec(), &["line 3", "abc"]),
        ("duplicate with another value", b"unit,variable,year,value\n0201011,ludnosc,2020,5\n0201011,ludnosc,2020,6\n".to_vec(), &["lines 2 and 3"]),
        ("truncated file", b"unit,variable,year,value\n0201011,ludnosc,2020,5\n0201022,ludn".to_vec(), &["line 3"]),
        ("wrong encoding", b"unit,variable,year,value\n0201011,ludno\xb6\xe6,2020,5\n".to_vec(), &["UTF-8", "line 2"]),
        ("empty file", Vec::new(), &["empty"]),
    ];
    for (name, bytes, fragments) in cases {
        let f = db.path("broken.csv");
        std::fs::write(&f, &bytes).expect("write");
        let err = db.fails(&["import", "observations", f.to_str().expect("p")]);
        assert!(err.starts_with("error: "), "{name}: {err}");
        assert!(err.contains("broken.csv"), "{name}: says the file: {err}");
        for frag in fragments {
            assert!(err.contains(frag), "{name}: `{frag}` missing in: {err}");
        }
        assert_eq!(snapshot(), before, "{name}: the database changed");
    }
}

#[test]
fn skip_invalid_imports_the_rest_and_lists_the_rejected_rows() {
    let db = db_with_units();
    let f = db.path("mixed.csv");
    std::fs::write(&f, "unit,variable,year,value\n0201011,ludnosc,2020,5\n0201022,ludnosc,20x0,5\n3299011,ludnosc,2020,5\n0201032,ludnosc,2020,7\n")
        .expect("write");
    let out = db.run(&["import", "observations", f.to_str().expect("p"), "--skip-invalid", "--format", "json"]);
    assert!(out.status.success());
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!((s["read"].as_u64(), s["inserted"].as_u64(), s["rejected"].as_u64()), (Some(4), Some(2), Some(2)), "{s}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 3") && stderr.contains("20x0"), "{stderr}");
    assert!(stderr.contains("3299011"), "{stderr}");
}
