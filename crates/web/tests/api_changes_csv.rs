//! Issue 15 through the JSON API, in process, on a small country of its own: `/api/v1/changes`
//! paged by cursor (every change once, in order; `offset` and bad cursors refused, naming
//! the parameter; the document says so), and `/api/v1/data?format=csv` written safe from
//! formula injection (a unit named `=HYPERLINK(…)` gets a leading apostrophe, a negative
//! value stays a number) with a BOM only in the Excel dialect, as the document says.
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

const HYPERLINK: &str = "=HYPERLINK(\"http://x\")";

const TERC: &str = "WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD;STAN_NA
02;;;;DOLNOŚLĄSKIE;województwo;2026-01-01
02;01;;;bolesławiecki;powiat;2026-01-01
02;01;01;1;=HYPERLINK(\"http://x\");gmina miejska;2026-01-01
02;01;02;2;Bolesławiec;gmina wiejska;2026-01-01
02;01;03;2;Gromadka;gmina wiejska;2026-01-01
";

const CATALOGUE: &str = r#"version = "test"
[[variable]]
code = "saldo"
name_pl = "Saldo budżetu"
[[variable]]
code = "ludnosc"
name_pl = "Ludność"
[[indicator]]
code = "FIN_02"
name_pl = "Saldo budżetu na mieszkańca"
name_en = "Budget balance per inhabitant"
area = "finanse"
service_pl = "Budżet"
kind = "monitoring"
dimension = "efficiency"
polarity = "higher_better"
numerator = "saldo"
denominator = "ludnosc"
unit_pl = "zł"
decimals = 2
applies_to = ["gmina_miejska", "gmina_wiejska", "gmina_miejsko_wiejska"]
definition_pl = "Saldo / ludność"
source = "test"
"#;

/// A router over a country of three gminy (one with a hostile name), one indicator whose
/// values are negative, and two imports of observations (the second revises some values):
/// 3 gminy × 2 variables × 6 years = 36 current values.
async fn router() -> axum::Router {
    let dir = Box::leak(Box::new(tempfile::tempdir().expect("temp dir")));
    let store = app::Store::open(&format!("sqlite:{}", dir.path().join("t.db").display())).await.expect("store");
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    app::import_units(&store, &file("terc.csv", TERC)).await.expect("TERC");
    app::import_indicators(&store, &file("k.toml", CATALOGUE)).await.expect("catalogue");
    let mut first = String::from("unit,variable,year,value\n");
    let mut second = String::from("unit,variable,year,value\n");
    for (k, unit) in ["0201011", "0201022", "0201032"].iter().enumerate() {
        for year in 2019..=2024 {
            let saldo = -350.0 - 10.0 * k as f64 - f64::from(year - 2019);
            first.push_str(&format!("{unit},saldo,{year},{saldo}\n{unit},ludnosc,{year},100\n"));
            if year % 2 == 0 {
                second.push_str(&format!("{unit},saldo,{year},{}\n", saldo - 0.5));
            }
        }
    }
    let opts = app::ObsImportOptions::default();
    app::import_observations(&store, &file("a.csv", &first), &opts, &|_, _| {}).await.expect("first import");
    app::import_observations(&store, &file("b.csv", &second), &opts, &|_, _| {}).await.expect("second import");
    let live = Arc::new(app::LiveSnapshot::new());
    live.refresh(&store).await.expect("snapshot");
    web::router_with(store, false, live)
}

async fn send(r: &axum::Router, uri: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let res = r.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    (status, headers, res.into_body().collect().await.unwrap().to_bytes().to_vec())
}

async fn json(r: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let (status, _, body) = send(r, uri).await;
    (status, serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{uri}: not JSON: {e}")))
}

async fn ok(r: &axum::Router, uri: &str) -> Value {
    let (status, v) = json(r, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {v}");
    v
}

/// An error answer with `status` that names `parameter`; its message.
async fn refused(r: &axum::Router, uri: &str, status: StatusCode, parameter: &str) -> String {
    let (got, v) = json(r, uri).await;
    assert_eq!(got, status, "{uri}: {v}");
    assert_eq!(v["parameter"], parameter, "{uri}: {v}");
    v["message"].as_str().unwrap().to_owned()
}

fn key(c: &Value) -> String {
    format!("{}|{}|{}", c["unit"], c["variable"], c["year"])
}

#[tokio::test]
async fn changes_page_by_cursor_to_the_end_each_once_in_order() {
    let r = router().await;
    let all = ok(&r, "/api/v1/changes?since=2000-01-01&limit=1000").await;
    let everything: Vec<Value> = all["items"].as_array().unwrap().clone();
    assert_eq!(everything.len(), 36, "3 gminy × 2 variables × 6 years");
    assert!(all["next"].is_null() && all["next_cursor"].is_null() && all["cursor"].is_null(), "one short page is the last: {all}");
    assert!(all.get("offset").is_none(), "no offset any more: {all}");
    // Oldest import first: the first import's 27 values it still holds, then the second's 9
    // revisions (saldo in even years).
    let second = everything[35]["import_id"].as_i64().unwrap();
    assert!(everything[..27].iter().all(|c| c["import_id"].as_i64().unwrap() < second), "{everything:?}");
    assert!(everything[27..].iter().all(|c| c["import_id"] == second && c["variable"] == "saldo" && c["year"].as_i64().unwrap() % 2 == 0));

    for limit in [1, 5, 7, 36] {
        let mut got: Vec<Value> = Vec::new();
        let mut uri = format!("/api/v1/changes?since=2000-01-01&limit={limit}");
        let mut pages = 0;
        loop {
            let page = ok(&r, &uri).await;
            pages += 1;
            let items = page["items"].as_array().unwrap();
            got.extend(items.iter().cloned());
            let Some(next) = page["next"].as_str() else {
                assert!(items.len() < limit, "only a short page ends the feed");
                break;
            };
            assert_eq!(items.len(), limit);
            let cursor = page["next_cursor"].as_str().unwrap();
            assert!(next.ends_with(&format!("&cursor={cursor}")), "{next}");
            assert!(!next.contains("offset"), "{next}");
            // The next page starts after this cursor, and echoes it.
            let following = ok(&r, next).await;
            assert_eq!(following["cursor"], cursor);
            uri = next.to_owned();
            assert!(pages < 100, "paging ends");
        }
        assert_eq!(got, everything, "{limit} a page: every change once, in the same order");
        assert_eq!(pages, 36 / limit + 1);
    }
    let keys: HashSet<String> = everything.iter().map(key).collect();
    assert_eq!(keys.len(), 36, "no value twice");
}

#[tokio::test]
async fn changes_refuse_offset_and_bad_cursors_naming_the_parameter() {
    let r = router().await;
    let m = refused(&r, "/api/v1/changes?since=2000-01-01&offset=5", StatusCode::BAD_REQUEST, "offset").await;
    assert!(m.contains("cursor") && m.contains("next"), "says what to use instead: {m}");
    refused(&r, "/api/v1/changes?since=2000-01-01&offset=0", StatusCode::BAD_REQUEST, "offset").await;
    for bad in [
        "abc",
        "1.2.3",
        "1.2.3.4.5",
        "01.2.3.4",
        "1.2.3.04",
        "-1.2.3.4",
        "+1.2.3.4",
        "1..3.4",
        "1.2.3.4.",
        "1.2.3.1234567890123456789",
        "1.2.3.4%0A",
        "%201.2.3.4",
        "2020-01-01T00:00:00Z.5",
    ] {
        let m = refused(&r, &format!("/api/v1/changes?since=2000-01-01&cursor={bad}"), StatusCode::BAD_REQUEST, "cursor").await;
        assert!(m.contains("next"), "{bad}: {m}");
    }
    refused(&r, "/api/v1/changes?since=2000-01-01&cursor=", StatusCode::BAD_REQUEST, "cursor").await;
    // Well formed but naming no import: not found, said of `cursor`.
    refused(&r, "/api/v1/changes?since=2000-01-01&cursor=999999.0.0.0", StatusCode::NOT_FOUND, "cursor").await;
    // Any well-formed cursor of an import that exists is a place in the feed.
    let first = ok(&r, "/api/v1/changes?since=2000-01-01&limit=1").await;
    let import = first["items"][0]["import_id"].as_i64().unwrap();
    let page = ok(&r, &format!("/api/v1/changes?since=2000-01-01&cursor={import}.0.0.0")).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 36, "before its first row: everything");
    let page = ok(&r, &format!("/api/v1/changes?since=2000-01-01&cursor={import}.999999999999999999.0.0")).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 9, "after its last row: the second import's");
}

#[tokio::test]
async fn the_document_describes_cursor_paging_and_csv_as_it_is_written() {
    let r = router().await;
    let doc = ok(&r, "/api/v1/openapi.json").await;
    let op = &doc["paths"]["/api/v1/changes"]["get"];
    let params = op["parameters"].as_array().unwrap();
    let names: Vec<&str> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["since", "limit", "cursor"], "no offset: {names:?}");
    let cursor = params.iter().find(|p| p["name"] == "cursor").unwrap();
    assert_eq!(cursor["schema"]["pattern"], "^(0|[1-9][0-9]{0,17})(\\.(0|[1-9][0-9]{0,17})){3}$");
    assert!(cursor["description"].as_str().unwrap().contains("next"), "{cursor}");
    assert!(op["responses"].get("404").is_some(), "a cursor naming no import: {op}");
    let page = &doc["components"]["schemas"]["ChangePage"]["properties"];
    assert!(page.get("offset").is_none() && page.get("next_cursor").is_some() && page.get("cursor").is_some(), "{page}");

    let data = doc["paths"]["/api/v1/data"]["get"]["responses"]["200"]["description"].as_str().unwrap();
    assert!(data.contains("csv: UTF-8 without a BOM") && data.contains("csv-pl") && data.contains("with a BOM"), "{data}");
    assert!(data.contains("apostrophe"), "the escaping is documented: {data}");
}

