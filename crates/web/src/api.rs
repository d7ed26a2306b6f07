//! The JSON API under `/api/v1`: wire types (kept apart from the domain's), handlers, and
//! the OpenAPI 3.1 document generated from them by utoipa. Every answer is JSON (or the
//! export asked for); errors are `{code, message, parameter}` with a 4xx status; GET is open
//! to every origin (CORS) and answers carry an ETag, so a repeated request costs a 304.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use model::{Flag, TerytCode, UnitKind};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::AppState;
use crate::portal::Portal;

/// The most items one page of a listing may hold, and of cells one page of data.
pub const MAX_LIMIT: usize = 1000;
pub const MAX_DATA_LIMIT: usize = 10_000;
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// Rows of one Excel sheet, the header's included.
const XLSX_ROWS: usize = 1_048_576;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Miernik API",
        version = "1",
        description = "Wskaźniki usług publicznych jednostek samorządu terytorialnego: jednostki, wskaźniki, dane (wskaźniki × jednostki × lata), porównania z grupą, najbliżsi sąsiedzi statystyczni i zmiany od daty. / Indicators of the public services of Polish local governments: units, indicators, data (indicators × units × years), comparisons with a group, statistical nearest neighbours and changes since a date.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later")
    ),
    paths(units, unit, indicators, indicator, areas, data, compare, peers, nearest, groups, changes,
        crate::practice::api_practices,
        crate::plan::api_plan,
        crate::functional_area::api_functional_areas, crate::functional_area::api_functional_area,
        crate::evaluate::evaluation, crate::reorganisation::reorganisations,
        crate::exchange::api_cycles, crate::survey::api_list, crate::survey::api_comparison),
    tags(
        (name = "units", description = "Jednostki terytorialne / Territorial units"),
        (name = "indicators", description = "Katalog wskaźników / The indicator catalogue"),
        (name = "data", description = "Wartości i porównania / Values and comparisons"),
        (name = "changes", description = "Zmiany od daty / Changes since a date")
    )
)]
pub struct ApiDoc;

/// The routes under `/api/v1`.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/units", get(units))
        .route("/units/{code}", get(unit))
        .route("/units/{code}/peers", get(peers))
        .route("/units/{code}/nearest", get(nearest))
        .route("/indicators", get(indicators))
        .route("/indicators/{code}", get(indicator))
        .route("/areas", get(areas))
        .route("/data", get(data))
        .route("/compare", get(compare))
        .route("/groups", get(groups))
        .route("/changes", get(changes))
        .merge(crate::practice::api_routes())
        .merge(crate::plan::api_routes())
        .merge(crate::functional_area::api_routes())
        .merge(crate::evaluate::api_routes())
        .merge(crate::reorganisation::api_routes())
        .merge(crate::exchange::api_routes())
        .merge(crate::survey::api_routes())
        .fallback(api_not_found)
        .layer(axum::middleware::from_fn(cors))
}

/// The OpenAPI document, made once.
pub fn openapi_text() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let doc = serde_json::to_value(ApiDoc::openapi()).map(finish);
        doc.and_then(|d| serde_json::to_string_pretty(&d)).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    })
}

/// What utoipa's attributes cannot say, added to its document: the `@…` patterns, the
/// headers of every answer (ETag, Cache-Control; Content-Disposition of downloads), the 304
/// of a current If-None-Match, the 400 of an unknown or repeated parameter, the 414 of
/// hyper (which takes at most 64 KiB of address), and every
/// property of the answers' objects as required (each is always written, `null` when it
/// has no value; the JSON-stat dataset's `status` only when a cell is flagged).
fn finish(mut doc: Value) -> Value {
    fn patterns(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (k, x) in map.iter_mut() {
                    match x {
                        Value::String(m) if k == "pattern" && m.starts_with('@') => {
                            *x = Value::String(pattern(m).unwrap_or_else(|| panic!("no pattern {m}")));
                        }
                        _ => patterns(x),
                    }
                }
            }
            Value::Array(list) => list.iter_mut().for_each(patterns),
            _ => {}
        }
    }
    patterns(&mut doc);
    let header = |description: &str| json!({"description": description, "schema": {"type": "string"}});
    doc["components"]["headers"] = json!({
        "ETag": header("The answer's tag: send it back in If-None-Match to get a 304 while the answer is the same."),
        "Cache-Control": header("`public, max-age=60` for answers, `no-store` for errors."),
        "Content-Disposition": header("Downloads (format csv, csv-pl, xlsx, jsonstat): `attachment; filename=\"miernik-dane-DATE.EXT\"`."),
    });
    let reference = |name: &str| json!({"$ref": format!("#/components/headers/{name}")});
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            let Some(op) = item.get_mut("get") else { continue };
            let has_params = op.get("parameters").and_then(Value::as_array).is_some_and(|p| !p.is_empty());
            let responses = &mut op["responses"];
            let mut headers = json!({"ETag": reference("ETag"), "Cache-Control": reference("Cache-Control")});
            if path == "/api/v1/data" {
                headers["Content-Disposition"] = reference("Content-Disposition");
                // A binary file: OpenAPI 3.1 gives it no schema.
                responses["200"]["content"][XLSX_TYPE] = json!({});
            }
            responses["200"]["headers"] = headers;
            responses["304"] = json!({
                "description": "Bez zmian / Not modified: the If-None-Match tag is the answer's current one",
                "headers": {"ETag": reference("ETag")},
            });
            if has_params {
                responses["414"] = json!({"description": "Za długi adres / URI too long: over 64 KiB, refused by the HTTP server before the API reads it (no body)"});
            }
            if has_params && responses.get("400").is_none() {
                responses["400"] = json!({
                    "description": "Zły parametr / Bad parameter",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiErrorBody"}}},
                });
            }
            for (status, r) in responses.as_object_mut().into_iter().flatten() {
                if status != "200" && status != "304" && status != "414" {
                    r["headers"] = json!({"Cache-Control": reference("Cache-Control")});
                }
            }
        }
    }
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        for (name, schema) in schemas.iter_mut() {
            let Some(props) = schema.get("properties").and_then(Value::as_object) else { continue };
            let required: Vec<Value> =
                props.keys().filter(|k| !(name == "JsonStatDataset" && *k == "status")).map(|k| Value::String(k.clone())).collect();
            schema["required"] = Value::Array(required);
        }
    }
    doc
}

async fn openapi_json(headers: HeaderMap) -> Response {
    respond_bytes(&headers, openapi_text().as_bytes().to_vec(), "application/json", None)
}

/// CORS for the API's GETs: any origin may read; a preflight gets its answer here.
async fn cors(req: Request, next: Next) -> Response {
    let preflight = req.method() == Method::OPTIONS;
    let mut res = if preflight { StatusCode::NO_CONTENT.into_response() } else { next.run(req).await };
    let h = res.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("ETag, Content-Disposition"));
    if preflight {
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, HEAD, OPTIONS"));
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("If-None-Match, Accept, Accept-Language"));
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
    }
    res
}

// ---------------------------------------------------------------- errors

/// An error: what went wrong and, for a bad request, which parameter.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorBody {
    /// `bad_parameter`, `not_found`, `not_ready`, `busy` or `server_error`.
    pub code: String,
    pub message: String,
    /// The parameter at fault, when one is.
    pub parameter: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ApiErrorBody,
}

