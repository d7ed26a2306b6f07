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
    /// This row's place in the feed as text (see [`changes_since`]): the next page starts
    /// after it.
    pub cursor: String,
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

/// Values new or changed since `since`, with what they were then: at most `limit` (at
/// least 1), after the row whose [`ChangeRow::cursor`] is `after` (from the first when
/// `None`), in the feed's order — import by import as they finished, then variable, unit
/// and year. Fewer than `limit` only at the end of the feed. A cursor is four whole numbers
/// joined by dots (import, variable, unit, year); one that is not is
/// [`AppError::Invalid`], one naming no import [`AppError::NotFound`].
pub async fn changes_since(store: &Store, since: Date, after: Option<&str>, limit: i64) -> Result<Vec<ChangeRow>, AppError> {
    if limit < 1 {
        return Err(AppError::Invalid(format!("{limit}: the page size is at least 1")));
    }
    let after = match after {
        None => None,
        Some(text) => {
            let [import_id, variable_id, unit_id, year] = parse_cursor(text)?;
            let finished_at = store
                .import_finished_at(import_id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("`{text}`: no import {import_id}; take the cursor from a page (`next`)")))?;
            Some(store::ChangeCursor { finished_at, import_id, variable_id, unit_id, year })
        }
    };
    Ok(store
        .changes_since(&model::format_date(since), after.as_ref(), limit)
        .await?
        .into_iter()
        .map(|c| ChangeRow {
            cursor: format!("{}.{}.{}.{}", c.import_id, c.variable_id, c.unit_id, c.year),
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

/// A cursor's four numbers: whole numbers of at most 18 digits without leading zeros,
/// joined by dots; nothing else (the API documents it as the pattern
/// `^(0|[1-9][0-9]{0,17})(\.(0|[1-9][0-9]{0,17})){3}$`).
fn parse_cursor(text: &str) -> Result<[i64; 4], AppError> {
    let bad = || {
        let shown: String = text.chars().take(40).collect();
        AppError::Invalid(format!("`{shown}`: a cursor is four whole numbers joined by dots, as a page's `next` gives it"))
    };
    let mut out = [0i64; 4];
    let mut parts = text.split('.');
    for slot in &mut out {
        let p = parts.next().ok_or_else(bad)?;
        let digits = !p.is_empty() && p.len() <= 18 && p.bytes().all(|b| b.is_ascii_digit());
        if !digits || (p.len() > 1 && p.starts_with('0')) {
            return Err(bad());
        }
        *slot = p.parse().map_err(|_| bad())?;
    }
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(out)
}
