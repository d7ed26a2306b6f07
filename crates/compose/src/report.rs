//! The unit report for the yearly *raport o stanie gminy*: a summary, the strengths and
//! weaknesses, every area's indicators against the peer group with small charts, the trend
//! over five years, and the definitions and sources. Built once ([`build`]) and written as
//! printable HTML ([`html`], with a print stylesheet) or as PDF ([`pdf`], by the `pdf`
//! crate: no browser needed). `/raport/{code}` (`web::report`) and `miernik report` both use it.
//! A unit with a public improvement plan gets its section "Plan poprawy": the actions and the
//! targets with their progress ([`PlanPart`], from the plan the caller reads: [`public_plan`]).

use app::{GroupStats, Position, Store};
use maud::{DOCTYPE, PreEscaped, html};
use model::{Polarity, TerytCode};
use pdf::{Align, Cell, Column, DocInfo, Graphic, Rgb, Shape, Table};

use crate::i18n::L;
use crate::portal::Portal;
use crate::words::{group_canonical, heading_name, indicator_name, measure};

/// Why a report could not be built.
#[derive(Debug)]
pub enum ReportError {
    /// No unit of that code in the snapshot.
    NotFound,
    /// A parameter the report cannot take (named, e.g. `rok=abc`).
    BadRequest(String),
    /// The peer group `grupa={param}` cannot be formed for the unit (an unknown custom
    /// group, a list of no units…): the use-case's error, worded by each edge.
    Group { param: String, error: app::AppError },
    /// The store failed (busy, or worse) while the peer group was read.
    App(app::AppError),
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportError::NotFound => f.write_str("no such unit with data (import data and a catalogue, or check the code)"),
            ReportError::BadRequest(what) => write!(f, "not accepted: {what}"),
            ReportError::Group { param, error } => write!(f, "not accepted: grupa={param}: {error}"),
            ReportError::App(app::AppError::Busy) => f.write_str("the database is busy"),
            ReportError::App(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReportError {}

/// How many years the trends cover.
const TREND_YEARS: usize = 5;

/// One indicator's line of the report.
#[derive(Debug, Clone)]
pub struct Row {
    pub code: String,
    pub name: String,
    pub measure: String,
    pub decimals: u8,
    pub value: Option<f64>,
    /// The value's text, or why there is none.
    pub value_text: String,
    pub polarity: Polarity,
    pub stats: GroupStats,
    pub position: Position,
    /// The unit's values over the last [`TREND_YEARS`] years, oldest first.
    pub trend: Vec<Option<f64>>,
    pub definition: String,
    pub source: String,
}

/// An area of the report: its name and indicators.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    pub rows: Vec<Row>,
}

/// One strength or weakness.
#[derive(Debug, Clone)]
pub struct Point {
    pub name: String,
    pub value: String,
    pub median: String,
    pub rank: String,
    pub trend: String,
}

/// One action of the plan, as the report's table shows it.
#[derive(Debug, Clone)]
pub struct PlanAction {
    pub title: String,
    pub owner: String,
    pub budget: String,
    pub years: String,
    pub status: String,
}

/// One target of the plan with its progress.
#[derive(Debug, Clone)]
pub struct PlanTarget {
    pub action: String,
    pub indicator: String,
    /// `12,3 (2022)`.
    pub baseline: String,
    /// `15,0 (2027)`.
    pub target: String,
    pub method: String,
    /// The newest value reached and its year, or `—`.
    pub latest: String,
    /// `na dobrej drodze` / `poniżej ścieżki` / `brak danych`.
    pub progress: String,
}

/// The unit's public improvement plan, as the report shows it.
#[derive(Debug, Clone)]
pub struct PlanPart {
    pub title: String,
    pub summary: Option<String>,
    pub actions: Vec<PlanAction>,
    pub targets: Vec<PlanTarget>,
}

/// An action's status (`planned`, `in_progress`, `done`, `cancelled`) in words.
pub fn status_words(l: L, code: &str) -> String {
    match code {
        "planned" => l.t("zaplanowane", "planned").to_owned(),
        "in_progress" => l.t("w toku", "in progress").to_owned(),
        "done" => l.t("zakończone", "done").to_owned(),
        "cancelled" => l.t("anulowane", "cancelled").to_owned(),
        other => other.to_owned(),
    }
}

/// A target's method (`manual`, `median`, `q3`, `best_decile`, `gap:0.5`) in words, as the
/// plan page and the report say it.
pub fn method_text(l: L, code: &str) -> String {
    match code {
        "manual" => l.t("wartość wpisana ręcznie", "a value set by hand").to_owned(),
        "median" => l.t("mediana grupy", "the group's median").to_owned(),
        "q3" => l.t("granica najlepszej ćwiartki", "the edge of the best quarter").to_owned(),
        "best_decile" => l.t("najlepszy decyl", "the best decile").to_owned(),
        other => match other.strip_prefix("gap:").and_then(|s| s.parse::<f64>().ok()).filter(|s| s.is_finite()) {
            Some(share) => {
                let pct = l.num_auto((share * 1000.0).round() / 10.0);
                format!("{} {pct}% {}", l.t("zamknięcie", "closing"), l.t("luki do najlepszej ćwiartki", "of the gap to the best quarter"))
            }
            None => other.to_owned(),
        },
    }
}

/// A progress judgement (its key from `app::plans::progress_words`) in words.
pub fn progress_text(l: L, key: &str) -> &'static str {
    match key {
        "on_track" => l.t("na dobrej drodze", "on track"),
        "off_track" => l.t("poniżej ścieżki", "off track"),
        _ => l.t("brak danych", "no data"),
    }
}

