//! `miernik bench load`: from the store to a snapshot at Poland's scale. The synthetic
//! country of `bench compute` (2,900 units × 750 indicators × 15 years: 12.7 million
//! observations of 150 variables) is stored once through the import path, then
//! `miernik compute` runs as a child process — open the database, read every unit, the
//! catalogue and every observation, compute every indicator — timed with its peak RSS. The
//! peer, in the same run, is the database's own shell reading every one of the same rows
//! (`SELECT … GROUP BY variable_id` touching each field): the least any reader of those rows
//! must do, with no computation at all.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::bench::{miernik, run_measured};
use crate::{SummaryFormat, outln};

pub struct LoadArgs {
    pub units: usize,
    pub indicators: usize,
    pub years: usize,
    pub dir: Option<PathBuf>,
    pub postgres: Option<String>,
    pub only_postgres: bool,
    pub runs: usize,
    pub format: SummaryFormat,
}

/// The peer's query: every row read, every field touched, a line per variable printed.
const PEER_SQL: &str = "SELECT variable_id, count(*), sum(unit_id), sum(year), sum(flag), sum(value) FROM observation GROUP BY variable_id";

/// One backend's figures.
struct Measured {
    backend: &'static str,
    observations: i64,
    setup_seconds: Option<f64>,
    seconds: f64,
    load_seconds: f64,
    engine_seconds: f64,
    peak_rss_mb: f64,
    peer: Option<(String, f64, f64)>,
    target_seconds: f64,
}

/// Makes (or reuses) the country in the database at `url`; returns the seconds it took to
/// store it (`None`: reused).
async fn prepare(url: &str, a: &LoadArgs) -> Result<(Option<f64>, i64)> {
    let store = app::Store::open(url).await.with_context(|| format!("cannot open {}", app::redact_url(url)))?;
    let units = store.count("unit").await?;
    let setup = if units == 0 {
        eprintln!(
            "bench: storing the synthetic country ({} units × {} indicators × {} years) in {} …",
            a.units,
            a.indicators,
            a.years,
            store.backend_name()
        );
        let t = std::time::Instant::now();
        let every = std::sync::atomic::AtomicU64::new(0);
        let w = app::synth_store::store_bench_world(&store, a.units, a.indicators, a.years, &|n| {
            if n / 2_000_000 > every.load(std::sync::atomic::Ordering::Relaxed) {
                every.store(n / 2_000_000, std::sync::atomic::Ordering::Relaxed);
                eprintln!("bench:   {n} observations written");
            }
        })
        .await?;
        let secs = t.elapsed().as_secs_f64();
        eprintln!("bench: stored {} observations of {} variables in {secs:.1} s", w.observations, w.variables);
        Some(secs)
    } else {
        let indicators = store.count("indicator").await?;
        if indicators != a.indicators as i64 {
            bail!("{} already holds another database ({units} units, {indicators} indicators); use another --dir", app::redact_url(url));
        }
        eprintln!("bench: reusing the country stored in {}", app::redact_url(url));
        None
    };
    // Records left stale by an older build are rebuilt here, not in the timed runs.
    let rebuilt = store.rebuild_stale_columns().await?;
    if rebuilt > 0 {
        eprintln!("bench: wrote {rebuilt} columnar records missing from the database");
    }
    let observations = store.count("observation").await?;
    store.close().await;
    Ok((setup, observations))
}

/// Runs `cmd` `runs` times; the fastest run's (seconds, peak RSS MiB, stdout).
fn best_of(runs: usize, mut cmd: impl FnMut() -> Result<Command>) -> Result<(f64, f64, String)> {
    let mut best: Option<(f64, f64, String)> = None;
    for _ in 0..runs.max(1) {
        let r = run_measured(&mut cmd()?)?;
        if best.as_ref().is_none_or(|b| r.0 < b.0) {
            best = Some(r);
        }
    }
    best.context("no run")
}

