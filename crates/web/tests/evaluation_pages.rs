//! The re-evaluation page, the register of reorganisations, the institutions of a JST and
//! their API, in process on the demo: `/ocena` shows the estimate `app::evaluate` computes (and
//! the API gives it with the CLI's field names), a bad year gives the form again with the
//! error (400), a missing parameter the form; a reorganisation is written only with
//! `Action::Plan` on its unit and the form's token, and leaves an audit row; garbage to the
//! API gets a 4xx JSON answer, never a 500.
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

mod support;
use support::demo_file;

const PASSWORD: &str = "hasło-testowe-123456";

#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

struct World {
    router: axum::Router,
    store: app::Store,
    c: Arc<app::Computed>,
    /// The planner's unit (an approver of it) and another gmina (its own approver).
    unit_a: String,
    unit_b: String,
    planner: Session,
    other: Session,
}

async fn session(store: &app::Store, login: &str) -> Session {
    app::accounts::set_password(store, store.actor(), login, PASSWORD).await.expect("password");
    match app::accounts::login(store, login, PASSWORD, Some("127.0.0.1")).await.expect("login") {
        app::accounts::LoginOutcome::Ok { token, csrf, .. } => Session { cookie: format!("miernik_sesja={token}"), csrf },
        other => panic!("login of {login} refused: {other:?}"),
    }
}

async fn world() -> World {
    let dir = Box::leak(Box::new(tempfile::tempdir().expect("temp dir")));
    let path = dir.path().join("demo.db");
    std::fs::copy(demo_file(), &path).expect("copy of the demo");
    let store = app::Store::open(&format!("sqlite:{}", path.display())).await.expect("store");
    let live = Arc::new(app::LiveSnapshot::new());
    live.refresh(&store).await.expect("snapshot");
    let c = live.get().expect("a snapshot");
    // Two rural gminy with data.
    let mut gminy = (0..c.codes.len()).filter(|&u| c.kinds[u] == model::UnitKind::GminaWiejska);
    let (a, b) = (gminy.next().unwrap(), gminy.next().unwrap());
    let (unit_a, unit_b) = (c.codes[a].as_str().to_owned(), c.codes[b].as_str().to_owned());
    let actor = store.actor().clone();
    for (login, unit) in [("planista", &unit_a), ("obcy", &unit_b)] {
        app::accounts::add_user(&store, &actor, login, login, None).await.expect("user");
        app::accounts::grant(&store, &actor, login, app::accounts::Role::Approver, std::slice::from_ref(unit)).await.expect("grant");
    }
    let router = web::router_with(store.clone(), true, live);
    World { planner: session(&store, "planista").await, other: session(&store, "obcy").await, router, store, c, unit_a, unit_b }
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

    fn json(&self) -> serde_json::Value {
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
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A form POST as `who` with `csrf` (the session's token unless given).
async fn post(w: &World, who: &Session, uri: &str, csrf: Option<&str>, fields: &[(&str, &str)]) -> Answer {
    let mut body: Vec<String> = vec![format!("csrf={}", urlencode(csrf.unwrap_or(&who.csrf)))];
    body.extend(fields.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))));
    let req = Request::post(uri)
        .header(header::COOKIE, &who.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.join("&")))
        .unwrap();
    send(&w.router, req).await
}

/// As [`post`], with owned pairs.
async fn post_pairs(w: &World, who: Session, csrf: Option<String>, v: Vec<(String, String)>) -> Answer {
    let refs: Vec<(&str, &str)> = v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    post(w, &who, "/reorganizacje/nowa", csrf.as_deref(), &refs).await
}

/// The newest year of the snapshot.
fn last_year(c: &app::Computed) -> i32 {
    c.snapshot.first_year() + c.snapshot.years() as i32 - 1
}

