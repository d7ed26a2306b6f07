//! Errors of the readers: whole-file errors and row errors, both saying where.

use std::fmt;

/// The file as a whole cannot be read (missing, wrong format, wrong encoding, bad header).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{file}: cannot read: {source}")]
    Io { file: String, source: std::io::Error },
    /// `line` is 1-based; 0 when the problem is not tied to a line.
    #[error("{file}: {at}{message}", at = if *line > 0 { format!("line {line}: ") } else { String::new() })]
    Format { file: String, line: u64, message: String },
    /// A feature of a boundary file: its 1-based number and the field (attribute or `geometry`).
    #[error("{file}: feature {feature}, field {field}: {message}")]
    Feature { file: String, feature: usize, field: String, message: String },
}

/// One bad row or cell. `line` is the 1-based physical line (the header is line 1);
/// `column` the 1-based column number with the header's name of it when known.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub file: String,
    pub line: u64,
    pub column: Option<(usize, String)>,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some((n, name)) = &self.column {
            write!(f, ": column {n} ({name})")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for RowError {}