impl ApiError {
    pub fn bad(parameter: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            body: ApiErrorBody { code: "bad_parameter".into(), message: message.into(), parameter: Some(parameter.to_owned()) },
        }
    }

    pub fn not_found(parameter: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            body: ApiErrorBody { code: "not_found".into(), message: message.into(), parameter: Some(parameter.to_owned()) },
        }
    }

    fn not_ready() -> ApiError {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            body: ApiErrorBody {
                code: "not_ready".into(),
                message: "no indicator snapshot yet: import a catalogue and data, or wait for the build".into(),
                parameter: None,
            },
        }
    }

    /// The database had no free connection in time: 503 with `Retry-After`.
    pub fn busy() -> ApiError {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            body: ApiErrorBody {
                code: "busy".into(),
                message: "Baza danych jest zajęta, spróbuj za chwilę / the database is busy, try again in a moment (Retry-After)".into(),
                parameter: None,
            },
        }
    }

    fn server(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!("api: {detail}");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            body: ApiErrorBody { code: "server_error".into(), message: "try again in a moment".into(), parameter: None },
        }
    }

    /// An app error about `parameter`: not found → 404, invalid → 400, else 500.
    fn app(parameter: &str, e: app::AppError) -> ApiError {
        match e {
            app::AppError::NotFound(m) => ApiError::not_found(parameter, m),
            e @ (app::AppError::NoCustomGroup { .. } | app::AppError::NoCatalogue) => {
                ApiError::not_found(parameter, crate::i18n::L { en: true }.describe(&e))
            }
            app::AppError::Invalid(m) => ApiError::bad(parameter, m),
            app::AppError::Busy => ApiError::busy(),
            e => ApiError::server(e),
        }
    }
}

impl From<app::query::QueryError> for ApiError {
    fn from(e: app::query::QueryError) -> ApiError {
        ApiError::bad(e.parameter, e.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body).unwrap_or_default();
        let mut res = (self.status, [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        res
    }
}

type ApiResult = Result<Response, ApiError>;

/// The query string's parameters, or a 400 naming the one that is not taken (unknown or
/// repeated); `query` for a parameter without a name (`?=x`).
fn params<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(t)| t).map_err(|e| {
        let text = e.body_text();
        let detail = text.strip_prefix("Failed to deserialize query string: ").unwrap_or(&text).trim_start_matches(": ");
        match detail.split('`').nth(1).filter(|p| !p.is_empty()) {
            Some(parameter) => ApiError::bad(parameter, detail),
            None => ApiError::bad("query", detail.replace("unknown field ``", "a parameter without a name")),
        }
    })
}

fn path_param(p: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    p.map(|Path(s)| s).map_err(|e| ApiError::bad("code", e.body_text()))
}

/// An optional free-text parameter: absent or blank is none.
fn text(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A free-text parameter of at most `max` characters (as the document's `maxLength` counts
/// them: code points); blank is none.
fn free<'a>(v: &'a Option<String>, parameter: &str, max: usize) -> Result<Option<&'a str>, ApiError> {
    match v.as_deref() {
        Some(s) if s.chars().count() > max => Err(ApiError::bad(parameter, format!("{} characters, at most {max}", s.chars().count()))),
        _ => Ok(text(v)),
    }
}

/// A text of the small query language of `/api/v1/data` (`indicators`, `units`, `years`):
/// at most `max` characters of the pattern `@query` - ASCII, so that even the longest fits
/// the 64 KiB the HTTP server takes in an address; blank is none.
fn query_text<'a>(v: &'a Option<String>, parameter: &str, max: usize) -> Result<Option<&'a str>, ApiError> {
    let t = free(v, parameter, max)?;
    if let Some(c) = v.as_deref().and_then(|s| s.chars().find(|&c| !(c.is_ascii_alphanumeric() || "_:, -".contains(c)))) {
        return Err(ApiError::bad(
            parameter,
            format!("{c:?} is not taken: codes and words of letters, digits, `_`, `:` and `-`, separated by commas"),
        ));
    }
    Ok(t)
}

/// A parameter the document constrains (a pattern, an enum, a number): given, it is taken
/// as it is - an empty value or one with spaces is refused, not read as absent.
fn exact<'a>(v: &'a Option<String>, parameter: &str, what: &str) -> Result<Option<&'a str>, ApiError> {
    match v.as_deref() {
        Some("") => Err(ApiError::bad(parameter, format!("empty: give {what}, or leave `{parameter}` out"))),
        other => Ok(other),
    }
}

/// A whole number from `min` to `max` (plain digits), or `default` when absent.
fn int(v: &Option<String>, parameter: &str, default: usize, min: usize, max: usize) -> Result<usize, ApiError> {
    let what = format!("a whole number from {min} to {max}");
    match exact(v, parameter, &what)? {
        None => Ok(default),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if s.bytes().all(|b| b.is_ascii_digit()) && (min..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::bad(parameter, format!("`{}`: {what}", clip(s)))),
        },
    }
}

/// One of `allowed`, or none when absent.
fn choice<'a>(v: &'a Option<String>, parameter: &str, allowed: &[&str]) -> Result<Option<&'a str>, ApiError> {
    let what = format!("one of {}", allowed.join(", "));
    match exact(v, parameter, &what)? {
        Some(s) if !allowed.contains(&s) => Err(ApiError::bad(parameter, format!("`{}`: {what}", clip(s)))),
        other => Ok(other),
    }
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

/// TERYT codes as the API takes them: `PL`, a województwo (2 digits, even, 02-32), a powiat
/// (4) or a gmina (7, ending in its type digit), or BDL's 7-digit padded forms (`0000000`,
/// `0200000`, `0201000`) - what [`unit_code`] takes.
const TERYT_RE: &str = "([Pp][Ll]|0000000|(0[2468]|1[02468]|2[02468]|3[02])(00000|(0[1-9]|[1-9][0-9])(000|(0[1-9]|[1-9][0-9])[1234589])?)?)";
/// The group names [`group_param`] takes besides `custom:` and `list:`.
const GROUP_NAMES: [&str; 11] =
    ["country", "kraj", "wojewodztwo", "typology", "typologia", "neighbours", "sasiedzi", "sąsiedzi", "nearest", "najblizsi", "najbliżsi"];

/// The patterns of the document, each named by a marker in the parameters' `pattern = "@…"`
/// (utoipa takes only a literal there): `@teryt`, `@indicator`, `@query`, `@group`.
pub fn pattern(marker: &str) -> Option<String> {
    Some(match marker {
        "@teryt" => format!("^{TERYT_RE}$"),
        "@indicator" => "^[A-Za-z0-9_]{1,32}$".to_owned(),
        "@query" => "^[A-Za-z0-9_:, -]*$".to_owned(),
        "@group" => format!("^({}|custom:[A-Za-z0-9_-]{{1,40}}|lista?:{TERYT_RE}(,{TERYT_RE})*)$", GROUP_NAMES.join("|")),
        _ => return None,
    })
}

/// The largest offset of a page: 2^53 - 1, the largest whole number every JSON reader keeps exactly.
pub const MAX_OFFSET: usize = 9_007_199_254_740_991;

/// A TERYT code, exactly as the pattern `@teryt` says (no spaces, nothing around it).
fn unit_code(s: &str, parameter: &str) -> Result<TerytCode, ApiError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::bad(parameter, format!("`{}`: a TERYT code is PL or 2, 4 or 7 digits", clip(s))));
    }
    TerytCode::parse_lenient(s).map_err(|e| ApiError::bad(parameter, format!("`{}`: {e}", clip(s))))
}

fn unit_param(v: &Option<String>, parameter: &str) -> Result<Option<TerytCode>, ApiError> {
    exact(v, parameter, "a TERYT code")?.map(|s| unit_code(s, parameter)).transpose()
}

