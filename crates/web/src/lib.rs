//! HTTP: the axum router and the server-rendered pages (maud). Polish first, English second;
//! plain HTML that works without JavaScript and meets WCAG basics (landmarks, headings,
//! labels, table captions, visible focus, contrast). Errors are HTML pages with a status.

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use model::{Flag, TerytCode, UnitKind};
use serde::Deserialize;

#[derive(Clone)]
pub struct AppState {
    store: app::Store,
    demo: bool,
    /// The indicator snapshot; pages read it without waiting for a rebuild.
    live: Arc<app::LiveSnapshot>,
}

/// The router over a store; `demo` shows the synthetic-data banner.
pub fn router(store: app::Store, demo: bool) -> Router {
    router_with(store, demo, Arc::new(app::LiveSnapshot::new()))
}

/// The router over a store and a snapshot kept fresh by [`watch_snapshot`].
pub fn router_with(store: app::Store, demo: bool, live: Arc<app::LiveSnapshot>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/jst/{code}", get(unit_page))
        .route("/health", get(health))
        .fallback(not_found)
        .with_state(Arc::new(AppState { store, demo, live }))
}

/// `ok`, and the snapshot's version (0 while the first one is being built).
async fn health(State(state): State<Arc<AppState>>) -> String {
    format!("ok\nsnapshot {}\n", state.live.version())
}

/// Keeps `live` in step with the database: builds it now, then every `every` rebuilds it
/// if the import log has moved (an import by this or any other process). A failed build
/// is logged and the previous snapshot stays in service.
pub async fn watch_snapshot(store: app::Store, live: Arc<app::LiveSnapshot>, every: std::time::Duration) {
    loop {
        match live.refresh_if_changed(&store).await {
            Ok(Some(v)) => tracing::info!(version = v, "indicator snapshot rebuilt"),
            Ok(None) => {}
            // No catalogue or no data yet is normal for a fresh database.
            Err(app::AppError::NotFound(why)) => tracing::debug!("no indicator snapshot yet: {why}"),
            Err(e) => tracing::warn!("indicator snapshot not rebuilt: {e}"),
        }
        tokio::time::sleep(every).await;
    }
}

