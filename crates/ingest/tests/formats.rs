//! The readers of GUGiK's area list and of BeSTi@ budget report packages on the real files in
//! ../shared/data (checked against an independent reading of the files), on broken copies,
//! and on noise.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ingest::{AreaOptions, BudgetOptions, IngestError, Record, RecordSource, RowError, read_areas, read_budget};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel)
}

const AREA: &str = "area/Wykaz_powierzchni_wg_stanu_na_01012025_ha_km2.xlsx";
const BUDGET: [&str; 4] = [
    "budget/bestia_xml_kutno_schools/Sprawozdania_2022_IVKwartal_Dochody.xml",
    "budget/bestia_xml_kutno_schools/Sprawozdania_2022_IVKwartal_Wydatki.xml",
    "budget/bestia_xml_kutno_schools/Sprawozdania_2023_IIKwartal_Dochody.xml",
    "budget/bestia_xml_kutno_schools/Sprawozdania_2023_IIKwartal_Wydatki.xml",
];

fn drain(r: &mut dyn RecordSource) -> (Vec<Record>, Vec<RowError>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    while let Some(x) = r.next_record().expect("no fatal error") {
        match x {
            Ok(x) => ok.push(x),
            Err(e) => bad.push(e),
        }
    }
    (ok, bad)
}

fn areas() -> Vec<Record> {
    let p = data(AREA);
    let bytes = std::fs::read(&p).expect("area file");
    let mut r = read_areas("w.xlsx", p.file_name().and_then(|n| n.to_str()).expect("name"), &bytes, &AreaOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let (ok, bad) = drain(&mut r);
    assert!(bad.is_empty(), "{bad:?}");
    ok
}

#[test]
fn the_area_list_reads_every_unit_in_km2_from_the_hectares_of_2025() {
    let recs = areas();
    // SOURCES.md: 4339 data rows (1 country, 16 województwa, 380 powiaty, 3942 gminy and parts).
    assert_eq!(recs.len(), 4339);
    let by_len = |n: usize| recs.iter().filter(|r| r.unit.as_str().len() == n && r.unit.as_str() != "PL").count();
    assert_eq!((by_len(2), by_len(4), by_len(7)), (16, 380, 3942));
    assert!(recs.iter().all(|r| r.year.get() == 2025 && r.variable.as_str() == "powierzchnia"));
    let bol = recs.iter().find(|r| r.unit.as_str() == "0201011").expect("Bolesławiec");
    assert_eq!(bol.value.map(model::Value::get), Some(22.85), "2285 ha = 22.85 km², not the rounded 23");
    assert_eq!(bol.unit_name.as_deref(), Some("Bolesławiec"));
    assert_eq!(bol.line, 5, "sheet row");
    let pl = recs.iter().find(|r| r.unit.as_str() == "PL").expect("Poland from `00`");
    assert_eq!(pl.value.map(model::Value::get), Some(313_932.93));
}

#[test]
fn gminy_add_up_to_their_wojewodztwo_and_wojewodztwa_to_poland_in_hectares() {
    let recs = areas();
    let ha = |r: &Record| (r.value.expect("value").get() * 100.0).round() as i64;
    let mut woj: BTreeMap<&str, i64> = BTreeMap::new();
    let mut gminy: BTreeMap<&str, i64> = BTreeMap::new();
    let mut poland = 0;
    for r in &recs {
        let c = r.unit.as_str();
        match (c.len(), r.unit.rodz()) {
            (2, _) if c == "PL" => poland = ha(r),
            (2, _) => *woj.entry(c).or_default() += ha(r),
            (7, Some('1' | '2' | '3')) => *gminy.entry(&c[..2]).or_default() += ha(r),
            _ => {}
        }
    }
    assert_eq!(woj.len(), 16);
    assert_eq!(gminy, woj, "gminy (RODZ 1/2/3) sum to their województwo, in ha");
    assert_eq!(woj.values().sum::<i64>(), poland, "województwa sum to Poland");
}

#[test]
fn the_year_can_be_said_and_a_file_name_without_a_date_needs_it() {
    let bytes = std::fs::read(data(AREA)).expect("area file");
    let e = read_areas("x.xlsx", "x.xlsx", &bytes, &AreaOptions::default()).err().expect("no date");
    assert!(e.to_string().contains("--year"), "{e}");
    let opts = AreaOptions { year: model::Year::new(2024), sheet: None };
    let mut r = read_areas("x.xlsx", "x.xlsx", &bytes, &opts).unwrap_or_else(|e| panic!("{e}"));
    let (ok, _) = drain(&mut r);
    assert!(ok.iter().all(|r| r.year.get() == 2024));
}

/// An XLSX made from rows of text or numbers (None = empty cell).
fn xlsx(rows: &[Vec<Option<&str>>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (u32::try_from(r).expect("r"), u16::try_from(c).expect("c"));
            if let Some(t) = cell {
                match t.parse::<f64>() {
                    Ok(n) if !t.starts_with('0') || t.len() == 1 => sheet.write_number(r, c, n).map(|_| ()),
                    _ => sheet.write_string(r, c, *t).map(|_| ()),
                }
                .expect("write");
            }
        }
    }
    book.save_to_buffer().expect("xlsx")
}

