//! The indicator page (`/wskaznik/{code}`): what it measures and how; a choropleth map;
//! the ranking (by level or by improvement; top, bottom and the selected unit with five
//! above and below); and, for a selected unit, its group: statistics, distribution, the
//! time series against the group's median and interquartile band, and the leaders.

use app::{Computed, NearestSpec, Peers, Store};
use maud::{Markup, PreEscaped, html};
use model::{Flag, Polarity, TerytCode};

use crate::PageError;
use crate::common::{GROUPS, group_canonical, group_param, indicator_name, measure, position_cell, q, value_text};
use crate::i18n::L;
use crate::layout::heading_name;
use crate::portal::{Layer, Portal};

#[derive(Debug, Default, serde::Deserialize)]
pub struct IndicatorQuery {
    pub jst: Option<String>,
    pub grupa: Option<String>,
    pub rok: Option<String>,
    pub sort: Option<String>,
    pub klasy: Option<String>,
    pub poziom: Option<String>,
    pub tabela: Option<String>,
}

/// How the ranking is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Level,
    /// Improvement over this many years.
    Change(usize),
}

impl Sort {
    fn parse(s: &str) -> Option<Sort> {
        match s {
            "" | "poziom" => Some(Sort::Level),
            "zmiana1" => Some(Sort::Change(1)),
            "zmiana3" => Some(Sort::Change(3)),
            "zmiana5" => Some(Sort::Change(5)),
            _ => None,
        }
    }

    fn param(self) -> String {
        match self {
            Sort::Level => "poziom".into(),
            Sort::Change(k) => format!("zmiana{k}"),
        }
    }
}

/// One row of the ranking.
struct Ranked {
    unit: usize,
    rank: u32,
    value: f64,
    change: Option<f64>,
}

