//! `miernik bench import`: import speed and memory of long-layout files into SQLite, side by
//! side with the sqlite3 shell's `.import` of the same file (a peer that only copies rows:
//! no validation, no unit lookup, no revisions), measured in the same run.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

/// Writes `rows` long-layout rows over the demo territory's units, streaming.
fn generate(path: &Path, rows: u64, units: &[String]) -> Result<()> {
    let f = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    writeln!(w, "unit,variable,year,value")?;
    let years = 25u64; // 2000..=2024
    let mut n = 0u64;
    let mut var = 0u64;
    'outer: loop {
        for u in units {
            for y in 0..years {
                if n == rows {
                    break 'outer;
                }
                let value = (n.wrapping_mul(2_654_435_761) % 1_000_000) as f64 / 10.0;
                writeln!(w, "{u},v{var:05},{},{value}", 2000 + y)?;
                n += 1;
            }
        }
        var += 1;
    }
    w.flush()?;
    Ok(())
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok())
}

/// Runs a command, returning (seconds, peak RSS in MiB as last seen, stdout).
pub(crate) fn run_measured(cmd: &mut Command) -> Result<(f64, f64, String)> {
    let start = Instant::now();
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().context("cannot start")?;
    let pid = child.id();
    let mut peak = 0u64;
    loop {
        if let Some(kib) = peak_rss_kib(pid) {
            peak = peak.max(kib);
        }
        if child.try_wait()?.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let secs = start.elapsed().as_secs_f64();
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok((secs, peak as f64 / 1024.0, String::from_utf8_lossy(&out.stdout).into_owned()))
}

pub(crate) fn miernik(db: &str) -> Result<Command> {
    let exe = std::env::current_exe().context("cannot find the miernik binary")?;
    let mut c = Command::new(exe);
    c.arg("--db").arg(db);
    Ok(c)
}

pub async fn import(rows: u64, dir: Option<PathBuf>) -> Result<()> {
    let tmp;
    let dir = match dir {
        Some(d) => {
            std::fs::create_dir_all(&d)?;
            d
        }
        None => {
            tmp = std::env::temp_dir().join(format!("miernik-bench-{}", std::process::id()));
            std::fs::create_dir_all(&tmp)?;
            tmp
        }
    };
    // The units: the demo territory, loaded into a template database once.
    let template = dir.join("template.db");
    let _ = std::fs::remove_file(&template);
    let store = app::Store::open(&format!("sqlite:{}", template.display())).await.map_err(|e| anyhow!(e))?;
    app::load_demo(&store).await?;
    let units: Vec<String> = app::list_units(&store, time::OffsetDateTime::now_utc().date(), &app::UnitFilter::default())
        .await?
        .into_iter()
        .map(|u| u.code.to_string())
        .filter(|c| c != "PL")
        .collect();
    store.close().await;

    println!("miernik bench import: {rows} rows, {} units, directory {}", units.len(), dir.display());
    let sizes = [rows / 2, rows];
    let mut peaks = Vec::new();
    for (i, &n) in sizes.iter().enumerate() {
        let csv = dir.join(format!("obs-{n}.csv"));
        generate(&csv, n, &units)?;
        let mb = std::fs::metadata(&csv)?.len() as f64 / 1e6;
        let db = dir.join(format!("bench-{n}.db"));
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
        }
        std::fs::copy(&template, &db)?;
        let url = format!("sqlite:{}", db.display());
        let (t1, rss1, out1) = run_measured(miernik(&url)?.args(["import", "observations"]).arg(&csv).args(["--format", "json"]))?;
        let (t2, rss2, out2) = run_measured(miernik(&url)?.args(["import", "observations"]).arg(&csv).args(["--format", "json"]))?;
        println!("{n:>11} rows ({mb:.0} MB)  first import: {:>9.0} rows/s  {t1:6.2} s  peak RSS {rss1:6.1} MiB  {}", n as f64 / t1, out1.trim());
        println!("{:>11}              re-import:    {:>9.0} rows/s  {t2:6.2} s  peak RSS {rss2:6.1} MiB  {}", "", n as f64 / t2, out2.trim());
        peaks.push(rss1.max(rss2));
        if i + 1 == sizes.len() {
            peer(&csv, &dir, n, t1)?;
        }
        let _ = std::fs::remove_file(&csv);
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
        }
    }
    if let [small, large] = peaks[..] {
        println!(
            "peak RSS at {} rows vs {} rows: {small:.1} MiB vs {large:.1} MiB (ratio {:.2}); the file is streamed and SQLite's page cache is capped at 64 MiB, so memory stops growing once the database outgrows the cache",
            sizes[0],
            sizes[1],
            large / small
        );
    }
    let _ = std::fs::remove_file(&template);
    Ok(())
}

