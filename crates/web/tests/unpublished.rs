//! "Unpublished leaks nowhere": an approved but unpublished questionnaire value (a distinctive
//! 987654.321 pupils, and the indicator it feeds) is absent from every public page, API
//! answer, export, report (HTML and PDF) and the changes feed, in Polish and English — each
//! answer rendered afresh equals the one before the approval —, while the unit's own
//! data-entry user sees it on the unit card marked "niepublikowane" (private, never cached);
//! after the publication date the public card and the API do show it.
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

const TERC: &str = "WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD;STAN_NA
02;;;;DOLNOŚLĄSKIE;województwo;2026-01-01
02;01;;;bolesławiecki;powiat;2026-01-01
02;01;01;1;Bolesławiec;gmina miejska;2026-01-01
02;01;02;2;Bolesławiec;gmina wiejska;2026-01-01
02;01;03;2;Gromadka;gmina wiejska;2026-01-01
02;01;04;2;Nowogrodziec;gmina wiejska;2026-01-01
";

/// The unit whose answer is approved, and another one.
const MINE: &str = "0201022";
const OTHER: &str = "0201032";

/// The approved, unpublished value.
const SECRET: f64 = 987_654.321;

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
measure_unit = "osoby"
required = true
min = 0
"#;

struct World {
    store: app::Store,
    live: Arc<app::LiveSnapshot>,
    campaign: i64,
    /// The session cookie of `MINE`'s data-entry user, and of `OTHER`'s.
    entry: String,
    stranger: String,
}

async fn cookie(store: &app::Store, login: &str) -> String {
    let password = "hasło-testowe-123456";
    app::accounts::set_password(store, store.actor(), login, password).await.expect("password");
    match app::accounts::login(store, login, password, Some("127.0.0.1")).await.expect("login") {
        app::accounts::LoginOutcome::Ok { token, .. } => format!("miernik_sesja={token}"),
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
    for (k, unit) in ["0201011", MINE, OTHER, "0201042"].iter().enumerate() {
        for year in [2023, 2024] {
            obs.push_str(&format!("{unit},uczniowie_sp,{year},{}\n{unit},oddzialy_sp,{year},{}\n", 1000 + 100 * k + year - 2023, 40 + 4 * k));
            obs.push_str(&format!("{unit},ludnosc,{year},{}\n", 12_000 + 1000 * k));
        }
    }
    app::import_observations(&store, &file("o.csv", &obs), &app::ObsImportOptions::default(), &|_, _| {}).await.expect("observations");
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
            units: vec![MINE.into(), OTHER.into()],
        },
    )
    .await
    .expect("campaign")
    .id;
    for (login, unit) in [("wprowadza", MINE), ("obcy", OTHER)] {
        app::accounts::add_user(&store, &actor, login, login, None).await.expect("user");
        app::accounts::grant(&store, &actor, login, app::accounts::Role::DataEntry, &[unit.to_owned()]).await.expect("grant");
    }
    let live = Arc::new(app::LiveSnapshot::new());
    live.refresh(&store).await.expect("snapshot");
    live.refresh_private(&store).await.expect("private view");
    World { entry: cookie(&store, "wprowadza").await, stranger: cookie(&store, "obcy").await, store, live, campaign }
}

/// A new router over the world: its own page cache, so every page is rendered afresh.
fn router(w: &World) -> axum::Router {
    web::router_with(w.store.clone(), false, w.live.clone())
}

