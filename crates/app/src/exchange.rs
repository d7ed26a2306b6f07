//! Exchange groups (GWD, issue 19): cycles, members and their letters, meetings, documents,
//! the comparison sheet and the questions members ask about each other's values.
//!
//! Anonymity is decided here and nowhere else: [`Viewer`] says who reads, [`label`] says how
//! a member unit is shown to that reader (named, or by its letter only). A reader sees a unit
//! named when they are an admin, the cycle's coordinator, or hold a role on that unit
//! (`Action::ReadUnpublished` on it); everyone else sees the letter. The letter is drawn at
//! random among the free ones when the unit is accepted (so the order of acceptance does not
//! show through) and never changes.
//!
//! What each function returns:
//! * [`cycles`] / [`cycle`]: the cycles with their members ([`CycleView`]); member-only parts
//!   are the caller's to hide ([`Viewer::may_read`]).
//! * writes ([`open_cycle`], [`apply`], [`decide`], [`add_unit_member`], [`set_state`],
//!   [`withdraw`], [`add_meeting`], [`update_meeting`], [`add_document`], [`link_campaign`],
//!   [`file_plan`], [`ask`], [`reply`], [`start_correction`], [`close_question`]): refused
//!   input is `AppError::Invalid("field: why")` (Polish / English) and nothing is written; a
//!   cycle, member, meeting or question that is not there is `AppError::NotFound`. Who may
//!   write is decided by the caller; the store writes the audit rows.
//! * [`sheet`] / [`sheet_csv`]: the comparison sheet from the private view (the group sees
//!   its members' approved values before publication, marked unpublished).
//! * [`questions`] / [`question`]: the questions with their threads; a question whose
//!   correction was approved again reads [`QuestionState::Corrected`].

use std::collections::HashMap;

use model::{Date, Polarity};
use store::Store;
use store::exchange as rows;

use crate::accounts::{Action, CurrentUser};
use crate::{AppError, Computed, Private};

pub use store::Actor;

/// The most accepted members a cycle has at once (the method says 6–8).
pub const MAX_MEMBERS: usize = 8;
/// The letters given first, at random among the free ones; a cycle whose letters a withdrawal
/// used up goes on with the rest of the alphabet (a letter is never given twice).
pub const LETTERS: [&str; 8] = ["A", "B", "C", "D", "E", "F", "G", "H"];
/// The largest document taken (bytes).
pub const MAX_DOCUMENT: usize = 5 * 1024 * 1024;
/// The longest name or title, and the longest text (characters).
pub const MAX_TITLE: usize = 200;
pub const MAX_TEXT: usize = 8000;
/// The years a cycle may compare.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Where a cycle is: taking applications, meeting, or over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CycleState {
    Recruiting,
    Running,
    Closed,
}

impl CycleState {
    pub const ALL: [CycleState; 3] = [CycleState::Recruiting, CycleState::Running, CycleState::Closed];

    /// The stored name: `recruiting`, `running`, `closed`.
    pub fn as_str(self) -> &'static str {
        match self {
            CycleState::Recruiting => "recruiting",
            CycleState::Running => "running",
            CycleState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<CycleState> {
        CycleState::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    /// (Polish, English).
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            CycleState::Recruiting => ("nabór", "recruiting"),
            CycleState::Running => ("w toku", "running"),
            CycleState::Closed => ("zakończony", "closed"),
        }
    }
}

/// Where a unit stands in a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberState {
    Applied,
    Accepted,
    Rejected,
    Withdrawn,
}

impl MemberState {
    pub const ALL: [MemberState; 4] = [MemberState::Applied, MemberState::Accepted, MemberState::Rejected, MemberState::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            MemberState::Applied => "applied",
            MemberState::Accepted => "accepted",
            MemberState::Rejected => "rejected",
            MemberState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<MemberState> {
        MemberState::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    /// (Polish, English).
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            MemberState::Applied => ("zgłoszona", "applied"),
            MemberState::Accepted => ("przyjęta", "accepted"),
            MemberState::Rejected => ("odrzucona", "rejected"),
            MemberState::Withdrawn => ("wycofana", "withdrawn"),
        }
    }
}

/// Where a question on a value stands. `Corrected` is never stored: it is read off a
/// `correcting` question whose unit's submission was approved after the correction began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuestionState {
    Open,
    Answered,
    Correcting,
    Corrected,
    Closed,
}

impl QuestionState {
    pub const ALL: [QuestionState; 5] =
        [QuestionState::Open, QuestionState::Answered, QuestionState::Correcting, QuestionState::Corrected, QuestionState::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionState::Open => "open",
            QuestionState::Answered => "answered",
            QuestionState::Correcting => "correcting",
            QuestionState::Corrected => "corrected",
            QuestionState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<QuestionState> {
        QuestionState::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    /// (Polish, English).
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            QuestionState::Open => ("otwarte", "open"),
            QuestionState::Answered => ("z odpowiedzią", "answered"),
            QuestionState::Correcting => ("w korekcie", "being corrected"),
            QuestionState::Corrected => ("poprawione", "corrected"),
            QuestionState::Closed => ("zamknięte", "closed"),
        }
    }

    /// Still waiting for something (counted on the sheet).
    pub fn is_open(self) -> bool {
        matches!(self, QuestionState::Open | QuestionState::Answered | QuestionState::Correcting)
    }
}

/// A unit in a cycle. `applied_by`/`decided_by` are logins: for the coordinator's and the
/// admin's eyes only.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberView {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub state: MemberState,
    pub letter: Option<String>,
    pub application: Option<String>,
    pub applied_at: String,
    pub applied_by: String,
    pub decided_at: Option<String>,
    pub plan_id: Option<i64>,
    pub plan_filed_at: Option<String>,
}

/// A cycle with its members (alphabetical by name: the order tells nothing of the letters).
#[derive(Debug, Clone, PartialEq)]
pub struct CycleView {
    pub id: i64,
    pub name: String,
    /// A catalogue area code.
    pub sector: String,
    pub sector_name_pl: String,
    pub sector_name_en: String,
    /// The data year the sheet compares.
    pub year: i32,
    pub description: Option<String>,
    pub state: CycleState,
    pub coordinator_user_id: i64,
    pub coordinator_name: String,
    pub campaign_id: Option<i64>,
    /// The variables of the linked campaign's form (empty without one): an indicator reading
    /// one of them is the group's own data.
    pub campaign_variables: Vec<String>,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub members: Vec<MemberView>,
}

