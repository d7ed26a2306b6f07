//! XLSX: a data sheet written row by row with rust_xlsxwriter's constant-memory
//! worksheet, and a metadata sheet (title, sources, indicators, flag legend).

use std::io::Write;
use std::sync::mpsc;

use model::Flag;
use rust_xlsxwriter::{DocProperties, Format, FormatAlign, Url, Workbook, Worksheet};

use crate::order::Sizes;
use crate::table::{self, Plan, RowSink, member_header};
use crate::text::{Column, MAX_DECIMALS, Word, cap_utf16, flag_meaning, flag_word, shown_flag};
use crate::{Cell, Dim, ExportError, Layout, Meta};

/// Excel's limits of a sheet and a cell.
const MAX_ROWS: u64 = 1_048_576;
const MAX_COLUMNS: u64 = 16_384;
const MAX_TEXT: usize = 32_767;
/// Excel refuses longer hyperlinks.
const MAX_URL: usize = 2_079;

/// Builds the workbook and saves it to a `Send` sink directly.
pub(crate) fn write_send<W: Write + Send>(layout: Layout, meta: &Meta, cells: impl Iterator<Item = Cell>, out: W) -> Result<(), ExportError> {
    let mut workbook = build(layout, meta, cells)?;
    let mut out = std::io::BufWriter::with_capacity(CHUNK, out);
    workbook.save_to_writer(&mut out)?;
    out.flush()?;
    Ok(())
}

/// Builds the workbook and saves it to any sink: a helper thread packs it and sends
/// the bytes over a bounded channel to this thread, which writes them to `out`.
pub(crate) fn write_unsend<W: Write>(layout: Layout, meta: &Meta, cells: impl Iterator<Item = Cell>, mut out: W) -> Result<(), ExportError> {
    let mut workbook = build(layout, meta, cells)?;
    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(4);
    std::thread::scope(|scope| {
        let packer = scope.spawn(move || -> Result<(), ExportError> {
            let mut chunks = ChannelWriter { tx, buf: Vec::with_capacity(CHUNK) };
            workbook.save_to_writer(&mut chunks)?;
            chunks.send()?;
            Ok(())
        });
        let mut written: Result<(), ExportError> = Ok(());
        for chunk in &rx {
            if let Err(e) = out.write_all(&chunk) {
                written = Err(e.into());
                break;
            }
        }
        // Stops the packer, if this side failed, at its next send.
        drop(rx);
        let packed = packer.join().map_err(|_| ExportError::XlsxThread)?;
        written?;
        packed?;
        out.flush()?;
        Ok(())
    })
}

const CHUNK: usize = 1 << 16;

/// A writer that sends its bytes on in chunks.
struct ChannelWriter {
    tx: mpsc::SyncSender<Vec<u8>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx.send(chunk).map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "export sink closed"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// Checks Excel's limits, then writes both sheets.
fn build(layout: Layout, meta: &Meta, cells: impl Iterator<Item = Cell>) -> Result<Workbook, ExportError> {
    let sizes = Sizes::of(meta)?;
    let plan = Plan::new(layout);
    let rows = plan.rows(sizes).saturating_add(1);
    if rows > MAX_ROWS {
        return Err(ExportError::ExcelLimit { what: "rows", needed: rows, limit: MAX_ROWS });
    }
    let columns = plan.columns(sizes);
    if columns > MAX_COLUMNS {
        return Err(ExportError::ExcelLimit { what: "columns", needed: columns, limit: MAX_COLUMNS });
    }
    // Both fit now: rows ≤ 2^20, columns ≤ 2^14.
    let last_row = u32::try_from(rows - 1).unwrap_or(0);
    let last_col = u16::try_from(columns.saturating_sub(1)).unwrap_or(0);

    let lang = meta.lang;
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new().set_title(cap_utf16(&meta.title, MAX_TEXT).as_ref()).set_comment(cap_utf16(&meta.source_note, MAX_TEXT).as_ref()),
    );
    {
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(Word::DataSheet.get(lang))?;
        set_widths(sheet, &plan, meta)?;
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofilter(0, 0, last_row, last_col)?;
        let mut sink = XlsxSink::new(sheet, meta);
        table::drive(layout, sizes, cells, &mut sink)?;
    }
    let sheet = workbook.add_worksheet();
    metadata_sheet(sheet, meta, layout)?;
    Ok(workbook)
}

/// The width of a column for texts up to `chars` long, kept between `min` and `max`.
fn width(chars: usize, min: usize, max: usize) -> f64 {
    (chars.clamp(min, max) + 2) as f64
}

