//! Functional areas in process, on a small country of their own (six powiaty with two gminy
//! each): declaring one takes an administrator and the form's CSRF token (403 otherwise) and
//! is audited; the card shows the area's aggregate as the ratio of the members' sums (not
//! the mean of their ratios), "niepełne dane" where a member has no value, the comparison
//! with the powiaty (or with the other areas once there are five); unknown areas are 404; the
//! API's JSON has the documented shape.
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

const CATALOGUE: &str = r#"version = "test"
[[variable]]
code = "uczniowie_sp"
name_pl = "Uczniowie szkół podstawowych"
[[variable]]
code = "oddzialy_sp"
name_pl = "Oddziały w szkołach podstawowych"
[[indicator]]
code = "FA_T1"
name_pl = "Uczniowie na oddział"
name_en = "Pupils per class"
area = "edukacja"
service_pl = "Szkoły podstawowe"
kind = "monitoring"
dimension = "efficiency"
polarity = "higher_better"
numerator = "uczniowie_sp"
denominator = "oddzialy_sp"
unit_pl = "uczniowie"
decimals = 3
applies_to = ["gmina_miejska", "gmina_wiejska", "gmina_miejsko_wiejska"]
definition_pl = "Uczniowie / oddziały"
source = "test"
"#;

/// The area: powiat 0201 with its two gminy.
const AREA: &str = "gorlicki";
const AREA_GMINY: [&str; 2] = ["0201011", "0201022"];

fn terc() -> String {
    let mut t = String::from("WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD;STAN_NA\n02;;;;DOLNOŚLĄSKIE;województwo;2026-01-01\n");
    for p in 1..=6 {
        t.push_str(&format!("02;{p:02};;;powiat{p};powiat;2026-01-01\n"));
        t.push_str(&format!("02;{p:02};01;1;Miasto{p};gmina miejska;2026-01-01\n"));
        t.push_str(&format!("02;{p:02};02;2;Wieś{p};gmina wiejska;2026-01-01\n"));
    }
    t
}

/// Pupils and classes of every gmina in 2021–2023. The area's two gminy have 1000/40 and
/// 300/20 (ratios 25 and 15: their mean is 20, the ratio of the sums 1300/60 ≈ 21.667); in
/// 2021 the second has no classes reported (incomplete data for the area).
fn observations() -> String {
    let mut obs = String::from("unit,variable,year,value\n");
    for p in 1..=6u32 {
        for (g, rodz) in [(1u32, 1u32), (2, 2)] {
            let unit = format!("02{p:02}{g:02}{rodz}");
            for year in 2021..=2023u32 {
                let (pupils, classes) =
                    if p == 1 { if g == 1 { (1000, 40) } else { (300, 20) } } else { (600 + 53 * p + 11 * g + (year - 2021) * 7, 30 + 2 * p - g) };
                obs.push_str(&format!("{unit},uczniowie_sp,{year},{pupils}\n"));
                if !(p == 1 && g == 2 && year == 2021) {
                    obs.push_str(&format!("{unit},oddzialy_sp,{year},{classes}\n"));
                }
            }
        }
    }
    obs
}

#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

