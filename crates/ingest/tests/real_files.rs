//! The observation readers on the real BDL exports in ../shared/data (numbers checked by an
//! independent count in the test), on broken long-layout files, on XLSX, and on noise.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ingest::{IngestError, Layout, ReadOptions, Record, RowError, open_observations};
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
    // Twelve files since the start, three more (P2622, P2633, P1336 per gmina) since 2026-12-05.
    assert!(n >= 15, "{n} files");
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
    let total: f64 = records.iter().filter(|r| r.variable.as_str() == "p2137_ogolem_ogolem").filter_map(|r| r.value.map(model::Value::get)).sum();
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
    let poland_2024 = records.iter().find(|r| r.unit.as_str() == "PL" && r.year.get() == 2024).expect("Poland 2024");
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
    let opts = ReadOptions { variable: Some(VariableCode::parse("ludnosc").expect("code")), ..ReadOptions::default() };
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
    check_row(&format!("{h}0201011,x,2020,1,\r\n0201011,x,2021,1,\r\n0201017,x,2020,1,\r\n"), 4, Some("unit"), "RODZ digit `7`");
    check_row(&format!("{h}0201011,x,2020,,final\n"), 2, Some("value"), "the flag is final");
    check_row("unit;variable;year;value\n0201011,x,2020,1\n", 2, None, "expected 4 fields");
    check_row("unit;variable;year;value\n0201011;x;2020;1.5,2\n", 2, Some("value"), "mixes a decimal comma and a decimal point");
}

#[test]
fn polish_headers_semicolons_and_flags_without_values_read() {
    let dir = tempfile::tempdir().expect("dir");
    let p = write(
        &dir,
        "pl.csv",
        "\u{feff}Jednostka;Zmienna;Rok;Wartość;Flaga\r\n0201011;ludnosc;2020;1 234,5;\r\n02;ludnosc;2020;;confidential\r\n".as_bytes(),
    );
    let (_, recs, errs, _) = drain(&p, &ReadOptions::default());
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(recs[0].value.map(model::Value::get), Some(1234.5));
    assert_eq!((recs[1].value, recs[1].flag), (None, Flag::Confidential));
    assert_eq!(recs[1].line, 3);
}

/// Opens and drains a file that must fail as a whole; returns the line and the message.
fn fatal(path: &Path, opts: &ReadOptions) -> (u64, String) {
    let e = match open_observations(path, opts) {
        Err(e) => e,
        Ok(mut r) => loop {
            match r.next_record() {
                Err(e) => break e,
                Ok(None) => panic!("{} should fail", path.display()),
                Ok(Some(_)) => {}
            }
        },
    };
    let text = e.to_string();
    assert!(text.contains(&path.display().to_string()), "the file is named: {text}");
    match e {
        IngestError::Format { line, message, .. } => (line, message),
        IngestError::Io { .. } | IngestError::Feature { .. } => panic!("{text}"),
    }
}

/// A file that cannot be read at all: the line and a fragment of the reason.
fn check_fatal(name: &str, bytes: &[u8], line: u64, fragment: &str) {
    let dir = tempfile::tempdir().expect("dir");
    let p = write(&dir, name, bytes);
    let (l, message) = fatal(&p, &ReadOptions::default());
    assert!(message.contains(fragment), "{name}: `{fragment}` not in {message}");
    assert_eq!(l, line, "{name}: {message}");
}

#[test]
fn unreadable_long_files_fail_whole_with_the_reason() {
    check_fatal("tabs.csv", b"unit\tvariable\tyear\tvalue\n0201011\tx\t2020\t1\n", 1, "tabs");
    check_fatal("pipes.csv", b"unit|variable|year|value\n", 1, "is the separator `,` or `;`?");
    check_fatal("cols.csv", b"unit,variable,year,value,comment\n", 1, "`comment`");
    check_fatal("miss.csv", b"unit,variable,year\n", 1, "missing: value; found `unit,variable,year`");
    check_fatal("twice.csv", b"unit,variable,year,value,rok\n", 1, "appears twice");
    check_fatal("empty.csv", b"", 0, "empty");
    check_fatal("blank.csv", b"\xef\xbb\xbf \r\n", 0, "empty");
    check_fatal("enc.csv", b"unit,variable,year,value\n0201011,x,2020,1\r\n0201011,w\xb3asne,2020,1\n", 3, "iconv -f cp1250");
    check_fatal("head.csv", b"jednostka,zmienna,rok,warto\xb6\xe6\n", 1, "not UTF-8");
    check_fatal("old.xls", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 0, "XLS");
    check_fatal("zip.csv", b"PK\x03\x04garbage", 0, "spreadsheet");
}

