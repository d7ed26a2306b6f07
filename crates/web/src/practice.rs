//! Good practices — "learn from the best" (issue 18): the search `/dobre-praktyki`, the form
//! for a new practice (`/dobre-praktyki/nowa`), a practice's page with its edit and
//! verification forms, the API `GET /api/v1/practices`, and the public pieces the indicator
//! page (leaders, biggest improvers, verified practices) and the unit card's diagnosis ("units
//! like yours that improved here") draw.
//!
//! Who sees what: a verified practice is public; a proposed or rejected one only to the
//! planners of its unit (`Action::Plan`) and its verifiers (`Action::Verify`), to everyone
//! else it does not exist (404). Every write checks the CSRF token, then the role on the
//! practice's unit, then calls `app::practices` with the user's actor (the store audits it).
//! The pages read the store, so they are never put in the page cache (`no-store`, `private`
//! with a user); the pieces for the cached indicator page and card hold verified practices
//! only, the same for every reader.

use std::sync::Arc;

use app::accounts::{Action, CurrentUser, Scope};
use app::practices::{self as pr, PracticeFields, PracticeFilter, PracticeView, Within};
use app::{Computed, PeerGroup, Store};
use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use model::{Polarity, TerytCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::{ApiError, ApiErrorBody};
use crate::auth::Ctx;
use crate::common::{indicator_name, measure, q};
use crate::error::WebError;
use crate::i18n::L;

/// The search page's path.
pub const PATH: &str = "/dobre-praktyki";

/// The routes of the practice pages.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(PATH, get(list))
        .route("/dobre-praktyki/nowa", get(new_get).post(new_post))
        .route("/dobre-praktyki/{id}", get(show).post(edit_post))
        .route("/dobre-praktyki/{id}/weryfikacja", post(verify_post))
}

/// The API route, merged under `/api/v1` by [`crate::api::routes`].
pub fn api_routes() -> Router<Arc<AppState>> {
    Router::new().route("/practices", get(api_practices))
}

// ---------------------------------------------------------------------------------------
// Words and small pieces.

/// A status as the pages word it.
pub fn status_words(l: L, status: &str) -> &'static str {
    match status {
        "verified" => l.t("zweryfikowana", "verified"),
        "rejected" => l.t("odrzucona", "rejected"),
        _ => l.t("zgłoszona", "proposed"),
    }
}

/// A status as a badge (the word carries the meaning, the colour only repeats it).
fn status_badge(l: L, status: &str) -> Markup {
    html! {
        @match status {
            "verified" => span.tag.good { (status_words(l, status)) },
            "rejected" => span.tag.bad { (status_words(l, status)) },
            _ => span.tag { (status_words(l, status)) },
        }
    }
}

/// A change of a value judged by the indicator's polarity: "poprawa / improvement", …
pub(crate) fn change_words(l: L, polarity: Polarity, change: f64) -> Markup {
    let better = match polarity {
        Polarity::HigherBetter => change > 0.0,
        Polarity::LowerBetter => change < 0.0,
        Polarity::Neutral => return html! { span { (l.t("bez oceny (wskaźnik neutralny)", "not judged (neutral indicator)")) } },
    };
    html! {
        @if change == 0.0 { span { (l.t("bez zmian", "no change")) } }
        @else if better { span.good { "↑ " (l.t("poprawa", "improvement")) } }
        @else { span.bad { "↓ " (l.t("pogorszenie", "worsening")) } }
    }
}

/// Whether `user` (none: a public reader) may see the practice: verified ones anyone; the
/// others the planners and verifiers of its unit.
pub fn may_see(user: Option<&CurrentUser>, status: &str, unit_id: i64) -> bool {
    status == "verified" || user.is_some_and(|u| u.can(Action::Plan, unit_id) || u.can(Action::Verify, unit_id))
}

/// The link of a practice's page.
fn practice_path(id: i64) -> String {
    format!("{PATH}/{id}")
}

/// An address shown as a link only when it is http(s); anything else stays text.
fn outside_link(link: &str) -> Markup {
    let lower = link.to_ascii_lowercase();
    html! {
        @if lower.starts_with("https://") || lower.starts_with("http://") {
            a href=(link) rel="noopener noreferrer nofollow" { (link) }
        } @else { (link) }
    }
}

// ---------------------------------------------------------------------------------------
// The form: what was sent, its errors, and its markup.

/// The practice form as sent (or filled in from a stored practice).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PracticeForm {
    pub title: String,
    /// The unit's TERYT code.
    pub unit: String,
    pub description: String,
    pub contact: String,
    /// One address a line.
    pub links: String,
    pub start_year: String,
    pub indicators: Vec<String>,
}

impl PracticeForm {
    /// From the form's pairs: `tytul`, `jst`, `opis`, `kontakt`, `linki`, `rok`, and
    /// `wskazniki` once per chosen indicator.
    fn from_pairs(pairs: &[(String, String)]) -> PracticeForm {
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
        let mut indicators: Vec<String> =
            pairs.iter().filter(|(k, _)| k == "wskazniki").map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty()).collect();
        indicators.dedup();
        PracticeForm {
            title: get("tytul").trim().to_owned(),
            unit: get("jst").trim().to_owned(),
            description: get("opis").trim().to_owned(),
            contact: get("kontakt").trim().to_owned(),
            links: get("linki"),
            start_year: get("rok").trim().to_owned(),
            indicators,
        }
    }

    fn of(v: &PracticeView) -> PracticeForm {
        let f = &v.row.fields;
        PracticeForm {
            title: f.title.clone(),
            unit: v.unit_code.clone(),
            description: f.description.clone(),
            contact: f.contact.clone().unwrap_or_default(),
            links: f.links.join("\n"),
            start_year: f.start_year.map(|y| y.to_string()).unwrap_or_default(),
            indicators: f.indicators.clone(),
        }
    }

    /// The store's fields for unit `unit_id`, or the errors of what cannot be read (the
    /// rest — lengths, links, indicators — the use-case checks).
    fn fields(&self, unit_id: i64) -> Result<PracticeFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        let start_year = match self.start_year.as_str() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(y) if (1990..=2100).contains(&y) => Some(y),
                _ => {
                    errors.push(FieldError::new(
                        "rok",
                        "podaj rok jako liczbę, np. 2019, albo zostaw puste",
                        "give the year as a number, e.g. 2019, or leave it empty",
                    ));
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let links = self.links.lines().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        Ok(PracticeFields {
            unit_id,
            title: self.title.clone(),
            description: self.description.clone(),
            contact: Some(self.contact.clone()).filter(|c| !c.is_empty()),
            links,
            start_year,
            indicators: self.indicators.clone(),
        })
    }
}

/// An error of a form's field (`tytul`, `jst`, `opis`, `kontakt`, `linki`, `rok`,
/// `wskazniki`, `status`, `uwaga`; `formularz` for what names no field): what to correct,
/// PL and EN.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: &'static str,
    pub pl: String,
    pub en: String,
}

impl FieldError {
    fn new(field: &'static str, pl: &str, en: &str) -> FieldError {
        FieldError { field, pl: format!("{}: {pl}", label(field).0), en: format!("{}: {en}", label(field).1) }
    }

    /// A use-case's `field: why`, put at the form's field of that name.
    fn from_app(why: &str) -> FieldError {
        let key: String = why.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let field = match key.as_str() {
            "title" => "tytul",
            "unit" | "unit_id" => "jst",
            "description" => "opis",
            "contact" => "kontakt",
            "links" | "link" => "linki",
            "start_year" | "year" => "rok",
            "indicators" | "indicator" => "wskazniki",
            "status" => "status",
            "note" | "status_note" => "uwaga",
            _ => "formularz",
        };
        let detail = why.split_once(':').filter(|_| field != "formularz").map(|(_, d)| d.trim()).unwrap_or(why);
        let (pl, en) = label(field);
        FieldError { field, pl: format!("{pl}: {detail}"), en: format!("{en}: {detail}") }
    }
}

