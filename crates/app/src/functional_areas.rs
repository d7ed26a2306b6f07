//! Functional areas: a saved group of units declared an area of joint planning (a powiat with
//! its gminy, say), its aggregate indicators as one unit (ratio of sums over the members), its
//! card — comparison with a set of like areas, the members' range, Poland — and its diagnosis.
//!
//! * The aggregate of an indicator over the members is the indicator's formula applied to the
//!   sums of its numerator and denominator over the members it applies to,
//!   `factor·Σnum/Σden`, exactly as the snapshot computes a group's aggregate
//!   ([`engine::snapshot::Snapshot::adhoc_group`]); in a year where a member it applies to
//!   has no value the area has none ("niepełne dane").
//! * The comparison set: the other declared functional areas when there are at least
//!   [`MIN_AREAS`] of them, else every land powiat of Poland taken with its gminy (each
//!   aggregated the same way), leaving out those that share a unit with the area. The area
//!   itself is counted in the set's statistics, as a unit is in its peer group's.
//! * The diagnosis is `engine::diagnosis` on the area's aggregate series against the set's
//!   mean and standard deviation: polarity-turned z-scores, 3- and 5-year trends.

use std::collections::HashMap;

use engine::diagnosis::{Reading, Trend};
use engine::stats::{GroupStats, Position};
use model::{Polarity, TerytCode, UnitKind};
use store::{Actor, FunctionalAreaRow, Store, StoreError};

use crate::{AppError, Computed};

/// How many other declared functional areas make them the comparison set.
pub const MIN_AREAS: usize = 5;

/// The longest description kept (characters).
pub const MAX_DESCRIPTION: usize = 4000;

/// Strengths and weaknesses shown, each.
pub const TOP: usize = 5;

/// Indicator `indicator`'s aggregate over `members` (unit indices of the snapshot), per year
/// index of the snapshot: see the module's documentation. `None` in a year where a member the
/// indicator applies to has no value ("niepełne dane"), where it applies to no member, or
/// where the sums give no finite value.
pub fn aggregate_series(c: &Computed, members: &[usize], indicator: usize) -> Vec<Option<f64>> {
    let s = &c.snapshot;
    let used = applying(c, members, indicator);
    (0..s.years()).map(|y| aggregate_of(c, &used, indicator, y)).collect()
}

/// [`aggregate_series`] in one year index only.
pub fn aggregate_at(c: &Computed, members: &[usize], indicator: usize, y: usize) -> Option<f64> {
    aggregate_of(c, &applying(c, members, indicator), indicator, y)
}

/// The members indicator `i` applies to, ascending, once each (none for an unknown indicator).
fn applying(c: &Computed, members: &[usize], i: usize) -> Vec<u32> {
    let s = &c.snapshot;
    if i >= s.indicator_count() {
        return Vec::new();
    }
    let applies = &s.indicator(i).applies;
    let mut used: Vec<u32> = members.iter().copied().filter(|&m| m < s.units() && applies[m]).map(|m| m as u32).collect();
    used.sort_unstable();
    used.dedup();
    used
}

fn aggregate_of(c: &Computed, used: &[u32], i: usize, y: usize) -> Option<f64> {
    let s = &c.snapshot;
    if used.is_empty() || y >= s.years() || used.iter().any(|&m| s.value(i, m as usize, y).is_none()) {
        return None;
    }
    s.adhoc_group(i, y, used).0.aggregate
}

/// A declared functional area as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaSummary {
    pub id: i64,
    /// The saved group's code: the area's code in addresses.
    pub code: String,
    pub name_pl: String,
    pub name_en: Option<String>,
    pub description: Option<String>,
    pub lead_unit_id: i64,
    pub lead_code: Option<String>,
    pub lead_name: Option<String>,
    pub members: usize,
    pub declared_at: String,
    pub declared_by: String,
}

