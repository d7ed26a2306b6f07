//! Re-evaluation of a change against peers: a unit's indicator before and after a start year
//! against its peer group's over the same years (difference in differences) with the placebo
//! interval of `engine::evaluate`, read from the public snapshot, and judged by polarity.

use engine::evaluate::{Estimate, EvalError, EvalOptions, windows};
use model::{Polarity, TerytCode};
use store::Store;

use crate::nearest::NearestSpec;
use crate::{AppError, Computed};

/// The interval's level.
pub const LEVEL: f64 = 0.95;
/// Nearest peers the synthetic comparison is made of.
pub const SYNTHETIC_K: usize = 5;
/// The most years a window may have.
pub const MAX_WINDOW: usize = 10;

pub use engine::evaluate::{LIMITS_EN, LIMITS_PL, METHOD_EN, METHOD_PL, MIN_PEERS};

/// What to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalRequest {
    /// TERYT code.
    pub unit: String,
    /// Indicator code.
    pub indicator: String,
    /// The first year of the change.
    pub start_year: i32,
    /// A peer group name (`app::GROUP_HELP`); "typology" by default.
    pub group: String,
    /// Years before the start.
    pub before: usize,
    /// Years from the start on.
    pub after: usize,
    /// Leave out the peers with a reorganisation of this kind (e.g. `cuw`).
    pub exclude_reorganised: Option<String>,
}

impl EvalRequest {
    /// A request with the default group (typology) and windows (3 years each side).
    pub fn new(unit: &str, indicator: &str, start_year: i32) -> EvalRequest {
        EvalRequest {
            unit: unit.to_owned(),
            indicator: indicator.to_owned(),
            start_year,
            group: "typology".to_owned(),
            before: 3,
            after: 3,
            exclude_reorganised: None,
        }
    }
}

/// The judgement of an estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Stands out from the peers' changes, in the good direction.
    Better,
    /// Stands out, in the bad direction.
    Worse,
    /// Does not stand out from the peers' changes.
    NotDistinguishable,
    /// Stands out, but the indicator has no good direction.
    Neutral,
}

impl Verdict {
    /// The judgement of an estimate: none unless it stands out; then by polarity.
    pub fn of(e: &Estimate, polarity: Polarity) -> Verdict {
        if !e.stands_out {
            return Verdict::NotDistinguishable;
        }
        match polarity {
            Polarity::Neutral => Verdict::Neutral,
            Polarity::HigherBetter if e.estimate > 0.0 => Verdict::Better,
            Polarity::LowerBetter if e.estimate < 0.0 => Verdict::Better,
            _ => Verdict::Worse,
        }
    }

    /// A stable code: better, worse, not_distinguishable, neutral.
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::Worse => "worse",
            Verdict::NotDistinguishable => "not_distinguishable",
            Verdict::Neutral => "neutral",
        }
    }

    /// The judgement in words (Polish, English).
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Verdict::Better => ("zmiana wyraźnie lepsza niż w grupie", "a change clearly better than in the group"),
            Verdict::Worse => ("zmiana wyraźnie gorsza niż w grupie", "a change clearly worse than in the group"),
            Verdict::NotDistinguishable => ("nie odróżnia się od zmian w grupie", "does not differ from the changes in the group"),
            Verdict::Neutral => (
                "odróżnia się od zmian w grupie (wskaźnik nie ma kierunku „lepiej”)",
                "differs from the changes in the group (the indicator has no better direction)",
            ),
        }
    }
}

