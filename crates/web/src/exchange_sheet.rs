//! Exchange groups (GWD, issue 19) on the web: the comparison sheet under letters (`/gwd/{id}/arkusz`,
//! its CSV and `GET /api/v1/exchange/cycles/{id}/sheet`), and the questions members ask about
//! one another's values (`/gwd/{id}/pytania…`: list, form, thread, reply, correction, close).
//!
//! Every page here is for the cycle's readers only — a role holder of a member unit, the
//! cycle's coordinator, an administrator — and 404 to everyone else, like an internal plan:
//! nobody else learns what the group compares. Who is named and who is a letter is decided by
//! `app::exchange` (`Viewer`, `label`, `comment_author`) alone; these pages only draw the
//! `Label` they are given, so a member never sees another unit's name, code or card link.
//! Pages are per user: `private, no-store`, never in the page cache. Every POST: the CSRF
//! token first, then the reader's right on the cycle and the question, then `app::exchange`
//! with the user as the actor (the store writes the audit rows).

use std::sync::Arc;

use app::accounts::{Action, CurrentUser};
use app::exchange::{
    self, CommentView, CycleView, Label, MemberState, MemberView, QuestionState, QuestionView, Sheet, SheetIndicator, SheetRow, Viewer,
};
use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, PreEscaped, html};

use crate::AppState;
use crate::auth::{Ctx, encode};
use crate::error::WebError;
use crate::i18n::L;

/// The longest question, reply or note taken (characters): a thread is a conversation, not a report.
const MAX_TEXT: usize = 4000;

/// The routes of the sheets and the questions.
pub fn routes() -> Router<Arc<AppState>> {
    // Written out so that `tests/access.rs` finds every POST route.
    Router::new()
        .route("/gwd/{id}/arkusz", get(sheet_page))
        .route("/gwd/{id}/arkusz.csv", get(sheet_csv))
        .route("/gwd/{id}/pytania", get(questions_page).post(ask_post))
        .route("/gwd/{id}/pytania/nowe", get(ask_page))
        .route("/gwd/{id}/pytania/{qid}", get(thread_page).post(reply_post))
        .route("/gwd/{id}/pytania/{qid}/korekta", post(correction_post))
        .route("/gwd/{id}/pytania/{qid}/zamknij", post(close_post))
        .route("/api/v1/exchange/cycles/{id}/sheet", get(api_sheet))
}

// ---------------------------------------------------------------------------------------
// Reading a request.

type Pairs = Vec<(String, String)>;

fn val<'a>(pairs: &'a Pairs, key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
}

fn form_pairs(form: Result<Form<Pairs>, FormRejection>) -> Pairs {
    form.map(|Form(p)| p).unwrap_or_default()
}

fn query_pairs(q: Result<Query<Pairs>, QueryRejection>) -> Result<Pairs, WebError> {
    q.map(|Query(p)| p).map_err(|_| WebError::BadRequest("rok, obszar, litera, wskaznik".into()))
}

/// A year from a parameter: empty is none, anything but a year 2000–2100 is refused by name.
fn year_param(text: &str, name: &str) -> Result<Option<i32>, WebError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)).map(Some).ok_or_else(|| WebError::BadRequest(format!("{name}={}", short(text))))
}

/// At most 40 characters of what a reader sent, for an error message.
fn short(text: &str) -> String {
    text.chars().take(40).collect()
}

/// A cycle's number from the path (anything else names no cycle).
fn id_of(text: &str) -> Result<i64, WebError> {
    text.parse::<i64>().ok().filter(|&id| id > 0).ok_or(WebError::NotFound)
}

/// The cycle a path names, with how the reader sees it: 404 unless the reader may read it
/// (a member unit's role holder, its coordinator, an administrator).
struct Cycle {
    view: CycleView,
    viewer: Viewer,
}

async fn readable(state: &AppState, ctx: &Ctx, id: &str) -> Result<Cycle, WebError> {
    let id = id_of(id)?;
    let view = exchange::cycle(&state.store, id).await.map_err(WebError::from)?.ok_or(WebError::NotFound)?;
    let viewer = Viewer::of(ctx.user.as_ref(), &view);
    if !viewer.may_read() {
        return Err(WebError::NotFound);
    }
    Ok(Cycle { view, viewer })
}

/// The question a path names, of this cycle only (another cycle's number is 404 here).
async fn question_of(state: &AppState, cycle: &Cycle, qid: &str) -> Result<QuestionView, WebError> {
    let qid = id_of(qid)?;
    let q = exchange::question(&state.store, qid).await.map_err(WebError::from)?.ok_or(WebError::NotFound)?;
    if q.cycle_id != cycle.view.id {
        return Err(WebError::NotFound);
    }
    Ok(q)
}

/// The values the sheet compares: the private view (approved but unpublished answers
/// included, as the group sees its own data before publication), or the public snapshot
/// while no private view has been built.
fn private_view(state: &AppState) -> Option<Arc<app::Private>> {
    state.live.private().or_else(|| {
        let (c, version) = state.live.get_versioned()?;
        Some(Arc::new(app::Private::public(c, version)))
    })
}

/// The sheet of a year (none: the cycle's own) as the reader sees it.
async fn sheet_of(state: &AppState, cycle: &Cycle, year: Option<i32>) -> Result<(Sheet, Arc<app::Private>, Vec<QuestionView>), WebError> {
    let private = private_view(state).ok_or(WebError::NotFound)?;
    let questions = exchange::questions(&state.store, cycle.view.id).await.map_err(WebError::from)?;
    let sheet = exchange::sheet(&cycle.view, &cycle.viewer, &private, year, &questions).map_err(WebError::from)?;
    Ok((sheet, private, questions))
}

// ---------------------------------------------------------------------------------------
// Words.

/// A label in words: "Uczestnik B" for a letter; for a named unit its name (and its letter).
fn label_text(l: L, label: &Label) -> String {
    match label {
        Label::Letter(letter) => format!("{} {letter}", l.t("Uczestnik", "Participant")),
        Label::Named { name, letter: Some(letter), .. } => format!("{letter}: {name}"),
        Label::Named { name, letter: None, .. } => name.clone(),
    }
}

/// A label as HTML: a named unit links to its card; a letter is only the letter.
fn label_html(l: L, label: &Label) -> Markup {
    match label {
        Label::Letter(_) => html! { (label_text(l, label)) },
        Label::Named { code, name, letter, .. } => html! {
            @if let Some(letter) = letter { strong { (letter) } ": " }
            a href=(l.href(&format!("/jst/{code}"))) { (name) }
        },
    }
}

