//! A unit against its peers: resolving a peer group by name (fixed partitions, neighbours,
//! statistical nearest neighbours, stored custom groups), comparing one indicator, and the
//! diagnosis of all indicators — strengths and weaknesses with their trends.

use engine::diagnosis::{Reading, Trend};
use engine::snapshot::{RankIndex, Snapshot};
use engine::stats::{GroupStats, Position};
use model::TerytCode;
use store::Store;

use crate::groups::comparison_level;
use crate::nearest::{Nearest, NearestSpec, nearest};
use crate::{AppError, Computed};

/// The group names `compare` and `diagnose` accept.
pub const GROUP_HELP: &str =
    "country (kraj), wojewodztwo, typology (typologia), neighbours (sasiedzi), nearest (najblizsi), custom:CODE or list:CODE,CODE,…";

/// Who a unit is compared with.
#[derive(Debug, Clone)]
pub enum Peers {
    /// A group of a precomputed partition.
    Fixed { partition: usize, group: usize },
    /// Units listed on request (the unit itself included).
    Listed { members: Vec<u32> },
}

/// A member of a listed group, and why it is there when the group is of nearest neighbours.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerRow {
    pub code: String,
    pub name: String,
    pub distance: Option<f64>,
    /// (context item, share of the squared distance); empty outside nearest neighbours.
    pub contributions: Vec<(String, f64)>,
}

/// A resolved peer group.
#[derive(Debug, Clone)]
pub struct PeerGroup {
    /// The canonical name: country, wojewodztwo, typology, neighbours, nearest, custom:CODE.
    pub name: String,
    /// What a reader sees, e.g. `typology: gmina_wiejska:5-10k`.
    pub label: String,
    pub peers: Peers,
    /// The members other than the unit (listed groups only), nearest first for `nearest`.
    pub rows: Vec<PeerRow>,
}

impl PeerGroup {
    /// The members (the unit included), in snapshot order for a fixed group, as listed
    /// otherwise.
    pub fn members(&self, s: &Snapshot, y: usize) -> Vec<usize> {
        match &self.peers {
            Peers::Fixed { partition, group } => s.members(*partition, *group, y).iter().map(|&v| v as usize).collect(),
            Peers::Listed { members } => members.iter().map(|&v| v as usize).collect(),
        }
    }

    /// As [`PeerGroup::compare`], taking the position from `index` when it is the rank index
    /// of this group's partition and year (the unit card compares every indicator).
    pub fn compare_indexed(&self, s: &Snapshot, i: usize, u: usize, y: usize, index: Option<&RankIndex>) -> (GroupStats, Position) {
        match (&self.peers, index) {
            (Peers::Fixed { partition, group }, Some(ix)) if ix.partition == *partition && ix.year == y => {
                (s.group_stats(i, *partition, *group, y).to_stats(), s.position_indexed(ix, i, u).unwrap_or_default())
            }
            _ => self.compare(s, i, u, y),
        }
    }

    /// The group's statistics and the unit's position for indicator `i` in year `y`.
    /// Every indicator that applies to unit `u`, compared with the group in year index `y`:
    /// (indicator, group statistics, position); `index` as in [`PeerGroup::compare_indexed`].
    pub fn compare_all(&self, s: &Snapshot, u: usize, y: usize, index: Option<&RankIndex>) -> Vec<(usize, GroupStats, Position)> {
        (0..s.indicator_count())
            .filter(|&i| s.indicator(i).applies[u])
            .map(|i| {
                let (st, pos) = self.compare_indexed(s, i, u, y, index);
                (i, st, pos)
            })
            .collect()
    }

