//! Priorities and improvement plans of a unit or a functional area: the plan page's data
//! (priorities, actions, targets with their trajectory and yearly progress from the public
//! snapshot), target proposals from peers, validated writes, and the plan as CSV and JSON.
//!
//! What each function returns:
//! * [`PlanOwner::unit`] / [`PlanOwner::area`]: the owner named by a TERYT code / an area's
//!   group code, or `NotFound`.
//! * [`owner_info`]: the owner's names, the unit on which roles are checked (the unit itself,
//!   or the area's lead unit), and its members in the snapshot.
//! * [`plan_view`]: everything the plan page shows ([`PlanView`]); `plan` is `None` when the
//!   owner has no plan yet (priorities may exist without one). Whether the reader may see an
//!   internal plan is the caller's decision (`plan.fields.public`).
//! * [`target_proposals`]: for one indicator, the baseline (the owner's newest year with a
//!   value), the peer group's values in that year and six proposals (median, good quartile,
//!   best decile, closing 25/50/75 % of the gap to the good quartile), each with its value and
//!   its trajectory to `target_year` ([`Proposals`]).
//! * writes ([`add_priority`], [`remove_priority`], [`save_plan`], [`add_action`],
//!   [`update_action`], [`remove_action`], [`set_target`], [`remove_target`]): the new row's
//!   id or `()`; refused input is `AppError::Invalid("field: why")` and nothing is written; a
//!   row of another owner (or none) is `AppError::NotFound`. Who may write is decided by the
//!   caller (`Action::Plan` on [`OwnerInfo::auth_unit_id`]); the store writes the audit rows.
//! * [`plan_csv`]: one row per target, machine CSV with stable English keys;
//!   [`plan_json`]: the same content as a JSON value.
//! * [`method_words`] / [`progress_words`]: a target method's and a progress judgement's words
//!   (the latter with its stable key); [`PlanOwner::default_group`]: the group a new plan
//!   proposes from.

use std::collections::HashMap;

use engine::targets::{Progress, TargetMethod};
use model::{Polarity, TerytCode};
use store::Store;

use crate::compare::{GROUP_HELP, peer_group};
use crate::nearest::NearestSpec;
use crate::{AppError, Computed};

pub use store::{ActionFields, ActionRow, Actor, Owner, PlanFields, PlanRow, PriorityRow, TargetFields, TargetRow};

/// Whose plan: a unit (by its store id and TERYT code) or a functional area (by its id and
/// its group's code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanOwner {
    Unit { unit_id: i64, code: String },
    Area { area_id: i64, code: String },
}

/// The owner with what the pages say about it.
#[derive(Debug, Clone)]
pub struct OwnerInfo {
    pub owner: PlanOwner,
    pub name_pl: String,
    pub name_en: Option<String>,
    /// The unit whose roles may write the plan: the unit itself, or the area's lead unit.
    pub auth_unit_id: i64,
    /// The unit's index in the snapshot (none for an area, or a unit without data).
    pub unit: Option<usize>,
    /// The members' indices in the snapshot: the unit alone, or the area's members.
    pub members: Vec<usize>,
}

/// A priority with its indicator's names and where the owner stands now.
#[derive(Debug, Clone)]
pub struct PriorityView {
    pub row: PriorityRow,
    pub name_pl: String,
    pub name_en: String,
    pub measure_unit: String,
    pub decimals: u8,
    pub polarity: Polarity,
    /// The newest year with a value, and the value.
    pub current_year: Option<i32>,
    pub current: Option<f64>,
    /// The polarity-turned z-score in the priority's group that year (positive is good); none
    /// for an area, a neutral indicator or a group that cannot be formed.
    pub score: Option<f64>,
}

/// One year of a target's way: the value planned, the value reached, and the judgement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetYear {
    pub year: i32,
    pub planned: f64,
    pub actual: Option<f64>,
    pub progress: Progress,
}

/// A target with everything its row on the plan page shows.
#[derive(Debug, Clone)]
pub struct TargetView {
    pub row: TargetRow,
    pub name_pl: String,
    pub name_en: String,
    pub measure_unit: String,
    pub measure_unit_en: String,
    pub decimals: u8,
    pub polarity: Polarity,
    /// The method in words (Polish, English).
    pub method_pl: String,
    pub method_en: String,
    /// Baseline year..=target year, straight.
    pub trajectory: Vec<(i32, f64)>,
    /// baseline year + 1 ..= target year.
    pub years: Vec<TargetYear>,
    /// The progress of the newest year with an actual value, else `NoData`.
    pub latest: Progress,
    /// That year.
    pub latest_year: Option<i32>,
}

/// An action with its targets.
#[derive(Debug, Clone)]
pub struct ActionView {
    pub row: ActionRow,
    pub targets: Vec<TargetView>,
}

/// Everything the plan page shows.
#[derive(Debug, Clone)]
pub struct PlanView {
    pub owner: OwnerInfo,
    pub plan: Option<PlanRow>,
    pub priorities: Vec<PriorityView>,
    pub actions: Vec<ActionView>,
}

