//! Exchange-group cycles in process, on the demo: a coordinator opens a cycle, a gmina's
//! approver applies, the coordinator accepts it (it gets a letter) and adds a second JST by
//! code, plans a meeting with the proposed host, a member uploads a document that members
//! download and outsiders get 404 for; the public list and the API name the members without
//! letters. Forms without the token are 403, a coordinator's form sent by a member 403 and by
//! an outsider 404, a refused form 400 with the field named.
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

mod support;
use support::demo_file;

#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

struct World {
    router: axum::Router,
    store: app::Store,
    /// The approver's gmina (code, name) and another gmina (code, name).
    own: (String, String),
    other: (String, String),
    approver: Session,
    coordinator: Session,
    /// An approver of a third gmina, not in the cycle.
    outsider: Session,
    _dir: tempfile::TempDir,
}

async fn login(store: &app::Store, login: &str, password: &str) -> (Session, app::accounts::CurrentUser) {
    match app::accounts::login(store, login, password, Some("127.0.0.1")).await.expect("login") {
        app::accounts::LoginOutcome::Ok { token, csrf, user } => (Session { cookie: format!("miernik_sesja={token}"), csrf }, user),
        other => panic!("login of {login} refused: {other:?}"),
    }
}

fn password(login: &str) -> &'static str {
    app::demo_people::DEMO_CREDENTIALS.iter().find(|c| c.0 == login).map(|c| c.1).expect("a demo login")
}

async fn user(store: &app::Store, login: &str, role: app::accounts::Role, units: &[String]) -> Session {
    let actor = store.actor().clone();
    app::accounts::add_user(store, &actor, login, &format!("Test {login}"), None).await.expect("user");
    app::accounts::grant(store, &actor, login, role, units).await.expect("grant");
    app::accounts::set_password(store, &actor, login, "hasło-testowe-123456").await.expect("password");
    login_as(store, login).await
}

async fn login_as(store: &app::Store, name: &str) -> Session {
    login(store, name, "hasło-testowe-123456").await.0
}

async fn world() -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("copy.db");
    let demo = demo_file();
    std::fs::copy(demo, &path).expect("copy of the demo");
    let wal = demo.with_extension("db-wal");
    if wal.exists() {
        std::fs::copy(&wal, path.with_extension("db-wal")).expect("copy of the demo's log");
    }
    let store = app::Store::open(&format!("sqlite:{}", path.display())).await.expect("store");
    let live = Arc::new(app::LiveSnapshot::new());
    live.refresh(&store).await.expect("snapshot");
    let c = live.get().expect("computed");
    let (approver, approver_user) = login(&store, "demo-zatwierdza", password("demo-zatwierdza")).await;
    let own_id = approver_user.grants.iter().find_map(|g| g.unit_id).expect("the approver's unit");
    let ui = c.unit_ids.iter().position(|&id| id == own_id).expect("the approver's unit has data");
    // Gminy not in any demo cycle, so that only this test's cycle shows them.
    let cycles = app::exchange::cycles(&store).await.expect("cycles");
    let in_demo = |id: i64| cycles.iter().any(|cy| cy.member(id).is_some());
    let mut others = (0..c.codes.len()).filter(|&u| u != ui && c.kinds[u].is_gmina() && !in_demo(c.unit_ids[u]));
    let (o1, o2) = (others.next().expect("another gmina"), others.next().expect("a third gmina"));
    let unit = |u: usize| (c.codes[u].as_str().to_owned(), c.names[u].clone());
    let coordinator = user(&store, "koord-test", app::accounts::Role::Coordinator, &[]).await;
    let outsider = user(&store, "obcy-test", app::accounts::Role::Approver, &[c.codes[o2].as_str().to_owned()]).await;
    let router = web::router_with(store.clone(), true, live);
    World { router, store, own: unit(ui), other: unit(o1), approver, coordinator, outsider, _dir: dir }
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
        self.header(header::LOCATION)
    }

    fn header(&self, name: header::HeaderName) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
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

async fn post_as(w: &World, who: &Session, csrf: bool, uri: &str, fields: &[(&str, &str)]) -> Answer {
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
    post_as(w, who, true, uri, fields).await
}

