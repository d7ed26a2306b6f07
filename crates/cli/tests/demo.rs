//! The demo's synthetic country: every unit has a hexagon boundary, neighbours are units of
//! one level that share an edge, and `miernik compare --group neighbours` works on it.
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

mod common;

use std::collections::{HashMap, HashSet};

use common::Db;
use model::{Level, UnitKind};

#[tokio::test]
async fn the_demo_country_has_boundaries_and_neighbours_to_compare_with() {
    let db = Db::new();
    let store = db.store().await;
    assert!(app::load_demo(&store).await.expect("the demo loads"));
    let units = store.units().await.expect("units");
    let boundaries = store.boundaries().await.expect("boundaries");
    let adjacency = store.adjacency().await.expect("adjacency");
    let indicators = store.indicators().await.expect("indicators");
    store.close().await;

    // Every current gmina, powiat (cities with powiat rights too), województwo and the
    // country has a GeoJSON boundary from the demo, inside Poland's box.
    let level: HashMap<i64, Level> = units.iter().map(|u| (u.id, u.kind.level())).collect();
    let with_boundary: HashMap<i64, _> = boundaries.iter().map(|b| (b.unit_id, b)).collect();
    let mapped: Vec<_> = units.iter().filter(|u| u.valid_to.is_none() && (u.kind.is_gmina() || !matches!(u.kind.level(), Level::Gmina))).collect();
    let gminy = mapped.iter().filter(|u| u.kind.is_gmina()).count();
    assert!(gminy > 300, "a country of gminy: {gminy}");
    for u in &mapped {
        let b = with_boundary.get(&u.id).unwrap_or_else(|| panic!("{} {} has no boundary", u.code, u.name));
        assert_eq!(b.source, "demo");
        let g: serde_json::Value = serde_json::from_str(&b.geometry).expect("GeoJSON");
        assert!(matches!(g["type"].as_str(), Some("Polygon" | "MultiPolygon")), "{}: {}", u.code, g["type"]);
        let [w, s, e, n] = b.bbox;
        assert!(14.0 < w && w < e && e < 24.3 && 48.9 < s && s < n && n < 55.0, "{}: {:?}", u.code, b.bbox);
    }
    // Adjacency: symmetric, only within a level, and every gmina has a neighbour.
    let pairs: HashSet<(i64, i64)> = adjacency.iter().copied().collect();
    for &(a, b) in &adjacency {
        assert_ne!(a, b);
        assert!(pairs.contains(&(b, a)), "{a}–{b} is listed both ways");
        assert_eq!(level.get(&a), level.get(&b), "{a}–{b} are of one level");
    }
    for u in mapped.iter().filter(|u| u.kind.is_gmina()) {
        assert!(pairs.iter().any(|p| p.0 == u.id), "{} {} has a neighbour", u.code, u.name);
    }
    for u in mapped.iter().filter(|u| matches!(u.kind, UnitKind::Powiat | UnitKind::Wojewodztwo)) {
        assert!(pairs.iter().any(|p| p.0 == u.id), "{} {} has a neighbour", u.code, u.name);
    }

    // Compare a gmina wiejska with its neighbours: the group is it and every gmina around it.
    let gmina = mapped.iter().find(|u| u.kind == UnitKind::GminaWiejska).expect("a gmina wiejska");
    let around = pairs.iter().filter(|p| p.0 == gmina.id).count();
    let indicator = indicators
        .iter()
        .find(|i| {
            let d: serde_json::Value = serde_json::from_str(&i.definition).expect("definition");
            let kinds: Vec<&str> = d["applies_to"].as_array().into_iter().flatten().filter_map(|k| k.as_str()).collect();
            ["gmina_miejska", "gmina_wiejska", "gmina_miejsko_wiejska"].iter().all(|k| kinds.contains(k))
        })
        .expect("an indicator of every gmina");
    let c = db.json(&[
        "compare",
        "--unit",
        gmina.code.as_str(),
        "--indicator",
        &indicator.code,
        "--year",
        "2024",
        "--group",
        "neighbours",
        "--format",
        "json",
    ]);
    assert_eq!(c["unit"], gmina.code.as_str());
    let n = c["group_stats"]["n"].as_u64().expect("n") + c["group_stats"]["missing"].as_u64().expect("missing");
    assert_eq!(n as usize, around + 1, "the gmina and its {around} neighbours: {c}");
    assert!(c["position"]["rank"].as_u64().is_some_and(|r| (1..=n).contains(&r)), "{c}");
}

