//! `/ocena`: did a unit's change stand out from its peers'? A GET form (unit, indicator, start
//! year, peer group, years before and after) and the re-evaluation of `app::evaluate` — the
//! unit's change, the peers' mean change, the difference in differences with its placebo
//! interval, the number of peers, the p-value and the verdict in plain words — with a chart of
//! the series (and a table of the same), a chart of the placebo estimates (and their
//! quantiles), and the method with its limits. Also the API's `GET /api/v1/evaluation`.
//!
//! The page reads only the public snapshot, but it is not put in the page cache: every
//! combination of parameters is a page of its own (`Cache-Control: no-store`). Bad parameters
//! give the form again with what to correct (400, or 404 for an unknown unit or indicator),
//! never a 500.

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, PreEscaped, html};
use model::{Polarity, TerytCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::{ApiError, ApiErrorBody};
use crate::auth::Ctx;
use crate::common::{GROUPS, group_canonical, q};
use crate::error::WebError;
use crate::i18n::L;
use crate::portal::Portal;

/// The page's address.
pub const PATH: &str = "/ocena";
/// The most years a window before or after the start may have.
pub const MAX_WINDOW: usize = 10;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route(PATH, get(page))
}

/// The routes under `/api/v1`.
pub fn api_routes() -> Router<Arc<AppState>> {
    Router::new().route("/evaluation", get(evaluation))
}

// ---------------------------------------------------------------------------------------
// What the page shows, already computed.

/// The judgement of a change, as the page words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    Better,
    Worse,
    NotDistinguishable,
    /// A neutral indicator whose change stands out (neither better nor worse).
    StandsOutNeutral,
}

impl Judgement {
    pub fn words(self, l: L) -> &'static str {
        match self {
            Judgement::Better => l.t("Zmiana wyraźnie lepsza niż w grupie", "The change is clearly better than in the group"),
            Judgement::Worse => l.t("Zmiana wyraźnie gorsza niż w grupie", "The change is clearly worse than in the group"),
            Judgement::NotDistinguishable => {
                l.t("Zmiana nie odróżnia się od zmian w grupie", "The change does not stand out from the changes in the group")
            }
            Judgement::StandsOutNeutral => l.t(
                "Zmiana wyraźnie odróżnia się od zmian w grupie (wskaźnik nie ma kierunku „lepiej”)",
                "The change stands out from the changes in the group (the indicator has no better direction)",
            ),
        }
    }

    fn class(self) -> &'static str {
        match self {
            Judgement::Better => "good",
            Judgement::Worse => "bad",
            _ => "",
        }
    }
}

/// One re-evaluation as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalView {
    pub unit_code: String,
    pub unit_name: String,
    pub indicator_code: String,
    pub indicator_name: String,
    pub measure_unit: String,
    pub decimals: u8,
    pub polarity: Polarity,
    pub group_label: String,
    pub start_year: i32,
    pub before: usize,
    pub after: usize,
    pub years: Vec<i32>,
    pub unit_series: Vec<Option<f64>>,
    pub peers_mean: Vec<Option<f64>>,
    pub synthetic: Option<Vec<Option<f64>>>,
    pub synthetic_estimate: Option<f64>,
    pub unit_before: f64,
    pub unit_after: f64,
    pub unit_change: f64,
    pub peers_change: f64,
    pub estimate: f64,
    pub interval: (f64, f64),
    /// The interval's level (0.95).
    pub level: f64,
    pub p_value: f64,
    pub stands_out: bool,
    pub n_peers: usize,
    pub placebo: Vec<f64>,
    pub judgement: Judgement,
    /// Units left out of the group for a reorganisation of the kind asked.
    pub excluded: Vec<String>,
    /// The synthetic comparison's members' names, nearest first.
    pub synthetic_members: Vec<String>,
}

impl EvalView {
    /// From the use-case's answer, in the page's language.
    pub fn of(l: L, e: &app::evaluate::Evaluation, req: &app::evaluate::EvalRequest) -> EvalView {
        let est = &e.estimate;
        let judgement = match e.verdict {
            app::evaluate::Verdict::Better => Judgement::Better,
            app::evaluate::Verdict::Worse => Judgement::Worse,
            app::evaluate::Verdict::NotDistinguishable => Judgement::NotDistinguishable,
            app::evaluate::Verdict::Neutral if est.stands_out => Judgement::StandsOutNeutral,
            app::evaluate::Verdict::Neutral => Judgement::NotDistinguishable,
        };
        EvalView {
            unit_code: e.unit_code.clone(),
            unit_name: e.unit_name.clone(),
            indicator_code: e.indicator_code.clone(),
            indicator_name: if l.en && !e.name_en.is_empty() { e.name_en.clone() } else { e.name_pl.clone() },
            measure_unit: if l.en && !e.measure_unit_en.is_empty() { e.measure_unit_en.clone() } else { e.measure_unit.clone() },
            decimals: e.decimals,
            polarity: e.polarity,
            group_label: e.group_label.clone(),
            start_year: req.start_year,
            before: req.before,
            after: req.after,
            years: e.years.clone(),
            unit_series: e.unit_series.clone(),
            peers_mean: e.peers_mean.clone(),
            synthetic: e.synthetic.clone(),
            synthetic_estimate: est.synthetic.as_ref().map(|s| s.estimate),
            unit_before: est.unit_before,
            unit_after: est.unit_after,
            unit_change: est.unit_change,
            peers_change: est.peers_change,
            estimate: est.estimate,
            interval: est.interval,
            level: e.level,
            p_value: est.p_value,
            stands_out: est.stands_out,
            n_peers: est.n_peers,
            placebo: est.placebo.clone(),
            judgement,
            excluded: e.excluded.clone(),
            synthetic_members: e.synthetic_members.iter().map(|(code, name)| format!("{name} ({code})")).collect(),
        }
    }

    /// How many placebo estimates were at least as large (in absolute value) as the unit's:
    /// what the p-value counts.
    pub fn as_large(&self) -> usize {
        self.placebo.iter().filter(|p| p.abs() >= self.estimate.abs()).count()
    }
}

/// The form as sent (or empty), each value as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvalForm {
    pub jst: String,
    pub wskaznik: String,
    pub start: String,
    pub grupa: String,
    pub przed: String,
    pub po: String,
    pub wyklucz: String,
}

impl EvalForm {
    /// From the query's pairs: the last value of each name; longer than 200 characters is cut
    /// (it would be refused anyway).
    pub fn from_pairs(pairs: &[(String, String)]) -> EvalForm {
        let get = |k: &str| pairs.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v.trim().chars().take(200).collect()).unwrap_or_default();
        EvalForm {
            jst: get("jst"),
            wskaznik: get("wskaznik"),
            start: get("start"),
            grupa: get("grupa"),
            przed: get("przed"),
            po: get("po"),
            wyklucz: get("wyklucz"),
        }
    }

    /// The query string of this form (for links to the page), `lang` left out.
    pub fn query(&self) -> String {
        let mut parts = vec![format!("jst={}", q(&self.jst)), format!("wskaznik={}", q(&self.wskaznik)), format!("start={}", q(&self.start))];
        for (k, v) in [("grupa", &self.grupa), ("przed", &self.przed), ("po", &self.po), ("wyklucz", &self.wyklucz)] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", q(v)));
            }
        }
        parts.join("&")
    }

    /// The form of an evaluation request (a link from a reorganisation's page).
    pub fn of_request(r: &app::evaluate::EvalRequest) -> EvalForm {
        EvalForm {
            jst: r.unit.clone(),
            wskaznik: r.indicator.clone(),
            start: r.start_year.to_string(),
            grupa: crate::common::group_param(&model::PeerGroupSpec::parse(&r.group).name()),
            przed: r.before.to_string(),
            po: r.after.to_string(),
            wyklucz: r.exclude_reorganised.clone().unwrap_or_default(),
        }
    }
}

