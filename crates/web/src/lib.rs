//! HTTP: the axum router and the server-rendered pages (maud + SVG from `viz`). Polish by
//! default, English with `?lang=en`; plain HTML that works without JavaScript and meets
//! WCAG 2.1 AA. Pages are rendered once per snapshot version and served from a cache with
//! ETag / Last-Modified / 304 and gzip ([`cache`]); unknown units and indicators get a 404
//! page, bad parameters a 400 page, and no input a browser can send gives a 500.

mod admin;
mod analysis;
pub mod api;
mod area;
mod audit_page;
pub mod auth;
pub mod cache;
mod campaign;
mod common;
mod coverage;
pub mod download;
pub mod error;
mod evaluate;
mod exchange;
mod exchange_sheet;
mod functional_area;
pub mod groups;
mod home;
pub mod i18n;
mod indicator;
mod layout;
pub mod metrics;
mod plan;
pub mod portal;
mod practice;
mod reorganisation;
pub mod report;
mod security;
pub mod server;
mod survey;
mod unit;

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use model::TerytCode;
use serde::Deserialize;

use crate::cache::{CachedPage, PageCache};
use crate::i18n::L;
use crate::layout::Frame;
use crate::portal::Portal;

/// Why a page could not be rendered.
#[derive(Debug)]
pub enum PageError {
    NotFound,
    /// A parameter the page cannot take (named, e.g. `rok=abc`).
    BadRequest(String),
    /// The database had no free connection in time: 503 with `Retry-After`.
    Busy,
    Server(String),
}

impl From<app::AppError> for PageError {
    fn from(e: app::AppError) -> PageError {
        match e {
            app::AppError::Busy => PageError::Busy,
            e if error::db_unreachable(&e) => PageError::Busy,
            app::AppError::NotFound(_) | app::AppError::NoCatalogue => PageError::NotFound,
            app::AppError::Invalid(why) => PageError::BadRequest(why),
            app::AppError::NoCustomGroup { code } => PageError::BadRequest(format!("grupa=custom:{code}")),
            e => PageError::Server(e.to_string()),
        }
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::NotFound => f.write_str("no such unit with data (import data and a catalogue, or check the code)"),
            PageError::BadRequest(what) => write!(f, "not accepted: {what}"),
            PageError::Busy => f.write_str("the database is busy"),
            PageError::Server(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for PageError {}

pub struct AppState {
    store: app::Store,
    demo: bool,
    /// The indicator snapshot; pages read it without waiting for a rebuild.
    live: Arc<app::LiveSnapshot>,
    /// What the pages read, for the snapshot version it was built from.
    portal: tokio::sync::Mutex<Option<Arc<Portal>>>,
    /// The portal over the private view (unpublished values), for the unit cards of those
    /// allowed to see them ([`unit::private_card`]).
    private_portal: tokio::sync::Mutex<Option<Arc<Portal>>>,
    cache: PageCache,
    /// The most cells one data query may span.
    max_cells: usize,
    /// True from `serve`'s start until its first snapshot build has ended (built, or found
    /// nothing to build): meanwhile every page but `/health` answers 503 "computing".
    starting: std::sync::atomic::AtomicBool,
    /// How the portal is reached from outside (for `Secure` cookies and absolute links).
    pub options: ServeOptions,
    /// The caps on requests in progress ([`server::guard`]).
    pub gate: Arc<server::Gate>,
    /// Set when the server has been told to stop: `/ready` answers 503 while the requests in
    /// progress finish ([`serve_on`]).
    draining: std::sync::atomic::AtomicBool,
    /// When a session lookup last found the database unreachable, until one succeeds: then
    /// a reading request waits at most [`auth::QUICK_SESSION_LOOKUP`] for its session
    /// instead of the pool's whole timeout ([`AppState::context`]).
    pub(crate) db_down_since: std::sync::Mutex<Option<std::time::Instant>>,
    /// The request counters of `/metrics`.
    metrics: metrics::Metrics,
}

/// Settings of a served portal that come from its operator, not from a request.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// The address readers use (`--public-url`), e.g. `https://miernik.example.pl`; when it
    /// is https every cookie is `Secure`.
    pub public_url: Option<String>,
    /// Believe the proxy's `X-Forwarded-Proto` (`--trust-proxy`): `https` there makes the
    /// cookies of that response `Secure`.
    pub trust_proxy: bool,
    /// How long, told to stop, the node keeps serving with `/ready` at 503 before it stops
    /// listening (`--shutdown-delay`): time for a load balancer that polls `/ready` to send
    /// new readers elsewhere. Zero stops listening at once (a proxy that retries a refused
    /// connection on the other node, as nginx does, needs no more).
    pub shutdown_delay: std::time::Duration,
}

impl AppState {
    /// Whether cookies set in the answer to a request with `headers` get `Secure`: the public
    /// address is https, or a trusted proxy says the reader came over https.
    pub fn cookies_secure(&self, headers: &HeaderMap) -> bool {
        let public_https = self.options.public_url.as_deref().is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"));
        let forwarded_https = self.options.trust_proxy
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.split(',').next().is_some_and(|p| p.trim().eq_ignore_ascii_case("https")));
        public_https || forwarded_https
    }
}

impl AppState {
    /// Whether the node takes traffic (`/ready` answers 200): a snapshot is in service, the
    /// first build after the start has ended, and the server is not shutting down.
    pub fn is_ready(&self) -> bool {
        !self.starting.load(std::sync::atomic::Ordering::Acquire) && !self.is_draining() && self.live.get().is_some()
    }

