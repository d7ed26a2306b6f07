//! What an operator watches: the request id of every request (`X-Request-Id`, taken from the
//! request when it is short and safe, else made here), one log line per request in a span
//! that carries that id, the id on every HTML error page, and `/metrics` in the Prometheus
//! text format (version 0.0.4): requests and latency per route template, requests in
//! progress, the snapshot's version, age and build times, the database pool, the build and
//! the process's resident memory.
//!
//! `/metrics` is served on the portal's own port and is not meant for the world: the
//! reverse proxy should not pass it on (README, "Running it for real").

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use axum::body::{Body, HttpBody as _};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument as _;

use crate::AppState;

/// The request id's header, in the request (taken when valid) and in every response.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id of a request, in its extensions (for handlers that want it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Whether `s` may be used as a request id as sent: 1–64 of `A-Za-z0-9._-`.
pub fn valid_request_id(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A new request id: 16 hex digits, distinct for every call in this process (a counter
/// mixed with a random start by a bijection, so not guessable from the one before).
pub fn new_request_id() -> String {
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| {
        let mut b = [0u8; 8];
        if getrandom::getrandom(&mut b).is_err() {
            // No randomness: the clock still tells two processes apart.
            let t = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
            b = (t ^ u64::from(std::process::id()).rotate_left(32)).to_le_bytes();
        }
        u64::from_le_bytes(b)
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:016x}", mix(seed.wrapping_add(n)))
}

/// splitmix64's finaliser: a bijection on `u64` that scatters consecutive inputs.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The latency histogram's upper bounds, in seconds.
const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The request counts and latencies of one route template.
#[derive(Debug, Default)]
struct RouteStats {
    /// (method, status class 1–5) → requests answered.
    answered: BTreeMap<(&'static str, u8), u64>,
    /// Requests at or under each of [`BUCKETS`] (not cumulative here; summed on output).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The portal's request counters, kept in memory since the start.
#[derive(Debug)]
pub struct Metrics {
    routes: std::sync::Mutex<BTreeMap<String, RouteStats>>,
    in_flight: AtomicI64,
    started: SystemTime,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics { routes: std::sync::Mutex::new(BTreeMap::new()), in_flight: AtomicI64::new(0), started: SystemTime::now() }
    }
}

impl Metrics {
    fn record(&self, route: &str, method: &'static str, status: StatusCode, seconds: f64) {
        let mut routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        let r = match routes.get_mut(route) {
            Some(r) => r,
            None => routes.entry(route.to_owned()).or_default(),
        };
        *r.answered.entry((method, (status.as_u16() / 100) as u8)).or_insert(0) += 1;
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            r.buckets[i] += 1;
        }
        r.count += 1;
        r.sum += seconds;
    }
}

/// Lowers the in-flight gauge when a request ends, answered or dropped.
struct InFlight<'a>(&'a AtomicI64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A method as a label: the usual ones by name, any other as `other` (bounded labels).
fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The middleware of every request: its id (header, extension, log span, error page), its
/// log line, and its count and latency under its route template (`other` when no route
/// matched, so that the labels stay few whatever paths are asked for).
pub async fn observe(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|s| valid_request_id(s))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id);
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()).unwrap_or_else(|| "other".to_owned());
    let method = method_label(req.method());
    let path = req.uri().path().to_owned();
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method, route = %route);
    state.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let flight = InFlight(&state.metrics.in_flight);
    let mut res = next.run(req).instrument(span.clone()).await;
    drop(flight);
    let seconds = started.elapsed().as_secs_f64();
    let status = res.status();
    state.metrics.record(&route, method, status, seconds);
    span.in_scope(|| {
        let ms = (seconds * 1000.0 * 10.0).round() / 10.0;
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), ms, path = %path, "request");
        } else {
            tracing::info!(status = status.as_u16(), ms, path = %path, "request");
        }
    });
    if status.as_u16() >= 400 {
        res = with_id_on_page(res, &id).await;
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    res
}

/// The largest error page the request id is written into (they are a few KiB).
const MAX_PAGE: u64 = 512 * 1024;

/// An HTML error page with a line naming the request id, so that a reader can quote it
/// to the portal's operator; any other answer as it was.
async fn with_id_on_page(res: Response, id: &str) -> Response {
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("text/html"));
    let size = res.body().size_hint().exact();
    if !html || res.headers().contains_key(header::CONTENT_ENCODING) || !size.is_some_and(|n| n > 0 && n <= MAX_PAGE) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE as usize).await else {
        // Cannot happen for a body of a known size under the cap; an empty answer then.
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(text) = String::from_utf8(bytes.to_vec()) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    // `id` is of [A-Za-z0-9._-] only: nothing to escape. A page in English says it in
    // English; a Polish one in both (an operator may be asked in either).
    let line = if text.contains("<html lang=\"en\"") {
        format!("<p class=\"request-id\"><small>Request id: <code>{id}</code></small></p>")
    } else {
        format!("<p class=\"request-id\"><small>Identyfikator zgłoszenia / <span lang=\"en\">Request id</span>: <code>{id}</code></small></p>")
    };
    let at = text.rfind("</main>").or_else(|| text.rfind("</body>")).unwrap_or(text.len());
    let mut page = String::with_capacity(text.len() + line.len());
    page.push_str(&text[..at]);
    page.push_str(&line);
    page.push_str(&text[at..]);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(page))
}

