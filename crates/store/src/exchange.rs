//! Exchange groups (GWD, issue 19): cycles, members and their letters, meetings, documents,
//! questions on values and their threads, and the reopening of a submission that a question
//! sends back for correction.
//!
//! Every write runs in one transaction with its audit rows. The state rules that two people
//! acting at once could break are checked in SQL inside that transaction (a conditional
//! `UPDATE … WHERE state = …`, the cycle row locked first where letters or the member count
//! are decided), so a lost race is a [`StoreError::Conflict`] and writes nothing. The use-case
//! layer (`app::exchange`) checks the same rules first to word its refusals for people.
//!
//! Audit rows name the unit concerned in `unit_id` and say in `detail` which cycle and row;
//! they never put a member's letter next to anything that names the unit (the audit page is
//! for admins, but a detail copied elsewhere must not undo the anonymity).

use crate::audit::{Actor, AuditEntry, actor_name, append_tx};
use crate::campaigns::SubmissionState;
use crate::plans::{quoted, unique_conflict};
use crate::{Result, Store, StoreError, StoredSubmission, Tx, dispatch, now_text};

/// A cycle as stored, with its coordinator's display name.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleRow {
    pub id: i64,
    pub name: String,
    pub sector: String,
    pub year: i64,
    pub description: Option<String>,
    /// recruiting | running | closed
    pub state: String,
    pub coordinator_user_id: i64,
    pub coordinator_name: String,
    pub campaign_id: Option<i64>,
    pub created_at: String,
    pub created_by: String,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
}

/// A cycle to open.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCycle {
    pub name: String,
    pub sector: String,
    pub year: i64,
    pub description: Option<String>,
    pub coordinator_user_id: i64,
}

/// A unit's row in a cycle, with the unit's current code, name and kind.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRow {
    pub cycle_id: i64,
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    /// applied | accepted | rejected | withdrawn
    pub state: String,
    pub letter: Option<String>,
    pub application: Option<String>,
    pub applied_at: String,
    pub applied_by: String,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    pub plan_id: Option<i64>,
    pub plan_filed_at: Option<String>,
}

/// What a meeting says before it is held (`held_on` as `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingFieldsRow {
    pub held_on: String,
    pub host_unit_id: Option<i64>,
    pub place: Option<String>,
    pub agenda: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MeetingRow {
    pub id: i64,
    pub cycle_id: i64,
    pub seq: i64,
    pub fields: MeetingFieldsRow,
    pub notes: Option<String>,
    pub created_at: String,
    pub created_by: String,
    pub updated_at: String,
    pub updated_by: String,
}

/// A document to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDocument<'a> {
    pub meeting_id: Option<i64>,
    pub title: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// A document without its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentRow {
    pub id: i64,
    pub cycle_id: i64,
    pub meeting_id: Option<i64>,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: String,
    pub created_by: String,
}

/// A question to ask; its first comment is `body`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewQuestion {
    pub cycle_id: i64,
    pub unit_id: i64,
    pub indicator_code: String,
    pub year: i64,
    pub value_shown: Option<f64>,
    pub body: String,
    pub asked_by_unit_id: Option<i64>,
    pub user_id: i64,
}

/// A question as stored, with what its state is read from.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionRow {
    pub id: i64,
    pub cycle_id: i64,
    pub unit_id: i64,
    pub indicator_code: String,
    pub year: i64,
    pub value_shown: Option<f64>,
    /// open | answered | correcting | closed (as stored; `corrected` is derived)
    pub state: String,
    pub asked_by_unit_id: Option<i64>,
    pub submission_id: Option<i64>,
    pub created_at: String,
    pub created_by: String,
    pub updated_at: String,
    /// The unit's submission to the cycle's campaign is approved, and was approved after the
    /// question last changed: a correction is through.
    pub approved_since: bool,
}

/// A comment of a question's thread, with its author's display name.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentRow {
    pub id: i64,
    pub question_id: i64,
    pub author_user_id: i64,
    pub author_name: String,
    pub author_unit_id: Option<i64>,
    /// question | comment | answer | correction | close
    pub kind: String,
    pub body: String,
    pub created_at: String,
}

/// What [`Store::start_exchange_correction`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrectionStart {
    pub campaign_id: i64,
    pub unit_id: i64,
    /// The unit's submission, if it has one (reopened when it was submitted or approved).
    pub submission_id: Option<i64>,
    pub reopened: bool,
}

/// The comment kinds, and the audit action each is recorded as.
pub const COMMENT_KINDS: [(&str, &str); 5] = [
    ("question", "exchange.question"),
    ("comment", "exchange.comment"),
    ("answer", "exchange.answer"),
    ("correction", "exchange.correction"),
    ("close", "exchange.close"),
];

type CycleTuple = (i64, String, String, i64, Option<String>, String, i64, String, Option<i64>, String, String, Option<String>, Option<String>);
const CYCLE_SELECT: &str = "SELECT c.id, c.name, c.sector, c.year, c.description, c.state, c.coordinator_user_id, u.display_name, \
     c.campaign_id, c.created_at, c.created_by, c.closed_at, c.closed_by FROM exchange_cycle c JOIN app_user u ON u.id = c.coordinator_user_id";

fn cycle_from(t: CycleTuple) -> CycleRow {
    let (
        id,
        name,
        sector,
        year,
        description,
        state,
        coordinator_user_id,
        coordinator_name,
        campaign_id,
        created_at,
        created_by,
        closed_at,
        closed_by,
    ) = t;
    CycleRow {
        id,
        name,
        sector,
        year,
        description,
        state,
        coordinator_user_id,
        coordinator_name,
        campaign_id,
        created_at,
        created_by,
        closed_at,
        closed_by,
    }
}

