//! Priorities and improvement plans of a unit or a functional area: the plan, its actions and
//! their targets. Nothing is deleted (a removed row keeps `removed_at`/`removed_by`); every
//! write appends its audit rows in the same transaction, about the unit concerned (for a
//! functional area: its lead unit).

use crate::audit::{Actor, AuditEntry, actor_name, append_tx};
use crate::{Result, Store, StoreError, Tx, dispatch, now_text};

/// Whose priority or plan: a unit's or a functional area's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    Unit(i64),
    Area(i64),
}

impl Owner {
    /// (unit_id, area_id) columns: exactly one is set.
    fn columns(self) -> (Option<i64>, Option<i64>) {
        match self {
            Owner::Unit(u) => (Some(u), None),
            Owner::Area(a) => (None, Some(a)),
        }
    }

    /// From the (unit_id, area_id) columns of a row.
    fn from_columns(unit_id: Option<i64>, area_id: Option<i64>) -> Result<Owner> {
        match (unit_id, area_id) {
            (Some(u), None) => Ok(Owner::Unit(u)),
            (None, Some(a)) => Ok(Owner::Area(a)),
            (u, a) => Err(StoreError::Corrupt { what: "owner (unit_id, area_id)", value: format!("{u:?}, {a:?}") }),
        }
    }

    /// `unit 5` or `area 2`, for audit details and messages.
    fn label(self) -> String {
        match self {
            Owner::Unit(u) => format!("unit {u}"),
            Owner::Area(a) => format!("area {a}"),
        }
    }

    /// `unit_id = $n` or `area_id = $n`.
    fn condition(self, n: usize) -> String {
        match self {
            Owner::Unit(_) => format!("unit_id = ${n}"),
            Owner::Area(_) => format!("area_id = ${n}"),
        }
    }

    fn id(self) -> i64 {
        match self {
            Owner::Unit(x) | Owner::Area(x) => x,
        }
    }
}

/// A weakness a unit or an area chose to work on.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorityRow {
    pub id: i64,
    pub owner: Owner,
    pub indicator_code: String,
    /// The diagnosis year it was chosen from.
    pub year: i64,
    /// The peer group of that diagnosis (canonical name).
    pub group_name: String,
    pub note: Option<String>,
    pub created_at: String,
    pub created_by: String,
}

/// What a plan's settings say.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanFields {
    pub title: String,
    pub summary: Option<String>,
    /// Anyone sees it; otherwise only the roles on the unit.
    pub public: bool,
    /// The peer group targets are proposed from.
    pub group_name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    pub id: i64,
    pub owner: Owner,
    pub fields: PlanFields,
    pub created_at: String,
    pub created_by: String,
    pub updated_at: String,
    pub updated_by: String,
}

/// What an action of a plan says.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionFields {
    /// The priority it answers, if any (a live priority of the plan's owner).
    pub priority_id: Option<i64>,
    pub title: String,
    pub description: Option<String>,
    /// Who carries it out (a person, a department).
    pub owner: Option<String>,
    /// zł.
    pub budget: Option<f64>,
    pub start_year: i64,
    pub end_year: i64,
    /// planned | in_progress | done | cancelled
    pub status: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActionRow {
    pub id: i64,
    pub plan_id: i64,
    pub fields: ActionFields,
    pub updated_at: String,
    pub updated_by: String,
}

/// An indicator an action is to move, from a baseline to a value by a year.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetFields {
    pub indicator_code: String,
    pub baseline_year: i64,
    pub baseline_value: f64,
    pub target_year: i64,
    pub target_value: f64,
    /// manual | median | q3 | best_decile | gap:0.5
    pub method: String,
    /// The peer group the proposal came from.
    pub group_name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TargetRow {
    pub id: i64,
    pub action_id: i64,
    pub fields: TargetFields,
    pub created_at: String,
    pub created_by: String,
}

/// A unique index refused the write (two people at once, or a duplicate): a conflict saying
/// `what`; any other error as it is.
pub(crate) fn unique_conflict(e: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(what()),
        _ => StoreError::from(e),
    }
}

/// A title as audit details quote it: `"Tytuł"`, cut when long.
pub(crate) fn quoted(title: &str) -> String {
    format!("\"{}\"", model::excerpt(title, 80))
}

type PriorityTuple = (i64, Option<i64>, Option<i64>, String, i64, String, Option<String>, String, String);
const PRIORITY_COLUMNS: &str = "id, unit_id, area_id, indicator_code, year, group_name, note, created_at, created_by";