async fn post_file(w: &World, who: &Session, uri: &str, fields: &[(&str, &str)], file: (&str, &[u8])) -> Answer {
    let boundary = "----miernik-gwd-granica";
    let mut body = Vec::new();
    let mut all = vec![("csrf", who.csrf.as_str())];
    all.extend_from_slice(fields);
    for (k, v) in all {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"plik\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
            file.0
        )
        .as_bytes(),
    );
    body.extend_from_slice(file.1);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post(uri)
        .header(header::COOKIE, &who.cookie)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    send(&w.router, req).await
}

async fn cycle(w: &World, id: i64) -> app::exchange::CycleView {
    app::exchange::cycle(&w.store, id).await.expect("cycle read").expect("the cycle")
}

/// A sector the demo's catalogue has.
async fn sector(w: &World) -> String {
    let page = get(w, Some(&w.coordinator), "/gwd/nowy").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let text = page.text();
    let start = text.find("name=\"sektor\"").expect("the sector select");
    let rest = &text[start..];
    let key = "<option value=\"";
    let mut at = rest.find(key).expect("an option") + key.len();
    // The first option is the empty "choose".
    if rest[at..].starts_with('"') {
        at = rest[at..].find(key).map(|k| at + k + key.len()).expect("a sector option");
    }
    rest[at..].split('"').next().unwrap().to_owned()
}

