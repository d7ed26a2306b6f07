//! Anonymity of exchange groups and service-user surveys, in process on the demo: no page, API
//! answer, export, report or changes feed tells anyone but the unit itself, the cycle's
//! coordinator (or an admin) which unit is which letter. The truth (unit → letter) is read
//! through `app` (every cycle's members, every survey comparison as the admin sees it); then
//! every output below is fetched as the anonymous reader and as each demo login, and checked
//! against the contract's rule, computed here from the user's grants, not from
//! `app::exchange::Viewer`.
//!
//! Outputs checked, per viewer (anonymous; demo-admin, -gmina, -zatwierdza, -sasiad,
//! -weryfikator, -analityk, -koordynator), each in Polish and most in English too:
//! - exchange, letters: `/gwd/{id}/arkusz` (`?rok=` of the cycle's year and the one before),
//!   `/gwd/{id}/arkusz.csv`, `/gwd/{id}/pytania`, `/gwd/{id}/pytania/{qid}`,
//!   `/gwd/{id}/pytania/nowe?litera=…`, `/gwd/{id}/dokumenty/{did}`,
//!   `/api/v1/exchange/cycles/{id}/sheet` — a member unit the viewer may not see named is
//!   absent by code and by (distinctive) name; readers without the right get 404;
//! - exchange, public names: `/gwd`, `/gwd/{id}`, `/api/v1/exchange/cycles` — the public list
//!   of members may name them, but no row (table row, list item, paragraph, heading, CSV
//!   line) puts a unit's code or name next to its letter, and the JSON list has no letters;
//! - surveys, letters: `/badania`, `/badania/zestawy/{code}`, `/badania/porownanie/{set}/{y}`
//!   (and `.csv`), `/api/v1/surveys`, `/api/v1/surveys/{set}/{y}` — as the exchange letters,
//!   with a unit that consented named to everyone;
//! - surveys, a unit's own: `/jst/{code}/badania`, `/jst/{code}/badania/{id}` (404 without
//!   RunSurvey or a role on the unit), `/badanie/{slug}` (public, names the unit: no letter);
//! - elsewhere, naming units: `/jst/{code}`, `/raport/{code}`, `/jst/{code}/plan(.json)`,
//!   `/api/v1/units/{code}` (+ `/peers`, `/nearest`, `/plan`) of every member and every
//!   surveyed unit; `/api/v1/changes`, `/api/v1/data?format=csv` over them, `/dobre-praktyki`,
//!   `/api/v1/practices`, `/`, `/konto`, `/admin/audyt` — no letter label of a unit the
//!   viewer may not see named.
//!
//! Any 5xx answer fails the test, with the path and the viewer.
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

use std::collections::BTreeSet;
use std::sync::Arc;

use app::accounts::{Action, CurrentUser};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

mod support;
use support::demo_file;

/// The demo's logins and passwords (app::demo_people and app::demo_exchange seed them).
const LOGINS: [(&str, &str); 7] = [
    ("demo-admin", "demo-admin-haslo"),
    ("demo-gmina", "demo-gmina-haslo"),
    ("demo-zatwierdza", "demo-zatwierdza-haslo"),
    ("demo-sasiad", "demo-sasiad-haslo"),
    ("demo-weryfikator", "demo-weryfikator-haslo"),
    ("demo-analityk", "demo-analityk-haslo"),
    ("demo-koordynator", "demo-koordynator-haslo"),
];

/// A reader: its name in messages, its session cookie, and its user (None: anonymous).
struct Viewer {
    name: String,
    cookie: String,
    user: Option<CurrentUser>,
}

impl Viewer {
    fn admin(&self) -> bool {
        self.user.as_ref().is_some_and(CurrentUser::is_admin)
    }

