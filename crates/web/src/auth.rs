//! Who is asking: the request context [`Ctx`] (language, signed-in user, form token, client
//! address) and the pages of signing in and out — `/logowanie`, `/wyloguj`, the invitation
//! link `/zaproszenie/{token}` that sets a password, and `/konto` (who am I).
//!
//! The session cookie `miernik_sesja` holds a random token (HttpOnly, SameSite=Lax, Path=/,
//! Secure over https); the database keeps its SHA-256 ([`app::accounts`]). Every form of a
//! signed-in page carries the session's CSRF token; the anonymous forms (login, invitation)
//! use the double-submit cookie of `/grupy` ([`crate::groups::CSRF_COOKIE`], one per path).
//! Pages with a user are `Cache-Control: private, no-store` and never enter the page cache.

use std::net::SocketAddr;
use std::sync::Arc;

use app::accounts::{self, Action, CurrentUser, InviteProblem, LoginOutcome, PasswordProblem};
use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::error::WebError;
use crate::i18n::{L, stays_on_site};
use crate::layout::{self, Frame};

/// The session cookie.
pub const SESSION_COOKIE: &str = "miernik_sesja";

/// The request context: never fails, a public reader has no user.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: L,
    pub user: Option<CurrentUser>,
    /// The token every form must send back as `csrf`: the session's for a user, the
    /// double-submit cookie's (maybe empty: see [`Ctx::form_token`]) for a public reader.
    pub csrf: String,
    /// The client's address: the peer's, or the first of `X-Forwarded-For` behind a trusted proxy.
    pub address: Option<String>,
    /// The request's path and query (for the frame's language link and `next`).
    pub path: String,
    pub query: Option<String>,
    /// The demo banner.
    pub demo: bool,
    /// Whether cookies set now get `Secure`.
    pub secure: bool,
    /// The session cookie's token, when the request had one.
    session_token: Option<String>,
    /// The double-submit cookie's form token (also for a user: the login form may be sent
    /// from a page rendered before the login).
    form_cookie: String,
}

impl FromRequestParts<Arc<AppState>> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        Ok(state.context(parts).await)
    }
}

/// How long a reading request waits for its session while the database is known to be
/// unreachable (see [`AppState::session_of`]), instead of the pool's whole timeout.
pub const QUICK_SESSION_LOOKUP: std::time::Duration = std::time::Duration::from_millis(300);

/// For how long after the database was last found unreachable the quick lookup applies
/// (then a lookup waits the pool's timeout again, so a slow database is not taken for a
/// down one for long).
const DB_DOWN_MEMORY: std::time::Duration = std::time::Duration::from_secs(10);

impl AppState {
    /// The session of a cookie token. If the database cannot be reached the reader is served
    /// as a public one (pages the snapshot answers still work); and while it stays
    /// unreachable, a reading (`safe`) request waits at most [`QUICK_SESSION_LOOKUP`] to find
    /// that out, not the pool's two seconds on every page. A writing request always waits in
    /// full: it needs its session, and gets a 503 from its own store call if the database is
    /// down.
    async fn session_of(&self, token: &str, safe: bool) -> Option<accounts::Session> {
        let since = self.db_down_since.lock().ok().and_then(|d| *d);
        let quick = safe && since.is_some_and(|t| t.elapsed() < DB_DOWN_MEMORY);
        let lookup = accounts::session_user(&self.store, token);
        let found = if quick {
            match tokio::time::timeout(QUICK_SESSION_LOOKUP, lookup).await {
                Ok(r) => r,
                Err(_) => {
                    tracing::debug!("session not read: the database is still unreachable");
                    return None;
                }
            }
        } else {
            lookup.await
        };
        match found {
            Ok(s) => {
                if since.is_some()
                    && let Ok(mut d) = self.db_down_since.lock()
                {
                    *d = None;
                }
                s
            }
            Err(e) => {
                if crate::error::db_unreachable(&e)
                    && let Ok(mut d) = self.db_down_since.lock()
                {
                    *d = Some(std::time::Instant::now());
                }
                tracing::warn!("session not read: {e}");
                None
            }
        }
    }