/// A member of an area.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaMember {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    /// Its index in the snapshot; none for a unit without data (no longer current, say).
    pub index: Option<usize>,
    pub lead: bool,
}

/// What the card compares the area with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparing {
    /// Every land powiat of Poland with its gminy.
    Powiaty,
    /// The other declared functional areas.
    Areas,
}

impl Comparing {
    /// In words, Polish / English.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Comparing::Powiaty => {
                ("powiaty ziemskie Polski, każdy razem ze swoimi gminami", "the land powiaty of Poland, each together with its gminy")
            }
            Comparing::Areas => ("pozostałe zadeklarowane obszary funkcjonalne", "the other declared functional areas"),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Comparing::Powiaty => "powiaty",
            Comparing::Areas => "areas",
        }
    }
}

/// One indicator of the card.
#[derive(Debug, Clone)]
pub struct AreaIndicator {
    /// Index in the snapshot.
    pub indicator: usize,
    pub code: String,
    pub name_pl: String,
    pub name_en: String,
    pub area: String,
    pub measure_unit: String,
    pub decimals: u8,
    /// Context indicators are neutral whatever the catalogue says.
    pub polarity: Polarity,
    /// The aggregate in the card's year.
    pub value: Option<f64>,
    /// No aggregate in the card's year because a member it applies to has no value there.
    pub incomplete: bool,
    /// Members it applies to, and of those with a value in the card's year.
    pub members_applying: usize,
    pub members_with_value: usize,
    /// The lowest and highest member values in the card's year, with the member's index.
    pub member_min: Option<(f64, usize)>,
    pub member_max: Option<(f64, usize)>,
    /// The comparison set's statistics (the area included) and the area's position in it.
    pub comparison: GroupStats,
    pub position: Position,
    /// Poland's value in the card's year, and by year index.
    pub poland: Option<f64>,
    pub poland_series: Vec<Option<f64>>,
    /// The aggregate by year index, the whole snapshot.
    pub series: Vec<Option<f64>>,
}

/// One strength or weakness of an area.
#[derive(Debug, Clone)]
pub struct AreaFinding {
    /// Index into [`AreaCard::indicators`].
    pub row: usize,
    pub value: f64,
    /// Polarity-turned z-score in the comparison set: positive is good.
    pub score: f64,
    pub median: Option<f64>,
    pub change_3y: Option<f64>,
    pub trend_3y: Trend,
    pub change_5y: Option<f64>,
    pub trend_5y: Trend,
}

/// The diagnosis of an area in the card's year.
#[derive(Debug, Clone, Default)]
pub struct AreaDiagnosis {
    pub judged: usize,
    pub strengths: Vec<AreaFinding>,
    pub weaknesses: Vec<AreaFinding>,
}

/// Everything the card of an area shows.
#[derive(Debug, Clone)]
pub struct AreaCard {
    pub area: AreaSummary,
    pub members: Vec<AreaMember>,
    /// The card's year and its index in the snapshot; none when the area has no value at all.
    pub year: Option<i32>,
    pub year_index: Option<usize>,
    pub comparing: Comparing,
    /// Entries of the comparison set (the area not counted).
    pub comparison_size: usize,
    /// Every indicator that applies to a member, in catalogue order.
    pub indicators: Vec<AreaIndicator>,
    pub diagnosis: AreaDiagnosis,
}

/// What a card is computed from, read from the store (the rest is the snapshot).
#[derive(Debug, Clone)]
pub struct AreaInputs {
    pub row: FunctionalAreaRow,
    /// Every declared area (this one included).
    pub all: Vec<FunctionalAreaRow>,
    /// Unit id → (code, name, kind) of the members, from the store.
    pub units: HashMap<i64, (String, String, UnitKind)>,
}

/// Every declared functional area, by code.
pub async fn areas(store: &Store) -> Result<Vec<AreaSummary>, AppError> {
    let rows = store.functional_areas().await?;
    let names = unit_names(store).await?;
    let mut out: Vec<AreaSummary> = rows.iter().map(|r| summary(r, &names)).collect();
    out.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(out)
}

