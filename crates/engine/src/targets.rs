//! Improvement targets from peers: a proposed value, the yearly trajectory to it, and whether
//! an actual value is on track.
//!
//! A target is proposed from the present values of the unit's peer group (R-7 quantiles, as
//! [`crate::stats`] defines them):
//! * `median` — the group's median;
//! * `q3` — the good quartile: Q3 when higher is better, Q1 when lower is better;
//! * `best_decile` — P90 when higher is better, P10 when lower is better;
//! * `gap:s` — the unit's own value moved a share `s` (0 < s ≤ 1) of the way to the good
//!   quartile.
//!
//! A proposal never asks a unit to get worse: one already better than the proposed value keeps
//! its own value. A neutral indicator has no good direction and so no target.
//!
//! Progress compares the change a unit has made since its baseline with the change its
//! trajectory planned by the same year, in the good direction of the indicator; falling short
//! by at most [`PROGRESS_TOLERANCE`] of the planned change is still on track.

use model::Polarity;

use crate::stats::quantile_sorted;

/// How a target is proposed from the peer group's values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TargetMethod {
    Median,
    /// Q3 when higher is better, Q1 when lower is better.
    GoodQuartile,
    /// P90 when higher is better, P10 when lower is better.
    BestDecile,
    /// Close this share of the gap between the unit's value and the good quartile
    /// (0 < s ≤ 1).
    GapToGoodQuartile(f64),
}

impl TargetMethod {
    /// The method's stable code: `median`, `q3`, `best_decile`, `gap:0.5`.
    pub fn code(&self) -> String {
        match self {
            TargetMethod::Median => "median".to_owned(),
            TargetMethod::GoodQuartile => "q3".to_owned(),
            TargetMethod::BestDecile => "best_decile".to_owned(),
            TargetMethod::GapToGoodQuartile(s) => format!("gap:{s}"),
        }
    }

    /// Reads a code written by [`TargetMethod::code`]; none for anything else, including a gap
    /// share outside (0, 1].
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "median" => Some(TargetMethod::Median),
            "q3" => Some(TargetMethod::GoodQuartile),
            "best_decile" => Some(TargetMethod::BestDecile),
            other => {
                let share: f64 = other.strip_prefix("gap:")?.trim().parse().ok()?;
                valid_share(share).then_some(TargetMethod::GapToGoodQuartile(share))
            }
        }
    }
}

fn valid_share(s: f64) -> bool {
    s.is_finite() && s > 0.0 && s <= 1.0
}

/// The target value from the group's present values (any order; non-finite ones are left
/// out): for HigherBetter the good quartile is Q3 and the best decile P90; for LowerBetter Q1
/// and P10 (R-7, as stats.rs). None for Neutral polarity or no values, and for a gap share
/// outside (0, 1] or a gap method without a finite current value. A unit already better than
/// the proposal keeps its own value (the proposal never asks to get worse).
pub fn propose(group_values: &[f64], polarity: Polarity, current: f64, method: TargetMethod) -> Option<f64> {
    let higher = match polarity {
        Polarity::HigherBetter => true,
        Polarity::LowerBetter => false,
        Polarity::Neutral => return None,
    };
    let mut sorted: Vec<f64> = group_values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_unstable_by(f64::total_cmp);
    let good = |p_higher: f64| quantile_sorted(&sorted, if higher { p_higher } else { 1.0 - p_higher });
    let proposal = match method {
        TargetMethod::Median => quantile_sorted(&sorted, 0.5)?,
        TargetMethod::GoodQuartile => good(0.75)?,
        TargetMethod::BestDecile => good(0.9)?,
        TargetMethod::GapToGoodQuartile(s) => {
            if !valid_share(s) || !current.is_finite() {
                return None;
            }
            // Written so that s = 1 gives the quartile exactly.
            (1.0 - s) * current + s * good(0.75)?
        }
    };
    if !current.is_finite() {
        return Some(proposal);
    }
    let better_already = if higher { current > proposal } else { current < proposal };
    Some(if better_already { current } else { proposal })
}

/// Straight line from baseline to target, one point a year, baseline_year..=target_year. One
/// point (the target) when the years are equal; nothing when the target year comes first.
pub fn trajectory(baseline_year: i32, baseline: f64, target_year: i32, target: f64) -> Vec<(i32, f64)> {
    if target_year < baseline_year {
        return Vec::new();
    }
    if target_year == baseline_year {
        return vec![(target_year, target)];
    }
    let span = f64::from(target_year - baseline_year);
    (baseline_year..=target_year)
        .map(|y| {
            let t = f64::from(y - baseline_year) / span;
            // The ends exactly: no rounding on the baseline or the target itself.
            let v = if y == target_year { target } else { baseline + t * (target - baseline) };
            (y, v)
        })
        .collect()
}

