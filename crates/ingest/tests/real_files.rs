//! The observation readers on the real BDL exports in ../shared/data (numbers checked by an
//! independent count in the test), on broken long-layout files, on XLSX, and on noise.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ingest::{Layout, ReadOptions, Record, RowError, open_observations};
use model::{Flag, VariableCode};

fn bdl(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/bdl/bdl_web_exports").join(name)
}

/// Reads a whole file: records and row errors.
fn drain(path: &Path, opts: &ReadOptions) -> (Layout, Vec<Record>, Vec<RowError>, u64) {
    let mut r = open_observations(path, opts).unwrap_or_else(|e| panic!("{e}"));
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    while let Some(rec) = r.next_record().unwrap_or_else(|e| panic!("{e}")) {
        match rec {
            Ok(x) => ok.push(x),
            Err(e) => bad.push(e),
        }
    }
    (r.layout(), ok, bad, r.empty_cells())
}

/// Splits a BDL export line on `;` outside quotes: an independent reading of the format.
fn fields(line: &str) -> Vec<String> {
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

#[test]
fn every_real_bdl_export_reads_without_a_row_error() {
    let dir = bdl("");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        let (layout, records, errors, empty) = drain(&path, &ReadOptions::default());
        assert!(errors.is_empty(), "{}: {:?}", path.display(), errors.first());
        assert!(!records.is_empty(), "{}", path.display());
        // Independent count: every non-empty value cell of the file.
        let text = std::fs::read_to_string(&path).expect("text");
        let mut lines = text.lines();
        let header = fields(lines.next().expect("header"));
        let cells: usize = if layout == Layout::BdlCrel {
            let v = header.iter().position(|h| h == "Wartosc").expect("Wartosc");
            lines.filter(|l| fields(l).get(v).is_some_and(|x| !x.is_empty())).count()
        } else {
            lines.map(|l| fields(l).iter().skip(2).filter(|x| !x.is_empty()).count()).sum()
        };
        assert_eq!(records.len(), cells, "{}", path.display());
        assert!(layout != Layout::Long, "{}", path.display());
        let _ = empty;
        n += 1;
    }
    assert_eq!(n, 12);
}

#[test]
fn population_2020_by_gmina_sums_to_poland() {
    let (layout, records, _, _) = drain(&bdl("LUDN_2137_CREL_20220407210714.csv"), &ReadOptions::default());
    assert_eq!(layout, Layout::BdlCrel);
    assert_eq!(records.len(), 7431);
    let mut by_var: HashMap<&str, usize> = HashMap::new();
    for r in &records {
        *by_var.entry(r.variable.as_str()).or_default() += 1;
    }
    assert_eq!(by_var.len(), 3, "{by_var:?}");
    let total: f64 = records
        .iter()
        .filter(|r| r.variable.as_str() == "p2137_ogolem_ogolem")
        .filter_map(|r| r.value.map(model::Value::get))
        .sum();
    assert_eq!(total, 38_265_013.0);
    let first = &records[0];
    assert_eq!(first.unit.as_str(), "0201011");
    assert_eq!(first.unit_name.as_deref(), Some("Bolesławiec (1)"));
    assert_eq!(first.line, 2);
}

#[test]
fn unemployment_ctab_has_all_levels_empty_cells_and_historical_units() {
    let path = bdl("RYNE_1944_CTAB_20250616184618.csv");
    let (layout, records, _, empty) = drain(&path, &ReadOptions::default());
    assert_eq!(layout, Layout::BdlCtab);
    assert_eq!(empty, 7213);
    assert_eq!(records.len(), 4434 * 22 - 7213);
    let poland_2024 = records
        .iter()
        .find(|r| r.unit.as_str() == "PL" && r.year.get() == 2024)
        .expect("Poland 2024");
    assert_eq!(poland_2024.value.map(model::Value::get), Some(786_179.0));
    assert_eq!(poland_2024.variable.as_str(), "p1944_ogolem");
    assert!(records.iter().any(|r| r.unit_name.as_deref() == Some("Wałbrzych od 2003 do 2012 (1)")));
    let units: std::collections::HashSet<&str> = records.iter().map(|r| r.unit.as_str()).collect();
    assert_eq!(units.len(), 4434);
}

