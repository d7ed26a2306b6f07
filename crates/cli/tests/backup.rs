//! `miernik backup` and `miernik restore` through the real binary: values, revisions
//! (observation_history), the import and audit logs survive a backup and a restore exactly;
//! a SQLite backup taken while another process keeps importing is a consistent snapshot
//! (integrity ok, no import half in it); PostgreSQL through pg_dump and pg_restore (runs when
//! `MIERNIK_TEST_POSTGRES` is set, as in CI, and then fails if the server or the tools are
//! missing).

mod common;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use common::{Db, data};
use serde_json::Value;

/// Units of the TERC state imported first.
const UNITS: [&str; 3] = ["0614053", "1207132", "0201011"];
/// Variables the concurrent writer rewrites, each import with one value everywhere.
const WRITER_VARS: usize = 40;

fn csv(db: &Db, name: &str, variables: &[String], value: impl Fn(&str, &str, i32) -> f64) -> String {
    let mut text = String::from("unit,variable,year,value\n");
    for u in UNITS {
        for v in variables {
            for y in 2000..2025 {
                text.push_str(&format!("{u},{v},{y},{}\n", value(u, v, y)));
            }
        }
    }
    let path = db.path(name);
    std::fs::write(&path, text).expect("write csv");
    path.to_str().expect("utf-8 path").to_owned()
}

/// Units, two imports of the same keys with some values changed (so observation_history
/// has rows), and a revert (an audit row of its own, and more history).
fn fill(db: &Db) {
    db.ok(&["import", "units", data(common::TERC_STATES[4]).to_str().expect("path")]);
    let vars: Vec<String> = (1..=10).map(|i| format!("dane_{i}")).collect();
    let first = csv(db, "first.csv", &vars, |_, _, y| f64::from(y) * 1.5);
    db.ok(&["import", "observations", &first]);
    let second = csv(db, "second.csv", &vars, |u, v, y| if u == UNITS[0] && v != "dane_10" { f64::from(y) * 2.25 } else { f64::from(y) * 1.5 });
    let r: Value = serde_json::from_str(&db.ok(&["import", "observations", &second, "--format", "json"])).expect("json");
    assert_eq!(r["changed"], 9 * 25, "{r}");
    let third = csv(db, "third.csv", &vars[..1], |_, _, y| f64::from(y) + 0.125);
    db.ok(&["import", "observations", &third]);
    let imports = db.json(&["imports", "--format", "json"]);
    let newest = imports[0]["id"].as_i64().expect("import id");
    db.ok(&["revert", &newest.to_string(), "--comment", "test kopii / backup test"]);
}

/// Everything a backup must keep, read through the CLI: every current value with its import
/// and time, the revisions of some keys, the import log and the audit log.
fn state(db: &Db) -> Vec<Value> {
    let mut out = vec![
        db.json(&["changes", "--since", "1990-01-01", "--limit", "1000000", "--format", "json"]),
        db.json(&["imports", "--limit", "1000", "--format", "json"]),
        db.json(&["audit", "--limit", "1000", "--format", "json"]),
    ];
    for u in UNITS {
        for v in ["dane_1", "dane_2", "dane_10"] {
            let h = db.json(&["history", "--unit", u, "--variable", v, "--format", "json"]);
            out.push(h);
        }
    }
    out
}

/// Commands on the database at `url`.
fn at(url: &str) -> Db {
    Db { dir: tempfile::tempdir().expect("dir"), url: url.to_owned() }
}

/// Runs `miernik import observations` over and over on another thread, each import setting
/// every writer variable to the import's round number, until stopped.
struct Writer {
    stop: Arc<AtomicBool>,
    rounds: Arc<AtomicU32>,
    handle: std::thread::JoinHandle<Vec<String>>,
}

impl Writer {
    fn start(db: &Db) -> Writer {
        let vars: Vec<String> = (1..=WRITER_VARS).map(|i| format!("zapis_{i}")).collect();
        let files: Vec<String> = (0..2).map(|k| csv(db, &format!("writer{k}.csv"), &vars, |_, _, _| f64::from(k))).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let rounds = Arc::new(AtomicU32::new(0));
        let url = db.url.clone();
        let (s, r) = (stop.clone(), rounds.clone());
        let handle = std::thread::spawn(move || {
            let mut errors = Vec::new();
            let mut k = 0;
            while !s.load(Ordering::Acquire) {
                let out = Command::new(env!("CARGO_BIN_EXE_miernik"))
                    .args(["--db", &url, "import", "observations", &files[k % 2]])
                    .output()
                    .expect("miernik runs");
                if out.status.success() {
                    r.fetch_add(1, Ordering::AcqRel);
                } else {
                    errors.push(String::from_utf8_lossy(&out.stderr).into_owned());
                }
                k += 1;
            }
            errors
        });
        Writer { stop, rounds, handle }
    }

