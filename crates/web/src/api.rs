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
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::AppState;
use crate::portal::Portal;

/// The most items one page of a listing may hold, and of cells one page of data.
pub const MAX_LIMIT: usize = 1000;
pub const MAX_DATA_LIMIT: usize = 10_000;
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
    paths(units, unit, indicators, indicator, areas, data, compare, peers, nearest, groups, changes),
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
        .fallback(api_not_found)
        .layer(axum::middleware::from_fn(cors))
}

/// The OpenAPI document, made once.
pub fn openapi_text() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| ApiDoc::openapi().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")))
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
    /// `bad_parameter`, `not_found`, `not_ready` or `server_error`.
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
            app::AppError::Invalid(m) => ApiError::bad(parameter, m),
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
        (self.status, [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body).into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

/// The query string's parameters, or a 400 naming the one that is not taken.
fn params<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(t)| t).map_err(|e| {
        let text = e.body_text();
        let parameter = text.split('`').nth(1).unwrap_or("query").to_owned();
        ApiError::bad(&parameter, text.replace("Failed to deserialize query string: ", ""))
    })
}

fn path_param(p: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    p.map(|Path(s)| s).map_err(|e| ApiError::bad("code", e.body_text()))
}

/// An optional text parameter: absent or blank is none.
fn text(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn int(v: &Option<String>, parameter: &str, default: usize, min: usize, max: usize) -> Result<usize, ApiError> {
    match text(v) {
        None => Ok(default),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::bad(parameter, format!("`{}`: a whole number from {min} to {max}", clip(s)))),
        },
    }
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

fn unit_code(s: &str, parameter: &str) -> Result<TerytCode, ApiError> {
    TerytCode::parse_lenient(s.trim()).map_err(|e| ApiError::bad(parameter, format!("`{}`: {e}", clip(s))))
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
    #[param(value_type = Option<KindParam>)]
    kind: Option<String>,
    /// Only units whose parent (województwo or powiat) has this TERYT code.
    #[param(value_type = Option<String>, pattern = r"^([0-9]{2}|[0-9]{4}|[0-9]{7})$")]
    parent: Option<String>,
    /// Page size.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000, default = 100)]
    limit: Option<String>,
    #[param(value_type = Option<u32>, minimum = 0, default = 0)]
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
    let offset = int(&q.offset, "offset", 0, 0, usize::MAX)?;
    let kind = text(&q.kind).map(|k| UnitKind::parse(k).map_err(|e| ApiError::bad("kind", e.to_string()))).transpose()?;
    let parent = text(&q.parent).map(|c| unit_code(c, "parent")).transpose()?;
    let search = text(&q.q).map(str::to_owned);
    if search.as_ref().is_some_and(|s| s.chars().count() > 100) {
        return Err(ApiError::bad("q", "at most 100 characters"));
    }
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
#[utoipa::path(get, path = "/api/v1/units/{code}", tag = "units", params(("code" = String, Path, description = "TERYT code")),
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
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000, default = 100)]
    limit: Option<String>,
    #[param(value_type = Option<u32>, minimum = 0, default = 0)]
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
    let offset = int(&q.offset, "offset", 0, 0, usize::MAX)?;
    let p = portal(&state).await?;
    let needle = text(&q.q).map(model::fold);
    let area = text(&q.area);
    let service = text(&q.service).map(model::fold);
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
#[utoipa::path(get, path = "/api/v1/indicators/{code}", tag = "indicators", params(("code" = String, Path, description = "Indicator code")),
    responses((status = 200, description = "Wskaźnik / The indicator", body = IndicatorDto), (status = 404, description = "Nie ma takiego wskaźnika / No such indicator", body = ApiErrorBody), (status = 503, description = "Brak danych / No snapshot yet", body = ApiErrorBody)))]
