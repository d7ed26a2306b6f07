//! The store's stories, run on SQLite and on PostgreSQL. PostgreSQL runs when
//! `MIERNIK_TEST_POSTGRES` names a server (`.ci/run` always sets it, so CI cannot skip it).

#[macro_use]
mod support;

use model::{Date, TerytCode, UnitKind};
use store::{Link, NewBoundary, NewUnit, ObsRow, Store, StoreError, TerritoryPlan};

mod catalogue_refs;

fn date(s: &str) -> Date {
    model::parse_date(s).expect("date")
}

fn code(s: &str) -> TerytCode {
    TerytCode::parse(s).expect("code")
}

fn new_unit(c: &str, name: &str, kind: UnitKind) -> NewUnit {
    NewUnit { code: code(c), name: name.into(), kind, valid_from: None, valid_to: None, historical: false, parent_id: None }
}

fn small_plan(state: &str) -> TerritoryPlan {
    TerritoryPlan {
        state_date: date(state),
        file: "test".into(),
        rows_read: 3,
        closures: vec![],
        code_changes: vec![],
        renames: vec![],
        new_units: vec![
            new_unit("PL", "Polska", UnitKind::Kraj),
            new_unit("02", "DOLNOŚLĄSKIE", UnitKind::Wojewodztwo),
            new_unit("0201", "bolesławiecki", UnitKind::Powiat),
            new_unit("0201011", "Bolesławiec", UnitKind::GminaMiejska),
        ],
        links: vec![
            Link { code: code("02"), parent: Some(code("PL")), same_jst: None },
            Link { code: code("0201"), parent: Some(code("02")), same_jst: None },
            Link { code: code("0201011"), parent: Some(code("0201")), same_jst: None },
        ],
    }
}

async fn setup(store: &Store) -> (i64, i64) {
    store.apply_territory(&small_plan("2024-01-01")).await.expect("territory");
    let units = store.units().await.expect("units");
    let gmina = units.iter().find(|u| u.code.as_str() == "0201011").expect("gmina").id;
    let mut imp = store.begin_observation_import("test", "vars").await.expect("begin");
    let var = imp
        .create_variable(&store::NewVariable {
            code: "ludnosc".into(),
            name_pl: "Ludność".into(),
            name_en: None,
            measure_unit: Some("osoba".into()),
            source: None,
            refs: vec![("bdl_subgroup".into(), "P2137".into())],
        })
        .await
        .expect("variable");
    imp.finish(0, 0, 0).await.expect("finish");
    (gmina, var)
}

fn row(var: i64, unit: i64, year: i64, value: f64) -> ObsRow {
    ObsRow { variable_id: var, unit_id: unit, year, value: Some(value), flag: 0 }
}

async fn a_changed_value_makes_a_revision_and_keeps_the_old_one(store: Store) {
    let (unit, var) = setup(&store).await;
    let rows = vec![row(var, unit, 2020, 100.0), row(var, unit, 2021, 101.0)];

    let mut imp = store.begin_observation_import("file", "a.csv").await.expect("begin");
    imp.write(rows.clone()).await.expect("write");
    let c = imp.finish(2, 2, 0).await.expect("finish");
    assert_eq!((c.inserted, c.changed, c.unchanged), (2, 0, 0));

    let mut imp = store.begin_observation_import("file", "a.csv").await.expect("begin");
    imp.write(rows.clone()).await.expect("write");
    let c = imp.finish(2, 2, 0).await.expect("finish");
    assert_eq!((c.inserted, c.changed, c.unchanged), (0, 0, 2), "re-import changes nothing");

    let mut imp = store.begin_observation_import("file", "b.csv").await.expect("begin");
    imp.write([row(var, unit, 2020, 99.5), row(var, unit, 2022, 103.0)].to_vec()).await.expect("write");
    let c = imp.finish(2, 2, 0).await.expect("finish");
    assert_eq!((c.inserted, c.changed, c.unchanged), (1, 1, 0));

    assert_eq!(store.observation(var, unit, 2020).await.expect("read"), Some((Some(99.5), 0)));
    let hist = store.history(unit, var).await.expect("history");
    let y2020: Vec<_> = hist.iter().filter(|h| h.year == 2020).collect();
    assert_eq!(y2020.len(), 2, "old and new value both kept: {hist:?}");
    assert_eq!(y2020[0].value, Some(100.0));
    assert!(y2020[0].superseded_by.is_some());
    assert_eq!(y2020[0].file.as_deref(), Some("a.csv"));
    assert_eq!(y2020[1].value, Some(99.5));
    assert_eq!(y2020[1].superseded_by, None);
    assert_eq!(store.count("observation_history").await.expect("count"), 1);

    let changes = store.changes_since("2000-01-01", None, 100).await.expect("changes");
    let c2020 = changes.iter().find(|c| c.year == 2020).expect("2020 changed");
    assert_eq!(c2020.new_value, Some(99.5));
    assert_eq!(c2020.old_value, None, "before every import there was no value");
    assert_eq!(changes.len(), 3, "2020, 2021, 2022: {changes:?}");
    // Since the last import: only what it changed, with the value it replaced.
    let last = store.imports(1).await.expect("log")[0].finished_at.clone();
    let recent = store.changes_since(&last, None, 100).await.expect("changes");
    let years: Vec<i64> = recent.iter().map(|c| c.year).collect();
    assert_eq!(years, vec![2020, 2022]);
    assert_eq!((recent[0].old_value, recent[0].new_value), (Some(100.0), Some(99.5)));
    assert_eq!(recent[1].old_value, None, "2022 is new");
    let future = store.changes_since("2999-01-01", None, 100).await.expect("changes");
    assert!(future.is_empty());
}