fn priority_from(t: PriorityTuple) -> Result<PriorityRow> {
    let (id, unit_id, area_id, indicator_code, year, group_name, note, created_at, created_by) = t;
    Ok(PriorityRow { id, owner: Owner::from_columns(unit_id, area_id)?, indicator_code, year, group_name, note, created_at, created_by })
}

type PlanTuple = (i64, Option<i64>, Option<i64>, String, Option<String>, i64, String, String, String, String, String);
const PLAN_COLUMNS: &str = "id, unit_id, area_id, title, summary, public, group_name, created_at, created_by, updated_at, updated_by";

fn plan_from(t: PlanTuple) -> Result<PlanRow> {
    let (id, unit_id, area_id, title, summary, public, group_name, created_at, created_by, updated_at, updated_by) = t;
    Ok(PlanRow {
        id,
        owner: Owner::from_columns(unit_id, area_id)?,
        fields: PlanFields { title, summary, public: public != 0, group_name },
        created_at,
        created_by,
        updated_at,
        updated_by,
    })
}

type ActionTuple = (i64, i64, Option<i64>, String, Option<String>, Option<String>, Option<f64>, i64, i64, String, String, String);
const ACTION_COLUMNS: &str = "id, plan_id, priority_id, title, description, owner, budget, start_year, end_year, status, updated_at, updated_by";

fn action_from(t: ActionTuple) -> ActionRow {
    let (id, plan_id, priority_id, title, description, owner, budget, start_year, end_year, status, updated_at, updated_by) = t;
    ActionRow {
        id,
        plan_id,
        fields: ActionFields { priority_id, title, description, owner, budget, start_year, end_year, status },
        updated_at,
        updated_by,
    }
}

type TargetTuple = (i64, i64, String, i64, f64, i64, f64, String, String, String, String);
const TARGET_COLUMNS: &str = "t.id, t.action_id, t.indicator_code, t.baseline_year, t.baseline_value, t.target_year, t.target_value, t.method, t.group_name, t.created_at, t.created_by";

fn target_from(t: TargetTuple) -> TargetRow {
    let (id, action_id, indicator_code, baseline_year, baseline_value, target_year, target_value, method, group_name, created_at, created_by) = t;
    TargetRow {
        id,
        action_id,
        fields: TargetFields { indicator_code, baseline_year, baseline_value, target_year, target_value, method, group_name },
        created_at,
        created_by,
    }
}

/// The unit an owner's audit rows are about (an area's lead unit), checking inside `tx` that
/// the unit or area is there; a conflict when it is not.
pub(crate) async fn owner_unit_tx(tx: &mut Tx, owner: Owner) -> Result<i64> {
    let found: Option<i64> = match owner {
        Owner::Unit(u) => dispatch!(tx, t => sqlx::query_scalar("SELECT id FROM unit WHERE id = $1").bind(u).fetch_optional(&mut **t).await?),
        Owner::Area(a) => dispatch!(tx, t => sqlx::query_scalar("SELECT lead_unit_id FROM functional_area WHERE id = $1")
            .bind(a).fetch_optional(&mut **t).await?),
    };
    match (found, owner) {
        (Some(u), _) => Ok(u),
        (None, Owner::Unit(u)) => Err(StoreError::Conflict(format!("unit {u} not found"))),
        (None, Owner::Area(a)) => Err(StoreError::Conflict(format!("functional area {a} not found"))),
    }
}

/// A plan inside a transaction (with its owner's audit unit); a conflict when there is none.
async fn plan_tx(tx: &mut Tx, plan_id: i64) -> Result<(PlanRow, i64)> {
    let sql = format!("SELECT {PLAN_COLUMNS} FROM improvement_plan WHERE id = $1");
    let row: Option<PlanTuple> = dispatch!(tx, t => sqlx::query_as(&sql).bind(plan_id).fetch_optional(&mut **t).await?);
    let plan = plan_from(row.ok_or_else(|| StoreError::Conflict(format!("plan {plan_id} not found")))?)?;
    let unit = owner_unit_tx(tx, plan.owner).await?;
    Ok((plan, unit))
}

/// A live action inside a transaction, with its plan's audit unit; a conflict when there is
/// none (or it was removed).
async fn action_tx(tx: &mut Tx, action_id: i64) -> Result<(ActionRow, i64)> {
    let sql = format!("SELECT {ACTION_COLUMNS} FROM plan_action WHERE id = $1 AND removed_at IS NULL");
    let row: Option<ActionTuple> = dispatch!(tx, t => sqlx::query_as(&sql).bind(action_id).fetch_optional(&mut **t).await?);
    let action = action_from(row.ok_or_else(|| StoreError::Conflict(format!("action {action_id} not found")))?);
    let (_, unit) = plan_tx(tx, action.plan_id).await?;
    Ok((action, unit))
}

