//! Exchange groups (GWD, issue 19), the cycle's life: the public list `/gwd`, opening a cycle
//! (`/gwd/nowy`), the cycle page `/gwd/{id}` (public part; meetings, notes and documents for
//! those who may read the cycle; member management, meetings, the campaign link and the state
//! for its coordinator), the write routes under `/gwd/{id}/…` and the API's
//! `GET /api/v1/exchange/cycles`.
//!
//! Naming is never decided here: [`app::exchange::Viewer`] and [`app::exchange::label`] say
//! whether a member unit is shown by name or by its letter only. The public parts list the
//! accepted members by name, alphabetically, without letters; letters appear only where the
//! viewer may read the cycle, and next to a name only where the label is `Named`.
//!
//! Every POST checks the form's CSRF token first, then who asks (a signed-in user with the
//! role; a cycle the user may not read answers 404, as an internal plan does), then calls
//! `app::exchange` with the user's actor and answers 303 back to the cycle page. A refused
//! form is shown again with the field's problem (400). Pages are per-user and never cached.

use std::sync::Arc;

use app::accounts::{Action, Scope};
use app::exchange::{self as ex, CycleState, CycleView, DocumentInfo, Label, MeetingView, MemberState, MemberView, Viewer};
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, PreEscaped, html};
use model::TerytCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::evaluate::{json_answer, respond};
use crate::i18n::L;

/// The list of cycles.
pub const PATH: &str = "/gwd";

/// The largest document upload body: the document and the form's few text fields.
const UPLOAD_BODY: usize = ex::MAX_DOCUMENT + 64 * 1024;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(PATH, get(list_page))
        .route("/gwd/nowy", get(new_get).post(new_post))
        .route("/gwd/{id}", get(cycle_get))
        .route("/gwd/{id}/zgloszenie", post(apply_post))
        .route("/gwd/{id}/czlonkowie", post(add_member_post))
        .route("/gwd/{id}/czlonkowie/{unit}", post(decide_post))
        .route("/gwd/{id}/spotkania", post(meeting_post))
        .route("/gwd/{id}/spotkania/{mid}", post(meeting_edit_post))
        .route("/gwd/{id}/dokumenty", post(document_post).layer(DefaultBodyLimit::max(UPLOAD_BODY)))
        .route("/gwd/{id}/dokumenty/{did}", get(document_get))
        .route("/gwd/{id}/ankieta", post(campaign_post))
        .route("/gwd/{id}/stan", post(state_post))
        .route("/gwd/{id}/plan", post(plan_post))
}

/// The public list of cycles, nested under `/api/v1` by `api::routes` (its CORS header and
/// JSON 404s).
pub fn api_routes() -> Router<Arc<AppState>> {
    Router::new().route("/exchange/cycles", get(api_cycles))
}

// ---------------------------------------------------------------------------------------
// Words and small pieces of markup.

const CSS: &str = r#"
.gwd-summary{border:3px solid #8f2d00;border-radius:4px;padding:.5rem 1rem;margin:1rem 0}
.gwd-summary h2{margin:.25rem 0 .5rem;font-size:1.2rem}.gwd-summary ul{margin:.25rem 0;padding-left:1.25rem}
.gwd-notice{border:2px solid #00573f;border-radius:4px;padding:.5rem 1rem;margin:1rem 0}
form.gwd p{margin:.75rem 0}form.gwd label{display:block;font-weight:600}
form.gwd input[type=text],form.gwd input[type=date],form.gwd input[type=number],form.gwd input[type=file],form.gwd select{width:100%;max-width:30rem}
form.gwd .help{display:block;font-weight:400;font-size:.9rem;color:#595959}
form.gwd .err{display:block;color:#8f2d00;font-weight:600}
form.gwd [aria-invalid=true]{border:2px solid #8f2d00}
form.inline{display:inline-block;margin:.15rem .25rem .15rem 0}
.gwd-meeting{border:1px solid #b5b5b5;border-radius:4px;padding:.25rem 1rem;margin:1rem 0}
.gwd-meeting h3{margin:.5rem 0}.gwd-notes{white-space:pre-wrap}
.gwd-members{columns:2 14rem;padding-left:1.25rem}
.gwd-tools{border-top:2px solid #0b3d6e;margin-top:2rem}
"#;

fn style() -> Markup {
    html! { style { (PreEscaped(CSS)) } }
}

fn csrf_input(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

fn state_words(l: L, s: CycleState) -> &'static str {
    let (pl, en) = s.words();
    l.t(pl, en)
}

fn member_words(l: L, s: MemberState) -> &'static str {
    let (pl, en) = s.words();
    l.t(pl, en)
}

fn sector_words(l: L, c: &CycleView) -> String {
    match (l.en, c.sector_name_pl.is_empty(), c.sector_name_en.is_empty()) {
        (true, _, false) => c.sector_name_en.clone(),
        (_, false, _) => c.sector_name_pl.clone(),
        _ => l.area(&c.sector),
    }
}

/// A member as the viewer may see it: "Name (code), uczestnik B" when named (the viewer's own
/// unit, or everyone for the coordinator), "Uczestnik B" otherwise — never a name or code
/// beside a letter of a unit the viewer may not see named.
fn label_text(l: L, label: &Label) -> String {
    match label {
        Label::Named { name, code, letter: Some(letter), .. } => format!("{name} ({code}), {} {letter}", l.t("uczestnik", "participant")),
        Label::Named { name, code, letter: None, .. } => format!("{name} ({code})"),
        Label::Letter(letter) => format!("{} {letter}", l.t("Uczestnik", "Participant")),
    }
}

/// The paragraph every GWD page opens with, for residents who meet the term here first.
fn intro(l: L) -> Markup {
    html! {
        p { (l.t("Grupa wymiany doświadczeń (GWD) to kilka jednostek samorządu jednego rodzaju, które przez kilka miesięcy porównują swoje usługi w jednej dziedzinie — na przykład oświacie — spotykają się na zmianę u siebie, sprawdzają nawzajem swoje dane i na koniec każda przygotowuje plan poprawy. Grupę prowadzi koordynator. Publicznie widać, które jednostki biorą udział; w arkuszach porównawczych uczestnicy występują pod literami (A, B, C…), więc nikt poza samą jednostką i koordynatorem nie wie, która litera to która jednostka.",
                 "An exchange group (GWD) is a handful of local governments of one kind that for a few months compare their services in one field — education, say — meet at each other's offices in turn, check each other's data, and at the end each prepares an improvement plan. A coordinator runs the group. Which units take part is public; in the comparison sheets the participants appear as letters (A, B, C…), so no one but the unit itself and the coordinator knows which letter is which unit.")) }
    }
}

// ---------------------------------------------------------------------------------------
// Form problems.

/// A field's problem: the form (its id prefix), the input's name and what to correct.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub form: String,
    pub field: String,
    pub pl: String,
    pub en: String,
}

impl FieldError {
    fn new(form: &str, field: &str, pl: &str, en: &str) -> FieldError {
        FieldError { form: form.to_owned(), field: field.to_owned(), pl: pl.to_owned(), en: en.to_owned() }
    }

    fn id(&self) -> String {
        format!("gwd-{}-{}", self.form, self.field)
    }
}

/// The app's refusal (`"field: why"`, Polish / English) as a problem of one of `fields`
/// (input name, app field name); a reason naming no field lands on the first.
fn app_problem(form: &str, fields: &[(&str, &str)], why: &str) -> FieldError {
    let head = why.split(':').next().unwrap_or("").trim();
    let field = fields.iter().find(|(input, app)| head == *app || head == *input).or(fields.first()).map_or("", |(f, _)| *f);
    let (pl, en) = match why.split_once(" / ") {
        Some((pl, en)) => (pl.trim(), en.trim()),
        None => (why, why),
    };
    FieldError::new(form, field, pl, en)
}

fn summary(l: L, errors: &[FieldError]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.gwd-summary role="alert" aria-labelledby="gwd-bledy" tabindex="-1" {
                h2 id="gwd-bledy" { (l.t("Popraw formularz", "Correct the form")) }
                ul { @for e in errors { li { a href={ "#" (e.id()) } { (l.t(&e.pl, &e.en)) } } } }
            }
        }
    }
}

/// The parts of a labelled input: its id, the error, and `aria-describedby`.
struct Labelled<'a> {
    id: String,
    err: Option<&'a FieldError>,
    described: Option<String>,
}

fn labelled<'a>(errors: &'a [FieldError], form: &str, name: &str, help: bool) -> Labelled<'a> {
    let id = format!("gwd-{form}-{name}");
    let err = errors.iter().find(|e| e.form == form && e.field == name);
    let ids: Vec<String> = [help.then(|| format!("{id}-help")), err.map(|_| format!("{id}-err"))].into_iter().flatten().collect();
    Labelled { described: (!ids.is_empty()).then(|| ids.join(" ")), id, err }
}

/// One labelled input (`kind`: text, date, number…), with its help and error.
#[allow(clippy::too_many_arguments)]
fn field(l: L, errors: &[FieldError], form: &str, name: &str, label: (&str, &str), help: Option<(&str, &str)>, value: &str, kind: &str) -> Markup {
    let f = labelled(errors, form, name, help.is_some());
    html! {
        p {
            label for=(f.id) { (l.t(label.0, label.1))
                @if let Some(h) = help { span.help id={ (f.id) "-help" } { (l.t(h.0, h.1)) } }
            }
            @if let Some(e) = f.err { span.err id={ (f.id) "-err" } { (l.t(&e.pl, &e.en)) } }
            input id=(f.id) name=(name) type=(kind) value=(value) aria-invalid=[f.err.map(|_| "true")] aria-describedby=[f.described];
        }
    }
}

