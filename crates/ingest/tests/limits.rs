//! The readers' limits (`ingest::limits`) on files made here: each file past a limit is
//! refused with file, line and the limit named, before the memory is spent; error messages
//! quote at most a short excerpt of the input; and a file of a known other kind names the
//! subcommand that reads it.

use std::io::Write;
use std::path::{Path, PathBuf};

use ingest::limits::{MAX_COLUMNS, MAX_FIELD_BYTES, MAX_RECORD_BYTES, QUOTE_CHARS};
use ingest::{AreaOptions, BudgetOptions, IngestError, ReadOptions, RowError, open_observations, read_areas, read_budget};

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

/// Opens and drains an observation file: the first fatal error, and the row errors before it.
fn read_all(path: &Path) -> (Option<IngestError>, Vec<RowError>) {
    let mut rows = Vec::new();
    let mut r = match open_observations(path, &ReadOptions::default()) {
        Ok(r) => r,
        Err(e) => return (Some(e), rows),
    };
    loop {
        match r.next_record() {
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => rows.push(e),
            Ok(None) => return (None, rows),
            Err(e) => return (Some(e), rows),
        }
    }
}

fn fatal(path: &Path) -> (u64, String) {
    match read_all(path).0 {
        Some(IngestError::Format { line, message, .. }) => (line, message),
        other => panic!("{}: expected a format error, got {other:?}", path.display()),
    }
}

#[test]
fn a_csv_record_past_the_limit_stops_the_file_at_its_line() {
    let dir = tempfile::tempdir().expect("dir");
    let long = "9".repeat(MAX_RECORD_BYTES as usize * 2);
    let p = write(&dir, "long.csv", format!("unit,variable,year,value\n0201011,x,2020,1\n0201011,x,2021,{long}\n").as_bytes());
    let (line, m) = fatal(&p);
    assert_eq!(line, 3, "{m}");
    assert!(m.contains("longer than 1 MiB") && m.contains("Split the line"), "{m}");
    assert!(m.len() < 1000, "not echoed: {} bytes", m.len());

    // A quote left open runs on over many lines: one record, refused at the limit too.
    let lines = "a\n".repeat(MAX_RECORD_BYTES as usize);
    let p = write(&dir, "quote.csv", format!("unit,variable,year,value\n0201011,\"x,2020,1\n{lines}").as_bytes());
    let (line, m) = fatal(&p);
    assert_eq!(line, 2, "{m}");
    assert!(m.contains("quote"), "{m}");

    // The same limits on a BDL export.
    let p = write(&dir, "LUDN_2137_CREL_1.csv", format!("\"Kod\";\"Nazwa\";\"Rok\";\"Wartosc\"\n0201011;\"{long}\";2020;1\n").as_bytes());
    let (line, m) = fatal(&p);
    assert_eq!(line, 2, "{m}");
}

#[test]
fn a_header_of_too_many_columns_is_refused_naming_the_limit() {
    let dir = tempfile::tempdir().expect("dir");
    let header = (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect::<Vec<_>>().join(",");
    let p = write(&dir, "wide.csv", format!("{header}\n").as_bytes());
    let (line, m) = fatal(&p);
    assert_eq!(line, 1);
    assert!(m.contains("1,001 columns") && m.contains("limit of 1,000"), "{m}");
}

#[test]
fn a_field_past_the_limit_is_a_bad_row_that_names_its_column_and_size() {
    let dir = tempfile::tempdir().expect("dir");
    let big = "7".repeat(MAX_FIELD_BYTES + 1);
    let p = write(&dir, "field.csv", format!("unit,variable,year,value\n0201011,x,2020,{big}\n0201011,x,2021,2\n").as_bytes());
    let (fatal, rows) = read_all(&p);
    assert!(fatal.is_none(), "{fatal:?}");
    assert_eq!(rows.len(), 1);
    let e = &rows[0];
    assert_eq!((e.line, e.column.as_ref().map(|c| c.1.as_str())), (2, Some("value")));
    assert!(e.message.contains("65,537 bytes") && e.message.contains("64 KiB"), "{e}");
}

#[test]
fn a_bad_value_is_quoted_to_a_short_excerpt() {
    let dir = tempfile::tempdir().expect("dir");
    let bad = "ż".repeat(10_000);
    let p = write(&dir, "bad.csv", format!("unit,variable,year,value\n0201011,x,2020,{bad}\n").as_bytes());
    let (_, rows) = read_all(&p);
    let m = rows[0].to_string();
    assert!(m.contains("is not a number") && m.contains("…`"), "{m}");
    assert!(m.chars().count() < QUOTE_CHARS + 100, "{} characters", m.chars().count());
    // A header of long unknown names: each cut, at most five listed.
    let names = (0..50).map(|i| format!("{i}{}", "n".repeat(5_000))).collect::<Vec<_>>().join(",");
    let p = write(&dir, "names.csv", format!("{names}\n").as_bytes());
    let (_, m) = fatal(&p);
    assert!(m.contains("and 45 more") && m.len() < 2_000, "{} bytes: {}", m.len(), m.chars().take(200).collect::<String>());
}

/// An XLSX with the long layout's header and one more cell at (row, col), 0-based.
fn xlsx_with_cell(row: u32, col: u16, text: &str) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let s = book.add_worksheet();
    for (c, h) in ["unit", "variable", "year", "value"].iter().enumerate() {
        s.write_string(0, c as u16, *h).expect("header");
    }
    s.write_string(row, col, text).expect("cell");
    book.save_to_buffer().expect("xlsx")
}

