//! Data checks over the store: additivity of a variable through the territorial hierarchy.

use std::collections::HashMap;

use engine::checks::{Node, additivity};
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

/// Checks that `variable` in `year` adds up through the hierarchy of units valid at the end
/// of that year (gminy → powiat → województwo → Poland; town + rural area → gmina).
pub async fn check_additivity(store: &Store, variable: &VariableCode, year: i16, tolerance: f64) -> Result<AdditivityCheck, AppError> {
    let var = store
        .variables()
        .await?
        .into_iter()
        .find(|v| v.code == variable.as_str())
        .ok_or_else(|| AppError::NotFound(format!("no variable with code {variable}")))?;
    let end = time::Date::from_calendar_date(i32::from(year), time::Month::December, 31)
        .map_err(|e| AppError::Invalid(format!("year {year}: {e}")))?;
    let units = store.units_at(end, None).await?;
    let values: HashMap<i64, f64> = store
        .values(var.id, i64::from(year))
        .await?
        .into_iter()
        .filter_map(|(u, v)| v.map(|v| (u, v)))
        .collect();
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
    let mut incomplete: Vec<_> = report
        .incomplete
        .iter()
        .filter_map(|i| by_id.get(&i.parent).map(|u| (u.code.clone(), u.name.clone(), i.with_value, i.children)))
        .collect();
    incomplete.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(AdditivityCheck { checked: report.checked, mismatches, incomplete })
}