/// An indicator code, as the pattern `@indicator` says.
fn indicator_code<'a>(s: &'a str, parameter: &str) -> Result<&'a str, ApiError> {
    if s.is_empty() || s.len() > 32 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(ApiError::bad(parameter, format!("`{}`: an indicator code is 1-32 letters, digits or `_`", clip(s))));
    }
    Ok(s)
}

/// A peer group, as the pattern `@group` says; `typology` when absent.
fn group_param<'a>(v: &'a Option<String>, parameter: &str) -> Result<&'a str, ApiError> {
    let Some(g) = exact(v, parameter, "a group")? else { return Ok("typology") };
    if g.chars().count() > 4000 {
        return Err(ApiError::bad(parameter, format!("{} characters, at most 4000", g.chars().count())));
    }
    if GROUP_NAMES.contains(&g) {
        return Ok(g);
    }
    if let Some(code) = g.strip_prefix("custom:") {
        if (1..=40).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Ok(g);
        }
        return Err(ApiError::bad(parameter, format!("`{}`: a custom group's code is 1-40 letters, digits, `_` or `-`", clip(g))));
    }
    if let Some(list) = g.strip_prefix("list:").or_else(|| g.strip_prefix("lista:")) {
        for code in list.split(',') {
            unit_code(code, parameter).map_err(|e| ApiError::bad(parameter, format!("list: {}", e.body.message)))?;
        }
        return Ok(g);
    }
    Err(ApiError::bad(parameter, format!("`{}`: use {}", clip(g), app::GROUP_HELP)))
}

async fn portal(state: &AppState) -> Result<Arc<Portal>, ApiError> {
    state.portal().await.ok_or_else(ApiError::not_ready)
}

// ---------------------------------------------------------------- answers

/// A JSON answer with its ETag; `304` when the client holds it already.
fn respond_json<T: Serialize>(headers: &HeaderMap, value: &T) -> ApiResult {
    let body = serde_json::to_vec(value).map_err(ApiError::server)?;
    Ok(respond_bytes(headers, body, "application/json", None))
}

fn etag_of(bytes: &[u8]) -> String {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    format!("\"{:016x}\"", h.finish())
}

fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

fn respond_bytes(headers: &HeaderMap, body: Vec<u8>, content_type: &'static str, etag: Option<String>) -> Response {
    let etag = etag.unwrap_or_else(|| etag_of(&body));
    let tag = HeaderValue::from_str(&etag).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    if not_modified(headers, &etag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::ETAG, tag),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60")),
        ],
        body,
    )
        .into_response()
}

/// The address of the next page: this request's query with `offset` moved on.
fn next_link(path: &str, query: Option<&str>, offset: usize, limit: usize, total: Option<usize>, got: usize) -> Option<String> {
    let more = match total {
        Some(t) => offset + got < t,
        None => got == limit,
    };
    if !more || got == 0 {
        return None;
    }
    let mut parts: Vec<String> =
        query.unwrap_or("").split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("offset=")).map(str::to_owned).collect();
    parts.push(format!("offset={}", offset + got));
    Some(format!("/api/v1{path}?{}", parts.join("&")))
}

// ---------------------------------------------------------------- units

/// A territorial unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitDto {
    /// TERYT code: `PL`, 2 digits (województwo), 4 (powiat) or 7 (gmina, with its type digit).
    pub code: String,
    pub name: String,
    /// kraj, wojewodztwo, powiat, miasto_na_prawach_powiatu, gmina_miejska, gmina_wiejska, gmina_miejsko_wiejska, miasto, obszar_wiejski, dzielnica, delegatura.
    pub kind: String,
    pub kind_pl: String,
    pub kind_en: String,
    /// The parent's TERYT code.
    pub parent: Option<String>,
    /// Whether the indicator snapshot holds this unit (JST of a compared level).
    pub has_data: bool,
}

/// A page of units.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitPage {
    pub total: usize,
    pub limit: usize,
    pub offset: usize,
    /// The next page's address; none on the last page.
    pub next: Option<String>,
    pub items: Vec<UnitDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnitsParams {
    /// Part of a name or the start of a TERYT code (case and Polish letters do not matter).
    #[param(max_length = 100)]
    q: Option<String>,
    /// Only units of this kind.
    #[param(value_type = Option<KindParam>, inline)]
    kind: Option<String>,
    /// Only units whose parent (województwo or powiat) has this TERYT code.
    #[param(value_type = Option<String>, pattern = "@teryt")]
    parent: Option<String>,
    /// Page size.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000, default = 100)]
    limit: Option<String>,
    /// Items skipped (the `next` link of a page has the next one's).
    #[param(value_type = Option<u64>, minimum = 0, maximum = 9007199254740991_i64, default = 0)]
    offset: Option<String>,
}

/// A unit kind as the API names it.
#[derive(Debug, ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum KindParam {
    kraj,
    wojewodztwo,
    powiat,
    miasto_na_prawach_powiatu,
    gmina_miejska,
    gmina_wiejska,
    gmina_miejsko_wiejska,
    miasto,
    obszar_wiejski,
    dzielnica,
    delegatura,
}

fn unit_dto(u: &app::UnitListing, p: Option<&Portal>) -> UnitDto {
    UnitDto {
        code: u.code.as_str().to_owned(),
        name: u.name.clone(),
        kind: u.kind.as_str().to_owned(),
        kind_pl: u.kind.name_pl().to_owned(),
        kind_en: u.kind.name_en().to_owned(),
        parent: u.parent.as_ref().map(|c| c.as_str().to_owned()),
        has_data: p.is_some_and(|p| p.c.unit_index(u.code.as_str()).is_some()),
    }
}

/// Units valid today: search, filter by kind and parent, paged.
#[utoipa::path(get, path = "/api/v1/units", tag = "units", params(UnitsParams),
    responses((status = 200, description = "Jednostki / Units", body = UnitPage), (status = 400, description = "Zły parametr / Bad parameter", body = ApiErrorBody)))]
async fn units(
    State(state): State<Arc<AppState>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    q: Result<Query<UnitsParams>, QueryRejection>,
) -> ApiResult {
    let q = params(q)?;
    let limit = int(&q.limit, "limit", 100, 1, MAX_LIMIT)?;
    let offset = int(&q.offset, "offset", 0, 0, MAX_OFFSET)?;
    let kinds: Vec<&str> = UnitKind::ALL.iter().map(|k| k.as_str()).collect();
    let kind = choice(&q.kind, "kind", &kinds)?.map(|k| UnitKind::parse(k).map_err(|e| ApiError::bad("kind", e.to_string()))).transpose()?;
    let parent = unit_param(&q.parent, "parent")?;
    let search = free(&q.q, "q", 100)?.map(str::to_owned);
    let filter = app::UnitFilter { kind, parent, search };
    let list = app::list_units(&state.store, crate::today(), &filter).await.map_err(|e| ApiError::app("q", e))?;
    let p = state.portal().await;
    let items: Vec<UnitDto> = list.iter().skip(offset).take(limit).map(|u| unit_dto(u, p.as_deref())).collect();
    let next = next_link(uri.path(), uri.query(), offset, limit, Some(list.len()), items.len());
    respond_json(&headers, &UnitPage { total: list.len(), limit, offset, next, items })
}

async fn find_unit(state: &AppState, code: &str) -> Result<app::UnitListing, ApiError> {
    let code = unit_code(code, "code")?;
    let filter = app::UnitFilter { search: Some(code.as_str().to_owned()), ..app::UnitFilter::default() };
    let list = app::list_units(&state.store, crate::today(), &filter).await.map_err(|e| ApiError::app("code", e))?;
    list.into_iter().find(|u| u.code == code).ok_or_else(|| ApiError::not_found("code", format!("no current unit {}", code.as_str())))
}

