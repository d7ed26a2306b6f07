//! Exchange-group sheets and questions in process, on the demo: a cycle of three member gminy
//! (A: the demo approver's, B and C two others of the demo campaign). The member of A sees its
//! own unit named on the sheet, its CSV and its JSON, and B and C only as letters (no name, no
//! code, no card link of theirs anywhere in the answer); the coordinator sees all three named;
//! an anonymous reader and a user of a unit outside the cycle get 404. B's member questions A's
//! value, A's approver replies with the answer, A's data-entry user starts the correction and
//! lands (303) on the campaign's entry page of A, the question moves through its states, and
//! B's member closes it; a POST without the form token is 403 and writes nothing.
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

use std::sync::Arc;

use app::exchange::{CycleFields, QuestionState};
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

/// A member unit of the test cycle.
#[derive(Debug, Clone)]
struct Unit {
    id: i64,
    code: String,
    name: String,
    letter: String,
}

struct World {
    router: axum::Router,
    store: app::Store,
    cycle: i64,
    campaign: i64,
    /// Whether B has approved values not yet published (the private view marks them).
    b_unpublished: bool,
    a: Unit,
    b: Unit,
    c: Unit,
    /// The approver of A (`demo-zatwierdza`), the data-entry user of A (`demo-gmina`).
    member_a: Session,
    entry_a: Session,
    /// An approver of B.
    member_b: Session,
    coordinator: Session,
    /// An approver of a gmina outside the cycle.
    stranger: Session,
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

/// A user with `role` on `units` (TERYT codes; none: everywhere), logged in.
async fn person(store: &app::Store, login_name: &str, role: app::accounts::Role, units: &[String]) -> (Session, app::accounts::CurrentUser) {
    let actor = store.actor().clone();
    app::accounts::add_user(store, &actor, login_name, &format!("Osoba {login_name}"), None).await.expect("user");
    app::accounts::grant(store, &actor, login_name, role, units).await.expect("grant");
    app::accounts::set_password(store, &actor, login_name, "hasło-testowe-123456").await.expect("password");
    login(store, login_name, "hasło-testowe-123456").await
}

/// Whether two unit names could be mistaken in a page's text (one inside the other).
fn overlap(x: &str, y: &str) -> bool {
    x.contains(y) || y.contains(x)
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
    let computed = live.get().expect("computed");
    // The private view, as the server's watcher keeps it: approved answers not yet published.
    let private = live.refresh_private(&store).await.expect("private view").expect("a private view");
    let (member_a, user_a) = login(&store, "demo-zatwierdza", password("demo-zatwierdza")).await;
    let (entry_a, _) = login(&store, "demo-gmina", password("demo-gmina")).await;
    let a_id = user_a.grants.iter().find_map(|g| g.unit_id).expect("the approver's unit");
    let unit = |id: i64| {
        let u = computed.unit_ids.iter().position(|&x| x == id).expect("a unit of the snapshot");
        (computed.codes[u].as_str().to_owned(), computed.names[u].clone())
    };
    // The demo's campaign over A, and two more of its gminy with names unlike A's.
    let campaigns = app::campaigns::campaigns(&store).await.expect("campaigns");
    let mut found = None;
    for c in &campaigns {
        let units = app::campaigns::campaign_units(&store, c.id).await.expect("campaign units");
        if units.contains(&a_id) {
            found = Some((c.clone(), units));
            break;
        }
    }
    let (campaign, units) = found.expect("a campaign over A");
    let (a_code, a_name) = unit(a_id);
    let mut others: Vec<(i64, String, String)> = Vec::new();
    // B is a unit with approved, unpublished values when the demo has one.
    let marked = |id: &i64| computed.unit_ids.iter().position(|x| x == id).is_some_and(|u| private.is_marked(u));
    let mut candidates: Vec<i64> = units.iter().copied().filter(|&id| id != a_id).collect();
    candidates.sort_by_key(|id| !marked(id));
    for &id in &candidates {
        let (code, name) = unit(id);
        if !overlap(&name, &a_name) && others.iter().all(|o| !overlap(&o.2, &name)) {
            others.push((id, code, name));
        }
    }
    assert!(others.len() >= 2, "two more gminy in the demo campaign: {others:?}");
    // The coordinator opens the cycle and adds the three gminy.
    let (coordinator, coord_user) = person(&store, "koordynator-testowy", app::accounts::Role::Coordinator, &[]).await;
    let actor = store.actor().clone();
    let fields = CycleFields { name: "GWD testowa".into(), sector: "edukacja".into(), year: campaign.year as i32, description: None };
    let cycle = app::exchange::open_cycle(&store, &computed, &fields, coord_user.id, &actor).await.expect("cycle opened");
    let mut letters = Vec::new();
    for code in [a_code.as_str(), others[0].1.as_str(), others[1].1.as_str()] {
        let (_, letter) = app::exchange::add_unit_member(&store, cycle, code, &actor).await.expect("member added");
        letters.push(letter);
    }
    app::exchange::set_state(&store, cycle, app::exchange::CycleState::Running, &actor).await.expect("running");
    app::exchange::link_campaign(&store, cycle, campaign.id, &actor).await.expect("campaign linked");
    let b_unpublished = marked(&others[0].0);
    let a = Unit { id: a_id, code: a_code, name: a_name, letter: letters[0].clone() };
    let b = Unit { id: others[0].0, code: others[0].1.clone(), name: others[0].2.clone(), letter: letters[1].clone() };
    let c = Unit { id: others[1].0, code: others[1].1.clone(), name: others[1].2.clone(), letter: letters[2].clone() };
    let (member_b, _) = person(&store, "czlonek-b", app::accounts::Role::Approver, std::slice::from_ref(&b.code)).await;
    let outside = (0..computed.codes.len())
        .find(|&u| computed.kinds[u].is_gmina() && ![a.id, b.id, c.id].contains(&computed.unit_ids[u]))
        .expect("a gmina outside the cycle");
    let (stranger, _) = person(&store, "obcy", app::accounts::Role::Approver, &[computed.codes[outside].as_str().to_owned()]).await;
    let router = web::router_with(store.clone(), true, live);
    World { router, store, cycle, campaign: campaign.id, b_unpublished, a, b, c, member_a, entry_a, member_b, coordinator, stranger, _dir: dir }
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
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A form POST as `who`, with their form token unless `csrf` is false.
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

/// Asserts that `text` names none of `units` (name, TERYT code, card link).
fn names_none(text: &str, units: &[&Unit], what: &str) {
    for u in units {
        assert!(!text.contains(&u.name), "{what} names {} ({}):\n{text}", u.name, u.letter);
        assert!(!text.contains(&u.code), "{what} shows the code of {} ({})", u.name, u.letter);
        assert!(!text.contains(&format!("/jst/{}", u.code)), "{what} links the card of {}", u.name);
    }
}

fn names_all(text: &str, units: &[&Unit], what: &str) {
    for u in units {
        assert!(text.contains(&u.name), "{what} does not name {} ({})", u.name, u.letter);
    }
}

#[tokio::test]
async fn a_member_sees_its_own_unit_named_and_the_others_as_letters() {
    let w = world().await;
    let sheet = format!("/gwd/{}/arkusz", w.cycle);
    let page = get(&w, Some(&w.member_a), &sheet).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert_eq!(page.header(header::CACHE_CONTROL), "private, no-store");
    let html = page.text();
    assert!(html.contains(&w.a.name), "the member's own unit is named");
    assert!(html.contains("Twoja JST"));
    for other in [&w.b, &w.c] {
        assert!(html.contains(&format!("Uczestnik {}", other.letter)), "{} shown as its letter", other.letter);
    }
    names_none(&html, &[&w.b, &w.c], "the member's sheet");
    assert!(html.contains("Zapytaj o tę wartość"), "a cell of another unit can be questioned");
    assert!(html.contains("class=\"scroll\""), "the tables scroll in their own box");

    // The same in English, the CSV and the JSON.
    let en = get(&w, Some(&w.member_a), &format!("{sheet}?lang=en")).await;
    assert_eq!(en.status, StatusCode::OK);
    assert!(en.text().contains(&format!("Participant {}", w.b.letter)));
    names_none(&en.text(), &[&w.b, &w.c], "the member's English sheet");
    let csv = get(&w, Some(&w.member_a), &format!("{sheet}.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header(header::CONTENT_TYPE).starts_with("text/csv"));
    assert!(csv.header(header::CONTENT_DISPOSITION).starts_with("attachment"));
    let csv = csv.text();
    assert!(csv.lines().count() > 1, "the CSV has rows:\n{csv}");
    assert!(csv.contains(&w.b.letter) && csv.contains(&w.c.letter));
    names_none(&csv, &[&w.b, &w.c], "the member's CSV");
    let json = get(&w, Some(&w.member_a), &format!("/api/v1/exchange/cycles/{}/sheet", w.cycle)).await;
    assert_eq!(json.status, StatusCode::OK, "{}", json.text());
    names_none(&json.text(), &[&w.b, &w.c], "the member's JSON");
    let v: serde_json::Value = serde_json::from_slice(&json.body).expect("JSON");
    let rows = v["indicators"][0]["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 3, "{v}");
    let own: Vec<&serde_json::Value> = rows.iter().filter(|r| r["own"] == true).collect();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["unit"]["code"], w.a.code.as_str());
    // The group sees a member's approved values before publication, marked.
    if w.b_unpublished {
        let b_marked = v["indicators"]
            .as_array()
            .expect("indicators")
            .iter()
            .flat_map(|i| i["rows"].as_array().into_iter().flatten())
            .any(|r| r["letter"] == w.b.letter.as_str() && r["unpublished"] == true);
        assert!(b_marked, "B's unpublished values are marked: {v}");
        assert!(html.contains("niepublikowane"));
    }

    // B's member sees B named and A, C as letters.
    let b_page = get(&w, Some(&w.member_b), &sheet).await;
    assert_eq!(b_page.status, StatusCode::OK);
    assert!(b_page.text().contains(&w.b.name));
    names_none(&b_page.text(), &[&w.a, &w.c], "B's sheet");
}

#[tokio::test]
async fn the_coordinator_sees_every_member_named_and_outsiders_get_404() {
    let w = world().await;
    let sheet = format!("/gwd/{}/arkusz", w.cycle);
    let page = get(&w, Some(&w.coordinator), &sheet).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    names_all(&page.text(), &[&w.a, &w.b, &w.c], "the coordinator's sheet");
    let csv = get(&w, Some(&w.coordinator), &format!("{sheet}.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);

    for path in [
        sheet.clone(),
        format!("{sheet}.csv"),
        format!("/gwd/{}/pytania", w.cycle),
        format!("/gwd/{}/pytania/nowe", w.cycle),
        format!("/api/v1/exchange/cycles/{}/sheet", w.cycle),
    ] {
        for who in [None, Some(&w.stranger)] {
            let a = get(&w, who, &path).await;
            assert_eq!(a.status, StatusCode::NOT_FOUND, "{path} as {}", if who.is_some() { "a stranger" } else { "anonymous" });
            names_none(&a.text(), &[&w.a, &w.b, &w.c], "a 404");
        }
    }
    assert_eq!(get(&w, Some(&w.member_a), "/gwd/999999/arkusz").await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&w, Some(&w.member_a), &format!("{sheet}?rok=abc")).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_question_is_asked_answered_and_corrected_through_the_questionnaire() {
    let w = world().await;
    // B's member picks a value of A that the sheet shows.
    let json = get(&w, Some(&w.member_b), &format!("/api/v1/exchange/cycles/{}/sheet", w.cycle)).await;
    let v: serde_json::Value = serde_json::from_slice(&json.body).expect("JSON");
    let year = v["year"].as_i64().expect("year").to_string();
    let indicator = v["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .find(|ind| ind["rows"].as_array().is_some_and(|rows| rows.iter().any(|r| r["letter"] == w.a.letter.as_str() && r["value"].is_number())))
        .and_then(|ind| ind["code"].as_str())
        .expect("an indicator with A's value")
        .to_owned();
    let form = get(&w, Some(&w.member_b), &format!("/gwd/{}/pytania/nowe?litera={}&wskaznik={indicator}&rok={year}", w.cycle, w.a.letter)).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    names_none(&form.text(), &[&w.a, &w.c], "B's question form");

    let questions = format!("/gwd/{}/pytania", w.cycle);
    let fields = [("litera", w.a.letter.as_str()), ("wskaznik", indicator.as_str()), ("rok", year.as_str()), ("tresc", "Skąd tak wysoka wartość?")];
    // Without the form token: 403 and nothing asked.
    assert_eq!(post_as(&w, &w.member_b, false, &questions, &fields).await.status, StatusCode::FORBIDDEN);
    assert!(app::exchange::questions(&w.store, w.cycle).await.expect("questions").is_empty());
    // An empty question comes back 400 with the error beside the field.
    let empty = post_as(&w, &w.member_b, true, &questions, &[fields[0], fields[1], fields[2], ("tresc", " ")]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.text().contains("tresc-blad"));

    let asked = post_as(&w, &w.member_b, true, &questions, &fields).await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.text());
    let location = asked.header(header::LOCATION);
    let qid: i64 = location.rsplit('/').next().and_then(|s| s.parse().ok()).expect("the question's page");
    let q = app::exchange::question(&w.store, qid).await.expect("question").expect("stored");
    assert_eq!((q.unit_id, q.asked_by_unit_id, q.state), (w.a.id, Some(w.b.id), QuestionState::Open));
    assert!(q.value_shown.is_some(), "the value the asker saw is kept");

    // A's approver reads it: the asker is a letter, and replies with the answer.
    let thread = format!("/gwd/{}/pytania/{qid}", w.cycle);
    let page = get(&w, Some(&w.member_a), &thread).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("Skąd tak wysoka wartość?"));
    assert!(page.text().contains(&format!("Uczestnik {}", w.b.letter)));
    names_none(&page.text(), &[&w.b, &w.c], "A's thread");
    assert!(!page.text().contains("Osoba czlonek-b"), "the asker's person is not named to A");
    let list = get(&w, Some(&w.member_a), &questions).await;
    assert_eq!(list.status, StatusCode::OK);
    names_none(&list.text(), &[&w.b, &w.c], "A's list of questions");
    let replied = post_as(&w, &w.member_a, true, &thread, &[("tresc", "Wartość jest poprawna, nowa szkoła."), ("odpowiedz", "1")]).await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER, "{}", replied.text());
    let q = app::exchange::question(&w.store, qid).await.expect("question").expect("stored");
    assert_eq!(q.state, QuestionState::Answered);
    assert!(q.comments.iter().any(|c| c.kind == "answer" && c.author_unit_id == Some(w.a.id)));

    // B's member sees the answer under A's letter.
    let b_thread = get(&w, Some(&w.member_b), &thread).await;
    assert!(b_thread.text().contains("Wartość jest poprawna"));
    names_none(&b_thread.text(), &[&w.a, &w.c], "B's thread");

    // B's member may not correct A's data; A's data-entry user may, and lands on the entry page.
    let korekta = format!("{thread}/korekta");
    assert_eq!(post_as(&w, &w.member_b, true, &korekta, &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(post_as(&w, &w.entry_a, false, &korekta, &[]).await.status, StatusCode::FORBIDDEN);
    let corrected = post_as(&w, &w.entry_a, true, &korekta, &[]).await;
    assert_eq!(corrected.status, StatusCode::SEE_OTHER, "{}", corrected.text());
    assert_eq!(corrected.header(header::LOCATION), format!("/ankiety/{}/jst/{}", w.campaign, w.a.code));
    let q = app::exchange::question(&w.store, qid).await.expect("question").expect("stored");
    assert_eq!(q.state, QuestionState::Correcting);
    let entry = get(&w, Some(&w.entry_a), &corrected.header(header::LOCATION)).await;
    assert_eq!(entry.status, StatusCode::OK, "the entry page opens");

    // The question of another cycle's number is 404 here; B's member closes the question.
    assert_eq!(get(&w, Some(&w.member_b), &format!("/gwd/{}/pytania/999999", w.cycle)).await.status, StatusCode::NOT_FOUND);
    let closed = post_as(&w, &w.member_b, true, &format!("{thread}/zamknij"), &[("notatka", "Dziękujemy.")]).await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.text());
    let q = app::exchange::question(&w.store, qid).await.expect("question").expect("stored");
    assert_eq!(q.state, QuestionState::Closed);
    // C's unit has no one here; the stranger cannot read or write the thread.
    assert_eq!(get(&w, Some(&w.stranger), &thread).await.status, StatusCode::NOT_FOUND);
    assert_eq!(post_as(&w, &w.stranger, true, &thread, &[("tresc", "x")]).await.status, StatusCode::NOT_FOUND);
    let _ = &w.coordinator;
}
