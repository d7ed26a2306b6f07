//! Data collection campaigns, the use-cases the web pages and the CLI share: adding a form
//! definition and a campaign, the data-entry view of one unit (saved answers, last year's
//! values, the peer median, findings), saving and submitting, withdrawing, verification
//! (return with a comment, approve), publication on the campaign's date, the verifier's
//! queue, the dashboard (and its CSV) and the approved values not yet published.
//!
//! Who may do what is decided by the caller (`CurrentUser::can`); every function that
//! writes takes the [`Actor`] the audit log records. Approved values stay in
//! `submission_value` until published: only [`pending_values`] reads them for anyone else.

use std::collections::{HashMap, HashSet};

use ingest::form::{FormDef, FormError};
use model::{Date, TerytCode, UnitKind};
use store::{FieldValue, NewCampaignRow, Store, StoreError, StoredCampaign};

use crate::AppError;
use crate::accounts::Scope;
use crate::form_check::{CheckContext, Entry, Finding, Severity};

pub use store::{Actor, SubmissionState};

/// The largest form definition read (bytes).
pub const MAX_FORM_BYTES: u64 = ingest::form::MAX_FORM_BYTES;

/// A refusal of a campaign use-case, worded at each edge: [`CampaignError::pl`] and
/// [`CampaignError::en`] for the web, `Display` (English) for the CLI.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CampaignError {
    #[error("no campaign {0}")]
    NoCampaign(i64),
    #[error("no form `{0}`; add it first (miernik campaign form FILE)")]
    NoForm(String),
    /// The stored definition of a form no longer parses (e.g. a variable was renamed).
    #[error("{0}")]
    Form(FormError),
    #[error("unit {unit} is not in campaign {campaign_id}")]
    NotInCampaign { campaign_id: i64, unit: String },
    #[error("unknown units or groups: {}", .0.join(", "))]
    UnknownUnits(Vec<String>),
    #[error("a campaign needs at least one unit")]
    NoUnits,
    #[error("a campaign needs a name")]
    EmptyName,
    #[error("year {0} is out of range")]
    BadYear(i64),
    #[error("the publication date {publish_on} is before the deadline {deadline}")]
    PublishBeforeDeadline { deadline: String, publish_on: String },
    #[error("the submission is {0}; only a draft or a returned one can be changed")]
    NotEditable(SubmissionState),
    #[error("nothing was submitted{}", .0.map(|s| format!(" (the submission is {s})")).unwrap_or_default())]
    NotSubmitted(Option<SubmissionState>),
    #[error("returning a submission needs a comment saying what to fix")]
    ReturnNeedsComment,
    #[error("field `{0}` is not in the form")]
    UnknownField(String),
    /// Someone else changed the submission first (another verifier approved it, say).
    #[error("{0}; reload and look again")]
    Conflict(String),
    /// An uploaded file that is not the form's XLSX template.
    #[error("{en}")]
    Upload { pl: String, en: String },
}

impl CampaignError {
    /// Polish wording, for web pages (names no CLI command).
    pub fn pl(&self) -> String {
        match self {
            CampaignError::NoCampaign(id) => format!("nie ma ankiety {id}"),
            CampaignError::NoForm(code) => format!("nie ma formularza „{code}”; najpierw dodaj jego definicję"),
            CampaignError::Form(e) => format!("definicja formularza: {e}"),
            CampaignError::NotInCampaign { campaign_id, unit } => format!("jednostka {unit} nie bierze udziału w ankiecie {campaign_id}"),
            CampaignError::UnknownUnits(u) => format!("nieznane jednostki lub grupy: {}", u.join(", ")),
            CampaignError::NoUnits => "ankieta musi obejmować co najmniej jedną jednostkę".into(),
            CampaignError::EmptyName => "ankieta musi mieć nazwę".into(),
            CampaignError::BadYear(y) => format!("rok {y} jest poza zakresem"),
            CampaignError::PublishBeforeDeadline { deadline, publish_on } => {
                format!("data publikacji {publish_on} jest wcześniejsza niż termin {deadline}")
            }
            CampaignError::NotEditable(s) => format!("ankieta jest {}; zmieniać można tylko wersję roboczą lub zwróconą", state_pl(*s)),
            CampaignError::NotSubmitted(s) => match s {
                Some(s) => format!("ankieta nie czeka na weryfikację (jest {})", state_pl(*s)),
                None => "ankieta nie została jeszcze wysłana".into(),
            },
            CampaignError::ReturnNeedsComment => "zwrot wymaga komentarza: napisz, co poprawić".into(),
            CampaignError::UnknownField(f) => format!("pole „{f}” nie należy do formularza"),
            CampaignError::Conflict(_) => "ktoś inny zmienił tę ankietę w międzyczasie; odśwież stronę i sprawdź jej stan".into(),
            CampaignError::Upload { pl, .. } => pl.clone(),
        }
    }

    /// English wording, for web pages.
    pub fn en(&self) -> String {
        match self {
            CampaignError::NoForm(code) => format!("no form `{code}`; add its definition first"),
            CampaignError::Form(e) => format!("form definition: {e}"),
            CampaignError::Conflict(_) => "someone else changed this submission meanwhile; reload the page and check its state".into(),
            e => e.to_string(),
        }
    }
}

impl From<CampaignError> for AppError {
    fn from(e: CampaignError) -> Self {
        AppError::Campaign(e)
    }
}

/// A store error, with a lost race said as [`CampaignError::Conflict`].
fn store_err(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(m) => CampaignError::Conflict(m).into(),
        e => e.into(),
    }
}

/// A submission state in Polish (as an adjective after "jest").
pub fn state_pl(s: SubmissionState) -> &'static str {
    match s {
        SubmissionState::Draft => "wersją roboczą",
        SubmissionState::Submitted => "wysłana do weryfikacji",
        SubmissionState::Returned => "zwrócona do poprawy",
        SubmissionState::Approved => "zatwierdzona",
    }
}

