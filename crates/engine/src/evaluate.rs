//! Re-evaluation of a change against peers: difference in differences with a placebo interval,
//! and optionally a synthetic comparison unit from the nearest peers.
//!
//! # The method
//! * **Before and after.** The unit's level *before* is the mean of its values in the `before`
//!   years just before the start year; its level *after* the mean of its values in the `after`
//!   years from the start year on. Its change is after − before.
//! * **Peers' change.** The same for every peer (the unit's comparison group, without the unit):
//!   the peers' change is the mean of their changes. A peer without a value in either window is
//!   left out; at least [`MIN_PEERS`] must remain.
//! * **Estimate** (difference in differences): the unit's change − the peers' change. Whatever
//!   hit all units alike (a law, prices, a census) falls out of it.
//! * **Placebo interval.** Each peer is treated as if it had acted: its own change − the mean
//!   change of the other peers. These placebo estimates show how far units differ from their
//!   group *without* any action. The interval at level `level` (95 % by default) is
//!   estimate − the upper placebo quantile … estimate − the lower placebo quantile. The unit
//!   **stands out** when the interval leaves out zero; otherwise its change does not differ
//!   from the changes in the group.
//! * **The quantiles, for a finite group.** If nothing happened, the unit's estimate is one
//!   more draw beside the n placebo estimates, so it falls below the k-th smallest of them with
//!   probability k/(n + 1). The lower quantile is therefore taken (R-7, as [`crate::stats`]) at
//!   the position k = (n + 1)·(1 − level)/2 among the sorted placebos, not at the plain
//!   (1 − level)/2 quantile, which would flag too many units in a small group; the upper
//!   likewise. Below k = 1 — fewer than 39 peers at 95 % — no interval reaches the level: it
//!   spans the placebos' whole range, and its real level is 1 − 2/(n + 1)
//!   ([`interval_level`]; 87.5 % with 15 peers). Each placebo is measured against one peer
//!   fewer than the unit, which widens the placebos by n/(n − 1): in a small group the
//!   interval errs a little on the safe side (with 15 peers about 10 % of units without effect
//!   stand out, not 12.5 %).
//! * **p-value**: (1 + the number of placebo estimates at least as large in absolute value as
//!   the unit's) / (1 + the number of peers): the share of peers that moved at least as far
//!   away from their group as the unit did.
//! * **Synthetic comparison** (optional): the `synthetic_k` peers whose values in the before
//!   years were closest to the unit's (root mean square distance of the levels), weighted
//!   equally; their mean series is a comparison unit that started where the unit did, and the
//!   estimate against it is computed the same way. It is a cross-check without an interval of
//!   its own.
//!
//! # Its limits
//! * It shows an association in time, not a cause: anything else that changed in the unit from
//!   the start year (another project, a new mayor, a boundary change, a change of how the data
//!   are reported) is counted in the estimate.
//! * It assumes that without the change the unit would have moved as its peers did (parallel
//!   trends). A unit that was already moving away from its group before the start is
//!   misjudged; compare the years before the start on the chart.
//! * Peers that made a similar change themselves make the effect look smaller; leave them out
//!   (reorganisations of the same kind are excluded when asked).
//! * With few peers the interval is wide, its level below the one asked for (see above), and
//!   the p-value cannot fall below 1/(1 + n); with fewer than [`MIN_PEERS`] nothing is
//!   estimated. Effects that take longer than the `after`
//!   years to show, or that fade, are under-stated.
//! * Missing years are skipped within a window, so a window's mean may rest on fewer years.
//!
//! The same words for readers, in Polish and English: [`METHOD_PL`], [`METHOD_EN`],
//! [`LIMITS_PL`], [`LIMITS_EN`].

use std::ops::Range;

use crate::stats::quantile_sorted;

/// The fewest peers with values before and after that an estimate needs.
pub const MIN_PEERS: usize = 5;