/// A refused field: its input's name and what to correct (PL, EN).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: &'static str,
    pub pl: String,
    pub en: String,
    /// An unknown unit or indicator (404), not a malformed value (400).
    pub not_found: bool,
}

fn field_error(field: &'static str, pl: impl Into<String>, en: impl Into<String>) -> FieldError {
    FieldError { field, pl: pl.into(), en: en.into(), not_found: false }
}

/// The choices of the form.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    /// (area's name, [(indicator code, name)]).
    pub indicators: Vec<(String, Vec<(String, String)>)>,
    pub first_year: i32,
    pub last_year: i32,
}

impl Choices {
    pub fn of(l: L, p: &Portal) -> Choices {
        let c = &p.c;
        let indicators = p
            .areas
            .iter()
            .map(|a| {
                (
                    l.area(&a.code),
                    a.indicators().map(|i| (c.definitions[i].code.clone(), crate::common::indicator_name(l, c, i).to_owned())).collect(),
                )
            })
            .collect();
        let s = &c.snapshot;
        Choices { indicators, first_year: s.first_year(), last_year: s.first_year() + s.years() as i32 - 1 }
    }
}

// ---------------------------------------------------------------------------------------
// Markup.

const CSS: &str = r#"
.ev-summary{border:3px solid #8f2d00;border-radius:4px;padding:.5rem 1rem;margin:1rem 0}
.ev-summary h2{margin:.25rem 0 .5rem;font-size:1.2rem}.ev-summary ul{margin:.25rem 0;padding-left:1.25rem}
.ev-verdict{font-size:1.25rem;font-weight:700;margin:.75rem 0}
form.controls .err{color:#8f2d00;font-weight:600;font-size:.85rem;max-width:16rem}
form.controls input[aria-invalid=true],form.controls select[aria-invalid=true]{border:2px solid #8f2d00}
form.controls input{width:9rem}form.controls input#ev-jst{width:14rem}
.ev-method li{margin:.25rem 0}
"#;

fn opt(l: L, v: Option<f64>, decimals: u8) -> String {
    v.filter(|v| v.is_finite()).map(|v| l.num(v, decimals)).unwrap_or_else(|| "—".to_owned())
}

/// The R-7 quantile of sorted values.
fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Draws a marked year into a chart of `viz::lines` over `years`: a dashed vertical
/// line at the year from the plot's top grid line to its axis, labelled `label`. The plot's
/// horizontal geometry is the chart's (x from 74 to 618 of 640); its top and bottom are read
/// from the chart's own grid and axis lines. A chart without them is given back unchanged.
pub fn mark_year(svg: &str, years: &[i32], year: i32, label: &str) -> String {
    let Some(k) = years.iter().position(|&y| y == year) else { return svg.to_owned() };
    let n = years.len();
    let x = if n <= 1 { (64.0 + 628.0) / 2.0 } else { 74.0 + k as f64 * (618.0 - 74.0) / (n - 1) as f64 };
    let attr = |el: &str, name: &str| -> Option<f64> {
        let at = el.find(&format!(" {name}=\""))? + name.len() + 3;
        el[at..].split('"').next()?.parse().ok()
    };
    let (mut top, mut bottom) = (None::<f64>, None::<f64>);
    for el in svg.split("<line").skip(1).map(|s| s.split('>').next().unwrap_or("")) {
        let y1 = attr(el, "y1");
        if el.contains("stroke=\"#d9d9d9\"") {
            top = match (top, y1) {
                (Some(t), Some(y)) => Some(t.min(y)),
                (t, y) => t.or(y),
            };
        } else if el.contains("stroke=\"#595959\"") && bottom.is_none() {
            bottom = y1;
        }
    }
    let (Some(top), Some(bottom), Some(end)) = (top, bottom, svg.rfind("</svg>")) else { return svg.to_owned() };
    let (tx, anchor) = if x > 480.0 { (x - 5.0, "end") } else { (x + 5.0, "start") };
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let mark = format!(
        r##"<g class="start-mark"><line x1="{x:.1}" x2="{x:.1}" y1="{top:.1}" y2="{bottom:.1}" stroke="#1a1a1a" stroke-width="1.5" stroke-dasharray="2 3"/><text x="{tx:.1}" y="{:.1}" font-size="13" font-weight="700" fill="#1a1a1a" text-anchor="{anchor}">{}</text></g>"##,
        top + 13.0,
        esc(label)
    );
    format!("{}{mark}{}", &svg[..end], &svg[end..])
}

/// A peer group's label (`typology: gmina_wiejska:<5k`) in the page's words.
pub fn group_words(l: L, label: &str) -> String {
    match label.split_once(": ") {
        Some(("typology", key)) => format!("{}: {}", l.group("typology"), crate::common::typology_words(l, key)),
        Some((canonical @ ("wojewodztwo" | "country"), key)) => format!("{}: {key}", l.group(canonical)),
        _ => label.to_owned(),
    }
}

/// The p-value in words.
pub fn p_words(l: L, v: &EvalView) -> String {
    let p = l.num(v.p_value, 2);
    let k = v.as_large();
    let n = v.n_peers;
    if l.en {
        format!(
            "{k} of the {n} placebo comparisons (each peer treated as if it had made the change) gave an effect at least as large as this one (p = {p}). The fewer such comparisons, the harder it is to put the change down to what happens in the group anyway; with {n} peers p cannot be smaller than {}.",
            l.num(1.0 / (n as f64 + 1.0), 2)
        )
    } else {
        format!(
            "W {k} z {n} porównań placebo (każda jednostka z grupy potraktowana tak, jakby to ona wprowadziła zmianę) efekt był co najmniej tak duży jak tutaj (p = {p}). Im mniej takich porównań, tym trudniej wytłumaczyć zmianę tym, co i tak dzieje się w grupie; przy {n} jednostkach p nie może być mniejsze niż {}.",
            l.num(1.0 / (n as f64 + 1.0), 2)
        )
    }
}

fn summary(l: L, errors: &[FieldError]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.ev-summary role="alert" aria-labelledby="ev-bledy" {
                h2 id="ev-bledy" { (l.t("Popraw parametry oceny", "Correct the evaluation's parameters")) }
                ul { @for e in errors { li { a href={ "#ev-" (e.field) } { (l.t(&e.pl, &e.en)) } } } }
            }
        }
    }
}

/// The form, with each field's error beside it.
pub fn form(l: L, f: &EvalForm, ch: &Choices, errors: &[FieldError]) -> Markup {
    let err = |field: &str| errors.iter().find(|e| e.field == field);
    let invalid = |field: &str| if err(field).is_some() { "true" } else { "false" };
    let described = |field: &str| err(field).map(|_| format!("ev-{field}-err"));
    let note = |field: &str| -> Markup {
        html! { @if let Some(e) = err(field) { span.err id={ "ev-" (field) "-err" } { (l.t(&e.pl, &e.en)) } } }
    };
    let group = if f.grupa.is_empty() { "typology".to_owned() } else { group_canonical(&f.grupa).unwrap_or_default() };
    let before = if f.przed.is_empty() { "3" } else { f.przed.as_str() };
    let after = if f.po.is_empty() { "3" } else { f.po.as_str() };
    html! {
        form.controls method="get" action=(PATH) aria-label=(l.t("Parametry oceny", "Evaluation parameters")) {
            @if l.en { input type="hidden" name="lang" value="en"; }
            label for="ev-jst" { (l.t("Jednostka (kod TERYT lub nazwa)", "Unit (TERYT code or name)"))
                input id="ev-jst" name="jst" type="text" value=(f.jst) autocomplete="off" aria-invalid=(invalid("jst")) aria-describedby=[described("jst")];
                (note("jst"))
            }
            label for="ev-wskaznik" { (l.t("Wskaźnik", "Indicator"))
                select id="ev-wskaznik" name="wskaznik" aria-invalid=(invalid("wskaznik")) aria-describedby=[described("wskaznik")] {
                    option value="" selected[f.wskaznik.is_empty()] { (l.t("— wybierz —", "— choose —")) }
                    @if !f.wskaznik.is_empty() && !ch.indicators.iter().any(|(_, list)| list.iter().any(|(c, _)| *c == f.wskaznik)) {
                        option value=(f.wskaznik) selected { (f.wskaznik) }
                    }
                    @for (area, list) in &ch.indicators {
                        optgroup label=(area) { @for (code, name) in list { option value=(code) selected[*code == f.wskaznik] { (name) " (" (code) ")" } } }
                    }
                }
                (note("wskaznik"))
            }
            label for="ev-start" { (l.t("Rok rozpoczęcia zmiany", "Year the change started")) " " span.small { "(" (ch.first_year + 1) "–" (ch.last_year) ")" }
                input id="ev-start" name="start" type="text" inputmode="numeric" value=(f.start) placeholder=(ch.last_year.saturating_sub(3)) aria-invalid=(invalid("start")) aria-describedby=[described("start")];
                (note("start"))
            }
            label for="ev-grupa" { (l.t("Grupa porównawcza", "Peer group"))
                select id="ev-grupa" name="grupa" aria-invalid=(invalid("grupa")) aria-describedby=[described("grupa")] {
                    @for (param, canonical) in GROUPS { option value=(param) selected[group == canonical] { (l.group(canonical)) } }
                    @if !GROUPS.iter().any(|(_, c)| *c == group) && !f.grupa.is_empty() { option value=(f.grupa) selected { (l.group(&group)) } }
                }
                (note("grupa"))
            }
            label for="ev-przed" { (l.t("Lat przed", "Years before"))
                input id="ev-przed" name="przed" type="number" min="1" max=(MAX_WINDOW) value=(before) aria-invalid=(invalid("przed")) aria-describedby=[described("przed")];
                (note("przed"))
            }
            label for="ev-po" { (l.t("Lat od startu", "Years from the start"))
                input id="ev-po" name="po" type="number" min="1" max=(MAX_WINDOW) value=(after) aria-invalid=(invalid("po")) aria-describedby=[described("po")];
                (note("po"))
            }
            label for="ev-wyklucz" { (l.t("Pomiń w grupie JST z reorganizacją", "Leave out units with a reorganisation"))
                select id="ev-wyklucz" name="wyklucz" aria-invalid=(invalid("wyklucz")) aria-describedby=[described("wyklucz")] {
                    option value="" selected[f.wyklucz.is_empty()] { (l.t("nie pomijaj", "leave none out")) }
                    @for (code, pl, en) in app::reorganisations::KINDS { option value=(code) selected[f.wyklucz == code] { (l.t(pl, en)) } }
                }
                (note("wyklucz"))
            }
            button type="submit" { (l.t("Oceń", "Evaluate")) }
        }
    }
}

/// The result: verdict, figures, the two charts with their tables.
pub fn result(l: L, v: &EvalView) -> Markup {
    let d = v.decimals;
    let fmt = |x: f64| l.num(x, d);
    let unit = if v.measure_unit.is_empty() { String::new() } else { format!(" ({})", v.measure_unit) };
    // A change of a percentage is in percentage points.
    let change_unit = match v.measure_unit.as_str() {
        "" => String::new(),
        "%" => format!(" {}", l.t("pkt proc.", "pp")),
        m => format!(" {m}"),
    };
    let group = group_words(l, &v.group_label);
    let (b0, b1) = (v.start_year - v.before as i32, v.start_year - 1);
    let (a0, a1) = (v.start_year, v.start_year + v.after as i32 - 1);
    let pct = l.num(v.level * 100.0, 0);
    let mean_name = l.t("Średnia grupy", "Peers' mean");
    let synth_name = l.t("Porównanie syntetyczne", "Synthetic comparison");
    let mut series = vec![
        viz::Series { name: v.unit_name.clone(), values: v.unit_series.clone() },
        viz::Series { name: mean_name.to_owned(), values: v.peers_mean.clone() },
    ];
    if let Some(s) = &v.synthetic {
        series.push(viz::Series { name: synth_name.to_owned(), values: s.clone() });
    }
    let title = format!("{}{unit}: {} {}", v.indicator_name, v.unit_name, l.t("na tle grupy", "against its peers"));
    let desc = if l.en {
        format!(
            "{} and the mean of its {} peers, {}–{}, with the start of the change in {} marked. The same values are in the table below.",
            v.unit_name,
            v.n_peers,
            v.years.first().copied().unwrap_or(0),
            v.years.last().copied().unwrap_or(0),
            v.start_year
        )
    } else {
        format!(
            "{} i średnia {} jednostek z grupy w latach {}–{}; zaznaczony początek zmiany w {} r. Te same wartości są w tabeli poniżej.",
            v.unit_name,
            v.n_peers,
            v.years.first().copied().unwrap_or(0),
            v.years.last().copied().unwrap_or(0),
            v.start_year
        )
    };
    let chart = viz::lines("ev-lines", &title, &desc, &v.years, &series, &fmt);
    let chart = mark_year(&chart, &v.years, v.start_year, &format!("{} {}", l.t("start", "start"), v.start_year));
    let mut sorted: Vec<f64> = v.placebo.iter().copied().filter(|x| x.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    // The placebo effects the interval's ends come from: estimate − interval.
    let (q_lo, q_hi) = (v.estimate - v.interval.1, v.estimate - v.interval.0);
    let placebo_desc = if l.en {
        format!(
            "Each dot is a peer's placebo estimate (the same calculation as if that peer had made the change in {}); the black line is this unit's estimate, {}. The quantiles are in the table below.",
            v.start_year,
            l.change(v.estimate, d)
        )
    } else {
        format!(
            "Każda kropka to oszacowanie placebo jednej jednostki z grupy (ten sam rachunek, jakby to ona wprowadziła zmianę w {} r.); czarna linia to oszacowanie tej JST: {}. Kwantyle są w tabeli poniżej.",
            v.start_year,
            l.change(v.estimate, d)
        )
    };
    let placebo_chart = viz::distribution(
        "ev-placebo",
        l.t("Efekty placebo w grupie i efekt tej JST", "Placebo effects in the group and this unit's effect"),
        &placebo_desc,
        &sorted,
        Some(v.estimate),
        l.t("ta JST:", "this unit:"),
        &|x| l.change(x, d),
    );
    html! {
        section aria-labelledby="ev-wynik" {
            h2 id="ev-wynik" { (v.unit_name) " (" (v.unit_code) "): " (v.indicator_name) ", " (l.t("zmiana od", "change from")) " " (v.start_year) }
            p.ev-verdict.(v.judgement.class()) role="status" { (v.judgement.words(l)) }
            p {
                @if l.en {
                    "From " (b0) "–" (b1) " to " (a0) "–" (a1) " (means of the years) the value of " (v.unit_name) " changed by " strong { (l.change(v.unit_change, d)) (change_unit) }
                    " (" (fmt(v.unit_before)) " → " (fmt(v.unit_after)) "); in the peer group (" (group) ") it changed by " strong { (l.change(v.peers_change, d)) } " on average. "
                    "The difference, the estimated effect, is " strong { (l.change(v.estimate, d)) } "; its " (pct) " % placebo interval runs from " (l.change(v.interval.0, d)) " to " (l.change(v.interval.1, d)) "."
                } @else {
                    "Między latami " (b0) "–" (b1) " a " (a0) "–" (a1) " (średnie z lat) wartość w JST " (v.unit_name) " zmieniła się o " strong { (l.change(v.unit_change, d)) (change_unit) }
                    " (" (fmt(v.unit_before)) " → " (fmt(v.unit_after)) "); w grupie porównawczej (" (group) ") średnio o " strong { (l.change(v.peers_change, d)) } ". "
                    "Różnica, czyli oszacowany efekt, to " strong { (l.change(v.estimate, d)) } "; przedział placebo " (pct) " %: od " (l.change(v.interval.0, d)) " do " (l.change(v.interval.1, d)) "."
                }
            }
            dl.facts {
                div { dt { (l.t("Zmiana w JST", "Change in the unit")) } dd { b { (l.change(v.unit_change, d)) } } }
                div { dt { (l.t("Średnia zmiana w grupie", "Peers' mean change")) } dd { b { (l.change(v.peers_change, d)) } } }
                div { dt { (l.t("Oszacowany efekt", "Estimated effect")) } dd { b { (l.change(v.estimate, d)) } } }
                div { dt { (l.t("Przedział placebo", "Placebo interval")) " " (pct) " %" } dd { b { (l.change(v.interval.0, d)) " … " (l.change(v.interval.1, d)) } } }
                div { dt { (l.t("Jednostek w grupie", "Peers")) } dd { b { (v.n_peers) } } }
                div { dt { "p" } dd { b { (l.num(v.p_value, 2)) } } }
                @if let Some(s) = v.synthetic_estimate {
                    div { dt { (l.t("Efekt wobec porównania syntetycznego", "Effect against the synthetic comparison")) } dd { b { (l.change(s, d)) } } }
                }
            }
            p { (p_words(l, v)) }
            @if v.level < 0.949 {
                p { (l.t(
                    "Przy tej liczbie jednostek przedział nie może osiągnąć poziomu 95 %: obejmuje wtedy cały rozrzut efektów placebo, a jego poziom jest niższy.",
                    "With this many peers the interval cannot reach 95 %: it then spans the whole range of the placebo effects, and its level is lower.")) }
            }
            @if !v.excluded.is_empty() {
                p { (l.t("Z grupy pominięto jednostki, które przeprowadziły reorganizację tego rodzaju", "Left out of the group: the units that made a reorganisation of this kind")) " (" (v.excluded.len()) "): " (v.excluded.join(", ")) "." }
            }
            @if !v.synthetic_members.is_empty() {
                p { (l.t("Porównanie syntetyczne to średnia jednostek najbliższych tej JST przed zmianą", "The synthetic comparison is the mean of the units closest to this one before the change")) ": " (v.synthetic_members.join(", ")) "." }
            }
            figure.chart {
                figcaption { (title) }
                (PreEscaped(chart))
            }
            table.ev-series {
                caption { (l.t("Wartości z wykresu", "The chart's values")) (unit) }
                thead { tr {
                    th scope="col" { (l.t("Rok", "Year")) }
                    th.num scope="col" { (v.unit_name) }
                    th.num scope="col" { (mean_name) }
                    @if v.synthetic.is_some() { th.num scope="col" { (synth_name) } }
                } }
                tbody {
                    @for (k, year) in v.years.iter().enumerate() {
                        tr.sel[*year == v.start_year] {
                            th scope="row" { (year) @if *year == v.start_year { " (" (l.t("start", "start")) ")" } }
                            td.num { (opt(l, v.unit_series.get(k).copied().flatten(), d)) }
                            td.num { (opt(l, v.peers_mean.get(k).copied().flatten(), d)) }
                            @if let Some(s) = &v.synthetic { td.num { (opt(l, s.get(k).copied().flatten(), d)) } }
                        }
                    }
                }
            }
            h3 { (l.t("Czy taka zmiana zdarza się w grupie i bez reformy?", "Does such a change happen in the group without a reform?")) }
            figure.chart {
                figcaption { (l.t("Efekty placebo w grupie i efekt tej JST", "Placebo effects in the group and this unit's effect")) }
                (PreEscaped(placebo_chart))
            }
            table.ev-placebo {
                caption { (l.t("Efekty placebo: podsumowanie", "Placebo effects: summary")) }
                thead { tr { th scope="col" { (l.t("Miara", "Measure")) } th.num scope="col" { (l.t("Wartość", "Value")) } } }
                tbody {
                    tr { th scope="row" { (l.t("Liczba efektów placebo", "Placebo effects")) } td.num { (sorted.len()) } }
                    tr { th scope="row" { (l.t("Najmniejszy", "Smallest")) } td.num { (quantile(&sorted, 0.0).map(|x| l.change(x, d)).unwrap_or_else(|| "—".into())) } }
                    tr { th scope="row" { (l.t("Dolny koniec przedziału (kwantyl)", "The interval's lower end (quantile)")) } td.num { (l.change(q_lo, d)) } }
                    tr { th scope="row" { (l.t("Mediana", "Median")) } td.num { (quantile(&sorted, 0.5).map(|x| l.change(x, d)).unwrap_or_else(|| "—".into())) } }
                    tr { th scope="row" { (l.t("Górny koniec przedziału (kwantyl)", "The interval's upper end (quantile)")) } td.num { (l.change(q_hi, d)) } }
                    tr { th scope="row" { (l.t("Największy", "Largest")) } td.num { (quantile(&sorted, 1.0).map(|x| l.change(x, d)).unwrap_or_else(|| "—".into())) } }
                    tr.sel { th scope="row" { (l.t("Efekt tej JST", "This unit's effect")) } td.num { (l.change(v.estimate, d)) } }
                    tr { th scope="row" { (l.t("Efektów placebo co najmniej tak dużych", "Placebo effects at least as large")) } td.num { (v.as_large()) } }
                }
            }
        }
    }
}

/// "Method and its limits".
pub fn method(l: L) -> Markup {
    html! {
        section.ev-method aria-labelledby="ev-metoda" {
            h2 id="ev-metoda" { (l.t("Metoda i jej ograniczenia", "Method and its limits")) }
            @if l.en {
                p { strong { "Difference in differences." } " The unit's change (the mean of the years from the start on minus the mean of the years before) minus the mean of the same change in the peer group over the same years. What happened to everyone — a new law, a crisis, prices — falls out of the difference." }
                p { strong { "Placebo interval." } " The same estimate is computed for every peer as if it had made the change, against the other peers. These placebo effects show how large changes are in the group without any reform. The interval is the estimate minus the placebo effects' extreme quantiles; when it does not contain zero, the unit's change stands out from what peers did anyway. The p-value is the share of placebo effects at least as large as the unit's (counting the unit itself)." }
                p { strong { "Synthetic comparison." } " Where shown, the mean of the peers whose values before the start were closest to the unit's: a comparison that followed the unit most closely before the change." }
                p { strong { "What it does not prove:" } }
                ul {
                    li { "Other changes at the same time — another decision of the same unit, a change of how the data is counted, a local event — give the same picture: the method cannot tell them from the reform." }
                    li { "Few peers: with N peers p cannot be smaller than 1/(N+1) and the interval is wide; below 5 peers nothing is estimated." }
                    li { "Short series: a few years before and after tell a lasting change from a fluctuation poorly; one unusual year moves the means." }
                    li { "The group should have moved like the unit before the start (parallel trends): check it on the chart. If the lines diverged already before, the estimate says little." }
                    li { "Peers that made a similar change themselves blur the comparison: leave out the units with a reorganisation of the same kind." }
                }
            } @else {
                p { strong { "Różnica w różnicach." } " Od zmiany wskaźnika w JST (średnia z lat od rozpoczęcia minus średnia z lat przed) odejmujemy średnią takiej samej zmiany w grupie porównawczej w tych samych latach. To, co spotkało wszystkich — nowe przepisy, kryzys, ceny — znika w różnicy." }
                p { strong { "Przedział placebo." } " Ten sam rachunek powtarzamy dla każdej jednostki z grupy, jakby to ona wprowadziła zmianę, a pozostałe były jej grupą. Te pozorne efekty pokazują, jak duże zmiany zdarzają się w grupie bez żadnej reformy. Przedział to oszacowanie minus skrajne kwantyle efektów placebo; jeśli nie obejmuje zera, zmiana w JST wyraźnie odróżnia się od tego, co i tak działo się w grupie. Wartość p to udział efektów placebo co najmniej tak dużych jak efekt JST (licząc ją samą)." }
                p { strong { "Porównanie syntetyczne." } " Jeśli jest pokazane: średnia jednostek z grupy, których wartości przed zmianą były najbliższe wartościom JST — porównanie, które najlepiej podążało za nią przed zmianą." }
                p { strong { "Czego to nie dowodzi:" } }
                ul {
                    li { "Inne zmiany w tym samym czasie — inna decyzja tej samej JST, zmiana sposobu liczenia danych, lokalne wydarzenie — dają ten sam obraz: metoda nie odróżni ich od reformy." }
                    li { "Mało jednostek porównawczych: przy N jednostkach p nie może być mniejsze niż 1/(N+1), a przedział jest szeroki; przy mniej niż 5 nic nie jest szacowane." }
                    li { "Krótkie szeregi: kilka lat przed i po słabo odróżnia trwałą zmianę od wahań; jeden nietypowy rok przesuwa średnie." }
                    li { "Grupa powinna zmieniać się tak jak JST przed rozpoczęciem (równoległe trendy): sprawdź to na wykresie. Jeśli linie rozchodziły się już wcześniej, oszacowanie niewiele mówi." }
                    li { "Jednostki, które same przeprowadziły podobną zmianę, zacierają porównanie: pomiń w grupie JST z reorganizacją tego samego rodzaju." }
                }
            }
        }
    }
}

/// The whole page: title and body.
pub fn render(
    l: L,
    f: &EvalForm,
    ch: &Choices,
    errors: &[FieldError],
    problem: Option<&str>,
    missing: &[&str],
    view: Option<&EvalView>,
) -> (String, Markup) {
    let title = l.t("Ocena zmiany na tle grupy", "Re-evaluating a change against peers").to_owned();
    let body = html! {
        style { (PreEscaped(CSS)) }
        h1 { (title) }
        p { (l.t(
            "Czy zmiana wskaźnika w JST po reformie, reorganizacji albo działaniu z planu poprawy odróżnia się od zmian, które w tych samych latach zaszły w podobnych jednostkach? Wybierz jednostkę, wskaźnik i rok, w którym zmiana się zaczęła.",
            "Does a unit's change after a reform, a reorganisation or an action of its improvement plan stand out from the changes that similar units saw over the same years? Choose the unit, the indicator and the year the change started.")) }
        (summary(l, errors))
        @if let Some(p) = problem {
            div.ev-summary role="alert" {
                h2 { (l.t("Nie udało się ocenić zmiany", "The change could not be evaluated")) }
                p { (p) }
            }
        }
        (form(l, f, ch, errors))
        @if !missing.is_empty() && errors.is_empty() && problem.is_none() && view.is_none() && (!f.jst.is_empty() || !f.wskaznik.is_empty() || !f.start.is_empty()) {
            p role="status" { (l.t("Do oceny brakuje: ", "Still needed for the evaluation: ")) (missing.join(", ")) }
        }
        @if let Some(v) = view { (result(l, v)) }
        (method(l))
    };
    (title, body)
}

// ---------------------------------------------------------------------------------------
// Reading the form.

/// A unit typed as a TERYT code or a name: its index in the snapshot.
fn find_unit(l: L, p: &Portal, typed: &str) -> Result<usize, FieldError> {
    let c = &p.c;
    if let Ok(code) = TerytCode::parse_lenient(typed) {
        return c.unit_index(code.as_str()).ok_or_else(|| FieldError {
            not_found: true,
            ..field_error("jst", format!("{}: brak danych tej jednostki", code.as_str()), format!("{}: no data for this unit", code.as_str()))
        });
    }
    if typed.chars().all(|ch| ch.is_ascii_digit() || ch.is_whitespace()) {
        return Err(field_error("jst", format!("„{typed}”: kod TERYT ma 2, 4 albo 7 cyfr"), format!("`{typed}`: a TERYT code has 2, 4 or 7 digits")));
    }
    match p.units_named(&model::fold(typed)) {
        [u] => Ok(*u),
        [] => Err(FieldError {
            not_found: true,
            ..field_error("jst", format!("„{typed}”: nie ma jednostki o tej nazwie"), format!("`{typed}`: no unit has this name"))
        }),
        many => {
            let list = many
                .iter()
                .take(8)
                .map(|&u| format!("{} ({}, {})", c.names[u], l.kind(c.kinds[u]), c.codes[u].as_str()))
                .collect::<Vec<_>>()
                .join("; ");
            Err(field_error(
                "jst",
                format!("„{typed}”: kilka jednostek ma tę nazwę, podaj kod TERYT: {list}"),
                format!("`{typed}`: several units have this name, give the TERYT code: {list}"),
            ))
        }
    }
}

fn window(raw: &str, field: &'static str) -> Result<usize, FieldError> {
    if raw.is_empty() {
        return Ok(3);
    }
    match raw.parse::<usize>() {
        Ok(n) if (1..=MAX_WINDOW).contains(&n) && raw.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(field_error(
            field,
            format!("„{}”: liczba lat od 1 do {MAX_WINDOW}", clip(raw)),
            format!("`{}`: a number of years from 1 to {MAX_WINDOW}", clip(raw)),
        )),
    }
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

/// The checked request of a complete form, or every field's problem.
pub fn request_of(l: L, p: &Portal, f: &EvalForm) -> Result<app::evaluate::EvalRequest, Vec<FieldError>> {
    let c = &p.c;
    let s = &c.snapshot;
    let (first, last) = (s.first_year(), s.first_year() + s.years() as i32 - 1);
    let mut errors = Vec::new();
    let unit = find_unit(l, p, &f.jst).map_err(|e| errors.push(e)).ok();
    let indicator = match s.indicator_index(&f.wskaznik) {
        Some(i) => Some(c.definitions[i].code.clone()),
        None => {
            errors.push(FieldError {
                not_found: true,
                ..field_error(
                    "wskaznik",
                    format!("„{}”: nie ma takiego wskaźnika", clip(&f.wskaznik)),
                    format!("`{}`: no such indicator", clip(&f.wskaznik)),
                )
            });
            None
        }
    };
    let start = match f.start.parse::<i32>() {
        Ok(y) if f.start.len() <= 4 && f.start.bytes().all(|b| b.is_ascii_digit()) && y > first && y <= last => Some(y),
        _ => {
            errors.push(field_error(
                "start",
                format!("„{}”: rok od {} do {} (przed nim musi być choć jeden rok danych)", clip(&f.start), first + 1, last),
                format!("`{}`: a year from {} to {} (at least one year of data must come before it)", clip(&f.start), first + 1, last),
            ));
            None
        }
    };
    let before = window(&f.przed, "przed").map_err(|e| errors.push(e)).ok();
    let after = window(&f.po, "po").map_err(|e| errors.push(e)).ok();
    let group = if f.grupa.is_empty() {
        Some("typology".to_owned())
    } else {
        match group_canonical(&f.grupa) {
            Some(g) => Some(g),
            None => {
                errors.push(field_error(
                    "grupa",
                    format!("„{}”: wybierz grupę z listy", clip(&f.grupa)),
                    format!("`{}`: choose a group from the list", clip(&f.grupa)),
                ));
                None
            }
        }
    };
    let exclude = if f.wyklucz.is_empty() {
        Some(None)
    } else {
        match app::reorganisations::parse_kind(&f.wyklucz) {
            Some(k) => Some(Some(k.to_owned())),
            None => {
                errors.push(field_error(
                    "wyklucz",
                    format!("„{}”: wybierz rodzaj reorganizacji z listy", clip(&f.wyklucz)),
                    format!("`{}`: choose a kind of reorganisation from the list", clip(&f.wyklucz)),
                ));
                None
            }
        }
    };
    match (unit, indicator, start, before, after, group, exclude) {
        (Some(u), Some(indicator), Some(start_year), Some(before), Some(after), Some(group), Some(exclude)) if errors.is_empty() => {
            Ok(app::evaluate::EvalRequest {
                unit: c.codes[u].as_str().to_owned(),
                indicator,
                start_year,
                group,
                before,
                after,
                exclude_reorganised: exclude,
            })
        }
        _ => Err(errors),
    }
}

/// The status of a use-case's refusal, and whether it is one (else a server error).
fn refusal_status(e: &app::AppError) -> Option<StatusCode> {
    match e {
        app::AppError::Invalid(_) => Some(StatusCode::BAD_REQUEST),
        app::AppError::NotFound(_) | app::AppError::NoCustomGroup { .. } | app::AppError::UnknownUnit { .. } | app::AppError::NoCatalogue => {
            Some(StatusCode::NOT_FOUND)
        }
        _ => None,
    }
}

/// A page of this module: `no-store` (`private` too for a signed-in user), with a language
/// link that keeps this page and its query.
pub(crate) fn respond(ctx: &Ctx, status: StatusCode, title: &str, body: Markup) -> Response {
    let l = ctx.lang;
    let mut pairs: Vec<&str> = ctx
        .query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("lang=") && !kv.starts_with("komunikat="))
        .collect();
    if !l.en {
        pairs.push("lang=en");
    }
    let other = if pairs.is_empty() { ctx.path.clone() } else { format!("{}?{}", ctx.path, pairs.join("&")) };
    let body = html! {
        p.small style="text-align:right;margin:.5rem 0 0" {
            @if l.en { a href=(other) lang="pl" hreflang="pl" { "Ta strona po polsku" } }
            @else { a href=(other) lang="en" hreflang="en" { "This page in English" } }
        }
        (body)
    };
    ctx.page(status, title, body)
}

/// `GET /ocena`.
async fn page(State(state): State<Arc<AppState>>, ctx: Ctx, q: Result<Query<Vec<(String, String)>>, QueryRejection>) -> Response {
    let l = ctx.lang;
    let Some(p) = state.portal().await else { return ctx.error(WebError::NotFound) };
    let ch = Choices::of(l, &p);
    let (f, bad_query) = match q {
        Ok(Query(pairs)) => (EvalForm::from_pairs(&pairs), false),
        Err(_) => (EvalForm::default(), true),
    };
    if bad_query {
        let e = [field_error("jst", "adres strony ma błędne kodowanie znaków", "the page's address is not properly encoded")];
        let (title, body) = render(l, &f, &ch, &e, None, &[], None);
        return respond(&ctx, StatusCode::BAD_REQUEST, &title, body);
    }
    let missing: Vec<&str> = [
        (f.jst.is_empty(), l.t("jednostka", "unit")),
        (f.wskaznik.is_empty(), l.t("wskaźnik", "indicator")),
        (f.start.is_empty(), l.t("rok rozpoczęcia", "start year")),
    ]
    .into_iter()
    .filter_map(|(m, w)| m.then_some(w))
    .collect();
    if !missing.is_empty() {
        let (title, body) = render(l, &f, &ch, &[], None, &missing, None);
        return respond(&ctx, StatusCode::OK, &title, body);
    }
    let req = match request_of(l, &p, &f) {
        Ok(r) => r,
        Err(errors) => {
            let status = if errors.iter().all(|e| e.not_found) { StatusCode::NOT_FOUND } else { StatusCode::BAD_REQUEST };
            let (title, body) = render(l, &f, &ch, &errors, None, &[], None);
            return respond(&ctx, status, &title, body);
        }
    };
    match app::evaluate::evaluate(&state.store, &p.c, &req).await {
        Ok(e) => {
            let view = EvalView::of(l, &e, &req);
            let (title, body) = render(l, &f, &ch, &[], None, &[], Some(&view));
            respond(&ctx, StatusCode::OK, &format!("{title}: {}, {}", view.unit_name, view.indicator_name), body)
        }
        Err(app::AppError::Busy) => ctx.error(WebError::Busy),
        Err(e) => match refusal_status(&e) {
            Some(status) => {
                let words = l.describe(&e);
                let (title, body) = render(l, &f, &ch, &[], Some(&words), &[], None);
                respond(&ctx, status, &title, body)
            }
            None => ctx.error(WebError::Server(e.to_string())),
        },
    }
}

// ---------------------------------------------------------------------------------------
// The API.

/// The parameters of `/api/v1/evaluation`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EvaluationParams {
    /// TERYT code of the unit.
    #[param(value_type = String, pattern = "@teryt", example = "0201011")]
    unit: Option<String>,
    /// Indicator code.
    #[param(value_type = String, pattern = "@indicator", example = "EDU_01")]
    indicator: Option<String>,
    /// The first year of the change (at least one year of data must come before it).
    #[param(value_type = i32, minimum = 1990, maximum = 2100, example = 2019)]
    start: Option<String>,
    /// typology (default), neighbours, nearest, wojewodztwo, country, custom:CODE or list:CODE,CODE.
    #[param(value_type = Option<String>, max_length = 4000, pattern = "@group")]
    group: Option<String>,
    /// Years before the start compared (default 3).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10, default = 3)]
    before: Option<String>,
    /// Years from the start on compared (default 3).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10, default = 3)]
    after: Option<String>,
    /// Leave out of the group the units with a reorganisation of this kind.
    #[param(value_type = Option<ReorganisationKind>, inline)]
    exclude_reorganised: Option<String>,
}

/// A kind of reorganisation.
#[derive(Debug, ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum ReorganisationKind {
    cuw,
    pomoc_spoleczna,
    siec_szkol,
    inna,
}