    pub fn compare(&self, s: &Snapshot, i: usize, u: usize, y: usize) -> (GroupStats, Position) {
        match &self.peers {
            Peers::Fixed { partition, group } => {
                (s.group_stats(i, *partition, *group, y).to_stats(), s.position(i, *partition, u, y).unwrap_or_default())
            }
            Peers::Listed { members } => {
                let (stats, positions) = s.adhoc_group(i, y, members);
                let applies = &s.indicator(i).applies;
                let k = members.iter().filter(|&&m| applies.get(m as usize).copied().unwrap_or(false)).position(|&m| m as usize == u);
                (stats, k.and_then(|k| positions.get(k).copied()).unwrap_or_default())
            }
        }
    }
}

/// Finds a unit (by TERYT code, lenient) and a year in the snapshot.
pub fn locate(c: &Computed, unit: &str, year: i32) -> Result<(usize, usize), AppError> {
    let s = &c.snapshot;
    let code = TerytCode::parse_lenient(unit).map_err(|e| AppError::Invalid(format!("--unit: {e}")))?;
    let u = c.unit_index(code.as_str()).ok_or_else(|| AppError::NotFound(format!("unit {code} is not a current JST with data")))?;
    Ok((u, year_index(s, year)?))
}

/// The index of `year` in the snapshot, or an error naming the years it has.
pub fn year_index(s: &Snapshot, year: i32) -> Result<usize, AppError> {
    s.year_index(year)
        .ok_or_else(|| AppError::NotFound(format!("no data for {year}: years {}–{}", s.first_year(), s.first_year() + s.years() as i32 - 1)))
}

/// Resolves `group` for unit `u` in year index `y`. `spec` says how nearest neighbours are
/// found.
pub async fn peer_group(store: &Store, c: &Computed, u: usize, y: usize, group: &str, spec: &NearestSpec) -> Result<PeerGroup, AppError> {
    let s = &c.snapshot;
    let asked = model::PeerGroupSpec::parse(group);
    let canonical_name = asked.name();
    let canonical = canonical_name.as_str();
    if let Some(p) = s.partition_index(canonical) {
        let g = s.group_of(p, u, y).ok_or_else(|| {
            let why = crate::groups::why_no_group(s, c.kinds[u], u, p, y).map(|w| w.words().1);
            AppError::NotFound(why.unwrap_or_else(|| format!("the unit is in no {canonical} group that year")))
        })?;
        return Ok(PeerGroup {
            name: canonical.to_owned(),
            label: format!("{canonical}: {}", s.group_keys(p)[g]),
            peers: Peers::Fixed { partition: p, group: g },
            rows: Vec::new(),
        });
    }
    let row = |v: usize| PeerRow { code: c.codes[v].as_str().to_owned(), name: c.names[v].clone(), distance: None, contributions: Vec::new() };
    let (members, rows, label): (Vec<usize>, Vec<PeerRow>, String) = match &asked {
        model::PeerGroupSpec::Neighbours => {
            let id = c.unit_ids[u];
            let level = comparison_level(c.kinds[u]);
            let mut m: Vec<usize> = store
                .adjacency()
                .await?
                .into_iter()
                .filter(|(a, _)| *a == id)
                .filter_map(|(_, b)| c.unit_ids.iter().position(|x| *x == b))
                .filter(|&v| comparison_level(c.kinds[v]) == level)
                .collect();
            m.sort_unstable();
            m.dedup();
            if m.is_empty() {
                return Err(AppError::NotFound(format!(
                    "{} has no neighbours of its level in the database: import boundaries (or use another group)",
                    c.codes[u]
                )));
            }
            let rows = m.iter().map(|&v| row(v)).collect();
            (m, rows, format!("neighbours of {}", c.codes[u]))
        }
        model::PeerGroupSpec::Nearest => {
            let Nearest { neighbours, candidates, spec, skipped } = nearest(s, &c.kinds, u, y, spec)?;
            let labels: Vec<String> = spec.items.iter().map(|i| i.label()).collect();
            let rows = neighbours
                .iter()
                .map(|n| PeerRow {
                    distance: Some(n.distance),
                    contributions: labels.iter().cloned().zip(n.contributions.iter().copied()).collect(),
                    ..row(n.unit)
                })
                .collect();
            let not_applying = if skipped.is_empty() { String::new() } else { format!(" ({} not for this kind of unit)", skipped.join(", ")) };
            let label = format!("nearest: {} of {candidates} on {}{not_applying}", neighbours.len(), labels.join(", "));
            (neighbours.iter().map(|n| n.unit).collect(), rows, label)
        }
        model::PeerGroupSpec::List { codes: list, .. } => {
            let mut m = Vec::new();
            for raw in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                let code = TerytCode::parse_lenient(raw).map_err(|e| AppError::Invalid(format!("list: `{raw}`: {e}")))?;
                let v = c.unit_index(code.as_str()).ok_or_else(|| AppError::NotFound(format!("list: no unit {} with data", code.as_str())))?;
                if v != u && !m.contains(&v) {
                    m.push(v);
                }
            }
            if m.is_empty() {
                return Err(AppError::Invalid("list: name at least one other unit by its TERYT code".into()));
            }
            if m.len() > 500 {
                return Err(AppError::Invalid(format!("list: {} units, at most 500", m.len())));
            }
            let rows = m.iter().map(|&v| row(v)).collect();
            let label = format!("list of {} units", m.len() + 1);
            (m, rows, label)
        }
        model::PeerGroupSpec::Custom(code) => {
            let g = store.groups().await?.into_iter().find(|g| &g.code == code).ok_or_else(|| AppError::NoCustomGroup { code: code.clone() })?;
            let m: Vec<usize> = g.members.iter().filter_map(|id| c.unit_ids.iter().position(|x| x == id)).filter(|&v| v != u).collect();
            let rows = m.iter().map(|&v| row(v)).collect();
            (m, rows, format!("custom:{code} ({})", g.name_pl))
        }
        model::PeerGroupSpec::Partition(_) => return Err(AppError::Invalid(format!("--group `{group}`: use {GROUP_HELP}"))),
    };
    let mut listed: Vec<u32> = members.iter().map(|&v| v as u32).collect();
    listed.push(u as u32);
    Ok(PeerGroup { name: canonical.to_owned(), label, peers: Peers::Listed { members: listed }, rows })
}

