//! "What changed since" paged by cursor, on SQLite and on PostgreSQL (when
//! `MIERNIK_TEST_POSTGRES` names a server): paging through the feed with every page size
//! gives every current row exactly once, in the feed's order — across imports, inside one
//! import (all its rows share a timestamp), across two imports with the same timestamp, over
//! imports that left no current row — and an import between two pages neither repeats nor
//! skips a row that it did not change.

#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

#[macro_use]
mod support;

use std::collections::BTreeMap;

use model::{TerytCode, UnitKind};
use store::{Change, ChangeCursor, Link, NewUnit, ObsRow, Store, TerritoryPlan};

const GMINY: [(&str, UnitKind); 4] = [
    ("0201011", UnitKind::GminaMiejska),
    ("0201022", UnitKind::GminaWiejska),
    ("0201032", UnitKind::GminaWiejska),
    ("0201043", UnitKind::GminaMiejskoWiejska),
];

fn code(s: &str) -> TerytCode {
    TerytCode::parse(s).expect("code")
}

fn unit(c: &str, kind: UnitKind) -> NewUnit {
    NewUnit { code: code(c), name: c.into(), kind, valid_from: None, valid_to: None, historical: false, parent_id: None }
}

/// The feed as the test works it out itself: every write, and what it did.
#[derive(Default)]
struct Model {
    /// (variable, unit, year) → (value, import id) of the current value.
    current: BTreeMap<(i64, i64, i64), (f64, i64)>,
    /// Every revision: (key, value, import id), oldest first.
    revisions: Vec<((i64, i64, i64), f64, i64)>,
    units: BTreeMap<i64, String>,
    variables: BTreeMap<i64, String>,
}

/// One expected row of the feed: (import id, variable, unit, year, old value, new value).
type Row = (i64, String, String, i64, Option<f64>, Option<f64>);

impl Model {
    /// The rows of the feed since `since`, in its order, given each import's `finished_at`.
    fn feed(&self, since: &str, finished: &BTreeMap<i64, String>) -> Vec<Row> {
        let at = |import: i64| finished[&import].as_str();
        let mut rows: Vec<(String, i64, i64, i64, i64, f64)> = self
            .current
            .iter()
            .filter(|(_, (_, import))| at(*import) >= since)
            .map(|(&(v, u, y), &(value, import))| (at(import).to_owned(), import, v, u, y, value))
            .collect();
        rows.sort_by(|a, b| (&a.0, a.1, a.2, a.3, a.4).cmp(&(&b.0, b.1, b.2, b.3, b.4)));
        rows.into_iter()
            .map(|(_, import, v, u, y, value)| {
                // The value at `since`: the last revision by an import finished before it.
                let old = self.revisions.iter().rev().find(|(k, _, i)| *k == (v, u, y) && at(*i) < since).map(|r| r.1);
                (import, self.variables[&v].clone(), self.units[&u].clone(), y, old, Some(value))
            })
            .collect()
    }
}

fn row_of(c: &Change) -> Row {
    (c.import_id, c.variable_code.clone(), c.unit_code.clone(), c.year, c.old_value, c.new_value)
}

/// Writes `rows` as one import; the model learns what changed.
async fn import(store: &Store, m: &mut Model, file: &str, rows: &[(i64, i64, i64, f64)]) -> i64 {
    let mut imp = store.begin_observation_import("test", file).await.expect("begin");
    let id = imp.id();
    let batch: Vec<ObsRow> =
        rows.iter().map(|&(v, u, y, value)| ObsRow { variable_id: v, unit_id: u, year: y, value: Some(value), flag: 0 }).collect();
    if !batch.is_empty() {
        imp.write(batch).await.expect("write");
    }
    imp.finish(rows.len() as u64, rows.len() as u64, 0).await.expect("finish");
    for &(v, u, y, value) in rows {
        if m.current.get(&(v, u, y)).map(|c| c.0) != Some(value) {
            m.current.insert((v, u, y), (value, id));
            m.revisions.push(((v, u, y), value, id));
        }
    }
    id
}

/// Every page of the feed since `since`, `limit` rows a page, each page starting after the
/// last row of the one before; checks that only the last page is short.
async fn pages(store: &Store, since: &str, limit: i64) -> Vec<Vec<Change>> {
    let mut out: Vec<Vec<Change>> = Vec::new();
    let mut after: Option<ChangeCursor> = None;
    loop {
        let page = store.changes_since(since, after.as_ref(), limit).await.expect("page");
        assert!(page.len() as i64 <= limit);
        let last = page.len() < limit as usize;
        after = page.last().map(Change::cursor);
        out.push(page);
        if last {
            return out;
        }
        assert!(out.len() < 10_000, "paging ends");
    }
}

