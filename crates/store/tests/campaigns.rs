//! Campaign storage on SQLite and PostgreSQL: forms and their versions, saving answers with
//! their audit rows, the state changes checked in SQL (a lost race is a conflict), and
//! publication as one import that two publishers cannot both make.

#[macro_use]
mod support;

use model::{TerytCode, UnitKind};
use store::{Actor, AuditFilter, FieldValue, Link, NewCampaignRow, NewUnit, Store, StoreError, SubmissionState, TerritoryPlan};

fn code(s: &str) -> TerytCode {
    TerytCode::parse(s).expect("code")
}

fn unit(c: &str, name: &str, kind: UnitKind) -> NewUnit {
    NewUnit { code: code(c), name: name.into(), kind, valid_from: None, valid_to: None, historical: false, parent_id: None }
}

/// Two gminy and a variable; returns (gmina a, gmina b, variable id).
async fn setup(store: &Store) -> (i64, i64, i64) {
    let plan = TerritoryPlan {
        state_date: model::parse_date("2024-01-01").expect("date"),
        file: "test".into(),
        rows_read: 4,
        closures: vec![],
        code_changes: vec![],
        renames: vec![],
        new_units: vec![
            unit("PL", "Polska", UnitKind::Kraj),
            unit("02", "DOLNOŚLĄSKIE", UnitKind::Wojewodztwo),
            unit("0201", "bolesławiecki", UnitKind::Powiat),
            unit("0201011", "Bolesławiec", UnitKind::GminaMiejska),
            unit("0201022", "Bolesławiec", UnitKind::GminaWiejska),
        ],
        links: vec![
            Link { code: code("02"), parent: Some(code("PL")), same_jst: None },
            Link { code: code("0201"), parent: Some(code("02")), same_jst: None },
            Link { code: code("0201011"), parent: Some(code("0201")), same_jst: None },
            Link { code: code("0201022"), parent: Some(code("0201")), same_jst: None },
        ],
    };
    store.apply_territory(&plan).await.expect("territory");
    let id = |c: &str| {
        let c = code(c);
        async move { store.unit_id_for_code(&c).await.expect("lookup").expect("unit") }
    };
    let (a, b) = (id("0201011").await, id("0201022").await);
    let mut imp = store.begin_observation_import("test", "vars").await.expect("begin");
    let var = imp
        .create_variable(&store::NewVariable {
            code: "uczniowie_sp".into(),
            name_pl: "Uczniowie".into(),
            name_en: None,
            measure_unit: Some("osoba".into()),
            source: Some("ankieta".into()),
            refs: vec![],
        })
        .await
        .expect("variable");
    imp.create_variable(&store::NewVariable {
        code: "oddzialy_sp".into(),
        name_pl: "Oddziały".into(),
        name_en: None,
        measure_unit: Some("szt.".into()),
        source: Some("ankieta".into()),
        refs: vec![],
    })
    .await
    .expect("variable");
    // Last year's value of gmina a, which the publication will revise.
    imp.write(vec![store::ObsRow { variable_id: var, unit_id: a, year: 2025, value: Some(100.0), flag: 0 }]).await.expect("write");
    imp.finish(1, 1, 0).await.expect("finish");
    (a, b, var)
}

fn who(name: &str) -> Actor {
    Actor { name: name.into(), user_id: None, address: Some("192.0.2.1".into()) }
}

fn answer(field: &str, value: Option<f64>, comment: Option<&str>) -> FieldValue {
    FieldValue { field: field.into(), value, raw: None, comment: comment.map(str::to_owned) }
}

async fn campaign(store: &Store, units: Vec<i64>) -> i64 {
    let (form_id, version) = store.add_form("oswiata", "Oświata", "[form]\ncode = \"oswiata\"", &who("user:admin")).await.expect("form");
    assert_eq!(version, 1);
    let (form2, version2) = store.add_form("oswiata", "Oświata 2", "[form]\ncode = \"oswiata\"", &who("user:admin")).await.expect("form again");
    assert_eq!(version2, 2, "a new upload of a code is its next version");
    assert_ne!(form_id, form2);
    assert_eq!(store.latest_form("oswiata").await.expect("latest").map(|f| f.id), Some(form2));
    let row = NewCampaignRow {
        form_id: form2,
        name: "Oświata 2025".into(),
        year: 2025,
        deadline: "2026-03-31".into(),
        publish_on: "2026-06-01".into(),
        unit_ids: units,
    };
    store.add_campaign(&row, &who("user:admin")).await.expect("campaign")
}