impl CycleView {
    /// The member row of a unit, if it has one.
    pub fn member(&self, unit_id: i64) -> Option<&MemberView> {
        self.members.iter().find(|m| m.unit_id == unit_id)
    }

    /// The accepted members, alphabetical by name.
    pub fn accepted(&self) -> impl Iterator<Item = &MemberView> {
        self.members.iter().filter(|m| m.state == MemberState::Accepted)
    }
}

/// Who reads a cycle, as far as naming goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Viewer {
    pub user_id: Option<i64>,
    pub admin: bool,
    /// The coordinator of this cycle.
    pub coordinator: bool,
    /// Units with a member row (any state) in this cycle on which the user holds a role.
    pub own_units: Vec<i64>,
    /// Of those, the accepted members: the units whose eyes the member-only pages are for.
    pub member_units: Vec<i64>,
}

impl Viewer {
    /// The viewer `user` (none: anonymous) is of `cycle`.
    pub fn of(user: Option<&CurrentUser>, cycle: &CycleView) -> Viewer {
        let Some(user) = user else { return Viewer::default() };
        // The unit's own people: a grant on that very unit. A grant on every unit (a statistics
        // office's verifier or analyst) is not the unit itself, so it sees letters too.
        let own: Vec<&MemberView> = cycle
            .members
            .iter()
            .filter(|m| user.grants.iter().any(|g| g.unit_id == Some(m.unit_id) && g.role != crate::accounts::Role::Coordinator))
            .collect();
        Viewer {
            user_id: Some(user.id),
            admin: user.is_admin(),
            // A coordinator whose role was taken away no longer sees who is who.
            coordinator: user.id == cycle.coordinator_user_id && user.can_any(Action::Coordinate),
            own_units: own.iter().map(|m| m.unit_id).collect(),
            member_units: own.iter().filter(|m| m.state == MemberState::Accepted).map(|m| m.unit_id).collect(),
        }
    }

    /// Sees every member named: an admin or the cycle's coordinator.
    pub fn sees_all(&self) -> bool {
        self.admin || self.coordinator
    }

    /// Holds a role on an accepted member.
    pub fn is_member(&self) -> bool {
        !self.member_units.is_empty()
    }

    /// May read the member-only pages (sheet, questions, documents, notes).
    pub fn may_read(&self) -> bool {
        self.is_member() || self.sees_all()
    }

    /// Whether the viewer sees this unit named.
    pub fn names(&self, unit_id: i64) -> bool {
        self.sees_all() || self.own_units.contains(&unit_id)
    }
}

/// How a member unit is shown to a viewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Label {
    Named { unit_id: i64, code: String, name: String, letter: Option<String> },
    Letter(String),
}

impl Label {
    /// The letter (`?` for a unit without one yet).
    pub fn letter(&self) -> &str {
        match self {
            Label::Named { letter, .. } => letter.as_deref().unwrap_or("?"),
            Label::Letter(l) => l,
        }
    }

    pub fn is_named(&self) -> bool {
        matches!(self, Label::Named { .. })
    }
}

/// The one decision on naming: `member` named to `viewer`, or its letter only.
pub fn label(viewer: &Viewer, member: &MemberView) -> Label {
    if viewer.names(member.unit_id) {
        Label::Named { unit_id: member.unit_id, code: member.code.clone(), name: member.name.clone(), letter: member.letter.clone() }
    } else {
        Label::Letter(member.letter.clone().unwrap_or_else(|| "?".to_owned()))
    }
}

/// What opening a cycle asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleFields {
    pub name: String,
    pub sector: String,
    pub year: i32,
    pub description: Option<String>,
}

/// What a meeting says before it is held.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingFields {
    pub held_on: Date,
    pub host_unit_id: Option<i64>,
    pub place: Option<String>,
    pub agenda: Option<String>,
}

/// A document of a cycle, without its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentInfo {
    pub id: i64,
    pub cycle_id: i64,
    pub meeting_id: Option<i64>,
    pub title: String,
    /// Safe to put in a Content-Disposition header (letters, digits, `.-_ ` only).
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: String,
}

/// A meeting with its host and documents.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingView {
    pub id: i64,
    pub seq: i64,
    pub held_on: Date,
    pub host_unit_id: Option<i64>,
    pub host: Option<MemberView>,
    pub place: Option<String>,
    pub agenda: Option<String>,
    pub notes: Option<String>,
    pub documents: Vec<DocumentInfo>,
}

/// A comment of a question's thread. `author_name` is a person's name: only for a viewer who
/// sees the author's unit named ([`comment_author`] decides).
#[derive(Debug, Clone, PartialEq)]
pub struct CommentView {
    pub id: i64,
    /// None: the coordinator (or an admin) wrote it.
    pub author_unit_id: Option<i64>,
    pub author_user_id: i64,
    pub author_name: String,
    /// question | comment | answer | correction | close
    pub kind: String,
    pub body: String,
    pub created_at: String,
}

/// A question on one value of the sheet, with its thread.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionView {
    pub id: i64,
    pub cycle_id: i64,
    /// Whose value is questioned.
    pub unit_id: i64,
    /// That unit's letter.
    pub letter: String,
    pub indicator_code: String,
    pub year: i32,
    pub value_shown: Option<f64>,
    pub state: QuestionState,
    /// None: the coordinator asked.
    pub asked_by_unit_id: Option<i64>,
    pub submission_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
    pub comments: Vec<CommentView>,
}

/// The comparison sheet of a cycle for one year.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub year: i32,
    /// Years with a value of a sector indicator for a member (newest last), for a selector.
    pub years: Vec<i32>,
    pub indicators: Vec<SheetIndicator>,
}

/// One indicator's table of the sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetIndicator {
    pub code: String,
    pub name_pl: String,
    pub name_en: String,
    pub measure_unit: String,
    pub measure_unit_en: String,
    pub decimals: u8,
    pub polarity: Polarity,
    /// A variable of its formula is a field of the cycle's campaign form.
    pub from_campaign: bool,
    /// One row per accepted member it applies to, sorted by letter.
    pub rows: Vec<SheetRow>,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// One member's value on the sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetRow {
    pub label: Label,
    /// The unit's id only when the viewer sees it named.
    pub unit_id_for_viewer: Option<i64>,
    pub letter: String,
    pub value: Option<f64>,
    /// An approved value not yet published.
    pub unpublished: bool,
    /// Questions on this cell still open, answered or being corrected.
    pub open_questions: usize,
}

