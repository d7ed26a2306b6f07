//! The one error type of the web handlers, [`WebError`]: rendered as an HTML page in Polish or
//! English ([`WebError::into_page`], [`WebError::page`]) or, under `/api`, as JSON
//! `{"error": …}` ([`WebError::into_json`]). The older pages' `PageError` converts into it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use crate::PageError;
use crate::i18n::L;
use crate::layout::{self, Frame};

/// The words of the 503 page when the database cannot answer in time: it may be busy, or
/// down (the pages the snapshot answers are still served then).
pub const BUSY_PL: &str = "Baza danych jest teraz zajęta albo chwilowo niedostępna. Spróbuj ponownie za chwilę.";
pub const BUSY_EN: &str = "The database is busy or briefly unavailable just now. Please try again in a moment.";

/// Whether `e` says the database cannot be reached now — the connection refused, cut or
/// timed out, the pool closed, the server shutting down or refusing connections — rather
/// than that a request or the data is wrong: answered 503 with `Retry-After`, never 500.
/// A reconnect is the pool's: the next request that finds the database up is served.
pub fn db_unreachable(e: &app::AppError) -> bool {
    match e {
        app::AppError::Busy => true,
        app::AppError::Store(s) => store_unreachable(s),
        _ => false,
    }
}

/// [`db_unreachable`] of a store error (the store sorts the driver's errors:
/// `StoreError::Unavailable`).
pub fn store_unreachable(e: &app::StoreError) -> bool {
    matches!(e, app::StoreError::Busy | app::StoreError::Unavailable(_))
}