    /// The rule for a cycle's member: admin, the cycle's coordinator, or the unit's own people
    /// (a role granted on that very unit; a grant on every unit, as a statistics office's
    /// analyst has, is not the unit itself and sees letters).
    fn sees_member(&self, cycle: &Cycle, unit_id: i64) -> bool {
        match &self.user {
            None => false,
            Some(u) => u.is_admin() || u.id == cycle.coordinator_user_id || own(u, unit_id),
        }
    }

    /// Whether the viewer may read the cycle's member-only pages.
    fn reads_cycle(&self, cycle: &Cycle) -> bool {
        match &self.user {
            None => false,
            Some(u) => u.is_admin() || u.id == cycle.coordinator_user_id || cycle.accepted.iter().any(|m| own(u, *m)),
        }
    }

    /// The survey rule: admin, a role on the unit (RunSurvey or ReadUnpublished), or the
    /// unit's consent.
    fn sees_surveyed(&self, s: &Surveyed) -> bool {
        s.named
            || self
                .user
                .as_ref()
                .is_some_and(|u| u.is_admin() || u.can(Action::ReadUnpublished, s.unit.unit_id) || u.can(Action::RunSurvey, s.unit.unit_id))
    }

    /// Whether the viewer may open the unit's survey pages.
    fn runs_surveys_of(&self, unit_id: i64) -> bool {
        self.user.as_ref().is_some_and(|u| u.is_admin() || u.can(Action::ReadUnpublished, unit_id) || u.can(Action::RunSurvey, unit_id))
    }
}

/// Whether `u` holds a role (other than coordinator) granted on the unit itself.
fn own(u: &CurrentUser, unit_id: i64) -> bool {
    u.grants.iter().any(|g| g.unit_id == Some(unit_id) && g.role != app::accounts::Role::Coordinator)
}

/// A lettered unit: who it is and its letter.
#[derive(Debug, Clone)]
struct Unit {
    unit_id: i64,
    code: String,
    name: String,
    letter: String,
}

#[derive(Debug)]
struct Cycle {
    id: i64,
    year: i32,
    coordinator_user_id: i64,
    /// Members with a letter (accepted, or withdrawn after acceptance).
    members: Vec<Unit>,
    /// The accepted members' units: a role on one opens the member-only pages.
    accepted: Vec<i64>,
    questions: Vec<i64>,
    documents: Vec<i64>,
    indicator: Option<String>,
}

#[derive(Debug)]
struct Surveyed {
    unit: Unit,
    named: bool,
    campaign_id: i64,
    slug: String,
}

#[derive(Debug)]
struct Comparison {
    set_code: String,
    year: i32,
    rows: Vec<Surveyed>,
}

struct World {
    router: axum::Router,
    cycles: Vec<Cycle>,
    comparisons: Vec<Comparison>,
    set_codes: Vec<String>,
    viewers: Vec<Viewer>,
}

