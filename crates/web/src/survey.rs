//! Service-user surveys on the web (issue 19): the public list of question sets and
//! comparisons (`/badania`), a set's questions (admins add versions), a unit's campaigns
//! (`/jst/{code}/badania…`: open one, more one-time links, paper results, moderation, consent
//! to be named, close), the public survey form (`/badanie/{slug}`), the comparison under
//! letters (`/badania/porownanie/{set}/{year}`, CSV) and the API (`/api/v1/surveys…`).
//!
//! Who is named is decided by `app::surveys::Viewer` and its `Label`, never here. The survey
//! form works without JavaScript and without a login: its CSRF token is the double-submit
//! cookie of `/grupy` set on the form's own path; open links are rate limited in memory per
//! node, keyed by the SHA-256 of (slug, address), so that not even this node's memory keeps
//! a respondent's address. Nothing about a respondent is audited. Every page is per-request
//! (`no-store`; `private, no-store` with a user) and never enters the page cache.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use app::accounts::Action;
use app::surveys::{
    self as sv, Answer, CampaignFields, CampaignView, Comparison, Label, Mode, QuestionResult, Results, SetView, SurveyError, Viewer,
};
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
use crate::layout::heading_name;

// ---------------------------------------------------------------------------------------
// Routes.

/// The largest paper-results file taken (as `app::surveys::import_paper` allows).
const MAX_PAPER_BYTES: usize = 5 * 1024 * 1024;

/// The request body of the paper upload: the file and the form's few fields.
const PAPER_BODY: usize = MAX_PAPER_BYTES + 64 * 1024;

/// The most one-time links made at once (as `app::surveys` allows).
const MAX_TOKENS: u32 = 5000;

/// The request body of the links' CSV: up to 5,000 links of 32 characters sent back.
const TOKENS_BODY: usize = 512 * 1024;

/// The longest free-text remark a respondent may leave.
const MAX_COMMENT_CHARS: usize = 2000;

/// The routes of the survey pages and their API.
pub fn routes() -> Router<Arc<AppState>> {
    // Written out so that `tests/access.rs` finds every POST route.
    Router::new()
        .route("/badania", get(index))
        .route("/badania/zestawy", post(set_add))
        .route("/badania/zestawy/{code}", get(set_page).post(set_version))
        .route("/badania/porownanie/{set}/{year}", get(comparison_page))
        .route("/jst/{code}/badania", get(unit_page).post(campaign_open))
        .route("/jst/{code}/badania/{id}", get(campaign_page))
        .route("/jst/{code}/badania/{id}/tokeny", post(campaign_tokens).layer(DefaultBodyLimit::max(TOKENS_BODY)))
        .route("/jst/{code}/badania/{id}/papier", post(campaign_paper).layer(DefaultBodyLimit::max(PAPER_BODY)))
        .route("/jst/{code}/badania/{id}/komentarze/{cid}", post(campaign_moderate))
        .route("/jst/{code}/badania/{id}/zgoda", post(campaign_named))
        .route("/jst/{code}/badania/{id}/zamknij", post(campaign_close))
        .route("/badanie/{slug}", get(survey_get).post(survey_post))
}

/// The public API of the comparisons, nested under `/api/v1` by `api::routes` (its CORS
/// header and JSON 404s).
pub fn api_routes() -> Router<Arc<AppState>> {
    Router::new().route("/surveys", get(api_list)).route("/surveys/{set}/{year}", get(api_comparison))
}

// ---------------------------------------------------------------------------------------
// The rate limit of open links.

/// Answers an hour from one client to one open link.
const PER_CLIENT_HOUR: usize = 10;
/// Answers an hour to one open link from everyone.
const PER_SLUG_HOUR: usize = 600;
/// The clients and links remembered at most; past it the least recently seen are forgotten.
const MAX_KEYS: usize = 50_000;
const HOUR: Duration = Duration::from_secs(3600);

/// Sliding one-hour windows of answers per (slug, client) and per slug. A client is known
/// only by the SHA-256 of its slug and address; every window holds at most its limit of
/// instants and the maps at most [`MAX_KEYS`] keys, so the memory is bounded whatever comes.
#[derive(Debug, Default)]
struct Limiter {
    clients: HashMap<String, VecDeque<Instant>>,
    slugs: HashMap<String, VecDeque<Instant>>,
}

impl Limiter {
    /// Whether one more answer may come now; when it may, it is counted.
    fn admit(&mut self, slug: &str, address: &str, now: Instant) -> bool {
        let client = app::accounts::hash_token(&format!("{slug}\n{address}"));
        let fresh = |w: &mut VecDeque<Instant>| {
            while w.front().is_some_and(|t| now.saturating_duration_since(*t) >= HOUR) {
                w.pop_front();
            }
        };
        if let Some(w) = self.clients.get_mut(&client) {
            fresh(w);
            if w.len() >= PER_CLIENT_HOUR {
                return false;
            }
        }
        if let Some(w) = self.slugs.get_mut(slug) {
            fresh(w);
            if w.len() >= PER_SLUG_HOUR {
                return false;
            }
        }
        Self::room(&mut self.clients, now);
        Self::room(&mut self.slugs, now);
        self.clients.entry(client).or_default().push_back(now);
        self.slugs.entry(slug.to_owned()).or_default().push_back(now);
        true
    }

    /// Makes room for one more key: first the windows that have emptied, then the least
    /// recently used one.
    fn room(map: &mut HashMap<String, VecDeque<Instant>>, now: Instant) {
        if map.len() < MAX_KEYS {
            return;
        }
        map.retain(|_, w| w.back().is_some_and(|t| now.saturating_duration_since(*t) < HOUR));
        if map.len() >= MAX_KEYS
            && let Some(oldest) = map.iter().min_by_key(|(_, w)| w.back().copied()).map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
    }
}

/// This node's limiter (the contract: in memory, per node).
fn limiter() -> &'static Mutex<Limiter> {
    static LIMITER: OnceLock<Mutex<Limiter>> = OnceLock::new();
    LIMITER.get_or_init(|| Mutex::new(Limiter::default()))
}

fn admit(slug: &str, address: Option<&str>) -> bool {
    match limiter().lock() {
        Ok(mut l) => l.admit(slug, address.unwrap_or(""), Instant::now()),
        // A panic elsewhere while holding the lock: keep counting in what is left.
        Err(poisoned) => poisoned.into_inner().admit(slug, address.unwrap_or(""), Instant::now()),
    }
}

// ---------------------------------------------------------------------------------------
// Words and numbers.

