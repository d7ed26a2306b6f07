//! Service-user surveys (issue 19): the use-cases.
//!
//! A unit surveys the users of one of its services (parents of a school's pupils, clients of
//! the OPS) with a standard question set, through one-time links (tokens) or one open link,
//! and on paper (uploaded as CSV/XLSX). Results become the unit's survey indicators: per
//! question and overall the mean score (1–5) with its t interval and the share satisfied
//! (scores ≥ the set's `satisfied_from` among the answers other than "don't know") with its
//! Wilson interval — computed from the responses, never put into the public snapshot, and
//! never computed at all below the campaign's minimum number of responses.
//!
//! Anonymity: campaigns of one set code and year are compared under letters. [`Viewer`] and
//! [`label`] are the one place that decides whether a campaign's unit is named: to an admin,
//! to the unit's own people (a grant on that unit), and to everyone when the unit
//! consented (`named`). Respondents are anonymous: no address, no token, no time finer than
//! the day is stored with an answer, and answers are not audited.

use std::collections::HashMap;

use model::Date;
use store::Store;
use store::surveys::{AnswerRow, CampaignRow, NewCampaign, ResponseOutcome, ResponseRow, SetRow, SurveyCommentRow};

use crate::AppError;
use crate::accounts::{Action, CurrentUser, hash_token};

pub use ingest::survey::{Answer, PaperError, Question, SurveySet};
pub use store::Actor;

/// The responses below which a campaign's figures are not computed, unless it says.
pub const DEFAULT_MIN_ANSWERS: u32 = 30;
/// The range a campaign's minimum may be set in.
pub const MIN_ANSWERS_RANGE: std::ops::RangeInclusive<u32> = 10..=1000;
/// The most tokens made at once.
pub const MAX_TOKENS: u32 = 5_000;
/// The longest service name, in characters.
pub const MAX_SERVICE_CHARS: usize = 200;

/// The standard question sets shipped with Miernik: (file name, TOML).
pub const STANDARD_SETS: [(&str, &str); 2] = [
    ("catalogue/surveys/szkola.toml", include_str!("../../../catalogue/surveys/szkola.toml")),
    ("catalogue/surveys/ops.toml", include_str!("../../../catalogue/surveys/ops.toml")),
];

/// Who reads survey results, as far as naming units goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Viewer {
    /// An admin: every unit is named.
    pub admin: bool,
    /// Units the user may run surveys on or read unpublished data of: named to them.
    pub own_units: Vec<i64>,
}

impl Viewer {
    /// The viewer of a signed-in user, or of the public (`None`).
    pub fn of(user: Option<&CurrentUser>) -> Viewer {
        let Some(user) = user else { return Viewer::default() };
        if user.is_admin() {
            return Viewer { admin: true, own_units: Vec::new() };
        }
        // The unit's own people: a grant on that very unit. A grant on every unit (a
        // statistics office's verifier or analyst, a coordinator) is not the unit itself, so
        // it sees letters, as the public does.
        let mut own: Vec<i64> = user
            .grants
            .iter()
            .filter(|g| g.role != crate::accounts::Role::Coordinator)
            .filter_map(|g| g.unit_id)
            .filter(|u| user.can(Action::RunSurvey, *u) || user.can(Action::ReadUnpublished, *u))
            .collect();
        own.sort_unstable();
        own.dedup();
        Viewer { admin: false, own_units: own }
    }

    /// Whether `unit_id` is named to this viewer whatever the campaign says.
    pub fn sees(&self, unit_id: i64) -> bool {
        self.admin || self.own_units.contains(&unit_id)
    }
}

/// How a campaign's unit is shown in a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Label {
    Named { unit_id: i64, code: String, name: String, service: String, letter: String },
    Letter(String),
}

impl Label {
    /// The letter, shown either way.
    pub fn letter(&self) -> &str {
        match self {
            Label::Named { letter, .. } | Label::Letter(letter) => letter,
        }
    }
}

/// The label of `c` for `viewer`: named when the viewer sees the unit or the unit consented.
pub fn label(viewer: &Viewer, c: &CampaignView) -> Label {
    if viewer.sees(c.unit_id) || c.named {
        Label::Named {
            unit_id: c.unit_id,
            code: c.unit_code.clone(),
            name: c.unit_name.clone(),
            service: c.service.clone(),
            letter: c.letter.clone(),
        }
    } else {
        Label::Letter(c.letter.clone())
    }
}

