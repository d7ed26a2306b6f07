//! GUGiK's list of the areas of territorial units (*Wykaz powierzchni jednostek podziału
//! terytorialnego kraju*, XLSX) as observations of the catalogue's `powierzchnia` (km²).
//!
//! The sheet: a header row with `TERYT`, `Nazwa jednostki`, `Powierzchnia [ha]` and
//! optionally `Powierzchnia [km2]`, then one row per unit. Codes are written with spaces
//! (`02 01 01 1`, `02 01  `), the country as `00`. The km² column is rounded (Kryłow–Bradis),
//! so the value stored is the ha column ÷ 100; the km² column is only checked against it
//! (a difference above 1 km² means the columns are mixed up). Cells right of the columns
//! read (the notes in column F) are ignored; blank rows and rows of text without an area
//! (notes, footnotes) are skipped.
//!
//! The year: the state date's year. The list "as of 1 January 2025" includes the changes that
//! took effect that day (GUGiK says so of each list: "uwzględnia obowiązujące od 1 stycznia …
//! zmiany granic gmin i miast"; the real list has Szczawa and Grabówka, gminy created on
//! 2025-01-01, and Kamienica and Supraśl without the land they gave them), so it is the
//! territory of 2025 — the territory of a year being that of 31 XII, as GUS publishes
//! densities: its 2024 density is the 2025 list's area for every gmina except those whose
//! boundary changed on 2025-01-01. Storing it as 2024 would give those gminy a wrong area
//! as a final value. Earlier years take it as an *estimate* when the snapshot is built, for
//! every unit whose territory did not change in between (the catalogue marks `powierzchnia`
//! `slowly_changing`; see `app`'s `slowly_changing`). The state date is read from the file
//! name (`…wg_stanu_na_01012025…`) or a sheet cell (`stan na 01.01.2025`);
//! [`AreaOptions::year`] overrides it.
//!
//! The sheet is streamed within the limits of [`crate::xlsx`]; the rows above the header are
//! kept (at most 20), the rest become records as they come.

use std::io::{Cursor, Read, Seek};
use std::path::Path;

use calamine::Data;
use model::{Flag, TerytCode, Value, VariableCode, Year};

use crate::limits::{MAX_XLSX_UNPACKED_BYTES, bytes, quote};
use crate::observations::{Layout, Record, RecordSource, VariableInfo};
use crate::sniff::{self, Import};
use crate::{IngestError, RowError, xlsx};

/// The catalogue's area variable (the denominator of population density).
pub const AREA_VARIABLE: &str = "powierzchnia";

#[derive(Debug, Clone, Default)]
pub struct AreaOptions {
    /// The year the areas are stored under (default: the year of the state date).
    pub year: Option<Year>,
    /// The sheet to read (default: the first).
    pub sheet: Option<String>,
}

/// The rows of an area list, validated, handed out one by one.
pub struct AreaReader {
    rows: std::vec::IntoIter<Result<Record, RowError>>,
    total: usize,
    variables: Vec<VariableInfo>,
    /// The year used and where it came from, for the summary.
    pub year: Year,
    pub year_from: String,
    /// Blank rows and note rows skipped.
    pub skipped: u64,
}

impl RecordSource for AreaReader {
    fn layout(&self) -> Layout {
        Layout::Long
    }
    fn next_record(&mut self) -> Result<Option<Result<Record, RowError>>, IngestError> {
        Ok(self.rows.next())
    }
    fn variables(&self) -> &[VariableInfo] {
        &self.variables
    }
    fn progress(&self) -> (u64, u64) {
        ((self.total - self.rows.len()) as u64, self.total as u64)
    }
}

fn format_err(file: &str, line: u64, message: impl Into<String>) -> IngestError {
    IngestError::format(file, line, message)
}

/// Opens an area list from a file (streamed: the file is not read into memory whole).
pub fn open_areas(path: &Path, opts: &AreaOptions) -> Result<AreaReader, IngestError> {
    let file = path.display().to_string();
    let io = |source| IngestError::Io { file: file.clone(), source };
    let head = sniff::head_of(path).map_err(io)?;
    refuse_wrong(&file, &head, sniff::name_of(path))?;
    let f = std::fs::File::open(path).map_err(io)?;
    let size = f.metadata().map_err(io)?.len();
    if size > MAX_XLSX_UNPACKED_BYTES {
        return Err(format_err(&file, 0, format!("the file is {}, past the limit of {} for an XLSX", bytes(size), bytes(MAX_XLSX_UNPACKED_BYTES))));
    }
    read_from(&file, sniff::name_of(path), std::io::BufReader::new(f), opts)
}

/// Reads an area list from the bytes of an XLSX workbook; `file_name` may carry the state
/// date. Never panics.
pub fn read_areas(file: &str, file_name: &str, bytes: &[u8], opts: &AreaOptions) -> Result<AreaReader, IngestError> {
    refuse_wrong(file, bytes, file_name)?;
    read_from(file, file_name, Cursor::new(bytes), opts)
}