pub async fn render(
    store: &Store,
    p: &Portal,
    l: L,
    code: &str,
    query: &IndicatorQuery,
    mine: &[crate::groups::BrowserGroup],
) -> Result<(String, Markup), PageError> {
    let c = &*p.c;
    let s = &c.snapshot;
    let i = s.indicator_index(code).ok_or(PageError::NotFound)?;
    let d = &c.definitions[i];
    let spec = s.indicator(i);
    let bad = |what: &str, v: &str| PageError::BadRequest(format!("{what}={v}"));
    let sort = Sort::parse(query.sort.as_deref().unwrap_or("")).ok_or_else(|| bad("sort", query.sort.as_deref().unwrap_or("")))?;
    let natural = match query.klasy.as_deref().unwrap_or("") {
        "" | "kwantyle" => false,
        "naturalne" => true,
        other => return Err(bad("klasy", other)),
    };
    let full_table = query.tabela.as_deref() == Some("pelna");
    // The selected unit: a TERYT code (lenient) or nothing; an unknown one is said, not fatal.
    let jst_text = query.jst.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let selected = jst_text.and_then(|t| TerytCode::parse_lenient(t).ok()).and_then(|code| c.unit_index(code.as_str())).filter(|&u| spec.applies[u]);
    let layer = match query.poziom.as_deref().filter(|v| !v.is_empty()) {
        Some(v) => Layer::parse(v).ok_or_else(|| bad("poziom", v))?,
        None => selected.and_then(|u| Layer::of(c.kinds[u])).unwrap_or_else(|| default_layer(c, i)),
    };
    // Without `rok`: the newest year in which the map's units have a value of this
    // indicator (else any unit, e.g. only województwa reach further), else the last year.
    let layer_units: Vec<usize> = (0..s.units()).filter(|&u| spec.applies[u] && Layer::of(c.kinds[u]) == Some(layer)).collect();
    let latest = s.latest_year_of(i, Some(&layer_units)).or_else(|| s.latest_year_of(i, None)).unwrap_or(s.years().saturating_sub(1));
    let y = match query.rok.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => r.parse::<i32>().ok().and_then(|yr| s.year_index(yr)).ok_or_else(|| bad("rok", r))?,
        None => latest,
    };
    let year = s.first_year() + y as i32;
    let group_name = match query.grupa.as_deref().filter(|g| !g.is_empty()) {
        Some(g) => group_canonical(g).ok_or_else(|| bad("grupa", g))?,
        None => "typology".to_owned(),
    };
    let fmt = |v: f64| l.num(v, d.decimals);
    let unit_of_measure = measure(l, c, i);
    let name = indicator_name(l, c, i);
    let title = name.to_owned();
    // Units of the layer the indicator applies to, and who has a value.
    let members: Vec<usize> = (0..s.units()).filter(|&u| spec.applies[u] && Layer::of(c.kinds[u]) == Some(layer)).collect();
    let ranked = ranking(c, i, y, &members, sort);
    let missing: Vec<(usize, Flag)> = members.iter().filter(|&&u| s.value(i, u, y).is_none()).map(|&u| (u, c.flag(i, u, y))).collect();
    let spec_nn = NearestSpec::default();
    let group = match selected {
        Some(u) => match app::peer_group(store, c, u, y, &group_name, &spec_nn).await {
            Ok(g) => Some(Ok(g)),
            Err(app::AppError::NotFound(why)) | Err(app::AppError::Invalid(why)) => {
                Some(Err(crate::unit::no_group_words(l, c, u, y, &group_name).unwrap_or(why)))
            }
            Err(e @ app::AppError::NoCustomGroup { .. }) => Some(Err(l.describe(&e))),
            Err(e) => return Err(PageError::from(e)),
        },
        None => None,
    };
    let base = |extra: &str| -> String {
        let mut parts = vec![format!("rok={year}")];
        if let Some(u) = selected {
            parts.push(format!("jst={}", c.codes[u]));
            parts.push(format!("grupa={}", q(&group_param(&group_name))));
        }
        if query.poziom.as_deref().is_some_and(|v| !v.is_empty()) {
            parts.push(format!("poziom={}", layer.code()));
        }
        if natural {
            parts.push("klasy=naturalne".into());
        }
        if !extra.is_empty() {
            parts.push(extra.to_owned());
        }
        l.href(&format!("/wskaznik/{code}?{}", parts.join("&")))
    };
    // Leaders, biggest improvers and verified practices of the page's group (the selected
    // unit's, else every unit of the level) and year: public content only, the page is cached.
    let (within, within_words) = match &group {
        Some(Ok(g)) => (app::practices::Within::Group(g), format!("{}: {}", l.t("Grupa porównawcza", "Peer group"), l.group(&g.name))),
        _ => {
            (app::practices::Within::Units(&members), format!("{}: {}", l.t("Wszystkie jednostki poziomu", "All units of the level"), layer.name(l)))
        }
    };
    let learn = crate::practice::learn_section(store, c, l, i, y, within, &within_words).await?;
    let area_name = l.area(&d.area);
    let body = html! {
        p.small { a href=(l.href("/obszar")) { (l.t("Obszary", "Areas")) } " › " a href=(l.href(&format!("/obszar/{}", d.area))) { (area_name) } " › " (l.t(&d.service_pl, &d.service_en)) }
        h1 { (name) }
        (definition(l, c, i))
        @if s.latest_year_of(i, None).is_none() {
            p.box role="status" {
                (l.t("Ten wskaźnik nie ma jeszcze żadnej wartości: brakuje jego danych wejściowych. ", "This indicator has no value yet: its input data are missing. "))
                a href={ (l.href(crate::coverage::PATH)) "#" (crate::coverage::anchor(code)) } { (l.t("Czego brakuje i jak to zaimportować", "What is missing and how to import it")) }
            }
        }
        form.controls method="get" action={ "/wskaznik/" (code) } aria-label=(l.t("Ustawienia strony", "Page settings")) {
            @if l.en { input type="hidden" name="lang" value="en"; }
            label for="jst" { (l.t("Jednostka (kod TERYT)", "Unit (TERYT code)")) input id="jst" name="jst" type="text" inputmode="numeric" size="9" value=(jst_text.unwrap_or("")) autocomplete="off"; }
            label for="grupa" { (l.t("Grupa porównawcza", "Peer group"))
                select id="grupa" name="grupa" {
                    @for (param, canonical) in GROUPS { option value=(param) selected[group_name == canonical] { (l.group(canonical)) } }
                    @for g in mine { @let value = g.param(); option value=(value) selected[group_name == value] { (l.t("moja grupa: ", "my group: ")) (g.name) } }
                }
            }
            label for="rok" { (l.t("Rok", "Year"))
                select id="rok" name="rok" { @for yy in (0..s.years()).rev() { @let cal = s.first_year() + yy as i32; option value=(cal) selected[yy == y] { (cal) } } }
            }
            label for="poziom" { (l.t("Mapa i ranking", "Map and ranking"))
                select id="poziom" name="poziom" {
                    @for lay in Layer::ALL { @if (0..s.units()).any(|u| spec.applies[u] && Layer::of(c.kinds[u]) == Some(lay)) { option value=(lay.code()) selected[lay == layer] { (lay.name(l)) } } }
                }
            }
            label for="sort" { (l.t("Ranking według", "Rank by"))
                select id="sort" name="sort" {
                    @for (v, pl, en) in [("poziom", "poziomu", "level"), ("zmiana1", "zmiany w 1 rok", "change over 1 year"), ("zmiana3", "zmiany w 3 lata", "change over 3 years"), ("zmiana5", "zmiany w 5 lat", "change over 5 years")] {
                        option value=(v) selected[sort.param() == v] { (l.t(pl, en)) }
                    }
                }
            }
            label for="klasy" { (l.t("Klasy mapy", "Map classes"))
                select id="klasy" name="klasy" {
                    option value="kwantyle" selected[!natural] { (l.t("kwantyle", "quantiles")) }
                    option value="naturalne" selected[natural] { (l.t("podziały naturalne", "natural breaks")) }
                }
            }
            button type="submit" { (l.t("Pokaż", "Show")) }
        }
        @if jst_text.is_some() && selected.is_none() {
            p.box role="status" { (l.t("Nie znaleziono jednostki o kodzie ", "No unit with the code ")) "„" (jst_text.unwrap_or("")) "” " (l.t("wśród jednostek, których dotyczy ten wskaźnik.", "among the units this indicator applies to.")) }
        }
        @if let Some(u) = selected {
            @let (text, _) = value_text(l, c, i, u, y);
            p.box {
                a href=(l.href(&format!("/jst/{}", c.codes[u]))) { (heading_name(l, &c.names[u], c.kinds[u])) } ", " (year) ": "
                strong { (text) } @if s.value(i, u, y).is_some() { " " (unit_of_measure) }
            }
        }
        (map_section(l, p, i, y, layer, natural, selected, &fmt, &base))
        (ranking_section(l, c, i, y, layer, sort, &ranked, &missing, selected, full_table, &fmt, &base))
        (crate::common::downloads(l, l.t("Pobierz dane rankingu (wszystkie lata)", "Download the ranking's data (every year)"), &format!("indicators={}&units={}&years=all&columns=year", q(&c.definitions[i].code), layer.code())))
        @match &group {
            Some(Ok(g)) => { (group_section(l, c, i, y, selected.unwrap_or(0), g, &fmt)) }
            Some(Err(why)) => { p.box role="status" { (l.t("Tej grupy nie da się utworzyć: ", "This group cannot be formed: ")) (why) } }
            None => {
                h2 { (l.t("Rozkład i trend w kraju", "Distribution and trend in the country")) }
                p { (l.t("Wybierz jednostkę (kod TERYT w formularzu powyżej albo link z karty jednostki), aby zobaczyć jej grupę porównawczą i liderów.", "Choose a unit (a TERYT code in the form above, or a link from a unit card) to see its peer group and leaders.")) }
                (distribution_and_series(l, c, i, y, None, &Peers::Listed { members: members.iter().map(|&u| u as u32).collect() }, &fmt, l.t("wszystkie jednostki poziomu", "all units of the level")))
            }
        }
        (learn)
    };
    Ok((title, body))
}

