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
        for krate in ["model", "formula", "engine", "ingest", "store", "app", "compose", "web", "cli", "bdl", "export", "pdf"] {
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
    for krate in ["model", "formula", "engine", "ingest", "store", "app", "compose", "web", "cli"] {
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
    // Report and export composition knows no HTTP server, async runtime or argv: the portal
    // serves it, the CLI writes it to files.
    for banned in ["axum", "hyper", "tokio", "clap", "web", "cli", "store", "sqlx"] {
        assert!(!deps_of("compose").contains(&banned.to_owned()), "compose must not depend on {banned}");
    }
    assert!(
        deps_of("pdf").iter().all(|d| ["pdf-writer", "ttf-parser", "dejavu", "subsetter", "miniz_oxide"].contains(&d.as_str())),
        "pdf: {:?}",
        deps_of("pdf")
    );
}

/// The CLI needs `web` only to serve; the benchmark may call a web page or API answer where
/// that page itself is what it measures. Reports and exports go through `compose`.
#[test]
fn the_cli_reaches_into_web_only_to_serve() {
    let allowed = ["web::serve(", "web::ServeOptions", "web::render_unit_card(", "web::api::data_page(", "web::api::MAX_DATA_LIMIT"];
    let dir = root().join("crates/cli/src");
    let mut seen = 0;
    for e in std::fs::read_dir(&dir).expect("cli/src").flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&p).expect("read");
        for (at, _) in text.match_indices("web::") {
            // `xweb::` or a word ending in `web` is not the crate.
            if text[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            seen += 1;
            let rest = &text[at..];
            let line = rest.lines().next().unwrap_or("");
            assert!(allowed.iter().any(|a| rest.starts_with(a)), "{}: the cli calls `{line}`; reports and exports go through compose", p.display());
        }
    }
    assert!(seen > 0, "the check finds the cli's calls to web::serve");
    let bench = std::fs::read_to_string(dir.join("bench.rs")).expect("bench.rs");
    for call in ["web::render_unit_card(", "web::api::data_page("] {
        let at = bench.find(call).expect("the bench calls it");
        let before: Vec<&str> = bench[..at].lines().rev().take(3).collect();
        assert!(
            before.iter().any(|l| l.trim_start().starts_with("//") && l.contains("measure")),
            "bench.rs: say in a comment why `{call}` goes through web"
        );
    }
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
