//! Good practices and learning from the best: listing practices with unit and indicator names,
//! validated writes and verification, the leaders of a group and its biggest improvers, each
//! improver with its verified practices for the indicator.
//!
//! What each function returns:
//! * [`practices`]: the practices the filter lets through, newest first, as [`PracticeView`]s
//!   (unit code and name, indicators with names; an indicator no longer in the catalogue keeps
//!   its code as name).
//! * [`practice`]: one practice, or `None`.
//! * [`add_practice`] (the new id), [`update_practice`], [`verify_practice`]: refused input is
//!   `AppError::Invalid("field: why")` and nothing is written; an unknown practice is
//!   `AppError::NotFound`. Who may write is the caller's decision (`Action::Plan` on the
//!   practice's unit to add or edit, `Action::Verify` to verify).
//! * [`improvers`]: the units of a group whose value improved most over `span` years (change
//!   turned by polarity, positive = better; only units with both values and a real
//!   improvement), best first, at most `n`, each with its verified practices for the indicator.
//!   Empty for a neutral indicator.
//! * [`leaders`]: the group's best values in a year by polarity, at most `n`. Empty for a
//!   neutral indicator.

use std::collections::HashMap;

use model::Polarity;
use store::Store;

use crate::compare::PeerGroup;
use crate::{AppError, Computed};

pub use store::{Actor, PracticeFields, PracticeFilter, PracticeRow};

/// The statuses a practice can have.
pub const STATUSES: [&str; 3] = ["proposed", "verified", "rejected"];
/// The longest title, description and link (characters), and the most links.
pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 4000;
pub const MAX_LINK: usize = 500;
pub const MAX_LINKS: usize = 10;
/// The longest contact (characters).
pub const MAX_CONTACT: usize = 200;
/// The years a practice may have started in.
pub const START_YEARS: std::ops::RangeInclusive<i64> = 1990..=2100;

/// An indicator named.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorName {
    pub code: String,
    pub name_pl: String,
    pub name_en: String,
}

/// A practice with its unit's and indicators' names.
#[derive(Debug, Clone)]
pub struct PracticeView {
    pub row: PracticeRow,
    pub unit_code: String,
    pub unit_name: String,
    pub indicators: Vec<IndicatorName>,
}

