//! Observation files: the long layout (`unit,variable,year,value[,flag]`, CSV or XLSX) and
//! BDL's web exports (CREL: one value per row; CTAB: one column per dimensions × year).
//! The layout is told by content. CSV files are streamed record by record (memory does not
//! grow with the file; a record is at most [`MAX_RECORD_BYTES`], a field [`MAX_FIELD_BYTES`],
//! a header [`MAX_COLUMNS`] columns). An XLSX sheet is streamed cell by cell within the
//! limits of [`crate::xlsx`] and only its layout's columns are kept, one small row per data
//! row.
//!
//! How a file is told apart (first match wins):
//!
//! 0. a file of a known other kind (GeoJSON, TERC, BeSTi@ XML, the catalogue, any XML or
//!    JSON) is refused naming the subcommand that reads it ([`crate::sniff`]);
//! 1. starts with the OLE magic `D0 CF 11 E0` or is named `.xls` → refused (old Excel);
//! 2. starts with the ZIP magic `PK\x03\x04` or is named `.xlsx`/`.xlsm` → XLSX, long layout,
//!    first sheet or [`ReadOptions::sheet`], first non-empty row is the header;
//! 3. after an optional BOM the first line starts with `"Kod";"Nazwa"` (or unquoted) → BDL
//!    export: CREL when the header has `Rok` and `Wartosc`, otherwise CTAB; `"Kod","Nazwa"`
//!    (or unquoted) → the same with `,` as the separator (BDL's comma-separated variant: a
//!    decimal comma is then inside quotes, and `1,234` — a decimal or a thousands separator?
//!    — is refused rather than guessed);
//! 4. anything else → long layout CSV, separator `;` when the header line holds one, else `,`.
//!
//! Lines are physical and 1-based, the header is line 1 (CRLF files too). Empty BDL cells,
//! empty `Wartosc` and `-` are skipped and counted by [`ObservationReader::empty_cells`];
//! `x` is a confidential record without a value. A CREL row whose `Atrybut` says the value
//! is confidential or missing is kept as a record without a value.
//!
//! A BDL export's series (the subject from the file name, `LUDN_2137_…` → `P2137`, and the
//! dimension values of a CREL row or a CTAB column) go to the catalogue variable that
//! [`ReadOptions::series`] maps them to, their values converted from the series' measure
//! (`Jednostka miary`, the CTAB header's `[unit]`) to the variable's unit
//! ([`crate::measure`]); a series the catalogue does not map gets a code of its own
//! (`p2137_70_i_wiecej_ogolem`). [`ObservationReader::series`] says which went where.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use calamine::Data;
use model::{Flag, TerytCode, Value, VariableCode, Year};

use crate::limits::{MAX_COLUMNS, MAX_FIELD_BYTES, MAX_RECORD_BYTES, bytes, quote, thousands};
use crate::measure::Conversion;
use crate::sniff::{self, Import};
use crate::{IngestError, RowError, bdl, catalogue, measure, xlsx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Long,
    BdlCrel,
    BdlCtab,
}

#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The variable every value belongs to (BDL exports); required when it cannot be derived
    /// from the file name.
    pub variable: Option<VariableCode>,
    /// XLSX: the sheet to read (default: the first).
    pub sheet: Option<String>,
    /// BDL exports: the catalogue's series, by [`catalogue::series_key`] of the subject and
    /// the dimension values. Built before reading, so the reader never waits on a database.
    pub series: SeriesMap,
}

/// Where the catalogue sends a BDL series: its variable, and that variable's unit.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesTarget {
    pub variable: VariableCode,
    /// The variable's measure unit: values are converted to it. `None`: kept as they are.
    pub unit: Option<String>,
    /// The series' measure as the catalogue states it; the file's own wins when it has one.
    pub measure: String,
}

/// The catalogue's BDL series: [`catalogue::series_key`] → target.
pub type SeriesMap = HashMap<(String, Vec<String>), SeriesTarget>;

/// One series of a BDL export, and where its values went.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesOutcome {
    /// `P2137`; empty when the file name does not say.
    pub subject: String,
    /// The dimension values as the file writes them.
    pub dims: Vec<String>,
    /// The series' measure unit (the file's, else the catalogue's).
    pub measure: Option<String>,
    pub variable: VariableCode,
    /// Sent to `variable` by the catalogue (otherwise: a code of its own, or --variable).
    pub mapped: bool,
    /// From `measure` to the variable's unit.
    pub conversion: Conversion,
    /// Records read of it.
    pub records: u64,
}

/// What a file says about a variable (BDL exports); long-layout files say nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableInfo {
    pub code: VariableCode,
    pub name_pl: String,
    pub measure_unit: Option<String>,
    /// BDL subgroup id, e.g. `P2137`, when known from the file name.
    pub bdl_subgroup: Option<String>,
}

/// One observation read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub line: u64,
    pub unit: TerytCode,
    /// The unit's name as the file gives it (BDL exports), e.g. `Bolesławiec (2)`.
    pub unit_name: Option<String>,
    pub variable: VariableCode,
    pub year: Year,
    pub value: Option<Value>,
    pub flag: Flag,
}

type Csv = csv::Reader<Lf<BufReader<File>>>;

/// The csv reader's buffer: it reads ahead of the record it parses by at most this much.
const CSV_BUFFER: usize = 1 << 16;

/// Turns CRLF into LF on the fly. The csv crate counts lines wrongly in CRLF files (each
/// record after the first is reported one line early); with LF its count is exact. Also
/// counts the bytes taken from the file, for progress, and refuses to hand out bytes past
/// `limit` (set before each record: its start plus [`MAX_RECORD_BYTES`]), which bounds the
/// record the csv reader buffers.
pub(crate) struct Lf<R> {
    inner: R,
    carry_cr: bool,
    consumed: u64,
    /// Bytes handed out (after CR removal): the csv reader's byte positions.
    produced: u64,
    limit: u64,
}

impl<R> Lf<R> {
    pub(crate) fn new(inner: R) -> Self {
        Lf { inner, carry_cr: false, consumed: 0, produced: 0, limit: u64::MAX }
    }
}

/// The io error [`Lf`] gives past its limit.
#[derive(Debug)]
struct RecordTooLong;

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a record longer than {}", bytes(MAX_RECORD_BYTES))
    }
}

impl std::error::Error for RecordTooLong {}

