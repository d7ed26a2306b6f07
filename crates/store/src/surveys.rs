//! Service-user surveys (issue 19): question sets, survey campaigns, one-time tokens,
//! responses without identifiers, paper uploads, moderated free text.
//!
//! Anonymity is kept by what is *not* written: a response row has no address, no token, no
//! user and no time finer than the day, and a token row says only that it was used — nothing
//! ties the two. Answers are therefore not audited one by one (an audit row would carry the
//! time and the address); every other write appends its audit row in its own transaction.

use crate::audit::{Actor, AuditEntry, actor_name, append_tx};
use crate::plans::unique_conflict;
use crate::{Result, Store, StoreError, Tx, dispatch, now_text};

/// One version of a question set, as uploaded.
#[derive(Debug, Clone, PartialEq)]
pub struct SetRow {
    pub id: i64,
    pub code: String,
    pub version: i64,
    pub sector: String,
    pub title: String,
    /// The TOML text.
    pub definition: String,
    pub created_at: String,
    pub created_by: String,
}

/// A survey campaign to open. The letter is picked inside the transaction by `pick_letter`
/// from the letters still free among the campaigns of the same set code and year.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCampaign {
    pub set_id: i64,
    pub set_code: String,
    pub unit_id: i64,
    pub service: String,
    pub year: i64,
    /// tokens | open
    pub mode: String,
    pub min_answers: i64,
    /// YYYY-MM-DD
    pub opens_on: String,
    pub closes_on: String,
    pub slug: String,
    pub named: bool,
    /// SHA-256 (hex) of the one-time tokens made with it.
    pub token_hashes: Vec<String>,
}

/// A stored campaign with its counts.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRow {
    pub id: i64,
    pub set_id: i64,
    pub set_code: String,
    pub unit_id: i64,
    pub service: String,
    pub year: i64,
    pub mode: String,
    pub min_answers: i64,
    pub opens_on: String,
    pub closes_on: String,
    pub slug: String,
    pub letter: String,
    pub named: bool,
    /// open | closed
    pub state: String,
    pub created_at: String,
    pub created_by: String,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    pub responses: i64,
    pub tokens_total: i64,
    pub tokens_used: i64,
    pub comments_pending: i64,
}

/// One answer to store: the question's code, the score (1–5) or none, and "don't know".
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerRow {
    pub question: String,
    pub score: Option<i64>,
    pub dont_know: bool,
}

/// One respondent's answers as read back (no identifier but the row's id).
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseRow {
    pub campaign_id: i64,
    pub response_id: i64,
    pub answers: Vec<AnswerRow>,
}

/// One free-text remark.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyCommentRow {
    pub id: i64,
    pub campaign_id: i64,
    pub body: String,
    /// pending | published | rejected
    pub state: String,
    pub received_on: String,
    pub moderated_at: Option<String>,
    pub moderated_by: Option<String>,
}

/// How a web answer went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseOutcome {
    Recorded,
    /// The campaign is closed (or not there).
    Closed,
    TokenUsed,
    TokenUnknown,
}

/// One paper questionnaire to store: answers and an optional remark.
pub type PaperResponse = (Vec<AnswerRow>, Option<String>);

/// A remark row: id, campaign, body, state, received, moderated at and by.
type CommentTuple = (i64, i64, String, String, String, Option<String>, Option<String>);

const SET_COLUMNS: &str = "id, code, version, sector, title, definition, created_at, created_by";
type SetTuple = (i64, String, i64, String, String, String, String, String);

fn set_from(t: SetTuple) -> SetRow {
    let (id, code, version, sector, title, definition, created_at, created_by) = t;
    SetRow { id, code, version, sector, title, definition, created_at, created_by }
}