/// The finest layer with units the indicator applies to.
fn default_layer(c: &Computed, i: usize) -> Layer {
    let applies = &c.snapshot.indicator(i).applies;
    Layer::ALL.into_iter().find(|&lay| (0..c.snapshot.units()).any(|u| applies[u] && Layer::of(c.kinds[u]) == Some(lay))).unwrap_or(Layer::Gminy)
}

/// Definition, formula in words, unit, polarity, kind and source.
fn definition(l: L, c: &Computed, i: usize) -> Markup {
    let d = &c.definitions[i];
    let words = |formula: &str| -> String {
        // Variable codes become their names; operators and numbers stay.
        let mut out = String::new();
        let mut token = String::new();
        let flush = |token: &mut String, out: &mut String| {
            if token.is_empty() {
                return;
            }
            match c.variables.iter().find(|v| v.code == *token) {
                Some(v) => {
                    out.push('„');
                    out.push_str(if l.en { &v.name_en } else { &v.name_pl });
                    out.push('”');
                }
                None => out.push_str(token),
            }
            token.clear();
        };
        for ch in formula.chars() {
            if ch.is_alphanumeric() || ch == '_' || ch == '.' {
                token.push(ch);
            } else {
                flush(&mut token, &mut out);
                out.push(match ch {
                    '*' => '×',
                    '/' => '÷',
                    '-' => '−',
                    other => other,
                });
            }
        }
        flush(&mut token, &mut out);
        out
    };
    let factor = if d.factor == 1.0 { String::new() } else { format!("{} × ", l.num_auto(d.factor)) };
    let applies: Vec<&str> = d.applies_to.iter().filter_map(|k| model::UnitKind::parse(k).ok()).map(|k| l.kind(k)).collect();
    let polarity = c.snapshot.indicator(i).polarity;
    html! {
        @let text = if l.en { &d.definition_en } else { &d.definition_pl };
        @if !text.is_empty() { p { (text) } }
        dl.facts {
            div { dt { (l.t("Jak liczony", "How it is computed")) } dd {
                (factor) (words(&d.numerator))
                @if let Some(den) = &d.denominator { " ÷ (" (words(den)) ")" }
            } }
            div { dt { (l.t("Jednostka miary", "Measure unit")) } dd { (measure(l, c, i)) } }
            div { dt { (l.t("Kierunek", "Direction")) } dd {
                @match polarity { Polarity::HigherBetter => span { "▲ " }, Polarity::LowerBetter => span { "▼ " }, Polarity::Neutral => span { "◆ " } }
                (l.polarity(polarity))
            } }
            div { dt { (l.t("Rodzaj", "Kind")) } dd { (l.indicator_kind(&d.kind)) ", " (l.dimension(&d.dimension)) } }
            div { dt { (l.t("Dotyczy", "Applies to")) } dd { (applies.join(", ")) } }
            div { dt { (l.t("Źródło", "Source")) } dd { (d.source) } }
        }
    }
}

