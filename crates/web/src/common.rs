//! Pieces several pages share: peer-group choices, how a value and a position are written,
//! the quartile bar of one indicator, link building.

use app::{Computed, GroupStats, Position};
use maud::{Markup, PreEscaped, html};
use model::{Flag, Polarity};

use crate::i18n::L;

/// The peer groups a page offers: (value in the address, canonical name).
pub const GROUPS: [(&str, &str); 5] =
    [("typologia", "typology"), ("sasiedzi", "neighbours"), ("najblizsi", "nearest"), ("wojewodztwo", "wojewodztwo"), ("kraj", "country")];

/// The address value of a canonical group name.
pub fn group_param(canonical: &str) -> String {
    GROUPS.iter().find(|(_, c)| *c == canonical).map(|(p, _)| (*p).to_owned()).unwrap_or_else(|| canonical.to_owned())
}

/// The canonical name of an address value; none for an unknown one.
pub fn group_canonical(param: &str) -> Option<String> {
    if let Some((_, c)) = GROUPS.iter().find(|(p, c)| *p == param || *c == param) {
        return Some((*c).to_owned());
    }
    if let Some(list) = param.strip_prefix("lista:").or_else(|| param.strip_prefix("list:")) {
        let ok = !list.is_empty() && list.len() <= 4000 && list.split(',').all(|c| model::TerytCode::parse(c.trim()).is_ok());
        return ok.then(|| format!("lista:{}", list.split(',').map(str::trim).collect::<Vec<_>>().join(",")));
    }
    let code = param.strip_prefix("custom:")?;
    (!code.is_empty() && code.len() <= 64 && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')).then(|| param.to_owned())
}

pub fn direction(p: Polarity) -> viz::Direction {
    match p {
        Polarity::HigherBetter => viz::Direction::HigherBetter,
        Polarity::LowerBetter => viz::Direction::LowerBetter,
        Polarity::Neutral => viz::Direction::Neutral,
    }
}

/// An indicator's value with its measure unit, or why there is none.
pub fn value_text(l: L, c: &Computed, i: usize, u: usize, y: usize) -> (String, Flag) {
    let d = &c.definitions[i];
    let flag = c.flag(i, u, y);
    match c.snapshot.value(i, u, y) {
        Some(v) => (l.num(v, d.decimals), flag),
        None => (l.flag(flag).to_owned(), flag),
    }
}

/// The measure unit of indicator `i` in the page's language.
pub fn measure(l: L, c: &Computed, i: usize) -> &str {
    let d = &c.definitions[i];
    if l.en && !d.unit_en.is_empty() { &d.unit_en } else { &d.unit_pl }
}

pub fn indicator_name(l: L, c: &Computed, i: usize) -> &str {
    let d = &c.definitions[i];
    if l.en && !d.name_en.is_empty() { &d.name_en } else { &d.name_pl }
}

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
            let title = format!(
                "{}: {} {}, {} {} – {}, {} {}",
                l.t("Pozycja w grupie", "Position in the group"),
                l.t("mediana", "median"),
                fmt(median),
                l.t("połowa jednostek między", "half of the units between"),
                fmt(q1),
                fmt(q3),
                l.t("ta jednostka", "this unit"),
                value.map(fmt).unwrap_or_else(|| "—".into())
            );
            Some(viz::quartile_bar(id, &title, &viz::Quartiles { min, q1, median, q3, max }, value, direction(polarity)))
        }
        _ => None,
    };
    let neutral = polarity == Polarity::Neutral;
    html! {
        @if let Some(svg) = bar { (PreEscaped(svg)) }
        @match (pos.rank, pos.quartile) {
            (Some(r), Some(q)) => {
                span.small {
                    (l.rank_of(r, st.n)) " · "
                    @if neutral { (l.quartile(q, true)) }
                    @else if q == 1 { span.good { "▲ " (l.quartile(q, false)) } }
                    @else if q == 4 { span.bad { "▼ " (l.quartile(q, false)) } }
                    @else { (l.quartile(q, false)) }
                }
            }
            _ => { span.small.muted { (l.t("bez pozycji", "no position")) } }
        }
    }
}

/// A typology group key (`gmina_wiejska:5-10k`) in words.
pub fn typology_words(l: L, key: &str) -> String {
    let (kind, class) = key.split_once(':').unwrap_or((key, ""));
    let kind = model::UnitKind::parse(kind).map(|k| l.kind(k).to_owned()).unwrap_or_else(|_| kind.replace('_', " "));
    let thousand = l.t(" tys.", "k");
    let class = match class {
        "" | "all" => String::new(),
        "bez danych" => l.t("bez danych o ludności", "population unknown").to_owned(),
        c if c.starts_with("<") => format!("{} {}{thousand}", l.t("poniżej", "under"), c.trim_start_matches('<').trim_end_matches('k')),
        c if c.starts_with(">=") => format!("{}{thousand} {}", c.trim_start_matches(">=").trim_end_matches('k'), l.t("i więcej", "and more")),
        c => format!("{}{thousand}", c.trim_end_matches('k').replace('-', "–")),
    };
    if class.is_empty() { kind } else { format!("{kind}, {class} {}", l.t("mieszkańców", "inhabitants")) }
}

/// Query-string escaping of one value.
pub fn q(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_from_the_address_are_checked() {
        assert_eq!(group_canonical("sasiedzi").as_deref(), Some("neighbours"));
        assert_eq!(group_canonical("country").as_deref(), Some("country"));
        assert_eq!(group_canonical("custom:gwd_1").as_deref(), Some("custom:gwd_1"));
        assert_eq!(group_canonical("custom:"), None);
        assert_eq!(group_canonical("custom:<x>"), None);
        assert_eq!(group_canonical("anything"), None);
        assert_eq!(group_param("nearest"), "najblizsi");
    }

    #[test]
    fn typology_keys_read_as_words() {
        assert_eq!(typology_words(L::PL, "gmina_wiejska:5-10k"), "gmina wiejska, 5–10 tys. mieszkańców");
        assert_eq!(typology_words(L { en: true }, "powiat:<50k"), "county (powiat), under 50k inhabitants");
        assert_eq!(typology_words(L::PL, "miasto_na_prawach_powiatu:>=200k"), "miasto na prawach powiatu, 200 tys. i więcej mieszkańców");
        assert_eq!(q("a b&c"), "a%20b%26c");
    }
}
