//! Round trips: each format written for a small table with flags and missing cells, then
//! read back with an independent reader (csv, calamine, serde_json) and checked cell by cell.

#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

mod common;

use std::collections::BTreeMap;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::{cells, datum, meta};
use export::{CANONICAL, Dim, ExportError, Flag, Format, Lang, Layout, Meta, order, order_for, write, write_xlsx};
use serde_json::Value;

const WIDE: [Dim; 3] = [Dim::Year, Dim::Unit, Dim::Indicator];

fn export(format: Format, layout: Layout, meta: &Meta) -> Vec<u8> {
    let mut out = Vec::new();
    write(format, layout, meta, cells(meta, order_for(format, layout)).into_iter(), &mut out).unwrap();
    out
}

fn read_csv(bytes: &[u8], delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::ReaderBuilder::new().delimiter(delimiter).from_reader(bytes);
    let header = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = rdr.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    (header, rows)
}

fn rounded(v: f64, d: u8) -> f64 {
    let p = 10f64.powi(i32::from(d));
    (v * p).round() / p
}

fn pl_number(s: &str) -> f64 {
    assert!(!s.contains('.'), "decimal point in {s:?}");
    s.replace(',', ".").parse().unwrap()
}

fn flag_key(flag: Option<Flag>) -> &'static str {
    match flag {
        None | Some(Flag::Final) => "",
        Some(f) => f.as_str(),
    }
}

/// The (i, u, y) of the cell at member `k` of a wide row whose first cell is `first`.
fn wide_cell(dim: Dim, first: (u32, u32, u16), k: usize) -> (u32, u32, u16) {
    let (i, u, y) = first;
    match dim {
        Dim::Year => (i, u, k as u16),
        Dim::Unit => (i, k as u32, y),
        Dim::Indicator => (k as u32, u, y),
    }
}

/// The first cells of the rows of a wide table over `dim`, in row order.
fn wide_rows(meta: &Meta, dim: Dim) -> Vec<(u32, u32, u16)> {
    export::positions(order(Layout::Wide { columns: dim }), meta)
        .filter(|p| match dim {
            Dim::Year => p.2 == 0,
            Dim::Unit => p.1 == 0,
            Dim::Indicator => p.0 == 0,
        })
        .collect()
}

#[test]
fn csv_long_reads_back_exactly() {
    let m = meta(Lang::Pl);
    let out = export(Format::Csv, Layout::Long, &m);
    let text = std::str::from_utf8(&out).unwrap();
    assert!(!text.starts_with('\u{feff}'));
    assert!(!text.contains('\r'));
    assert!(text.contains("0.30000000000000004"), "full precision");
    let (header, rows) = read_csv(&out, b',');
    assert_eq!(header, ["unit_code", "unit_name", "indicator_code", "indicator_name", "year", "value", "measure_unit", "flag"]);
    assert_eq!(rows.len(), 18);
    for (row, (i, u, y)) in rows.iter().zip(export::positions(CANONICAL, &m)) {
        let (value, flag) = datum(i, u, y);
        let (unit, ind) = (&m.units[u as usize], &m.indicators[i as usize]);
        assert_eq!(row[0], unit.code);
        assert_eq!(row[1], unit.name);
        assert_eq!(row[2], ind.code);
        assert_eq!(row[3], ind.name);
        assert_eq!(row[4], m.years[y as usize].to_string());
        match value {
            Some(v) => assert_eq!(row[5].parse::<f64>().unwrap(), v, "{row:?}"),
            None => assert_eq!(row[5], ""),
        }
        assert_eq!(row[6], ind.measure_unit);
        assert_eq!(row[7], flag_key(flag));
    }
    assert!(rows.iter().any(|r| r[1] == "Żory; \"miasto\", śląskie"));
}

