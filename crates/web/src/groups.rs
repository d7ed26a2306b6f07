//! The reader's own peer groups (`/grupy`): made, renamed, changed and deleted in the browser
//! and kept in one cookie of that browser until accounts exist — nothing is stored on the
//! server. A group is used anywhere a peer group is chosen as `lista:CODE,CODE,…`, so an
//! address with it works in any browser. Forms carry a CSRF token (double-submit cookie).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use model::TerytCode;

use crate::i18n::L;
use crate::layout::display_name;
use crate::portal::Portal;

/// The cookie holding the groups.
pub const COOKIE: &str = "miernik_grupy";
/// The cookie holding the CSRF token of the forms.
pub const CSRF_COOKIE: &str = "miernik_csrf";
/// Browsers keep cookies of up to 4,096 bytes; the groups' must stay under this.
const MAX_COOKIE: usize = 3800;
const MAX_GROUPS: usize = 20;
const MAX_NAME: usize = 80;
/// The most units one form may list (the cookie keeps about 350 anyway): a longer list is
/// refused before any name is looked up.
pub const MAX_MEMBERS: usize = 500;

/// A group of the reader's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserGroup {
    pub name: String,
    /// TERYT codes, as entered (no repeats).
    pub members: Vec<String>,
}

impl BrowserGroup {
    /// The value of a `grupa` parameter that names this group.
    pub fn param(&self) -> String {
        format!("lista:{}", self.members.join(","))
    }
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

/// Whether the request carries groups (pages showing them are then not shared in the cache).
pub fn personal(headers: &HeaderMap) -> bool {
    cookie(headers, COOKIE).is_some_and(|v| !v.is_empty())
}

/// The reader's groups from the request's cookie; a damaged cookie reads as no groups.
pub fn from_headers(headers: &HeaderMap) -> Vec<BrowserGroup> {
    cookie(headers, COOKIE).map(decode).unwrap_or_default()
}

fn decode(value: &str) -> Vec<BrowserGroup> {
    let text = unescape(value);
    text.split('\n')
        .filter_map(|line| {
            let (name, codes) = line.split_once('\t')?;
            let members: Vec<String> = codes.split(',').filter(|c| TerytCode::parse(c).is_ok()).map(str::to_owned).collect();
            (!name.trim().is_empty() && !members.is_empty()).then(|| BrowserGroup { name: name.chars().take(MAX_NAME).collect(), members })
        })
        .take(MAX_GROUPS)
        .collect()
}

fn encode(groups: &[BrowserGroup]) -> String {
    let text: Vec<String> = groups.iter().map(|g| format!("{}\t{}", g.name.replace(['\t', '\n'], " "), g.members.join(","))).collect();
    escape(&text.join("\n"))
}

/// Percent-encoding of everything but letters, digits and `-_.` (cookie-safe).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(h);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A fresh random token (128 bits, hex).
fn new_token() -> Option<String> {
    let mut buf = [0u8; 16];
    getrandom::getrandom(&mut buf).ok()?;
    Some(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// The form's token: the request's, or a new one to be set with the page.
fn token(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, CSRF_COOKIE).filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())) {
        Some(t) => (t.to_owned(), false),
        None => (new_token().unwrap_or_default(), true),
    }
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What the form sends.
#[derive(Debug, Default, serde::Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    pub csrf: String,
    /// `zapisz` (save) or `usun` (delete).
    #[serde(default)]
    pub akcja: String,
    /// The group's number when an existing one is changed or deleted.
    #[serde(default)]
    pub nr: Option<String>,
    #[serde(default)]
    pub nazwa: String,
    /// TERYT codes or exact names, separated by commas or new lines.
    #[serde(default)]
    pub jednostki: String,
    #[serde(default)]
    pub lang: Option<String>,
}

/// A form's error: the field and what to do.
struct FieldError {
    field: &'static str,
    message: String,
}

