//! Words the pages and the report share: peer-group choices, how a value, a measure unit
//! and a position are written, unit names as a person writes them, query-string escaping.

use app::{Band, Computed, GroupStats, Position, Verdict};
use model::{Flag, Polarity, UnitKind};

use crate::i18n::{L, Plural};

/// The peer groups a page offers: (value in the address, canonical name).
pub const GROUPS: [(&str, &str); 5] = model::PORTAL_GROUPS;

/// The address value of a canonical group name.
pub fn group_param(canonical: &str) -> String {
    GROUPS.iter().find(|(_, c)| *c == canonical).map(|(p, _)| (*p).to_owned()).unwrap_or_else(|| canonical.to_owned())
}

/// The canonical name of an address value; none for an unknown one
/// ([`model::PeerGroupSpec::parse_param`]).
pub fn group_canonical(param: &str) -> Option<String> {
    model::PeerGroupSpec::parse_param(param).map(|g| g.name())
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

/// The measure unit of indicator `i` written after the number `shown` (as the page shows
/// it), in the form that number takes: "111 uczniów na szkołę", "1,5 ucznia na szkołę",
/// "22 uczniów…" never; the catalogue's forms by CLDR plural category, else the plain unit.
pub fn measure_after<'a>(l: L, c: &'a Computed, i: usize, shown: &str) -> &'a str {
    let d = &c.definitions[i];
    let forms = if l.en { d.unit_en_forms.as_ref() } else { d.unit_pl_forms.as_ref() };
    match forms {
        Some(f) => unit_form(f, l.plural_of_shown(shown)),
        None => measure(l, c, i),
    }
}

/// The form of a measure unit for a plural category; a category without one takes `other`.
pub fn unit_form(f: &app::UnitForms, p: Plural) -> &str {
    let own = match p {
        Plural::One => f.one.as_deref(),
        Plural::Few => f.few.as_deref(),
        Plural::Many => f.many.as_deref(),
        Plural::Other => None,
    };
    own.unwrap_or(&f.other)
}

/// A value with its measure unit in the right form: "111 uczniów na szkołę".
pub fn value_with_unit(l: L, c: &Computed, i: usize, v: f64) -> String {
    let shown = l.num(v, c.definitions[i].decimals);
    let unit = measure_after(l, c, i, &shown);
    if unit.is_empty() { shown } else { format!("{shown} {unit}") }
}

pub fn indicator_name(l: L, c: &Computed, i: usize) -> &str {
    let d = &c.definitions[i];
    if l.en && !d.name_en.is_empty() { &d.name_en } else { &d.name_pl }
}

/// The quartile bar in words — its title on the pages and its alternative text in the PDF:
/// "Pozycja w grupie: mediana 44,4; połowa jednostek między 30,1 a 57,6; najniższa wartość
/// 12,0, najwyższa 80,2; ta jednostka 66,7".
pub fn bar_words(l: L, st: &GroupStats, this_unit: &str, fmt: &dyn Fn(f64) -> String) -> String {
    let f = |v: Option<f64>| v.map(fmt).unwrap_or_else(|| "—".into());
    format!(
        "{}: {} {}; {} {} {} {}; {} {}, {} {}; {} {this_unit}",
        l.t("Pozycja w grupie", "Position in the group"),
        l.t("mediana", "median"),
        f(st.median),
        l.t("połowa jednostek między", "half of the units between"),
        f(st.q1),
        l.t("a", "and"),
        f(st.q3),
        l.t("najniższa wartość", "lowest value"),
        f(st.min),
        l.t("najwyższa", "highest"),
        f(st.max),
        l.t("ta jednostka", "this unit"),
    )
}

/// A unit's place in its group as the pages write it: the rank (1 = best by polarity; for a
/// neutral indicator counted from the highest value), the band of values the value lies in
/// (words about values) and, for a judged indicator, the verdict its polarity gives that
/// band. The card, the indicator page and the report (HTML and PDF) all write it from here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Placement {
    pub rank: Option<String>,
    pub band: Option<Band>,
    pub verdict: Option<Verdict>,
}

impl Placement {
    pub fn is_empty(&self) -> bool {
        self.rank.is_none() && self.band.is_none()
    }

    /// "121. z 139 · ćwiartka najwyższych wartości · ▼ najsłabsza ćwiartka grupy".
    pub fn text(&self, l: L) -> String {
        let mut parts: Vec<String> = Vec::with_capacity(3);
        parts.extend(self.rank.clone());
        parts.extend(self.band.map(|b| l.band(b).to_owned()));
        match self.verdict {
            Some(Verdict::Better) => parts.push(format!("▲ {}", l.verdict(Verdict::Better))),
            Some(Verdict::Worse) => parts.push(format!("▼ {}", l.verdict(Verdict::Worse))),
            None => {}
        }
        parts.join(" · ")
    }
}

/// The placement of `value` with position `pos` in a group with statistics `st`, for an
/// indicator of `polarity` (neutral for context indicators, which are never judged).
pub fn placement(l: L, polarity: Polarity, st: &GroupStats, pos: &Position, value: Option<f64>) -> Placement {
    let Some(v) = value else { return Placement::default() };
    let rank = pos.rank.map(|r| if polarity == Polarity::Neutral { l.rank_from_highest(r, st.n) } else { l.rank_of(r, st.n) });
    let band = app::band(v, st);
    let verdict = band.and_then(|b| app::verdict(b, polarity));
    Placement { rank, band, verdict }
}

/// A typology group key (`gmina_wiejska:5-10k`) in words.
pub fn typology_words(l: L, key: &str) -> String {
    let (kind, class) = key.split_once(':').unwrap_or((key, ""));
    let kind = model::UnitKind::parse(kind).map(|k| l.kind(k).to_owned()).unwrap_or_else(|_| kind.replace('_', " "));
    let thousand = l.t(" tys.", "k");
    let class = match class {
        "" | "all" => String::new(),
        // Not made any more (a unit without population has no typology group); an old key
        // still reads as words, without "inhabitants" after it.
        "bez danych" => return format!("{kind}, {}", l.t("brak danych o ludności", "population unknown")),
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

/// How a person names a unit: TERC writes powiaty without the word "powiat" and
/// województwa in capitals.
pub fn display_name(l: L, name: &str, kind: UnitKind) -> String {
    match kind {
        UnitKind::Wojewodztwo => format!("{} {}", l.t("województwo", "voivodeship"), name.to_lowercase()),
        UnitKind::Powiat => format!("{} {name}", l.t("powiat", "county")),
        _ => name.to_owned(),
    }
}

/// The same, capitalised for a heading.
pub fn heading_name(l: L, name: &str, kind: UnitKind) -> String {
    let n = display_name(l, name, kind);
    let mut chars = n.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Why unit `u` is in no group of the fixed partition `canonical` in year index `y`
/// (Poland; a unit without population in the typology), in words; none when it is in one
/// or the name is no fixed partition.
pub fn no_group_words(l: L, c: &Computed, u: usize, y: usize, canonical: &str) -> Option<String> {
    let s = &c.snapshot;
    let p = s.partition_index(canonical)?;
    app::groups::why_no_group(s, c.kinds[u], u, p, y).map(|w| {
        let (pl, en) = w.words();
        if l.en { en } else { pl }
    })
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
        assert_eq!(typology_words(L::PL, "miasto_na_prawach_powiatu:bez danych"), "miasto na prawach powiatu, brak danych o ludności");
        assert!(!typology_words(L { en: true }, "powiat:bez danych").contains("inhabitants"));
        assert_eq!(q("a b&c"), "a%20b%26c");
    }
}