const CAMPAIGN_COLUMNS: &str = "c.id, c.set_id, c.set_code, c.unit_id, c.service, c.year, c.mode, c.min_answers, c.opens_on, c.closes_on, \
     c.slug, c.letter, c.named, c.state, c.created_at, c.created_by, c.closed_at, c.closed_by, \
     (SELECT COUNT(*) FROM survey_response r WHERE r.campaign_id = c.id), \
     (SELECT COUNT(*) FROM survey_token t WHERE t.campaign_id = c.id), \
     (SELECT COUNT(*) FROM survey_token t WHERE t.campaign_id = c.id AND t.used = 1), \
     (SELECT COUNT(*) FROM survey_comment m WHERE m.campaign_id = c.id AND m.state = 'pending')";

/// The letter of the `i`-th position in the sequence A … Z, AA, AB, … (bijective base 26).
pub fn letter_of(i: usize) -> String {
    let mut n = i + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        out.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The letters still free among `used`, from the first `max(26, used + 1)` of the sequence:
/// a random pick among them does not tell the order campaigns were opened in.
pub fn free_letters(used: &[String]) -> Vec<String> {
    let pool = 26.max(used.len() + 1);
    (0..pool).map(letter_of).filter(|l| !used.contains(l)).collect()
}

/// A campaign row from a result row (the columns of [`CAMPAIGN_COLUMNS`]).
macro_rules! campaign_of {
    ($r:expr) => {{
        let r = $r;
        CampaignRow {
            id: r.try_get(0)?,
            set_id: r.try_get(1)?,
            set_code: r.try_get(2)?,
            unit_id: r.try_get(3)?,
            service: r.try_get(4)?,
            year: r.try_get(5)?,
            mode: r.try_get(6)?,
            min_answers: r.try_get(7)?,
            opens_on: r.try_get(8)?,
            closes_on: r.try_get(9)?,
            slug: r.try_get(10)?,
            letter: r.try_get(11)?,
            named: r.try_get::<i64, _>(12)? != 0,
            state: r.try_get(13)?,
            created_at: r.try_get(14)?,
            created_by: r.try_get(15)?,
            closed_at: r.try_get(16)?,
            closed_by: r.try_get(17)?,
            responses: r.try_get(18)?,
            tokens_total: r.try_get(19)?,
            tokens_used: r.try_get(20)?,
            comments_pending: r.try_get(21)?,
        }
    }};
}

/// Which campaigns a read covers.
#[derive(Debug, Clone, Copy)]
enum Which<'a> {
    Id(i64),
    Slug(&'a str),
    Unit(i64),
    SetYear(&'a str, i64),
}

impl Which<'_> {
    fn condition(&self) -> &'static str {
        match self {
            Which::Id(_) => "c.id = $1",
            Which::Slug(_) => "c.slug = $1",
            Which::Unit(_) => "c.unit_id = $1",
            Which::SetYear(..) => "c.set_code = $1 AND c.year = $2",
        }
    }
}

