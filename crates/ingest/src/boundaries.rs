//! Boundary files: GeoJSON (WGS84 lon/lat, or EPSG:2180 when its `crs` member says so) and
//! Shapefile as GUGiK publishes PRG (.shp + .shx + .dbf + .prj, EPSG:2180 "PUWG 1992",
//! attributes in UTF-8 or cp1250 as the .cpg says or the bytes show). Every feature comes
//! out as a WGS84 lon/lat multipolygon with its TERYT code; the whole file is checked before
//! anything is returned: codes (one level per file, no code twice), geometry (closed rings of
//! at least four finite positions enclosing an area, inside Poland — a file in another
//! projection lands outside it and is refused as such). Errors say file, feature and field.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;

use geo::{Area, Coord, LineString, MultiPolygon, Polygon};
use model::{Level, TerytCode};

use crate::IngestError;
use crate::projection::from_puwg1992;

/// The coordinate system the file was in (the features are always returned in WGS84).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    Wgs84,
    /// EPSG:2180, "ETRS89 / Poland CS92" (PUWG 1992).
    Puwg1992,
}

impl Crs {
    pub fn label(self) -> &'static str {
        match self {
            Crs::Wgs84 => "WGS84 (EPSG:4326)",
            Crs::Puwg1992 => "EPSG:2180 (PUWG 1992)",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BoundaryFeature {
    /// 1-based position of the feature in the file.
    pub number: usize,
    pub code: TerytCode,
    /// The name in the file, if it has a name field.
    pub name: Option<String>,
    /// lon/lat WGS84.
    pub geometry: MultiPolygon<f64>,
}

#[derive(Debug, Clone)]
pub struct BoundaryFile {
    pub file: String,
    pub crs: Crs,
    /// The attribute the codes were read from (e.g. `JPT_KOD_JE`, `terc`).
    pub code_field: String,
    pub level: Level,
    pub features: Vec<BoundaryFeature>,
}

/// Attribute names that hold the TERYT code, and the name, first match wins (case ignored).
const CODE_FIELDS: [&str; 6] = ["JPT_KOD_JE", "terc", "teryt", "kod", "code", "jpt_kod"];
const NAME_FIELDS: [&str; 4] = ["JPT_NAZWA_", "name", "nazwa", "jpt_nazwa"];

/// Poland with a margin, lon/lat: coordinates outside it mean a wrong projection (or none).
const POLAND: [f64; 4] = [13.5, 48.5, 24.5, 55.5];

/// Reads a boundary file: `.shp` as a shapefile (its .shx, .dbf, .prj, .cpg beside it), anything
/// else as GeoJSON.
pub fn read_boundaries(path: &Path) -> Result<BoundaryFile, IngestError> {
    let file = path.display().to_string();
    let is_shp = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("shp"));
    if is_shp {
        let read = |ext: &str| -> Result<Option<Vec<u8>>, IngestError> {
            for e in [ext.to_ascii_lowercase(), ext.to_ascii_uppercase()] {
                let p = path.with_extension(&e);
                match std::fs::read(&p) {
                    Ok(b) => return Ok(Some(b)),
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                    Err(source) => return Err(IngestError::Io { file: p.display().to_string(), source }),
                }
            }
            Ok(None)
        };
        let shp = std::fs::read(path).map_err(|source| IngestError::Io { file: file.clone(), source })?;
        let parts = ShapefileParts { shp, shx: read("shx")?, dbf: read("dbf")?, prj: read("prj")?, cpg: read("cpg")? };
        parse_shapefile(&file, &parts)
    } else {
        let bytes = std::fs::read(path).map_err(|source| IngestError::Io { file: file.clone(), source })?;
        parse_geojson(&file, &bytes)
    }
}

fn whole(file: &str, message: impl Into<String>) -> IngestError {
    IngestError::Format { file: file.to_owned(), line: 0, message: message.into() }
}

fn at(file: &str, feature: usize, field: &str, message: impl Into<String>) -> IngestError {
    IngestError::Feature { file: file.to_owned(), feature, field: field.to_owned(), message: message.into() }
}

// ---------------------------------------------------------------------------------------------
// GeoJSON

/// Parses a GeoJSON FeatureCollection of Polygon/MultiPolygon features.
pub fn parse_geojson(file: &str, bytes: &[u8]) -> Result<BoundaryFile, IngestError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let doc: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| whole(file, format!("not JSON (line {}, column {}): {e}", e.line(), e.column())))?;
    if doc.get("type").and_then(|t| t.as_str()) != Some("FeatureCollection") {
        return Err(whole(file, "not a GeoJSON FeatureCollection (no \"type\": \"FeatureCollection\")"));
    }
    let crs = match doc.pointer("/crs/properties/name").and_then(|n| n.as_str()) {
        None => None,
        Some(name) => Some(crs_from_name(name).ok_or_else(|| {
            whole(file, format!("wrong projection: the crs member names `{name}`; expected WGS84 (EPSG:4326, CRS84) or EPSG:2180 (PUWG 1992)"))
        })?),
    };
    let features = doc.get("features").and_then(|f| f.as_array()).ok_or_else(|| whole(file, "the FeatureCollection has no \"features\" array"))?;
    let mut raw = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let n = i + 1;
        let props = f.get("properties").and_then(|p| p.as_object());
        let attrs: Vec<(String, String)> = props
            .map(|p| {
                p.iter()
                    .filter_map(|(k, v)| {
                        let s = match v {
                            serde_json::Value::String(s) => s.clone(),
                            serde_json::Value::Number(x) => x.to_string(),
                            _ => return None,
                        };
                        Some((k.clone(), s))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let geometry = f.get("geometry").ok_or_else(|| at(file, n, "geometry", "the feature has no geometry"))?;
        let rings = geojson_polygons(geometry).map_err(|m| at(file, n, "geometry", m))?;
        raw.push(RawFeature { number: n, attrs, polygons: rings });
    }
    // Without a crs member, the coordinates must be lon/lat: projected ones are refused.
    let crs = match crs {
        Some(c) => c,
        None => {
            if let Some((n, x, y)) = first_out_of_range(&raw) {
                return Err(at(
                    file,
                    n,
                    "geometry",
                    format!("wrong projection: coordinate ({x}, {y}) is not lon/lat; GeoJSON must be WGS84, or name EPSG:2180 in a crs member"),
                ));
            }
            Crs::Wgs84
        }
    };
    finish(file, crs, raw)
}

fn crs_from_name(name: &str) -> Option<Crs> {
    let n = name.to_ascii_uppercase();
    if n.ends_with(":2180") || n.ends_with("::2180") || n.ends_with("/2180") {
        Some(Crs::Puwg1992)
    } else if n.ends_with("CRS84") || n.ends_with(":4326") || n.ends_with(":4258") {
        Some(Crs::Wgs84)
    } else {
        None
    }
}

type RawRing = Vec<(f64, f64)>;
/// (exterior, holes)
type RawPolygon = (RawRing, Vec<RawRing>);

struct RawFeature {
    number: usize,
    attrs: Vec<(String, String)>,
    polygons: Vec<RawPolygon>,
}

fn first_out_of_range(raw: &[RawFeature]) -> Option<(usize, f64, f64)> {
    raw.iter().find_map(|f| {
        f.polygons
            .iter()
            .flat_map(|(e, h)| std::iter::once(e).chain(h))
            .flatten()
            .find(|(x, y)| x.abs() > 180.0 || y.abs() > 90.0)
            .map(|&(x, y)| (f.number, x, y))
    })
}

fn geojson_polygons(g: &serde_json::Value) -> Result<Vec<RawPolygon>, String> {
    let kind = g.get("type").and_then(|t| t.as_str()).unwrap_or("");
    let coords = g.get("coordinates").ok_or("the geometry has no coordinates")?;
    match kind {
        "Polygon" => Ok(vec![geojson_polygon(coords)?]),
        "MultiPolygon" => coords.as_array().ok_or("MultiPolygon coordinates are not an array")?.iter().map(geojson_polygon).collect(),
        other => Err(format!("geometry type `{other}`: expected Polygon or MultiPolygon")),
    }
}

fn geojson_polygon(v: &serde_json::Value) -> Result<RawPolygon, String> {
    let rings = v.as_array().ok_or("polygon coordinates are not an array of rings")?;
    let mut rings = rings.iter().map(|r| {
        r.as_array()
            .ok_or("a ring is not an array of positions")?
            .iter()
            .map(|p| match p.as_array().map(|a| a.as_slice()) {
                Some([x, y, ..]) => match (x.as_f64(), y.as_f64()) {
                    (Some(x), Some(y)) => Ok((x, y)),
                    _ => Err("a position is not two numbers"),
                },
                _ => Err("a position is not an array of two numbers"),
            })
            .collect::<Result<RawRing, _>>()
    });
    let exterior = rings.next().ok_or("a polygon without rings")??;
    let holes = rings.collect::<Result<Vec<_>, _>>()?;
    Ok((exterior, holes))
}

// ---------------------------------------------------------------------------------------------
// Shapefile

/// The files of one shapefile, as bytes: `.shp` is required, the others may be missing
/// (a missing .dbf or .prj is an error, a missing .shx or .cpg is not).
#[derive(Debug, Clone, Default)]
pub struct ShapefileParts {
    pub shp: Vec<u8>,
    pub shx: Option<Vec<u8>>,
    pub dbf: Option<Vec<u8>>,
    pub prj: Option<Vec<u8>>,
    pub cpg: Option<Vec<u8>>,
}

/// Parses a shapefile from its parts. `file` names the .shp in errors.
pub fn parse_shapefile(file: &str, parts: &ShapefileParts) -> Result<BoundaryFile, IngestError> {
    let stem = file.strip_suffix(".shp").or_else(|| file.strip_suffix(".SHP")).unwrap_or(file);
    let dbf =
        parts.dbf.as_ref().ok_or_else(|| whole(file, format!("{stem}.dbf (the attributes, with the TERYT codes) is missing beside the .shp")))?;
    let prj = parts
        .prj
        .as_ref()
        .ok_or_else(|| whole(file, format!("{stem}.prj is missing: the coordinate system cannot be told (PRG ships EPSG:2180 in a .prj)")))?;
    let crs = crs_from_prj(&String::from_utf8_lossy(prj)).map_err(|m| whole(file, format!("{stem}.prj: {m}")))?;
    // The header says how long the file is (in 16-bit words): a shorter file was cut off.
    if parts.shp.len() < 100 || parts.shp[..4] != [0, 0, 0x27, 0x0a] {
        return Err(whole(file, "not a shapefile .shp (no shapefile header)"));
    }
    let declared = u32::from_be_bytes([parts.shp[24], parts.shp[25], parts.shp[26], parts.shp[27]]) as usize * 2;
    if declared != parts.shp.len() {
        return Err(whole(file, format!("the .shp is truncated or damaged: its header says {declared} bytes, the file has {}", parts.shp.len())));
    }
    let shapes = read_shapes(file, parts)?;
    let encoding = dbf_encoding(parts.cpg.as_deref(), dbf);
    let records = read_records(stem, dbf, encoding)?;
    if records.len() != shapes.len() {
        return Err(whole(
            file,
            format!("the .shp has {} shapes but {stem}.dbf has {} records: one of them is truncated", shapes.len(), records.len()),
        ));
    }
    let mut raw = Vec::with_capacity(shapes.len());
    for (i, (shape, attrs)) in shapes.into_iter().zip(records).enumerate() {
        let n = i + 1;
        let polygons = shape_polygons(shape).map_err(|m| at(file, n, "geometry", m))?;
        raw.push(RawFeature { number: n, attrs, polygons });
    }
    finish(file, crs, raw)
}

fn read_shapes(file: &str, parts: &ShapefileParts) -> Result<Vec<shapefile::Shape>, IngestError> {
    // The crate reads sizes from the file; a damaged one must not bring the process down.
    let result = std::panic::catch_unwind(|| -> Result<Vec<shapefile::Shape>, String> {
        let reader = match &parts.shx {
            Some(shx) => shapefile::ShapeReader::with_shx(Cursor::new(&parts.shp), Cursor::new(shx)),
            None => shapefile::ShapeReader::new(Cursor::new(&parts.shp)),
        };
        let mut reader = reader.map_err(|e| format!("cannot read the .shp: {e}"))?;
        let mut out = Vec::new();
        for (i, s) in reader.iter_shapes().enumerate() {
            out.push(s.map_err(|e| format!("feature {}: the .shp (or .shx) is truncated or damaged: {e}", i + 1))?);
        }
        Ok(out)
    });
    match result {
        Ok(r) => r.map_err(|m| whole(file, m)),
        Err(_) => Err(whole(file, "the .shp is damaged: its record sizes do not fit the file")),
    }
}

fn dbf_encoding(cpg: Option<&[u8]>, dbf: &[u8]) -> &'static encoding_rs::Encoding {
    if let Some(cpg) = cpg {
        let label = String::from_utf8_lossy(cpg).trim().to_ascii_lowercase();
        let label = match label.as_str() {
            "1250" | "cp1250" | "ansi 1250" => "windows-1250",
            "utf8" => "utf-8",
            l => l,
        };
        if let Some(e) = encoding_rs::Encoding::for_label(label.as_bytes()) {
            return e;
        }
    }
    // No (known) .cpg: valid UTF-8 text is UTF-8, anything else the Polish ANSI code page.
    if std::str::from_utf8(dbf).is_ok() { encoding_rs::UTF_8 } else { encoding_rs::WINDOWS_1250 }
}

fn read_records(stem: &str, dbf: &[u8], encoding: &'static encoding_rs::Encoding) -> Result<Vec<Vec<(String, String)>>, IngestError> {
    let dbf_name = format!("{stem}.dbf");
    let result = std::panic::catch_unwind(|| -> Result<Vec<Vec<(String, String)>>, String> {
        let mut reader = shapefile::dbase::ReaderBuilder::new()
            .with_encoding(shapefile::dbase::encoding::EncodingRs::from(encoding))
            .build(Cursor::new(dbf))
            .map_err(|e| format!("not a dBASE file: {e}"))?;
        let mut out = Vec::new();
        for (i, r) in reader.iter_records().enumerate() {
            let r = r.map_err(|e| format!("record {}: truncated or damaged: {e}", i + 1))?;
            let attrs = r
                .into_iter()
                .filter_map(|(k, v)| {
                    use shapefile::dbase::FieldValue as V;
                    let s = match v {
                        V::Character(Some(s)) => s.trim().to_owned(),
                        V::Numeric(Some(x)) => format!("{x}"),
                        V::Integer(x) => x.to_string(),
                        V::Double(x) => format!("{x}"),
                        V::Float(Some(x)) => format!("{x}"),
                        _ => return None,
                    };
                    Some((k, s))
                })
                .collect();
            out.push(attrs);
        }
        Ok(out)
    });
    match result {
        Ok(r) => r.map_err(|m| whole(&dbf_name, m)),
        Err(_) => Err(whole(&dbf_name, "the .dbf is damaged: its header does not fit the file")),
    }
}

/// Tells EPSG:2180 or a geographic WGS84/ETRS89 system from a .prj's WKT.
fn crs_from_prj(wkt: &str) -> Result<Crs, String> {
    let w = wkt.trim().to_ascii_uppercase();
    let name = w.split('"').nth(1).unwrap_or("").to_owned();
    if w.starts_with("PROJCS") || w.starts_with("PROJCRS") {
        let param = |p: &str| -> Option<f64> {
            let i = w.find(&format!("\"{p}\""))?;
            let rest = &w[i + p.len() + 2..];
            let rest = rest.trim_start_matches([',', ' ']);
            let end = rest.find([']', ',']).unwrap_or(rest.len());
            rest[..end].trim().parse().ok()
        };
        let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-6);
        let tm = w.contains("TRANSVERSE_MERCATOR") || w.contains("TRANSVERSE MERCATOR");
        let grs80 = w.contains("GRS") || w.contains("ETRS") || w.contains("ETRF") || w.contains("298.257222101");
        if tm
            && grs80
            && close(param("CENTRAL_MERIDIAN").or(param("LONGITUDE OF NATURAL ORIGIN")), 19.0)
            && close(param("SCALE_FACTOR").or(param("SCALE FACTOR AT NATURAL ORIGIN")), 0.9993)
            && close(param("FALSE_EASTING").or(param("FALSE EASTING")), 500_000.0)
            && close(param("FALSE_NORTHING").or(param("FALSE NORTHING")), -5_300_000.0)
        {
            return Ok(Crs::Puwg1992);
        }
        return Err(format!(
            "wrong projection: `{name}` is not EPSG:2180 (PUWG 1992: transverse Mercator, lon0 = 19°, k0 = 0.9993, FE 500000, FN −5300000, GRS80) nor WGS84"
        ));
    }
    if (w.starts_with("GEOGCS") || w.starts_with("GEOGCRS"))
        && (w.contains("WGS") || w.contains("ETRS") || w.contains("ETRF") || w.contains("GRS_1980") || w.contains("GRS 1980"))
    {
        return Ok(Crs::Wgs84);
    }
    Err(format!("wrong projection: `{name}` is not EPSG:2180 (PUWG 1992) nor WGS84"))
}