/// Refuses what is not an XLSX workbook, naming the subcommand for a known other kind.
fn refuse_wrong(file: &str, head: &[u8], file_name: &str) -> Result<(), IngestError> {
    if head.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(format_err(file, 0, "this is an old Excel (XLS) workbook, which is not read; save it as XLSX"));
    }
    if let Some(hint) = sniff::check(head, file_name, Import::Areas) {
        return Err(format_err(file, 0, hint));
    }
    if !head.starts_with(b"PK\x03\x04") {
        return Err(format_err(file, 0, "not an XLSX workbook (GUGiK's list of areas is an .xlsx file)"));
    }
    Ok(())
}

fn read_from<R: Read + Seek>(file: &str, file_name: &str, reader: R, opts: &AreaOptions) -> Result<AreaReader, IngestError> {
    let mut book = xlsx::open(reader, file)?;
    let sheet = xlsx::pick_sheet(&book, opts.sheet.as_deref(), file)?;
    let mut rows = xlsx::rows(&mut book, &sheet, file)?;

    // The header: the first row with a cell `TERYT`, among the first 20 with data.
    let mut above: Vec<(u64, Vec<Data>)> = Vec::new();
    let mut long_layout = false;
    let (header_line, header) = loop {
        let Some((line, cells)) = rows.next_row()? else { break None };
        let cells = xlsx::dense(&cells);
        if cells.iter().any(|c| model::fold(&text(c)) == "teryt") {
            break Some((line, cells));
        }
        let folded: Vec<String> = cells.iter().map(|c| model::fold(&text(c))).collect();
        long_layout |= ["variable", "zmienna"].iter().any(|n| folded.iter().any(|f| f == n));
        above.push((line, cells));
        if above.len() >= 20 {
            break None;
        }
    }
    .ok_or_else(|| {
        if long_layout {
            return format_err(
                file,
                0,
                "to są obserwacje w układzie długim (unit, variable, year, value): użyj `miernik import observations` / these are observations in the long layout (unit, variable, year, value): use `miernik import observations`",
            );
        }
        format_err(
            file,
            0,
            format!(
                "sheet `{}`: no column `TERYT` in the first 20 rows; expected GUGiK's header `TERYT`, `Nazwa jednostki`, `Powierzchnia [ha]`, `Powierzchnia [km2]`",
                quote(&sheet)
            ),
        )
    })?;
    let header_line = &header_line;
    let names: Vec<String> = header.iter().map(text).collect();
    let folded: Vec<String> = names.iter().map(|n| model::fold(n).replace(' ', "")).collect();
    let find = |pred: &dyn Fn(&str) -> bool| folded.iter().position(|n| pred(n));
    let col_code = find(&|n| n == "teryt").unwrap_or(0);
    let col_name = find(&|n| n.starts_with("nazwa"));
    let col_ha = find(&|n| n.starts_with("powierzchnia") && (n.ends_with("[ha]") || n.ends_with("(ha)") || n.ends_with("ha")));
    let col_km2 = find(&|n| n.starts_with("powierzchnia") && (n.contains("km2") || n.contains("km²")));
    let Some(col_ha) = col_ha else {
        return Err(format_err(
            file,
            *header_line,
            format!(
                "no column `Powierzchnia [ha]` in the header (found: {}); the area is read in hectares",
                quote(&names.iter().filter(|n| !n.is_empty()).map(|n| format!("`{}`", quote(n))).collect::<Vec<_>>().join(", "))
            ),
        ));
    };

    let (year, year_from) = match opts.year {
        Some(y) => (y, "--year".to_owned()),
        None => state_year(file_name, &above).ok_or_else(|| {
            format_err(
                file,
                0,
                "cannot tell the state date: neither the file name (`…wg_stanu_na_DDMMYYYY…`) nor a cell above the header (`stan na DD.MM.YYYY`) gives it; say the year with --year",
            )
        })?,
    };

    let variable = VariableCode::parse(AREA_VARIABLE).map_err(|e| format_err(file, 0, e.to_string()))?;
    let column = |i: usize| Some((i + 1, names.get(i).map_or("", String::as_str)));
    let mut out = Vec::new();
    let mut skipped = 0u64;
    let mut previous = *header_line;
    while let Some((line, cells)) = rows.next_row()? {
        // Blank rows are not handed out by the sheet reader: count them from the gap.
        skipped += line.saturating_sub(previous + 1);
        previous = line;
        let get = |i: usize| cells.iter().find(|(c, _)| *c == i).map_or(&Data::Empty, |(_, v)| v);
        let code_text: String = text(get(col_code)).chars().filter(|c| !c.is_whitespace()).collect();
        let ha_cell = get(col_ha);
        let km2_cell = col_km2.map_or(&Data::Empty, get);
        let no_area = is_empty(ha_cell) && is_empty(km2_cell);
        if code_text.is_empty() && no_area {
            skipped += 1; // blank, or a note in a column right of the data
            continue;
        }
        if no_area && !code_text.chars().all(|c| c.is_ascii_digit()) {
            skipped += 1; // a note or footnote written in the code column
            continue;
        }
        let err = |col: usize, message: String| RowError::new(file, line, column(col), message);
        let unit = match parse_code(get(col_code), &code_text) {
            Ok(u) => u,
            Err(m) => {
                out.push(Err(err(col_code, m)));
                continue;
            }
        };
        let ha = match area(ha_cell) {
            Ok(v) => v,
            Err(m) => {
                out.push(Err(err(col_ha, m)));
                continue;
            }
        };
        let km2 = ha / 100.0;
        if let Some(c) = col_km2
            && !is_empty(km2_cell)
        {
            match area(km2_cell) {
                Ok(k) if (k - km2).abs() > 1.0 => {
                    out.push(Err(err(c, format!("{k} km² does not match {ha} ha (= {km2} km²): are the columns mixed up?"))));
                    continue;
                }
                Ok(_) => {}
                Err(m) => {
                    out.push(Err(err(c, m)));
                    continue;
                }
            }
        }
        let Some(value) = Value::new(km2) else {
            out.push(Err(err(col_ha, format!("area `{ha}` is not a finite number"))));
            continue;
        };
        let name = col_name.map(|c| text(get(c))).filter(|n| !n.is_empty());
        out.push(Ok(Record { line, unit, unit_name: name, variable: variable.clone(), year, value: Some(value), flag: Flag::Final }));
    }
    if out.is_empty() {
        return Err(format_err(file, *header_line, format!("sheet `{}` has no rows of units below the header", quote(&sheet))));
    }
    let total = out.len();
    Ok(AreaReader {
        rows: out.into_iter(),
        total,
        variables: vec![VariableInfo {
            code: variable,
            name_pl: "Powierzchnia ogólna".to_owned(),
            measure_unit: Some("km²".to_owned()),
            bdl_subgroup: None,
        }],
        year,
        year_from,
        skipped,
    })
}