/// The longest meeting notes (characters).
pub const MAX_NOTES: usize = 20_000;

/// A refusal worded in Polish, then English.
fn invalid(pl: impl std::fmt::Display, en: impl std::fmt::Display) -> AppError {
    AppError::Invalid(format!("{pl} / {en}"))
}

fn not_found(pl: impl std::fmt::Display, en: impl std::fmt::Display) -> AppError {
    AppError::NotFound(format!("{pl} / {en}"))
}

/// A text field: trimmed; empty is None (refused when `required`); refused past `max`
/// characters or with control characters other than line breaks and tabs.
fn text(field: (&str, &str), s: Option<&str>, max: usize, required: bool) -> Result<Option<String>, AppError> {
    let t = s.map(str::trim).filter(|t| !t.is_empty());
    let Some(t) = t else {
        return if required { Err(invalid(format!("{}: pole jest wymagane", field.0), format!("{}: required", field.1))) } else { Ok(None) };
    };
    let n = t.chars().count();
    if n > max {
        return Err(invalid(format!("{}: najwyżej {max} znaków (jest {n})", field.0), format!("{}: at most {max} characters (got {n})", field.1)));
    }
    if t.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(invalid(format!("{}: niedozwolony znak sterujący", field.0), format!("{}: a control character is not allowed", field.1)));
    }
    Ok(Some(t.to_owned()))
}

/// A catalogue area's name: (Polish, English); an unknown code as itself.
pub fn sector_names(code: &str) -> (String, String) {
    let (pl, en) = match code {
        "edukacja" => ("Edukacja", "Education"),
        "polityka_spoleczna" => ("Polityka społeczna", "Social policy"),
        "kultura_rekreacja" => ("Kultura i rekreacja", "Culture and recreation"),
        "drogi_transport" => ("Drogi i transport", "Roads and transport"),
        "srodowisko_komunalne" => ("Środowisko i gospodarka komunalna", "Environment and utilities"),
        "mieszkalnictwo_mienie" => ("Mieszkalnictwo i mienie komunalne", "Housing and municipal property"),
        "finanse" => ("Finanse publiczne", "Public finance"),
        "demografia" => ("Demografia", "Demography"),
        "gospodarka" => ("Gospodarka", "Economy"),
        "zdrowie" => ("Zdrowie", "Health"),
        "zrownowazony_rozwoj" => ("Zrównoważony rozwój", "Sustainability"),
        other => {
            let words = other.replace('_', " ");
            return (words.clone(), words);
        }
    };
    (pl.to_owned(), en.to_owned())
}

/// A random number from the system (letters must not follow the order of acceptance).
fn random_pick() -> Result<u64, AppError> {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes).map_err(|e| invalid(format!("brak losowości systemu: {e}"), format!("no randomness from the system: {e}")))?;
    Ok(u64::from_le_bytes(bytes))
}

fn member_view(m: rows::MemberRow) -> Result<MemberView, AppError> {
    let state = MemberState::parse(&m.state)
        .ok_or_else(|| AppError::Store(store::StoreError::Corrupt { what: "exchange member state", value: m.state.clone() }))?;
    Ok(MemberView {
        unit_id: m.unit_id,
        code: m.code,
        name: m.name,
        state,
        letter: m.letter,
        application: m.application,
        applied_at: m.applied_at,
        applied_by: m.applied_by,
        decided_at: m.decided_at,
        plan_id: m.plan_id,
        plan_filed_at: m.plan_filed_at,
    })
}

/// The variables of a campaign's form (empty when the campaign or its form is gone).
async fn campaign_variables(store: &Store, campaign_id: i64) -> Result<Vec<String>, AppError> {
    let info = match crate::campaigns::campaign(store, campaign_id).await {
        Ok(info) => info,
        Err(AppError::Busy) => return Err(AppError::Busy),
        Err(_) => return Ok(Vec::new()),
    };
    match crate::campaigns::campaign_form(store, &info).await {
        Ok(form) => Ok(form.fields.into_iter().map(|f| f.variable).collect()),
        Err(AppError::Busy) => Err(AppError::Busy),
        Err(_) => Ok(Vec::new()),
    }
}

async fn cycle_view(store: &Store, c: rows::CycleRow, members: Vec<rows::MemberRow>) -> Result<CycleView, AppError> {
    let state = CycleState::parse(&c.state)
        .ok_or_else(|| AppError::Store(store::StoreError::Corrupt { what: "exchange cycle state", value: c.state.clone() }))?;
    let mut members = members.into_iter().map(member_view).collect::<Result<Vec<_>, _>>()?;
    members.sort_by(|a, b| model::fold(&a.name).cmp(&model::fold(&b.name)).then(a.unit_id.cmp(&b.unit_id)));
    let campaign_variables = match c.campaign_id {
        Some(id) => campaign_variables(store, id).await?,
        None => Vec::new(),
    };
    let (sector_name_pl, sector_name_en) = sector_names(&c.sector);
    Ok(CycleView {
        id: c.id,
        name: c.name,
        sector: c.sector,
        sector_name_pl,
        sector_name_en,
        year: i32::try_from(c.year)
            .map_err(|_| AppError::Store(store::StoreError::Corrupt { what: "exchange cycle year", value: c.year.to_string() }))?,
        description: c.description,
        state,
        coordinator_user_id: c.coordinator_user_id,
        coordinator_name: c.coordinator_name,
        campaign_id: c.campaign_id,
        campaign_variables,
        created_at: c.created_at,
        closed_at: c.closed_at,
        members,
    })
}

/// Every cycle, newest first.
pub async fn cycles(store: &Store) -> Result<Vec<CycleView>, AppError> {
    let mut members: HashMap<i64, Vec<rows::MemberRow>> = HashMap::new();
    for m in store.exchange_members(None).await? {
        members.entry(m.cycle_id).or_default().push(m);
    }
    let mut out = Vec::new();
    for c in store.exchange_cycles().await? {
        let mine = members.remove(&c.id).unwrap_or_default();
        out.push(cycle_view(store, c, mine).await?);
    }
    Ok(out)
}

/// One cycle, or None.
pub async fn cycle(store: &Store, id: i64) -> Result<Option<CycleView>, AppError> {
    let Some(c) = store.exchange_cycle(id).await? else { return Ok(None) };
    let members = store.exchange_members(Some(id)).await?;
    Ok(Some(cycle_view(store, c, members).await?))
}

