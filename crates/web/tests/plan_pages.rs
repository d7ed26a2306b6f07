//! Priorities and improvement plans in process, on the demo: the gmina's approver marks a
//! weakness a priority, creates a public plan, adds an action, accepts a proposed target (its
//! value is the one `app::plans::target_proposals` gives for that method) and sees progress on
//! the plan page, the unit card and the report; the plan downloads as CSV (a row per target)
//! and JSON and shows in the API. Made internal, the plan is 404 to anonymous readers, to a
//! user of another unit, in the CSV and in the API. A POST without the form token is 403, a
//! data-entry user's 403, a refused form comes back 400 with the error beside its field, and
//! every write left its audit row.
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
    c: Arc<app::Computed>,
    /// The approver's gmina: code and store id.
    own: String,
    own_id: i64,
    approver: Session,
    entry: Session,
    /// An approver of another gmina.
    stranger: Session,
    _dir: tempfile::TempDir,
}

async fn login(store: &app::Store, login: &str, password: &str) -> (Session, app::accounts::CurrentUser) {
    match app::accounts::login(store, login, password, Some("127.0.0.1")).await.expect("login") {
        app::accounts::LoginOutcome::Ok { token, csrf, user } => (Session { cookie: format!("miernik_sesja={token}"), csrf }, user),
        other => {
            let user = store.user_by_login(login).await;
            let creds = store.credentials(login).await.map(|c| c.map(|c| (c.login, c.password_hash.is_some(), c.disabled)));
            panic!("login of {login} refused: {other:?}; user {user:?}; credentials {creds:?}")
        }
    }
}

fn password(login: &str) -> &'static str {
    app::demo_people::DEMO_CREDENTIALS.iter().find(|c| c.0 == login).map(|c| c.1).expect("a demo login")
}