    /// The snapshot the pages read.
    pub fn live(&self) -> Arc<app::LiveSnapshot> {
        self.live.clone()
    }

    /// Whether the server is shutting down (finishing the requests in progress).
    pub fn is_draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Marks the server as shutting down: `/ready` answers 503 from now on.
    pub fn start_draining(&self) {
        self.draining.store(true, std::sync::atomic::Ordering::Release);
    }

    pub fn new(store: app::Store, demo: bool, live: Arc<app::LiveSnapshot>) -> Arc<AppState> {
        AppState::with_max_cells(store, demo, live, app::query::MAX_CELLS)
    }

    /// As [`AppState::new`], with another limit on the cells of one data query.
    pub fn with_max_cells(store: app::Store, demo: bool, live: Arc<app::LiveSnapshot>, max_cells: usize) -> Arc<AppState> {
        AppState::build(store, demo, live, max_cells, ServeOptions::default())
    }

    /// As [`AppState::new`], with the operator's settings (`--public-url`, `--trust-proxy`).
    pub fn with_options(store: app::Store, demo: bool, live: Arc<app::LiveSnapshot>, options: ServeOptions) -> Arc<AppState> {
        AppState::build(store, demo, live, app::query::MAX_CELLS, options)
    }

    fn build(store: app::Store, demo: bool, live: Arc<app::LiveSnapshot>, max_cells: usize, options: ServeOptions) -> Arc<AppState> {
        Arc::new(AppState {
            store,
            demo,
            live,
            portal: tokio::sync::Mutex::new(None),
            private_portal: tokio::sync::Mutex::new(None),
            cache: PageCache::default(),
            max_cells,
            starting: std::sync::atomic::AtomicBool::new(false),
            options,
            gate: Arc::new(server::Gate::default()),
            draining: std::sync::atomic::AtomicBool::new(false),
            db_down_since: std::sync::Mutex::new(None),
            metrics: metrics::Metrics::default(),
        })
    }

    /// The portal of the current snapshot, built on first use after a swap (one builder at
    /// a time; the others wait for it rather than build it again).
    pub async fn portal(&self) -> Option<Arc<Portal>> {
        let (computed, version) = self.live.get_versioned()?;
        let mut slot = self.portal.lock().await;
        if let Some(p) = slot.as_ref().filter(|p| p.version >= version) {
            return Some(p.clone());
        }
        let boundaries: Vec<(i64, String)> = match self.store.boundaries().await {
            Ok(b) => b.into_iter().map(|b| (b.unit_id, b.geometry)).collect(),
            Err(e) => {
                tracing::warn!("boundaries not read, maps left out: {e}");
                Vec::new()
            }
        };
        let built = tokio::task::spawn_blocking(move || Portal::new(version, computed, &boundaries)).await.ok()?;
        let p = Arc::new(built);
        *slot = Some(p.clone());
        Some(p)
    }
}

/// The router over a store; `demo` shows the synthetic-data banner.
pub fn router(store: app::Store, demo: bool) -> Router {
    router_with(store, demo, Arc::new(app::LiveSnapshot::new()))
}

/// The router over a store and a snapshot kept fresh by [`watch_snapshot`].
pub fn router_with(store: app::Store, demo: bool, live: Arc<app::LiveSnapshot>) -> Router {
    router_for(AppState::new(store, demo, live))
}

pub fn router_for(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/jst/{code}", get(unit_page))
        .route("/wskaznik/{code}", get(indicator_page))
        .route("/obszar", get(areas_page))
        .route("/obszar/{code}", get(area_page))
        .route("/sugestie", get(suggestions))
        .route("/analiza", get(analysis_page))
        .route("/grupy", get(groups_page).post(groups_form))
        .route("/raport/{code}", get(report_page))
        .route(coverage::PATH, get(coverage_page))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics::page))
        .route("/favicon.ico", get(favicon_ico))
        .route("/favicon.svg", get(favicon_svg))
        .route("/static/{file}", get(layout::static_file))
        .nest("/api/v1", api::routes())
        .merge(auth::routes())
        .merge(admin::routes())
        .merge(audit_page::routes())
        .merge(campaign::routes())
        .merge(plan::routes())
        .merge(practice::routes())
        .merge(functional_area::routes())
        .merge(evaluate::routes())
        .merge(reorganisation::routes())
        .merge(exchange::routes())
        .merge(exchange_sheet::routes())
        .merge(survey::routes())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), while_starting))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn({
            let gate = state.gate.clone();
            move |req, next| server::guard(gate.clone(), req, next)
        }))
        // The request id, the log line and the counters of every request, refused ones too.
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::observe))
        // Outermost, so that every answer above gets the security headers: keep it last.
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::headers))
        .with_state(state)
}