/// One version of a question set.
#[derive(Debug, Clone, PartialEq)]
pub struct SetView {
    pub id: i64,
    pub code: String,
    pub version: i64,
    pub set: SurveySet,
    /// The TOML as uploaded (the admin's edit form shows it).
    pub definition: String,
    pub created_at: String,
    pub created_by: String,
}

fn set_view(row: SetRow) -> Result<SetView, AppError> {
    let set = ingest::survey::parse_set(&row.definition, &format!("survey_set {}", row.id))
        .map_err(|e| AppError::Invalid(format!("the stored question set {} v{} no longer reads: {e}", row.code, row.version)))?;
    Ok(SetView {
        id: row.id,
        code: row.code,
        version: row.version,
        set,
        definition: row.definition,
        created_at: row.created_at,
        created_by: row.created_by,
    })
}

/// How respondents reach a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Each respondent gets a one-time link.
    Tokens,
    /// One link for everyone (the portal limits answers per address and hour).
    Open,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Tokens => "tokens",
            Mode::Open => "open",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "tokens" => Some(Mode::Tokens),
            "open" => Some(Mode::Open),
            _ => None,
        }
    }
}

/// What opening a campaign asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignFields {
    pub set_code: String,
    pub unit_id: i64,
    /// The institution surveyed, in words ("SP nr 1 w Kórniku").
    pub service: String,
    pub year: i32,
    pub mode: Mode,
    /// Tokens made now (≤ [`MAX_TOKENS`]; more may be made later).
    pub tokens: u32,
    /// [`DEFAULT_MIN_ANSWERS`] unless said; within [`MIN_ANSWERS_RANGE`].
    pub min_answers: u32,
    pub opens_on: Date,
    /// The last day answers are taken.
    pub closes_on: Date,
    /// The unit agrees to be named in comparisons.
    pub named: bool,
}

/// A campaign as the pages show it.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignView {
    pub id: i64,
    pub set_id: i64,
    pub set_code: String,
    pub set_version: i64,
    /// The version of the set the campaign was opened with.
    pub set: SurveySet,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub service: String,
    pub year: i32,
    pub mode: Mode,
    pub min_answers: u32,
    pub opens_on: Date,
    pub closes_on: Date,
    /// The public link's random part: `/badanie/{slug}`.
    pub slug: String,
    pub letter: String,
    pub named: bool,
    /// Not closed by hand (answers are taken between the dates).
    pub open: bool,
    pub created_at: String,
    pub created_by: String,
    pub closed_at: Option<String>,
    pub responses: u64,
    pub tokens_total: u64,
    pub tokens_used: u64,
    pub comments_pending: u64,
}

impl CampaignView {
    /// Whether an answer is taken on `today`: open, and between the dates.
    pub fn accepts(&self, today: Date) -> Result<(), SurveyError> {
        if !self.open || today > self.closes_on {
            Err(SurveyError::Closed)
        } else if today < self.opens_on {
            Err(SurveyError::NotOpenYet)
        } else {
            Ok(())
        }
    }
}

/// Why an answer was not taken.
#[derive(Debug, thiserror::Error)]
pub enum SurveyError {
    #[error("the survey is closed")]
    Closed,
    #[error("the survey is not open yet")]
    NotOpenYet,
    #[error("this link has been used already")]
    TokenUsed,
    #[error("this link is not valid")]
    TokenUnknown,
    #[error("this survey is answered through personal links")]
    TokenNeeded,
    #[error("{0}")]
    Invalid(String),
    #[error("no such survey")]
    NotFound,
    /// The database failed (or was busy).
    #[error(transparent)]
    Failed(AppError),
}

impl SurveyError {
    /// The reason in Polish.
    pub fn pl(&self) -> String {
        match self {
            SurveyError::Closed => "Ankieta jest zamknięta".into(),
            SurveyError::NotOpenYet => "Ankieta jeszcze się nie rozpoczęła".into(),
            SurveyError::TokenUsed => "Ten link został już wykorzystany".into(),
            SurveyError::TokenUnknown => "Ten link jest nieprawidłowy".into(),
            SurveyError::TokenNeeded => "Na tę ankietę odpowiada się przez osobisty link".into(),
            SurveyError::Invalid(m) => m.clone(),
            SurveyError::NotFound => "Nie ma takiej ankiety".into(),
            SurveyError::Failed(e) => e.to_string(),
        }
    }

    /// The reason in English.
    pub fn en(&self) -> String {
        self.to_string()
    }
}

impl From<AppError> for SurveyError {
    fn from(e: AppError) -> Self {
        SurveyError::Failed(e)
    }
}

impl From<store::StoreError> for SurveyError {
    fn from(e: store::StoreError) -> Self {
        SurveyError::Failed(e.into())
    }
}