/// One unit valid today.
#[utoipa::path(get, path = "/api/v1/units/{code}", tag = "units", params(("code" = String, Path, description = "TERYT code", pattern = "@teryt", example = "02")),
    responses((status = 200, description = "Jednostka / The unit", body = UnitDto), (status = 400, description = "Zły kod / Bad code", body = ApiErrorBody), (status = 404, description = "Nie ma takiej jednostki / No such unit", body = ApiErrorBody)))]
async fn unit(State(state): State<Arc<AppState>>, headers: HeaderMap, code: Result<Path<String>, PathRejection>) -> ApiResult {
    let code = path_param(code)?;
    let u = find_unit(&state, &code).await?;
    let p = state.portal().await;
    respond_json(&headers, &unit_dto(&u, p.as_deref()))
}

// ---------------------------------------------------------------- indicators

/// An indicator of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorDto {
    pub code: String,
    pub name_pl: String,
    pub name_en: String,
    /// The area (obszar) code.
    pub area: String,
    pub service_pl: String,
    pub service_en: String,
    pub measure_unit_pl: String,
    pub measure_unit_en: String,
    pub decimals: u8,
    /// higher_better, lower_better or neutral.
    pub polarity: String,
    pub definition_pl: String,
    pub definition_en: String,
    pub source: String,
    /// The unit kinds it is computed for.
    pub applies_to: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorPage {
    pub total: usize,
    pub limit: usize,
    pub offset: usize,
    pub next: Option<String>,
    pub items: Vec<IndicatorDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IndicatorsParams {
    /// Part of the code or of the Polish or English name.
    #[param(max_length = 100)]
    q: Option<String>,
    /// Only the indicators of this area (see `/api/v1/areas`).
    #[param(max_length = 64)]
    area: Option<String>,
    /// Only the indicators of this service (its Polish or English name, as in `/api/v1/areas`).
    #[param(max_length = 200)]
    service: Option<String>,
    /// Page size.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000, default = 100)]
    limit: Option<String>,
    /// Items skipped (the `next` link of a page has the next one's).
    #[param(value_type = Option<u64>, minimum = 0, maximum = 9007199254740991_i64, default = 0)]
    offset: Option<String>,
}

fn indicator_dto(d: &app::IndicatorDef) -> IndicatorDto {
    IndicatorDto {
        code: d.code.clone(),
        name_pl: d.name_pl.clone(),
        name_en: d.name_en.clone(),
        area: d.area.clone(),
        service_pl: d.service_pl.clone(),
        service_en: d.service_en.clone(),
        measure_unit_pl: d.unit_pl.clone(),
        measure_unit_en: d.unit_en.clone(),
        decimals: d.decimals,
        polarity: d.polarity.clone(),
        definition_pl: d.definition_pl.clone(),
        definition_en: d.definition_en.clone(),
        source: d.source.clone(),
        applies_to: d.applies_to.clone(),
    }
}

/// The indicator catalogue: search, filter by area and service, paged.
#[utoipa::path(get, path = "/api/v1/indicators", tag = "indicators", params(IndicatorsParams),
    responses((status = 200, description = "Wskaźniki / Indicators", body = IndicatorPage), (status = 400, description = "Zły parametr / Bad parameter", body = ApiErrorBody), (status = 503, description = "Brak danych / No snapshot yet", body = ApiErrorBody)))]
async fn indicators(
    State(state): State<Arc<AppState>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    q: Result<Query<IndicatorsParams>, QueryRejection>,
) -> ApiResult {
    let q = params(q)?;
    let limit = int(&q.limit, "limit", 100, 1, MAX_LIMIT)?;
    let offset = int(&q.offset, "offset", 0, 0, MAX_OFFSET)?;
    let needle = free(&q.q, "q", 100)?.map(model::fold);
    let area = free(&q.area, "area", 64)?;
    let service = free(&q.service, "service", 200)?.map(model::fold);
    let p = portal(&state).await?;
    let matching: Vec<&app::IndicatorDef> =
        p.c.definitions
            .iter()
            .filter(|d| area.is_none_or(|a| d.area == a))
            .filter(|d| service.as_ref().is_none_or(|s| model::fold(&d.service_pl) == *s || model::fold(&d.service_en) == *s))
            .filter(|d| {
                needle
                    .as_ref()
                    .is_none_or(|n| model::fold(&d.code).contains(n) || model::fold(&d.name_pl).contains(n) || model::fold(&d.name_en).contains(n))
            })
            .collect();
    let items: Vec<IndicatorDto> = matching.iter().skip(offset).take(limit).map(|d| indicator_dto(d)).collect();
    let next = next_link(uri.path(), uri.query(), offset, limit, Some(matching.len()), items.len());
    respond_json(&headers, &IndicatorPage { total: matching.len(), limit, offset, next, items })
}

/// One indicator.
#[utoipa::path(get, path = "/api/v1/indicators/{code}", tag = "indicators", params(("code" = String, Path, description = "Indicator code", pattern = "@indicator", example = "EDU_01")),
    responses((status = 200, description = "Wskaźnik / The indicator", body = IndicatorDto), (status = 400, description = "Zły kod / Bad code", body = ApiErrorBody), (status = 404, description = "Nie ma takiego wskaźnika / No such indicator", body = ApiErrorBody), (status = 503, description = "Brak danych / No snapshot yet", body = ApiErrorBody)))]
async fn indicator(State(state): State<Arc<AppState>>, headers: HeaderMap, code: Result<Path<String>, PathRejection>) -> ApiResult {
    let code = path_param(code)?;
    let code = indicator_code(&code, "code")?;
    let p = portal(&state).await?;
    let d = p.c.definitions.iter().find(|d| d.code == code).ok_or_else(|| ApiError::not_found("code", format!("no indicator `{}`", clip(code))))?;
    respond_json(&headers, &indicator_dto(d))
}

/// An area with its services and their indicators.
#[derive(Debug, Serialize, ToSchema)]
pub struct AreaDto {
    pub code: String,
    pub name_pl: String,
    pub name_en: String,
    pub services: Vec<ServiceDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDto {
    pub name_pl: String,
    pub name_en: String,
    /// Indicator codes.
    pub indicators: Vec<String>,
}

/// Areas → services → indicators, as the portal arranges them.
#[utoipa::path(get, path = "/api/v1/areas", tag = "indicators",
    responses((status = 200, description = "Obszary / Areas", body = Vec<AreaDto>), (status = 503, description = "Brak danych / No snapshot yet", body = ApiErrorBody)))]
async fn areas(State(state): State<Arc<AppState>>, headers: HeaderMap) -> ApiResult {
    let p = portal(&state).await?;
    let pl = crate::i18n::L::PL;
    let en = crate::i18n::L { en: true };
    let list: Vec<AreaDto> = p
        .areas
        .iter()
        .map(|a| AreaDto {
            code: a.code.clone(),
            name_pl: pl.area(&a.code),
            name_en: en.area(&a.code),
            services: a
                .services
                .iter()
                .map(|s| ServiceDto {
                    name_pl: s.pl.clone(),
                    name_en: s.en.clone(),
                    indicators: s.indicators.iter().map(|&i| p.c.definitions[i].code.clone()).collect(),
                })
                .collect(),
        })
        .collect();
    respond_json(&headers, &list)
}

// ---------------------------------------------------------------- data