/// The unit's improvement plan when it has a public one (the report shows no other): what
/// the callers of [`build`] read and hand to it.
pub async fn public_plan(store: &Store, c: &app::Computed, code: &TerytCode) -> Result<Option<app::plans::PlanView>, app::AppError> {
    let Some(u) = c.unit_index(code.as_str()) else { return Ok(None) };
    let owner = app::plans::PlanOwner::Unit { unit_id: c.unit_ids[u], code: c.codes[u].as_str().to_owned() };
    let view = app::plans::plan_view(store, c, &owner).await?;
    Ok(view.plan.as_ref().is_some_and(|p| p.fields.public).then_some(view))
}

/// The plan's section from its view; none for a plan that is not public.
fn plan_part(l: L, view: &app::plans::PlanView) -> Option<PlanPart> {
    let plan = view.plan.as_ref().filter(|p| p.fields.public)?;
    let actions = view
        .actions
        .iter()
        .map(|a| {
            let f = &a.row.fields;
            PlanAction {
                title: f.title.clone(),
                owner: f.owner.clone().unwrap_or_else(|| "—".into()),
                budget: f.budget.map(|b| format!("{} zł", l.num(b, 0))).unwrap_or_else(|| "—".into()),
                years: format!("{}–{}", f.start_year, f.end_year),
                status: status_words(l, &f.status),
            }
        })
        .collect();
    let targets = view
        .actions
        .iter()
        .flat_map(|a| a.targets.iter().map(move |t| (a, t)))
        .map(|(a, t)| {
            let f = &t.row.fields;
            let unit = if l.en && !t.measure_unit_en.is_empty() { &t.measure_unit_en } else { &t.measure_unit };
            let latest = t
                .latest_year
                .and_then(|y| t.years.iter().find(|ty| ty.year == y))
                .and_then(|ty| ty.actual.map(|v| format!("{} ({})", l.num(v, t.decimals), ty.year)))
                .unwrap_or_else(|| "—".into());
            PlanTarget {
                action: a.row.fields.title.clone(),
                indicator: format!("{} [{unit}]", l.t(&t.name_pl, &t.name_en)),
                baseline: format!("{} ({})", l.num(f.baseline_value, t.decimals), f.baseline_year),
                target: format!("{} ({})", l.num(f.target_value, t.decimals), f.target_year),
                method: method_text(l, &f.method),
                latest,
                progress: progress_text(l, app::plans::progress_words(t.latest).0).to_owned(),
            }
        })
        .collect();
    Some(PlanPart { title: plan.fields.title.clone(), summary: plan.fields.summary.clone(), actions, targets })
}

/// A report, ready to be written.
#[derive(Debug, Clone)]
pub struct Report {
    pub l: L,
    pub code: String,
    pub title: String,
    pub year: i32,
    pub first_trend_year: i32,
    /// The peer group in words, with its size.
    pub group: String,
    pub group_param: String,
    pub facts: Vec<(String, String)>,
    pub judged: usize,
    pub best_quarter: usize,
    pub worst_quarter: usize,
    pub strengths: Vec<Point>,
    pub weaknesses: Vec<Point>,
    pub parts: Vec<Part>,
    pub generated: String,
    pub demo: bool,
    /// The unit's public improvement plan ("Plan poprawy"), when it has one.
    pub plan: Option<PlanPart>,
}

