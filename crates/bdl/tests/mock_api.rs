//! The client against a mock BDL API replaying pages in the documented shape, built from the
//! real sample replies (pybdl 1.1.0): paging to the end, 429 with Retry-After, 500 then
//! success, a timeout, malformed JSON, an error status, and the cache that makes a second
//! run fetch nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bdl::mock::{MockServer, Reply, bdl_id_of, param, serve_pages};
use bdl::{BdlError, Cache, CachedSource, Client, ClientOptions, Plan, Quota, Series};
use ingest::RecordSource;
use model::{Flag, VariableCode};

fn sample_series() -> Vec<serde_json::Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/bdl/api_samples/pybdl-1.1.0/samples_raw_data.json");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).expect("sample")).expect("json");
    json["get_data_by_variable"].as_array().expect("list").clone()
}

/// `n` units at level 6, each with the values of one of the real sample's series (in turn).
fn units(n: usize) -> Vec<serde_json::Value> {
    let sample = sample_series();
    (0..n)
        .map(|i| {
            let mut u = sample[i % sample.len()].clone();
            let teryt = format!("02{:02}{:02}2", 1 + i / 50, 1 + i % 50);
            u["id"] = bdl_id_of(&teryt).into();
            u["name"] = format!("Gmina {i}").into();
            u
        })
        .collect()
}

fn client(base: &str) -> Client {
    let mut o = ClientOptions::new(base, None);
    o.backoff = Duration::from_millis(10);
    o.max_backoff = Duration::from_millis(50);
    o.timeout = Duration::from_millis(800);
    o.retries = 3;
    o.quota = Some(Quota { windows: vec![] });
    Client::new(o, None)
}

fn plan(var: i64) -> Plan {
    Plan { series: vec![Series { variable: var, level: 6, years: vec![], code: VariableCode::parse("x").expect("code"), name: "x".into() }] }
}

fn records(cache: &Cache, plan: &Plan) -> Vec<ingest::Record> {
    let mut src = CachedSource::open(cache.clone(), plan.clone());
    let mut out = Vec::new();
    while let Some(r) = src.next_record().expect("reads") {
        out.push(r.expect("valid record"));
    }
    out
}

#[test]
fn pages_are_fetched_to_the_end_once_and_a_second_run_fetches_nothing() {
    let all = units(250);
    let expected_values: usize = all.iter().map(|u| u["values"].as_array().expect("values").len()).sum();
    let server = MockServer::start(serve_pages(all));
    let dir = tempfile::tempdir().expect("dir");
    let cache = Cache::open(dir.path()).expect("cache");
    let plan = plan(3643);
    let mut c = client(&server.base_url);
    let mut seen = Vec::new();
    let report = bdl::fetch(&mut c, &cache, &plan, &mut |d, t| seen.push((d, t))).expect("fetch");
    assert_eq!((report.pages, report.fetched, report.cached), (3, 3, 0));
    assert_eq!(seen.last(), Some(&(3, 3)), "progress ends at the real page count");
    let counts = server.counts();
    assert_eq!(counts.len(), 3, "{counts:?}");
    for k in 0..3 {
        let url = format!("/api/v1/data/by-variable/3643?format=json&unit-level=6&page-size=100&page={k}");
        assert_eq!(counts.get(&url), Some(&1), "page {k} asked once: {counts:?}");
    }
    let recs = records(&cache, &plan);
    assert_eq!(recs.len(), expected_values);
    assert_eq!(recs[0].unit.as_str(), "0201012");
    assert_eq!((recs[0].year.get(), recs[0].value.map(model::Value::get)), (1995, Some(168.0)), "the sample's first value");

    let again = bdl::fetch(&mut c, &cache, &plan, &mut |_, _| {}).expect("fetch again");
    assert_eq!((again.fetched, again.cached), (0, 3));
    assert_eq!(server.total(), 3, "nothing requested the second time");
    let est = bdl::estimate(&plan, &cache);
    assert_eq!((est.requests, est.cached, est.exact), (3, 3, true));
}

#[test]
fn a_429_waits_for_retry_after_and_a_500_is_retried() {
    let pages = serve_pages(units(120));
    let server = MockServer::start(move |r| {
        let page = param(&r.url, "page");
        match (page, r.seen_before) {
            (Some("0"), 0) => Reply::status(429, "{\"errorResult\":\"limit\"}").header("Retry-After", "1"),
            (Some("1"), 0) => Reply::status(500, "oops"),
            _ => pages(r),
        }
    });
    let dir = tempfile::tempdir().expect("dir");
    let cache = Cache::open(dir.path()).expect("cache");
    let start = std::time::Instant::now();
    let report = bdl::fetch(&mut client(&server.base_url), &cache, &plan(1), &mut |_, _| {}).expect("fetch");
    assert_eq!(report.fetched, 2);
    assert!(start.elapsed() >= Duration::from_secs(1), "Retry-After: 1 was honoured");
    let counts = server.counts();
    assert!(counts.values().all(|n| *n == 2), "each page failed once, then succeeded: {counts:?}");
}

