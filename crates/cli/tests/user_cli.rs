//! `miernik user …` through the real binary: add (with a new JST organisation), list as
//! JSON, grant and revoke by TERYT code, the invitation link, a password from stdin.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{Db, data};

fn user<'a>(list: &'a serde_json::Value, login: &str) -> &'a serde_json::Value {
    list.as_array().expect("a list").iter().find(|u| u["login"] == login).expect("the user is listed")
}

#[test]
fn users_are_added_listed_granted_invited_and_given_a_password() {
    let db = Db::new();
    db.ok(&["import", "units", data(common::TERC_STATES[2]).to_str().expect("path")]);

    // A new JST organisation needs its kind; then it is made with the user.
    let err = db.fails(&["user", "add", "ala", "--name", "Ala Nowak", "--org", "Gmina Bolesławiec"]);
    assert!(err.contains("Gmina Bolesławiec"), "{err}");
    db.ok(&["user", "add", "Ala", "--name", "Ala Nowak", "--org", "Gmina Bolesławiec", "--org-kind", "jst", "--org-unit", "0201011"]);
    db.ok(&["user", "add", "bob", "--name", "Bob", "--org", "Gmina Bolesławiec"]);
    let err = db.fails(&["user", "add", "ala", "--name", "Again"]);
    assert!(err.contains("exists"), "{err}");

    let list = db.json(&["user", "list", "--format", "json"]);
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    let ala = user(&list, "ala");
    assert_eq!(ala["name"], "Ala Nowak");
    assert_eq!(ala["organisation"], "Gmina Bolesławiec");
    assert_eq!(ala["has_password"], false);
    assert_eq!(ala["roles"].as_array().map(Vec::len), Some(0));

    // data_entry without --units: her own JST; verifier by codes; * only where it may be.
    db.ok(&["user", "grant", "ala", "data_entry"]);
    db.ok(&["user", "grant", "ala", "verifier", "--units", "0201011,0201022"]);
    let err = db.fails(&["user", "grant", "ala", "approver", "--units", "*"]);
    assert!(err.contains("approver"), "{err}");
    let err = db.fails(&["user", "grant", "ala", "boss"]);
    assert!(err.contains("no role `boss`"), "{err}");
    db.ok(&["user", "grant", "bob", "analyst", "--units", "*"]);
    let list = db.json(&["user", "list", "--format", "json"]);
    let roles: Vec<(String, String)> = user(&list, "ala")["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .map(|r| (r["role"].as_str().unwrap_or("").to_owned(), r["unit"].as_str().unwrap_or("*").to_owned()))
        .collect();
    assert_eq!(roles, [("data_entry".into(), "0201011".into()), ("verifier".into(), "0201011".into()), ("verifier".into(), "0201022".into())]);
    assert_eq!(user(&list, "bob")["roles"][0]["all_units"], true);
    db.ok(&["user", "revoke", "ala", "verifier", "--units", "0201022"]);
    let list = db.json(&["user", "list", "--format", "json"]);
    assert_eq!(user(&list, "ala")["roles"].as_array().map(Vec::len), Some(2));
    let table = db.ok(&["user", "list"]);
    assert!(table.contains("verifier:0201011") && table.contains("analyst:*"), "{table}");

    // The invitation link: base URL + /zaproszenie/ + 64 hex digits, one per call.
    let link = db.ok(&["user", "invite", "ala", "--days", "3", "--base-url", "https://miernik.example.pl/"]);
    let token = link.trim().strip_prefix("https://miernik.example.pl/zaproszenie/").expect("the link");
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    let again = db.ok(&["user", "invite", "ala"]);
    assert!(again.trim().starts_with("/zaproszenie/") && !again.contains(token));
    db.fails(&["user", "invite", "nobody"]);

    // The password from stdin, by the rules.
    let set = |password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_miernik"))
            .args(["--db", &db.url, "user", "password", "ala"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes()).expect("write");
        child.wait_with_output().expect("runs")
    };
    let short = set("krótkie");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12"));
    assert!(set("zielone jabłko 42").status.success());
    assert_eq!(user(&db.json(&["user", "list", "--format", "json"]), "ala")["has_password"], true);
}
