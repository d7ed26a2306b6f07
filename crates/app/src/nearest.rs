//! Statistical nearest neighbours over the snapshot (the CIPFA/ONS method): which context
//! measures describe a unit, how they are weighted and transformed, and the k units of the
//! same level most alike in a given year, with each measure's share of the distance.
//!
//! A context is written as a comma-separated list of items `[log:]CODE[*WEIGHT]`, where
//! `CODE` is an indicator of the catalogue (its value) or a variable (its raw value), `log:`
//! takes the natural logarithm (for sizes such as population, whose spread is
//! multiplicative; a value ≤ 0 then counts as missing) and `WEIGHT` (default 1) scales the
//! item's squared difference. The standardisation is over the units of the target's level
//! (gminy with gminy and cities with powiat rights, powiaty with powiaty, …) in that year.

use engine::neighbours::{ContextMatrix, NeighbourError};
use engine::snapshot::Snapshot;
use model::UnitKind;

use crate::AppError;
use crate::groups::comparison_level;

/// The default context: size, density, age, population change, tax base and the labour
/// market — the kind of measures CIPFA's model uses, from the starter catalogue.
pub const DEFAULT_CONTEXT: &str = "log:ludnosc,log:DEM_01,DEM_09,DEM_03,FIN_05,GOS_01";

/// The default number of neighbours (CIPFA's nearest-neighbour model lists 15).
pub const DEFAULT_K: usize = 15;

/// One context measure.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextItem {
    pub code: String,
    pub log: bool,
    pub weight: f64,
}

impl ContextItem {
    /// How the item reads back, e.g. `log:ludnosc*2`.
    pub fn label(&self) -> String {
        let w = if self.weight == 1.0 { String::new() } else { format!("*{}", self.weight) };
        format!("{}{}{w}", if self.log { "log:" } else { "" }, self.code)
    }
}

/// The context measures and k.
#[derive(Debug, Clone, PartialEq)]
pub struct NearestSpec {
    pub items: Vec<ContextItem>,
    pub k: usize,
}

impl Default for NearestSpec {
    fn default() -> Self {
        NearestSpec::parse(DEFAULT_CONTEXT, DEFAULT_K).unwrap_or(NearestSpec { items: Vec::new(), k: DEFAULT_K })
    }
}

impl NearestSpec {
    /// Parses `[log:]CODE[*WEIGHT], …`; errors name the item and what is wrong with it.
    pub fn parse(context: &str, k: usize) -> Result<NearestSpec, AppError> {
        if k == 0 {
            return Err(AppError::Invalid("k: at least 1 neighbour".into()));
        }
        let mut items = Vec::new();
        for (n, raw) in context.split(',').enumerate() {
            let item = raw.trim();
            let at = || format!("context item {} `{item}`", n + 1);
            if item.is_empty() {
                return Err(AppError::Invalid(format!("{}: empty (write e.g. log:ludnosc,DEM_09*2)", at())));
            }
            let (log, rest) = match item.strip_prefix("log:") {
                Some(r) => (true, r),
                None => (false, item),
            };
            let (code, weight) = match rest.split_once('*') {
                Some((c, w)) => {
                    let w: f64 = w.trim().parse().map_err(|_| AppError::Invalid(format!("{}: weight `{}` is not a number", at(), w.trim())))?;
                    (c.trim(), w)
                }
                None => (rest.trim(), 1.0),
            };
            if !(weight.is_finite() && weight >= 0.0) {
                return Err(AppError::Invalid(format!("{}: a weight must be a number ≥ 0", at())));
            }
            if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(AppError::Invalid(format!("{}: `{code}` is not an indicator or variable code", at())));
            }
            if items.iter().any(|i: &ContextItem| i.code == code && i.log == log) {
                return Err(AppError::Invalid(format!("{}: given twice", at())));
            }
            items.push(ContextItem { code: code.to_owned(), log, weight });
        }
        if items.iter().all(|i| i.weight == 0.0) {
            return Err(AppError::Invalid("context: at least one item needs a weight above 0".into()));
        }
        Ok(NearestSpec { items, k })
    }
}

/// One neighbour found.
#[derive(Debug, Clone, PartialEq)]
pub struct NearUnit {
    pub unit: usize,
    pub distance: f64,
    /// Each context item's share of the squared distance (in the order of the spec).
    pub contributions: Vec<f64>,
}

/// The nearest neighbours of a unit in a year.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearest {
    pub spec: NearestSpec,
    pub neighbours: Vec<NearUnit>,
    /// Units of the same level with every context value: the pool the neighbours came from.
    pub candidates: usize,
    /// Context indicators left out because they do not apply to the unit's kind (FIN_05 of
    /// gminy for a powiat, say); `spec` holds only the items used.
    pub skipped: Vec<String>,
}

enum Source {
    Indicator(usize),
    Variable(usize),
}

