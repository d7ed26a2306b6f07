//! The JSON API on the demo data: every route, paging to the end, bad parameters and limits,
//! the OpenAPI document against the router, exports read back, ETag and CORS.

use std::collections::HashSet;

use axum::http::{StatusCode, header};
use serde_json::Value;

use super::{a_gmina, router, send};

async fn json(r: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let (status, headers, body) = send(r, uri, &[]).await;
    assert!(
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("application/json")),
        "{uri}: JSON content type"
    );
    (status, serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{uri}: not JSON: {e}")))
}

async fn ok(r: &axum::Router, uri: &str) -> Value {
    let (status, v) = json(r, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {v}");
    v
}

/// A 400 whose body names `parameter`.
async fn bad(r: &axum::Router, uri: &str, parameter: &str) -> Value {
    let (status, v) = json(r, uri).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {v}");
    assert_eq!(v["code"], "bad_parameter", "{uri}: {v}");
    assert_eq!(v["parameter"], parameter, "{uri}: {v}");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{uri}: a message");
    v
}

/// Follows `next` from `first` to the end; every item of every page.
async fn all_pages(r: &axum::Router, first: &str, items: &str) -> (Vec<Value>, usize) {
    let mut out = Vec::new();
    let mut uri = first.to_owned();
    let mut pages = 0;
    loop {
        let page = ok(r, &uri).await;
        pages += 1;
        out.extend(page[items].as_array().expect("items").iter().cloned());
        match page["next"].as_str() {
            Some(next) => uri = next.to_owned(),
            None => break,
        }
        assert!(pages < 10_000, "paging ends");
    }
    (out, pages)
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_every_documented_path_is_routed() {
    let r = router().await;
    let doc = ok(&r, "/api/v1/openapi.json").await;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let gmina = a_gmina(&r).await;
    for (path, item) in paths {
        assert!(item.get("get").is_some(), "{path}: a GET");
        let uri = path.replace("{code}", if path.starts_with("/api/v1/indicators/") { "EDU_01" } else { &gmina });
        let (status, v) = json(&r, &uri).await;
        // Routed: any answer but the API's own "no such route".
        assert!(!(status == StatusCode::NOT_FOUND && v["parameter"] == "path"), "{path} is documented but not routed");
    }
    for routed in ["/api/v1/units", "/api/v1/data", "/api/v1/compare", "/api/v1/changes", "/api/v1/groups", "/api/v1/areas"] {
        assert!(paths.contains_key(routed), "{routed} is routed but not documented");
    }
    let (status, v) = json(&r, "/api/v1/nie-ma").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(v["parameter"], "path");
}

/// Every `$ref` of `v`, with where it is.
fn refs(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x) {
                    ("$ref", Value::String(target)) => out.push((at.to_owned(), target.clone())),
                    _ => refs(x, &format!("{at}/{k}"), out),
                }
            }
        }
        Value::Array(list) => list.iter().enumerate().for_each(|(i, x)| refs(x, &format!("{at}/{i}"), out)),
        _ => {}
    }
}

/// The schema of query parameter `name` of `GET path`.
fn param<'a>(doc: &'a Value, path: &str, name: &str) -> &'a Value {
    let list = doc["paths"][path]["get"]["parameters"].as_array().unwrap_or_else(|| panic!("{path}: parameters"));
    &list.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{path}: no parameter {name}"))["schema"]
}