/// A re-evaluation: the unit's change against the peers' over the same years (difference in
/// differences) with its placebo interval; the fields of `miernik evaluate --format json`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationDto {
    pub unit: String,
    pub unit_name: String,
    pub indicator: String,
    pub name_pl: String,
    pub name_en: String,
    pub measure_unit: String,
    /// higher_better, lower_better or neutral.
    pub polarity: String,
    /// The peer group as resolved at the start year (its label).
    pub group: String,
    pub start: i32,
    pub before: usize,
    pub after: usize,
    /// The means of the unit's values over the years before and from the start on.
    pub unit_before: f64,
    pub unit_after: f64,
    pub unit_change: f64,
    /// The mean over the peers of (after − before).
    pub peers_change: f64,
    /// unit_change − peers_change.
    pub estimate: f64,
    /// The placebo interval: [low, high].
    pub interval: [f64; 2],
    /// The interval's level (0.95).
    pub level: f64,
    /// (1 + placebo estimates at least as large in absolute value) / (1 + n_peers).
    pub p_value: f64,
    /// Zero lies outside the placebo interval.
    pub stands_out: bool,
    pub n_peers: usize,
    /// Units of the group left out for a reorganisation of the kind asked to exclude.
    pub excluded: Vec<String>,
    /// better, worse, not_distinguishable or neutral (stands out, no better direction).
    pub verdict: String,
    pub verdict_pl: String,
    pub verdict_en: String,
    /// The comparison with the nearest peers' mean, if one was built.
    pub synthetic: Option<SyntheticDto>,
    pub years: Vec<i32>,
    pub unit_series: Vec<Option<f64>>,
    pub peers_mean: Vec<Option<f64>>,
    /// Each kept peer's placebo estimate (not in the CLI's JSON).
    pub placebo: Vec<f64>,
}

