//! `miernik import areas` and `miernik import budget` on the real files: counts against an
//! independent reading of the files, the Kutno school totals, re-imports that change
//! nothing, and broken inputs that are refused with file/row/field and change nothing.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::PathBuf;

use common::{Db, data};

const AREA: &str = "area/Wykaz_powierzchni_wg_stanu_na_01012025_ha_km2.xlsx";
const BUDGET_DIR: &str = "budget/bestia_xml_kutno_schools";

/// A database with the TERC states of 1 January 2024 and 2025 (the area list uses the codes
/// of 2025).
fn db_with_units() -> Db {
    let db = Db::new();
    for f in &common::TERC_STATES[2..4] {
        db.ok(&["import", "units", data(f).to_str().expect("path")]);
    }
    db
}

/// Everything a change could touch: the values with their revisions and the import log.
fn state(db: &Db) -> (String, String) {
    (db.ok(&["changes", "--since", "2000-01-01", "--format", "csv"]), db.ok(&["imports", "--format", "csv"]))
}

fn budget_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data(BUDGET_DIR)).expect("dir").map(|e| e.expect("entry").path()).collect();
    files.retain(|f| f.extension().is_some_and(|e| e == "xml"));
    files.sort();
    files
}

/// Data rows of the sheet, counted from the sheet's XML (not through calamine): `<row` elements
/// minus the header.
fn sheet_rows() -> usize {
    let f = std::fs::File::open(data(AREA)).expect("xlsx");
    let mut zip = zip::ZipArchive::new(f).expect("zip");
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml").expect("sheet1").read_to_string(&mut xml).expect("read");
    xml.matches("<row ").count() - 1
}

#[test]
fn the_area_list_imports_every_row_adds_up_and_a_reimport_changes_nothing() {
    let db = db_with_units();
    let p = data(AREA);
    let p = p.to_str().expect("path");
    let first = db.json(&["import", "areas", p, "--format", "json"]);
    let rows = sheet_rows() as u64;
    assert_eq!(first["read"].as_u64(), Some(rows), "{first}");
    assert_eq!(first["inserted"].as_u64(), Some(rows), "{first}");
    assert_eq!(first["rejected"], 0);
    assert_eq!(first["year"], 2025, "the boundaries of 1 January 2025 are the territory of 2025");
    let again = db.json(&["import", "areas", p, "--format", "json"]);
    assert_eq!((again["inserted"].as_u64(), again["changed"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(0), Some(rows)));

    // Bolesławiec: 2285 ha in the file → 22.85 km² (the km² column's rounded 23 is not used).
    let hist = db.json(&["history", "--unit", "0201011", "--variable", "powierzchnia", "--format", "json"]);
    assert_eq!(hist[0]["value"], 22.85, "{hist}");
    assert_eq!(hist[0]["source"], "gugik");
    // Gminy add up to powiaty, powiaty to województwa, województwa to Poland.
    let out = db.run(&["check", "--variable", "powierzchnia", "--year", "2025", "--tolerance", "0.001", "--format", "json"]);
    assert!(out.status.success());
    let mismatches: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(mismatches.as_array().map(Vec::len), Some(0), "{mismatches}");
    let said = String::from_utf8_lossy(&out.stderr);
    let checked: u64 = said.split(" units checked").next().and_then(|n| n.trim().parse().ok()).expect("count");
    assert!(checked > 300 && said.contains(" 0 do not add up"), "{said}");
}

#[test]
fn areas_can_be_stored_under_another_year() {
    let db = db_with_units();
    let p = data(AREA);
    let r = db.json(&["import", "areas", p.to_str().expect("path"), "--year", "2024", "--format", "json"]);
    assert_eq!(r["year"], 2024);
    let hist = db.json(&["history", "--unit", "02", "--variable", "powierzchnia", "--format", "json"]);
    assert_eq!(hist[0]["year"], 2024, "{hist}");
}

/// An independent reading of a package: each `<Pozycja>` as tag → text.
fn positions(path: &std::path::Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).expect("read");
    text.split("<Pozycja>")
        .skip(1)
        .map(|chunk| {
            chunk
                .split("</Pozycja>")
                .next()
                .expect("body")
                .split("</")
                .filter_map(|part| {
                    let (tag, value) = part.rsplit_once('<')?.1.split_once('>')?;
                    Some((tag.to_owned(), value.to_owned()))
                })
                .collect()
        })
        .collect()
}

fn grosze(s: &str) -> i64 {
    let (a, b) = s.split_once('.').unwrap_or((s, "0"));
    let sign = if a.starts_with('-') { -1 } else { 1 };
    sign * (a.trim_start_matches('-').parse::<i64>().expect("int") * 100 + format!("{b:0<2}").parse::<i64>().expect("frac"))
}

