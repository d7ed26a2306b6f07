//! Service-user surveys in process, on the demo: the gmina's approver opens a campaign with an
//! open link; an anonymous respondent answers it through the form with the double-submit
//! cookie (without the cookie: 403); a campaign with one-time links shows its links once,
//! asks for a personal link without one and refuses a used one; 30 paper questionnaires
//! cross the minimum and the results appear, while a bad file is a 400 naming its line and
//! column; the comparison shows the unit as a letter to the public and named to its
//! approver (page, CSV and API); and an open link takes at most 10 answers an hour from one
//! client (then 429).
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
    /// The approver's gmina: code, store id and name.
    own: String,
    own_id: i64,
    own_name: String,
    approver: Session,
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
    // The standard question sets (the demo may have them already: then nothing is added).
    let actor = store.actor().clone();
    app::surveys::load_standard_sets(&store, &actor).await.expect("standard sets");
    let live = Arc::new(app::LiveSnapshot::new());
    live.refresh(&store).await.expect("snapshot");
    let (approver, user) = login(&store, "demo-zatwierdza", password("demo-zatwierdza")).await;
    let own_id = user.grants.iter().find_map(|g| g.unit_id).expect("the approver's unit");
    let unit = store.unit(own_id).await.expect("unit").expect("the approver's unit is stored");
    let router = web::router_with(store.clone(), true, live);
    World { router, store, own: unit.code.as_str().to_owned(), own_id, own_name: unit.name, approver, _dir: dir }
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

    /// The value of the cookie `name` the answer sets.
    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap_or("").to_owned()))
    }
}

async fn send(router: &axum::Router, req: Request<Body>) -> Answer {
    let res = router.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.expect("body").to_bytes().to_vec();
    Answer { status, headers, body }
}