/// A field's label, PL and EN.
fn label(field: &str) -> (&'static str, &'static str) {
    match field {
        "tytul" => ("Tytuł", "Title"),
        "jst" => ("Jednostka (kod TERYT)", "Unit (TERYT code)"),
        "opis" => ("Opis: co zrobiono i z jakim skutkiem", "Description: what was done and with what effect"),
        "kontakt" => ("Kontakt (osoba, wydział, adres e-mail)", "Contact (a person, a department, an e-mail address)"),
        "linki" => ("Linki (jeden w wierszu, http:// lub https://)", "Links (one a line, http:// or https://)"),
        "rok" => ("Rok rozpoczęcia", "Start year"),
        "wskazniki" => ("Wskaźniki, na które wpływa", "Indicators it affects"),
        "status" => ("Decyzja", "Decision"),
        "uwaga" => ("Uwaga weryfikatora", "The verifier's note"),
        _ => ("Formularz", "The form"),
    }
}

/// The error summary above a form: every error a link to its field.
fn error_summary(l: L, errors: &[FieldError], after_post: bool) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.box id="podsumowanie" tabindex="-1" role=[after_post.then_some("alert")] aria-labelledby="podsumowanie-h" autofocus[after_post] {
                h2 id="podsumowanie-h" { (l.t("Popraw błędy", "Correct the errors")) " (" (errors.len()) ")" }
                ul { @for e in errors { li { a href={ "#" (e.field) } { (l.t(&e.pl, &e.en)) } } } }
            }
        }
    }
}

/// How the form takes the unit.
enum UnitInput<'a> {
    /// Fixed (editing: a practice's unit does not change).
    Fixed { code: &'a str, name: &'a str },
    /// One of these (code, name): the units the user plans for.
    Choose(Vec<(String, String)>),
    /// A TERYT code typed in (an administrator or analyst of every unit).
    Code,
}