/// The declared area of group `code`, with what its card needs from the store.
pub async fn load(store: &Store, code: &str) -> Result<AreaInputs, AppError> {
    let code = code.trim();
    let row = store.functional_area_by_code(code).await?.ok_or_else(|| AppError::NotFound(format!("no functional area `{code}`")))?;
    let all = store.functional_areas().await?;
    let units = unit_names(store).await?;
    Ok(AreaInputs { row, all, units })
}

/// The card of the area of group `code` in its own year (see [`card_of`]).
pub async fn area_card(store: &Store, c: &Computed, code: &str) -> Result<AreaCard, AppError> {
    let inputs = load(store, code).await?;
    card_of(c, &inputs, None)
}

/// The card from its inputs, in calendar `year` or else the area's own year: the newest in
/// which the area has an aggregate for more than half of the indicators it has any of. Pure
/// and synchronous (the web runs it off the async threads).
pub fn card_of(c: &Computed, inputs: &AreaInputs, year: Option<i32>) -> Result<AreaCard, AppError> {
    let s = &c.snapshot;
    let row = &inputs.row;
    let members = area_members(c, row, &inputs.units);
    let idx: Vec<usize> = members.iter().filter_map(|m| m.index).collect();
    let list: Vec<usize> = (0..s.indicator_count()).filter(|&i| idx.iter().any(|&m| s.indicator(i).applies[m])).collect();
    let series: Vec<Vec<Option<f64>>> = list.iter().map(|&i| aggregate_series(c, &idx, i)).collect();
    let y = match year {
        Some(yr) => Some(s.year_index(yr).ok_or_else(|| {
            AppError::Invalid(format!("rok: {yr} is outside the data's years {}–{}", s.first_year(), s.first_year() + s.years() as i32 - 1))
        })?),
        None => card_year(s.years(), &series),
    };
    let (comparing, peers) = comparison_set(c, &inputs.all, row, &idx);
    let poland = c.unit_index(TerytCode::country().as_str());
    let mut indicators = Vec::with_capacity(list.len());
    for (&i, series) in list.iter().zip(series) {
        let d = &c.definitions[i];
        let polarity = if d.kind == "context" { Polarity::Neutral } else { s.indicator(i).polarity };
        let applying: Vec<usize> = idx.iter().copied().filter(|&m| s.indicator(i).applies[m]).collect();
        let (mut value, mut with_value, mut lo, mut hi) = (None, 0, None::<(f64, usize)>, None::<(f64, usize)>);
        let (mut comparison, mut position, mut poland_value) = (GroupStats::default(), Position::default(), None);
        if let Some(y) = y {
            value = series[y];
            for &m in &applying {
                if let Some(v) = s.value(i, m, y) {
                    with_value += 1;
                    if lo.is_none_or(|(l, _)| v < l) {
                        lo = Some((v, m));
                    }
                    if hi.is_none_or(|(h, _)| v > h) {
                        hi = Some((v, m));
                    }
                }
            }
            let mut values: Vec<Option<f64>> = peers.iter().map(|p| aggregate_at(c, &p.members, i, y)).collect();
            values.push(value);
            let mut present: Vec<f64> = values.iter().flatten().copied().collect();
            comparison = engine::stats::describe(&mut present, values.len() - values.iter().flatten().count());
            position = engine::stats::positions(&values, polarity).last().copied().unwrap_or_default();
            poland_value = poland.and_then(|p| s.value(i, p, y));
        }
        indicators.push(AreaIndicator {
            indicator: i,
            code: d.code.clone(),
            name_pl: d.name_pl.clone(),
            name_en: d.name_en.clone(),
            area: d.area.clone(),
            measure_unit: d.unit_pl.clone(),
            decimals: d.decimals,
            polarity,
            value,
            incomplete: y.is_some() && value.is_none() && with_value > 0,
            members_applying: applying.len(),
            members_with_value: with_value,
            member_min: lo,
            member_max: hi,
            comparison,
            position,
            poland: poland_value,
            poland_series: (0..s.years()).map(|yy| poland.and_then(|p| s.value(i, p, yy))).collect(),
            series,
        });
    }
    let diagnosis = y.map(|y| diagnose(&indicators, y)).unwrap_or_default();
    Ok(AreaCard {
        area: summary(row, &inputs.units),
        members,
        year: y.map(|y| s.first_year() + y as i32),
        year_index: y,
        comparing,
        comparison_size: peers.len(),
        indicators,
        diagnosis,
    })
}

