//! Priorities and improvement plans on the web (issue 18), for a unit (`/jst/{code}/…`) and for
//! a functional area (`/obszary-funkcjonalne/{code}/…`): the plan page (priorities, actions,
//! each target with its trajectory as a chart and a table of the years' progress), the
//! priorities page (the diagnosis' weaknesses to choose from), the action and target forms
//! (the target helper proposes values from the peer group), the plan as CSV and JSON,
//! `GET /api/v1/units/{code}/plan`, and the plan's section on the unit card.
//!
//! A public plan is open to anyone; an internal one — and an owner without a plan — is 404 to
//! everyone without `Action::ReadUnpublished` on the unit (an area: on its lead unit), so its
//! existence is not revealed. Pages with a user are `private, no-store`. Every POST: the CSRF
//! token, then `Action::Plan` on the unit, then `app::plans` with the user as the actor (the
//! store writes the audit rows); a refused form comes back 400 with the error beside its field.

use std::sync::Arc;

use app::accounts::{Action, CurrentUser};
use app::plans::{self, ActionFields, ActionView, PlanFields, PlanOwner, PlanRow, PlanView, PriorityView, Proposals, TargetFields, TargetView};
use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, PreEscaped, html};

use compose::report::{method_text, progress_text, status_words};

use crate::AppState;
use crate::auth::Ctx;
use crate::common::{GROUPS, group_canonical, group_param};
use crate::error::WebError;
use crate::i18n::L;
use crate::layout::heading_name;
use crate::portal::Portal;

// ---------------------------------------------------------------------------------------
// Owners, routes, words.

/// Whose plan a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Unit,
    Area,
}

impl Kind {
    fn of(uri: &Uri) -> Kind {
        if uri.path().starts_with("/obszary-funkcjonalne/") { Kind::Area } else { Kind::Unit }
    }

    /// The owner's card: `/jst/{code}` or `/obszary-funkcjonalne/{code}`.
    fn base(self, code: &str) -> String {
        match self {
            Kind::Unit => format!("/jst/{code}"),
            Kind::Area => format!("/obszary-funkcjonalne/{code}"),
        }
    }
}

/// The routes of the plan pages, for units and for functional areas.
pub fn routes() -> Router<Arc<AppState>> {
    // Written out (not built in a loop) so that `tests/access.rs` finds every POST route.
    Router::new()
        .route("/jst/{code}/plan", get(plan_get).post(plan_post))
        .route("/jst/{code}/plan.csv", get(plan_csv))
        .route("/jst/{code}/plan.json", get(plan_json))
        .route("/jst/{code}/priorytety", get(priorities_get).post(priority_add))
        .route("/jst/{code}/priorytety/{id}/usun", post(priority_remove))
        .route("/jst/{code}/plan/dzialania", post(action_add))
        .route("/jst/{code}/plan/dzialania/{id}", get(action_get).post(action_post))
        .route("/jst/{code}/plan/dzialania/{id}/usun", post(action_remove))
        .route("/jst/{code}/plan/dzialania/{id}/cel", get(target_get).post(target_post))
        .route("/jst/{code}/plan/cele/{id}/usun", post(target_remove))
        .route("/obszary-funkcjonalne/{code}/plan", get(plan_get).post(plan_post))
        .route("/obszary-funkcjonalne/{code}/plan.csv", get(plan_csv))
        .route("/obszary-funkcjonalne/{code}/plan.json", get(plan_json))
        .route("/obszary-funkcjonalne/{code}/priorytety", get(priorities_get).post(priority_add))
        .route("/obszary-funkcjonalne/{code}/priorytety/{id}/usun", post(priority_remove))
        .route("/obszary-funkcjonalne/{code}/plan/dzialania", post(action_add))
        .route("/obszary-funkcjonalne/{code}/plan/dzialania/{id}", get(action_get).post(action_post))
        .route("/obszary-funkcjonalne/{code}/plan/dzialania/{id}/usun", post(action_remove))
        .route("/obszary-funkcjonalne/{code}/plan/dzialania/{id}/cel", get(target_get).post(target_post))
        .route("/obszary-funkcjonalne/{code}/plan/cele/{id}/usun", post(target_remove))
}

/// The API's plan route (under `/api/v1`, merged by `api::routes`).
pub fn api_routes() -> Router<Arc<AppState>> {
    Router::new().route("/units/{code}/plan", get(api_plan))
}

/// An action's statuses: stored code, Polish, English (the words as `compose::report::status_words`).
const STATUSES: [(&str, &str, &str); 4] = [
    ("planned", "zaplanowane", "planned"),
    ("in_progress", "w toku", "in progress"),
    ("done", "zakończone", "done"),
    ("cancelled", "anulowane", "cancelled"),
];

/// A target's progress (the key of `plans::progress_words`) as a tag: text, not colour alone.
fn progress_tag(l: L, key: &str) -> Markup {
    let words = progress_text(l, key);
    match key {
        "on_track" => html! { span.tag.good { "✓ " (words) } },
        "off_track" => html! { span.tag.bad { "✗ " (words) } },
        _ => html! { span.tag { (words) } },
    }
}

/// The comparison sets a functional area's targets may come from: (value, Polish, English).
const AREA_GROUPS: [(&str, &str, &str); 2] = [
    ("powiaty", "powiaty (porównanie obszaru z powiatami)", "powiaty (the area against the powiaty)"),
    ("areas", "inne obszary funkcjonalne", "other functional areas"),
];

/// A peer group's name (canonical, as stored) in words.
fn group_words(l: L, kind: Kind, canonical: &str) -> String {
    match kind {
        Kind::Area => AREA_GROUPS.iter().find(|g| g.0 == canonical).map(|g| l.t(g.1, g.2).to_owned()).unwrap_or_else(|| canonical.to_owned()),
        Kind::Unit => l.group(canonical),
    }
}

/// A stored time (`YYYY-MM-DDTHH:MM:SS…`) as a date.
fn date(t: &str) -> &str {
    t.get(..10).unwrap_or(t)
}

/// Who did it, as the audit log names them (`user:login` → `login`).
fn who(actor: &str) -> &str {
    actor.strip_prefix("user:").unwrap_or(actor)
}

/// A short message after a successful POST (`komunikat` of the redirect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notice {
    PlanSaved,
    PriorityAdded,
    PriorityRemoved,
    ActionAdded,
    ActionSaved,
    ActionRemoved,
    TargetSet,
    TargetRemoved,
}

const NOTICES: [(Notice, &str, &str, &str); 8] = [
    (Notice::PlanSaved, "plan-zapisany", "Zapisano plan.", "The plan is saved."),
    (Notice::PriorityAdded, "priorytet-dodany", "Dodano priorytet.", "The priority is added."),
    (Notice::PriorityRemoved, "priorytet-usuniety", "Usunięto priorytet.", "The priority is removed."),
    (Notice::ActionAdded, "dzialanie-dodane", "Dodano działanie.", "The action is added."),
    (Notice::ActionSaved, "dzialanie-zapisane", "Zapisano działanie.", "The action is saved."),
    (Notice::ActionRemoved, "dzialanie-usuniete", "Usunięto działanie.", "The action is removed."),
    (Notice::TargetSet, "cel-ustawiony", "Ustawiono cel.", "The target is set."),
    (Notice::TargetRemoved, "cel-usuniety", "Usunięto cel.", "The target is removed."),
];

impl Notice {
    fn param(self) -> &'static str {
        NOTICES.iter().find(|n| n.0 == self).map_or("", |n| n.1)
    }

    fn words(self, l: L) -> &'static str {
        NOTICES.iter().find(|n| n.0 == self).map_or("", |n| l.t(n.2, n.3))
    }

    fn of(uri: &Uri) -> Option<Notice> {
        let v = uri.query()?.split('&').find_map(|kv| kv.strip_prefix("komunikat="))?;
        NOTICES.iter().find(|n| n.1 == v).map(|n| n.0)
    }
}

/// What is wrong with a field of a form, PL and EN; `field` is the input's name (empty: the
/// form as a whole).
#[derive(Debug, Clone)]
struct FieldError {
    field: &'static str,
    pl: String,
    en: String,
}

impl FieldError {
    fn new(field: &'static str, pl: impl Into<String>, en: impl Into<String>) -> FieldError {
        FieldError { field, pl: pl.into(), en: en.into() }
    }

    fn text(&self, l: L) -> &str {
        l.t(&self.pl, &self.en)
    }
}

/// The app's refusal (`field: why`) as the error of the form's field named like it.
fn refused(why: &str, fields: &[(&str, &'static str)]) -> FieldError {
    let name = why.split(':').next().unwrap_or("").trim();
    let field = fields.iter().find(|(app, _)| *app == name).map_or("", |(_, f)| *f);
    FieldError::new(field, why, why)
}

/// The app's field names and the forms' inputs.
const FIELDS: [(&str, &str); 21] = [
    ("title", "tytul"),
    ("summary", "opis"),
    ("description", "opis"),
    ("public", "publiczny"),
    ("group", "grupa"),
    ("group_name", "grupa"),
    ("owner", "wykonawca"),
    ("budget", "budzet"),
    ("start_year", "od"),
    ("end_year", "do"),
    ("status", "status"),
    ("priority", "priorytet"),
    ("priority_id", "priorytet"),
    ("indicator", "wskaznik"),
    ("indicator_code", "wskaznik"),
    ("target_year", "rok"),
    ("year", "rok"),
    ("target_value", "wartosc"),
    ("value", "wartosc"),
    ("method", "metoda"),
    ("note", "notatka"),
];

type Pairs = Vec<(String, String)>;

fn val<'a>(pairs: &'a Pairs, key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
}

fn pairs_of(form: Result<Form<Pairs>, FormRejection>) -> Pairs {
    form.map(|Form(p)| p).unwrap_or_default()
}

fn query_pairs(q: Result<Query<Pairs>, QueryRejection>) -> Pairs {
    q.map(|Query(p)| p).unwrap_or_default()
}

/// A whole year, 2000–2100.
fn year_of(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|y| (2000..=2100).contains(y))
}

/// A number as an input shows it (no grouping, the page's decimal sign).
fn input_number(l: L, v: f64) -> String {
    crate::campaign::input_number(l, v)
}

// ---------------------------------------------------------------------------------------
// The forms, as typed.

/// The plan's settings.
#[derive(Debug, Clone, Default)]
struct PlanForm {
    title: String,
    summary: String,
    public: bool,
    /// The group's address value (`typologia`, `custom:x`; for an area `powiaty`, `areas`).
    group: String,
}

impl PlanForm {
    fn of(plan: Option<&PlanRow>, kind: Kind) -> PlanForm {
        match plan {
            Some(p) => PlanForm {
                title: p.fields.title.clone(),
                summary: p.fields.summary.clone().unwrap_or_default(),
                public: p.fields.public,
                group: match kind {
                    Kind::Unit => group_param(&p.fields.group_name),
                    Kind::Area => p.fields.group_name.clone(),
                },
            },
            None => PlanForm {
                group: match kind {
                    Kind::Unit => "typologia".to_owned(),
                    Kind::Area => AREA_GROUPS[0].0.to_owned(),
                },
                ..PlanForm::default()
            },
        }
    }

    fn read(pairs: &Pairs) -> PlanForm {
        PlanForm {
            title: val(pairs, "tytul").trim().to_owned(),
            summary: val(pairs, "opis").trim().to_owned(),
            public: matches!(val(pairs, "publiczny"), "1" | "tak" | "on"),
            group: val(pairs, "grupa").trim().to_owned(),
        }
    }