    fn rounds(&self) -> u32 {
        self.rounds.load(Ordering::Acquire)
    }

    fn finish(self) -> u32 {
        self.stop.store(true, Ordering::Release);
        let errors = self.handle.join().expect("writer thread");
        assert!(errors.is_empty(), "the writer's imports failed while backups ran: {errors:?}");
        self.rounds.load(Ordering::Acquire)
    }
}

/// In a copy, the writer's variables hold the values of exactly one of its imports, all
/// from the same import: no import is half in a backup.
fn check_writer_import_whole(copy: &Db) {
    let changes = copy.json(&["changes", "--since", "1990-01-01", "--limit", "1000000", "--format", "json"]);
    let rows: Vec<&Value> =
        changes.as_array().expect("array").iter().filter(|c| c["variable"].as_str().is_some_and(|v| v.starts_with("zapis_"))).collect();
    if rows.is_empty() {
        return; // the backup came before the writer's first import
    }
    assert_eq!(rows.len(), UNITS.len() * WRITER_VARS * 25, "every key of the writer's import, or none");
    let first = (&rows[0]["new_value"], &rows[0]["import"]);
    assert!(rows.iter().all(|r| (&r["new_value"], &r["import"]) == first), "one import's values, not a mix: {first:?}");
}

#[test]
fn a_sqlite_backup_keeps_values_history_and_logs_and_restores_into_a_new_file() {
    let db = Db::new();
    fill(&db);
    let before = state(&db);

    let to = db.path("kopia.db");
    let info = db.json(&["backup", "--to", to.to_str().expect("p"), "--format", "json"]);
    assert_eq!(info["backend"], "sqlite", "{info}");
    assert_eq!(info["observations"], UNITS.len() * 10 * 25, "{info}");
    assert!(info["history"].as_i64().expect("history") >= 9 * 25 + 25, "two revisions and a revert: {info}");
    assert!(info["audit"].as_i64().expect("audit") >= 1, "{info}");
    assert_eq!(info["newest_import"], before[1][0]["id"], "{info}");
    assert_eq!(info["bytes"].as_u64(), Some(std::fs::metadata(&to).expect("backup file").len()));
    assert!(!db.path("kopia.db.partial").exists());

    let copy = at(&format!("sqlite:{}", to.display()));
    assert_eq!(state(&copy), before, "the backup holds the same values, revisions and logs");

    // An existing file is refused (and left as it was) unless --force.
    let err = db.fails(&["backup", "--to", to.to_str().expect("p")]);
    assert!(err.contains("already exists") && err.contains("--force"), "{err}");
    db.ok(&["backup", "--to", to.to_str().expect("p"), "--force"]);

    // Restore: into a new file only.
    let restored_path = db.path("odtworzona.db");
    let restored = at(&format!("sqlite:{}", restored_path.display()));
    let r = restored.json(&["restore", "--from", to.to_str().expect("p"), "--format", "json"]);
    assert_eq!(r["observations"], info["observations"], "{r}");
    assert_eq!(state(&restored), before, "the restored database holds what the backup held");
    let err = db.fails(&["restore", "--from", to.to_str().expect("p")]);
    assert!(err.contains("already exists"), "the live database is not overwritten: {err}");
    assert_eq!(state(&db), before);
}

#[test]
fn a_sqlite_backup_taken_while_another_process_imports_is_a_consistent_snapshot() {
    let db = Db::new();
    fill(&db);
    let fixed = state(&db);
    let writer = Writer::start(&db);
    while writer.rounds() < 1 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut during = Vec::new();
    for i in 0..4 {
        let start = writer.rounds();
        let to = db.path(&format!("w{i}.db"));
        let info = db.json(&["backup", "--to", to.to_str().expect("p"), "--format", "json"]);
        during.push((to, info, start, writer.rounds()));
    }
    let rounds = writer.finish();
    let overlapped = during.iter().filter(|(_, _, s, e)| e > s).count();
    eprintln!("writer: {rounds} imports; backups with an import during them: {overlapped} of {}", during.len());
    assert!(rounds >= 2, "the writer kept importing while the backups ran");

    for (to, info, _, _) in &during {
        let copy = at(&format!("sqlite:{}", to.display()));
        // The data written before the writer started is there exactly; the writer's import
        // is there whole or not at all.
        let s = state(&copy);
        for (i, part) in s.iter().enumerate().skip(3) {
            assert_eq!(part, &fixed[i], "{}: revisions of the fixed data", to.display());
        }
        let imports = s[1].as_array().expect("imports");
        assert_eq!(imports[0]["id"], info["newest_import"], "{info}");
        let source_imports = db.json(&["imports", "--limit", "1000", "--format", "json"]);
        let source_imports = source_imports.as_array().expect("imports");
        assert!(source_imports.ends_with(imports), "the copy's import log is the source's up to a point");
        check_writer_import_whole(&copy);
    }
}