struct World {
    router: axum::Router,
    store: app::Store,
    live: Arc<app::LiveSnapshot>,
    admin: Session,
    planner: Session,
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
    app::import_units(&store, &file("terc.csv", &terc())).await.expect("TERC");
    app::import_indicators(&store, &file("k.toml", CATALOGUE)).await.expect("catalogue");
    app::import_observations(&store, &file("o.csv", &observations()), &app::ObsImportOptions::default(), &|_, _| {}).await.expect("observations");
    let mut units = vec!["0201".to_owned()];
    units.extend(AREA_GMINY.iter().map(|s| s.to_string()));
    app::save_custom_group(&store, AREA, "Obszar gorlicki", Some("Gorlice area"), &units).await.expect("group");
    let actor = store.actor().clone();
    for (login, role, units) in
        [("planuje", app::accounts::Role::Approver, vec!["0201".to_owned()]), ("admin", app::accounts::Role::Admin, vec!["*".to_owned()])]
    {
        app::accounts::add_user(&store, &actor, login, login, None).await.expect("user");
        app::accounts::grant(&store, &actor, login, role, &units).await.expect("grant");
    }
    let live = Arc::new(app::LiveSnapshot::new());
    live.refresh(&store).await.expect("snapshot");
    let router = web::router_with(store.clone(), false, live.clone());
    World { admin: session(&store, "admin").await, planner: session(&store, "planuje").await, router, store, live }
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

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    fn location(&self) -> String {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
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
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A form post; `csrf` as given (`None`: no token in the form).
async fn post(w: &World, who: Option<&Session>, csrf: Option<&str>, uri: &str, fields: &[(&str, &str)]) -> Answer {
    let mut body: Vec<String> = csrf.map(|t| format!("csrf={}", urlencode(t))).into_iter().collect();
    body.extend(fields.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))));
    let mut req = Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(s) = who {
        req = req.header(header::COOKIE, &s.cookie);
    }
    send(&w.router, req.body(Body::from(body.join("&"))).unwrap()).await
}

async fn declared(w: &World) -> Vec<String> {
    app::functional_areas::areas(&w.store).await.expect("areas").into_iter().map(|a| a.code).collect()
}

async fn declare_gorlicki(w: &World) {
    let a = post(
        w,
        Some(&w.admin),
        Some(&w.admin.csrf),
        "/admin/obszary-funkcjonalne",
        &[("grupa", AREA), ("lider", "0201"), ("opis", "Powiat z gminami")],
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    assert_eq!(a.location(), format!("/obszary-funkcjonalne/{AREA}"));
}

/// Σ numerator / Σ denominator over the area's gminy in `year`, read from the snapshot.
fn ratio_of_sums(w: &World, year: i32) -> f64 {
    let c = w.live.get().expect("snapshot");
    let s = &c.snapshot;
    let y = s.year_index(year).unwrap();
    let (num, den) = (s.variable_index("uczniowie_sp").unwrap(), s.variable_index("oddzialy_sp").unwrap());
    let (mut sn, mut sd) = (0.0, 0.0);
    for code in AREA_GMINY {
        let u = c.unit_index(code).unwrap();
        sn += s.variable(num, u, y).unwrap();
        sd += s.variable(den, u, y).unwrap();
    }
    sn / sd
}

/// The HTML of the table row of `indicator` on a card.
fn row<'a>(page: &'a str, indicator: &str) -> &'a str {
    let at = page.find(&format!("id=\"w-{indicator}\"")).unwrap_or_else(|| panic!("no row of {indicator}"));
    let rest = &page[at..];
    &rest[..rest.find("</tr>").unwrap()]
}