#[test]
fn decimal_commas_and_the_ctab_header_are_understood() {
    let (_, wages, _, _) = drain(&bdl("WYNA_2497_CREL_20250113223353.csv"), &ReadOptions::default());
    assert_eq!(wages[0].value.map(model::Value::get), Some(2165.84));
    assert_eq!(wages[0].unit.as_str(), "02");
    let mut r = open_observations(&bdl("LUDN_2137_CTAB_20260414235116.csv"), &ReadOptions::default()).expect("opens");
    let codes: Vec<&str> = r.variables().iter().map(|v| v.code.as_str()).collect();
    assert_eq!(codes, vec!["p2137_ogolem_ogolem", "p2137_70_i_wiecej_ogolem"]);
    assert_eq!(r.variables()[0].measure_unit.as_deref(), Some("osoba"));
    assert_eq!(r.variables()[0].bdl_subgroup.as_deref(), Some("P2137"));
    let first = r.next_record().expect("ok").expect("some").expect("record");
    assert_eq!(first.value.map(model::Value::get), Some(2_868_242.0));
}

#[test]
fn a_named_variable_is_refused_for_a_file_of_several_series() {
    let opts = ReadOptions { variable: Some(VariableCode::parse("ludnosc").expect("code")), sheet: None };
    let Err(e) = open_observations(&bdl("LUDN_2137_CTAB_20260414235116.csv"), &opts) else {
        panic!("two series, one name");
    };
    assert!(e.to_string().contains("more than one series"), "{e}");
    let (_, one, _, _) = drain(&bdl("LUDN_2137_CREL_20250203183614.csv"), &opts);
    assert!(one.iter().all(|r| r.variable.as_str() == "ludnosc"));
    assert_eq!(one.len(), 5);
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

/// One bad long-layout row: its line, column and a fragment of the reason.
fn check_row(input: &str, line: u64, column: Option<&str>, fragment: &str) {
    let dir = tempfile::tempdir().expect("dir");
    let p = write(&dir, "t.csv", input.as_bytes());
    let (_, _, errors, _) = drain(&p, &ReadOptions::default());
    let e = errors.first().unwrap_or_else(|| panic!("{input:?} should give a row error"));
    assert_eq!(e.line, line, "{e}");
    assert_eq!(e.column.as_ref().map(|c| c.1.as_str()), column, "{e}");
    assert!(e.message.contains(fragment), "`{fragment}` not in {e}");
}

#[test]
fn bad_long_rows_say_line_column_and_why() {
    let h = "unit,variable,year,value,flag\n";
    check_row(&format!("{h}0201011,x,2020,1,\n02x,x,2020,1,\n"), 3, Some("unit"), "digits only");
    check_row(&format!("{h}0201011,ludność,2020,1,\n"), 2, Some("variable"), "must start with a letter");
    check_row(&format!("{h}0201011,x,20200,1,\n"), 2, Some("year"), "1900 to 2100");
    check_row(&format!("{h}0201011,x,2020,abc,\n"), 2, Some("value"), "not a number");
    check_row(&format!("{h}0201011,x,2020,,\n"), 2, Some("value"), "empty");
    check_row(&format!("{h}0201011,x,2020,1,maybe\n"), 2, Some("flag"), "unknown flag");
    check_row(&format!("{h}0201011,x,2020,1,5,\n"), 2, None, "decimal comma");
    check_row(&format!("{h}0201011,x,2020,1,\n0201011,x"), 3, None, "found 2");
}

#[test]
fn polish_headers_semicolons_and_flags_without_values_read() {
    let dir = tempfile::tempdir().expect("dir");
    let p = write(&dir, "pl.csv", "\u{feff}Jednostka;Zmienna;Rok;Wartość;Flaga\r\n0201011;ludnosc;2020;1 234,5;\r\n02;ludnosc;2020;;confidential\r\n".as_bytes());
    let (_, recs, errs, _) = drain(&p, &ReadOptions::default());
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(recs[0].value.map(model::Value::get), Some(1234.5));
    assert_eq!((recs[1].value, recs[1].flag), (None, Flag::Confidential));
    assert_eq!(recs[1].line, 3);
}

#[test]
fn unreadable_long_files_fail_whole_with_the_reason() {
    let dir = tempfile::tempdir().expect("dir");
    let cases: [(&str, &[u8], &str); 5] = [
        ("tabs.csv", b"unit\tvariable\tyear\tvalue\n0201011\tx\t2020\t1\n", "tabs"),
        ("cols.csv", b"unit,variable,year,value,comment\n", "`comment`"),
        ("miss.csv", b"unit,variable,year\n", "must name the columns"),
        ("empty.csv", b"", "empty"),
        ("enc.csv", b"unit,variable,year,value\n0201011,w\xb3asne,2020,1\n", "not UTF-8"),
    ];
    for (name, bytes, fragment) in cases {
        let p = write(&dir, name, bytes);
        let err = match open_observations(&p, &ReadOptions::default()) {
            Err(e) => e.to_string(),
            Ok(mut r) => loop {
                match r.next_record() {
                    Err(e) => break e.to_string(),
                    Ok(None) => panic!("{name} should fail"),
                    Ok(Some(_)) => {}
                }
            },
        };
        assert!(err.contains(fragment), "{name}: `{fragment}` not in {err}");
        assert!(err.contains(name), "{name}: the file is named: {err}");
    }
}

#[test]
fn xlsx_reads_numbers_text_and_lost_leading_zeros() {
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join("obs.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let s = book.add_worksheet();
    for (c, h) in ["unit", "variable", "year", "value", "flag"].iter().enumerate() {
        s.write_string(0, c as u16, *h).expect("header");
    }
    s.write_number(1, 0, 201011.0).expect("cell"); // 0201011 typed as a number
    s.write_string(1, 1, "ludnosc").expect("cell");
    s.write_number(1, 2, 2020.0).expect("cell");
    s.write_number(1, 3, 38486.5).expect("cell");
    s.write_string(2, 0, "0201022").expect("cell");
    s.write_string(2, 1, "ludnosc").expect("cell");
    s.write_string(2, 2, "2020").expect("cell");
    s.write_string(2, 3, "14 000,5").expect("cell");
    s.write_string(3, 0, "0201022").expect("cell");
    s.write_string(3, 1, "ludnosc").expect("cell");
    s.write_string(3, 2, "2020").expect("cell");
    s.write_string(3, 3, "n/a").expect("cell");
    book.save(&p).expect("save");
    let (layout, recs, errs, _) = drain(&p, &ReadOptions::default());
    assert_eq!(layout, Layout::Long);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].unit.as_str(), "0201011");
    assert_eq!(recs[0].value.map(model::Value::get), Some(38486.5));
    assert_eq!(recs[1].value.map(model::Value::get), Some(14000.5));
    assert_eq!((errs[0].line, errs[0].column.as_ref().map(|c| c.1.as_str())), (4, Some("value")));
    let missing = ReadOptions { variable: None, sheet: Some("Dane".into()) };
    let e = open_observations(&p, &missing).err().expect("no such sheet").to_string();
    assert!(e.contains("Sheet1"), "lists the sheets: {e}");
    let broken = write(&dir, "broken.xlsx", &std::fs::read(&p).expect("read")[..200]);
    let e = open_observations(&broken, &ReadOptions::default()).err().expect("truncated").to_string();
    assert!(e.contains("spreadsheet"), "{e}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn no_bytes_make_the_observation_readers_panic(
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        header in 0usize..4,
    ) {
        let heads: [&[u8]; 4] = [
            b"unit,variable,year,value,flag\n",
            b"\"Kod\";\"Nazwa\";\"Wiek\";\"Rok\";\"Wartosc\";\"Jednostka miary\";\"Atrybut\";\n",
            b"\"Kod\";\"Nazwa\";\"og\xc3\xb3\xc5\x82em;2024;[osoba]\";\n",
            b"PK\x03\x04",
        ];
        let dir = tempfile::tempdir().expect("dir");
        let mut bytes = heads[header].to_vec();
        bytes.extend_from_slice(&body);
        let name = if header == 3 { "f.xlsx" } else { "LUDN_2137_CREL_1.csv" };
        let p = dir.path().join(name);
        std::fs::write(&p, &bytes).expect("write");
        if let Ok(mut r) = open_observations(&p, &ReadOptions::default()) {
            let mut n = 0;
            while let Ok(Some(_)) = r.next_record() {
                n += 1;
                if n > 10_000 { break; }
            }
        }
    }
}