#[tokio::test]
async fn csv_escapes_a_unit_name_that_is_a_formula_and_keeps_negative_numbers() {
    let r = router().await;
    for (format, delimiter, bom) in [("csv", b',', false), ("csv-pl", b';', true)] {
        let uri = format!("/api/v1/data?indicators=FIN_02&units=0201011,0201022&years=2019-2024&format={format}");
        let (status, _, body) = send(&r, &uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&body));
        assert_eq!(body.starts_with("\u{feff}".as_bytes()), bom, "{format}: a BOM only in the Excel dialect");
        let text = String::from_utf8(body).unwrap();
        let mut rdr = csv::ReaderBuilder::new().delimiter(delimiter).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let rows: Vec<Vec<String>> = rdr.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
        assert_eq!(rows.len(), 12, "{format}: {text}");
        let hostile: Vec<&Vec<String>> = rows.iter().filter(|r| r.contains(&"0201011".to_owned())).collect();
        assert_eq!(hostile.len(), 6);
        for row in &hostile {
            assert!(row.contains(&format!("'{HYPERLINK}")), "{format}: the name escaped: {row:?}");
            assert!(!row.iter().any(|c| c.starts_with('=')), "{format}: {row:?}");
        }
        // The values are negative numbers, written as numbers: -3.5 per inhabitant and less.
        for row in &rows {
            let numbers: Vec<f64> = row.iter().filter(|c| c.starts_with('-')).map(|c| c.replace(',', ".").parse().unwrap()).collect();
            assert_eq!(numbers.len(), 1, "{format}: one value, not escaped: {row:?}");
            assert!(numbers[0] <= -3.5, "{row:?}");
        }
    }
}