#[tokio::test]
async fn the_openapi_document_says_what_the_server_does() {
    let r = router().await;
    let doc = ok(&r, "/api/v1/openapi.json").await;
    // Every reference resolves (the enums of kind, format, lang and columns were references
    // to schemas the document did not hold, which made it invalid OpenAPI).
    let mut found = Vec::new();
    refs(&doc, "", &mut found);
    assert!(!found.is_empty());
    for (at, target) in &found {
        let pointer = target.strip_prefix('#').unwrap_or_else(|| panic!("{at}: {target} is not local"));
        assert!(doc.pointer(pointer).is_some(), "{at}: {target} does not resolve");
    }
    // The JSON answers of /data are a page or a JSON-stat dataset, both as application/json
    // (JSON-stat was declared under a content type the server never sends).
    let content = &doc["paths"]["/api/v1/data"]["get"]["responses"]["200"]["content"];
    assert_eq!(content.as_object().unwrap().keys().filter(|k| k.starts_with("application/json")).count(), 1, "{content}");
    let one_of = &doc["components"]["schemas"]["DataAnswer"]["oneOf"];
    assert_eq!(one_of[0]["$ref"], "#/components/schemas/DataPage", "{one_of}");
    assert_eq!(one_of[1]["$ref"], "#/components/schemas/JsonStatDataset", "{one_of}");
    // What the server requires is required; every answer's field is always there (null when empty).
    let data_params = doc["paths"]["/api/v1/data"]["get"]["parameters"].as_array().unwrap();
    assert_eq!(data_params.iter().find(|p| p["name"] == "indicators").unwrap()["required"], true);
    let unit = &doc["components"]["schemas"]["UnitDto"];
    assert_eq!(unit["required"].as_array().unwrap().len(), unit["properties"].as_object().unwrap().len(), "{unit}");
    assert_eq!(unit["properties"]["parent"]["type"], serde_json::json!(["string", "null"]));
    // Patterns are filled in, and the offsets' maximum is one the server takes.
    assert_eq!(param(&doc, "/api/v1/units", "parent")["pattern"].as_str(), web::api::pattern("@teryt").as_deref());
    assert!(!doc.to_string().contains("\"@teryt\""), "no pattern marker left");
    let max = param(&doc, "/api/v1/units", "offset")["maximum"].as_u64().unwrap();
    ok(&r, &format!("/api/v1/units?offset={max}")).await;
    bad(&r, &format!("/api/v1/units?offset={}", max + 1), "offset").await;
    // The headers of the answers, the 304 and hyper's 414.
    let units = &doc["paths"]["/api/v1/units"]["get"]["responses"];
    assert!(units["200"]["headers"]["ETag"].is_object() && units["304"].is_object() && units["414"].is_object(), "{units}");
}

