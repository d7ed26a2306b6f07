//! Functional areas (issue 18): the list `/obszary-funkcjonalne`, an area's card
//! `/obszary-funkcjonalne/{code}` (its aggregate indicators as one unit against a comparison
//! set, the members' range and Poland, the diagnosis with a chart and a table for each
//! finding, the members, links to its plan and re-evaluation), the administrator's
//! declaration `/admin/obszary-funkcjonalne` (GET, POST: CSRF, then `Action::Administer`, the
//! store audits it), and the API `GET /api/v1/functional-areas[/{code}]`.
//!
//! The pages read the store (declared areas change without a new snapshot), so they are
//! never put in the page cache: `no-store`, `private` with a user. The card's arithmetic
//! runs off the async threads (`app::functional_areas::card_of`).

use std::sync::Arc;

use app::accounts::Action;
use app::functional_areas::{self as fa, AreaCard, AreaIndicator, AreaSummary, Comparing, Declarable};
use app::{Computed, Trend};
use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, PreEscaped, html};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::{ApiError, ApiErrorBody};
use crate::auth::Ctx;
use crate::common::{display_name, measure, measure_after, position_cell};
use crate::error::WebError;
use crate::i18n::L;

/// The list's path; an area's card is `{PATH}/{code}`, its plan `{PATH}/{code}/plan`.
pub const PATH: &str = "/obszary-funkcjonalne";
/// The administrator's declaration page.
pub const ADMIN_PATH: &str = "/admin/obszary-funkcjonalne";

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route(PATH, get(list_page)).route("/obszary-funkcjonalne/{code}", get(card_page)).route(ADMIN_PATH, get(admin_get).post(admin_post))
}

/// The API routes, merged under `/api/v1` by [`crate::api::routes`].
pub fn api_routes() -> Router<Arc<AppState>> {
    Router::new().route("/functional-areas", get(api_functional_areas)).route("/functional-areas/{code}", get(api_functional_area))
}

/// A group code as saved groups have them: 1–40 letters, digits, `_` or `-`.
fn valid_code(code: &str) -> bool {
    (1..=40).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn card_path(code: &str) -> String {
    format!("{PATH}/{code}")
}

fn area_name(l: L, a: &AreaSummary) -> &str {
    match (&a.name_en, l.en) {
        (Some(en), true) if !en.is_empty() => en,
        _ => &a.name_pl,
    }
}

fn name_of(l: L, r: &AreaIndicator) -> &str {
    if l.en && !r.name_en.is_empty() { &r.name_en } else { &r.name_pl }
}

fn dash() -> String {
    "—".to_owned()
}

// ---------------------------------------------------------------------------------------
// The list.

async fn list_page(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let list = match fa::areas(&state.store).await {
        Ok(list) => list,
        Err(e) => return ctx.error(WebError::from(e)),
    };
    let l = ctx.lang;
    let admin = ctx.user.as_ref().is_some_and(|u| u.can_any(Action::Administer));
    let body = html! {
        h1 { (l.t("Obszary funkcjonalne", "Functional areas")) }
        p { (l.t("Obszar funkcjonalny to zapisana grupa jednostek — np. powiat razem ze swoimi gminami — która planuje wspólnie. Ma własną kartę: wskaźniki obszaru liczone jak dla jednej jednostki (suma liczników przez sumę mianowników wszystkich członków), porównanie z podobnymi obszarami, diagnozę i plan poprawy.",
                 "A functional area is a saved group of units — a powiat with its gminy, say — that plans together. It has a card of its own: the area's indicators computed as for one unit (the sum of the numerators over the sum of the denominators of all members), a comparison with similar areas, a diagnosis and an improvement plan.")) }
        @if list.is_empty() {
            p { (l.t("Nie zadeklarowano jeszcze żadnego obszaru funkcjonalnego.", "No functional area has been declared yet.")) }
        } @else {
            div.scroll role="region" tabindex="0" aria-label=(l.t("Obszary funkcjonalne", "Functional areas")) {
                table.stack {
                    caption { (l.t("Zadeklarowane obszary funkcjonalne", "Declared functional areas")) }
                    thead { tr {
                        th scope="col" { (l.t("Obszar", "Area")) }
                        th scope="col" { (l.t("Jednostka wiodąca", "Lead unit")) }
                        th scope="col" class="num" { (l.t("Członkowie", "Members")) }
                        th scope="col" { (l.t("Plan poprawy", "Improvement plan")) }
                    } }
                    tbody {
                        @for a in &list {
                            tr {
                                th scope="row" {
                                    a href=(l.href(&card_path(&a.code))) { (area_name(l, a)) }
                                    " " span.small.muted { (a.code) }
                                    @if let Some(d) = &a.description { br; span.small { (d) } }
                                }
                                td data-label=(l.t("Jednostka wiodąca", "Lead unit")) {
                                    @match (&a.lead_code, &a.lead_name) {
                                        (Some(code), Some(name)) => { a href=(l.href(&format!("/jst/{code}"))) { (name) } " " span.small.muted { (code) } },
                                        _ => { "—" },
                                    }
                                }
                                td.num data-label=(l.t("Członkowie", "Members")) { (a.members) }
                                td data-label=(l.t("Plan poprawy", "Improvement plan")) { a href=(l.href(&format!("{}/plan", card_path(&a.code)))) { (l.t("plan obszaru", "the area's plan")) } }
                            }
                        }
                    }
                }
            }
        }
        p.small {
            a href=(l.href("/api/v1/functional-areas")) { (l.t("Lista w JSON (API)", "The list as JSON (API)")) }
            @if admin { " · " a href=(l.href(ADMIN_PATH)) { (l.t("Zadeklaruj obszar funkcjonalny", "Declare a functional area")) } }
        }
    };
    ctx.page(StatusCode::OK, l.t("Obszary funkcjonalne", "Functional areas"), body)
}

// ---------------------------------------------------------------------------------------
// The card.

#[derive(Debug, Default, Deserialize)]
pub struct CardQuery {
    rok: Option<String>,
}

/// The card computed off the async threads; `Ok(None)` when no snapshot is built yet.
async fn compute_card(state: &AppState, code: &str, year: Option<i32>) -> Result<Option<(Arc<Computed>, AreaCard)>, app::AppError> {
    let inputs = fa::load(&state.store, code).await?;
    let Some(portal) = state.portal().await else { return Ok(None) };
    let c = portal.c.clone();
    let c2 = c.clone();
    let card = tokio::task::spawn_blocking(move || fa::card_of(&c2, &inputs, year))
        .await
        .map_err(|e| app::AppError::Invalid(format!("the card could not be computed: {e}")))??;
    Ok(Some((c, card)))
}

async fn card_page(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    code: Result<Path<String>, PathRejection>,
    query: Result<Query<CardQuery>, QueryRejection>,
) -> Response {
    let Ok(Path(code)) = code else { return ctx.error(WebError::NotFound) };
    if !valid_code(&code) {
        return ctx.error(WebError::NotFound);
    }
    let Ok(Query(query)) = query else { return ctx.error(WebError::BadRequest("rok".into())) };
    let year = match query.rok.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => None,
        Some(r) => match r.parse::<i32>() {
            Ok(y) => Some(y),
            Err(_) => return ctx.error(WebError::BadRequest(format!("rok={r}"))),
        },
    };
    let l = ctx.lang;
    match compute_card(&state, &code, year).await {
        Ok(Some((c, card))) => {
            let title = area_name(l, &card.area).to_owned();
            ctx.page(StatusCode::OK, &title, card_body(&ctx, &c, &card))
        }
        Ok(None) => {
            let body = html! {
                h1 { (code) }
                p { (l.t("Wskaźniki nie są jeszcze policzone: zaimportuj katalog wskaźników i dane.", "Indicators are not computed yet: import the indicator catalogue and data.")) }
            };
            ctx.page(StatusCode::OK, &code, body)
        }
        Err(e) => ctx.error(WebError::from(e)),
    }
}