impl<R: Read> Read for Lf<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.read_lf(out)?;
        self.produced += n as u64;
        if self.produced > self.limit {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, RecordTooLong));
        }
        Ok(n)
    }
}

impl<R: Read> Lf<R> {
    fn read_lf(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.len() < 2 {
            // Too small to hold a carried CR and a byte; the csv reader never asks this.
            let n = self.inner.read(out)?;
            self.consumed += n as u64;
            return Ok(n);
        }
        loop {
            let start = usize::from(self.carry_cr);
            if self.carry_cr {
                out[0] = b'\r';
            }
            let n = self.inner.read(&mut out[start..])?;
            self.consumed += n as u64;
            if n == 0 {
                self.carry_cr = false;
                return Ok(start);
            }
            self.carry_cr = false;
            let total = start + n;
            let Some(first) = memchr::memchr(b'\r', &out[..total]) else {
                return Ok(total); // the common case: no CR in this chunk
            };
            let mut w = first;
            let mut i = first;
            while i < total {
                let b = out[i];
                if b == b'\r' {
                    if i + 1 == total {
                        self.carry_cr = true; // decide when the next byte is known
                        i += 1;
                        continue;
                    }
                    if out[i + 1] == b'\n' {
                        i += 1;
                        continue;
                    }
                }
                out[w] = b;
                w += 1;
                i += 1;
            }
            if w > 0 {
                return Ok(w);
            }
        }
    }
}

/// Column positions of the long layout.
struct LongCols {
    unit: usize,
    variable: usize,
    year: usize,
    value: usize,
    flag: Option<usize>,
    names: Vec<String>,
}

enum Inner {
    LongCsv {
        csv: Csv,
        cols: LongCols,
        comma_sep: bool,
    },
    /// `total`: rows of the sheet after the header, for progress. Each row holds the layout's
    /// cells only: unit, variable, year, value, flag.
    Xlsx {
        rows: std::vec::IntoIter<(u64, [Data; 5])>,
        cols: LongCols,
        total: usize,
    },
    Crel {
        csv: Csv,
        dims: Vec<usize>,
        year: usize,
        value: usize,
        unit: Option<usize>,
        attr: Option<usize>,
    },
    Ctab {
        csv: Csv,
        columns: Vec<Option<(usize, Year)>>,
    },
    /// Before the layout is known; yields nothing.
    Done,
}

/// Anything that hands out observation records one at a time: an observation file
/// ([`ObservationReader`]) or a reader of another official format (areas, budget reports,
/// BDL API pages). The import pipeline (`app`) takes any of them, so every format gets the
/// same all-or-nothing transaction, unit resolution, revisions and report.
pub trait RecordSource: Send {
    /// `Long` for own files, a BDL layout for BDL data (it sets the default source).
    fn layout(&self) -> Layout;
    /// Next record; `Ok(None)` at the end. A `RowError` is one bad row: reading may go on.
    /// An `IngestError` ends the input.
    fn next_record(&mut self) -> Result<Option<Result<Record, RowError>>, IngestError>;
    /// Every variable the input has described so far (new ones are appended).
    fn variables(&self) -> &[VariableInfo];
    /// Done and total, in any unit (bytes, rows), for a progress bar.
    fn progress(&self) -> (u64, u64);
    /// Empty cells skipped so far.
    fn empty_cells(&self) -> u64 {
        0
    }
    /// BDL exports: every series seen so far and where it went.
    fn series(&self) -> &[SeriesOutcome] {
        &[]
    }
}

impl RecordSource for ObservationReader {
    fn layout(&self) -> Layout {
        ObservationReader::layout(self)
    }
    fn next_record(&mut self) -> Result<Option<Result<Record, RowError>>, IngestError> {
        ObservationReader::next_record(self)
    }
    fn variables(&self) -> &[VariableInfo] {
        ObservationReader::variables(self)
    }
    fn progress(&self) -> (u64, u64) {
        ObservationReader::progress(self)
    }
    fn empty_cells(&self) -> u64 {
        ObservationReader::empty_cells(self)
    }
    fn series(&self) -> &[SeriesOutcome] {
        ObservationReader::series(self)
    }
}

/// A streaming reader of observations.
pub struct ObservationReader {
    inner: Inner,
    layout: Layout,
    file: String,
    size: u64,
    offset: u64,
    rec: csv::ByteRecord,
    pending: VecDeque<Result<Record, RowError>>,
    variables: Vec<VariableInfo>,
    by_dims: HashMap<String, usize>,
    fixed: Option<VariableCode>,
    subgroup: Option<String>,
    dim_names: Vec<String>,
    /// BDL CREL: the header, to name columns in row errors.
    col_names: Vec<String>,
    empty: u64,
    /// The catalogue's series ([`ReadOptions::series`]).
    series_map: SeriesMap,
    /// BDL exports: per entry of `variables`, its series.
    outcomes: Vec<SeriesOutcome>,
    /// A BDL export with `,` as the separator.
    comma: bool,
}

fn format_err(file: &str, line: u64, message: impl Into<String>) -> IngestError {
    IngestError::format(file, line, message)
}

fn io_err(file: &str, source: std::io::Error) -> IngestError {
    IngestError::Io { file: file.to_owned(), source }
}