#[test]
fn csv_wide_reads_back_in_every_layout() {
    let m = meta(Lang::En);
    for dim in WIDE {
        let out = export(Format::Csv, Layout::Wide { columns: dim }, &m);
        let (header, rows) = read_csv(&out, b',');
        let keys: &[&str] = match dim {
            Dim::Year => &["unit_code", "unit_name", "indicator_code", "indicator_name", "measure_unit"],
            Dim::Unit => &["indicator_code", "indicator_name", "measure_unit", "year"],
            Dim::Indicator => &["unit_code", "unit_name", "year"],
        };
        assert_eq!(&header[..keys.len()], keys);
        let members: Vec<String> = match dim {
            Dim::Year => m.years.iter().map(|y| y.to_string()).collect(),
            Dim::Unit => m.units.iter().map(|u| u.code.clone()).collect(),
            Dim::Indicator => m.indicators.iter().map(|i| i.code.clone()).collect(),
        };
        assert_eq!(&header[keys.len()..], members.as_slice());
        let firsts = wide_rows(&m, dim);
        assert_eq!(rows.len(), firsts.len());
        assert_eq!(rows.len(), 18 / members.len());
        for (row, first) in rows.iter().zip(firsts) {
            for k in 0..members.len() {
                let (i, u, y) = wide_cell(dim, first, k);
                let field = &row[keys.len() + k];
                match datum(i, u, y) {
                    (Some(v), _) => assert_eq!(field.parse::<f64>().unwrap(), v),
                    (None, flag) => assert_eq!(field, flag_key(flag), "{dim:?} {i} {u} {y}"),
                }
            }
            let (i, u, y) = first;
            for (key, field) in keys.iter().zip(row) {
                let expected = match *key {
                    "unit_code" => m.units[u as usize].code.clone(),
                    "unit_name" => m.units[u as usize].name.clone(),
                    "indicator_code" => m.indicators[i as usize].code.clone(),
                    "indicator_name" => m.indicators[i as usize].name.clone(),
                    "measure_unit" => m.indicators[i as usize].measure_unit.clone(),
                    _ => m.years[y as usize].to_string(),
                };
                assert_eq!(field, &expected);
            }
        }
    }
}

#[test]
fn csv_pl_is_the_polish_excel_dialect() {
    let m = meta(Lang::Pl);
    let out = export(Format::CsvPl, Layout::Long, &m);
    assert_eq!(&out[..3], b"\xEF\xBB\xBF", "BOM");
    let text = std::str::from_utf8(&out[3..]).unwrap();
    assert_eq!(text.matches("\r\n").count(), 19);
    assert_eq!(text.matches('\n').count(), 19, "every line ends in CRLF");
    assert!(text.starts_with("Kod TERYT;Jednostka;Kod wskaźnika;Wskaźnik;Rok;Wartość;Jednostka miary;Flaga\r\n"));
    assert!(text.contains(";0,30;"), "0.1 + 0.2 rounded to 2 decimals");
    assert!(text.contains(";4321,99;"));
    let (header, rows) = read_csv(&out[3..], b';');
    assert_eq!(header[5], "Wartość");
    assert_eq!(rows.len(), 18);
    for (row, (i, u, y)) in rows.iter().zip(export::positions(CANONICAL, &m)) {
        let (value, flag) = datum(i, u, y);
        let d = m.indicators[i as usize].decimals;
        match value {
            Some(v) => {
                let decimals = row[5].split_once(',').map_or(0, |(_, f)| f.len());
                assert_eq!(decimals, usize::from(d), "{row:?}");
                assert!((pl_number(&row[5]) - rounded(v, d)).abs() < 1e-9, "{row:?} vs {v}");
            }
            None => assert_eq!(row[5], ""),
        }
        let word = match flag {
            None | Some(Flag::Final) => "",
            Some(Flag::Preliminary) => "wstępne",
            Some(Flag::Estimated) => "szacunek",
            Some(Flag::Confidential) => "tajemnica statystyczna",
            Some(Flag::NotOccurred) => "zjawisko nie wystąpiło",
            Some(Flag::Missing) => "brak danych",
        };
        assert_eq!(row[7], word);
        assert_eq!(row[1], m.units[u as usize].name);
    }

    let en = export(Format::CsvPl, Layout::Long, &meta(Lang::En));
    let en = std::str::from_utf8(&en[3..]).unwrap();
    assert!(en.starts_with("TERYT code;Unit;Indicator code;Indicator;Year;Value;Unit of measure;Flag\r\n"));
    assert!(en.contains(";confidential\r\n"));
}