/// The cycle, or `NotFound`.
async fn must_cycle(store: &Store, id: i64) -> Result<CycleView, AppError> {
    cycle(store, id).await?.ok_or_else(|| not_found(format!("nie ma cyklu grupy wymiany {id}"), format!("no exchange cycle {id}")))
}

/// Refuses a closed cycle.
fn not_closed(view: &CycleView) -> Result<(), AppError> {
    if view.state == CycleState::Closed {
        return Err(invalid(format!("cykl „{}” jest zakończony", view.name), format!("the cycle \"{}\" is closed", view.name)));
    }
    Ok(())
}

/// The accepted member `unit_id` of the cycle, or `Invalid` naming `field`.
fn accepted_member<'a>(view: &'a CycleView, unit_id: i64, field: (&str, &str)) -> Result<&'a MemberView, AppError> {
    view.member(unit_id).filter(|m| m.state == MemberState::Accepted).ok_or_else(|| {
        invalid(format!("{}: ta JST nie jest członkiem tego cyklu", field.0), format!("{}: this unit is not a member of this cycle", field.1))
    })
}

/// Opens a cycle (state recruiting) with `coordinator_user_id` as its coordinator; its id.
/// The sector must be an area of the catalogue in `c`.
pub async fn open_cycle(store: &Store, c: &Computed, f: &CycleFields, coordinator_user_id: i64, actor: &Actor) -> Result<i64, AppError> {
    let name = text(("nazwa", "name"), Some(&f.name), MAX_TITLE, true)?.unwrap_or_default();
    let sector = f.sector.trim();
    if !c.definitions.iter().any(|d| d.area == sector) {
        return Err(invalid(
            format!("obszar: „{}” nie jest obszarem katalogu wskaźników", model::excerpt(sector, 40)),
            format!("sector: \"{}\" is not an area of the indicator catalogue", model::excerpt(sector, 40)),
        ));
    }
    if !YEARS.contains(&f.year) {
        return Err(invalid(
            format!("rok: {} poza zakresem {}–{}", f.year, YEARS.start(), YEARS.end()),
            format!("year: {} is outside {}–{}", f.year, YEARS.start(), YEARS.end()),
        ));
    }
    let description = text(("opis", "description"), f.description.as_deref(), MAX_TEXT, false)?;
    let row = rows::NewCycle { name, sector: sector.to_owned(), year: i64::from(f.year), description, coordinator_user_id };
    Ok(store.open_exchange_cycle(&row, actor).await?)
}

/// A unit applies to a cycle (recruiting or running), with an optional note; once, unless
/// it was rejected or withdrew.
pub async fn apply(store: &Store, cycle_id: i64, unit_id: i64, application: Option<&str>, actor: &Actor) -> Result<(), AppError> {
    let view = must_cycle(store, cycle_id).await?;
    not_closed(&view)?;
    let application = text(("zgłoszenie", "application"), application, MAX_TEXT, false)?;
    if let Some(m) = view.member(unit_id)
        && matches!(m.state, MemberState::Applied | MemberState::Accepted)
    {
        return Err(invalid(
            format!("{}: ta JST jest już {} w tym cyklu", m.name, if m.state == MemberState::Applied { "zgłoszona" } else { "członkiem" }),
            format!("{}: this unit has already {} this cycle", m.name, if m.state == MemberState::Applied { "applied to" } else { "joined" }),
        ));
    }
    Ok(store.exchange_apply(cycle_id, unit_id, application.as_deref(), actor).await?)
}

fn check_room(view: &CycleView) -> Result<(), AppError> {
    if view.accepted().count() >= MAX_MEMBERS {
        return Err(invalid(
            format!("grupa ma już {MAX_MEMBERS} członków (najwięcej w cyklu); najpierw ktoś musi się wycofać"),
            format!("the group already has {MAX_MEMBERS} members (the most a cycle takes); someone must withdraw first"),
        ));
    }
    Ok(())
}

/// The coordinator accepts (the unit's letter, drawn at random among the free ones) or
/// rejects (None) an application. A ninth member is refused.
pub async fn decide(store: &Store, cycle_id: i64, unit_id: i64, accept: bool, actor: &Actor) -> Result<Option<String>, AppError> {
    let view = must_cycle(store, cycle_id).await?;
    if !view.member(unit_id).is_some_and(|m| m.state == MemberState::Applied) {
        return Err(invalid("ta JST nie czeka na decyzję w tym cyklu", "this unit has no application waiting in this cycle"));
    }
    if accept {
        not_closed(&view)?;
        check_room(&view)?;
    }
    Ok(store.exchange_decide(cycle_id, unit_id, accept, random_pick()?, MAX_MEMBERS, actor).await?)
}

/// The coordinator adds a JST by TERYT code, applied and accepted at once: (unit id, letter).
pub async fn add_unit_member(store: &Store, cycle_id: i64, unit_code: &str, actor: &Actor) -> Result<(i64, String), AppError> {
    let view = must_cycle(store, cycle_id).await?;
    not_closed(&view)?;
    let code = model::TerytCode::parse_lenient(unit_code).map_err(|e| invalid(format!("kod TERYT: {e}"), format!("TERYT code: {e}")))?;
    let unit_id = store.unit_id_for_code(&code).await?.ok_or_else(|| {
        invalid(format!("kod TERYT: nie ma JST o kodzie {}", code.as_str()), format!("TERYT code: no unit with code {}", code.as_str()))
    })?;
    if view.member(unit_id).is_some_and(|m| m.state == MemberState::Accepted) {
        return Err(invalid(
            format!("{}: ta JST jest już członkiem cyklu", code.as_str()),
            format!("{}: this unit is already a member", code.as_str()),
        ));
    }
    check_room(&view)?;
    let letter = store.exchange_admit(cycle_id, unit_id, random_pick()?, MAX_MEMBERS, actor).await?;
    Ok((unit_id, letter))
}

/// Moves a cycle forward: recruiting → running → closed (a recruiting cycle may be closed
/// at once).
pub async fn set_state(store: &Store, cycle_id: i64, state: CycleState, actor: &Actor) -> Result<(), AppError> {
    let view = must_cycle(store, cycle_id).await?;
    let allowed = matches!(
        (view.state, state),
        (CycleState::Recruiting, CycleState::Running) | (CycleState::Running, CycleState::Closed) | (CycleState::Recruiting, CycleState::Closed)
    );
    if !allowed {
        let (from_pl, from_en) = view.state.words();
        let (to_pl, to_en) = state.words();
        return Err(invalid(
            format!("stan: cykl „{from_pl}” nie przechodzi w „{to_pl}”"),
            format!("state: a cycle \"{from_en}\" does not move to \"{to_en}\""),
        ));
    }
    Ok(store.exchange_set_state(cycle_id, view.state.as_str(), state.as_str(), actor).await?)
}