/// Opens an observation file, telling its layout by content.
pub fn open_observations(path: &Path, opts: &ReadOptions) -> Result<ObservationReader, IngestError> {
    let file = path.display().to_string();
    let mut f = File::open(path).map_err(|e| io_err(&file, e))?;
    let size = f.metadata().map_err(|e| io_err(&file, e))?.len();
    let mut head = vec![0u8; 64 * 1024];
    let mut n = 0;
    while n < head.len() {
        let k = f.read(&mut head[n..]).map_err(|e| io_err(&file, e))?;
        if k == 0 {
            break;
        }
        n += k;
    }
    head.truncate(n);
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let mut reader = ObservationReader {
        inner: Inner::Done,
        layout: Layout::Long,
        file: file.clone(),
        size,
        offset: 0,
        rec: csv::ByteRecord::new(),
        pending: VecDeque::new(),
        variables: Vec::new(),
        by_dims: HashMap::new(),
        fixed: opts.variable.clone(),
        subgroup: path.file_name().and_then(|n| n.to_str()).and_then(bdl::subgroup_from_file_name),
        dim_names: Vec::new(),
        col_names: Vec::new(),
        empty: 0,
        series_map: opts.series.clone(),
        outcomes: Vec::new(),
        comma: false,
    };
    if let Some(hint) = sniff::check(&head, sniff::name_of(path), Import::Observations) {
        return Err(format_err(&file, 0, hint));
    }
    if head.starts_with(b"\xD0\xCF\x11\xE0") || ext == "xls" {
        return Err(format_err(&file, 0, "this is an old Excel (XLS) workbook, which is not read; save it as XLSX, or as CSV in UTF-8"));
    }
    if head.starts_with(b"PK\x03\x04") || matches!(ext.as_str(), "xlsx" | "xlsm") {
        reader.open_xlsx(path, opts)?;
        return Ok(reader);
    }
    if (n as u64) == size && head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head).iter().all(u8::is_ascii_whitespace) {
        return Err(format_err(&file, 0, "the file is empty"));
    }
    let bom = if head.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    reader.offset = bom;
    let first_line = head[bom as usize..].split(|b| *b == b'\n').next().unwrap_or(&[]);
    let first_line = String::from_utf8_lossy(first_line).trim_end_matches('\r').to_owned();
    f.seek(SeekFrom::Start(bom)).map_err(|e| io_err(&file, e))?;
    let is_bdl = first_line.starts_with("\"Kod\";\"Nazwa\"") || first_line.starts_with("Kod;Nazwa");
    let is_bdl_comma = first_line.starts_with("\"Kod\",\"Nazwa\"") || first_line.starts_with("Kod,Nazwa");
    if is_bdl || is_bdl_comma {
        reader.comma = is_bdl_comma;
        reader.open_bdl(f, if is_bdl_comma { b',' } else { b';' })?;
    } else {
        reader.open_long(f, &first_line)?;
    }
    Ok(reader)
}

fn csv_reader(f: File, delimiter: u8) -> Csv {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(CSV_BUFFER)
        .from_reader(Lf::new(BufReader::with_capacity(1 << 16, f)))
}

/// The header's fields as text; a header that is not UTF-8, of more than [`MAX_COLUMNS`]
/// columns or with a field past [`MAX_FIELD_BYTES`] stops the file.
fn header_names(header: &csv::ByteRecord, file: &str) -> Result<Vec<String>, IngestError> {
    if header.len() > MAX_COLUMNS {
        return Err(format_err(
            file,
            1,
            format!(
                "the header has {} columns, past the limit of {}: is the separator right, and is this a file of observations? Split the columns into several files",
                thousands(header.len() as u64),
                thousands(MAX_COLUMNS as u64)
            ),
        ));
    }
    if let Some((i, len)) = long_field(header) {
        return Err(format_err(
            file,
            1,
            format!(
                "column {} of the header is {} long, past the limit of {} for one field",
                i + 1,
                bytes(len as u64),
                bytes(MAX_FIELD_BYTES as u64)
            ),
        ));
    }
    header
        .iter()
        .map(|f| {
            std::str::from_utf8(f).map(str::to_owned).map_err(|_| {
                format_err(
                    file,
                    1,
                    "the header is not UTF-8 (perhaps Windows-1250); convert the file with `iconv -f cp1250 -t utf-8 FILE > FILE.utf8`",
                )
            })
        })
        .collect()
}

/// Maps a long-layout header to column positions, in English or Polish, any order.
fn long_columns(names: Vec<String>, file: &str, line: u64, sep_hint: &str) -> Result<LongCols, IngestError> {
    let mut unit = None;
    let mut variable = None;
    let mut year = None;
    let mut value = None;
    let mut flag = None;
    let mut unknown = Vec::new();
    for (i, raw) in names.iter().enumerate() {
        let n = model::fold(raw.trim().trim_start_matches('\u{feff}'));
        let slot = match n.as_str() {
            "unit" | "jednostka" | "teryt" | "kod" => &mut unit,
            "variable" | "zmienna" => &mut variable,
            "year" | "rok" => &mut year,
            "value" | "wartosc" => &mut value,
            "flag" | "flaga" => &mut flag,
            _ => {
                unknown.push(raw.clone());
                continue;
            }
        };
        if slot.is_some() {
            return Err(format_err(file, line, format!("column `{raw}` appears twice in the header")));
        }
        *slot = Some(i);
    }
    let expected = "unit,variable,year,value[,flag] (or jednostka,zmienna,rok,wartosc[,flaga])";
    if !unknown.is_empty() {
        let mut listed: Vec<String> = unknown.iter().take(5).map(|u| format!("`{}`", quote(u))).collect();
        if unknown.len() > 5 {
            listed.push(format!("and {} more", unknown.len() - 5));
        }
        return Err(format_err(file, line, format!("unknown column(s) {} in the header; expected {expected}{sep_hint}", listed.join(", "))));
    }
    match (unit, variable, year, value) {
        (Some(unit), Some(variable), Some(year), Some(value)) => Ok(LongCols { unit, variable, year, value, flag, names }),
        _ => {
            let missing: Vec<&str> = [(unit, "unit"), (variable, "variable"), (year, "year"), (value, "value")]
                .into_iter()
                .filter_map(|(slot, name)| slot.is_none().then_some(name))
                .collect();
            Err(format_err(
                file,
                line,
                format!(
                    "the header must name the columns {expected}; missing: {}; found `{}`{sep_hint}",
                    missing.join(", "),
                    quote(&names.join(","))
                ),
            ))
        }
    }
}

impl ObservationReader {
    fn open_long(&mut self, f: File, first_line: &str) -> Result<(), IngestError> {
        let delimiter = if first_line.contains(';') { b';' } else { b',' };
        let sep_hint = if !first_line.contains(';') && !first_line.contains(',') && first_line.contains('\t') {
            " — the separator must be `,` or `;` (this file seems to use tabs)"
        } else if !first_line.contains(';') && !first_line.contains(',') {
            " — is the separator `,` or `;`?"
        } else {
            ""
        };
        let mut csv = csv_reader(f, delimiter);
        let mut header = csv::ByteRecord::new();
        let has = read(&mut csv, &mut header, &self.file)?;
        if !has {
            return Err(format_err(&self.file, 0, "the file is empty"));
        }
        let names = header_names(&header, &self.file)?;
        let cols = long_columns(names, &self.file, 1, sep_hint)?;
        self.inner = Inner::LongCsv { csv, cols, comma_sep: delimiter == b',' };
        self.layout = Layout::Long;
        Ok(())
    }