/// The newest year index with an aggregate for more than half of the indicators that have
/// one at all; past that the year with the most, the newest of equals.
fn card_year(years: usize, series: &[Vec<Option<f64>>]) -> Option<usize> {
    let with_any = series.iter().filter(|s| s.iter().any(Option::is_some)).count();
    if with_any == 0 {
        return None;
    }
    let count = |y: usize| series.iter().filter(|s| s.get(y).copied().flatten().is_some()).count();
    (0..years).rev().find(|&y| 2 * count(y) > with_any).or_else(|| (0..years).max_by_key(|&y| count(y)))
}

/// One entry of the comparison set: a powiat with its gminy, or another declared area.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    /// The powiat's TERYT code, or the area's code.
    pub code: String,
    pub name: String,
    /// Snapshot indices of its units.
    pub members: Vec<usize>,
}

/// The comparison set of area `this` (whose members' snapshot indices are `idx`): the other
/// declared areas when there are at least [`MIN_AREAS`] of them, else every land powiat with
/// its gminy that shares no unit with the area.
pub fn comparison_set(c: &Computed, all: &[FunctionalAreaRow], this: &FunctionalAreaRow, idx: &[usize]) -> (Comparing, Vec<Peer>) {
    let by_id: HashMap<i64, usize> = c.unit_ids.iter().enumerate().map(|(k, &id)| (id, k)).collect();
    let others: Vec<Peer> = all
        .iter()
        .filter(|a| a.id != this.id)
        .map(|a| Peer {
            code: a.group_code.clone(),
            name: a.name_pl.clone(),
            members: a.member_ids.iter().filter_map(|id| by_id.get(id).copied()).collect(),
        })
        .filter(|p| !p.members.is_empty())
        .collect();
    if others.len() >= MIN_AREAS {
        return (Comparing::Areas, others);
    }
    let mut gminy: HashMap<&str, Vec<usize>> = HashMap::new();
    for (u, code) in c.codes.iter().enumerate() {
        if c.kinds[u].is_gmina()
            && let Some(p) = code.as_str().get(..4)
        {
            gminy.entry(p).or_default().push(u);
        }
    }
    let peers = (0..c.codes.len())
        .filter(|&u| c.kinds[u] == UnitKind::Powiat)
        .map(|u| {
            let mut members = vec![u];
            members.extend(gminy.get(c.codes[u].as_str()).into_iter().flatten().copied());
            Peer { code: c.codes[u].as_str().to_owned(), name: c.names[u].clone(), members }
        })
        .filter(|p| !p.members.iter().any(|u| idx.contains(u)))
        .collect();
    (Comparing::Powiaty, peers)
}

