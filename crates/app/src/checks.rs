//! Data checks over the store: additivity of a variable through the territorial hierarchy.

use std::collections::HashMap;

use engine::checks::{Node, additivity, robust_outliers};
use model::{TerytCode, UnitKind, VariableCode};
use store::Store;

use crate::AppError;

/// A unit whose value is not the sum of its sub-units'.
#[derive(Debug, Clone, PartialEq)]
pub struct SumMismatch {
    pub code: TerytCode,
    pub name: String,
    pub kind: UnitKind,
    pub value: f64,
    pub children_sum: f64,
    pub children: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdditivityCheck {
    pub checked: usize,
    pub mismatches: Vec<SumMismatch>,
    /// Units some of whose sub-units lack a value: (code, name, with value, sub-units).
    pub incomplete: Vec<(TerytCode, String, usize, usize)>,
}

/// A value whose change from the year before stands out from the unit's own history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryOutlier {
    pub code: TerytCode,
    pub name: String,
    pub value: f64,
    pub previous: f64,
    /// The modified z-score of the change.
    pub robust_z: f64,
}

async fn variable_id(store: &Store, variable: &VariableCode) -> Result<i64, AppError> {
    store
        .variables()
        .await?
        .into_iter()
        .find(|v| v.code == variable.as_str())
        .map(|v| v.id)
        .ok_or_else(|| AppError::NotFound(format!("no variable with code {variable}")))
}

/// The units whose value of `variable` in `year` changed from the year before far more than
/// the unit's values usually change: the modified z-score of that change among all its
/// year-to-year changes is above `threshold`. Changes are log ratios when the unit's values
/// are all positive (a tenfold jump is the same for a village and a city), else differences.
/// Judging changes rather than levels keeps a long trend (unemployment falling for 20 years)
/// from hiding a typo.
pub async fn check_history_outliers(store: &Store, variable: &VariableCode, year: i16, threshold: f64) -> Result<Vec<HistoryOutlier>, AppError> {
    let var = variable_id(store, variable).await?;
    let rows = store.variable_values(var).await?;
    let year = i64::from(year);
    let mut out = Vec::new();
    for series in rows.chunk_by(|a, b| a.0 == b.0) {
        let Some(at) = series.iter().position(|r| r.1 == year) else { continue };
        let positive = series.iter().all(|r| r.2.is_none_or(|v| v > 0.0));
        // changes[i] is the change into series[i + 1], when both years are there and adjacent.
        let changes: Vec<Option<f64>> = series
            .windows(2)
            .map(|w| match (w[0].2, w[1].2) {
                (Some(a), Some(b)) if w[1].1 == w[0].1 + 1 => Some(if positive { (b / a).ln() } else { b - a }),
                _ => None,
            })
            .collect();
        let Some(into) = at.checked_sub(1) else { continue };
        let Some(&(_, z)) = robust_outliers(&changes, threshold).iter().find(|(i, _)| *i == into) else { continue };
        if let (Some(u), Some(value), Some(previous)) = (store.unit(series[at].0).await?, series[at].2, series[into].2) {
            out.push(HistoryOutlier { code: u.code, name: u.name, value, previous, robust_z: z });
        }
    }
    out.sort_by(|a, b| b.robust_z.abs().total_cmp(&a.robust_z.abs()).then(a.code.cmp(&b.code)));
    Ok(out)
}

/// Checks that `variable` in `year` adds up through the hierarchy of units valid at the end
/// of that year (gminy → powiat → województwo → Poland; town + rural area → gmina).
pub async fn check_additivity(store: &Store, variable: &VariableCode, year: i16, tolerance: f64) -> Result<AdditivityCheck, AppError> {
    let var_id = variable_id(store, variable).await?;
    let end =
        time::Date::from_calendar_date(i32::from(year), time::Month::December, 31).map_err(|e| AppError::Invalid(format!("year {year}: {e}")))?;
    let units = store.units_at(end, None).await?;
    let values: HashMap<i64, f64> = store.values(var_id, i64::from(year)).await?.into_iter().filter_map(|(u, v)| v.map(|v| (u, v))).collect();
    let nodes: Vec<Node> = units.iter().map(|u| Node { id: u.id, parent: u.parent_id }).collect();
    let report = additivity(&nodes, &|id| values.get(&id).copied(), tolerance);
    let by_id: HashMap<i64, &store::UnitAt> = units.iter().map(|u| (u.id, u)).collect();
    let mut mismatches: Vec<SumMismatch> = report
        .mismatches
        .iter()
        .filter_map(|m| {
            by_id.get(&m.parent).map(|u| SumMismatch {
                code: u.code.clone(),
                name: u.name.clone(),
                kind: u.kind,
                value: m.value,
                children_sum: m.children_sum,
                children: m.children,
            })
        })
        .collect();
    mismatches.sort_by(|a, b| a.code.cmp(&b.code));
    let mut incomplete: Vec<_> =
        report.incomplete.iter().filter_map(|i| by_id.get(&i.parent).map(|u| (u.code.clone(), u.name.clone(), i.with_value, i.children))).collect();
    incomplete.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(AdditivityCheck { checked: report.checked, mismatches, incomplete })
}

