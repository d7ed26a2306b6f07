//! The portal's security headers, in process, on the demo data: a Content-Security-Policy
//! and the other headers on every kind of answer, pages that run no inline script and no
//! event handler, the script files they load, `Secure` cookies behind https, and no link
//! built from the request that leads off the site.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::{demo_file, first_link};

/// A router over the demo with the operator's `options`.
async fn router_with(options: web::ServeOptions) -> axum::Router {
    let store = app::Store::open(&format!("sqlite:{}", demo_file().display())).await.expect("store");
    let live = Arc::new(app::LiveSnapshot::new());
    live.refresh(&store).await.expect("snapshot");
    web::router_for(web::AppState::with_options(store, true, live, options))
}

async fn router() -> axum::Router {
    router_with(web::ServeOptions::default()).await
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

async fn send(router: &axum::Router, req: Request<Body>) -> Answer {
    let res = router.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

async fn get(router: &axum::Router, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = Request::get(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    send(router, req.body(Body::empty()).expect("request")).await
}

/// A tag of an HTML page: its name, attributes (lower-case names, values unescaped of
/// `&amp;` only) and, for `<script>` and `<style>`, the text inside.
#[derive(Debug)]
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
}

/// The start tags of `html`, by a small scanner that is enough for the pages maud writes
/// (text and attribute values have `<`, `>` and `"` escaped; comments and end tags skipped).
fn tags(html: &str) -> Vec<Tag> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(at) = html[i..].find('<').map(|k| i + k) {
        i = at + 1;
        if html[i..].starts_with("!--") {
            i = html[i..].find("-->").map_or(b.len(), |k| i + k + 3);
            continue;
        }
        if matches!(b.get(i), Some(b'/' | b'!' | b'?')) {
            i = html[i..].find('>').map_or(b.len(), |k| i + k + 1);
            continue;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                i += 1;
                break;
            }
            let s = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
                i += 1;
            }
            let attr = html[s..i].to_ascii_lowercase();
            let mut value = String::new();
            if b.get(i) == Some(&b'=') {
                i += 1;
                match b.get(i) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let end = html[i + 1..].find(q as char).map_or(b.len(), |k| i + 1 + k);
                        value = html[i + 1..end].to_owned();
                        i = end + 1;
                    }
                    _ => {
                        let s = i;
                        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                            i += 1;
                        }
                        value = html[s..i].to_owned();
                    }
                }
            }
            attrs.push((attr, value.replace("&amp;", "&")));
        }
        let mut text = String::new();
        if name == "script" || name == "style" {
            let close = format!("</{name}");
            let end = html[i.min(b.len())..].to_ascii_lowercase().find(&close).map_or(b.len(), |k| i + k);
            text = html[i.min(b.len())..end].to_owned();
            i = end;
        }
        out.push(Tag { name, attrs, text });
    }
    out
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// The attributes that hold an address the browser follows or loads.
const URL_ATTRS: [&str; 5] = ["href", "src", "action", "formaction", "xlink:href"];

/// Whether `url` (as the browser reads it) stays on this site: a fragment, or a path with one
/// leading `/` and no `\` or control character.
fn on_site(url: &str) -> bool {
    let u = url.trim();
    u.starts_with('#') || (u.starts_with('/') && !u.starts_with("//") && !u.starts_with("/\\") && !u.chars().any(|c| c == '\\' || c.is_control()))
}

/// The demo's pages of every kind (each also with `lang=en`), the 404 page among them.
async fn demo_pages(r: &axum::Router) -> Vec<String> {
    let woj = first_link(&get(r, "/", &[]).await.body, 2).expect("a województwo link");
    let woj_page = get(r, &format!("/jst/{woj}"), &[]).await.body;
    let powiat = first_link(&woj_page, 4).expect("a powiat link");
    let gmina = first_link(&get(r, &format!("/jst/{powiat}"), &[]).await.body, 7).expect("a gmina link");
    let area = get(r, "/obszar/edukacja", &[]).await.body;
    let indicator = area
        .split("href=\"/wskaznik/")
        .nth(1)
        .map(|rest| rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>())
        .expect("an indicator link");
    let pages = [
        "/".to_owned(),
        "/?q=a".to_owned(),
        format!("/jst/{woj}"),
        format!("/jst/{powiat}"),
        format!("/jst/{gmina}"),
        format!("/wskaznik/{indicator}"),
        format!("/wskaznik/{indicator}?jst={gmina}"),
        "/obszar".to_owned(),
        "/obszar/edukacja".to_owned(),
        format!("/analiza?wskazniki=area:edukacja&jst={gmina}&grupa=najblizsi&lata=all"),
        "/grupy".to_owned(),
        format!("/raport/{gmina}"),
        "/nie-ma-takiej-strony".to_owned(),
    ];
    pages.iter().flat_map(|p| [p.clone(), format!("{p}{}lang=en", if p.contains('?') { '&' } else { '?' })]).collect()
}