/// One proposed target.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub method: TargetMethod,
    /// `TargetMethod::code`, as stored in `action_target.method`.
    pub code: String,
    pub label_pl: String,
    pub label_en: String,
    pub value: f64,
    /// The proposal is the owner's own value: it is already better than the group's mark.
    pub keeps_current: bool,
    pub trajectory: Vec<(i32, f64)>,
}

/// The target helper's answer for one indicator.
#[derive(Debug, Clone)]
pub struct Proposals {
    pub indicator_code: String,
    pub name_pl: String,
    pub name_en: String,
    pub measure_unit: String,
    pub decimals: u8,
    pub polarity: Polarity,
    /// The canonical group name and what a reader sees.
    pub group: String,
    pub group_label: String,
    pub baseline_year: i32,
    pub baseline: f64,
    pub target_year: i32,
    /// Values in the group that year (the owner's included).
    pub n: usize,
    pub proposals: Vec<Proposal>,
}

/// The years a plan's rows may name.
pub const YEARS: std::ops::RangeInclusive<i64> = 2000..=2100;
/// The longest title (also an action's owner) and the longest description, note or summary
/// (characters).
pub const MAX_TITLE: usize = 200;
pub const MAX_TEXT: usize = 4000;
/// An action's statuses.
pub const STATUSES: [&str; 4] = ["planned", "in_progress", "done", "cancelled"];
/// The groups a functional area's targets are proposed from: the other declared areas, or the
/// land powiaty, each with its gminy (as the area's card compares it).
pub const AREA_GROUPS: [&str; 2] = ["areas", "powiaty"];
/// The proposals the target helper offers, in this order.
pub const METHODS: [TargetMethod; 6] = [
    TargetMethod::Median,
    TargetMethod::GoodQuartile,
    TargetMethod::BestDecile,
    TargetMethod::GapToGoodQuartile(0.25),
    TargetMethod::GapToGoodQuartile(0.5),
    TargetMethod::GapToGoodQuartile(0.75),
];

impl PlanOwner {
    /// The unit with this TERYT code (lenient), or `NotFound`.
    pub fn unit(c: &Computed, code: &str) -> Result<PlanOwner, AppError> {
        let code = TerytCode::parse_lenient(code).map_err(|e| AppError::Invalid(format!("unit: {e}")))?;
        let u = c.unit_index(code.as_str()).ok_or_else(|| AppError::NotFound(format!("no unit {} with data", code.as_str())))?;
        Ok(PlanOwner::Unit { unit_id: c.unit_ids[u], code: code.as_str().to_owned() })
    }

    /// The functional area of this group code, or `NotFound`.
    pub async fn area(store: &Store, code: &str) -> Result<PlanOwner, AppError> {
        let a = store
            .functional_area_by_code(code)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no functional area `{}`", code.chars().take(40).collect::<String>())))?;
        Ok(PlanOwner::Area { area_id: a.id, code: a.group_code })
    }

    /// The store's owner key.
    pub fn key(&self) -> Owner {
        match self {
            PlanOwner::Unit { unit_id, .. } => Owner::Unit(*unit_id),
            PlanOwner::Area { area_id, .. } => Owner::Area(*area_id),
        }
    }

    /// The TERYT code or the area's code.
    pub fn code(&self) -> &str {
        match self {
            PlanOwner::Unit { code, .. } | PlanOwner::Area { code, .. } => code,
        }
    }

    /// The group a new plan proposes targets from: `typology` for a unit, `powiaty` for an area.
    pub fn default_group(&self) -> &'static str {
        match self {
            PlanOwner::Unit { .. } => "typology",
            PlanOwner::Area { .. } => "powiaty",
        }
    }
}

/// The owner's names, the unit roles are checked on, its members.
pub async fn owner_info(store: &Store, c: &Computed, owner: &PlanOwner) -> Result<OwnerInfo, AppError> {
    match owner {
        PlanOwner::Unit { unit_id, code } => {
            let u = c.unit_ids.iter().position(|x| x == unit_id);
            let name_pl = match u {
                Some(u) => c.names[u].clone(),
                None => store
                    .units()
                    .await?
                    .into_iter()
                    .find(|x| x.id == *unit_id)
                    .map(|x| x.name)
                    .ok_or_else(|| AppError::NotFound(format!("no unit {code}")))?,
            };
            Ok(OwnerInfo { owner: owner.clone(), name_pl, name_en: None, auth_unit_id: *unit_id, unit: u, members: u.into_iter().collect() })
        }
        PlanOwner::Area { area_id, code } => {
            let a = store.functional_area(*area_id).await?.ok_or_else(|| AppError::NotFound(format!("no functional area `{code}`")))?;
            let mut members: Vec<usize> = a.member_ids.iter().filter_map(|id| c.unit_ids.iter().position(|x| x == id)).collect();
            members.sort_unstable();
            members.dedup();
            Ok(OwnerInfo { owner: owner.clone(), name_pl: a.name_pl, name_en: a.name_en, auth_unit_id: a.lead_unit_id, unit: None, members })
        }
    }
}