/// A free-text remark.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentView {
    pub id: i64,
    pub campaign_id: i64,
    pub body: String,
    /// pending | published | rejected
    pub state: String,
    pub received_on: String,
    pub moderated_at: Option<String>,
    pub moderated_by: Option<String>,
}

impl From<SurveyCommentRow> for CommentView {
    fn from(r: SurveyCommentRow) -> Self {
        CommentView {
            id: r.id,
            campaign_id: r.campaign_id,
            body: r.body,
            state: r.state,
            received_on: r.received_on,
            moderated_at: r.moderated_at,
            moderated_by: r.moderated_by,
        }
    }
}

/// The figures of one question (or, pooled, of all).
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionResult {
    /// The question's code (`overall` for the pooled figures).
    pub code: String,
    pub text_pl: String,
    pub text_en: String,
    /// Answers with a score (respondents with one, for the pooled figures).
    pub n: u64,
    /// "Don't know" answers (respondents with only those, pooled).
    pub dont_know: u64,
    /// The mean score 1–5 and its 95 % interval; `None` below the minimum.
    pub mean: Option<f64>,
    pub mean_lo: Option<f64>,
    pub mean_hi: Option<f64>,
    /// The share satisfied, per cent, and its 95 % Wilson interval; `None` below the minimum.
    pub satisfied_share: Option<f64>,
    pub sat_lo: Option<f64>,
    pub sat_hi: Option<f64>,
}

impl QuestionResult {
    fn empty(code: &str, text_pl: &str, text_en: &str) -> QuestionResult {
        QuestionResult {
            code: code.to_owned(),
            text_pl: text_pl.to_owned(),
            text_en: text_en.to_owned(),
            n: 0,
            dont_know: 0,
            mean: None,
            mean_lo: None,
            mean_hi: None,
            satisfied_share: None,
            sat_lo: None,
            sat_hi: None,
        }
    }
}

/// A campaign's results.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    pub n_responses: u64,
    pub min_answers: u32,
    /// `n_responses ≥ min_answers`: only then are figures computed.
    pub shown: bool,
    pub questions: Vec<QuestionResult>,
    /// All questions pooled per respondent (a respondent's value: the mean of their scores).
    pub overall: QuestionResult,
}

/// One campaign in a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonRow {
    pub label: Label,
    pub letter: String,
    pub n: u64,
    pub shown: bool,
    pub overall: QuestionResult,
    pub questions: Vec<QuestionResult>,
}

/// The campaigns of one set code and year side by side, by letter.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub set_code: String,
    pub year: i32,
    /// The newest version of the set (question texts); `None` when it is gone.
    pub set: Option<SurveySet>,
    pub rows: Vec<ComparisonRow>,
}

/// A (set, year) with campaigns to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComparisonInfo {
    pub set_code: String,
    pub year: i32,
    pub campaigns: u64,
}

// ---------------------------------------------------------------------------------------
// Question sets

/// The newest version of every question set.
pub async fn sets(store: &Store) -> Result<Vec<SetView>, AppError> {
    store.survey_sets().await?.into_iter().map(set_view).collect()
}

/// The newest version of set `code`.
pub async fn set(store: &Store, code: &str) -> Result<Option<SetView>, AppError> {
    store.survey_set(code).await?.map(set_view).transpose()
}

/// Checks and stores a set's TOML as the next version of its code. A set that does not read
/// is `Invalid` with the file and line.
pub async fn add_set(store: &Store, toml: &str, file_name: &str, actor: &Actor) -> Result<SetView, AppError> {
    let parsed = ingest::survey::parse_set(toml, file_name).map_err(|e| AppError::Invalid(e.to_string()))?;
    let row = store.add_survey_set(&parsed.code, &parsed.sector, &parsed.title_pl, toml, actor).await?;
    set_view(row)
}

/// Adds each of [`STANDARD_SETS`] whose code is not stored yet; the codes added.
pub async fn load_standard_sets(store: &Store, actor: &Actor) -> Result<Vec<String>, AppError> {
    let mut added = Vec::new();
    for (file, text) in STANDARD_SETS {
        let parsed = ingest::survey::parse_set(text, file).map_err(|e| AppError::Invalid(e.to_string()))?;
        if store.survey_set(&parsed.code).await?.is_none() {
            add_set(store, text, file, actor).await?;
            added.push(parsed.code);
        }
    }
    Ok(added)
}

// ---------------------------------------------------------------------------------------
// Campaigns

/// `n` random bytes from the system.
fn random_bytes<const N: usize>() -> Result<[u8; N], AppError> {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).map_err(|e| AppError::Invalid(format!("no randomness from the system: {e}")))?;
    Ok(b)
}