/// Units of `members` with a value in year `y`, ranked by level or improvement.
fn ranking(c: &Computed, i: usize, y: usize, members: &[usize], sort: Sort) -> Vec<Ranked> {
    let s = &c.snapshot;
    let polarity = s.indicator(i).polarity;
    let mut rows: Vec<Ranked> = members
        .iter()
        .filter_map(|&u| {
            let value = s.value(i, u, y)?;
            let change = match sort {
                Sort::Level => None,
                Sort::Change(k) => y.checked_sub(k).and_then(|y0| s.value(i, u, y0)).map(|v0| value - v0),
            };
            if matches!(sort, Sort::Change(_)) && change.is_none() {
                return None;
            }
            Some(Ranked { unit: u, rank: 0, value, change })
        })
        .collect();
    let key = |r: &Ranked| -> f64 {
        let x = match sort {
            Sort::Level => r.value,
            Sort::Change(_) => r.change.unwrap_or(0.0),
        };
        if polarity == Polarity::LowerBetter { x } else { -x }
    };
    rows.sort_by(|a, b| key(a).total_cmp(&key(b)).then(a.unit.cmp(&b.unit)));
    for k in 0..rows.len() {
        rows[k].rank = if k > 0 && key(&rows[k]) == key(&rows[k - 1]) { rows[k - 1].rank } else { k as u32 + 1 };
    }
    rows
}