fn card_body(ctx: &Ctx, c: &Computed, card: &AreaCard) -> Markup {
    let l = ctx.lang;
    let s = &c.snapshot;
    let a = &card.area;
    let code = a.code.as_str();
    let (cmp_pl, cmp_en) = card.comparing.words();
    let lead = card.members.iter().find(|m| m.lead);
    html! {
        h1 { (area_name(l, a)) }
        p {
            (l.t("Obszar funkcjonalny", "Functional area")) " · " (l.t("kod", "code")) " " code { (code) } " · "
            (l.count(card.members.len(), ["członek", "członków", "członków"], ["member", "members"]))
            @if let Some(m) = lead { " · " (l.t("jednostka wiodąca: ", "lead unit: ")) a href=(l.href(&format!("/jst/{}", m.code))) { (display_name(l, &m.name, m.kind)) } }
        }
        @if let Some(d) = &a.description { p { (d) } }
        p.actions {
            a href=(l.href(&format!("{}/plan", card_path(code)))) { (l.t("Plan poprawy obszaru", "The area's improvement plan")) }
            " · "
            a href=(l.href(&format!("/api/v1/functional-areas/{code}"))) { (l.t("Dane karty w JSON (API)", "The card's data as JSON (API)")) }
            " · "
            a href=(l.href(PATH)) { (l.t("Wszystkie obszary funkcjonalne", "Every functional area")) }
        }
        @match (card.year, card.year_index) {
            (Some(year), Some(y)) => {
                form.controls method="get" action=(card_path(code)) aria-label=(l.t("Wybór roku", "Choose the year")) {
                    @if l.en { input type="hidden" name="lang" value="en"; }
                    label for="rok" { (l.t("Rok", "Year"))
                        select id="rok" name="rok" {
                            @for yy in (0..s.years()).rev() {
                                @let cal = s.first_year() + yy as i32;
                                option value=(cal) selected[yy == y] { (cal) }
                            }
                        }
                    }
                    button type="submit" { (l.t("Pokaż", "Show")) }
                }
                p {
                    strong { (l.t("Porównanie: ", "Compared with: ")) } (l.t(cmp_pl, cmp_en))
                    " (" (l.count(card.comparison_size, ["jednostka porównania", "jednostki porównania", "jednostek porównania"], ["entry", "entries"])) "; "
                    (l.t("obszar liczony razem z nimi", "the area counted with them")) ")."
                }
                p.small.muted { (method_words(l, card.comparing)) }
                (diagnosis_box(l, c, card, year))
                (findings_charts(l, c, card))
                (indicator_tables(l, c, card, year))
            }
            _ => {
                p.box role="status" { strong { (l.t("Brak danych", "No data")) } ": " (l.t("obszar nie ma wartości żadnego wskaźnika (członkowie bez danych albo niepełne dane).", "the area has no value of any indicator (members without data, or incomplete data).")) }
            }
        }
        (members_table(l, card))
    }
}

