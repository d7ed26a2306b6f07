//! `--as`, `miernik audit` and `miernik revert` through the real binary: imports name their
//! actor (the OS user and `--as`), the audit log lists them, a revert restores the values
//! of the import before.

mod common;

use std::process::{Command, Output};

use common::{Db, data};

/// Runs miernik as OS user `ola` (no LOGNAME to fall back on).
fn run(db: &Db, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_miernik"))
        .arg("--db")
        .arg(&db.url)
        .args(args)
        .env("USER", "ola")
        .env_remove("LOGNAME")
        .output()
        .expect("miernik runs")
}

fn ok(db: &Db, args: &[&str]) -> String {
    let out = run(db, args);
    assert!(out.status.success(), "miernik {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

fn json(db: &Db, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(db, args)).expect("json")
}

fn fails(db: &Db, args: &[&str]) -> String {
    let out = run(db, args);
    assert!(!out.status.success(), "miernik {args:?} should fail: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stderr).expect("utf-8")
}

fn rows(v: &serde_json::Value) -> &Vec<serde_json::Value> {
    v["rows"].as_array().expect("rows")
}

fn current(db: &Db, unit: &str, year: i64) -> serde_json::Value {
    let hist = json(db, &["history", "--unit", unit, "--variable", "ludnosc", "--format", "json"]);
    hist.as_array().expect("array").iter().find(|h| h["year"] == year && h["status"] == "current").cloned().expect("a current value")
}

#[test]
fn imports_name_their_actor_and_a_revert_restores_the_first_imports_values() {
    let db = Db::new();
    ok(&db, &["import", "units", data(common::TERC_STATES[2]).to_str().expect("path")]);
    let a = db.path("a.csv");
    std::fs::write(&a, "unit,variable,year,value\n0201011,ludnosc,2020,100\n0201022,ludnosc,2020,200\n").expect("write");
    let b = db.path("b.csv");
    std::fs::write(&b, "unit,variable,year,value\n0201011,ludnosc,2020,110\n0201011,ludnosc,2021,120\n").expect("write");
    ok(&db, &["import", "observations", a.to_str().expect("p"), "--as", "Jan Kowalski"]);
    ok(&db, &["--as", "Anna", "import", "observations", b.to_str().expect("p")]);

    // Every import has its `import` row, naming the OS user and the --as name.
    let all = json(&db, &["audit", "--format", "json"]);
    let imports: Vec<(&str, &str)> =
        rows(&all).iter().map(|r| (r["action"].as_str().expect("action"), r["actor"].as_str().expect("actor"))).collect();
    assert_eq!(imports, vec![("import", "cli:ola as Anna"), ("import", "cli:ola as Jan Kowalski"), ("import", "cli:ola")], "{all}");
    assert!(all["next"].is_null());
    let detail = rows(&all)[0]["detail"].as_str().expect("detail");
    assert!(detail.contains("b.csv") && detail.contains("inserted 1") && detail.contains("changed 1"), "{detail}");
    let second = rows(&all)[0]["import_id"].as_i64().expect("import id");
    let units_import = rows(&all)[2]["import_id"].as_i64().expect("import id");

    // Filters: the --as name, the unit (value changes, old → new), paging.
    let anna = json(&db, &["audit", "--user", "Anna", "--format", "json"]);
    assert_eq!(rows(&anna).len(), 1);
    assert_eq!(rows(&anna)[0]["import_id"], second);
    let unit = json(&db, &["audit", "--unit", "0201011", "--format", "json"]);
    let changes: Vec<(i64, Option<f64>, Option<f64>, &str)> = rows(&unit)
        .iter()
        .map(|r| (r["year"].as_i64().expect("year"), r["old_value"].as_f64(), r["new_value"].as_f64(), r["actor"].as_str().expect("actor")))
        .collect();
    assert_eq!(
        changes,
        vec![
            (2021, None, Some(120.0), "cli:ola as Anna"),
            (2020, Some(100.0), Some(110.0), "cli:ola as Anna"),
            (2020, None, Some(100.0), "cli:ola as Jan Kowalski")
        ]
    );
    let page = json(&db, &["audit", "--limit", "2", "--format", "json"]);
    let next = page["next"].as_str().expect("a next page");
    let rest = json(&db, &["audit", "--after", next, "--format", "json"]);
    assert_eq!(rows(&rest).len(), 1);
    assert_eq!(rows(&rest)[0]["import_id"], units_import);
    let table = ok(&db, &["audit", "--unit", "0201011"]);
    assert!(table.lines().next().is_some_and(|h| h.starts_with("at")) && table.contains("100 → 110"), "{table}");

    // The revert gives the first import's values back, as a new import by its own actor.
    let out = json(&db, &["revert", &second.to_string(), "--comment", "zły plik", "--as", "Admin", "--format", "json"]);
    assert_eq!((out["restored"].as_u64(), out["cleared"].as_u64(), out["reverted"].as_i64()), (Some(1), Some(1), Some(second)), "{out}");
    assert_eq!(current(&db, "0201011", 2020)["value"], 100.0);
    let y2021 = current(&db, "0201011", 2021);
    assert!(y2021["value"].is_null(), "{y2021}");
    assert_eq!(current(&db, "0201022", 2020)["value"], 200.0, "untouched by either");
    let reverts = json(&db, &["audit", "--action", "revert", "--format", "json"]);
    assert_eq!(rows(&reverts).len(), 1, "{reverts}");
    let r = &rows(&reverts)[0];
    assert_eq!((r["actor"].as_str(), r["comment"].as_str(), r["import_id"].as_i64()), (Some("cli:ola as Admin"), Some("zły plik"), Some(second)));
    let log = json(&db, &["imports", "--format", "json"]);
    assert_eq!(log[0]["source"], "revert");
    assert_eq!(log[0]["id"], out["import_id"]);

    // Refusals: one line each, nothing written.
    let before = json(&db, &["audit", "--format", "json"]);
    let e = fails(&db, &["revert", "99999"]);
    assert!(e.starts_with("error: ") && e.contains("99999") && e.trim_end().lines().count() == 1, "{e}");
    let e = fails(&db, &["revert", &units_import.to_string()]);
    assert!(e.contains("wrote no observations") && e.trim_end().lines().count() == 1, "{e}");
    let e = fails(&db, &["audit", "--since", "yesterday"]);
    assert!(e.contains("--since"), "{e}");
    let e = fails(&db, &["audit", "--unit", "9999999"]);
    assert!(e.contains("--unit"), "{e}");
    assert_eq!(json(&db, &["audit", "--format", "json"]), before);
}
