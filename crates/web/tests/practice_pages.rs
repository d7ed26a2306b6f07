//! Good practices in process, on a small country of their own (six gminy, a cost indicator
//! where lower is better, nine years): an approver proposes a practice of their unit (an
//! audit row), nobody else sees it until a verifier verifies it (the approver may not), a
//! form without its token is refused, a bad link comes back as the form with the error at
//! its field; the indicator page lists the biggest improvers in the order the use-case gives
//! and the practice once verified; the unit card shows the improvers under its weakness; the
//! API lists verified practices only and names a bad parameter.
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

const TERC: &str = "WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD;STAN_NA
02;;;;DOLNOŚLĄSKIE;województwo;2026-01-01
02;01;;;bolesławiecki;powiat;2026-01-01
02;01;01;1;Alfowo;gmina miejska;2026-01-01
02;01;02;2;Betowo;gmina wiejska;2026-01-01
02;01;03;2;Gammowo;gmina wiejska;2026-01-01
02;01;04;2;Deltowo;gmina wiejska;2026-01-01
02;01;05;2;Epsilonowo;gmina wiejska;2026-01-01
02;01;06;2;Zetowo;gmina wiejska;2026-01-01
";

/// The weak unit (its cost is the highest and does not move).
const WEAK: &str = "0201022";
/// The unit whose approver proposes the practice: the biggest improver.
const BEST: &str = "0201042";

/// Each gmina's cost in 2015 and in 2023 (a straight line between): lower is better.
const COSTS: [(&str, f64, f64); 6] = [
    ("0201011", 120.0, 84.0),
    (WEAK, 150.0, 150.0),
    ("0201032", 100.0, 95.0),
    (BEST, 110.0, 70.0),
    ("0201052", 90.0, 100.0),
    ("0201062", 130.0, 110.0),
];

const CATALOGUE: &str = r#"version = "test"
[[variable]]
code = "koszt_adm"
name_pl = "Koszty obsługi administracyjnej"
[[variable]]
code = "placowki"
name_pl = "Placówki"
[[indicator]]
code = "KOSZT"
name_pl = "Koszt obsługi na placówkę"
name_en = "Support cost per institution"
area = "edukacja"
service_pl = "Szkoły podstawowe"
kind = "monitoring"
dimension = "efficiency"
polarity = "lower_better"
numerator = "koszt_adm"
denominator = "placowki"
unit_pl = "zł"
decimals = 1
applies_to = ["gmina_miejska", "gmina_wiejska", "gmina_miejsko_wiejska"]
definition_pl = "Koszty obsługi / placówki"
source = "test"
"#;

#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

struct World {
    router: axum::Router,
    store: app::Store,
    live: Arc<app::LiveSnapshot>,
    /// Approver of BEST.
    approver: Session,
    /// Approver of WEAK.
    other_approver: Session,
    verifier: Session,
}

async fn session(store: &app::Store, login: &str) -> Session {
    let password = "hasło-testowe-123456";
    app::accounts::set_password(store, store.actor(), login, password).await.expect("password");
    match app::accounts::login(store, login, password, Some("127.0.0.1")).await.expect("login") {
        app::accounts::LoginOutcome::Ok { token, csrf, .. } => Session { cookie: format!("miernik_sesja={token}"), csrf },
        other => panic!("login of {login} refused: {other:?}"),
    }
}

