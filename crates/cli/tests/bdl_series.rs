//! BDL web exports feed the catalogue's variables: the catalogue's `[[variable.bdl_series]]`
//! sends a series of a real export (P1336 population on 31 XII, P2137 population by age) to
//! `ludnosc`, a series in thousands is converted, and series the catalogue does not map keep
//! a code of their own and are named in the report. Expected numbers are read from the files
//! by the test.

mod common;

use common::{Db, data};

const CATALOGUE: &str = r#"version = "test"

[[variable]]
code = "ludnosc"
name_pl = "Ludność"
unit = "osoba"
[[variable.bdl_series]]
subject = "P1336"
dims = ["ogółem", "miejsce zamieszkania", "stan na 31 grudnia", "ogółem"]
measure = "osoba"
[[variable.bdl_series]]
subject = "P2137"
dims = ["ogółem", "ogółem"]
measure = "osoba"
[[variable.bdl_series]]
subject = "P9001"
dims = ["ogółem"]
measure = "tys. osób"

[[indicator]]
code = "D_01"
name_pl = "Ludność"
name_en = "Population"
area = "demografia"
service_pl = "s"
kind = "context"
dimension = "quantity"
polarity = "neutral"
numerator = "ludnosc"
unit_pl = "osób"
applies_to = ["gmina_miejska", "wojewodztwo"]
definition_pl = "d"
source = "GUS BDL"
"#;

/// A database with the TERC states of 2018 → 2025 and the catalogue above.
fn db_with_catalogue() -> Db {
    let db = Db::new();
    for f in &common::TERC_STATES[..3] {
        db.ok(&["import", "units", data(f).to_str().expect("path")]);
    }
    let cat = db.path("indicators.toml");
    std::fs::write(&cat, CATALOGUE).expect("write");
    db.ok(&["import", "indicators", cat.to_str().expect("path")]);
    db
}

/// The value of a CTAB export for the row of `kod` and the column whose header starts with
/// `series` and holds `;year;`: split by hand, independently of the reader.
fn ctab_value(file: &str, kod: &str, series: &str, year: i32) -> f64 {
    let text = std::fs::read_to_string(data(&format!("bdl/bdl_web_exports/{file}"))).expect("file");
    let mut lines = text.lines();
    let header: Vec<String> = split(lines.next().expect("header"));
    let col = header.iter().position(|h| h.starts_with(series) && h.contains(&format!(";{year};"))).expect("column");
    let row = lines.map(split).find(|f| f[0] == kod).expect("row");
    row[col].replace(',', ".").parse().expect("number")
}

fn split(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => out.push(String::new()),
            _ => out.last_mut().expect("field").push(c),
        }
    }
    out
}

fn history(db: &Db, unit: &str, variable: &str) -> Vec<(i64, f64)> {
    let h = db.json(&["history", "--unit", unit, "--variable", variable, "--format", "json"]);
    h.as_array()
        .expect("array")
        .iter()
        .filter(|r| r["status"] == "current")
        .map(|r| (r["year"].as_i64().expect("year"), r["value"].as_f64().expect("value")))
        .collect()
}