/// Re-evaluates the area's change of indicator `indicator` (a code) from `start_year`: its
/// aggregate series against those of its comparison set, each aggregated the same way
/// ([`crate::evaluate::evaluate_series`]; `before` and `after` years around the start).
pub fn evaluate_area(
    c: &Computed,
    inputs: &AreaInputs,
    indicator: &str,
    start_year: i32,
    before: usize,
    after: usize,
) -> Result<crate::evaluate::Evaluation, AppError> {
    let s = &c.snapshot;
    let i = s.indicator_index(indicator).ok_or_else(|| AppError::NotFound(format!("indicator: no indicator `{indicator}` in the catalogue")))?;
    let members = area_members(c, &inputs.row, &inputs.units);
    let idx: Vec<usize> = members.iter().filter_map(|m| m.index).collect();
    if applying(c, &idx, i).is_empty() {
        return Err(AppError::Invalid(format!("indicator: {indicator} applies to no member of the area")));
    }
    let (comparing, peers) = comparison_set(c, &inputs.all, &inputs.row, &idx);
    let peers: Vec<(String, String, Vec<Option<f64>>)> = peers
        .into_iter()
        .filter(|p| !applying(c, &p.members, i).is_empty())
        .map(|p| {
            let series = aggregate_series(c, &p.members, i);
            (p.code, p.name, series)
        })
        .collect();
    crate::evaluate::evaluate_series(
        c,
        crate::evaluate::SeriesRequest {
            code: inputs.row.group_code.clone(),
            name: inputs.row.name_pl.clone(),
            indicator: i,
            group_label: format!("{} / {}", comparing.words().0, comparing.words().1),
            start_year,
            before,
            after,
            series: aggregate_series(c, &idx, i),
            peers,
            excluded: Vec::new(),
        },
    )
}

fn diagnose(rows: &[AreaIndicator], y: usize) -> AreaDiagnosis {
    let readings: Vec<Reading<'_>> = rows
        .iter()
        .map(|r| Reading { polarity: r.polarity, values: &r.series[..=y], group_mean: r.comparison.mean, group_sd: r.comparison.sd })
        .collect();
    let d = engine::diagnosis::diagnose(&readings, TOP);
    let finding = |f: &engine::diagnosis::Finding| AreaFinding {
        row: f.indicator,
        value: f.value,
        score: f.score,
        median: rows[f.indicator].comparison.median,
        change_3y: f.change_3y,
        trend_3y: f.trend_3y,
        change_5y: f.change_5y,
        trend_5y: f.trend_5y,
    };
    AreaDiagnosis { judged: d.judged, strengths: d.strengths.iter().map(finding).collect(), weaknesses: d.weaknesses.iter().map(finding).collect() }
}

/// The members of an area, lead first, then by code.
fn area_members(c: &Computed, row: &FunctionalAreaRow, units: &HashMap<i64, (String, String, UnitKind)>) -> Vec<AreaMember> {
    let mut out: Vec<AreaMember> = row
        .member_ids
        .iter()
        .map(|&id| {
            let index = c.unit_ids.iter().position(|&x| x == id);
            let (code, name, kind) = match (index, units.get(&id)) {
                (Some(u), _) => (c.codes[u].as_str().to_owned(), c.names[u].clone(), c.kinds[u]),
                (None, Some((code, name, kind))) => (code.clone(), name.clone(), *kind),
                (None, None) => (format!("#{id}"), String::new(), UnitKind::Kraj),
            };
            AreaMember { unit_id: id, code, name, kind, index, lead: id == row.lead_unit_id }
        })
        .collect();
    out.sort_by(|a, b| b.lead.cmp(&a.lead).then_with(|| a.code.cmp(&b.code)));
    out
}

fn summary(r: &FunctionalAreaRow, units: &HashMap<i64, (String, String, UnitKind)>) -> AreaSummary {
    let lead = units.get(&r.lead_unit_id);
    AreaSummary {
        id: r.id,
        code: r.group_code.clone(),
        name_pl: r.name_pl.clone(),
        name_en: r.name_en.clone(),
        description: r.description.clone(),
        lead_unit_id: r.lead_unit_id,
        lead_code: lead.map(|l| l.0.clone()),
        lead_name: lead.map(|l| l.1.clone()),
        members: r.member_ids.len(),
        declared_at: r.declared_at.clone(),
        declared_by: r.declared_by.clone(),
    }
}