/// A one-time token: 24 random bytes as 32 base64url characters.
pub fn new_token() -> Result<String, AppError> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes: [u8; 24] = random_bytes()?;
    let mut out = String::with_capacity(32);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]);
        for shift in [18, 12, 6, 0] {
            out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
        }
    }
    Ok(out)
}

/// A public link's slug: 22 random base62 characters (≈ 131 bits).
pub fn new_slug() -> Result<String, AppError> {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(22);
    while out.len() < 22 {
        let bytes: [u8; 32] = random_bytes()?;
        // 248 = 4 × 62: bytes above it would favour the first letters.
        for b in bytes.into_iter().filter(|b| *b < 248) {
            if out.len() < 22 {
                out.push(char::from(ALPHABET[usize::from(b % 62)]));
            }
        }
    }
    Ok(out)
}

/// Whether `s` could be a token or a slug (so that junk is refused before a hash is made).
fn plausible_key(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn check_fields(f: &CampaignFields) -> Result<(), AppError> {
    let service = f.service.trim();
    if service.is_empty() {
        return Err(AppError::Invalid("service: name the institution surveyed / podaj placówkę".into()));
    }
    if service.chars().count() > MAX_SERVICE_CHARS {
        return Err(AppError::Invalid(format!("service: at most {MAX_SERVICE_CHARS} characters")));
    }
    if !MIN_ANSWERS_RANGE.contains(&f.min_answers) {
        return Err(AppError::Invalid(format!(
            "min_answers: {} is outside {}–{}",
            f.min_answers,
            MIN_ANSWERS_RANGE.start(),
            MIN_ANSWERS_RANGE.end()
        )));
    }
    if f.tokens > MAX_TOKENS {
        return Err(AppError::Invalid(format!("tokens: at most {MAX_TOKENS} at once")));
    }
    if f.closes_on < f.opens_on {
        return Err(AppError::Invalid(format!("closes_on: {} is before opens_on {}", f.closes_on, f.opens_on)));
    }
    if !(2000..=2100).contains(&f.year) {
        return Err(AppError::Invalid(format!("year: {} is not a year of data", f.year)));
    }
    Ok(())
}

/// Makes `n` tokens: (plain, hashes).
fn tokens(n: u32) -> Result<(Vec<String>, Vec<String>), AppError> {
    let plain: Vec<String> = (0..n).map(|_| new_token()).collect::<Result<_, _>>()?;
    let hashes = plain.iter().map(|t| hash_token(t)).collect();
    Ok((plain, hashes))
}

/// Opens a campaign with the newest version of its set; (id, the tokens in plain — shown
/// once, only their hashes are kept). The letter is a random free one of the set code and
/// year. Refused fields are `Invalid`; a set that is not there is `NotFound`.
pub async fn open_campaign(store: &Store, f: &CampaignFields, actor: &Actor) -> Result<(i64, Vec<String>), AppError> {
    check_fields(f)?;
    let set = store.survey_set(&f.set_code).await?.ok_or_else(|| AppError::NotFound(format!("no survey question set `{}`", f.set_code)))?;
    let (plain, hashes) = tokens(f.tokens)?;
    let mut new = NewCampaign {
        set_id: set.id,
        set_code: set.code.clone(),
        unit_id: f.unit_id,
        service: f.service.trim().to_owned(),
        year: i64::from(f.year),
        mode: f.mode.as_str().to_owned(),
        min_answers: i64::from(f.min_answers),
        opens_on: model::format_date(f.opens_on),
        closes_on: model::format_date(f.closes_on),
        slug: new_slug()?,
        named: f.named,
        token_hashes: hashes,
    };
    // Two campaigns of one set and year opened at the same moment may pick one letter: the
    // second then tries again with a fresh pick.
    let mut attempt = 0;
    loop {
        let random = u64::from_le_bytes(random_bytes()?);
        match store.open_survey_campaign(&new, random, actor).await {
            Ok((id, _)) => return Ok((id, plain)),
            Err(store::StoreError::Conflict(_)) if attempt < 4 => {
                attempt += 1;
                new.slug = new_slug()?;
            }
            Err(store::StoreError::Conflict(m)) if m.contains("not found") => return Err(AppError::NotFound(m)),
            Err(e) => return Err(e.into()),
        }
    }
}

async fn campaign_view(store: &Store, row: CampaignRow, sets: &mut HashMap<i64, SetView>) -> Result<CampaignView, AppError> {
    let set = match sets.get(&row.set_id) {
        Some(s) => s.clone(),
        None => {
            let s = store
                .survey_set_by_id(row.set_id)
                .await?
                .map(set_view)
                .transpose()?
                .ok_or_else(|| AppError::NotFound(format!("question set {} of campaign {} is gone", row.set_id, row.id)))?;
            sets.insert(row.set_id, s.clone());
            s
        }
    };
    let unit = store.unit(row.unit_id).await?;
    let (unit_code, unit_name) = unit.map(|u| (u.code.to_string(), u.name)).unwrap_or_else(|| (String::new(), format!("unit {}", row.unit_id)));
    let date = |s: &str| model::parse_date(s).ok_or_else(|| AppError::Store(store::StoreError::Corrupt { what: "date", value: s.to_owned() }));
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(CampaignView {
        id: row.id,
        set_id: row.set_id,
        set_code: row.set_code,
        set_version: set.version,
        set: set.set,
        unit_id: row.unit_id,
        unit_code,
        unit_name,
        service: row.service,
        year: i32::try_from(row.year).unwrap_or(0),
        mode: Mode::parse(&row.mode).ok_or_else(|| AppError::Store(store::StoreError::Corrupt { what: "survey mode", value: row.mode.clone() }))?,
        min_answers: u32::try_from(row.min_answers).unwrap_or(DEFAULT_MIN_ANSWERS),
        opens_on: date(&row.opens_on)?,
        closes_on: date(&row.closes_on)?,
        slug: row.slug,
        letter: row.letter,
        named: row.named,
        open: row.state == "open",
        created_at: row.created_at,
        created_by: row.created_by,
        closed_at: row.closed_at,
        responses: count(row.responses),
        tokens_total: count(row.tokens_total),
        tokens_used: count(row.tokens_used),
        comments_pending: count(row.comments_pending),
    })
}

async fn campaign_views(store: &Store, rows: Vec<CampaignRow>) -> Result<Vec<CampaignView>, AppError> {
    let mut sets = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(campaign_view(store, r, &mut sets).await?);
    }
    Ok(out)
}

