//! The demo's exchange groups and surveys (issue 19, `app::demo_exchange`): the running group
//! of seven gminy with its letters, meetings in rotation, a document and two questions; the
//! recruiting group with two applications; the survey campaigns with enough answers, one
//! below the minimum and one named; the new demo logins; nothing in the group's texts names a
//! member; and the letters and answers are the same on every run (SQLite against a second
//! SQLite database, or against PostgreSQL when `MIERNIK_TEST_POSTGRES` is set).

use std::collections::BTreeMap;

use app::Store;
use app::accounts::{Action, LoginOutcome};
use app::demo_exchange::{COORDINATOR_LOGIN, MEMBERS, NEIGHBOUR_LOGIN, RECRUITING_CYCLE, RUNNING_CYCLE, SCHOOL_SURVEYS};
use app::exchange::{self as ex, CycleState, MemberState, QuestionState};
use app::surveys as sv;

/// What must come out the same on every run: each member's letter by TERYT code, and per
/// survey campaign (by unit code and set) its response count and overall mean.
type Fingerprint = (BTreeMap<String, String>, BTreeMap<(String, String), (u64, Option<String>)>);

async fn login(store: &Store, login: &str, password: &str) -> app::accounts::CurrentUser {
    match app::accounts::login(store, login, password, Some("127.0.0.1")).await.expect("login") {
        LoginOutcome::Ok { user, .. } => user,
        _ => panic!("{login} cannot log in"),
    }
}

fn password(login: &str) -> &'static str {
    app::demo_people::DEMO_CREDENTIALS.iter().find(|c| c.0 == login).map(|c| c.1).expect("a demo password")
}