/// The largest request body taken (the groups form is the only one): 64 KiB, room for
/// some 3,000 unit names; a larger one is answered 413.
pub const MAX_BODY: usize = 64 * 1024;

/// The paths every request cap and the start-up page let through: what an operator and a
/// load balancer ask of a node, cheap and never reading the database.
pub(crate) fn operator_path(path: &str) -> bool {
    matches!(path, "/health" | "/ready" | "/metrics")
}

/// Before the first snapshot is ready every request but `/health`, `/ready` and `/metrics` gets 503 with
/// `Retry-After` and `no-store`: an honest "computing" page (JSON under `/api/`), never a
/// page that says there is no data, and nothing a cache could keep.
async fn while_starting(State(state): State<Arc<AppState>>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if !state.starting.load(std::sync::atomic::Ordering::Acquire) || operator_path(req.uri().path()) {
        return next.run(req).await;
    }
    let uri = req.uri();
    let headers = [(header::RETRY_AFTER, HeaderValue::from_static("2")), (header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    if uri.path().starts_with("/api/") {
        let body = serde_json::json!({
            "code": "starting",
            "message": "Miernik is computing the indicators after a start; try again in a few seconds (Retry-After)",
        });
        return (StatusCode::SERVICE_UNAVAILABLE, headers, axum::Json(body)).into_response();
    }
    let l = L::from_query(uri.query());
    let frame = Frame { l, demo: state.demo, path: uri.path(), query: uri.query() };
    let body = html! {
        h1 { (l.t("Miernik liczy wskaźniki", "Miernik is computing the indicators")) }
        p role="status" { (l.t("Serwer właśnie wystartował i przelicza wskaźniki wszystkich jednostek. To trwa zwykle kilka sekund — strona odświeży się sama.",
                               "The server has just started and is computing the indicators of every unit. This usually takes a few seconds; the page will reload by itself.")) }
        p { a href=(l.href(&key(uri))) { (l.t("Odśwież teraz", "Reload now")) } }
    };
    let mut res = (
        StatusCode::SERVICE_UNAVAILABLE,
        headers,
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))],
        layout::page(&frame, l.t("Trwa liczenie", "Computing"), body),
    )
        .into_response();
    res.headers_mut().insert(header::REFRESH, HeaderValue::from_static("3"));
    res
}

/// The site's icon, kept by browsers for a week.
async fn favicon_ico() -> Response {
    static ICO: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let bytes = ICO.get_or_init(layout::favicon_ico).clone();
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/x-icon")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=604800")),
        ],
        bytes,
    )
        .into_response()
}

async fn favicon_svg() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=604800")),
        ],
        layout::FAVICON_SVG,
    )
        .into_response()
}

/// `ok`, and the snapshot's version (0 while the first one is being built): the process is
/// alive and answers, whatever the state of its snapshot or database.
async fn health(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-store")], format!("ok\nsnapshot {}\n", state.live.version()))
}