    fn open_xlsx(&mut self, path: &Path, opts: &ReadOptions) -> Result<(), IngestError> {
        let file = self.file.clone();
        let f = File::open(path).map_err(|e| io_err(&file, e))?;
        let mut book = xlsx::open(BufReader::new(f), &file)?;
        let sheet = xlsx::pick_sheet(&book, opts.sheet.as_deref(), &file)?;
        let mut rows = xlsx::rows(&mut book, &sheet, &file)?;
        let Some((header_line, header)) = rows.next_row()? else {
            return Err(format_err(&file, 0, format!("sheet `{}` is empty", quote(&sheet))));
        };
        let mut names: Vec<String> = xlsx::dense(&header).iter().map(cell_text).collect();
        while names.last().is_some_and(String::is_empty) {
            names.pop();
        }
        let lead = names.iter().take_while(|n| n.is_empty()).count();
        let cols = match long_columns(names.split_off(lead), &file, header_line, "") {
            Ok(c) => c,
            Err(e) => {
                // GUGiK's list of areas opens with a title; its header is a few rows down.
                let mut seen = vec![header];
                while seen.len() < 20 {
                    match rows.next_row() {
                        Ok(Some((_, cells))) => seen.push(cells),
                        _ => break,
                    }
                }
                if seen.iter().any(|cells| looks_like_area_header(cells)) {
                    return Err(format_err(
                        &file,
                        0,
                        "to jest wykaz powierzchni GUGiK: użyj `miernik import areas` / this is GUGiK's list of areas: use `miernik import areas`",
                    ));
                }
                return Err(e);
            }
        };
        let cols = LongCols {
            unit: cols.unit + lead,
            variable: cols.variable + lead,
            year: cols.year + lead,
            value: cols.value + lead,
            flag: cols.flag.map(|f| f + lead),
            names: std::iter::repeat_n(String::new(), lead).chain(cols.names).collect(),
        };
        let picks = [Some(cols.unit), Some(cols.variable), Some(cols.year), Some(cols.value), cols.flag];
        let mut kept: Vec<(u64, [Data; 5])> = Vec::new();
        while let Some((line, cells)) = rows.next_row()? {
            let mut row: [Data; 5] = Default::default();
            for (c, v) in cells {
                if let Some(k) = picks.iter().position(|p| *p == Some(c)) {
                    row[k] = v;
                }
            }
            kept.push((line, row));
        }
        self.inner = Inner::Xlsx { total: kept.len(), rows: kept.into_iter(), cols };
        self.layout = Layout::Long;
        Ok(())
    }

    fn open_bdl(&mut self, f: File, delimiter: u8) -> Result<(), IngestError> {
        let mut csv = csv_reader(f, delimiter);
        let mut header = csv::ByteRecord::new();
        read(&mut csv, &mut header, &self.file)?;
        let header: Vec<String> = header_names(&header, &self.file)?.into_iter().map(|h| h.trim().to_owned()).collect();
        let pos = |name: &str| header.iter().position(|h| h == name);
        if let (Some(year), Some(value)) = (pos("Rok"), pos("Wartosc").or_else(|| pos("Wartość"))) {
            if year < 2 {
                return Err(format_err(&self.file, 1, "BDL export: the column `Rok` must follow `Kod` and `Nazwa`"));
            }
            let dims: Vec<usize> = (2..year).collect();
            self.dim_names = dims.iter().map(|&i| header[i].clone()).collect();
            self.check_derivable()?;
            self.inner = Inner::Crel { unit: pos("Jednostka miary"), attr: pos("Atrybut"), dims, year, value, csv };
            self.col_names = header;
            self.layout = Layout::BdlCrel;
            return Ok(());
        }
        // CTAB: each column header packs `dim;dim;…;YEAR;[unit]`.
        self.check_derivable()?;
        // Per column: (dimension values, unit of measure, year), or None for Kod/Nazwa/empty.
        type CtabColumn = Option<(Vec<String>, Option<String>, Year)>;
        let mut parsed: Vec<CtabColumn> = Vec::with_capacity(header.len());
        for (i, h) in header.iter().enumerate() {
            if i < 2 || h.is_empty() {
                parsed.push(None);
                continue;
            }
            let parts: Vec<&str> = h.split(';').map(str::trim).collect();
            let (unit, rest) = match parts.split_last() {
                Some((last, rest)) => match last.strip_prefix('[').and_then(|u| u.strip_suffix(']')) {
                    Some(u) => (Some(u.trim().to_owned()), rest),
                    None => (None, parts.as_slice()),
                },
                None => (None, parts.as_slice()),
            };
            let Some((year, dims)) = rest.split_last() else {
                return Err(format_err(&self.file, 1, format!("column {} `{h}`: expected `dimension;…;YEAR;[unit]`", i + 1)));
            };
            let year = Year::parse(year)
                .map_err(|e| format_err(&self.file, 1, format!("column {} `{h}`: {e}; expected `dimension;…;YEAR;[unit]`", i + 1)))?;
            parsed.push(Some((dims.iter().map(|d| (*d).to_owned()).collect(), unit, year)));
        }
        if self.fixed.is_some() {
            let mut combos: Vec<&[String]> = Vec::new();
            for (dims, _, _) in parsed.iter().flatten() {
                if !combos.contains(&dims.as_slice()) {
                    combos.push(dims);
                }
            }
            if combos.len() > 1 {
                let targets: Vec<Option<&SeriesTarget>> = combos.iter().map(|dims| self.target(dims)).collect();
                let fixed = self.fixed.as_ref().map_or("", VariableCode::as_str);
                if targets.iter().all(Option::is_some) {
                    let mapped: Vec<&str> = targets.iter().flatten().map(|t| t.variable.as_str()).collect();
                    if !mapped.contains(&fixed) {
                        return Err(format_err(
                            &self.file,
                            1,
                            format!(
                                "--variable `{fixed}` is not one of the variables the catalogue maps this file's series to ({}); leave --variable out, or name one of them",
                                mapped.join(", ")
                            ),
                        ));
                    }
                    // Every series has its variable: --variable was a check, and it holds.
                    self.fixed = None;
                } else {
                    let list: Vec<String> = combos.iter().map(|c| format!("`{}`", c.join(", "))).collect();
                    return Err(format_err(
                        &self.file,
                        1,
                        format!(
                            "the file holds more than one series ({} series: {}), but --variable names one; leave --variable out to get a code for each{}",
                            list.len(),
                            list.join("; "),
                            self.mapping_hint()
                        ),
                    ));
                }
            }
        }
        let mut columns = Vec::with_capacity(parsed.len());
        for (i, col) in parsed.into_iter().enumerate() {
            columns.push(match col {
                Some((dims, unit, year)) => {
                    let var = self.variable_for(&dims, unit.clone(), 1)?;
                    if let Some(message) = self.measure_changed(var, unit.as_deref()) {
                        return Err(format_err(&self.file, 1, format!("column {} ({year}): {message}", i + 1)));
                    }
                    Some((var, year))
                }
                None => None,
            });
        }
        if columns.iter().all(Option::is_none) {
            return Err(format_err(&self.file, 1, "BDL export without value columns"));
        }
        self.inner = Inner::Ctab { csv, columns };
        self.layout = Layout::BdlCtab;
        Ok(())
    }