#[test]
fn a_server_that_does_not_answer_in_time_is_retried_then_named() {
    let pages = serve_pages(units(10));
    let slow_once = MockServer::start(move |r| {
        let reply = pages(r);
        if r.seen_before == 0 { reply.delay(Duration::from_secs(3)) } else { reply }
    });
    let dir = tempfile::tempdir().expect("dir");
    let cache = Cache::open(dir.path()).expect("cache");
    let r = bdl::fetch(&mut client(&slow_once.base_url), &cache, &plan(1), &mut |_, _| {}).expect("second attempt answers");
    assert_eq!(r.fetched, 1);

    let never = MockServer::start(|_| Reply::json("{}").delay(Duration::from_secs(5)));
    let dir = tempfile::tempdir().expect("dir");
    let cache = Cache::open(dir.path()).expect("cache");
    let e = bdl::fetch(&mut client(&never.base_url), &cache, &plan(7), &mut |_, _| {}).expect_err("times out");
    let msg = e.to_string();
    assert!(matches!(e, BdlError::Transport { attempts: 4, .. }), "{msg}");
    assert!(msg.contains("/data/by-variable/7?") && msg.contains("after 4 attempt(s)"), "{msg}");
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0, "nothing cached");
}

#[test]
fn persistent_errors_name_the_url_and_status_and_cache_nothing() {
    let server = MockServer::start(|_| Reply::status(503, "maintenance"));
    let dir = tempfile::tempdir().expect("dir");
    let cache = Cache::open(dir.path()).expect("cache");
    let e = bdl::fetch(&mut client(&server.base_url), &cache, &plan(5), &mut |_, _| {}).expect_err("503");
    assert!(e.to_string().contains("HTTP 503 after 4 attempt(s): maintenance"), "{e}");
    assert!(e.to_string().contains("http://127.0.0.1:"), "{e}");

    let hits = Arc::new(AtomicU32::new(0));
    let h = hits.clone();
    let server = MockServer::start(move |_| {
        h.fetch_add(1, Ordering::SeqCst);
        Reply::status(404, "{\"errorResult\":\"Nie znaleziono zmiennej\"}")
    });
    let e = bdl::fetch(&mut client(&server.base_url), &cache, &plan(999_999), &mut |_, _| {}).expect_err("404");
    assert!(e.to_string().contains("HTTP 404 after 1 attempt(s)"), "{e}");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "a wrong request is not retried");
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}

#[test]
fn a_malformed_page_is_a_clear_error_and_is_not_cached() {
    let pages = serve_pages(units(250));
    let server = MockServer::start(move |r| {
        if param(&r.url, "page") == Some("1") { Reply::json("{\"totalRecords\":250,\"results\":[{\"id\":\"0102000") } else { pages(r) }
    });
    let dir = tempfile::tempdir().expect("dir");
    let cache = Cache::open(dir.path()).expect("cache");
    let p = plan(2);
    let e = bdl::fetch(&mut client(&server.base_url), &cache, &p, &mut |_, _| {}).expect_err("malformed");
    let msg = e.to_string();
    assert!(msg.contains("page=1") && msg.contains("invalid JSON at line 1"), "{msg}");
    assert!(cache.contains(&p.series[0].page_name(0)), "the good page before it is kept");
    assert!(!cache.contains(&p.series[0].page_name(1)), "the bad page is not");
    // Reading back before the fetch completed names the missing page.
    let mut src = CachedSource::open(cache.clone(), p.clone());
    let err = loop {
        match src.next_record() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("must not end quietly"),
            Err(e) => break e,
        }
    };
    assert!(err.to_string().contains("p00001.json") && err.to_string().contains("not been fetched"), "{err}");

    let wrong_shape = MockServer::start(|_| Reply::json("{\"totalRecords\":1,\"results\":[{\"id\":11200000000,\"values\":[]}]}"));
    let e = bdl::fetch(&mut client(&wrong_shape.base_url), &cache, &plan(3), &mut |_, _| {}).expect_err("numeric id");
    assert!(e.to_string().contains("at results[0].id: expected a 12-character string"), "{e}");
}