/// An indicator of unit `code` that `app::evaluate` can evaluate from `start` (the first
/// one, in catalogue order, that judges a direction), with its evaluation.
async fn evaluable(w: &World, code: &str, start: i32) -> (app::evaluate::EvalRequest, app::evaluate::Evaluation) {
    let u = w.c.unit_index(code).unwrap();
    for i in 0..w.c.snapshot.indicator_count() {
        let spec = w.c.snapshot.indicator(i);
        if spec.polarity == model::Polarity::Neutral || !spec.applies[u] {
            continue;
        }
        let req = app::evaluate::EvalRequest {
            unit: code.to_owned(),
            indicator: spec.code.clone(),
            start_year: start,
            group: "typology".into(),
            before: 3,
            after: 3,
            exclude_reorganised: None,
        };
        if let Ok(e) = app::evaluate::evaluate(&w.store, &w.c, &req).await {
            return (req, e);
        }
    }
    panic!("no indicator of {code} can be evaluated from {start}");
}

fn l(en: bool) -> compose::i18n::L {
    compose::i18n::L { en }
}

#[tokio::test]
async fn the_page_shows_the_estimate_that_app_evaluate_computes_with_its_charts_tables_and_limits() {
    let w = world().await;
    let start = last_year(&w.c) - 2;
    let (req, e) = evaluable(&w, &w.unit_a, start).await;
    let uri = format!("/ocena?jst={}&wskaznik={}&start={start}", req.unit, req.indicator);
    let page = get(&w, None, &uri).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert_eq!(page.headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()), Some("no-store"), "never in the page cache");
    let html = page.text();
    if std::env::var_os("EVAL_PAGES_DUMP").is_some() {
        std::fs::write("/tmp/ocena.html", &html).unwrap();
    }
    let est = &e.estimate;
    for shown in [est.estimate, est.unit_change, est.peers_change, est.interval.0, est.interval.1] {
        let text = l(false).change(shown, e.decimals);
        assert!(html.contains(&text), "{text} is on the page");
    }
    assert!(html.contains(&format!("<dd><b>{}</b></dd>", est.n_peers)), "the number of peers");
    let verdict = if !est.stands_out {
        "Zmiana nie odróżnia się od zmian w grupie"
    } else {
        match e.verdict {
            app::evaluate::Verdict::Better => "Zmiana wyraźnie lepsza niż w grupie",
            app::evaluate::Verdict::Worse => "Zmiana wyraźnie gorsza niż w grupie",
            _ => "wyraźnie odróżnia się",
        }
    };
    assert!(html.contains(verdict), "the verdict in words: {verdict}");
    // Two charts, each with words and a table of the same numbers.
    assert_eq!(html.matches("<svg").count(), 2);
    assert!(html.contains("class=\"start-mark\""), "the start year is marked on the chart");
    assert_eq!(html.matches(&format!("<th scope=\"row\">{start} (start)</th>")).count(), 1, "the start year's row of the table");
    for year in &e.years {
        assert!(html.contains(&format!("<th scope=\"row\">{year}")), "a table row for {year}");
    }
    assert!(html.contains("Efekty placebo: podsumowanie"));
    assert!(html.contains("Metoda i jej ograniczenia") && html.contains("Czego to nie dowodzi"));
    // The same in English, and the unit found by its name too when the name is unique.
    let en = get(&w, None, &format!("{uri}&lang=en")).await;
    assert_eq!(en.status, StatusCode::OK);
    let html = en.text();
    assert!(html.contains("Method and its limits") && html.contains(&l(true).change(est.estimate, e.decimals)));
    let u = w.c.unit_index(&req.unit).unwrap();
    let name = &w.c.names[u];
    let same_name = (0..w.c.names.len()).filter(|&v| model::fold(&w.c.names[v]) == model::fold(name)).count();
    let by_name = get(&w, None, &format!("/ocena?jst={}&wskaznik={}&start={start}", urlencode(name), req.indicator)).await;
    if same_name == 1 {
        assert_eq!(by_name.status, StatusCode::OK);
        assert!(by_name.text().contains(&l(false).change(est.estimate, e.decimals)));
    } else {
        assert_eq!(by_name.status, StatusCode::BAD_REQUEST, "an ambiguous name asks for the code");
        assert!(by_name.text().contains(&req.unit));
    }
}

