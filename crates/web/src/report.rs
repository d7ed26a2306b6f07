//! `/raport/{code}`: the unit report composed by `compose::report` (the CLI's `miernik report`
//! writes the same), its parameters and its errors as the pages show them.

use app::Store;
use model::TerytCode;

pub use compose::report::{Part, Point, Report, Row, html, pdf};

use crate::PageError;
use crate::i18n::L;
use crate::portal::Portal;

/// The report page's parameters.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ReportQuery {
    pub rok: Option<String>,
    pub grupa: Option<String>,
    /// `html` (default) or `pdf`.
    pub format: Option<String>,
    /// Read through `L::from_query`; named here so `lang=en` is a known parameter.
    #[allow(dead_code)]
    pub lang: Option<String>,
}

/// Builds the report of unit `code` ([`compose::report::build`], with the unit's public
/// improvement plan), its error as a page's.
pub async fn build(
    store: &Store,
    p: &Portal,
    l: L,
    code: &TerytCode,
    rok: Option<&str>,
    grupa: Option<&str>,
    demo: bool,
) -> Result<Report, PageError> {
    let plan = compose::report::public_plan(store, &p.c, code).await.map_err(|e| match e {
        app::AppError::Busy => PageError::Busy,
        e => PageError::Server(e.to_string()),
    })?;
    compose::report::build(store, p, l, code, rok, grupa, demo, plan.as_ref()).await.map_err(|e| match e {
        compose::report::ReportError::NotFound => PageError::NotFound,
        compose::report::ReportError::BadRequest(what) => PageError::BadRequest(what),
        compose::report::ReportError::Group { param, error } => PageError::BadRequest(format!("grupa={param}: {}", l.describe(&error))),
        compose::report::ReportError::App(app::AppError::Busy) => PageError::Busy,
        compose::report::ReportError::App(e) => PageError::Server(e.to_string()),
    })
}