/// The synthetic comparison.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyntheticDto {
    /// unit_change − the synthetic unit's change.
    pub estimate: f64,
    /// Its members, nearest first.
    pub members: Vec<MemberDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDto {
    pub code: String,
    pub name: String,
}

fn json_error(status: StatusCode, code: &str, message: String, parameter: Option<&str>) -> Response {
    let body = ApiErrorBody { code: code.to_owned(), message, parameter: parameter.map(str::to_owned) };
    let mut res = (status, [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], axum::Json(body)).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    }
    res
}

/// A use-case's error about `parameter` as the API answers it.
pub(crate) fn api_app_error(parameter: &str, e: app::AppError) -> Response {
    match e {
        app::AppError::Busy => ApiError::busy().into_response(),
        app::AppError::Invalid(m) => ApiError::bad(parameter, m).into_response(),
        e @ (app::AppError::NotFound(_) | app::AppError::NoCustomGroup { .. } | app::AppError::UnknownUnit { .. } | app::AppError::NoCatalogue) => {
            ApiError::not_found(parameter, L { en: true }.describe(&e)).into_response()
        }
        e => {
            tracing::error!("api: {e}");
            json_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "try again in a moment".into(), None)
        }
    }
}

/// A JSON answer with an ETag (`304` when the client holds it), public for a minute.
pub(crate) fn json_answer<T: Serialize>(headers: &HeaderMap, value: &T) -> Response {
    use std::hash::{Hash, Hasher};
    let body = match serde_json::to_vec(value) {
        Ok(b) => b,
        Err(e) => return json_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", format!("{e}"), None),
    };
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    let etag = format!("\"{:016x}\"", h.finish());
    let tag = HeaderValue::from_str(&etag).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    let held =
        headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if held {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (header::ETAG, tag),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60")),
        ],
        body,
    )
        .into_response()
}

