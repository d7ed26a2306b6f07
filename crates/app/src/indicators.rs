//! Indicators over the store: importing the catalogue, building the engine's snapshot from
//! the observations, and comparing a unit with a group.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use engine::snapshot::{IndicatorSpec, Inputs, Snapshot};
use formula::{Column, Program};
use model::{Flag, Polarity, TerytCode, UnitKind};
use store::{CatalogueCounts, Store, StoredVariable};

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
            for s in &v.bdl_series {
                let parts = std::iter::once(s.subject.get_ref().trim()).chain(s.dims.iter().map(|d| d.trim())).chain([s.measure.trim()]);
                refs.push(("bdl_series".to_owned(), parts.collect::<Vec<_>>().join("|")));
            }
            if let Some(d) = &v.population_date {
                refs.push(("population_date".to_owned(), d.clone()));
            }
            if v.slowly_changing {
                refs.push(("slowly_changing".to_owned(), "1".to_owned()));
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
                "unit_pl_forms": i.unit_pl_forms.as_ref().map(forms_json), "unit_en_forms": i.unit_en_forms.as_ref().map(forms_json),
                "decimals": i.decimals, "applies_to": i.applies_to, "definition_pl": i.definition_pl,
                "definition_en": i.definition_en, "source": i.source,
                "population_base": i.population_base, "population_base_source": i.population_base_source,
            })
            .to_string(),
        })
        .collect();
    Ok(store.import_catalogue(file, &cat.version, &vars, &inds).await?)
}

fn forms_json(f: &ingest::catalogue::UnitForms) -> serde_json::Value {
    serde_json::json!({"one": f.one, "few": f.few, "many": f.many, "other": f.other})
}

/// A measure unit's forms after a number by CLDR plural category, as stored; a category
/// without a form of its own takes `other`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct UnitForms {
    #[serde(default)]
    pub one: Option<String>,
    #[serde(default)]
    pub few: Option<String>,
    #[serde(default)]
    pub many: Option<String>,
    pub other: String,
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
    // Texts for people; absent from definitions stored before they were kept.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub service_pl: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub service_en: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub unit_en: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub definition_pl: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub definition_en: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub source: String,
    /// The measure unit's forms after a number (catalogues may leave them out).
    #[serde(default)]
    pub unit_pl_forms: Option<UnitForms>,
    #[serde(default)]
    pub unit_en_forms: Option<UnitForms>,
    /// The population stock a per-capita denominator counts (`31_xii`, `30_vi`) and where
    /// that rule is documented; absent for other indicators and older definitions.
    #[serde(default)]
    pub population_base: Option<String>,
    #[serde(default)]
    pub population_base_source: Option<String>,
}

/// A text that may be stored as null (a catalogue without it) reads as empty.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(<Option<String> as serde::Deserialize>::deserialize(d)?.unwrap_or_default())
}

/// A variable the snapshot holds, as people name it.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableInfo {
    pub code: String,
    pub name_pl: String,
    pub name_en: String,
    pub measure_unit: String,
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
    /// The snapshot's variables, in its order.
    pub variables: Vec<VariableInfo>,
    /// Why a cell has no plain final value: (variable index, unit, year index) → flag, for
    /// every stored observation whose flag is not `final`, and `estimated` for every cell of a
    /// slowly changing input carried from another year. A missing cell absent here was never
    /// reported.
    pub flags: HashMap<(u32, u32, u16), Flag>,
    /// Per indicator, the indices in `variables` of its inputs, numerator first.
    pub inputs: Vec<Vec<u32>>,
    index: HashMap<String, usize>,
}

impl Computed {
    /// A `Computed` from its parts (benchmarks and tests that make a snapshot without a
    /// store); no cell is flagged.
    #[allow(clippy::too_many_arguments)]
    pub fn assemble(
        snapshot: Snapshot,
        unit_ids: Vec<i64>,
        codes: Vec<TerytCode>,
        names: Vec<String>,
        kinds: Vec<UnitKind>,
        definitions: Vec<IndicatorDef>,
        variables: Vec<VariableInfo>,
    ) -> Computed {
        let index = codes.iter().enumerate().map(|(i, c)| (c.as_str().to_owned(), i)).collect();
        let inputs = vec![Vec::new(); definitions.len()];
        Computed { snapshot, unit_ids, codes, names, kinds, definitions, variables, flags: HashMap::new(), inputs, index }
    }

