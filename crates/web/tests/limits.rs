//! The service's limits (issue 15): oversized and overlong group forms are refused before any
//! work, the server closes connections that send no headers or sit idle, refuses
//! connections past its cap with a 503, cuts a request that runs too long, sheds requests
//! past its in-flight cap with 503 `Retry-After` while `/health` still answers, and a busy
//! address is named with the flag that picks another.
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;
use web::server::{Gate, Limits, guard};

async fn empty_router() -> (Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = app::Store::open(&format!("sqlite:{}", dir.path().join("m.db").display())).await.unwrap();
    (web::router(store, false), dir)
}

/// A CSRF cookie and the same token for the form, as a browser has them after GET /grupy.
async fn csrf(r: &Router) -> (String, String) {
    let res = r.clone().oneshot(Request::get("/grupy").body(Body::empty()).unwrap()).await.unwrap();
    let cookie = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("csrf"))
        .expect("a CSRF cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = cookie.split_once('=').unwrap().1.to_owned();
    (cookie, token)
}

async fn post_group(r: &Router, cookie: &str, body: String) -> (StatusCode, String, Duration) {
    let req = Request::post("/grupy")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap();
    let t = Instant::now();
    let res = r.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let text = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    (status, text, t.elapsed())
}

#[tokio::test]
async fn a_group_form_of_150000_names_is_refused_as_too_large_without_reading_it() {
    let (r, _dir) = empty_router().await;
    let (cookie, token) = csrf(&r).await;
    let names: Vec<String> = (0..150_000).map(|i| format!("Gmina{i:06}")).collect();
    let body = format!("csrf={token}&akcja=zapisz&nazwa=x&jednostki={}", names.join("%0A"));
    assert!(body.len() > 1_500_000);
    let (status, page, _) = post_group(&r, &cookie, body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.contains("KiB") && page.contains("miernik group save"), "the page says the limit and the way out: {page}");
}

#[tokio::test]
async fn a_group_form_listing_more_units_than_the_limit_is_refused_naming_it() {
    let (r, _dir) = empty_router().await;
    let (cookie, token) = csrf(&r).await;
    let names: Vec<String> = (0..5_000).map(|i| format!("G{i}")).collect();
    let body = format!("csrf={token}&akcja=zapisz&nazwa=x&jednostki={}", names.join(","));
    assert!(body.len() < web::MAX_BODY);
    let (status, page, _) = post_group(&r, &cookie, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains(&web::groups::MAX_MEMBERS.to_string()), "the limit is named");
    // The answer lists no 5,000 problems: it is short.
    assert!(page.len() < 40_000, "{} bytes", page.len());
}

/// A server on an ephemeral port with `limits`, and its address.
async fn start(router: Router, limits: Limits) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::server::run(listener, router, limits, async move {
        let _ = rx.await;
    }));
    (addr, tx)
}

fn small_limits() -> Limits {
    Limits {
        max_connections: 4,
        header_timeout: Duration::from_millis(400),
        idle_timeout: Duration::from_millis(800),
        request_timeout: Duration::from_millis(600),
        max_in_flight: 1,
        max_db_heavy: 1,
        queue_wait: Duration::from_millis(100),
    }
}

fn slow_router(limits: &Limits) -> Router {
    let gate = Arc::new(Gate::new(limits.clone()));
    Router::new()
        .route("/", get(|| async { "ok" }))
        .route("/health", get(|| async { "ok" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route(
            "/busy",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(400)).await;
                "done"
            }),
        )
        .layer(axum::middleware::from_fn(move |req, next| guard(gate.clone(), req, next)))
}

/// Reads until the peer closes (Ok(bytes)) or `within` passes (Err).
async fn read_to_close(s: &mut TcpStream, within: Duration) -> Result<Vec<u8>, ()> {
    let mut out = Vec::new();
    let deadline = Instant::now() + within;
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(out),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return Err(()),
        }
    }
}

async fn get_raw(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    String::from_utf8_lossy(&read_to_close(&mut s, Duration::from_secs(10)).await.unwrap()).into_owned()
}

#[tokio::test]
async fn a_connection_that_sends_no_complete_headers_is_closed_after_the_header_timeout() {
    let limits = small_limits();
    let (addr, _stop) = start(slow_router(&limits), limits).await;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n").await.unwrap();
    let t = Instant::now();
    assert!(read_to_close(&mut silent, Duration::from_secs(5)).await.is_ok(), "a silent connection is closed");
    assert!(read_to_close(&mut slow, Duration::from_secs(5)).await.is_ok(), "a slowloris connection is closed");
    assert!(t.elapsed() >= Duration::from_millis(300), "not before the timeout");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let limits = small_limits();
    let (addr, _stop) = start(slow_router(&limits), limits).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // Kept alive, then nothing: closed within the idle (or header) timeout.
    assert!(read_to_close(&mut s, Duration::from_secs(5)).await.is_ok(), "the idle connection is closed");
}

#[tokio::test]
async fn past_the_connection_cap_a_new_connection_gets_503_and_is_closed() {
    let limits = Limits { header_timeout: Duration::from_secs(30), idle_timeout: Duration::from_secs(30), ..small_limits() };
    let (addr, _stop) = start(slow_router(&limits), limits).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let answer = get_raw(addr, "/").await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("Retry-After"), "{answer}");
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(get_raw(addr, "/").await.starts_with("HTTP/1.1 200"), "a place is free again");
}

#[tokio::test]
async fn a_request_that_runs_too_long_gets_503_and_requests_past_the_cap_are_shed_but_health_answers() {
    let limits = small_limits();
    let (addr, _stop) = start(slow_router(&limits), limits).await;
    let t = Instant::now();
    let late = get_raw(addr, "/slow").await;
    assert!(late.starts_with("HTTP/1.1 503"), "{late}");
    assert!(t.elapsed() < Duration::from_secs(4), "cut at the request timeout, not after the handler's 5 s");

    // One request in flight (the cap is 1): the next waits 100 ms and is shed; /health passes.
    let first = tokio::spawn(async move { get_raw(addr, "/busy").await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let shed = get_raw(addr, "/busy").await;
    assert!(shed.starts_with("HTTP/1.1 503"), "{shed}");
    assert!(shed.to_ascii_lowercase().contains("retry-after"), "{shed}");
    assert!(get_raw(addr, "/health").await.starts_with("HTTP/1.1 200"));
    assert!(first.await.unwrap().starts_with("HTTP/1.1 200"), "the first one finishes");
}

#[tokio::test]
async fn an_address_in_use_is_named_with_the_flag_to_choose_another() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let store = app::Store::open(&format!("sqlite:{}", dir.path().join("m.db").display())).await.unwrap();
    let err = web::serve(store, &addr, web::ServeOptions::default()).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&addr), "{text}");
    assert!(text.contains("--addr"), "{text}");
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
}
