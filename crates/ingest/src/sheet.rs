//! One sheet of an uploaded XLSX workbook as plain cells (a questionnaire's filled-in
//! template), read through the bounded reader of [`crate::xlsx`]: the ZIP directory, the
//! declared used range and every cell are checked against the limits before memory is spent.

use std::io::Cursor;

use calamine::Data;

use crate::IngestError;
use crate::limits::thousands;

/// A cell's value, without calamine's types.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// A date, a duration or an error value (`#DIV/0!`), as text.
    Other(String),
}

/// A row with data: its 1-based number in the sheet and its cells from column A (dense).
#[derive(Debug, Clone, PartialEq)]
pub struct SheetRow {
    pub line: u64,
    pub cells: Vec<Cell>,
}

impl SheetRow {
    /// The cell in 0-based column `col` (empty past the row's end).
    pub fn cell(&self, col: usize) -> &Cell {
        self.cells.get(col).unwrap_or(&Cell::Empty)
    }
}

/// Column letters of a 0-based column: 0 → `A`.
pub fn column_letters(col: usize) -> String {
    crate::xlsx::column_letters(u32::try_from(col).unwrap_or(u32::MAX))
}

fn cell(d: Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s),
        Data::Float(f) => Cell::Number(f),
        Data::Int(i) => Cell::Number(i as f64),
        Data::Bool(b) => Cell::Bool(b),
        Data::DateTime(d) => Cell::Other(d.to_string()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Other(s),
        Data::Error(e) => Cell::Other(e.to_string()),
    }
}

/// Reads sheet `sheet` of the workbook `bytes` (`file` names it in errors): at most
/// `max_rows` rows with data (more is an error).
pub fn read_xlsx_sheet(bytes: &[u8], file: &str, sheet: &str, max_rows: usize) -> Result<Vec<SheetRow>, IngestError> {
    let mut book = crate::xlsx::open(Cursor::new(bytes), file)?;
    let name = crate::xlsx::pick_sheet(&book, Some(sheet), file)?;
    let mut rows = crate::xlsx::rows(&mut book, &name, file)?;
    let mut out = Vec::new();
    while let Some((line, cells)) = rows.next_row()? {
        if out.len() >= max_rows {
            return Err(IngestError::format(
                file,
                line,
                format!("sheet `{sheet}` has more than {} rows with data, more than this form can have", thousands(max_rows as u64)),
            ));
        }
        let cells = crate::xlsx::dense(&cells).into_iter().map(cell).collect();
        out.push(SheetRow { line, cells });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_workbook_is_an_error_not_a_panic() {
        for bytes in [&b""[..], b"PK\x03\x04garbage", b"teryt;wartosc\n1;2\n"] {
            assert!(read_xlsx_sheet(bytes, "x.xlsx", "ankieta", 10).is_err());
        }
    }
}