/// An API answer other than the one asked for (an error), boxed: a response is large.
pub(crate) struct Refused(Box<Response>);

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Refused {
        Refused(Box::new(e.into_response()))
    }
}

impl From<Response> for Refused {
    fn from(r: Response) -> Refused {
        Refused(Box::new(r))
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// The parameters of a query, or a 400 naming the one not taken (unknown or repeated).
pub(crate) fn api_params<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, Refused> {
    q.map(|Query(t)| t).map_err(|e| {
        let text = e.body_text();
        let detail = text.strip_prefix("Failed to deserialize query string: ").unwrap_or(&text).trim_start_matches(": ");
        match detail.split('`').nth(1).filter(|p| !p.is_empty()) {
            Some(parameter) => ApiError::bad(parameter, detail).into(),
            None => ApiError::bad("query", detail.replace("unknown field ``", "a parameter without a name")).into(),
        }
    })
}

/// The group names `group` takes besides `custom:` and `list:` (as `/api/v1/compare`).
const GROUP_NAMES: [&str; 11] =
    ["country", "kraj", "wojewodztwo", "typology", "typologia", "neighbours", "sasiedzi", "sąsiedzi", "nearest", "najblizsi", "najbliżsi"];

fn api_unit(v: &Option<String>, parameter: &str) -> Result<TerytCode, Refused> {
    let s = v.as_deref().unwrap_or("");
    if s.is_empty() {
        return Err(ApiError::bad(parameter, "a TERYT code is needed").into());
    }
    if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::bad(parameter, format!("`{}`: a TERYT code is PL or 2, 4 or 7 digits", clip(s))).into());
    }
    TerytCode::parse_lenient(s).map_err(|e| ApiError::bad(parameter, format!("`{}`: {e}", clip(s))).into())
}