#[allow(clippy::too_many_arguments)]
fn map_section(
    l: L,
    p: &Portal,
    i: usize,
    y: usize,
    layer: Layer,
    natural: bool,
    selected: Option<usize>,
    fmt: &dyn Fn(f64) -> String,
    base: &dyn Fn(&str) -> String,
) -> Markup {
    let c = &*p.c;
    let s = &c.snapshot;
    let Some(m) = p.map(layer) else {
        return html! { h2 { (l.t("Mapa", "Map")) } p { (l.t("Brak granic jednostek tego poziomu: zaimportuj granice (miernik import boundaries).", "No boundaries for units of this level: import boundaries (miernik import boundaries).")) } };
    };
    let spec = s.indicator(i);
    let values: Vec<f64> = m.units.iter().filter(|&&u| spec.applies[u]).filter_map(|&u| s.value(i, u, y)).collect();
    let k = 5.min(values.len().max(1));
    let breaks = if natural { viz::natural_breaks(&values, k) } else { viz::quantile_breaks(&values, k) };
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let mut classes: Vec<String> = Vec::new();
    let mut edges = vec![lo];
    edges.extend(breaks.iter().copied());
    edges.push(hi);
    for w in edges.windows(2) {
        classes.push(format!("{} – {}", fmt(w[0]), fmt(w[1])));
    }
    if values.is_empty() {
        classes.clear();
    }
    let labels: Vec<String> = m
        .units
        .iter()
        .map(|&u| {
            let (text, _) = value_text(l, c, i, u, y);
            let unit = if s.value(i, u, y).is_some() { crate::common::measure_after(l, c, i, &text) } else { "" };
            if spec.applies[u] {
                format!("{}: {text} {unit}", c.names[u])
            } else {
                format!("{}: {}", c.names[u], l.t("nie dotyczy", "not applicable"))
            }
        })
        .collect();
    let hrefs: Vec<String> = m.units.iter().map(|&u| l.href(&format!("/jst/{}", c.codes[u]))).collect();
    let areas: Vec<viz::MapArea<'_>> = m
        .units
        .iter()
        .enumerate()
        .map(|(shape, &u)| viz::MapArea {
            shape,
            fill_class: if spec.applies[u] { s.value(i, u, y).map(|v| viz::class_of(v, &breaks)) } else { None },
            href: &hrefs[shape],
            label: &labels[shape],
            selected: Some(u) == selected,
        })
        .collect();
    let reverse = spec.polarity == Polarity::LowerBetter;
    let no_data = l.t("brak danych", "no data");
    let legend = viz::Legend { title: measure(l, c, i), classes: &classes, no_data };
    let swatches = viz::legend_swatches(&legend, &areas, reverse);
    let year = s.first_year() + y as i32;
    let best = |higher: bool| -> Option<(usize, f64)> {
        m.units
            .iter()
            .filter(|&&u| spec.applies[u])
            .filter_map(|&u| s.value(i, u, y).map(|v| (u, v)))
            .reduce(|a, b| if (b.1 > a.1) == higher && b.1 != a.1 { b } else { a })
    };
    let summary = match (best(true), best(false)) {
        (Some((hu, hv)), Some((lu, lv))) => format!(
            "{} {} {} {} {year}: {} {}; {} {} ({}), {} {} ({}). {} {}.",
            l.t("Mapa:", "Map:"),
            values.len(),
            layer.name(l),
            l.t("w", "in"),
            classes.len(),
            if natural {
                l.t("klas wg podziałów naturalnych", "classes by natural breaks")
            } else {
                l.t("klas kwantylowych (po tyle samo jednostek)", "quantile classes (equal numbers of units)")
            },
            l.t("najwyższa wartość", "highest value"),
            fmt(hv),
            c.names[hu],
            l.t("najniższa", "lowest"),
            fmt(lv),
            c.names[lu],
            l.t("Bez danych", "Without data"),
            m.units.iter().filter(|&&u| spec.applies[u] && s.value(i, u, y).is_none()).count()
        ),
        _ => l.t("Mapa: brak wartości w tym roku.", "Map: no values this year.").to_owned(),
    };
    let title = format!("{} — {} {year}", indicator_name(l, c, i), l.t("mapa", "map"));
    html! {
        h2 id="mapa" { (l.t("Mapa", "Map")) }
        a.skip-in href="#ranking" { (l.t("Przejdź do rankingu", "Skip to the ranking")) }
        p { (summary) " " a href={ (base("tabela=pelna")) "#ranking" } { (l.t("Tabela z wartościami wszystkich jednostek", "Table with the values of every unit")) } }
        // One Tab stop: the arrow keys move between areas; the ranking has the same links.
        div.map { (PreEscaped(viz::choropleth_map("mapa-w", &title, &summary, &m.geometry, &areas, &legend, reverse))) }
        // Keyboard users see the focused area's name and value too (a mouse gets the tooltip).
        p.small id="mapa-info" aria-hidden="true" { (l.t("Najedź na obszar albo przejdź do mapy klawiszem Tab i poruszaj się strzałkami, aby zobaczyć nazwę i wartość.", "Hover over an area, or Tab to the map and move with the arrow keys, to see its name and value.")) }
        // The label of the focused area, and the arrow keys (a file: the CSP runs no inline script).
        script src=(crate::layout::script_src("map-info.js")) defer {}
        div.legend {
            p.small { strong { (l.t("Legenda", "Legend")) } " (" (legend.title) ")" }
            ul {
                @for (colour, text) in &swatches {
                    li {
                        @match colour { Some(c) => span.sw style={ "background:" (c) } {}, None => span.sw.nd {} }
                        (text)
                    }
                }
            }
        }
        p.small.muted { (l.t("Na telefonie jednostkę najłatwiej wybrać z rankingu poniżej.", "On a phone, the ranking below is the easier way to pick a unit.")) }
        @if reverse { p.small.muted { (l.t("Im ciemniejszy kolor, tym niższa wartość — tu lepsza.", "The darker the colour, the lower the value — better here.")) } }
        @else if spec.polarity == Polarity::HigherBetter { p.small.muted { (l.t("Im ciemniejszy kolor, tym wyższa wartość — tu lepsza.", "The darker the colour, the higher the value — better here.")) } }
        @else { p.small.muted { (l.t("Im ciemniejszy kolor, tym wyższa wartość.", "The darker the colour, the higher the value.")) } }
    }
}

