//! SVG charts and maps from plain data: sparklines, quartile bars, distribution plots, time
//! series with a band, choropleth maps. No I/O and no dependencies; every word and number
//! format comes from the caller (the page's language). Every chart is one `<svg role="img">`
//! with a `<title>` and `<desc>`; ids are prefixed by the caller's `id` so a page can hold
//! many; information is never told by colour alone (the unit's marker is a shape, the best
//! end of a bar is marked with "+"); no input makes it panic or write NaN.

mod breaks;
mod map;

use std::fmt::Write;

pub use breaks::{class_of, natural_breaks, nice_ticks, palette, quantile_breaks};
pub use map::{Legend, MapArea, MapGeometry, Shape, choropleth, link_map};

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

/// One year of a time series: the unit and its group's quartiles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesPoint {
    pub year: i32,
    pub unit: Option<f64>,
    pub q1: Option<f64>,
    pub median: Option<f64>,
    pub q3: Option<f64>,
}

/// The captions of a time series' three layers (an empty `unit` leaves it out).
#[derive(Debug, Clone, Copy)]
pub struct SeriesLegend<'a> {
    pub unit: &'a str,
    pub median: &'a str,
    pub band: &'a str,
}

/// XML-escapes text for element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with at most one decimal ("12.3", "12"); 0 for non-finite.
pub(crate) fn n(x: f64) -> String {
    if !x.is_finite() {
        return "0".into();
    }
    let r = (x * 10.0).round() / 10.0;
    if r == r.trunc() { format!("{}", r as i64) } else { format!("{r:.1}") }
}

