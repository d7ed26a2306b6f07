//! The GUS TERC register (`WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD;STAN_NA`) as CSV or XML.
//! (API skeleton — implementation pending.)

use std::path::Path;

use model::{Date, TerytCode, UnitKind};

use crate::IngestError;

/// One row of a TERC file.
#[derive(Debug, Clone, PartialEq)]
pub struct TercRow {
    /// 1-based line of the row in the file (CSV), or the row's ordinal + 1 (XML).
    pub line: u64,
    pub code: TerytCode,
    /// NAZWA as in the file.
    pub name: String,
    pub kind: UnitKind,
    /// NAZWA_DOD as in the file, e.g. `gmina miejska, miasto stołeczne`.
    pub name_extra: String,
}

/// A whole TERC state: every row and the date the state is of (STAN_NA).
#[derive(Debug, Clone, PartialEq)]
pub struct TercFile {
    pub state_date: Date,
    pub rows: Vec<TercRow>,
}

/// Reads a TERC file, CSV or XML (told apart by content).
pub fn read_terc(path: &Path) -> Result<TercFile, IngestError> {
    let _ = path;
    Err(IngestError::Format { file: String::new(), line: 0, message: "not implemented".into() })
}