/// Inserts one response with its answers (one multi-row insert) and its remark, inside `tx`.
async fn insert_response_tx(
    tx: &mut Tx,
    campaign_id: i64,
    channel: &str,
    upload_id: Option<i64>,
    received_on: &str,
    answers: &[AnswerRow],
    comment: Option<&str>,
) -> Result<()> {
    let response_id: i64 = dispatch!(tx, t => sqlx::query_scalar(
        "INSERT INTO survey_response (campaign_id, channel, upload_id, received_on) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(campaign_id).bind(channel).bind(upload_id).bind(received_on).fetch_one(&mut **t).await?);
    if !answers.is_empty() {
        let values: Vec<String> = (0..answers.len()).map(|i| format!("($1, ${}, ${}, ${})", 2 + i * 3, 3 + i * 3, 4 + i * 3)).collect();
        let sql = format!("INSERT INTO survey_answer (response_id, question, score, dont_know) VALUES {}", values.join(", "));
        dispatch!(tx, t => {
            let mut q = sqlx::query(&sql).bind(response_id);
            for a in answers {
                q = q.bind(a.question.as_str()).bind(a.score).bind(i64::from(a.dont_know));
            }
            q.execute(&mut **t).await.map_err(|e| unique_conflict(e, || "a question answered twice in one response".to_owned())).map(|_| ())?
        });
    }
    if let Some(body) = comment.map(str::trim).filter(|b| !b.is_empty()) {
        dispatch!(tx, t => sqlx::query(
            "INSERT INTO survey_comment (campaign_id, body, state, received_on) VALUES ($1, $2, 'pending', $3)")
            .bind(campaign_id).bind(body).bind(received_on).execute(&mut **t).await.map(|_| ())?);
    }
    Ok(())
}

/// Inserts token hashes of a campaign inside `tx`.
async fn insert_tokens_tx(tx: &mut Tx, campaign_id: i64, hashes: &[String]) -> Result<()> {
    for chunk in hashes.chunks(200) {
        let values: Vec<String> = (0..chunk.len()).map(|i| format!("($1, ${}, 0)", i + 2)).collect();
        let sql = format!("INSERT INTO survey_token (campaign_id, token_hash, used) VALUES {}", values.join(", "));
        dispatch!(tx, t => {
            let mut q = sqlx::query(&sql).bind(campaign_id);
            for h in chunk {
                q = q.bind(h.as_str());
            }
            q.execute(&mut **t).await.map_err(|e| unique_conflict(e, || "a token made twice; try again".to_owned())).map(|_| ())?
        });
    }
    Ok(())
}

/// The unit and state of a campaign inside `tx`; a conflict when there is none.
async fn campaign_head_tx(tx: &mut Tx, campaign_id: i64) -> Result<(i64, i64, String, bool)> {
    let row: Option<(i64, i64, String, i64)> = dispatch!(tx, t => sqlx::query_as(
        "SELECT unit_id, year, state, named FROM survey_campaign WHERE id = $1").bind(campaign_id).fetch_optional(&mut **t).await?);
    let (unit, year, state, named) = row.ok_or_else(|| StoreError::Conflict(format!("survey campaign {campaign_id} not found")))?;
    Ok((unit, year, state, named != 0))
}

impl Store {
    /// Stores a new version of question set `code` (version 1 when the code is new); the
    /// row. Audit `survey.set`.
    pub async fn add_survey_set(&self, code: &str, sector: &str, title: &str, definition: &str, actor: &Actor) -> Result<SetRow> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let version: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM survey_set WHERE code = $1").bind(code).fetch_one(&mut **t).await?);
        let sql = format!(
            "INSERT INTO survey_set (code, version, sector, title, definition, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {SET_COLUMNS}"
        );
        let row: SetTuple = dispatch!(&mut tx, t => sqlx::query_as(&sql)
            .bind(code).bind(version).bind(sector).bind(title).bind(definition).bind(&now).bind(actor_name(actor))
            .fetch_one(&mut **t).await
            .map_err(|e| unique_conflict(e, || format!("set {code} got a new version at the same moment; reload and try again")))?);
        let entry = AuditEntry {
            action: "survey.set".into(),
            detail: Some(format!("survey set {code} version {version} ({sector}): {}", crate::plans::quoted(title))),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(set_from(row))
    }

    /// The newest version of every question set, by code.
    pub async fn survey_sets(&self) -> Result<Vec<SetRow>> {
        let sql = format!(
            "SELECT {SET_COLUMNS} FROM survey_set s WHERE version = (SELECT MAX(version) FROM survey_set x WHERE x.code = s.code) ORDER BY code"
        );
        let rows: Vec<SetTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).fetch_all(p).await?);
        Ok(rows.into_iter().map(set_from).collect())
    }

    /// The newest version of question set `code`.
    pub async fn survey_set(&self, code: &str) -> Result<Option<SetRow>> {
        let sql = format!("SELECT {SET_COLUMNS} FROM survey_set WHERE code = $1 ORDER BY version DESC LIMIT 1");
        let row: Option<SetTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(code).fetch_optional(p).await?);
        Ok(row.map(set_from))
    }

    /// One version of a question set, by id (the version a campaign was opened with).
    pub async fn survey_set_by_id(&self, id: i64) -> Result<Option<SetRow>> {
        let sql = format!("SELECT {SET_COLUMNS} FROM survey_set WHERE id = $1");
        let row: Option<SetTuple> = dispatch!(&self.backend, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        Ok(row.map(set_from))
    }

    /// Opens a campaign with its tokens; (id, letter). The letter is the `random`-th (modulo)
    /// of the letters still free for the set code and year ([`free_letters`]); two campaigns
    /// opened at once may pick the same one: the loser is a conflict (the caller tries again).
    /// A conflict too when the unit is not there. Audit `survey.campaign`.
    pub async fn open_survey_campaign(&self, c: &NewCampaign, random: u64, actor: &Actor) -> Result<(i64, String)> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let unit: Option<i64> =
            dispatch!(&mut tx, t => sqlx::query_scalar("SELECT id FROM unit WHERE id = $1").bind(c.unit_id).fetch_optional(&mut **t).await?);
        if unit.is_none() {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("unit {} not found", c.unit_id)));
        }
        let used: Vec<String> = dispatch!(&mut tx, t => sqlx::query_scalar(
            "SELECT letter FROM survey_campaign WHERE set_code = $1 AND year = $2")
            .bind(&c.set_code).bind(c.year).fetch_all(&mut **t).await?);
        let free = free_letters(&used);
        let letter = free[(random % free.len() as u64) as usize].clone();
        let inserted: std::result::Result<i64, StoreError> = dispatch!(&mut tx, t => sqlx::query_scalar(
            "INSERT INTO survey_campaign (set_id, set_code, unit_id, service, year, mode, min_answers, opens_on, closes_on, slug, \
             letter, named, state, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', $13, $14) RETURNING id")
            .bind(c.set_id).bind(&c.set_code).bind(c.unit_id).bind(&c.service).bind(c.year).bind(&c.mode).bind(c.min_answers)
            .bind(&c.opens_on).bind(&c.closes_on).bind(&c.slug).bind(&letter).bind(i64::from(c.named)).bind(&now).bind(actor_name(actor))
            .fetch_one(&mut **t).await
            .map_err(|e| unique_conflict(e, || "another campaign of this set and year was opened at the same moment; try again".to_owned())));
        // Rolled back at once, not when the dropped transaction gets to it: on SQLite its
        // write lock would otherwise refuse the next writer (SQLITE_BUSY without waiting).
        let id = match inserted {
            Ok(id) => id,
            Err(e) => {
                tx.rollback().await?;
                return Err(e);
            }
        };
        insert_tokens_tx(&mut tx, id, &c.token_hashes).await?;
        let entry = AuditEntry {
            action: "survey.campaign".into(),
            unit_id: Some(c.unit_id),
            year: Some(c.year),
            detail: Some(format!(
                "survey campaign {id}: set {}, {}, mode {}, {} tokens, min {} answers, {} to {}{}",
                c.set_code,
                crate::plans::quoted(&c.service),
                c.mode,
                c.token_hashes.len(),
                c.min_answers,
                c.opens_on,
                c.closes_on,
                if c.named { ", named" } else { "" }
            )),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok((id, letter))
    }

    async fn survey_campaigns_where(&self, which: Which<'_>) -> Result<Vec<CampaignRow>> {
        use sqlx::Row;
        let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM survey_campaign c WHERE {} ORDER BY c.year DESC, c.id DESC", which.condition());
        let rows = dispatch!(&self.backend, p => {
            let q = sqlx::query(&sql);
            let q = match which {
                Which::Id(i) | Which::Unit(i) => q.bind(i),
                Which::Slug(s) => q.bind(s),
                Which::SetYear(s, y) => q.bind(s).bind(y),
            };
            q.fetch_all(p).await?.iter().map(|r| Ok(campaign_of!(r))).collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// A campaign with its counts.
    pub async fn survey_campaign(&self, id: i64) -> Result<Option<CampaignRow>> {
        Ok(self.survey_campaigns_where(Which::Id(id)).await?.into_iter().next())
    }

    /// The campaign of a public link.
    pub async fn survey_campaign_by_slug(&self, slug: &str) -> Result<Option<CampaignRow>> {
        Ok(self.survey_campaigns_where(Which::Slug(slug)).await?.into_iter().next())
    }

    /// A unit's campaigns, newest year first.
    pub async fn survey_campaigns_of_unit(&self, unit_id: i64) -> Result<Vec<CampaignRow>> {
        self.survey_campaigns_where(Which::Unit(unit_id)).await
    }

    /// The campaigns of one set code and year (one comparison).
    pub async fn survey_campaigns_of_set(&self, set_code: &str, year: i64) -> Result<Vec<CampaignRow>> {
        self.survey_campaigns_where(Which::SetYear(set_code, year)).await
    }

    /// Every (set code, year) with campaigns, and how many: newest year first.
    pub async fn survey_comparisons(&self) -> Result<Vec<(String, i64, i64)>> {
        let rows: Vec<(String, i64, i64)> = dispatch!(&self.backend, p => sqlx::query_as(
            "SELECT set_code, year, COUNT(*) FROM survey_campaign GROUP BY set_code, year ORDER BY year DESC, set_code")
            .fetch_all(p).await?);
        Ok(rows)
    }

    /// More one-time tokens for a campaign (their SHA-256 hashes). A conflict when the
    /// campaign is not there or closed. Audit `survey.tokens`.
    pub async fn add_survey_tokens(&self, campaign_id: i64, hashes: &[String], actor: &Actor) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let (unit_id, year, state, _) = campaign_head_tx(&mut tx, campaign_id).await?;
        if state != "open" {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("survey campaign {campaign_id} is closed")));
        }
        insert_tokens_tx(&mut tx, campaign_id, hashes).await?;
        let entry = AuditEntry {
            action: "survey.tokens".into(),
            unit_id: Some(unit_id),
            year: Some(year),
            detail: Some(format!("survey campaign {campaign_id}: {} more tokens", hashes.len())),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records one web answer in one transaction: the token (if any) marked used, the
    /// response, its answers and its remark (pending moderation). Nothing but the day is
    /// kept of when, and nothing of who: no audit row. The campaign must be open; whether its
    /// dates and mode admit the answer is the caller's check.
    pub async fn record_survey_response(
        &self,
        campaign_id: i64,
        token_hash: Option<&str>,
        answers: &[AnswerRow],
        comment: Option<&str>,
        received_on: &str,
    ) -> Result<ResponseOutcome> {
        let mut tx = self.begin().await?;
        let state: Option<String> = dispatch!(&mut tx, t => sqlx::query_scalar("SELECT state FROM survey_campaign WHERE id = $1")
            .bind(campaign_id).fetch_optional(&mut **t).await?);
        if state.as_deref() != Some("open") {
            tx.rollback().await?;
            return Ok(ResponseOutcome::Closed);
        }
        if let Some(hash) = token_hash {
            let done = dispatch!(&mut tx, t => sqlx::query(
                "UPDATE survey_token SET used = 1 WHERE campaign_id = $1 AND token_hash = $2 AND used = 0")
                .bind(campaign_id).bind(hash).execute(&mut **t).await?.rows_affected());
            if done == 0 {
                let known: Option<i64> = dispatch!(&mut tx, t => sqlx::query_scalar(
                    "SELECT used FROM survey_token WHERE campaign_id = $1 AND token_hash = $2")
                    .bind(campaign_id).bind(hash).fetch_optional(&mut **t).await?);
                tx.rollback().await?;
                return Ok(if known.is_some() { ResponseOutcome::TokenUsed } else { ResponseOutcome::TokenUnknown });
            }
        }
        insert_response_tx(&mut tx, campaign_id, "web", None, received_on, answers, comment).await?;
        tx.commit().await?;
        Ok(ResponseOutcome::Recorded)
    }

    /// Stores a file of paper questionnaires, all or none; the upload's id. A conflict when
    /// the campaign is not there. Audit `survey.paper`.
    pub async fn import_survey_paper(
        &self,
        campaign_id: i64,
        file_name: &str,
        received_on: &str,
        responses: &[PaperResponse],
        actor: &Actor,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let (unit_id, year, _, _) = campaign_head_tx(&mut tx, campaign_id).await?;
        let count = i64::try_from(responses.len()).unwrap_or(i64::MAX);
        let upload_id: i64 = dispatch!(&mut tx, t => sqlx::query_scalar(
            "INSERT INTO survey_upload (campaign_id, file_name, responses, created_at, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(campaign_id).bind(file_name).bind(count).bind(&now).bind(actor_name(actor)).fetch_one(&mut **t).await?);
        for (answers, comment) in responses {
            insert_response_tx(&mut tx, campaign_id, "paper", Some(upload_id), received_on, answers, comment.as_deref()).await?;
        }
        let entry = AuditEntry {
            action: "survey.paper".into(),
            unit_id: Some(unit_id),
            year: Some(year),
            detail: Some(format!("survey campaign {campaign_id}: {count} paper questionnaires from {}", crate::plans::quoted(file_name))),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(upload_id)
    }

    /// Every response of a campaign with its answers, by response id.
    pub async fn survey_responses(&self, campaign_id: i64) -> Result<Vec<ResponseRow>> {
        self.responses_where("r.campaign_id = $1", campaign_id, None).await
    }

    /// Every response of the campaigns of one set code and year, by campaign then response.
    pub async fn survey_responses_of_set(&self, set_code: &str, year: i64) -> Result<Vec<ResponseRow>> {
        self.responses_where("c.year = $1 AND c.set_code = $2", year, Some(set_code)).await
    }

    /// Responses and answers where `condition` holds over `$1` (and `$2` when given).
    async fn responses_where(&self, condition: &str, first: i64, second: Option<&str>) -> Result<Vec<ResponseRow>> {
        let sql = format!(
            "SELECT r.campaign_id, r.id, a.question, a.score, a.dont_know FROM survey_response r \
             JOIN survey_campaign c ON c.id = r.campaign_id JOIN survey_answer a ON a.response_id = r.id \
             WHERE {condition} ORDER BY r.campaign_id, r.id, a.question"
        );
        let rows: Vec<(i64, i64, String, Option<i64>, i64)> = dispatch!(&self.backend, p => {
            let q = sqlx::query_as(&sql).bind(first);
            let q = match second { Some(s) => q.bind(s), None => q };
            q.fetch_all(p).await?
        });
        let mut out: Vec<ResponseRow> = Vec::new();
        for (campaign_id, response_id, question, score, dont_know) in rows {
            let answer = AnswerRow { question, score, dont_know: dont_know != 0 };
            match out.last_mut() {
                Some(last) if last.response_id == response_id => last.answers.push(answer),
                _ => out.push(ResponseRow { campaign_id, response_id, answers: vec![answer] }),
            }
        }
        Ok(out)
    }

    /// A campaign's remarks (of one state, or all), oldest first.
    pub async fn survey_comments(&self, campaign_id: i64, state: Option<&str>) -> Result<Vec<SurveyCommentRow>> {
        let rows: Vec<CommentTuple> = dispatch!(&self.backend, p => sqlx::query_as(
            "SELECT id, campaign_id, body, state, received_on, moderated_at, moderated_by FROM survey_comment \
             WHERE campaign_id = $1 AND ($2 IS NULL OR state = $2) ORDER BY id")
            .bind(campaign_id).bind(state).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|(id, campaign_id, body, state, received_on, moderated_at, moderated_by)| SurveyCommentRow {
                id,
                campaign_id,
                body,
                state,
                received_on,
                moderated_at,
                moderated_by,
            })
            .collect())
    }

    /// One remark.
    pub async fn survey_comment(&self, id: i64) -> Result<Option<SurveyCommentRow>> {
        let row: Option<i64> = dispatch!(&self.backend, p => sqlx::query_scalar("SELECT campaign_id FROM survey_comment WHERE id = $1").bind(id).fetch_optional(p).await?);
        let Some(campaign_id) = row else { return Ok(None) };
        Ok(self.survey_comments(campaign_id, None).await?.into_iter().find(|c| c.id == id))
    }

    /// Publishes or rejects a remark (a published one may be rejected later, and back). A
    /// conflict when there is no such remark or it is in that state already. Audit
    /// `survey.moderate`.
    pub async fn moderate_survey_comment(&self, comment_id: i64, publish: bool, actor: &Actor) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let state = if publish { "published" } else { "rejected" };
        let row: Option<i64> = dispatch!(&mut tx, t => sqlx::query_scalar(
            "UPDATE survey_comment SET state = $2, moderated_at = $3, moderated_by = $4 WHERE id = $1 AND state <> $2 RETURNING campaign_id")
            .bind(comment_id).bind(state).bind(&now).bind(actor_name(actor)).fetch_optional(&mut **t).await?);
        let Some(campaign_id) = row else {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("remark {comment_id} not found or already {state}")));
        };
        let (unit_id, year, _, _) = campaign_head_tx(&mut tx, campaign_id).await?;
        let entry = AuditEntry {
            action: "survey.moderate".into(),
            unit_id: Some(unit_id),
            year: Some(year),
            detail: Some(format!("survey campaign {campaign_id}: remark {comment_id} {state}")),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets whether the unit agrees to be named in comparisons; nothing is written when it
    /// already says so. A conflict when there is no such campaign. Audit `survey.named`.
    pub async fn set_survey_named(&self, campaign_id: i64, named: bool, actor: &Actor) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let (unit_id, year, _, was) = campaign_head_tx(&mut tx, campaign_id).await?;
        if was == named {
            tx.rollback().await?;
            return Ok(());
        }
        dispatch!(&mut tx, t => sqlx::query("UPDATE survey_campaign SET named = $2 WHERE id = $1")
            .bind(campaign_id).bind(i64::from(named)).execute(&mut **t).await.map(|_| ())?);
        let entry = AuditEntry {
            action: "survey.named".into(),
            unit_id: Some(unit_id),
            year: Some(year),
            detail: Some(format!("survey campaign {campaign_id}: {}", if named { "named in comparisons" } else { "no longer named" })),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Closes a campaign: no more answers. A conflict when it is not there or closed already.
    /// Audit `survey.close`.
    pub async fn close_survey_campaign(&self, campaign_id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = now_text();
        let (unit_id, year, state, _) = campaign_head_tx(&mut tx, campaign_id).await?;
        if state != "open" {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("survey campaign {campaign_id} is closed already")));
        }
        dispatch!(&mut tx, t => sqlx::query("UPDATE survey_campaign SET state = 'closed', closed_at = $2, closed_by = $3 WHERE id = $1")
            .bind(campaign_id).bind(&now).bind(actor_name(actor)).execute(&mut **t).await.map(|_| ())?);
        let entry = AuditEntry {
            action: "survey.close".into(),
            unit_id: Some(unit_id),
            year: Some(year),
            detail: Some(format!("survey campaign {campaign_id} closed")),
            ..Default::default()
        };
        append_tx(&mut tx, actor, &now, &entry).await?;
        tx.commit().await?;
        Ok(())
    }
}
