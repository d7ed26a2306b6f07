//! The table builder (`/analiza`): any indicators × units × years as a pivot table with a
//! chart and downloads, its whole state in the address.
//!
//! Parameters: `wskazniki` (indicator tokens: codes, `area:CODE`, `all`; the form's
//! checkboxes send the same tokens as repeated `wskaznik`), `jst` (unit tokens: TERYT codes,
//! `gminy`, `powiaty`, `wojewodztwa`, kinds, `in:CODE`, `all`), `grupa` + `wzgledem` (add
//! the members of this peer group of that unit, by default of the first unit listed),
//! `lata` (`2015-2020`, `last`, `all`), `kolumny` (`year` | `unit` | `indicator`: the
//! dimension in the columns), and the two searches `szukaj` (indicators) and `szukaj_jst`
//! (units), which are not part of the shared address.

use std::collections::HashSet;

use app::Store;
use app::query::{DataQuery, Dim, QueryCell};
use maud::{Markup, PreEscaped, html};
use model::{Flag, TerytCode, UnitKind};

use crate::PageError;
use crate::common::{GROUPS, group_canonical, group_param, indicator_name, measure, q as esc};
use crate::groups::BrowserGroup;
use crate::i18n::L;
use crate::layout::display_name;
use crate::portal::Portal;

#[derive(Debug, Default, serde::Deserialize)]
pub struct AnalysisQuery {
    pub wskazniki: Option<String>,
    pub jst: Option<String>,
    pub grupa: Option<String>,
    /// The unit whose peer group `grupa` is (default: the first unit of `jst`).
    pub wzgledem: Option<String>,
    pub lata: Option<String>,
    pub kolumny: Option<String>,
    /// Filters the indicator list (not part of the shared address).
    pub szukaj: Option<String>,
    /// Finds units to add to `jst` (not part of the shared address).
    pub szukaj_jst: Option<String>,
    /// Read through `L` (the frame takes the language from the raw query).
    #[allow(dead_code)]
    pub lang: Option<String>,
}

/// What the page renders at most; the downloads hold the rest.
const RENDER_CELLS: usize = 5_000;
const RENDER_ROWS: usize = 500;
const RENDER_COLS: usize = 200;
/// Lines of the chart (one per row) and bars.
const CHART_LINES: usize = 8;
const CHART_BARS: usize = 40;
/// Charts drawn at most: one per indicator of the table (the table holds every one).
const CHARTS: usize = 6;
/// Units a search lists.
const UNIT_HITS: usize = 20;
/// The longest parameter taken (a list of all gminy by code is about 20,000 characters).
const MAX_PARAM: usize = 24_000;

/// The dimension in the columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cols {
    Year,
    Unit,
    Indicator,
}

impl Cols {
    fn parse(s: &str) -> Option<Cols> {
        match s {
            "" | "year" | "lata" | "rok" => Some(Cols::Year),
            "unit" | "jednostki" | "jst" => Some(Cols::Unit),
            "indicator" | "wskazniki" => Some(Cols::Indicator),
            _ => None,
        }
    }

    fn param(self) -> &'static str {
        match self {
            Cols::Year => "year",
            Cols::Unit => "unit",
            Cols::Indicator => "indicator",
        }
    }

    /// The walk order: the two row dimensions (outer first), then the column one — the
    /// order of the CSV/XLSX pivot with the same `columns`.
    fn order(self) -> [Dim; 3] {
        match self {
            Cols::Year => [Dim::Indicator, Dim::Unit, Dim::Year],
            Cols::Unit => [Dim::Indicator, Dim::Year, Dim::Unit],
            Cols::Indicator => [Dim::Unit, Dim::Year, Dim::Indicator],
        }
    }
}

/// A message about a field of the form.
struct Problem {
    field: &'static str,
    message: String,
}

fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|t| !t.is_empty())
}

fn push_token(list: &mut Vec<String>, t: &str) {
    if !list.iter().any(|x| x == t) {
        list.push(t.to_owned());
    }
}

fn clip(s: &str, n: usize) -> String {
    let mut t: String = s.chars().take(n).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    t
}

/// Form decoding of one query-string part (`+` is a space).
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = match b.get(i + 1..i + 3) {
            Some(h) if b[i] == b'%' && h.iter().all(u8::is_ascii_hexdigit) => {
                std::str::from_utf8(h).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
            }
            _ => None,
        };
        match (b[i], hex) {
            (_, Some(h)) => {
                out.push(h);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (x, None) => {
                out.push(x);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every value of a parameter that may repeat (the checkboxes' `wskaznik`).
fn repeated(query: Option<&str>, key: &str) -> Vec<String> {
    query
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k) == key).then(|| decode(v))
        })
        .collect()
}

/// The indicators asked for, sorted out for the form.
#[derive(Default)]
struct Chosen {
    /// Valid tokens in order, normalised (`all`, `area:CODE`, codes): the canonical list.
    valid: Vec<String>,
    all: bool,
    areas: Vec<String>,
    /// Indicators named by code.
    codes: HashSet<usize>,
    /// Indicators chosen through `all` or an area.
    covered: HashSet<usize>,
    /// Tokens that name nothing, kept in the text field.
    bad: Vec<String>,
}

impl Chosen {
    fn read(p: &Portal, raw: &[String]) -> Chosen {
        let c = &*p.c;
        let mut ch = Chosen::default();
        for text in raw {
            for t in tokens(text) {
                if t == "all" || t == "wszystkie" {
                    ch.all = true;
                    push_token(&mut ch.valid, "all");
                } else if let Some(area) = t.strip_prefix("area:").or_else(|| t.strip_prefix("obszar:")) {
                    match p.area(area) {
                        Some(a) => {
                            if !ch.areas.iter().any(|x| x == area) {
                                ch.areas.push(area.to_owned());
                            }
                            ch.covered.extend(a.indicators());
                            push_token(&mut ch.valid, &format!("area:{area}"));
                        }
                        None => push_token(&mut ch.bad, t),
                    }
                } else {
                    match c.definitions.iter().position(|d| d.code == t) {
                        Some(i) => {
                            ch.codes.insert(i);
                            push_token(&mut ch.valid, t);
                        }
                        None => push_token(&mut ch.bad, t),
                    }
                }
            }
        }
        if ch.all {
            ch.covered.extend(0..c.definitions.len());
        }
        ch
    }

    fn is_empty(&self) -> bool {
        self.valid.is_empty() && self.bad.is_empty()
    }
}

/// Why one unit token names nothing, in words.
fn unit_problem(l: L, c: &app::Computed, t: &str) -> Option<String> {
    app::query::parse_units(c, t).err()?;
    let why = if t.starts_with("in:") {
        l.t(
            "po in: podaj kod województwa (2 cyfry) albo powiatu (4 cyfry)",
            "after in: give the code of a województwo (2 digits) or a powiat (4 digits)",
        )
    } else if TerytCode::parse_lenient(t).is_ok() {
        l.t("nie ma jednostki z danymi o tym kodzie", "no unit with data has this code")
    } else {
        l.t(
            "to nie kod TERYT (2, 4 albo 7 cyfr) ani gminy, powiaty, wojewodztwa, rodzaj jednostki, in:KOD, all",
            "not a TERYT code (2, 4 or 7 digits) nor gminy, powiaty, wojewodztwa, a unit kind, in:CODE, all",
        )
    };
    Some(format!("„{}”: {why}", clip(t, 40)))
}

