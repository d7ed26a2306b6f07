//! Exchange groups' storage on SQLite and PostgreSQL: cycles, members and their letters
//! (distinct, stable, never given twice, at most the cap accepted), meetings and documents,
//! questions with their threads, and the reopening of an approved and published submission
//! that a question sends back for correction — each write with its audit rows.

#[macro_use]
mod support;

use model::{TerytCode, UnitKind};
use store::exchange::{MeetingFieldsRow, NewCycle, NewDocument, NewQuestion};
use store::{Actor, AuditFilter, AuditRow, FieldValue, Link, NewCampaignRow, NewUnit, Store, StoreError, SubmissionState, TerritoryPlan};

fn code(s: &str) -> TerytCode {
    TerytCode::parse(s).expect("code")
}

fn who(name: &str) -> Actor {
    Actor { name: name.into(), user_id: None, address: Some("192.0.2.1".into()) }
}

/// Ten gminy of one powiat (ids in code order) and a coordinator's user id.
async fn setup(store: &Store) -> (Vec<i64>, i64) {
    let mut new_units = vec![
        NewUnit {
            code: code("PL"),
            name: "Polska".into(),
            kind: UnitKind::Kraj,
            valid_from: None,
            valid_to: None,
            historical: false,
            parent_id: None,
        },
        NewUnit {
            code: code("12"),
            name: "MAŁOPOLSKIE".into(),
            kind: UnitKind::Wojewodztwo,
            valid_from: None,
            valid_to: None,
            historical: false,
            parent_id: None,
        },
        NewUnit {
            code: code("1205"),
            name: "gorlicki".into(),
            kind: UnitKind::Powiat,
            valid_from: None,
            valid_to: None,
            historical: false,
            parent_id: None,
        },
    ];
    let mut links = vec![
        Link { code: code("12"), parent: Some(code("PL")), same_jst: None },
        Link { code: code("1205"), parent: Some(code("12")), same_jst: None },
    ];
    let codes: Vec<String> = (1..=10).map(|i| format!("1205{i:02}2")).collect();
    for (i, c) in codes.iter().enumerate() {
        new_units.push(NewUnit {
            code: code(c),
            name: format!("Gmina {}", (b'a' + i as u8) as char),
            kind: UnitKind::GminaWiejska,
            valid_from: None,
            valid_to: None,
            historical: false,
            parent_id: None,
        });
        links.push(Link { code: code(c), parent: Some(code("1205")), same_jst: None });
    }
    let plan = TerritoryPlan {
        state_date: model::parse_date("2024-01-01").expect("date"),
        file: "test".into(),
        rows_read: new_units.len() as u64,
        closures: vec![],
        code_changes: vec![],
        renames: vec![],
        new_units,
        links,
    };
    store.apply_territory(&plan).await.expect("territory");
    let mut ids = Vec::new();
    for c in &codes {
        ids.push(store.unit_id_for_code(&code(c)).await.expect("lookup").expect("unit"));
    }
    let user = store.add_user(&who("user:admin"), "koordynator", "Kasia Koordynator", None).await.expect("user");
    (ids, user)
}

async fn audit_of(store: &Store, action: &str) -> Vec<AuditRow> {
    store.audit(&AuditFilter { action: Some(action.into()), ..Default::default() }, 1000).await.expect("audit")
}

fn conflict<T: std::fmt::Debug>(r: Result<T, StoreError>, what: &str) -> String {
    match r {
        Err(StoreError::Conflict(m)) => m,
        other => panic!("{what}: expected a conflict, got {other:?}"),
    }
}

async fn new_cycle(store: &Store, user: i64) -> i64 {
    let c = NewCycle { name: "GWD Oświata".into(), sector: "edukacja".into(), year: 2025, description: None, coordinator_user_id: user };
    store.open_exchange_cycle(&c, &who("user:koordynator")).await.expect("cycle")
}