/// A member (or an applicant) leaves; its letter stays its own and is never given again.
pub async fn withdraw(store: &Store, cycle_id: i64, unit_id: i64, actor: &Actor) -> Result<(), AppError> {
    let view = must_cycle(store, cycle_id).await?;
    if !view.member(unit_id).is_some_and(|m| matches!(m.state, MemberState::Applied | MemberState::Accepted)) {
        return Err(invalid("ta JST nie jest członkiem ani kandydatem tego cyklu", "this unit is neither a member nor an applicant of this cycle"));
    }
    Ok(store.exchange_withdraw(cycle_id, unit_id, actor).await?)
}

fn document_info(d: rows::DocumentRow) -> DocumentInfo {
    DocumentInfo {
        id: d.id,
        cycle_id: d.cycle_id,
        meeting_id: d.meeting_id,
        title: d.title,
        file_name: d.file_name,
        content_type: d.content_type,
        size: d.size,
        created_at: d.created_at,
    }
}

/// The meetings of a cycle, by sequence number, each with its host and documents.
pub async fn meetings(store: &Store, cycle_id: i64) -> Result<Vec<MeetingView>, AppError> {
    let members: Vec<MemberView> = store.exchange_members(Some(cycle_id)).await?.into_iter().map(member_view).collect::<Result<_, _>>()?;
    let mut docs: HashMap<i64, Vec<DocumentInfo>> = HashMap::new();
    for d in store.exchange_documents(cycle_id).await? {
        if let Some(m) = d.meeting_id {
            docs.entry(m).or_default().push(document_info(d));
        }
    }
    store
        .exchange_meetings(cycle_id)
        .await?
        .into_iter()
        .map(|m| {
            let held_on = model::parse_date(&m.fields.held_on)
                .ok_or_else(|| AppError::Store(store::StoreError::Corrupt { what: "meeting date", value: m.fields.held_on.clone() }))?;
            Ok(MeetingView {
                id: m.id,
                seq: m.seq,
                held_on,
                host_unit_id: m.fields.host_unit_id,
                host: m.fields.host_unit_id.and_then(|h| members.iter().find(|x| x.unit_id == h).cloned()),
                place: m.fields.place,
                agenda: m.fields.agenda,
                notes: m.notes,
                documents: docs.remove(&m.id).unwrap_or_default(),
            })
        })
        .collect()
}

/// The next host: the accepted member who hosted least, ties by letter (so the rotation goes
/// round the letters, which tells nothing about names).
pub fn host_rotation(members: &[MemberView], meetings: &[MeetingView]) -> Option<i64> {
    let mut hosted: HashMap<i64, usize> = HashMap::new();
    for m in meetings {
        if let Some(h) = m.host_unit_id {
            *hosted.entry(h).or_default() += 1;
        }
    }
    members
        .iter()
        .filter(|m| m.state == MemberState::Accepted)
        .min_by(|a, b| {
            let count = |m: &MemberView| hosted.get(&m.unit_id).copied().unwrap_or(0);
            count(a).cmp(&count(b)).then_with(|| a.letter.cmp(&b.letter)).then(a.unit_id.cmp(&b.unit_id))
        })
        .map(|m| m.unit_id)
}

fn meeting_row(view: &CycleView, f: &MeetingFields, keep_host: Option<i64>) -> Result<rows::MeetingFieldsRow, AppError> {
    if let Some(h) = f.host_unit_id
        && Some(h) != keep_host
    {
        accepted_member(view, h, ("gospodarz", "host"))?;
    }
    Ok(rows::MeetingFieldsRow {
        held_on: model::format_date(f.held_on),
        host_unit_id: f.host_unit_id,
        place: text(("miejsce", "place"), f.place.as_deref(), MAX_TITLE, false)?,
        agenda: text(("program", "agenda"), f.agenda.as_deref(), MAX_TEXT, false)?,
    })
}

/// A new meeting of a cycle that is not closed; its id. The host must be an accepted member.
pub async fn add_meeting(store: &Store, cycle_id: i64, f: &MeetingFields, actor: &Actor) -> Result<i64, AppError> {
    let view = must_cycle(store, cycle_id).await?;
    not_closed(&view)?;
    let row = meeting_row(&view, f, None)?;
    Ok(store.add_exchange_meeting(cycle_id, &row, actor).await?)
}

/// Changes a meeting and writes its notes (the minutes). The host stays valid when it is the
/// one already set (a member who hosted and withdrew later).
pub async fn update_meeting(store: &Store, meeting_id: i64, f: &MeetingFields, notes: Option<&str>, actor: &Actor) -> Result<(), AppError> {
    let m = store
        .exchange_meeting(meeting_id)
        .await?
        .ok_or_else(|| not_found(format!("nie ma spotkania {meeting_id}"), format!("no meeting {meeting_id}")))?;
    let view = must_cycle(store, m.cycle_id).await?;
    let row = meeting_row(&view, f, m.fields.host_unit_id)?;
    let notes = text(("notatki", "notes"), notes, MAX_NOTES, false)?;
    Ok(store.update_exchange_meeting(meeting_id, &row, notes.as_deref(), actor).await?)
}

/// What a document is, told by its content (never by its name alone): PDF, an office file
/// (a ZIP whose name says XLSX, DOCX, PPTX, ODT, ODS or ODP) or UTF-8 text (CSV or plain).
pub fn document_type(bytes: &[u8], file_name: &str) -> Result<&'static str, AppError> {
    let ext = file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if bytes.is_empty() {
        return Err(invalid("plik: pusty", "file: empty"));
    }
    if bytes.starts_with(b"%PDF-") {
        return Ok("application/pdf");
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return match ext.as_str() {
            "xlsx" => Ok("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            "docx" => Ok("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            "pptx" => Ok("application/vnd.openxmlformats-officedocument.presentationml.presentation"),
            "odt" => Ok("application/vnd.oasis.opendocument.text"),
            "ods" => Ok("application/vnd.oasis.opendocument.spreadsheet"),
            "odp" => Ok("application/vnd.oasis.opendocument.presentation"),
            _ => Err(invalid(
                "plik: archiwum ZIP przyjmujemy tylko jako XLSX, DOCX, PPTX, ODT, ODS lub ODP",
                "file: a ZIP archive is taken only as XLSX, DOCX, PPTX, ODT, ODS or ODP",
            )),
        };
    }
    if !bytes.contains(&0)
        && let Ok(t) = std::str::from_utf8(bytes)
        && !t.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{feff}'))
    {
        return Ok(if ext == "csv" { "text/csv; charset=utf-8" } else { "text/plain; charset=utf-8" });
    }
    Err(invalid(
        "plik: przyjmujemy PDF, XLSX, DOCX, PPTX, ODT, ODS, ODP oraz tekst lub CSV w UTF-8",
        "file: PDF, XLSX, DOCX, PPTX, ODT, ODS, ODP and UTF-8 text or CSV are taken",
    ))
}

