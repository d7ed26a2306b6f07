//! Boundary import end to end on the real files in ../shared/data: TERC states, then the
//! 2019 gminy, powiaty and województwa; the neighbours of Kraków and Warszawa as the map data
//! has them; a PRG-like shapefile made here from the GeoJSON gives the same result; broken
//! inputs are refused and leave the database as it was.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use app::{BoundaryImportOptions, Store, import_boundaries, import_units, neighbours};

fn data(sub: &str) -> PathBuf {
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    while !dir.join("shared/data").is_dir() {
        assert!(dir.pop(), "no shared/data above {}", env!("CARGO_MANIFEST_DIR"));
    }
    dir.join("shared/data").join(sub)
}

async fn store_with_units(dir: &Path) -> Store {
    let store = Store::open(&format!("sqlite:{}", dir.join("t.db").display())).await.expect("open");
    for s in ["teryt/TERC_Urzedowy_2018-10-02.csv", "teryt/TERC_Urzedowy_2020-01-01_state.csv"] {
        import_units(&store, &data(s)).await.expect("TERC");
    }
    store
}

fn opts() -> BoundaryImportOptions {
    BoundaryImportOptions { date: model::parse_date("2019-12-31"), ..Default::default() }
}

/// Names of a unit's neighbours, from the store.
async fn neighbour_names(store: &Store, code: &str) -> BTreeSet<String> {
    neighbours(store, Some(code), None).await.expect("neighbours").into_iter().map(|p| p.neighbour_name).collect()
}

/// What a failed import must leave untouched.
async fn state(store: &Store) -> (Vec<store::StoredBoundary>, Vec<(i64, i64)>, usize) {
    (store.boundaries().await.expect("b"), store.adjacency().await.expect("a"), store.imports(1000).await.expect("i").len())
}

