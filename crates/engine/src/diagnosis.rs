//! Diagnosis of one unit in one year against its peer group: its strongest and weakest
//! indicators, judged by polarity, with the trend over the last 3 and 5 years — where an
//! improvement plan starts.
//!
//! * The *score* of an indicator is the unit's z-score in its group turned by polarity, so
//!   that a positive score is always good; neutral indicators are left out (nothing is good
//!   or bad about them).
//! * Strengths are the indicators with the highest positive scores, weaknesses those with
//!   the lowest negative ones (at most `top` of each); ties by indicator order.
//! * A trend compares the value with the one 3 (5) years earlier: *improving* or *worsening*
//!   by polarity when it moved by more than 1 % of the earlier value, else *stable*;
//!   *unknown* when either value is missing.

use model::Polarity;

/// What the diagnosis needs of one indicator for the unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading<'a> {
    pub polarity: Polarity,
    /// The unit's values by year, consecutive, ending with the year diagnosed.
    pub values: &'a [Option<f64>],
    /// The group's mean and sample standard deviation in the year diagnosed.
    pub group_mean: Option<f64>,
    pub group_sd: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    Improving,
    Stable,
    Worsening,
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Index of the reading.
    pub indicator: usize,
    pub value: f64,
    /// The polarity-turned z-score: positive is good.
    pub score: f64,
    pub change_3y: Option<f64>,
    pub trend_3y: Trend,
    pub change_5y: Option<f64>,
    pub trend_5y: Trend,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Diagnosis {
    /// Readings that could be judged: not neutral, with a value and a group with spread.
    pub judged: usize,
    pub strengths: Vec<Finding>,
    pub weaknesses: Vec<Finding>,
}

fn trend(values: &[Option<f64>], years: usize, polarity: Polarity) -> (Option<f64>, Trend) {
    let n = values.len();
    let now = values.last().copied().flatten();
    let then = n.checked_sub(years + 1).and_then(|i| values.get(i).copied().flatten());
    let (Some(now), Some(then)) = (now, then) else { return (None, Trend::Unknown) };
    let change = now - then;
    let sign = match polarity {
        Polarity::HigherBetter => 1.0,
        Polarity::LowerBetter => -1.0,
        Polarity::Neutral => return (Some(change), Trend::Unknown),
    };
    let t = if change.abs() <= 0.01 * then.abs() {
        Trend::Stable
    } else if change * sign > 0.0 {
        Trend::Improving
    } else {
        Trend::Worsening
    };
    (Some(change), t)
}

/// Diagnoses one unit: at most `top` strengths and `top` weaknesses.
pub fn diagnose(readings: &[Reading<'_>], top: usize) -> Diagnosis {
    let mut findings: Vec<Finding> = readings
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let sign = match r.polarity {
                Polarity::HigherBetter => 1.0,
                Polarity::LowerBetter => -1.0,
                Polarity::Neutral => return None,
            };
            let value = r.values.last().copied().flatten()?;
            let (mean, sd) = (r.group_mean?, r.group_sd?);
            if sd <= 0.0 {
                return None;
            }
            let score = sign * (value - mean) / sd;
            let (change_3y, trend_3y) = trend(r.values, 3, r.polarity);
            let (change_5y, trend_5y) = trend(r.values, 5, r.polarity);
            score.is_finite().then_some(Finding { indicator: i, value, score, change_3y, trend_3y, change_5y, trend_5y })
        })
        .collect();
    findings.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.indicator.cmp(&b.indicator)));
    let strengths: Vec<Finding> = findings.iter().filter(|f| f.score > 0.0).take(top).cloned().collect();
    let mut weaknesses: Vec<Finding> = findings.iter().rev().filter(|f| f.score < 0.0).take(top).cloned().collect();
    weaknesses.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.indicator.cmp(&b.indicator)));
    Diagnosis { judged: findings.len(), strengths, weaknesses }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(polarity: Polarity, values: &[Option<f64>], mean: f64, sd: f64) -> Reading<'_> {
        Reading { polarity, values, group_mean: Some(mean), group_sd: Some(sd) }
    }

    #[test]
    fn strengths_and_weaknesses_follow_polarity_and_trends_follow_it_too() {
        let cost = [Some(90.0), Some(95.0), Some(100.0), Some(110.0), Some(120.0), Some(130.0)]; // per pupil, lower better
        let pupils = [Some(20.0), None, None, Some(20.0), None, Some(25.0)]; // per class, higher better here
        let density = [Some(50.0); 6];
        let unemployment = [Some(10.0), Some(9.0), Some(8.0), Some(8.0), Some(8.0), Some(8.05)]; // lower better
        let readings = [
            reading(Polarity::LowerBetter, &cost, 100.0, 10.0),      // z = +3 → score −3
            reading(Polarity::HigherBetter, &pupils, 20.0, 2.5),     // score +2
            reading(Polarity::Neutral, &density, 10.0, 1.0),         // left out
            reading(Polarity::LowerBetter, &unemployment, 9.0, 1.0), // z = −0.95 → score +0.95
        ];
        let d = diagnose(&readings, 5);
        let s: Vec<usize> = d.strengths.iter().map(|f| f.indicator).collect();
        let w: Vec<usize> = d.weaknesses.iter().map(|f| f.indicator).collect();
        assert_eq!(s, vec![1, 3]);
        assert_eq!(w, vec![0]);
        assert_eq!(d.judged, 3, "the neutral one is not judged");
        let cost_f = &d.weaknesses[0];
        assert!((cost_f.score + 3.0).abs() < 1e-12);
        assert_eq!((cost_f.change_3y, cost_f.trend_3y), (Some(30.0), Trend::Worsening), "cost rose: worse");
        assert_eq!((cost_f.change_5y, cost_f.trend_5y), (Some(40.0), Trend::Worsening));
        let pupils_f = &d.strengths[0];
        assert_eq!((pupils_f.change_3y, pupils_f.trend_3y), (None, Trend::Unknown), "no value 3 years back");
        assert_eq!((pupils_f.change_5y, pupils_f.trend_5y), (Some(5.0), Trend::Improving));
        let unemp = &d.strengths[1];
        assert_eq!(unemp.trend_3y, Trend::Stable, "8 → 8.05 is within 1 %");
        assert_eq!(unemp.trend_5y, Trend::Improving, "10 → 8.05, lower is better");
        assert_eq!(diagnose(&readings, 1).strengths.len(), 1);
    }

    #[test]
    fn units_without_a_value_or_groups_without_spread_give_no_findings() {
        let none = [None, None];
        let flat = [Some(1.0)];
        let readings = [reading(Polarity::HigherBetter, &none, 1.0, 1.0), reading(Polarity::HigherBetter, &flat, 1.0, 0.0)];
        assert_eq!(diagnose(&readings, 3), Diagnosis::default());
        assert_eq!(diagnose(&[], 3), Diagnosis::default());
    }
}