/// The fields of a practice form (new or edit).
fn form_fields(l: L, c: &Computed, form: &PracticeForm, errors: &[FieldError], unit: &UnitInput<'_>) -> Markup {
    let err = |field: &str| errors.iter().find(|e| e.field == field);
    let described = |field: &str, help: Option<&str>| {
        let mut ids: Vec<String> = help.map(|h| vec![h.to_owned()]).unwrap_or_default();
        if err(field).is_some() {
            ids.push(format!("{field}-blad"));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    let message = |field: &str| {
        html! {
            @if let Some(e) = err(field) {
                span.bad id={ (field) "-blad" } { span.sr { (l.t("Błąd: ", "Error: ")) } (l.t(&e.pl, &e.en)) }
                br;
            }
        }
    };
    let name = |field: &str| l.t(label(field).0, label(field).1).to_owned();
    let mut defs: Vec<usize> = (0..c.definitions.len()).collect();
    defs.sort_by(|&a, &b| c.definitions[a].area.cmp(&c.definitions[b].area).then_with(|| indicator_name(l, c, a).cmp(indicator_name(l, c, b))));
    let areas: Vec<&[usize]> = defs.chunk_by(|&a, &b| c.definitions[a].area == c.definitions[b].area).collect();
    html! {
        p {
            label for="tytul" { (name("tytul")) } br;
            (message("tytul"))
            input id="tytul" name="tytul" type="text" maxlength=(pr::MAX_TITLE) value=(form.title) required
                aria-invalid=[err("tytul").map(|_| "true")] aria-describedby=[described("tytul", None)];
        }
        @match unit {
            UnitInput::Fixed { code, name: unit_name } => {
                p { strong { (l.t("Jednostka", "Unit")) ": " } (unit_name) " (" (code) ")" }
                input type="hidden" name="jst" value=(code);
            }
            UnitInput::Choose(units) => {
                p {
                    label for="jst" { (l.t("Jednostka", "Unit")) } br;
                    (message("jst"))
                    select id="jst" name="jst" aria-invalid=[err("jst").map(|_| "true")] aria-describedby=[described("jst", None)] {
                        @for (code, unit_name) in units { option value=(code) selected[form.unit == *code] { (unit_name) " (" (code) ")" } }
                    }
                }
            }
            UnitInput::Code => {
                p {
                    label for="jst" { (name("jst")) } br;
                    (message("jst"))
                    input id="jst" name="jst" type="text" inputmode="numeric" autocomplete="off" size="9" value=(form.unit) required
                        aria-invalid=[err("jst").map(|_| "true")] aria-describedby=[described("jst", None)];
                }
            }
        }
        p {
            label for="opis" { (name("opis")) } br;
            (message("opis"))
            textarea id="opis" name="opis" rows="8" maxlength=(pr::MAX_DESCRIPTION) required
                aria-invalid=[err("opis").map(|_| "true")] aria-describedby=[described("opis", None)] { (form.description) }
        }
        p {
            label for="kontakt" { (name("kontakt")) } br;
            (message("kontakt"))
            input id="kontakt" name="kontakt" type="text" value=(form.contact) autocomplete="off"
                aria-invalid=[err("kontakt").map(|_| "true")] aria-describedby=[described("kontakt", None)];
        }
        p {
            label for="linki" { (name("linki")) } br;
            span.small.muted id="linki-pomoc" { (l.t("Najwyżej ", "At most ")) (pr::MAX_LINKS) (l.t(" adresów, np. opis na stronie urzędu, uchwała, raport.", " addresses, e.g. a page of the office, a resolution, a report.")) } br;
            (message("linki"))
            textarea id="linki" name="linki" rows="3" spellcheck="false"
                aria-invalid=[err("linki").map(|_| "true")] aria-describedby=[described("linki", Some("linki-pomoc"))] { (form.links) }
        }
        p {
            label for="rok" { (name("rok")) } br;
            span.small.muted id="rok-pomoc" { (l.t("Gdy jest znany, strona praktyki pokaże wartości wskaźników przed nim i po nim.", "When known, the practice's page shows the indicators' values before and after it.")) } br;
            (message("rok"))
            input id="rok" name="rok" type="text" inputmode="numeric" size="6" value=(form.start_year) autocomplete="off"
                aria-invalid=[err("rok").map(|_| "true")] aria-describedby=[described("rok", Some("rok-pomoc"))];
        }
        p {
            label for="wskazniki" { (name("wskazniki")) } br;
            span.small.muted id="wskazniki-pomoc" { (l.t("Kilka wskaźników wybierzesz, przytrzymując Ctrl (na Macu Cmd).", "Choose several indicators by holding Ctrl (Cmd on a Mac).")) } br;
            (message("wskazniki"))
            select id="wskazniki" name="wskazniki" multiple size="10"
                aria-invalid=[err("wskazniki").map(|_| "true")] aria-describedby=[described("wskazniki", Some("wskazniki-pomoc"))] {
                @for group in &areas {
                    optgroup label=(l.area(&c.definitions[group[0]].area)) {
                        @for &i in group.iter() {
                            @let code = &c.definitions[i].code;
                            option value=(code) selected[form.indicators.contains(code)] { (indicator_name(l, c, i)) }
                        }
                    }
                }
            }
        }
    }
}

fn csrf_input(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

// ---------------------------------------------------------------------------------------
// Pages.

/// A short message after a successful POST (`komunikat`).
fn notice_words(l: L, uri_query: Option<&str>) -> Option<&'static str> {
    let k = uri_query?.split('&').find_map(|kv| kv.strip_prefix("komunikat="))?;
    Some(match k {
        "dodano" => l.t(
            "Zgłoszono praktykę. Publicznie będzie widoczna, gdy zweryfikuje ją weryfikator.",
            "The practice is proposed. It becomes public once a verifier verifies it.",
        ),
        "zapisano" => l.t("Zapisano zmiany. Praktyka wraca do weryfikacji.", "The changes are saved. The practice goes back to verification."),
        "zweryfikowano" => l.t("Zapisano decyzję weryfikatora.", "The verifier's decision is saved."),
        _ => return None,
    })
}

/// A page for this request (`private, no-store` with a user, `no-store` without), with a
/// language link to `here` (the site's own switch keeps only the public pages' paths).
fn respond(ctx: &Ctx, here: &str, status: StatusCode, title: &str, body: Markup) -> Response {
    let l = ctx.lang;
    let query: Vec<&str> = ctx
        .query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("lang=") && !kv.starts_with("komunikat="))
        .collect();
    let mut pairs = if here == ctx.path { query } else { Vec::new() };
    if !l.en {
        pairs.push("lang=en");
    }
    let other = if pairs.is_empty() { here.to_owned() } else { format!("{here}?{}", pairs.join("&")) };
    let body = html! {
        p.small style="text-align:right;margin:.5rem 0 0" {
            @if l.en { a href=(other) lang="pl" hreflang="pl" { "Ta strona po polsku" } }
            @else { a href=(other) lang="en" hreflang="en" { "This page in English" } }
        }
        (body)
    };
    ctx.page(status, title, body)
}

/// A 303 to `path` (in the page's language) with a status message.
fn see_other(l: L, path: &str, notice: &str) -> Response {
    let to = l.href(&format!("{path}?komunikat={notice}"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/dobre-praktyki")))]).into_response()
}

/// An app error as the pages answer it.
fn app_fail(e: app::AppError) -> WebError {
    WebError::from(e)
}

/// The snapshot the names come from; none yet: 503 (the portal is still computing).
fn snapshot(state: &AppState) -> Result<Arc<Computed>, WebError> {
    state.live.get().ok_or(WebError::Busy)
}

/// The search's parameters.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub wskaznik: Option<String>,
    pub q: Option<String>,
    pub status: Option<String>,
    pub jst: Option<String>,
}

/// `GET /dobre-praktyki`: the search. A public reader finds verified practices; the planners
/// and verifiers of a unit also its proposed and rejected ones; a verifier may filter by status.
async fn list(State(state): State<Arc<AppState>>, ctx: Ctx, uri: axum::http::Uri, query: Result<Query<ListQuery>, QueryRejection>) -> Response {
    let l = ctx.lang;
    let Ok(Query(query)) = query else {
        return ctx.error(WebError::BadRequest("wskaznik, q, status, jst".into()));
    };
    let c = match snapshot(&state) {
        Ok(c) => c,
        Err(e) => return ctx.error(e),
    };
    let user = ctx.user.as_ref();
    let verifier = user.is_some_and(|u| u.can_any(Action::Verify));
    let indicator = query.wskaznik.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if let Some(code) = indicator
        && c.snapshot.indicator_index(code).is_none()
    {
        return ctx.error(WebError::BadRequest(format!("wskaznik={code}")));
    }
    let status = match query.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) if pr::STATUSES.contains(&s) => Some(s),
        Some(s) => return ctx.error(WebError::BadRequest(format!("status={s}"))),
    };
    let text = query.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if text.is_some_and(|t| t.chars().count() > 200) {
        return ctx.error(WebError::BadRequest(l.t("q: najwyżej 200 znaków", "q: 200 characters at most").into()));
    }
    let unit_text = query.jst.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let unit_id = match unit_text {
        None => None,
        Some(t) => match TerytCode::parse_lenient(t) {
            Ok(code) => match state.store.unit_id_for_code(&code).await {
                Ok(Some(id)) => Some(id),
                Ok(None) => return ctx.error(WebError::BadRequest(format!("jst={t}"))),
                Err(e) => return ctx.error(WebError::from(e)),
            },
            Err(_) => return ctx.error(WebError::BadRequest(format!("jst={t}"))),
        },
    };
    // A public reader asks for verified ones only; a signed-in user for what the status filter
    // says (verifiers) and then sees what their roles let them.
    let asked = match user {
        None => Some("verified"),
        Some(_) if verifier => status,
        Some(_) => None,
    };
    let filter = PracticeFilter { indicator: indicator.map(str::to_owned), unit_id, status: asked.map(str::to_owned), text: text.map(str::to_owned) };
    let found = match pr::practices(&state.store, &c, &filter).await {
        Ok(f) => f,
        Err(e) => return ctx.error(app_fail(e)),
    };
    let shown: Vec<&PracticeView> = found.iter().filter(|v| may_see(user, &v.row.status, v.row.fields.unit_id)).collect();
    let can_propose = user.is_some_and(|u| u.can_any(Action::Plan));
    let title = l.t("Dobre praktyki", "Good practices");
    let body = html! {
        h1 { (title) }
        p { (l.t("Co zrobiły jednostki, które poprawiły swoje wskaźniki: opisy, kontakty i linki. Publicznie widać praktyki sprawdzone przez weryfikatora.",
                 "What units that improved their indicators did: descriptions, contacts and links. The public sees the practices a verifier has checked.")) }
        @if can_propose { p { a href=(l.href("/dobre-praktyki/nowa")) { (l.t("Zgłoś dobrą praktykę", "Propose a good practice")) } } }
        @if let Some(n) = notice_words(l, uri.query()) { p.box role="status" { (n) } }
        form.controls method="get" action=(PATH) aria-label=(l.t("Szukaj dobrych praktyk", "Search good practices")) {
            @if l.en { input type="hidden" name="lang" value="en"; }
            label for="wskaznik" { (l.t("Wskaźnik", "Indicator"))
                select id="wskaznik" name="wskaznik" {
                    option value="" selected[indicator.is_none()] { (l.t("— wszystkie —", "— all —")) }
                    @for i in sorted_indicators(l, &c) {
                        @let code = &c.definitions[i].code;
                        option value=(code) selected[indicator == Some(code.as_str())] { (indicator_name(l, &c, i)) }
                    }
                }
            }
            label for="q" { (l.t("Słowa w tytule lub opisie", "Words in the title or description"))
                input id="q" name="q" type="search" maxlength="200" value=(text.unwrap_or(""));
            }
            label for="jst" { (l.t("Jednostka (kod TERYT)", "Unit (TERYT code)"))
                input id="jst" name="jst" type="text" inputmode="numeric" size="9" autocomplete="off" value=(unit_text.unwrap_or(""));
            }
            @if verifier {
                label for="status" { (l.t("Status", "Status"))
                    select id="status" name="status" {
                        option value="" selected[status.is_none()] { (l.t("— każdy —", "— any —")) }
                        @for s in pr::STATUSES { option value=(s) selected[status == Some(s)] { (status_words(l, s)) } }
                    }
                }
            }
            button type="submit" { (l.t("Szukaj", "Search")) }
        }
        p role="status" { (l.t("Znaleziono: ", "Found: ")) (l.count(shown.len(), ["praktyka", "praktyki", "praktyk"], ["practice", "practices"])) "." }
        @if !shown.is_empty() {
            div.scroll tabindex="0" role="region" aria-labelledby="praktyki-cap" {
                table.stack {
                    caption id="praktyki-cap" { (l.t("Dobre praktyki", "Good practices")) }
                    thead { tr {
                        th scope="col" { (l.t("Tytuł", "Title")) }
                        th scope="col" { (l.t("Jednostka", "Unit")) }
                        th scope="col" { (l.t("Wskaźniki", "Indicators")) }
                        th scope="col" class="num" { (l.t("Od roku", "Since")) }
                        th scope="col" { (l.t("Status", "Status")) }
                    } }
                    tbody {
                        @for v in &shown {
                            tr {
                                th scope="row" { a href=(l.href(&practice_path(v.row.id))) { (v.row.fields.title) } }
                                td data-label=(l.t("Jednostka", "Unit")) { a href=(l.href(&format!("/jst/{}", v.unit_code))) { (v.unit_name) } }
                                td data-label=(l.t("Wskaźniki", "Indicators")) { (indicator_links(l, v)) }
                                td.num data-label=(l.t("Od roku", "Since")) { (v.row.fields.start_year.map(|y| y.to_string()).unwrap_or_else(|| "—".into())) }
                                td data-label=(l.t("Status", "Status")) { (status_badge(l, &v.row.status)) }
                            }
                        }
                    }
                }
            }
        }
    };
    respond(&ctx, uri.path(), StatusCode::OK, title, body)
}

/// The catalogue's indicators by name.
fn sorted_indicators(l: L, c: &Computed) -> Vec<usize> {
    let mut all: Vec<usize> = (0..c.definitions.len()).collect();
    all.sort_by(|&a, &b| indicator_name(l, c, a).cmp(indicator_name(l, c, b)));
    all
}