const POSITION_TAGS: [&str; 5] = ["Dzial", "Rozdzial", "Grupa", "Paragraf", "P4"];

/// The number of variables a package gives: every amount's measure at the five levels.
fn expected_variables(rows: &[BTreeMap<String, String>]) -> usize {
    let mut keys = BTreeSet::new();
    for p in rows {
        for (tag, _) in p.iter().filter(|(t, _)| !POSITION_TAGS.contains(&t.as_str())) {
            let par = format!("{}{}", p["Paragraf"], p["P4"]);
            for level in
                [String::new(), format!("d{}", p["Dzial"]), format!("r{}", p["Rozdzial"]), format!("r{}p{par}", p["Rozdzial"]), format!("p{par}")]
            {
                keys.insert((level, tag.clone()));
            }
        }
    }
    keys.len()
}

#[test]
fn budget_unit_packages_are_refused_by_default_and_change_nothing() {
    let db = db_with_units();
    let before = state(&db);
    for f in budget_files() {
        let err = db.fails(&["import", "budget", f.to_str().expect("path")]);
        assert!(err.starts_with(&format!("error: {}: ", f.display())), "{err}");
        assert!(err.contains("budget units") && err.contains("--sum-units"), "{err}");
    }
    assert_eq!(state(&db), before);
}

#[test]
fn summed_school_reports_give_kutnos_totals_and_a_reimport_changes_nothing() {
    let db = db_with_units();
    let files = budget_files();
    assert_eq!(files.len(), 4);
    let paths: Vec<&str> = files.iter().map(|f| f.to_str().expect("path")).collect();
    let mut args = vec!["import", "budget", "--sum-units", "--format", "json"];
    args.extend(&paths);
    let out = db.ok(&args);
    let reports: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert_eq!(reports.len(), 4);
    for (f, r) in files.iter().zip(&reports) {
        let rows = positions(f);
        let text = std::fs::read_to_string(f).expect("read");
        assert_eq!(r["positions"].as_u64(), Some(rows.len() as u64), "{r}");
        assert_eq!(r["reports"].as_u64(), Some((text.matches("<Rb-28s ").count() + text.matches("<Rb-27s ").count()) as u64));
        assert_eq!(r["summed_units"].as_u64(), Some(text.matches("<Typ>JB</Typ>").count() as u64 / 2), "each unit names its type twice");
        assert_eq!(r["read"].as_u64(), Some(expected_variables(&rows) as u64), "{}: {r}", f.display());
        assert_eq!(r["inserted"], r["read"]);
        assert_eq!(r["jst"], serde_json::json!(["1002011"]));
    }

    // Kutno, 2022: WW of dział 801 summed over the seven schools' rows.
    let expenditure = files.iter().find(|f| f.to_string_lossy().contains("2022_IVKwartal_Wydatki")).expect("file");
    let rows = positions(expenditure);
    let ww_801: i64 = rows.iter().filter(|p| p["Dzial"] == "801").filter_map(|p| p.get("WW")).map(|v| grosze(v)).sum();
    let hist = db.json(&["history", "--unit", "1002011", "--variable", "rb28s_jb_dz801_ww", "--format", "json"]);
    assert_eq!(hist[0]["year"], 2022);
    assert_eq!(hist[0]["value"].as_f64(), Some(ww_801 as f64 / 100.0), "{hist}");
    assert_eq!(hist[0]["source"], "mf");
    // The half-year (quarter 2) is its own variable, never the year's.
    let q2 = db.json(&["history", "--unit", "1002011", "--variable", "rb28s_jb_q2_dz801_ww", "--format", "json"]);
    assert_eq!(q2[0]["year"], 2023, "{q2}");
    let none = db.fails(&["history", "--unit", "1002011", "--variable", "wydatki_801"]);
    assert!(none.contains("no variable"), "schools' sums are not the gmina's dział 801: {none}");

    let before = state(&db);
    let mut again = vec!["import", "budget", "--sum-units", "--format", "json"];
    again.extend(&paths);
    for l in db.ok(&again).lines() {
        let r: serde_json::Value = serde_json::from_str(l).expect("json");
        assert_eq!((r["inserted"].as_u64(), r["changed"].as_u64()), (Some(0), Some(0)), "{r}");
        assert_eq!(r["unchanged"], r["read"]);
    }
    assert_eq!(state(&db).0, before.0, "no value changed");
}