/// Builds the report of unit `code` in year `rok` (default: its newest year with data)
/// against group `grupa` (default: typology); `plan` the unit's improvement plan, shown when
/// it is public ([`public_plan`] reads it).
#[allow(clippy::too_many_arguments)]
pub async fn build(
    store: &Store,
    p: &Portal,
    l: L,
    code: &TerytCode,
    rok: Option<&str>,
    grupa: Option<&str>,
    demo: bool,
    plan: Option<&app::plans::PlanView>,
) -> Result<Report, ReportError> {
    let c = &*p.c;
    let s = &c.snapshot;
    let u = c.unit_index(code.as_str()).ok_or(ReportError::NotFound)?;
    let y = match rok.filter(|r| !r.is_empty()) {
        Some(r) => {
            let year: i32 = r.parse().map_err(|_| ReportError::BadRequest(format!("rok={r}")))?;
            s.year_index(year).ok_or(ReportError::BadRequest(format!("rok={r}")))?
        }
        None => p.latest_year(u),
    };
    let year = s.first_year() + y as i32;
    let asked = match grupa.filter(|g| !g.is_empty()) {
        Some(g) => group_canonical(g).ok_or_else(|| ReportError::BadRequest(format!("grupa={g}")))?,
        None => "typology".to_owned(),
    };
    // A unit in no group of a fixed partition (Poland; a unit without population in the
    // typology) is reported without comparison, saying why.
    let (g, no_group) = match app::peer_group(store, c, u, y, &asked, &app::NearestSpec::default()).await {
        Ok(g) => (g, None),
        Err(error @ (app::AppError::NotFound(_) | app::AppError::Invalid(_) | app::AppError::NoCustomGroup { .. })) => {
            match crate::words::no_group_words(l, c, u, y, &asked) {
                Some(words) => (
                    app::PeerGroup {
                        name: asked.clone(),
                        label: String::new(),
                        peers: app::Peers::Listed { members: vec![u as u32] },
                        rows: Vec::new(),
                    },
                    Some(words),
                ),
                None => return Err(ReportError::Group { param: asked, error }),
            }
        }
        Err(e) => return Err(ReportError::App(e)),
    };
    let size = g.members(s, y).len();
    let compared = match no_group {
        None => g.compare_all(s, u, y, None),
        Some(_) => (0..s.indicator_count()).filter(|&i| s.indicator(i).applies[u]).map(|i| (i, GroupStats::default(), Position::default())).collect(),
    };
    let diagnosis = app::diagnose_compared(c, u, y, g.clone(), &compared, 5);
    let first_trend = y.saturating_sub(TREND_YEARS - 1);
    let by_indicator: std::collections::HashMap<usize, (GroupStats, Position)> = compared.iter().map(|(i, st, pos)| (*i, (*st, *pos))).collect();
    let row = |i: usize| -> Option<Row> {
        let (stats, position) = *by_indicator.get(&i)?;
        let d = &c.definitions[i];
        let polarity = if d.kind == "context" { Polarity::Neutral } else { s.indicator(i).polarity };
        let (value_text, _) = crate::words::value_text(l, c, i, u, y);
        Some(Row {
            code: d.code.clone(),
            name: indicator_name(l, c, i).to_owned(),
            measure: measure(l, c, i).to_owned(),
            decimals: d.decimals,
            value: s.value(i, u, y),
            value_text,
            polarity,
            stats,
            position,
            trend: (first_trend..=y).map(|yy| s.value(i, u, yy)).collect(),
            definition: if l.en && !d.definition_en.is_empty() { d.definition_en.clone() } else { d.definition_pl.clone() },
            source: d.source.clone(),
        })
    };
    let parts: Vec<Part> = p
        .areas
        .iter()
        .map(|a| Part { name: l.area(&a.code), rows: a.indicators().filter_map(row).collect() })
        .filter(|part| !part.rows.is_empty())
        .collect();
    // The summary counts the same verdicts the rows show.
    let (mut best, mut worst) = (0, 0);
    for r in parts.iter().flat_map(|p| &p.rows) {
        match crate::words::placement(l, r.polarity, &r.stats, &r.position, r.value).verdict {
            Some(app::Verdict::Better) => best += 1,
            Some(app::Verdict::Worse) => worst += 1,
            None => {}
        }
    }
    let point = |f: &app::Finding| {
        let (pl, en) = app::trend_words(f.trend_5y);
        Point {
            name: if l.en && !f.name_en.is_empty() { f.name_en.clone() } else { f.name_pl.clone() },
            value: match s.indicator_index(&f.indicator) {
                Some(i) => crate::words::value_with_unit(l, c, i, f.value),
                None => format!("{} {}", l.num(f.value, f.decimals), f.measure_unit),
            },
            median: f.group_median.map(|m| l.num(m, f.decimals)).unwrap_or_else(|| "—".into()),
            rank: f.rank.map(|r| l.rank_of(r, f.group_n)).unwrap_or_else(|| "—".into()),
            trend: l.t(pl, en).to_owned(),
        }
    };
    let mut facts = Vec::new();
    let latest = |v: usize| (0..=y).rev().find_map(|yy| s.variable(v, u, yy).map(|x| (x, s.first_year() + yy as i32)));
    if let Some((v, yr)) = p.population.and_then(latest) {
        facts.push((l.t("Ludność", "Population").to_owned(), format!("{} ({yr})", l.num(v, 0))));
    }
    if let Some((v, yr)) = p.area_km2.and_then(latest) {
        facts.push((l.t("Powierzchnia", "Area").to_owned(), format!("{} km² ({yr})", l.num(v, 1))));
    }
    facts.push((l.t("Rodzaj", "Kind").to_owned(), l.kind(c.kinds[u]).to_owned()));
    facts.push((l.t("Kod TERYT", "TERYT code").to_owned(), code.as_str().to_owned()));
    Ok(Report {
        l,
        code: code.as_str().to_owned(),
        title: heading_name(l, &c.names[u], c.kinds[u]),
        year,
        first_trend_year: s.first_year() + first_trend as i32,
        group: match &no_group {
            Some(why) => format!("{}: {why}", l.t("bez porównania", "no comparison")),
            None => format!("{} ({})", l.group(&g.name), l.count(size, ["jednostka", "jednostki", "jednostek"], ["unit", "units"])),
        },
        group_param: crate::words::group_param(&g.name),
        facts,
        judged: diagnosis.judged,
        best_quarter: best,
        worst_quarter: worst,
        strengths: diagnosis.strengths.iter().map(point).collect(),
        weaknesses: diagnosis.weaknesses.iter().map(point).collect(),
        parts,
        generated: model::format_date(crate::today()),
        demo,
        plan: plan.and_then(|v| plan_part(l, v)),
    })
}

impl Report {
    fn fmt(&self, r: &Row, v: f64) -> String {
        self.l.num(v, r.decimals)
    }

    fn median(&self, r: &Row) -> String {
        r.stats.median.map(|m| self.fmt(r, m)).unwrap_or_else(|| "—".into())
    }

    fn position(&self, r: &Row) -> String {
        let place = crate::words::placement(self.l, r.polarity, &r.stats, &r.position, r.value);
        if place.is_empty() { "—".into() } else { place.text(self.l) }
    }

    fn change(&self, r: &Row) -> String {
        match (r.trend.iter().flatten().next(), r.trend.iter().rev().flatten().next()) {
            (Some(a), Some(b)) if r.trend.iter().flatten().count() >= 2 => self.l.change(b - a, r.decimals),
            _ => "—".into(),
        }
    }

