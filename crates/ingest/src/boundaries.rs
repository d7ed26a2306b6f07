//! Boundary files: GeoJSON (WGS84 lon/lat, or EPSG:2180 when its `crs` member says so) and
//! Shapefile as GUGiK publishes PRG (.shp + .shx + .dbf + .prj, EPSG:2180 "PUWG 1992",
//! attributes in UTF-8 or cp1250 as the .cpg says or the bytes show). Every feature comes
//! out as a WGS84 lon/lat multipolygon with its TERYT code; the whole file is checked before
//! anything is returned: codes (one level per file, no code twice), geometry (closed rings of
//! at least four finite positions enclosing an area, inside Poland — a file in another
//! projection lands outside it and is refused as such). Errors say file, feature and field.
//!
//! Bounded: a GeoJSON, a `.shp` or a `.dbf` may be at most [`MAX_BOUNDARY_FILE_BYTES`], and a
//! file at most [`MAX_BOUNDARY_POSITIONS`] positions, counted while parsing (a GeoJSON is
//! parsed as a stream straight into rings, `geojson`; a shapefile's shapes are converted one
//! at a time). A file of another kind (TERC, an XLSX, observations) is refused naming the
//! subcommand that reads it.

mod geojson;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Cursor};
use std::path::Path;

use geo::{Area, Coord, LineString, MultiPolygon, Polygon};
use model::{Level, TerytCode};
use serde::de::DeserializeSeed;

use crate::IngestError;
use crate::limits::{MAX_BOUNDARY_FILE_BYTES, MAX_BOUNDARY_POSITIONS, bytes, thousands};
use crate::projection::from_puwg1992;
use crate::sniff::{self, Import};

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
                match read_bounded(&p) {
                    Ok(b) => return Ok(Some(b)),
                    Err(IngestError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(None)
        };
        let shp = read_bounded(path)?;
        let parts = ShapefileParts { shp, shx: read("shx")?, dbf: read("dbf")?, prj: read("prj")?, cpg: read("cpg")? };
        parse_shapefile(&file, &parts)
    } else {
        let io = |source| IngestError::Io { file: file.clone(), source };
        let head = sniff::head_of(path).map_err(io)?;
        if let Some(hint) = sniff::check(&head, sniff::name_of(path), Import::Boundaries) {
            return Err(whole(&file, hint));
        }
        let f = std::fs::File::open(path).map_err(io)?;
        check_size(&file, f.metadata().map_err(io)?.len())?;
        let mut reader = BufReader::with_capacity(1 << 16, f);
        if reader.fill_buf().map_err(io)?.starts_with(b"\xEF\xBB\xBF") {
            reader.consume(3);
        }
        geojson_from(&file, serde_json::Deserializer::from_reader(reader), MAX_BOUNDARY_POSITIONS)
    }
}

fn check_size(file: &str, size: u64) -> Result<(), IngestError> {
    if size > MAX_BOUNDARY_FILE_BYTES {
        return Err(whole(
            file,
            format!(
                "the file is {}, past the limit of {} for a boundary file; simplify the boundaries (e.g. `mapshaper -simplify 10%`) or split the file",
                bytes(size),
                bytes(MAX_BOUNDARY_FILE_BYTES)
            ),
        ));
    }
    Ok(())
}

/// A part of a shapefile, read whole once its size is known to be within the limit.
fn read_bounded(path: &Path) -> Result<Vec<u8>, IngestError> {
    let name = path.display().to_string();
    let io = |source| IngestError::Io { file: name.clone(), source };
    check_size(&name, std::fs::metadata(path).map_err(io)?.len())?;
    std::fs::read(path).map_err(io)
}

fn too_many_positions(file: &str, max: usize) -> IngestError {
    whole(
        file,
        format!(
            "more than {} positions (vertices), the limit for one boundary file; simplify the boundaries (e.g. `mapshaper -simplify 10%`) or split the file",
            thousands(max as u64)
        ),
    )
}

fn whole(file: &str, message: impl Into<String>) -> IngestError {
    IngestError::format(file, 0, message)
}

fn at(file: &str, feature: usize, field: &str, message: impl Into<String>) -> IngestError {
    IngestError::Feature { file: file.to_owned(), feature, field: field.to_owned(), message: crate::tame(&message.into()).into_owned() }
}

// ---------------------------------------------------------------------------------------------
// GeoJSON

/// Parses a GeoJSON FeatureCollection of Polygon/MultiPolygon features.
pub fn parse_geojson(file: &str, bytes: &[u8]) -> Result<BoundaryFile, IngestError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(hint) = sniff::check(bytes, "", Import::Boundaries) {
        return Err(whole(file, hint));
    }
    geojson_from(file, serde_json::Deserializer::from_slice(bytes), MAX_BOUNDARY_POSITIONS)
}

