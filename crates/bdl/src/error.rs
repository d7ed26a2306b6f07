//! Errors of the BDL client: each says which URL or cache file, and why.

/// What went wrong talking to BDL or reading the cache.
#[derive(Debug, thiserror::Error)]
pub enum BdlError {
    /// The API answered with an error status (after the retries, for 429 and 5xx).
    #[error("{url}: HTTP {status} after {attempts} attempt(s){}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    Http { url: String, status: u16, attempts: u32, message: String },
    /// No answer: connection refused, reset, timeout (after the retries).
    #[error("{url}: no answer after {attempts} attempt(s): {message}")]
    Transport { url: String, attempts: u32, message: String },
    /// The host name does not resolve (no network, no DNS, a mistyped address): not retried.
    #[error(
        "{url}: nie można znaleźć serwera {host} / cannot resolve the host name {host} ({message}); check the network connection and the API address"
    )]
    HostNotFound { url: String, host: String, message: String },
    /// The answer is not a page of the documented shape; nothing of it was cached.
    #[error("{url}: the answer is not a BDL page: {error}")]
    BadAnswer { url: String, error: page::PageError },
    /// A cached page cannot be read back (edited or damaged by hand).
    #[error("{file}: {error}")]
    BadCache { file: String, error: page::PageError },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// The quota says wait longer than the caller allows.
    #[error("{0}")]
    Quota(String),
    #[error("{0}")]
    Invalid(String),
}

use crate::page;
