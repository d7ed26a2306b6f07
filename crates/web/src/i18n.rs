//! The portal's two languages: Polish by default, English by `?lang=en`; words, numbers
//! and the links that keep the language.

use model::{Flag, Polarity, UnitKind};

/// The language of one page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L {
    pub en: bool,
}

impl L {
    pub const PL: L = L { en: false };

    /// The language a query string asks for: `lang=en` anywhere in it.
    pub fn from_query(query: Option<&str>) -> L {
        L { en: query.is_some_and(|q| q.split('&').any(|kv| kv == "lang=en")) }
    }

    /// One text in the page's language.
    pub fn t<'a>(self, pl: &'a str, en: &'a str) -> &'a str {
        if self.en { en } else { pl }
    }

    /// `html lang`.
    pub fn code(self) -> &'static str {
        self.t("pl", "en")
    }

    /// A link inside the portal that keeps the language: `path` may carry a query.
    pub fn href(self, path: &str) -> String {
        if !self.en {
            return path.to_owned();
        }
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}lang=en")
    }

    /// A number with `decimals` places: `1 234,5` in Polish (no-break space, decimal
    /// comma), `1,234.5` in English.
    pub fn num(self, v: f64, decimals: u8) -> String {
        let (group, point) = if self.en { (',', '.') } else { ('\u{a0}', ',') };
        fmt_number(v, usize::from(decimals.min(6)), group, point)
    }

    /// A number with as many decimals as it needs, up to two (raw data).
    pub fn num_auto(self, v: f64) -> String {
        let s = self.num(v, 2);
        let point = if self.en { '.' } else { ',' };
        if s.contains(point) { s.trim_end_matches('0').trim_end_matches(point).to_owned() } else { s }
    }

    /// A signed change, `+1,5` / `−2,0`.
    pub fn change(self, v: f64, decimals: u8) -> String {
        let s = self.num(v.abs(), decimals);
        if v > 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
            format!("+{s}")
        } else if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
            format!("\u{2212}{s}")
        } else {
            s
        }
    }

    pub fn kind(self, k: UnitKind) -> &'static str {
        if self.en { k.name_en() } else { k.name_pl() }
    }

    /// What a flag means, for a cell that shows it.
    pub fn flag(self, f: Flag) -> &'static str {
        match f {
            Flag::Final => "",
            Flag::Preliminary => self.t("dane wstępne", "preliminary"),
            Flag::Estimated => self.t("szacunek", "estimate"),
            Flag::Confidential => self.t("tajemnica statystyczna", "confidential"),
            Flag::NotOccurred => self.t("zjawisko nie wystąpiło", "did not occur"),
            Flag::Missing => self.t("brak danych", "no data"),
        }
    }

    pub fn polarity(self, p: Polarity) -> &'static str {
        match p {
            Polarity::HigherBetter => self.t("im więcej, tym lepiej", "higher is better"),
            Polarity::LowerBetter => self.t("im mniej, tym lepiej", "lower is better"),
            Polarity::Neutral => self.t("neutralny — bez oceny lepiej/gorzej", "neutral — not judged better or worse"),
        }
    }

    pub fn dimension(self, d: &str) -> &'static str {
        match d {
            "quantity" => self.t("ilość", "quantity"),
            "quality" => self.t("jakość", "quality"),
            "availability" => self.t("dostępność", "availability"),
            "efficiency" => self.t("efektywność (koszt)", "efficiency (cost)"),
            _ => self.t("inny", "other"),
        }
    }

    pub fn indicator_kind(self, k: &str) -> &'static str {
        match k {
            "context" => self.t("kontekstowy", "context"),
            _ => self.t("monitorujący", "monitoring"),
        }
    }

    /// An area (obszar) of the catalogue by its code.
    pub fn area(self, code: &str) -> String {
        let (pl, en) = match code {
            "edukacja" => ("Edukacja", "Education"),
            "polityka_spoleczna" => ("Polityka społeczna", "Social policy"),
            "kultura_rekreacja" => ("Kultura i rekreacja", "Culture and recreation"),
            "drogi_transport" => ("Drogi i transport", "Roads and transport"),
            "srodowisko_komunalne" => ("Środowisko i gospodarka komunalna", "Environment and utilities"),
            "mieszkalnictwo_mienie" => ("Mieszkalnictwo i mienie komunalne", "Housing and municipal property"),
            "finanse" => ("Finanse publiczne", "Public finance"),
            "demografia" => ("Demografia", "Demography"),
            "gospodarka" => ("Gospodarka", "Economy"),
            other => return other.replace('_', " "),
        };
        self.t(pl, en).to_owned()
    }

    /// A peer group's name as the switch offers it.
    pub fn group(self, canonical: &str) -> String {
        match canonical {
            "typology" => self.t("podobne jednostki (typologia)", "similar units (typology)").to_owned(),
            "neighbours" => self.t("sąsiedzi", "neighbours").to_owned(),
            "nearest" => self.t("statystycznie najbliżsi", "statistical nearest neighbours").to_owned(),
            "wojewodztwo" => self.t("województwo", "voivodeship").to_owned(),
            "country" => self.t("cały kraj", "whole country").to_owned(),
            g => match (g.strip_prefix("custom:"), g.strip_prefix("lista:").or_else(|| g.strip_prefix("list:"))) {
                (Some(code), _) => format!("{} {code}", self.t("grupa własna", "custom group")),
                (_, Some(list)) => format!("{} ({})", self.t("wybrane jednostki", "chosen units"), list.split(',').count()),
                _ => g.to_owned(),
            },
        }
    }

    /// "12. z 87" / "12th of 87".
    pub fn rank_of(self, rank: u32, n: usize) -> String {
        if self.en { format!("{} of {n}", ordinal_en(rank)) } else { format!("{rank}. z {n}") }
    }

    /// The quartile class in words (1 = best quarter).
    pub fn quartile(self, q: u8, neutral: bool) -> &'static str {
        match (q, neutral) {
            (1, false) => self.t("najlepsza ćwiartka", "best quarter"),
            (2, false) => self.t("druga ćwiartka", "second quarter"),
            (3, false) => self.t("trzecia ćwiartka", "third quarter"),
            (_, false) => self.t("najsłabsza ćwiartka", "weakest quarter"),
            (1, true) => self.t("ćwiartka najwyższych wartości", "highest quarter"),
            (2, true) => self.t("powyżej mediany", "above the median"),
            (3, true) => self.t("poniżej mediany", "below the median"),
            (_, true) => self.t("ćwiartka najniższych wartości", "lowest quarter"),
        }
    }
}

