//! What the pages read, built once per snapshot version: the snapshot, the catalogue
//! arranged as areas → services → indicators, and the map layers (geometry prepared once,
//! for thousands of renders).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use app::Computed;
use model::UnitKind;

/// The map layers: one per level of units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    Gminy,
    Powiaty,
    Wojewodztwa,
}

impl Layer {
    /// The layer of a unit kind. A city with powiat rights is drawn with the powiaty (its
    /// record as a gmina, a gmina miejska, is on the gmina layer), so that no city is there twice.
    pub fn of(kind: UnitKind) -> Option<Layer> {
        match kind {
            UnitKind::GminaMiejska | UnitKind::GminaWiejska | UnitKind::GminaMiejskoWiejska => Some(Layer::Gminy),
            UnitKind::Powiat | UnitKind::MiastoNaPrawachPowiatu => Some(Layer::Powiaty),
            UnitKind::Wojewodztwo => Some(Layer::Wojewodztwa),
            _ => None,
        }
    }

    pub const ALL: [Layer; 3] = [Layer::Gminy, Layer::Powiaty, Layer::Wojewodztwa];

    pub fn code(self) -> &'static str {
        match self {
            Layer::Gminy => "gminy",
            Layer::Powiaty => "powiaty",
            Layer::Wojewodztwa => "wojewodztwa",
        }
    }

    pub fn parse(s: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.code() == s)
    }

    pub fn name(self, l: crate::i18n::L) -> &'static str {
        match self {
            Layer::Gminy => l.t("gminy", "gminas (municipalities)"),
            Layer::Powiaty => l.t("powiaty", "counties"),
            Layer::Wojewodztwa => l.t("województwa", "voivodeships"),
        }
    }
}

/// One map layer: the prepared outlines and, per shape, the unit (snapshot index) it is.
#[derive(Debug)]
pub struct MapLayer {
    pub layer: Layer,
    pub geometry: viz::MapGeometry,
    pub units: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub pl: String,
    pub en: String,
    pub indicators: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Area {
    pub code: String,
    pub services: Vec<Service>,
}

impl Area {
    pub fn indicators(&self) -> impl Iterator<Item = usize> + '_ {
        self.services.iter().flat_map(|s| s.indicators.iter().copied())
    }
}

/// Everything a page reads, for one snapshot version.
#[derive(Debug)]
pub struct Portal {
    pub version: u64,
    pub built: SystemTime,
    pub c: Arc<Computed>,
    pub areas: Vec<Area>,
    pub maps: Vec<MapLayer>,
    /// The snapshot's population variable, if it has one.
    pub population: Option<usize>,
    pub area_km2: Option<usize>,
    pub unit_by_id: HashMap<i64, usize>,
    /// Rank indexes of (partition, year) already asked for, newest last; a few are kept
    /// (8.7 MB each at 750 indicators × 2,900 units).
    ranks: std::sync::Mutex<Vec<Arc<app::RankIndex>>>,
    /// Each unit's card year ([`app::Snapshot::card_years`]), worked out once per version.
    card_years: Vec<Option<usize>>,
    /// Unit indices by folded name ([`model::fold`]), for names typed into forms.
    by_name: HashMap<String, Vec<usize>>,
}

impl Portal {
    /// Arranges `c` for the pages; `boundaries` are the stored (unit id, GeoJSON geometry).
    pub fn new(version: u64, c: Arc<Computed>, boundaries: &[(i64, String)]) -> Portal {
        let mut areas: Vec<Area> = Vec::new();
        for (i, d) in c.definitions.iter().enumerate() {
            let a = match areas.iter().position(|a| a.code == d.area) {
                Some(a) => a,
                None => {
                    areas.push(Area { code: d.area.clone(), services: Vec::new() });
                    areas.len() - 1
                }
            };
            let services = &mut areas[a].services;
            let (pl, en) = if d.service_pl.is_empty() { (d.area.clone(), d.area.clone()) } else { (d.service_pl.clone(), d.service_en.clone()) };
            match services.iter_mut().find(|s| s.pl == pl) {
                Some(s) => s.indicators.push(i),
                None => services.push(Service { pl, en, indicators: vec![i] }),
            }
        }
        let unit_by_id: HashMap<i64, usize> = c.unit_ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let mut shapes: HashMap<Layer, Vec<(usize, viz::Shape)>> = HashMap::new();
        for (id, geometry) in boundaries {
            let Some(&u) = unit_by_id.get(id) else { continue };
            let Some(layer) = Layer::of(c.kinds[u]) else { continue };
            let polygons = parse_geometry(geometry);
            if polygons.is_empty() {
                continue;
            }
            shapes.entry(layer).or_default().push((u, viz::Shape { key: c.codes[u].as_str().to_owned(), polygons }));
        }
        // A city's gmina record without an outline of its own takes the city's (the demo
        // draws cities once, at powiat level).
        let city_shapes: HashMap<&str, viz::Shape> = shapes
            .get(&Layer::Powiaty)
            .map(|l| {
                l.iter().filter(|(u, _)| c.kinds[*u] == UnitKind::MiastoNaPrawachPowiatu).map(|(u, s)| (c.codes[*u].as_str(), s.clone())).collect()
            })
            .unwrap_or_default();
        let drawn: std::collections::HashSet<usize> = shapes.get(&Layer::Gminy).map(|l| l.iter().map(|(u, _)| *u).collect()).unwrap_or_default();
        let borrowed: Vec<(usize, viz::Shape)> = (0..c.codes.len())
            .filter(|&u| Layer::of(c.kinds[u]) == Some(Layer::Gminy) && !drawn.contains(&u))
            .filter_map(|u| {
                let city = city_shapes.get(c.codes[u].as_str().get(..4)?)?;
                Some((u, viz::Shape { key: c.codes[u].as_str().to_owned(), polygons: city.polygons.clone() }))
            })
            .collect();
        shapes.entry(Layer::Gminy).or_default().extend(borrowed);
        let maps = Layer::ALL
            .into_iter()
            .filter_map(|layer| {
                let mut list = shapes.remove(&layer)?;
                list.sort_by_key(|(u, _)| *u);
                let units = list.iter().map(|(u, _)| *u).collect();
                let geometry = viz::MapGeometry::new(list.into_iter().map(|(_, s)| s).collect(), 640.0);
                Some(MapLayer { layer, geometry, units })
            })
            .collect();
        let population = c.snapshot.variable_index("ludnosc");
        let area_km2 = c.snapshot.variable_index("powierzchnia");
        let card_years = c.snapshot.card_years();
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::with_capacity(c.names.len());
        for (u, name) in c.names.iter().enumerate() {
            by_name.entry(model::fold(name)).or_default().push(u);
        }
        Portal {
            version,
            built: SystemTime::now(),
            c,
            areas,
            maps,
            population,
            area_km2,
            unit_by_id,
            ranks: std::sync::Mutex::new(Vec::new()),
            card_years,
            by_name,
        }
    }

