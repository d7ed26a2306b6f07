//! The CLI's import story on PostgreSQL (runs when `MIERNIK_TEST_POSTGRES` is set, as in CI):
//! the same commands as on SQLite, through `--db postgres://…`.

mod common;

use common::data;

#[test]
fn imports_and_revisions_work_the_same_on_postgresql() {
    let Ok(pg) = std::env::var("MIERNIK_TEST_POSTGRES") else {
        eprintln!("MIERNIK_TEST_POSTGRES not set: skipped");
        return;
    };
    let schema = format!("cli_{}", std::process::id());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        app::Store::open_postgres_schema(&pg, &schema).await.expect("schema").close().await;
    });
    let sep = if pg.contains('?') { '&' } else { '?' };
    let db = common::Db { dir: tempfile::tempdir().expect("dir"), url: format!("{pg}{sep}options=-c%20search_path%3D{schema}") };

    for f in &common::TERC_STATES[3..] {
        db.ok(&["import", "units", data(f).to_str().expect("p")]);
    }
    let konskowola = db.json(&["units", "--search", "0614053", "--format", "json"]);
    assert_eq!(konskowola[0]["name"], "Końskowola");
    let parts = db.json(&["units", "--parent", "0614053", "--format", "json"]);
    assert_eq!(parts.as_array().expect("a").len(), 2, "town and rural area: {parts}");

    let csv = db.path("a.csv");
    std::fs::write(&csv, "unit,variable,year,value\n0614053,ludnosc,2024,14400\n1207132,ludnosc,2025,4000\n").expect("write");
    let first = db.json(&["import", "observations", csv.to_str().expect("p"), "--format", "json"]);
    assert_eq!(first["inserted"], 2);
    std::fs::write(&csv, "unit,variable,year,value\n0614053,ludnosc,2024,14401\n1207132,ludnosc,2025,4000\n").expect("write");
    let second = db.json(&["import", "observations", csv.to_str().expect("p"), "--format", "json"]);
    assert_eq!((second["changed"].as_u64(), second["unchanged"].as_u64()), (Some(1), Some(1)));
    let hist = db.json(&["history", "--unit", "0614053", "--variable", "ludnosc", "--format", "json"]);
    assert_eq!(hist.as_array().expect("a").len(), 2);

    let bad = db.path("bad.csv");
    std::fs::write(&bad, "unit,variable,year,value\n0614053,ludnosc,2023,1\n0614053,ludnosc,2023,2\n").expect("write");
    let err = db.fails(&["import", "observations", bad.to_str().expect("p")]);
    assert!(err.contains("lines 2 and 3"), "{err}");
    let hist_after = db.json(&["history", "--unit", "0614053", "--variable", "ludnosc", "--format", "json"]);
    assert_eq!(hist_after.as_array().expect("a").len(), 2, "nothing written");

    rt.block_on(async { app::Store::drop_postgres_schema(&pg, &schema).await.expect("drop") });
}