#[test]
fn long_csv_reads_any_column_order_and_reports_progress() {
    let dir = tempfile::tempdir().expect("dir");
    let body = "YEAR,Value,Unit,Variable\r\n2020,38486.5,0201011,ludnosc\r\n2021,1e3,0201000,ludnosc\r\n2021,-2,PL,saldo\r\n";
    let p = write(&dir, "order.csv", body.as_bytes());
    let mut r = open_observations(&p, &ReadOptions::default()).expect("opens");
    assert_eq!(r.progress().1, body.len() as u64);
    let mut recs = Vec::new();
    while let Some(rec) = r.next_record().expect("reads") {
        recs.push(rec.expect("record"));
    }
    assert_eq!(r.progress(), (body.len() as u64, body.len() as u64));
    let got: Vec<(u64, &str, &str, i16, Option<f64>)> =
        recs.iter().map(|r| (r.line, r.unit.as_str(), r.variable.as_str(), r.year.get(), r.value.map(model::Value::get))).collect();
    assert_eq!(
        got,
        vec![(2, "0201011", "ludnosc", 2020, Some(38486.5)), (3, "0201", "ludnosc", 2021, Some(1000.0)), (4, "PL", "saldo", 2021, Some(-2.0)),]
    );
    assert!(r.variables().is_empty(), "the long layout defines no variables");
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
    let missing = ReadOptions { sheet: Some("Dane".into()), ..ReadOptions::default() };
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
        header in 0usize..6,
    ) {
        let heads: [&[u8]; 6] = [
            b"unit,variable,year,value,flag\n",
            b"\"Kod\";\"Nazwa\";\"Wiek\";\"Rok\";\"Wartosc\";\"Jednostka miary\";\"Atrybut\";\n",
            b"\"Kod\";\"Nazwa\";\"og\xc3\xb3\xc5\x82em;2024;[osoba]\";\n",
            b"PK\x03\x04",
            b"jednostka;zmienna;rok;wartosc;flaga\r\n0201011;x;2020;",
            b"",
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

#[test]
fn the_stray_rural_area_row_of_the_divorce_export_is_read_like_any_other() {
    let (_, records, errors, _) = drain(&bdl("LUDN_1872_CREL_20220407210059.csv"), &ReadOptions::default());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 2478);
    let stray = records.iter().find(|r| r.unit.as_str() == "0201045").expect("the RODZ-5 row");
    assert_eq!(stray.unit_name.as_deref(), Some("Nowogrodziec - obszar wiejski (5)"));
    assert_eq!(stray.value.map(model::Value::get), Some(39.0));
    assert_eq!(stray.line, 6);
    let mut r = open_observations(&bdl("LUDN_1872_CREL_20220407210059.csv"), &ReadOptions::default()).expect("opens");
    r.next_record().expect("reads");
    let info = r.variable_info(&VariableCode::parse("p1872_ogolem").expect("code")).expect("defined");
    assert_eq!(info.name_pl, "P1872: Lokalizacja: ogółem");
    assert_eq!(info.measure_unit, None, "the unit column says `-`");
}

/// A synthetic BDL export: its records (unit, variable, year, value, flag) and row errors
/// (line, column name, message).
type Drained = (Vec<(String, String, i16, Option<f64>, Flag)>, Vec<(u64, String, String)>);

fn bdl_synthetic(name: &str, text: &str, opts: &ReadOptions) -> Drained {
    let dir = tempfile::tempdir().expect("dir");
    let p = write(&dir, name, text.as_bytes());
    let (_, ok, bad, _) = drain(&p, opts);
    (
        ok.iter()
            .map(|r| (r.unit.as_str().to_owned(), r.variable.as_str().to_owned(), r.year.get(), r.value.map(model::Value::get), r.flag))
            .collect(),
        bad.into_iter().map(|e| (e.line, e.column.map(|c| c.1).unwrap_or_default(), e.message)).collect(),
    )
}

const CREL_HEAD: &str = "\"Kod\";\"Nazwa\";\"Wiek\";\"Rok\";\"Wartosc\";\"Jednostka miary\";\"Atrybut\";\n";

#[test]
fn bdl_attributes_become_flags_and_unknown_ones_are_row_errors() {
    let text = format!(
        "{CREL_HEAD}\
         0201011;\"Bolesławiec (1)\";\"ogółem\";\"2020\";10;\"osoba\";\"s\";\n\
         0201011;\"Bolesławiec (1)\";\"ogółem\";\"2021\";;\"osoba\";\"x\";\n\
         0201011;\"Bolesławiec (1)\";\"ogółem\";\"2022\";x;\"osoba\";\"\";\n\
         0201011;\"Bolesławiec (1)\";\"ogółem\";\"2023\";-;\"osoba\";\"\";\n\
         0201011;\"Bolesławiec (1)\";\"ogółem\";\"2019\";;\"osoba\";\"\";\n\
         0201011;\"Bolesławiec (1)\";\"ogółem\";\"2018\";5;\"osoba\";\"?\";\n\
         0201011;\"Bolesławiec (1)\";\"ogółem\";\"2017\";5,5;\"osoba\";\"n\";\n"
    );
    let (records, errors) = bdl_synthetic("LUDN_2137_CREL_1.csv", &text, &ReadOptions::default());
    let v = "p2137_ogolem".to_owned();
    let u = "0201011".to_owned();
    assert_eq!(
        records,
        vec![
            (u.clone(), v.clone(), 2020, Some(10.0), Flag::Preliminary),
            (u.clone(), v.clone(), 2021, None, Flag::Confidential),
            (u.clone(), v.clone(), 2022, None, Flag::Confidential),
            (u.clone(), v.clone(), 2017, Some(5.5), Flag::Missing),
        ]
    );
    assert_eq!(errors, vec![(7, "Atrybut".to_owned(), "unknown BDL attribute `?`".to_owned())]);
}

#[test]
fn a_bdl_export_without_its_original_name_needs_a_variable() {
    let text = format!("{CREL_HEAD}0201011;\"Bolesławiec (1)\";\"ogółem\";\"2020\";10;\"osoba\";\"\";\n");
    let dir = tempfile::tempdir().expect("dir");
    let p = write(&dir, "ludnosc.csv", text.as_bytes());
    let (line, message) = fatal(&p, &ReadOptions::default());
    assert_eq!(line, 0);
    assert!(message.contains("--variable CODE"), "{message}");
    let opts = ReadOptions { variable: Some(VariableCode::parse("ludnosc").expect("code")), ..ReadOptions::default() };
    let (records, errors) = bdl_synthetic("ludnosc.csv", &text, &opts);
    assert!(errors.is_empty());
    assert_eq!(records, vec![("0201011".to_owned(), "ludnosc".to_owned(), 2020, Some(10.0), Flag::Final)]);
}

#[test]
fn a_named_variable_for_a_crel_of_several_series_stops_at_the_second_series() {
    let text = format!(
        "{CREL_HEAD}\
         0201011;\"Bolesławiec (1)\";\"ogółem\";\"2020\";10;\"osoba\";\"\";\n\
         0201011;\"Bolesławiec (1)\";\"70 i więcej\";\"2020\";3;\"osoba\";\"\";\n"
    );
    let dir = tempfile::tempdir().expect("dir");
    let p = write(&dir, "LUDN_2137_CREL_1.csv", text.as_bytes());
    let opts = ReadOptions { variable: Some(VariableCode::parse("ludnosc").expect("code")), ..ReadOptions::default() };
    let (line, message) = fatal(&p, &opts);
    assert_eq!(line, 3);
    assert!(message.contains("`ogółem` and `70 i więcej`"), "{message}");
}

#[test]
fn a_named_variable_for_a_ctab_of_several_series_lists_them_all_at_once() {
    let opts = ReadOptions { variable: Some(VariableCode::parse("ludnosc").expect("code")), ..ReadOptions::default() };
    let (line, message) = fatal(&bdl("LUDN_2137_CTAB_20260414235116.csv"), &opts);
    assert_eq!(line, 1);
    assert!(message.contains("2 series: `ogółem, ogółem`; `70 i więcej, ogółem`"), "{message}");
}

#[test]
fn a_short_ctab_row_is_a_row_error_not_empty_cells() {
    let text = "\"Kod\";\"Nazwa\";\"ogółem;2023;[osoba]\";\"ogółem;2024;[osoba]\";\n\
                0000000;\"POLSKA\";1;2;\n\
                0200000;\"DOLNOŚLĄSKIE\";1\n\
                0400000;\"KUJAWSKO-POMORSKIE\";;x;\n";
    let (records, errors) = bdl_synthetic("RYNE_1944_CTAB_1.csv", text, &ReadOptions::default());
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, 3);
    assert!(errors[0].2.contains("expected 4 fields"), "{errors:?}");
    let v = "p1944_ogolem".to_owned();
    assert_eq!(
        records,
        vec![
            ("PL".to_owned(), v.clone(), 2023, Some(1.0), Flag::Final),
            ("PL".to_owned(), v.clone(), 2024, Some(2.0), Flag::Final),
            ("04".to_owned(), v.clone(), 2024, None, Flag::Confidential),
        ]
    );
}