/// Which units: a resolved peer group, a group of a fixed partition by the partition's name
/// and the group's key (e.g. `typology`, `gmina_wiejska:5-10k`), or units listed.
#[derive(Debug, Clone, Copy)]
pub enum Within<'a> {
    Group(&'a PeerGroup),
    Partition { partition: &'a str, key: &'a str },
    Units(&'a [usize]),
}

/// A unit that improved.
#[derive(Debug, Clone)]
pub struct Improver {
    pub unit: usize,
    pub code: String,
    pub name: String,
    /// The value `span` years before and in the year.
    pub from: f64,
    pub to: f64,
    /// `to − from` turned by polarity: positive is an improvement.
    pub change: f64,
    /// Its verified practices linked to the indicator.
    pub practices: Vec<PracticeView>,
}

/// A unit among the best.
#[derive(Debug, Clone, PartialEq)]
pub struct Leader {
    pub unit: usize,
    pub code: String,
    pub name: String,
    pub value: f64,
    /// 1 = the best (competition ranks: equal values share a rank).
    pub rank: u32,
}

/// The practices the filter lets through, newest first. Refused: a status not in
/// [`STATUSES`], a search text over [`MAX_TITLE`] characters.
pub async fn practices(store: &Store, c: &Computed, filter: &PracticeFilter) -> Result<Vec<PracticeView>, AppError> {
    let trimmed = |t: &Option<String>| t.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
    let status = trimmed(&filter.status);
    if let Some(st) = &status {
        check_status(st)?;
    }
    let text = trimmed(&filter.text);
    if let Some(t) = &text
        && t.chars().count() > MAX_TITLE
    {
        return Err(AppError::Invalid(format!("text: at most {MAX_TITLE} characters")));
    }
    let f = PracticeFilter { indicator: trimmed(&filter.indicator), unit_id: filter.unit_id, status, text };
    let rows = store.practices(&f).await?;
    views(store, c, rows).await
}

/// One practice.
pub async fn practice(store: &Store, c: &Computed, id: i64) -> Result<Option<PracticeView>, AppError> {
    match store.practice(id).await? {
        Some(row) => Ok(views(store, c, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

/// Adds a practice (status `proposed`). Returns its id. Refused: a unit not in the snapshot, an
/// empty title or one over [`MAX_TITLE`], an empty description or one over
/// [`MAX_DESCRIPTION`], a contact over [`MAX_CONTACT`], more than [`MAX_LINKS`] links or one
/// that is not an http(s) address of at most [`MAX_LINK`] characters, a start year outside
/// [`START_YEARS`], an indicator not in the catalogue.
pub async fn add_practice(store: &Store, c: &Computed, f: &PracticeFields, actor: &Actor) -> Result<i64, AppError> {
    let f = check_practice(c, f)?;
    Ok(store.add_practice(&f, actor).await?)
}

/// Changes a practice (it goes back to `proposed`); its unit cannot change. Refused as
/// [`add_practice`].
pub async fn update_practice(store: &Store, c: &Computed, id: i64, f: &PracticeFields, actor: &Actor) -> Result<(), AppError> {
    let old = store.practice(id).await?.ok_or_else(|| AppError::NotFound(format!("practice {id}: no such practice")))?;
    if old.fields.unit_id != f.unit_id {
        return Err(AppError::Invalid("unit: a practice stays with its unit".into()));
    }
    let f = check_practice(c, f)?;
    Ok(store.update_practice(id, &f, actor).await?)
}

/// Sets a practice's status (`proposed`, `verified`, `rejected`; a rejection needs a note
/// saying why, a note at most [`MAX_DESCRIPTION`] characters).
pub async fn verify_practice(store: &Store, id: i64, status: &str, note: Option<&str>, actor: &Actor) -> Result<(), AppError> {
    let status = status.trim();
    check_status(status)?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if let Some(n) = note
        && n.chars().count() > MAX_DESCRIPTION
    {
        return Err(AppError::Invalid(format!("note: at most {MAX_DESCRIPTION} characters")));
    }
    if status == "rejected" && note.is_none() {
        return Err(AppError::Invalid("note: a rejection needs a note saying why".into()));
    }
    if store.practice(id).await?.is_none() {
        return Err(AppError::NotFound(format!("practice {id}: no such practice")));
    }
    Ok(store.set_practice_status(id, status, note, actor).await?)
}

/// The units of `within` whose indicator `indicator` improved most from year index
/// `y − span` to `y`, at most `n`, each with its verified practices. Refused: an unknown
/// indicator or group, a span outside 1–10. Empty for a neutral indicator or when the
/// snapshot has no year `span` years before `y`.
pub async fn improvers(
    store: &Store,
    c: &Computed,
    indicator: usize,
    within: Within<'_>,
    y: usize,
    span: usize,
    n: usize,
) -> Result<Vec<Improver>, AppError> {
    let s = &c.snapshot;
    check_indicator(c, indicator)?;
    if !(1..=10).contains(&span) {
        return Err(AppError::Invalid(format!("span: {span} years; 3 or 5")));
    }
    let members = members(c, within, y)?;
    let sign = match polarity_of(c, indicator) {
        Polarity::HigherBetter => 1.0,
        Polarity::LowerBetter => -1.0,
        Polarity::Neutral => return Ok(Vec::new()),
    };
    if y < span || y >= s.years() {
        return Ok(Vec::new());
    }
    let applies = &s.indicator(indicator).applies;
    let mut found: Vec<(usize, f64, f64, f64)> = members
        .iter()
        .filter(|&&m| applies.get(m).copied().unwrap_or(false))
        .filter_map(|&m| {
            let (from, to) = (s.value(indicator, m, y - span)?, s.value(indicator, m, y)?);
            let change = sign * (to - from);
            (change.is_finite() && change > 0.0).then_some((m, from, to, change))
        })
        .collect();
    found.sort_by(|a, b| b.3.total_cmp(&a.3).then_with(|| c.codes[a.0].as_str().cmp(c.codes[b.0].as_str())));
    found.truncate(n);
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let filter = PracticeFilter { indicator: Some(c.definitions[indicator].code.clone()), status: Some("verified".into()), ..Default::default() };
    let mut by_unit: HashMap<i64, Vec<PracticeView>> = HashMap::new();
    for p in views(store, c, store.practices(&filter).await?).await? {
        by_unit.entry(p.row.fields.unit_id).or_default().push(p);
    }
    Ok(found
        .into_iter()
        .map(|(m, from, to, change)| Improver {
            unit: m,
            code: c.codes[m].as_str().to_owned(),
            name: c.names[m].clone(),
            from,
            to,
            change,
            practices: by_unit.remove(&c.unit_ids[m]).unwrap_or_default(),
        })
        .collect())
}

/// The best `n` values of `within` for indicator `indicator` in year index `y`, best first
/// (ties by code). Refused: an unknown indicator or group. Empty for a neutral indicator.
pub fn leaders(c: &Computed, indicator: usize, within: Within<'_>, y: usize, n: usize) -> Result<Vec<Leader>, AppError> {
    let s = &c.snapshot;
    check_indicator(c, indicator)?;
    let members = members(c, within, y)?;
    let sign = match polarity_of(c, indicator) {
        Polarity::HigherBetter => 1.0,
        Polarity::LowerBetter => -1.0,
        Polarity::Neutral => return Ok(Vec::new()),
    };
    let applies = &s.indicator(indicator).applies;
    let mut present: Vec<(usize, f64)> =
        members.iter().filter(|&&m| applies.get(m).copied().unwrap_or(false)).filter_map(|&m| s.value(indicator, m, y).map(|v| (m, v))).collect();
    // Best first: the larger polarity-turned value.
    present.sort_by(|a, b| (sign * b.1).total_cmp(&(sign * a.1)).then_with(|| c.codes[a.0].as_str().cmp(c.codes[b.0].as_str())));
    let mut out = Vec::with_capacity(n.min(present.len()));
    let mut rank = 0u32;
    for (k, &(m, v)) in present.iter().enumerate().take(n) {
        if k == 0 || present[k - 1].1 != v {
            rank = k as u32 + 1;
        }
        out.push(Leader { unit: m, code: c.codes[m].as_str().to_owned(), name: c.names[m].clone(), value: v, rank });
    }
    Ok(out)
}

/// The members of `within` in year index `y` (snapshot indices, ascending). Refused: an
/// unknown partition or group key.
pub fn members(c: &Computed, within: Within<'_>, y: usize) -> Result<Vec<usize>, AppError> {
    let s = &c.snapshot;
    if y >= s.years() {
        return Err(AppError::Invalid(format!("year: index {y} outside the snapshot's {} years", s.years())));
    }
    let mut m: Vec<usize> = match within {
        Within::Group(g) => g.members(s, y),
        Within::Partition { partition, key } => {
            let p = s
                .partition_index(partition)
                .ok_or_else(|| AppError::Invalid(format!("group: no partition `{}`", partition.chars().take(40).collect::<String>())))?;
            let g = s
                .group_keys(p)
                .iter()
                .position(|k| k == key)
                .ok_or_else(|| AppError::Invalid(format!("group: no group `{}` in {partition}", key.chars().take(60).collect::<String>())))?;
            s.members(p, g, y).iter().map(|&u| u as usize).collect()
        }
        Within::Units(us) => us.iter().copied().filter(|&u| u < s.units()).collect(),
    };
    m.sort_unstable();
    m.dedup();
    Ok(m)
}

// ----- helpers -----

fn check_status(status: &str) -> Result<(), AppError> {
    if STATUSES.contains(&status) {
        Ok(())
    } else {
        Err(AppError::Invalid(format!("status: `{}`: {}", status.chars().take(40).collect::<String>(), STATUSES.join(", "))))
    }
}

fn check_indicator(c: &Computed, i: usize) -> Result<(), AppError> {
    if i < c.snapshot.indicator_count() { Ok(()) } else { Err(AppError::Invalid(format!("indicator: no indicator number {i}"))) }
}

/// The indicator's direction; a context indicator has none.
fn polarity_of(c: &Computed, i: usize) -> Polarity {
    if c.definitions[i].kind == "context" { Polarity::Neutral } else { c.snapshot.indicator(i).polarity }
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

/// Whether `link` is an http(s) address: the scheme, a host, no spaces or control characters.
fn is_web_address(link: &str) -> bool {
    let lower = link.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")) else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty() && !host.starts_with('.') && !host.contains('@') && !link.chars().any(|ch| ch.is_whitespace() || ch.is_control())
}

/// A practice's fields checked and tidied (texts trimmed, empty links dropped, indicator codes
/// as the catalogue has them, each once).
fn check_practice(c: &Computed, f: &PracticeFields) -> Result<PracticeFields, AppError> {
    if !c.unit_ids.contains(&f.unit_id) {
        return Err(AppError::Invalid(format!("unit: no current unit with data has id {}", f.unit_id)));
    }
    let title = check_text("title", &f.title, MAX_TITLE, true)?.unwrap_or_default();
    let description = check_text("description", &f.description, MAX_DESCRIPTION, true)?.unwrap_or_default();
    let contact = check_text("contact", f.contact.as_deref().unwrap_or(""), MAX_CONTACT, false)?;
    let links: Vec<String> = f.links.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    if links.len() > MAX_LINKS {
        return Err(AppError::Invalid(format!("links: {} links, at most {MAX_LINKS}", links.len())));
    }
    for l in &links {
        let n = l.chars().count();
        if n > MAX_LINK {
            return Err(AppError::Invalid(format!("links: an address of {n} characters, at most {MAX_LINK}")));
        }
        if !is_web_address(l) {
            return Err(AppError::Invalid(format!("links: `{}` is not a web address (http:// or https://)", l.chars().take(60).collect::<String>())));
        }
    }
    if let Some(y) = f.start_year
        && !START_YEARS.contains(&y)
    {
        return Err(AppError::Invalid(format!("start_year: {y} is outside {}–{}", START_YEARS.start(), START_YEARS.end())));
    }
    let mut indicators: Vec<String> = Vec::new();
    for code in f.indicators.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        let i = c
            .snapshot
            .indicator_index(code)
            .ok_or_else(|| AppError::Invalid(format!("indicators: no indicator `{}` in the catalogue", code.chars().take(60).collect::<String>())))?;
        let code = c.definitions[i].code.clone();
        if !indicators.contains(&code) {
            indicators.push(code);
        }
    }
    Ok(PracticeFields { unit_id: f.unit_id, title, description, contact, links, start_year: f.start_year, indicators })
}

/// Rows with their unit's code and name and their indicators' names.
async fn views(store: &Store, c: &Computed, rows: Vec<PracticeRow>) -> Result<Vec<PracticeView>, AppError> {
    let by_id: HashMap<i64, usize> = c.unit_ids.iter().enumerate().map(|(k, &id)| (id, k)).collect();
    let mut others: HashMap<i64, (String, String)> = HashMap::new();
    if rows.iter().any(|r| !by_id.contains_key(&r.fields.unit_id)) {
        others = store.units().await?.into_iter().map(|u| (u.id, (u.code.as_str().to_owned(), u.name))).collect();
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let id = row.fields.unit_id;
            let (unit_code, unit_name) = match by_id.get(&id) {
                Some(&u) => (c.codes[u].as_str().to_owned(), c.names[u].clone()),
                None => others.get(&id).cloned().unwrap_or_else(|| (format!("#{id}"), String::new())),
            };
            let indicators = row
                .fields
                .indicators
                .iter()
                .map(|code| match c.snapshot.indicator_index(code) {
                    Some(i) => {
                        IndicatorName { code: code.clone(), name_pl: c.definitions[i].name_pl.clone(), name_en: c.definitions[i].name_en.clone() }
                    }
                    None => IndicatorName { code: code.clone(), name_pl: code.clone(), name_en: code.clone() },
                })
                .collect();
            PracticeView { row, unit_code, unit_name, indicators }
        })
        .collect())
}
