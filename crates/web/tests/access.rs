//! Who may do what: every mutating route × every role × own/other unit, with the expected
//! answer written down here from the contract's permission rules (not read back from the
//! code); the reading routes that show unpublished or personal data; 403 pages in Polish and
//! English; CSRF on every POST (nothing written without the token); session fixation and
//! logout; login throttling per account and per address; IDOR through the campaign id.
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
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

/// Unit A (the data-entry user's, the approver's, in the verifier's set), unit B (another
/// data-entry user's; outside the verifier's set) and C (in the verifier's set too).
const A: &str = "0201022";
const B: &str = "0201032";
const C: &str = "0201011";

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

[[indicator]]
code = "EDU_T2"
name_pl = "Oddziały na 100 uczniów"
name_en = "Classes per 100 pupils"
area = "edukacja"
service_pl = "Szkoły podstawowe"
kind = "monitoring"
dimension = "quality"
polarity = "higher_better"
factor = 100.0
numerator = "oddzialy_sp"
denominator = "uczniowie_sp"
unit_pl = "oddziały"
decimals = 1
applies_to = ["gmina_miejska", "gmina_wiejska", "gmina_miejsko_wiejska"]
definition_pl = "Oddziały / uczniowie × 100"
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
integer = true

[[field]]
variable = "oddzialy_sp"
label_pl = "Oddziały"
label_en = "Classes"
measure_unit = "szt."
required = true
min = 0
integer = true
"#;

const PASSWORD: &str = "hasło-testowe-123456";

/// The roles of the matrix, in the order of its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    EntryA,
    ApproverA,
    VerifierA,
    Analyst,
    Admin,
    EntryB,
    /// An exchange-group coordinator (Role::Coordinator, every unit, no unpublished data): the
    /// coordinator of the matrix's cycles.
    Coordinator,
}

const EVERYONE: [Who; 8] = [Who::Anonymous, Who::EntryA, Who::ApproverA, Who::VerifierA, Who::Analyst, Who::Admin, Who::EntryB, Who::Coordinator];

impl Who {
    fn login(self) -> Option<&'static str> {
        match self {
            Who::Anonymous => None,
            Who::EntryA => Some("wprowadza_a"),
            Who::ApproverA => Some("zatwierdza_a"),
            Who::VerifierA => Some("weryfikuje_a"),
            Who::Analyst => Some("analityk"),
            Who::Admin => Some("admin"),
            Who::EntryB => Some("wprowadza_b"),
            Who::Coordinator => Some("koordynuje"),
        }
    }
}

/// The expected answer of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exp {
    /// Done: 303 back to the page (post-redirect-get), and the change is in the database.
    Ok,
    /// Allowed to read: 200.
    Read,
    /// Signed in without the role: 403 with the Polish "no permission" page, nothing written.
    No,
    /// Not signed in: 303 to /logowanie?next=…, nothing written.
    Login,
    /// Signed in, may not even see the thing (a proposed good practice of a unit one has no
    /// say in): 404 as if absent, nothing written.
    Hidden,
}
use Exp::{Hidden, Login, No, Ok as Yes, Read};

/// A cookie jar of one client: the session cookie (when signed in) and the form token.
#[derive(Clone)]
struct Client {
    cookie: String,
    csrf: String,
}

struct World {
    router: axum::Router,
    store: app::Store,
    /// One client per role ([`EVERYONE`] order).
    clients: Vec<Client>,
    a: i64,
    b: i64,
    /// Unit C: a member of the matrix's exchange cycles besides A.
    c: i64,
    computed: Arc<app::Computed>,
    /// The coordinator's and the admin's user ids (the admin coordinates the "foreign" cycle).
    coordinator_id: i64,
    admin_id: i64,
}

impl World {
    fn client(&self, who: Who) -> &Client {
        &self.clients[EVERYONE.iter().position(|w| *w == who).unwrap()]
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
    for (unit, pupils, classes) in [(C, 1000, 40), (A, 1100, 44), (B, 1200, 48)] {
        obs.push_str(&format!("{unit},uczniowie_sp,2023,{pupils}\n{unit},oddzialy_sp,2023,{classes}\n"));
    }
    app::import_observations(&store, &file("o.csv", &obs), &app::ObsImportOptions::default(), &|_, _| {}).await.expect("observations");
    let actor = store.actor().clone();
    app::campaigns::add_form(&store, &actor, FORM, "szkoly.toml").await.expect("form");
    use app::accounts::Role;
    for (who, role, units) in [
        (Who::EntryA, Role::DataEntry, vec![A]),
        (Who::ApproverA, Role::Approver, vec![A]),
        (Who::VerifierA, Role::Verifier, vec![A, C]),
        (Who::Analyst, Role::Analyst, vec!["*"]),
        (Who::Admin, Role::Admin, vec!["*"]),
        (Who::EntryB, Role::DataEntry, vec![B]),
        (Who::Coordinator, Role::Coordinator, vec!["*"]),
    ] {
        let login = who.login().unwrap();
        app::accounts::add_user(&store, &actor, login, login, None).await.expect("user");
        let units: Vec<String> = units.into_iter().map(str::to_owned).collect();
        app::accounts::grant(&store, &actor, login, role, &units).await.expect("grant");
        app::accounts::set_password(&store, &actor, login, PASSWORD).await.expect("password");
    }
    let live = Arc::new(app::LiveSnapshot::new());
    live.refresh(&store).await.expect("snapshot");
    let computed = live.get().expect("a snapshot");
    let router = web::router_with(store.clone(), false, live);
    app::surveys::load_standard_sets(&store, &actor).await.expect("the standard survey sets");
    let user_id = |login: &str| {
        let store = store.clone();
        let login = login.to_owned();
        async move { app::accounts::list_users(&store).await.unwrap().into_iter().find(|u| u.login == login).unwrap().id }
    };
    let (coordinator_id, admin_id) = (user_id("koordynuje").await, user_id("admin").await);
    let unit = |code: &str| {
        let store = store.clone();
        let code = code.to_owned();
        async move { store.unit_id_for_code(&model::TerytCode::parse(&code).unwrap()).await.unwrap().unwrap() }
    };
    let (a, b, c) = (unit(A).await, unit(B).await, unit(C).await);
    let mut w = World { router, store, clients: Vec::new(), a, b, c, computed, coordinator_id, admin_id };
    for who in EVERYONE {
        let c = match who.login() {
            None => anonymous(&w).await,
            Some(login) => sign_in(&w, login, "127.0.0.1").await,
        };
        w.clients.push(c);
    }
    w
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

    /// The value a `Set-Cookie` of this answer gives `name`.
    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| k.trim() == name)
            .map(|(_, v)| v.to_owned())
    }
}

async fn send(router: &axum::Router, mut req: Request<Body>, from: &str) -> Answer {
    let addr: SocketAddr = format!("{from}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    let res = router.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.expect("body").to_bytes().to_vec();
    Answer { status, headers, body }
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

fn form_body(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect::<Vec<_>>().join("&")
}

/// A public reader with the login page's double-submit form token.
async fn anonymous(w: &World) -> Client {
    let page = send(&w.router, Request::get("/logowanie").body(Body::empty()).unwrap(), "127.0.0.1").await;
    assert_eq!(page.status, StatusCode::OK);
    let token = page.set_cookie("miernik_csrf").expect("the login page gives a form token");
    Client { cookie: format!("miernik_csrf={token}"), csrf: token }
}

async fn try_login(w: &World, login: &str, password: &str, from: &str, lang_en: bool) -> Answer {
    let anon = anonymous(w).await;
    let uri = if lang_en { "/logowanie?lang=en" } else { "/logowanie" };
    let req = Request::post(uri)
        .header(header::COOKIE, &anon.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form_body(&[("csrf", &anon.csrf), ("login", login), ("haslo", password)])))
        .unwrap();
    send(&w.router, req, from).await
}

/// Signs in through the login page; the session cookie and the session's form token (read
/// from the logout form of /konto).
async fn sign_in(w: &World, login: &str, from: &str) -> Client {
    let res = try_login(w, login, PASSWORD, from, false).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "login of {login}: {}", res.text());
    let token = res.set_cookie("miernik_sesja").expect("a session cookie");
    let cookie = format!("miernik_sesja={token}");
    let konto = send(&w.router, Request::get("/konto").header(header::COOKIE, &cookie).body(Body::empty()).unwrap(), from).await;
    assert_eq!(konto.status, StatusCode::OK);
    let html = konto.text();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("a csrf field on /konto").to_owned();
    Client { cookie, csrf }
}

async fn get(w: &World, c: &Client, uri: &str) -> Answer {
    send(&w.router, Request::get(uri).header(header::COOKIE, &c.cookie).body(Body::empty()).unwrap(), "127.0.0.1").await
}

/// A POST as `c`: `csrf` None sends the client's own token, Some(t) sends `t` ("" = none).
async fn post_form(w: &World, c: &Client, uri: &str, csrf: Option<&str>, fields: &[(&str, &str)]) -> Answer {
    let mut all: Vec<(&str, &str)> = Vec::new();
    match csrf {
        None => all.push(("csrf", &c.csrf)),
        Some("") => {}
        Some(t) => all.push(("csrf", t)),
    }
    all.extend_from_slice(fields);
    let req = Request::post(uri)
        .header(header::COOKIE, &c.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form_body(&all)))
        .unwrap();
    send(&w.router, req, "127.0.0.1").await
}