/// A file name safe in a Content-Disposition header: the last path part, ASCII letters,
/// digits, `.`, `-`, `_` and spaces (others become `_`), at most 100 characters.
pub fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') { c } else { '_' }).take(100).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() { "dokument".to_owned() } else { cleaned }
}

/// Stores a document (≤ 5 MB, its type told by its content) of a cycle, optionally of one of
/// its meetings; its id.
pub async fn add_document(
    store: &Store,
    cycle_id: i64,
    meeting_id: Option<i64>,
    title: &str,
    file_name: &str,
    bytes: &[u8],
    actor: &Actor,
) -> Result<i64, AppError> {
    let _view = must_cycle(store, cycle_id).await?;
    if bytes.len() > MAX_DOCUMENT {
        return Err(invalid(
            format!("plik: {} bajtów, najwyżej {MAX_DOCUMENT} (5 MB)", bytes.len()),
            format!("file: {} bytes, at most {MAX_DOCUMENT} (5 MB)", bytes.len()),
        ));
    }
    let file_name = safe_file_name(file_name);
    let content_type = document_type(bytes, &file_name)?;
    let title = match text(("tytuł", "title"), Some(title), MAX_TITLE, false)? {
        Some(t) => t,
        None => file_name.clone(),
    };
    if let Some(m) = meeting_id
        && store.exchange_meeting(m).await?.is_none_or(|x| x.cycle_id != cycle_id)
    {
        return Err(invalid(format!("spotkanie: {m} nie jest spotkaniem tego cyklu"), format!("meeting: {m} is not a meeting of this cycle")));
    }
    let doc = rows::NewDocument { meeting_id, title: &title, file_name: &file_name, content_type, bytes };
    Ok(store.add_exchange_document(cycle_id, &doc, actor).await?)
}

/// The documents of a cycle, newest first.
pub async fn documents(store: &Store, cycle_id: i64) -> Result<Vec<DocumentInfo>, AppError> {
    Ok(store.exchange_documents(cycle_id).await?.into_iter().map(document_info).collect())
}

/// A document with its bytes.
pub async fn document(store: &Store, doc_id: i64) -> Result<Option<(DocumentInfo, Vec<u8>)>, AppError> {
    Ok(store.exchange_document(doc_id).await?.map(|(d, b)| (document_info(d), b)))
}

/// Links the group's own data collection (an existing campaign).
pub async fn link_campaign(store: &Store, cycle_id: i64, campaign_id: i64, actor: &Actor) -> Result<(), AppError> {
    let _view = must_cycle(store, cycle_id).await?;
    if store.campaign(campaign_id).await?.is_none() {
        return Err(invalid(format!("ankieta: nie ma zbierania danych {campaign_id}"), format!("campaign: no campaign {campaign_id}")));
    }
    Ok(store.link_exchange_campaign(cycle_id, campaign_id, actor).await?)
}

/// Files a member unit's improvement plan (which must exist) with the cycle.
pub async fn file_plan(store: &Store, cycle_id: i64, unit_id: i64, actor: &Actor) -> Result<(), AppError> {
    let view = must_cycle(store, cycle_id).await?;
    accepted_member(&view, unit_id, ("JST", "unit"))?;
    let plan = store.plan(store::Owner::Unit(unit_id)).await?.ok_or_else(|| {
        invalid("plan: ta JST nie ma jeszcze planu poprawy; najpierw go utwórz", "plan: this unit has no improvement plan yet; create it first")
    })?;
    Ok(store.file_exchange_plan(cycle_id, unit_id, plan.id, actor).await?)
}

