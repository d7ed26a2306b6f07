//! Exchange groups over the demo country: who sees which member named (the anonymity rule,
//! case by case), the comparison sheet for a member (its own row named, the others by letter,
//! the group's approved-unpublished values marked), the letters-only CSV, and a question
//! followed through a correction in the data collection until it reads "corrected".

use app::accounts::{CurrentUser, Grant, Role};
use app::campaigns::{Decision, Intent};
use app::exchange::{self, CycleFields, CycleState, CycleView, Label, MemberState, MemberView, QuestionState, Viewer};
use app::form_check::Entry;
use app::{AppError, LiveSnapshot, Store};

fn actor() -> store::Actor {
    store::Actor::named("test")
}

fn user(id: i64, grants: &[(Role, Option<i64>)]) -> CurrentUser {
    CurrentUser {
        id,
        login: format!("u{id}"),
        display_name: format!("User {id}"),
        grants: grants.iter().map(|&(role, unit_id)| Grant { role, unit_id }).collect(),
    }
}

fn member(unit_id: i64, name: &str, state: MemberState, letter: Option<&str>) -> MemberView {
    MemberView {
        unit_id,
        code: format!("12050{unit_id}2"),
        name: name.into(),
        state,
        letter: letter.map(str::to_owned),
        application: None,
        applied_at: "2025-01-01".into(),
        applied_by: "user:x".into(),
        decided_at: None,
        plan_id: None,
        plan_filed_at: None,
    }
}

fn cycle_view(coordinator: i64) -> CycleView {
    CycleView {
        id: 1,
        name: "GWD".into(),
        sector: "edukacja".into(),
        sector_name_pl: "Edukacja".into(),
        sector_name_en: "Education".into(),
        year: 2024,
        description: None,
        state: CycleState::Running,
        coordinator_user_id: coordinator,
        coordinator_name: "K".into(),
        campaign_id: None,
        campaign_variables: vec![],
        created_at: "2025-01-01".into(),
        closed_at: None,
        members: vec![
            member(1, "Biecz", MemberState::Accepted, Some("C")),
            member(2, "Bobowa", MemberState::Accepted, Some("A")),
            member(3, "Gorlice", MemberState::Applied, None),
        ],
    }
}

/// (named?) for members 1, 2, 3 as `viewer` sees them.
fn named(viewer: &Viewer, view: &CycleView) -> Vec<bool> {
    view.members.iter().map(|m| exchange::label(viewer, m).is_named()).collect()
}

#[test]
fn the_anonymity_rule_names_units_only_to_admin_their_coordinator_and_their_own_people() {
    let view = cycle_view(50);
    // Anonymous: letters only, no member-only pages.
    let anon = Viewer::of(None, &view);
    assert_eq!(named(&anon, &view), [false, false, false]);
    assert!(!anon.may_read());
    assert_eq!(exchange::label(&anon, &view.members[0]), Label::Letter("C".into()));
    // An admin sees everyone named.
    let admin = Viewer::of(Some(&user(9, &[(Role::Admin, None)])), &view);
    assert_eq!(named(&admin, &view), [true, true, true]);
    assert!(admin.may_read() && admin.sees_all());
    // This cycle's coordinator too.
    let coordinator = Viewer::of(Some(&user(50, &[(Role::Coordinator, None)])), &view);
    assert_eq!(named(&coordinator, &view), [true, true, true]);
    assert!(coordinator.may_read());
    // The coordinator of another cycle: a global coordinator grant reads nothing unpublished,
    // so nobody is named and the pages stay shut.
    let other = Viewer::of(Some(&user(51, &[(Role::Coordinator, None)])), &view);
    assert_eq!(named(&other, &view), [false, false, false]);
    assert!(!other.may_read());
    // A role holder of member 2 sees its own unit named, the others by letter.
    let own = Viewer::of(Some(&user(7, &[(Role::DataEntry, Some(2))])), &view);
    assert_eq!(named(&own, &view), [false, true, false]);
    assert!(own.is_member() && own.may_read() && !own.sees_all());
    match exchange::label(&own, &view.members[1]) {
        Label::Named { unit_id, name, letter, .. } => assert_eq!((unit_id, name.as_str(), letter.as_deref()), (2, "Bobowa", Some("A"))),
        other => panic!("own unit not named: {other:?}"),
    }
    // A role holder of a unit that only applied sees it named but is no member yet.
    let applicant = Viewer::of(Some(&user(8, &[(Role::Approver, Some(3))])), &view);
    assert_eq!(named(&applicant, &view), [false, false, true]);
    assert!(!applicant.may_read());
    // A role holder of a unit outside the cycle: nothing named, nothing to read.
    let outsider = Viewer::of(Some(&user(6, &[(Role::Approver, Some(99))])), &view);
    assert_eq!(named(&outsider, &view), [false, false, false]);
    assert!(!outsider.may_read());
    // Comment authors: a letter to others, never the person's name.
    let comment = exchange::CommentView {
        id: 1,
        author_unit_id: Some(2),
        author_user_id: 7,
        author_name: "Anna Kowalska".into(),
        kind: "comment".into(),
        body: "x".into(),
        created_at: "t".into(),
    };
    assert_eq!(exchange::comment_author(&outsider, &view, &comment, false), "Uczestnik A");
    assert_eq!(exchange::comment_author(&anon, &view, &comment, true), "Participant A");
    assert!(exchange::comment_author(&own, &view, &comment, false).contains("Anna Kowalska"));
    let by_coordinator = exchange::CommentView { author_unit_id: None, author_name: "Kasia".into(), ..comment };
    assert_eq!(exchange::comment_author(&outsider, &view, &by_coordinator, false), "Koordynator");
}