async fn measure(backend: &'static str, url: &str, a: &LoadArgs, sqlite_path: Option<&std::path::Path>) -> Result<Measured> {
    let (setup_seconds, observations) = prepare(url, a).await?;
    let (seconds, peak_rss_mb, out) = best_of(a.runs, || {
        let mut c = miernik(url)?;
        c.args(["compute", "--format", "json"]);
        Ok(c)
    })?;
    let inner: serde_json::Value = serde_json::from_str(out.trim()).with_context(|| format!("miernik compute printed `{}`", out.trim()))?;
    let peer = match sqlite_path {
        Some(path) if which("sqlite3") => {
            let (s, rss, _) = best_of(a.runs, || {
                let mut c = Command::new("sqlite3");
                c.arg("-readonly").arg(path).arg(PEER_SQL);
                Ok(c)
            })?;
            Some(("sqlite3 shell: every row read and summed by variable".to_owned(), s, rss))
        }
        None if which("psql") => {
            let (s, rss, _) = best_of(a.runs, || {
                let mut c = Command::new("psql");
                c.args(["-X", "-q", "-A", "-t", "-d", url, "-c", PEER_SQL]);
                Ok(c)
            })?;
            Some(("psql: every row read and summed by variable (in the server)".to_owned(), s, rss))
        }
        _ => None,
    };
    Ok(Measured {
        backend,
        observations,
        setup_seconds,
        seconds,
        load_seconds: inner["load_seconds"].as_f64().unwrap_or(f64::NAN),
        engine_seconds: inner["engine_seconds"].as_f64().unwrap_or(f64::NAN),
        peak_rss_mb,
        peer,
        target_seconds: if backend == "sqlite" { 2.0 } else { 4.0 },
    })
}

fn which(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

pub async fn load(a: LoadArgs) -> Result<()> {
    if a.units < 100 || a.indicators == 0 || !(2..=60).contains(&a.years) {
        bail!("--units must be at least 100, --indicators at least 1, --years from 2 to 60");
    }
    if a.only_postgres && a.postgres.is_none() {
        bail!("--only-postgres needs --postgres URL");
    }
    let (dir, temporary) = match &a.dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
            (d.clone(), false)
        }
        None => {
            let d = std::env::temp_dir().join(format!("miernik-bench-load-{}", std::process::id()));
            std::fs::create_dir_all(&d)?;
            (d, true)
        }
    };
    let name = format!("load_{}_{}_{}", a.units, a.indicators, a.years);
    let mut all = Vec::new();
    let result: Result<()> = async {
        if !a.only_postgres {
            let path = dir.join(format!("{name}.db"));
            let url = format!("sqlite:{}", path.display());
            all.push(measure("sqlite", &url, &a, Some(&path)).await?);
        }
        if let Some(pg) = &a.postgres {
            let url = app::Store::create_postgres_database(pg, &format!("miernik_bench_{name}")).await?;
            all.push(measure("postgres", &url, &a, None).await?);
        }
        Ok(())
    }
    .await;
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result?;
    match a.format {
        SummaryFormat::Json => {
            let list: Vec<serde_json::Value> = all
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "backend": m.backend, "units": a.units, "indicators": a.indicators, "years": a.years,
                        "observations": m.observations, "setup_seconds": m.setup_seconds,
                        "seconds": m.seconds, "load_seconds": m.load_seconds, "engine_seconds": m.engine_seconds,
                        "peak_rss_mb": m.peak_rss_mb, "target_seconds": m.target_seconds, "target_peak_rss_mb": 600,
                        "peer": m.peer.as_ref().map(|(n, s, r)| serde_json::json!({"name": n, "seconds": s, "peak_rss_mb": r})),
                        "ratio_peer_to_ours": m.peer.as_ref().map(|(_, s, _)| s / m.seconds),
                    })
                })
                .collect();
            outln!("{}", if list.len() == 1 { list[0].clone() } else { serde_json::Value::Array(list) })?;
        }
        SummaryFormat::Text => {
            for m in &all {
                outln!(
                    "{}: {} observations, {} units × {} indicators × {} years{}",
                    m.backend,
                    m.observations,
                    a.units,
                    a.indicators,
                    a.years,
                    m.setup_seconds.map(|s| format!(" (stored in {s:.1} s)")).unwrap_or_default()
                )?;
                outln!(
                    "  miernik compute (whole process, best of {}): {:.2} s   target ≤ {:.0} s; peak RSS {:.0} MB   target ≤ 600 MB",
                    a.runs,
                    m.seconds,
                    m.target_seconds,
                    m.peak_rss_mb
                )?;
                outln!("    inside: reading the store {:.2} s, the engine {:.2} s", m.load_seconds, m.engine_seconds)?;
                match &m.peer {
                    Some((n, s, r)) => outln!(
                        "  peer, {n}: {s:.2} s, peak RSS {r:.0} MB\n  ratio peer / miernik: {:.1}× (miernik also computes every indicator)",
                        s / m.seconds
                    )?,
                    None => outln!("  peer: skipped (no sqlite3 / psql on PATH)")?,
                }
            }
        }
    }
    Ok(())
}