/// For a load balancer: 200 `ready` when the node has a snapshot in service (so it can answer
/// the portal's pages), else 503 with `Retry-After` — while the first snapshot is being
/// built, when there is none (no catalogue or data), and while the server shuts down. A
/// database outage does not make a node unready: it still serves what the snapshot answers.
async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let plain = (header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    let no_store = (header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if state.is_ready() {
        return (StatusCode::OK, [plain, no_store], format!("ready\nsnapshot {}\n", state.live.version())).into_response();
    }
    let why = if state.is_draining() {
        "draining: the server is shutting down"
    } else if state.starting.load(std::sync::atomic::Ordering::Acquire) {
        "starting: computing the first snapshot"
    } else {
        "no snapshot: import a catalogue and data"
    };
    (StatusCode::SERVICE_UNAVAILABLE, [plain, no_store, (header::RETRY_AFTER, HeaderValue::from_static("2"))], format!("not ready\n{why}\n"))
        .into_response()
}

/// Keeps `live` in step with the database: builds it now, then every `every` rebuilds it
/// if the import log has moved (an import by this or any other process). A failed build
/// is logged and the previous snapshot stays in service.
/// How often the server publishes approved answers whose day has come.
const PUBLISH_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

pub async fn watch_snapshot(store: app::Store, live: Arc<app::LiveSnapshot>, every: std::time::Duration) {
    watch(store, live, None, every).await
}

async fn watch(store: app::Store, live: Arc<app::LiveSnapshot>, state: Option<Arc<AppState>>, every: std::time::Duration) {
    watch_from(store, live, state, every, None).await
}

/// [`watch`], which after its first build ends (built or nothing to build) lets the pages
/// answer and prints `ready` (the address it serves) on the terminal.
async fn watch_from(
    store: app::Store,
    live: Arc<app::LiveSnapshot>,
    state: Option<Arc<AppState>>,
    every: std::time::Duration,
    mut ready: Option<String>,
) {
    // Approved questionnaire answers whose publication day has come become observations here
    // (as `system`; on several nodes the store lets exactly one of them publish each answer),
    // checked at start and then once a minute; the import then moves the snapshot as any does.
    let publisher = store.acting_as(app::audit::Actor::system());
    let mut published_at: Option<std::time::Instant> = None;
    let mut listener: Option<app::ChangeListener> = None;
    loop {
        if published_at.is_none_or(|t| t.elapsed() >= PUBLISH_EVERY) {
            published_at = Some(std::time::Instant::now());
            match app::campaigns::publish_due(&publisher, app::campaigns::today()).await {
                Ok(imports) if !imports.is_empty() => tracing::info!(?imports, "approved questionnaire answers published"),
                Ok(_) => {}
                Err(e) => tracing::warn!("questionnaire answers not published: {e}"),
            }
        }
        match live.refresh_if_changed(&store).await {
            Ok(Some(v)) => {
                tracing::info!(version = v, "indicator snapshot rebuilt");
                // Columnar records missing or stale (a database from before them) are written
                // now, so the next build reads records, not rows; cheap when none are.
                let writer = store.clone();
                tokio::spawn(async move {
                    match writer.rebuild_stale_columns().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(records = n, "columnar records of observations written"),
                        Err(e) => tracing::warn!("columnar records not written: {e}"),
                    }
                });
                // Prepare the pages' view now, not on the first request.
                if let Some(s) = &state
                    && let Some(p) = s.portal().await
                {
                    // And the typology ranks of the newest year, which unit cards read first.
                    let _ = tokio::task::spawn_blocking(move || {
                        let snap = &p.c.snapshot;
                        if let (Some(t), Some(y)) = (snap.partition_index("typology"), snap.years().checked_sub(1)) {
                            p.rank_index(t, y);
                        }
                    })
                    .await;
                }
            }
            Ok(None) => {}
            // No catalogue or no data yet is normal for a fresh database.
            Err(why @ (app::AppError::NotFound(_) | app::AppError::NoCatalogue)) => tracing::debug!("no indicator snapshot yet: {why}"),
            Err(e) => tracing::warn!("indicator snapshot not rebuilt: {e}"),
        }
        // The private view (approved, unpublished values): over a new public snapshot, and when
        // the pending version moves (an approval or publication here or on another node).
        match live.refresh_private_if_changed(&store).await {
            Ok(true) => tracing::debug!("private view rebuilt"),
            Ok(false) => {}
            Err(e) => tracing::warn!("private view not rebuilt: {e}"),
        }
        if let Some(addr) = ready.take() {
            if let Some(s) = &state {
                s.starting.store(false, std::sync::atomic::Ordering::Release);
            }
            let computed = live.get().map(|c| (c.snapshot.indicator_count(), c.snapshot.units()));
            match computed {
                Some((indicators, units)) => eprintln!(
                    "Miernik gotowy / ready: {addr}  (wskaźniki / indicators: {indicators}, jednostki / units: {units}) — Ctrl-C zatrzymuje / Ctrl-C to stop"
                ),
                None => eprintln!(
                    "Miernik gotowy / ready: {addr}  (brak wskaźników: zaimportuj katalog i dane / no indicators yet: import a catalogue and data) — Ctrl-C zatrzymuje / Ctrl-C to stop"
                ),
            }
        }
        wait_for_change(&store, &live, &mut listener, every).await;
    }
}

/// Waits until the data may have changed: a notice from the database (PostgreSQL's
/// LISTEN/NOTIFY; SQLite's data version, polled ten times a second), a write on this node
/// ([`app::LiveSnapshot::wake`]), or `every` at the latest (notices can be lost with a
/// connection). A listener that failed is made again on the next wait.
async fn wait_for_change(store: &app::Store, live: &app::LiveSnapshot, listener: &mut Option<app::ChangeListener>, every: std::time::Duration) {
    if listener.is_none() {
        match store.change_listener().await {
            Ok(l) => *listener = Some(l),
            Err(e) => tracing::debug!("no change listener, polling every {} s: {e}", every.as_secs()),
        }
    }
    let mut lost = false;
    match listener.as_mut() {
        Some(l) => tokio::select! {
            r = l.changed() => {
                if let Err(e) = r {
                    tracing::warn!("change listener lost, made again at the next wait: {e}");
                    lost = true;
                }
            }
            _ = tokio::time::sleep(every) => {}
            _ = live.woken() => {}
        },
        None => tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = live.woken() => {}
        },
    }
    if lost {
        *listener = None;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// Serves the portal until Ctrl-C or SIGTERM, within [`server::Limits::default`]; then
/// drains (see [`serve_on`]).
pub async fn serve(store: app::Store, addr: &str, options: ServeOptions) -> std::io::Result<()> {
    let demo = app::is_demo(&store).await.unwrap_or(false);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| bind_error(addr, e))?;
    let url = format!("http://{}", listener.local_addr().map(|a| a.to_string()).unwrap_or_else(|_| addr.to_owned()));
    eprintln!("Miernik: liczę wskaźniki, portal ruszy za chwilę / computing the indicators, the portal starts in a moment: {url}");
    let live = Arc::new(app::LiveSnapshot::new());
    let state = AppState::with_options(store.clone(), demo, live.clone(), options);
    state.starting.store(true, std::sync::atomic::Ordering::Release);
    tokio::spawn(watch_from(store, live, Some(state.clone()), std::time::Duration::from_secs(5), Some(url)));
    serve_on(listener, state.clone(), router_for(state), server::Limits::default(), server::shutdown_signal()).await
}

