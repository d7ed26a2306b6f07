//! Data collection: form definitions, campaigns, the units' submissions and their values,
//! the workflow's state changes (checked in SQL, so that two people cannot both act on one
//! submission) and publication of approved values as observations — each change with its
//! audit rows in the same transaction.

use sqlx::Row;

use crate::audit::{Actor, AuditEntry, append_tx};
use crate::{ObsRow, Result, Store, StoreError, Tx, dispatch, now_text};

/// The import source of published questionnaire values.
pub const CAMPAIGN_SOURCE: &str = "ankieta";

/// Where a unit's answer to a campaign stands. A published submission is an approved one
/// with an `import_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubmissionState {
    Draft,
    Submitted,
    Returned,
    Approved,
}

impl SubmissionState {
    pub const ALL: [SubmissionState; 4] = [SubmissionState::Draft, SubmissionState::Submitted, SubmissionState::Returned, SubmissionState::Approved];

    /// The stored name: `draft`, `submitted`, `returned`, `approved`.
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionState::Draft => "draft",
            SubmissionState::Submitted => "submitted",
            SubmissionState::Returned => "returned",
            SubmissionState::Approved => "approved",
        }
    }

    pub fn parse(s: &str) -> Option<SubmissionState> {
        SubmissionState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether the unit may still edit it (draft or returned).
    pub fn editable(self) -> bool {
        matches!(self, SubmissionState::Draft | SubmissionState::Returned)
    }
}

impl std::fmt::Display for SubmissionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A form definition as stored (one version of a code).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredForm {
    pub id: i64,
    pub code: String,
    pub version: i64,
    pub title: String,
    /// The TOML text as uploaded.
    pub definition: String,
    pub created_at: String,
    pub created_by: String,
}

/// A campaign to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCampaignRow {
    pub form_id: i64,
    pub name: String,
    pub year: i64,
    /// `YYYY-MM-DD`, the last day to submit.
    pub deadline: String,
    /// `YYYY-MM-DD`, the day approved values become public.
    pub publish_on: String,
    pub unit_ids: Vec<i64>,
}

/// A campaign as stored, with its form's code and version and how many units it is for.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCampaign {
    pub id: i64,
    pub form_id: i64,
    pub form_code: String,
    pub form_version: i64,
    pub form_title: String,
    pub name: String,
    pub year: i64,
    pub deadline: String,
    pub publish_on: String,
    pub created_at: String,
    pub created_by: String,
    pub units: i64,
}

/// A unit's answer to a campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSubmission {
    pub id: i64,
    pub campaign_id: i64,
    pub unit_id: i64,
    pub state: SubmissionState,
    pub updated_at: String,
    pub updated_by: String,
    pub submitted_at: Option<String>,
    pub return_comment: Option<String>,
    pub approved_at: Option<String>,
    pub approved_by: Option<String>,
    /// The publication (an import) that made its values observations.
    pub import_id: Option<i64>,
}

/// One field's saved answer: the number, or the text typed when it is not one, and the
/// explanation a warning asked for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldValue {
    /// The field's variable code.
    pub field: String,
    pub value: Option<f64>,
    pub raw: Option<String>,
    pub comment: Option<String>,
}

/// A row of a campaign's dashboard: each unit of the campaign, with its submission if any.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignUnitStatus {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub submission_id: Option<i64>,
    pub state: Option<SubmissionState>,
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
    pub submitted_at: Option<String>,
    pub import_id: Option<i64>,
}

/// An approved value not yet published.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingRow {
    pub unit_id: i64,
    pub variable_code: String,
    pub year: i64,
    pub value: f64,
    pub campaign_id: i64,
    pub submission_id: i64,
}

/// What [`Store::save_submission`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedSubmission {
    pub submission: StoredSubmission,
    /// Fields whose value, text or comment changed (each has its `value` audit row).
    pub changed: Vec<String>,
}