fn api_number(v: &Option<String>, parameter: &str, default: Option<usize>, min: usize, max: usize) -> Result<usize, Refused> {
    let what = format!("a whole number from {min} to {max}");
    match (v.as_deref(), default) {
        (None, Some(d)) => Ok(d),
        (None, None) => Err(ApiError::bad(parameter, format!("{what} is needed")).into()),
        (Some(s), _) => match s.parse::<usize>() {
            Ok(n) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (min..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::bad(parameter, format!("`{}`: {what}", clip(s))).into()),
        },
    }
}

fn api_group(v: &Option<String>) -> Result<String, Refused> {
    let bad = |m: String| -> Refused { ApiError::bad("group", m).into() };
    let Some(g) = v.as_deref() else { return Ok("typology".to_owned()) };
    if g.is_empty() {
        return Err(bad("empty: give a group, or leave `group` out".into()));
    }
    if g.chars().count() > 4000 {
        return Err(bad(format!("{} characters, at most 4000", g.chars().count())));
    }
    if GROUP_NAMES.contains(&g) {
        return Ok(g.to_owned());
    }
    if let Some(code) = g.strip_prefix("custom:") {
        if (1..=40).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Ok(g.to_owned());
        }
        return Err(bad(format!("`{}`: a custom group's code is 1-40 letters, digits, `_` or `-`", clip(g))));
    }
    if let Some(list) = g.strip_prefix("list:").or_else(|| g.strip_prefix("lista:")) {
        for code in list.split(',') {
            api_unit(&Some(code.to_owned()), "group").map_err(|_| bad(format!("list: `{}` is not a TERYT code", clip(code))))?;
        }
        return Ok(g.to_owned());
    }
    Err(bad(format!("`{}`: use {}", clip(g), app::GROUP_HELP)))
}