/// Opens a cycle as the coordinator; its id.
async fn open(w: &World) -> i64 {
    let sector = sector(w).await;
    let r = post(w, &w.coordinator, "/gwd/nowy", &[("nazwa", "GWD Test 2024"), ("sektor", &sector), ("rok", "2024"), ("opis", "Cykl testowy")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = r.location();
    assert!(loc.starts_with("/gwd/") && loc.contains("komunikat=otwarto"), "{loc}");
    loc.trim_start_matches("/gwd/").split('?').next().unwrap().parse().expect("the cycle's id")
}

#[tokio::test]
async fn a_coordinator_runs_a_cycle_from_application_to_a_meeting_and_a_document() {
    let w = world().await;
    let (own, own_name) = w.own.clone();
    let (other, other_name) = w.other.clone();

    // Opening: a refused form says which field; a good one makes the user the coordinator.
    let bad = post(&w, &w.coordinator, "/gwd/nowy", &[("nazwa", ""), ("sektor", "nie-ma"), ("rok", "1800")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("Nazwa: wpisz nazwę cyklu") && bad.text().contains("id=\"gwd-cykl-rok-err\""), "{}", bad.text());
    let no_role = post(&w, &w.approver, "/gwd/nowy", &[("nazwa", "X"), ("sektor", "edukacja"), ("rok", "2024")]).await;
    assert_eq!(no_role.status, StatusCode::FORBIDDEN, "an approver does not coordinate");
    let id = open(&w).await;
    let base = format!("/gwd/{id}");
    let c = cycle(&w, id).await;
    assert_eq!((c.name.as_str(), c.year, c.state), ("GWD Test 2024", 2024, app::exchange::CycleState::Recruiting));

    // The approver applies with its gmina; the coordinator sees the application.
    let page = get(&w, Some(&w.approver), &base).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains(&format!("<option value=\"{own}\"")), "the approver's gmina is offered");
    let r = post(&w, &w.approver, &format!("{base}/zgloszenie"), &[("jst", &own), ("uwagi", "Trzy osoby z wydziału edukacji")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let m = cycle(&w, id).await.members.into_iter().find(|m| m.code == own).expect("the application");
    assert_eq!((m.state, m.letter.as_deref()), (app::exchange::MemberState::Applied, None));
    let page = get(&w, Some(&w.coordinator), &base).await;
    assert!(page.text().contains("Trzy osoby z wydziału edukacji") && page.text().contains("value=\"accept\""));

    // Only the coordinator decides: no token 403, a member 403, an outsider 404.
    let decide = format!("{base}/czlonkowie/{own}");
    assert_eq!(post_as(&w, &w.coordinator, false, &decide, &[("decyzja", "accept")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(post(&w, &w.outsider, &decide, &[("decyzja", "accept")]).await.status, StatusCode::NOT_FOUND);
    let r = post(&w, &w.coordinator, &decide, &[("decyzja", "accept")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let c = cycle(&w, id).await;
    let letter = c.member(m.unit_id).and_then(|m| m.letter.clone()).expect("the accepted member's letter");
    assert!(letter.len() == 1 && letter.chars().all(|ch| ch.is_ascii_uppercase()), "{letter}");
    assert_eq!(post(&w, &w.approver, &format!("{base}/spotkania"), &[("data", "2025-05-05")]).await.status, StatusCode::FORBIDDEN);

    // A second JST by code, accepted at once; a wrong code is a 400 at the field.
    let r = post(&w, &w.coordinator, &format!("{base}/czlonkowie"), &[("jst", "99x")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("id=\"gwd-dodaj-jst-err\""), "{}", r.text());
    let r = post(&w, &w.coordinator, &format!("{base}/czlonkowie"), &[("jst", &other)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let c = cycle(&w, id).await;
    let other_letter = c.members.iter().find(|m| m.code == other).and_then(|m| m.letter.clone()).expect("the second letter");
    assert_ne!(letter, other_letter);

    // The member sees its own letter; the coordinator proposes the next host.
    let page = get(&w, Some(&w.approver), &base).await;
    assert!(page.text().contains(&format!("<strong>{letter}</strong>")), "the member is told its letter");
    assert!(!page.text().contains("Prowadzenie cyklu"), "no coordinator tools for a member");
    let proposed = app::exchange::host_rotation(&c.members, &[]).expect("a proposed host");
    let host = c.members.iter().find(|m| m.unit_id == proposed).unwrap().clone();
    let page = get(&w, Some(&w.coordinator), &base).await;
    assert!(page.text().contains("Proponowany gospodarz"));
    assert!(page.text().contains(&format!("<option value=\"{}\" selected>", host.code)), "the proposed host is chosen");
    let r = post(&w, &w.coordinator, &format!("{base}/spotkania"), &[("data", "2025-13-40"), ("gospodarz", &host.code)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("Data: wpisz datę RRRR-MM-DD."));
    let r = post(
        &w,
        &w.coordinator,
        &format!("{base}/spotkania"),
        &[("data", "2025-05-05"), ("gospodarz", &host.code), ("miejsce", "Sala sesyjna"), ("program", "Arkusze i pytania")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let meetings = app::exchange::meetings(&w.store, id).await.unwrap();
    assert_eq!(meetings.len(), 1);
    assert_eq!((meetings[0].host_unit_id, meetings[0].place.as_deref()), (Some(proposed), Some("Sala sesyjna")));
    let mid = meetings[0].id;
    let r = post(
        &w,
        &w.coordinator,
        &format!("{base}/spotkania/{mid}"),
        &[("data", "2025-05-05"), ("gospodarz", &host.code), ("notatki", "Ustalono terminy korekt")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let meetings = app::exchange::meetings(&w.store, id).await.unwrap();
    assert_eq!(meetings[0].notes.as_deref(), Some("Ustalono terminy korekt"));
    // The next proposal is the member that has not hosted.
    assert_ne!(app::exchange::host_rotation(&cycle(&w, id).await.members, &meetings), Some(proposed));

    // A member uploads a document; members download it, outsiders get 404.
    let text = "Notatka ze spotkania\nWnioski: sprawdzić dane.\n".as_bytes();
    let r = post_file(&w, &w.approver, &format!("{base}/dokumenty"), &[("tytul", "Notatka"), ("spotkanie", &mid.to_string())], ("notatka.txt", text))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let docs = app::exchange::documents(&w.store, id).await.unwrap();
    assert_eq!(docs.len(), 1);
    let doc = format!("{base}/dokumenty/{}", docs[0].id);
    let got = get(&w, Some(&w.approver), &doc).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, text);
    assert!(got.header(header::CONTENT_DISPOSITION).starts_with("attachment"), "{}", got.header(header::CONTENT_DISPOSITION));
    assert_eq!(got.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(get(&w, Some(&w.coordinator), &doc).await.status, StatusCode::OK);
    assert_eq!(get(&w, None, &doc).await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&w, Some(&w.outsider), &doc).await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&w, None, &format!("/gwd/{}/dokumenty/{}", id + 1000, docs[0].id)).await.status, StatusCode::NOT_FOUND);
    let r = post_file(&w, &w.outsider, &format!("{base}/dokumenty"), &[("tytul", "Obcy")], ("x.txt", b"x")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "an outsider cannot upload");
    let r = post_file(&w, &w.approver, &format!("{base}/dokumenty"), &[("tytul", "Zły plik")], ("x.bin", &[0xff, 0xfe, 0x00, 0x01])).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a file of no accepted kind is refused");
    assert!(r.text().contains("id=\"gwd-dokument-plik-err\""), "{}", r.text());

    // The member's page lists the meeting, its notes and the document; the anonymous one does not.
    let page = get(&w, Some(&w.approver), &base).await.text();
    assert!(page.contains("Ustalono terminy korekt") && page.contains(&doc) && page.contains(&format!("{base}/arkusz")));
    let public = get(&w, None, &base).await;
    assert_eq!(public.status, StatusCode::OK);
    let public = public.text();
    assert!(!public.contains("Ustalono terminy korekt") && !public.contains(&doc) && !public.contains("/arkusz"));
    assert!(public.contains(&own_name) && public.contains(&other_name), "the members are public");

    // The public list and the API: names alphabetical, no letters.
    let list = get(&w, None, "/gwd").await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.text();
    assert!(list.contains("GWD Test 2024") && list.contains(&own_name) && list.contains(&other_name));
    assert!(!list.contains("Uczestnik ") && !list.contains(&format!("litera {letter}")));
    let (a, b) = if model::fold(&own_name) <= model::fold(&other_name) { (&own_name, &other_name) } else { (&other_name, &own_name) };
    let section = &list[list.find("GWD Test 2024").unwrap()..];
    assert!(section.find(a.as_str()).unwrap() <= section.find(b.as_str()).unwrap(), "alphabetical");
    let api = get(&w, None, "/api/v1/exchange/cycles").await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.text());
    let json: serde_json::Value = serde_json::from_slice(&api.body).unwrap();
    let mine = json.as_array().unwrap().iter().find(|c| c["id"] == id).expect("the cycle in the API");
    assert_eq!(mine["members"].as_array().unwrap().len(), 2);
    assert!(!api.text().contains("\"letter\""));

    // In English, with the coordinator's tools.
    let en = get(&w, Some(&w.coordinator), &format!("{base}?lang=en")).await.text();
    assert!(en.contains("Running the cycle (coordinator)") && en.contains("An exchange group (GWD)"));

    // The state moves on; every write left its audit row.
    let r = post(&w, &w.coordinator, &format!("{base}/stan"), &[("stan", "running")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(cycle(&w, id).await.state, app::exchange::CycleState::Running);
    let actions: Vec<String> = w.store.audit(&Default::default(), 10_000).await.unwrap().into_iter().map(|r| r.action).collect();
    for a in ["exchange.cycle", "exchange.apply", "exchange.accept", "exchange.meeting", "exchange.document", "exchange.state"] {
        assert!(actions.iter().any(|x| x == a), "audit {a}");
    }
}

#[tokio::test]
async fn member_only_parts_are_404_to_outsiders_and_the_coordinator_tools_hidden() {
    let w = world().await;
    let id = open(&w).await;
    let base = format!("/gwd/{id}");
    let r = post(&w, &w.coordinator, &format!("{base}/czlonkowie"), &[("jst", &w.own.0)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    for who in [None, Some(&w.outsider)] {
        let page = get(&w, who, &base).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.text().contains("Prowadzenie cyklu") && !page.text().contains("name=\"decyzja\""));
    }
    for path in ["/spotkania", "/stan", "/ankieta", "/czlonkowie"] {
        assert_eq!(post(&w, &w.outsider, &format!("{base}{path}"), &[]).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(get(&w, None, "/gwd/999999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&w, None, "/gwd/abc").await.status, StatusCode::NOT_FOUND);
    // Opening needs a login.
    let r = get(&w, None, "/gwd/nowy").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/logowanie"));
    let _ = login_as(&w.store, "obcy-test").await;
}
