//! The GUS BDL API v1 client (<https://bdl.stat.gov.pl/api/v1>): requests, paging, the
//! quotas of all four windows, retries with backoff, and the on-disk cache of pages; no
//! database. Fetch first, then import: [`fetch`] writes every page as received into a
//! [`Cache`] (atomically, so a killed run loses nothing), [`CachedSource`] reads the cached
//! pages back as `ingest::Record`s for the ordinary import pipeline.
//!
//! Modules: [`unit_id`] (BDL's 12-character unit ids ↔ TERYT), [`page`] (the pure parser of
//! a data page), [`cache`], [`quota`] (the limiter and load-time estimates), [`client`] (HTTP
//! with retries), [`fetch`] (plans and the fetch loop), [`source`] (cached pages → records),
//! [`preset`] (the catalogue's BDL variables), [`meta`] (variable and subject metadata, cached),
//! [`check`] (the catalogue's BDL ids and series against BDL's metadata).

pub mod cache;
pub mod check;
pub mod client;
mod error;
pub mod fetch;
pub mod meta;
#[cfg(feature = "mock")]
pub mod mock;
pub mod page;
pub mod preset;
pub mod quota;
pub mod source;
pub mod unit_id;

pub use cache::Cache;
pub use client::{Client, ClientOptions, Retry};
pub use error::BdlError;
pub use fetch::{Estimate, FetchReport, Plan, Series, estimate, fetch};
pub use quota::{Limiter, Quota};
pub use source::CachedSource;
pub use unit_id::teryt_of;

/// The public API's address.
pub const DEFAULT_BASE_URL: &str = "https://bdl.stat.gov.pl/api/v1";
/// The most the API hands out in one page.
pub const PAGE_SIZE: u32 = 100;