fn longest<'a>(texts: impl Iterator<Item = &'a str>) -> usize {
    texts.map(|t| t.chars().count()).max().unwrap_or(0)
}

fn set_widths(sheet: &mut Worksheet, plan: &Plan, meta: &Meta) -> Result<(), ExportError> {
    let lang = meta.lang;
    let mut col: u16 = 0;
    for column in plan.keys {
        let header = column.label(lang).chars().count();
        let w = match column {
            Column::UnitCode => width(header, 9, 12),
            Column::UnitName => width(longest(meta.units.iter().map(|u| u.name.as_str())), 12, 40),
            Column::IndicatorCode => width(longest(meta.indicators.iter().map(|i| i.code.as_str())).max(header), 10, 24),
            Column::IndicatorName => width(longest(meta.indicators.iter().map(|i| i.name.as_str())), 12, 60),
            Column::MeasureUnit => width(longest(meta.indicators.iter().map(|i| i.measure_unit.as_str())).max(header), 8, 20),
            Column::Year => width(header, 6, 8),
            Column::Value => width(header, 12, 16),
            Column::Flag => width(longest(Flag::ALL.iter().map(|f| flag_word(*f, lang))).max(header), 8, 24),
        };
        sheet.set_column_width(col, w)?;
        col += 1;
    }
    if let Some(dim) = plan.wide {
        let n = table::dim_len(meta, dim);
        for k in 0..n {
            let w = match dim {
                Dim::Year => width(0, 10, 10),
                _ => width(member_header(meta, dim, k, true).chars().count(), 10, 30),
            };
            sheet.set_column_width(col, w)?;
            col = col.saturating_add(1);
        }
    }
    Ok(())
}

/// The Excel number format showing `decimals` places, with thousands grouping.
fn number_format(decimals: u8) -> String {
    let mut f = String::from("#,##0");
    if decimals > 0 {
        f.push('.');
        f.extend(std::iter::repeat_n('0', usize::from(decimals)));
    }
    f
}

struct XlsxSink<'a> {
    sheet: &'a mut Worksheet,
    meta: &'a Meta,
    row: u32,
    col: u16,
    bold: Format,
    /// By decimals: upright and italic (preliminary or estimated in a wide layout).
    numbers: Vec<Format>,
    italics: Vec<Format>,
}

impl<'a> XlsxSink<'a> {
    fn new(sheet: &'a mut Worksheet, meta: &'a Meta) -> XlsxSink<'a> {
        let numbers: Vec<Format> = (0..=MAX_DECIMALS).map(|d| Format::new().set_num_format(number_format(d))).collect();
        let italics = numbers.iter().map(|f| f.clone().set_italic()).collect();
        XlsxSink { sheet, meta, row: 0, col: 0, bold: Format::new().set_bold(), numbers, italics }
    }

    fn text(&mut self, text: &str) -> Result<(), ExportError> {
        if !text.is_empty() {
            self.sheet.write_string(self.row, self.col, cap_utf16(text, MAX_TEXT))?;
        }
        self.col = self.col.saturating_add(1);
        Ok(())
    }

    fn number(&mut self, i: usize, v: f64, italic: bool) -> Result<(), ExportError> {
        let d = self.meta.indicators.get(i).map_or(0, |m| m.decimals.min(MAX_DECIMALS));
        let formats = if italic { &self.italics } else { &self.numbers };
        if let Some(format) = formats.get(usize::from(d)) {
            self.sheet.write_number_with_format(self.row, self.col, v, format)?;
        } else {
            self.sheet.write_number(self.row, self.col, v)?;
        }
        self.col = self.col.saturating_add(1);
        Ok(())
    }
}

