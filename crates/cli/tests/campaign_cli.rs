//! `miernik campaign …` end to end over the demo database: add a form version, create a
//! campaign from TERYT codes, list it, show its dashboard as JSON and CSV, publish.

use std::process::Command;

fn miernik(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_miernik")).arg("--db").arg(db).args(args).env("USER", "tester").output().expect("runs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_commands() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite:{}", dir.path().join("d.db").display());
    let store = app::Store::open(&db).await.expect("open");
    app::load_demo(&store).await.expect("demo");
    let units: Vec<String> = store
        .units()
        .await
        .expect("units")
        .into_iter()
        .filter(|u| u.kind.is_gmina() && !u.historical && u.valid_to.is_none())
        .map(|u| u.code.as_str().to_owned())
        .take(2)
        .collect();
    store.close().await;

    let form = concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalogue/forms/oswiata.toml");
    let (ok, out, err) = miernik(&db, &["campaign", "form", form]);
    assert!(ok, "{err}");
    assert!(out.contains("oswiata") && out.contains("version 2"), "the demo stored version 1: {out}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[form]\ncode = \"x\"\n").expect("write");
    let (ok, _, err) = miernik(&db, &["campaign", "form", bad.to_str().expect("path")]);
    assert!(!ok && err.contains("bad.toml"), "{err}");

    let list = units.join(",");
    let add = [
        "campaign",
        "add",
        "--form",
        "oswiata",
        "--name",
        "Próba",
        "--year",
        "2031",
        "--deadline",
        "2031-03-31",
        "--publish-on",
        "2031-06-01",
        "--units",
    ];
    let (ok, out, err) = miernik(&db, &[&add[..], &[list.as_str()]].concat());
    assert!(ok, "{err}");
    assert!(out.contains("2 jednostek / units"), "{out}");
    let (ok, _, err) = miernik(&db, &[&add[..], &["9999999"]].concat());
    assert!(!ok && err.contains("9999999"), "{err}");

    let (ok, out, err) = miernik(&db, &["campaign", "list", "--format", "json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let list = v.as_array().expect("array");
    assert_eq!(list.len(), 2, "the demo's campaign and this one");
    let id = list.iter().find(|c| c["name"] == "Próba").and_then(|c| c["id"].as_i64()).expect("id");
    assert_eq!(list.iter().find(|c| c["id"] == id).map(|c| c["created_by"].clone()), Some(serde_json::json!("cli:tester")));

    let (ok, out, err) = miernik(&db, &["campaign", "status", &id.to_string(), "--format", "json", "--today", "2031-04-01"]);
    assert!(ok, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).expect("json");
    let rows = rows.as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["state"].is_null() && r["late"] == true), "{out}");
    let (ok, out, _) = miernik(&db, &["campaign", "status", &id.to_string(), "--format", "csv"]);
    assert!(ok && out.lines().count() == 3 && out.starts_with("teryt,name,state"), "{out}");

    // The demo's approved submission is published once its date has come, and only once.
    let (ok, out, err) = miernik(&db, &["campaign", "publish", "--today", "2099-01-01"]);
    assert!(ok && out.contains("published: 1 import"), "{out}{err}");
    let (ok, out, _) = miernik(&db, &["campaign", "publish", "--today", "2099-01-01"]);
    assert!(ok && out.contains("nothing to publish"), "{out}");
}