fn method_words(l: L, comparing: Comparing) -> &'static str {
    match comparing {
        Comparing::Powiaty => l.t(
            "Wartość obszaru to wskaźnik policzony z sum licznika i mianownika wszystkich członków, których dotyczy (jak dla jednej jednostki). Gdy choć jeden z nich nie ma wartości w danym roku, obszar w tym roku jej nie ma („niepełne dane”). Obszar porównujemy z każdym powiatem ziemskim liczonym tak samo razem ze swoimi gminami (bez powiatów, które mają członków wspólnych z obszarem); pozycja, mediana i kwartyle dotyczą tego zestawu łącznie z obszarem.",
            "The area's value is the indicator computed from the sums of the numerator and the denominator over every member it applies to (as for one unit). When a member has no value in a year, neither has the area (“incomplete data”). The area is compared with every land powiat computed the same way together with its gminy (leaving out powiaty that share members with the area); the position, median and quartiles are of that set with the area in it.",
        ),
        Comparing::Areas => l.t(
            "Wartość obszaru to wskaźnik policzony z sum licznika i mianownika wszystkich członków, których dotyczy (jak dla jednej jednostki). Gdy choć jeden z nich nie ma wartości w danym roku, obszar w tym roku jej nie ma („niepełne dane”). Obszar porównujemy z pozostałymi zadeklarowanymi obszarami funkcjonalnymi liczonymi tak samo; pozycja, mediana i kwartyle dotyczą tego zestawu łącznie z obszarem.",
            "The area's value is the indicator computed from the sums of the numerator and the denominator over every member it applies to (as for one unit). When a member has no value in a year, neither has the area (“incomplete data”). The area is compared with the other declared functional areas computed the same way; the position, median and quartiles are of that set with the area in it.",
        ),
    }
}

fn trend_text(l: L, t: Trend) -> Markup {
    let (pl, en) = app::trend_words(t);
    html! {
        @match t {
            Trend::Improving => span.good { "↑ " (l.t(pl, en)) },
            Trend::Worsening => span.bad { "↓ " (l.t(pl, en)) },
            _ => span { (l.t(pl, en)) },
        }
    }
}

/// The anchor of an indicator's row in the tables.
fn row_id(r: &AreaIndicator) -> String {
    format!("w-{}", r.code)
}

fn diagnosis_box(l: L, c: &Computed, card: &AreaCard, year: i32) -> Markup {
    let d = &card.diagnosis;
    let list = |findings: &[fa::AreaFinding], strong: bool| {
        html! {
            @if findings.is_empty() {
                @if d.judged == 0 {
                    p { (l.t("Nie da się ocenić: brak wartości obszaru albo zestaw porównawczy jest za mały lub się nie różni.", "Cannot be judged: no values of the area, or the comparison set is too small or does not differ.")) }
                } @else if strong {
                    p { (l.t("Żaden wskaźnik nie wyróżnia się na plus.", "No indicator stands out for the better.")) }
                } @else {
                    p { (l.t("Żaden wskaźnik nie wyróżnia się na minus.", "No indicator stands out for the worse.")) }
                }
            } @else {
                ul {
                    @for f in findings {
                        @let r = &card.indicators[f.row];
                        @let shown = l.num(f.value, r.decimals);
                        li {
                            a href={ "#" (row_id(r)) } { (name_of(l, r)) }
                            ": " strong { (shown) } " " (measure_after(l, c, r.indicator, &shown))
                            @if let Some(m) = f.median { span.small { " (" (l.t("mediana porównania", "comparison median")) " " (l.num(m, r.decimals)) ")" } }
                            br;
                            span.small {
                                @if strong { span.good.tag { (l.t("mocna strona", "strength")) } } @else { span.bad.tag { (l.t("słaba strona", "weakness")) } }
                                " " (l.t("3 lata: ", "3 years: ")) (trend_text(l, f.trend_3y)) "; " (l.t("5 lat: ", "5 years: ")) (trend_text(l, f.trend_5y))
                            }
                        }
                    }
                }
            }
        }
    };
    html! {
        section.box aria-labelledby="diagnoza" {
            h2 id="diagnoza" { (l.t("Diagnoza obszaru", "The area's diagnosis")) " " (year) }
            p.small { (l.t("Wskaźniki, na których obszar najbardziej odbiega od zestawu porównawczego (wg z-score, z uwzględnieniem kierunku: co jest lepsze). Ocenionych wskaźników: ", "The indicators on which the area stands out most from the comparison set (by z-score, turned so that better is positive). Indicators judged: ")) (d.judged) "." }
            div.cols {
                div { h3 { (l.t("Mocne strony", "Strengths")) } (list(&d.strengths, true)) }
                div { h3 { (l.t("Słabe strony — od czego zacząć", "Weaknesses — where to start")) } (list(&d.weaknesses, false)) }
            }
        }
    }
}