/// The sqlite3 shell importing the same CSV into a plain table, for comparison.
fn peer(csv: &Path, dir: &Path, n: u64, ours: f64) -> Result<()> {
    if Command::new("sqlite3").arg("-version").output().is_err() {
        println!("peer: sqlite3 shell not installed (apt-get install sqlite3) — no comparison");
        return Ok(());
    }
    let db = dir.join("peer.db");
    let _ = std::fs::remove_file(&db);
    let script = format!(
        "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\nCREATE TABLE obs(unit TEXT, variable TEXT, year INTEGER, value REAL);\n.mode csv\n.import --skip 1 {} obs\n",
        csv.display()
    );
    let script_path = dir.join("peer.sql");
    std::fs::write(&script_path, script)?;
    let (t, rss, _) = run_measured(Command::new("sqlite3").arg(&db).arg(format!(".read {}", script_path.display())))?;
    println!(
        "peer: sqlite3 .import (no validation, no revisions): {:>9.0} rows/s  {t:6.2} s  peak RSS {rss:6.1} MiB  → miernik/peer speed ratio {:.2}",
        n as f64 / t,
        t / ours
    );
    let _ = std::fs::remove_file(&db);
    let _ = std::fs::remove_file(&script_path);
    Ok(())
}

/// `miernik bench compute`.
pub fn compute(units: usize, indicators: usize, years: usize, dump: Option<PathBuf>, format: crate::SummaryFormat) -> Result<()> {
    if units < 20 || indicators == 0 || !(2..=60).contains(&years) {
        bail!("--units must be at least 20, --indicators at least 1, --years from 2 to 60");
    }
    let r = app::synth::compute_bench(units, indicators, years, dump.as_deref())
        .with_context(|| format!("cannot write into {}", dump.as_deref().unwrap_or(Path::new("?")).display()))?;
    match format {
        crate::SummaryFormat::Json => {
            let json = serde_json::json!({
                "units": r.units, "indicators": r.indicators, "variables": r.variables, "years": r.years,
                "groups": r.groups,
                "generate_seconds": r.generate_seconds,
                "seconds": r.seconds, "ranking_tables_seconds": r.ranks_seconds,
                "snapshot_mb": r.snapshot_mb, "peak_rss_mb": r.peak_rss_mb,
                "incremental_ms": r.incremental_ms, "nearest_neighbours_ms": r.nearest_neighbours_ms,
                "rank_checksum": r.rank_checksum,
            });
            println!("{json}");
        }
        crate::SummaryFormat::Text => {
            println!(
                "{} units × {} indicators ({} variables) × {} years; {} groups in 3 fixed partitions",
                r.units, r.indicators, r.variables, r.years, r.groups
            );
            println!("generated in {:.2} s (not timed below)", r.generate_seconds);
            println!("full recompute (values, group statistics, ranks): {:.3} s   target ≤ 1 s", r.seconds);
            println!("every ranking table again, group by group as readers ask: {:.3} s", r.ranks_seconds);
            println!("snapshot: {:.0} MB; peak RSS {:.0} MB   target ≤ 400 MB", r.snapshot_mb, r.peak_rss_mb);
            println!("incremental rebuild (one unit, every variable, one year): {:.1} ms   target ≤ 50 ms", r.incremental_ms);
            println!("nearest neighbours (k = 10 of {} units, 10 variables): {:.3} ms   target ≤ 1 ms", r.units, r.nearest_neighbours_ms);
        }
    }
    Ok(())
}