/// One cell: an indicator's value for a unit in a year.
#[derive(Debug, Serialize, ToSchema)]
pub struct CellDto {
    pub indicator: String,
    pub unit: String,
    pub year: i32,
    /// None when there is no value (see `flag`).
    pub value: Option<f64>,
    /// None for a final value; else preliminary, estimated, confidential, not_occurred or missing.
    pub flag: Option<String>,
}

/// A page of data cells, indicator by indicator, unit by unit, year by year.
#[derive(Debug, Serialize, ToSchema)]
pub struct DataPage {
    /// Cells in the whole query (indicators × units × years).
    pub total: usize,
    pub limit: usize,
    pub offset: usize,
    pub next: Option<String>,
    /// The query's indicators, units and years, in their order.
    pub indicators: Vec<String>,
    pub units: Vec<String>,
    pub years: Vec<i32>,
    pub cells: Vec<CellDto>,
}

/// The JSON answers of `/api/v1/data`: a page of cells, or (format jsonstat) a dataset.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum DataAnswer {
    Page(DataPage),
    JsonStat(JsonStatDataset),
}

/// A JSON-stat 2.0 dataset (<https://json-stat.org/format/>) of the whole query: dimensions
/// `indicator`, `unit` and `year`, in that order.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct JsonStatDataset {
    /// `2.0`.
    #[schema(pattern = "^2\\.0$")]
    version: String,
    /// `dataset`.
    #[schema(pattern = "^dataset$")]
    class: String,
    label: String,
    source: String,
    /// When the file was made (RFC 3339).
    updated: String,
    /// The query's address.
    href: String,
    /// `["indicator", "unit", "year"]`.
    id: Vec<String>,
    /// The number of indicators, units and years.
    size: Vec<u64>,
    #[schema(value_type = Object)]
    role: Value,
    /// Each dimension's labels and category index; indicators carry their measure unit and decimals.
    #[schema(value_type = Object)]
    dimension: Value,
    /// The cells in row-major order of `id`; null where there is no value.
    value: Vec<Option<f64>>,
    /// Flags of cells, by index: p preliminary, e estimated, c confidential, - not occurred, m missing (only when a cell is flagged).
    #[schema(value_type = Object)]
    status: Value,
    /// `lang` and the legend of the flags.
    #[schema(value_type = Object)]
    extension: Value,
}

/// Export formats of data.
#[derive(Debug, ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum FormatParam {
    json,
    csv,
    #[schema(rename = "csv-pl")]
    csv_pl,
    xlsx,
    jsonstat,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DataParams {
    /// Indicator codes, `area:CODE` (all of an area) or `all`, separated by commas.
    #[param(value_type = String, max_length = 4000, pattern = "@query", example = "all")]
    indicators: Option<String>,
    /// TERYT codes, `gminy`, `powiaty`, `wojewodztwa`, a unit kind, `in:CODE` (all units inside a województwo or powiat) or `all`, separated by commas.
    #[param(value_type = Option<String>, max_length = 20000, pattern = "@query", example = "gminy")]
    units: Option<String>,
    /// Add the members of this peer group of `unit` (which `group` needs): typology, neighbours, nearest, wojewodztwo, country, custom:CODE or list:CODE,CODE.
    #[param(value_type = Option<String>, max_length = 4000, pattern = "@group")]
    group: Option<String>,
    /// The unit whose group `group` is (and which is added itself).
    #[param(value_type = Option<String>, pattern = "@teryt")]
    unit: Option<String>,
    /// Years: `2020`, `2015-2020`, `last` or `all` (the default), separated by commas.
    #[param(value_type = Option<String>, max_length = 200, pattern = "@query", example = "last")]
    years: Option<String>,
    /// Cells per page (JSON only; the other formats hold the whole query).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10000, default = 1000)]
    limit: Option<String>,
    /// Cells skipped (JSON only; the `next` link of a page has the next one's).
    #[param(value_type = Option<u64>, minimum = 0, maximum = 9007199254740991_i64, default = 0)]
    offset: Option<String>,
    /// json (paged), csv (UTF-8), csv-pl (Excel: `;` and decimal comma), xlsx (with a metadata sheet) or jsonstat (JSON-stat 2.0).
    #[param(value_type = Option<FormatParam>, inline)]
    format: Option<String>,
    /// Language of the names and headers in the files: pl (default) or en.
    #[param(value_type = Option<LangParam>, inline)]
    lang: Option<String>,
    /// CSV and XLSX only: one column per year, unit or indicator (a pivot; also by their Polish names lata, jednostki, wskazniki) instead of one row per cell (none, the default).
    #[param(value_type = Option<ColumnsParam>, inline)]
    columns: Option<String>,
}

/// The values of `columns`, as [`crate::download::layout`] takes them.
const COLUMNS: [&str; 7] = ["none", "year", "unit", "indicator", "lata", "jednostki", "wskazniki"];

#[derive(Debug, ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum ColumnsParam {
    none,
    year,
    unit,
    indicator,
    lata,
    jednostki,
    wskazniki,
}

#[derive(Debug, ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum LangParam {
    pl,
    en,
}

/// The texts of a data query, checked as the document says (before the snapshot is read).
struct DataTexts<'a> {
    indicators: &'a str,
    units: &'a str,
    years: &'a str,
    /// The unit, and its group when one is asked for.
    unit: Option<(TerytCode, Option<&'a str>)>,
}

fn data_texts(q: &DataParams) -> Result<DataTexts<'_>, ApiError> {
    let indicators = query_text(&q.indicators, "indicators", 4000)?;
    let units = query_text(&q.units, "units", 20_000)?.unwrap_or("");
    let years = query_text(&q.years, "years", 200)?.unwrap_or("all");
    let group = if q.group.is_some() { Some(group_param(&q.group, "group")?) } else { None };
    let unit = unit_param(&q.unit, "unit")?;
    let indicators = indicators.ok_or_else(|| ApiError::bad("indicators", "name at least one indicator (codes, area:CODE or all)"))?;
    let unit = match (unit, group) {
        (Some(u), g) => Some((u, g)),
        (None, Some(_)) => return Err(ApiError::bad("unit", "a group needs the unit whose group it is")),
        (None, None) => None,
    };
    Ok(DataTexts { indicators, units, years, unit })
}

/// The query the parameters name, with the group's members resolved.
async fn resolve_query(state: &AppState, c: &app::Computed, t: &DataTexts<'_>) -> Result<app::query::DataQuery, ApiError> {
    let mut extra = Vec::new();
    if let Some((code, group)) = &t.unit {
        let u = c.unit_index(code.as_str()).ok_or_else(|| ApiError::not_found("unit", format!("no unit {} with data", code.as_str())))?;
        match group {
            Some(group) => {
                let y = c.snapshot.years().saturating_sub(1);
                let g = app::peer_group(&state.store, c, u, y, group, &app::NearestSpec::default()).await.map_err(|e| ApiError::app("group", e))?;
                extra = g.members(&c.snapshot, y);
            }
            None => extra.push(u),
        }
    }
    Ok(app::query::DataQuery::parse_limited(c, t.indicators, t.units, t.years, &extra, state.max_cells)?)
}

