//! The pages people work in during a data collection (issue 17): their campaigns
//! (`/ankiety`), a campaign's dashboard and its CSV, a unit's data-entry page with the
//! accessible error summary, the XLSX template and upload, verification and the verifier's
//! queue. Server-rendered, no JavaScript needed, Polish by default and English with
//! `?lang=en`; every form carries the session's CSRF token and every answer is
//! `Cache-Control: private, no-store`. The markup is pure functions of the view structs
//! below; the handlers only fetch, check rights and convert.

use std::sync::Arc;

use app::accounts::{Action, CurrentUser, Role};
use app::campaigns::{self as camp, CampaignError};
use app::form_check::{Entry, Finding, Severity};
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, PreEscaped, html};
use model::TerytCode;

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::i18n::L;

// ---------------------------------------------------------------------------------------
// View structs: what a page shows, already checked and fetched.

/// A unit's submission state as the pages word it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitState {
    /// No submission yet.
    NotStarted,
    Draft,
    Submitted,
    Returned,
    Approved,
    /// Approved and made observations (the campaign's publication date has passed).
    Published,
}

impl UnitState {
    pub fn words(self, l: L) -> &'static str {
        match self {
            UnitState::NotStarted => l.t("nie rozpoczęto", "not started"),
            UnitState::Draft => l.t("wersja robocza", "draft"),
            UnitState::Submitted => l.t("wysłano do weryfikacji", "submitted for verification"),
            UnitState::Returned => l.t("zwrócono do poprawy", "returned for correction"),
            UnitState::Approved => l.t("zatwierdzono (jeszcze nie opublikowano)", "approved (not yet published)"),
            UnitState::Published => l.t("zatwierdzono i opublikowano", "approved and published"),
        }
    }

    /// Whether the unit has sent its data in (submitted, approved or published).
    pub fn sent(self) -> bool {
        matches!(self, UnitState::Submitted | UnitState::Approved | UnitState::Published)
    }
}

/// A campaign as every page heads it.
#[derive(Debug, Clone)]
pub struct CampaignHead {
    pub id: i64,
    pub name: String,
    pub year: i64,
    /// `YYYY-MM-DD`, the last day to submit.
    pub deadline: String,
    /// `YYYY-MM-DD`, the day approved values become public.
    pub publish_on: String,
    pub form_title_pl: String,
    pub form_title_en: String,
}

impl CampaignHead {
    fn form_title(&self, l: L) -> &str {
        l.t(&self.form_title_pl, &self.form_title_en)
    }

    fn path(&self) -> String {
        format!("/ankiety/{}", self.id)
    }
}

/// One unit of a campaign on a list.
#[derive(Debug, Clone)]
pub struct UnitLine {
    pub code: String,
    pub name: String,
    pub state: UnitState,
    /// Past the deadline and not sent in.
    pub late: bool,
}

/// A campaign on `/ankiety`: the units the user acts on and whether the dashboard is open
/// to them.
#[derive(Debug, Clone)]
pub struct ListItem {
    pub head: CampaignHead,
    pub units: Vec<UnitLine>,
    /// Units of the campaign the list leaves out (an administrator's long list is cut).
    pub more_units: usize,
    pub dashboard: bool,
}

/// One row of a campaign's dashboard.
#[derive(Debug, Clone)]
pub struct DashRow {
    pub unit: UnitLine,
    /// `YYYY-MM-DD HH:MM` (UTC) or empty.
    pub updated_at: String,
    pub updated_by: String,
}

/// One submission in the verifier's queue.
#[derive(Debug, Clone)]
pub struct QueueRow {
    pub campaign_id: i64,
    pub campaign_name: String,
    pub code: String,
    pub name: String,
    pub submitted_at: String,
    pub warnings: usize,
}

/// A finding of the validation, anchored to a field (or to the upload: field `plik`).
#[derive(Debug, Clone)]
pub struct FindingView {
    pub field: String,
    pub error: bool,
    pub message_pl: String,
    pub message_en: String,
    pub needs_comment: bool,
    pub resolved: bool,
}

impl FindingView {
    fn message(&self, l: L) -> &str {
        l.t(&self.message_pl, &self.message_en)
    }
}

/// A field of the form with what the page shows beside it.
#[derive(Debug, Clone)]
pub struct FieldView {
    pub variable: String,
    pub label_pl: String,
    pub label_en: String,
    pub help_pl: String,
    pub help_en: String,
    pub measure_unit: String,
    pub required: bool,
    pub last_year: Option<f64>,
    pub peer_median: Option<f64>,
    /// The value as the input shows it: what was typed, or the saved number.
    pub text: String,
    /// The saved value, for the read-only views.
    pub value: Option<f64>,
    pub comment: String,
}

impl FieldView {
    fn label(&self, l: L) -> &str {
        l.t(&self.label_pl, &self.label_en)
    }
}

/// What the data-entry page lets its user do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Data entry or approver of the unit while the submission is open.
    Edit,
    /// A verifier (or an administrator) of a submitted unit.
    Verify,
    /// Everyone else allowed to read, and every sent submission for its own staff.
    Read,
}

/// A short message after a successful POST (the `komunikat` parameter of the redirect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Saved,
    Submitted,
    Withdrawn,
    Approved,
    Returned,
    Uploaded,
    Created,
}

impl Notice {
    pub fn param(self) -> &'static str {
        match self {
            Notice::Saved => "zapisano",
            Notice::Submitted => "wyslano",
            Notice::Withdrawn => "wycofano",
            Notice::Approved => "zatwierdzono",
            Notice::Returned => "zwrocono",
            Notice::Uploaded => "wczytano",
            Notice::Created => "utworzono",
        }
    }

    pub fn parse(s: &str) -> Option<Notice> {
        [Notice::Saved, Notice::Submitted, Notice::Withdrawn, Notice::Approved, Notice::Returned, Notice::Uploaded, Notice::Created]
            .into_iter()
            .find(|n| n.param() == s)
    }

    fn words(self, l: L) -> &'static str {
        match self {
            Notice::Saved => l.t("Zapisano wersję roboczą.", "The draft is saved."),
            Notice::Submitted => l.t("Wysłano do weryfikacji. Dziękujemy!", "Submitted for verification. Thank you!"),
            Notice::Withdrawn => {
                l.t("Wycofano z weryfikacji: można znów poprawiać dane.", "Withdrawn from verification: the data can be corrected again.")
            }
            Notice::Approved => l.t(
                "Zatwierdzono. Dane zostaną opublikowane w dniu publikacji kampanii.",
                "Approved. The data will be published on the campaign's publication date.",
            ),
            Notice::Returned => l.t("Zwrócono jednostce z komentarzem.", "Returned to the unit with a comment."),
            Notice::Uploaded => l.t(
                "Wczytano plik i zapisano wersję roboczą. Sprawdź uwagi poniżej.",
                "The file is read and saved as a draft. Check the notes below.",
            ),
            Notice::Created => l.t("Utworzono kampanię.", "The campaign is created."),
        }
    }
}

/// The data-entry page of one unit.
#[derive(Debug, Clone)]
pub struct EntryPage {
    pub head: CampaignHead,
    pub unit_code: String,
    pub unit_name: String,
    pub state: UnitState,
    pub late: bool,
    /// The verifier's comment of a returned submission.
    pub return_comment: Option<String>,
    pub mode: Mode,
    /// An approver (or administrator) of the unit, while the submission waits for verification.
    pub can_withdraw: bool,
    /// The unit's staff may upload a file (the page is editable).
    pub description_pl: String,
    pub description_en: String,
    pub fields: Vec<FieldView>,
    pub findings: Vec<FindingView>,
    pub notice: Option<Notice>,
    /// The page answers a refused POST: the summary takes the focus.
    pub after_post: bool,
    /// What a refused verification said (comment missing…), PL and EN.
    pub verify_error: Option<(String, String)>,
    /// The comment typed into a refused verification form.
    pub verify_comment: String,
    /// What the median beside each field is taken over (PL, EN).
    pub peer_label: (String, String),
    /// A refusal that is not about a field (someone else changed the submission…), PL and EN.
    pub problem: Option<(String, String)>,
    pub csrf: String,
}

impl EntryPage {
    fn path(&self) -> String {
        format!("/ankiety/{}/jst/{}", self.head.id, self.unit_code)
    }
}

/// The administrator's new-campaign form, as sent (or empty).
#[derive(Debug, Clone, Default)]
pub struct NewCampaignForm {
    pub name: String,
    pub year: String,
    pub deadline: String,
    pub publish_on: String,
    pub units: String,
    /// The form definition typed into the text box.
    pub definition: String,
    /// An existing form's code chosen instead of a definition.
    pub form_code: String,
}

/// An error of the new-campaign form: the field (`nazwa`, `rok`, `termin`, `publikacja`,
/// `jednostki`, `definicja`, `formularz`) and what to correct, PL and EN.
#[derive(Debug, Clone)]
pub struct FormError {
    pub field: &'static str,
    pub pl: String,
    pub en: String,
}

/// A form on the new-campaign page's choice of existing forms.
#[derive(Debug, Clone)]
pub struct FormChoice {
    pub code: String,
    pub version: i64,
    pub title: String,
}

// ---------------------------------------------------------------------------------------
// Helpers of the markup.

