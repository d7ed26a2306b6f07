//! `miernik audit` (the audit log, filtered, as a table or JSON), `miernik revert IMPORT_ID`,
//! and the actor every command writes as: `cli:OSUSER`, or `cli:OSUSER as NAME` with `--as`.

use std::io::Write;
use std::sync::OnceLock;

use anyhow::{Result, anyhow};
use clap::{Args, ValueEnum};
use serde_json::json;

use app::audit::{AuditError, AuditParams, AuditRow};

use crate::output::{outln, stdout};

/// The actor of this run, set once by `main` before any command opens the database.
static ACTOR: OnceLock<String> = OnceLock::new();

/// The actor's name from the OS user (`$USER`, else `$LOGNAME`) and `--as`: `cli:ola`,
/// `cli:ola as Jan Kowalski`; without a user `cli:unknown`. Control characters are dropped
/// and each part is cut at 100 characters.
pub fn actor_name(os_user: Option<&str>, as_name: Option<&str>) -> String {
    let clean = |s: &str| s.chars().filter(|c| !c.is_control()).take(100).collect::<String>().trim().to_owned();
    let user = os_user.map(clean).filter(|u| !u.is_empty()).unwrap_or_else(|| "unknown".to_owned());
    match as_name.map(clean).filter(|n| !n.is_empty()) {
        Some(n) => format!("cli:{user} as {n}"),
        None => format!("cli:{user}"),
    }
}

/// Sets the actor of this run (first call wins).
pub fn set_actor(name: String) {
    let _ = ACTOR.set(name);
}

/// The actor every store handle of this run writes as.
pub fn actor() -> app::audit::Actor {
    app::audit::Actor::named(ACTOR.get().cloned().unwrap_or_else(|| actor_name(None, None)))
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum AuditFormat {
    Table,
    Json,
}

#[derive(Args)]
pub struct AuditArgs {
    /// Only this unit (TERYT code; an old code works too): its rows and the value changes
    /// of every import that touched it (old → new)
    #[arg(long, value_name = "TERYT")]
    unit: Option<String>,
    /// Only this actor: a login (jan: user:jan, cli:jan), a name given with --as, or the
    /// whole name as listed
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// From this day (YYYY-MM-DD) or UTC time (YYYY-MM-DDTHH:MM) on
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Only this action: import, revert, value, submit, return, approve, publish, login …
    #[arg(long, value_name = "ACTION")]
    action: Option<String>,
    /// Only rows of this import
    #[arg(long, value_name = "IMPORT_ID")]
    import: Option<i64>,
    /// The page after this cursor (printed on stderr when there are more rows)
    #[arg(long, value_name = "CURSOR")]
    after: Option<String>,
    /// Rows at most
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i64).range(1..=app::audit::MAX_LIMIT))]
    limit: i64,
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    format: AuditFormat,
}

#[derive(Args)]
pub struct RevertArgs {
    /// The import to undo (see `miernik imports` or `miernik audit`)
    import_id: i64,
    /// Why, kept in the audit log
    #[arg(long, value_name = "TEXT")]
    comment: Option<String>,
    #[arg(long, value_enum, default_value_t = crate::SummaryFormat::Text)]
    format: crate::SummaryFormat,
}

/// `miernik audit`.
pub async fn audit(store: &app::Store, a: AuditArgs) -> Result<()> {
    let params =
        AuditParams { unit: a.unit, user: a.user, since: a.since, action: a.action, import: a.import.map(|i| i.to_string()), after: a.after };
    let page = match app::audit::audit_page(store, &params, a.limit).await {
        Ok(p) => p,
        Err(AuditError::Param(p)) => return Err(anyhow!("{}: {}", p.flag(), p.en())),
        Err(AuditError::App(e)) => return Err(e.into()),
    };
    match a.format {
        AuditFormat::Json => {
            let rows: Vec<serde_json::Value> = page.rows.iter().map(row_json).collect();
            let doc = json!({ "rows": rows, "next": page.next });
            let mut out = stdout();
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        AuditFormat::Table => {
            print_table(&page.rows)?;
            if let Some(n) = &page.next {
                eprintln!("więcej wierszy / more rows: --after {n}");
            }
        }
    }
    Ok(())
}

fn row_json(r: &AuditRow) -> serde_json::Value {
    json!({
        "id": r.id, "at": r.at, "actor": r.actor, "user_id": r.user_id, "action": r.action,
        "unit_id": r.unit_id, "unit_code": r.unit_code, "variable": r.variable_code, "year": r.year,
        "old_value": r.old_value, "new_value": r.new_value, "old_flag": r.old_flag.and_then(flag_name),
        "new_flag": r.new_flag.and_then(flag_name), "comment": r.comment, "import_id": r.import_id,
        "submission_id": r.submission_id, "address": r.address, "detail": r.detail,
    })
}

fn flag_name(n: i64) -> Option<&'static str> {
    i16::try_from(n).ok().and_then(model::Flag::from_i16).map(model::Flag::as_str)
}