#[test]
fn the_key_is_sent_and_no_data_attributes_become_missing_values() {
    let results = vec![
        serde_json::json!({
            "id": bdl_id_of("1465018"), "name": "Bemowo",
            "values": [
                {"year": "2020", "val": 0, "attrId": 0},
                {"year": "2021", "val": 0, "attrId": 4},
                {"year": "2022", "val": 0, "attrId": 7},
                {"year": "2023", "val": 12.5, "attrId": 9}
            ]
        }),
        serde_json::json!({"id": "011210000000", "name": "REGION", "values": [{"year": "2020", "val": 1, "attrId": 1}]}),
    ];
    let keys = Arc::new(std::sync::Mutex::new(Vec::new()));
    let k = keys.clone();
    let pages = serve_pages(results);
    let server = MockServer::start(move |r| {
        k.lock().expect("keys").push(r.client_id.clone());
        pages(r)
    });
    let mut o = ClientOptions::new(&server.base_url, Some("abc-123".into()));
    o.quota = Some(Quota { windows: vec![] });
    let mut c = Client::new(o, None);
    let dir = tempfile::tempdir().expect("dir");
    let cache = Cache::open(dir.path()).expect("cache");
    let p = plan(4);
    bdl::fetch(&mut c, &cache, &p, &mut |_, _| {}).expect("fetch");
    assert_eq!(keys.lock().expect("keys").as_slice(), &[Some("abc-123".to_owned())]);
    let recs = records(&cache, &p);
    let got: Vec<(i16, Option<f64>, Flag)> = recs.iter().map(|r| (r.year.get(), r.value.map(model::Value::get), r.flag)).collect();
    assert_eq!(
        got,
        vec![(2020, None, Flag::Missing), (2021, None, Flag::Confidential), (2022, Some(0.0), Flag::Final), (2023, Some(12.5), Flag::Preliminary)],
        "attrId 0 and 4 carry no value; 7 is a real (rounded) zero; the region has no TERYT code and is skipped"
    );
    assert!(recs.iter().all(|r| r.unit.as_str() == "1465018"));
}

#[test]
fn every_retry_is_told_as_it_happens_with_its_reason_and_wait() {
    let server = MockServer::start(|r| match r.seen_before {
        0 => Reply::status(503, "maintenance"),
        1 => Reply::status(429, "").header("Retry-After", "0"),
        _ => Reply::json("{\"totalRecords\":0,\"results\":[]}"),
    });
    let told = Arc::new(std::sync::Mutex::new(Vec::new()));
    let t = told.clone();
    let mut c = client(&server.base_url);
    c.on_retry(move |r| t.lock().expect("told").push((r.attempt, r.attempts, r.reason.to_owned(), r.wait, r.url.to_owned())));
    let dir = tempfile::tempdir().expect("dir");
    let cache = Cache::open(dir.path()).expect("cache");
    bdl::fetch(&mut c, &cache, &plan(8), &mut |_, _| {}).expect("the third attempt answers");
    let told = told.lock().expect("told").clone();
    assert_eq!(told.len(), 2, "{told:?}");
    assert_eq!((told[0].0, told[0].1, told[0].2.as_str()), (1, 4, "HTTP 503: maintenance"));
    assert!(told[0].3 <= Duration::from_millis(10) && told[0].4.contains("/data/by-variable/8?"), "{told:?}");
    assert_eq!((told[1].0, told[1].2.as_str(), told[1].3), (2, "HTTP 429", Duration::ZERO), "Retry-After: 0");
}

#[test]
fn a_host_name_that_does_not_resolve_fails_at_once_without_retries() {
    let mut o = ClientOptions::new("http://nonexistent.invalid/api/v1", None);
    o.backoff = Duration::from_secs(5);
    o.quota = Some(Quota { windows: vec![] });
    let mut c = Client::new(o, None);
    let retried = Arc::new(AtomicU32::new(0));
    let r = retried.clone();
    c.on_retry(move |_| {
        r.fetch_add(1, Ordering::SeqCst);
    });
    let start = std::time::Instant::now();
    let e = c.get("levels").expect_err("no such host");
    assert!(start.elapsed() < Duration::from_secs(4), "no backoff: {:?}", start.elapsed());
    assert_eq!((retried.load(Ordering::SeqCst), c.sent), (0, 1), "one attempt, no retry");
    assert!(matches!(e, BdlError::HostNotFound { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("nonexistent.invalid") && msg.contains("cannot resolve the host name"), "{msg}");
}