fn indicator_links(l: L, v: &PracticeView) -> Markup {
    html! {
        @for (k, ind) in v.indicators.iter().enumerate() {
            @if k > 0 { ", " }
            a href=(l.href(&format!("/wskaznik/{}", ind.code))) { (l.t(&ind.name_pl, if ind.name_en.is_empty() { &ind.name_pl } else { &ind.name_en })) }
        }
    }
}

/// The units a user may choose on the new-practice form: those they plan for (by name), or
/// a typed code when they plan for every unit.
fn unit_input(user: &CurrentUser, c: &Computed) -> UnitInput<'static> {
    match user.scope(Action::Plan) {
        Scope::All => UnitInput::Code,
        Scope::Units(ids) => {
            let mut units: Vec<(String, String)> = c
                .unit_ids
                .iter()
                .enumerate()
                .filter(|(_, id)| ids.binary_search(id).is_ok())
                .map(|(u, _)| (c.codes[u].as_str().to_owned(), c.names[u].clone()))
                .collect();
            units.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
            if units.is_empty() { UnitInput::Code } else { UnitInput::Choose(units) }
        }
    }
}

/// The new-practice page.
fn new_page(l: L, csrf: &str, c: &Computed, form: &PracticeForm, errors: &[FieldError], unit: &UnitInput<'_>, after_post: bool) -> (String, Markup) {
    let base = l.t("Nowa dobra praktyka", "New good practice");
    let title = if errors.is_empty() { base.to_owned() } else { format!("{} {base}", l.t("Błąd:", "Error:")) };
    let body = html! {
        p { a href=(l.href(PATH)) { "← " (l.t("Dobre praktyki", "Good practices")) } }
        h1 { (base) }
        p { (l.t("Opisz, co jednostka zrobiła, by poprawić wskaźniki. Po zapisaniu praktyka czeka na weryfikację; publicznie będzie widoczna po niej.",
                 "Describe what the unit did to improve its indicators. Once saved the practice waits for verification; it becomes public after it.")) }
        (error_summary(l, errors, after_post))
        form method="post" action=(l.href("/dobre-praktyki/nowa")) novalidate {
            (csrf_input(csrf))
            (form_fields(l, c, form, errors, unit))
            p { button type="submit" { (l.t("Zgłoś praktykę", "Propose the practice")) } }
        }
    };
    (title, body)
}

/// `GET /dobre-praktyki/nowa` (`?jst=CODE&wskaznik=CODE` fill the form in).
async fn new_get(State(state): State<Arc<AppState>>, ctx: Ctx, uri: axum::http::Uri, query: Result<Query<ListQuery>, QueryRejection>) -> Response {
    let user = match ctx.require_any(Action::Plan) {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    let c = match snapshot(&state) {
        Ok(c) => c,
        Err(e) => return ctx.error(e),
    };
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let form = PracticeForm {
        unit: query.jst.unwrap_or_default().trim().to_owned(),
        indicators: query.wskaznik.into_iter().map(|w| w.trim().to_owned()).filter(|w| c.snapshot.indicator_index(w).is_some()).collect(),
        ..PracticeForm::default()
    };
    let (title, body) = new_page(ctx.lang, &ctx.csrf, &c, &form, &[], &unit_input(user, &c), false);
    respond(&ctx, uri.path(), StatusCode::OK, &title, body)
}

/// The form's pairs; a form too large is a 400 naming it.
fn pairs_of(l: L, form: Result<Form<Vec<(String, String)>>, FormRejection>) -> Result<Vec<(String, String)>, WebError> {
    match form {
        Ok(Form(p)) => Ok(p),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(WebError::BadRequest(l.t("formularz jest za duży", "the form is too large").to_owned()))
        }
        Err(_) => Ok(Vec::new()),
    }
}

fn csrf_of(pairs: &[(String, String)]) -> &str {
    pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("")
}

