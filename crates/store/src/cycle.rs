//! The rest of the closed cycle: functional areas (saved groups declared as such), the
//! institutions of a JST, reorganisations with their milestones and institutions, and good
//! practices. Every write appends its audit rows in the same transaction, about the unit
//! concerned (for an area: its lead unit).

use crate::audit::{Actor, AuditEntry, actor_name, append_tx};
use crate::plans::{quoted, unique_conflict};
use crate::{Result, Store, StoreError, Tx, dispatch, now_text};

/// A saved group declared a functional area.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionalAreaRow {
    pub id: i64,
    pub group_id: i64,
    pub group_code: String,
    pub name_pl: String,
    pub name_en: Option<String>,
    /// Whose planners may write its plan.
    pub lead_unit_id: i64,
    pub description: Option<String>,
    /// The group's members now, by id.
    pub member_ids: Vec<i64>,
    pub declared_at: String,
    pub declared_by: String,
}

/// An institution of a JST (school, OPS, DPS, nursery, CUW).
#[derive(Debug, Clone, PartialEq)]
pub struct InstitutionRow {
    pub id: i64,
    pub unit_id: i64,
    /// szkola | przedszkole | zlobek | ops | dps | cuw | inna
    pub kind: String,
    pub name: String,
}

/// What a reorganisation says.
#[derive(Debug, Clone, PartialEq)]
pub struct ReorganisationFields {
    pub unit_id: i64,
    /// cuw | pomoc_spoleczna | siec_szkol | inna
    pub kind: String,
    pub title: String,
    pub description: Option<String>,
    /// `YYYY-MM-DD`.
    pub start_date: String,
    pub end_date: Option<String>,
    /// zł.
    pub project_value: Option<f64>,
    /// 0..1 of the project value from outside funds.
    pub funding_share: Option<f64>,
    pub funding_source: Option<String>,
    /// Indicator codes to re-evaluate, in the order given.
    pub indicators: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReorganisationRow {
    pub id: i64,
    pub fields: ReorganisationFields,
    pub updated_at: String,
    pub updated_by: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MilestoneRow {
    pub id: i64,
    pub reorganisation_id: i64,
    /// `YYYY-MM-DD`.
    pub on_date: String,
    pub title: String,
    pub done: bool,
}

/// What a good practice says.
#[derive(Debug, Clone, PartialEq)]
pub struct PracticeFields {
    pub unit_id: i64,
    pub title: String,
    pub description: String,
    pub contact: Option<String>,
    /// Addresses; stored one a line (empty ones are dropped).
    pub links: Vec<String>,
    /// When it began.
    pub start_year: Option<i64>,
    /// Indicator codes it affects; read back sorted, without repeats.
    pub indicators: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PracticeRow {
    pub id: i64,
    pub fields: PracticeFields,
    /// proposed | verified | rejected
    pub status: String,
    pub status_note: Option<String>,
    pub verified_at: Option<String>,
    pub verified_by: Option<String>,
    pub updated_at: String,
}

/// What [`Store::practices`] lists; every field narrows the list, `None` leaves it open.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PracticeFilter {
    /// Practices that name this indicator.
    pub indicator: Option<String>,
    pub unit_id: Option<i64>,
    /// proposed | verified | rejected
    pub status: Option<String>,
    /// Words found in the title or description, ignoring case and Polish diacritics.
    pub text: Option<String>,
}

/// The statuses of a good practice.
pub const PRACTICE_STATUSES: [&str; 3] = ["proposed", "verified", "rejected"];

fn not_found(what: String) -> StoreError {
    StoreError::Conflict(format!("{what} not found"))
}

/// Checks inside `tx` that a unit is there.
async fn unit_exists_tx(tx: &mut Tx, unit_id: i64) -> Result<()> {
    let found: Option<i64> =
        dispatch!(tx, t => sqlx::query_scalar("SELECT id FROM unit WHERE id = $1").bind(unit_id).fetch_optional(&mut **t).await?);
    found.map(|_| ()).ok_or_else(|| not_found(format!("unit {unit_id}")))
}

type AreaTuple = (i64, i64, String, String, Option<String>, i64, Option<String>, String, String);
const AREA_SQL: &str = "SELECT f.id, f.group_id, g.code, g.name_pl, g.name_en, f.lead_unit_id, f.description, f.declared_at, f.declared_by \
                        FROM functional_area f JOIN unit_group g ON g.id = f.group_id";

type ReorgTuple =
    (i64, i64, String, String, Option<String>, String, Option<String>, Option<f64>, Option<f64>, Option<String>, String, String, String);
const REORG_COLUMNS: &str = "id, unit_id, kind, title, description, start_date, end_date, project_value, funding_share, funding_source, \
                             indicators, updated_at, updated_by";

fn reorganisation_from(t: ReorgTuple) -> ReorganisationRow {
    let (
        id,
        unit_id,
        kind,
        title,
        description,
        start_date,
        end_date,
        project_value,
        funding_share,
        funding_source,
        indicators,
        updated_at,
        updated_by,
    ) = t;
    ReorganisationRow {
        id,
        fields: ReorganisationFields {
            unit_id,
            kind,
            title,
            description,
            start_date,
            end_date,
            project_value,
            funding_share,
            funding_source,
            indicators: split_indicators(&indicators),
        },
        updated_at,
        updated_by,
    }
}

/// The indicator codes of a reorganisation from their stored text.
fn split_indicators(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Indicator codes as stored for a reorganisation (comma-separated); a code holding a comma
/// is refused.
fn indicator_list(codes: &[String]) -> Result<String> {
    let mut out: Vec<&str> = Vec::new();
    for c in codes.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        if c.contains(',') {
            return Err(StoreError::Invalid(format!("indicators: `{}` is not an indicator code (it holds a comma)", model::excerpt(c, 60))));
        }
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out.join(","))
}

/// Links as stored (one a line).
fn link_text(links: &[String]) -> Option<String> {
    let lines: Vec<&str> = links.iter().flat_map(|l| l.lines()).map(str::trim).filter(|l| !l.is_empty()).collect();
    if lines.is_empty() { None } else { Some(lines.join("\n")) }
}

/// Indicator codes of a practice: trimmed, without empties and repeats, sorted.
fn practice_indicators(codes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = codes.iter().map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect();
    out.sort();
    out.dedup();
    out
}

type PracticeTuple =
    (i64, i64, String, String, Option<String>, Option<String>, Option<i64>, String, Option<String>, Option<String>, Option<String>, String);
const PRACTICE_COLUMNS: &str = "p.id, p.unit_id, p.title, p.description, p.contact, p.links, p.start_year, p.status, p.status_note, \
                                p.verified_at, p.verified_by, p.updated_at";

fn practice_from(t: PracticeTuple, indicators: Vec<String>) -> PracticeRow {
    let (id, unit_id, title, description, contact, links, start_year, status, status_note, verified_at, verified_by, updated_at) = t;
    PracticeRow {
        id,
        fields: PracticeFields {
            unit_id,
            title,
            description,
            contact,
            links: links.map(|l| l.lines().map(str::to_owned).collect()).unwrap_or_default(),
            start_year,
            indicators,
        },
        status,
        status_note,
        verified_at,
        verified_by,
        updated_at,
    }
}

/// A practice inside a transaction; a conflict when there is none.
async fn practice_tx(tx: &mut Tx, id: i64) -> Result<PracticeRow> {
    let sql = format!("SELECT {PRACTICE_COLUMNS} FROM good_practice p WHERE p.id = $1");
    let row: Option<PracticeTuple> = dispatch!(tx, t => sqlx::query_as(&sql).bind(id).fetch_optional(&mut **t).await?);
    let row = row.ok_or_else(|| not_found(format!("practice {id}")))?;
    let codes: Vec<String> = dispatch!(tx, t => sqlx::query_scalar(
        "SELECT indicator_code FROM good_practice_indicator WHERE practice_id = $1 ORDER BY indicator_code")
        .bind(id).fetch_all(&mut **t).await?);
    Ok(practice_from(row, codes))
}

/// Replaces the indicators of a practice inside `tx`.
async fn write_practice_indicators(tx: &mut Tx, id: i64, codes: &[String]) -> Result<()> {
    dispatch!(tx, t => {
        sqlx::query("DELETE FROM good_practice_indicator WHERE practice_id = $1").bind(id).execute(&mut **t).await?;
        for c in codes {
            sqlx::query("INSERT INTO good_practice_indicator (practice_id, indicator_code) VALUES ($1, $2)")
                .bind(id).bind(c).execute(&mut **t).await?;
        }
    });
    Ok(())
}

impl Store {
    /// Declares the saved group `group_code` a functional area led by `lead_unit_id`; its id.
    /// A conflict when the group is not there, is already an area, or the lead unit is not
    /// one of its members. Audit `area.declare` (about the lead unit).
    pub async fn declare_functional_area(&self, group_code: &str, lead_unit_id: i64, description: Option<&str>, actor: &Actor) -> Result<i64> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let group: Option<(i64, String)> = dispatch!(&mut tx, t => sqlx::query_as("SELECT id, name_pl FROM unit_group WHERE code = $1")
            .bind(group_code).fetch_optional(&mut **t).await?);
        let Some((group_id, name_pl)) = group else {
            tx.rollback().await?;
            return Err(not_found(format!("group {group_code}")));
        };
        let already: Option<i64> = dispatch!(&mut tx, t => sqlx::query_scalar("SELECT id FROM functional_area WHERE group_id = $1")
            .bind(group_id).fetch_optional(&mut **t).await?);
        let declared = || format!("group {group_code} is already a functional area");
        if already.is_some() {
            tx.rollback().await?;
            return Err(StoreError::Conflict(declared()));
        }
        let members: i64 = dispatch!(&mut tx, t => sqlx::query_scalar("SELECT COUNT(*) FROM unit_group_member WHERE group_id = $1")
            .bind(group_id).fetch_one(&mut **t).await?);
        let member: Option<i64> = dispatch!(&mut tx, t => sqlx::query_scalar(
            "SELECT unit_id FROM unit_group_member WHERE group_id = $1 AND unit_id = $2")
            .bind(group_id).bind(lead_unit_id).fetch_optional(&mut **t).await?);
        if member.is_none() {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("lead unit {lead_unit_id} is not a member of group {group_code}")));
        }
        let id: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
            "INSERT INTO functional_area (group_id, lead_unit_id, description, declared_at, declared_by) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(group_id).bind(lead_unit_id).bind(description).bind(&now).bind(actor_name(actor))
            .fetch_one(&mut **t).await.map_err(|e| unique_conflict(e, declared))?);
        let entry = AuditEntry {
            action: "area.declare".into(),
            unit_id: Some(lead_unit_id),
            detail: Some(format!("area {id}: group {group_code} {} ({members} members), lead unit {lead_unit_id}", quoted(&name_pl))),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every functional area, by id, with its group's members now.
    pub async fn functional_areas(&self) -> Result<Vec<FunctionalAreaRow>> {
        self.areas_where("", None).await
    }

    pub async fn functional_area(&self, id: i64) -> Result<Option<FunctionalAreaRow>> {
        Ok(self.areas_where("WHERE f.id = $1", Some(&AreaKey::Id(id))).await?.pop())
    }

    pub async fn functional_area_by_code(&self, group_code: &str) -> Result<Option<FunctionalAreaRow>> {
        Ok(self.areas_where("WHERE g.code = $1", Some(&AreaKey::Code(group_code))).await?.pop())
    }

    async fn areas_where(&self, filter: &str, key: Option<&AreaKey<'_>>) -> Result<Vec<FunctionalAreaRow>> {
        let sql = format!("{AREA_SQL} {filter} ORDER BY f.id");
        let member_sql = format!(
            "SELECT m.group_id, m.unit_id FROM unit_group_member m JOIN functional_area f ON f.group_id = m.group_id \
             JOIN unit_group g ON g.id = f.group_id {filter} ORDER BY m.group_id, m.unit_id"
        );
        let (rows, members): (Vec<AreaTuple>, Vec<(i64, i64)>) = dispatch!(&self.backend, p => {
            let (q, m) = (sqlx::query_as(&sql), sqlx::query_as(&member_sql));
            let (q, m) = match key {
                None => (q, m),
                Some(AreaKey::Id(i)) => (q.bind(*i), m.bind(*i)),
                Some(AreaKey::Code(c)) => (q.bind(*c), m.bind(*c)),
            };
            (q.fetch_all(p).await?, m.fetch_all(p).await?)
        });
        Ok(rows
            .into_iter()
            .map(|(id, group_id, group_code, name_pl, name_en, lead_unit_id, description, declared_at, declared_by)| FunctionalAreaRow {
                id,
                group_id,
                group_code,
                name_pl,
                name_en,
                lead_unit_id,
                description,
                member_ids: members.iter().filter(|(g, _)| *g == group_id).map(|(_, u)| *u).collect(),
                declared_at,
                declared_by,
            })
            .collect())
    }

    /// Records an institution of a unit; its id. A conflict when the unit is not there. Audit
    /// `institution.add`.
    pub async fn add_institution(&self, unit_id: i64, kind: &str, name: &str, actor: &Actor) -> Result<i64> {
        let mut tx = self.begin().await?;
        let now = now_text();
        unit_exists_tx(&mut tx, unit_id).await?;
        let id: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
            "INSERT INTO institution (unit_id, kind, name, created_at, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(unit_id).bind(kind).bind(name).bind(&now).bind(actor_name(actor)).fetch_one(&mut **t).await?);
        let entry = AuditEntry {
            action: "institution.add".into(),
            unit_id: Some(unit_id),
            detail: Some(format!("institution {id}: {kind} {}", quoted(name))),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The institutions of one unit (or of all), by unit, kind, name.
    pub async fn institutions(&self, unit_id: Option<i64>) -> Result<Vec<InstitutionRow>> {
        let sql = format!(
            "SELECT id, unit_id, kind, name FROM institution {} ORDER BY unit_id, kind, name, id",
            if unit_id.is_some() { "WHERE unit_id = $1" } else { "" }
        );
        let rows: Vec<(i64, i64, String, String)> = dispatch!(&self.backend, p => {
            let q = sqlx::query_as(&sql);
            let q = match unit_id { Some(u) => q.bind(u), None => q };
            q.fetch_all(p).await?
        });
        Ok(rows.into_iter().map(|(id, unit_id, kind, name)| InstitutionRow { id, unit_id, kind, name }).collect())
    }

    /// Adds a reorganisation (`id` None) or updates one; its id. A conflict when the unit or
    /// the reorganisation is not there; a reorganisation does not move to another unit
    /// ([`StoreError::Invalid`]). Audit `reorganisation.add` / `reorganisation.update` (naming
    /// the fields changed; nothing is written when nothing changed).
    pub async fn save_reorganisation(&self, id: Option<i64>, f: &ReorganisationFields, actor: &Actor) -> Result<i64> {
        let indicators = indicator_list(&f.indicators)?;
        let mut tx = self.begin().await?;
        let now = now_text();
        unit_exists_tx(&mut tx, f.unit_id).await?;
        let (id, action, detail) = match id {
            None => {
                let id: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
                    "INSERT INTO reorganisation (unit_id, kind, title, description, start_date, end_date, project_value, funding_share, \
                     funding_source, indicators, created_at, created_by, updated_at, updated_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $11, $12) RETURNING id")
                    .bind(f.unit_id).bind(&f.kind).bind(&f.title).bind(&f.description).bind(&f.start_date).bind(&f.end_date)
                    .bind(f.project_value).bind(f.funding_share).bind(&f.funding_source).bind(&indicators).bind(&now).bind(actor_name(actor))
                    .fetch_one(&mut **t).await?);
                (id, "reorganisation.add", format!("reorganisation {id}: {} {} from {}", f.kind, quoted(&f.title), f.start_date))
            }
            Some(id) => {
                let sql = format!("SELECT {REORG_COLUMNS} FROM reorganisation WHERE id = $1");
                let old: Option<ReorgTuple> = dispatch!(&mut tx, t => sqlx::query_as(&sql).bind(id).fetch_optional(&mut **t).await?);
                let Some(old) = old.map(reorganisation_from) else {
                    tx.rollback().await?;
                    return Err(not_found(format!("reorganisation {id}")));
                };
                let o = &old.fields;
                if o.unit_id != f.unit_id {
                    tx.rollback().await?;
                    return Err(StoreError::Invalid(format!(
                        "unit_id: reorganisation {id} belongs to unit {}; it cannot move to unit {} (add a new one)",
                        o.unit_id, f.unit_id
                    )));
                }
                let new_indicators = split_indicators(&indicators);
                let changed: Vec<&str> = [
                    (o.kind != f.kind, "kind"),
                    (o.title != f.title, "title"),
                    (o.description != f.description, "description"),
                    (o.start_date != f.start_date, "start_date"),
                    (o.end_date != f.end_date, "end_date"),
                    (o.project_value != f.project_value, "project_value"),
                    (o.funding_share != f.funding_share, "funding_share"),
                    (o.funding_source != f.funding_source, "funding_source"),
                    (o.indicators != new_indicators, "indicators"),
                ]
                .into_iter()
                .filter_map(|(c, n)| c.then_some(n))
                .collect();
                if changed.is_empty() {
                    tx.rollback().await?;
                    return Ok(id);
                }
                dispatch!(&mut tx, t => sqlx::query(
                    "UPDATE reorganisation SET kind = $2, title = $3, description = $4, start_date = $5, end_date = $6, project_value = $7, \
                     funding_share = $8, funding_source = $9, indicators = $10, updated_at = $11, updated_by = $12 WHERE id = $1")
                    .bind(id).bind(&f.kind).bind(&f.title).bind(&f.description).bind(&f.start_date).bind(&f.end_date)
                    .bind(f.project_value).bind(f.funding_share).bind(&f.funding_source).bind(&indicators).bind(&now).bind(actor_name(actor))
                    .execute(&mut **t).await.map(|_| ())?);
                (id, "reorganisation.update", format!("reorganisation {id} {}: changed {}", quoted(&f.title), changed.join(", ")))
            }
        };
        let entry = AuditEntry { action: action.into(), unit_id: Some(f.unit_id), detail: Some(detail), ..Default::default() };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every reorganisation, by id.
    pub async fn reorganisations(&self) -> Result<Vec<ReorganisationRow>> {
        let sql = format!("SELECT {REORG_COLUMNS} FROM reorganisation ORDER BY id");
        let rows: Vec<ReorgTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).fetch_all(p).await?);
        Ok(rows.into_iter().map(reorganisation_from).collect())
    }

    /// A reorganisation with its milestones (by date) and its institutions (by kind, name).
    pub async fn reorganisation(&self, id: i64) -> Result<Option<(ReorganisationRow, Vec<MilestoneRow>, Vec<InstitutionRow>)>> {
        let sql = format!("SELECT {REORG_COLUMNS} FROM reorganisation WHERE id = $1");
        let found = dispatch!(&self.backend, p => {
            let row: Option<ReorgTuple> = sqlx::query_as(&sql).bind(id).fetch_optional(p).await?;
            match row {
                None => None,
                Some(row) => {
                    let milestones: Vec<(i64, i64, String, String, i64)> = sqlx::query_as(
                        "SELECT id, reorganisation_id, on_date, title, done FROM reorganisation_milestone \
                         WHERE reorganisation_id = $1 ORDER BY on_date, id")
                        .bind(id).fetch_all(p).await?;
                    let institutions: Vec<(i64, i64, String, String)> = sqlx::query_as(
                        "SELECT i.id, i.unit_id, i.kind, i.name FROM reorganisation_institution ri JOIN institution i ON i.id = ri.institution_id \
                         WHERE ri.reorganisation_id = $1 ORDER BY i.kind, i.name, i.id")
                        .bind(id).fetch_all(p).await?;
                    Some((row, milestones, institutions))
                }
            }
        });
        Ok(found.map(|(row, milestones, institutions)| {
            (
                reorganisation_from(row),
                milestones
                    .into_iter()
                    .map(|(id, reorganisation_id, on_date, title, done)| MilestoneRow { id, reorganisation_id, on_date, title, done: done != 0 })
                    .collect(),
                institutions.into_iter().map(|(id, unit_id, kind, name)| InstitutionRow { id, unit_id, kind, name }).collect(),
            )
        }))
    }

    /// The unit of a reorganisation inside `tx`; a conflict when there is none.
    async fn reorganisation_unit_tx(tx: &mut Tx, id: i64) -> Result<i64> {
        let unit: Option<i64> =
            dispatch!(tx, t => sqlx::query_scalar("SELECT unit_id FROM reorganisation WHERE id = $1").bind(id).fetch_optional(&mut **t).await?);
        unit.ok_or_else(|| not_found(format!("reorganisation {id}")))
    }

    /// Adds a milestone to a reorganisation; its id. A conflict when the reorganisation is not
    /// there. Audit `milestone.add`.
    pub async fn add_milestone(&self, reorganisation_id: i64, on_date: &str, title: &str, done: bool, actor: &Actor) -> Result<i64> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let unit_id = Self::reorganisation_unit_tx(&mut tx, reorganisation_id).await?;
        let id: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
            "INSERT INTO reorganisation_milestone (reorganisation_id, on_date, title, done) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(reorganisation_id).bind(on_date).bind(title).bind(i64::from(done)).fetch_one(&mut **t).await?);
        let entry = AuditEntry {
            action: "milestone.add".into(),
            unit_id: Some(unit_id),
            detail: Some(format!(
                "reorganisation {reorganisation_id}: milestone {id} {on_date} {}{}",
                quoted(title),
                if done { " (done)" } else { "" }
            )),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Marks a milestone done or not; a conflict when there is none. Audit `milestone.update`
    /// (nothing is written when it already was so).
    pub async fn set_milestone_done(&self, id: i64, done: bool, actor: &Actor) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let row: Option<(i64, String)> = dispatch!(&mut tx, t => sqlx::query_as(
            "UPDATE reorganisation_milestone SET done = $2 WHERE id = $1 AND done <> $2 RETURNING reorganisation_id, title")
            .bind(id).bind(i64::from(done)).fetch_optional(&mut **t).await?);
        let Some((reorganisation_id, title)) = row else {
            let exists: Option<i64> = dispatch!(&mut tx, t => sqlx::query_scalar("SELECT id FROM reorganisation_milestone WHERE id = $1")
                .bind(id).fetch_optional(&mut **t).await?);
            tx.rollback().await?;
            return match exists {
                Some(_) => Ok(()),
                None => Err(not_found(format!("milestone {id}"))),
            };
        };
        let unit_id = Self::reorganisation_unit_tx(&mut tx, reorganisation_id).await?;
        let entry = AuditEntry {
            action: "milestone.update".into(),
            unit_id: Some(unit_id),
            detail: Some(format!(
                "reorganisation {reorganisation_id}: milestone {id} {}: {}",
                quoted(&title),
                if done { "done" } else { "not done" }
            )),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Links an institution to a reorganisation of the same unit (linking it again changes
    /// nothing). A conflict when either is not there or the institution belongs to another
    /// unit. Audit `institution.link`.
    pub async fn link_institution(&self, reorganisation_id: i64, institution_id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let unit_id = Self::reorganisation_unit_tx(&mut tx, reorganisation_id).await?;
        let inst: Option<(i64, String, String)> = dispatch!(&mut tx, t => sqlx::query_as("SELECT unit_id, kind, name FROM institution WHERE id = $1")
            .bind(institution_id).fetch_optional(&mut **t).await?);
        let Some((inst_unit, kind, name)) = inst else {
            tx.rollback().await?;
            return Err(not_found(format!("institution {institution_id}")));
        };
        if inst_unit != unit_id {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!(
                "institution {institution_id} belongs to unit {inst_unit}, reorganisation {reorganisation_id} to unit {unit_id}"
            )));
        }
        let inserted = dispatch!(&mut tx, t => sqlx::query(
            "INSERT INTO reorganisation_institution (reorganisation_id, institution_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(reorganisation_id).bind(institution_id).execute(&mut **t).await?.rows_affected());
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(());
        }
        let entry = AuditEntry {
            action: "institution.link".into(),
            unit_id: Some(unit_id),
            detail: Some(format!("reorganisation {reorganisation_id}: institution {institution_id} {kind} {}", quoted(&name))),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a good practice, status `proposed`; its id. A conflict when the unit is not
    /// there. Audit `practice.add`.
    pub async fn add_practice(&self, f: &PracticeFields, actor: &Actor) -> Result<i64> {
        let mut tx = self.begin().await?;
        let now = now_text();
        unit_exists_tx(&mut tx, f.unit_id).await?;
        let id: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
            "INSERT INTO good_practice (unit_id, title, description, contact, links, start_year, status, created_at, created_by, \
             updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, 'proposed', $7, $8, $7, $8) RETURNING id")
            .bind(f.unit_id).bind(&f.title).bind(&f.description).bind(&f.contact).bind(link_text(&f.links)).bind(f.start_year)
            .bind(&now).bind(actor_name(actor)).fetch_one(&mut **t).await?);
        let indicators = practice_indicators(&f.indicators);
        write_practice_indicators(&mut tx, id, &indicators).await?;
        let entry = AuditEntry {
            action: "practice.add".into(),
            unit_id: Some(f.unit_id),
            detail: Some(format!("practice {id} {} ({})", quoted(&f.title), indicators.join(", "))),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Updates a good practice; changed, it is `proposed` again (its verification is cleared).
    /// A conflict when there is none; a practice does not move to another unit
    /// ([`StoreError::Invalid`]). Audit `practice.update` naming the fields changed (nothing is
    /// written when nothing changed).
    pub async fn update_practice(&self, id: i64, f: &PracticeFields, actor: &Actor) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let old = practice_tx(&mut tx, id).await?;
        let o = &old.fields;
        if o.unit_id != f.unit_id {
            tx.rollback().await?;
            return Err(StoreError::Invalid(format!(
                "unit_id: practice {id} belongs to unit {}; it cannot move to unit {} (add a new one)",
                o.unit_id, f.unit_id
            )));
        }
        let links = link_text(&f.links);
        let indicators = practice_indicators(&f.indicators);
        let changed: Vec<&str> = [
            (o.title != f.title, "title"),
            (o.description != f.description, "description"),
            (o.contact != f.contact, "contact"),
            (link_text(&o.links) != links, "links"),
            (o.start_year != f.start_year, "start_year"),
            (o.indicators != indicators, "indicators"),
        ]
        .into_iter()
        .filter_map(|(c, n)| c.then_some(n))
        .collect();
        if changed.is_empty() {
            tx.rollback().await?;
            return Ok(());
        }
        dispatch!(&mut tx, t => sqlx::query(
            "UPDATE good_practice SET title = $2, description = $3, contact = $4, links = $5, start_year = $6, status = 'proposed', \
             status_note = NULL, verified_at = NULL, verified_by = NULL, updated_at = $7, updated_by = $8 WHERE id = $1")
            .bind(id).bind(&f.title).bind(&f.description).bind(&f.contact).bind(&links).bind(f.start_year).bind(&now).bind(actor_name(actor))
            .execute(&mut **t).await.map(|_| ())?);
        if o.indicators != indicators {
            write_practice_indicators(&mut tx, id, &indicators).await?;
        }
        let was = if old.status == "proposed" { String::new() } else { format!(" ({} -> proposed)", old.status) };
        let entry = AuditEntry {
            action: "practice.update".into(),
            unit_id: Some(f.unit_id),
            detail: Some(format!("practice {id} {}: changed {}{was}", quoted(&f.title), changed.join(", "))),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets the verification status of a practice (`proposed`, `verified` or `rejected`,
    /// with a note); a verdict records who gave it and when, `proposed` clears that. A
    /// conflict when there is none; another status is [`StoreError::Invalid`]. Audit
    /// `practice.verify` (old -> new, the note as its comment).
    pub async fn set_practice_status(&self, id: i64, status: &str, note: Option<&str>, actor: &Actor) -> Result<()> {
        if !PRACTICE_STATUSES.contains(&status) {
            return Err(StoreError::Invalid(format!("status: `{}` is not one of {}", model::excerpt(status, 40), PRACTICE_STATUSES.join(", "))));
        }
        let mut tx = self.begin().await?;
        let now = now_text();
        let old = practice_tx(&mut tx, id).await?;
        let (at, by) = if status == "proposed" { (None, None) } else { (Some(now.as_str()), Some(actor_name(actor))) };
        dispatch!(&mut tx, t => sqlx::query(
            "UPDATE good_practice SET status = $2, status_note = $3, verified_at = $4, verified_by = $5, updated_at = $6, updated_by = $7 \
             WHERE id = $1")
            .bind(id).bind(status).bind(note).bind(at).bind(by).bind(&now).bind(actor_name(actor))
            .execute(&mut **t).await.map(|_| ())?);
        let entry = AuditEntry {
            action: "practice.verify".into(),
            unit_id: Some(old.fields.unit_id),
            comment: note.map(str::to_owned),
            detail: Some(format!("practice {id} {}: {} -> {status}", quoted(&old.fields.title), old.status)),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Good practices matching `f`, newest first.
    pub async fn practices(&self, f: &PracticeFilter) -> Result<Vec<PracticeRow>> {
        enum Arg<'a> {
            I(i64),
            S(&'a str),
        }
        let mut conds: Vec<String> = Vec::new();
        let mut args: Vec<Arg> = Vec::new();
        if let Some(code) = f.indicator.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            args.push(Arg::S(code));
            conds.push(format!(
                "EXISTS (SELECT 1 FROM good_practice_indicator gi WHERE gi.practice_id = p.id AND gi.indicator_code = ${})",
                args.len()
            ));
        }
        if let Some(u) = f.unit_id {
            args.push(Arg::I(u));
            conds.push(format!("p.unit_id = ${}", args.len()));
        }
        if let Some(s) = f.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            args.push(Arg::S(s));
            conds.push(format!("p.status = ${}", args.len()));
        }
        let where_ = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
        let sql = format!("SELECT {PRACTICE_COLUMNS} FROM good_practice p {where_} ORDER BY p.id DESC");
        let code_sql = format!(
            "SELECT gi.practice_id, gi.indicator_code FROM good_practice_indicator gi JOIN good_practice p ON p.id = gi.practice_id \
             {where_} ORDER BY gi.practice_id, gi.indicator_code"
        );
        let (rows, codes): (Vec<PracticeTuple>, Vec<(i64, String)>) = dispatch!(&self.backend, p => {
            let (mut q, mut c) = (sqlx::query_as(&sql), sqlx::query_as(&code_sql));
            for a in &args {
                (q, c) = match a { Arg::I(i) => (q.bind(*i), c.bind(*i)), Arg::S(s) => (q.bind(*s), c.bind(*s)) };
            }
            (q.fetch_all(p).await?, c.fetch_all(p).await?)
        });
        // Words are matched here, not in SQL: SQLite lowers only ASCII, and "zlobek" should find
        // "Żłobek" on both backends.
        let words: Vec<String> = f.text.as_deref().map(|t| model::fold(t).split_whitespace().map(str::to_owned).collect()).unwrap_or_default();
        let mut by_practice: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
        for (p, c) in codes {
            by_practice.entry(p).or_default().push(c);
        }
        Ok(rows
            .into_iter()
            .filter(|r| {
                words.is_empty() || {
                    let hay = model::fold(&format!("{} {}", r.2, r.3));
                    words.iter().all(|w| hay.contains(w.as_str()))
                }
            })
            .map(|r| {
                let mine = by_practice.remove(&r.0).unwrap_or_default();
                practice_from(r, mine)
            })
            .collect())
    }

    pub async fn practice(&self, id: i64) -> Result<Option<PracticeRow>> {
        let sql = format!("SELECT {PRACTICE_COLUMNS} FROM good_practice p WHERE p.id = $1");
        let found = dispatch!(&self.backend, p => {
            let row: Option<PracticeTuple> = sqlx::query_as(&sql).bind(id).fetch_optional(p).await?;
            match row {
                None => None,
                Some(row) => {
                    let codes: Vec<String> = sqlx::query_scalar(
                        "SELECT indicator_code FROM good_practice_indicator WHERE practice_id = $1 ORDER BY indicator_code")
                        .bind(id).fetch_all(p).await?;
                    Some(practice_from(row, codes))
                }
            }
        });
        Ok(found)
    }
}

/// How [`Store::functional_area`] and [`Store::functional_area_by_code`] find one.
enum AreaKey<'a> {
    Id(i64),
    Code(&'a str),
}