#[tokio::test]
async fn a_bad_year_gives_the_form_again_naming_it_and_unknown_codes_are_404_never_500() {
    let w = world().await;
    let start = last_year(&w.c) - 2;
    let (req, _) = evaluable(&w, &w.unit_a, start).await;
    for bad in
        ["abc", "-2019", "1850", "99999999999999999999", "2019.5", &format!("{}", last_year(&w.c) + 1), &format!("{}", w.c.snapshot.first_year())]
    {
        let a = get(&w, None, &format!("/ocena?jst={}&wskaznik={}&start={}", req.unit, req.indicator, urlencode(bad))).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "start={bad}");
        let html = a.text();
        assert!(html.contains("id=\"ev-start-err\""), "the error beside the field: start={bad}");
        assert!(html.contains("href=\"#ev-start\""), "the summary links to it");
        assert!(html.contains("<form class=\"controls\" method=\"get\" action=\"/ocena\""), "the form again");
        assert!(html.contains(&format!("value=\"{}\"", req.unit)), "what was typed is kept");
    }
    for (query, field, status) in [
        (format!("jst=9999999&wskaznik={}&start={start}", req.indicator), "jst", StatusCode::BAD_REQUEST),
        (format!("jst=0299011&wskaznik={}&start={start}", req.indicator), "jst", StatusCode::NOT_FOUND),
        (format!("jst=Nie+Ma+Takiej+Gminy&wskaznik={}&start={start}", req.indicator), "jst", StatusCode::NOT_FOUND),
        (format!("jst={}&wskaznik=NIE_MA&start={start}", req.unit), "wskaznik", StatusCode::NOT_FOUND),
        (format!("jst={}&wskaznik={}&start={start}&przed=0", req.unit, req.indicator), "przed", StatusCode::BAD_REQUEST),
        (format!("jst={}&wskaznik={}&start={start}&po=99999999999", req.unit, req.indicator), "po", StatusCode::BAD_REQUEST),
        (format!("jst={}&wskaznik={}&start={start}&grupa=%3Cscript%3E", req.unit, req.indicator), "grupa", StatusCode::BAD_REQUEST),
        (format!("jst={}&wskaznik={}&start={start}&wyklucz=fuzja", req.unit, req.indicator), "wyklucz", StatusCode::BAD_REQUEST),
    ] {
        let a = get(&w, None, &format!("/ocena?{query}")).await;
        assert_eq!(a.status, status, "{query}: {}", a.text());
        assert!(a.text().contains(&format!("id=\"ev-{field}-err\"")), "{query}: the error beside {field}");
        assert!(!a.text().contains("<script>"), "nothing typed is echoed unescaped");
    }
    // A group without enough units or data is the use-case's refusal: a 4xx page, not a 500.
    let lone = get(&w, None, &format!("/ocena?jst={}&wskaznik={}&start={start}&grupa=lista:{}", req.unit, req.indicator, w.unit_b)).await;
    assert!(lone.status.is_client_error(), "{}", lone.status);
    assert!(lone.text().contains("Nie udało się ocenić zmiany"));
}

#[tokio::test]
async fn without_every_parameter_the_page_is_the_form() {
    let w = world().await;
    let a = get(&w, None, "/ocena").await;
    assert_eq!(a.status, StatusCode::OK);
    let html = a.text();
    assert!(html.contains("<label for=\"ev-jst\">") && html.contains("<label for=\"ev-start\">") && html.contains("<label for=\"ev-wskaznik\">"));
    assert!(!html.contains("ev-wynik"), "no result without the parameters");
    assert!(!html.contains("role=\"alert\""), "and no error");
    let a = get(&w, None, &format!("/ocena?jst={}", w.unit_a)).await;
    assert_eq!(a.status, StatusCode::OK);
    let html = a.text();
    assert!(html.contains("Do oceny brakuje: wskaźnik, rok rozpoczęcia"), "{html}");
    assert!(html.contains(&format!("value=\"{}\"", w.unit_a)));
}