/// `POST /dobre-praktyki/nowa`: CSRF, then `Action::Plan` on the chosen unit, then the
/// use-case; refused input is the form again (400) with each error at its field.
async fn new_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: axum::http::Uri,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = match pairs_of(l, form) {
        Ok(p) => p,
        Err(e) => return ctx.error(e),
    };
    if let Err(e) = ctx.check_csrf(csrf_of(&pairs)) {
        return ctx.error(e);
    }
    let user = match ctx.require_any(Action::Plan) {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    let c = match snapshot(&state) {
        Ok(c) => c,
        Err(e) => return ctx.error(e),
    };
    let sent = PracticeForm::from_pairs(&pairs);
    let again = |errors: Vec<FieldError>| {
        let (title, body) = new_page(l, &ctx.csrf, &c, &sent, &errors, &unit_input(user, &c), true);
        respond(&ctx, uri.path(), StatusCode::BAD_REQUEST, &title, body)
    };
    let unit_id = match TerytCode::parse_lenient(&sent.unit) {
        Ok(code) => match state.store.unit_id_for_code(&code).await {
            Ok(Some(id)) => id,
            Ok(None) => return again(vec![FieldError::new("jst", "nie ma jednostki o tym kodzie", "no unit has this code")]),
            Err(e) => return ctx.error(WebError::from(e)),
        },
        Err(_) => {
            return again(vec![FieldError::new("jst", "podaj kod TERYT jednostki, np. 0201011", "give the unit's TERYT code, e.g. 0201011")]);
        }
    };
    let user = match ctx.require(Action::Plan, unit_id) {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    let fields = match sent.fields(unit_id) {
        Ok(f) => f,
        Err(errors) => return again(errors),
    };
    match pr::add_practice(&state.store, &c, &fields, &user.actor(ctx.address.clone())).await {
        Ok(id) => see_other(l, &practice_path(id), "dodano"),
        Err(app::AppError::Invalid(why)) => again(vec![FieldError::from_app(&why)]),
        Err(e) => ctx.error(app_fail(e)),
    }
}

/// What a practice's page shows beside the practice: the errors of a refused edit or
/// verification, what was sent, and the message of a redirect.
#[derive(Default)]
struct ShowState {
    edit: Option<PracticeForm>,
    edit_errors: Vec<FieldError>,
    verify_errors: Vec<FieldError>,
    verify_status: String,
    verify_note: String,
    notice: Option<&'static str>,
}

/// A practice's page: everything about it, the indicators' values of its unit before and
/// after its start year, and the forms the reader's roles allow.
fn show_page(l: L, ctx: &Ctx, c: &Computed, v: &PracticeView, st: &ShowState) -> (String, Markup) {
    let row = &v.row;
    let f = &row.fields;
    let user = ctx.user.as_ref();
    let can_edit = user.is_some_and(|u| u.can(Action::Plan, f.unit_id));
    let can_verify = user.is_some_and(|u| u.can(Action::Verify, f.unit_id));
    let has_errors = !st.edit_errors.is_empty() || !st.verify_errors.is_empty();
    let title = if has_errors { format!("{} {}", l.t("Błąd:", "Error:"), f.title) } else { f.title.clone() };
    let path = practice_path(row.id);
    let body = html! {
        p { a href=(l.href(PATH)) { "← " (l.t("Dobre praktyki", "Good practices")) } }
        h1 { (f.title) }
        @if let Some(n) = st.notice { p.box role="status" { (n) } }
        dl.facts {
            div { dt { (l.t("Jednostka", "Unit")) } dd { a href=(l.href(&format!("/jst/{}", v.unit_code))) { (v.unit_name) } " (" (v.unit_code) ")" } }
            div { dt { (l.t("Status", "Status")) } dd { (status_badge(l, &row.status)) } }
            div { dt { (l.t("Rok rozpoczęcia", "Start year")) } dd { (f.start_year.map(|y| y.to_string()).unwrap_or_else(|| l.t("nie podano", "not given").to_owned())) } }
            @if let Some(at) = &row.verified_at { div { dt { (l.t("Zweryfikowano", "Verified")) } dd { (at.replace('T', " ").chars().take(10).collect::<String>()) } } }
        }
        @if row.status != "verified" {
            p.box role="note" { (l.t("Ta praktyka nie jest publiczna: widzą ją tylko osoby planujące w jednostce i weryfikatorzy.", "This practice is not public: only the unit's planners and the verifiers see it.")) }
        }
        @if let Some(note) = row.status_note.as_deref().filter(|n| !n.is_empty() && (can_edit || can_verify)) {
            p { strong { (l.t("Uwaga weryfikatora: ", "The verifier's note: ")) } (note) }
        }
        h2 { (l.t("Opis", "Description")) }
        p style="white-space:pre-wrap" { (f.description) }
        @if let Some(contact) = f.contact.as_deref().filter(|c| !c.is_empty()) {
            h2 { (l.t("Kontakt", "Contact")) }
            p { (contact) }
        }
        @if !f.links.is_empty() {
            h2 { (l.t("Linki", "Links")) }
            ul { @for link in &f.links { li { (outside_link(link)) } } }
        }
        h2 { (l.t("Wskaźniki", "Indicators")) }
        @if v.indicators.is_empty() { p { (l.t("Nie wskazano wskaźników.", "No indicators given.")) } }
        @else { p { (indicator_links(l, v)) } }
        (before_after(l, c, v))
        @if can_edit {
            @let form = st.edit.clone().unwrap_or_else(|| PracticeForm::of(v));
            section aria-labelledby="edycja-h" {
                h2 id="edycja-h" { (l.t("Popraw praktykę", "Edit the practice")) }
                p.small { (l.t("Po zapisaniu zmian praktyka wraca do weryfikacji.", "Once the changes are saved the practice goes back to verification.")) }
                (error_summary(l, &st.edit_errors, !st.edit_errors.is_empty()))
                form method="post" action=(l.href(&path)) novalidate {
                    (csrf_input(&ctx.csrf))
                    (form_fields(l, c, &form, &st.edit_errors, &UnitInput::Fixed { code: &v.unit_code, name: &v.unit_name }))
                    p { button type="submit" { (l.t("Zapisz zmiany", "Save the changes")) } }
                }
            }
        }
        @if can_verify {
            @let err = |field: &str| st.verify_errors.iter().find(|e| e.field == field);
            section aria-labelledby="weryfikacja-h" {
                h2 id="weryfikacja-h" { (l.t("Weryfikacja", "Verification")) }
                (error_summary(l, &st.verify_errors, !st.verify_errors.is_empty() && st.edit_errors.is_empty()))
                form method="post" action=(l.href(&format!("{path}/weryfikacja"))) novalidate {
                    (csrf_input(&ctx.csrf))
                    fieldset id="status" aria-describedby=[err("status").map(|_| "status-blad")] {
                        legend { (l.t("Decyzja", "Decision")) }
                        @if let Some(e) = err("status") { p.bad id="status-blad" { span.sr { (l.t("Błąd: ", "Error: ")) } (l.t(&e.pl, &e.en)) } }
                        @for (value, pl, en) in [("verified", "zweryfikowana — praktyka będzie publiczna", "verified — the practice becomes public"), ("rejected", "odrzucona", "rejected")] {
                            @let id = format!("status-{value}");
                            p {
                                input id=(id) type="radio" name="status" value=(value) checked[st.verify_status == value];
                                " " label for=(id) { (l.t(pl, en)) }
                            }
                        }
                    }
                    p {
                        label for="uwaga" { (l.t("Uwaga (wymagana przy odrzuceniu)", "A note (required to reject)")) } br;
                        @if let Some(e) = err("uwaga") { span.bad id="uwaga-blad" { span.sr { (l.t("Błąd: ", "Error: ")) } (l.t(&e.pl, &e.en)) } br; }
                        textarea id="uwaga" name="uwaga" rows="3" maxlength="4000"
                            aria-invalid=[err("uwaga").map(|_| "true")] aria-describedby=[err("uwaga").map(|_| "uwaga-blad")] { (st.verify_note) }
                    }
                    p { button type="submit" { (l.t("Zapisz decyzję", "Save the decision")) } }
                }
            }
        }
    };
    (title, body)
}

/// A year index and the value in it, if any.
type YearValue = Option<(usize, f64)>;

/// The newest year index at or before `to` (and not before `from`) where unit `u` has a
/// value of indicator `i`.
fn newest_with_value(c: &Computed, i: usize, u: usize, from: usize, to: usize) -> Option<(usize, f64)> {
    (from..=to).rev().find_map(|y| c.snapshot.value(i, u, y).map(|v| (y, v)))
}

/// The unit's values of the practice's indicators before its start year (the newest
/// before it) and after (the newest since), with the change judged by polarity.
fn before_after(l: L, c: &Computed, v: &PracticeView) -> Markup {
    let s = &c.snapshot;
    let Some(start) = v.row.fields.start_year else {
        return html! {};
    };
    let (Some(u), Some(last)) = (c.unit_index(&v.unit_code), s.years().checked_sub(1)) else {
        return html! {};
    };
    let first = s.first_year() as i64;
    // Year indices: before the start, and from the start on.
    let before_to = (start - 1 - first).min(last as i64);
    let after_from = (start - first).max(0);
    let rows: Vec<(usize, YearValue, YearValue)> = v
        .indicators
        .iter()
        .filter_map(|ind| s.indicator_index(&ind.code))
        .filter(|&i| s.indicator(i).applies[u])
        .map(|i| {
            let before = (before_to >= 0).then(|| newest_with_value(c, i, u, 0, before_to as usize)).flatten();
            let after = (after_from <= last as i64).then(|| newest_with_value(c, i, u, after_from as usize, last)).flatten();
            (i, before, after)
        })
        .collect();
    if rows.is_empty() {
        return html! {};
    }
    let year = |y: usize| s.first_year() + y as i32;
    let caption = format!("{} {start}", l.t("Wartości wskaźników jednostki przed i po roku", "The unit's indicator values before and after"));
    html! {
        h2 id="przed-po" { (l.t("Przed i po", "Before and after")) }
        div.scroll tabindex="0" role="region" aria-labelledby="przed-po-cap" {
            table.stack {
                caption id="przed-po-cap" { (caption) }
                thead { tr {
                    th scope="col" { (l.t("Wskaźnik", "Indicator")) }
                    th scope="col" class="num" { (l.t("Przed", "Before")) }
                    th scope="col" class="num" { (l.t("Po (ostatnie dane)", "After (latest data)")) }
                    th scope="col" class="num" { (l.t("Zmiana", "Change")) }
                    th scope="col" { (l.t("Ocena", "Judgement")) }
                } }
                tbody {
                    @for (i, before, after) in &rows {
                        @let d = &c.definitions[*i];
                        tr {
                            th scope="row" { a href=(l.href(&format!("/wskaznik/{}?jst={}", d.code, v.unit_code))) { (indicator_name(l, c, *i)) } " " span.small.muted { "(" (measure(l, c, *i)) ")" } }
                            td.num data-label=(l.t("Przed", "Before")) { @match before { Some((y, x)) => { (l.num(*x, d.decimals)) " " span.small { "(" (year(*y)) ")" } }, None => { "—" } } }
                            td.num data-label=(l.t("Po", "After")) { @match after { Some((y, x)) => { (l.num(*x, d.decimals)) " " span.small { "(" (year(*y)) ")" } }, None => { "—" } } }
                            @let change = before.zip(*after).map(|(b, a)| a.1 - b.1);
                            td.num data-label=(l.t("Zmiana", "Change")) { (change.map(|ch| l.change(ch, d.decimals)).unwrap_or_else(|| "—".into())) }
                            td data-label=(l.t("Ocena", "Judgement")) { @if let Some(ch) = change { (change_words(l, s.indicator(*i).polarity, ch)) } @else { (l.t("brak danych", "no data")) } }
                        }
                    }
                }
            }
        }
        p.small.muted { (l.t("Zmiana wskaźnika nie dowodzi, że spowodowała ją praktyka: w tym samym czasie zmieniały się też inne jednostki. Porównanie z grupą pokazuje strona oceny zmian.",
                             "A change of the indicator does not prove the practice caused it: other units changed over the same years too. The re-evaluation page compares with the group.")) }
    }
}

/// The practice of a path, if the reader may see it (else 404, as if it did not exist).
async fn visible_practice(state: &AppState, ctx: &Ctx, c: &Computed, path: Result<Path<String>, PathRejection>) -> Result<PracticeView, WebError> {
    let id: i64 = path.ok().and_then(|Path(id)| id.parse().ok()).ok_or(WebError::NotFound)?;
    let v = pr::practice(&state.store, c, id).await.map_err(app_fail)?.ok_or(WebError::NotFound)?;
    if !may_see(ctx.user.as_ref(), &v.row.status, v.row.fields.unit_id) {
        return Err(WebError::NotFound);
    }
    Ok(v)
}

/// `GET /dobre-praktyki/{id}`.
async fn show(State(state): State<Arc<AppState>>, ctx: Ctx, uri: axum::http::Uri, path: Result<Path<String>, PathRejection>) -> Response {
    let c = match snapshot(&state) {
        Ok(c) => c,
        Err(e) => return ctx.error(e),
    };
    let v = match visible_practice(&state, &ctx, &c, path).await {
        Ok(v) => v,
        Err(e) => return ctx.error(e),
    };
    let st = ShowState { notice: notice_words(ctx.lang, uri.query()), ..ShowState::default() };
    let (title, body) = show_page(ctx.lang, &ctx, &c, &v, &st);
    respond(&ctx, uri.path(), StatusCode::OK, &title, body)
}

/// `POST /dobre-praktyki/{id}`: the edit (CSRF, then `Action::Plan` on its unit).
async fn edit_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: axum::http::Uri,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = match pairs_of(l, form) {
        Ok(p) => p,
        Err(e) => return ctx.error(e),
    };
    if let Err(e) = ctx.check_csrf(csrf_of(&pairs)) {
        return ctx.error(e);
    }
    let c = match snapshot(&state) {
        Ok(c) => c,
        Err(e) => return ctx.error(e),
    };
    let v = match visible_practice(&state, &ctx, &c, path).await {
        Ok(v) => v,
        // A reader who may not see it learns nothing more than a reader who may not edit it.
        Err(WebError::NotFound) if ctx.user.is_none() => return ctx.error(WebError::LoginRequired { next: ctx.here() }),
        Err(e) => return ctx.error(e),
    };
    let user = match ctx.require(Action::Plan, v.row.fields.unit_id) {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    // The unit of a practice does not change, whatever the form says.
    let sent = PracticeForm { unit: v.unit_code.clone(), ..PracticeForm::from_pairs(&pairs) };
    let again = |errors: Vec<FieldError>| {
        let st = ShowState { edit: Some(sent.clone()), edit_errors: errors, ..ShowState::default() };
        let (title, body) = show_page(l, &ctx, &c, &v, &st);
        respond(&ctx, uri.path(), StatusCode::BAD_REQUEST, &title, body)
    };
    let fields = match sent.fields(v.row.fields.unit_id) {
        Ok(f) => f,
        Err(errors) => return again(errors),
    };
    match pr::update_practice(&state.store, &c, v.row.id, &fields, &user.actor(ctx.address.clone())).await {
        Ok(()) => {
            // The cached indicator pages and cards list verified practices: forget them.
            state.cache.clear();
            see_other(l, &practice_path(v.row.id), "zapisano")
        }
        Err(app::AppError::Invalid(why)) => again(vec![FieldError::from_app(&why)]),
        Err(e) => ctx.error(app_fail(e)),
    }
}

/// `POST /dobre-praktyki/{id}/weryfikacja`: `status` = verified | rejected, `uwaga` (CSRF,
/// then `Action::Verify` on its unit).
async fn verify_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: axum::http::Uri,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = match pairs_of(l, form) {
        Ok(p) => p,
        Err(e) => return ctx.error(e),
    };
    if let Err(e) = ctx.check_csrf(csrf_of(&pairs)) {
        return ctx.error(e);
    }
    let c = match snapshot(&state) {
        Ok(c) => c,
        Err(e) => return ctx.error(e),
    };
    let v = match visible_practice(&state, &ctx, &c, path).await {
        Ok(v) => v,
        Err(WebError::NotFound) if ctx.user.is_none() => return ctx.error(WebError::LoginRequired { next: ctx.here() }),
        Err(e) => return ctx.error(e),
    };
    let user = match ctx.require(Action::Verify, v.row.fields.unit_id) {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    let status = get("status");
    let note = get("uwaga");
    let page_path = uri.path().trim_end_matches("/weryfikacja").to_owned();
    let again = |errors: Vec<FieldError>| {
        let st = ShowState { verify_errors: errors, verify_status: status.clone(), verify_note: note.clone(), ..ShowState::default() };
        let (title, body) = show_page(l, &ctx, &c, &v, &st);
        respond(&ctx, &page_path, StatusCode::BAD_REQUEST, &title, body)
    };
    if !matches!(status.as_str(), "verified" | "rejected") {
        return again(vec![FieldError::new("status", "wybierz: zweryfikowana albo odrzucona", "choose: verified or rejected")]);
    }
    let note_opt = Some(note.as_str()).filter(|n| !n.is_empty());
    match pr::verify_practice(&state.store, v.row.id, &status, note_opt, &user.actor(ctx.address.clone())).await {
        Ok(()) => {
            state.cache.clear();
            see_other(l, &practice_path(v.row.id), "zweryfikowano")
        }
        Err(app::AppError::Invalid(why)) => again(vec![FieldError::from_app(&why)]),
        Err(e) => ctx.error(app_fail(e)),
    }
}

// ---------------------------------------------------------------------------------------
// The public pieces of the cached pages: verified practices only, the same for every reader.

/// The indicator page's section "Liderzy i najwięksi poprawiający": the leaders of `within`
/// in year index `y`, its biggest improvers over 3 and 5 years (each with its verified
/// practices), and the verified practices linked to the indicator. `group_words` names
/// `within` for the reader.
pub(crate) async fn learn_section(
    store: &Store,
    c: &Computed,
    l: L,
    i: usize,
    y: usize,
    within: Within<'_>,
    group_words: &str,
) -> Result<Markup, crate::PageError> {
    let s = &c.snapshot;
    let d = &c.definitions[i];
    let polarity = s.indicator(i).polarity;
    let year = s.first_year() + y as i32;
    let leaders = pr::leaders(c, i, within, y, 5)?;
    let mut spans = Vec::new();
    for span in [3usize, 5] {
        spans.push((span, pr::improvers(store, c, i, within, y, span, 5).await?));
    }
    let filter = PracticeFilter { indicator: Some(d.code.clone()), status: Some("verified".into()), ..PracticeFilter::default() };
    // Verified only, whatever a query returns.
    let practices: Vec<PracticeView> = pr::practices(store, c, &filter).await?.into_iter().filter(|v| v.row.status == "verified").collect();
    let fmt = |v: f64| l.num(v, d.decimals);
    let unit_link = |u: usize, name: &str| html! { a href=(l.href(&format!("/jst/{}", c.codes[u]))) { (name) } };
    Ok(html! {
        section aria-labelledby="liderzy-poprawa" {
            h2 id="liderzy-poprawa" { (l.t("Liderzy i najwięksi poprawiający", "Leaders and biggest improvers")) }
            p { (group_words) ", " (year) ". " (l.t("Ucz się od najlepszych i od tych, którzy poprawili się najbardziej.", "Learn from the best and from those who improved most.")) }
            @if polarity == Polarity::Neutral {
                p { (l.t("Wskaźnik neutralny: nie ocenia się, która wartość jest lepsza, więc nie ma liderów ani poprawiających.", "A neutral indicator: no value is judged better, so there are no leaders or improvers.")) }
            } @else {
                h3 id="liderzy-tab" { (l.t("Liderzy", "Leaders")) }
                @if leaders.is_empty() { p { (l.t("Brak wartości w tym roku.", "No values this year.")) } }
                @else {
                    div.scroll tabindex="0" role="region" aria-labelledby="liderzy-cap" {
                        table.stack {
                            caption id="liderzy-cap" { (l.t("Najlepsze wartości", "The best values")) " (" (l.polarity(polarity)) "), " (year) }
                            thead { tr {
                                th scope="col" class="num" { (l.t("Miejsce", "Rank")) }
                                th scope="col" { (l.t("Jednostka", "Unit")) }
                                th scope="col" class="num" { (l.t("Wartość", "Value")) " (" (measure(l, c, i)) ")" }
                            } }
                            tbody {
                                @for r in &leaders {
                                    tr {
                                        td.num data-label=(l.t("Miejsce", "Rank")) { (r.rank) }
                                        th scope="row" { (unit_link(r.unit, &r.name)) }
                                        td.num data-label=(l.t("Wartość", "Value")) { (fmt(r.value)) }
                                    }
                                }
                            }
                        }
                    }
                }
                @for (span, list) in &spans {
                    @let id = format!("poprawa-{span}");
                    h3 id=(id) { (l.t("Najwięksi poprawiający w ciągu", "Biggest improvers over")) " " (span) " " (l.t("lat", "years")) " (" (year - *span as i32) "–" (year) ")" }
                    @if list.is_empty() {
                        p { (l.t("Nikt w tej grupie nie poprawił się w tym okresie albo brakuje danych sprzed ", "Nobody in this group improved over this period, or data are missing from ")) (year - *span as i32) "." }
                    } @else {
                        div.scroll tabindex="0" role="region" aria-labelledby={ (id) "-cap" } {
                            table.stack {
                                caption id={ (id) "-cap" } { (l.t("Największa poprawa", "The largest improvement")) ", " (year - *span as i32) "–" (year) }
                                thead { tr {
                                    th scope="col" { (l.t("Jednostka", "Unit")) }
                                    th scope="col" class="num" { (year - *span as i32) }
                                    th scope="col" class="num" { (year) }
                                    th scope="col" class="num" { (l.t("Zmiana", "Change")) }
                                    th scope="col" { (l.t("Dobre praktyki", "Good practices")) }
                                } }
                                tbody {
                                    @for m in list {
                                        tr {
                                            th scope="row" { (unit_link(m.unit, &m.name)) }
                                            td.num data-label=(year - *span as i32) { (fmt(m.from)) }
                                            td.num data-label=(year) { (fmt(m.to)) }
                                            td.num data-label=(l.t("Zmiana", "Change")) { (l.change(m.to - m.from, d.decimals)) " " (change_words(l, polarity, m.to - m.from)) }
                                            td data-label=(l.t("Dobre praktyki", "Good practices")) { (practice_titles(l, &m.practices)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h3 id="dobre-praktyki" { (l.t("Dobre praktyki", "Good practices")) }
            @if practices.is_empty() {
                p { (l.t("Nie ma jeszcze zweryfikowanych dobrych praktyk dla tego wskaźnika.", "There are no verified good practices for this indicator yet.")) }
            } @else {
                ul {
                    @for v in &practices {
                        li {
                            a href=(l.href(&practice_path(v.row.id))) { (v.row.fields.title) }
                            " — " (v.unit_name)
                            @if let Some(y) = v.row.fields.start_year { " (" (l.t("od", "since")) " " (y) ")" }
                        }
                    }
                }
            }
            p.small {
                a href=(l.href(&format!("{PATH}?wskaznik={}", q(&d.code)))) { (l.t("Szukaj dobrych praktyk", "Search good practices")) }
                " · "
                a href=(l.href(&format!("/dobre-praktyki/nowa?wskaznik={}", q(&d.code)))) { (l.t("Zgłoś dobrą praktykę", "Propose a good practice")) }
            }
        }
    })
}

/// Verified practices' titles, each a link (or a dash).
fn practice_titles(l: L, list: &[PracticeView]) -> Markup {
    let verified: Vec<&PracticeView> = list.iter().filter(|v| v.row.status == "verified").collect();
    html! {
        @if verified.is_empty() { span.muted { "—" } }
        @for (k, v) in verified.iter().enumerate() {
            @if k > 0 { "; " }
            a href=(l.href(&practice_path(v.row.id))) { (v.row.fields.title) }
        }
    }
}

/// The units of a group that improved on an indicator the diagnosis found weak.
#[derive(Debug, Clone)]
pub(crate) struct ImprovedHere {
    pub indicator: String,
    /// Over how many years (5, or 3 when 5 years give nobody).
    pub span: usize,
    pub units: Vec<pr::Improver>,
}

/// For each weakness of the diagnosis: the top 3 improvers of `group` over 5 years (over 3
/// when 5 give nobody), the unit itself left out, each with its verified practices. A
/// failure leaves a weakness without the list (the card still answers).
pub(crate) async fn improved_here(store: &Store, c: &Computed, d: &app::UnitDiagnosis, group: &PeerGroup, y: usize) -> Vec<ImprovedHere> {
    let s = &c.snapshot;
    let me = c.unit_index(&d.unit_code);
    let mut out = Vec::new();
    for f in &d.weaknesses {
        let Some(i) = s.indicator_index(&f.indicator) else { continue };
        for span in [5usize, 3] {
            match pr::improvers(store, c, i, Within::Group(group), y, span, 4).await {
                Ok(list) => {
                    let units: Vec<pr::Improver> = list.into_iter().filter(|m| Some(m.unit) != me).take(3).collect();
                    if !units.is_empty() {
                        out.push(ImprovedHere { indicator: f.indicator.clone(), span, units });
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!("improvers of {} not found: {e}", f.indicator);
                    break;
                }
            }
        }
    }
    out
}

/// Under a weakness on the card: "JST podobne do Twojej, które się tu poprawiły", the units
/// with their change and their verified practices' titles.
pub(crate) fn improved_here_list(l: L, c: &Computed, item: &ImprovedHere) -> Markup {
    let Some(i) = c.snapshot.indicator_index(&item.indicator) else {
        return html! {};
    };
    let d = &c.definitions[i];
    let polarity = c.snapshot.indicator(i).polarity;
    let any_practice = item.units.iter().any(|m| m.practices.iter().any(|p| p.row.status == "verified"));
    html! {
        div.small.improved {
            p style="margin:.25rem 0 0" {
                strong {
                    (l.t("JST podobne do Twojej, które się tu poprawiły", "Units like yours that improved here"))
                    @if any_practice { (l.t(", i co zrobiły", ", and what they did")) }
                }
                " (" (l.t("w ciągu", "over")) " " (item.span) " " (l.t("lat", "years")) ")"
            }
            ul style="margin:.1rem 0 .5rem" {
                @for m in &item.units {
                    li {
                        a href=(l.href(&format!("/jst/{}", m.code))) { (m.name) } ": "
                        (l.num(m.from, d.decimals)) " → " (l.num(m.to, d.decimals)) " (" (change_words(l, polarity, m.to - m.from)) ")"
                        @let verified: Vec<&PracticeView> = m.practices.iter().filter(|p| p.row.status == "verified").collect();
                        @if !verified.is_empty() {
                            " — "
                            @for (k, p) in verified.iter().enumerate() {
                                @if k > 0 { "; " }
                                a href=(l.href(&practice_path(p.row.id))) { (p.row.fields.title) }
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The API.

/// A unit, as a practice names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PracticeUnitDto {
    /// TERYT code.
    pub code: String,
    pub name: String,
}

/// An indicator a practice affects.
#[derive(Debug, Serialize, ToSchema)]
pub struct PracticeIndicatorDto {
    pub code: String,
    pub name_pl: String,
    pub name_en: String,
}

/// A verified good practice.
#[derive(Debug, Serialize, ToSchema)]
pub struct PracticeDto {
    pub id: i64,
    pub title: String,
    pub unit: PracticeUnitDto,
    pub indicators: Vec<PracticeIndicatorDto>,
    pub description: String,
    pub contact: Option<String>,
    /// Addresses (http or https).
    pub links: Vec<String>,
    /// The year it began, when known.
    pub start_year: Option<i64>,
    /// Always `verified` here.
    pub status: String,
    /// When it was verified (ISO 8601).
    pub verified_at: Option<String>,
    /// Its page on the portal.
    pub page: String,
}

/// Verified good practices, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PracticeList {
    pub total: usize,
    pub items: Vec<PracticeDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PracticesParams {
    /// Only practices affecting this indicator (its code).
    #[param(value_type = Option<String>, pattern = "@indicator")]
    indicator: Option<String>,
    /// Only practices of this unit (TERYT code).
    #[param(value_type = Option<String>, pattern = "@teryt")]
    unit: Option<String>,
    /// Words in the title or the description (case and Polish letters do not matter).
    #[param(max_length = 200)]
    q: Option<String>,
}

/// A JSON error answer made here (the API's own constructors of a server error are its).
fn api_server_error(detail: impl std::fmt::Display) -> Response {
    tracing::error!("api practices: {detail}");
    let body = ApiErrorBody { code: "server_error".into(), message: "try again in a moment".into(), parameter: None };
    (StatusCode::INTERNAL_SERVER_ERROR, [(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response()
}

fn api_app_error(parameter: &str, e: app::AppError) -> Response {
    match e {
        app::AppError::Invalid(m) => ApiError::bad(parameter, m).into_response(),
        app::AppError::NotFound(m) => ApiError::not_found(parameter, m).into_response(),
        app::AppError::Busy => ApiError::busy().into_response(),
        e => api_server_error(e),
    }
}

/// Verified good practices: those affecting an indicator, of a unit, or with words in them.
#[utoipa::path(get, path = "/api/v1/practices", tag = "practices", params(PracticesParams),
    responses((status = 200, description = "Zweryfikowane dobre praktyki / Verified good practices", body = PracticeList),
        (status = 400, description = "Zły parametr / Bad parameter", body = ApiErrorBody),
        (status = 404, description = "Nie ma takiego wskaźnika albo jednostki / No such indicator or unit", body = ApiErrorBody),
        (status = 503, description = "Brak danych / No snapshot yet", body = ApiErrorBody)))]
pub async fn api_practices(State(state): State<Arc<AppState>>, headers: HeaderMap, q: Result<Query<PracticesParams>, QueryRejection>) -> Response {
    let params = match q {
        Ok(Query(p)) => p,
        Err(e) => {
            let text = e.body_text();
            let detail = text.strip_prefix("Failed to deserialize query string: ").unwrap_or(&text).trim_start_matches(": ").to_owned();
            let parameter = detail.split('`').nth(1).filter(|p| !p.is_empty()).unwrap_or("query").to_owned();
            return ApiError::bad(&parameter, detail).into_response();
        }
    };
    let Some(c) = state.live.get() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CACHE_CONTROL, "no-store"), (header::RETRY_AFTER, "2")],
            axum::Json(ApiErrorBody {
                code: "not_ready".into(),
                message: "no indicator snapshot yet: import a catalogue and data, or wait for the build".into(),
                parameter: None,
            }),
        )
            .into_response();
    };
    let indicator = match params.indicator.as_deref() {
        None => None,
        Some(s) if s.is_empty() || s.len() > 32 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
            return ApiError::bad(
                "indicator",
                format!("`{}`: an indicator code is 1-32 letters, digits or `_`", s.chars().take(40).collect::<String>()),
            )
            .into_response();
        }
        Some(s) if c.snapshot.indicator_index(s).is_none() => {
            return ApiError::not_found("indicator", format!("no indicator {s} in the catalogue")).into_response();
        }
        Some(s) => Some(s.to_owned()),
    };
    let unit_id = match params.unit.as_deref() {
        None => None,
        Some(s) => {
            let code = match TerytCode::parse_lenient(s) {
                Ok(code) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric()) => code,
                _ => {
                    return ApiError::bad("unit", format!("`{}`: a TERYT code is PL or 2, 4 or 7 digits", s.chars().take(40).collect::<String>()))
                        .into_response();
                }
            };
            match state.store.unit_id_for_code(&code).await {
                Ok(Some(id)) => Some(id),
                Ok(None) => return ApiError::not_found("unit", format!("no unit {code}")).into_response(),
                Err(e) => return api_app_error("unit", app::AppError::from(e)),
            }
        }
    };
    let text = match params.q.as_deref() {
        Some(t) if t.chars().count() > 200 => return ApiError::bad("q", format!("{} characters, at most 200", t.chars().count())).into_response(),
        t => t.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned),
    };
    let filter = PracticeFilter { indicator, unit_id, status: Some("verified".into()), text };
    let found = match pr::practices(&state.store, &c, &filter).await {
        Ok(f) => f,
        Err(e) => return api_app_error("query", e),
    };
    let items: Vec<PracticeDto> = found
        .into_iter()
        .filter(|v| v.row.status == "verified")
        .map(|v| PracticeDto {
            id: v.row.id,
            page: practice_path(v.row.id),
            title: v.row.fields.title,
            unit: PracticeUnitDto { code: v.unit_code, name: v.unit_name },
            indicators: v.indicators.into_iter().map(|i| PracticeIndicatorDto { code: i.code, name_pl: i.name_pl, name_en: i.name_en }).collect(),
            description: v.row.fields.description,
            contact: v.row.fields.contact,
            links: v.row.fields.links,
            start_year: v.row.fields.start_year,
            status: v.row.status,
            verified_at: v.row.verified_at,
        })
        .collect();
    let list = PracticeList { total: items.len(), items };
    let body = match serde_json::to_vec(&list) {
        Ok(b) => b,
        Err(e) => return api_server_error(e),
    };
    let etag = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        body.hash(&mut h);
        format!("\"{:016x}\"", h.finish())
    };
    let tag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\""));
    let matches =
        headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (header::ETAG, tag),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60")),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    #[test]
    fn a_use_case_error_lands_at_its_field() {
        let e = FieldError::from_app("links: `ftp://x` is not an http(s) address");
        assert_eq!(e.field, "linki");
        assert!(e.pl.starts_with("Linki") && e.pl.contains("ftp://x"), "{}", e.pl);
        assert!(e.en.starts_with("Links"), "{}", e.en);
        assert_eq!(FieldError::from_app("title: empty").field, "tytul");
        assert_eq!(FieldError::from_app("indicators: no XYZ").field, "wskazniki");
        assert_eq!(FieldError::from_app("something else").field, "formularz");
    }

    #[test]
    fn the_form_reads_repeated_indicators_and_a_year() {
        let pairs: Vec<(String, String)> =
            [("tytul", " CUW "), ("wskazniki", "A"), ("wskazniki", "B"), ("rok", "2019"), ("linki", "https://a.pl\n\n https://b.pl ")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let f = PracticeForm::from_pairs(&pairs);
        assert_eq!(f.title, "CUW");
        assert_eq!(f.indicators, ["A", "B"]);
        let fields = f.fields(7).unwrap();
        assert_eq!(fields.start_year, Some(2019));
        assert_eq!(fields.links, ["https://a.pl", "https://b.pl"]);
        assert_eq!(fields.unit_id, 7);
        let bad = PracticeForm { start_year: "dwa tysiące".into(), ..f };
        assert_eq!(bad.fields(7).unwrap_err()[0].field, "rok");
    }

    #[test]
    fn only_verified_practices_are_public() {
        assert!(may_see(None, "verified", 1));
        assert!(!may_see(None, "proposed", 1));
        assert!(!may_see(None, "rejected", 1));
        let planner = CurrentUser {
            id: 1,
            login: "p".into(),
            display_name: "p".into(),
            grants: vec![app::accounts::Grant { role: app::accounts::Role::Approver, unit_id: Some(5) }],
        };
        assert!(may_see(Some(&planner), "proposed", 5));
        assert!(!may_see(Some(&planner), "proposed", 6));
    }

    #[test]
    fn changes_are_judged_by_polarity() {
        let w = |p, ch| change_words(L::PL, p, ch).into_string();
        assert!(w(Polarity::LowerBetter, -1.0).contains("poprawa"));
        assert!(w(Polarity::HigherBetter, -1.0).contains("pogorszenie"));
        assert!(w(Polarity::HigherBetter, 0.0).contains("bez zmian"));
        assert!(w(Polarity::Neutral, 3.0).contains("neutralny"));
        assert!(change_words(L { en: true }, Polarity::HigherBetter, 2.0).into_string().contains("improvement"));
    }
}