/// A state's short label (PL, EN), for tables; `None` (not started) is "nie rozpoczęto".
pub fn state_label(s: Option<SubmissionState>) -> (&'static str, &'static str) {
    match s {
        None => ("nie rozpoczęto", "not started"),
        Some(SubmissionState::Draft) => ("wersja robocza", "draft"),
        Some(SubmissionState::Submitted) => ("wysłana", "submitted"),
        Some(SubmissionState::Returned) => ("zwrócona", "returned"),
        Some(SubmissionState::Approved) => ("zatwierdzona", "approved"),
    }
}

/// A stored form version.
#[derive(Debug, Clone, PartialEq)]
pub struct FormInfo {
    pub id: i64,
    pub code: String,
    pub version: i64,
    pub title_pl: String,
    pub title_en: String,
    pub fields: usize,
    pub rules: usize,
}

/// Which form a new campaign uses: the newest version of a code, or one stored version.
#[derive(Debug, Clone, PartialEq)]
pub enum FormRef {
    Code(String),
    Id(i64),
}

/// A campaign to create. `units`: TERYT codes of current units or codes of custom groups
/// (every member), in any mix.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCampaign {
    pub form: FormRef,
    pub name: String,
    pub year: i64,
    pub deadline: Date,
    pub publish_on: Date,
    pub units: Vec<String>,
}

/// A campaign as the pages show it.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignInfo {
    pub id: i64,
    pub name: String,
    pub year: i64,
    pub deadline: Date,
    pub publish_on: Date,
    pub form_id: i64,
    pub form_code: String,
    pub form_version: i64,
    pub form_title: String,
    pub units: i64,
    pub created_at: String,
    pub created_by: String,
}

fn campaign_info(c: StoredCampaign) -> Result<CampaignInfo, AppError> {
    let date = |s: &str| model::parse_date(s).ok_or_else(|| AppError::Store(StoreError::Corrupt { what: "campaign date", value: s.to_owned() }));
    Ok(CampaignInfo {
        id: c.id,
        deadline: date(&c.deadline)?,
        publish_on: date(&c.publish_on)?,
        name: c.name,
        year: c.year,
        form_id: c.form_id,
        form_code: c.form_code,
        form_version: c.form_version,
        form_title: c.form_title,
        units: c.units,
        created_at: c.created_at,
        created_by: c.created_by,
    })
}

/// The peer group whose median stands beside each field.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerInfo {
    pub label_pl: String,
    pub label_en: String,
    /// Units of the group other than this one.
    pub size: usize,
}

/// Everything the data-entry page (and the XLSX template) shows for one unit.
#[derive(Debug, Clone)]
pub struct EntryView {
    pub campaign: CampaignInfo,
    pub form: FormDef,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub submission_id: Option<i64>,
    /// `None`: nothing saved yet (a draft when first saved).
    pub state: Option<SubmissionState>,
    /// Approved and already made observations.
    pub published: bool,
    /// The verifier's comment of the last return.
    pub return_comment: Option<String>,
    /// The saved answers, one per form field in the form's order (empty where nothing saved).
    pub entries: Vec<Entry>,
    /// Each field variable's value in the year before the campaign's, where known.
    pub last_year: HashMap<String, f64>,
    /// The median of each field variable in the year before the campaign's over the unit's
    /// typology group: units of the same kind (gmina miejska, wiejska, miejsko-wiejska, miasto
    /// na prawach powiatu, powiat…) and the same population class that year (the classes of
    /// [`crate::groups::population_class`]), the unit itself left out; the whole kind when its
    /// population is unknown.
    pub peer_median: HashMap<String, f64>,
    pub peer_group: PeerInfo,
    /// The findings of the saved answers (as on submission once it was submitted).
    pub findings: Vec<Finding>,
    /// Whether the unit may edit it now (not started, draft or returned).
    pub editable: bool,
    /// Past the deadline and not submitted (or submitted after it).
    pub late: bool,
}

/// What the data-entry user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Draft,
    Submit,
}

/// What [`save`] did.
#[derive(Debug, Clone)]
pub struct SaveOutcome {
    pub findings: Vec<Finding>,
    pub state: SubmissionState,
    /// Whether it went to verification. A submission refused because of findings is saved
    /// as a draft (`submitted == false`, the findings say why).
    pub submitted: bool,
    /// Fields whose saved value, text or comment changed.
    pub changed: Vec<String>,
}

/// A verifier's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Return(String),
}

/// What [`verify`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyOutcome {
    pub state: SubmissionState,
    /// The import that published the values, when approved on or after the publication date.
    pub published_import: Option<i64>,
}

/// A submission waiting for verification.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueItem {
    pub campaign_id: i64,
    pub campaign_name: String,
    pub year: i64,
    pub submission_id: i64,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub submitted_at: Option<String>,
    pub warnings: usize,
    pub errors: usize,
}

/// A row of a campaign's dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct DashboardRow {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    /// `None`: not started.
    pub state: Option<SubmissionState>,
    pub published: bool,
    /// Submitted after the deadline, or not submitted (nor approved) and the deadline passed.
    pub late: bool,
    pub submitted_at: Option<String>,
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
}

/// An approved value not yet published (the private overlay's input).
#[derive(Debug, Clone, PartialEq)]
pub struct PendingValue {
    pub unit_id: i64,
    pub variable_code: String,
    pub year: i64,
    pub value: f64,
    pub campaign_id: i64,
}

/// Today in UTC.
pub fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// One typed answer: the text parsed as a Polish or English number (`1 234,5`, `1234.5`),
/// kept as typed when it is not a number; empty text is no value. An empty comment is none.
pub fn entry_from_input(variable: &str, text: &str, comment: Option<&str>) -> Entry {
    Entry::typed(variable, text, comment)
}

/// Parses a form definition (refusing variables the store's catalogue lacks) and stores it as
/// the next version of its code.
pub async fn add_form(store: &Store, actor: &Actor, text: &str, file_name: &str) -> Result<FormInfo, AppError> {
    let known: HashSet<String> = store.variables().await?.into_iter().map(|v| v.code).collect();
    let form = ingest::form::parse_form_checked(text, file_name, &|c| known.contains(c)).map_err(CampaignError::Form)?;
    let (id, version) = store.add_form(&form.code, &form.title_pl, text, actor).await?;
    Ok(FormInfo {
        id,
        code: form.code.clone(),
        version,
        title_pl: form.title_pl.clone(),
        title_en: form.title_en.clone(),
        fields: form.fields.len(),
        rules: form.rules.len(),
    })
}