/// A unit compared with a group for one indicator and year.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub indicator: String,
    pub indicator_name: String,
    pub unit_code: String,
    pub unit_name: String,
    pub year: i32,
    pub group: String,
    pub group_label: String,
    pub value: Option<f64>,
    pub stats: GroupStats,
    pub position: Position,
    pub decimals: u8,
    pub measure_unit: String,
    /// Where the value lies among the group's values (words about values) and the judgement
    /// its polarity gives that (none for neutral and context indicators).
    pub band: Option<engine::stats::Band>,
    pub verdict: Option<engine::stats::Verdict>,
    /// The other members of a listed group (neighbours, nearest, custom).
    pub peers: Vec<PeerRow>,
}

/// Compares `unit` with `group` (see [`GROUP_HELP`]) on one indicator in one year.
pub async fn compare(
    store: &Store,
    c: &Computed,
    unit: &str,
    indicator: &str,
    year: i32,
    group: &str,
    spec: &NearestSpec,
) -> Result<Comparison, AppError> {
    let s = &c.snapshot;
    let (u, y) = locate(c, unit, year)?;
    let i = s.indicator_index(indicator).ok_or_else(|| AppError::NotFound(format!("no indicator `{indicator}` in the catalogue")))?;
    if !s.indicator(i).applies[u] {
        return Err(AppError::Invalid(format!("indicator {indicator} does not apply to a {}", c.kinds[u].name_pl())));
    }
    let g = peer_group(store, c, u, y, group, spec).await?;
    let (stats, position) = g.compare(s, i, u, y);
    let def = &c.definitions[i];
    let band = s.value(i, u, y).and_then(|v| engine::stats::band(v, &stats));
    Ok(Comparison {
        band,
        verdict: band.and_then(|b| engine::stats::verdict(b, s.indicator(i).polarity)),
        indicator: indicator.to_owned(),
        indicator_name: def.name_pl.clone(),
        unit_code: c.codes[u].as_str().to_owned(),
        unit_name: c.names[u].clone(),
        year,
        group: g.name,
        group_label: g.label,
        value: s.value(i, u, y),
        stats,
        position,
        decimals: def.decimals,
        measure_unit: def.unit_pl.clone(),
        peers: g.rows,
    })
}