/// `/metrics`: the Prometheus text format, never cached.
pub async fn page(State(state): State<Arc<AppState>>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        render(&state),
    )
        .into_response()
}

/// A label value in the text format: `\`, `"` and line feeds escaped.
pub fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A sample's value as the text format writes it.
fn num(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".to_owned() } else { "-Inf".to_owned() }
    } else {
        format!("{v}")
    }
}

fn head(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Every metric, as the text format (version 0.0.4).
pub fn render(state: &AppState) -> String {
    let mut out = String::with_capacity(8192);
    {
        let routes = state.metrics.routes.lock().unwrap_or_else(|p| p.into_inner());
        head(&mut out, "miernik_http_requests_total", "counter", "HTTP requests answered, by route template, method and status class.");
        for (route, r) in routes.iter() {
            let route = escape_label(route);
            for ((method, class), n) in &r.answered {
                let _ = writeln!(out, "miernik_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{class}xx\"}} {n}");
            }
        }
        head(
            &mut out,
            "miernik_http_request_duration_seconds",
            "histogram",
            "Time from a request's arrival to its response's headers, by route template.",
        );
        for (route, r) in routes.iter() {
            let route = escape_label(route);
            let mut cumulative = 0;
            for (b, n) in BUCKETS.iter().zip(r.buckets) {
                cumulative += n;
                let _ = writeln!(out, "miernik_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{}\"}} {cumulative}", num(*b));
            }
            let _ = writeln!(out, "miernik_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", r.count);
            let _ = writeln!(out, "miernik_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", num(r.sum));
            let _ = writeln!(out, "miernik_http_request_duration_seconds_count{{route=\"{route}\"}} {}", r.count);
        }
    }
    head(&mut out, "miernik_http_requests_in_flight", "gauge", "Requests being answered now (this scrape included).");
    let _ = writeln!(out, "miernik_http_requests_in_flight {}", state.metrics.in_flight.load(Ordering::Relaxed).max(0));

    head(&mut out, "miernik_ready", "gauge", "1 when the node takes traffic (/ready answers 200), else 0.");
    let _ = writeln!(out, "miernik_ready {}", u8::from(state.is_ready()));
    head(&mut out, "miernik_draining", "gauge", "1 while the node is shutting down and finishing the requests in progress.");
    let _ = writeln!(out, "miernik_draining {}", u8::from(state.is_draining()));

    head(&mut out, "miernik_snapshot_version", "gauge", "Version of the indicator snapshot in service (0: none yet).");
    let _ = writeln!(out, "miernik_snapshot_version {}", state.live.version());
    if let Some(b) = state.live.build_stats() {
        let age = SystemTime::now().duration_since(b.built_at).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        head(&mut out, "miernik_snapshot_age_seconds", "gauge", "Seconds since the snapshot in service was swapped in.");
        let _ = writeln!(out, "miernik_snapshot_age_seconds {}", num(age));
        head(&mut out, "miernik_snapshot_load_seconds", "gauge", "Seconds the last snapshot build spent reading the store.");
        let _ = writeln!(out, "miernik_snapshot_load_seconds {}", num(b.load_seconds));
        head(&mut out, "miernik_snapshot_compute_seconds", "gauge", "Seconds the last snapshot build spent computing.");
        let _ = writeln!(out, "miernik_snapshot_compute_seconds {}", num(b.compute_seconds));
    }

    let pool = state.store.pool_stats();
    let backend = state.store.backend_name();
    head(&mut out, "miernik_db_pool_connections", "gauge", "Database connections open in the pool, by state.");
    let _ = writeln!(out, "miernik_db_pool_connections{{backend=\"{backend}\",state=\"open\"}} {}", pool.size);
    let _ = writeln!(out, "miernik_db_pool_connections{{backend=\"{backend}\",state=\"idle\"}} {}", pool.idle);
    head(&mut out, "miernik_db_pool_max_connections", "gauge", "The pool's cap on database connections.");
    let _ = writeln!(out, "miernik_db_pool_max_connections{{backend=\"{backend}\"}} {}", pool.max);

    head(&mut out, "miernik_build_info", "gauge", "The running build: always 1, its version in the label.");
    let _ = writeln!(out, "miernik_build_info{{version=\"{}\"}} 1", escape_label(env!("CARGO_PKG_VERSION")));
    head(&mut out, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch, in seconds.");
    let start = state.metrics.started.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
    let _ = writeln!(out, "process_start_time_seconds {}", num(start.floor()));
    if let Some(rss) = resident_bytes() {
        head(&mut out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        let _ = writeln!(out, "process_resident_memory_bytes {rss}");
    }
    out
}

/// The process's resident memory (Linux: `VmRSS` of `/proc/self/status`).
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_checked_and_made_distinct() {
        assert!(valid_request_id("abc-DEF_1.2"));
        assert!(valid_request_id(&"a".repeat(64)));
        assert!(!valid_request_id(&"a".repeat(65)));
        assert!(!valid_request_id(""));
        assert!(!valid_request_id("a b"));
        assert!(!valid_request_id("<script>"));
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(num(f64::INFINITY), "+Inf");
        assert_eq!(num(0.25), "0.25");
    }
}