#[tokio::test]
async fn the_real_gminy_powiaty_and_wojewodztwa_import_with_their_neighbours() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store_with_units(dir.path()).await;
    let r = import_boundaries(&store, &data("boundaries/kreperu_gminy.geojson"), &opts()).await.expect("gminy");
    assert_eq!((r.features, r.matched, r.unmatched.len(), r.level), (2477, 2477, 0, "gmina"));
    // The four gminy that became urban-rural on 2020-01-01 are matched through their history.
    let changed: BTreeSet<(String, String)> = r.changed_codes.iter().map(|c| (c.code.clone(), c.current_code.clone().expect("now"))).collect();
    let want: BTreeSet<(String, String)> = [("1004062", "1004063"), ("1018042", "1018043"), ("1420042", "1420043"), ("2609032", "2609033")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(changed, want);
    assert!(r.without_boundary.is_empty(), "{:?}", r.without_boundary);
    assert!(r.vertices_stored <= r.vertices_read);

    // Kraków and Warszawa: the neighbours geography knows are all there (checked against the
    // file with a 1 m tolerance too: the file's shared borders share vertices).
    let krakow = neighbour_names(&store, "1261011").await;
    for n in [
        "Zabierzów",
        "Zielonki",
        "Michałowice",
        "Kocmyrzów-Luborzyca",
        "Niepołomice",
        "Wieliczka",
        "Świątniki Górne",
        "Mogilany",
        "Skawina",
        "Liszki",
        "Wielka Wieś",
        "Igołomia-Wawrzeńczyce",
    ] {
        assert!(krakow.contains(n), "Kraków–{n}: {krakow:?}");
    }
    assert!(!krakow.contains("Krzeszowice") && !krakow.contains("Myślenice"), "{krakow:?}");
    let warszawa = neighbour_names(&store, "1465011").await;
    for n in [
        "Łomianki",
        "Jabłonna",
        "Marki",
        "Ząbki",
        "Zielonka",
        "Sulejówek",
        "Wiązowna",
        "Józefów",
        "Konstancin-Jeziorna",
        "Piaseczno",
        "Lesznowola",
        "Raszyn",
        "Michałowice",
        "Ożarów Mazowiecki",
        "Stare Babice",
        "Izabelin",
    ] {
        assert!(warszawa.contains(n), "Warszawa–{n}: {warszawa:?}");
    }
    assert!(!warszawa.contains("Pruszków") && !warszawa.contains("Legionowo"), "{warszawa:?}");

    // Symmetric, and every gmina has a neighbour.
    let adj: BTreeSet<(i64, i64)> = store.adjacency().await.expect("adjacency").into_iter().collect();
    assert!(adj.iter().all(|&(a, b)| adj.contains(&(b, a))));
    let with: BTreeSet<i64> = adj.iter().map(|p| p.0).collect();
    let boundaries = store.boundaries().await.expect("boundaries");
    assert!(boundaries.iter().all(|b| with.contains(&b.unit_id)), "a gmina without neighbours");

    // The stored (simplified) outlines still touch: neighbours computed on them are the same.
    let shapes: Vec<_> = boundaries.iter().map(|b| parse_geometry(&b.geometry)).collect();
    let again: BTreeSet<(i64, i64)> =
        app::geometry::adjacency(&shapes, 20.0, 100.0).into_iter().map(|(a, b, _)| (boundaries[a].unit_id, boundaries[b].unit_id)).collect();
    let once: BTreeSet<(i64, i64)> = adj.iter().copied().filter(|(a, b)| a < b).collect();
    let lost: Vec<_> = once.difference(&again).collect();
    assert!(lost.len() <= once.len() / 200, "simplification lost {} of {} borders: {lost:?}", lost.len(), once.len());

    // Powiaty and województwa: their own levels, not mixed with gminy.
    let p = import_boundaries(&store, &data("boundaries/kreperu_powiaty.geojson"), &opts()).await.expect("powiaty");
    assert_eq!((p.matched, p.level), (380, "powiat"));
    let w = import_boundaries(&store, &data("boundaries/kreperu_voivodeships.geojson"), &opts()).await.expect("woj");
    assert_eq!((w.matched, w.neighbour_pairs), (16, 34), "Poland's 16 województwa share 34 borders");
    // Kraków's neighbouring powiaty are those of its neighbouring gminy (two files, one map).
    let krakow_powiat = neighbour_names(&store, "1261").await;
    assert!(krakow_powiat.contains("krakowski") && krakow_powiat.contains("wielicki"), "{krakow_powiat:?}");
    let of_gminy: BTreeSet<String> =
        neighbours(&store, Some("1261011"), None).await.expect("n").into_iter().map(|p| p.neighbour_code[..4].to_owned()).collect();
    let of_powiat: BTreeSet<String> = neighbours(&store, Some("1261"), None).await.expect("n").into_iter().map(|p| p.neighbour_code).collect();
    assert_eq!(of_gminy, of_powiat);
    let mazowieckie = neighbours(&store, Some("14"), Some("wojewodztwo")).await.expect("14");
    assert_eq!(mazowieckie.len(), 6, "{mazowieckie:?}");
    assert_eq!(store.boundaries().await.expect("all").len(), 2477 + 380 + 16);
    let all_gminy = neighbours(&store, None, Some("gmina")).await.expect("pairs");
    assert_eq!(all_gminy.len(), r.neighbour_pairs);
}

fn parse_geometry(text: &str) -> geo::MultiPolygon<f64> {
    let fc = format!(r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"terc":"02"}},"geometry":{text}}}]}}"#);
    ingest::parse_geojson("stored", fc.as_bytes()).expect("stored geometry parses").features.remove(0).geometry
}

/// The GeoJSON gminy written as a PRG shapefile (EPSG:2180, JPT_KOD_JE, UTF-8 with a .cpg).
fn write_prg(path: &Path, features: &[ingest::BoundaryFeature]) {
    use shapefile::dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
    let table = TableWriterBuilder::new()
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
                        let (x, y) = ingest::projection::to_puwg1992(c.x, c.y);
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
    std::fs::write(path.with_extension("cpg"), "UTF-8").expect("cpg");
}

const PRJ_2180: &str = r#"PROJCS["ETRS89_Poland_CS92",GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",-5300000.0],PARAMETER["Central_Meridian",19.0],PARAMETER["Scale_Factor",0.9993],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;