/// Writes an XLSX of text/number cells.
fn xlsx(db: &Db, name: &str, rows: &[&[&str]]) -> PathBuf {
    let path = db.path(name);
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (u32::try_from(r).expect("r"), u16::try_from(c).expect("c"));
            if cell.is_empty() {
                continue;
            }
            match cell.parse::<f64>() {
                Ok(n) if !cell.starts_with('0') || cell.len() == 1 => sheet.write_number(r, c, n).map(|_| ()),
                _ => sheet.write_string(r, c, *cell).map(|_| ()),
            }
            .expect("write");
        }
    }
    book.save(&path).expect("save");
    path
}

#[test]
fn every_broken_input_is_refused_with_where_and_why_and_changes_nothing() {
    let db = db_with_units();
    // Something to lose: a good import first.
    db.ok(&["import", "areas", data(AREA).to_str().expect("path")]);
    let before = state(&db);

    let header: &[&str] = &["TERYT", "Nazwa jednostki", "Powierzchnia [ha]", "Powierzchnia [km2]"];
    let good: &[&str] = &["02 01 01 1", "Bolesławiec", "2285", "23"];
    let cases: Vec<(PathBuf, &str, Vec<&str>)> = vec![
        (
            xlsx(&db, "no_teryt_stanu_na_01012025.xlsx", &[&["Kod", "Nazwa", "Powierzchnia [ha]"], &["02", "X", "5"]]),
            "areas",
            vec!["no column `TERYT`"],
        ),
        (
            xlsx(&db, "bad_code_stanu_na_01012025.xlsx", &[header, good, &["02 0X 01 1", "Zła", "100", "1"]]),
            "areas",
            vec!["line 3, column 1 (TERYT)", "020X011"],
        ),
        (
            xlsx(&db, "negative_stanu_na_01012025.xlsx", &[header, good, &["02 01 02 2", "Ujemna", "-28913", ""]]),
            "areas",
            vec!["line 3, column 3 (Powierzchnia [ha])", "not positive"],
        ),
        (
            xlsx(&db, "text_stanu_na_01012025.xlsx", &[header, good, &["02 01 03 2", "Tekst", "dużo", ""]]),
            "areas",
            vec!["line 3, column 3 (Powierzchnia [ha])"],
        ),
    ];
    let real = std::fs::read(budget_files()[1].clone()).expect("read");
    let mut cut = real.len() / 2;
    while real[cut] >= 0x80 {
        cut -= 1;
    }
    let truncated = db.path("truncated.xml");
    std::fs::write(&truncated, &real[..cut]).expect("write");
    let not_xml = db.path("not.xml");
    std::fs::write(&not_xml, "Dzial;Rozdzial;WW\n801;80101;5\n").expect("write");
    let other = db.path("terc.xml");
    std::fs::write(&other, "<?xml version=\"1.0\"?><teryt><catalog><row><WOJ>02</WOJ></row></catalog></teryt>").expect("write");
    let text = String::from_utf8(real.clone()).expect("utf-8");
    let bad_amount = db.path("amount.xml");
    std::fs::write(&bad_amount, text.replacen("<WW>9803.89</WW>", "<WW>9 803,89</WW>", 1)).expect("write");
    let unknown_jst = db.path("unknown.xml");
    std::fs::write(&unknown_jst, text.replace("<GK>01</GK>", "<GK>99</GK>")).expect("write");
    let mut cases = cases;
    cases.extend([
        (truncated, "budget", vec!["truncated"]),
        (not_xml, "budget", vec!["not an XML report package"]),
        (other, "budget", vec!["<teryt>", "not <PaczkaSprawozdan>"]),
        (bad_amount, "budget", vec!["Pozycja[1]/WW", "`9 803,89` is not an amount"]),
        (unknown_jst, "budget", vec!["unknown unit code(s) 1002991"]),
    ]);
    for (path, kind, needles) in &cases {
        let p = path.to_str().expect("path");
        let args: Vec<&str> = if *kind == "budget" { vec!["import", kind, "--sum-units", p] } else { vec!["import", kind, p] };
        let err = db.fails(&args);
        let first = err.lines().next().unwrap_or_default();
        assert!(first.starts_with(&format!("error: {p}")), "names the file: {err}");
        for n in needles {
            assert!(err.contains(n), "{p}: `{n}` in {err}");
        }
        assert_eq!(state(&db), before, "{p} changed nothing");
    }
    // A broken file among good ones: nothing of the good ones is imported either.
    let good_file = budget_files()[0].clone();
    let err = db.fails(&["import", "budget", "--sum-units", good_file.to_str().expect("p"), cases[4].0.to_str().expect("p")]);
    assert!(err.contains("truncated"), "{err}");
    assert_eq!(state(&db), before);
}