const CSS: &str = r#"
.sv-notice{border:2px solid #00573f;border-radius:4px;padding:.5rem 1rem;margin:1rem 0}
.sv-errors{border:3px solid #8f2d00;border-radius:4px;padding:.5rem 1rem;margin:1rem 0}
.sv-errors:focus{outline:3px solid #b35c00;outline-offset:2px}
.sv-errors h2{margin:.25rem 0 .5rem;font-size:1.1rem}
.sv-q{border:1px solid #b5b5b5;border-radius:4px;margin:1rem 0;padding:.5rem 1rem 1rem}
.sv-q legend{font-weight:700;padding:0 .25rem;max-width:100%}
.sv-q.sv-bad{border:3px solid #8f2d00}
.sv-scale{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0 0;padding:0;list-style:none}
.sv-scale label{display:flex;align-items:center;gap:.5rem;min-height:44px;min-width:44px;padding:.25rem .75rem;border:1px solid #595959;border-radius:4px;cursor:pointer;background:#fff}
.sv-scale input{width:1.4rem;height:1.4rem;margin:0;flex:none}
.sv-scale label:focus-within{outline:3px solid #b35c00;outline-offset:2px}
.sv-scale input:checked+span{font-weight:700}
.sv-form button{min-height:44px;padding:.5rem 1.25rem;font-size:1.05rem}
.sv-form textarea{min-height:6rem}
.sv-link{overflow-wrap:anywhere;font-family:ui-monospace,monospace}
.sv-inline{display:inline}
dl.sv-meta{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.15rem 1rem;margin:.5rem 0}
dl.sv-meta dt{font-weight:700}dl.sv-meta dd{margin:0;overflow-wrap:anywhere}
.sv-fields p{margin:.6rem 0}.sv-fields input[type=text],.sv-fields input[type=number],.sv-fields input[type=date],.sv-fields select{width:20rem;max-width:100%}
@media (max-width:40rem){.sv-scale li{flex:1 1 100%}.sv-scale label{width:100%}dl.sv-meta{grid-template-columns:minmax(0,1fr)}}
"#;

fn style() -> Markup {
    html! { style { (PreEscaped(CSS)) } }
}

fn csrf_input(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A mean and its interval: `4,2 (3,9–4,5)`.
fn mean_text(l: L, mean: Option<f64>, lo: Option<f64>, hi: Option<f64>) -> String {
    match (mean, lo, hi) {
        (Some(m), Some(lo), Some(hi)) => format!("{} ({}–{})", l.num(m, 1), l.num(lo, 1), l.num(hi, 1)),
        (Some(m), _, _) => l.num(m, 1),
        _ => "—".to_owned(),
    }
}

/// A share in per cent and its Wilson interval: `82% (71–89%)` (`app::surveys` gives per cent).
fn share_text(l: L, share: Option<f64>, lo: Option<f64>, hi: Option<f64>) -> String {
    let pc = |v: f64| l.num(v, 0);
    match (share, lo, hi) {
        (Some(s), Some(lo), Some(hi)) => format!("{}% ({}–{}%)", pc(s), pc(lo), pc(hi)),
        (Some(s), _, _) => format!("{}%", pc(s)),
        _ => "—".to_owned(),
    }
}

/// Below the minimum: `za mało odpowiedzi (n = 12 < 30)`.
fn too_few(l: L, n: u64, min: u32) -> String {
    format!("{} (n = {n} < {min})", l.t("za mało odpowiedzi", "too few answers"))
}

/// A stored time (`YYYY-MM-DDTHH:MM:SS…`) as a date.
fn date(t: &str) -> &str {
    t.get(..10).unwrap_or(t)
}

/// The two modes in words.
fn mode_words(l: L, mode: Mode) -> &'static str {
    match mode {
        Mode::Tokens => l.t("jednorazowe linki (jeden link — jedna odpowiedź)", "one-time links (one link, one answer)"),
        Mode::Open => l.t("link otwarty (każdy, kto go zna)", "open link (anyone who has it)"),
    }
}

/// The short method note of results and comparisons.
fn method_note(l: L) -> Markup {
    html! {
        section aria-labelledby="metoda" {
            h2 id="metoda" { (l.t("Jak to liczymy", "How it is computed")) }
            ul {
                li { (l.t("Odpowiedzi w skali 1–5 (5 — najlepiej). Średnia ocen każdego pytania z 95-procentowym przedziałem ufności (rozkład t Studenta); ocena ogólna to średnia ze średnich ocen poszczególnych osób.",
                          "Answers on a 1–5 scale (5 is best). The mean score of each question with its 95% confidence interval (Student's t); the overall score is the mean of each respondent's mean score.")) }
                li { (l.t("Odsetek zadowolonych: oceny od progu zestawu w górę (zwykle 4 i 5) wśród wszystkich ocen, z 95-procentowym przedziałem Wilsona.",
                          "Share satisfied: scores from the set's threshold up (usually 4 and 5) among all scores, with the 95% Wilson interval.")) }
                li { (l.t("Odpowiedzi „nie wiem” i pytania bez odpowiedzi są pomijane w obu miarach.",
                          "“Don't know” answers and unanswered questions are left out of both figures.")) }
                li { (l.t("Wyniki pokazujemy dopiero od minimalnej liczby odpowiedzi (zwykle 30): przy mniejszej próbie nie liczymy ich wcale.",
                          "Results are shown only from the minimum number of answers (usually 30): below it nothing is computed.")) }
                li { (l.t("Jednostki występują pod literami (A, B, …); z nazwy widać tylko te, które się na to zgodziły, oraz — dla osób z rolą w jednostce — własną.",
                          "Units appear as letters (A, B, …); only those that agreed are named, and — to people with a role in it — one's own.")) }
            }
        }
    }
}

/// A short message after a successful POST (`komunikat` of the redirect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notice {
    Opened,
    Paper,
    Moderated,
    Named,
    Unnamed,
    Closed,
    SetSaved,
}

const NOTICES: [(Notice, &str, &str, &str); 7] = [
    (Notice::Opened, "otwarto", "Otwarto badanie.", "The survey is open."),
    (Notice::Paper, "papier", "Wczytano wyniki z papieru.", "The paper results are read in."),
    (Notice::Moderated, "moderacja", "Zapisano decyzję o uwadze.", "The decision on the remark is saved."),
    (Notice::Named, "zgoda", "Jednostka będzie widoczna z nazwy w porównaniu.", "The unit will be named in the comparison."),
    (Notice::Unnamed, "bez-zgody", "Jednostka będzie widoczna tylko pod literą.", "The unit will be shown by its letter only."),
    (Notice::Closed, "zamknieto", "Badanie zamknięto: nie przyjmuje już odpowiedzi.", "The survey is closed: it takes no more answers."),
    (Notice::SetSaved, "zestaw", "Zapisano nową wersję zestawu pytań.", "A new version of the question set is saved."),
];

impl Notice {
    fn param(self) -> &'static str {
        NOTICES.iter().find(|n| n.0 == self).map_or("", |n| n.1)
    }

    fn of(uri: &Uri) -> Option<Notice> {
        let v = uri.query()?.split('&').find_map(|kv| kv.strip_prefix("komunikat="))?;
        NOTICES.iter().find(|n| n.1 == v).map(|n| n.0)
    }

    fn show(notice: Option<Notice>, l: L) -> Markup {
        html! {
            @if let Some(n) = notice.and_then(|n| NOTICES.iter().find(|x| x.0 == n)) {
                p.sv-notice role="status" { (l.t(n.2, n.3)) }
            }
        }
    }
}

/// A 303 to `path` in the page's language with a status message.
fn see_other(l: L, path: &str, notice: Notice) -> Response {
    let to = l.href(&format!("{path}?komunikat={}", notice.param()));
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/"))),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response()
}

/// An app error as these pages answer it.
fn app_fail(e: app::AppError) -> WebError {
    match e {
        app::AppError::NotFound(_) => WebError::NotFound,
        e => WebError::from(e),
    }
}

type Pairs = Vec<(String, String)>;

fn val<'a>(pairs: &'a Pairs, key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
}

fn pairs_of(form: Result<Form<Pairs>, FormRejection>) -> Pairs {
    form.map(|Form(p)| p).unwrap_or_default()
}

/// A unit's label as these pages write it: its name (and the service surveyed) when the
/// viewer may see it, else `Uczestnik B`.
fn label_text(l: L, label: &Label) -> String {
    match label {
        Label::Named { name, service, .. } => format!("{name} — {service}"),
        Label::Letter(letter) => format!("{} {letter}", l.t("Uczestnik", "Participant")),
    }
}

// ---------------------------------------------------------------------------------------
// Reading multipart forms (the paper upload).

/// The parts of a multipart form: text fields and at most one file (`plik`).
struct Parts {
    text: Vec<(String, String)>,
    file: Option<(String, Vec<u8>)>,
}

impl Parts {
    fn get(&self, key: &str) -> &str {
        self.text.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
    }
}

/// Why a multipart form was not read.
enum PartsError {
    TooLarge,
    Broken,
}

async fn read_parts(multipart: Result<Multipart, MultipartRejection>) -> Result<Parts, PartsError> {
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
        if count > 20 {
            return Err(PartsError::Broken);
        }
        let name = field.name().unwrap_or("").to_owned();
        let is_file = name == "plik" && field.file_name().is_some();
        let file_name = field.file_name().unwrap_or("").to_owned();
        let max = if is_file { MAX_PAPER_BYTES } else { 4096 };
        let mut bytes = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > max {
                        return Err(PartsError::TooLarge);
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(PartsError::TooLarge),
                Err(_) => return Err(PartsError::Broken),
            }
        }
        if is_file {
            if !bytes.is_empty() {
                parts.file = Some((file_name, bytes));
            }
        } else {
            parts.text.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    Ok(parts)
}

// ---------------------------------------------------------------------------------------
// The public list and the question sets.

fn title_of(l: L, set: &SetView) -> &str {
    l.t(&set.set.title_pl, &set.set.title_en)
}

/// `GET /badania`: the question sets, the comparisons there are, the method.
async fn index(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let l = ctx.lang;
    let sets = match sv::sets(&state.store).await {
        Ok(s) => s,
        Err(e) => return ctx.error(app_fail(e)),
    };
    let comparisons = match sv::comparisons(&state.store).await {
        Ok(c) => c,
        Err(e) => return ctx.error(app_fail(e)),
    };
    let admin = ctx.user.as_ref().is_some_and(|u| u.is_admin());
    let body = index_body(l, &sets, &comparisons, admin.then_some(ctx.csrf.as_str()), None, "");
    ctx.page(StatusCode::OK, l.t("Badania opinii mieszkańców", "Service-user surveys"), body)
}

/// The list page; `admin` carries the CSRF token of the new-set form, shown to admins.
fn index_body(l: L, sets: &[SetView], comparisons: &[sv::ComparisonInfo], admin: Option<&str>, problem: Option<&str>, toml: &str) -> Markup {
    html! {
        (style())
        h1 { (l.t("Badania opinii mieszkańców", "Service-user surveys")) }
        p { (l.t("Jednostki pytają użytkowników swoich usług — rodziców o szkołę, klientów o ośrodek pomocy społecznej — tym samym zestawem pytań, a wyniki porównują między sobą pod literami.",
                 "Units ask the users of their services — parents about a school, clients about the social-assistance centre — the same set of questions, and compare the results with each other under letters.")) }
        h2 id="zestawy" { (l.t("Zestawy pytań", "Question sets")) }
        @if sets.is_empty() {
            p { (l.t("Nie ma jeszcze zestawów pytań.", "There are no question sets yet.")) }
        } @else {
            ul {
                @for s in sets {
                    li {
                        a href=(l.href(&format!("/badania/zestawy/{}", s.code))) { (title_of(l, s)) }
                        " " span.small.muted { "(" (s.code) ", " (l.t("wersja", "version")) " " (s.version) ", " (s.set.questions.len()) " " (l.noun(s.set.questions.len(), ["pytanie", "pytania", "pytań"], ["question", "questions"])) ")" }
                    }
                }
            }
        }
        h2 id="porownania" { (l.t("Porównania", "Comparisons")) }
        @if comparisons.is_empty() {
            p { (l.t("Nie ma jeszcze żadnego badania.", "There are no surveys yet.")) }
        } @else {
            ul {
                @for c in comparisons {
                    li {
                        a href=(l.href(&format!("/badania/porownanie/{}/{}", c.set_code, c.year))) { (c.set_code) " " (c.year) }
                        " " span.small.muted { "(" (c.campaigns) " " (l.noun(usize::try_from(c.campaigns).unwrap_or(usize::MAX), ["badanie", "badania", "badań"], ["survey", "surveys"])) ")" }
                    }
                }
            }
        }
        (method_note(l))
        @if let Some(csrf) = admin {
            section aria-labelledby="nowy-zestaw" {
                h2 id="nowy-zestaw" { (l.t("Nowy zestaw pytań", "A new question set")) }
                (set_form(l, "/badania/zestawy", csrf, toml, problem))
            }
        }
    }
}

/// The TOML form of a set (a new one or a new version).
fn set_form(l: L, action: &str, csrf: &str, toml: &str, problem: Option<&str>) -> Markup {
    html! {
        form.sv-fields method="post" action=(l.href(action)) novalidate {
            (csrf_input(csrf))
            @if let Some(p) = problem {
                div.sv-errors role="alert" tabindex="-1" {
                    h2 { (l.t("Zestaw nie został zapisany", "The set was not saved")) }
                    p { a href="#zestaw-toml" { span id="zestaw-toml-blad" { (p) } } }
                }
            }
            p {
                label for="zestaw-toml" { (l.t("Definicja zestawu (TOML)", "The set's definition (TOML)")) } br;
                textarea id="zestaw-toml" name="toml" rows="20" spellcheck="false" required
                    aria-invalid=[problem.map(|_| "true")] aria-describedby=[problem.map(|_| "zestaw-toml-blad")] { (toml) }
            }
            p { button type="submit" { (l.t("Zapisz zestaw", "Save the set")) } }
        }
    }
}

/// `GET /badania/zestawy/{code}`.
async fn set_page(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri, path: Result<Path<String>, PathRejection>) -> Response {
    let Ok(Path(code)) = path else { return ctx.error(WebError::NotFound) };
    let set = match sv::set(&state.store, &code).await {
        Ok(Some(s)) => s,
        Ok(None) => return ctx.error(WebError::NotFound),
        Err(e) => return ctx.error(app_fail(e)),
    };
    let body = set_body(&ctx, &set, Notice::of(&uri), None, &set.definition);
    ctx.page(StatusCode::OK, title_of(ctx.lang, &set), body)
}

fn set_body(ctx: &Ctx, set: &SetView, notice: Option<Notice>, problem: Option<&str>, toml: &str) -> Markup {
    let l = ctx.lang;
    let s = &set.set;
    let admin = ctx.user.as_ref().is_some_and(|u| u.is_admin());
    html! {
        (style())
        p { a href=(l.href("/badania")) { "← " (l.t("Badania opinii", "Surveys")) } }
        h1 { (title_of(l, set)) }
        (Notice::show(notice, l))
        dl.sv-meta {
            dt { (l.t("Kod", "Code")) } dd { code { (set.code) } }
            dt { (l.t("Wersja", "Version")) } dd { (set.version) " (" (date(&set.created_at)) ")" }
            dt { (l.t("Obszar", "Sector")) } dd { (l.area(&s.sector)) }
            dt { (l.t("Zadowoleni", "Satisfied")) } dd { (l.t("odpowiedzi od ", "answers from ")) (s.satisfied_from) (l.t(" w górę", " up")) }
        }
        @if let Some(intro) = if l.en { s.intro_en.as_deref() } else { s.intro_pl.as_deref() } {
            p style="white-space:pre-wrap" { (intro) }
        }
        h2 { (l.t("Pytania", "Questions")) }
        ol {
            @for q in &s.questions {
                li { (l.t(&q.text_pl, &q.text_en)) " " span.small.muted { "(" code { (q.code) } ")" } }
            }
        }
        p.small { (l.t("Każde pytanie ma odpowiedzi 1–5 (5 — najlepiej) i „nie wiem”.", "Every question takes 1–5 (5 is best) and “don't know”.")) }
        @if let Some((pl, en)) = &s.free_text {
            p { (l.t("Pole na uwagi: ", "Remarks field: ")) (l.t(pl, en)) }
        }
        @if admin {
            section aria-labelledby="nowa-wersja" {
                h2 id="nowa-wersja" { (l.t("Nowa wersja zestawu", "A new version of the set")) }
                p.small { (l.t("Badania już otwarte zostają przy swojej wersji; nowe używają najnowszej.", "Surveys already open keep their version; new ones use the newest.")) }
                (set_form(l, &format!("/badania/zestawy/{}", set.code), &ctx.csrf, toml, problem))
            }
        }
    }
}

/// `POST /badania/zestawy`: a new set (admin).
async fn set_add(State(state): State<Arc<AppState>>, ctx: Ctx, form: Result<Form<Pairs>, FormRejection>) -> Response {
    let l = ctx.lang;
    let pairs = pairs_of(form);
    if let Err(e) = ctx.check_csrf(val(&pairs, "csrf")) {
        return ctx.error(e);
    }
    if let Err(e) = ctx.require(Action::Administer, 0) {
        return ctx.error(e);
    }
    let toml = val(&pairs, "toml");
    match sv::add_set(&state.store, toml, "formularz.toml", &ctx.actor()).await {
        Ok(set) => see_other(l, &format!("/badania/zestawy/{}", set.code), Notice::SetSaved),
        Err(app::AppError::Invalid(why)) => {
            let (sets, comparisons) = match (sv::sets(&state.store).await, sv::comparisons(&state.store).await) {
                (Ok(s), Ok(c)) => (s, c),
                (Err(e), _) | (_, Err(e)) => return ctx.error(app_fail(e)),
            };
            let body = index_body(l, &sets, &comparisons, Some(&ctx.csrf), Some(&why), toml);
            ctx.page(StatusCode::BAD_REQUEST, l.t("Badania opinii mieszkańców", "Service-user surveys"), body)
        }
        Err(e) => ctx.error(app_fail(e)),
    }
}

/// The `code` a set's TOML declares in its `[set]` table, read line by line before the text
/// goes to `app::surveys::add_set` (which reads it whole and names any error): enough to
/// refuse a definition of another set sent under this set's address. None when not found
/// in the plain `code = "…"` form (then `add_set` decides).
fn declared_code(toml: &str) -> Option<String> {
    let mut in_set = false;
    for line in toml.lines().take(1000) {
        let line = line.trim();
        if line.starts_with('[') {
            in_set = line == "[set]";
            continue;
        }
        if !in_set {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        if key.trim() != "code" {
            continue;
        }
        let value = value.split('#').next().unwrap_or("").trim();
        let unquoted =
            value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')));
        return unquoted.map(str::to_owned);
    }
    None
}

/// `POST /badania/zestawy/{code}`: a new version of a set (admin); the TOML must keep the code.
async fn set_version(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = pairs_of(form);
    if let Err(e) = ctx.check_csrf(val(&pairs, "csrf")) {
        return ctx.error(e);
    }
    if let Err(e) = ctx.require(Action::Administer, 0) {
        return ctx.error(e);
    }
    let Ok(Path(code)) = path else { return ctx.error(WebError::NotFound) };
    let set = match sv::set(&state.store, &code).await {
        Ok(Some(s)) => s,
        Ok(None) => return ctx.error(WebError::NotFound),
        Err(e) => return ctx.error(app_fail(e)),
    };
    let toml = val(&pairs, "toml");
    let refuse = |why: String| {
        let body = set_body(&ctx, &set, None, Some(&why), toml);
        ctx.page(StatusCode::BAD_REQUEST, title_of(l, &set), body)
    };
    // The code in the text decides which set it is: a form under another set's address
    // must not quietly add to a third.
    if let Some(code) = declared_code(toml)
        && code != set.code
    {
        return refuse(format!(
            "{}: {code} ≠ {}",
            l.t("kod zestawu w definicji musi być ten sam co w adresie", "the set's code in the definition must be the one in the address"),
            set.code
        ));
    }
    match sv::add_set(&state.store, toml, "formularz.toml", &ctx.actor()).await {
        Ok(set) => see_other(l, &format!("/badania/zestawy/{}", set.code), Notice::SetSaved),
        Err(app::AppError::Invalid(why)) => refuse(why),
        Err(e) => ctx.error(app_fail(e)),
    }
}

// ---------------------------------------------------------------------------------------
// A unit's campaigns.

/// The unit a `/jst/{code}/badania…` path names.
struct Unit {
    id: i64,
    code: String,
    /// `Gmina X` as headings write it.
    name: String,
}

impl Unit {
    fn base(&self) -> String {
        format!("/jst/{}/badania", self.code)
    }
}

async fn unit_of(state: &AppState, l: L, code: &str) -> Result<Unit, WebError> {
    let code = TerytCode::parse_lenient(code).map_err(|_| WebError::NotFound)?;
    let id = state.store.unit_id_for_code(&code).await?.ok_or(WebError::NotFound)?;
    let unit = state.store.unit(id).await?.ok_or(WebError::NotFound)?;
    Ok(Unit { id, code: unit.code.as_str().to_owned(), name: heading_name(l, &unit.name, unit.kind) })
}

/// Whether the reader may see the unit's campaigns: a role that runs surveys or reads the
/// unit's unpublished data. Anyone else gets 404 (the pages do not say they exist).
fn may_see(ctx: &Ctx, unit_id: i64) -> bool {
    ctx.user.as_ref().is_some_and(|u| u.can(Action::RunSurvey, unit_id) || u.can(Action::ReadUnpublished, unit_id))
}

fn may_run(ctx: &Ctx, unit_id: i64) -> bool {
    ctx.user.as_ref().is_some_and(|u| u.can(Action::RunSurvey, unit_id))
}

/// The unit of a GET: 404 unless the reader may see it.
async fn seen_unit(state: &AppState, ctx: &Ctx, code: &str) -> Result<Unit, WebError> {
    let unit = unit_of(state, ctx.lang, code).await?;
    if may_see(ctx, unit.id) { Ok(unit) } else { Err(WebError::NotFound) }
}

/// The campaign `id` of the unit (404 when it is another unit's).
async fn campaign_of(state: &AppState, unit: &Unit, id: &str) -> Result<CampaignView, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    match sv::campaign(&state.store, id).await.map_err(app_fail)? {
        Some(c) if c.unit_id == unit.id => Ok(c),
        _ => Err(WebError::NotFound),
    }
}

/// The form that opens a campaign, as typed.
#[derive(Debug, Clone)]
struct OpenForm {
    set: String,
    service: String,
    year: String,
    mode: String,
    tokens: String,
    min: String,
    opens: String,
    closes: String,
    named: bool,
}

/// What is wrong with a field (`field`: the input's name; empty: the form as a whole).
#[derive(Debug, Clone)]
struct FieldError {
    field: String,
    text: String,
}

fn field_error(l: L, field: &str, pl: &str, en: &str) -> FieldError {
    FieldError { field: field.to_owned(), text: l.t(pl, en).to_owned() }
}

fn parse_date(text: &str) -> Option<time::Date> {
    time::Date::parse(text.trim(), time::macros::format_description!("[year]-[month]-[day]")).ok()
}

impl OpenForm {
    fn empty(sets: &[SetView]) -> OpenForm {
        let today = app::campaigns::today();
        let closes = today.checked_add(time::Duration::days(30)).unwrap_or(today);
        OpenForm {
            set: sets.first().map(|s| s.code.clone()).unwrap_or_default(),
            service: String::new(),
            year: today.year().to_string(),
            mode: "otwarty".into(),
            tokens: "100".into(),
            min: "30".into(),
            opens: today.to_string(),
            closes: closes.to_string(),
            named: false,
        }
    }

    fn read(pairs: &Pairs) -> OpenForm {
        let t = |k: &str| val(pairs, k).trim().to_owned();
        OpenForm {
            set: t("zestaw"),
            service: t("usluga"),
            year: t("rok"),
            mode: t("tryb"),
            tokens: t("liczba"),
            min: t("minimum"),
            opens: t("od"),
            closes: t("do"),
            named: matches!(val(pairs, "zgoda"), "1" | "on" | "tak"),
        }
    }

    fn check(&self, l: L, unit_id: i64, sets: &[SetView]) -> Result<CampaignFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        if !sets.iter().any(|s| s.code == self.set) {
            errors.push(field_error(l, "zestaw", "Wybierz zestaw pytań z listy.", "Choose a question set from the list."));
        }
        if self.service.is_empty() {
            errors.push(field_error(
                l,
                "usluga",
                "Podaj, o jaką placówkę lub usługę pytacie (np. Szkoła Podstawowa nr 1).",
                "Name the institution or service asked about (e.g. Primary School no. 1).",
            ));
        } else if self.service.chars().count() > 200 {
            errors.push(field_error(l, "usluga", "Najwyżej 200 znaków.", "At most 200 characters."));
        }
        let year = self.year.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y));
        if year.is_none() {
            errors.push(field_error(l, "rok", "Rok: liczba od 2000 do 2100.", "The year: a number from 2000 to 2100."));
        }
        let mode = match self.mode.as_str() {
            "tokeny" => Some(Mode::Tokens),
            "otwarty" => Some(Mode::Open),
            _ => {
                errors.push(field_error(l, "tryb", "Wybierz rodzaj linku.", "Choose the kind of link."));
                None
            }
        };
        let tokens = if mode == Some(Mode::Tokens) {
            match self.tokens.parse::<u32>().ok().filter(|n| (1..=MAX_TOKENS).contains(n)) {
                Some(n) => n,
                None => {
                    errors.push(field_error(l, "liczba", "Liczba linków: od 1 do 5000.", "The number of links: 1 to 5000."));
                    0
                }
            }
        } else {
            0
        };
        let min = self.min.parse::<u32>().ok().filter(|n| (10..=1000).contains(n));
        if min.is_none() {
            errors.push(field_error(l, "minimum", "Minimalna liczba odpowiedzi: od 10 do 1000.", "The minimum number of answers: 10 to 1000."));
        }
        let opens = parse_date(&self.opens);
        if opens.is_none() {
            errors.push(field_error(l, "od", "Data otwarcia w postaci RRRR-MM-DD.", "The opening date as YYYY-MM-DD."));
        }
        let closes = parse_date(&self.closes);
        match (opens, closes) {
            (_, None) => errors.push(field_error(l, "do", "Data zamknięcia w postaci RRRR-MM-DD.", "The closing date as YYYY-MM-DD.")),
            (Some(o), Some(c)) if c < o => errors.push(field_error(
                l,
                "do",
                "Data zamknięcia nie może być wcześniejsza niż data otwarcia.",
                "The closing date cannot come before the opening date.",
            )),
            _ => {}
        }
        match (year, mode, min, opens, closes) {
            (Some(year), Some(mode), Some(min_answers), Some(opens_on), Some(closes_on)) if errors.is_empty() => Ok(CampaignFields {
                set_code: self.set.clone(),
                unit_id,
                service: self.service.clone(),
                year,
                mode,
                tokens,
                min_answers,
                opens_on,
                closes_on,
                named: self.named,
            }),
            _ => Err(errors),
        }
    }
}

/// The errors of a refused form, each a link to its field.
fn error_summary(l: L, form: &str, errors: &[FieldError]) -> Markup {
    if errors.is_empty() {
        return html! {};
    }
    html! {
        div.sv-errors id={ (form) "-bledy" } tabindex="-1" role="alert" aria-labelledby={ (form) "-bledy-h" } autofocus {
            h2 id={ (form) "-bledy-h" } { (l.t("Popraw błędy", "Correct the errors")) " (" (errors.len()) ")" }
            ul {
                @for e in errors {
                    li {
                        @if e.field.is_empty() { (e.text) }
                        @else { a href={ "#" (form) "-" (e.field) } { (e.text) } }
                    }
                }
            }
        }
    }
}

/// An input's error (beside it) and its accessibility attributes.
fn field_message(form: &str, name: &str, errors: &[FieldError], l: L) -> (Option<String>, Markup) {
    match errors.iter().find(|e| e.field == name) {
        Some(e) => {
            let id = format!("{form}-{name}-blad");
            (Some(id.clone()), html! { span.bad id=(id) { span.sr { (l.t("Błąd: ", "Error: ")) } (e.text) } br; })
        }
        None => (None, html! {}),
    }
}

fn open_form(l: L, unit: &Unit, sets: &[SetView], f: &OpenForm, errors: &[FieldError], csrf: &str) -> Markup {
    let input = |name: &'static str, label: &str, kind: &str, value: &str, help: Option<&str>| {
        let (err, msg) = field_message("nb", name, errors, l);
        let help_id = help.map(|_| format!("nb-{name}-pomoc"));
        let described: Vec<String> = help_id.iter().cloned().chain(err.clone()).collect();
        html! {
            p {
                label for={ "nb-" (name) } { (label) } br;
                @if let (Some(h), Some(id)) = (help, &help_id) { span.small.muted id=(id) { (h) } br; }
                (msg)
                input id={ "nb-" (name) } name=(name) type=(kind) value=(value)
                    aria-invalid=[err.as_ref().map(|_| "true")] aria-describedby=[(!described.is_empty()).then(|| described.join(" "))];
            }
        }
    };
    let (set_err, set_msg) = field_message("nb", "zestaw", errors, l);
    let (mode_err, mode_msg) = field_message("nb", "tryb", errors, l);
    html! {
        (error_summary(l, "nb", errors))
        form.sv-fields method="post" action=(l.href(&unit.base())) novalidate {
            (csrf_input(csrf))
            p {
                label for="nb-zestaw" { (l.t("Zestaw pytań", "Question set")) } br;
                (set_msg)
                select id="nb-zestaw" name="zestaw" aria-invalid=[set_err.as_ref().map(|_| "true")] aria-describedby=[set_err] {
                    @for s in sets { option value=(s.code) selected[s.code == f.set] { (title_of(l, s)) } }
                }
            }
            (input("usluga", l.t("Placówka lub usługa", "Institution or service"), "text", &f.service, Some(l.t("np. Szkoła Podstawowa nr 1 w …", "e.g. Primary School no. 1 in …"))))
            (input("rok", l.t("Rok badania", "Year of the survey"), "number", &f.year, None))
            fieldset aria-describedby=[mode_err.clone()] {
                legend { (l.t("Rodzaj linku", "Kind of link")) }
                (mode_msg)
                p {
                    input id="nb-tryb" type="radio" name="tryb" value="otwarty" checked[f.mode == "otwarty"];
                    " " label for="nb-tryb" { (mode_words(l, Mode::Open)) }
                }
                p {
                    input id="nb-tryb-tokeny" type="radio" name="tryb" value="tokeny" checked[f.mode == "tokeny"];
                    " " label for="nb-tryb-tokeny" { (mode_words(l, Mode::Tokens)) }
                }
            }
            (input("liczba", l.t("Liczba jednorazowych linków", "Number of one-time links"), "number", &f.tokens, Some(l.t("Tylko dla jednorazowych linków; później można dorobić kolejne.", "One-time links only; more can be made later."))))
            (input("minimum", l.t("Minimalna liczba odpowiedzi do pokazania wyników", "Minimum answers before results are shown"), "number", &f.min, None))
            (input("od", l.t("Otwarte od (RRRR-MM-DD)", "Open from (YYYY-MM-DD)"), "date", &f.opens, None))
            (input("do", l.t("Otwarte do (RRRR-MM-DD, włącznie)", "Open until (YYYY-MM-DD, inclusive)"), "date", &f.closes, None))
            p {
                input id="nb-zgoda" type="checkbox" name="zgoda" value="1" checked[f.named];
                " " label for="nb-zgoda" { (l.t("Zgadzamy się, by w porównaniu widniała nazwa naszej jednostki", "We agree that our unit is named in the comparison")) }
            }
            p { button type="submit" { (l.t("Otwórz badanie", "Open the survey")) } }
        }
    }
}

