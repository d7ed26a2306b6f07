//! Streaming writers of Miernik's statistical tables (indicator × unit × year) in CSV,
//! Polish-Excel CSV, XLSX, JSON and JSON-stat 2.0.
//!
//! A table is described by a [`Meta`] (its indicators, units and years) and streamed as
//! [`Cell`]s that refer to those by index. The writers never hold the cells in memory:
//! each cell is written as it arrives, so memory stays flat however large the table is
//! (JSON-stat keeps only its sparse map of flagged cells, XLSX only the current row).
//!
//! # Order contract
//!
//! Every writer needs every (indicator, unit, year) combination exactly once — a missing
//! value comes as `value: None` — in the order that [`order_for`] gives (outermost
//! dimension first):
//!
//! | format            | layout                          | order (outermost first)   |
//! |-------------------|---------------------------------|---------------------------|
//! | CSV, CSV-PL, XLSX | [`Layout::Long`]                | indicator, unit, year     |
//! | CSV, CSV-PL, XLSX | `Wide { columns: Dim::Year }`      | indicator, unit, year     |
//! | CSV, CSV-PL, XLSX | `Wide { columns: Dim::Unit }`      | indicator, year, unit     |
//! | CSV, CSV-PL, XLSX | `Wide { columns: Dim::Indicator }` | unit, year, indicator     |
//! | JSON, JSON-stat   | any (the layout is ignored)     | indicator, unit, year     |
//!
//! A cell out of range or out of that order, a missing cell or one too many ends the
//! export with an [`ExportError`]. What was already written to the sink is then
//! incomplete and must be discarded (JSON and JSON-stat are left unclosed, so they do
//! not parse; XLSX writes nothing at all before the last cell has been checked).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod delimited;
mod json;
mod order;
mod table;
mod text;
mod xlsx;

use std::io::Write;

pub use model::Flag;
pub use order::positions;
pub use text::{csv_safe, flag_meaning, flag_word, jsonstat_status};

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Machine CSV: UTF-8 without a BOM (it is for scripts, and a BOM would stick to the
    /// first header in many readers), `,`, `\n`, machine keys as headers, full-precision
    /// values; text cells through [`csv_safe`].
    Csv,
    /// The Polish Excel dialect of CSV: UTF-8 with BOM (so that Excel reads it as UTF-8),
    /// `;`, `\r\n`, decimal comma, values rounded to the indicator's decimals, headers and
    /// flags in [`Meta::lang`]; text cells through [`csv_safe`].
    CsvPl,
    /// An Excel workbook: a data sheet and a metadata sheet.
    Xlsx,
    /// A JSON document with the metadata and a `data` array of records.
    Json,
    /// A JSON-stat 2.0 dataset.
    JsonStat,
}

impl Format {
    /// Every format, in the order of the documentation.
    pub const ALL: [Format; 5] = [Format::Csv, Format::CsvPl, Format::Xlsx, Format::Json, Format::JsonStat];

    /// Parses a query parameter: `csv`, `csv-pl`, `xlsx`, `json`, `jsonstat`
    /// (ASCII case-insensitive, surrounding spaces ignored).
    pub fn from_param(s: &str) -> Option<Format> {
        let t = s.trim();
        Format::ALL.into_iter().find(|f| f.as_param().eq_ignore_ascii_case(t))
    }

    /// The query parameter naming this format; the inverse of [`Format::from_param`].
    pub fn as_param(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::CsvPl => "csv-pl",
            Format::Xlsx => "xlsx",
            Format::Json => "json",
            Format::JsonStat => "jsonstat",
        }
    }

    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv | Format::CsvPl => "csv",
            Format::Xlsx => "xlsx",
            Format::Json | Format::JsonStat => "json",
        }
    }

    /// The MIME type for an HTTP `Content-Type` header.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv | Format::CsvPl => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Json | Format::JsonStat => "application/json",
        }
    }
}

/// The language of the human-readable parts of an export: headers, flag words, sheet
/// names, the metadata sheet, the labels of JSON-stat dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Polish.
    #[default]
    Pl,
    /// English.
    En,
}

impl Lang {
    /// Parses `pl` or `en` (ASCII case-insensitive).
    pub fn from_param(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pl" => Some(Lang::Pl),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The ISO 639-1 code: `pl` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Pl => "pl",
            Lang::En => "en",
        }
    }
}

