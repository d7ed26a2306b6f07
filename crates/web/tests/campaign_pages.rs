//! The data-collection pages in process, on a small country of their own: a data-entry user
//! fills in their unit's questionnaire (a bad number → the error summary linking to the
//! field), cannot open or post another unit's (403), submits; the verifier returns it with
//! a comment and approves it; the XLSX template downloads and uploads back through the same
//! checks; the dashboard's CSV has a row per unit; an administrator creates a campaign from a
//! form definition (errors with line numbers).
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

const TERC: &str = "WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD;STAN_NA
02;;;;DOLNOŚLĄSKIE;województwo;2026-01-01
02;01;;;bolesławiecki;powiat;2026-01-01
02;01;01;1;Bolesławiec;gmina miejska;2026-01-01
02;01;02;2;Bolesławiec;gmina wiejska;2026-01-01
02;01;03;2;Gromadka;gmina wiejska;2026-01-01
";

/// The unit the data-entry user works for, and another one.
const MINE: &str = "0201022";
const OTHER: &str = "0201032";

const CATALOGUE: &str = r#"version = "test"
[[variable]]
code = "uczniowie_sp"
name_pl = "Uczniowie szkół podstawowych"
[[variable]]
code = "oddzialy_sp"
name_pl = "Oddziały w szkołach podstawowych"
[[indicator]]
code = "EDU_T1"
name_pl = "Uczniowie na oddział"
name_en = "Pupils per class"
area = "edukacja"
service_pl = "Szkoły podstawowe"
kind = "monitoring"
dimension = "efficiency"
polarity = "neutral"
numerator = "uczniowie_sp"
denominator = "oddzialy_sp"
unit_pl = "uczniowie"
decimals = 1
applies_to = ["gmina_miejska", "gmina_wiejska", "gmina_miejsko_wiejska"]
definition_pl = "Uczniowie / oddziały"
source = "test"
"#;

const FORM: &str = r#"[form]
code = "szkoly"
title_pl = "Szkoły podstawowe"
title_en = "Primary schools"

[[field]]
variable = "uczniowie_sp"
label_pl = "Uczniowie szkół podstawowych"
label_en = "Primary school pupils"
help_pl = "Stan na 30 września"
help_en = "As of 30 September"
measure_unit = "osoby"
required = true
min = 0
integer = true

[[field]]
variable = "oddzialy_sp"
label_pl = "Oddziały"
label_en = "Classes"
measure_unit = "szt."
required = true
min = 0
integer = true

[[rule]]
check = "oddzialy_sp <= uczniowie_sp"
message_pl = "Oddziałów nie może być więcej niż uczniów"
message_en = "There cannot be more classes than pupils"
"#;

/// A logged-in user: the session cookie and the form token.
#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

