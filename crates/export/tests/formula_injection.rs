//! CSV formula injection: in both CSV dialects every text cell that a spreadsheet would run
//! as a formula starts with an apostrophe, numbers (negative ones too) stay numbers, and
//! only the Excel dialect has a BOM; XLSX keeps the text as it is (a string cell is never
//! evaluated).

#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

use calamine::{Data, Reader, Xlsx};
use export::{Cell, Dim, Flag, Format, IndicatorMeta, Lang, Layout, Meta, UnitMeta, order_for, positions, write, write_xlsx};

const HYPERLINK: &str = "=HYPERLINK(\"http://x\",\"klik\")";

fn hostile() -> Meta {
    Meta {
        title: "=tytuł".into(),
        lang: Lang::Pl,
        indicators: vec![IndicatorMeta {
            code: "saldo".into(),
            name: "+saldo".into(),
            measure_unit: "-".into(),
            definition: "@definicja".into(),
            source: "\tźródło".into(),
            decimals: 1,
        }],
        units: vec![
            UnitMeta { code: "0201011".into(), name: HYPERLINK.into(), kind: "gmina miejska".into() },
            UnitMeta { code: "0201022".into(), name: "Bolesławiec".into(), kind: "gmina wiejska".into() },
        ],
        years: vec![2023, 2024],
        generated: "2025-01-31T12:00:00Z".into(),
        source_note: "test".into(),
        url: "https://miernik.example/".into(),
    }
}

/// Negative values everywhere but one missing cell.
fn cells(meta: &Meta, format: Format, layout: Layout) -> Vec<Cell> {
    positions(order_for(format, layout), meta)
        .map(|(i, u, y)| match (u, y) {
            (1, 1) => Cell { indicator: i, unit: u, year: y, value: None, flag: Some(Flag::Missing) },
            _ => Cell { indicator: i, unit: u, year: y, value: Some(-3.25 - f64::from(u) - f64::from(y)), flag: None },
        })
        .collect()
}

fn export(format: Format, layout: Layout) -> Vec<u8> {
    let meta = hostile();
    let mut out = Vec::new();
    write(format, layout, &meta, cells(&meta, format, layout).into_iter(), &mut out).unwrap();
    out
}

fn rows(bytes: &[u8], delimiter: u8) -> Vec<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).from_reader(bytes);
    rdr.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

/// No cell of `rows` begins with a character that starts a formula, unless it is a number.
fn no_formula(rows: &[Vec<String>], what: &str) {
    for row in rows {
        for cell in row {
            let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
            let number = cell.replace(',', ".").parse::<f64>().is_ok();
            assert!(!risky || number, "{what}: {cell:?} in {row:?}");
        }
    }
}

#[test]
fn both_csv_dialects_escape_text_cells_and_keep_negative_numbers_and_only_excel_csv_has_a_bom() {
    let bytes = export(Format::Csv, Layout::Long);
    assert!(!bytes.starts_with("\u{feff}".as_bytes()), "machine CSV is for scripts: no BOM");
    let rows = rows(&bytes, b',');
    assert_eq!(rows[0], ["unit_code", "unit_name", "indicator_code", "indicator_name", "year", "value", "measure_unit", "flag"]);
    no_formula(&rows, "csv");
    let first = &rows[1];
    assert_eq!(first[1], format!("'{HYPERLINK}"));
    assert_eq!(first[3], "'+saldo");
    assert_eq!(first[5], "-3.25", "a negative number stays a number");
    assert_eq!(first[6], "'-");
    let names: Vec<&str> = rows[1..].iter().map(|r| r[1].as_str()).collect();
    assert!(names.contains(&"Bolesławiec"), "a safe name is untouched: {names:?}");
    assert!(rows[1..].iter().all(|r| r[5].is_empty() || r[5].parse::<f64>().unwrap() < 0.0));

    // The Excel dialect: the same rule (it had it already), a BOM, a decimal comma.
    let bytes = export(Format::CsvPl, Layout::Long);
    let text = std::str::from_utf8(&bytes).unwrap();
    let body = text.strip_prefix('\u{feff}').expect("the Excel dialect starts with a BOM");
    let rows = self::rows(body.as_bytes(), b';');
    no_formula(&rows, "csv-pl");
    assert_eq!(rows[1][1], format!("'{HYPERLINK}"));
    assert_eq!(rows[1][5], "-3,3", "rounded to one decimal, still a number");

    // XLSX: a string cell is never evaluated, so the name stays as it is.
    let meta = hostile();
    let mut out = std::io::Cursor::new(Vec::new());
    write_xlsx(Layout::Long, &meta, cells(&meta, Format::Xlsx, Layout::Long).into_iter(), &mut out).unwrap();
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(out.into_inner())).unwrap();
    let sheet = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&sheet).unwrap();
    let cells: Vec<&Data> = range.rows().nth(1).unwrap().iter().collect();
    assert!(cells.contains(&&Data::String(HYPERLINK.into())), "the name as it is, a string: {cells:?}");
    assert!(cells.iter().any(|c| matches!(c, Data::Float(v) if *v < 0.0)), "{cells:?}");
}

#[test]
fn wide_tables_escape_their_text_and_headers_made_of_names() {
    for (format, delimiter) in [(Format::Csv, b','), (Format::CsvPl, b';')] {
        let bytes = export(format, Layout::Wide { columns: Dim::Unit });
        let text = String::from_utf8(bytes).unwrap();
        let rows = rows(text.trim_start_matches('\u{feff}').as_bytes(), delimiter);
        no_formula(&rows, "wide");
        // The values, negative numbers, as they are.
        assert!(rows[1..].iter().flat_map(|r| r.iter()).any(|c| c.starts_with('-') && c.len() > 1), "{rows:?}");
        if format == Format::CsvPl {
            // People's headers are the units' names (machine CSV's, their codes).
            assert!(rows[0].contains(&format!("'{HYPERLINK} (0201011)")), "{:?}", rows[0]);
        }
    }
}