/// `shared/data/SUB` in the working directory or one of its parents.
fn shared_data(sub: &str) -> Option<PathBuf> {
    let mut dir = std::env::current_dir().ok()?;
    loop {
        let p = dir.join("shared/data").join(sub);
        if p.exists() {
            return Some(p);
        }
        if !dir.pop() {
            return None;
        }
    }
}

/// `miernik bench boundaries`: the TERC states go into a fresh SQLite database (not timed),
/// then the gmina boundaries are imported by a child process whose time and peak RSS are
/// measured: reading, matching, neighbours, simplification and the transaction.
pub fn boundaries(file: Option<PathBuf>, terc: Vec<PathBuf>, format: crate::SummaryFormat) -> Result<()> {
    let file = match file.or_else(|| shared_data("boundaries/kreperu_gminy.geojson")) {
        Some(f) => f,
        None => bail!("--file: no ../shared/data/boundaries/kreperu_gminy.geojson found here; name the gmina boundaries file"),
    };
    let terc = if terc.is_empty() {
        ["teryt/TERC_Urzedowy_2018-10-02.csv", "teryt/TERC_Urzedowy_2020-01-01_state.csv"]
            .iter()
            .map(|s| shared_data(s).ok_or_else(|| anyhow!("--terc: no ../shared/data/{s} found here; name the TERC states")))
            .collect::<Result<Vec<_>>>()?
    } else {
        terc
    };
    let dir = tempfile_dir()?;
    let db = dir.join("boundaries.db");
    let url = format!("sqlite:{}", db.display());
    for t in &terc {
        run_measured(miernik(&url)?.args(["import", "units"]).arg(t))?;
    }
    let (secs, rss, out) = run_measured(miernik(&url)?.args(["import", "boundaries"]).arg(&file).args(["--date", "2019-12-31", "--format", "json"]))?;
    let _ = std::fs::remove_dir_all(&dir);
    let summary: serde_json::Value = serde_json::from_str(out.trim()).context("the import's summary is not JSON")?;
    let peer = "no peer: geopandas/shapely (sjoin touches) is not installed here, and GDAL's ogr2ogr neither";
    match format {
        crate::SummaryFormat::Json => println!(
            "{}",
            serde_json::json!({"file": file.display().to_string(), "features": summary["features"], "matched": summary["matched"],
                "neighbour_pairs": summary["neighbour_pairs"], "seconds": secs, "peak_rss_mb": rss, "peer": peer})
        ),
        crate::SummaryFormat::Text => {
            println!(
                "miernik bench boundaries: {} ({} features, {} matched), {} neighbour pairs",
                file.display(),
                summary["features"],
                summary["matched"],
                summary["neighbour_pairs"]
            );
            println!("import + neighbours + simplification + store: {secs:.2} s   target ≤ 5 s");
            println!("peak RSS of the import process: {rss:.1} MiB   target ≤ 1024 MiB");
            println!("{peer}");
        }
    }
    Ok(())
}