fn ordinal_en(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// `v` rounded to `decimals`, thousands grouped by `group`, decimals after `point`.
pub fn fmt_number(v: f64, decimals: usize, group: char, point: char) -> String {
    if !v.is_finite() {
        return "—".to_owned();
    }
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let negative = v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0');
    let mut out = String::with_capacity(s.len() + 8);
    if negative {
        out.push('\u{2212}');
    }
    let digits = int.len();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (digits - i) % 3 == 0 {
            out.push(group);
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    out
}

/// The query string with `lang` switched: what the language link of a page points at.
pub fn switch_language(path: &str, query: Option<&str>, to_en: bool) -> String {
    let mut pairs: Vec<&str> = query.unwrap_or("").split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("lang=")).collect();
    if to_en {
        pairs.push("lang=en");
    }
    if pairs.is_empty() { path.to_owned() } else { format!("{path}?{}", pairs.join("&")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_the_way_each_language_writes_them() {
        assert_eq!(L::PL.num(1234.5, 1), "1\u{a0}234,5");
        assert_eq!(L::PL.num(12345.5, 1), "12\u{a0}345,5");
        assert_eq!(L::PL.num(-1234567.25, 2), "\u{2212}1\u{a0}234\u{a0}567,25");
        assert_eq!(L { en: true }.num(1234.5, 1), "1,234.5");
        assert_eq!(L { en: true }.num(-0.001, 1), "0.0");
        assert_eq!(L::PL.num(38486.0, 0), "38\u{a0}486");
        assert_eq!(L::PL.num_auto(12.0), "12");
        assert_eq!(L::PL.num_auto(12.5), "12,5");
        assert_eq!(L::PL.num(f64::NAN, 1), "—");
        assert_eq!(L::PL.change(1.26, 1), "+1,3");
        assert_eq!(L::PL.change(-0.01, 1), "0,0");
    }

    #[test]
    fn the_language_switch_keeps_the_rest_of_the_query() {
        assert_eq!(switch_language("/jst/02", Some("grupa=kraj"), true), "/jst/02?grupa=kraj&lang=en");
        assert_eq!(switch_language("/jst/02", Some("lang=en&grupa=kraj"), false), "/jst/02?grupa=kraj");
        assert_eq!(switch_language("/", None, false), "/");
        assert!(L::from_query(Some("a=1&lang=en")).en);
        assert!(!L::from_query(Some("lang=english")).en);
        assert_eq!(L { en: true }.href("/jst/02?rok=2020"), "/jst/02?rok=2020&lang=en");
        assert_eq!(L::PL.rank_of(3, 10), "3. z 10");
        assert_eq!(L { en: true }.rank_of(22, 30), "22nd of 30");
    }
}