/// What [`Store::publish_submissions`] did: the import, and the submissions it took
/// (those another publication had already taken, or that were no longer approved, are left
/// out).
#[derive(Debug, Clone, PartialEq)]
pub struct Publication {
    pub import_id: i64,
    pub submissions: Vec<i64>,
    pub values: u64,
}

/// A saved answer joined with its variable: (field, value, variable id, comment).
type ValueRow = (String, Option<f64>, Option<i64>, Option<String>);

const SUBMISSION_COLUMNS: &str =
    "id, campaign_id, unit_id, state, updated_at, updated_by, submitted_at, return_comment, approved_at, approved_by, import_id";

fn submission_from(r: &impl SubmissionRow) -> Result<StoredSubmission> {
    r.submission()
}

/// Reads a submission from a row of either backend.
trait SubmissionRow {
    fn submission(&self) -> Result<StoredSubmission>;
}

macro_rules! impl_submission_row {
    ($row:ty) => {
        impl SubmissionRow for $row {
            fn submission(&self) -> Result<StoredSubmission> {
                let state: String = self.try_get("state")?;
                Ok(StoredSubmission {
                    id: self.try_get("id")?,
                    campaign_id: self.try_get("campaign_id")?,
                    unit_id: self.try_get("unit_id")?,
                    state: SubmissionState::parse(&state).ok_or(StoreError::Corrupt { what: "submission state", value: state })?,
                    updated_at: self.try_get("updated_at")?,
                    updated_by: self.try_get("updated_by")?,
                    submitted_at: self.try_get("submitted_at")?,
                    return_comment: self.try_get("return_comment")?,
                    approved_at: self.try_get("approved_at")?,
                    approved_by: self.try_get("approved_by")?,
                    import_id: self.try_get("import_id")?,
                })
            }
        }
    };
}
impl_submission_row!(sqlx::sqlite::SqliteRow);
impl_submission_row!(sqlx::postgres::PgRow);

fn campaign_sql(filter: &str) -> String {
    format!(
        "SELECT c.id, c.form_id, f.code AS form_code, f.version AS form_version, f.title AS form_title, c.name, c.year, \
                c.deadline, c.publish_on, c.created_at, c.created_by, \
                (SELECT COUNT(*) FROM campaign_unit cu WHERE cu.campaign_id = c.id) AS units \
         FROM campaign c JOIN form f ON f.id = c.form_id {filter} ORDER BY c.id"
    )
}

macro_rules! campaign_from {
    ($r:expr) => {
        StoredCampaign {
            id: $r.try_get("id")?,
            form_id: $r.try_get("form_id")?,
            form_code: $r.try_get("form_code")?,
            form_version: $r.try_get("form_version")?,
            form_title: $r.try_get("form_title")?,
            name: $r.try_get("name")?,
            year: $r.try_get("year")?,
            deadline: $r.try_get("deadline")?,
            publish_on: $r.try_get("publish_on")?,
            created_at: $r.try_get("created_at")?,
            created_by: $r.try_get("created_by")?,
            units: $r.try_get("units")?,
        }
    };
}

macro_rules! form_from {
    ($r:expr) => {
        StoredForm {
            id: $r.try_get("id")?,
            code: $r.try_get("code")?,
            version: $r.try_get("version")?,
            title: $r.try_get("title")?,
            definition: $r.try_get("definition")?,
            created_at: $r.try_get("created_at")?,
            created_by: $r.try_get("created_by")?,
        }
    };
}

fn conflict(what: String) -> StoreError {
    StoreError::Conflict(what)
}

/// The submission of a unit in a campaign, inside a transaction.
async fn submission_tx(tx: &mut Tx, campaign_id: i64, unit_id: i64) -> Result<Option<StoredSubmission>> {
    let sql = format!("SELECT {SUBMISSION_COLUMNS} FROM submission WHERE campaign_id = $1 AND unit_id = $2");
    let s = dispatch!(tx, t => match sqlx::query(&sql).bind(campaign_id).bind(unit_id).fetch_optional(&mut **t).await? {
        Some(r) => Some(submission_from(&r)?),
        None => None,
    });
    Ok(s)
}