/// Every stored form version, by code and version.
pub async fn forms(store: &Store) -> Result<Vec<FormInfo>, AppError> {
    let mut out = Vec::new();
    for f in store.forms().await? {
        let def = parse_stored(&f.definition, &f.code, f.version)?;
        out.push(FormInfo {
            id: f.id,
            code: f.code,
            version: f.version,
            title_pl: def.title_pl,
            title_en: def.title_en,
            fields: def.fields.len(),
            rules: def.rules.len(),
        });
    }
    Ok(out)
}

fn parse_stored(text: &str, code: &str, version: i64) -> Result<FormDef, AppError> {
    ingest::form::parse_form(text, &format!("form {code} v{version}")).map_err(|e| CampaignError::Form(e).into())
}

/// The form of a campaign, parsed.
pub async fn campaign_form(store: &Store, campaign: &CampaignInfo) -> Result<FormDef, AppError> {
    let f = store.form(campaign.form_id).await?.ok_or_else(|| CampaignError::NoForm(campaign.form_code.clone()))?;
    parse_stored(&f.definition, &f.code, f.version)
}

/// Resolves TERYT codes and custom group codes to current unit ids (each once, in order).
pub async fn resolve_units(store: &Store, items: &[String]) -> Result<Vec<i64>, AppError> {
    let current: HashMap<String, i64> =
        store.units().await?.into_iter().filter(|u| !u.historical && u.valid_to.is_none()).map(|u| (u.code.as_str().to_owned(), u.id)).collect();
    let groups = store.groups().await?;
    let mut ids = Vec::new();
    let mut seen = HashSet::new();
    let mut unknown = Vec::new();
    for raw in items.iter().flat_map(|u| u.split(',')).map(str::trim).filter(|u| !u.is_empty()) {
        if let Some(g) = groups.iter().find(|g| g.code == raw) {
            for m in &g.members {
                if seen.insert(*m) {
                    ids.push(*m);
                }
            }
            continue;
        }
        match TerytCode::parse_lenient(raw).ok().and_then(|c| current.get(c.as_str()).copied()) {
            Some(id) => {
                if seen.insert(id) {
                    ids.push(id);
                }
            }
            None => unknown.push(raw.to_owned()),
        }
    }
    if !unknown.is_empty() {
        return Err(CampaignError::UnknownUnits(unknown).into());
    }
    if ids.is_empty() {
        return Err(CampaignError::NoUnits.into());
    }
    Ok(ids)
}

/// Creates a campaign: a form (newest version of a code, or a stored id), a year, the units
/// (TERYT codes or custom groups), a deadline and a publication date not before it.
pub async fn add_campaign(store: &Store, actor: &Actor, c: NewCampaign) -> Result<CampaignInfo, AppError> {
    if c.name.trim().is_empty() {
        return Err(CampaignError::EmptyName.into());
    }
    if !(1900..=2200).contains(&c.year) {
        return Err(CampaignError::BadYear(c.year).into());
    }
    if c.publish_on < c.deadline {
        return Err(
            CampaignError::PublishBeforeDeadline { deadline: model::format_date(c.deadline), publish_on: model::format_date(c.publish_on) }.into()
        );
    }
    let form = match &c.form {
        FormRef::Code(code) => store.latest_form(code).await?.ok_or_else(|| CampaignError::NoForm(code.clone()))?,
        FormRef::Id(id) => store.form(*id).await?.ok_or_else(|| CampaignError::NoForm(format!("#{id}")))?,
    };
    let unit_ids = resolve_units(store, &c.units).await?;
    let row = NewCampaignRow {
        form_id: form.id,
        name: c.name.trim().to_owned(),
        year: c.year,
        deadline: model::format_date(c.deadline),
        publish_on: model::format_date(c.publish_on),
        unit_ids,
    };
    let id = store.add_campaign(&row, actor).await?;
    campaign(store, id).await
}

/// Every campaign, oldest first.
pub async fn campaigns(store: &Store) -> Result<Vec<CampaignInfo>, AppError> {
    store.campaigns().await?.into_iter().map(campaign_info).collect()
}

pub async fn campaign(store: &Store, id: i64) -> Result<CampaignInfo, AppError> {
    campaign_info(store.campaign(id).await?.ok_or(CampaignError::NoCampaign(id))?)
}

/// The ids of a campaign's units.
pub async fn campaign_units(store: &Store, campaign_id: i64) -> Result<Vec<i64>, AppError> {
    Ok(store.campaign_units(campaign_id).await?)
}

/// The campaigns a unit takes part in.
pub async fn campaigns_of_unit(store: &Store, unit_id: i64) -> Result<Vec<CampaignInfo>, AppError> {
    let mut out = Vec::new();
    for id in store.campaigns_of_unit(unit_id).await? {
        out.push(campaign(store, id).await?);
    }
    Ok(out)
}

/// Last year's values and peer medians for units, reading each (variable, year) once.
struct Context<'a> {
    store: &'a Store,
    units: HashMap<i64, store::StoredUnit>,
    variables: HashMap<String, i64>,
    population: HashMap<i64, HashMap<i64, f64>>,
    values: HashMap<(i64, i64), HashMap<i64, f64>>,
}