    fn check_derivable(&self) -> Result<(), IngestError> {
        if self.fixed.is_none() && self.subgroup.is_none() {
            return Err(format_err(
                &self.file,
                0,
                "cannot derive the variable: the file name is not BDL's `DZIEDZINA_ID_CREL|CTAB_TIMESTAMP.csv`; name the variable with --variable CODE",
            ));
        }
        Ok(())
    }

    /// The catalogue's target of a series of this file, by its dimension values.
    fn target(&self, dims: &[String]) -> Option<&SeriesTarget> {
        let subject = format!("P{}", self.subgroup.as_ref()?);
        self.series_map.get(&catalogue::series_key(&subject, dims))
    }

    /// What to add to a refusal of --variable on a file of several series.
    fn mapping_hint(&self) -> &'static str {
        match (&self.subgroup, self.series_map.is_empty()) {
            (None, _) => "",
            (Some(_), true) => {
                " (or import the catalogue first: a catalogue whose variables list this file's series in [[variable.bdl_series]] sends each series to its variable)"
            }
            (Some(_), false) => " (the catalogue maps only some of them: list every series in [[variable.bdl_series]] to import them by --variable)",
        }
    }

    /// A series whose measure differs from the one its first values had: the conversion
    /// chosen for it would be wrong for these. `None` when it is the same or not given.
    fn measure_changed(&self, var: usize, unit: Option<&str>) -> Option<String> {
        let o = self.outcomes.get(var)?;
        let unit = unit.map(str::trim).filter(|u| !u.is_empty() && *u != "-")?;
        let known = o.measure.as_deref()?;
        (o.mapped && measure::normalize(unit) != measure::normalize(known)).then(|| {
            format!(
                "the series {} `{}` is in `{unit}` here but in `{known}` before; the catalogue's conversion to `{}` holds for one measure only",
                o.subject,
                o.dims.join("; "),
                o.variable
            )
        })
    }

    /// The variable of a combination of dimension values: registered on first sight. With
    /// the catalogue's series ([`ReadOptions::series`]) a mapped series goes to its variable,
    /// converted; --variable takes a file's one series, or checks a file of mapped series.
    fn variable_for(&mut self, dims: &[String], unit: Option<String>, line: u64) -> Result<usize, IngestError> {
        let key = dims.join("\u{1f}");
        if let Some(&i) = self.by_dims.get(&key) {
            return Ok(i);
        }
        let given = unit.filter(|u| !u.is_empty() && u != "-");
        let target = self.target(dims).cloned();
        let all_mapped = !self.outcomes.is_empty() && self.outcomes.iter().all(|o| o.mapped);
        let (code, target) = match (self.fixed.clone(), target) {
            (Some(code), t) if self.by_dims.is_empty() => {
                // One series named by --variable: its values go there, converted only when
                // the catalogue sends this series to that very variable.
                let t = t.filter(|t| t.variable == code);
                (code, t)
            }
            (Some(_), Some(t)) if all_mapped => (t.variable.clone(), Some(t)),
            (Some(_), _) => {
                let first = self.by_dims.keys().next().cloned().unwrap_or_default();
                return Err(format_err(
                    &self.file,
                    line,
                    format!(
                        "the file holds more than one series (at least `{}` and `{}`), but --variable names one; leave --variable out to get a code for each{}",
                        first.replace('\u{1f}', ", "),
                        dims.join(", "),
                        self.mapping_hint()
                    ),
                ));
            }
            (None, Some(t)) => (t.variable.clone(), Some(t)),
            (None, None) => {
                let sub = self.subgroup.clone().unwrap_or_default();
                let base = VariableCode::slug(&format!("p{sub} {}", dims.join(" ")));
                // Two combinations that fold to one code (`ogółem` / `ogolem`) stay apart.
                let mut code = base.clone();
                let mut n = 2;
                while self.variables.iter().any(|v| v.code == code) {
                    let suffix = format!("_{n}");
                    let stem: String = base.as_str().chars().take(64 - suffix.len()).collect();
                    code = VariableCode::slug(&format!("{stem}{suffix}"));
                    n += 1;
                }
                (code, None)
            }
        };
        let subject = self.subgroup.as_ref().map(|s| format!("P{s}")).unwrap_or_default();
        let series_measure = given.clone().or_else(|| target.as_ref().map(|t| t.measure.clone()));
        let conversion = match (&target, &series_measure) {
            (Some(SeriesTarget { unit: Some(to), .. }), Some(from)) => measure::conversion(from, to).map_err(|e| {
                format_err(
                    &self.file,
                    line,
                    format!(
                        "the series {subject} `{}` in `{from}` cannot go to variable `{code}` in `{to}` as the catalogue says: {e}",
                        dims.join("; ")
                    ),
                )
            })?,
            _ => Conversion::IDENTITY,
        };
        let described: Vec<String> = if self.dim_names.len() == dims.len() {
            self.dim_names.iter().zip(dims).map(|(n, v)| format!("{n}: {v}")).collect()
        } else {
            dims.to_vec()
        };
        let name_pl = match &self.subgroup {
            Some(s) => format!("P{s}: {}", described.join(", ")),
            None => described.join(", "),
        };
        let mapped = target.is_some();
        self.variables.push(VariableInfo {
            code: code.clone(),
            name_pl,
            // A mapped series' values are in its variable's unit once converted.
            measure_unit: match &target {
                Some(SeriesTarget { unit: Some(u), .. }) => Some(u.clone()),
                _ => given.clone(),
            },
            bdl_subgroup: self.subgroup.as_ref().map(|s| format!("P{s}")),
        });
        self.outcomes.push(SeriesOutcome { subject, dims: dims.to_vec(), measure: series_measure, variable: code, mapped, conversion, records: 0 });
        self.by_dims.insert(key, self.variables.len() - 1);
        Ok(self.variables.len() - 1)
    }
}