    pub fn unit_index(&self, code: &str) -> Option<usize> {
        self.index.get(code).copied()
    }

    /// The flag that explains indicator `i`'s cell for unit `u` in year index `y`: the first
    /// non-final flag among its variables (a confidential numerator makes the value
    /// confidential), `Final` when none is flagged, `Missing` when a value is missing and no
    /// input says why.
    pub fn flag(&self, i: usize, u: usize, y: usize) -> Flag {
        let has_value = self.snapshot.value(i, u, y).is_some();
        if self.flags.is_empty() {
            return if has_value { Flag::Final } else { Flag::Missing };
        }
        let found = self.inputs.get(i).into_iter().flatten().find_map(|&v| self.flags.get(&(v, u as u32, y as u16)).copied());
        match (has_value, found) {
            (true, Some(f)) if f.carries_value() => f,
            (true, _) => Flag::Final,
            (false, Some(f)) if !f.carries_value() => f,
            (false, _) => Flag::Missing,
        }
    }
}

/// How long a snapshot build took: reading the store (and arranging the columns), and the
/// engine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub load_seconds: f64,
    pub compute_seconds: f64,
}

/// Builds the snapshot of every indicator in force over the current JST and Poland, and
/// every year with data.
pub async fn compute(store: &Store) -> Result<Computed, AppError> {
    Ok(compute_timed(store).await?.0)
}