/// Checks that `priority_id` (if any) is a live priority of the plan's owner.
async fn check_priority_tx(tx: &mut Tx, priority_id: Option<i64>, owner: Owner) -> Result<()> {
    let Some(pid) = priority_id else { return Ok(()) };
    let sql = format!("SELECT id FROM priority WHERE id = $1 AND removed_at IS NULL AND {}", owner.condition(2));
    let found: Option<i64> = dispatch!(tx, t => sqlx::query_scalar(&sql).bind(pid).bind(owner.id()).fetch_optional(&mut **t).await?);
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::Conflict(format!("priority {pid} not found among the priorities of {}", owner.label()))),
    }
}

/// The names of the fields that differ between two versions of an action.
fn changed_action_fields(a: &ActionFields, b: &ActionFields) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |same: bool, name| {
        if !same {
            out.push(name);
        }
    };
    check(a.priority_id == b.priority_id, "priority");
    check(a.title == b.title, "title");
    check(a.description == b.description, "description");
    check(a.owner == b.owner, "owner");
    check(a.budget == b.budget, "budget");
    check(a.start_year == b.start_year, "start_year");
    check(a.end_year == b.end_year, "end_year");
    check(a.status == b.status, "status");
    out
}

impl Store {
    /// Marks `indicator_code` a priority of `owner` (chosen from the diagnosis of `year` in
    /// `group_name`); its id. A conflict when the unit or area is not there, or the indicator
    /// already is one of its live priorities. Audit `priority.add`.
    pub async fn add_priority(
        &self,
        owner: Owner,
        indicator_code: &str,
        year: i64,
        group_name: &str,
        note: Option<&str>,
        actor: &Actor,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let unit_id = owner_unit_tx(&mut tx, owner).await?;
        let (u, a) = owner.columns();
        let duplicate = || format!("{indicator_code} is already a priority of {}", owner.label());
        let sql = format!("SELECT id FROM priority WHERE {} AND indicator_code = $2 AND removed_at IS NULL", owner.condition(1));
        let exists: Option<i64> =
            dispatch!(&mut tx, t => sqlx::query_scalar(&sql).bind(owner.id()).bind(indicator_code).fetch_optional(&mut **t).await?);
        if exists.is_some() {
            tx.rollback().await?;
            return Err(StoreError::Conflict(duplicate()));
        }
        let id: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
            "INSERT INTO priority (unit_id, area_id, indicator_code, year, group_name, note, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(u).bind(a).bind(indicator_code).bind(year).bind(group_name).bind(note).bind(&now).bind(actor_name(actor))
            .fetch_one(&mut **t).await.map_err(|e| unique_conflict(e, duplicate))?);
        let entry = AuditEntry {
            action: "priority.add".into(),
            unit_id: Some(unit_id),
            variable_code: Some(indicator_code.to_owned()),
            year: Some(year),
            comment: note.map(str::to_owned),
            detail: Some(format!("{}: priority {id} {indicator_code} ({year}, {group_name})", owner.label())),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Removes a live priority (the row stays, with `removed_at`); a conflict when there is
    /// no live priority `id`. Audit `priority.remove`.
    pub async fn remove_priority(&self, id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let row: Option<(Option<i64>, Option<i64>, String, i64)> = dispatch!(&mut tx, t => sqlx::query_as(
            "UPDATE priority SET removed_at = $2, removed_by = $3 WHERE id = $1 AND removed_at IS NULL \
             RETURNING unit_id, area_id, indicator_code, year")
            .bind(id).bind(&now).bind(actor_name(actor)).fetch_optional(&mut **t).await?);
        let Some((u, a, indicator_code, year)) = row else {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("priority {id} not found")));
        };
        let owner = Owner::from_columns(u, a)?;
        let unit_id = owner_unit_tx(&mut tx, owner).await?;
        let entry = AuditEntry {
            action: "priority.remove".into(),
            unit_id: Some(unit_id),
            variable_code: Some(indicator_code.clone()),
            year: Some(year),
            detail: Some(format!("{}: priority {id} {indicator_code}", owner.label())),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live priorities of `owner`, by id.
    pub async fn priorities(&self, owner: Owner) -> Result<Vec<PriorityRow>> {
        let sql = format!("SELECT {PRIORITY_COLUMNS} FROM priority WHERE {} AND removed_at IS NULL ORDER BY id", owner.condition(1));
        let rows: Vec<PriorityTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(owner.id()).fetch_all(p).await?);
        rows.into_iter().map(priority_from).collect()
    }