struct World {
    router: axum::Router,
    store: app::Store,
    campaign: i64,
    entry: Session,
    approver: Session,
    verifier: Session,
    admin: Session,
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
    for (k, unit) in ["0201011", MINE, OTHER].iter().enumerate() {
        obs.push_str(&format!("{unit},uczniowie_sp,2023,{}\n{unit},oddzialy_sp,2023,{}\n", 1000 + 100 * k, 40 + 4 * k));
    }
    app::import_observations(&store, &file("o.csv", &obs), &app::ObsImportOptions::default(), &|_, _| {}).await.expect("observations");
    // The handle's own actor (the type lives in `store`, which this crate does not name).
    let actor = store.actor().clone();
    let form = app::campaigns::add_form(&store, &actor, FORM, "szkoly.toml").await.expect("form");
    let today = app::campaigns::today();
    let campaign = app::campaigns::add_campaign(
        &store,
        &actor,
        app::campaigns::NewCampaign {
            form: app::campaigns::FormRef::Id(form.id),
            name: "Szkoły 2024".into(),
            year: 2024,
            deadline: today + time::Duration::days(30),
            publish_on: today + time::Duration::days(60),
            units: vec!["0201011".into(), MINE.into(), OTHER.into()],
        },
    )
    .await
    .expect("campaign")
    .id;
    for (login, role, units) in [
        ("wprowadza", app::accounts::Role::DataEntry, vec![MINE.to_owned()]),
        ("zatwierdza", app::accounts::Role::Approver, vec![MINE.to_owned()]),
        ("weryfikuje", app::accounts::Role::Verifier, vec!["*".to_owned()]),
        ("admin", app::accounts::Role::Admin, vec!["*".to_owned()]),
    ] {
        app::accounts::add_user(&store, &actor, login, login, None).await.expect("user");
        app::accounts::grant(&store, &actor, login, role, &units).await.expect("grant");
    }
    let live = Arc::new(app::LiveSnapshot::new());
    live.refresh(&store).await.expect("snapshot");
    let router = web::router_with(store.clone(), false, live);
    World {
        entry: session(&store, "wprowadza").await,
        approver: session(&store, "zatwierdza").await,
        verifier: session(&store, "weryfikuje").await,
        admin: session(&store, "admin").await,
        router,
        store,
        campaign,
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

async fn post(w: &World, who: &Session, uri: &str, fields: &[(&str, &str)]) -> Answer {
    let mut body: Vec<String> = vec![format!("csrf={}", urlencode(&who.csrf))];
    body.extend(fields.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))));
    let req = Request::post(uri)
        .header(header::COOKIE, &who.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.join("&")))
        .unwrap();
    send(&w.router, req).await
}

/// A multipart body: text fields, then one file part.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----miernik-test-granica";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    if let Some((name, file_name, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_multipart(w: &World, who: &Session, uri: &str, fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> Answer {
    let mut all = vec![("csrf", who.csrf.as_str())];
    all.extend_from_slice(fields);
    let (content_type, body) = multipart(&all, file);
    let req = Request::post(uri).header(header::COOKIE, &who.cookie).header(header::CONTENT_TYPE, content_type).body(Body::from(body)).unwrap();
    send(&w.router, req).await
}

fn entry_path(w: &World, code: &str) -> String {
    format!("/ankiety/{}/jst/{code}", w.campaign)
}

fn private(a: &Answer) {
    assert_eq!(a.headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()), Some("private, no-store"), "pages with a user are never shared");
}