async fn world() -> World {
    let dir = Box::leak(Box::new(tempfile::tempdir().expect("temp dir")));
    let store = app::Store::open(&format!("sqlite:{}", dir.path().join("t.db").display())).await.expect("store");
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    app::import_units(&store, &file("terc.csv", TERC)).await.expect("TERC");
    app::import_indicators(&store, &file("k.toml", CATALOGUE)).await.expect("catalogue");
    let mut obs = String::from("unit,variable,year,value\n");
    for (unit, from, to) in COSTS {
        for year in 2015..=2023 {
            let cost = from + (to - from) * f64::from(year - 2015) / 8.0;
            obs.push_str(&format!("{unit},koszt_adm,{year},{}\n{unit},placowki,{year},10\n", cost * 10.0));
        }
    }
    app::import_observations(&store, &file("o.csv", &obs), &app::ObsImportOptions::default(), &|_, _| {}).await.expect("observations");
    let actor = store.actor().clone();
    for (login, role, units) in [
        ("zatwierdza", app::accounts::Role::Approver, vec![BEST.to_owned()]),
        ("zatwierdza2", app::accounts::Role::Approver, vec![WEAK.to_owned()]),
        ("weryfikuje", app::accounts::Role::Verifier, vec!["*".to_owned()]),
    ] {
        app::accounts::add_user(&store, &actor, login, login, None).await.expect("user");
        app::accounts::grant(&store, &actor, login, role, &units).await.expect("grant");
    }
    let live = Arc::new(app::LiveSnapshot::new());
    live.refresh(&store).await.expect("snapshot");
    let router = web::router_with(store.clone(), false, live.clone());
    World {
        approver: session(&store, "zatwierdza").await,
        other_approver: session(&store, "zatwierdza2").await,
        verifier: session(&store, "weryfikuje").await,
        router,
        store,
        live,
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn location(&self) -> String {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

async fn send(router: &axum::Router, req: Request<Body>) -> Answer {
    let res = router.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.expect("body").to_bytes().to_vec();
    Answer { status, headers, body }
}

async fn get(w: &World, who: Option<&Session>, uri: &str) -> Answer {
    let mut req = Request::get(uri);
    if let Some(s) = who {
        req = req.header(header::COOKIE, &s.cookie);
    }
    send(&w.router, req.body(Body::empty()).unwrap()).await
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A form POST as `who`, with their token unless `csrf` is false.
async fn post_as(w: &World, who: &Session, uri: &str, fields: &[(&str, &str)], csrf: bool) -> Answer {
    let mut body: Vec<String> = if csrf { vec![format!("csrf={}", urlencode(&who.csrf))] } else { Vec::new() };
    body.extend(fields.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))));
    let req = Request::post(uri)
        .header(header::COOKIE, &who.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.join("&")))
        .unwrap();
    send(&w.router, req).await
}

async fn post(w: &World, who: &Session, uri: &str, fields: &[(&str, &str)]) -> Answer {
    post_as(w, who, uri, fields, true).await
}

const TITLE: &str = "Centrum usług wspólnych dla szkół";

fn practice_fields(link: &str) -> Vec<(&str, &str)> {
    vec![
        ("tytul", TITLE),
        ("jst", BEST),
        ("opis", "Obsługa księgowa i kadrowa szkół przeszła do jednego centrum; koszty obsługi spadły."),
        ("kontakt", "Wydział Edukacji, edukacja@deltowo.example"),
        ("linki", link),
        ("rok", "2018"),
        ("wskazniki", "KOSZT"),
    ]
}

/// How many practices the store holds, whatever their status.
async fn stored(w: &World) -> usize {
    w.store.practices(&app::practices::PracticeFilter::default()).await.unwrap().len()
}

/// The audit rows of `action`: (unit code, actor).
async fn audit(store: &app::Store, action: &str) -> Vec<(Option<String>, String)> {
    let params = app::audit::AuditParams { action: Some(action.to_owned()), ..Default::default() };
    app::audit::audit_page(store, &params, 100).await.unwrap().rows.into_iter().map(|r| (r.unit_code, r.actor)).collect()
}

/// Proposes the practice as the approver of BEST; its id.
async fn propose(w: &World) -> i64 {
    let created =
        post(w, &w.approver, "/dobre-praktyki/nowa", &practice_fields("https://deltowo.example/cuw\nhttp://bip.deltowo.example/uchwala")).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text());
    let to = created.location();
    let id = to.strip_prefix("/dobre-praktyki/").and_then(|r| r.split('?').next()).and_then(|n| n.parse().ok());
    id.unwrap_or_else(|| panic!("the redirect names the new practice: {to}"))
}