/// The state of the page, as the address says it.
struct Address {
    wskazniki: String,
    jst: String,
    /// The `grupa` value (Polish address form, or `lista:…`).
    grupa: Option<String>,
    wzgledem: Option<String>,
    lata: String,
    cols: Cols,
}

impl Address {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        if !self.wskazniki.is_empty() {
            v.push(("wskazniki", self.wskazniki.clone()));
        }
        if !self.jst.is_empty() {
            v.push(("jst", self.jst.clone()));
        }
        if let Some(g) = &self.grupa {
            v.push(("grupa", g.clone()));
            if let Some(u) = &self.wzgledem {
                v.push(("wzgledem", u.clone()));
            }
        }
        v.push(("lata", self.lata.clone()));
        if self.cols != Cols::Year {
            v.push(("kolumny", self.cols.param().to_owned()));
        }
        v
    }

    /// `/analiza?…` with these values and `extra` ones (the language is added by `l`).
    fn href(&self, l: L, extra: &[(&'static str, String)]) -> String {
        let mut pairs = self.pairs();
        pairs.extend(extra.iter().cloned());
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", esc(v))).collect();
        l.href(&format!("/analiza?{}", query.join("&")))
    }
}

pub async fn render(
    store: &Store,
    p: &Portal,
    l: L,
    q: &AnalysisQuery,
    mine: &[BrowserGroup],
    query: Option<&str>,
) -> Result<(String, Markup), PageError> {
    let c = &*p.c;
    let s = &c.snapshot;
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
    for (name, v) in [
        ("wskazniki", &q.wskazniki),
        ("jst", &q.jst),
        ("grupa", &q.grupa),
        ("wzgledem", &q.wzgledem),
        ("lata", &q.lata),
        ("szukaj", &q.szukaj),
        ("szukaj_jst", &q.szukaj_jst),
    ] {
        if v.as_deref().is_some_and(|v| v.len() > MAX_PARAM) {
            return Err(PageError::BadRequest(format!("{name}=… ({} > {MAX_PARAM})", l.t("za długi", "too long"))));
        }
    }
    let cols_text = text(&q.kolumny).unwrap_or_default();
    let cols = Cols::parse(&cols_text).ok_or_else(|| PageError::BadRequest(format!("kolumny={}", clip(&cols_text, 40))))?;
    let group_text = text(&q.grupa);
    let group = match group_text.as_deref() {
        Some(g) => Some(group_canonical(g).ok_or_else(|| PageError::BadRequest(format!("grupa={}", clip(g, 60))))?),
        None => None,
    };
    let search = text(&q.szukaj);
    let unit_search = text(&q.szukaj_jst);
    let last_year = s.years().saturating_sub(1);
    let first = s.first_year();
    let final_year = first + last_year as i32;

    let mut problems: Vec<Problem> = Vec::new();

    // Indicators: the text field and the checkboxes.
    let mut raw_ind: Vec<String> = text(&q.wskazniki).into_iter().collect();
    raw_ind.extend(repeated(query, "wskaznik").into_iter().filter(|v| v.len() <= MAX_PARAM));
    let chosen = Chosen::read(p, &raw_ind);
    if !chosen.bad.is_empty() {
        problems.push(Problem {
            field: "wskazniki",
            message: format!(
                "{} {}. {}",
                l.t("Nie ma takich wskaźników ani obszarów:", "There are no such indicators or areas:"),
                chosen.bad.iter().map(|t| format!("„{}”", clip(t, 40))).collect::<Vec<_>>().join(", "),
                l.t("Zaznacz wskaźniki na liście albo podaj kody, area:KOD lub all.", "Tick indicators in the list or give codes, area:CODE or all.")
            ),
        });
    }

    // Units.
    let jst_raw = text(&q.jst).unwrap_or_default();
    let mut jst_valid: Vec<String> = Vec::new();
    let mut unit_bad: Vec<String> = Vec::new();
    for t in tokens(&jst_raw) {
        match unit_problem(l, c, t) {
            Some(why) => unit_bad.push(why),
            None => push_token(&mut jst_valid, t),
        }
    }
    if !unit_bad.is_empty() {
        problems.push(Problem {
            field: "jst",
            message: format!("{} {}.", l.t("Nie rozpoznano jednostek:", "Units not recognised:"), unit_bad.join("; ")),
        });
    }
    let jst = jst_valid.join(",");
    let listed: Vec<usize> = app::query::parse_units(c, &jst).unwrap_or_default();

    // Years.
    let lata_raw = text(&q.lata).unwrap_or_else(|| "all".to_owned());
    let mut lata_valid: Vec<String> = Vec::new();
    let mut year_bad: Vec<String> = Vec::new();
    for t in tokens(&lata_raw) {
        match app::query::parse_years(c, t) {
            Ok(_) => push_token(&mut lata_valid, t),
            Err(_) => year_bad.push(format!("„{}”", clip(t, 40))),
        }
    }
    if !year_bad.is_empty() || lata_valid.is_empty() {
        problems.push(Problem {
            field: "lata",
            message: format!(
                "{} {}. {} {first}–{final_year}; {}",
                l.t("Nie rozpoznano lat:", "Years not recognised:"),
                if year_bad.is_empty() { "—".to_owned() } else { year_bad.join(", ") },
                l.t("Lata z danymi:", "Years with data:"),
                l.t("podaj np. 2015-2020, 2020, last (ostatni) albo all (wszystkie).", "give e.g. 2015-2020, 2020, last or all.")
            ),
        });
    }
    let lata = if lata_valid.is_empty() { "all".to_owned() } else { lata_valid.join(",") };

    // The peer group and its unit.
    let wzgledem_text = text(&q.wzgledem);
    let anchor: Option<usize> = match wzgledem_text.as_deref() {
        Some(t) => match TerytCode::parse_lenient(t).ok().and_then(|code| c.unit_index(code.as_str())) {
            Some(u) => Some(u),
            None => {
                problems.push(Problem {
                    field: "wzgledem",
                    message: format!(
                        "„{}”: {}",
                        clip(t, 40),
                        l.t("nie ma jednostki z danymi o takim kodzie TERYT.", "no unit with data has this TERYT code.")
                    ),
                });
                None
            }
        },
        None => listed.first().copied(),
    };
    let mut extra: Vec<usize> = Vec::new();
    let mut group_label: Option<String> = None;
    if let Some(g) = &group {
        match anchor {
            Some(u) => match app::peer_group(store, c, u, last_year, g, &app::NearestSpec::default()).await {
                Ok(pg) => {
                    extra = pg.members(s, last_year);
                    group_label = Some(format!(
                        "{}: {} ({}, {})",
                        l.t("Dodano grupę", "Added the group"),
                        group_name(l, g, mine),
                        display_name(l, &c.names[u], c.kinds[u]),
                        l.count(extra.len(), ["jednostka", "jednostki", "jednostek"], ["unit", "units"])
                    ));
                }
                Err(e @ app::AppError::NoCustomGroup { .. }) => problems.push(Problem {
                    field: "grupa",
                    message: format!(
                        "{} {}: {}",
                        l.t("Tej grupy nie da się utworzyć dla", "This group cannot be formed for"),
                        c.codes[u].as_str(),
                        l.describe(&e)
                    ),
                }),
                Err(app::AppError::NotFound(why)) | Err(app::AppError::Invalid(why)) => problems.push(Problem {
                    field: "grupa",
                    message: format!(
                        "{} {}: {why}",
                        l.t("Tej grupy nie da się utworzyć dla", "This group cannot be formed for"),
                        c.codes[u].as_str()
                    ),
                }),
                Err(e) => return Err(PageError::from(e)),
            },
            None if wzgledem_text.is_none() => problems.push(Problem {
                field: "wzgledem",
                message: l
                    .t(
                        "Grupa potrzebuje jednostki: wpisz jej kod w polu „Względem jednostki” albo podaj jednostki.",
                        "A group needs a unit: enter its code in the field “Relative to unit” or list units.",
                    )
                    .to_owned(),
            }),
            None => {}
        }
    }
    let address = Address {
        wskazniki: chosen.valid.join(","),
        jst: jst.clone(),
        grupa: group.as_deref().map(group_param),
        wzgledem: group.as_ref().and(anchor).map(|u| c.codes[u].as_str().to_owned()),
        lata: lata.clone(),
        cols,
    };

    let have: HashSet<usize> = listed.iter().chain(&extra).copied().collect();
    let started = !chosen.is_empty() || !jst_raw.is_empty() || group.is_some();
    // The query itself, once its parts are sound.
    let mut notes: Vec<String> = Vec::new();
    let mut data: Option<DataQuery> = None;
    if started && problems.is_empty() {
        if chosen.valid.is_empty() {
            notes.push(
                l.t("Wybierz co najmniej jeden wskaźnik (zaznacz go na liście).", "Choose at least one indicator (tick it in the list).").to_owned(),
            );
        }
        if listed.is_empty() && extra.is_empty() {
            notes.push(
                l.t(
                    "Wybierz jednostki: kody TERYT, gminy, powiaty, wojewodztwa, in:KOD, all — albo wyszukaj je poniżej.",
                    "Choose units: TERYT codes, gminy, powiaty, wojewodztwa, in:CODE, all — or search for them below.",
                )
                .to_owned(),
            );
        }
        if notes.is_empty() {
            match DataQuery::parse_limited(c, &address.wskazniki, &jst, &lata, &extra, usize::MAX) {
                Ok(dq) if dq.cells() > app::query::MAX_CELLS => problems.push(Problem {
                    field: "jst",
                    message: format!(
                        "{} {} × {} × {} = {} {} {}. {}",
                        l.t("Zapytanie obejmuje", "The query spans"),
                        dq.indicators.len(),
                        dq.units.len(),
                        dq.years.len(),
                        l.num(dq.cells() as f64, 0),
                        l.t("komórek, więcej niż limit", "cells, over the limit of"),
                        l.num(app::query::MAX_CELLS as f64, 0),
                        l.t("Wybierz mniej wskaźników, jednostek albo lat.", "Choose fewer indicators, units or years.")
                    ),
                }),
                Ok(dq) => data = Some(dq),
                Err(e) => problems.push(Problem {
                    field: match e.parameter {
                        "indicators" => "wskazniki",
                        "years" => "lata",
                        _ => "jst",
                    },
                    message: e.message,
                }),
            }
        }
    }

    let title = l.t("Analiza: tabela wskaźników", "Analysis: indicator table").to_owned();
    let body = html! {
        h1 { (title) }
        p { (l.t("Wybierz dowolne wskaźniki, jednostki i lata: strona pokaże tabelę przestawną z wykresem i plikami do pobrania. Cały wybór jest zapisany w adresie strony, więc link do analizy można komuś wysłać.",
                 "Choose any indicators, units and years: the page shows a pivot table with a chart and files to download. The whole choice lives in the page's address, so a link to the analysis can be sent to anyone.")) }
        @if !problems.is_empty() {
            div.box role="alert" {
                p { strong { (l.t("Popraw zapytanie:", "Please correct the query:")) } }
                ul { @for pr in &problems { li { strong { (field_name(l, pr.field)) } ": " (pr.message) } } }
            }
        }
        @if !notes.is_empty() {
            div.box role="status" { ul { @for n in &notes { li { (n) } } } }
        }
        @if !started { (examples(l, p)) }
        (form(l, p, q, &chosen, &jst_raw, &address, group.as_deref(), wzgledem_text.as_deref(), &lata_raw, cols, mine, search.as_deref(), unit_search.as_deref(), &problems, &have))
        @if let Some(g) = &group_label { p.small { (g) } }
        @if let Some(dq) = &data { (result(l, p, dq, &address, group.as_deref())) }
    };
    Ok((title, body))
}

fn field_name(l: L, field: &str) -> &'static str {
    match field {
        "wskazniki" => l.t("Wskaźniki", "Indicators"),
        "jst" => l.t("Jednostki", "Units"),
        "grupa" => l.t("Grupa porównawcza", "Peer group"),
        "wzgledem" => l.t("Względem jednostki", "Relative to unit"),
        "lata" => l.t("Lata", "Years"),
        _ => l.t("Zapytanie", "Query"),
    }
}