#[test]
fn csv_pl_wide_shows_flag_words_and_labels() {
    let m = meta(Lang::Pl);
    let out = export(Format::CsvPl, Layout::Wide { columns: Dim::Unit }, &m);
    let (header, rows) = read_csv(&out[3..], b';');
    assert_eq!(
        header,
        ["Kod wskaźnika", "Wskaźnik", "Jednostka miary", "Rok", "Bolesławiec (0201011)", "Kraków (1261011)", "Żory; \"miasto\", śląskie (2479011)"]
    );
    // Indicator 0, year 2020 (index 1): Kraków is confidential.
    assert_eq!(rows[1][5], "tajemnica statystyczna");
    assert!((pl_number(&rows[1][4]) - rounded(datum(0, 0, 1).0.unwrap(), 2)).abs() < 1e-9);
    let out = export(Format::CsvPl, Layout::Wide { columns: Dim::Indicator }, &m);
    let (header, _) = read_csv(&out[3..], b';');
    assert_eq!(header[3..], ["Dochody ogółem na mieszkańca [zł]", "Udział terenów zieleni [%]"]);
}

fn xlsx_file(layout: Layout, m: &Meta, via_write: bool) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    let cells = cells(m, order(layout)).into_iter();
    if via_write {
        write(Format::Xlsx, layout, m, cells, std::io::BufWriter::new(file.reopen().unwrap())).unwrap();
    } else {
        write_xlsx(layout, m, cells, file.reopen().unwrap()).unwrap();
    }
    file
}

fn sheet(file: &tempfile::NamedTempFile, name: &str) -> calamine::Range<Data> {
    let mut wb: Xlsx<_> = open_workbook(file.path()).unwrap();
    wb.worksheet_range(name).unwrap()
}

fn s(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("not a string: {other:?}"),
    }
}

fn f(d: &Data) -> f64 {
    match d {
        Data::Float(v) => *v,
        Data::Int(v) => *v as f64,
        other => panic!("not a number: {other:?}"),
    }
}

#[test]
fn xlsx_long_reads_back_with_metadata() {
    let m = meta(Lang::Pl);
    let file = xlsx_file(Layout::Long, &m, false);
    let wb: Xlsx<_> = open_workbook(file.path()).unwrap();
    assert_eq!(wb.sheet_names(), ["Dane", "Metadane"]);
    let data = sheet(&file, "Dane");
    assert_eq!(data.start(), Some((0, 0)));
    assert_eq!(data.get_size(), (19, 8));
    let header: Vec<String> = data.rows().next().unwrap().iter().map(s).collect();
    assert_eq!(header, ["Kod TERYT", "Jednostka", "Kod wskaźnika", "Wskaźnik", "Rok", "Wartość", "Jednostka miary", "Flaga"]);
    for (r, (i, u, y)) in export::positions(CANONICAL, &m).enumerate() {
        let row = &data.rows().nth(r + 1).unwrap();
        let (value, flag) = datum(i, u, y);
        assert_eq!(s(&row[0]), m.units[u as usize].code, "TERYT code kept as text");
        assert_eq!(s(&row[1]), m.units[u as usize].name);
        assert_eq!(s(&row[2]), m.indicators[i as usize].code);
        assert_eq!(f(&row[4]), f64::from(m.years[y as usize]));
        match value {
            Some(v) => assert_eq!(f(&row[5]), v, "row {r}"),
            None => assert_eq!(row[5], Data::Empty),
        }
        assert_eq!(s(&row[6]), m.indicators[i as usize].measure_unit);
        assert_eq!(s(&row[7]), flag.map_or("", |f| export::flag_word(f, Lang::Pl)));
    }

    let meta_sheet = sheet(&file, "Metadane");
    let texts: Vec<String> = meta_sheet.used_cells().filter_map(|(_, _, d)| if let Data::String(t) = d { Some(t.clone()) } else { None }).collect();
    for needle in [
        m.title.as_str(),
        m.generated.as_str(),
        m.source_note.as_str(),
        m.url.as_str(),
        "Objaśnienie flag",
        "tajemnica statystyczna",
        "dane objęte tajemnicą statystyczną, wartość nie jest publikowana",
        "zjawisko nie wystąpiło",
        "confidential",
        "not_occurred",
    ] {
        assert!(texts.iter().any(|t| t == needle), "{needle:?} not on the metadata sheet: {texts:?}");
    }
    for ind in &m.indicators {
        for needle in [&ind.code, &ind.name, &ind.definition, &ind.source] {
            assert!(texts.contains(needle), "{needle:?}");
        }
    }
}

