//! Group statistics and unit positions.
//!
//! Definitions (DESIGN.md, "Group statistics"):
//! * quantiles by linear interpolation between order statistics (R type 7, numpy's default,
//!   DuckDB's `quantile_cont`): for sorted `x[0..n]`, `h = (n − 1)·p`,
//!   `Q(p) = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋])`;
//! * ranks are competition ranks (1, 2, 2, 4); rank 1 is the best by polarity, and for a
//!   neutral indicator the highest value;
//! * percentile = 100·(n − rank)/(n − 1), 100 = best, 50 for a group of one;
//! * quartile class 1–4 from the percentile: 1 for ≥ 75 (the best quarter), 2 for ≥ 50,
//!   3 for ≥ 25, else 4;
//! * z-score = (x − mean)/s with the sample standard deviation s (n − 1); none when n < 2 or
//!   s = 0. It is the plain z-score, not turned by polarity;
//! * missing values take no rank and are counted as missing;
//! * the aggregate is the group's own ratio `factor·Σnumerator/Σdenominator` over the units
//!   that have a value (with both parts present); without a denominator, `factor·Σnumerator`.

use model::Polarity;

/// The statistics of one group for one indicator and year.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GroupStats {
    /// Units with a value.
    pub n: usize,
    /// Units without one.
    pub missing: usize,
    pub min: Option<f64>,
    pub q1: Option<f64>,
    pub median: Option<f64>,
    pub q3: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1); none for n < 2.
    pub sd: Option<f64>,
    pub aggregate: Option<f64>,
}

/// A unit's place in its group; all `None` when its value is missing.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Position {
    pub rank: Option<u32>,
    pub percentile: Option<f64>,
    pub quartile: Option<u8>,
    pub z: Option<f64>,
}

/// The R-7 quantile of already sorted values; none for no values.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let (a, b) = (sorted[lo], sorted[hi]);
    Some(a + (h - lo as f64) * (b - a))
}

/// Mean and sample standard deviation (two-pass, for accuracy).
fn mean_sd(values: &[f64]) -> (Option<f64>, Option<f64>) {
    let n = values.len();
    if n == 0 {
        return (None, None);
    }
    let mean = sum_lanes(values) / n as f64;
    if n < 2 {
        return (Some(mean), None);
    }
    (Some(mean), Some((sum_sq_dev(values, mean) / (n - 1) as f64).sqrt()))
}

/// How many partial sums [`sum_lanes`] keeps: enough independent additions in flight to
/// hide the adder's latency (one chain would wait about four cycles on every value).
const LANES: usize = 8;

/// Σ `values` in [`LANES`] lanes by place (`j mod LANES`), the lanes then added pairwise: one
/// fixed order, so every statistic computed from the same values agrees to the bit.
pub(crate) fn sum_lanes(values: &[f64]) -> f64 {
    lanes(values, |v| v)
}

/// Σ (v − mean)² over `values`, in the order of [`sum_lanes`].
pub(crate) fn sum_sq_dev(values: &[f64], mean: f64) -> f64 {
    lanes(values, |v| (v - mean) * (v - mean))
}

fn lanes(values: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut acc = [0.0f64; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for l in 0..LANES {
            acc[l] += f(c[l]);
        }
    }
    for (l, &v) in rest.iter().enumerate() {
        acc[l] += f(v);
    }
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            acc[l] += acc[l + width];
        }
    }
    acc[0]
}

/// Describes a group from its present values (`present` is sorted in place; pass a scratch
/// buffer to avoid allocating) and the number of members without a value.
pub fn describe(present: &mut [f64], missing: usize) -> GroupStats {
    present.sort_unstable_by(f64::total_cmp);
    let (mean, sd) = mean_sd(present);
    GroupStats {
        n: present.len(),
        missing,
        min: present.first().copied(),
        q1: quantile_sorted(present, 0.25),
        median: quantile_sorted(present, 0.5),
        q3: quantile_sorted(present, 0.75),
        max: present.last().copied(),
        mean,
        sd,
        aggregate: None,
    }
}

/// The group's own ratio: `factor·Σnumerator/Σdenominator` over `(numerator, denominator)`
/// pairs of the units with a value; `factor·Σnumerator` when the indicator has no
/// denominator (`None`). None when nothing is summed, the denominators sum to zero, or the
/// result is not finite.
pub fn aggregate(factor: f64, parts: impl IntoIterator<Item = (f64, Option<f64>)>) -> Option<f64> {
    let mut num = 0.0;
    let mut den = 0.0;
    let mut has_den = false;
    let mut count = 0usize;
    for (n, d) in parts {
        num += n;
        if let Some(d) = d {
            den += d;
            has_den = true;
        }
        count += 1;
    }
    if count == 0 {
        return None;
    }
    let r = if has_den {
        if den == 0.0 {
            return None;
        }
        factor * num / den
    } else {
        factor * num
    };
    r.is_finite().then_some(r)
}