fn header() -> Vec<Option<&'static str>> {
    vec![Some("TERYT"), Some("Nazwa jednostki"), Some("Powierzchnia [ha]"), Some("Powierzchnia [km2]")]
}

fn area_errors(rows: &[Vec<Option<&str>>]) -> Result<Vec<RowError>, IngestError> {
    let mut r = read_areas("a.xlsx", "a_stanu_na_01012025.xlsx", &xlsx(rows), &AreaOptions::default())?;
    Ok(drain(&mut r).1)
}

#[test]
fn bad_area_rows_say_row_column_and_why_and_notes_and_blanks_are_skipped() {
    let good = vec![Some("02 01 01 1"), Some("Bolesławiec"), Some("2285"), Some("23")];
    let rows = vec![
        header(),
        good.clone(),
        vec![None, None, None, None, None, Some("a note in column F")],
        vec![Some("Źródło: GUGiK"), None, None, None],
        vec![Some("02 0X 01 1"), Some("Bad"), Some("100"), Some("1")],
        vec![Some("02 01 02 2"), Some("Neg"), Some("-5"), None],
        vec![Some("02 01 03 2"), Some("Text"), Some("dużo"), None],
        vec![Some("02 01 04 3"), Some("Zero"), Some("0"), None],
        vec![Some("02 01 05 2"), Some("Mixed"), Some("43669"), Some("4"), None],
        vec![Some("02 01 06 2"), Some("None"), None, Some("110")],
    ];
    let errs = area_errors(&rows).expect("opens");
    let lines: Vec<(u64, String)> = errs.iter().map(|e| (e.line, e.column.as_ref().map(|c| c.1.clone()).unwrap_or_default())).collect();
    assert_eq!(
        lines,
        [
            (5, "TERYT".to_owned()),
            (6, "Powierzchnia [ha]".to_owned()),
            (7, "Powierzchnia [ha]".to_owned()),
            (8, "Powierzchnia [ha]".to_owned()),
            (9, "Powierzchnia [km2]".to_owned()),
            (10, "Powierzchnia [ha]".to_owned()),
        ],
        "{errs:?}"
    );
    assert!(errs[1].message.contains("not positive"), "{}", errs[1]);
    assert!(errs[0].to_string().starts_with("a.xlsx:5: column 1 (TERYT)"), "{}", errs[0]);

    let no_teryt = vec![vec![Some("Kod"), Some("Nazwa"), Some("Powierzchnia [ha]")], vec![Some("02"), Some("X"), Some("5")]];
    let e = area_errors(&no_teryt).expect_err("refused");
    assert!(e.to_string().contains("no column `TERYT`"), "{e}");
    let no_ha = vec![vec![Some("TERYT"), Some("Nazwa jednostki"), Some("Powierzchnia [km2]")], vec![Some("02"), Some("X"), Some("5")]];
    let e = area_errors(&no_ha).expect_err("refused");
    assert!(e.to_string().contains("Powierzchnia [ha]"), "{e}");
}