/// Any indicators × any units × any years, with flags: JSON pages, or the whole query as CSV, Excel CSV, XLSX or JSON-stat.
#[utoipa::path(get, path = "/api/v1/data", tag = "data", params(DataParams),
    responses(
        (status = 200, description = "Dane / Data: a page (format json, the default), a JSON-stat 2.0 dataset (jsonstat), CSV (csv: UTF-8 without a BOM, for scripts; csv-pl: the Polish Excel dialect, UTF-8 with a BOM; in both a text cell that begins with =, +, -, @, a tab or a carriage return gets a leading apostrophe, so that no spreadsheet runs it as a formula) or a workbook (xlsx)", content(
            (DataAnswer = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        (status = 400, description = "Zły parametr albo zbyt szerokie zapytanie / Bad parameter or too broad a query", body = ApiErrorBody),
        (status = 404, description = "Nie ma takiej jednostki / No such unit", body = ApiErrorBody),
        (status = 503, description = "Brak danych / No snapshot yet", body = ApiErrorBody)
    ))]
async fn data(
    State(state): State<Arc<AppState>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    q: Result<Query<DataParams>, QueryRejection>,
) -> ApiResult {
    let q = params(q)?;
    let limit = int(&q.limit, "limit", 1000, 1, MAX_DATA_LIMIT)?;
    let offset = int(&q.offset, "offset", 0, 0, MAX_OFFSET)?;
    let format = choice(&q.format, "format", &["json", "csv", "csv-pl", "xlsx", "jsonstat"])?.unwrap_or("json");
    let en = choice(&q.lang, "lang", &["pl", "en"])? == Some("en");
    let columns = choice(&q.columns, "columns", &COLUMNS)?.filter(|c| *c != "none");
    crate::download::layout(columns).map_err(|m| ApiError::bad("columns", m))?;
    let texts = data_texts(&q)?;
    let p = portal(&state).await?;
    let query = resolve_query(&state, &p.c, &texts).await?;
    if format == "xlsx" && columns.is_none() && query.cells() >= XLSX_ROWS {
        return Err(ApiError::bad(
            "columns",
            format!("{} cells do not fit one sheet's {XLSX_ROWS} rows in the long layout: ask for columns=year, or CSV", query.cells()),
        ));
    }
    if format != "json" {
        // The file's metadata links back to the query: its whole address, /api/v1 included
        // (the nested router sees it without).
        let pq = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
        let full: axum::http::Uri = format!("/api/v1{pq}").parse().map_err(ApiError::server)?;
        return crate::download::respond(p, query, format, en, columns, &full, &headers).await.map_err(ApiError::server);
    }
    let page = data_page(&p.c, &query, offset, limit, uri.path(), uri.query());
    respond_json(&headers, &page)
}

/// One page of a query's cells, from `offset`, at most `limit`; `path` and `query` make the
/// next page's address.
pub fn data_page(c: &app::Computed, query: &app::query::DataQuery, offset: usize, limit: usize, path: &str, query_string: Option<&str>) -> DataPage {
    let total = query.cells();
    let first = c.snapshot.first_year();
    let cells: Vec<CellDto> = query
        .walk(c, app::query::STANDARD_ORDER, offset.min(total))
        .take(limit)
        .map(|cell| CellDto {
            indicator: c.definitions[query.indicators[cell.indicator as usize]].code.clone(),
            unit: c.codes[query.units[cell.unit as usize]].as_str().to_owned(),
            year: first + query.years[cell.year as usize] as i32,
            value: cell.value,
            flag: cell.flag.map(|f| f.as_str().to_owned()),
        })
        .collect();
    let next = next_link(path, query_string, offset, limit, Some(total), cells.len());
    DataPage {
        total,
        limit,
        offset,
        next,
        indicators: query.indicators.iter().map(|&i| c.definitions[i].code.clone()).collect(),
        units: query.units.iter().map(|&u| c.codes[u].as_str().to_owned()).collect(),
        years: query.calendar_years(c),
        cells,
    }
}

// ---------------------------------------------------------------- comparison

/// A group's statistics for one indicator and year.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsDto {
    /// Units with a value.
    pub n: usize,
    pub missing: usize,
    pub min: Option<f64>,
    pub q1: Option<f64>,
    pub median: Option<f64>,
    pub q3: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    /// Sample standard deviation.
    pub sd: Option<f64>,
    /// The ratio of the sums (the group as one unit).
    pub aggregate: Option<f64>,
}

/// A unit's place in its group.
#[derive(Debug, Serialize, ToSchema)]
pub struct PositionDto {
    /// 1 = best by the indicator's polarity (highest for neutral ones).
    pub rank: Option<u32>,
    /// Share of the group at or below the unit's standing, 0–100.
    pub percentile: Option<f64>,
    /// 1 = the best quarter … 4 = the worst.
    pub quartile: Option<u8>,
    pub z: Option<f64>,
    /// Where the value lies among the group's values, by its quartiles (words about values,
    /// not a judgement): lowest (≤ Q1), below_median, at_median, above_median, highest (≥ Q3).
    #[schema(value_type = Option<String>, pattern = "^(lowest|below_median|at_median|above_median|highest)$")]
    pub band: Option<&'static str>,
    /// The judgement of that band by polarity: better (the group's best quarter) or worse (its
    /// weakest); none for the middle bands, neutral and context indicators.
    #[schema(value_type = Option<String>, pattern = "^(better|worse)$")]
    pub verdict: Option<&'static str>,
}

/// A peer group, resolved for a unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupDto {
    /// typology, neighbours, nearest, wojewodztwo, country, custom:CODE or list:….
    pub name: String,
    pub label: String,
    /// Members (the unit included), TERYT codes.
    pub members: Vec<String>,
}

/// A unit compared with a group on one indicator and year.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparisonDto {
    pub unit: String,
    pub indicator: String,
    pub year: i32,
    pub value: Option<f64>,
    pub flag: Option<String>,
    pub group: GroupDto,
    pub stats: StatsDto,
    pub position: PositionDto,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompareParams {
    /// TERYT code of the unit.
    #[param(value_type = String, pattern = "@teryt", example = "02")]
    unit: Option<String>,
    /// Indicator code.
    #[param(value_type = String, pattern = "@indicator", example = "EDU_01")]
    indicator: Option<String>,
    /// The year (default: the newest; 404 for a year without data).
    #[param(value_type = Option<i32>, minimum = 1990, maximum = 2100)]
    year: Option<String>,
    /// typology (default), neighbours, nearest, wojewodztwo, country, custom:CODE or list:CODE,CODE.
    #[param(value_type = Option<String>, max_length = 4000, pattern = "@group")]
    group: Option<String>,
}

/// The years `year` may name (the document's minimum and maximum).
const YEARS: (usize, usize) = (1990, 2100);

/// A year, checked before the snapshot is read: none for the newest.
fn year_number(v: &Option<String>) -> Result<Option<i32>, ApiError> {
    if v.is_none() {
        return Ok(None);
    }
    Ok(Some(int(v, "year", 0, YEARS.0, YEARS.1)? as i32))
}

/// The year's index in the snapshot (404 for a year without data).
fn year_index(c: &app::Computed, year: Option<i32>) -> Result<usize, ApiError> {
    match year {
        None => c.snapshot.years().checked_sub(1).ok_or_else(|| ApiError::not_found("year", "the snapshot has no years")),
        Some(y) => app::year_index(&c.snapshot, y).map_err(|e| ApiError::app("year", e)),
    }
}

fn snapshot_unit(c: &app::Computed, code: &TerytCode, parameter: &str) -> Result<usize, ApiError> {
    c.unit_index(code.as_str()).ok_or_else(|| ApiError::not_found(parameter, format!("no unit {} with data", code.as_str())))
}

fn group_dto(c: &app::Computed, g: &app::PeerGroup, y: usize) -> GroupDto {
    GroupDto {
        name: g.name.clone(),
        label: g.label.clone(),
        members: g.members(&c.snapshot, y).into_iter().map(|v| c.codes[v].as_str().to_owned()).collect(),
    }
}

