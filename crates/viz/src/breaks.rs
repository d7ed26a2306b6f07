//! Class breaks for maps (quantiles, Jenks natural breaks), class lookup, axis ticks and the
//! colour-blind-safe palette.

/// The finite values, sorted.
fn sorted_finite(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// R-7 quantile of sorted values.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The k − 1 inner breaks of `k` quantile classes, without repeats: fewer classes
/// when values repeat. Non-finite values are ignored.
pub fn quantile_breaks(values: &[f64], k: usize) -> Vec<f64> {
    let v = sorted_finite(values);
    if v.is_empty() || k < 2 {
        return Vec::new();
    }
    let mut out: Vec<f64> = Vec::with_capacity(k - 1);
    for j in 1..k {
        let b = quantile(&v, j as f64 / k as f64);
        if out.last().is_none_or(|&l| b > l) && b < v[v.len() - 1] {
            out.push(b);
        }
    }
    out
}

/// The k − 1 inner breaks of Jenks natural breaks (Fisher's exact optimisation of the
/// within-class squared deviations). Above 1,000 values it runs on an evenly spaced sample
/// of the sorted values (with the minimum and maximum).
pub fn natural_breaks(values: &[f64], k: usize) -> Vec<f64> {
    let all = sorted_finite(values);
    if all.is_empty() || k < 2 {
        return Vec::new();
    }
    let v: Vec<f64> = if all.len() > 1000 { (0..1000).map(|i| all[i * (all.len() - 1) / 999]).collect() } else { all };
    let n = v.len();
    let k = k.min(n);
    if k < 2 {
        return Vec::new();
    }
    // Prefix sums for the cost of a class v[a..=b].
    let mut s1 = vec![0.0; n + 1];
    let mut s2 = vec![0.0; n + 1];
    for (i, x) in v.iter().enumerate() {
        s1[i + 1] = s1[i] + x;
        s2[i + 1] = s2[i] + x * x;
    }
    let cost = |a: usize, b: usize| {
        let m = (b - a + 1) as f64;
        let s = s1[b + 1] - s1[a];
        (s2[b + 1] - s2[a] - s * s / m).max(0.0)
    };
    // best[c][i]: least cost of v[0..=i] in c + 1 classes; from[c][i]: where the last starts.
    let mut best = vec![vec![f64::INFINITY; n]; k];
    let mut from = vec![vec![0usize; n]; k];
    for i in 0..n {
        best[0][i] = cost(0, i);
    }
    for c in 1..k {
        for i in c..n {
            for j in c..=i {
                let t = best[c - 1][j - 1] + cost(j, i);
                if t < best[c][i] {
                    best[c][i] = t;
                    from[c][i] = j;
                }
            }
        }
    }
    let mut starts = Vec::with_capacity(k - 1);
    let mut i = n - 1;
    for c in (1..k).rev() {
        let j = from[c][i];
        starts.push(j);
        i = j.saturating_sub(1);
    }
    starts.reverse();
    let mut out: Vec<f64> = Vec::new();
    for j in starts {
        let b = v[j - 1];
        if out.last().is_none_or(|&l| b > l) && b < v[n - 1] {
            out.push(b);
        }
    }
    out
}

/// The class of `value` given inner breaks: the first `i` with `value <= breaks[i]`, else the
/// last class (`breaks.len()`).
pub fn class_of(value: f64, breaks: &[f64]) -> usize {
    breaks.iter().position(|&b| value <= b).unwrap_or(breaks.len())
}

/// ColorBrewer YlGnBu (colour-blind safe, print friendly), 3–7 classes, light to dark.
const YLGNBU: [&[&str]; 5] = [
    &["#edf8b1", "#7fcdbb", "#2c7fb8"],
    &["#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"],
    &["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"],
    &["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"],
    &["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"],
];

/// The colours of `k` classes, class 0 (the lowest values) first: light to dark, or dark to
/// light when `reverse` (so that for a lower-is-better indicator the best is darkest).
pub fn palette(k: usize, reverse: bool) -> Vec<&'static str> {
    let mut p: Vec<&'static str> = match k {
        0 => Vec::new(),
        1 => vec!["#41b6c4"],
        2 => vec!["#a1dab4", "#225ea8"],
        k => YLGNBU[k.min(7) - 3].to_vec(),
    };
    if reverse {
        p.reverse();
    }
    p
}

