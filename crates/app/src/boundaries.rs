//! Importing boundary files (GeoJSON, PRG shapefiles) and listing neighbours. Features are
//! matched to units by TERYT code through every code a unit ever had (and, for a gmina whose
//! RODZ digit changed, through its first six digits), neighbours are computed per level and
//! the simplified outlines and the adjacency are stored in one transaction.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use model::{Date, Level, UnitKind};
use store::{BoundaryCounts, NewBoundary, Store};

use crate::AppError;
use crate::geometry;

#[derive(Debug, Clone)]
pub struct BoundaryImportOptions {
    /// The date of the boundaries (for the units that should have one); default today.
    pub date: Option<Date>,
    /// Import the matched features and list the others (default: refuse the file).
    pub skip_unmatched: bool,
    /// Outlines closer than this (metres) count as one border.
    pub tolerance_m: f64,
    /// At least this much border (metres) makes two units neighbours.
    pub min_shared_m: f64,
    /// Douglas–Peucker tolerance of the stored outlines (metres); 0 keeps them as read.
    pub simplify_m: f64,
}

impl Default for BoundaryImportOptions {
    fn default() -> Self {
        Self { date: None, skip_unmatched: false, tolerance_m: 20.0, min_shared_m: 100.0, simplify_m: 50.0 }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeatureNote {
    pub number: usize,
    pub code: String,
    pub name: String,
    /// For a changed code: the unit's code now.
    pub current_code: Option<String>,
}

#[derive(Debug, Clone)]
pub struct BoundaryImportReport {
    pub file: String,
    pub crs: &'static str,
    pub level: &'static str,
    pub source: String,
    pub features: usize,
    pub matched: usize,
    pub unmatched: Vec<FeatureNote>,
    /// Features whose code is no longer the unit's code (matched through the unit's history).
    pub changed_codes: Vec<FeatureNote>,
    /// Units of the file's level valid at its date that got no boundary: (code, name).
    pub without_boundary: Vec<(String, String)>,
    pub neighbour_pairs: usize,
    pub vertices_read: usize,
    pub vertices_stored: usize,
    pub counts: BoundaryCounts,
}

fn level_of(kind: UnitKind) -> Option<Level> {
    match kind {
        UnitKind::GminaMiejska | UnitKind::GminaWiejska | UnitKind::GminaMiejskoWiejska => Some(Level::Gmina),
        UnitKind::Powiat | UnitKind::MiastoNaPrawachPowiatu => Some(Level::Powiat),
        UnitKind::Wojewodztwo => Some(Level::Wojewodztwo),
        _ => None,
    }
}

fn level_word(l: Level) -> &'static str {
    match l {
        Level::Gmina => "gmina",
        Level::Powiat => "powiat",
        Level::Wojewodztwo => "wojewodztwo",
        Level::Kraj => "kraj",
    }
}

/// Imports a boundary file: all of it or nothing.
pub async fn import_boundaries(store: &Store, path: &Path, opts: &BoundaryImportOptions) -> Result<BoundaryImportReport, AppError> {
    let p = path.to_owned();
    let bf = tokio::task::spawn_blocking(move || ingest::read_boundaries(&p))
        .await
        .map_err(|e| AppError::Invalid(format!("the reader stopped: {e}")))??;
    let file = bf.file.clone();

    // Every code a unit ever had; a code valid now wins over an old alias of another unit.
    let units = store.units().await?;
    let by_id: HashMap<i64, &store::StoredUnit> = units.iter().map(|u| (u.id, u)).collect();
    let mut codes = store.unit_codes().await?;
    codes.sort_by_key(|c| (c.valid_to.is_none(), c.valid_to));
    let code_map: HashMap<String, i64> = codes.iter().map(|c| (c.code.as_str().to_owned(), c.unit_id)).collect();
    // A gmina keeps its unit when its RODZ digit changes: WOJ+POW+GMI → the gminy that had it.
    let mut base_map: HashMap<String, HashSet<i64>> = HashMap::new();
    for c in &codes {
        let gmina = by_id.get(&c.unit_id).is_some_and(|u| level_of(u.kind) == Some(Level::Gmina));
        if let (true, Some(base)) = (gmina, c.code.gmina_base()) {
            base_map.entry(base.to_owned()).or_default().insert(c.unit_id);
        }
    }

    let mut matched: Vec<(usize, i64)> = Vec::new(); // (feature index, unit id)
    let mut unmatched = Vec::new();
    let mut changed_codes = Vec::new();
    let mut taken: HashMap<i64, usize> = HashMap::new();
    for (i, f) in bf.features.iter().enumerate() {
        let code = f.code.as_str();
        let name = f.name.clone().unwrap_or_default();
        let unit = code_map.get(code).copied().or_else(|| {
            let ids = base_map.get(f.code.gmina_base()?)?;
            (ids.len() == 1).then(|| ids.iter().next().copied()).flatten()
        });
        let Some(unit) = unit.filter(|id| by_id.get(id).is_some_and(|u| u.code.level() == bf.level)) else {
            unmatched.push(FeatureNote { number: f.number, code: code.to_owned(), name, current_code: None });
            continue;
        };
        if let Some(other) = taken.insert(unit, f.number) {
            return Err(AppError::Invalid(format!(
                "{file}: features {other} and {} (code {code}) are both unit {}; nothing was imported",
                f.number,
                by_id.get(&unit).map(|u| u.code.as_str()).unwrap_or("?")
            )));
        }
        let now = by_id.get(&unit).map(|u| u.code.as_str().to_owned()).unwrap_or_default();
        if now != code {
            changed_codes.push(FeatureNote { number: f.number, code: code.to_owned(), name, current_code: Some(now) });
        }
        matched.push((i, unit));
    }
    if !unmatched.is_empty() && !opts.skip_unmatched {
        let list: Vec<String> = unmatched.iter().take(10).map(|u| format!("feature {} `{}` {}", u.number, u.code, u.name)).collect();
        return Err(AppError::Invalid(format!(
            "{file}: {} of {} features match no unit (import the TERC state of the file's date with `miernik import units`, or pass --skip-unmatched); nothing was imported: {}{}",
            unmatched.len(),
            bf.features.len(),
            list.join("; "),
            if unmatched.len() > 10 { "; …" } else { "" }
        )));
    }
    if matched.is_empty() {
        return Err(AppError::Invalid(format!("{file}: no feature matches a unit; nothing was imported")));
    }

    // Geometry: neighbours on the outlines as read, the stored outlines simplified.
    let shapes: Vec<_> = matched.iter().map(|&(i, _)| geometry::round(&bf.features[i].geometry)).collect();
    let (tol, min, eps) = (opts.tolerance_m, opts.min_shared_m, opts.simplify_m);
    let (pairs, stored, vertices_read, vertices_stored) = tokio::task::spawn_blocking(move || {
        let pairs = geometry::adjacency(&shapes, tol, min);
        let simple = if eps > 0.0 { geometry::simplify_shared(&shapes, eps / 111_320.0) } else { shapes.clone() };
        let read: usize = shapes.iter().map(geometry::vertices).sum();
        let kept: usize = simple.iter().map(geometry::vertices).sum();
        (pairs, simple.iter().map(geometry::to_geojson).collect::<Vec<_>>(), read, kept)
    })
    .await
    .map_err(|e| AppError::Invalid(format!("the geometry stopped: {e}")))?;
    let boundaries: Vec<NewBoundary> =
        matched.iter().zip(stored).map(|(&(_, unit_id), (geometry, bbox))| NewBoundary { unit_id, geometry, bbox }).collect();
    let id_pairs: Vec<(i64, i64)> = pairs.iter().map(|&(a, b, _)| (matched[a].1, matched[b].1)).collect();

    // Units of this level valid at the file's date left without a boundary.
    let date = opts.date.unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
    let got: HashSet<i64> = matched.iter().map(|m| m.1).collect();
    let without_boundary = store
        .units_at(date, None)
        .await?
        .into_iter()
        .filter(|u| level_of(u.kind) == Some(bf.level) && !got.contains(&u.id))
        .map(|u| (u.code.as_str().to_owned(), u.name))
        .collect();

    let level = level_word(bf.level);
    let source = format!("boundaries-{level}");
    let (counts, _) = store.replace_boundaries_and_adjacency(&source, &file, &boundaries, &id_pairs).await?;
    Ok(BoundaryImportReport {
        file,
        crs: bf.crs.label(),
        level,
        source,
        features: bf.features.len(),
        matched: matched.len(),
        unmatched,
        changed_codes,
        without_boundary,
        neighbour_pairs: id_pairs.len(),
        vertices_read,
        vertices_stored,
        counts,
    })
}

/// One neighbour pair: the unit and its neighbour, both of `level`, with their codes and names now.
#[derive(Debug, Clone, PartialEq)]
pub struct NeighbourPair {
    pub level: &'static str,
    pub code: String,
    pub name: String,
    pub neighbour_code: String,
    pub neighbour_name: String,
}

/// The stored neighbour pairs of one level (all levels by default): of one unit (any of its
/// codes) with each neighbour, or every pair once (the smaller code first).
pub async fn neighbours(store: &Store, unit: Option<&str>, level: Option<&str>) -> Result<Vec<NeighbourPair>, AppError> {
    let level = match level {
        None => None,
        Some("gmina" | "gminy") => Some(Level::Gmina),
        Some("powiat" | "powiaty") => Some(Level::Powiat),
        Some("wojewodztwo" | "województwo" | "wojewodztwa" | "województwa") => Some(Level::Wojewodztwo),
        Some(other) => return Err(AppError::Invalid(format!("--level `{other}`: expected gmina, powiat or wojewodztwo"))),
    };
    let units = store.units().await?;
    let by_id: HashMap<i64, &store::StoredUnit> = units.iter().map(|u| (u.id, u)).collect();
    let target = match unit {
        None => None,
        Some(code) => {
            let c = model::TerytCode::parse_lenient(code).map_err(|e| AppError::Invalid(format!("--unit: {e}")))?;
            let id = store.unit_id_for_code(&c).await?.ok_or_else(|| AppError::NotFound(format!("no unit has the code {c}")))?;
            Some(id)
        }
    };
    let mut out = Vec::new();
    for (a, b) in store.adjacency().await? {
        let (Some(ua), Some(ub)) = (by_id.get(&a), by_id.get(&b)) else { continue };
        let (Some(la), Some(lb)) = (level_of(ua.kind), level_of(ub.kind)) else { continue };
        if la != lb || level.is_some_and(|l| l != la) {
            continue;
        }
        let keep = match target {
            Some(t) => a == t,
            None => ua.code.as_str() < ub.code.as_str(),
        };
        if keep {
            out.push(NeighbourPair {
                level: level_word(la),
                code: ua.code.as_str().to_owned(),
                name: ua.name.clone(),
                neighbour_code: ub.code.as_str().to_owned(),
                neighbour_name: ub.name.clone(),
            });
        }
    }
    out.sort_by(|x, y| (x.level, &x.code, &x.neighbour_code).cmp(&(y.level, &y.code, &y.neighbour_code)));
    Ok(out)
}