async fn world() -> World {
    let dir = Box::leak(Box::new(tempfile::tempdir().expect("temp dir")));
    let path = dir.path().join("demo.db");
    std::fs::copy(demo_file(), &path).expect("copy of the demo");
    let store = app::Store::open(&format!("sqlite:{}", path.display())).await.expect("store");
    let live = Arc::new(app::LiveSnapshot::new());
    live.refresh(&store).await.expect("snapshot");
    let router = web::router_with(store.clone(), true, live);

    let mut viewers = vec![Viewer { name: "anonymous".into(), cookie: String::new(), user: None }];
    for (login, password) in LOGINS {
        match app::accounts::login(&store, login, password, Some("127.0.0.1")).await.expect("login") {
            app::accounts::LoginOutcome::Ok { token, user, .. } => {
                viewers.push(Viewer { name: login.into(), cookie: format!("miernik_sesja={token}"), user: Some(user) })
            }
            other => panic!("the demo login {login} is refused: {other:?}"),
        }
    }
    let admin = viewers.iter().find(|v| v.name == "demo-admin").and_then(|v| v.user.clone()).unwrap();

    // The exchange truth.
    let mut cycles = Vec::new();
    for c in app::exchange::cycles(&store).await.expect("cycles") {
        let members: Vec<Unit> = c
            .members
            .iter()
            .filter_map(|m| {
                let letter = m.letter.clone()?;
                Some(Unit { unit_id: m.unit_id, code: m.code.to_string(), name: m.name.clone(), letter })
            })
            .collect();
        let questions = app::exchange::questions(&store, c.id).await.expect("questions");
        let indicator = questions.first().map(|q| q.indicator_code.clone());
        let documents = app::exchange::documents(&store, c.id).await.expect("documents").iter().map(|d| d.id).collect();
        let accepted = c.accepted().map(|m| m.unit_id).collect();
        cycles.push(Cycle {
            id: c.id,
            year: c.year,
            coordinator_user_id: c.coordinator_user_id,
            members,
            accepted,
            questions: questions.iter().map(|q| q.id).collect(),
            documents,
            indicator,
        });
    }

    // The survey truth: every comparison, as the admin sees it.
    let pairs: Vec<(String, i32)> = app::surveys::comparisons(&store).await.expect("comparisons").into_iter().map(|c| (c.set_code, c.year)).collect();
    let survey_viewer = app::surveys::Viewer::of(Some(&admin));
    let mut comparisons = Vec::new();
    for (set_code, year) in pairs {
        let cmp = app::surveys::comparison(&store, &set_code, year, &survey_viewer).await.expect("comparison");
        let mut rows = Vec::new();
        for r in &cmp.rows {
            let app::surveys::Label::Named { unit_id, code, name, .. } = &r.label else {
                panic!("the admin sees a letter in the comparison {set_code} {year}: {:?}", r.label);
            };
            let campaigns = app::surveys::campaigns_of_unit(&store, *unit_id).await.expect("campaigns of a unit");
            let campaign = campaigns.iter().find(|c| c.set_code == set_code && c.year == year).expect("the row's campaign");
            rows.push(Surveyed {
                unit: Unit { unit_id: *unit_id, code: code.to_string(), name: name.clone(), letter: r.letter.clone() },
                named: campaign.named,
                campaign_id: campaign.id,
                slug: campaign.slug.clone(),
            });
        }
        comparisons.push(Comparison { set_code, year, rows });
    }
    let set_codes = app::surveys::sets(&store).await.expect("sets").into_iter().map(|s| s.code).collect();
    World { router, cycles, comparisons, set_codes, viewers }
}

