//! The error of the use-cases: what went wrong, said so that a user can act on it.

/// One rejected input row: where and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        write!(f, ": {}", self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Ingest(#[from] ingest::IngestError),
    /// Every store error but `Busy` (which becomes [`AppError::Busy`]).
    #[error(transparent)]
    Store(store::StoreError),
    /// The database had no free connection in time (or stayed locked): try again shortly.
    /// The portal answers 503 with `Retry-After`.
    #[error("{}", store::StoreError::Busy)]
    Busy,
    /// The import was refused and nothing was written.
    #[error("{file}: {summary}; nothing was imported")]
    Rejected { file: String, summary: String, rows: Vec<Rejected> },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
}

impl From<store::StoreError> for AppError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::Busy => AppError::Busy,
            e => AppError::Store(e),
        }
    }
}