/// The style the data-collection pages add to the site's (scoped by class names no other
/// page uses).
const CSS: &str = r#"
.ank-summary{border:3px solid #8f2d00;border-radius:4px;padding:.5rem 1rem;margin:1rem 0}
.ank-summary:focus{outline:3px solid #b35c00;outline-offset:2px}
.ank-summary h2{margin:.25rem 0 .5rem;font-size:1.2rem}.ank-summary ul{margin:.25rem 0;padding-left:1.25rem}
.ank-summary .warn-h{margin-top:.75rem}
.ank-notice{border:2px solid #00573f;border-radius:4px;padding:.5rem 1rem;margin:1rem 0}
.ank-comment{border-left:4px solid #8a6d00;background:#fff8e1;padding:.5rem 1rem;margin:1rem 0}
.ank-field{border-top:1px solid #b5b5b5;padding:.75rem 0;display:grid;grid-template-columns:minmax(0,1fr) minmax(0,18rem);gap:.25rem 1.5rem}
.ank-field label.main{font-weight:700;display:block}
.ank-field .help{margin:.15rem 0;font-size:.9rem}
.ank-field .ctx{margin:0;font-size:.9rem;color:#595959}
.ank-field .in{display:flex;flex-wrap:wrap;gap:.25rem .5rem;align-items:center}
.ank-field .in input{width:10rem}
.ank-field .msg{margin:.15rem 0;font-weight:600}
.ank-field .msg.err{color:#8f2d00}.ank-field .msg.warn{color:#6b4e00}
.ank-field[data-invalid] {border-left:4px solid #8f2d00;padding-left:.75rem}
.ank-field textarea{min-height:3rem}
.ank-buttons{display:flex;flex-wrap:wrap;gap:.75rem;margin:1rem 0}
button.secondary{background:#fff;color:#0b3d6e}
@media (max-width:40rem){.ank-field{grid-template-columns:minmax(0,1fr)}.ank-field .in input{width:100%}}
"#;

fn style() -> Markup {
    html! { style { (PreEscaped(CSS)) } }
}

/// An `id` for a field's input: the variable code with anything but ASCII letters, digits,
/// `-` and `_` dropped (catalogue codes are such already).
pub fn field_id(variable: &str) -> String {
    let clean: String = variable.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
    format!("pole-{clean}")
}

/// A number as an input shows it: no grouping, decimal comma in Polish, up to six places.
pub fn input_number(l: L, v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let mut s = format!("{v:.6}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    if s == "-0" {
        s = "0".to_owned();
    }
    if l.en { s } else { s.replace('.', ",") }
}

fn opt_num(l: L, v: Option<f64>) -> String {
    v.filter(|v| v.is_finite()).map(|v| l.num_auto(v)).unwrap_or_else(|| "—".to_owned())
}

fn state_tag(l: L, state: UnitState, late: bool) -> Markup {
    html! {
        span.tag { (state.words(l)) }
        @if late { " " span.tag.bad { (l.t("po terminie", "late")) } }
    }
}

fn csrf_input(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

fn unit_label(code: &str, name: &str) -> String {
    if name.is_empty() { code.to_owned() } else { format!("{name} ({code})") }
}

// ---------------------------------------------------------------------------------------
// Pages.

/// `/ankiety`: the campaigns the user has a role in, with their units.
pub fn list_page(l: L, items: &[ListItem], verifier: bool) -> (String, Markup) {
    let title = l.t("Moje ankiety", "My questionnaires").to_owned();
    let body = html! {
        (style())
        h1 { (title) }
        @if verifier {
            p { a href=(l.href("/weryfikacja")) { (l.t("Kolejka do weryfikacji", "The verification queue")) } }
        }
        @if items.is_empty() {
            p.box role="status" { (l.t("Nie masz teraz żadnej ankiety do wypełnienia ani do przejrzenia.", "You have no questionnaire to fill in or to review just now.")) }
        }
        @for item in items {
            @let h = &item.head;
            section aria-labelledby={ "k" (h.id) } {
                h2 id={ "k" (h.id) } { (h.name) }
                p {
                    (h.form_title(l)) " · " (l.t("dane za rok", "data for")) " " (h.year) " · "
                    (l.t("termin", "deadline")) " " (h.deadline) " · "
                    (l.t("publikacja", "publication")) " " (h.publish_on)
                }
                @if item.dashboard {
                    p { a href=(l.href(&h.path())) { (l.t("Zestawienie kampanii", "The campaign's dashboard")) " — " (h.name) } }
                }
                @if !item.units.is_empty() {
                    ul {
                        @for u in &item.units {
                            li {
                                a href=(l.href(&format!("{}/jst/{}", h.path(), u.code))) { (unit_label(&u.code, &u.name)) }
                                " " (state_tag(l, u.state, u.late))
                            }
                        }
                    }
                }
                @if item.more_units > 0 {
                    p.muted { (l.t("Pozostałe jednostki:", "Other units:")) " " (item.more_units) " — " (l.t("zobacz zestawienie.", "see the dashboard.")) }
                }
            }
        }
    };
    (title, body)
}

/// Counts of a dashboard: (label PL, label EN, count).
pub fn dashboard_counts(rows: &[DashRow]) -> Vec<(&'static str, &'static str, usize)> {
    let n = |f: &dyn Fn(&DashRow) -> bool| rows.iter().filter(|r| f(r)).count();
    vec![
        ("jednostek", "units", rows.len()),
        ("wysłało dane", "submitted", n(&|r| r.unit.state.sent())),
        ("po terminie", "late", n(&|r| r.unit.late)),
        ("zwrócono", "returned", n(&|r| r.unit.state == UnitState::Returned)),
        ("zatwierdzono", "approved", n(&|r| matches!(r.unit.state, UnitState::Approved | UnitState::Published))),
        ("nie rozpoczęło", "not started", n(&|r| r.unit.state == UnitState::NotStarted)),
    ]
}

/// `/ankiety/{id}`: the campaign's dashboard.
pub fn dashboard_page(l: L, head: &CampaignHead, rows: &[DashRow], notice: Option<Notice>) -> (String, Markup) {
    let title = format!("{}: {}", l.t("Zestawienie", "Dashboard"), head.name);
    let csv = format!("{}/zestawienie.csv", head.path());
    let body = html! {
        (style())
        p { a href=(l.href("/ankiety")) { "← " (l.t("Moje ankiety", "My questionnaires")) } }
        h1 { (title) }
        @if let Some(n) = notice { p.ank-notice role="status" { (n.words(l)) } }
        p {
            (head.form_title(l)) " · " (l.t("dane za rok", "data for")) " " (head.year) " · "
            (l.t("termin", "deadline")) " " (head.deadline) " · " (l.t("publikacja", "publication")) " " (head.publish_on)
        }
        ul.facts {
            @for (pl, en, n) in dashboard_counts(rows) {
                li { b { (n) } (l.t(pl, en)) }
            }
        }
        p { a href=(csv) download { (l.t("Pobierz zestawienie (CSV)", "Download the dashboard (CSV)")) } }
        div.scroll tabindex="0" role="region" aria-labelledby="zest-cap" {
            table.stack {
                caption id="zest-cap" { (l.t("Stan ankiety w każdej jednostce", "The questionnaire's state in every unit")) }
                thead { tr {
                    th scope="col" { (l.t("Kod", "Code")) }
                    th scope="col" { (l.t("Jednostka", "Unit")) }
                    th scope="col" { (l.t("Stan", "State")) }
                    th scope="col" { (l.t("Ostatnia zmiana", "Last change")) }
                    th scope="col" { (l.t("Kto", "By")) }
                } }
                tbody {
                    @for r in rows {
                        tr {
                            td data-label=(l.t("Kod", "Code")) { (r.unit.code) }
                            th scope="row" { a href=(l.href(&format!("{}/jst/{}", head.path(), r.unit.code))) { (if r.unit.name.is_empty() { &r.unit.code } else { &r.unit.name }) } }
                            td data-label=(l.t("Stan", "State")) { (state_tag(l, r.unit.state, r.unit.late)) }
                            td data-label=(l.t("Ostatnia zmiana", "Last change")) { (if r.updated_at.is_empty() { "—" } else { &r.updated_at }) }
                            td data-label=(l.t("Kto", "By")) { (if r.updated_by.is_empty() { "—" } else { &r.updated_by }) }
                        }
                    }
                }
            }
        }
    };
    (title, body)
}

/// `/weryfikacja`: submissions waiting for the verifier, oldest first.
pub fn queue_page(l: L, rows: &[QueueRow]) -> (String, Markup) {
    let title = l.t("Kolejka do weryfikacji", "The verification queue").to_owned();
    let body = html! {
        (style())
        p { a href=(l.href("/ankiety")) { "← " (l.t("Moje ankiety", "My questionnaires")) } }
        h1 { (title) }
        @if rows.is_empty() {
            p.box role="status" { (l.t("Nic nie czeka na weryfikację.", "Nothing waits for verification.")) }
        } @else {
            p { (l.count(rows.len(), ["ankieta czeka", "ankiety czekają", "ankiet czeka"], ["questionnaire waits", "questionnaires wait"])) " — " (l.t("najdłużej czekające pierwsze.", "the longest waiting first.")) }
            div.scroll tabindex="0" role="region" aria-labelledby="kolejka-cap" {
                table.stack {
                    caption id="kolejka-cap" { (l.t("Ankiety wysłane do weryfikacji", "Questionnaires submitted for verification")) }
                    thead { tr {
                        th scope="col" { (l.t("Jednostka", "Unit")) }
                        th scope="col" { (l.t("Kampania", "Campaign")) }
                        th scope="col" { (l.t("Wysłano", "Submitted")) }
                        th.num scope="col" { (l.t("Ostrzeżenia", "Warnings")) }
                    } }
                    tbody {
                        @for r in rows {
                            tr {
                                th scope="row" { a href=(l.href(&format!("/ankiety/{}/jst/{}", r.campaign_id, r.code))) { (unit_label(&r.code, &r.name)) } }
                                td data-label=(l.t("Kampania", "Campaign")) { (r.campaign_name) }
                                td data-label=(l.t("Wysłano", "Submitted")) { (r.submitted_at) }
                                td.num data-label=(l.t("Ostrzeżenia", "Warnings")) { (r.warnings) }
                            }
                        }
                    }
                }
            }
        }
    };
    (title, body)
}

/// The anchor a finding links to: its field's input, the upload's file input, or the
/// summary itself for a finding of no known field.
fn finding_anchor(page: &EntryPage, f: &FindingView) -> String {
    if f.field == "plik" {
        return "plik".to_owned();
    }
    if page.fields.iter().any(|x| x.variable == f.field) {
        // A warning that needs a comment leads to the comment box, which is where the
        // reader acts; every other finding to the value.
        if !f.error && f.needs_comment && !f.resolved && page.mode == Mode::Edit {
            return format!("{}-komentarz", field_id(&f.field));
        }
        return field_id(&f.field);
    }
    "podsumowanie".to_owned()
}

/// The error summary: every error and every warning, each a link to its field.
fn summary(l: L, page: &EntryPage) -> Markup {
    let errors: Vec<&FindingView> = page.findings.iter().filter(|f| f.error).collect();
    let warnings: Vec<&FindingView> = page.findings.iter().filter(|f| !f.error).collect();
    if errors.is_empty() && warnings.is_empty() {
        return html! {};
    }
    let heading = if errors.is_empty() { l.t("Sprawdź ostrzeżenia", "Check the warnings") } else { l.t("Popraw błędy", "Correct the errors") };
    html! {
        div.ank-summary id="podsumowanie" tabindex="-1" role=[page.after_post.then_some("alert")] aria-labelledby="podsumowanie-h" autofocus[page.after_post] {
            h2 id="podsumowanie-h" {
                (heading) " ("
                (l.count(errors.len(), ["błąd", "błędy", "błędów"], ["error", "errors"])) ", "
                (l.count(warnings.len(), ["ostrzeżenie", "ostrzeżenia", "ostrzeżeń"], ["warning", "warnings"])) ")"
            }
            @if !errors.is_empty() {
                p { (l.t("Dopóki są błędy, ankiety nie można wysłać (wersję roboczą można zapisać).", "While there are errors the questionnaire cannot be submitted (a draft can be saved).")) }
                ul {
                    @for f in &errors {
                        li { a href={ "#" (finding_anchor(page, f)) } { (f.message(l)) } }
                    }
                }
            }
            @if !warnings.is_empty() {
                p.warn-h { strong { (l.t("Ostrzeżenia", "Warnings")) } " — "
                    (l.t("duża zmiana wobec poprzedniego roku albo nietypowa wartość wymaga wyjaśnienia w komentarzu przy polu.",
                         "a large change against last year or an unusual value needs an explanation in the field's comment.")) }
                ul {
                    @for f in &warnings {
                        li {
                            a href={ "#" (finding_anchor(page, f)) } { (f.message(l)) }
                            @if f.needs_comment {
                                " " @if f.resolved { span.tag.good { (l.t("wyjaśniono", "explained")) } }
                                @else { span.tag.bad { (l.t("potrzebny komentarz", "comment needed")) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One field of the editable form.
fn field_edit(l: L, page: &EntryPage, f: &FieldView) -> Markup {
    let id = field_id(&f.variable);
    let mine: Vec<&FindingView> = page.findings.iter().filter(|x| x.field == f.variable).collect();
    let errors: Vec<&&FindingView> = mine.iter().filter(|x| x.error).collect();
    let warnings: Vec<&&FindingView> = mine.iter().filter(|x| !x.error).collect();
    let help = l.t(&f.help_pl, &f.help_en);
    let mut described = Vec::new();
    if !help.is_empty() {
        described.push(format!("{id}-pomoc"));
    }
    if !f.measure_unit.is_empty() {
        described.push(format!("{id}-jedn"));
    }
    described.push(format!("{id}-kontekst"));
    if !errors.is_empty() {
        described.push(format!("{id}-blad"));
    }
    if !warnings.is_empty() {
        described.push(format!("{id}-ostrz"));
    }
    let needs_comment = warnings.iter().any(|w| w.needs_comment);
    html! {
        div.ank-field data-invalid[!errors.is_empty()] {
            div {
                label.main for=(id) {
                    (f.label(l))
                    @if f.required { " " span.small.muted { (l.t("(wymagane)", "(required)")) } }
                }
                @if !help.is_empty() { p.help id={ (id) "-pomoc" } { (help) } }
                p.ctx id={ (id) "-kontekst" } {
                    (l.t("Rok poprzedni", "Last year")) " (" (page.head.year - 1) "): " (opt_num(l, f.last_year))
                    " · " (l.t("mediana grupy porównawczej", "peer-group median")) ": " (opt_num(l, f.peer_median))
                    @if f.peer_median.is_some() && !page.peer_label.0.is_empty() { " (" (l.t(&page.peer_label.0, &page.peer_label.1)) ")" }
                }
            }
            div {
                @for e in &errors {
                    p.msg.err id={ (id) "-blad" } { span.sr { (l.t("Błąd: ", "Error: ")) } (e.message(l)) }
                }
                @for w in &warnings {
                    p.msg.warn id={ (id) "-ostrz" } { span.sr { (l.t("Ostrzeżenie: ", "Warning: ")) } (w.message(l)) }
                }
                div.in {
                    input id=(id) name={ "w." (f.variable) } type="text" inputmode="decimal" autocomplete="off" spellcheck="false"
                        value=(f.text) aria-describedby=(described.join(" "))
                        aria-invalid=[(!errors.is_empty()).then_some("true")]
                        aria-required=[f.required.then_some("true")];
                    @if !f.measure_unit.is_empty() { span id={ (id) "-jedn" } { (f.measure_unit) } }
                }
                @if needs_comment || !f.comment.is_empty() {
                    p {
                        label for={ (id) "-komentarz" } {
                            @if needs_comment { (l.t("Wyjaśnienie (wymagane przy ostrzeżeniu)", "Explanation (required for a warning)")) }
                            @else { (l.t("Komentarz", "Comment")) }
                        }
                        br;
                        textarea id={ (id) "-komentarz" } name={ "k." (f.variable) } rows="2" maxlength="2000" { (f.comment) }
                    }
                } @else {
                    details {
                        summary { (l.t("Dodaj komentarz", "Add a comment")) span.sr { " — " (f.label(l)) } }
                        p {
                            label for={ (id) "-komentarz" } { (l.t("Komentarz", "Comment")) }
                            br;
                            textarea id={ (id) "-komentarz" } name={ "k." (f.variable) } rows="2" maxlength="2000" { (f.comment) }
                        }
                    }
                }
            }
        }
    }
}

/// The values as a table (read-only and verification views).
fn values_table(l: L, page: &EntryPage) -> Markup {
    html! {
        div.scroll tabindex="0" role="region" aria-labelledby="wartosci-cap" {
            table.stack {
                caption id="wartosci-cap" { (l.t("Wartości ankiety", "The questionnaire's values")) " — " (unit_label(&page.unit_code, &page.unit_name)) ", " (page.head.year) }
                thead { tr {
                    th scope="col" { (l.t("Pole", "Field")) }
                    th.num scope="col" { (l.t("Wartość", "Value")) }
                    th.num scope="col" { (l.t("Rok poprzedni", "Last year")) }
                    th.num scope="col" { (l.t("Mediana grupy", "Peer median")) }
                    th scope="col" { (l.t("Uwagi i komentarz jednostki", "Notes and the unit's comment")) }
                } }
                tbody {
                    @for f in &page.fields {
                        @let id = field_id(&f.variable);
                        @let mine: Vec<&FindingView> = page.findings.iter().filter(|x| x.field == f.variable).collect();
                        tr id=(id) tabindex="-1" {
                            th scope="row" { (f.label(l)) @if !f.measure_unit.is_empty() { " " span.muted.small { "[" (f.measure_unit) "]" } } }
                            td.num data-label=(l.t("Wartość", "Value")) {
                                @match f.value { Some(v) => { (l.num_auto(v)) }, None => { @if f.text.is_empty() { "—" } @else { (f.text) } } }
                            }
                            td.num data-label=(l.t("Rok poprzedni", "Last year")) { (opt_num(l, f.last_year)) }
                            td.num data-label=(l.t("Mediana grupy", "Peer median")) { (opt_num(l, f.peer_median)) }
                            td data-label=(l.t("Uwagi", "Notes")) {
                                @for x in &mine {
                                    p.small { @if x.error { strong.bad { (l.t("Błąd: ", "Error: ")) } } @else { strong { (l.t("Ostrzeżenie: ", "Warning: ")) } } (x.message(l)) }
                                }
                                @if !f.comment.is_empty() { p.small { strong { (l.t("Komentarz jednostki: ", "The unit's comment: ")) } (f.comment) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `/ankiety/{id}/jst/{code}`: data entry, reading, or verification of one unit's answer.
pub fn entry_page(l: L, page: &EntryPage) -> (String, Markup) {
    let has_errors = page.after_post && page.findings.iter().any(|f| f.error) || page.verify_error.is_some();
    let base = format!("{}: {}", page.head.form_title(l), unit_label(&page.unit_code, &page.unit_name));
    let title = if has_errors { format!("{} {base}", l.t("Błąd:", "Error:")) } else { base.clone() };
    let path = page.path();
    let body = html! {
        (style())
        p { a href=(l.href("/ankiety")) { "← " (l.t("Moje ankiety", "My questionnaires")) } }
        h1 { (base) }
        p {
            (page.head.name) " · " (l.t("dane za rok", "data for")) " " (page.head.year) " · "
            (l.t("termin", "deadline")) " " (page.head.deadline) " · "
            (l.t("stan", "state")) ": " (state_tag(l, page.state, page.late))
        }
        @if let Some(n) = page.notice {
            p.ank-notice role="status" { (n.words(l)) }
        }
        @if let Some((pl, en)) = &page.problem {
            div.ank-summary id="problem" role="alert" tabindex="-1" autofocus {
                p { strong { (l.t("Nie wykonano: ", "Not done: ")) } (l.t(pl, en)) }
            }
        }
        @let description = l.t(&page.description_pl, &page.description_en);
        @if !description.is_empty() && page.mode == Mode::Edit { p { (description) } }
        @if let Some(c) = page.return_comment.as_deref().filter(|c| !c.is_empty() && page.state == UnitState::Returned) {
            div.ank-comment {
                h2 { (l.t("Komentarz weryfikatora", "The verifier's comment")) }
                p { (c) }
            }
        }
        (summary(l, page))
        @match page.mode {
            Mode::Edit => { (edit_form(l, page, &path)) }
            Mode::Verify => {
                (values_table(l, page))
                (verify_form(l, page, &path))
            }
            Mode::Read => {
                @if page.state.sent() {
                    p.box role="status" {
                        @match page.state {
                            UnitState::Submitted => { (l.t("Ankieta czeka na weryfikację; do tego czasu nie można jej zmienić.", "The questionnaire waits for verification; until then it cannot be changed.")) }
                            UnitState::Approved => { (l.t("Ankietę zatwierdzono; dane zostaną opublikowane", "The questionnaire is approved; the data will be published on")) " " (page.head.publish_on) "." }
                            _ => { (l.t("Ankietę zatwierdzono i opublikowano.", "The questionnaire is approved and published.")) }
                        }
                    }
                }
                (values_table(l, page))
            }
        }
        @if page.can_withdraw {
            form method="post" action=(l.href(&path)) {
                (csrf_input(&page.csrf))
                p {
                    button.secondary type="submit" name="akcja" value="wycofaj" { (l.t("Wycofaj z weryfikacji", "Withdraw from verification")) }
                    " " span.small.muted { (l.t("(aby poprawić dane przed weryfikacją)", "(to correct the data before verification)")) }
                }
            }
        }
    };
    (title, body)
}

fn edit_form(l: L, page: &EntryPage, path: &str) -> Markup {
    html! {
        form method="post" action=(l.href(path)) novalidate {
            (csrf_input(&page.csrf))
            p.small.muted {
                (l.t("Liczby wpisuj jak zwykle: „1 234,5” albo „1234.5”. Puste pole to brak danych.",
                     "Type numbers as usual: “1 234,5” or “1234.5”. An empty field means no data."))
            }
            @for f in &page.fields { (field_edit(l, page, f)) }
            div.ank-buttons {
                button type="submit" name="akcja" value="zapisz" { (l.t("Zapisz wersję roboczą", "Save draft")) }
                button type="submit" name="akcja" value="wyslij" { (l.t("Wyślij do weryfikacji", "Submit for verification")) }
            }
        }
        section aria-labelledby="xlsx-h" {
            h2 id="xlsx-h" { (l.t("Arkusz XLSX", "XLSX spreadsheet")) }
            p {
                (l.t("Możesz też wypełnić arkusz i wczytać go z powrotem: przejdzie tę samą kontrolę.", "You can also fill in a spreadsheet and upload it back: it goes through the same checks."))
                " " a href=(l.href(&format!("{path}/szablon.xlsx"))) { (l.t("Pobierz arkusz tej jednostki (XLSX)", "Download this unit's spreadsheet (XLSX)")) }
            }
            form method="post" action=(l.href(&format!("{path}/plik"))) enctype="multipart/form-data" {
                (csrf_input(&page.csrf))
                @let err = page.findings.iter().find(|f| f.field == "plik");
                p {
                    label for="plik" { (l.t("Wypełniony arkusz (XLSX, do 8 MB)", "The filled-in spreadsheet (XLSX, up to 8 MB)")) }
                    br;
                    @if let Some(e) = err { span.bad id="plik-blad" { span.sr { (l.t("Błąd: ", "Error: ")) } (e.message(l)) } br; }
                    input id="plik" name="plik" type="file" accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                        aria-invalid=[err.map(|_| "true")] aria-describedby=[err.map(|_| "plik-blad")];
                }
                p { button type="submit" { (l.t("Wczytaj arkusz", "Upload the spreadsheet")) } }
            }
        }
    }
}

fn verify_form(l: L, page: &EntryPage, path: &str) -> Markup {
    if page.state != UnitState::Submitted {
        return html! {};
    }
    let err = page.verify_error.as_ref();
    html! {
        section aria-labelledby="weryf-h" {
            h2 id="weryf-h" { (l.t("Weryfikacja", "Verification")) }
            form method="post" action=(l.href(&format!("{path}/weryfikacja"))) {
                (csrf_input(&page.csrf))
                p {
                    label for="komentarz" { (l.t("Komentarz dla jednostki (wymagany przy zwrocie)", "A comment for the unit (required to return)")) }
                    br;
                    @if let Some((pl, en)) = err { span.bad id="komentarz-blad" { span.sr { (l.t("Błąd: ", "Error: ")) } (l.t(pl, en)) } br; }
                    textarea id="komentarz" name="komentarz" rows="4" maxlength="4000"
                        aria-invalid=[err.map(|_| "true")] aria-describedby=[err.map(|_| "komentarz-blad")]
                        autofocus[err.is_some()] { (page.verify_comment) }
                }
                div.ank-buttons {
                    button type="submit" name="akcja" value="zatwierdz" { (l.t("Zatwierdź", "Approve")) }
                    button.secondary type="submit" name="akcja" value="zwroc" { (l.t("Zwróć z komentarzem", "Return with a comment")) }
                }
            }
        }
    }
}

/// `/admin/ankiety/nowa`: the administrator's form for a new campaign.
pub fn new_campaign_page(l: L, csrf: &str, form: &NewCampaignForm, forms: &[FormChoice], errors: &[FormError], after_post: bool) -> (String, Markup) {
    let base = l.t("Nowa kampania", "New campaign");
    let title = if errors.is_empty() { base.to_owned() } else { format!("{} {base}", l.t("Błąd:", "Error:")) };
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
                span.bad id={ (field) "-blad" } style="white-space:pre-wrap" { span.sr { (l.t("Błąd: ", "Error: ")) } (l.t(&e.pl, &e.en)) }
                br;
            }
        }
    };
    let text_input = |field: &'static str, label: &str, value: &str, kind: &str, help: Option<(&str, String)>| {
        html! {
            p {
                label for=(field) { (label) } br;
                @if let Some((id, text)) = &help { span.small.muted id=(id) { (text) } br; }
                (message(field))
                input id=(field) name=(field) type=(kind) value=(value)
                    aria-invalid=[err(field).map(|_| "true")] aria-describedby=[described(field, help.as_ref().map(|h| h.0))];
            }
        }
    };
    let body = html! {
        (style())
        h1 { (base) }
        @if !errors.is_empty() {
            div.ank-summary id="podsumowanie" tabindex="-1" role=[after_post.then_some("alert")] aria-labelledby="podsumowanie-h" autofocus[after_post] {
                h2 id="podsumowanie-h" { (l.t("Popraw błędy", "Correct the errors")) " (" (errors.len()) ")" }
                ul { @for e in errors { li { a href={ "#" (e.field) } { (l.t(&e.pl, &e.en)) } } } }
            }
        }
        form method="post" action=(l.href("/admin/ankiety/nowa")) enctype="multipart/form-data" novalidate {
            (csrf_input(csrf))
            (text_input("nazwa", l.t("Nazwa kampanii", "The campaign's name"), &form.name, "text", None))
            (text_input("rok", l.t("Rok, którego dotyczą dane", "The year the data is for"), &form.year, "text", None))
            (text_input("termin", l.t("Termin wysłania (RRRR-MM-DD)", "Deadline (YYYY-MM-DD)"), &form.deadline, "date", None))
            (text_input("publikacja", l.t("Dzień publikacji (RRRR-MM-DD)", "Publication date (YYYY-MM-DD)"), &form.publish_on, "date",
                Some(("publikacja-pomoc", l.t("Do tego dnia zatwierdzone dane widzą tylko osoby z rolą w jednostce.", "Until that day approved data is seen only by people with a role in the unit.").to_owned()))))
            p {
                label for="jednostki" { (l.t("Jednostki: kody TERYT albo nazwa grupy, rozdzielone przecinkami", "Units: TERYT codes or a group's name, separated by commas")) }
                br;
                (message("jednostki"))
                textarea id="jednostki" name="jednostki" rows="3" aria-invalid=[err("jednostki").map(|_| "true")] aria-describedby=[described("jednostki", None)] { (form.units) }
            }
            fieldset {
                legend { (l.t("Formularz ankiety", "The questionnaire's form")) }
                @if !forms.is_empty() {
                    p {
                        label for="formularz" { (l.t("Istniejący formularz", "An existing form")) }
                        br;
                        (message("formularz"))
                        select id="formularz" name="formularz" aria-invalid=[err("formularz").map(|_| "true")] aria-describedby=[described("formularz", None)] {
                            option value="" selected[form.form_code.is_empty()] { (l.t("— nowy, z pliku albo pola poniżej —", "— a new one, from the file or the box below —")) }
                            @for f in forms {
                                option value=(f.code) selected[form.form_code == f.code] { (f.title) " (" (f.code) ", " (l.t("wersja", "version")) " " (f.version) ")" }
                            }
                        }
                    }
                }
                p {
                    label for="plik" { (l.t("Plik definicji formularza (TOML)", "The form definition file (TOML)")) }
                    br;
                    (message("plik"))
                    input id="plik" name="plik" type="file" accept=".toml,text/plain" aria-invalid=[err("plik").map(|_| "true")] aria-describedby=[described("plik", None)];
                }
                p {
                    label for="definicja" { (l.t("albo definicja wklejona tutaj", "or the definition pasted here")) }
                    br;
                    (message("definicja"))
                    textarea id="definicja" name="definicja" rows="12" spellcheck="false" aria-invalid=[err("definicja").map(|_| "true")] aria-describedby=[described("definicja", None)] { (form.definition) }
                }
            }
            p { button type="submit" { (l.t("Utwórz kampanię", "Create the campaign")) } }
        }
    };
    (title, body)
}

// ---------------------------------------------------------------------------------------
// Handlers: fetch, check rights, convert, answer.

/// The largest XLSX upload body taken: the reader's own limit and room for the form's
/// other parts. Past it, 413.
const UPLOAD_BODY: usize = app::form_xlsx::MAX_UPLOAD_BYTES + 64 * 1024;
/// The largest new-campaign form: a form definition of up to 1 MB (typed or as a file, not
/// both at their largest) and the rest.
const ADMIN_BODY: usize = 2 * 1024 * 1024 + 64 * 1024;
/// The most units one campaign lists on `/ankiety` (the dashboard has them all).
const LIST_UNITS: usize = 30;

/// The routes of the data-collection pages.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/ankiety", get(list))
        .route("/ankiety/{id}", get(dashboard))
        .route("/ankiety/{id}/zestawienie.csv", get(dashboard_csv))
        .route("/ankiety/{id}/jst/{code}", get(entry_get).post(entry_post))
        .route("/ankiety/{id}/jst/{code}/szablon.xlsx", get(template))
        .route("/ankiety/{id}/jst/{code}/plik", post(upload).layer(DefaultBodyLimit::max(UPLOAD_BODY)))
        .route("/ankiety/{id}/jst/{code}/weryfikacja", post(verify))
        .route("/weryfikacja", get(queue))
        .route("/admin/ankiety/nowa", get(new_get).post(new_post).layer(DefaultBodyLimit::max(ADMIN_BODY)))
}

/// A page for a logged-in user (`private, no-store`, never in the page cache), with a
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
    let mut res = ctx.page(status, title, body);
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res
}

/// A file for a logged-in user (`attachment`, never cached).
fn private_file(content_type: &'static str, file_name: &str, bytes: Vec<u8>) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")).unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
        ],
        bytes,
    )
        .into_response()
}

/// A 303 to `path` (in the page's language) with a status message.
fn see_other(l: L, path: &str, notice: Notice) -> Response {
    let to = l.href(&format!("{path}?komunikat={}", notice.param()));
    (StatusCode::SEE_OTHER, [(header::LOCATION, HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/ankiety")))]).into_response()
}

fn notice_of(uri: &Uri) -> Option<Notice> {
    uri.query()?.split('&').find_map(|kv| kv.strip_prefix("komunikat=")).and_then(Notice::parse)
}

/// The error's page in the request's language and frame.
fn fail(ctx: &Ctx, e: WebError) -> Response {
    ctx.error(e)
}

/// An app error as the pages answer it: what names no campaign or unit is 404.
fn app_fail(e: app::AppError) -> WebError {
    match e {
        app::AppError::NotFound(_) => WebError::NotFound,
        app::AppError::Campaign(CampaignError::NoCampaign(_) | CampaignError::NotInCampaign { .. }) => WebError::NotFound,
        app::AppError::Busy => WebError::Busy,
        e => WebError::Server(e.to_string()),
    }
}

/// Whether the user may see a campaign's dashboard: a verifier, an analyst or an
/// administrator (of the units the dashboard then shows).
fn sees_dashboards(user: &CurrentUser) -> bool {
    user.grants.iter().any(|g| matches!(g.role, Role::Verifier | Role::Analyst | Role::Admin))
}

fn head_of(c: &camp::CampaignInfo, form_title_en: Option<&str>) -> CampaignHead {
    CampaignHead {
        id: c.id,
        name: c.name.clone(),
        year: c.year,
        deadline: model::format_date(c.deadline),
        publish_on: model::format_date(c.publish_on),
        form_title_pl: c.form_title.clone(),
        form_title_en: form_title_en.unwrap_or(&c.form_title).to_owned(),
    }
}

fn unit_line(r: &camp::DashboardRow) -> UnitLine {
    UnitLine { code: r.code.clone(), name: r.name.clone(), state: state_of(r.state, r.published), late: r.late }
}

fn state_of(s: Option<camp::SubmissionState>, published: bool) -> UnitState {
    match s {
        None => UnitState::NotStarted,
        Some(camp::SubmissionState::Draft) => UnitState::Draft,
        Some(camp::SubmissionState::Submitted) => UnitState::Submitted,
        Some(camp::SubmissionState::Returned) => UnitState::Returned,
        Some(camp::SubmissionState::Approved) if published => UnitState::Published,
        Some(camp::SubmissionState::Approved) => UnitState::Approved,
    }
}

/// A stored time (`YYYY-MM-DDTHH:MM:SS…`) cut to the minute, as the tables show it.
fn short_time(t: Option<&str>) -> String {
    t.map(|t| t.replace('T', " ").chars().take(16).collect()).unwrap_or_default()
}

fn finding_view(f: &Finding) -> FindingView {
    FindingView {
        field: f.field.clone(),
        error: f.severity == Severity::Error,
        message_pl: f.message_pl.clone(),
        message_en: f.message_en.clone(),
        needs_comment: f.needs_comment,
        resolved: f.resolved,
    }
}

/// The page of a unit's answer, from the app's view and what the user may do.
fn entry_page_of(l: L, v: &camp::EntryView, user: &CurrentUser, csrf: &str) -> EntryPage {
    let state = state_of(v.state, v.published);
    let mode = if v.editable && user.can(Action::EnterData, v.unit_id) {
        Mode::Edit
    } else if state == UnitState::Submitted && user.can(Action::Verify, v.unit_id) {
        Mode::Verify
    } else {
        Mode::Read
    };
    let fields = v
        .form
        .fields
        .iter()
        .map(|f| {
            let entry = v.entries.iter().find(|e| e.variable == f.variable);
            let value = entry.and_then(|e| e.value);
            FieldView {
                variable: f.variable.clone(),
                label_pl: f.label_pl.clone(),
                label_en: f.label_en.clone(),
                help_pl: f.help_pl.clone().unwrap_or_default(),
                help_en: f.help_en.clone().unwrap_or_default(),
                measure_unit: f.measure_unit.clone().unwrap_or_default(),
                required: f.required,
                last_year: v.last_year.get(&f.variable).copied(),
                peer_median: v.peer_median.get(&f.variable).copied(),
                text: value.map(|x| input_number(l, x)).or_else(|| entry.and_then(|e| e.raw.clone())).unwrap_or_default(),
                value,
                comment: entry.and_then(|e| e.comment.clone()).unwrap_or_default(),
            }
        })
        .collect();
    EntryPage {
        head: head_of(&v.campaign, Some(&v.form.title_en)).with_form_title(&v.form.title_pl),
        unit_code: v.unit_code.clone(),
        unit_name: v.unit_name.clone(),
        state,
        late: v.late,
        return_comment: v.return_comment.clone(),
        mode,
        can_withdraw: state == UnitState::Submitted && user.can(Action::Withdraw, v.unit_id),
        description_pl: v.form.description_pl.clone().unwrap_or_default(),
        description_en: v.form.description_en.clone().unwrap_or_default(),
        fields,
        findings: v.findings.iter().map(finding_view).collect(),
        notice: None,
        after_post: false,
        verify_error: None,
        verify_comment: String::new(),
        peer_label: (v.peer_group.label_pl.clone(), v.peer_group.label_en.clone()),
        problem: None,
        csrf: csrf.to_owned(),
    }
}

impl CampaignHead {
    fn with_form_title(mut self, pl: &str) -> CampaignHead {
        self.form_title_pl = pl.to_owned();
        self
    }
}

/// The campaign id and the unit of an entry path; unknown ones are 404.
async fn target(state: &AppState, path: Result<Path<(String, String)>, PathRejection>) -> Result<(i64, i64), WebError> {
    let Ok(Path((id, code))) = path else { return Err(WebError::NotFound) };
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let code = TerytCode::parse_lenient(&code).map_err(|_| WebError::NotFound)?;
    let unit = state.store.unit_id_for_code(&code).await.map_err(|e| app_fail(e.into()))?.ok_or(WebError::NotFound)?;
    Ok((id, unit))
}

fn campaign_id(path: Result<Path<String>, PathRejection>) -> Result<i64, WebError> {
    path.ok().and_then(|Path(id)| id.parse().ok()).ok_or(WebError::NotFound)
}

/// `GET /ankiety`.
async fn list(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri) -> Response {
    let l = ctx.lang;
    let user = match ctx.require_user() {
        Ok(u) => u,
        Err(e) => return fail(&ctx, e),
    };
    let campaigns = match camp::campaigns(&state.store).await {
        Ok(c) => c,
        Err(e) => return fail(&ctx, app_fail(e)),
    };
    let today = camp::today();
    let dash = sees_dashboards(user);
    let mut items = Vec::new();
    for c in campaigns.iter().rev() {
        let rows = match camp::dashboard(&state.store, c.id, today).await {
            Ok(r) => r,
            Err(e) => return fail(&ctx, app_fail(e)),
        };
        let mine: Vec<&camp::DashboardRow> = rows.iter().filter(|r| user.can(Action::ReadUnpublished, r.unit_id)).collect();
        if mine.is_empty() {
            continue;
        }
        // The units the user works on first: their own, then those waiting for them.
        let mut shown: Vec<&camp::DashboardRow> = mine.iter().copied().filter(|r| user.can(Action::EnterData, r.unit_id)).collect();
        shown.extend(mine.iter().copied().filter(|r| {
            !user.can(Action::EnterData, r.unit_id) && r.state == Some(camp::SubmissionState::Submitted) && user.can(Action::Verify, r.unit_id)
        }));
        let all = shown.len();
        shown.truncate(LIST_UNITS);
        let more = if dash { mine.len() - shown.len() } else { all - shown.len() };
        items.push(ListItem { head: head_of(c, None), units: shown.into_iter().map(unit_line).collect(), more_units: more, dashboard: dash });
    }
    let (title, body) = list_page(l, &items, user.can_any(Action::Verify));
    respond(&ctx, uri.path(), StatusCode::OK, &title, body)
}

/// The dashboard's campaign and rows the user may see.
async fn dashboard_rows(state: &AppState, ctx: &Ctx, id: i64) -> Result<(camp::CampaignInfo, Vec<camp::DashboardRow>), WebError> {
    let user = ctx.require_user()?;
    if !sees_dashboards(user) {
        return Err(WebError::Forbidden);
    }
    let c = camp::campaign(&state.store, id).await.map_err(app_fail)?;
    let rows: Vec<camp::DashboardRow> = camp::dashboard(&state.store, id, camp::today())
        .await
        .map_err(app_fail)?
        .into_iter()
        .filter(|r| user.can(Action::ReadUnpublished, r.unit_id))
        .collect();
    if rows.is_empty() {
        return Err(WebError::Forbidden);
    }
    Ok((c, rows))
}

/// `GET /ankiety/{id}`.
async fn dashboard(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri, path: Result<Path<String>, PathRejection>) -> Response {
    let l = ctx.lang;
    let id = match campaign_id(path) {
        Ok(id) => id,
        Err(e) => return fail(&ctx, e),
    };
    match dashboard_rows(&state, &ctx, id).await {
        Ok((c, rows)) => {
            let rows: Vec<DashRow> = rows
                .iter()
                .map(|r| DashRow {
                    unit: unit_line(r),
                    updated_at: short_time(r.updated_at.as_deref()),
                    updated_by: r.updated_by.clone().unwrap_or_default(),
                })
                .collect();
            let (title, body) = dashboard_page(l, &head_of(&c, None), &rows, notice_of(&uri));
            respond(&ctx, uri.path(), StatusCode::OK, &title, body)
        }
        Err(e) => fail(&ctx, e),
    }
}

/// `GET /ankiety/{id}/zestawienie.csv`.
async fn dashboard_csv(State(state): State<Arc<AppState>>, ctx: Ctx, path: Result<Path<String>, PathRejection>) -> Response {
    let id = match campaign_id(path) {
        Ok(id) => id,
        Err(e) => return fail(&ctx, e),
    };
    match dashboard_rows(&state, &ctx, id).await {
        Ok((_, rows)) => {
            private_file("text/csv; charset=utf-8", &format!("zestawienie-{id}.csv"), camp::dashboard_csv(&rows, ctx.lang.en).into_bytes())
        }
        Err(e) => fail(&ctx, e),
    }
}

/// `GET /weryfikacja`: the submissions in the verifier's scope, oldest first.
async fn queue(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri) -> Response {
    let l = ctx.lang;
    let user = match ctx.require_user() {
        Ok(u) => u,
        Err(e) => return fail(&ctx, e),
    };
    if !user.can_any(Action::Verify) {
        return fail(&ctx, WebError::Forbidden);
    }
    let items = match camp::queue(&state.store, &user.scope(Action::Verify)).await {
        Ok(q) => q,
        Err(e) => return fail(&ctx, app_fail(e)),
    };
    let rows: Vec<QueueRow> = items
        .into_iter()
        .map(|q| QueueRow {
            campaign_id: q.campaign_id,
            campaign_name: q.campaign_name,
            code: q.unit_code,
            name: q.unit_name,
            submitted_at: short_time(q.submitted_at.as_deref()),
            warnings: q.warnings,
        })
        .collect();
    let (title, body) = queue_page(l, &rows);
    respond(&ctx, uri.path(), StatusCode::OK, &title, body)
}

/// `GET /ankiety/{id}/jst/{code}`: the unit's answer, to fill in, verify or read.
async fn entry_get(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri, path: Result<Path<(String, String)>, PathRejection>) -> Response {
    let l = ctx.lang;
    let (id, unit) = match target(&state, path).await {
        Ok(t) => t,
        Err(e) => return fail(&ctx, e),
    };
    // Anyone with a role on the unit may read it; nobody else learns even whether it exists.
    let user = match ctx.require(Action::ReadUnpublished, unit) {
        Ok(u) => u,
        Err(e) => return fail(&ctx, e),
    };
    let view = match camp::entry_view(&state.store, id, unit).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, app_fail(e)),
    };
    let mut page = entry_page_of(l, &view, user, &ctx.csrf);
    page.notice = notice_of(&uri);
    let (title, body) = entry_page(l, &page);
    respond(&ctx, uri.path(), StatusCode::OK, &title, body)
}

/// What the data-entry form sends: `csrf`, `akcja`, and per field `w.CODE` (the value as
/// typed) and `k.CODE` (its comment).
fn entries_from_form<'a>(variables: impl Iterator<Item = &'a str>, pairs: &[(String, String)]) -> Vec<Entry> {
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    variables
        .filter_map(|variable| {
            let value = get(&format!("w.{variable}"));
            let comment = get(&format!("k.{variable}"));
            (value.is_some() || comment.is_some()).then(|| camp::entry_from_input(variable, value.unwrap_or(""), comment))
        })
        .collect()
}

/// The page shown again after a refused action: the current saved state, with `edit`
/// applied (findings of the refused submission, a problem, the verifier's error…).
async fn entry_again(state: &AppState, ctx: &Ctx, uri: &Uri, id: i64, unit: i64, status: StatusCode, edit: impl FnOnce(&mut EntryPage)) -> Response {
    let l = ctx.lang;
    let Some(user) = ctx.user.as_ref() else { return fail(ctx, WebError::Forbidden) };
    let view = match camp::entry_view(&state.store, id, unit).await {
        Ok(v) => v,
        Err(e) => return fail(ctx, app_fail(e)),
    };
    let mut page = entry_page_of(l, &view, user, &ctx.csrf);
    page.after_post = true;
    edit(&mut page);
    let (title, body) = entry_page(l, &page);
    respond(ctx, uri.path(), status, &title, body)
}

/// A refusal of the app that the person can act on (the state moved, a comment is
/// missing…): its PL and EN wording, or `None` for errors that are the server's.
fn refusal(e: &app::AppError) -> Option<(String, String)> {
    match e {
        app::AppError::Campaign(
            c @ (CampaignError::NotEditable(_)
            | CampaignError::NotSubmitted(_)
            | CampaignError::Conflict(_)
            | CampaignError::ReturnNeedsComment
            | CampaignError::UnknownField(_)
            | CampaignError::Upload { .. }),
        ) => Some((c.pl(), c.en())),
        _ => None,
    }
}

/// `POST /ankiety/{id}/jst/{code}`: `akcja=zapisz` (save a draft), `wyslij` (submit),
/// `wycofaj` (withdraw a submission not yet verified).
async fn entry_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: Uri,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = match form {
        Ok(Form(p)) => p,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return fail(&ctx, WebError::BadRequest(l.t("formularz jest za duży", "the form is too large").to_owned()));
        }
        Err(_) => Vec::new(),
    };
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or("");
    if let Err(e) = ctx.check_csrf(get("csrf")) {
        return fail(&ctx, e);
    }
    let (id, unit) = match target(&state, path).await {
        Ok(t) => t,
        Err(e) => return fail(&ctx, e),
    };
    let page_path = format!("/ankiety/{id}/jst/{}", uri.path().rsplit('/').next().unwrap_or_default());
    let akcja = get("akcja");
    let action = match akcja {
        "zapisz" | "wyslij" => Action::EnterData,
        "wycofaj" => Action::Withdraw,
        _ => return fail(&ctx, WebError::BadRequest("akcja".to_owned())),
    };
    let user = match ctx.require(action, unit) {
        Ok(u) => u,
        Err(e) => return fail(&ctx, e),
    };
    let actor = user.actor(ctx.address.clone());
    if action == Action::Withdraw {
        return match camp::withdraw(&state.store, &actor, id, unit).await {
            Ok(_) => see_other(l, &page_path, Notice::Withdrawn),
            Err(e) => match refusal(&e) {
                Some(p) => entry_again(&state, &ctx, &uri, id, unit, StatusCode::CONFLICT, |page| page.problem = Some(p)).await,
                None => fail(&ctx, app_fail(e)),
            },
        };
    }
    let view = match camp::entry_view(&state.store, id, unit).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, app_fail(e)),
    };
    let entries = entries_from_form(view.form.fields.iter().map(|f| f.variable.as_str()), &pairs);
    let intent = if akcja == "wyslij" { camp::Intent::Submit } else { camp::Intent::Draft };
    match camp::save(&state.store, &actor, id, unit, &entries, intent).await {
        Ok(_) if intent == camp::Intent::Draft => see_other(l, &page_path, Notice::Saved),
        Ok(out) if out.submitted => see_other(l, &page_path, Notice::Submitted),
        // Refused by its findings: saved as a draft, shown again with every finding.
        Ok(out) => {
            entry_again(&state, &ctx, &uri, id, unit, StatusCode::OK, |page| page.findings = out.findings.iter().map(finding_view).collect()).await
        }
        Err(e) => match refusal(&e) {
            Some(p) => entry_again(&state, &ctx, &uri, id, unit, StatusCode::CONFLICT, |page| page.problem = Some(p)).await,
            None => fail(&ctx, app_fail(e)),
        },
    }
}

/// `POST /ankiety/{id}/jst/{code}/weryfikacja`: `akcja=zatwierdz` or `zwroc` with `komentarz`.
async fn verify(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: Uri,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = form.map(|Form(p)| p).unwrap_or_default();
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or("");
    if let Err(e) = ctx.check_csrf(get("csrf")) {
        return fail(&ctx, e);
    }
    let (id, unit) = match target(&state, path).await {
        Ok(t) => t,
        Err(e) => return fail(&ctx, e),
    };
    let user = match ctx.require(Action::Verify, unit) {
        Ok(u) => u,
        Err(e) => return fail(&ctx, e),
    };
    let page_path = uri.path().trim_end_matches("/weryfikacja").to_owned();
    let comment = get("komentarz").trim().to_owned();
    let decision = match get("akcja") {
        "zatwierdz" => camp::Decision::Approve,
        "zwroc" if comment.is_empty() => {
            let err = (
                "Napisz w komentarzu, co jednostka ma poprawić: zwrot wymaga komentarza.".to_owned(),
                "Say in the comment what the unit should correct: a return needs a comment.".to_owned(),
            );
            let page_uri: Uri = page_path.parse().unwrap_or_else(|_| uri.clone());
            return entry_again(&state, &ctx, &page_uri, id, unit, StatusCode::OK, |page| page.verify_error = Some(err)).await;
        }
        "zwroc" => camp::Decision::Return(comment.clone()),
        _ => return fail(&ctx, WebError::BadRequest("akcja".to_owned())),
    };
    let approving = decision == camp::Decision::Approve;
    match camp::verify(&state.store, &user.actor(ctx.address.clone()), id, unit, decision).await {
        Ok(out) => {
            if approving && out.published_import.is_none() {
                // Those allowed see the approved values within a second: one unit patched
                // into the private view, no rebuild. A failure only delays them to the
                // watcher's next poll.
                if let Err(e) = state.live.apply_pending(&state.store, unit).await {
                    tracing::warn!("private view not updated after an approval: {e}");
                }
            } else if out.published_import.is_some() {
                // Published at once: the watcher rebuilds now rather than at its next notice.
                state.live.wake();
            }
            see_other(l, &page_path, if approving { Notice::Approved } else { Notice::Returned })
        }
        Err(e) => match refusal(&e) {
            Some(p) => {
                let page_uri: Uri = page_path.parse().unwrap_or_else(|_| uri.clone());
                entry_again(&state, &ctx, &page_uri, id, unit, StatusCode::CONFLICT, |page| {
                    page.problem = Some(p);
                    page.verify_comment = comment;
                })
                .await
            }
            None => fail(&ctx, app_fail(e)),
        },
    }
}

/// `GET /ankiety/{id}/jst/{code}/szablon.xlsx`: the unit's spreadsheet, pre-filled.
async fn template(State(state): State<Arc<AppState>>, ctx: Ctx, path: Result<Path<(String, String)>, PathRejection>) -> Response {
    let (id, unit) = match target(&state, path).await {
        Ok(t) => t,
        Err(e) => return fail(&ctx, e),
    };
    if let Err(e) = ctx.require(Action::ReadUnpublished, unit) {
        return fail(&ctx, e);
    }
    let view = match camp::entry_view(&state.store, id, unit).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, app_fail(e)),
    };
    let name = format!("ankieta-{id}-{}.xlsx", view.unit_code);
    match tokio::task::spawn_blocking(move || app::form_xlsx::template(&view)).await {
        Ok(Ok(bytes)) => private_file("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &name, bytes),
        Ok(Err(e)) => fail(&ctx, app_fail(e)),
        Err(e) => fail(&ctx, WebError::Server(format!("template: {e}"))),
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

/// The parts of a multipart form: text fields (each at most `max_text` bytes) and at most
/// one file part `file_field` (at most `max_file` bytes, with its file name).
struct Parts {
    text: Vec<(String, String)>,
    file: Option<(String, Vec<u8>)>,
}

impl Parts {
    fn get(&self, key: &str) -> &str {
        self.text.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or("")
    }
}

/// Why a multipart form was not read.
enum PartsError {
    /// A part is larger than it may be (PL, EN).
    TooLarge,
    Broken,
}

async fn read_parts(
    multipart: Result<Multipart, MultipartRejection>,
    file_field: &str,
    max_text: usize,
    max_file: usize,
) -> Result<Parts, PartsError> {
    let mut multipart = multipart.map_err(|_| PartsError::Broken)?;
    let mut parts = Parts { text: Vec::new(), file: None };
    let mut count = 0;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(PartsError::TooLarge),
            Err(_) => return Err(PartsError::Broken),
        };
        count += 1;
        if count > 50 {
            return Err(PartsError::Broken);
        }
        let name = field.name().unwrap_or("").to_owned();
        if name == file_field && field.file_name().is_some() {
            let file_name = field.file_name().unwrap_or("").to_owned();
            let bytes = field_bytes(&mut field, max_file).await.map_err(|_| PartsError::TooLarge)?;
            if !bytes.is_empty() {
                parts.file = Some((file_name, bytes));
            }
        } else {
            let bytes = field_bytes(&mut field, max_text).await.map_err(|_| PartsError::TooLarge)?;
            parts.text.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    Ok(parts)
}

/// `POST /ankiety/{id}/jst/{code}/plik`: a filled-in spreadsheet, read and checked as the
/// form is, saved as a draft; problems with the file are shown at the file input.
async fn upload(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    uri: Uri,
    path: Result<Path<(String, String)>, PathRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let l = ctx.lang;
    let parts = read_parts(multipart, "plik", 4096, app::form_xlsx::MAX_UPLOAD_BYTES).await;
    // The token first: a cross-site form learns nothing, not even how its file fared.
    let csrf = match &parts {
        Ok(p) => p.get("csrf").to_owned(),
        Err(_) => String::new(),
    };
    if let Err(e) = ctx.check_csrf(&csrf) {
        return fail(&ctx, e);
    }
    let (id, unit) = match target(&state, path).await {
        Ok(t) => t,
        Err(e) => return fail(&ctx, e),
    };
    let user = match ctx.require(Action::EnterData, unit) {
        Ok(u) => u,
        Err(e) => return fail(&ctx, e),
    };
    let page_path = uri.path().trim_end_matches("/plik").to_owned();
    let page_uri: Uri = page_path.parse().unwrap_or_else(|_| uri.clone());
    let file_problem = |pl: &str, en: &str| FindingView {
        field: "plik".to_owned(),
        error: true,
        message_pl: pl.to_owned(),
        message_en: en.to_owned(),
        needs_comment: false,
        resolved: false,
    };
    let bytes = match parts {
        Ok(Parts { file: Some((_, bytes)), .. }) => bytes,
        Ok(_) => {
            let f = file_problem("Wybierz plik XLSX do wczytania.", "Choose an XLSX file to upload.");
            return entry_again(&state, &ctx, &page_uri, id, unit, StatusCode::OK, |page| page.findings.insert(0, f)).await;
        }
        Err(PartsError::TooLarge) => {
            let f = file_problem("Plik jest za duży (najwyżej 8 MB).", "The file is too large (8 MB at most).");
            return entry_again(&state, &ctx, &page_uri, id, unit, StatusCode::PAYLOAD_TOO_LARGE, |page| page.findings.insert(0, f)).await;
        }
        Err(PartsError::Broken) => return fail(&ctx, WebError::BadRequest("plik".to_owned())),
    };
    let view = match camp::entry_view(&state.store, id, unit).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, app_fail(e)),
    };
    let form = view.form.clone();
    let read = tokio::task::spawn_blocking(move || app::form_xlsx::read_upload(&bytes, &form)).await;
    let entries = match read {
        Ok(Ok(entries)) => entries,
        Ok(Err(e)) => {
            let (pl, en) = match &e {
                app::AppError::Campaign(c) => (c.pl(), c.en()),
                e => ("Nie udało się odczytać pliku: ".to_owned() + &e.to_string(), format!("The file could not be read: {e}")),
            };
            let f = file_problem(&pl, &en);
            return entry_again(&state, &ctx, &page_uri, id, unit, StatusCode::OK, |page| page.findings.insert(0, f)).await;
        }
        Err(e) => return fail(&ctx, WebError::Server(format!("upload: {e}"))),
    };
    match camp::save(&state.store, &user.actor(ctx.address.clone()), id, unit, &entries, camp::Intent::Draft).await {
        Ok(_) => see_other(l, &page_path, Notice::Uploaded),
        Err(e) => match refusal(&e) {
            Some(p) => entry_again(&state, &ctx, &page_uri, id, unit, StatusCode::CONFLICT, |page| page.problem = Some(p)).await,
            None => fail(&ctx, app_fail(e)),
        },
    }
}

/// The forms the administrator may pick from (each code's newest version first).
async fn form_choices(state: &AppState) -> Vec<FormChoice> {
    let mut forms: Vec<FormChoice> = camp::forms(&state.store)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|f| FormChoice { code: f.code, version: f.version, title: f.title_pl })
        .collect();
    forms.sort_by(|a, b| a.code.cmp(&b.code).then(b.version.cmp(&a.version)));
    forms.dedup_by(|a, b| a.code == b.code);
    forms
}

/// `GET /admin/ankiety/nowa`.
async fn new_get(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri) -> Response {
    let l = ctx.lang;
    if let Err(e) = ctx.require_any(Action::Administer) {
        return fail(&ctx, e);
    }
    let forms = form_choices(&state).await;
    let (title, body) = new_campaign_page(l, &ctx.csrf, &NewCampaignForm::default(), &forms, &[], false);
    respond(&ctx, uri.path(), StatusCode::OK, &title, body)
}

fn push(errors: &mut Vec<FormError>, field: &'static str, pl: String, en: String) {
    errors.push(FormError { field, pl, en });
}

/// `POST /admin/ankiety/nowa`: checks every field, stores the form definition (when one is
/// given) and the campaign; errors are shown at their fields, the form's with line numbers.
async fn new_post(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri, multipart: Result<Multipart, MultipartRejection>) -> Response {
    let l = ctx.lang;
    let parts = read_parts(multipart, "plik", 1024 * 1024, 1024 * 1024).await;
    let csrf = parts.as_ref().map(|p| p.get("csrf").to_owned()).unwrap_or_default();
    if let Err(e) = ctx.check_csrf(&csrf) {
        return fail(&ctx, e);
    }
    let user = match ctx.require_any(Action::Administer) {
        Ok(u) => u,
        Err(e) => return fail(&ctx, e),
    };
    let parts = match parts {
        Ok(p) => p,
        Err(PartsError::TooLarge) => {
            return fail(&ctx, WebError::BadRequest(l.t("definicja formularza ma najwyżej 1 MB", "a form definition is 1 MB at most").to_owned()));
        }
        Err(PartsError::Broken) => return fail(&ctx, WebError::BadRequest("multipart".to_owned())),
    };
    let sent = NewCampaignForm {
        name: parts.get("nazwa").trim().to_owned(),
        year: parts.get("rok").trim().to_owned(),
        deadline: parts.get("termin").trim().to_owned(),
        publish_on: parts.get("publikacja").trim().to_owned(),
        units: parts.get("jednostki").to_owned(),
        definition: parts.get("definicja").to_owned(),
        form_code: parts.get("formularz").trim().to_owned(),
    };
    let mut errors: Vec<FormError> = Vec::new();
    if sent.name.is_empty() {
        push(&mut errors, "nazwa", "Podaj nazwę kampanii.".to_owned(), "Give the campaign a name.".to_owned());
    }
    let year = sent.year.parse::<i64>().ok().filter(|y| (1990..=2100).contains(y));
    if year.is_none() {
        push(&mut errors, "rok", "Podaj rok danych, np. 2024.".to_owned(), "Give the data's year, e.g. 2024.".to_owned());
    }
    let deadline = model::parse_date(&sent.deadline);
    if deadline.is_none() {
        push(&mut errors, "termin", "Podaj termin jako RRRR-MM-DD.".to_owned(), "Give the deadline as YYYY-MM-DD.".to_owned());
    }
    let publish_on = model::parse_date(&sent.publish_on);
    if publish_on.is_none() {
        push(&mut errors, "publikacja", "Podaj dzień publikacji jako RRRR-MM-DD.".to_owned(), "Give the publication date as YYYY-MM-DD.".to_owned());
    }
    if let (Some(d), Some(p)) = (deadline, publish_on)
        && p < d
    {
        push(
            &mut errors,
            "publikacja",
            "Dzień publikacji nie może być przed terminem.".to_owned(),
            "The publication date cannot be before the deadline.".to_owned(),
        );
    }
    let units: Vec<String> = sent.units.split([',', '\n', ';']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect();
    if units.is_empty() {
        push(&mut errors, "jednostki", "Podaj co najmniej jedną jednostkę.".to_owned(), "Give at least one unit.".to_owned());
    } else if let Err(e) = camp::resolve_units(&state.store, &units).await {
        match &e {
            app::AppError::Campaign(c) => push(&mut errors, "jednostki", c.pl(), c.en()),
            _ => return fail(&ctx, app_fail(e)),
        }
    }
    let definition = match &parts.file {
        Some((name, bytes)) => match String::from_utf8(bytes.clone()) {
            Ok(text) => Some(("plik", text, if name.is_empty() { "formularz.toml".to_owned() } else { name.clone() })),
            Err(_) => {
                push(&mut errors, "plik", "Plik nie jest tekstem UTF-8 (TOML).".to_owned(), "The file is not UTF-8 text (TOML).".to_owned());
                None
            }
        },
        None if !sent.definition.trim().is_empty() => Some(("definicja", sent.definition.clone(), "formularz.toml".to_owned())),
        None => None,
    };
    if definition.is_none() && sent.form_code.is_empty() && !errors.iter().any(|e| e.field == "plik") {
        push(
            &mut errors,
            "definicja",
            "Wybierz istniejący formularz albo podaj definicję (plik lub tekst).".to_owned(),
            "Choose an existing form or give a definition (a file or text).".to_owned(),
        );
    }
    let admin_page = |errors: Vec<FormError>, forms: Vec<FormChoice>| {
        let (title, body) = new_campaign_page(l, &ctx.csrf, &sent, &forms, &errors, true);
        respond(&ctx, uri.path(), StatusCode::OK, &title, body)
    };
    if !errors.is_empty() {
        return admin_page(errors, form_choices(&state).await);
    }
    let actor = user.actor(ctx.address.clone());
    let form = match definition {
        Some((field, text, file_name)) => match camp::add_form(&state.store, &actor, &text, &file_name).await {
            Ok(info) => camp::FormRef::Id(info.id),
            Err(app::AppError::Campaign(CampaignError::Form(fe))) => {
                let e = FormError {
                    field,
                    pl: format!("{}, wiersz {}: {}", fe.file, fe.line, fe.message),
                    en: format!("{}, line {}: {}", fe.file, fe.line, fe.message),
                };
                return admin_page(vec![e], form_choices(&state).await);
            }
            Err(e) => return fail(&ctx, app_fail(e)),
        },
        None => camp::FormRef::Code(sent.form_code.clone()),
    };
    let (Some(year), Some(deadline), Some(publish_on)) = (year, deadline, publish_on) else {
        return fail(&ctx, WebError::Server("checked above".to_owned()));
    };
    let new = camp::NewCampaign { form, name: sent.name.clone(), year, deadline, publish_on, units };
    match camp::add_campaign(&state.store, &actor, new).await {
        Ok(c) => see_other(l, &format!("/ankiety/{}", c.id), Notice::Created),
        Err(app::AppError::Campaign(c)) => {
            let field = match c {
                CampaignError::NoForm(_) => "formularz",
                CampaignError::UnknownUnits(_) | CampaignError::NoUnits => "jednostki",
                CampaignError::EmptyName => "nazwa",
                CampaignError::BadYear(_) => "rok",
                CampaignError::PublishBeforeDeadline { .. } => "publikacja",
                _ => "definicja",
            };
            admin_page(vec![FormError { field, pl: c.pl(), en: c.en() }], form_choices(&state).await)
        }
        Err(e) => fail(&ctx, app_fail(e)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    fn head() -> CampaignHead {
        CampaignHead {
            id: 3,
            name: "Oświata 2024".into(),
            year: 2024,
            deadline: "2025-03-31".into(),
            publish_on: "2025-06-01".into(),
            form_title_pl: "Oświata".into(),
            form_title_en: "Education".into(),
        }
    }

    fn field(var: &str) -> FieldView {
        FieldView {
            variable: var.into(),
            label_pl: format!("Pole {var}"),
            label_en: format!("Field {var}"),
            help_pl: "Pomoc".into(),
            help_en: "Help".into(),
            measure_unit: "osoby".into(),
            required: true,
            last_year: Some(1234.5),
            peer_median: None,
            text: String::new(),
            value: None,
            comment: String::new(),
        }
    }

    fn page(mode: Mode, findings: Vec<FindingView>) -> EntryPage {
        EntryPage {
            head: head(),
            unit_code: "0201011".into(),
            unit_name: "Bolesławiec".into(),
            state: UnitState::Draft,
            late: false,
            return_comment: None,
            mode,
            can_withdraw: false,
            description_pl: String::new(),
            description_en: String::new(),
            fields: vec![field("uczniowie_sp"), field("oddzialy_sp")],
            findings,
            notice: None,
            after_post: true,
            verify_error: None,
            verify_comment: String::new(),
            peer_label: ("gminy wiejskie".into(), "rural gminy".into()),
            problem: None,
            csrf: "tok<en>".into(),
        }
    }

    fn finding(field: &str, error: bool) -> FindingView {
        FindingView {
            field: field.into(),
            error,
            message_pl: format!("zła wartość {field}"),
            message_en: format!("bad value {field}"),
            needs_comment: !error,
            resolved: false,
        }
    }

    #[test]
    fn the_error_summary_links_every_finding_to_its_field_and_the_field_says_it_is_invalid() {
        let p = page(Mode::Edit, vec![finding("oddzialy_sp", true), finding("uczniowie_sp", false)]);
        let (title, body) = entry_page(L::PL, &p);
        let html = body.into_string();
        assert!(title.starts_with("Błąd:"), "{title}");
        assert!(html.contains("href=\"#pole-oddzialy_sp\""), "error links to the input");
        assert!(html.contains("href=\"#pole-uczniowie_sp-komentarz\""), "a warning needing a comment links to the comment box");
        assert!(html.contains("id=\"pole-oddzialy_sp\"") && html.contains("aria-invalid=\"true\""));
        assert!(html.contains("id=\"pole-uczniowie_sp-komentarz\""), "the comment box is there, not folded");
        assert!(html.contains("role=\"alert\"") && html.contains("autofocus"));
        assert!(html.contains("1 błąd") && html.contains("1 ostrzeżenie"), "{html}");
        assert!(html.contains("inputmode=\"decimal\""));
        assert!(html.contains("value=\"tok&lt;en&gt;\""), "the token is escaped");
        assert!(html.contains("1\u{a0}234,5"), "last year's value in Polish");
        // Every aria-describedby names ids that exist.
        for part in html.split("aria-describedby=\"").skip(1) {
            for id in part[..part.find('"').unwrap()].split(' ') {
                assert!(html.contains(&format!("id=\"{id}\"")), "{id} is described but missing");
            }
        }
    }

    #[test]
    fn a_page_without_findings_has_no_summary_and_english_is_english() {
        let p = page(Mode::Edit, vec![]);
        let (title, body) = entry_page(L { en: true }, &p);
        let html = body.into_string();
        assert!(!html.contains("podsumowanie"));
        assert!(!title.starts_with("Error"));
        assert!(html.contains("Save draft") && html.contains("Submit for verification") && !html.contains("Zapisz"));
        assert!(html.contains("action=\"/ankiety/3/jst/0201011?lang=en\""));
    }

    #[test]
    fn verification_shows_values_and_the_two_decisions_only_for_a_submitted_answer() {
        let mut p = page(Mode::Verify, vec![finding("uczniowie_sp", false)]);
        p.state = UnitState::Submitted;
        p.fields[0].value = Some(10.0);
        p.fields[0].comment = "nowa szkoła".into();
        let html = entry_page(L::PL, &p).1.into_string();
        assert!(html.contains("value=\"zatwierdz\"") && html.contains("value=\"zwroc\""));
        assert!(html.contains("nowa szkoła"), "the unit's comment is shown to the verifier");
        assert!(!html.contains("name=\"w.uczniowie_sp\""), "no inputs for the verifier");
        p.state = UnitState::Approved;
        let html = entry_page(L::PL, &p).1.into_string();
        assert!(!html.contains("value=\"zatwierdz\""));
    }

    #[test]
    fn numbers_in_inputs_are_plain_and_use_the_page_language() {
        assert_eq!(input_number(L::PL, 1234.5), "1234,5");
        assert_eq!(input_number(L { en: true }, 1234.5), "1234.5");
        assert_eq!(input_number(L::PL, 12.0), "12");
        assert_eq!(input_number(L::PL, f64::NAN), "");
        assert_eq!(field_id("a\"b c"), "pole-abc");
    }

    #[test]
    fn states_read_back_from_the_store() {
        assert_eq!(state_of(Some(camp::SubmissionState::Approved), true), UnitState::Published);
        assert_eq!(state_of(Some(camp::SubmissionState::Approved), false), UnitState::Approved);
        assert_eq!(state_of(None, false), UnitState::NotStarted);
        assert!(UnitState::Approved.sent() && !UnitState::Returned.sent());
        assert_eq!(Notice::parse(Notice::Uploaded.param()), Some(Notice::Uploaded));
    }
}