#[tokio::test]
async fn numbers_from_the_demo_say_they_are_synthetic() {
    let real = Db::new();
    let empty = real.run(&["compute"]);
    assert!(!String::from_utf8_lossy(&empty.stderr).contains("synthetic"), "not the demo: no such word");
    let db = Db::new();
    let store = db.store().await;
    assert!(app::load_demo(&store).await.expect("the demo loads"));
    store.close().await;
    for args in [vec!["compute"], vec!["diagnose", "--unit", "0201022", "--year", "2024"]] {
        let out = db.run(&args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("synthetic demo data"), "{args:?}");
    }
}

#[tokio::test]
async fn export_and_report_write_whole_files_and_refuse_bad_queries_without_leaving_any() {
    let db = Db::new();
    let store = db.store().await;
    assert!(app::load_demo(&store).await.expect("the demo loads"));
    store.close().await;
    // CSV to standard output: a header and a row per value.
    let csv = db.ok(&["export", "--indicators", "EDU_01,DEM_01", "--units", "0201022,02", "--years", "2020-last"]);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "unit_code,unit_name,indicator_code,indicator_name,year,value,measure_unit,flag");
    assert_eq!(rows.len() - 1, 2 * 2 * 5, "2 indicators × 2 units × 2020–2024");
    // XLSX to a file, read back: the same number in the same place as the CSV.
    let xlsx = db.path("e.xlsx");
    db.ok(&["export", "--indicators", "EDU_01", "--units", "0201022", "--years", "2024", "--format", "xlsx", "--out", xlsx.to_str().unwrap()]);
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).expect("a workbook");
    use calamine::{DataType, Reader};
    let sheet = wb.worksheet_range_at(0).expect("a sheet").expect("readable");
    let from_csv = db.ok(&["export", "--indicators", "EDU_01", "--units", "0201022", "--years", "2024"]);
    let value: f64 = from_csv.lines().nth(1).unwrap().split(',').nth(5).unwrap().parse().unwrap();
    let header: Vec<String> = sheet.rows().next().expect("a header").iter().map(|c| c.to_string()).collect();
    let at = header.iter().position(|h| h == "Wartość").expect("a value column");
    let cell = sheet.rows().nth(1).expect("a data row")[at].get_float().expect("a number");
    assert!((cell - value).abs() < 1e-9, "{cell} vs {value}");
    // A bad query says which parameter and writes nothing.
    let bad = db.path("bad.csv");
    let err = db.fails(&["export", "--indicators", "EDU_01", "--units", "0201022", "--years", "1800", "--out", bad.to_str().unwrap()]);
    assert!(err.contains("years") && err.contains("1800"), "{err}");
    assert!(!bad.exists() && !bad.with_extension("partial").exists(), "nothing half-written");
    // The report as PDF and HTML.
    let pdf = db.path("r.pdf");
    db.ok(&["report", "--unit", "0201022", "--format", "pdf", "--out", pdf.to_str().unwrap()]);
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-") && bytes.len() > 20_000);
    let html = db.path("r.html");
    db.ok(&["report", "--unit", "0201022", "--year", "2022", "--group", "kraj", "--out", html.to_str().unwrap()]);
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.contains("wskaźniki 2022") && text.contains("cały kraj"), "the year and group asked for");
    let err = db.fails(&["report", "--unit", "0201022", "--group", "planety", "--out", db.path("x.html").to_str().unwrap()]);
    assert!(err.contains("grupa") || err.contains("group"), "{err}");
    assert!(!db.path("x.html").exists());
}

#[tokio::test]
async fn poland_is_computed_and_last_is_each_indicators_newest_year_with_data() {
    let db = Db::new();
    let store = db.store().await;
    assert!(app::load_demo(&store).await.expect("the demo loads"));
    store.close().await;
    // Poland has the sums of its gminy's additive variables: its density is computed.
    let csv = db.ok(&["export", "--indicators", "DEM_01", "--units", "PL", "--years", "2024"]);
    let row: Vec<&str> = csv.lines().nth(1).expect("a row for Poland").split(',').collect();
    assert_eq!(row[0], "PL");
    let density: f64 = row[5].parse().expect("a value, not an empty cell");
    assert!(density > 10.0 && density < 1000.0, "{density}");
    // One more year, 2025, with the area of one gmina only: the snapshot's last year is
    // 2025, but no indicator of the gminy has a value then but the area-only ones.
    let file = db.path("area2025.csv");
    std::fs::write(&file, "unit,variable,year,value\n0201022,powierzchnia,2025,100\n").expect("file");
    db.ok(&["import", "observations", file.to_str().unwrap()]);
    let last = db.ok(&["export", "--indicators", "EDU_01,DEM_01", "--units", "gminy", "--years", "last"]);
    let rows: Vec<Vec<&str>> = last.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r[4] == "2024"), "last is 2024 for both, not the snapshot's 2025");
    let empty = rows.iter().filter(|r| r[5].is_empty()).count();
    assert!(empty * 20 < rows.len(), "{empty} empty cells of {}", rows.len());
}
