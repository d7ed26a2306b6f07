//! SVG charts and maps from plain data: sparklines, quartile bars, distribution plots, time
//! series with a band (this file), choropleth and link maps (`map.rs`), class breaks, ticks and
//! the palette (`breaks.rs`).
//!
//! No I/O and no dependencies. Every word and every number format comes from the caller (the
//! page's language): labels are `&str`, numbers go through a `&dyn Fn(f64) -> String`.
//!
//! Contract of every function that draws:
//!
//! * it returns one `<svg>` element, server-rendered, without JavaScript; charts carry
//!   `role="img"` and `aria-labelledby` pointing at their `<title>` (and `<desc>`); maps, whose
//!   areas are links, carry `role="group"` instead, because the children of an `img` are
//!   hidden from assistive technology and the links must stay reachable;
//! * every id inside is derived from the caller's `id` (`{id}-t`, `{id}-d`, `{id}-nd`), so a
//!   page holding many charts must give each a different `id`; characters other than ASCII
//!   letters, digits, `-` and `_` become `_` and an id not starting with a letter gets a `v`
//!   in front (so it is valid in CSS selectors and `url(#…)` references);
//! * every caller-provided string is XML-escaped;
//! * coordinates are written with at most one decimal and no input (empty, all missing, NaN,
//!   infinities, 1e308, min = max) makes it panic or write NaN or inf;
//! * text is #1a1a1a on white (contrast 17:1), lines and marks that carry meaning have at least
//!   3:1 against white, and information is never told by colour alone: the unit's marker is a
//!   shape (a black diamond or triangle with a white outline), the best end of a quartile bar
//!   is marked "+", the median is dashed, "no data" on a map is hatched.
//!
//! ```
//! use viz::{Direction, Quartiles, quartile_bar};
//! let q = Quartiles { min: 0.0, q1: 20.0, median: 35.0, q3: 60.0, max: 100.0 };
//! let svg = quartile_bar("qb-1", "Mediana 35, ta gmina 72", &q, Some(72.0), Direction::HigherBetter);
//! assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" id="qb-1" role="img" aria-labelledby="qb-1-t""#));
//! ```

mod breaks;
mod charts;
mod map;

use std::fmt::{self, Display, Write};

pub use breaks::{MAX_CLASSES, class_of, natural_breaks, nice_ticks, palette, quantile_breaks};
pub use charts::{SERIES, Series, bars, lines};
pub use map::{Legend, MapArea, MapGeometry, Shape, choropleth, choropleth_map, legend_swatches, link_map};

/// Which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    HigherBetter,
    LowerBetter,
    Neutral,
}

/// A group's five-number summary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quartiles {
    pub min: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub max: f64,
}

/// One year of a time series: the unit's value and its group's quartiles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesPoint {
    pub year: i32,
    pub unit: Option<f64>,
    pub q1: Option<f64>,
    pub median: Option<f64>,
    pub q3: Option<f64>,
}

/// The captions of a time series' three layers (an empty `unit` leaves the unit's line out).
#[derive(Debug, Clone, Copy)]
pub struct SeriesLegend<'a> {
    pub unit: &'a str,
    pub median: &'a str,
    pub band: &'a str,
}

/// Text written XML-escaped (element content and attribute values alike); characters XML 1.0
/// does not allow become spaces.
pub(crate) struct Esc<'a>(pub &'a str);

impl Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let mut from = 0;
        for (i, c) in s.char_indices() {
            let rep = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                '\t' | '\n' | '\r' => continue,
                c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => " ",
                _ => continue,
            };
            f.write_str(&s[from..i])?;
            f.write_str(rep)?;
            from = i + c.len_utf8();
        }
        f.write_str(&s[from..])
    }
}

/// A coordinate with at most one decimal ("12.3", "12", "-0.5"); 0 for non-finite, clamped
/// to ±10⁹ (far outside any drawing). Written straight into the output (no allocation):
/// charts write thousands of them.
pub(crate) struct N(pub f64);

impl Display for N {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_tenths(f, tenths(self.0), false)
    }
}