/// A group's name as the select offers it.
fn group_name(l: L, canonical: &str, mine: &[BrowserGroup]) -> String {
    if let Some(g) = mine.iter().find(|g| g.param() == canonical) {
        return format!("{} „{}”", l.t("moja grupa", "my group"), g.name);
    }
    match canonical {
        "nearest" => l.t("moja jednostka i jej statystycznie najbliżsi sąsiedzi", "my unit and its statistical nearest neighbours").to_owned(),
        "neighbours" => l.t("moja jednostka i jej sąsiedzi (wspólna granica)", "my unit and its neighbours (shared border)").to_owned(),
        "typology" => l.t("jednostki podobne do mojej (typologia)", "units similar to mine (typology)").to_owned(),
        "wojewodztwo" => l.t("jednostki mojego poziomu w województwie", "units of my level in the voivodeship").to_owned(),
        "country" => l.t("jednostki mojego poziomu w całym kraju", "units of my level in the whole country").to_owned(),
        g => match g.strip_prefix("lista:") {
            Some(list) => {
                format!("{} ({})", l.t("lista", "list"), l.count(list.split(',').count(), ["jednostka", "jednostki", "jednostek"], ["unit", "units"]))
            }
            None => l.group(g),
        },
    }
}

/// The empty start: what the page does and a few ready analyses.
fn examples(l: L, p: &Portal) -> Markup {
    let c = &*p.c;
    let s = &c.snapshot;
    let last = s.first_year() + s.years().saturating_sub(1) as i32;
    let from = (last - 5).max(s.first_year());
    let powiat = (0..c.codes.len()).find(|&u| c.kinds[u] == UnitKind::Powiat);
    let gmina = (0..c.codes.len()).find(|&u| c.kinds[u].is_gmina());
    let area = p.area("edukacja").or(p.areas.first());
    let finance = p.area("finanse").or(p.areas.last());
    let href = |pairs: &[(&str, String)]| -> String {
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", esc(v))).collect();
        l.href(&format!("/analiza?{}", query.join("&")))
    };
    html! {
        section.box aria-labelledby="przyklady-h" {
            h2 id="przyklady-h" { (l.t("Jak zacząć", "How to start")) }
            ol {
                li { (l.t("Zaznacz wskaźniki (rozwiń obszar) albo wyszukaj je po nazwie.", "Tick indicators (open an area) or search for them by name.")) }
                li { (l.t("Podaj jednostki: kody TERYT, całe poziomy (gminy, powiaty, wojewodztwa), in:KOD (wszystkie jednostki w województwie lub powiecie) — albo wyszukaj jednostkę i dodaj ją linkiem. Możesz też dodać grupę porównawczą jednej z nich.",
                         "Give units: TERYT codes, whole levels (gminy, powiaty, wojewodztwa), in:CODE (every unit in a voivodeship or county) — or search for a unit and add it with its link. You can also add a peer group of one of them.")) }
                li { (l.t("Wybierz lata i to, co ma być w kolumnach, i naciśnij „Pokaż tabelę”.", "Choose the years and what goes to the columns, and press “Show the table”.")) }
            }
            p { strong { (l.t("Przykłady:", "Examples:")) } }
            ul {
                @if let (Some(u), Some(a)) = (powiat, area) {
                    li { a href=(href(&[("wskazniki", format!("area:{}", a.code)), ("jst", format!("in:{}", c.codes[u].as_str())), ("lata", format!("{from}-{last}"))])) {
                        (l.t("Gminy powiatu", "The gminas of the county")) " " (c.names[u]) ", " (l.t("wskaźniki obszaru", "indicators of the area")) " " (l.area(&a.code)) ", " (from) "–" (last)
                    } }
                }
                @if let Some(a) = finance {
                    li { a href=(href(&[("wskazniki", format!("area:{}", a.code)), ("jst", "wojewodztwa".to_owned()), ("lata", "last".to_owned()), ("kolumny", "indicator".to_owned())])) {
                        (l.t("Wszystkie województwa, wskaźniki obszaru", "Every voivodeship, indicators of the area")) " " (l.area(&a.code)) ", " (l.t("ostatni rok, wskaźniki w kolumnach", "the latest year, indicators in the columns"))
                    } }
                }
                @if let (Some(u), Some(a)) = (gmina, area) {
                    @if let Some(i) = a.indicators().next() {
                        li { a href=(href(&[("wskazniki", c.definitions[i].code.clone()), ("jst", c.codes[u].as_str().to_owned()), ("grupa", "najblizsi".to_owned()), ("lata", "all".to_owned())])) {
                            (c.names[u]) " " (l.t("i jej statystycznie najbliżsi sąsiedzi", "and its statistical nearest neighbours")) ": " (indicator_name(l, c, i)) ", " (l.t("wszystkie lata", "all years"))
                        } }
                    }
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn form(
    l: L,
    p: &Portal,
    q: &AnalysisQuery,
    chosen: &Chosen,
    jst_raw: &str,
    address: &Address,
    group: Option<&str>,
    wzgledem: Option<&str>,
    lata_raw: &str,
    cols: Cols,
    mine: &[BrowserGroup],
    search: Option<&str>,
    unit_search: Option<&str>,
    problems: &[Problem],
    have: &HashSet<usize>,
) -> Markup {
    let c = &*p.c;
    let s = &c.snapshot;
    let invalid = |field: &str| problems.iter().any(|pr| pr.field == field).then_some("true");
    let folded = search.map(model::fold);
    let matches = |i: usize| -> bool {
        let Some(f) = folded.as_deref() else { return true };
        let d = &c.definitions[i];
        [&d.name_pl, &d.name_en, &d.code, &d.service_pl, &d.service_en].iter().any(|t| model::fold(t).contains(f))
    };
    let n_chosen = if chosen.all { c.definitions.len() } else { chosen.codes.union(&chosen.covered).count() };
    let hits = search.map(|_| (0..c.definitions.len()).filter(|&i| matches(i)).count());
    let nothing_chosen = chosen.is_empty();
    // Offered groups: the fixed kinds, then the reader's own, then what the address names.
    let mut offered: Vec<(String, String)> = ["nearest", "neighbours", "typology", "wojewodztwo", "country"]
        .iter()
        .filter(|g| GROUPS.iter().any(|(_, c)| c == *g))
        .map(|g| (group_param(g), group_name(l, g, mine)))
        .collect();
    for g in mine {
        offered.push((g.param(), group_name(l, &g.param(), mine)));
    }
    if let Some(g) = group.filter(|g| !offered.iter().any(|(v, _)| *v == group_param(g))) {
        offered.push((group_param(g), group_name(l, g, mine)));
    }
    let current_group = group.map(group_param);
    let first = s.first_year();
    let last = first + s.years().saturating_sub(1) as i32;
    html! {
        form method="get" action="/analiza" aria-labelledby="formularz-h" {
            h2 id="formularz-h" { (l.t("Zapytanie", "Query")) }
            @if l.en { input type="hidden" name="lang" value="en"; }
            fieldset.box {
                legend { strong { "1. " (l.t("Wskaźniki", "Indicators")) } }
                p.small { (l.t("Wybrano:", "Chosen:")) " " (n_chosen) " " (l.t("z", "of")) " " (c.definitions.len()) "." }
                div.search {
                    label for="szukaj" { (l.t("Szukaj wskaźnika (nazwa lub kod)", "Search for an indicator (name or code)")) }
                    input id="szukaj" name="szukaj" type="search" value=(search.unwrap_or("")) autocomplete="off";
                    button type="submit" { (l.t("Szukaj", "Search")) }
                }
                @if let (Some(t), Some(n)) = (search, hits) {
                    p role="status" {
                        (l.t("Wskaźniki pasujące do", "Indicators matching")) " „" (t) "”: " (n) ". "
                        (l.t("Lista pokazuje je i już wybrane.", "The list shows them and those already chosen."))
                        " " a href=(address.href(l, &unit_search.map(|u| vec![("szukaj_jst", u.to_owned())]).unwrap_or_default())) { (l.t("Pokaż całą listę", "Show the whole list")) }
                    }
                }
                p { label {
                    input type="checkbox" name="wskaznik" value="all" checked[chosen.all];
                    " " (l.t("Wszystkie wskaźniki", "Every indicator")) " (" (c.definitions.len()) ") " span.small.muted { "(all)" }
                } }
                @for (k, a) in p.areas.iter().enumerate() {
                    @let area_checked = chosen.areas.contains(&a.code);
                    @let shown: Vec<usize> = a.indicators().filter(|&i| matches(i) || chosen.codes.contains(&i)).collect();
                    @let picked = a.indicators().filter(|i| chosen.codes.contains(i) || chosen.covered.contains(i)).count();
                    @if search.is_none() || !shown.is_empty() || area_checked {
                        @let open = a.indicators().any(|i| chosen.codes.contains(&i)) || (search.is_some() && !shown.is_empty()) || (nothing_chosen && k == 0);
                        details open[open] {
                            summary { (l.area(&a.code)) " (" (a.indicators().count()) @if picked > 0 { ", " (l.t("wybrane", "chosen")) ": " (picked) } ")" }
                            p { label {
                                input type="checkbox" name="wskaznik" value={ "area:" (a.code) } checked[area_checked];
                                " " (l.t("Cały obszar", "The whole area")) " " span.small.muted { "(area:" (a.code) ")" }
                            } }
                            @for sv in &a.services {
                                @let list: Vec<usize> = sv.indicators.iter().copied().filter(|i| shown.contains(i)).collect();
                                @if !list.is_empty() {
                                    fieldset style="border:0;padding:0 0 .5rem;margin:0" {
                                        legend.small { strong { (l.t(&sv.pl, &sv.en)) } }
                                        ul style="list-style:none;padding:0;margin:0;columns:2 24rem" {
                                            @for i in list {
                                                @let d = &c.definitions[i];
                                                @let covered = chosen.covered.contains(&i) && !chosen.codes.contains(&i);
                                                li style="break-inside:avoid" { label {
                                                    input type="checkbox" name="wskaznik" value=(d.code) checked[chosen.codes.contains(&i) || covered] disabled[covered];
                                                    " " (indicator_name(l, c, i)) " " span.small.muted { "(" (d.code) ")" }
                                                    @if covered { " " span.small.muted { (l.t("— w wybranym obszarze", "— in a chosen area")) } }
                                                } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                p {
                    label for="wskazniki" { (l.t("Inne wskaźniki: kody, area:KOD albo all, rozdzielone przecinkami", "Other indicators: codes, area:CODE or all, separated by commas")) }
                    br;
                    input id="wskazniki" name="wskazniki" type="text" size="40" value=(chosen.bad.join(",")) aria-invalid=[invalid("wskazniki")] autocomplete="off";
                }
            }
            fieldset.box {
                legend { strong { "2. " (l.t("Jednostki", "Units")) } }
                p {
                    label for="jst" { (l.t("Jednostki: kody TERYT, gminy, powiaty, wojewodztwa, rodzaj (np. gmina_wiejska), in:KOD, all — rozdzielone przecinkami", "Units: TERYT codes, gminy, powiaty, wojewodztwa, a kind (e.g. gmina_wiejska), in:CODE, all — separated by commas")) }
                    br;
                    input id="jst" name="jst" type="text" size="60" value=(jst_raw) aria-invalid=[invalid("jst")] autocomplete="off" style="max-width:100%";
                }
                div.search {
                    label for="szukaj_jst" { (l.t("Znajdź jednostkę po nazwie albo kodzie", "Find a unit by name or code")) }
                    input id="szukaj_jst" name="szukaj_jst" type="search" value=(unit_search.unwrap_or("")) autocomplete="off";
                    button type="submit" { (l.t("Szukaj", "Search")) }
                }
                @if let Some(t) = unit_search { (unit_hits(l, p, t, address, q.szukaj.as_deref(), have)) }
                div style="display:flex;flex-wrap:wrap;gap:.75rem 1.5rem" {
                    p {
                        label for="grupa" { (l.t("Dodaj grupę porównawczą", "Add a peer group")) }
                        br;
                        select id="grupa" name="grupa" aria-invalid=[invalid("grupa")] {
                            option value="" selected[current_group.is_none()] { (l.t("— bez grupy —", "— no group —")) }
                            @for (value, label) in &offered { option value=(value) selected[current_group.as_deref() == Some(value.as_str())] { (label) } }
                        }
                    }
                    p {
                        label for="wzgledem" { (l.t("Względem jednostki (kod TERYT; domyślnie pierwsza z listy)", "Relative to unit (TERYT code; the first listed by default)")) }
                        br;
                        input id="wzgledem" name="wzgledem" type="text" inputmode="numeric" size="9" value=(wzgledem.unwrap_or("")) aria-invalid=[invalid("wzgledem")] autocomplete="off";
                    }
                }
                p.small.muted { (l.t("Własne grupy zapiszesz na stronie", "Save groups of your own on the page")) " " a href=(l.href("/grupy")) { (l.t("Moje grupy", "My groups")) } "." }
            }
            fieldset.box {
                legend { strong { "3. " (l.t("Lata i układ tabeli", "Years and table layout")) } }
                div style="display:flex;flex-wrap:wrap;gap:.75rem 1.5rem;align-items:flex-end" {
                    p {
                        label for="lata" { (l.t("Lata", "Years")) " (" (first) "–" (last) "): " span.small.muted { (l.t("np. 2015-2020, 2020, last, all", "e.g. 2015-2020, 2020, last, all")) } }
                        br;
                        input id="lata" name="lata" type="text" size="16" list="lata-lista" value=(lata_raw) aria-invalid=[invalid("lata")] autocomplete="off";
                        datalist id="lata-lista" {
                            option value="all" { (l.t("wszystkie", "all")) }
                            option value="last" { (l.t("ostatni", "latest")) }
                            option value=(format!("{}-{last}", (last - 5).max(first))) {}
                            option value=(format!("{first}-{last}")) {}
                        }
                    }
                    p {
                        label for="kolumny" { (l.t("W kolumnach", "In the columns")) }
                        br;
                        select id="kolumny" name="kolumny" {
                            option value="year" selected[cols == Cols::Year] { (l.t("lata", "years")) }
                            option value="unit" selected[cols == Cols::Unit] { (l.t("jednostki", "units")) }
                            option value="indicator" selected[cols == Cols::Indicator] { (l.t("wskaźniki", "indicators")) }
                        }
                    }
                    p { button type="submit" formaction="/analiza#wynik-h" { (l.t("Pokaż tabelę", "Show the table")) } }
                }
            }
        }
    }
}

/// Units whose name or code matches `text`, each with a link that adds it to `jst`.
/// `have`: the units the query holds already.
fn unit_hits(l: L, p: &Portal, text: &str, address: &Address, search: Option<&str>, have: &HashSet<usize>) -> Markup {
    let c = &*p.c;
    let want = model::fold(text.trim());
    if want.chars().count() < 2 {
        return html! { p role="status" { (l.t("Wpisz co najmniej dwa znaki nazwy albo kodu.", "Type at least two characters of a name or code.")) } };
    }
    let mut hits: Vec<(u8, usize)> = (0..c.codes.len())
        .filter_map(|u| {
            let name = model::fold(&c.names[u]);
            let code = c.codes[u].as_str();
            let rank = if name == want || code == want {
                0
            } else if name.starts_with(&want) || code.starts_with(&want) {
                1
            } else if name.contains(&want) {
                2
            } else {
                return None;
            };
            Some((rank, u))
        })
        .collect();
    let total = hits.len();
    hits.sort_by(|a, b| a.0.cmp(&b.0).then(c.codes[a.1].as_str().len().cmp(&c.codes[b.1].as_str().len())).then(c.names[a.1].cmp(&c.names[b.1])));
    hits.truncate(UNIT_HITS);
    let keep: Vec<(&'static str, String)> =
        [Some(("szukaj_jst", text.to_owned())), search.map(|s| ("szukaj", s.to_owned()))].into_iter().flatten().collect();
    html! {
        div role="status" {
            @if hits.is_empty() {
                p { (l.t("Nie znaleziono jednostki", "No unit found for")) " „" (text) "”." }
            } @else {
                p.small { (l.t("Znalezione jednostki", "Units found")) " (" (total) @if total > hits.len() { ", " (l.t("pokazano", "showing")) " " (hits.len()) } "):" }
                ul style="columns:2 20rem" {
                    @for (_, u) in &hits {
                        @let code = c.codes[*u].as_str();
                        @let kind = c.kinds[*u];
                @let label = if matches!(kind, UnitKind::Powiat | UnitKind::Wojewodztwo) {
                    format!("{} ({code})", display_name(l, &c.names[*u], kind))
                } else {
                    format!("{} ({}, {code})", display_name(l, &c.names[*u], kind), l.kind(kind))
                };
                        li {
                            @if have.contains(u) {
                                (label) " " span.small.muted { (l.t("— już dodana", "— already added")) }
                            } @else {
                                @let jst = if address.jst.is_empty() { code.to_owned() } else { format!("{},{code}", address.jst) };
                                @let to = Address { jst, wskazniki: address.wskazniki.clone(), grupa: address.grupa.clone(), wzgledem: address.wzgledem.clone(), lata: address.lata.clone(), cols: address.cols };
                                a href=(to.href(l, &keep)) { (l.t("Dodaj", "Add")) span.sr { ": " } " " (label) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One member of a dimension of the query, in words.
fn label_text(l: L, c: &app::Computed, dq: &DataQuery, dim: Dim, k: usize) -> String {
    match dim {
        Dim::Indicator => {
            let i = dq.indicators[k];
            format!("{} [{}]", indicator_name(l, c, i), measure(l, c, i))
        }
        Dim::Unit => {
            let u = dq.units[k];
            format!("{} ({})", display_name(l, &c.names[u], c.kinds[u]), c.codes[u].as_str())
        }
        Dim::Year => (c.snapshot.first_year() + dq.years[k] as i32).to_string(),
    }
}

fn label_markup(l: L, c: &app::Computed, dq: &DataQuery, dim: Dim, k: usize, link: bool) -> Markup {
    match dim {
        Dim::Indicator => {
            let i = dq.indicators[k];
            let d = &c.definitions[i];
            html! {
                @if link { a href=(l.href(&format!("/wskaznik/{}", d.code))) { (indicator_name(l, c, i)) } } @else { (indicator_name(l, c, i)) }
                br; span.small.muted { (measure(l, c, i)) " · " span data-code=(d.code) { (d.code) } }
            }
        }
        Dim::Unit => {
            let u = dq.units[k];
            let code = c.codes[u].as_str();
            html! {
                @if link { a href=(l.href(&format!("/jst/{code}"))) { (display_name(l, &c.names[u], c.kinds[u])) } } @else { (display_name(l, &c.names[u], c.kinds[u])) }
                br; span.small.muted data-code=(code) { (code) }
            }
        }
        Dim::Year => html! { (c.snapshot.first_year() + dq.years[k] as i32) },
    }
}

fn dim_name(l: L, dim: Dim) -> &'static str {
    match dim {
        Dim::Indicator => l.t("Wskaźnik", "Indicator"),
        Dim::Unit => l.t("Jednostka", "Unit"),
        Dim::Year => l.t("Rok", "Year"),
    }
}

fn dim_plural(l: L, dim: Dim) -> &'static str {
    match dim {
        Dim::Indicator => l.t("wskaźniki", "indicators"),
        Dim::Unit => l.t("jednostki", "units"),
        Dim::Year => l.t("lata", "years"),
    }
}

fn len_of(dq: &DataQuery, dim: Dim) -> usize {
    match dim {
        Dim::Indicator => dq.indicators.len(),
        Dim::Unit => dq.units.len(),
        Dim::Year => dq.years.len(),
    }
}

fn index_of(cell: &QueryCell, dim: Dim) -> usize {
    match dim {
        Dim::Indicator => cell.indicator as usize,
        Dim::Unit => cell.unit as usize,
        Dim::Year => cell.year as usize,
    }
}

fn cell_markup(l: L, c: &app::Computed, dq: &DataQuery, cell: &QueryCell) -> Markup {
    let i = dq.indicators[cell.indicator as usize];
    let u = dq.units[cell.unit as usize];
    match cell.value {
        Some(v) => html! {
            (l.num(v, c.definitions[i].decimals))
            @if let Some(f) = cell.flag.filter(|f| *f != Flag::Final) { br; span.small.muted style="white-space:normal" { (l.flag(f)) } }
        },
        None if !c.snapshot.indicator(i).applies.get(u).copied().unwrap_or(true) => {
            html! { span.small.muted style="white-space:normal" { (l.t("nie dotyczy", "not applicable")) } }
        }
        None => {
            let word = l.flag(cell.flag.unwrap_or(Flag::Missing));
            html! { span.small.muted style="white-space:normal" { (if word.is_empty() { l.flag(Flag::Missing) } else { word }) } }
        }
    }
}

/// The table, its chart and the downloads.
fn result(l: L, p: &Portal, dq: &DataQuery, address: &Address, group: Option<&str>) -> Markup {
    let c = &*p.c;
    let order = address.cols.order();
    let [outer, inner, col] = order;
    let (n_outer, n_inner, n_cols) = (len_of(dq, outer), len_of(dq, inner), len_of(dq, col));
    let rows_total = n_outer * n_inner;
    let cols_shown = n_cols.min(RENDER_COLS);
    let rows_shown = rows_total.min(RENDER_ROWS).min((RENDER_CELLS / cols_shown.max(1)).max(1));
    let capped = rows_shown < rows_total || cols_shown < n_cols;
    let cells: Vec<Vec<QueryCell>> =
        (0..rows_shown).map(|r| (0..cols_shown).filter_map(|k| dq.cell_at(c, order, r * n_cols + k)).collect()).collect();
    // A row dimension of one member goes to the caption instead of a column of repeats.
    let show_outer = n_outer > 1 || n_inner == 1;
    let show_inner = n_inner > 1;
    let singles: Vec<(Dim, usize)> = [(outer, n_outer, show_outer), (inner, n_inner, show_inner)]
        .into_iter()
        .filter(|(_, n, shown)| *n == 1 && !shown)
        .map(|(d, _, _)| (d, 0))
        .chain((n_cols == 1).then_some((col, 0)))
        .collect();
    let row_parts = |r: usize| -> Vec<String> {
        let cell = &cells[r][0];
        let mut parts = Vec::new();
        if show_outer {
            parts.push(label_text(l, c, dq, outer, index_of(cell, outer)));
        }
        if show_inner {
            parts.push(label_text(l, c, dq, inner, index_of(cell, inner)));
        }
        parts
    };
    let caption = format!(
        "{}: {} × {} × {} = {} {}. {} {}; {} {}.",
        l.t("Wynik", "Result"),
        dq.indicators.len(),
        dq.units.len(),
        dq.years.len(),
        l.num(dq.cells() as f64, 0),
        l.t("komórek (wskaźniki × jednostki × lata)", "cells (indicators × units × years)"),
        l.t("Wiersze:", "Rows:"),
        [(outer, show_outer), (inner, show_inner)].iter().filter(|(_, s)| *s).map(|(d, _)| dim_plural(l, *d)).collect::<Vec<_>>().join(" × "),
        l.t("kolumny:", "columns:"),
        dim_plural(l, col)
    );
    let decimals = |rows: &mut dyn Iterator<Item = usize>| -> u8 { rows.map(|i| c.definitions[dq.indicators[i]].decimals).max().unwrap_or(1) };
    let (charts, chart_groups) = charts(l, c, dq, address.cols, &cells, rows_total, &row_parts, &decimals);
    let api = api_query(address, group, l);
    let col_param = address.cols.param();
    html! {
        section aria-labelledby="wynik-h" {
            // The form's "show" button leads here (`#wynik-h`): the result, not the form, is in view.
            h2 id="wynik-h" tabindex="-1" { (l.t("Wynik", "Result")) }
            @if capped {
                p.box role="status" {
                    strong { (l.t("Tabela jest za duża, by pokazać ją całą.", "The table is too big to show in full.")) } " "
                    (l.t("Pokazano", "Showing")) " " (l.num(rows_shown as f64, 0)) " " (l.t("z", "of")) " " (l.num(rows_total as f64, 0)) " " (l.t("wierszy", "rows"))
                    @if cols_shown < n_cols { " " (l.t("i", "and")) " " (cols_shown) " " (l.t("z", "of")) " " (n_cols) " " (l.t("kolumn", "columns")) }
                    " (" (l.num((rows_shown * cols_shown) as f64, 0)) " " (l.t("z", "of")) " " (l.num(dq.cells() as f64, 0)) " " (l.t("komórek", "cells")) "). "
                    a href="#pobierz" { (l.t("Pliki do pobrania", "The downloads")) } " " (l.t("zawierają wszystko.", "hold everything."))
                }
            }
            @if charts.is_empty() {
                p.small.muted { (l.t("Bez wykresu: w rysowanych wierszach nie ma wartości.", "No chart: the rows it would draw have no values.")) }
            }
            @if chart_groups > CHARTS {
                p.small { (l.t("Wykresy pokazują pierwsze", "The charts show the first")) " " (CHARTS) " " (l.t("z", "of")) " " (chart_groups) " " (l.t("wskaźników (po jednym wykresie na wskaźnik); wszystkie są w tabeli.", "indicators (one chart each); the table holds them all.")) }
            }
            @if !charts.is_empty() {
                div.charts[charts.len() > 1] {
                    @for (svg, words, name) in &charts {
                        figure.chart {
                            @if let Some(name) = name { figcaption { (name) } }
                            (PreEscaped(svg))
                            p.small { (words) }
                        }
                    }
                }
                p.small { (l.t("Te same liczby (i wszystkie pozostałe) są w tabeli poniżej — to tekstowa wersja wykresów.", "The same numbers (and all the others) are in the table below — the charts' text version.")) }
            }
            // Its own scroll region, reachable by keyboard, so that the page never scrolls sideways.
            div.scroll tabindex="0" role="region" aria-label=(l.t("Tabela wyniku", "The result table")) {
                table id="tabela" {
                    caption {
                        (caption)
                        @for (d, k) in &singles { br; span.small { (dim_name(l, *d)) ": " (label_text(l, c, dq, *d, *k)) } }
                    }
                    thead { tr {
                        @if show_outer { th scope="col" { (dim_name(l, outer)) } }
                        @if show_inner { th scope="col" { (dim_name(l, inner)) } }
                        @for k in 0..cols_shown { th.num scope="col" { (label_markup(l, c, dq, col, k, false)) } }
                    } }
                    @if show_outer && show_inner {
                        @for group in cells.chunk_by(|a, b| index_of(&a[0], outer) == index_of(&b[0], outer)) {
                            tbody {
                                @for (k, row) in group.iter().enumerate() {
                                    tr {
                                        @if k == 0 {
                                            th scope="rowgroup" rowspan=(group.len()) style="vertical-align:top" { (label_markup(l, c, dq, outer, index_of(&row[0], outer), true)) }
                                        }
                                        th scope="row" { (label_markup(l, c, dq, inner, index_of(&row[0], inner), true)) }
                                        @for cell in row { td.num { (cell_markup(l, c, dq, cell)) } }
                                    }
                                }
                            }
                        }
                    } @else {
                        tbody {
                            @for row in &cells {
                                tr {
                                    @if show_outer { th scope="row" { (label_markup(l, c, dq, outer, index_of(&row[0], outer), true)) } }
                                    @if show_inner { th scope="row" { (label_markup(l, c, dq, inner, index_of(&row[0], inner), true)) } }
                                    @for cell in row { td.num { (cell_markup(l, c, dq, cell)) } }
                                }
                            }
                        }
                    }
                }
            }
            @if singles.iter().any(|(d, _)| *d == Dim::Indicator) || col == Dim::Indicator || show_outer && outer == Dim::Indicator {
                p.small.muted { (l.t("Jednostka miary jest podana przy nazwie wskaźnika.", "The measure unit is given with the indicator's name.")) }
            }
        }
        section aria-labelledby="pobierz" {
            h2 id="pobierz" { (l.t("Pobierz całość", "Download everything")) }
            p { (l.t("Pliki zawierają wszystkie komórki zapytania, z flagami i metadanymi.", "The files hold every cell of the query, with flags and metadata.")) }
            ul {
                li { a href={ "/api/v1/data?" (api) "&format=csv&columns=" (col_param) } { "CSV" } " " span.small.muted { (l.t("(UTF-8, przecinki)", "(UTF-8, commas)")) } }
                li { a href={ "/api/v1/data?" (api) "&format=csv-pl&columns=" (col_param) } { (l.t("CSV dla Excela", "CSV for Excel")) } " " span.small.muted { (l.t("(średniki, przecinek dziesiętny)", "(semicolons, decimal comma)")) } }
                li { a href={ "/api/v1/data?" (api) "&format=xlsx&columns=" (col_param) } { "XLSX" } " " span.small.muted { (l.t("(z arkuszem metadanych)", "(with a metadata sheet)")) } }
                li { a href={ "/api/v1/data?" (api) "&format=json&limit=10000" } { "JSON" } " " span.small.muted { (l.t("(po 10 000 komórek na stronę, dalej link next)", "(10,000 cells a page, then the next link)")) } }
                li { a href={ "/api/v1/data?" (api) "&format=jsonstat" } { "JSON-stat 2.0" } }
            }
            @let share = address.href(l, &[]);
            p {
                a href=(share) rel="bookmark" { (l.t("Link do tej analizy", "Link to this analysis")) } " "
                span.small.muted { (l.t("(do zapisania albo wysłania; bez wyszukiwań)", "(to keep or send; without the searches)")) }
            }
            p {
                label for="link" { (l.t("Adres do skopiowania", "The address to copy")) }
                br;
                input id="link" type="text" readonly value=(share) size="60" style="max-width:100%";
            }
        }
    }
}

/// The API's parameters for the same query.
fn api_query(a: &Address, group: Option<&str>, l: L) -> String {
    let mut parts = vec![format!("indicators={}", esc(&a.wskazniki))];
    if !a.jst.is_empty() {
        parts.push(format!("units={}", esc(&a.jst)));
    }
    if let (Some(g), Some(u)) = (group, &a.wzgledem) {
        parts.push(format!("group={}", esc(g)));
        parts.push(format!("unit={}", esc(u)));
    }
    parts.push(format!("years={}", esc(&a.lata)));
    if l.en {
        parts.push("lang=en".to_owned());
    }
    parts.join("&")
}

/// How many rows a chart draws from: those of the first row group (one indicator, say,
/// so that one axis fits them) when it has several, else all.
fn first_group(cells: &[Vec<QueryCell>], cols: Cols) -> usize {
    let [outer, _, _] = cols.order();
    let first = cells.iter().take_while(|r| index_of(&r[0], outer) == index_of(&cells[0][0], outer)).count();
    if first > 1 { first } else { cells.len() }
}

/// The names of chart series from their rows' labels: the parts every row shares are left
/// out of the names and returned apart (to be said once).
fn series_names(parts: &[Vec<String>]) -> (Vec<String>, Vec<String>) {
    let k = parts.first().map_or(0, Vec::len);
    let common: Vec<usize> =
        if parts.len() > 1 && k > 1 { (0..k).filter(|&j| parts.iter().all(|p| p[j] == parts[0][j])).collect() } else { Vec::new() };
    let names = parts
        .iter()
        .map(|p| p.iter().enumerate().filter(|(j, _)| !common.contains(j)).map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(" — "))
        .collect();
    (names, common.iter().map(|&j| parts[0][j].clone()).collect())
}

/// The charts of the table, each with what it draws in words, and how many there could
/// be: one per member of the outer row dimension (each indicator, when the years or the
/// units are in the columns), or one per column when the indicators are in the columns —
/// at most [`CHARTS`]; one chart of everything when each would hold a single value.
#[allow(clippy::too_many_arguments)]
fn charts(
    l: L,
    c: &app::Computed,
    dq: &DataQuery,
    cols: Cols,
    cells: &[Vec<QueryCell>],
    rows_total: usize,
    row_parts: &dyn Fn(usize) -> Vec<String>,
    decimals: &dyn Fn(&mut dyn Iterator<Item = usize>) -> u8,
) -> (Vec<(String, String, Option<String>)>, usize) {
    if cells.is_empty() || cells[0].is_empty() {
        return (Vec::new(), 0);
    }
    let [outer, _, col] = cols.order();
    if cols == Cols::Indicator && cells.len() > 1 && cells[0].len() > 1 {
        // One chart of bars per indicator (column), over the rows.
        let n = cells.len().min(CHART_BARS);
        let (names, common) = series_names(&(0..n).map(row_parts).collect::<Vec<_>>());
        let shown: Vec<(String, String, Option<String>)> = (0..cells[0].len().min(CHARTS))
            .filter_map(|k| {
                let bars: Vec<(String, Option<f64>)> = (0..n).map(|r| (names[r].clone(), cells[r].get(k).and_then(|x| x.value))).collect();
                if bars.iter().all(|b| b.1.is_none()) {
                    return None;
                }
                let d = c.definitions[dq.indicators[cells[0][k].indicator as usize]].decimals;
                let fmt = |v: f64| l.num(v, d);
                let mut name = label_text(l, c, dq, col, index_of(&cells[0][k], col));
                if !common.is_empty() {
                    name = format!("{name}, {}", common.join(", "));
                }
                let words = format!(
                    "{} „{name}” {} {n} {} {rows_total} {}.",
                    l.t("Słupki:", "Bars:"),
                    l.t("dla pierwszych", "for the first"),
                    l.t("z", "of"),
                    l.t("wierszy tabeli", "table rows")
                );
                Some((viz::bars(&format!("analiza-wykres-{k}"), &name, &words, &bars, &fmt), words, Some(name)))
            })
            .collect();
        return (shown, cells[0].len());
    }
    // The rows of each member of the outer dimension: (first row, count).
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for (r, row) in cells.iter().enumerate() {
        match groups.last_mut() {
            Some((first, n)) if index_of(&cells[*first][0], outer) == index_of(&row[0], outer) => *n += 1,
            _ => groups.push((r, 1)),
        }
    }
    let single_values = groups.iter().all(|g| g.1 == 1) && cells[0].len() == 1;
    if groups.len() <= 1 || single_values {
        let one = chart(l, c, dq, cols, "analiza-wykres", cells, rows_total, row_parts, decimals);
        return (one.into_iter().map(|(svg, words)| (svg, words, None)).collect(), 1);
    }
    let shown = groups
        .iter()
        .take(CHARTS)
        .enumerate()
        .filter_map(|(k, &(first, n))| {
            let parts = |r: usize| row_parts(first + r);
            let name = label_text(l, c, dq, outer, index_of(&cells[first][0], outer));
            chart(l, c, dq, cols, &format!("analiza-wykres-{k}"), &cells[first..first + n], n, &parts, decimals)
                .map(|(svg, words)| (svg, words, Some(name)))
        })
        .collect();
    (shown, groups.len())
}

/// One chart of the table's rows and what it draws in words: lines of the first rows over
/// the years, or bars of the first column (of the columns, when there is one row).
#[allow(clippy::too_many_arguments)]
fn chart(
    l: L,
    c: &app::Computed,
    dq: &DataQuery,
    cols: Cols,
    id: &str,
    cells: &[Vec<QueryCell>],
    rows_total: usize,
    row_parts: &dyn Fn(usize) -> Vec<String>,
    decimals: &dyn Fn(&mut dyn Iterator<Item = usize>) -> u8,
) -> Option<(String, String)> {
    if cells.is_empty() || cells[0].is_empty() {
        return None;
    }
    let [_, _, col] = cols.order();
    if cols == Cols::Year && cells[0].len() > 1 {
        let drawn = first_group(cells, cols).min(CHART_LINES);
        let d = decimals(&mut cells[..drawn].iter().map(|r| r[0].indicator as usize));
        let fmt = |v: f64| l.num(v, d);
        let (names, common) = series_names(&(0..drawn).map(row_parts).collect::<Vec<_>>());
        let series: Vec<viz::Series> =
            (0..drawn).map(|r| viz::Series { name: names[r].clone(), values: cells[r].iter().map(|x| x.value).collect() }).collect();
        let years: Vec<i32> = cells[0].iter().map(|x| c.snapshot.first_year() + dq.years[x.year as usize] as i32).collect();
        let all = if common.is_empty() { String::new() } else { format!(" ({})", common.join(", ")) };
        let words = if drawn < rows_total {
            format!(
                "{} {drawn} {} {rows_total} {}{all}: {}.",
                l.t("Wykres pokazuje pierwsze", "The chart draws the first"),
                l.t("z", "of"),
                l.t("wierszy tabeli", "table rows"),
                names.join("; ")
            )
        } else {
            format!("{}{all}: {}.", l.t("Wykres pokazuje wszystkie wiersze tabeli", "The chart draws every row of the table"), names.join("; "))
        };
        if series.iter().all(|x| x.values.iter().all(Option::is_none)) {
            return None;
        }
        let title = format!("{}{all}", l.t("Wartości w kolejnych latach", "Values over the years"));
        let title = title.as_str();
        return Some((viz::lines(id, title, &words, &years, &series, &fmt), words));
    }
    let (bars, words): (Vec<(String, Option<f64>)>, String) = if cells.len() == 1 {
        let row = &cells[0];
        let n = row.len().min(CHART_BARS);
        let bars = row[..n].iter().map(|x| (label_text(l, c, dq, col, index_of(x, col)), x.value)).collect();
        let of = row_parts(0).join(", ");
        (
            bars,
            format!(
                "{}{} {n} {} {} ({}).",
                if of.is_empty() { String::new() } else { format!("{of}: ") },
                l.t("Słupki pokazują", "The bars show"),
                l.t("pierwszych kolumn z", "first columns of"),
                row.len(),
                dim_plural(l, col)
            ),
        )
    } else {
        let n = first_group(cells, cols).min(CHART_BARS);
        let (names, common) = series_names(&(0..n).map(row_parts).collect::<Vec<_>>());
        let bars = (0..n).map(|r| (names[r].clone(), cells[r][0].value)).collect();
        let mut first_col = label_text(l, c, dq, col, index_of(&cells[0][0], col));
        if !common.is_empty() {
            first_col = format!("{first_col}, {}", common.join(", "));
        }
        (
            bars,
            format!(
                "{} „{first_col}” {} {n} {} {rows_total} {}.",
                l.t("Słupki pokazują pierwszą kolumnę,", "The bars show the first column,"),
                l.t("dla pierwszych", "for the first"),
                l.t("z", "of"),
                l.t("wierszy tabeli", "table rows")
            ),
        )
    };
    if bars.iter().all(|b| b.1.is_none()) {
        return None;
    }
    let d = match cols {
        Cols::Indicator if cells.len() > 1 => c.definitions[dq.indicators[cells[0][0].indicator as usize]].decimals,
        _ => decimals(&mut cells.iter().take(CHART_BARS).flat_map(|r| r.iter().map(|x| x.indicator as usize))),
    };
    let fmt = |v: f64| l.num(v, d);
    let title = l.t("Porównanie wartości", "Values compared");
    Some((viz::bars(id, title, &words, &bars, &fmt), words))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_decoded() {
        assert_eq!(repeated(Some("wskaznik=A&x=1&wskaznik=area%3Aedu+x&wskaznik"), "wskaznik"), vec!["A", "area:edu x", ""]);
        assert_eq!(decode("%ZZ%4"), "%ZZ%4");
        assert_eq!(decode("%C5%81%C3%B3d%C5%BA"), "Łódź");
        assert!(repeated(None, "wskaznik").is_empty());
    }

    #[test]
    fn columns_are_parsed_and_ordered_as_the_downloads() {
        assert_eq!(Cols::parse(""), Some(Cols::Year));
        assert_eq!(Cols::parse("jednostki"), Some(Cols::Unit));
        assert_eq!(Cols::parse("x"), None);
        assert_eq!(Cols::Indicator.order(), [Dim::Unit, Dim::Year, Dim::Indicator]);
    }
}
