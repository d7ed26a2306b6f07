//! Class breaks for maps (R-7 quantiles, Jenks natural breaks), class lookup, "nice" axis
//! ticks and the colour-blind-safe sequential palette (ColorBrewer YlGnBu).
//!
//! Breaks are *inner* breaks: `k` classes have `k - 1` of them, class `i` holds the values
//! `<= breaks[i]` (and above `breaks[i - 1]`), the last class everything above the last
//! break. Both break functions ignore non-finite values, never return more classes than there
//! are values, cap `k` at [`MAX_CLASSES`] and drop repeated breaks (so repeated values give
//! fewer classes): the caller counts the classes as `breaks.len() + 1`.

/// The most classes a break function makes (the palette itself has at most 7 colours).
pub const MAX_CLASSES: usize = 32;

/// The finite values, sorted.
fn sorted_finite(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// R-7 quantile (R's and Excel's default) of non-empty sorted values.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    // Halves keep the difference finite for ±1e308.
    let d = sorted[hi] / 2.0 - sorted[lo] / 2.0;
    sorted[lo] + (h - lo as f64) * d * 2.0
}

/// Keeps the breaks that rise and stay below the maximum.
fn dedup(candidates: impl Iterator<Item = f64>, max: f64) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    for b in candidates {
        if b.is_finite() && out.last().is_none_or(|&l| b > l) && b < max {
            out.push(b);
        }
    }
    out
}

/// The k − 1 inner breaks of `k` quantile classes: breaks at the j/k quantiles.
///
/// `quantile_breaks(1..=100, 4)` is `[25.75, 50.5, 75.25]`.
pub fn quantile_breaks(values: &[f64], k: usize) -> Vec<f64> {
    let v = sorted_finite(values);
    let k = k.min(v.len()).min(MAX_CLASSES);
    if k < 2 {
        return Vec::new();
    }
    dedup((1..k).map(|j| quantile(&v, j as f64 / k as f64)), v[v.len() - 1])
}

/// The k − 1 inner breaks of Jenks natural breaks: Fisher's exact dynamic programme that
/// minimises the sum of squared deviations within classes. A break is the largest value of
/// its class. Above 1,000 values it runs on 1,000 evenly spaced order statistics of the sorted
/// values (the minimum and maximum among them), so it stays O(k · 1000²) and deterministic.
pub fn natural_breaks(values: &[f64], k: usize) -> Vec<f64> {
    const SAMPLE: usize = 1000;
    let all = sorted_finite(values);
    let v: Vec<f64> = if all.len() > SAMPLE { (0..SAMPLE).map(|i| all[i * (all.len() - 1) / (SAMPLE - 1)]).collect() } else { all };
    let n = v.len();
    let k = k.min(n).min(MAX_CLASSES);
    if k < 2 || v[0] >= v[n - 1] {
        return Vec::new();
    }
    // Squared deviations on values scaled into 0..=1 (no overflow for ±1e308; the optimum
    // does not change under an affine map).
    let (lo, span) = (v[0] / 2.0, v[n - 1] / 2.0 - v[0] / 2.0);
    let mut s1 = vec![0.0; n + 1];
    let mut s2 = vec![0.0; n + 1];
    for (i, x) in v.iter().enumerate() {
        let t = (x / 2.0 - lo) / span;
        s1[i + 1] = s1[i] + t;
        s2[i + 1] = s2[i] + t * t;
    }
    let cost = |a: usize, b: usize| {
        let m = (b - a + 1) as f64;
        let s = s1[b + 1] - s1[a];
        (s2[b + 1] - s2[a] - s * s / m).max(0.0)
    };
    // best[c][i]: the least cost of v[0..=i] in c + 1 classes; from[c][i]: where the last starts.
    let mut best = vec![vec![f64::INFINITY; n]; k];
    let mut from = vec![vec![0usize; n]; k];
    for (i, b) in best[0].iter_mut().enumerate() {
        *b = cost(0, i);
    }
    for c in 1..k {
        for i in c..n {
            let (mut b, mut f) = (f64::INFINITY, c);
            for j in c..=i {
                let t = best[c - 1][j - 1] + cost(j, i);
                if t < b {
                    b = t;
                    f = j;
                }
            }
            best[c][i] = b;
            from[c][i] = f;
        }
    }
    let mut starts = Vec::with_capacity(k - 1);
    let mut i = n - 1;
    for c in (1..k).rev() {
        let j = from[c][i].max(1);
        starts.push(j);
        i = j - 1;
    }
    dedup(starts.into_iter().rev().map(|j| v[j - 1]), v[n - 1])
}