#[tokio::test]
async fn a_prg_shapefile_imports_like_the_geojson_and_broken_inputs_change_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let json = tempfile::tempdir().expect("dir");
    let a = store_with_units(dir.path()).await;
    let b = store_with_units(json.path()).await;
    let geojson = data("boundaries/kreperu_gminy.geojson");
    let src = ingest::read_boundaries(&geojson).expect("geojson");
    let shp = dir.path().join("gminy.shp");
    write_prg(&shp, &src.features);

    let rs = import_boundaries(&a, &shp, &opts()).await.expect("shapefile");
    let rj = import_boundaries(&b, &geojson, &opts()).await.expect("geojson");
    assert_eq!((rs.crs, rs.matched, rs.neighbour_pairs, rs.changed_codes.len()), ("EPSG:2180 (PUWG 1992)", 2477, rj.neighbour_pairs, 4));
    let pairs = |s: &Store| {
        let s = s.clone();
        async move { neighbours(&s, None, None).await.expect("pairs").into_iter().map(|p| (p.code, p.neighbour_code)).collect::<BTreeSet<_>>() }
    };
    assert_eq!(pairs(&a).await, pairs(&b).await, "the same neighbours");
    let codes = |s: &Store| {
        let s = s.clone();
        async move {
            let units: HashMap<i64, String> = s.units().await.expect("u").into_iter().map(|u| (u.id, u.code.as_str().to_owned())).collect();
            s.boundaries().await.expect("b").into_iter().map(|b| (units[&b.unit_id].clone(), b)).collect::<HashMap<_, _>>()
        }
    };
    let (ba, bb) = (codes(&a).await, codes(&b).await);
    assert_eq!(ba.keys().collect::<BTreeSet<_>>(), bb.keys().collect::<BTreeSet<_>>(), "the same units");
    for (code, x) in &ba {
        let y = &bb[code];
        for k in 0..4 {
            let m = (x.bbox[k] - y.bbox[k]).abs() * if k % 2 == 0 { 72_000.0 } else { 111_000.0 };
            assert!(m < 1.0, "{code}: bounding box differs by {m} m");
        }
    }

    // Broken inputs: each refused with a clear error, the database as it was.
    let before = state(&a).await;
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).expect("dir");
    let text = std::fs::read_to_string(&geojson).expect("read");
    let cases: Vec<(PathBuf, &str)> = vec![
        (write(&bad, "unknown.geojson", &text.replacen("\"terc\":\"2602042\"", "\"terc\":\"2699042\"", 1)), "1 of 2477 features match no unit"),
        (
            write(
                &bad,
                "broken.geojson",
                &text.replacen("[[[20.078813208000042,50.612257466000074],", "[[[20.078813208000042,50.612257466000074],[\"x\",1],", 1),
            ),
            "feature 1, field geometry",
        ),
        (
            write(
                &bad,
                "projected.geojson",
                r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"terc":"1261011"},"geometry":{"type":"Polygon","coordinates":[[[567613,244587],[568613,244587],[568613,245587],[567613,244587]]]}}]}"#,
            ),
            "wrong projection",
        ),
        (truncated_copy(&shp, &bad), "truncated"),
    ];
    for (path, want) in cases {
        let e = import_boundaries(&a, &path, &opts()).await.expect_err(want).to_string();
        assert!(e.contains(want) && e.contains(path.file_name().and_then(|f| f.to_str()).expect("name")), "{e}\n  wanted: {want}");
        assert!(state(&a).await == before, "{want}: the database changed");
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

fn truncated_copy(shp: &Path, dir: &Path) -> PathBuf {
    let to = dir.join("cut.shp");
    for ext in ["shx", "dbf", "prj", "cpg"] {
        std::fs::copy(shp.with_extension(ext), to.with_extension(ext)).expect("copy");
    }
    let bytes = std::fs::read(shp).expect("shp");
    std::fs::write(&to, &bytes[..bytes.len() / 2]).expect("cut");
    to
}
