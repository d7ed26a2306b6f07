//! The audit log (`audit_log`, append-only by trigger): who did what, when and why. Every write
//! appends its rows in the same transaction as the change ([`append_tx`]); the actor of a
//! store handle ([`Store::acting_as`]) is recorded on every import.

use sqlx::Row;

use crate::{Result, Store, Tx, dispatch, now_text};

/// Who writes: `name` is `user:LOGIN` (web), `cli:OSUSER` or `cli:OSUSER as NAME` (CLI with
/// `--as`), or `system` (the server itself).
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub name: String,
    pub user_id: Option<i64>,
    /// The client's address (web).
    pub address: Option<String>,
}

impl Actor {
    /// An actor known only by name.
    pub fn named(name: impl Into<String>) -> Actor {
        Actor { name: name.into(), user_id: None, address: None }
    }

    /// The actor of a handle never given one.
    pub fn unknown() -> Actor {
        Actor::named("unknown")
    }

    /// The server itself (e.g. publishing a campaign on its date).
    pub fn system() -> Actor {
        Actor::named("system")
    }
}

/// One audit row to append; `at`, the actor and the address come from the call.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    /// `import`, `revert`, `value`, `submit`, `return`, `approve`, `publish`, `user.*`, …
    pub action: String,
    pub unit_id: Option<i64>,
    pub variable_code: Option<String>,
    pub year: Option<i64>,
    pub old_value: Option<f64>,
    pub new_value: Option<f64>,
    /// Why.
    pub comment: Option<String>,
    pub import_id: Option<i64>,
    pub submission_id: Option<i64>,
    /// Anything else, short text.
    pub detail: Option<String>,
}

/// The name stored for `actor` (`unknown` when it has none).
pub(crate) fn actor_name(actor: &Actor) -> &str {
    if actor.name.trim().is_empty() { "unknown" } else { actor.name.as_str() }
}

/// The `import` audit row of a finished import: its id, and in `detail` the kind, source,
/// file and counts (`observations file dane.csv: read 10, inserted 8, changed 1, unchanged 1,
/// rejected 0`).
pub(crate) fn import_entry(import_id: i64, kind: &str, source: &str, file: Option<&str>, c: &crate::ImportCounts) -> AuditEntry {
    let file = file.filter(|f| !f.is_empty()).map(|f| format!(" {f}")).unwrap_or_default();
    AuditEntry {
        action: "import".to_owned(),
        import_id: Some(import_id),
        detail: Some(format!(
            "{kind} {source}{file}: read {}, inserted {}, changed {}, unchanged {}, rejected {}",
            c.read, c.inserted, c.changed, c.unchanged, c.rejected
        )),
        ..AuditEntry::default()
    }
}

/// Appends one audit row inside `tx` (the transaction of the change it records); its id.
pub(crate) async fn append_tx(tx: &mut Tx, actor: &Actor, at: &str, entry: &AuditEntry) -> Result<i64> {
    let name = actor_name(actor);
    let id: i64 = dispatch!(tx, t => sqlx::query_scalar(
        "INSERT INTO audit_log (at, actor, user_id, action, unit_id, variable_code, year, old_value, new_value, \
         comment, import_id, submission_id, address, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id")
        .bind(at)
        .bind(name)
        .bind(actor.user_id)
        .bind(&entry.action)
        .bind(entry.unit_id)
        .bind(&entry.variable_code)
        .bind(entry.year)
        .bind(entry.old_value)
        .bind(entry.new_value)
        .bind(&entry.comment)
        .bind(entry.import_id)
        .bind(entry.submission_id)
        .bind(&actor.address)
        .bind(&entry.detail)
        .fetch_one(&mut **t).await?);
    Ok(id)
}