/// A PostgreSQL database made for one test and dropped after it (also when it fails).
struct PgDatabase {
    admin: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create(base: &str, name: &str) -> PgDatabase {
        let admin = base.to_owned();
        psql(&admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        psql(&admin, &format!("CREATE DATABASE {name}"));
        PgDatabase { admin, name: name.to_owned(), url: with_database(base, name) }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args(["--no-psqlrc", "-q", "-d", &self.admin, "-c", &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)])
            .output();
    }
}

fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .args(["--no-psqlrc", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        .output()
        .unwrap_or_else(|e| panic!("psql (the PostgreSQL client) must be installed when MIERNIK_TEST_POSTGRES is set: {e}"));
    assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
}

/// `url` naming database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let query = url[start..].find('?').map_or(url.len(), |i| start + i);
    let slash = url[start..query].find('/').map_or(query, |i| start + i);
    format!("{}/{name}{}", &url[..slash], &url[query..])
}

#[test]
fn a_postgresql_backup_restores_with_pg_restore_and_keeps_values_and_history() {
    let Ok(pg) = std::env::var("MIERNIK_TEST_POSTGRES") else {
        eprintln!("MIERNIK_TEST_POSTGRES not set: skipped");
        return;
    };
    for tool in ["pg_dump", "pg_restore", "psql"] {
        let ok = Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
        assert!(ok, "{tool} must be on PATH when MIERNIK_TEST_POSTGRES is set (package postgresql-client)");
    }
    let pid = std::process::id();
    let source = PgDatabase::create(&pg, &format!("miernik_bak_{pid}"));
    let target = PgDatabase::create(&pg, &format!("miernik_bak_{pid}_restored"));
    let target2 = PgDatabase::create(&pg, &format!("miernik_bak_{pid}_cli"));

    let db = Db { dir: tempfile::tempdir().expect("dir"), url: source.url.clone() };
    fill(&db);
    let before = state(&db);

    let dump = db.path("miernik.dump");
    let writer = Writer::start(&db);
    let info = db.json(&["backup", "--to", dump.to_str().expect("p"), "--format", "json"]);
    writer.finish();
    assert_eq!(info["backend"], "postgres", "{info}");
    assert!(info["history"].as_i64().expect("history") >= 9 * 25 + 25, "{info}");
    assert!(!db.path("miernik.dump.partial").exists());

    // The documented restore: pg_restore into a fresh database.
    let out = Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname", &target.url, dump.to_str().expect("p")])
        .output()
        .expect("pg_restore runs");
    assert!(out.status.success(), "pg_restore: {}", String::from_utf8_lossy(&out.stderr));
    let restored = Db { dir: tempfile::tempdir().expect("dir"), url: target.url.clone() };
    let after = state(&restored);
    // The fixed data exactly; the import log up to the snapshot the dump was taken from.
    for (i, part) in after.iter().enumerate().skip(3) {
        assert_eq!(part, &before[i], "revisions survive pg_dump/pg_restore");
    }
    let imports = after[1].as_array().expect("imports");
    assert_eq!(imports[0]["id"], info["newest_import"], "the counts are the dump's: {info}");
    check_writer_import_whole(&restored);
    let history: Vec<Value> = db.json(&["imports", "--limit", "1000", "--format", "json"]).as_array().expect("a").clone();
    assert!(history.ends_with(imports), "the restored import log is the source's up to the dump");

    // `miernik restore` does the same into an empty database, and refuses one with tables.
    let cli_restored = Db { dir: tempfile::tempdir().expect("dir"), url: target2.url.clone() };
    let r = cli_restored.json(&["restore", "--from", dump.to_str().expect("p"), "--format", "json"]);
    assert_eq!((&r["observations"], &r["history"], &r["newest_import"]), (&info["observations"], &info["history"], &info["newest_import"]), "{r}");
    assert_eq!(state(&cli_restored), after);
    let err = db.fails(&["restore", "--from", dump.to_str().expect("p")]);
    assert!(err.contains("already has tables"), "{err}");
    // The password never reaches the output (there is none in CI's URL; the store redacts it).
    assert!(!err.contains("password="));
}