impl<'a> Context<'a> {
    async fn new(store: &'a Store) -> Result<Context<'a>, AppError> {
        Ok(Context {
            store,
            units: store.units().await?.into_iter().map(|u| (u.id, u)).collect(),
            variables: store.variables().await?.into_iter().map(|v| (v.code, v.id)).collect(),
            population: HashMap::new(),
            values: HashMap::new(),
        })
    }

    async fn values(&mut self, variable: &str, year: i64) -> Result<&HashMap<i64, f64>, AppError> {
        let id = self.variables.get(variable).copied().unwrap_or(-1);
        if !self.values.contains_key(&(id, year)) {
            let v = if id < 0 { HashMap::new() } else { self.store.values(id, year).await?.into_iter().filter_map(|(u, v)| Some((u, v?))).collect() };
            self.values.insert((id, year), v);
        }
        Ok(&self.values[&(id, year)])
    }

    async fn population(&mut self, year: i64) -> Result<&HashMap<i64, f64>, AppError> {
        if !self.population.contains_key(&year) {
            let p = self.values("ludnosc", year).await?.clone();
            self.population.insert(year, p);
        }
        Ok(&self.population[&year])
    }

    /// The unit's typology peers in `year` (see [`EntryView::peer_median`]).
    async fn peers(&mut self, unit_id: i64, year: i64) -> Result<(Vec<i64>, PeerInfo), AppError> {
        let Some(kind) = self.units.get(&unit_id).map(|u| u.kind) else {
            return Ok((Vec::new(), PeerInfo { label_pl: String::new(), label_en: String::new(), size: 0 }));
        };
        let pop = self.population(year).await?.clone();
        let class = crate::groups::population_class(kind, pop.get(&unit_id).copied());
        let peers: Vec<i64> = self
            .units
            .values()
            .filter(|u| u.id != unit_id && u.kind == kind && !u.historical && u.valid_to.is_none())
            .filter(|u| class.is_none() || crate::groups::population_class(kind, pop.get(&u.id).copied()) == class)
            .map(|u| u.id)
            .collect();
        let (kpl, ken) = kind_words(kind);
        let info = match class {
            Some("all") | None => PeerInfo { label_pl: kpl.to_owned(), label_en: ken.to_owned(), size: peers.len() },
            Some(c) => PeerInfo {
                label_pl: format!("{kpl}, klasa wielkości {c} ({year})"),
                label_en: format!("{ken}, size class {c} ({year})"),
                size: peers.len(),
            },
        };
        Ok((peers, info))
    }

    async fn facts(&mut self, form: &FormDef, unit_id: i64, year: i64) -> Result<(CheckContext, PeerInfo), AppError> {
        let (peers, info) = self.peers(unit_id, year - 1).await?;
        let mut ctx = CheckContext::default();
        for f in &form.fields {
            let values = self.values(&f.variable, year - 1).await?;
            if let Some(v) = values.get(&unit_id) {
                ctx.last_year.insert(f.variable.clone(), *v);
            }
            let mut xs: Vec<f64> = peers.iter().filter_map(|p| values.get(p).copied()).collect();
            if let Some(m) = median(&mut xs) {
                ctx.peer_median.insert(f.variable.clone(), m);
            }
        }
        Ok((ctx, info))
    }
}

fn kind_words(kind: UnitKind) -> (&'static str, &'static str) {
    match kind {
        UnitKind::GminaMiejska => ("gminy miejskie", "urban gminas"),
        UnitKind::GminaWiejska => ("gminy wiejskie", "rural gminas"),
        UnitKind::GminaMiejskoWiejska => ("gminy miejsko-wiejskie", "urban-rural gminas"),
        UnitKind::MiastoNaPrawachPowiatu => ("miasta na prawach powiatu", "cities with powiat rights"),
        UnitKind::Powiat => ("powiaty", "powiats"),
        UnitKind::Wojewodztwo => ("województwa", "voivodeships"),
        _ => ("jednostki tego rodzaju", "units of this kind"),
    }
}

fn median(xs: &mut [f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    Some(if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2.0 })
}

fn entries_of(form: &FormDef, saved: &[FieldValue]) -> Vec<Entry> {
    form.fields
        .iter()
        .map(|f| match saved.iter().find(|v| v.field == f.variable) {
            Some(v) => Entry { variable: f.variable.clone(), value: v.value, raw: v.raw.clone(), comment: v.comment.clone() },
            None => Entry { variable: f.variable.clone(), value: None, raw: None, comment: None },
        })
        .collect()
}

fn is_late(deadline: Date, state: Option<SubmissionState>, submitted_at: Option<&str>, today: Date) -> bool {
    let deadline = model::format_date(deadline);
    match state {
        Some(SubmissionState::Submitted | SubmissionState::Approved) => {
            submitted_at.is_some_and(|t| t.get(..10).is_some_and(|d| d > deadline.as_str()))
        }
        _ => model::format_date(today) > deadline,
    }
}

/// The unit (by id) of a campaign, or why not.
async fn unit_in(store: &Store, campaign_id: i64, unit_id: i64) -> Result<store::StoredUnit, AppError> {
    let unit = store.unit(unit_id).await?.ok_or_else(|| AppError::NotFound(format!("no unit {unit_id}")))?;
    if !store.campaign_units(campaign_id).await?.contains(&unit_id) {
        return Err(CampaignError::NotInCampaign { campaign_id, unit: unit.code.as_str().to_owned() }.into());
    }
    Ok(unit)
}

/// The data-entry view of one unit in a campaign (see [`EntryView`]).
pub async fn entry_view(store: &Store, campaign_id: i64, unit_id: i64) -> Result<EntryView, AppError> {
    let c = campaign(store, campaign_id).await?;
    let unit = unit_in(store, campaign_id, unit_id).await?;
    let form = campaign_form(store, &c).await?;
    let submission = store.submission(campaign_id, unit_id).await?;
    let saved = match &submission {
        Some(s) => store.submission_values(s.id).await?,
        None => Vec::new(),
    };
    let entries = entries_of(&form, &saved);
    let mut context = Context::new(store).await?;
    let (ctx, peer_group) = context.facts(&form, unit_id, c.year).await?;
    let state = submission.as_ref().map(|s| s.state);
    let submitted_once = !matches!(state, None | Some(SubmissionState::Draft));
    let findings = crate::form_check::check(&form, &entries, &ctx, submitted_once);
    Ok(EntryView {
        late: is_late(c.deadline, state, submission.as_ref().and_then(|s| s.submitted_at.as_deref()), today()),
        editable: state.is_none_or(SubmissionState::editable),
        campaign: c,
        unit_id,
        unit_code: unit.code.as_str().to_owned(),
        unit_name: unit.name,
        submission_id: submission.as_ref().map(|s| s.id),
        state,
        published: submission.as_ref().is_some_and(|s| s.import_id.is_some()),
        return_comment: submission.as_ref().and_then(|s| s.return_comment.clone()),
        entries,
        last_year: ctx.last_year,
        peer_median: ctx.peer_median,
        peer_group,
        findings,
        form,
    })
}

/// Saves a unit's answers (every field given; fields not given keep what was saved) and, with
/// [`Intent::Submit`], sends them to verification — unless the findings forbid it
/// (`form_check::can_submit`): then they are saved as a draft and the outcome says
/// `submitted: false`. Late submissions are allowed (the dashboard marks them). Refused when
/// the submission is neither a draft nor returned, or a field is not in the form.
pub async fn save(store: &Store, actor: &Actor, campaign_id: i64, unit_id: i64, entries: &[Entry], intent: Intent) -> Result<SaveOutcome, AppError> {
    let c = campaign(store, campaign_id).await?;
    unit_in(store, campaign_id, unit_id).await?;
    let form = campaign_form(store, &c).await?;
    if let Some(e) = entries.iter().find(|e| form.field(&e.variable).is_none()) {
        return Err(CampaignError::UnknownField(e.variable.clone()).into());
    }
    let before = store.submission(campaign_id, unit_id).await?;
    if let Some(s) = &before
        && !s.state.editable()
    {
        return Err(CampaignError::NotEditable(s.state).into());
    }
    let saved = match &before {
        Some(s) => store.submission_values(s.id).await?,
        None => Vec::new(),
    };
    // The whole form as it will be: saved answers overlaid with the given ones.
    let mut all = entries_of(&form, &saved);
    for e in entries {
        if let Some(slot) = all.iter_mut().find(|a| a.variable == e.variable) {
            *slot = normalise(e);
        }
    }
    let mut context = Context::new(store).await?;
    let (ctx, _) = context.facts(&form, unit_id, c.year).await?;
    let submitting = intent == Intent::Submit;
    let findings = crate::form_check::check(&form, &all, &ctx, submitting);
    let submit = submitting && crate::form_check::can_submit(&findings);
    let values: Vec<FieldValue> = entries
        .iter()
        .map(normalise)
        .map(|e| FieldValue { field: e.variable, value: e.value, raw: if e.value.is_none() { e.raw } else { None }, comment: e.comment })
        .collect();
    let saved = store.save_submission(campaign_id, unit_id, &values, submit, actor).await.map_err(store_err)?;
    Ok(SaveOutcome { findings, state: saved.submission.state, submitted: submit, changed: saved.changed })
}

/// An entry with its comment trimmed (empty: none) and text only where no number.
fn normalise(e: &Entry) -> Entry {
    Entry {
        variable: e.variable.clone(),
        value: e.value,
        raw: if e.value.is_some() { None } else { e.raw.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned) },
        comment: e.comment.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned),
    }
}