    /// The context of a request (see [`Ctx`]).
    pub(crate) async fn context(&self, parts: &Parts) -> Ctx {
        let headers = &parts.headers;
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
        let address = client_address(headers, peer, self.options.trust_proxy);
        let session_token = cookie(headers, SESSION_COOKIE).filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())).map(str::to_owned);
        let session = match &session_token {
            Some(t) => self.session_of(t, parts.method.is_safe()).await,
            None => None,
        };
        let form_cookie = cookie(headers, crate::groups::CSRF_COOKIE).filter(|t| valid_form_token(t)).unwrap_or_default().to_owned();
        let (user, csrf) = match session {
            Some(s) => (Some(s.user), s.csrf),
            None => (None, form_cookie.clone()),
        };
        Ctx {
            lang: L::from_query(parts.uri.query()),
            user,
            csrf,
            address,
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            demo: self.demo,
            secure: self.cookies_secure(headers),
            session_token,
            form_cookie,
        }
    }
}

impl Ctx {
    /// The signed-in user allowed `action` on `unit_id`: no user is [`WebError::LoginRequired`]
    /// (back to this page after login), a user without the role [`WebError::Forbidden`].
    pub fn require(&self, action: Action, unit_id: i64) -> Result<&CurrentUser, WebError> {
        let user = self.require_user()?;
        if user.can(action, unit_id) { Ok(user) } else { Err(WebError::Forbidden) }
    }

    /// The signed-in user allowed `action` on some unit.
    pub fn require_any(&self, action: Action) -> Result<&CurrentUser, WebError> {
        let user = self.require_user()?;
        if user.can_any(action) { Ok(user) } else { Err(WebError::Forbidden) }
    }

    /// The signed-in user, whoever it is.
    pub fn require_user(&self) -> Result<&CurrentUser, WebError> {
        self.user.as_ref().ok_or_else(|| WebError::LoginRequired { next: self.here() })
    }

    /// Whether a form's `csrf` is this request's token (compared in constant time).
    pub fn check_csrf(&self, sent: &str) -> Result<(), WebError> {
        if !self.csrf.is_empty() && same(&self.csrf, sent) { Ok(()) } else { Err(WebError::Csrf) }
    }

    /// This request's path and query (without `lang`, which the redirect adds again).
    pub fn here(&self) -> String {
        let query: Vec<&str> = self.query.as_deref().unwrap_or("").split('&').filter(|kv| !kv.is_empty() && *kv != "lang=en").collect();
        if query.is_empty() { self.path.clone() } else { format!("{}?{}", self.path, query.join("&")) }
    }

    /// The frame of this request's page.
    pub fn frame(&self) -> Frame<'_> {
        Frame { l: self.lang, demo: self.demo, path: &self.path, query: self.query.as_deref() }
    }

    /// For a public reader without a form token yet: makes one and gives the cookie to set
    /// (on `path` only) with the page. None when the request has a token.
    pub fn form_token(&mut self, path: &str) -> Option<HeaderValue> {
        if !self.csrf.is_empty() {
            return None;
        }
        self.csrf = new_form_token()?;
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!("{}={}; Path={path}; HttpOnly; SameSite=Strict{secure}", crate::groups::CSRF_COOKIE, self.csrf)).ok()
    }

    /// A page for this request: `private, no-store` when there is a user (never shared),
    /// `no-store` otherwise.
    pub fn page(&self, status: StatusCode, title: &str, body: Markup) -> Response {
        let html = layout::page(&self.frame(), title, body);
        let cache = if self.user.is_some() { "private, no-store" } else { "no-store" };
        (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, cache)], html).into_response()
    }

    /// An error as this request's page.
    pub fn error(&self, e: WebError) -> Response {
        let mut res = e.page(&self.frame());
        if self.user.is_some() {
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
        }
        res
    }

    /// Who the audit log records for this request (a public reader: `anonymous`).
    pub fn actor(&self) -> accounts::Actor {
        match &self.user {
            Some(u) => u.actor(self.address.clone()),
            None => accounts::Actor { name: "anonymous".into(), user_id: None, address: self.address.clone() },
        }
    }

    fn session_cookie(&self, token: &str, max_age: i64) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")).ok()
    }
}