fn textarea(l: L, errors: &[FieldError], form: &str, name: &str, label: (&str, &str), value: &str, rows: u8) -> Markup {
    let f = labelled(errors, form, name, false);
    html! {
        p {
            label for=(f.id) { (l.t(label.0, label.1)) }
            @if let Some(e) = f.err { span.err id={ (f.id) "-err" } { (l.t(&e.pl, &e.en)) } }
            textarea id=(f.id) name=(name) rows=(rows) maxlength=(ex::MAX_TEXT) aria-invalid=[f.err.map(|_| "true")] aria-describedby=[f.described] { (value) }
        }
    }
}

/// A select of `options` (value, text) with `chosen` selected; `blank`: a first empty option.
#[allow(clippy::too_many_arguments)]
fn select(
    l: L,
    errors: &[FieldError],
    form: &str,
    name: &str,
    label: (&str, &str),
    options: &[(String, String)],
    chosen: &str,
    blank: Option<(&str, &str)>,
) -> Markup {
    let f = labelled(errors, form, name, false);
    html! {
        p {
            label for=(f.id) { (l.t(label.0, label.1)) }
            @if let Some(e) = f.err { span.err id={ (f.id) "-err" } { (l.t(&e.pl, &e.en)) } }
            select id=(f.id) name=(name) aria-invalid=[f.err.map(|_| "true")] aria-describedby=[f.described] {
                @if let Some(b) = blank { option value="" selected[chosen.is_empty()] { (l.t(b.0, b.1)) } }
                @for (value, text) in options { option value=(value) selected[chosen == value] { (text) } }
            }
        }
    }
}

fn pick<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or("")
}

fn form_pairs(form: Result<Form<Vec<(String, String)>>, FormRejection>) -> Vec<(String, String)> {
    form.map(|Form(p)| p).unwrap_or_default()
}

/// Text of a form, trimmed, None when empty.
fn optional(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn notice(l: L, uri: &Uri) -> Option<&'static str> {
    let code = uri.query()?.split('&').find_map(|kv| kv.strip_prefix("komunikat="))?;
    Some(match code {
        "otwarto" => l.t("Cykl otwarty. Jesteś jego koordynatorem.", "The cycle is open. You are its coordinator."),
        "zgloszono" => l.t("Zgłoszenie wysłane. Koordynator je rozpatrzy.", "The application is sent. The coordinator will decide on it."),
        "przyjeto" => l.t("Jednostka przyjęta; dostała literę.", "The unit is accepted; it has its letter."),
        "odrzucono" => l.t("Zgłoszenie odrzucone.", "The application is rejected."),
        "wycofano" => l.t("Jednostka wycofana z cyklu.", "The unit is withdrawn from the cycle."),
        "dodano" => l.t("Jednostka dodana i przyjęta.", "The unit is added and accepted."),
        "spotkanie" => l.t("Spotkanie zapisane.", "The meeting is saved."),
        "dokument" => l.t("Dokument dodany.", "The document is added."),
        "ankieta" => l.t("Zbieranie danych grupy powiązane.", "The group's data collection is linked."),
        "stan" => l.t("Stan cyklu zmieniony.", "The cycle's state is changed."),
        "plan" => l.t("Plan poprawy złożony w grupie.", "The improvement plan is filed with the group."),
        _ => return None,
    })
}

fn see_other(l: L, path: &str, notice: &str) -> Response {
    let to = l.href(&format!("{path}?komunikat={notice}"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static(PATH)))]).into_response()
}

// ---------------------------------------------------------------------------------------
// The list.

/// `/gwd`: every cycle, with its accepted members by name (alphabetical, no letters).
pub fn list_html(l: L, cycles: &[CycleView], can_open: bool, notice: Option<&str>) -> (String, Markup) {
    let title = l.t("Grupy wymiany doświadczeń", "Exchange groups").to_owned();
    let body = html! {
        (style())
        h1 { (title) }
        (intro(l))
        @if let Some(n) = notice { p.gwd-notice role="status" { (n) } }
        @if can_open { p { a href=(l.href("/gwd/nowy")) { (l.t("Otwórz nowy cykl", "Open a new cycle")) } } }
        @if cycles.is_empty() {
            p.box role="status" { (l.t("Nie ma jeszcze żadnego cyklu grupy wymiany.", "There is no exchange-group cycle yet.")) }
        }
        @for c in cycles {
            section.box aria-labelledby={ "gwd-c" (c.id) } {
                h2 id={ "gwd-c" (c.id) } { a href=(l.href(&format!("/gwd/{}", c.id))) { (c.name) } }
                dl.facts {
                    div { dt { (l.t("Dziedzina", "Field")) } dd { (sector_words(l, c)) } }
                    div { dt { (l.t("Rok danych", "Data year")) } dd { (c.year) } }
                    div { dt { (l.t("Stan", "State")) } dd { (state_words(l, c.state)) } }
                    div { dt { (l.t("Koordynator", "Coordinator")) } dd { (c.coordinator_name) } }
                }
                (members_public(l, c))
            }
        }
    };
    (title, body)
}

/// The accepted members by name, alphabetical, without letters (public). Names only: no code
/// and no link to the unit's card, so that nothing on a page that also shows letters points
/// at a unit.
fn members_public(l: L, c: &CycleView) -> Markup {
    let mut names: Vec<&str> = c.accepted().map(|m| m.name.as_str()).collect();
    names.sort_by_key(|n| model::fold(n));
    html! {
        @if names.is_empty() {
            p { (l.t("Uczestnicy: jeszcze nikt nie został przyjęty.", "Participants: no one has been accepted yet.")) }
        } @else {
            p { (l.t("Uczestnicy (alfabetycznie):", "Participants (alphabetical):")) }
            ul.gwd-members { @for name in &names { li { (name) } } }
        }
    }
}