/// The audit rows of `action`, newest first.
async fn audit(store: &app::Store, action: &str) -> Vec<store_row::Row> {
    let params = app::audit::AuditParams { action: Some(action.to_owned()), ..Default::default() };
    app::audit::audit_page(store, &params, 100)
        .await
        .unwrap()
        .rows
        .into_iter()
        .map(|r| store_row::Row { unit_code: r.unit_code, actor: r.actor })
        .collect()
}

mod store_row {
    pub struct Row {
        pub unit_code: Option<String>,
        pub actor: String,
    }
}

#[tokio::test]
async fn a_reorganisation_needs_plan_on_its_unit_and_the_forms_token_and_is_audited() {
    let w = world().await;
    let start = last_year(&w.c) - 2;
    let (req, _) = evaluable(&w, &w.unit_a, start).await;
    let start_date = format!("{start}-01-01");
    let fields = |unit: &str| {
        vec![
            ("jst".to_owned(), unit.to_owned()),
            ("rodzaj".to_owned(), "pomoc_spoleczna".to_owned()),
            ("tytul".to_owned(), "Reorganizacja GOPS".to_owned()),
            ("poczatek".to_owned(), start_date.clone()),
            ("koniec".to_owned(), format!("{}-12-31", start + 1)),
            ("wartosc".to_owned(), "1 200 000".to_owned()),
            ("dofinansowanie".to_owned(), "85".to_owned()),
            ("zrodlo".to_owned(), "EFS".to_owned()),
            ("wskazniki".to_owned(), req.indicator.clone()),
        ]
    };
    let as_refs = |v: &[(String, String)]| v.to_vec();
    let post_fields = |who: &Session, csrf: Option<&str>, v: Vec<(String, String)>| post_pairs(&w, who.clone(), csrf.map(str::to_owned), v);

    // Reading the form needs a login with a planning role.
    let anon = get(&w, None, "/reorganizacje/nowa").await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert!(anon.location().starts_with("/logowanie"));
    let form = get(&w, Some(&w.planner), "/reorganizacje/nowa").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains(&format!("value=\"{}\"", w.unit_a)), "the planner's one unit is filled in");

    // Without the token, or with another's: 403, nothing written.
    assert_eq!(post_fields(&w.planner, Some(""), fields(&w.unit_a)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(post_fields(&w.planner, Some(&w.other.csrf), fields(&w.unit_a)).await.status, StatusCode::FORBIDDEN);
    // Another unit's approver may not add one for this unit (nor this one's for that one).
    assert_eq!(post_fields(&w.other, None, fields(&w.unit_a)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(post_fields(&w.planner, None, fields(&w.unit_b)).await.status, StatusCode::FORBIDDEN);
    let mine = |list: Vec<app::reorganisations::ReorganisationListing>| list.into_iter().filter(|r| r.unit_code == w.unit_a).collect::<Vec<_>>();
    assert!(mine(app::reorganisations::list(&w.store).await.unwrap()).is_empty(), "nothing was written");
    let audited = |rows: Vec<store_row::Row>| rows.into_iter().filter(|r| r.actor.starts_with("user:")).collect::<Vec<_>>();
    assert!(audited(audit(&w.store, "reorganisation.add").await).is_empty());

    // A bad form: every field's problem, the form again, nothing written.
    let mut bad = as_refs(&fields(&w.unit_a));
    for (k, v) in bad.iter_mut() {
        match k.as_str() {
            "koniec" => *v = format!("{}-12-31", start - 3),
            "dofinansowanie" => *v = "150".into(),
            "rodzaj" => *v = "fuzja".into(),
            _ => {}
        }
    }
    let refused = post_fields(&w.planner, None, bad).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let html = refused.text();
    for field in ["koniec", "dofinansowanie", "rodzaj"] {
        assert!(html.contains(&format!("href=\"#ro-{field}\"")), "{field} in the summary: {html}");
    }
    assert!(html.contains("value=\"Reorganizacja GOPS\""), "what was typed is kept");
    assert!(mine(app::reorganisations::list(&w.store).await.unwrap()).is_empty());

    // The planner of the unit: saved, audited, listed.
    let saved = post_fields(&w.planner, None, fields(&w.unit_a)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let page = saved.location();
    assert!(page.starts_with("/reorganizacje/") && page.ends_with("?komunikat=zapisano"), "{page}");
    let list = mine(app::reorganisations::list(&w.store).await.unwrap());
    assert_eq!(list.len(), 1);
    let r = &list[0];
    assert_eq!(r.unit_code, w.unit_a);
    assert_eq!(r.row.fields.funding_share, Some(0.85), "85 % is stored as 0.85");
    assert_eq!(r.row.fields.project_value, Some(1_200_000.0));
    let rows = audited(audit(&w.store, "reorganisation.add").await);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].unit_code.as_deref(), Some(w.unit_a.as_str()));
    assert_eq!(rows[0].actor, "user:planista");

    let id = r.row.id;
    let html = get(&w, None, "/reorganizacje").await.text();
    assert!(html.contains(&format!("href=\"/reorganizacje/{id}\"")) && html.contains("Reorganizacja GOPS") && html.contains("85 %"));

    // Its page: the indicator's re-evaluation against peers without such a reorganisation,
    // linking to /ocena with the same parameters; no forms for a reader.
    let public = get(&w, None, &format!("/reorganizacje/{id}")).await;
    assert_eq!(public.status, StatusCode::OK);
    let html = public.text();
    let link = format!(
        "/ocena?jst={}&amp;wskaznik={}&amp;start={start}&amp;grupa=typologia&amp;przed=3&amp;po=3&amp;wyklucz=pomoc_spoleczna",
        w.unit_a, req.indicator
    );
    assert!(html.contains(&link), "a link to the evaluation page: {html}");
    assert!(!html.contains("<form"), "no forms for a reader");
    let evaluation = get(&w, None, &link.replace("&amp;", "&")).await;
    assert_eq!(evaluation.status, StatusCode::OK, "{}", evaluation.text());

    // Milestones: added, then marked done; an edit by another unit's approver is refused.
    let added =
        post(&w, &w.planner, &format!("/reorganizacje/{id}/etapy"), None, &[("data", &start_date), ("nazwa", "Punkt pierwszego kontaktu")]).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text());
    let bad = post(&w, &w.planner, &format!("/reorganizacje/{id}/etapy"), None, &[("data", "wczoraj"), ("nazwa", "")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("href=\"#ro-data\"") && bad.text().contains("href=\"#ro-nazwa\""));
    let d = app::reorganisations::detail(&w.store, id).await.unwrap().unwrap();
    assert_eq!(d.milestones.len(), 1);
    assert!(!d.milestones[0].done);
    let mid = d.milestones[0].id;
    assert_eq!(post(&w, &w.other, &format!("/reorganizacje/{id}/etapy/{mid}"), None, &[("wykonany", "1")]).await.status, StatusCode::FORBIDDEN);
    let done = post(&w, &w.planner, &format!("/reorganizacje/{id}/etapy/{mid}"), None, &[("wykonany", "1")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(app::reorganisations::detail(&w.store, id).await.unwrap().unwrap().milestones[0].done);
    assert_eq!(audited(audit(&w.store, "milestone.update").await).len(), 1);
    assert_eq!(audited(audit(&w.store, "milestone.add").await).len(), 1);

    // Institutions: added to the unit, linked; another unit's cannot be linked.
    let inst = post(&w, &w.planner, &format!("/jst/{}/instytucje", w.unit_a), None, &[("rodzaj", "ops"), ("nazwa", "GOPS")]).await;
    assert_eq!(inst.status, StatusCode::SEE_OTHER, "{}", inst.text());
    assert_eq!(
        post(&w, &w.planner, &format!("/jst/{}/instytucje", w.unit_b), None, &[("rodzaj", "ops"), ("nazwa", "X")]).await.status,
        StatusCode::FORBIDDEN
    );
    let theirs = post(&w, &w.other, &format!("/jst/{}/instytucje", w.unit_b), None, &[("rodzaj", "szkola"), ("nazwa", "SP 1")]).await;
    assert_eq!(theirs.status, StatusCode::SEE_OTHER);
    let listed = get(&w, None, &format!("/jst/{}/instytucje", w.unit_a)).await.text();
    assert!(listed.contains("GOPS") && listed.contains("ośrodek pomocy społecznej") && !listed.contains("SP 1"));
    let mine = app::reorganisations::institutions(&w.store, w.c.unit_ids[w.c.unit_index(&w.unit_a).unwrap()]).await.unwrap();
    let other_unit = app::reorganisations::institutions(&w.store, w.c.unit_ids[w.c.unit_index(&w.unit_b).unwrap()]).await.unwrap();
    let refused = post(&w, &w.planner, &format!("/reorganizacje/{id}/instytucje"), None, &[("instytucja", &other_unit[0].id.to_string())]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "another unit's institution is not linked");
    let linked = post(&w, &w.planner, &format!("/reorganizacje/{id}/instytucje"), None, &[("instytucja", &mine[0].id.to_string())]).await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER);
    let d = app::reorganisations::detail(&w.store, id).await.unwrap().unwrap();
    assert_eq!(d.institutions.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), ["GOPS"]);

    // The planner sees the forms; an edit is saved and audited.
    let html = get(&w, Some(&w.planner), &format!("/reorganizacje/{id}")).await.text();
    assert!(html.contains("Zmień dane reorganizacji") && html.contains(&w.planner.csrf));
    let mut edited = as_refs(&fields(&w.unit_a));
    edited.retain(|(k, _)| k != "jst");
    edited.iter_mut().filter(|(k, _)| k == "tytul").for_each(|(_, v)| *v = "Reorganizacja GOPS, etap 2".into());
    let refs: Vec<(&str, &str)> = edited.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(post(&w, &w.other, &format!("/reorganizacje/{id}"), None, &refs).await.status, StatusCode::FORBIDDEN);
    let ok = post(&w, &w.planner, &format!("/reorganizacje/{id}"), None, &refs).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    assert_eq!(app::reorganisations::detail(&w.store, id).await.unwrap().unwrap().row.fields.title, "Reorganizacja GOPS, etap 2");
    assert_eq!(audited(audit(&w.store, "reorganisation.update").await).len(), 1);
    assert_eq!(audited(audit(&w.store, "institution.add").await).len(), 2, "one institution of each unit");
}

#[tokio::test]
async fn the_api_gives_the_evaluation_with_the_clis_fields_and_the_register() {
    let w = world().await;
    let start = last_year(&w.c) - 2;
    let (req, e) = evaluable(&w, &w.unit_a, start).await;
    let a = get(&w, None, &format!("/api/v1/evaluation?unit={}&indicator={}&start={start}", req.unit, req.indicator)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert!(a.headers.get(header::ETAG).is_some());
    let v = a.json();
    // The fields of `miernik evaluate --format json`, each always there (null when empty).
    for field in [
        "unit",
        "unit_name",
        "indicator",
        "name_pl",
        "name_en",
        "measure_unit",
        "polarity",
        "group",
        "start",
        "before",
        "after",
        "unit_before",
        "unit_after",
        "unit_change",
        "peers_change",
        "estimate",
        "interval",
        "level",
        "p_value",
        "stands_out",
        "n_peers",
        "excluded",
        "verdict",
        "verdict_pl",
        "verdict_en",
        "synthetic",
        "years",
        "unit_series",
        "peers_mean",
    ] {
        assert!(v.get(field).is_some(), "field {field}: {v}");
    }
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());
    assert!(close(v["estimate"].as_f64().unwrap(), e.estimate.estimate), "{v}");
    assert!(close(v["interval"][0].as_f64().unwrap(), e.estimate.interval.0));
    assert!(close(v["interval"][1].as_f64().unwrap(), e.estimate.interval.1));
    assert_eq!(v["verdict"], e.verdict.code());
    assert_eq!(v["group"], e.group_label.as_str());
    assert_eq!(v["n_peers"].as_u64().unwrap() as usize, e.estimate.n_peers);
    assert_eq!(v["placebo"].as_array().unwrap().len(), e.estimate.placebo.len());
    assert_eq!(v["unit"], req.unit.as_str());
    assert_eq!(v["start"], start);
    // The OpenAPI document lists both.
    let doc = get(&w, None, "/api/v1/openapi.json").await.json();
    assert!(doc["paths"]["/api/v1/evaluation"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/reorganisations"]["get"].is_object());
    // The register: the demo's, then one more.
    let list = get(&w, None, "/api/v1/reorganisations").await;
    assert_eq!(list.status, StatusCode::OK);
    let before = list.json().as_array().unwrap().len();
    let c = &w.c;
    let input = app::reorganisations::ReorganisationInput {
        kind: "cuw".into(),
        title: "CUW".into(),
        start_date: format!("{start}-01-01"),
        funding_share: "50".into(),
        indicators: vec![req.indicator.clone()],
        ..Default::default()
    };
    app::reorganisations::save(&w.store, c, None, &w.unit_a, &input, w.store.actor()).await.unwrap();
    let all = get(&w, None, "/api/v1/reorganisations").await.json();
    assert_eq!(all.as_array().unwrap().len(), before + 1);
    let v = get(&w, None, &format!("/api/v1/reorganisations?unit={}", w.unit_a)).await.json();
    assert_eq!(v.as_array().unwrap().len(), 1, "filtered by unit: {v}");
    assert_eq!(v[0]["unit"], w.unit_a.as_str());
    assert_eq!(v[0]["kind"], "cuw");
    assert_eq!(v[0]["funding_share"], 0.5);
    assert_eq!(v[0]["indicators"][0], req.indicator.as_str());
    for field in
        ["id", "unit_name", "kind_pl", "kind_en", "title", "description", "start_date", "end_date", "project_value", "funding_source", "updated_at"]
    {
        assert!(v[0].get(field).is_some(), "field {field}");
    }
    let v = get(&w, None, "/api/v1/reorganisations?kind=cuw").await.json();
    let kinds: Vec<&str> = v.as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert!(!kinds.is_empty() && kinds.iter().all(|k| *k == "cuw"), "filtered by kind: {kinds:?}");
}

#[tokio::test]
async fn garbage_to_the_api_gets_a_4xx_json_naming_the_parameter_never_a_500() {
    let w = world().await;
    let start = last_year(&w.c) - 2;
    let (req, _) = evaluable(&w, &w.unit_a, start).await;
    let (u, i) = (req.unit.as_str(), req.indicator.as_str());
    let cases: Vec<(String, &str)> = vec![
        ("/api/v1/evaluation".into(), "unit"),
        (format!("/api/v1/evaluation?unit={u}&indicator={i}"), "start"),
        (format!("/api/v1/evaluation?unit={u}&start={start}"), "indicator"),
        (format!("/api/v1/evaluation?unit={u}&indicator={i}&start=99999999999999999999999"), "start"),
        (format!("/api/v1/evaluation?unit={u}&indicator={i}&start=-2019"), "start"),
        (format!("/api/v1/evaluation?unit={u}&indicator={i}&start=1990"), "start"),
        (format!("/api/v1/evaluation?unit={u}&indicator={i}&start=2100"), "start"),
        (format!("/api/v1/evaluation?unit={u}&indicator={i}&start={start}&before=0"), "before"),
        (format!("/api/v1/evaluation?unit={u}&indicator={i}&start={start}&after=18446744073709551616"), "after"),
        (format!("/api/v1/evaluation?unit={u}&indicator={i}&start={start}&group=zzz"), "group"),
        (format!("/api/v1/evaluation?unit={u}&indicator={i}&start={start}&group=custom:nie_ma"), "group"),
        (format!("/api/v1/evaluation?unit={u}&indicator={i}&start={start}&group=list:{}", w.unit_b), "group"),
        (format!("/api/v1/evaluation?unit={u}&indicator={i}&start={start}&exclude_reorganised=fuzja"), "exclude_reorganised"),
        (format!("/api/v1/evaluation?unit={u}&indicator={i}&start={start}&nieznany=1"), "nieznany"),
        (format!("/api/v1/evaluation?unit=9999999&indicator={i}&start={start}"), "unit"),
        (format!("/api/v1/evaluation?unit=0299011&indicator={i}&start={start}"), "unit"),
        (format!("/api/v1/evaluation?unit=%00%FF&indicator={i}&start={start}"), "unit"),
        (format!("/api/v1/evaluation?unit={u}&indicator=NIE_MA&start={start}"), "indicator"),
        (format!("/api/v1/evaluation?unit={u}&indicator={}&start={start}", "X".repeat(5000)), "indicator"),
        ("/api/v1/reorganisations?unit=abc".into(), "unit"),
        ("/api/v1/reorganisations?kind=fuzja".into(), "kind"),
        ("/api/v1/reorganisations?limit=5".into(), "limit"),
    ];
    for (uri, parameter) in cases {
        let a = get(&w, None, &uri).await;
        assert!(a.status.is_client_error(), "{uri}: {} {}", a.status, a.text());
        let v = a.json();
        assert_eq!(v["parameter"], parameter, "{uri}: {v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{uri}: a message");
    }
    // And the page never answers 500 to garbage either.
    for q in ["start=%FF%FE", "jst=%00&wskaznik=%00&start=%00", &format!("jst={}&wskaznik={i}&start={}", "9".repeat(300), "1".repeat(300))] {
        let a = get(&w, None, &format!("/ocena?{q}")).await;
        assert!(a.status.is_client_error() || a.status == StatusCode::OK, "/ocena?{q}: {}", a.status);
    }
}

#[tokio::test]
async fn the_demos_reorganisations_show_each_indicators_re_evaluation() {
    let w = world().await;
    let list = app::reorganisations::list(&w.store).await.unwrap();
    for r in &list {
        let a = get(&w, None, &format!("/reorganizacje/{}", r.row.id)).await;
        assert_eq!(a.status, StatusCode::OK);
        let html = a.text();
        if std::env::var_os("EVAL_PAGES_DUMP").is_some() {
            std::fs::write(format!("/tmp/reorganizacja-{}.html", r.row.id), &html).unwrap();
        }
        for code in &r.row.fields.indicators {
            let link = format!("/ocena?jst={}&amp;wskaznik={code}&amp;start=", r.unit_code);
            assert!(html.contains(&link), "{}: a link to the evaluation of {code}", r.row.fields.title);
        }
        let judged = [
            "Zmiana wyraźnie lepsza niż w grupie",
            "Zmiana wyraźnie gorsza niż w grupie",
            "Zmiana nie odróżnia się od zmian w grupie",
            "Nie da się ocenić",
        ];
        let verdicts: usize = judged.iter().map(|j| html.matches(j).count()).sum();
        assert_eq!(verdicts, r.row.fields.indicators.len(), "one verdict or reason per indicator");
    }
}
