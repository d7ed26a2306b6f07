//! The portal's pages, in process, on the demo data: what each page type shows, both
//! languages, the peer-group switch, value flags, HTTP caching (ETag, Last-Modified, 304,
//! gzip) and no 500 on any input a browser can send.

use std::io::Read;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

mod analysis;
mod api;
mod report_groups;

/// One demo database file for the whole test binary (generating it takes seconds); each
/// test opens its own store and snapshot on it (a pool belongs to one test's runtime).
fn demo_file() -> &'static std::path::Path {
    static FILE: std::sync::OnceLock<(tempfile::TempDir, std::path::PathBuf)> = std::sync::OnceLock::new();
    &FILE
        .get_or_init(|| {
            std::thread::spawn(|| {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("demo.db");
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async {
                    let store = app::Store::open(&format!("sqlite:{}", path.display())).await.expect("store");
                    assert!(app::load_demo(&store).await.expect("demo loads"));
                    store.close().await;
                });
                (dir, path)
            })
            .join()
            .expect("demo generated")
        })
        .1
}

struct Demo {
    store: app::Store,
    live: Arc<app::LiveSnapshot>,
}

async fn demo() -> Demo {
    let store = app::Store::open(&format!("sqlite:{}", demo_file().display())).await.expect("store");
    let live = Arc::new(app::LiveSnapshot::new());
    live.refresh(&store).await.expect("snapshot");
    Demo { store, live }
}

/// A router over the demo, with its own snapshot and page cache.
async fn router() -> axum::Router {
    let d = demo().await;
    web::router_with(d.store, true, d.live)
}