async fn members_and_letters(store: Store) {
    let (units, user) = setup(&store).await;
    let koord = who("user:koordynator");
    let cycle = new_cycle(&store, user).await;
    let row = store.exchange_cycle(cycle).await.expect("read").expect("cycle");
    assert_eq!((row.state.as_str(), row.coordinator_name.as_str(), row.year), ("recruiting", "Kasia Koordynator", 2025));
    assert_eq!(audit_of(&store, "exchange.cycle").await.len(), 1);
    // A coordinator that is no user is refused.
    let ghost = NewCycle { name: "x".into(), sector: "edukacja".into(), year: 2025, description: None, coordinator_user_id: 9999 };
    conflict(store.open_exchange_cycle(&ghost, &koord).await, "unknown coordinator");

    for &u in &units[..9] {
        store.exchange_apply(cycle, u, Some("zespół oświaty"), &who("user:jst")).await.expect("apply");
    }
    conflict(store.exchange_apply(cycle, units[0], None, &who("user:jst")).await, "second application");
    assert_eq!(audit_of(&store, "exchange.apply").await.len(), 9);

    // Eight accepted: eight different letters, A to H, whatever the random picks.
    let mut letters = Vec::new();
    for (k, &u) in units[..8].iter().enumerate() {
        let l = store.exchange_decide(cycle, u, true, (k as u64) * 7 + 3, 8, &koord).await.expect("accept").expect("letter");
        letters.push(l);
    }
    let mut sorted = letters.clone();
    sorted.sort();
    assert_eq!(sorted, ["A", "B", "C", "D", "E", "F", "G", "H"]);
    // The ninth is refused and nothing changes.
    let m = conflict(store.exchange_decide(cycle, units[8], true, 1, 8, &koord).await, "ninth member");
    assert!(m.contains("8 accepted"), "{m}");
    let members = store.exchange_members(Some(cycle)).await.expect("members");
    assert_eq!(members.iter().filter(|m| m.state == "accepted").count(), 8);
    assert_eq!(members.iter().find(|m| m.unit_id == units[8]).map(|m| (m.state.as_str(), m.letter.clone())), Some(("applied", None)));
    // Letters are stable: read again, the same unit has the same letter.
    for (k, &u) in units[..8].iter().enumerate() {
        assert_eq!(members.iter().find(|m| m.unit_id == u).and_then(|m| m.letter.clone()).as_deref(), Some(letters[k].as_str()));
    }
    // Rejected, then a decision on a non-application is refused.
    assert_eq!(store.exchange_decide(cycle, units[8], false, 0, 8, &koord).await.expect("reject"), None);
    conflict(store.exchange_decide(cycle, units[8], true, 0, 8, &koord).await, "decide a rejected unit");
    assert_eq!(audit_of(&store, "exchange.reject").await.len(), 1);
    assert_eq!(audit_of(&store, "exchange.accept").await.len(), 8);

    // A member withdraws: its letter stays its own; applying again and accepted, it gets it back.
    store.exchange_withdraw(cycle, units[2], &koord).await.expect("withdraw");
    conflict(store.exchange_withdraw(cycle, units[2], &koord).await, "withdraw twice");
    store.exchange_apply(cycle, units[2], None, &who("user:jst")).await.expect("apply again");
    let back = store.exchange_decide(cycle, units[2], true, 99, 8, &koord).await.expect("accept again");
    assert_eq!(back.as_deref(), Some(letters[2].as_str()));
    // Another withdraws and the coordinator admits a new unit: A–H are all taken (a letter is
    // never given twice), so it gets one after H.
    store.exchange_withdraw(cycle, units[3], &koord).await.expect("withdraw");
    let l = store.exchange_admit(cycle, units[9], 5, 8, &koord).await.expect("admit");
    assert!(l.as_str() > "H" && l.len() == 1, "{l}");
    conflict(store.exchange_admit(cycle, units[9], 5, 8, &koord).await, "admit a member again");
    // Full again: admitting the rejected unit is refused.
    conflict(store.exchange_admit(cycle, units[8], 5, 8, &koord).await, "admit past the cap");
    let withdrawals = audit_of(&store, "exchange.withdraw").await;
    assert_eq!(withdrawals.len(), 2);
    assert!(withdrawals.iter().all(|r| r.unit_id.is_some() && r.detail.as_deref().is_some_and(|d| !d.contains("letter"))));

    // States move forward only.
    conflict(store.exchange_set_state(cycle, "running", "closed", &koord).await, "close a recruiting cycle as running");
    store.exchange_set_state(cycle, "recruiting", "running", &koord).await.expect("run");
    store.exchange_set_state(cycle, "running", "closed", &koord).await.expect("close");
    let row = store.exchange_cycle(cycle).await.expect("read").expect("cycle");
    assert_eq!(row.state, "closed");
    assert!(row.closed_at.is_some() && row.closed_by.as_deref() == Some("user:koordynator"));
    conflict(store.exchange_apply(cycle, units[8], None, &who("user:jst")).await, "apply to a closed cycle");
    assert_eq!(audit_of(&store, "exchange.state").await.len(), 2);
}