/// A unit against a peer group on one indicator: the group's statistics and the unit's position.
#[utoipa::path(get, path = "/api/v1/compare", tag = "data", params(CompareParams),
    responses((status = 200, description = "Porównanie / Comparison", body = ComparisonDto), (status = 400, description = "Zły parametr / Bad parameter", body = ApiErrorBody), (status = 404, description = "Nie ma takiej jednostki, wskaźnika albo grupy / No such unit, indicator or group", body = ApiErrorBody), (status = 503, description = "Brak danych / No snapshot yet", body = ApiErrorBody)))]
async fn compare(State(state): State<Arc<AppState>>, headers: HeaderMap, q: Result<Query<CompareParams>, QueryRejection>) -> ApiResult {
    let q = params(q)?;
    let unit = unit_param(&q.unit, "unit")?.ok_or_else(|| ApiError::bad("unit", "a TERYT code is needed"))?;
    let code = exact(&q.indicator, "indicator", "an indicator code")?.ok_or_else(|| ApiError::bad("indicator", "an indicator code is needed"))?;
    let code = indicator_code(code, "indicator")?;
    let year = year_number(&q.year)?;
    let group = group_param(&q.group, "group")?;
    let p = portal(&state).await?;
    let c = &p.c;
    let u = snapshot_unit(c, &unit, "unit")?;
    let i = c
        .definitions
        .iter()
        .position(|d| d.code == code)
        .ok_or_else(|| ApiError::not_found("indicator", format!("no indicator `{}`", clip(code))))?;
    let y = year_index(c, year)?;
    let g = app::peer_group(&state.store, c, u, y, group, &app::NearestSpec::default()).await.map_err(|e| ApiError::app("group", e))?;
    let (st, pos) = g.compare(&c.snapshot, i, u, y);
    let flag = match c.flag(i, u, y) {
        Flag::Final => None,
        f => Some(f.as_str().to_owned()),
    };
    respond_json(
        &headers,
        &ComparisonDto {
            unit: c.codes[u].as_str().to_owned(),
            indicator: c.definitions[i].code.clone(),
            year: c.snapshot.first_year() + y as i32,
            value: c.snapshot.value(i, u, y),
            flag,
            group: group_dto(c, &g, y),
            stats: StatsDto {
                n: st.n,
                missing: st.missing,
                min: st.min,
                q1: st.q1,
                median: st.median,
                q3: st.q3,
                max: st.max,
                mean: st.mean,
                sd: st.sd,
                aggregate: st.aggregate,
            },
            position: {
                let band = c.snapshot.value(i, u, y).and_then(|v| app::band(v, &st));
                let verdict = band.and_then(|b| app::verdict(b, c.snapshot.indicator(i).polarity));
                PositionDto {
                    rank: pos.rank,
                    percentile: pos.percentile,
                    quartile: pos.quartile,
                    z: pos.z,
                    band: band.map(|b| match b {
                        app::Band::Lowest => "lowest",
                        app::Band::BelowMedian => "below_median",
                        app::Band::AtMedian => "at_median",
                        app::Band::AboveMedian => "above_median",
                        app::Band::Highest => "highest",
                    }),
                    verdict: verdict.map(|v| match v {
                        app::Verdict::Better => "better",
                        app::Verdict::Worse => "worse",
                    }),
                }
            },
        },
    )
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeersParams {
    /// typology (default), neighbours, nearest, wojewodztwo, country, custom:CODE or list:CODE,CODE.
    #[param(value_type = Option<String>, max_length = 4000, pattern = "@group")]
    group: Option<String>,
    /// The year (default: the newest; 404 for a year without data): typology classes and nearest neighbours depend on it.
    #[param(value_type = Option<i32>, minimum = 1990, maximum = 2100)]
    year: Option<String>,
}

/// The members of a unit's peer group.
#[utoipa::path(get, path = "/api/v1/units/{code}/peers", tag = "units", params(("code" = String, Path, description = "TERYT code", pattern = "@teryt", example = "02"), PeersParams),
    responses((status = 200, description = "Grupa / The group", body = GroupDto), (status = 400, description = "Zły parametr / Bad parameter", body = ApiErrorBody), (status = 404, description = "Nie ma takiej jednostki albo grupy / No such unit or group", body = ApiErrorBody), (status = 503, description = "Brak danych / No snapshot yet", body = ApiErrorBody)))]
async fn peers(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    code: Result<Path<String>, PathRejection>,
    q: Result<Query<PeersParams>, QueryRejection>,
) -> ApiResult {
    let code = unit_code(&path_param(code)?, "code")?;
    let q = params(q)?;
    let year = year_number(&q.year)?;
    let group = group_param(&q.group, "group")?;
    let p = portal(&state).await?;
    let c = &p.c;
    let u = snapshot_unit(c, &code, "code")?;
    let y = year_index(c, year)?;
    let g = app::peer_group(&state.store, c, u, y, group, &app::NearestSpec::default()).await.map_err(|e| ApiError::app("group", e))?;
    respond_json(&headers, &group_dto(c, &g, y))
}

/// A statistical nearest neighbour.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeighbourDto {
    pub code: String,
    pub name: String,
    /// Weighted Euclidean distance over the standardised context measures.
    pub distance: f64,
    /// Each context measure's share of the squared distance, in the order of `context`.
    pub contributions: Vec<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NearestDto {
    pub unit: String,
    pub year: i32,
    /// The context measures used, e.g. `log:ludnosc`.
    pub context: Vec<String>,
    /// Units of the same level with every context value.
    pub candidates: usize,
    /// Context measures left out for this kind of unit.
    pub skipped: Vec<String>,
    pub neighbours: Vec<NeighbourDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NearestParams {
    /// The year (default: the newest; 404 for a year without data).
    #[param(value_type = Option<i32>, minimum = 1990, maximum = 2100)]
    year: Option<String>,
    /// How many neighbours.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 50, default = 10)]
    k: Option<String>,
    /// Context measures `[log:]CODE[*WEIGHT]`, separated by commas (default: population, density, own income per person, …).
    #[param(max_length = 1000)]
    context: Option<String>,
}

/// A unit's statistical nearest neighbours with their distances.
#[utoipa::path(get, path = "/api/v1/units/{code}/nearest", tag = "units", params(("code" = String, Path, description = "TERYT code", pattern = "@teryt", example = "02"), NearestParams),
    responses((status = 200, description = "Najbliżsi sąsiedzi / Nearest neighbours", body = NearestDto), (status = 400, description = "Zły parametr / Bad parameter", body = ApiErrorBody), (status = 404, description = "Nie ma takiej jednostki / No such unit", body = ApiErrorBody), (status = 503, description = "Brak danych / No snapshot yet", body = ApiErrorBody)))]
async fn nearest(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    code: Result<Path<String>, PathRejection>,
    q: Result<Query<NearestParams>, QueryRejection>,
) -> ApiResult {
    let code = unit_code(&path_param(code)?, "code")?;
    let q = params(q)?;
    let k = int(&q.k, "k", 10, 1, 50)?;
    let year = year_number(&q.year)?;
    let context = free(&q.context, "context", 1000)?;
    let p = portal(&state).await?;
    let c = &p.c;
    let u = snapshot_unit(c, &code, "code")?;
    let y = year_index(c, year)?;
    let spec = match context {
        Some(ctx) => app::NearestSpec::parse(ctx, k).map_err(|e| ApiError::app("context", e))?,
        None => app::NearestSpec { k, ..app::NearestSpec::default() },
    };
    let n = app::nearest::nearest(&c.snapshot, &c.kinds, u, y, &spec).map_err(|e| ApiError::app("context", e))?;
    respond_json(
        &headers,
        &NearestDto {
            unit: c.codes[u].as_str().to_owned(),
            year: c.snapshot.first_year() + y as i32,
            context: n.spec.items.iter().map(|i| i.label()).collect(),
            candidates: n.candidates,
            skipped: n.skipped.clone(),
            neighbours: n
                .neighbours
                .iter()
                .map(|x| NeighbourDto {
                    code: c.codes[x.unit].as_str().to_owned(),
                    name: c.names[x.unit].clone(),
                    distance: x.distance,
                    contributions: x.contributions.clone(),
                })
                .collect(),
        },
    )
}