/// A cell of the table: no control characters (a file name may hold any), at most 80 characters.
fn cell(s: &str) -> String {
    let mut out: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).take(80).collect();
    if s.chars().count() > 80 {
        out.push('…');
    }
    out
}

fn value(v: Option<f64>, flag: Option<i64>) -> String {
    match (v, flag.and_then(flag_name)) {
        (Some(x), Some(f)) if f != "final" => format!("{x} ({f})"),
        (Some(x), _) => x.to_string(),
        (None, Some(f)) => format!("({f})"),
        (None, None) => String::new(),
    }
}

fn print_table(rows: &[AuditRow]) -> Result<()> {
    let header = ["at", "actor", "action", "unit", "variable", "year", "old → new", "import", "comment / detail"];
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let change = if r.old_value.is_some() || r.new_value.is_some() || r.new_flag.is_some() || r.old_flag.is_some() {
                format!("{} → {}", value(r.old_value, r.old_flag), value(r.new_value, r.new_flag))
            } else {
                String::new()
            };
            let note = match (&r.comment, &r.detail) {
                (Some(c), Some(d)) => format!("{c} — {d}"),
                (Some(c), None) => c.clone(),
                (None, Some(d)) => d.clone(),
                (None, None) => String::new(),
            };
            vec![
                cell(&r.at),
                cell(&r.actor),
                cell(&r.action),
                r.unit_code.as_deref().map(cell).unwrap_or_default(),
                r.variable_code.as_deref().map(cell).unwrap_or_default(),
                r.year.map(|y| y.to_string()).unwrap_or_default(),
                change,
                r.import_id.map(|i| i.to_string()).unwrap_or_default(),
                cell(&note),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &body {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(w - c.chars().count() + 2));
            }
        }
        s.trim_end().to_owned()
    };
    outln!("{}", line(&header.map(str::to_owned)))?;
    for r in &body {
        outln!("{}", line(r))?;
    }
    if body.is_empty() {
        outln!("(brak wpisów / no entries)")?;
    }
    Ok(())
}

/// `miernik revert IMPORT_ID`.
pub async fn revert(store: &app::Store, a: RevertArgs) -> Result<()> {
    let out = app::revert::revert_import(store, a.import_id, a.comment.as_deref()).await?;
    match a.format {
        crate::SummaryFormat::Json => {
            let conflicts: Vec<serde_json::Value> = out
                .conflicts
                .iter()
                .map(|c| {
                    json!({
                        "unit_code": c.unit_code, "variable": c.variable_code, "year": c.year,
                        "reverted_value": c.reverted_value, "current_value": c.current_value, "current_import": c.current_import,
                    })
                })
                .collect();
            let doc = json!({
                "import_id": out.import_id, "reverted": out.reverted, "restored": out.restored,
                "cleared": out.cleared, "conflicts": conflicts,
            });
            let mut o = stdout();
            serde_json::to_writer_pretty(&mut o, &doc)?;
            writeln!(o)?;
        }
        crate::SummaryFormat::Text => {
            outln!(
                "import {} cofnięty jako import {} / import {} reverted as import {}: przywrócono / restored {}, wyczyszczono / cleared {}, konflikty / conflicts {}",
                out.reverted,
                out.import_id,
                out.reverted,
                out.import_id,
                out.restored,
                out.cleared,
                out.conflicts.len()
            )?;
            for c in out.conflicts.iter().take(50) {
                outln!(
                    "  konflikt / conflict: {} {} {}: import {} wrote {}, import {} later wrote {} (left as is)",
                    c.unit_code,
                    c.variable_code,
                    c.year,
                    out.reverted,
                    value(c.reverted_value, None),
                    c.current_import,
                    value(c.current_value, None)
                )?;
            }
            if out.conflicts.len() > 50 {
                outln!("  … and {} more", out.conflicts.len() - 50)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actor_names() {
        assert_eq!(actor_name(Some("ola"), None), "cli:ola");
        assert_eq!(actor_name(Some("ola"), Some(" Jan Kowalski ")), "cli:ola as Jan Kowalski");
        assert_eq!(actor_name(None, Some("Jan")), "cli:unknown as Jan");
        assert_eq!(actor_name(Some(" "), Some("")), "cli:unknown");
        assert_eq!(actor_name(Some("o\u{1b}la"), Some("J\nan")), "cli:ola as Jan");
    }

    #[test]
    fn cells_are_tamed() {
        assert_eq!(cell("a\tb"), "a b");
        assert_eq!(cell(&"x".repeat(100)).chars().count(), 81);
        assert_eq!(value(None, Some(5)), "(missing)");
        assert_eq!(value(Some(1.5), Some(0)), "1.5");
    }
}