fn unit_body(
    ctx: &Ctx,
    unit: &Unit,
    campaigns: &[CampaignView],
    sets: &[SetView],
    form: &OpenForm,
    errors: &[FieldError],
    notice: Option<Notice>,
) -> Markup {
    let l = ctx.lang;
    html! {
        (style())
        p { a href=(l.href(&format!("/jst/{}", unit.code))) { "← " (l.t("Karta: ", "Card: ")) (unit.name) } }
        h1 { (l.t("Badania opinii: ", "Surveys: ")) (unit.name) }
        (Notice::show(notice, l))
        @if campaigns.is_empty() {
            p { (l.t("Jednostka nie prowadzi jeszcze badań.", "The unit runs no surveys yet.")) }
        } @else {
            div.scroll role="region" aria-labelledby="lista-badan" tabindex="0" {
                table.stack {
                    caption id="lista-badan" { (l.t("Badania jednostki", "The unit's surveys")) }
                    thead { tr {
                        th scope="col" { (l.t("Badanie", "Survey")) }
                        th scope="col" { (l.t("Rok", "Year")) }
                        th scope="col" { (l.t("Otwarte", "Open")) }
                        th scope="col" { (l.t("Stan", "State")) }
                        th.num scope="col" { (l.t("Odpowiedzi", "Answers")) }
                    } }
                    tbody {
                        @for c in campaigns {
                            tr {
                                th scope="row" { a href=(l.href(&format!("{}/{}", unit.base(), c.id))) { (c.set_code) ": " (c.service) } }
                                td data-label=(l.t("Rok", "Year")) { (c.year) }
                                td data-label=(l.t("Otwarte", "Open")) { (c.opens_on) " – " (c.closes_on) }
                                td data-label=(l.t("Stan", "State")) { (state_words(l, c)) }
                                td.num data-label=(l.t("Odpowiedzi", "Answers")) { (c.responses) }
                            }
                        }
                    }
                }
            }
        }
        @if may_run(ctx, unit.id) {
            section aria-labelledby="nowe-badanie" {
                h2 id="nowe-badanie" { (l.t("Nowe badanie", "A new survey")) }
                @if sets.is_empty() {
                    p { (l.t("Nie ma zestawów pytań: administrator musi je najpierw dodać.", "There are no question sets: an administrator must add them first.")) }
                } @else {
                    (open_form(l, unit, sets, form, errors, &ctx.csrf))
                }
            }
        }
        p { a href=(l.href("/badania")) { (l.t("Zestawy pytań i porównania", "Question sets and comparisons")) } }
    }
}