/// Serves the portal until Ctrl-C.
pub async fn serve(store: app::Store, addr: &str) -> std::io::Result<()> {
    let demo = app::is_demo(&store).await.unwrap_or(false);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("Miernik: http://{addr}");
    let live = Arc::new(app::LiveSnapshot::new());
    tokio::spawn(watch_snapshot(store.clone(), live.clone(), std::time::Duration::from_secs(5)));
    axum::serve(listener, router_with(store, demo, live))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:70rem;margin:0 auto;padding:0 1rem;color:#1a1a1a;line-height:1.5}\
a{color:#0b4f9c}a:focus,input:focus,button:focus{outline:3px solid #b35c00;outline-offset:2px}\
.banner{background:#fff3cd;border:2px solid #8a6d00;padding:.5rem 1rem;margin:1rem 0}\
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #767676;padding:.25rem .5rem;text-align:left}\
td.num{text-align:right;font-variant-numeric:tabular-nums}.en{color:#4a4a4a;font-size:.9em}\
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}\
.scroll{overflow-x:auto;max-width:100%}th[scope=row]{min-width:14rem}.scroll table{margin:0}.scroll:focus{outline:3px solid #b35c00}\
caption{text-align:left;font-weight:bold;padding:.25rem 0}";

/// How a person names a unit: TERC writes powiaty without the word "powiat" and
/// województwa in capitals.
fn display_name(name: &str, kind: UnitKind) -> String {
    match kind {
        UnitKind::Wojewodztwo => format!("województwo {}", name.to_lowercase()),
        UnitKind::Powiat => format!("powiat {name}"),
        _ => name.to_owned(),
    }
}

/// The same, capitalised for a heading.
fn heading_name(name: &str, kind: UnitKind) -> String {
    let n = display_name(name, kind);
    let mut chars = n.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn page(state: &AppState, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="pl" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { @if title == "Miernik" { "Miernik" } @else { (title) " — Miernik" } }
                style { (PreEscaped(CSS)) }
            }
            body {
                a.skip href="#tresc" { "Przejdź do treści / Skip to content" }
                header {
                    p { a href="/" { strong { "Miernik" } } " — monitoring usług publicznych JST " span.en lang="en" { "/ public services of local governments" } }
                    @if state.demo {
                        p.banner role="note" {
                            strong { "Dane syntetyczne (demo). " } "Jednostki poza województwami i wszystkie liczby są zmyślone. "
                            span.en lang="en" { "Synthetic demo data: units below voivodeships and all numbers are invented." }
                        }
                    }
                }
                main id="tresc" { (body) }
                footer { p.en { "Miernik — otwarte oprogramowanie / open source" } }
            }
        }
    }
}

#[derive(Deserialize)]
struct HomeQuery {
    q: Option<String>,
}

fn today() -> model::Date {
    time::OffsetDateTime::now_utc().date()
}

async fn home(State(state): State<Arc<AppState>>, q: Result<Query<HomeQuery>, QueryRejection>) -> Response {
    let Ok(Query(q)) = q else {
        return bad_request_page(&state);
    };
    let query = q.q.unwrap_or_default();
    let filter = app::UnitFilter {
        kind: if query.trim().is_empty() { Some(UnitKind::Wojewodztwo) } else { None },
        search: Some(query.clone()).filter(|s| !s.trim().is_empty()),
        ..app::UnitFilter::default()
    };
    let units = match app::list_units(&state.store, today(), &filter).await {
        Ok(u) => u,
        Err(e) => return server_error(&state, &e.to_string()),
    };
    let shown = units.iter().take(200);
    let body = html! {
        h1 { "Jednostki samorządu terytorialnego " span.en lang="en" { "/ Local government units" } }
        form method="get" action="/" role="search" {
            label for="q" { "Szukaj jednostki (nazwa lub kod TERYT) " span.en lang="en" { "/ Search a unit (name or TERYT code)" } }
            br;
            input id="q" name="q" type="search" value=(query) autocomplete="off";
            " "
            button type="submit" { "Szukaj / Search" }
        }
        @if units.is_empty() {
            p { "Brak wyników. " span.en lang="en" { "No results." } }
        } @else {
            table {
                caption { @if query.trim().is_empty() { "Województwa / Voivodeships" } @else { "Wyniki wyszukiwania / Search results (" (units.len()) ")" } }
                thead { tr { th scope="col" { "Kod / Code" } th scope="col" { "Nazwa / Name" } th scope="col" { "Rodzaj / Kind" } } }
                tbody {
                    @for u in shown {
                        tr {
                            td { (u.code) }
                            td { a href={ "/jst/" (u.code) } { (heading_name(&u.name, u.kind)) } }
                            td { (u.kind.name_pl()) " " span.en lang="en" { "/ " (u.kind.name_en()) } }
                        }
                    }
                }
            }
        }
    };
    Html(page(&state, "Miernik", body).into_string()).into_response()
}

fn fmt_pl(v: f64) -> String {
    // Polish notation: thin groups of three with a non-breaking space, decimal comma.
    let neg = v < 0.0;
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{a0}');
        }
        grouped.push(ch);
    }
    let frac = frac.trim_end_matches('0');
    format!("{}{grouped}{}{frac}", if neg { "-" } else { "" }, if frac.is_empty() { "" } else { "," })
}

fn flag_text(f: Flag) -> &'static str {
    match f {
        Flag::Final => "",
        Flag::Preliminary => "wstępne / preliminary",
        Flag::Estimated => "szacunek / estimate",
        Flag::Confidential => "tajemnica statystyczna / confidential",
        Flag::NotOccurred => "zjawisko nie wystąpiło / did not occur",
        Flag::Missing => "brak danych / no data",
    }
}