async fn post_multipart(w: &World, c: &Client, uri: &str, csrf: Option<&str>, fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> Answer {
    let boundary = "----miernik-granica-dostepu";
    let mut body = Vec::new();
    let mut all: Vec<(&str, &str)> = Vec::new();
    match csrf {
        None => all.push(("csrf", &c.csrf)),
        Some("") => {}
        Some(t) => all.push(("csrf", t)),
    }
    all.extend_from_slice(fields);
    for (k, v) in all {
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
    let req = Request::post(uri)
        .header(header::COOKIE, &c.cookie)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    send(&w.router, req, "127.0.0.1").await
}

/// A fresh campaign over A, B and C (each cell of the matrix gets its own, so that one
/// cell's change does not decide the next one's answer).
async fn campaign(w: &World, name: &str) -> i64 {
    let today = app::campaigns::today();
    let actor = w.store.actor().clone();
    app::campaigns::add_campaign(
        &w.store,
        &actor,
        app::campaigns::NewCampaign {
            form: app::campaigns::FormRef::Code("szkoly".into()),
            name: name.into(),
            year: 2024,
            deadline: today + time::Duration::days(30),
            publish_on: today + time::Duration::days(60),
            units: vec![A.into(), B.into(), C.into()],
        },
    )
    .await
    .expect("campaign")
    .id
}

/// Values without findings (last year's, so no change warning).
fn good_values(unit: &str) -> [(&'static str, &'static str); 2] {
    if unit == A { [("w.uczniowie_sp", "1100"), ("w.oddzialy_sp", "44")] } else { [("w.uczniowie_sp", "1200"), ("w.oddzialy_sp", "48")] }
}

/// Submits the unit's answer as the system (the state a verifier or approver acts on).
async fn submitted(w: &World, campaign: i64, unit_code: &str) {
    let unit = if unit_code == A { w.a } else { w.b };
    let entries: Vec<_> = good_values(unit_code).iter().map(|(k, v)| app::campaigns::entry_from_input(&k[2..], v, None)).collect();
    let actor = w.store.actor().clone();
    let out = app::campaigns::save(&w.store, &actor, campaign, unit, &entries, app::campaigns::Intent::Submit).await.expect("save");
    assert!(out.submitted, "the fixture's answer is submitted: {:?}", out.findings);
}

/// What a request could have written: the audit log's length, the campaigns, and the
/// unit's submission (state, who last touched it, values).
async fn written(w: &World, campaign: i64, unit: i64) -> (usize, usize, String) {
    let audit = w.store.audit(&Default::default(), 1_000_000).await.unwrap().len();
    let campaigns = w.store.campaigns().await.unwrap().len();
    let sub = match w.store.submission(campaign, unit).await.unwrap() {
        None => "none".to_owned(),
        Some(s) => format!("{:?} {} {} {:?}", s.state, s.updated_at, s.updated_by, w.store.submission_values(s.id).await.unwrap()),
    };
    (audit, campaigns, sub)
}

/// Every user with their roles, one string per user: `login [Role@unit, …]`.
async fn users(w: &World) -> Vec<String> {
    app::accounts::list_users(&w.store)
        .await
        .unwrap()
        .into_iter()
        .map(|u| {
            let grants: Vec<String> =
                u.grants.iter().map(|g| format!("{:?}@{}", g.role, g.unit_code.clone().unwrap_or_else(|| "*".into()))).collect();
            format!("{} [{}]{}", u.login, grants.join(", "), if u.disabled { " disabled" } else { "" })
        })
        .collect()
}

async fn state(w: &World, campaign: i64, unit: i64) -> Option<app::campaigns::SubmissionState> {
    w.store.submission(campaign, unit).await.unwrap().map(|s| s.state)
}

/// The routes that change something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Save,
    Submit,
    Withdraw,
    Upload,
    Approve,
    Return,
    NewCampaign,
    /// `/admin/uzytkownicy` with akcja=dodaj, organizacja, nadaj, odbierz, zaproszenie.
    UserAdd,
    OrgAdd,
    Grant,
    Revoke,
    Invite,
    // The closed cycle (issue 18): Action::Plan on the unit (approver or analyst, admin),
    // a practice's verification Action::Verify, a functional area's declaration Administer.
    Priority,
    PlanSave,
    ActionAdd,
    TargetSet,
    ReorgAdd,
    InstitutionAdd,
    PracticeAdd,
    PracticeVerify,
    AreaDeclare,
    // Exchange groups (issue 19), on a fresh cycle per cell coordinated by the coordinator,
    // with A and C accepted (B not a member) and the cell's campaign linked. Coordinate and
    // the cycle's own coordinator (or admin) for managing it; Plan on the unit for applying and
    // filing a plan; a member unit's role holder (or the coordinator) for documents, questions
    // and replies; EnterData on the questioned unit for a correction; the asking unit or the
    // coordinator to close. A reader who cannot see the cycle (no grant on an accepted member
    // unit itself, not its coordinator, not admin) gets 404 from the member-only and the
    // managing writes alike — the global analyst too: a grant on every unit is not the unit
    // itself (app::exchange::Viewer::of), so it sees letters and no member-only page.
    GwdNew,
    GwdApply,
    GwdDecide,
    /// A decision in a cycle coordinated by someone else (the admin): the coordinator is refused.
    GwdDecideForeign,
    GwdAddMember,
    GwdMeeting,
    GwdMeetingEdit,
    GwdDocument,
    GwdCampaign,
    GwdState,
    GwdPlan,
    GwdAsk,
    GwdReply,
    GwdCorrect,
    GwdClose,
    // Surveys (issue 19): RunSurvey on the unit (approver or analyst of it, admin); the
    // question sets Administer; the public form anyone, with its form token.
    SvSetNew,
    SvSetEdit,
    SvOpen,
    SvTokens,
    SvPaper,
    SvModerate,
    SvConsent,
    SvClose,
    SvAnswer,
}

impl Route {
    /// A route of issue 19: each of its cells first sends the request without the form token
    /// (refused, nothing written).
    fn issue19(self) -> bool {
        matches!(
            self,
            Route::GwdNew
                | Route::GwdApply
                | Route::GwdDecide
                | Route::GwdDecideForeign
                | Route::GwdAddMember
                | Route::GwdMeeting
                | Route::GwdMeetingEdit
                | Route::GwdDocument
                | Route::GwdCampaign
                | Route::GwdState
                | Route::GwdPlan
                | Route::GwdAsk
                | Route::GwdReply
                | Route::GwdCorrect
                | Route::GwdClose
                | Route::SvSetNew
                | Route::SvSetEdit
                | Route::SvOpen
                | Route::SvTokens
                | Route::SvPaper
                | Route::SvModerate
                | Route::SvConsent
                | Route::SvClose
                | Route::SvAnswer
        )
    }
}

/// The matrix: per route and unit, the answer for each role in [`EVERYONE`] order
/// (anonymous, data entry A, approver A, verifier of A's set, analyst, admin, data entry B).
/// From the contract: EnterData (save, submit, upload) = data entry or approver of the unit,
/// admin; Withdraw = approver of the unit, admin; Verify (approve, return) = verifier of
/// the unit, admin; Administer (a new campaign, users, organisations, roles, invitations) =
/// admin; analysts only read. The coordinator (last column) holds Coordinate everywhere and
/// nothing else: no unpublished data, no plans, no surveys.
#[rustfmt::skip]
const MATRIX: &[(Route, &str, [Exp; 8])] = &[
    //                          anon   entryA approvA verifA analyst admin entryB
    (Route::Save,        A,   [Login, Yes,   Yes,    No,    No,     Yes,  No , No ]),
    (Route::Save,        B,   [Login, No,    No,     No,    No,     Yes,  Yes, No ]),
    (Route::Submit,      A,   [Login, Yes,   Yes,    No,    No,     Yes,  No , No ]),
    (Route::Submit,      B,   [Login, No,    No,     No,    No,     Yes,  Yes, No ]),
    (Route::Upload,      A,   [Login, Yes,   Yes,    No,    No,     Yes,  No , No ]),
    (Route::Upload,      B,   [Login, No,    No,     No,    No,     Yes,  Yes, No ]),
    (Route::Withdraw,    A,   [Login, No,    Yes,    No,    No,     Yes,  No , No ]),
    (Route::Withdraw,    B,   [Login, No,    No,     No,    No,     Yes,  No , No ]),
    (Route::Approve,     A,   [Login, No,    No,     Yes,   No,     Yes,  No , No ]),
    (Route::Approve,     B,   [Login, No,    No,     No,    No,     Yes,  No , No ]),
    (Route::Return,      A,   [Login, No,    No,     Yes,   No,     Yes,  No , No ]),
    (Route::Return,      B,   [Login, No,    No,     No,    No,     Yes,  No , No ]),
    (Route::NewCampaign, "",  [Login, No,    No,     No,    No,     Yes,  No , No ]),
    (Route::UserAdd,     "",  [Login, No,    No,     No,    No,     Yes,  No , No ]),
    (Route::OrgAdd,      "",  [Login, No,    No,     No,    No,     Yes,  No , No ]),
    (Route::Grant,       "",  [Login, No,    No,     No,    No,     Yes,  No , No ]),
    (Route::Revoke,      "",  [Login, No,    No,     No,    No,     Yes,  No , No ]),
    (Route::Invite,      "",  [Login, No,    No,     No,    No,     Yes,  No , No ]),
    (Route::Priority,    A,   [Login, No,    Yes,    No,    Yes,    Yes,  No , No ]),
    (Route::Priority,    B,   [Login, No,    No,     No,    Yes,    Yes,  No , No ]),
    (Route::PlanSave,    A,   [Login, No,    Yes,    No,    Yes,    Yes,  No , No ]),
    (Route::PlanSave,    B,   [Login, No,    No,     No,    Yes,    Yes,  No , No ]),
    (Route::ActionAdd,   A,   [Login, No,    Yes,    No,    Yes,    Yes,  No , No ]),
    (Route::ActionAdd,   B,   [Login, No,    No,     No,    Yes,    Yes,  No , No ]),
    (Route::TargetSet,   A,   [Login, No,    Yes,    No,    Yes,    Yes,  No , No ]),
    (Route::TargetSet,   B,   [Login, No,    No,     No,    Yes,    Yes,  No , No ]),
    (Route::ReorgAdd,    A,   [Login, No,    Yes,    No,    Yes,    Yes,  No , No ]),
    (Route::ReorgAdd,    B,   [Login, No,    No,     No,    Yes,    Yes,  No , No ]),
    (Route::InstitutionAdd, A, [Login, No,   Yes,    No,    Yes,    Yes,  No , No ]),
    (Route::InstitutionAdd, B, [Login, No,   No,     No,    Yes,    Yes,  No , No ]),
    (Route::PracticeAdd, A,   [Login, No,    Yes,    No,    Yes,    Yes,  No , No ]),
    (Route::PracticeAdd, B,   [Login, No,    No,     No,    Yes,    Yes,  No , No ]),
    (Route::PracticeVerify, A, [Login, Hidden, No,   Yes,   No,     Yes,  Hidden, Hidden ]),
    (Route::PracticeVerify, B, [Login, Hidden, Hidden, Hidden, No,  Yes,  Hidden, Hidden ]),
    (Route::AreaDeclare, "",  [Login, No,    No,     No,    No,     Yes,  No , No ]),
    //                          anon   entryA approvA verifA analyst admin entryB coord
    (Route::GwdNew, "",       [Login, No,     No,      No,     No,      Yes,   No,     Yes]),
    (Route::GwdApply, A,      [Login, No,     Yes,     No,     Yes,     Yes,   No,     No]),
    (Route::GwdApply, B,      [Login, No,     No,      No,     Yes,     Yes,   No,     No]),
    (Route::GwdDecide, B,     [Login, No,     No,      No,     Hidden,  Yes,   Hidden, Yes]),
    (Route::GwdDecideForeign, B,[Login, No,     No,      No,     Hidden,  Yes,   Hidden, Hidden]),
    (Route::GwdAddMember, B,  [Login, No,     No,      No,     Hidden,  Yes,   Hidden, Yes]),
    (Route::GwdMeeting, "",   [Login, No,     No,      No,     Hidden,  Yes,   Hidden, Yes]),
    (Route::GwdMeetingEdit, "",[Login, No,     No,      No,     Hidden,  Yes,   Hidden, Yes]),
    (Route::GwdDocument, "",  [Login, Yes,    Yes,     Yes,    Hidden,  Yes,   Hidden, Yes]),
    (Route::GwdCampaign, "",  [Login, No,     No,      No,     Hidden,  Yes,   Hidden, Yes]),
    (Route::GwdState, "",     [Login, No,     No,      No,     Hidden,  Yes,   Hidden, Yes]),
    (Route::GwdPlan, A,       [Login, No,     Yes,     No,     Yes,     Yes,   No,     No]),
    (Route::GwdAsk, "",       [Login, Yes,    Yes,     Yes,    Hidden,  Yes,   Hidden, Yes]),
    (Route::GwdReply, A,      [Login, Yes,    Yes,     Yes,    Hidden,  Yes,   Hidden, Yes]),
    (Route::GwdCorrect, A,    [Login, Yes,    Yes,     No,     Hidden,  Yes,   Hidden, No]),
    (Route::GwdClose, A,      [Login, No,     No,      Yes,    Hidden,  Yes,   Hidden, Yes]),
    (Route::SvSetNew, "",     [Login, No,     No,      No,     No,      Yes,   No,     No]),
    (Route::SvSetEdit, "",    [Login, No,     No,      No,     No,      Yes,   No,     No]),
    (Route::SvOpen, A,        [Login, No,     Yes,     No,     Yes,     Yes,   No,     No]),
    (Route::SvOpen, B,        [Login, No,     No,      No,     Yes,     Yes,   No,     No]),
    (Route::SvTokens, A,      [Login, No,     Yes,     No,     Yes,     Yes,   No,     No]),
    (Route::SvTokens, B,      [Login, No,     No,      No,     Yes,     Yes,   No,     No]),
    (Route::SvPaper, A,       [Login, No,     Yes,     No,     Yes,     Yes,   No,     No]),
    (Route::SvPaper, B,       [Login, No,     No,      No,     Yes,     Yes,   No,     No]),
    (Route::SvModerate, A,    [Login, No,     Yes,     No,     Yes,     Yes,   No,     No]),
    (Route::SvModerate, B,    [Login, No,     No,      No,     Yes,     Yes,   No,     No]),
    (Route::SvConsent, A,     [Login, No,     Yes,     No,     Yes,     Yes,   No,     No]),
    (Route::SvConsent, B,     [Login, No,     No,      No,     Yes,     Yes,   No,     No]),
    (Route::SvClose, A,       [Login, No,     Yes,     No,     Yes,     Yes,   No,     No]),
    (Route::SvClose, B,       [Login, No,     No,      No,     Yes,     Yes,   No,     No]),
    (Route::SvAnswer, A,      [Yes,   Yes,    Yes,     Yes,    Yes,     Yes,   Yes,    Yes]),
];

/// An XLSX answer for the unit with good values: the app's own template with them filled in.
async fn xlsx_for(w: &World, campaign: i64, unit_code: &str) -> Vec<u8> {
    let unit = if unit_code == A { w.a } else { w.b };
    let mut view = app::campaigns::entry_view(&w.store, campaign, unit).await.expect("view");
    view.entries = good_values(unit_code).iter().map(|(k, v)| app::campaigns::entry_from_input(&k[2..], v, None)).collect();
    app::form_xlsx::template(&view).expect("template")
}

/// Runs one cell; a description of what went wrong, if anything.
async fn cell(w: &World, route: Route, unit_code: &str, who: Who, exp: Exp, n: usize) -> Option<String> {
    let c = w.client(who).clone();
    let cid = campaign(w, &format!("Macierz {n}")).await;
    let unit = if unit_code == B { w.b } else { w.a };
    let code = if unit_code.is_empty() { A } else { unit_code };
    if matches!(route, Route::Withdraw | Route::Approve | Route::Return) {
        submitted(w, cid, code).await;
    }
    let xlsx = if route == Route::Upload { xlsx_for(w, cid, code).await } else { Vec::new() };
    // The user the administration forms act on (its own per cell), with a role to revoke.
    let target = format!("cel{n}");
    if matches!(route, Route::Grant | Route::Revoke | Route::Invite) {
        let actor = w.store.actor().clone();
        app::accounts::add_user(&w.store, &actor, &target, "Cel", None).await.unwrap();
        if route == Route::Revoke {
            app::accounts::grant(&w.store, &actor, &target, app::accounts::Role::DataEntry, &[B.to_owned()]).await.unwrap();
        }
    }
    let cycle = cycle_fixture(w, route, code, unit, n).await;
    let ex = ex_fixture(w, route, code, unit, n, cid).await;
    let ex_before = ex_state(w, &ex).await;
    let actions_before = actions(w).await;
    let users_before = users(w).await;
    let entry = format!("/ankiety/{cid}/jst/{code}");
    let before = written(w, cid, unit).await;
    let vals = good_values(code);
    let res = match route {
        Route::Save => post_form(w, &c, &entry, None, &[("akcja", "zapisz"), vals[0], vals[1]]).await,
        Route::Submit => post_form(w, &c, &entry, None, &[("akcja", "wyslij"), vals[0], vals[1]]).await,
        Route::Withdraw => post_form(w, &c, &entry, None, &[("akcja", "wycofaj")]).await,
        Route::Approve => post_form(w, &c, &format!("{entry}/weryfikacja"), None, &[("akcja", "zatwierdz")]).await,
        Route::Return => {
            post_form(w, &c, &format!("{entry}/weryfikacja"), None, &[("akcja", "zwroc"), ("komentarz", "Popraw liczbę oddziałów")]).await
        }
        Route::Upload => post_multipart(w, &c, &format!("{entry}/plik"), None, &[], Some(("plik", "ankieta.xlsx", &xlsx))).await,
        Route::NewCampaign => {
            let today = app::campaigns::today();
            let (d, p) = ((today + time::Duration::days(10)).to_string(), (today + time::Duration::days(20)).to_string());
            post_multipart(
                w,
                &c,
                "/admin/ankiety/nowa",
                None,
                &[("nazwa", &format!("Nowa {n}")), ("rok", "2024"), ("termin", &d), ("publikacja", &p), ("jednostki", A), ("formularz", "szkoly")],
                None,
            )
            .await
        }
        Route::UserAdd => {
            post_form(w, &c, "/admin/uzytkownicy", None, &[("akcja", "dodaj"), ("login", &format!("nowy{n}")), ("nazwa", "Nowa Osoba")]).await
        }
        Route::OrgAdd => {
            post_form(w, &c, "/admin/uzytkownicy", None, &[("akcja", "organizacja"), ("nazwa", &format!("Związek {n}")), ("rodzaj", "association")])
                .await
        }
        Route::Grant => {
            post_form(w, &c, "/admin/uzytkownicy", None, &[("akcja", "nadaj"), ("login", &target), ("rola", "verifier"), ("jednostki", B)]).await
        }
        Route::Revoke => {
            post_form(w, &c, "/admin/uzytkownicy", None, &[("akcja", "odbierz"), ("login", &target), ("rola", "data_entry"), ("jednostki", B)]).await
        }
        Route::Invite => post_form(w, &c, "/admin/uzytkownicy", None, &[("akcja", "zaproszenie"), ("login", &target), ("dni", "3")]).await,
        Route::Priority => {
            post_form(
                w,
                &c,
                &format!("/jst/{code}/priorytety"),
                None,
                &[("wskaznik", "EDU_T2"), ("rok", "2023"), ("grupa", "kraj"), ("notatka", "Macierz")],
            )
            .await
        }
        Route::PlanSave => {
            post_form(w, &c, &format!("/jst/{code}/plan"), None, &[("tytul", &format!("Plan {n}")), ("opis", "Macierz"), ("grupa", "kraj")]).await
        }
        Route::ActionAdd => {
            post_form(
                w,
                &c,
                &format!("/jst/{code}/plan/dzialania"),
                None,
                &[("tytul", &format!("Działanie {n}")), ("od", "2024"), ("do", "2026"), ("status", "planned")],
            )
            .await
        }
        Route::TargetSet => {
            let uri = format!("/jst/{code}/plan/dzialania/{}/cel", cycle.unwrap_or_default());
            post_form(
                w,
                &c,
                &uri,
                None,
                &[("wskaznik", "EDU_T2"), ("grupa", "kraj"), ("rok", "2026"), ("metoda", "manual"), ("wartosc", &format!("{}", 4 + n % 3))],
            )
            .await
        }
        Route::ReorgAdd => {
            let fields = [("jst", code), ("rodzaj", "cuw"), ("tytul", "CUW szkół"), ("poczatek", "2022-01-01"), ("wskazniki", "EDU_T2")];
            post_form(w, &c, "/reorganizacje/nowa", None, &fields).await
        }
        Route::InstitutionAdd => {
            post_form(w, &c, &format!("/jst/{code}/instytucje"), None, &[("rodzaj", "szkola"), ("nazwa", &format!("Szkoła Podstawowa nr {n}"))]).await
        }
        Route::PracticeAdd => {
            let fields = [("tytul", "Wspólne dowozy"), ("jst", code), ("opis", "Opis praktyki"), ("rok", "2022"), ("wskazniki", "EDU_T2")];
            post_form(w, &c, "/dobre-praktyki/nowa", None, &fields).await
        }
        Route::PracticeVerify => {
            let uri = format!("/dobre-praktyki/{}/weryfikacja", cycle.unwrap_or_default());
            post_form(w, &c, &uri, None, &[("status", "verified"), ("uwaga", "Sprawdzone")]).await
        }
        Route::AreaDeclare => {
            post_form(w, &c, "/admin/obszary-funkcjonalne", None, &[("grupa", &format!("obszar{n}")), ("lider", A), ("opis", "Macierz")]).await
        }
        _ => {
            // The form token first: without it, refused before any other check, nothing written.
            let forged = ex_request(w, &c, who, route, code, n, cid, &ex, Some("")).await;
            if forged.status != StatusCode::FORBIDDEN {
                return Some(format!("{route:?} on {code} as {who:?} without the form token: {} (expected 403)", forged.status));
            }
            if written(w, cid, unit).await != before || ex_state(w, &ex).await != ex_before {
                return Some(format!("{route:?} on {code} as {who:?} without the form token: something was written"));
            }
            ex_request(w, &c, who, route, code, n, cid, &ex, None).await
        }
    };
    let after = written(w, cid, unit).await;
    let users_after = users(w).await;
    let label = format!("{route:?} on {} as {who:?}: expected {exp:?}, got {}", if unit_code.is_empty() { "-" } else { unit_code }, res.status);
    let loc = res.location();
    match exp {
        Exp::Ok => {
            // The administration page answers its forms with the page itself (200 and a note);
            // every other form redirects back (303).
            // So do the survey's new links (shown once) and the public form's thanks.
            let admin_form =
                matches!(route, Route::UserAdd | Route::OrgAdd | Route::Grant | Route::Revoke | Route::Invite | Route::SvTokens | Route::SvAnswer);
            let status_ok = if admin_form {
                res.status == StatusCode::OK || (res.status == StatusCode::SEE_OTHER && !loc.starts_with("/logowanie"))
            } else {
                res.status == StatusCode::SEE_OTHER && !loc.starts_with("/logowanie")
            };
            if !status_ok {
                return Some(format!("{label} (location {loc:?}) {}", snippet(&res.text())));
            }
            let st = state(w, cid, unit).await;
            use app::campaigns::SubmissionState as S;
            let done = match route {
                Route::Save | Route::Upload => st.is_some() && after.2 != before.2,
                Route::Submit => st == Some(S::Submitted),
                Route::Withdraw => st.is_some() && st != Some(S::Submitted),
                Route::Approve => st == Some(S::Approved),
                Route::Return => st == Some(S::Returned),
                Route::NewCampaign => after.1 == before.1 + 1,
                Route::UserAdd => users_after.contains(&format!("nowy{n} []")),
                Route::OrgAdd => after.0 > before.0,
                Route::Grant => users_after.contains(&format!("{target} [Verifier@{B}]")),
                Route::Revoke => users_after.contains(&format!("{target} []")),
                Route::Invite => after.0 > before.0 && res.text().contains("/zaproszenie/"),
                // The cycle's writes: each leaves its own audit row, checked below.
                Route::Priority
                | Route::PlanSave
                | Route::ActionAdd
                | Route::TargetSet
                | Route::ReorgAdd
                | Route::InstitutionAdd
                | Route::PracticeAdd
                | Route::PracticeVerify
                | Route::AreaDeclare => cycle_done(w, route, unit, cycle).await,
                _ => match ex_done(w, route, unit, cid, &ex, &actions_before).await {
                    Ok(()) => true,
                    Err(why) => return Some(format!("{label}: answered {} but {why}", res.status)),
                },
            };
            if !done {
                return Some(format!("{label}: answered {} but the change is not in the database (state {st:?})", res.status));
            }
            if route == Route::SvAnswer {
                // A respondent's answer leaves no audit row (time and address would unmask them).
                if after.0 != before.0 {
                    return Some(format!("{label}: a respondent's answer wrote an audit row"));
                }
            } else if after.0 <= before.0 {
                return Some(format!("{label}: the change wrote no audit row"));
            }
        }
        Exp::No | Exp::Login | Exp::Hidden => {
            let status_ok = match exp {
                Exp::No => res.status == StatusCode::FORBIDDEN,
                Exp::Hidden => res.status == StatusCode::NOT_FOUND,
                _ => res.status == StatusCode::SEE_OTHER && loc.starts_with("/logowanie?next="),
            };
            if !status_ok {
                return Some(format!("{label} (location {loc:?}) {}", snippet(&res.text())));
            }
            if exp == Exp::No && !res.text().contains("Brak uprawnień") {
                return Some(format!("{label}: the 403 page does not say „Brak uprawnień” {}", snippet(&res.text())));
            }
            if after != before || users_after != users_before || ex_state(w, &ex).await != ex_before {
                return Some(format!("{label}: refused, but something was written: {before:?} -> {after:?}"));
            }
        }
        Exp::Read => unreachable!("no reading cell among the POSTs"),
    }
    None
}

/// What a cycle cell needs in place before its request: no live priority of EDU_T2 (so an
/// allowed add is not a duplicate), a plan, an action (its id), a proposed practice (its
/// id), a saved group not yet declared. Made by the operator, outside the audit count.
async fn cycle_fixture(w: &World, route: Route, code: &str, unit: i64, n: usize) -> Option<i64> {
    let actor = w.store.actor().clone();
    let owner = app::plans::Owner::Unit(unit);
    match route {
        Route::Priority => {
            for p in w.store.priorities(owner).await.unwrap() {
                w.store.remove_priority(p.id, &actor).await.unwrap();
            }
            None
        }
        Route::ActionAdd | Route::TargetSet => {
            let plan = w.store.save_plan(owner, &plan_fields(), &actor).await.unwrap();
            let action = app::plans::ActionFields {
                priority_id: None,
                title: format!("Działanie {n}"),
                description: None,
                owner: None,
                budget: None,
                start_year: 2024,
                end_year: 2026,
                status: "planned".into(),
            };
            Some(w.store.add_action(plan, &action, &actor).await.unwrap())
        }
        Route::PracticeVerify => {
            let f = app::practices::PracticeFields {
                unit_id: unit,
                title: format!("Praktyka {n}"),
                description: "Opis".into(),
                contact: None,
                links: Vec::new(),
                start_year: Some(2022),
                indicators: vec!["EDU_T2".into()],
            };
            Some(w.store.add_practice(&f, &actor).await.unwrap())
        }
        Route::AreaDeclare => {
            app::save_custom_group(&w.store, &format!("obszar{n}"), "Obszar", None, &[A.to_owned(), code.to_owned(), C.to_owned()]).await.unwrap();
            None
        }
        _ => None,
    }
}

/// What an issue-19 cell needs in place: a cycle (its id; its meeting, or the question on A's
/// value asked by C), or a survey campaign of the cell's unit (its slug, a pending comment),
/// and the count the done-check compares with.
#[derive(Debug, Default)]
struct Ex {
    cycle: i64,
    meeting: i64,
    question: i64,
    /// C's letter in the cycle (the asked-about cell).
    letter_c: String,
    survey: i64,
    slug: String,
    comment: i64,
    count: usize,
}

/// The standard question set of parents about a school, as its TOML file says it.
fn school_set_toml() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue/surveys/szkola.toml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn ex_fixture(w: &World, route: Route, code: &str, unit: i64, n: usize, cid: i64) -> Ex {
    if !route.issue19() {
        return Ex::default();
    }
    let actor = w.store.actor().clone();
    let today = app::campaigns::today();
    let mut ex = Ex::default();
    use Route as R;
    match route {
        R::SvSetNew | R::SvSetEdit => {}
        R::SvOpen => ex.count = app::surveys::campaigns_of_unit(&w.store, unit).await.unwrap().len(),
        R::SvTokens | R::SvPaper | R::SvModerate | R::SvConsent | R::SvClose | R::SvAnswer => {
            let f = app::surveys::CampaignFields {
                set_code: "szkola".into(),
                unit_id: unit,
                service: format!("Szkoła Podstawowa nr {n}"),
                year: 2024,
                mode: app::surveys::Mode::Open,
                tokens: 0,
                min_answers: 10,
                opens_on: today,
                closes_on: today + time::Duration::days(30),
                named: false,
            };
            let (id, _) = app::surveys::open_campaign(&w.store, &f, &actor).await.expect("a survey campaign");
            ex.survey = id;
            ex.slug = app::surveys::campaign(&w.store, id).await.unwrap().unwrap().slug;
            if route == R::SvModerate {
                let set = survey_questions(w, id).await;
                let answers: Vec<(String, app::surveys::Answer)> = set.iter().map(|q| (q.clone(), app::surveys::Answer::Score(4))).collect();
                app::surveys::answer(&w.store, &ex.slug, None, &answers, Some("Bardzo dobra szkoła"), today).await.expect("an answer with a remark");
                ex.comment = app::surveys::comments(&w.store, id, Some("pending")).await.unwrap().first().expect("a pending remark").id;
            }
        }
        R::GwdNew => ex.count = app::exchange::cycles(&w.store).await.unwrap().len(),
        _ => {
            let coordinator = if route == R::GwdDecideForeign { w.admin_id } else { w.coordinator_id };
            let fields = app::exchange::CycleFields { name: format!("GWD macierz {n}"), sector: "edukacja".into(), year: 2023, description: None };
            let id = app::exchange::open_cycle(&w.store, &w.computed, &fields, coordinator, &actor).await.expect("a cycle");
            ex.cycle = id;
            let members: &[&str] = if route == R::GwdApply { &[C] } else { &[A, C] };
            for m in members {
                app::exchange::add_unit_member(&w.store, id, m, &actor).await.expect("a member");
            }
            if route != R::GwdCampaign {
                app::exchange::link_campaign(&w.store, id, cid, &actor).await.expect("the cycle's campaign");
            }
            let view = app::exchange::cycle(&w.store, id).await.unwrap().unwrap();
            ex.letter_c = view.member(w.c).and_then(|m| m.letter.clone()).expect("C's letter");
            match route {
                R::GwdDecide | R::GwdDecideForeign => app::exchange::apply(&w.store, id, w.b, Some("Zgłoszenie"), &actor).await.expect("B applies"),
                R::GwdMeetingEdit => {
                    let f = app::exchange::MeetingFields {
                        held_on: today,
                        host_unit_id: Some(w.a),
                        place: Some("Sala sesyjna".into()),
                        agenda: Some("Arkusz".into()),
                    };
                    ex.meeting = app::exchange::add_meeting(&w.store, id, &f, &actor).await.expect("a meeting");
                }
                R::GwdPlan => {
                    w.store.save_plan(app::plans::Owner::Unit(unit), &plan_fields(), &actor).await.unwrap();
                }
                R::GwdReply | R::GwdCorrect | R::GwdClose => {
                    ex.question = app::exchange::ask(&w.store, id, w.a, "EDU_T2", 2023, Some(3.7), "Skąd ta wartość?", Some(w.c), w.admin_id, &actor)
                        .await
                        .expect("a question on A's value");
                }
                _ => {}
            }
            let _ = code;
        }
    }
    ex
}

/// The question codes of a survey campaign's set.
async fn survey_questions(w: &World, campaign: i64) -> Vec<String> {
    let c = app::surveys::campaign(&w.store, campaign).await.unwrap().unwrap();
    c.set.questions.iter().map(|q| q.code.clone()).collect()
}

/// Everything an issue-19 request could change, as text: the cycles, the fixture cycle's
/// meetings, documents and questions, the fixture campaign, its results and remarks.
async fn ex_state(w: &World, ex: &Ex) -> String {
    let mut out = format!("{:?}", app::exchange::cycles(&w.store).await.unwrap());
    if ex.cycle != 0 {
        out.push_str(&format!(
            "{:?}{:?}{:?}",
            app::exchange::meetings(&w.store, ex.cycle).await.unwrap(),
            app::exchange::documents(&w.store, ex.cycle).await.unwrap(),
            app::exchange::questions(&w.store, ex.cycle).await.unwrap()
        ));
    }
    out.push_str(&format!("{}", app::surveys::sets(&w.store).await.unwrap().len()));
    for unit in [w.a, w.b] {
        out.push_str(&format!(" {}", app::surveys::campaigns_of_unit(&w.store, unit).await.unwrap().len()));
    }
    if ex.survey != 0 {
        let c = app::surveys::campaign(&w.store, ex.survey).await.unwrap().unwrap();
        let r = app::surveys::results(&w.store, ex.survey).await.unwrap();
        let comments: Vec<String> = app::surveys::comments(&w.store, ex.survey, None).await.unwrap().iter().map(|c| c.state.clone()).collect();
        out.push_str(&format!(" {} {} {} {comments:?}", c.named, c.open, r.n_responses));
    }
    out
}

/// The audit log's actions, oldest first.
async fn actions(w: &World) -> Vec<String> {
    w.store.audit(&Default::default(), 1_000_000).await.unwrap().into_iter().map(|r| r.action).collect()
}

/// One issue-19 request as `c`; `csrf` as in [`post_form`].
#[allow(clippy::too_many_arguments)]
async fn ex_request(w: &World, c: &Client, who: Who, route: Route, code: &str, n: usize, cid: i64, ex: &Ex, csrf: Option<&str>) -> Answer {
    let g = format!("/gwd/{}", ex.cycle);
    let s = format!("/jst/{code}/badania/{}", ex.survey);
    let today = app::campaigns::today();
    use Route as R;
    match route {
        R::GwdNew => {
            let fields = [("nazwa", format!("GWD nowa {n}")), ("sektor", "edukacja".into()), ("rok", "2023".into()), ("opis", "Macierz".into())];
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(w, c, "/gwd/nowy", csrf, &fields).await
        }
        R::GwdApply => post_form(w, c, &format!("{g}/zgloszenie"), csrf, &[("jst", code), ("uwagi", "Zespół trzech osób")]).await,
        R::GwdDecide | R::GwdDecideForeign => post_form(w, c, &format!("{g}/czlonkowie/{code}"), csrf, &[("decyzja", "accept")]).await,
        R::GwdAddMember => post_form(w, c, &format!("{g}/czlonkowie"), csrf, &[("jst", code)]).await,
        R::GwdMeeting => {
            let day = (today + time::Duration::days(14)).to_string();
            post_form(w, c, &format!("{g}/spotkania"), csrf, &[("data", &day), ("miejsce", "Sala"), ("program", "Arkusz")]).await
        }
        R::GwdMeetingEdit => {
            let day = today.to_string();
            let notes = format!("Notatki {n}");
            post_form(
                w,
                c,
                &format!("{g}/spotkania/{}", ex.meeting),
                csrf,
                &[("data", &day), ("miejsce", "Sala"), ("program", "Arkusz"), ("notatki", &notes)],
            )
            .await
        }
        R::GwdDocument => {
            post_multipart(
                w,
                c,
                &format!("{g}/dokumenty"),
                csrf,
                &[("tytul", "Notatka")],
                Some(("plik", "notatka.txt", "Notatka ze spotkania".as_bytes())),
            )
            .await
        }
        R::GwdCampaign => post_form(w, c, &format!("{g}/ankieta"), csrf, &[("kampania", &cid.to_string())]).await,
        R::GwdState => post_form(w, c, &format!("{g}/stan"), csrf, &[("stan", "running")]).await,
        R::GwdPlan => post_form(w, c, &format!("{g}/plan"), csrf, &[("jst", code)]).await,
        R::GwdAsk => {
            // About C's value, on behalf of A by A's people (one with roles on both chooses); the
            // coordinator and the admin ask as the coordinator.
            let a = w.a.to_string();
            let mut fields = vec![("litera", ex.letter_c.as_str()), ("wskaznik", "EDU_T2"), ("rok", "2023"), ("tresc", "Skąd ta wartość?")];
            if matches!(who, Who::EntryA | Who::ApproverA | Who::VerifierA) {
                fields.push(("jako", &a));
            }
            post_form(w, c, &format!("{g}/pytania"), csrf, &fields).await
        }
        R::GwdReply => post_form(w, c, &format!("{g}/pytania/{}", ex.question), csrf, &[("tresc", &format!("Odpowiedź {n}"))]).await,
        R::GwdCorrect => post_form(w, c, &format!("{g}/pytania/{}/korekta", ex.question), csrf, &[]).await,
        R::GwdClose => post_form(w, c, &format!("{g}/pytania/{}/zamknij", ex.question), csrf, &[("notatka", "Wyjaśnione")]).await,
        R::SvSetNew => {
            let toml = school_set_toml().replacen("code = \"szkola\"", &format!("code = \"nowy{n}\""), 1);
            post_form(w, c, "/badania/zestawy", csrf, &[("toml", &toml)]).await
        }
        R::SvSetEdit => post_form(w, c, "/badania/zestawy/szkola", csrf, &[("toml", &school_set_toml())]).await,
        R::SvOpen => {
            let (from, to) = (today.to_string(), (today + time::Duration::days(30)).to_string());
            let fields = [
                ("zestaw", "szkola"),
                ("usluga", "Szkoła Podstawowa nr 2"),
                ("rok", "2024"),
                ("tryb", "otwarty"),
                ("minimum", "30"),
                ("od", &from),
                ("do", &to),
            ];
            post_form(w, c, &format!("/jst/{code}/badania"), csrf, &fields).await
        }
        R::SvTokens => post_form(w, c, &format!("{s}/tokeny"), csrf, &[("liczba", "3")]).await,
        R::SvPaper => {
            let questions = survey_questions(w, ex.survey).await;
            let csv = format!("{}\n{}\n{}\n", questions.join(";"), vec!["4"; questions.len()].join(";"), vec!["nie wiem"; questions.len()].join(";"));
            post_multipart(w, c, &format!("{s}/papier"), csrf, &[], Some(("plik", "papier.csv", csv.as_bytes()))).await
        }
        R::SvModerate => post_form(w, c, &format!("{s}/komentarze/{}", ex.comment), csrf, &[("decyzja", "publikuj")]).await,
        R::SvConsent => post_form(w, c, &format!("{s}/zgoda"), csrf, &[("zgoda", "1")]).await,
        R::SvClose => post_form(w, c, &format!("{s}/zamknij"), csrf, &[]).await,
        R::SvAnswer => {
            let names: Vec<String> = survey_questions(w, ex.survey).await.iter().map(|q| format!("q_{q}")).collect();
            let fields: Vec<(&str, &str)> = names.iter().map(|q| (q.as_str(), "5")).collect();
            post_form(w, c, &format!("/badanie/{}", ex.slug), csrf, &fields).await
        }
        _ => unreachable!("{route:?} is not of issue 19"),
    }
}

/// Whether an allowed issue-19 write is in the store, with its audit row.
async fn ex_done(w: &World, route: Route, unit: i64, cid: i64, ex: &Ex, actions_before: &[String]) -> Result<(), String> {
    use Route as R;
    let audited = |action: &str| {
        let action = action.to_owned();
        async move {
            let now = actions(w).await;
            let count = |list: &[String]| list.iter().filter(|a| **a == action).count();
            if count(&now) > count(actions_before) { Ok(()) } else { Err(format!("no `{action}` audit row")) }
        }
    };
    let cycle = if ex.cycle != 0 { app::exchange::cycle(&w.store, ex.cycle).await.unwrap() } else { None };
    let member_state = |u: i64| cycle.as_ref().and_then(|c| c.member(u)).map(|m| m.state);
    let question = if ex.question != 0 { app::exchange::question(&w.store, ex.question).await.unwrap() } else { None };
    use app::exchange::{MemberState, QuestionState};
    let check = |ok: bool, what: &str| if ok { Ok(()) } else { Err(what.to_owned()) };
    match route {
        R::GwdNew => {
            check(app::exchange::cycles(&w.store).await.unwrap().len() == ex.count + 1, "no new cycle")?;
            audited("exchange.cycle").await
        }
        R::GwdApply => {
            check(member_state(unit) == Some(MemberState::Applied), "the unit has not applied")?;
            audited("exchange.apply").await
        }
        R::GwdDecide | R::GwdDecideForeign => {
            check(member_state(w.b) == Some(MemberState::Accepted), "B is not accepted")?;
            audited("exchange.accept").await
        }
        R::GwdAddMember => check(member_state(w.b) == Some(MemberState::Accepted), "B is not a member"),
        R::GwdMeeting => {
            check(app::exchange::meetings(&w.store, ex.cycle).await.unwrap().len() == 1, "no meeting")?;
            audited("exchange.meeting").await
        }
        R::GwdMeetingEdit => {
            let m = app::exchange::meetings(&w.store, ex.cycle).await.unwrap();
            check(m.iter().any(|m| m.notes.as_deref().is_some_and(|t| t.starts_with("Notatki"))), "no notes")?;
            audited("exchange.meeting").await
        }
        R::GwdDocument => {
            check(app::exchange::documents(&w.store, ex.cycle).await.unwrap().len() == 1, "no document")?;
            audited("exchange.document").await
        }
        R::GwdCampaign => {
            check(cycle.as_ref().is_some_and(|c| c.campaign_id == Some(cid)), "the campaign is not linked")?;
            audited("exchange.campaign").await
        }
        R::GwdState => {
            check(cycle.as_ref().is_some_and(|c| c.state == app::exchange::CycleState::Running), "the cycle is not running")?;
            audited("exchange.state").await
        }
        R::GwdPlan => {
            check(cycle.as_ref().and_then(|c| c.member(unit)).is_some_and(|m| m.plan_id.is_some()), "no plan filed")?;
            audited("exchange.plan").await
        }
        R::GwdAsk => {
            check(app::exchange::questions(&w.store, ex.cycle).await.unwrap().len() == 1, "no question")?;
            audited("exchange.question").await
        }
        R::GwdReply => check(question.as_ref().is_some_and(|q| q.comments.len() >= 2), "no reply"),
        R::GwdCorrect => {
            check(question.as_ref().is_some_and(|q| q.state == QuestionState::Correcting), "the question is not being corrected")?;
            audited("exchange.correction").await
        }
        R::GwdClose => {
            check(question.as_ref().is_some_and(|q| q.state == QuestionState::Closed), "the question is not closed")?;
            audited("exchange.close").await
        }
        R::SvSetNew | R::SvSetEdit => audited("survey.set").await,
        R::SvOpen => {
            check(app::surveys::campaigns_of_unit(&w.store, unit).await.unwrap().len() == ex.count + 1, "no new campaign")?;
            audited("survey.campaign").await
        }
        R::SvTokens => audited("survey.tokens").await,
        R::SvPaper => {
            check(app::surveys::results(&w.store, ex.survey).await.unwrap().n_responses == 2, "the paper answers are not in")?;
            audited("survey.paper").await
        }
        R::SvModerate => {
            let states: Vec<String> = app::surveys::comments(&w.store, ex.survey, None).await.unwrap().iter().map(|c| c.state.clone()).collect();
            check(states == ["published"], "the remark is not published")?;
            audited("survey.moderate").await
        }
        R::SvConsent => {
            check(app::surveys::campaign(&w.store, ex.survey).await.unwrap().is_some_and(|c| c.named), "no consent")?;
            audited("survey.named").await
        }
        R::SvClose => {
            check(app::surveys::campaign(&w.store, ex.survey).await.unwrap().is_some_and(|c| !c.open), "the campaign is open")?;
            audited("survey.close").await
        }
        R::SvAnswer => check(app::surveys::results(&w.store, ex.survey).await.unwrap().n_responses == 1, "the answer is not in"),
        _ => Err(format!("{route:?} is not of issue 19")),
    }
}

fn plan_fields() -> app::plans::PlanFields {
    app::plans::PlanFields { title: "Plan".into(), summary: None, public: false, group_name: "kraj".into() }
}

/// Whether an allowed cycle write is in the store.
async fn cycle_done(w: &World, route: Route, unit: i64, fixture: Option<i64>) -> bool {
    let owner = app::plans::Owner::Unit(unit);
    match route {
        Route::Priority => w.store.priorities(owner).await.unwrap().iter().any(|p| p.indicator_code == "EDU_T2"),
        Route::PlanSave => w.store.plan(owner).await.unwrap().is_some_and(|p| p.fields.title.starts_with("Plan ")),
        Route::ActionAdd => match w.store.plan(owner).await.unwrap() {
            Some(p) => w.store.actions(p.id).await.unwrap().len() >= 2,
            None => false,
        },
        Route::TargetSet => match w.store.plan(owner).await.unwrap() {
            Some(p) => w.store.targets_of_plan(p.id).await.unwrap().iter().any(|t| Some(t.action_id) == fixture),
            None => false,
        },
        Route::ReorgAdd => w.store.reorganisations().await.unwrap().iter().any(|r| r.fields.unit_id == unit),
        Route::InstitutionAdd => !w.store.institutions(Some(unit)).await.unwrap().is_empty(),
        Route::PracticeAdd => {
            w.store.practices(&Default::default()).await.unwrap().iter().any(|p| p.fields.unit_id == unit && p.fields.title == "Wspólne dowozy")
        }
        Route::PracticeVerify => w.store.practice(fixture.unwrap_or_default()).await.unwrap().is_some_and(|p| p.status == "verified"),
        Route::AreaDeclare => !w.store.functional_areas().await.unwrap().is_empty(),
        _ => false,
    }
}

fn snippet(html: &str) -> String {
    let main = html.split("<main").nth(1).unwrap_or(html);
    let text: String = main.chars().take(400).collect();
    text.replace('\n', " ")
}

#[tokio::test]
async fn every_mutating_route_by_role_and_unit() {
    let w = world().await;
    let mut failures = Vec::new();
    let mut n = 0;
    for (route, unit, row) in MATRIX {
        for (who, exp) in EVERYONE.iter().zip(row.iter()) {
            n += 1;
            if let Some(f) = cell(&w, *route, unit, *who, *exp, n).await {
                failures.push(f);
            }
        }
    }
    assert!(failures.is_empty(), "{} of {n} cells wrong:\n{}", failures.len(), failures.join("\n"));
}

/// The POST routes of the web crate's sources: each must be covered here (the matrix, the
/// CSRF list, or a test of its own), so a new route cannot slip past this file.
#[test]
fn every_post_route_is_covered() {
    let covered = [
        "/ankiety/{id}/jst/{code}",
        "/ankiety/{id}/jst/{code}/plik",
        "/ankiety/{id}/jst/{code}/weryfikacja",
        "/admin/ankiety/nowa",
        "/logowanie",
        "/wyloguj",
        "/zaproszenie/{token}",
        "/grupy",
        "/admin/uzytkownicy",
        // issue 18: the matrix's cycle rows; the other writes of the same pages are covered
        // by their own page tests (plan_pages, evaluation_pages, practice_pages,
        // functional_areas), each with CSRF and a refused role.
        "/jst/{code}/priorytety",
        "/jst/{code}/priorytety/{id}/usun",
        "/jst/{code}/plan",
        "/jst/{code}/plan/dzialania",
        "/jst/{code}/plan/dzialania/{id}",
        "/jst/{code}/plan/dzialania/{id}/usun",
        "/jst/{code}/plan/dzialania/{id}/cel",
        "/jst/{code}/plan/cele/{id}/usun",
        "/jst/{code}/instytucje",
        "/reorganizacje/nowa",
        "/reorganizacje/{id}",
        "/reorganizacje/{id}/etapy",
        "/reorganizacje/{id}/etapy/{mid}",
        "/reorganizacje/{id}/instytucje",
        "/dobre-praktyki/nowa",
        "/dobre-praktyki/{id}",
        "/dobre-praktyki/{id}/weryfikacja",
        "/admin/obszary-funkcjonalne",
        // A functional area's plan: the same handlers as a unit's, Plan checked on the
        // area's lead unit (plan_pages tests an area's writes and refusals).
        "/obszary-funkcjonalne/{code}/plan",
        "/obszary-funkcjonalne/{code}/priorytety",
        "/obszary-funkcjonalne/{code}/priorytety/{id}/usun",
        "/obszary-funkcjonalne/{code}/plan/dzialania",
        "/obszary-funkcjonalne/{code}/plan/dzialania/{id}",
        "/obszary-funkcjonalne/{code}/plan/dzialania/{id}/usun",
        "/obszary-funkcjonalne/{code}/plan/dzialania/{id}/cel",
        "/obszary-funkcjonalne/{code}/plan/cele/{id}/usun",
        // issue 19: every POST of the exchange groups and the surveys is a row of the matrix.
        "/gwd/nowy",
        "/gwd/{id}/zgloszenie",
        "/gwd/{id}/czlonkowie/{unit}",
        "/gwd/{id}/czlonkowie",
        "/gwd/{id}/spotkania",
        "/gwd/{id}/spotkania/{mid}",
        "/gwd/{id}/dokumenty",
        "/gwd/{id}/ankieta",
        "/gwd/{id}/stan",
        "/gwd/{id}/plan",
        "/gwd/{id}/pytania",
        "/gwd/{id}/pytania/{qid}",
        "/gwd/{id}/pytania/{qid}/korekta",
        "/gwd/{id}/pytania/{qid}/zamknij",
        "/badania/zestawy",
        "/badania/zestawy/{code}",
        "/jst/{code}/badania",
        "/jst/{code}/badania/{id}/tokeny",
        "/jst/{code}/badania/{id}/papier",
        "/jst/{code}/badania/{id}/komentarze/{cid}",
        "/jst/{code}/badania/{id}/zgoda",
        "/jst/{code}/badania/{id}/zamknij",
        "/badanie/{slug}",
    ];
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // `.route("/path", get(a).post(b))` or `.route("/path", post(b))`, maybe over lines;
        // the path may be a constant (`PATH`, `coverage::PATH`).
        for chunk in text.split(".route(").skip(1) {
            let path_lit = if let Some(lit) = chunk.strip_prefix('"') {
                lit.split('"').next().unwrap_or("").to_owned()
            } else {
                let ident: String = chunk.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
                let (file_text, name) = match ident.rsplit_once("::") {
                    Some((module, name)) => (std::fs::read_to_string(src.join(format!("{module}.rs"))).unwrap_or_default(), name.to_owned()),
                    None => (text.clone(), ident.clone()),
                };
                let decl = format!("const {name}: &str = \"");
                match file_text.split(&decl).nth(1).and_then(|s| s.split('"').next()) {
                    Some(p) => p.to_owned(),
                    None => panic!("route path constant {ident} not found in {}", path.display()),
                }
            };
            let call: String = chunk.chars().take_while(|c| *c != ';').collect();
            let head = call.split(".route(").next().unwrap_or("");
            if head.contains("post(") {
                found.push(path_lit);
            }
        }
    }
    assert!(found.len() >= covered.len() - 1, "the route scan found too little: {found:?}");
    let missing: Vec<&String> = found.iter().filter(|p| !covered.contains(&p.as_str())).collect();
    assert!(missing.is_empty(), "POST routes not covered by crates/web/tests/access.rs: {missing:?}");
}

