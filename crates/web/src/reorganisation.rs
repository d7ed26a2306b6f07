//! The register of reorganisations (`/reorganizacje`: list, a new one, one with its
//! milestones, institutions and the re-evaluation of each of its indicators against peers
//! that did not reorganise the same way), the institutions of a JST (`/jst/{code}/instytucje`)
//! and the API's `GET /api/v1/reorganisations`.
//!
//! Reading is public; every write checks the form's CSRF token, then `Action::Plan` on the
//! reorganisation's (or institution's) unit, then calls `app::reorganisations` with the user's
//! actor, and answers 303 back to the page. A refused form is shown again with every field's
//! problem (400). Pages are never put in the page cache (`no-store`; `private` too for a
//! signed-in user).

use std::sync::Arc;

use app::accounts::Action;
use app::reorganisations::{self as reorg, Problem, ReorganisationDetail, ReorganisationInput};
use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, PreEscaped, html};
use model::TerytCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::{ApiError, ApiErrorBody};
use crate::auth::Ctx;
use crate::error::WebError;
use crate::evaluate::{EvalForm, Judgement, api_app_error, api_params, json_answer, respond};
use crate::i18n::L;
use crate::portal::Portal;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/reorganizacje", get(list_page))
        .route("/reorganizacje/nowa", get(new_get).post(new_post))
        .route("/reorganizacje/{id}", get(detail_get).post(edit_post))
        .route("/reorganizacje/{id}/etapy", post(milestone_post))
        .route("/reorganizacje/{id}/etapy/{mid}", post(milestone_done_post))
        .route("/reorganizacje/{id}/instytucje", post(link_post))
        .route("/jst/{code}/instytucje", get(institutions_get).post(institutions_post))
}

/// The routes under `/api/v1`.
pub fn api_routes() -> Router<Arc<AppState>> {
    Router::new().route("/reorganisations", get(reorganisations))
}

// ---------------------------------------------------------------------------------------
// Forms as typed.

/// The reorganisation form's fields (Polish input names) with the app's field names.
const FIELDS: [(&str, &str); 10] = [
    ("jst", "unit"),
    ("rodzaj", "kind"),
    ("tytul", "title"),
    ("opis", "description"),
    ("poczatek", "start_date"),
    ("koniec", "end_date"),
    ("wartosc", "project_value"),
    ("dofinansowanie", "funding_share"),
    ("zrodlo", "funding_source"),
    ("wskazniki", "indicators"),
];

/// A form field's error: the input's name and what to correct (PL, EN).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub pl: String,
    pub en: String,
}

/// The app's problems as the form's field errors (`names`: input name, app field name).
fn field_errors(problems: &[Problem], names: &[(&str, &str)]) -> Vec<FieldError> {
    problems
        .iter()
        .map(|p| FieldError {
            field: names.iter().find(|(_, a)| *a == p.field).map_or(p.field, |(f, _)| f).to_owned(),
            pl: p.pl.clone(),
            en: p.en.clone(),
        })
        .collect()
}

/// The reorganisation form as sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReorgForm {
    pub jst: String,
    pub input: ReorganisationInput,
}

impl ReorgForm {
    pub fn from_pairs(pairs: &[(String, String)]) -> ReorgForm {
        let get = |k: &str| pairs.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
        ReorgForm {
            jst: get("jst").trim().to_owned(),
            input: ReorganisationInput {
                kind: get("rodzaj"),
                title: get("tytul"),
                description: get("opis"),
                start_date: get("poczatek"),
                end_date: get("koniec"),
                project_value: get("wartosc"),
                funding_share: get("dofinansowanie"),
                funding_source: get("zrodlo"),
                indicators: pairs.iter().filter(|(n, _)| n == "wskazniki").map(|(_, v)| v.clone()).collect(),
            },
        }
    }
}

fn pick<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or("")
}

// ---------------------------------------------------------------------------------------
// Markup.

