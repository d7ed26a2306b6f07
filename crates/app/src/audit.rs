//! Reading the audit log for `miernik audit` and `/admin/audyt`: the filter's parameters
//! parsed and checked once (a wrong one is a [`BadAuditParam`] each edge words itself), the
//! unit found by its TERYT code, a page of rows with the cursor of the next one.

use model::TerytCode;
pub use store::{Actor, AuditEntry, AuditFilter, AuditRow, RevertConflict, RevertOutcome};
use store::{AuditCursor, Store};

use crate::AppError;

/// The most rows one call lists.
pub const MAX_LIMIT: i64 = 10_000;

/// The filter as typed (CLI flags, the page's GET parameters); `None` or blank: not given.
#[derive(Debug, Clone, Default)]
pub struct AuditParams {
    /// A unit's TERYT code (any code it ever had).
    pub unit: Option<String>,
    /// A login, an actor's name, or the name given with `--as`.
    pub user: Option<String>,
    /// `YYYY-MM-DD`, or a UTC time `YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z]` (a space for the `T` too).
    pub since: Option<String>,
    pub action: Option<String>,
    pub import: Option<String>,
    /// The cursor of the page before's last row ([`AuditPage::next`]).
    pub after: Option<String>,
}

/// Which parameter is wrong and why; the CLI names its flag, the web page its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadAuditParam {
    /// Not a TERYT code.
    UnitCode(String),
    /// A TERYT code no unit ever had.
    UnknownUnit(String),
    Since(String),
    Action(String),
    User(String),
    Import(String),
    Cursor,
}

impl BadAuditParam {
    /// The parameter in the words of the CLI (`--unit` …).
    pub fn flag(&self) -> &'static str {
        match self {
            BadAuditParam::UnitCode(_) | BadAuditParam::UnknownUnit(_) => "--unit",
            BadAuditParam::Since(_) => "--since",
            BadAuditParam::Action(_) => "--action",
            BadAuditParam::User(_) => "--user",
            BadAuditParam::Import(_) => "--import",
            BadAuditParam::Cursor => "--after",
        }
    }

    /// What is wrong, in Polish.
    pub fn pl(&self) -> String {
        match self {
            BadAuditParam::UnitCode(s) => format!("„{}” nie jest kodem TERYT", short(s)),
            BadAuditParam::UnknownUnit(s) => format!("żadna jednostka nie miała kodu {}", short(s)),
            BadAuditParam::Since(s) => format!("„{}” nie jest datą RRRR-MM-DD ani czasem RRRR-MM-DDTGG:MM", short(s)),
            BadAuditParam::Action(s) => format!("„{}” nie jest nazwą czynności (małe litery, kropka, podkreślnik)", short(s)),
            BadAuditParam::User(s) => format!("„{}” nie jest nazwą użytkownika", short(s)),
            BadAuditParam::Import(s) => format!("„{}” nie jest numerem importu", short(s)),
            BadAuditParam::Cursor => "nieprawidłowy znacznik strony".to_owned(),
        }
    }

    /// What is wrong, in English.
    pub fn en(&self) -> String {
        match self {
            BadAuditParam::UnitCode(s) => format!("`{}` is not a TERYT code", short(s)),
            BadAuditParam::UnknownUnit(s) => format!("no unit ever had the code {}", short(s)),
            BadAuditParam::Since(s) => format!("`{}` is not a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM", short(s)),
            BadAuditParam::Action(s) => format!("`{}` is not an action name (lower case letters, dot, underscore)", short(s)),
            BadAuditParam::User(s) => format!("`{}` is not a user name", short(s)),
            BadAuditParam::Import(s) => format!("`{}` is not an import number", short(s)),
            BadAuditParam::Cursor => "the page cursor is not valid".to_owned(),
        }
    }
}

fn short(s: &str) -> std::borrow::Cow<'_, str> {
    model::excerpt(s, 60)
}

/// Why a listing failed: a parameter, or the store.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{}: {}", .0.flag(), .0.en())]
    Param(BadAuditParam),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<store::StoreError> for AuditError {
    fn from(e: store::StoreError) -> Self {
        AuditError::App(e.into())
    }
}

/// One page of the audit log, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    /// The cursor of the next page (text for `after`), `None` on the last page.
    pub next: Option<String>,
}

fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A UTC time or date as the audit log stores it, from what a person types: `YYYY-MM-DD`,
/// `YYYY-MM-DDTHH:MM`, with seconds and fractions, `Z` or not, a space instead of `T`.
pub fn parse_since(s: &str) -> Option<String> {
    let s = s.trim();
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t.trim().trim_end_matches('Z'))),
        None => (s, None),
    };
    let d = model::parse_date(date).filter(|_| date.len() == 10)?;
    let mut out = model::format_date(d);
    if let Some(t) = time {
        let (hms, frac) = match t.split_once('.') {
            Some((a, b)) => (a, Some(b)),
            None => (t, None),
        };
        let parts: Vec<&str> = hms.split(':').collect();
        let ok_part = |p: &str, max: u32| p.len() == 2 && p.parse::<u32>().is_ok_and(|v| v <= max);
        let valid = match parts.as_slice() {
            [h, m] => ok_part(h, 23) && ok_part(m, 59),
            [h, m, sec] => ok_part(h, 23) && ok_part(m, 59) && ok_part(sec, 59),
            _ => false,
        } && frac.is_none_or(|f| !f.is_empty() && f.len() <= 6 && f.bytes().all(|b| b.is_ascii_digit()))
            && (frac.is_none() || parts.len() == 3);
        if !valid {
            return None;
        }
        out.push('T');
        out.push_str(t);
    }
    Some(out)
}

