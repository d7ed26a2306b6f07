//! A mock of the BDL API for tests (feature `mock`): a plain `std::net::TcpListener` on a
//! thread, one thread per connection, answering each request with what a handler says
//! (status, headers, body, a delay before answering) and counting requests per URL. Also the
//! fixtures: `/data/by-variable` pages in the documented envelope, and variable and subject
//! metadata (`/variables/{id}`, `/variables?subject-id=…`, `/subjects/{id}`) in the shape of
//! the real answers (pybdl 1.1.0 samples: `id`, `subjectId`, `n1`…, `level`, `measureUnitId`,
//! `measureUnitName`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Wait this long before answering (a slow server, or a timeout).
    pub delay: Duration,
}

impl Reply {
    pub fn json(body: impl Into<String>) -> Reply {
        Reply { status: 200, headers: Vec::new(), body: body.into(), delay: Duration::ZERO }
    }
    pub fn status(status: u16, body: impl Into<String>) -> Reply {
        Reply { status, headers: Vec::new(), body: body.into(), delay: Duration::ZERO }
    }
    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.to_owned(), v.to_owned()));
        self
    }
    pub fn delay(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

/// What the handler is told: the path and query, how many times this URL was asked before
/// (0 the first time), and the `X-ClientId` header if sent.
#[derive(Debug, Clone)]
pub struct Request {
    pub url: String,
    pub seen_before: u32,
    pub client_id: Option<String>,
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

pub struct MockServer {
    pub base_url: String,
    counts: Arc<Mutex<HashMap<String, u32>>>,
}

impl MockServer {
    /// Starts serving on 127.0.0.1 at a free port; the thread lives as long as the process.
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> MockServer {
        Self::start_on("127.0.0.1:0", handler)
    }

    /// Starts on a given address (`127.0.0.1:0` for any free port).
    pub fn start_on(addr: &str, handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> MockServer {
        let listener = TcpListener::bind(addr).expect("mock binds");
        let port = listener.local_addr().expect("addr").port();
        let counts: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let c = counts.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (c, handler) = (c.clone(), handler.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(match stream.try_clone() {
                        Ok(s) => s,
                        Err(_) => return,
                    });
                    let mut first = String::new();
                    if reader.read_line(&mut first).is_err() {
                        return;
                    }
                    let mut client_id = None;
                    loop {
                        let mut l = String::new();
                        if reader.read_line(&mut l).map_or(true, |n| n == 0) || l == "\r\n" || l == "\n" {
                            break;
                        }
                        if let Some((k, v)) = l.split_once(':')
                            && k.trim().eq_ignore_ascii_case("x-clientid")
                        {
                            client_id = Some(v.trim().to_owned());
                        }
                    }
                    let url = first.split_whitespace().nth(1).unwrap_or("").to_owned();
                    let seen_before = {
                        let mut m = c.lock().expect("counts");
                        let e = m.entry(url.clone()).or_insert(0);
                        *e += 1;
                        *e - 1
                    };
                    let reply = handler(&Request { url, seen_before, client_id });
                    std::thread::sleep(reply.delay);
                    let mut out = stream;
                    let mut head = format!(
                        "HTTP/1.1 {} X\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
                        reply.status,
                        reply.body.len()
                    );
                    for (k, v) in &reply.headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = out.write_all(head.as_bytes());
                    let _ = out.write_all(reply.body.as_bytes());
                    let _ = out.flush();
                });
            }
        });
        MockServer { base_url: format!("http://127.0.0.1:{port}/api/v1"), counts }
    }

    /// Requests per URL (path and query) so far.
    pub fn counts(&self) -> HashMap<String, u32> {
        self.counts.lock().expect("counts").clone()
    }

    pub fn total(&self) -> u32 {
        self.counts().values().sum()
    }

    pub fn reset(&self) {
        self.counts.lock().expect("counts").clear();
    }
}

/// A query parameter of a URL (`page`, `page-size`).
pub fn param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then_some(v)
    })
}

/// Page `page` of `results` cut into pages of `size`, in the documented envelope.
pub fn data_page(results: &[serde_json::Value], page: usize, size: usize, url: &str) -> String {
    let size = size.max(1);
    let chunk: Vec<serde_json::Value> = results.iter().skip(page * size).take(size).cloned().collect();
    let last = results.len().div_ceil(size).max(1) - 1;
    let base = url.split_once('?').map_or(url, |(b, _)| b);
    let mut links = serde_json::Map::new();
    links.insert("first".into(), format!("{base}?page=0&page-size={size}").into());
    links.insert("self".into(), format!("{base}?page={page}&page-size={size}").into());
    if page < last {
        links.insert("next".into(), format!("{base}?page={}&page-size={size}", page + 1).into());
    }
    links.insert("last".into(), format!("{base}?page={last}&page-size={size}").into());
    serde_json::json!({
        "totalRecords": results.len(),
        "page": page,
        "pageSize": size,
        "links": links,
        "results": chunk,
    })
    .to_string()
}

