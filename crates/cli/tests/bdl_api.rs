//! `miernik import bdl` end to end against a mock BDL API: killed mid-fetch and run again it
//! requests only the pages not cached and the database holds each value once; broken
//! answers and pages give a clear error and change nothing; the catalogue preset stores
//! values under the catalogue's own codes.

mod common;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bdl::mock::{MockServer, Reply, bdl_id_of, param, serve_pages};
use common::{Db, data};

/// A database with the TERC units and `n` of its gmina-level codes (parts included).
fn db_with_units(n: usize) -> (Db, Vec<String>) {
    let db = Db::new();
    db.ok(&["import", "units", data("teryt/TERC_Urzedowy_2026-01-08.csv").to_str().expect("p")]);
    let codes: Vec<String> = db
        .ok(&["units", "--format", "csv"])
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().expect("code").to_owned())
        .filter(|c| c.len() == 7)
        .take(n)
        .collect();
    assert_eq!(codes.len(), n);
    (db, codes)
}

/// Each unit with three years of values in the API's shape (year a string).
fn results(codes: &[String]) -> Vec<serde_json::Value> {
    codes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            serde_json::json!({
                "id": bdl_id_of(c),
                "name": format!("Jednostka {c}"),
                "values": [
                    {"year": "2020", "val": i, "attrId": 1},
                    {"year": "2021", "val": i + 1, "attrId": 1},
                    {"year": "2022", "val": 0, "attrId": 0}
                ]
            })
        })
        .collect()
}