impl RowSink for XlsxSink<'_> {
    fn header(&mut self, plan: &Plan) -> Result<(), ExportError> {
        let lang = self.meta.lang;
        let mut col: u16 = 0;
        for column in plan.keys {
            self.sheet.write_string_with_format(0, col, column.label(lang), &self.bold)?;
            col = col.saturating_add(1);
        }
        if let Some(dim) = plan.wide {
            for k in 0..table::dim_len(self.meta, dim) {
                let text = member_header(self.meta, dim, k, true);
                self.sheet.write_string_with_format(0, col, cap_utf16(&text, MAX_TEXT), &self.bold)?;
                col = col.saturating_add(1);
            }
        }
        self.row = 1;
        self.col = 0;
        Ok(())
    }

    fn key(&mut self, column: Column, i: usize, u: usize, y: usize) -> Result<(), ExportError> {
        let meta = self.meta;
        match (column, column.text(meta, i, u)) {
            (_, Some(text)) => self.text(text),
            (Column::Year, None) => {
                if let Some(year) = meta.years.get(y) {
                    self.sheet.write_number(self.row, self.col, f64::from(*year))?;
                }
                self.col = self.col.saturating_add(1);
                Ok(())
            }
            (_, None) => self.text(""),
        }
    }

    fn value(&mut self, i: usize, value: Option<f64>, _flag: Option<Flag>) -> Result<(), ExportError> {
        match value {
            Some(v) => self.number(i, v, false),
            None => {
                self.col = self.col.saturating_add(1);
                Ok(())
            }
        }
    }

    fn flag(&mut self, flag: Option<Flag>) -> Result<(), ExportError> {
        let word = shown_flag(flag).map_or("", |f| flag_word(f, self.meta.lang));
        self.text(word)
    }

    fn wide(&mut self, i: usize, value: Option<f64>, flag: Option<Flag>) -> Result<(), ExportError> {
        match value {
            Some(v) => {
                let italic = matches!(flag, Some(Flag::Preliminary | Flag::Estimated));
                self.number(i, v, italic)
            }
            None => self.flag(flag),
        }
    }

    fn end_row(&mut self) -> Result<(), ExportError> {
        self.row = self.row.saturating_add(1);
        self.col = 0;
        Ok(())
    }
}

fn metadata_sheet(sheet: &mut Worksheet, meta: &Meta, layout: Layout) -> Result<(), ExportError> {
    let lang = meta.lang;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let top = Format::new().set_align(FormatAlign::Top);
    sheet.set_name(Word::MetaSheet.get(lang))?;
    for (col, w) in [22.0, 50.0, 18.0, 70.0, 40.0, 12.0].into_iter().enumerate() {
        sheet.set_column_width(col as u16, w)?;
    }
    let text = |sheet: &mut Worksheet, row: u32, col: u16, s: &str, f: &Format| {
        sheet.write_string_with_format(row, col, cap_utf16(s, MAX_TEXT), f).map(|_| ())
    };

    let mut row: u32 = 0;
    for (word, value) in [(Word::Title, &meta.title), (Word::Generated, &meta.generated), (Word::Source, &meta.source_note)] {
        text(sheet, row, 0, word.get(lang), &bold)?;
        text(sheet, row, 1, value, &top)?;
        row += 1;
    }
    text(sheet, row, 0, Word::Query.get(lang), &bold)?;
    let url = meta.url.as_str();
    let linkable = (url.starts_with("https://") || url.starts_with("http://")) && url.encode_utf16().count() <= MAX_URL;
    if !linkable || sheet.write_url(row, 1, Url::new(url)).is_err() {
        text(sheet, row, 1, url, &top)?;
    }
    row += 2;

    text(sheet, row, 0, Word::Indicators.get(lang), &bold)?;
    row += 1;
    for (col, label) in [
        Word::Code.get(lang),
        Word::Name.get(lang),
        Column::MeasureUnit.label(lang),
        Word::Definition.get(lang),
        Word::Source.get(lang),
        Word::Decimals.get(lang),
    ]
    .into_iter()
    .enumerate()
    {
        text(sheet, row, col as u16, label, &bold)?;
    }
    row += 1;
    for i in &meta.indicators {
        text(sheet, row, 0, &i.code, &top)?;
        text(sheet, row, 1, &i.name, &wrap)?;
        text(sheet, row, 2, &i.measure_unit, &top)?;
        text(sheet, row, 3, &i.definition, &wrap)?;
        text(sheet, row, 4, &i.source, &wrap)?;
        sheet.write_number_with_format(row, 5, f64::from(i.decimals.min(MAX_DECIMALS)), &top)?;
        row += 1;
    }
    row += 1;

    text(sheet, row, 0, Word::FlagLegend.get(lang), &bold)?;
    row += 1;
    for (col, label) in [Word::Code.get(lang), Word::ShownAs.get(lang), Word::Meaning.get(lang)].into_iter().enumerate() {
        text(sheet, row, col as u16, label, &bold)?;
    }
    row += 1;
    for flag in Flag::ALL {
        let shown = match flag_word(flag, lang) {
            "" => Word::Empty.get(lang),
            w => w,
        };
        text(sheet, row, 0, flag.as_str(), &top)?;
        text(sheet, row, 1, shown, &top)?;
        text(sheet, row, 2, flag_meaning(flag, lang), &top)?;
        row += 1;
    }
    if matches!(layout, Layout::Wide { .. }) {
        row += 1;
        text(sheet, row, 0, Word::ItalicNote.get(lang), &top)?;
    }
    Ok(())
}