/// The method in a reader's words (Polish).
pub const METHOD_PL: &str = "Porównujemy zmianę wskaźnika w jednostce (średnia z lat od początku zmiany minus średnia z lat \
przed nią) ze zmianą w tych samych latach w jednostkach z jej grupy porównawczej (różnica różnic). Żeby ocenić, czy wynik \
odróżnia się od tego, co dzieje się w grupie i tak, liczymy to samo dla każdej jednostki z grupy, tak jakby to ona wprowadziła \
zmianę (test placebo). Przedział pokazuje, w jakim zakresie mieści się efekt przy rozrzucie zmian w grupie; jeśli obejmuje \
zero, zmiana nie odróżnia się od zmian w grupie. Porównanie syntetyczne to średnia z jednostek grupy najbardziej podobnych do \
tej jednostki w latach przed zmianą.";

/// The method in a reader's words (English).
pub const METHOD_EN: &str = "We compare the change of the indicator in the unit (the mean of the years from the start of the \
change minus the mean of the years before it) with the change over the same years in the units of its comparison group \
(difference in differences). To judge whether the result differs from what happens in the group anyway, we compute the same \
for every unit of the group as if it had made the change (a placebo test). The interval shows the range of the effect given \
the spread of changes in the group; if it includes zero, the change does not differ from the changes in the group. The \
synthetic comparison is the mean of the group's units closest to this unit in the years before the change.";

/// The method's limits in a reader's words (Polish).
pub const LIMITS_PL: &str = "To porównanie w czasie, nie dowód przyczyny: wszystko, co jeszcze zmieniło się w jednostce od \
początku zmiany (inny projekt, zmiana sposobu sprawozdawania, zmiana granic), wchodzi do wyniku. Zakładamy, że bez zmiany \
jednostka zmieniałaby się tak jak jej grupa — jeśli już przed zmianą oddalała się od grupy, wynik jest mylący (zobacz lata \
przed zmianą na wykresie). Jednostki z grupy, które zrobiły coś podobnego, zaniżają efekt. Przy małej grupie przedział jest \
szeroki i mniej pewny: poniżej 39 jednostek nie osiąga 95 % (przy 15 jednostkach 87,5 %); poniżej 5 jednostek nie liczymy \
nic. Efekty, które pojawiają się później niż w ocenianych latach, są niedoszacowane.";

/// The method's limits in a reader's words (English).
pub const LIMITS_EN: &str = "This is a comparison in time, not proof of a cause: anything else that changed in the unit from \
the start (another project, a change in how data are reported, a boundary change) is part of the result. We assume that \
without the change the unit would have moved as its group did — if it was already moving away from the group before, the \
result misleads (look at the years before the start on the chart). Units in the group that did something similar make the \
effect look smaller. With a small group the interval is wide and less sure: below 39 units it does not reach 95 % (with 15 \
units, 87.5 %); below 5 units nothing is computed. Effects that appear later \
than the years evaluated are under-stated.";

/// How the estimate is made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvalOptions {
    /// Years before the start (at least one is used).
    pub before: usize,
    /// Years from the start on, the start year included (at least one is used).
    pub after: usize,
    /// The interval's level; one outside (0, 1) is taken as 0.95.
    pub level: f64,
    /// Nearest peers for the synthetic comparison, 0 = none.
    pub synthetic_k: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions { before: 3, after: 3, level: 0.95, synthetic_k: 5 }
    }
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub unit_before: f64,
    pub unit_after: f64,
    pub unit_change: f64,
    /// Mean over peers of (after − before).
    pub peers_change: f64,
    /// unit_change − peers_change.
    pub estimate: f64,
    /// Each peer's own estimate against the others, in the order of the peers kept.
    pub placebo: Vec<f64>,
    /// estimate − q_hi(placebo), estimate − q_lo(placebo).
    pub interval: (f64, f64),
    /// (1 + #{|placebo| ≥ |estimate|}) / (1 + n).
    pub p_value: f64,
    /// Zero lies outside the interval.
    pub stands_out: bool,
    pub n_peers: usize,
    pub synthetic: Option<Synthetic>,
}