impl Store {
    /// Appends one audit row in a transaction of its own (for events that change nothing
    /// else: a login, a logout); its id. A change appends its rows in its own transaction.
    pub async fn audit_append(&self, actor: &Actor, entry: &AuditEntry) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id = append_tx(&mut tx, actor, &now_text(), entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A handle to the same database whose imports record `actor` (in `import_log.actor` and
    /// in their `import` audit row).
    pub fn acting_as(&self, actor: Actor) -> Store {
        let mut s = self.clone();
        s.actor = std::sync::Arc::new(actor);
        s
    }

    /// Who this handle writes as (`unknown` unless [`Store::acting_as`] said).
    pub fn actor(&self) -> &Actor {
        &self.actor
    }
}

/// What [`Store::audit`] lists; every field narrows the list, `None` leaves it open.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Rows about this unit; also the value changes of the imports that touched it (read from
    /// the observations and their revisions by import), so file imports answer "who changed
    /// this value" too.
    pub unit_id: Option<i64>,
    /// An actor's name as stored (`user:jan`, `cli:ola as Jan`), a login (`jan` matches
    /// `user:jan` and `cli:jan`), or the name given with `--as` (`Jan`).
    pub user: Option<String>,
    /// From this moment on: an ISO date (`2025-01-31`) or a timestamp as stored.
    pub since: Option<String>,
    /// One action (`import`, `revert`, `value`, `login` …).
    pub action: Option<String>,
    pub import_id: Option<i64>,
    /// The page after this row (newest first): the cursor of the last row of the page before.
    pub after: Option<AuditCursor>,
}

/// A place in the audit list, which is newest first in the order of (at, kind, a, b, c):
/// kind 1 with `a` the row's id for an audit row, kind 0 with (import, variable, year) for a
/// value change read from the observations. Written as text `AT_KIND_A_B_C`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCursor {
    pub at: String,
    pub kind: i64,
    pub a: i64,
    pub b: i64,
    pub c: i64,
}

impl std::fmt::Display for AuditCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}_{}_{}_{}", self.at, self.kind, self.a, self.b, self.c)
    }
}

impl std::str::FromStr for AuditCursor {
    type Err = crate::StoreError;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || crate::StoreError::Invalid(format!("`{}` is not an audit cursor", model::excerpt(s, 60)));
        let mut parts = s.rsplitn(5, '_');
        let c = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let b = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let a = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let kind = parts.next().and_then(|p| p.parse().ok()).filter(|k| *k == 0 || *k == 1).ok_or_else(bad)?;
        let at = parts.next().filter(|t| t.len() <= 40 && looks_like_date(t)).ok_or_else(bad)?;
        Ok(AuditCursor { at: at.to_owned(), kind, a, b, c })
    }
}

/// Whether `s` begins as an ISO date does (`YYYY-MM-DD`), as every stored time does.
fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10 && b[..10].iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
}

/// One line of the audit list: a row of the audit log (`id` set) or a value change of an
/// import read from the observations (`id` None, `action` `import` or `revert`).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub id: Option<i64>,
    pub at: String,
    pub actor: String,
    pub user_id: Option<i64>,
    pub action: String,
    pub unit_id: Option<i64>,
    /// The unit's current TERYT code.
    pub unit_code: Option<String>,
    pub variable_code: Option<String>,
    pub year: Option<i64>,
    pub old_value: Option<f64>,
    pub new_value: Option<f64>,
    /// The flags of a value change read from the observations (none on audit log rows).
    pub old_flag: Option<i64>,
    pub new_flag: Option<i64>,
    pub comment: Option<String>,
    pub import_id: Option<i64>,
    pub submission_id: Option<i64>,
    pub address: Option<String>,
    pub detail: Option<String>,
    cursor: AuditCursor,
}

impl AuditRow {
    /// This row's place in the list: the next page starts after it.
    pub fn cursor(&self) -> AuditCursor {
        self.cursor.clone()
    }
}

/// A bound value of a query built from a filter.
enum Arg {
    I(i64),
    S(String),
}

/// `actor` matches the user filter `$n` (see [`AuditFilter::user`]).
fn actor_matches(col: &str, n: usize) -> String {
    format!(
        "({col} = ${n} OR {col} = 'user:' || ${n} OR {col} = 'cli:' || ${n} \
         OR (length({col}) >= length(${n}) + 4 AND substr({col}, length({col}) - length(${n}) - 3) = ' as ' || ${n}))"
    )
}

impl Store {
    /// The audit log, newest first, at most `limit` rows from after `filter.after`.
    pub async fn audit(&self, filter: &AuditFilter, limit: i64) -> Result<Vec<AuditRow>> {
        let limit = limit.clamp(0, 10_000);
        let mut rows = self.audit_log_rows(filter, limit).await?;
        if let Some(unit_id) = filter.unit_id {
            rows.extend(self.unit_value_changes(unit_id, filter, limit).await?);
            rows.sort_by(|x, y| {
                let k = |r: &AuditRow| (r.cursor.at.clone(), r.cursor.kind, r.cursor.a, r.cursor.b, r.cursor.c);
                k(y).cmp(&k(x))
            });
            rows.truncate(usize::try_from(limit).unwrap_or(0));
        }
        Ok(rows)
    }