/// The API parameter a use-case's refusal is about: its message names it first (`group: …`,
/// `start year: …`).
fn parameter_of(e: &app::AppError) -> &'static str {
    let message = match e {
        app::AppError::NoCustomGroup { .. } => return "group",
        app::AppError::Invalid(m) | app::AppError::NotFound(m) => m.as_str(),
        _ => "",
    };
    let named = [("unit:", "unit"), ("indicator:", "indicator"), ("group:", "group"), ("before:", "before"), ("after:", "after")];
    named.iter().find(|(prefix, _)| message.starts_with(prefix)).map_or("start", |(_, p)| p)
}

/// The DTO of an evaluation: as `miernik evaluate --format json` writes it.
pub fn evaluation_dto(e: &app::evaluate::Evaluation) -> EvaluationDto {
    let est = &e.estimate;
    let (pl, en) = e.verdict.words();
    EvaluationDto {
        unit: e.unit_code.clone(),
        unit_name: e.unit_name.clone(),
        indicator: e.indicator_code.clone(),
        name_pl: e.name_pl.clone(),
        name_en: e.name_en.clone(),
        measure_unit: e.measure_unit.clone(),
        polarity: e.polarity.as_str().to_owned(),
        group: e.group_label.clone(),
        start: e.start_year,
        before: e.before,
        after: e.after,
        unit_before: est.unit_before,
        unit_after: est.unit_after,
        unit_change: est.unit_change,
        peers_change: est.peers_change,
        estimate: est.estimate,
        interval: [est.interval.0, est.interval.1],
        level: e.level,
        p_value: est.p_value,
        stands_out: est.stands_out,
        n_peers: est.n_peers,
        excluded: e.excluded.clone(),
        verdict: e.verdict.code().to_owned(),
        verdict_pl: pl.to_owned(),
        verdict_en: en.to_owned(),
        synthetic: est.synthetic.as_ref().map(|s| SyntheticDto {
            estimate: s.estimate,
            members: e.synthetic_members.iter().map(|(code, name)| MemberDto { code: code.clone(), name: name.clone() }).collect(),
        }),
        years: e.years.clone(),
        unit_series: e.unit_series.clone(),
        peers_mean: e.peers_mean.clone(),
        placebo: est.placebo.clone(),
    }
}

/// A unit's change from before to after a start year against its peer group's over the same
/// years (difference in differences), with the placebo interval: the same estimate for every
/// peer as if it had acted.
#[utoipa::path(get, path = "/api/v1/evaluation", tag = "data", params(EvaluationParams),
    responses((status = 200, description = "Ocena zmiany / The re-evaluation", body = EvaluationDto), (status = 400, description = "Zły parametr albo za mało danych / Bad parameter or too little data", body = ApiErrorBody), (status = 404, description = "Nie ma takiej jednostki, wskaźnika albo grupy / No such unit, indicator or group", body = ApiErrorBody), (status = 503, description = "Brak danych / No snapshot yet", body = ApiErrorBody)))]
pub(crate) async fn evaluation(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    q: Result<Query<EvaluationParams>, QueryRejection>,
) -> Response {
    match evaluation_answer(&state, &headers, q).await {
        Ok(r) => r,
        Err(r) => r.into_response(),
    }
}

