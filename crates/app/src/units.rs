//! Listing and describing units as of a date: filters by kind, parent and a search that
//! ignores case and Polish diacritics.

use std::collections::HashMap;

use model::{Date, Level, TerytCode, UnitKind};
use store::{Store, UnitAt};

use crate::AppError;

#[derive(Debug, Clone, Default)]
pub struct UnitFilter {
    pub kind: Option<UnitKind>,
    /// The parent's code (as valid on the date).
    pub parent: Option<TerytCode>,
    /// Part of a name or the start of a code; case and diacritics do not matter.
    pub search: Option<String>,
}

/// A unit as listed: code, name and kind as valid on the date asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitListing {
    pub code: TerytCode,
    pub name: String,
    pub kind: UnitKind,
    pub parent: Option<TerytCode>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    /// The units it lies in, from the top (województwo, powiat, gmina), Poland left out —
    /// what tells same-named units apart. Filled by a search over every unit (from the one
    /// query that lists them), empty in a listing of one parent's children.
    pub ancestors: Vec<Ancestor>,
}

/// A unit above another, as valid on the date asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Ancestor {
    pub code: TerytCode,
    pub name: String,
    pub kind: UnitKind,
}

/// The kind a unit had when it bore `code`: a gmina's kind follows its RODZ digit.
fn kind_at(u: &UnitAt) -> UnitKind {
    match (u.kind.level(), u.code.rodz()) {
        (Level::Gmina, Some(r)) => UnitKind::from_rodz(r).unwrap_or(u.kind),
        _ => u.kind,
    }
}

/// The units valid on `date` that pass `filter`, ordered by code — or, when searching, best
/// matches first (whole name, then its start, then a word's start, then anywhere).
pub async fn list_units(store: &Store, date: Date, filter: &UnitFilter) -> Result<Vec<UnitListing>, AppError> {
    let parent_id = match &filter.parent {
        Some(code) => match store.unit_id_for_code(code).await? {
            Some(id) => Some(id),
            None => return Ok(Vec::new()),
        },
        None => None,
    };
    let units = store.units_at(date, parent_id).await?;
    let mut code_of: HashMap<i64, &TerytCode> = units.iter().map(|u| (u.id, &u.code)).collect();
    if let (Some(id), Some(code)) = (parent_id, &filter.parent) {
        code_of.insert(id, code);
    }
    let by_id: HashMap<i64, &UnitAt> = if parent_id.is_none() { units.iter().map(|u| (u.id, u)).collect() } else { HashMap::new() };
    let ancestors = |u: &UnitAt| -> Vec<Ancestor> {
        let mut out = Vec::new();
        let mut at = u.parent_id;
        // Four levels at most (gmina part → gmina → powiat → województwo → Poland); the
        // bound also stops a cycle in bad data.
        for _ in 0..5 {
            let Some(p) = at.and_then(|id| by_id.get(&id)) else { break };
            if p.kind != UnitKind::Kraj {
                out.push(Ancestor { code: p.code.clone(), name: p.name.clone(), kind: kind_at(p) });
            }
            at = p.parent_id;
        }
        out.reverse();
        out
    };
    let needle = filter.search.as_deref().map(|s| model::fold(s.trim()));
    let mut out: Vec<UnitListing> = units
        .iter()
        .filter(|u| filter.kind.is_none_or(|k| kind_at(u) == k))
        .filter(|u| filter.parent.as_ref().is_none_or(|p| u.parent_id.and_then(|id| code_of.get(&id)).is_some_and(|c| *c == p)))
        .filter(|u| needle.as_deref().is_none_or(|n| n.is_empty() || model::fold(&u.name).contains(n) || u.code.as_str().starts_with(n)))
        .map(|u| UnitListing {
            code: u.code.clone(),
            name: u.name.clone(),
            kind: kind_at(u),
            parent: u.parent_id.and_then(|id| code_of.get(&id)).map(|c| (*c).clone()),
            valid_from: u.valid_from,
            valid_to: u.valid_to,
            ancestors: ancestors(u),
        })
        .collect();
    match needle.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => out.sort_by_cached_key(|u| (relevance(&model::fold(&u.name), u.code.as_str(), n), u.code.clone())),
        None => out.sort_by(|a, b| a.code.cmp(&b.code)),
    }
    Ok(out)
}

/// How well a folded name (or code) matches the folded search text: 0 is best.
fn relevance(name: &str, code: &str, needle: &str) -> u8 {
    if name == needle || code == needle {
        0
    } else if name.starts_with(needle) || code.starts_with(needle) {
        1
    } else if name.split([' ', '-']).any(|w| w.starts_with(needle)) {
        2
    } else {
        3
    }
}

/// Everything the unit card shows about a unit's identity.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitCard {
    pub unit: UnitListing,
    pub id: i64,
    pub is_jst: bool,
    /// Every code it has had: code, valid from, valid to.
    pub codes: Vec<(TerytCode, Option<Date>, Option<Date>)>,
    /// Every name it has had.
    pub names: Vec<(String, Option<Date>, Option<Date>)>,
    pub parent_name: Option<String>,
    pub parent_kind: Option<UnitKind>,
    /// Every unit it lies in, from the top (województwo first), Poland left out.
    pub ancestors: Vec<Ancestor>,
    /// The other record of the same JST (city with powiat rights).
    pub same_jst: Option<UnitListing>,
    pub children: Vec<UnitListing>,
}

/// The card of the unit that bears (or bore) `code`, as of `date`.
pub async fn unit_card(store: &Store, code: &TerytCode, date: Date) -> Result<UnitCard, AppError> {
    let not_found = || AppError::NotFound(format!("no unit with code {code}"));
    let id = store.unit_id_for_code(code).await?.ok_or_else(not_found)?;
    let u = store.unit(id).await?.ok_or_else(not_found)?;
    let parent = match u.parent_id {
        Some(p) => store.unit(p).await?,
        None => None,
    };
    let same = match u.same_jst_id {
        Some(s) => store.unit(s).await?,
        None => None,
    };
    let listing = |s: &store::StoredUnit, parent: Option<&store::StoredUnit>| UnitListing {
        code: s.code.clone(),
        name: s.name.clone(),
        kind: s.kind,
        parent: parent.map(|p| p.code.clone()),
        valid_from: s.valid_from,
        valid_to: s.valid_to,
        ancestors: Vec::new(),
    };
    // The chain of parents: at most three more reads (the parent is read already).
    let mut ancestors = Vec::new();
    let mut above = parent.clone();
    for _ in 0..5 {
        let Some(a) = above else { break };
        if a.kind != UnitKind::Kraj {
            ancestors.push(Ancestor { code: a.code.clone(), name: a.name.clone(), kind: a.kind });
        }
        above = match a.parent_id {
            Some(p) => store.unit(p).await?,
            None => None,
        };
    }
    ancestors.reverse();
    let children = list_units(store, date, &UnitFilter { parent: Some(u.code.clone()), ..UnitFilter::default() }).await?;
    Ok(UnitCard {
        unit: listing(&u, parent.as_ref()),
        id,
        is_jst: u.kind.is_jst(),
        codes: store.codes_of_unit(id).await?.into_iter().map(|c| (c.code, c.valid_from, c.valid_to)).collect(),
        names: store.unit_names(id).await?,
        parent_name: parent.as_ref().map(|p| p.name.clone()),
        parent_kind: parent.as_ref().map(|p| p.kind),
        ancestors,
        same_jst: same.as_ref().map(|s| listing(s, None)),
        children,
    })
}