/// A unit's campaigns, newest year first.
pub async fn campaigns_of_unit(store: &Store, unit_id: i64) -> Result<Vec<CampaignView>, AppError> {
    campaign_views(store, store.survey_campaigns_of_unit(unit_id).await?).await
}

/// A campaign.
pub async fn campaign(store: &Store, id: i64) -> Result<Option<CampaignView>, AppError> {
    match store.survey_campaign(id).await? {
        Some(r) => Ok(Some(campaign_view(store, r, &mut HashMap::new()).await?)),
        None => Ok(None),
    }
}

/// The campaign of a public link (`None` for junk too).
pub async fn campaign_by_slug(store: &Store, slug: &str) -> Result<Option<CampaignView>, AppError> {
    if !plausible_key(slug) {
        return Ok(None);
    }
    match store.survey_campaign_by_slug(slug).await? {
        Some(r) => Ok(Some(campaign_view(store, r, &mut HashMap::new()).await?)),
        None => Ok(None),
    }
}

/// `n` more tokens for an open campaign (1 ≤ n ≤ [`MAX_TOKENS`]), in plain: shown once.
pub async fn new_tokens(store: &Store, campaign_id: i64, n: u32, actor: &Actor) -> Result<Vec<String>, AppError> {
    if n == 0 || n > MAX_TOKENS {
        return Err(AppError::Invalid(format!("tokens: give 1–{MAX_TOKENS}")));
    }
    let (plain, hashes) = tokens(n)?;
    store.add_survey_tokens(campaign_id, &hashes, actor).await.map_err(not_found_or)?;
    Ok(plain)
}

/// A store conflict saying "not found" as `NotFound`, other conflicts as `Invalid`.
fn not_found_or(e: store::StoreError) -> AppError {
    match e {
        store::StoreError::Conflict(m) if m.contains("not found") => AppError::NotFound(m),
        store::StoreError::Conflict(m) => AppError::Invalid(m),
        e => e.into(),
    }
}