async fn unit_page(State(state): State<Arc<AppState>>, code: Result<Path<String>, PathRejection>) -> Response {
    let Ok(Path(code)) = code else {
        return not_found_page(&state);
    };
    let Ok(code) = TerytCode::parse_lenient(&code) else {
        return not_found_page(&state);
    };
    let card = match app::unit_card(&state.store, &code, today()).await {
        Ok(c) => c,
        Err(app::AppError::NotFound(_)) => return not_found_page(&state),
        Err(e) => return server_error(&state, &e.to_string()),
    };
    let obs = match state.store.unit_observations(card.id).await {
        Ok(o) => o,
        Err(e) => return server_error(&state, &e.to_string()),
    };
    let mut years: Vec<i64> = obs.iter().map(|o| o.3).collect();
    years.sort_unstable();
    years.dedup();
    let years: Vec<i64> = years.into_iter().rev().take(6).collect::<Vec<_>>().into_iter().rev().collect();
    let mut vars: Vec<(&str, &str, Option<&str>)> = obs.iter().map(|o| (o.0.as_str(), o.1.as_str(), o.2.as_deref())).collect();
    vars.dedup();
    let u = &card.unit;
    let date = |d: Option<model::Date>| d.map(model::format_date).unwrap_or_else(|| "—".to_owned());
    let title = heading_name(&u.name, u.kind);
    let body = html! {
        h1 { (title) }
        p { (u.kind.name_pl()) " " span.en lang="en" { "/ " (u.kind.name_en()) } ", TERYT " (u.code)
            @if !card.is_jst { " — jednostka statystyczna, nie JST " span.en lang="en" { "/ statistical unit, not a local government" } } }
        @if let (Some(parent), Some(name)) = (&u.parent, &card.parent_name) {
            p { "Jednostka nadrzędna / Parent: " a href={ "/jst/" (parent) } { (display_name(name, card.parent_kind.unwrap_or(UnitKind::Kraj))) } }
        }
        @if let Some(s) = &card.same_jst {
            p { "Ta sama JST jako " (s.kind.name_pl()) " / The same local government as a " (s.kind.name_en()) ": " a href={ "/jst/" (s.code) } { (s.name) " (" (s.code) ")" } }
        }
        @if let Some(from) = u.valid_from {
            p { "Istnieje od / Exists since: " (model::format_date(from)) }
        }
        @if let Some(to) = u.valid_to {
            p { strong { "Jednostka zniesiona lub zmieniona / Unit closed: " } (model::format_date(to)) }
        }
        @if !vars.is_empty() {
            div.scroll role="region" aria-labelledby="dane" tabindex="0" {
            table {
                caption id="dane" { "Dane (ostatnie lata) / Data (latest years)" }
                thead { tr { th scope="col" { "Zmienna / Variable" } @for y in &years { th scope="col" { (y) } } } }
                tbody {
                    @for (vcode, vname, munit) in &vars {
                        tr {
                            th scope="row" { (vname) @if let Some(m) = munit { " [" (m) "]" } br; small { (vcode) } }
                            @for y in &years {
                                @let cell = obs.iter().find(|o| o.0 == *vcode && o.3 == *y);
                                @match cell {
                                    Some((_, _, _, _, Some(v), f)) => td.num title=(flag_text(Flag::from_i16(*f as i16).unwrap_or(Flag::Final))) { (fmt_pl(*v)) },
                                    Some((_, _, _, _, None, f)) => td { (flag_text(Flag::from_i16(*f as i16).unwrap_or(Flag::Missing))) },
                                    None => td { span aria-label="brak danych / no data" { "—" } },
                                }
                            }
                        }
                    }
                }
            }
            }
        }
        @if card.codes.len() > 1 || card.names.len() > 1 {
            h2 { "Historia / History" }
            ul {
                @for (c, from, to) in &card.codes { li { "Kod / Code " (c) ": " (date(*from)) " – " (date(*to)) } }
                @for (n, from, to) in &card.names { li { "Nazwa / Name " (n) ": " (date(*from)) " – " (date(*to)) } }
            }
        }
        @if !card.children.is_empty() {
            h2 { "Jednostki podrzędne / Sub-units (" (card.children.len()) ")" }
            ul { @for c in &card.children { li { a href={ "/jst/" (c.code) } { (display_name(&c.name, c.kind)) } " — " (c.kind.name_pl()) } } }
        }
    };
    Html(page(&state, &title, body).into_string()).into_response()
}

fn not_found_page(state: &AppState) -> Response {
    let body = html! {
        h1 { "Nie znaleziono strony " span.en lang="en" { "/ Page not found" } }
        p { a href="/" { "Wróć do wyszukiwania / Back to search" } }
    };
    (StatusCode::NOT_FOUND, Html(page(state, "404", body).into_string())).into_response()
}

fn bad_request_page(state: &AppState) -> Response {
    let body = html! {
        h1 { "Nieprawidłowy adres " span.en lang="en" { "/ Bad request" } }
        p { "Adres lub wyszukiwane słowo zawiera niedozwolone znaki. " span.en lang="en" { "The address or search text has invalid characters." } }
        p { a href="/" { "Wróć do wyszukiwania / Back to search" } }
    };
    (StatusCode::BAD_REQUEST, Html(page(state, "400", body).into_string())).into_response()
}

async fn not_found(State(state): State<Arc<AppState>>) -> Response {
    not_found_page(&state)
}

fn server_error(state: &AppState, detail: &str) -> Response {
    tracing::error!("{detail}");
    let body = html! { h1 { "Błąd serwera " span.en lang="en" { "/ Server error" } } };
    (StatusCode::INTERNAL_SERVER_ERROR, [(header::CACHE_CONTROL, "no-store")], Html(page(state, "500", body).into_string())).into_response()
}

#[cfg(test)]
mod tests {
    use super::fmt_pl;

    #[test]
    fn numbers_are_written_the_polish_way() {
        assert_eq!(fmt_pl(1234.5), "1\u{a0}234,5");
        assert_eq!(fmt_pl(38486.0), "38\u{a0}486");
        assert_eq!(fmt_pl(-1234567.25), "-1\u{a0}234\u{a0}567,25");
        assert_eq!(fmt_pl(12.0), "12");
    }
}
