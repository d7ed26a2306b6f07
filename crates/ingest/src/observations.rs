//! Observation files: the long layout (`unit,variable,year,value[,flag]`, CSV or XLSX) and
//! BDL's web exports (CREL: one value per row; CTAB: one column per dimensions × year).
//! (API skeleton — implementation pending.)

use std::path::Path;

use model::{Flag, TerytCode, Value, VariableCode, Year};

use crate::{IngestError, RowError};

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

/// A streaming reader of observations.
pub struct ObservationReader {
    _private: (),
}

pub fn open_observations(path: &Path, opts: &ReadOptions) -> Result<ObservationReader, IngestError> {
    let _ = (path, opts);
    Err(IngestError::Format { file: String::new(), line: 0, message: "not implemented".into() })
}

impl ObservationReader {
    pub fn layout(&self) -> Layout {
        Layout::Long
    }
    /// Next record; `Ok(None)` at the end. A `RowError` is one bad row: reading may go on.
    /// An `IngestError` ends the file.
    pub fn next_record(&mut self) -> Result<Option<Result<Record, RowError>>, IngestError> {
        Ok(None)
    }
    pub fn variable_info(&self, code: &VariableCode) -> Option<&VariableInfo> {
        let _ = code;
        None
    }
    pub fn variables(&self) -> &[VariableInfo] {
        &[]
    }
    /// Bytes of the file consumed so far and the file's size, for a progress bar.
    pub fn progress(&self) -> (u64, u64) {
        (0, 0)
    }
    /// Empty cells and values that are not values (BDL `-`) skipped so far.
    pub fn empty_cells(&self) -> u64 {
        0
    }
}