    /// A live priority.
    pub async fn priority(&self, id: i64) -> Result<Option<PriorityRow>> {
        let sql = format!("SELECT {PRIORITY_COLUMNS} FROM priority WHERE id = $1 AND removed_at IS NULL");
        let row: Option<PriorityTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        row.map(priority_from).transpose()
    }

    /// Creates the plan of `owner` or updates its settings; the plan's id. A conflict when the
    /// unit or area is not there. Audit `plan.save` (on an update, naming the fields changed;
    /// nothing is written when nothing changed).
    pub async fn save_plan(&self, owner: Owner, f: &PlanFields, actor: &Actor) -> Result<i64> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let unit_id = owner_unit_tx(&mut tx, owner).await?;
        let sql = format!("SELECT {PLAN_COLUMNS} FROM improvement_plan WHERE {}", owner.condition(1));
        let old: Option<PlanTuple> = dispatch!(&mut tx, t => sqlx::query_as(&sql).bind(owner.id()).fetch_optional(&mut **t).await?);
        let old = old.map(plan_from).transpose()?;
        let public = i64::from(f.public);
        let (id, detail) = match old {
            Some(old) => {
                let o = &old.fields;
                let changed: Vec<&str> = [
                    (o.title != f.title, "title"),
                    (o.summary != f.summary, "summary"),
                    (o.public != f.public, "public"),
                    (o.group_name != f.group_name, "group_name"),
                ]
                .into_iter()
                .filter_map(|(c, n)| c.then_some(n))
                .collect();
                if changed.is_empty() {
                    tx.rollback().await?;
                    return Ok(old.id);
                }
                dispatch!(&mut tx, t => sqlx::query(
                    "UPDATE improvement_plan SET title = $2, summary = $3, public = $4, group_name = $5, updated_at = $6, updated_by = $7 \
                     WHERE id = $1")
                    .bind(old.id).bind(&f.title).bind(&f.summary).bind(public).bind(&f.group_name).bind(&now).bind(actor_name(actor))
                    .execute(&mut **t).await.map(|_| ())?);
                (old.id, format!("{}: plan {} {}: changed {}", owner.label(), old.id, quoted(&f.title), changed.join(", ")))
            }
            None => {
                let (u, a) = owner.columns();
                let id: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
                    "INSERT INTO improvement_plan (unit_id, area_id, title, summary, public, group_name, created_at, created_by, updated_at, updated_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $8) RETURNING id")
                    .bind(u).bind(a).bind(&f.title).bind(&f.summary).bind(public).bind(&f.group_name).bind(&now).bind(actor_name(actor))
                    .fetch_one(&mut **t).await
                    .map_err(|e| unique_conflict(e, || format!("{} got a plan at the same moment; reload and try again", owner.label())))?);
                (id, format!("{}: plan {id} {} created", owner.label(), quoted(&f.title)))
            }
        };
        let entry = AuditEntry {
            action: "plan.save".into(),
            unit_id: Some(unit_id),
            detail: Some(format!("{detail} ({}, group {})", if f.public { "public" } else { "internal" }, f.group_name)),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The plan of `owner`, if it has one.
    pub async fn plan(&self, owner: Owner) -> Result<Option<PlanRow>> {
        let sql = format!("SELECT {PLAN_COLUMNS} FROM improvement_plan WHERE {}", owner.condition(1));
        let row: Option<PlanTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(owner.id()).fetch_optional(p).await?);
        row.map(plan_from).transpose()
    }

    pub async fn plan_by_id(&self, id: i64) -> Result<Option<PlanRow>> {
        let sql = format!("SELECT {PLAN_COLUMNS} FROM improvement_plan WHERE id = $1");
        let row: Option<PlanTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        row.map(plan_from).transpose()
    }

    /// Every plan, public or not, by id.
    pub async fn plans(&self) -> Result<Vec<PlanRow>> {
        let sql = format!("SELECT {PLAN_COLUMNS} FROM improvement_plan ORDER BY id");
        let rows: Vec<PlanTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).fetch_all(p).await?);
        rows.into_iter().map(plan_from).collect()
    }

    /// Adds an action to a plan; its id. A conflict when the plan is not there or the priority
    /// named is not a live priority of the plan's owner. Audit `action.add`.
    pub async fn add_action(&self, plan_id: i64, f: &ActionFields, actor: &Actor) -> Result<i64> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let (plan, unit_id) = plan_tx(&mut tx, plan_id).await?;
        check_priority_tx(&mut tx, f.priority_id, plan.owner).await?;
        let id: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
            "INSERT INTO plan_action (plan_id, priority_id, title, description, owner, budget, start_year, end_year, status, \
             created_at, created_by, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10, $11) RETURNING id")
            .bind(plan_id).bind(f.priority_id).bind(&f.title).bind(&f.description).bind(&f.owner).bind(f.budget)
            .bind(f.start_year).bind(f.end_year).bind(&f.status).bind(&now).bind(actor_name(actor))
            .fetch_one(&mut **t).await?);
        let entry = AuditEntry {
            action: "action.add".into(),
            unit_id: Some(unit_id),
            year: Some(f.start_year),
            detail: Some(format!("plan {plan_id}: action {id} {} ({}–{}, {})", quoted(&f.title), f.start_year, f.end_year, f.status)),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Updates a live action; a conflict when there is none, or the priority named is not a
    /// live priority of the plan's owner. Audit `action.update` naming the fields changed
    /// (nothing is written when nothing changed).
    pub async fn update_action(&self, id: i64, f: &ActionFields, actor: &Actor) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let (old, unit_id) = action_tx(&mut tx, id).await?;
        let changed = changed_action_fields(&old.fields, f);
        if changed.is_empty() {
            tx.rollback().await?;
            return Ok(());
        }
        if f.priority_id != old.fields.priority_id {
            let plan = plan_tx(&mut tx, old.plan_id).await?.0;
            check_priority_tx(&mut tx, f.priority_id, plan.owner).await?;
        }
        let updated = dispatch!(&mut tx, t => sqlx::query(
            "UPDATE plan_action SET priority_id = $2, title = $3, description = $4, owner = $5, budget = $6, start_year = $7, \
             end_year = $8, status = $9, updated_at = $10, updated_by = $11 WHERE id = $1 AND removed_at IS NULL")
            .bind(id).bind(f.priority_id).bind(&f.title).bind(&f.description).bind(&f.owner).bind(f.budget)
            .bind(f.start_year).bind(f.end_year).bind(&f.status).bind(&now).bind(actor_name(actor))
            .execute(&mut **t).await?.rows_affected());
        if updated == 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("action {id} not found")));
        }
        let status = if old.fields.status == f.status { String::new() } else { format!(" ({} -> {})", old.fields.status, f.status) };
        let entry = AuditEntry {
            action: "action.update".into(),
            unit_id: Some(unit_id),
            year: Some(f.start_year),
            detail: Some(format!("plan {}: action {id} {}: changed {}{status}", old.plan_id, quoted(&f.title), changed.join(", "))),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a live action (the row stays, with `removed_at`; its targets drop out of the
    /// plan with it); a conflict when there is no live action `id`. Audit `action.remove`.
    pub async fn remove_action(&self, id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let (old, unit_id) = action_tx(&mut tx, id).await?;
        let updated = dispatch!(&mut tx, t => sqlx::query(
            "UPDATE plan_action SET removed_at = $2, removed_by = $3 WHERE id = $1 AND removed_at IS NULL")
            .bind(id).bind(&now).bind(actor_name(actor)).execute(&mut **t).await?.rows_affected());
        if updated == 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("action {id} not found")));
        }
        let entry = AuditEntry {
            action: "action.remove".into(),
            unit_id: Some(unit_id),
            detail: Some(format!("plan {}: action {id} {}", old.plan_id, quoted(&old.fields.title))),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live actions of a plan, by start year and id.
    pub async fn actions(&self, plan_id: i64) -> Result<Vec<ActionRow>> {
        let sql = format!("SELECT {ACTION_COLUMNS} FROM plan_action WHERE plan_id = $1 AND removed_at IS NULL ORDER BY start_year, id");
        let rows: Vec<ActionTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(plan_id).fetch_all(p).await?);
        Ok(rows.into_iter().map(action_from).collect())
    }

    /// A live action.
    pub async fn action(&self, id: i64) -> Result<Option<ActionRow>> {
        let sql = format!("SELECT {ACTION_COLUMNS} FROM plan_action WHERE id = $1 AND removed_at IS NULL");
        let row: Option<ActionTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        Ok(row.map(action_from))
    }

    /// Sets the target of a live action for one indicator; the new target's id. A live target
    /// of the same indicator on the action is replaced (its row gets `removed_at`). A conflict
    /// when the action is not there. Audit `target.set` with the indicator as variable, the
    /// target year, and the old and new target values.
    pub async fn set_target(&self, action_id: i64, f: &TargetFields, actor: &Actor) -> Result<i64> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let (action, unit_id) = action_tx(&mut tx, action_id).await?;
        let old: Option<(i64, f64)> = dispatch!(&mut tx, t => sqlx::query_as(
            "UPDATE action_target SET removed_at = $3, removed_by = $4 \
             WHERE action_id = $1 AND indicator_code = $2 AND removed_at IS NULL RETURNING id, target_value")
            .bind(action_id).bind(&f.indicator_code).bind(&now).bind(actor_name(actor)).fetch_optional(&mut **t).await?);
        let id: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
            "INSERT INTO action_target (action_id, indicator_code, baseline_year, baseline_value, target_year, target_value, method, \
             group_name, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
            .bind(action_id).bind(&f.indicator_code).bind(f.baseline_year).bind(f.baseline_value).bind(f.target_year)
            .bind(f.target_value).bind(&f.method).bind(&f.group_name).bind(&now).bind(actor_name(actor))
            .fetch_one(&mut **t).await
            .map_err(|e| unique_conflict(e, || format!("action {action_id} got a target for {} at the same moment; reload", f.indicator_code)))?);
        let replaces = old.map(|(o, _)| format!(", replaces target {o}")).unwrap_or_default();
        let entry = AuditEntry {
            action: "target.set".into(),
            unit_id: Some(unit_id),
            variable_code: Some(f.indicator_code.clone()),
            year: Some(f.target_year),
            old_value: old.map(|(_, v)| v),
            new_value: Some(f.target_value),
            detail: Some(format!(
                "plan {}: action {action_id} {}: target {id} ({}, baseline {} in {}, group {}{replaces})",
                action.plan_id,
                quoted(&action.fields.title),
                f.method,
                f.baseline_value,
                f.baseline_year,
                f.group_name
            )),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Removes a live target (the row stays, with `removed_at`); a conflict when there is no
    /// live target `id`. Audit `target.remove` with the removed value as the old one.
    pub async fn remove_target(&self, id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let row: Option<(i64, String, i64, f64)> = dispatch!(&mut tx, t => sqlx::query_as(
            "UPDATE action_target SET removed_at = $2, removed_by = $3 WHERE id = $1 AND removed_at IS NULL \
             RETURNING action_id, indicator_code, target_year, target_value")
            .bind(id).bind(&now).bind(actor_name(actor)).fetch_optional(&mut **t).await?);
        let Some((action_id, indicator_code, target_year, target_value)) = row else {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("target {id} not found")));
        };
        // The action may have been removed since: its plan still names the unit concerned.
        let plan_id: i64 =
            dispatch!(&mut tx, t => sqlx::query_scalar("SELECT plan_id FROM plan_action WHERE id = $1").bind(action_id).fetch_one(&mut **t).await?);
        let (_, unit_id) = plan_tx(&mut tx, plan_id).await?;
        let entry = AuditEntry {
            action: "target.remove".into(),
            unit_id: Some(unit_id),
            variable_code: Some(indicator_code),
            year: Some(target_year),
            old_value: Some(target_value),
            detail: Some(format!("plan {plan_id}: action {action_id}: target {id}")),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live targets of the live actions of a plan, by action (start year, id), then
    /// indicator.
    pub async fn targets_of_plan(&self, plan_id: i64) -> Result<Vec<TargetRow>> {
        let sql = format!(
            "SELECT {TARGET_COLUMNS} FROM action_target t JOIN plan_action a ON a.id = t.action_id \
             WHERE a.plan_id = $1 AND a.removed_at IS NULL AND t.removed_at IS NULL ORDER BY a.start_year, a.id, t.indicator_code, t.id"
        );
        let rows: Vec<TargetTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(plan_id).fetch_all(p).await?);
        Ok(rows.into_iter().map(target_from).collect())
    }

    /// A live target.
    pub async fn target(&self, id: i64) -> Result<Option<TargetRow>> {
        let sql = format!("SELECT {TARGET_COLUMNS} FROM action_target t WHERE t.id = $1 AND t.removed_at IS NULL");
        let row: Option<TargetTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        Ok(row.map(target_from))
    }
}