/// The client's address: the first entry of `X-Forwarded-For` when the proxy is trusted,
/// else the peer's.
fn client_address(headers: &HeaderMap, peer: Option<String>, trust_proxy: bool) -> Option<String> {
    if trust_proxy
        && let Some(first) = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next())
        && let Ok(ip) = first.trim().parse::<std::net::IpAddr>()
    {
        return Some(ip.to_string());
    }
    peer
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn valid_form_token(t: &str) -> bool {
    t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

fn new_form_token() -> Option<String> {
    let mut buf = [0u8; 16];
    getrandom::getrandom(&mut buf).ok()?;
    Some(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `next` when it is a path of this site (`/…`, not `//host`, no backslash or control
/// character), at most 512 bytes.
pub fn local_path(next: &str) -> Option<&str> {
    (next.len() <= 512 && stays_on_site(next)).then_some(next)
}

/// Percent-encoding for a query value: everything but letters, digits and `-_.~`.
pub fn encode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { char::from(b).to_string() } else { format!("%{b:02X}") }).collect()
}

/// The routes of this module.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/logowanie", get(login_page).post(login_form))
        .route("/wyloguj", post(logout_form))
        .route("/zaproszenie/{token}", get(invite_page).post(invite_form))
        .route("/konto", get(account_page))
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    haslo: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

fn login_body(ctx: &Ctx, login: &str, next: Option<&str>, problem: Option<&str>) -> Markup {
    let l = ctx.lang;
    html! {
        h1 { (l.t("Logowanie", "Log in")) }
        p { (l.t("Konta mają osoby, które wprowadzają, zatwierdzają lub weryfikują dane jednostek. Publiczne strony Miernika nie wymagają logowania.",
                 "Accounts are for people who enter, approve or verify the data of units. Miernik's public pages need no login.")) }
        @if let Some(u) = &ctx.user {
            p role="status" { (l.t("Jesteś zalogowany(-a) jako ", "You are logged in as ")) strong { (u.login) } ". " a href=(l.href("/konto")) { (l.t("Moje konto", "My account")) } }
        }
        @if let Some(p) = problem {
            div.box role="alert" id="blad" { p { strong { (p) } } }
        }
        form method="post" action=(l.href("/logowanie")) {
            input type="hidden" name="csrf" value=(ctx.csrf);
            @if let Some(n) = next { input type="hidden" name="next" value=(n); }
            p {
                label for="login" { (l.t("Login", "Login")) } br;
                input #login type="text" name="login" value=(login) autocomplete="username" required autocapitalize="none" spellcheck="false"
                    aria-describedby=[problem.map(|_| "blad")];
            }
            p {
                label for="haslo" { (l.t("Hasło", "Password")) } br;
                input #haslo type="password" name="haslo" autocomplete="current-password" required;
            }
            p { button type="submit" { (l.t("Zaloguj się", "Log in")) } }
        }
        p.small.muted { (l.t("Nie masz hasła? Administrator wysyła jednorazowy link zaproszenia, pod którym ustawisz hasło.",
                             "No password? An administrator sends you a one-time invitation link where you set it.")) }
    }
}

async fn login_page(mut ctx: Ctx, q: Result<axum::extract::Query<LoginQuery>, axum::extract::rejection::QueryRejection>) -> Response {
    let next = q.ok().and_then(|axum::extract::Query(q)| q.next).filter(|n| local_path(n).is_some());
    let set = ctx.form_token("/logowanie");
    let body = login_body(&ctx, "", next.as_deref(), None);
    let mut res = ctx.page(StatusCode::OK, ctx.lang.t("Logowanie", "Log in"), body);
    if let Some(v) = set {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

async fn login_form(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    form: Result<axum::Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let l = ctx.lang;
    let Ok(axum::Form(form)) = form else {
        return ctx.error(WebError::BadRequest("login, haslo, csrf".into()));
    };
    let anonymous_form = !ctx.form_cookie.is_empty() && same(&ctx.form_cookie, &form.csrf);
    if let Err(e) = ctx.check_csrf(&form.csrf)
        && !anonymous_form
    {
        return ctx.error(e);
    }
    let next = local_path(&form.next).filter(|n| !n.is_empty()).map(str::to_owned);
    match accounts::login(&state.store, &form.login, &form.haslo, ctx.address.as_deref()).await {
        Ok(LoginOutcome::Ok { token, .. }) => {
            // The session the browser had (if any) ends: one browser, one session.
            if let Some(old) = &ctx.session_token
                && let Err(e) = accounts::logout(&state.store, old, ctx.address.clone()).await
            {
                tracing::warn!("old session not ended: {e}");
            }
            let to = next.unwrap_or_else(|| "/konto".to_owned());
            let mut res = Redirect::to(&l.href(&to)).into_response();
            if let Some(c) = ctx.session_cookie(&token, accounts::SESSION_SECS) {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Ok(LoginOutcome::Wrong) => {
            let why = l.t("Nieprawidłowy login lub hasło.", "Wrong login or password.");
            let body = login_body(&ctx, &form.login, next.as_deref(), Some(why));
            ctx.page(StatusCode::UNAUTHORIZED, l.t("Logowanie", "Log in"), body)
        }
        Ok(LoginOutcome::Throttled { retry_after_secs }) => {
            let minutes = retry_after_secs.div_ceil(60);
            let why = if l.en {
                format!("Too many failed logins. Try again in {minutes} min.")
            } else {
                format!("Zbyt wiele nieudanych prób logowania. Spróbuj ponownie za {minutes} min.")
            };
            let body = login_body(&ctx, &form.login, next.as_deref(), Some(&why));
            let mut res = ctx.page(StatusCode::TOO_MANY_REQUESTS, l.t("Logowanie", "Log in"), body);
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        Err(e) => ctx.error(WebError::from(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout_form(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    form: Result<axum::Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let l = ctx.lang;
    let sent = form.map(|axum::Form(f)| f.csrf).unwrap_or_default();
    if ctx.user.is_none() {
        // Nothing to end (the session has expired): home.
        return Redirect::to(&l.href("/")).into_response();
    }
    if let Err(e) = ctx.check_csrf(&sent) {
        return ctx.error(e);
    }
    if let Some(token) = &ctx.session_token
        && let Err(e) = accounts::logout(&state.store, token, ctx.address.clone()).await
    {
        return ctx.error(WebError::from(e));
    }
    let mut res = Redirect::to(&l.href("/")).into_response();
    if let Some(c) = ctx.session_cookie("", 0) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn invite_problem_words(l: L, p: InviteProblem) -> (StatusCode, &'static str) {
    match p {
        InviteProblem::Unknown => (
            StatusCode::NOT_FOUND,
            l.t("Nie ma takiego zaproszenia. Sprawdź, czy link jest cały.", "There is no such invitation. Check that the link is complete."),
        ),
        InviteProblem::Used => (
            StatusCode::GONE,
            l.t(
                "To zaproszenie zostało już wykorzystane. Zaloguj się albo poproś administratora o nowe.",
                "This invitation has been used already. Log in, or ask an administrator for a new one.",
            ),
        ),
        InviteProblem::Expired => (
            StatusCode::GONE,
            l.t("To zaproszenie wygasło. Poproś administratora o nowe.", "This invitation has expired. Ask an administrator for a new one."),
        ),
        InviteProblem::Disabled => (
            StatusCode::GONE,
            l.t("To konto jest wyłączone. Skontaktuj się z administratorem.", "This account is disabled. Contact an administrator."),
        ),
    }
}

fn password_problem_words(l: L, p: PasswordProblem) -> String {
    match p {
        PasswordProblem::TooShort => {
            if l.en {
                format!("The password must have at least {} characters.", accounts::MIN_PASSWORD)
            } else {
                format!("Hasło musi mieć co najmniej {} znaków.", accounts::MIN_PASSWORD)
            }
        }
        PasswordProblem::SameAsLogin => l.t("Hasło nie może być takie jak login.", "The password must not be the login.").to_owned(),
    }
}

fn invite_body(ctx: &Ctx, token: &str, login: &str, problem: Option<&str>) -> Markup {
    let l = ctx.lang;
    let action = l.href(&format!("/zaproszenie/{}", encode(token)));
    html! {
        h1 { (l.t("Ustaw hasło", "Set your password")) }
        p { (l.t("Konto: ", "Account: ")) strong { (login) } }
        @if let Some(p) = problem {
            div.box role="alert" id="blad" { p { strong { (p) } } }
        }
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(ctx.csrf);
            input type="text" name="login" value=(login) autocomplete="username" hidden;
            p {
                label for="haslo" { (l.t("Nowe hasło", "New password")) } br;
                input #haslo type="password" name="haslo" autocomplete="new-password" required minlength=(accounts::MIN_PASSWORD) aria-describedby="zasady";
            }
            p id="zasady" class="small muted" {
                @if l.en { "At least " (accounts::MIN_PASSWORD) " characters, not the login. A sentence of a few words is easy to remember." }
                @else { "Co najmniej " (accounts::MIN_PASSWORD) " znaków, inne niż login. Zdanie z kilku słów łatwo zapamiętać." }
            }
            p {
                label for="haslo2" { (l.t("Powtórz hasło", "Repeat the password")) } br;
                input #haslo2 type="password" name="haslo2" autocomplete="new-password" required;
            }
            p { button type="submit" { (l.t("Ustaw hasło", "Set the password")) } }
        }
    }
}

async fn invite_page(State(state): State<Arc<AppState>>, mut ctx: Ctx, Path(token): Path<String>) -> Response {
    let l = ctx.lang;
    match accounts::check_invite(&state.store, &token).await {
        Ok(login) => {
            let set = ctx.form_token("/zaproszenie");
            let body = invite_body(&ctx, &token, &login, None);
            let mut res = ctx.page(StatusCode::OK, l.t("Ustaw hasło", "Set your password"), body);
            if let Some(v) = set {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(app::AppError::Invite(p)) => invite_gone(&ctx, p),
        Err(e) => ctx.error(WebError::from(e)),
    }
}

fn invite_gone(ctx: &Ctx, p: InviteProblem) -> Response {
    let l = ctx.lang;
    let (status, words) = invite_problem_words(l, p);
    let body = html! {
        h1 { (l.t("Zaproszenie nie działa", "The invitation does not work")) }
        p { (words) }
        p { a href=(l.href("/logowanie")) { (l.t("Logowanie", "Log in")) } }
    };
    ctx.page(status, l.t("Zaproszenie", "Invitation"), body)
}

#[derive(Debug, Default, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    haslo: String,
    #[serde(default)]
    haslo2: String,
    #[serde(default)]
    csrf: String,
}

async fn invite_form(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(token): Path<String>,
    form: Result<axum::Form<InviteForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let l = ctx.lang;
    let Ok(axum::Form(form)) = form else {
        return ctx.error(WebError::BadRequest("haslo, haslo2, csrf".into()));
    };
    if let Err(e) = ctx.check_csrf(&form.csrf) {
        return ctx.error(e);
    }
    let login = match accounts::check_invite(&state.store, &token).await {
        Ok(login) => login,
        Err(app::AppError::Invite(p)) => return invite_gone(&ctx, p),
        Err(e) => return ctx.error(WebError::from(e)),
    };
    let again = |why: &str| ctx.page(StatusCode::BAD_REQUEST, l.t("Ustaw hasło", "Set your password"), invite_body(&ctx, &token, &login, Some(why)));
    if form.haslo != form.haslo2 {
        return again(l.t("Hasła się różnią. Wpisz to samo hasło dwa razy.", "The passwords differ. Type the same password twice."));
    }
    match accounts::accept_invite(&state.store, &token, &form.haslo, ctx.address.clone()).await {
        Ok(login) => {
            let body = html! {
                h1 { (l.t("Hasło ustawione", "Password set")) }
                p role="status" { (l.t("Hasło konta ", "The password of ")) strong { (login) } (l.t(" jest ustawione. Możesz się zalogować.", " is set. You can log in now.")) }
                p { a href=(l.href("/logowanie")) { (l.t("Zaloguj się", "Log in")) } }
            };
            ctx.page(StatusCode::OK, l.t("Hasło ustawione", "Password set"), body)
        }
        Err(app::AppError::Password(p)) => again(&password_problem_words(l, p)),
        Err(app::AppError::Invite(p)) => invite_gone(&ctx, p),
        Err(e) => ctx.error(WebError::from(e)),
    }
}

/// A role in words.
pub fn role_words(l: L, r: accounts::Role) -> &'static str {
    let (pl, en) = r.words();
    l.t(pl, en)
}

async fn account_page(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let l = ctx.lang;
    let user = match ctx.require_user() {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    let mut rows = Vec::new();
    for g in &user.grants {
        let unit = match g.unit_id {
            Some(id) => match state.store.unit(id).await {
                Ok(u) => u.map(|u| format!("{} ({})", u.name, u.code)).unwrap_or_else(|| format!("#{id}")),
                Err(e) => return ctx.error(WebError::from(e)),
            },
            None => l.t("wszystkie jednostki", "every unit").to_owned(),
        };
        rows.push((role_words(l, g.role), unit));
    }
    let body = html! {
        h1 { (l.t("Moje konto", "My account")) }
        dl {
            dt { (l.t("Imię i nazwisko", "Name")) } dd { (user.display_name) }
            dt { (l.t("Login", "Login")) } dd { (user.login) }
        }
        h2 { (l.t("Moje role", "My roles")) }
        @if rows.is_empty() {
            p { (l.t("Nie masz jeszcze żadnej roli. Poproś administratora o jej nadanie.", "You have no role yet. Ask an administrator to grant you one.")) }
        } @else {
            table {
                caption.sr { (l.t("Role i jednostki", "Roles and units")) }
                thead { tr { th scope="col" { (l.t("Rola", "Role")) } th scope="col" { (l.t("Jednostka", "Unit")) } } }
                tbody { @for (role, unit) in &rows { tr { td { (role) } td { (unit) } } } }
            }
        }
        h2 { (l.t("Moja praca", "My work")) }
        ul {
            li { a href=(l.href("/ankiety")) { (l.t("Moje ankiety", "My questionnaires")) } }
            @if user.can_any(Action::Verify) { li { a href=(l.href("/weryfikacja")) { (l.t("Weryfikacja danych", "Data verification")) } } }
            @if user.is_admin() {
                li { a href=(l.href("/admin/uzytkownicy")) { (l.t("Użytkownicy i role", "Users and roles")) } }
                li { a href=(l.href("/admin/audyt")) { (l.t("Dziennik zmian (audyt)", "Audit log")) } }
            }
        }
        form method="post" action=(l.href("/wyloguj")) {
            input type="hidden" name="csrf" value=(ctx.csrf);
            button type="submit" { (l.t("Wyloguj się", "Log out")) }
        }
    };
    ctx.page(StatusCode::OK, l.t("Moje konto", "My account"), body)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/konto"), Some("/konto"));
        assert_eq!(local_path("/ankiety/1?x=2"), Some("/ankiety/1?x=2"));
        for bad in ["//evil.example", "/\\evil.example", "https://evil.example", "evil", "", "/a\nb"] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
        assert_eq!(encode("/a b?c=ą"), "%2Fa%20b%3Fc%3D%C4%85");
    }

    #[test]
    fn the_address_is_the_peer_unless_a_trusted_proxy_says() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.7, 10.0.0.1"));
        assert_eq!(client_address(&h, Some("10.0.0.1".into()), false).as_deref(), Some("10.0.0.1"));
        assert_eq!(client_address(&h, Some("10.0.0.1".into()), true).as_deref(), Some("203.0.113.7"));
        h.insert("x-forwarded-for", HeaderValue::from_static("not an address"));
        assert_eq!(client_address(&h, Some("10.0.0.1".into()), true).as_deref(), Some("10.0.0.1"));
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("xmiernik_sesja=1; miernik_sesja=abc; b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