/// [`compute`], with how long reading and computing took.
pub async fn compute_timed(store: &Store) -> Result<(Computed, Timing), AppError> {
    let started = std::time::Instant::now();
    let defs: Vec<IndicatorDef> = store
        .indicators()
        .await?
        .into_iter()
        .map(|s| {
            serde_json::from_str(&s.definition).map_err(|e| AppError::Invalid(format!("indicator {}: stored definition unreadable: {e}", s.code)))
        })
        .collect::<Result<_, _>>()?;
    if defs.is_empty() {
        return Err(AppError::NoCatalogue);
    }
    // Poland is computed too (its indicators from its own inputs, e.g. the sums the store
    // holds for it), though it is compared with nothing: it is in no group.
    let units: Vec<store::StoredUnit> = store
        .units()
        .await?
        .into_iter()
        .filter(|u| !u.historical && u.valid_to.is_none() && (comparison_level(u.kind).is_some() || u.kind == UnitKind::Kraj))
        .collect();
    let index: HashMap<i64, usize> = units.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
    let mut parsed = Vec::new();
    let mut needed: Vec<String> = Vec::new();
    let mut inputs: Vec<Vec<u32>> = Vec::new();
    for d in &defs {
        let num = formula::parse(&d.numerator).map_err(|e| AppError::Invalid(format!("indicator {} numerator: {e}", d.code)))?;
        let den = d
            .denominator
            .as_deref()
            .map(formula::parse)
            .transpose()
            .map_err(|e| AppError::Invalid(format!("indicator {} denominator: {e}", d.code)))?;
        let mut mine = Vec::new();
        for v in num.variables().into_iter().chain(den.iter().flat_map(|d| d.variables())) {
            let at = match needed.iter().position(|n| n == v) {
                Some(at) => at,
                None => {
                    needed.push(v.to_owned());
                    needed.len() - 1
                }
            };
            if !mine.contains(&(at as u32)) {
                mine.push(at as u32);
            }
        }
        inputs.push(mine);
        parsed.push((num, den));
    }
    if !needed.iter().any(|n| n == "ludnosc") {
        needed.push("ludnosc".into());
    }
    let variable_info: HashMap<String, StoredVariable> = store.variables().await?.into_iter().map(|v| (v.code.clone(), v)).collect();
    let var_ids: HashMap<&str, i64> = variable_info.values().map(|v| (v.code.as_str(), v.id)).collect();
    // The observations, a variable at a time from the store's columnar records, straight
    // into unit-major columns over a provisional year range (every year with a value of these
    // variables); trimmed below to the years with a value of the units kept.
    let slow: HashSet<i64> =
        store.variable_refs().await?.into_iter().filter(|(_, system, r)| system == "slowly_changing" && r == "1").map(|(id, _, _)| id).collect();
    let needed_of: HashMap<i64, usize> = needed.iter().enumerate().filter_map(|(vi, c)| var_ids.get(c.as_str()).map(|&id| (id, vi))).collect();
    let ids: Vec<i64> = needed_of.keys().copied().collect();
    let mut reader = store.read_observations(&ids).await?;
    let (p_min, p_max) = reader.year_range().unwrap_or((0, -1));
    let p_years = usize::try_from(p_max - p_min + 1).unwrap_or(0);
    let n = units.len();
    // Unit id → index in `units`, dense (ids are the store's small integers).
    let max_id = units.iter().map(|u| u.id).max().unwrap_or(0);
    let dense: Option<Vec<u32>> = (0..=16_000_000).contains(&max_id).then(|| {
        let mut d = vec![u32::MAX; max_id as usize + 1];
        for (i, u) in units.iter().enumerate() {
            d[u.id as usize] = i as u32;
        }
        d
    });
    let slot = |unit_id: u32| -> Option<usize> {
        match &dense {
            Some(d) => d.get(unit_id as usize).copied().filter(|&i| i != u32::MAX).map(|i| i as usize),
            None => index.get(&i64::from(unit_id)).copied(),
        }
    };
    let mut columns: Vec<Option<Column>> = vec![None; needed.len()];
    // Slowly changing inputs keep their cells (unit index, year, value) for `carry` below.
    let mut slow_cells: HashMap<usize, Vec<(usize, i64, f64)>> = HashMap::new();
    let mut flagged: Vec<(u32, usize, i64, Flag)> = Vec::new();
    let (mut y_min, mut y_max) = (i64::MAX, i64::MIN);
    while let Some((id, data)) = reader.next().await? {
        let Some(&vi) = needed_of.get(&id) else { continue };
        let Some(view) = store::columns::ColumnView::new(&data) else { continue };
        let is_slow = slow.contains(&id);
        let mut col = if is_slow { None } else { Some(Column::missing(n * p_years)) };
        let mut cells = Vec::new();
        for (unit_id, year, value, flag) in view.iter() {
            let Some(u) = slot(unit_id) else { continue };
            let year = i64::from(year);
            if flag != 0 {
                let flag = Flag::from_i16(i16::from(flag)).unwrap_or(Flag::Missing);
                if flag != Flag::Final {
                    flagged.push((vi as u32, u, year, flag));
                }
            }
            if let Some(v) = value {
                y_min = y_min.min(year);
                y_max = y_max.max(year);
                match &mut col {
                    Some(col) => {
                        if v.is_finite() && (p_min..=p_max).contains(&year) {
                            let c = u * p_years + (year - p_min) as usize;
                            col.values[c] = v;
                            col.valid[c] = true;
                        }
                    }
                    None => cells.push((u, year, v)),
                }
            }
        }
        if is_slow {
            slow_cells.insert(vi, cells);
        }
        columns[vi] = col;
    }
    if y_min > y_max {
        return Err(AppError::NotFound("no observations of the catalogue's variables for current units".into()));
    }
    let years = (y_max - y_min + 1) as usize;
    // Trim the provisional range to the years with a value of the units kept.
    if (y_min, y_max) != (p_min, p_max) {
        let shift = (y_min - p_min) as usize;
        for col in columns.iter_mut().flatten() {
            let mut trimmed = Column::missing(n * years);
            for u in 0..n {
                let (from, to) = (u * p_years + shift, u * years);
                trimmed.values[to..to + years].copy_from_slice(&col.values[from..from + years]);
                trimmed.valid[to..to + years].copy_from_slice(&col.valid[from..from + years]);
            }
            *col = trimmed;
        }
    }
    // Slowly changing inputs (area): a year without an observation takes the nearest year's
    // value while the territory is unchanged, flagged estimated (see `slowly_changing`).
    if !slow_cells.is_empty() {
        let histories = crate::slowly_changing::histories(&units, &store.unit_codes().await?);
        for (&vi, cells) in slow_cells.iter_mut() {
            let observed: HashSet<(usize, i64)> =
                flagged.iter().filter(|f| f.0 == vi as u32).map(|f| (f.1, f.2)).chain(cells.iter().map(|c| (c.0, c.1))).collect();
            for (u, y) in crate::slowly_changing::carry(cells, &observed, &histories, y_min..=y_max) {
                flagged.push((vi as u32, u, y, Flag::Estimated));
            }
        }
    }
    for (vi, cells) in slow_cells {
        let mut col = Column::missing(n * years);
        for (u, y, v) in cells {
            if v.is_finite() && (y_min..=y_max).contains(&y) {
                let c = u * years + (y - y_min) as usize;
                col.values[c] = v;
                col.valid[c] = true;
            }
        }
        columns[vi] = Some(col);
    }
    let flags: HashMap<(u32, u32, u16), Flag> =
        flagged.into_iter().filter(|(_, _, y, _)| (y_min..=y_max).contains(y)).map(|(v, u, y, f)| ((v, u as u32, (y - y_min) as u16), f)).collect();
    let variables_info: Vec<VariableInfo> = needed
        .iter()
        .map(|code| {
            let v = variable_info.get(code);
            VariableInfo {
                code: code.clone(),
                name_pl: v.map(|v| v.name_pl.clone()).unwrap_or_else(|| code.clone()),
                name_en: v.and_then(|v| v.name_en.clone()).or_else(|| v.map(|v| v.name_pl.clone())).unwrap_or_else(|| code.clone()),
                measure_unit: v.and_then(|v| v.measure_unit.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let variables: Vec<(String, Column)> =
        needed.iter().zip(columns).map(|(code, col)| (code.clone(), col.unwrap_or_else(|| Column::missing(n * years)))).collect();
    let load_seconds = started.elapsed().as_secs_f64();
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
                // A context indicator is never judged, whatever a catalogue stored before the
                // reader refused a polarity for one: it ranks from the highest value.
                polarity: if d.kind == "context" { Polarity::Neutral } else { Polarity::parse(&d.polarity).unwrap_or(Polarity::Neutral) },
                factor: d.factor,
                max_lag: num.max_lag().max(den.as_ref().map_or(0, |d| d.max_lag())),
                numerator: Program::compile(&num),
                denominator: den.as_ref().map(Program::compile),
                applies: Arc::from(units.iter().map(|u| kinds.contains(&u.kind)).collect::<Vec<_>>()),
            }
        })
        .collect();
    let engine_inputs = Inputs { units: n, first_year: y_min as i32, years, variables, indicators, partitions };
    let engine_started = std::time::Instant::now();
    let snapshot = tokio::task::spawn_blocking(move || Snapshot::build(engine_inputs))
        .await
        .map_err(|e| AppError::Invalid(format!("the indicator computation failed: {e}")))?;
    let compute_seconds = engine_started.elapsed().as_secs_f64();
    let computed = Computed {
        snapshot,
        unit_ids: units.iter().map(|u| u.id).collect(),
        codes: units.iter().map(|u| u.code.clone()).collect(),
        names: units.iter().map(|u| u.name.clone()).collect(),
        kinds: units.iter().map(|u| u.kind).collect(),
        index: units.iter().enumerate().map(|(i, u)| (u.code.as_str().to_owned(), i)).collect(),
        definitions: defs,
        variables: variables_info,
        flags,
        inputs,
    };
    Ok((computed, Timing { load_seconds, compute_seconds }))
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
            variables: Vec::new(),
            flags: HashMap::new(),
            inputs: Vec::new(),
        }
    }
}