type MemberTuple = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);
const MEMBER_SELECT: &str = "SELECT m.cycle_id, m.unit_id, u.code, u.name, u.kind, m.state, m.letter, m.application, m.applied_at, \
     m.applied_by, m.decided_at, m.decided_by, m.plan_id, m.plan_filed_at FROM exchange_member m JOIN unit u ON u.id = m.unit_id";

fn member_from(t: MemberTuple) -> MemberRow {
    let (cycle_id, unit_id, code, name, kind, state, letter, application, applied_at, applied_by, decided_at, decided_by, plan_id, plan_filed_at) = t;
    MemberRow {
        cycle_id,
        unit_id,
        code,
        name,
        kind,
        state,
        letter,
        application,
        applied_at,
        applied_by,
        decided_at,
        decided_by,
        plan_id,
        plan_filed_at,
    }
}

type MeetingTuple = (i64, i64, i64, String, Option<i64>, Option<String>, Option<String>, Option<String>, String, String, String, String);
const MEETING_COLUMNS: &str = "id, cycle_id, seq, held_on, host_unit_id, place, agenda, notes, created_at, created_by, updated_at, updated_by";

fn meeting_from(t: MeetingTuple) -> MeetingRow {
    let (id, cycle_id, seq, held_on, host_unit_id, place, agenda, notes, created_at, created_by, updated_at, updated_by) = t;
    MeetingRow {
        id,
        cycle_id,
        seq,
        fields: MeetingFieldsRow { held_on, host_unit_id, place, agenda },
        notes,
        created_at,
        created_by,
        updated_at,
        updated_by,
    }
}

type DocumentTuple = (i64, i64, Option<i64>, String, String, String, i64, String, String);
const DOCUMENT_COLUMNS: &str = "id, cycle_id, meeting_id, title, file_name, content_type, size, created_at, created_by";

fn document_from(t: DocumentTuple) -> DocumentRow {
    let (id, cycle_id, meeting_id, title, file_name, content_type, size, created_at, created_by) = t;
    DocumentRow { id, cycle_id, meeting_id, title, file_name, content_type, size, created_at, created_by }
}

type QuestionTuple = (i64, i64, i64, String, i64, Option<f64>, String, Option<i64>, Option<i64>, String, String, String, i64);
/// The question with `approved_since`: the unit's submission to the cycle's campaign,
/// approved after the question last changed.
const QUESTION_SELECT: &str = "SELECT q.id, q.cycle_id, q.unit_id, q.indicator_code, q.year, q.value_shown, q.state, \
     q.asked_by_unit_id, q.submission_id, q.created_at, q.created_by, q.updated_at, \
     CAST(CASE WHEN s.id IS NOT NULL AND s.state = 'approved' AND s.approved_at > q.updated_at THEN 1 ELSE 0 END AS BIGINT) \
     FROM exchange_question q JOIN exchange_cycle c ON c.id = q.cycle_id \
     LEFT JOIN submission s ON s.campaign_id = c.campaign_id AND s.unit_id = q.unit_id";

fn question_from(t: QuestionTuple) -> QuestionRow {
    let (
        id,
        cycle_id,
        unit_id,
        indicator_code,
        year,
        value_shown,
        state,
        asked_by_unit_id,
        submission_id,
        created_at,
        created_by,
        updated_at,
        approved,
    ) = t;
    QuestionRow {
        id,
        cycle_id,
        unit_id,
        indicator_code,
        year,
        value_shown,
        state,
        asked_by_unit_id,
        submission_id,
        created_at,
        created_by,
        updated_at,
        approved_since: approved != 0,
    }
}

type CommentTuple = (i64, i64, i64, String, Option<i64>, String, String, String);
const COMMENT_SELECT: &str = "SELECT k.id, k.question_id, k.author_user_id, u.display_name, k.author_unit_id, k.kind, k.body, k.created_at \
     FROM exchange_comment k JOIN app_user u ON u.id = k.author_user_id";

fn comment_from(t: CommentTuple) -> CommentRow {
    let (id, question_id, author_user_id, author_name, author_unit_id, kind, body, created_at) = t;
    CommentRow { id, question_id, author_user_id, author_name, author_unit_id, kind, body, created_at }
}

/// Locks the cycle's row for the rest of the transaction (a no-op update: SQLite takes its
/// write lock, PostgreSQL the row lock), so that letters and the member count are decided one
/// writer at a time; the cycle's state, or a conflict when there is no such cycle.
async fn lock_cycle_tx(tx: &mut Tx, cycle_id: i64) -> Result<String> {
    let state: Option<String> = dispatch!(tx, t => sqlx::query_scalar("UPDATE exchange_cycle SET state = state WHERE id = $1 RETURNING state")
        .bind(cycle_id).fetch_optional(&mut **t).await?);
    state.ok_or_else(|| StoreError::Conflict(format!("exchange cycle {cycle_id} not found")))
}

/// The (state, letter) of a unit's member row in a cycle.
async fn member_tx(tx: &mut Tx, cycle_id: i64, unit_id: i64) -> Result<Option<(String, Option<String>)>> {
    let row = dispatch!(tx, t => sqlx::query_as::<_, (String, Option<String>)>(
        "SELECT state, letter FROM exchange_member WHERE cycle_id = $1 AND unit_id = $2")
        .bind(cycle_id).bind(unit_id).fetch_optional(&mut **t).await?);
    Ok(row)
}