#[tokio::test]
async fn pages_run_no_inline_script_no_event_handler_and_only_the_sites_own_script_files() {
    let r = router().await;
    let mut script_files = std::collections::BTreeSet::new();
    for page in demo_pages(&r).await {
        let a = get(&r, &page, &[]).await;
        let expected = if page.starts_with("/nie-ma") { StatusCode::NOT_FOUND } else { StatusCode::OK };
        assert_eq!(a.status, expected, "{page}");
        let csp = a.headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(csp.contains("script-src 'self'") && !csp.contains("script-src 'self' 'unsafe-inline'"), "{page}: {csp}");
        for tag in tags(&a.body) {
            for (name, value) in &tag.attrs {
                assert!(!(name.starts_with("on") && name.len() > 2), "{page}: an event handler <{} {name}=\"{value}\">", tag.name);
                assert!(!value.trim().to_ascii_lowercase().starts_with("javascript:"), "{page}: a javascript: URL in <{} {name}>", tag.name);
                if URL_ATTRS.contains(&name.as_str()) {
                    assert!(on_site(value), "{page}: <{} {name}=\"{value}\"> leads off the site", tag.name);
                }
            }
            if tag.name == "script" {
                // 'self' allows a file of this site only: a path, never inline text.
                let src = tag.attr("src").unwrap_or_else(|| panic!("{page}: an inline <script>: {}", tag.text));
                assert!(tag.text.trim().is_empty(), "{page}: a <script src> with text inside");
                assert!(on_site(src) && src.starts_with("/static/"), "{page}: <script src=\"{src}\">");
                script_files.insert(src.to_owned());
            }
        }
    }
    // The pages do load their scripts, from files this site serves as JavaScript.
    let names: Vec<&str> = script_files.iter().map(|s| s.split('?').next().unwrap()).collect();
    assert!(names.contains(&"/static/suggest.js") && names.contains(&"/static/map-info.js"), "{script_files:?}");
    for src in &script_files {
        let a = get(&r, src, &[]).await;
        assert_eq!(a.status, StatusCode::OK, "{src}");
        assert_eq!(a.headers[header::CONTENT_TYPE], "text/javascript; charset=utf-8", "{src}");
        assert_eq!(a.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{src}");
        assert!(a.body.contains("addEventListener"), "{src}");
    }
}

#[tokio::test]
async fn script_files_are_kept_a_year_by_their_version_and_revalidated_by_etag() {
    let r = router().await;
    let home = get(&r, "/", &[]).await.body;
    let src = tags(&home).into_iter().find(|t| t.name == "script").and_then(|t| t.attr("src").map(str::to_owned)).expect("a script on the home page");
    assert!(src.starts_with("/static/suggest.js?v="), "{src}");
    let a = get(&r, &src, &[]).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.headers[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
    let etag = a.headers[header::ETAG].to_str().unwrap().to_owned();
    let again = get(&r, &src, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    // Without the current version the copy is kept briefly: the file may change under it.
    let unversioned = get(&r, "/static/suggest.js", &[]).await;
    assert_eq!(unversioned.status, StatusCode::OK);
    assert_ne!(unversioned.headers[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
    assert_eq!(get(&r, "/static/nie-ma.js", &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&r, "/static/..%2Fsecurity.rs", &[]).await.status, StatusCode::NOT_FOUND);
}

/// The headers every answer must carry, and its policy: the page one for HTML, else strict.
fn check_headers(what: &str, a: &Answer, page: bool) {
    let h = |name: &str| a.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("{what}: no {name}")).to_owned();
    let csp = h("content-security-policy");
    if page {
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "img-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.split(';').any(|d| d.trim() == directive), "{what}: {directive} in {csp}");
        }
    } else {
        assert_eq!(csp, "default-src 'none'; frame-ancestors 'none'", "{what}");
    }
    assert_eq!(h("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(h("referrer-policy"), "same-origin", "{what}");
    assert_eq!(h("x-frame-options"), "DENY", "{what}");
    assert_eq!(h("cross-origin-opener-policy"), "same-origin", "{what}");
    let permissions = h("permissions-policy");
    for feature in ["camera=()", "microphone=()", "geolocation=()"] {
        assert!(permissions.contains(feature), "{what}: {feature} in {permissions}");
    }
}

#[tokio::test]
async fn every_kind_of_answer_carries_the_security_headers_and_the_api_keeps_its_cors() {
    let r = router().await;
    // Pages, their errors and their 304s.
    let home = get(&r, "/", &[]).await;
    check_headers("/", &home, true);
    let etag = home.headers[header::ETAG].to_str().unwrap().to_owned();
    let not_modified = get(&r, "/", &[("if-none-match", &etag)]).await;
    assert_eq!(not_modified.status, StatusCode::NOT_MODIFIED);
    check_headers("/ 304", &not_modified, true);
    for (uri, status) in [
        ("/jst/02", StatusCode::OK),
        ("/grupy", StatusCode::OK),
        ("/nie-ma-takiej-strony", StatusCode::NOT_FOUND),
        ("/jst/02?rok=abc", StatusCode::BAD_REQUEST),
        ("/raport/02", StatusCode::OK),
        ("/?q=DOLNOSLASKIE", StatusCode::SEE_OTHER),
    ] {
        let a = get(&r, uri, &[]).await;
        assert_eq!(a.status, status, "{uri}");
        check_headers(uri, &a, true);
    }
    // A method the route does not take.
    let a = send(&r, Request::delete("/").body(Body::empty()).unwrap()).await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    check_headers("DELETE /", &a, true);
    // A form refused (no CSRF token).
    let a =
        send(&r, Request::post("/grupy").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from("akcja=zapisz")).unwrap())
            .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    check_headers("POST /grupy", &a, true);
    // Everything that is not a page: the strict policy.
    for (uri, status) in [
        ("/api/v1/units?limit=2", StatusCode::OK),
        ("/api/v1/openapi.json", StatusCode::OK),
        ("/api/v1/units/x2", StatusCode::BAD_REQUEST),
        ("/api/v1/nie-ma", StatusCode::NOT_FOUND),
        ("/api/v1/data?indicators=EDU_01&units=02&format=csv", StatusCode::OK),
        ("/raport/02?format=pdf", StatusCode::OK),
        ("/sugestie?q=dolno", StatusCode::OK),
        ("/favicon.ico", StatusCode::OK),
        ("/favicon.svg", StatusCode::OK),
        ("/static/suggest.js", StatusCode::OK),
        ("/health", StatusCode::OK),
    ] {
        let a = get(&r, uri, &[]).await;
        assert_eq!(a.status, status, "{uri}: {}", a.body.chars().take(200).collect::<String>());
        check_headers(uri, &a, false);
    }
    // The API's 304 and its CORS: a cross-origin GET and a preflight still work.
    let units = get(&r, "/api/v1/units?limit=2", &[("origin", "https://elsewhere.example")]).await;
    assert_eq!(units.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    let etag = units.headers[header::ETAG].to_str().unwrap().to_owned();
    let again = get(&r, "/api/v1/units?limit=2", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    check_headers("API 304", &again, false);
    let preflight = send(
        &r,
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/api/v1/units")
            .header("origin", "https://elsewhere.example")
            .header("access-control-request-method", "GET")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);
    assert_eq!(preflight.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert!(preflight.headers[header::ACCESS_CONTROL_ALLOW_METHODS].to_str().unwrap().contains("GET"));
    check_headers("API preflight", &preflight, false);
}

/// The `Set-Cookie` values of a `GET /grupy` (the CSRF cookie) and of a saved group (the
/// groups cookie), for a router with `options` and requests with `extra` headers.
async fn cookies(options: web::ServeOptions, extra: &[(&str, &str)]) -> Vec<String> {
    let r = router_with(options).await;
    let page = get(&r, "/grupy", extra).await;
    let mut out: Vec<String> = page.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let csrf = out.first().and_then(|c| c.split(';').next()).and_then(|kv| kv.strip_prefix("miernik_csrf=")).expect("a CSRF cookie").to_owned();
    let mut req = Request::post("/grupy")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("miernik_csrf={csrf}"));
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let saved = send(&r, req.body(Body::from(format!("csrf={csrf}&akcja=zapisz&nazwa=Test&jednostki=02%2C04"))).unwrap()).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    out.extend(saved.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()));
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(out[1].starts_with("miernik_grupy="), "{out:?}");
    out
}

fn secure(cookie: &str) -> bool {
    cookie.split(';').skip(1).any(|a| a.trim().eq_ignore_ascii_case("secure"))
}

#[tokio::test]
async fn cookies_are_secure_exactly_when_the_reader_comes_over_https() {
    let https = || web::ServeOptions { public_url: Some("https://miernik.example.pl".into()), trust_proxy: false, ..Default::default() };
    let proxy = || web::ServeOptions { public_url: None, trust_proxy: true, ..Default::default() };
    let forwarded = [("x-forwarded-proto", "https")];
    for (what, options, extra, want) in [
        ("public https address", https(), &[][..], true),
        ("trusted proxy says https", proxy(), &forwarded[..], true),
        ("trusted proxy says http", proxy(), &[("x-forwarded-proto", "http")][..], false),
        ("untrusted X-Forwarded-Proto", web::ServeOptions::default(), &forwarded[..], false),
        (
            "public http address",
            web::ServeOptions { public_url: Some("http://localhost:8080".into()), trust_proxy: false, ..Default::default() },
            &[][..],
            false,
        ),
        ("default", web::ServeOptions::default(), &[][..], false),
    ] {
        for cookie in cookies(options, extra).await {
            assert_eq!(secure(&cookie), want, "{what}: {cookie}");
            assert_eq!(cookie.matches("; Secure").count(), usize::from(want), "{what}: once: {cookie}");
            assert!(cookie.contains("; HttpOnly"), "{what}: {cookie}");
            assert!(cookie.contains("; SameSite="), "{what}: {cookie}");
        }
    }
}

#[tokio::test]
async fn no_link_built_from_the_request_leads_off_the_site() {
    let r = router().await;
    for uri in [
        "//evil.example/x",
        "//evil.example/x?lang=en",
        "//evil.example/x?grupa=kraj&lang=en",
        "/%2F%2Fevil.example",
        "/%2F%2Fevil.example?lang=en",
        "/\\evil.example",
        "/\\evil.example?lang=en",
        "/%5Cevil.example",
        "/jst/..//evil",
        "/jst/..//evil?lang=en",
        "///evil.example",
        "/jst/02/..//evil.example",
    ] {
        let a = get(&r, uri, &[]).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!a.body.contains("href=\"//") && !a.body.contains("href=\"/\\"), "{uri}: {}", a.body);
        assert!(!a.body.contains("href=\"http"), "{uri}");
        for tag in tags(&a.body) {
            for (name, value) in &tag.attrs {
                if URL_ATTRS.contains(&name.as_str()) {
                    assert!(on_site(value) && !value.contains("evil"), "{uri}: <{} {name}=\"{value}\">", tag.name);
                }
            }
        }
        // The language switch of a page that does not exist leads home.
        let switch = if uri.contains("lang=en") { "href=\"/\" lang=\"pl\"" } else { "href=\"/?lang=en\" lang=\"en\"" };
        assert!(a.body.contains(switch), "{uri}: {switch}");
        assert!(a.headers.get(header::LOCATION).is_none(), "{uri}");
    }
    // A page that exists keeps its path and query in the switch.
    let a = get(&r, "/jst/02?grupa=kraj", &[]).await;
    assert!(a.body.contains("href=\"/jst/02?grupa=kraj&amp;lang=en\""));
    // The one redirect built on a request goes to a card of the site.
    let a = get(&r, "/?q=DOLNOSLASKIE", &[]).await;
    assert_eq!(a.headers[header::LOCATION], "/jst/02");
}