/// Why a request could not be answered as asked.
#[derive(Debug, Clone, PartialEq)]
pub enum WebError {
    NotFound,
    /// A parameter or form field that is not accepted (named in the text).
    BadRequest(String),
    /// The page needs a signed-in user: 303 to `/logowanie?next=…` (`next` a local path).
    LoginRequired {
        next: String,
    },
    /// Signed in, but the user's roles do not allow it: 403.
    Forbidden,
    /// A form without its CSRF token (or with another's): 403.
    Csrf,
    /// The database had no free connection in time: 503 with `Retry-After`.
    Busy,
    Server(String),
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebError::NotFound => f.write_str("not found"),
            WebError::BadRequest(what) => write!(f, "not accepted: {what}"),
            WebError::LoginRequired { .. } => f.write_str("log in first"),
            WebError::Forbidden => f.write_str("your roles do not allow this"),
            WebError::Csrf => f.write_str("the form's security token is missing or wrong"),
            WebError::Busy => f.write_str("the database is busy"),
            WebError::Server(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for WebError {}

impl From<app::AppError> for WebError {
    fn from(e: app::AppError) -> WebError {
        use app::AppError as E;
        match e {
            E::Busy => WebError::Busy,
            e if db_unreachable(&e) => WebError::Busy,
            E::NotFound(_) | E::UnknownUser { .. } | E::UnknownUnit { .. } | E::UnknownOrganisation { .. } => WebError::NotFound,
            E::Invalid(why) => WebError::BadRequest(why),
            E::Password(_) | E::Invite(_) => WebError::BadRequest(e.to_string()),
            e => WebError::Server(e.to_string()),
        }
    }
}

impl From<app::StoreError> for WebError {
    fn from(e: app::StoreError) -> WebError {
        WebError::from(app::AppError::from(e))
    }
}

impl From<PageError> for WebError {
    fn from(e: PageError) -> WebError {
        match e {
            PageError::NotFound => WebError::NotFound,
            PageError::BadRequest(what) => WebError::BadRequest(what),
            PageError::Busy => WebError::Busy,
            PageError::Server(why) => WebError::Server(why),
        }
    }
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::LoginRequired { .. } => StatusCode::SEE_OTHER,
            WebError::Forbidden | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Server(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The page in `lang`, in a plain frame (no demo banner; the language link goes home).
    pub fn into_page(self, lang: L) -> Response {
        self.page(&Frame { l: lang, demo: false, path: "/", query: None })
    }

    /// The page in the frame of the request that failed.
    pub fn page(self, frame: &Frame<'_>) -> Response {
        let l = frame.l;
        if let WebError::LoginRequired { next } = &self {
            return login_redirect(l, next);
        }
        if let WebError::Server(detail) = &self {
            tracing::error!("{detail}");
        }
        let status = self.status();
        let (title, body) = match &self {
            WebError::NotFound => (
                l.t("Nie znaleziono strony", "Page not found"),
                html! {
                    h1 { (l.t("Nie znaleziono strony", "Page not found")) }
                    p { (l.t("Nie ma takiej jednostki, wskaźnika ani strony. Sprawdź adres albo wyszukaj jednostkę.", "There is no such unit, indicator or page. Check the address or search for a unit.")) }
                    p { a href=(l.href("/")) { (l.t("Wyszukaj jednostkę", "Search for a unit")) } " · " a href=(l.href("/obszar")) { (l.t("Obszary i wskaźniki", "Areas and indicators")) } }
                },
            ),
            WebError::BadRequest(what) => (
                l.t("Nieprawidłowe żądanie", "Bad request"),
                html! {
                    h1 { (l.t("Nieprawidłowe żądanie", "Bad request")) }
                    p { (l.t("Strona nie przyjmuje tego: ", "The page does not take this: ")) code { (what) } }
                    p { a href=(l.href("/")) { (l.t("Wróć na stronę główną", "Back to the home page")) } }
                },
            ),
            WebError::Forbidden => (
                l.t("Brak uprawnień", "Not allowed"),
                html! {
                    h1 { (l.t("Brak uprawnień", "Not allowed")) }
                    p { (l.t("Twoje role nie pozwalają otworzyć tej strony ani wykonać tej czynności. Jeśli powinny, poproś administratora o nadanie roli.",
                             "Your roles do not allow this page or this action. If they should, ask an administrator to grant you the role.")) }
                    p { a href=(l.href("/konto")) { (l.t("Moje konto", "My account")) } }
                },
            ),
            WebError::Csrf => (
                l.t("Formularz wygasł", "The form has expired"),
                html! {
                    h1 { (l.t("Formularz wygasł", "The form has expired")) }
                    p { (l.t("Formularz nie miał ważnego znacznika bezpieczeństwa (może był otwarty w innej karcie albo sesja się zmieniła). Nic nie zostało zapisane. Wróć, odśwież stronę i wyślij go jeszcze raz.",
                             "The form did not carry a valid security token (it may have been open in another tab, or the session changed). Nothing was saved. Go back, reload the page and send it again.")) }
                },
            ),
            WebError::Busy => (
                l.t("Serwer jest zajęty", "The server is busy"),
                html! { h1 { (l.t("Serwer jest zajęty", "The server is busy")) } p { (l.t(BUSY_PL, BUSY_EN)) } },
            ),
            WebError::Server(_) | WebError::LoginRequired { .. } => (
                l.t("Błąd serwera", "Server error"),
                html! { h1 { (l.t("Błąd serwera", "Server error")) } p { (l.t("Spróbuj ponownie za chwilę.", "Please try again in a moment.")) } },
            ),
        };
        let mut res = (
            status,
            [
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            ],
            layout::page(frame, title, body),
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        res
    }

    /// The JSON answer (`/api`): `{"error": code, "message": text}`.
    pub fn into_json(self) -> Response {
        let code = match &self {
            WebError::NotFound => "not_found",
            WebError::BadRequest(_) => "bad_request",
            WebError::LoginRequired { .. } => "login_required",
            WebError::Forbidden => "forbidden",
            WebError::Csrf => "csrf",
            WebError::Busy => "busy",
            WebError::Server(_) => "server_error",
        };
        let message = match &self {
            WebError::Server(detail) => {
                tracing::error!("{detail}");
                "server error, try again".to_owned()
            }
            e => e.to_string(),
        };
        let status = match self.status() {
            StatusCode::SEE_OTHER => StatusCode::UNAUTHORIZED,
            s => s,
        };
        let mut res = (
            status,
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            axum::Json(serde_json::json!({"error": code, "message": message})),
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        res
    }
}

/// 303 to the login page, which comes back to `next` (a local path) after logging in.
pub fn login_redirect(l: L, next: &str) -> Response {
    let mut to = String::from("/logowanie");
    if crate::auth::local_path(next).is_some() {
        to.push_str("?next=");
        to.push_str(&crate::auth::encode(next));
    }
    let mut res = Redirect::to(&l.href(&to)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_json_codes() {
        assert_eq!(WebError::Forbidden.status(), StatusCode::FORBIDDEN);
        assert_eq!(WebError::Csrf.status(), StatusCode::FORBIDDEN);
        assert_eq!(WebError::LoginRequired { next: "/konto".into() }.into_json().status(), StatusCode::UNAUTHORIZED);
        assert_eq!(WebError::Busy.into_page(L::PL).headers().get(header::RETRY_AFTER).map(|v| v.as_bytes()), Some(&b"2"[..]));
        let r = WebError::LoginRequired { next: "/ankiety?x=1".into() }.into_page(L { en: true });
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()), Some("/logowanie?next=%2Fankiety%3Fx%3D1&lang=en"));
        let r = WebError::LoginRequired { next: "//evil.example".into() }.into_page(L::PL);
        assert_eq!(r.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()), Some("/logowanie"));
        assert_eq!(WebError::from(PageError::NotFound), WebError::NotFound);
        assert_eq!(WebError::from(app::AppError::Busy), WebError::Busy);
    }
}