#[tokio::test]
async fn parameters_the_document_constrains_are_refused_as_it_says_naming_the_parameter() {
    let r = router().await;
    let gmina = a_gmina(&r).await;
    // TERYT codes: what the pattern takes is taken (a 404 at worst), the rest is a 400 - the
    // pattern once took any 2, 4 or 7 digits, which the server refused (00, 01, 0200).
    for code in ["02", "0201", "0201011", "PL", "pl", "0000000", "0200000", "0201000", "3299999"] {
        let (status, v) = json(&r, &format!("/api/v1/units/{code}")).await;
        assert_ne!(status, StatusCode::BAD_REQUEST, "{code}: {v}");
        ok(&r, &format!("/api/v1/units?parent={code}&limit=1")).await;
    }
    for code in ["00", "01", "33", "0200", "020101", "0201016", "02010", "%2002", "02%20", "x2"] {
        bad(&r, &format!("/api/v1/units/{code}"), "code").await;
        bad(&r, &format!("/api/v1/units?parent={code}"), "parent").await;
        bad(&r, &format!("/api/v1/compare?unit={code}&indicator=EDU_01"), "unit").await;
    }
    // Present but empty, or with spaces or a sign, is not absent: the document allows none of it.
    for (query, parameter) in [
        ("parent=", "parent"),
        ("kind=", "kind"),
        ("kind=%20powiat", "kind"),
        ("limit=", "limit"),
        ("limit=%205", "limit"),
        ("limit=%2B5", "limit"),
        ("offset=1.0", "offset"),
    ] {
        bad(&r, &format!("/api/v1/units?{query}"), parameter).await;
    }
    bad(&r, "/api/v1/data?indicators=EDU_01&units=02&format=", "format").await;
    bad(&r, "/api/v1/data?indicators=EDU_01&units=02&format=%20csv", "format").await;
    bad(&r, "/api/v1/data?indicators=EDU_01&units=02&lang=", "lang").await;
    bad(&r, "/api/v1/data?indicators=EDU_01&units=02&columns=", "columns").await;
    bad(&r, "/api/v1/changes?since=%202020-01-01", "since").await;
    bad(&r, "/api/v1/changes?since=%2B2020-01-01", "since").await;
    ok(&r, "/api/v1/data?indicators=EDU_01&units=02&format=json&columns=none").await;
    // maxLength is the server's limit too (q of /indicators, area, service, context and the
    // indicator of /compare were unchecked).
    let long = |n: usize| "a".repeat(n);
    bad(&r, &format!("/api/v1/indicators?q={}", long(101)), "q").await;
    ok(&r, &format!("/api/v1/indicators?q={}", long(100))).await;
    bad(&r, &format!("/api/v1/indicators?area={}", long(65)), "area").await;
    bad(&r, &format!("/api/v1/indicators?service={}", long(201)), "service").await;
    bad(&r, &format!("/api/v1/units/{gmina}/nearest?context={}", long(1001)), "context").await;
    bad(&r, &format!("/api/v1/compare?unit={gmina}&indicator={}", long(33)), "indicator").await;
    bad(&r, "/api/v1/indicators/EDU-01", "code").await;
    // Years: out of the document's range a 400, in it but without data a 404.
    bad(&r, &format!("/api/v1/compare?unit={gmina}&indicator=EDU_01&year=1800"), "year").await;
    bad(&r, &format!("/api/v1/units/{gmina}/peers?year=-5"), "year").await;
    let (status, v) = json(&r, &format!("/api/v1/units/{gmina}/nearest?year=1995")).await;
    assert_eq!((status, v["parameter"].as_str()), (StatusCode::NOT_FOUND, Some("year")), "{v}");
    // Groups by the pattern.
    bad(&r, &format!("/api/v1/units/{gmina}/peers?group=%20typology"), "group").await;
    bad(&r, &format!("/api/v1/units/{gmina}/peers?group=list:02,,04"), "group").await;
    bad(&r, &format!("/api/v1/units/{gmina}/peers?group=custom:"), "group").await;
    ok(&r, &format!("/api/v1/units/{gmina}/peers?group=lista:02,0201")).await;
    // The query texts of /data are ASCII (an address with thousands of non-ASCII letters
    // is over the 64 KiB hyper takes, and its 414 has no body to say why).
    bad(&r, "/api/v1/data?indicators=EDU_01&units=02&years=%C4%85", "years").await;
    bad(&r, "/api/v1/data?indicators=EDU%E2%80%9401&units=02", "indicators").await;
    // A parameter without a name is named `query` (it was ``, naming nothing).
    let v = bad(&r, "/api/v1/units?=x", "query").await;
    assert!(v["message"].as_str().unwrap().contains("without a name"), "{v}");
}

