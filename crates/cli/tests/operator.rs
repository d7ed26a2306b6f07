//! `miernik` as an operator runs it: a mistyped --db is an error, not a new empty database;
//! a file that is not a database is refused untouched; no password is ever printed;
//! `| head` ends quietly; the BDL client says each retry and gives up at once on a host name
//! that does not resolve; `demo` takes --db; library logs only when asked, without colour
//! off a terminal; on PostgreSQL an import waits for another one and says so.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bdl::mock::{MockServer, Reply};
use common::{Db, data};

fn miernik(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_miernik")).args(args).output().expect("miernik runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A database holding the TERC state of 2026 (some 4,000 units: more output than a pipe holds).
fn db_with_units() -> Db {
    let db = Db::new();
    db.ok(&["import", "units", data("teryt/TERC_Urzedowy_2026-01-08.csv").to_str().expect("p")]);
    db
}

#[test]
fn commands_that_only_read_refuse_a_database_that_is_not_there_and_create_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("polksa.db");
    let url = format!("sqlite:{}", path.display());
    for args in [
        vec!["units"],
        vec!["history", "--unit", "0201011", "--variable", "ludnosc"],
        vec!["imports"],
        vec!["compute"],
        vec!["check", "--variable", "ludnosc", "--year", "2024"],
        vec!["neighbours"],
        vec!["group", "list"],
        vec!["group", "save", "g", "--name", "G", "--units", "0201011"],
        vec!["export", "--indicators", "all"],
        vec!["serve", "--addr", "127.0.0.1:0"],
    ] {
        let out = miernik(&[&["--db", url.as_str()], args.as_slice()].concat());
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?} succeeded on a missing database");
        assert!(err.contains("no database at") && err.contains("polksa.db") && err.contains("--db"), "{args:?}: {err}");
        assert!(err.contains("brak bazy danych"), "Polish first: {err}");
        assert!(!path.exists(), "{args:?} created {}", path.display());
    }
    // An import may create it.
    let out = miernik(&["--db", &url, "import", "units", data("teryt/TERC_Urzedowy_2026-01-08.csv").to_str().expect("p")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(path.exists());
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_as_it_was_even_by_imports() {
    let dir = tempfile::tempdir().expect("dir");
    let csv = dir.path().join("empty.csv");
    let text = "unit,variable,year,value\n0201011,ludnosc,2024,39000\n";
    std::fs::write(&csv, text).expect("write");
    let url = format!("sqlite:{}", csv.display());
    let terc = data("teryt/TERC_Urzedowy_2026-01-08.csv");
    for args in
        [vec!["imports"], vec!["units"], vec!["import", "units", terc.to_str().expect("p")], vec!["import", "observations", csv.to_str().expect("p")]]
    {
        let out = miernik(&[&["--db", url.as_str()], args.as_slice()].concat());
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.contains("not a SQLite database") && err.contains("empty.csv"), "{args:?}: {err}");
        assert_eq!(std::fs::read_to_string(&csv).expect("read"), text, "{args:?} changed the file");
    }
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1, "no -wal or -shm beside it");

    // An empty file is no database yet: reading says so, an import begins it.
    let empty = dir.path().join("new.db");
    std::fs::write(&empty, "").expect("touch");
    let url = format!("sqlite:{}", empty.display());
    let out = miernik(&["--db", &url, "units"]);
    assert!(!out.status.success() && stderr(&out).contains("the file is empty"), "{}", stderr(&out));
    let out = miernik(&["--db", &url, "import", "units", terc.to_str().expect("p")]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn the_database_password_is_never_printed() {
    let url = "postgres://postgres:S3cretPW@127.0.0.1:1/miernik";
    let terc = data("teryt/TERC_Urzedowy_2026-01-08.csv");
    for args in [
        vec!["units"],
        vec!["-vv", "units"],
        vec!["import", "units", terc.to_str().expect("p")],
        vec!["serve", "--addr", "127.0.0.1:0"],
        vec!["demo", "--addr", "127.0.0.1:0"],
    ] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_miernik"));
        cmd.args(&args).env("MIERNIK_DB", url);
        if args[0] == "demo" {
            cmd.args(["--db", url]);
        }
        let out = cmd.output().expect("runs");
        let all = format!("{}{}", stderr(&out), String::from_utf8_lossy(&out.stdout));
        assert!(!out.status.success(), "{args:?}");
        assert!(!all.contains("S3cretPW"), "{args:?}: {all}");
        assert!(all.contains("postgres://postgres:***@127.0.0.1:1/miernik"), "{args:?} names the server: {all}");
    }
}

/// Runs miernik with stdout into a pipe that is closed after the first bytes, as `| head`
/// does: it must end at once, successfully, and say nothing.
fn closed_early(db: &Db, args: &[&str]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_miernik"))
        .arg("--db")
        .arg(&db.url)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut out = child.stdout.take().expect("stdout");
    let mut first = [0u8; 16];
    out.read_exact(&mut first).expect("some output");
    drop(out);
    let o = child.wait_with_output().expect("ends");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{args:?}: {:?} {err}", o.status);
    assert!(!err.contains("error") && !err.contains("panicked") && !err.contains("Broken pipe"), "{args:?}: {err}");
}

#[test]
fn output_into_a_pipe_closed_early_ends_quietly() {
    let db = db_with_units();
    for format in ["table", "csv", "json"] {
        closed_early(&db, &["units", "--format", format]);
    }
    let demo = Db::new();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = demo.store().await;
        assert!(app::load_demo(&store).await.expect("the demo loads"));
        store.close().await;
    });
    for format in ["csv", "json", "jsonstat"] {
        closed_early(&demo, &["export", "--indicators", "all", "--units", "all", "--format", format]);
    }
    closed_early(&demo, &["units", "--format", "csv"]);
}