async fn list_page(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri) -> Response {
    let l = ctx.lang;
    match ex::cycles(&state.store).await {
        Ok(list) => {
            let can_open = ctx.user.as_ref().is_some_and(|u| u.can_any(Action::Coordinate));
            let (title, body) = list_html(l, &list, can_open, notice(l, &uri));
            respond(&ctx, StatusCode::OK, &title, body)
        }
        Err(e) => ctx.error(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Opening a cycle.

/// The new-cycle form as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CycleForm {
    pub name: String,
    pub sector: String,
    pub year: String,
    pub description: String,
}

impl CycleForm {
    fn from_pairs(pairs: &[(String, String)]) -> CycleForm {
        CycleForm {
            name: pick(pairs, "nazwa").trim().to_owned(),
            sector: pick(pairs, "sektor").trim().to_owned(),
            year: pick(pairs, "rok").trim().to_owned(),
            description: pick(pairs, "opis").trim().to_owned(),
        }
    }

    /// The fields for the app, or every field's problem.
    fn check(&self, sectors: &[(String, String)]) -> Result<ex::CycleFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.name.is_empty() {
            errors.push(FieldError::new("cykl", "nazwa", "Nazwa: wpisz nazwę cyklu.", "Name: type the cycle's name."));
        } else if self.name.chars().count() > ex::MAX_TITLE {
            let (pl, en) = (format!("Nazwa: najwyżej {} znaków.", ex::MAX_TITLE), format!("Name: at most {} characters.", ex::MAX_TITLE));
            errors.push(FieldError::new("cykl", "nazwa", &pl, &en));
        }
        if !sectors.iter().any(|(code, _)| *code == self.sector) {
            errors.push(FieldError::new("cykl", "sektor", "Dziedzina: wybierz obszar z listy.", "Field: choose an area from the list."));
        }
        let year = self.year.parse::<i32>().ok().filter(|y| ex::YEARS.contains(y));
        if year.is_none() {
            let (pl, en) = (
                format!("Rok danych: liczba od {} do {}.", ex::YEARS.start(), ex::YEARS.end()),
                format!("Data year: a number from {} to {}.", ex::YEARS.start(), ex::YEARS.end()),
            );
            errors.push(FieldError::new("cykl", "rok", &pl, &en));
        }
        if self.description.chars().count() > ex::MAX_TEXT {
            let (pl, en) = (format!("Opis: najwyżej {} znaków.", ex::MAX_TEXT), format!("Description: at most {} characters.", ex::MAX_TEXT));
            errors.push(FieldError::new("cykl", "opis", &pl, &en));
        }
        match year {
            Some(year) if errors.is_empty() => {
                Ok(ex::CycleFields { name: self.name.clone(), sector: self.sector.clone(), year, description: optional(&self.description) })
            }
            _ => Err(errors),
        }
    }
}

/// `/gwd/nowy`.
pub fn new_html(l: L, csrf: &str, f: &CycleForm, errors: &[FieldError], sectors: &[(String, String)]) -> (String, Markup) {
    let base = l.t("Nowy cykl grupy wymiany", "A new exchange-group cycle");
    let title = if errors.is_empty() { base.to_owned() } else { format!("{} {base}", l.t("Błąd:", "Error:")) };
    let body = html! {
        (style())
        p { a href=(l.href(PATH)) { "← " (l.t("Grupy wymiany doświadczeń", "Exchange groups")) } }
        h1 { (base) }
        (intro(l))
        p { (l.t("Otwierasz cykl jako jego koordynator: zbierasz zgłoszenia (6–8 jednostek), ustalasz spotkania i prowadzisz porównania. Cykl zaczyna się od naboru.",
                 "You open the cycle as its coordinator: you take applications (6–8 units), set the meetings and run the comparisons. A cycle starts with recruiting.")) }
        (summary(l, errors))
        form.gwd method="post" action=(l.href("/gwd/nowy")) novalidate {
            (csrf_input(csrf))
            (field(l, errors, "cykl", "nazwa", ("Nazwa cyklu", "Name of the cycle"), Some(("Np. „GWD Oświata 2025”.", "E.g. “GWD Education 2025”.")), &f.name, "text"))
            (select(l, errors, "cykl", "sektor", ("Dziedzina (obszar wskaźników)", "Field (indicator area)"), sectors, &f.sector, Some(("— wybierz —", "— choose —"))))
            (field(l, errors, "cykl", "rok", ("Rok danych", "Data year"), Some(("Rok, którego dane grupa porównuje.", "The year whose data the group compares.")), &f.year, "number"))
            (textarea(l, errors, "cykl", "opis", ("Opis (nieobowiązkowy)", "Description (optional)"), &f.description, 4))
            p { button type="submit" { (l.t("Otwórz cykl", "Open the cycle")) } }
        }
    };
    (title, body)
}

/// The catalogue's areas (code, name in the page's language).
async fn sectors(state: &AppState, l: L) -> Vec<(String, String)> {
    match state.portal().await {
        Some(p) => p.areas.iter().map(|a| (a.code.clone(), l.area(&a.code))).collect(),
        None => Vec::new(),
    }
}

async fn new_get(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let l = ctx.lang;
    if let Err(e) = ctx.require_any(Action::Coordinate) {
        return ctx.error(e);
    }
    let f = CycleForm { year: (app::campaigns::today().year() - 1).to_string(), ..Default::default() };
    let (title, body) = new_html(l, &ctx.csrf, &f, &[], &sectors(&state, l).await);
    respond(&ctx, StatusCode::OK, &title, body)
}

async fn new_post(State(state): State<Arc<AppState>>, ctx: Ctx, form: Result<Form<Vec<(String, String)>>, FormRejection>) -> Response {
    let l = ctx.lang;
    let pairs = form_pairs(form);
    if let Err(e) = ctx.check_csrf(pick(&pairs, "csrf")) {
        return ctx.error(e);
    }
    let user = match ctx.require_any(Action::Coordinate) {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    let Some(p) = state.portal().await else {
        return ctx.error(WebError::BadRequest("sektor: brak katalogu wskaźników / no indicator catalogue".into()));
    };
    let sectors: Vec<(String, String)> = p.areas.iter().map(|a| (a.code.clone(), l.area(&a.code))).collect();
    let f = CycleForm::from_pairs(&pairs);
    let again = |errors: Vec<FieldError>| {
        let (title, body) = new_html(l, &ctx.csrf, &f, &errors, &sectors);
        respond(&ctx, StatusCode::BAD_REQUEST, &title, body)
    };
    let fields = match f.check(&sectors) {
        Ok(x) => x,
        Err(errors) => return again(errors),
    };
    let names = [("nazwa", "name"), ("sektor", "sector"), ("rok", "year"), ("opis", "description")];
    match ex::open_cycle(&state.store, &p.c, &fields, user.id, &user.actor(ctx.address.clone())).await {
        Ok(id) => see_other(l, &format!("/gwd/{id}"), "otwarto"),
        Err(app::AppError::Invalid(why)) => again(vec![app_problem("cykl", &names, &why)]),
        Err(e) => ctx.error(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// The cycle page.

/// How the user may apply: their planning units by name, or a typed code (every unit).
#[derive(Debug, Clone, PartialEq)]
pub enum ApplyUnits {
    /// The user plans for no unit that could still apply.
    None,
    /// Every unit: a TERYT code is typed.
    Code,
    /// (code, name) of the units the user plans for that have not applied yet.
    Choose(Vec<(String, String)>),
}

/// What the cycle page shows, for one viewer.
pub struct CyclePage<'a> {
    pub cycle: &'a CycleView,
    pub viewer: &'a Viewer,
    /// Read only for a viewer who may read the cycle.
    pub meetings: &'a [MeetingView],
    pub documents: &'a [DocumentInfo],
    pub csrf: &'a str,
    pub apply: ApplyUnits,
    /// Accepted members whose plan the user may file (code, name, filed).
    pub plans: Vec<(String, String, bool)>,
    /// For the coordinator: the data collections that may be linked (id, name).
    pub campaigns: Vec<(i64, String)>,
    /// The member with the fewest meetings hosted, proposed for the next one.
    pub proposed_host: Option<i64>,
    pub today: model::Date,
    pub errors: Vec<FieldError>,
    /// What the refused form held (input name, value), to fill it in again.
    pub typed: Vec<(String, String)>,
    pub notice: Option<&'a str>,
}

impl CyclePage<'_> {
    /// The value typed into `form`'s `name` when that form was refused, else `default`.
    fn typed_or(&self, form: &str, name: &str, default: &str) -> String {
        if self.errors.iter().any(|e| e.form == form) { pick(&self.typed, name).to_owned() } else { default.to_owned() }
    }

    fn manages(&self) -> bool {
        self.viewer.sees_all()
    }

    fn member_by_id(&self, id: i64) -> Option<&MemberView> {
        self.cycle.member(id)
    }

    /// The accepted members as (code, shown text) for a host select (coordinator: named).
    fn host_options(&self, l: L) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self.cycle.accepted().map(|m| (m.code.clone(), label_text(l, &ex::label(self.viewer, m)))).collect();
        v.sort_by(|a, b| a.1.cmp(&b.1));
        v
    }
}

pub fn cycle_html(l: L, d: &CyclePage<'_>) -> (String, Markup) {
    let c = d.cycle;
    let v = d.viewer;
    let title = if d.errors.is_empty() { c.name.clone() } else { format!("{} {}", l.t("Błąd:", "Error:"), c.name) };
    let base = format!("/gwd/{}", c.id);
    let own: Vec<&MemberView> = c.members.iter().filter(|m| v.own_units.contains(&m.unit_id)).collect();
    let general: Vec<&DocumentInfo> = d.documents.iter().filter(|doc| doc.meeting_id.is_none()).collect();
    let body = html! {
        (style())
        p { a href=(l.href(PATH)) { "← " (l.t("Grupy wymiany doświadczeń", "Exchange groups")) } }
        h1 { (c.name) }
        (intro(l))
        @if let Some(n) = d.notice { p.gwd-notice role="status" { (n) } }
        (summary(l, &d.errors))
        dl.facts {
            div { dt { (l.t("Dziedzina", "Field")) } dd { (sector_words(l, c)) } }
            div { dt { (l.t("Rok danych", "Data year")) } dd { (c.year) } }
            div { dt { (l.t("Stan", "State")) } dd { (state_words(l, c.state)) } }
            div { dt { (l.t("Koordynator", "Coordinator")) } dd { (c.coordinator_name) } }
        }
        @if let Some(desc) = &c.description { p.gwd-notes { (desc) } }
        (members_public(l, c))
        @if !own.is_empty() {
            h2 { (l.t("Twoje jednostki w tym cyklu", "Your units in this cycle")) }
            ul {
                @for m in &own {
                    li {
                        (m.name) " (" (m.code) "): " (member_words(l, m.state))
                        @if let Some(letter) = &m.letter { ", " (l.t("litera w arkuszach", "letter in the sheets")) " " strong { (letter) } }
                        @if m.plan_filed_at.is_some() { ", " (l.t("plan poprawy złożony", "improvement plan filed")) }
                    }
                }
            }
        }
        @if v.may_read() {
            h2 { (l.t("Praca grupy", "The group's work")) }
            ul {
                li { a href=(l.href(&format!("{base}/arkusz"))) { (l.t("Arkusz porównawczy", "Comparison sheet")) } }
                li { a href=(l.href(&format!("{base}/pytania"))) { (l.t("Pytania o dane", "Questions on the data")) } }
            }
            h2 id="spotkania" { (l.t("Spotkania", "Meetings")) }
            @if d.meetings.is_empty() { p { (l.t("Nie zaplanowano jeszcze spotkań.", "No meeting is planned yet.")) } }
            @for m in d.meetings { (meeting_html(l, d, m)) }
            h2 { (l.t("Dokumenty grupy", "The group's documents")) }
            @if general.is_empty() { p { (l.t("Brak dokumentów spoza spotkań.", "No documents besides those of the meetings.")) } }
            @else { ul { @for doc in &general { li { (document_link(l, c.id, doc)) } } } }
            @if v.is_member() || d.manages() { (document_form(l, d)) }
        }
        @if c.state != CycleState::Closed { (apply_form(l, d)) }
        @if !d.plans.is_empty() { (plan_form(l, d)) }
        @if d.manages() { (manage_html(l, d)) }
    };
    (title, body)
}

fn meeting_html(l: L, d: &CyclePage<'_>, m: &MeetingView) -> Markup {
    let host = m.host.as_ref().map(|h| label_text(l, &ex::label(d.viewer, h)));
    let when = model::format_date(m.held_on);
    let past = m.held_on < d.today;
    html! {
        section.gwd-meeting aria-labelledby={ "gwd-m" (m.id) } {
            h3 id={ "gwd-m" (m.id) } { (l.t("Spotkanie", "Meeting")) " " (m.seq) ": " (when)
                @if !past { " " span.tag { (l.t("nadchodzące", "upcoming")) } } }
            dl {
                dt { (l.t("Gospodarz", "Host")) } dd { (host.unwrap_or_else(|| l.t("nie ustalono", "not set").to_owned())) }
                @if let Some(p) = &m.place { dt { (l.t("Miejsce", "Place")) } dd { (p) } }
                @if let Some(a) = &m.agenda { dt { (l.t("Program", "Agenda")) } dd.gwd-notes { (a) } }
                dt { (l.t("Notatki", "Notes")) } dd.gwd-notes { (m.notes.as_deref().unwrap_or(l.t("brak", "none"))) }
            }
            @if !m.documents.is_empty() {
                p { (l.t("Dokumenty:", "Documents:")) }
                ul { @for doc in &m.documents { li { (document_link(l, d.cycle.id, doc)) } } }
            }
            @if d.manages() { (meeting_edit_form(l, d, m)) }
        }
    }
}

fn document_link(l: L, cycle: i64, doc: &DocumentInfo) -> Markup {
    let kb = (doc.size as f64 / 1024.0).max(0.1);
    html! {
        a href=(l.href(&format!("/gwd/{cycle}/dokumenty/{}", doc.id))) { (doc.title) }
        " (" (doc.file_name) ", " (l.num(kb, 1)) " KB)"
    }
}

fn document_form(l: L, d: &CyclePage<'_>) -> Markup {
    let form = "dokument";
    let meetings: Vec<(String, String)> = d
        .meetings
        .iter()
        .map(|m| (m.id.to_string(), format!("{} {}: {}", l.t("Spotkanie", "Meeting"), m.seq, model::format_date(m.held_on))))
        .collect();
    let file = labelled(&d.errors, form, "plik", true);
    html! {
        h3 { (l.t("Dodaj dokument", "Add a document")) }
        form.gwd method="post" action=(l.href(&format!("/gwd/{}/dokumenty", d.cycle.id))) enctype="multipart/form-data" novalidate {
            (csrf_input(d.csrf))
            (field(l, &d.errors, form, "tytul", ("Tytuł", "Title"), None, &d.typed_or(form, "tytul", ""), "text"))
            (select(l, &d.errors, form, "spotkanie", ("Spotkanie (nieobowiązkowe)", "Meeting (optional)"), &meetings, &d.typed_or(form, "spotkanie", ""), Some(("— dokument całej grupy —", "— a document of the whole group —"))))
            p {
                label for=(file.id) { (l.t("Plik", "File"))
                    span.help id={ (file.id) "-help" } { (l.t("PDF, XLSX, DOCX, ODT, CSV albo TXT, najwyżej 5 MB. Widzą go tylko uczestnicy i koordynator.",
                                                              "PDF, XLSX, DOCX, ODT, CSV or TXT, at most 5 MB. Only the participants and the coordinator see it.")) }
                }
                @if let Some(e) = file.err { span.err id={ (file.id) "-err" } { (l.t(&e.pl, &e.en)) } }
                input id=(file.id) name="plik" type="file" accept=".pdf,.xlsx,.docx,.odt,.ods,.csv,.txt" aria-invalid=[file.err.map(|_| "true")] aria-describedby=[file.described];
            }
            p { button type="submit" { (l.t("Dodaj dokument", "Add the document")) } }
        }
    }
}

fn apply_form(l: L, d: &CyclePage<'_>) -> Markup {
    let form = "zgloszenie";
    html! {
        @match &d.apply {
            ApplyUnits::None => {},
            units => {
                h2 { (l.t("Zgłoś jednostkę", "Apply with a unit")) }
                p { (l.t("Zgłoszenie rozpatruje koordynator. Przyjęta jednostka dostaje literę, pod którą występuje w arkuszach grupy.",
                         "The coordinator decides on the application. An accepted unit gets the letter it appears under in the group's sheets.")) }
                form.gwd method="post" action=(l.href(&format!("/gwd/{}/zgloszenie", d.cycle.id))) novalidate {
                    (csrf_input(d.csrf))
                    @match units {
                        ApplyUnits::Choose(list) => {
                            (select(l, &d.errors, form, "jst", ("Jednostka", "Unit"), list, &d.typed_or(form, "jst", ""), None))
                        }
                        _ => {
                            (field(l, &d.errors, form, "jst", ("Jednostka (kod TERYT)", "Unit (TERYT code)"), None, &d.typed_or(form, "jst", ""), "text"))
                        }
                    }
                    (textarea(l, &d.errors, form, "uwagi", ("Kto weźmie udział, uwagi (nieobowiązkowe)", "Who will take part, notes (optional)"), &d.typed_or(form, "uwagi", ""), 3))
                    p { button type="submit" { (l.t("Wyślij zgłoszenie", "Send the application")) } }
                }
            }
        }
    }
}

fn plan_form(l: L, d: &CyclePage<'_>) -> Markup {
    html! {
        h2 { (l.t("Plan poprawy", "Improvement plan")) }
        p { (l.t("Na koniec cyklu każdy uczestnik składa w grupie swój plan poprawy (najpierw przygotuj go na stronie planu jednostki).",
                 "At the end of the cycle every participant files its improvement plan with the group (prepare it first on the unit's plan page).")) }
        ul {
            @for (code, name, filed) in &d.plans {
                li {
                    (name) ": "
                    @if *filed { (l.t("plan złożony", "plan filed")) " · " }
                    a href=(l.href(&format!("/jst/{code}/plan"))) { (l.t("plan jednostki", "the unit's plan")) } " "
                    form.inline method="post" action=(l.href(&format!("/gwd/{}/plan", d.cycle.id))) {
                        (csrf_input(d.csrf))
                        input type="hidden" name="jst" value=(code);
                        button type="submit" {
                            @if *filed { (l.t("Złóż ponownie", "File again")) } @else { (l.t("Złóż plan w grupie", "File the plan with the group")) }
                            span.sr { " — " (name) }
                        }
                    }
                }
            }
        }
    }
}

/// The coordinator's tools: members, applications, a new meeting, the campaign, the state.
fn manage_html(l: L, d: &CyclePage<'_>) -> Markup {
    let c = d.cycle;
    let base = format!("/gwd/{}", c.id);
    let applied: Vec<&MemberView> = c.members.iter().filter(|m| m.state == MemberState::Applied).collect();
    let others: Vec<&MemberView> = c.members.iter().filter(|m| m.state != MemberState::Applied).collect();
    let hosts = d.host_options(l);
    let proposed = d.proposed_host.and_then(|id| d.member_by_id(id)).map(|m| m.code.clone()).unwrap_or_default();
    let campaigns: Vec<(String, String)> = d.campaigns.iter().map(|(id, name)| (id.to_string(), format!("{name} (#{id})"))).collect();
    let linked = c.campaign_id.map(|id| id.to_string()).unwrap_or_default();
    let next: Vec<(String, String)> =
        CycleState::ALL.iter().filter(|s| **s != c.state).map(|s| (s.as_str().to_owned(), state_words(l, *s).to_owned())).collect();
    html! {
        section.gwd-tools aria-labelledby="gwd-koordynator" {
            h2 id="gwd-koordynator" { (l.t("Prowadzenie cyklu (koordynator)", "Running the cycle (coordinator)")) }
            p { (l.t("Tę część widzą tylko koordynator cyklu i administrator. Tu przy nazwach jednostek widać ich litery — nie pokazuj jej uczestnikom.",
                     "Only the cycle's coordinator and an administrator see this part. The units' letters stand beside their names here — do not show it to the participants.")) }
            h3 { (l.t("Zgłoszenia", "Applications")) }
            @if applied.is_empty() { p { (l.t("Brak zgłoszeń czekających na decyzję.", "No application waits for a decision.")) } }
            @else {
                div.scroll role="region" aria-label=(l.t("Zgłoszenia", "Applications")) tabindex="0" {
                    table.stack {
                        caption.sr { (l.t("Zgłoszenia czekające na decyzję", "Applications waiting for a decision")) }
                        thead { tr { th scope="col" { (l.t("Jednostka", "Unit")) } th scope="col" { (l.t("Zgłoszono", "Applied")) } th scope="col" { (l.t("Uwagi", "Notes")) } th scope="col" { (l.t("Decyzja", "Decision")) } } }
                        tbody {
                            @for m in &applied {
                                tr {
                                    th scope="row" { (m.name) " (" (m.code) ")" }
                                    td data-label=(l.t("Zgłoszono", "Applied")) { (m.applied_at.get(..10).unwrap_or(&m.applied_at)) }
                                    td data-label=(l.t("Uwagi", "Notes")) { (m.application.as_deref().unwrap_or("—")) }
                                    td data-label=(l.t("Decyzja", "Decision")) {
                                        (decision_button(l, d, m, "accept", ("Przyjmij", "Accept")))
                                        (decision_button(l, d, m, "reject", ("Odrzuć", "Reject")))
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h3 { (l.t("Uczestnicy i ich litery", "Participants and their letters")) }
            @if others.is_empty() { p { (l.t("Nikt jeszcze nie został przyjęty.", "No one has been accepted yet.")) } }
            @else {
                div.scroll role="region" aria-label=(l.t("Uczestnicy", "Participants")) tabindex="0" {
                    table.stack {
                        caption.sr { (l.t("Uczestnicy cyklu", "The cycle's participants")) }
                        thead { tr { th scope="col" { (l.t("Jednostka", "Unit")) } th scope="col" { (l.t("Litera", "Letter")) } th scope="col" { (l.t("Stan", "State")) } th scope="col" { (l.t("Plan poprawy", "Improvement plan")) } th scope="col" { span.sr { (l.t("Czynności", "Actions")) } } } }
                        tbody {
                            @for m in &others {
                                tr {
                                    th scope="row" { (m.name) " (" (m.code) ")" }
                                    td data-label=(l.t("Litera", "Letter")) { (m.letter.as_deref().unwrap_or("—")) }
                                    td data-label=(l.t("Stan", "State")) { (member_words(l, m.state)) }
                                    td data-label=(l.t("Plan poprawy", "Improvement plan")) {
                                        @match &m.plan_filed_at { Some(at) => { (l.t("złożony ", "filed ")) (at.get(..10).unwrap_or(at)) }, None => { "—" } }
                                    }
                                    td {
                                        @if m.state == MemberState::Accepted { (decision_button(l, d, m, "withdraw", ("Wycofaj", "Withdraw"))) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h3 { (l.t("Dodaj jednostkę", "Add a unit")) }
            form.gwd method="post" action=(l.href(&format!("{base}/czlonkowie"))) novalidate {
                (csrf_input(d.csrf))
                (field(l, &d.errors, "dodaj", "jst", ("Kod TERYT jednostki", "The unit's TERYT code"), Some(("Jednostka zostaje od razu przyjęta i dostaje literę.", "The unit is accepted at once and gets its letter.")), &d.typed_or("dodaj", "jst", ""), "text"))
                p { button type="submit" { (l.t("Dodaj i przyjmij", "Add and accept")) } }
            }
            h3 { (l.t("Nowe spotkanie", "A new meeting")) }
            @if let Some(m) = d.proposed_host.and_then(|id| d.member_by_id(id)) {
                p { (l.t("Proponowany gospodarz (kolejność: kto gościł najrzadziej): ", "Proposed host (in turn: who hosted least): ")) strong { (label_text(l, &ex::label(d.viewer, m))) } }
            }
            form.gwd method="post" action=(l.href(&format!("{base}/spotkania"))) novalidate {
                (csrf_input(d.csrf))
                (meeting_fields(l, d, "spotkanie", &hosts, ("", &proposed, "", "")))
                p { button type="submit" { (l.t("Zapisz spotkanie", "Save the meeting")) } }
            }
            h3 { (l.t("Zbieranie danych grupy", "The group's data collection")) }
            p { (l.t("Wskaźniki własne grupy pochodzą z kampanii formularzy danych; wybierz kampanię, która obejmuje uczestników.",
                     "The group's own indicators come from a data-collection campaign; choose one that covers the participants.")) }
            @if campaigns.is_empty() { p { (l.t("Nie ma jeszcze żadnej kampanii zbierania danych.", "There is no data-collection campaign yet.")) } }
            @else {
                form.gwd method="post" action=(l.href(&format!("{base}/ankieta"))) novalidate {
                    (csrf_input(d.csrf))
                    (select(l, &d.errors, "ankieta", "kampania", ("Kampania", "Campaign"), &campaigns, &d.typed_or("ankieta", "kampania", &linked), Some(("— wybierz —", "— choose —"))))
                    p { button type="submit" { (l.t("Powiąż", "Link")) } }
                }
            }
            h3 { (l.t("Stan cyklu", "The cycle's state")) }
            @if c.state == CycleState::Closed { p { (l.t("Cykl jest zakończony.", "The cycle is closed.")) } }
            @else {
                form.gwd method="post" action=(l.href(&format!("{base}/stan"))) novalidate {
                    (csrf_input(d.csrf))
                    (select(l, &d.errors, "stan", "stan", ("Nowy stan", "New state"), &next, &d.typed_or("stan", "stan", ""), None))
                    p { button type="submit" { (l.t("Zmień stan", "Change the state")) } }
                }
            }
        }
    }
}

fn decision_button(l: L, d: &CyclePage<'_>, m: &MemberView, decision: &str, words: (&str, &str)) -> Markup {
    html! {
        form.inline method="post" action=(l.href(&format!("/gwd/{}/czlonkowie/{}", d.cycle.id, m.code))) {
            (csrf_input(d.csrf))
            input type="hidden" name="decyzja" value=(decision);
            button type="submit" { (l.t(words.0, words.1)) span.sr { " — " (m.name) } }
        }
    }
}

/// The fields of a meeting (`values`: date, host code, place, agenda), in `form`.
fn meeting_fields(l: L, d: &CyclePage<'_>, form: &str, hosts: &[(String, String)], values: (&str, &str, &str, &str)) -> Markup {
    html! {
        (field(l, &d.errors, form, "data", ("Data", "Date"), Some(("RRRR-MM-DD", "YYYY-MM-DD")), &d.typed_or(form, "data", values.0), "date"))
        (select(l, &d.errors, form, "gospodarz", ("Gospodarz", "Host"), hosts, &d.typed_or(form, "gospodarz", values.1), Some(("— bez gospodarza —", "— no host —"))))
        (field(l, &d.errors, form, "miejsce", ("Miejsce (nieobowiązkowe)", "Place (optional)"), None, &d.typed_or(form, "miejsce", values.2), "text"))
        (textarea(l, &d.errors, form, "program", ("Program (nieobowiązkowy)", "Agenda (optional)"), &d.typed_or(form, "program", values.3), 3))
    }
}

fn meeting_edit_form(l: L, d: &CyclePage<'_>, m: &MeetingView) -> Markup {
    let form = format!("spotkanie-{}", m.id);
    let open = d.errors.iter().any(|e| e.form == form);
    let host = m.host.as_ref().map(|h| h.code.clone()).unwrap_or_default();
    let date = model::format_date(m.held_on);
    html! {
        details open[open] {
            summary { (l.t("Zmień spotkanie, dopisz notatki", "Change the meeting, write the notes")) span.sr { " " (m.seq) } }
            form.gwd method="post" action=(l.href(&format!("/gwd/{}/spotkania/{}", d.cycle.id, m.id))) novalidate {
                (csrf_input(d.csrf))
                (meeting_fields(l, d, &form, &d.host_options(l), (&date, &host, m.place.as_deref().unwrap_or(""), m.agenda.as_deref().unwrap_or(""))))
                (textarea(l, &d.errors, &form, "notatki", ("Notatki ze spotkania", "Notes of the meeting"), &d.typed_or(&form, "notatki", m.notes.as_deref().unwrap_or("")), 6))
                p { button type="submit" { (l.t("Zapisz zmiany", "Save the changes")) } }
            }
        }
    }
}

fn cycle_id(path: Result<Path<String>, PathRejection>) -> Result<i64, WebError> {
    path.ok().and_then(|Path(id)| id.parse::<i64>().ok()).filter(|&id| id > 0).ok_or(WebError::NotFound)
}

async fn load(state: &AppState, id: i64) -> Result<CycleView, WebError> {
    ex::cycle(&state.store, id).await.map_err(WebError::from)?.ok_or(WebError::NotFound)
}

/// Renders the cycle page for `ctx` with `status`, the refused form's problems and values.
async fn cycle_response(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    status: StatusCode,
    errors: Vec<FieldError>,
    typed: Vec<(String, String)>,
    notice: Option<&str>,
) -> Response {
    match cycle_page(state, ctx, id, errors, typed, notice).await {
        Ok((title, body)) => respond(ctx, status, &title, body),
        Err(e) => ctx.error(e),
    }
}

async fn cycle_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: Vec<FieldError>,
    typed: Vec<(String, String)>,
    notice: Option<&str>,
) -> Result<(String, Markup), WebError> {
    let cycle = load(state, id).await?;
    let viewer = Viewer::of(ctx.user.as_ref(), &cycle);
    let (meetings, documents) =
        if viewer.may_read() { (ex::meetings(&state.store, id).await?, ex::documents(&state.store, id).await?) } else { (Vec::new(), Vec::new()) };
    let mut apply = ApplyUnits::None;
    let mut plans = Vec::new();
    if let Some(user) = &ctx.user {
        let taken = |unit: i64| cycle.member(unit).is_some_and(|m| matches!(m.state, MemberState::Applied | MemberState::Accepted));
        match user.scope(Action::Plan) {
            Scope::All => apply = ApplyUnits::Code,
            Scope::Units(ids) => {
                let mut list = Vec::new();
                for unit in ids.iter().copied().filter(|&u| !taken(u)) {
                    if let Some(u) = state.store.unit(unit).await? {
                        list.push((u.code.as_str().to_owned(), u.name));
                    }
                }
                list.sort_by(|a, b| model::fold(&a.1).cmp(&model::fold(&b.1)).then_with(|| a.0.cmp(&b.0)));
                if !list.is_empty() {
                    apply = ApplyUnits::Choose(list);
                }
            }
        }
        plans = cycle
            .accepted()
            .filter(|m| viewer.member_units.contains(&m.unit_id) && user.can(Action::Plan, m.unit_id))
            .map(|m| (m.code.clone(), m.name.clone(), m.plan_id.is_some()))
            .collect();
    }
    let campaigns = if viewer.sees_all() {
        app::campaigns::campaigns(&state.store).await?.into_iter().map(|c| (c.id, format!("{} ({})", c.name, c.year))).collect()
    } else {
        Vec::new()
    };
    let proposed_host = if viewer.sees_all() { ex::host_rotation(&cycle.members, &meetings) } else { None };
    let page = CyclePage {
        cycle: &cycle,
        viewer: &viewer,
        meetings: &meetings,
        documents: &documents,
        csrf: &ctx.csrf,
        apply,
        plans,
        campaigns,
        proposed_host,
        today: app::campaigns::today(),
        errors,
        typed,
        notice,
    };
    Ok(cycle_html(ctx.lang, &page))
}

async fn cycle_get(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri, path: Result<Path<String>, PathRejection>) -> Response {
    let id = match cycle_id(path) {
        Ok(id) => id,
        Err(e) => return ctx.error(e),
    };
    cycle_response(&state, &ctx, id, StatusCode::OK, Vec::new(), Vec::new(), notice(ctx.lang, &uri)).await
}

// ---------------------------------------------------------------------------------------
// Writes.

/// The coordinator's writes: the token, the cycle, a signed-in user who may coordinate and
/// runs this cycle (or is an admin). A user who may not read the cycle gets 404.
async fn managed(state: &AppState, ctx: &Ctx, csrf: &str, id: Result<i64, WebError>) -> Result<(CycleView, Viewer, app::accounts::Actor), WebError> {
    ctx.check_csrf(csrf)?;
    let id = id?;
    let cycle = load(state, id).await?;
    let user = ctx.require_user()?;
    let viewer = Viewer::of(Some(user), &cycle);
    if !viewer.may_read() {
        return Err(WebError::NotFound);
    }
    if !viewer.sees_all() || !user.can_any(Action::Coordinate) {
        return Err(WebError::Forbidden);
    }
    Ok((cycle, viewer, user.actor(ctx.address.clone())))
}

/// A refused write: the cycle page again, 400, the problem at its field.
async fn refused(state: &AppState, ctx: &Ctx, id: i64, error: FieldError, pairs: Vec<(String, String)>) -> Response {
    cycle_response(state, ctx, id, StatusCode::BAD_REQUEST, vec![error], pairs, None).await
}

/// The unit of a typed TERYT code: (id, code); a problem of `form`'s `jst` otherwise.
async fn unit_by_code(state: &AppState, form: &str, raw: &str) -> Result<Result<(i64, String), FieldError>, WebError> {
    let raw = raw.trim();
    let bad = || FieldError::new(form, "jst", "Jednostka: podaj kod TERYT istniejącej jednostki.", "Unit: give the TERYT code of an existing unit.");
    let Ok(code) = TerytCode::parse_lenient(raw) else { return Ok(Err(bad())) };
    Ok(state.store.unit_id_for_code(&code).await?.map(|id| (id, code.as_str().to_owned())).ok_or_else(bad))
}

/// `POST /gwd/{id}/zgloszenie`: `jst` (TERYT code), `uwagi`.
async fn apply_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = form_pairs(form);
    if let Err(e) = ctx.check_csrf(pick(&pairs, "csrf")) {
        return ctx.error(e);
    }
    let cycle = match cycle_id(path) {
        Ok(id) => match load(&state, id).await {
            Ok(c) => c,
            Err(e) => return ctx.error(e),
        },
        Err(e) => return ctx.error(e),
    };
    if let Err(e) = ctx.require_any(Action::Plan) {
        return ctx.error(e);
    }
    let (unit, _) = match unit_by_code(&state, "zgloszenie", pick(&pairs, "jst")).await {
        Ok(Ok(u)) => u,
        Ok(Err(problem)) => return refused(&state, &ctx, cycle.id, problem, pairs).await,
        Err(e) => return ctx.error(e),
    };
    let user = match ctx.require(Action::Plan, unit) {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    let note = pick(&pairs, "uwagi").trim();
    if note.chars().count() > ex::MAX_TEXT {
        let (pl, en) = (format!("Uwagi: najwyżej {} znaków.", ex::MAX_TEXT), format!("Notes: at most {} characters.", ex::MAX_TEXT));
        return refused(&state, &ctx, cycle.id, FieldError::new("zgloszenie", "uwagi", &pl, &en), pairs).await;
    }
    let note = (!note.is_empty()).then_some(note);
    match ex::apply(&state.store, cycle.id, unit, note, &user.actor(ctx.address.clone())).await {
        Ok(()) => see_other(l, &format!("/gwd/{}", cycle.id), "zgloszono"),
        Err(app::AppError::Invalid(why)) => {
            let problem = app_problem("zgloszenie", &[("jst", "unit"), ("uwagi", "application")], &why);
            refused(&state, &ctx, cycle.id, problem, pairs).await
        }
        Err(e) => ctx.error(e.into()),
    }
}

/// `POST /gwd/{id}/czlonkowie/{unit}`: `decyzja` = accept | reject | withdraw.
async fn decide_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = form_pairs(form);
    let ids = path.ok().map(|Path(x)| x);
    let id = ids.as_ref().and_then(|(a, _)| a.parse::<i64>().ok()).filter(|&i| i > 0).ok_or(WebError::NotFound);
    let (cycle, _, actor) = match managed(&state, &ctx, pick(&pairs, "csrf"), id).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    let code = ids.as_ref().map(|(_, u)| u.as_str()).unwrap_or("");
    let Some(member) = TerytCode::parse_lenient(code).ok().and_then(|c| cycle.members.iter().find(|m| m.code == c.as_str())) else {
        return ctx.error(WebError::NotFound);
    };
    let result = match pick(&pairs, "decyzja") {
        "accept" => ex::decide(&state.store, cycle.id, member.unit_id, true, &actor).await.map(|_| "przyjeto"),
        "reject" => ex::decide(&state.store, cycle.id, member.unit_id, false, &actor).await.map(|_| "odrzucono"),
        "withdraw" => ex::withdraw(&state.store, cycle.id, member.unit_id, &actor).await.map(|_| "wycofano"),
        _ => return ctx.error(WebError::BadRequest("decyzja: accept, reject albo withdraw / accept, reject or withdraw".into())),
    };
    match result {
        Ok(n) => see_other(l, &format!("/gwd/{}", cycle.id), n),
        Err(app::AppError::Invalid(why)) => {
            // The decision has no field of its own: the problem stands in the summary at the top.
            let problem = app_problem("czlonkowie", &[("decyzja", "decision")], &why);
            refused(&state, &ctx, cycle.id, problem, Vec::new()).await
        }
        Err(e) => ctx.error(e.into()),
    }
}

/// `POST /gwd/{id}/czlonkowie`: `jst` (TERYT code), added and accepted.
async fn add_member_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = form_pairs(form);
    let (cycle, _, actor) = match managed(&state, &ctx, pick(&pairs, "csrf"), cycle_id(path)).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    let code = pick(&pairs, "jst").trim();
    if code.is_empty() || code.len() > 16 {
        let problem = FieldError::new("dodaj", "jst", "Kod TERYT: wpisz kod jednostki.", "TERYT code: type the unit's code.");
        return refused(&state, &ctx, cycle.id, problem, pairs).await;
    }
    match ex::add_unit_member(&state.store, cycle.id, code, &actor).await {
        Ok(_) => see_other(l, &format!("/gwd/{}", cycle.id), "dodano"),
        Err(app::AppError::Invalid(why)) => {
            let problem = app_problem("dodaj", &[("jst", "unit")], &why);
            refused(&state, &ctx, cycle.id, problem, pairs).await
        }
        Err(app::AppError::NotFound(_) | app::AppError::UnknownUnit { .. }) => {
            let problem =
                FieldError::new("dodaj", "jst", "Kod TERYT: nie ma jednostki o tym kodzie.", "TERYT code: there is no unit with this code.");
            refused(&state, &ctx, cycle.id, problem, pairs).await
        }
        Err(e) => ctx.error(e.into()),
    }
}

/// A meeting form's fields, or the problem of one of them.
fn meeting_form(form: &str, cycle: &CycleView, pairs: &[(String, String)]) -> Result<ex::MeetingFields, FieldError> {
    let Some(held_on) = model::parse_date(pick(pairs, "data")) else {
        return Err(FieldError::new(form, "data", "Data: wpisz datę RRRR-MM-DD.", "Date: type a date YYYY-MM-DD."));
    };
    let host = pick(pairs, "gospodarz").trim();
    let host_unit_id = if host.is_empty() {
        None
    } else {
        match cycle.accepted().find(|m| m.code == host) {
            Some(m) => Some(m.unit_id),
            None => {
                return Err(FieldError::new(
                    form,
                    "gospodarz",
                    "Gospodarz: wybierz uczestnika z listy.",
                    "Host: choose a participant from the list.",
                ));
            }
        }
    };
    let place = optional(pick(pairs, "miejsce"));
    if place.as_ref().is_some_and(|p| p.chars().count() > ex::MAX_TITLE) {
        let (pl, en) = (format!("Miejsce: najwyżej {} znaków.", ex::MAX_TITLE), format!("Place: at most {} characters.", ex::MAX_TITLE));
        return Err(FieldError::new(form, "miejsce", &pl, &en));
    }
    let agenda = optional(pick(pairs, "program"));
    if agenda.as_ref().is_some_and(|a| a.chars().count() > ex::MAX_TEXT) {
        let (pl, en) = (format!("Program: najwyżej {} znaków.", ex::MAX_TEXT), format!("Agenda: at most {} characters.", ex::MAX_TEXT));
        return Err(FieldError::new(form, "program", &pl, &en));
    }
    Ok(ex::MeetingFields { held_on, host_unit_id, place, agenda })
}

const MEETING_FIELDS: [(&str, &str); 5] =
    [("data", "held_on"), ("gospodarz", "host"), ("miejsce", "place"), ("program", "agenda"), ("notatki", "notes")];

/// `POST /gwd/{id}/spotkania`: `data`, `gospodarz` (a member's code), `miejsce`, `program`.
async fn meeting_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = form_pairs(form);
    let (cycle, _, actor) = match managed(&state, &ctx, pick(&pairs, "csrf"), cycle_id(path)).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    let fields = match meeting_form("spotkanie", &cycle, &pairs) {
        Ok(f) => f,
        Err(problem) => return refused(&state, &ctx, cycle.id, problem, pairs).await,
    };
    match ex::add_meeting(&state.store, cycle.id, &fields, &actor).await {
        Ok(_) => see_other(l, &format!("/gwd/{}", cycle.id), "spotkanie"),
        Err(app::AppError::Invalid(why)) => refused(&state, &ctx, cycle.id, app_problem("spotkanie", &MEETING_FIELDS, &why), pairs).await,
        Err(e) => ctx.error(e.into()),
    }
}

/// `POST /gwd/{id}/spotkania/{mid}`: the meeting's fields and `notatki`.
async fn meeting_edit_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = form_pairs(form);
    let ids = path.ok().and_then(|Path((a, b))| Some((a.parse::<i64>().ok()?, b.parse::<i64>().ok()?)));
    let (cycle, _, actor) = match managed(&state, &ctx, pick(&pairs, "csrf"), ids.map(|(a, _)| a).ok_or(WebError::NotFound)).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    let Some((_, mid)) = ids else { return ctx.error(WebError::NotFound) };
    let meetings = match ex::meetings(&state.store, cycle.id).await {
        Ok(m) => m,
        Err(e) => return ctx.error(e.into()),
    };
    if !meetings.iter().any(|m| m.id == mid) {
        return ctx.error(WebError::NotFound);
    }
    let form_id = format!("spotkanie-{mid}");
    let fields = match meeting_form(&form_id, &cycle, &pairs) {
        Ok(f) => f,
        Err(problem) => return refused(&state, &ctx, cycle.id, problem, pairs).await,
    };
    let notes = pick(&pairs, "notatki").trim();
    if notes.chars().count() > ex::MAX_TEXT {
        let (pl, en) = (format!("Notatki: najwyżej {} znaków.", ex::MAX_TEXT), format!("Notes: at most {} characters.", ex::MAX_TEXT));
        return refused(&state, &ctx, cycle.id, FieldError::new(&form_id, "notatki", &pl, &en), pairs).await;
    }
    let notes = (!notes.is_empty()).then_some(notes);
    match ex::update_meeting(&state.store, mid, &fields, notes, &actor).await {
        Ok(()) => see_other(l, &format!("/gwd/{}", cycle.id), "spotkanie"),
        Err(app::AppError::Invalid(why)) => refused(&state, &ctx, cycle.id, app_problem(&form_id, &MEETING_FIELDS, &why), pairs).await,
        Err(e) => ctx.error(e.into()),
    }
}

/// Reads one multipart field whole, refusing more than `max` bytes.
async fn field_bytes(field: &mut axum::extract::multipart::Field<'_>, max: usize) -> Result<Vec<u8>, ()> {
    let mut out = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|_| ())? {
        if out.len() + chunk.len() > max {
            return Err(());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A document upload as read: its text fields and the file (name, bytes).
#[derive(Default)]
struct Upload {
    text: Vec<(String, String)>,
    file: Option<(String, Vec<u8>)>,
}

/// Why an upload was not read.
enum UploadError {
    TooLarge,
    Broken,
}

async fn read_upload(multipart: Result<Multipart, MultipartRejection>) -> Result<Upload, UploadError> {
    let mut multipart = multipart.map_err(|_| UploadError::Broken)?;
    let mut up = Upload::default();
    for _ in 0..20 {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(up),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(UploadError::TooLarge),
            Err(_) => return Err(UploadError::Broken),
        };
        let name = field.name().unwrap_or("").to_owned();
        if name == "plik" && field.file_name().is_some() {
            let file_name = field.file_name().unwrap_or("").to_owned();
            let bytes = field_bytes(&mut field, ex::MAX_DOCUMENT).await.map_err(|_| UploadError::TooLarge)?;
            if !bytes.is_empty() {
                up.file = Some((file_name, bytes));
            }
        } else {
            let bytes = field_bytes(&mut field, 16 * 1024).await.map_err(|_| UploadError::TooLarge)?;
            up.text.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    Err(UploadError::Broken)
}

/// `POST /gwd/{id}/dokumenty` (multipart): `tytul`, `spotkanie`, `plik`; the coordinator or a
/// participant.
async fn document_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let l = ctx.lang;
    let up = read_upload(multipart).await;
    // The token first: a cross-site form learns nothing, not even how its file fared.
    let csrf = up.as_ref().map(|u| pick(&u.text, "csrf").to_owned()).unwrap_or_default();
    if let Err(e) = ctx.check_csrf(&csrf) {
        return ctx.error(e);
    }
    let cycle = match cycle_id(path) {
        Ok(id) => match load(&state, id).await {
            Ok(c) => c,
            Err(e) => return ctx.error(e),
        },
        Err(e) => return ctx.error(e),
    };
    let user = match ctx.require_user() {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    let viewer = Viewer::of(Some(user), &cycle);
    if !viewer.may_read() {
        return ctx.error(WebError::NotFound);
    }
    let up = match up {
        Ok(u) => u,
        Err(UploadError::TooLarge) => {
            let problem = FieldError::new("dokument", "plik", "Plik: najwyżej 5 MB.", "File: at most 5 MB.");
            return refused(&state, &ctx, cycle.id, problem, Vec::new()).await;
        }
        Err(UploadError::Broken) => return ctx.error(WebError::BadRequest("multipart: formularz nieczytelny / the form cannot be read".into())),
    };
    let typed: Vec<(String, String)> = up.text.iter().filter(|(k, _)| k != "csrf").cloned().collect();
    let title = pick(&up.text, "tytul").trim().to_owned();
    let problem = |field: &str, pl: &str, en: &str| FieldError::new("dokument", field, pl, en);
    if title.is_empty() || title.chars().count() > ex::MAX_TITLE {
        let p = problem("tytul", "Tytuł: wpisz tytuł dokumentu (najwyżej 200 znaków).", "Title: type the document's title (at most 200 characters).");
        return refused(&state, &ctx, cycle.id, p, typed).await;
    }
    let meeting = match pick(&up.text, "spotkanie").trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(m) => Some(m),
            Err(_) => {
                return refused(&state, &ctx, cycle.id, problem("spotkanie", "Spotkanie: wybierz z listy.", "Meeting: choose from the list."), typed)
                    .await;
            }
        },
    };
    let Some((file_name, bytes)) = &up.file else {
        return refused(&state, &ctx, cycle.id, problem("plik", "Plik: wybierz plik do wysłania.", "File: choose a file to send."), typed).await;
    };
    let actor = user.actor(ctx.address.clone());
    match ex::add_document(&state.store, cycle.id, meeting, &title, file_name, bytes, &actor).await {
        Ok(_) => see_other(l, &format!("/gwd/{}", cycle.id), "dokument"),
        Err(app::AppError::Invalid(why)) => {
            let p = app_problem("dokument", &[("plik", "file"), ("tytul", "title"), ("spotkanie", "meeting")], &why);
            refused(&state, &ctx, cycle.id, p, typed).await
        }
        Err(app::AppError::NotFound(_)) => {
            refused(
                &state,
                &ctx,
                cycle.id,
                problem("spotkanie", "Spotkanie: nie ma takiego spotkania w cyklu.", "Meeting: the cycle has no such meeting."),
                typed,
            )
            .await
        }
        Err(e) => ctx.error(e.into()),
    }
}

/// `GET /gwd/{id}/dokumenty/{did}`: for those who may read the cycle, as an attachment.
async fn document_get(State(state): State<Arc<AppState>>, ctx: Ctx, path: Result<Path<(String, String)>, PathRejection>) -> Response {
    let Some((id, did)) = path.ok().and_then(|Path((a, b))| Some((a.parse::<i64>().ok()?, b.parse::<i64>().ok()?))) else {
        return ctx.error(WebError::NotFound);
    };
    let cycle = match load(&state, id).await {
        Ok(c) => c,
        Err(e) => return ctx.error(e),
    };
    if !Viewer::of(ctx.user.as_ref(), &cycle).may_read() {
        return ctx.error(WebError::NotFound);
    }
    let (info, bytes) = match ex::document(&state.store, did).await {
        Ok(Some(d)) if d.0.cycle_id == cycle.id => d,
        Ok(_) => return ctx.error(WebError::NotFound),
        Err(e) => return ctx.error(e.into()),
    };
    attachment(&info, bytes)
}

/// A document as a download: never sniffed, never cached, never shown inline.
fn attachment(info: &DocumentInfo, bytes: Vec<u8>) -> Response {
    let ascii: String = info.file_name.chars().map(|ch| if ch.is_ascii_alphanumeric() || ".-_ ".contains(ch) { ch } else { '_' }).collect();
    let ascii = if ascii.trim().is_empty() { "dokument".to_owned() } else { ascii };
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", crate::auth::encode(&info.file_name));
    let content_type = HeaderValue::from_str(&info.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment"))),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
        ],
        bytes,
    )
        .into_response()
}

/// `POST /gwd/{id}/ankieta`: `kampania` (a campaign's id).
async fn campaign_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = form_pairs(form);
    let (cycle, _, actor) = match managed(&state, &ctx, pick(&pairs, "csrf"), cycle_id(path)).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    let bad = || FieldError::new("ankieta", "kampania", "Kampania: wybierz kampanię z listy.", "Campaign: choose a campaign from the list.");
    let Ok(campaign) = pick(&pairs, "kampania").trim().parse::<i64>() else {
        return refused(&state, &ctx, cycle.id, bad(), pairs).await;
    };
    match ex::link_campaign(&state.store, cycle.id, campaign, &actor).await {
        Ok(()) => see_other(l, &format!("/gwd/{}", cycle.id), "ankieta"),
        Err(app::AppError::Invalid(why)) => refused(&state, &ctx, cycle.id, app_problem("ankieta", &[("kampania", "campaign")], &why), pairs).await,
        Err(app::AppError::NotFound(_)) => refused(&state, &ctx, cycle.id, bad(), pairs).await,
        Err(e) => ctx.error(e.into()),
    }
}

/// `POST /gwd/{id}/stan`: `stan` = recruiting | running | closed.
async fn state_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = form_pairs(form);
    let (cycle, _, actor) = match managed(&state, &ctx, pick(&pairs, "csrf"), cycle_id(path)).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    let Some(next) = CycleState::parse(pick(&pairs, "stan")) else {
        let problem = FieldError::new("stan", "stan", "Stan: wybierz z listy.", "State: choose from the list.");
        return refused(&state, &ctx, cycle.id, problem, pairs).await;
    };
    match ex::set_state(&state.store, cycle.id, next, &actor).await {
        Ok(()) => see_other(l, &format!("/gwd/{}", cycle.id), "stan"),
        Err(app::AppError::Invalid(why)) => refused(&state, &ctx, cycle.id, app_problem("stan", &[("stan", "state")], &why), pairs).await,
        Err(e) => ctx.error(e.into()),
    }
}

/// `POST /gwd/{id}/plan`: `jst` (a member's code); the unit's planner files its plan.
async fn plan_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = form_pairs(form);
    if let Err(e) = ctx.check_csrf(pick(&pairs, "csrf")) {
        return ctx.error(e);
    }
    let cycle = match cycle_id(path) {
        Ok(id) => match load(&state, id).await {
            Ok(c) => c,
            Err(e) => return ctx.error(e),
        },
        Err(e) => return ctx.error(e),
    };
    let code = TerytCode::parse_lenient(pick(&pairs, "jst").trim()).ok();
    let Some(member) = code.and_then(|c| cycle.accepted().find(|m| m.code == c.as_str())) else {
        let user = match ctx.require_any(Action::Plan) {
            Ok(u) => u,
            Err(e) => return ctx.error(e),
        };
        if !Viewer::of(Some(user), &cycle).may_read() {
            return ctx.error(WebError::NotFound);
        }
        let problem =
            FieldError::new("plan", "jst", "Jednostka: tylko przyjęty uczestnik składa plan.", "Unit: only an accepted participant files a plan.");
        return refused(&state, &ctx, cycle.id, problem, pairs).await;
    };
    let user = match ctx.require(Action::Plan, member.unit_id) {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    match ex::file_plan(&state.store, cycle.id, member.unit_id, &user.actor(ctx.address.clone())).await {
        Ok(()) => see_other(l, &format!("/gwd/{}", cycle.id), "plan"),
        Err(app::AppError::Invalid(why)) => {
            // The plan form is a button per unit: the problem stands in the summary at the top.
            refused(&state, &ctx, cycle.id, app_problem("plan", &[("jst", "plan")], &why), Vec::new()).await
        }
        Err(e) => ctx.error(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// The API.

/// A member of a cycle in the public list: no letter.
#[derive(Debug, Serialize, ToSchema)]
pub struct CycleMemberDto {
    /// TERYT code.
    pub code: String,
    pub name: String,
}

/// A cycle of an exchange group, as anyone may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CycleDto {
    pub id: i64,
    pub name: String,
    /// The catalogue area compared.
    pub sector: String,
    pub sector_name_pl: String,
    pub sector_name_en: String,
    pub year: i32,
    /// recruiting | running | closed
    pub state: String,
    pub coordinator: String,
    pub description: Option<String>,
    /// The accepted members, alphabetical by name; which letter is which unit is never told.
    pub members: Vec<CycleMemberDto>,
    /// The cycle's page.
    pub url: String,
}

/// The public wire form of a cycle.
pub fn cycle_dto(c: &CycleView) -> CycleDto {
    let mut members: Vec<CycleMemberDto> = c.accepted().map(|m| CycleMemberDto { code: m.code.clone(), name: m.name.clone() }).collect();
    members.sort_by(|a, b| model::fold(&a.name).cmp(&model::fold(&b.name)).then_with(|| a.code.cmp(&b.code)));
    CycleDto {
        id: c.id,
        name: c.name.clone(),
        sector: c.sector.clone(),
        sector_name_pl: c.sector_name_pl.clone(),
        sector_name_en: c.sector_name_en.clone(),
        year: c.year,
        state: c.state.as_str().to_owned(),
        coordinator: c.coordinator_name.clone(),
        description: c.description.clone(),
        members,
        url: format!("/gwd/{}", c.id),
    }
}

/// `GET /api/v1/exchange/cycles`: every cycle, public fields only.
#[utoipa::path(get, path = "/api/v1/exchange/cycles", tag = "data",
    responses((status = 200, description = "Cykle grup wymiany, uczestnicy bez liter / Exchange-group cycles, members without letters", body = Vec<CycleDto>)))]
pub(crate) async fn api_cycles(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    match ex::cycles(&state.store).await {
        Ok(list) => {
            let items: Vec<CycleDto> = list.iter().map(cycle_dto).collect();
            json_answer(&headers, &items)
        }
        Err(e) => WebError::from(e).into_json(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    fn member(unit_id: i64, code: &str, name: &str, state: MemberState, letter: Option<&str>) -> MemberView {
        MemberView {
            unit_id,
            code: code.into(),
            name: name.into(),
            state,
            letter: letter.map(str::to_owned),
            application: Some("Zespół: trzy osoby".into()),
            applied_at: "2025-01-10T10:00:00Z".into(),
            applied_by: "user:x".into(),
            decided_at: None,
            plan_id: None,
            plan_filed_at: None,
        }
    }

    fn cycle() -> CycleView {
        CycleView {
            id: 3,
            name: "GWD Oświata".into(),
            sector: "edukacja".into(),
            sector_name_pl: "Edukacja".into(),
            sector_name_en: "Education".into(),
            year: 2024,
            description: None,
            state: CycleState::Running,
            coordinator_user_id: 9,
            coordinator_name: "Anna Koordynator".into(),
            campaign_id: None,
            campaign_variables: vec![],
            created_at: "2025-01-01T00:00:00Z".into(),
            closed_at: None,
            members: vec![
                member(1, "0201011", "Zgorzelec", MemberState::Accepted, Some("B")),
                member(2, "0201022", "Bolesławiec", MemberState::Accepted, Some("A")),
                member(3, "0201033", "Lubań", MemberState::Applied, None),
            ],
        }
    }

    fn page<'a>(c: &'a CycleView, v: &'a Viewer, meetings: &'a [MeetingView]) -> CyclePage<'a> {
        CyclePage {
            cycle: c,
            viewer: v,
            meetings,
            documents: &[],
            csrf: "t0k3n",
            apply: ApplyUnits::None,
            plans: vec![],
            campaigns: vec![],
            proposed_host: None,
            today: model::parse_date("2025-03-01").unwrap(),
            errors: vec![],
            typed: vec![],
            notice: None,
        }
    }

    fn meeting(host: &MemberView) -> MeetingView {
        MeetingView {
            id: 5,
            seq: 1,
            held_on: model::parse_date("2025-02-01").unwrap(),
            host_unit_id: Some(host.unit_id),
            host: Some(host.clone()),
            place: Some("Ratusz".into()),
            agenda: None,
            notes: Some("Ustalenia".into()),
            documents: vec![],
        }
    }

    #[test]
    fn the_public_list_names_accepted_members_alphabetically_without_letters() {
        let (_, body) = list_html(L::PL, &[cycle()], false, None);
        let html = body.into_string();
        let (a, b) = (html.find("Bolesławiec").unwrap(), html.find("Zgorzelec").unwrap());
        assert!(a < b, "alphabetical");
        assert!(!html.contains("Lubań"), "an applicant is not listed");
        assert!(!html.contains("Uczestnik A") && !html.contains("Uczestnik B"));
        assert!(html.contains("Grupa wymiany doświadczeń (GWD)"), "the intro for residents");
    }

    #[test]
    fn a_member_sees_its_own_unit_named_and_the_other_host_by_letter() {
        let c = cycle();
        let v = Viewer { user_id: Some(4), own_units: vec![2], member_units: vec![2], ..Default::default() };
        let meetings = [meeting(&c.members[0])];
        let (_, body) = cycle_html(L::PL, &page(&c, &v, &meetings));
        let html = body.into_string();
        assert!(html.contains("Uczestnik B"), "the other member hosts as a letter");
        assert!(!html.contains("Zgorzelec (0201011)"), "never its name beside the page's letters");
        assert!(html.contains("litera w arkuszach"), "its own letter is told to the member");
        assert!(html.contains("/gwd/3/arkusz"));
        assert!(!html.contains("Prowadzenie cyklu"), "no coordinator tools");
        let outsider = Viewer::default();
        let html = cycle_html(L::PL, &page(&c, &outsider, &[])).1.into_string();
        assert!(!html.contains("/gwd/3/arkusz") && !html.contains("Spotkanie 1"), "nothing member-only for an outsider");
    }

    #[test]
    fn the_coordinator_gets_the_tools_with_letters_and_the_proposed_host() {
        let c = cycle();
        let v = Viewer { user_id: Some(9), coordinator: true, ..Default::default() };
        let mut p = page(&c, &v, &[]);
        p.proposed_host = Some(2);
        let html = cycle_html(L { en: true }, &p).1.into_string();
        assert!(html.contains("Running the cycle (coordinator)"));
        assert!(html.contains("Proposed host"));
        assert!(html.contains("Bolesławiec (0201022), participant A"));
        assert!(html.contains("<option value=\"0201022\" selected>"), "the proposed host is chosen");
        assert!(html.contains("value=\"accept\"") && html.contains("Lubań (0201033)"), "the application waits");
        assert_eq!(html.matches("name=\"csrf\" value=\"t0k3n\"").count(), 8, "accept, reject, 2 withdraw, add, meeting, document, state");
    }

    #[test]
    fn app_refusals_land_on_their_field() {
        let e = app_problem("spotkanie", &MEETING_FIELDS, "place: za długie / too long");
        assert_eq!((e.field.as_str(), e.pl.as_str(), e.en.as_str()), ("miejsce", "place: za długie", "too long"));
        let e = app_problem("spotkanie", &MEETING_FIELDS, "coś innego");
        assert_eq!(e.field, "data");
        let f = CycleForm { name: String::new(), sector: "x".into(), year: "1800".into(), description: String::new() };
        let errors = f.check(&[("edukacja".into(), "Edukacja".into())]).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["nazwa", "sektor", "rok"]);
    }

    #[test]
    fn the_api_form_has_no_letters() {
        let json = serde_json::to_string(&cycle_dto(&cycle())).unwrap();
        assert!(!json.contains("letter") && !json.contains("\"A\"") && !json.contains("Lubań"));
        assert!(json.find("Bolesławiec").unwrap() < json.find("Zgorzelec").unwrap());
    }
}