/// Loads the demo into `store` and checks what the exchange demo seeded; its fingerprint.
async fn seeded(store: &Store) -> Fingerprint {
    assert!(app::load_demo(store).await.expect("demo loads"));
    let cycles = ex::cycles(store).await.expect("cycles");
    assert_eq!(cycles.len(), 2, "a running and a recruiting group");

    // The running group: seven accepted gminy, distinct letters among A–H, the demo's
    // data collection linked.
    let running = cycles.iter().find(|c| c.name == RUNNING_CYCLE).expect("the running group");
    assert_eq!(running.state, CycleState::Running);
    assert_eq!(running.sector, "edukacja");
    let campaign = app::campaigns::campaigns(store).await.expect("campaigns").into_iter().find(|c| c.form_code == "oswiata").expect("oswiata");
    assert_eq!(running.campaign_id, Some(campaign.id));
    assert_eq!(i64::from(running.year), campaign.year);
    let accepted: Vec<&ex::MemberView> = running.accepted().collect();
    assert_eq!(accepted.len(), MEMBERS);
    let mut letters: Vec<&str> = accepted.iter().filter_map(|m| m.letter.as_deref()).collect();
    letters.sort_unstable();
    letters.dedup();
    assert_eq!(letters.len(), MEMBERS, "every member has its own letter");
    assert!(letters.iter().all(|l| ex::LETTERS.contains(l)), "{letters:?}");
    let mut by_code: Vec<(&str, &str)> = accepted.iter().map(|m| (m.code.as_str(), m.letter.as_deref().unwrap_or(""))).collect();
    by_code.sort_unstable();
    let in_code_order: Vec<&str> = by_code.iter().map(|(_, l)| *l).collect();
    assert_ne!(in_code_order, ex::LETTERS[..MEMBERS].to_vec(), "letters are drawn, not given in the order of the codes");

    // The people: the coordinator runs it (and sees everyone), the neighbour is the
    // approver of the second gmina and sees only that one named.
    let coordinator = login(store, COORDINATOR_LOGIN, password(COORDINATOR_LOGIN)).await;
    assert_eq!(running.coordinator_user_id, coordinator.id);
    assert!(coordinator.can(Action::Coordinate, accepted[0].unit_id));
    let own = login(store, "demo-zatwierdza", password("demo-zatwierdza")).await;
    let neighbour = login(store, NEIGHBOUR_LOGIN, password(NEIGHBOUR_LOGIN)).await;
    let own_unit = accepted.iter().find(|m| own.can(Action::Plan, m.unit_id)).expect("the demo gmina is a member").unit_id;
    let second = accepted.iter().find(|m| neighbour.can(Action::Plan, m.unit_id)).expect("the neighbour's gmina is a member").unit_id;
    assert_ne!(own_unit, second);
    let v = ex::Viewer::of(Some(&neighbour), running);
    assert!(v.may_read() && v.names(second) && !v.names(own_unit), "{v:?}");
    assert!(ex::Viewer::of(Some(&coordinator), running).sees_all());

    // Meetings: two held with notes, one to come; hosts in rotation (each a member, none twice).
    let meetings = ex::meetings(store, running.id).await.expect("meetings");
    assert_eq!(meetings.len(), 3);
    let today = app::campaigns::today();
    assert_eq!(meetings.iter().filter(|m| m.held_on < today && m.notes.is_some()).count(), 2);
    assert_eq!(meetings.iter().filter(|m| m.held_on > today && m.notes.is_none()).count(), 1);
    let mut hosts: Vec<i64> = meetings.iter().filter_map(|m| m.host_unit_id).collect();
    assert_eq!(hosts.len(), 3);
    assert!(hosts.iter().all(|h| accepted.iter().any(|m| m.unit_id == *h)));
    hosts.sort_unstable();
    hosts.dedup();
    assert_eq!(hosts.len(), 3, "no member hosts twice before every member hosted once");
    let documents = ex::documents(store, running.id).await.expect("documents");
    assert_eq!(documents.len(), 1);
    let (info, bytes) = ex::document(store, documents[0].id).await.expect("document").expect("stored");
    assert!(info.file_name.ends_with(".txt") && std::str::from_utf8(&bytes).is_ok_and(|t| t.contains(RUNNING_CYCLE)));

    // Questions: one answered on the demo gmina's value, one open on the second gmina's.
    let questions = ex::questions(store, running.id).await.expect("questions");
    assert_eq!(questions.len(), 2);
    let answered = questions.iter().find(|q| q.state == QuestionState::Answered).expect("an answered question");
    assert_eq!((answered.unit_id, answered.asked_by_unit_id), (own_unit, Some(second)));
    assert!(answered.comments.iter().any(|c| c.kind == "answer" && c.author_unit_id == Some(own_unit)));
    let open = questions.iter().find(|q| q.state == QuestionState::Open).expect("an open question");
    assert_eq!((open.unit_id, open.asked_by_unit_id), (second, Some(own_unit)));
    assert!(questions.iter().all(|q| q.value_shown.is_some()), "the asker saw a value");

    // Anonymity: no text of the group names a member (letters only).
    let mut texts: Vec<String> = meetings.iter().flat_map(|m| [m.place.clone(), m.agenda.clone(), m.notes.clone()]).flatten().collect();
    texts.extend(questions.iter().flat_map(|q| q.comments.iter().map(|c| c.body.clone())));
    texts.push(String::from_utf8_lossy(&bytes).into_owned());
    for m in &accepted {
        for t in &texts {
            assert!(!t.contains(&m.name) && !t.contains(&m.code), "`{}` is named in: {t}", m.name);
        }
    }

    // The recruiting group: two applications, no letters yet.
    let recruiting = cycles.iter().find(|c| c.name == RECRUITING_CYCLE).expect("the recruiting group");
    assert_eq!(recruiting.state, CycleState::Recruiting);
    assert_eq!(recruiting.members.len(), 2);
    assert!(recruiting.members.iter().all(|m| m.state == MemberState::Applied && m.letter.is_none() && m.application.is_some()));
    assert!(recruiting.members.iter().all(|m| accepted.iter().all(|a| a.unit_id != m.unit_id)));

    // Surveys: the standard sets; ten school campaigns, one below the minimum, one named to
    // the public; the demo gmina's OPS.
    let sets: Vec<String> = sv::sets(store).await.expect("sets").into_iter().map(|s| s.code).collect();
    assert!(sets.contains(&"szkola".to_owned()) && sets.contains(&"ops".to_owned()), "{sets:?}");
    let year = running.year;
    let school = sv::comparison(store, "szkola", year, &sv::Viewer::default()).await.expect("comparison");
    assert_eq!(school.rows.len(), SCHOOL_SURVEYS);
    assert_eq!(school.rows.iter().filter(|r| !r.shown).count(), 1, "one campaign below the minimum");
    assert!(school.rows.iter().filter(|r| r.shown).all(|r| r.n >= 30 && r.overall.mean.is_some() && r.overall.sat_lo.is_some()));
    assert!(school.rows.iter().filter(|r| !r.shown).all(|r| r.n < 30 && r.overall.mean.is_none()));
    assert_eq!(school.rows.iter().filter(|r| matches!(r.label, sv::Label::Named { .. })).count(), 1, "one unit consented to be named");
    let own_surveys = sv::campaigns_of_unit(store, own_unit).await.expect("campaigns");
    assert_eq!(own_surveys.len(), 2, "the school and the OPS");
    let ops = own_surveys.iter().find(|c| c.set_code == "ops").expect("the OPS survey");
    assert!(sv::results(store, ops.id).await.expect("results").shown);
    let own_school = own_surveys.iter().find(|c| c.set_code == "szkola").expect("the school survey");
    assert_eq!(own_school.mode, sv::Mode::Open, "a visitor can fill the demo gmina's survey");
    assert!(own_school.accepts(today).is_ok());
    assert_eq!(sv::comments(store, own_school.id, Some("published")).await.expect("comments").len(), 1);

    // The fingerprint: letters by code, and each campaign's count and overall mean.
    let letters_by_code = accepted.iter().map(|m| (m.code.clone(), m.letter.clone().unwrap_or_default())).collect();
    let revealed = sv::Viewer { admin: true, own_units: Vec::new() };
    let mut surveys = BTreeMap::new();
    for set in ["szkola", "ops"] {
        for r in sv::comparison(store, set, year, &revealed).await.expect("comparison").rows {
            let sv::Label::Named { code, .. } = &r.label else { panic!("the operator's view names every unit") };
            surveys.insert((code.clone(), set.to_owned()), (r.n, r.overall.mean.map(|m| format!("{m:.6}"))));
        }
    }
    (letters_by_code, surveys)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_seeds_exchange_groups_and_surveys_the_same_on_every_run() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&format!("sqlite:{}", dir.path().join("a.db").display())).await.expect("open");
    let first = seeded(&store).await;
    // Seeding again adds nothing.
    let c = app::compute(&store).await.expect("compute");
    app::demo_exchange::seed(&store, &c).await.expect("seed again");
    assert_eq!(ex::cycles(&store).await.expect("cycles").len(), 2);
    store.close().await;

    let second = if let Ok(pg) = std::env::var("MIERNIK_TEST_POSTGRES") {
        let schema = format!("t_demo_exchange_{}", std::process::id());
        let store = Store::open_postgres_schema(&pg, &schema).await.expect("postgres opens");
        let f = seeded(&store).await;
        store.close().await;
        Store::drop_postgres_schema(&pg, &schema).await.expect("schema dropped");
        f
    } else {
        eprintln!("MIERNIK_TEST_POSTGRES not set: the second run is on SQLite too");
        let store = Store::open(&format!("sqlite:{}", dir.path().join("b.db").display())).await.expect("open");
        let f = seeded(&store).await;
        store.close().await;
        f
    };
    assert_eq!(first, second, "the demo draws the same letters and answers on every run");
}
