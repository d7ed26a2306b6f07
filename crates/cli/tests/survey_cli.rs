//! `miernik survey …` end to end over the demo database: the standard sets listed and a new
//! set added (a broken one refused with its file and line), paper results imported into the
//! demo gmina's campaign (all or nothing), and the comparison under letters — names only of
//! the consenting unit, all of them with `--reveal`.

use std::process::Command;

fn miernik(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_miernik")).arg("--db").arg(db).args(args).env("USER", "tester").output().expect("runs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// The response count of the campaign with `letter` in a comparison's JSON.
fn responses(v: &serde_json::Value, letter: &str) -> Option<i64> {
    v["campaigns"].as_array()?.iter().find(|c| c["letter"] == letter)?["responses"].as_i64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survey_commands() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite:{}", dir.path().join("d.db").display());
    let store = app::Store::open(&db).await.expect("open");
    app::load_demo(&store).await.expect("demo");
    let cycles = app::exchange::cycles(&store).await.expect("cycles");
    let year = cycles.first().expect("the demo's groups").year;
    // The demo gmina: the demo approver's.
    let own_code = app::accounts::list_users(&store)
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.login == "demo-zatwierdza")
        .and_then(|u| u.grants.into_iter().find_map(|g| g.unit_code))
        .expect("the demo approver's gmina");
    let own = store.units().await.expect("units").into_iter().find(|u| u.code.as_str() == own_code && u.valid_to.is_none()).expect("demo gmina");
    let campaign = app::surveys::campaigns_of_unit(&store, own.id)
        .await
        .expect("campaigns")
        .into_iter()
        .find(|c| c.set_code == "szkola")
        .expect("the demo gmina's school survey");
    store.close().await;
    let year = year.to_string();

    // The standard sets are there (the demo loaded them); a new set is version 1 of its code.
    let (ok, out, err) = miernik(&db, &["survey", "sets"]);
    assert!(ok, "{err}");
    assert!(out.contains("szkola") && out.contains("ops") && !err.contains("standard set added"), "{out}{err}");
    let set = dir.path().join("biblioteka.toml");
    std::fs::write(
        &set,
        "[set]\ncode = \"biblioteka\"\nsector = \"kultura_rekreacja\"\ntitle_pl = \"Biblioteka\"\ntitle_en = \"Library\"\n\n\
         [[question]]\ncode = \"oferta\"\ntext_pl = \"Księgozbiór jest dobry.\"\ntext_en = \"The collection is good.\"\n",
    )
    .expect("write");
    let (ok, out, err) = miernik(&db, &["survey", "sets", "--add", set.to_str().expect("path")]);
    assert!(ok, "{err}");
    assert!(err.contains("biblioteka") && out.lines().any(|l| l.starts_with("biblioteka") && l.contains("Biblioteka")), "{out}{err}");
    let bad = dir.path().join("zly.toml");
    std::fs::write(&bad, "[set]\ncode = \"x\"\n[[question]]\ncode = 5\n").expect("write");
    let (ok, _, err) = miernik(&db, &["survey", "sets", "--add", bad.to_str().expect("path")]);
    assert!(!ok && err.contains("zly.toml"), "{err}");

    // The comparison: letters, one unit named (it consented), one below the minimum.
    let (ok, out, err) = miernik(&db, &["survey", "results", "--set", "szkola", "--year", &year, "--format", "json"]);
    assert!(ok, "{err}");
    let before = json(&out);
    let rows = before["campaigns"].as_array().expect("campaigns");
    assert_eq!(rows.len(), 10);
    assert_eq!(rows.iter().filter(|r| r.get("unit_name").is_some()).count(), 1, "only the consenting unit is named: {out}");
    assert_eq!(rows.iter().filter(|r| r["shown"] == false && r["overall"]["mean"].is_null()).count(), 1, "{out}");
    assert!(!out.contains(own.code.as_str()), "the demo gmina did not consent: {out}");
    let (ok, out, _) = miernik(&db, &["survey", "results", "--set", "szkola", "--year", &year, "--format", "json", "--reveal"]);
    assert!(ok);
    let revealed = json(&out);
    assert!(revealed["campaigns"].as_array().expect("campaigns").iter().all(|r| r.get("unit_name").is_some()), "{out}");
    assert!(out.contains(own.code.as_str()));
    let (ok, out, _) = miernik(&db, &["survey", "results", "--set", "szkola", "--year", &year]);
    assert!(ok && out.contains("za mało odpowiedzi") && out.lines().any(|l| l.starts_with(&format!("{} ", campaign.letter))), "{out}");
    let (ok, _, err) = miernik(&db, &["survey", "results", "--set", "brak", "--year", &year]);
    assert!(!ok && err.contains("brak"), "{err}");

    // Paper results: three questionnaires in; a file with a bad score adds nothing and says where.
    let n = responses(&before, &campaign.letter).expect("the demo gmina's row");
    let codes: Vec<String> = campaign.set.questions.iter().map(|q| q.code.clone()).collect();
    let mut csv = format!("{};uwagi\n", codes.join(";"));
    for row in 0..3 {
        let cells: Vec<String> =
            (0..codes.len()).map(|i| if i == 0 && row == 1 { "nie wiem".into() } else { ((i + row) % 5 + 1).to_string() }).collect();
        csv.push_str(&format!("{};\n", cells.join(";")));
    }
    let file = dir.path().join("papier.csv");
    std::fs::write(&file, &csv).expect("write");
    let id = campaign.id.to_string();
    let (ok, out, err) = miernik(&db, &["survey", "import", "--campaign", &id, file.to_str().expect("path")]);
    assert!(ok, "{err}");
    assert!(out.contains(": 3 "), "{out}");
    let broken = dir.path().join("zle.csv");
    std::fs::write(&broken, csv.replacen("\n1;", "\n7;", 1)).expect("write");
    let (ok, _, err) = miernik(&db, &["survey", "import", "--campaign", &id, broken.to_str().expect("path")]);
    assert!(!ok && err.contains("zle.csv") && err.contains('7'), "{err}");
    let (ok, _, err) = miernik(&db, &["survey", "import", "--campaign", "999999", file.to_str().expect("path")]);
    assert!(!ok && err.contains("999999"), "{err}");
    let (_, out, _) = miernik(&db, &["survey", "results", "--set", "szkola", "--year", &year, "--format", "json"]);
    assert_eq!(responses(&json(&out), &campaign.letter), Some(n + 3), "three in, the broken file added nothing");

    // The import is audited as the CLI's user.
    let (ok, out, err) = miernik(&db, &["audit", "--action", "survey.paper", "--format", "json"]);
    assert!(ok, "{err}");
    assert!(out.contains("cli:tester") && out.contains("papier.csv"), "{out}");
}
