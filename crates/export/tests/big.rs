//! Large tables (200 indicators × 500 units × 15 years = 1.5 M cells, generated lazily)
//! streamed through every format, checking the size of what comes out.

#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

mod common;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::{Counter, big_cells, big_meta};
use export::{CANONICAL, Dim, Format, Layout, order, order_for, write, write_xlsx};

const CELLS: u64 = 200 * 500 * 15;

#[test]
fn big_csv_long_has_a_line_per_cell() {
    let m = big_meta(200, 500, 15);
    for format in [Format::Csv, Format::CsvPl] {
        let mut out = Counter::default();
        write(format, Layout::Long, &m, big_cells(&m, CANONICAL), &mut out).unwrap();
        assert_eq!(out.lines, CELLS + 1, "{format:?}");
    }
}

#[test]
fn big_csv_wide_has_a_line_per_row() {
    let m = big_meta(200, 500, 15);
    for (dim, rows) in [(Dim::Year, 200 * 500), (Dim::Unit, 200 * 15), (Dim::Indicator, 500 * 15)] {
        let layout = Layout::Wide { columns: dim };
        let mut out = Counter::default();
        write(Format::Csv, layout, &m, big_cells(&m, order(layout)), &mut out).unwrap();
        assert_eq!(out.lines, rows + 1, "{dim:?}");
    }
}

#[test]
fn big_json_has_a_record_per_cell() {
    let m = big_meta(200, 500, 15);
    let mut out = Counter::default();
    write(Format::Json, Layout::Long, &m, big_cells(&m, CANONICAL), &mut out).unwrap();
    // A line break before each record, indicator and unit, before `units`, `years`
    // and `data`, and two at the end.
    assert_eq!(out.lines, CELLS + 200 + 500 + 3 + 2);
}

#[test]
fn big_jsonstat_has_a_value_per_cell() {
    let m = big_meta(200, 500, 15);
    let mut out = Vec::new();
    write(Format::JsonStat, Layout::Long, &m, big_cells(&m, order_for(Format::JsonStat, Layout::Long)), &mut out).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["value"].as_array().unwrap().len() as u64, CELLS);
    let flagged = big_cells(&m, CANONICAL).filter(|c| c.flag.is_some()).count();
    assert_eq!(doc["status"].as_object().unwrap().len(), flagged);
    assert!(flagged > 10_000);
}

#[test]
fn big_xlsx_wide_has_a_row_per_indicator_and_unit() {
    let m = big_meta(200, 500, 15);
    let layout = Layout::Wide { columns: Dim::Year };
    let file = tempfile::NamedTempFile::new().unwrap();
    let started = std::time::Instant::now();
    write_xlsx(layout, &m, big_cells(&m, order(layout)), std::io::BufWriter::new(file.reopen().unwrap())).unwrap();
    eprintln!("wrote 1.5 M cells of XLSX in {:?}", started.elapsed());
    let mut wb: Xlsx<_> = open_workbook(file.path()).unwrap();
    let data = wb.worksheet_range("Dane").unwrap();
    assert_eq!(data.get_size(), (200 * 500 + 1, 5 + 15));
    // The last row: indicator 199, unit 499, years 0..15.
    let last = data.rows().next_back().unwrap();
    assert_eq!(last[0], Data::String(m.units[499].code.clone()));
    let expected = big_cells(&m, order(layout)).last().unwrap();
    assert_eq!(last[19], expected.value.map_or(Data::Empty, Data::Float));
}