/// A letter for a newly accepted member: `pick` (a random number from the caller) chooses
/// among the free letters A–H, then, once withdrawals have used those up, among I–Z.
async fn free_letter_tx(tx: &mut Tx, cycle_id: i64, pick: u64) -> Result<String> {
    let used: Vec<String> = dispatch!(tx, t => sqlx::query_scalar("SELECT letter FROM exchange_member WHERE cycle_id = $1 AND letter IS NOT NULL")
        .bind(cycle_id).fetch_all(&mut **t).await?);
    let free =
        |range: std::ops::RangeInclusive<u8>| -> Vec<String> { range.map(|b| (b as char).to_string()).filter(|l| !used.contains(l)).collect() };
    let mut candidates = free(b'A'..=b'H');
    if candidates.is_empty() {
        candidates = free(b'I'..=b'Z');
    }
    if candidates.is_empty() {
        return Err(StoreError::Conflict(format!("exchange cycle {cycle_id} has no free letter left")));
    }
    let at = (pick % candidates.len() as u64) as usize;
    Ok(candidates.swap_remove(at))
}

async fn accepted_count_tx(tx: &mut Tx, cycle_id: i64) -> Result<i64> {
    let n: i64 = dispatch!(tx, t => sqlx::query_scalar("SELECT COUNT(*) FROM exchange_member WHERE cycle_id = $1 AND state = 'accepted'")
        .bind(cycle_id).fetch_one(&mut **t).await?);
    Ok(n)
}

/// Reopens a submission inside `tx`: from submitted or approved (a published one too: its
/// `import_id` goes back to NULL so that the corrected values are published again, as a
/// revision) to `returned` with `comment`; a `reopen` audit row. A conflict from any other
/// state.
async fn reopen_tx(tx: &mut Tx, submission_id: i64, comment: &str, detail: &str, actor: &Actor, now: &str) -> Result<StoredSubmission> {
    let before: Option<(String, i64, i64, Option<i64>)> = dispatch!(tx, t => sqlx::query_as(
        "SELECT state, unit_id, campaign_id, import_id FROM submission WHERE id = $1")
        .bind(submission_id).fetch_optional(&mut **t).await?);
    let Some((state, unit_id, campaign_id, import_id)) = before else {
        return Err(StoreError::Conflict(format!("submission {submission_id} not found")));
    };
    let changed = dispatch!(tx, t => sqlx::query(
        "UPDATE submission SET state = 'returned', return_comment = $2, updated_at = $3, updated_by = $4, \
         approved_at = NULL, approved_by = NULL, import_id = NULL WHERE id = $1 AND state IN ('submitted', 'approved')")
        .bind(submission_id).bind(comment).bind(now).bind(actor_name(actor)).execute(&mut **t).await?.rows_affected());
    if changed == 0 {
        return Err(StoreError::Conflict(format!("submission {submission_id} is {state}; only a submitted or approved one is reopened")));
    }
    let year: i64 = dispatch!(tx, t => sqlx::query_scalar("SELECT year FROM campaign WHERE id = $1").bind(campaign_id).fetch_one(&mut **t).await?);
    let was = match (state.as_str(), import_id) {
        ("approved", Some(i)) => format!("approved and published (import {i})"),
        (s, _) => s.to_owned(),
    };
    append_tx(
        tx,
        actor,
        now,
        &AuditEntry {
            action: "reopen".into(),
            unit_id: Some(unit_id),
            year: Some(year),
            comment: Some(comment.to_owned()),
            submission_id: Some(submission_id),
            detail: Some(format!("{detail}; was {was}")),
            ..Default::default()
        },
    )
    .await?;
    let sql = "SELECT id, campaign_id, unit_id, state, updated_at, updated_by, submitted_at, return_comment, approved_at, approved_by, import_id \
               FROM submission WHERE id = $1";
    type SubTuple = (i64, i64, i64, String, String, String, Option<String>, Option<String>, Option<String>, Option<String>, Option<i64>);
    let t: SubTuple = dispatch!(tx, t => sqlx::query_as(sql).bind(submission_id).fetch_one(&mut **t).await?);
    let state = SubmissionState::parse(&t.3).ok_or(StoreError::Corrupt { what: "submission state", value: t.3.clone() })?;
    Ok(StoredSubmission {
        id: t.0,
        campaign_id: t.1,
        unit_id: t.2,
        state,
        updated_at: t.4,
        updated_by: t.5,
        submitted_at: t.6,
        return_comment: t.7,
        approved_at: t.8,
        approved_by: t.9,
        import_id: t.10,
    })
}