#[tokio::test]
async fn declaring_takes_an_administrator_and_the_form_token_and_is_audited() {
    let w = world().await;
    let path = "/admin/obszary-funkcjonalne";
    let fields = [("grupa", AREA), ("lider", "0201"), ("opis", "Powiat z gminami")];

    // A public reader is sent to log in; a planner of the lead unit is not an administrator.
    let a = get(&w, None, path).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(a.location().starts_with("/logowanie"), "{}", a.location());
    assert_eq!(get(&w, Some(&w.planner), path).await.status, StatusCode::FORBIDDEN);
    // The administrator's page offers the saved group and its members as leads.
    let page = get(&w, Some(&w.admin), path).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains(&format!("option value=\"{AREA}\"")), "the group is offered");
    assert!(html.contains("option value=\"0201011\""), "its members are offered as the lead");
    assert!(html.contains("<label for=\"fa-lider\""), "inputs are labelled");

    // Every refusal is a 403 and writes nothing.
    assert_eq!(post(&w, None, None, path, &fields).await.status, StatusCode::FORBIDDEN, "no user, no token");
    assert_eq!(post(&w, Some(&w.planner), Some(&w.planner.csrf), path, &fields).await.status, StatusCode::FORBIDDEN, "not an administrator");
    assert_eq!(post(&w, Some(&w.admin), None, path, &fields).await.status, StatusCode::FORBIDDEN, "no token");
    assert_eq!(post(&w, Some(&w.admin), Some(&w.planner.csrf), path, &fields).await.status, StatusCode::FORBIDDEN, "another session's token");
    assert!(declared(&w).await.is_empty());

    // A lead outside the group, an unknown group: 400 saying which field, nothing written.
    let a = post(&w, Some(&w.admin), Some(&w.admin.csrf), path, &[("grupa", AREA), ("lider", "0202"), ("opis", "")]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.text().contains("role=\"alert\"") && a.text().contains("lider"), "{}", a.text());
    let a = post(&w, Some(&w.admin), Some(&w.admin.csrf), path, &[("grupa", "nie-ma"), ("lider", "0201")]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.text().contains("grupa"));
    assert!(declared(&w).await.is_empty());

    // The administrator with the token declares it; once only.
    declare_gorlicki(&w).await;
    assert_eq!(declared(&w).await, vec![AREA.to_owned()]);
    let again = post(&w, Some(&w.admin), Some(&w.admin.csrf), path, &fields).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "already declared");
    assert_eq!(declared(&w).await.len(), 1);
    let area = app::functional_areas::areas(&w.store).await.unwrap().remove(0);
    assert_eq!((area.lead_code.as_deref(), area.members, area.description.as_deref()), (Some("0201"), 3, Some("Powiat z gminami")));

    // The audit log has it, by the administrator, on the lead unit.
    let params = app::audit::AuditParams { action: Some("area.declare".into()), ..Default::default() };
    let rows = app::audit::audit_page(&w.store, &params, 10).await.expect("audit").rows;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].actor, "user:admin");
    assert_eq!(rows[0].unit_code.as_deref(), Some("0201"));
    // The group is no longer offered for declaration.
    assert!(!get(&w, Some(&w.admin), path).await.text().contains(&format!("option value=\"{AREA}\"")));
}

#[tokio::test]
async fn the_card_shows_the_ratio_of_the_members_sums_and_says_when_data_are_incomplete() {
    let w = world().await;
    declare_gorlicki(&w).await;

    let list = get(&w, None, "/obszary-funkcjonalne").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text().contains(&format!("href=\"/obszary-funkcjonalne/{AREA}\"")), "the list links the card");
    assert!(list.text().contains(&format!("href=\"/obszary-funkcjonalne/{AREA}/plan\"")), "and the plan");

    let card = get(&w, None, &format!("/obszary-funkcjonalne/{AREA}")).await;
    assert_eq!(card.status, StatusCode::OK);
    let html = card.text();
    // The card opens on the newest year; the area's value is Σ pupils / Σ classes of its
    // gminy (1300/60), not the mean of the two ratios (20).
    let expected = ratio_of_sums(&w, 2023);
    assert!((expected - 1300.0 / 60.0).abs() < 1e-9, "the test's own data: {expected}");
    let shown = format!("{expected:.3}").replace('.', ",");
    let r = row(&html, "FA_T1");
    assert!(r.contains(&format!("<strong>{shown}</strong>")), "{shown} in {r}");
    assert!(!r.contains("<strong>20,000</strong>"));
    // The members' range, the comparison with the five other powiaty and their gminy.
    assert!(r.contains("15,000") && r.contains("25,000"), "the members' range: {r}");
    assert!(html.contains("powiaty ziemskie"), "says what it is compared with");
    // Members link to their cards; the plan is linked.
    for code in ["0201", "0201011", "0201022"] {
        assert!(html.contains(&format!("href=\"/jst/{code}\"")), "member {code} linked");
    }
    assert!(html.contains(&format!("href=\"/obszary-funkcjonalne/{AREA}/plan\"")));
    // `/ocena` evaluates units only: the card must not send readers to an empty form.
    assert!(!html.contains("/ocena?obszar="));
    // The diagnosis' charts each have a table.
    let charts = html.matches("<svg").count();
    assert!(html.contains("id=\"diagnoza\""));
    assert!(html.contains("id=\"wykresy\"") && charts >= 1, "the one indicator is a strength or a weakness, drawn");
    if let Ok(dir) = std::env::var("FA_DUMP") {
        std::fs::write(format!("{dir}/card.html"), &html).unwrap();
    }
    assert!(html.matches("<details").count() >= html.matches("class=\"chart\"").count(), "a table for every chart ({charts} svg)");

    // 2021: a gmina of the area reported no classes, so the area has no value.
    let y2021 = get(&w, None, &format!("/obszary-funkcjonalne/{AREA}?rok=2021")).await;
    assert_eq!(y2021.status, StatusCode::OK);
    let r = y2021.text();
    let r = row(&r, "FA_T1");
    assert!(r.contains("niepełne dane") && r.contains("1/2"), "{r}");
    // English.
    let en = get(&w, None, &format!("/obszary-funkcjonalne/{AREA}?lang=en")).await.text();
    assert!(en.contains("lang=\"en\"") && en.contains("The area's indicators"), "English card");
    assert!(en.contains(&format!("<strong>{expected:.3}</strong>")), "English number format");

    // The API says the same number.
    let api = get(&w, None, &format!("/api/v1/functional-areas/{AREA}")).await;
    assert_eq!(api.status, StatusCode::OK);
    let v = api.json();
    let ind = v["indicators"].as_array().unwrap().iter().find(|i| i["code"] == "FA_T1").unwrap().clone();
    assert!((ind["value"].as_f64().unwrap() - expected).abs() < 1e-9, "{ind}");
    let old = get(&w, None, &format!("/api/v1/functional-areas/{AREA}?year=2021")).await.json();
    let ind = old["indicators"].as_array().unwrap().iter().find(|i| i["code"] == "FA_T1").unwrap().clone();
    assert_eq!((ind["value"].clone(), ind["incomplete"].clone()), (Value::Null, Value::Bool(true)), "{ind}");
}