/// The synthetic comparison unit: the nearest peers in the before years, weighted equally.
#[derive(Debug, Clone, PartialEq)]
pub struct Synthetic {
    /// Indices into the `peers` given to [`evaluate`], nearest first.
    pub members: Vec<usize>,
    /// Their mean value for every year (none where no member has one).
    pub series: Vec<Option<f64>>,
    /// unit_change − the synthetic unit's change.
    pub estimate: f64,
}

/// Why nothing could be estimated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("too few peers with values before and after the start: {have}, at least {need} needed")]
    TooFewPeers { have: usize, need: usize },
    #[error("the unit has no value {}", if *before { "in the years before the start" } else { "in the years from the start on" })]
    NoUnitData { before: bool },
    #[error("the start year leaves no years before it or none from it on")]
    StartOutside,
}

/// The level asked for: one outside (0, 1) is taken as 0.95.
fn level_of(level: f64) -> f64 {
    if level > 0.0 && level < 1.0 { level } else { 0.95 }
}

/// The R-7 probability of the lower placebo quantile for `n` placebos at `level`: the position
/// k = (n + 1)·(1 − level)/2 (1-based) among the sorted placebos, h = k − 1 = (n − 1)·p; the
/// smallest placebo when k < 1.
fn placebo_quantile(n: usize, level: f64) -> f64 {
    if n < 2 {
        return 0.0;
    }
    let k = (n + 1) as f64 * (1.0 - level) / 2.0;
    ((k - 1.0) / (n - 1) as f64).clamp(0.0, 0.5)
}

/// The level the placebo interval really has with `n_peers` peers when `level` is asked for:
/// the level itself, or 1 − 2/(n + 1) when the group is too small to reach it (the interval
/// then spans the placebos' whole range).
pub fn interval_level(n_peers: usize, level: f64) -> f64 {
    let level = level_of(level);
    level.min(1.0 - 2.0 / (n_peers + 1) as f64)
}

/// The mean of the finite values of `series` in `range` (indices past its end are missing).
fn window_mean(series: &[Option<f64>], range: Range<usize>) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0usize);
    for v in range.filter_map(|t| series.get(t).copied().flatten()).filter(|v| v.is_finite()) {
        sum += v;
        n += 1;
    }
    (n > 0).then(|| sum / n as f64)
}

/// The before and after windows (year indices) of a series of `len` years with the change
/// starting at index `start`: `before` years just before it, `after` years from it on, cut to
/// the series; none when the start leaves no year before it or none from it on.
pub fn windows(len: usize, start: usize, o: &EvalOptions) -> Option<(Range<usize>, Range<usize>)> {
    if start == 0 || start >= len {
        return None;
    }
    Some((start.saturating_sub(o.before.max(1))..start, start..(start + o.after.max(1)).min(len)))
}

/// Whether a peer's series has a value in both windows, i.e. whether [`evaluate`] keeps it.
pub fn kept(series: &[Option<f64>], (before, after): &(Range<usize>, Range<usize>)) -> bool {
    window_mean(series, before.clone()).is_some() && window_mean(series, after.clone()).is_some()
}