    /// Why the list of strengths (`strong`) or weaknesses is empty: no data to judge, a
    /// group that cannot judge, or nothing stands out.
    fn none_words(&self, strong: bool) -> &'static str {
        let l = self.l;
        let judgeable = self.parts.iter().flat_map(|p| &p.rows).any(|r| r.value.is_some() && r.polarity != Polarity::Neutral);
        if !judgeable {
            l.t(
                "Brak danych: jednostka nie ma w tym roku wartości wskaźników, które się ocenia.",
                "No data: the unit has no values this year of the indicators that are judged.",
            )
        } else if self.judged == 0 {
            l.t(
                "Nie da się ocenić: brak grupy porównawczej, grupa za mała albo jej wartości się nie różnią.",
                "Cannot be judged: no peer group, the group is too small or its values do not differ.",
            )
        } else if strong {
            l.t("Żaden wskaźnik nie wyróżnia się na plus.", "No indicator stands out for the better.")
        } else {
            l.t("Żaden wskaźnik nie wyróżnia się na minus.", "No indicator stands out for the worse.")
        }
    }

    fn intro(&self) -> String {
        let l = self.l;
        format!(
            "{} {} {} {}. {} {} {} {}, {} {}.",
            l.t("Raport porównuje wskaźniki jednostki w roku", "The report compares the unit's indicators in"),
            self.year,
            l.t("z grupą porównawczą:", "with its peer group:"),
            self.group,
            l.t("Spośród", "Of the"),
            self.judged,
            l.t("ocenianych wskaźników w najlepszej ćwiartce grupy jest", "indicators judged, in the group's best quarter are"),
            self.best_quarter,
            l.t("w najsłabszej", "in its weakest"),
            self.worst_quarter
        )
    }
}