#[tokio::test]
async fn unknown_areas_are_404_and_bad_parameters_are_named() {
    let w = world().await;
    // Not declared yet: the saved group alone has no card.
    assert_eq!(get(&w, None, &format!("/obszary-funkcjonalne/{AREA}")).await.status, StatusCode::NOT_FOUND);
    declare_gorlicki(&w).await;
    assert_eq!(get(&w, None, "/obszary-funkcjonalne/nie-ma").await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&w, None, "/obszary-funkcjonalne/%C4%85").await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&w, None, &format!("/obszary-funkcjonalne/{AREA}?rok=abc")).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(get(&w, None, &format!("/obszary-funkcjonalne/{AREA}?rok=1990")).await.status, StatusCode::BAD_REQUEST);

    let a = get(&w, None, "/api/v1/functional-areas/nie-ma").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let v = a.json();
    assert_eq!((v["code"].as_str(), v["parameter"].as_str()), (Some("not_found"), Some("code")), "{v}");
    for (uri, parameter, status) in [
        ("/api/v1/functional-areas/a%20b", "code", StatusCode::BAD_REQUEST),
        ("/api/v1/functional-areas/gorlicki?year=abc", "year", StatusCode::BAD_REQUEST),
        ("/api/v1/functional-areas/gorlicki?year=1990", "year", StatusCode::NOT_FOUND),
        ("/api/v1/functional-areas/gorlicki?bogus=1", "bogus", StatusCode::BAD_REQUEST),
    ] {
        let a = get(&w, None, uri).await;
        assert_eq!(a.status, status, "{uri}: {}", a.text());
        assert_eq!(a.json()["parameter"].as_str(), Some(parameter), "{uri}");
    }
}