/// An indicator value that stands out from the unit's peers.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerOutlier {
    pub indicator: String,
    pub code: TerytCode,
    pub name: String,
    pub value: f64,
    /// The typology group's key.
    pub group: String,
    pub group_median: Option<f64>,
    pub group_n: usize,
    /// The modified z-score among the peers.
    pub robust_z: f64,
}

/// The indicator values of `year` (of every indicator, or of `indicator`) that stand out
/// among the unit's typology peers: modified z-score above `threshold`. Within a group whose
/// values are all positive the logarithms are judged, since most indicators (per capita,
/// per km²) spread multiplicatively and a city at 3× the median is not an error; a group
/// with fewer than 4 values judges nobody.
pub fn check_peer_outliers(c: &crate::Computed, year: i32, indicator: Option<&str>, threshold: f64) -> Result<Vec<PeerOutlier>, AppError> {
    let s = &c.snapshot;
    let y = crate::compare::year_index(s, year)?;
    let indicators: Vec<usize> = match indicator {
        Some(code) => vec![s.indicator_index(code).ok_or_else(|| AppError::NotFound(format!("no indicator `{code}` in the catalogue")))?],
        None => (0..s.indicator_count()).collect(),
    };
    let p = s.partition_index("typology").ok_or_else(|| AppError::Invalid("the snapshot has no typology partition".into()))?;
    let mut out = Vec::new();
    for &i in &indicators {
        let applies = &s.indicator(i).applies;
        for g in 0..s.group_keys(p).len() {
            let members: Vec<usize> = s.members(p, g, y).iter().map(|&m| m as usize).filter(|&m| applies[m]).collect();
            let values: Vec<Option<f64>> = members.iter().map(|&m| s.value(i, m, y)).collect();
            let positive = values.iter().flatten().all(|v| *v > 0.0);
            let judged: Vec<Option<f64>> = if positive { values.iter().map(|v| v.map(f64::ln)).collect() } else { values.clone() };
            let found = robust_outliers(&judged, threshold);
            if found.is_empty() {
                continue;
            }
            let stats = s.group_stats(i, p, g, y).to_stats();
            for (k, z) in found {
                let (Some(&m), Some(Some(value))) = (members.get(k), values.get(k)) else { continue };
                out.push(PeerOutlier {
                    indicator: s.indicator(i).code.clone(),
                    code: c.codes[m].clone(),
                    name: c.names[m].clone(),
                    value: *value,
                    group: s.group_keys(p)[g].clone(),
                    group_median: stats.median,
                    group_n: stats.n,
                    robust_z: z,
                });
            }
        }
    }
    out.sort_by(|a, b| b.robust_z.abs().total_cmp(&a.robust_z.abs()).then(a.indicator.cmp(&b.indicator)).then(a.code.cmp(&b.code)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use engine::snapshot::{IndicatorSpec, Inputs, Snapshot};
    use formula::{Column, Program};
    use model::{Polarity, UnitKind};

    use super::*;
    use crate::groups::{UnitPlace, fixed_partitions};

    /// Ten gminy wiejskie of one size class; one of them reports ten times the others'
    /// expenditure per inhabitant — a typo in thousands, say.
    #[test]
    fn a_value_ten_times_its_peers_stands_out_and_an_ordinary_spread_does_not() {
        let units = 10;
        let mut spend = Column::missing(units);
        let mut pop = Column::missing(units);
        for u in 0..units {
            spend.values[u] = if u == 7 { 4000.0 * 10.0 * 8000.0 } else { (3600.0 + 100.0 * u as f64) * 8000.0 };
            spend.valid[u] = true;
            pop.values[u] = 8000.0;
            pop.valid[u] = true;
        }
        let places: Vec<UnitPlace> = (0..units).map(|_| UnitPlace { kind: UnitKind::GminaWiejska, wojewodztwo: "02".into() }).collect();
        let partitions = fixed_partitions(&places, 1, &|_, _| Some(8000.0));
        let num = formula::parse("wydatki").expect("formula");
        let den = formula::parse("ludnosc").expect("formula");
        let spec = IndicatorSpec {
            code: "FIN_07".into(),
            polarity: Polarity::Neutral,
            factor: 1.0,
            numerator: Program::compile(&num),
            denominator: Some(Program::compile(&den)),
            max_lag: 0,
            applies: Arc::from(vec![true; units]),
        };
        let snapshot = Snapshot::build(Inputs {
            units,
            first_year: 2024,
            years: 1,
            variables: vec![("wydatki".into(), spend), ("ludnosc".into(), pop)],
            indicators: vec![spec],
            partitions,
        });
        let c = crate::Computed::for_tests(snapshot, units, UnitKind::GminaWiejska);
        let found = check_peer_outliers(&c, 2024, None, 3.5).expect("checked");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code, c.codes[7]);
        assert!((found[0].value - 40_000.0).abs() < 1e-9);
        assert!(found[0].robust_z > 3.5);
        assert_eq!(found[0].group_n, 10);
        assert!(check_peer_outliers(&c, 2023, None, 3.5).is_err(), "a year without data is an error");
        assert!(check_peer_outliers(&c, 2024, Some("NOPE"), 3.5).is_err());
    }
}