#[tokio::test]
async fn members_get_distinct_stable_letters_and_the_cap_holds() {
    on_both!("t_exchange_", members_and_letters, store only);
}

async fn meetings_and_documents(store: Store) {
    let (units, user) = setup(&store).await;
    let koord = who("user:koordynator");
    let cycle = new_cycle(&store, user).await;
    let other = new_cycle(&store, user).await;
    let f = |day: &str, host: Option<i64>| MeetingFieldsRow {
        held_on: day.into(),
        host_unit_id: host,
        place: Some("Urząd".into()),
        agenda: Some("Arkusz".into()),
    };
    let m1 = store.add_exchange_meeting(cycle, &f("2025-03-01", Some(units[0])), &koord).await.expect("meeting");
    let m2 = store.add_exchange_meeting(cycle, &f("2025-05-01", None), &koord).await.expect("meeting");
    let o1 = store.add_exchange_meeting(other, &f("2025-04-01", None), &koord).await.expect("meeting");
    let list = store.exchange_meetings(cycle).await.expect("meetings");
    assert_eq!(list.iter().map(|m| (m.id, m.seq)).collect::<Vec<_>>(), vec![(m1, 1), (m2, 2)]);
    assert_eq!(store.exchange_meeting(o1).await.expect("read").map(|m| m.seq), Some(1), "numbering is per cycle");
    store.update_exchange_meeting(m1, &f("2025-03-02", Some(units[0])), Some("Ustalenia"), &koord).await.expect("notes");
    let m = store.exchange_meeting(m1).await.expect("read").expect("meeting");
    assert_eq!((m.fields.held_on.as_str(), m.notes.as_deref()), ("2025-03-02", Some("Ustalenia")));
    conflict(store.update_exchange_meeting(9999, &f("2025-03-02", None), None, &koord).await, "unknown meeting");
    assert_eq!(audit_of(&store, "exchange.meeting").await.len(), 4);

    // Bytes come back exactly (BLOB / BYTEA), NUL and high bytes included.
    let bytes: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let doc = NewDocument { meeting_id: Some(m1), title: "Prezentacja", file_name: "p.pdf", content_type: "application/pdf", bytes: &bytes };
    let id = store.add_exchange_document(cycle, &doc, &koord).await.expect("document");
    let (row, back) = store.exchange_document(id).await.expect("read").expect("document");
    assert_eq!((row.size, row.meeting_id, row.cycle_id), (3000, Some(m1), cycle));
    assert_eq!(back, bytes);
    // A meeting of another cycle is refused.
    let wrong = NewDocument { meeting_id: Some(o1), ..doc.clone() };
    conflict(store.add_exchange_document(cycle, &wrong, &koord).await, "meeting of another cycle");
    assert_eq!(store.exchange_documents(cycle).await.expect("list").len(), 1);
    assert_eq!(audit_of(&store, "exchange.document").await.len(), 1);
}

