//! Property tests of the statistics against a straightforward reference implementation:
//! ranks by counting strictly better values, the median by its textbook definition,
//! quantiles bracketed by their order statistics.

use engine::stats::{aggregate, describe, positions};
use model::Polarity;
use proptest::prelude::*;

fn value() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        1 => Just(None),
        4 => (-50i32..50).prop_map(|v| Some(f64::from(v) / 2.0)), // many ties
        1 => (-1e6f64..1e6).prop_map(Some),
    ]
}

fn polarity() -> impl Strategy<Value = Polarity> {
    prop_oneof![Just(Polarity::HigherBetter), Just(Polarity::LowerBetter), Just(Polarity::Neutral)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn ranks_count_the_strictly_better(values in prop::collection::vec(value(), 0..40), pol in polarity()) {
        let got = positions(&values, pol);
        let present: Vec<f64> = values.iter().flatten().copied().collect();
        let n = present.len();
        for (i, v) in values.iter().enumerate() {
            match v {
                None => prop_assert_eq!(got[i].rank, None),
                Some(x) => {
                    let better = present.iter().filter(|y| match pol {
                        Polarity::LowerBetter => **y < *x,
                        _ => **y > *x,
                    }).count();
                    let rank = better as u32 + 1;
                    prop_assert_eq!(got[i].rank, Some(rank));
                    let pct = if n == 1 { 50.0 } else { 100.0 * (n as f64 - f64::from(rank)) / (n as f64 - 1.0) };
                    prop_assert_eq!(got[i].percentile, Some(pct));
                    prop_assert!((0.0..=100.0).contains(&pct));
                }
            }
        }
    }

    #[test]
    fn quantiles_are_ordered_and_the_median_is_the_textbook_one(values in prop::collection::vec(-1e6f64..1e6, 1..60), missing in 0usize..5) {
        let mut v = values.clone();
        let s = describe(&mut v, missing);
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 };
        prop_assert!((s.median.unwrap_or(f64::NAN) - median).abs() <= 1e-9 * median.abs().max(1.0));
        let (q1, q3) = (s.q1.unwrap_or(f64::NAN), s.q3.unwrap_or(f64::NAN));
        prop_assert!(s.min.unwrap_or(f64::NAN) <= q1 && q1 <= median + 1e-9 && median <= q3 + 1e-9 && q3 <= s.max.unwrap_or(f64::NAN));
        // R-7 lies between the order statistics around (n − 1)·p.
        let h = (n - 1) as f64 * 0.25;
        prop_assert!(sorted[h.floor() as usize] <= q1 + 1e-9 && q1 <= sorted[h.ceil() as usize] + 1e-9);
        prop_assert_eq!((s.n, s.missing), (n, missing));
        let mean = values.iter().sum::<f64>() / n as f64;
        prop_assert!((s.mean.unwrap_or(f64::NAN) - mean).abs() <= 1e-6);
    }

    #[test]
    fn the_aggregate_of_one_unit_is_its_own_ratio(num in 0.0f64..1e6, den in 1.0f64..1e6, factor in prop::sample::select(vec![1.0, 100.0, 1000.0])) {
        let agg = aggregate(factor, [(num, Some(den))]).unwrap_or(f64::NAN);
        prop_assert!((agg - factor * num / den).abs() <= 1e-9 * agg.abs().max(1.0));
    }
}

mod nearest_neighbours {
    use engine::neighbours::ContextMatrix;
    use proptest::prelude::*;

    /// The reference: distances to every complete unit, fully sorted.
    fn brute(cols: &[Vec<Option<f64>>], w: &[f64], target: usize, k: usize) -> Vec<(usize, f64)> {
        let units = cols[0].len();
        let complete: Vec<usize> = (0..units).filter(|&u| cols.iter().all(|c| c[u].is_some())).collect();
        let n = complete.len() as f64;
        let z = |v: usize, u: usize| {
            let vals: Vec<f64> = complete.iter().filter_map(|&x| cols[v][x]).collect();
            let mean = vals.iter().sum::<f64>() / n;
            let sd = if n > 1.0 { (vals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt() } else { 0.0 };
            if sd > 0.0 { (cols[v][u].unwrap_or(mean) - mean) / sd } else { 0.0 }
        };
        let mut all: Vec<(usize, f64)> = complete
            .iter()
            .filter(|&&u| u != target)
            .map(|&u| (u, (0..cols.len()).map(|v| w[v] * (z(v, u) - z(v, target)).powi(2)).sum::<f64>().sqrt()))
            .collect();
        all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        all.truncate(k);
        all
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn selection_agrees_with_a_full_sort(
            cols in prop::collection::vec(prop::collection::vec(prop_oneof![1 => Just(None), 6 => (-20i32..20).prop_map(|v| Some(f64::from(v)))], 12), 1..4),
            k in 1usize..8,
            target in 0usize..12,
        ) {
            let w: Vec<f64> = (0..cols.len()).map(|v| 1.0 + v as f64).collect();
            let refs: Vec<&[Option<f64>]> = cols.iter().map(Vec::as_slice).collect();
            let m = ContextMatrix::standardise(12, &refs);
            match m.nearest(target, &w, k, None) {
                Err(_) => prop_assert!(!m.is_complete(target)),
                Ok(got) => {
                    let want = brute(&cols, &w, target, k);
                    prop_assert_eq!(got.len(), want.len());
                    for (g, (u, d)) in got.iter().zip(&want) {
                        prop_assert!((g.distance - d).abs() < 1e-9, "{} vs {}", g.distance, d);
                        // Equal distances may list different units only if they tie.
                        if g.unit != *u {
                            prop_assert!((g.distance - d).abs() < 1e-9);
                        }
                    }
                }
            }
        }
    }
}
