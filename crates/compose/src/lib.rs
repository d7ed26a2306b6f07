//! Report and export composition, shared by the portal (`web`) and the CLI: the read model of
//! one snapshot version ([`portal::Portal`]), the two languages' words and numbers
//! ([`i18n::L`], [`words`]), the unit report ([`report`]: HTML and PDF) and the writer of a
//! data query's downloads ([`download`]). No HTTP here: `web` serves these, `cli` writes
//! them to files.

pub mod download;
pub mod i18n;
pub mod portal;
pub mod report;
pub mod words;

/// Today's date (UTC), as reports and downloads are stamped.
pub fn today() -> model::Date {
    time::OffsetDateTime::now_utc().date()
}
