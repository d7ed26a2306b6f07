//! Targets from peers (`engine::targets`) over a table of realistic cases and over many
//! generated groups: proposals never ask a unit to get worse, the methods are ordered by
//! ambition, trajectories end where they should and a followed trajectory is on track.

use engine::targets::{Progress, TargetMethod, progress, propose, trajectory};
use model::Polarity;

/// One case: a group's values, polarity, the unit's value, the method and the expected target.
fn check(group: &[f64], polarity: Polarity, current: f64, method: TargetMethod, want: Option<f64>) {
    let got = propose(group, polarity, current, method);
    match (got, want) {
        (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{polarity:?} {current} {}: got {g}, want {w}", method.code()),
        _ => assert_eq!(got, want, "{polarity:?} {current} {}", method.code()),
    }
}

#[test]
fn a_table_of_cases() {
    // Share of support costs (%), lower is better; 9 gminy: sorted 12 14 15 18 20 22 25 30 41.
    // median 20, Q1 15, P10 13.6.
    let support = [22.0, 15.0, 41.0, 12.0, 30.0, 18.0, 14.0, 25.0, 20.0];
    check(&support, Polarity::LowerBetter, 30.0, TargetMethod::Median, Some(20.0));
    check(&support, Polarity::LowerBetter, 30.0, TargetMethod::GoodQuartile, Some(15.0));
    check(&support, Polarity::LowerBetter, 30.0, TargetMethod::BestDecile, Some(13.6));
    check(&support, Polarity::LowerBetter, 30.0, TargetMethod::GapToGoodQuartile(0.5), Some(22.5));
    check(&support, Polarity::LowerBetter, 30.0, TargetMethod::GapToGoodQuartile(0.25), Some(26.25));
    // Already below Q1: keeps its value for every method.
    for m in [TargetMethod::Median, TargetMethod::GoodQuartile, TargetMethod::GapToGoodQuartile(0.75)] {
        check(&support, Polarity::LowerBetter, 14.0, m, Some(14.0));
    }
    check(&support, Polarity::LowerBetter, 14.0, TargetMethod::BestDecile, Some(13.6));
    // Nursery places per 1,000 children, higher is better: sorted 0 0 50 100 150 (Q3 100, P90 130).
    let places = [100.0, 0.0, 150.0, 0.0, 50.0];
    check(&places, Polarity::HigherBetter, 0.0, TargetMethod::GoodQuartile, Some(100.0));
    check(&places, Polarity::HigherBetter, 0.0, TargetMethod::BestDecile, Some(130.0));
    check(&places, Polarity::HigherBetter, 0.0, TargetMethod::Median, Some(50.0));
    check(&places, Polarity::HigherBetter, 20.0, TargetMethod::GapToGoodQuartile(0.5), Some(60.0));
    check(&places, Polarity::HigherBetter, 140.0, TargetMethod::BestDecile, Some(140.0));
    // A neutral indicator has no target; a group of one proposes its one value.
    check(&places, Polarity::Neutral, 0.0, TargetMethod::Median, None);
    check(&[7.0], Polarity::HigherBetter, 1.0, TargetMethod::BestDecile, Some(7.0));
}

/// A small fixed-seed generator (SplitMix64).
fn next(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

#[test]
fn over_many_groups_proposals_never_ask_to_get_worse_and_are_ordered_by_ambition() {
    let mut s = 18u64;
    for _ in 0..500 {
        let n = 1 + (next(&mut s) * 40.0) as usize;
        let group: Vec<f64> = (0..n).map(|_| (next(&mut s) * 1000.0).round() / 10.0).collect();
        let current = (next(&mut s) * 1000.0).round() / 10.0;
        for polarity in [Polarity::HigherBetter, Polarity::LowerBetter] {
            // With a rounding slack: a proposal equal to the current value may differ in its last bit.
            let better = |a: f64, b: f64| if polarity == Polarity::HigherBetter { a >= b - 1e-9 } else { a <= b + 1e-9 };
            let value = |m| propose(&group, polarity, current, m).expect("a proposal");
            let (median, q, best) = (value(TargetMethod::Median), value(TargetMethod::GoodQuartile), value(TargetMethod::BestDecile));
            for v in [median, q, best] {
                assert!(better(v, current), "never worse than the current value: {v} vs {current}");
            }
            assert!(better(q, median) && better(best, q), "median ≤ good quartile ≤ best decile by polarity");
            // The gap closes towards the good quartile, or stays at a unit already past it.
            let goal = if better(q, current) { q } else { current };
            let mut last = current;
            for share in [0.25, 0.5, 0.75, 1.0] {
                let g = value(TargetMethod::GapToGoodQuartile(share));
                assert!(better(g, last) && better(goal, g), "a larger share goes further, up to the good quartile");
                last = g;
            }
            assert!((last - goal).abs() < 1e-9, "closing the whole gap reaches the good quartile");
        }
    }
}

#[test]
fn a_followed_trajectory_is_on_track_and_a_stalled_one_is_not() {
    for (polarity, baseline, target) in [(Polarity::LowerBetter, 30.0, 15.0), (Polarity::HigherBetter, 0.0, 100.0)] {
        let path = trajectory(2024, baseline, 2029, target);
        assert_eq!(path.len(), 6);
        assert_eq!((path[0], path[5]), ((2024, baseline), (2029, target)));
        for &(year, planned) in &path[1..] {
            assert_eq!(progress(polarity, baseline, planned, Some(planned)), Progress::OnTrack, "{year}");
            assert_eq!(progress(polarity, baseline, planned, Some(baseline)), Progress::OffTrack, "{year}: stalled");
            assert_eq!(progress(polarity, baseline, planned, None), Progress::NoData);
        }
        // At the baseline year nothing was planned yet: staying put is on track.
        assert_eq!(progress(polarity, baseline, path[0].1, Some(baseline)), Progress::OnTrack);
    }
}
