//! The areas: `/obszar` lists every area of the catalogue; `/obszar/{code}` an area's
//! services and indicators with the country's median, or a chosen unit's values.

use maud::{Markup, html};
use model::{Polarity, TerytCode};

use crate::PageError;
use crate::common::{indicator_name, measure, value_text};
use crate::i18n::L;
use crate::layout::heading_name;
use crate::portal::Portal;

#[derive(Debug, Default, serde::Deserialize)]
pub struct AreaQuery {
    pub jst: Option<String>,
}

/// Every area with its services.
pub fn index(p: &Portal, l: L) -> (String, Markup) {
    let title = l.t("Obszary i wskaźniki", "Areas and indicators").to_owned();
    let body = html! {
        h1 { (title) }
        p { (l.t("Wskaźniki są ułożone tak jak w SMUP: obszar → usługa → wskaźnik. Każdy wskaźnik ma stronę z mapą, rankingiem i liderami.", "Indicators are arranged as in SMUP: area → service → indicator. Every indicator has a page with a map, a ranking and the leaders.")) }
        (area_list(p, l))
    };
    (title, body)
}

/// The list of areas (also on the home page).
pub fn area_list(p: &Portal, l: L) -> Markup {
    html! {
        ul.cols {
            @for a in &p.areas {
                li {
                    a href=(l.href(&format!("/obszar/{}", a.code))) { strong { (l.area(&a.code)) } }
                    " (" (a.indicators().count()) ")"
                    br;
                    span.small.muted {
                        @for (k, s) in a.services.iter().enumerate() { @if k > 0 { ", " } (l.t(&s.pl, &s.en)) }
                    }
                }
            }
        }
    }
}

/// One area: its services and indicators, with the country median of the latest year (or
/// the chosen unit's values).
pub fn render(p: &Portal, l: L, code: &str, query: &AreaQuery) -> Result<(String, Markup), PageError> {
    let area = p.area(code).ok_or(PageError::NotFound)?;
    let c = &*p.c;
    let s = &c.snapshot;
    let unit = match query.jst.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Some(
            TerytCode::parse_lenient(t).ok().and_then(|code| c.unit_index(code.as_str())).ok_or_else(|| PageError::BadRequest(format!("jst={t}")))?,
        ),
        None => None,
    };
    let title = l.area(code);
    let country = s.partition_index("country");
    let body = html! {
        p.small { a href=(l.href("/obszar")) { (l.t("Obszary", "Areas")) } " › " (title) }
        h1 { (title) }
        @if let Some(u) = unit {
            p { (l.t("Wartości dla: ", "Values for: ")) a href=(l.href(&format!("/jst/{}", c.codes[u]))) { (heading_name(l, &c.names[u], c.kinds[u])) } }
        }
        @for (si, sv) in area.services.iter().enumerate() {
            h2 id={ "usluga-" (si) } { (l.t(&sv.pl, &sv.en)) }
            div.scroll {
                table {
                    caption { (l.t(&sv.pl, &sv.en)) ": " (l.t("wskaźniki", "indicators")) }
                    thead { tr {
                        th scope="col" { (l.t("Wskaźnik", "Indicator")) }
                        th scope="col" { (l.t("Jednostka miary", "Measure unit")) }
                        th scope="col" { (l.t("Kierunek", "Direction")) }
                        @if unit.is_some() { th scope="col" class="num" { (l.t("Wartość", "Value")) } }
                        th scope="col" class="num" { (l.t("Mediana w kraju", "Country median")) }
                        th scope="col" class="num" { (l.t("Rok", "Year")) }
                    } }
                    tbody {
                        @for &i in &sv.indicators {
                            @let d = &c.definitions[i];
                            @let y = match unit { Some(u) => (0..s.years()).rev().find(|&y| s.value(i, u, y).is_some()), None => (0..s.years()).rev().find(|&y| s.year_values(i, y).iter().any(|v| !v.is_nan())) };
                            @let median = y.zip(country).and_then(|(y, part)| {
                                // The country group of the first kind the indicator applies to.
                                // (of the finest level it applies to: gminy before cities, powiaty, województwa)
                                let finest = |u: usize| crate::portal::Layer::of(c.kinds[u]).map(|l| l as u8).unwrap_or(u8::MAX);
                                let u0 = unit.or_else(|| (0..s.units()).filter(|&u| s.indicator(i).applies[u]).min_by_key(|&u| (finest(u), c.kinds[u] == model::UnitKind::MiastoNaPrawachPowiatu, u)))?;
                                s.group_of(part, u0, y).map(|g| s.group_stats(i, part, g, y).to_stats().median)
                            }).flatten();
                            @let href = match unit { Some(u) => l.href(&format!("/wskaznik/{}?jst={}", d.code, c.codes[u])), None => l.href(&format!("/wskaznik/{}", d.code)) };
                            tr {
                                th scope="row" { a href=(href) { (indicator_name(l, c, i)) } @if d.kind == "context" { " " span.small.muted { "(" (l.indicator_kind("context")) ")" } } }
                                td { (measure(l, c, i)) }
                                td.small { @match s.indicator(i).polarity { Polarity::HigherBetter => "▲ ", Polarity::LowerBetter => "▼ ", Polarity::Neutral => "◆ " } (l.polarity(s.indicator(i).polarity)) }
                                @if let Some(u) = unit { td.num { (y.map(|y| value_text(l, c, i, u, y).0).unwrap_or_else(|| l.flag(model::Flag::Missing).to_owned())) } }
                                td.num { (median.map(|m| l.num(m, d.decimals)).unwrap_or_else(|| "—".into())) }
                                td.num { (y.map(|y| (s.first_year() + y as i32).to_string()).unwrap_or_else(|| "—".into())) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok((title, body))
}
