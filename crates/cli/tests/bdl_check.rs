//! `miernik bdl check-catalogue` against a mock BDL API answering variable metadata in the
//! shape of the real answers (pybdl 1.1.0 samples): a small catalogue with one id that agrees,
//! one whose measure differs, one whose dimensions differ, one whose level is too high for its
//! indicators, one BDL does not know and one series without an id (found among the real
//! sample's variables of its subject). A second run asks for nothing; without a network the
//! cache answers, and with neither the failure is told once. The shipped catalogue against a
//! mock that knows no id: every id reported as not found, no panic.

mod common;

use bdl::mock::{MockServer, serve_metadata, variable_meta};
use common::{Db, data};

fn sample(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(data("bdl/api_samples/pybdl-1.1.0").join(name)).expect("sample")).expect("json")
}

/// The real sample's variables (subjects P1312, P1313, P1317) and a few made in their shape.
fn metadata() -> Vec<serde_json::Value> {
    let mut vars = sample("samples_raw_variables.json")["list_variables"].as_array().expect("list").clone();
    vars.push(variable_meta(72305, "P2137", &["ogółem", "ogółem"], 6, 26, "osoba"));
    vars.push(variable_meta(60559, "P2622", &["gminy łącznie z miastami na prawach powiatu", "razem"], 6, 5, "tys. zł"));
    vars.push(variable_meta(862, "P1614", &["szkoły podstawowe", "ogółem"], 6, 26, "osoba"));
    vars.push(variable_meta(3096, "P1317", &["kobiety"], 5, 26, "osoba"));
    vars
}