/// Takes back a submitted, not yet verified submission: a draft again.
pub async fn withdraw(store: &Store, actor: &Actor, campaign_id: i64, unit_id: i64) -> Result<SubmissionState, AppError> {
    let s = store.submission(campaign_id, unit_id).await?.ok_or(CampaignError::NotSubmitted(None))?;
    if s.state != SubmissionState::Submitted {
        return Err(CampaignError::NotSubmitted(Some(s.state)).into());
    }
    Ok(store.withdraw_submission(s.id, actor).await.map_err(store_err)?.state)
}

/// [`verify_at`] today (UTC).
pub async fn verify(store: &Store, actor: &Actor, campaign_id: i64, unit_id: i64, decision: Decision) -> Result<VerifyOutcome, AppError> {
    verify_at(store, actor, campaign_id, unit_id, decision, today()).await
}

/// A verifier's decision on a submitted submission: return it with a (non-empty) comment, or
/// approve it — and publish it at once when `today` is on or after the campaign's publication
/// date. Of two verifiers acting at once one wins; the other gets [`CampaignError::Conflict`].
pub async fn verify_at(
    store: &Store,
    actor: &Actor,
    campaign_id: i64,
    unit_id: i64,
    decision: Decision,
    today: Date,
) -> Result<VerifyOutcome, AppError> {
    let c = campaign(store, campaign_id).await?;
    let s = store.submission(campaign_id, unit_id).await?.ok_or(CampaignError::NotSubmitted(None))?;
    match decision {
        Decision::Return(comment) => {
            let comment = comment.trim();
            if comment.is_empty() {
                return Err(CampaignError::ReturnNeedsComment.into());
            }
            let s = store.return_submission(s.id, comment, actor).await.map_err(store_err)?;
            Ok(VerifyOutcome { state: s.state, published_import: None })
        }
        Decision::Approve => {
            let s = store.approve_submission(s.id, actor).await.map_err(store_err)?;
            let published_import =
                if today >= c.publish_on { store.publish_submissions(campaign_id, &[s.id], actor).await?.map(|p| p.import_id) } else { None };
            Ok(VerifyOutcome { state: s.state, published_import })
        }
    }
}

/// Publishes every approved submission whose campaign's publication date is on or before
/// `today`; the ids of the imports made (one per campaign). Idempotent, and safe when two
/// nodes run it at once: each submission is taken by one `UPDATE … WHERE import_id IS NULL`.
/// The actor is the store handle's (`system` when it has none).
pub async fn publish_due(store: &Store, today: Date) -> Result<Vec<i64>, AppError> {
    let actor = if store.actor().name.is_empty() || store.actor().name == "unknown" { Actor::system() } else { store.actor().clone() };
    let due = store.due_submissions(&model::format_date(today)).await?;
    let mut by_campaign: Vec<(i64, Vec<i64>)> = Vec::new();
    for (c, s) in due {
        match by_campaign.last_mut() {
            Some((last, ids)) if *last == c => ids.push(s),
            _ => by_campaign.push((c, vec![s])),
        }
    }
    let mut imports = Vec::new();
    for (c, ids) in by_campaign {
        if let Some(p) = store.publish_submissions(c, &ids, &actor).await? {
            imports.push(p.import_id);
        }
    }
    Ok(imports)
}