/// `x` in whole tenths, clamped so it always fits (0 for non-finite).
pub(crate) fn tenths(x: f64) -> i64 {
    if x.is_finite() { (x.clamp(-1e9, 1e9) * 10.0).round() as i64 } else { 0 }
}

/// Writes `t` tenths as a decimal: "12.3", "-4", ".5" (without the leading zero when `short`).
pub(crate) fn write_tenths(f: &mut impl Write, t: i64, short: bool) -> fmt::Result {
    let a = t.unsigned_abs();
    if t < 0 {
        f.write_char('-')?;
    }
    let (int, frac) = (a / 10, a % 10);
    if int != 0 || !short || frac == 0 {
        write!(f, "{int}")?;
    }
    if frac != 0 {
        write!(f, ".{frac}")?;
    }
    Ok(())
}

/// The caller's id made safe for XML ids, IDREFs, CSS selectors and `url(#…)`.
pub(crate) fn clean_id(id: &str) -> String {
    let mut out = String::with_capacity(id.len() + 1);
    if !id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.push('v');
    }
    out.extend(id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }));
    out
}

/// How the root element is sized.
#[derive(Clone, Copy)]
enum Size {
    /// Fills its container's width (`width="100%"`), the height follows the viewBox.
    Fluid,
    /// A fixed size in CSS pixels for table cells, shrinking when the cell is narrower.
    Fixed,
}