/// Serves `router` (made by [`router_for`] over `state`, perhaps with more routes) on
/// `listener` until `shutdown` resolves; then `/ready` answers 503, and after the
/// options' `shutdown_delay` (still serving meanwhile) no new connection is taken and the
/// requests in progress finish, for at most [`server::DRAIN_TIMEOUT`] (or the request
/// timeout, if shorter).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    router: Router,
    limits: server::Limits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let draining = state.clone();
    let result = server::run(listener, router, limits, async move {
        shutdown.await;
        draining.start_draining();
        let delay = draining.options.shutdown_delay;
        if !delay.is_zero() {
            tracing::info!(seconds = delay.as_secs_f64(), "stopping: not ready, still serving until the load balancer notices");
            // A second signal stops waiting.
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = server::shutdown_signal() => {}
            }
        }
        tracing::info!("shutting down: no new connections, finishing the requests in progress");
    })
    .await;
    tracing::info!("stopped");
    result
}

/// A bind failure that names the address and what to do about it.
fn bind_error(addr: &str, e: std::io::Error) -> std::io::Error {
    let hint = match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "adres {addr} jest zajęty (działa tam inny program, może inny Miernik); wybierz inny, np. --addr 127.0.0.1:8081 / address {addr} is in use (another program, perhaps another Miernik, listens there); choose another, e.g. --addr 127.0.0.1:8081"
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "brak uprawnień do adresu {addr} (porty poniżej 1024 wymagają uprawnień); wybierz np. --addr 127.0.0.1:8080 / no permission to listen on {addr} (ports below 1024 need privileges); choose e.g. --addr 127.0.0.1:8080"
        ),
        std::io::ErrorKind::AddrNotAvailable => format!(
            "adres {addr} nie należy do tego komputera; wybierz np. --addr 127.0.0.1:8080 albo --addr 0.0.0.0:8080 / address {addr} is not one of this machine's; choose e.g. --addr 127.0.0.1:8080 or --addr 0.0.0.0:8080"
        ),
        _ => format!("nie mogę nasłuchiwać na {addr} / cannot listen on {addr}: {e}; wybierz inny adres --addr / choose another --addr"),
    };
    std::io::Error::new(e.kind(), hint)
}

fn today() -> model::Date {
    time::OffsetDateTime::now_utc().date()
}

/// The cache key of a request: its path and query.
fn key(uri: &Uri) -> String {
    uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| uri.path().to_owned())
}

/// A page from the cache, when this version has it. Pages for a reader with groups of
/// their own (which the pages offer) are never shared.
fn cached(state: &AppState, portal: Option<&Portal>, uri: &Uri, headers: &HeaderMap) -> Option<Response> {
    let p = portal.filter(|_| !groups::personal(headers))?;
    state.cache.get(p.version, &key(uri)).map(|page| page.respond_as(headers, sharing(uri, headers)))
}

/// Who may keep the page at `uri` for a request with `headers`: the pages that offer the
/// reader's own groups (the card, the indicator page, the table builder) are private when
/// the reader has groups and vary by cookie when not; the rest are the same for everyone.
fn sharing(uri: &Uri, headers: &HeaderMap) -> cache::Sharing {
    let path = uri.path();
    let offers_groups = path.starts_with("/jst/") || path.starts_with("/wskaznik/") || path == "/analiza";
    match (offers_groups, groups::personal(headers)) {
        (false, _) => cache::Sharing::Public,
        (true, false) => cache::Sharing::PublicPerCookie,
        (true, true) => cache::Sharing::Private,
    }
}

/// Frames a rendered page (or its error) and answers; a page of a snapshot version is kept
/// in the cache.
fn finish(state: &AppState, portal: Option<&Portal>, uri: &Uri, headers: &HeaderMap, rendered: Result<(String, Markup), PageError>) -> Response {
    let l = L::from_query(uri.query());
    let frame = Frame { l, demo: state.demo, path: uri.path(), query: uri.query() };
    match rendered {
        Ok((title, body)) => {
            let html = layout::page(&frame, &title, body);
            let modified = portal.map(|p| p.built).unwrap_or_else(std::time::SystemTime::now);
            let page = Arc::new(CachedPage::new(html, "text/html; charset=utf-8", modified));
            if let Some(p) = portal.filter(|_| !groups::personal(headers)) {
                state.cache.put(p.version, key(uri), page.clone());
            }
            page.respond_as(headers, sharing(uri, headers))
        }
        Err(e) => error_page(&frame, e),
    }
}