/// The kinds of peer group and the saved custom groups.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupsDto {
    pub kinds: Vec<GroupKindDto>,
    pub custom: Vec<CustomGroupDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupKindDto {
    /// The value for `group`.
    pub name: String,
    pub label_pl: String,
    pub label_en: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomGroupDto {
    /// Use as `group=custom:CODE`.
    pub code: String,
    pub name_pl: String,
    pub name_en: Option<String>,
    pub members: Vec<String>,
}

/// The peer groups a unit can be compared with: the fixed kinds and the saved custom groups.
#[utoipa::path(get, path = "/api/v1/groups", tag = "units",
    responses((status = 200, description = "Grupy / Groups", body = GroupsDto)))]
async fn groups(State(state): State<Arc<AppState>>, headers: HeaderMap) -> ApiResult {
    let pl = crate::i18n::L::PL;
    let en = crate::i18n::L { en: true };
    let kinds = crate::common::GROUPS
        .iter()
        .map(|(_, canonical)| GroupKindDto { name: (*canonical).to_owned(), label_pl: pl.group(canonical), label_en: en.group(canonical) })
        .chain(std::iter::once(GroupKindDto {
            name: "list:CODE,CODE".into(),
            label_pl: "własna lista jednostek (kody TERYT)".into(),
            label_en: "your own list of units (TERYT codes)".into(),
        }))
        .collect();
    let custom = app::custom_groups(&state.store)
        .await
        .map_err(ApiError::server)?
        .into_iter()
        .map(|g| CustomGroupDto { code: g.code, name_pl: g.name_pl, name_en: g.name_en, members: g.members })
        .collect();
    respond_json(&headers, &GroupsDto { kinds, custom })
}

// ---------------------------------------------------------------- changes

/// A value new or changed since the date.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeDto {
    pub unit: String,
    pub variable: String,
    pub year: i64,
    /// None for a new value.
    pub old_value: Option<f64>,
    pub old_flag: Option<String>,
    pub value: Option<f64>,
    pub flag: String,
    /// The import that made the change.
    pub import_id: i64,
    pub changed_at: String,
}

/// A page of changes. Paged by cursor: a page starts right after the row its `cursor`
/// names, so no row is repeated or skipped however many imports come between two pages.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    pub since: String,
    pub limit: usize,
    /// The cursor this page starts after; none on the first page.
    pub cursor: Option<String>,
    /// The next page's address: this query with `cursor` set to `next_cursor`. None on the
    /// last page (one with fewer than `limit` items).
    pub next: Option<String>,
    /// The cursor of this page's last item, for the next page's `cursor`; none on the last page.
    pub next_cursor: Option<String>,
    pub items: Vec<ChangeDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// The date, YYYY-MM-DD: values stored on it or later.
    #[param(value_type = String, format = Date, example = "2020-01-01")]
    since: Option<String>,
    /// Page size.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000, default = 1000)]
    limit: Option<String>,
    /// Where the page starts: right after the item this cursor names. Leave it out for the
    /// first page; take it from a page's `next` link (or its `next_cursor`). Opaque: four
    /// whole numbers joined by dots. Changes are not paged by `offset`: a request with
    /// `offset` is refused (400).
    #[param(value_type = Option<String>, pattern = "^(0|[1-9][0-9]{0,17})(\\.(0|[1-9][0-9]{0,17})){3}$", example = "2.1.17.2015")]
    cursor: Option<String>,
    /// Not documented, only refused with a pointer to `cursor`: the paging this operation had before.
    #[param(ignore)]
    offset: Option<String>,
}

/// Values (of variables) new or changed since a date, oldest first — for incremental
/// updates: import by import as they finished, then by variable, unit and year. Paged by
/// cursor: follow `next` to the end (a page with fewer than `limit` items).
#[utoipa::path(get, path = "/api/v1/changes", tag = "changes", params(ChangesParams),
    responses(
        (status = 200, description = "Zmiany / Changes", body = ChangePage),
        (status = 400, description = "Zły parametr / Bad parameter", body = ApiErrorBody),
        (status = 404, description = "Kursor nie wskazuje żadnego importu / The cursor names no import", body = ApiErrorBody)
    ))]
async fn changes(
    State(state): State<Arc<AppState>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    q: Result<Query<ChangesParams>, QueryRejection>,
) -> ApiResult {
    let q = params(q)?;
    if q.offset.is_some() {
        return Err(ApiError::bad(
            "offset",
            "changes are paged by `cursor`, not `offset`: follow a page's `next` link (or pass its `next_cursor` as `cursor`)",
        ));
    }
    let since_text = exact(&q.since, "since", "a date YYYY-MM-DD")?.ok_or_else(|| ApiError::bad("since", "a date YYYY-MM-DD is needed"))?;
    let since = date(since_text).ok_or_else(|| ApiError::bad("since", format!("`{}`: not a date YYYY-MM-DD", clip(since_text))))?;
    let limit = int(&q.limit, "limit", 1000, 1, MAX_LIMIT)?;
    let cursor = exact(&q.cursor, "cursor", "the cursor of a page's `next`")?;
    let rows = app::changes_since(&state.store, since, cursor, limit as i64).await.map_err(|e| ApiError::app("cursor", e))?;
    let next_cursor = if rows.len() == limit { rows.last().map(|r| r.cursor.clone()) } else { None };
    let items: Vec<ChangeDto> = rows
        .into_iter()
        .map(|r| ChangeDto {
            unit: r.unit,
            variable: r.variable,
            year: r.year,
            old_value: r.old.and_then(|(v, _)| v),
            old_flag: r.old.map(|(_, f)| f.as_str().to_owned()),
            value: r.new_value,
            flag: r.new_flag.as_str().to_owned(),
            import_id: r.import_id,
            changed_at: r.changed_at,
        })
        .collect();
    let next = next_cursor.as_deref().map(|c| cursor_link(uri.path(), uri.query(), c));
    respond_json(&headers, &ChangePage { since: model::format_date(since), limit, cursor: cursor.map(str::to_owned), next, next_cursor, items })
}

/// The address of the page after `cursor`: this request's query with `cursor` set to it.
fn cursor_link(path: &str, query: Option<&str>, cursor: &str) -> String {
    let mut parts: Vec<String> =
        query.unwrap_or("").split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("cursor=")).map(str::to_owned).collect();
    parts.push(format!("cursor={cursor}"));
    format!("/api/v1{path}?{}", parts.join("&"))
}

/// A full-date of RFC 3339 (the document's `format: date`): `YYYY-MM-DD`, nothing around it.
fn date(s: &str) -> Option<time::Date> {
    let b = s.as_bytes();
    let shape = b.len() == 10 && b[4] == b'-' && b[7] == b'-' && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    shape.then(|| model::parse_date(s)).flatten()
}

async fn api_not_found(uri: axum::http::Uri) -> Response {
    ApiError::not_found("path", format!("no API route {} (see /api/v1/openapi.json)", uri.path())).into_response()
}