/// The class of `value` given inner breaks: the first `i` with `value <= breaks[i]`, else the
/// last class (`breaks.len()`). NaN falls into the last class; the caller should not ask.
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

/// The colours (`#rrggbb`) of `k` classes, class 0 (the lowest values) first, from ColorBrewer
/// YlGnBu: light to dark, or dark to light when `reverse`. The convention of this crate: pass
/// `reverse = true` for a lower-is-better indicator, so that the best class is always the
/// darkest. At most 7 colours: a class above 6 takes the darkest (see [`choropleth`]).
///
/// [`choropleth`]: crate::choropleth
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

/// "Nice" ticks: steps of 1, 2 or 5 × 10ⁿ chosen so that `lo..hi` holds about `count`
/// intervals (the step nearest to `(hi - lo) / count`, as d3 does), from the last multiple of
/// the step at or below `lo` to the first at or above `hi`, so the ticks cover the data.
/// `nice_ticks(0, 97, 5)` is `[0, 20, 40, 60, 80, 100]`. The order of `lo` and `hi` does not
/// matter; one tick when they are equal (or nearly); `[lo, hi]` when the range overflows;
/// none for non-finite input; never more than 101 ticks. Ticks are exact decimals (0.6, not
/// 0.6000000000000001).
pub fn nice_ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if !lo.is_finite() || !hi.is_finite() {
        return Vec::new();
    }
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let span = hi - lo;
    if span <= f64::EPSILON * 4.0 * lo.abs().max(hi.abs()) {
        return vec![lo];
    }
    if !span.is_finite() {
        return vec![lo, hi];
    }
    let raw = span / count.clamp(1, 50) as f64;
    let power = raw.log10().floor();
    let err = raw / 10f64.powf(power);
    let factor = if err >= 50f64.sqrt() {
        10.0
    } else if err >= 10f64.sqrt() {
        5.0
    } else if err >= 2f64.sqrt() {
        2.0
    } else {
        1.0
    };
    // A tick is i × factor × 10^power; for negative powers divide by 10^-power, which is
    // exact, so 3 × 2 / 10 prints as 0.6.
    let tick = |i: f64| if power < 0.0 { i * factor / 10f64.powf(-power) } else { i * factor * 10f64.powf(power) };
    let step = tick(1.0);
    if !step.is_finite() || step <= 0.0 {
        return vec![lo, hi];
    }
    let (start, end) = ((lo / step).floor(), (hi / step).ceil());
    if !start.is_finite() || !end.is_finite() || end - start > 100.0 {
        return vec![lo, hi];
    }
    let (start, end) = (start as i64, end as i64);
    (start..=end).map(|i| tick(i as f64)).map(|t| if t == 0.0 { 0.0 } else { t }).filter(|t| t.is_finite()).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    #[test]
    fn quantile_breaks_follow_r7() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile_breaks(&v, 4), vec![25.75, 50.5, 75.25]);
        assert_eq!(quantile_breaks(&v, 2), vec![50.5]);
        assert_eq!(quantile_breaks(&[3.0; 10], 5), Vec::<f64>::new(), "all equal: one class");
        assert_eq!(quantile_breaks(&[1.0, 1.0, 1.0, 1.0, 2.0], 4), vec![1.0], "repeats: fewer classes");
        assert_eq!(quantile_breaks(&[], 5), Vec::<f64>::new());
        assert_eq!(quantile_breaks(&[1.0, f64::NAN, 2.0, f64::INFINITY], 2), vec![1.5], "non-finite values are ignored");
        assert_eq!(quantile_breaks(&[1.0, 2.0, 3.0], 9).len(), 2, "no more classes than values");
        assert_eq!(quantile_breaks(&v, usize::MAX).len(), MAX_CLASSES - 1);
        assert_eq!(quantile_breaks(&[-1e308, 1e308], 2), vec![0.0], "no overflow");
    }

    #[test]
    fn natural_breaks_find_obvious_clusters() {
        assert_eq!(natural_breaks(&[1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 50.0, 51.0], 3), vec![3.0, 12.0]);
        assert_eq!(natural_breaks(&[51.0, 1.0, 12.0, 2.0, 50.0, 3.0, 11.0, 10.0], 3), vec![3.0, 12.0], "order does not matter");
        assert_eq!(natural_breaks(&[1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 50.0, 51.0], 2), vec![12.0]);
        assert!(natural_breaks(&[1.0], 3).is_empty());
        assert!(natural_breaks(&[2.0; 50], 3).is_empty(), "all equal: one class");
        assert_eq!(natural_breaks(&[-1e308, -1e308, 1e308, 1e308], 2), vec![-1e308], "no overflow");
        assert_eq!(natural_breaks(&[0.0, 1.0, f64::NAN, 100.0, 101.0], 2), vec![1.0]);
    }

    #[test]
    fn natural_breaks_sample_large_inputs_and_still_split_clusters() {
        let many: Vec<f64> = (0..5000).map(|i| if i % 2 == 0 { f64::from(i % 7) } else { 1000.0 + f64::from(i % 5) }).collect();
        let b = natural_breaks(&many, 2);
        assert_eq!(b, vec![6.0], "the largest value of the low cluster");
        let three: Vec<f64> = (0..3000).map(|i| f64::from(i % 3) * 100.0 + f64::from(i % 10) / 10.0).collect();
        assert_eq!(natural_breaks(&three, 3), vec![0.9, 100.9]);
    }

    #[test]
    fn classes_take_their_upper_break() {
        let b = [10.0, 20.0];
        assert_eq!(class_of(5.0, &b), 0);
        assert_eq!(class_of(10.0, &b), 0, "a break belongs to the class below it");
        assert_eq!(class_of(10.5, &b), 1);
        assert_eq!(class_of(20.0, &b), 1);
        assert_eq!(class_of(99.0, &b), 2);
        assert_eq!(class_of(f64::NEG_INFINITY, &b), 0);
        assert_eq!(class_of(1.0, &[]), 0);
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        let q = quantile_breaks(&v, 4);
        let mut counts = [0; 4];
        for x in &v {
            counts[class_of(*x, &q)] += 1;
        }
        assert_eq!(counts, [25, 25, 25, 25]);
    }

    #[test]
    fn ticks_are_nice_and_cover_the_range() {
        assert_eq!(nice_ticks(0.0, 97.0, 5), vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(nice_ticks(97.0, 0.0, 5), vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0], "either order");
        assert_eq!(nice_ticks(0.12, 0.58, 5), vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6], "exact decimals");
        assert_eq!(nice_ticks(-3.5, 12.0, 4), vec![-5.0, 0.0, 5.0, 10.0, 15.0]);
        assert_eq!(nice_ticks(1230.0, 1290.0, 5), vec![1230.0, 1240.0, 1250.0, 1260.0, 1270.0, 1280.0, 1290.0]);
        assert_eq!(nice_ticks(5.0, 5.0, 5), vec![5.0]);
        assert_eq!(nice_ticks(0.0, 0.0, 5), vec![0.0]);
        assert!(nice_ticks(f64::NAN, 1.0, 5).is_empty());
        assert_eq!(nice_ticks(-1e308, 1e308, 5), vec![-1e308, 1e308], "overflowing range");
        let t = nice_ticks(-3.0, 1e12, 5);
        assert!(t[0] <= -3.0 && *t.last().unwrap() >= 1e12 && t.len() <= 101, "{t:?}");
        let tiny = nice_ticks(1e-12, 5e-12, 4);
        assert_eq!(tiny, vec![1e-12, 2e-12, 3e-12, 4e-12, 5e-12]);
        assert!(nice_ticks(0.0, 1.0, 0).len() <= 3, "count 0 is taken as 1");
        assert!(nice_ticks(0.0, 1.0, usize::MAX).len() <= 101);
    }

    #[test]
    fn the_palette_has_one_colour_a_class_and_reverses() {
        for k in 0..10 {
            assert_eq!(palette(k, false).len(), k.min(7));
            let mut r = palette(k, true);
            r.reverse();
            assert_eq!(r, palette(k, false));
        }
        assert_eq!(palette(5, true)[0], "#253494");
        assert_eq!(palette(5, false)[0], "#ffffcc");
    }
}