const CSS: &str = r#"
.ro-summary{border:3px solid #8f2d00;border-radius:4px;padding:.5rem 1rem;margin:1rem 0}
.ro-summary h2{margin:.25rem 0 .5rem;font-size:1.2rem}.ro-summary ul{margin:.25rem 0;padding-left:1.25rem}
.ro-notice{border:2px solid #00573f;border-radius:4px;padding:.5rem 1rem;margin:1rem 0}
form.ro p{margin:.75rem 0}form.ro label{display:block;font-weight:600}
form.ro input[type=text],form.ro input[type=date],form.ro select{width:100%;max-width:30rem}
form.ro .help{display:block;font-weight:400;font-size:.9rem;color:#595959}
form.ro .err{display:block;color:#8f2d00;font-weight:600}
form.ro [aria-invalid=true]{border:2px solid #8f2d00}
form.inline{display:inline}
.ro-actions{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
"#;

fn style() -> Markup {
    html! { style { (PreEscaped(CSS)) } }
}

fn csrf_input(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

fn summary(l: L, errors: &[FieldError], id: &str) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.ro-summary role="alert" aria-labelledby=(id) tabindex="-1" {
                h2 id=(id) { (l.t("Popraw formularz", "Correct the form")) }
                ul { @for e in errors { li { a href={ "#ro-" (e.field) } { (l.t(&e.pl, &e.en)) } } } }
            }
        }
    }
}

/// One labelled input of a form (`kind`: text, date…), with its help and error.
fn field(l: L, errors: &[FieldError], name: &str, label: (&str, &str), help: Option<(&str, &str)>, value: &str, kind: &str) -> Markup {
    let err = errors.iter().find(|e| e.field == name);
    let ids: Vec<String> = [help.map(|_| format!("ro-{name}-help")), err.map(|_| format!("ro-{name}-err"))].into_iter().flatten().collect();
    let described = (!ids.is_empty()).then(|| ids.join(" "));
    html! {
        p {
            label for={ "ro-" (name) } { (l.t(label.0, label.1))
                @if let Some(h) = help { span.help id={ "ro-" (name) "-help" } { (l.t(h.0, h.1)) } }
            }
            @if let Some(e) = err { span.err id={ "ro-" (name) "-err" } { (l.t(&e.pl, &e.en)) } }
            input id={ "ro-" (name) } name=(name) type=(kind) value=(value) aria-invalid=[err.map(|_| "true")] aria-describedby=[described];
        }
    }
}

/// The choices of indicators a reorganisation may name: (area's name, [(code, name)]), only
/// indicators with a better direction.
fn indicator_choices(l: L, p: &Portal) -> Vec<(String, Vec<(String, String)>)> {
    let c = &p.c;
    p.areas
        .iter()
        .map(|a| {
            let list: Vec<(String, String)> = a
                .indicators()
                .filter(|&i| c.snapshot.indicator(i).polarity != model::Polarity::Neutral)
                .map(|i| (c.definitions[i].code.clone(), crate::common::indicator_name(l, c, i).to_owned()))
                .collect();
            (l.area(&a.code), list)
        })
        .filter(|(_, list)| !list.is_empty())
        .collect()
}

/// The fields of a reorganisation (new: with the unit).
fn reorg_fields(l: L, f: &ReorgForm, errors: &[FieldError], with_unit: bool, choices: &[(String, Vec<(String, String)>)]) -> Markup {
    let i = &f.input;
    let kind = reorg::parse_kind(&i.kind).unwrap_or("");
    let err = |name: &str| errors.iter().find(|e| e.field == name);
    let indicators_described = if err("wskazniki").is_some() { "ro-wskazniki-help ro-wskazniki-err" } else { "ro-wskazniki-help" };
    let chosen: Vec<&str> = i.indicators.iter().flat_map(|s| s.split([',', ' '])).map(str::trim).filter(|s| !s.is_empty()).collect();
    html! {
        @if with_unit {
            (field(l, errors, "jst", ("Jednostka (kod TERYT)", "Unit (TERYT code)"), Some(("Twoja rola musi obejmować tę jednostkę.", "Your role must cover this unit.")), &f.jst, "text"))
        }
        p {
            label for="ro-rodzaj" { (l.t("Rodzaj", "Kind")) }
            @if let Some(e) = err("rodzaj") { span.err id="ro-rodzaj-err" { (l.t(&e.pl, &e.en)) } }
            select id="ro-rodzaj" name="rodzaj" aria-invalid=[err("rodzaj").map(|_| "true")] aria-describedby=[err("rodzaj").map(|_| "ro-rodzaj-err")] {
                option value="" selected[kind.is_empty()] { (l.t("— wybierz —", "— choose —")) }
                @for (code, pl, en) in reorg::KINDS { option value=(code) selected[kind == code] { (l.t(pl, en)) } }
            }
        }
        (field(l, errors, "tytul", ("Tytuł", "Title"), None, &i.title, "text"))
        p {
            label for="ro-opis" { (l.t("Opis (nieobowiązkowy)", "Description (optional)")) }
            @if let Some(e) = err("opis") { span.err id="ro-opis-err" { (l.t(&e.pl, &e.en)) } }
            textarea id="ro-opis" name="opis" rows="4" maxlength=(reorg::MAX_DESCRIPTION) aria-invalid=[err("opis").map(|_| "true")] aria-describedby=[err("opis").map(|_| "ro-opis-err")] { (i.description) }
        }
        (field(l, errors, "poczatek", ("Początek", "Start"), Some(("RRRR-MM-DD; od tego roku liczy się zmiana.", "YYYY-MM-DD; the change is counted from this year."), ), &i.start_date, "date"))
        (field(l, errors, "koniec", ("Koniec (nieobowiązkowy)", "End (optional)"), Some(("RRRR-MM-DD", "YYYY-MM-DD")), &i.end_date, "date"))
        (field(l, errors, "wartosc", ("Wartość projektu, zł (nieobowiązkowa)", "Project value, zł (optional)"), None, &i.project_value, "text"))
        (field(l, errors, "dofinansowanie", ("Dofinansowanie ze środków zewnętrznych, % (nieobowiązkowe)", "Outside funding, % (optional)"), Some(("Od 0 do 100.", "0 to 100.")), &i.funding_share, "text"))
        (field(l, errors, "zrodlo", ("Źródło dofinansowania (nieobowiązkowe)", "Source of the funding (optional)"), None, &i.funding_source, "text"))
        p {
            label for="ro-wskazniki" { (l.t("Wskaźniki do oceny zmiany", "Indicators to re-evaluate"))
                span.help id="ro-wskazniki-help" { (l.t("Można wybrać kilka (Ctrl lub Cmd i kliknięcie). Tylko wskaźniki, dla których wiadomo, co znaczy „lepiej”.",
                                                       "Several may be chosen (Ctrl or Cmd and click). Only indicators for which “better” has a direction.")) }
            }
            @if let Some(e) = err("wskazniki") { span.err id="ro-wskazniki-err" { (l.t(&e.pl, &e.en)) } }
            select id="ro-wskazniki" name="wskazniki" multiple size="8" aria-invalid=[err("wskazniki").map(|_| "true")] aria-describedby=(indicators_described) {
                @for (area, list) in choices {
                    optgroup label=(area) { @for (code, name) in list { option value=(code) selected[chosen.contains(&code.as_str())] { (name) " (" (code) ")" } } }
                }
            }
        }
    }
}

fn money(l: L, v: Option<f64>) -> String {
    v.map(|v| format!("{} zł", l.num(v, 0))).unwrap_or_else(|| "—".to_owned())
}

fn share(l: L, v: Option<f64>) -> String {
    v.map(|v| format!("{} %", l.num_auto(v * 100.0))).unwrap_or_else(|| "—".to_owned())
}

fn dates(l: L, start: &str, end: Option<&str>) -> String {
    match end {
        Some(e) => format!("{start} – {e}"),
        None => format!("{} {start}", l.t("od", "from")),
    }
}

fn kind_of(l: L, code: &str) -> String {
    let (pl, en) = reorg::kind_words(code);
    l.t(pl, en).to_owned()
}

fn institution_kind(l: L, code: &str) -> String {
    let (pl, en) = reorg::institution_kind_words(code);
    l.t(pl, en).to_owned()
}

/// `/reorganizacje`.
pub fn list_html(l: L, list: &[reorg::ReorganisationListing], can_add: bool, notice: Option<&str>) -> (String, Markup) {
    let title = l.t("Reorganizacje", "Reorganisations").to_owned();
    let body = html! {
        (style())
        h1 { (title) }
        p { (l.t("Rejestr reorganizacji usług JST — centra usług wspólnych, reorganizacje pomocy społecznej, zmiany sieci szkół — z ich terminami, wartością i finansowaniem, etapami i instytucjami. Na stronie każdej reorganizacji: ocena zmiany wybranych wskaźników na tle podobnych JST, które takiej reorganizacji nie przeprowadziły.",
                 "A register of reorganisations of local governments' services — shared-services centres, social-assistance reorganisations, school-network changes — with their dates, value and funding, milestones and institutions. On each reorganisation's page: the change of its chosen indicators re-evaluated against similar units that did not reorganise this way.")) }
        @if let Some(n) = notice { p.ro-notice role="status" { (n) } }
        @if can_add { p { a href=(l.href("/reorganizacje/nowa")) { (l.t("Dodaj reorganizację", "Add a reorganisation")) } } }
        @if list.is_empty() {
            p.box role="status" { (l.t("Nie ma jeszcze żadnej reorganizacji w rejestrze.", "The register holds no reorganisation yet.")) }
        } @else {
            table.stack {
                caption { (l.t("Reorganizacje w rejestrze", "Reorganisations in the register")) }
                thead { tr {
                    th scope="col" { (l.t("Reorganizacja", "Reorganisation")) }
                    th scope="col" { (l.t("Rodzaj", "Kind")) }
                    th scope="col" { (l.t("JST", "Unit")) }
                    th scope="col" { (l.t("Okres", "Period")) }
                    th.num scope="col" { (l.t("Wartość", "Value")) }
                    th.num scope="col" { (l.t("Dofinansowanie", "Funding")) }
                } }
                tbody {
                    @for r in list {
                        @let f = &r.row.fields;
                        tr {
                            th scope="row" { a href=(l.href(&format!("/reorganizacje/{}", r.row.id))) { (f.title) } }
                            td data-label=(l.t("Rodzaj", "Kind")) { (kind_of(l, &f.kind)) }
                            td data-label=(l.t("JST", "Unit")) { a href=(l.href(&format!("/jst/{}", r.unit_code))) { (r.unit_name) } " (" (r.unit_code) ")" }
                            td data-label=(l.t("Okres", "Period")) { (dates(l, &f.start_date, f.end_date.as_deref())) }
                            td.num data-label=(l.t("Wartość", "Value")) { (money(l, f.project_value)) }
                            td.num data-label=(l.t("Dofinansowanie", "Funding")) {
                                (share(l, f.funding_share))
                                @if let Some(s) = &f.funding_source { " (" (s) ")" }
                            }
                        }
                    }
                }
            }
        }
        p { a href=(l.href(crate::evaluate::PATH)) { (l.t("Ocena dowolnej zmiany na tle grupy", "Re-evaluate any change against peers")) } }
    };
    (title, body)
}

/// `/reorganizacje/nowa`.
pub fn new_html(l: L, csrf: &str, f: &ReorgForm, errors: &[FieldError], choices: &[(String, Vec<(String, String)>)]) -> (String, Markup) {
    let title = l.t("Nowa reorganizacja", "A new reorganisation").to_owned();
    let body = html! {
        (style())
        h1 { (title) }
        (summary(l, errors, "ro-bledy"))
        form.ro method="post" action=(l.href("/reorganizacje/nowa")) {
            (csrf_input(csrf))
            (reorg_fields(l, f, errors, true, choices))
            button type="submit" { (l.t("Zapisz reorganizację", "Save the reorganisation")) }
        }
        p { a href=(l.href("/reorganizacje")) { (l.t("Wróć do rejestru", "Back to the register")) } }
    };
    (title, body)
}

/// One indicator's re-evaluation as the reorganisation's page sums it up.
#[derive(Debug, Clone)]
pub struct EvalLine {
    pub code: String,
    pub name: String,
    /// The address of `/ocena` with the same parameters.
    pub link: String,
    pub outcome: Result<EvalSummary, String>,
}

#[derive(Debug, Clone)]
pub struct EvalSummary {
    pub judgement: Judgement,
    pub unit_change: f64,
    pub peers_change: f64,
    pub estimate: f64,
    pub interval: (f64, f64),
    pub n_peers: usize,
    pub decimals: u8,
}

/// What a planner of the unit may do on the page (None for everyone else).
#[derive(Debug, Clone)]
pub struct Editing {
    pub csrf: String,
    pub form: ReorgForm,
    pub errors: Vec<FieldError>,
    pub milestone_errors: Vec<FieldError>,
    pub milestone: (String, String),
    pub link_errors: Vec<FieldError>,
    pub choices: Vec<(String, Vec<(String, String)>)>,
}

/// `/reorganizacje/{id}`.
pub fn detail_html(l: L, d: &ReorganisationDetail, evals: &[EvalLine], editing: Option<&Editing>, notice: Option<&str>) -> (String, Markup) {
    let f = &d.row.fields;
    let title = f.title.clone();
    let id = d.row.id;
    let path = format!("/reorganizacje/{id}");
    let linkable: Vec<&reorg::InstitutionRow> = d.unit_institutions.iter().filter(|i| !d.institutions.iter().any(|x| x.id == i.id)).collect();
    let body = html! {
        (style())
        p { a href=(l.href("/reorganizacje")) { (l.t("Reorganizacje", "Reorganisations")) } }
        h1 { (title) }
        @if let Some(n) = notice { p.ro-notice role="status" { (n) } }
        dl.facts {
            div { dt { (l.t("JST", "Unit")) } dd { a href=(l.href(&format!("/jst/{}", d.unit_code))) { (d.unit_name) } " (" (d.unit_code) ")" } }
            div { dt { (l.t("Rodzaj", "Kind")) } dd { (kind_of(l, &f.kind)) } }
            div { dt { (l.t("Okres", "Period")) } dd { (dates(l, &f.start_date, f.end_date.as_deref())) } }
            div { dt { (l.t("Wartość projektu", "Project value")) } dd { (money(l, f.project_value)) } }
            div { dt { (l.t("Finansowanie", "Funding")) } dd {
                @match (f.funding_share, &f.funding_source) {
                    (Some(_), Some(src)) => { (share(l, f.funding_share)) " " (l.t("ze środków zewnętrznych", "from outside funds")) " — " (src) }
                    (Some(_), None) => { (share(l, f.funding_share)) " " (l.t("ze środków zewnętrznych", "from outside funds")) }
                    (None, Some(src)) => { (src) }
                    (None, None) => { "—" }
                }
            } }
        }
        @if let Some(desc) = &f.description { @for para in desc.split("\n\n") { p { (para) } } }
        p.small.muted { (l.t("Ostatnia zmiana: ", "Last changed: ")) (d.row.updated_at.replace('T', " ").chars().take(16).collect::<String>()) " · " (d.row.updated_by) }

        h2 id="ro-ocena" { (l.t("Czy zmiana odróżnia się od grupy?", "Does the change stand out from the group?")) }
        p { (l.t("Każdy wskaźnik reorganizacji: zmiana od lat przed jej początkiem do lat od początku, na tle JST z tej samej grupy typologicznej, które nie przeprowadziły reorganizacji tego rodzaju (różnica w różnicach z przedziałem placebo; metoda i jej ograniczenia na stronie oceny).",
                 "Each indicator of the reorganisation: its change from the years before the start to the years from the start on, against units of the same typology group that did not make a reorganisation of this kind (difference in differences with a placebo interval; the method and its limits are on the evaluation page).")) }
        @if evals.is_empty() {
            p.box { (l.t("Nie wybrano wskaźników do oceny.", "No indicators were chosen for re-evaluation.")) }
        } @else {
            table.stack {
                caption { (l.t("Ocena zmiany wskaźników", "The indicators' change re-evaluated")) }
                thead { tr {
                    th scope="col" { (l.t("Wskaźnik", "Indicator")) }
                    th scope="col" { (l.t("Ocena", "Verdict")) }
                    th.num scope="col" { (l.t("Zmiana w JST", "Unit's change")) }
                    th.num scope="col" { (l.t("Zmiana w grupie", "Peers' change")) }
                    th.num scope="col" { (l.t("Efekt (przedział placebo)", "Effect (placebo interval)")) }
                    th.num scope="col" { (l.t("Jednostek", "Peers")) }
                } }
                tbody {
                    @for e in evals {
                        tr {
                            th scope="row" { a href=(l.href(&e.link)) { (e.name) } " (" (e.code) ")" }
                            @match &e.outcome {
                                Ok(s) => {
                                    td data-label=(l.t("Ocena", "Verdict")) { strong { (s.judgement.words(l)) } }
                                    td.num data-label=(l.t("Zmiana w JST", "Unit's change")) { (l.change(s.unit_change, s.decimals)) }
                                    td.num data-label=(l.t("Zmiana w grupie", "Peers' change")) { (l.change(s.peers_change, s.decimals)) }
                                    td.num data-label=(l.t("Efekt (przedział placebo)", "Effect (placebo interval)")) {
                                        (l.change(s.estimate, s.decimals)) " (" (l.change(s.interval.0, s.decimals)) " … " (l.change(s.interval.1, s.decimals)) ")"
                                    }
                                    td.num data-label=(l.t("Jednostek", "Peers")) { (s.n_peers) }
                                }
                                Err(why) => {
                                    td colspan="5" data-label=(l.t("Ocena", "Verdict")) { (l.t("Nie da się ocenić: ", "Cannot be evaluated: ")) (why) }
                                }
                            }
                        }
                    }
                }
            }
        }

        h2 id="ro-etapy" { (l.t("Etapy", "Milestones")) }
        @if d.milestones.is_empty() {
            p { (l.t("Nie dodano etapów.", "No milestones yet.")) }
        } @else {
            table.stack {
                caption { (l.t("Etapy reorganizacji", "The reorganisation's milestones")) }
                thead { tr {
                    th scope="col" { (l.t("Etap", "Milestone")) }
                    th scope="col" { (l.t("Data", "Date")) }
                    th scope="col" { (l.t("Wykonany", "Done")) }
                    @if editing.is_some() { th scope="col" { (l.t("Zmień", "Change")) } }
                } }
                tbody {
                    @for m in &d.milestones {
                        tr {
                            th scope="row" { (m.title) }
                            td data-label=(l.t("Data", "Date")) { (m.on_date) }
                            td data-label=(l.t("Wykonany", "Done")) {
                                @if m.done { span.tag.good { "✓ " (l.t("wykonany", "done")) } } @else { span.tag { (l.t("jeszcze nie", "not yet")) } }
                            }
                            @if let Some(e) = editing {
                                td {
                                    form.inline method="post" action=(l.href(&format!("{path}/etapy/{}", m.id))) {
                                        (csrf_input(&e.csrf))
                                        input type="hidden" name="wykonany" value=(if m.done { "0" } else { "1" });
                                        button.secondary type="submit" {
                                            @if m.done { (l.t("Oznacz jako niewykonany", "Mark as not done")) } @else { (l.t("Oznacz jako wykonany", "Mark as done")) }
                                            span.sr { ": " (m.title) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(e) = editing {
            h3 { (l.t("Dodaj etap", "Add a milestone")) }
            (summary(l, &e.milestone_errors, "ro-bledy-etapu"))
            form.ro method="post" action=(l.href(&format!("{path}/etapy"))) {
                (csrf_input(&e.csrf))
                (field(l, &e.milestone_errors, "data", ("Data", "Date"), Some(("RRRR-MM-DD", "YYYY-MM-DD")), &e.milestone.0, "date"))
                (field(l, &e.milestone_errors, "nazwa", ("Etap", "Milestone"), None, &e.milestone.1, "text"))
                p { label { input type="checkbox" name="wykonany" value="1"; " " (l.t("już wykonany", "already done")) } }
                button type="submit" { (l.t("Dodaj etap", "Add the milestone")) }
            }
        }

        h2 id="ro-instytucje" { (l.t("Instytucje", "Institutions")) }
        @if d.institutions.is_empty() {
            p { (l.t("Nie powiązano instytucji.", "No institutions are linked.")) }
        } @else {
            ul { @for i in &d.institutions { li { (i.name) " — " (institution_kind(l, &i.kind)) } } }
        }
        p { a href=(l.href(&format!("/jst/{}/instytucje", d.unit_code))) { (l.t("Instytucje JST", "The unit's institutions")) " — " (d.unit_name) } }
        @if let Some(e) = editing {
            @if linkable.is_empty() {
                p.muted { (l.t("Wszystkie instytucje JST są już powiązane; nowe dodasz na stronie instytucji JST.", "Every institution of the unit is linked already; add new ones on the unit's institutions page.")) }
            } @else {
                (summary(l, &e.link_errors, "ro-bledy-instytucji"))
                form.ro method="post" action=(l.href(&format!("{path}/instytucje"))) {
                    (csrf_input(&e.csrf))
                    p {
                        label for="ro-instytucja" { (l.t("Powiąż instytucję", "Link an institution")) }
                        select id="ro-instytucja" name="instytucja" {
                            @for i in &linkable { option value=(i.id) { (i.name) " — " (institution_kind(l, &i.kind)) } }
                        }
                    }
                    button type="submit" { (l.t("Powiąż", "Link")) }
                }
            }
            h2 id="ro-edycja" { (l.t("Zmień dane reorganizacji", "Change the reorganisation's details")) }
            (summary(l, &e.errors, "ro-bledy"))
            form.ro method="post" action=(l.href(&path)) {
                (csrf_input(&e.csrf))
                (reorg_fields(l, &e.form, &e.errors, false, &e.choices))
                button type="submit" { (l.t("Zapisz zmiany", "Save the changes")) }
            }
        }
    };
    (title, body)
}

/// `/jst/{code}/instytucje`.
pub fn institutions_html(
    l: L,
    unit_code: &str,
    unit_name: &str,
    list: &[reorg::InstitutionRow],
    editing: Option<(&str, &(String, String), &[FieldError])>,
    notice: Option<&str>,
) -> (String, Markup) {
    let title = format!("{} — {}", l.t("Instytucje", "Institutions"), unit_name);
    let body = html! {
        (style())
        p { a href=(l.href(&format!("/jst/{unit_code}"))) { (unit_name) } }
        h1 { (title) }
        p { (l.t("Szkoły, przedszkola, żłobki, ośrodki i domy pomocy społecznej, centrum usług wspólnych: instytucje JST, które mogą brać udział w reorganizacjach. Ich etaty i koszty zbierają formularze ankiet.",
                 "Schools, kindergartens, nurseries, social-assistance centres and care homes, the shared-services centre: the unit's institutions that reorganisations may involve. Their staff and costs are collected through the questionnaires.")) }
        @if let Some(n) = notice { p.ro-notice role="status" { (n) } }
        @if list.is_empty() {
            p.box { (l.t("Nie dodano jeszcze instytucji.", "No institutions yet.")) }
        } @else {
            table {
                caption { (l.t("Instytucje JST", "The unit's institutions")) }
                thead { tr { th scope="col" { (l.t("Nazwa", "Name")) } th scope="col" { (l.t("Rodzaj", "Kind")) } } }
                tbody { @for i in list { tr { th scope="row" { (i.name) } td { (institution_kind(l, &i.kind)) } } } }
            }
        }
        @if let Some((csrf, typed, errors)) = editing {
            h2 { (l.t("Dodaj instytucję", "Add an institution")) }
            (summary(l, errors, "ro-bledy"))
            form.ro method="post" action=(l.href(&format!("/jst/{unit_code}/instytucje"))) {
                (csrf_input(csrf))
                @let kind = reorg::parse_institution_kind(&typed.0).unwrap_or("");
                @let err = errors.iter().find(|e| e.field == "rodzaj");
                p {
                    label for="ro-rodzaj" { (l.t("Rodzaj", "Kind")) }
                    @if let Some(e) = err { span.err id="ro-rodzaj-err" { (l.t(&e.pl, &e.en)) } }
                    select id="ro-rodzaj" name="rodzaj" aria-invalid=[err.map(|_| "true")] aria-describedby=[err.map(|_| "ro-rodzaj-err")] {
                        option value="" selected[kind.is_empty()] { (l.t("— wybierz —", "— choose —")) }
                        @for (code, pl, en) in reorg::INSTITUTION_KINDS { option value=(code) selected[kind == code] { (l.t(pl, en)) } }
                    }
                }
                (field(l, errors, "nazwa", ("Nazwa", "Name"), None, &typed.1, "text"))
                button type="submit" { (l.t("Dodaj instytucję", "Add the institution")) }
            }
        }
        p { a href=(l.href("/reorganizacje")) { (l.t("Rejestr reorganizacji", "The register of reorganisations")) } }
    };
    (title, body)
}

// ---------------------------------------------------------------------------------------
// Handlers.

/// Status messages after a POST (`komunikat`).
fn notice(l: L, uri: &Uri) -> Option<&'static str> {
    let code = uri.query()?.split('&').find_map(|kv| kv.strip_prefix("komunikat="))?;
    Some(match code {
        "zapisano" => l.t("Zapisano.", "Saved."),
        "dodano-etap" => l.t("Dodano etap.", "The milestone is added."),
        "zmieniono-etap" => l.t("Zmieniono etap.", "The milestone is changed."),
        "powiazano" => l.t("Powiązano instytucję.", "The institution is linked."),
        "dodano-instytucje" => l.t("Dodano instytucję.", "The institution is added."),
        _ => return None,
    })
}

fn see_other(l: L, path: &str, notice: &str) -> Response {
    let to = l.href(&format!("{path}?komunikat={notice}"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/reorganizacje")))]).into_response()
}

fn form_pairs(form: Result<Form<Vec<(String, String)>>, FormRejection>) -> Vec<(String, String)> {
    form.map(|Form(p)| p).unwrap_or_default()
}

fn reorg_id(path: Result<Path<String>, PathRejection>) -> Result<i64, WebError> {
    path.ok().and_then(|Path(id)| id.parse::<i64>().ok()).filter(|&id| id > 0).ok_or(WebError::NotFound)
}

async fn load(state: &AppState, id: i64) -> Result<ReorganisationDetail, WebError> {
    reorg::detail(&state.store, id).await.map_err(WebError::from)?.ok_or(WebError::NotFound)
}

/// `GET /reorganizacje`.
async fn list_page(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri) -> Response {
    let l = ctx.lang;
    match reorg::list(&state.store).await {
        Ok(list) => {
            let can_add = ctx.user.as_ref().is_some_and(|u| u.can_any(Action::Plan));
            let (title, body) = list_html(l, &list, can_add, notice(l, &uri));
            respond(&ctx, StatusCode::OK, &title, body)
        }
        Err(e) => ctx.error(e.into()),
    }
}

/// `GET /reorganizacje/nowa`: for those who may plan for some unit.
async fn new_get(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let l = ctx.lang;
    if let Err(e) = ctx.require_any(Action::Plan) {
        return ctx.error(e);
    }
    let Some(p) = state.portal().await else { return ctx.error(WebError::NotFound) };
    // A user of one unit gets it filled in.
    let mut f = ReorgForm::default();
    if let Some(app::accounts::Scope::Units(units)) = ctx.user.as_ref().map(|u| u.scope(Action::Plan))
        && let [only] = units.as_slice()
        && let Some(u) = p.c.unit_ids.iter().position(|id| id == only)
    {
        f.jst = p.c.codes[u].as_str().to_owned();
    }
    let (title, body) = new_html(l, &ctx.csrf, &f, &[], &indicator_choices(l, &p));
    respond(&ctx, StatusCode::OK, &title, body)
}

/// `POST /reorganizacje/nowa`.
async fn new_post(State(state): State<Arc<AppState>>, ctx: Ctx, form: Result<Form<Vec<(String, String)>>, FormRejection>) -> Response {
    let l = ctx.lang;
    let pairs = form_pairs(form);
    if let Err(e) = ctx.check_csrf(pick(&pairs, "csrf")) {
        return ctx.error(e);
    }
    if let Err(e) = ctx.require_any(Action::Plan) {
        return ctx.error(e);
    }
    let Some(p) = state.portal().await else { return ctx.error(WebError::NotFound) };
    let f = ReorgForm::from_pairs(&pairs);
    let choices = indicator_choices(l, &p);
    let again = |errors: Vec<FieldError>| {
        let (title, body) = new_html(l, &ctx.csrf, &f, &errors, &choices);
        respond(&ctx, StatusCode::BAD_REQUEST, &title, body)
    };
    let unit_id = match reorg::unit_id(&state.store, &f.jst).await {
        Ok(id) => id,
        Err(app::AppError::Busy) => return ctx.error(WebError::Busy),
        Err(e @ (app::AppError::Invalid(_) | app::AppError::UnknownUnit { .. })) => {
            let (pl, en) = match &e {
                app::AppError::UnknownUnit { code } => (format!("{code}: nie ma takiej jednostki"), format!("{code}: no such unit")),
                _ if f.jst.is_empty() => ("podaj kod TERYT jednostki".to_owned(), "give the unit's TERYT code".to_owned()),
                _ => (format!("„{}”: kod TERYT ma 2, 4 albo 7 cyfr", f.jst.chars().take(40).collect::<String>()), e.to_string()),
            };
            return again(vec![FieldError { field: "jst".into(), pl, en }]);
        }
        Err(e) => return ctx.error(e.into()),
    };
    let user = match ctx.require(Action::Plan, unit_id) {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    let fields = match reorg::check(&p.c, unit_id, &f.input) {
        Ok(fields) => fields,
        Err(problems) => return again(field_errors(&problems, &FIELDS)),
    };
    match reorg::save_fields(&state.store, None, &fields, &user.actor(ctx.address.clone())).await {
        Ok(id) => see_other(l, &format!("/reorganizacje/{id}"), "zapisano"),
        Err(app::AppError::Invalid(m)) => again(vec![FieldError { field: "tytul".into(), pl: m.clone(), en: m }]),
        Err(e) => ctx.error(e.into()),
    }
}

/// The per-indicator summaries of a reorganisation's re-evaluation.
async fn eval_lines(state: &AppState, p: &Portal, l: L, d: &ReorganisationDetail) -> Result<Vec<EvalLine>, WebError> {
    let results = reorg::evaluate_reorganisation(&state.store, &p.c, d.row.id).await.map_err(WebError::from)?;
    Ok(results
        .into_iter()
        .map(|(code, r)| {
            let req = reorg::request(&d.row, &d.unit_code, &code);
            let link = format!("{}?{}", crate::evaluate::PATH, EvalForm::of_request(&req).query());
            let name =
                p.c.snapshot.indicator_index(&code).map(|i| crate::common::indicator_name(l, &p.c, i).to_owned()).unwrap_or_else(|| code.clone());
            let outcome = match r {
                Ok(e) => {
                    let v = crate::evaluate::EvalView::of(l, &e, &req);
                    Ok(EvalSummary {
                        judgement: v.judgement,
                        unit_change: v.unit_change,
                        peers_change: v.peers_change,
                        estimate: v.estimate,
                        interval: v.interval,
                        n_peers: v.n_peers,
                        decimals: v.decimals,
                    })
                }
                Err(e) => Err(l.describe(&e)),
            };
            EvalLine { code, name, link, outcome }
        })
        .collect())
}

/// The detail page, with the planner's forms when the user may plan for the unit; `edit`
/// changes them (a refused form shown again).
async fn detail_response(state: &AppState, ctx: &Ctx, uri: &Uri, id: i64, status: StatusCode, edit: impl FnOnce(&mut Editing)) -> Response {
    let l = ctx.lang;
    let d = match load(state, id).await {
        Ok(d) => d,
        Err(e) => return ctx.error(e),
    };
    let Some(p) = state.portal().await else { return ctx.error(WebError::NotFound) };
    let evals = match eval_lines(state, &p, l, &d).await {
        Ok(e) => e,
        Err(e) => return ctx.error(e),
    };
    let planner = ctx.user.as_ref().is_some_and(|u| u.can(Action::Plan, d.row.fields.unit_id));
    let editing = planner.then(|| {
        let mut e = Editing {
            csrf: ctx.csrf.clone(),
            form: ReorgForm { jst: d.unit_code.clone(), input: ReorganisationInput::from_fields(&d.row.fields) },
            errors: Vec::new(),
            milestone_errors: Vec::new(),
            milestone: Default::default(),
            link_errors: Vec::new(),
            choices: indicator_choices(l, &p),
        };
        edit(&mut e);
        e
    });
    let (title, body) = detail_html(l, &d, &evals, editing.as_ref(), notice(l, uri));
    respond(ctx, status, &title, body)
}

/// `GET /reorganizacje/{id}`.
async fn detail_get(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri, path: Result<Path<String>, PathRejection>) -> Response {
    match reorg_id(path) {
        Ok(id) => detail_response(&state, &ctx, &uri, id, StatusCode::OK, |_| {}).await,
        Err(e) => ctx.error(e),
    }
}

/// The CSRF check, the reorganisation and `Action::Plan` on its unit, in this order.
async fn writable(
    state: &AppState,
    ctx: &Ctx,
    pairs: &[(String, String)],
    id: Result<i64, WebError>,
) -> Result<(ReorganisationDetail, app::accounts::Actor), WebError> {
    ctx.check_csrf(pick(pairs, "csrf"))?;
    let id = id?;
    let d = load(state, id).await?;
    let user = ctx.require(Action::Plan, d.row.fields.unit_id)?;
    Ok((d, user.actor(ctx.address.clone())))
}

/// `POST /reorganizacje/{id}`: the edit form.
async fn edit_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: Uri,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = form_pairs(form);
    let (d, actor) = match writable(&state, &ctx, &pairs, reorg_id(path)).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    let id = d.row.id;
    let Some(p) = state.portal().await else { return ctx.error(WebError::NotFound) };
    let mut f = ReorgForm::from_pairs(&pairs);
    f.jst = d.unit_code.clone();
    match reorg::check(&p.c, d.row.fields.unit_id, &f.input) {
        Ok(fields) => match reorg::save_fields(&state.store, Some(id), &fields, &actor).await {
            Ok(_) => see_other(l, &format!("/reorganizacje/{id}"), "zapisano"),
            Err(e) => ctx.error(e.into()),
        },
        Err(problems) => {
            let errors = field_errors(&problems, &FIELDS);
            detail_response(&state, &ctx, &uri, id, StatusCode::BAD_REQUEST, move |e| {
                e.form = f;
                e.errors = errors;
            })
            .await
        }
    }
}

/// `POST /reorganizacje/{id}/etapy`: a new milestone (`data`, `nazwa`, `wykonany`).
async fn milestone_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: Uri,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = form_pairs(form);
    let (d, actor) = match writable(&state, &ctx, &pairs, reorg_id(path)).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    let id = d.row.id;
    let (date, name, done) = (pick(&pairs, "data"), pick(&pairs, "nazwa"), pick(&pairs, "wykonany") == "1");
    if let Err(problems) = reorg::check_milestone(date, name) {
        let errors = field_errors(&problems, &[("data", "on_date"), ("nazwa", "title")]);
        let typed = (date.to_owned(), name.to_owned());
        return detail_response(&state, &ctx, &uri, id, StatusCode::BAD_REQUEST, move |e| {
            e.milestone_errors = errors;
            e.milestone = typed;
        })
        .await;
    }
    match reorg::add_milestone(&state.store, id, date, name, done, &actor).await {
        Ok(_) => see_other(l, &format!("/reorganizacje/{id}"), "dodano-etap"),
        Err(e) => ctx.error(e.into()),
    }
}

/// `POST /reorganizacje/{id}/etapy/{mid}`: `wykonany` = 1 or 0.
async fn milestone_done_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = form_pairs(form);
    let ids = path.ok().and_then(|Path((a, b))| Some((a.parse::<i64>().ok()?, b.parse::<i64>().ok()?)));
    let (d, actor) = match writable(&state, &ctx, &pairs, ids.map(|(a, _)| a).ok_or(WebError::NotFound)).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    let Some((id, mid)) = ids else { return ctx.error(WebError::NotFound) };
    let done = match pick(&pairs, "wykonany") {
        "1" => true,
        "0" => false,
        _ => return ctx.error(WebError::BadRequest("wykonany: 1 albo 0 / 1 or 0".into())),
    };
    match reorg::set_milestone_done(&state.store, d.row.id, mid, done, &actor).await {
        Ok(()) => see_other(l, &format!("/reorganizacje/{id}"), "zmieniono-etap"),
        Err(e) => ctx.error(e.into()),
    }
}

/// `POST /reorganizacje/{id}/instytucje`: link `instytucja` (an institution of the same unit).
async fn link_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: Uri,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = form_pairs(form);
    let (d, actor) = match writable(&state, &ctx, &pairs, reorg_id(path)).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    let id = d.row.id;
    let refused = |pl: &str, en: &str| vec![FieldError { field: "instytucja".into(), pl: pl.to_owned(), en: en.to_owned() }];
    let Some(inst) = pick(&pairs, "instytucja").parse::<i64>().ok().filter(|i| d.unit_institutions.iter().any(|x| x.id == *i)) else {
        let errors = refused("wybierz instytucję tej JST z listy", "choose an institution of this unit from the list");
        return detail_response(&state, &ctx, &uri, id, StatusCode::BAD_REQUEST, move |e| e.link_errors = errors).await;
    };
    match reorg::link_institution(&state.store, id, inst, &actor).await {
        Ok(()) => see_other(l, &format!("/reorganizacje/{id}"), "powiazano"),
        Err(e) => ctx.error(e.into()),
    }
}

/// The unit of `/jst/{code}/…`: (id, code, name); 404 for an unknown one.
async fn unit_of(state: &AppState, path: Result<Path<String>, PathRejection>) -> Result<(i64, String, String), WebError> {
    let Ok(Path(raw)) = path else { return Err(WebError::NotFound) };
    let code = TerytCode::parse_lenient(&raw).map_err(|_| WebError::NotFound)?;
    let id = state.store.unit_id_for_code(&code).await.map_err(WebError::from)?.ok_or(WebError::NotFound)?;
    let name = match state.portal().await {
        Some(p) => p.c.unit_ids.iter().position(|x| *x == id).map(|u| p.c.names[u].clone()),
        None => None,
    };
    Ok((id, code.as_str().to_owned(), name.unwrap_or_else(|| code.as_str().to_owned())))
}

/// `GET /jst/{code}/instytucje`.
async fn institutions_get(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri, path: Result<Path<String>, PathRejection>) -> Response {
    let l = ctx.lang;
    let (id, code, name) = match unit_of(&state, path).await {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    let list = match reorg::institutions(&state.store, id).await {
        Ok(list) => list,
        Err(e) => return ctx.error(e.into()),
    };
    let planner = ctx.user.as_ref().is_some_and(|u| u.can(Action::Plan, id));
    let typed = (String::new(), String::new());
    let editing = planner.then_some((ctx.csrf.as_str(), &typed, &[][..]));
    let (title, body) = institutions_html(l, &code, &name, &list, editing, notice(l, &uri));
    respond(&ctx, StatusCode::OK, &title, body)
}

/// `POST /jst/{code}/instytucje`: `rodzaj`, `nazwa`.
async fn institutions_post(
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
    let (id, code, name) = match unit_of(&state, path).await {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    let user = match ctx.require(Action::Plan, id) {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    let (kind, title) = (pick(&pairs, "rodzaj"), pick(&pairs, "nazwa"));
    if let Err(problems) = reorg::check_institution(kind, title) {
        let errors = field_errors(&problems, &[("rodzaj", "kind"), ("nazwa", "name")]);
        let list = match reorg::institutions(&state.store, id).await {
            Ok(list) => list,
            Err(e) => return ctx.error(e.into()),
        };
        let typed = (kind.to_owned(), title.to_owned());
        let (t, body) = institutions_html(l, &code, &name, &list, Some((&ctx.csrf, &typed, &errors)), None);
        return respond(&ctx, StatusCode::BAD_REQUEST, &t, body);
    }
    match reorg::add_institution(&state.store, id, kind, title, &user.actor(ctx.address.clone())).await {
        Ok(_) => see_other(l, &format!("/jst/{code}/instytucje"), "dodano-instytucje"),
        Err(e) => ctx.error(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// The API.

/// A reorganisation of the register.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReorganisationDto {
    pub id: i64,
    /// TERYT code of the unit.
    pub unit: String,
    pub unit_name: String,
    /// cuw, pomoc_spoleczna, siec_szkol or inna.
    pub kind: String,
    pub kind_pl: String,
    pub kind_en: String,
    pub title: String,
    pub description: Option<String>,
    /// YYYY-MM-DD.
    pub start_date: String,
    pub end_date: Option<String>,
    /// zł.
    pub project_value: Option<f64>,
    /// The share of the project value from outside funds, 0 to 1.
    pub funding_share: Option<f64>,
    pub funding_source: Option<String>,
    /// The indicators re-evaluated (see `/api/v1/evaluation`).
    pub indicators: Vec<String>,
    pub updated_at: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReorganisationsParams {
    /// Only the reorganisations of this unit.
    #[param(value_type = Option<String>, pattern = "@teryt")]
    unit: Option<String>,
    /// Only reorganisations of this kind.
    #[param(value_type = Option<crate::evaluate::ReorganisationKind>, inline)]
    kind: Option<String>,
}

/// The register of reorganisations, newest start first.
#[utoipa::path(get, path = "/api/v1/reorganisations", tag = "data", params(ReorganisationsParams),
    responses((status = 200, description = "Reorganizacje / Reorganisations", body = Vec<ReorganisationDto>), (status = 400, description = "Zły parametr / Bad parameter", body = ApiErrorBody)))]
pub(crate) async fn reorganisations(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    q: Result<Query<ReorganisationsParams>, QueryRejection>,
) -> Response {
    let q = match api_params(q) {
        Ok(q) => q,
        Err(r) => return r.into_response(),
    };
    let unit = match q.unit.as_deref() {
        None => None,
        Some(s) if s.is_empty() || !s.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            return ApiError::bad("unit", "a TERYT code is PL or 2, 4 or 7 digits").into_response();
        }
        Some(s) => match TerytCode::parse_lenient(s) {
            Ok(c) => Some(c.as_str().to_owned()),
            Err(e) => return ApiError::bad("unit", format!("`{}`: {e}", s.chars().take(40).collect::<String>())).into_response(),
        },
    };
    if let Some(k) = q.kind.as_deref()
        && !reorg::KINDS.iter().any(|(c, _, _)| *c == k)
    {
        let codes: Vec<&str> = reorg::KINDS.iter().map(|k| k.0).collect();
        return ApiError::bad("kind", format!("`{}`: one of {}", k.chars().take(40).collect::<String>(), codes.join(", "))).into_response();
    }
    match reorg::list(&state.store).await {
        Ok(list) => {
            let items: Vec<ReorganisationDto> = list
                .into_iter()
                .filter(|r| unit.as_deref().is_none_or(|u| r.unit_code == u))
                .filter(|r| q.kind.as_deref().is_none_or(|k| r.row.fields.kind == k))
                .map(|r| {
                    let (kind_pl, kind_en) = reorg::kind_words(&r.row.fields.kind);
                    let (kind_pl, kind_en) = (kind_pl.to_owned(), kind_en.to_owned());
                    let f = r.row.fields;
                    ReorganisationDto {
                        id: r.row.id,
                        unit: r.unit_code,
                        unit_name: r.unit_name,
                        kind: f.kind,
                        kind_pl,
                        kind_en,
                        title: f.title,
                        description: f.description,
                        start_date: f.start_date,
                        end_date: f.end_date,
                        project_value: f.project_value,
                        funding_share: f.funding_share,
                        funding_source: f.funding_source,
                        indicators: f.indicators,
                        updated_at: r.row.updated_at,
                    }
                })
                .collect();
            json_answer(&headers, &items)
        }
        Err(e) => api_app_error("unit", e),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    fn detail() -> ReorganisationDetail {
        ReorganisationDetail {
            row: reorg::ReorganisationRow {
                id: 7,
                fields: reorg::ReorganisationFields {
                    unit_id: 1,
                    kind: "pomoc_spoleczna".into(),
                    title: "Reorganizacja GOPS".into(),
                    description: Some("Oddzielenie pracy socjalnej od administracji.".into()),
                    start_date: "2019-01-01".into(),
                    end_date: Some("2020-12-31".into()),
                    project_value: Some(1_200_000.0),
                    funding_share: Some(0.85),
                    funding_source: Some("EFS".into()),
                    indicators: vec!["X_01".into()],
                },
                updated_at: "2024-05-01T10:00:00Z".into(),
                updated_by: "user:a".into(),
            },
            unit_code: "0201022".into(),
            unit_name: "Bolesławiec".into(),
            milestones: vec![reorg::MilestoneRow {
                id: 3,
                reorganisation_id: 7,
                on_date: "2019-03-01".into(),
                title: "Punkt pierwszego kontaktu".into(),
                done: true,
            }],
            institutions: vec![],
            unit_institutions: vec![reorg::InstitutionRow { id: 5, unit_id: 1, kind: "ops".into(), name: "GOPS".into() }],
        }
    }

    #[test]
    fn the_page_shows_the_register_entry_and_forms_only_to_planners() {
        let d = detail();
        let (_, public) = detail_html(L::PL, &d, &[], None, None);
        let html = public.into_string();
        assert!(html.contains("reorganizacja pomocy społecznej"));
        assert!(html.contains("1\u{a0}200\u{a0}000 zł"));
        assert!(html.contains("85 %"));
        assert!(html.contains("✓ wykonany"));
        assert!(!html.contains("<form"), "no forms for a reader");
        let editing = Editing {
            csrf: "t0k3n".into(),
            form: ReorgForm { jst: d.unit_code.clone(), input: ReorganisationInput::from_fields(&d.row.fields) },
            errors: vec![],
            milestone_errors: vec![],
            milestone: Default::default(),
            link_errors: vec![],
            choices: vec![("Pomoc".into(), vec![("X_01".into(), "Udział pracy socjalnej".into())])],
        };
        let (_, planner) = detail_html(L { en: true }, &d, &[], Some(&editing), None);
        let html = planner.into_string();
        assert_eq!(html.matches("name=\"csrf\" value=\"t0k3n\"").count(), 4, "toggle, milestone, link and edit forms");
        assert!(html.contains("Mark as not done"));
        assert!(html.contains("<option value=\"X_01\" selected>"), "the chosen indicator stays chosen");
        assert!(html.contains("<option value=\"5\">GOPS"), "an unlinked institution of the unit may be linked");
    }

    #[test]
    fn problems_land_on_the_forms_fields() {
        let p = [Problem { field: "start_date", pl: "zła data".into(), en: "bad date".into() }];
        let e = field_errors(&p, &FIELDS);
        assert_eq!(e[0].field, "poczatek");
        let (_, body) = new_html(L::PL, "t", &ReorgForm::default(), &e, &[]);
        let html = body.into_string();
        assert!(html.contains("href=\"#ro-poczatek\""));
        assert!(html.contains("id=\"ro-poczatek-err\""));
        assert!(html.contains("aria-describedby=\"ro-poczatek-help ro-poczatek-err\""));
    }

    #[test]
    fn a_form_reads_every_chosen_indicator() {
        let pairs: Vec<(String, String)> =
            [("jst", " 0201022 "), ("rodzaj", "cuw"), ("wskazniki", "A"), ("wskazniki", "B"), ("dofinansowanie", "85")]
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
        let f = ReorgForm::from_pairs(&pairs);
        assert_eq!(f.jst, "0201022");
        assert_eq!(f.input.indicators, ["A", "B"]);
        assert_eq!(f.input.funding_share, "85");
    }
}
