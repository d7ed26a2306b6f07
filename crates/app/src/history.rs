//! The history of a value (every revision, from which import) and what changed since a date.

use model::{Date, Flag, TerytCode, VariableCode};
use store::Store;

use crate::AppError;

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub year: i64,
    pub value: Option<f64>,
    pub flag: Flag,
    pub import_id: i64,
    pub recorded_at: String,
    pub source: String,
    pub file: Option<String>,
    /// `None` for the current value.
    pub superseded_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRow {
    pub unit: String,
    pub variable: String,
    pub year: i64,
    pub old: Option<(Option<f64>, Flag)>,
    pub new_value: Option<f64>,
    pub new_flag: Flag,
    pub import_id: i64,
    pub changed_at: String,
}

fn flag(n: i64) -> Flag {
    i16::try_from(n).ok().and_then(Flag::from_i16).unwrap_or(Flag::Missing)
}

/// Every revision of `variable` for the unit that bears (or bore) `unit`.
pub async fn history(store: &Store, unit: &TerytCode, variable: &VariableCode) -> Result<Vec<HistoryRow>, AppError> {
    let unit_id = store.unit_id_for_code(unit).await?.ok_or_else(|| AppError::NotFound(format!("no unit with code {unit}")))?;
    let var = store
        .variables()
        .await?
        .into_iter()
        .find(|v| v.code == variable.as_str())
        .ok_or_else(|| AppError::NotFound(format!("no variable with code {variable}")))?;
    Ok(store
        .history(unit_id, var.id)
        .await?
        .into_iter()
        .map(|h| HistoryRow {
            year: h.year,
            value: h.value,
            flag: flag(h.flag),
            import_id: h.import_id,
            recorded_at: h.recorded_at,
            source: h.source,
            file: h.file,
            superseded_at: h.superseded_at,
        })
        .collect())
}

/// Values new or changed since `since`, with what they were then.
pub async fn changes_since(store: &Store, since: Date, limit: i64, offset: i64) -> Result<Vec<ChangeRow>, AppError> {
    Ok(store
        .changes_since(&model::format_date(since), limit, offset)
        .await?
        .into_iter()
        .map(|c| ChangeRow {
            unit: c.unit_code,
            variable: c.variable_code,
            year: c.year,
            old: c.old_flag.map(|f| (c.old_value, flag(f))),
            new_value: c.new_value,
            new_flag: flag(c.new_flag),
            import_id: c.import_id,
            changed_at: c.changed_at,
        })
        .collect())
}
