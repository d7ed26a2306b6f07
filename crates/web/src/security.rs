//! Security headers on every answer of the router — pages, API JSON, errors, 304s, 503s,
//! downloads, scripts, icons — and `Secure` on its cookies when readers come over https.
//!
//! The pages' Content-Security-Policy ([`PAGE_CSP`]) runs scripts only from the site's own
//! files (`/static/…`, see `layout::script_src`): no inline script, no `on…=` handler, no
//! `javascript:` URL (`tests/security.rs` walks the pages for them). Styles may be inline:
//! the frame's style sheet, the `<style>` of every SVG map (scoped to its id, coloured by its
//! classes) and `style=` attributes (a legend swatch's colour, layout in the table builder)
//! are written per page, and a hash list cannot cover attributes nor be mixed with
//! `'unsafe-inline'`. Every answer that is not a page (JSON, CSV, XLSX, PDF, scripts, icons)
//! gets [`STRICT_CSP`], which allows nothing at all.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderName};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// The policy of an HTML page: see the module's documentation.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self'; connect-src 'self'; \
                            form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The policy of every answer that is not a page: nothing to load, nothing to run, no frame.
pub const STRICT_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The browser features no page uses, switched off for the page and anything it embeds.
pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()";

/// The headers every answer carries besides the Content-Security-Policy (a handler's own
/// value of one wins).
fn fixed() -> [(HeaderName, &'static str); 5] {
    [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Addresses carry the reader's choices (units, groups): they stay on the site.
        (header::REFERRER_POLICY, "same-origin"),
        // `frame-ancestors` for browsers without CSP 2.
        (header::X_FRAME_OPTIONS, "DENY"),
        (HeaderName::from_static("permissions-policy"), PERMISSIONS_POLICY),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ]
}

/// The middleware: the headers on the answer, and `Secure` on its cookies when
/// [`AppState::cookies_secure`] says the reader came over https.
pub async fn headers(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let secure = state.cookies_secure(req.headers());
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let csp = policy_for(api, h);
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(csp));
    for (name, value) in fixed() {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    if secure {
        mark_secure(h);
    }
    res
}

/// [`PAGE_CSP`] for an HTML page, [`STRICT_CSP`] for anything else. An answer without a body
/// type (304, a redirect) takes its path's: the API's strict, a page's the page one — a 304's
/// headers update the kept copy's, so it must not tighten a page's policy.
fn policy_for(api: bool, h: &HeaderMap) -> &'static str {
    let html = match h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        Some(ct) => ct.trim_start().to_ascii_lowercase().starts_with("text/html"),
        None => !api,
    };
    if html && !api { PAGE_CSP } else { STRICT_CSP }
}

/// Adds `; Secure` to every `Set-Cookie` that lacks it.
fn mark_secure(h: &mut HeaderMap) {
    let cookies: Vec<HeaderValue> = h.get_all(header::SET_COOKIE).iter().cloned().collect();
    if cookies.is_empty() {
        return;
    }
    h.remove(header::SET_COOKIE);
    for v in cookies {
        let has = v.to_str().is_ok_and(|s| s.split(';').skip(1).any(|a| a.trim().eq_ignore_ascii_case("secure")));
        let secured = if has {
            v
        } else {
            let mut bytes = v.as_bytes().to_vec();
            bytes.extend_from_slice(b"; Secure");
            HeaderValue::from_bytes(&bytes).unwrap_or(v)
        };
        h.append(header::SET_COOKIE, secured);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    fn map(pairs: &[(HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn pages_get_the_page_policy_and_everything_else_the_strict_one() {
        let html = map(&[(header::CONTENT_TYPE, "text/html; charset=utf-8")]);
        let json = map(&[(header::CONTENT_TYPE, "application/json")]);
        let none = HeaderMap::new();
        assert_eq!(policy_for(false, &html), PAGE_CSP);
        assert_eq!(policy_for(false, &none), PAGE_CSP, "a page's 304 keeps the page's policy");
        assert_eq!(policy_for(false, &json), STRICT_CSP);
        assert_eq!(policy_for(true, &none), STRICT_CSP);
        assert_eq!(policy_for(true, &html), STRICT_CSP);
    }

    #[test]
    fn secure_is_added_once_to_every_cookie() {
        let mut h = map(&[
            (header::SET_COOKIE, "a=1; Path=/; HttpOnly; SameSite=Lax"),
            (header::SET_COOKIE, "b=2; Path=/grupy; secure; HttpOnly"),
            (header::CONTENT_TYPE, "text/html"),
        ]);
        mark_secure(&mut h);
        let got: Vec<&str> = h.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap()).collect();
        assert_eq!(got, ["a=1; Path=/; HttpOnly; SameSite=Lax; Secure", "b=2; Path=/grupy; secure; HttpOnly"]);
        assert_eq!(h.get(header::CONTENT_TYPE).unwrap(), "text/html");
    }
}