#[test]
fn xlsx_wide_reads_back_in_every_layout_and_sheet_names_follow_the_language() {
    let m = meta(Lang::En);
    for dim in WIDE {
        let layout = Layout::Wide { columns: dim };
        let file = xlsx_file(layout, &m, true);
        let wb: Xlsx<_> = open_workbook(file.path()).unwrap();
        assert_eq!(wb.sheet_names(), ["Data", "Metadata"]);
        let data = sheet(&file, "Data");
        let keys = match dim {
            Dim::Year => 5,
            Dim::Unit => 4,
            Dim::Indicator => 3,
        };
        let n = match dim {
            Dim::Year => 3,
            Dim::Unit => 3,
            Dim::Indicator => 2,
        };
        let header: Vec<String> = data
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|d| match d {
                Data::String(t) => t.clone(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(header.len(), keys + n);
        match dim {
            Dim::Year => assert_eq!(header[keys..], ["2019", "2020", "2021"]),
            Dim::Unit => assert_eq!(header[keys], "Bolesławiec (0201011)"),
            Dim::Indicator => assert_eq!(header[keys], "Dochody ogółem na mieszkańca [zł]"),
        }
        let firsts = wide_rows(&m, dim);
        assert_eq!(data.get_size().0, firsts.len() + 1);
        for (r, first) in firsts.into_iter().enumerate() {
            let row = data.rows().nth(r + 1).unwrap();
            for k in 0..n {
                let (i, u, y) = wide_cell(dim, first, k);
                match datum(i, u, y) {
                    (Some(v), _) => assert_eq!(f(&row[keys + k]), v),
                    (None, flag) => assert_eq!(s(&row[keys + k]), flag.map_or("", |f| export::flag_word(f, Lang::En))),
                }
            }
        }
    }
}

#[test]
fn json_reads_back() {
    let m = meta(Lang::Pl);
    // The layout does not matter to JSON.
    let out = export(Format::Json, Layout::Wide { columns: Dim::Unit }, &m);
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["title"], m.title);
    assert_eq!(doc["generated"], m.generated);
    assert_eq!(doc["url"], m.url);
    assert_eq!(doc["indicators"][1]["definition"], m.indicators[1].definition);
    assert_eq!(doc["indicators"][0]["measure_unit"], "zł");
    assert_eq!(doc["units"][2]["name"], "Żory; \"miasto\", śląskie");
    assert_eq!(doc["units"][2]["kind"], "gmina miejska");
    assert_eq!(doc["years"], serde_json::json!([2019, 2020, 2021]));
    let data = doc["data"].as_array().unwrap();
    assert_eq!(data.len(), 18);
    for (rec, (i, u, y)) in data.iter().zip(export::positions(CANONICAL, &m)) {
        let (value, flag) = datum(i, u, y);
        assert_eq!(rec["unit"], m.units[u as usize].code);
        assert_eq!(rec["indicator"], m.indicators[i as usize].code);
        assert_eq!(rec["year"], m.years[y as usize]);
        match value {
            Some(v) => assert_eq!(rec["value"].as_f64().unwrap(), v),
            None => assert!(rec["value"].is_null()),
        }
        match flag {
            None | Some(Flag::Final) => assert!(rec["flag"].is_null()),
            Some(f) => assert_eq!(rec["flag"], f.as_str()),
        }
        assert_eq!(rec.as_object().unwrap().len(), 5);
    }
}

#[test]
fn jsonstat_follows_the_format() {
    let m = meta(Lang::Pl);
    let out = export(Format::JsonStat, Layout::Long, &m);
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["version"], "2.0");
    assert_eq!(doc["class"], "dataset");
    assert_eq!(doc["label"], m.title);
    assert_eq!(doc["updated"], m.generated);
    assert_eq!(doc["id"], serde_json::json!(["indicator", "unit", "year"]));
    let size: Vec<u64> = doc["size"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert_eq!(size, [2, 3, 3]);
    let values = doc["value"].as_array().unwrap();
    assert_eq!(size.iter().product::<u64>(), values.len() as u64);
    // Every id has a dimension whose index covers 0..size in order.
    for (id, n) in ["indicator", "unit", "year"].iter().zip(&size) {
        let index = doc["dimension"][id]["category"]["index"].as_object().unwrap();
        assert_eq!(index.len() as u64, *n);
        let mut positions: Vec<u64> = index.values().map(|v| v.as_u64().unwrap()).collect();
        positions.sort();
        assert_eq!(positions, (0..*n).collect::<Vec<_>>());
        assert!(doc["dimension"][id]["label"].is_string());
    }
    let dim = &doc["dimension"];
    assert_eq!(dim["unit"]["category"]["index"]["2479011"], 2);
    assert_eq!(dim["unit"]["category"]["label"]["2479011"], "Żory; \"miasto\", śląskie");
    assert_eq!(dim["year"]["category"]["index"]["2021"], 2);
    assert_eq!(dim["indicator"]["category"]["label"]["dochody_pc"], "Dochody ogółem na mieszkańca");
    assert_eq!(dim["indicator"]["category"]["unit"]["zielen_udzial"], serde_json::json!({"label": "%", "decimals": 1}));

    let (n_u, n_y) = (3usize, 3usize);
    let mut expected_status = BTreeMap::new();
    for (i, u, y) in export::positions(CANONICAL, &m) {
        let at = (i as usize * n_u + u as usize) * n_y + y as usize;
        let (value, flag) = datum(i, u, y);
        match value {
            Some(v) => assert_eq!(values[at].as_f64().unwrap(), v),
            None => assert!(values[at].is_null()),
        }
        if let Some(symbol) = flag.and_then(export::jsonstat_status) {
            expected_status.insert(at.to_string(), symbol.to_owned());
        }
    }
    // Spot check: Kraków, 2020, indicator 0 is confidential at (0*3 + 1)*3 + 1 = 4.
    assert_eq!(doc["status"]["4"], "c");
    let status: BTreeMap<String, String> =
        doc["status"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect();
    assert_eq!(status, expected_status);
    assert_eq!(status.len(), 5);
    assert_eq!(doc["extension"]["flags"]["c"]["label"], "tajemnica statystyczna");
    assert_eq!(doc["extension"]["flags"]["-"]["flag"], "not_occurred");
}

fn swapped(mut cells: Vec<export::Cell>) -> Vec<export::Cell> {
    cells.swap(3, 4);
    cells
}

#[test]
fn bad_streams_are_errors_in_every_format() {
    let m = meta(Lang::Pl);
    let layouts = [Layout::Long, Layout::Wide { columns: Dim::Year }, Layout::Wide { columns: Dim::Unit }, Layout::Wide { columns: Dim::Indicator }];
    for format in Format::ALL {
        for layout in layouts {
            let good = cells(&m, order_for(format, layout));
            let run = |cells: Vec<export::Cell>| {
                let mut out = Vec::new();
                let r = write(format, layout, &m, cells.into_iter(), &mut out);
                (r, out)
            };
            let (r, out) = run(swapped(good.clone()));
            assert!(matches!(r, Err(ExportError::OutOfOrder { position: 3, .. })), "{format:?} {layout:?}: {r:?}");
            if format == Format::Xlsx {
                assert!(out.is_empty(), "XLSX writes nothing on error");
            }
            if matches!(format, Format::Json | Format::JsonStat) {
                assert!(serde_json::from_slice::<Value>(&out).is_err(), "a failed JSON does not parse");
            }
            let (r, _) = run(good[..17].to_vec());
            assert!(matches!(r, Err(ExportError::MissingCells { expected: 18, got: 17 })), "{format:?}: {r:?}");
            let mut more = good.clone();
            more.push(good[0]);
            assert!(matches!(run(more).0, Err(ExportError::TooManyCells { expected: 18 })));
            let mut wrong = good.clone();
            wrong[5].year = 3;
            assert!(matches!(run(wrong).0, Err(ExportError::OutOfRange { position: 5, .. })));
            // Another layout's order is an error where the orders differ.
            let other = if order_for(format, layout) == CANONICAL { [Dim::Unit, Dim::Year, Dim::Indicator] } else { CANONICAL };
            assert!(matches!(run(cells(&m, other)).0, Err(ExportError::OutOfOrder { .. })));
        }
    }
}

#[test]
fn duplicate_codes_are_refused() {
    let mut m = meta(Lang::Pl);
    m.indicators[1].code = m.indicators[0].code.clone();
    for format in Format::ALL {
        let r = write(format, Layout::Long, &m, cells(&m, CANONICAL).into_iter(), Vec::new());
        assert!(matches!(r, Err(ExportError::DuplicateCode { dim: Dim::Indicator, .. })), "{format:?}");
    }
}

#[test]
fn polish_characters_survive_every_format() {
    let m = meta(Lang::Pl);
    let needles = ["Żory; \"miasto\", śląskie", "Dochody ogółem na mieszkańca", "Udział terenów zieleni", "zł"];
    for format in [Format::Csv, Format::CsvPl, Format::Json, Format::JsonStat] {
        let out = export(format, Layout::Long, &m);
        let text = String::from_utf8(out).unwrap();
        let text = match format {
            // Quotes are doubled in CSV and escaped in JSON: read the fields back.
            Format::Csv | Format::CsvPl => text.replace("\"\"", "\""),
            _ => text.replace("\\\"", "\""),
        };
        for needle in needles {
            assert!(text.contains(needle), "{format:?} lost {needle:?}");
        }
        if matches!(format, Format::Json | Format::JsonStat) {
            assert!(text.contains("zażółć gęślą jaźń"), "{format:?} lost the title");
        }
    }
    let file = xlsx_file(Layout::Long, &m, false);
    let data = sheet(&file, "Dane");
    let texts: Vec<&str> = data.used_cells().filter_map(|(_, _, d)| if let Data::String(t) = d { Some(t.as_str()) } else { None }).collect();
    assert!(texts.contains(&"Żory; \"miasto\", śląskie"));
    assert!(texts.contains(&"zjawisko nie wystąpiło"));
    let meta_sheet = sheet(&file, "Metadane");
    assert!(meta_sheet.used_cells().any(|(_, _, d)| *d == Data::String(m.title.clone())));
}

#[test]
fn non_finite_values_are_missing() {
    let m = meta(Lang::Pl);
    let mut cs = cells(&m, CANONICAL);
    cs[1].value = Some(f64::NAN);
    cs[2].value = Some(f64::INFINITY);
    let mut out = Vec::new();
    write(Format::Json, Layout::Long, &m, cs.clone().into_iter(), &mut out).unwrap();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert!(doc["data"][1]["value"].is_null() && doc["data"][2]["value"].is_null());
    let mut out = Vec::new();
    write(Format::JsonStat, Layout::Long, &m, cs.clone().into_iter(), &mut out).unwrap();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert!(doc["value"][1].is_null());
    let mut out = Vec::new();
    write(Format::Csv, Layout::Long, &m, cs.clone().into_iter(), &mut out).unwrap();
    let (_, rows) = read_csv(&out, b',');
    assert_eq!(rows[1][5], "");
    let mut out = Vec::new();
    write(Format::Xlsx, Layout::Long, &m, cs.into_iter(), std::io::Cursor::new(&mut out)).unwrap();
    assert!(!out.is_empty());
}

#[test]
fn excel_limits_are_errors_before_any_cell_is_read() {
    let mut m = meta(Lang::Pl);
    m.units = (0..1_048_576).map(|u| export::UnitMeta { code: u.to_string(), name: String::new(), kind: String::new() }).collect();
    m.indicators.truncate(1);
    m.years.truncate(1);
    let mut pulled = 0;
    let cells = std::iter::from_fn(|| {
        pulled += 1;
        None
    });
    let r = write_xlsx(Layout::Long, &m, cells, std::io::Cursor::new(Vec::new()));
    assert!(matches!(r, Err(ExportError::ExcelLimit { what: "rows", needed: 1_048_577, .. })), "{r:?}");
    assert_eq!(pulled, 0);
    m.units.truncate(16_381);
    let r = write_xlsx(Layout::Wide { columns: Dim::Unit }, &m, std::iter::empty(), std::io::Cursor::new(Vec::new()));
    assert!(matches!(r, Err(ExportError::ExcelLimit { what: "columns", needed: 16_385, .. })), "{r:?}");
    // 16,384 columns still fit.
    m.units.truncate(16_380);
    let cells = export::positions(order(Layout::Wide { columns: Dim::Unit }), &m).map(|(i, u, y)| export::Cell {
        indicator: i,
        unit: u,
        year: y,
        value: Some(1.0),
        flag: None,
    });
    write_xlsx(Layout::Wide { columns: Dim::Unit }, &m, cells, std::io::Cursor::new(Vec::new())).unwrap();
}

/// A sink that fails after `left` bytes.
struct Failing {
    left: usize,
}

impl std::io::Write for Failing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("disk full"));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failing_sink_is_an_error() {
    let m = common::big_meta(3, 200, 5);
    for format in Format::ALL {
        for left in [0, 100, 5000] {
            let r = write(format, Layout::Long, &m, common::big_cells(&m, CANONICAL), Failing { left });
            assert!(
                matches!(r, Err(ExportError::Io(_) | ExportError::Csv(_) | ExportError::Json(_) | ExportError::Xlsx(_))),
                "{format:?} {left}: {r:?}"
            );
            assert!(r.unwrap_err().to_string().contains("disk full"), "{format:?}");
        }
    }
}

#[test]
fn formats_and_orders() {
    for f in Format::ALL {
        assert_eq!(Format::from_param(f.as_param()), Some(f));
    }
    assert_eq!(Format::from_param(" CSV-PL "), Some(Format::CsvPl));
    assert_eq!(Format::from_param("xls"), None);
    assert_eq!(Format::Xlsx.extension(), "xlsx");
    assert_eq!(Format::JsonStat.extension(), "json");
    assert!(Format::CsvPl.content_type().starts_with("text/csv"));
    assert_eq!(Lang::from_param("EN"), Some(Lang::En));
    assert_eq!(order(Layout::Long), [Dim::Indicator, Dim::Unit, Dim::Year]);
    assert_eq!(order(Layout::Wide { columns: Dim::Year }), [Dim::Indicator, Dim::Unit, Dim::Year]);
    assert_eq!(order(Layout::Wide { columns: Dim::Unit }), [Dim::Indicator, Dim::Year, Dim::Unit]);
    assert_eq!(order(Layout::Wide { columns: Dim::Indicator }), [Dim::Unit, Dim::Year, Dim::Indicator]);
    assert_eq!(order_for(Format::JsonStat, Layout::Wide { columns: Dim::Unit }), CANONICAL);
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<ExportError>();
    send_sync::<Meta>();
}
