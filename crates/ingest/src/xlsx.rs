//! XLSX workbooks read within bounds (observations in the long layout, GUGiK's list of
//! areas). calamine's `worksheet_range` makes a dense grid of the cells' bounding box — one
//! cell at XFD1048576 beside A1 is 17 G cells, 512 GB — so a sheet is read here through its
//! streaming cell reader instead, row by row, keeping only the cells with data.
//!
//! Before anything is unpacked the ZIP directory is checked ([`MAX_XLSX_UNPACKED_BYTES`],
//! [`MAX_XLSX_SHARED_STRINGS_BYTES`], [`MAX_XLSX_STYLES_BYTES`], [`MAX_XLSX_RATIO`]; the zip
//! reader never unpacks more than a part declares, so the declared sizes bound the real
//! ones), then the sheet's declared used range, then every cell with data as it comes
//! ([`MAX_COLUMNS`], [`MAX_XLSX_ROWS`], [`MAX_FIELD_BYTES`]).

use std::io::{Read, Seek, SeekFrom};

use calamine::{Data, DataRef, Reader as _, Xlsx, XlsxCellReader};

use crate::IngestError;
use crate::limits::{
    MAX_COLUMNS, MAX_FIELD_BYTES, MAX_XLSX_RATIO, MAX_XLSX_ROWS, MAX_XLSX_SHARED_STRINGS_BYTES, MAX_XLSX_STYLES_BYTES, MAX_XLSX_UNPACKED_BYTES,
    bytes, quote, thousands,
};

fn bad(file: &str, e: impl std::fmt::Display) -> IngestError {
    IngestError::format(file, 0, format!("cannot read the spreadsheet: {e}"))
}

/// Checks a workbook's ZIP directory against the limits, then opens it with calamine (which
/// reads the shared strings and styles whole: both are bounded by the check).
pub(crate) fn open<R: Read + Seek>(mut reader: R, file: &str) -> Result<Xlsx<R>, IngestError> {
    check_package(&mut reader, file)?;
    reader.seek(SeekFrom::Start(0)).map_err(|source| IngestError::Io { file: file.to_owned(), source })?;
    Xlsx::new(reader).map_err(|e: calamine::XlsxError| bad(file, e))
}

/// The sizes the ZIP directory declares for the workbook's parts, against the limits.
fn check_package<R: Read + Seek>(reader: &mut R, file: &str) -> Result<(), IngestError> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| bad(file, e))?;
    let ask = "save the data alone in a new workbook, or as CSV (a CSV is read as a stream, without this limit)";
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(|e| bad(file, e))?;
        let (size, packed) = (part.size(), part.compressed_size());
        let name = quote(&String::from_utf8_lossy(part.name_raw())).into_owned();
        total = total.saturating_add(size);
        if total > MAX_XLSX_UNPACKED_BYTES {
            return Err(IngestError::format(
                file,
                0,
                format!(
                    "the workbook unpacks to more than {} (its parts up to `{name}` declare {}), the limit for an XLSX; is it a ZIP bomb? Otherwise {ask}",
                    bytes(MAX_XLSX_UNPACKED_BYTES),
                    bytes(total)
                ),
            ));
        }
        if name.ends_with("sharedStrings.xml") && size > MAX_XLSX_SHARED_STRINGS_BYTES {
            return Err(IngestError::format(
                file,
                0,
                format!(
                    "its shared strings (`{name}`) unpack to {}, past the limit of {} (they are held in memory whole); {ask}",
                    bytes(size),
                    bytes(MAX_XLSX_SHARED_STRINGS_BYTES)
                ),
            ));
        }
        if name.ends_with("styles.xml") && size > MAX_XLSX_STYLES_BYTES {
            return Err(IngestError::format(
                file,
                0,
                format!(
                    "its styles (`{name}`) unpack to {}, past the limit of {} (they are held in memory whole); {ask}",
                    bytes(size),
                    bytes(MAX_XLSX_STYLES_BYTES)
                ),
            ));
        }
        if size > 1 << 20 && size / packed.max(1) > MAX_XLSX_RATIO {
            return Err(IngestError::format(
                file,
                0,
                format!(
                    "part `{name}` is compressed {} to 1 ({} from {}), past the limit of {MAX_XLSX_RATIO} to 1: no office program writes that; is it a ZIP bomb?",
                    thousands(size / packed.max(1)),
                    bytes(size),
                    bytes(packed)
                ),
            ));
        }
    }
    Ok(())
}

/// The sheet to read: `wanted`, or the first.
pub(crate) fn pick_sheet<R: Read + Seek>(book: &Xlsx<R>, wanted: Option<&str>, file: &str) -> Result<String, IngestError> {
    let names = book.sheet_names();
    match wanted {
        Some(s) => names
            .iter()
            .find(|n| *n == s)
            .cloned()
            .ok_or_else(|| IngestError::format(file, 0, format!("no sheet `{s}`; the sheets are: {}", quote(&names.join(", "))))),
        None => names.first().cloned().ok_or_else(|| bad(file, "it has no sheets")),
    }
}

/// Column letters of a 0-based column: 0 → `A`, 16383 → `XFD`.
pub(crate) fn column_letters(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        out.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// A cell's address from its 0-based position: (0, 0) → `A1`.
pub(crate) fn address(row: u32, col: u32) -> String {
    format!("{}{}", column_letters(col), u64::from(row) + 1)
}

/// One row with data: its 1-based line (the sheet's row number) and its non-empty cells as
/// (0-based column, value), in the order the sheet gives them.
pub(crate) type Row = (u64, Vec<(usize, Data)>);

/// The rows of a sheet with data, one at a time, checked against the limits as they come.
pub(crate) struct Rows<'a, R: Read + Seek> {
    cells: XlsxCellReader<'a, R>,
    file: String,
    sheet: String,
    pending: Option<(u32, u32, Data)>,
    rows: u64,
    done: bool,
}