/// Unit id → (current code, name, kind) of every unit the store knows.
async fn unit_names(store: &Store) -> Result<HashMap<i64, (String, String, UnitKind)>, AppError> {
    Ok(store.units().await?.into_iter().map(|u| (u.id, (u.code.as_str().to_owned(), u.name, u.kind))).collect())
}

/// A saved custom group not yet declared a functional area: what the declaration form offers.
#[derive(Debug, Clone, PartialEq)]
pub struct Declarable {
    pub code: String,
    pub name_pl: String,
    /// (unit id, code, name) of the members, by code.
    pub members: Vec<(i64, String, String)>,
}

/// The saved custom groups not yet declared.
pub async fn declarable(store: &Store) -> Result<Vec<Declarable>, AppError> {
    let declared: Vec<i64> = store.functional_areas().await?.iter().map(|a| a.group_id).collect();
    let names = unit_names(store).await?;
    Ok(store
        .groups()
        .await?
        .into_iter()
        .filter(|g| !declared.contains(&g.id))
        .map(|g| {
            let mut members: Vec<(i64, String, String)> = g
                .members
                .iter()
                .map(|id| names.get(id).map_or((*id, format!("#{id}"), String::new()), |(c, n, _)| (*id, c.clone(), n.clone())))
                .collect();
            members.sort_by(|a, b| a.1.cmp(&b.1));
            Declarable { code: g.code, name_pl: g.name_pl, members }
        })
        .collect())
}

/// Declares saved group `group` a functional area led by unit `lead` (a TERYT code of one of
/// its members), with an optional description; returns the area's id. Refused with
/// [`AppError::Invalid`] naming the field: no such group, already declared, a lead that is
/// not a member, a description over [`MAX_DESCRIPTION`] characters. Audited by the store
/// (`area.declare`, on the lead unit) in the same transaction.
pub async fn declare(store: &Store, group: &str, lead: &str, description: Option<&str>, actor: &Actor) -> Result<i64, AppError> {
    let group = group.trim();
    if group.is_empty() {
        return Err(AppError::Invalid("grupa: choose a saved group".into()));
    }
    let Some(g) = store.groups().await?.into_iter().find(|g| g.code == group) else {
        return Err(AppError::Invalid(format!("grupa: no saved group `{group}`")));
    };
    if store.functional_area_by_code(group).await?.is_some() {
        return Err(AppError::Invalid(format!("grupa: `{group}` is already a functional area")));
    }
    let lead = lead.trim();
    let code = TerytCode::parse_lenient(lead).map_err(|e| AppError::Invalid(format!("lider: `{lead}`: {e}")))?;
    let units = store.units().await?;
    let lead_id = units
        .iter()
        .filter(|u| u.code == code && g.members.contains(&u.id))
        .map(|u| u.id)
        .next()
        .ok_or_else(|| AppError::Invalid(format!("lider: {} is not a member of group `{group}`", code.as_str())))?;
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    if let Some(d) = description
        && d.chars().count() > MAX_DESCRIPTION
    {
        return Err(AppError::Invalid(format!("opis: {} characters, at most {MAX_DESCRIPTION}", d.chars().count())));
    }
    store.declare_functional_area(group, lead_id, description, actor).await.map_err(|e| match e {
        StoreError::Conflict(why) => AppError::Invalid(format!("grupa: {why}")),
        e => AppError::from(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_card_year_is_the_newest_with_most_indicators() {
        let s = vec![vec![Some(1.0), Some(1.0), None], vec![Some(1.0), Some(1.0), Some(2.0)], vec![None, Some(3.0), None]];
        assert_eq!(card_year(3, &s), Some(1), "year 2 has one of three");
        assert_eq!(card_year(3, &[vec![None, None, None]]), None);
        assert_eq!(card_year(2, &[vec![Some(1.0), None], vec![None, Some(1.0)]]), Some(1), "a tie: the newest");
    }
}