fn error_page(frame: &Frame<'_>, e: PageError) -> Response {
    let l = frame.l;
    let (status, title, body) = match e {
        PageError::NotFound => (
            StatusCode::NOT_FOUND,
            l.t("Nie znaleziono strony", "Page not found"),
            html! {
                h1 { (l.t("Nie znaleziono strony", "Page not found")) }
                p { (l.t("Nie ma takiej jednostki, wskaźnika ani strony. Sprawdź adres albo wyszukaj jednostkę.", "There is no such unit, indicator or page. Check the address or search for a unit.")) }
                p { a href=(l.href("/")) { (l.t("Wyszukaj jednostkę", "Search for a unit")) } " · " a href=(l.href("/obszar")) { (l.t("Obszary i wskaźniki", "Areas and indicators")) } }
            },
        ),
        PageError::BadRequest(what) => (
            StatusCode::BAD_REQUEST,
            l.t("Nieprawidłowy adres", "Bad request"),
            html! {
                h1 { (l.t("Nieprawidłowy adres", "Bad request")) }
                p { (l.t("Tego parametru strona nie przyjmuje: ", "The page does not take this parameter: ")) code { (what) } }
                p { a href=(l.href("/")) { (l.t("Wróć na stronę główną", "Back to the home page")) } }
            },
        ),
        PageError::Busy => {
            let mut res = (
                StatusCode::SERVICE_UNAVAILABLE,
                [
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                    (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
                ],
                layout::page(
                    frame,
                    l.t("Serwer jest zajęty", "The server is busy"),
                    html! { h1 { (l.t("Serwer jest zajęty", "The server is busy")) } p { (l.t(error::BUSY_PL, error::BUSY_EN)) } },
                ),
            )
                .into_response();
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
            return res;
        }
        PageError::Server(detail) => {
            tracing::error!("{detail}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                l.t("Błąd serwera", "Server error"),
                html! { h1 { (l.t("Błąd serwera", "Server error")) } p { (l.t("Spróbuj ponownie za chwilę.", "Please try again in a moment.")) } },
            )
        }
    };
    (
        status,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store")), (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))],
        layout::page(frame, title, body),
    )
        .into_response()
}

fn bad_query(uri: &Uri, state: &AppState, why: &str) -> Response {
    let l = L::from_query(uri.query());
    error_page(&Frame { l, demo: state.demo, path: uri.path(), query: uri.query() }, PageError::BadRequest(why.to_owned()))
}

#[derive(Deserialize)]
struct HomeQuery {
    q: Option<String>,
}

async fn home(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap, q: Result<Query<HomeQuery>, QueryRejection>) -> Response {
    let Ok(Query(q)) = q else {
        return bad_query(&uri, &state, "q");
    };
    let portal = state.portal().await;
    if let Some(r) = cached(&state, portal.as_deref(), &uri, &headers) {
        return r;
    }
    let l = L::from_query(uri.query());
    let query = q.q.unwrap_or_default();
    let query = query.trim();
    let results = if query.is_empty() {
        None
    } else {
        let filter = app::UnitFilter { search: Some(query.to_owned()), ..app::UnitFilter::default() };
        match app::list_units(&state.store, today(), &filter).await {
            Ok(u) => Some(u),
            Err(e) => return finish(&state, None, &uri, &headers, Err(PageError::from(e))),
        }
    };
    // A code or name that names exactly one unit goes straight to its card.
    if let Some([only]) = results.as_deref() {
        return Redirect::to(&l.href(&format!("/jst/{}", only.code))).into_response();
    }
    let page = home::render(l, portal.as_deref(), query, results.as_deref());
    finish(&state, portal.as_deref(), &uri, &headers, Ok(page))
}

#[derive(serde::Serialize)]
struct Suggestion {
    code: String,
    name: String,
    kind: &'static str,
    /// Kind, powiat and województwo in words: what tells same-named units apart.
    place: String,
    powiat: Option<String>,
    wojewodztwo: Option<String>,
}

/// Up to 10 units matching `q`, best first, as JSON (the search box's suggestions).
async fn suggestions(State(state): State<Arc<AppState>>, uri: Uri, q: Result<Query<HomeQuery>, QueryRejection>) -> Response {
    let Ok(Query(q)) = q else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"code": "bad_request", "message": "q: invalid query string", "parameter": "q"})),
        )
            .into_response();
    };
    let l = L::from_query(uri.query());
    let text = q.q.unwrap_or_default();
    if text.trim().chars().count() < 2 || text.len() > 100 {
        return axum::Json(Vec::<Suggestion>::new()).into_response();
    }
    let filter = app::UnitFilter { search: Some(text.trim().to_owned()), ..app::UnitFilter::default() };
    match app::list_units(&state.store, today(), &filter).await {
        Ok(units) => {
            let list: Vec<Suggestion> = units
                .into_iter()
                .take(10)
                .map(|u| {
                    let named = |k: &dyn Fn(model::UnitKind) -> bool| u.ancestors.iter().find(|a| k(a.kind)).map(|a| a.name.clone());
                    Suggestion {
                        name: layout::heading_name(l, &u.name, u.kind),
                        kind: l.kind(u.kind),
                        place: home::place_words(l, u.kind, &u.ancestors),
                        powiat: named(&|k| matches!(k, model::UnitKind::Powiat | model::UnitKind::MiastoNaPrawachPowiatu)),
                        wojewodztwo: named(&|k| k == model::UnitKind::Wojewodztwo),
                        code: u.code.as_str().to_owned(),
                    }
                })
                .collect();
            ([(header::CACHE_CONTROL, "public, max-age=60")], axum::Json(list)).into_response()
        }
        Err(e) if matches!(e, app::AppError::Busy) || error::db_unreachable(&e) => {
            tracing::warn!("suggestions: {e}");
            server::unavailable(
                "/sugestie",
                "busy",
                "Baza danych jest zajęta lub niedostępna, spróbuj za chwilę",
                "the database is busy or unavailable, try again in a moment",
            )
        }
        Err(e) => {
            tracing::error!("suggestions: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(serde_json::json!({"code": "server_error", "message": "try again"}))).into_response()
        }
    }
}