fn text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        other => other.to_string(),
    }
}

fn is_empty(d: &Data) -> bool {
    match d {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// A TERYT code as GUGiK writes it: with spaces, `00` for Poland. A code stored as a number
/// (leading zero lost) gets its zero back.
fn parse_code(cell: &Data, compact: &str) -> Result<TerytCode, String> {
    if compact.is_empty() {
        return Err("no TERYT code in a row with an area".to_owned());
    }
    let mut code = compact.to_owned();
    if matches!(cell, Data::Float(_) | Data::Int(_)) && matches!(code.len(), 1 | 3 | 6) {
        code.insert(0, '0');
    }
    if code == "00" {
        return Ok(TerytCode::country());
    }
    TerytCode::parse(&code).map_err(|e| format!("`{}`: {e}", text(cell)))
}

/// A positive area from a cell (a number, or text in Polish or English notation).
fn area(cell: &Data) -> Result<f64, String> {
    let v = match cell {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        Data::String(s) if s.trim().is_empty() => return Err("no area".to_owned()),
        Data::String(s) => Value::parse(s).map_err(|e| e.to_string())?.get(),
        Data::Empty => return Err("no area".to_owned()),
        other => return Err(format!("`{other}` is not an area")),
    };
    if !v.is_finite() {
        return Err(format!("area `{v}` is not a finite number"));
    }
    if v <= 0.0 {
        return Err(format!("area {v} is not positive"));
    }
    Ok(v)
}

/// The state date's year, from the file name or a cell above the header.
fn state_year(file_name: &str, above: &[(u64, Vec<Data>)]) -> Option<(Year, String)> {
    let folded = model::fold(file_name);
    if let Some(i) = folded.find("stanu_na_").map(|i| i + 9).or_else(|| folded.find("stan_na_").map(|i| i + 8)) {
        let digits: String = folded[i..].chars().filter(|c| *c != '.' && *c != '_').take(8).collect();
        if digits.len() == 8
            && digits.bytes().all(|b| b.is_ascii_digit())
            && let Some(y) = date_year(&digits[..2], &digits[2..4], &digits[4..])
        {
            return Some((y, format!("the file name (stan na {}.{}.{})", &digits[..2], &digits[2..4], &digits[4..])));
        }
    }
    for (_, cells) in above {
        for c in cells {
            let t = model::fold(&text(c));
            let Some(i) = t.find("stan na") else { continue };
            let rest: String = t[i + 7..].chars().skip_while(|c| !c.is_ascii_digit()).take(10).collect();
            let parts: Vec<&str> = rest.split('.').collect();
            if let [d, m, y] = parts.as_slice()
                && let Some(year) = date_year(d, m, y)
            {
                return Some((year, format!("the sheet (stan na {rest})")));
            }
        }
    }
    None
}

fn date_year(d: &str, m: &str, y: &str) -> Option<Year> {
    let (d, m, y) = (d.parse::<u8>().ok()?, m.parse::<u8>().ok()?, y.parse::<i32>().ok()?);
    let month = time::Month::try_from(m).ok()?;
    time::Date::from_calendar_date(y, month, d).ok()?;
    Year::new(i16::try_from(y).ok()?)
}
