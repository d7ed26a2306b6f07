//! The audit log's stories on SQLite and PostgreSQL: the actor of every import, the `import`
//! audit rows written in the import's transaction, the audit query and its filters, and
//! reverting an import. PostgreSQL runs when `MIERNIK_TEST_POSTGRES` names a server.

#[macro_use]
mod support;

use model::{Date, TerytCode, UnitKind};
use store::{Actor, AuditEntry, AuditFilter, Link, NewUnit, ObsRow, Store, TerritoryPlan};

fn date(s: &str) -> Date {
    model::parse_date(s).expect("date")
}

fn code(s: &str) -> TerytCode {
    TerytCode::parse(s).expect("code")
}

fn new_unit(c: &str, name: &str, kind: UnitKind) -> NewUnit {
    NewUnit { code: code(c), name: name.into(), kind, valid_from: None, valid_to: None, historical: false, parent_id: None }
}

fn plan() -> TerritoryPlan {
    TerritoryPlan {
        state_date: date("2024-01-01"),
        file: "terc.csv".into(),
        rows_read: 4,
        closures: vec![],
        code_changes: vec![],
        renames: vec![],
        new_units: vec![
            new_unit("PL", "Polska", UnitKind::Kraj),
            new_unit("02", "DOLNOŚLĄSKIE", UnitKind::Wojewodztwo),
            new_unit("0201011", "Bolesławiec", UnitKind::GminaMiejska),
            new_unit("0201022", "Gromadka", UnitKind::GminaWiejska),
        ],
        links: vec![
            Link { code: code("02"), parent: Some(code("PL")), same_jst: None },
            Link { code: code("0201011"), parent: Some(code("02")), same_jst: None },
            Link { code: code("0201022"), parent: Some(code("02")), same_jst: None },
        ],
    }
}

/// Units and one variable, written as `setup`: (gmina A, gmina B, variable).
async fn setup(store: &Store) -> (i64, i64, i64) {
    let store = store.acting_as(Actor::named("setup"));
    store.apply_territory(&plan()).await.expect("territory");
    let units = store.units().await.expect("units");
    let id = |c: &str| units.iter().find(|u| u.code.as_str() == c).expect("unit").id;
    let mut imp = store.begin_observation_import("test", "vars").await.expect("begin");
    let var = imp
        .create_variable(&store::NewVariable {
            code: "ludnosc".into(),
            name_pl: "Ludność".into(),
            name_en: None,
            measure_unit: Some("osoba".into()),
            source: None,
            refs: vec![],
        })
        .await
        .expect("variable");
    imp.finish(0, 0, 0).await.expect("finish");
    (id("0201011"), id("0201022"), var)
}

fn row(var: i64, unit: i64, year: i64, value: f64) -> ObsRow {
    ObsRow { variable_id: var, unit_id: unit, year, value: Some(value), flag: 0 }
}

async fn import(store: &Store, file: &str, rows: Vec<ObsRow>) -> i64 {
    let n = rows.len() as u64;
    let mut imp = store.begin_observation_import("file", file).await.expect("begin");
    imp.write(rows).await.expect("write");
    imp.finish(n, n, 0).await.expect("finish").import_id
}

async fn all(store: &Store, filter: AuditFilter) -> Vec<store::AuditRow> {
    store.audit(&filter, 1000).await.expect("audit")
}