#[test]
fn an_xlsx_sheet_reaching_past_the_column_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().expect("dir");
    for (row, col, range) in [(1_048_575, 16_383, "A1:XFD1048576"), (2_999, 16_383, "A1:XFD3000"), (1, 1_000, "A1:ALM2")] {
        let p = write(&dir, "far.xlsx", &xlsx_with_cell(row, col, "x"));
        let (line, m) = fatal(&p);
        assert_eq!(line, 0);
        assert!(m.contains(range) && m.contains("limit of 1,000"), "{m}");
        let e = read_areas("a.xlsx", "a_stanu_na_01012025.xlsx", &std::fs::read(&p).expect("read"), &AreaOptions::default()).err().expect("refused");
        assert!(e.to_string().contains(range), "{e}");
    }
    // Column 1,000 (ALL) is the last one allowed.
    let p = write(&dir, "edge.xlsx", &xlsx_with_cell(1, 999, "x"));
    assert!(read_all(&p).0.is_none(), "ALL2 is within the limit");
}

#[test]
fn an_xlsx_cell_past_the_field_limit_is_refused_naming_the_cell() {
    let dir = tempfile::tempdir().expect("dir");
    // Excel allows 32,767 characters in a cell; of `€` that is 98 KB.
    let p = write(&dir, "cell.xlsx", &xlsx_with_cell(1, 3, &"€".repeat(30_000)));
    let (line, m) = fatal(&p);
    assert_eq!(line, 2);
    assert!(m.contains("cell D2 holds 90,000 bytes") && m.contains("64 KiB"), "{m}");
}

#[test]
fn an_xlsx_part_compressed_past_the_ratio_limit_is_refused_unpacked() {
    // 8 MiB of one byte deflates ~1000 to 1: what a ZIP bomb does, and no office program.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    w.start_file("xl/worksheets/sheet1.xml", opts).expect("start");
    w.write_all(&vec![b' '; 8 << 20]).expect("write");
    let bytes = w.finish().expect("zip").into_inner();
    assert!(bytes.len() < 64 << 10, "{}", bytes.len());
    let dir = tempfile::tempdir().expect("dir");
    let p = write(&dir, "bomb.xlsx", &bytes);
    let (_, m) = fatal(&p);
    assert!(m.contains("sheet1.xml") && m.contains("limit of 500 to 1") && m.contains("ZIP bomb"), "{m}");
    let e = read_areas("b.xlsx", "b.xlsx", &bytes, &AreaOptions::default()).err().expect("refused").to_string();
    assert!(e.contains("ZIP bomb"), "{e}");
}

