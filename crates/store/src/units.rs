//! Territorial units: applying a TERC state as a plan of changes, listing units as of a
//! date, and the map from every code a unit ever had to the unit.

use std::collections::HashMap;

use model::{Date, TerytCode, UnitKind};
use sqlx::Row;

use crate::{Actor, ObservationImport, Result, Store, StoreError, Tx, date_text, dispatch, now_text, parse_date_col};

/// A unit as stored, with its current (or last) code and name.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredUnit {
    pub id: i64,
    pub code: TerytCode,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<i64>,
    pub same_jst_id: Option<i64>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    pub historical: bool,
}

/// A unit as it was on a given date: the code and name valid then.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitAt {
    pub id: i64,
    pub code: TerytCode,
    pub name: String,
    /// The kind stored now; for gminy the caller may derive the kind then from the code.
    pub kind: UnitKind,
    pub parent_id: Option<i64>,
    pub same_jst_id: Option<i64>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
}

/// One code a unit has had.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitCode {
    pub unit_id: i64,
    pub code: TerytCode,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUnit {
    pub code: TerytCode,
    pub name: String,
    pub kind: UnitKind,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    pub historical: bool,
    /// For units outside a TERC plan (historical units from data files): the parent's id.
    pub parent_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CodeChange {
    pub unit_id: i64,
    pub new_code: TerytCode,
    pub new_kind: UnitKind,
    pub date: Date,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rename {
    pub unit_id: i64,
    pub new_name: String,
    pub date: Date,
}

/// Where a unit of the new state hangs: its parent and, for a city with powiat rights, the
/// other record of the same JST.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub code: TerytCode,
    pub parent: Option<TerytCode>,
    pub same_jst: Option<TerytCode>,
}

/// Everything a new TERC state changes, worked out by the caller; applied in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct TerritoryPlan {
    pub state_date: Date,
    pub file: String,
    pub rows_read: u64,
    pub closures: Vec<(i64, Date)>,
    pub code_changes: Vec<CodeChange>,
    pub renames: Vec<Rename>,
    /// Parents first: the country, województwa, powiaty, gminy, their parts.
    pub new_units: Vec<NewUnit>,
    /// One per unit of the state (and the country).
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TerritoryOutcome {
    pub import_id: i64,
    pub created: u64,
    pub closed: u64,
    pub code_changes: u64,
    pub renamed: u64,
    pub relinked: u64,
    /// The state had already been imported: nothing was changed.
    pub already_imported: bool,
}

/// The parsed columns shared by unit rows: id, code, name, kind, valid from, valid to.
type UnitColumns = (i64, TerytCode, String, UnitKind, Option<Date>, Option<Date>);

fn unit_from_row(id: i64, code: String, name: String, kind: String, valid_from: Option<String>, valid_to: Option<String>) -> Result<UnitColumns> {
    let code = TerytCode::parse(&code).map_err(|_| StoreError::Corrupt { what: "unit code", value: code })?;
    let kind = UnitKind::parse(&kind).map_err(|e| StoreError::Corrupt { what: "unit kind", value: e.0 })?;
    Ok((id, code, name, kind, parse_date_col(valid_from)?, parse_date_col(valid_to)?))
}

impl Store {
    /// Every unit ever stored, open or closed, in id order.
    pub async fn units(&self) -> Result<Vec<StoredUnit>> {
        self.query_units(None).await
    }

    /// Units, all or the one with `id`, in id order.
    async fn query_units(&self, id: Option<i64>) -> Result<Vec<StoredUnit>> {
        let sql = format!(
            "SELECT id, code, name, kind, parent_id, same_jst_id, valid_from, valid_to, historical \
             FROM unit {} ORDER BY id",
            if id.is_some() { "WHERE id = $1" } else { "" }
        );
        let rows = dispatch!(&self.backend, p => {
            let mut q = sqlx::query(&sql);
            if let Some(id) = id {
                q = q.bind(id);
            }
            q.fetch_all(p).await?
                .into_iter()
                .map(|r| -> Result<StoredUnit> {
                    let (id, code, name, kind, valid_from, valid_to) = unit_from_row(
                        r.try_get("id")?, r.try_get("code")?, r.try_get("name")?, r.try_get("kind")?,
                        r.try_get("valid_from")?, r.try_get("valid_to")?,
                    )?;
                    Ok(StoredUnit {
                        id, code, name, kind, valid_from, valid_to,
                        parent_id: r.try_get("parent_id")?,
                        same_jst_id: r.try_get("same_jst_id")?,
                        historical: r.try_get::<i64, _>("historical")? != 0,
                    })
                })
                .collect::<Result<Vec<_>>>()?
        });
        Ok(rows)
    }

    /// The unit that bears `code` now, or bore it last (an old code is an alias).
    pub async fn unit_id_for_code(&self, code: &TerytCode) -> Result<Option<i64>> {
        let sql = "SELECT unit_id FROM unit_code WHERE code = $1 \
                   ORDER BY CASE WHEN valid_to IS NULL THEN 1 ELSE 0 END DESC, valid_to DESC LIMIT 1";
        let id: Option<i64> = dispatch!(&self.backend, p => sqlx::query_scalar(sql).bind(code.as_str()).fetch_optional(p).await?);
        Ok(id)
    }

    /// One unit by id.
    pub async fn unit(&self, id: i64) -> Result<Option<StoredUnit>> {
        Ok(self.query_units(Some(id)).await?.pop())
    }

    /// Every code a unit has had, oldest first.
    pub async fn codes_of_unit(&self, unit_id: i64) -> Result<Vec<UnitCode>> {
        self.query_codes(Some(unit_id)).await
    }

    /// Every code every unit has had.
    pub async fn unit_codes(&self) -> Result<Vec<UnitCode>> {
        self.query_codes(None).await
    }

    /// Codes, of all units or of one, by unit and then oldest first.
    async fn query_codes(&self, unit_id: Option<i64>) -> Result<Vec<UnitCode>> {
        let sql = format!(
            "SELECT unit_id, code, valid_from, valid_to FROM unit_code {} ORDER BY unit_id, id",
            if unit_id.is_some() { "WHERE unit_id = $1" } else { "" }
        );
        let rows = dispatch!(&self.backend, p => {
            let mut q = sqlx::query(&sql);
            if let Some(id) = unit_id {
                q = q.bind(id);
            }
            q.fetch_all(p).await?
                .into_iter()
                .map(|r| -> Result<UnitCode> {
                    let code: String = r.try_get("code")?;
                    Ok(UnitCode {
                        unit_id: r.try_get("unit_id")?,
                        code: TerytCode::parse(&code).map_err(|_| StoreError::Corrupt { what: "unit code", value: code })?,
                        valid_from: parse_date_col(r.try_get("valid_from")?)?,
                        valid_to: parse_date_col(r.try_get("valid_to")?)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?
        });
        Ok(rows)
    }

    /// Every name a unit has had, as (name, valid_from, valid_to), oldest first.
    pub async fn unit_names(&self, unit_id: i64) -> Result<Vec<(String, Option<Date>, Option<Date>)>> {
        let sql = "SELECT name, valid_from, valid_to FROM unit_name WHERE unit_id = $1 ORDER BY id";
        let rows = dispatch!(&self.backend, p => {
            let rows = sqlx::query(sql).bind(unit_id).fetch_all(p).await?;
            rows.into_iter()
                .map(|r| -> Result<_> {
                    Ok((r.try_get("name")?, parse_date_col(r.try_get("valid_from")?)?, parse_date_col(r.try_get("valid_to")?)?))
                })
                .collect::<Result<Vec<_>>>()?
        });
        Ok(rows)
    }

    /// The units valid on `date`, each with the code and name it had then; only the
    /// children of `parent_id` when given.
    pub async fn units_at(&self, date: Date, parent_id: Option<i64>) -> Result<Vec<UnitAt>> {
        let sql = "SELECT u.id, u.kind, u.parent_id, u.same_jst_id, u.valid_from, u.valid_to, \
              COALESCE((SELECT c.code FROM unit_code c WHERE c.unit_id = u.id \
                  AND (c.valid_from IS NULL OR c.valid_from <= $1) AND (c.valid_to IS NULL OR c.valid_to > $1) \
                  ORDER BY COALESCE(c.valid_from, '') DESC LIMIT 1), u.code) AS code, \
              COALESCE((SELECT n.name FROM unit_name n WHERE n.unit_id = u.id \
                  AND (n.valid_from IS NULL OR n.valid_from <= $1) AND (n.valid_to IS NULL OR n.valid_to > $1) \
                  ORDER BY COALESCE(n.valid_from, '') DESC LIMIT 1), u.name) AS name \
            FROM unit u \
            WHERE (u.valid_from IS NULL OR u.valid_from <= $1) AND (u.valid_to IS NULL OR u.valid_to > $1) ";
        let sql = match parent_id {
            Some(_) => format!("{sql} AND u.parent_id = $2 ORDER BY u.id"),
            None => format!("{sql} ORDER BY u.id"),
        };
        let d = model::format_date(date);
        let rows = dispatch!(&self.backend, p => {
            let mut q = sqlx::query(&sql).bind(&d);
            if let Some(id) = parent_id {
                q = q.bind(id);
            }
            let rows = q.fetch_all(p).await?;
            rows.into_iter()
                .map(|r| -> Result<UnitAt> {
                    let (id, code, name, kind, valid_from, valid_to) = unit_from_row(
                        r.try_get("id")?, r.try_get("code")?, r.try_get("name")?, r.try_get("kind")?,
                        r.try_get("valid_from")?, r.try_get("valid_to")?,
                    )?;
                    Ok(UnitAt {
                        id, code, name, kind, valid_from, valid_to,
                        parent_id: r.try_get("parent_id")?,
                        same_jst_id: r.try_get("same_jst_id")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?
        });
        Ok(rows)
    }

    /// Every TERC state imported (its STAN_NA date), oldest first.
    pub async fn territory_states(&self) -> Result<Vec<Date>> {
        let sql = "SELECT state_date FROM territory_state ORDER BY state_date";
        let rows: Vec<String> = dispatch!(&self.backend, p => sqlx::query_scalar(sql).fetch_all(p).await?);
        rows.into_iter().map(|d| parse_date_col(Some(d)).map(|d| d.unwrap_or(Date::MIN))).collect()
    }

    /// The newest TERC state imported.
    pub async fn newest_territory_state(&self) -> Result<Option<Date>> {
        let sql = "SELECT MAX(state_date) FROM territory_state";
        let d: Option<String> = dispatch!(&self.backend, p => sqlx::query_scalar(sql).fetch_one(p).await?);
        parse_date_col(d)
    }

    /// Applies a TERC state in one transaction. Re-applying a state already imported
    /// changes nothing; a state older than the newest one imported is refused.
    pub async fn apply_territory(&self, plan: &TerritoryPlan) -> Result<TerritoryOutcome> {
        let state = model::format_date(plan.state_date);
        if let Some(newest) = self.newest_territory_state().await?
            && newest > plan.state_date
        {
            return Err(StoreError::OlderState { state, newest: model::format_date(newest) });
        }
        let mut tx = self.begin_import().await?;
        let started = now_text();
        let import_id = insert_import_log(&mut tx, &self.actor, "units", "teryt", &plan.file, &started).await?;
        let seen: Option<i64> = dispatch!(&mut tx, t => sqlx::query_scalar("SELECT import_id FROM territory_state WHERE state_date = $1")
            .bind(&state).fetch_optional(&mut **t).await?);
        let already_imported = seen.is_some();
        if !already_imported {
            dispatch!(&mut tx, t => { sqlx::query("INSERT INTO territory_state (state_date, import_id) VALUES ($1, $2)")
                .bind(&state).bind(import_id).execute(&mut **t).await?; });
        }
        let mut outcome = TerritoryOutcome { import_id, created: 0, closed: 0, code_changes: 0, renamed: 0, relinked: 0, already_imported };

        for (unit_id, date) in &plan.closures {
            let d = model::format_date(*date);
            dispatch!(&mut tx, t => {
                sqlx::query("UPDATE unit SET valid_to = $1 WHERE id = $2 AND valid_to IS NULL")
                    .bind(&d).bind(unit_id).execute(&mut **t).await?;
                sqlx::query("UPDATE unit_code SET valid_to = $1 WHERE unit_id = $2 AND valid_to IS NULL")
                    .bind(&d).bind(unit_id).execute(&mut **t).await?;
                sqlx::query("UPDATE unit_name SET valid_to = $1 WHERE unit_id = $2 AND valid_to IS NULL")
                    .bind(&d).bind(unit_id).execute(&mut **t).await?;
            });
            outcome.closed += 1;
        }
        for c in &plan.code_changes {
            let d = model::format_date(c.date);
            dispatch!(&mut tx, t => {
                sqlx::query("UPDATE unit_code SET valid_to = $1 WHERE unit_id = $2 AND valid_to IS NULL")
                    .bind(&d).bind(c.unit_id).execute(&mut **t).await?;
                sqlx::query("INSERT INTO unit_code (unit_id, code, valid_from, valid_to) VALUES ($1, $2, $3, NULL)")
                    .bind(c.unit_id).bind(c.new_code.as_str()).bind(&d).execute(&mut **t).await?;
                sqlx::query("UPDATE unit SET code = $1, kind = $2 WHERE id = $3")
                    .bind(c.new_code.as_str()).bind(c.new_kind.as_str()).bind(c.unit_id).execute(&mut **t).await?;
            });
            outcome.code_changes += 1;
        }
        for r in &plan.renames {
            let d = model::format_date(r.date);
            dispatch!(&mut tx, t => {
                sqlx::query("UPDATE unit_name SET valid_to = $1 WHERE unit_id = $2 AND valid_to IS NULL")
                    .bind(&d).bind(r.unit_id).execute(&mut **t).await?;
                sqlx::query("INSERT INTO unit_name (unit_id, name, valid_from, valid_to) VALUES ($1, $2, $3, NULL)")
                    .bind(r.unit_id).bind(&r.new_name).bind(&d).execute(&mut **t).await?;
                sqlx::query("UPDATE unit SET name = $1, name_folded = $2 WHERE id = $3")
                    .bind(&r.new_name).bind(model::fold(&r.new_name)).bind(r.unit_id).execute(&mut **t).await?;
            });
            outcome.renamed += 1;
        }
        for u in &plan.new_units {
            insert_unit(&mut tx, u, import_id).await?;
            outcome.created += 1;
        }

        // Parents and JST links of every open unit, by the codes valid now.
        let open: Vec<(i64, String, Option<i64>, Option<i64>)> = dispatch!(&mut tx, t => {
            sqlx::query("SELECT id, code, parent_id, same_jst_id FROM unit WHERE valid_to IS NULL AND historical = 0")
                .fetch_all(&mut **t).await?
                .into_iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("code")?, r.try_get("parent_id")?, r.try_get("same_jst_id")?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        let by_code: HashMap<&str, i64> = open.iter().map(|(id, code, _, _)| (code.as_str(), *id)).collect();
        let current: HashMap<i64, (Option<i64>, Option<i64>)> = open.iter().map(|(id, _, p, s)| (*id, (*p, *s))).collect();
        for link in &plan.links {
            let Some(&id) = by_code.get(link.code.as_str()) else { continue };
            let parent = link.parent.as_ref().and_then(|c| by_code.get(c.as_str()).copied());
            let same = link.same_jst.as_ref().and_then(|c| by_code.get(c.as_str()).copied());
            if current.get(&id) != Some(&(parent, same)) {
                dispatch!(&mut tx, t => { sqlx::query("UPDATE unit SET parent_id = $1, same_jst_id = $2 WHERE id = $3")
                    .bind(parent).bind(same).bind(id).execute(&mut **t).await?; });
                outcome.relinked += 1;
            }
        }

        let changed = outcome.closed + outcome.code_changes + outcome.renamed;
        let unchanged = plan.rows_read.saturating_sub(outcome.created + changed);
        finish_import_log(&mut tx, &self.actor, import_id, plan.rows_read, outcome.created, changed, unchanged, 0).await?;
        tx.commit().await?;
        Ok(outcome)
    }
}

impl ObservationImport {
    /// Sets the validity of a unit created inside this import (a historical unit, whose
    /// validity is known only once the whole file is read): the unit, its code and its name.
    pub async fn set_unit_validity(&mut self, unit_id: i64, valid_from: Option<Date>, valid_to: Option<Date>) -> Result<()> {
        let (from, to) = (date_text(valid_from), date_text(valid_to));
        let tx = self.tx().await?;
        dispatch!(tx, t => {
            for table in ["unit", "unit_code", "unit_name"] {
                let column = if table == "unit" { "id" } else { "unit_id" };
                sqlx::query(&format!("UPDATE {table} SET valid_from = $1, valid_to = $2 WHERE {column} = $3"))
                    .bind(&from).bind(&to).bind(unit_id).execute(&mut **t).await?;
            }
        });
        Ok(())
    }

    /// Records `code` as a former code of the unit `unit_id`, valid from `valid_from` until
    /// `valid_to` (exclusive): a code change before the oldest TERC state, known from the
    /// registry of changes. The unit's code `successor`, when its start is open (a first TERC
    /// import knows no start), starts where the old code ends. Nothing changes when the unit
    /// already has the code.
    pub async fn attach_code(
        &mut self,
        unit_id: i64,
        code: &TerytCode,
        valid_from: Option<Date>,
        valid_to: Date,
        successor: &TerytCode,
    ) -> Result<()> {
        let (from, to) = (date_text(valid_from), model::format_date(valid_to));
        let tx = self.tx().await?;
        dispatch!(tx, t => {
            let seen: Option<i64> = sqlx::query_scalar("SELECT id FROM unit_code WHERE unit_id = $1 AND code = $2 LIMIT 1")
                .bind(unit_id).bind(code.as_str()).fetch_optional(&mut **t).await?;
            if seen.is_none() {
                sqlx::query("INSERT INTO unit_code (unit_id, code, valid_from, valid_to) VALUES ($1, $2, $3, $4)")
                    .bind(unit_id).bind(code.as_str()).bind(&from).bind(&to).execute(&mut **t).await?;
                sqlx::query("UPDATE unit_code SET valid_from = $1 WHERE unit_id = $2 AND code = $3 AND valid_from IS NULL")
                    .bind(&to).bind(unit_id).bind(successor.as_str()).execute(&mut **t).await?;
            }
        });
        Ok(())
    }
}

/// Starts the import log entry of an import run by `actor` (visible only if the import commits).
pub(crate) async fn insert_import_log(tx: &mut Tx, actor: &Actor, kind: &str, source: &str, file: &str, started: &str) -> Result<i64> {
    let sql = "INSERT INTO import_log (kind, source, file, started_at, finished_at, actor) VALUES ($1, $2, $3, $4, $4, $5) RETURNING id";
    let id: i64 = dispatch!(tx, t => sqlx::query_scalar(sql)
        .bind(kind).bind(source).bind(file).bind(started).bind(crate::audit::actor_name(actor)).fetch_one(&mut **t).await?);
    Ok(id)
}

/// Ends the import log entry with its counts and appends the import's `import` audit row, in
/// the import's transaction: a rolled-back import leaves neither.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn finish_import_log(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    read: u64,
    inserted: u64,
    changed: u64,
    unchanged: u64,
    rejected: u64,
) -> Result<()> {
    let sql = "UPDATE import_log SET finished_at = $1, rows_read = $2, inserted = $3, changed = $4, \
               unchanged = $5, rejected = $6 WHERE id = $7 RETURNING kind, source, file";
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let now = now_text();
    let (kind, source, file): (String, String, Option<String>) = dispatch!(&mut *tx, t => sqlx::query_as(sql)
        .bind(&now).bind(n(read)).bind(n(inserted)).bind(n(changed)).bind(n(unchanged)).bind(n(rejected)).bind(id)
        .fetch_one(&mut **t).await?);
    let counts = crate::ImportCounts { import_id: id, read, inserted, changed, unchanged, rejected };
    let entry = crate::audit::import_entry(id, &kind, &source, file.as_deref(), &counts);
    crate::audit::append_tx(tx, actor, &now, &entry).await?;
    Ok(())
}

/// Inserts a unit with its first code and name; returns its id.
pub(crate) async fn insert_unit(tx: &mut Tx, u: &NewUnit, import_id: i64) -> Result<i64> {
    let from = date_text(u.valid_from);
    let to = date_text(u.valid_to);
    let sql = "INSERT INTO unit (code, name, name_folded, kind, parent_id, valid_from, valid_to, historical, import_id) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
    let id: i64 = dispatch!(tx, t => {
        let id: i64 = sqlx::query_scalar(sql)
            .bind(u.code.as_str()).bind(&u.name).bind(model::fold(&u.name)).bind(u.kind.as_str())
            .bind(u.parent_id).bind(&from).bind(&to).bind(i64::from(u.historical)).bind(import_id)
            .fetch_one(&mut **t).await?;
        sqlx::query("INSERT INTO unit_code (unit_id, code, valid_from, valid_to) VALUES ($1, $2, $3, $4)")
            .bind(id).bind(u.code.as_str()).bind(&from).bind(&to).execute(&mut **t).await?;
        sqlx::query("INSERT INTO unit_name (unit_id, name, valid_from, valid_to) VALUES ($1, $2, $3, $4)")
            .bind(id).bind(&u.name).bind(&from).bind(&to).execute(&mut **t).await?;
        id
    });
    Ok(id)
}