fn stderr_of(db: &Db, args: &[&str]) -> String {
    let out = db.run(args);
    assert!(out.status.success(), "miernik {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stderr).expect("utf-8")
}

#[test]
fn real_exports_land_in_the_catalogue_variable() {
    let db = db_with_catalogue();
    let p1336 = data("bdl/bdl_web_exports/LUDN_1336_CTAB_20260608161213.csv");
    let err = stderr_of(&db, &["import", "observations", p1336.to_str().expect("p"), "--create-missing-units"]);
    assert!(
        err.contains("series mapped to the catalogue: P1336 `ogółem; miejsce zamieszkania; stan na 31 grudnia; ogółem` [osoba] → ludnosc ×1"),
        "{err}"
    );
    assert!(!err.contains("not mapped"), "{err}");
    let ludnosc = history(&db, "0201011", "ludnosc");
    let series = "ogółem;miejsce zamieszkania;stan na 31 grudnia;ogółem";
    for year in [2015, 2020, 2024] {
        let want = ctab_value("LUDN_1336_CTAB_20260608161213.csv", "0201011", series, year);
        assert!(ludnosc.contains(&(i64::from(year), want)), "Bolesławiec (1) {year}: {want} in {ludnosc:?}");
    }
    assert_eq!(ludnosc.len(), 10, "2015–2024: {ludnosc:?}");

    // P2137: `ogółem; ogółem` to ludnosc, `70 i więcej; ogółem` kept apart and named.
    let p2137 = data("bdl/bdl_web_exports/LUDN_2137_CTAB_20260414235116.csv");
    let err = stderr_of(&db, &["import", "observations", p2137.to_str().expect("p")]);
    assert!(err.contains("series mapped to the catalogue: P2137 `ogółem; ogółem` [osoba] → ludnosc ×1, 16"), "{err}");
    assert!(err.contains("series not mapped to the catalogue: P2137 `70 i więcej; ogółem` → p2137_70_i_wiecej_ogolem"), "{err}");
    assert!(!err.contains("import the catalogue first"), "a catalogue with series is there: {err}");
    for (kod, unit) in [("0200000", "02"), ("1400000", "14")] {
        let total = ctab_value("LUDN_2137_CTAB_20260414235116.csv", kod, "ogółem;ogółem", 2024);
        let old = ctab_value("LUDN_2137_CTAB_20260414235116.csv", kod, "70 i więcej;ogółem", 2024);
        assert!(history(&db, unit, "ludnosc").contains(&(2024, total)), "{unit}");
        assert_eq!(history(&db, unit, "p2137_70_i_wiecej_ogolem"), vec![(2024, old)], "{unit}: the data are not lost");
    }
    assert!(db.fails(&["history", "--unit", "02", "--variable", "p2137_ogolem_ogolem"]).contains("p2137_ogolem_ogolem"));

    // --variable on this file: refused, because one of its series is not mapped.
    let e = db.fails(&["import", "observations", p2137.to_str().expect("p"), "--variable", "ludnosc"]);
    assert!(e.contains("more than one series") && e.contains("maps only some of them"), "{e}");
}

#[test]
fn a_series_in_thousands_of_persons_is_converted() {
    let db = db_with_catalogue();
    let f = db.path("LUDN_9001_CREL_20260101000000.csv");
    std::fs::write(
        &f,
        "\"Kod\";\"Nazwa\";\"Wiek\";\"Rok\";\"Wartosc\";\"Jednostka miary\";\"Atrybut\";\n\
         0201011;\"Bolesławiec (1)\";\"ogółem\";\"2013\";39,412;\"tys. osób\";\"\";\n\
         0200000;\"DOLNOŚLĄSKIE\";\"ogółem\";\"2013\";2909,997;\"tys. osób\";\"\";\n",
    )
    .expect("write");
    let err = stderr_of(&db, &["import", "observations", f.to_str().expect("p")]);
    assert!(err.contains("P9001 `ogółem` [tys. osób] → ludnosc ×1000, 2"), "{err}");
    assert_eq!(history(&db, "0201011", "ludnosc"), vec![(2013, 39412.0)]);
    assert_eq!(history(&db, "02", "ludnosc"), vec![(2013, 2_909_997.0)]);
}

#[test]
fn without_a_catalogue_the_report_says_to_import_it_first() {
    let db = Db::new();
    for f in &common::TERC_STATES[..3] {
        db.ok(&["import", "units", data(f).to_str().expect("path")]);
    }
    let p2137 = data("bdl/bdl_web_exports/LUDN_2137_CTAB_20260414235116.csv");
    let err = stderr_of(&db, &["import", "observations", p2137.to_str().expect("p")]);
    assert!(err.contains("series not mapped to the catalogue: P2137 `ogółem; ogółem` → p2137_ogolem_ogolem"), "{err}");
    assert!(err.contains("import the catalogue first"), "{err}");
    let e = db.fails(&["import", "observations", p2137.to_str().expect("p"), "--variable", "ludnosc"]);
    assert!(e.contains("import the catalogue first"), "{e}");
}

/// An export imported after a newer one of the same variable says so: BDL revised its
/// population from 2020 on after the 2021 census, and the 2022 export's figures replace the
/// 2026 export's. Oldest first (the README's order) gives no warning.
#[test]
fn an_older_export_after_a_newer_one_is_named() {
    let older = data("bdl/bdl_web_exports/LUDN_2137_CREL_20220407210714.csv");
    let newer = data("bdl/bdl_web_exports/LUDN_1336_CTAB_20260608161213.csv");
    let (older, newer) = (older.to_str().expect("path"), newer.to_str().expect("path"));

    let db = db_with_catalogue();
    let first = db.run(&["import", "observations", older, "--create-missing-units"]);
    let second = db.run(&["import", "observations", newer, "--create-missing-units"]);
    assert!(first.status.success() && second.status.success());
    for out in [&first, &second] {
        assert!(!String::from_utf8_lossy(&out.stderr).contains("starszy"), "oldest first: no warning");
    }
    let revised = ctab_value("LUDN_1336_CTAB_20260608161213.csv", "0201011", "ogółem;miejsce zamieszkania;stan na 31 grudnia", 2020);
    let hist = db.json(&["history", "--unit", "0201011", "--variable", "ludnosc", "--format", "json"]);
    let current_2020 =
        hist.as_array().expect("history").iter().find(|h| h["year"] == 2020 && h["status"] == "current").expect("2020")["value"].clone();
    assert_eq!(current_2020.as_f64(), Some(revised), "the newer export's revised figure stands");

    let db = db_with_catalogue();
    db.ok(&["import", "observations", newer, "--create-missing-units"]);
    let out = db.run(&["import", "observations", older, "--create-missing-units"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("LUDN_1336_CTAB_20260608161213.csv") && err.contains("ludnosc") && err.contains("older than"),
        "the newer export is named: {err}"
    );
}
