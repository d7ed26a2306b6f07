//! The portal's pages, in process: status codes, the demo banner, no 500 on odd input.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn demo_router() -> (tempfile::TempDir, axum::Router) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = app::Store::open(&format!("sqlite:{}", dir.path().join("d.db").display())).await.expect("store");
    assert!(app::load_demo(&store).await.expect("demo loads"));
    (dir, web::router(store, true))
}

async fn get(router: &axum::Router, uri: &str) -> (StatusCode, String) {
    let res = router
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = res.status();
    let body = res.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8(body.to_vec()).expect("utf-8"))
}

#[tokio::test]
async fn the_home_page_lists_voivodeships_and_says_the_data_is_synthetic() {
    let (_dir, router) = demo_router().await;
    let (status, html) = get(&router, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("lang=\"pl\""));
    assert!(html.contains("Dane syntetyczne"), "demo banner");
    assert!(html.contains("Synthetic demo data"), "and in English");
    assert_eq!(html.matches("href=\"/jst/").count(), 16, "16 województwa");
}

#[tokio::test]
async fn search_ignores_case_and_diacritics() {
    let (_dir, router) = demo_router().await;
    let (status, html) = get(&router, "/?q=LODZKIE").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Województwo łódzkie"), "{html}");
}

#[tokio::test]
async fn a_unit_card_shows_the_unit_its_data_and_sub_units() {
    let (_dir, router) = demo_router().await;
    let (status, html) = get(&router, "/jst/02").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>Województwo dolnośląskie</h1>"), "{html}");
    assert!(html.contains("Ludność ogółem"), "data table");
    assert!(html.contains("<caption"), "tables have captions");
    assert!(html.contains("/jst/0201"), "links to powiaty");
}

#[tokio::test]
async fn unknown_or_malformed_units_get_a_404_page_never_a_500() {
    let (_dir, router) = demo_router().await;
    for uri in ["/jst/3299", "/jst/abc", "/jst/%FF%FE", "/jst/0201016", "/nie-ma", "/?q=%00%FF"] {
        let (status, html) = get(&router, uri).await;
        assert!(!status.is_server_error(), "{uri}: {status}");
        assert!(uri.starts_with("/?") || status.is_client_error(), "{uri}: {status}");
        assert!(html.contains("<html lang=\"pl\">"), "{uri}: an HTML page");
    }
    let (status, _) = get(&router, "/jst/3299").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_service_builds_its_snapshot_and_says_which_it_serves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = app::Store::open(&format!("sqlite:{}", dir.path().join("d.db").display())).await.expect("store");
    assert!(app::load_demo(&store).await.expect("demo loads"));
    let live = std::sync::Arc::new(app::LiveSnapshot::new());
    let router = web::router_with(store.clone(), true, live.clone());
    let (_, before) = get(&router, "/health").await;
    assert_eq!(before, "ok\nsnapshot 0\n", "served before the first snapshot is ready");
    let watcher = tokio::spawn(web::watch_snapshot(store, live.clone(), std::time::Duration::from_millis(20)));
    for _ in 0..500 {
        if live.version() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (_, after) = get(&router, "/health").await;
    assert_eq!(after, "ok\nsnapshot 1\n");
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(live.version(), 1, "no import since: no rebuild");
    watcher.abort();
}
