//! The HTTP server loop and the limits that keep the portal up under hostile or heavy load:
//! a cap on open connections (past it a new connection gets a bare 503 and is closed), a
//! timeout for a request's headers and for an idle keep-alive connection (slowloris), a
//! timeout for a whole request, a cap on requests in progress (past it, after a short wait,
//! 503 with `Retry-After`), and a smaller cap on the requests that scan the database.
//! `/health`, `/ready` and `/metrics` pass every request cap, so an operator and a load
//! balancer can always see the service. On Ctrl-C or SIGTERM ([`shutdown_signal`]) the
//! server stops taking connections and lets the requests in progress finish, for at most
//! [`DRAIN_TIMEOUT`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The service's limits; [`Limits::default`] is what `miernik serve` uses (README, "Limity").
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections open at once; one more is answered 503 and closed. Lowered to fit the
    /// process's open-file limit.
    pub max_connections: usize,
    /// Time a client has to send a request's headers, from the connection's start.
    pub header_timeout: Duration,
    /// A connection with no byte read or written for this long is closed.
    pub idle_timeout: Duration,
    /// Time from a request's headers to its response's headers (a body streams on after it).
    pub request_timeout: Duration,
    /// Requests handled at once; the next ones wait up to `queue_wait`, then get 503.
    pub max_in_flight: usize,
    /// Requests that scan the database (`/api/v1/changes`, unit lists and search) at once.
    pub max_db_heavy: usize,
    /// How long a request waits for a free place before 503.
    pub queue_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 4096,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            max_in_flight: 256,
            max_db_heavy: 2,
            queue_wait: Duration::from_secs(3),
        }
    }
}

/// The request caps, shared by the router's middleware.
#[derive(Debug)]
pub struct Gate {
    limits: Limits,
    in_flight: Semaphore,
    db_heavy: Semaphore,
}

impl Gate {
    pub fn new(limits: Limits) -> Gate {
        Gate { in_flight: Semaphore::new(limits.max_in_flight.max(1)), db_heavy: Semaphore::new(limits.max_db_heavy.max(1)), limits }
    }
}

impl Default for Gate {
    fn default() -> Self {
        Gate::new(Limits::default())
    }
}

/// Whether a request scans the database rather than reading the snapshot or the cache.
fn db_heavy(path: &str) -> bool {
    path == "/api/v1/changes" || path == "/api/v1/units" || path == "/sugestie"
}