#[test]
fn the_next_host_is_who_hosted_least_ties_by_letter() {
    let view = cycle_view(50);
    // Nobody hosted: the lowest letter (A: unit 2), not the first by name.
    assert_eq!(exchange::host_rotation(&view.members, &[]), Some(2));
    let met = exchange::MeetingView {
        id: 1,
        seq: 1,
        held_on: model::parse_date("2025-01-01").expect("date"),
        host_unit_id: Some(2),
        host: None,
        place: None,
        agenda: None,
        notes: None,
        documents: vec![],
    };
    // A hosted once: C (unit 1) next; the applicant (unit 3) never hosts.
    assert_eq!(exchange::host_rotation(&view.members, std::slice::from_ref(&met)), Some(1));
}

#[test]
fn documents_are_told_by_their_content() {
    assert_eq!(exchange::document_type(b"%PDF-1.7 ...", "a.pdf").expect("pdf"), "application/pdf");
    assert!(exchange::document_type(b"PK\x03\x04rest", "a.xlsx").expect("xlsx").contains("spreadsheetml"));
    assert!(exchange::document_type(b"PK\x03\x04rest", "a.zip").is_err(), "a bare ZIP is refused");
    assert!(exchange::document_type("a;b\n1;2\n".as_bytes(), "x.csv").expect("csv").starts_with("text/csv"));
    assert!(exchange::document_type(b"\x00\x01binary", "x.txt").is_err());
    assert!(exchange::document_type(b"MZ\x90\x00", "notes.pdf").is_err(), "the name does not make a PDF");
    assert_eq!(exchange::safe_file_name("C:\\x\\Zażółć \"plik\".pdf"), "Za____ _plik_.pdf");
    assert_eq!(exchange::safe_file_name("../../"), "dokument");
}

async fn demo() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&format!("sqlite:{}", dir.path().join("t.db").display())).await.expect("open");
    assert!(app::load_demo(&store).await.expect("the demo loads"));
    (dir, store)
}