pub(crate) fn tempfile_dir() -> Result<PathBuf> {
    let d = std::env::temp_dir().join(format!("miernik-bench-boundaries-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

/// `miernik bench pages`.
pub async fn pages(units: usize, indicators: usize, years: usize, renders: usize, format: crate::SummaryFormat) -> Result<()> {
    if units < 100 || indicators == 0 || !(2..=60).contains(&years) || renders == 0 {
        bail!("--units must be at least 100, --indicators at least 1, --years from 2 to 60, --renders at least 1");
    }
    let t = Instant::now();
    let computed = std::sync::Arc::new(app::synth::bench_computed(units, indicators, years));
    let build_seconds = t.elapsed().as_secs_f64();
    let dir = std::env::temp_dir().join(format!("miernik-bench-pages-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    // An empty store: the card's identity comes from the snapshot below; custom groups are none.
    let store = app::Store::open(&format!("sqlite:{}", dir.join("pages.db").display())).await?;
    let portal = compose::portal::Portal::new(1, computed.clone(), &[]);
    let gminy: Vec<usize> = (0..computed.codes.len()).filter(|&u| computed.codes[u].as_str().len() == 7).collect();
    let card = |u: usize| app::UnitCard {
        unit: app::UnitListing {
            code: computed.codes[u].clone(),
            name: computed.names[u].clone(),
            kind: computed.kinds[u],
            parent: None,
            valid_from: None,
            valid_to: None,
            ancestors: Vec::new(),
        },
        id: computed.unit_ids[u],
        is_jst: true,
        codes: Vec::new(),
        names: Vec::new(),
        parent_name: None,
        parent_kind: None,
        ancestors: Vec::new(),
        same_jst: None,
        children: Vec::new(),
    };
    let mut report = Vec::new();
    for group in ["typologia", "najblizsi"] {
        let mut times = Vec::with_capacity(renders);
        let mut bytes = 0usize;
        let mut x = 0x9E37_79B9u64;
        for _ in 0..renders {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let u = gminy[(x % gminy.len() as u64) as usize];
            let c = card(u);
            let t = Instant::now();
            // The web page itself is what this bench measures: its one call into `web`.
            let html =
                web::render_unit_card(&store, &portal, &c, Some(group), false).await.map_err(|e| anyhow!("unit card of {}: {e}", c.unit.code))?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            bytes = bytes.max(html.len());
        }
        times.sort_by(f64::total_cmp);
        let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
        report.push((group, at(0.5), at(0.99), times[times.len() - 1], bytes));
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    match format {
        crate::SummaryFormat::Json => {
            let groups: Vec<serde_json::Value> = report
                .iter()
                .map(|(g, p50, p99, max, bytes)| serde_json::json!({"group": g, "p50_ms": p50, "p99_ms": p99, "max_ms": max, "html_bytes": bytes}))
                .collect();
            println!(
                "{}",
                serde_json::json!({"units": units, "indicators": indicators, "years": years, "renders": renders, "snapshot_seconds": build_seconds, "unit_card": groups})
            );
        }
        crate::SummaryFormat::Text => {
            println!("{units} units × {indicators} indicators × {years} years (snapshot built in {build_seconds:.2} s, not timed below)");
            for (g, p50, p99, max, bytes) in &report {
                println!(
                    "unit card, group {g:<10} p50 {p50:6.2} ms  p99 {p99:6.2} ms  max {max:6.2} ms  ({:.0} KiB of HTML)   target p99 ≤ 5 ms",
                    *bytes as f64 / 1024.0
                );
            }
        }
    }
    Ok(())
}

/// A writer that only counts bytes.
struct Count(u64);

impl std::io::Write for Count {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0 += b.len() as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// This process's peak resident memory so far, in MiB.
fn own_peak_mib() -> f64 {
    peak_rss_kib(std::process::id()).unwrap_or(0) as f64 / 1024.0
}

/// The best of `runs` timings of `f`, in milliseconds, and its last result.
fn best_ms<T>(runs: usize, mut f: impl FnMut() -> Result<T>) -> Result<(f64, T)> {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let v = f()?;
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        last = Some(v);
    }
    last.map(|v| (best, v)).ok_or_else(|| anyhow!("no run"))
}

/// `miernik bench query`: a data query of `pick` indicators × every unit × every year of
/// the synthetic country, as the API answers it (parse, one JSON page, every cell walked)
/// and exported (CSV, XLSX), against the sqlite3 shell running the same query over a long
/// table of the same cells.
pub fn query(units: usize, indicators: usize, years: usize, pick: usize, format: crate::SummaryFormat) -> Result<()> {
    if units < 100 || indicators == 0 || pick == 0 || pick > indicators || !(2..=60).contains(&years) {
        bail!("--units at least 100, --pick from 1 to --indicators, --years from 2 to 60");
    }
    let t = Instant::now();
    let c = app::synth::bench_computed(units, indicators, years);
    let build_seconds = t.elapsed().as_secs_f64();
    let codes: Vec<String> = c.definitions.iter().take(pick).map(|d| d.code.clone()).collect();
    let list = codes.join(",");
    let (parse_ms, q) = best_ms(5, || app::query::DataQuery::parse(&c, &list, "all", "all", &[]).map_err(|e| anyhow!("{e}")))?;
    let cells = q.cells();
    let (page_ms, page_bytes) = best_ms(5, || {
        let q = app::query::DataQuery::parse(&c, &list, "all", "all", &[]).map_err(|e| anyhow!("{e}"))?;
        // The API's answer itself is measured here, so this goes through `web`.
        let page = web::api::data_page(&c, &q, 0, web::api::MAX_DATA_LIMIT, "/data", None);
        Ok(serde_json::to_vec(&page)?.len())
    })?;
    let (walk_ms, checksum) = best_ms(3, || {
        Ok(q.walk(&c, app::query::STANDARD_ORDER, 0).map(|x| x.value.unwrap_or(0.0) + f64::from(x.flag.is_some() as u8)).sum::<f64>())
    })?;
    let meta = compose::download::meta(&c, &q, false, "bench");
    let peak_before = own_peak_mib();
    let (csv_ms, csv_bytes) = best_ms(1, || {
        let mut n = Count(0);
        compose::download::write_to(&c, &q, export::Format::Csv, export::Layout::Long, &meta, &mut n).map_err(|e| anyhow!("{e}"))?;
        Ok(n.0)
    })?;
    let wide = export::Layout::Wide { columns: export::Dim::Year };
    let (xlsx_ms, xlsx_bytes) = best_ms(1, || {
        let mut n = Count(0);
        compose::download::write_to(&c, &q, export::Format::Xlsx, wide, &meta, &mut n).map_err(|e| anyhow!("{e}"))?;
        Ok(n.0)
    })?;
    let peak_after = own_peak_mib();
    let peer = sqlite_peer(&c, &q, &codes)?;
    let ratio = |ours: f64, theirs: Option<f64>| theirs.map(|p| p / ours);
    match format {
        crate::SummaryFormat::Json => {
            let json = serde_json::json!({
                "units": units, "indicators": indicators, "years": years, "picked": pick, "cells": cells,
                "snapshot_seconds": build_seconds,
                "parse_ms": parse_ms, "first_page_ms": page_ms, "first_page_bytes": page_bytes, "walk_all_ms": walk_ms,
                "csv_ms": csv_ms, "csv_bytes": csv_bytes, "xlsx_wide_ms": xlsx_ms, "xlsx_bytes": xlsx_bytes,
                "peak_rss_before_exports_mb": peak_before, "peak_rss_after_exports_mb": peak_after,
                "peer_page_ms": peer.map(|p| p.0), "peer_scan_ms": peer.map(|p| p.1), "peer_csv_ms": peer.map(|p| p.2),
                "checksum": checksum,
            });
            println!("{json}");
        }
        crate::SummaryFormat::Text => {
            println!("{units} units × {indicators} indicators × {years} years (snapshot built in {build_seconds:.2} s, not timed below)");
            println!("query: {pick} indicators × {} units × {years} years = {cells} cells", q.units.len());
            println!("parse the query:                         {parse_ms:8.2} ms");
            println!(
                "API answer (parse + first page of {} cells as JSON, {:.0} KiB): {page_ms:8.2} ms   target ≤ 200 ms{}",
                web::api::MAX_DATA_LIMIT,
                page_bytes as f64 / 1024.0,
                ratio(page_ms, peer.map(|p| p.0)).map(|r| format!("   sqlite3 LIMIT page / ours: {r:.1}×")).unwrap_or_default()
            );
            println!(
                "every cell of the query, value and flag: {walk_ms:8.2} ms   target ≤ 200 ms{}",
                ratio(walk_ms, peer.map(|p| p.1)).map(|r| format!("   sqlite3 scan / ours: {r:.1}×")).unwrap_or_default()
            );
            println!(
                "CSV export of the whole query (streamed, {:.0} MiB): {csv_ms:8.0} ms{}",
                csv_bytes as f64 / 1048576.0,
                ratio(csv_ms, peer.map(|p| p.2)).map(|r| format!("   sqlite3 CSV / ours: {r:.1}×")).unwrap_or_default()
            );
            println!("XLSX export, a column per year (streamed, {:.0} MiB): {xlsx_ms:8.0} ms", xlsx_bytes as f64 / 1048576.0);
            println!(
                "peak RSS before the exports {peak_before:.0} MiB, after {peak_after:.0} MiB: the exports added {:.0} MiB for {:.0} MiB written",
                peak_after - peak_before,
                (csv_bytes + xlsx_bytes) as f64 / 1048576.0
            );
            if let Some((page, scan, csv)) = peer {
                println!("peer sqlite3 (long table, indexed): page {page:.1} ms, scan {scan:.1} ms, CSV {csv:.0} ms");
            } else {
                println!("peer: sqlite3 shell not installed (apt-get install sqlite3) — no comparison");
            }
        }
    }
    Ok(())
}

/// The sqlite3 shell over a long table of the query's cells (indexed by indicator): the
/// first page, a scan of every cell, the CSV of all — milliseconds, best of three each.
fn sqlite_peer(c: &app::Computed, q: &app::query::DataQuery, codes: &[String]) -> Result<Option<(f64, f64, f64)>> {
    if Command::new("sqlite3").arg("-version").output().is_err() {
        return Ok(None);
    }
    let dir = std::env::temp_dir().join(format!("miernik-bench-query-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let csv_path = dir.join("cells.csv");
    {
        let mut w = csv::Writer::from_path(&csv_path)?;
        let first = c.snapshot.first_year();
        for x in q.walk(c, app::query::STANDARD_ORDER, 0) {
            let value = x.value.map(|v| v.to_string()).unwrap_or_default();
            let year = (first + q.years[x.year as usize] as i32).to_string();
            w.write_record([
                codes[x.indicator as usize].as_str(),
                c.codes[q.units[x.unit as usize]].as_str(),
                year.as_str(),
                value.as_str(),
                x.flag.map(|f| f.as_str()).unwrap_or(""),
            ])?;
        }
        w.flush()?;
    }
    let db = dir.join("peer.db");
    let load = format!(
        "CREATE TABLE cells(indicator TEXT, unit TEXT, year INTEGER, value REAL, flag TEXT);\n.mode csv\n.import {} cells\nCREATE INDEX cells_i ON cells(indicator, unit, year);\nANALYZE;\n",
        csv_path.display()
    );
    std::fs::write(dir.join("load.sql"), load)?;
    run_measured(Command::new("sqlite3").arg(&db).arg(format!(".read {}", dir.join("load.sql").display())))?;
    let inlist = codes.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(",");
    let select = format!("SELECT indicator, unit, year, value, flag FROM cells WHERE indicator IN ({inlist}) ORDER BY indicator, unit, year");
    let scripts = [
        format!(".mode json\n.output {}\n{select} LIMIT 10000;\n", dir.join("page.json").display()),
        format!("SELECT count(*), total(value) FROM cells WHERE indicator IN ({inlist});\n"),
        format!(".mode csv\n.output {}\n{select};\n", dir.join("all.csv").display()),
    ];
    let mut out = [0.0; 3];
    for (k, s) in scripts.iter().enumerate() {
        let path = dir.join(format!("q{k}.sql"));
        std::fs::write(&path, s)?;
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let (t, _, _) = run_measured(Command::new("sqlite3").arg("-readonly").arg(&db).arg(format!(".read {}", path.display())))?;
            best = best.min(t * 1000.0);
        }
        out[k] = best;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Some((out[0], out[1], out[2])))
}