/// "Nice" ticks (steps of 1, 2 or 5 × 10ⁿ) covering `lo..=hi`, about `count` of them; the
/// first is ≤ lo and the last ≥ hi. One tick when lo = hi; none for non-finite input.
pub fn nice_ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if !lo.is_finite() || !hi.is_finite() {
        return Vec::new();
    }
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        return vec![lo];
    }
    let raw = (hi - lo) / count.max(2).saturating_sub(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    if !step.is_finite() || step <= 0.0 {
        return vec![lo, hi];
    }
    let start = (lo / step).floor() as i64;
    let end = (hi / step).ceil() as i64;
    (start..=end.min(start + 50)).map(|i| i as f64 * step).map(|t| if t.abs() < step * 1e-9 { 0.0 } else { t }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_breaks_follow_r7() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile_breaks(&v, 4), vec![25.75, 50.5, 75.25]);
        assert_eq!(quantile_breaks(&[3.0; 10], 5), Vec::<f64>::new(), "all equal: one class");
        assert_eq!(quantile_breaks(&[], 5), Vec::<f64>::new());
        assert_eq!(quantile_breaks(&[1.0, f64::NAN, 2.0, f64::INFINITY], 2), vec![1.5]);
    }

    #[test]
    fn natural_breaks_find_obvious_clusters() {
        assert_eq!(natural_breaks(&[1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 50.0, 51.0], 3), vec![3.0, 12.0]);
        assert_eq!(natural_breaks(&[51.0, 1.0, 12.0, 2.0, 50.0, 3.0, 11.0, 10.0], 3), vec![3.0, 12.0], "order does not matter");
        assert!(natural_breaks(&[1.0], 3).is_empty());
        let many: Vec<f64> = (0..5000).map(|i| if i % 2 == 0 { f64::from(i % 7) } else { 1000.0 + f64::from(i % 5) }).collect();
        let b = natural_breaks(&many, 2);
        assert_eq!(b.len(), 1);
        assert!((6.0..1000.0).contains(&b[0]), "{b:?}");
    }

    #[test]
    fn classes_take_their_upper_break() {
        let b = [10.0, 20.0];
        assert_eq!(class_of(5.0, &b), 0);
        assert_eq!(class_of(10.0, &b), 0);
        assert_eq!(class_of(10.5, &b), 1);
        assert_eq!(class_of(99.0, &b), 2);
        assert_eq!(class_of(1.0, &[]), 0);
    }

    #[test]
    fn ticks_are_nice_and_cover_the_range() {
        assert_eq!(nice_ticks(0.0, 97.0, 6), vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(nice_ticks(0.12, 0.58, 5), vec![0.0, 0.2, 0.4, 0.6000000000000001]);
        assert_eq!(nice_ticks(5.0, 5.0, 5), vec![5.0]);
        assert!(nice_ticks(f64::NAN, 1.0, 5).is_empty());
        let t = nice_ticks(-3.0, 1e12, 5);
        assert!(t[0] <= -3.0 && *t.last().unwrap() >= 1e12 && t.len() <= 52);
    }

    #[test]
    fn the_palette_has_one_colour_a_class_and_reverses() {
        for k in 0..10 {
            assert_eq!(palette(k, false).len(), k.min(7));
        }
        assert_eq!(palette(5, true)[0], "#253494");
        assert_eq!(palette(5, false)[0], "#ffffcc");
    }
}