async fn get(w: &World, cookie: Option<&str>, uri: &str) -> Answer {
    let mut req = Request::get(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
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

/// A form POST with `cookie` (if any) and exactly `fields`.
async fn post_raw(w: &World, cookie: Option<&str>, uri: &str, fields: &[(&str, &str)]) -> Answer {
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect();
    let mut req = Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    send(&w.router, req.body(Body::from(body.join("&"))).unwrap()).await
}

/// A form POST as a signed-in user, with their form token.
async fn post(w: &World, who: &Session, uri: &str, fields: &[(&str, &str)]) -> Answer {
    let mut all = vec![("csrf", who.csrf.as_str())];
    all.extend_from_slice(fields);
    post_raw(w, Some(&who.cookie), uri, &all).await
}

/// A multipart POST as `who`: the form token, then one file part `plik`.
async fn post_file(w: &World, who: &Session, uri: &str, file_name: &str, bytes: &[u8]) -> Answer {
    let boundary = "----miernik-test-granica";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n", who.csrf).as_bytes());
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"plik\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post(uri)
        .header(header::COOKIE, &who.cookie)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    send(&w.router, req).await
}

/// A year no demo campaign uses, so that each test's comparison holds its own campaigns.
const YEAR: &str = "2031";

/// Opens a `szkola` campaign of the approver's unit; the answer of the POST.
async fn open(w: &World, mode: &str, tokens: &str, service: &str) -> Answer {
    let today = time::OffsetDateTime::now_utc().date();
    let closes = today + time::Duration::days(30);
    post(
        w,
        &w.approver,
        &format!("/jst/{}/badania", w.own),
        &[
            ("zestaw", "szkola"),
            ("usluga", service),
            ("rok", YEAR),
            ("tryb", mode),
            ("liczba", tokens),
            ("minimum", "30"),
            ("od", &today.to_string()),
            ("do", &closes.to_string()),
        ],
    )
    .await
}

/// The campaign of the unit with `service`.
async fn campaign(w: &World, service: &str) -> app::surveys::CampaignView {
    app::surveys::campaigns_of_unit(&w.store, w.own_id).await.expect("campaigns").into_iter().find(|c| c.service == service).expect("the campaign")
}

/// The answers to every question of the set: `score` for each.
fn all_answers(set: &app::surveys::SurveySet, score: &str) -> Vec<(String, String)> {
    set.questions.iter().map(|q| (format!("q_{}", q.code), score.to_owned())).collect()
}

/// An anonymous respondent: opens the form (taking its cookie) and sends `answers`.
async fn respond(w: &World, form_uri: &str, token: Option<&str>, answers: &[(String, String)]) -> Answer {
    let page = get(w, None, form_uri).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let csrf = page.set_cookie("miernik_csrf").expect("the form sets its double-submit cookie");
    let cookie = format!("miernik_csrf={csrf}");
    let slug_path = form_uri.split('?').next().unwrap_or(form_uri);
    let mut fields: Vec<(&str, &str)> = vec![("csrf", &csrf)];
    if let Some(t) = token {
        fields.push(("t", t));
    }
    fields.extend(answers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    post_raw(w, Some(&cookie), slug_path, &fields).await
}

#[tokio::test]
async fn an_open_survey_collects_answers_and_paper_results_and_is_compared_under_a_letter() {
    let w = world().await;
    let own = w.own.clone();
    let service = "Szkoła Podstawowa nr 1 (test)";

    // The unit's page: 404 to the public, the opening form to the approver.
    assert_eq!(get(&w, None, &format!("/jst/{own}/badania")).await.status, StatusCode::NOT_FOUND);
    let page = get(&w, Some(&w.approver.cookie), &format!("/jst/{own}/badania")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("Otwórz badanie"));

    // A refused form comes back 400 with the error linked to its field.
    let bad =
        post(&w, &w.approver, &format!("/jst/{own}/badania"), &[("zestaw", "szkola"), ("usluga", ""), ("rok", YEAR), ("tryb", "otwarty")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("href=\"#nb-usluga\""), "{}", bad.text());

    let r = open(&w, "otwarty", "", service).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let c = campaign(&w, service).await;
    assert!(r.location().starts_with(&format!("/jst/{own}/badania/{}", c.id)), "{}", r.location());
    let base = format!("/jst/{own}/badania/{}", c.id);
    let page = get(&w, Some(&w.approver.cookie), &base).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains(&format!("/badanie/{}", c.slug)), "the public link is on the page");
    assert!(page.text().contains("za mało odpowiedzi (n = 0 &lt; 30)") || page.text().contains("za mało odpowiedzi (n = 0 < 30)"), "{}", page.text());

    // An anonymous respondent: the form is accessible markup and sets its cookie.
    let form = get(&w, None, &format!("/badanie/{}", c.slug)).await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(html.contains("<fieldset") && html.contains("<legend"), "a fieldset and legend per question");
    assert!(html.contains("value=\"nw\""), "a “don't know” answer");
    assert_eq!(form.headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()), Some("no-store"));
    // Without the cookie the answer is refused and nothing is stored.
    let answers = all_answers(&c.set, "4");
    let mut fields: Vec<(&str, &str)> = vec![("csrf", "0123456789abcdef0123456789abcdef")];
    fields.extend(answers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    assert_eq!(post_raw(&w, None, &format!("/badanie/{}", c.slug), &fields).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app::surveys::results(&w.store, c.id).await.unwrap().n_responses, 0);
    // With it the answer is taken.
    let thanks = respond(&w, &format!("/badanie/{}", c.slug), None, &answers).await;
    assert_eq!(thanks.status, StatusCode::OK, "{}", thanks.text());
    assert!(thanks.text().contains("Dziękujemy"));
    assert_eq!(app::surveys::results(&w.store, c.id).await.unwrap().n_responses, 1);
    // A form with nothing answered comes back 400 with the summary linking to the first question.
    let empty = respond(&w, &format!("/badanie/{}", c.slug), None, &[]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.text().contains(&format!("href=\"#q_{}-1\"", c.set.questions[0].code)), "{}", empty.text());

    // A bad paper file: 400 naming the line and the column, and nothing read in.
    let codes: Vec<&str> = c.set.questions.iter().map(|q| q.code.as_str()).collect();
    let header_line = codes.join(";");
    let good_row = vec!["5"; codes.len()].join(";");
    let mut bad_row = vec!["4"; codes.len()];
    bad_row[1] = "7";
    let bad_file = format!("{header_line}\n{good_row}\n{}\n", bad_row.join(";"));
    let r = post_file(&w, &w.approver, &format!("{base}/papier"), "wyniki.csv", bad_file.as_bytes()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let text = r.text();
    assert!(text.contains("line 3") && text.contains("column"), "the error names line and column: {text}");
    assert_eq!(app::surveys::results(&w.store, c.id).await.unwrap().n_responses, 1, "all or nothing");

    // 30 paper questionnaires: the minimum is crossed and the results appear.
    let rows: Vec<String> = (0..30).map(|i| vec![if i % 3 == 0 { "3" } else { "5" }; codes.len()].join(";")).collect();
    let file = format!("{header_line}\n{}\n", rows.join("\n"));
    let r = post_file(&w, &w.approver, &format!("{base}/papier"), "wyniki.csv", file.as_bytes()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let results = app::surveys::results(&w.store, c.id).await.unwrap();
    assert_eq!(results.n_responses, 31);
    assert!(results.shown);
    let page = get(&w, Some(&w.approver.cookie), &base).await;
    let text = page.text();
    assert!(!text.contains("za mało odpowiedzi (n = "), "{text}");
    let mean = results.overall.mean.unwrap();
    let lo = results.overall.mean_lo.unwrap();
    let hi = results.overall.mean_hi.unwrap();
    let one = |v: f64| format!("{v:.1}").replace('.', ",");
    let written = format!("{} ({}–{})", one(mean), one(lo), one(hi));
    assert!(text.contains(&written), "the overall mean with its interval, {written}: {text}");

    // The comparison: a letter to the public, the name to the unit's approver.
    let cmp = format!("/badania/porownanie/szkola/{YEAR}");
    let public = get(&w, None, &cmp).await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.text());
    let text = public.text();
    assert!(text.contains(&format!("Uczestnik {}", c.letter)), "{text}");
    assert!(!text.contains(&w.own_name) && !text.contains(service), "the public does not see the unit's name");
    let mine = get(&w, Some(&w.approver.cookie), &cmp).await;
    assert!(mine.text().contains(&w.own_name) && mine.text().contains(service), "the approver sees the unit named");
    let csv = get(&w, None, &format!("{cmp}.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.text().contains(&c.letter) && !csv.text().contains(&w.own_name) && !csv.text().contains(&own));
    let api = get(&w, None, &format!("/api/v1/surveys/szkola/{YEAR}")).await;
    assert_eq!(api.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_slice(&api.body).expect("json");
    let row = json["rows"].as_array().and_then(|r| r.iter().find(|r| r["letter"] == c.letter.as_str())).expect("the unit's row");
    assert!(row["unit"].is_null() && row["shown"] == true, "{row}");
    let api = get(&w, Some(&w.approver.cookie), &format!("/api/v1/surveys/szkola/{YEAR}")).await;
    let json: serde_json::Value = serde_json::from_slice(&api.body).expect("json");
    let row = json["rows"].as_array().and_then(|r| r.iter().find(|r| r["letter"] == c.letter.as_str())).expect("the unit's row");
    assert_eq!(row["unit"]["code"], own.as_str());
    let list = get(&w, None, "/api/v1/surveys").await;
    assert!(list.text().contains(&format!("\"year\":{YEAR}")), "{}", list.text());
    let index = get(&w, None, "/badania").await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(index.text().contains(&cmp));

    // Consent: then the public sees the unit named too.
    let r = post(&w, &w.approver, &format!("{base}/zgoda"), &[("zgoda", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(get(&w, None, &cmp).await.text().contains(service));

    // Closing: the form says so and takes no more answers.
    let r = post(&w, &w.approver, &format!("{base}/zamknij"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(get(&w, None, &format!("/badanie/{}", c.slug)).await.status, StatusCode::GONE);
}

#[tokio::test]
async fn one_time_links_are_shown_once_needed_and_taken_once() {
    let w = world().await;
    let service = "Szkoła Podstawowa nr 2 (linki)";
    let r = open(&w, "tokeny", "3", service).await;
    // The links are the answer itself (shown once), with their CSV a button away.
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let c = campaign(&w, service).await;
    let text = r.text();
    let marker = format!("/badanie/{}?t=", c.slug);
    let tokens: Vec<String> = text
        .match_indices(&marker)
        .map(|(i, _)| text[i + marker.len()..].chars().take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '-' || *ch == '_').collect())
        .collect();
    assert_eq!(tokens.len(), 3, "{text}");
    assert_eq!(c.tokens_total, 3);
    let base = format!("/jst/{}/badania/{}", w.own, c.id);
    let csv = post(&w, &w.approver, &format!("{base}/tokeny"), &[("format", "csv"), ("tokeny", &tokens.join(" "))]).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/csv")));
    assert_eq!(csv.text().lines().count(), 4, "a header and three links");
    assert_eq!(app::surveys::campaign(&w.store, c.id).await.unwrap().unwrap().tokens_total, 3, "the CSV makes no new links");

    // Without a personal link: 403 with a page that says one is needed.
    let bare = get(&w, None, &format!("/badanie/{}", c.slug)).await;
    assert_eq!(bare.status, StatusCode::FORBIDDEN);
    assert!(bare.text().contains("osobisty"), "{}", bare.text());

    let answers = all_answers(&c.set, "5");
    let link = format!("/badanie/{}?t={}", c.slug, tokens[0]);
    let first = respond(&w, &link, Some(&tokens[0]), &answers).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let again = respond(&w, &link, Some(&tokens[0]), &answers).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
    assert!(again.text().contains("już wykorzystany"));
    let made_up = respond(&w, &format!("/badanie/{}?t=nieznany", c.slug), Some("nieznany"), &answers).await;
    assert_eq!(made_up.status, StatusCode::FORBIDDEN);
    assert_eq!(app::surveys::results(&w.store, c.id).await.unwrap().n_responses, 1);

    // More links: shown once again, and counted.
    let r = post(&w, &w.approver, &format!("{base}/tokeny"), &[("liczba", "2")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(app::surveys::campaign(&w.store, c.id).await.unwrap().unwrap().tokens_total, 5);
    // Someone without a role on the unit cannot make links (and the page is not found to them).
    let other = get(&w, None, &base).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_open_link_takes_ten_answers_an_hour_from_one_client_then_429() {
    let w = world().await;
    let service = "Szkoła Podstawowa nr 3 (limit)";
    let r = open(&w, "otwarty", "", service).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let c = campaign(&w, service).await;
    let answers = all_answers(&c.set, "3");
    let uri = format!("/badanie/{}", c.slug);
    for i in 0..10 {
        let r = respond(&w, &uri, None, &answers).await;
        assert_eq!(r.status, StatusCode::OK, "answer {i}: {}", r.text());
    }
    let r = respond(&w, &uri, None, &answers).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    assert!(r.headers.get(header::RETRY_AFTER).is_some());
    assert_eq!(app::surveys::results(&w.store, c.id).await.unwrap().n_responses, 10);
}

#[tokio::test]
async fn remarks_wait_for_moderation_and_only_the_units_people_moderate_them() {
    let w = world().await;
    let service = "Szkoła Podstawowa nr 4 (uwagi)";
    let r = open(&w, "otwarty", "", service).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let c = campaign(&w, service).await;
    let mut answers = all_answers(&c.set, "2");
    answers.push(("uwagi".into(), "Więcej zajęć popołudniowych".into()));
    let r = respond(&w, &format!("/badanie/{}", c.slug), None, &answers).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let pending = app::surveys::comments(&w.store, c.id, Some("pending")).await.unwrap();
    assert_eq!(pending.len(), 1);
    let base = format!("/jst/{}/badania/{}", w.own, c.id);
    assert!(get(&w, Some(&w.approver.cookie), &base).await.text().contains("Więcej zajęć popołudniowych"));
    // Without the form token: 403, nothing moderated.
    let r = post_raw(&w, Some(&w.approver.cookie), &format!("{base}/komentarze/{}", pending[0].id), &[("decyzja", "publikuj")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post(&w, &w.approver, &format!("{base}/komentarze/{}", pending[0].id), &[("decyzja", "publikuj")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(app::surveys::comments(&w.store, c.id, Some("published")).await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_admin_adds_a_version_of_a_set_and_a_definition_of_another_set_is_refused() {
    let w = world().await;
    let (admin, _) = login(&w.store, "demo-admin", password("demo-admin")).await;
    let before = app::surveys::set(&w.store, "szkola").await.unwrap().expect("the school set");
    let page = get(&w, Some(&admin.cookie), "/badania/zestawy/szkola").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("<textarea"), "the admin's edit form");
    // Not to the approver.
    assert!(!get(&w, Some(&w.approver.cookie), "/badania/zestawy/szkola").await.text().contains("<textarea"));
    assert_eq!(post(&w, &w.approver, "/badania/zestawy/szkola", &[("toml", &before.definition)]).await.status, StatusCode::FORBIDDEN);

    let changed = before.definition.replacen(&before.set.title_pl, "Szkoła podstawowa — ankieta dla rodziców (wersja 2)", 1);
    let r = post(&w, &admin, "/badania/zestawy/szkola", &[("toml", &changed)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let after = app::surveys::set(&w.store, "szkola").await.unwrap().unwrap();
    assert_eq!(after.version, before.version + 1);
    assert!(after.set.title_pl.ends_with("(wersja 2)"));

    // The ops set's text under the school set's address: 400, and no version added to either.
    let ops = app::surveys::set(&w.store, "ops").await.unwrap().expect("the ops set");
    let r = post(&w, &admin, "/badania/zestawy/szkola", &[("toml", &ops.definition)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("ops ≠ szkola"), "{}", r.text());
    assert_eq!(app::surveys::set(&w.store, "ops").await.unwrap().unwrap().version, ops.version);
    // A definition that does not read: 400 with the line at fault beside the text.
    let r = post(&w, &admin, "/badania", &[]).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = post(&w, &admin, "/badania/zestawy", &[("toml", "[set]\ncode = \"nowy\"\n")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(r.text().contains("aria-invalid=\"true\""));
}

#[tokio::test]
async fn the_csv_of_five_thousand_links_fits_in_its_request() {
    let w = world().await;
    let service = "Szkoła Podstawowa nr 5 (CSV)";
    let r = open(&w, "tokeny", "1", service).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let c = campaign(&w, service).await;
    let tokens: Vec<String> = (0..5000).map(|i| format!("{i:032}")).collect();
    let csv = post(&w, &w.approver, &format!("/jst/{}/badania/{}/tokeny", w.own, c.id), &[("format", "csv"), ("tokeny", &tokens.join(" "))]).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.text().lines().count(), 5001);
}