async fn every_import_records_its_actor_and_one_audit_row(store: Store) {
    // A handle never given an actor writes as `unknown`.
    store.save_group("g1", "Grupa", None, &[], "cli").await.expect("group");
    let first = store.imports(1).await.expect("log");
    assert_eq!(first[0].actor.as_deref(), Some("unknown"));

    let (a, b, var) = setup(&store).await;
    let ola = store.acting_as(Actor { name: "cli:ola as Jan".into(), user_id: None, address: None });
    assert_eq!(ola.actor().name, "cli:ola as Jan");
    assert_eq!(store.actor().name, "unknown", "acting_as leaves the original handle as it was");
    let id = import(&ola, "dane.csv", vec![row(var, a, 2020, 10.0), row(var, b, 2020, 20.0)]).await;
    let log = store.imports(10).await.expect("log");
    let mine = log.iter().find(|i| i.id == id).expect("import logged");
    assert_eq!(mine.actor.as_deref(), Some("cli:ola as Jan"));
    assert!(log.iter().filter(|i| i.id != id && i.id != first[0].id).all(|i| i.actor.as_deref() == Some("setup")), "{log:?}");

    // One `import` audit row per import (territory, variables, group, the file), each with
    // its actor and counts.
    let rows = all(&store, AuditFilter { action: Some("import".into()), ..Default::default() }).await;
    assert_eq!(rows.len(), log.len(), "one audit row per import: {rows:?}");
    let entry = rows.iter().find(|r| r.import_id == Some(id)).expect("audit row of the import");
    assert_eq!(entry.actor, "cli:ola as Jan");
    let detail = entry.detail.as_deref().unwrap_or_default();
    assert!(detail.contains("dane.csv") && detail.contains("inserted 2"), "{detail}");
    assert_eq!(entry.at, mine.finished_at, "the audit row is stamped as the import finished");
    assert!(rows.iter().any(|r| r.detail.as_deref().is_some_and(|d| d.starts_with("units teryt terc.csv"))), "{rows:?}");
    // Newest first.
    assert!(rows.windows(2).all(|w| w[0].at >= w[1].at), "{rows:?}");

    // An import that wrote nothing still leaves its row; an abandoned one leaves none.
    let before = all(&store, AuditFilter::default()).await.len();
    import(&ola, "pusty.csv", vec![]).await;
    assert_eq!(all(&store, AuditFilter::default()).await.len(), before + 1);
    let mut imp = ola.begin_observation_import("file", "porzucony.csv").await.expect("begin");
    imp.write(vec![row(var, a, 2021, 1.0)]).await.expect("write");
    imp.abandon().await.expect("abandon");
    let mut imp = ola.begin_observation_import("file", "zly.csv").await.expect("begin");
    let _ = imp.write(vec![row(var, a, 2022, 1.0), row(var, a, 2022, 2.0)]).await;
    assert!(imp.finish(2, 2, 0).await.is_err(), "a conflicting duplicate fails the import");
    assert_eq!(all(&store, AuditFilter::default()).await.len(), before + 1, "rolled back imports leave no audit row");
}

#[tokio::test]
async fn actor_on_imports_on_both_backends() {
    on_both!("t_", every_import_records_its_actor_and_one_audit_row, store only);
}