#[allow(clippy::too_many_arguments)]
fn ranking_section(
    l: L,
    c: &Computed,
    i: usize,
    y: usize,
    layer: Layer,
    sort: Sort,
    ranked: &[Ranked],
    missing: &[(usize, Flag)],
    selected: Option<usize>,
    full: bool,
    fmt: &dyn Fn(f64) -> String,
    base: &dyn Fn(&str) -> String,
) -> Markup {
    let d = &c.definitions[i];
    let n = ranked.len();
    // Which rows to show: all, or the top ten, the bottom ten and the selected unit ± 5.
    let mut show = vec![full; n];
    if !full {
        for (k, s) in show.iter_mut().enumerate() {
            *s = k < 10 || k + 10 >= n;
        }
        if let Some(at) = selected.and_then(|u| ranked.iter().position(|r| r.unit == u)) {
            for s in show.iter_mut().take((at + 6).min(n)).skip(at.saturating_sub(5)) {
                *s = true;
            }
        }
    }
    let by_flag = |f: Flag| missing.iter().filter(|(_, g)| *g == f).count();
    let year = c.snapshot.first_year() + y as i32;
    let sort_words = match sort {
        Sort::Level => l.t("według wartości", "by value").to_owned(),
        Sort::Change(k) => {
            format!("{} {k} {}", l.t("według poprawy w ciągu", "by improvement over"), if k == 1 { l.t("roku", "year") } else { l.t("lat", "years") })
        }
    };
    html! {
        h2 id="ranking" tabindex="-1" { (l.t("Ranking", "Ranking")) }
        p {
            (layer.name(l)) ", " (year) ", " (sort_words) ": " (l.count(n, ["jednostka", "jednostki", "jednostek"], ["unit", "units"])) " " (l.t("z wartością.", "with a value."))
            @if !full && n > 20 { " " a href={ (base(&format!("sort={}&tabela=pelna", sort.param()))) "#ranking" } { (l.t("Pokaż wszystkie", "Show all")) } }
        }
        @if !missing.is_empty() {
            p.small {
                (l.t("Bez wartości (pominięte w rankingu i statystykach): ", "Without a value (left out of the ranking and of the statistics): ")) (missing.len())
                " — " (l.flag(Flag::Confidential)) ": " (by_flag(Flag::Confidential))
                ", " (l.flag(Flag::NotOccurred)) ": " (by_flag(Flag::NotOccurred))
                ", " (l.flag(Flag::Missing)) ": " (by_flag(Flag::Missing)) "."
            }
        }
        @let caption = format!("{} — {} {year}", indicator_name(l, c, i), l.t("ranking", "ranking"));
        // Its own scroll region, reachable by keyboard, so that the page never scrolls sideways.
        div.scroll id="ranking-tabela" tabindex="0" role="region" aria-label=(caption) {
            table {
                caption { (caption) }
                thead { tr {
                    th scope="col" class="num" { (l.t("Miejsce", "Rank")) }
                    th scope="col" { (l.t("Jednostka", "Unit")) }
                    th scope="col" class="num" { (l.t("Wartość", "Value")) " (" (measure(l, c, i)) ")" }
                    @if let Sort::Change(k) = sort { th scope="col" class="num" { (l.t("Zmiana", "Change")) " " (k) " " (if k == 1 { l.t("rok", "yr") } else { l.t("lat", "yrs") }) } }
                } }
                tbody {
                    @for (k, r) in ranked.iter().enumerate() {
                        @if show[k] {
                            @if k > 0 && !show[k - 1] { tr { td colspan="4" class="muted" { "…" } } }
                            @let flag = c.flag(i, r.unit, y);
                            tr class=[(Some(r.unit) == selected).then_some("sel")] {
                                td.num { (r.rank) }
                                th scope="row" { a href=(crate::i18n::L::href(l, &format!("/jst/{}", c.codes[r.unit]))) { (c.names[r.unit]) } " " span.small.muted { (c.codes[r.unit]) } }
                                td.num { (fmt(r.value)) @if flag != Flag::Final { " " span.small { "(" (l.flag(flag)) ")" } } }
                                @if let Some(ch) = r.change { td.num { (l.change(ch, d.decimals)) } }
                            }
                        }
                    }
                    @if full {
                        @for (u, f) in missing {
                            tr { td.num { "—" } th scope="row" { (c.names[*u]) " " span.small.muted { (c.codes[*u]) } } td.num { (l.flag(*f)) } @if matches!(sort, Sort::Change(_)) { td {} } }
                        }
                    }
                }
            }
        }
    }
}