async fn submission_by_id_tx(tx: &mut Tx, id: i64) -> Result<Option<StoredSubmission>> {
    let sql = format!("SELECT {SUBMISSION_COLUMNS} FROM submission WHERE id = $1");
    let s = dispatch!(tx, t => match sqlx::query(&sql).bind(id).fetch_optional(&mut **t).await? {
        Some(r) => Some(submission_from(&r)?),
        None => None,
    });
    Ok(s)
}

/// The current value of an observation (by variable code), inside a transaction.
async fn observation_value_tx(tx: &mut Tx, variable_id: i64, unit_id: i64, year: i64) -> Result<Option<f64>> {
    let v: Option<Option<f64>> = dispatch!(tx, t => sqlx::query_scalar(
        "SELECT value FROM observation WHERE variable_id = $1 AND unit_id = $2 AND year = $3")
        .bind(variable_id).bind(unit_id).bind(year).fetch_optional(&mut **t).await?);
    Ok(v.flatten())
}

fn states_list(states: &[SubmissionState]) -> String {
    states.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ")
}

impl Store {
    /// Stores a form definition: a new version of `code` (the previous highest + 1, or 1);
    /// returns (id, version). One `form.add` audit row.
    pub async fn add_form(&self, code: &str, title: &str, definition: &str, actor: &Actor) -> Result<(i64, i64)> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let (id, version): (i64, i64) = dispatch!(&mut tx, t => {
            let version: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM form WHERE code = $1")
                .bind(code).fetch_one(&mut **t).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO form (code, version, title, definition, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                .bind(code).bind(version).bind(title).bind(definition).bind(&now).bind(&actor.name)
                .fetch_one(&mut **t).await?;
            (id, version)
        });
        append_tx(
            &mut tx,
            actor,
            &now,
            &AuditEntry { action: "form.add".into(), detail: Some(format!("form {code} version {version} (id {id})")), ..Default::default() },
        )
        .await?;
        tx.commit().await?;
        Ok((id, version))
    }

    /// Every stored form version, by code and version.
    pub async fn forms(&self) -> Result<Vec<StoredForm>> {
        let sql = "SELECT id, code, version, title, definition, created_at, created_by FROM form ORDER BY code, version";
        let rows = dispatch!(&self.backend, p => sqlx::query(sql).fetch_all(p).await?.into_iter()
            .map(|r| Ok(form_from!(r))).collect::<Result<Vec<_>, sqlx::Error>>()?);
        Ok(rows)
    }

    pub async fn form(&self, id: i64) -> Result<Option<StoredForm>> {
        let sql = "SELECT id, code, version, title, definition, created_at, created_by FROM form WHERE id = $1";
        let row = dispatch!(&self.backend, p => match sqlx::query(sql).bind(id).fetch_optional(p).await? {
            Some(r) => Some(form_from!(r)),
            None => None,
        });
        Ok(row)
    }

    /// The newest version of a form code.
    pub async fn latest_form(&self, code: &str) -> Result<Option<StoredForm>> {
        let sql = "SELECT id, code, version, title, definition, created_at, created_by FROM form WHERE code = $1 ORDER BY version DESC LIMIT 1";
        let row = dispatch!(&self.backend, p => match sqlx::query(sql).bind(code).fetch_optional(p).await? {
            Some(r) => Some(form_from!(r)),
            None => None,
        });
        Ok(row)
    }