async fn evaluation_answer(state: &AppState, headers: &HeaderMap, q: Result<Query<EvaluationParams>, QueryRejection>) -> Result<Response, Refused> {
    let q = api_params(q)?;
    let unit = api_unit(&q.unit, "unit")?;
    let indicator = match q.indicator.as_deref() {
        None | Some("") => return Err(ApiError::bad("indicator", "an indicator code is needed").into()),
        Some(s) if s.len() > 32 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
            return Err(ApiError::bad("indicator", format!("`{}`: an indicator code is 1-32 letters, digits or `_`", clip(s))).into());
        }
        Some(s) => s.to_owned(),
    };
    let start = api_number(&q.start, "start", None, 1990, 2100)? as i32;
    let group = api_group(&q.group)?;
    let before = api_number(&q.before, "before", Some(3), 1, MAX_WINDOW)?;
    let after = api_number(&q.after, "after", Some(3), 1, MAX_WINDOW)?;
    let exclude = match q.exclude_reorganised.as_deref() {
        None => None,
        Some(k) => match app::reorganisations::KINDS.iter().find(|(c, _, _)| *c == k) {
            Some((c, _, _)) => Some((*c).to_owned()),
            None => {
                let codes: Vec<&str> = app::reorganisations::KINDS.iter().map(|k| k.0).collect();
                return Err(ApiError::bad("exclude_reorganised", format!("`{}`: one of {}", clip(k), codes.join(", "))).into());
            }
        },
    };
    let Some(p) = state.portal().await else {
        return Err(json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "no indicator snapshot yet: import a catalogue and data, or wait for the build".into(),
            None,
        )
        .into());
    };
    let c = &p.c;
    if c.unit_index(unit.as_str()).is_none() {
        return Err(ApiError::not_found("unit", format!("no unit {} with data", unit.as_str())).into());
    }
    if c.snapshot.indicator_index(&indicator).is_none() {
        return Err(ApiError::not_found("indicator", format!("no indicator `{}`", clip(&indicator))).into());
    }
    let (first, last) = (c.snapshot.first_year(), c.snapshot.first_year() + c.snapshot.years() as i32 - 1);
    if start <= first || start > last {
        return Err(ApiError::not_found("start", format!("{start}: the data has years {first}–{last}; the start must be after {first}")).into());
    }
    let req = app::evaluate::EvalRequest {
        unit: unit.as_str().to_owned(),
        indicator,
        start_year: start,
        group,
        before,
        after,
        exclude_reorganised: exclude,
    };
    match app::evaluate::evaluate(&state.store, c, &req).await {
        Ok(e) => Ok(json_answer(headers, &evaluation_dto(&e))),
        Err(e) => {
            let parameter = parameter_of(&e);
            Err(api_app_error(parameter, e).into())
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    fn view() -> EvalView {
        EvalView {
            unit_code: "0201011".into(),
            unit_name: "Bolesławiec".into(),
            indicator_code: "X_01".into(),
            indicator_name: "Udział kosztów obsługi".into(),
            measure_unit: "%".into(),
            decimals: 1,
            polarity: Polarity::LowerBetter,
            group_label: "typology: gmina_miejska:20-50k".into(),
            start_year: 2019,
            before: 3,
            after: 3,
            years: (2014..=2024).collect(),
            unit_series: (0..11).map(|k| Some(20.0 - if k >= 5 { 4.0 } else { 0.0 })).collect(),
            peers_mean: vec![Some(20.0); 11],
            synthetic: None,
            synthetic_estimate: None,
            unit_before: 20.0,
            unit_after: 16.0,
            unit_change: -4.0,
            peers_change: 0.1,
            estimate: -4.1,
            interval: (-5.0, -3.2),
            level: 0.95,
            p_value: 1.0 / 21.0,
            stands_out: true,
            n_peers: 20,
            placebo: (0..20).map(|k| (k as f64 - 10.0) / 10.0).collect(),
            judgement: Judgement::Better,
            excluded: vec![],
            synthetic_members: vec![],
        }
    }

    #[test]
    fn the_result_says_the_verdict_and_has_both_charts_with_their_tables() {
        for l in [L::PL, L { en: true }] {
            let html = result(l, &view()).into_string();
            assert!(html.contains(Judgement::Better.words(l)), "{html}");
            assert_eq!(html.matches("<svg").count(), 2);
            assert!(html.contains("class=\"start-mark\""), "the start year is marked");
            // The series' table: a row per year, the start year's marked.
            assert_eq!(html.matches("<th scope=\"row\">20").count(), 11);
            assert!(html.contains("<tr class=\"sel\"><th scope=\"row\">2019 ("));
            // The placebo effects at least as large as the unit's: none of them.
            assert_eq!(view().as_large(), 0);
        }
    }

    #[test]
    fn a_change_within_the_placebo_effects_is_said_not_to_stand_out() {
        let mut v = view();
        v.judgement = Judgement::NotDistinguishable;
        v.estimate = 0.5;
        // −1.0 … −0.5 and 0.5 … 0.9: eleven placebo effects at least as large.
        assert_eq!(v.as_large(), 11);
        let html = result(L::PL, &v).into_string();
        assert!(html.contains("Zmiana nie odróżnia się od zmian w grupie"));
        assert!(p_words(L::PL, &v).starts_with("W 11 z 20 porównań placebo"));
    }

    #[test]
    fn the_start_year_is_drawn_where_the_chart_puts_that_year() {
        let years: Vec<i32> = (2014..=2024).collect();
        let s = vec![viz::Series { name: "a".into(), values: years.iter().map(|&y| Some(y as f64)).collect() }];
        let svg = viz::lines("t", "T", "D", &years, &s, &|v| v.to_string());
        let marked = mark_year(&svg, &years, 2019, "start 2019");
        assert!(marked.ends_with("</svg>"));
        let mark = marked.split("class=\"start-mark\"").nth(1).unwrap();
        // 2019 is the 6th of 11 years: x = 74 + 5 × 544 / 10.
        assert!(mark.contains("x1=\"346.0\""), "{mark}");
        // A year outside the chart leaves it as it was.
        assert_eq!(mark_year(&svg, &years, 2030, "x"), svg);
    }

    #[test]
    fn quantiles_are_r7() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), Some(2.5));
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&v, 1.0), Some(4.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn the_form_shows_each_error_beside_its_field_and_keeps_what_was_typed() {
        let f = EvalForm { jst: "Nibylandia".into(), start: "abc".into(), ..EvalForm::default() };
        let errors = [field_error("start", "zły rok", "bad year")];
        let html = form(L::PL, &f, &Choices { first_year: 2010, last_year: 2024, ..Choices::default() }, &errors).into_string();
        assert!(html.contains("value=\"Nibylandia\""));
        assert!(html.contains("id=\"ev-start\" name=\"start\" type=\"text\" inputmode=\"numeric\" value=\"abc\""));
        assert!(html.contains("aria-describedby=\"ev-start-err\""));
        assert!(html.contains("id=\"ev-start-err\">zły rok"));
        let (_, page) = render(L::PL, &f, &Choices::default(), &errors, None, &[], None);
        assert!(page.into_string().contains("href=\"#ev-start\""));
    }

    #[test]
    fn the_query_of_a_form_reads_back_as_the_same_form() {
        let f = EvalForm {
            jst: "Nowa Wieś".into(),
            wskaznik: "EDU_01".into(),
            start: "2019".into(),
            grupa: "typologia".into(),
            przed: "3".into(),
            po: "4".into(),
            wyklucz: "cuw".into(),
        };
        let pairs: Vec<(String, String)> = serde_urlencoded_pairs(&f.query());
        assert_eq!(EvalForm::from_pairs(&pairs), f);
    }

    fn serde_urlencoded_pairs(q: &str) -> Vec<(String, String)> {
        let uri: axum::http::Uri = format!("/ocena?{q}").parse().unwrap();
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&uri).unwrap();
        pairs
    }
}