/// The GeoJSON a deserializer reads, at most `max_positions` positions.
fn geojson_from<'de, R: serde_json::de::Read<'de>>(
    file: &str,
    mut de: serde_json::Deserializer<R>,
    max_positions: usize,
) -> Result<BoundaryFile, IngestError> {
    let budget = geojson::Budget::new(max_positions);
    let parsed = geojson::DocSeed(&budget).deserialize(&mut de).and_then(|doc| de.end().map(|()| doc));
    let doc = match parsed {
        Ok(doc) => doc,
        Err(_) if budget.exceeded() => return Err(too_many_positions(file, max_positions)),
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            return Err(whole(file, format!("not a GeoJSON FeatureCollection (line {}, column {}): {e}", e.line(), e.column())));
        }
        Err(e) => return Err(whole(file, format!("not JSON (line {}, column {}): {e}", e.line(), e.column()))),
    };
    if doc.kind.as_deref() != Some("FeatureCollection") {
        return Err(whole(file, "not a GeoJSON FeatureCollection (no \"type\": \"FeatureCollection\")"));
    }
    let crs = match doc.crs_name.as_deref() {
        None => None,
        Some(name) => Some(crs_from_name(name).ok_or_else(|| {
            whole(file, format!("wrong projection: the crs member names `{name}`; expected WGS84 (EPSG:4326, CRS84) or EPSG:2180 (PUWG 1992)"))
        })?),
    };
    let features = doc.features.ok_or_else(|| whole(file, "the FeatureCollection has no \"features\" array"))?;
    let mut raw = Vec::with_capacity(features.len());
    for (i, f) in features.into_iter().enumerate() {
        let n = i + 1;
        let polygons = f.geometry.map_err(|m| at(file, n, "geometry", m))?;
        raw.push(RawFeature { number: n, attrs: f.attrs, polygons });
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
    let shapes = read_shapes(file, parts, MAX_BOUNDARY_POSITIONS)?;
    let encoding = dbf_encoding(parts.cpg.as_deref(), dbf);
    let records = read_records(stem, dbf, encoding)?;
    if records.len() != shapes.len() {
        return Err(whole(
            file,
            format!("the .shp has {} shapes but {stem}.dbf has {} records: one of them is truncated", shapes.len(), records.len()),
        ));
    }
    let mut raw = Vec::with_capacity(shapes.len());
    for (i, (polygons, attrs)) in shapes.into_iter().zip(records).enumerate() {
        let n = i + 1;
        let polygons = polygons.map_err(|m| at(file, n, "geometry", m))?;
        raw.push(RawFeature { number: n, attrs, polygons });
    }
    finish(file, crs, raw)
}