/// The members the text names: TERYT codes, or names that name exactly one compared unit.
fn resolve_members(l: L, p: Option<&Portal>, text: &str) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    let mut problems = Vec::new();
    let tokens = text.split([',', '\n', ';']).map(str::trim).filter(|t| !t.is_empty());
    if tokens.clone().nth(MAX_MEMBERS).is_some() {
        return Err(FieldError {
            field: "jednostki",
            message: format!("{} {MAX_MEMBERS}", l.t("Za dużo jednostek w jednej grupie; najwięcej:", "Too many units in one group; the most:")),
        });
    }
    for token in tokens {
        if problems.len() >= 20 {
            problems.push(l.t("… i dalsze", "… and more").to_owned());
            break;
        }
        if token.chars().count() > 200 {
            problems.push(format!("{}…: {}", token.chars().take(40).collect::<String>(), l.t("za długa nazwa", "too long a name")));
            continue;
        }
        if let Ok(code) = TerytCode::parse_lenient(token) {
            match p {
                Some(p) if p.c.unit_index(code.as_str()).is_none() => {
                    problems.push(format!("{token}: {}", l.t("brak danych tej jednostki", "no data for this unit")))
                }
                _ => {
                    if !out.iter().any(|c| c == code.as_str()) {
                        out.push(code.as_str().to_owned());
                    }
                }
            }
            continue;
        }
        let Some(p) = p else {
            problems.push(format!("{token}: {}", l.t("podaj kod TERYT", "give a TERYT code")));
            continue;
        };
        let hits = p.units_named(&model::fold(token));
        match hits {
            [u] => {
                let code = p.c.codes[*u].as_str().to_owned();
                if !out.contains(&code) {
                    out.push(code);
                }
            }
            [] => problems.push(format!("{token}: {}", l.t("nie ma takiej jednostki", "no such unit"))),
            many => problems.push(format!(
                "{token}: {} {}",
                l.t("kilka jednostek o tej nazwie, podaj kod:", "several units have this name, give the code:"),
                many.iter().take(6).map(|&u| format!("{} ({})", p.c.codes[u].as_str(), l.kind(p.c.kinds[u]))).collect::<Vec<_>>().join(", ")
            )),
        }
    }
    if !problems.is_empty() {
        return Err(FieldError { field: "jednostki", message: problems.join("; ") });
    }
    if out.len() < 2 {
        return Err(FieldError {
            field: "jednostki",
            message: l.t("grupa potrzebuje co najmniej dwóch jednostek", "a group needs at least two units").to_owned(),
        });
    }
    Ok(out)
}

fn set_cookie(name: &str, value: &str, max_age: u32) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax")).ok()
}

/// Handles a form: saves or deletes, then back to the list; a bad form is shown again with
/// what to correct (400).
pub fn post(p: Option<&Portal>, headers: &HeaderMap, form: GroupForm, demo: bool) -> Response {
    let l = L { en: form.lang.as_deref() == Some("en") };
    let (expected, fresh) = token(headers);
    // A cross-site form cannot read our cookie, so it cannot send the same token.
    if fresh || form.csrf.is_empty() || !same(&expected, &form.csrf) {
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
            page_html(
                l,
                p,
                &from_headers(headers),
                &expected,
                Some(&form),
                Some(&FieldError {
                    field: "csrf",
                    message: l
                        .t(
                            "Formularz wygasł albo przyszedł z innej strony. Wyślij go jeszcze raz.",
                            "The form expired or came from another site. Please send it again.",
                        )
                        .to_owned(),
                }),
                demo,
            ),
        )
            .into_response();
    }
    let mut groups = from_headers(headers);
    let nr = form.nr.as_deref().and_then(|n| n.parse::<usize>().ok()).filter(|&n| n < groups.len());
    let result: Result<(), FieldError> = match form.akcja.as_str() {
        "usun" => match nr {
            Some(n) => {
                groups.remove(n);
                Ok(())
            }
            None => Err(FieldError { field: "nr", message: l.t("Nie ma takiej grupy.", "There is no such group.").to_owned() }),
        },
        "zapisz" => {
            let name = form.nazwa.trim();
            if name.is_empty() {
                Err(FieldError { field: "nazwa", message: l.t("Podaj nazwę grupy.", "Give the group a name.").to_owned() })
            } else if name.chars().count() > MAX_NAME {
                Err(FieldError {
                    field: "nazwa",
                    message: format!("{} {MAX_NAME}", l.t("Nazwa może mieć najwyżej tyle znaków:", "A name may have at most this many characters:")),
                })
            } else {
                resolve_members(l, p, &form.jednostki).and_then(|members| {
                    let g = BrowserGroup { name: name.to_owned(), members };
                    match nr {
                        Some(n) => groups[n] = g,
                        None if groups.len() >= MAX_GROUPS => {
                            return Err(FieldError { field: "nazwa", message: format!("{} {MAX_GROUPS}", l.t("Najwięcej grup w jednej przeglądarce:", "The most groups one browser keeps:")) });
                        }
                        None => groups.push(g),
                    }
                    if encode(&groups).len() > MAX_COOKIE {
                        return Err(FieldError {
                            field: "jednostki",
                            message: l.t("Za dużo jednostek, by przeglądarka je zapamiętała (około 350 razem). Większe grupy zapisuje `miernik group save`.", "Too many units for the browser to keep (about 350 in all). Larger groups are saved with `miernik group save`.").to_owned(),
                        });
                    }
                    Ok(())
                })
            }
        }
        _ => Err(FieldError { field: "akcja", message: l.t("Nieznana czynność.", "Unknown action.").to_owned() }),
    };
    match result {
        Ok(()) => {
            let mut res = Redirect::to(&l.href("/grupy")).into_response();
            *res.status_mut() = StatusCode::SEE_OTHER;
            let max_age = if groups.is_empty() { 0 } else { 400 * 24 * 3600 };
            if let Some(v) = set_cookie(COOKIE, &encode(&groups), max_age) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
            page_html(l, p, &groups, &expected, Some(&form), Some(&e), demo),
        )
            .into_response(),
    }
}