async fn the_audit_query_filters_pages_and_expands_a_unit(store: Store) {
    let (a, b, var) = setup(&store).await;
    let ola = store.acting_as(Actor::named("cli:ola as Jan"));
    let jan = store.acting_as(Actor { name: "user:jan".into(), user_id: Some(7), address: Some("10.0.0.1".into()) });
    let first = import(&ola, "a.csv", vec![row(var, a, 2020, 10.0), row(var, b, 2020, 20.0)]).await;
    let second = import(&jan, "b.csv", vec![row(var, a, 2020, 11.0), row(var, a, 2021, 12.0)]).await;
    let value = AuditEntry {
        action: "value".into(),
        unit_id: Some(b),
        variable_code: Some("ludnosc".into()),
        year: Some(2021),
        old_value: None,
        new_value: Some(5.0),
        comment: Some("z ankiety".into()),
        submission_id: Some(3),
        ..Default::default()
    };
    let vid = store.audit_append(jan.actor(), &value).await.expect("append");

    // By user: the login, the `--as` name, or the stored name.
    let by_jan = all(&store, AuditFilter { user: Some("jan".into()), ..Default::default() }).await;
    assert_eq!(by_jan.iter().map(|r| r.id).collect::<Vec<_>>().len(), 2, "{by_jan:?}");
    assert!(by_jan.iter().all(|r| r.actor == "user:jan"));
    let v = by_jan.iter().find(|r| r.id == Some(vid)).expect("value row");
    assert_eq!((v.user_id, v.address.as_deref(), v.unit_code.as_deref()), (Some(7), Some("10.0.0.1"), Some("0201022")));
    assert_eq!((v.new_value, v.comment.as_deref(), v.submission_id), (Some(5.0), Some("z ankiety"), Some(3)));
    let by_as = all(&store, AuditFilter { user: Some("Jan".into()), ..Default::default() }).await;
    assert_eq!(by_as.len(), 1, "`Jan` is ola's --as name only: {by_as:?}");
    assert_eq!(by_as[0].import_id, Some(first));
    assert!(all(&store, AuditFilter { user: Some("ola".into()), ..Default::default() }).await.is_empty(), "`ola as Jan` is not `cli:ola`");

    // By action, import, time.
    assert_eq!(all(&store, AuditFilter { action: Some("value".into()), ..Default::default() }).await.len(), 1);
    let by_import = all(&store, AuditFilter { import_id: Some(second), ..Default::default() }).await;
    assert_eq!(by_import.len(), 1);
    assert_eq!(by_import[0].actor, "user:jan");
    assert!(all(&store, AuditFilter { since: Some("2999-01-01".into()), ..Default::default() }).await.is_empty());
    let since = all(&store, AuditFilter { since: Some(by_import[0].at.clone()), ..Default::default() }).await;
    assert_eq!(since.len(), 2, "the second import and the value row: {since:?}");

    // A unit: its own rows and every value change of the imports that touched it, old → new.
    let unit_rows = all(&store, AuditFilter { unit_id: Some(a), ..Default::default() }).await;
    let changes: Vec<_> = unit_rows.iter().map(|r| (r.import_id, r.year, r.old_value, r.new_value, r.actor.as_str())).collect();
    assert_eq!(
        changes,
        vec![
            (Some(second), Some(2021), None, Some(12.0), "user:jan"),
            (Some(second), Some(2020), Some(10.0), Some(11.0), "user:jan"),
            (Some(first), Some(2020), None, Some(10.0), "cli:ola as Jan"),
        ]
    );
    assert!(unit_rows.iter().all(|r| r.id.is_none() && r.unit_code.as_deref() == Some("0201011") && r.variable_code.as_deref() == Some("ludnosc")));
    let b_rows = all(&store, AuditFilter { unit_id: Some(b), ..Default::default() }).await;
    assert_eq!(b_rows.len(), 2, "the value row and the first import's insert: {b_rows:?}");
    assert_eq!(b_rows[0].id, Some(vid), "newest first");
    let by_user_unit = all(&store, AuditFilter { unit_id: Some(a), user: Some("Jan".into()), ..Default::default() }).await;
    assert_eq!(by_user_unit.len(), 1);
    assert!(all(&store, AuditFilter { unit_id: Some(a), action: Some("value".into()), ..Default::default() }).await.is_empty());

    // Pages of 2 walk the whole list once, through the text form of the cursor.
    for filter in
        [AuditFilter::default(), AuditFilter { unit_id: Some(a), ..Default::default() }, AuditFilter { unit_id: Some(b), ..Default::default() }]
    {
        let whole = store.audit(&filter, 1000).await.expect("audit");
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let page = store.audit(&AuditFilter { after: after.clone(), ..filter.clone() }, 2).await.expect("page");
            assert!(page.len() <= 2);
            let Some(last) = page.last() else { break };
            let text = last.cursor().to_string();
            after = Some(text.parse().expect("cursor parses"));
            paged.extend(page);
        }
        assert_eq!(paged, whole);
    }
    assert!("nonsense".parse::<store::AuditCursor>().is_err());
}

#[tokio::test]
async fn audit_query_on_both_backends() {
    on_both!("t_", the_audit_query_filters_pages_and_expands_a_unit, store only);
}