/// A re-evaluation with what it takes to show it.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub unit_code: String,
    pub unit_name: String,
    pub indicator_code: String,
    pub name_pl: String,
    pub name_en: String,
    /// The measure unit (Polish; `measure_unit_en` the English one, may be empty).
    pub measure_unit: String,
    pub measure_unit_en: String,
    pub decimals: u8,
    pub polarity: Polarity,
    pub group_label: String,
    /// The placebo interval's real level: [`LEVEL`], or less in a group too small to reach it
    /// (`engine::evaluate::interval_level`).
    pub level: f64,
    pub start_year: i32,
    pub before: usize,
    pub after: usize,
    /// The years the series cover: those with data of the unit or its peers, and the windows.
    pub years: Vec<i32>,
    pub unit_series: Vec<Option<f64>>,
    /// The mean of the peers kept in the estimate, year by year.
    pub peers_mean: Vec<Option<f64>>,
    /// The synthetic comparison's series (the nearest peers' mean).
    pub synthetic: Option<Vec<Option<f64>>>,
    /// Its estimate's `synthetic.series` covers `years` too.
    pub estimate: Estimate,
    pub verdict: Verdict,
    /// The peers kept (code, name), in the order of `estimate.placebo`.
    pub peers: Vec<(String, String)>,
    /// The synthetic comparison's members (code, name), nearest first.
    pub synthetic_members: Vec<(String, String)>,
    /// Units of the group left out for a reorganisation of the kind asked to exclude.
    pub excluded: Vec<String>,
}

/// One series to evaluate against others, already read (a unit, or a functional area's
/// aggregate against other areas or units): every series over the snapshot's years.
#[derive(Debug, Clone)]
pub struct SeriesRequest {
    pub code: String,
    pub name: String,
    /// Indicator index in the snapshot.
    pub indicator: usize,
    pub group_label: String,
    pub start_year: i32,
    pub before: usize,
    pub after: usize,
    pub series: Vec<Option<f64>>,
    /// (code, name, series) of each peer.
    pub peers: Vec<(String, String, Vec<Option<f64>>)>,
    pub excluded: Vec<String>,
}

/// Re-evaluates `req` on the public snapshot: the unit's peer group at the start year (by
/// [`EvalRequest::group`]) without the unit, without the units the indicator does not apply
/// to, and without those with a reorganisation of the kind `exclude_reorganised`.
pub async fn evaluate(store: &Store, c: &Computed, req: &EvalRequest) -> Result<Evaluation, AppError> {
    let s = &c.snapshot;
    let code = TerytCode::parse_lenient(&req.unit).map_err(|e| AppError::Invalid(format!("unit: {e}")))?;
    let u = c.unit_index(code.as_str()).ok_or_else(|| AppError::NotFound(format!("unit: no current JST {} with data", code.as_str())))?;
    let i = s
        .indicator_index(&req.indicator)
        .ok_or_else(|| AppError::NotFound(format!("indicator: no indicator `{}` in the catalogue", req.indicator)))?;
    if !s.indicator(i).applies[u] {
        return Err(AppError::Invalid(format!("indicator: {} does not apply to a {}", req.indicator, c.kinds[u].name_en())));
    }
    check_windows(req.before, req.after)?;
    let y = start_index(c, req.start_year)?;
    let g = crate::peer_group(store, c, u, y, &req.group, &NearestSpec::default()).await.map_err(|e| match e {
        AppError::NotFound(m) => AppError::NotFound(format!("group: {m}")),
        e => e,
    })?;
    let excluded_ids: Vec<i64> = match &req.exclude_reorganised {
        Some(kind) => store.reorganisations().await?.into_iter().filter(|r| &r.fields.kind == kind).map(|r| r.fields.unit_id).collect(),
        None => Vec::new(),
    };
    let applies = &s.indicator(i).applies;
    let mut excluded = Vec::new();
    let mut peers = Vec::new();
    for v in g.members(s, y) {
        if v == u || !applies.get(v).copied().unwrap_or(false) {
            continue;
        }
        if excluded_ids.contains(&c.unit_ids[v]) {
            excluded.push(c.codes[v].as_str().to_owned());
            continue;
        }
        peers.push((c.codes[v].as_str().to_owned(), c.names[v].clone(), series_of(c, i, v)));
    }
    evaluate_series(
        c,
        SeriesRequest {
            code: c.codes[u].as_str().to_owned(),
            name: c.names[u].clone(),
            indicator: i,
            group_label: g.label,
            start_year: req.start_year,
            before: req.before,
            after: req.after,
            series: series_of(c, i, u),
            peers,
            excluded,
        },
    )
}

