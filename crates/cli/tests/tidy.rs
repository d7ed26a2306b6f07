//! Architecture invariants (ARCHITECTURE.md), checked on every test run.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn deps_of(krate: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml")).expect("manifest");
    let mut deps = Vec::new();
    let mut in_deps = false;
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            in_deps = l == "[dependencies]";
            continue;
        }
        if in_deps
            && let Some((name, _)) = l.split_once(['=', '.'])
            && !name.trim().is_empty()
            && !name.starts_with('#')
        {
            deps.push(name.trim().to_owned());
        }
    }
    deps
}

#[test]
fn pure_crates_do_no_io_and_only_their_owners_use_sqlx_axum_clap() {
    for krate in ["model", "ingest", "formula", "engine", "viz", "export", "pdf"] {
        for banned in ["tokio", "sqlx", "axum", "store", "app"] {
            assert!(!deps_of(krate).contains(&banned.to_owned()), "{krate} must not depend on {banned}");
        }
    }
    for (dep, owner) in [("sqlx", "store"), ("axum", "web"), ("hyper", "web"), ("hyper-util", "web"), ("clap", "cli"), ("ureq", "bdl")] {
        for krate in ["model", "formula", "engine", "ingest", "store", "app", "web", "cli", "bdl", "export", "pdf"] {
            if krate != owner {
                assert!(!deps_of(krate).contains(&dep.to_owned()), "only {owner} may depend on {dep}, not {krate}");
            }
        }
    }
    // The BDL client does HTTP but no database and no async runtime: it runs on a blocking thread.
    for banned in ["tokio", "sqlx", "axum", "clap", "store", "app"] {
        assert!(!deps_of("bdl").contains(&banned.to_owned()), "bdl must not depend on {banned}");
    }
    // No HTTP client anywhere but bdl (ingest stays pure).
    for krate in ["model", "formula", "engine", "ingest", "store", "app", "web", "cli"] {
        for http in ["ureq", "reqwest", "attohttpc", "minreq"] {
            assert!(!deps_of(krate).contains(&http.to_owned()), "only bdl may do HTTP-client I/O, not {krate} ({http})");
        }
    }
    // web serves HTTP through hyper's server half; the client half stays switched off.
    let web_manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../web/Cargo.toml")).expect("web manifest");
    for line in web_manifest.lines().filter(|l| l.starts_with("hyper")) {
        assert!(!line.contains("client"), "web uses hyper as a server only: {line}");
        assert!(line.contains("server"), "web's hyper line names the server half: {line}");
    }
    assert!(deps_of("store").contains(&"sqlx".to_owned()), "the check reads manifests correctly");
    assert!(deps_of("bdl").contains(&"ureq".to_owned()), "the check reads bdl's manifest");
    assert!(deps_of("formula").is_empty(), "formula depends on nothing");
    assert!(deps_of("viz").is_empty(), "viz depends on nothing");
    // The writers of files know nothing of the store or the engine: they take plain rows.
    for krate in ["export", "pdf"] {
        for banned in ["engine", "store", "app", "web", "tokio"] {
            assert!(!deps_of(krate).contains(&banned.to_owned()), "{krate} must not depend on {banned}");
        }
    }
    assert!(
        deps_of("pdf").iter().all(|d| ["pdf-writer", "ttf-parser", "dejavu", "subsetter", "miniz_oxide"].contains(&d.as_str())),
        "pdf: {:?}",
        deps_of("pdf")
    );
}

#[test]
fn every_rust_file_says_what_it_is_for() {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("crates"), &mut files);
    assert!(files.len() > 10);
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        assert!(text.starts_with("//!"), "{} must start with a //! line", f.display());
    }
}