fn subjects() -> Vec<(String, String)> {
    [
        ("P2137", "Ludność wg grup wieku i płci"),
        ("P2622", "Dochody własne budżetów gmin"),
        ("P1614", "Uczniowie"),
        ("P1313", "Bezrobotni zarejestrowani wg wieku"),
        ("P1317", "Bezrobotne kobiety"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect()
}

const INDICATOR: &str = r#"
[[indicator]]
code = "IND_{N}"
name_pl = "Wskaźnik {N}"
name_en = "Indicator {N}"
area = "demografia"
service_pl = "Usługa"
kind = "context"
dimension = "quantity"
polarity = "neutral"
numerator = "{VAR}"
unit_pl = "osoba"
applies_to = ["gmina_miejska", "gmina_wiejska", "gmina_miejsko_wiejska", "miasto_na_prawach_powiatu"]
definition_pl = "Definicja"
source = "GUS BDL"
"#;

const VARIABLES: &str = r#"version = "test"

[[variable]]
code = "ludnosc"
name_pl = "Ludność"
unit = "osoba"
bdl_id = 72305
[[variable.bdl_series]]
subject = "P2137"
dims = ["Ogółem", "ogółem"]
measure = "osoba"

[[variable]]
code = "dochody_wlasne"
name_pl = "Dochody własne"
unit = "zł"
bdl_id = 60559
[[variable.bdl_series]]
subject = "P2622"
dims = ["gminy łącznie z miastami na prawach powiatu", "razem"]
measure = "zł"

[[variable]]
code = "uczniowie_sp"
name_pl = "Uczniowie szkół podstawowych"
unit = "osoba"
bdl_id = 862
[[variable.bdl_series]]
subject = "P1614"
dims = ["szkoły podstawowe", "dziewczęta"]
measure = "osoba"

[[variable]]
code = "bezrobotne"
name_pl = "Bezrobotne kobiety"
unit = "osoba"
bdl_id = 3096

[[variable]]
code = "nieznana"
name_pl = "Zmienna o id, którego BDL nie zna"
unit = "osoba"
bdl_id = 999999

[[variable]]
code = "bezrobotni_25_29"
name_pl = "Bezrobotni w wieku 25–29 lat"
unit = "osoba"
[[variable.bdl_series]]
subject = "P1313"
dims = ["ogółem", "25-29"]
measure = "osoba"

[[variable]]
code = "powierzchnia"
name_pl = "Powierzchnia"
unit = "km²"
"#;

fn catalogue(db: &Db) -> std::path::PathBuf {
    let mut text = VARIABLES.to_owned();
    for (i, v) in ["ludnosc", "dochody_wlasne", "uczniowie_sp", "bezrobotne", "nieznana", "bezrobotni_25_29", "powierzchnia"].iter().enumerate() {
        text.push_str(&INDICATOR.replace("{N}", &i.to_string()).replace("{VAR}", v));
    }
    text.push_str(&INDICATOR.replace("{N}", "P").replace("{VAR}", "dochody_wlasne / ludnosc").replace(
        r#"applies_to = ["gmina_miejska", "gmina_wiejska", "gmina_miejsko_wiejska", "miasto_na_prawach_powiatu"]"#,
        r#"applies_to = ["powiat", "wojewodztwo"]"#,
    ));
    let path = db.path("katalog.toml");
    std::fs::write(&path, text).expect("write");
    path
}

fn verdicts(out: &serde_json::Value) -> Vec<(String, String)> {
    out["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .map(|v| (v["code"].as_str().expect("code").to_owned(), v["verdict"].as_str().expect("verdict").to_owned()))
        .collect()
}

fn by_code<'a>(out: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    out["variables"].as_array().expect("variables").iter().find(|v| v["code"] == code).expect("the variable is reported")
}

fn fields(v: &serde_json::Value) -> Vec<&str> {
    v["problems"].as_array().expect("problems").iter().map(|p| p["field"].as_str().expect("field")).collect()
}

#[test]
fn every_verdict_with_its_fields_exit_status_and_a_cached_second_run() {
    let server = MockServer::start(serve_metadata(metadata(), subjects()));
    let db = Db::new();
    let cat = catalogue(&db);
    let cache = db.path("cache");
    let args = |base: &str, format: &str| -> Vec<String> {
        ["bdl", "check-catalogue", cat.to_str().expect("p"), "--base-url", base, "--cache", cache.to_str().expect("p"), "--format", format]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    };
    let run = |a: &[String]| db.run(&a.iter().map(String::as_str).collect::<Vec<_>>());

    let out = run(&args(&server.base_url, "json"));
    assert_eq!(out.status.code(), Some(1), "mismatches and an unknown id fail the check: {}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let expected: Vec<(String, String)> = [
        ("ludnosc", "ok"),
        ("dochody_wlasne", "mismatch"),
        ("uczniowie_sp", "mismatch"),
        ("bezrobotne", "mismatch"),
        ("nieznana", "not_found"),
        ("bezrobotni_25_29", "id_found"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(verdicts(&json), expected, "powierzchnia has no BDL reference and is left out");

    let ok = by_code(&json, "ludnosc");
    assert_eq!(ok["bdl"]["subject_id"], "P2137");
    assert_eq!(ok["bdl"]["subject_name"], "Ludność wg grup wieku i płci");
    assert_eq!(ok["bdl"]["dims"], serde_json::json!(["ogółem", "ogółem"]));
    assert_eq!(ok["bdl"]["level"], 6);
    assert_eq!(ok["expected"]["level"], 6, "its indicator applies to gminy");
    assert_eq!(ok["expected"]["indicators"], serde_json::json!(["IND_0", "IND_P"]));

    let measure = by_code(&json, "dochody_wlasne");
    assert_eq!(fields(measure), ["measure"], "tys. zł converts to the variable's zł, but the series says zł");
    assert_eq!(measure["problems"][0]["bdl"], "tys. zł");
    assert_eq!(measure["problems"][0]["catalogue"], "zł");
    let notes = measure["notes"].to_string();
    assert!(notes.contains("values × 1000 from «tys. zł» to «zł»"), "{notes}");
    assert!(notes.contains("sums of the gminy's budgets") && notes.contains("powiat, wojewodztwo"), "IND_P reads it for powiaty: {notes}");
    assert_eq!(measure["expected"]["indicators"], serde_json::json!(["IND_1", "IND_P"]));
    assert!(!by_code(&json, "ludnosc")["notes"].to_string().contains("sums"), "not a budget");

    let dims = by_code(&json, "uczniowie_sp");
    assert_eq!(fields(dims), ["dims"]);
    assert_eq!(dims["problems"][0]["bdl"], "szkoły podstawowe; ogółem", "the exact texts");
    assert_eq!(dims["problems"][0]["catalogue"], "szkoły podstawowe; dziewczęta");

    let level = by_code(&json, "bezrobotne");
    assert_eq!(fields(level), ["level"], "BDL has it down to powiaty, the indicator needs gminy");
    assert!(level["problems"][0]["bdl"].as_str().expect("bdl").starts_with('5'));

    let unknown = by_code(&json, "nieznana");
    assert!(unknown["error"].as_str().expect("why").contains("HTTP 404"), "{unknown}");
    assert!(unknown["bdl"].is_null());

    // The id of the series, read from the real sample independently of the checker.
    let real = sample("samples_raw_variables.json");
    let want = real["list_variables"]
        .as_array()
        .expect("list")
        .iter()
        .find(|v| v["subjectId"] == "P1313" && v["n1"] == "ogółem" && v["n2"] == "25-29")
        .expect("in the sample")["id"]
        .clone();
    let found = by_code(&json, "bezrobotni_25_29");
    assert_eq!(found["candidates"].as_array().expect("candidates").len(), 1);
    assert_eq!(found["candidates"][0]["id"], want);
    assert!(found["bdl_id"].is_null());
    assert!(server.counts().keys().any(|k| k.starts_with("/api/v1/variables?subject-id=P1313&")), "{:?}", server.counts());
    assert!(server.counts().keys().any(|k| k == "/api/v1/variables/72305?format=json&lang=pl"), "{:?}", server.counts());

    let s = &json["summary"];
    assert_eq!((s["checked"].as_u64(), s["ok"].as_u64(), s["mismatch"].as_u64()), (Some(6), Some(1), Some(3)));
    assert_eq!((s["not_found"].as_u64(), s["id_found"].as_u64(), s["skipped"].as_u64()), (Some(1), Some(1), Some(1)));

    // The table, from the cache: nothing asked again.
    let asked = server.total();
    let out = run(&args(&server.base_url, "table"));
    assert_eq!(server.total(), asked, "a second run asks BDL for nothing");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let row =
        |code: &str| text.lines().find(|l| l.starts_with(&format!("{code} "))).unwrap_or_else(|| panic!("no row for {code}: {text}")).to_owned();
    assert!(row("ludnosc").contains("zgodny / ok"), "{text}");
    assert!(row("dochody_wlasne").contains("niezgodny / mismatch") && row("dochody_wlasne").contains("measure: BDL «tys. zł»"), "{text}");
    assert!(row("nieznana").contains("brak w BDL / not found"), "{text}");
    assert!(
        row("bezrobotni_25_29").contains("do uzupełnienia / id found") && row("bezrobotni_25_29").contains(&format!("bdl_id = {want}")),
        "{text}"
    );
    let last = text.lines().last().expect("summary");
    assert!(
        last.contains("zgodne: 1,") && last.contains("mismatch: 3,") && last.contains("not found: 1,") && last.contains("id found: 1,"),
        "{last}"
    );
    assert!(last.contains("requests: 0,") && last.contains("from the cache: "), "{last}");
    let err = String::from_utf8(out.stderr).expect("utf-8");
    assert!(err.contains("3 mismatch, 1 not found"), "{err}");

    // No network: the cache answers everything it holds.
    let out = run(&args("http://nonexistent.invalid/api/v1", "json"));
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(verdicts(&again), expected, "offline, from the cache");
    assert_eq!(out.status.code(), Some(1));

    // No network and no cache: told once, every variable not checked.
    let fresh = db.path("empty-cache");
    let out = db.run(&[
        "bdl",
        "check-catalogue",
        cat.to_str().expect("p"),
        "--base-url",
        "http://nonexistent.invalid/api/v1",
        "--cache",
        fresh.to_str().expect("p"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).expect("utf-8");
    assert_eq!(err.matches("cannot resolve the host name").count(), 1, "the failure is told once: {err}");
    assert!(err.contains("6 of 6 variables not checked"), "{err}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(verdicts(&json).iter().all(|(_, v)| v == "unchecked"), "{json}");
}

#[test]
fn a_catalogue_that_agrees_passes_with_status_zero() {
    let server = MockServer::start(serve_metadata(metadata(), subjects()));
    let db = Db::new();
    let text = VARIABLES.split("\n[[variable]]\ncode = \"dochody_wlasne\"").next().expect("head").to_owned()
        + &INDICATOR.replace("{N}", "0").replace("{VAR}", "ludnosc");
    let cat = db.path("ok.toml");
    std::fs::write(&cat, text).expect("write");
    let out =
        db.ok(&["bdl", "check-catalogue", cat.to_str().expect("p"), "--base-url", &server.base_url, "--cache", db.path("c").to_str().expect("p")]);
    assert!(out.lines().any(|l| l.starts_with("ludnosc ") && l.contains("zgodny / ok")), "{out}");
}

#[test]
fn the_shipped_catalogue_against_a_bdl_that_knows_no_id_reports_each_as_not_found() {
    let server = MockServer::start(serve_metadata(Vec::new(), Vec::new()));
    let catalogue = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue/indicators.toml");
    let db = Db::new();
    let out = db.run(&[
        "bdl",
        "check-catalogue",
        catalogue.to_str().expect("p"),
        "--base-url",
        &server.base_url,
        "--client-id",
        "klucz",
        "--cache",
        db.path("c").to_str().expect("p"),
        "--format",
        "json",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    // Ids counted straight from the file, independently of the reader.
    let text = std::fs::read_to_string(&catalogue).expect("read");
    let ids: Vec<String> =
        text.lines().filter_map(|l| l.trim().strip_prefix("bdl_id =").map(|v| v.split('#').next().unwrap_or("").trim().to_owned())).collect();
    assert!(!ids.is_empty());
    let rows = json["variables"].as_array().expect("variables");
    let with_id: Vec<&serde_json::Value> = rows.iter().filter(|v| !v["bdl_id"].is_null()).collect();
    assert_eq!(with_id.len(), ids.len(), "one row per bdl_id");
    for v in &with_id {
        assert_eq!(v["verdict"], "not_found", "{v}");
        assert!(ids.contains(&v["bdl_id"].to_string()), "{v}");
    }
    assert!(rows.iter().all(|v| v["verdict"] == "not_found"), "series without an id find nothing either");
    for id in &ids {
        assert!(server.counts().contains_key(&format!("/api/v1/variables/{id}?format=json&lang=pl")), "variable {id} asked for");
    }
}
