//! What an operator meets when opening a database: a mistyped path is not made into an empty
//! database, a file that is not SQLite is refused untouched, passwords never appear in a
//! message, a pool with no free connection says "busy", and on PostgreSQL two imports at
//! once take turns instead of deadlocking.

use std::time::Duration;

use store::{OpenOptions, Store, StoreError};

const READ: OpenOptions = OpenOptions { create: false, acquire_timeout: None };

#[test]
fn passwords_are_taken_out_of_database_urls() {
    for (url, shown) in [
        ("postgres://postgres:S3cretPW@db.example:5432/miernik", "postgres://postgres:***@db.example:5432/miernik"),
        ("postgresql://u:p%40ss@h/db?sslmode=require", "postgresql://u:***@h/db?sslmode=require"),
        ("postgres://u:pa/ss@word@h/db", "postgres://u:***@h/db"),
        ("postgres://h/db?user=u&password=S3cret&sslmode=disable", "postgres://h/db?user=u&password=***&sslmode=disable"),
        ("postgres://postgres@127.0.0.1/test", "postgres://postgres@127.0.0.1/test"),
        ("sqlite:miernik.db", "sqlite:miernik.db"),
        ("sqlite:/tmp/a:b@c.db", "sqlite:/tmp/a:b@c.db"),
    ] {
        assert_eq!(store::redact_url(url), shown, "{url}");
    }
}

#[tokio::test]
async fn a_missing_sqlite_file_is_not_created_unless_asked() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("polksa.db");
    let url = format!("sqlite:{}", path.display());
    let err = Store::open_with(&url, READ).await.expect_err("no database there");
    assert!(matches!(err, StoreError::Missing { empty: false, .. }), "{err:?}");
    assert!(err.to_string().contains("no database at sqlite:") && err.to_string().contains("polksa.db"), "{err}");
    assert!(!path.exists(), "nothing was created");

    let store = Store::open_with(&url, OpenOptions { create: true, acquire_timeout: None }).await.expect("created when asked");
    store.close().await;
    let store = Store::open_with(&url, READ).await.expect("there now");
    assert_eq!(store.count("unit").await.expect("count"), 0);
    store.close().await;
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().expect("dir");
    let csv = dir.path().join("empty.csv");
    let text = "unit,variable,year,value\n0201011,ludnosc,2024,39000\n";
    std::fs::write(&csv, text).expect("write");
    for create in [false, true] {
        let err =
            Store::open_with(&format!("sqlite:{}", csv.display()), OpenOptions { create, acquire_timeout: None }).await.expect_err("not a database");
        assert!(matches!(err, StoreError::NotSqlite { .. }), "{err:?}");
        assert!(err.to_string().contains("empty.csv") && err.to_string().contains("not a SQLite database"), "{err}");
        assert_eq!(std::fs::read_to_string(&csv).expect("read"), text, "untouched");
    }
    let names: Vec<String> = std::fs::read_dir(dir.path()).expect("dir").flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["empty.csv"], "no -wal or -shm files either");
}

#[tokio::test]
async fn an_empty_file_is_no_database_yet() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("touched.db");
    std::fs::write(&path, "").expect("touch");
    let url = format!("sqlite:{}", path.display());
    let err = Store::open_with(&url, READ).await.expect_err("empty");
    assert!(matches!(err, StoreError::Missing { empty: true, .. }), "{err:?}");
    assert!(err.to_string().contains("the file is empty"), "{err}");
    let store = Store::open_with(&url, OpenOptions { create: true, acquire_timeout: None }).await.expect("an import may begin it");
    store.close().await;
    assert!(std::fs::read(&path).expect("read").starts_with(b"SQLite format 3\0"));
}

#[tokio::test]
async fn an_unreachable_postgres_server_is_named_without_its_password() {
    let url = "postgres://postgres:S3cretPW@127.0.0.1:1/miernik";
    let err = Store::open(url).await.expect_err("nothing listens on port 1");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("S3cretPW"), "{text}");
    assert!(err.to_string().contains("postgres://postgres:***@127.0.0.1:1/miernik"), "{err}");
    let err = Store::open("mysql://root:S3cretPW@h/db").await.expect_err("unknown scheme");
    assert!(!err.to_string().contains("S3cretPW"), "{err}");
}

