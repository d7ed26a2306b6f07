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

    /// A link inside the portal that keeps the language: `path` may carry a query. A path
    /// that could lead off the site (see [`stays_on_site`]) links to `/` instead.
    pub fn href(self, path: &str) -> String {
        let path = if stays_on_site(path) { path } else { "/" };
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
            "zdrowie" => ("Zdrowie", "Health"),
            "zrownowazony_rozwoj" => ("Zrównoważony rozwój", "Sustainability"),
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

    /// A neutral indicator's rank, counted from the highest value: "12. od najwyższej z 87".
    pub fn rank_from_highest(self, rank: u32, n: usize) -> String {
        if self.en { format!("{} highest of {n}", ordinal_en(rank)) } else { format!("{rank}. od najwyższej z {n}") }
    }

    /// Where a value lies in its group, in words about values (never a judgement).
    pub fn band(self, b: app::Band) -> &'static str {
        match b {
            app::Band::Highest => self.t("ćwiartka najwyższych wartości", "highest quarter of values"),
            app::Band::AboveMedian => self.t("powyżej mediany", "above the median"),
            app::Band::AtMedian => self.t("równo z medianą", "at the median"),
            app::Band::BelowMedian => self.t("poniżej mediany", "below the median"),
            app::Band::Lowest => self.t("ćwiartka najniższych wartości", "lowest quarter of values"),
        }
    }

    /// The judgement by polarity of a value's band.
    pub fn verdict(self, v: app::Verdict) -> &'static str {
        match v {
            app::Verdict::Better => self.t("najlepsza ćwiartka grupy", "the group's best quarter"),
            app::Verdict::Worse => self.t("najsłabsza ćwiartka grupy", "the group's weakest quarter"),
        }
    }

    /// A use-case's error as a reader of the portal is told it: in the page's language and
    /// without the CLI's commands and flags (which the error's `Display` names, for the CLI).
    /// Errors without words of their own here are said as the use-case says them.
    pub fn describe(self, e: &app::AppError) -> String {
        match e {
            app::AppError::NoCatalogue => self
                .t(
                    "Nie ma jeszcze katalogu wskaźników: administrator portalu musi go zaimportować, a potem dane.",
                    "There is no indicator catalogue yet: the portal's administrator has to import it, then the data.",
                )
                .to_owned(),
            app::AppError::NoCustomGroup { code } => {
                format!("{} „{code}”", self.t("nie ma grupy własnej o kodzie", "there is no custom group with the code"))
            }
            app::AppError::Busy => self.t("baza danych jest zajęta, spróbuj za chwilę", "the database is busy, try again in a moment").to_owned(),
            e => e.to_string(),
        }
    }
}

/// A CLDR plural category, as the catalogue's measure-unit forms are keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plural {
    One,
    Few,
    Many,
    Other,
}

/// The cardinal plural category of `d` in Polish or English, by the CLDR rules compiled
/// into `icu_plurals` (made once per thread: the rules are not `Sync`).
fn category(en: bool, d: &fixed_decimal::Decimal) -> Option<icu_plurals::PluralCategory> {
    fn make(tag: &str) -> Option<icu_plurals::PluralRules> {
        let locale = icu_locale_core::Locale::try_from_str(tag).ok()?;
        icu_plurals::PluralRules::try_new_cardinal(locale.into()).ok()
    }
    thread_local! {
        static PL: Option<icu_plurals::PluralRules> = make("pl");
        static EN: Option<icu_plurals::PluralRules> = make("en");
    }
    let cell = if en { &EN } else { &PL };
    cell.with(|r| r.as_ref().map(|r| r.category_for(d)))
}

impl L {
    /// The plural category of a number as the page shows it (`1\u{a0}234,5`, `1,234.5`,
    /// `−2`): the digits shown decide, so "1,0" takes the fraction's form as a reader expects.
    pub fn plural_of_shown(self, shown: &str) -> Plural {
        let plain: String = shown
            .chars()
            .filter_map(|c| match c {
                '0'..='9' => Some(c),
                ',' if !self.en => Some('.'),
                '.' if self.en => Some('.'),
                _ => None,
            })
            .collect();
        let Ok(d) = fixed_decimal::Decimal::try_from_str(&plain) else { return Plural::Other };
        match category(self.en, &d) {
            Some(icu_plurals::PluralCategory::One) => Plural::One,
            Some(icu_plurals::PluralCategory::Few) => Plural::Few,
            Some(icu_plurals::PluralCategory::Many) => Plural::Many,
            _ => Plural::Other,
        }
    }

    /// A count with its noun in the right form: `pl` = [one, few, many] ("jednostka",
    /// "jednostki", "jednostek"), `en` = [one, other]: "4 jednostki", "5 jednostek", "1 unit".
    pub fn count(self, n: usize, pl: [&str; 3], en: [&str; 2]) -> String {
        format!("{} {}", self.num(n as f64, 0), self.noun(n, pl, en))
    }