#[tokio::test]
async fn units_page_to_the_end_with_each_unit_once_and_filter_by_kind_parent_and_search() {
    let r = router().await;
    let first = ok(&r, "/api/v1/units?kind=powiat&limit=7").await;
    let total = first["total"].as_u64().unwrap() as usize;
    assert!(total > 7, "several pages");
    let (items, pages) = all_pages(&r, "/api/v1/units?kind=powiat&limit=7", "items").await;
    assert_eq!(items.len(), total);
    assert_eq!(pages, total.div_ceil(7));
    let codes: HashSet<&str> = items.iter().map(|u| u["code"].as_str().unwrap()).collect();
    assert_eq!(codes.len(), total, "no unit twice");
    assert!(items.iter().all(|u| u["kind"] == "powiat" && u["code"].as_str().unwrap().len() == 4));

    let inside = ok(&r, "/api/v1/units?parent=02&limit=1000").await;
    assert!(inside["total"].as_u64().unwrap() > 0);
    for u in inside["items"].as_array().unwrap() {
        assert_eq!(u["parent"], "02", "{u}");
    }
    let found = ok(&r, "/api/v1/units?q=DOLNOSLASKIE").await;
    assert_eq!(found["items"][0]["code"], "02");
    assert_eq!(found["items"][0]["name"], "DOLNOŚLĄSKIE");
    let one = ok(&r, "/api/v1/units/02").await;
    assert_eq!(one["kind"], "wojewodztwo");
    assert_eq!(one["has_data"], true);

    bad(&r, "/api/v1/units?limit=0", "limit").await;
    bad(&r, "/api/v1/units?limit=1001", "limit").await;
    bad(&r, "/api/v1/units?limit=abc", "limit").await;
    bad(&r, "/api/v1/units?offset=-1", "offset").await;
    bad(&r, "/api/v1/units?kind=miasteczko", "kind").await;
    bad(&r, "/api/v1/units?parent=xx", "parent").await;
    bad(&r, "/api/v1/units?colour=red", "colour").await;
    bad(&r, "/api/v1/units/abc", "code").await;
    let (status, v) = json(&r, "/api/v1/units/3299999").await;
    assert_eq!((status, v["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let past = ok(&r, &format!("/api/v1/units?limit=5&offset={}", total + 10_000)).await;
    assert_eq!(past["items"].as_array().unwrap().len(), 0);
    assert!(past["next"].is_null());
}

#[tokio::test]
async fn indicators_filter_by_area_service_and_search_and_areas_list_them_all() {
    let r = router().await;
    let all = ok(&r, "/api/v1/indicators?limit=1000").await;
    let total = all["total"].as_u64().unwrap() as usize;
    assert_eq!(all["items"].as_array().unwrap().len(), total);
    let areas = ok(&r, "/api/v1/areas").await;
    let mut listed = 0;
    for a in areas.as_array().unwrap() {
        let code = a["code"].as_str().unwrap();
        let of_area = ok(&r, &format!("/api/v1/indicators?area={code}&limit=1000")).await;
        let n: usize = a["services"].as_array().unwrap().iter().map(|s| s["indicators"].as_array().unwrap().len()).sum();
        assert_eq!(of_area["total"].as_u64().unwrap() as usize, n, "{code}");
        assert!(of_area["items"].as_array().unwrap().iter().all(|i| i["area"] == code));
        listed += n;
        let service = &a["services"][0];
        let name = service["name_pl"].as_str().unwrap();
        let of_service = ok(&r, &format!("/api/v1/indicators?service={}", name.replace(' ', "%20"))).await;
        let codes: Vec<&str> = of_service["items"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap()).collect();
        let expected: Vec<&str> = service["indicators"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        assert_eq!(codes, expected, "{name}");
    }
    assert_eq!(listed, total, "every indicator is in one area");
    let edu = ok(&r, "/api/v1/indicators/EDU_01").await;
    assert_eq!(edu["area"], "edukacja");
    assert!(!edu["definition_pl"].as_str().unwrap().is_empty());
    let q = ok(&r, "/api/v1/indicators?q=edu_01").await;
    assert_eq!(q["items"][0]["code"], "EDU_01");
    let (status, _) = json(&r, "/api/v1/indicators/NIE_MA").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, pages) = all_pages(&r, "/api/v1/indicators?limit=3", "items").await;
    assert_eq!(pages, total.div_ceil(3));
}

#[tokio::test]
async fn data_pages_cover_the_whole_query_once_and_agree_with_the_comparison() {
    let r = router().await;
    let gmina = a_gmina(&r).await;
    let base = format!("/api/v1/data?indicators=EDU_01,DEM_01&units={gmina},02,0201&years=all");
    let first = ok(&r, &base).await;
    let years = first["years"].as_array().unwrap().len();
    let total = first["total"].as_u64().unwrap() as usize;
    assert_eq!(total, 2 * 3 * years);
    assert_eq!(first["units"], serde_json::json!([gmina, "02", "0201"]), "units in the order asked for");
    let (cells, pages) = all_pages(&r, &format!("{base}&limit=4"), "cells").await;
    assert_eq!(cells.len(), total);
    assert_eq!(pages, total.div_ceil(4));
    let keys: HashSet<String> = cells.iter().map(|c| format!("{}|{}|{}", c["indicator"], c["unit"], c["year"])).collect();
    assert_eq!(keys.len(), total, "each cell once");
    assert_eq!(cells[0]["indicator"], "EDU_01");
    assert_eq!(cells[0]["unit"], gmina.as_str());
    // The last year's value equals what the comparison reports.
    let last = first["years"].as_array().unwrap().last().unwrap().as_i64().unwrap();
    let cell = cells.iter().find(|c| c["indicator"] == "EDU_01" && c["unit"] == gmina.as_str() && c["year"] == last).unwrap();
    let cmp = ok(&r, &format!("/api/v1/compare?unit={gmina}&indicator=EDU_01&year={last}&group=typology")).await;
    assert_eq!(cell["value"], cmp["value"]);
    let st = &cmp["stats"];
    assert!(st["min"].as_f64().unwrap() <= st["median"].as_f64().unwrap() && st["median"].as_f64().unwrap() <= st["max"].as_f64().unwrap());
    let members = cmp["group"]["members"].as_array().unwrap();
    assert!(members.iter().any(|m| m == gmina.as_str()), "the unit is in its group");
    assert!(cmp["position"]["rank"].as_u64().unwrap() as usize <= members.len());
    assert_eq!(st["n"].as_u64().unwrap() + st["missing"].as_u64().unwrap(), members.len() as u64);

    // A group adds its members after the listed units.
    let grouped = ok(&r, &format!("/api/v1/data?indicators=EDU_01&group=typology&unit={gmina}&years=last&limit=1")).await;
    assert_eq!(grouped["units"].as_array().unwrap().len(), members.len());
    let peers = ok(&r, &format!("/api/v1/units/{gmina}/peers?group=typology")).await;
    assert_eq!(&peers["members"], &cmp["group"]["members"]);
}

#[tokio::test]
async fn data_carries_flags_and_refuses_bad_or_too_broad_queries() {
    let r = router().await;
    let gminy = ok(&r, "/api/v1/data?indicators=all&units=gminy&years=last&limit=10000").await;
    let cells = gminy["cells"].as_array().unwrap();
    assert!(cells.iter().any(|c| c["flag"] == "confidential" && c["value"].is_null()), "suppressed cells are flagged");
    assert!(cells.iter().all(|c| c["value"].is_null() != c["flag"].is_null() || c["flag"] == "preliminary" || c["flag"] == "estimated"));
    bad(&r, "/api/v1/data?units=02", "indicators").await;
    bad(&r, "/api/v1/data?indicators=NIE_MA&units=02", "indicators").await;
    bad(&r, "/api/v1/data?indicators=all&units=02&years=1800", "years").await;
    bad(&r, "/api/v1/data?indicators=all&units=02&years=abc", "years").await;
    bad(&r, "/api/v1/data?indicators=all&units=zz", "units").await;
    bad(&r, "/api/v1/data?indicators=all", "units").await;
    bad(&r, "/api/v1/data?indicators=all&units=02&limit=10001", "limit").await;
    bad(&r, "/api/v1/data?indicators=all&units=02&format=pdf", "format").await;
    bad(&r, "/api/v1/data?indicators=all&units=02&lang=de", "lang").await;
    bad(&r, "/api/v1/data?indicators=all&units=02&columns=rows", "columns").await;
    bad(&r, "/api/v1/data?indicators=all&units=02&group=typology", "unit").await;
    bad(&r, "/api/v1/data?indicators=all&units=02&group=planety&unit=02", "group").await;
    // Breadth: a server whose limit is 1,000 cells refuses 2 × 501 and says how many.
    let d = super::demo().await;
    let small = web::router_for(web::AppState::with_max_cells(d.store, true, d.live, 1000));
    let v = bad(&small, "/api/v1/data?indicators=EDU_01,DEM_01&units=gminy&years=last", "units").await;
    let n_gminy = ok(&r, "/api/v1/data?indicators=EDU_01&units=gminy&years=last&limit=1").await["total"].as_u64().unwrap();
    assert!(n_gminy > 500);
    assert!(v["message"].as_str().unwrap().contains(&format!("= {} cells", 2 * n_gminy)), "{v}");
    ok(&small, "/api/v1/data?indicators=EDU_01,DEM_01&units=02,04&years=all").await;
}

#[tokio::test]
async fn exports_hold_the_same_numbers_as_the_json() {
    let r = router().await;
    let gmina = a_gmina(&r).await;
    let q = format!("indicators=EDU_01,DEM_01&units={gmina},02&years=all");
    let js = ok(&r, &format!("/api/v1/data?{q}&limit=10000")).await;
    let cells = js["cells"].as_array().unwrap();
    // Probes: cells with a value (the last one, and one of the second indicator).
    let probes: Vec<&Value> =
        [cells.iter().rev().find(|c| !c["value"].is_null()), cells.iter().find(|c| c["indicator"] == "DEM_01" && !c["value"].is_null())]
            .into_iter()
            .map(|c| c.expect("a cell with a value"))
            .collect();
    let pos = |list: &str, v: &Value| js[list].as_array().unwrap().iter().position(|x| x == v).unwrap();

    let (status, headers, body) = send(&r, &format!("/api/v1/data?{q}&format=csv"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains(".csv"));
    let mut rd = csv::Reader::from_reader(body.as_slice());
    let hdr = rd.headers().unwrap().clone();
    let at = |k: &str| hdr.iter().position(|h| h == k).unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), cells.len());
    for p in &probes {
        let row = rows
            .iter()
            .find(|r| {
                r[at("indicator_code")] == p["indicator"]
                    && r[at("unit_code")] == p["unit"]
                    && r[at("year")].parse::<i64>().ok() == p["year"].as_i64()
            })
            .unwrap();
        assert_eq!(row[at("value")].parse::<f64>().ok(), p["value"].as_f64(), "{p}");
    }

    let (_, _, body) = send(&r, &format!("/api/v1/data?{q}&format=csv-pl"), &[]).await;
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "BOM for Excel");
    let text = String::from_utf8(body[3..].to_vec()).unwrap();
    assert!(text.lines().next().unwrap().contains(';'));
    assert!(text.contains("Wskaźnik"));
    assert_eq!(text.lines().count(), cells.len() + 1);

    let (status, _, body) = send(&r, &format!("/api/v1/data?{q}&format=xlsx"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(body)).expect("a workbook");
    use calamine::Reader;
    let names = wb.sheet_names().to_vec();
    assert_eq!(names.len(), 2, "data and metadata: {names:?}");
    let sheet = wb.worksheet_range(&names[0]).unwrap();
    assert_eq!(sheet.rows().count(), cells.len() + 1);
    let header: Vec<String> = sheet.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    let col = |k: &str| header.iter().position(|h| h == k).unwrap_or_else(|| panic!("{k} in {header:?}"));
    for p in &probes {
        let found = sheet
            .rows()
            .skip(1)
            .find(|row| {
                row[col("Kod wskaźnika")].to_string() == p["indicator"]
                    && row[col("Kod TERYT")].to_string() == p["unit"]
                    && row[col("Rok")].to_string().parse::<f64>().ok() == p["year"].as_f64()
            })
            .expect("the cell in the sheet");
        let got = found[col("Wartość")].to_string().parse::<f64>().unwrap();
        assert!((got - p["value"].as_f64().unwrap()).abs() < 1e-9, "{got} vs {p}");
    }
    let meta = wb.worksheet_range(&names[1]).unwrap();
    let text: String = meta.rows().flat_map(|r| r.iter().map(|c| c.to_string())).collect::<Vec<_>>().join("|");
    assert!(text.contains("EDU_01") && text.contains("tajemnica statystyczna"), "definitions and the flag legend");

    let stat = ok(&r, &format!("/api/v1/data?{q}&format=jsonstat")).await;
    assert_eq!(stat["version"], "2.0");
    // The dataset links to its own query (it said /data?…, without /api/v1).
    assert_eq!(stat["href"].as_str().unwrap(), format!("/api/v1/data?{q}&format=jsonstat"));
    let size: u64 = stat["size"].as_array().unwrap().iter().map(|s| s.as_u64().unwrap()).product();
    assert_eq!(size as usize, stat["value"].as_array().unwrap().len());
    assert_eq!(size as usize, cells.len());
    let (n_u, n_y) = (js["units"].as_array().unwrap().len(), js["years"].as_array().unwrap().len());
    for p in &probes {
        let k = (pos("indicators", &p["indicator"]) * n_u + pos("units", &p["unit"])) * n_y + pos("years", &p["year"]);
        assert_eq!(stat["value"][k].as_f64(), p["value"].as_f64(), "{p}");
    }
}

#[tokio::test]
async fn nearest_neighbours_come_with_distances_in_order_and_groups_are_listed() {
    let r = router().await;
    let gmina = a_gmina(&r).await;
    let n = ok(&r, &format!("/api/v1/units/{gmina}/nearest?k=5")).await;
    let list = n["neighbours"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    let d: Vec<f64> = list.iter().map(|x| x["distance"].as_f64().unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    assert!(list.iter().all(|x| x["code"] != gmina.as_str()));
    let shares: f64 = list[0]["contributions"].as_array().unwrap().iter().map(|c| c.as_f64().unwrap()).sum();
    assert!((shares - 1.0).abs() < 1e-6 || d[0] == 0.0, "shares of the distance add up: {shares}");
    bad(&r, &format!("/api/v1/units/{gmina}/nearest?k=0"), "k").await;
    bad(&r, &format!("/api/v1/units/{gmina}/nearest?context=zzz"), "context").await;
    let g = ok(&r, "/api/v1/groups").await;
    let kinds: Vec<&str> = g["kinds"].as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap()).collect();
    for k in ["typology", "neighbours", "nearest", "wojewodztwo", "country"] {
        assert!(kinds.contains(&k), "{k}");
    }
    let listed = ok(&r, &format!("/api/v1/units/{gmina}/peers?group=list:02,0201")).await;
    assert_eq!(listed["members"].as_array().unwrap().len(), 3, "the unit and the two listed: {listed}");
}

#[tokio::test]
async fn changes_since_a_date_page_to_the_end_and_a_bad_date_is_refused() {
    let r = router().await;
    let first = ok(&r, "/api/v1/changes?since=2000-01-01&limit=1000").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 1000, "the demo has many values");
    let second = ok(&r, first["next"].as_str().unwrap()).await;
    assert_eq!(second["cursor"], first["next_cursor"], "paged by cursor");
    let a: HashSet<String> = first["items"].as_array().unwrap().iter().map(|c| format!("{}|{}|{}", c["unit"], c["variable"], c["year"])).collect();
    assert!(
        second["items"].as_array().unwrap().iter().all(|c| !a.contains(&format!("{}|{}|{}", c["unit"], c["variable"], c["year"]))),
        "pages do not overlap"
    );
    let future = ok(&r, "/api/v1/changes?since=2999-01-01").await;
    assert_eq!(future["items"].as_array().unwrap().len(), 0);
    assert!(future["next"].is_null());
    bad(&r, "/api/v1/changes", "since").await;
    bad(&r, "/api/v1/changes?since=yesterday", "since").await;
    bad(&r, "/api/v1/changes?since=2020-01-01&limit=5000", "limit").await;
}

#[tokio::test]
async fn api_answers_carry_an_etag_answer_304_and_allow_any_origin() {
    let r = router().await;
    let (status, headers, _) = send(&r, "/api/v1/indicators?limit=5", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    let (status, _, body) = send(&r, "/api/v1/indicators?limit=5", &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    let (status, _, _) = send(&r, "/api/v1/indicators?limit=6", &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(status, StatusCode::OK, "another answer, another tag");
    let (_, headers, _) = send(&r, "/api/v1/data?indicators=EDU_01&units=02&format=csv", &[]).await;
    let tag = headers[header::ETAG].to_str().unwrap().to_owned();
    let (status, _, _) = send(&r, "/api/v1/data?indicators=EDU_01&units=02&format=csv", &[(header::IF_NONE_MATCH, &tag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED, "downloads too");
    // A CORS preflight.
    let req = axum::http::Request::builder()
        .method("OPTIONS")
        .uri("/api/v1/units")
        .header(header::ORIGIN, "https://example.org")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .body(axum::body::Body::empty())
        .unwrap();
    use tower::ServiceExt;
    let res = r.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.headers()[header::ACCESS_CONTROL_ALLOW_METHODS].to_str().unwrap().contains("GET"));
    // The portal's pages are not opened to other origins.
    let (_, headers, _) = send(&r, "/obszar", &[]).await;
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
}