    /// Creates a campaign with its units; its id. One `campaign.add` audit row.
    pub async fn add_campaign(&self, c: &NewCampaignRow, actor: &Actor) -> Result<i64> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let id: i64 = dispatch!(&mut tx, t => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO campaign (form_id, name, year, deadline, publish_on, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                .bind(c.form_id).bind(&c.name).bind(c.year).bind(&c.deadline).bind(&c.publish_on).bind(&now).bind(&actor.name)
                .fetch_one(&mut **t).await?;
            for u in &c.unit_ids {
                sqlx::query("INSERT INTO campaign_unit (campaign_id, unit_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(id).bind(u).execute(&mut **t).await?;
            }
            id
        });
        append_tx(
            &mut tx,
            actor,
            &now,
            &AuditEntry {
                action: "campaign.add".into(),
                year: Some(c.year),
                detail: Some(format!(
                    "campaign {id} `{}`: form id {}, {} units, deadline {}, publication {}",
                    c.name,
                    c.form_id,
                    c.unit_ids.len(),
                    c.deadline,
                    c.publish_on
                )),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every campaign, oldest first.
    pub async fn campaigns(&self) -> Result<Vec<StoredCampaign>> {
        let sql = campaign_sql("");
        let rows = dispatch!(&self.backend, p => sqlx::query(&sql).fetch_all(p).await?.into_iter()
            .map(|r| Ok(campaign_from!(r))).collect::<Result<Vec<_>, sqlx::Error>>()?);
        Ok(rows)
    }

    pub async fn campaign(&self, id: i64) -> Result<Option<StoredCampaign>> {
        let sql = campaign_sql("WHERE c.id = $1");
        let row = dispatch!(&self.backend, p => match sqlx::query(&sql).bind(id).fetch_optional(p).await? {
            Some(r) => Some(campaign_from!(r)),
            None => None,
        });
        Ok(row)
    }

    /// The ids of a campaign's units.
    pub async fn campaign_units(&self, campaign_id: i64) -> Result<Vec<i64>> {
        let sql = "SELECT unit_id FROM campaign_unit WHERE campaign_id = $1 ORDER BY unit_id";
        let rows = dispatch!(&self.backend, p => sqlx::query_scalar(sql).bind(campaign_id).fetch_all(p).await?);
        Ok(rows)
    }

    /// The campaigns a unit is in (ids).
    pub async fn campaigns_of_unit(&self, unit_id: i64) -> Result<Vec<i64>> {
        let sql = "SELECT campaign_id FROM campaign_unit WHERE unit_id = $1 ORDER BY campaign_id";
        let rows = dispatch!(&self.backend, p => sqlx::query_scalar(sql).bind(unit_id).fetch_all(p).await?);
        Ok(rows)
    }

    /// A unit's submission to a campaign, if it has one.
    pub async fn submission(&self, campaign_id: i64, unit_id: i64) -> Result<Option<StoredSubmission>> {
        let sql = format!("SELECT {SUBMISSION_COLUMNS} FROM submission WHERE campaign_id = $1 AND unit_id = $2");
        let s = dispatch!(&self.backend, p => match sqlx::query(&sql).bind(campaign_id).bind(unit_id).fetch_optional(p).await? {
            Some(r) => Some(submission_from(&r)?),
            None => None,
        });
        Ok(s)
    }

    pub async fn submission_by_id(&self, id: i64) -> Result<Option<StoredSubmission>> {
        let sql = format!("SELECT {SUBMISSION_COLUMNS} FROM submission WHERE id = $1");
        let s = dispatch!(&self.backend, p => match sqlx::query(&sql).bind(id).fetch_optional(p).await? {
            Some(r) => Some(submission_from(&r)?),
            None => None,
        });
        Ok(s)
    }

    /// A campaign's submissions (every campaign's when `None`) in one of `states` (any state
    /// when empty), oldest change first.
    pub async fn submissions(&self, campaign_id: Option<i64>, states: &[SubmissionState]) -> Result<Vec<StoredSubmission>> {
        let mut filter = vec!["($1 IS NULL OR campaign_id = $1)".to_owned()];
        if !states.is_empty() {
            filter.push(format!("state IN ({})", states_list(states)));
        }
        let sql = format!("SELECT {SUBMISSION_COLUMNS} FROM submission WHERE {} ORDER BY updated_at, id", filter.join(" AND "));
        let rows = dispatch!(&self.backend, p => sqlx::query(&sql).bind(campaign_id).fetch_all(p).await?.iter()
            .map(submission_from).collect::<Result<Vec<_>>>()?);
        Ok(rows)
    }

    /// The saved values of a submission, by field.
    pub async fn submission_values(&self, submission_id: i64) -> Result<Vec<FieldValue>> {
        let sql = "SELECT field, value, raw, comment FROM submission_value WHERE submission_id = $1 ORDER BY field";
        let rows = dispatch!(&self.backend, p => sqlx::query(sql).bind(submission_id).fetch_all(p).await?.into_iter()
            .map(|r| Ok(FieldValue { field: r.try_get("field")?, value: r.try_get("value")?, raw: r.try_get("raw")?, comment: r.try_get("comment")? }))
            .collect::<Result<Vec<_>, sqlx::Error>>()?);
        Ok(rows)
    }

    /// Saves a unit's answers to a campaign (creating its submission as a draft if needed):
    /// every given field is written (upsert), and each one whose value, text or comment
    /// changed gets a `value` audit row (old → new, with the comment) in the same
    /// transaction. `submit` also moves the submission to `submitted` (one `submit` audit
    /// row). Refused with [`StoreError::Conflict`] unless the submission is a draft or
    /// returned — checked by the UPDATE itself, so a concurrent approval cannot be overwritten.
    pub async fn save_submission(
        &self,
        campaign_id: i64,
        unit_id: i64,
        values: &[FieldValue],
        submit: bool,
        actor: &Actor,
    ) -> Result<SavedSubmission> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let year: Option<i64> = dispatch!(&mut tx, t => sqlx::query_scalar("SELECT year FROM campaign WHERE id = $1")
            .bind(campaign_id).fetch_optional(&mut **t).await?);
        let year = year.ok_or_else(|| StoreError::Invalid(format!("no campaign {campaign_id}")))?;
        dispatch!(&mut tx, t => {
            sqlx::query("INSERT INTO submission (campaign_id, unit_id, state, updated_at, updated_by) VALUES ($1, $2, 'draft', $3, $4) \
                         ON CONFLICT (campaign_id, unit_id) DO NOTHING")
                .bind(campaign_id).bind(unit_id).bind(&now).bind(&actor.name).execute(&mut **t).await?;
        });
        let editable = states_list(&[SubmissionState::Draft, SubmissionState::Returned]);
        let sql = if submit {
            format!(
                "UPDATE submission SET state = 'submitted', updated_at = $3, updated_by = $4, submitted_at = $3 \
                 WHERE campaign_id = $1 AND unit_id = $2 AND state IN ({editable}) RETURNING {SUBMISSION_COLUMNS}"
            )
        } else {
            format!(
                "UPDATE submission SET updated_at = $3, updated_by = $4 \
                 WHERE campaign_id = $1 AND unit_id = $2 AND state IN ({editable}) RETURNING {SUBMISSION_COLUMNS}"
            )
        };
        let updated = dispatch!(&mut tx, t => match sqlx::query(&sql).bind(campaign_id).bind(unit_id).bind(&now).bind(&actor.name)
            .fetch_optional(&mut **t).await? {
            Some(r) => Some(submission_from(&r)?),
            None => None,
        });
        let Some(submission) = updated else {
            let state = submission_tx(&mut tx, campaign_id, unit_id).await?.map_or("none".to_owned(), |s| s.state.to_string());
            tx.rollback().await?;
            return Err(conflict(format!("the submission is {state}; only a draft or a returned one can be changed")));
        };
        let mut changed = Vec::new();
        for v in values {
            let old: Option<FieldValue> = dispatch!(&mut tx, t => match sqlx::query(
                "SELECT field, value, raw, comment FROM submission_value WHERE submission_id = $1 AND field = $2")
                .bind(submission.id).bind(&v.field).fetch_optional(&mut **t).await? {
                Some(r) => Some(FieldValue { field: r.try_get("field")?, value: r.try_get("value")?, raw: r.try_get("raw")?, comment: r.try_get("comment")? }),
                None => None,
            });
            let same = old.as_ref().is_some_and(|o| o.value == v.value && o.raw == v.raw && o.comment == v.comment);
            let empty = old.is_none() && v.value.is_none() && v.raw.is_none() && v.comment.is_none();
            if same || empty {
                continue;
            }
            dispatch!(&mut tx, t => {
                sqlx::query("INSERT INTO submission_value (submission_id, field, value, raw, comment) VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (submission_id, field) DO UPDATE SET value = excluded.value, raw = excluded.raw, comment = excluded.comment")
                    .bind(submission.id).bind(&v.field).bind(v.value).bind(&v.raw).bind(&v.comment).execute(&mut **t).await?;
            });
            let old_raw = old.as_ref().and_then(|o| o.raw.clone());
            let detail = match (&old_raw, &v.raw) {
                (None, None) => None,
                (a, b) => Some(format!("text: {} -> {}", a.as_deref().unwrap_or("-"), b.as_deref().unwrap_or("-"))),
            };
            append_tx(
                &mut tx,
                actor,
                &now,
                &AuditEntry {
                    action: "value".into(),
                    unit_id: Some(unit_id),
                    variable_code: Some(v.field.clone()),
                    year: Some(year),
                    old_value: old.as_ref().and_then(|o| o.value),
                    new_value: v.value,
                    comment: v.comment.clone(),
                    submission_id: Some(submission.id),
                    detail,
                    ..Default::default()
                },
            )
            .await?;
            changed.push(v.field.clone());
        }
        if submit {
            append_tx(
                &mut tx,
                actor,
                &now,
                &AuditEntry {
                    action: "submit".into(),
                    unit_id: Some(unit_id),
                    year: Some(year),
                    submission_id: Some(submission.id),
                    ..Default::default()
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(SavedSubmission { submission, changed })
    }

    /// Moves a submission from one of `from` to `to`, in one UPDATE that checks the state:
    /// of two people acting at once, one wins and the other gets [`StoreError::Conflict`].
    /// One audit row (`action`, with `comment`).
    async fn transition(
        &self,
        submission_id: i64,
        from: &[SubmissionState],
        to: SubmissionState,
        comment: Option<&str>,
        action: &str,
        actor: &Actor,
    ) -> Result<StoredSubmission> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let set = match to {
            SubmissionState::Approved => ", approved_at = $2, approved_by = $3",
            SubmissionState::Returned => ", return_comment = $4",
            _ => "",
        };
        let sql = format!(
            "UPDATE submission SET state = '{to}', updated_at = $2, updated_by = $3{set} \
             WHERE id = $1 AND state IN ({}) AND import_id IS NULL RETURNING {SUBMISSION_COLUMNS}",
            states_list(from)
        );
        let updated = dispatch!(&mut tx, t => {
            let q = sqlx::query(&sql).bind(submission_id).bind(&now).bind(&actor.name);
            let q = if set.contains("$4") { q.bind(comment) } else { q };
            match q.fetch_optional(&mut **t).await? {
                Some(r) => Some(submission_from(&r)?),
                None => None,
            }
        });
        let Some(s) = updated else {
            let now_state = submission_by_id_tx(&mut tx, submission_id).await?;
            tx.rollback().await?;
            return Err(match now_state {
                None => StoreError::Invalid(format!("no submission {submission_id}")),
                Some(s) => conflict(format!(
                    "the submission is {}{}; it must be {} to {action} it",
                    s.state,
                    if s.import_id.is_some() { " and published" } else { "" },
                    from.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(" or ")
                )),
            });
        };
        let year: i64 = dispatch!(&mut tx, t => sqlx::query_scalar("SELECT year FROM campaign WHERE id = $1")
            .bind(s.campaign_id).fetch_one(&mut **t).await?);
        append_tx(
            &mut tx,
            actor,
            &now,
            &AuditEntry {
                action: action.into(),
                unit_id: Some(s.unit_id),
                year: Some(year),
                comment: comment.map(str::to_owned),
                submission_id: Some(s.id),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Approves a submitted submission (`approve` audit row).
    pub async fn approve_submission(&self, submission_id: i64, actor: &Actor) -> Result<StoredSubmission> {
        self.transition(submission_id, &[SubmissionState::Submitted], SubmissionState::Approved, None, "approve", actor).await
    }

    /// Returns a submitted submission to the unit with the verifier's comment (`return`
    /// audit row).
    pub async fn return_submission(&self, submission_id: i64, comment: &str, actor: &Actor) -> Result<StoredSubmission> {
        self.transition(submission_id, &[SubmissionState::Submitted], SubmissionState::Returned, Some(comment), "return", actor).await
    }

    /// Takes back a submitted (not yet verified) submission: it is a draft again
    /// (`withdraw` audit row).
    pub async fn withdraw_submission(&self, submission_id: i64, actor: &Actor) -> Result<StoredSubmission> {
        self.transition(submission_id, &[SubmissionState::Submitted], SubmissionState::Draft, None, "withdraw", actor).await
    }

    /// Publishes approved submissions of one campaign in ONE transaction: an observation
    /// import (source `ankieta`, file `ankieta:<campaign id>`, this handle's actor replaced by
    /// `actor`) takes each submission that is still approved and unpublished (`UPDATE … WHERE
    /// import_id IS NULL`: of two nodes publishing at once, each submission goes to one),
    /// writes its numeric values as final observations of the campaign's year (a changed value
    /// becomes a revision), and a `publish` audit row per value (old → new). `None` when no
    /// submission was left to publish (nothing is written).
    pub async fn publish_submissions(&self, campaign_id: i64, submission_ids: &[i64], actor: &Actor) -> Result<Option<Publication>> {
        let year: Option<i64> =
            dispatch!(&self.backend, p => sqlx::query_scalar("SELECT year FROM campaign WHERE id = $1").bind(campaign_id).fetch_optional(p).await?);
        let year = year.ok_or_else(|| StoreError::Invalid(format!("no campaign {campaign_id}")))?;
        let handle = self.acting_as(actor.clone());
        let mut import = handle.begin_observation_import(CAMPAIGN_SOURCE, &format!("{CAMPAIGN_SOURCE}:{campaign_id}")).await?;
        let import_id = import.id();
        let now = now_text();
        let mut taken = Vec::new();
        let mut rows = Vec::new();
        let mut audit = Vec::new();
        {
            let tx = import.tx().await?;
            for &sid in submission_ids {
                let got: Option<i64> = dispatch!(&mut *tx, t => sqlx::query_scalar(
                    "UPDATE submission SET import_id = $1 WHERE id = $2 AND campaign_id = $3 AND state = 'approved' AND import_id IS NULL \
                     RETURNING unit_id")
                    .bind(import_id).bind(sid).bind(campaign_id).fetch_optional(&mut **t).await?);
                let Some(unit_id) = got else { continue };
                taken.push(sid);
                let values: Vec<ValueRow> = dispatch!(&mut *tx, t => sqlx::query_as(
                    "SELECT sv.field, sv.value, v.id, sv.comment FROM submission_value sv LEFT JOIN variable v ON v.code = sv.field \
                     WHERE sv.submission_id = $1 ORDER BY sv.field")
                    .bind(sid).fetch_all(&mut **t).await?);
                for (field, value, variable_id, comment) in values {
                    let Some(value) = value else { continue };
                    let Some(variable_id) = variable_id else {
                        return Err(StoreError::Invalid(format!(
                            "submission {sid}: field `{field}` names no variable of the catalogue; nothing was published"
                        )));
                    };
                    let old = observation_value_tx(tx, variable_id, unit_id, year).await?;
                    rows.push(ObsRow { variable_id, unit_id, year, value: Some(value), flag: 0 });
                    audit.push(AuditEntry {
                        action: "publish".into(),
                        unit_id: Some(unit_id),
                        variable_code: Some(field),
                        year: Some(year),
                        old_value: old,
                        new_value: Some(value),
                        comment,
                        import_id: Some(import_id),
                        submission_id: Some(sid),
                        detail: Some(format!("campaign {campaign_id}")),
                    });
                }
            }
            for a in &audit {
                append_tx(tx, actor, &now, a).await?;
            }
        }
        if taken.is_empty() {
            import.abandon().await?;
            return Ok(None);
        }
        let n = rows.len() as u64;
        rows.sort_by_key(|r| (r.variable_id, r.unit_id, r.year));
        if !rows.is_empty() {
            import.write(rows).await?;
        }
        import.finish(n, n, 0).await?;
        Ok(Some(Publication { import_id, submissions: taken, values: n }))
    }

    /// Approved submissions not yet published whose campaign's publication date is on or
    /// before `today` (`YYYY-MM-DD`): (campaign id, submission id).
    pub async fn due_submissions(&self, today: &str) -> Result<Vec<(i64, i64)>> {
        let sql = "SELECT s.campaign_id, s.id FROM submission s JOIN campaign c ON c.id = s.campaign_id \
                   WHERE s.state = 'approved' AND s.import_id IS NULL AND c.publish_on <= $1 ORDER BY s.campaign_id, s.id";
        let rows = dispatch!(&self.backend, p => sqlx::query_as::<_, (i64, i64)>(sql).bind(today).fetch_all(p).await?);
        Ok(rows)
    }

    /// Approved values not yet published (numbers only), by unit, variable and year.
    pub async fn pending_values(&self) -> Result<Vec<PendingRow>> {
        let sql = "SELECT s.unit_id, sv.field, c.year, sv.value, c.id AS campaign_id, s.id AS submission_id \
                   FROM submission s JOIN campaign c ON c.id = s.campaign_id JOIN submission_value sv ON sv.submission_id = s.id \
                   WHERE s.state = 'approved' AND s.import_id IS NULL AND sv.value IS NOT NULL \
                   ORDER BY s.unit_id, sv.field, c.year, s.id";
        let rows = dispatch!(&self.backend, p => sqlx::query(sql).fetch_all(p).await?.into_iter()
            .map(|r| Ok(PendingRow {
                unit_id: r.try_get("unit_id")?,
                variable_code: r.try_get("field")?,
                year: r.try_get("year")?,
                value: r.try_get("value")?,
                campaign_id: r.try_get("campaign_id")?,
                submission_id: r.try_get("submission_id")?,
            }))
            .collect::<Result<Vec<_>, sqlx::Error>>()?);
        Ok(rows)
    }

    /// Each unit of a campaign with its submission, by TERYT code.
    pub async fn campaign_status(&self, campaign_id: i64) -> Result<Vec<CampaignUnitStatus>> {
        let sql = "SELECT u.id AS unit_id, u.code, u.name, s.id AS submission_id, s.state, s.updated_at, s.updated_by, s.submitted_at, s.import_id \
                   FROM campaign_unit cu JOIN unit u ON u.id = cu.unit_id \
                   LEFT JOIN submission s ON s.campaign_id = cu.campaign_id AND s.unit_id = cu.unit_id \
                   WHERE cu.campaign_id = $1 ORDER BY u.code, u.id";
        let rows = dispatch!(&self.backend, p => sqlx::query(sql).bind(campaign_id).fetch_all(p).await?.into_iter()
            .map(|r| {
                let state: Option<String> = r.try_get("state")?;
                Ok(CampaignUnitStatus {
                    unit_id: r.try_get("unit_id")?,
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    submission_id: r.try_get("submission_id")?,
                    state: match state {
                        None => None,
                        Some(s) => Some(SubmissionState::parse(&s).ok_or(StoreError::Corrupt { what: "submission state", value: s })?),
                    },
                    updated_at: r.try_get("updated_at")?,
                    updated_by: r.try_get("updated_by")?,
                    submitted_at: r.try_get("submitted_at")?,
                    import_id: r.try_get("import_id")?,
                })
            })
            .collect::<Result<Vec<_>>>()?);
        Ok(rows)
    }
}