/// The plan page's data.
pub async fn plan_view(store: &Store, c: &Computed, owner: &PlanOwner) -> Result<PlanView, AppError> {
    let info = owner_info(store, c, owner).await?;
    let key = owner.key();
    let plan = store.plan(key).await?;
    let mut priorities = Vec::new();
    for row in store.priorities(key).await? {
        priorities.push(priority_view(store, c, &info, row).await);
    }
    let mut actions = Vec::new();
    if let Some(p) = &plan {
        let targets = store.targets_of_plan(p.id).await?;
        for a in store.actions(p.id).await? {
            let t = targets.iter().filter(|t| t.action_id == a.id).map(|t| target_view(c, &info, t.clone())).collect();
            actions.push(ActionView { row: a, targets: t });
        }
    }
    Ok(PlanView { owner: info, plan, priorities, actions })
}

/// Target proposals for `indicator_code` from `group` (see `compare::GROUP_HELP`; for an area
/// one of [`AREA_GROUPS`]) to be reached in `target_year`. The baseline is the owner's newest
/// year with a value; the group is formed in that year and its present values (the owner's
/// included) give the proposals.
pub async fn target_proposals(
    store: &Store,
    c: &Computed,
    owner: &PlanOwner,
    indicator_code: &str,
    group: &str,
    target_year: i32,
) -> Result<Proposals, AppError> {
    let s = &c.snapshot;
    let info = owner_info(store, c, owner).await?;
    let i = indicator(c, indicator_code)?;
    let polarity = polarity_of(c, i);
    if polarity == Polarity::Neutral {
        return Err(AppError::Invalid(format!("indicator: {indicator_code} has no better direction, so no target is proposed")));
    }
    check_applies(c, &info, i)?;
    let series = series(c, &info, i);
    let Some((by, baseline)) = (0..series.len()).rev().find_map(|y| series[y].map(|v| (y, v))) else {
        return Err(AppError::NotFound(format!("indicator: {indicator_code} has no value for {}", info.name_pl)));
    };
    let baseline_year = s.first_year() + by as i32;
    if target_year <= baseline_year || i64::from(target_year) > *YEARS.end() {
        return Err(AppError::Invalid(format!(
            "target_year: {target_year} must come after the baseline year {baseline_year} and not after {}",
            YEARS.end()
        )));
    }
    let (group, group_label, values) = group_values(store, c, &info, i, by, group).await?;
    let proposals = METHODS
        .iter()
        .filter_map(|&m| {
            let value = engine::targets::propose(&values, polarity, baseline, m)?;
            let code = m.code();
            let (label_pl, label_en) = method_words(&code);
            Some(Proposal {
                method: m,
                code,
                label_pl,
                label_en,
                value,
                keeps_current: value == baseline,
                trajectory: engine::targets::trajectory(baseline_year, baseline, target_year, value),
            })
        })
        .collect();
    let d = &c.definitions[i];
    Ok(Proposals {
        indicator_code: d.code.clone(),
        name_pl: d.name_pl.clone(),
        name_en: d.name_en.clone(),
        measure_unit: d.unit_pl.clone(),
        decimals: d.decimals,
        polarity,
        group,
        group_label,
        baseline_year,
        baseline,
        target_year,
        n: values.len(),
        proposals,
    })
}

/// Marks an indicator a priority. Returns its id. Refused: an unknown indicator or one that
/// does not apply to the owner, a year outside [`YEARS`], an unknown group, a note over
/// [`MAX_TEXT`], an indicator that is a priority already.
#[allow(clippy::too_many_arguments)]
pub async fn add_priority(
    store: &Store,
    c: &Computed,
    owner: &PlanOwner,
    indicator_code: &str,
    year: i32,
    group: &str,
    note: Option<&str>,
    actor: &Actor,
) -> Result<i64, AppError> {
    let info = owner_info(store, c, owner).await?;
    let i = indicator(c, indicator_code)?;
    check_applies(c, &info, i)?;
    let year = check_year("year", i64::from(year))?;
    let group = check_group(owner, "group", group)?;
    let note = check_text("note", note.unwrap_or(""), MAX_TEXT, false)?;
    let key = owner.key();
    let code = c.definitions[i].code.clone();
    if store.priorities(key).await?.iter().any(|p| p.indicator_code == code) {
        return Err(AppError::Invalid(format!("indicator: {code} is a priority already")));
    }
    Ok(store.add_priority(key, &code, year, &group, note.as_deref(), actor).await?)
}

/// Removes a priority of this owner (`NotFound` for another owner's or none).
pub async fn remove_priority(store: &Store, owner: &PlanOwner, id: i64, actor: &Actor) -> Result<(), AppError> {
    match store.priority(id).await? {
        Some(p) if p.owner == owner.key() => Ok(store.remove_priority(id, actor).await?),
        _ => Err(AppError::NotFound(format!("priority {id}: no such priority of {}", owner.code()))),
    }
}