#[tokio::test]
async fn a_practice_is_proposed_by_a_planner_audited_and_public_only_once_a_verifier_verifies_it() {
    let w = world().await;

    // The form is for planners: a public reader is sent to log in.
    let anonymous_form = get(&w, None, "/dobre-praktyki/nowa").await;
    assert_eq!(anonymous_form.status, StatusCode::SEE_OTHER);
    assert!(anonymous_form.location().starts_with("/logowanie"), "{}", anonymous_form.location());
    let form = get(&w, Some(&w.approver), "/dobre-praktyki/nowa").await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(html.contains("<label for=\"linki\">") && html.contains("<label for=\"wskazniki\">"), "labels on the inputs: {html}");
    assert!(html.contains(&format!("value=\"{}\"", w.approver.csrf)), "the form carries the token");
    assert!(html.contains(&format!("<option value=\"{BEST}\"")), "the approver's unit is offered");

    // Without the token nothing is written.
    let forged = post_as(&w, &w.approver, "/dobre-praktyki/nowa", &practice_fields("https://deltowo.example/cuw"), false).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(stored(&w).await, 0);

    // A planner of another unit may not propose one for BEST.
    let foreign = post(&w, &w.other_approver, "/dobre-praktyki/nowa", &practice_fields("https://deltowo.example/cuw")).await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    assert_eq!(stored(&w).await, 0);

    // A bad link: the form again, 400, the error at the links' field, what was typed kept.
    let refused = post(&w, &w.approver, "/dobre-praktyki/nowa", &practice_fields("ftp://deltowo.example/plik")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text());
    let html = refused.text();
    assert!(html.contains("id=\"linki-blad\""), "the error sits at the links' field: {html}");
    assert!(html.contains("href=\"#linki\""), "the summary links to the field");
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(html.contains("ftp://deltowo.example/plik") && html.contains(TITLE), "what was typed is kept");
    assert!(html.contains("<title>Błąd:"), "the title says there is an error");
    assert_eq!(stored(&w).await, 0);

    // The approver proposes it: one audit row on the unit, by the approver.
    let id = propose(&w).await;
    let rows = audit(&w.store, "practice.add").await;
    assert_eq!(rows, vec![(Some(BEST.to_owned()), "user:zatwierdza".to_owned())], "one audit row of the addition");
    let page = format!("/dobre-praktyki/{id}");

    // Proposed: the planner and the verifier see it, nobody else does.
    let mine = get(&w, Some(&w.approver), &page).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.text().contains(TITLE) && mine.text().contains("zgłoszona"), "{}", mine.text());
    assert!(mine.text().contains("name=\"opis\""), "the planner gets the edit form");
    assert!(!mine.text().contains("/weryfikacja"), "but no verification form");
    assert_eq!(get(&w, None, &page).await.status, StatusCode::NOT_FOUND, "a public reader does not see a proposed practice");
    assert_eq!(get(&w, Some(&w.other_approver), &page).await.status, StatusCode::NOT_FOUND, "nor a planner of another unit");
    assert!(!get(&w, None, "/dobre-praktyki").await.text().contains(TITLE), "nor does the public search list it");
    assert!(get(&w, Some(&w.approver), "/dobre-praktyki").await.text().contains(TITLE), "the planner's search does");
    let api = get(&w, None, "/api/v1/practices").await;
    assert_eq!(api.status, StatusCode::OK);
    assert_eq!(api.json()["total"], 0, "the API lists verified practices only");
    let verifier_page = get(&w, Some(&w.verifier), &page).await.text();
    assert!(verifier_page.contains(&format!("action=\"{page}/weryfikacja\"")), "the verifier gets the verification form");

    // Verifying needs Verify: the approver who proposed it gets 403 and nothing changes.
    let denied = post(&w, &w.approver, &format!("{page}/weryfikacja"), &[("status", "verified")]).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(w.store.practice(id).await.unwrap().unwrap().status, "proposed");
    let forged = post_as(&w, &w.verifier, &format!("{page}/weryfikacja"), &[("status", "verified")], false).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "the verifier's form needs its token too");
    let no_decision = post(&w, &w.verifier, &format!("{page}/weryfikacja"), &[("status", "może")]).await;
    assert_eq!(no_decision.status, StatusCode::BAD_REQUEST);
    assert!(no_decision.text().contains("id=\"status-blad\""));
    assert_eq!(w.store.practice(id).await.unwrap().unwrap().status, "proposed");

    // The verifier verifies it: now it is public, in the search and in the API.
    let verified = post(&w, &w.verifier, &format!("{page}/weryfikacja"), &[("status", "verified"), ("uwaga", "Sprawdzono w BIP")]).await;
    assert_eq!(verified.status, StatusCode::SEE_OTHER, "{}", verified.text());
    assert_eq!(w.store.practice(id).await.unwrap().unwrap().status, "verified");
    assert!(!audit(&w.store, "practice.verify").await.is_empty(), "the verification is audited");
    let public = get(&w, None, &page).await;
    assert_eq!(public.status, StatusCode::OK);
    let html = public.text();
    assert!(html.contains(TITLE) && html.contains("zweryfikowana"));
    assert!(html.contains("href=\"https://deltowo.example/cuw\""), "links are links");
    assert!(html.contains("Przed i po"), "the values before and after its start year");
    assert!(!html.contains("name=\"csrf\""), "a public reader gets no form");
    assert_eq!(public.headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()), Some("no-store"));
    let search = get(&w, None, "/dobre-praktyki?wskaznik=KOSZT").await;
    assert_eq!(search.status, StatusCode::OK);
    assert!(search.text().contains(TITLE));
    assert!(!get(&w, None, "/dobre-praktyki?q=przedszkole").await.text().contains(TITLE), "the text filter filters");
    assert_eq!(get(&w, None, "/dobre-praktyki?wskaznik=NIE_MA").await.status, StatusCode::BAD_REQUEST);
    let en = get(&w, None, &format!("{page}?lang=en")).await.text();
    assert!(en.contains("verified") && en.contains("Before and after"), "English is English");

    // Editing sends it back to verification: the public no longer sees it.
    let mut fields = practice_fields("https://deltowo.example/cuw");
    fields[0] = ("tytul", "CUW dla szkół i przedszkoli");
    let edited = post(&w, &w.approver, &page, &fields).await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.text());
    assert_eq!(w.store.practice(id).await.unwrap().unwrap().status, "proposed");
    assert_eq!(get(&w, None, &page).await.status, StatusCode::NOT_FOUND);
    let by_other = post(&w, &w.other_approver, &page, &fields).await;
    assert_eq!(by_other.status, StatusCode::NOT_FOUND, "a planner of another unit cannot even see it");
}