/// The quartile class 1–4 of a percentile (1 = the best quarter).
pub fn quartile_class(percentile: f64) -> u8 {
    match percentile {
        p if p >= 75.0 => 1,
        p if p >= 50.0 => 2,
        p if p >= 25.0 => 3,
        _ => 4,
    }
}

/// Where a value lies among its group's values, told by the group's quartiles (the numbers
/// the quartile bar draws). It describes the value and never judges it: whether the highest
/// values are good is the indicator's polarity, applied by [`verdict`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    /// At or below the first quartile (and below the median).
    Lowest,
    BelowMedian,
    AtMedian,
    AboveMedian,
    /// At or above the third quartile (and above the median).
    Highest,
}

/// The band of `value` in a group with statistics `st`; none for a group of fewer than two
/// values (nothing to place it among) or a non-finite value.
pub fn band(value: f64, st: &GroupStats) -> Option<Band> {
    if st.n < 2 || !value.is_finite() {
        return None;
    }
    let (q1, median, q3) = (st.q1?, st.median?, st.q3?);
    Some(if value == median {
        Band::AtMedian
    } else if value > median {
        if value >= q3 { Band::Highest } else { Band::AboveMedian }
    } else if value <= q1 {
        Band::Lowest
    } else {
        Band::BelowMedian
    })
}

/// A judgement of a value against its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Among the group's best quarter by polarity.
    Better,
    /// Among its weakest quarter.
    Worse,
}

/// The judgement of a band by polarity: the highest quarter of values is the best one when
/// higher is better and the weakest when lower is better (and the other way round for the
/// lowest quarter); nothing for the middle bands or a neutral indicator.
pub fn verdict(band: Band, polarity: Polarity) -> Option<Verdict> {
    match (band, polarity) {
        (Band::Highest, Polarity::HigherBetter) | (Band::Lowest, Polarity::LowerBetter) => Some(Verdict::Better),
        (Band::Lowest, Polarity::HigherBetter) | (Band::Highest, Polarity::LowerBetter) => Some(Verdict::Worse),
        _ => None,
    }
}