/// The comparison sheet for `viewer`: every indicator of the cycle's sector that applies to
/// an accepted member, one row per such member sorted by letter, the values read from the
/// private view (approved values not yet published included and marked: the group sees its
/// own data before publication). `year`: the year asked for (None: the cycle's year, or the
/// newest with data when the snapshot does not reach it).
pub fn sheet(view: &CycleView, viewer: &Viewer, private: &Private, year: Option<i32>, questions: &[QuestionView]) -> Result<Sheet, AppError> {
    let c = private.computed();
    let s = &c.snapshot;
    let first = s.first_year();
    let index: HashMap<i64, usize> = c.unit_ids.iter().enumerate().map(|(u, id)| (*id, u)).collect();
    let mut members: Vec<(&MemberView, usize)> = view.accepted().filter_map(|m| index.get(&m.unit_id).map(|&u| (m, u))).collect();
    members.sort_by(|a, b| a.0.letter.cmp(&b.0.letter).then(a.0.unit_id.cmp(&b.0.unit_id)));
    let indicators: Vec<usize> = (0..s.indicator_count())
        .filter(|&i| c.definitions.get(i).is_some_and(|d| d.area == view.sector))
        .filter(|&i| members.iter().any(|&(_, u)| s.indicator(i).applies.get(u).copied().unwrap_or(false)))
        .collect();
    let years: Vec<i32> = (0..s.years())
        .filter(|&y| indicators.iter().any(|&i| members.iter().any(|&(_, u)| s.value(i, u, y).is_some())))
        .map(|y| first + y as i32)
        .collect();
    let year = match year {
        Some(y) => {
            if s.year_index(y).is_none() {
                let last = first + s.years() as i32 - 1;
                return Err(invalid(format!("rok: {y} poza danymi ({first}–{last})"), format!("year: {y} is outside the data ({first}–{last})")));
            }
            y
        }
        None if s.year_index(view.year).is_some() && (years.is_empty() || years.contains(&view.year)) => view.year,
        None => years.last().copied().unwrap_or(view.year),
    };
    let Some(y) = s.year_index(year) else {
        return Ok(Sheet { year, years, indicators: Vec::new() });
    };
    let out = indicators
        .into_iter()
        .map(|i| {
            let d = &c.definitions[i];
            let spec = s.indicator(i);
            let inputs = c.inputs.get(i).map(Vec::as_slice).unwrap_or(&[]);
            let from_campaign = inputs.iter().any(|&v| c.variables.get(v as usize).is_some_and(|var| view.campaign_variables.contains(&var.code)));
            let rows: Vec<SheetRow> = members
                .iter()
                .filter(|&&(_, u)| spec.applies.get(u).copied().unwrap_or(false))
                .map(|&(m, u)| {
                    let label = label(viewer, m);
                    SheetRow {
                        unit_id_for_viewer: label.is_named().then_some(m.unit_id),
                        letter: m.letter.clone().unwrap_or_else(|| "?".to_owned()),
                        label,
                        value: s.value(i, u, y),
                        unpublished: private.cell_marked(i, u, y),
                        open_questions: questions
                            .iter()
                            .filter(|q| q.unit_id == m.unit_id && q.indicator_code == d.code && q.year == year && q.state.is_open())
                            .count(),
                    }
                })
                .collect();
            let mut values: Vec<f64> = rows.iter().filter_map(|r| r.value).collect();
            values.sort_by(f64::total_cmp);
            let mean = (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
            SheetIndicator {
                code: d.code.clone(),
                name_pl: d.name_pl.clone(),
                name_en: d.name_en.clone(),
                measure_unit: d.unit_pl.clone(),
                measure_unit_en: if d.unit_en.is_empty() { d.unit_pl.clone() } else { d.unit_en.clone() },
                decimals: d.decimals,
                polarity: spec.polarity,
                from_campaign,
                rows,
                mean,
                median: engine::stats::quantile_sorted(&values, 0.5),
                min: values.first().copied(),
                max: values.last().copied(),
            }
        })
        .collect();
    Ok(Sheet { year, years, indicators: out })
}

/// One CSV field, quoted when it must be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

fn csv_number(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The sheet as CSV (comma, decimal point, one row per indicator and member): members by
/// letter only, whoever reads it — a file travels further than a page.
pub fn sheet_csv(sheet: &Sheet, english: bool) -> String {
    let header = if english {
        "indicator,name,year,participant,value,unpublished,open_questions,group_mean,group_median,group_min,group_max"
    } else {
        "wskaznik,nazwa,rok,uczestnik,wartosc,niepublikowane,otwarte_pytania,srednia_grupy,mediana_grupy,min_grupy,max_grupy"
    };
    let mut out = String::from(header);
    out.push('\n');
    for ind in &sheet.indicators {
        let name = if english { &ind.name_en } else { &ind.name_pl };
        for r in &ind.rows {
            let fields = [
                csv_field(&ind.code),
                csv_field(name),
                sheet.year.to_string(),
                csv_field(&r.letter),
                csv_number(r.value),
                if r.unpublished { "1" } else { "0" }.to_owned(),
                r.open_questions.to_string(),
                csv_number(ind.mean),
                csv_number(ind.median),
                csv_number(ind.min),
                csv_number(ind.max),
            ];
            out.push_str(&fields.join(","));
            out.push('\n');
        }
    }
    out
}

fn question_view(q: rows::QuestionRow, members: &[rows::MemberRow], comments: Vec<CommentView>) -> Result<QuestionView, AppError> {
    let stored = QuestionState::parse(&q.state)
        .filter(|s| *s != QuestionState::Corrected)
        .ok_or_else(|| AppError::Store(store::StoreError::Corrupt { what: "exchange question state", value: q.state.clone() }))?;
    let state = if stored == QuestionState::Correcting && q.approved_since { QuestionState::Corrected } else { stored };
    let letter =
        members.iter().find(|m| m.cycle_id == q.cycle_id && m.unit_id == q.unit_id).and_then(|m| m.letter.clone()).unwrap_or_else(|| "?".to_owned());
    Ok(QuestionView {
        id: q.id,
        cycle_id: q.cycle_id,
        unit_id: q.unit_id,
        letter,
        indicator_code: q.indicator_code,
        year: i32::try_from(q.year).unwrap_or(i32::MAX),
        value_shown: q.value_shown,
        state,
        asked_by_unit_id: q.asked_by_unit_id,
        submission_id: q.submission_id,
        created_at: q.created_at,
        updated_at: q.updated_at,
        comments,
    })
}

fn comment_view(k: rows::CommentRow) -> CommentView {
    CommentView {
        id: k.id,
        author_unit_id: k.author_unit_id,
        author_user_id: k.author_user_id,
        author_name: k.author_name,
        kind: k.kind,
        body: k.body,
        created_at: k.created_at,
    }
}

/// The questions of a cycle, oldest first, each with its thread.
pub async fn questions(store: &Store, cycle_id: i64) -> Result<Vec<QuestionView>, AppError> {
    let members = store.exchange_members(Some(cycle_id)).await?;
    let mut threads: HashMap<i64, Vec<CommentView>> = HashMap::new();
    for k in store.exchange_comments(cycle_id, None).await? {
        threads.entry(k.question_id).or_default().push(comment_view(k));
    }
    store
        .exchange_questions(cycle_id)
        .await?
        .into_iter()
        .map(|q| {
            let thread = threads.remove(&q.id).unwrap_or_default();
            question_view(q, &members, thread)
        })
        .collect()
}

/// One question with its thread, or None.
pub async fn question(store: &Store, id: i64) -> Result<Option<QuestionView>, AppError> {
    let Some(q) = store.exchange_question(id).await? else { return Ok(None) };
    let members = store.exchange_members(Some(q.cycle_id)).await?;
    let thread = store.exchange_comments(q.cycle_id, Some(id)).await?.into_iter().map(comment_view).collect();
    Ok(Some(question_view(q, &members, thread)?))
}

async fn must_question(store: &Store, id: i64) -> Result<QuestionView, AppError> {
    question(store, id).await?.ok_or_else(|| not_found(format!("nie ma pytania {id}"), format!("no question {id}")))
}

fn not_closed_question(q: &QuestionView) -> Result<(), AppError> {
    if q.state == QuestionState::Closed {
        return Err(invalid(format!("pytanie {} jest zamknięte", q.id), format!("question {} is closed", q.id)));
    }
    Ok(())
}

/// A member (`asked_by_unit_id`) or the coordinator (None) asks about `unit_id`'s value of
/// an indicator in a year; the question's id.
#[allow(clippy::too_many_arguments)]
pub async fn ask(
    store: &Store,
    cycle_id: i64,
    unit_id: i64,
    indicator_code: &str,
    year: i32,
    value_shown: Option<f64>,
    body: &str,
    asked_by_unit_id: Option<i64>,
    user_id: i64,
    actor: &Actor,
) -> Result<i64, AppError> {
    let view = must_cycle(store, cycle_id).await?;
    not_closed(&view)?;
    accepted_member(&view, unit_id, ("JST", "unit"))?;
    if let Some(asker) = asked_by_unit_id {
        accepted_member(&view, asker, ("pytający", "asker"))?;
        if asker == unit_id {
            return Err(invalid("pytający: JST nie pyta o własną wartość", "asker: a unit does not question its own value"));
        }
    }
    let code = indicator_code.trim();
    if code.is_empty() || code.len() > 64 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.') {
        return Err(invalid(
            format!("wskaźnik: „{}” nie jest kodem wskaźnika", model::excerpt(code, 40)),
            format!("indicator: \"{}\" is not an indicator code", model::excerpt(code, 40)),
        ));
    }
    if !YEARS.contains(&year) {
        return Err(invalid(format!("rok: {year} poza zakresem"), format!("year: {year} is out of range")));
    }
    if value_shown.is_some_and(|v| !v.is_finite()) {
        return Err(invalid("wartość: nie jest liczbą", "value: not a number"));
    }
    let body = text(("pytanie", "question"), Some(body), MAX_TEXT, true)?.unwrap_or_default();
    let q =
        rows::NewQuestion { cycle_id, unit_id, indicator_code: code.to_owned(), year: i64::from(year), value_shown, body, asked_by_unit_id, user_id };
    Ok(store.add_exchange_question(&q, actor).await?)
}

/// A reply in a question's thread by a member unit (`author_unit_id`) or the coordinator
/// (None). `answer`: the questioned unit's answer, which moves an open question to
/// answered (only that unit may give it).
pub async fn reply(
    store: &Store,
    question_id: i64,
    body: &str,
    author_unit_id: Option<i64>,
    user_id: i64,
    answer: bool,
    actor: &Actor,
) -> Result<(), AppError> {
    let q = must_question(store, question_id).await?;
    not_closed_question(&q)?;
    let view = must_cycle(store, q.cycle_id).await?;
    if let Some(u) = author_unit_id {
        accepted_member(&view, u, ("autor", "author"))?;
    }
    if answer && author_unit_id != Some(q.unit_id) {
        return Err(invalid("odpowiedź: odpowiada tylko JST, o której wartość pytano", "answer: only the unit whose value is questioned answers"));
    }
    let body = text(("treść", "text"), Some(body), MAX_TEXT, true)?.unwrap_or_default();
    let new_state = (answer && matches!(q.state, QuestionState::Open | QuestionState::Answered)).then_some(QuestionState::Answered.as_str());
    store.add_exchange_comment(question_id, user_id, author_unit_id, if answer { "answer" } else { "comment" }, &body, new_state, actor).await?;
    Ok(())
}

/// The questioned unit corrects its value through the data collection: its submission to
/// the cycle's campaign is reopened (returned, with the question in the return comment; an
/// approved and published one is published again after approval, as a revision), and the
/// question reads "being corrected" until that submission is approved again. (campaign id,
/// unit id) for the entry page. Without a campaign covering the unit the unit answers in
/// words instead.
pub async fn start_correction(store: &Store, question_id: i64, user_id: i64, actor: &Actor) -> Result<(i64, i64), AppError> {
    let q = must_question(store, question_id).await?;
    not_closed_question(&q)?;
    if q.state == QuestionState::Correcting {
        return Err(invalid(format!("pytanie {question_id}: korekta już trwa"), format!("question {question_id}: a correction is under way")));
    }
    let view = must_cycle(store, q.cycle_id).await?;
    let covered = match view.campaign_id {
        Some(c) => store.campaign_units(c).await?.contains(&q.unit_id),
        None => false,
    };
    if !covered {
        return Err(invalid(
            "korekta: grupa nie ma własnego zbierania danych obejmującego tę JST; odpowiedz słowami",
            "correction: the group has no data collection covering this unit; answer in words",
        ));
    }
    let asked = q.comments.first().map(|k| model::excerpt(&k.body, 300).into_owned()).unwrap_or_default();
    let return_comment = format!("Pytanie grupy wymiany #{question_id} ({} {}): {asked}", q.indicator_code, q.year);
    let body = "Wartość jest poprawiana w formularzu zbierania danych / The value is being corrected in the data-collection form";
    let started = store.start_exchange_correction(question_id, user_id, body, &return_comment, actor).await?;
    Ok((started.campaign_id, started.unit_id))
}

/// Closes a question (the asker's unit or the coordinator), with an optional note.
pub async fn close_question(
    store: &Store,
    question_id: i64,
    user_id: i64,
    author_unit_id: Option<i64>,
    note: Option<&str>,
    actor: &Actor,
) -> Result<(), AppError> {
    let q = must_question(store, question_id).await?;
    not_closed_question(&q)?;
    let view = must_cycle(store, q.cycle_id).await?;
    if let Some(u) = author_unit_id {
        accepted_member(&view, u, ("autor", "author"))?;
    }
    let note = text(("notatka", "note"), note, MAX_TEXT, false)?.unwrap_or_default();
    store.add_exchange_comment(question_id, user_id, author_unit_id, "close", &note, Some(QuestionState::Closed.as_str()), actor).await?;
    Ok(())
}

/// How a comment's author is shown to `viewer`: "Koordynator / Coordinator" for the
/// coordinator's side; for a unit the viewer sees named (its own, or any unit for an admin
/// or the coordinator) the person and the unit; for everyone else "Uczestnik B /
/// Participant B" — never a person's name.
pub fn comment_author(viewer: &Viewer, view: &CycleView, c: &CommentView, english: bool) -> String {
    let Some(u) = c.author_unit_id else {
        return if english { "Coordinator" } else { "Koordynator" }.to_owned();
    };
    let participant = if english { "Participant" } else { "Uczestnik" };
    match view.member(u) {
        Some(m) => match label(viewer, m) {
            Label::Named { name, letter, .. } => match letter {
                Some(l) => format!("{} ({name}, {participant} {l})", c.author_name),
                None => format!("{} ({name})", c.author_name),
            },
            Label::Letter(l) => format!("{participant} {l}"),
        },
        None if viewer.sees_all() => c.author_name.clone(),
        None => format!("{participant} ?"),
    }
}