#[test]
fn an_xlsx_sheet_reads_back_the_same_records_as_the_csv_it_was_written_from() {
    let rows: [(&str, &str, &str, &str, &str); 5] = [
        ("0201011", "ludnosc", "2020", "38486.5", ""),
        ("02", "ludnosc", "2020", "2868242", "preliminary"),
        ("PL", "saldo", "2021", "-12.25", ""),
        ("1465011", "ludnosc", "2019", "", "confidential"),
        ("0201", "ludnosc", "2020", "0", "not_occurred"),
    ];
    let dir = tempfile::tempdir().expect("dir");
    let mut csv = String::from("unit,variable,year,value,flag\n");
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().set_name("Notatki").expect("name");
    let s = book.add_worksheet().set_name("Dane").expect("name");
    for (c, h) in ["unit", "variable", "year", "value", "flag"].iter().enumerate() {
        s.write_string(0, c as u16, *h).expect("header");
    }
    for (i, (unit, var, year, value, flag)) in rows.iter().enumerate() {
        csv.push_str(&format!("{unit},{var},{year},{value},{flag}\n"));
        let r = i as u32 + 1;
        s.write_string(r, 0, *unit).expect("cell");
        s.write_string(r, 1, *var).expect("cell");
        s.write_number(r, 2, year.parse::<f64>().expect("year")).expect("cell");
        if let Ok(v) = value.parse::<f64>() {
            s.write_number(r, 3, v).expect("cell");
        }
        if !flag.is_empty() {
            s.write_string(r, 4, *flag).expect("cell");
        }
    }
    let xlsx = dir.path().join("obs.xlsx");
    book.save(&xlsx).expect("save");
    let csv = write(&dir, "obs.csv", csv.as_bytes());
    let (_, from_csv, csv_errors, _) = drain(&csv, &ReadOptions::default());
    let opts = ReadOptions { sheet: Some("Dane".into()), ..ReadOptions::default() };
    let mut reader = open_observations(&xlsx, &opts).expect("opens");
    assert_eq!(reader.progress().0, 0);
    let mut from_xlsx = Vec::new();
    while let Some(r) = reader.next_record().expect("reads") {
        from_xlsx.push(r.expect("record"));
    }
    assert_eq!(reader.progress().0, reader.progress().1);
    assert!(csv_errors.is_empty(), "{csv_errors:?}");
    assert_eq!(from_csv.len(), 5);
    assert_eq!(from_xlsx, from_csv, "same records, same lines");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Real exports with a few bytes changed, or cut short.
    #[test]
    fn no_damage_to_a_valid_file_makes_the_observation_readers_panic(
        which in 0usize..3,
        edits in proptest::collection::vec((0usize..4000, proptest::prelude::any::<u8>()), 0..6),
        cut in 0usize..4000,
    ) {
        let sources = ["LUDN_2137_CREL_20250203183614.csv", "LUDN_2137_CTAB_20260414235116.csv", "WYNA_2497_CREL_20250113223353.csv"];
        let mut bytes = std::fs::read(bdl(sources[which])).expect("read");
        bytes.truncate(cut.max(1));
        for (at, b) in edits {
            let n = bytes.len();
            if let Some(slot) = bytes.get_mut(at % n.max(1)) {
                *slot = b;
            }
        }
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join(sources[which]);
        std::fs::write(&p, &bytes).expect("write");
        if let Ok(mut r) = open_observations(&p, &ReadOptions::default()) {
            while let Ok(Some(_)) = r.next_record() {}
            let (done, size) = r.progress();
            proptest::prop_assert!(done <= size);
        }
    }
}