/// The shapes of a .shp, each converted to polygons (or why not) as it is read, so only one
/// shape of the crate's own form is held at a time; at most `max_positions` positions.
fn read_shapes(file: &str, parts: &ShapefileParts, max_positions: usize) -> Result<Vec<Result<Vec<RawPolygon>, String>>, IngestError> {
    // The crate reads sizes from the file; a damaged one must not bring the process down.
    let result = std::panic::catch_unwind(|| -> Result<Vec<Result<Vec<RawPolygon>, String>>, Option<String>> {
        let reader = match &parts.shx {
            Some(shx) => shapefile::ShapeReader::with_shx(Cursor::new(&parts.shp), Cursor::new(shx)),
            None => shapefile::ShapeReader::new(Cursor::new(&parts.shp)),
        };
        let mut reader = reader.map_err(|e| Some(format!("cannot read the .shp: {e}")))?;
        let mut out = Vec::new();
        let mut positions = 0usize;
        for (i, s) in reader.iter_shapes().enumerate() {
            let shape = s.map_err(|e| Some(format!("feature {}: the .shp (or .shx) is truncated or damaged: {e}", i + 1)))?;
            let polygons = shape_polygons(shape);
            if let Ok(ps) = &polygons {
                positions += ps.iter().flat_map(|(e, h)| std::iter::once(e).chain(h)).map(Vec::len).sum::<usize>();
                if positions > max_positions {
                    return Err(None);
                }
            }
            out.push(polygons);
        }
        Ok(out)
    });
    match result {
        Ok(Ok(shapes)) => Ok(shapes),
        Ok(Err(Some(m))) => Err(whole(file, m)),
        Ok(Err(None)) => Err(too_many_positions(file, max_positions)),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(code: &str, coordinates: &str) -> String {
        format!(
            r#"{{"type":"Feature","properties":{{"terc":"{code}","pop":1234,"area":1.5,"flag":true}},"geometry":{{"type":"MultiPolygon","coordinates":{coordinates}}}}}"#
        )
    }

    const SQUARE: &str = "[[19,50],[19.1,50],[19.1,50.1],[19,50.1],[19,50]]";
    const HOLE: &str = "[[19.02,50.02],[19.02,50.05],[19.05,50.05],[19.02,50.02]]";

    const OTHER: &str = "[[19.1,50],[19.2,50],[19.2,50.1],[19.1,50.1],[19.1,50]]";

    /// Two features, 14 positions, the collection's members in an unusual order.
    fn two_features() -> String {
        let a = feature("1261011", &format!("[[{SQUARE},{HOLE}]]"));
        let b = feature("1206011", &format!("[[{OTHER}]]"));
        format!(r#"{{"features":[{a},{b}],"meta":{{"big":[1,2,[3,{{"x":null}}]]}},"type":"FeatureCollection"}}"#)
    }

    fn parse(text: &str, max: usize) -> Result<BoundaryFile, IngestError> {
        geojson_from("g.json", serde_json::Deserializer::from_slice(text.as_bytes()), max)
    }

    #[test]
    fn the_streamed_geojson_keeps_members_in_any_order_holes_and_numeric_properties() {
        let f = parse(&two_features(), MAX_BOUNDARY_POSITIONS).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.features.len(), 2);
        assert_eq!(f.features[0].geometry.0[0].interiors().len(), 1, "the hole is kept");
        assert_eq!(f.code_field, "terc");
    }

    #[test]
    fn a_geojson_past_the_position_limit_stops_at_the_first_position_past_it() {
        let text = two_features(); // 5 + 4 + 5 positions
        assert!(parse(&text, 14).is_ok());
        let e = parse(&text, 13).expect_err("refused").to_string();
        assert!(e.contains("more than 13 positions") && e.contains("simplify"), "{e}");
    }

    #[test]
    fn geometry_errors_read_as_they_always_did() {
        let case = |coords: &str, kind: &str| {
            let text = format!(
                r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"terc":"1261011"}},"geometry":{{"type":"{kind}","coordinates":{coords}}}}}]}}"#
            );
            parse(&text, 100).err().map(|e| e.to_string()).unwrap_or_default()
        };
        assert!(case(r#"[[[19,"a"],[1,2]]]"#, "Polygon").contains("a position is not two numbers"));
        assert!(case("[[[19],[1,2]]]", "Polygon").contains("a position is not an array of two numbers"));
        assert!(case("[[[[19,50]]]]", "Polygon").contains("a ring is not an array of positions"));
        assert!(case("[[19,50]]", "Polygon").contains("polygon coordinates are not an array of rings"));
        assert!(case("[19,50]", "Polygon").contains("polygon coordinates are not an array of rings"));
        assert!(case("5", "MultiPolygon").contains("MultiPolygon coordinates are not an array"));
        assert!(case("[]", "Polygon").contains("a polygon without rings"));
        assert!(case("[[]]", "Polygon").contains("has 0 positions"));
        assert!(case("[[[19,50]]]", "Point").contains("geometry type `Point`"));
        let e = parse(r#"[1,2]"#, 10).expect_err("refused").to_string();
        assert!(e.contains("not a GeoJSON FeatureCollection"), "{e}");
        let e = parse(r#"{"type":"FeatureCollection","features":5}"#, 10).expect_err("refused").to_string();
        assert!(e.contains("no \"features\" array"), "{e}");
        let e = parse(r#"{"type":"FeatureCollection","features":[]} x"#, 10).expect_err("refused").to_string();
        assert!(e.contains("not JSON"), "{e}");
    }

    #[test]
    fn a_shapefile_past_the_position_limit_is_refused() {
        use shapefile::dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("s.shp");
        let table = TableWriterBuilder::new().add_character_field(FieldName::try_from("JPT_KOD_JE").expect("field"), 20);
        let mut w = shapefile::Writer::from_path(&path, table).expect("writer");
        let pts = [(500_000.0, 250_000.0), (501_000.0, 250_000.0), (501_000.0, 251_000.0), (500_000.0, 251_000.0), (500_000.0, 250_000.0)];
        let ring = shapefile::PolygonRing::Outer(pts.iter().map(|&(x, y)| shapefile::Point::new(x, y)).collect());
        let mut r = Record::default();
        r.insert("JPT_KOD_JE".into(), FieldValue::Character(Some("1261011".into())));
        w.write_shape_and_record(&shapefile::Polygon::with_rings(vec![ring]), &r).expect("write");
        drop(w);
        let read = |e: &str| std::fs::read(path.with_extension(e)).ok();
        let parts = ShapefileParts { shp: read("shp").expect("shp"), shx: read("shx"), dbf: read("dbf"), prj: None, cpg: None };
        assert_eq!(read_shapes("s.shp", &parts, 5).expect("5 positions").len(), 1);
        let e = read_shapes("s.shp", &parts, 4).expect_err("refused").to_string();
        assert!(e.contains("more than 4 positions"), "{e}");
    }
}