/// The snapshot indices of the improvers the use-case gives for the page's group.
async fn expected_improvers(w: &World, span: usize) -> (Vec<String>, usize) {
    let c = w.live.get().unwrap();
    let s = &c.snapshot;
    let i = s.indicator_index("KOSZT").unwrap();
    let u = c.unit_index(WEAK).unwrap();
    let y = s.year_index(2023).unwrap();
    let g = app::peer_group(&w.store, &c, u, y, "country", &app::NearestSpec::default()).await.unwrap();
    let list = app::practices::improvers(&w.store, &c, i, app::practices::Within::Group(&g), y, span, 5).await.unwrap();
    (list.iter().map(|m| m.code.clone()).collect(), list.len())
}

/// The part of `html` from `from` to the end of its table.
fn table_after<'a>(html: &'a str, from: &str) -> &'a str {
    let start = html.find(from).unwrap_or_else(|| panic!("no {from} in the page"));
    let rest = &html[start..];
    &rest[..rest.find("</table>").unwrap_or(rest.len())]
}

#[tokio::test]
async fn the_indicator_page_lists_the_improvers_in_the_use_cases_order_and_the_practice_once_verified() {
    let w = world().await;
    let id = propose(&w).await;
    // Before the verification the (cached) pages do not show it…
    let indicator_page = format!("/wskaznik/KOSZT?jst={WEAK}&grupa=kraj&rok=2023");
    let card_page = format!("/jst/{WEAK}?grupa=kraj");
    let before = get(&w, None, &indicator_page).await.text();
    assert!(before.contains("Liderzy i najwięksi poprawiający") && !before.contains(&format!("/dobre-praktyki/{id}")), "{before}");
    assert!(!get(&w, None, &card_page).await.text().contains(&format!("/dobre-praktyki/{id}")));
    let verified = post(&w, &w.verifier, &format!("/dobre-praktyki/{id}/weryfikacja"), &[("status", "verified")]).await;
    assert_eq!(verified.status, StatusCode::SEE_OTHER);
    // …after it they do: the page cache forgot the pages that list practices.

    let page = get(&w, None, &indicator_page).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Liderzy i najwięksi poprawiający"), "{html}");
    assert!(html.contains("poprawa"), "changes are judged by polarity");
    for span in [3usize, 5] {
        let (codes, n) = expected_improvers(&w, span).await;
        assert!(n >= 3, "the test country has improvers over {span} years: {codes:?}");
        assert!(!codes.contains(&"0201052".to_owned()) && !codes.contains(&WEAK.to_owned()), "who got worse or stayed is no improver");
        let table = table_after(&html, &format!("id=\"poprawa-{span}-cap\""));
        let at: Vec<usize> = codes
            .iter()
            .map(|c| table.find(&format!("href=\"/jst/{c}\"")).unwrap_or_else(|| panic!("{c} is not in the {span}-year table: {table}")))
            .collect();
        assert!(at.windows(2).all(|p| p[0] < p[1]), "the {span}-year improvers in the use-case's order {codes:?}: {at:?}");
    }
    // The biggest improver is BEST (−40 over eight years): its row names the practice.
    let five = table_after(&html, "id=\"poprawa-5-cap\"");
    assert!(five.contains(&format!("href=\"/dobre-praktyki/{id}\"")), "the improver's practice is linked: {five}");
    assert!(html.contains(&format!("<a href=\"/dobre-praktyki/{id}\">{TITLE}</a>")), "the verified practice is listed");
    // Leaders by polarity: lower is better, so BEST (70) leads.
    let leaders = table_after(&html, "id=\"liderzy-cap\"");
    let (best, next) = (leaders.find(&format!("/jst/{BEST}")).unwrap(), leaders.find("/jst/0201011").unwrap());
    assert!(best < next, "{leaders}");

    // The weak unit's card: under its weakness, the units of its group that improved, and
    // what they did.
    let card = get(&w, None, &card_page).await;
    assert_eq!(card.status, StatusCode::OK);
    let html = card.text();
    assert!(html.contains("JST podobne do Twojej, które się tu poprawiły"), "{html}");
    assert!(html.contains(&format!("href=\"/dobre-praktyki/{id}\"")), "the improver's verified practice is linked from the diagnosis");
    let (five_codes, _) = expected_improvers(&w, 5).await;
    assert!(html.contains(&format!("href=\"/jst/{}\"", five_codes[0])));
}