fn open(out: &mut String, id: &str, title: &str, desc: Option<&str>, w: f64, h: f64, size: Size) -> String {
    let id = clean_id(id);
    let d = if desc.is_some() { format!(" {id}-d") } else { String::new() };
    let _ =
        write!(out, r#"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" role="img" aria-labelledby="{id}-t{d}" viewBox="0 0 {} {}" "#, N(w), N(h));
    let _ = match size {
        Size::Fluid => write!(out, r#"width="100%" preserveAspectRatio="xMidYMid meet">"#),
        Size::Fixed => write!(out, r#"width="{}" height="{}" style="max-width:100%;height:auto" preserveAspectRatio="xMidYMid meet">"#, N(w), N(h)),
    };
    let _ = write!(out, r#"<title id="{id}-t">{}</title>"#, Esc(title));
    if let Some(desc) = desc {
        let _ = write!(out, r#"<desc id="{id}-d">{}</desc>"#, Esc(desc));
    }
    id
}

/// A linear scale from `lo..hi` onto `a..b` (the middle when the domain is one point); halves
/// keep `hi - lo` finite even for ±1e308.
fn scale(lo: f64, hi: f64, a: f64, b: f64) -> impl Fn(f64) -> f64 {
    let span = hi / 2.0 - lo / 2.0;
    move |x| if span > 0.0 && span.is_finite() { a + ((x / 2.0 - lo / 2.0) / span).clamp(-1.0, 2.0) * (b - a) } else { (a + b) / 2.0 }
}

/// The smallest and largest finite value.
fn finite_range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.filter(|v| v.is_finite()).fold(None, |acc, v| Some(acc.map_or((v, v), |(a, b): (f64, f64)| (a.min(v), b.max(v)))))
}

/// The first and last tick (or the range itself when there are none).
fn tick_range(ticks: &[f64], lo: f64, hi: f64) -> (f64, f64) {
    (ticks.first().copied().unwrap_or(lo), ticks.last().copied().unwrap_or(hi))
}

/// Horizontal gridlines at `ticks` from `left` to `right`, each labelled on the left.
pub(crate) fn value_grid(out: &mut String, ticks: &[f64], left: f64, right: f64, y: &dyn Fn(f64) -> f64, fmt: &dyn Fn(f64) -> String) {
    for &t in ticks {
        let _ = write!(
            out,
            r##"<line x1="{}" x2="{}" y1="{ty}" y2="{ty}" stroke="#d9d9d9"/><text x="{}" y="{}" text-anchor="end">{}</text>"##,
            N(left),
            N(right),
            N(left - 6.0),
            N(y(t) + 4.5),
            Esc(&fmt(t)),
            ty = N(y(t))
        );
    }
}

/// The text colour: 17:1 on white.
const INK: &str = "#1a1a1a";

/// A small trend line (80 × 20 CSS px) for a table cell: a gap where a year is missing (a lone
/// year between gaps is a small dot), the last year with a value a bigger dot. `title` is the
/// accessible name and tooltip, so it should say what the line shows in words.
pub fn sparkline(id: &str, title: &str, values: &[Option<f64>]) -> String {
    let (w, h) = (80.0, 20.0);
    let mut out = String::with_capacity(300 + values.len() * 14);
    open(&mut out, id, title, None, w, h, Size::Fixed);
    let vals: Vec<Option<f64>> = values.iter().map(|v| v.filter(|x| x.is_finite())).collect();
    if let Some((lo, hi)) = finite_range(vals.iter().flatten().copied()) {
        let x = scale(0.0, (vals.len().max(2) - 1) as f64, 3.0, w - 4.0);
        let y = scale(lo, hi, h - 3.0, 3.0);
        let _ = write!(out, r##"<path d=""##);
        let mut pen = false;
        for (i, v) in vals.iter().enumerate() {
            match v {
                Some(v) => {
                    let _ = write!(out, "{}{} {}", if pen { 'L' } else { 'M' }, N(x(i as f64)), N(y(*v)));
                    pen = true;
                }
                None => pen = false,
            }
        }
        let _ = write!(out, r##"" fill="none" stroke="#1f4e79" stroke-width="1.5" stroke-linejoin="round"/>"##);
        let last = vals.iter().rposition(Option::is_some);
        for (i, v) in vals.iter().enumerate() {
            let Some(v) = v else { continue };
            let alone = (i == 0 || vals[i - 1].is_none()) && vals.get(i + 1).is_none_or(Option::is_none);
            if Some(i) == last || alone {
                let r = if Some(i) == last { 2.5 } else { 1.5 };
                let _ = write!(out, r##"<circle cx="{}" cy="{}" r="{r}" fill="#1f4e79"/>"##, N(x(i as f64)), N(y(*v)));
            }
        }
    }
    out.push_str("</svg>");
    out
}

/// Quarters' colours worst → best: light orange to dark blue (the orange–blue axis that
/// colour-blind readers tell apart), the best quarter darkest.
const WORST_TO_BEST: [&str; 4] = ["#fdb863", "#fee0b6", "#9ecae1", "#2166ac"];
/// Neutral indicators: the middle half darker than the outer quarters, no order of merit.
const NEUTRAL: [&str; 4] = ["#e0e0e0", "#a6a6a6", "#a6a6a6", "#e0e0e0"];

/// The five numbers in order with missing ones taken from a neighbour; none when all are missing.
fn five(q: &Quartiles) -> Option<[f64; 5]> {
    let mut v = [q.min, q.q1, q.median, q.q3, q.max];
    let first = v.iter().copied().find(|x| x.is_finite())?;
    let mut prev = first;
    for x in &mut v {
        if x.is_finite() {
            prev = *x;
        } else {
            *x = prev;
        }
    }
    v.sort_by(f64::total_cmp);
    Some(v)
}

/// A bar (160 × 24 CSS px) from the group's minimum to its maximum split at the quartiles into
/// four quarters, shaded from worst (light orange) to best (dark blue) by `dir`, the best end
/// also marked "+" (none for [`Direction::Neutral`], whose middle half is the darker grey).
/// The median is a white-edged dark tick, the unit's value a black diamond with a white
/// outline on a full-height line; `value` outside min..max widens the scale to show it.
/// The bar has no words of its own: `title` must say it all (median, quartiles, the value).
pub fn quartile_bar(id: &str, title: &str, q: &Quartiles, value: Option<f64>, dir: Direction) -> String {
    let (w, h) = (160.0, 24.0);
    let mut out = String::with_capacity(1200);
    open(&mut out, id, title, None, w, h, Size::Fixed);
    let value = value.filter(|v| v.is_finite());
    let Some(cuts) = five(q) else {
        out.push_str("</svg>");
        return out;
    };
    let Some((lo, hi)) = finite_range(cuts.into_iter().chain(value)) else {
        out.push_str("</svg>");
        return out;
    };
    let (left, right) = (10.0, w - 10.0);
    let x = scale(lo, hi, left, right);
    let cut = cuts.map(&x);
    let colours: [&str; 4] = match dir {
        Direction::HigherBetter => WORST_TO_BEST,
        Direction::LowerBetter => [WORST_TO_BEST[3], WORST_TO_BEST[2], WORST_TO_BEST[1], WORST_TO_BEST[0]],
        Direction::Neutral => NEUTRAL,
    };
    for k in 0..4 {
        let _ = write!(out, r#"<rect x="{}" y="7" width="{}" height="10" fill="{}"/>"#, N(cut[k]), N(cut[k + 1] - cut[k]), colours[k]);
    }
    // White seams between the quarters (their colours alone would not part them), then the frame.
    for c in [cut[1], cut[3]] {
        let _ = write!(out, r##"<line x1="{c}" x2="{c}" y1="7" y2="17" stroke="#fff"/>"##, c = N(c));
    }
    let _ = write!(
        out,
        r##"<rect x="{}" y="7" width="{}" height="10" fill="none" stroke="#595959" stroke-width=".75"/>"##,
        N(cut[0]),
        N(cut[4] - cut[0])
    );
    let _ = write!(
        out,
        r##"<line x1="{m}" x2="{m}" y1="5" y2="19" stroke="#fff" stroke-width="3"/><line x1="{m}" x2="{m}" y1="5" y2="19" stroke="{INK}"/>"##,
        m = N(cut[2])
    );
    let plus = match dir {
        Direction::HigherBetter => Some(w - 7.5),
        Direction::LowerBetter => Some(1.5),
        Direction::Neutral => None,
    };
    if let Some(px) = plus {
        let _ = write!(out, r#"<text x="{}" y="16" font-size="11" font-weight="700" fill="{INK}">+</text>"#, N(px));
    }
    if let Some(v) = value {
        let vx = x(v);
        let _ = write!(
            out,
            r##"<line x1="{vx}" x2="{vx}" y1="1" y2="23" stroke="#000" stroke-width="1.5"/><path d="M{vx} 5L{r} 12L{vx} 19L{l} 12Z" fill="#000" stroke="#fff"/>"##,
            vx = N(vx),
            r = N(vx + 5.0),
            l = N(vx - 5.0)
        );
    }
    out.push_str("</svg>");
    out
}

/// A deterministic jitter in 0..1 from a dot's index and value (splitmix64).
fn jitter(i: usize, v: f64) -> f64 {
    let mut z = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ v.to_bits();
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// The median of sorted values.
fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some(sorted[n / 2 - 1] / 2.0 + sorted[n / 2] / 2.0),
    }
}

/// A group's values (640 × 160): one dot a unit, scattered up and down by a deterministic
/// jitter (a 40-bin histogram above 400 values), an x axis with about five nice ticks
/// formatted by `fmt`, the group's median a dashed line, the selected value a black line with
/// a black triangle and the text "`selected_label` `fmt(value)`" above it. Non-finite values
/// are skipped. `desc` should say in words what the chart shows (the page's sentence).
pub fn distribution(
    id: &str,
    title: &str,
    desc: &str,
    values: &[f64],
    selected: Option<f64>,
    selected_label: &str,
    fmt: &dyn Fn(f64) -> String,
) -> String {
    let (w, h) = (640.0, 160.0);
    let (left, right, top, axis) = (36.0, w - 36.0, 30.0, 122.0);
    let mut vals: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let selected = selected.filter(|v| v.is_finite());
    let mut out = String::with_capacity(2048 + vals.len().min(400) * 40);
    open(&mut out, id, title, Some(desc), w, h, Size::Fluid);
    let Some((lo, hi)) = finite_range(vals.iter().copied().chain(selected)) else {
        out.push_str("</svg>");
        return out;
    };
    let ticks = nice_ticks(lo, hi, 5);
    let (t0, t1) = tick_range(&ticks, lo, hi);
    let x = scale(t0, t1, left, right);
    if vals.len() > 400 {
        let bins = 40usize;
        let mut counts = vec![0usize; bins];
        let bin = scale(t0, t1, 0.0, bins as f64);
        for &v in &vals {
            counts[(bin(v).floor().max(0.0) as usize).min(bins - 1)] += 1;
        }
        let most = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
        let bw = (right - left) / bins as f64;
        out.push_str(r##"<g fill="#4f7cac">"##);
        for (b, &c) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            let bh = ((axis - top) * c as f64 / most).max(1.0);
            let _ = write!(out, r#"<rect x="{}" y="{}" width="{}" height="{}"/>"#, N(left + b as f64 * bw + 0.5), N(axis - bh), N(bw - 1.0), N(bh));
        }
        out.push_str("</g>");
    } else if !vals.is_empty() {
        out.push_str(r##"<g fill="#4f7cac" fill-opacity=".45" stroke="#2b5580" stroke-width=".75">"##);
        for (i, &v) in vals.iter().enumerate() {
            let _ = write!(out, r#"<circle cx="{}" cy="{}" r="3.5"/>"#, N(x(v)), N(top + 8.0 + jitter(i, v) * (axis - top - 16.0)));
        }
        out.push_str("</g>");
    }
    let _ = write!(out, r##"<line x1="{}" x2="{}" y1="{a}" y2="{a}" stroke="#595959"/>"##, N(left), N(right), a = N(axis));
    out.push_str(r##"<g font-size="13" text-anchor="middle" fill="#1a1a1a">"##);
    for &t in &ticks {
        let _ = write!(
            out,
            r##"<line x1="{tx}" x2="{tx}" y1="{a}" y2="{b}" stroke="#595959"/><text x="{tx}" y="{ty}">{}</text>"##,
            Esc(&fmt(t)),
            tx = N(x(t)),
            a = N(axis),
            b = N(axis + 5.0),
            ty = N(axis + 20.0)
        );
    }
    out.push_str("</g>");
    vals.sort_by(f64::total_cmp);
    if let Some(med) = median(&vals) {
        let _ = write!(
            out,
            r#"<line x1="{m}" x2="{m}" y1="{}" y2="{}" stroke="{INK}" stroke-width="1.5" stroke-dasharray="5 3"/>"#,
            N(top),
            N(axis),
            m = N(x(med))
        );
    }
    if let Some(v) = selected {
        let sx = x(v);
        let anchor = if sx > w * 0.75 {
            "end"
        } else if sx < w * 0.25 {
            "start"
        } else {
            "middle"
        };
        let text = fmt(v);
        let label = selected_label.trim();
        let _ = write!(
            out,
            r##"<line x1="{sx}" x2="{sx}" y1="{}" y2="{}" stroke="#000" stroke-width="2"/><path d="M{sx} {}L{} {}L{} {}Z" fill="#000" stroke="#fff"/><text x="{sx}" y="14" font-size="13" font-weight="700" text-anchor="{anchor}" fill="{INK}">{}{}{}</text>"##,
            N(top - 4.0),
            N(axis),
            N(top),
            N(sx + 6.0),
            N(top - 10.0),
            N(sx - 6.0),
            N(top - 10.0),
            Esc(label),
            if label.is_empty() { "" } else { " " },
            Esc(&text),
            sx = N(sx)
        );
    }
    out.push_str("</svg>");
    out
}

/// The width a text of `s` takes at `size` px, roughly (average sans-serif glyph).
pub(crate) fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.56
}

/// A time series (640 × 240, taller when the legend needs two rows): the group's interquartile
/// band (light blue fill), its median (dashed grey line), the unit's line (solid black, a
/// white-edged dot a year); a y axis of about five nice ticks formatted by `fmt`, the years
/// below (at most about ten labels), and a legend with the three captions on top. Points are
/// drawn in year order; missing values leave gaps. `desc` should say in words what it shows.
pub fn time_series(id: &str, title: &str, desc: &str, points: &[SeriesPoint], legend: &SeriesLegend<'_>, fmt: &dyn Fn(f64) -> String) -> String {
    let w = 640.0;
    let fs = 13.0;
    let mut pts: Vec<SeriesPoint> = points.to_vec();
    pts.sort_by_key(|p| p.year);
    let ok = |v: Option<f64>| v.filter(|v| v.is_finite());
    let show_unit = !legend.unit.is_empty();
    // The legend's items, laid out in rows first: it decides where the plot starts.
    let items: Vec<(u8, &str)> = [(0, legend.band), (1, legend.median), (2, legend.unit)].into_iter().filter(|(k, _)| *k != 2 || show_unit).collect();
    let mut placed: Vec<(u8, &str, f64, f64)> = Vec::new();
    let (mut lx, mut ly) = (64.0, 14.0);
    for (k, text) in items {
        let need = 26.0 + text_width(text, fs);
        if lx + need > w - 8.0 && lx > 64.0 {
            lx = 64.0;
            ly += 20.0;
        }
        placed.push((k, text, lx, ly));
        lx += need + 18.0;
    }
    let top = ly + 20.0;
    let h = top + 206.0;
    let (left, right, bottom) = (64.0, w - 12.0, h - 30.0);
    let mut out = String::with_capacity(3072 + pts.len() * 160);
    open(&mut out, id, title, Some(desc), w, h, Size::Fluid);
    let all = pts.iter().flat_map(|p| [if show_unit { p.unit } else { None }, p.q1, p.median, p.q3]).flatten();
    let (Some((lo, hi)), Some(first), Some(last)) = (finite_range(all), pts.first(), pts.last()) else {
        out.push_str("</svg>");
        return out;
    };
    let (y0, y1) = (f64::from(first.year), f64::from(last.year));
    let ticks = nice_ticks(lo, hi, 5);
    let (t0, t1) = tick_range(&ticks, lo, hi);
    let y = scale(t0, t1, bottom, top);
    let x = scale(y0, y1, left + 10.0, right - 10.0);
    out.push_str(r##"<g font-size="13" fill="#1a1a1a">"##);
    value_grid(&mut out, &ticks, left, right, &y, fmt);
    let years = last.year.saturating_sub(first.year).max(0) as usize + 1;
    let every = years.div_ceil(10).max(1);
    let mut labelled: Option<i32> = None;
    for p in &pts {
        let due = labelled.is_none_or(|l| p.year >= l.saturating_add(every as i32));
        if due {
            let _ = write!(out, r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#, N(x(f64::from(p.year))), N(h - 10.0), p.year);
            labelled = Some(p.year);
        }
    }
    out.push_str("</g>");
    let _ = write!(out, r##"<line x1="{}" x2="{}" y1="{b}" y2="{b}" stroke="#595959"/>"##, N(left), N(right), b = N(bottom));
    // The band: one polygon per run of years having both quartiles.
    let mut run: Vec<(f64, f64, f64)> = Vec::new();
    let flush = |run: &mut Vec<(f64, f64, f64)>, out: &mut String| {
        if run.len() >= 2 {
            out.push_str(r#"<path d=""#);
            for (i, (px, a, _)) in run.iter().enumerate() {
                let _ = write!(out, "{}{} {}", if i == 0 { 'M' } else { 'L' }, N(*px), N(*a));
            }
            for (px, _, b) in run.iter().rev() {
                let _ = write!(out, "L{} {}", N(*px), N(*b));
            }
            out.push_str(r##"Z" fill="#c6dbef"/>"##);
        } else if let Some((px, a, b)) = run.first() {
            // A lone year: a short vertical bar.
            let _ = write!(out, r##"<rect x="{}" y="{}" width="6" height="{}" fill="#c6dbef"/>"##, N(px - 3.0), N(a.min(*b)), N((a - b).abs()));
        }
        run.clear();
    };
    for p in &pts {
        match (ok(p.q1), ok(p.q3)) {
            (Some(a), Some(b)) => run.push((x(f64::from(p.year)), y(a), y(b))),
            _ => flush(&mut run, &mut out),
        }
    }
    flush(&mut run, &mut out);
    let line = |out: &mut String, get: &dyn Fn(&SeriesPoint) -> Option<f64>, attrs: &str| {
        if !pts.iter().any(|p| ok(get(p)).is_some()) {
            return;
        }
        out.push_str(r#"<path d=""#);
        let mut pen = false;
        for p in &pts {
            match ok(get(p)) {
                Some(v) => {
                    let _ = write!(out, "{}{} {}", if pen { 'L' } else { 'M' }, N(x(f64::from(p.year))), N(y(v)));
                    pen = true;
                }
                None => pen = false,
            }
        }
        let _ = write!(out, r#"" fill="none" {attrs}/>"#);
    };
    const MEDIAN: &str = r##"stroke="#595959" stroke-width="2" stroke-dasharray="6 4""##;
    const UNIT: &str = r##"stroke="#000" stroke-width="2.5" stroke-linejoin="round""##;
    line(&mut out, &|p| p.median, MEDIAN);
    if show_unit {
        line(&mut out, &|p| p.unit, UNIT);
        out.push_str(r##"<g fill="#000" stroke="#fff" stroke-width="1.5">"##);
        for p in &pts {
            if let Some(v) = ok(p.unit) {
                let _ = write!(out, r#"<circle cx="{}" cy="{}" r="4"/>"#, N(x(f64::from(p.year))), N(y(v)));
            }
        }
        out.push_str("</g>");
    }
    out.push_str(r##"<g font-size="13" fill="#1a1a1a">"##);
    for (k, text, lx, ly) in placed {
        let _ = match k {
            0 => write!(out, r##"<rect x="{}" y="{}" width="20" height="12" fill="#c6dbef"/>"##, N(lx), N(ly - 10.0)),
            1 => write!(out, r#"<line x1="{}" x2="{}" y1="{ly}" y2="{ly}" {MEDIAN}/>"#, N(lx), N(lx + 20.0), ly = N(ly - 4.0)),
            _ => write!(
                out,
                r##"<line x1="{}" x2="{}" y1="{ly}" y2="{ly}" {UNIT}/><circle cx="{}" cy="{ly}" r="4" fill="#000" stroke="#fff" stroke-width="1.5"/>"##,
                N(lx),
                N(lx + 20.0),
                N(lx + 10.0),
                ly = N(ly - 4.0)
            ),
        };
        let _ = write!(out, r#"<text x="{}" y="{}">{}</text>"#, N(lx + 26.0), N(ly), Esc(text));
    }
    out.push_str("</g></svg>");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    #[test]
    fn numbers_have_at_most_one_decimal_and_never_nan() {
        let s = |x: f64| N(x).to_string();
        assert_eq!(s(12.34), "12.3");
        assert_eq!(s(-4.0), "-4");
        assert_eq!(s(-0.04), "0");
        assert_eq!(s(0.05), "0.1");
        assert_eq!(s(f64::NAN), "0");
        assert_eq!(s(f64::INFINITY), "0");
        assert_eq!(s(1e300), "1000000000", "clamped far outside any drawing");
        let mut t = String::new();
        write_tenths(&mut t, -5, true).unwrap();
        write_tenths(&mut t, 5, true).unwrap();
        write_tenths(&mut t, 0, true).unwrap();
        assert_eq!(t, "-.5.50");
    }

    #[test]
    fn escaping_covers_the_five_characters_and_control_codes() {
        assert_eq!(Esc(r#"<a href="x">'&'</a>"#).to_string(), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(Esc("a\u{1}b\nć").to_string(), "a b\nć");
    }

    #[test]
    fn ids_are_made_safe() {
        assert_eq!(clean_id("mapa-w"), "mapa-w");
        assert_eq!(clean_id("sp-1 \"x\""), "sp-1__x_");
        assert_eq!(clean_id("12"), "v12");
        assert_eq!(clean_id(""), "v");
    }

    #[test]
    fn the_scale_is_finite_at_the_extremes() {
        let s = scale(-1e308, 1e308, 0.0, 100.0);
        assert_eq!(s(0.0), 50.0);
        assert_eq!(scale(3.0, 3.0, 0.0, 10.0)(3.0), 5.0);
    }

    #[test]
    fn five_numbers_fill_gaps_and_sort() {
        let q = Quartiles { min: f64::NAN, q1: 3.0, median: 1.0, q3: f64::INFINITY, max: 4.0 };
        assert_eq!(five(&q), Some([1.0, 1.0, 3.0, 3.0, 4.0]), "a missing number takes the one before it");
        assert_eq!(five(&Quartiles { min: f64::NAN, q1: f64::NAN, median: f64::NAN, q3: f64::NAN, max: f64::NAN }), None);
    }
}