#[test]
fn a_pool_timeout_is_busy() {
    assert!(matches!(StoreError::from(sqlx::Error::PoolTimedOut), StoreError::Busy));
    assert!(StoreError::Busy.to_string().contains("the database is busy, try again"));
}

#[tokio::test]
async fn with_every_connection_taken_a_short_acquire_timeout_answers_busy_at_once() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite:{}", dir.path().join("busy.db").display());
    let store = Store::open_with(&url, OpenOptions { create: true, acquire_timeout: Some(Duration::from_millis(300)) }).await.expect("open");
    // One import writes; three more wait for SQLite's write lock, each holding a connection:
    // the pool's four are all taken.
    let first = store.begin_observation_import("test", "first").await.expect("begin");
    let waiting: Vec<_> = (0..3)
        .map(|i| {
            let s = store.clone();
            tokio::spawn(async move { s.begin_observation_import("test", &format!("w{i}")).await?.finish(0, 0, 0).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let start = std::time::Instant::now();
    let err = store.units().await.expect_err("no connection free");
    assert!(matches!(err, StoreError::Busy), "{err:?}");
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
    first.finish(0, 0, 0).await.expect("finish");
    for w in waiting {
        w.await.expect("task").expect("the waiting imports go on");
    }
    assert_eq!(store.imports(10).await.expect("log").len(), 4);
    store.close().await;
}

#[tokio::test]
async fn two_overlapping_imports_on_postgresql_take_turns_and_both_succeed() {
    let Ok(pg) = std::env::var("MIERNIK_TEST_POSTGRES") else {
        eprintln!("MIERNIK_TEST_POSTGRES not set: skipped");
        return;
    };
    let schema = format!("t_overlap_{}", std::process::id());
    let store = Store::open_postgres_schema(&pg, &schema).await.expect("postgres opens");
    let variable = {
        let mut imp = store.begin_observation_import("test", "vars").await.expect("begin");
        let v =
            store::NewVariable { code: "ludnosc".into(), name_pl: "Ludność".into(), name_en: None, measure_unit: None, source: None, refs: vec![] };
        let id = imp.create_variable(&v).await.expect("variable");
        let a = imp
            .create_unit(&store::NewUnit {
                code: model::TerytCode::parse("0201011").expect("code"),
                name: "A".into(),
                kind: model::UnitKind::GminaMiejska,
                valid_from: None,
                valid_to: None,
                historical: true,
                parent_id: None,
            })
            .await
            .expect("unit");
        let b = imp
            .create_unit(&store::NewUnit {
                code: model::TerytCode::parse("0201022").expect("code"),
                name: "B".into(),
                kind: model::UnitKind::GminaWiejska,
                valid_from: None,
                valid_to: None,
                historical: true,
                parent_id: None,
            })
            .await
            .expect("unit");
        imp.finish(0, 0, 0).await.expect("finish");
        (id, a, b)
    };
    let (var, a, b) = variable;
    let row = move |unit, value| store::ObsRow { variable_id: var, unit_id: unit, year: 2024, value: Some(value), flag: 0 };

    // The first import writes A; the second starts meanwhile and would write B then A, the
    // first then B: without turns, each waits on the other's row ("deadlock detected").
    let mut first = store.begin_observation_import("test", "first").await.expect("begin");
    first.write(vec![row(a, 1.0)]).await.expect("write");
    let waited = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let w = waited.clone();
    let second_store = store.clone().on_import_wait(move || w.store(true, std::sync::atomic::Ordering::SeqCst));
    let second = tokio::spawn(async move {
        let mut imp = second_store.begin_observation_import("test", "second").await?;
        imp.write(vec![row(b, 20.0)]).await?;
        imp.write(vec![row(a, 10.0)]).await?;
        imp.finish(2, 2, 0).await
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !waited.load(std::sync::atomic::Ordering::SeqCst) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(waited.load(std::sync::atomic::Ordering::SeqCst), "the second import was told it waits");
    first.write(vec![row(b, 2.0)]).await.expect("write");
    let first = first.finish(2, 2, 0).await.expect("the first import commits");
    assert_eq!(first.inserted, 2);
    let second = second.await.expect("task").expect("the second import commits after it");
    assert_eq!(second.changed, 2, "the second import revised both values");
    assert_eq!(store.observation(var, a, 2024).await.expect("read").map(|o| o.0), Some(Some(10.0)));
    store.close().await;
    Store::drop_postgres_schema(&pg, &schema).await.expect("schema dropped");
}