/// How the reader sees the unit `unit_id` of the cycle (a unit that is no member: "—").
fn unit_label(cycle: &Cycle, unit_id: i64) -> Option<Label> {
    cycle.view.member(unit_id).map(|m| exchange::label(&cycle.viewer, m))
}

fn unit_html(l: L, cycle: &Cycle, unit_id: i64) -> Markup {
    match unit_label(cycle, unit_id) {
        Some(label) => label_html(l, &label),
        None => html! { "—" },
    }
}

/// Who asked: a member unit as the reader sees it, or the coordinator.
fn asker_html(l: L, cycle: &Cycle, q: &QuestionView) -> Markup {
    match q.asked_by_unit_id {
        Some(u) => unit_html(l, cycle, u),
        None => html! { (l.t("Koordynator", "Coordinator")) },
    }
}

fn state_words(l: L, s: QuestionState) -> &'static str {
    match s {
        QuestionState::Open => l.t("otwarte", "open"),
        QuestionState::Answered => l.t("z odpowiedzią", "answered"),
        QuestionState::Correcting => l.t("w korekcie", "being corrected"),
        QuestionState::Corrected => l.t("poprawione", "corrected"),
        QuestionState::Closed => l.t("zamknięte", "closed"),
    }
}

fn state_tag(l: L, s: QuestionState) -> Markup {
    match s {
        QuestionState::Open => html! { span.tag.bad { (state_words(l, s)) } },
        QuestionState::Corrected | QuestionState::Closed => html! { span.tag.good { (state_words(l, s)) } },
        _ => html! { span.tag { (state_words(l, s)) } },
    }
}

fn kind_words(l: L, kind: &str) -> &'static str {
    match kind {
        "question" => l.t("pytanie", "question"),
        "answer" => l.t("odpowiedź", "answer"),
        "correction" => l.t("korekta", "correction"),
        "close" => l.t("zamknięcie", "closing"),
        _ => l.t("komentarz", "comment"),
    }
}

/// A stored time as its date.
fn date(t: &str) -> &str {
    t.get(..10).unwrap_or(t)
}

/// An indicator's name and decimals from the snapshot's catalogue (its code if unknown).
fn indicator_words(l: L, c: &app::Computed, code: &str) -> (String, u8) {
    match c.snapshot.indicator_index(code) {
        Some(i) => (crate::common::indicator_name(l, c, i).to_owned(), c.definitions[i].decimals),
        None => (code.to_owned(), 2),
    }
}

fn value_words(l: L, v: Option<f64>, decimals: u8) -> String {
    v.map_or_else(|| l.t("brak danych", "no data").to_owned(), |v| l.num(v, decimals))
}

/// A page of these routes: `private, no-store`, with a link to the same page in the other language.
fn respond(ctx: &Ctx, status: StatusCode, title: &str, body: Markup) -> Response {
    let l = ctx.lang;
    let mut pairs: Vec<&str> = ctx.query.as_deref().unwrap_or("").split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("lang=")).collect();
    if !l.en {
        pairs.push("lang=en");
    }
    let other = if pairs.is_empty() { ctx.path.clone() } else { format!("{}?{}", ctx.path, pairs.join("&")) };
    let body = html! {
        p.small style="text-align:right;margin:.5rem 0 0" {
            @if l.en { a href=(other) lang="pl" hreflang="pl" { "Ta strona po polsku" } }
            @else { a href=(other) lang="en" hreflang="en" { "This page in English" } }
        }
        style { (PreEscaped(CSS)) }
        (body)
    };
    let mut res = ctx.page(status, title, body);
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res
}