async fn a_revert_restores_values_as_a_new_audited_import(store: Store) {
    let (a, b, var) = setup(&store).await;
    let ola = store.acting_as(Actor::named("cli:ola"));
    let first = import(&ola, "a.csv", vec![row(var, a, 2020, 10.0), row(var, b, 2020, 20.0)]).await;
    // The second changes a 2020 and b 2020, and inserts a 2021.
    let second = import(&ola, "b.csv", vec![row(var, a, 2020, 11.0), row(var, b, 2020, 21.0), row(var, a, 2021, 12.0)]).await;
    // A third changes b 2020 again: reverting the second leaves it alone.
    let third = import(&ola, "c.csv", vec![row(var, b, 2020, 22.0)]).await;

    let admin = store.acting_as(Actor::named("cli:root as Admin"));
    let out = admin.revert_import(second, Some("zły plik")).await.expect("revert");
    assert_eq!((out.reverted, out.restored, out.cleared), (second, 1, 1));
    assert_eq!(out.conflicts.len(), 1);
    let c = &out.conflicts[0];
    assert_eq!((c.unit_code.as_str(), c.year, c.reverted_value, c.current_value, c.current_import), ("0201022", 2020, Some(21.0), Some(22.0), third));
    assert_eq!(store.observation(var, a, 2020).await.expect("read"), Some((Some(10.0), 0)), "changed: the old value is back");
    let missing = i64::from(model::Flag::Missing.to_i16());
    assert_eq!(store.observation(var, a, 2021).await.expect("read"), Some((None, missing)), "inserted: now missing");
    assert_eq!(store.observation(var, b, 2020).await.expect("read"), Some((Some(22.0), 0)), "the conflict is left alone");

    // The revert is an import of its own, its values revisions with the history kept.
    let log = store.imports(1).await.expect("log");
    assert_eq!((log[0].id, log[0].source.as_str(), log[0].file.as_deref()), (out.import_id, "revert", Some(format!("revert:{second}").as_str())));
    assert_eq!(log[0].actor.as_deref(), Some("cli:root as Admin"));
    assert_eq!(log[0].counts.changed, 2);
    let hist = store.history(a, var).await.expect("history");
    let a2020: Vec<_> = hist.iter().filter(|h| h.year == 2020).map(|h| (h.value, h.import_id)).collect();
    assert_eq!(a2020, vec![(Some(10.0), first), (Some(11.0), second), (Some(10.0), out.import_id)]);
    let changes = store.changes_since(&log[0].finished_at, None, 100).await.expect("changes");
    assert_eq!(changes.len(), 2, "the changes feed sees the revert: {changes:?}");

    // Audited: one revert row with the comment, and the new import's row.
    let reverts = all(&store, AuditFilter { action: Some("revert".into()), ..Default::default() }).await;
    let r = reverts.iter().find(|r| r.id.is_some()).expect("the revert row");
    assert_eq!((r.import_id, r.comment.as_deref(), r.actor.as_str()), (Some(second), Some("zły plik"), "cli:root as Admin"));
    assert!(r.detail.as_deref().is_some_and(|d| d.contains(&format!("import {}", out.import_id)) && d.contains("conflicts 1")));
    assert_eq!(all(&store, AuditFilter { import_id: Some(out.import_id), ..Default::default() }).await.len(), 1);
    // The unit's list names the revert and its old → new.
    let unit_rows = all(&store, AuditFilter { unit_id: Some(a), action: Some("revert".into()), ..Default::default() }).await;
    let mut seen: Vec<_> = unit_rows.iter().map(|r| (r.year, r.old_value, r.new_value)).collect();
    seen.sort_by_key(|s| s.0);
    assert_eq!(seen, vec![(Some(2020), Some(11.0), Some(10.0)), (Some(2021), Some(12.0), None)]);

    // Refused, writing nothing: an unknown import, one with no observations, one with
    // nothing left to revert.
    let before = store.imports(100).await.expect("log").len();
    let audit_before = all(&store, AuditFilter::default()).await.len();
    let e = admin.revert_import(999_999, None).await.expect_err("unknown");
    assert!(e.to_string().contains("999999"), "{e}");
    let territory = store.imports(100).await.expect("log").into_iter().find(|i| i.kind == "units").expect("territory import").id;
    let e = admin.revert_import(territory, None).await.expect_err("no observations");
    assert!(e.to_string().contains("wrote no observations"), "{e}");
    let again = admin.revert_import(out.import_id, None).await.expect("a revert can be reverted");
    assert_eq!(store.observation(var, a, 2020).await.expect("read"), Some((Some(11.0), 0)));
    let e = admin.revert_import(third, None).await;
    assert!(e.is_ok(), "the third's value is still current: {e:?}");
    let e = admin.revert_import(first, None).await.expect_err("everything of the first was changed later");
    assert!(e.to_string().contains("nothing to revert"), "{e}");
    assert_eq!(store.imports(100).await.expect("log").len(), before + 2, "only the two reverts that went through");
    assert_eq!(all(&store, AuditFilter::default()).await.len(), audit_before + 4);
    let _ = again;
}

#[tokio::test]
async fn revert_on_both_backends() {
    on_both!("t_", a_revert_restores_values_as_a_new_audited_import, store only);
}