#[test]
fn a_host_name_that_does_not_resolve_fails_at_once_and_names_the_host() {
    let start = Instant::now();
    let out = miernik(&["bdl", "dictionary", "levels", "--base-url", "http://nonexistent.invalid/api/v1"]);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
    assert!(err.contains("nonexistent.invalid") && err.contains("cannot resolve the host name") && err.contains("--base-url"), "{err}");
    assert!(!err.contains("retrying"), "{err}");
}

#[test]
fn every_retry_is_said_as_it_happens_with_its_reason() {
    let server = MockServer::start(|r| {
        if r.seen_before < 2 {
            Reply::status(503, "przerwa techniczna")
        } else {
            Reply::json(r#"{"totalRecords":1,"results":[{"id":6,"name":"Gminy"}]}"#)
        }
    });
    let out = Command::new(env!("CARGO_BIN_EXE_miernik"))
        .args(["bdl", "dictionary", "levels", "--base-url", &server.base_url])
        .env("MIERNIK_BDL_BACKOFF_MS", "5")
        .output()
        .expect("runs");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let retries: Vec<&str> = err.lines().filter(|l| l.contains("retrying in")).collect();
    assert_eq!(retries.len(), 2, "{err}");
    assert!(retries[0].contains("attempt 1 of 7") && retries[0].contains("HTTP 503: przerwa techniczna"), "{err}");
    assert!(retries[0].contains("ponawiam") && retries[0].contains("/levels?"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Gminy"));
}

#[test]
fn library_logs_come_only_when_asked_and_without_colour_off_a_terminal() {
    let db = db_with_units();
    let quiet = db.run(&["units", "--search", "Końskowola"]);
    assert!(quiet.status.success());
    assert!(!stderr(&quiet).contains("sqlx"), "{}", stderr(&quiet));
    for (flag, env) in [(Some("-vv"), None), (None, Some("sqlx=debug"))] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_miernik"));
        cmd.args(["--db", &db.url, "units", "--search", "Końskowola"]).env_remove("RUST_LOG").env_remove("NO_COLOR");
        if let Some(f) = flag {
            cmd.arg(f);
        }
        if let Some(e) = env {
            cmd.env("MIERNIK_LOG", e);
        }
        let out = cmd.output().expect("runs");
        let err = stderr(&out);
        assert!(out.status.success(), "{err}");
        assert!(err.contains("sqlx::query"), "{flag:?} {env:?} asked for them: {err}");
        assert!(!err.contains('\u{1b}'), "no colour codes into a file: {err:?}");
    }
}

/// A server process, killed when the test ends however it ends.
struct Server(Child, mpsc::Receiver<String>);

impl Server {
    fn start(cmd: &mut Command) -> (Server, String) {
        let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("starts");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let server = Server(child, rx);
        let deadline = Instant::now() + Duration::from_secs(300);
        let mut lines = Vec::new();
        loop {
            let line = server.1.recv_timeout(deadline.saturating_duration_since(Instant::now())).unwrap_or_else(|_| panic!("no address: {lines:?}"));
            if let Some(at) = line.find("http://") {
                let addr = line[at + 7..].split_whitespace().next().expect("address").trim_end_matches(['.', ',']).to_owned();
                return (server, addr);
            }
            lines.push(line);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `Set-Cookie` headers of GET /grupy, once the portal is ready.
fn grupy_cookies(addr: &str, extra: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let Ok(mut s) = TcpStream::connect(addr) else { continue };
        let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
        write!(s, "GET /grupy HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n").expect("send");
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw).into_owned();
        if text.starts_with("HTTP/1.1 200") {
            let head = text.split("\r\n\r\n").next().unwrap_or("");
            return head.lines().filter(|l| l.to_ascii_lowercase().starts_with("set-cookie:")).map(str::to_owned).collect();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("/grupy never answered 200");
}

#[test]
fn demo_takes_its_database_from_db_and_serve_options_from_flags_and_environment() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("moje-demo.db");
    let url = format!("sqlite:{}", db.display());
    let bin = env!("CARGO_BIN_EXE_miernik");

    // One database flag: --db and its old name disagreeing is an error, not a guess.
    let out = Command::new(bin).current_dir(dir.path()).args(["demo", "--db", &url, "--demo-db", "sqlite:x.db"]).output().expect("runs");
    assert!(!out.status.success() && stderr(&out).contains("--db"), "{}", stderr(&out));
    let out = Command::new(bin).current_dir(dir.path()).args(["serve", "--db", &url, "--public-url", "miernik.example.pl"]).output().expect("runs");
    assert!(!out.status.success() && stderr(&out).contains("--public-url"), "{}", stderr(&out));

    {
        let (_server, addr) = Server::start(Command::new(bin).current_dir(dir.path()).env("MIERNIK_DB", "sqlite:not-this-one.db").args([
            "demo",
            "--db",
            &url,
            "--addr",
            "127.0.0.1:0",
            "--public-url",
            "https://miernik.example.pl",
        ]));
        assert!(db.exists(), "the demo is in --db");
        for other in ["miernik-demo.db", "not-this-one.db"] {
            assert!(!dir.path().join(other).exists(), "{other} was made");
        }
        let cookies = grupy_cookies(&addr, "");
        assert!(!cookies.is_empty() && cookies.iter().all(|c| c.to_ascii_lowercase().contains("secure")), "{cookies:?}");
    }
    // Again on the same database, the proxy trusted through the environment.
    let (_server, addr) = Server::start(Command::new(bin).current_dir(dir.path()).env("MIERNIK_TRUST_PROXY", "true").args([
        "demo",
        "--db",
        &url,
        "--addr",
        "127.0.0.1:0",
    ]));
    let plain = grupy_cookies(&addr, "");
    assert!(!plain.is_empty() && plain.iter().all(|c| !c.to_ascii_lowercase().contains("secure")), "{plain:?}");
    let forwarded = grupy_cookies(&addr, "X-Forwarded-Proto: https\r\n");
    assert!(!forwarded.is_empty() && forwarded.iter().all(|c| c.to_ascii_lowercase().contains("secure")), "{forwarded:?}");
}

#[test]
fn on_postgresql_an_import_waits_for_the_one_running_and_says_so() {
    let Ok(pg) = std::env::var("MIERNIK_TEST_POSTGRES") else {
        eprintln!("MIERNIK_TEST_POSTGRES not set: skipped");
        return;
    };
    let schema = format!("cli_wait_{}", std::process::id());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async { app::Store::open_postgres_schema(&pg, &schema).await.expect("schema").close().await });
    let sep = if pg.contains('?') { '&' } else { '?' };
    let db = Db { dir: tempfile::tempdir().expect("dir"), url: format!("{pg}{sep}options=-c%20search_path%3D{schema}") };
    let csv = db.path("a.csv");
    std::fs::write(&csv, "unit,variable,year,value\n0201011,ludnosc,2024,39000\n").expect("write");

    let store = rt.block_on(db.store());
    let running = rt.block_on(store.begin_observation_import("test", "running")).expect("an import is running");
    let mut child = Command::new(env!("CARGO_BIN_EXE_miernik"))
        .args(["--db", &db.url, "import", "observations", csv.to_str().expect("p"), "--create-missing-units", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let err = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    let line = loop {
        let line = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).unwrap_or_else(|_| panic!("no word of waiting: {seen:?}"));
        if line.contains("waiting for another import") {
            break line;
        }
        seen.push(line);
    };
    assert!(line.contains("czekam"), "Polish first: {line}");
    rt.block_on(running.finish(0, 0, 0)).expect("the running import ends");
    let out = child.wait_with_output().expect("ends");
    let rest: Vec<String> = rx.try_iter().collect();
    assert!(out.status.success(), "{rest:?}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(summary["inserted"], 1, "{summary}");
    rt.block_on(async {
        store.close().await;
        app::Store::drop_postgres_schema(&pg, &schema).await.expect("drop");
    });
}