async fn indicator(State(state): State<Arc<AppState>>, headers: HeaderMap, code: Result<Path<String>, PathRejection>) -> ApiResult {
    let code = path_param(code)?;
    let p = portal(&state).await?;
    let d = p.c.definitions.iter().find(|d| d.code == code).ok_or_else(|| ApiError::not_found("code", format!("no indicator `{}`", clip(&code))))?;
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
    #[param(max_length = 4000, example = "all")]
    indicators: Option<String>,
    /// TERYT codes, `gminy`, `powiaty`, `wojewodztwa`, a unit kind, `in:CODE` (all units inside a województwo or powiat) or `all`, separated by commas.
    #[param(max_length = 20000, example = "gminy")]
    units: Option<String>,
    /// Add the members of this peer group of `unit`: typology, neighbours, nearest, wojewodztwo, country, custom:CODE or list:CODE,CODE.
    #[param(max_length = 4000)]
    group: Option<String>,
    /// The unit whose group `group` is (and which is added itself).
    #[param(value_type = Option<String>, pattern = r"^([0-9]{2}|[0-9]{4}|[0-9]{7})$")]
    unit: Option<String>,
    /// Years: `2020`, `2015-2020`, `last` or `all` (the default), separated by commas.
    #[param(max_length = 200, example = "last")]
    years: Option<String>,
    /// Cells per page (JSON only; the other formats hold the whole query).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10000, default = 1000)]
    limit: Option<String>,
    #[param(value_type = Option<u32>, minimum = 0, default = 0)]
    offset: Option<String>,
    /// json (paged), csv (UTF-8), csv-pl (Excel: `;` and decimal comma), xlsx (with a metadata sheet) or jsonstat (JSON-stat 2.0).
    #[param(value_type = Option<FormatParam>)]
    format: Option<String>,
    /// Language of the names and headers in the files: pl (default) or en.
    #[param(value_type = Option<LangParam>)]
    lang: Option<String>,
    /// CSV and XLSX only: one column per year, unit or indicator (a pivot) instead of one row per cell.
    #[param(value_type = Option<ColumnsParam>)]
    columns: Option<String>,
}

#[derive(Debug, ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum ColumnsParam {
    year,
    unit,
    indicator,
}

#[derive(Debug, ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum LangParam {
    pl,
    en,
}

/// The query the parameters name, with the group's members resolved.
async fn resolve_query(state: &AppState, c: &app::Computed, q: &DataParams) -> Result<app::query::DataQuery, ApiError> {
    let indicators = text(&q.indicators).ok_or_else(|| ApiError::bad("indicators", "name at least one indicator (codes, area:CODE or all)"))?;
    let mut extra = Vec::new();
    if let Some(group) = text(&q.group) {
        let code = text(&q.unit).ok_or_else(|| ApiError::bad("unit", "a group needs the unit whose group it is"))?;
        let code = unit_code(code, "unit")?;
        let u = c.unit_index(code.as_str()).ok_or_else(|| ApiError::not_found("unit", format!("no unit {} with data", code.as_str())))?;
        let y = c.snapshot.years().saturating_sub(1);
        let g = app::peer_group(&state.store, c, u, y, group, &app::NearestSpec::default()).await.map_err(|e| ApiError::app("group", e))?;
        extra = g.members(&c.snapshot, y);
    } else if let Some(code) = text(&q.unit) {
        let code = unit_code(code, "unit")?;
        extra.push(c.unit_index(code.as_str()).ok_or_else(|| ApiError::not_found("unit", format!("no unit {} with data", code.as_str())))?);
    }
    let units = text(&q.units).unwrap_or("");
    Ok(app::query::DataQuery::parse_limited(c, indicators, units, text(&q.years).unwrap_or("all"), &extra, state.max_cells)?)
}