/// Creates or updates the owner's plan. Returns its id. Refused: an empty title or one over
/// [`MAX_TITLE`], a summary over [`MAX_TEXT`], an unknown group.
pub async fn save_plan(store: &Store, owner: &PlanOwner, f: &PlanFields, actor: &Actor) -> Result<i64, AppError> {
    let fields = PlanFields {
        title: check_text("title", &f.title, MAX_TITLE, true)?.unwrap_or_default(),
        summary: check_text("summary", f.summary.as_deref().unwrap_or(""), MAX_TEXT, false)?,
        public: f.public,
        group_name: check_group(owner, "group_name", &f.group_name)?,
    };
    Ok(store.save_plan(owner.key(), &fields, actor).await?)
}

/// Adds an action to the owner's plan (which must exist). Returns its id. Refused: see
/// [`update_action`].
pub async fn add_action(store: &Store, owner: &PlanOwner, f: &ActionFields, actor: &Actor) -> Result<i64, AppError> {
    let plan = store
        .plan(owner.key())
        .await?
        .ok_or_else(|| AppError::Invalid(format!("plan: {} has no plan yet; save the plan's title first", owner.code())))?;
    let f = check_action(store, owner, f).await?;
    Ok(store.add_action(plan.id, &f, actor).await?)
}

/// Updates an action of the owner's plan. Refused: an empty title or one over [`MAX_TITLE`], a
/// description over [`MAX_TEXT`], an owner over [`MAX_TITLE`], a negative or non-finite
/// budget, years outside [`YEARS`] or an end before the start, a status not in [`STATUSES`],
/// a priority of another owner.
pub async fn update_action(store: &Store, owner: &PlanOwner, id: i64, f: &ActionFields, actor: &Actor) -> Result<(), AppError> {
    owned_action(store, owner, id).await?;
    let f = check_action(store, owner, f).await?;
    Ok(store.update_action(id, &f, actor).await?)
}

/// Removes an action of the owner's plan.
pub async fn remove_action(store: &Store, owner: &PlanOwner, id: i64, actor: &Actor) -> Result<(), AppError> {
    owned_action(store, owner, id).await?;
    Ok(store.remove_action(id, actor).await?)
}

/// Sets (or replaces) the target of an action for one indicator. Returns the target's id.
/// Refused: an unknown or neutral indicator or one that does not apply to the owner, years
/// outside [`YEARS`] or a target year not after the baseline year, a non-finite value, a
/// method that is neither `manual` nor a `TargetMethod` code, an unknown group.
pub async fn set_target(store: &Store, c: &Computed, owner: &PlanOwner, action_id: i64, f: &TargetFields, actor: &Actor) -> Result<i64, AppError> {
    owned_action(store, owner, action_id).await?;
    let info = owner_info(store, c, owner).await?;
    let i = indicator(c, &f.indicator_code)?;
    if polarity_of(c, i) == Polarity::Neutral {
        return Err(AppError::Invalid(format!("indicator_code: {} has no better direction, so it takes no target", f.indicator_code)));
    }
    check_applies(c, &info, i)?;
    let baseline_year = check_year("baseline_year", f.baseline_year)?;
    let target_year = check_year("target_year", f.target_year)?;
    if target_year <= baseline_year {
        return Err(AppError::Invalid(format!("target_year: {target_year} must come after the baseline year {baseline_year}")));
    }
    for (field, v) in [("baseline_value", f.baseline_value), ("target_value", f.target_value)] {
        if !v.is_finite() {
            return Err(AppError::Invalid(format!("{field}: not a number")));
        }
    }
    let method = match f.method.trim() {
        "manual" => "manual".to_owned(),
        m => TargetMethod::parse(m).map(|m| m.code()).ok_or_else(|| {
            AppError::Invalid(format!(
                "method: `{}`: manual, median, q3, best_decile or gap:SHARE (0 < SHARE ≤ 1)",
                m.chars().take(40).collect::<String>()
            ))
        })?,
    };
    let fields = TargetFields {
        indicator_code: c.definitions[i].code.clone(),
        baseline_year,
        baseline_value: f.baseline_value,
        target_year,
        target_value: f.target_value,
        method,
        group_name: check_group(owner, "group_name", &f.group_name)?,
    };
    Ok(store.set_target(action_id, &fields, actor).await?)
}

/// Removes a target of an action of the owner's plan.
pub async fn remove_target(store: &Store, owner: &PlanOwner, id: i64, actor: &Actor) -> Result<(), AppError> {
    let t = store.target(id).await?.ok_or_else(|| AppError::NotFound(format!("target {id}: no such target")))?;
    owned_action(store, owner, t.action_id).await.map_err(|e| match e {
        AppError::NotFound(_) => AppError::NotFound(format!("target {id}: no such target of {}", owner.code())),
        e => e,
    })?;
    Ok(store.remove_target(id, actor).await?)
}