async fn a_flag_change_alone_is_a_revision(store: Store) {
    let (unit, var) = setup(&store).await;
    let mut imp = store.begin_observation_import("file", "a").await.expect("begin");
    imp.write([row(var, unit, 2020, 5.0)].to_vec()).await.expect("write");
    imp.finish(1, 1, 0).await.expect("finish");
    let mut imp = store.begin_observation_import("file", "b").await.expect("begin");
    imp.write([ObsRow { flag: 1, ..row(var, unit, 2020, 5.0) }].to_vec()).await.expect("write");
    let c = imp.finish(1, 1, 0).await.expect("finish");
    assert_eq!(c.changed, 1);
}

async fn conflicting_duplicates_fail_and_leave_nothing(store: Store) {
    let (unit, var) = setup(&store).await;
    let before = store.count("import_log").await.expect("count");
    let mut imp = store.begin_observation_import("file", "dup.csv").await.expect("begin");
    imp.write(vec![row(var, unit, 2020, 1.0)]).await.expect("first write");
    // Writes are pipelined: the conflict shows at the next call at the latest.
    let err = match imp.write(vec![row(var, unit, 2020, 2.0)]).await {
        Err(e) => {
            imp.abandon().await.expect("rollback");
            e
        }
        Ok(()) => imp.finish(2, 2, 0).await.expect_err("conflict"),
    };
    assert!(matches!(err, StoreError::ConflictingDuplicate), "{err}");
    assert_eq!(store.count("observation").await.expect("count"), 0);
    assert_eq!(store.count("observation_history").await.expect("count"), 0);
    assert_eq!(store.count("import_log").await.expect("count"), before);
}

async fn an_abandoned_import_leaves_the_database_as_it_was(store: Store) {
    let (unit, var) = setup(&store).await;
    let mut imp = store.begin_observation_import("file", "x").await.expect("begin");
    let rows: Vec<ObsRow> = (0..200).map(|i| row(var, unit, 1900 + i, i as f64)).collect();
    imp.write(rows.clone()).await.expect("write");
    drop(imp); // dropped without finish: rolled back
    assert_eq!(store.count("observation").await.expect("count"), 0);
}

async fn territory_states_apply_once_and_in_order(store: Store) {
    let first = store.apply_territory(&small_plan("2024-01-01")).await.expect("first");
    assert_eq!(first.created, 4);
    assert!(!first.already_imported);
    let again = TerritoryPlan { new_units: vec![], ..small_plan("2024-01-01") };
    let out = store.apply_territory(&again).await.expect("again");
    assert!(out.already_imported);
    assert_eq!(store.count("unit").await.expect("count"), 4);
    let older = store.apply_territory(&small_plan("2020-01-01")).await.expect_err("older refused");
    assert!(matches!(older, StoreError::OlderState { .. }), "{older}");
    let units = store.units().await.expect("units");
    let gmina = units.iter().find(|u| u.code.as_str() == "0201011").expect("gmina");
    let powiat = units.iter().find(|u| u.code.as_str() == "0201").expect("powiat");
    assert_eq!(gmina.parent_id, Some(powiat.id));
    let at = store.units_at(date("2025-06-01"), None).await.expect("units at");
    assert_eq!(at.len(), 4);
    let children = store.units_at(date("2025-06-01"), Some(powiat.id)).await.expect("children");
    assert_eq!(children.iter().map(|u| u.code.as_str()).collect::<Vec<_>>(), vec!["0201011"]);
    assert_eq!(store.unit_id_for_code(&code("0201011")).await.expect("lookup"), Some(gmina.id));
    assert_eq!(store.unit_id_for_code(&code("0201022")).await.expect("lookup"), None);
}