struct Answer {
    status: StatusCode,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn fetch(router: &axum::Router, v: &Viewer, uri: &str) -> Answer {
    let mut req = Request::get(uri);
    if !v.cookie.is_empty() {
        req = req.header(header::COOKIE, &v.cookie);
    }
    let res = router.clone().oneshot(req.body(Body::empty()).unwrap()).await.expect("response");
    let status = res.status();
    let body = res.into_body().collect().await.expect("body").to_bytes().to_vec();
    Answer { status, body }
}

/// The ways an output may show a letter `l` as a label.
fn letter_labels(l: &str) -> Vec<String> {
    let mut out: Vec<String> = ["Uczestnik ", "uczestnik ", "Participant ", "participant ", "Litera ", "litera ", "Letter ", "letter ", "JST "]
        .iter()
        .map(|p| format!("{p}{l}"))
        .collect();
    out.extend([format!("\"letter\":\"{l}\""), format!("\"letter\": \"{l}\""), format!(">{l}<"), format!(">{l} <"), format!("> {l}<")]);
    out
}

/// Whether `text` has `label` followed by no letter or digit (so "Uczestnik G" does not match
/// "Uczestnik GWD").
fn has_label(text: &str, label: &str) -> bool {
    text.match_indices(label).any(|(i, _)| text[i + label.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric()))
}

/// Any letter label at all ("Uczestnik X", "Participant X", a `"letter"` key).
fn any_letter_label(text: &str) -> Option<String> {
    if text.contains("\"letter\"") {
        return Some("a \"letter\" key".into());
    }
    for p in ["Uczestnik ", "Participant ", "uczestnik ", "participant "] {
        for (i, _) in text.match_indices(p) {
            let rest = &text[i + p.len()..];
            let mut chars = rest.chars();
            if let Some(c) = chars.next()
                && c.is_ascii_uppercase()
                && chars.next().is_none_or(|n| !n.is_alphanumeric())
            {
                return Some(format!("{p}{c}"));
            }
        }
    }
    None
}

/// The rows of an output: table rows, list items, paragraphs, headings, terms, options of
/// HTML; lines of CSV and plain text. A tie is a unit and its letter within one row.
fn rows(text: &str) -> Vec<&str> {
    if !text.trim_start().starts_with('<') {
        return text.lines().collect();
    }
    const CUT: [&str; 20] = [
        "tr",
        "li",
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "dt",
        "dd",
        "option",
        "table",
        "ul",
        "ol",
        "section",
        "article",
        "caption",
        "form",
        "figcaption",
    ];
    let mut out = Vec::new();
    let mut start = 0;
    for (i, _) in text.match_indices('<') {
        let tag: String = text[i + 1..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
        if CUT.contains(&tag.as_str()) {
            out.push(&text[start..i]);
            start = i;
        }
    }
    out.push(&text[start..]);
    out
}

/// A unit's name is checked only when distinctive: not part of another unit's name of the
/// same list (two gminy "Bolesławiec"), and long enough not to be an ordinary word.
fn distinctive(name: &str, all: &[&Unit]) -> bool {
    name.chars().count() >= 4 && all.iter().filter(|u| u.name.contains(name) || name.contains(u.name.as_str())).count() == 1
}

/// `text` names `u` (its TERYT code, or its distinctive name).
fn names(text: &str, u: &Unit, all: &[&Unit]) -> Option<String> {
    if text.contains(&u.code) {
        return Some(format!("code {}", u.code));
    }
    if distinctive(&u.name, all) && text.contains(&u.name) {
        return Some(format!("name {}", u.name));
    }
    None
}

/// A failure collector that also fails on any 5xx.
#[derive(Default)]
struct Report {
    failures: Vec<String>,
    fetched: usize,
}

impl Report {
    fn push(&mut self, f: String) {
        self.failures.push(f);
    }

    /// Fetches `path` as `v`; a 5xx is a failure; the answer for further checks.
    async fn get(&mut self, w: &World, v: &Viewer, path: &str) -> Answer {
        let a = fetch(&w.router, v, path).await;
        self.fetched += 1;
        if a.status.is_server_error() {
            let body: String = a.text().chars().take(300).collect();
            self.push(format!("SERVER ERROR {} on GET {path} as {}: {body}", a.status, v.name));
        }
        a
    }

    fn finish(self, what: &str, at_least: usize) {
        assert!(self.fetched >= at_least, "{what}: only {} outputs fetched", self.fetched);
        assert!(self.failures.is_empty(), "{what}: {} failures in {} outputs:\n{}", self.failures.len(), self.fetched, self.failures.join("\n"));
    }
}

/// (a): a letters output hides every unit of `units` the viewer may not see named, by code and
/// by name.
fn check_letters(r: &mut Report, v: &Viewer, path: &str, text: &str, units: &[&Unit], hidden: &[&Unit]) {
    for u in hidden {
        if let Some(what) = names(text, u, units) {
            r.push(format!("GET {path} as {}: shows {what} of a unit the viewer may see only as letter {}", v.name, u.letter));
        }
    }
}

/// No row of the output has a hidden unit's code or name together with that unit's letter.
fn check_ties(r: &mut Report, v: &Viewer, path: &str, text: &str, units: &[&Unit], hidden: &[&Unit]) {
    for row in rows(text) {
        for u in hidden {
            let Some(what) = names(row, u, units) else { continue };
            // In a CSV line, a cell that is the letter alone is its label.
            let csv_cell = !row.contains('<') && row.split([';', ',', '\t']).any(|cell| cell.trim().trim_matches('"') == u.letter);
            let label =
                letter_labels(&u.letter).into_iter().find(|l| has_label(row, l)).or_else(|| csv_cell.then(|| format!("a CSV cell {}", u.letter)));
            if let Some(label) = label {
                let row: String = row.chars().take(200).collect();
                r.push(format!("GET {path} as {}: {what} next to its letter ({label}) in `{row}`", v.name));
            }
        }
    }
}

/// The member-only pages of a cycle: 404 for a reader without the right (anonymous: 404 or the
/// login page), else 200.
fn check_member_only(r: &mut Report, v: &Viewer, path: &str, a: &Answer, may: bool) -> bool {
    let ok =
        if may { a.status == StatusCode::OK } else { a.status == StatusCode::NOT_FOUND || (v.user.is_none() && a.status == StatusCode::SEE_OTHER) };
    if !ok {
        r.push(format!("GET {path} as {}: {} (expected {})", v.name, a.status, if may { "200" } else { "404" }));
    }
    ok && may
}

#[tokio::test]
async fn no_output_ties_a_member_to_its_letter_for_anyone_without_the_right() {
    let w = world().await;
    assert!(w.cycles.iter().any(|c| c.members.len() >= 6), "the demo has a running cycle of 6-8 lettered members: {:?}", w.cycles);
    assert!(w.comparisons.iter().any(|c| c.rows.len() >= 8), "the demo has a survey comparison of about 10 units: {:?}", w.comparisons);
    let mut r = Report::default();
    for v in &w.viewers {
        // Exchange outputs.
        for c in &w.cycles {
            let units: Vec<&Unit> = c.members.iter().collect();
            let hidden: Vec<&Unit> = c.members.iter().filter(|m| !v.sees_member(c, m.unit_id)).collect();
            for path in ["/gwd".to_owned(), "/gwd?lang=en".to_owned(), format!("/gwd/{}", c.id), format!("/gwd/{}?lang=en", c.id)] {
                let a = r.get(&w, v, &path).await;
                if a.status != StatusCode::OK {
                    r.push(format!("GET {path} as {}: {} (a public page)", v.name, a.status));
                }
                check_ties(&mut r, v, &path, &a.text(), &units, &hidden);
            }
            let a = r.get(&w, v, "/api/v1/exchange/cycles").await;
            if let Some(label) = any_letter_label(&a.text()) {
                r.push(format!("GET /api/v1/exchange/cycles as {}: the public list has {label}", v.name));
            }
            let may = v.reads_cycle(c);
            let mut letters = vec![
                format!("/gwd/{}/arkusz", c.id),
                format!("/gwd/{}/arkusz?lang=en", c.id),
                format!("/gwd/{}/arkusz?rok={}", c.id, c.year),
                format!("/gwd/{}/arkusz?rok={}", c.id, c.year - 1),
                format!("/gwd/{}/arkusz.csv", c.id),
                format!("/gwd/{}/arkusz.csv?lang=en", c.id),
                format!("/gwd/{}/pytania", c.id),
                format!("/gwd/{}/pytania?lang=en", c.id),
                format!("/api/v1/exchange/cycles/{}/sheet", c.id),
            ];
            letters.extend(c.questions.iter().flat_map(|q| [format!("/gwd/{}/pytania/{q}", c.id), format!("/gwd/{}/pytania/{q}?lang=en", c.id)]));
            letters.extend(c.documents.iter().map(|d| format!("/gwd/{}/dokumenty/{d}", c.id)));
            if let Some(ind) = &c.indicator {
                letters.extend(c.members.iter().map(|m| format!("/gwd/{}/pytania/nowe?litera={}&wskaznik={ind}&rok={}", c.id, m.letter, c.year)));
            }
            for path in letters {
                let a = r.get(&w, v, &path).await;
                // The question form may refuse a reader who may not ask (403): still nothing shown.
                let form_refused = path.contains("/pytania/nowe") && a.status == StatusCode::FORBIDDEN;
                if !form_refused {
                    check_member_only(&mut r, v, &path, &a, may);
                }
                let text = a.text();
                check_letters(&mut r, v, &path, &text, &units, &hidden);
                check_ties(&mut r, v, &path, &text, &units, &hidden);
            }
        }

        // Survey outputs.
        let mut survey_paths = vec!["/badania".to_owned(), "/badania?lang=en".to_owned(), "/api/v1/surveys".to_owned()];
        survey_paths.extend(w.set_codes.iter().map(|s| format!("/badania/zestawy/{s}")));
        let all: Vec<&Unit> = w.comparisons.iter().flat_map(|c| c.rows.iter().map(|s| &s.unit)).collect();
        let hidden_anywhere: Vec<&Unit> = w.comparisons.iter().flat_map(|c| c.rows.iter().filter(|s| !v.sees_surveyed(s)).map(|s| &s.unit)).collect();
        for path in &survey_paths {
            let text = r.get(&w, v, path).await.text();
            check_letters(&mut r, v, path, &text, &all, &hidden_anywhere);
        }
        for c in &w.comparisons {
            let units: Vec<&Unit> = c.rows.iter().map(|s| &s.unit).collect();
            let hidden: Vec<&Unit> = c.rows.iter().filter(|s| !v.sees_surveyed(s)).map(|s| &s.unit).collect();
            let base = format!("/badania/porownanie/{}/{}", c.set_code, c.year);
            for path in [base.clone(), format!("{base}?lang=en"), format!("{base}.csv"), format!("/api/v1/surveys/{}/{}", c.set_code, c.year)] {
                let a = r.get(&w, v, &path).await;
                if a.status != StatusCode::OK {
                    r.push(format!("GET {path} as {}: {} (a public comparison)", v.name, a.status));
                }
                let text = a.text();
                check_letters(&mut r, v, &path, &text, &units, &hidden);
                check_ties(&mut r, v, &path, &text, &units, &hidden);
            }
            for s in &c.rows {
                let own = v.runs_surveys_of(s.unit.unit_id);
                for path in [format!("/jst/{}/badania", s.unit.code), format!("/jst/{}/badania/{}", s.unit.code, s.campaign_id)] {
                    let a = r.get(&w, v, &path).await;
                    let ok = if own {
                        a.status == StatusCode::OK
                    } else {
                        matches!(a.status, StatusCode::NOT_FOUND) || (v.user.is_none() && a.status == StatusCode::SEE_OTHER)
                    };
                    if !ok {
                        r.push(format!("GET {path} as {}: {} (expected {})", v.name, a.status, if own { "200" } else { "404" }));
                    }
                    if !own && let Some(label) = any_letter_label(&a.text()) {
                        r.push(format!("GET {path} as {}: a letter label ({label}) on a refused page", v.name));
                    }
                }
                // The public form names the surveyed service; it must not carry the letter.
                let path = format!("/badanie/{}", s.slug);
                let text = r.get(&w, v, &path).await.text();
                if !v.sees_surveyed(s) && letter_labels(&s.unit.letter).iter().take(9).any(|l| has_label(&text, l)) {
                    r.push(format!("GET {path} as {}: the public form shows the unit's letter {}", v.name, s.unit.letter));
                }
            }
        }

        // Elsewhere: outputs that name units carry no letter of a unit the viewer may not see.
        let mut named: Vec<(&Unit, bool)> = Vec::new(); // (unit, the viewer may see its letter)
        for c in &w.cycles {
            named.extend(c.members.iter().map(|m| (m, v.sees_member(c, m.unit_id))));
        }
        for c in &w.comparisons {
            named.extend(c.rows.iter().map(|s| (&s.unit, v.sees_surveyed(s))));
        }
        let codes: BTreeSet<&str> = named.iter().map(|(u, _)| u.code.as_str()).collect();
        let sees_all_of = |code: &str| named.iter().filter(|(u, _)| u.code == code).all(|(_, sees)| *sees);
        for code in &codes {
            for path in [
                format!("/jst/{code}"),
                format!("/jst/{code}?lang=en"),
                format!("/raport/{code}"),
                format!("/jst/{code}/plan"),
                format!("/jst/{code}/plan.json"),
                format!("/api/v1/units/{code}"),
                format!("/api/v1/units/{code}/peers"),
                format!("/api/v1/units/{code}/nearest"),
                format!("/api/v1/units/{code}/plan"),
            ] {
                let a = r.get(&w, v, &path).await;
                if !sees_all_of(code)
                    && let Some(label) = any_letter_label(&a.text())
                {
                    r.push(format!("GET {path} as {}: a letter label ({label}) on an output about the unit", v.name));
                }
            }
        }
        let list = codes.iter().copied().collect::<Vec<_>>().join(",");
        let hidden: Vec<&Unit> = named.iter().filter(|(_, sees)| !sees).map(|(u, _)| *u).collect();
        let units: Vec<&Unit> = named.iter().map(|(u, _)| *u).collect();
        for path in [
            "/".to_owned(),
            "/konto".to_owned(),
            "/dobre-praktyki".to_owned(),
            "/api/v1/practices".to_owned(),
            "/api/v1/changes?since=2000-01-01&limit=1000".to_owned(),
            format!("/api/v1/data?format=csv&indicators=area:edukacja&units={list}&years=last"),
            "/admin/audyt".to_owned(),
        ] {
            let a = r.get(&w, v, &path).await;
            if path == "/admin/audyt" && !v.admin() && a.status == StatusCode::OK {
                r.push(format!("GET {path} as {}: the audit log is for admins only", v.name));
            }
            let text = a.text();
            check_ties(&mut r, v, &path, &text, &units, &hidden);
            // A viewer who may see no lettered unit must meet no letter label at all (one who
            // may see some could be told its own unit's letter; the ties above cover the rest).
            if hidden.len() == named.len()
                && let Some(label) = any_letter_label(&text)
            {
                r.push(format!("GET {path} as {}: a letter label ({label})", v.name));
            }
        }
    }
    // 8 readers × (the exchange, survey and unit outputs): a floor against a silent shrink.
    r.finish("anonymity", 8 * 100);
}

#[tokio::test]
async fn each_member_sees_its_own_unit_named_and_the_others_as_letters_and_the_coordinator_all() {
    let w = world().await;
    let mut r = Report::default();
    let mut checked = 0;
    for c in w.cycles.iter().filter(|c| !c.members.is_empty()) {
        let units: Vec<&Unit> = c.members.iter().collect();
        for v in &w.viewers {
            if !v.reads_cycle(c) {
                continue;
            }
            let path = format!("/gwd/{}/arkusz", c.id);
            let a = r.get(&w, v, &path).await;
            if a.status != StatusCode::OK {
                r.push(format!("GET {path} as {}: {}", v.name, a.status));
                continue;
            }
            checked += 1;
            let text = a.text();
            for m in &c.members {
                let shown_named = names(&text, m, &units).is_some();
                if v.sees_member(c, m.unit_id) {
                    if !text.contains(&m.code) && !text.contains(&m.name) {
                        r.push(format!("GET {path} as {}: the unit {} ({}) the viewer may see is not named", v.name, m.name, m.code));
                    }
                } else {
                    if shown_named {
                        r.push(format!("GET {path} as {}: {} ({}) is named", v.name, m.name, m.code));
                    }
                    if !letter_labels(&m.letter).iter().any(|l| has_label(&text, l)) {
                        r.push(format!("GET {path} as {}: no row of letter {}", v.name, m.letter));
                    }
                }
            }
        }
    }
    // The demo's running cycle: its coordinator, the gmina's people, the neighbour, the admin.
    assert!(checked >= 5, "only {checked} sheets read");
    let coordinator = w.viewers.iter().find(|v| v.name == "demo-koordynator").unwrap();
    assert!(w.cycles.iter().any(|c| c.members.len() >= 6 && c.members.iter().all(|m| coordinator.sees_member(c, m.unit_id))));
    // The survey comparisons: a unit the viewer may see (its own, a consenting one, all for the
    // admin) named, every other one by its letter.
    for c in &w.comparisons {
        for v in &w.viewers {
            let path = format!("/badania/porownanie/{}/{}", c.set_code, c.year);
            let text = r.get(&w, v, &path).await.text();
            for s in &c.rows {
                // Named: by code or by name (a shared name counts here: this is the positive side).
                let shown_named = text.contains(&s.unit.code) || text.contains(&s.unit.name);
                if v.sees_surveyed(s) && !shown_named {
                    r.push(format!("GET {path} as {}: {} ({}) the viewer may see is not named", v.name, s.unit.name, s.unit.code));
                }
                if !v.sees_surveyed(s) && !letter_labels(&s.unit.letter).iter().any(|l| has_label(&text, l)) {
                    r.push(format!("GET {path} as {}: no row of letter {}", v.name, s.unit.letter));
                }
            }
        }
    }
    assert!(w.comparisons.iter().flat_map(|c| &c.rows).any(|s| s.named), "the demo has a unit that consented to be named");
    let neighbour = w.viewers.iter().find(|v| v.name == "demo-sasiad").unwrap();
    assert!(
        w.cycles.iter().any(|c| c.members.iter().filter(|m| neighbour.sees_member(c, m.unit_id)).count() == 1),
        "the neighbour is the approver of exactly one member"
    );
    r.finish("sheets", 5);
}

/// The checks themselves: a tie within a row is caught, the same unit and letter in different
/// rows is not, and "Uczestnik GWD" is not a letter.
#[test]
fn the_checks_catch_a_tie_and_only_a_tie() {
    let m = Unit { unit_id: 1, code: "0201022".into(), name: "Gromadka".into(), letter: "C".into() };
    let other = Unit { unit_id: 2, code: "0201011".into(), name: "Bolesławiec".into(), letter: "A".into() };
    let all = [&m, &other];
    let v = Viewer { name: "test".into(), cookie: String::new(), user: None };
    let mut r = Report::default();
    check_ties(&mut r, &v, "tied", "<table><tr><td>Uczestnik C</td><td>Gromadka</td></tr></table>", &all, &[&m]);
    check_ties(&mut r, &v, "tied-csv", "litera;jst\nC;0201022\n", &all, &[&m]);
    assert_eq!(r.failures.len(), 2, "{:?}", r.failures);
    r.failures.clear();
    // A CSV of letters names the unit's code: (a) sees it.
    check_letters(&mut r, &v, "letters", "C;12,5\nA;0201022", &all, &[&m]);
    assert_eq!(r.failures.len(), 1, "{:?}", r.failures);
    r.failures.clear();
    check_ties(&mut r, &v, "apart", "<ul><li>Gromadka</li></ul><table><tr><td>Uczestnik C</td></tr></table>", &all, &[&m]);
    assert!(r.failures.is_empty(), "{:?}", r.failures);
    assert_eq!(any_letter_label("Uczestnik GWD Oświata"), None);
    assert_eq!(any_letter_label("<td>Participant B</td>").as_deref(), Some("Participant B"));
    assert!(any_letter_label("{\"letter\":\"B\"}").is_some());
    assert!(has_label("<td>C</td>", ">C<") && !has_label("Uczestnik Cz", "Uczestnik C"));
}