/// Any indicators × any units × any years, with flags: JSON pages, or the whole query as CSV, Excel CSV, XLSX or JSON-stat.
#[utoipa::path(get, path = "/api/v1/data", tag = "data", params(DataParams),
    responses(
        (status = 200, description = "Dane / Data", content(
            (DataPage = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (serde_json::Value = "application/json; profile=jsonstat")
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
    let offset = int(&q.offset, "offset", 0, 0, usize::MAX)?;
    let format = text(&q.format).unwrap_or("json");
    let en = match text(&q.lang) {
        None | Some("pl") => false,
        Some("en") => true,
        Some(other) => return Err(ApiError::bad("lang", format!("`{}`: pl or en", clip(other)))),
    };
    if !matches!(format, "json" | "csv" | "csv-pl" | "xlsx" | "jsonstat") {
        return Err(ApiError::bad("format", format!("`{}`: json, csv, csv-pl, xlsx or jsonstat", clip(format))));
    }
    let columns = text(&q.columns);
    crate::download::layout(columns).map_err(|m| ApiError::bad("columns", m))?;
    let p = portal(&state).await?;
    let query = resolve_query(&state, &p.c, &q).await?;
    if format == "xlsx" && columns.is_none() && query.cells() >= XLSX_ROWS {
        return Err(ApiError::bad(
            "columns",
            format!("{} cells do not fit one sheet's {XLSX_ROWS} rows in the long layout: ask for columns=year, or CSV", query.cells()),
        ));
    }
    if format != "json" {
        return crate::download::respond(p, query, format, en, columns, &uri, &headers).await.map_err(ApiError::server);
    }
    let c = &p.c;
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
    let next = next_link(uri.path(), uri.query(), offset, limit, Some(total), cells.len());
    let page = DataPage {
        total,
        limit,
        offset,
        next,
        indicators: query.indicators.iter().map(|&i| c.definitions[i].code.clone()).collect(),
        units: query.units.iter().map(|&u| c.codes[u].as_str().to_owned()).collect(),
        years: query.calendar_years(c),
        cells,
    };
    respond_json(&headers, &page)
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
    #[param(value_type = String, pattern = r"^([0-9]{2}|[0-9]{4}|[0-9]{7})$")]
    unit: Option<String>,
    /// Indicator code.
    #[param(value_type = String, max_length = 64)]
    indicator: Option<String>,
    /// The year (default: the newest).
    #[param(value_type = Option<i32>, minimum = 1990, maximum = 2100)]
    year: Option<String>,
    /// typology (default), neighbours, nearest, wojewodztwo, country, custom:CODE or list:CODE,CODE.
    #[param(max_length = 4000)]
    group: Option<String>,
}

fn year_param(c: &app::Computed, v: &Option<String>) -> Result<usize, ApiError> {
    match text(v) {
        None => c.snapshot.years().checked_sub(1).ok_or_else(|| ApiError::bad("year", "the snapshot has no years")),
        Some(s) => {
            let y: i32 = s.parse().map_err(|_| ApiError::bad("year", format!("`{}` is not a year", clip(s))))?;
            app::year_index(&c.snapshot, y).map_err(|e| ApiError::app("year", e))
        }
    }
}

fn snapshot_unit(c: &app::Computed, v: &Option<String>, parameter: &str) -> Result<usize, ApiError> {
    let code = text(v).ok_or_else(|| ApiError::bad(parameter, "a TERYT code is needed"))?;
    let code = unit_code(code, parameter)?;
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
    let p = portal(&state).await?;
    let c = &p.c;
    let u = snapshot_unit(c, &q.unit, "unit")?;
    let code = text(&q.indicator).ok_or_else(|| ApiError::bad("indicator", "an indicator code is needed"))?;
    let i = c
        .definitions
        .iter()
        .position(|d| d.code == code)
        .ok_or_else(|| ApiError::not_found("indicator", format!("no indicator `{}`", clip(code))))?;
    let y = year_param(c, &q.year)?;
    let group = text(&q.group).unwrap_or("typology");
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
            position: PositionDto { rank: pos.rank, percentile: pos.percentile, quartile: pos.quartile, z: pos.z },
        },
    )
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeersParams {
    /// typology (default), neighbours, nearest, wojewodztwo, country, custom:CODE or list:CODE,CODE.
    #[param(max_length = 4000)]
    group: Option<String>,
    /// The year (default: the newest): typology classes and nearest neighbours depend on it.
    #[param(value_type = Option<i32>, minimum = 1990, maximum = 2100)]
    year: Option<String>,
}

/// The members of a unit's peer group.
#[utoipa::path(get, path = "/api/v1/units/{code}/peers", tag = "units", params(("code" = String, Path, description = "TERYT code"), PeersParams),
    responses((status = 200, description = "Grupa / The group", body = GroupDto), (status = 400, description = "Zły parametr / Bad parameter", body = ApiErrorBody), (status = 404, description = "Nie ma takiej jednostki albo grupy / No such unit or group", body = ApiErrorBody), (status = 503, description = "Brak danych / No snapshot yet", body = ApiErrorBody)))]