#[tokio::test]
async fn meetings_are_numbered_per_cycle_and_documents_keep_their_bytes() {
    on_both!("t_exchange_", meetings_and_documents, store only);
}

async fn questions_and_reopen(store: Store) {
    let (units, user) = setup(&store).await;
    let koord = who("user:koordynator");
    let (a, b) = (units[0], units[1]);
    let cycle = new_cycle(&store, user).await;
    store.exchange_admit(cycle, a, 0, 8, &koord).await.expect("admit a");
    store.exchange_admit(cycle, b, 0, 8, &koord).await.expect("admit b");
    // The group's data collection, with a variable, and unit a's approved, published answer.
    let mut imp = store.begin_observation_import("test", "vars").await.expect("begin");
    imp.create_variable(&store::NewVariable {
        code: "uczniowie_sp".into(),
        name_pl: "Uczniowie".into(),
        name_en: None,
        measure_unit: Some("osoba".into()),
        source: Some("ankieta".into()),
        refs: vec![],
    })
    .await
    .expect("variable");
    imp.finish(0, 0, 0).await.expect("finish");
    let (form, _) = store.add_form("oswiata", "Oświata", "[form]\ncode = \"oswiata\"", &who("user:admin")).await.expect("form");
    let row = NewCampaignRow {
        form_id: form,
        name: "Oświata 2025".into(),
        year: 2025,
        deadline: "2026-03-31".into(),
        publish_on: "2026-06-01".into(),
        unit_ids: vec![a, b],
    };
    let campaign = store.add_campaign(&row, &who("user:admin")).await.expect("campaign");
    store.link_exchange_campaign(cycle, campaign, &koord).await.expect("link");
    conflict(store.link_exchange_campaign(cycle, 9999, &koord).await, "unknown campaign");
    let value = |v: f64| vec![FieldValue { field: "uczniowie_sp".into(), value: Some(v), raw: None, comment: None }];
    let s = store.save_submission(campaign, a, &value(120.0), true, &who("user:jst-a")).await.expect("submit").submission;
    store.approve_submission(s.id, &who("user:wera")).await.expect("approve");
    let published = store.publish_submissions(campaign, &[s.id], &Actor::system()).await.expect("publish").expect("published");

    // B's coordinator-side question on a's value, a comment, a's answer.
    let q = NewQuestion {
        cycle_id: cycle,
        unit_id: a,
        indicator_code: "uczniowie_na_oddzial".into(),
        year: 2025,
        value_shown: Some(24.5),
        body: "Skąd tak dużo?".into(),
        asked_by_unit_id: Some(b),
        user_id: user,
    };
    let qid = store.add_exchange_question(&q, &who("user:jst-b")).await.expect("ask");
    let not_member = NewQuestion { unit_id: units[5], ..q.clone() };
    conflict(store.add_exchange_question(&not_member, &koord).await, "question on a non-member");
    let row = store.exchange_question(qid).await.expect("read").expect("question");
    assert_eq!((row.state.as_str(), row.value_shown, row.year, row.approved_since), ("open", Some(24.5), 2025, false));
    store.add_exchange_comment(qid, user, None, "comment", "Proszę o wyjaśnienie", None, &koord).await.expect("comment");
    store.add_exchange_comment(qid, user, Some(a), "answer", "Nowa szkoła", Some("answered"), &who("user:jst-a")).await.expect("answer");
    assert_eq!(store.exchange_question(qid).await.expect("read").expect("q").state, "answered");
    let thread = store.exchange_comments(cycle, Some(qid)).await.expect("thread");
    assert_eq!(thread.iter().map(|k| k.kind.as_str()).collect::<Vec<_>>(), ["question", "comment", "answer"]);
    assert_eq!(thread[0].author_name, "Kasia Koordynator");
    assert_eq!(audit_of(&store, "exchange.question").await.len(), 1);
    assert_eq!(audit_of(&store, "exchange.answer").await.len(), 1);

    // The correction: the approved, published submission is reopened to returned, unpublished.
    let started = store.start_exchange_correction(qid, user, "Poprawiamy", "Pytanie grupy wymiany #1: Skąd tak dużo?", &who("user:jst-a")).await;
    let started = started.expect("correction");
    assert_eq!((started.campaign_id, started.unit_id, started.submission_id, started.reopened), (campaign, a, Some(s.id), true));
    let back = store.submission_by_id(s.id).await.expect("read").expect("submission");
    assert_eq!(back.state, SubmissionState::Returned);
    assert_eq!((back.import_id, back.approved_at.as_deref()), (None, None));
    assert_eq!(back.return_comment.as_deref(), Some("Pytanie grupy wymiany #1: Skąd tak dużo?"));
    let reopen = audit_of(&store, "reopen").await;
    assert_eq!(reopen.len(), 1);
    assert_eq!(reopen[0].submission_id, Some(s.id));
    assert_eq!(reopen[0].unit_id, Some(a));
    let detail = reopen[0].detail.clone().unwrap_or_default();
    assert!(detail.contains(&format!("exchange question {qid}")) && detail.contains(&format!("import {}", published.import_id)), "{detail}");
    assert_eq!(audit_of(&store, "exchange.correction").await.len(), 1);
    let row = store.exchange_question(qid).await.expect("read").expect("q");
    assert_eq!((row.state.as_str(), row.submission_id, row.approved_since), ("correcting", Some(s.id), false));
    // Reopening a returned submission again is refused.
    conflict(store.reopen_submission(s.id, "x", "test", &koord).await, "reopen a returned submission");

    // Corrected, submitted, approved: the question reads as corrected (approved since).
    store.save_submission(campaign, a, &value(60.0), true, &who("user:jst-a")).await.expect("resubmit");
    store.approve_submission(s.id, &who("user:wera")).await.expect("approve again");
    let row = store.exchange_question(qid).await.expect("read").expect("q");
    assert!(row.approved_since && row.state == "correcting");
    // Published again: a revision of the value.
    let again = store.publish_submissions(campaign, &[s.id], &Actor::system()).await.expect("publish").expect("published again");
    assert_ne!(again.import_id, published.import_id);

    // Closing; a closed question takes no more comments.
    store.add_exchange_comment(qid, user, Some(b), "close", "", Some("closed"), &who("user:jst-b")).await.expect("close");
    conflict(store.add_exchange_comment(qid, user, None, "comment", "x", None, &koord).await, "comment on a closed question");
    conflict(store.start_exchange_correction(qid, user, "x", "y", &koord).await, "correct a closed question");
    assert_eq!(audit_of(&store, "exchange.close").await.len(), 1);

    // Without a campaign covering the unit there is nothing to reopen: refused.
    let plain = new_cycle(&store, user).await;
    store.exchange_admit(plain, a, 0, 8, &koord).await.expect("admit");
    let q2 = store.add_exchange_question(&NewQuestion { cycle_id: plain, asked_by_unit_id: None, ..q.clone() }, &koord).await.expect("ask");
    conflict(store.start_exchange_correction(q2, user, "x", "y", &koord).await, "no campaign");
    assert_eq!(store.exchange_questions(plain).await.expect("list").len(), 1);
    assert_eq!(store.exchange_comments(plain, None).await.expect("comments").len(), 1);
}

#[tokio::test]
async fn a_question_reopens_a_published_submission_and_reads_corrected_after_approval() {
    on_both!("t_exchange_", questions_and_reopen, store only);
}
