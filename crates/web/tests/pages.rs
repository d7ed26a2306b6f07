//! The portal's pages, in process, on the demo data: what each page type shows, both
//! languages, the peer-group switch, value flags, HTTP caching (ETag, Last-Modified, 304,
//! gzip) and no 500 on any input a browser can send.
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

use std::io::Read;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

mod analysis;
mod api;
mod coverage;
mod report_groups;
mod security;
mod snapshots_api;
mod wording;

mod support;
use support::demo_file;

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

/// Every `id="…"` of a page, in order.
fn ids(html: &str) -> Vec<&str> {
    html.match_indices(" id=\"").map(|(at, m)| &html[at + m.len()..]).map(|rest| &rest[..rest.find('"').unwrap_or(0)]).collect()
}

/// The element that opens at `marker` up to its closing `close`.
fn piece<'a>(html: &'a str, marker: &str, close: &str) -> &'a str {
    let from = html.find(marker).unwrap_or_else(|| panic!("{marker} on the page"));
    let rest = &html[from..];
    &rest[..rest.find(close).map_or(rest.len(), |e| e + close.len())]
}

#[tokio::test]
async fn the_indicator_page_map_is_one_tab_stop_with_a_text_legend_a_skip_link_and_unique_ids() {
    let r = router().await;
    let gmina = a_gmina(&r).await;
    for uri in ["/wskaznik/EDU_01".to_owned(), format!("/wskaznik/EDU_01?jst={gmina}&lang=en")] {
        let (status, html) = get(&r, &uri).await;
        assert_eq!(status, StatusCode::OK);
        let mut seen = std::collections::HashSet::new();
        for id in ids(&html) {
            assert!(seen.insert(id), "id {id:?} twice on {uri}");
        }
        let map = piece(&html, "id=\"mapa-w\"", "</svg>");
        let links = map.matches("<a ").count();
        assert!(links > 500, "every gmina is a link");
        assert_eq!(map.matches("tabindex=\"0\"").count(), 1, "the map is one Tab stop");
        assert_eq!(map.matches("tabindex=\"-1\"").count(), links - 1, "the other areas are reached with the arrow keys");
        assert!(!map.contains("<text"), "no legend text inside the SVG, where a phone shrinks it");
        let legend = piece(&html, "class=\"legend\"", "</ul>");
        assert!(legend.matches("<li>").count() >= 2 && legend.contains("class=\"sw\""), "the legend as HTML: {legend}");
        let skip = html.find("href=\"#ranking\"").expect("a skip link to the ranking");
        assert!(skip < html.find("id=\"mapa-w\"").unwrap(), "before the map");
        let region = piece(&html, "id=\"ranking-tabela\"", ">");
        assert!(region.contains("tabindex=\"0\"") && region.contains("role=\"region\"") && region.contains("aria-label=\""), "{region}");
        let src = piece(&html, "/static/map-info.js", "\"").trim_end_matches('"').to_owned();
        let (_, script) = get(&r, &src).await;
        assert!(script.contains("addEventListener('keydown'"), "arrow keys move between the areas");
    }
}

#[tokio::test]
async fn the_favicon_answers_and_the_report_is_sent_gzipped() {
    let r = router().await;
    let (status, h, ico) = send(&r, "/favicon.ico", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "image/x-icon");
    assert!(h[header::CACHE_CONTROL].to_str().unwrap().contains("max-age=604800"));
    assert_eq!(&ico[..6], &[0, 0, 1, 0, 1, 0], "an icon file with one image");
    assert_eq!(ico.len(), 22 + 40 + 16 * 16 * 4 + 64);
    let (status, h, svg) = send(&r, "/favicon.svg", &[]).await;
    assert_eq!((status, h[header::CONTENT_TYPE].to_str().unwrap_or("")), (StatusCode::OK, "image/svg+xml"));
    assert!(String::from_utf8(svg).unwrap().starts_with("<svg"));
    let (_, home) = get(&r, "/").await;
    assert!(home.contains("<link rel=\"icon\" href=\"/favicon.svg\""));

    let gmina = a_gmina(&r).await;
    let uri = format!("/raport/{gmina}");
    let (status, plain_h, plain) = send(&r, &uri, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(plain_h.get(header::CONTENT_ENCODING).is_none());
    let (status, h, gz) = send(&r, &uri, &[(header::ACCEPT_ENCODING, "gzip, deflate, br")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::CONTENT_ENCODING], "gzip");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert!(h[header::VARY].to_str().unwrap().contains("Accept-Encoding"));
    assert!(gz.len() * 4 < plain.len(), "compressed: {} of {}", gz.len(), plain.len());
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut unzipped).expect("gzip");
    assert!(unzipped.contains("<html lang=\"pl\">") && unzipped.contains("<link rel=\"icon\""));
}

