//! The boundary readers on the real files in ../shared/data/boundaries, on a shapefile written
//! here in EPSG:2180, on broken inputs (each refused with file, feature and field), and on noise.

use std::path::{Path, PathBuf};

use geo::{Area, Centroid};
use ingest::projection::to_puwg1992;
use ingest::{Crs, IngestError, ShapefileParts, parse_geojson, parse_shapefile, read_boundaries};
use model::Level;

fn data(name: &str) -> PathBuf {
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    while !dir.join("shared/data").is_dir() {
        assert!(dir.pop(), "no shared/data above {}", env!("CARGO_MANIFEST_DIR"));
    }
    dir.join("shared/data/boundaries").join(name)
}

#[test]
fn real_files_read_with_their_codes_and_levels() {
    for (name, n, level, field) in [
        ("kreperu_gminy.geojson", 2477, Level::Gmina, "terc"),
        ("kreperu_powiaty.geojson", 380, Level::Powiat, "terc"),
        ("kreperu_voivodeships.geojson", 16, Level::Wojewodztwo, "terc"),
        ("waszkiewiczja_wojewodztwa.json", 16, Level::Wojewodztwo, "JPT_KOD_JE"),
    ] {
        let f = read_boundaries(&data(name)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((f.features.len(), f.level, f.code_field.as_str(), f.crs), (n, level, field, Crs::Wgs84), "{name}");
    }
    let g = read_boundaries(&data("kreperu_gminy.geojson")).expect("gminy");
    let krakow = g.features.iter().find(|f| f.code.as_str() == "1261011").expect("Kraków");
    assert_eq!(krakow.name.as_deref(), Some("Kraków"));
    let c = krakow.geometry.centroid().expect("centroid");
    assert!((c.x() - 19.94).abs() < 0.1 && (c.y() - 50.06).abs() < 0.05, "{c:?}");
    // Kraków is 327 km²: the area in degrees² scaled to km² at its latitude.
    let km2 = krakow.geometry.unsigned_area() * 111.32 * 111.32 * 50.06f64.to_radians().cos();
    assert!((300.0..350.0).contains(&km2), "{km2}");
}

/// A shapefile of the województwa, projected here to EPSG:2180 and written by the shapefile
/// crate's writer, reads back to the GeoJSON's coordinates within a centimetre.
#[test]
fn a_prg_shapefile_in_puwg1992_reads_back_to_wgs84() {
    let src = read_boundaries(&data("waszkiewiczja_wojewodztwa.json")).expect("geojson");
    let dir = tempfile::tempdir().expect("dir");
    let shp = dir.path().join("wojewodztwa.shp");
    write_shapefile(&shp, &src.features);
    let f = read_boundaries(&shp).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((f.crs, f.level, f.code_field.as_str(), f.features.len()), (Crs::Puwg1992, Level::Wojewodztwo, "JPT_KOD_JE", 16));
    for (a, b) in src.features.iter().zip(&f.features) {
        assert_eq!(a.code, b.code);
        assert_eq!(b.name.as_deref(), a.name.as_deref(), "names survive cp1250");
        let pa: Vec<_> = a.geometry.0.iter().flat_map(|p| p.exterior().coords().copied()).collect();
        // The writer turns outer rings clockwise, as the format wants: compare in one order.
        let pb: Vec<_> = b
            .geometry
            .0
            .iter()
            .flat_map(|p| {
                let mut c: Vec<_> = p.exterior().coords().copied().collect();
                c.reverse();
                c
            })
            .collect();
        assert_eq!(pa.len(), pb.len());
        for (x, y) in pa.iter().zip(&pb) {
            let m = ((x.x - y.x) * 71_000.0).hypot((x.y - y.y) * 111_000.0);
            assert!(m < 0.01, "{} moved {m} m", a.code);
        }
    }
}

/// Writes features as a PRG-like shapefile: EPSG:2180 coordinates, JPT_KOD_JE and JPT_NAZWA_
/// in cp1250, a .prj as GUGiK ships it.
fn write_shapefile(path: &Path, features: &[ingest::BoundaryFeature]) {
    use shapefile::dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
    let table = TableWriterBuilder::new()
        .set_encoding(shapefile::dbase::encoding::EncodingRs::from(encoding_rs::WINDOWS_1250))
        .add_character_field(FieldName::try_from("JPT_KOD_JE").expect("field"), 20)
        .add_character_field(FieldName::try_from("JPT_NAZWA_").expect("field"), 100);
    let mut w = shapefile::Writer::from_path(path, table).expect("writer");
    for f in features {
        let mut rings = Vec::new();
        for p in &f.geometry.0 {
            let ring = |ls: &geo::LineString<f64>, outer: bool| {
                let pts: Vec<shapefile::Point> = ls
                    .coords()
                    .map(|c| {
                        let (x, y) = to_puwg1992(c.x, c.y);
                        shapefile::Point::new(x, y)
                    })
                    .collect();
                if outer { shapefile::PolygonRing::Outer(pts) } else { shapefile::PolygonRing::Inner(pts) }
            };
            rings.push(ring(p.exterior(), true));
            rings.extend(p.interiors().iter().map(|h| ring(h, false)));
        }
        let mut r = Record::default();
        r.insert("JPT_KOD_JE".into(), FieldValue::Character(Some(f.code.as_str().into())));
        r.insert("JPT_NAZWA_".into(), FieldValue::Character(f.name.clone()));
        w.write_shape_and_record(&shapefile::Polygon::with_rings(rings), &r).expect("write");
    }
    std::fs::write(path.with_extension("prj"), PRJ_2180).expect("prj");
    std::fs::write(path.with_extension("cpg"), "1250").expect("cpg");
}

/// The .prj of a PRG download (ESRI WKT of EPSG:2180).
const PRJ_2180: &str = r#"PROJCS["ETRS89_Poland_CS92",GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",-5300000.0],PARAMETER["Central_Meridian",19.0],PARAMETER["Scale_Factor",0.9993],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;

fn parts(dir: &Path) -> ShapefileParts {
    let src = read_boundaries(&data("waszkiewiczja_wojewodztwa.json")).expect("geojson");
    let shp = dir.join("w.shp");
    write_shapefile(&shp, &src.features[..3]);
    let read = |e: &str| std::fs::read(shp.with_extension(e)).ok();
    ShapefileParts { shp: read("shp").expect("shp"), shx: read("shx"), dbf: read("dbf"), prj: read("prj"), cpg: read("cpg") }
}

fn message(e: IngestError) -> String {
    e.to_string()
}

#[test]
fn broken_shapefiles_are_refused_saying_why() {
    let dir = tempfile::tempdir().expect("dir");
    let good = parts(dir.path());
    assert_eq!(parse_shapefile("w.shp", &good).expect("good").features.len(), 3);

    let mut cut = good.clone();
    cut.shp.truncate(cut.shp.len() - 100);
    let e = message(parse_shapefile("w.shp", &cut).expect_err("truncated"));
    assert!(e.starts_with("w.shp: ") && e.contains("truncated"), "{e}");

    let e = message(parse_shapefile("w.shp", &ShapefileParts { dbf: None, ..good.clone() }).expect_err("no dbf"));
    assert!(e.contains("w.dbf") && e.contains("missing"), "{e}");

    let e = message(parse_shapefile("w.shp", &ShapefileParts { prj: None, ..good.clone() }).expect_err("no prj"));
    assert!(e.contains("w.prj is missing"), "{e}");

    // PUWG 2000 zone 7 (EPSG:2178): another transverse Mercator, refused by its parameters.
    let prj_2000 = PRJ_2180
        .replace("Poland_CS92", "Poland_CS2000_Zone_7")
        .replace("-5300000.0", "0.0")
        .replace("500000.0", "7500000.0")
        .replace("0.9993", "0.999923")
        .replace("\"Central_Meridian\",19.0", "\"Central_Meridian\",21.0");
    let e = message(parse_shapefile("w.shp", &ShapefileParts { prj: Some(prj_2000.into_bytes()), ..good.clone() }).expect_err("2000"));
    assert!(e.contains("wrong projection") && e.contains("ETRS89_POLAND_CS2000_ZONE_7"), "{e}");

    // The shapes say WGS84 in the .prj but are in metres: outside Poland.
    let wgs = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
    let e = message(parse_shapefile("w.shp", &ShapefileParts { prj: Some(wgs.into()), ..good.clone() }).expect_err("metres as degrees"));
    assert!(e.contains("feature 1, field geometry") && e.contains("outside Poland"), "{e}");

    // A .dbf with fewer records than shapes.
    let mut dbf = good.dbf.clone().expect("dbf");
    dbf.truncate(dbf.len() - 130);
    let e = message(parse_shapefile("w.shp", &ShapefileParts { dbf: Some(dbf), ..good.clone() }).expect_err("short dbf"));
    assert!(e.contains("w.dbf") || e.contains("records"), "{e}");
}

fn collection(features: &str) -> String {
    format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#)
}

fn feature(code: &str, ring: &str) -> String {
    format!(r#"{{"type":"Feature","properties":{{"terc":"{code}","name":"x"}},"geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}"#)
}

const SQUARE: &str = "[[19,50],[19.1,50],[19.1,50.1],[19,50.1],[19,50]]";

#[test]
fn broken_geojson_is_refused_with_feature_and_field() {
    let ok = collection(&[feature("1261011", SQUARE), feature("1206011", "[[19.1,50],[19.2,50],[19.2,50.1],[19.1,50.1],[19.1,50]]")].join(","));
    assert_eq!(parse_geojson("g.json", ok.as_bytes()).expect("ok").features.len(), 2);
    let cases: Vec<(String, &str)> = vec![
        (
            collection(&feature("1261011", "[[19,50],[19.1,50],[19.1,50.1],[19,50.1]]")),
            "feature 1, field geometry: polygon 1, outer ring is not closed",
        ),
        (collection(&feature("1261011", "[[19,50],[19.1,50.1],[19.1,50],[19,50.1],[19,50]]")), "feature 1, field geometry: polygon 1 is broken"),
        (collection(&feature("1261011", "[[19,50],[19.1,50],[19,50]]")), "at least 4"),
        (collection(&feature("1261011", "[[567613,244587],[567713,244587],[567713,244687],[567613,244687],[567613,244587]]")), "wrong projection"),
        (collection(&feature("1261011", "[[50,19],[50.1,19],[50.1,19.1],[50,19.1],[50,19]]")), "outside Poland"),
        (collection(&feature("1261016", SQUARE)), "feature 1, field terc: `1261016` is not a TERYT code"),
        (
            collection(&[feature("1261011", SQUARE), feature("1261", SQUARE)].join(",")),
            "feature 2, field terc: `1261` is a powiat but feature 1 is a gmina",
        ),
        (collection(&[feature("1261011", SQUARE), feature("1261011", SQUARE)].join(",")), "feature 2, field terc: code 1261011 is also feature 1's"),
        (
            r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::2176"}},"features":[]}"#.into(),
            "wrong projection: the crs member names",
        ),
        (collection(r#"{"type":"Feature","properties":{"name":"x"},"geometry":null}"#), "feature 1, field geometry"),
        ("{\"type\":\"FeatureCollection\",\"features\":[".into(), "not JSON"),
    ];
    for (text, want) in cases {
        let e = message(parse_geojson("g.json", text.as_bytes()).expect_err(want));
        assert!(e.starts_with("g.json: ") && e.contains(want), "{e}\n  wanted: {want}");
    }
    // EPSG:2180 named in the crs member is converted.
    let (x0, y0) = to_puwg1992(19.9, 50.0);
    let ring = format!("[[{x0},{y0}],[{},{y0}],[{},{}],[{x0},{}],[{x0},{y0}]]", x0 + 1000.0, x0 + 1000.0, y0 + 1000.0, y0 + 1000.0);
    let text = format!(
        r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::2180"}}}},"features":[{}]}}"#,
        feature("1261011", &ring)
    );
    let f = parse_geojson("g.json", text.as_bytes()).expect("2180");
    assert_eq!(f.crs, Crs::Puwg1992);
    let c = f.features[0].geometry.0[0].exterior().0[0];
    assert!((c.x - 19.9).abs() < 1e-8 && (c.y - 50.0).abs() < 1e-8, "{c:?}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
    #[test]
    fn no_bytes_make_the_geojson_reader_panic(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400), head in 0usize..3) {
        let heads = ["", r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"terc":"#, r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"terc":"1261011"},"geometry":{"type":"Polygon","coordinates":[[["#];
        let mut bytes = heads[head].as_bytes().to_vec();
        bytes.extend(body);
        let _ = parse_geojson("noise.json", &bytes);
    }

    #[test]
    fn no_damage_to_a_shapefile_makes_its_reader_panic(
        which in 0usize..3,
        edits in proptest::collection::vec((0usize..3000, proptest::prelude::any::<u8>()), 0..8),
        cut in 0usize..4000,
    ) {
        let dir = tempfile::tempdir().expect("dir");
        let mut p = parts(dir.path());
        let target = match which { 0 => &mut p.shp, 1 => p.shx.as_mut().expect("shx"), _ => p.dbf.as_mut().expect("dbf") };
        for (i, b) in edits {
            if !target.is_empty() {
                let n = target.len();
                target[i % n] = b;
            }
        }
        if cut < target.len() {
            target.truncate(cut);
        }
        let _ = parse_shapefile("noise.shp", &p);
    }
}