/// `treated` and each peer: values by year over the same years; `start` = index of the first
/// year of the change. Peers without a value in both windows are left out. Need ≥ 5 peers.
pub fn evaluate(treated: &[Option<f64>], peers: &[Vec<Option<f64>>], start: usize, o: &EvalOptions) -> Result<Estimate, EvalError> {
    let (before, after) = windows(treated.len(), start, o).ok_or(EvalError::StartOutside)?;
    let unit_before = window_mean(treated, before.clone()).ok_or(EvalError::NoUnitData { before: true })?;
    let unit_after = window_mean(treated, after.clone()).ok_or(EvalError::NoUnitData { before: false })?;
    let unit_change = unit_after - unit_before;

    // (peer index, its change)
    let kept: Vec<(usize, f64)> =
        peers.iter().enumerate().filter_map(|(j, p)| Some((j, window_mean(p, after.clone())? - window_mean(p, before.clone())?))).collect();
    let n = kept.len();
    if n < MIN_PEERS {
        return Err(EvalError::TooFewPeers { have: n, need: MIN_PEERS });
    }
    let total: f64 = kept.iter().map(|k| k.1).sum();
    let peers_change = total / n as f64;
    let estimate = unit_change - peers_change;
    let placebo: Vec<f64> = kept.iter().map(|&(_, d)| d - (total - d) / (n - 1) as f64).collect();

    let mut sorted = placebo.clone();
    sorted.sort_unstable_by(f64::total_cmp);
    let p_lo = placebo_quantile(n, level_of(o.level));
    // n ≥ MIN_PEERS, so both quantiles exist.
    let q_lo = quantile_sorted(&sorted, p_lo).unwrap_or(f64::NAN);
    let q_hi = quantile_sorted(&sorted, 1.0 - p_lo).unwrap_or(f64::NAN);
    let interval = (estimate - q_hi, estimate - q_lo);
    let as_large = placebo.iter().filter(|p| p.abs() >= estimate.abs()).count();
    let p_value = (1 + as_large) as f64 / (1 + n) as f64;
    let stands_out = !(interval.0 <= 0.0 && 0.0 <= interval.1);

    let synthetic = if o.synthetic_k == 0 { None } else { synthetic(treated, peers, &kept, before, after, o.synthetic_k, unit_change) };

    Ok(Estimate { unit_before, unit_after, unit_change, peers_change, estimate, placebo, interval, p_value, stands_out, n_peers: n, synthetic })
}