/// One strength or weakness.
#[derive(Debug, Clone)]
pub struct Finding {
    pub indicator: String,
    pub name_pl: String,
    pub name_en: String,
    pub area: String,
    pub measure_unit: String,
    pub decimals: u8,
    pub value: f64,
    /// The polarity-turned z-score in the group: positive is good.
    pub score: f64,
    pub group_median: Option<f64>,
    pub rank: Option<u32>,
    pub group_n: usize,
    pub change_3y: Option<f64>,
    pub trend_3y: Trend,
    pub change_5y: Option<f64>,
    pub trend_5y: Trend,
}

/// The diagnosis of a unit in a year against a group.
#[derive(Debug, Clone)]
pub struct UnitDiagnosis {
    pub unit_code: String,
    pub unit_name: String,
    pub year: i32,
    pub group: String,
    pub group_label: String,
    /// Indicators that could be judged (applying, with a value, not neutral, group spread).
    pub judged: usize,
    pub strengths: Vec<Finding>,
    pub weaknesses: Vec<Finding>,
    pub peers: Vec<PeerRow>,
}

/// Strengths and weaknesses of `unit` in `year` against `group`: at most `top` of each,
/// by polarity-turned z-score (see `engine::diagnosis`), each with its 3- and 5-year trend.
pub async fn diagnose(
    store: &Store,
    c: &Computed,
    unit: &str,
    year: i32,
    group: &str,
    spec: &NearestSpec,
    top: usize,
) -> Result<UnitDiagnosis, AppError> {
    let s = &c.snapshot;
    let (u, y) = locate(c, unit, year)?;
    let g = peer_group(store, c, u, y, group, spec).await?;
    let compared = g.compare_all(s, u, y, None);
    Ok(diagnose_compared(c, u, y, g, &compared, top))
}

/// The diagnosis of unit `u` in year index `y` from comparisons already made: `compared`
/// holds (indicator, group statistics, position) for every indicator that applies to it.
/// The unit card compares once and uses the result for its table and its diagnosis.
pub fn diagnose_compared(c: &Computed, u: usize, y: usize, g: PeerGroup, compared: &[(usize, GroupStats, Position)], top: usize) -> UnitDiagnosis {
    let s = &c.snapshot;
    let year = s.first_year() + y as i32;
    let stats = compared;
    // One buffer for every indicator's series up to `y`.
    let mut flat: Vec<Option<f64>> = Vec::with_capacity(stats.len() * (y + 1));
    for (i, _, _) in stats {
        flat.extend((0..=y).map(|yy| s.value(*i, u, yy)));
    }
    let readings: Vec<Reading<'_>> = stats
        .iter()
        .zip(flat.chunks(y + 1))
        .map(|((i, st, _), values)| Reading { polarity: s.indicator(*i).polarity, values, group_mean: st.mean, group_sd: st.sd })
        .collect();
    let d = engine::diagnosis::diagnose(&readings, top);
    let finding = |f: &engine::diagnosis::Finding| {
        let (i, st, pos) = &stats[f.indicator];
        let def = &c.definitions[*i];
        Finding {
            indicator: def.code.clone(),
            name_pl: def.name_pl.clone(),
            name_en: def.name_en.clone(),
            area: def.area.clone(),
            measure_unit: def.unit_pl.clone(),
            decimals: def.decimals,
            value: f.value,
            score: f.score,
            group_median: st.median,
            rank: pos.rank,
            group_n: st.n,
            change_3y: f.change_3y,
            trend_3y: f.trend_3y,
            change_5y: f.change_5y,
            trend_5y: f.trend_5y,
        }
    };
    UnitDiagnosis {
        unit_code: c.codes[u].as_str().to_owned(),
        unit_name: c.names[u].clone(),
        year,
        group: g.name,
        group_label: g.label,
        judged: d.judged,
        strengths: d.strengths.iter().map(finding).collect(),
        weaknesses: d.weaknesses.iter().map(finding).collect(),
        peers: g.rows,
    }
}