/// A BDL value in its series' variable's unit (`outcomes[var]`'s conversion); a row error
/// when it is not a number (a comma-separated file's `1,234` is refused: a decimal comma or a
/// thousands separator?).
fn bdl_value(comma: bool, outcomes: &[SeriesOutcome], var: usize, text: &str) -> Result<Value, String> {
    if comma && is_ambiguous_comma(text) {
        return Err(format!(
            "value `{text}` is ambiguous in a comma-separated file: {} or {}? Export the file with `;` as the separator (BDL's default) or with a decimal point",
            text.replace(',', "."),
            text.replace(',', "")
        ));
    }
    let v = Value::parse(text).map_err(|e| e.to_string())?;
    let Some(c) = outcomes.get(var).map(|o| o.conversion).filter(|c| !c.is_identity()) else { return Ok(v) };
    Value::new(c.apply(v.get(), text)).ok_or_else(|| format!("value `{text}` {c} is not a finite number"))
}

impl ObservationReader {
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Next record; `Ok(None)` at the end. A `RowError` is one bad row: reading may go on.
    /// An `IngestError` ends the file.
    pub fn next_record(&mut self) -> Result<Option<Result<Record, RowError>>, IngestError> {
        if matches!(self.inner, Inner::LongCsv { .. }) {
            // The hot path: one physical row gives one result, no queue.
            return self.next_long_csv();
        }
        loop {
            if let Some(r) = self.pending.pop_front() {
                return Ok(Some(r));
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Reads the next physical record into `pending`; false at the end of the file.
    fn fill(&mut self) -> Result<bool, IngestError> {
        match &mut self.inner {
            Inner::Xlsx { rows, cols, .. } => {
                // Every row has data somewhere (the sheet reader skips empty ones); one with
                // none in the layout's columns is reported like any row without a unit.
                let Some((line, [unit, variable, year, value, flag])) = rows.next() else { return Ok(false) };
                let unit = match unit {
                    Data::Float(f) if f.fract() == 0.0 && f >= 0.0 => pad_code(&format!("{f:.0}")),
                    Data::Int(i) => pad_code(&i.to_string()),
                    other => cell_text(&other),
                };
                let value_text;
                let value = match value {
                    Data::Float(f) => Cell::Num(f),
                    Data::Int(i) => Cell::Num(i as f64),
                    other => {
                        value_text = cell_text(&other);
                        Cell::Text(&value_text)
                    }
                };
                let (variable, year) = (cell_text(&variable), cell_text(&year));
                let flag = cols.flag.map(|_| cell_text(&flag));
                let fields = LongFields { unit: &unit, variable: &variable, year: &year, value, flag: flag.as_deref() };
                let r = long_record(&self.file, line, cols, fields);
                self.pending.push_back(r);
                Ok(true)
            }
            Inner::LongCsv { .. } => match self.next_long_csv()? {
                Some(r) => {
                    self.pending.push_back(r);
                    Ok(true)
                }
                None => Ok(false),
            },
            Inner::Crel { .. } => self.fill_crel(),
            Inner::Ctab { .. } => self.fill_ctab(),
            Inner::Done => Ok(false),
        }
    }

    /// The long layout, CSV: reads one physical row. Fields are checked as UTF-8 in place
    /// (no copy); the only allocations are the record's own code strings.
    fn next_long_csv(&mut self) -> Result<Option<Result<Record, RowError>>, IngestError> {
        let Inner::LongCsv { csv, cols, comma_sep } = &mut self.inner else { return Ok(None) };
        loop {
            if !read(csv, &mut self.rec, &self.file)? {
                return Ok(None);
            }
            let line = self.rec.position().map_or(0, csv::Position::line);
            if self.rec.len() == 1 && self.rec.get(0).is_some_and(|f| f.iter().all(u8::is_ascii_whitespace)) {
                continue; // a blank line (e.g. trailing whitespace at the end of the file)
            }
            if self.rec.len() != cols.names.len() {
                let hint = if *comma_sep && self.rec.len() > cols.names.len() {
                    " (with `,` as the separator a decimal comma splits the value: use `;` as the separator or a decimal point)"
                } else {
                    ""
                };
                let message = format!("expected {} fields ({}), found {}{hint}", cols.names.len(), quote(&cols.names.join(",")), self.rec.len());
                return Ok(Some(Err(RowError::new(&self.file, line, None, message))));
            }
            if let Some((i, len)) = long_field(&self.rec) {
                let name = cols.names.get(i).map_or("", String::as_str);
                return Ok(Some(Err(RowError::new(&self.file, line, Some((i + 1, name)), field_too_long(len)))));
            }
            let rec = &self.rec;
            let file = &self.file;
            let text = |i: usize| -> Result<&str, IngestError> {
                std::str::from_utf8(rec.get(i).unwrap_or(b"")).map_err(|_| {
                    format_err(
                        file,
                        line,
                        format!(
                            "column {} ({}) is not UTF-8 (perhaps Windows-1250); convert the file with `iconv -f cp1250 -t utf-8 FILE > FILE.utf8`",
                            i + 1,
                            cols.names.get(i).map_or("", String::as_str)
                        ),
                    )
                })
            };
            let fields = LongFields {
                unit: text(cols.unit)?,
                variable: text(cols.variable)?,
                year: text(cols.year)?,
                value: Cell::Text(text(cols.value)?),
                flag: cols.flag.map(text).transpose()?,
            };
            return Ok(Some(long_record(file, line, cols, fields)));
        }
    }

    fn fill_crel(&mut self) -> Result<bool, IngestError> {
        let Inner::Crel { csv, dims, year, value, unit, attr } = &mut self.inner else { return Ok(false) };
        if !read(csv, &mut self.rec, &self.file)? {
            return Ok(false);
        }
        let line = self.rec.position().map_or(0, csv::Position::line);
        let file = self.file.clone();
        let rec = std::mem::take(&mut self.rec);
        let field = |i: usize| -> Result<String, IngestError> {
            let b = rec.get(i).unwrap_or(b"");
            std::str::from_utf8(b)
                .map(|s| s.trim().to_owned())
                .map_err(|_| format_err(&file, line, format!("column {} is not UTF-8; convert the file with `iconv -f cp1250 -t utf-8`", i + 1)))
        };
        let (dims, year_i, value_i, unit_i, attr_i) = (dims.clone(), *year, *value, *unit, *attr);
        let header = std::mem::take(&mut self.col_names);
        let row_err = |i: usize, message: String| RowError::new(&file, line, Some((i + 1, header.get(i).map_or("", String::as_str))), message);
        let result = (|| -> Result<Option<Result<Record, RowError>>, IngestError> {
            if rec.len() <= value_i {
                return Ok(Some(Err(RowError::new(&file, line, None, format!("expected at least {} fields, found {}", value_i + 1, rec.len())))));
            }
            if let Some((i, len)) = long_field(&rec) {
                return Ok(Some(Err(row_err(i, field_too_long(len)))));
            }
            if let Some(message) = extra_fields(self.comma, &rec, header.len()) {
                return Ok(Some(Err(RowError::new(&file, line, None, message))));
            }
            let code = field(0)?;
            let name = field(1)?;
            let dim_values = dims.iter().map(|&i| field(i)).collect::<Result<Vec<_>, _>>()?;
            let unit_of_measure = unit_i.map(field).transpose()?;
            let year_text = field(year_i)?;
            let value_text = field(value_i)?;
            let attr_text = attr_i.map(field).transpose()?.unwrap_or_default();
            let var = self.variable_for(&dim_values, unit_of_measure.clone(), line)?;
            if let Some(message) = self.measure_changed(var, unit_of_measure.as_deref()) {
                return Ok(Some(Err(row_err(unit_i.unwrap_or(0), message))));
            }
            let unit = match TerytCode::parse_lenient(&code) {
                Ok(u) => u,
                Err(e) => return Ok(Some(Err(row_err(0, e.to_string())))),
            };
            let year = match Year::parse(&year_text) {
                Ok(y) => y,
                Err(e) => return Ok(Some(Err(row_err(year_i, e.to_string())))),
            };
            let Some(mut flag) = bdl::flag_from_attribute(&attr_text) else {
                return Ok(Some(Err(row_err(attr_i.unwrap_or(0), format!("unknown BDL attribute `{attr_text}`")))));
            };
            let value = match value_text.as_str() {
                "" | "-" if flag.carries_value() => {
                    self.empty += 1;
                    return Ok(None);
                }
                "" | "-" => None,
                "x" | "X" => {
                    flag = Flag::Confidential;
                    None
                }
                t => match bdl_value(self.comma, &self.outcomes, var, t) {
                    Ok(v) => Some(v),
                    Err(e) => return Ok(Some(Err(row_err(value_i, e)))),
                },
            };
            let Some(variable) = self.variables.get(var).map(|v| v.code.clone()) else { return Ok(None) };
            if let Some(o) = self.outcomes.get_mut(var) {
                o.records += 1;
            }
            Ok(Some(Ok(Record { line, unit, unit_name: Some(name), variable, year, value, flag })))
        })();
        self.rec = rec;
        self.col_names = header;
        if let Some(r) = result? {
            self.pending.push_back(r);
        }
        Ok(true)
    }

    fn fill_ctab(&mut self) -> Result<bool, IngestError> {
        let Inner::Ctab { csv, columns } = &mut self.inner else { return Ok(false) };
        if !read(csv, &mut self.rec, &self.file)? {
            return Ok(false);
        }
        let line = self.rec.position().map_or(0, csv::Position::line);
        let text = |i: usize| -> Result<&str, IngestError> {
            std::str::from_utf8(self.rec.get(i).unwrap_or(b""))
                .map(str::trim)
                .map_err(|_| format_err(&self.file, line, format!("column {} is not UTF-8; convert the file with `iconv -f cp1250 -t utf-8`", i + 1)))
        };
        let needed = columns.iter().rposition(Option::is_some).map_or(2, |i| i + 1);
        if self.rec.len() < needed {
            let message = format!("expected {needed} fields (one per column of the header), found {}", self.rec.len());
            self.pending.push_back(Err(RowError::new(&self.file, line, None, message)));
            return Ok(true);
        }
        if let Some((i, len)) = long_field(&self.rec) {
            self.pending.push_back(Err(RowError::new(&self.file, line, Some((i + 1, "")), field_too_long(len))));
            return Ok(true);
        }
        if let Some(message) = extra_fields(self.comma, &self.rec, columns.len()) {
            self.pending.push_back(Err(RowError::new(&self.file, line, None, message)));
            return Ok(true);
        }
        let code = text(0)?;
        let name = text(1)?.to_owned();
        let unit = match TerytCode::parse_lenient(code) {
            Ok(u) => u,
            Err(e) => {
                self.pending.push_back(Err(RowError::new(&self.file, line, Some((1, "Kod")), e.to_string())));
                return Ok(true);
            }
        };
        for (i, col) in columns.iter().enumerate() {
            let Some((var_i, year)) = col else { continue };
            let Some(var) = self.variables.get(*var_i) else { continue };
            let cell = text(i)?;
            let (value, flag) = match cell {
                "" | "-" => {
                    self.empty += 1;
                    continue;
                }
                "x" | "X" => (None, Flag::Confidential),
                t => match bdl_value(self.comma, &self.outcomes, *var_i, t) {
                    Ok(v) => (Some(v), Flag::Final),
                    Err(e) => {
                        let column = format!("{} {year}", var.code);
                        self.pending.push_back(Err(RowError::new(&self.file, line, Some((i + 1, &column)), e)));
                        continue;
                    }
                },
            };
            if let Some(o) = self.outcomes.get_mut(*var_i) {
                o.records += 1;
            }
            self.pending.push_back(Ok(Record {
                line,
                unit: unit.clone(),
                unit_name: Some(name.clone()),
                variable: var.code.clone(),
                year: *year,
                value,
                flag,
            }));
        }
        Ok(true)
    }

    /// Every series of a BDL export read so far, and where its values went.
    pub fn series(&self) -> &[SeriesOutcome] {
        &self.outcomes
    }

    pub fn variable_info(&self, code: &VariableCode) -> Option<&VariableInfo> {
        self.variables.iter().find(|v| &v.code == code)
    }

    pub fn variables(&self) -> &[VariableInfo] {
        &self.variables
    }

    /// Bytes of the file consumed so far and the file's size, for a progress bar. An XLSX
    /// sheet is decompressed whole when opened, so its "bytes consumed" is an estimate: the
    /// file size times the share of the sheet's rows handed out so far.
    pub fn progress(&self) -> (u64, u64) {
        match &self.inner {
            Inner::LongCsv { csv, .. } | Inner::Crel { csv, .. } | Inner::Ctab { csv, .. } => {
                ((csv.get_ref().consumed + self.offset).min(self.size), self.size)
            }
            Inner::Xlsx { rows, total, .. } if *total > 0 => {
                let done = total.saturating_sub(rows.len()) as u128;
                let scaled = u128::from(self.size) * done / (*total as u128);
                (u64::try_from(scaled).unwrap_or(self.size), self.size)
            }
            Inner::Xlsx { .. } | Inner::Done => (self.size, self.size),
        }
    }

    /// Empty cells and values that are not values (BDL `-`) skipped so far.
    pub fn empty_cells(&self) -> u64 {
        self.empty
    }
}

/// Reads one record, at most [`MAX_RECORD_BYTES`] long (the limit is set on [`Lf`] from the
/// record's start, so the csv reader never buffers more).
fn read(csv: &mut Csv, rec: &mut csv::ByteRecord, file: &str) -> Result<bool, IngestError> {
    let start = csv.position().clone();
    csv.get_mut().limit = start.byte().saturating_add(MAX_RECORD_BYTES + 2 * CSV_BUFFER as u64);
    csv.read_byte_record(rec).map_err(|e| {
        let line = e.position().map_or(start.line(), csv::Position::line);
        match e.into_kind() {
            csv::ErrorKind::Io(io) if io.get_ref().is_some_and(|inner| inner.is::<RecordTooLong>()) => format_err(
                file,
                start.line(),
                format!(
                    "a record longer than {}, the limit for one line (or several, when a quoted field holds line breaks): is a quote `\"` left open, or is this not a CSV? Split the line or shorten its fields",
                    bytes(MAX_RECORD_BYTES)
                ),
            ),
            csv::ErrorKind::Io(io) => io_err(file, io),
            other => format_err(file, line, format!("{other:?}")),
        }
    })
}

/// A comma-separated BDL row with more fields than its header: an unquoted decimal comma
/// split a value, and every column after it would be shifted.
fn extra_fields(comma: bool, rec: &csv::ByteRecord, header: usize) -> Option<String> {
    (comma && rec.len() > header).then(|| {
        format!("{} fields where the header has {header}: with `,` as the separator a value with a decimal comma must be in quotes", rec.len())
    })
}

/// `1,234` or `-12,500`: one to three digits, a comma and exactly three digits — in a file
/// whose separator is `,`, as likely a thousands separator as a decimal comma.
fn is_ambiguous_comma(text: &str) -> bool {
    let t = text.trim().trim_start_matches(['-', '+']);
    t.split_once(',')
        .is_some_and(|(int, frac)| (1..=3).contains(&int.len()) && frac.len() == 3 && int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()))
}

/// The first field longer than [`MAX_FIELD_BYTES`]: (0-based index, length).
fn long_field(rec: &csv::ByteRecord) -> Option<(usize, usize)> {
    rec.iter().enumerate().find(|(_, f)| f.len() > MAX_FIELD_BYTES).map(|(i, f)| (i, f.len()))
}

fn field_too_long(len: usize) -> String {
    format!("this field is {} long, past the limit of {} for one field; shorten it", bytes(len as u64), bytes(MAX_FIELD_BYTES as u64))
}

enum Cell<'a> {
    Text(&'a str),
    Num(f64),
}

struct LongFields<'a> {
    unit: &'a str,
    variable: &'a str,
    year: &'a str,
    value: Cell<'a>,
    flag: Option<&'a str>,
}

fn long_record(file: &str, line: u64, cols: &LongCols, f: LongFields<'_>) -> Result<Record, RowError> {
    let err = |i: usize, message: String| RowError::new(file, line, Some((i + 1, cols.names.get(i).map_or("", String::as_str))), message);
    let unit = TerytCode::parse_lenient(f.unit).map_err(|e| err(cols.unit, e.to_string()))?;
    let variable = VariableCode::parse(f.variable).map_err(|e| err(cols.variable, e.to_string()))?;
    let year = Year::parse(f.year).map_err(|e| err(cols.year, e.to_string()))?;
    let flag = match (f.flag, cols.flag) {
        (Some(t), Some(i)) => Flag::parse(t).map_err(|e| err(i, e.to_string()))?,
        _ => Flag::Final,
    };
    let value = match f.value {
        Cell::Num(n) => Some(Value::new(n).ok_or_else(|| err(cols.value, format!("value `{n}` is not finite")))?),
        Cell::Text(t) if t.trim().is_empty() => {
            if flag.carries_value() {
                return Err(err(
                    cols.value,
                    format!("value is empty; give a value, or a flag confidential, not_occurred or missing (the flag is {flag})"),
                ));
            }
            None
        }
        Cell::Text(t) => Some(Value::parse(t).map_err(|e| err(cols.value, e.to_string()))?),
    };
    Ok(Record { line, unit, unit_name: None, variable, year, value, flag })
}

/// A spreadsheet turns `0201011` into the number 201011: put the lost leading zero back.
fn pad_code(digits: &str) -> String {
    match digits.len() {
        1 | 3 | 6 => format!("0{digits}"),
        _ => digits.to_owned(),
    }
}

/// A row with a cell `TERYT` and one starting `Powierzchnia`: the header of GUGiK's list of
/// areas.
fn looks_like_area_header(cells: &[(usize, Data)]) -> bool {
    let folded: Vec<String> = cells.iter().map(|(_, d)| model::fold(&cell_text(d))).collect();
    folded.iter().any(|t| t == "teryt") && folded.iter().any(|t| t.starts_with("powierzchnia"))
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::Lf;

    /// Reads through `Lf` with a given buffer size.
    fn through(input: &[u8], chunk: usize) -> Vec<u8> {
        struct Chunked<'a>(&'a [u8], usize);
        impl Read for Chunked<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.1.min(out.len()).min(self.0.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut lf = Lf::new(Chunked(input, chunk));
        let mut out = Vec::new();
        let mut buf = vec![0u8; 3];
        loop {
            let n = lf.read(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(lf.consumed, input.len() as u64);
        out
    }

    #[test]
    fn crlf_becomes_lf_across_every_chunk_boundary() {
        let input = b"a\r\nb\rc\r\n\r\nd\r";
        for chunk in 1..8 {
            assert_eq!(through(input, chunk), b"a\nb\rc\n\nd\r", "chunk {chunk}");
        }
    }
}