/// The report as one printable HTML document (its own page, with a print stylesheet).
pub fn html(r: &Report) -> String {
    let l = r.l;
    let pdf_link = l.href(&format!("/raport/{}?rok={}&grupa={}&format=pdf", r.code, r.year, crate::words::q(&r.group_param)));
    let doc = html! {
        (DOCTYPE)
        html lang=(l.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (l.t("Raport", "Report")) ": " (r.title) " " (r.year) " — Miernik" }
                link rel="icon" href="/favicon.svg" type="image/svg+xml";
                style { (PreEscaped(REPORT_CSS)) }
            }
            body {
                main {
                    p.noprint { a href=(l.href(&format!("/jst/{}", r.code))) { "← " (l.t("Karta jednostki", "Unit card")) } " · " a href=(pdf_link) { (l.t("Pobierz PDF", "Download the PDF")) } " · " (l.t("Wydrukuj stronę (Ctrl+P), by mieć ją na papierze.", "Print the page (Ctrl+P) for a paper copy.")) }
                    @if r.demo { p.demo role="note" { (l.t(DEMO_PL_EN.0, DEMO_PL_EN.1)) } }
                    h1 { (r.title) ": " (l.t("wskaźniki", "indicators")) " " (r.year) }
                    p { (r.intro()) }
                    table.facts {
                        caption { (l.t("Podstawowe dane", "Basic facts")) }
                        @for (k, v) in &r.facts { tr { th scope="row" { (k) } td { (v) } } }
                    }
                    h2 { (l.t("Mocne strony", "Strengths")) }
                    (points_html(l, &r.strengths, r.none_words(true)))
                    h2 { (l.t("Słabe strony", "Weaknesses")) }
                    (points_html(l, &r.weaknesses, r.none_words(false)))
                    @if let Some(plan) = &r.plan { (plan_html(l, plan)) }
                    @if !r.parts.is_empty() { (bar_legend(l)) }
                    @for (k, part) in r.parts.iter().enumerate() {
                        section {
                            h2 { (part.name) }
                            // On a phone each row becomes a block (the cells' labels from `data-label`).
                            table.stack {
                                caption { (part.name) ": " (l.t("wskaźniki na tle grupy, trend", "indicators against the group, trend")) " " (r.first_trend_year) "–" (r.year) }
                                thead { tr {
                                    th scope="col" { (l.t("Wskaźnik", "Indicator")) }
                                    th scope="col" { (l.t("Wartość", "Value")) }
                                    th scope="col" { (l.t("Mediana grupy", "Group median")) }
                                    th scope="col" { (l.t("Pozycja", "Position")) }
                                    th scope="col" { (l.t("Na tle grupy", "Against the group")) }
                                    th scope="col" { (l.t("Trend", "Trend")) " " (r.first_trend_year) "–" (r.year) }
                                } }
                                tbody {
                                    @for (j, row) in part.rows.iter().enumerate() {
                                        tr {
                                            th scope="row" { (row.name) br; span.muted { (row.measure) } }
                                            td.num data-label=(l.t("Wartość", "Value")) { (row.value_text) }
                                            td.num data-label=(l.t("Mediana grupy", "Group median")) { (r.median(row)) }
                                            td data-label=(l.t("Pozycja", "Position")) { (r.position(row)) }
                                            td data-label=(l.t("Na tle grupy", "Against the group")) { (PreEscaped(bar_svg(r, &format!("b{k}-{j}"), row))) }
                                            td data-label=(l.t("Trend", "Trend")) { (PreEscaped(viz::sparkline(&format!("s{k}-{j}"), &format!("{}: {} {}", row.name, l.t("zmiana", "change"), r.change(row)), &row.trend))) " " (r.change(row)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    h2 { (l.t("Definicje i źródła", "Definitions and sources")) }
                    dl {
                        @for row in r.parts.iter().flat_map(|p| &p.rows) {
                            dt { (row.name) " (" (row.code) ")" }
                            dd { (row.definition) @if !row.source.is_empty() { " " (l.t("Źródło:", "Source:")) " " (row.source) "." } }
                        }
                    }
                    p.muted { (l.t("Wygenerowano przez Miernik", "Generated by Miernik")) " " (r.generated) ". " (l.t("Pozycja 1 = najlepsza w grupie; ćwiartki według kierunku wskaźnika (czy więcej znaczy lepiej).", "Rank 1 = best in the group; quarters by the indicator's direction (whether more is better).")) }
                }
            }
        }
    };
    doc.into_string()
}

/// How to read the position bar ([`viz::quartile_bar`]), said once near the first bar of a
/// page (the PDF report says it under each table).
pub fn bar_legend(l: L) -> maud::Markup {
    html! {
        p.small.legend-bar {
            strong { (l.t("Jak czytać pasek pozycji: ", "How to read the position bar: ")) }
            (l.t("pasek sięga od najniższej do najwyższej wartości w grupie i jest podzielony na ćwiartki jednostek — od jasnopomarańczowej (najsłabsza) do granatowej (najlepsza), „+” przy lepszym końcu; dla wskaźników kontekstowych ćwiartki są szare, środkowe ciemniejsze. Kreska — mediana grupy, czarny romb — ta jednostka.",
                 "the bar runs from the group's lowest to its highest value, split into quarters of the units — from light orange (the weakest) to dark blue (the best), “+” at the better end; for context indicators the quarters are grey, the middle ones darker. The tick is the group's median, the black diamond this unit."))
        }
    }
}

/// The section "Plan poprawy": the plan's actions and its targets with their progress.
fn plan_html(l: L, plan: &PlanPart) -> maud::Markup {
    html! {
        section {
            h2 { (l.t("Plan poprawy", "Improvement plan")) }
            p { strong { (plan.title) } }
            @if let Some(s) = &plan.summary { p style="white-space:pre-wrap" { (s) } }
            @if plan.actions.is_empty() {
                p { (l.t("Plan nie ma jeszcze działań.", "The plan has no actions yet.")) }
            } @else {
                table.stack {
                    caption { (l.t("Działania planu", "The plan's actions")) }
                    thead { tr {
                        th scope="col" { (l.t("Działanie", "Action")) } th scope="col" { (l.t("Odpowiada", "Owner")) }
                        th scope="col" { (l.t("Budżet", "Budget")) } th scope="col" { (l.t("Lata", "Years")) } th scope="col" { (l.t("Stan", "Status")) }
                    } }
                    tbody { @for a in &plan.actions { tr {
                        th scope="row" { (a.title) } td data-label=(l.t("Odpowiada", "Owner")) { (a.owner) }
                        td.num data-label=(l.t("Budżet", "Budget")) { (a.budget) } td data-label=(l.t("Lata", "Years")) { (a.years) }
                        td data-label=(l.t("Stan", "Status")) { (a.status) }
                    } } }
                }
            }
            @if !plan.targets.is_empty() {
                table.stack {
                    caption { (l.t("Cele i postęp", "Targets and progress")) }
                    thead { tr {
                        th scope="col" { (l.t("Wskaźnik", "Indicator")) } th scope="col" { (l.t("Działanie", "Action")) }
                        th scope="col" { (l.t("Wartość bazowa", "Baseline")) } th scope="col" { (l.t("Cel", "Target")) }
                        th scope="col" { (l.t("Metoda", "Method")) } th scope="col" { (l.t("Ostatnia wartość", "Latest value")) }
                        th scope="col" { (l.t("Postęp", "Progress")) }
                    } }
                    tbody { @for t in &plan.targets { tr {
                        th scope="row" { (t.indicator) } td data-label=(l.t("Działanie", "Action")) { (t.action) }
                        td.num data-label=(l.t("Wartość bazowa", "Baseline")) { (t.baseline) } td.num data-label=(l.t("Cel", "Target")) { (t.target) }
                        td data-label=(l.t("Metoda", "Method")) { (t.method) } td.num data-label=(l.t("Ostatnia wartość", "Latest value")) { (t.latest) }
                        td data-label=(l.t("Postęp", "Progress")) { (t.progress) }
                    } } }
                }
            }
        }
    }
}

/// The section "Plan poprawy" in the PDF: two tagged tables.
fn plan_pdf(doc: &mut pdf::Document, l: L, plan: &PlanPart) {
    doc.heading(2, l.t("Plan poprawy", "Improvement plan"));
    doc.paragraph_with(&plan.title, 10.5, true, INK);
    if let Some(s) = &plan.summary {
        doc.paragraph(s);
    }
    if plan.actions.is_empty() {
        doc.paragraph(l.t("Plan nie ma jeszcze działań.", "The plan has no actions yet."));
    } else {
        doc.table(&Table {
            columns: vec![
                Column { title: l.t("Działanie", "Action").into(), width: 0.36, align: Align::Left },
                Column { title: l.t("Odpowiada", "Owner").into(), width: 0.22, align: Align::Left },
                Column { title: l.t("Budżet", "Budget").into(), width: 0.16, align: Align::Right },
                Column { title: l.t("Lata", "Years").into(), width: 0.12, align: Align::Left },
                Column { title: l.t("Stan", "Status").into(), width: 0.14, align: Align::Left },
            ],
            rows: plan
                .actions
                .iter()
                .map(|a| {
                    vec![
                        Cell::Text(a.title.clone()),
                        Cell::Text(a.owner.clone()),
                        Cell::Text(a.budget.clone()),
                        Cell::Text(a.years.clone()),
                        Cell::Text(a.status.clone()),
                    ]
                })
                .collect(),
            zebra: true,
            row_headers: true,
        });
    }
    if !plan.targets.is_empty() {
        doc.table(&Table {
            columns: vec![
                Column { title: l.t("Wskaźnik", "Indicator").into(), width: 0.22, align: Align::Left },
                Column { title: l.t("Działanie", "Action").into(), width: 0.16, align: Align::Left },
                Column { title: l.t("Wartość bazowa", "Baseline").into(), width: 0.12, align: Align::Right },
                Column { title: l.t("Cel", "Target").into(), width: 0.12, align: Align::Right },
                Column { title: l.t("Metoda", "Method").into(), width: 0.14, align: Align::Left },
                Column { title: l.t("Ostatnia wartość", "Latest value").into(), width: 0.12, align: Align::Right },
                Column { title: l.t("Postęp", "Progress").into(), width: 0.12, align: Align::Left },
            ],
            rows: plan
                .targets
                .iter()
                .map(|t| {
                    vec![
                        Cell::Text(t.indicator.clone()),
                        Cell::Text(t.action.clone()),
                        Cell::Text(t.baseline.clone()),
                        Cell::Text(t.target.clone()),
                        Cell::Text(t.method.clone()),
                        Cell::Text(t.latest.clone()),
                        Cell::Text(t.progress.clone()),
                    ]
                })
                .collect(),
            zebra: true,
            row_headers: true,
        });
    }
}

fn points_html(l: L, points: &[Point], none: &str) -> maud::Markup {
    html! {
        @if points.is_empty() { p { (none) } }
        @else {
            table.stack {
                thead { tr {
                    th scope="col" { (l.t("Wskaźnik", "Indicator")) } th scope="col" { (l.t("Wartość", "Value")) }
                    th scope="col" { (l.t("Mediana grupy", "Group median")) } th scope="col" { (l.t("Pozycja", "Rank")) } th scope="col" { (l.t("Trend 5 lat", "5-year trend")) }
                } }
                tbody { @for p in points { tr {
                    th scope="row" { (p.name) } td.num data-label=(l.t("Wartość", "Value")) { (p.value) } td.num data-label=(l.t("Mediana grupy", "Group median")) { (p.median) }
                    td data-label=(l.t("Pozycja", "Rank")) { (p.rank) } td data-label=(l.t("Trend 5 lat", "5-year trend")) { (p.trend) }
                } } }
            }
        }
    }
}

fn bar_svg(r: &Report, id: &str, row: &Row) -> String {
    let st = &row.stats;
    match (st.min, st.q1, st.median, st.q3, st.max) {
        (Some(min), Some(q1), Some(median), Some(q3), Some(max)) if st.n >= 2 => {
            let title = crate::words::bar_words(r.l, st, &row.value_text, &|v| r.fmt(row, v));
            viz::quartile_bar(id, &title, &viz::Quartiles { min, q1, median, q3, max }, row.value, crate::words::direction(row.polarity))
        }
        _ => String::new(),
    }
}

/// What a report on the synthetic demo data says first.
const DEMO_PL_EN: (&str, &str) = (
    "Dane syntetyczne (demo): liczby są wymyślone i nie opisują prawdziwej jednostki.",
    "Synthetic data (demo): the numbers are made up and describe no real unit.",
);

const REPORT_CSS: &str = "body{font-family:system-ui,'DejaVu Sans',sans-serif;color:#1a1a1a;margin:0;line-height:1.45}main{max-width:60rem;margin:0 auto;padding:1rem}\
a{color:#0b4f8a}a:focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.25rem}\
caption{text-align:left;font-weight:600;padding:.25rem 0}th,td{border-bottom:1px solid #bdbdbd;padding:.3rem .4rem;text-align:left;vertical-align:top}\
td.num{text-align:right;white-space:nowrap}.muted{color:#4d4d4d;font-size:.9em}table.facts{width:auto}dt{font-weight:600;margin-top:.4rem}dd{margin-left:1rem}.demo{border:2px solid #8c1e1e;padding:.5rem;font-weight:600}\
.legend-bar{font-size:.9em}svg{max-width:100%}\
@media (max-width:40rem){main{padding:.75rem}table.stack,.stack tbody,.stack tr,.stack th,.stack td,.stack caption{display:block;width:auto}\
.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}.stack tr{border-bottom:1px solid #bdbdbd;padding:.5rem 0}\
.stack th,.stack td{border:0;padding:.1rem 0;text-align:left}.stack td.num{text-align:left;white-space:normal}\
.stack td[data-label]::before{content:attr(data-label) \": \";font-size:.85em;color:#4d4d4d}}\
@media print{.noprint{display:none}body{font-size:10pt}main{max-width:none;padding:0}section{break-inside:auto}tr{break-inside:avoid}h2{break-after:avoid}a{color:inherit;text-decoration:none}@page{size:A4;margin:16mm}}";

// ---------------------------------------------------------------- PDF

const INK: Rgb = Rgb(26, 26, 26);
const GREY: Rgb = Rgb(89, 89, 89);
const BAND: Rgb = Rgb(198, 219, 239);
const RANGE: Rgb = Rgb(224, 224, 224);

/// A quartile bar as PDF shapes: the group's range, its middle half, the median, the unit.
fn bar_graphic(row: &Row) -> Option<Graphic> {
    let st = &row.stats;
    let (min, q1, median, q3, max) = (st.min?, st.q1?, st.median?, st.q3?, st.max?);
    if st.n < 2 {
        return None;
    }
    let (w, h) = (100.0_f32, 16.0_f32);
    let lo = min.min(row.value.unwrap_or(min));
    let hi = max.max(row.value.unwrap_or(max));
    let span = (hi - lo).max(f64::EPSILON);
    let x = |v: f64| 4.0 + ((v - lo) / span) as f32 * (w - 8.0);
    let mut shapes = vec![
        Shape::Rect { x: x(min), y: 6.0, w: (x(max) - x(min)).max(0.5), h: 4.0, fill: Some(RANGE), stroke: None },
        Shape::Rect { x: x(q1), y: 3.0, w: (x(q3) - x(q1)).max(0.5), h: 10.0, fill: Some(BAND), stroke: None },
        Shape::Line { points: vec![(x(median), 1.0), (x(median), 15.0)], color: GREY, width: 1.5, dash: false },
    ];
    if let Some(v) = row.value {
        shapes.push(Shape::Circle { cx: x(v), cy: 8.0, r: 3.2, fill: Some(INK), stroke: Some((Rgb(255, 255, 255), 0.8)) });
    }
    Some(Graphic { width: w, height: h, shapes, alt: String::new() })
}

/// The unit's values over the years as a small line.
fn trend_graphic(row: &Row) -> Option<Graphic> {
    let vals: Vec<(usize, f64)> = row.trend.iter().enumerate().filter_map(|(k, v)| v.map(|v| (k, v))).collect();
    if vals.len() < 2 {
        return None;
    }
    let (w, h) = (60.0_f32, 16.0_f32);
    let lo = vals.iter().map(|v| v.1).fold(f64::INFINITY, f64::min);
    let hi = vals.iter().map(|v| v.1).fold(f64::NEG_INFINITY, f64::max);
    let n = row.trend.len().max(2) - 1;
    let px = |k: usize| 3.0 + k as f32 / n as f32 * (w - 6.0);
    let py = |v: f64| if hi > lo { 13.0 - ((v - lo) / (hi - lo)) as f32 * 10.0 } else { 8.0 };
    let points: Vec<(f32, f32)> = vals.iter().map(|&(k, v)| (px(k), py(v))).collect();
    let last = *points.last()?;
    Some(Graphic {
        width: w,
        height: h,
        alt: String::new(),
        shapes: vec![
            Shape::Line { points, color: INK, width: 1.2, dash: false },
            Shape::Circle { cx: last.0, cy: last.1, r: 1.8, fill: Some(INK), stroke: None },
        ],
    })
}

/// The quartile bar in words (its text alternative in the PDF): the group's median, middle
/// half and range, and the unit's value.
fn bar_alt(r: &Report, row: &Row) -> String {
    let unit = row.value.map(|v| r.fmt(row, v)).unwrap_or_else(|| row.value_text.clone());
    crate::words::bar_words(r.l, &row.stats, &unit, &|v| r.fmt(row, v))
}

/// The trend line in words: the first and the last year with a value, and the two values.
fn trend_alt(r: &Report, row: &Row) -> String {
    let l = r.l;
    let mut present = row.trend.iter().enumerate().filter_map(|(k, v)| v.map(|v| (r.first_trend_year + k as i32, v)));
    let first = present.next();
    let last = present.next_back().or(first);
    match (first, last) {
        (Some((y0, v0)), Some((y1, v1))) => {
            format!("{} {y0}–{y1}: {} {} {} {}", l.t("Trend", "Trend"), l.t("z", "from"), r.fmt(row, v0), l.t("do", "to"), r.fmt(row, v1))
        }
        _ => l.t("Trend: brak danych", "Trend: no data").to_owned(),
    }
}

/// The report as a PDF document.
pub fn pdf(r: &Report) -> Vec<u8> {
    let l = r.l;
    let mut doc = pdf::Document::new(DocInfo {
        title: format!("{}: {} {}", l.t("Raport", "Report"), r.title, r.year),
        author: "Miernik".into(),
        subject: l.t("Raport o stanie jednostki: wskaźniki na tle grupy porównawczej", "Unit report: indicators against the peer group").into(),
        lang: l.code().into(),
        footer: format!("Miernik · {} · {} {}", r.title, l.t("wygenerowano", "generated"), r.generated),
        created: None,
    });
    doc.heading(1, &format!("{}: {} {}", r.title, l.t("wskaźniki", "indicators"), r.year));
    if r.demo {
        doc.paragraph_with(l.t(DEMO_PL_EN.0, DEMO_PL_EN.1), 10.0, true, Rgb(140, 30, 30));
    }
    doc.paragraph(&r.intro());
    let facts = Table {
        columns: vec![
            Column { title: l.t("Podstawowe dane", "Basic facts").into(), width: 0.35, align: Align::Left },
            Column { title: String::new(), width: 0.65, align: Align::Left },
        ],
        rows: r.facts.iter().map(|(k, v)| vec![Cell::Text(k.clone()), Cell::Text(v.clone())]).collect(),
        zebra: false,
        row_headers: true,
    };
    doc.table(&facts);
    for (title, points, strong) in [(l.t("Mocne strony", "Strengths"), &r.strengths, true), (l.t("Słabe strony", "Weaknesses"), &r.weaknesses, false)]
    {
        doc.heading(2, title);
        if points.is_empty() {
            doc.paragraph(r.none_words(strong));
            continue;
        }
        doc.table(&Table {
            columns: vec![
                Column { title: l.t("Wskaźnik", "Indicator").into(), width: 0.38, align: Align::Left },
                Column { title: l.t("Wartość", "Value").into(), width: 0.16, align: Align::Right },
                Column { title: l.t("Mediana grupy", "Group median").into(), width: 0.14, align: Align::Right },
                Column { title: l.t("Pozycja", "Rank").into(), width: 0.14, align: Align::Left },
                Column { title: l.t("Trend 5 lat", "5-year trend").into(), width: 0.18, align: Align::Left },
            ],
            rows: points
                .iter()
                .map(|p| {
                    vec![
                        Cell::Text(p.name.clone()),
                        Cell::Text(p.value.clone()),
                        Cell::Text(p.median.clone()),
                        Cell::Text(p.rank.clone()),
                        Cell::Text(p.trend.clone()),
                    ]
                })
                .collect(),
            zebra: true,
            row_headers: true,
        });
    }
    if let Some(plan) = &r.plan {
        plan_pdf(&mut doc, l, plan);
    }
    for part in &r.parts {
        doc.heading(2, &part.name);
        doc.table(&Table {
            columns: vec![
                // The position's words (rank · band · verdict) need the room more than the bar.
                Column { title: l.t("Wskaźnik", "Indicator").into(), width: 0.26, align: Align::Left },
                Column { title: l.t("Wartość", "Value").into(), width: 0.12, align: Align::Right },
                Column { title: l.t("Mediana grupy", "Group median").into(), width: 0.12, align: Align::Right },
                Column { title: l.t("Pozycja", "Position").into(), width: 0.20, align: Align::Left },
                Column { title: l.t("Na tle grupy", "Against the group").into(), width: 0.17, align: Align::Left },
                Column { title: format!("{} {}–{}", l.t("Trend", "Trend"), r.first_trend_year, r.year), width: 0.13, align: Align::Left },
            ],
            rows: part
                .rows
                .iter()
                .map(|row| {
                    vec![
                        Cell::Text(format!("{}\n{}", row.name, row.measure)),
                        Cell::Text(row.value_text.clone()),
                        Cell::Text(r.median(row)),
                        Cell::Text(r.position(row)),
                        bar_graphic(row).map(|g| Cell::Graphic(g.with_alt(bar_alt(r, row)))).unwrap_or_else(|| Cell::Text("—".into())),
                        match trend_graphic(row) {
                            Some(g) => Cell::Graphic(g.with_alt(trend_alt(r, row))),
                            None => Cell::Text("—".into()),
                        },
                    ]
                })
                .collect(),
            zebra: true,
            row_headers: true,
        });
        doc.paragraph_with(
            l.t(
                "Na tle grupy: szary pasek — od najniższej do najwyższej wartości w grupie, niebieski — połowa jednostek wokół mediany, kreska — mediana, kropka — ta jednostka.",
                "Against the group: grey bar — from the group's lowest to its highest value, blue — the middle half of the units, line — the median, dot — this unit.",
            ),
            8.0,
            false,
            GREY,
        );
    }
    doc.heading(2, l.t("Definicje i źródła", "Definitions and sources"));
    for row in r.parts.iter().flat_map(|p| &p.rows) {
        doc.paragraph_with(&format!("{} ({})", row.name, row.code), 9.5, true, INK);
        let source = if row.source.is_empty() { String::new() } else { format!(" {} {}.", l.t("Źródło:", "Source:"), row.source) };
        doc.paragraph_with(&format!("{}{source}", row.definition), 9.0, false, INK);
    }
    doc.finish()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    fn row(value: Option<f64>, trend: Vec<Option<f64>>) -> Row {
        Row {
            code: "X".into(),
            name: "Wskaźnik".into(),
            measure: "%".into(),
            decimals: 1,
            value,
            value_text: String::new(),
            polarity: Polarity::HigherBetter,
            stats: GroupStats {
                n: 5,
                missing: 0,
                min: Some(0.0),
                q1: Some(2.0),
                median: Some(5.0),
                q3: Some(7.0),
                max: Some(10.0),
                mean: None,
                sd: None,
                aggregate: None,
            },
            position: Position::default(),
            trend,
            definition: String::new(),
            source: String::new(),
        }
    }

    #[test]
    fn the_bar_places_the_unit_and_the_median_in_proportion() {
        let g = bar_graphic(&row(Some(10.0), vec![])).unwrap();
        let median = g.shapes.iter().find_map(|s| if let Shape::Line { points, .. } = s { Some(points[0].0) } else { None }).unwrap();
        let unit = g.shapes.iter().find_map(|s| if let Shape::Circle { cx, .. } = s { Some(*cx) } else { None }).unwrap();
        // Drawn between x = 4 and x = width − 4: the median halfway, the unit (the maximum) at the end.
        assert!((median - (4.0 + 0.5 * (g.width - 8.0))).abs() < 0.01, "{median}");
        assert!((unit - (g.width - 4.0)).abs() < 0.01, "{unit}");
        assert!(
            bar_graphic(&Row { stats: GroupStats { n: 1, ..row(None, vec![]).stats }, ..row(None, vec![]) }).is_none(),
            "no bar for a group of one"
        );
    }

    #[test]
    fn a_trend_needs_two_years_and_skips_the_gaps() {
        assert!(trend_graphic(&row(None, vec![Some(1.0), None, None])).is_none());
        let g = trend_graphic(&row(None, vec![Some(1.0), None, Some(3.0), None, Some(2.0)])).unwrap();
        let Shape::Line { points, .. } = &g.shapes[0] else { panic!("a line first") };
        assert_eq!(points.len(), 3);
        assert!(points[1].1 < points[0].1, "a higher value is drawn higher");
    }
}