#[tokio::test]
async fn reading_routes_show_private_data_only_to_those_allowed() {
    let w = world().await;
    let cid = campaign(&w, "Odczyt").await;
    submitted(&w, cid, A).await;
    submitted(&w, cid, B).await;
    // Per path, the expected answer for each role (EVERYONE order). Reading a unit's answer
    // (ReadUnpublished): any role on the unit, analyst, admin. Dashboards: verifier,
    // analyst, admin (rows of their units only). The queue: verifiers and admin. /admin/*:
    // admin. /ankiety and /konto: anyone signed in.
    let ea = format!("/ankiety/{cid}/jst/{A}");
    let eb = format!("/ankiety/{cid}/jst/{B}");
    #[rustfmt::skip]
    let table: Vec<(String, [Exp; 8])> = vec![
        //                                        anon   entryA approvA verifA analyst admin entryB
        (ea.clone(),                             [Login, Read,  Read,   Read,  Read,   Read, No  , No ]),
        (eb.clone(),                             [Login, No,    No,     No,    Read,   Read, Read, No ]),
        (format!("{ea}/szablon.xlsx"),           [Login, Read,  Read,   Read,  Read,   Read, No  , No ]),
        (format!("{eb}/szablon.xlsx"),           [Login, No,    No,     No,    Read,   Read, Read, No ]),
        (format!("/ankiety/{cid}"),              [Login, No,    No,     Read,  Read,   Read, No  , No ]),
        (format!("/ankiety/{cid}/zestawienie.csv"), [Login, No, No,     Read,  Read,   Read, No  , No ]),
        ("/ankiety".to_owned(),                  [Login, Read,  Read,   Read,  Read,   Read, Read, Read ]),
        ("/weryfikacja".to_owned(),              [Login, No,    No,     Read,  No,     Read, No  , No ]),
        ("/konto".to_owned(),                    [Login, Read,  Read,   Read,  Read,   Read, Read, Read ]),
        ("/admin/ankiety/nowa".to_owned(),       [Login, No,    No,     No,    No,     Read, No  , No ]),
        ("/admin/audyt".to_owned(),              [Login, No,    No,     No,    No,     Read, No  , No ]),
        ("/admin/uzytkownicy".to_owned(),        [Login, No,    No,     No,    No,     Read, No  , No ]),
    ];
    let mut failures = Vec::new();
    for (path, row) in &table {
        for (who, exp) in EVERYONE.iter().zip(row.iter()) {
            let res = get(&w, w.client(*who), path).await;
            let ok = match exp {
                Read => res.status == StatusCode::OK,
                No => res.status == StatusCode::FORBIDDEN && res.text().contains("Brak uprawnień"),
                Login => res.status == StatusCode::SEE_OTHER && res.location().starts_with("/logowanie?next="),
                Yes | Hidden => unreachable!(),
            };
            if !ok {
                failures.push(format!("GET {path} as {who:?}: expected {exp:?}, got {} {}", res.status, res.location()));
                continue;
            }
            if *exp == Read {
                let cache = res.headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).unwrap_or("");
                if cache != "private, no-store" {
                    failures.push(format!("GET {path} as {who:?}: Cache-Control {cache:?}, not private, no-store"));
                }
            }
        }
    }
    // What the lists show: nobody sees a unit they have no role on.
    for (who, path, hidden) in [
        (Who::EntryA, "/ankiety".to_owned(), B),
        (Who::EntryB, "/ankiety".to_owned(), A),
        (Who::VerifierA, "/weryfikacja".to_owned(), B),
        (Who::VerifierA, format!("/ankiety/{cid}"), B),
        (Who::VerifierA, format!("/ankiety/{cid}/zestawienie.csv"), B),
    ] {
        let text = get(&w, w.client(who), &path).await.text();
        if text.contains(hidden) {
            failures.push(format!("GET {path} as {who:?} names unit {hidden}, outside the user's roles"));
        }
    }
    let queue = get(&w, w.client(Who::VerifierA), "/weryfikacja").await.text();
    if !queue.contains(A) {
        failures.push("the verifier's queue does not list unit A's submitted answer".to_owned());
    }
    assert!(failures.is_empty(), "{} wrong:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn refusals_speak_polish_and_english() {
    let w = world().await;
    let cid = campaign(&w, "Języki").await;
    let entry_b = w.client(Who::EntryA).clone();
    for (path, pl, en) in [
        (format!("/ankiety/{cid}/jst/{B}"), "Brak uprawnień", "Not allowed"),
        ("/admin/audyt".to_owned(), "Brak uprawnień", "Not allowed"),
        ("/admin/uzytkownicy".to_owned(), "Brak uprawnień", "Not allowed"),
    ] {
        let res = get(&w, &entry_b, &path).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
        let html = res.text();
        assert!(html.contains(pl) && html.contains("lang=\"pl\""), "{path}: {html}");
        assert!(!html.contains(en), "{path}: the Polish page is Polish");
        let sep = if path.contains('?') { '&' } else { '?' };
        let res = get(&w, &entry_b, &format!("{path}{sep}lang=en")).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path} in English");
        let html = res.text();
        assert!(html.contains(en) && html.contains("lang=\"en\""), "{path}?lang=en: {html}");
    }
    // A refused POST in English too.
    let res = post_form(&w, &entry_b, &format!("/ankiety/{cid}/jst/{B}?lang=en"), None, &[("akcja", "zapisz"), ("w.uczniowie_sp", "5")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.text().contains("Not allowed"), "{}", res.text());
    // The form-token refusal: Polish and English.
    let res = post_form(&w, &entry_b, &format!("/ankiety/{cid}/jst/{A}"), Some(""), &[("akcja", "zapisz")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.text().contains("Formularz wygasł"));
    let res = post_form(&w, &entry_b, &format!("/ankiety/{cid}/jst/{A}?lang=en"), Some(""), &[("akcja", "zapisz")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.text().contains("The form has expired"));
    // The anonymous reader is sent to the login page, keeping the language and the way back.
    let anon = w.client(Who::Anonymous).clone();
    let res = get(&w, &anon, "/weryfikacja?lang=en").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/logowanie?next=%2Fweryfikacja&lang=en");
}

#[tokio::test]
async fn without_the_form_token_every_post_is_refused_and_nothing_is_written() {
    let w = world().await;
    let admin = w.client(Who::Admin).clone();
    let cid = campaign(&w, "CSRF").await;
    submitted(&w, cid, B).await;
    let xlsx = xlsx_for(&w, cid, A).await;
    let ea = format!("/ankiety/{cid}/jst/{A}");
    let eb = format!("/ankiety/{cid}/jst/{B}");
    let wrong = "0".repeat(64);
    let today = app::campaigns::today();
    let (d, p) = ((today + time::Duration::days(10)).to_string(), (today + time::Duration::days(20)).to_string());
    let invite = app::accounts::invite(&w.store, &w.store.actor().clone(), "wprowadza_b", 3600).await.expect("invite");
    let mut failures = Vec::new();
    for token in ["", wrong.as_str(), w.client(Who::EntryA).csrf.as_str()] {
        let what = match token {
            "" => "no token",
            t if t == wrong => "a wrong token",
            _ => "another session's token",
        };
        let before = (written(&w, cid, w.a).await, written(&w, cid, w.b).await, users(&w).await);
        let answers = vec![
            (
                "POST /admin/uzytkownicy dodaj",
                post_form(&w, &admin, "/admin/uzytkownicy", Some(token), &[("akcja", "dodaj"), ("login", "podrzucony"), ("nazwa", "X")]).await,
            ),
            (
                "POST /admin/uzytkownicy nadaj",
                post_form(
                    &w,
                    &admin,
                    "/admin/uzytkownicy",
                    Some(token),
                    &[("akcja", "nadaj"), ("login", "wprowadza_a"), ("rola", "admin"), ("jednostki", "*")],
                )
                .await,
            ),
            (
                "POST /admin/uzytkownicy odbierz",
                post_form(
                    &w,
                    &admin,
                    "/admin/uzytkownicy",
                    Some(token),
                    &[("akcja", "odbierz"), ("login", "wprowadza_b"), ("rola", "data_entry"), ("jednostki", B)],
                )
                .await,
            ),
            (
                "POST /admin/uzytkownicy zaproszenie",
                post_form(&w, &admin, "/admin/uzytkownicy", Some(token), &[("akcja", "zaproszenie"), ("login", "wprowadza_a")]).await,
            ),
            (
                "POST /admin/uzytkownicy organizacja",
                post_form(&w, &admin, "/admin/uzytkownicy", Some(token), &[("akcja", "organizacja"), ("nazwa", "Podrzucona"), ("rodzaj", "office")])
                    .await,
            ),
            ("POST entry zapisz", post_form(&w, &admin, &ea, Some(token), &[("akcja", "zapisz"), ("w.uczniowie_sp", "7")]).await),
            (
                "POST entry wyslij",
                post_form(&w, &admin, &ea, Some(token), &[("akcja", "wyslij"), ("w.uczniowie_sp", "1100"), ("w.oddzialy_sp", "44")]).await,
            ),
            ("POST entry wycofaj", post_form(&w, &admin, &eb, Some(token), &[("akcja", "wycofaj")]).await),
            ("POST weryfikacja zatwierdz", post_form(&w, &admin, &format!("{eb}/weryfikacja"), Some(token), &[("akcja", "zatwierdz")]).await),
            (
                "POST weryfikacja zwroc",
                post_form(&w, &admin, &format!("{eb}/weryfikacja"), Some(token), &[("akcja", "zwroc"), ("komentarz", "x")]).await,
            ),
            ("POST plik", post_multipart(&w, &admin, &format!("{ea}/plik"), Some(token), &[], Some(("plik", "a.xlsx", &xlsx))).await),
            (
                "POST /admin/ankiety/nowa",
                post_multipart(
                    &w,
                    &admin,
                    "/admin/ankiety/nowa",
                    Some(token),
                    &[("nazwa", "X"), ("rok", "2024"), ("termin", &d), ("publikacja", &p), ("jednostki", A), ("formularz", "szkoly")],
                    None,
                )
                .await,
            ),
            ("POST /wyloguj", post_form(&w, &admin, "/wyloguj", Some(token), &[]).await),
            ("POST /logowanie", post_form(&w, w.client(Who::Anonymous), "/logowanie", Some(token), &[("login", "admin"), ("haslo", PASSWORD)]).await),
            (
                "POST /zaproszenie",
                post_form(
                    &w,
                    w.client(Who::Anonymous),
                    &format!("/zaproszenie/{invite}"),
                    Some(token),
                    &[("haslo", "nowe-haslo-12345"), ("haslo2", "nowe-haslo-12345")],
                )
                .await,
            ),
        ];
        for (name, res) in answers {
            if res.status != StatusCode::FORBIDDEN {
                failures.push(format!("{name} with {what}: {} (expected 403) {}", res.status, res.location()));
            }
            if res.set_cookie("miernik_sesja").is_some_and(|v| !v.is_empty()) {
                failures.push(format!("{name} with {what}: a session cookie was set"));
            }
        }
        let after = (written(&w, cid, w.a).await, written(&w, cid, w.b).await, users(&w).await);
        if after != before {
            failures.push(format!("with {what} something was written: {before:?} -> {after:?}"));
        }
    }
    // The admin's session survived the forged logouts, and the invitation is still unused.
    assert_eq!(get(&w, &admin, "/konto").await.status, StatusCode::OK, "a forged logout ended the session");
    assert!(app::accounts::check_invite(&w.store, &invite).await.is_ok(), "a forged invitation form used the invitation");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The same requests with the right token are accepted (so the refusals above were the token's).
    let res = post_form(&w, &admin, &ea, None, &[("akcja", "zapisz"), ("w.uczniowie_sp", "7")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
}

#[tokio::test]
async fn a_session_token_from_before_login_is_not_the_one_after_and_logout_ends_it() {
    let w = world().await;
    // An attacker plants a session cookie, then the victim logs in in that browser.
    let planted = "ab".repeat(32);
    let anon = anonymous(&w).await;
    let req = Request::post("/logowanie")
        .header(header::COOKIE, format!("{}; miernik_sesja={planted}", anon.cookie))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form_body(&[("csrf", &anon.csrf), ("login", "wprowadza_a"), ("haslo", PASSWORD)])))
        .unwrap();
    let res = send(&w.router, req, "127.0.0.1").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let token = res.set_cookie("miernik_sesja").expect("a session cookie");
    assert_ne!(token, planted, "the planted token became the session");
    assert_eq!(token.len(), 64);
    let cookie_header =
        res.headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find(|v| v.starts_with("miernik_sesja=")).unwrap().to_owned();
    assert!(cookie_header.contains("HttpOnly") && cookie_header.contains("SameSite=Lax") && cookie_header.contains("Path=/"), "{cookie_header}");
    let planted_client = Client { cookie: format!("miernik_sesja={planted}"), csrf: String::new() };
    assert_eq!(get(&w, &planted_client, "/konto").await.status, StatusCode::SEE_OTHER, "the planted token signs nobody in");

    // Logging in again gives a new token and ends the old session.
    let first = sign_in(&w, "wprowadza_a", "127.0.0.1").await;
    let res = {
        let anon = anonymous(&w).await;
        let req = Request::post("/logowanie")
            .header(header::COOKIE, format!("{}; {}", anon.cookie, first.cookie))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form_body(&[("csrf", &anon.csrf), ("login", "wprowadza_a"), ("haslo", PASSWORD)])))
            .unwrap();
        send(&w.router, req, "127.0.0.1").await
    };
    // The login form as a signed-in user carries the session's token, not the anonymous one;
    // either way the session must be new.
    if res.status == StatusCode::SEE_OTHER {
        let second = res.set_cookie("miernik_sesja").expect("a session cookie");
        assert_ne!(format!("miernik_sesja={second}"), first.cookie, "a second login reuses the token");
    }

    // Logout: the old token no longer works, and the session row is gone.
    let s = sign_in(&w, "wprowadza_a", "127.0.0.1").await;
    assert_eq!(get(&w, &s, "/konto").await.status, StatusCode::OK);
    let out = post_form(&w, &s, "/wyloguj", None, &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.set_cookie("miernik_sesja").as_deref(), Some(""), "logout clears the cookie");
    let again = get(&w, &s, "/konto").await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "the session still works after logout");
    assert!(again.location().starts_with("/logowanie"));
    let token = s.cookie.trim_start_matches("miernik_sesja=");
    assert!(app::accounts::session_user(&w.store, token).await.unwrap().is_none(), "the session is still in the database");
    // …and a POST with the old cookie and its token is refused, writing nothing.
    let cid = campaign(&w, "Po wylogowaniu").await;
    let before = written(&w, cid, w.a).await;
    let res = post_form(&w, &s, &format!("/ankiety/{cid}/jst/{A}"), None, &[("akcja", "zapisz"), ("w.uczniowie_sp", "9")]).await;
    assert!(res.status == StatusCode::FORBIDDEN || res.location().starts_with("/logowanie"), "{}", res.status);
    assert_eq!(written(&w, cid, w.a).await, before);
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_and_the_address_but_not_others() {
    let w = world().await;
    let n = app::accounts::ACCOUNT_FAILURES;
    // N wrong passwords for one account from one address…
    for i in 0..n {
        let res = try_login(&w, "wprowadza_a", "zle-haslo-zle-haslo", "198.51.100.1", false).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "wrong password {i}");
        assert!(res.text().contains("Nieprawidłowy login lub hasło"));
    }
    // …then the right password is refused, in Polish and in English, with Retry-After.
    let res = try_login(&w, "wprowadza_a", PASSWORD, "198.51.100.1", false).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text());
    assert!(res.set_cookie("miernik_sesja").is_none(), "no session when throttled");
    assert!(res.text().contains("Zbyt wiele nieudanych prób"), "{}", res.text());
    assert!(res.headers.get(header::RETRY_AFTER).is_some());
    let res = try_login(&w, "wprowadza_a", PASSWORD, "198.51.100.1", true).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.text().contains("Too many failed logins"), "{}", res.text());
    // The account is locked from another address too.
    let res = try_login(&w, "wprowadza_a", PASSWORD, "203.0.113.9", false).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "the account lock is per account");
    // Another account from another address is not.
    let res = try_login(&w, "wprowadza_b", PASSWORD, "203.0.113.10", false).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "another account from another address: {}", res.text());

    // The address: failures spread over accounts (none of them locked on its own) lock the
    // address for every account.
    let per_address = app::accounts::ADDRESS_FAILURES;
    let logins = ["zatwierdza_a", "weryfikuje_a", "analityk", "admin", "nikt"];
    for i in 0..per_address {
        let login = logins[i % logins.len()];
        let res = try_login(&w, &format!("{login}{}", i / logins.len()), "zle-haslo-zle-haslo", "192.0.2.50", false).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "failure {i}");
    }
    let res = try_login(&w, "zatwierdza_a", PASSWORD, "192.0.2.50", false).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "the address lock: {}", res.text());
    // The same account from another address logs in.
    let res = try_login(&w, "zatwierdza_a", PASSWORD, "192.0.2.51", false).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
}