/// Where an actual value stands against the value its trajectory planned for that year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    OnTrack,
    OffTrack,
    NoData,
}

/// On track when the actual value has covered at least (1 − PROGRESS_TOLERANCE) of the change the
/// trajectory planned by that year (by polarity; a zero planned change: not worse than baseline).
pub const PROGRESS_TOLERANCE: f64 = 0.1;

/// The progress of `actual` against the trajectory's `planned` value of the same year, both
/// measured from `baseline`. The change is counted in the indicator's good direction (up when
/// higher is better, down when lower is better); a neutral indicator has none, so its change
/// is counted in the planned direction (with no planned change it is on track whatever it
/// does). A planned worsening (a manual target) is on track while the worsening stays within
/// the planned change plus the tolerance. No data for a missing or non-finite actual value or
/// non-finite inputs.
pub fn progress(polarity: Polarity, baseline: f64, planned: f64, actual: Option<f64>) -> Progress {
    let Some(actual) = actual.filter(|a| a.is_finite()) else {
        return Progress::NoData;
    };
    if !baseline.is_finite() || !planned.is_finite() {
        return Progress::NoData;
    }
    let direction = match polarity {
        Polarity::HigherBetter => 1.0,
        Polarity::LowerBetter => -1.0,
        Polarity::Neutral => {
            if planned == baseline {
                return Progress::OnTrack;
            }
            (planned - baseline).signum()
        }
    };
    let planned_gain = direction * (planned - baseline);
    let actual_gain = direction * (actual - baseline);
    let needed = planned_gain - PROGRESS_TOLERANCE * planned_gain.abs();
    // Rounding slack, so that a value exactly on the threshold counts as reaching it.
    let slack = 1e-9 * baseline.abs().max(planned.abs()).max(1.0);
    if actual_gain + slack >= needed { Progress::OnTrack } else { Progress::OffTrack }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Polarity::{HigherBetter as Hi, LowerBetter as Lo, Neutral};
    use TargetMethod::{BestDecile, GapToGoodQuartile as Gap, GoodQuartile, Median};

    /// 0, 10, …, 100: median 50, Q1 25, Q3 75, P10 10, P90 90.
    fn group() -> Vec<f64> {
        // Out of order on purpose: the proposal sorts.
        vec![100.0, 0.0, 50.0, 30.0, 70.0, 10.0, 90.0, 20.0, 80.0, 40.0, 60.0]
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn proposals_follow_the_table_of_cases() {
        // (polarity, current, method, expected)
        let cases: [(Polarity, f64, TargetMethod, f64); 18] = [
            (Hi, 5.0, Median, 50.0),
            (Hi, 5.0, GoodQuartile, 75.0),
            (Hi, 5.0, BestDecile, 90.0),
            (Hi, 5.0, Gap(0.5), 40.0),
            (Hi, 5.0, Gap(1.0), 75.0),
            (Hi, 5.0, Gap(0.25), 22.5),
            // Already above the proposal: keeps its own value.
            (Hi, 80.0, GoodQuartile, 80.0),
            (Hi, 80.0, Median, 80.0),
            (Hi, 95.0, BestDecile, 95.0),
            (Hi, 80.0, Gap(0.5), 80.0),
            (Lo, 95.0, Median, 50.0),
            (Lo, 95.0, GoodQuartile, 25.0),
            (Lo, 95.0, BestDecile, 10.0),
            (Lo, 95.0, Gap(0.5), 60.0),
            // A lower-better unit already below Q1 keeps its value.
            (Lo, 12.0, GoodQuartile, 12.0),
            (Lo, 12.0, Gap(0.75), 12.0),
            (Lo, 5.0, BestDecile, 5.0),
            (Lo, 30.0, Median, 30.0),
        ];
        for (pol, cur, m, want) in cases {
            let got = propose(&group(), pol, cur, m);
            assert!(close(got, want), "{pol:?} current {cur} {m:?}: got {got:?}, want {want}");
        }
    }

    #[test]
    fn no_proposal_without_direction_values_or_a_valid_share() {
        assert_eq!(propose(&group(), Neutral, 5.0, Median), None);
        assert_eq!(propose(&[], Hi, 5.0, Median), None);
        assert_eq!(propose(&[f64::NAN, f64::INFINITY], Hi, 5.0, Median), None);
        assert_eq!(propose(&group(), Hi, 5.0, Gap(0.0)), None);
        assert_eq!(propose(&group(), Hi, 5.0, Gap(1.5)), None);
        assert_eq!(propose(&group(), Hi, f64::NAN, Gap(0.5)), None);
        // Without a current value the group's value is still a proposal.
        assert!(close(propose(&group(), Lo, f64::NAN, GoodQuartile), 25.0));
        // Non-finite group values are left out: one value left.
        assert!(close(propose(&[f64::NAN, 7.0], Hi, 1.0, BestDecile), 7.0));
    }

    #[test]
    fn method_codes_round_trip_and_bad_codes_are_refused() {
        for m in [Median, GoodQuartile, BestDecile, Gap(0.25), Gap(0.5), Gap(0.75), Gap(1.0)] {
            assert_eq!(TargetMethod::parse(&m.code()), Some(m), "{}", m.code());
        }
        assert_eq!(Gap(0.5).code(), "gap:0.5");
        assert_eq!(GoodQuartile.code(), "q3");
        for bad in ["", "mean", "gap:", "gap:0", "gap:-0.5", "gap:1.01", "gap:NaN", "gap:inf", "q1"] {
            assert_eq!(TargetMethod::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_trajectory_is_a_straight_line_with_exact_ends() {
        let t = trajectory(2024, 10.0, 2028, 30.0);
        assert_eq!(t, vec![(2024, 10.0), (2025, 15.0), (2026, 20.0), (2027, 25.0), (2028, 30.0)]);
        let down = trajectory(2020, 0.3, 2023, 0.1);
        assert_eq!(down.len(), 4);
        assert_eq!(down.first(), Some(&(2020, 0.3)));
        assert_eq!(down.last(), Some(&(2023, 0.1)));
        assert!(down.windows(2).all(|w| w[1].1 < w[0].1));
        assert_eq!(trajectory(2025, 1.0, 2025, 2.0), vec![(2025, 2.0)]);
        assert!(trajectory(2026, 1.0, 2025, 2.0).is_empty());
    }

    #[test]
    fn progress_counts_the_change_in_the_good_direction() {
        // (polarity, baseline, planned, actual, expected)
        let cases = [
            (Hi, 10.0, 20.0, Some(20.0), Progress::OnTrack),
            (Hi, 10.0, 20.0, Some(25.0), Progress::OnTrack),
            (Hi, 10.0, 20.0, Some(19.0), Progress::OnTrack), // exactly 90 % of the planned change
            (Hi, 10.0, 20.0, Some(18.9), Progress::OffTrack),
            (Hi, 10.0, 20.0, Some(5.0), Progress::OffTrack),
            (Lo, 20.0, 10.0, Some(10.0), Progress::OnTrack),
            (Lo, 20.0, 10.0, Some(11.0), Progress::OnTrack),
            (Lo, 20.0, 10.0, Some(11.5), Progress::OffTrack),
            (Lo, 20.0, 10.0, Some(25.0), Progress::OffTrack),
            // Zero planned change: not worse than the baseline.
            (Hi, 10.0, 10.0, Some(10.0), Progress::OnTrack),
            (Hi, 10.0, 10.0, Some(9.0), Progress::OffTrack),
            (Lo, 10.0, 10.0, Some(9.0), Progress::OnTrack),
            (Lo, 10.0, 10.0, Some(10.5), Progress::OffTrack),
            // A planned worsening: on track within the planned change and the tolerance.
            (Hi, 10.0, 5.0, Some(4.6), Progress::OnTrack),
            (Hi, 10.0, 5.0, Some(4.0), Progress::OffTrack),
            // Neutral: in the planned direction.
            (Neutral, 10.0, 20.0, Some(19.5), Progress::OnTrack),
            (Neutral, 10.0, 20.0, Some(12.0), Progress::OffTrack),
            (Neutral, 10.0, 10.0, Some(3.0), Progress::OnTrack),
            (Hi, 10.0, 20.0, None, Progress::NoData),
            (Hi, 10.0, 20.0, Some(f64::NAN), Progress::NoData),
            (Hi, f64::NAN, 20.0, Some(20.0), Progress::NoData),
        ];
        for (pol, base, planned, actual, want) in cases {
            assert_eq!(progress(pol, base, planned, actual), want, "{pol:?} {base} → {planned}, actual {actual:?}");
        }
    }

    #[test]
    fn a_proposal_with_its_trajectory_is_on_track_when_followed() {
        let target = propose(&group(), Lo, 95.0, GoodQuartile).expect("target");
        let path = trajectory(2024, 95.0, 2027, target);
        for &(_, planned) in &path {
            assert_eq!(progress(Lo, 95.0, planned, Some(planned)), Progress::OnTrack);
            assert_eq!(progress(Lo, 95.0, planned, Some(96.0)), Progress::OffTrack, "worse than the baseline");
        }
    }
}