#[tokio::test]
async fn data_entry_fills_in_meets_the_error_summary_is_kept_out_of_other_units_and_submits() {
    let w = world().await;
    let mine = entry_path(&w, MINE);

    // The list names the campaign and the user's unit only.
    let list = get(&w, Some(&w.entry), "/ankiety").await;
    assert_eq!(list.status, StatusCode::OK);
    private(&list);
    let html = list.text();
    assert!(html.contains("Szkoły 2024") && html.contains(&format!("href=\"{mine}\"")), "{html}");
    assert!(!html.contains(OTHER), "another unit is not offered");

    // The form: label for the input, help, last year's value, decimal input, the token.
    let page = get(&w, Some(&w.entry), &mine).await;
    assert_eq!(page.status, StatusCode::OK);
    private(&page);
    let html = page.text();
    assert!(html.contains("<label class=\"main\" for=\"pole-uczniowie_sp\">"), "{html}");
    assert!(html.contains("inputmode=\"decimal\""));
    assert!(html.contains("Stan na 30 września"));
    assert!(html.contains("1\u{a0}100"), "last year's value beside the field");
    assert!(html.contains(&format!("value=\"{}\"", w.entry.csrf)));
    assert!(html.contains("value=\"zapisz\"") && html.contains("value=\"wyslij\""));

    // A bad number: the draft is saved and the page lists the error, linking to the field.
    let saved = post(&w, &w.entry, &mine, &[("akcja", "zapisz"), ("w.uczniowie_sp", "dużo"), ("w.oddzialy_sp", "40")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    assert!(saved.location().starts_with(&format!("{mine}?komunikat=zapisano")), "{}", saved.location());
    let html = get(&w, Some(&w.entry), &saved.location()).await.text();
    assert!(html.contains("id=\"podsumowanie\""), "the error summary: {html}");
    assert!(html.contains("href=\"#pole-uczniowie_sp\""), "a link to the field");
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(html.contains("value=\"dużo\""), "what was typed is kept");
    assert!(html.contains("Zapisano wersję roboczą"));

    // Submitting with the error is refused: the same page, every error listed, nothing sent.
    let refused = post(&w, &w.entry, &mine, &[("akcja", "wyslij"), ("w.uczniowie_sp", "dużo"), ("w.oddzialy_sp", "40")]).await;
    assert_eq!(refused.status, StatusCode::OK);
    let html = refused.text();
    assert!(html.contains("<title>Błąd:"), "the title says there is an error");
    assert!(html.contains("role=\"alert\"") && html.contains("href=\"#pole-uczniowie_sp\""));

    // Another unit's form can be neither read nor posted (IDOR), and says nothing of it.
    let other = entry_path(&w, OTHER);
    let denied = get(&w, Some(&w.entry), &other).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert!(!denied.text().contains("pole-uczniowie_sp"));
    let denied = post(&w, &w.entry, &other, &[("akcja", "zapisz"), ("w.uczniowie_sp", "5")]).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let denied = get(&w, Some(&w.entry), &format!("{other}/szablon.xlsx")).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let unit = w.store.unit_id_for_code(&model::TerytCode::parse(OTHER).unwrap()).await.unwrap().unwrap();
    assert!(w.store.submission(w.campaign, unit).await.unwrap().is_none(), "nothing was written for the other unit");
    // …and in English too.
    let denied = get(&w, Some(&w.entry), &format!("{other}?lang=en")).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert!(denied.text().contains("lang=\"en\""));

    // Without the form token nothing happens.
    let forged = Request::post(&mine)
        .header(header::COOKIE, &w.entry.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("akcja=zapisz&w.uczniowie_sp=7"))
        .unwrap();
    assert_eq!(send(&w.router, forged).await.status, StatusCode::FORBIDDEN);

    // Polish numbers go through; a big change against last year needs a comment first.
    let warned = post(&w, &w.entry, &mine, &[("akcja", "wyslij"), ("w.uczniowie_sp", "2 200"), ("w.oddzialy_sp", "44")]).await;
    assert_eq!(warned.status, StatusCode::OK, "a warning without a comment blocks: {}", warned.text());
    assert!(warned.text().contains("href=\"#pole-uczniowie_sp-komentarz\""), "the warning leads to the comment box");
    let sent = post(
        &w,
        &w.entry,
        &mine,
        &[("akcja", "wyslij"), ("w.uczniowie_sp", "2 200"), ("k.uczniowie_sp", "Nowa szkoła od września"), ("w.oddzialy_sp", "44")],
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
    let html = get(&w, Some(&w.entry), &sent.location()).await.text();
    assert!(html.contains("Wysłano do weryfikacji"));
    assert!(!html.contains("name=\"w.uczniowie_sp\""), "read-only once sent");
    assert!(html.contains("2\u{a0}200"));

    // The approver may withdraw it; the data-entry user may not.
    assert!(!html.contains("value=\"wycofaj\""));
    let denied = post(&w, &w.entry, &mine, &[("akcja", "wycofaj")]).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let html = get(&w, Some(&w.approver), &mine).await.text();
    assert!(html.contains("value=\"wycofaj\""));
    let back = post(&w, &w.approver, &mine, &[("akcja", "wycofaj")]).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    assert!(get(&w, Some(&w.entry), &mine).await.text().contains("name=\"w.uczniowie_sp\""), "editable again");

    // Nobody logged in is sent to the login page.
    let anon = get(&w, None, &mine).await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert!(anon.location().starts_with("/logowanie"), "{}", anon.location());
}

#[tokio::test]
async fn the_verifier_returns_with_a_comment_then_approves_and_the_dashboard_and_its_csv_follow() {
    let w = world().await;
    let mine = entry_path(&w, MINE);
    let fill = [("akcja", "wyslij"), ("w.uczniowie_sp", "1 150"), ("w.oddzialy_sp", "46")];
    assert_eq!(post(&w, &w.entry, &mine, &fill).await.status, StatusCode::SEE_OTHER);

    // The queue lists it; a data-entry user has no queue.
    let q = get(&w, Some(&w.verifier), "/weryfikacja").await;
    assert_eq!(q.status, StatusCode::OK);
    private(&q);
    assert!(q.text().contains(&format!("href=\"{mine}\"")), "{}", q.text());
    assert_eq!(get(&w, Some(&w.entry), "/weryfikacja").await.status, StatusCode::FORBIDDEN);

    // A data-entry user cannot verify, not even their own unit.
    let denied = post(&w, &w.entry, &format!("{mine}/weryfikacja"), &[("akcja", "zatwierdz")]).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    // The verifier's page has the two decisions; returning needs a comment.
    let html = get(&w, Some(&w.verifier), &mine).await.text();
    assert!(html.contains("value=\"zatwierdz\"") && html.contains("value=\"zwroc\""));
    let no_comment = post(&w, &w.verifier, &format!("{mine}/weryfikacja"), &[("akcja", "zwroc"), ("komentarz", "  ")]).await;
    assert_eq!(no_comment.status, StatusCode::OK);
    assert!(no_comment.text().contains("id=\"komentarz-blad\""));
    let returned = post(&w, &w.verifier, &format!("{mine}/weryfikacja"), &[("akcja", "zwroc"), ("komentarz", "Sprawdź liczbę oddziałów")]).await;
    assert_eq!(returned.status, StatusCode::SEE_OTHER, "{}", returned.text());

    // The unit sees the comment and can correct and submit again.
    let html = get(&w, Some(&w.entry), &mine).await.text();
    assert!(html.contains("Sprawdź liczbę oddziałów") && html.contains("name=\"w.oddzialy_sp\""));
    assert_eq!(post(&w, &w.entry, &mine, &[("akcja", "wyslij"), ("w.oddzialy_sp", "45")]).await.status, StatusCode::SEE_OTHER);
    let approved = post(&w, &w.verifier, &format!("{mine}/weryfikacja"), &[("akcja", "zatwierdz")]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    let html = get(&w, Some(&w.entry), &mine).await.text();
    assert!(html.contains("zatwierdzono"), "{html}");

    // The dashboard: counts, a table with a caption, and a CSV with a row per unit.
    let dash = get(&w, Some(&w.verifier), &format!("/ankiety/{}", w.campaign)).await;
    assert_eq!(dash.status, StatusCode::OK);
    let html = dash.text();
    assert!(html.contains("<caption"), "a table with a caption");
    assert!(html.contains("zestawienie.csv"));
    assert_eq!(get(&w, Some(&w.entry), &format!("/ankiety/{}", w.campaign)).await.status, StatusCode::FORBIDDEN, "data entry has no dashboard");
    let csv = get(&w, Some(&w.verifier), &format!("/ankiety/{}/zestawienie.csv", w.campaign)).await;
    assert_eq!(csv.status, StatusCode::OK);
    private(&csv);
    let mut reader = csv::Reader::from_reader(csv.body.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3, "a row per unit");
    let mine_row = rows.iter().find(|r| r.get(0) == Some(MINE)).expect("my unit's row");
    assert!(mine_row.iter().any(|c| c == "zatwierdzona"), "{mine_row:?}");
    assert!(rows.iter().any(|r| r.get(0) == Some(OTHER) && r.iter().any(|c| c == "nie rozpoczęto")));
}

#[tokio::test]
async fn the_xlsx_template_downloads_and_uploads_back_through_the_same_checks() {
    let w = world().await;
    let mine = entry_path(&w, MINE);
    assert_eq!(
        post(&w, &w.entry, &mine, &[("akcja", "zapisz"), ("w.uczniowie_sp", "1111"), ("w.oddzialy_sp", "41")]).await.status,
        StatusCode::SEE_OTHER
    );
    let xlsx = get(&w, Some(&w.entry), &format!("{mine}/szablon.xlsx")).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    private(&xlsx);
    assert!(xlsx.body.starts_with(b"PK"), "an XLSX (ZIP) file");
    assert!(xlsx.headers.get(header::CONTENT_DISPOSITION).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("attachment")));

    // Change the saved values, then upload the template: its values (1111, 41) come back.
    assert_eq!(
        post(&w, &w.entry, &mine, &[("akcja", "zapisz"), ("w.uczniowie_sp", "999"), ("w.oddzialy_sp", "39")]).await.status,
        StatusCode::SEE_OTHER
    );
    let up = post_multipart(&w, &w.entry, &format!("{mine}/plik"), &[], Some(("plik", "szablon.xlsx", &xlsx.body))).await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.text());
    assert!(up.location().contains("komunikat=wczytano"));
    let html = get(&w, Some(&w.entry), &up.location()).await.text();
    assert!(html.contains("value=\"1111\"") && html.contains("value=\"41\""), "{html}");

    // Not a spreadsheet: shown at the file input, nothing changed.
    let bad = post_multipart(&w, &w.entry, &format!("{mine}/plik"), &[], Some(("plik", "x.xlsx", b"not a zip"))).await;
    assert_eq!(bad.status, StatusCode::OK);
    let html = bad.text();
    assert!(html.contains("href=\"#plik\"") && html.contains("id=\"plik-blad\""), "{html}");
    assert!(html.contains("value=\"1111\""));

    // A file past the site's 64 KiB form limit still reaches the reader (the upload route
    // has its own, larger limit) and is refused for what it is.
    let big = vec![b'x'; 200 * 1024];
    let big = post_multipart(&w, &w.entry, &format!("{mine}/plik"), &[], Some(("plik", "duzy.xlsx", &big))).await;
    assert_eq!(big.status, StatusCode::OK, "{}", big.text());
    assert!(big.text().contains("id=\"plik-blad\""));

    // Another unit's upload is refused before the file is looked at.
    let other = post_multipart(&w, &w.entry, &format!("{}/plik", entry_path(&w, OTHER)), &[], Some(("plik", "szablon.xlsx", &xlsx.body))).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_administrator_creates_a_campaign_from_a_form_definition_and_errors_name_the_line() {
    let w = world().await;
    let page = get(&w, Some(&w.admin), "/admin/ankiety/nowa").await;
    assert_eq!(page.status, StatusCode::OK);
    private(&page);
    assert!(page.text().contains("enctype=\"multipart/form-data\""));
    assert_eq!(get(&w, Some(&w.verifier), "/admin/ankiety/nowa").await.status, StatusCode::FORBIDDEN);

    let broken = FORM.replace("integer = true\n\n[[field]]", "integer = true\nkolor = 3\n\n[[field]]");
    let fields = [
        ("nazwa", "Szkoły 2025"),
        ("rok", "2025"),
        ("termin", "2026-03-31"),
        ("publikacja", "2026-06-01"),
        ("jednostki", "0201011, 0201022"),
        ("formularz", ""),
    ];
    let bad = post_multipart(&w, &w.admin, "/admin/ankiety/nowa", &fields, Some(("plik", "szkoly.toml", broken.as_bytes()))).await;
    assert_eq!(bad.status, StatusCode::OK);
    let html = bad.text();
    assert!(html.contains("href=\"#plik\""), "{html}");
    let line = broken.lines().position(|l| l.starts_with("kolor")).unwrap() + 1;
    assert!(html.contains(&format!("wiersz {line}")), "the error names line {line}: {html}");

    let good = post_multipart(&w, &w.admin, "/admin/ankiety/nowa", &fields, Some(("plik", "szkoly.toml", FORM.as_bytes()))).await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.text());
    let dash = get(&w, Some(&w.admin), &good.location()).await;
    assert_eq!(dash.status, StatusCode::OK);
    assert!(dash.text().contains("Szkoły 2025") && dash.text().contains("Utworzono kampanię"));
    assert_eq!(app::campaigns::campaigns(&w.store).await.unwrap().len(), 2);

    // The data-entry user now has two campaigns; the second one's page opens.
    let list = get(&w, Some(&w.entry), "/ankiety").await.text();
    assert!(list.contains("Szkoły 2025") && list.contains("Szkoły 2024"));
}
