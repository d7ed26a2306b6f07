//! Pieces several pages share as HTML: the download links of a table, the quartile bar of
//! one indicator with its position in words. The words themselves (peer-group choices, how
//! a value and a position are written, link escaping) are `compose::words`, re-exported here.

use app::{GroupStats, Position, Verdict};
use maud::{Markup, PreEscaped, html};
use model::Polarity;

pub use compose::words::*;

use crate::i18n::L;

/// Links that download a table's data from `/api/v1/data` (`query`: its parameters without
/// `format`), one per format, in the page's language.
pub fn downloads(l: L, label: &str, query: &str) -> Markup {
    let lang = if l.en { "&lang=en" } else { "" };
    let formats = [("csv-pl", "CSV (Excel)"), ("xlsx", "XLSX"), ("csv", "CSV (UTF-8)"), ("json", "JSON"), ("jsonstat", "JSON-stat")];
    html! {
        p.downloads { (label) ": "
            @for (k, (f, name)) in formats.iter().enumerate() {
                @if k > 0 { " · " }
                a href={ "/api/v1/data?" (query) "&format=" (f) (lang) } download { (name) }
            }
        }
    }
}

/// The quartile bar of a unit in its group, with the position in words beside it.
pub fn position_cell(l: L, id: &str, polarity: Polarity, st: &GroupStats, pos: &Position, value: Option<f64>, fmt: &dyn Fn(f64) -> String) -> Markup {
    let bar = match (st.min, st.q1, st.median, st.q3, st.max) {
        (Some(min), Some(q1), Some(median), Some(q3), Some(max)) if st.n >= 2 => {
            let title = bar_words(l, st, &value.map(fmt).unwrap_or_else(|| "—".into()), fmt);
            Some(viz::quartile_bar(id, &title, &viz::Quartiles { min, q1, median, q3, max }, value, direction(polarity)))
        }
        _ => None,
    };
    let place = placement(l, polarity, st, pos, value);
    html! {
        @if let Some(svg) = bar { (PreEscaped(svg)) }
        @if place.is_empty() {
            span.small.muted { (l.t("bez pozycji", "no position")) }
        } @else {
            span.small {
                @if let Some(r) = &place.rank { (r) }
                @if let Some(b) = place.band { @if place.rank.is_some() { " · " } (l.band(b)) }
                @match place.verdict {
                    Some(Verdict::Better) => { " · " span.good { "▲ " (l.verdict(Verdict::Better)) } }
                    Some(Verdict::Worse) => { " · " span.bad { "▼ " (l.verdict(Verdict::Worse)) } }
                    None => {}
                }
            }
        }
    }
}