/// The plan as machine CSV: one row per target, stable English keys (as the data exports'
/// machine CSV), numbers in full precision, progress as `on_track`/`off_track`/`no_data`;
/// per year of any target `planned_YYYY`, `actual_YYYY`, `progress_YYYY` (empty outside the
/// target's years).
pub fn plan_csv(view: &PlanView) -> String {
    let mut years: Vec<i32> = view.actions.iter().flat_map(|a| &a.targets).flat_map(|t| t.years.iter().map(|y| y.year)).collect();
    years.sort_unstable();
    years.dedup();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "action_id",
        "action",
        "action_status",
        "action_start_year",
        "action_end_year",
        "indicator_code",
        "indicator_name_pl",
        "indicator_name_en",
        "measure_unit",
        "polarity",
        "baseline_year",
        "baseline_value",
        "target_year",
        "target_value",
        "method",
        "group",
        "latest_year",
        "latest_progress",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for y in &years {
        header.extend([format!("planned_{y}"), format!("actual_{y}"), format!("progress_{y}")]);
    }
    let _ = w.write_record(&header);
    let safe = |t: &str| export::csv_safe(t).into_owned();
    for a in &view.actions {
        for t in &a.targets {
            let f = &t.row.fields;
            let mut row: Vec<String> = vec![
                a.row.id.to_string(),
                safe(&a.row.fields.title),
                safe(&a.row.fields.status),
                a.row.fields.start_year.to_string(),
                a.row.fields.end_year.to_string(),
                safe(&f.indicator_code),
                safe(&t.name_pl),
                safe(&t.name_en),
                safe(&t.measure_unit),
                t.polarity.as_str().to_owned(),
                f.baseline_year.to_string(),
                f.baseline_value.to_string(),
                f.target_year.to_string(),
                f.target_value.to_string(),
                safe(&f.method),
                safe(&f.group_name),
                t.latest_year.map(|y| y.to_string()).unwrap_or_default(),
                progress_words(t.latest).0.to_owned(),
            ];
            for y in &years {
                match t.years.iter().find(|ty| ty.year == *y) {
                    Some(ty) => row.extend([
                        ty.planned.to_string(),
                        ty.actual.map(|v| v.to_string()).unwrap_or_default(),
                        progress_words(ty.progress).0.to_owned(),
                    ]),
                    None => row.extend([String::new(), String::new(), String::new()]),
                }
            }
            let _ = w.write_record(&row);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The plan as a JSON value: the owner, the plan's settings, the priorities, and the actions
/// with their targets, each target with its years (planned, actual, progress). Who wrote what
/// is left out (the audit log keeps it).
pub fn plan_json(view: &PlanView) -> serde_json::Value {
    use serde_json::json;
    let o = &view.owner;
    let (kind, code) = match &o.owner {
        PlanOwner::Unit { code, .. } => ("unit", code),
        PlanOwner::Area { code, .. } => ("area", code),
    };
    let plan = view.plan.as_ref().map(|p| {
        json!({
            "id": p.id, "title": p.fields.title, "summary": p.fields.summary, "public": p.fields.public,
            "group": p.fields.group_name, "created_at": p.created_at, "updated_at": p.updated_at,
        })
    });
    let priorities: Vec<serde_json::Value> = view
        .priorities
        .iter()
        .map(|p| {
            json!({
                "id": p.row.id, "indicator_code": p.row.indicator_code, "name_pl": p.name_pl, "name_en": p.name_en,
                "measure_unit": p.measure_unit, "decimals": p.decimals, "polarity": p.polarity.as_str(),
                "year": p.row.year, "group": p.row.group_name, "note": p.row.note,
                "current_year": p.current_year, "current": p.current, "score": p.score,
            })
        })
        .collect();
    let actions: Vec<serde_json::Value> = view
        .actions
        .iter()
        .map(|a| {
            let f = &a.row.fields;
            let targets: Vec<serde_json::Value> = a
                .targets
                .iter()
                .map(|t| {
                    let tf = &t.row.fields;
                    let years: Vec<serde_json::Value> = t
                        .years
                        .iter()
                        .map(|y| json!({"year": y.year, "planned": y.planned, "actual": y.actual, "progress": progress_words(y.progress).0}))
                        .collect();
                    json!({
                        "id": t.row.id, "indicator_code": tf.indicator_code, "name_pl": t.name_pl, "name_en": t.name_en,
                        "measure_unit": t.measure_unit, "measure_unit_en": t.measure_unit_en, "decimals": t.decimals,
                        "polarity": t.polarity.as_str(), "baseline_year": tf.baseline_year, "baseline_value": tf.baseline_value,
                        "target_year": tf.target_year, "target_value": tf.target_value, "method": tf.method,
                        "method_pl": t.method_pl, "method_en": t.method_en, "group": tf.group_name,
                        "latest_year": t.latest_year, "latest_progress": progress_words(t.latest).0, "years": years,
                    })
                })
                .collect();
            json!({
                "id": a.row.id, "priority_id": f.priority_id, "title": f.title, "description": f.description,
                "owner": f.owner, "budget": f.budget, "start_year": f.start_year, "end_year": f.end_year,
                "status": f.status, "updated_at": a.row.updated_at, "targets": targets,
            })
        })
        .collect();
    json!({
        "owner": {"kind": kind, "code": code, "name_pl": o.name_pl, "name_en": o.name_en},
        "plan": plan,
        "priorities": priorities,
        "actions": actions,
    })
}

/// A target method's code (`manual`, `median`, `q3`, `best_decile`, `gap:0.5`) in words:
/// (Polish, English). An unknown code is returned as it is.
pub fn method_words(code: &str) -> (String, String) {
    match code {
        "manual" => ("wartość wpisana ręcznie".into(), "set by hand".into()),
        "median" => ("mediana grupy porównawczej".into(), "the peer group's median".into()),
        "q3" => ("dobry kwartyl grupy (Q3, a gdy lepiej mniej — Q1)".into(), "the group's good quartile (Q3, or Q1 when lower is better)".into()),
        "best_decile" => {
            ("najlepszy decyl grupy (P90, a gdy lepiej mniej — P10)".into(), "the group's best decile (P90, or P10 when lower is better)".into())
        }
        other => match TargetMethod::parse(other) {
            Some(TargetMethod::GapToGoodQuartile(s)) => {
                let pct = format!("{}", (s * 1000.0).round() / 10.0);
                (format!("domknięcie {pct}% luki do dobrego kwartyla"), format!("closing {pct}% of the gap to the good quartile"))
            }
            _ => (other.to_owned(), other.to_owned()),
        },
    }
}

/// A progress judgement: its stable key (`on_track`, `off_track`, `no_data`), Polish and
/// English words.
pub fn progress_words(p: Progress) -> (&'static str, &'static str, &'static str) {
    match p {
        Progress::OnTrack => ("on_track", "zgodnie z planem", "on track"),
        Progress::OffTrack => ("off_track", "poniżej planu", "off track"),
        Progress::NoData => ("no_data", "brak danych", "no data"),
    }
}

// ----- helpers -----

/// An action of the owner's plan, or `NotFound`.
async fn owned_action(store: &Store, owner: &PlanOwner, id: i64) -> Result<ActionRow, AppError> {
    let not_found = || AppError::NotFound(format!("action {id}: no such action in the plan of {}", owner.code()));
    let a = store.action(id).await?.ok_or_else(not_found)?;
    match store.plan_by_id(a.plan_id).await? {
        Some(p) if p.owner == owner.key() => Ok(a),
        _ => Err(not_found()),
    }
}

/// An action's fields checked and tidied.
async fn check_action(store: &Store, owner: &PlanOwner, f: &ActionFields) -> Result<ActionFields, AppError> {
    let title = check_text("title", &f.title, MAX_TITLE, true)?.unwrap_or_default();
    let description = check_text("description", f.description.as_deref().unwrap_or(""), MAX_TEXT, false)?;
    let who = check_text("owner", f.owner.as_deref().unwrap_or(""), MAX_TITLE, false)?;
    if let Some(b) = f.budget
        && (!b.is_finite() || b < 0.0)
    {
        return Err(AppError::Invalid("budget: a sum in zł, zero or more".into()));
    }
    let start_year = check_year("start_year", f.start_year)?;
    let end_year = check_year("end_year", f.end_year)?;
    if end_year < start_year {
        return Err(AppError::Invalid(format!("end_year: {end_year} comes before the start year {start_year}")));
    }
    let status = f.status.trim();
    if !STATUSES.contains(&status) {
        return Err(AppError::Invalid(format!("status: `{}`: {}", status.chars().take(40).collect::<String>(), STATUSES.join(", "))));
    }
    if let Some(p) = f.priority_id {
        match store.priority(p).await? {
            Some(row) if row.owner == owner.key() => {}
            _ => return Err(AppError::Invalid(format!("priority_id: {p} is not a priority of {}", owner.code()))),
        }
    }
    Ok(ActionFields { priority_id: f.priority_id, title, description, owner: who, budget: f.budget, start_year, end_year, status: status.to_owned() })
}

/// A text trimmed: none when empty (refused when `required`), refused past `max` characters.
fn check_text(field: &str, text: &str, max: usize, required: bool) -> Result<Option<String>, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return if required { Err(AppError::Invalid(format!("{field}: must not be empty"))) } else { Ok(None) };
    }
    let n = t.chars().count();
    if n > max {
        return Err(AppError::Invalid(format!("{field}: {n} characters, at most {max}")));
    }
    Ok(Some(t.to_owned()))
}

fn check_year(field: &str, year: i64) -> Result<i64, AppError> {
    if YEARS.contains(&year) { Ok(year) } else { Err(AppError::Invalid(format!("{field}: {year} is outside {}–{}", YEARS.start(), YEARS.end()))) }
}

/// A group name for this owner, canonical: a peer group (see `compare::GROUP_HELP`) of a
/// known partition or kind, for a unit; one of [`AREA_GROUPS`] for an area.
fn check_group(owner: &PlanOwner, field: &str, group: &str) -> Result<String, AppError> {
    let g = group.trim();
    if g.is_empty() {
        return Err(AppError::Invalid(format!("{field}: must not be empty")));
    }
    let shown = || g.chars().take(40).collect::<String>();
    match owner {
        PlanOwner::Area { .. } => match g {
            "areas" | "obszary" => Ok("areas".into()),
            "powiaty" => Ok("powiaty".into()),
            _ => Err(AppError::Invalid(format!("{field}: `{}`: a functional area compares with {}", shown(), AREA_GROUPS.join(" or ")))),
        },
        PlanOwner::Unit { .. } => {
            if g.chars().count() > MAX_TITLE {
                return Err(AppError::Invalid(format!("{field}: at most {MAX_TITLE} characters")));
            }
            let spec = model::PeerGroupSpec::parse(g);
            if let model::PeerGroupSpec::Partition(p) = &spec
                && !crate::groups::PARTITIONS.contains(&p.as_str())
            {
                return Err(AppError::Invalid(format!("{field}: `{}`: use {GROUP_HELP}", shown())));
            }
            Ok(spec.name())
        }
    }
}

/// An indicator of the catalogue by code, or a refusal naming the field.
fn indicator(c: &Computed, code: &str) -> Result<usize, AppError> {
    c.snapshot
        .indicator_index(code.trim())
        .ok_or_else(|| AppError::Invalid(format!("indicator: no indicator `{}` in the catalogue", code.chars().take(60).collect::<String>())))
}

/// The indicator's direction; a context indicator has none.
fn polarity_of(c: &Computed, i: usize) -> Polarity {
    if c.definitions[i].kind == "context" { Polarity::Neutral } else { c.snapshot.indicator(i).polarity }
}

/// Refuses an indicator that applies to no member of the owner.
fn check_applies(c: &Computed, info: &OwnerInfo, i: usize) -> Result<(), AppError> {
    let applies = &c.snapshot.indicator(i).applies;
    if info.members.iter().any(|&m| applies.get(m).copied().unwrap_or(false)) {
        return Ok(());
    }
    let code = &c.definitions[i].code;
    Err(match info.unit {
        Some(u) => AppError::Invalid(format!("indicator: {code} does not apply to a {}", c.kinds[u].name_pl())),
        None => AppError::Invalid(format!("indicator: {code} applies to none of {}", info.name_pl)),
    })
}

/// The owner's values of indicator `i` per year index: the unit's, or the area's aggregate.
fn series(c: &Computed, info: &OwnerInfo, i: usize) -> Vec<Option<f64>> {
    let s = &c.snapshot;
    match (&info.owner, info.unit) {
        (PlanOwner::Unit { .. }, Some(u)) => (0..s.years()).map(|y| s.value(i, u, y)).collect(),
        (PlanOwner::Unit { .. }, None) => vec![None; s.years()],
        (PlanOwner::Area { .. }, _) => crate::functional_areas::aggregate_series(c, &info.members, i),
    }
}

/// The group `group` of the owner in year index `y`: (canonical name, label, the present
/// values of indicator `i`, the owner's included).
async fn group_values(
    store: &Store,
    c: &Computed,
    info: &OwnerInfo,
    i: usize,
    y: usize,
    group: &str,
) -> Result<(String, String, Vec<f64>), AppError> {
    let s = &c.snapshot;
    match (&info.owner, info.unit) {
        (PlanOwner::Unit { .. }, Some(u)) => {
            let g = peer_group(store, c, u, y, group, &NearestSpec::default()).await?;
            let applies = &s.indicator(i).applies;
            let values = g.members(s, y).into_iter().filter(|&m| applies.get(m).copied().unwrap_or(false)).filter_map(|m| s.value(i, m, y)).collect();
            Ok((g.name, g.label, values))
        }
        (PlanOwner::Unit { code, .. }, None) => Err(AppError::NotFound(format!("unit {code} has no data"))),
        (PlanOwner::Area { area_id, .. }, _) => {
            let canonical = check_group(&info.owner, "group", group)?;
            let peers = area_peers(store, c, *area_id, &info.members, &canonical).await?;
            let mut values: Vec<f64> = peers.iter().filter_map(|p| crate::functional_areas::aggregate_at(c, p, i, y)).collect();
            values.extend(crate::functional_areas::aggregate_at(c, &info.members, i, y));
            let label = match canonical.as_str() {
                "areas" => format!("areas: {} other functional areas", peers.len()),
                _ => format!("powiaty: {} land powiaty, each with its gminy", peers.len()),
            };
            Ok((canonical, label, values))
        }
    }
}

/// The comparison set of an area (its members' indices per entry, the area itself left out):
/// the other declared areas, or every land powiat with its gminy that shares no unit with it
/// (as `functional_areas` builds the card's comparison).
async fn area_peers(store: &Store, c: &Computed, area_id: i64, members: &[usize], group: &str) -> Result<Vec<Vec<usize>>, AppError> {
    let by_id: HashMap<i64, usize> = c.unit_ids.iter().enumerate().map(|(k, &id)| (id, k)).collect();
    if group == "areas" {
        return Ok(store
            .functional_areas()
            .await?
            .iter()
            .filter(|a| a.id != area_id)
            .map(|a| a.member_ids.iter().filter_map(|id| by_id.get(id).copied()).collect::<Vec<usize>>())
            .filter(|m| !m.is_empty())
            .collect());
    }
    let mut gminy: HashMap<&str, Vec<usize>> = HashMap::new();
    for (u, code) in c.codes.iter().enumerate() {
        if c.kinds[u].is_gmina()
            && let Some(p) = code.as_str().get(..4)
        {
            gminy.entry(p).or_default().push(u);
        }
    }
    Ok((0..c.codes.len())
        .filter(|&u| c.kinds[u] == model::UnitKind::Powiat)
        .map(|u| {
            let mut m = vec![u];
            m.extend(gminy.get(c.codes[u].as_str().get(..4).unwrap_or("")).into_iter().flatten().copied());
            m
        })
        .filter(|m| !m.iter().any(|u| members.contains(u)))
        .collect())
}

/// A priority with names, the owner's newest value and its polarity-turned z-score in the
/// priority's group that year.
async fn priority_view(store: &Store, c: &Computed, info: &OwnerInfo, row: PriorityRow) -> PriorityView {
    let s = &c.snapshot;
    let Some(i) = s.indicator_index(&row.indicator_code) else {
        return PriorityView {
            name_pl: row.indicator_code.clone(),
            name_en: row.indicator_code.clone(),
            measure_unit: String::new(),
            decimals: 2,
            polarity: Polarity::Neutral,
            current_year: None,
            current: None,
            score: None,
            row,
        };
    };
    let d = &c.definitions[i];
    let polarity = polarity_of(c, i);
    let series = series(c, info, i);
    let latest = (0..series.len()).rev().find_map(|y| series[y].map(|v| (y, v)));
    let mut score = None;
    if let Some((y, v)) = latest
        && polarity != Polarity::Neutral
        && let Ok((_, _, mut values)) = group_values(store, c, info, i, y, &row.group_name).await
    {
        let st = engine::stats::describe(&mut values, 0);
        if let (Some(mean), Some(sd)) = (st.mean, st.sd)
            && sd > 0.0
        {
            let z = (v - mean) / sd;
            score = Some(if polarity == Polarity::LowerBetter { -z } else { z });
        }
    }
    PriorityView {
        name_pl: d.name_pl.clone(),
        name_en: d.name_en.clone(),
        measure_unit: d.unit_pl.clone(),
        decimals: d.decimals,
        polarity,
        current_year: latest.map(|(y, _)| s.first_year() + y as i32),
        current: latest.map(|(_, v)| v),
        score,
        row,
    }
}

/// A target with names, trajectory and its years' progress.
fn target_view(c: &Computed, info: &OwnerInfo, row: TargetRow) -> TargetView {
    let s = &c.snapshot;
    let f = &row.fields;
    let i = s.indicator_index(&f.indicator_code);
    let (name_pl, name_en, measure_unit, measure_unit_en, decimals, polarity) = match i {
        Some(i) => {
            let d = &c.definitions[i];
            (d.name_pl.clone(), d.name_en.clone(), d.unit_pl.clone(), d.unit_en.clone(), d.decimals, polarity_of(c, i))
        }
        None => (f.indicator_code.clone(), f.indicator_code.clone(), String::new(), String::new(), 2, Polarity::Neutral),
    };
    let series = i.map(|i| series(c, info, i)).unwrap_or_default();
    // Years stored by the validated writes lie in YEARS; anything else draws no line.
    let year = |v: i64| i32::try_from(v).ok().filter(|_| YEARS.contains(&v));
    let trajectory = match (year(f.baseline_year), year(f.target_year)) {
        (Some(b), Some(t)) => engine::targets::trajectory(b, f.baseline_value, t, f.target_value),
        _ => Vec::new(),
    };
    let years: Vec<TargetYear> = trajectory
        .iter()
        .filter(|(y, _)| i64::from(*y) > f.baseline_year)
        .map(|&(year, planned)| {
            let actual = s.year_index(year).and_then(|k| series.get(k).copied().flatten());
            TargetYear { year, planned, actual, progress: engine::targets::progress(polarity, f.baseline_value, planned, actual) }
        })
        .collect();
    let last = years.iter().rev().find(|t| t.actual.is_some());
    let (method_pl, method_en) = method_words(&f.method);
    TargetView {
        name_pl,
        name_en,
        measure_unit,
        measure_unit_en,
        decimals,
        polarity,
        method_pl,
        method_en,
        trajectory,
        latest: last.map_or(Progress::NoData, |t| t.progress),
        latest_year: last.map(|t| t.year),
        years,
        row,
    }
}