    /// The units whose name folds to `folded` (in unit order).
    pub fn units_named(&self, folded: &str) -> &[usize] {
        self.by_name.get(folded).map_or(&[], Vec::as_slice)
    }

    /// The rank index of partition `p` in year index `y`, built on first use (one sort per
    /// group and indicator, tens of milliseconds at Poland's scale) and kept for the version.
    pub fn rank_index(&self, p: usize, y: usize) -> Arc<app::RankIndex> {
        const KEEP: usize = 6;
        if let Some(ix) = self.ranks.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|ix| ix.partition == p && ix.year == y) {
            return ix.clone();
        }
        let ix = Arc::new(self.c.snapshot.rank_index(p, y));
        let mut kept = self.ranks.lock().unwrap_or_else(|e| e.into_inner());
        if !kept.iter().any(|k| k.partition == p && k.year == y) {
            if kept.len() == KEEP {
                kept.remove(0);
            }
            kept.push(ix.clone());
        }
        ix
    }

    pub fn map(&self, layer: Layer) -> Option<&MapLayer> {
        self.maps.iter().find(|m| m.layer == layer)
    }

    pub fn area(&self, code: &str) -> Option<&Area> {
        self.areas.iter().find(|a| a.code == code)
    }

    /// The year index unit `u`'s card and report open on: the newest year with values for
    /// most of its indicators ([`app::Snapshot::card_year`]), else the snapshot's last year.
    /// A city with powiat rights gets the year of its two records that reaches further, so
    /// that both cards of the one JST open on the same year.
    pub fn latest_year(&self, u: usize) -> usize {
        let s = &self.c.snapshot;
        let card_year = |u: usize| self.card_years.get(u).copied().flatten();
        let own = card_year(u);
        let code = self.c.codes[u].as_str();
        let twin = match self.c.kinds[u] {
            UnitKind::MiastoNaPrawachPowiatu => self.c.unit_index(&format!("{code}011")),
            UnitKind::GminaMiejska => {
                code.get(..4).and_then(|p| self.c.unit_index(p)).filter(|&t| self.c.kinds[t] == UnitKind::MiastoNaPrawachPowiatu)
            }
            _ => None,
        };
        own.max(twin.and_then(card_year)).unwrap_or(s.years().saturating_sub(1))
    }
}

/// GeoJSON Polygon / MultiPolygon coordinates as polygons → rings → (lon, lat); anything
/// else (or malformed) gives no polygons.
pub fn parse_geometry(text: &str) -> Vec<Vec<Vec<(f64, f64)>>> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else { return Vec::new() };
    let ring = |r: &serde_json::Value| -> Vec<(f64, f64)> {
        r.as_array()
            .map(|pts| {
                pts.iter()
                    .filter_map(|p| {
                        let p = p.as_array()?;
                        Some((p.first()?.as_f64()?, p.get(1)?.as_f64()?))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let polygon = |p: &serde_json::Value| -> Vec<Vec<(f64, f64)>> { p.as_array().map(|rs| rs.iter().map(ring).collect()).unwrap_or_default() };
    match v.get("type").and_then(|t| t.as_str()) {
        Some("Polygon") => v.get("coordinates").map(polygon).into_iter().filter(|p| !p.is_empty()).collect(),
        Some("MultiPolygon") => {
            v.get("coordinates").and_then(|c| c.as_array()).map(|ps| ps.iter().map(polygon).filter(|p| !p.is_empty()).collect()).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_geometry;

    #[test]
    fn geojson_polygons_and_multipolygons_are_read_and_anything_else_is_empty() {
        let p = parse_geometry(r#"{"type":"Polygon","coordinates":[[[14,50],[15,50],[15,51],[14,50]]]}"#);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0][0][1], (15.0, 50.0));
        let m = parse_geometry(r#"{"type":"MultiPolygon","coordinates":[[[[14,50],[15,50],[15,51],[14,50]]],[[[16,50],[17,50],[17,51],[16,50]]]]}"#);
        assert_eq!(m.len(), 2);
        assert!(parse_geometry(r#"{"type":"Point","coordinates":[1,2]}"#).is_empty());
        assert!(parse_geometry("not json").is_empty());
        assert!(parse_geometry(r#"{"type":"Polygon","coordinates":"x"}"#).is_empty());
    }
}