struct Answer {
    status: StatusCode,
    cache_control: String,
    content_type: String,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn get(router: &axum::Router, cookie: Option<&str>, uri: &str) -> Answer {
    let mut req = Request::get(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let res = router.clone().oneshot(req.body(Body::empty()).unwrap()).await.expect("response");
    let h = |name: header::HeaderName| res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (status, cache_control, content_type) = (res.status(), h(header::CACHE_CONTROL), h(header::CONTENT_TYPE));
    let body = res.into_body().collect().await.expect("body").to_bytes().to_vec();
    Answer { status, cache_control, content_type, body }
}

/// Every way the integer part of `x` can be written: plain, grouped by a space, a
/// non-breaking space or a comma (any rendering of `x` — 987654.321, 987 654,3, 987,654 —
/// contains one of them).
fn forms(x: f64) -> Vec<String> {
    let digits = format!("{}", x.abs().trunc() as u64);
    let mut groups = Vec::new();
    let mut rest = digits.as_str();
    while rest.len() > 3 {
        let (head, tail) = rest.split_at(rest.len() - 3);
        groups.insert(0, tail);
        rest = head;
    }
    groups.insert(0, rest);
    let mut out = vec![digits.clone()];
    if groups.len() > 1 {
        for sep in [" ", "\u{a0}", ",", "&nbsp;", "\u{202f}"] {
            out.push(groups.join(sep));
        }
    }
    out
}

/// The text of an answer as far as it can hold numbers: the body, or an XLSX's cells.
fn readable(a: &Answer) -> String {
    if a.content_type.contains("spreadsheetml") {
        use calamine::{Reader, Xlsx};
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(a.body.clone())).expect("xlsx");
        let mut text = String::new();
        for name in book.sheet_names() {
            let range = book.worksheet_range(&name).expect("sheet");
            for row in range.rows() {
                for cell in row {
                    text.push_str(&cell.to_string());
                    text.push('\t');
                }
                text.push('\n');
            }
        }
        return text;
    }
    // Asked without `Accept-Encoding`, nothing comes gzipped: the body is the text.
    a.text()
}

/// `text` with its moments of generation (`2026-12-05T21:03:15.578707474Z`) blanked: the
/// exports say when they were made.
fn timeless(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut k = 0;
    while k < b.len() {
        let stamp = b.len() >= k + 20
            && b[k..k + 4].iter().all(u8::is_ascii_digit)
            && b[k + 4] == b'-'
            && b[k + 7] == b'-'
            && b[k + 10] == b'T'
            && b[k + 13] == b':'
            && b[k + 16] == b':';
        if stamp {
            let end = b[k..].iter().position(|&c| c == b'Z').map_or(b.len(), |z| k + z + 1);
            out.push_str("<time>");
            k = end;
        } else {
            let ch = text[k..].chars().next().unwrap_or(' ');
            out.push(ch);
            k += ch.len_utf8().max(1);
        }
    }
    out
}

/// The public addresses checked, the pages and downloads in Polish and English.
fn public_paths() -> Vec<String> {
    let data = format!("indicators=EDU_T1&units={MINE}&years=all");
    let mut paths = vec![
        "/".to_owned(),
        format!("/?q={MINE}"),
        "/?q=Boles%C5%82awiec".to_owned(),
        format!("/jst/{MINE}"),
        format!("/jst/{MINE}?rok=2024"),
        format!("/jst/{MINE}?rok=2024&grupa=wojewodztwo"),
        format!("/jst/{OTHER}?rok=2024"),
        "/jst/0201".to_owned(),
        "/wskaznik/EDU_T1".to_owned(),
        format!("/wskaznik/EDU_T1?jst={MINE}&rok=2024"),
        "/obszar/edukacja".to_owned(),
        format!("/obszar/edukacja?jst={MINE}"),
        format!("/analiza?wskazniki=EDU_T1&jst={MINE},{OTHER}&lata=all"),
        format!("/analiza?wskazniki=all&jst={MINE}&lata=2024&kolumny=unit"),
        format!("/raport/{MINE}"),
        format!("/raport/{MINE}?rok=2024"),
        format!("/raport/{MINE}?rok=2024&format=pdf"),
        "/pokrycie".to_owned(),
        format!("/api/v1/data?{data}"),
        format!("/api/v1/data?indicators=all&units=all&years=all"),
        "/api/v1/units".to_owned(),
        format!("/api/v1/units/{MINE}"),
        format!("/api/v1/units/{MINE}/peers?group=wojewodztwo&year=2024"),
        "/api/v1/indicators/EDU_T1".to_owned(),
        format!("/api/v1/compare?unit={MINE}&indicator=EDU_T1&year=2024&group=wojewodztwo"),
        "/api/v1/changes?since=2000-01-01".to_owned(),
        format!("/api/v1/changes?since={}", app::campaigns::today()),
    ];
    for f in ["csv-pl", "xlsx", "csv", "json", "jsonstat"] {
        paths.push(format!("/api/v1/data?{data}&format={f}"));
    }
    // The API speaks one language (its downloads carry `lang`, as the pages link them).
    let english = |p: &String| !p.starts_with("/api/") || p.contains("format=");
    paths
        .iter()
        .flat_map(|p| std::iter::once(p.clone()).chain(english(p).then(|| format!("{p}{}lang=en", if p.contains('?') { '&' } else { '?' }))))
        .collect()
}

/// The unit's derived indicator value in the private view.
fn derived(w: &World) -> f64 {
    let p = w.live.private().expect("private view");
    let c = p.computed();
    let (i, u, y) = (c.snapshot.indicator_index("EDU_T1").unwrap(), c.unit_index(MINE).unwrap(), c.snapshot.year_index(2024).unwrap());
    c.snapshot.value(i, u, y).expect("derived value")
}

#[tokio::test]
async fn an_approved_unpublished_value_leaks_nowhere_and_shows_marked_to_its_unit_then_publishes() {
    let w = world().await;
    let paths = public_paths();

    // Before anything is approved: what the public gets.
    let before = router(&w);
    let mut baseline = Vec::new();
    for p in &paths {
        baseline.push(get(&before, None, p).await);
    }
    let the_card = get(&before, Some(&w.entry), &format!("/jst/{MINE}?rok=2024")).await;
    assert!(!the_card.text().contains("niepublikowane"), "nothing pending yet");

    // The unit's answer, submitted and approved before its publication date.
    let actor = w.store.actor().clone();
    let unit_id = w.live.get().unwrap().unit_ids[w.live.get().unwrap().unit_index(MINE).unwrap()];
    let entry = app::campaigns::entry_from_input("uczniowie_sp", &SECRET.to_string(), Some("nowe szkoły"));
    let saved = app::campaigns::save(&w.store, &actor, w.campaign, unit_id, &[entry], app::campaigns::Intent::Submit).await.expect("save");
    assert!(saved.submitted, "submitted: {:?}", saved.findings);
    let verdict = app::campaigns::verify(&w.store, &actor, w.campaign, unit_id, app::campaigns::Decision::Approve).await.expect("approve");
    assert_eq!(verdict.published_import, None, "not published before its date");
    let version = w.live.version();
    w.live.apply_pending(&w.store, unit_id).await.expect("apply").expect("private view");
    assert_eq!(w.live.version(), version, "no public rebuild");
    let x = derived(&w);
    let public_x = {
        let c = w.live.get().unwrap();
        c.snapshot.value(c.snapshot.indicator_index("EDU_T1").unwrap(), c.unit_index(MINE).unwrap(), c.snapshot.year_index(2024).unwrap()).unwrap()
    };
    assert!((x - SECRET / 44.0).abs() < 1e-6, "the private view has the unit's new value: {x}");
    let mut needles = forms(SECRET);
    needles.extend(forms(x));
    // The needles are not in the public data to begin with (else the test proves nothing).
    assert!(!forms(public_x).iter().any(|f| needles.contains(f)), "{public_x} vs {x}");

    // Every public answer, rendered afresh, is what it was, and holds no form of the numbers.
    let after = router(&w);
    for (p, old) in paths.iter().zip(&baseline) {
        let a = get(&after, None, p).await;
        assert_eq!(a.status, old.status, "{p}");
        assert!(a.status.is_success() || a.status.is_redirection(), "{p}: {}", a.status);
        let text = readable(&a);
        for n in &needles {
            assert!(!text.contains(n.as_str()), "{p} shows {n:?}");
        }
        if a.content_type.contains("spreadsheetml") || a.content_type.contains("json") || a.content_type.contains("csv") {
            assert_eq!(timeless(&text), timeless(&readable(old)), "{p}: the answer changed after an unpublished approval");
        } else {
            assert!(a.body == old.body, "{p}: the answer changed after an unpublished approval");
        }
    }
    // A user of another unit gets the public card too.
    let stranger = get(&after, Some(&w.stranger), &format!("/jst/{MINE}?rok=2024")).await;
    assert!(!stranger.text().contains("niepublikowane"));
    for n in &needles {
        assert!(!stranger.text().contains(n.as_str()), "another unit's user sees {n:?}");
    }

    // The unit's data-entry user: the value, marked, on a private page.
    for (lang, word) in [("", "niepublikowane"), ("&lang=en", "unpublished")] {
        let mine = get(&after, Some(&w.entry), &format!("/jst/{MINE}?rok=2024{lang}")).await;
        assert_eq!(mine.status, StatusCode::OK);
        assert_eq!(mine.cache_control, "private, no-store", "never shared");
        let text = mine.text();
        assert!(text.contains(word), "marked {word:?}");
        let value = forms(x).into_iter().find(|f| text.contains(f.as_str()));
        assert!(value.is_some(), "the derived value {x} on the card");
        let entered = if lang.is_empty() { "987\u{a0}654,321" } else { "987,654.321" };
        assert!(text.contains(entered), "the input in the note, as entered: {entered:?}");
    }
    // …and the public card at the same address is still the public one (no cache poisoning).
    let public_again = get(&after, None, &format!("/jst/{MINE}?rok=2024")).await;
    assert!(public_again.body == baseline[paths.iter().position(|p| p == &format!("/jst/{MINE}?rok=2024")).unwrap()].body);

    // Publication on its date: now the public card and the API show it.
    let published = app::campaigns::publish_due(&w.store, app::campaigns::today() + time::Duration::days(61)).await.expect("publish");
    assert_eq!(published.len(), 1, "one import");
    w.live.refresh(&w.store).await.expect("rebuild");
    w.live.refresh_private(&w.store).await.expect("private view");
    let public = router(&w);
    let card = get(&public, None, &format!("/jst/{MINE}?rok=2024")).await;
    assert!(forms(x).iter().any(|f| card.text().contains(f.as_str())), "the public card shows the published value");
    assert!(!card.text().contains("niepublikowane"));
    let api = get(&public, None, &format!("/api/v1/data?indicators=EDU_T1&units={MINE}&years=2024")).await;
    assert!(forms(x).iter().any(|f| api.text().contains(f.as_str())), "{}", api.text());
    let own = get(&public, Some(&w.entry), &format!("/jst/{MINE}?rok=2024")).await;
    assert!(!own.text().contains("niepublikowane"), "published values are not marked any more");
}