async fn unit_page(
    State(state): State<Arc<AppState>>,
    ctx: auth::Ctx,
    uri: Uri,
    headers: HeaderMap,
    code: Result<Path<String>, PathRejection>,
    query: Result<Query<unit::UnitQuery>, QueryRejection>,
) -> Response {
    // Those allowed to read the unit's unpublished values get the private view's card.
    if let (Ok(Path(c)), Ok(Query(q))) = (&code, &query)
        && let Ok(c) = TerytCode::parse_lenient(c)
        && let Some(r) = unit::private_card(&state, &ctx, &c, q, &groups::from_headers(&headers)).await
    {
        return r;
    }
    let portal = state.portal().await;
    if let Some(r) = cached(&state, portal.as_deref(), &uri, &headers) {
        return r;
    }
    let Ok(Query(query)) = query else {
        return bad_query(&uri, &state, "rok, grupa");
    };
    let code = match code.ok().and_then(|Path(c)| TerytCode::parse_lenient(&c).ok()) {
        Some(c) => c,
        None => return finish(&state, None, &uri, &headers, Err(PageError::NotFound)),
    };
    let l = L::from_query(uri.query());
    let rendered = match app::unit_card(&state.store, &code, today()).await {
        Ok(card) => unit::render(&state.store, portal.as_deref(), l, &card, &query, &groups::from_headers(&headers)).await,
        Err(app::AppError::NotFound(_)) => Err(PageError::NotFound),
        Err(e) => Err(PageError::from(e)),
    };
    finish(&state, portal.as_deref(), &uri, &headers, rendered)
}

async fn indicator_page(
    State(state): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
    code: Result<Path<String>, PathRejection>,
    query: Result<Query<indicator::IndicatorQuery>, QueryRejection>,
) -> Response {
    let portal = state.portal().await;
    if let Some(r) = cached(&state, portal.as_deref(), &uri, &headers) {
        return r;
    }
    let Ok(Query(query)) = query else {
        return bad_query(&uri, &state, "jst, grupa, rok, sort, klasy, poziom");
    };
    let (Ok(Path(code)), Some(p)) = (code, portal.as_deref()) else {
        return finish(&state, None, &uri, &headers, Err(PageError::NotFound));
    };
    let l = L::from_query(uri.query());
    let rendered = indicator::render(&state.store, p, l, &code, &query, &groups::from_headers(&headers)).await;
    finish(&state, Some(p), &uri, &headers, rendered)
}

async fn areas_page(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let portal = state.portal().await;
    if let Some(r) = cached(&state, portal.as_deref(), &uri, &headers) {
        return r;
    }
    let l = L::from_query(uri.query());
    let rendered = match portal.as_deref() {
        Some(p) => Ok(area::index(p, l)),
        None => Err(PageError::NotFound),
    };
    finish(&state, portal.as_deref(), &uri, &headers, rendered)
}

async fn area_page(
    State(state): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
    code: Result<Path<String>, PathRejection>,
    query: Result<Query<area::AreaQuery>, QueryRejection>,
) -> Response {
    let portal = state.portal().await;
    if let Some(r) = cached(&state, portal.as_deref(), &uri, &headers) {
        return r;
    }
    let Ok(Query(query)) = query else {
        return bad_query(&uri, &state, "jst");
    };
    let (Ok(Path(code)), Some(p)) = (code, portal.as_deref()) else {
        return finish(&state, None, &uri, &headers, Err(PageError::NotFound));
    };
    let l = L::from_query(uri.query());
    let rendered = area::render(p, l, &code, &query);
    finish(&state, Some(p), &uri, &headers, rendered)
}

