//! `/admin/audyt`: the audit log for administrators — who wrote what, when and why — with
//! filters as GET parameters (`jednostka`, `uzytkownik`, `od`, `akcja`, `import`), newest
//! first, paged by cursor (`po`). Admin only (403 otherwise, the login page for a public
//! reader); `Cache-Control: private, no-store`, never in the page cache.

use std::sync::Arc;

use app::accounts::Action;
use app::audit::{AuditError, AuditPage, AuditParams, AuditRow, BadAuditParam};
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::i18n::L;

pub const PATH: &str = "/admin/audyt";

/// Rows per page.
const PAGE: i64 = 50;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route(PATH, get(audit_page))
}

/// The page's GET parameters.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    jednostka: Option<String>,
    #[serde(default)]
    uzytkownik: Option<String>,
    #[serde(default)]
    od: Option<String>,
    #[serde(default)]
    akcja: Option<String>,
    #[serde(default)]
    import: Option<String>,
    /// The cursor of the page before's last row.
    #[serde(default)]
    po: Option<String>,
}

impl AuditQuery {
    fn params(&self) -> AuditParams {
        AuditParams {
            unit: self.jednostka.clone(),
            user: self.uzytkownik.clone(),
            since: self.od.clone(),
            action: self.akcja.clone(),
            import: self.import.clone(),
            after: self.po.clone(),
        }
    }

