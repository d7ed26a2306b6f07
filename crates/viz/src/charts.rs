//! Charts of a table the reader built: several series over the years (`lines`) and one
//! value per row (`bars`). Series differ by colour *and* dash pattern, so colour is never
//! the only cue; every colour has at least 4.5:1 contrast on white.

use std::fmt::Write;

use crate::{Esc, INK, N, Size, clean_id, finite_range, nice_ticks, open, scale, text_width, tick_range, value_grid};

/// Series colours (each ≥ 4.5:1 on white) and dash patterns, taken in turn.
pub const SERIES: [(&str, &str); 8] = [
    ("#1f4e79", ""),
    ("#b2182b", "7 4"),
    ("#1b7837", "2 3"),
    ("#762a83", "10 3 2 3"),
    ("#8c510a", "4 2"),
    ("#01665e", "12 4"),
    ("#c51b7d", "1 2"),
    ("#4d4d4d", "6 2 1 2"),
];

/// One line: its name and a value per year (`None` = a gap).
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// Lines over `years` (at most [`SERIES`] of them are drawn; the caller says so in words),
/// with a legend above the plot. `fmt` writes the axis numbers.
pub fn lines(id: &str, title: &str, desc: &str, years: &[i32], series: &[Series], fmt: &dyn Fn(f64) -> String) -> String {
    let w = 640.0;
    let fs = 13.0;
    let shown = &series[..series.len().min(SERIES.len())];
    let (mut lx, mut ly) = (64.0, 14.0);
    let mut placed = Vec::new();
    for (k, s) in shown.iter().enumerate() {
        let need = 34.0 + text_width(&s.name, fs).min(260.0);
        if lx + need > w - 8.0 && lx > 64.0 {
            lx = 64.0;
            ly += 20.0;
        }
        placed.push((k, lx, ly));
        lx += need + 16.0;
    }
    let top = ly + 20.0;
    let h = top + 206.0;
    let (left, right, bottom) = (64.0, w - 12.0, h - 30.0);
    let mut out = String::with_capacity(2048 + shown.len() * years.len() * 40);
    let id = open(&mut out, id, title, Some(desc), w, h, Size::Fluid);
    let all = shown.iter().flat_map(|s| s.values.iter().flatten().copied());
    let (Some((lo, hi)), false) = (finite_range(all), years.is_empty()) else {
        out.push_str("</svg>");
        return out;
    };
    let lo = if lo > 0.0 && lo < hi * 0.5 { 0.0 } else { lo };
    let ticks = nice_ticks(lo, hi, 5);
    let (t0, t1) = tick_range(&ticks, lo, hi);
    let y = scale(t0, t1, bottom, top);
    let n = years.len();
    let x = scale(0.0, (n.max(2) - 1) as f64, left + 10.0, right - 10.0);
    let xs = |k: usize| if n == 1 { (left + right) / 2.0 } else { x(k as f64) };
    let _ = write!(out, r#"<g font-size="13" fill="{INK}">"#);
    value_grid(&mut out, &ticks, left, right, &y, fmt);
    let every = n.div_ceil(10).max(1);
    for (k, year) in years.iter().enumerate().step_by(every) {
        let _ = write!(out, r#"<text x="{}" y="{}" text-anchor="middle">{year}</text>"#, N(xs(k)), N(h - 10.0));
    }
    for &(k, px, py) in &placed {
        let (color, dash) = SERIES[k];
        let _ = write!(
            out,
            r#"<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{color}" stroke-width="2.5" stroke-dasharray="{dash}"/><text x="{}" y="{}">{}</text>"#,
            N(px),
            N(px + 26.0),
            N(py - 4.0),
            N(py - 4.0),
            N(px + 32.0),
            N(py),
            Esc(&clip(&shown[k].name, 40))
        );
    }
    out.push_str("</g>");
    let _ = write!(out, r##"<line x1="{}" x2="{}" y1="{b}" y2="{b}" stroke="#595959"/>"##, N(left), N(right), b = N(bottom));
    for (k, s) in shown.iter().enumerate() {
        let (color, dash) = SERIES[k];
        let mut d = String::new();
        let mut pen = false;
        for (j, v) in s.values.iter().take(n).enumerate() {
            match v.filter(|v| v.is_finite()) {
                Some(v) => {
                    let _ = write!(d, "{}{} {}", if pen { 'L' } else { 'M' }, N(xs(j)), N(y(v)));
                    pen = true;
                }
                None => pen = false,
            }
        }
        if !d.is_empty() {
            let _ =
                write!(out, r#"<path d="{d}" fill="none" stroke="{color}" stroke-width="2.5" stroke-dasharray="{dash}" stroke-linejoin="round"/>"#);
        }
        let _ = write!(out, r#"<g fill="{color}">"#);
        for (j, v) in s.values.iter().take(n).enumerate() {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                let _ = write!(out, r#"<circle cx="{}" cy="{}" r="3.5"/>"#, N(xs(j)), N(y(v)));
            }
        }
        out.push_str("</g>");
    }
    let _ = id;
    out.push_str("</svg>");
    out
}

/// Horizontal bars, one per row (`None` = no bar, the row's label still shown), from zero
/// (or from the smallest value when all are negative). `fmt` writes the values at the bars.
pub fn bars(id: &str, title: &str, desc: &str, rows: &[(String, Option<f64>)], fmt: &dyn Fn(f64) -> String) -> String {
    let w = 640.0;
    let fs = 13.0;
    let label_w = rows.iter().map(|(l, _)| text_width(&clip(l, 36), fs)).fold(60.0_f64, f64::max).min(260.0);
    let row_h = 22.0;
    let top = 8.0;
    let h = top + rows.len().max(1) as f64 * row_h + 28.0;
    let (left, right) = (label_w + 16.0, w - 70.0);
    let mut out = String::with_capacity(1024 + rows.len() * 260);
    let id = clean_id(id);
    open(&mut out, &id, title, Some(desc), w, h, Size::Fluid);
    let (lo, hi) = finite_range(rows.iter().filter_map(|r| r.1)).map_or((0.0, 1.0), |(a, b)| (a.min(0.0), b.max(0.0)));
    let ticks = nice_ticks(lo, hi, 5);
    let (t0, t1) = tick_range(&ticks, lo, hi);
    let x = scale(t0, t1, left, right);
    let base = x(0.0_f64.clamp(t0, t1));
    let bottom = top + rows.len().max(1) as f64 * row_h;
    let _ = write!(out, r#"<g font-size="13" fill="{INK}">"#);
    for &t in &ticks {
        let _ = write!(
            out,
            r##"<line x1="{tx}" x2="{tx}" y1="{}" y2="{}" stroke="#d9d9d9"/><text x="{tx}" y="{}" text-anchor="middle">{}</text>"##,
            N(top),
            N(bottom),
            N(bottom + 18.0),
            Esc(&fmt(t)),
            tx = N(x(t))
        );
    }
    for (k, (label, v)) in rows.iter().enumerate() {
        let cy = top + k as f64 * row_h + row_h / 2.0;
        let _ = write!(out, r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#, N(left - 6.0), N(cy + 4.5), Esc(&clip(label, 36)));
        if let Some(v) = v.filter(|v| v.is_finite()) {
            let (a, b) = (base.min(x(v)), base.max(x(v)));
            let _ = write!(
                out,
                r##"<rect x="{}" y="{}" width="{}" height="{}" fill="#1f4e79"/><text x="{}" y="{}">{}</text>"##,
                N(a),
                N(cy - 7.0),
                N((b - a).max(1.0)),
                N(14.0),
                N(b + 4.0),
                N(cy + 4.5),
                Esc(&fmt(v))
            );
        }
    }
    out.push_str("</g>");
    let _ = write!(out, r##"<line x1="{b}" x2="{b}" y1="{}" y2="{}" stroke="#595959"/>"##, N(top), N(bottom), b = N(base));
    out.push_str("</svg>");
    out
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(n - 1).collect();
    t.push('…');
    t
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    fn fmt(v: f64) -> String {
        format!("{v}")
    }

    #[test]
    fn lines_draw_one_path_per_series_with_a_legend_entry_each() {
        let s = vec![
            Series { name: "Kraków".into(), values: vec![Some(1.0), Some(2.0), None, Some(4.0)] },
            Series { name: "Łódź".into(), values: vec![Some(3.0), None, None, None] },
        ];
        let svg = lines("a", "T", "D", &[2020, 2021, 2022, 2023], &s, &fmt);
        assert_eq!(svg.matches("<path").count(), 2, "{svg}");
        assert!(svg.contains("Kraków") && svg.contains("Łódź"));
        // A gap splits the first line into two pieces: two moves.
        let first = svg.split("<path d=\"").nth(1).unwrap();
        assert_eq!(first.split('"').next().unwrap().matches('M').count(), 2);
        assert_eq!(svg.matches("<circle").count(), 4);
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn lines_with_no_values_are_an_empty_labelled_chart() {
        let svg = lines("a", "T", "D", &[2020], &[Series { name: "x".into(), values: vec![None] }], &fmt);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>") && svg.contains("<title"));
        assert!(!svg.contains("<path"));
    }

    #[test]
    fn only_as_many_series_as_there_are_styles_are_drawn() {
        let s: Vec<Series> = (0..12).map(|k| Series { name: format!("s{k}"), values: vec![Some(k as f64), Some(1.0)] }).collect();
        let svg = lines("a", "T", "D", &[2020, 2021], &s, &fmt);
        assert_eq!(svg.matches("<path").count(), SERIES.len());
    }

    #[test]
    fn bars_are_proportional_to_the_values() {
        let rows = vec![("a".to_owned(), Some(10.0)), ("b".to_owned(), Some(5.0)), ("c".to_owned(), None)];
        let svg = bars("b", "T", "D", &rows, &fmt);
        let widths: Vec<f64> =
            svg.split("<rect ").skip(1).map(|r| r.split("width=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap()).collect();
        assert_eq!(widths.len(), 2);
        assert!((widths[0] / widths[1] - 2.0).abs() < 0.05, "{widths:?}");
        assert!(svg.contains(">c<"), "the row without a value keeps its label");
    }
}