    fn check(&self, kind: Kind) -> Result<PlanFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.title.is_empty() {
            errors.push(FieldError::new("tytul", "Podaj tytuł planu.", "Give the plan a title."));
        } else if self.title.chars().count() > 200 {
            errors.push(FieldError::new("tytul", "Tytuł może mieć najwyżej 200 znaków.", "The title may have at most 200 characters."));
        }
        if self.summary.chars().count() > 4000 {
            errors.push(FieldError::new("opis", "Opis może mieć najwyżej 4000 znaków.", "The summary may have at most 4000 characters."));
        }
        let group = match kind {
            Kind::Unit => group_canonical(&self.group).filter(|g| !g.starts_with("lista:") && !g.starts_with("list:")),
            Kind::Area => AREA_GROUPS.iter().find(|g| g.0 == self.group).map(|g| g.0.to_owned()),
        };
        if group.is_none() {
            errors.push(FieldError::new("grupa", "Wybierz grupę porównawczą z listy.", "Choose a peer group from the list."));
        }
        match group {
            Some(group_name) if errors.is_empty() => Ok(PlanFields {
                title: self.title.clone(),
                summary: (!self.summary.is_empty()).then(|| self.summary.clone()),
                public: self.public,
                group_name,
            }),
            _ => Err(errors),
        }
    }
}

/// An action, as typed.
#[derive(Debug, Clone, Default)]
struct ActionForm {
    title: String,
    description: String,
    owner: String,
    budget: String,
    start: String,
    end: String,
    status: String,
    /// A priority's id, or empty.
    priority: String,
}

impl ActionForm {
    fn empty(year: i32) -> ActionForm {
        ActionForm { start: year.to_string(), end: (year + 3).to_string(), status: "planned".into(), ..ActionForm::default() }
    }

    fn of(l: L, a: &ActionFields) -> ActionForm {
        ActionForm {
            title: a.title.clone(),
            description: a.description.clone().unwrap_or_default(),
            owner: a.owner.clone().unwrap_or_default(),
            budget: a.budget.map(|b| input_number(l, b)).unwrap_or_default(),
            start: a.start_year.to_string(),
            end: a.end_year.to_string(),
            status: a.status.clone(),
            priority: a.priority_id.map(|p| p.to_string()).unwrap_or_default(),
        }
    }

    fn read(pairs: &Pairs) -> ActionForm {
        let t = |k: &str| val(pairs, k).trim().to_owned();
        ActionForm {
            title: t("tytul"),
            description: t("opis"),
            owner: t("wykonawca"),
            budget: t("budzet"),
            start: t("od"),
            end: t("do"),
            status: t("status"),
            priority: t("priorytet"),
        }
    }

    fn check(&self, priorities: &[PriorityView]) -> Result<ActionFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.title.is_empty() {
            errors.push(FieldError::new("tytul", "Podaj tytuł działania.", "Give the action a title."));
        } else if self.title.chars().count() > 200 {
            errors.push(FieldError::new("tytul", "Tytuł może mieć najwyżej 200 znaków.", "The title may have at most 200 characters."));
        }
        if self.description.chars().count() > 4000 {
            errors.push(FieldError::new("opis", "Opis może mieć najwyżej 4000 znaków.", "The description may have at most 4000 characters."));
        }
        if self.owner.chars().count() > 200 {
            errors.push(FieldError::new("wykonawca", "Najwyżej 200 znaków.", "At most 200 characters."));
        }
        let budget = if self.budget.is_empty() {
            None
        } else {
            match app::form_check::parse_number(&self.budget).filter(|b| b.is_finite() && *b >= 0.0) {
                Some(b) => Some(b),
                None => {
                    errors.push(FieldError::new(
                        "budzet",
                        "Budżet to liczba złotych, np. 250 000 albo 1 234,50 (puste: bez budżetu).",
                        "The budget is a number of złoty, e.g. 250000 or 1234.50 (empty: no budget).",
                    ));
                    None
                }
            }
        };
        let start = year_of(&self.start);
        if start.is_none() {
            errors.push(FieldError::new("od", "Rok rozpoczęcia: liczba od 2000 do 2100.", "The start year: a number from 2000 to 2100."));
        }
        let end = year_of(&self.end);
        match (start, end) {
            (_, None) => errors.push(FieldError::new("do", "Rok zakończenia: liczba od 2000 do 2100.", "The end year: a number from 2000 to 2100.")),
            (Some(s), Some(e)) if e < s => errors.push(FieldError::new(
                "do",
                "Rok zakończenia nie może być wcześniejszy niż rok rozpoczęcia.",
                "The end year cannot come before the start year.",
            )),
            _ => {}
        }
        if !STATUSES.iter().any(|s| s.0 == self.status) {
            errors.push(FieldError::new("status", "Wybierz stan z listy.", "Choose a status from the list."));
        }
        let priority = if self.priority.is_empty() {
            None
        } else {
            match self.priority.parse::<i64>().ok().filter(|id| priorities.iter().any(|p| p.row.id == *id)) {
                Some(id) => Some(id),
                None => {
                    errors.push(FieldError::new("priorytet", "Wybierz priorytet z listy.", "Choose a priority from the list."));
                    None
                }
            }
        };
        match (start, end) {
            (Some(start_year), Some(end_year)) if errors.is_empty() => Ok(ActionFields {
                priority_id: priority,
                title: self.title.clone(),
                description: (!self.description.is_empty()).then(|| self.description.clone()),
                owner: (!self.owner.is_empty()).then(|| self.owner.clone()),
                budget,
                start_year,
                end_year,
                status: self.status.clone(),
            }),
            _ => Err(errors),
        }
    }
}

/// The target helper's choice: indicator, group (address value) and target year.
#[derive(Debug, Clone, Default)]
struct TargetAsk {
    indicator: String,
    group: String,
    year: String,
}

impl TargetAsk {
    fn read(pairs: &Pairs) -> TargetAsk {
        TargetAsk {
            indicator: val(pairs, "wskaznik").trim().to_owned(),
            group: val(pairs, "grupa").trim().to_owned(),
            year: val(pairs, "rok").trim().to_owned(),
        }
    }