async fn setup(store: &Store, m: &mut Model) {
    let mut new_units = vec![unit("PL", UnitKind::Kraj), unit("02", UnitKind::Wojewodztwo), unit("0201", UnitKind::Powiat)];
    new_units.extend(GMINY.iter().map(|(c, k)| unit(c, *k)));
    let mut links = vec![
        Link { code: code("02"), parent: Some(code("PL")), same_jst: None },
        Link { code: code("0201"), parent: Some(code("02")), same_jst: None },
    ];
    links.extend(GMINY.iter().map(|(c, _)| Link { code: code(c), parent: Some(code("0201")), same_jst: None }));
    let plan = TerritoryPlan {
        state_date: model::parse_date("2024-01-01").expect("date"),
        file: "test".into(),
        rows_read: 7,
        closures: vec![],
        code_changes: vec![],
        renames: vec![],
        new_units,
        links,
    };
    store.apply_territory(&plan).await.expect("territory");
    for u in store.units().await.expect("units") {
        if GMINY.iter().any(|(c, _)| *c == u.code.as_str()) {
            m.units.insert(u.id, u.code.as_str().to_owned());
        }
    }
    // The variables come in an import of their own, which writes no value.
    let mut imp = store.begin_observation_import("test", "vars").await.expect("begin");
    for (code, name) in [("wydatki", "Wydatki"), ("dochody", "Dochody"), ("ludnosc", "Ludność")] {
        let v = store::NewVariable { code: code.into(), name_pl: name.into(), name_en: None, measure_unit: None, source: None, refs: vec![] };
        let id = imp.create_variable(&v).await.expect("variable");
        m.variables.insert(id, code.to_owned());
    }
    imp.finish(0, 0, 0).await.expect("finish");
}

/// The imports of the story: a first load, revisions, an import all of whose rows were
/// revised again, an empty one, and two that finished at the same instant. Returns the
/// import ids in order and the `finished_at` of each.
async fn history(store: &Store, raw: &support::Raw, m: &mut Model) -> (Vec<i64>, BTreeMap<i64, String>) {
    let vars: Vec<i64> = m.variables.keys().copied().collect();
    let units: Vec<i64> = m.units.keys().copied().collect();
    let mut first = Vec::new();
    for &v in &vars {
        for &u in &units {
            for y in 2018..=2022 {
                first.push((v, u, y, (v * 1000 + u * 10 + y) as f64));
            }
        }
    }
    let a = import(store, m, "a.csv", &first).await;
    // Two revisions, one new year, one value given again unchanged.
    let b_rows = [(vars[0], units[1], 2019, -1.5), (vars[2], units[3], 2022, 7.25), (vars[1], units[0], 2023, 3.0), first[5]];
    let b = import(store, m, "b.csv", &b_rows).await;
    // Revises everything b changed: b is left with no current row.
    let c = import(
        store,
        m,
        "c.csv",
        &[(vars[0], units[1], 2019, -2.5), (vars[2], units[3], 2022, 8.0), (vars[1], units[0], 2023, 4.0), (vars[1], units[2], 2020, 0.5)],
    )
    .await;
    let d = import(store, m, "d.csv", &[]).await;
    let e = import(store, m, "e.csv", &[(vars[2], units[0], 2018, 11.0), (vars[0], units[3], 2021, 12.0), (vars[1], units[1], 2024, 13.0)]).await;
    let f = import(store, m, "f.csv", &[(vars[0], units[0], 2018, 21.0), (vars[2], units[2], 2019, 22.0), (vars[1], units[3], 2024, 23.0)]).await;
    // e and f finished at the same instant: the import id breaks the tie.
    raw.exec(&format!("UPDATE import_log SET finished_at = (SELECT finished_at FROM import_log WHERE id = {f}) WHERE id = {e}"))
        .await
        .expect("statement");
    let finished: BTreeMap<i64, String> = store.imports(1000).await.expect("log").into_iter().map(|i| (i.id, i.finished_at)).collect();
    assert_eq!(finished[&e], finished[&f]);
    (vec![a, b, c, d, e, f], finished)
}