async fn audit_of(store: &Store, action: &str) -> Vec<store::AuditRow> {
    store.audit(&AuditFilter { action: Some(action.into()), ..Default::default() }, 1000).await.expect("audit")
}

async fn workflow(store: Store) {
    let (a, b, var) = setup(&store).await;
    let c = campaign(&store, vec![a, b]).await;
    let stored = store.campaign(c).await.expect("read").expect("there");
    assert_eq!((stored.units, stored.form_version, stored.year), (2, 2, 2025));
    assert_eq!(store.campaign_units(c).await.expect("units"), vec![a.min(b), a.max(b)]);
    assert!(store.submission(c, a).await.expect("read").is_none());

    // A draft: two fields, one with text that is not a number.
    let entry = who("user:jan");
    let saved = store
        .save_submission(
            c,
            a,
            &[
                answer("uczniowie_sp", Some(120.0), None),
                FieldValue { field: "oddzialy_sp".into(), value: None, raw: Some("dużo".into()), comment: None },
            ],
            false,
            &entry,
        )
        .await
        .expect("draft");
    assert_eq!(saved.submission.state, SubmissionState::Draft);
    assert_eq!(saved.changed.len(), 2);
    // Saving the same again changes nothing and writes no audit row.
    let again = store.save_submission(c, a, &[answer("uczniowie_sp", Some(120.0), None)], false, &entry).await.expect("same");
    assert!(again.changed.is_empty());
    assert_eq!(audit_of(&store, "value").await.len(), 2);
    // A change: old -> new with the comment.
    store.save_submission(c, a, &[answer("uczniowie_sp", Some(160.0), Some("nowa szkoła"))], true, &entry).await.expect("submit");
    let values = audit_of(&store, "value").await;
    let last = values.iter().find(|r| r.new_value == Some(160.0)).expect("the change is audited");
    assert_eq!((last.old_value, last.comment.as_deref(), last.actor.as_str()), (Some(120.0), Some("nowa szkoła"), "user:jan"));
    assert_eq!(last.year, Some(2025));
    let s = store.submission(c, a).await.expect("read").expect("there");
    assert_eq!(s.state, SubmissionState::Submitted);
    assert!(s.submitted_at.is_some());
    assert_eq!(audit_of(&store, "submit").await.len(), 1);

    // Submitted: the unit can no longer change it.
    let refused = store.save_submission(c, a, &[answer("uczniowie_sp", Some(1.0), None)], false, &entry).await;
    assert!(matches!(refused, Err(StoreError::Conflict(_))), "{refused:?}");
    let kept = store.submission_values(s.id).await.expect("values");
    assert_eq!(kept.iter().find(|v| v.field == "uczniowie_sp").and_then(|v| v.value), Some(160.0));

    // Return with a comment; the unit fixes and submits again.
    let returned = store.return_submission(s.id, "popraw oddziały", &who("user:wera")).await.expect("return");
    assert_eq!((returned.state, returned.return_comment.as_deref()), (SubmissionState::Returned, Some("popraw oddziały")));
    let fixed = FieldValue { field: "oddzialy_sp".into(), value: Some(7.0), raw: None, comment: None };
    store.save_submission(c, a, &[fixed], true, &entry).await.expect("resubmit");

    // Two verifiers at once: exactly one approval wins, the other is a conflict.
    let (wera, olek) = (who("user:wera"), who("user:olek"));
    let (x, y) = tokio::join!(store.approve_submission(s.id, &wera), store.approve_submission(s.id, &olek));
    assert_eq!(x.is_ok() as u8 + y.is_ok() as u8, 1, "{x:?} {y:?}");
    assert!(matches!(x.as_ref().err().or(y.as_ref().err()), Some(StoreError::Conflict(_))));
    assert_eq!(audit_of(&store, "approve").await.len(), 1);
    // Nor can it be returned or withdrawn now.
    assert!(matches!(store.return_submission(s.id, "x", &who("user:olek")).await, Err(StoreError::Conflict(_))));
    assert!(matches!(store.withdraw_submission(s.id, &who("user:jan")).await, Err(StoreError::Conflict(_))));

    // Pending: approved, not published; the public observation is still last year's import.
    let pending = store.pending_values().await.expect("pending");
    assert_eq!(pending.len(), 2, "{pending:?}");
    assert!(pending.iter().any(|p| p.variable_code == "uczniowie_sp" && p.value == 160.0 && p.year == 2025 && p.unit_id == a));
    assert_eq!(store.observation(var, a, 2025).await.expect("obs").map(|o| o.0), Some(Some(100.0)));
    assert!(store.due_submissions("2026-05-31").await.expect("due").is_empty());
    assert_eq!(store.due_submissions("2026-06-01").await.expect("due"), vec![(c, s.id)]);

    // Two publishers at once: one import takes the submission, the other finds nothing.
    let sys = Actor::system();
    let ids = [s.id];
    let (p, q) = tokio::join!(store.publish_submissions(c, &ids, &sys), store.publish_submissions(c, &ids, &sys));
    let (p, q) = (p.expect("publish"), q.expect("publish"));
    let publication = match (p, q) {
        (Some(x), None) | (None, Some(x)) => x,
        other => panic!("exactly one publication expected: {other:?}"),
    };
    assert_eq!(publication.submissions, vec![s.id]);
    assert_eq!(publication.values, 2);
    let history = store.history(a, var).await.expect("history");
    assert_eq!(history.iter().filter(|h| h.year == 2025).count(), 2, "the old value is kept as a revision");
    assert_eq!(store.observation(var, a, 2025).await.expect("obs").map(|o| o.0), Some(Some(160.0)));
    let published = store.submission(c, a).await.expect("read").expect("there");
    assert_eq!(published.import_id, Some(publication.import_id));
    assert!(store.pending_values().await.expect("pending").is_empty());
    assert!(store.due_submissions("2030-01-01").await.expect("due").is_empty());
    let rows = audit_of(&store, "publish").await;
    let row = rows.iter().find(|r| r.variable_code.as_deref() == Some("uczniowie_sp")).expect("publish row");
    assert_eq!((row.old_value, row.new_value, row.import_id), (Some(100.0), Some(160.0), Some(publication.import_id)));
    let import = store.imports(10).await.expect("imports").into_iter().find(|i| i.id == publication.import_id).expect("import");
    assert_eq!((import.source.as_str(), import.file.as_deref()), ("ankieta", Some(format!("ankieta:{c}").as_str())));

    // The dashboard: a published, b not started.
    let status = store.campaign_status(c).await.expect("status");
    assert_eq!(status.len(), 2);
    let sa = status.iter().find(|r| r.unit_id == a).expect("a");
    assert_eq!((sa.state, sa.import_id), (Some(SubmissionState::Approved), Some(publication.import_id)));
    assert!(status.iter().find(|r| r.unit_id == b).expect("b").state.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_workflow() {
    on_both!("t_", workflow, store only);
}

async fn withdraw_and_unknown(store: Store) {
    let (a, _, _) = setup(&store).await;
    let c = campaign(&store, vec![a]).await;
    let jan = who("user:jan");
    let s = store.save_submission(c, a, &[answer("nieznana", Some(5.0), None)], true, &jan).await.expect("submit").submission;
    let back = store.withdraw_submission(s.id, &jan).await.expect("withdraw");
    assert_eq!(back.state, SubmissionState::Draft);
    assert_eq!(audit_of(&store, "withdraw").await.len(), 1);
    store.save_submission(c, a, &[], true, &jan).await.expect("submit again");
    store.approve_submission(s.id, &who("user:wera")).await.expect("approve");
    // A field naming no variable: the publication is refused whole and nothing changes.
    let before = store.count("import_log").await.expect("count");
    let refused = store.publish_submissions(c, &[s.id], &Actor::system()).await;
    assert!(matches!(refused, Err(StoreError::Invalid(ref m)) if m.contains("nieznana")), "{refused:?}");
    assert_eq!(store.count("import_log").await.expect("count"), before);
    assert_eq!(store.submission(c, a).await.expect("read").expect("there").import_id, None);
    assert_eq!(store.pending_values().await.expect("pending").len(), 1);
}

#[tokio::test]
async fn withdraw_and_refused_publication() {
    on_both!("t_", withdraw_and_unknown, store only);
}
