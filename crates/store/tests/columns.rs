//! The columnar records of observations (migration 0008) on SQLite and PostgreSQL: every
//! write of observations — an import, a revision, a revert — leaves them current with the
//! rows in the same commit; a stale record is never read (the rows are), and is rebuilt.

#[macro_use]
mod support;

use model::{TerytCode, UnitKind};
use store::columns::ColumnView;
use store::{NewUnit, NewVariable, ObsRow, Store};

type Cells = Vec<(i64, i64, Option<f64>, i64)>;

/// Every variable's cells as the columnar reader gives them, and how many came from rows.
async fn read_all(store: &Store, ids: &[i64]) -> (Vec<(i64, Cells)>, usize) {
    let mut reader = store.read_observations(ids).await.expect("reader");
    let from_rows = reader.from_rows();
    let mut out = Vec::new();
    while let Some((id, data)) = reader.next().await.expect("next") {
        let view = ColumnView::new(&data).expect("a record");
        out.push((id, view.iter().map(|(u, y, v, f)| (i64::from(u), i64::from(y), v, i64::from(f))).collect()));
    }
    out.sort_by_key(|c| c.0);
    (out, from_rows)
}

/// The same cells read row by row.
async fn rows(store: &Store, ids: &[i64]) -> Vec<(i64, Cells)> {
    let mut out = Vec::new();
    for &id in ids {
        out.push((id, store.variable_values_flagged(id).await.expect("rows")));
    }
    out.sort_by_key(|c| c.0);
    out
}

async fn setup(store: &Store) -> (Vec<i64>, Vec<i64>) {
    let mut import = store.begin_observation_import("test", "setup.csv").await.expect("import");
    let mut units = Vec::new();
    for (code, name) in [("0201011", "Bolesławiec"), ("0201022", "Gromadka"), ("0202011", "Bogatynia")] {
        let u = NewUnit {
            code: TerytCode::parse(code).expect("code"),
            name: name.into(),
            kind: if code.ends_with('1') { UnitKind::GminaMiejska } else { UnitKind::GminaWiejska },
            valid_from: None,
            valid_to: None,
            historical: false,
            parent_id: None,
        };
        units.push(import.create_unit(&u).await.expect("unit"));
    }
    let mut vars = Vec::new();
    for code in ["ludnosc", "szkoly"] {
        let v = NewVariable { code: code.into(), name_pl: code.into(), name_en: None, measure_unit: None, source: None, refs: Vec::new() };
        vars.push(import.create_variable(&v).await.expect("variable"));
    }
    let mut batch = Vec::new();
    for (i, &u) in units.iter().enumerate() {
        for year in 2020..=2023 {
            batch.push(ObsRow { variable_id: vars[0], unit_id: u, year, value: Some(1000.0 * (i as f64 + 1.0) + year as f64), flag: 0 });
        }
        // One confidential cell without a value (flag 3), one estimated.
        batch.push(ObsRow { variable_id: vars[1], unit_id: u, year: 2022, value: None, flag: 3 });
        batch.push(ObsRow { variable_id: vars[1], unit_id: u, year: 2023, value: Some(i as f64 + 0.5), flag: 1 });
    }
    import.write(batch).await.expect("write");
    import.finish(14, 14, 0).await.expect("finish");
    (units, vars)
}

async fn records_follow_every_write(store: Store, raw: support::Raw) {
    let (units, vars) = setup(&store).await;
    let (read, from_rows) = read_all(&store, &vars).await;
    assert_eq!(from_rows, 0, "an import leaves fresh records");
    assert_eq!(read, rows(&store, &vars).await);
    assert_eq!(read[0].1.len(), 12);
    let mut r2 = store.read_observations(&vars).await.expect("reader");
    assert_eq!(r2.year_range(), Some((2020, 2023)));
    while r2.next().await.expect("next").is_some() {}

    // A revision of one value: the record has the new value, the old one is history.
    let mut import = store.begin_observation_import("test", "fix.csv").await.expect("import");
    import.write(vec![ObsRow { variable_id: vars[0], unit_id: units[1], year: 2021, value: Some(7.0), flag: 0 }]).await.expect("write");
    let counts = import.finish(1, 1, 0).await.expect("finish");
    assert_eq!(counts.changed, 1);
    let (read, from_rows) = read_all(&store, &vars).await;
    assert_eq!(from_rows, 0);
    assert!(read[0].1.contains(&(units[1], 2021, Some(7.0), 0)), "the record holds the revision");
    assert_eq!(read, rows(&store, &vars).await);

    // Reverting that import restores the value in the record too.
    store.revert_import(counts.import_id, Some("test")).await.expect("revert");
    let (read, from_rows) = read_all(&store, &vars).await;
    assert_eq!(from_rows, 0, "a revert leaves fresh records");
    assert!(read[0].1.contains(&(units[1], 2021, Some(2000.0 + 2021.0), 0)), "the record holds the restored value");
    assert_eq!(read, rows(&store, &vars).await);

    // A record whose stamp no longer matches is not read: the rows are, and it is rebuilt.
    raw.exec(&format!("UPDATE observation_column SET data = data WHERE variable_id = {}", vars[1])).await.expect("statement");
    raw.exec(&format!("UPDATE variable SET data_stamp = data_stamp + 1 WHERE id = {}", vars[1])).await.expect("statement");
    let (read, from_rows) = read_all(&store, &vars).await;
    assert_eq!(from_rows, 1, "the stale record is skipped");
    assert_eq!(read, rows(&store, &vars).await);
    assert_eq!(store.rebuild_stale_columns().await.expect("rebuild"), 1);
    assert_eq!(store.rebuild_stale_columns().await.expect("rebuild again"), 0);
    let (read, from_rows) = read_all(&store, &vars).await;
    assert_eq!(from_rows, 0);
    assert_eq!(read, rows(&store, &vars).await);

    // A database from before the records (none at all): read from rows, then rebuilt.
    raw.exec("DELETE FROM observation_column").await.expect("statement");
    let (read, from_rows) = read_all(&store, &vars).await;
    assert_eq!(from_rows, 2);
    assert_eq!(read, rows(&store, &vars).await);
    assert_eq!(store.rebuild_stale_columns().await.expect("rebuild"), 2);
}

#[tokio::test]
async fn records_follow_every_write_on_both_backends() {
    on_both!("t_columns_", records_follow_every_write);
}

async fn an_abandoned_import_leaves_the_records_alone(store: Store, _raw: support::Raw) {
    let (units, vars) = setup(&store).await;
    let before = read_all(&store, &vars).await;
    let mut import = store.begin_observation_import("test", "broken.csv").await.expect("import");
    import.write(vec![ObsRow { variable_id: vars[0], unit_id: units[0], year: 2020, value: Some(-1.0), flag: 0 }]).await.expect("write");
    import.abandon().await.expect("abandon");
    assert_eq!(read_all(&store, &vars).await, before);
}

#[tokio::test]
async fn an_abandoned_import_leaves_the_records_alone_on_both_backends() {
    on_both!("t_columns_", an_abandoned_import_leaves_the_records_alone);
}