/// The store's filter from the typed parameters; the unit found by any code it had.
pub async fn audit_filter(store: &Store, params: &AuditParams) -> Result<AuditFilter, AuditError> {
    let mut filter = AuditFilter::default();
    if let Some(u) = given(&params.unit) {
        let code = TerytCode::parse(u).map_err(|_| AuditError::Param(BadAuditParam::UnitCode(u.to_owned())))?;
        let id = store.unit_id_for_code(&code).await?.ok_or_else(|| AuditError::Param(BadAuditParam::UnknownUnit(u.to_owned())))?;
        filter.unit_id = Some(id);
    }
    if let Some(u) = given(&params.user) {
        if u.chars().count() > 200 || u.chars().any(char::is_control) {
            return Err(AuditError::Param(BadAuditParam::User(u.to_owned())));
        }
        filter.user = Some(u.to_owned());
    }
    if let Some(s) = given(&params.since) {
        filter.since = Some(parse_since(s).ok_or_else(|| AuditError::Param(BadAuditParam::Since(s.to_owned())))?);
    }
    if let Some(a) = given(&params.action) {
        let ok = a.len() <= 40 && a.bytes().all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_');
        if !ok {
            return Err(AuditError::Param(BadAuditParam::Action(a.to_owned())));
        }
        filter.action = Some(a.to_owned());
    }
    if let Some(i) = given(&params.import) {
        let id = i.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(|| AuditError::Param(BadAuditParam::Import(i.to_owned())))?;
        filter.import_id = Some(id);
    }
    if let Some(c) = given(&params.after) {
        filter.after = Some(c.parse::<AuditCursor>().map_err(|_| AuditError::Param(BadAuditParam::Cursor))?);
    }
    Ok(filter)
}

/// A page of at most `limit` rows (1 ..= [`MAX_LIMIT`]) matching `params`, newest first.
pub async fn audit_page(store: &Store, params: &AuditParams, limit: i64) -> Result<AuditPage, AuditError> {
    let filter = audit_filter(store, params).await?;
    let limit = limit.clamp(1, MAX_LIMIT);
    let mut rows = store.audit(&filter, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next = if more { rows.last().map(|r| r.cursor().to_string()) } else { None };
    Ok(AuditPage { rows, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_dates_and_times() {
        assert_eq!(parse_since("2025-03-01").as_deref(), Some("2025-03-01"));
        assert_eq!(parse_since(" 2025-03-01 10:15 ").as_deref(), Some("2025-03-01T10:15"));
        assert_eq!(parse_since("2025-03-01T10:15:30.25Z").as_deref(), Some("2025-03-01T10:15:30.25"));
        for bad in
            ["", "2025-3-1", "2025-02-30", "yesterday", "2025-03-01T25:00", "2025-03-01T10", "2025-03-01T10:15.5", "2025-03-01T10:15:00.1234567"]
        {
            assert_eq!(parse_since(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn parameters_are_checked_and_named() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&format!("sqlite:{}", dir.path().join("a.db").display())).await.expect("store");
        let bad = |p: AuditParams| {
            let store = store.clone();
            async move {
                match audit_filter(&store, &p).await {
                    Err(AuditError::Param(b)) => b,
                    other => panic!("expected a bad parameter: {other:?}"),
                }
            }
        };
        assert_eq!(bad(AuditParams { unit: Some("12x".into()), ..Default::default() }).await.flag(), "--unit");
        assert!(matches!(bad(AuditParams { unit: Some("0201011".into()), ..Default::default() }).await, BadAuditParam::UnknownUnit(_)));
        assert!(matches!(bad(AuditParams { since: Some("wczoraj".into()), ..Default::default() }).await, BadAuditParam::Since(_)));
        assert!(matches!(bad(AuditParams { action: Some("DROP TABLE".into()), ..Default::default() }).await, BadAuditParam::Action(_)));
        assert!(matches!(bad(AuditParams { import: Some("-3".into()), ..Default::default() }).await, BadAuditParam::Import(_)));
        assert!(matches!(bad(AuditParams { after: Some("x".into()), ..Default::default() }).await, BadAuditParam::Cursor));
        assert!(BadAuditParam::Cursor.pl() != BadAuditParam::Cursor.en());

        let f = audit_filter(
            &store,
            &AuditParams { user: Some(" jan ".into()), action: Some("import".into()), unit: Some(" ".into()), ..Default::default() },
        )
        .await
        .expect("filter");
        assert_eq!((f.user.as_deref(), f.action.as_deref(), f.unit_id), (Some("jan"), Some("import"), None));

        // Paging: the next cursor appears only when there is more.
        for i in 0..3 {
            store
                .audit_append(&store::Actor::named("cli:t"), &store::AuditEntry { action: "login".into(), year: Some(i), ..Default::default() })
                .await
                .expect("append");
        }
        let p1 = audit_page(&store, &AuditParams::default(), 2).await.expect("page");
        assert_eq!(p1.rows.len(), 2);
        let p2 = audit_page(&store, &AuditParams { after: p1.next.clone(), ..Default::default() }, 2).await.expect("page");
        assert_eq!((p2.rows.len(), p2.next.as_deref()), (1, None));
        assert_eq!(p2.rows[0].year, Some(0), "the oldest comes last");
    }
}