#[test]
fn population_density_computes_from_the_imported_areas() {
    let db = db_with_units();
    let catalogue = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue/indicators.toml");
    db.ok(&["import", "indicators", catalogue.to_str().expect("path")]);
    db.ok(&["import", "areas", data(AREA).to_str().expect("path")]);
    let pop = db.path("pop.csv");
    std::fs::write(&pop, "unit,variable,year,value\n0201011,ludnosc,2025,36000\n0201022,ludnosc,2025,15000\n").expect("write");
    db.ok(&["import", "observations", pop.to_str().expect("path")]);
    let c = db.json(&["compare", "--unit", "0201011", "--indicator", "DEM_01", "--year", "2025", "--group", "wojewodztwo", "--format", "json"]);
    let density = c["value"].as_f64().expect("density");
    assert!((density - 36000.0 / 22.85).abs() < 1e-9, "ludnosc ÷ powierzchnia (2285 ha = 22.85 km²): {c}");
}

#[test]
fn a_jsts_own_year_report_fills_the_catalogues_mf_variables() {
    let db = db_with_units();
    // The first school's 2022 report relabelled as the gmina's own one (Typ other than JB).
    let text = std::fs::read_to_string(&budget_files()[1]).expect("read");
    let end = text.find("</Jednostka><Jednostka>").expect("two units");
    let own = format!("{}</Jednostka></Jednostki></PaczkaSprawozdan>", &text[..end]).replace("<Typ>JB</Typ>", "<Typ>GM</Typ>");
    let f = db.path("own.xml");
    std::fs::write(&f, own).expect("write");
    let r = db.json(&["import", "budget", f.to_str().expect("path"), "--format", "json"]);
    assert_eq!(r["summed_units"], 0, "{r}");
    let value = |v: &str| db.json(&["history", "--unit", "1002011", "--variable", v, "--format", "json"])[0]["value"].clone();
    assert!(value("rb28s_dz801_ww").is_number());
    assert_eq!(value("wydatki_801"), value("rb28s_dz801_ww"));
    assert_eq!(value("wydatki_ogolem"), value("rb28s_ww"));
}

#[test]
fn areas_and_budget_reports_import_the_same_on_postgresql() {
    let Ok(pg) = std::env::var("MIERNIK_TEST_POSTGRES") else {
        eprintln!("MIERNIK_TEST_POSTGRES not set: skipped");
        return;
    };
    let schema = format!("cli_formats_{}", std::process::id());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        app::Store::open_postgres_schema(&pg, &schema).await.expect("schema").close().await;
    });
    let sep = if pg.contains('?') { '&' } else { '?' };
    let db = Db { dir: tempfile::tempdir().expect("dir"), url: format!("{pg}{sep}options=-c%20search_path%3D{schema}") };
    for f in &common::TERC_STATES[2..4] {
        db.ok(&["import", "units", data(f).to_str().expect("path")]);
    }
    let area = data(AREA);
    let first = db.json(&["import", "areas", area.to_str().expect("path"), "--format", "json"]);
    assert_eq!(first["inserted"].as_u64(), Some(sheet_rows() as u64), "{first}");
    let files = budget_files();
    let p = files[1].to_str().expect("path");
    let r = db.json(&["import", "budget", "--sum-units", p, "--format", "json"]);
    assert_eq!(r["inserted"], r["read"]);
    let before = state(&db);
    let again = db.json(&["import", "budget", "--sum-units", p, "--format", "json"]);
    assert_eq!((again["inserted"].as_u64(), again["changed"].as_u64()), (Some(0), Some(0)));
    let bad = db.path("bad.xml");
    std::fs::write(&bad, std::fs::read_to_string(&files[1]).expect("read").replacen("<PL>", "<PL>x", 1)).expect("write");
    let err = db.fails(&["import", "budget", "--sum-units", bad.to_str().expect("path")]);
    assert!(err.contains("Pozycja[1]/PL"), "{err}");
    assert_eq!(state(&db).0, before.0, "nothing written");
    rt.block_on(async { app::Store::drop_postgres_schema(&pg, &schema).await.expect("drop") });
}

#[test]
fn units_new_on_1_january_2025_are_reported_by_code_and_name_when_the_register_is_older() {
    let db = Db::new();
    db.ok(&["import", "units", data(common::TERC_STATES[2]).to_str().expect("path")]);
    let before = state(&db);
    let err = db.fails(&["import", "areas", data(AREA).to_str().expect("path")]);
    assert!(err.contains("unknown unit code(s)"), "{err}");
    assert!(err.contains("1207132 Szczawa"), "the code with the file's name of the unit: {err}");
    assert!(err.contains("miernik import units"), "{err}");
    assert_eq!(state(&db), before);
}