/// Checks a respondent's answers against the campaign's set: every code a question of it
/// (each once), every score 1–5; questions left out are blank. The rows to store, in the
/// set's order.
fn answer_rows(set: &SurveySet, answers: &[(String, Answer)]) -> Result<Vec<AnswerRow>, String> {
    let mut given: Vec<Option<Answer>> = vec![None; set.questions.len()];
    for (code, a) in answers {
        let Some(i) = set.questions.iter().position(|q| &q.code == code) else {
            return Err(format!("`{}` is not a question of this survey", model::excerpt(code, 40)));
        };
        if given[i].is_some() {
            return Err(format!("question `{code}` answered twice"));
        }
        if let Answer::Score(s) = a
            && !(1..=5).contains(s)
        {
            return Err(format!("question `{code}`: {s} is not on the scale 1–5"));
        }
        given[i] = Some(*a);
    }
    Ok(set
        .questions
        .iter()
        .zip(given)
        .map(|(q, a)| {
            let (score, dont_know) = match a.unwrap_or(Answer::Blank) {
                Answer::Score(s) => (Some(i64::from(s)), false),
                Answer::DontKnow => (None, true),
                Answer::Blank => (None, false),
            };
            AnswerRow { question: q.code.clone(), score, dont_know }
        })
        .collect())
}

/// Takes one web answer to the campaign of `slug`: in one transaction the token (if the
/// campaign uses them) is marked used and the answers and the remark (pending moderation)
/// are stored, dated `today`. No address, no token, no time is kept with them. An answer
/// with nothing in it is `Invalid`.
pub async fn answer(
    store: &Store,
    slug: &str,
    token: Option<&str>,
    answers: &[(String, Answer)],
    comment: Option<&str>,
    today: Date,
) -> Result<(), SurveyError> {
    let c = campaign_by_slug(store, slug).await?.ok_or(SurveyError::NotFound)?;
    c.accepts(today)?;
    let token_hash = match (c.mode, token.map(str::trim).filter(|t| !t.is_empty())) {
        (Mode::Tokens, None) => return Err(SurveyError::TokenNeeded),
        (Mode::Tokens, Some(t)) if !plausible_key(t) => return Err(SurveyError::TokenUnknown),
        (Mode::Tokens, Some(t)) => Some(hash_token(t)),
        (Mode::Open, _) => None,
    };
    let rows = answer_rows(&c.set, answers).map_err(SurveyError::Invalid)?;
    let comment = comment.map(str::trim).filter(|t| !t.is_empty());
    if let Some(t) = comment
        && t.chars().count() > ingest::survey::MAX_COMMENT_CHARS
    {
        return Err(SurveyError::Invalid(format!("the remark is longer than {} characters", ingest::survey::MAX_COMMENT_CHARS)));
    }
    let comment = comment.filter(|_| c.set.free_text.is_some());
    if comment.is_none() && rows.iter().all(|r| r.score.is_none() && !r.dont_know) {
        return Err(SurveyError::Invalid("no question was answered".into()));
    }
    match store.record_survey_response(c.id, token_hash.as_deref(), &rows, comment, &model::format_date(today)).await? {
        ResponseOutcome::Recorded => Ok(()),
        ResponseOutcome::Closed => Err(SurveyError::Closed),
        ResponseOutcome::TokenUsed => Err(SurveyError::TokenUsed),
        ResponseOutcome::TokenUnknown => Err(SurveyError::TokenUnknown),
    }
}

/// Reads a file of paper questionnaires against the campaign's set and stores them all, or
/// nothing; how many. A file that does not read is `Invalid` naming file, line, column and
/// the bad text.
pub async fn import_paper(store: &Store, campaign_id: i64, bytes: &[u8], file_name: &str, actor: &Actor) -> Result<usize, AppError> {
    let c = campaign(store, campaign_id).await?.ok_or_else(|| AppError::NotFound(format!("no survey campaign {campaign_id}")))?;
    let rows = ingest::survey::read_paper(bytes, file_name, &c.set).map_err(|e| AppError::Invalid(e.to_string()))?;
    if rows.is_empty() {
        return Err(AppError::Invalid(format!("{file_name}: no questionnaires below the header")));
    }
    let responses: Vec<store::surveys::PaperResponse> = rows
        .into_iter()
        .map(|r| {
            let answers = answer_rows(&c.set, &r.scores).map_err(|m| AppError::Invalid(format!("{file_name}, line {}: {m}", r.line)))?;
            Ok((answers, r.comment.filter(|_| c.set.free_text.is_some())))
        })
        .collect::<Result<_, AppError>>()?;
    let today = time::OffsetDateTime::now_utc().date();
    store.import_survey_paper(campaign_id, file_name, &model::format_date(today), &responses, actor).await.map_err(not_found_or)?;
    Ok(responses.len())
}

/// Publishes or rejects a remark.
pub async fn moderate(store: &Store, comment_id: i64, publish: bool, actor: &Actor) -> Result<(), AppError> {
    store.moderate_survey_comment(comment_id, publish, actor).await.map_err(not_found_or)
}