async fn send(router: &axum::Router, uri: &str, headers: &[(header::HeaderName, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::get(uri);
    for (k, v) in headers {
        req = req.header(k, *v);
    }
    let res = router.clone().oneshot(req.body(Body::empty()).expect("request")).await.expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.expect("body").to_bytes().to_vec();
    (status, headers, body)
}

async fn get(router: &axum::Router, uri: &str) -> (StatusCode, String) {
    let (status, _, body) = send(router, uri, &[]).await;
    (status, String::from_utf8(body).expect("utf-8"))
}

/// A gmina of the demo with data: the first gmina link of the first województwo's first powiat.
async fn a_gmina(router: &axum::Router) -> String {
    let (_, woj) = get(router, "/jst/02").await;
    let powiat = first_link(&woj, 4).expect("a powiat link");
    let (_, pow) = get(router, &format!("/jst/{powiat}")).await;
    first_link(&pow, 7).expect("a gmina link")
}

fn first_link(html: &str, digits: usize) -> Option<String> {
    html.match_indices("href=\"/jst/").map(|(at, m)| &html[at + m.len()..]).find_map(|rest| {
        let code: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        (code.len() == digits).then_some(code)
    })
}

#[tokio::test]
async fn the_home_page_has_search_a_clickable_map_and_the_areas_and_says_the_data_is_synthetic() {
    let r = router().await;
    let (status, html) = get(&r, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"pl\">"));
    assert!(html.contains("Dane syntetyczne"), "demo banner");
    assert!(html.contains("role=\"search\""));
    assert!(html.contains("<svg"), "a map");
    let map = &html[html.find("<svg").unwrap()..html.find("</svg>").unwrap()];
    assert_eq!(map.matches("href=\"/jst/").count(), 16, "16 województwa to click on the map");
    assert!(html.contains("href=\"/obszar/edukacja\""), "the areas");
}

#[tokio::test]
async fn english_is_a_switch_that_keeps_the_page_and_its_parameters() {
    let r = router().await;
    let gmina = a_gmina(&r).await;
    let (_, pl) = get(&r, &format!("/jst/{gmina}?grupa=kraj")).await;
    let switch = format!("href=\"/jst/{gmina}?grupa=kraj&amp;lang=en\"");
    assert!(pl.contains(&switch), "the switch points at the same page: {switch}");
    let (status, en) = get(&r, &format!("/jst/{gmina}?grupa=kraj&lang=en")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(en.contains("<html lang=\"en\">"));
    assert!(en.contains("Synthetic data (demo)"));
    assert!(en.contains("Diagnosis") && !en.contains("Diagnoza"), "English texts only");
    assert!(en.contains(&format!("href=\"/jst/{gmina}?grupa=kraj\"")), "and back to Polish");
    assert!(en.contains("lang=en"), "links keep the language");
    for page in ["/", "/obszar", "/obszar/edukacja", "/wskaznik/EDU_01", "/nie-ma"] {
        let (_, html) = get(&r, &format!("{page}?lang=en")).await;
        assert!(html.contains("<html lang=\"en\">"), "{page}");
        assert!(html.contains("Synthetic data"), "{page}: the banner on every page");
    }
}

#[tokio::test]
async fn search_ignores_case_and_diacritics_and_one_hit_goes_straight_to_the_card() {
    let r = router().await;
    let (status, headers, _) = send(&r, "/?q=DOLNOSLASKIE", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "one result: straight to the card");
    assert_eq!(headers.get(header::LOCATION).unwrap(), "/jst/02");
    let (status, html) = get(&r, "/?q=a").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Wyniki"), "many results are listed");
    let (status, json) = get(&r, "/sugestie?q=DOLNO").await;
    assert_eq!(status, StatusCode::OK);
    let list: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(list[0]["code"], "02", "{json}");
    assert_eq!(list[0]["name"], "Województwo dolnośląskie");
}

#[tokio::test]
async fn a_unit_card_shows_facts_diagnosis_and_every_indicator_against_its_group() {
    let r = router().await;
    let gmina = a_gmina(&r).await;
    let (status, html) = get(&r, &format!("/jst/{gmina}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Ludność") && html.contains("Gęstość zaludnienia"), "facts");
    assert!(html.contains("id=\"diagnoza\"") && html.contains("Mocne strony") && html.contains("Słabe strony"));
    assert!(html.contains("Grupa porównawcza: </strong>podobne jednostki (typologia)"), "typology by default");
    // Each indicator row: a link to its page, a sparkline and a quartile bar.
    let rows = html.matches("href=\"/wskaznik/").count();
    assert!(rows > 40, "{rows} indicator links");
    assert!(html.matches("id=\"sp-").count() > 40, "sparklines");
    assert!(html.matches("id=\"qb-").count() > 40, "quartile bars");
    assert!(html.contains("najlepsza ćwiartka") || html.contains("najsłabsza ćwiartka"), "position in words, not only colour");
    assert!(html.contains('\u{a0}') || html.contains(','), "Polish number formatting");
    for area in ["Edukacja", "Polityka społeczna", "Finanse publiczne"] {
        assert!(html.contains(area), "area {area}");
    }
}

#[tokio::test]
async fn the_peer_group_switch_offers_neighbours_and_nearest_neighbours_with_why() {
    let r = router().await;
    let gmina = a_gmina(&r).await;
    let (status, html) = get(&r, &format!("/jst/{gmina}?grupa=najblizsi")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<option value=\"najblizsi\" selected"), "the switch shows the choice");
    assert!(html.contains("Odległość") && html.contains("Największe różnice"), "who they are and why");
    let members = html.matches("<td class=\"num\">").count();
    assert!(members >= 15, "15 nearest neighbours with distances ({members})");
    let (status, html) = get(&r, &format!("/jst/{gmina}?grupa=sasiedzi")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Grupa porównawcza: </strong>sąsiedzi"), "neighbours from the hex boundaries");
    let (status, html) = get(&r, &format!("/jst/{gmina}?grupa=wojewodztwo&rok=2015")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Diagnoza</h2>") || html.contains("Diagnoza 2015"), "{}", &html[..200]);
    assert!(html.contains("<option value=\"2015\" selected"));
    for bad in ["grupa=wszyscy", "rok=abc", "rok=1800"] {
        let (status, html) = get(&r, &format!("/jst/{gmina}?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(html.contains("Nieprawidłowy adres"), "{bad}: a page that says so");
    }
}

#[tokio::test]
async fn an_indicator_page_has_definition_map_ranking_group_and_leaders() {
    let r = router().await;
    let gmina = a_gmina(&r).await;
    let (status, html) = get(&r, "/wskaznik/EDU_01").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Jak liczony") && html.contains("Źródło"), "definition and source");
    assert!(html.contains("id=\"mapa-w\""), "the choropleth");
    let map = &html[html.find("id=\"mapa-w\"").unwrap()..];
    let map = &map[..map.find("</svg>").unwrap()];
    assert!(map.matches("<path").count() > 500, "every gmina on the map");
    assert!(map.contains("<title"), "hover shows name and value");
    assert!(html.contains("Tabela z wartościami wszystkich jednostek"), "the map's table alternative");
    assert!(html.contains("id=\"ranking\""));
    let (_, with_unit) = get(&r, &format!("/wskaznik/EDU_01?jst={gmina}")).await;
    assert!(with_unit.contains("class=\"sel\""), "the selected unit is marked in the ranking");
    assert!(with_unit.contains("id=\"liderzy\"") && with_unit.contains("ucz się od najlepszych"), "leaders");
    assert!(with_unit.contains("id=\"rozklad\"") && with_unit.contains("id=\"szereg\""), "distribution and time series");
    assert!(with_unit.contains("Dane wykresu w tabeli"), "the chart's table alternative");
    let (status, by_change) = get(&r, &format!("/wskaznik/EDU_01?jst={gmina}&sort=zmiana3")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(by_change.contains("według poprawy w ciągu 3 lat"));
    let (_, full) = get(&r, "/wskaznik/EDU_01?tabela=pelna").await;
    let (_, short) = get(&r, "/wskaznik/EDU_01").await;
    assert!(full.matches("<tr").count() > short.matches("<tr").count() + 100, "the full table lists every unit");
    let (_, natural) = get(&r, "/wskaznik/EDU_01?klasy=naturalne").await;
    assert!(natural.contains("podziałów naturalnych"));
    assert_eq!(get(&r, "/wskaznik/NIE_MA").await.0, StatusCode::NOT_FOUND);
    for bad in ["sort=x", "klasy=x", "poziom=x", "rok=x", "grupa=x"] {
        assert_eq!(get(&r, &format!("/wskaznik/EDU_01?{bad}")).await.0, StatusCode::BAD_REQUEST, "{bad}");
    }
    let (status, unknown) = get(&r, "/wskaznik/EDU_01?jst=9999999").await;
    assert_eq!(status, StatusCode::OK);
    assert!(unknown.contains("Nie znaleziono jednostki"), "an unknown unit is said, not fatal");
}

#[tokio::test]
async fn suppressed_values_are_shown_for_what_they_are_and_left_out_of_the_statistics() {
    let d = demo().await;
    let c = d.live.get().expect("snapshot");
    let r = web::router_with(d.store.clone(), true, d.live.clone());
    let s = &c.snapshot;
    // Find an indicator-year with a confidential cell of a gmina.
    let (i, u, y) = (0..s.indicator_count())
        .flat_map(|i| (0..s.years()).map(move |y| (i, y)))
        .find_map(|(i, y)| (0..s.units()).find(|&u| s.indicator(i).applies[u] && c.flag(i, u, y) == model::Flag::Confidential).map(|u| (i, u, y)))
        .expect("the demo has confidential cells");
    assert!(s.value(i, u, y).is_none(), "a confidential cell has no value");
    let code = &c.definitions[i].code;
    let year = s.first_year() + y as i32;
    let (status, html) = get(&r, &format!("/wskaznik/{code}?rok={year}&tabela=pelna")).await;
    assert_eq!(status, StatusCode::OK);
    let said = html.find("Bez wartości (pominięte w rankingu i statystykach)").expect("the page says what is left out");
    let sentence = &html[said..said + 400];
    let n: usize = sentence
        .split("tajemnica statystyczna: ")
        .nth(1)
        .and_then(|t| t.split(|ch: char| !ch.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(n >= 1, "{sentence}");
    let row = html.find(&format!("{}</span></th><td class=\"num\">tajemnica statystyczna", c.codes[u])).is_some();
    assert!(row, "the unit's row says confidential, not missing");
}

#[tokio::test]
async fn area_pages_list_services_and_indicators() {
    let r = router().await;
    let (status, html) = get(&r, "/obszar").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.matches("href=\"/obszar/").count() >= 9);
    let (status, html) = get(&r, "/obszar/edukacja").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>Edukacja</h1>") && html.contains("Mediana w kraju"));
    assert!(html.contains("href=\"/wskaznik/EDU_01\""));
    assert_eq!(get(&r, "/obszar/nie_ma").await.0, StatusCode::NOT_FOUND);
    let gmina = a_gmina(&r).await;
    let (_, with_unit) = get(&r, &format!("/obszar/edukacja?jst={gmina}")).await;
    assert!(with_unit.contains(&format!("/wskaznik/EDU_01?jst={gmina}")));
}

#[tokio::test]
async fn pages_carry_validators_and_answer_304_and_gzip() {
    let r = router().await;
    let (status, h, body) = send(&r, "/wskaznik/EDU_01", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let etag = h.get(header::ETAG).expect("etag").to_str().unwrap().to_owned();
    let modified = h.get(header::LAST_MODIFIED).expect("last-modified").to_str().unwrap().to_owned();
    assert!(h.get(header::CACHE_CONTROL).unwrap().to_str().unwrap().contains("max-age"));
    let (status, _, empty) = send(&r, "/wskaznik/EDU_01", &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(empty.is_empty());
    assert_eq!(send(&r, "/wskaznik/EDU_01", &[(header::IF_MODIFIED_SINCE, &modified)]).await.0, StatusCode::NOT_MODIFIED);
    assert_eq!(send(&r, "/wskaznik/EDU_01", &[(header::IF_NONE_MATCH, "\"stale\"")]).await.0, StatusCode::OK);
    let (_, gh, gz) = send(&r, "/wskaznik/EDU_01", &[(header::ACCEPT_ENCODING, "gzip, deflate, br")]).await;
    assert_eq!(gh.get(header::CONTENT_ENCODING).unwrap(), "gzip");
    assert!(gz.len() * 4 < body.len(), "compressed: {} of {}", gz.len(), body.len());
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut unzipped).expect("gzip");
    assert_eq!(unzipped, body, "the same page");
    // The same bytes from the cache, with the same validator.
    let (_, h2, again) = send(&r, "/wskaznik/EDU_01", &[]).await;
    assert_eq!(again, body);
    assert_eq!(h2.get(header::ETAG).unwrap().to_str().unwrap(), etag);
    // Errors are never cached as pages.
    let (status, h404, _) = send(&r, "/jst/3299", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(h404.get(header::ETAG).is_none());
}

#[tokio::test]
async fn no_input_a_browser_can_send_gives_a_500() {
    let r = router().await;
    let gmina = a_gmina(&r).await;
    let mut uris: Vec<String> = [
        "/jst/3299",
        "/jst/abc",
        "/jst/%FF%FE",
        "/jst/0201016",
        "/nie-ma",
        "/?q=%00%FF",
        "/?q=",
        "/?q=%20",
        "/jst/02?rok=",
        "/jst/02?rok=99999999999",
        "/jst/02?grupa=custom:",
        "/jst/02?grupa=custom:nie_ma",
        "/jst/02?grupa=%E2%80%AE",
        "/wskaznik/%00",
        "/wskaznik/EDU_01?jst=%FF",
        "/wskaznik/EDU_01?jst=02&grupa=sasiedzi",
        "/wskaznik/EDU_01?poziom=wojewodztwa&jst=0201011",
        "/obszar/%2e%2e",
        "/obszar/edukacja?jst=abc",
        "/sugestie?q=%FF%FE",
        "/sugestie?q=a",
        "/jst/02?lang=en&lang=pl",
        "/wskaznik/EDU_01?rok=2010&sort=zmiana5",
        "/wskaznik/EDU_01?rok=-1",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    uris.push(format!("/jst/{gmina}?grupa=najblizsi&rok=2010"));
    uris.push(format!("/wskaznik/DEM_01?jst={gmina}&grupa=najblizsi&sort=zmiana1&klasy=naturalne&tabela=pelna"));
    // And a few hundred pseudo-random query strings over every route.
    let alphabet: Vec<char> = "abc0123=&%?/:;ąż\u{202e}+-. ".chars().collect();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for k in 0..200 {
        let mut q = String::new();
        for _ in 0..(k % 17) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            q.push(alphabet[(x % alphabet.len() as u64) as usize]);
        }
        let route = ["/", "/jst/02", "/wskaznik/EDU_01", "/obszar/edukacja", "/sugestie"][k % 5];
        uris.push(format!("{route}?{}", q.replace(' ', "%20").replace('\u{202e}', "%E2%80%AE").replace('ą', "%C4%85").replace('ż', "%C5%BC")));
    }
    for uri in &uris {
        let Ok(req) = Request::get(uri.as_str()).body(Body::empty()) else { continue };
        let res = r.clone().oneshot(req).await.expect("response");
        assert!(!res.status().is_server_error(), "{uri}: {}", res.status());
    }
}

#[tokio::test]
async fn the_service_builds_its_snapshot_and_says_which_it_serves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = app::Store::open(&format!("sqlite:{}", dir.path().join("d.db").display())).await.expect("store");
    assert!(app::load_demo(&store).await.expect("demo loads"));
    let live = std::sync::Arc::new(app::LiveSnapshot::new());
    let router = web::router_with(store.clone(), true, live.clone());
    let (_, before) = get(&router, "/health").await;
    assert_eq!(before, "ok\nsnapshot 0\n", "served before the first snapshot is ready");
    let (status, home) = get(&router, "/").await;
    assert_eq!(status, StatusCode::OK, "pages work before the snapshot");
    assert!(home.contains("Wskaźniki nie są jeszcze policzone"));
    let watcher = tokio::spawn(web::watch_snapshot(store, live.clone(), std::time::Duration::from_millis(20)));
    for _ in 0..500 {
        if live.version() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (_, after) = get(&router, "/health").await;
    assert_eq!(after, "ok\nsnapshot 1\n");
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(live.version(), 1, "no import since: no rebuild");
    watcher.abort();
}