#[tokio::test]
async fn data_entry_of_a_cannot_reach_b_even_through_another_campaign() {
    let w = world().await;
    let me = w.client(Who::EntryA).clone();
    // A campaign of B alone: A's data-entry user changes the campaign id in the address.
    let today = app::campaigns::today();
    let actor = w.store.actor().clone();
    let only_b = app::campaigns::add_campaign(
        &w.store,
        &actor,
        app::campaigns::NewCampaign {
            form: app::campaigns::FormRef::Code("szkoly".into()),
            name: "Tylko B".into(),
            year: 2024,
            deadline: today + time::Duration::days(30),
            publish_on: today + time::Duration::days(60),
            units: vec![B.into()],
        },
    )
    .await
    .unwrap()
    .id;
    submitted(&w, only_b, B).await;
    let xlsx = xlsx_for(&w, only_b, B).await;
    let before_b = written(&w, only_b, w.b).await;
    let before_a = written(&w, only_b, w.a).await;
    let eb = format!("/ankiety/{only_b}/jst/{B}");
    let ea = format!("/ankiety/{only_b}/jst/{A}");
    let mut failures = Vec::new();
    for (name, res) in [
        ("read B", get(&w, &me, &eb).await),
        ("template of B", get(&w, &me, &format!("{eb}/szablon.xlsx")).await),
        ("save B", post_form(&w, &me, &eb, None, &[("akcja", "zapisz"), ("w.uczniowie_sp", "1")]).await),
        ("submit B", post_form(&w, &me, &eb, None, &[("akcja", "wyslij"), ("w.uczniowie_sp", "1200"), ("w.oddzialy_sp", "48")]).await),
        ("withdraw B", post_form(&w, &me, &eb, None, &[("akcja", "wycofaj")]).await),
        ("upload to B", post_multipart(&w, &me, &format!("{eb}/plik"), None, &[], Some(("plik", "b.xlsx", &xlsx))).await),
        ("verify B", post_form(&w, &me, &format!("{eb}/weryfikacja"), None, &[("akcja", "zatwierdz")]).await),
        ("dashboard of B's campaign", get(&w, &me, &format!("/ankiety/{only_b}")).await),
    ] {
        if res.status != StatusCode::FORBIDDEN {
            failures.push(format!("{name}: {} (expected 403)", res.status));
        }
        if res.text().contains("1\u{a0}200") || res.text().contains("1200") {
            failures.push(format!("{name}: B's value shows"));
        }
    }
    // Own unit, in a campaign that does not include it: refused (404 or 403), nothing created.
    for (name, res) in [
        ("read A in B's campaign", get(&w, &me, &ea).await),
        ("save A in B's campaign", post_form(&w, &me, &ea, None, &[("akcja", "zapisz"), ("w.uczniowie_sp", "1100")]).await),
        (
            "submit A in B's campaign",
            post_form(&w, &me, &ea, None, &[("akcja", "wyslij"), ("w.uczniowie_sp", "1100"), ("w.oddzialy_sp", "44")]).await,
        ),
        ("template of A in B's campaign", get(&w, &me, &format!("{ea}/szablon.xlsx")).await),
    ] {
        if !matches!(res.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN) {
            failures.push(format!("{name}: {} (expected 404 or 403)", res.status));
        }
    }
    // A campaign id that does not exist, or is not a number.
    for path in [format!("/ankiety/999999/jst/{A}"), format!("/ankiety/x/jst/{A}"), format!("/ankiety/{only_b}/jst/9999999")] {
        let res = get(&w, &me, &path).await;
        if !matches!(res.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN) {
            failures.push(format!("GET {path}: {}", res.status));
        }
    }
    assert_eq!(written(&w, only_b, w.b).await, before_b, "B's answer changed");
    assert_eq!(written(&w, only_b, w.a).await.2, before_a.2, "an answer for A appeared in B's campaign");
    assert!(w.store.submission(only_b, w.a).await.unwrap().is_none());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