#[tokio::test]
async fn phones_get_stacked_indicator_rows_a_bar_legend_and_fields_that_fit() {
    let r = router().await;
    let gmina = a_gmina(&r).await;
    let (_, card) = get(&r, &format!("/jst/{gmina}")).await;
    assert!(card.contains("<aside class=\"banner\" aria-label=\""), "the demo banner is a landmark of its own");
    assert!(!card.contains("role=\"note\""));
    let tables: Vec<&str> = card.split("<table class=\"stack\">").skip(1).map(|t| &t[..t.find("</table>").unwrap()]).collect();
    assert!(tables.len() > 5, "the indicator tables stack on a phone");
    for t in &tables {
        let body = &t[t.find("<tbody>").unwrap()..];
        let cells = body.matches("<td").count();
        assert!(cells > 0);
        assert_eq!(cells, body.matches("data-label=\"").count(), "every cell says what it is");
        assert_eq!(body.matches("data-label=\"Mediana grupy\"").count(), body.matches("<tr").count(), "the median is on every row");
        assert!(!body.contains("class=\"num hide-phone\""), "the median is not hidden on a phone");
    }
    assert!(card.contains("Jak czytać pasek pozycji"), "the position bar has a legend");
    assert!(card.find("Jak czytać pasek pozycji") < card.find("<table class=\"stack\">"), "before the first bar");

    let (_, groups) = get(&r, "/grupy?lang=en").await;
    let area = piece(&groups, "<textarea", ">");
    assert!(!area.contains("cols="), "no fixed width: {area}");

    let (_, report) = get(&r, &format!("/raport/{gmina}")).await;
    assert!(report.contains("<table class=\"stack\">") && report.contains("data-label=\"Na tle grupy\""), "the report's rows stack too");
    assert!(report.contains("@media (max-width:40rem)"));

    let (status, analysis) = get(&r, &format!("/analiza?wskazniki=area:edukacja&jst={gmina}&grupa=najblizsi&lata=all")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(analysis.contains("formaction=\"/analiza#wynik-h\""), "showing the table leads to the result");
    assert!(analysis.contains("id=\"wynik-h\" tabindex=\"-1\""));
    assert!(
        analysis.contains("id=\"analiza-wykres-0\"") && analysis.contains("id=\"analiza-wykres-1\""),
        "a chart per indicator, not only the first"
    );
    let pivot = piece(&analysis, "<div class=\"scroll\" tabindex=\"0\" role=\"region\"", "<table id=\"tabela\"");
    assert!(pivot.contains("aria-label=\""), "the wide table scrolls in a region of its own");
}

/// A router over a copy of the demo with `csv` (`unit,variable,year,value,flag`) imported on
/// top; the copy's folder lives as long as the test binary.
async fn router_with_extra(csv: &str) -> axum::Router {
    let dir = Box::leak(Box::new(tempfile::tempdir().expect("temp dir")));
    let path = dir.path().join("demo.db");
    std::fs::copy(demo_file(), &path).expect("a copy of the demo");
    let file = dir.path().join("extra.csv");
    std::fs::write(&file, csv).expect("extra data");
    let store = app::Store::open(&format!("sqlite:{}", path.display())).await.expect("store");
    app::import_observations(&store, &file, &app::ObsImportOptions::default(), &|_, _| {}).await.expect("the extra data imports");
    let live = Arc::new(app::LiveSnapshot::new());
    live.refresh(&store).await.expect("snapshot");
    web::router_with(store, true, live)
}

/// The year a page's year select has selected.
fn selected_year(html: &str) -> Option<&str> {
    let at = html.find("\" selected>20")?;
    html.get(at + 11..at + 15)
}

#[tokio::test]
async fn same_named_units_are_told_apart_by_powiat_and_wojewodztwo_and_the_card_shows_the_hierarchy() {
    let r = router().await;
    let (status, html) = get(&r, "/?q=Leszczka").await;
    assert_eq!(status, StatusCode::OK);
    let rows: Vec<&str> = html.split("<li>").filter(|li| li.contains(">Leszczka</a>")).collect();
    assert!(rows.len() >= 2, "the demo has several Leszczka: {}", rows.len());
    for li in &rows {
        assert!(li.contains("gmina") && li.contains("powiat ") && li.contains("woj. "), "{li}");
    }
    let lines: std::collections::HashSet<&str> = rows.iter().map(|li| li.split("</li>").next().unwrap_or(li)).collect();
    assert_eq!(lines.len(), rows.len(), "no two results read the same");
    // The suggestions say the same.
    let (_, json) = get(&r, "/sugestie?q=Leszczka").await;
    let list: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let first = &list[0];
    assert!(first["place"].as_str().is_some_and(|p| p.contains("powiat ") && p.contains("woj. ")), "{first}");
    assert!(first["wojewodztwo"].is_string() && first["powiat"].is_string(), "{first}");
    // The card: województwo › powiat › the gmina, as links, in a labelled nav.
    let code = first["code"].as_str().expect("a code");
    let (_, card) = get(&r, &format!("/jst/{code}")).await;
    let nav = piece(&card, "<nav class=\"crumbs\"", "</nav>");
    assert!(nav.contains("aria-label=\"Położenie w podziale terytorialnym\""), "{nav}");
    assert!(nav.contains(&format!("href=\"/jst/{}\"", &code[..2])) && nav.contains(&format!("href=\"/jst/{}\"", &code[..4])), "{nav}");
    assert!(nav.contains("aria-current=\"page\""), "{nav}");
    // The search hint names units that exist here, not Kraków or Supraśl.
    let (_, home) = get(&r, "/").await;
    assert!(!home.contains("Kraków") && !home.contains("Supraśl"), "the demo has no Kraków");
    let hint = home.split("placeholder=\"np. ").nth(1).and_then(|h| h.split('"').next()).expect("a hint with examples");
    let example = hint.split(',').next().expect("a name");
    assert!(!example.is_empty() && !example.contains("nazwa"), "{hint}");
    let (status, found) = get(&r, &format!("/?q={}", urlencode(example))).await;
    assert!(status == StatusCode::OK || status.is_redirection(), "{status}");
    assert!(!found.contains("Nic nie znaleziono"), "the hint's {example} finds something");
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn poland_has_values_on_its_card_and_is_said_to_have_no_group_rather_than_ranked_first_of_one() {
    let r = router().await;
    let (status, html) = get(&r, "/jst/PL").await;
    assert_eq!(status, StatusCode::OK);
    let values = html.matches("data-label=\"Wartość\">").count();
    assert!(values > 5, "Poland's indicators are shown: {values}");
    let density = piece(&html, ">Gęstość zaludnienia</a>", "</tr>");
    assert!(!density.contains("brak danych"), "Poland's density is computed: {density}");
    assert!(html.contains("Bez porównania"), "says plainly that it is not compared");
    assert!(!html.contains(" z 1 ") && !html.contains("1. z 1"), "no rank of one");
    let (_, en) = get(&r, "/jst/PL?lang=en").await;
    assert!(en.contains("No comparison"));
}

#[tokio::test]
async fn pages_open_on_the_latest_year_with_data_of_each_indicator_and_rows_say_an_earlier_year() {
    // 2025 exists only for one województwo's unemployment (GOS_01) and the area of a gmina;
    // the gmina's area of 2024 is withdrawn, so its density ends in 2023.
    let r = router_with_extra(
        "unit,variable,year,value,flag\n\
         02,bezrobotni,2025,50000,final\n\
         02,ludnosc_produkcyjny,2025,1800000,final\n\
         0201022,powierzchnia,2025,120,final\n\
         0201022,powierzchnia,2024,,missing\n",
    )
    .await;
    // The indicator page of GOS_01 opens on the newest year its map (gminy) has data for.
    let (_, gos) = get(&r, "/wskaznik/GOS_01").await;
    assert_eq!(selected_year(&gos), Some("2024"), "not on 2025, where gminy have no data");
    let (_, gos_woj) = get(&r, "/wskaznik/GOS_01?poziom=wojewodztwa").await;
    assert_eq!(selected_year(&gos_woj), Some("2025"), "the województwa's map reaches 2025");
    // The gmina's card opens on 2024 (most of its indicators) and its density row shows the
    // 2023 value with the year.
    let (_, card) = get(&r, "/jst/0201022").await;
    assert_eq!(selected_year(&card), Some("2024"));
    let density = piece(&card, ">Gęstość zaludnienia</a>", "</tr>");
    assert!(density.contains("dane za 2023"), "{density}");
    assert!(!density.contains("brak danych"), "{density}");
    // Its link opens the indicator page on the year the row shows.
    let at = card.find(">Gęstość zaludnienia</a>").expect("the density row");
    let href = &card[card[..at].rfind("href=").expect("its link")..at];
    assert!(href.contains("rok=2023"), "{href}");
    // The województwo's card is not opened on 2025 by one indicator either.
    let (_, woj) = get(&r, "/jst/02").await;
    assert_eq!(selected_year(&woj), Some("2024"));
    // With the year given, every row is that year.
    let (_, given) = get(&r, "/jst/0201022?rok=2024").await;
    let density = piece(&given, ">Gęstość zaludnienia</a>", "</tr>");
    assert!(!density.contains("dane za"), "{density}");
    // Both records of a city with powiat rights open on the same year.
    let (_, city) = get(&r, "/jst/0261").await;
    let (_, city_gmina) = get(&r, "/jst/0261011").await;
    assert_eq!(selected_year(&city), selected_year(&city_gmina));
}

#[tokio::test]
async fn a_unit_without_population_has_no_typology_group_and_every_page_says_why() {
    let mut csv = String::from("unit,variable,year,value,flag\n");
    for y in 2010..=2024 {
        csv.push_str(&format!("0261,ludnosc,{y},,missing\n"));
    }
    let r = router_with_extra(&csv).await;
    let (status, card) = get(&r, "/jst/0261").await;
    assert_eq!(status, StatusCode::OK);
    assert!(card.contains("brak grupy typologicznej: brak danych o ludności za 2024"), "the card says why");
    assert!(!card.contains("bez danych o ludności"), "no made-up group");
    assert!(!card.contains("Grupa porównawcza"), "and no comparison with one");
    let (_, en) = get(&r, "/jst/0261?lang=en").await;
    assert!(en.contains("no typology group: no population data for 2024"));
    let (_, page) = get(&r, "/wskaznik/DEM_01?jst=0261").await;
    assert!(page.contains("brak grupy typologicznej: brak danych o ludności za 2024"), "the indicator page says why");
    let (status, report) = get(&r, "/raport/0261").await;
    assert_eq!(status, StatusCode::OK);
    assert!(report.contains("brak grupy typologicznej: brak danych o ludności za 2024"), "the report says why");
    let (status, api) = get(&r, "/api/v1/compare?unit=0261&indicator=DEM_01&year=2024").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{api}");
    assert!(api.contains("no typology group: no population data for 2024"), "{api}");
    // Other cities still have their typology group, and no group is made of the unknown.
    let (_, other) = get(&r, "/jst/0262").await;
    assert!(other.contains("Grupa porównawcza"));
}