/// A unit's values of indicator `i` over every year of the snapshot.
pub fn series_of(c: &Computed, i: usize, u: usize) -> Vec<Option<f64>> {
    (0..c.snapshot.years()).map(|y| c.snapshot.value(i, u, y)).collect()
}

fn check_windows(before: usize, after: usize) -> Result<(), AppError> {
    for (name, n) in [("before", before), ("after", after)] {
        if !(1..=MAX_WINDOW).contains(&n) {
            return Err(AppError::Invalid(format!("{name}: {n} years; from 1 to {MAX_WINDOW}")));
        }
    }
    Ok(())
}

/// The start year's index in the snapshot: it needs a year of data before it.
fn start_index(c: &Computed, start_year: i32) -> Result<usize, AppError> {
    let s = &c.snapshot;
    let (first, last) = (s.first_year(), s.first_year() + s.years() as i32 - 1);
    match s.year_index(start_year) {
        Some(0) => Err(AppError::Invalid(format!("start year: {start_year} is the first year with data; the start must come after {first}"))),
        Some(y) => Ok(y),
        None => Err(AppError::NotFound(format!("start year: no data for {start_year}: years {first}–{last}"))),
    }
}

/// Re-evaluates a series already read against its peers' (see [`SeriesRequest`]); what
/// [`evaluate`] does after reading the unit's group, for a functional area too.
pub fn evaluate_series(c: &Computed, r: SeriesRequest) -> Result<Evaluation, AppError> {
    let s = &c.snapshot;
    check_windows(r.before, r.after)?;
    let start = start_index(c, r.start_year)?;
    let o = EvalOptions { before: r.before, after: r.after, level: LEVEL, synthetic_k: SYNTHETIC_K };
    // The years shown: those with data of the unit or a peer, and the windows whatever.
    let n = s.years();
    let has_data = |y: usize| r.series.get(y).copied().flatten().is_some() || r.peers.iter().any(|p| p.2.get(y).copied().flatten().is_some());
    let (w_before, w_after) =
        windows(n, start, &o).ok_or_else(|| AppError::Invalid(format!("start year: {} leaves no years before it", r.start_year)))?;
    let lo = (0..n).find(|&y| has_data(y)).unwrap_or(w_before.start).min(w_before.start);
    let hi = (0..n).rev().find(|&y| has_data(y)).unwrap_or(w_after.end - 1).max(w_after.end - 1);
    let cut = |v: &[Option<f64>]| -> Vec<Option<f64>> { (lo..=hi).map(|y| v.get(y).copied().flatten()).collect() };
    let unit_series = cut(&r.series);
    let peer_series: Vec<Vec<Option<f64>>> = r.peers.iter().map(|p| cut(&p.2)).collect();
    let start_cut = start - lo;

    let estimate = engine::evaluate::evaluate(&unit_series, &peer_series, start_cut, &o).map_err(|e| eval_error(&r, c, e))?;
    let w = windows(unit_series.len(), start_cut, &o).ok_or_else(|| AppError::Invalid("start year: outside the years".into()))?;
    let kept: Vec<usize> = (0..peer_series.len()).filter(|&j| engine::evaluate::kept(&peer_series[j], &w)).collect();
    let peers_mean: Vec<Option<f64>> = (0..unit_series.len())
        .map(|t| {
            let vals: Vec<f64> = kept.iter().filter_map(|&j| peer_series[j][t]).filter(|v| v.is_finite()).collect();
            (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
        })
        .collect();
    let def = &c.definitions[r.indicator];
    let polarity = s.indicator(r.indicator).polarity;
    let named = |j: usize| (r.peers[j].0.clone(), r.peers[j].1.clone());
    Ok(Evaluation {
        unit_code: r.code.clone(),
        unit_name: r.name.clone(),
        indicator_code: def.code.clone(),
        name_pl: def.name_pl.clone(),
        name_en: def.name_en.clone(),
        measure_unit: def.unit_pl.clone(),
        measure_unit_en: def.unit_en.clone(),
        decimals: def.decimals,
        polarity,
        group_label: r.group_label.clone(),
        level: engine::evaluate::interval_level(estimate.n_peers, LEVEL),
        start_year: r.start_year,
        before: r.before,
        after: r.after,
        years: (lo..=hi).map(|y| s.first_year() + y as i32).collect(),
        unit_series,
        peers_mean,
        synthetic: estimate.synthetic.as_ref().map(|x| x.series.clone()),
        verdict: Verdict::of(&estimate, polarity),
        peers: kept.iter().map(|&j| named(j)).collect(),
        synthetic_members: estimate.synthetic.as_ref().map(|x| x.members.iter().map(|&j| named(j)).collect()).unwrap_or_default(),
        excluded: r.excluded.clone(),
        estimate,
    })
}

/// The engine's refusal in words naming the parameter.
fn eval_error(r: &SeriesRequest, c: &Computed, e: EvalError) -> AppError {
    let code = &c.definitions[r.indicator].code;
    match e {
        EvalError::TooFewPeers { have, need } => AppError::Invalid(format!(
            "group: {have} peers of {} have values of {code} before and from {} on, at least {need} needed ({} in the group{})",
            r.code,
            r.start_year,
            r.peers.len(),
            if r.excluded.is_empty() { String::new() } else { format!(", {} left out for a reorganisation", r.excluded.len()) }
        )),
        EvalError::NoUnitData { before: true } => {
            AppError::Invalid(format!("start year: {} has no value of {code} in the {} years before {}", r.code, r.before, r.start_year))
        }
        EvalError::NoUnitData { before: false } => AppError::Invalid(format!(
            "start year: {} has no value of {code} in {} or the {} years after",
            r.code,
            r.start_year,
            r.after.saturating_sub(1)
        )),
        EvalError::StartOutside => AppError::Invalid(format!("start year: {} leaves no years before it or none from it on", r.start_year)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate(estimate: f64, interval: (f64, f64)) -> Estimate {
        Estimate {
            unit_before: 0.0,
            unit_after: estimate,
            unit_change: estimate,
            peers_change: 0.0,
            estimate,
            placebo: vec![0.0; 5],
            interval,
            p_value: 1.0 / 6.0,
            stands_out: !(interval.0 <= 0.0 && 0.0 <= interval.1),
            n_peers: 5,
            synthetic: None,
        }
    }

    #[test]
    fn the_verdict_follows_polarity_only_when_the_change_stands_out() {
        let up = estimate(3.0, (1.0, 5.0));
        let down = estimate(-3.0, (-5.0, -1.0));
        let unclear = estimate(3.0, (-1.0, 5.0));
        let cases = [
            (&up, Polarity::HigherBetter, Verdict::Better),
            (&up, Polarity::LowerBetter, Verdict::Worse),
            (&down, Polarity::LowerBetter, Verdict::Better),
            (&down, Polarity::HigherBetter, Verdict::Worse),
            (&up, Polarity::Neutral, Verdict::Neutral),
            (&unclear, Polarity::HigherBetter, Verdict::NotDistinguishable),
            (&unclear, Polarity::LowerBetter, Verdict::NotDistinguishable),
            (&unclear, Polarity::Neutral, Verdict::NotDistinguishable),
        ];
        for (e, pol, want) in cases {
            assert_eq!(Verdict::of(e, pol), want, "{pol:?} {:?}", e.interval);
        }
        assert_eq!(Verdict::NotDistinguishable.words().0, "nie odróżnia się od zmian w grupie");
    }

    #[test]
    fn windows_are_one_to_ten_years_and_the_refusal_names_the_parameter() {
        assert!(check_windows(1, MAX_WINDOW).is_ok());
        for (b, a, name) in [(0, 3, "before"), (3, 0, "after"), (11, 3, "before")] {
            match check_windows(b, a) {
                Err(AppError::Invalid(m)) => assert!(m.starts_with(name), "{m}"),
                other => panic!("{other:?}"),
            }
        }
    }
}