#[test]
fn observations_refuse_other_kinds_of_file_naming_their_subcommand() {
    let dir = tempfile::tempdir().expect("dir");
    for (name, body, sub) in [
        ("g.geojson", r#"{"type":"FeatureCollection","features":[]}"#, "boundaries"),
        ("t.csv", "WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD;STAN_NA\n02;;;;X;w;2026-01-01\n", "units"),
        ("t.xml", "<?xml version=\"1.0\"?><teryt><catalog name=\"TERC\"><row/></catalog></teryt>", "units"),
        ("b.xml", "\u{feff}<?xml version=\"1.0\"?><PaczkaSprawozdan/>", "budget"),
        ("c.toml", "[[variable]]\ncode = \"x\"\n", "indicators"),
    ] {
        let p = write(&dir, name, body.as_bytes());
        let (line, m) = fatal(&p);
        assert_eq!(line, 0);
        assert!(m.contains(&format!("użyj `miernik import {sub}` / ")) && m.contains(&format!("use `miernik import {sub}`")), "{name}: {m}");
    }
}

#[test]
fn the_terc_reader_refuses_an_xlsx_without_telling_to_convert_its_encoding() {
    let dir = tempfile::tempdir().expect("dir");
    let p = write(&dir, "terc.xlsx", &xlsx_with_cell(1, 0, "02"));
    let e = ingest::read_terc(&p).expect_err("refused").to_string();
    assert!(e.contains("XLSX") && e.contains("eteryt.stat.gov.pl") && !e.contains("iconv"), "{e}");
    let e = ingest::terc::parse_terc(b"\"Kod\";\"Nazwa\";\"Rok\";\"Wartosc\"\n", "bdl.csv").expect_err("refused").to_string();
    assert!(e.contains("`miernik import observations`"), "{e}");
    let e = ingest::terc::parse_terc(b"{\"type\": \"FeatureCollection\"}", "g.json").expect_err("refused").to_string();
    assert!(e.contains("`miernik import boundaries`"), "{e}");
}

#[test]
fn terc_fields_and_lines_are_bounded() {
    let h = "WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD;STAN_NA\n";
    let name = "N".repeat(MAX_FIELD_BYTES + 1);
    let e = ingest::terc::parse_terc(format!("{h}02;;;;{name};w;2026-01-01\n").as_bytes(), "t.csv").expect_err("refused").to_string();
    assert!(e.contains("line 2") && e.contains("NAZWA") && e.contains("64 KiB") && e.len() < 500, "{e}");
    let many = ";".repeat(1_000_000);
    let e = ingest::terc::parse_terc(format!("{h}02{many}\n").as_bytes(), "t.csv").expect_err("refused").to_string();
    assert!(e.contains("found 1000001"), "{e}");
    let xml = format!("<teryt><catalog><row><WOJ>02</WOJ><NAZWA>{name}</NAZWA></row></catalog></teryt>");
    let e = ingest::terc::parse_terc(xml.as_bytes(), "t.xml").expect_err("refused").to_string();
    assert!(e.contains("<NAZWA>") && e.contains("64 KiB"), "{e}");
    let woj = "0".repeat(10_000);
    let e = ingest::terc::parse_terc(format!("{h}{woj};;;;X;w;2026-01-01\n").as_bytes(), "t.csv").expect_err("refused").to_string();
    assert!(e.contains("WOJ `000") && e.contains("…` must be 2 digits") && e.len() < 600, "{} bytes: {e}", e.len());
}

#[test]
fn budget_element_text_is_bounded_and_amounts_are_quoted_short() {
    let big = "1".repeat(MAX_FIELD_BYTES + 1);
    let e = read_budget("b.xml", format!("<PaczkaSprawozdan><Nazwa>{big}</Nazwa></PaczkaSprawozdan>").as_bytes(), &BudgetOptions::default())
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("<Nazwa>") && e.contains("64 KiB"), "{e}");
    let e = read_budget("b.xml", b"WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD;STAN_NA\n", &BudgetOptions::default()).err().expect("refused").to_string();
    assert!(e.contains("`miernik import units`"), "{e}");
}

#[test]
fn the_catalogue_refuses_another_kind_of_file() {
    let dir = tempfile::tempdir().expect("dir");
    let p = write(&dir, "g.geojson", br#"{"type":"FeatureCollection","features":[]}"#);
    let e = ingest::catalogue::read_catalogue(&p).expect_err("refused").to_string();
    assert!(e.contains("`miernik import boundaries`"), "{e}");
}
