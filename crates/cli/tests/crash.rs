//! A crash in the middle of an import (SIGKILL) leaves the database exactly as it was.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Db, data};

#[test]
fn kill_9_in_the_middle_of_an_import_leaves_the_database_as_before() {
    let db = Db::new();
    db.ok(&["import", "units", data("teryt/TERC_Urzedowy_2026-01-08.csv").to_str().expect("p")]);
    let gminy: Vec<String> = db
        .ok(&["units", "--kind", "gmina_wiejska", "--format", "csv"])
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().expect("code").to_owned())
        .collect();
    let small = db.path("small.csv");
    std::fs::write(&small, format!("unit,variable,year,value\n{},x0,2020,1\n", gminy[0])).expect("write");
    db.ok(&["import", "observations", small.to_str().expect("p")]);
    let before = (db.ok(&["changes", "--since", "2000-01-01", "--format", "csv"]), db.ok(&["units", "--format", "csv"]));

    // A file big enough that the import is still running when it is killed.
    let big = db.path("big.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&big).expect("create"));
    writeln!(w, "unit,variable,year,value").expect("write");
    'outer: for v in 0..1000 {
        for g in &gminy {
            for y in 2000..2025 {
                writeln!(w, "{g},v{v},{y},{}", v + y).expect("write");
                if v * gminy.len() * 25 > 3_000_000 {
                    break 'outer;
                }
            }
        }
    }
    w.flush().expect("flush");
    drop(w);

    let mut child = Command::new(env!("CARGO_BIN_EXE_miernik"))
        .args(["--db", &db.url, "import", "observations"])
        .arg(&big)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait until the import has written a good deal into the WAL, then kill it.
    let wal = db.path("m.db-wal");
    let start = Instant::now();
    loop {
        let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        if size > 8 << 20 {
            break;
        }
        assert!(child.try_wait().expect("wait").is_none(), "the import finished before it could be killed");
        assert!(start.elapsed() < Duration::from_secs(120), "the import wrote nothing");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");

    let after = (db.ok(&["changes", "--since", "2000-01-01", "--format", "csv"]), db.ok(&["units", "--format", "csv"]));
    assert_eq!(after, before, "the killed import left traces");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = db.store().await;
        assert_eq!(store.integrity_check().await.expect("check"), "ok");
        assert_eq!(store.count("observation").await.expect("count"), 1);
        assert_eq!(store.count("variable").await.expect("count"), 1, "variables of the killed import are gone too");
    });
    // And the database takes the next import normally.
    db.ok(&["import", "observations", small.to_str().expect("p")]);
}

/// Starts `miernik demo` on `db`, waits for the line that says it serves (or `kill_after`),
/// kills it and returns what it wrote to stderr.
fn run_demo(db: &std::path::Path, kill_after: Option<Duration>) -> String {
    use std::io::Read;
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_miernik"))
        .args(["demo", "--db", &format!("sqlite:{}", db.display()), "--addr", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::piped())
        .spawn()
        .expect("demo starts");
    let start = Instant::now();
    let deadline = kill_after.unwrap_or(Duration::from_secs(300));
    while start.elapsed() < deadline && std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut err = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut err).expect("read");
    err
}

#[test]
fn a_demo_interrupted_while_being_built_leaves_nothing_half_built() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("demo.db");
    let err = run_demo(&db, Some(Duration::from_millis(150)));
    assert!(!err.contains("error"), "{err}");
    assert!(!db.exists() || err.contains("created"), "a killed first start leaves no demo.db: {err}");
    // The next start builds the demo and serves it, whatever the first one left.
    let err = run_demo(&db, None);
    assert!(!err.contains("error"), "{err}");
    assert!(db.exists());
    assert!(!dir.path().join("demo.partial").exists(), "the partial file became the database");
    let out = Command::new(env!("CARGO_BIN_EXE_miernik"))
        .args([
            "--db",
            &format!("sqlite:{}", db.display()),
            "compare",
            "--unit",
            "0201022",
            "--indicator",
            "DEM_01",
            "--year",
            "2024",
            "--format",
            "json",
        ])
        .output()
        .expect("compare");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