/// A remark (the web checks it belongs to the campaign in its path).
pub async fn comment(store: &Store, comment_id: i64) -> Result<Option<CommentView>, AppError> {
    Ok(store.survey_comment(comment_id).await?.map(CommentView::from))
}

/// A campaign's remarks, of one state (`pending`, `published`, `rejected`) or all.
pub async fn comments(store: &Store, campaign_id: i64, state: Option<&str>) -> Result<Vec<CommentView>, AppError> {
    Ok(store.survey_comments(campaign_id, state).await?.into_iter().map(CommentView::from).collect())
}

/// Sets whether the unit agrees to be named in comparisons.
pub async fn set_named(store: &Store, campaign_id: i64, named: bool, actor: &Actor) -> Result<(), AppError> {
    store.set_survey_named(campaign_id, named, actor).await.map_err(not_found_or)
}

/// Closes a campaign: no more answers.
pub async fn close(store: &Store, campaign_id: i64, actor: &Actor) -> Result<(), AppError> {
    store.close_survey_campaign(campaign_id, actor).await.map_err(not_found_or)
}

// ---------------------------------------------------------------------------------------
// Results

/// Mean with interval and share satisfied with Wilson interval of `values` (scores, or
/// respondents' mean scores), or nothing when `shown` is false.
fn figures(r: &mut QuestionResult, values: &[f64], satisfied_from: f64, shown: bool) {
    r.n = values.len() as u64;
    if !shown {
        return;
    }
    if let Some((m, lo, hi)) = engine::proportion::mean_ci(values) {
        (r.mean, r.mean_lo, r.mean_hi) = (Some(m), Some(lo.max(1.0)), Some(hi.min(5.0)));
    }
    let satisfied = values.iter().filter(|v| **v >= satisfied_from).count() as u64;
    if let Some((lo, hi)) = engine::proportion::wilson(satisfied, r.n, engine::proportion::Z95) {
        r.satisfied_share = Some(100.0 * satisfied as f64 / r.n as f64);
        (r.sat_lo, r.sat_hi) = (Some(100.0 * lo), Some(100.0 * hi));
    }
}

/// The results of `responses` (one campaign's) for `set`: nothing is computed unless there
/// are at least `min_answers` responses, and a question's figures only when that question
/// itself has at least `min_answers` scores.
pub fn compute_results(set: &SurveySet, min_answers: u32, responses: &[ResponseRow]) -> Results {
    let n_responses = responses.len() as u64;
    let shown = n_responses >= u64::from(min_answers);
    let mut per_q: Vec<Vec<f64>> = vec![Vec::new(); set.questions.len()];
    let mut dont_know = vec![0u64; set.questions.len()];
    let mut respondents: Vec<f64> = Vec::new();
    let mut only_dont_know = 0u64;
    for r in responses {
        let mut sum = 0.0;
        let mut count = 0u32;
        let mut dk = false;
        for a in &r.answers {
            let Some(i) = set.questions.iter().position(|q| q.code == a.question) else { continue };
            if let Some(s) = a.score.filter(|s| (1..=5).contains(s)) {
                per_q[i].push(s as f64);
                sum += s as f64;
                count += 1;
            } else if a.dont_know {
                dont_know[i] += 1;
                dk = true;
            }
        }
        if count > 0 {
            respondents.push(sum / f64::from(count));
        } else if dk {
            only_dont_know += 1;
        }
    }
    let questions = set
        .questions
        .iter()
        .zip(per_q.iter().zip(dont_know))
        .map(|(q, (values, dk))| {
            let mut r = QuestionResult::empty(&q.code, &q.text_pl, &q.text_en);
            r.dont_know = dk;
            figures(&mut r, values, f64::from(set.satisfied_from), shown && values.len() as u64 >= u64::from(min_answers));
            r
        })
        .collect();
    let mut overall = QuestionResult::empty("overall", "Ogółem (średnia odpowiedzi osoby)", "Overall (a respondent's mean answer)");
    overall.dont_know = only_dont_know;
    // A respondent is satisfied overall when their mean answer rounds to `satisfied_from` or
    // more (3.5 for 4): the mean of a person's answers is rarely a whole number, and "all
    // answers 4 or more on average" would call satisfied only those who never answered 3.
    figures(&mut overall, &respondents, f64::from(set.satisfied_from) - 0.5, shown && respondents.len() as u64 >= u64::from(min_answers));
    Results { n_responses, min_answers, shown, questions, overall }
}

/// A campaign's results (figures only from its minimum number of responses).
pub async fn results(store: &Store, campaign_id: i64) -> Result<Results, AppError> {
    let c = campaign(store, campaign_id).await?.ok_or_else(|| AppError::NotFound(format!("no survey campaign {campaign_id}")))?;
    let responses = store.survey_responses(campaign_id).await?;
    Ok(compute_results(&c.set, c.min_answers, &responses))
}