fn shape_polygons(shape: shapefile::Shape) -> Result<Vec<RawPolygon>, String> {
    use shapefile::{PolygonRing, Shape};
    let rings: Vec<(bool, RawRing)> = match shape {
        Shape::Polygon(p) => p
            .into_inner()
            .into_iter()
            .map(|r| match r {
                PolygonRing::Outer(pts) => (true, pts.iter().map(|p| (p.x, p.y)).collect()),
                PolygonRing::Inner(pts) => (false, pts.iter().map(|p| (p.x, p.y)).collect()),
            })
            .collect(),
        Shape::PolygonZ(p) => p
            .into_inner()
            .into_iter()
            .map(|r| match r {
                PolygonRing::Outer(pts) => (true, pts.iter().map(|p| (p.x, p.y)).collect()),
                PolygonRing::Inner(pts) => (false, pts.iter().map(|p| (p.x, p.y)).collect()),
            })
            .collect(),
        Shape::NullShape => return Err("the feature has no geometry (null shape)".into()),
        other => return Err(format!("shape type {}: expected Polygon", other.shapetype())),
    };
    let mut out: Vec<RawPolygon> = Vec::new();
    for (outer, ring) in rings {
        if outer {
            out.push((ring, Vec::new()));
        } else {
            out.last_mut().ok_or("a hole (counter-clockwise ring) comes before any outer ring")?.1.push(ring);
        }
    }
    if out.is_empty() {
        return Err("the polygon has no rings".into());
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Common checks

fn finish(file: &str, crs: Crs, raw: Vec<RawFeature>) -> Result<BoundaryFile, IngestError> {
    if raw.is_empty() {
        return Err(whole(file, "the file has no features"));
    }
    let field_of = |attrs: &[(String, String)], names: &[&str]| -> Option<String> {
        names.iter().find_map(|n| attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(k, _)| k.clone()))
    };
    let code_field = field_of(&raw[0].attrs, &CODE_FIELDS)
        .ok_or_else(|| at(file, 1, CODE_FIELDS[0], format!("no TERYT code attribute: expected one of {}", CODE_FIELDS.join(", "))))?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut level: Option<(Level, usize)> = None;
    let mut features = Vec::with_capacity(raw.len());
    for f in raw {
        let n = f.number;
        let value = f
            .attrs
            .iter()
            .find(|(k, _)| *k == code_field)
            .map(|(_, v)| v.trim().to_owned())
            .ok_or_else(|| at(file, n, &code_field, "the TERYT code is missing"))?;
        let code = TerytCode::parse(&value).map_err(|e| at(file, n, &code_field, format!("`{value}` is not a TERYT code: {e}")))?;
        let l = code.level();
        if !matches!(l, Level::Wojewodztwo | Level::Powiat | Level::Gmina) {
            return Err(at(file, n, &code_field, format!("`{value}` is not a województwo, powiat or gmina")));
        }
        match level {
            None => level = Some((l, n)),
            Some((first, m)) if first != l => {
                return Err(at(
                    file,
                    n,
                    &code_field,
                    format!("`{value}` is a {} but feature {m} is a {}: one level per file", l.as_str(), first.as_str()),
                ));
            }
            _ => {}
        }
        if let Some(m) = seen.insert(value.clone(), n) {
            return Err(at(file, n, &code_field, format!("code {value} is also feature {m}'s")));
        }
        let name = field_of(&f.attrs, &NAME_FIELDS).and_then(|k| f.attrs.iter().find(|(a, _)| *a == k).map(|(_, v)| v.clone()));
        let geometry = to_geometry(f.polygons, crs).map_err(|m| at(file, n, "geometry", m))?;
        features.push(BoundaryFeature { number: n, code, name, geometry });
    }
    let level = level.map(|(l, _)| l).unwrap_or(Level::Gmina);
    Ok(BoundaryFile { file: file.to_owned(), crs, code_field, level, features })
}

fn to_geometry(polygons: Vec<RawPolygon>, crs: Crs) -> Result<MultiPolygon<f64>, String> {
    if polygons.is_empty() {
        return Err("an empty MultiPolygon".into());
    }
    let ring = |r: RawRing, what: &str| -> Result<LineString<f64>, String> {
        if r.len() < 4 {
            return Err(format!("{what} has {} positions: a ring needs at least 4", r.len()));
        }
        if let Some((x, y)) = r.iter().find(|(x, y)| !x.is_finite() || !y.is_finite()) {
            return Err(format!("{what} has a position that is not a finite number ({x}, {y})"));
        }
        if r.first() != r.last() {
            return Err(format!("{what} is not closed (its first and last positions differ)"));
        }
        let coords: Vec<Coord<f64>> = r
            .into_iter()
            .map(|(x, y)| {
                let (lon, lat) = match crs {
                    Crs::Wgs84 => (x, y),
                    Crs::Puwg1992 => from_puwg1992(x, y),
                };
                Coord { x: lon, y: lat }
            })
            .collect();
        if let Some(c) = coords.iter().find(|c| c.x < POLAND[0] || c.x > POLAND[2] || c.y < POLAND[1] || c.y > POLAND[3]) {
            return Err(format!(
                "{what}: position lon {:.5}, lat {:.5} is outside Poland — wrong projection (the file is read as {})?",
                c.x,
                c.y,
                crs.label()
            ));
        }
        Ok(LineString::new(coords))
    };
    let mut out = Vec::with_capacity(polygons.len());
    for (i, (exterior, holes)) in polygons.into_iter().enumerate() {
        let p = i + 1;
        let exterior = ring(exterior, &format!("polygon {p}, outer ring"))?;
        let holes = holes.into_iter().enumerate().map(|(j, h)| ring(h, &format!("polygon {p}, hole {}", j + 1))).collect::<Result<Vec<_>, _>>()?;
        let polygon = Polygon::new(exterior, holes);
        // A ring that encloses nothing (all on a line, or a bow-tie whose halves cancel) is
        // broken. Small self-intersections are let through: the published files have them.
        if Polygon::new(polygon.exterior().clone(), vec![]).signed_area().abs() < 1e-12 {
            return Err(format!("polygon {p} is broken: its outer ring encloses no area"));
        }
        out.push(polygon);
    }
    Ok(MultiPolygon::new(out))
}