/// The selected unit's peer group: its statistics and the unit's position, distribution,
/// time series, and the leaders.
fn group_section(l: L, c: &Computed, i: usize, y: usize, u: usize, g: &app::PeerGroup, fmt: &dyn Fn(f64) -> String) -> Markup {
    let s = &c.snapshot;
    let spec = s.indicator(i);
    let (st, pos) = g.compare(s, i, u, y);
    let members: Vec<u32> = group_members(c, g, y);
    let mut leaders: Vec<(usize, f64)> =
        members.iter().map(|&m| m as usize).filter(|&m| spec.applies[m]).filter_map(|m| s.value(i, m, y).map(|v| (m, v))).collect();
    leaders.sort_by(|a, b| if spec.polarity == Polarity::LowerBetter { a.1.total_cmp(&b.1) } else { b.1.total_cmp(&a.1) });
    leaders.truncate(5);
    let group_words = l.group(&g.name);
    html! {
        h2 id="grupa-porownawcza" { (l.t("W grupie porównawczej", "In the peer group")) ": " (group_words) }
        (position_cell(l, "qb-sel", spec.polarity, &st, &pos, s.value(i, u, y), fmt))
        (crate::unit::bar_legend(l))
        @let stats_caption = format!("{} ({})", l.t("Statystyki grupy", "Group statistics"), s.first_year() + y as i32);
        div.scroll tabindex="0" role="region" aria-label=(stats_caption) {
            table {
                caption { (stats_caption) }
                thead { tr {
                    th scope="col" class="num" { "n" } th scope="col" class="num" { (l.t("bez wartości", "missing")) }
                    th scope="col" class="num" { "min" } th scope="col" class="num" { "Q1" } th scope="col" class="num" { (l.t("mediana", "median")) }
                    th scope="col" class="num" { "Q3" } th scope="col" class="num" { "max" } th scope="col" class="num" { (l.t("średnia", "mean")) }
                    th scope="col" class="num" { (l.t("wartość dla grupy łącznie", "group as a whole")) }
                } }
                tbody { tr {
                    td.num { (st.n) } td.num { (st.missing) }
                    @for v in [st.min, st.q1, st.median, st.q3, st.max, st.mean, st.aggregate] { td.num { (v.map(fmt).unwrap_or_else(|| "—".into())) } }
                } }
            }
        }
        p.small.muted { (l.t("„Wartość dla grupy łącznie” to suma liczników podzielona przez sumę mianowników, a nie średnia wskaźników. Jednostki bez wartości (także objęte tajemnicą statystyczną) nie są liczone.", "“Group as a whole” is the sum of numerators over the sum of denominators, not the mean of the ratios. Units without a value (including confidential ones) are not counted.")) }
        (distribution_and_series(l, c, i, y, Some(u), &g.peers, fmt, &group_words))
        h3 id="liderzy" { (l.t("Liderzy grupy — ucz się od najlepszych", "Leaders of the group — learn from the best")) }
        @if spec.polarity == Polarity::Neutral {
            p { (l.t("Wskaźnik neutralny: pokazano jednostki o najwyższych wartościach, bez oceny.", "A neutral indicator: the units with the highest values are shown, not judged.")) }
        }
        ol {
            @for (m, v) in &leaders {
                li { a href=(l.href(&format!("/jst/{}", c.codes[*m]))) { (c.names[*m]) } ": " (crate::common::value_with_unit(l, c, i, *v)) @if *m == u { " " strong { (l.t("(ta jednostka)", "(this unit)")) } } }
            }
        }
    }
}

/// The members of a group in year `y` (snapshot indices).
fn group_members(c: &Computed, g: &app::PeerGroup, y: usize) -> Vec<u32> {
    match &g.peers {
        Peers::Fixed { partition, group } => c.snapshot.members(*partition, *group, y).to_vec(),
        Peers::Listed { members } => members.clone(),
    }
}