/// The list page, with a CSRF cookie set when the browser has none.
pub fn get(l: L, p: Option<&Portal>, headers: &HeaderMap, demo: bool) -> Response {
    let (token, fresh) = token(headers);
    let mut res = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
        page_html(l, p, &from_headers(headers), &token, None, None, demo),
    )
        .into_response();
    if fresh && let Some(v) = HeaderValue::from_str(&format!("{CSRF_COOKIE}={token}; Path=/grupy; HttpOnly; SameSite=Strict")).ok() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn page_html(
    l: L,
    p: Option<&Portal>,
    groups: &[BrowserGroup],
    token: &str,
    form: Option<&GroupForm>,
    error: Option<&FieldError>,
    demo: bool,
) -> String {
    let frame = crate::layout::Frame { l, demo, path: "/grupy", query: if l.en { Some("lang=en") } else { None } };
    let title = l.t("Moje grupy porównawcze", "My peer groups");
    crate::layout::page(&frame, title, body(l, p, groups, token, form, error))
}

fn unit_label(l: L, p: Option<&Portal>, code: &str) -> String {
    match p.and_then(|p| p.c.unit_index(code).map(|u| (p, u))) {
        Some((p, u)) => format!("{} ({code})", display_name(l, &p.c.names[u], p.c.kinds[u])),
        None => code.to_owned(),
    }
}