/// Starts reading `sheet`; its declared used range (`<dimension ref="A1:…">`) is checked first.
pub(crate) fn rows<'a, R: Read + Seek>(book: &'a mut Xlsx<R>, sheet: &str, file: &str) -> Result<Rows<'a, R>, IngestError> {
    let cells = book.worksheet_cells_reader(sheet).map_err(|e| bad(file, e))?;
    let dim = cells.dimensions();
    let (last_row, last_col) = (dim.end.0.max(dim.start.0), dim.end.1.max(dim.start.1));
    let declared = format!("{}:{}", address(dim.start.0, dim.start.1), address(last_row, last_col));
    if last_col as usize >= MAX_COLUMNS {
        return Err(IngestError::format(
            file,
            0,
            format!(
                "sheet `{sheet}` declares its used range as {declared}: {} columns, past the limit of {}; delete what lies right of the data (e.g. cells Excel's Solver hides in the last columns) or copy the data to a new sheet",
                thousands(u64::from(last_col) + 1),
                thousands(MAX_COLUMNS as u64)
            ),
        ));
    }
    if last_row >= MAX_XLSX_ROWS {
        return Err(IngestError::format(
            file,
            0,
            format!(
                "sheet `{sheet}` declares its used range as {declared}, below row {} (Excel's last row): not a sheet of Excel's",
                thousands(u64::from(MAX_XLSX_ROWS))
            ),
        ));
    }
    Ok(Rows { cells, file: file.to_owned(), sheet: sheet.to_owned(), pending: None, rows: 0, done: false })
}

impl<R: Read + Seek> Rows<'_, R> {
    /// The next cell with data: (row, column, value), both 0-based.
    fn next_cell(&mut self) -> Result<Option<(u32, u32, Data)>, IngestError> {
        if let Some(c) = self.pending.take() {
            return Ok(Some(c));
        }
        if self.done {
            return Ok(None);
        }
        loop {
            let Some(cell) = self.cells.next_cell().map_err(|e| bad(&self.file, e))? else {
                self.done = true; // past `</sheetData>` the reader must not be asked again
                return Ok(None);
            };
            let (row, col) = cell.get_position();
            let value = cell.get_value();
            let text_len = match value {
                DataRef::Empty => continue,
                DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.len(),
                DataRef::SharedString(s) => s.len(),
                _ => 0,
            };
            let at = || address(row, col);
            if col as usize >= MAX_COLUMNS {
                return Err(IngestError::format(
                    &self.file,
                    u64::from(row) + 1,
                    format!(
                        "sheet `{}`: cell {} lies in column {}, past the limit of {} columns; delete what lies right of the data (e.g. cells Excel's Solver hides in the last columns) or copy the data to a new sheet",
                        self.sheet,
                        at(),
                        thousands(u64::from(col) + 1),
                        thousands(MAX_COLUMNS as u64)
                    ),
                ));
            }
            if row >= MAX_XLSX_ROWS {
                return Err(IngestError::format(
                    &self.file,
                    0,
                    format!("sheet `{}`: cell {} lies below row {}, Excel's last row", self.sheet, at(), thousands(u64::from(MAX_XLSX_ROWS))),
                ));
            }
            if text_len > MAX_FIELD_BYTES {
                return Err(IngestError::format(
                    &self.file,
                    u64::from(row) + 1,
                    format!(
                        "sheet `{}`: cell {} holds {} of text, past the limit of {} for one cell; shorten it",
                        self.sheet,
                        at(),
                        bytes(text_len as u64),
                        bytes(MAX_FIELD_BYTES as u64)
                    ),
                ));
            }
            return Ok(Some((row, col, Data::from(value.clone()))));
        }
    }

    /// The next row with data; `None` at the end of the sheet.
    pub(crate) fn next_row(&mut self) -> Result<Option<Row>, IngestError> {
        let Some((row, col, value)) = self.next_cell()? else { return Ok(None) };
        self.rows += 1;
        if self.rows > u64::from(MAX_XLSX_ROWS) {
            return Err(IngestError::format(
                &self.file,
                u64::from(row) + 1,
                format!("sheet `{}` has more than {} rows with data, Excel's limit", self.sheet, thousands(u64::from(MAX_XLSX_ROWS))),
            ));
        }
        let mut cells = vec![(col as usize, value)];
        while let Some((r, c, v)) = self.next_cell()? {
            if r != row {
                self.pending = Some((r, c, v));
                break;
            }
            if cells.len() >= MAX_COLUMNS {
                return Err(IngestError::format(
                    &self.file,
                    u64::from(row) + 1,
                    format!("sheet `{}`: row {} has more than {} cells with data", self.sheet, u64::from(row) + 1, thousands(MAX_COLUMNS as u64)),
                ));
            }
            cells.push((c as usize, v));
        }
        Ok(Some((u64::from(row) + 1, cells)))
    }
}

/// A row's cells as a dense vector from column A (empty where the row has no data).
pub(crate) fn dense(cells: &[(usize, Data)]) -> Vec<Data> {
    let width = cells.iter().map(|(c, _)| c + 1).max().unwrap_or(0);
    let mut out = vec![Data::Empty; width];
    for (c, v) in cells {
        if let Some(slot) = out.get_mut(*c) {
            *slot = v.clone();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_addresses_are_excel_s() {
        assert_eq!(address(0, 0), "A1");
        assert_eq!(address(9, 25), "Z10");
        assert_eq!(address(0, 26), "AA1");
        assert_eq!(address(1_048_575, 16_383), "XFD1048576");
    }
}