async fn world() -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("copy.db");
    let demo = demo_file();
    std::fs::copy(demo, &path).expect("copy of the demo");
    // A log not folded in yet goes with the file (SQLite reads it on opening).
    let wal = demo.with_extension("db-wal");
    if wal.exists() {
        std::fs::copy(&wal, path.with_extension("db-wal")).expect("copy of the demo's log");
    }
    let store = app::Store::open(&format!("sqlite:{}", path.display())).await.expect("store");
    let live = Arc::new(app::LiveSnapshot::new());
    live.refresh(&store).await.expect("snapshot");
    let c = live.get().expect("computed");
    let (approver, user) = login(&store, "demo-zatwierdza", password("demo-zatwierdza")).await;
    let own_id = user.grants.iter().find_map(|g| g.unit_id).expect("the approver's unit");
    let ui = c.unit_ids.iter().position(|&id| id == own_id).expect("the approver's unit has data");
    let own = c.codes[ui].as_str().to_owned();
    let (entry, _) = login(&store, "demo-gmina", password("demo-gmina")).await;
    // An approver of another gmina of the snapshot.
    let other = (0..c.codes.len()).find(|&u| u != ui && c.kinds[u].is_gmina()).expect("another gmina");
    let actor = store.actor().clone();
    app::accounts::add_user(&store, &actor, "obcy", "Obcy Zatwierdzający", None).await.expect("user");
    app::accounts::grant(&store, &actor, "obcy", app::accounts::Role::Approver, &[c.codes[other].as_str().to_owned()]).await.expect("grant");
    app::accounts::set_password(&store, &actor, "obcy", "hasło-testowe-123456").await.expect("password");
    let (stranger, _) = login(&store, "obcy", "hasło-testowe-123456").await;
    let router = web::router_with(store.clone(), true, live);
    World { router, store, c, own, own_id, approver, entry, stranger, _dir: dir }
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

    fn cache(&self) -> String {
        self.headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
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

async fn post(w: &World, who: &Session, uri: &str, fields: &[(&str, &str)]) -> Answer {
    post_as(w, who, true, uri, fields).await
}

fn owner(w: &World) -> app::plans::PlanOwner {
    app::plans::PlanOwner::Unit { unit_id: w.own_id, code: w.own.clone() }
}

async fn view(w: &World) -> app::plans::PlanView {
    app::plans::plan_view(&w.store, &w.c, &owner(w)).await.expect("plan view")
}

/// The audit actions written about the unit.
async fn audit_actions(w: &World) -> Vec<String> {
    w.store.audit(&Default::default(), 10_000).await.expect("audit").into_iter().filter(|r| r.unit_id == Some(w.own_id)).map(|r| r.action).collect()
}

fn count(list: &[String], action: &str) -> usize {
    list.iter().filter(|a| *a == action).count()
}

/// The value of the first `name="…" value="…"` input of a page.
fn first_value(html: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let start = html.find(&key)? + key.len();
    html[start..].split('"').next().map(str::to_owned)
}

/// The public plan the approver makes: title, and the POST that makes it public (or not).
const TITLE: &str = "Plan poprawy usług społecznych 2025–2028";

async fn make_plan(w: &World, public: bool) -> Answer {
    let mut fields = vec![("tytul", TITLE), ("opis", "Skrócić drogę do usług."), ("grupa", "typologia")];
    if public {
        fields.push(("publiczny", "1"));
    }
    post(w, &w.approver, &format!("/jst/{}/plan", w.own), &fields).await
}

#[tokio::test]
async fn an_approver_goes_from_a_weakness_to_a_plan_with_a_target_from_peers_and_sees_its_progress() {
    let w = world().await;
    let own = w.own.clone();
    let audit_before = audit_actions(&w).await;
    // The public card is cached before the plan exists.
    let card_before = get(&w, None, &format!("/jst/{own}")).await;
    assert_eq!(card_before.status, StatusCode::OK);

    // The priorities page offers the diagnosis' weaknesses; one becomes a priority.
    let page = get(&w, Some(&w.approver), &format!("/jst/{own}/priorytety")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert_eq!(page.cache(), "private, no-store");
    assert!(page.text().contains("Ustaw jako priorytet"));
    let indicator = first_value(&page.text(), "wskaznik").expect("a weakness with a form");
    let before = view(&w).await.priorities.len();
    let r = post(&w, &w.approver, &format!("/jst/{own}/priorytety"), &[("wskaznik", &indicator), ("notatka", "Najsłabszy wynik w grupie")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(r.location().starts_with(&format!("/jst/{own}/priorytety?komunikat=")), "{}", r.location());
    let v = view(&w).await;
    assert_eq!(v.priorities.len(), before + 1);
    let priority = v.priorities.iter().find(|p| p.row.indicator_code == indicator).expect("the new priority");
    assert_eq!(priority.row.note.as_deref(), Some("Najsłabszy wynik w grupie"));
    let again = get(&w, Some(&w.approver), &format!("/jst/{own}/priorytety")).await;
    assert!(again.text().contains("Najsłabszy wynik w grupie"), "the priority is listed with its note");

    // A public plan.
    let r = make_plan(&w, true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let plan = view(&w).await.plan.expect("a plan");
    assert!(plan.fields.public && plan.fields.title == TITLE && plan.fields.group_name == "typology");

    // An action serving the priority.
    let r = post(
        &w,
        &w.approver,
        &format!("/jst/{own}/plan/dzialania"),
        &[
            ("tytul", "Wspólna obsługa placówek"),
            ("wykonawca", "Wydział Spraw Społecznych"),
            ("budzet", "250 000"),
            ("od", "2025"),
            ("do", "2028"),
            ("status", "in_progress"),
            ("priorytet", &priority.row.id.to_string()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let action_id: i64 = r.location().rsplit("#dzialanie-").next().and_then(|id| id.parse().ok()).expect("the action's anchor");
    let v = view(&w).await;
    let action = v.actions.iter().find(|a| a.row.id == action_id).expect("the action");
    assert_eq!(
        (action.row.fields.budget, action.row.fields.status.as_str(), action.row.fields.priority_id),
        (Some(250_000.0), "in_progress", Some(priority.row.id))
    );

    // The target helper proposes values from the group; one is accepted.
    let helper = format!("/jst/{own}/plan/dzialania/{action_id}/cel");
    let page = get(&w, Some(&w.approver), &format!("{helper}?wskaznik={indicator}&grupa=typologia&rok=2028")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let proposals = app::plans::target_proposals(&w.store, &w.c, &owner(&w), &indicator, "typology", 2028).await.expect("proposals");
    assert!(!proposals.proposals.is_empty());
    for p in &proposals.proposals {
        assert!(page.text().contains(&format!("value=\"{}\"", p.code)), "the helper offers {}", p.code);
    }
    let chosen = proposals.proposals.iter().find(|p| p.code == "median").unwrap_or(&proposals.proposals[0]);
    let r = post(
        &w,
        &w.approver,
        &helper,
        &[("wskaznik", &indicator), ("grupa", "typologia"), ("rok", "2028"), ("metoda", &chosen.code), ("wartosc", "999999")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let v = view(&w).await;
    let target = v
        .actions
        .iter()
        .find(|a| a.row.id == action_id)
        .and_then(|a| a.targets.iter().find(|t| t.row.fields.indicator_code == indicator))
        .expect("the target");
    assert_eq!(target.row.fields.target_value, chosen.value, "the value is the proposal's, not the form's");
    assert_eq!(target.row.fields.method, chosen.code);
    assert_eq!((target.row.fields.baseline_year, target.row.fields.baseline_value), (i64::from(proposals.baseline_year), proposals.baseline));

    // A target with an earlier baseline, so that years with values lie on its way.
    let c = &w.c;
    let s = &c.snapshot;
    let ui = c.unit_index(&own).unwrap();
    let i = s.indicator_index(&indicator).unwrap();
    let years: Vec<usize> = (0..s.years()).filter(|&y| s.value(i, ui, y).is_some()).collect();
    assert!(years.len() >= 3, "the demo has a history of the indicator");
    let base_y = years[years.len() - 3];
    let base_year = s.first_year() + base_y as i32;
    let baseline = s.value(i, ui, base_y).unwrap();
    let approver = app::accounts::session_user(&w.store, w.approver.cookie.trim_start_matches("miernik_sesja=")).await.unwrap().unwrap().user;
    let second = post(
        &w,
        &w.approver,
        &format!("/jst/{own}/plan/dzialania"),
        &[("tytul", "Przegląd kosztów"), ("od", &base_year.to_string()), ("do", "2027"), ("status", "in_progress")],
    )
    .await;
    let second_id: i64 = second.location().rsplit("#dzialanie-").next().and_then(|id| id.parse().ok()).expect("the second action");
    app::plans::set_target(
        &w.store,
        &w.c,
        &owner(&w),
        second_id,
        &app::plans::TargetFields {
            indicator_code: indicator.clone(),
            baseline_year: i64::from(base_year),
            baseline_value: baseline,
            target_year: 2027,
            target_value: chosen.value,
            method: "manual".into(),
            group_name: "typology".into(),
        },
        &approver.actor(Some("127.0.0.1".into())),
    )
    .await
    .expect("a target from an earlier baseline");
    let v = view(&w).await;
    let earlier = v.actions.iter().find(|a| a.row.id == second_id).and_then(|a| a.targets.first()).expect("the earlier target");
    let with_values: Vec<&app::plans::TargetYear> = earlier.years.iter().filter(|y| y.actual.is_some()).collect();
    assert!(!with_values.is_empty(), "years with values on the way");

    // The plan page shows it all: the priority, the action, each target's method, chart and years.
    let page = get(&w, None, &format!("/jst/{own}/plan")).await;
    assert_eq!(page.status, StatusCode::OK, "a public plan is open to anyone");
    assert_eq!(page.cache(), "no-store");
    let text = page.text();
    for needle in [
        TITLE,
        "Wspólna obsługa placówek",
        "Wydział Spraw Społecznych",
        "250\u{a0}000 zł",
        "w toku",
        "Najsłabszy wynik w grupie",
        "plan publiczny",
        "<svg",
    ] {
        assert!(text.contains(needle), "the plan page shows {needle}");
    }
    let method = compose::report::method_text(L_PL, &target.row.fields.method);
    assert!(text.contains(&method), "the method in words: {method}");
    assert!(!text.contains("Ustaw cel"), "no forms for an anonymous reader");
    for y in &with_values {
        let words = match app::plans::progress_words(y.progress).0 {
            "on_track" => "na dobrej drodze",
            "off_track" => "poniżej ścieżki",
            _ => "brak danych",
        };
        let shown = L_PL.num(y.actual.unwrap(), earlier.decimals);
        assert!(text.contains(&format!("<th scope=\"row\">{}</th>", y.year)), "the year {} has its row", y.year);
        assert!(text.contains(&shown) && text.contains(words), "{}: {shown}, {words}", y.year);
    }
    let en = get(&w, None, &format!("/jst/{own}/plan?lang=en")).await;
    assert!(en.text().contains("Improvement plan") && (en.text().contains("on track") || en.text().contains("off track")));
    // To its planner, the forms.
    let mine = get(&w, Some(&w.approver), &format!("/jst/{own}/plan")).await;
    assert_eq!(mine.cache(), "private, no-store");
    assert!(mine.text().contains("Ustaw cel") && mine.text().contains("Dodaj działanie") && mine.text().contains("Ustawienia planu"));

    // The unit card: the plan with each target's latest progress (the cached public card is fresh).
    let card = get(&w, None, &format!("/jst/{own}")).await;
    assert!(card.text().contains(TITLE) && card.text().contains("Plan poprawy"), "the public card shows the public plan");
    assert!(!card.text().contains("Wybierz priorytety"), "no planner's link for the public");
    let card = get(&w, Some(&w.approver), &format!("/jst/{own}")).await;
    assert_eq!(card.cache(), "private, no-store");
    assert!(card.text().contains(TITLE) && card.text().contains("Wybierz priorytety"));
    let latest = app::plans::progress_words(earlier.latest).0;
    assert_ne!(latest, "no_data");

    // The report (HTML and PDF) has the plan's section.
    let report = get(&w, None, &format!("/raport/{own}")).await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(report.text().contains("Plan poprawy") && report.text().contains("Wspólna obsługa placówek") && report.text().contains("Cele i postęp"));
    let portal = compose::portal::Portal::new(1, w.c.clone(), &[]);
    let code = model::TerytCode::parse(&own).unwrap();
    let plan_view = compose::report::public_plan(&w.store, &w.c, &code).await.unwrap().expect("public plan");
    let l = compose::i18n::L::PL;
    let with = compose::report::build(&w.store, &portal, l, &code, None, None, true, Some(&plan_view)).await.unwrap();
    let without = compose::report::build(&w.store, &portal, l, &code, None, None, true, None).await.unwrap();
    let part = with.plan.as_ref().expect("the plan's part");
    assert_eq!(part.targets.len(), plan_view.actions.iter().map(|a| a.targets.len()).sum::<usize>());
    assert!(without.plan.is_none());
    assert!(compose::report::pdf(&with).len() > compose::report::pdf(&without).len(), "the PDF has the plan's tables");
    let pdf = get(&w, None, &format!("/raport/{own}?format=pdf")).await;
    assert!(pdf.body.starts_with(b"%PDF"));

    // CSV: a row per target; JSON and the API.
    let csv = get(&w, None, &format!("/jst/{own}/plan.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    let rows = csv::ReaderBuilder::new().has_headers(true).from_reader(&csv.body[..]).records().count();
    let targets = view(&w).await.actions.iter().map(|a| a.targets.len()).sum::<usize>();
    assert_eq!(rows, targets, "{}", csv.text());
    let json = get(&w, None, &format!("/jst/{own}/plan.json")).await;
    assert_eq!(json.status, StatusCode::OK);
    let api = get(&w, None, &format!("/api/v1/units/{own}/plan")).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.text());
    let doc: serde_json::Value = serde_json::from_slice(&api.body).unwrap();
    assert!(api.text().contains(TITLE), "{doc}");
    let openapi = get(&w, None, "/api/v1/openapi.json").await;
    assert!(openapi.text().contains("/api/v1/units/{code}/plan"));

    // Every write left its audit row about the unit.
    let after = audit_actions(&w).await;
    for (action, n) in [("priority.add", 1), ("plan.save", 1), ("action.add", 2), ("target.set", 2)] {
        assert!(count(&after, action) >= count(&audit_before, action) + n, "{action}: {after:?}");
    }

    // Removing: a target, an action, a priority — each audited.
    let r = post(&w, &w.approver, &format!("/jst/{own}/plan/cele/{}/usun", target.row.id), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = post(&w, &w.approver, &format!("/jst/{own}/plan/dzialania/{second_id}/usun"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = post(&w, &w.approver, &format!("/jst/{own}/priorytety/{}/usun", priority.row.id), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let v = view(&w).await;
    assert!(v.actions.iter().all(|a| a.row.id != second_id) && v.priorities.iter().all(|p| p.row.id != priority.row.id));
    assert!(v.actions.iter().flat_map(|a| &a.targets).all(|t| t.row.id != target.row.id));
    let last = audit_actions(&w).await;
    for action in ["target.remove", "action.remove", "priority.remove"] {
        assert!(count(&last, action) > count(&after, action), "{action}");
    }
}

/// Numbers as the Polish pages write them.
const L_PL: compose::i18n::L = compose::i18n::L::PL;

#[tokio::test]
async fn an_internal_plan_is_404_to_everyone_without_a_role_on_the_unit() {
    let w = world().await;
    let own = w.own.clone();
    assert_eq!(make_plan(&w, false).await.status, StatusCode::SEE_OTHER);
    let plan = view(&w).await.plan.expect("a plan");
    assert!(!plan.fields.public);
    for path in [format!("/jst/{own}/plan"), format!("/jst/{own}/plan.csv"), format!("/jst/{own}/plan.json")] {
        let anonymous = get(&w, None, &path).await;
        assert_eq!(anonymous.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!anonymous.text().contains(TITLE));
        let stranger = get(&w, Some(&w.stranger), &path).await;
        assert_eq!(stranger.status, StatusCode::NOT_FOUND, "{path}: a user of another unit");
        assert_eq!(get(&w, Some(&w.approver), &path).await.status, StatusCode::OK, "{path}: its approver");
    }
    // The same 404 as a unit without any plan: nothing tells the two apart.
    let absent = get(&w, None, &format!("/jst/{own}/plan")).await;
    let api = get(&w, None, &format!("/api/v1/units/{own}/plan")).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    let body: serde_json::Value = serde_json::from_slice(&api.body).unwrap();
    assert_eq!(body["parameter"], "code", "{body}");
    assert!(!api.text().contains(TITLE));
    assert_eq!(get(&w, None, "/api/v1/units/abc/plan").await.status, StatusCode::BAD_REQUEST);
    // The card: the public one leaves it out, the unit's own people see it marked internal.
    let card = get(&w, None, &format!("/jst/{own}")).await;
    assert!(!card.text().contains(TITLE), "the public card does not reveal an internal plan");
    let card = get(&w, Some(&w.stranger), &format!("/jst/{own}")).await;
    assert!(!card.text().contains(TITLE));
    let card = get(&w, Some(&w.entry), &format!("/jst/{own}")).await;
    assert!(card.text().contains(TITLE) && card.text().contains("wewnętrzny"), "any role on the unit reads it");
    assert!(!card.text().contains("Wybierz priorytety"), "data entry does not plan");
    let report = get(&w, None, &format!("/raport/{own}")).await;
    assert!(!report.text().contains(TITLE), "the report shows public plans only");
    assert_eq!(absent.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn writes_need_the_form_token_and_the_planners_role_and_refused_forms_name_their_field() {
    let w = world().await;
    let own = w.own.clone();
    let before = w.store.audit(&Default::default(), 10_000).await.unwrap().len();
    let fields = [("tytul", TITLE), ("grupa", "typologia"), ("publiczny", "1")];
    let path = format!("/jst/{own}/plan");
    let no_token = post_as(&w, &w.approver, false, &path, &fields).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN, "no CSRF token");
    let entry = post(&w, &w.entry, &path, &fields).await;
    assert_eq!(entry.status, StatusCode::FORBIDDEN, "data entry may not plan");
    let stranger = post(&w, &w.stranger, &path, &fields).await;
    assert_eq!(stranger.status, StatusCode::FORBIDDEN, "another unit's approver may not plan here");
    let r = post(&w, &w.entry, &format!("/jst/{own}/priorytety"), &[("wskaznik", "x")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(get(&w, Some(&w.entry), &format!("{path}/dzialania/1/cel")).await.status, StatusCode::FORBIDDEN);
    assert!(view(&w).await.plan.is_none_or(|p| p.fields.title != TITLE), "nothing was written");
    assert_eq!(w.store.audit(&Default::default(), 10_000).await.unwrap().len(), before, "no audit row for a refused write");
    // Anonymous: to the login page.
    let anon = send(&w.router, Request::get(format!("/jst/{own}/priorytety")).body(Body::empty()).unwrap()).await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert!(anon.location().starts_with("/logowanie"));

    // A refused plan form: 400, the error beside the field, what was typed kept.
    let r = post(&w, &w.approver, &path, &[("tytul", ""), ("opis", "Zostaje w formularzu"), ("grupa", "typologia")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("id=\"plan-tytul-blad\"") && r.text().contains("Podaj tytuł planu."), "{}", r.text());
    assert!(r.text().contains("Zostaje w formularzu"));
    assert_eq!(make_plan(&w, true).await.status, StatusCode::SEE_OTHER);
    // A refused action: each wrong field named.
    let r = post(
        &w,
        &w.approver,
        &format!("{path}/dzialania"),
        &[("tytul", "Działanie"), ("od", "abc"), ("do", "2026"), ("status", "planned"), ("budzet", "dużo")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("id=\"dz-od-blad\"") && r.text().contains("id=\"dz-budzet-blad\""), "{}", r.text());
    assert!(r.text().contains("aria-invalid=\"true\""));
    let en =
        post(&w, &w.approver, &format!("{path}/dzialania?lang=en"), &[("tytul", ""), ("od", "2026"), ("do", "2025"), ("status", "planned")]).await;
    assert_eq!(en.status, StatusCode::BAD_REQUEST);
    assert!(en.text().contains("Give the action a title.") && en.text().contains("The end year cannot come before the start year."));
    // A manual target that is not a number.
    let r =
        post(&w, &w.approver, &format!("{path}/dzialania"), &[("tytul", "Działanie"), ("od", "2025"), ("do", "2027"), ("status", "planned")]).await;
    let id = r.location().rsplit("#dzialanie-").next().unwrap().to_owned();
    let page = get(&w, Some(&w.approver), &format!("/jst/{own}/priorytety")).await;
    let indicator = first_value(&page.text(), "wskaznik").expect("a weakness");
    let r = post(
        &w,
        &w.approver,
        &format!("{path}/dzialania/{id}/cel"),
        &[("wskaznik", &indicator), ("grupa", "typologia"), ("rok", "2028"), ("metoda", "manual"), ("wartosc", "sporo")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("id=\"reczna-wartosc-blad\""), "{}", r.text());
    let r = post(
        &w,
        &w.approver,
        &format!("{path}/dzialania/{id}/cel"),
        &[("wskaznik", &indicator), ("grupa", "typologia"), ("rok", "2028"), ("metoda", "manual"), ("wartosc", "12,5")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let v = view(&w).await;
    let t = v.actions.iter().flat_map(|a| &a.targets).find(|t| t.row.action_id.to_string() == id).expect("the manual target");
    assert_eq!((t.row.fields.target_value, t.row.fields.method.as_str()), (12.5, "manual"));
    // An action of another unit's plan, or none, is 404.
    assert_eq!(get(&w, Some(&w.approver), &format!("{path}/dzialania/999999")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_functional_areas_plan_is_written_by_the_planners_of_its_lead_unit() {
    let w = world().await;
    let areas = w.store.functional_areas().await.expect("areas");
    let Some(area) = areas.first() else {
        // The demo declares one; without it there is nothing to test here.
        eprintln!("no functional area in the demo");
        return;
    };
    let (admin, _) = login(&w.store, "demo-admin", password("demo-admin")).await;
    let path = format!("/obszary-funkcjonalne/{}/plan", area.group_code);
    let r = post(&w, &admin, &path, &[("tytul", "Plan obszaru"), ("grupa", "powiaty"), ("publiczny", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = get(&w, None, &path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("Plan obszaru"));
    let rows = w.store.audit(&Default::default(), 10_000).await.unwrap();
    assert!(rows.iter().any(|r| r.action == "plan.save" && r.unit_id == Some(area.lead_unit_id)), "the area's write is audited on its lead unit");
    assert_eq!(get(&w, None, "/obszary-funkcjonalne/nie-ma-takiego/plan").await.status, StatusCode::NOT_FOUND);
}