/// Appends a comment and its audit row inside `tx`; its id.
#[allow(clippy::too_many_arguments)]
async fn comment_tx(
    tx: &mut Tx,
    q: &QuestionRow,
    user_id: i64,
    author_unit_id: Option<i64>,
    kind: &str,
    body: &str,
    actor: &Actor,
    now: &str,
) -> Result<i64> {
    let action = COMMENT_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, a)| *a)
        .ok_or_else(|| StoreError::Invalid(format!("comment kind `{kind}` is none of question, comment, answer, correction, close")))?;
    let id: i64 = dispatch!(tx, t => sqlx::query_scalar(
        "INSERT INTO exchange_comment (question_id, author_user_id, author_unit_id, kind, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(q.id).bind(user_id).bind(author_unit_id).bind(kind).bind(body).bind(now).fetch_one(&mut **t).await?);
    let by = match author_unit_id {
        Some(u) => format!("unit {u}"),
        None => "the coordinator".to_owned(),
    };
    append_tx(
        tx,
        actor,
        now,
        &AuditEntry {
            action: action.into(),
            unit_id: Some(q.unit_id),
            variable_code: Some(q.indicator_code.clone()),
            year: Some(q.year),
            submission_id: q.submission_id,
            detail: Some(format!("exchange cycle {}, question {}, comment {id} ({kind}) by {by}", q.cycle_id, q.id)),
            ..Default::default()
        },
    )
    .await?;
    Ok(id)
}

async fn question_tx(tx: &mut Tx, question_id: i64) -> Result<QuestionRow> {
    let sql = format!("{QUESTION_SELECT} WHERE q.id = $1");
    let row: Option<QuestionTuple> = dispatch!(tx, t => sqlx::query_as(&sql).bind(question_id).fetch_optional(&mut **t).await?);
    row.map(question_from).ok_or_else(|| StoreError::Conflict(format!("exchange question {question_id} not found")))
}

impl Store {
    /// Every cycle, newest first.
    pub async fn exchange_cycles(&self) -> Result<Vec<CycleRow>> {
        let sql = format!("{CYCLE_SELECT} ORDER BY c.year DESC, c.id DESC");
        let rows: Vec<CycleTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).fetch_all(p).await?);
        Ok(rows.into_iter().map(cycle_from).collect())
    }

    pub async fn exchange_cycle(&self, id: i64) -> Result<Option<CycleRow>> {
        let sql = format!("{CYCLE_SELECT} WHERE c.id = $1");
        let row: Option<CycleTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        Ok(row.map(cycle_from))
    }

    /// The member rows of one cycle (or of every cycle), by cycle and unit name.
    pub async fn exchange_members(&self, cycle_id: Option<i64>) -> Result<Vec<MemberRow>> {
        let sql = match cycle_id {
            Some(_) => format!("{MEMBER_SELECT} WHERE m.cycle_id = $1 ORDER BY m.cycle_id, u.name, m.unit_id"),
            None => format!("{MEMBER_SELECT} ORDER BY m.cycle_id, u.name, m.unit_id"),
        };
        let rows: Vec<MemberTuple> = dispatch!(&self.backend, p => {
            let q = sqlx::query_as(&sql);
            let q = match cycle_id { Some(c) => q.bind(c), None => q };
            q.fetch_all(p).await?
        });
        Ok(rows.into_iter().map(member_from).collect())
    }

    /// Opens a cycle in state `recruiting`; its id. Audit `exchange.cycle`.
    pub async fn open_exchange_cycle(&self, c: &NewCycle, actor: &Actor) -> Result<i64> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let user: Option<i64> = dispatch!(&mut tx, t => sqlx::query_scalar("SELECT id FROM app_user WHERE id = $1")
            .bind(c.coordinator_user_id).fetch_optional(&mut **t).await?);
        if user.is_none() {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("user {} not found", c.coordinator_user_id)));
        }
        let id: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
            "INSERT INTO exchange_cycle (name, sector, year, description, state, coordinator_user_id, created_at, created_by) \
             VALUES ($1, $2, $3, $4, 'recruiting', $5, $6, $7) RETURNING id")
            .bind(&c.name).bind(&c.sector).bind(c.year).bind(&c.description).bind(c.coordinator_user_id).bind(&now).bind(actor_name(actor))
            .fetch_one(&mut **t).await?);
        let entry = AuditEntry {
            action: "exchange.cycle".into(),
            year: Some(c.year),
            detail: Some(format!("exchange cycle {id} {} ({}, {}), coordinator user {}", quoted(&c.name), c.sector, c.year, c.coordinator_user_id)),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A unit applies: a new row `applied`, or a rejected or withdrawn one applied again (a
    /// letter it had stays its own). A conflict when the cycle is closed, the unit is not
    /// there, or it already applied or is a member. Audit `exchange.apply`.
    pub async fn exchange_apply(&self, cycle_id: i64, unit_id: i64, application: Option<&str>, actor: &Actor) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let state = lock_cycle_tx(&mut tx, cycle_id).await?;
        if state == "closed" {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("exchange cycle {cycle_id} is closed")));
        }
        let unit: Option<i64> =
            dispatch!(&mut tx, t => sqlx::query_scalar("SELECT id FROM unit WHERE id = $1").bind(unit_id).fetch_optional(&mut **t).await?);
        if unit.is_none() {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("unit {unit_id} not found")));
        }
        match member_tx(&mut tx, cycle_id, unit_id).await? {
            None => {
                dispatch!(&mut tx, t => sqlx::query(
                    "INSERT INTO exchange_member (cycle_id, unit_id, state, application, applied_at, applied_by) VALUES ($1, $2, 'applied', $3, $4, $5)")
                    .bind(cycle_id).bind(unit_id).bind(application).bind(&now).bind(actor_name(actor)).execute(&mut **t).await?.rows_affected());
            }
            Some((s, _)) if s == "rejected" || s == "withdrawn" => {
                dispatch!(&mut tx, t => sqlx::query(
                    "UPDATE exchange_member SET state = 'applied', application = $3, applied_at = $4, applied_by = $5, decided_at = NULL, \
                     decided_by = NULL WHERE cycle_id = $1 AND unit_id = $2")
                    .bind(cycle_id).bind(unit_id).bind(application).bind(&now).bind(actor_name(actor)).execute(&mut **t).await?.rows_affected());
            }
            Some((s, _)) => {
                tx.rollback().await?;
                return Err(StoreError::Conflict(format!("unit {unit_id} is already {s} in exchange cycle {cycle_id}")));
            }
        }
        let entry = AuditEntry {
            action: "exchange.apply".into(),
            unit_id: Some(unit_id),
            comment: application.map(str::to_owned),
            detail: Some(format!("exchange cycle {cycle_id}: unit {unit_id} applied")),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Accepts (the letter: the one it had, or a free one chosen by `pick`) or rejects (None)
    /// an application. A conflict when there is no application, or accepting would make more
    /// than `max_members` accepted members. Audit `exchange.accept` / `exchange.reject`.
    pub async fn exchange_decide(
        &self,
        cycle_id: i64,
        unit_id: i64,
        accept: bool,
        pick: u64,
        max_members: usize,
        actor: &Actor,
    ) -> Result<Option<String>> {
        let mut tx = self.begin().await?;
        let now = now_text();
        lock_cycle_tx(&mut tx, cycle_id).await?;
        let (state, letter) = match member_tx(&mut tx, cycle_id, unit_id).await? {
            Some(m) => m,
            None => {
                tx.rollback().await?;
                return Err(StoreError::Conflict(format!("unit {unit_id} has not applied to exchange cycle {cycle_id}")));
            }
        };
        if state != "applied" {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("unit {unit_id} is {state} in exchange cycle {cycle_id}, not applied")));
        }
        let letter = if accept { Some(self.accept_tx(&mut tx, cycle_id, unit_id, letter, pick, max_members, &now, actor).await?) } else { None };
        if !accept {
            dispatch!(&mut tx, t => sqlx::query(
                "UPDATE exchange_member SET state = 'rejected', decided_at = $3, decided_by = $4 WHERE cycle_id = $1 AND unit_id = $2")
                .bind(cycle_id).bind(unit_id).bind(&now).bind(actor_name(actor)).execute(&mut **t).await?.rows_affected());
        }
        let entry = AuditEntry {
            action: if accept { "exchange.accept" } else { "exchange.reject" }.into(),
            unit_id: Some(unit_id),
            detail: Some(format!("exchange cycle {cycle_id}: unit {unit_id} {}", if accept { "accepted" } else { "rejected" })),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(letter)
    }

    /// Sets a member row `accepted` inside `tx` (the cycle locked), checking the member
    /// count; its letter.
    #[allow(clippy::too_many_arguments)]
    async fn accept_tx(
        &self,
        tx: &mut Tx,
        cycle_id: i64,
        unit_id: i64,
        letter: Option<String>,
        pick: u64,
        max_members: usize,
        now: &str,
        actor: &Actor,
    ) -> Result<String> {
        if accepted_count_tx(tx, cycle_id).await? >= max_members as i64 {
            return Err(StoreError::Conflict(format!("exchange cycle {cycle_id} already has {max_members} accepted members")));
        }
        let letter = match letter {
            Some(l) => l,
            None => free_letter_tx(tx, cycle_id, pick).await?,
        };
        dispatch!(tx, t => sqlx::query(
            "UPDATE exchange_member SET state = 'accepted', letter = $3, decided_at = $4, decided_by = $5 WHERE cycle_id = $1 AND unit_id = $2")
            .bind(cycle_id).bind(unit_id).bind(&letter).bind(now).bind(actor_name(actor)).execute(&mut **t).await
            .map_err(|e| unique_conflict(e, || format!("a letter of exchange cycle {cycle_id} was given twice at once; try again")))?.rows_affected());
        Ok(letter)
    }

    /// The coordinator adds a unit directly: applied and accepted in one (a rejected or
    /// withdrawn row is accepted again, keeping a letter it had); its letter. A conflict when
    /// the cycle is closed, the unit is already a member, or the cycle is full. Audit
    /// `exchange.accept`.
    pub async fn exchange_admit(&self, cycle_id: i64, unit_id: i64, pick: u64, max_members: usize, actor: &Actor) -> Result<String> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let state = lock_cycle_tx(&mut tx, cycle_id).await?;
        if state == "closed" {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("exchange cycle {cycle_id} is closed")));
        }
        let unit: Option<i64> =
            dispatch!(&mut tx, t => sqlx::query_scalar("SELECT id FROM unit WHERE id = $1").bind(unit_id).fetch_optional(&mut **t).await?);
        if unit.is_none() {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("unit {unit_id} not found")));
        }
        let letter = match member_tx(&mut tx, cycle_id, unit_id).await? {
            Some((s, _)) if s == "accepted" => {
                tx.rollback().await?;
                return Err(StoreError::Conflict(format!("unit {unit_id} is already a member of exchange cycle {cycle_id}")));
            }
            Some((_, letter)) => letter,
            None => {
                dispatch!(&mut tx, t => sqlx::query(
                    "INSERT INTO exchange_member (cycle_id, unit_id, state, applied_at, applied_by) VALUES ($1, $2, 'applied', $3, $4)")
                    .bind(cycle_id).bind(unit_id).bind(&now).bind(actor_name(actor)).execute(&mut **t).await?.rows_affected());
                None
            }
        };
        let letter = match self.accept_tx(&mut tx, cycle_id, unit_id, letter, pick, max_members, &now, actor).await {
            Ok(l) => l,
            Err(e) => {
                tx.rollback().await?;
                return Err(e);
            }
        };
        let entry = AuditEntry {
            action: "exchange.accept".into(),
            unit_id: Some(unit_id),
            detail: Some(format!("exchange cycle {cycle_id}: unit {unit_id} added by the coordinator")),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(letter)
    }

    /// A member or an applicant leaves (`withdrawn`; a letter stays its own). Audit
    /// `exchange.withdraw`.
    pub async fn exchange_withdraw(&self, cycle_id: i64, unit_id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let changed = dispatch!(&mut tx, t => sqlx::query(
            "UPDATE exchange_member SET state = 'withdrawn', decided_at = $3, decided_by = $4 \
             WHERE cycle_id = $1 AND unit_id = $2 AND state IN ('applied', 'accepted')")
            .bind(cycle_id).bind(unit_id).bind(&now).bind(actor_name(actor)).execute(&mut **t).await?.rows_affected());
        if changed == 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("unit {unit_id} is neither a member nor an applicant of exchange cycle {cycle_id}")));
        }
        let entry = AuditEntry {
            action: "exchange.withdraw".into(),
            unit_id: Some(unit_id),
            detail: Some(format!("exchange cycle {cycle_id}: unit {unit_id} withdrawn")),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves a cycle from `from` to `to` (closing sets `closed_at`); a conflict when it is not
    /// in `from`. Audit `exchange.state`.
    pub async fn exchange_set_state(&self, cycle_id: i64, from: &str, to: &str, actor: &Actor) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let closing = to == "closed";
        let sql = if closing {
            "UPDATE exchange_cycle SET state = $3, closed_at = $4, closed_by = $5 WHERE id = $1 AND state = $2"
        } else {
            "UPDATE exchange_cycle SET state = $3 WHERE id = $1 AND state = $2"
        };
        let changed = dispatch!(&mut tx, t => {
            let q = sqlx::query(sql).bind(cycle_id).bind(from).bind(to);
            let q = if closing { q.bind(&now).bind(actor_name(actor)) } else { q };
            q.execute(&mut **t).await?.rows_affected()
        });
        if changed == 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("exchange cycle {cycle_id} is not {from} (or not there)")));
        }
        let entry =
            AuditEntry { action: "exchange.state".into(), detail: Some(format!("exchange cycle {cycle_id}: {from} -> {to}")), ..Default::default() };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The meetings of a cycle, by sequence number.
    pub async fn exchange_meetings(&self, cycle_id: i64) -> Result<Vec<MeetingRow>> {
        let sql = format!("SELECT {MEETING_COLUMNS} FROM exchange_meeting WHERE cycle_id = $1 ORDER BY seq");
        let rows: Vec<MeetingTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(cycle_id).fetch_all(p).await?);
        Ok(rows.into_iter().map(meeting_from).collect())
    }

    pub async fn exchange_meeting(&self, id: i64) -> Result<Option<MeetingRow>> {
        let sql = format!("SELECT {MEETING_COLUMNS} FROM exchange_meeting WHERE id = $1");
        let row: Option<MeetingTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        Ok(row.map(meeting_from))
    }

    /// A new meeting, numbered next; its id. Audit `exchange.meeting`.
    pub async fn add_exchange_meeting(&self, cycle_id: i64, f: &MeetingFieldsRow, actor: &Actor) -> Result<i64> {
        let mut tx = self.begin().await?;
        let now = now_text();
        lock_cycle_tx(&mut tx, cycle_id).await?;
        let seq: i64 = dispatch!(&mut tx, t => sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM exchange_meeting WHERE cycle_id = $1")
            .bind(cycle_id).fetch_one(&mut **t).await?);
        let id: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
            "INSERT INTO exchange_meeting (cycle_id, seq, held_on, host_unit_id, place, agenda, created_at, created_by, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $8) RETURNING id")
            .bind(cycle_id).bind(seq).bind(&f.held_on).bind(f.host_unit_id).bind(&f.place).bind(&f.agenda).bind(&now).bind(actor_name(actor))
            .fetch_one(&mut **t).await.map_err(|e| unique_conflict(e, || format!("meeting {seq} of exchange cycle {cycle_id} was added twice at once")))?);
        let entry = AuditEntry {
            action: "exchange.meeting".into(),
            unit_id: f.host_unit_id,
            detail: Some(format!("exchange cycle {cycle_id}: meeting {id} (no. {seq}) on {} added", f.held_on)),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Changes a meeting and its notes. Audit `exchange.meeting`.
    pub async fn update_exchange_meeting(&self, id: i64, f: &MeetingFieldsRow, notes: Option<&str>, actor: &Actor) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let cycle: Option<i64> = dispatch!(&mut tx, t => sqlx::query_scalar(
            "UPDATE exchange_meeting SET held_on = $2, host_unit_id = $3, place = $4, agenda = $5, notes = $6, updated_at = $7, updated_by = $8 \
             WHERE id = $1 RETURNING cycle_id")
            .bind(id).bind(&f.held_on).bind(f.host_unit_id).bind(&f.place).bind(&f.agenda).bind(notes).bind(&now).bind(actor_name(actor))
            .fetch_optional(&mut **t).await?);
        let Some(cycle_id) = cycle else {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("exchange meeting {id} not found")));
        };
        let entry = AuditEntry {
            action: "exchange.meeting".into(),
            unit_id: f.host_unit_id,
            detail: Some(format!("exchange cycle {cycle_id}: meeting {id} on {} changed{}", f.held_on, if notes.is_some() { ", notes" } else { "" })),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores a document of a cycle; its id. Audit `exchange.document`.
    pub async fn add_exchange_document(&self, cycle_id: i64, d: &NewDocument<'_>, actor: &Actor) -> Result<i64> {
        let mut tx = self.begin().await?;
        let now = now_text();
        lock_cycle_tx(&mut tx, cycle_id).await?;
        if let Some(m) = d.meeting_id {
            let of: Option<i64> = dispatch!(&mut tx, t => sqlx::query_scalar("SELECT cycle_id FROM exchange_meeting WHERE id = $1")
                .bind(m).fetch_optional(&mut **t).await?);
            if of != Some(cycle_id) {
                tx.rollback().await?;
                return Err(StoreError::Conflict(format!("meeting {m} is not a meeting of exchange cycle {cycle_id}")));
            }
        }
        let id: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
            "INSERT INTO exchange_document (cycle_id, meeting_id, title, file_name, content_type, size, content, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
            .bind(cycle_id).bind(d.meeting_id).bind(d.title).bind(d.file_name).bind(d.content_type).bind(d.bytes.len() as i64).bind(d.bytes)
            .bind(&now).bind(actor_name(actor)).fetch_one(&mut **t).await?);
        let entry = AuditEntry {
            action: "exchange.document".into(),
            detail: Some(format!("exchange cycle {cycle_id}: document {id} {} ({}, {} bytes)", quoted(d.title), d.content_type, d.bytes.len())),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The documents of a cycle, newest first.
    pub async fn exchange_documents(&self, cycle_id: i64) -> Result<Vec<DocumentRow>> {
        let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM exchange_document WHERE cycle_id = $1 ORDER BY id DESC");
        let rows: Vec<DocumentTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(cycle_id).fetch_all(p).await?);
        Ok(rows.into_iter().map(document_from).collect())
    }

    /// A document with its bytes.
    pub async fn exchange_document(&self, id: i64) -> Result<Option<(DocumentRow, Vec<u8>)>> {
        let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM exchange_document WHERE id = $1");
        let row: Option<DocumentTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        let Some(row) = row else { return Ok(None) };
        let bytes: Vec<u8> =
            dispatch!(&self.backend, p => sqlx::query_scalar("SELECT content FROM exchange_document WHERE id = $1").bind(id).fetch_one(p).await?);
        Ok(Some((document_from(row), bytes)))
    }

    /// Links the cycle's own data collection (a campaign that must exist). Audit
    /// `exchange.campaign`.
    pub async fn link_exchange_campaign(&self, cycle_id: i64, campaign_id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let found: Option<i64> =
            dispatch!(&mut tx, t => sqlx::query_scalar("SELECT id FROM campaign WHERE id = $1").bind(campaign_id).fetch_optional(&mut **t).await?);
        if found.is_none() {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("campaign {campaign_id} not found")));
        }
        let changed = dispatch!(&mut tx, t => sqlx::query("UPDATE exchange_cycle SET campaign_id = $2 WHERE id = $1")
            .bind(cycle_id).bind(campaign_id).execute(&mut **t).await?.rows_affected());
        if changed == 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("exchange cycle {cycle_id} not found")));
        }
        let entry = AuditEntry {
            action: "exchange.campaign".into(),
            detail: Some(format!("exchange cycle {cycle_id}: campaign {campaign_id} linked")),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Files a member's improvement plan with the cycle (the member must be accepted and the
    /// plan the unit's own). Audit `exchange.plan`.
    pub async fn file_exchange_plan(&self, cycle_id: i64, unit_id: i64, plan_id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let owner: Option<Option<i64>> = dispatch!(&mut tx, t => sqlx::query_scalar("SELECT unit_id FROM improvement_plan WHERE id = $1")
            .bind(plan_id).fetch_optional(&mut **t).await?);
        if owner.flatten() != Some(unit_id) {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("plan {plan_id} is not a plan of unit {unit_id}")));
        }
        let changed = dispatch!(&mut tx, t => sqlx::query(
            "UPDATE exchange_member SET plan_id = $3, plan_filed_at = $4, plan_filed_by = $5 WHERE cycle_id = $1 AND unit_id = $2 AND state = 'accepted'")
            .bind(cycle_id).bind(unit_id).bind(plan_id).bind(&now).bind(actor_name(actor)).execute(&mut **t).await?.rows_affected());
        if changed == 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("unit {unit_id} is not a member of exchange cycle {cycle_id}")));
        }
        let entry = AuditEntry {
            action: "exchange.plan".into(),
            unit_id: Some(unit_id),
            detail: Some(format!("exchange cycle {cycle_id}: plan {plan_id} of unit {unit_id} filed")),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The questions of a cycle, oldest first.
    pub async fn exchange_questions(&self, cycle_id: i64) -> Result<Vec<QuestionRow>> {
        let sql = format!("{QUESTION_SELECT} WHERE q.cycle_id = $1 ORDER BY q.id");
        let rows: Vec<QuestionTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(cycle_id).fetch_all(p).await?);
        Ok(rows.into_iter().map(question_from).collect())
    }

    pub async fn exchange_question(&self, id: i64) -> Result<Option<QuestionRow>> {
        let sql = format!("{QUESTION_SELECT} WHERE q.id = $1");
        let row: Option<QuestionTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        Ok(row.map(question_from))
    }

    /// The comments of one question, or of every question of a cycle, in order.
    pub async fn exchange_comments(&self, cycle_id: i64, question_id: Option<i64>) -> Result<Vec<CommentRow>> {
        let sql = match question_id {
            Some(_) => format!("{COMMENT_SELECT} JOIN exchange_question q ON q.id = k.question_id WHERE q.cycle_id = $1 AND q.id = $2 ORDER BY k.id"),
            None => format!("{COMMENT_SELECT} JOIN exchange_question q ON q.id = k.question_id WHERE q.cycle_id = $1 ORDER BY k.question_id, k.id"),
        };
        let rows: Vec<CommentTuple> = dispatch!(&self.backend, p => {
            let q = sqlx::query_as(&sql).bind(cycle_id);
            let q = match question_id { Some(id) => q.bind(id), None => q };
            q.fetch_all(p).await?
        });
        Ok(rows.into_iter().map(comment_from).collect())
    }

    /// Asks a question (state `open`) with its first comment; its id. A conflict when the
    /// cycle is closed or the unit is not an accepted member. Audit `exchange.question`.
    pub async fn add_exchange_question(&self, q: &NewQuestion, actor: &Actor) -> Result<i64> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let state = lock_cycle_tx(&mut tx, q.cycle_id).await?;
        let member = member_tx(&mut tx, q.cycle_id, q.unit_id).await?;
        if state == "closed" || member.as_ref().is_none_or(|(s, _)| s != "accepted") {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("exchange cycle {} is closed, or unit {} is not one of its members", q.cycle_id, q.unit_id)));
        }
        let id: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
            "INSERT INTO exchange_question (cycle_id, unit_id, indicator_code, year, value_shown, state, asked_by_unit_id, created_at, created_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $7) RETURNING id")
            .bind(q.cycle_id).bind(q.unit_id).bind(&q.indicator_code).bind(q.year).bind(q.value_shown).bind(q.asked_by_unit_id)
            .bind(&now).bind(actor_name(actor)).fetch_one(&mut **t).await?);
        let row = question_tx(&mut tx, id).await?;
        comment_tx(&mut tx, &row, q.user_id, q.asked_by_unit_id, "question", &q.body, actor, &now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Adds a comment of `kind` (comment, answer or close) to a question that is not closed,
    /// and moves the question to `new_state` if given; the comment's id. Audit by kind
    /// (`exchange.comment`, `exchange.answer`, `exchange.close`).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_exchange_comment(
        &self,
        question_id: i64,
        user_id: i64,
        author_unit_id: Option<i64>,
        kind: &str,
        body: &str,
        new_state: Option<&str>,
        actor: &Actor,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let q = question_tx(&mut tx, question_id).await?;
        if let Some(s) = new_state {
            let changed = dispatch!(&mut tx, t => sqlx::query(
                "UPDATE exchange_question SET state = $2, updated_at = $3 WHERE id = $1 AND state <> 'closed'")
                .bind(question_id).bind(s).bind(&now).execute(&mut **t).await?.rows_affected());
            if changed == 0 {
                tx.rollback().await?;
                return Err(StoreError::Conflict(format!("exchange question {question_id} is closed")));
            }
        } else if q.state == "closed" {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("exchange question {question_id} is closed")));
        }
        let id = comment_tx(&mut tx, &q, user_id, author_unit_id, kind, body, actor, &now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Starts the correction a question asks for, in one transaction: the unit's submission
    /// to the cycle's campaign is reopened (when it was submitted or approved: see
    /// [`Store::reopen_submission`]), the question goes to `correcting` with the submission's
    /// id, and a `correction` comment is added (audit `reopen` and `exchange.correction`).
    /// A conflict when the question is closed, the cycle has no campaign, or the campaign is
    /// not for the unit.
    pub async fn start_exchange_correction(
        &self,
        question_id: i64,
        user_id: i64,
        body: &str,
        return_comment: &str,
        actor: &Actor,
    ) -> Result<CorrectionStart> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let q = question_tx(&mut tx, question_id).await?;
        if q.state == "closed" {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("exchange question {question_id} is closed")));
        }
        let campaign: Option<Option<i64>> = dispatch!(&mut tx, t => sqlx::query_scalar("SELECT campaign_id FROM exchange_cycle WHERE id = $1")
            .bind(q.cycle_id).fetch_optional(&mut **t).await?);
        let Some(campaign_id) = campaign.flatten() else {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("exchange cycle {} has no campaign", q.cycle_id)));
        };
        let covered: Option<i64> = dispatch!(&mut tx, t => sqlx::query_scalar("SELECT unit_id FROM campaign_unit WHERE campaign_id = $1 AND unit_id = $2")
            .bind(campaign_id).bind(q.unit_id).fetch_optional(&mut **t).await?);
        if covered.is_none() {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("campaign {campaign_id} is not for unit {}", q.unit_id)));
        }
        let sub: Option<(i64, String)> = dispatch!(&mut tx, t => sqlx::query_as("SELECT id, state FROM submission WHERE campaign_id = $1 AND unit_id = $2")
            .bind(campaign_id).bind(q.unit_id).fetch_optional(&mut **t).await?);
        let mut reopened = false;
        if let Some((sid, state)) = &sub
            && (state == "submitted" || state == "approved")
        {
            let detail = format!("exchange question {question_id} (cycle {})", q.cycle_id);
            if let Err(e) = reopen_tx(&mut tx, *sid, return_comment, &detail, actor, &now).await {
                tx.rollback().await?;
                return Err(e);
            }
            reopened = true;
        }
        let submission_id = sub.as_ref().map(|(id, _)| *id);
        dispatch!(&mut tx, t => sqlx::query("UPDATE exchange_question SET state = 'correcting', submission_id = $2, updated_at = $3 WHERE id = $1")
            .bind(question_id).bind(submission_id).bind(&now).execute(&mut **t).await?.rows_affected());
        let q = QuestionRow { submission_id, ..q };
        comment_tx(&mut tx, &q, user_id, Some(q.unit_id), "correction", body, actor, &now).await?;
        tx.commit().await?;
        Ok(CorrectionStart { campaign_id, unit_id: q.unit_id, submission_id, reopened })
    }

    /// Reopens a submission for correction: from submitted or approved — a published one
    /// too, whose `import_id` goes back to NULL so that the corrected values are published
    /// again as a revision — to `returned` with `comment` as the return comment. Audit
    /// `reopen` (with the submission id; `detail` says why, e.g. `exchange question 4`).
    pub async fn reopen_submission(&self, submission_id: i64, comment: &str, detail: &str, actor: &Actor) -> Result<StoredSubmission> {
        let mut tx = self.begin().await?;
        let now = now_text();
        match reopen_tx(&mut tx, submission_id, comment, detail, actor, &now).await {
            Ok(s) => {
                tx.commit().await?;
                Ok(s)
            }
            Err(e) => {
                tx.rollback().await?;
                Err(e)
            }
        }
    }
}