/// Submitted submissions waiting for verification, oldest first, in `scope` (the verifier's
/// `CurrentUser::scope(Action::Verify)`), each with its count of warnings and errors.
pub async fn queue(store: &Store, scope: &Scope) -> Result<Vec<QueueItem>, AppError> {
    let waiting = store.submissions(None, &[SubmissionState::Submitted]).await?;
    let mut context = Context::new(store).await?;
    let mut forms: HashMap<i64, (CampaignInfo, FormDef)> = HashMap::new();
    let mut out = Vec::new();
    for s in waiting {
        if !scope.contains(s.unit_id) {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = forms.entry(s.campaign_id) {
            let c = campaign(store, s.campaign_id).await?;
            let f = campaign_form(store, &c).await?;
            slot.insert((c, f));
        }
        let (c, form) = &forms[&s.campaign_id];
        let entries = entries_of(form, &store.submission_values(s.id).await?);
        let (ctx, _) = context.facts(form, s.unit_id, c.year).await?;
        let findings = crate::form_check::check(form, &entries, &ctx, true);
        let unit = context.units.get(&s.unit_id);
        out.push(QueueItem {
            campaign_id: c.id,
            campaign_name: c.name.clone(),
            year: c.year,
            submission_id: s.id,
            unit_id: s.unit_id,
            unit_code: unit.map(|u| u.code.as_str().to_owned()).unwrap_or_default(),
            unit_name: unit.map(|u| u.name.clone()).unwrap_or_default(),
            submitted_at: s.submitted_at,
            warnings: findings.iter().filter(|f| f.severity == Severity::Warning).count(),
            errors: findings.iter().filter(|f| f.severity == Severity::Error).count(),
        });
    }
    out.sort_by(|a, b| a.submitted_at.cmp(&b.submitted_at).then(a.submission_id.cmp(&b.submission_id)));
    Ok(out)
}

/// Each unit of a campaign with its state, by TERYT code; `late` as of `today`.
pub async fn dashboard(store: &Store, campaign_id: i64, today: Date) -> Result<Vec<DashboardRow>, AppError> {
    let c = campaign(store, campaign_id).await?;
    Ok(store
        .campaign_status(campaign_id)
        .await?
        .into_iter()
        .map(|r| DashboardRow {
            late: is_late(c.deadline, r.state, r.submitted_at.as_deref(), today),
            unit_id: r.unit_id,
            code: r.code,
            name: r.name,
            state: r.state,
            published: r.import_id.is_some(),
            submitted_at: r.submitted_at,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        })
        .collect())
}

/// The dashboard as CSV (comma-separated, a header row; Polish headers and state names, or
/// English with `english`); every cell passed through `export::csv_safe`.
pub fn dashboard_csv(rows: &[DashboardRow], english: bool) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: [&str; 8] = if english {
        ["teryt", "name", "state", "published", "late", "submitted_at", "updated_at", "updated_by"]
    } else {
        ["teryt", "nazwa", "stan", "opublikowano", "po_terminie", "wyslano", "zmieniono", "zmienil"]
    };
    let _ = w.write_record(header);
    let yes_no = |b: bool| match (b, english) {
        (true, false) => "tak",
        (false, false) => "nie",
        (true, true) => "yes",
        (false, true) => "no",
    };
    for r in rows {
        let (pl, en) = state_label(r.state);
        let cells = [
            r.code.as_str(),
            r.name.as_str(),
            if english { en } else { pl },
            yes_no(r.published),
            yes_no(r.late),
            r.submitted_at.as_deref().unwrap_or(""),
            r.updated_at.as_deref().unwrap_or(""),
            r.updated_by.as_deref().unwrap_or(""),
        ];
        let _ = w.write_record(cells.iter().map(|c| export::csv_safe(c).into_owned()));
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// Approved values not yet published (for the private overlay of those allowed to see them).
pub async fn pending_values(store: &Store) -> Result<Vec<PendingValue>, AppError> {
    Ok(store
        .pending_values()
        .await?
        .into_iter()
        .map(|p| PendingValue { unit_id: p.unit_id, variable_code: p.variable_code, year: p.year, value: p.value, campaign_id: p.campaign_id })
        .collect())
}

/// The approved, unpublished values of one unit.
pub async fn pending_values_of_unit(store: &Store, unit_id: i64) -> Result<Vec<PendingValue>, AppError> {
    Ok(pending_values(store).await?.into_iter().filter(|p| p.unit_id == unit_id).collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::form_check::FindingKind;
    use store::{Link, NewUnit, NewVariable, ObsRow, TerritoryPlan};

    pub(crate) const FORM: &str = r#"
[form]
code = "test"
title_pl = "Próba"
title_en = "Trial"

[[field]]
variable = "uczniowie_sp"
label_pl = "Uczniowie"
label_en = "Pupils"
measure_unit = "osoba"
required = true
min = 0
integer = true

[[field]]
variable = "oddzialy_sp"
label_pl = "Oddziały"
label_en = "Classes"
measure_unit = "szt."

[[rule]]
check = "oddzialy_sp <= uczniowie_sp"
message_pl = "Oddziałów nie może być więcej niż uczniów"
message_en = "No more classes than pupils"
"#;

    fn code(s: &str) -> TerytCode {
        TerytCode::parse(s).expect("code")
    }

    /// Five gminy wiejskie of one powiat; `ludnosc` 2024 puts four of them in one class
    /// (5–10k) and one in another (<5k); `uczniowie_sp` 2024 for each.
    pub(crate) async fn fixture() -> (tempfile::TempDir, Store, Vec<i64>) {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&format!("sqlite:{}", dir.path().join("t.db").display())).await.expect("open");
        let unit = |c: &str, kind| NewUnit {
            code: code(c),
            name: format!("Gmina {c}"),
            kind,
            valid_from: None,
            valid_to: None,
            historical: false,
            parent_id: None,
        };
        let gminy = ["0201012", "0201022", "0201032", "0201042", "0201052"];
        let mut new_units = vec![unit("PL", UnitKind::Kraj), unit("02", UnitKind::Wojewodztwo), unit("0201", UnitKind::Powiat)];
        let mut links = vec![
            Link { code: code("02"), parent: Some(code("PL")), same_jst: None },
            Link { code: code("0201"), parent: Some(code("02")), same_jst: None },
        ];
        for g in gminy {
            new_units.push(unit(g, UnitKind::GminaWiejska));
            links.push(Link { code: code(g), parent: Some(code("0201")), same_jst: None });
        }
        let plan = TerritoryPlan {
            state_date: model::parse_date("2024-01-01").expect("date"),
            file: "t".into(),
            rows_read: 0,
            closures: vec![],
            code_changes: vec![],
            renames: vec![],
            new_units,
            links,
        };
        store.apply_territory(&plan).await.expect("territory");
        let mut ids = Vec::new();
        for g in gminy {
            ids.push(store.unit_id_for_code(&code(g)).await.expect("id").expect("unit"));
        }
        let mut imp = store.begin_observation_import("test", "t").await.expect("begin");
        let var = |c: &str| NewVariable { code: c.into(), name_pl: c.into(), name_en: None, measure_unit: None, source: None, refs: vec![] };
        let lud = imp.create_variable(&var("ludnosc")).await.expect("var");
        let ucz = imp.create_variable(&var("uczniowie_sp")).await.expect("var");
        imp.create_variable(&var("oddzialy_sp")).await.expect("var");
        let mut rows = Vec::new();
        for (i, (&u, (pop, pupils))) in
            ids.iter().zip([(6000.0, 100.0), (7000.0, 300.0), (8000.0, 500.0), (9000.0, 700.0), (3000.0, 9999.0)]).enumerate()
        {
            let _ = i;
            rows.push(ObsRow { variable_id: lud, unit_id: u, year: 2024, value: Some(pop), flag: 0 });
            rows.push(ObsRow { variable_id: ucz, unit_id: u, year: 2024, value: Some(pupils), flag: 0 });
        }
        rows.sort_by_key(|r| (r.variable_id, r.unit_id, r.year));
        let n = rows.len() as u64;
        imp.write(rows).await.expect("write");
        imp.finish(n, n, 0).await.expect("finish");
        (dir, store, ids)
    }

    fn date(s: &str) -> Date {
        model::parse_date(s).expect("date")
    }

    pub(crate) async fn new_campaign(store: &Store) -> CampaignInfo {
        let admin = Actor::named("user:admin");
        add_form(store, &admin, FORM, "test.toml").await.expect("form");
        let c = NewCampaign {
            form: FormRef::Code("test".into()),
            name: "Próba 2025".into(),
            year: 2025,
            deadline: date("2099-03-31"),
            publish_on: date("2099-06-01"),
            units: vec!["0201012,0201022".into(), "0201032".into()],
        };
        add_campaign(store, &admin, c).await.expect("campaign")
    }

    #[tokio::test]
    async fn forms_and_campaigns_are_checked() {
        let (_dir, store, _) = fixture().await;
        let admin = Actor::named("user:admin");
        let bad = FORM.replace("\"oddzialy_sp\"", "\"nieznana\"").replace("oddzialy_sp <=", "nieznana <=");
        let e = add_form(&store, &admin, &bad, "bad.toml").await.expect_err("unknown variable");
        assert!(matches!(&e, AppError::Campaign(CampaignError::Form(f)) if f.message.contains("nieznana")), "{e}");
        let c = new_campaign(&store).await;
        assert_eq!((c.units, c.form_version, c.year), (3, 1, 2025));
        let unknown = NewCampaign {
            form: FormRef::Code("test".into()),
            name: "x".into(),
            year: 2025,
            deadline: date("2099-03-31"),
            publish_on: date("2099-06-01"),
            units: vec!["0201012".into(), "1499999".into()],
        };
        let e = add_campaign(&store, &admin, unknown.clone()).await.expect_err("unknown unit");
        assert!(matches!(&e, AppError::Campaign(CampaignError::UnknownUnits(u)) if u == &["1499999".to_owned()]), "{e}");
        let early = NewCampaign { publish_on: date("2099-01-01"), units: vec!["0201012".into()], ..unknown.clone() };
        assert!(matches!(add_campaign(&store, &admin, early).await, Err(AppError::Campaign(CampaignError::PublishBeforeDeadline { .. }))));
        let no_form = NewCampaign { form: FormRef::Code("brak".into()), units: vec!["0201012".into()], ..unknown };
        assert!(matches!(add_campaign(&store, &admin, no_form).await, Err(AppError::Campaign(CampaignError::NoForm(_)))));
        assert_eq!(campaigns(&store).await.expect("list").len(), 1);
        assert!(matches!(campaign(&store, 999).await, Err(AppError::Campaign(CampaignError::NoCampaign(999)))));
    }

    #[tokio::test]
    async fn entry_save_verify_publish() {
        let (_dir, store, ids) = fixture().await;
        let c = new_campaign(&store).await;
        let (a, outside) = (ids[0], ids[4]);
        let jan = Actor::named("user:jan");

        let view = entry_view(&store, c.id, a).await.expect("view");
        assert_eq!(view.state, None);
        assert!(view.editable);
        assert_eq!(view.last_year.get("uczniowie_sp"), Some(&100.0));
        // Peers: the other 5–10k gminy wiejskie (300, 500, 700), not the <5k one (9999).
        assert_eq!(view.peer_median.get("uczniowie_sp"), Some(&500.0));
        assert_eq!(view.peer_group.size, 3);
        assert!(!view.peer_median.contains_key("oddzialy_sp"));
        assert!(matches!(entry_view(&store, c.id, outside).await, Err(AppError::Campaign(CampaignError::NotInCampaign { .. }))));

        // A draft with text that is not a number: saved as typed, an error finding.
        let draft = [entry_from_input("uczniowie_sp", "110", None), entry_from_input("oddzialy_sp", "dużo", None)];
        let out = save(&store, &jan, c.id, a, &draft, Intent::Draft).await.expect("draft");
        assert_eq!((out.state, out.submitted), (SubmissionState::Draft, false));
        assert!(out.findings.iter().any(|f| f.field == "oddzialy_sp" && f.severity == Severity::Error), "{:?}", out.findings);
        let view = entry_view(&store, c.id, a).await.expect("view");
        assert_eq!(view.entries[1].raw.as_deref(), Some("dużo"));
        assert!(matches!(
            save(&store, &jan, c.id, a, &[entry_from_input("nieznane", "1", None)], Intent::Draft).await,
            Err(AppError::Campaign(CampaignError::UnknownField(_)))
        ));

        // Submitting with a broken rule is refused (saved as a draft).
        let broken = [entry_from_input("oddzialy_sp", "1 000", None)];
        let out = save(&store, &jan, c.id, a, &broken, Intent::Submit).await.expect("save");
        assert!(!out.submitted);
        assert_eq!(out.state, SubmissionState::Draft);
        assert!(out.findings.iter().any(|f| matches!(f.kind, FindingKind::Rule(_))), "{:?}", out.findings);

        // A change of +60 % against last year needs a comment before it can be submitted.
        let jump = [entry_from_input("uczniowie_sp", "160", None), entry_from_input("oddzialy_sp", "7", None)];
        let out = save(&store, &jan, c.id, a, &jump, Intent::Submit).await.expect("save");
        assert!(!out.submitted, "{:?}", out.findings);
        assert!(out.findings.iter().any(|f| f.needs_comment && !f.resolved));
        let explained = [entry_from_input("uczniowie_sp", "160", Some("nowa szkoła"))];
        let out = save(&store, &jan, c.id, a, &explained, Intent::Submit).await.expect("submit");
        assert!(out.submitted, "{:?}", out.findings);
        assert_eq!(out.state, SubmissionState::Submitted);
        assert!(matches!(save(&store, &jan, c.id, a, &explained, Intent::Draft).await, Err(AppError::Campaign(CampaignError::NotEditable(_)))));

        // The queue: in scope only; with its warning.
        let q = queue(&store, &Scope::All).await.expect("queue");
        assert_eq!(q.len(), 1);
        assert_eq!((q[0].unit_id, q[0].warnings, q[0].errors), (a, 1, 0));
        assert!(queue(&store, &Scope::Units(vec![ids[1]])).await.expect("queue").is_empty());

        // Return needs a comment; the unit resubmits; approval before the date keeps it pending.
        let wera = Actor::named("user:wera");
        let e = verify(&store, &wera, c.id, a, Decision::Return("  ".into())).await.expect_err("empty comment");
        assert!(matches!(e, AppError::Campaign(CampaignError::ReturnNeedsComment)));
        let r = verify(&store, &wera, c.id, a, Decision::Return("sprawdź oddziały".into())).await.expect("return");
        assert_eq!(r.state, SubmissionState::Returned);
        assert_eq!(entry_view(&store, c.id, a).await.expect("view").return_comment.as_deref(), Some("sprawdź oddziały"));
        save(&store, &jan, c.id, a, &[entry_from_input("oddzialy_sp", "8", None)], Intent::Submit).await.expect("resubmit");
        let ok = verify_at(&store, &wera, c.id, a, Decision::Approve, date("2099-04-10")).await.expect("approve");
        assert_eq!((ok.state, ok.published_import), (SubmissionState::Approved, None));
        let again = verify_at(&store, &wera, c.id, a, Decision::Approve, date("2099-04-10")).await.expect_err("twice");
        assert!(matches!(again, AppError::Campaign(CampaignError::Conflict(_))), "{again}");
        let pending = pending_values(&store).await.expect("pending");
        assert_eq!(pending.len(), 2);
        assert!(pending.iter().any(|p| p.variable_code == "uczniowie_sp" && p.value == 160.0 && p.year == 2025 && p.unit_id == a));

        // The dashboard: a approved; the other two not started, late after the deadline.
        let rows = dashboard(&store, c.id, date("2099-04-10")).await.expect("dashboard");
        assert_eq!(rows.len(), 3);
        let ra = rows.iter().find(|r| r.unit_id == a).expect("a");
        assert_eq!((ra.state, ra.late, ra.published), (Some(SubmissionState::Approved), false, false));
        assert!(rows.iter().filter(|r| r.unit_id != a).all(|r| r.state.is_none() && r.late));
        assert!(dashboard(&store, c.id, date("2099-03-01")).await.expect("dashboard").iter().all(|r| !r.late));
        let csv = dashboard_csv(&rows, false);
        assert_eq!(csv.lines().count(), 4, "{csv}");
        assert!(csv.lines().next().is_some_and(|h| h.starts_with("teryt,nazwa,stan")));
        assert!(csv.contains("zatwierdzona") && csv.contains("nie rozpoczęto"), "{csv}");

        // Publication: nothing before the date, once on it, and never twice.
        assert!(publish_due(&store, date("2099-05-31")).await.expect("due").is_empty());
        let imports = publish_due(&store, date("2099-06-01")).await.expect("publish");
        assert_eq!(imports.len(), 1);
        assert!(publish_due(&store, date("2099-06-02")).await.expect("again").is_empty());
        assert!(pending_values(&store).await.expect("pending").is_empty());
        let var = store.variables().await.expect("vars").into_iter().find(|v| v.code == "uczniowie_sp").expect("var").id;
        assert_eq!(store.observation(var, a, 2025).await.expect("obs"), Some((Some(160.0), 0)));
        assert!(entry_view(&store, c.id, a).await.expect("view").published);
        let import = store.imports(5).await.expect("imports").into_iter().find(|i| i.id == imports[0]).expect("import");
        assert_eq!(import.source, "ankieta");
    }

    #[tokio::test]
    async fn approval_after_the_date_publishes_at_once() {
        let (_dir, store, ids) = fixture().await;
        let c = new_campaign(&store).await;
        let jan = Actor::named("user:jan");
        let out = save(&store, &jan, c.id, ids[1], &[entry_from_input("uczniowie_sp", "310", None)], Intent::Submit).await.expect("submit");
        assert!(out.submitted, "{:?}", out.findings);
        // Withdrawn and submitted again.
        assert_eq!(withdraw(&store, &jan, c.id, ids[1]).await.expect("withdraw"), SubmissionState::Draft);
        assert!(matches!(withdraw(&store, &jan, c.id, ids[1]).await, Err(AppError::Campaign(CampaignError::NotSubmitted(_)))));
        save(&store, &jan, c.id, ids[1], &[], Intent::Submit).await.expect("submit");
        let ok = verify_at(&store, &Actor::named("user:wera"), c.id, ids[1], Decision::Approve, date("2099-07-01")).await.expect("approve");
        assert!(ok.published_import.is_some());
        assert!(pending_values(&store).await.expect("pending").is_empty());
    }
}