async fn analysis_page(
    State(state): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<analysis::AnalysisQuery>, QueryRejection>,
) -> Response {
    let portal = state.portal().await;
    if let Some(r) = cached(&state, portal.as_deref(), &uri, &headers) {
        return r;
    }
    let Ok(Query(query)) = query else {
        return bad_query(&uri, &state, "wskazniki, jst, grupa, lata, kolumny");
    };
    let Some(p) = portal.as_deref() else {
        return finish(&state, None, &uri, &headers, Err(PageError::NotFound));
    };
    let l = L::from_query(uri.query());
    let mine = groups::from_headers(&headers);
    let rendered = analysis::render(&state.store, p, l, &query, &mine, uri.query()).await;
    finish(&state, Some(p), &uri, &headers, rendered)
}

async fn groups_page(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let portal = state.portal().await;
    groups::get(L::from_query(uri.query()), portal.as_deref(), &headers, state.demo)
}

async fn groups_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<axum::Form<groups::GroupForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = match form {
        Ok(axum::Form(f)) => f,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let l = L { en: false };
            let frame = Frame { l, demo: state.demo, path: "/grupy", query: None };
            let body = html! {
                h1 { "Za duży formularz / The form is too large" }
                p { "Formularz grupy może mieć najwyżej " (MAX_BODY / 1024) " KiB (około " (groups::MAX_MEMBERS) " jednostek). Większe grupy zapisuje " code { "miernik group save" } "." }
                p lang="en" { "A group form may be at most " (MAX_BODY / 1024) " KiB (about " (groups::MAX_MEMBERS) " units). Larger groups are saved with " code { "miernik group save" } "." }
                p { a href="/grupy" { "Wróć do grup / Back to the groups" } }
            };
            let page = layout::page(&frame, "Za duży formularz / The form is too large", body);
            return (StatusCode::PAYLOAD_TOO_LARGE, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], page)
                .into_response();
        }
        Err(_) => groups::GroupForm::default(),
    };
    let portal = state.portal().await;
    let demo = state.demo;
    // Names are looked up and the page drawn off the async workers.
    match tokio::task::spawn_blocking(move || groups::post(portal.as_deref(), &headers, form, demo)).await {
        Ok(res) => res,
        Err(_) => {
            server::unavailable("/grupy", "failed", "Nie udało się zapisać grupy, spróbuj jeszcze raz", "the group could not be saved, try again")
        }
    }
}

async fn report_page(
    State(state): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
    code: Result<Path<String>, PathRejection>,
    query: Result<Query<report::ReportQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return bad_query(&uri, &state, "rok, grupa, format");
    };
    let portal = state.portal().await;
    let (Some(p), Some(code)) = (portal.as_deref(), code.ok().and_then(|Path(c)| TerytCode::parse_lenient(&c).ok())) else {
        return finish(&state, None, &uri, &headers, Err(PageError::NotFound));
    };
    let l = L::from_query(uri.query());
    match report::build(&state.store, p, l, &code, query.rok.as_deref(), query.grupa.as_deref(), state.demo).await {
        Ok(r) => match query.format.as_deref() {
            Some("pdf") => {
                let bytes = report::pdf(&r);
                let name = format!("attachment; filename=\"raport-{}-{}.pdf\"", code.as_str(), r.year);
                (
                    [
                        (header::CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
                        (header::CONTENT_DISPOSITION, HeaderValue::from_str(&name).unwrap_or(HeaderValue::from_static("attachment"))),
                    ],
                    bytes,
                )
                    .into_response()
            }
            None | Some("html") | Some("") => cache::respond_uncached(report::html(&r), "text/html; charset=utf-8", &headers),
            Some(other) => bad_query(&uri, &state, &format!("format={other}")),
        },
        Err(e) => finish(&state, Some(p), &uri, &headers, Err(e)),
    }
}

/// `/pokrycie`: the data coverage of every indicator (without a snapshot, counted from the
/// catalogue and the register: every indicator empty).
async fn coverage_page(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let portal = state.portal().await;
    if let Some(r) = cached(&state, portal.as_deref(), &uri, &headers) {
        return r;
    }
    let l = L::from_query(uri.query());
    let rendered = coverage::render(&state.store, portal.as_deref(), l).await;
    finish(&state, portal.as_deref(), &uri, &headers, rendered)
}

async fn not_found(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    finish(&state, None, &uri, &headers, Err(PageError::NotFound))
}

/// The unit card's whole HTML, rendered as a request for `/jst/{code}?grupa=…` would be
/// (without the cache): what `miernik bench pages` times.
pub async fn render_unit_card(store: &app::Store, portal: &Portal, card: &app::UnitCard, grupa: Option<&str>, demo: bool) -> Result<String, String> {
    let l = L::PL;
    let query = unit::UnitQuery { grupa: grupa.map(str::to_owned), rok: None, obszar: None };
    let path = format!("/jst/{}", card.unit.code);
    let frame = Frame { l, demo, path: &path, query: None };
    match unit::render(store, Some(portal), l, card, &query, &[]).await {
        Ok((title, body)) => Ok(layout::page(&frame, &title, body)),
        Err(e) => Err(format!("{e:?}")),
    }
}