    async fn audit_log_rows(&self, filter: &AuditFilter, limit: i64) -> Result<Vec<AuditRow>> {
        let mut conds: Vec<String> = Vec::new();
        let mut args: Vec<Arg> = Vec::new();
        let push = |conds: &mut Vec<String>, args: &mut Vec<Arg>, arg: Arg, cond: &dyn Fn(usize) -> String| {
            args.push(arg);
            conds.push(cond(args.len()));
        };
        if let Some(u) = filter.unit_id {
            push(&mut conds, &mut args, Arg::I(u), &|n| format!("a.unit_id = ${n}"));
        }
        if let Some(u) = &filter.user {
            push(&mut conds, &mut args, Arg::S(u.clone()), &|n| actor_matches("a.actor", n));
        }
        if let Some(s) = &filter.since {
            push(&mut conds, &mut args, Arg::S(s.clone()), &|n| format!("a.at >= ${n}"));
        }
        if let Some(x) = &filter.action {
            push(&mut conds, &mut args, Arg::S(x.clone()), &|n| format!("a.action = ${n}"));
        }
        if let Some(i) = filter.import_id {
            push(&mut conds, &mut args, Arg::I(i), &|n| format!("a.import_id = ${n}"));
        }
        if let Some(c) = &filter.after {
            // Audit rows are kind 1: after a kind-0 cursor, those of the same moment came already.
            if c.kind == 1 {
                args.extend([Arg::S(c.at.clone()), Arg::I(c.a)]);
                conds.push(format!("(a.at, a.id) < (${}, ${})", args.len() - 1, args.len()));
            } else {
                args.push(Arg::S(c.at.clone()));
                conds.push(format!("a.at < ${}", args.len()));
            }
        }
        args.push(Arg::I(limit));
        let where_ = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
        let sql = format!(
            "SELECT a.id, a.at, a.actor, a.user_id, a.action, a.unit_id, u.code AS unit_code, a.variable_code, a.year, \
             a.old_value, a.new_value, a.comment, a.import_id, a.submission_id, a.address, a.detail \
             FROM audit_log a LEFT JOIN unit u ON u.id = a.unit_id {where_} ORDER BY a.at DESC, a.id DESC LIMIT ${}",
            args.len()
        );
        let rows = dispatch!(&self.backend, p => {
            let mut q = sqlx::query(&sql);
            for a in &args {
                q = match a { Arg::I(i) => q.bind(*i), Arg::S(s) => q.bind(s.as_str()) };
            }
            q.fetch_all(p).await?.into_iter().map(|r| {
                let id: i64 = r.try_get("id")?;
                let at: String = r.try_get("at")?;
                Ok(AuditRow {
                    id: Some(id),
                    cursor: AuditCursor { at: at.clone(), kind: 1, a: id, b: 0, c: 0 },
                    at,
                    actor: r.try_get("actor")?,
                    user_id: r.try_get("user_id")?,
                    action: r.try_get("action")?,
                    unit_id: r.try_get("unit_id")?,
                    unit_code: r.try_get("unit_code")?,
                    variable_code: r.try_get("variable_code")?,
                    year: r.try_get("year")?,
                    old_value: r.try_get("old_value")?,
                    new_value: r.try_get("new_value")?,
                    old_flag: None,
                    new_flag: None,
                    comment: r.try_get("comment")?,
                    import_id: r.try_get("import_id")?,
                    submission_id: r.try_get("submission_id")?,
                    address: r.try_get("address")?,
                    detail: r.try_get("detail")?,
                })
            }).collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// Every revision of the unit's values as a change by the import that wrote it: new =
    /// the revision, old = the revision it replaced (none when the import inserted it).
    async fn unit_value_changes(&self, unit_id: i64, filter: &AuditFilter, limit: i64) -> Result<Vec<AuditRow>> {
        let mut conds: Vec<String> = Vec::new();
        let mut args: Vec<Arg> = vec![Arg::I(unit_id)];
        match filter.action.as_deref() {
            None => {}
            Some("import") => conds.push("il.source <> 'revert'".to_owned()),
            Some("revert") => conds.push("il.source = 'revert'".to_owned()),
            Some(_) => return Ok(Vec::new()),
        }
        if let Some(u) = &filter.user {
            args.push(Arg::S(u.clone()));
            conds.push(actor_matches("COALESCE(il.actor, 'unknown')", args.len()));
        }
        if let Some(s) = &filter.since {
            args.push(Arg::S(s.clone()));
            conds.push(format!("il.finished_at >= ${}", args.len()));
        }
        if let Some(i) = filter.import_id {
            args.push(Arg::I(i));
            conds.push(format!("r.import_id = ${}", args.len()));
        }
        if let Some(c) = &filter.after {
            let n = args.len();
            args.extend([Arg::S(c.at.clone()), Arg::I(c.kind), Arg::I(c.a), Arg::I(c.b), Arg::I(c.c)]);
            conds.push(format!(
                "(il.finished_at, 0, r.import_id, r.variable_id, r.year) < (${}, ${}, ${}, ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5
            ));
        }
        args.push(Arg::I(limit));
        let where_ = conds.iter().map(|c| format!(" AND {c}")).collect::<String>();
        // No index leads with the unit: probe the primary key (and the history's key) per
        // variable, as `unit_observations` does.
        let sql = format!(
            "SELECT il.finished_at, COALESCE(il.actor, 'unknown') AS actor, il.source, il.file, r.import_id, r.variable_id, \
                    r.code AS variable_code, r.year, r.value AS new_value, r.flag AS new_flag, \
                    h.value AS old_value, h.flag AS old_flag, u.code AS unit_code \
             FROM (SELECT o.variable_id, v.code, o.year, o.value, o.flag, o.import_id FROM variable v CROSS JOIN observation o \
                     WHERE o.variable_id = v.id AND o.unit_id = $1 \
                   UNION ALL \
                   SELECT o.variable_id, v.code, o.year, o.value, o.flag, o.import_id FROM variable v \
                     CROSS JOIN observation_history o WHERE o.variable_id = v.id AND o.unit_id = $1) r \
             JOIN import_log il ON il.id = r.import_id \
             JOIN unit u ON u.id = $1 \
             LEFT JOIN observation_history h ON h.variable_id = r.variable_id AND h.unit_id = $1 AND h.year = r.year \
                  AND h.superseded_by = r.import_id \
             WHERE 1 = 1{where_} \
             ORDER BY il.finished_at DESC, r.import_id DESC, r.variable_id DESC, r.year DESC LIMIT ${}",
            args.len()
        );
        let rows = dispatch!(&self.backend, p => {
            let mut q = sqlx::query(&sql);
            for a in &args {
                q = match a { Arg::I(i) => q.bind(*i), Arg::S(s) => q.bind(s.as_str()) };
            }
            q.fetch_all(p).await?.into_iter().map(|r| {
                let at: String = r.try_get("finished_at")?;
                let source: String = r.try_get("source")?;
                let file: Option<String> = r.try_get("file")?;
                let import_id: i64 = r.try_get("import_id")?;
                let variable_id: i64 = r.try_get("variable_id")?;
                let year: i64 = r.try_get("year")?;
                Ok(AuditRow {
                    id: None,
                    cursor: AuditCursor { at: at.clone(), kind: 0, a: import_id, b: variable_id, c: year },
                    at,
                    actor: r.try_get("actor")?,
                    user_id: None,
                    action: if source == "revert" { "revert".to_owned() } else { "import".to_owned() },
                    unit_id: Some(unit_id),
                    unit_code: r.try_get("unit_code")?,
                    variable_code: r.try_get("variable_code")?,
                    year: Some(year),
                    old_value: r.try_get("old_value")?,
                    new_value: r.try_get("new_value")?,
                    old_flag: r.try_get("old_flag")?,
                    new_flag: Some(r.try_get("new_flag")?),
                    comment: None,
                    import_id: Some(import_id),
                    submission_id: None,
                    address: None,
                    detail: Some(match file { Some(f) if !f.is_empty() => format!("{source} {f}"), _ => source }),
                })
            }).collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }
}

/// A value a revert left alone: an import after the reverted one changed it again.
#[derive(Debug, Clone, PartialEq)]
pub struct RevertConflict {
    pub unit_id: i64,
    pub unit_code: String,
    pub variable_code: String,
    pub year: i64,
    /// What the reverted import had written.
    pub reverted_value: Option<f64>,
    /// The value now, and the import that wrote it.
    pub current_value: Option<f64>,
    pub current_import: i64,
}

/// What [`Store::revert_import`] did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RevertOutcome {
    /// The new import (source `revert`) that wrote the restored values.
    pub import_id: i64,
    /// The import that was reverted.
    pub reverted: i64,
    /// Values the reverted import had changed, given their previous value back.
    pub restored: u64,
    /// Values the reverted import had inserted, now without a value (flag `missing`).
    pub cleared: u64,
    pub conflicts: Vec<RevertConflict>,
}

/// A value written by the import to revert, as it is now, with what it replaced.
type WrittenRow = (i64, i64, i64, Option<f64>, i64, Option<i64>);

impl Store {
    /// Undoes import `import_id` as a new import (source `revert`, file `revert:ID`), in one
    /// transaction: every observation it inserted or changed and no later import changed
    /// again gets its previous value back (one it inserted: no value, flag `missing`); the
    /// old values stay in the history as for every import. Values changed again later are
    /// left alone and reported. Appends the new import's `import` audit row and one
    /// `revert` audit row (import id: the reverted one; `comment`: why).
    /// Refused: an unknown import, an import that wrote no observations, or one whose every
    /// value was changed again later.
    pub async fn revert_import(&self, import_id: i64, comment: Option<&str>) -> Result<RevertOutcome> {
        let missing = i64::from(model::Flag::Missing.to_i16());
        let mut tx = self.begin_import().await?;
        let found: Option<String> = dispatch!(&mut tx, t => sqlx::query_scalar("SELECT kind FROM import_log WHERE id = $1")
            .bind(import_id).fetch_optional(&mut **t).await?);
        if found.is_none() {
            tx.rollback().await?;
            return Err(crate::StoreError::Invalid(format!("nie ma importu {import_id} / there is no import {import_id}")));
        }
        // Values it wrote that are still current, with what they replaced (a history row
        // superseded by it), through the index of observations by import.
        let written: Vec<WrittenRow> = dispatch!(&mut tx, t => sqlx::query_as(
            "SELECT o.variable_id, o.unit_id, o.year, h.value, COALESCE(h.flag, -1), h.import_id \
             FROM observation o LEFT JOIN observation_history h ON h.variable_id = o.variable_id \
                  AND h.unit_id = o.unit_id AND h.year = o.year AND h.superseded_by = o.import_id \
             WHERE o.import_id = $1 ORDER BY o.variable_id, o.unit_id, o.year")
            .bind(import_id).fetch_all(&mut **t).await?);
        // Values it wrote that a later import replaced: left alone. The history is probed by
        // key through the variables the import wrote.
        let conflicts: Vec<RevertConflict> = dispatch!(&mut tx, t => {
            sqlx::query(
                "SELECT h.unit_id, u.code AS unit_code, v.code AS variable_code, h.year, h.value AS reverted_value, \
                        o.value AS current_value, o.import_id AS current_import \
                 FROM import_variable iv JOIN variable v ON v.id = iv.variable_id \
                 JOIN observation_history h ON h.variable_id = iv.variable_id AND h.import_id = iv.import_id \
                 JOIN observation o ON o.variable_id = h.variable_id AND o.unit_id = h.unit_id AND o.year = h.year \
                 JOIN unit u ON u.id = h.unit_id \
                 WHERE iv.import_id = $1 ORDER BY v.code, u.code, h.year")
                .bind(import_id).fetch_all(&mut **t).await?
                .into_iter()
                .map(|r| Ok(RevertConflict {
                    unit_id: r.try_get("unit_id")?,
                    unit_code: r.try_get("unit_code")?,
                    variable_code: r.try_get("variable_code")?,
                    year: r.try_get("year")?,
                    reverted_value: r.try_get("reverted_value")?,
                    current_value: r.try_get("current_value")?,
                    current_import: r.try_get("current_import")?,
                }))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        if written.is_empty() {
            tx.rollback().await?;
            return Err(crate::StoreError::Invalid(if conflicts.is_empty() {
                format!("import {import_id} nie zapisał żadnych wartości / import {import_id} wrote no observations")
            } else {
                format!(
                    "nic do cofnięcia: każdą z {n} wartości importu {import_id} zmienił później inny import / \
                     nothing to revert: each of the {n} values of import {import_id} was changed later by another import",
                    n = conflicts.len()
                )
            }));
        }
        let now = now_text();
        let new_id = crate::units::insert_import_log(&mut tx, &self.actor, "observations", "revert", &format!("revert:{import_id}"), &now).await?;
        let mut out = RevertOutcome { import_id: new_id, reverted: import_id, conflicts, ..RevertOutcome::default() };
        let rows: Vec<(i64, i64, i64, Option<f64>, i64)> = written
            .iter()
            .map(|&(variable_id, unit_id, year, value, flag, before)| {
                if before.is_some() {
                    out.restored += 1;
                    (variable_id, unit_id, year, value, flag)
                } else {
                    out.cleared += 1;
                    (variable_id, unit_id, year, None, missing)
                }
            })
            .collect();
        let numbered = matches!(tx, Tx::Postgres(_));
        let mut affected = 0u64;
        for chunk in rows.chunks(1000) {
            let sql = crate::observations::upsert_sql(chunk.len(), new_id, numbered);
            affected += dispatch!(&mut tx, t => {
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    q = q.bind(r.0).bind(r.1).bind(r.2).bind(r.3).bind(r.4);
                }
                q.execute(&mut **t).await?.rows_affected()
            });
        }
        let mut variables: Vec<i64> = rows.iter().map(|r| r.0).collect();
        variables.dedup();
        for v in &variables {
            dispatch!(&mut tx, t => {
                sqlx::query("INSERT INTO import_variable (import_id, variable_id) VALUES ($1, $2)")
                    .bind(new_id).bind(v).execute(&mut **t).await?;
            });
        }
        crate::columns::refresh_columns(&mut tx, variables.iter().copied()).await?;
        let read = rows.len() as u64;
        crate::units::finish_import_log(&mut tx, &self.actor, new_id, read, 0, affected, read.saturating_sub(affected), 0).await?;
        let entry = AuditEntry {
            action: "revert".to_owned(),
            import_id: Some(import_id),
            comment: comment.map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned),
            detail: Some(format!("import {new_id}: restored {}, cleared {}, conflicts {}", out.restored, out.cleared, out.conflicts.len())),
            ..AuditEntry::default()
        };
        append_tx(&mut tx, &self.actor, &now_text(), &entry).await?;
        tx.commit().await?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn refuses_update_delete_and_truncate(store: Store) {
        let id =
            store.audit_append(&Actor::named("cli:test"), &AuditEntry { action: "login".into(), ..AuditEntry::default() }).await.expect("append");
        assert!(id > 0);
        let mut statements = vec!["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"];
        if store.backend_name() == "postgres" {
            statements.push("TRUNCATE audit_log");
        }
        for sql in statements {
            let e = dispatch!(&store.backend, p => sqlx::query(sql).execute(p).await.map(|_| ()));
            let e = e.expect_err(sql).to_string();
            assert!(e.contains("append-only"), "{sql}: {e}");
        }
        let rows = store.audit(&AuditFilter::default(), 10).await.expect("audit");
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].id, rows[0].actor.as_str()), (Some(id), "cli:test"));
    }

    #[tokio::test]
    async fn the_audit_log_is_append_only_on_both_backends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&format!("sqlite:{}", dir.path().join("t.db").display())).await.expect("sqlite");
        refuses_update_delete_and_truncate(store).await;
        if let Ok(pg) = std::env::var("MIERNIK_TEST_POSTGRES") {
            let schema = format!("t_audit_append_only_{}", std::process::id());
            let store = Store::open_postgres_schema(&pg, &schema).await.expect("postgres opens");
            refuses_update_delete_and_truncate(store.clone()).await;
            store.close().await;
            Store::drop_postgres_schema(&pg, &schema).await.expect("schema dropped");
        } else {
            eprintln!("MIERNIK_TEST_POSTGRES not set: append-only ran on SQLite only");
        }
    }

    #[test]
    fn cursors_round_trip_as_text() {
        let c = AuditCursor { at: "2025-01-02T03:04:05.000006Z".into(), kind: 0, a: 12, b: 3, c: 2021 };
        assert_eq!(c.to_string().parse::<AuditCursor>().expect("parses"), c);
        for bad in ["", "x_1_2_3_4", "2025_2_1_0_0", "_1_1_0_0", "2025-01-01_1_a_0_0"] {
            assert!(bad.parse::<AuditCursor>().is_err(), "{bad}");
        }
    }
}
