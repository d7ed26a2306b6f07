//! Helpers shared by the CLI tests: run the real `miernik` binary, find the shared data.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel)
}

pub struct Db {
    pub dir: tempfile::TempDir,
    pub url: String,
}

impl Default for Db {
    fn default() -> Self {
        Self::new()
    }
}

impl Db {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("m.db").display());
        Db { dir, url }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs miernik with `--db` and the args; returns the output.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_miernik")).arg("--db").arg(&self.url).args(args).output().expect("miernik runs")
    }

    /// Runs and requires success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "miernik {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Runs and requires failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "miernik {args:?} should fail: {}", String::from_utf8_lossy(&out.stdout));
        String::from_utf8(out.stderr).expect("utf-8 stderr")
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).expect("json output")
    }

    pub async fn store(&self) -> app::Store {
        app::Store::open(&self.url).await.expect("store opens")
    }
}

pub const TERC_STATES: [&str; 5] = [
    "teryt/TERC_Urzedowy_2018-10-02.csv",
    "teryt/TERC_Urzedowy_2020-01-01_state.csv",
    "teryt/TERC_Urzedowy_2025-03-20.csv",
    "teryt/TERC_Urzedowy_2025-11-18.csv",
    "teryt/TERC_Urzedowy_2026-01-08.csv",
];

/// Counts per kind straight from a TERC CSV, independently of Miernik's reader.
pub fn kinds_in_file(path: &Path) -> std::collections::BTreeMap<String, usize> {
    let text = std::fs::read_to_string(path).expect("terc file");
    let mut counts = std::collections::BTreeMap::new();
    for line in text.trim_start_matches('\u{feff}').lines().skip(1) {
        let f: Vec<&str> = line.trim_end_matches('\r').split(';').collect();
        if f.len() < 7 {
            continue;
        }
        let kind = if f[1].is_empty() {
            "wojewodztwo"
        } else if f[2].is_empty() {
            if f[5].contains("na prawach powiatu") { "miasto_na_prawach_powiatu" } else { "powiat" }
        } else {
            match f[3] {
                "1" => "gmina_miejska",
                "2" => "gmina_wiejska",
                "3" => "gmina_miejsko_wiejska",
                "4" => "miasto",
                "5" => "obszar_wiejski",
                "8" => "dzielnica",
                "9" => "delegatura",
                other => panic!("unexpected RODZ {other}"),
            }
        };
        *counts.entry(kind.to_owned()).or_insert(0) += 1;
    }
    counts
}

/// Population on 31 XII 2020 by gmina code, read straight from the BDL export (the
/// "ogółem, ogółem" rows), independently of Miernik's reader.
pub fn population_2020() -> std::collections::BTreeMap<String, f64> {
    let text = std::fs::read_to_string(data("bdl/bdl_web_exports/LUDN_2137_CREL_20220407210714.csv")).expect("file");
    let mut out = std::collections::BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(';').map(|s| s.trim_matches('"')).collect();
        if f.len() > 6 && f[2] == "ogółem" && f[3] == "ogółem" {
            out.insert(f[0].to_owned(), f[5].replace(',', ".").parse::<f64>().expect("value"));
        }
    }
    out
}