/// The position of every member of a group, in the members' order.
pub fn positions(values: &[Option<f64>], polarity: Polarity) -> Vec<Position> {
    let mut present: Vec<(f64, usize)> = values.iter().enumerate().filter_map(|(i, v)| v.map(|v| (v, i))).collect();
    let n = present.len();
    let mut out = vec![Position::default(); values.len()];
    if n == 0 {
        return out;
    }
    // Best first: descending unless lower is better.
    match polarity {
        Polarity::LowerBetter => present.sort_unstable_by(|a, b| a.0.total_cmp(&b.0)),
        Polarity::HigherBetter | Polarity::Neutral => present.sort_unstable_by(|a, b| b.0.total_cmp(&a.0)),
    }
    let only: Vec<f64> = present.iter().map(|p| p.0).collect();
    let (mean, sd) = mean_sd(&only);
    let mut rank = 1u32;
    for (k, &(v, i)) in present.iter().enumerate() {
        if k > 0 && v != present[k - 1].0 {
            rank = k as u32 + 1;
        }
        let percentile = if n == 1 { 50.0 } else { 100.0 * (n as f64 - f64::from(rank)) / (n as f64 - 1.0) };
        let z = match (mean, sd) {
            (Some(m), Some(s)) if s > 0.0 => Some((v - m) / s),
            _ => None,
        };
        out[i] = Position { rank: Some(rank), percentile: Some(percentile), quartile: Some(quartile_class(percentile)), z };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: [f64; 8] = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];

    #[test]
    fn a_band_describes_the_value_and_only_the_verdict_follows_polarity() {
        // 139 values 0..=138: Q1 34.5, median 69, Q3 103.5.
        let sorted: Vec<f64> = (0..139).map(f64::from).collect();
        let st = GroupStats {
            n: 139,
            q1: quantile_sorted(&sorted, 0.25),
            median: quantile_sorted(&sorted, 0.5),
            q3: quantile_sorted(&sorted, 0.75),
            ..GroupStats::default()
        };
        let cases = [
            (120.0, Band::Highest),
            (103.5, Band::Highest),
            (80.0, Band::AboveMedian),
            (69.0, Band::AtMedian),
            (40.0, Band::BelowMedian),
            (34.5, Band::Lowest),
            (3.0, Band::Lowest),
        ];
        for (v, want) in cases {
            assert_eq!(band(v, &st), Some(want), "value {v}");
        }
        // The value is high whatever the polarity; the judgement turns with it.
        assert_eq!(verdict(Band::Highest, Polarity::HigherBetter), Some(Verdict::Better));
        assert_eq!(verdict(Band::Highest, Polarity::LowerBetter), Some(Verdict::Worse));
        assert_eq!(verdict(Band::Lowest, Polarity::LowerBetter), Some(Verdict::Better));
        assert_eq!(verdict(Band::Lowest, Polarity::HigherBetter), Some(Verdict::Worse));
        for b in [Band::Highest, Band::AboveMedian, Band::AtMedian, Band::BelowMedian, Band::Lowest] {
            assert_eq!(verdict(b, Polarity::Neutral), None);
        }
        assert_eq!(verdict(Band::AboveMedian, Polarity::HigherBetter), None);
        // Nothing to place a value among in a group of one.
        assert_eq!(band(5.0, &GroupStats { n: 1, q1: Some(5.0), median: Some(5.0), q3: Some(5.0), ..GroupStats::default() }), None);
        assert_eq!(band(f64::NAN, &st), None);
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    /// Expected values computed independently with numpy 2 / scipy (`np.quantile`,
    /// `x.std(ddof=1)`, `scipy.stats.rankdata(-x, method="min")`).
    #[test]
    fn statistics_match_numpy_and_scipy() {
        let mut v = X.to_vec();
        let s = describe(&mut v, 2);
        assert_eq!((s.n, s.missing), (8, 2));
        assert_eq!((s.min, s.max), (Some(1.0), Some(9.0)));
        assert!(close(s.q1, 1.75) && close(s.median, 3.5) && close(s.q3, 5.25), "{s:?}");
        assert!(close(s.mean, 3.875) && close(s.sd, 2.748376143938713), "{s:?}");
        let mut two = vec![20.0, 10.0];
        let t = describe(&mut two, 0);
        assert!(close(t.q1, 12.5) && close(t.median, 15.0) && close(t.q3, 17.5));

        let values: Vec<Option<f64>> = X.iter().map(|v| Some(*v)).collect();
        let hi: Vec<u32> = positions(&values, Polarity::HigherBetter).iter().filter_map(|p| p.rank).collect();
        assert_eq!(hi, vec![5, 7, 4, 7, 3, 1, 6, 2]);
        let lo: Vec<u32> = positions(&values, Polarity::LowerBetter).iter().filter_map(|p| p.rank).collect();
        assert_eq!(lo, vec![4, 1, 5, 1, 6, 8, 3, 7]);
        let neutral: Vec<u32> = positions(&values, Polarity::Neutral).iter().filter_map(|p| p.rank).collect();
        assert_eq!(neutral, hi, "neutral: rank 1 is the highest value");
        let z = positions(&values, Polarity::LowerBetter);
        assert!(close(z[5].z, 1.864737478275) && close(z[1].z, -1.04607224391), "z is not turned by polarity");
    }

    #[test]
    fn missing_values_take_no_rank_and_percentiles_follow_the_definition() {
        let p = positions(&[Some(10.0), None, Some(30.0), Some(20.0), Some(20.0)], Polarity::HigherBetter);
        assert_eq!(p[1], Position::default());
        let ranks: Vec<Option<u32>> = p.iter().map(|x| x.rank).collect();
        assert_eq!(ranks, vec![Some(4), None, Some(1), Some(2), Some(2)]);
        // n = 4: 100·(4 − rank)/3
        assert!(close(p[2].percentile, 100.0) && close(p[3].percentile, 200.0 / 3.0) && close(p[0].percentile, 0.0));
        assert_eq!((p[2].quartile, p[3].quartile, p[0].quartile), (Some(1), Some(2), Some(4)));
        let one = positions(&[None, Some(7.0)], Polarity::LowerBetter);
        assert_eq!((one[1].rank, one[1].percentile, one[1].z), (Some(1), Some(50.0), None));
        let flat = positions(&[Some(1.0), Some(1.0)], Polarity::HigherBetter);
        assert_eq!((flat[0].rank, flat[1].rank, flat[0].z), (Some(1), Some(1), None), "all tied: sd = 0, no z");
        assert!(positions(&[None, None], Polarity::Neutral).iter().all(|p| p.rank.is_none()));
    }

    #[test]
    fn the_aggregate_is_the_ratio_of_sums_not_the_mean_of_ratios() {
        // Two gminy: 100 pupils / 10 teachers and 1000 / 50: mean of ratios 15, ratio of sums 1100/60.
        let agg = aggregate(1.0, [(100.0, Some(10.0)), (1000.0, Some(50.0))]).expect("some");
        assert!((agg - 1100.0 / 60.0).abs() < 1e-12);
        assert_eq!(aggregate(1000.0, [(3.0, None), (4.0, None)]), Some(7000.0), "no denominator: a sum");
        assert_eq!(aggregate(1.0, [(3.0, Some(0.0)), (4.0, Some(0.0))]), None, "zero denominators");
        assert_eq!(aggregate(1.0, std::iter::empty()), None);
    }

    #[test]
    fn quantiles_of_edge_inputs_do_not_panic() {
        assert_eq!(quantile_sorted(&[], 0.5), None);
        assert_eq!(quantile_sorted(&[4.0], 0.25), Some(4.0));
        assert_eq!(quantile_sorted(&[1.0, 2.0], 1.0), Some(2.0));
        assert_eq!(quantile_sorted(&[1.0, 2.0], 1.5), None);
        let s = describe(&mut [], 3);
        assert_eq!((s.n, s.missing, s.median, s.mean), (0, 3, None, None));
    }
}