fn body(l: L, p: Option<&Portal>, groups: &[BrowserGroup], token: &str, form: Option<&GroupForm>, error: Option<&FieldError>) -> Markup {
    // The form shown again after an error is the one that was sent: new or the group's.
    let editing = form.and_then(|f| f.nr.as_deref()).and_then(|n| n.parse::<usize>().ok());
    let err_for = |field: &str, nr: Option<usize>| error.filter(|e| e.field == field && nr == editing && form.is_some());
    let group_form = |nr: Option<usize>, g: Option<&BrowserGroup>| {
        let id = nr.map_or("nowa".to_owned(), |n| format!("g{n}"));
        let sent = form.filter(|_| editing == nr && form.is_some_and(|f| f.akcja == "zapisz"));
        let name = sent.map(|f| f.nazwa.clone()).or_else(|| g.map(|g| g.name.clone())).unwrap_or_default();
        let units = sent.map(|f| f.jednostki.clone()).or_else(|| g.map(|g| g.members.join(", "))).unwrap_or_default();
        let name_err = err_for("nazwa", nr);
        let units_err = err_for("jednostki", nr);
        html! {
            form method="post" action="/grupy" {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="akcja" value="zapisz";
                @if l.en { input type="hidden" name="lang" value="en"; }
                @if let Some(n) = nr { input type="hidden" name="nr" value=(n); }
                p {
                    label for={ (id) "-nazwa" } { (l.t("Nazwa grupy", "Group name")) }
                    br;
                    input id={ (id) "-nazwa" } name="nazwa" type="text" maxlength="80" required value=(name)
                        aria-invalid=[name_err.map(|_| "true")] aria-describedby=[name_err.map(|_| format!("{id}-nazwa-blad"))];
                    @if let Some(e) = name_err { br; span.error id={ (id) "-nazwa-blad" } { (e.message) } }
                }
                p {
                    label for={ (id) "-jednostki" } { (l.t("Jednostki: kody TERYT albo dokładne nazwy, rozdzielone przecinkami", "Units: TERYT codes or exact names, separated by commas")) }
                    br;
                    textarea id={ (id) "-jednostki" } name="jednostki" rows="3" required
                        aria-invalid=[units_err.map(|_| "true")] aria-describedby=[units_err.map(|_| format!("{id}-jednostki-blad"))] { (units) }
                    @if let Some(e) = units_err { br; span.error id={ (id) "-jednostki-blad" } { (e.message) } }
                }
                button type="submit" { @if nr.is_some() { (l.t("Zapisz zmiany", "Save changes")) } @else { (l.t("Utwórz grupę", "Create the group")) } }
            }
        }
    };
    html! {
        h1 { (l.t("Moje grupy porównawcze", "My peer groups")) }
        p { (l.t("Grupy zapisuje ta przeglądarka (w pliku cookie), nie serwer: na innym komputerze ich nie będzie, ale adres strony z wybraną grupą działa wszędzie. Grupę wybierzesz na karcie jednostki, na stronie wskaźnika i w analizie.",
                 "This browser keeps the groups (in a cookie), not the server: another computer will not have them, but the address of a page with a group chosen works anywhere. Choose a group on a unit card, an indicator page and in the analysis.")) }
        @if let Some(e) = error.filter(|e| e.field == "csrf" || e.field == "akcja" || e.field == "nr") {
            p.box role="alert" { (e.message) }
        }
        @if groups.is_empty() {
            p { (l.t("Nie masz jeszcze żadnej grupy.", "You have no groups yet.")) }
        }
        @for (n, g) in groups.iter().enumerate() {
            section aria-labelledby={ "g" (n) "-h" } {
                h2 id={ "g" (n) "-h" } { (g.name) }
                p { (g.members.len()) " " (l.t("jednostek:", "units:")) " "
                    @for (k, code) in g.members.iter().enumerate() {
                        @if k > 0 { ", " }
                        a href=(l.href(&format!("/jst/{code}?grupa={}", crate::common::q(&g.param())))) { (unit_label(l, p, code)) }
                    }
                }
                p {
                    a href=(l.href(&format!("/analiza?jst={}&wskazniki=all&lata=last", crate::common::q(&g.members.join(","))))) { (l.t("Tabela wszystkich wskaźników tej grupy", "A table of every indicator of this group")) }
                }
                details open[editing == Some(n) && error.is_some()] {
                    summary { (l.t("Zmień nazwę albo skład", "Rename or change the members")) }
                    (group_form(Some(n), Some(g)))
                }
                form method="post" action="/grupy" {
                    input type="hidden" name="csrf" value=(token);
                    input type="hidden" name="akcja" value="usun";
                    input type="hidden" name="nr" value=(n);
                    @if l.en { input type="hidden" name="lang" value="en"; }
                    button type="submit" { (l.t("Usuń grupę", "Delete the group")) " „" (g.name) "”" }
                }
            }
        }
        section aria-labelledby="nowa-h" {
            h2 id="nowa-h" { (l.t("Nowa grupa", "New group")) }
            (group_form(None, None))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    #[test]
    fn groups_survive_the_cookie_with_polish_names_and_odd_characters() {
        let groups = vec![
            BrowserGroup { name: "Miasta „GWD” — Śląsk; 50% = ok\\".into(), members: vec!["2466011".into(), "2469011".into()] },
            BrowserGroup { name: "Druga".into(), members: vec!["02".into(), "0201".into()] },
        ];
        let value = encode(&groups);
        assert!(value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.%".contains(&b)), "cookie-safe: {value}");
        assert_eq!(decode(&value), groups);
    }

    #[test]
    fn a_damaged_cookie_reads_as_what_is_still_valid_and_never_panics() {
        assert!(decode("%ZZ%").is_empty());
        assert!(decode("").is_empty());
        let one = encode(&[BrowserGroup { name: "A".into(), members: vec!["02".into(), "nie-kod".into()] }]);
        assert_eq!(decode(&one)[0].members, vec!["02".to_owned()], "bad codes are dropped");
        assert!(decode(&encode(&[BrowserGroup { name: " ".into(), members: vec!["02".into()] }])).is_empty(), "no name, no group");
        for s in ["%", "%4", "\t\n\t", "%E2%82", "a%09b%0A%09"] {
            let _ = decode(s);
        }
    }

    #[test]
    fn tokens_compare_in_full() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        let t = new_token().unwrap();
        assert_eq!(t.len(), 32);
        assert_ne!(t, new_token().unwrap());
    }
}