/// An indicator (a row of the `indicators` dimension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorMeta {
    /// The indicator's stable code.
    pub code: String,
    /// Its name in [`Meta::lang`].
    pub name: String,
    /// The unit of measure, e.g. `zł` or `%`.
    pub measure_unit: String,
    /// What the indicator measures and how it is computed.
    pub definition: String,
    /// Where the data come from.
    pub source: String,
    /// How many decimals to show (CSV-PL rounds to them, XLSX formats with them,
    /// JSON-stat states them). More than 15 are treated as 15.
    pub decimals: u8,
}

/// A territorial unit (a row of the `units` dimension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitMeta {
    /// The TERYT code, e.g. `1261011`.
    pub code: String,
    /// The unit's name, e.g. `Kraków`.
    pub name: String,
    /// Its kind, e.g. `gmina miejska`.
    pub kind: String,
}

/// What a table holds and where it came from; [`Cell`]s refer to its members by index.
/// Codes must be unique within each dimension, and so must years.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// The table's title.
    pub title: String,
    /// The language of headers, flag words and labels.
    pub lang: Lang,
    /// The indicators, in output order.
    pub indicators: Vec<IndicatorMeta>,
    /// The units, in output order.
    pub units: Vec<UnitMeta>,
    /// The years, in output order.
    pub years: Vec<i32>,
    /// When the export was made: an ISO 8601 timestamp given by the caller.
    pub generated: String,
    /// A note on the sources of the data.
    pub source_note: String,
    /// The query (URL) that made this table.
    pub url: String,
}

/// One value of the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// Index into [`Meta::indicators`].
    pub indicator: u32,
    /// Index into [`Meta::units`].
    pub unit: u32,
    /// Index into [`Meta::years`].
    pub year: u16,
    /// The value; `None` (or a non-finite number, treated alike) when there is none.
    pub value: Option<f64>,
    /// The value's flag; `None` is the same as [`Flag::Final`].
    pub flag: Option<Flag>,
}

/// A dimension of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dim {
    /// The indicators.
    Indicator,
    /// The territorial units.
    Unit,
    /// The years.
    Year,
}

impl Dim {
    /// The dimension's machine name: `indicator`, `unit` or `year`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dim::Indicator => "indicator",
            Dim::Unit => "unit",
            Dim::Year => "year",
        }
    }
}

impl std::fmt::Display for Dim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How cells are laid out in the tabular formats (CSV, CSV-PL, XLSX).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// One row per cell: the keys, the value, the unit of measure and the flag.
    Long,
    /// One column per member of `columns`; rows are the combinations of the other two
    /// dimensions. A cell without a value shows its flag's word instead; the flags of
    /// cells with a value are not shown (XLSX shows preliminary and estimated values in
    /// italics) — use [`Layout::Long`] for the full flags.
    Wide {
        /// The dimension spread over the columns.
        columns: Dim,
    },
}

/// The order in which the tabular writers need cells for `layout`, outermost dimension
/// first; see the order contract in the crate documentation.
pub fn order(layout: Layout) -> [Dim; 3] {
    match layout {
        Layout::Long | Layout::Wide { columns: Dim::Year } => CANONICAL,
        Layout::Wide { columns: Dim::Unit } => [Dim::Indicator, Dim::Year, Dim::Unit],
        Layout::Wide { columns: Dim::Indicator } => [Dim::Unit, Dim::Year, Dim::Indicator],
    }
}

/// The order in which [`write()`] needs cells for `format` and `layout`: [`order`] for
/// the tabular formats, always indicator, unit, year for JSON and JSON-stat.
pub fn order_for(format: Format, layout: Layout) -> [Dim; 3] {
    match format {
        Format::Csv | Format::CsvPl | Format::Xlsx => order(layout),
        Format::Json | Format::JsonStat => CANONICAL,
    }
}

/// Indicator, unit, year: the order of cells as the caller usually has them, and the
/// only order of JSON and JSON-stat.
pub const CANONICAL: [Dim; 3] = [Dim::Indicator, Dim::Unit, Dim::Year];

