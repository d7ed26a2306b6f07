//! Indicators over the store: importing the catalogue, building the engine's snapshot from
//! the observations, and comparing a unit with a group.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use engine::snapshot::{IndicatorSpec, Inputs, Snapshot};
use formula::{Column, Program};
use model::{Polarity, TerytCode, UnitKind};
use store::{CatalogueCounts, Store};

use crate::AppError;
use crate::groups::{UnitPlace, comparison_level, fixed_partitions};

/// Imports a catalogue file (all or nothing).
pub async fn import_indicators(store: &Store, path: &Path) -> Result<CatalogueCounts, AppError> {
    let owned = path.to_owned();
    let cat = tokio::task::spawn_blocking(move || ingest::catalogue::read_catalogue(&owned))
        .await
        .map_err(|e| AppError::Invalid(format!("the reader failed: {e}")))?
        .map_err(|e| AppError::Invalid(e.to_string()))?;
    let file = path.file_name().map_or_else(|| path.display().to_string(), |f| f.to_string_lossy().into_owned());
    store_catalogue(store, &cat, &file).await
}

/// Writes an already checked catalogue (all or nothing); `file` names it in the import log.
pub(crate) async fn store_catalogue(store: &Store, cat: &ingest::catalogue::Catalogue, file: &str) -> Result<CatalogueCounts, AppError> {
    let vars: Vec<store::NewVariable> = cat
        .variables
        .iter()
        .map(|v| {
            let mut refs = Vec::new();
            if let Some(id) = v.bdl_id {
                refs.push(("bdl_variable".to_owned(), id.to_string()));
            }
            if let Some(m) = &v.mf_position {
                refs.push(("mf_position".to_owned(), m.clone()));
            }
            store::NewVariable {
                code: v.code.get_ref().clone(),
                name_pl: v.name_pl.clone(),
                name_en: v.name_en.clone(),
                measure_unit: v.unit.clone(),
                source: v.source.clone(),
                refs,
            }
        })
        .collect();
    let inds: Vec<store::CatalogueIndicator> = cat
        .indicators
        .iter()
        .map(|i| store::CatalogueIndicator {
            code: i.code.get_ref().clone(),
            area: i.area.clone(),
            kind: i.kind.clone(),
            definition: serde_json::json!({
                "code": i.code.get_ref(), "name_pl": i.name_pl, "name_en": i.name_en, "area": i.area,
                "service_pl": i.service_pl, "service_en": i.service_en, "kind": i.kind, "dimension": i.dimension,
                "polarity": i.polarity, "factor": i.factor, "numerator": i.numerator.get_ref(),
                "denominator": i.denominator.as_ref().map(|d| d.get_ref()), "unit_pl": i.unit_pl, "unit_en": i.unit_en,
                "decimals": i.decimals, "applies_to": i.applies_to, "definition_pl": i.definition_pl,
                "definition_en": i.definition_en, "source": i.source,
            })
            .to_string(),
        })
        .collect();
    Ok(store.import_catalogue(file, &cat.version, &vars, &inds).await?)
}

/// An indicator's definition as stored.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct IndicatorDef {
    pub code: String,
    pub name_pl: String,
    pub name_en: String,
    pub area: String,
    pub kind: String,
    pub dimension: String,
    pub polarity: String,
    pub factor: f64,
    pub numerator: String,
    pub denominator: Option<String>,
    pub unit_pl: String,
    pub decimals: u8,
    pub applies_to: Vec<String>,
}

/// The snapshot with what it takes to speak about units by code.
#[derive(Debug)]
pub struct Computed {
    pub snapshot: Snapshot,
    pub unit_ids: Vec<i64>,
    pub codes: Vec<TerytCode>,
    pub names: Vec<String>,
    pub kinds: Vec<UnitKind>,
    pub definitions: Vec<IndicatorDef>,
    index: HashMap<String, usize>,
}

impl Computed {
    pub fn unit_index(&self, code: &str) -> Option<usize> {
        self.index.get(code).copied()
    }
}