/// The `k` kept peers nearest to the unit in the before window (RMS distance over the years
/// both have), their mean series and the estimate against it.
fn synthetic(
    treated: &[Option<f64>],
    peers: &[Vec<Option<f64>>],
    kept: &[(usize, f64)],
    before: Range<usize>,
    after: Range<usize>,
    k: usize,
    unit_change: f64,
) -> Option<Synthetic> {
    let mut near: Vec<(f64, usize)> = kept
        .iter()
        .filter_map(|&(j, _)| {
            let (mut ss, mut m) = (0.0, 0usize);
            for t in before.clone() {
                if let (Some(a), Some(b)) = (treated.get(t).copied().flatten(), peers[j].get(t).copied().flatten())
                    && a.is_finite()
                    && b.is_finite()
                {
                    ss += (a - b) * (a - b);
                    m += 1;
                }
            }
            (m > 0).then(|| ((ss / m as f64).sqrt(), j))
        })
        .collect();
    near.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    near.truncate(k);
    if near.is_empty() {
        return None;
    }
    let members: Vec<usize> = near.iter().map(|m| m.1).collect();
    let series: Vec<Option<f64>> = (0..treated.len())
        .map(|t| {
            let (mut sum, mut c) = (0.0, 0usize);
            for &j in &members {
                if let Some(v) = peers[j].get(t).copied().flatten().filter(|v| v.is_finite()) {
                    sum += v;
                    c += 1;
                }
            }
            (c > 0).then(|| sum / c as f64)
        })
        .collect();
    let change = window_mean(&series, after)? - window_mean(&series, before)?;
    Some(Synthetic { members, series, estimate: unit_change - change })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[f64]) -> Vec<Option<f64>> {
        v.iter().map(|x| Some(*x)).collect()
    }

    /// Six peers, flat at their level except for a common +1 from year 3 and each its own
    /// wobble; the unit gains +1 (common) + 4 (its own).
    fn case() -> (Vec<Option<f64>>, Vec<Vec<Option<f64>>>) {
        let wobble = [-0.3, -0.1, 0.0, 0.1, 0.2, 0.5];
        let peers: Vec<Vec<Option<f64>>> = wobble
            .iter()
            .enumerate()
            .map(|(j, w)| {
                let level = 10.0 * (j + 1) as f64;
                s(&[level, level, level, level + 1.0 + w, level + 1.0 + w, level + 1.0 + w])
            })
            .collect();
        (s(&[33.0, 33.0, 33.0, 38.0, 38.0, 38.0]), peers)
    }

    #[test]
    fn the_estimate_is_the_difference_of_changes_and_the_interval_comes_from_placebos() {
        let (unit, peers) = case();
        let e = evaluate(&unit, &peers, 3, &EvalOptions::default()).expect("estimate");
        assert_eq!((e.unit_before, e.unit_after, e.unit_change), (33.0, 38.0, 5.0));
        let mean_wobble = (-0.3 - 0.1 + 0.0 + 0.1 + 0.2 + 0.5) / 6.0;
        assert!((e.peers_change - (1.0 + mean_wobble)).abs() < 1e-12);
        assert!((e.estimate - (5.0 - e.peers_change)).abs() < 1e-12);
        assert_eq!(e.n_peers, 6);
        // The first peer's placebo: its change against the other five.
        let p0 = 0.7 - (0.9 + 1.0 + 1.1 + 1.2 + 1.5) / 5.0;
        assert!((e.placebo[0] - p0).abs() < 1e-12, "{:?}", e.placebo);
        // Six peers are too few for 95 %: the interval spans the placebos' range (level 5/7).
        let lo = e.placebo.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = e.placebo.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert!((e.interval.0 - (e.estimate - hi)).abs() < 1e-12 && (e.interval.1 - (e.estimate - lo)).abs() < 1e-12);
        assert!((interval_level(6, 0.95) - 5.0 / 7.0).abs() < 1e-12);
        assert!(e.interval.0 < e.estimate && e.estimate < e.interval.1);
        assert!(e.stands_out && e.interval.0 > 0.0);
        assert!((e.p_value - 1.0 / 7.0).abs() < 1e-12, "no placebo as large: the smallest p = 1/(1 + n)");
    }

    #[test]
    fn a_unit_that_moved_like_its_peers_does_not_stand_out() {
        let (_, peers) = case();
        let unit = s(&[33.0, 33.0, 33.0, 34.0, 34.0, 34.0]);
        let e = evaluate(&unit, &peers, 3, &EvalOptions::default()).expect("estimate");
        assert!(e.estimate.abs() < 0.1);
        assert!(!e.stands_out, "{:?}", e.interval);
        assert!(e.interval.0 < 0.0 && e.interval.1 > 0.0);
        assert!(e.p_value > 0.5);
    }

    #[test]
    fn peers_without_values_in_a_window_are_left_out_and_too_few_is_an_error() {
        let (unit, mut peers) = case();
        peers[0] = vec![None, None, None, Some(1.0), Some(1.0), Some(1.0)];
        peers[1] = vec![Some(1.0), Some(1.0), Some(1.0), None, None, Some(f64::NAN)];
        assert_eq!(evaluate(&unit, &peers, 3, &EvalOptions::default()), Err(EvalError::TooFewPeers { have: 4, need: 5 }));
        peers.push(s(&[7.0, 7.0, 7.0, 8.0, 8.0, 8.0]));
        let e = evaluate(&unit, &peers, 3, &EvalOptions::default()).expect("five peers");
        assert_eq!(e.n_peers, 5);
        assert_eq!(e.placebo.len(), 5);
        let w = windows(6, 3, &EvalOptions::default()).expect("windows");
        assert_eq!(w, (0..3, 3..6));
        let kept_ones: Vec<usize> = (0..peers.len()).filter(|&j| kept(&peers[j], &w)).collect();
        assert_eq!(kept_ones, vec![2, 3, 4, 5, 6], "the peers evaluate keeps");
    }

    #[test]
    fn the_unit_needs_values_on_both_sides_of_a_start_inside_the_years() {
        let (mut unit, peers) = case();
        let o = EvalOptions::default();
        assert_eq!(evaluate(&unit, &peers, 0, &o), Err(EvalError::StartOutside));
        assert_eq!(evaluate(&unit, &peers, 6, &o), Err(EvalError::StartOutside));
        unit[0] = None;
        unit[1] = None;
        unit[2] = None;
        assert_eq!(evaluate(&unit, &peers, 3, &o), Err(EvalError::NoUnitData { before: true }));
        let (mut unit, _) = case();
        for v in unit.iter_mut().skip(3) {
            *v = None;
        }
        assert_eq!(evaluate(&unit, &peers, 3, &o), Err(EvalError::NoUnitData { before: false }));
    }

    #[test]
    fn windows_are_limited_by_before_and_after() {
        // A unit and peers that jump at index 1 and again at index 5: with one year each side
        // of start 3 neither jump is seen.
        let unit = s(&[0.0, 10.0, 10.0, 10.0, 10.0, 90.0]);
        let peers: Vec<Vec<Option<f64>>> = (0..6).map(|j| s(&[j as f64, j as f64, j as f64, j as f64 + 0.1 * j as f64, 5.0, 5.0])).collect();
        let o = EvalOptions { before: 1, after: 1, ..EvalOptions::default() };
        let e = evaluate(&unit, &peers, 3, &o).expect("estimate");
        assert_eq!((e.unit_before, e.unit_after), (10.0, 10.0));
    }

    #[test]
    fn the_synthetic_unit_is_made_of_the_nearest_peers_before_the_start() {
        // Peers at levels 0..20; the unit at 10.2. Peers' trends grow with their level, so the
        // nearest peers are the fair comparison: the unit moves like the level-10 peers, +2.
        let peers: Vec<Vec<Option<f64>>> = (0..20)
            .map(|j| {
                let l = j as f64;
                s(&[l, l, l, l + 0.2 * l, l + 0.2 * l, l + 0.2 * l])
            })
            .collect();
        let unit = s(&[10.2, 10.2, 10.2, 12.2, 12.2, 12.2]);
        let o = EvalOptions { synthetic_k: 3, ..EvalOptions::default() };
        let e = evaluate(&unit, &peers, 3, &o).expect("estimate");
        let syn = e.synthetic.expect("synthetic");
        assert_eq!(syn.members, vec![10, 11, 9]);
        assert!((syn.series[0].expect("value") - 10.0).abs() < 1e-12);
        assert!(syn.estimate.abs() < 1e-9, "the unit moved as its nearest peers: {}", syn.estimate);
        assert!((e.peers_change - 1.9).abs() < 1e-12);
        let none = evaluate(&unit, &peers, 3, &EvalOptions { synthetic_k: 0, ..o }).expect("estimate");
        assert!(none.synthetic.is_none());
    }

    #[test]
    fn the_quantiles_sit_where_a_unit_without_effect_falls_outside_as_often_as_the_level_says() {
        // 199 placebos: k = 200·0.025 = 5, the 5th smallest exactly (R-7 h = 4 = 198·p).
        let p = placebo_quantile(199, 0.95);
        let sorted: Vec<f64> = (0..199).map(f64::from).collect();
        let near = |q: Option<f64>, want: f64| q.is_some_and(|q| (q - want).abs() < 1e-9);
        assert!(near(quantile_sorted(&sorted, p), 4.0) && near(quantile_sorted(&sorted, 1.0 - p), 194.0), "p = {p}");
        assert_eq!(interval_level(199, 0.95), 0.95);
        // 39 peers: k = 1, the extremes, and the level is just reached.
        assert!(placebo_quantile(39, 0.95) < 1e-12);
        assert!((interval_level(39, 0.95) - 0.95).abs() < 1e-12);
        assert!((interval_level(15, 0.95) - 0.875).abs() < 1e-12);
        assert_eq!(interval_level(15, 7.0), interval_level(15, 0.95));
    }

    #[test]
    fn a_level_outside_zero_one_is_taken_as_95_percent() {
        let (unit, peers) = case();
        let a = evaluate(&unit, &peers, 3, &EvalOptions { level: 7.0, ..EvalOptions::default() }).expect("estimate");
        let b = evaluate(&unit, &peers, 3, &EvalOptions::default()).expect("estimate");
        assert_eq!(a.interval, b.interval);
        let narrow = evaluate(&unit, &peers, 3, &EvalOptions { level: 0.5, ..EvalOptions::default() }).expect("estimate");
        assert!(narrow.interval.1 - narrow.interval.0 < b.interval.1 - b.interval.0);
    }
}