/// 503 with `Retry-After`: JSON under `/api/`, a short page elsewhere.
pub fn unavailable(path: &str, code: &str, pl: &str, en: &str) -> Response {
    let headers = [(header::RETRY_AFTER, HeaderValue::from_static("2")), (header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    if path.starts_with("/api/") {
        let body = serde_json::json!({ "code": code, "message": format!("{pl} / {en}") });
        return (StatusCode::SERVICE_UNAVAILABLE, headers, axum::Json(body)).into_response();
    }
    let html = format!(
        "<!doctype html><html lang=\"pl\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Miernik: {pl}</title></head><body><main><h1>{pl}</h1><p lang=\"en\">{en}</p><p><a href=\"/\">Miernik</a></p></main></body></html>"
    );
    (StatusCode::SERVICE_UNAVAILABLE, headers, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// The middleware of the request caps and the request timeout.
pub async fn guard(gate: Arc<Gate>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = req.uri().path().to_owned();
    if crate::operator_path(&path) {
        return next.run(req).await;
    }
    let busy = || unavailable(&path, "overloaded", "Serwer jest przeciążony, spróbuj za chwilę", "the server is overloaded, try again in a moment");
    let Ok(Ok(_place)) = tokio::time::timeout(gate.limits.queue_wait, gate.in_flight.acquire()).await else {
        return busy();
    };
    let _db = if db_heavy(&path) {
        match tokio::time::timeout(gate.limits.queue_wait, gate.db_heavy.acquire()).await {
            Ok(Ok(p)) => Some(p),
            _ => return busy(),
        }
    } else {
        None
    };
    match tokio::time::timeout(gate.limits.request_timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => unavailable(
            &path,
            "timeout",
            "Odpowiedź trwała za długo; zawęź zapytanie albo spróbuj później",
            "the answer took too long; ask for less or try later",
        ),
    }
}

/// Raises the soft open-file limit to the hard one (a server holds a descriptor per
/// connection) and returns the soft limit now in force.
fn raise_nofile_limit() -> usize {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut lim = getrlimit(Resource::Nofile);
    if lim.current < lim.maximum {
        let raised = rustix::process::Rlimit { current: lim.maximum, maximum: lim.maximum };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            lim = raised;
        }
    }
    lim.current.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// A stream that notes the time of its last byte in or out.
struct Watched<S> {
    inner: S,
    last: Arc<AtomicU64>,
    start: Instant,
}

impl<S> Watched<S> {
    fn touch(&self) {
        self.last.store(self.start.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>, buf: &mut ReadBuf<'_>) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, std::task::Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.touch();
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>, buf: &[u8]) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, std::task::Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }
    fn poll_flush(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, std::task::Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

const REFUSED: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 78\r\nConnection: close\r\n\r\nZa wiele polaczen, sprobuj za chwile / too many connections, try again shortly";

/// The longest a stopping server waits for the requests in progress (and the request
/// timeout, if shorter): then it ends, and so does whatever is still unanswered.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);

/// Resolves on Ctrl-C (SIGINT) or SIGTERM (what systemd, Docker and Kubernetes send to stop
/// a service).
pub async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("SIGTERM not handled: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C: stopping"),
        () = term => tracing::info!("SIGTERM: stopping"),
    }
}

/// Accepts connections until `shutdown` resolves; then stops listening (a new connection is
/// refused), closes the idle keep-alive connections and lets the requests in progress
/// finish, for at most [`DRAIN_TIMEOUT`] or the request timeout, whichever is shorter.
pub async fn run(listener: TcpListener, router: Router, limits: Limits, shutdown: impl std::future::Future<Output = ()>) -> std::io::Result<()> {
    let nofile = raise_nofile_limit();
    // Keep descriptors for the database, files and the refusals themselves.
    let cap = limits.max_connections.min(nofile.saturating_sub(256).max(16));
    let slots = Arc::new(Semaphore::new(cap));
    let (closing_tx, closing_rx) = tokio::sync::watch::channel(false);
    let open = Arc::new(tokio::sync::Notify::new());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or the like: wait a little rather than spin.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tokio::spawn(async move {
                let mut stream = stream;
                let _ = tokio::time::timeout(Duration::from_secs(2), stream.write_all(REFUSED)).await;
                let _ = tokio::time::timeout(Duration::from_secs(1), stream.shutdown()).await;
            });
            continue;
        };
        let last = Arc::new(AtomicU64::new(0));
        let io = Watched { inner: stream, last: last.clone(), start: Instant::now() };
        let inner = hyper_util::service::TowerToHyperService::new(router.clone());
        // The peer's address travels with each request (`ConnectInfo`, read by `auth::Ctx`).
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            hyper::service::Service::call(&inner, req)
        });
        let mut closing = closing_rx.clone();
        let limits = limits.clone();
        let open = open.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
            let conn = builder.serve_connection(TokioIo::new(io), service).with_upgrades();
            let mut conn = std::pin::pin!(conn);
            let start = Instant::now();
            let tick = (limits.idle_timeout / 4).max(Duration::from_millis(100));
            let mut graceful = false;
            loop {
                tokio::select! {
                    _ = conn.as_mut() => break,
                    _ = closing.changed(), if !graceful => {
                        conn.as_mut().graceful_shutdown();
                        graceful = true;
                    }
                    () = tokio::time::sleep(tick) => {
                        let idle = start.elapsed().saturating_sub(Duration::from_millis(last.load(Ordering::Relaxed)));
                        if idle >= limits.idle_timeout {
                            break;
                        }
                    }
                }
            }
            drop(slot);
            open.notify_waiters();
        });
    }
    drop(listener);
    let _ = closing_tx.send(true);
    // Let the connections finish what they are doing, for at most the drain timeout.
    let deadline = Instant::now() + limits.request_timeout.min(DRAIN_TIMEOUT);
    while slots.available_permits() < cap && Instant::now() < deadline {
        let _ = tokio::time::timeout(Duration::from_millis(200), open.notified()).await;
    }
    let left = cap - slots.available_permits();
    if left > 0 {
        tracing::warn!(connections = left, "stopped with requests still in progress (drain timeout)");
    }
    Ok(())
}