#[tokio::test]
async fn the_indicator_page_shows_no_proposed_practice() {
    let w = world().await;
    let id = propose(&w).await;
    let html = get(&w, None, &format!("/wskaznik/KOSZT?jst={WEAK}&grupa=kraj")).await.text();
    assert!(html.contains("Liderzy i najwięksi poprawiający"));
    assert!(!html.contains(&format!("/dobre-praktyki/{id}")), "a proposed practice is not on the public page");
    assert!(html.contains("Nie ma jeszcze zweryfikowanych dobrych praktyk"));
}

#[tokio::test]
async fn the_api_lists_verified_practices_with_their_unit_and_indicators_and_names_a_bad_parameter() {
    let w = world().await;
    let id = propose(&w).await;
    post(&w, &w.verifier, &format!("/dobre-praktyki/{id}/weryfikacja"), &[("status", "verified")]).await;

    let all = get(&w, None, "/api/v1/practices?indicator=KOSZT").await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).and_then(|v| v.to_str().ok()), Some("*"), "open to every origin");
    let v = all.json();
    assert_eq!(v["total"], 1, "{v}");
    let p = &v["items"][0];
    let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
    for key in ["id", "title", "unit", "indicators", "description", "contact", "links", "start_year", "status", "verified_at", "page"] {
        assert!(keys.contains(&key), "{key} in {p}");
    }
    assert_eq!(p["id"], id);
    assert_eq!(p["title"], TITLE);
    assert_eq!(p["unit"]["code"], BEST);
    assert_eq!(p["unit"]["name"], "Deltowo");
    assert_eq!(p["indicators"][0]["code"], "KOSZT");
    assert_eq!(p["indicators"][0]["name_en"], "Support cost per institution");
    assert_eq!(p["links"].as_array().unwrap().len(), 2);
    assert_eq!(p["start_year"], 2018);
    assert_eq!(p["status"], "verified");
    assert!(p["verified_at"].is_string());
    assert_eq!(p["page"], format!("/dobre-praktyki/{id}"));
    // An ETag, and a 304 for it.
    let etag = all.headers.get(header::ETAG).unwrap().to_str().unwrap().to_owned();
    let req = Request::get("/api/v1/practices?indicator=KOSZT").header(header::IF_NONE_MATCH, &etag).body(Body::empty()).unwrap();
    assert_eq!(send(&w.router, req).await.status, StatusCode::NOT_MODIFIED);

    assert_eq!(get(&w, None, &format!("/api/v1/practices?unit={BEST}")).await.json()["total"], 1);
    assert_eq!(get(&w, None, "/api/v1/practices?unit=0201011").await.json()["total"], 0, "another unit's practices");
    assert_eq!(get(&w, None, "/api/v1/practices?q=centrum").await.json()["total"], 1);
    assert_eq!(get(&w, None, "/api/v1/practices?q=przedszkole").await.json()["total"], 0);
    for (uri, status, parameter) in [
        ("/api/v1/practices?indicator=zły-kod", StatusCode::BAD_REQUEST, "indicator"),
        ("/api/v1/practices?indicator=NIE_MA", StatusCode::NOT_FOUND, "indicator"),
        ("/api/v1/practices?unit=abc", StatusCode::BAD_REQUEST, "unit"),
        ("/api/v1/practices?unit=0201072", StatusCode::NOT_FOUND, "unit"),
        ("/api/v1/practices?rok=2020", StatusCode::BAD_REQUEST, "rok"),
    ] {
        let a = get(&w, None, uri).await;
        assert_eq!(a.status, status, "{uri}: {}", a.text());
        assert_eq!(a.json()["parameter"], parameter, "{uri}");
    }
    let long = format!("/api/v1/practices?q={}", "a".repeat(201));
    assert_eq!(get(&w, None, &long).await.json()["parameter"], "q");

    // The OpenAPI document has the path and the answer's schema.
    let doc = get(&w, None, "/api/v1/openapi.json").await.json();
    assert!(doc["paths"]["/api/v1/practices"]["get"].is_object(), "documented");
    let schema = &doc["components"]["schemas"]["PracticeDto"];
    assert_eq!(schema["required"].as_array().unwrap().len(), schema["properties"].as_object().unwrap().len(), "{schema}");
}