fn state_words(l: L, c: &CampaignView) -> &'static str {
    let today = app::campaigns::today();
    if !c.open || today > c.closes_on {
        l.t("zamknięte", "closed")
    } else if today < c.opens_on {
        l.t("jeszcze nie otwarte", "not open yet")
    } else {
        l.t("zbiera odpowiedzi", "collecting answers")
    }
}

/// `GET /jst/{code}/badania`.
async fn unit_page(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri, path: Result<Path<String>, PathRejection>) -> Response {
    let l = ctx.lang;
    let Ok(Path(code)) = path else { return ctx.error(WebError::NotFound) };
    let unit = match seen_unit(&state, &ctx, &code).await {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    let (campaigns, sets) = match (sv::campaigns_of_unit(&state.store, unit.id).await, sv::sets(&state.store).await) {
        (Ok(c), Ok(s)) => (c, s),
        (Err(e), _) | (_, Err(e)) => return ctx.error(app_fail(e)),
    };
    let form = OpenForm::empty(&sets);
    let body = unit_body(&ctx, &unit, &campaigns, &sets, &form, &[], Notice::of(&uri));
    ctx.page(StatusCode::OK, &format!("{}{}", l.t("Badania opinii: ", "Surveys: "), unit.name), body)
}

/// `POST /jst/{code}/badania`: opens a campaign; with one-time links, the answer is the
/// page that shows them (once).
async fn campaign_open(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = pairs_of(form);
    if let Err(e) = ctx.check_csrf(val(&pairs, "csrf")) {
        return ctx.error(e);
    }
    let Ok(Path(code)) = path else { return ctx.error(WebError::NotFound) };
    let unit = match unit_of(&state, l, &code).await {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    if let Err(e) = ctx.require(Action::RunSurvey, unit.id) {
        return ctx.error(e);
    }
    let sets = match sv::sets(&state.store).await {
        Ok(s) => s,
        Err(e) => return ctx.error(app_fail(e)),
    };
    let typed = OpenForm::read(&pairs);
    let refuse = |errors: Vec<FieldError>, campaigns: Vec<CampaignView>| {
        let body = unit_body(&ctx, &unit, &campaigns, &sets, &typed, &errors, None);
        ctx.page(StatusCode::BAD_REQUEST, &format!("{}{}", l.t("Badania opinii: ", "Surveys: "), unit.name), body)
    };
    let fields = match typed.check(l, unit.id, &sets) {
        Ok(f) => f,
        Err(errors) => {
            let campaigns = sv::campaigns_of_unit(&state.store, unit.id).await.unwrap_or_default();
            return refuse(errors, campaigns);
        }
    };
    match sv::open_campaign(&state.store, &fields, &ctx.actor()).await {
        Ok((id, tokens)) if tokens.is_empty() => see_other(l, &format!("{}/{id}", unit.base()), Notice::Opened),
        Ok((id, tokens)) => match sv::campaign(&state.store, id).await {
            Ok(Some(c)) => tokens_page(&state, &ctx, &unit, &c, &tokens),
            Ok(None) => ctx.error(WebError::NotFound),
            Err(e) => ctx.error(app_fail(e)),
        },
        Err(app::AppError::Invalid(why)) => {
            let campaigns = sv::campaigns_of_unit(&state.store, unit.id).await.unwrap_or_default();
            refuse(vec![FieldError { field: String::new(), text: why }], campaigns)
        }
        Err(e) => ctx.error(app_fail(e)),
    }
}

/// The public address of a campaign's form (absolute when the portal knows its address).
fn public_link(state: &AppState, slug: &str, token: Option<&str>) -> String {
    let base = state.options.public_url.as_deref().unwrap_or("").trim_end_matches('/');
    match token {
        Some(t) => format!("{base}/badanie/{slug}?t={t}"),
        None => format!("{base}/badanie/{slug}"),
    }
}

/// The page that shows fresh one-time links, once, with their CSV a button away.
fn tokens_page(state: &AppState, ctx: &Ctx, unit: &Unit, c: &CampaignView, tokens: &[String]) -> Response {
    let l = ctx.lang;
    let base = format!("{}/{}", unit.base(), c.id);
    let body = html! {
        (style())
        p { a href=(l.href(&base)) { "← " (l.t("Badanie", "The survey")) } }
        h1 { (l.t("Nowe jednorazowe linki", "New one-time links")) " (" (tokens.len()) ")" }
        div.sv-notice role="status" {
            p { strong { (l.t("Zapisz je teraz: Miernik pokazuje każdy link tylko raz", "Save them now: Miernik shows each link only once")) } " "
                (l.t("(przechowuje jedynie ich skróty, więc nie da się ich odtworzyć).", "(it keeps only their hashes, so they cannot be shown again).")) }
            p { (l.t("Każdy link przyjmuje jedną odpowiedź. Nic nie łączy linku z odpowiedzią, którą przyniósł.", "Each link takes one answer. Nothing ties a link to the answer it brought.")) }
        }
        form method="post" action=(l.href(&format!("{base}/tokeny"))) {
            (csrf_input(&ctx.csrf))
            input type="hidden" name="format" value="csv";
            input type="hidden" name="tokeny" value=(tokens.join(" "));
            p { button type="submit" { (l.t("Pobierz linki jako CSV", "Download the links as CSV")) } }
        }
        ol.sv-link {
            @for t in tokens { li { (public_link(state, &c.slug, Some(t))) } }
        }
    };
    ctx.page(StatusCode::OK, l.t("Nowe jednorazowe linki", "New one-time links"), body)
}

/// What the campaign page shows besides the campaign: a message, or a refused upload or
/// token request with its error.
#[derive(Default)]
struct Extras {
    notice: Option<Notice>,
    paper_error: Option<String>,
    tokens_error: Option<String>,
}

/// The results of a campaign (or a set's pooled figures) as a table.
fn results_table(l: L, id: &str, caption: &str, r: &Results) -> Markup {
    html! {
        @if !r.shown {
            p.box role="status" { strong { (too_few(l, r.n_responses, r.min_answers)) } " "
                (l.t("Wyniki pojawią się po osiągnięciu minimum; wcześniej nie są liczone.", "The results appear once the minimum is reached; until then they are not computed.")) }
        } @else {
            div.scroll role="region" aria-labelledby=(id) tabindex="0" {
                table {
                    caption id=(id) { (caption) " (n = " (r.n_responses) ")" }
                    thead { tr {
                        th scope="col" { (l.t("Pytanie", "Question")) }
                        th.num scope="col" { (l.t("Ocen", "Scores")) }
                        th.num scope="col" { (l.t("„Nie wiem”", "“Don't know”")) }
                        th.num scope="col" { (l.t("Średnia (95% przedział)", "Mean (95% interval)")) }
                        th.num scope="col" { (l.t("Zadowoleni (95% przedział)", "Satisfied (95% interval)")) }
                    } }
                    tbody {
                        @for q in r.questions.iter().chain(std::iter::once(&r.overall)) {
                            tr {
                                th scope="row" {
                                    @if std::ptr::eq(q, &r.overall) { strong { (l.t("Ocena ogólna (średnia ocen respondenta)", "Overall (each respondent's mean score)")) } }
                                    @else { (l.t(&q.text_pl, &q.text_en)) }
                                }
                                td.num { (q.n) }
                                td.num { (q.dont_know) }
                                @if q.mean.is_some() {
                                    td.num { (mean_text(l, q.mean, q.mean_lo, q.mean_hi)) }
                                    td.num { (share_text(l, q.satisfied_share, q.sat_lo, q.sat_hi)) }
                                } @else {
                                    // A question with fewer scores than the minimum is not computed either.
                                    td colspan="2" { (too_few(l, q.n, r.min_answers)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn campaign_body(state: &AppState, ctx: &Ctx, unit: &Unit, c: &CampaignView, extras: &Extras) -> Result<Markup, WebError> {
    let l = ctx.lang;
    let results = sv::results(&state.store, c.id).await.map_err(app_fail)?;
    let pending = sv::comments(&state.store, c.id, Some("pending")).await.map_err(app_fail)?;
    let published = sv::comments(&state.store, c.id, Some("published")).await.map_err(app_fail)?;
    let set = sv::set(&state.store, &c.set_code).await.map_err(app_fail)?;
    let run = may_run(ctx, unit.id);
    let open = c.open;
    let base = format!("{}/{}", unit.base(), c.id);
    let title = set.as_ref().map_or(c.set_code.clone(), |s| title_of(l, s).to_owned());
    let link = public_link(state, &c.slug, None);
    Ok(html! {
        (style())
        p { a href=(l.href(&unit.base())) { "← " (l.t("Badania: ", "Surveys: ")) (unit.name) } }
        h1 { (title) ": " (c.service) ", " (c.year) }
        (Notice::show(extras.notice, l))
        dl.sv-meta {
            dt { (l.t("Stan", "State")) } dd { (state_words(l, c)) }
            dt { (l.t("Otwarte", "Open")) } dd { (c.opens_on) " – " (c.closes_on) }
            dt { (l.t("Rodzaj linku", "Kind of link")) } dd { (mode_words(l, c.mode)) }
            dt { (l.t("Odpowiedzi", "Answers")) } dd { (c.responses) }
            dt { (l.t("Minimum do wyników", "Minimum for results")) } dd { (c.min_answers) }
            dt { (l.t("Litera w porównaniu", "Letter in the comparison")) } dd { (c.letter) }
            dt { (l.t("Nazwa w porównaniu", "Named in the comparison")) } dd {
                @if c.named { (l.t("tak — jednostka się zgodziła", "yes — the unit agreed")) } @else { (l.t("nie — tylko litera", "no — the letter only")) }
            }
        }
        h2 id="link" { (l.t("Link do ankiety", "The survey's link")) }
        @match c.mode {
            Mode::Open => {
                p { (l.t("Ten link może wypełnić każdy, kto go dostanie (np. z ogłoszenia w szkole):", "Anyone who gets this link may answer (e.g. from a notice at the school):")) }
                p.sv-link { a href=(link) { (link) } }
            }
            Mode::Tokens => {
                p { (l.t("Każdy respondent dostaje własny, jednorazowy link. Wykorzystane: ", "Each respondent gets a personal one-time link. Used: "))
                    (c.tokens_used) " / " (c.tokens_total) "." }
                @if run && open {
                    @if let Some(e) = &extras.tokens_error {
                        p.bad role="alert" id="tokeny-blad" { (e) }
                    }
                    form.sv-fields method="post" action=(l.href(&format!("{base}/tokeny"))) novalidate {
                        (csrf_input(&ctx.csrf))
                        p {
                            label for="tokeny-liczba" { (l.t("Ile nowych linków", "How many new links")) } br;
                            input id="tokeny-liczba" type="number" name="liczba" min="1" max="5000" value="50"
                                aria-invalid=[extras.tokens_error.as_ref().map(|_| "true")] aria-describedby=[extras.tokens_error.as_ref().map(|_| "tokeny-blad")];
                        }
                        p { button type="submit" { (l.t("Utwórz linki", "Make the links")) } }
                    }
                }
            }
        }
        h2 id="wyniki" { (l.t("Wyniki", "Results")) }
        (results_table(l, "wyniki-tabela", l.t("Wyniki badania", "The survey's results"), &results))
        p { a href=(l.href(&format!("/badania/porownanie/{}/{}", c.set_code, c.year))) { (l.t("Porównanie z innymi jednostkami", "Comparison with other units")) } }
        @if run {
            h2 id="papier" { (l.t("Wyniki z ankiet papierowych", "Results from paper questionnaires")) }
            p { (l.t("Plik CSV (separator ; lub ,) albo XLSX: pierwszy wiersz to kody pytań (i ewentualnie kolumna uwagi), każdy następny — jedna ankieta; w komórkach 1–5, „nie wiem” albo puste. Plik wczytuje się w całości albo wcale.",
                     "A CSV (; or , separated) or XLSX file: the first row holds the question codes (and an optional comment column), each further row one questionnaire; cells 1–5, “nie wiem” or empty. The file is read in whole or not at all.")) }
            @if let Some(s) = &set {
                p.small { (l.t("Kody pytań: ", "Question codes: ")) @for (i, q) in s.set.questions.iter().enumerate() { @if i > 0 { ", " } code { (q.code) } } }
            }
            @if let Some(e) = &extras.paper_error {
                div.sv-errors role="alert" tabindex="-1" autofocus {
                    h2 { (l.t("Plik nie został wczytany", "The file was not read in")) }
                    p { a href="#papier-plik" { span id="papier-plik-blad" { (e) } } }
                }
            }
            form.sv-fields method="post" action=(l.href(&format!("{base}/papier"))) enctype="multipart/form-data" {
                (csrf_input(&ctx.csrf))
                p {
                    label for="papier-plik" { (l.t("Plik z wynikami (do 5 MB)", "The results file (up to 5 MB)")) } br;
                    input id="papier-plik" type="file" name="plik" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required
                        aria-invalid=[extras.paper_error.as_ref().map(|_| "true")] aria-describedby=[extras.paper_error.as_ref().map(|_| "papier-plik-blad")];
                }
                p { button type="submit" { (l.t("Wczytaj wyniki", "Read in the results")) } }
            }
        }
        h2 id="uwagi" { (l.t("Uwagi respondentów", "Respondents' remarks")) }
        p.small { (l.t("Uwagi nie są publikowane przed moderacją.", "Remarks are never published before moderation.")) }
        @if pending.is_empty() {
            p { (l.t("Brak uwag czekających na moderację.", "No remarks wait for moderation.")) }
        } @else {
            h3 { (l.t("Czekają na moderację", "Waiting for moderation")) " (" (pending.len()) ")" }
            ul {
                @for m in &pending {
                    li {
                        p style="white-space:pre-wrap" { (m.body) }
                        p.small.muted { (m.received_on) }
                        @if run {
                            form.sv-inline method="post" action=(l.href(&format!("{base}/komentarze/{}", m.id))) {
                                (csrf_input(&ctx.csrf))
                                button type="submit" name="decyzja" value="publikuj" { (l.t("Opublikuj", "Publish")) }
                                " "
                                button type="submit" name="decyzja" value="odrzuc" { (l.t("Odrzuć", "Reject")) }
                            }
                        }
                    }
                }
            }
        }
        @if !published.is_empty() {
            h3 { (l.t("Opublikowane", "Published")) " (" (published.len()) ")" }
            ul { @for m in &published { li { p style="white-space:pre-wrap" { (m.body) } } } }
        }
        @if run {
            h2 id="zgoda" { (l.t("Zgoda na nazwę w porównaniu", "Consent to be named in the comparison")) }
            form method="post" action=(l.href(&format!("{base}/zgoda"))) {
                (csrf_input(&ctx.csrf))
                @if c.named {
                    input type="hidden" name="zgoda" value="0";
                    p { button type="submit" { (l.t("Wycofaj zgodę (pokazuj tylko literę)", "Withdraw consent (show the letter only)")) } }
                } @else {
                    input type="hidden" name="zgoda" value="1";
                    p { button type="submit" { (l.t("Zgadzamy się na nazwę jednostki w porównaniu", "We agree to be named in the comparison")) } }
                }
            }
            @if open {
                h2 id="zamknij" { (l.t("Zamknięcie badania", "Closing the survey")) }
                form method="post" action=(l.href(&format!("{base}/zamknij"))) {
                    (csrf_input(&ctx.csrf))
                    p { button type="submit" { (l.t("Zamknij badanie (koniec przyjmowania odpowiedzi)", "Close the survey (take no more answers)")) } }
                }
            }
        }
        (method_note(l))
    })
}

async fn campaign_response(state: &AppState, ctx: &Ctx, unit: &Unit, c: &CampaignView, extras: &Extras, status: StatusCode) -> Response {
    match campaign_body(state, ctx, unit, c, extras).await {
        Ok(body) => ctx.page(status, &format!("{}: {}", c.service, c.year), body),
        Err(e) => ctx.error(e),
    }
}

/// `GET /jst/{code}/badania/{id}`.
async fn campaign_page(State(state): State<Arc<AppState>>, ctx: Ctx, uri: Uri, path: Result<Path<(String, String)>, PathRejection>) -> Response {
    let Ok(Path((code, id))) = path else { return ctx.error(WebError::NotFound) };
    let unit = match seen_unit(&state, &ctx, &code).await {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    let c = match campaign_of(&state, &unit, &id).await {
        Ok(c) => c,
        Err(e) => return ctx.error(e),
    };
    campaign_response(&state, &ctx, &unit, &c, &Extras { notice: Notice::of(&uri), ..Extras::default() }, StatusCode::OK).await
}

/// The unit and campaign of a POST, after its CSRF token: `RunSurvey` on the unit.
async fn posted(state: &AppState, ctx: &Ctx, csrf: &str, code: &str, id: &str) -> Result<(Unit, CampaignView), WebError> {
    ctx.check_csrf(csrf)?;
    let unit = unit_of(state, ctx.lang, code).await?;
    ctx.require(Action::RunSurvey, unit.id)?;
    let c = campaign_of(state, &unit, id).await?;
    Ok((unit, c))
}

/// `POST …/tokeny`: more one-time links, shown once; or (`format=csv`) the links just shown,
/// given back as a CSV file (nothing is made then: the server never keeps the links).
async fn campaign_tokens(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = pairs_of(form);
    let Ok(Path((code, id))) = path else { return ctx.error(WebError::NotFound) };
    let (unit, c) = match posted(&state, &ctx, val(&pairs, "csrf"), &code, &id).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    if val(&pairs, "format") == "csv" {
        let tokens: Vec<&str> = val(&pairs, "tokeny").split_whitespace().take(MAX_TOKENS as usize).collect();
        if tokens.iter().any(|t| t.len() > 128 || !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')) {
            return ctx.error(WebError::BadRequest("tokeny".into()));
        }
        let mut csv = String::from("nr;link\r\n");
        for (i, t) in tokens.iter().enumerate() {
            csv.push_str(&format!("{};{}\r\n", i + 1, public_link(&state, &c.slug, Some(t))));
        }
        let name = format!("linki-{}-{}.csv", unit.code, c.id);
        return (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
                (
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).unwrap_or(HeaderValue::from_static("attachment")),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
            ],
            csv,
        )
            .into_response();
    }
    let n = match val(&pairs, "liczba").trim().parse::<u32>().ok().filter(|n| (1..=MAX_TOKENS).contains(n)) {
        Some(n) => n,
        None => {
            let extras = Extras {
                tokens_error: Some(l.t("Liczba linków: od 1 do 5000.", "The number of links: 1 to 5000.").to_owned()),
                ..Extras::default()
            };
            return campaign_response(&state, &ctx, &unit, &c, &extras, StatusCode::BAD_REQUEST).await;
        }
    };
    match sv::new_tokens(&state.store, c.id, n, &ctx.actor()).await {
        Ok(tokens) => tokens_page(&state, &ctx, &unit, &c, &tokens),
        Err(app::AppError::Invalid(why)) => {
            let extras = Extras { tokens_error: Some(why), ..Extras::default() };
            campaign_response(&state, &ctx, &unit, &c, &extras, StatusCode::BAD_REQUEST).await
        }
        Err(e) => ctx.error(app_fail(e)),
    }
}

/// `POST …/papier`: paper results, all rows or none; a refused file comes back 400 with the
/// line and column at fault.
async fn campaign_paper(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<(String, String)>, PathRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let l = ctx.lang;
    let parts = read_parts(multipart).await;
    // The token first: a cross-site form learns nothing, not even how its file fared.
    let csrf = parts.as_ref().map_or("", |p| p.get("csrf")).to_owned();
    let Ok(Path((code, id))) = path else { return ctx.error(WebError::NotFound) };
    let (unit, c) = match posted(&state, &ctx, &csrf, &code, &id).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    let refuse = |why: String| Extras { paper_error: Some(why), ..Extras::default() };
    let (file_name, bytes) = match parts {
        Ok(Parts { file: Some(f), .. }) => f,
        Ok(_) => {
            let e = refuse(l.t("Wybierz plik z wynikami.", "Choose a results file.").to_owned());
            return campaign_response(&state, &ctx, &unit, &c, &e, StatusCode::BAD_REQUEST).await;
        }
        Err(PartsError::TooLarge) => {
            let e = refuse(l.t("Plik jest większy niż 5 MB.", "The file is larger than 5 MB.").to_owned());
            return campaign_response(&state, &ctx, &unit, &c, &e, StatusCode::PAYLOAD_TOO_LARGE).await;
        }
        Err(PartsError::Broken) => return ctx.error(WebError::BadRequest("multipart".into())),
    };
    match sv::import_paper(&state.store, c.id, &bytes, &file_name, &ctx.actor()).await {
        Ok(_) => see_other(l, &format!("{}/{}", unit.base(), c.id), Notice::Paper),
        Err(app::AppError::Invalid(why)) => campaign_response(&state, &ctx, &unit, &c, &refuse(why), StatusCode::BAD_REQUEST).await,
        Err(e) => ctx.error(app_fail(e)),
    }
}

/// `POST …/komentarze/{cid}`: publish or reject a remark.
async fn campaign_moderate(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<(String, String, String)>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = pairs_of(form);
    let Ok(Path((code, id, cid))) = path else { return ctx.error(WebError::NotFound) };
    let (unit, c) = match posted(&state, &ctx, val(&pairs, "csrf"), &code, &id).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    let publish = match val(&pairs, "decyzja") {
        "publikuj" => true,
        "odrzuc" => false,
        _ => return ctx.error(WebError::BadRequest("decyzja=publikuj|odrzuc".into())),
    };
    let Ok(cid) = cid.parse::<i64>() else { return ctx.error(WebError::NotFound) };
    // The remark must be this campaign's (an id of another unit's remark is not found here).
    match sv::comments(&state.store, c.id, None).await {
        Ok(all) if all.iter().any(|m| m.id == cid) => {}
        Ok(_) => return ctx.error(WebError::NotFound),
        Err(e) => return ctx.error(app_fail(e)),
    }
    match sv::moderate(&state.store, cid, publish, &ctx.actor()).await {
        Ok(()) => see_other(l, &format!("{}/{}", unit.base(), c.id), Notice::Moderated),
        Err(e) => ctx.error(app_fail(e)),
    }
}

/// `POST …/zgoda`: the unit's consent to be named, on or off.
async fn campaign_named(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = pairs_of(form);
    let Ok(Path((code, id))) = path else { return ctx.error(WebError::NotFound) };
    let (unit, c) = match posted(&state, &ctx, val(&pairs, "csrf"), &code, &id).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    let named = match val(&pairs, "zgoda") {
        "1" => true,
        "0" => false,
        _ => return ctx.error(WebError::BadRequest("zgoda=1|0".into())),
    };
    match sv::set_named(&state.store, c.id, named, &ctx.actor()).await {
        Ok(()) => see_other(l, &format!("{}/{}", unit.base(), c.id), if named { Notice::Named } else { Notice::Unnamed }),
        Err(e) => ctx.error(app_fail(e)),
    }
}

/// `POST …/zamknij`: no more answers.
async fn campaign_close(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = pairs_of(form);
    let Ok(Path((code, id))) = path else { return ctx.error(WebError::NotFound) };
    let (unit, c) = match posted(&state, &ctx, val(&pairs, "csrf"), &code, &id).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    match sv::close(&state.store, c.id, &ctx.actor()).await {
        Ok(()) => see_other(l, &format!("{}/{}", unit.base(), c.id), Notice::Closed),
        Err(e) => ctx.error(app_fail(e)),
    }
}

// ---------------------------------------------------------------------------------------
// The public survey form.

/// The "don't know" value of a question's radio.
const DONT_KNOW: &str = "nw";

/// The scale's words: value, Polish, English.
/// The sets are statements rated by agreement (`catalogue/surveys/*.toml`).
const SCALE: [(&str, &str, &str); 6] = [
    ("1", "1 — zdecydowanie nie", "1 — strongly disagree"),
    ("2", "2 — raczej nie", "2 — disagree"),
    ("3", "3 — ani tak, ani nie", "3 — neither"),
    ("4", "4 — raczej tak", "4 — agree"),
    ("5", "5 — zdecydowanie tak", "5 — strongly agree"),
    (DONT_KNOW, "nie wiem", "don't know"),
];

/// A question's input name.
fn q_name(code: &str) -> String {
    format!("q_{code}")
}

/// The answers of a sent form, or what is wrong with them (tampered values, nothing answered,
/// a remark too long).
/// A respondent's answers, question by question, and the remark.
type Sent = (Vec<(String, Answer)>, Option<String>);

fn read_answers(l: L, set: &sv::SurveySet, pairs: &Pairs) -> Result<Sent, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut answers = Vec::with_capacity(set.questions.len());
    for q in &set.questions {
        let a = match val(pairs, &q_name(&q.code)) {
            "" => Answer::Blank,
            DONT_KNOW => Answer::DontKnow,
            v => match v.parse::<u8>() {
                Ok(s @ 1..=5) => Answer::Score(s),
                _ => {
                    errors.push(FieldError {
                        field: q_name(&q.code),
                        text: format!("{}: {}", l.t(&q.text_pl, &q.text_en), l.t("wybierz odpowiedź z listy", "choose an answer from the list")),
                    });
                    Answer::Blank
                }
            },
        };
        answers.push((q.code.clone(), a));
    }
    if errors.is_empty() && answers.iter().all(|(_, a)| *a == Answer::Blank) {
        errors.push(FieldError {
            field: set.questions.first().map(|q| q_name(&q.code)).unwrap_or_default(),
            text: l
                .t(
                    "Odpowiedz na co najmniej jedno pytanie (można też wybrać „nie wiem”).",
                    "Answer at least one question (“don't know” is an answer too).",
                )
                .to_owned(),
        });
    }
    let comment = val(pairs, "uwagi").trim();
    if comment.chars().count() > MAX_COMMENT_CHARS {
        errors.push(FieldError {
            field: "uwagi".into(),
            text: l.t("Uwagi mogą mieć najwyżej 2000 znaków.", "Remarks may have at most 2000 characters.").to_owned(),
        });
    }
    if errors.is_empty() { Ok((answers, (!comment.is_empty() && set.free_text.is_some()).then(|| comment.to_owned()))) } else { Err(errors) }
}

/// The survey form; `sent` holds the answers of a refused form.
fn survey_form(l: L, c: &CampaignView, set: &sv::SurveySet, csrf: &str, token: Option<&str>, sent: &Pairs, errors: &[FieldError]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.sv-errors id="bledy" tabindex="-1" role="alert" aria-labelledby="bledy-h" autofocus {
                h2 id="bledy-h" { (l.t("Popraw błędy", "Correct the errors")) " (" (errors.len()) ")" }
                ul {
                    @for e in errors {
                        // A question's error links to its first answer, the remark's to its box.
                        li { a href={ "#" @if e.field == "uwagi" { "pole-uwagi" } @else { (e.field) "-1" } } { (e.text) } }
                    }
                }
            }
        }
        form.sv-form method="post" action=(l.href(&format!("/badanie/{}", c.slug))) {
            (csrf_input(csrf))
            @if let Some(t) = token { input type="hidden" name="t" value=(t); }
            p.small { (l.t("Skala: 1 — zdecydowanie nie … 5 — zdecydowanie tak. Jeśli nie masz zdania, wybierz „nie wiem”. Każde pytanie można pominąć.",
                           "Scale: 1 — strongly disagree … 5 — strongly agree. If you have no view, choose “don't know”. Any question may be skipped.")) }
            @for (i, q) in set.questions.iter().enumerate() {
                @let name = q_name(&q.code);
                @let chosen = val(sent, &name);
                @let error = errors.iter().find(|e| e.field == name);
                @let error_id = format!("{name}-blad");
                fieldset.sv-q.sv-bad[error.is_some()] aria-describedby=[error.map(|_| error_id.as_str())] {
                    legend { (i + 1) ". " (l.t(&q.text_pl, &q.text_en)) }
                    @if let Some(e) = error { p.bad id=(error_id) { span.sr { (l.t("Błąd: ", "Error: ")) } (e.text) } }
                    ul.sv-scale {
                        @for (k, (value, pl, en)) in SCALE.iter().enumerate() {
                            @let id = format!("{name}-{}", k + 1);
                            li { label for=(id) { input id=(id) type="radio" name=(name) value=(value) checked[chosen == *value]; span { (l.t(pl, en)) } } }
                        }
                    }
                }
            }
            @if let Some((pl, en)) = &set.free_text {
                @let bad = errors.iter().any(|e| e.field == "uwagi");
                p {
                    label for="pole-uwagi" { (l.t(pl, en)) " " span.small.muted { (l.t("(nieobowiązkowe; uwagi publikujemy dopiero po przeczytaniu przez jednostkę — nie podawaj danych osobowych)", "(optional; remarks are published only after the unit has read them — give no personal data)")) } }
                    br;
                    @if bad { span.bad id="pole-uwagi-blad" { span.sr { (l.t("Błąd: ", "Error: ")) } (l.t("najwyżej 2000 znaków", "at most 2000 characters")) } br; }
                    textarea id="pole-uwagi" name="uwagi" rows="5" maxlength="2000" aria-invalid=[bad.then_some("true")] aria-describedby=[bad.then_some("pole-uwagi-blad")] { (val(sent, "uwagi")) }
                }
            }
            p { button type="submit" { (l.t("Wyślij odpowiedzi", "Send the answers")) } }
            p.small.muted { (l.t("Ankieta jest anonimowa: nie zapisujemy adresu, godziny ani niczego, co łączy odpowiedź z osobą.",
                                 "The survey is anonymous: no address, no time of day, nothing that ties an answer to a person is kept.")) }
        }
    }
}

/// The heading part of every page of the public survey.
fn survey_head(l: L, c: &CampaignView, set: &sv::SurveySet) -> Markup {
    html! {
        (style())
        h1 { (l.t(&set.title_pl, &set.title_en)) }
        p.muted { (c.service) " — " (c.year) }
    }
}

/// A page of the public survey that is not the form (closed, needs a link, thanks, …).
fn survey_message(ctx: &Ctx, c: &CampaignView, set: &sv::SurveySet, status: StatusCode, title: &str, text: &str) -> Response {
    let l = ctx.lang;
    let body = html! {
        (survey_head(l, c, set))
        div.box role=(if status.is_success() { "status" } else { "alert" }) { h2 { (title) } p { (text) } }
    };
    ctx.page(status, title, body)
}

/// Whether the campaign takes answers today (by its state and dates): None, or why not.
fn closed_why(l: L, c: &CampaignView) -> Option<(StatusCode, &'static str, &'static str)> {
    match c.accepts(app::campaigns::today()) {
        Ok(()) => None,
        Err(SurveyError::NotOpenYet) => Some((
            StatusCode::FORBIDDEN,
            l.t("Ankieta jeszcze się nie zaczęła", "The survey has not started yet"),
            l.t(
                "Ta ankieta przyjmuje odpowiedzi od dnia podanego przez jednostkę. Wróć wtedy pod ten sam link.",
                "This survey takes answers from the day the unit set. Come back to the same link then.",
            ),
        )),
        Err(_) => Some((
            StatusCode::GONE,
            l.t("Ankieta jest zamknięta", "The survey is closed"),
            l.t(
                "Ta ankieta już nie przyjmuje odpowiedzi. Dziękujemy za zainteresowanie.",
                "This survey takes no more answers. Thank you for your interest.",
            ),
        )),
    }
}

fn token_needed(ctx: &Ctx, c: &CampaignView, set: &sv::SurveySet) -> Response {
    let l = ctx.lang;
    survey_message(
        ctx,
        c,
        set,
        StatusCode::FORBIDDEN,
        l.t("Potrzebny jest osobisty link", "A personal link is needed"),
        l.t(
            "Tę ankietę wypełnia się przez osobisty, jednorazowy link, który rozdaje jednostka (np. szkoła). Otwórz link, który otrzymałeś(-aś), w całości — z końcówką ?t=…",
            "This survey is answered through a personal one-time link handed out by the unit (e.g. the school). Open the link you received in full, with its ?t=… ending.",
        ),
    )
}

/// A token as a query or form carries it: at most 128 URL-safe characters.
fn token_param(text: &str) -> Option<&str> {
    let t = text.trim();
    (!t.is_empty() && t.len() <= 128 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')).then_some(t)
}

async fn survey_campaign(state: &AppState, slug: &str) -> Result<(CampaignView, sv::SurveySet), WebError> {
    if slug.len() > 64 || !slug.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(WebError::NotFound);
    }
    let c = sv::campaign_by_slug(&state.store, slug).await.map_err(app_fail)?.ok_or(WebError::NotFound)?;
    // The campaign's own version of the set, not the newest.
    let set = c.set.clone();
    Ok((c, set))
}

/// `GET /badanie/{slug}[?t=TOKEN]`.
async fn survey_get(
    State(state): State<Arc<AppState>>,
    mut ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
    query: Result<axum::extract::Query<Pairs>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let l = ctx.lang;
    let Ok(Path(slug)) = path else { return ctx.error(WebError::NotFound) };
    let (c, set) = match survey_campaign(&state, &slug).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    if let Some((status, title, text)) = closed_why(l, &c) {
        return survey_message(&ctx, &c, &set, status, title, text);
    }
    let query = query.map(|axum::extract::Query(q)| q).unwrap_or_default();
    let token = token_param(val(&query, "t"));
    if c.mode == Mode::Tokens && token.is_none() {
        return token_needed(&ctx, &c, &set);
    }
    let cookie = ctx.form_token(&format!("/badanie/{}", c.slug));
    let body = html! {
        (survey_head(l, &c, &set))
        @if let Some(intro) = if l.en { set.intro_en.as_deref() } else { set.intro_pl.as_deref() } {
            p style="white-space:pre-wrap" { (intro) }
        }
        (survey_form(l, &c, &set, &ctx.csrf, token, &Vec::new(), &[]))
    };
    let mut res = ctx.page(StatusCode::OK, l.t(&set.title_pl, &set.title_en), body);
    if let Some(v) = cookie {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// `POST /badanie/{slug}`: one respondent's answers.
async fn survey_post(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let l = ctx.lang;
    let pairs = pairs_of(form);
    if let Err(e) = ctx.check_csrf(val(&pairs, "csrf")) {
        return ctx.error(e);
    }
    let Ok(Path(slug)) = path else { return ctx.error(WebError::NotFound) };
    let (c, set) = match survey_campaign(&state, &slug).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    if let Some((status, title, text)) = closed_why(l, &c) {
        return survey_message(&ctx, &c, &set, status, title, text);
    }
    let token = token_param(val(&pairs, "t"));
    if c.mode == Mode::Tokens && token.is_none() {
        return token_needed(&ctx, &c, &set);
    }
    let (answers, comment) = match read_answers(l, &set, &pairs) {
        Ok(a) => a,
        Err(errors) => {
            let body = html! { (survey_head(l, &c, &set)) (survey_form(l, &c, &set, &ctx.csrf, token, &pairs, &errors)) };
            return ctx.page(StatusCode::BAD_REQUEST, l.t(&set.title_pl, &set.title_en), body);
        }
    };
    if c.mode == Mode::Open && !admit(&c.slug, ctx.address.as_deref()) {
        let mut res = survey_message(
            &ctx,
            &c,
            &set,
            StatusCode::TOO_MANY_REQUESTS,
            l.t("Za dużo odpowiedzi naraz", "Too many answers at once"),
            l.t(
                "Z tego miejsca wysłano w ostatniej godzinie bardzo wiele odpowiedzi do tej ankiety. Spróbuj ponownie za godzinę.",
                "Very many answers to this survey came from here in the last hour. Please try again in an hour.",
            ),
        );
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
        return res;
    }
    let refused = |status: StatusCode, title: &str, text: &str| survey_message(&ctx, &c, &set, status, title, text);
    match sv::answer(&state.store, &c.slug, token, &answers, comment.as_deref(), app::campaigns::today()).await {
        Ok(()) => refused(
            StatusCode::OK,
            l.t("Dziękujemy za odpowiedzi", "Thank you for your answers"),
            l.t(
                "Odpowiedzi zostały zapisane. Wyniki jednostka zobaczy łącznie, gdy odpowie wystarczająco wiele osób.",
                "Your answers are saved. The unit will see the results together, once enough people have answered.",
            ),
        ),
        Err(SurveyError::Closed) => refused(
            StatusCode::GONE,
            l.t("Ankieta jest zamknięta", "The survey is closed"),
            l.t("Ta ankieta już nie przyjmuje odpowiedzi.", "This survey takes no more answers."),
        ),
        Err(SurveyError::NotOpenYet) => refused(
            StatusCode::FORBIDDEN,
            l.t("Ankieta jeszcze się nie zaczęła", "The survey has not started yet"),
            l.t("Wróć pod ten sam link w dniu otwarcia ankiety.", "Come back to the same link on the day the survey opens."),
        ),
        Err(SurveyError::TokenUsed) => refused(
            StatusCode::CONFLICT,
            l.t("Ten link został już wykorzystany", "This link has already been used"),
            l.t(
                "Każdy osobisty link przyjmuje jedną odpowiedź, a ta już została wysłana.",
                "Each personal link takes one answer, and this one has been sent already.",
            ),
        ),
        Err(SurveyError::TokenUnknown) => refused(
            StatusCode::FORBIDDEN,
            l.t("Nieznany link", "Unknown link"),
            l.t(
                "Ten osobisty link nie należy do tej ankiety. Sprawdź, czy skopiowano go w całości.",
                "This personal link does not belong to this survey. Check that it was copied in full.",
            ),
        ),
        Err(SurveyError::TokenNeeded) => token_needed(&ctx, &c, &set),
        Err(SurveyError::Invalid(why)) => {
            refused(StatusCode::BAD_REQUEST, l.t("Odpowiedzi nie zostały zapisane", "The answers were not saved"), &why)
        }
        Err(SurveyError::NotFound) => ctx.error(WebError::NotFound),
        Err(SurveyError::Failed(e)) => ctx.error(app_fail(e)),
    }
}

// ---------------------------------------------------------------------------------------
// Comparisons.

/// The viewer of a request, as `app::surveys` decides naming.
fn viewer(ctx: &Ctx) -> Viewer {
    Viewer::of(ctx.user.as_ref())
}

/// `{year}` of a comparison's path, and whether the CSV is asked for (`2024.csv`).
fn year_param(text: &str) -> Option<(i32, bool)> {
    let (year, csv) = match text.strip_suffix(".csv") {
        Some(y) => (y, true),
        None => (text, false),
    };
    year.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)).map(|y| (y, csv))
}

/// A comparison as the viewer may see it, the set's newest version, and each letter's
/// minimum number of answers (for "too few answers (n = 12 < 30)").
struct Compared {
    c: Comparison,
    set: Option<SetView>,
    minimums: HashMap<String, u32>,
}

impl Compared {
    fn min(&self, letter: &str) -> u32 {
        self.minimums.get(letter).copied().unwrap_or(sv::DEFAULT_MIN_ANSWERS)
    }
}

async fn comparison_of(state: &AppState, ctx: &Ctx, set: &str, year: i32) -> Result<Compared, WebError> {
    if set.len() > 64 {
        return Err(WebError::NotFound);
    }
    let c = sv::comparison(&state.store, set, year, &viewer(ctx)).await.map_err(app_fail)?;
    if c.rows.is_empty() {
        return Err(WebError::NotFound);
    }
    let s = sv::set(&state.store, set).await.map_err(app_fail)?;
    // Letters and minimums only: nothing here names a unit.
    let minimums = state
        .store
        .survey_campaigns_of_set(set, i64::from(year))
        .await?
        .into_iter()
        .map(|r| (r.letter, u32::try_from(r.min_answers).unwrap_or(sv::DEFAULT_MIN_ANSWERS)))
        .collect();
    Ok(Compared { c, set: s, minimums })
}

/// `GET /badania/porownanie/{set}/{year}` and `….csv`.
async fn comparison_page(State(state): State<Arc<AppState>>, ctx: Ctx, path: Result<Path<(String, String)>, PathRejection>) -> Response {
    let l = ctx.lang;
    let Ok(Path((set_code, year))) = path else { return ctx.error(WebError::NotFound) };
    let Some((year, csv)) = year_param(&year) else { return ctx.error(WebError::NotFound) };
    let compared = match comparison_of(&state, &ctx, &set_code, year).await {
        Ok(x) => x,
        Err(e) => return ctx.error(e),
    };
    let (c, set) = (&compared.c, &compared.set);
    if csv {
        let cache = if ctx.user.is_some() { "private, no-store" } else { "no-store" };
        let name = format!("porownanie-{}-{year}.csv", c.set_code);
        return (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
                (
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).unwrap_or(HeaderValue::from_static("attachment")),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            ],
            sv::comparison_csv(c, l.en),
        )
            .into_response();
    }
    let title_set = set.as_ref().map_or(c.set_code.clone(), |s| title_of(l, s).to_owned());
    let title = format!("{}: {title_set}, {year}", l.t("Porównanie", "Comparison"));
    let questions: Vec<(String, String)> = c
        .rows
        .iter()
        .find(|r| !r.questions.is_empty())
        .map_or_else(Vec::new, |r| r.questions.iter().map(|q| (q.code.clone(), l.t(&q.text_pl, &q.text_en).to_owned())).collect());
    let body = html! {
        (style())
        p { a href=(l.href("/badania")) { "← " (l.t("Badania opinii", "Surveys")) } }
        h1 { (title) }
        p { (l.t("Każdy wiersz to badanie jednej jednostki. Jednostki występują pod literami; nazwę widać, gdy jednostka się na to zgodziła (a swoją — osobom z rolą w jednostce).",
                 "Each row is one unit's survey. Units appear as letters; a name shows where the unit agreed (and one's own unit to people with a role in it).")) }
        div.scroll role="region" aria-labelledby="porownanie-ogolne" tabindex="0" {
            table.stack {
                caption id="porownanie-ogolne" { (l.t("Ocena ogólna", "Overall score")) }
                thead { tr {
                    th scope="col" { (l.t("Jednostka", "Unit")) }
                    th.num scope="col" { "n" }
                    th.num scope="col" { (l.t("Średnia (95% przedział)", "Mean (95% interval)")) }
                    th.num scope="col" { (l.t("Zadowoleni (95% przedział)", "Satisfied (95% interval)")) }
                } }
                tbody {
                    @for r in &c.rows {
                        tr {
                            th scope="row" { (label_text(l, &r.label)) @if matches!(r.label, Label::Named { .. }) { " " span.tag { (r.letter) } } }
                            td.num data-label="n" { (r.n) }
                            @if r.overall.mean.is_some() {
                                td.num data-label=(l.t("Średnia", "Mean")) { (mean_text(l, r.overall.mean, r.overall.mean_lo, r.overall.mean_hi)) }
                                td.num data-label=(l.t("Zadowoleni", "Satisfied")) { (share_text(l, r.overall.satisfied_share, r.overall.sat_lo, r.overall.sat_hi)) }
                            } @else {
                                td colspan="2" { (too_few(l, r.n, compared.min(&r.letter))) }
                            }
                        }
                    }
                }
            }
        }
        @if !questions.is_empty() && c.rows.iter().any(|r| r.shown) {
            h2 id="pytania" { (l.t("Według pytań", "By question")) }
            @for (k, (code, text)) in questions.iter().enumerate() {
                @let id = format!("pytanie-{}", k + 1);
                div.scroll role="region" aria-labelledby=(id) tabindex="0" {
                    table.stack {
                        caption id=(id) { (k + 1) ". " (text) }
                        thead { tr {
                            th scope="col" { (l.t("Jednostka", "Unit")) }
                            th.num scope="col" { "n" }
                            th.num scope="col" { (l.t("Średnia (95% przedział)", "Mean (95% interval)")) }
                            th.num scope="col" { (l.t("Zadowoleni (95% przedział)", "Satisfied (95% interval)")) }
                        } }
                        tbody {
                            @for r in &c.rows {
                                @if let Some(q) = r.questions.iter().find(|q| q.code == *code) {
                                    tr {
                                        th scope="row" { (label_text(l, &r.label)) }
                                        td.num data-label="n" { (q.n) }
                                        @if q.mean.is_some() {
                                            td.num data-label=(l.t("Średnia", "Mean")) { (mean_text(l, q.mean, q.mean_lo, q.mean_hi)) }
                                            td.num data-label=(l.t("Zadowoleni", "Satisfied")) { (share_text(l, q.satisfied_share, q.sat_lo, q.sat_hi)) }
                                        } @else {
                                            td colspan="2" { (too_few(l, q.n, compared.min(&r.letter))) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        p.downloads { a href=(l.href(&format!("/badania/porownanie/{}/{year}.csv", c.set_code))) download { (l.t("Pobierz porównanie (CSV)", "Download the comparison (CSV)")) } }
        (method_note(l))
    };
    ctx.page(StatusCode::OK, &title, body)
}

// ---------------------------------------------------------------------------------------
// The API.

fn json(value: serde_json::Value, user: bool) -> Response {
    let cache = if user { "private, no-store" } else { "no-store" };
    ([(header::CACHE_CONTROL, HeaderValue::from_static(cache))], axum::Json(value)).into_response()
}

/// `GET /api/v1/surveys`: the comparisons there are.
#[utoipa::path(get, path = "/api/v1/surveys", tag = "data",
    responses((status = 200, description = "Porównania badań opinii: zestaw × rok / Survey comparisons: set × year", body = serde_json::Value)))]
pub(crate) async fn api_list(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    match sv::comparisons(&state.store).await {
        Ok(list) => {
            let items: Vec<serde_json::Value> = list
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "set": c.set_code,
                        "year": c.year,
                        "campaigns": c.campaigns,
                        "href": format!("/api/v1/surveys/{}/{}", c.set_code, c.year),
                        "page": format!("/badania/porownanie/{}/{}", c.set_code, c.year),
                    })
                })
                .collect();
            json(serde_json::json!({ "comparisons": items }), ctx.user.is_some())
        }
        Err(e) => app_fail(e).into_json(),
    }
}

fn result_json(q: &QuestionResult) -> serde_json::Value {
    serde_json::json!({
        "code": q.code,
        "n": q.n,
        "dont_know": q.dont_know,
        "mean": q.mean,
        "mean_ci": [q.mean_lo, q.mean_hi],
        "satisfied_share": q.satisfied_share,
        "satisfied_ci": [q.sat_lo, q.sat_hi],
    })
}

/// `GET /api/v1/surveys/{set}/{year}`: the comparison as the requesting viewer may see it.
#[utoipa::path(get, path = "/api/v1/surveys/{set}/{year}", tag = "data",
    params(("set" = String, Path, description = "Kod zestawu pytań / Question set code"), ("year" = i32, Path, description = "Rok / Year")),
    responses((status = 200, description = "Wyniki pod literami; nazwa tylko za zgodą jednostki / Results under letters; a unit is named only where it agreed", body = serde_json::Value),
        (status = 404, description = "Nie ma takiego porównania / No such comparison", body = crate::api::ApiErrorBody)))]
pub(crate) async fn api_comparison(State(state): State<Arc<AppState>>, ctx: Ctx, path: Result<Path<(String, String)>, PathRejection>) -> Response {
    let not_found = || crate::api::ApiError::not_found("year", "no survey comparison of this set and year (see /api/v1/surveys)").into_response();
    let Ok(Path((set_code, year))) = path else { return not_found() };
    let Some((year, false)) = year_param(&year) else { return not_found() };
    let compared = match comparison_of(&state, &ctx, &set_code, year).await {
        Ok(x) => x,
        Err(WebError::NotFound) => return not_found(),
        Err(e) => return e.into_json(),
    };
    let c = &compared.c;
    let rows: Vec<serde_json::Value> = c
        .rows
        .iter()
        .map(|r| {
            let unit = match &r.label {
                Label::Named { code, name, service, .. } => serde_json::json!({ "code": code, "name": name, "service": service }),
                Label::Letter(_) => serde_json::Value::Null,
            };
            serde_json::json!({
                "letter": r.letter,
                "unit": unit,
                "n": r.n,
                "min_answers": compared.min(&r.letter),
                "shown": r.shown,
                "overall": result_json(&r.overall),
                "questions": r.questions.iter().map(result_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    json(serde_json::json!({ "set": c.set_code, "year": c.year, "rows": rows }), ctx.user.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_link_takes_ten_answers_an_hour_from_one_client_and_then_again_after_the_hour() {
        let mut lim = Limiter::default();
        let t0 = Instant::now();
        for i in 0..PER_CLIENT_HOUR {
            assert!(lim.admit("abc", "10.0.0.1", t0 + Duration::from_secs(i as u64)), "answer {i}");
        }
        assert!(!lim.admit("abc", "10.0.0.1", t0 + Duration::from_secs(60)));
        // Another client, and the same client on another link, are counted apart.
        assert!(lim.admit("abc", "10.0.0.2", t0 + Duration::from_secs(60)));
        assert!(lim.admit("xyz", "10.0.0.1", t0 + Duration::from_secs(60)));
        // An hour after the first answers the window has room again.
        assert!(lim.admit("abc", "10.0.0.1", t0 + HOUR + Duration::from_secs(1)));
        // The address itself is nowhere in the limiter.
        assert!(lim.clients.keys().all(|k| !k.contains("10.0.0") && k.len() == 64));
    }

    #[test]
    fn one_link_takes_at_most_six_hundred_answers_an_hour_from_everyone() {
        let mut lim = Limiter::default();
        let t0 = Instant::now();
        for i in 0..PER_SLUG_HOUR {
            assert!(lim.admit("abc", &format!("client {}", i / 5), t0), "answer {i}");
        }
        assert!(!lim.admit("abc", "someone new", t0));
        assert!(lim.admit("other", "someone new", t0));
    }

    #[test]
    fn the_limiter_forgets_the_least_recent_clients_past_its_bound() {
        let mut map: HashMap<String, VecDeque<Instant>> = HashMap::new();
        let t0 = Instant::now();
        for i in 0..MAX_KEYS {
            map.insert(format!("k{i}"), VecDeque::from([t0 + Duration::from_millis(i as u64)]));
        }
        Limiter::room(&mut map, t0 + Duration::from_secs(100));
        assert_eq!(map.len(), MAX_KEYS - 1);
        assert!(!map.contains_key("k0"), "the least recently seen goes first");
        // Emptied windows go before any live one.
        let mut map: HashMap<String, VecDeque<Instant>> = HashMap::new();
        for i in 0..MAX_KEYS {
            map.insert(format!("k{i}"), VecDeque::from([t0]));
        }
        Limiter::room(&mut map, t0 + HOUR + Duration::from_secs(1));
        assert!(map.is_empty());
    }

    #[test]
    fn intervals_are_written_with_the_pages_decimal_sign_and_a_dash() {
        let pl = L::PL;
        let en = L { en: true };
        assert_eq!(mean_text(pl, Some(4.21), Some(3.9), Some(4.52)), "4,2 (3,9–4,5)");
        assert_eq!(mean_text(en, Some(4.21), Some(3.9), Some(4.52)), "4.2 (3.9–4.5)");
        assert_eq!(mean_text(pl, None, None, None), "—");
        assert_eq!(share_text(pl, Some(82.0), Some(71.4), Some(89.3)), "82% (71–89%)");
        assert_eq!(too_few(pl, 12, 30), "za mało odpowiedzi (n = 12 < 30)");
        assert_eq!(too_few(en, 12, 30), "too few answers (n = 12 < 30)");
    }

    #[test]
    fn a_comparison_year_may_ask_for_the_csv() {
        assert_eq!(year_param("2024"), Some((2024, false)));
        assert_eq!(year_param("2024.csv"), Some((2024, true)));
        assert_eq!(year_param("24"), None);
        assert_eq!(year_param("2024.xlsx"), None);
    }

    #[test]
    fn tokens_in_links_are_url_safe_and_bounded() {
        assert_eq!(token_param(" abc-_9 "), Some("abc-_9"));
        assert_eq!(token_param(""), None);
        assert_eq!(token_param("a b"), None);
        assert_eq!(token_param("<x>"), None);
        assert_eq!(token_param(&"a".repeat(129)), None);
    }
}