/// For each strength and weakness: the area's aggregate and Poland's value over the years, as
/// a chart and as a table.
fn findings_charts(l: L, c: &Computed, card: &AreaCard) -> Markup {
    let first_year = c.snapshot.first_year();
    let d = &card.diagnosis;
    let rows: Vec<usize> = d.weaknesses.iter().chain(&d.strengths).map(|f| f.row).collect();
    if rows.is_empty() {
        return html! {};
    }
    let years: Vec<i32> = (0..card.indicators.first().map_or(0, |r| r.series.len())).map(|y| first_year + y as i32).collect();
    html! {
        h2 id="wykresy" { (l.t("Mocne i słabe strony w czasie", "Strengths and weaknesses over time")) }
        p.small { (l.t("Każdy wykres pokazuje wartość obszaru i Polski w latach; pod wykresem te same liczby w tabeli.", "Each chart shows the area's and Poland's value over the years; below it the same numbers in a table.")) }
        div.charts {
            @for (k, &row) in rows.iter().enumerate() {
                @let r = &card.indicators[row];
                @let fmt = |v: f64| l.num(v, r.decimals);
                @let poland = r.poland_series.clone();
                @let series = vec![
                    viz::Series { name: l.t("obszar", "the area").to_owned(), values: r.series.clone() },
                    viz::Series { name: l.t("Polska", "Poland").to_owned(), values: poland.clone() },
                ];
                @let title = format!("{} — {}", name_of(l, r), l.t("obszar i Polska w latach", "the area and Poland over the years"));
                @let desc = series_desc(l, &years, &r.series, &fmt);
                figure.chart {
                    figcaption { (name_of(l, r)) " (" (measure(l, c, r.indicator)) ")" }
                    (PreEscaped(viz::lines(&format!("fa-ch-{k}"), &title, &desc, &years, &series, &fmt)))
                    details {
                        summary { (l.t("Dane wykresu w tabeli", "The chart's data as a table")) }
                        div.scroll role="region" tabindex="0" aria-label=(title) {
                            table {
                                caption { (title) }
                                thead { tr {
                                    th scope="col" { (l.t("Rok", "Year")) }
                                    th scope="col" class="num" { (l.t("Obszar", "Area")) }
                                    th scope="col" class="num" { (l.t("Polska", "Poland")) }
                                } }
                                tbody {
                                    @for (y, year) in years.iter().enumerate() {
                                        tr {
                                            th scope="row" { (year) }
                                            td.num { (r.series[y].map(fmt).unwrap_or_else(|| l.t("niepełne dane", "incomplete data").to_owned())) }
                                            td.num { (poland.get(y).copied().flatten().map(fmt).unwrap_or_else(dash)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// "Obszar 2010–2024: z 12,3 do 15,0" — what a chart shows, in a sentence.
fn series_desc(l: L, years: &[i32], series: &[Option<f64>], fmt: &dyn Fn(f64) -> String) -> String {
    let known: Vec<(usize, f64)> = series.iter().enumerate().filter_map(|(k, v)| v.map(|v| (k, v))).collect();
    match (known.first(), known.last()) {
        (Some(&(a, va)), Some(&(b, vb))) if a != b => {
            format!("{} {}–{}: {} {} {} {}", l.t("Obszar", "The area"), years[a], years[b], l.t("z", "from"), fmt(va), l.t("do", "to"), fmt(vb))
        }
        (Some(&(a, va)), _) => format!("{} {}: {}", l.t("Obszar, tylko rok", "The area, only year"), years[a], fmt(va)),
        _ => l.t("Obszar nie ma pełnych danych w żadnym roku.", "The area has complete data in no year.").to_owned(),
    }
}

/// The aggregate indicators, one table per area of the catalogue.
fn indicator_tables(l: L, c: &Computed, card: &AreaCard, year: i32) -> Markup {
    let mut sections: Vec<(&str, Vec<&AreaIndicator>)> = Vec::new();
    for r in &card.indicators {
        match sections.iter_mut().find(|(a, _)| *a == r.area) {
            Some((_, v)) => v.push(r),
            None => sections.push((&r.area, vec![r])),
        }
    }
    let member_name = |m: usize| c.names.get(m).cloned().unwrap_or_default();
    html! {
        h2 id="wskazniki" { (l.t("Wskaźniki obszaru", "The area's indicators")) " " (year) }
        p.small { (l.t("„Niepełne dane”: co najmniej jeden członek, którego wskaźnik dotyczy, nie ma w tym roku wartości, więc obszar jej nie ma. Zakres: najniższa i najwyższa wartość wśród członków.",
                       "“Incomplete data”: at least one member the indicator applies to has no value that year, so the area has none. Range: the lowest and the highest value among the members.")) }
        (crate::unit::bar_legend(l))
        @for (k, (area, rows)) in sections.iter().enumerate() {
            h3 id={ "obszar-" (area) } { (l.area(area)) }
            div.scroll {
                table.stack {
                    caption { (l.area(area)) ": " (l.t("obszar, jego członkowie, porównanie i Polska", "the area, its members, the comparison and Poland")) }
                    thead { tr {
                        th scope="col" { (l.t("Wskaźnik", "Indicator")) }
                        th scope="col" class="num" { (l.t("Obszar", "Area")) }
                        th scope="col" { (l.t("Zakres wśród członków", "Range among members")) }
                        th scope="col" { (l.t("Pozycja w porównaniu", "Position in the comparison")) }
                        th scope="col" class="num" { (l.t("Mediana porównania", "Comparison median")) }
                        th scope="col" class="num" { (l.t("Polska", "Poland")) }
                    } }
                    tbody {
                        @for r in rows {
                            @let fmt = |v: f64| l.num(v, r.decimals);
                            tr id=(row_id(r)) {
                                th scope="row" { a href=(l.href(&format!("/wskaznik/{}?rok={year}", r.code))) { (name_of(l, r)) } }
                                td.num data-label=(l.t("Obszar", "Area")) {
                                    @match r.value {
                                        Some(v) => { @let shown = fmt(v); strong { (shown) } " " span.small.muted { (measure_after(l, c, r.indicator, &shown)) } },
                                        None if r.incomplete => { span.tag { (l.t("niepełne dane", "incomplete data")) } " " span.small.muted { (r.members_with_value) "/" (r.members_applying) } },
                                        None => { (l.t("brak danych", "no data")) },
                                    }
                                }
                                td data-label=(l.t("Zakres wśród członków", "Range among members")) {
                                    @match (r.member_min, r.member_max) {
                                        (Some((lo, a)), Some((hi, b))) => {
                                            span.small { (fmt(lo)) " (" (member_name(a)) ") – " (fmt(hi)) " (" (member_name(b)) ")" }
                                        },
                                        _ => { "—" },
                                    }
                                }
                                td data-label=(l.t("Pozycja w porównaniu", "Position in the comparison")) {
                                    (position_cell(l, &format!("fa-qb-{k}-{}", r.indicator), r.polarity, &r.comparison, &r.position, r.value, &fmt))
                                }
                                td.num data-label=(l.t("Mediana porównania", "Comparison median")) { (r.comparison.median.map(fmt).unwrap_or_else(dash)) }
                                td.num data-label=(l.t("Polska", "Poland")) { (r.poland.map(fmt).unwrap_or_else(dash)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn members_table(l: L, card: &AreaCard) -> Markup {
    html! {
        h2 id="czlonkowie" { (l.t("Członkowie obszaru", "The area's members")) " (" (card.members.len()) ")" }
        div.scroll role="region" tabindex="0" aria-label=(l.t("Członkowie obszaru", "The area's members")) {
            table {
                caption { (l.t("Jednostki obszaru funkcjonalnego", "The units of the functional area")) }
                thead { tr {
                    th scope="col" { (l.t("Jednostka", "Unit")) }
                    th scope="col" { (l.t("Rodzaj", "Kind")) }
                    th scope="col" { (l.t("Kod TERYT", "TERYT code")) }
                } }
                tbody {
                    @for m in &card.members {
                        tr {
                            th scope="row" {
                                a href=(l.href(&format!("/jst/{}", m.code))) { (display_name(l, &m.name, m.kind)) }
                                @if m.lead { " " span.tag { (l.t("wiodąca", "lead")) } }
                                @if m.index.is_none() { " " span.small.muted { (l.t("(bez danych)", "(no data)")) } }
                            }
                            td { (l.kind(m.kind)) }
                            td { (m.code) }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The administrator's declaration.

#[derive(Debug, Default, Deserialize)]
pub struct DeclareForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    grupa: String,
    #[serde(default)]
    lider: String,
    #[serde(default)]
    opis: String,
}

async fn admin_get(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    if let Err(e) = ctx.require_any(Action::Administer) {
        return ctx.error(e);
    }
    admin_render(&state, &ctx, None, &DeclareForm::default(), StatusCode::OK).await
}

async fn admin_post(State(state): State<Arc<AppState>>, ctx: Ctx, form: Result<Form<DeclareForm>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else {
        return ctx.error(WebError::BadRequest("grupa, lider, opis".into()));
    };
    if let Err(e) = ctx.check_csrf(&form.csrf) {
        return ctx.error(e);
    }
    if let Err(e) = ctx.require_any(Action::Administer) {
        return ctx.error(e);
    }
    let description = Some(form.opis.as_str());
    match fa::declare(&state.store, &form.grupa, &form.lider, description, &ctx.actor()).await {
        Ok(_) => {
            let mut res = Redirect::to(&ctx.lang.href(&card_path(form.grupa.trim()))).into_response();
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            res
        }
        Err(app::AppError::Invalid(why)) => admin_render(&state, &ctx, Some(why), &form, StatusCode::BAD_REQUEST).await,
        Err(e) => ctx.error(WebError::from(e)),
    }
}

async fn admin_render(state: &AppState, ctx: &Ctx, problem: Option<String>, sent: &DeclareForm, status: StatusCode) -> Response {
    let (groups, declared) = match (fa::declarable(&state.store).await, fa::areas(&state.store).await) {
        (Ok(g), Ok(a)) => (g, a),
        (Err(e), _) | (_, Err(e)) => return ctx.error(WebError::from(e)),
    };
    let l = ctx.lang;
    let title = l.t("Deklarowanie obszarów funkcjonalnych", "Declaring functional areas");
    let body = html! {
        h1 { (title) }
        @if let Some(why) = &problem {
            div.box role="alert" { p { strong { (l.t("Nie zadeklarowano: ", "Not declared: ")) } (why) } }
        }
        p { (l.t("Zapisana grupa jednostek (grupa własna) staje się obszarem funkcjonalnym z własną kartą, diagnozą i planem. Plan obszaru prowadzą osoby z rolą planowania w jednostce wiodącej, która musi być członkiem grupy.",
                 "A saved group of units (a custom group) becomes a functional area with its own card, diagnosis and plan. The area's plan is kept by the people with the planning role in the lead unit, which must be a member of the group.")) }
        h2 { (l.t("Grupy jeszcze niezadeklarowane", "Groups not yet declared")) }
        @if groups.is_empty() {
            p { (l.t("Brak zapisanych grup do zadeklarowania. Grupę zapisuje się poleceniem ", "No saved groups to declare. A group is saved with ")) code { "miernik group save" } "." }
        } @else {
            (groups_table(l, &groups))
            (declare_form(ctx, &groups, sent))
        }
        h2 { (l.t("Zadeklarowane", "Declared")) }
        @if declared.is_empty() { p { (l.t("Jeszcze żadnego.", "None yet.")) } } @else {
            ul { @for a in &declared { li { a href=(l.href(&card_path(&a.code))) { (area_name(l, a)) } " (" (a.code) ") — " (l.t("zadeklarował(a) ", "declared by ")) (a.declared_by) ", " (a.declared_at) } } }
        }
    };
    ctx.page(status, title, body)
}

fn groups_table(l: L, groups: &[Declarable]) -> Markup {
    html! {
        div.scroll role="region" tabindex="0" aria-label=(l.t("Grupy jeszcze niezadeklarowane", "Groups not yet declared")) {
            table {
                caption { (l.t("Zapisane grupy i ich członkowie", "Saved groups and their members")) }
                thead { tr { th scope="col" { (l.t("Grupa", "Group")) } th scope="col" { (l.t("Członkowie", "Members")) } } }
                tbody {
                    @for g in groups {
                        tr {
                            th scope="row" { (g.name_pl) " " span.small.muted { (g.code) } }
                            td.small { @for (k, (_, code, name)) in g.members.iter().enumerate() { @if k > 0 { ", " } (name) " (" (code) ")" } }
                        }
                    }
                }
            }
        }
    }
}

fn declare_form(ctx: &Ctx, groups: &[Declarable], sent: &DeclareForm) -> Markup {
    let l = ctx.lang;
    html! {
        h2 { (l.t("Zadeklaruj obszar", "Declare an area")) }
        form method="post" action=(l.href(ADMIN_PATH)) {
            input type="hidden" name="csrf" value=(ctx.csrf);
            p { label for="fa-grupa" { (l.t("Grupa", "Group")) } br;
                select #fa-grupa name="grupa" required {
                    @for g in groups { option value=(g.code) selected[g.code == sent.grupa] { (g.name_pl) " (" (g.code) ")" } }
                }
            }
            p { label for="fa-lider" { (l.t("Jednostka wiodąca (członek wybranej grupy)", "Lead unit (a member of the chosen group)")) } br;
                select #fa-lider name="lider" required {
                    @for g in groups {
                        optgroup label=(g.name_pl) {
                            @for (_, code, name) in &g.members { option value=(code) selected[*code == sent.lider] { (name) " (" (code) ")" } }
                        }
                    }
                }
            }
            p { label for="fa-opis" { (l.t("Opis (nieobowiązkowy, do 4000 znaków)", "Description (optional, up to 4,000 characters)")) } br;
                textarea #fa-opis name="opis" rows="4" maxlength="4000" { (sent.opis) }
            }
            p { button type="submit" { (l.t("Zadeklaruj", "Declare")) } }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The API.

/// A declared functional area.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunctionalAreaDto {
    /// The saved group's code: the area's code.
    pub code: String,
    pub name_pl: String,
    pub name_en: Option<String>,
    pub description: Option<String>,
    /// TERYT code of the lead unit (its planners keep the area's plan).
    pub lead: Option<String>,
    pub lead_name: Option<String>,
    pub members: usize,
    pub declared_at: String,
    /// The card's page.
    pub page: String,
}

/// Every declared functional area.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunctionalAreaList {
    pub total: usize,
    pub items: Vec<FunctionalAreaDto>,
}

/// A member of an area.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunctionalAreaMemberDto {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub lead: bool,
    /// Whether the indicator snapshot holds it.
    pub has_data: bool,
}

/// One member's value (the lowest or highest of the area's).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberValueDto {
    pub unit: String,
    pub value: f64,
}

/// An indicator of an area in the card's year.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunctionalAreaIndicatorDto {
    pub code: String,
    pub name_pl: String,
    pub name_en: String,
    /// The aggregate: the formula on the members' summed numerator and denominator.
    pub value: Option<f64>,
    /// No value because a member it applies to has none that year.
    pub incomplete: bool,
    pub members_applying: usize,
    pub members_with_value: usize,
    pub member_min: Option<MemberValueDto>,
    pub member_max: Option<MemberValueDto>,
    /// The comparison set's values (the area's included).
    pub comparison_n: usize,
    pub comparison_q1: Option<f64>,
    pub comparison_median: Option<f64>,
    pub comparison_q3: Option<f64>,
    /// The area's rank in the comparison set (1 = best by polarity) and quartile (1 = best).
    pub rank: Option<u32>,
    pub quartile: Option<u8>,
    pub poland: Option<f64>,
}

/// A strength or weakness.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunctionalAreaFindingDto {
    pub indicator: String,
    pub value: f64,
    /// The polarity-turned z-score in the comparison set: positive is good.
    pub score: f64,
    /// improving, stable, worsening or unknown.
    pub trend_3y: String,
    pub trend_5y: String,
}

/// An area's card.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunctionalAreaCardDto {
    pub area: FunctionalAreaDto,
    /// The card's year; none when the area has no value at all.
    pub year: Option<i32>,
    /// `powiaty` (the land powiaty of Poland, each with its gminy) or `areas` (the other declared areas).
    pub comparison: String,
    pub comparison_size: usize,
    pub members: Vec<FunctionalAreaMemberDto>,
    pub indicators: Vec<FunctionalAreaIndicatorDto>,
    pub strengths: Vec<FunctionalAreaFindingDto>,
    pub weaknesses: Vec<FunctionalAreaFindingDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FunctionalAreaParams {
    /// The card's year (default: the newest with values for most of the area's indicators).
    #[param(value_type = Option<i32>, minimum = 1900, maximum = 2100)]
    year: Option<String>,
}

fn area_dto(a: &AreaSummary) -> FunctionalAreaDto {
    FunctionalAreaDto {
        code: a.code.clone(),
        name_pl: a.name_pl.clone(),
        name_en: a.name_en.clone(),
        description: a.description.clone(),
        lead: a.lead_code.clone(),
        lead_name: a.lead_name.clone(),
        members: a.members,
        declared_at: a.declared_at.clone(),
        page: card_path(&a.code),
    }
}

fn trend_code(t: Trend) -> String {
    match t {
        Trend::Improving => "improving",
        Trend::Stable => "stable",
        Trend::Worsening => "worsening",
        Trend::Unknown => "unknown",
    }
    .to_owned()
}

fn card_dto(c: &Computed, card: &AreaCard) -> FunctionalAreaCardDto {
    let member = |(v, m): (f64, usize)| MemberValueDto { unit: c.codes.get(m).map(|c| c.as_str().to_owned()).unwrap_or_default(), value: v };
    let finding = |f: &fa::AreaFinding| FunctionalAreaFindingDto {
        indicator: card.indicators[f.row].code.clone(),
        value: f.value,
        score: f.score,
        trend_3y: trend_code(f.trend_3y),
        trend_5y: trend_code(f.trend_5y),
    };
    FunctionalAreaCardDto {
        area: area_dto(&card.area),
        year: card.year,
        comparison: card.comparing.code().to_owned(),
        comparison_size: card.comparison_size,
        members: card
            .members
            .iter()
            .map(|m| FunctionalAreaMemberDto {
                code: m.code.clone(),
                name: m.name.clone(),
                kind: m.kind.as_str().to_owned(),
                lead: m.lead,
                has_data: m.index.is_some(),
            })
            .collect(),
        indicators: card
            .indicators
            .iter()
            .map(|r| FunctionalAreaIndicatorDto {
                code: r.code.clone(),
                name_pl: r.name_pl.clone(),
                name_en: r.name_en.clone(),
                value: r.value,
                incomplete: r.incomplete,
                members_applying: r.members_applying,
                members_with_value: r.members_with_value,
                member_min: r.member_min.map(member),
                member_max: r.member_max.map(member),
                comparison_n: r.comparison.n,
                comparison_q1: r.comparison.q1,
                comparison_median: r.comparison.median,
                comparison_q3: r.comparison.q3,
                rank: r.position.rank,
                quartile: r.position.quartile,
                poland: r.poland,
            })
            .collect(),
        strengths: card.diagnosis.strengths.iter().map(finding).collect(),
        weaknesses: card.diagnosis.weaknesses.iter().map(finding).collect(),
    }
}

/// A JSON answer (`public, max-age=60`), or 500 JSON when it cannot be written.
fn json_answer<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60")),
            ],
            body,
        )
            .into_response(),
        Err(e) => api_server_error(e),
    }
}

fn api_server_error(detail: impl std::fmt::Display) -> Response {
    tracing::error!("api functional areas: {detail}");
    let body = ApiErrorBody { code: "server_error".into(), message: "try again in a moment".into(), parameter: None };
    (StatusCode::INTERNAL_SERVER_ERROR, [(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response()
}

fn api_app_error(parameter: &str, e: app::AppError) -> Response {
    match e {
        app::AppError::Invalid(m) => ApiError::bad(parameter, m).into_response(),
        app::AppError::NotFound(m) => ApiError::not_found(parameter, m).into_response(),
        app::AppError::Busy => ApiError::busy().into_response(),
        e => api_server_error(e),
    }
}

/// Every declared functional area.
#[utoipa::path(get, path = "/api/v1/functional-areas", tag = "functional-areas",
    responses((status = 200, description = "Obszary funkcjonalne / Functional areas", body = FunctionalAreaList)))]
pub async fn api_functional_areas(State(state): State<Arc<AppState>>, _headers: HeaderMap) -> Response {
    match fa::areas(&state.store).await {
        Ok(list) => json_answer(&FunctionalAreaList { total: list.len(), items: list.iter().map(area_dto).collect() }),
        Err(e) => api_app_error("query", e),
    }
}

/// One functional area's card: its aggregate indicators, comparison and diagnosis.
#[utoipa::path(get, path = "/api/v1/functional-areas/{code}", tag = "functional-areas",
    params(("code" = String, Path, description = "The area's code (its saved group's)", pattern = "^[A-Za-z0-9_-]{1,40}$"), FunctionalAreaParams),
    responses(
        (status = 200, description = "Karta obszaru / The area's card", body = FunctionalAreaCardDto),
        (status = 400, description = "Zły parametr / Bad parameter", body = ApiErrorBody),
        (status = 404, description = "Nie ma takiego obszaru albo roku / No such area or year", body = ApiErrorBody),
        (status = 503, description = "Brak danych / No snapshot yet", body = ApiErrorBody)))]
pub async fn api_functional_area(
    State(state): State<Arc<AppState>>,
    code: Result<Path<String>, PathRejection>,
    q: Result<Query<FunctionalAreaParams>, QueryRejection>,
) -> Response {
    let code = match code {
        Ok(Path(code)) => code,
        Err(e) => return ApiError::bad("code", e.body_text()).into_response(),
    };
    if !valid_code(&code) {
        return ApiError::bad("code", format!("`{}`: an area's code is 1-40 letters, digits, `_` or `-`", code.chars().take(40).collect::<String>()))
            .into_response();
    }
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => {
            let text = e.body_text();
            let parameter = text.split('`').nth(1).filter(|p| !p.is_empty()).unwrap_or("query").to_owned();
            return ApiError::bad(&parameter, text).into_response();
        }
    };
    let year = match q.year.as_deref() {
        None => None,
        Some(y) => match y.parse::<i32>() {
            Ok(v) if y.bytes().all(|b| b.is_ascii_digit()) && (1900..=2100).contains(&v) => Some(v),
            _ => return ApiError::bad("year", format!("`{}`: a year from 1900 to 2100", y.chars().take(40).collect::<String>())).into_response(),
        },
    };
    match compute_card(&state, &code, year).await {
        Ok(Some((c, card))) => json_answer(&card_dto(&c, &card)),
        Ok(None) => {
            let body = ApiErrorBody {
                code: "not_ready".into(),
                message: "no indicator snapshot yet: import a catalogue and data, or wait for the build".into(),
                parameter: None,
            };
            (StatusCode::SERVICE_UNAVAILABLE, [(header::CACHE_CONTROL, "no-store"), (header::RETRY_AFTER, "2")], axum::Json(body)).into_response()
        }
        Err(app::AppError::NotFound(m)) => ApiError::not_found("code", m).into_response(),
        Err(app::AppError::Invalid(m)) => ApiError::not_found("year", m).into_response(),
        Err(e) => api_app_error("code", e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_codes_are_those_of_saved_groups() {
        assert!(valid_code("gorlicki_2024"));
        assert!(valid_code("a-b"));
        assert!(!valid_code(""));
        assert!(!valid_code("a b"));
        assert!(!valid_code(&"x".repeat(41)));
        assert!(!valid_code("ą"));
    }

    #[test]
    fn a_series_is_described_from_its_first_to_its_last_value() {
        let fmt = |v: f64| format!("{v}");
        let d = series_desc(L::PL, &[2020, 2021, 2022], &[None, Some(1.0), Some(2.0)], &fmt);
        assert_eq!(d, "Obszar 2021–2022: z 1 do 2");
        assert!(series_desc(L { en: true }, &[2020], &[None], &fmt).contains("no year"));
    }
}