const CSS: &str = r#"
.gwd-own td,.gwd-own th{background:#eef4fb}
.gwd-stats{margin:.25rem 0 1.5rem;font-variant-numeric:tabular-nums}
.gwd-thread{list-style:none;padding:0}.gwd-thread li{border-left:4px solid #b5b5b5;padding:.25rem .75rem;margin:0 0 1rem}
.gwd-thread li.answer{border-left-color:#00573f}.gwd-thread .body{white-space:pre-wrap;overflow-wrap:anywhere;margin:.25rem 0}
.gwd-form textarea{width:100%}
"#;

fn csrf_input(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A 303 to `path` in the page's language.
fn see_other(l: L, path: &str) -> Response {
    let to = l.href(path);
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/")))]).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The units the reader holds a role on that have a member row in the cycle.
fn own_units(cycle: &Cycle) -> &[i64] {
    &cycle.viewer.own_units
}

/// Of those, the accepted members: the units the reader may ask and reply for.
fn member_units(cycle: &Cycle) -> &[i64] {
    &cycle.viewer.member_units
}

/// Whether the reader speaks for the coordinator (the cycle's coordinator or an admin).
fn coordinates(cycle: &Cycle) -> bool {
    cycle.viewer.coordinator || cycle.viewer.admin
}

fn cycle_links(l: L, view: &CycleView) -> Markup {
    let base = format!("/gwd/{}", view.id);
    html! {
        nav.small aria-label=(l.t("Strony cyklu", "The cycle's pages")) {
            a href=(l.href(&base)) { "← " (view.name) }
            " · " a href=(l.href(&format!("{base}/arkusz"))) { (l.t("Arkusz porównawczy", "Comparison sheet")) }
            " · " a href=(l.href(&format!("{base}/pytania"))) { (l.t("Pytania o dane", "Questions on the data")) }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The sheet.

/// The R-7 quantile of sorted values (the portal's group statistics use the same rule).
fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// The quartiles of an indicator's values in the group, when it has three values or more.
fn quartiles(ind: &SheetIndicator) -> Option<viz::Quartiles> {
    let mut values: Vec<f64> = ind.rows.iter().filter_map(|r| r.value).filter(|v| v.is_finite()).collect();
    if values.len() < 3 {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(viz::Quartiles {
        min: *values.first()?,
        q1: quantile(&values, 0.25)?,
        median: quantile(&values, 0.5)?,
        q3: quantile(&values, 0.75)?,
        max: *values.last()?,
    })
}

/// The services of the sheet's indicators (the `obszar` filter), in catalogue words.
fn services(c: &app::Computed, sheet: &Sheet) -> Vec<String> {
    let mut out: Vec<String> = sheet
        .indicators
        .iter()
        .filter_map(|ind| c.snapshot.indicator_index(&ind.code))
        .map(|i| c.definitions[i].service_pl.clone())
        .filter(|s| !s.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn service_of<'a>(c: &'a app::Computed, code: &str) -> &'a str {
    c.snapshot.indicator_index(code).map_or("", |i| c.definitions[i].service_pl.as_str())
}

fn service_words<'a>(l: L, c: &'a app::Computed, service_pl: &'a str) -> &'a str {
    let en = c.definitions.iter().find(|d| d.service_pl == service_pl).map_or("", |d| d.service_en.as_str());
    if l.en && !en.is_empty() { en } else { service_pl }
}

/// Whether the reader holds a role on the unit of this row (their own JST, named).
fn is_own(cycle: &Cycle, row: &SheetRow) -> bool {
    row.unit_id_for_viewer.is_some_and(|u| own_units(cycle).contains(&u))
}

fn sheet_body(l: L, cycle: &Cycle, sheet: &Sheet, c: &app::Computed, service: &str) -> Markup {
    let view = &cycle.view;
    let base = format!("/gwd/{}", view.id);
    let services = services(c, sheet);
    let shown: Vec<&SheetIndicator> = sheet.indicators.iter().filter(|ind| service.is_empty() || service_of(c, &ind.code) == service).collect();
    let csv = format!("{base}/arkusz.csv?rok={}", sheet.year);
    html! {
        (cycle_links(l, view))
        h1 { (l.t("Arkusz porównawczy", "Comparison sheet")) ": " (view.name) }
        p {
            (l.t("Rok danych: ", "Data year: ")) strong { (sheet.year) } ". "
            @if cycle.viewer.sees_all() {
                (l.t("Widzisz nazwy wszystkich uczestników, bo koordynujesz ten cykl. Uczestnicy widzą tylko własną JST z nazwy, pozostałe jako litery.",
                     "You see every participant's name because you coordinate this cycle. Participants see only their own JST by name, the others as letters."))
            } @else {
                (l.t("Twoja JST jest podpisana nazwą, pozostali uczestnicy literami, które nie zmieniają się przez cały cykl.",
                     "Your JST is shown by name, the other participants by letters that stay the same for the whole cycle."))
            }
            " "
            (l.t("Wartości zatwierdzone, ale jeszcze nieopublikowane są oznaczone — grupa widzi swoje dane przed publikacją.",
                 "Values approved but not yet published are marked: the group sees its own data before publication."))
            " "
            // Letters hide who is who, but a published value can still be looked up on the
            // portal: members are told so, as SAS groups are.
            (l.t("Litery nie ukryją wartości już opublikowanych — te można znaleźć w portalu. Prosimy nie ustalać, kto jest kim, i nie ujawniać tego poza grupą.",
                 "Letters do not hide values already published, which can be found on the portal. Please do not work out who is who, nor tell anyone outside the group."))
        }
        form.controls method="get" action=(format!("{base}/arkusz")) {
            @if l.en { input type="hidden" name="lang" value="en"; }
            label for="rok" { (l.t("Rok", "Year"))
                select #rok name="rok" {
                    @for y in &sheet.years { option value=(y) selected[*y == sheet.year] { (y) } }
                }
            }
            @if services.len() > 1 {
                label for="obszar" { (l.t("Usługa", "Service"))
                    select #obszar name="obszar" {
                        option value="" selected[service.is_empty()] { (l.t("wszystkie", "all")) }
                        @for s in &services { option value=(s) selected[s == service] { (service_words(l, c, s)) } }
                    }
                }
            }
            button type="submit" { (l.t("Pokaż", "Show")) }
        }
        p.downloads { a href=(l.href(&csv)) download { (l.t("Pobierz arkusz (CSV)", "Download the sheet (CSV)")) } }
        @if shown.is_empty() {
            p { (l.t("Brak wskaźników do porównania w tym roku.", "No indicators to compare in this year.")) }
        }
        @for (k, ind) in shown.iter().enumerate() {
            (indicator_table(l, cycle, sheet, k, ind))
        }
    }
}

fn indicator_table(l: L, cycle: &Cycle, sheet: &Sheet, k: usize, ind: &SheetIndicator) -> Markup {
    let view = &cycle.view;
    let base = format!("/gwd/{}", view.id);
    let name = l.t(&ind.name_pl, &ind.name_en);
    let name = if name.is_empty() { ind.name_pl.as_str() } else { name };
    let decimals = ind.decimals;
    let measure = if l.en && !ind.measure_unit_en.is_empty() { &ind.measure_unit_en } else { &ind.measure_unit };
    let q = quartiles(ind);
    let fmt = |v: f64| l.num(v, decimals);
    let caption_id = format!("w{k}");
    html! {
        section {
            h2 id=(caption_id) { (name) }
            p.small.muted {
                @if !measure.is_empty() { (l.t("Jednostka: ", "Unit: ")) (measure) " · " }
                (l.polarity(ind.polarity))
                @if ind.from_campaign { " · " span.tag { (l.t("z ankiety grupy", "from the group's questionnaire")) } }
                " · " a href=(l.href(&format!("/wskaznik/{}", ind.code))) { (l.t("opis wskaźnika", "about the indicator")) }
            }
            div.scroll role="region" tabindex="0" aria-labelledby=(caption_id) {
                table {
                    caption.sr { (name) ", " (sheet.year) }
                    thead { tr {
                        th scope="col" { (l.t("Uczestnik", "Participant")) }
                        th.num scope="col" { (l.t("Wartość", "Value")) }
                        th scope="col" { (l.t("Na tle grupy", "Within the group")) }
                        th.num scope="col" { (l.t("Otwarte pytania", "Open questions")) }
                        th scope="col" { span.sr { (l.t("Działania", "Actions")) } }
                    } }
                    tbody {
                        @for (r, row) in ind.rows.iter().enumerate() {
                            @let own = is_own(cycle, row);
                            tr class=[own.then_some("gwd-own")] {
                                th scope="row" {
                                    (label_html(l, &row.label))
                                    @if own { " " span.tag { (l.t("Twoja JST", "Your JST")) } }
                                }
                                td.num {
                                    (value_words(l, row.value, decimals))
                                    @if row.unpublished { " " span.tag.unpublished { (l.t("niepublikowane", "unpublished")) } }
                                }
                                td {
                                    @if let (Some(q), Some(v)) = (&q, row.value) {
                                        @let title = bar_title(l, q, &fmt(v), &fmt);
                                        (PreEscaped(viz::quartile_bar(&format!("gwd{k}-{r}"), &title, q, Some(v), crate::common::direction(ind.polarity))))
                                    }
                                }
                                td.num {
                                    @if row.open_questions > 0 {
                                        a href=(l.href(&format!("{base}/pytania?litera={}&wskaznik={}", encode(&row.letter), encode(&ind.code)))) { (row.open_questions) }
                                    } @else { "0" }
                                }
                                td {
                                    @if !own {
                                        a href=(l.href(&format!("{base}/pytania/nowe?litera={}&wskaznik={}&rok={}", encode(&row.letter), encode(&ind.code), sheet.year))) {
                                            (l.t("Zapytaj o tę wartość", "Question this value"))
                                            span.sr { " (" (label_text(l, &row.label)) ")" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p.small.gwd-stats {
                (l.t("Grupa: ", "The group: "))
                (l.t("średnia ", "mean ")) (value_words(l, ind.mean, decimals))
                " · " (l.t("mediana ", "median ")) (value_words(l, ind.median, decimals))
                " · " (l.t("min. ", "min ")) (value_words(l, ind.min, decimals))
                " · " (l.t("maks. ", "max ")) (value_words(l, ind.max, decimals))
            }
        }
    }
}

/// The quartile bar in words (its title): the group's median, middle half and range, the value.
fn bar_title(l: L, q: &viz::Quartiles, value: &str, fmt: &dyn Fn(f64) -> String) -> String {
    format!(
        "{} {}; {} {} {} {}; {} {}, {} {}; {} {value}",
        l.t("Mediana grupy", "The group's median"),
        fmt(q.median),
        l.t("połowa uczestników między", "half of the participants between"),
        fmt(q.q1),
        l.t("a", "and"),
        fmt(q.q3),
        l.t("najniższa wartość", "lowest value"),
        fmt(q.min),
        l.t("najwyższa", "highest"),
        fmt(q.max),
        l.t("ta wartość", "this value"),
    )
}

async fn sheet_page(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
    q: Result<Query<Pairs>, QueryRejection>,
) -> Response {
    match sheet_page_inner(&state, &ctx, path, q).await {
        Ok(r) => r,
        Err(e) => ctx.error(e),
    }
}

async fn sheet_page_inner(
    state: &AppState,
    ctx: &Ctx,
    path: Result<Path<String>, PathRejection>,
    q: Result<Query<Pairs>, QueryRejection>,
) -> Result<Response, WebError> {
    let l = ctx.lang;
    let Ok(Path(id)) = path else { return Err(WebError::NotFound) };
    let cycle = readable(state, ctx, &id).await?;
    let q = query_pairs(q)?;
    let year = year_param(val(&q, "rok"), "rok")?;
    let service = val(&q, "obszar").trim();
    if service.chars().count() > 200 {
        return Err(WebError::BadRequest(format!("obszar={}", short(service))));
    }
    let (sheet, private, _) = sheet_of(state, &cycle, year).await?;
    let c = private.computed();
    if !service.is_empty() && !services(c, &sheet).iter().any(|s| s == service) {
        return Err(WebError::BadRequest(format!("obszar={}", short(service))));
    }
    let title = format!("{}: {}", l.t("Arkusz porównawczy", "Comparison sheet"), cycle.view.name);
    Ok(respond(ctx, StatusCode::OK, &title, sheet_body(l, &cycle, &sheet, c, service)))
}

async fn sheet_csv(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
    q: Result<Query<Pairs>, QueryRejection>,
) -> Response {
    let result = async {
        let Ok(Path(id)) = path else { return Err(WebError::NotFound) };
        let cycle = readable(&state, &ctx, &id).await?;
        let q = query_pairs(q)?;
        let year = year_param(val(&q, "rok"), "rok")?;
        let (sheet, _, _) = sheet_of(&state, &cycle, year).await?;
        Ok((cycle.view.id, sheet))
    }
    .await;
    match result {
        Ok((id, sheet)) => {
            let body = exchange::sheet_csv(&sheet, ctx.lang.en);
            let name = format!("attachment; filename=\"gwd-{id}-arkusz-{}.csv\"", sheet.year);
            (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
                    (header::CONTENT_DISPOSITION, HeaderValue::from_str(&name).unwrap_or(HeaderValue::from_static("attachment"))),
                    (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
                ],
                body,
            )
                .into_response()
        }
        Err(e) => ctx.error(e),
    }
}

/// `GET /api/v1/exchange/cycles/{id}/sheet[?year=]`: the sheet as the session's user sees it
/// (letters as on the page; a unit is named only where the page names it), 404 otherwise.
async fn api_sheet(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
    q: Result<Query<Pairs>, QueryRejection>,
) -> Response {
    let result = async {
        let Ok(Path(id)) = path else { return Err(WebError::NotFound) };
        let cycle = readable(&state, &ctx, &id).await?;
        let q = q.map(|Query(p)| p).map_err(|_| WebError::BadRequest("year".into()))?;
        let year = year_param(val(&q, "year"), "year")?;
        let (sheet, _, _) = sheet_of(&state, &cycle, year).await?;
        Ok(sheet_json(&cycle, &sheet))
    }
    .await;
    match result {
        Ok(json) => ([(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"))], axum::Json(json)).into_response(),
        Err(e) => e.into_json(),
    }
}

fn label_json(label: &Label) -> serde_json::Value {
    match label {
        Label::Letter(letter) => serde_json::json!({"letter": letter}),
        Label::Named { code, name, letter, .. } => serde_json::json!({"letter": letter, "unit": {"code": code, "name": name}}),
    }
}

fn sheet_json(cycle: &Cycle, sheet: &Sheet) -> serde_json::Value {
    let view = &cycle.view;
    let indicators: Vec<serde_json::Value> = sheet
        .indicators
        .iter()
        .map(|ind| {
            let rows: Vec<serde_json::Value> = ind
                .rows
                .iter()
                .map(|r| {
                    let mut row = label_json(&r.label);
                    if let Some(o) = row.as_object_mut() {
                        o.insert("letter".into(), serde_json::json!(r.letter));
                        o.insert("own".into(), serde_json::json!(is_own(cycle, r)));
                        o.insert("value".into(), serde_json::json!(r.value));
                        o.insert("unpublished".into(), serde_json::json!(r.unpublished));
                        o.insert("open_questions".into(), serde_json::json!(r.open_questions));
                    }
                    row
                })
                .collect();
            serde_json::json!({
                "code": ind.code,
                "name_pl": ind.name_pl,
                "name_en": ind.name_en,
                "measure_unit": ind.measure_unit,
                "polarity": polarity_code(ind.polarity),
                "from_campaign": ind.from_campaign,
                "mean": ind.mean,
                "median": ind.median,
                "min": ind.min,
                "max": ind.max,
                "rows": rows,
            })
        })
        .collect();
    serde_json::json!({
        "cycle": {"id": view.id, "name": view.name, "sector": view.sector, "year": view.year},
        "year": sheet.year,
        "years": sheet.years,
        "indicators": indicators,
    })
}

fn polarity_code(p: model::Polarity) -> &'static str {
    match p {
        model::Polarity::HigherBetter => "higher_better",
        model::Polarity::LowerBetter => "lower_better",
        model::Polarity::Neutral => "neutral",
    }
}

// ---------------------------------------------------------------------------------------
// The questions.

async fn questions_page(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
    q: Result<Query<Pairs>, QueryRejection>,
) -> Response {
    let result = async {
        let l = ctx.lang;
        let Ok(Path(id)) = path else { return Err(WebError::NotFound) };
        let cycle = readable(&state, &ctx, &id).await?;
        let q = query_pairs(q)?;
        let letter = val(&q, "litera").trim();
        let indicator = val(&q, "wskaznik").trim();
        let questions = exchange::questions(&state.store, cycle.view.id).await.map_err(WebError::from)?;
        let private = private_view(&state);
        let shown: Vec<&QuestionView> = questions
            .iter()
            .filter(|q| letter.is_empty() || q.letter == letter)
            .filter(|q| indicator.is_empty() || q.indicator_code == indicator)
            .collect();
        let base = format!("/gwd/{}", cycle.view.id);
        let title = format!("{}: {}", l.t("Pytania o dane", "Questions on the data"), cycle.view.name);
        let body = html! {
            (cycle_links(l, &cycle.view))
            h1 { (title) }
            p { (l.t("Uczestnicy pytają o wartości, które budzą wątpliwości; JST, której wartość dotyczy, odpowiada albo poprawia dane w ankiecie. Wątki są częścią weryfikacji danych.",
                     "Participants question values that look doubtful; the JST whose value it is answers or corrects its data through the questionnaire. The threads are part of the data's verification.")) }
            @if !letter.is_empty() || !indicator.is_empty() {
                p { (l.t("Pokazane są pytania o wybraną wartość. ", "Showing the questions about the chosen value. "))
                    a href=(l.href(&format!("{base}/pytania"))) { (l.t("Wszystkie pytania", "All questions")) } }
            }
            @if shown.is_empty() {
                p { (l.t("Nie ma jeszcze pytań. Pytanie zadasz z arkusza porównawczego, przy wartości.", "No questions yet. Ask one from the comparison sheet, next to the value.")) }
            } @else {
                div.scroll role="region" tabindex="0" aria-labelledby="pytania-cap" {
                    table {
                        caption #pytania-cap { (l.t("Pytania", "Questions")) " (" (shown.len()) ")" }
                        thead { tr {
                            th.num scope="col" { "#" }
                            th scope="col" { (l.t("Czyja wartość", "Whose value")) }
                            th scope="col" { (l.t("Wskaźnik, rok", "Indicator, year")) }
                            th scope="col" { (l.t("Stan", "State")) }
                            th scope="col" { (l.t("Pyta", "Asked by")) }
                            th scope="col" { (l.t("Zadane", "Asked on")) }
                        } }
                        tbody {
                            @for q in &shown {
                                @let name = private.as_ref().map_or_else(|| q.indicator_code.clone(), |p| indicator_words(l, p.computed(), &q.indicator_code).0);
                                tr {
                                    td.num { a href=(l.href(&format!("{base}/pytania/{}", q.id))) { (q.id) } }
                                    td { (unit_html(l, &cycle, q.unit_id)) }
                                    td { a href=(l.href(&format!("{base}/pytania/{}", q.id))) { (name) } ", " (q.year) }
                                    td { (state_tag(l, q.state)) }
                                    td { (asker_html(l, &cycle, q)) }
                                    td { (date(&q.created_at)) }
                                }
                            }
                        }
                    }
                }
            }
            p { a href=(l.href(&format!("{base}/pytania/nowe"))) { (l.t("Zadaj pytanie o wartość", "Question a value")) } }
        };
        Ok(respond(&ctx, StatusCode::OK, &title, body))
    }
    .await;
    result.unwrap_or_else(|e| ctx.error(e))
}

/// The question form as typed.
#[derive(Debug, Default, Clone)]
struct AskForm {
    letter: String,
    indicator: String,
    year: Option<i32>,
    body: String,
    /// The asking unit (a reader with roles on several member units chooses).
    as_unit: Option<i64>,
}

/// What a form refuses, by field, in both languages.
struct FieldError {
    field: &'static str,
    pl: String,
    en: String,
}

impl FieldError {
    fn new(field: &'static str, pl: impl Into<String>, en: impl Into<String>) -> FieldError {
        FieldError { field, pl: pl.into(), en: en.into() }
    }
}

/// A checked question: the unit asked about, the indicator, the year, the value the asker saw.
struct Asked {
    unit_id: i64,
    indicator: String,
    year: i32,
    value: Option<f64>,
    body: String,
    as_unit: Option<i64>,
}

fn check_text(text: &str, field: &'static str, required: bool) -> Result<Option<String>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return if required { Err(FieldError::new(field, "Wpisz treść.", "Write the text.")) } else { Ok(None) };
    }
    if text.chars().count() > MAX_TEXT {
        return Err(FieldError::new(field, format!("Najwyżej {MAX_TEXT} znaków."), format!("At most {MAX_TEXT} characters.")));
    }
    Ok(Some(text.to_owned()))
}

/// The accepted member with this letter.
fn member_by_letter<'a>(view: &'a CycleView, letter: &str) -> Option<&'a MemberView> {
    view.members.iter().find(|m| m.state == MemberState::Accepted && m.letter.as_deref() == Some(letter))
}

fn check_ask(cycle: &Cycle, sheet: &Sheet, f: &AskForm) -> Result<Asked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let target = member_by_letter(&cycle.view, f.letter.trim());
    if target.is_none() {
        errors.push(FieldError::new("litera", "Wybierz uczestnika grupy.", "Choose a participant of the group."));
    }
    let row = sheet.indicators.iter().find(|i| i.code == f.indicator).map(|ind| ind.rows.iter().find(|r| r.letter == f.letter.trim()));
    if row.is_none() {
        errors.push(FieldError::new("wskaznik", "Wybierz wskaźnik arkusza.", "Choose an indicator of the sheet."));
    }
    let body = match check_text(&f.body, "tresc", true) {
        Ok(b) => b.unwrap_or_default(),
        Err(e) => {
            errors.push(e);
            String::new()
        }
    };
    let own = member_units(cycle);
    let as_unit = match f.as_unit {
        Some(u) if own.contains(&u) => Some(u),
        Some(_) => {
            errors.push(FieldError::new("jako", "Pytać można w imieniu własnej JST.", "You may ask on behalf of your own JST only."));
            None
        }
        // Not said: the first own member that is not the unit asked about.
        None => own.iter().copied().find(|u| target.is_none_or(|t| t.unit_id != *u)).or_else(|| own.first().copied()),
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(target), Some(row)) = (target, row) else { return Err(errors) };
    Ok(Asked { unit_id: target.unit_id, indicator: f.indicator.clone(), year: sheet.year, value: row.and_then(|r| r.value), body, as_unit })
}

fn ask_body(l: L, ctx: &Ctx, cycle: &Cycle, sheet: &Sheet, f: &AskForm, errors: &[FieldError]) -> Markup {
    let view = &cycle.view;
    let base = format!("/gwd/{}", view.id);
    let err = |field: &str| errors.iter().find(|e| e.field == field);
    let accepted: Vec<(&MemberView, Label)> = view
        .members
        .iter()
        .filter(|m| m.state == MemberState::Accepted && m.letter.is_some())
        .map(|m| (m, exchange::label(&cycle.viewer, m)))
        .collect();
    let shown =
        sheet.indicators.iter().find(|i| i.code == f.indicator).and_then(|ind| ind.rows.iter().find(|r| r.letter == f.letter).map(|r| (ind, r)));
    let own = member_units(cycle);
    html! {
        (cycle_links(l, view))
        h1 { (l.t("Pytanie o wartość", "Questioning a value")) }
        @if let Some((ind, row)) = shown {
            @let decimals = ind.decimals;
            p {
                (label_html(l, &row.label)) ", " (l.t(&ind.name_pl, &ind.name_en)) ", " (sheet.year) ": "
                strong { (value_words(l, row.value, decimals)) }
                @if row.unpublished { " " span.tag.unpublished { (l.t("niepublikowane", "unpublished")) } }
            }
        }
        p { (l.t("Pytanie zobaczą wszyscy uczestnicy grupy i koordynator. Inni uczestnicy zobaczą Twoją JST jako literę.",
                 "Every participant of the group and the coordinator will see the question. Other participants see your JST as a letter.")) }
        @if !errors.is_empty() {
            div.box role="alert" id="bledy" tabindex="-1" {
                h2 { (l.t("Popraw błędy", "Correct the errors")) }
                ul { @for e in errors { li { a href={ "#" (e.field) } { (l.t(&e.pl, &e.en)) } } } }
            }
        }
        form.gwd-form method="post" action=(l.href(&format!("{base}/pytania"))) {
            (csrf_input(&ctx.csrf))
            input type="hidden" name="rok" value=(sheet.year);
            p {
                label for="litera" { (l.t("Czyja wartość", "Whose value")) } br;
                @if let Some(e) = err("litera") { span.bad id="litera-blad" { (l.t(&e.pl, &e.en)) } br; }
                select #litera name="litera" aria-describedby=[err("litera").map(|_| "litera-blad")] {
                    @for (m, label) in &accepted {
                        @let letter = m.letter.clone().unwrap_or_default();
                        option value=(letter) selected[letter == f.letter] { (label_text(l, label)) }
                    }
                }
            }
            p {
                label for="wskaznik" { (l.t("Wskaźnik", "Indicator")) " (" (sheet.year) ")" } br;
                @if let Some(e) = err("wskaznik") { span.bad id="wskaznik-blad" { (l.t(&e.pl, &e.en)) } br; }
                select #wskaznik name="wskaznik" aria-describedby=[err("wskaznik").map(|_| "wskaznik-blad")] {
                    @for ind in &sheet.indicators {
                        option value=(ind.code) selected[ind.code == f.indicator] { (l.t(&ind.name_pl, &ind.name_en)) }
                    }
                }
            }
            @if own.len() > 1 {
                p {
                    label for="jako" { (l.t("W imieniu", "On behalf of")) } br;
                    @if let Some(e) = err("jako") { span.bad id="jako-blad" { (l.t(&e.pl, &e.en)) } br; }
                    select #jako name="jako" {
                        @for u in own {
                            option value=(u) selected[f.as_unit == Some(*u)] { (unit_label(cycle, *u).map(|lb| label_text(l, &lb)).unwrap_or_default()) }
                        }
                    }
                }
            }
            p {
                label for="tresc" { (l.t("Pytanie", "Question")) } br;
                @if let Some(e) = err("tresc") { span.bad id="tresc-blad" { (l.t(&e.pl, &e.en)) } br; }
                textarea #tresc name="tresc" rows="5" maxlength=(MAX_TEXT) required aria-describedby=[err("tresc").map(|_| "tresc-blad")] { (f.body) }
            }
            p { button type="submit" { (l.t("Zadaj pytanie", "Ask the question")) } }
        }
    }
}

fn ask_form_of(pairs: &Pairs) -> AskForm {
    AskForm {
        letter: val(pairs, "litera").trim().to_owned(),
        indicator: val(pairs, "wskaznik").trim().to_owned(),
        year: None,
        body: val(pairs, "tresc").to_owned(),
        as_unit: val(pairs, "jako").trim().parse().ok(),
    }
}

async fn ask_page(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
    q: Result<Query<Pairs>, QueryRejection>,
) -> Response {
    let result = async {
        let l = ctx.lang;
        let Ok(Path(id)) = path else { return Err(WebError::NotFound) };
        let cycle = readable(&state, &ctx, &id).await?;
        let q = query_pairs(q)?;
        let mut form = ask_form_of(&q);
        form.year = year_param(val(&q, "rok"), "rok")?;
        let (sheet, _, _) = sheet_of(&state, &cycle, form.year).await?;
        let body = ask_body(l, &ctx, &cycle, &sheet, &form, &[]);
        Ok(respond(&ctx, StatusCode::OK, l.t("Pytanie o wartość", "Questioning a value"), body))
    }
    .await;
    result.unwrap_or_else(|e| ctx.error(e))
}

async fn ask_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let result = async {
        let l = ctx.lang;
        let pairs = form_pairs(form);
        ctx.check_csrf(val(&pairs, "csrf"))?;
        let Ok(Path(id)) = path else { return Err(WebError::NotFound) };
        let user = ctx.require_user()?;
        let cycle = readable(&state, &ctx, &id).await?;
        let mut form = ask_form_of(&pairs);
        form.year = year_param(val(&pairs, "rok"), "rok")?;
        let (sheet, _, _) = sheet_of(&state, &cycle, form.year).await?;
        match check_ask(&cycle, &sheet, &form) {
            Ok(a) => {
                let qid =
                    exchange::ask(&state.store, cycle.view.id, a.unit_id, &a.indicator, a.year, a.value, &a.body, a.as_unit, user.id, &ctx.actor())
                        .await
                        .map_err(WebError::from)?;
                Ok(see_other(l, &format!("/gwd/{}/pytania/{qid}", cycle.view.id)))
            }
            Err(errors) => {
                let body = ask_body(l, &ctx, &cycle, &sheet, &form, &errors);
                Ok(respond(&ctx, StatusCode::BAD_REQUEST, l.t("Pytanie o wartość", "Questioning a value"), body))
            }
        }
    }
    .await;
    result.unwrap_or_else(|e| ctx.error(e))
}

// ---------------------------------------------------------------------------------------
// A thread.

/// Whether the reader may close the question: the asking unit's role holder or the coordinator.
fn may_close(cycle: &Cycle, q: &QuestionView) -> bool {
    coordinates(cycle) || q.asked_by_unit_id.is_some_and(|u| own_units(cycle).contains(&u))
}

/// Whether the user may correct the questioned unit's data (`Action::EnterData` on it).
fn may_correct(user: Option<&CurrentUser>, q: &QuestionView) -> bool {
    user.is_some_and(|u| u.can(Action::EnterData, q.unit_id))
}

/// The unit a reader's reply speaks for: the questioned unit if they hold a role on it, then
/// the asking unit, then any of their member units; none for the coordinator.
fn reply_unit(cycle: &Cycle, q: &QuestionView) -> Option<i64> {
    let own = member_units(cycle);
    if own.contains(&q.unit_id) {
        return Some(q.unit_id);
    }
    if let Some(a) = q.asked_by_unit_id.filter(|a| own.contains(a)) {
        return Some(a);
    }
    own.first().copied()
}

fn comment_item(l: L, cycle: &Cycle, c: &CommentView) -> Markup {
    let author = exchange::comment_author(&cycle.viewer, &cycle.view, c, l.en);
    html! {
        li class=[(c.kind == "answer").then_some("answer")] {
            p.small {
                strong { (author) } " · " (kind_words(l, &c.kind)) " · " time datetime=(date(&c.created_at)) { (date(&c.created_at)) }
            }
            p.body { (c.body) }
        }
    }
}

fn thread_body(l: L, ctx: &Ctx, cycle: &Cycle, q: &QuestionView, c: Option<&app::Computed>, errors: &[FieldError], text: &str) -> Markup {
    let view = &cycle.view;
    let base = format!("/gwd/{}/pytania/{}", view.id, q.id);
    let (name, decimals) = c.map_or_else(|| (q.indicator_code.clone(), 2), |c| indicator_words(l, c, &q.indicator_code));
    let open = q.state != QuestionState::Closed;
    let answering = own_units(cycle).contains(&q.unit_id);
    let correct = open && matches!(q.state, QuestionState::Open | QuestionState::Answered) && may_correct(ctx.user.as_ref(), q);
    let entry = match (q.state, view.campaign_id, view.member(q.unit_id)) {
        (QuestionState::Correcting, Some(cid), Some(m)) if may_correct(ctx.user.as_ref(), q) => Some(format!("/ankiety/{cid}/jst/{}", m.code)),
        _ => None,
    };
    let err = |field: &str| errors.iter().find(|e| e.field == field);
    html! {
        (cycle_links(l, view))
        h1 { (l.t("Pytanie nr ", "Question no. ")) (q.id) ": " (name) ", " (q.year) }
        dl.facts {
            div { dt { (l.t("Czyja wartość", "Whose value")) } dd { (unit_html(l, cycle, q.unit_id)) } }
            div { dt { (l.t("Wartość w chwili pytania", "The value when asked")) } dd { (value_words(l, q.value_shown, decimals)) } }
            div { dt { (l.t("Stan", "State")) } dd { (state_tag(l, q.state)) } }
            div { dt { (l.t("Pyta", "Asked by")) } dd { (asker_html(l, cycle, q)) } }
            div { dt { (l.t("Zadane", "Asked on")) } dd { (date(&q.created_at)) } }
        }
        p { a href=(l.href(&format!("/gwd/{}/arkusz?rok={}", view.id, q.year))) { (l.t("Wartość w arkuszu", "The value in the sheet")) } }
        h2 { (l.t("Wątek", "Thread")) }
        ol.gwd-thread { @for c in &q.comments { (comment_item(l, cycle, c)) } }
        @if !errors.is_empty() {
            div.box role="alert" id="bledy" tabindex="-1" {
                ul { @for e in errors { li { a href={ "#" (e.field) } { (l.t(&e.pl, &e.en)) } } } }
            }
        }
        @if open {
            h2 { (l.t("Odpowiedz", "Reply")) }
            form.gwd-form method="post" action=(l.href(&base)) {
                (csrf_input(&ctx.csrf))
                p {
                    label for="tresc" { (l.t("Treść", "Text")) } br;
                    @if let Some(e) = err("tresc") { span.bad id="tresc-blad" { (l.t(&e.pl, &e.en)) } br; }
                    textarea #tresc name="tresc" rows="4" maxlength=(MAX_TEXT) required aria-describedby=[err("tresc").map(|_| "tresc-blad")] { (text) }
                }
                @if answering {
                    p { label { input type="checkbox" name="odpowiedz" value="1"; " " (l.t("To jest odpowiedź mojej JST na pytanie", "This is my JST's answer to the question")) } }
                }
                p { button type="submit" { (l.t("Wyślij", "Send")) } }
            }
        }
        @if correct {
            h2 { (l.t("Korekta danych", "Correcting the data")) }
            p { (l.t("Jeśli wartość jest błędna, popraw ją w ankiecie: formularz Twojej JST zostanie otwarty ponownie do poprawy, a po ponownym zatwierdzeniu pytanie pokaże się jako poprawione.",
                     "If the value is wrong, correct it in the questionnaire: your JST's form is reopened for correction, and once approved again the question shows as corrected.")) }
            form method="post" action=(l.href(&format!("{base}/korekta"))) {
                (csrf_input(&ctx.csrf))
                button type="submit" { (l.t("Popraw dane w ankiecie", "Correct the data in the questionnaire")) }
            }
        }
        @if let Some(entry) = entry {
            p { a href=(l.href(&entry)) { (l.t("Przejdź do ankiety w korekcie", "Go to the questionnaire being corrected")) } }
        }
        @if open && may_close(cycle, q) {
            h2 { (l.t("Zamknij pytanie", "Close the question")) }
            form.gwd-form method="post" action=(l.href(&format!("{base}/zamknij"))) {
                (csrf_input(&ctx.csrf))
                p {
                    label for="notatka" { (l.t("Notatka (nieobowiązkowa)", "Note (optional)")) } br;
                    textarea #notatka name="notatka" rows="2" maxlength=(MAX_TEXT) {}
                }
                p { button type="submit" { (l.t("Zamknij pytanie", "Close the question")) } }
            }
        }
    }
}

fn thread_title(l: L, q: &QuestionView) -> String {
    format!("{}{}", l.t("Pytanie nr ", "Question no. "), q.id)
}

async fn thread_page(State(state): State<Arc<AppState>>, ctx: Ctx, path: Result<Path<(String, String)>, PathRejection>) -> Response {
    let result = async {
        let l = ctx.lang;
        let Ok(Path((id, qid))) = path else { return Err(WebError::NotFound) };
        let cycle = readable(&state, &ctx, &id).await?;
        let q = question_of(&state, &cycle, &qid).await?;
        let private = private_view(&state);
        let body = thread_body(l, &ctx, &cycle, &q, private.as_deref().map(|p| &**p.computed()), &[], "");
        Ok(respond(&ctx, StatusCode::OK, &thread_title(l, &q), body))
    }
    .await;
    result.unwrap_or_else(|e| ctx.error(e))
}

async fn reply_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let result = async {
        let l = ctx.lang;
        let pairs = form_pairs(form);
        ctx.check_csrf(val(&pairs, "csrf"))?;
        let Ok(Path((id, qid))) = path else { return Err(WebError::NotFound) };
        let user = ctx.require_user()?;
        let cycle = readable(&state, &ctx, &id).await?;
        let q = question_of(&state, &cycle, &qid).await?;
        let text = match check_text(val(&pairs, "tresc"), "tresc", true) {
            Ok(t) => t.unwrap_or_default(),
            Err(e) => {
                let private = private_view(&state);
                let body = thread_body(l, &ctx, &cycle, &q, private.as_deref().map(|p| &**p.computed()), &[e], val(&pairs, "tresc"));
                return Ok(respond(&ctx, StatusCode::BAD_REQUEST, &thread_title(l, &q), body));
            }
        };
        let author = reply_unit(&cycle, &q);
        // Only the questioned unit's reply may be its answer.
        let answer = val(&pairs, "odpowiedz") == "1" && author == Some(q.unit_id);
        exchange::reply(&state.store, q.id, &text, author, user.id, answer, &ctx.actor()).await.map_err(WebError::from)?;
        Ok(see_other(l, &format!("/gwd/{}/pytania/{}", cycle.view.id, q.id)))
    }
    .await;
    result.unwrap_or_else(|e| ctx.error(e))
}

async fn correction_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let result = async {
        let l = ctx.lang;
        let pairs = form_pairs(form);
        ctx.check_csrf(val(&pairs, "csrf"))?;
        ctx.require_user()?;
        let Ok(Path((id, qid))) = path else { return Err(WebError::NotFound) };
        let cycle = readable(&state, &ctx, &id).await?;
        let q = question_of(&state, &cycle, &qid).await?;
        let user = ctx.require(Action::EnterData, q.unit_id)?;
        let (campaign_id, unit_id) = exchange::start_correction(&state.store, q.id, user.id, &ctx.actor()).await.map_err(WebError::from)?;
        let code = cycle.view.member(unit_id).map(|m| m.code.clone()).ok_or(WebError::NotFound)?;
        Ok(see_other(l, &format!("/ankiety/{campaign_id}/jst/{code}")))
    }
    .await;
    result.unwrap_or_else(|e| ctx.error(e))
}

async fn close_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let result = async {
        let l = ctx.lang;
        let pairs = form_pairs(form);
        ctx.check_csrf(val(&pairs, "csrf"))?;
        let Ok(Path((id, qid))) = path else { return Err(WebError::NotFound) };
        let user = ctx.require_user()?;
        let cycle = readable(&state, &ctx, &id).await?;
        let q = question_of(&state, &cycle, &qid).await?;
        if !may_close(&cycle, &q) {
            return Err(WebError::Forbidden);
        }
        let note =
            check_text(val(&pairs, "notatka"), "notatka", false).map_err(|e| WebError::BadRequest(format!("notatka: {}", l.t(&e.pl, &e.en))))?;
        // The asking unit closes as itself; the coordinator (or an admin) as the coordinator.
        let author = q.asked_by_unit_id.filter(|u| own_units(&cycle).contains(u));
        exchange::close_question(&state.store, q.id, user.id, author, note.as_deref(), &ctx.actor()).await.map_err(WebError::from)?;
        Ok(see_other(l, &format!("/gwd/{}/pytania/{}", cycle.view.id, q.id)))
    }
    .await;
    result.unwrap_or_else(|e| ctx.error(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_follow_r7() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&v, 0.5), Some(2.5));
        assert_eq!(quantile(&v, 0.25), Some(1.75));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn years_are_checked_by_name() {
        assert_eq!(year_param("", "rok"), Ok(None));
        assert_eq!(year_param(" 2024 ", "rok"), Ok(Some(2024)));
        assert_eq!(year_param("abc", "rok"), Err(WebError::BadRequest("rok=abc".into())));
        assert_eq!(year_param("1800", "year"), Err(WebError::BadRequest("year=1800".into())));
    }

    #[test]
    fn a_letter_shows_no_name() {
        let l = L::PL;
        assert_eq!(label_text(l, &Label::Letter("B".into())), "Uczestnik B");
        assert_eq!(label_text(L { en: true }, &Label::Letter("B".into())), "Participant B");
        let html = label_html(l, &Label::Letter("C".into())).into_string();
        assert!(!html.contains("/jst/"), "{html}");
    }
}