fn open(out: &mut String, id: &str, title: &str, desc: Option<&str>, w: f64, h: f64, fixed: bool) {
    let labelled = if desc.is_some() { format!("{id}-t {id}-d") } else { format!("{id}-t") };
    let size = if fixed { format!(r#"width="{}" height="{}""#, n(w), n(h)) } else { r#"width="100%""#.to_owned() };
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" role="img" aria-labelledby="{labelled}" viewBox="0 0 {} {}" {size} preserveAspectRatio="xMidYMid meet"><title id="{id}-t">{}</title>"#,
        n(w),
        n(h),
        esc(title)
    );
    if let Some(d) = desc {
        let _ = write!(out, r#"<desc id="{id}-d">{}</desc>"#, esc(d));
    }
}

/// A linear scale from `lo..hi` onto `a..b` (the middle when the domain is one point).
fn scale(lo: f64, hi: f64, a: f64, b: f64) -> impl Fn(f64) -> f64 {
    move |x| if hi > lo { a + (x - lo) / (hi - lo) * (b - a) } else { (a + b) / 2.0 }
}

fn finite_range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.filter(|v| v.is_finite()).fold(None, |acc, v| Some(acc.map_or((v, v), |(a, b): (f64, f64)| (a.min(v), b.max(v)))))
}

/// A small trend line (80 × 20) for a table cell: gaps where years are missing, the last
/// point marked.
pub fn sparkline(id: &str, title: &str, values: &[Option<f64>]) -> String {
    let (w, h) = (80.0, 20.0);
    let mut out = String::with_capacity(160 + values.len() * 14);
    open(&mut out, id, title, None, w, h, true);
    let vals: Vec<Option<f64>> = values.iter().map(|v| v.filter(|x| x.is_finite())).collect();
    if let Some((lo, hi)) = finite_range(vals.iter().flatten().copied()) {
        let x = scale(0.0, (vals.len().max(2) - 1) as f64, 3.0, w - 4.0);
        let y = scale(lo, hi, h - 3.0, 3.0);
        let mut d = String::new();
        let mut pen = false;
        for (i, v) in vals.iter().enumerate() {
            match v {
                Some(v) => {
                    let _ = write!(d, "{}{} {}", if pen { 'L' } else { 'M' }, n(x(i as f64)), n(y(*v)));
                    pen = true;
                }
                None => pen = false,
            }
        }
        let _ = write!(out, r##"<path d="{d}" fill="none" stroke="#1f4e79" stroke-width="1.5"/>"##);
        if let Some((i, v)) = vals.iter().enumerate().rev().find_map(|(i, v)| v.map(|v| (i, v))) {
            let _ = write!(out, r##"<circle cx="{}" cy="{}" r="2.5" fill="#1f4e79"/>"##, n(x(i as f64)), n(y(v)));
        }
    }
    out.push_str("</svg>");
    out
}

/// Quarters' colours worst → best (PuOr, colour-blind safe) and for neutral indicators.
const WORST_TO_BEST: [&str; 4] = ["#e66101", "#fdb863", "#b2abd2", "#5e3c99"];
const NEUTRAL: [&str; 4] = ["#e0e0e0", "#c2c2c2", "#a3a3a3", "#858585"];

/// A bar (160 × 24) from the group's minimum to its maximum split at the quartiles, the
/// quarters shaded from worst to best by `dir` (the best end also marked "+"), the median a
/// white tick, the unit's value a black diamond on a line.
pub fn quartile_bar(id: &str, title: &str, q: &Quartiles, value: Option<f64>, dir: Direction) -> String {
    let (w, h) = (160.0, 24.0);
    let mut out = String::with_capacity(900);
    open(&mut out, id, title, None, w, h, true);
    let Some((lo, hi)) = finite_range([q.min, q.q1, q.median, q.q3, q.max].into_iter().chain(value)) else {
        out.push_str("</svg>");
        return out;
    };
    let (left, right) = (10.0, w - 10.0);
    let x = scale(lo, hi, left, right);
    let cut = [q.min, q.q1, q.median, q.q3, q.max].map(|v| if v.is_finite() { x(v) } else { left });
    let colours: [&str; 4] = match dir {
        Direction::HigherBetter => WORST_TO_BEST,
        Direction::LowerBetter => [WORST_TO_BEST[3], WORST_TO_BEST[2], WORST_TO_BEST[1], WORST_TO_BEST[0]],
        Direction::Neutral => NEUTRAL,
    };
    for k in 0..4 {
        let (a, b) = (cut[k].min(cut[k + 1]), cut[k].max(cut[k + 1]));
        let _ = write!(out, r#"<rect x="{}" y="7" width="{}" height="10" fill="{}"/>"#, n(a), n((b - a).max(0.0)), colours[k]);
    }
    let _ = write!(
        out,
        r##"<rect x="{}" y="7" width="{}" height="10" fill="none" stroke="#595959" stroke-width=".75"/>"##,
        n(cut[0]),
        n((cut[4] - cut[0]).max(0.0))
    );
    let _ = write!(out, r##"<line x1="{m}" x2="{m}" y1="6" y2="18" stroke="#fff" stroke-width="2"/>"##, m = n(cut[2]));
    match dir {
        Direction::HigherBetter => {
            let _ = write!(out, r##"<text x="{}" y="16" font-size="11" font-weight="700" fill="#1a1a1a">+</text>"##, n(right + 2.0));
        }
        Direction::LowerBetter => {
            let _ = write!(out, r##"<text x="1" y="16" font-size="11" font-weight="700" fill="#1a1a1a">+</text>"##);
        }
        Direction::Neutral => {}
    }
    if let Some(v) = value.filter(|v| v.is_finite()) {
        let vx = x(v);
        let _ = write!(
            out,
            r##"<line x1="{vx}" x2="{vx}" y1="2" y2="22" stroke="#000" stroke-width="1.5"/><path d="M{vx} 6L{r} 12L{vx} 18L{l} 12Z" fill="#000" stroke="#fff" stroke-width="1"/>"##,
            vx = n(vx),
            r = n(vx + 5.0),
            l = n(vx - 5.0)
        );
    }
    out.push_str("</svg>");
    out
}

/// A deterministic jitter in 0..1 for the `i`-th dot.
fn jitter(i: usize) -> f64 {
    let mut z = (i as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// A group's values (640 × 160): one dot a unit (a histogram above 400 units), an axis with
/// nice ticks, the median dashed, the selected value a labelled black triangle.
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
    let (left, right, top, axis) = (36.0, w - 36.0, 26.0, 120.0);
    let mut out = String::with_capacity(2048 + values.len().min(400) * 48);
    open(&mut out, id, title, Some(desc), w, h, false);
    let vals: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let Some((lo, hi)) = finite_range(vals.iter().copied().chain(selected)) else {
        out.push_str("</svg>");
        return out;
    };
    let ticks = nice_ticks(lo, hi, 5);
    let (t0, t1) = (ticks.first().copied().unwrap_or(lo), ticks.last().copied().unwrap_or(hi));
    let x = scale(t0, t1, left, right);
    if vals.len() > 400 {
        let bins = 40usize;
        let mut counts = vec![0usize; bins];
        for &v in &vals {
            let b = (((v - t0) / (t1 - t0).max(f64::MIN_POSITIVE)) * bins as f64).floor();
            counts[(b.max(0.0) as usize).min(bins - 1)] += 1;
        }
        let most = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
        let bw = (right - left) / bins as f64;
        for (b, &c) in counts.iter().enumerate() {
            let bh = (axis - top) * c as f64 / most;
            let _ = write!(
                out,
                r##"<rect x="{}" y="{}" width="{}" height="{}" fill="#6b8fb3"/>"##,
                n(left + b as f64 * bw + 0.5),
                n(axis - bh),
                n(bw - 1.0),
                n(bh)
            );
        }
    } else {
        for (i, &v) in vals.iter().enumerate() {
            let _ = write!(
                out,
                r##"<circle cx="{}" cy="{}" r="3.5" fill="#6b8fb3" fill-opacity=".75"/>"##,
                n(x(v)),
                n(top + 12.0 + jitter(i) * (axis - top - 24.0))
            );
        }
    }
    let _ = write!(out, r##"<line x1="{}" x2="{}" y1="{a}" y2="{a}" stroke="#595959"/>"##, n(left), n(right), a = n(axis));
    for t in &ticks {
        let _ = write!(
            out,
            r##"<line x1="{tx}" x2="{tx}" y1="{a}" y2="{b}" stroke="#595959"/><text x="{tx}" y="{ty}" font-size="12" text-anchor="middle" fill="#1a1a1a">{}</text>"##,
            esc(&fmt(*t)),
            tx = n(x(*t)),
            a = n(axis),
            b = n(axis + 5.0),
            ty = n(axis + 19.0)
        );
    }
    if !vals.is_empty() {
        let mut sorted = vals.clone();
        sorted.sort_by(f64::total_cmp);
        let hmed = (sorted.len() - 1) as f64 * 0.5;
        let med = sorted[hmed.floor() as usize] + (hmed - hmed.floor()) * (sorted[hmed.ceil() as usize] - sorted[hmed.floor() as usize]);
        let _ = write!(out, r##"<line x1="{m}" x2="{m}" y1="{}" y2="{}" stroke="#1a1a1a" stroke-dasharray="4 3"/>"##, n(top), n(axis), m = n(x(med)));
    }
    if let Some(v) = selected.filter(|v| v.is_finite()) {
        let sx = x(v);
        let anchor = if sx > w * 0.75 {
            "end"
        } else if sx < w * 0.25 {
            "start"
        } else {
            "middle"
        };
        let _ = write!(
            out,
            r##"<line x1="{sx}" x2="{sx}" y1="{}" y2="{}" stroke="#000" stroke-width="2"/><path d="M{sx} {}L{} {}L{} {}Z" fill="#000" stroke="#fff"/><text x="{sx}" y="14" font-size="12" font-weight="700" text-anchor="{anchor}" fill="#1a1a1a">{}</text>"##,
            n(top - 4.0),
            n(axis),
            n(top - 2.0),
            n(sx + 6.0),
            n(top - 10.0),
            n(sx - 6.0),
            n(top - 10.0),
            esc(&format!("{selected_label} {}", fmt(v))),
            sx = n(sx)
        );
    }
    out.push_str("</svg>");
    out
}

/// A time series (640 × 240): the group's interquartile band, its median dashed, the unit's
/// line solid with points, a y axis of nice ticks, the years below and a legend on top.
pub fn time_series(id: &str, title: &str, desc: &str, points: &[SeriesPoint], legend: &SeriesLegend<'_>, fmt: &dyn Fn(f64) -> String) -> String {
    let (w, h) = (640.0, 240.0);
    let (left, right, top, bottom) = (64.0, w - 12.0, 34.0, h - 26.0);
    let mut out = String::with_capacity(3072 + points.len() * 120);
    open(&mut out, id, title, Some(desc), w, h, false);
    let all = points.iter().flat_map(|p| [p.unit, p.q1, p.median, p.q3]).flatten();
    let (Some((lo, hi)), Some(y0), Some(y1)) = (finite_range(all), points.iter().map(|p| p.year).min(), points.iter().map(|p| p.year).max()) else {
        out.push_str("</svg>");
        return out;
    };
    let ticks = nice_ticks(lo, hi, 5);
    let (t0, t1) = (ticks.first().copied().unwrap_or(lo), ticks.last().copied().unwrap_or(hi));
    let y = scale(t0, t1, bottom, top);
    let x = scale(f64::from(y0), f64::from(y1), left + 8.0, right - 8.0);
    for t in &ticks {
        let _ = write!(
            out,
            r##"<line x1="{}" x2="{}" y1="{ty}" y2="{ty}" stroke="#d9d9d9"/><text x="{}" y="{}" font-size="12" text-anchor="end" fill="#1a1a1a">{}</text>"##,
            n(left),
            n(right),
            n(left - 6.0),
            n(y(*t) + 4.0),
            esc(&fmt(*t)),
            ty = n(y(*t))
        );
    }
    let every = ((points.len() as f64) / 8.0).ceil().max(1.0) as usize;
    for (k, p) in points.iter().enumerate() {
        if k % every == 0 || k + 1 == points.len() {
            let _ = write!(
                out,
                r##"<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="#1a1a1a">{}</text>"##,
                n(x(f64::from(p.year))),
                n(h - 8.0),
                p.year
            );
        }
    }
    // The band, one polygon per run of years that have both quartiles.
    let mut run: Vec<(f64, f64, f64)> = Vec::new();
    let flush = |run: &mut Vec<(f64, f64, f64)>, out: &mut String| {
        if run.len() >= 2 {
            let mut d = String::new();
            for (i, (px, a, _)) in run.iter().enumerate() {
                let _ = write!(d, "{}{} {}", if i == 0 { 'M' } else { 'L' }, n(*px), n(*a));
            }
            for (px, _, b) in run.iter().rev() {
                let _ = write!(d, "L{} {}", n(*px), n(*b));
            }
            let _ = write!(out, r##"<path d="{d}Z" fill="#c6dbef"/>"##);
        }
        run.clear();
    };
    for p in points {
        match (p.q1.filter(|v| v.is_finite()), p.q3.filter(|v| v.is_finite())) {
            (Some(a), Some(b)) => run.push((x(f64::from(p.year)), y(a), y(b))),
            _ => flush(&mut run, &mut out),
        }
    }
    flush(&mut run, &mut out);
    let line = |get: &dyn Fn(&SeriesPoint) -> Option<f64>| {
        let mut d = String::new();
        let mut pen = false;
        for p in points {
            match get(p).filter(|v| v.is_finite()) {
                Some(v) => {
                    let _ = write!(d, "{}{} {}", if pen { 'L' } else { 'M' }, n(x(f64::from(p.year))), n(y(v)));
                    pen = true;
                }
                None => pen = false,
            }
        }
        d
    };
    let _ = write!(out, r##"<path d="{}" fill="none" stroke="#1a1a1a" stroke-width="1.5" stroke-dasharray="6 4"/>"##, line(&|p| p.median));
    if !legend.unit.is_empty() {
        let _ = write!(out, r##"<path d="{}" fill="none" stroke="#b35c00" stroke-width="2.5"/>"##, line(&|p| p.unit));
        for p in points {
            if let Some(v) = p.unit.filter(|v| v.is_finite()) {
                let _ = write!(out, r##"<circle cx="{}" cy="{}" r="3.5" fill="#b35c00" stroke="#fff"/>"##, n(x(f64::from(p.year))), n(y(v)));
            }
        }
    }
    // Legend.
    let mut lx = left;
    let _ = write!(
        out,
        r##"<rect x="{}" y="8" width="18" height="12" fill="#c6dbef"/><text x="{}" y="18" font-size="12" fill="#1a1a1a">{}</text>"##,
        n(lx),
        n(lx + 24.0),
        esc(legend.band)
    );
    lx += 34.0 + 6.5 * legend.band.chars().count() as f64;
    let _ = write!(
        out,
        r##"<line x1="{}" x2="{}" y1="14" y2="14" stroke="#1a1a1a" stroke-width="1.5" stroke-dasharray="6 4"/><text x="{}" y="18" font-size="12" fill="#1a1a1a">{}</text>"##,
        n(lx),
        n(lx + 18.0),
        n(lx + 24.0),
        esc(legend.median)
    );
    lx += 34.0 + 6.5 * legend.median.chars().count() as f64;
    if !legend.unit.is_empty() {
        let _ = write!(
            out,
            r##"<line x1="{}" x2="{}" y1="14" y2="14" stroke="#b35c00" stroke-width="2.5"/><text x="{}" y="18" font-size="12" fill="#1a1a1a">{}</text>"##,
            n(lx),
            n(lx + 18.0),
            n(lx + 24.0),
            esc(legend.unit)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Tags balance and attributes are quoted: enough to catch broken output.
    pub fn well_formed(svg: &str) {
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(at) = rest.find('<') {
            let end = rest[at..].find('>').expect("tag closes") + at;
            let tag = &rest[at + 1..end];
            assert_eq!(tag.matches('"').count() % 2, 0, "quotes in <{tag}>");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "closing </{name}>");
            } else if !tag.ends_with('/') {
                stack.push(tag.split_whitespace().next().unwrap_or("").to_owned());
            }
            rest = &rest[end + 1..];
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
    }

    fn fmt(v: f64) -> String {
        format!("{v:.1}")
    }

    #[test]
    fn charts_escape_what_they_are_given_and_say_what_they_are() {
        let s = sparkline("sp-1", "<script>alert(1)</script>", &[Some(1.0), None, Some(3.0), Some(2.0)]);
        assert!(s.contains("&lt;script&gt;") && !s.contains("<script>"));
        assert!(s.contains(r#"role="img""#) && s.contains(r#"aria-labelledby="sp-1-t""#));
        assert!(s.contains(r#"d="M3 17M51.7 3L76 10""#), "a gap where a year is missing: {s}");
        well_formed(&s);
        let q = Quartiles { min: 0.0, q1: 25.0, median: 50.0, q3: 75.0, max: 100.0 };
        let hb = quartile_bar("qb", "t", &q, Some(90.0), Direction::HigherBetter);
        let lb = quartile_bar("qb", "t", &q, Some(90.0), Direction::LowerBetter);
        assert!(hb.contains(">+</text>") && lb.contains(">+</text>"), "the best end is marked, not only coloured");
        assert!(hb.find(WORST_TO_BEST[0]).unwrap() < hb.find(WORST_TO_BEST[3]).unwrap(), "worst on the left when higher is better");
        assert!(lb.find(WORST_TO_BEST[3]).unwrap() < lb.find(WORST_TO_BEST[0]).unwrap(), "best on the left when lower is better");
        assert!(hb.contains("M136 6"), "the marker at 90 % of the bar (10 + 0.9 × 140): {hb}");
        well_formed(&hb);
    }

    #[test]
    fn distribution_and_time_series_draw_their_layers() {
        let vals: Vec<f64> = (0..50).map(f64::from).collect();
        let d = distribution("r", "t", "d", &vals, Some(10.0), "Gmina & co", &fmt);
        assert_eq!(d.matches("<circle").count(), 50);
        assert!(d.contains("Gmina &amp; co 10.0"));
        well_formed(&d);
        let many: Vec<f64> = (0..1000).map(|i| f64::from(i % 97)).collect();
        let hist = distribution("r", "t", "d", &many, None, "", &fmt);
        assert_eq!(hist.matches("<circle").count(), 0, "a histogram above 400 units");
        assert!(hist.matches("<rect").count() >= 40);
        well_formed(&hist);
        let pts: Vec<SeriesPoint> = (2010..2025)
            .map(|y| SeriesPoint { year: y, unit: (y != 2015).then_some(f64::from(y - 2000)), q1: Some(5.0), median: Some(10.0), q3: Some(15.0) })
            .collect();
        let legend = SeriesLegend { unit: "Kraków", median: "mediana", band: "Q1–Q3" };
        let t = time_series("s", "t", "d", &pts, &legend, &fmt);
        assert_eq!(t.matches("<circle").count(), 14, "a point a year with a value");
        assert!(t.contains("Kraków") && t.contains("mediana") && t.contains("Q1–Q3"));
        well_formed(&t);
    }

    #[test]
    fn no_input_makes_a_chart_panic_or_write_nan() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let specials = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, 1e308, -1e308, 1e-308, 5.0];
        for round in 0..300 {
            let len = (next() % 30) as usize;
            let vals: Vec<f64> =
                (0..len).map(|_| if next() % 3 == 0 { specials[(next() % 9) as usize] } else { (next() % 1000) as f64 / 7.0 - 50.0 }).collect();
            let opt: Vec<Option<f64>> = vals.iter().map(|&v| (next() % 4 != 0).then_some(v)).collect();
            let sel = opt.first().copied().flatten();
            well_formed(&sparkline("a", "t", &opt));
            well_formed(&distribution("b", "t", "d", &vals, sel, "x", &fmt));
            let q = [0, 1, 2, 3, 4].map(|k| vals.get(k).copied().unwrap_or(1.0));
            let dir = [Direction::HigherBetter, Direction::LowerBetter, Direction::Neutral][round % 3];
            well_formed(&quartile_bar("c", "t", &Quartiles { min: q[0], q1: q[1], median: q[2], q3: q[3], max: q[4] }, sel, dir));
            let pts: Vec<SeriesPoint> = opt
                .iter()
                .enumerate()
                .map(|(i, v)| SeriesPoint { year: 2000 + i as i32, unit: *v, q1: *v, median: v.map(|v| v + 1.0), q3: None })
                .collect();
            well_formed(&time_series("d", "t", "d", &pts, &SeriesLegend { unit: "u", median: "m", band: "b" }, &fmt));
            let _ = quantile_breaks(&vals, (next() % 8) as usize);
            let _ = natural_breaks(&vals, (next() % 8) as usize);
        }
    }
}