/// The `spec.k` units of `kinds[unit]`'s level nearest to `unit` in year index `y`.
pub fn nearest(s: &Snapshot, kinds: &[UnitKind], unit: usize, y: usize, spec: &NearestSpec) -> Result<Nearest, AppError> {
    let level = kinds.get(unit).and_then(|k| comparison_level(*k)).ok_or_else(|| AppError::Invalid("the unit has no comparison level".into()))?;
    let mut sources: Vec<Source> = Vec::new();
    let mut used = NearestSpec { items: Vec::new(), k: spec.k };
    let mut skipped = Vec::new();
    for it in &spec.items {
        let src =
            s.indicator_index(&it.code).map(Source::Indicator).or_else(|| s.variable_index(&it.code).map(Source::Variable)).ok_or_else(|| {
                AppError::Invalid(format!("context: `{}` is neither an indicator of the catalogue nor a variable it uses", it.code))
            })?;
        if let Source::Indicator(i) = src
            && !s.indicator(i).applies.get(unit).copied().unwrap_or(false)
        {
            skipped.push(it.code.clone());
            continue;
        }
        sources.push(src);
        used.items.push(it.clone());
    }
    if used.items.iter().all(|i| i.weight == 0.0) {
        return Err(AppError::Invalid(format!(
            "context: none of {} applies to a {}",
            spec.items.iter().map(|i| i.code.as_str()).collect::<Vec<_>>().join(", "),
            kinds[unit].name_pl()
        )));
    }
    let spec = &used;
    let pool: Vec<usize> = (0..s.units()).filter(|&u| kinds.get(u).and_then(|k| comparison_level(*k)) == Some(level)).collect();
    let columns: Vec<Vec<Option<f64>>> = sources
        .iter()
        .zip(&spec.items)
        .map(|(src, it)| {
            pool.iter()
                .map(|&u| {
                    let v = match *src {
                        Source::Indicator(i) => s.value(i, u, y),
                        Source::Variable(v) => s.variable(v, u, y),
                    };
                    if it.log { v.filter(|x| *x > 0.0).map(f64::ln) } else { v }
                })
                .collect()
        })
        .collect();
    let refs: Vec<&[Option<f64>]> = columns.iter().map(Vec::as_slice).collect();
    let matrix = ContextMatrix::standardise(pool.len(), &refs);
    let target = pool.iter().position(|&u| u == unit).ok_or_else(|| AppError::Invalid("the unit is not in its own level".into()))?;
    let weights: Vec<f64> = spec.items.iter().map(|i| i.weight).collect();
    let found = matrix.nearest(target, &weights, spec.k, None).map_err(|e| match e {
        NeighbourError::IncompleteTarget(_) => {
            let lacking: Vec<&str> = columns.iter().zip(&spec.items).filter(|(c, _)| c[target].is_none()).map(|(_, it)| it.code.as_str()).collect();
            AppError::NotFound(format!("the unit has no value of {} in that year: it cannot be placed among its peers", lacking.join(", ")))
        }
        other => AppError::Invalid(other.to_string()),
    })?;
    let candidates = (0..pool.len()).filter(|&p| p != target && matrix.is_complete(p)).count();
    Ok(Nearest {
        spec: spec.clone(),
        neighbours: found.into_iter().map(|n| NearUnit { unit: pool[n.unit], distance: n.distance, contributions: n.contributions }).collect(),
        candidates,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_items_parse_with_log_and_weights() {
        let s = NearestSpec::parse("log:ludnosc, DEM_09*2,FIN_05*0.5", 7).expect("valid");
        assert_eq!(s.k, 7);
        assert_eq!(s.items[0], ContextItem { code: "ludnosc".into(), log: true, weight: 1.0 });
        assert_eq!(s.items[1], ContextItem { code: "DEM_09".into(), log: false, weight: 2.0 });
        assert_eq!(s.items[2].weight, 0.5);
        assert_eq!(s.items[1].label(), "DEM_09*2");
        assert_eq!(NearestSpec::default().items.len(), DEFAULT_CONTEXT.split(',').count());
    }

    #[test]
    fn bad_contexts_say_which_item_and_why() {
        let err = |c: &str, k: usize| NearestSpec::parse(c, k).expect_err(c).to_string();
        assert!(err("ludnosc,,x", 3).contains("context item 2"), "{}", err("ludnosc,,x", 3));
        assert!(err("ludnosc*abc", 3).contains("weight `abc`"));
        assert!(err("ludnosc*-1", 3).contains("≥ 0"));
        assert!(err("ludnosc*0", 3).contains("above 0"));
        assert!(err("lud nosc", 3).contains("not an indicator or variable code"));
        assert!(err("ludnosc,ludnosc", 3).contains("given twice"));
        assert!(err("ludnosc", 0).contains("at least 1"));
    }
}