/// A trend in words, Polish / English.
pub fn trend_words(t: Trend) -> (&'static str, &'static str) {
    match t {
        Trend::Improving => ("poprawa", "improving"),
        Trend::Stable => ("stabilnie", "stable"),
        Trend::Worsening => ("pogorszenie", "worsening"),
        Trend::Unknown => ("brak danych", "unknown"),
    }
}

/// A custom group as saved.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedGroup {
    pub code: String,
    pub name_pl: String,
    pub name_en: Option<String>,
    /// TERYT codes of the members, in code order.
    pub members: Vec<String>,
}

/// Saves (or replaces) a custom group of current units given by TERYT codes, all or nothing:
/// an unknown code, a bad group code or an empty list is refused and nothing is written.
pub async fn save_custom_group(store: &Store, code: &str, name_pl: &str, name_en: Option<&str>, units: &[String]) -> Result<SavedGroup, AppError> {
    if code.is_empty() || code.len() > 40 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(AppError::Invalid(format!("group code `{code}`: 1–40 letters, digits, `_` or `-`")));
    }
    if name_pl.trim().is_empty() {
        return Err(AppError::Invalid("--name: a group needs a Polish name".into()));
    }
    let current: Vec<store::StoredUnit> = store.units().await?.into_iter().filter(|u| !u.historical && u.valid_to.is_none()).collect();
    let mut ids = Vec::new();
    let mut members = Vec::new();
    let mut unknown = Vec::new();
    for raw in units.iter().flat_map(|u| u.split(',')).map(str::trim).filter(|u| !u.is_empty()) {
        match TerytCode::parse_lenient(raw) {
            Ok(c) => match current.iter().find(|u| u.code == c) {
                Some(u) if !ids.contains(&u.id) => {
                    ids.push(u.id);
                    members.push(c.as_str().to_owned());
                }
                Some(_) => {}
                None => unknown.push(format!("{raw} (no current unit)")),
            },
            Err(e) => unknown.push(format!("{raw} ({e})")),
        }
    }
    if !unknown.is_empty() {
        return Err(AppError::Invalid(format!("--units: {}; nothing saved", unknown.join(", "))));
    }
    if members.is_empty() {
        return Err(AppError::Invalid("--units: a group needs at least one unit".into()));
    }
    store.save_group(code, name_pl.trim(), name_en.map(str::trim).filter(|n| !n.is_empty()), &ids, "cli").await?;
    members.sort();
    Ok(SavedGroup { code: code.to_owned(), name_pl: name_pl.trim().to_owned(), name_en: name_en.map(str::to_owned), members })
}

/// Every custom group with its members' codes.
pub async fn custom_groups(store: &Store) -> Result<Vec<SavedGroup>, AppError> {
    let codes: std::collections::HashMap<i64, String> = store.units().await?.into_iter().map(|u| (u.id, u.code.as_str().to_owned())).collect();
    Ok(store
        .groups()
        .await?
        .into_iter()
        .map(|g| {
            let mut members: Vec<String> = g.members.iter().filter_map(|id| codes.get(id).cloned()).collect();
            members.sort();
            SavedGroup { code: g.code, name_pl: g.name_pl, name_en: g.name_en, members }
        })
        .collect())
}