fn cached_pages(dir: &std::path::Path) -> BTreeSet<u64> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter_map(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    let p = n.strip_prefix("data-v3643-l6-yall-p")?.strip_suffix(".json")?;
                    p.parse().ok()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn changes(db: &Db) -> String {
    db.ok(&["changes", "--since", "2000-01-01", "--limit", "1000000", "--format", "csv"])
}

#[test]
fn killed_mid_fetch_it_resumes_fetching_only_the_missing_pages_and_stores_each_value_once() {
    let (db, codes) = db_with_units(1100); // 11 pages of 100
    let pages = serve_pages(results(&codes));
    let server = MockServer::start(move |r| pages(r).delay(Duration::from_millis(300)));
    let cache = db.path("cache");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["--db", &db.url, "import", "bdl", "--variable", "3643", "--level", "6", "--base-url", &server.base_url, "--cache"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        v.push(cache.display().to_string());
        v.extend(extra.iter().map(|s| (*s).to_owned()));
        v
    };

    let mut child = Command::new(env!("CARGO_BIN_EXE_miernik")).args(args(&[])).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
    let start = Instant::now();
    while cached_pages(&cache).len() < 4 {
        assert!(start.elapsed() < Duration::from_secs(60), "the fetch never got going");
        assert!(child.try_wait().expect("wait").is_none(), "finished before it could be killed");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    let cached = cached_pages(&cache);
    assert!(cached.len() >= 4 && cached.len() < 11, "{cached:?}");
    assert_eq!(changes(&db).lines().count(), 1, "nothing imported before the fetch completed");

    server.reset();
    let out = Command::new(env!("CARGO_BIN_EXE_miernik")).args(args(&["--format", "json"])).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{} cached", cached.len())), "the plan counts the cached pages: {stderr}");
    let requested: BTreeSet<u64> = server
        .counts()
        .iter()
        .map(|(url, n)| {
            assert_eq!(*n, 1, "{url} asked once");
            param(url, "page").expect("page").parse().expect("number")
        })
        .collect();
    let missing: BTreeSet<u64> = (0..11).filter(|k| !cached.contains(k)).collect();
    assert_eq!(requested, missing, "the second run asked for exactly the pages not cached");

    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json summary");
    assert_eq!(summary["read"], 3300);
    assert_eq!(summary["inserted"], 3300);
    let rows = changes(&db);
    assert_eq!(rows.lines().count() - 1, 3300, "each value once");
    let no_data = rows.lines().filter(|l| l.contains(",2022,")).collect::<Vec<_>>();
    assert_eq!(no_data.len(), 1100);
    assert!(no_data.iter().all(|l| l.contains("missing") && !l.contains(",0,")), "attrId 0 is no data, not 0: {}", no_data[0]);

    server.reset();
    let again = db.json(&[
        "import",
        "bdl",
        "--variable",
        "3643",
        "--level",
        "6",
        "--base-url",
        &server.base_url,
        "--cache",
        cache.to_str().expect("p"),
        "--format",
        "json",
    ]);
    assert_eq!((again["inserted"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(3300)));
    assert_eq!(server.total(), 0, "a third run fetches nothing");
    assert_eq!(changes(&db), rows);
}

#[test]
fn broken_answers_and_pages_give_a_clear_error_and_change_nothing() {
    let (db, codes) = db_with_units(150);
    db.ok(&[
        "import",
        "bdl",
        "--variable",
        "1",
        "--base-url",
        &MockServer::start(serve_pages(results(&codes[..10]))).base_url,
        "--cache",
        db.path("c0").to_str().expect("p"),
    ]);
    let before = changes(&db);
    let imports = db.ok(&["imports", "--format", "csv"]);

    // Malformed JSON on page 1: the fetch stops naming the URL; nothing imported.
    let pages = serve_pages(results(&codes));
    let server = MockServer::start(move |r| if param(&r.url, "page") == Some("1") { Reply::json("{\"totalRecords\": 150, \"res") } else { pages(r) });
    let cache = db.path("c1");
    let err = db.fails(&["import", "bdl", "--variable", "2", "--base-url", &server.base_url, "--cache", cache.to_str().expect("p")]);
    assert!(err.contains("error: ") && err.contains("page=1") && err.contains("invalid JSON"), "{err}");

    // An attribute BDL does not define, cached: the import names the cache file and JSON path.
    let mut bad = results(&codes[..5]);
    bad[3]["values"][1]["attrId"] = 2.into();
    let server = MockServer::start(serve_pages(bad));
    let err = db.fails(&["import", "bdl", "--variable", "3", "--base-url", &server.base_url, "--cache", db.path("c2").to_str().expect("p")]);
    assert!(err.contains("data-v3-l6-yall-p00000.json: results[3].values[1].attrId: unknown BDL attribute 2"), "{err}");

    // A unit the database does not know: listed, nothing imported.
    let mut unknown = results(&codes[..5]);
    unknown[2]["id"] = bdl_id_of("0201999").into();
    let server = MockServer::start(serve_pages(unknown));
    let err = db.fails(&["import", "bdl", "--variable", "4", "--base-url", &server.base_url, "--cache", db.path("c3").to_str().expect("p")]);
    assert!(err.contains("unknown unit 0201999"), "{err}");

    // An error status that retries do not cure.
    let server = MockServer::start(|_| Reply::status(500, "Internal Server Error"));
    let out = Command::new(env!("CARGO_BIN_EXE_miernik"))
        .args([
            "--db",
            &db.url,
            "import",
            "bdl",
            "--variable",
            "5",
            "--retries",
            "2",
            "--base-url",
            &server.base_url,
            "--cache",
            db.path("c4").to_str().expect("p"),
        ])
        .env("MIERNIK_BDL_BACKOFF_MS", "5")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("HTTP 500 after 3 attempt(s)") && err.contains("/data/by-variable/5?"), "{err}");

    // Bad arguments.
    assert!(db.fails(&["import", "bdl", "--variable", "1", "--years", "2024-2010"]).contains("--years"));
    assert!(db.fails(&["import", "bdl", "--variable", "1", "--level", "4"]).contains("--level"));
    assert!(db.fails(&["import", "bdl", "--preset", "wszystko"]).contains("unknown preset"));
    assert!(db.fails(&["import", "bdl"]).contains("--variable"));

    assert_eq!(changes(&db), before, "no broken input changed anything");
    assert_eq!(db.ok(&["imports", "--format", "csv"]), imports);
}

#[test]
fn the_catalogue_preset_stores_values_under_the_catalogue_codes() {
    let (db, codes) = db_with_units(20);
    let catalogue = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue/indicators.toml");
    db.ok(&["import", "indicators", catalogue.to_str().expect("p")]);
    let keys = std::sync::Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    let k = keys.clone();
    let pages = serve_pages(results(&codes));
    let server = MockServer::start(move |r| {
        k.lock().expect("keys").insert(r.client_id.clone());
        pages(r)
    });
    let out = db.json(&[
        "import",
        "bdl",
        "--preset",
        "catalogue",
        "--catalogue",
        catalogue.to_str().expect("p"),
        "--years",
        "2020-2022",
        "--level",
        "6",
        "--client-id",
        "klucz",
        "--base-url",
        &server.base_url,
        "--cache",
        db.path("c").to_str().expect("p"),
        "--format",
        "json",
    ]);
    let text = std::fs::read_to_string(&catalogue).expect("read");
    let n_vars = text.lines().filter(|l| l.trim_start().starts_with("bdl_id =")).count() as u64;
    assert_eq!(server.total() as u64, n_vars, "one page per catalogue variable");
    assert_eq!(out["inserted"].as_u64(), Some(n_vars * 60));
    assert_eq!(keys.lock().expect("keys").iter().cloned().collect::<Vec<_>>(), vec![Some("klucz".to_owned())]);
    assert!(server.counts().keys().all(|u| u.contains("&year=2020&year=2021&year=2022")), "years asked for");
    let hist = db.ok(&["history", "--unit", &codes[3], "--variable", "ludnosc", "--format", "csv"]);
    assert!(hist.lines().any(|l| l.contains("2021") && l.contains(",4")), "population under its catalogue code: {hist}");
}

fn sample(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(data("bdl/api_samples/pybdl-1.1.0").join(name)).expect("sample")).expect("json")
}

#[test]
fn metadata_commands_list_units_with_their_teryt_codes_and_variables() {
    let units = sample("samples_raw_units.json")["list_units"].as_array().expect("list").clone();
    let vars = sample("samples_raw_variables.json")["list_variables"].as_array().expect("list").clone();
    let (u, v) = (serve_pages(units), serve_pages(vars));
    let server = MockServer::start(move |r| if r.url.contains("/units") { u(r) } else { v(r) });
    let db = Db::new();
    let out = db.ok(&["bdl", "units", "--level", "6", "--base-url", &server.base_url]);
    assert!(out.lines().any(|l| l == "011212001022\t1201022\tBochnia\t6\t2"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("011212000000\t\t")), "a subregion has no TERYT code: {out}");
    assert!(server.counts().keys().any(|k| k.starts_with("/api/v1/units?level=6&format=json&page-size=100&page=0")), "{:?}", server.counts());
    let out = db.ok(&["bdl", "variables", "--search", "ludność", "--base-url", &server.base_url]);
    assert!(out.lines().any(|l| l.starts_with("34032\tP1313\togółem / ogółem\t6\tosoba")), "{out}");
    assert!(server.counts().keys().any(|k| k.contains("variables/search?name=ludno%C5%9B%C4%87")));
    assert!(db.fails(&["bdl", "dictionary", "cokolwiek"]).contains("unknown dictionary"));
}

#[test]
fn the_preset_plans_each_variable_at_the_levels_of_its_indicators() {
    let server = MockServer::start(|_| Reply::status(404, "{}"));
    let catalogue = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue/indicators.toml");
    let db = Db::new();
    let err = db.fails(&[
        "import",
        "bdl",
        "--preset",
        "catalogue",
        "--catalogue",
        catalogue.to_str().expect("p"),
        "--base-url",
        &server.base_url,
        "--cache",
        db.path("c").to_str().expect("p"),
    ]);
    let text = std::fs::read_to_string(&catalogue).expect("read");
    let n_vars = text.lines().filter(|l| l.trim_start().starts_with("bdl_id =")).count();
    let series: usize =
        err.split(" series").next().and_then(|h| h.rsplit(' ').next()).and_then(|n| n.parse().ok()).expect("the plan names the series");
    assert!(series > n_vars, "levels 5, 2, 0 besides 6 for indicators of powiaty and above: {err}");
    assert!(err.contains("without a key") && err.contains("with X-ClientId"), "{err}");
    assert!(err.contains("HTTP 404 after 1 attempt(s)"), "{err}");
}