async fn peers(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    code: Result<Path<String>, PathRejection>,
    q: Result<Query<PeersParams>, QueryRejection>,
) -> ApiResult {
    let code = path_param(code)?;
    let q = params(q)?;
    let p = portal(&state).await?;
    let c = &p.c;
    let u = snapshot_unit(c, &Some(code), "code")?;
    let y = year_param(c, &q.year)?;
    let group = text(&q.group).unwrap_or("typology");
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
    /// The year (default: the newest).
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
#[utoipa::path(get, path = "/api/v1/units/{code}/nearest", tag = "units", params(("code" = String, Path, description = "TERYT code"), NearestParams),
    responses((status = 200, description = "Najbliżsi sąsiedzi / Nearest neighbours", body = NearestDto), (status = 400, description = "Zły parametr / Bad parameter", body = ApiErrorBody), (status = 404, description = "Nie ma takiej jednostki / No such unit", body = ApiErrorBody), (status = 503, description = "Brak danych / No snapshot yet", body = ApiErrorBody)))]
async fn nearest(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    code: Result<Path<String>, PathRejection>,
    q: Result<Query<NearestParams>, QueryRejection>,
) -> ApiResult {
    let code = path_param(code)?;
    let q = params(q)?;
    let k = int(&q.k, "k", 10, 1, 50)?;
    let p = portal(&state).await?;
    let c = &p.c;
    let u = snapshot_unit(c, &Some(code), "code")?;
    let y = year_param(c, &q.year)?;
    let spec = match text(&q.context) {
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

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    pub since: String,
    pub limit: usize,
    pub offset: usize,
    pub next: Option<String>,
    pub items: Vec<ChangeDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// The date, YYYY-MM-DD: values stored on it or later.
    #[param(value_type = String, format = Date)]
    since: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000, default = 1000)]
    limit: Option<String>,
    #[param(value_type = Option<u32>, minimum = 0, default = 0)]
    offset: Option<String>,
}

/// Values (of variables) new or changed since a date, oldest first — for incremental updates.
#[utoipa::path(get, path = "/api/v1/changes", tag = "changes", params(ChangesParams),
    responses((status = 200, description = "Zmiany / Changes", body = ChangePage), (status = 400, description = "Zły parametr / Bad parameter", body = ApiErrorBody)))]
async fn changes(
    State(state): State<Arc<AppState>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    q: Result<Query<ChangesParams>, QueryRejection>,
) -> ApiResult {
    let q = params(q)?;
    let since_text = text(&q.since).ok_or_else(|| ApiError::bad("since", "a date YYYY-MM-DD is needed"))?;
    let since = model::parse_date(since_text).ok_or_else(|| ApiError::bad("since", format!("`{}`: not a date YYYY-MM-DD", clip(since_text))))?;
    let limit = int(&q.limit, "limit", 1000, 1, MAX_LIMIT)?;
    let offset = int(&q.offset, "offset", 0, 0, i64::MAX as usize)?;
    let rows = app::changes_since(&state.store, since, limit as i64, offset as i64).await.map_err(|e| ApiError::app("since", e))?;
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
    let next = next_link(uri.path(), uri.query(), offset, limit, None, items.len());
    respond_json(&headers, &ChangePage { since: model::format_date(since), limit, offset, next, items })
}

async fn api_not_found(uri: axum::http::Uri) -> Response {
    ApiError::not_found("path", format!("no API route {} (see /api/v1/openapi.json)", uri.path())).into_response()
}