fn square(unit_id: i64, x: f64, y: f64) -> NewBoundary {
    let geometry =
        format!(r#"{{"type":"Polygon","coordinates":[[[{x},{y}],[{x1},{y}],[{x1},{y1}],[{x},{y1}],[{x},{y}]]]}}"#, x1 = x + 1.0, y1 = y + 1.0);
    NewBoundary { unit_id, geometry, bbox: [x, y, x + 1.0, y + 1.0] }
}

async fn boundaries_are_replaced_per_source_and_unchanged_ones_keep_their_import(store: Store) {
    store.apply_territory(&small_plan("2024-01-01")).await.expect("territory");
    let units = store.units().await.expect("units");
    let id = |c: &str| units.iter().find(|u| u.code.as_str() == c).expect("unit").id;
    let (woj, powiat, gmina) = (id("02"), id("0201"), id("0201011"));

    let first = store.replace_boundaries("demo", "", &[square(woj, 16.0, 51.0), square(gmina, 16.5, 51.5)]).await.expect("first");
    assert_eq!((first.inserted, first.changed, first.unchanged, first.removed), (2, 0, 0, 0));
    let b = store.boundary(gmina).await.expect("boundary").expect("the gmina has one");
    assert_eq!(b.source, "demo");
    assert_eq!(b.bbox, [16.5, 51.5, 17.5, 52.5]);
    assert!(b.geometry.starts_with(r#"{"type":"Polygon""#), "{}", b.geometry);
    assert_eq!(store.boundary(powiat).await.expect("boundary"), None);

    let again = store.replace_boundaries("demo", "", &[square(woj, 16.0, 51.0), square(gmina, 16.5, 51.5)]).await.expect("again");
    assert_eq!((again.inserted, again.changed, again.unchanged, again.removed), (0, 0, 2, 0));
    assert_eq!(store.boundary(gmina).await.expect("boundary").expect("kept").import_id, first.import_id, "unchanged keeps its import");

    // The gmina moves, the powiat comes, the województwo is gone from the new set.
    let next = store.replace_boundaries("demo", "", &[square(gmina, 16.6, 51.5), square(powiat, 16.2, 51.2)]).await.expect("next");
    assert_eq!((next.inserted, next.changed, next.unchanged, next.removed), (1, 1, 0, 1));
    assert_eq!(store.boundary(woj).await.expect("boundary"), None);
    assert_eq!(store.boundary(gmina).await.expect("boundary").expect("moved").import_id, next.import_id);

    // Another source takes the gmina over and leaves the demo's powiat alone.
    let prg = store.replace_boundaries("prg", "gminy.geojson", &[square(gmina, 16.6, 51.5)]).await.expect("prg");
    assert_eq!((prg.inserted, prg.changed, prg.unchanged, prg.removed), (0, 1, 0, 0));
    let all = store.boundaries().await.expect("all");
    assert_eq!(all.iter().map(|b| (b.unit_id, b.source.as_str())).collect::<Vec<_>>(), {
        let mut v = vec![(powiat, "demo"), (gmina, "prg")];
        v.sort();
        v
    });
    let log = store.imports(1).await.expect("imports");
    assert_eq!((log[0].kind.as_str(), log[0].source.as_str(), log[0].file.as_deref()), ("boundaries", "prg", Some("gminy.geojson")));

    // Refused, with nothing written: a unit twice, a box upside down, a unit that is not there.
    let imports = store.count("import_log").await.expect("count");
    let twice = store.replace_boundaries("x", "", &[square(woj, 0.0, 0.0), square(woj, 1.0, 1.0)]).await.expect_err("twice");
    assert!(twice.to_string().contains("two boundaries"), "{twice}");
    let mut flipped = square(woj, 0.0, 0.0);
    flipped.bbox = [1.0, 0.0, 0.0, 1.0];
    let flipped = store.replace_boundaries("x", "", &[flipped]).await.expect_err("flipped");
    assert!(flipped.to_string().contains("west, south, east, north"), "{flipped}");
    store.replace_boundaries("x", "", &[square(woj, 0.0, 0.0), square(999_999, 0.0, 0.0)]).await.expect_err("no such unit");
    assert_eq!(store.count("import_log").await.expect("count"), imports);
    assert_eq!(store.count("unit_boundary").await.expect("count"), 2);
}

async fn boundaries_and_adjacency_are_replaced_in_one_transaction(store: Store) {
    store.apply_territory(&small_plan("2024-01-01")).await.expect("territory");
    let units = store.units().await.expect("units");
    let id = |c: &str| units.iter().find(|u| u.code.as_str() == c).expect("unit").id;
    let (woj, powiat, gmina) = (id("02"), id("0201"), id("0201011"));

    let (c, n) = store
        .replace_boundaries_and_adjacency(
            "boundaries-gmina",
            "g.geojson",
            &[square(gmina, 16.0, 51.0), square(powiat, 17.0, 51.0)],
            &[(gmina, powiat)],
        )
        .await
        .expect("first");
    assert_eq!((c.inserted, n), (2, 2));
    assert_eq!(store.adjacency().await.expect("adjacency"), {
        let mut v = vec![(gmina, powiat), (powiat, gmina)];
        v.sort();
        v
    });
    // Other sources' adjacency stays; this source's is replaced.
    store.replace_adjacency("demo", &[(woj, gmina)]).await.expect("demo");
    let (_, n) = store
        .replace_boundaries_and_adjacency("boundaries-gmina", "g.geojson", &[square(gmina, 16.0, 51.0), square(woj, 17.0, 51.0)], &[(gmina, woj)])
        .await
        .expect("second");
    assert_eq!(n, 2);
    assert_eq!(store.count("unit_adjacency").await.expect("count"), 2, "the demo's pair and this one coincide");

    // An adjacency that cannot be stored (a unit that is not there) rolls the boundaries back too.
    let before = (store.boundaries().await.expect("b"), store.adjacency().await.expect("a"), store.count("import_log").await.expect("c"));
    store
        .replace_boundaries_and_adjacency("boundaries-gmina", "bad.geojson", &[square(gmina, 5.0, 5.0)], &[(gmina, 999_999)])
        .await
        .expect_err("no such neighbour");
    let after = (store.boundaries().await.expect("b"), store.adjacency().await.expect("a"), store.count("import_log").await.expect("c"));
    assert_eq!(before, after, "nothing of the failed import is left");
}

#[tokio::test]
async fn boundaries_and_adjacency_in_one_transaction_on_both_backends() {
    on_both!("t_", boundaries_and_adjacency_are_replaced_in_one_transaction, store only);
}

#[tokio::test]
async fn revisions_on_both_backends() {
    on_both!("t_", a_changed_value_makes_a_revision_and_keeps_the_old_one, store only);
}

#[tokio::test]
async fn flag_revisions_on_both_backends() {
    on_both!("t_", a_flag_change_alone_is_a_revision, store only);
}

#[tokio::test]
async fn conflicting_duplicates_on_both_backends() {
    on_both!("t_", conflicting_duplicates_fail_and_leave_nothing, store only);
}

#[tokio::test]
async fn abandoned_imports_on_both_backends() {
    on_both!("t_", an_abandoned_import_leaves_the_database_as_it_was, store only);
}

#[tokio::test]
async fn territory_states_on_both_backends() {
    on_both!("t_", territory_states_apply_once_and_in_order, store only);
}

#[tokio::test]
async fn boundaries_on_both_backends() {
    on_both!("t_", boundaries_are_replaced_per_source_and_unchanged_ones_keep_their_import, store only);
}

#[tokio::test]
async fn the_database_itself_refuses_to_delete_an_observation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    let store = Store::open(&url).await.expect("opens");
    let (unit, var) = setup(&store).await;
    let mut imp = store.begin_observation_import("file", "a").await.expect("begin");
    imp.write([row(var, unit, 2020, 5.0)].to_vec()).await.expect("write");
    imp.finish(1, 1, 0).await.expect("finish");
    store.close().await;
    // A careless query from outside Miernik, straight at the file:
    let pool = sqlx::SqlitePool::connect(&url).await.expect("raw connection");
    let err = sqlx::query("DELETE FROM observation").execute(&pool).await.expect_err("trigger refuses");
    assert!(err.to_string().contains("never deleted"), "{err}");
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM observation").fetch_one(&pool).await.expect("count");
    assert_eq!(n, 1);
}

#[tokio::test]
async fn unknown_database_urls_are_refused_with_the_forms_that_work() {
    let err = Store::open("mysql://x").await.expect_err("refused");
    assert!(err.to_string().contains("sqlite:PATH"), "{err}");
    let err = Store::open("sqlite:").await.expect_err("refused");
    assert!(matches!(err, StoreError::BadUrl(_)), "{err}");
}