/// Why an export failed. After an error the output is incomplete and must be discarded.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Writing to the sink failed.
    #[error("writing the export failed: {0}")]
    Io(#[from] std::io::Error),
    /// The CSV writer failed (in practice: writing to the sink).
    #[error("writing CSV failed: {0}")]
    Csv(#[from] csv::Error),
    /// The XLSX writer failed.
    #[error("writing XLSX failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// The JSON writer failed (in practice: writing to the sink).
    #[error("writing JSON failed: {0}")]
    Json(#[from] serde_json::Error),
    /// A cell refers to an indicator, unit or year that the metadata does not have.
    #[error("cell #{position} is out of range: indicator {indicator} of {indicators}, unit {unit} of {units}, year {year} of {years}")]
    OutOfRange {
        /// The cell's 0-based position in the stream.
        position: u64,
        /// Its indicator index.
        indicator: u32,
        /// Its unit index.
        unit: u32,
        /// Its year index.
        year: u16,
        /// How many indicators there are.
        indicators: usize,
        /// How many units there are.
        units: usize,
        /// How many years there are.
        years: usize,
    },
    /// A cell came out of the order that the format and layout need (or twice).
    #[error(
        "cell #{position} is out of order: expected indicator {expected_indicator}, unit {expected_unit}, year {expected_year} (order {order}), got indicator {indicator}, unit {unit}, year {year}"
    )]
    OutOfOrder {
        /// The cell's 0-based position in the stream.
        position: u64,
        /// The order needed, outermost first, e.g. `indicator, unit, year`.
        order: String,
        /// The indicator index expected here.
        expected_indicator: u32,
        /// The unit index expected here.
        expected_unit: u32,
        /// The year index expected here.
        expected_year: u16,
        /// The indicator index that came.
        indicator: u32,
        /// The unit index that came.
        unit: u32,
        /// The year index that came.
        year: u16,
    },
    /// The stream ended before every combination came.
    #[error("the table needs {expected} cells but only {got} came")]
    MissingCells {
        /// How many cells the metadata implies.
        expected: u64,
        /// How many came.
        got: u64,
    },
    /// More cells came than the metadata implies.
    #[error("the table needs {expected} cells but more came")]
    TooManyCells {
        /// How many cells the metadata implies.
        expected: u64,
    },
    /// Two members of a dimension have the same code (or two years are equal).
    #[error("{dim} `{code}` is listed twice in the metadata")]
    DuplicateCode {
        /// The dimension.
        dim: Dim,
        /// The repeated code or year.
        code: String,
    },
    /// A dimension has more members than a [`Cell`] can refer to.
    #[error("{dim} has {len} members; at most {max} are supported")]
    TooManyMembers {
        /// The dimension.
        dim: Dim,
        /// How many it has.
        len: usize,
        /// How many are supported.
        max: u64,
    },
    /// The table does not fit on an Excel sheet.
    #[error("the table needs {needed} {what} but an Excel sheet holds at most {limit}; choose another layout or format")]
    ExcelLimit {
        /// `rows` or `columns`.
        what: &'static str,
        /// How many the table needs, header included.
        needed: u64,
        /// Excel's limit.
        limit: u64,
    },
    /// The thread that packs the XLSX file for [`write()`] stopped abnormally.
    #[error("the XLSX packing thread failed")]
    XlsxThread,
}

/// Writes the table in `format` and `layout` to `out`, taking `cells` in the order that
/// [`order_for`]`(format, layout)` gives. JSON and JSON-stat ignore `layout`.
///
/// `out` is written through a buffer and flushed at the end. For XLSX, the rows go to a
/// temporary file first and the packed workbook is streamed to `out` at the end (from
/// a helper thread, so `out` need not be `Send`; [`write_xlsx`] avoids the thread).
///
/// # Errors
///
/// Any [`ExportError`]: cells out of range or order, too few or too many cells,
/// duplicate codes in `meta`, a table too large for Excel, or a failing sink.
pub fn write<W: Write>(format: Format, layout: Layout, meta: &Meta, cells: impl Iterator<Item = Cell>, out: W) -> Result<(), ExportError> {
    match format {
        Format::Csv => delimited::write(delimited::Dialect::Machine, layout, meta, cells, out),
        Format::CsvPl => delimited::write(delimited::Dialect::Excel, layout, meta, cells, out),
        Format::Xlsx => xlsx::write_unsend(layout, meta, cells, out),
        Format::Json => json::write_json(meta, cells, out),
        Format::JsonStat => json::write_jsonstat(meta, cells, out),
    }
}

/// Writes the table as an XLSX workbook straight to `out` (no helper thread), taking
/// `cells` in the order that [`order`]`(layout)` gives.
///
/// The sink need not be seekable (any `Write + Seek + Send` sink also fits): the
/// workbook is written as a streamed zip. Nothing is written to `out` before every
/// cell has been checked.
///
/// # Errors
///
/// As for [`write()`].
pub fn write_xlsx<W: Write + Send>(layout: Layout, meta: &Meta, cells: impl Iterator<Item = Cell>, out: W) -> Result<(), ExportError> {
    xlsx::write_send(layout, meta, cells, out)
}