/// A handler serving `results` as `/data/by-variable` pages for any variable and level.
pub fn serve_pages(results: Vec<serde_json::Value>) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    move |r: &Request| {
        let page = param(&r.url, "page").and_then(|p| p.parse().ok()).unwrap_or(0);
        let size = param(&r.url, "page-size").and_then(|p| p.parse().ok()).unwrap_or(100);
        Reply::json(data_page(&results, page, size, &r.url))
    }
}

/// A fake 12-character BDL id for a TERYT code (macroregion `01`, region/subregion `000`:
/// digits the TERYT mapping ignores).
pub fn bdl_id_of(teryt: &str) -> String {
    match teryt.len() {
        2 => format!("01{teryt}00000000"),
        4 => format!("01{}000{}000", &teryt[..2], &teryt[2..4]),
        7 => format!("01{}000{}", &teryt[..2], &teryt[2..7]),
        _ => "000000000000".to_owned(),
    }
}

/// A variable's metadata in the API's shape: `{"id":10,"subjectId":"P1313","n1":"ogółem",
/// "n2":"25-29","level":6,"measureUnitId":26,"measureUnitName":"osoba"}`.
pub fn variable_meta(id: i64, subject: &str, dims: &[&str], level: u8, measure_id: i64, measure: &str) -> serde_json::Value {
    let mut o = serde_json::Map::new();
    o.insert("id".into(), id.into());
    o.insert("subjectId".into(), subject.into());
    for (i, d) in dims.iter().enumerate() {
        o.insert(format!("n{}", i + 1), (*d).into());
    }
    o.insert("level".into(), level.into());
    o.insert("measureUnitId".into(), measure_id.into());
    o.insert("measureUnitName".into(), measure.into());
    serde_json::Value::Object(o)
}

/// The path of a request under the API's base (`variables/72305`), without the query.
fn api_path(url: &str) -> &str {
    let path = url.split_once('?').map_or(url, |(p, _)| p);
    path.split_once("/api/v1/").map_or(path.trim_start_matches('/'), |(_, p)| p)
}

/// A handler serving metadata: `/variables/{id}` for the variables of `vars` (404 for any
/// other id; the single answer carries `years` 2002–2024 as the real one does),
/// `/variables?subject-id=S` (the variables of `S` in pages, none for an unknown subject) and
/// `/subjects/{id}` (the name from `subjects`, 404 otherwise). Anything else is 404.
pub fn serve_metadata(vars: Vec<serde_json::Value>, subjects: Vec<(String, String)>) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    move |r: &Request| {
        let path = api_path(&r.url);
        if let Some(id) = path.strip_prefix("variables/") {
            return match vars.iter().find(|v| id.parse::<i64>().is_ok_and(|id| v["id"].as_i64() == Some(id))) {
                Some(v) => {
                    let mut v = v.clone();
                    v["years"] = (2002..=2024).collect::<Vec<i32>>().into();
                    Reply::json(v.to_string())
                }
                None => Reply::status(404, ""),
            };
        }
        if path == "variables" {
            let Some(subject) = param(&r.url, "subject-id") else { return Reply::status(400, "") };
            let of: Vec<serde_json::Value> = vars.iter().filter(|v| v["subjectId"].as_str() == Some(subject)).cloned().collect();
            let page = param(&r.url, "page").and_then(|p| p.parse().ok()).unwrap_or(0);
            let size = param(&r.url, "page-size").and_then(|p| p.parse().ok()).unwrap_or(10);
            return Reply::json(data_page(&of, page, size, &r.url));
        }
        if let Some(id) = path.strip_prefix("subjects/") {
            return match subjects.iter().find(|(s, _)| s == id) {
                Some((s, name)) => Reply::json(
                    serde_json::json!({"id": s, "parentId": "G7", "name": name, "hasVariables": true, "children": [], "levels": [0, 2, 5, 6]})
                        .to_string(),
                ),
                None => Reply::status(404, ""),
            };
        }
        Reply::status(404, "")
    }
}