fn budget(i: usize, sum_units: bool) -> Result<ingest::BudgetReader, IngestError> {
    let bytes = std::fs::read(data(BUDGET[i])).expect("budget file");
    read_budget("b.xml", &bytes, &BudgetOptions { sum_units })
}

/// An independent reading of a package: every `<Pozycja>…</Pozycja>` as (tag → text).
fn positions(i: usize) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(data(BUDGET[i])).expect("read");
    text.split("<Pozycja>")
        .skip(1)
        .map(|chunk| {
            let body = chunk.split("</Pozycja>").next().expect("body");
            body.split("</")
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

#[test]
fn a_package_of_budget_units_is_refused_unless_summed() {
    for i in 0..4 {
        let e = budget(i, false).err().expect("refused");
        let m = e.to_string();
        assert!(m.contains("budget units") && m.contains("--sum-units") && m.contains("1002011"), "{m}");
    }
}

#[test]
fn summed_units_give_the_totals_of_the_rows_per_level_and_measure() {
    for (i, prefix, count) in [(0, "rb27s_jb", 42), (1, "rb28s_jb", 327), (2, "rb27s_jb_q2", 38), (3, "rb28s_jb_q2", 307)] {
        let mut r = budget(i, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.summary.positions, count);
        assert_eq!(r.summary.summed_units.len(), 7);
        assert_eq!(r.summary.jst, ["1002011"]);
        let (recs, bad) = drain(&mut r);
        assert!(bad.is_empty());
        let value = |code: &str| recs.iter().find(|r| r.variable.as_str() == code).and_then(|r| r.value).map(model::Value::get);
        let rows = positions(i);
        assert_eq!(rows.len(), count);
        let measures = if prefix.starts_with("rb27s") { ["PL", "NA", "DW", "NO"] } else { ["PL", "ZA", "WW", "ZO"] };
        for m in measures {
            let total: i64 = rows.iter().filter_map(|p| p.get(m)).map(|v| grosze(v)).sum();
            let d801: i64 = rows.iter().filter(|p| p["Dzial"] == "801").filter_map(|p| p.get(m)).map(|v| grosze(v)).sum();
            let lm = m.to_lowercase();
            assert_eq!(value(&format!("{prefix}_{lm}")), Some(total as f64 / 100.0), "{prefix} {m} total");
            assert_eq!(value(&format!("{prefix}_dz801_{lm}")), Some(d801 as f64 / 100.0), "{prefix} {m} dział 801");
        }
        assert!(recs.iter().all(|r| r.unit.as_str() == "1002011" && r.unit_name.is_none()));
        let year = if i < 2 { 2022 } else { 2023 };
        assert!(recs.iter().all(|r| r.year.get() == year));
        assert!(
            !recs.iter().any(|r| r.variable.as_str().starts_with("wydatki") || r.variable.as_str().starts_with("dochody")),
            "units' sums never fill the JST's catalogue variables"
        );
    }
    // A missing element is missing, not zero: NP (nadpłaty) only in one row of one unit.
    let mut r = budget(0, true).expect("ok");
    let (recs, _) = drain(&mut r);
    let np: Vec<&str> = recs.iter().filter(|r| r.variable.as_str().ends_with("_np")).map(|r| r.variable.as_str()).collect();
    assert_eq!(np.len(), 5, "one row → total, dział, rozdział, rozdział×§, §: {np:?}");
}

/// The Kutno expenditure package turned into one JST's own report (Typ other than JB, one
/// unit), as MF publishes for every JST.
fn own_report() -> Vec<u8> {
    let text = std::fs::read_to_string(data(BUDGET[1])).expect("read");
    let first_end = text.find("</Jednostka><Jednostka>").expect("two units");
    let mut own = text[..first_end].to_owned();
    own.push_str("</Jednostka></Jednostki></PaczkaSprawozdan>");
    own.replace("<Typ>JB</Typ>", "<Typ>GM</Typ>").into_bytes()
}

#[test]
fn a_jsts_own_year_report_fills_the_catalogue_variables_too() {
    let mut r = read_budget("own.xml", &own_report(), &BudgetOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(r.summary.summed_units.is_empty());
    let (recs, _) = drain(&mut r);
    let value = |code: &str| recs.iter().find(|r| r.variable.as_str() == code).and_then(|r| r.value).map(model::Value::get);
    assert!(value("rb28s_dz801_ww").is_some());
    assert_eq!(value("wydatki_801"), value("rb28s_dz801_ww"));
    assert_eq!(value("wydatki_80101"), value("rb28s_rozdz80101_ww"));
    assert_eq!(value("wydatki_ogolem"), value("rb28s_ww"));
    assert_eq!(recs[0].unit_name.as_deref(), Some("Szkoła Podstawowa Nr 7"));
}

#[test]
fn the_catalogue_mapping_names_variables_of_the_catalogue_with_that_mf_position() {
    let cat = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue/indicators.toml")).expect("catalogue");
    for (code, report, pos) in ingest::budget::CATALOGUE {
        let at = cat.find(&format!("code = \"{code}\"")).unwrap_or_else(|| panic!("{code} not in the catalogue"));
        let block = &cat[at..cat[at..].find("[variable.synthetic]").map_or(cat.len(), |e| at + e)];
        let source = if *report == ingest::budget::Report::Rb28s { "MF Rb-28S" } else { "MF Rb-27S" };
        assert!(block.contains(source), "{code}: {source}");
        let mf = block.split("mf_position = \"").nth(1).and_then(|s| s.split('"').next()).expect("mf_position");
        for part in pos.split('_').filter(|p| !p.is_empty()) {
            let digits = part.trim_start_matches(|c: char| c.is_ascii_alphabetic());
            let first = digits.split('-').next().expect("digits");
            let shown = if part.starts_with("par") { &first[..3] } else { first };
            assert!(mf.contains(shown), "{code}: `{mf}` names {part}");
        }
    }
}

#[track_caller]
fn budget_error(bytes: &[u8]) -> String {
    read_budget("bad.xml", bytes, &BudgetOptions { sum_units: true }).err().map(|e| e.to_string()).expect("refused")
}

#[test]
fn broken_packages_are_refused_with_the_element_path() {
    let real = std::fs::read(data(BUDGET[1])).expect("read");
    let mut cut = real.len() / 2;
    while real[cut] >= 0x80 {
        cut -= 1;
    }
    let truncated = &real[..cut];
    let e = budget_error(truncated);
    assert!(e.starts_with("bad.xml: line 1: ") && e.contains("truncated"), "{e}");
    let e = budget_error(b"Dzial;Rozdzial;WW\n801;80101;5\n");
    assert!(e.contains("not an XML report package"), "{e}");
    let e = budget_error(b"<teryt><catalog><row/></catalog></teryt>");
    assert!(e.contains("<teryt>") && e.contains("not <PaczkaSprawozdan>"), "{e}");
    assert!(e.contains("TERC") && e.contains("`miernik import units`"), "the TERC register names its subcommand: {e}");
    let e = budget_error(b"<Sprawozdania><Jednostka/></Sprawozdania>");
    assert!(e.contains("<Sprawozdania>") && e.contains("not <PaczkaSprawozdan>"), "{e}");
    let text = String::from_utf8(real).expect("utf-8");
    let e = budget_error(text.replacen("<WW>9803.89</WW>", "<WW>9803,89</WW>", 1).as_bytes());
    assert!(e.contains("Jednostka[1]/Sprawozdania/Rb-28s[1]/Pozycje/Pozycja[1]/WW: `9803,89` is not an amount"), "{e}");
    let e = budget_error(text.replacen("<Rozdzial>80101</Rozdzial>", "<Rozdzial>85401</Rozdzial>", 1).as_bytes());
    assert!(e.contains("Pozycja[1]/Rozdzial"), "{e}");
    let e = budget_error(text.replacen("<Okres>4</Okres>", "<Okres>5</Okres>", 1).as_bytes());
    assert!(e.contains("Okres `5`"), "{e}");
    let e = budget_error(text.replacen("<GK>01</GK>", "<GK>0X</GK>", 1).as_bytes());
    assert!(e.contains("Jednostka[1]") && e.contains("GK"), "{e}");
    // The same unit twice in a package would be counted twice.
    let first = text.find("<Jednostka>").expect("j");
    let end = text.find("</Jednostka><Jednostka>").expect("end") + "</Jednostka>".len();
    let doubled = format!("{}{}{}", &text[..end], &text[first..end], &text[end..]);
    let e = budget_error(doubled.as_bytes());
    assert!(e.contains("twice"), "{e}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn no_bytes_make_the_area_or_budget_readers_panic(
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
        head in 0usize..4,
    ) {
        let heads: [&[u8]; 4] = [b"", b"PK\x03\x04", b"\xEF\xBB\xBF<?xml version=\"1.0\"?><PaczkaSprawozdan><Jednostki><Jednostka>", b"<PaczkaSprawozdan><Okres><Rok>2022</Rok>"];
        let mut bytes = heads[head].to_vec();
        bytes.extend(body);
        let _ = read_areas("x.xlsx", "x_stanu_na_01012025.xlsx", &bytes, &AreaOptions::default()).map(|mut r| drain(&mut r));
        let _ = read_budget("x.xml", &bytes, &BudgetOptions { sum_units: true }).map(|mut r| drain(&mut r));
    }

    /// Real files with a few bytes changed, or cut short.
    #[test]
    fn no_damage_to_a_real_file_makes_the_readers_panic(
        which in 0usize..5,
        edits in proptest::collection::vec((0usize..200_000, proptest::prelude::any::<u8>()), 0..6),
        cut in 0usize..200_000,
    ) {
        let path = if which == 4 { data(AREA) } else { data(BUDGET[which]) };
        let mut bytes = std::fs::read(path).expect("read");
        bytes.truncate(cut.max(1));
        let n = bytes.len();
        for (at, b) in edits {
            bytes[at % n] = b;
        }
        if which == 4 {
            let _ = read_areas("x.xlsx", "x_stanu_na_01012025.xlsx", &bytes, &AreaOptions::default()).map(|mut r| drain(&mut r));
        } else {
            let _ = read_budget("x.xml", &bytes, &BudgetOptions { sum_units: true }).map(|mut r| drain(&mut r));
        }
    }
}

#[test]
fn a_jsts_own_report_mixed_with_its_units_reports_is_refused_as_double_counting() {
    let text = std::fs::read_to_string(data(BUDGET[1])).expect("read");
    let mixed = text.replacen("<Typ>JB</Typ>", "<Typ>GM</Typ>", 2);
    let e = budget_error(mixed.as_bytes());
    assert!(e.contains("Jednostka[1]") && e.contains("twice"), "{e}");
    // Two own reports of one JST for one period, too.
    let own = String::from_utf8(own_report()).expect("utf-8");
    let start = own.find("<Jednostka>").expect("j");
    let end = own.rfind("</Jednostki>").expect("end");
    let twice = format!("{}{}", &own[..end], &own[start..]);
    let e = read_budget("two.xml", twice.as_bytes(), &BudgetOptions::default()).err().map(|e| e.to_string()).expect("refused");
    assert!(e.contains("two reports") && e.contains("Jednostka[2]"), "{e}");
}
