//! Running the portal for real: `/ready` beside `/health`, `/metrics`, the request id
//! (header, error pages, log span), JSON log lines, the graceful drain on shutdown, and
//! PostgreSQL going down behind a proxy the test cuts (runs when `MIERNIK_TEST_POSTGRES`
//! is set, as in CI).
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

mod support;
use support::demo_file;

/// The demo's store and an empty snapshot (not built yet).
async fn demo_unbuilt() -> (app::Store, Arc<app::LiveSnapshot>) {
    let store = app::Store::open(&format!("sqlite:{}", demo_file().display())).await.expect("store");
    (store, Arc::new(app::LiveSnapshot::new()))
}

/// The demo's state with its snapshot built.
async fn demo_state() -> Arc<web::AppState> {
    let (store, live) = demo_unbuilt().await;
    live.refresh(&store).await.expect("snapshot");
    web::AppState::new(store, true, live)
}

async fn send(router: &Router, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
    let mut req = Request::get(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// A unit code of the demo with a card.
fn some_unit(state_live: &app::LiveSnapshot, nth: usize) -> String {
    let c = state_live.get().unwrap();
    let jst: Vec<&model::TerytCode> = c.codes.iter().zip(&c.kinds).filter(|(_, k)| k.is_jst()).map(|(c, _)| c).collect();
    jst[nth % jst.len()].as_str().to_owned()
}

#[tokio::test]
async fn ready_answers_503_before_the_first_snapshot_and_200_after_it() {
    let (store, live) = demo_unbuilt().await;
    let r = web::router_with(store.clone(), true, live.clone());

    let (status, h, body) = send(&r, "/ready", &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(header(&h, "retry-after"), "2");
    assert_eq!(header(&h, "cache-control"), "no-store");
    assert!(header(&h, "content-type").starts_with("text/plain"), "{h:?}");
    assert!(body.starts_with("not ready"), "{body}");
    // Alive all the same: /health keeps its body.
    let (status, h, body) = send(&r, "/health", &[]).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok\nsnapshot 0\n"));
    assert_eq!(header(&h, "cache-control"), "no-store");

    let v = live.refresh(&store).await.expect("snapshot");
    assert!(v > 0);
    let (status, h, body) = send(&r, "/ready", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, format!("ready\nsnapshot {v}\n"));
    assert_eq!(header(&h, "cache-control"), "no-store");
    assert!(!h.contains_key("retry-after"));
    let (_, _, body) = send(&r, "/health", &[]).await;
    assert_eq!(body, format!("ok\nsnapshot {v}\n"));
}

#[tokio::test]
async fn health_ready_and_metrics_pass_the_request_caps() {
    let state = demo_state().await;
    let r = web::router_for(state.clone());
    // Fill every place for requests in progress with form posts whose bodies never come.
    let mut stuck = Vec::new();
    for _ in 0..web::server::Limits::default().max_in_flight {
        let r = r.clone();
        let body = Body::from_stream(futures_util::stream::pending::<Result<axum::body::Bytes, std::io::Error>>());
        let req = Request::post("/grupy").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(body).unwrap();
        stuck.push(tokio::spawn(async move { r.oneshot(req).await }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for path in ["/health", "/ready", "/metrics"] {
        let t = Instant::now();
        let (status, _, body) = send(&r, path, &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert!(t.elapsed() < Duration::from_secs(1), "{path} waited {:?}", t.elapsed());
    }
    let (_, _, metrics) = send(&r, "/metrics", &[]).await;
    let in_flight: i64 = metric(&metrics, "miernik_http_requests_in_flight").unwrap() as i64;
    assert!(in_flight > web::server::Limits::default().max_in_flight as i64, "every stuck post is in flight: {in_flight}");
    // While a page waits for a place and is refused: the caps are really full.
    let (status, h, _) = send(&r, "/obszar", &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&h, "retry-after"), "2");
    for s in stuck {
        s.abort();
    }
}

/// The value of the sample `name` (a whole series name with its labels, or a bare name).
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')).and_then(|v| v.trim().parse().ok()))
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_say_the_snapshot() {
    let state = demo_state().await;
    let r = web::router_for(state.clone());
    let unit = some_unit(&state_live(&state), 0);
    let (status, _, _) = send(&r, &format!("/jst/{unit}"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(&r, &format!("/jst/{unit}"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(&r, "/jst/9999999", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = send(&r, "/no/such/page/abc", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, h, text) = send(&r, "/metrics", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "content-type"), "text/plain; version=0.0.4; charset=utf-8");
    assert_eq!(header(&h, "cache-control"), "no-store");
    // Counted by the route's template, not its path.
    assert_eq!(metric(&text, r#"miernik_http_requests_total{route="/jst/{code}",method="GET",status="2xx"}"#), Some(2.0), "{text}");
    assert_eq!(metric(&text, r#"miernik_http_requests_total{route="/jst/{code}",method="GET",status="4xx"}"#), Some(1.0), "{text}");
    assert_eq!(metric(&text, r#"miernik_http_requests_total{route="other",method="GET",status="4xx"}"#), Some(1.0), "{text}");
    assert!(!text.contains(&format!("/jst/{unit}\"")) && !text.contains("/no/such"), "no raw path in a label: {text}");
    assert_eq!(metric(&text, r#"miernik_http_request_duration_seconds_count{route="/jst/{code}"}"#), Some(3.0));
    assert_eq!(metric(&text, r#"miernik_http_request_duration_seconds_bucket{route="/jst/{code}",le="+Inf"}"#), Some(3.0));
    assert!(text.contains("# TYPE miernik_http_request_duration_seconds histogram"));
    // The buckets only grow.
    let buckets: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with(r#"miernik_http_request_duration_seconds_bucket{route="/jst/{code}""#))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(buckets.len() > 5 && buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
    // The snapshot, the pool, the build, the process.
    let version = state_live(&state).version();
    assert!(version > 0);
    assert_eq!(metric(&text, "miernik_snapshot_version"), Some(version as f64));
    let age = metric(&text, "miernik_snapshot_age_seconds").expect("age");
    assert!((0.0..600.0).contains(&age), "{age}");
    assert!(metric(&text, "miernik_snapshot_load_seconds").is_some_and(|s| s > 0.0), "{text}");
    assert!(metric(&text, "miernik_snapshot_compute_seconds").is_some_and(|s| s >= 0.0));
    assert!(metric(&text, r#"miernik_db_pool_max_connections{backend="sqlite"}"#).is_some_and(|n| n >= 1.0), "{text}");
    assert!(metric(&text, r#"miernik_db_pool_connections{backend="sqlite",state="open"}"#).is_some());
    assert_eq!(metric(&text, &format!(r#"miernik_build_info{{version="{}"}}"#, env!("CARGO_PKG_VERSION"))), Some(1.0));
    assert!(metric(&text, "process_resident_memory_bytes").is_some_and(|b| b > 1e6), "{text}");
    assert_eq!(metric(&text, "miernik_ready"), Some(1.0));
    // Every line is a comment or `name{labels} value`.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap();
        assert!(value == "+Inf" || value.parse::<f64>().is_ok(), "{line}");
        let name = series.split('{').next().unwrap();
        assert!(!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "{line}");
        assert!(!series.contains('{') || series.ends_with('}'), "{line}");
    }
}

fn state_live(state: &web::AppState) -> Arc<app::LiveSnapshot> {
    state.live()
}

#[tokio::test]
async fn a_safe_request_id_is_echoed_and_another_is_made_otherwise() {
    let state = demo_state().await;
    let r = web::router_for(state);
    let (_, h, _) = send(&r, "/health", &[("x-request-id", "lb-42.a_B-c")]).await;
    assert_eq!(header(&h, "x-request-id"), "lb-42.a_B-c");
    let made = |h: &HeaderMap| {
        let id = header(h, "x-request-id").to_owned();
        assert!(id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()), "a made id: {id:?}");
        id
    };
    let (_, h, _) = send(&r, "/health", &[("x-request-id", "spaces are not safe")]).await;
    let a = made(&h);
    let (_, h, _) = send(&r, "/health", &[("x-request-id", &"x".repeat(65))]).await;
    let b = made(&h);
    let (_, h, _) = send(&r, "/", &[]).await;
    let c = made(&h);
    assert!(a != b && b != c && a != c);
}

#[tokio::test]
async fn error_pages_name_the_request_id_and_json_errors_carry_it_in_the_header() {
    let state = demo_state().await;
    let unit = some_unit(&state_live(&state), 2);
    let r = web::router_for(state);
    let (status, h, page) = send(&r, "/jst/9999999", &[("x-request-id", "trace-404")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(header(&h, "x-request-id"), "trace-404");
    assert!(page.contains("Identyfikator zgłoszenia") && page.contains("Request id") && page.contains("<code>trace-404</code>"), "{page}");
    // Inside the page's main part, once.
    let at = page.find("trace-404").unwrap();
    assert!(page[at..].contains("</main>") && page.matches("trace-404").count() == 1, "{page}");
    // A page made elsewhere (the bad-request page) and a made id.
    let (status, h, page) = send(&r, &format!("/jst/{unit}?rok=abc"), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let id = header(&h, "x-request-id").to_owned();
    assert!(page.contains(&format!("<code>{id}</code>")), "{page}");
    // A page in English names it in English only.
    let (_, _, page) = send(&r, "/jst/9999999?lang=en", &[("x-request-id", "trace-en")]).await;
    assert!(page.contains("Request id: <code>trace-en</code>") && !page.contains("Identyfikator zgłoszenia"), "{page}");
    // A page that is not an error names no id.
    let (status, _, page) = send(&r, "/", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("Identyfikator zgłoszenia"));
    // JSON errors keep their documented body; the id is in the header.
    let (status, h, body) = send(&r, "/api/v1/units/9999999", &[("x-request-id", "api-1")]).await;
    assert!(status.is_client_error(), "{status}");
    assert_eq!(header(&h, "x-request-id"), "api-1");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(json.get("code").is_some() && json.get("request_id").is_none(), "{json}");
}

/// A `MakeWriter` into a shared buffer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

#[tokio::test]
async fn each_request_logs_one_json_line_with_its_request_id_route_status_and_time() {
    let state = demo_state().await;
    let r = web::router_for(state.clone());
    let unit = some_unit(&state_live(&state), 1);
    // As `miernik --log-format json` sets it up (cli's `init_logging`), for the whole test
    // binary: a subscriber set for one thread only misses events when other tests register
    // the same call sites at the same moment (tracing's interest cache).
    static BUFFER: std::sync::OnceLock<Buffer> = std::sync::OnceLock::new();
    let buffer = BUFFER
        .get_or_init(|| {
            let buffer = Buffer::default();
            let subscriber = tracing_subscriber::fmt()
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .with_max_level(tracing::Level::INFO)
                .with_writer(buffer.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber of this binary");
            buffer
        })
        .clone();
    let (status, _, _) = send(&r, &format!("/jst/{unit}?lang=en"), &[("x-request-id", "json-log-1")]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(&r, "/jst/9999999", &[("x-request-id", "json-log-2")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))).collect();
    // This test's requests (others may log into the same buffer meanwhile).
    let requests: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["message"] == "request" && l["span"]["request_id"].as_str().is_some_and(|id| id.starts_with("json-log-")))
        .collect();
    assert_eq!(requests.len(), 2, "one line per request: {text}");
    let first = requests[0];
    assert_eq!(first["level"], "INFO");
    assert_eq!(first["status"], 200);
    assert!(first["ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{first}");
    assert_eq!(first["path"], format!("/jst/{unit}"));
    assert_eq!(first["span"]["request_id"], "json-log-1", "{first}");
    assert_eq!(first["span"]["route"], "/jst/{code}");
    assert_eq!(first["span"]["method"], "GET");
    assert!(first["timestamp"].is_string());
    assert_eq!(requests[1]["status"], 404);
    assert_eq!(requests[1]["span"]["request_id"], "json-log-2");
}

#[tokio::test]
async fn shutdown_lets_the_request_in_progress_finish_answers_not_ready_and_refuses_new_connections() {
    let state = demo_state().await;
    // The portal's router and one slow route: a request that is in progress when the signal comes.
    let router = web::router_for(state.clone()).route(
        "/slow",
        axum::routing::get(|| async {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            "slow done"
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(web::serve_on(listener, state.clone(), router, web::server::Limits::default(), async move {
        let _ = stopped.await;
    }));

    // Ready before.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    let (status, body) = exchange(&mut idle, "GET /ready HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(status, 200, "{body}");

    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t = Instant::now();
    stop.send(()).unwrap();
    while !state.is_draining() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;

    // Not ready while draining (asked in process: no new connection is taken), alive still.
    let r = web::router_for(state.clone());
    let (status, h, body) = send(&r, "/ready", &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("draining"), "{body}");
    assert_eq!(header(&h, "retry-after"), "2");
    assert_eq!(send(&r, "/health", &[]).await.0, StatusCode::OK);
    // A new connection is refused.
    assert!(TcpStream::connect(addr).await.is_err(), "the listener is closed");
    // The idle keep-alive connection is closed by the server.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(2), idle.read_to_end(&mut rest)).await;
    assert!(matches!(closed, Ok(Ok(0))), "the idle connection is closed: {closed:?}");

    // The request in progress is answered in full.
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut answer)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("slow done"), "{answer}");
    // And then the server ends, without waiting for the drain deadline.
    let ended = tokio::time::timeout(Duration::from_secs(5), server).await.expect("the server ends").unwrap();
    assert!(ended.is_ok());
    assert!(t.elapsed() < web::server::DRAIN_TIMEOUT / 2, "{:?}", t.elapsed());
}

#[tokio::test]
async fn with_a_shutdown_delay_the_node_is_not_ready_but_still_serves_new_connections_then_stops() {
    let (store, live) = demo_unbuilt().await;
    live.refresh(&store).await.expect("snapshot");
    let delay = Duration::from_millis(1500);
    let options = web::ServeOptions { shutdown_delay: delay, ..Default::default() };
    let state = web::AppState::with_options(store, true, live, options);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(web::serve_on(listener, state.clone(), web::router_for(state.clone()), web::server::Limits::default(), async move {
        let _ = stopped.await;
    }));
    let mut before = TcpStream::connect(addr).await.unwrap();
    assert_eq!(exchange(&mut before, "GET /ready HTTP/1.1\r\nHost: x\r\n\r\n").await.0, 200);

    let t = Instant::now();
    stop.send(()).unwrap();
    while !state.is_draining() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Within the delay a new connection is still taken: `/ready` says 503 on it, so a
    // balancer that polls it stops sending readers here, and a reader's page is answered.
    let mut during = TcpStream::connect(addr).await.expect("still listening during the delay");
    let (status, body) = exchange(&mut during, "GET /ready HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("draining"), "{body}");
    let (status, _) = exchange(&mut during, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(status, 200);
    let mut reader = TcpStream::connect(addr).await.expect("still listening during the delay");
    let (status, _) = exchange(&mut reader, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(status, 200);
    assert!(t.elapsed() < delay, "the checks above ran within the delay: {:?}", t.elapsed());

    // After it: no new connection, and the server ends.
    let ended = tokio::time::timeout(Duration::from_secs(10), server).await.expect("the server ends").unwrap();
    assert!(ended.is_ok());
    assert!(t.elapsed() >= delay, "the server waited out the delay: {:?}", t.elapsed());
    assert!(TcpStream::connect(addr).await.is_err(), "the listener is closed");
}

/// Sends `request` on `s` and reads one answer with a Content-Length body.
async fn exchange(s: &mut TcpStream, request: &str) -> (u16, String) {
    s.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk)).await.unwrap().unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&buf));
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                let status = text[9..12].parse().unwrap();
                return (status, text[end + 4..].to_owned());
            }
        }
    }
}

/// A TCP proxy to PostgreSQL that the test can cut and mend.
struct Proxy {
    addr: std::net::SocketAddr,
    target: String,
    /// What a connection gets now.
    mode: Arc<std::sync::atomic::AtomicU8>,
    accept: Mutex<Option<tokio::task::JoinHandle<()>>>,
    links: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

const FORWARD: u8 = 0;
/// Connections are taken and closed at once (as a proxy in front of a stopped server does).
const CLOSE: u8 = 1;

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let p = Proxy {
            addr: listener.local_addr().unwrap(),
            target,
            mode: Arc::new(std::sync::atomic::AtomicU8::new(FORWARD)),
            accept: Mutex::new(None),
            links: Arc::new(Mutex::new(Vec::new())),
        };
        p.listen(listener);
        p
    }

    fn listen(&self, listener: TcpListener) {
        let (target, mode, links) = (self.target.clone(), self.mode.clone(), self.links.clone());
        *self.accept.lock().unwrap() = Some(tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if mode.load(std::sync::atomic::Ordering::SeqCst) == CLOSE {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                links.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        }));
    }

    /// Cuts every open connection; new ones are refused (`refuse`: nothing listens) or taken
    /// and closed at once.
    async fn cut(&self, refuse: bool) {
        if refuse && let Some(a) = self.accept.lock().unwrap().take() {
            a.abort();
        }
        self.mode.store(CLOSE, std::sync::atomic::Ordering::SeqCst);
        for l in self.links.lock().unwrap().drain(..) {
            l.abort();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    async fn mend(&self) {
        self.mode.store(FORWARD, std::sync::atomic::Ordering::SeqCst);
        if self.accept.lock().unwrap().is_none() {
            let listener = TcpListener::bind(self.addr).await.unwrap();
            self.listen(listener);
        }
    }
}

/// `host:port` of a postgres:// URL.
fn host_port(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split(['/', '?']).next().unwrap();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.contains(':') { host.to_owned() } else { format!("{host}:5432") }
}

/// GET `uri`, timed.
async fn timed(r: &Router, uri: &str) -> (StatusCode, Duration, HeaderMap, String) {
    let t = Instant::now();
    let (status, h, body) = send(r, uri, &[]).await;
    (status, t.elapsed(), h, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_postgresql_down_snapshot_pages_are_served_the_rest_is_a_quick_503_and_it_recovers() {
    let Ok(pg) = std::env::var("MIERNIK_TEST_POSTGRES") else {
        eprintln!("MIERNIK_TEST_POSTGRES not set: skipped");
        return;
    };
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let schema = format!("ops_pgdown_{}_{nanos}", std::process::id());
    {
        let store = app::Store::open_postgres_schema(&pg, &schema).await.expect("schema");
        assert!(app::load_demo(&store).await.expect("demo loads"));
        store.close().await;
    }
    let proxy = Proxy::start(host_port(&pg)).await;
    let through = pg.replacen(&host_port(&pg), &proxy.addr.to_string(), 1);
    let sep = if through.contains('?') { '&' } else { '?' };
    let url = format!("{through}{sep}options=-c%20search_path%3D{schema}");
    // As `miernik serve` opens it: a short wait for a connection.
    let store = app::Store::open_with(&url, app::OpenOptions { create: false, acquire_timeout: Some(Duration::from_secs(2)) }).await.expect("store");
    let live = Arc::new(app::LiveSnapshot::new());
    live.refresh(&store).await.expect("snapshot");
    let state = web::AppState::new(store.clone(), true, live.clone());
    let r = web::router_for(state);
    let c = live.get().unwrap();
    let units: Vec<String> = c.codes.iter().zip(&c.kinds).filter(|(_, k)| k.is_jst()).map(|(c, _)| c.as_str().to_owned()).collect();
    let indicator = c.definitions[0].code.clone();
    assert!(units.len() >= 6);

    // Up: pages are served (and the card and the indicator page are now in the page cache).
    for uri in [format!("/jst/{}", units[0]), format!("/wskaznik/{indicator}"), "/".to_owned()] {
        assert_eq!(send(&r, &uri, &[]).await.0, StatusCode::OK, "{uri}");
    }

    let mut report = Vec::new();
    for refuse in [true, false] {
        let how = if refuse { "refused" } else { "closed at once" };
        proxy.cut(refuse).await;
        let (i, j) = if refuse { (1, 2) } else { (3, 4) };
        let asks = [
            (format!("/jst/{}", units[0]), true),
            (format!("/wskaznik/{indicator}"), true),
            ("/".to_owned(), true),
            ("/ready".to_owned(), true),
            ("/health".to_owned(), true),
            ("/api/v1/indicators".to_owned(), true),
            (format!("/jst/{}", units[i]), false),
            (format!("/jst/{}?lang=en", units[j]), false),
            (format!("/wskaznik/{indicator}?lang=en"), false),
        ];
        for (uri, from_snapshot) in asks {
            let (status, took, h, body) = timed(&r, &uri).await;
            report.push(format!("{how}: {uri} → {} in {:.2} s", status.as_u16(), took.as_secs_f64()));
            assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{how}: {uri}: {body}");
            assert!(took < Duration::from_secs(3), "{how}: {uri} took {took:?}");
            if from_snapshot {
                assert_eq!(status, StatusCode::OK, "{how}: {uri} is answered from the snapshot: {body}");
            } else {
                assert!(status == StatusCode::OK || status == StatusCode::SERVICE_UNAVAILABLE, "{how}: {uri}: {status}");
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    assert_eq!(header(&h, "retry-after"), "2", "{uri}");
                    let words = if uri.contains("lang=en") { "unavailable" } else { "niedostępna" };
                    assert!(body.contains(words), "{uri}: {body}");
                }
            }
        }
        // A reader with a session cookie: the session is looked up first (`auth`), and when
        // that fails the reader is served as a public one: the cached card, not a 500.
        let t = Instant::now();
        let session = format!("{}={}", web::auth::SESSION_COOKIE, "ab".repeat(32));
        let (status, _, body) = send(&r, &format!("/jst/{}", units[0]), &[("cookie", &session)]).await;
        report.push(format!("{how}: /jst/{} with a session cookie → {} in {:.2} s", units[0], status.as_u16(), t.elapsed().as_secs_f64()));
        assert_eq!(status, StatusCode::OK, "{body}");
        // Once the database is known to be down, the next readers with a session do not
        // each wait the pool's timeout for it.
        for uri in [format!("/jst/{}", units[0]), format!("/wskaznik/{indicator}"), "/".to_owned()] {
            let t = Instant::now();
            let (status, _, body) = send(&r, &uri, &[("cookie", &session)]).await;
            let took = t.elapsed();
            report.push(format!("{how}: {uri} with a session cookie, again → {} in {:.2} s", status.as_u16(), took.as_secs_f64()));
            assert_eq!(status, StatusCode::OK, "{uri}: {body}");
            assert!(took < Duration::from_secs(1), "{how}: {uri} with a session cookie waited {took:?}");
        }
        // The database's own JSON answers: 503 with Retry-After, quickly. (A connection closed
        // at once is an I/O error that `api`'s `ApiError::app` still answers 500: only the
        // refused case is held to 503 here.)
        let (status, took, h, body) = timed(&r, "/api/v1/units?q=a").await;
        report.push(format!("{how}: /api/v1/units?q=a → {} in {:.2} s", status.as_u16(), took.as_secs_f64()));
        if refuse {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
            assert_eq!(header(&h, "retry-after"), "2");
            assert!(serde_json::from_str::<serde_json::Value>(&body).is_ok(), "{body}");
            assert!(took < Duration::from_secs(3), "{took:?}");
        }

        // Mended: the same pages work again, without a restart.
        proxy.mend().await;
        let uri = format!("/jst/{}", units[i]);
        let t = Instant::now();
        loop {
            let (status, _, _) = send(&r, &uri, &[]).await;
            if status == StatusCode::OK {
                break;
            }
            assert!(t.elapsed() < Duration::from_secs(10), "{uri} still {status} after the database came back");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        report.push(format!("{how}: mended, {uri} → 200 after {:.2} s", t.elapsed().as_secs_f64()));
        let (status, _, _, _) = timed(&r, "/api/v1/units?q=a").await;
        assert_eq!(status, StatusCode::OK);
    }
    eprintln!("PostgreSQL down, through a cut proxy:\n  {}", report.join("\n  "));
    store.close().await;
    let _ = app::Store::drop_postgres_schema(&pg, &schema).await;
}

#[tokio::test]
async fn with_the_database_pool_closed_cached_pages_are_served_and_the_rest_is_503_not_500() {
    let (store, live) = demo_unbuilt().await;
    live.refresh(&store).await.expect("snapshot");
    let (a, b) = (some_unit(&live, 0), some_unit(&live, 3));
    let r = web::router_with(store.clone(), true, live);
    assert_eq!(send(&r, &format!("/jst/{a}"), &[]).await.0, StatusCode::OK);
    store.close().await;
    let (status, _, body) = send(&r, &format!("/jst/{a}"), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, h, body) = send(&r, &format!("/jst/{b}"), &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(header(&h, "retry-after"), "2");
}