/// The distribution plot of the group in year `y` with the unit marked, and the time
/// series of the unit against the group's median and interquartile band, each with a
/// table behind it.
#[allow(clippy::too_many_arguments)]
fn distribution_and_series(
    l: L,
    c: &Computed,
    i: usize,
    y: usize,
    u: Option<usize>,
    peers: &Peers,
    fmt: &dyn Fn(f64) -> String,
    group_words: &str,
) -> Markup {
    let s = &c.snapshot;
    let spec = s.indicator(i);
    let members_at = |yy: usize| -> Vec<u32> {
        match peers {
            Peers::Fixed { partition, .. } => {
                u.and_then(|u| s.group_of(*partition, u, yy)).map(|g| s.members(*partition, g, yy).to_vec()).unwrap_or_default()
            }
            Peers::Listed { members } => members.clone(),
        }
    };
    let now = members_at(y);
    let values: Vec<f64> = now.iter().map(|&m| m as usize).filter(|&m| spec.applies[m]).filter_map(|m| s.value(i, m, y)).collect();
    let selected = u.and_then(|u| s.value(i, u, y));
    let unit_name = u.map(|u| c.names[u].clone()).unwrap_or_default();
    let year = s.first_year() + y as i32;
    let dist_desc = format!(
        "{} {} ({}), {year}: {} {}{}",
        l.t("Rozkład wartości w grupie", "Distribution of values in the group"),
        group_words,
        values.len(),
        if values.len() > 400 {
            l.t("wysokość słupka to liczba jednostek w przedziale", "a bar's height is the number of units in its range")
        } else {
            l.t("każdy punkt to jedna jednostka", "each dot is one unit")
        },
        if u.is_some() { l.t("; zaznaczona: ", "; marked: ") } else { "" },
        if let Some(v) = selected { format!("{unit_name} {}", fmt(v)) } else { String::new() }
    );
    let points: Vec<viz::SeriesPoint> = (0..=y)
        .map(|yy| {
            let st = s.adhoc_group(i, yy, &members_at(yy)).0;
            viz::SeriesPoint { year: s.first_year() + yy as i32, unit: u.and_then(|u| s.value(i, u, yy)), q1: st.q1, median: st.median, q3: st.q3 }
        })
        .collect();
    let legend = viz::SeriesLegend {
        unit: if u.is_some() { &unit_name } else { "" },
        median: l.t("mediana grupy", "group median"),
        band: l.t("połowa jednostek grupy (Q1–Q3)", "middle half of the group (Q1–Q3)"),
    };
    let first_known = points.iter().find(|p| p.median.is_some());
    let last_known = points.iter().rev().find(|p| p.median.is_some());
    let series_desc = match (first_known, last_known) {
        (Some(a), Some(b)) => format!(
            "{} {}–{}: {} {} → {}{}",
            l.t("Mediana grupy w latach", "Group median"),
            a.year,
            b.year,
            l.t("od", "from"),
            a.median.map(fmt).unwrap_or_default(),
            b.median.map(fmt).unwrap_or_default(),
            match (u, points.iter().find(|p| p.unit.is_some()), points.iter().rev().find(|p| p.unit.is_some())) {
                (Some(_), Some(x), Some(z)) =>
                    format!("; {unit_name}: {} → {}", x.unit.map(fmt).unwrap_or_default(), z.unit.map(fmt).unwrap_or_default()),
                _ => String::new(),
            }
        ),
        _ => l.t("Brak danych w latach.", "No data over the years.").to_owned(),
    };
    let name = indicator_name(l, c, i);
    html! {
        h3 { (l.t("Rozkład w grupie", "Distribution in the group")) }
        p.small { (dist_desc) }
        div.chart { (PreEscaped(viz::distribution("rozklad", &format!("{name} — {}", l.t("rozkład", "distribution")), &dist_desc, &values, selected, &unit_name, fmt))) }
        h3 { (l.t("Zmiany w czasie", "Change over time")) }
        p.small { (series_desc) }
        div.chart { (PreEscaped(viz::time_series("szereg", &format!("{name} — {}", l.t("w czasie", "over time")), &series_desc, &points, &legend, fmt))) }
        details {
            summary { (l.t("Dane wykresu w tabeli", "The chart's data as a table")) }
            div.scroll {
                table {
                    caption { (name) ": " (l.t("jednostka i grupa w latach", "the unit and the group over the years")) }
                    thead { tr {
                        th scope="col" { (l.t("Rok", "Year")) }
                        @if u.is_some() { th scope="col" class="num" { (unit_name) } }
                        th scope="col" class="num" { "Q1" } th scope="col" class="num" { (l.t("mediana", "median")) } th scope="col" class="num" { "Q3" }
                    } }
                    tbody {
                        @for p in &points {
                            tr {
                                th scope="row" { (p.year) }
                                @if u.is_some() { td.num { (p.unit.map(fmt).unwrap_or_else(|| "—".into())) } }
                                @for v in [p.q1, p.median, p.q3] { td.num { (v.map(fmt).unwrap_or_else(|| "—".into())) } }
                            }
                        }
                    }
                }
            }
        }
    }
}
