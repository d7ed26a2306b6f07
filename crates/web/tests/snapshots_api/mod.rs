//! API answers that are contracts, as insta snapshots (`snapshots_api/snapshots/`): the OpenAPI
//! document's paths, a units page and a data page over the demo. Volatile fields (times a
//! snapshot was built, versions) are redacted; CI never writes snapshots (`INSTA_UPDATE=no`).

use axum::http::StatusCode;
use serde_json::Value;

use super::{router, send};

async fn ok(r: &axum::Router, uri: &str) -> Value {
    let (status, _, body) = send(r, uri, &[]).await;
    assert_eq!(status, StatusCode::OK, "{uri}");
    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{uri}: not JSON: {e}"))
}

/// The value with every field whose name says it is a time or a version replaced.
fn redact(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if ["generated", "built", "updated", "version", "finished_at", "started_at", "etag"].contains(&k.as_str()) {
                    *x = Value::String("[redacted]".into());
                } else {
                    redact(x);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

fn pretty(mut v: Value) -> String {
    redact(&mut v);
    serde_json::to_string_pretty(&v).expect("json")
}

#[tokio::test]
async fn the_openapi_paths_are_a_contract() {
    let r = router().await;
    let doc = ok(&r, "/api/v1/openapi.json").await;
    let paths: Vec<&str> = doc["paths"].as_object().expect("paths").keys().map(String::as_str).collect();
    assert!(paths.contains(&"/api/v1/data"), "{paths:?}");
    insta::assert_snapshot!("openapi_paths", paths.join("\n"));
}

#[tokio::test]
async fn a_units_page_is_a_contract() {
    let r = router().await;
    let units = ok(&r, "/api/v1/units?parent=0201&limit=3").await;
    insta::assert_snapshot!("units_parent_0201", pretty(units));
}

#[tokio::test]
async fn a_data_page_is_a_contract() {
    let r = router().await;
    let data = ok(&r, "/api/v1/data?indicators=EDU_01&units=0201011,0201022&years=2023-2024").await;
    insta::assert_snapshot!("data_edu01_two_gminy", pretty(data));
}