/// Every (set, year) with campaigns: what `/badania` lists.
pub async fn comparisons(store: &Store) -> Result<Vec<ComparisonInfo>, AppError> {
    Ok(store
        .survey_comparisons()
        .await?
        .into_iter()
        .map(|(set_code, year, n)| ComparisonInfo { set_code, year: i32::try_from(year).unwrap_or(0), campaigns: u64::try_from(n).unwrap_or(0) })
        .collect())
}

/// Letters in their order: A … Z, then AA …
fn letter_key(l: &str) -> (usize, &str) {
    (l.len(), l)
}

/// The campaigns of `set_code` in `year` side by side for `viewer`: each by its letter, named
/// only where [`label`] allows; figures only above each campaign's minimum.
pub async fn comparison(store: &Store, set_code: &str, year: i32, viewer: &Viewer) -> Result<Comparison, AppError> {
    let campaigns = campaign_views(store, store.survey_campaigns_of_set(set_code, i64::from(year)).await?).await?;
    let responses = store.survey_responses_of_set(set_code, i64::from(year)).await?;
    let mut by_campaign: HashMap<i64, Vec<ResponseRow>> = HashMap::new();
    for r in responses {
        by_campaign.entry(r.campaign_id).or_default().push(r);
    }
    let set = set(store, set_code).await?.map(|s| s.set);
    let mut rows: Vec<ComparisonRow> = campaigns
        .iter()
        .map(|c| {
            let results = compute_results(&c.set, c.min_answers, by_campaign.get(&c.id).map_or(&[][..], Vec::as_slice));
            ComparisonRow {
                label: label(viewer, c),
                letter: c.letter.clone(),
                n: results.n_responses,
                shown: results.shown,
                overall: results.overall,
                questions: results.questions,
            }
        })
        .collect();
    rows.sort_by(|a, b| letter_key(&a.letter).cmp(&letter_key(&b.letter)));
    Ok(Comparison { set_code: set_code.to_owned(), year, set, rows })
}

fn csv_number(v: Option<f64>, decimals: usize) -> String {
    v.map_or(String::new(), |x| format!("{x:.decimals$}"))
}

/// The comparison as CSV: one row per campaign and question (`overall` first), letters and
/// only the names `label` allowed. Headers in English or Polish.
pub fn comparison_csv(c: &Comparison, english: bool) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let header: [&str; 14] = if english {
        [
            "set",
            "year",
            "letter",
            "unit_code",
            "unit_name",
            "service",
            "responses",
            "question",
            "n",
            "dont_know",
            "mean",
            "mean_lo",
            "mean_hi",
            "satisfied_pct",
        ]
    } else {
        [
            "zestaw",
            "rok",
            "litera",
            "kod_jst",
            "nazwa_jst",
            "placowka",
            "odpowiedzi",
            "pytanie",
            "n",
            "nie_wiem",
            "srednia",
            "srednia_od",
            "srednia_do",
            "zadowoleni_proc",
        ]
    };
    let mut header: Vec<&str> = header.to_vec();
    header.extend(if english { ["satisfied_lo", "satisfied_hi"] } else { ["zadowoleni_od", "zadowoleni_do"] });
    let _ = w.write_record(&header);
    for row in &c.rows {
        let (code, name, service) = match &row.label {
            Label::Named { code, name, service, .. } => (code.as_str(), name.as_str(), service.as_str()),
            Label::Letter(_) => ("", "", ""),
        };
        for q in std::iter::once(&row.overall).chain(&row.questions) {
            let record = [
                c.set_code.clone(),
                c.year.to_string(),
                row.letter.clone(),
                code.to_owned(),
                name.to_owned(),
                service.to_owned(),
                row.n.to_string(),
                q.code.clone(),
                q.n.to_string(),
                q.dont_know.to_string(),
                csv_number(q.mean, 2),
                csv_number(q.mean_lo, 2),
                csv_number(q.mean_hi, 2),
                csv_number(q.satisfied_share, 1),
                csv_number(q.sat_lo, 1),
                csv_number(q.sat_hi, 1),
            ];
            let _ = w.write_record(&record);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_slugs_have_their_length_and_alphabet() {
        let t = new_token().expect("token");
        assert_eq!(t.len(), 32);
        assert!(plausible_key(&t));
        let s = new_slug().expect("slug");
        assert_eq!(s.len(), 22);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(new_token().expect("token"), t);
    }
}