/// Builds the snapshot of every indicator in force over the current JST and every year
/// with data.
pub async fn compute(store: &Store) -> Result<Computed, AppError> {
    let defs: Vec<IndicatorDef> = store
        .indicators()
        .await?
        .into_iter()
        .map(|s| serde_json::from_str(&s.definition).map_err(|e| AppError::Invalid(format!("indicator {}: stored definition unreadable: {e}", s.code))))
        .collect::<Result<_, _>>()?;
    if defs.is_empty() {
        return Err(AppError::NotFound("no indicators: import a catalogue first (miernik import indicators catalogue/indicators.toml)".into()));
    }
    let units: Vec<store::StoredUnit> =
        store.units().await?.into_iter().filter(|u| !u.historical && u.valid_to.is_none() && comparison_level(u.kind).is_some()).collect();
    let index: HashMap<i64, usize> = units.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
    let mut parsed = Vec::new();
    let mut needed: Vec<String> = Vec::new();
    for d in &defs {
        let num = formula::parse(&d.numerator).map_err(|e| AppError::Invalid(format!("indicator {} numerator: {e}", d.code)))?;
        let den = d.denominator.as_deref().map(formula::parse).transpose().map_err(|e| AppError::Invalid(format!("indicator {} denominator: {e}", d.code)))?;
        for v in num.variables().into_iter().chain(den.iter().flat_map(|d| d.variables())) {
            if !needed.iter().any(|n| n == v) {
                needed.push(v.to_owned());
            }
        }
        parsed.push((num, den));
    }
    if !needed.iter().any(|n| n == "ludnosc") {
        needed.push("ludnosc".into());
    }
    let var_ids: HashMap<String, i64> = store.variables().await?.into_iter().map(|v| (v.code, v.id)).collect();
    // Per needed variable: its code and its cells (unit index, year, value).
    type Cells = Vec<(usize, i64, f64)>;
    let mut raw: Vec<(String, Cells)> = Vec::new();
    let (mut y_min, mut y_max) = (i64::MAX, i64::MIN);
    for code in &needed {
        let mut cells = Vec::new();
        if let Some(&id) = var_ids.get(code) {
            for (unit_id, year, value) in store.variable_values(id).await? {
                if let (Some(&u), Some(v)) = (index.get(&unit_id), value) {
                    y_min = y_min.min(year);
                    y_max = y_max.max(year);
                    cells.push((u, year, v));
                }
            }
        }
        raw.push((code.clone(), cells));
    }
    if y_min > y_max {
        return Err(AppError::NotFound("no observations of the catalogue's variables for current units".into()));
    }
    let years = (y_max - y_min + 1) as usize;
    let n = units.len();
    let variables: Vec<(String, Column)> = raw
        .into_iter()
        .map(|(code, cells)| {
            let mut col = Column::missing(n * years);
            for (u, y, v) in cells {
                let c = u * years + (y - y_min) as usize;
                if v.is_finite() {
                    col.values[c] = v;
                    col.valid[c] = true;
                }
            }
            (code, col)
        })
        .collect();
    let places: Vec<UnitPlace> =
        units.iter().map(|u| UnitPlace { kind: u.kind, wojewodztwo: u.code.as_str().get(..2).unwrap_or("").to_owned() }).collect();
    let pop = variables.iter().find(|(c, _)| c == "ludnosc").map(|(_, c)| c.clone());
    let partitions = fixed_partitions(&places, years, &|u, y| pop.as_ref().and_then(|c| c.get(u * years + y)));
    let indicators = defs
        .iter()
        .zip(parsed)
        .map(|(d, (num, den))| {
            let kinds: Vec<UnitKind> = d.applies_to.iter().filter_map(|k| UnitKind::parse(k).ok()).collect();
            IndicatorSpec {
                code: d.code.clone(),
                polarity: Polarity::parse(&d.polarity).unwrap_or(Polarity::Neutral),
                factor: d.factor,
                max_lag: num.max_lag().max(den.as_ref().map_or(0, |d| d.max_lag())),
                numerator: Program::compile(&num),
                denominator: den.as_ref().map(Program::compile),
                applies: Arc::from(units.iter().map(|u| kinds.contains(&u.kind)).collect::<Vec<_>>()),
            }
        })
        .collect();
    let snapshot = Snapshot::build(Inputs { units: n, first_year: y_min as i32, years, variables, indicators, partitions });
    Ok(Computed {
        snapshot,
        unit_ids: units.iter().map(|u| u.id).collect(),
        codes: units.iter().map(|u| u.code.clone()).collect(),
        names: units.iter().map(|u| u.name.clone()).collect(),
        kinds: units.iter().map(|u| u.kind).collect(),
        index: units.iter().enumerate().map(|(i, u)| (u.code.as_str().to_owned(), i)).collect(),
        definitions: defs,
    })
}


#[cfg(test)]
impl Computed {
    /// A snapshot of `units` gminy of one kind, coded 0201012, 0201022, … (tests only).
    pub(crate) fn for_tests(snapshot: Snapshot, units: usize, kind: UnitKind) -> Computed {
        let codes: Vec<TerytCode> =
            (0..units).filter_map(|u| TerytCode::parse(&format!("0201{:02}{}", u + 1, kind.rodz().unwrap_or('2'))).ok()).collect();
        Computed {
            snapshot,
            unit_ids: (1..=units as i64).collect(),
            names: (0..units).map(|u| format!("Gmina {u}")).collect(),
            kinds: vec![kind; units],
            index: codes.iter().enumerate().map(|(i, c)| (c.as_str().to_owned(), i)).collect(),
            codes,
            definitions: Vec::new(),
        }
    }
}