    /// The link to this filter's page `after` (the first page when `None`), in language `l`.
    fn link(&self, l: L, after: Option<&str>) -> String {
        let mut parts = Vec::new();
        for (k, v) in
            [("jednostka", &self.jednostka), ("uzytkownik", &self.uzytkownik), ("od", &self.od), ("akcja", &self.akcja), ("import", &self.import)]
        {
            if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", encode(v)));
            }
        }
        if let Some(a) = after {
            parts.push(format!("po={}", encode(a)));
        }
        let path = if parts.is_empty() { PATH.to_owned() } else { format!("{PATH}?{}", parts.join("&")) };
        l.href(&path)
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn audit_page(State(state): State<Arc<AppState>>, ctx: Ctx, query: Result<Query<AuditQuery>, QueryRejection>) -> Response {
    if let Err(e) = ctx.require_any(Action::Administer) {
        return ctx.error(e);
    }
    let l = ctx.lang;
    let Ok(Query(q)) = query else {
        return ctx.error(WebError::BadRequest("jednostka, uzytkownik, od, akcja, import, po".into()));
    };
    let (status, result) = match app::audit::audit_page(&state.store, &q.params(), PAGE).await {
        Ok(page) => (StatusCode::OK, Ok(page)),
        Err(AuditError::Param(p)) => (StatusCode::BAD_REQUEST, Err(p)),
        Err(AuditError::App(e)) => return ctx.error(WebError::from(e)),
    };
    ctx.page(status, l.t("Dziennik zmian", "Audit log"), body(l, &q, &result))
}

/// The field a wrong parameter belongs to.
fn field_of(p: &BadAuditParam) -> (&'static str, &'static str) {
    match p {
        BadAuditParam::UnitCode(_) | BadAuditParam::UnknownUnit(_) => ("a-jednostka", "jednostka"),
        BadAuditParam::User(_) => ("a-uzytkownik", "uzytkownik"),
        BadAuditParam::Since(_) => ("a-od", "od"),
        BadAuditParam::Action(_) => ("a-akcja", "akcja"),
        BadAuditParam::Import(_) => ("a-import", "import"),
        BadAuditParam::Cursor => ("a-jednostka", "po"),
    }
}

/// The actions the filter offers: (stored name, Polish, English).
const ACTIONS: &[(&str, &str, &str)] = &[
    ("import", "import pliku", "file import"),
    ("revert", "cofnięcie importu", "import reverted"),
    ("value", "wartość w ankiecie", "questionnaire value"),
    ("submit", "wysłanie ankiety", "questionnaire submitted"),
    ("withdraw", "wycofanie ankiety", "questionnaire withdrawn"),
    ("return", "zwrot do poprawy", "returned for correction"),
    ("approve", "zatwierdzenie", "approval"),
    ("publish", "publikacja", "publication"),
    ("form.add", "nowy formularz", "form added"),
    ("campaign.add", "nowa kampania", "campaign added"),
    ("user.add", "nowy użytkownik", "user added"),
    ("user.invite", "zaproszenie", "invitation"),
    ("user.password", "ustawienie hasła", "password set"),
    ("user.disable", "wyłączenie konta", "account disabled"),
    ("user.enable", "włączenie konta", "account enabled"),
    ("role.grant", "nadanie roli", "role granted"),
    ("role.revoke", "odebranie roli", "role revoked"),
    ("organisation.add", "nowa organizacja", "organisation added"),
    ("login", "logowanie", "sign-in"),
    ("logout", "wylogowanie", "sign-out"),
];

fn action_words(l: L, action: &str) -> String {
    match ACTIONS.iter().find(|a| a.0 == action) {
        Some((_, pl, en)) => l.t(pl, en).to_owned(),
        None => action.to_owned(),
    }
}

fn value_words(l: L, v: Option<f64>, flag: Option<i64>) -> String {
    let flag = flag.and_then(|f| i16::try_from(f).ok()).and_then(model::Flag::from_i16).filter(|f| *f != model::Flag::Final);
    match (v, flag) {
        (Some(x), Some(f)) => format!("{} ({})", l.num_auto(x), l.flag(f)),
        (Some(x), None) => l.num_auto(x),
        (None, Some(f)) => l.flag(f).to_owned(),
        (None, None) => "—".to_owned(),
    }
}

/// The page's body: filters, the error of a wrong parameter, the table, paging.
pub(crate) fn body(l: L, q: &AuditQuery, result: &Result<AuditPage, BadAuditParam>) -> Markup {
    let bad = result.as_ref().err();
    let val = |v: &Option<String>| v.clone().unwrap_or_default();
    let invalid = |name: &str| bad.is_some_and(|b| field_of(b).1 == name).then_some("true");
    html! {
        h1 { (l.t("Dziennik zmian", "Audit log")) }
        p { (l.t("Każdy zapis: kto, kiedy, co (jednostka, zmienna, rok, było → jest) i dlaczego. Dziennika nie można zmienić ani usunąć.",
                 "Every write: who, when, what (unit, variable, year, old → new) and why. The log cannot be changed or deleted.")) }
        @if let Some(b) = bad {
            div.box role="alert" {
                h2 { (l.t("Popraw filtr", "Correct the filter")) }
                p { a href={ "#" (field_of(b).0) } { (if l.en { b.en() } else { b.pl() }) } }
            }
        }
        form method="get" action=(PATH) {
            @if l.en { input type="hidden" name="lang" value="en"; }
            p { label for="a-jednostka" { (l.t("Jednostka (kod TERYT)", "Unit (TERYT code)")) } br;
                input #a-jednostka type="text" name="jednostka" value=(val(&q.jednostka)) inputmode="numeric" autocomplete="off" aria-invalid=[invalid("jednostka")]; }
            p { label for="a-uzytkownik" { (l.t("Użytkownik (login lub nazwa)", "User (login or name)")) } br;
                input #a-uzytkownik type="text" name="uzytkownik" value=(val(&q.uzytkownik)) autocomplete="off" aria-invalid=[invalid("uzytkownik")]; }
            p { label for="a-od" { (l.t("Od (RRRR-MM-DD, czas UTC)", "Since (YYYY-MM-DD, UTC time)")) } br;
                input #a-od type="text" name="od" value=(val(&q.od)) placeholder=(l.t("RRRR-MM-DD", "YYYY-MM-DD")) autocomplete="off" aria-invalid=[invalid("od")]; }
            p { label for="a-akcja" { (l.t("Czynność", "Action")) } br;
                select #a-akcja name="akcja" aria-invalid=[invalid("akcja")] {
                    option value="" { (l.t("(wszystkie)", "(all)")) }
                    @for (code, pl, en) in ACTIONS {
                        option value=(code) selected[q.akcja.as_deref() == Some(*code)] { (l.t(pl, en)) }
                    }
                }
            }
            p { label for="a-import" { (l.t("Import (numer)", "Import (number)")) } br;
                input #a-import type="text" name="import" value=(val(&q.import)) inputmode="numeric" autocomplete="off" aria-invalid=[invalid("import")]; }
            p { button type="submit" { (l.t("Pokaż", "Show")) } " " a href=(l.href(PATH)) { (l.t("Wyczyść filtr", "Clear the filter")) } }
        }
        @if let Ok(page) = result {
            @if page.rows.is_empty() {
                p { (l.t("Brak wpisów.", "No entries.")) }
            } @else {
                (table(l, &page.rows))
            }
            nav aria-label=(l.t("Strony dziennika", "Pages of the log")) {
                p {
                    @if q.po.as_deref().is_some_and(|p| !p.trim().is_empty()) {
                        a href=(q.link(l, None)) { (l.t("« Najnowsze", "« Newest")) } " "
                    }
                    @if let Some(next) = &page.next {
                        a href=(q.link(l, Some(next))) rel="next" { (l.t("Starsze wpisy »", "Older entries »")) }
                    }
                }
            }
        }
    }
}

fn table(l: L, rows: &[AuditRow]) -> Markup {
    html! {
        div.scroll role="region" tabindex="0" aria-label=(l.t("Dziennik zmian", "Audit log")) {
            table {
                caption { (l.t("Od najnowszych; czas UTC", "Newest first; UTC times")) }
                thead { tr {
                    th scope="col" { (l.t("Czas", "Time")) }
                    th scope="col" { (l.t("Kto", "Who")) }
                    th scope="col" { (l.t("Czynność", "Action")) }
                    th scope="col" { (l.t("Jednostka", "Unit")) }
                    th scope="col" { (l.t("Zmienna", "Variable")) }
                    th scope="col" { (l.t("Rok", "Year")) }
                    th scope="col" { (l.t("Było → jest", "Old → new")) }
                    th scope="col" { (l.t("Import", "Import")) }
                    th scope="col" { (l.t("Dlaczego / szczegóły", "Why / details")) }
                } }
                tbody { @for r in rows { tr {
                    td { (r.at.replace('T', " ").trim_end_matches('Z')) }
                    td { (r.actor) @if let Some(a) = &r.address { br; small { (a) } } }
                    td { (action_words(l, &r.action)) }
                    td { (r.unit_code.as_deref().unwrap_or("—")) }
                    td { (r.variable_code.as_deref().unwrap_or("—")) }
                    td { @if let Some(y) = r.year { (y) } @else { "—" } }
                    td {
                        @if r.old_value.is_some() || r.new_value.is_some() || r.old_flag.is_some() || r.new_flag.is_some() {
                            (value_words(l, r.old_value, r.old_flag)) " → " (value_words(l, r.new_value, r.new_flag))
                        } @else { "—" }
                    }
                    td { @if let Some(i) = r.import_id { (i) } @else { "—" } }
                    // Details are long (an import's counts, a campaign's settings): they wrap
                    // within the column rather than widen the table past the page.
                    td style="min-width:12em;max-width:24em;overflow-wrap:anywhere" {
                        @if let Some(c) = &r.comment { (c) }
                        @if r.comment.is_some() && r.detail.is_some() { br; }
                        @if let Some(d) = &r.detail { small { (d) } }
                        @if r.comment.is_none() && r.detail.is_none() { "—" }
                    }
                } } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_body_lists_rows_in_both_languages_and_links_the_next_page() {
        let dir = tempfile::tempdir().expect("dir");
        let store = app::Store::open(&format!("sqlite:{}", dir.path().join("a.db").display())).await.expect("store");
        for (i, who) in ["user:jan", "cli:ola as <Anna>"].iter().enumerate() {
            let entry = app::audit::AuditEntry {
                action: if i == 0 { "login".into() } else { "revert".into() },
                old_value: Some(1234.5),
                new_value: None,
                comment: Some("zły plik".into()),
                ..Default::default()
            };
            store.audit_append(&app::audit::Actor::named(*who), &entry).await.expect("append");
        }
        let q = AuditQuery { uzytkownik: Some("a b&c".into()), ..Default::default() };
        let page = app::audit::audit_page(&store, &AuditParams::default(), 1).await.expect("page");
        let pl = body(L::PL, &q, &Ok(page.clone())).into_string();
        assert!(pl.contains("Dziennik zmian") && pl.contains("cofnięcie importu") && pl.contains("cli:ola as &lt;Anna&gt;"), "{pl}");
        assert!(pl.contains("1\u{a0}234,5 → brak danych") || pl.contains("1\u{a0}234,5 → —"), "{pl}");
        assert!(!pl.contains("user:jan"), "one row a page");
        assert!(pl.contains("uzytkownik=a%20b%26c&amp;po="), "the next page keeps the filter: {pl}");
        let en = body(L { en: true }, &q, &Ok(page)).into_string();
        assert!(en.contains("Audit log") && en.contains("import reverted") && en.contains("lang=en"), "{en}");
        let bad = body(L::PL, &q, &Err(BadAuditParam::Since("wczoraj".into()))).into_string();
        assert!(bad.contains("role=\"alert\"") && bad.contains("href=\"#a-od\"") && bad.contains("wczoraj"), "{bad}");
        assert!(bad.contains("aria-invalid=\"true\""));
    }
}