fn invalid<T: std::fmt::Debug>(r: Result<T, AppError>) -> String {
    match r {
        Err(AppError::Invalid(m)) => m,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_sees_its_own_row_named_others_by_letter_and_a_correction_ends_corrected() {
    let (_dir, store) = demo().await;
    let live = LiveSnapshot::new();
    live.refresh(&store).await.expect("snapshot");
    let c = live.get().expect("computed");
    // The demo's data collection: four gminy, one of them approved (pending publication).
    let campaign = app::campaigns::campaigns(&store).await.expect("campaigns").into_iter().find(|k| k.form_code == "oswiata").expect("campaign");
    let rows = app::campaigns::dashboard(&store, campaign.id, app::campaigns::today()).await.expect("dashboard");
    let approved_units: Vec<i64> = rows.iter().filter(|r| r.state == Some(store::SubmissionState::Approved)).map(|r| r.unit_id).collect();
    let approved = *approved_units.first().expect("an approved gmina");
    // The approved gmina and three more of the campaign (it may cover more than a group takes).
    let others: Vec<i64> = rows.iter().map(|r| r.unit_id).filter(|&u| u != approved).take(3).collect();
    let codes: Vec<String> = rows.iter().filter(|r| r.unit_id == approved || others.contains(&r.unit_id)).map(|r| r.code.clone()).collect();
    assert_eq!(codes.len(), 4);

    let koord_id = app::accounts::add_user(&store, &actor(), "koord-test", "Kasia Koordynator", None).await.expect("user");
    app::accounts::grant(&store, &actor(), "koord-test", Role::Coordinator, &[]).await.expect("grant");
    let year = campaign.year as i32;
    let bad = CycleFields { name: "GWD".into(), sector: "nie_ma_takiego".into(), year, description: None };
    assert!(invalid(exchange::open_cycle(&store, &c, &bad, koord_id, &actor()).await).contains("sector"));
    let f = CycleFields { name: "GWD Oświata (test)".into(), sector: "edukacja".into(), year, description: Some("Porównanie szkół".into()) };
    let cycle_id = exchange::open_cycle(&store, &c, &f, koord_id, &actor()).await.expect("open");
    let mut letters = Vec::new();
    for code in &codes {
        let (_, l) = exchange::add_unit_member(&store, cycle_id, code, &actor()).await.expect("admit");
        letters.push(l);
    }
    letters.sort();
    letters.dedup();
    assert_eq!(letters.len(), codes.len(), "every member its own letter");
    exchange::link_campaign(&store, cycle_id, campaign.id, &actor()).await.expect("link");
    exchange::set_state(&store, cycle_id, CycleState::Running, &actor()).await.expect("run");
    assert!(invalid(exchange::set_state(&store, cycle_id, CycleState::Recruiting, &actor()).await).contains("state"));
    let view = exchange::cycle(&store, cycle_id).await.expect("read").expect("cycle");
    assert!(view.campaign_variables.iter().any(|v| v == "uczniowie_sp"), "{:?}", view.campaign_variables);

    // The approved gmina's approver reads the sheet.
    let me = user(1000, &[(Role::Approver, Some(approved))]);
    let viewer = Viewer::of(Some(&me), &view);
    assert!(viewer.may_read());
    live.refresh_private(&store).await.expect("private");
    let private = live.private().expect("private view");
    let sheet = exchange::sheet(&view, &viewer, &private, None, &[]).expect("sheet");
    assert_eq!(sheet.year, year);
    assert!(sheet.years.contains(&year));
    assert!(!sheet.indicators.is_empty());
    let pc = private.computed();
    let mut unpublished = 0;
    for ind in &sheet.indicators {
        let i = pc.snapshot.indicator_index(&ind.code).expect("indicator");
        assert_eq!(pc.definitions[i].area, "edukacja");
        let mut sorted = ind.rows.iter().map(|r| r.letter.clone()).collect::<Vec<_>>();
        sorted.sort();
        assert_eq!(ind.rows.iter().map(|r| r.letter.clone()).collect::<Vec<_>>(), sorted, "rows by letter");
        for r in &ind.rows {
            let own = r.unit_id_for_viewer == Some(approved);
            match &r.label {
                Label::Named { unit_id, .. } => assert_eq!(*unit_id, approved, "only the own unit is named"),
                Label::Letter(l) => {
                    assert_eq!(l, &r.letter);
                    assert!(r.unit_id_for_viewer.is_none());
                }
            }
            let m = view.members.iter().find(|m| m.letter.as_deref() == Some(r.letter.as_str())).expect("member");
            let y = pc.snapshot.year_index(year).expect("year");
            assert_eq!(r.value, pc.snapshot.value(i, pc.unit_index(&m.code).expect("unit"), y));
            if r.unpublished {
                assert!(approved_units.contains(&m.unit_id), "only approved gminy have unpublished values");
                unpublished += usize::from(own);
            }
        }
        let values: Vec<f64> = ind.rows.iter().filter_map(|r| r.value).collect();
        if !values.is_empty() {
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            assert!((ind.mean.expect("mean") - mean).abs() < 1e-9);
            assert_eq!(ind.min, values.iter().copied().reduce(f64::min));
        }
    }
    assert!(unpublished > 0, "the own approved, unpublished answers show on the sheet");
    assert!(sheet.indicators.iter().any(|i| i.from_campaign));
    assert!(sheet.indicators.iter().all(|i| i.rows.iter().filter(|r| r.label.is_named()).count() == 1));
    // The CSV names nobody, not even the reader's own unit.
    let csv = exchange::sheet_csv(&sheet, false);
    for m in &view.members {
        assert!(!csv.contains(&m.name) && !csv.contains(&m.code), "{} in the CSV", m.name);
    }
    assert!(csv.starts_with("wskaznik,nazwa,rok,uczestnik"));
    // The coordinator sees every row named; another member's approver only its own.
    let coord = Viewer::of(Some(&user(koord_id, &[(Role::Coordinator, None)])), &view);
    let all = exchange::sheet(&view, &coord, &private, None, &[]).expect("sheet");
    assert!(all.indicators.iter().all(|i| i.rows.iter().all(|r| r.label.is_named())));
    assert!(invalid(exchange::sheet(&view, &coord, &private, Some(1800), &[])).contains("year"));

    // A question on the approved gmina's value, asked by another member, answered, corrected.
    let ind = sheet.indicators.iter().find(|i| i.from_campaign && i.rows.iter().any(|r| r.unit_id_for_viewer == Some(approved))).expect("ind");
    let asker = others[0];
    let qid = exchange::ask(&store, cycle_id, approved, &ind.code, year, Some(1.5), "Skąd ta wartość?", Some(asker), koord_id, &actor())
        .await
        .expect("ask");
    assert!(
        invalid(exchange::ask(&store, cycle_id, approved, &ind.code, year, None, "x", Some(approved), koord_id, &actor()).await).contains("asker")
    );
    assert!(invalid(exchange::reply(&store, qid, "To ja", Some(asker), koord_id, true, &actor()).await).contains("answer"));
    exchange::reply(&store, qid, "Nowa szkoła", Some(approved), koord_id, true, &actor()).await.expect("answer");
    let questions = exchange::questions(&store, cycle_id).await.expect("questions");
    assert_eq!(questions.len(), 1);
    assert_eq!(questions[0].state, QuestionState::Answered);
    assert_eq!(questions[0].letter, view.member(approved).and_then(|m| m.letter.clone()).expect("letter"));
    // The open count shows on the sheet's cell.
    let with_q = exchange::sheet(&view, &viewer, &private, None, &questions).expect("sheet");
    let cell = with_q.indicators.iter().find(|i| i.code == ind.code).and_then(|i| i.rows.iter().find(|r| r.unit_id_for_viewer == Some(approved)));
    assert_eq!(cell.map(|r| r.open_questions), Some(1));

    let (cid, uid) = exchange::start_correction(&store, qid, koord_id, &actor()).await.expect("correction");
    assert_eq!((cid, uid), (campaign.id, approved));
    let sub = store.submission(campaign.id, approved).await.expect("read").expect("submission");
    assert_eq!(sub.state, store::SubmissionState::Returned);
    assert!(sub.return_comment.as_deref().is_some_and(|c| c.starts_with(&format!("Pytanie grupy wymiany #{qid}"))));
    assert_eq!(exchange::question(&store, qid).await.expect("read").expect("q").state, QuestionState::Correcting);

    // The unit corrects and submits; the verifier approves: the question reads corrected.
    let mut entries: Vec<Entry> = store
        .submission_values(sub.id)
        .await
        .expect("values")
        .into_iter()
        .map(|v| Entry { variable: v.field, value: v.value, raw: v.raw, comment: Some("Korekta po pytaniu grupy / correction".into()) })
        .collect();
    if let Some(e) = entries.iter_mut().find(|e| e.variable == "uczniowie_sp") {
        e.value = e.value.map(|v| v + 1.0);
    }
    let saved = app::campaigns::save(&store, &actor(), campaign.id, approved, &entries, Intent::Submit).await.expect("save");
    assert!(saved.submitted, "{:?}", saved.findings);
    app::campaigns::verify(&store, &actor(), campaign.id, approved, Decision::Approve).await.expect("approve");
    let q = exchange::question(&store, qid).await.expect("read").expect("q");
    assert_eq!(q.state, QuestionState::Corrected);
    assert_eq!(q.comments.iter().map(|k| k.kind.as_str()).collect::<Vec<_>>(), ["question", "answer", "correction"]);
    exchange::close_question(&store, qid, koord_id, Some(asker), Some("Dziękujemy"), &actor()).await.expect("close");
    assert_eq!(exchange::question(&store, qid).await.expect("read").expect("q").state, QuestionState::Closed);
    assert!(invalid(exchange::reply(&store, qid, "x", None, koord_id, false, &actor()).await).contains("closed"));
    let audit = store.audit(&store::AuditFilter { action: Some("reopen".into()), ..Default::default() }, 10).await.expect("audit");
    assert_eq!(audit.len(), 1);
    assert!(audit[0].detail.as_deref().is_some_and(|d| d.contains(&format!("exchange question {qid}"))));
}
