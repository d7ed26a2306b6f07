//! The frame every page shares: head, skip link, header with the language switch and the
//! synthetic-data banner, footer; the style sheet; the site's script files (`/static/…`);
//! helpers for unit names.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::cache::{CachedPage, Sharing};
use crate::i18n::{L, switch_language};

/// What the frame needs to know of the request.
pub struct Frame<'a> {
    pub l: L,
    pub demo: bool,
    pub path: &'a str,
    pub query: Option<&'a str>,
}

pub const CSS: &str = r#"
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1a1a1a;background:#fff;line-height:1.5}
.wrap{max-width:72rem;margin:0 auto;padding:0 1rem}
a{color:#0b4f9c}a:visited{color:#5a2d82}
a:focus-visible,input:focus-visible,select:focus-visible,button:focus-visible,summary:focus-visible,[tabindex]:focus-visible{outline:3px solid #b35c00;outline-offset:2px}
a:focus,input:focus,select:focus,button:focus,summary:focus{outline:3px solid #b35c00;outline-offset:2px}
header.site{background:#0b3d6e;color:#fff}header.site a{color:#fff}
header.site .wrap{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;justify-content:space-between;padding:.6rem 1rem}
header.site nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:1rem;margin:0;padding:0}
header.site a:focus,header.site a:focus-visible{outline-color:#ffd27a}
.brand{font-size:1.25rem;font-weight:700;text-decoration:none}
.banner{background:#fff3cd;border:2px solid #8a6d00;padding:.5rem 1rem;margin:1rem 0}.banner p{margin:0}
main{padding-bottom:2rem}
h1{font-size:1.8rem;line-height:1.2;margin:1.2rem 0 .5rem}h2{font-size:1.35rem;margin:1.8rem 0 .5rem}h3{font-size:1.1rem;margin:1.2rem 0 .4rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}
th,td{border-bottom:1px solid #b5b5b5;padding:.3rem .5rem;text-align:left;vertical-align:middle}
thead th{border-bottom:2px solid #595959;font-size:.9rem}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
caption{text-align:left;font-weight:700;padding:.25rem 0}
.scroll{overflow-x:auto;max-width:100%;position:relative}
.muted{color:#595959}.small{font-size:.875rem}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr));gap:.5rem;margin:1rem 0;padding:0;list-style:none}
.facts li,.facts>div{border:1px solid #b5b5b5;border-radius:4px;padding:.5rem .75rem}.facts b{display:block;font-size:1.2rem}
.facts dt{font-weight:700;font-size:.9rem}.facts dd{margin:0}
form.controls{display:flex;flex-wrap:wrap;gap:.75rem 1rem;align-items:flex-end;background:#f2f5f8;border:1px solid #b5b5b5;border-radius:4px;padding:.75rem;margin:1rem 0}
form.controls label{display:flex;flex-direction:column;font-size:.9rem;font-weight:600;min-width:0;max-width:100%}
input,select,button,textarea{font:inherit;padding:.35rem .5rem;border:1px solid #595959;border-radius:3px;background:#fff;color:#1a1a1a;max-width:100%}
fieldset{min-width:0}form p{min-width:0;max-width:100%}textarea{width:100%;max-width:40rem}textarea:focus,textarea:focus-visible{outline:3px solid #b35c00;outline-offset:2px}
button{background:#0b3d6e;color:#fff;border-color:#0b3d6e;cursor:pointer}
.search{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0 1rem}.search input{flex:1 1 16rem;min-width:0;font-size:1.1rem}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:1rem 2rem}
.box{border:1px solid #b5b5b5;border-radius:4px;padding:.25rem 1rem;margin:1rem 0}
.good{color:#00573f}.bad{color:#8f2d00}
.tag{display:inline-block;font-size:.8rem;font-weight:700;border:1px solid currentColor;border-radius:3px;padding:0 .3rem;white-space:nowrap}
.chart{max-width:42rem}.chart svg{display:block;width:100%;height:auto}
td svg{display:block}
.map svg{display:block;width:100%;height:auto;max-width:40rem}
.sel td,.sel th{background:#fff3cd;font-weight:700}
.skip{position:absolute;left:-9999px;top:0}.skip:focus{left:1rem;top:1rem;background:#fff;color:#0b4f9c;padding:.5rem;z-index:10}
.skip-in{position:absolute;left:-9999px}.skip-in:focus{position:static;display:inline-block;margin:.25rem 0}
.legend p{margin:.5rem 0 .25rem}.legend ul{list-style:none;margin:0 0 .5rem;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1.25rem}
.legend li{display:flex;align-items:center;gap:.4rem;font-size:.95rem;font-variant-numeric:tabular-nums}
.sw{display:inline-block;width:1.6rem;height:1rem;border:1px solid #1a1a1a;flex:none}.sw.nd{background:repeating-linear-gradient(45deg,#f0f0f0 0 3px,#767676 3px 4px)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,24rem),1fr));gap:1rem 2rem}figure.chart{margin:0 0 1rem}figure.chart figcaption{font-weight:600;font-size:.95rem}
footer{border-top:1px solid #b5b5b5;margin-top:2rem;padding:1rem 0;font-size:.9rem;color:#595959}
details summary{cursor:pointer;font-weight:600}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:40rem){h1{font-size:1.45rem}th,td{padding:.25rem .3rem}th.num{white-space:normal}.hide-phone{display:none}
table.stack,.stack tbody,.stack tr,.stack th,.stack td,.stack caption{display:block;width:auto}
.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.stack tr{border-bottom:1px solid #b5b5b5;padding:.5rem 0}.stack th,.stack td{border:0;padding:.1rem 0;text-align:left}
.stack th{font-size:1.05rem}.stack td.num{text-align:left;white-space:normal}.stack .hide-phone{display:none}
.stack td[data-label]::before{content:attr(data-label) ": ";font-size:.875rem;color:#595959}}
@media print{header.site,form.controls,.skip{display:none}a{color:#000}}
"#;

/// A whole page: `title` is the page's own (without the site name).
pub fn page(f: &Frame<'_>, title: &str, body: Markup) -> String {
    let l = f.l;
    let other = switch_language(f.path, f.query, !l.en);
    let html = html! {
        (DOCTYPE)
        html lang=(l.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) @if !title.is_empty() { " — " } "Miernik" }
                link rel="icon" href="/favicon.svg" type="image/svg+xml";
                style { (PreEscaped(CSS)) }
            }
            body {
                a.skip href="#tresc" { (l.t("Przejdź do treści", "Skip to content")) }
                header.site {
                    div.wrap {
                        a.brand href=(l.href("/")) { "Miernik" }
                        nav aria-label=(l.t("Menu główne", "Main menu")) {
                            ul {
                                li { a href=(l.href("/")) { (l.t("Szukaj jednostki", "Find a unit")) } }
                                li { a href=(l.href("/obszar")) { (l.t("Obszary i wskaźniki", "Areas and indicators")) } }
                                li { a href=(l.href("/analiza")) { (l.t("Analiza", "Analysis")) } }
                                li { a href=(l.href("/grupy")) { (l.t("Moje grupy", "My groups")) } }
                                li {
                                    @if l.en { a href=(other) lang="pl" hreflang="pl" { "Polski" } }
                                    @else { a href=(other) lang="en" hreflang="en" { "English" } }
                                }
                            }
                        }
                    }
                }
                div.wrap {
                    @if f.demo {
                        // A landmark of its own, so that no content lies outside one.
                        aside.banner aria-label=(l.t("Dane demonstracyjne", "Demo data")) {
                            p {
                                strong { (l.t("Dane syntetyczne (demo).", "Synthetic data (demo).")) } " "
                                (l.t("Jednostki poniżej województw i wszystkie liczby są zmyślone — służą do pokazania, jak działa Miernik.",
                                     "Units below voivodeships and all numbers are invented, to show how Miernik works."))
                            }
                        }
                    }
                    main id="tresc" tabindex="-1" { (body) }
                    footer {
                        p { (l.t("Miernik — otwarte oprogramowanie do monitorowania usług publicznych jednostek samorządu terytorialnego.",
                                 "Miernik — open-source monitoring of the public services of Polish local governments.")) }
                        nav aria-label=(l.t("Cykl poprawy usług", "The improvement cycle")) {
                            p {
                                (l.t("Cykl poprawy: ", "Improvement cycle: "))
                                a href=(l.href("/dobre-praktyki")) { (l.t("dobre praktyki", "good practices")) } " · "
                                a href=(l.href("/reorganizacje")) { (l.t("reorganizacje (CUW, OPS)", "reorganisations (CUW, OPS)")) } " · "
                                a href=(l.href("/ocena")) { (l.t("ocena zmian na tle grupy", "re-evaluation against peers")) } " · "
                                a href=(l.href("/obszary-funkcjonalne")) { (l.t("obszary funkcjonalne", "functional areas")) }
                            }
                            p {
                                (l.t("Uczenie się od innych: ", "Learning from others: "))
                                a href=(l.href("/gwd")) { (l.t("grupy wymiany doświadczeń (GWD)", "exchange groups (GWD)")) } " · "
                                a href=(l.href("/badania")) { (l.t("badania opinii użytkowników usług", "service-user surveys")) }
                            }
                        }
                        p { a href=(l.href("/pokrycie")) { (l.t("Pokrycie danych: które wskaźniki mają wartości i czego brakuje", "Data coverage: which indicators have values and what is missing")) } }
                        // The frame is the same for every reader (pages are cached): one static link.
                        p { a href=(l.href("/logowanie")) { (l.t("Zaloguj się (dla osób wprowadzających dane)", "Log in (for people who enter data)")) } " · " a href=(l.href("/konto")) { (l.t("Moje konto", "My account")) } }
                    }
                }
            }
        }
    };
    html.into_string()
}

/// The site's scripts, served from `/static/{name}`: the Content-Security-Policy runs no
/// inline script, only the site's own files (see `security`).
const SCRIPTS: [(&str, &str); 2] = [("suggest.js", include_str!("static/suggest.js")), ("map-info.js", include_str!("static/map-info.js"))];

/// The scripts ready to send (gzip, ETag), made on first use; Last-Modified is the
/// process's start, so a new build never answers 304 to an old copy's date.
fn scripts() -> &'static [(&'static str, CachedPage)] {
    static READY: OnceLock<Vec<(&'static str, CachedPage)>> = OnceLock::new();
    READY.get_or_init(|| {
        let now = std::time::SystemTime::now();
        SCRIPTS.iter().map(|&(name, text)| (name, CachedPage::new(text.to_owned(), "text/javascript; charset=utf-8", now))).collect()
    })
}

/// A script's version: its ETag's hash, which changes with its bytes.
fn version(page: &CachedPage) -> &str {
    page.etag.to_str().unwrap_or("").trim_matches('"').split('-').next().unwrap_or("")
}

/// The address of the script `name` for a `<script src>`: `/static/{name}?v={version}`, so a
/// browser may keep it for a year and a new build's page asks for the new bytes.
pub fn script_src(name: &str) -> String {
    match scripts().iter().find(|(n, _)| *n == name) {
        Some((_, page)) => format!("/static/{name}?v={}", version(page)),
        None => format!("/static/{name}"),
    }
}

/// `GET /static/{name}`: a script of [`SCRIPTS`] with ETag and 304; kept for a year
/// (`immutable`) when asked for by its current version, as the pages do, else for a minute.
pub async fn static_file(Path(name): Path<String>, uri: Uri, headers: HeaderMap) -> Response {
    let Some((_, page)) = scripts().iter().find(|(n, _)| *n == name) else {
        return (axum::http::StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, "no-store")], "no such file\n").into_response();
    };
    let mut res = page.respond_as(&headers, Sharing::Public);
    let current = uri.query().is_some_and(|q| q.split('&').any(|kv| kv.strip_prefix("v=") == Some(version(page))));
    if current {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    }
    res
}

/// The site's icon: a white bar chart on the header's blue.
pub const FAVICON_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0b3d6e"/><path d="M3 13V9h2v4zM7 13V5h2v8zM11 13V3h2v10z" fill="#fff"/></svg>"##;

/// The same icon as a 16 × 16 `/favicon.ico` (one 32-bit BMP image), for the browsers and
/// tools that ask for that file whatever the page's `<link rel=icon>` says.
pub fn favicon_ico() -> Vec<u8> {
    const SIDE: u32 = 16;
    let bar = |x: u32, y: u32| {
        ((3..5).contains(&x) && (9..13).contains(&y))
            || ((7..9).contains(&x) && (5..13).contains(&y))
            || ((11..13).contains(&x) && (3..13).contains(&y))
    };
    let pixels = SIDE * SIDE * 4;
    let mask = SIDE * 4; // 16 rows of 1 bit a pixel, each row padded to 4 bytes
    let image = 40 + pixels + mask;
    let mut out = Vec::with_capacity(22 + image as usize);
    // ICONDIR and its one entry.
    out.extend_from_slice(&[0, 0, 1, 0, 1, 0]);
    out.extend_from_slice(&[SIDE as u8, SIDE as u8, 0, 0, 1, 0, 32, 0]);
    out.extend_from_slice(&image.to_le_bytes());
    out.extend_from_slice(&22u32.to_le_bytes());
    // BITMAPINFOHEADER: the height counts the colour rows and the mask rows.
    out.extend_from_slice(&40u32.to_le_bytes());
    out.extend_from_slice(&SIDE.to_le_bytes());
    out.extend_from_slice(&(2 * SIDE).to_le_bytes());
    out.extend_from_slice(&[1, 0, 32, 0]);
    out.extend_from_slice(&[0; 24]);
    // BGRA rows, bottom row first.
    for y in (0..SIDE).rev() {
        for x in 0..SIDE {
            out.extend_from_slice(if bar(x, y) { &[0xff, 0xff, 0xff, 0xff] } else { &[0x6e, 0x3d, 0x0b, 0xff] });
        }
    }
    out.extend(std::iter::repeat_n(0u8, mask as usize));
    out
}

// How a person names a unit, plain and capitalised for a heading (the report uses them too).
pub use compose::words::{display_name, heading_name};