    /// The noun alone, in the form a count of `n` takes.
    pub fn noun<'a>(self, n: usize, pl: [&'a str; 3], en: [&'a str; 2]) -> &'a str {
        match (self.en, self.plural_of_shown(&n.to_string())) {
            (true, Plural::One) => en[0],
            (true, _) => en[1],
            (false, Plural::One) => pl[0],
            (false, Plural::Few) => pl[1],
            (false, _) => pl[2],
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

/// Whether a link stays on this site whatever page it is on: one `/`, not followed by `/`
/// or `\` (`//host/…` and `/\host/…` name another host: browsers read `\` as `/`), and no
/// `\` or control character anywhere (browsers drop tabs and new lines from an address).
pub fn stays_on_site(link: &str) -> bool {
    let b = link.as_bytes();
    b.first() == Some(&b'/') && !matches!(b.get(1), Some(b'/' | b'\\')) && !b.iter().any(|&c| c == b'\\' || c.is_ascii_control())
}

/// Whether `path` is the address of one of the portal's pages: `/`, `/obszar`, `/analiza`,
/// `/grupy`, `/pokrycie`, the pages of people who write (`/logowanie`, `/konto`, `/ankiety`,
/// `/ankiety/ID`, `/ankiety/ID/jst/CODE`, `/weryfikacja`, `/admin/…`), or `/jst/…`,
/// `/wskaznik/…`, `/obszar/…`, `/raport/…` with one segment of letters, digits and `-_.`
/// (not `.` or `..`); the closed cycle's pages (`/ocena`, `/reorganizacje/ID`,
/// `/dobre-praktyki/ID`, `/obszary-funkcjonalne/CODE`, a unit's or area's `…/plan`,
/// `…/priorytety`, `…/plan/dzialania/ID[/cel]`, `/jst/CODE/instytucje`).
fn page_path(path: &str) -> bool {
    if matches!(
        path,
        "/" | "/obszar"
            | "/analiza"
            | "/grupy"
            | "/pokrycie"
            | "/logowanie"
            | "/konto"
            | "/ankiety"
            | "/weryfikacja"
            | "/ocena"
            | "/reorganizacje"
            | "/dobre-praktyki"
            | "/obszary-funkcjonalne"
            | "/gwd"
            | "/gwd/nowy"
            | "/badania"
            | "/admin/audyt"
            | "/admin/uzytkownicy"
            | "/admin/ankiety/nowa"
            | "/admin/obszary-funkcjonalne"
    ) {
        return true;
    }
    let segment_ok = |s: &str| !matches!(s, "" | "." | "..") && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let Some(rest) = path.strip_prefix('/') else { return false };
    let parts: Vec<&str> = rest.split('/').collect();
    if !parts.iter().all(|p| segment_ok(p)) {
        return false;
    }
    match parts.as_slice() {
        // A campaign's dashboard `/ankiety/ID` and a unit's questionnaire `/ankiety/ID/jst/CODE`.
        ["ankiety", id] => number(id),
        ["ankiety", id, "jst", _] => number(id),
        ["jst" | "wskaznik" | "obszar" | "raport" | "obszary-funkcjonalne", _] => true,
        // A unit's (or a functional area's) plan pages, priorities and institutions (issue 18).
        ["jst" | "obszary-funkcjonalne", _, "plan" | "priorytety"] => true,
        ["jst", _, "instytucje"] => true,
        ["jst" | "obszary-funkcjonalne", _, "plan", "dzialania", id] => number(id),
        ["jst" | "obszary-funkcjonalne", _, "plan", "dzialania", id, "cel"] => number(id),
        ["reorganizacje" | "dobre-praktyki", id] => number(id) || *id == "nowa",
        // Exchange groups and service-user surveys (issue 19).
        ["gwd", id] => number(id),
        ["gwd", id, "arkusz" | "pytania"] => number(id),
        ["gwd", id, "pytania", q] => number(id) && (number(q) || *q == "nowe"),
        ["badania", "zestawy", _] => true,
        ["badania", "porownanie", _, year] => number(year),
        ["jst", _, "badania"] => true,
        ["jst", _, "badania", id] => number(id),
        ["badanie", _] => true,
        _ => false,
    }
}

/// The page's own address with `lang` switched: what the language link of a page points
/// at. It is built from the request, so only the path of one of the portal's pages is kept
/// (with the rest of the query); any other path — a 404's, `//host/…` — gives `/`.
pub fn switch_language(path: &str, query: Option<&str>, to_en: bool) -> String {
    // The login page's query (`next`) is not carried: a foreign `next` is never echoed back.
    let (path, query) = match path {
        "/logowanie" => (path, None),
        p if page_path(p) => (path, query),
        _ => ("/", None),
    };
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
    fn the_language_link_keeps_the_pages_of_people_who_write_and_nothing_like_them() {
        assert_eq!(switch_language("/ankiety/3/jst/0201011", Some("lang=en"), false), "/ankiety/3/jst/0201011");
        assert_eq!(switch_language("/ankiety/3", None, true), "/ankiety/3?lang=en");
        assert_eq!(switch_language("/weryfikacja", None, true), "/weryfikacja?lang=en");
        assert_eq!(switch_language("/logowanie", Some("next=%2F%2Fevil.example"), true), "/logowanie?lang=en");
        assert_eq!(switch_language("/admin/audyt", Some("akcja=import"), true), "/admin/audyt?akcja=import&lang=en");
        for odd in ["/ankiety/x", "/ankiety/3/jst/..", "/ankiety/3/jst/a/b", "/ankiety/", "/admin/inne", "/zaproszenie/abc"] {
            assert_eq!(switch_language(odd, Some("a=b"), true), "/?lang=en", "{odd}");
        }
    }

    #[test]
    fn app_errors_are_worded_for_the_portal_without_the_cli_and_for_the_cli_with_it() {
        for e in [app::AppError::NoCatalogue, app::AppError::NoCustomGroup { code: "gwd_1".into() }] {
            let cli = e.to_string();
            assert!(cli.contains("miernik "), "the CLI's words name the command: {cli}");
            for l in [L::PL, L { en: true }] {
                let web = l.describe(&e);
                assert!(!web.contains("miernik") && !web.contains("--") && !web.is_empty(), "{web}");
                assert_ne!(web, cli);
            }
            assert_ne!(L::PL.describe(&e), L { en: true }.describe(&e), "Polish and English differ");
        }
        assert!(L::PL.describe(&app::AppError::NoCustomGroup { code: "gwd_1".into() }).contains("gwd_1"), "the code asked for is named");
        assert_eq!(L::PL.describe(&app::AppError::Invalid("rok=x".into())), "rok=x", "other errors keep the use-case's words");
    }

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
    fn counts_and_numbers_take_the_polish_and_english_plural_forms() {
        let pl = L::PL;
        let en = L { en: true };
        let unit = (["jednostka", "jednostki", "jednostek"], ["unit", "units"]);
        let cases = [
            (1, "1 jednostka", "1 unit"),
            (2, "2 jednostki", "2 units"),
            (4, "4 jednostki", "4 units"),
            (5, "5 jednostek", "5 units"),
            (12, "12 jednostek", "12 units"),
            (22, "22 jednostki", "22 units"),
            (111, "111 jednostek", "111 units"),
            (0, "0 jednostek", "0 units"),
        ];
        for (n, want_pl, want_en) in cases {
            assert_eq!(pl.count(n, unit.0, unit.1), want_pl);
            assert_eq!(en.count(n, unit.0, unit.1), want_en);
        }
        assert_eq!(pl.count(1234, unit.0, unit.1), "1\u{a0}234 jednostki");
        // The digits shown decide: a fraction takes `other` ("1,5 osoby", "66,7 osoby").
        for (shown, want) in [
            ("1", Plural::One),
            ("1,0", Plural::Other),
            ("1,5", Plural::Other),
            ("66,7", Plural::Other),
            ("24", Plural::Few),
            ("26", Plural::Many),
            ("1\u{a0}077", Plural::Many),
            ("1\u{a0}660", Plural::Many),
            ("\u{2212}2", Plural::Few),
        ] {
            assert_eq!(pl.plural_of_shown(shown), want, "{shown}");
        }
        assert_eq!(en.plural_of_shown("1"), Plural::One);
        assert_eq!(en.plural_of_shown("1.0"), Plural::Other);
        assert_eq!(en.plural_of_shown("1,234"), Plural::Other);
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

    #[test]
    fn links_built_from_a_request_never_lead_off_the_site() {
        let en = L { en: true };
        // The language switch keeps only the paths of the portal's pages.
        for (path, query, want) in [
            ("//evil.example/x", None, "/?lang=en"),
            ("//evil.example/x", Some("a=1"), "/?lang=en"),
            ("/\\evil.example", None, "/?lang=en"),
            ("/%2F%2Fevil.example", None, "/?lang=en"),
            ("/jst/..//evil", None, "/?lang=en"),
            ("/jst/..", None, "/?lang=en"),
            ("/jst/02/x", None, "/?lang=en"),
            ("/nie-ma-takiej-strony", None, "/?lang=en"),
            ("/jst/02", Some("rok=2020"), "/jst/02?rok=2020&lang=en"),
            ("/wskaznik/ludnosc", None, "/wskaznik/ludnosc?lang=en"),
            ("/obszar", None, "/obszar?lang=en"),
        ] {
            assert_eq!(switch_language(path, query, true), want, "{path}");
        }
        // Any other link: a path that names another host links to the home page.
        for bad in ["//evil.example/x", "/\\evil.example", "/ok\\..\\x", "/\t/evil.example", "http://evil.example/", "evil.example", ""] {
            assert!(!stays_on_site(bad), "{bad:?}");
            assert_eq!(L::PL.href(bad), "/", "{bad:?}");
            assert_eq!(en.href(bad), "/?lang=en", "{bad:?}");
        }
        assert_eq!(L::PL.href("/jst/02?rok=2020"), "/jst/02?rok=2020");
        assert_eq!(en.href("/"), "/?lang=en");
    }
}