#[tokio::test]
async fn the_api_lists_areas_and_gives_a_card_of_the_documented_shape() {
    let w = world().await;
    let empty = get(&w, None, "/api/v1/functional-areas").await.json();
    assert_eq!(empty["total"], 0);
    declare_gorlicki(&w).await;

    let list = get(&w, None, "/api/v1/functional-areas").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()), Some("application/json"));
    let v = list.json();
    assert_eq!(v["total"], 1);
    let item = &v["items"][0];
    for key in ["code", "name_pl", "name_en", "description", "lead", "lead_name", "members", "declared_at", "page"] {
        assert!(item.get(key).is_some(), "items[0].{key} in {item}");
    }
    assert_eq!((item["code"].as_str(), item["lead"].as_str(), item["members"].as_u64()), (Some(AREA), Some("0201"), Some(3)));

    let card = get(&w, None, &format!("/api/v1/functional-areas/{AREA}")).await.json();
    assert_eq!(card["area"]["code"], AREA);
    assert_eq!(card["year"], 2023);
    assert_eq!(card["comparison"], "powiaty");
    assert_eq!(card["comparison_size"], 5, "the five other powiaty");
    let members = card["members"].as_array().unwrap();
    assert_eq!(members.len(), 3);
    assert_eq!(members.iter().filter(|m| m["lead"] == true).map(|m| m["code"].as_str().unwrap()).collect::<Vec<_>>(), vec!["0201"]);
    let ind = card["indicators"].as_array().unwrap().iter().find(|i| i["code"] == "FA_T1").unwrap();
    for key in
        ["value", "incomplete", "members_applying", "member_min", "member_max", "comparison_n", "comparison_median", "rank", "quartile", "poland"]
    {
        assert!(ind.get(key).is_some(), "indicators[].{key} in {ind}");
    }
    assert_eq!(ind["comparison_n"], 6, "five powiaty and the area");
    assert_eq!(ind["members_applying"], 2, "the powiat itself is not a gmina");
    assert_eq!((ind["member_min"]["unit"].as_str(), ind["member_max"]["unit"].as_str()), (Some("0201022"), Some("0201011")));
    assert!(card["strengths"].is_array() && card["weaknesses"].is_array());

    // The OpenAPI document lists both paths.
    let doc = get(&w, None, "/api/v1/openapi.json").await.json();
    assert!(doc["paths"]["/api/v1/functional-areas"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/functional-areas/{code}"]["get"].is_object());
    assert!(doc["components"]["schemas"]["FunctionalAreaCardDto"].is_object());

    // With five other declared areas they become the comparison set.
    let admin = app::accounts::Actor { name: "user:admin".into(), user_id: None, address: None };
    for p in 2..=6 {
        let code = format!("obszar{p}");
        let units = vec![format!("02{p:02}"), format!("02{p:02}011"), format!("02{p:02}022")];
        app::save_custom_group(&w.store, &code, &format!("Obszar {p}"), None, &units).await.unwrap();
        app::functional_areas::declare(&w.store, &code, &format!("02{p:02}"), None, &admin).await.unwrap();
    }
    let card = get(&w, None, &format!("/api/v1/functional-areas/{AREA}")).await.json();
    assert_eq!((card["comparison"].as_str(), card["comparison_size"].as_u64()), (Some("areas"), Some(5)));
}

#[tokio::test]
async fn an_area_is_re_evaluated_on_its_aggregate_against_the_comparison_set() {
    let w = world().await;
    declare_gorlicki(&w).await;
    let c = w.live.get().expect("snapshot");
    let inputs = app::functional_areas::load(&w.store, AREA).await.expect("the area");
    let e = app::functional_areas::evaluate_area(&c, &inputs, "FA_T1", 2023, 1, 1).expect("evaluated");
    assert_eq!(e.estimate.n_peers, 5, "the five other powiaty with their gminy");
    let expected = ratio_of_sums(&w, 2023);
    assert!(e.unit_series.iter().flatten().all(|v| (v - expected).abs() < 1e-9), "the area's aggregate: {:?}", e.unit_series);
    assert!(e.estimate.unit_change.abs() < 1e-9, "the area did not change");
    // 2021 is incomplete for the area: a window there has no data of it.
    assert!(app::functional_areas::evaluate_area(&c, &inputs, "FA_T1", 2022, 1, 1).is_err());
    assert!(app::functional_areas::evaluate_area(&c, &inputs, "NIE_MA", 2023, 1, 1).is_err());
}