async fn paging_by_cursor_gives_every_row_once_in_order(store: Store, raw: support::Raw) {
    let mut m = Model::default();
    setup(&store, &mut m).await;
    let (ids, finished) = history(&store, &raw, &mut m).await;
    let [a, b, c, _d, e, f] = ids[..] else { panic!("six imports") };
    assert!(m.current.values().all(|(_, i)| *i != b), "b has no current row left");

    for since in ["2000-01-01".to_owned(), finished[&c].clone(), finished[&e].clone(), "2999-01-01".to_owned()] {
        let expected = m.feed(&since, &finished);
        for limit in [1, 2, 3, 7, 60, 61, 1000] {
            let pages = pages(&store, &since, limit).await;
            let got: Vec<Row> = pages.iter().flatten().map(row_of).collect();
            assert_eq!(got, expected, "since {since}, {limit} a page");
            let expected_pages = expected.len() / limit as usize + 1;
            assert_eq!(pages.len(), expected_pages, "since {since}, {limit} a page: full pages, then one short");
        }
    }
    // The whole feed, as a check of the model itself: the first load's untouched rows first,
    // then c's, then e's and f's (same instant, e first).
    let all = m.feed("2000-01-01", &finished);
    assert_eq!(all.len(), 60 - 7 + 4 + 3 + 3, "a's 60 rows but the 7 revised later, c's 4, e's and f's 3 each");
    let imports: Vec<i64> = all.iter().map(|r| r.0).collect();
    let mut sorted = imports.clone();
    sorted.dedup();
    assert_eq!(sorted, vec![a, c, e, f], "imports in the order they finished");
    let since_c = m.feed(&finished[&c], &finished);
    assert_eq!(since_c[0].4, Some(-1.5), "the old value is the one at `since`: b's");
}

async fn an_import_between_two_pages_neither_repeats_nor_skips_a_row(store: Store, raw: support::Raw) {
    let mut m = Model::default();
    setup(&store, &mut m).await;
    let (_, finished) = history(&store, &raw, &mut m).await;
    let before = m.feed("2000-01-01", &finished);
    // Two pages of seven.
    let mut got: Vec<Change> = Vec::new();
    let mut after: Option<ChangeCursor> = None;
    for _ in 0..2 {
        let page = store.changes_since("2000-01-01", after.as_ref(), 7).await.expect("page");
        after = page.last().map(Change::cursor);
        got.extend(page);
    }
    // An import revises one row already read and one not read yet (the first load's last).
    let (read_key, unread_key) = {
        let k = |c: &Change| {
            let v = *m.variables.iter().find(|(_, code)| **code == c.variable_code).unwrap().0;
            let u = *m.units.iter().find(|(_, code)| **code == c.unit_code).unwrap().0;
            (v, u, c.year)
        };
        (k(&got[3]), {
            let last_of_a = before.iter().rev().find(|r| r.0 == before[0].0).unwrap();
            let v = *m.variables.iter().find(|(_, code)| **code == last_of_a.1).unwrap().0;
            let u = *m.units.iter().find(|(_, code)| **code == last_of_a.2).unwrap().0;
            (v, u, last_of_a.3)
        })
    };
    let g = import(&store, &mut m, "g.csv", &[(read_key.0, read_key.1, read_key.2, 99.0), (unread_key.0, unread_key.1, unread_key.2, 98.0)]).await;
    loop {
        let page = store.changes_since("2000-01-01", after.as_ref(), 7).await.expect("page");
        let short = page.len() < 7;
        after = page.last().map(Change::cursor);
        got.extend(page);
        if short {
            break;
        }
    }
    // Every row of the feed before the import, once, but the unread row that moved to g;
    // then g's two rows. An OFFSET would have skipped a row here, as one row before the
    // page's start left for the end.
    let mut expected: Vec<(String, String, i64, Option<f64>)> = before
        .iter()
        .filter(|r| (r.1.as_str(), r.2.as_str(), r.3) != (m.variables[&unread_key.0].as_str(), m.units[&unread_key.1].as_str(), unread_key.2))
        .map(|r| (r.1.clone(), r.2.clone(), r.3, r.5))
        .collect();
    let g_rows: Vec<(String, String, i64, Option<f64>)> =
        got.iter().filter(|c| c.import_id == g).map(|c| (c.variable_code.clone(), c.unit_code.clone(), c.year, c.new_value)).collect();
    assert_eq!(g_rows.len(), 2, "{g_rows:?}");
    expected.extend(g_rows);
    let got: Vec<(String, String, i64, Option<f64>)> =
        got.iter().map(|c| (c.variable_code.clone(), c.unit_code.clone(), c.year, c.new_value)).collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn paging_by_cursor_gives_every_row_once_in_order_on_both_backends() {
    on_both!("t_", paging_by_cursor_gives_every_row_once_in_order);
}

#[tokio::test]
async fn an_import_between_two_pages_neither_repeats_nor_skips_a_row_on_both_backends() {
    on_both!("t_", an_import_between_two_pages_neither_repeats_nor_skips_a_row);
}

#[tokio::test]
async fn a_cursor_names_an_import_by_id_and_the_store_tells_its_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&format!("sqlite:{}", dir.path().join("t.db").display())).await.expect("open");
    let mut m = Model::default();
    setup(&store, &mut m).await;
    let log = store.imports(10).await.expect("log");
    assert_eq!(store.import_finished_at(log[0].id).await.expect("finished"), Some(log[0].finished_at.clone()));
    assert_eq!(store.import_finished_at(999_999).await.expect("finished"), None);
}