    /// The canonical group and the target year, or what is wrong.
    fn check(&self, kind: Kind, indicators: &[(String, String, bool)]) -> Result<(String, i32), Vec<FieldError>> {
        let mut errors = Vec::new();
        if !indicators.iter().any(|(code, _, _)| *code == self.indicator) {
            errors.push(FieldError::new("wskaznik", "Wybierz wskaźnik z listy.", "Choose an indicator from the list."));
        }
        let group = match kind {
            Kind::Unit => group_canonical(&self.group),
            Kind::Area => AREA_GROUPS.iter().find(|g| g.0 == self.group).map(|g| g.0.to_owned()),
        };
        if group.is_none() {
            errors.push(FieldError::new("grupa", "Wybierz grupę porównawczą z listy.", "Choose a peer group from the list."));
        }
        let year = year_of(&self.year);
        if year.is_none() {
            errors.push(FieldError::new("rok", "Rok osiągnięcia celu: liczba od 2000 do 2100.", "The target year: a number from 2000 to 2100."));
        }
        match (group, year) {
            (Some(g), Some(y)) if errors.is_empty() => Ok((g, y as i32)),
            _ => Err(errors),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Markup helpers.

const CSS: &str = r#"
.plan-notice{border:2px solid #00573f;border-radius:4px;padding:.5rem 1rem;margin:1rem 0}
.plan-summary{border:3px solid #8f2d00;border-radius:4px;padding:.5rem 1rem;margin:1rem 0}
.plan-summary:focus{outline:3px solid #b35c00;outline-offset:2px}
.plan-summary h2,.plan-summary h3{margin:.25rem 0 .5rem;font-size:1.1rem}
dl.plan-meta{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.15rem 1rem;margin:.5rem 0}
dl.plan-meta dt{font-weight:700}dl.plan-meta dd{margin:0;overflow-wrap:anywhere}
.plan-form p{margin:.6rem 0}.plan-form input[type=text],.plan-form textarea,.plan-form select{max-width:100%;width:32rem}
.plan-form textarea{min-height:4rem}.plan-inline{display:inline}
.plan-target{border-top:1px solid #b5b5b5;margin-top:1rem;padding-top:.5rem}
button.secondary{background:#fff;color:#0b3d6e}
form.controls label{max-width:100%;min-width:0}form.controls select{max-width:100%}
.plan-chart svg{max-width:40rem}
@media (max-width:40rem){dl.plan-meta{grid-template-columns:minmax(0,1fr)}.plan-form input[type=text],.plan-form textarea,.plan-form select{width:100%}}
"#;

fn style() -> Markup {
    html! { style { (PreEscaped(CSS)) } }
}

fn csrf_input(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// An input's id, its error and the ids that describe it.
struct Field<'a> {
    id: String,
    error: Option<&'a FieldError>,
    help: Option<String>,
}

fn field<'a>(form: &str, name: &str, errors: &'a [FieldError], help: bool) -> Field<'a> {
    let id = format!("{form}-{name}");
    Field { help: help.then(|| format!("{id}-pomoc")), error: errors.iter().find(|e| e.field == name), id }
}

impl Field<'_> {
    fn described(&self) -> Option<String> {
        let ids: Vec<String> = self.help.iter().cloned().chain(self.error.map(|_| format!("{}-blad", self.id))).collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }

    fn invalid(&self) -> Option<&'static str> {
        self.error.map(|_| "true")
    }

    fn message(&self, l: L) -> Markup {
        html! {
            @if let Some(e) = self.error {
                span.bad id={ (self.id) "-blad" } { span.sr { (l.t("Błąd: ", "Error: ")) } (e.text(l)) }
                br;
            }
        }
    }
}

/// The errors of a refused form, each a link to its field (the summary takes the focus).
fn error_summary(l: L, form: &str, errors: &[FieldError]) -> Markup {
    if errors.is_empty() {
        return html! {};
    }
    let id = format!("{form}-bledy");
    html! {
        div.plan-summary id=(id) tabindex="-1" role="alert" aria-labelledby={ (id) "-h" } autofocus {
            h3 id={ (id) "-h" } { (l.t("Popraw błędy", "Correct the errors")) " (" (errors.len()) ")" }
            ul {
                @for e in errors {
                    li {
                        @if e.field.is_empty() { (e.text(l)) }
                        @else { a href={ "#" (form) "-" (e.field) } { (e.text(l)) } }
                    }
                }
            }
        }
    }
}

fn notice_box(l: L, notice: Option<Notice>) -> Markup {
    html! { @if let Some(n) = notice { p.plan-notice role="status" { (n.words(l)) } } }
}

/// The peer groups a target may come from: (address value, words).
async fn group_choices(store: &app::Store, l: L, kind: Kind) -> Vec<(String, String)> {
    match kind {
        Kind::Area => AREA_GROUPS.iter().map(|g| (g.0.to_owned(), l.t(g.1, g.2).to_owned())).collect(),
        Kind::Unit => {
            let mut out: Vec<(String, String)> = GROUPS.iter().map(|(param, canonical)| ((*param).to_owned(), l.group(canonical))).collect();
            match app::custom_groups(store).await {
                Ok(custom) => out.extend(
                    custom.into_iter().map(|g| (format!("custom:{}", g.code), format!("{}{}", l.t("grupa własna: ", "custom group: "), g.name_pl))),
                ),
                Err(e) => tracing::warn!("custom groups not read: {e}"),
            }
            out
        }
    }
}

fn group_select(f: &Field<'_>, groups: &[(String, String)], chosen: &str) -> Markup {
    html! {
        select id=(f.id) name="grupa" aria-invalid=[f.invalid()] aria-describedby=[f.described()] {
            @for (value, words) in groups {
                option value=(value) selected[value == chosen] { (words) }
            }
        }
    }
}

/// A page for this request, with a language link to `here` (the site's own switch keeps only
/// the public pages' paths): `private, no-store` with a user, `no-store` without.
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
        (style())
        (body)
    };
    ctx.page(status, title, body)
}

/// A 303 to `path` (in the page's language) with a status message, then `fragment`.
fn see_other(l: L, path: &str, notice: Notice, fragment: &str) -> Response {
    let mut to = l.href(&format!("{path}?komunikat={}", notice.param()));
    if !fragment.is_empty() {
        to.push('#');
        to.push_str(fragment);
    }
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/")))]).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

// ---------------------------------------------------------------------------------------
// The owner of a request.

/// The plan's owner as a request names it, with the snapshot it is read on.
struct Subject {
    kind: Kind,
    portal: Arc<Portal>,
    owner: PlanOwner,
    info: plans::OwnerInfo,
    /// The owner's card, `/jst/{code}` or `/obszary-funkcjonalne/{code}`.
    base: String,
}

impl Subject {
    fn name(&self, l: L) -> String {
        let c = &self.portal.c;
        match (self.kind, self.info.unit) {
            (Kind::Unit, Some(u)) => heading_name(l, &c.names[u], c.kinds[u]),
            _ => l.t(&self.info.name_pl, self.info.name_en.as_deref().unwrap_or(&self.info.name_pl)).to_owned(),
        }
    }

    fn unit_id(&self) -> i64 {
        self.info.auth_unit_id
    }

    /// The indicators a target or priority may name, priorities first: (code, name, a priority).
    fn indicators(&self, l: L, priorities: &[PriorityView]) -> Vec<(String, String, bool)> {
        let c = &self.portal.c;
        let s = &c.snapshot;
        let mut out: Vec<(String, String, bool)> = priorities
            .iter()
            .filter(|p| s.indicator_index(&p.row.indicator_code).is_some())
            .map(|p| (p.row.indicator_code.clone(), l.t(&p.name_pl, &p.name_en).to_owned(), true))
            .collect();
        out.dedup_by(|a, b| a.0 == b.0);
        let mut rest: Vec<(String, String, bool)> = (0..s.indicator_count())
            .filter(|&i| {
                let d = &c.definitions[i];
                d.kind != "context"
                    && s.indicator(i).polarity != model::Polarity::Neutral
                    && self.info.members.iter().any(|&m| s.indicator(i).applies[m])
                    && !out.iter().any(|o| o.0 == d.code)
            })
            .map(|i| (c.definitions[i].code.clone(), crate::common::indicator_name(l, c, i).to_owned(), false))
            .collect();
        rest.sort_by(|a, b| a.1.cmp(&b.1));
        out.extend(rest);
        out
    }
}

/// An app error as these pages answer it.
fn app_fail(e: app::AppError) -> WebError {
    match e {
        app::AppError::NotFound(_) => WebError::NotFound,
        e => WebError::from(e),
    }
}

async fn subject(state: &AppState, kind: Kind, code: &str) -> Result<Subject, WebError> {
    let portal = state.portal().await.ok_or(WebError::NotFound)?;
    let owner = match kind {
        Kind::Unit => PlanOwner::unit(&portal.c, code),
        Kind::Area => PlanOwner::area(&state.store, code).await,
    }
    .map_err(|e| match e {
        // A code that is no code names no unit, as on the unit card.
        app::AppError::Invalid(_) => WebError::NotFound,
        e => app_fail(e),
    })?;
    let info = plans::owner_info(&state.store, &portal.c, &owner).await.map_err(app_fail)?;
    let base = kind.base(owner.code());
    Ok(Subject { kind, portal, owner, info, base })
}

fn can(ctx: &Ctx, action: Action, unit_id: i64) -> bool {
    ctx.user.as_ref().is_some_and(|u| u.can(action, unit_id))
}

/// Whether the reader may see the owner's plan: a public one anyone; an internal one, or the
/// lack of one, only those allowed to read the unit's unpublished data.
fn may_see(ctx: &Ctx, s: &Subject, plan: Option<&PlanRow>) -> bool {
    plan.is_some_and(|p| p.fields.public) || can(ctx, Action::ReadUnpublished, s.unit_id())
}

/// The owner named by a path of one segment (`{code}`).
async fn subject_of(state: &AppState, uri: &Uri, path: Result<Path<String>, PathRejection>) -> Result<Subject, WebError> {
    let Ok(Path(code)) = path else { return Err(WebError::NotFound) };
    subject(state, Kind::of(uri), &code).await
}

/// The owner and the id of a path of two segments (`{code}`, `{id}`).
async fn subject_and_id(state: &AppState, uri: &Uri, path: Result<Path<(String, String)>, PathRejection>) -> Result<(Subject, i64), WebError> {
    let Ok(Path((code, id))) = path else { return Err(WebError::NotFound) };
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    Ok((subject(state, Kind::of(uri), &code).await?, id))
}

/// After a write: the page cache forgets its pages (the unit card shows the plan, which the
/// snapshot's version does not follow).
fn written(state: &AppState) {
    state.cache.clear();
}

// ---------------------------------------------------------------------------------------
// The plan page.

struct PlanPage<'a> {
    l: L,
    s: &'a Subject,
    view: &'a PlanView,
    can_plan: bool,
    csrf: &'a str,
    notice: Option<Notice>,
    groups: &'a [(String, String)],
    plan_form: PlanForm,
    plan_errors: Vec<FieldError>,
    action_form: ActionForm,
    action_errors: Vec<FieldError>,
}

fn plan_page(p: &PlanPage<'_>) -> (String, Markup) {
    let l = p.l;
    let s = p.s;
    let name = s.name(l);
    let title = format!("{}: {name}", l.t("Plan poprawy", "Improvement plan"));
    let base = &s.base;
    let plan = p.view.plan.as_ref();
    let body = html! {
        p { a href=(l.href(base)) { "← " (l.t("Karta: ", "Card: ")) (name) } }
        h1 { (title) }
        (notice_box(l, p.notice))
        @match plan {
            Some(plan) => {
                h2 id="plan-nazwa" { (plan.fields.title) }
                p {
                    @if plan.fields.public {
                        span.tag.good { (l.t("plan publiczny", "public plan")) } " " (l.t("— widzi go każdy.", "— anyone can see it."))
                    } @else {
                        span.tag { (l.t("plan wewnętrzny", "internal plan")) } " " (l.t("— widzą go tylko osoby z rolą w jednostce.", "— only people with a role in the unit can see it."))
                    }
                }
                @if let Some(summary) = &plan.fields.summary { p style="white-space:pre-wrap" { (summary) } }
                p.small.muted {
                    (l.t("Cele proponowane na tle grupy: ", "Targets proposed against: ")) (group_words(l, s.kind, &plan.fields.group_name)) ". "
                    (l.t("Utworzono ", "Created ")) (date(&plan.created_at)) " (" (who(&plan.created_by)) "), "
                    (l.t("ostatnia zmiana ", "last changed ")) (date(&plan.updated_at)) " (" (who(&plan.updated_by)) ")."
                }
                p.downloads {
                    (l.t("Pobierz plan", "Download the plan")) ": "
                    a href={ (base) "/plan.csv" } download { "CSV" } " · "
                    a href={ (base) "/plan.json" } download { "JSON" }
                }
            }
            None => {
                p.box role="status" { (l.t("Ta jednostka nie ma jeszcze planu poprawy.", "There is no improvement plan here yet.")) }
            }
        }
        (priorities_section(l, s, &p.view.priorities, p.can_plan))
        @if plan.is_some() {
            h2 id="dzialania" { (l.t("Działania", "Actions")) }
            @if p.view.actions.is_empty() {
                p { (l.t("Plan nie ma jeszcze działań.", "The plan has no actions yet.")) }
            }
            @for a in &p.view.actions { (action_section(l, s, a, &p.view.priorities, p.can_plan, p.csrf)) }
            @if p.can_plan {
                section aria-labelledby="nowe-dzialanie" {
                    h2 id="nowe-dzialanie" { (l.t("Dodaj działanie", "Add an action")) }
                    (action_form(l, &format!("{base}/plan/dzialania"), "dz", &p.action_form, &p.action_errors, &p.view.priorities, p.csrf, l.t("Dodaj działanie", "Add the action")))
                }
            }
        }
        @if p.can_plan {
            section aria-labelledby="ustawienia" {
                h2 id="ustawienia" { @if plan.is_some() { (l.t("Ustawienia planu", "The plan's settings")) } @else { (l.t("Utwórz plan poprawy", "Create an improvement plan")) } }
                (plan_form(l, base, &p.plan_form, &p.plan_errors, p.groups, p.csrf, plan.is_some()))
            }
        }
    };
    (title, body)
}

fn priorities_section(l: L, s: &Subject, priorities: &[PriorityView], can_plan: bool) -> Markup {
    html! {
        h2 id="priorytety" { (l.t("Priorytety", "Priorities")) }
        @if priorities.is_empty() {
            p { (l.t("Nie wybrano jeszcze priorytetów.", "No priorities have been chosen yet.")) }
        } @else {
            div.scroll {
                table.stack {
                    caption { (l.t("Wskaźniki wybrane do poprawy", "Indicators chosen for improvement")) }
                    thead { tr {
                        th scope="col" { (l.t("Wskaźnik", "Indicator")) }
                        th scope="col" class="num" { (l.t("Ostatnia wartość", "Latest value")) }
                        th scope="col" { (l.t("Notatka", "Note")) }
                        th scope="col" { (l.t("Kto i kiedy", "Who and when")) }
                    } }
                    tbody {
                        @for pr in priorities {
                            tr {
                                th scope="row" { (priority_name(l, s, pr)) }
                                td.num data-label=(l.t("Ostatnia wartość", "Latest value")) {
                                    @match (pr.current, pr.current_year) {
                                        (Some(v), Some(y)) => { (l.num(v, pr.decimals)) " " span.small.muted { (pr.measure_unit) " (" (y) ")" } }
                                        _ => { "—" }
                                    }
                                }
                                td data-label=(l.t("Notatka", "Note")) { (pr.row.note.as_deref().unwrap_or("—")) }
                                td data-label=(l.t("Kto i kiedy", "Who and when")) { (who(&pr.row.created_by)) ", " (date(&pr.row.created_at)) }
                            }
                        }
                    }
                }
            }
        }
        @if can_plan {
            p { a href=(l.href(&format!("{}/priorytety", s.base))) { (l.t("Wybierz priorytety", "Choose priorities")) } }
        }
    }
}

/// A priority's indicator, linked to its page (for a unit, with the unit chosen).
fn priority_name(l: L, s: &Subject, pr: &PriorityView) -> Markup {
    let name = l.t(&pr.name_pl, &pr.name_en);
    let href = match s.kind {
        Kind::Unit => format!("/wskaznik/{}?jst={}", pr.row.indicator_code, s.owner.code()),
        Kind::Area => format!("/wskaznik/{}", pr.row.indicator_code),
    };
    html! { a href=(l.href(&href)) { (name) } }
}

fn action_section(l: L, s: &Subject, a: &ActionView, priorities: &[PriorityView], can_plan: bool, csrf: &str) -> Markup {
    let f = &a.row.fields;
    let id = a.row.id;
    let base = &s.base;
    let priority = f.priority_id.and_then(|p| priorities.iter().find(|x| x.row.id == p));
    html! {
        section.box id={ "dzialanie-" (id) } aria-labelledby={ "dzialanie-" (id) "-h" } {
            h3 id={ "dzialanie-" (id) "-h" } { (f.title) }
            dl.plan-meta {
                dt { (l.t("Stan", "Status")) } dd { (status_words(l, &f.status)) }
                dt { (l.t("Lata", "Years")) } dd { (f.start_year) "–" (f.end_year) }
                dt { (l.t("Odpowiada", "Owner")) } dd { (f.owner.as_deref().unwrap_or("—")) }
                dt { (l.t("Budżet", "Budget")) } dd { @match f.budget { Some(b) => { (l.num(b, 0)) " zł" }, None => { "—" } } }
                @if let Some(pr) = priority { dt { (l.t("Priorytet", "Priority")) } dd { (l.t(&pr.name_pl, &pr.name_en)) } }
            }
            @if let Some(d) = &f.description { p style="white-space:pre-wrap" { (d) } }
            @if can_plan {
                p {
                    a href=(l.href(&format!("{base}/plan/dzialania/{id}"))) { (l.t("Edytuj działanie", "Edit the action")) span.sr { ": " (f.title) } }
                    " · "
                    a href=(l.href(&format!("{base}/plan/dzialania/{id}/cel"))) { (l.t("Ustaw cel", "Set a target")) span.sr { ": " (f.title) } }
                }
            }
            @if a.targets.is_empty() {
                p.small.muted { (l.t("Działanie nie ma jeszcze celów.", "The action has no targets yet.")) }
            }
            @for t in &a.targets { (target_block(l, s, t, can_plan, csrf)) }
        }
    }
}

fn measure_of(l: L, t: &TargetView) -> &str {
    if l.en && !t.measure_unit_en.is_empty() { &t.measure_unit_en } else { &t.measure_unit }
}

/// One target: baseline → target, the method, the chart of the way and the years' table.
fn target_block(l: L, s: &Subject, t: &TargetView, can_plan: bool, csrf: &str) -> Markup {
    let f = &t.row.fields;
    let name = l.t(&t.name_pl, &t.name_en);
    let unit = measure_of(l, t);
    let fmt = |v: f64| l.num(v, t.decimals);
    let id = t.row.id;
    html! {
        div.plan-target id={ "cel-" (id) } {
            h4 { (name) }
            p {
                strong { (fmt(f.baseline_value)) } " (" (f.baseline_year) ") → " strong { (fmt(f.target_value)) } " (" (f.target_year) ") " span.small.muted { (unit) }
                br;
                span.small { (l.t("Metoda: ", "Method: ")) (method_text(l, &t.row.fields.method)) " · " (l.t("grupa: ", "group: ")) (group_words(l, s.kind, &f.group_name)) }
            }
            p {
                (l.t("Postęp", "Progress")) @if let Some(y) = t.latest_year { " " (y) } ": " (progress_tag(l, plans::progress_words(t.latest).0))
            }
            (target_chart(l, &format!("cel-wykres-{id}"), t))
            (years_table(l, t))
            @if can_plan {
                form.plan-inline method="post" action=(l.href(&format!("{}/plan/cele/{id}/usun", s.base))) {
                    (csrf_input(csrf))
                    button.secondary type="submit" { (l.t("Usuń cel", "Remove the target")) span.sr { ": " (name) } }
                }
            }
        }
    }
}

/// The target's way (straight from the baseline to the target) and the values reached.
fn target_chart(l: L, id: &str, t: &TargetView) -> Markup {
    let f = &t.row.fields;
    let years: Vec<i32> = t.trajectory.iter().map(|(y, _)| *y).collect();
    if years.len() < 2 {
        return html! {};
    }
    let planned: Vec<Option<f64>> = t.trajectory.iter().map(|(_, v)| Some(*v)).collect();
    let actual: Vec<Option<f64>> =
        years
            .iter()
            .map(|y| {
                if i64::from(*y) == f.baseline_year {
                    Some(f.baseline_value)
                } else {
                    t.years.iter().find(|ty| ty.year == *y).and_then(|ty| ty.actual)
                }
            })
            .collect();
    let name = l.t(&t.name_pl, &t.name_en);
    let fmt = |v: f64| l.num(v, t.decimals);
    let title = format!("{}: {name}", l.t("Ścieżka do celu i wartości osiągnięte", "The way to the target and the values reached"));
    let reached: Vec<String> = years.iter().zip(&actual).filter_map(|(y, v)| v.map(|v| format!("{y}: {}", fmt(v)))).collect();
    let desc = format!(
        "{} {} ({}) {} {} ({}). {} {}.",
        l.t("Linia planowana od", "The planned line from"),
        fmt(f.baseline_value),
        f.baseline_year,
        l.t("do", "to"),
        fmt(f.target_value),
        f.target_year,
        l.t("Wartości osiągnięte:", "Values reached:"),
        if reached.is_empty() { l.t("brak", "none").to_owned() } else { reached.join(", ") }
    );
    let series = [
        viz::Series { name: l.t("ścieżka do celu", "the way to the target").to_owned(), values: planned },
        viz::Series { name: l.t("wartość osiągnięta", "value reached").to_owned(), values: actual },
    ];
    html! {
        figure.plan-chart style="margin:.5rem 0" {
            (PreEscaped(viz::lines(id, &title, &desc, &years, &series, &fmt)))
            figcaption.small.muted { (l.t("Wykres pokazuje to samo, co tabela poniżej.", "The chart shows what the table below does.")) }
        }
    }
}

fn years_table(l: L, t: &TargetView) -> Markup {
    let f = &t.row.fields;
    let fmt = |v: f64| l.num(v, t.decimals);
    let name = l.t(&t.name_pl, &t.name_en);
    html! {
        div.scroll {
            table.stack {
                caption { (l.t("Rok po roku: ", "Year by year: ")) (name) " (" (measure_of(l, t)) ")" }
                thead { tr {
                    th scope="col" { (l.t("Rok", "Year")) }
                    th scope="col" class="num" { (l.t("Plan", "Planned")) }
                    th scope="col" class="num" { (l.t("Wartość osiągnięta", "Value reached")) }
                    th scope="col" { (l.t("Ocena", "Assessment")) }
                } }
                tbody {
                    tr {
                        th scope="row" { (f.baseline_year) }
                        td.num data-label=(l.t("Plan", "Planned")) { (fmt(f.baseline_value)) }
                        td.num data-label=(l.t("Wartość osiągnięta", "Value reached")) { (fmt(f.baseline_value)) }
                        td data-label=(l.t("Ocena", "Assessment")) { (l.t("rok bazowy", "baseline year")) }
                    }
                    @for y in &t.years {
                        tr {
                            th scope="row" { (y.year) }
                            td.num data-label=(l.t("Plan", "Planned")) { (fmt(y.planned)) }
                            td.num data-label=(l.t("Wartość osiągnięta", "Value reached")) { (y.actual.map(fmt).unwrap_or_else(|| "—".into())) }
                            td data-label=(l.t("Ocena", "Assessment")) { (progress_tag(l, plans::progress_words(y.progress).0)) }
                        }
                    }
                }
            }
        }
    }
}

fn plan_form(l: L, base: &str, form: &PlanForm, errors: &[FieldError], groups: &[(String, String)], csrf: &str, exists: bool) -> Markup {
    let title = field("plan", "tytul", errors, false);
    let summary = field("plan", "opis", errors, false);
    let public = field("plan", "publiczny", errors, true);
    let group = field("plan", "grupa", errors, true);
    html! {
        (error_summary(l, "plan", errors))
        form.plan-form method="post" action=(l.href(&format!("{base}/plan"))) novalidate {
            (csrf_input(csrf))
            p {
                label for=(title.id) { (l.t("Tytuł planu", "The plan's title")) } br;
                (title.message(l))
                input type="text" id=(title.id) name="tytul" value=(form.title) maxlength="200" required aria-invalid=[title.invalid()] aria-describedby=[title.described()];
            }
            p {
                label for=(summary.id) { (l.t("Opis (cel planu, zakres)", "Summary (the plan's aim and scope)")) } br;
                (summary.message(l))
                textarea id=(summary.id) name="opis" rows="4" maxlength="4000" aria-invalid=[summary.invalid()] aria-describedby=[summary.described()] { (form.summary) }
            }
            p {
                (public.message(l))
                input type="checkbox" id=(public.id) name="publiczny" value="1" checked[form.public] aria-describedby=[public.described()];
                " " label for=(public.id) { (l.t("Plan publiczny", "Public plan")) }
                br;
                span.small.muted id=[public.help.as_deref()] {
                    (l.t("Plan publiczny widzi każdy (także w raporcie i API); wewnętrzny — tylko osoby z rolą w jednostce.",
                         "A public plan is seen by anyone (also in the report and the API); an internal one only by people with a role in the unit."))
                }
            }
            p {
                label for=(group.id) { (l.t("Grupa porównawcza celów", "The peer group for targets")) } br;
                span.small.muted id=[group.help.as_deref()] { (l.t("Z niej pomocnik celów proponuje wartości docelowe.", "The target helper proposes target values from it.")) } br;
                (group.message(l))
                (group_select(&group, groups, &form.group))
            }
            p { button type="submit" { @if exists { (l.t("Zapisz ustawienia", "Save the settings")) } @else { (l.t("Utwórz plan", "Create the plan")) } } }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn action_form(
    l: L,
    action: &str,
    prefix: &str,
    form: &ActionForm,
    errors: &[FieldError],
    priorities: &[PriorityView],
    csrf: &str,
    button: &str,
) -> Markup {
    let fl = |name: &str| field(prefix, name, errors, false);
    let (title, desc, owner, budget, start, end, status, priority) =
        (fl("tytul"), fl("opis"), fl("wykonawca"), fl("budzet"), fl("od"), fl("do"), fl("status"), fl("priorytet"));
    let text = |f: &Field<'_>, name: &str, label: &str, value: &str, mode: Option<&str>| {
        html! {
            p {
                label for=(f.id) { (label) } br;
                (f.message(l))
                input type="text" id=(f.id) name=(name) value=(value) inputmode=[mode] aria-invalid=[f.invalid()] aria-describedby=[f.described()];
            }
        }
    };
    html! {
        (error_summary(l, prefix, errors))
        form.plan-form method="post" action=(l.href(action)) novalidate {
            (csrf_input(csrf))
            (text(&title, "tytul", l.t("Tytuł działania", "The action's title"), &form.title, None))
            p {
                label for=(desc.id) { (l.t("Opis", "Description")) } br;
                (desc.message(l))
                textarea id=(desc.id) name="opis" rows="3" maxlength="4000" aria-invalid=[desc.invalid()] aria-describedby=[desc.described()] { (form.description) }
            }
            (text(&owner, "wykonawca", l.t("Kto odpowiada (osoba, wydział)", "Who carries it out (a person, a department)"), &form.owner, None))
            (text(&budget, "budzet", l.t("Budżet w zł (puste: bez budżetu)", "Budget in zł (empty: none)"), &form.budget, Some("decimal")))
            (text(&start, "od", l.t("Rok rozpoczęcia", "Start year"), &form.start, Some("numeric")))
            (text(&end, "do", l.t("Rok zakończenia", "End year"), &form.end, Some("numeric")))
            p {
                label for=(status.id) { (l.t("Stan", "Status")) } br;
                (status.message(l))
                select id=(status.id) name="status" aria-invalid=[status.invalid()] aria-describedby=[status.described()] {
                    @for (code, pl, en) in STATUSES { option value=(code) selected[form.status == code] { (l.t(pl, en)) } }
                }
            }
            p {
                label for=(priority.id) { (l.t("Priorytet, któremu służy", "The priority it serves")) } br;
                (priority.message(l))
                select id=(priority.id) name="priorytet" aria-invalid=[priority.invalid()] aria-describedby=[priority.described()] {
                    option value="" selected[form.priority.is_empty()] { (l.t("— żaden —", "— none —")) }
                    @for pr in priorities {
                        @let v = pr.row.id.to_string();
                        option value=(v) selected[form.priority == v] { (l.t(&pr.name_pl, &pr.name_en)) }
                    }
                }
            }
            p { button type="submit" { (button) } }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The priorities page.

/// A weakness of the diagnosis, as the priorities page offers it.
struct Weakness {
    code: String,
    name: String,
    value: String,
    median: Option<String>,
}

struct PrioritiesPage<'a> {
    l: L,
    s: &'a Subject,
    view: &'a PlanView,
    can_plan: bool,
    csrf: &'a str,
    notice: Option<Notice>,
    /// The diagnosis: its year, its group (canonical) and the weaknesses; none for an area.
    diagnosis: Option<(i32, String, Vec<Weakness>)>,
    groups: &'a [(String, String)],
    /// The form refused (the indicator's code, or `inny` for the free choice) and its errors.
    refused: Option<(String, Vec<FieldError>)>,
}

fn priorities_page(p: &PrioritiesPage<'_>) -> (String, Markup) {
    let l = p.l;
    let s = p.s;
    let name = s.name(l);
    let title = format!("{}: {name}", l.t("Priorytety", "Priorities"));
    let base = &s.base;
    let action = l.href(&format!("{base}/priorytety"));
    let chosen: Vec<&str> = p.view.priorities.iter().map(|x| x.row.indicator_code.as_str()).collect();
    let errors_for = |key: &str| -> &[FieldError] {
        match &p.refused {
            Some((k, e)) if k == key => e,
            _ => &[],
        }
    };
    let (year, group) = match &p.diagnosis {
        Some((y, g, _)) => (y.to_string(), g.clone()),
        None => (String::new(), String::new()),
    };
    let body = html! {
        p {
            a href=(l.href(base)) { "← " (l.t("Karta: ", "Card: ")) (name) } " · "
            a href=(l.href(&format!("{base}/plan"))) { (l.t("Plan poprawy", "Improvement plan")) }
        }
        h1 { (title) }
        (notice_box(l, p.notice))
        p { (l.t("Priorytety to słabe strony, nad którymi jednostka postanawia pracować: z nich wynikają działania planu poprawy i ich cele.",
                 "Priorities are the weaknesses the unit decides to work on: the improvement plan's actions and their targets follow from them.")) }
        h2 { (l.t("Obecne priorytety", "Current priorities")) }
        @if p.view.priorities.is_empty() {
            p { (l.t("Nie wybrano jeszcze priorytetów.", "No priorities have been chosen yet.")) }
        } @else {
            div.scroll {
                table.stack {
                    caption { (l.t("Wybrane priorytety", "The priorities chosen")) }
                    thead { tr {
                        th scope="col" { (l.t("Wskaźnik", "Indicator")) }
                        th scope="col" { (l.t("Z diagnozy", "From the diagnosis")) }
                        th scope="col" { (l.t("Notatka", "Note")) }
                        th scope="col" { (l.t("Kto i kiedy", "Who and when")) }
                        @if p.can_plan { th scope="col" { (l.t("Usuń", "Remove")) } }
                    } }
                    tbody {
                        @for pr in &p.view.priorities {
                            tr {
                                th scope="row" { (priority_name(l, s, pr)) }
                                td data-label=(l.t("Z diagnozy", "From the diagnosis")) { (pr.row.year) ", " (group_words(l, s.kind, &pr.row.group_name)) }
                                td data-label=(l.t("Notatka", "Note")) { (pr.row.note.as_deref().unwrap_or("—")) }
                                td data-label=(l.t("Kto i kiedy", "Who and when")) { (who(&pr.row.created_by)) ", " (date(&pr.row.created_at)) }
                                @if p.can_plan {
                                    td data-label=(l.t("Usuń", "Remove")) {
                                        form.plan-inline method="post" action=(l.href(&format!("{base}/priorytety/{}/usun", pr.row.id))) {
                                            (csrf_input(p.csrf))
                                            button.secondary type="submit" { (l.t("Usuń", "Remove")) span.sr { ": " (l.t(&pr.name_pl, &pr.name_en)) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some((y, g, weaknesses)) = &p.diagnosis {
            h2 { (l.t("Słabe strony z diagnozy", "Weaknesses from the diagnosis")) " " (y) }
            form.controls method="get" action={ (base) "/priorytety" } aria-label=(l.t("Grupa porównawcza diagnozy", "The diagnosis' peer group")) {
                @if l.en { input type="hidden" name="lang" value="en"; }
                label for="diag-grupa" { (l.t("Porównaj z", "Compare with"))
                    select id="diag-grupa" name="grupa" {
                        @for (value, words) in p.groups {
                            option value=(value) selected[group_canonical(value).as_deref() == Some(g.as_str())] { (words) }
                        }
                    }
                }
                button type="submit" { (l.t("Pokaż", "Show")) }
            }
            p.small { (l.t("Wskaźniki, na których jednostka najbardziej odbiega na minus od grupy: ", "The indicators on which the unit falls furthest behind the group: ")) (group_words(l, s.kind, g)) "." }
            @if weaknesses.is_empty() {
                p { (l.t("Żaden wskaźnik nie wyróżnia się na minus.", "No indicator stands out for the worse.")) }
            }
            @for w in weaknesses {
                section.box aria-labelledby={ "sl-" (w.code) } {
                    h3 id={ "sl-" (w.code) } { (w.name) }
                    p { (w.value) @if let Some(m) = &w.median { span.small { " (" (l.t("mediana grupy", "group median")) " " (m) ")" } } }
                    @if chosen.contains(&w.code.as_str()) {
                        p { span.tag.good { (l.t("już priorytet", "a priority already")) } }
                    } @else if p.can_plan {
                        @let errors = errors_for(&w.code);
                        @let note = field(&format!("p-{}", w.code), "notatka", errors, false);
                        (error_summary(l, &format!("p-{}", w.code), errors))
                        form.plan-form method="post" action=(action) {
                            (csrf_input(p.csrf))
                            input type="hidden" name="wskaznik" value=(w.code);
                            input type="hidden" name="rok" value=(year);
                            input type="hidden" name="grupa" value=(group);
                            p {
                                label for=(note.id) { (l.t("Notatka (dlaczego, co chcemy osiągnąć)", "Note (why, what we want to achieve)")) } br;
                                (note.message(l))
                                textarea id=(note.id) name="notatka" rows="2" maxlength="4000" aria-invalid=[note.invalid()] aria-describedby=[note.described()] {}
                            }
                            p { button type="submit" { (l.t("Ustaw jako priorytet", "Make it a priority")) span.sr { ": " (w.name) } } }
                        }
                    }
                }
            }
        }
        @if p.can_plan {
            @let indicators = s.indicators(l, &[]);
            @let errors = errors_for("inny");
            @let ind = field("inny", "wskaznik", errors, false);
            @let note = field("inny", "notatka", errors, false);
            section aria-labelledby="inny-h" {
                h2 id="inny-h" { (l.t("Inny wskaźnik jako priorytet", "Another indicator as a priority")) }
                (error_summary(l, "inny", errors))
                form.plan-form method="post" action=(action) {
                    (csrf_input(p.csrf))
                    input type="hidden" name="forma" value="inny";
                    input type="hidden" name="rok" value=(year);
                    input type="hidden" name="grupa" value=(group);
                    p {
                        label for=(ind.id) { (l.t("Wskaźnik", "Indicator")) } br;
                        (ind.message(l))
                        select id=(ind.id) name="wskaznik" aria-invalid=[ind.invalid()] aria-describedby=[ind.described()] {
                            @for (code, words, _) in &indicators {
                                @if !chosen.contains(&code.as_str()) { option value=(code) { (words) } }
                            }
                        }
                    }
                    p {
                        label for=(note.id) { (l.t("Notatka", "Note")) } br;
                        (note.message(l))
                        textarea id=(note.id) name="notatka" rows="2" maxlength="4000" aria-invalid=[note.invalid()] aria-describedby=[note.described()] {}
                    }
                    p { button type="submit" { (l.t("Ustaw jako priorytet", "Make it a priority")) } }
                }
            }
        }
    };
    (title, body)
}

/// The unit's diagnosis in `group` (as the unit card makes it): its year, the group's
/// canonical name and the weaknesses; `None` for an area or a unit that cannot be compared.
async fn weaknesses(state: &AppState, l: L, s: &Subject, group: &str) -> Result<Option<(i32, String, Vec<Weakness>)>, WebError> {
    let (Kind::Unit, Some(u)) = (s.kind, s.info.unit) else { return Ok(None) };
    let p = &s.portal;
    let c = &*p.c;
    let y = p.latest_year(u);
    let g = match app::peer_group(&state.store, c, u, y, group, &app::NearestSpec::default()).await {
        Ok(g) => g,
        Err(app::AppError::NotFound(_) | app::AppError::Invalid(_) | app::AppError::NoCustomGroup { .. }) => {
            match app::peer_group(&state.store, c, u, y, "typology", &app::NearestSpec::default()).await {
                Ok(g) => g,
                Err(app::AppError::NotFound(_) | app::AppError::Invalid(_)) => return Ok(None),
                Err(e) => return Err(app_fail(e)),
            }
        }
        Err(e) => return Err(app_fail(e)),
    };
    let compared = g.compare_all(&c.snapshot, u, y, None);
    let name = g.name.clone();
    let d = app::diagnose_compared(c, u, y, g, &compared, 10);
    let list = d
        .weaknesses
        .iter()
        .map(|f| {
            let i = c.snapshot.indicator_index(&f.indicator);
            let shown = l.num(f.value, f.decimals);
            Weakness {
                code: f.indicator.clone(),
                name: if l.en && !f.name_en.is_empty() { f.name_en.clone() } else { f.name_pl.clone() },
                value: match i {
                    Some(i) => format!("{shown} {}", crate::common::measure_after(l, c, i, &shown)),
                    None => format!("{shown} {}", f.measure_unit),
                },
                median: f.group_median.map(|m| l.num(m, f.decimals)),
            }
        })
        .collect();
    Ok(Some((d.year, name, list)))
}

// ---------------------------------------------------------------------------------------
// The action and target pages.

fn action_page(
    l: L,
    s: &Subject,
    a: &ActionView,
    form: &ActionForm,
    errors: &[FieldError],
    priorities: &[PriorityView],
    csrf: &str,
) -> (String, Markup) {
    let name = s.name(l);
    let base = &s.base;
    let id = a.row.id;
    let title = format!("{}: {}", l.t("Działanie", "Action"), a.row.fields.title);
    let body = html! {
        p { a href=(l.href(&format!("{base}/plan"))) { "← " (l.t("Plan poprawy: ", "Improvement plan: ")) (name) } }
        h1 { (title) }
        (action_form(l, &format!("{base}/plan/dzialania/{id}"), "dz", form, errors, priorities, csrf, l.t("Zapisz działanie", "Save the action")))
        p { a href=(l.href(&format!("{base}/plan/dzialania/{id}/cel"))) { (l.t("Ustaw cel działania", "Set a target of the action")) } }
        h2 { (l.t("Usuń działanie", "Remove the action")) }
        form method="post" action=(l.href(&format!("{base}/plan/dzialania/{id}/usun"))) {
            (csrf_input(csrf))
            p {
                (l.t("Działanie i jego cele znikną z planu (zostaną w dzienniku zmian).", "The action and its targets leave the plan (they stay in the audit log)."))
                " " button.secondary type="submit" { (l.t("Usuń działanie", "Remove the action")) }
            }
        }
    };
    (title, body)
}

struct TargetPage<'a> {
    l: L,
    s: &'a Subject,
    action: &'a ActionView,
    indicators: &'a [(String, String, bool)],
    groups: &'a [(String, String)],
    ask: TargetAsk,
    ask_errors: Vec<FieldError>,
    proposals: Option<Proposals>,
    /// The manual value as typed, and its error.
    manual: String,
    manual_errors: Vec<FieldError>,
    csrf: &'a str,
}

fn target_page(p: &TargetPage<'_>) -> (String, Markup) {
    let l = p.l;
    let s = p.s;
    let base = &s.base;
    let a = &p.action.row;
    let action = l.href(&format!("{base}/plan/dzialania/{}/cel", a.id));
    let title = format!("{}: {}", l.t("Cel działania", "The action's target"), a.fields.title);
    let ind = field("cel", "wskaznik", &p.ask_errors, false);
    let group = field("cel", "grupa", &p.ask_errors, false);
    let year = field("cel", "rok", &p.ask_errors, true);
    let body = html! {
        p { a href=(l.href(&format!("{base}/plan#dzialanie-{}", a.id))) { "← " (l.t("Plan poprawy: ", "Improvement plan: ")) (s.name(l)) } }
        h1 { (title) }
        p { (l.t("Wybierz wskaźnik, grupę porównawczą i rok, w którym cel ma być osiągnięty. Miernik zaproponuje wartości docelowe z wartości grupy: jej medianę, granicę najlepszej ćwiartki, najlepszy decyl albo zamknięcie części luki do najlepszej ćwiartki — i roczną ścieżkę do każdej z nich. Możesz też wpisać własną wartość.",
                 "Choose an indicator, a peer group and the year by which the target is to be reached. Miernik proposes target values from the group's values: its median, the edge of its best quarter, the best decile, or closing part of the gap to the best quarter — with the yearly way to each. You can also type a value of your own.")) }
        (error_summary(l, "cel", &p.ask_errors))
        form.controls method="get" action=(action) aria-label=(l.t("Wskaźnik, grupa i rok celu", "The target's indicator, group and year")) {
            @if l.en { input type="hidden" name="lang" value="en"; }
            label for=(ind.id) { (l.t("Wskaźnik", "Indicator"))
                (ind.message(l))
                select id=(ind.id) name="wskaznik" aria-invalid=[ind.invalid()] aria-describedby=[ind.described()] {
                    @let (prio, rest): (Vec<_>, Vec<_>) = p.indicators.iter().partition(|x| x.2);
                    @if !prio.is_empty() {
                        optgroup label=(l.t("Priorytety", "Priorities")) {
                            @for (code, words, _) in &prio { option value=(code) selected[p.ask.indicator == *code] { (words) } }
                        }
                    }
                    optgroup label=(l.t("Pozostałe wskaźniki", "Other indicators")) {
                        @for (code, words, _) in &rest { option value=(code) selected[p.ask.indicator == *code] { (words) } }
                    }
                }
            }
            label for=(group.id) { (l.t("Grupa porównawcza", "Peer group"))
                (group.message(l))
                (group_select(&group, p.groups, &p.ask.group))
            }
            label for=(year.id) { (l.t("Rok osiągnięcia celu", "Target year"))
                (year.message(l))
                input type="text" inputmode="numeric" id=(year.id) name="rok" value=(p.ask.year) size="6" aria-invalid=[year.invalid()] aria-describedby=[year.described()];
                span.small.muted id=[year.help.as_deref()] { (l.t("np. ", "e.g. ")) (a.fields.end_year) }
            }
            button type="submit" { (l.t("Pokaż propozycje", "Show the proposals")) }
        }
        @if let Some(pr) = &p.proposals { (proposals_block(p, pr)) }
        @if !p.action.targets.is_empty() {
            h2 { (l.t("Cele tego działania", "This action's targets")) }
            ul {
                @for t in &p.action.targets {
                    li { (l.t(&t.name_pl, &t.name_en)) ": " (l.num(t.row.fields.baseline_value, t.decimals)) " (" (t.row.fields.baseline_year) ") → "
                        strong { (l.num(t.row.fields.target_value, t.decimals)) } " (" (t.row.fields.target_year) "), " (method_text(l, &t.row.fields.method)) }
                }
            }
        }
    };
    (title, body)
}

fn proposals_block(p: &TargetPage<'_>, pr: &Proposals) -> Markup {
    let l = p.l;
    let action = l.href(&format!("{}/plan/dzialania/{}/cel", p.s.base, p.action.row.id));
    let fmt = |v: f64| l.num(v, pr.decimals);
    let span_years = (pr.target_year - pr.baseline_year).max(1);
    let name = l.t(&pr.name_pl, &pr.name_en);
    let manual = field("reczna", "wartosc", &p.manual_errors, false);
    let hidden = html! {
        (csrf_input(p.csrf))
        input type="hidden" name="wskaznik" value=(pr.indicator_code);
        input type="hidden" name="grupa" value=(p.ask.group);
        input type="hidden" name="rok" value=(pr.target_year);
    };
    let years: Vec<i32> = (pr.baseline_year..=pr.target_year).collect();
    let series: Vec<viz::Series> = pr
        .proposals
        .iter()
        .map(|x| viz::Series {
            name: method_text(l, &x.code),
            values: years.iter().map(|y| x.trajectory.iter().find(|(ty, _)| ty == y).map(|(_, v)| *v)).collect(),
        })
        .collect();
    html! {
        h2 id="propozycje" { (l.t("Propozycje celu: ", "Proposed targets: ")) (name) }
        p {
            (l.t("Wartość bazowa: ", "Baseline: ")) strong { (fmt(pr.baseline)) } " " (pr.measure_unit) " (" (pr.baseline_year) "). "
            (l.t("Grupa: ", "Group: ")) (group_words(l, p.s.kind, &pr.group))
            " — " (l.count(pr.n, ["jednostka z wartością", "jednostki z wartością", "jednostek z wartością"], ["unit with a value", "units with a value"])) "."
        }
        @if years.len() >= 2 && !series.is_empty() {
            figure.plan-chart style="margin:.5rem 0" {
                (PreEscaped(viz::lines("propozycje-wykres", &format!("{}: {name}", l.t("Ścieżki do proponowanych celów", "The ways to the proposed targets")),
                    l.t("Każda linia biegnie od wartości bazowej do jednej z propozycji; liczby w tabeli poniżej.", "Each line runs from the baseline to one proposal; the numbers are in the table below."),
                    &years, &series, &fmt)))
            }
        }
        div.scroll {
            table.stack {
                caption { (l.t("Propozycje z grupy porównawczej", "Proposals from the peer group")) " (" (pr.baseline_year) "–" (pr.target_year) ")" }
                thead { tr {
                    th scope="col" { (l.t("Metoda", "Method")) }
                    th scope="col" class="num" { (l.t("Wartość docelowa", "Target value")) }
                    th scope="col" class="num" { (l.t("Zmiana potrzebna rocznie", "Change needed a year")) }
                    th scope="col" { (l.t("Przyjmij", "Accept")) }
                } }
                tbody {
                    @for x in &pr.proposals {
                        @let label = method_text(l, &x.code);
                        tr {
                            th scope="row" { (label) @if x.keeps_current { br; span.small.muted { (l.t("jednostka już jest lepsza: zachować obecną wartość", "the unit is better already: keep the present value")) } } }
                            td.num data-label=(l.t("Wartość docelowa", "Target value")) { (fmt(x.value)) }
                            td.num data-label=(l.t("Zmiana potrzebna rocznie", "Change needed a year")) { (l.change((x.value - pr.baseline) / f64::from(span_years), pr.decimals)) }
                            td data-label=(l.t("Przyjmij", "Accept")) {
                                form.plan-inline method="post" action=(action) {
                                    (hidden)
                                    input type="hidden" name="metoda" value=(x.code);
                                    button type="submit" { (l.t("Przyjmij", "Accept")) span.sr { ": " (label) ", " (fmt(x.value)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        h3 { (l.t("Własna wartość docelowa", "A target value of your own")) }
        (error_summary(l, "reczna", &p.manual_errors))
        form.plan-form method="post" action=(action) novalidate {
            (hidden)
            input type="hidden" name="metoda" value="manual";
            p {
                label for=(manual.id) { (l.t("Wartość docelowa", "Target value")) " (" (pr.measure_unit) ", " (pr.target_year) ")" } br;
                (manual.message(l))
                input type="text" inputmode="decimal" id=(manual.id) name="wartosc" value=(p.manual) aria-invalid=[manual.invalid()] aria-describedby=[manual.described()];
            }
            p { button type="submit" { (l.t("Ustaw własną wartość", "Set my own value")) } }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The unit card's section.

/// The plan's section of unit `u`'s card: a public plan (an internal one only to those with a
/// role on the unit) with each target's latest progress; for those who may plan, links to
/// choose priorities and, without a plan, to create one. Nothing for anyone else.
pub(crate) async fn card_section(store: &app::Store, c: &app::Computed, u: usize, l: L, viewer: Option<&CurrentUser>) -> Markup {
    let Some((&unit_id, code)) = c.unit_ids.get(u).zip(c.codes.get(u)) else { return html! {} };
    let code = code.as_str().to_owned();
    let owner = PlanOwner::Unit { unit_id, code: code.clone() };
    let view = match plans::plan_view(store, c, &owner).await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!("plan of {code} not read for the card: {e}");
            return html! {};
        }
    };
    let can_read = viewer.is_some_and(|v| v.can(Action::ReadUnpublished, unit_id));
    let can_plan = viewer.is_some_and(|v| v.can(Action::Plan, unit_id));
    let shown = view.plan.as_ref().filter(|p| p.fields.public || can_read);
    if shown.is_none() && !can_plan {
        return html! {};
    }
    let base = format!("/jst/{code}");
    let targets: Vec<&TargetView> = view.actions.iter().flat_map(|a| &a.targets).collect();
    html! {
        section.box aria-labelledby="plan-poprawy" {
            h2 id="plan-poprawy" { (l.t("Plan poprawy", "Improvement plan")) }
            @match shown {
                Some(plan) => {
                    p {
                        strong { (plan.fields.title) } " "
                        @if plan.fields.public { span.tag.good { (l.t("publiczny", "public")) } } @else { span.tag { (l.t("wewnętrzny", "internal")) } }
                    }
                    @if targets.is_empty() {
                        p { (l.t("Plan nie ma jeszcze celów.", "The plan has no targets yet.")) }
                    } @else {
                        ul {
                            @for t in &targets {
                                li {
                                    (l.t(&t.name_pl, &t.name_en)) ": " (l.t("cel", "target")) " " strong { (l.num(t.row.fields.target_value, t.decimals)) } " "
                                    (measure_of(l, t)) " " (l.t("w", "by")) " " (t.row.fields.target_year) " — "
                                    (progress_tag(l, plans::progress_words(t.latest).0))
                                    @if let Some(y) = t.latest_year { " " span.small.muted { "(" (y) ")" } }
                                }
                            }
                        }
                    }
                    p { a href=(l.href(&format!("{base}/plan"))) { (l.t("Cały plan: działania, cele i postęp", "The whole plan: actions, targets and progress")) } }
                }
                None => {
                    p { (l.t("Jednostka nie ma jeszcze planu poprawy.", "The unit has no improvement plan yet.")) " "
                        a href=(l.href(&format!("{base}/plan#ustawienia"))) { (l.t("Utwórz plan poprawy", "Create an improvement plan")) } }
                }
            }
            @if can_plan {
                p { a href=(l.href(&format!("{base}/priorytety"))) { (l.t("Wybierz priorytety", "Choose priorities")) } " "
                    span.small.muted { (l.t("(ze słabych stron diagnozy)", "(from the diagnosis' weaknesses)")) } }
                // The same people run the unit's service-user surveys (`Action::RunSurvey`).
                @if base.starts_with("/jst/") {
                    p { a href=(l.href(&format!("{base}/badania"))) { (l.t("Badania opinii użytkowników usług", "Service-user surveys")) } " · "
                        a href=(l.href("/gwd")) { (l.t("grupy wymiany doświadczeń", "exchange groups")) } }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Handlers.

/// Reads what the plan page needs and draws it; `edit` adjusts the page (a refused form).
async fn show_plan(
    state: &AppState,
    ctx: &Ctx,
    s: &Subject,
    status: StatusCode,
    notice: Option<Notice>,
    edit: impl FnOnce(&mut PlanPage<'_>),
) -> Response {
    let l = ctx.lang;
    let view = match plans::plan_view(&state.store, &s.portal.c, &s.owner).await {
        Ok(v) => v,
        Err(e) => return ctx.error(app_fail(e)),
    };
    if !may_see(ctx, s, view.plan.as_ref()) {
        return ctx.error(WebError::NotFound);
    }
    let groups = group_choices(&state.store, l, s.kind).await;
    let year = s.portal.c.snapshot.first_year() + s.portal.c.snapshot.years() as i32;
    let mut page = PlanPage {
        l,
        s,
        view: &view,
        can_plan: can(ctx, Action::Plan, s.unit_id()),
        csrf: &ctx.csrf,
        notice,
        groups: &groups,
        plan_form: PlanForm::of(view.plan.as_ref(), s.kind),
        plan_errors: Vec::new(),
        action_form: ActionForm::empty(year),
        action_errors: Vec::new(),
    };
    edit(&mut page);
    let (title, body) = plan_page(&page);
    respond(ctx, &format!("{}/plan", s.base), status, &title, body)
}

/// `GET …/plan`.
async fn plan_get(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri, path: Result<Path<String>, PathRejection>) -> Response {
    match subject_of(&state, &uri, path).await {
        Ok(s) => show_plan(&state, &ctx, &s, StatusCode::OK, Notice::of(&uri), |_| {}).await,
        Err(e) => ctx.error(e),
    }
}

/// The CSRF check, the owner and the right to plan: what every POST starts with.
async fn writer(
    state: &AppState,
    ctx: &Ctx,
    uri: &Uri,
    code: Result<Path<String>, PathRejection>,
    pairs: &Pairs,
) -> Result<(Subject, app::accounts::Actor), WebError> {
    ctx.check_csrf(val(pairs, "csrf"))?;
    let s = subject_of(state, uri, code).await?;
    let user = ctx.require(Action::Plan, s.unit_id())?;
    let actor = user.actor(ctx.address.clone());
    Ok((s, actor))
}

/// As [`writer`] for a path with an id.
async fn writer_id(
    state: &AppState,
    ctx: &Ctx,
    uri: &Uri,
    path: Result<Path<(String, String)>, PathRejection>,
    pairs: &Pairs,
) -> Result<(Subject, i64, app::accounts::Actor), WebError> {
    ctx.check_csrf(val(pairs, "csrf"))?;
    let (s, id) = subject_and_id(state, uri, path).await?;
    let user = ctx.require(Action::Plan, s.unit_id())?;
    let actor = user.actor(ctx.address.clone());
    Ok((s, id, actor))
}

/// `POST …/plan`: create the plan or save its settings.
async fn plan_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: Uri,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let pairs = pairs_of(form);
    let (s, actor) = match writer(&state, &ctx, &uri, path, &pairs).await {
        Ok(w) => w,
        Err(e) => return ctx.error(e),
    };
    let typed = PlanForm::read(&pairs);
    let errors = match typed.check(s.kind) {
        Ok(fields) => match plans::save_plan(&state.store, &s.owner, &fields, &actor).await {
            Ok(_) => {
                written(&state);
                return see_other(ctx.lang, &format!("{}/plan", s.base), Notice::PlanSaved, "");
            }
            Err(app::AppError::Invalid(why)) => vec![refused(&why, &FIELDS)],
            Err(e) => return ctx.error(app_fail(e)),
        },
        Err(errors) => errors,
    };
    show_plan(&state, &ctx, &s, StatusCode::BAD_REQUEST, None, move |p| {
        p.plan_form = typed;
        p.plan_errors = errors;
    })
    .await
}

/// `POST …/plan/dzialania`: a new action.
async fn action_add(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: Uri,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let pairs = pairs_of(form);
    let (s, actor) = match writer(&state, &ctx, &uri, path, &pairs).await {
        Ok(w) => w,
        Err(e) => return ctx.error(e),
    };
    let priorities = match plans::plan_view(&state.store, &s.portal.c, &s.owner).await {
        Ok(v) => v.priorities,
        Err(e) => return ctx.error(app_fail(e)),
    };
    let typed = ActionForm::read(&pairs);
    let errors = match typed.check(&priorities) {
        Ok(fields) => match plans::add_action(&state.store, &s.owner, &fields, &actor).await {
            Ok(id) => {
                written(&state);
                return see_other(ctx.lang, &format!("{}/plan", s.base), Notice::ActionAdded, &format!("dzialanie-{id}"));
            }
            Err(app::AppError::Invalid(why)) => vec![refused(&why, &FIELDS)],
            Err(e) => return ctx.error(app_fail(e)),
        },
        Err(errors) => errors,
    };
    show_plan(&state, &ctx, &s, StatusCode::BAD_REQUEST, None, move |p| {
        p.action_form = typed;
        p.action_errors = errors;
    })
    .await
}

/// The action `id` of the owner's plan, with the plan's priorities; 404 when it has none.
async fn action_of(state: &AppState, s: &Subject, id: i64) -> Result<(ActionView, Vec<PriorityView>), WebError> {
    let view = plans::plan_view(&state.store, &s.portal.c, &s.owner).await.map_err(app_fail)?;
    let action = view.actions.iter().find(|a| a.row.id == id).cloned().ok_or(WebError::NotFound)?;
    Ok((action, view.priorities))
}

/// `GET …/plan/dzialania/{id}`: the action's edit form (to its planners).
async fn action_get(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri, path: Result<Path<(String, String)>, PathRejection>) -> Response {
    let l = ctx.lang;
    let (s, id) = match subject_and_id(&state, &uri, path).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    if let Err(e) = ctx.require(Action::Plan, s.unit_id()) {
        return ctx.error(e);
    }
    match action_of(&state, &s, id).await {
        Ok((a, priorities)) => {
            let form = ActionForm::of(l, &a.row.fields);
            let (title, body) = action_page(l, &s, &a, &form, &[], &priorities, &ctx.csrf);
            respond(&ctx, uri.path(), StatusCode::OK, &title, body)
        }
        Err(e) => ctx.error(e),
    }
}

/// `POST …/plan/dzialania/{id}`: save the action.
async fn action_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: Uri,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = pairs_of(form);
    let (s, id, actor) = match writer_id(&state, &ctx, &uri, path, &pairs).await {
        Ok(w) => w,
        Err(e) => return ctx.error(e),
    };
    let (a, priorities) = match action_of(&state, &s, id).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    let typed = ActionForm::read(&pairs);
    let errors = match typed.check(&priorities) {
        Ok(fields) => match plans::update_action(&state.store, &s.owner, id, &fields, &actor).await {
            Ok(()) => {
                written(&state);
                return see_other(l, &format!("{}/plan", s.base), Notice::ActionSaved, &format!("dzialanie-{id}"));
            }
            Err(app::AppError::Invalid(why)) => vec![refused(&why, &FIELDS)],
            Err(e) => return ctx.error(app_fail(e)),
        },
        Err(errors) => errors,
    };
    let (title, body) = action_page(l, &s, &a, &typed, &errors, &priorities, &ctx.csrf);
    respond(&ctx, uri.path(), StatusCode::BAD_REQUEST, &title, body)
}

/// `POST …/plan/dzialania/{id}/usun`.
async fn action_remove(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: Uri,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let pairs = pairs_of(form);
    let (s, id, actor) = match writer_id(&state, &ctx, &uri, path, &pairs).await {
        Ok(w) => w,
        Err(e) => return ctx.error(e),
    };
    match plans::remove_action(&state.store, &s.owner, id, &actor).await {
        Ok(()) => {
            written(&state);
            see_other(ctx.lang, &format!("{}/plan", s.base), Notice::ActionRemoved, "dzialania")
        }
        Err(e) => ctx.error(app_fail(e)),
    }
}

/// `POST …/plan/cele/{id}/usun`.
async fn target_remove(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: Uri,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let pairs = pairs_of(form);
    let (s, id, actor) = match writer_id(&state, &ctx, &uri, path, &pairs).await {
        Ok(w) => w,
        Err(e) => return ctx.error(e),
    };
    match plans::remove_target(&state.store, &s.owner, id, &actor).await {
        Ok(()) => {
            written(&state);
            see_other(ctx.lang, &format!("{}/plan", s.base), Notice::TargetRemoved, "dzialania")
        }
        Err(e) => ctx.error(app_fail(e)),
    }
}

/// The target helper's page for `ask` (proposals when it names an indicator), 400 when the
/// choice or a manual value is refused.
#[allow(clippy::too_many_arguments)]
async fn show_target(
    state: &AppState,
    ctx: &Ctx,
    uri: &Uri,
    s: &Subject,
    a: &ActionView,
    priorities: &[PriorityView],
    ask: TargetAsk,
    manual: (String, Vec<FieldError>),
) -> Response {
    let l = ctx.lang;
    let indicators = s.indicators(l, priorities);
    let groups = group_choices(&state.store, l, s.kind).await;
    let mut ask = ask;
    if ask.group.is_empty() {
        let plan_group = plans::plan_view(&state.store, &s.portal.c, &s.owner).await.ok().and_then(|v| v.plan).map(|p| p.fields.group_name);
        ask.group = match (s.kind, plan_group) {
            (Kind::Unit, Some(g)) => group_param(&g),
            (Kind::Area, Some(g)) => g,
            (Kind::Unit, None) => "typologia".to_owned(),
            (Kind::Area, None) => AREA_GROUPS[0].0.to_owned(),
        };
    }
    if ask.year.is_empty() {
        ask.year = a.row.fields.end_year.to_string();
    }
    let mut ask_errors = Vec::new();
    let mut proposals = None;
    if !ask.indicator.is_empty() {
        match ask.check(s.kind, &indicators) {
            Ok((group, year)) => match plans::target_proposals(&state.store, &s.portal.c, &s.owner, &ask.indicator, &group, year).await {
                Ok(p) => proposals = Some(p),
                Err(e @ (app::AppError::Invalid(_) | app::AppError::NotFound(_) | app::AppError::NoCustomGroup { .. })) => {
                    let why = match &e {
                        app::AppError::Invalid(w) | app::AppError::NotFound(w) => w.clone(),
                        e => l.describe(e),
                    };
                    ask_errors.push(refused(&why, &FIELDS))
                }
                Err(e) => return ctx.error(app_fail(e)),
            },
            Err(errors) => ask_errors = errors,
        }
    }
    let status = if ask_errors.is_empty() && manual.1.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page = TargetPage {
        l,
        s,
        action: a,
        indicators: &indicators,
        groups: &groups,
        ask,
        ask_errors,
        proposals,
        manual: manual.0,
        manual_errors: manual.1,
        csrf: &ctx.csrf,
    };
    let (title, body) = target_page(&page);
    respond(ctx, uri.path(), status, &title, body)
}

/// `GET …/plan/dzialania/{id}/cel?wskaznik=&grupa=&rok=`: the target helper (to planners).
async fn target_get(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: Uri,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<Pairs>, QueryRejection>,
) -> Response {
    let (s, id) = match subject_and_id(&state, &uri, path).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    if let Err(e) = ctx.require(Action::Plan, s.unit_id()) {
        return ctx.error(e);
    }
    let (a, priorities) = match action_of(&state, &s, id).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    let ask = TargetAsk::read(&query_pairs(query));
    show_target(&state, &ctx, &uri, &s, &a, &priorities, ask, (String::new(), Vec::new())).await
}

/// `POST …/plan/dzialania/{id}/cel`: `metoda` a proposal's code (its value is computed here
/// again, never taken from the form) or `manual` with `wartosc`.
async fn target_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: Uri,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = pairs_of(form);
    let (s, id, actor) = match writer_id(&state, &ctx, &uri, path, &pairs).await {
        Ok(w) => w,
        Err(e) => return ctx.error(e),
    };
    let (a, priorities) = match action_of(&state, &s, id).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    let ask = TargetAsk::read(&pairs);
    let method = val(&pairs, "metoda").trim().to_owned();
    let typed = val(&pairs, "wartosc").trim().to_owned();
    let indicators = s.indicators(l, &priorities);
    let (group, year) = match ask.check(s.kind, &indicators) {
        Ok(x) => x,
        Err(_) => return show_target(&state, &ctx, &uri, &s, &a, &priorities, ask, (typed, Vec::new())).await,
    };
    let proposals = match plans::target_proposals(&state.store, &s.portal.c, &s.owner, &ask.indicator, &group, year).await {
        Ok(p) => p,
        Err(app::AppError::Invalid(_) | app::AppError::NotFound(_) | app::AppError::NoCustomGroup { .. }) => {
            return show_target(&state, &ctx, &uri, &s, &a, &priorities, ask, (typed, Vec::new())).await;
        }
        Err(e) => return ctx.error(app_fail(e)),
    };
    let value = if method == "manual" {
        match app::form_check::parse_number(&typed).filter(|v| v.is_finite()) {
            Some(v) => v,
            None => {
                let e = FieldError::new("wartosc", "Wpisz wartość docelową liczbą, np. 12,5.", "Type the target value as a number, e.g. 12.5.");
                return show_target(&state, &ctx, &uri, &s, &a, &priorities, ask, (typed, vec![e])).await;
            }
        }
    } else {
        match proposals.proposals.iter().find(|p| p.code == method) {
            Some(p) => p.value,
            None => return ctx.error(WebError::BadRequest("metoda".to_owned())),
        }
    };
    let fields = TargetFields {
        indicator_code: proposals.indicator_code.clone(),
        baseline_year: i64::from(proposals.baseline_year),
        baseline_value: proposals.baseline,
        target_year: i64::from(proposals.target_year),
        target_value: value,
        method,
        group_name: proposals.group.clone(),
    };
    match plans::set_target(&state.store, &s.portal.c, &s.owner, id, &fields, &actor).await {
        Ok(_) => {
            written(&state);
            see_other(l, &format!("{}/plan", s.base), Notice::TargetSet, &format!("dzialanie-{id}"))
        }
        Err(app::AppError::Invalid(why)) => {
            let e = refused(&why, &FIELDS);
            let e = FieldError { field: "wartosc", ..e };
            show_target(&state, &ctx, &uri, &s, &a, &priorities, ask, (typed, vec![e])).await
        }
        Err(e) => ctx.error(app_fail(e)),
    }
}

/// Reads and draws the priorities page; `refused` a form sent back with its errors.
async fn show_priorities(
    state: &AppState,
    ctx: &Ctx,
    s: &Subject,
    group: Option<String>,
    status: StatusCode,
    notice: Option<Notice>,
    refused: Option<(String, Vec<FieldError>)>,
) -> Response {
    let l = ctx.lang;
    let view = match plans::plan_view(&state.store, &s.portal.c, &s.owner).await {
        Ok(v) => v,
        Err(e) => return ctx.error(app_fail(e)),
    };
    let group =
        group.filter(|g| !g.is_empty()).or_else(|| view.plan.as_ref().map(|p| p.fields.group_name.clone())).unwrap_or_else(|| "typology".to_owned());
    let diagnosis = match weaknesses(state, l, s, &group).await {
        Ok(d) => d,
        Err(e) => return ctx.error(e),
    };
    let groups = group_choices(&state.store, l, s.kind).await;
    let page = PrioritiesPage {
        l,
        s,
        view: &view,
        can_plan: can(ctx, Action::Plan, s.unit_id()),
        csrf: &ctx.csrf,
        notice,
        diagnosis,
        groups: &groups,
        refused,
    };
    let (title, body) = priorities_page(&page);
    respond(ctx, &format!("{}/priorytety", s.base), status, &title, body)
}

/// `GET …/priorytety?grupa=`: to those with a role on the unit; the forms to its planners.
async fn priorities_get(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: Uri,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Pairs>, QueryRejection>,
) -> Response {
    let s = match subject_of(&state, &uri, path).await {
        Ok(s) => s,
        Err(e) => return ctx.error(e),
    };
    if let Err(e) = ctx.require(Action::ReadUnpublished, s.unit_id()) {
        return ctx.error(e);
    }
    let pairs = query_pairs(query);
    let group = match val(&pairs, "grupa") {
        "" => None,
        g => match s.kind {
            Kind::Unit => match group_canonical(g) {
                Some(c) => Some(c),
                None => return ctx.error(WebError::BadRequest(format!("grupa={g}"))),
            },
            Kind::Area => Some(g.to_owned()),
        },
    };
    show_priorities(&state, &ctx, &s, group, StatusCode::OK, Notice::of(&uri), None).await
}

/// `POST …/priorytety`: `wskaznik`, `notatka`, and the diagnosis' `rok` and `grupa`.
async fn priority_add(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: Uri,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = pairs_of(form);
    let (s, actor) = match writer(&state, &ctx, &uri, path, &pairs).await {
        Ok(w) => w,
        Err(e) => return ctx.error(e),
    };
    let indicator = val(&pairs, "wskaznik").trim().to_owned();
    let note = val(&pairs, "notatka").trim().to_owned();
    let key = if val(&pairs, "forma") == "inny" { "inny".to_owned() } else { indicator.clone() };
    let group = match val(&pairs, "grupa").trim() {
        "" => None,
        g => match s.kind {
            Kind::Unit => group_canonical(g),
            Kind::Area => Some(g.to_owned()),
        },
    };
    let group = group.unwrap_or_else(|| match s.kind {
        Kind::Unit => "typology".to_owned(),
        Kind::Area => AREA_GROUPS[0].0.to_owned(),
    });
    let c = &s.portal.c;
    let year = match val(&pairs, "rok").trim().parse::<i32>() {
        Ok(y) => y,
        Err(_) => match s.info.unit {
            Some(u) => c.snapshot.first_year() + s.portal.latest_year(u) as i32,
            None => c.snapshot.first_year() + c.snapshot.years().saturating_sub(1) as i32,
        },
    };
    let mut errors = Vec::new();
    if c.snapshot.indicator_index(&indicator).is_none() {
        errors.push(FieldError::new("wskaznik", "Wybierz wskaźnik z listy.", "Choose an indicator from the list."));
    }
    if note.chars().count() > 4000 {
        errors.push(FieldError::new("notatka", "Notatka może mieć najwyżej 4000 znaków.", "The note may have at most 4000 characters."));
    }
    if errors.is_empty() {
        let note = (!note.is_empty()).then_some(note.as_str());
        match plans::add_priority(&state.store, c, &s.owner, &indicator, year, &group, note, &actor).await {
            Ok(_) => {
                written(&state);
                return see_other(l, &format!("{}/priorytety", s.base), Notice::PriorityAdded, "");
            }
            Err(app::AppError::Invalid(why)) => {
                let mut e = refused(&why, &FIELDS);
                if e.field != "notatka" {
                    e.field = if key == "inny" { "wskaznik" } else { "notatka" };
                }
                errors.push(e);
            }
            Err(e) => return ctx.error(app_fail(e)),
        }
    }
    // A refused weakness's form has only the note to show its error beside.
    if key != "inny" {
        for e in &mut errors {
            e.field = "notatka";
        }
    }
    show_priorities(&state, &ctx, &s, Some(group), StatusCode::BAD_REQUEST, None, Some((key, errors))).await
}

/// `POST …/priorytety/{id}/usun`.
async fn priority_remove(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: Uri,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let pairs = pairs_of(form);
    let (s, id, actor) = match writer_id(&state, &ctx, &uri, path, &pairs).await {
        Ok(w) => w,
        Err(e) => return ctx.error(e),
    };
    match plans::remove_priority(&state.store, &s.owner, id, &actor).await {
        Ok(()) => {
            written(&state);
            see_other(ctx.lang, &format!("{}/priorytety", s.base), Notice::PriorityRemoved, "")
        }
        Err(e) => ctx.error(app_fail(e)),
    }
}

/// The plan of a `plan.csv` / `plan.json` request, when the reader may see it.
async fn export_view(state: &AppState, ctx: &Ctx, uri: &Uri, path: Result<Path<String>, PathRejection>) -> Result<(Subject, PlanView), WebError> {
    let s = subject_of(state, uri, path).await?;
    let view = plans::plan_view(&state.store, &s.portal.c, &s.owner).await.map_err(app_fail)?;
    if view.plan.is_none() || !may_see(ctx, &s, view.plan.as_ref()) {
        return Err(WebError::NotFound);
    }
    Ok((s, view))
}

/// A download of the plan: `private, no-store` with a user, `no-store` without.
fn download(ctx: &Ctx, content_type: &'static str, name: &str, body: Vec<u8>) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).unwrap_or(HeaderValue::from_static("attachment"));
    let cache = if ctx.user.is_some() { "private, no-store" } else { "no-store" };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        body,
    )
        .into_response()
}

/// `GET …/plan.csv`: a row per target.
async fn plan_csv(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri, path: Result<Path<String>, PathRejection>) -> Response {
    match export_view(&state, &ctx, &uri, path).await {
        Ok((s, view)) => download(&ctx, "text/csv; charset=utf-8", &format!("plan-{}.csv", s.owner.code()), plans::plan_csv(&view).into_bytes()),
        Err(e) => ctx.error(e),
    }
}

/// `GET …/plan.json`.
async fn plan_json(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri, path: Result<Path<String>, PathRejection>) -> Response {
    match export_view(&state, &ctx, &uri, path).await {
        Ok((s, view)) => match serde_json::to_vec_pretty(&plans::plan_json(&view)) {
            Ok(body) => download(&ctx, "application/json", &format!("plan-{}.json", s.owner.code()), body),
            Err(e) => ctx.error(WebError::Server(e.to_string())),
        },
        Err(e) => ctx.error(e),
    }
}

// ---------------------------------------------------------------------------------------
// The API.

/// A unit's public improvement plan: its priorities, actions and targets, each target with
/// its trajectory and yearly progress (the same content as `/jst/{code}/plan.json`). An
/// internal plan is not shown: 404, as for a unit without a plan.
#[utoipa::path(get, path = "/api/v1/units/{code}/plan", tag = "units",
    params(("code" = String, Path, description = "TERYT code", pattern = "@teryt", example = "0201011")),
    responses(
        (status = 200, description = "Publiczny plan poprawy / The public improvement plan", body = Object),
        (status = 400, description = "Zły kod / Bad code", body = crate::api::ApiErrorBody),
        (status = 404, description = "Brak jednostki albo publicznego planu / No such unit, or no public plan", body = crate::api::ApiErrorBody)))]
pub async fn api_plan(State(state): State<Arc<AppState>>, headers: HeaderMap, code: Result<Path<String>, PathRejection>) -> Response {
    use crate::api::ApiError;
    let r: Result<serde_json::Value, ApiError> = async {
        let code = code.map(|Path(c)| c).map_err(|e| ApiError::bad("code", e.body_text()))?;
        if code.is_empty() || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ApiError::bad("code", "a TERYT code is PL or 2, 4 or 7 digits"));
        }
        let teryt = model::TerytCode::parse_lenient(&code).map_err(|e| ApiError::bad("code", format!("`{code}`: {e}")))?;
        let Some(portal) = state.portal().await else {
            return Err(ApiError::not_found("code", "no indicator snapshot yet: no plans to show"));
        };
        let owner =
            PlanOwner::unit(&portal.c, teryt.as_str()).map_err(|_| ApiError::not_found("code", format!("no unit with data has the code {code}")))?;
        let view = plans::plan_view(&state.store, &portal.c, &owner).await.map_err(|e| match e {
            app::AppError::Busy => ApiError::busy(),
            app::AppError::NotFound(m) => ApiError::not_found("code", m),
            e => {
                tracing::error!("api plan: {e}");
                ApiError::not_found("code", "the plan could not be read")
            }
        })?;
        if !view.plan.as_ref().is_some_and(|p| p.fields.public) {
            return Err(ApiError::not_found("code", format!("the unit {code} has no public improvement plan")));
        }
        Ok(plans::plan_json(&view))
    }
    .await;
    match r {
        Ok(value) => {
            let body = serde_json::to_vec(&value).unwrap_or_default();
            let etag = {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                body.hash(&mut h);
                format!("\"{:016x}\"", h.finish())
            };
            let tag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\""));
            let matches = headers
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
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
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    #[test]
    fn an_action_form_names_each_wrong_field_in_both_languages() {
        let typed = ActionForm {
            title: String::new(),
            budget: "dużo".into(),
            start: "2026".into(),
            end: "2024".into(),
            status: "x".into(),
            ..ActionForm::default()
        };
        let errors = typed.check(&[]).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["tytul", "budzet", "do", "status"]);
        assert!(errors.iter().all(|e| !e.pl.is_empty() && !e.en.is_empty() && e.pl != e.en));
        let good = ActionForm { title: "Wspólna obsługa szkół".into(), budget: "1 234,50".into(), ..ActionForm::empty(2024) };
        let f = good.check(&[]).unwrap();
        assert_eq!((f.start_year, f.end_year, f.budget, f.status.as_str()), (2024, 2027, Some(1234.5), "planned"));
    }

    #[test]
    fn the_app_refusal_lands_on_the_field_it_names() {
        assert_eq!(refused("budget: not a finite number", &FIELDS).field, "budzet");
        assert_eq!(refused("end_year: before start_year", &FIELDS).field, "do");
        assert_eq!(refused("something else", &FIELDS).field, "");
    }

    #[test]
    fn a_plan_form_takes_the_portal_groups_and_refuses_a_list() {
        let f = PlanForm { title: "Plan".into(), group: "sasiedzi".into(), ..PlanForm::default() };
        assert_eq!(f.check(Kind::Unit).unwrap().group_name, "neighbours");
        let f = PlanForm { title: "Plan".into(), group: "lista:0201011".into(), ..PlanForm::default() };
        assert_eq!(f.check(Kind::Unit).unwrap_err()[0].field, "grupa");
        let f = PlanForm { title: "Plan".into(), group: "typologia".into(), ..PlanForm::default() };
        assert_eq!(f.check(Kind::Area).unwrap_err()[0].field, "grupa", "an area is compared with powiaty or other areas");
    }
}
