//! Writes the largest export (50 indicators × 2,900 units × 15 years ≈ 2.2 M cells) to a
//! file in each format, each in its own process, and prints the time and peak RSS of
//! each, next to a table a tenth as large, to show that memory stays flat.
//!
//! `cargo run --release --example big [DIR]` (files go to DIR, by default the temp dir).

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use export::{Cell, Dim, Flag, Format, IndicatorMeta, Lang, Layout, Meta, UnitMeta};

const UNITS: usize = 2_900;
const YEARS: usize = 15;

fn meta(indicators: usize) -> Meta {
    Meta {
        title: "Wszystkie wskaźniki, wszystkie gminy".into(),
        lang: Lang::Pl,
        indicators: (0..indicators)
            .map(|i| IndicatorMeta {
                code: format!("wskaznik_{i:02}"),
                name: format!("Wskaźnik {i} — dochody na mieszkańca"),
                measure_unit: "zł".into(),
                definition: "Definicja wskaźnika.".into(),
                source: "GUS BDL".into(),
                decimals: (i % 3) as u8,
            })
            .collect(),
        units: (0..UNITS)
            .map(|u| UnitMeta {
                code: format!("{:07}", 200_000 + u * 10 + 1), name: format!("Gmina Źródła Łąki {u}"), kind: "gmina wiejska".into()
            })
            .collect(),
        years: (0..YEARS).map(|y| 2010 + y as i32).collect(),
        generated: "2025-01-31T12:00:00Z".into(),
        source_note: "GUS BDL".into(),
        url: "https://miernik.example/eksport".into(),
    }
}

/// The cells, generated lazily in `order`: about 1 % confidential, 1 % missing.
fn cells(meta: &Meta, order: [Dim; 3]) -> impl Iterator<Item = Cell> + use<> {
    export::positions(order, meta).map(|(i, u, y)| {
        let k = u64::from(i) * 7919 + u64::from(u) * 31 + u64::from(y);
        let (value, flag) = match k % 97 {
            0 => (None, Some(Flag::Confidential)),
            1 => (None, None),
            2 => (Some(k as f64 / 8.0), Some(Flag::Preliminary)),
            _ => (Some(k as f64 * 1.37 + 0.5), None),
        };
        Cell { indicator: i, unit: u, year: y, value, flag }
    })
}

/// The peak resident set size of this process, in KiB (VmHWM).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmHWM:").and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())))
        .unwrap_or(0)
}

/// The runs: format, layout, sizes. XLSX cannot hold 2.2 M rows, so at full size it is
/// wide over years (in the long layout the full table is an `ExcelLimit` error).
const RUNS: [(Format, &str, &[usize]); 6] = [
    (Format::Csv, "long", &[5, 50]),
    (Format::CsvPl, "long", &[5, 50]),
    (Format::Xlsx, "long", &[5]),
    (Format::Xlsx, "wide-year", &[5, 50]),
    (Format::Json, "long", &[5, 50]),
    (Format::JsonStat, "long", &[5, 50]),
];

fn parse_layout(s: &str) -> Option<Layout> {
    match s {
        "long" => Some(Layout::Long),
        "wide-year" => Some(Layout::Wide { columns: Dim::Year }),
        "wide-unit" => Some(Layout::Wide { columns: Dim::Unit }),
        "wide-indicator" => Some(Layout::Wide { columns: Dim::Indicator }),
        _ => None,
    }
}

fn child(format: Format, layout: Layout, indicators: usize, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let meta = meta(indicators);
    let path = dir.join(format!("miernik-big-{indicators}-{}.{}", format.as_param(), format.extension()));
    let file = std::fs::File::create(&path)?;
    let started = Instant::now();
    export::write(format, layout, &meta, cells(&meta, export::order_for(format, layout)), BufWriter::new(file))?;
    let secs = started.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&path)?.len();
    println!("{} {} {secs:.2} {bytes} {}", format.as_param(), indicators * UNITS * YEARS, peak_rss_kib());
    std::fs::remove_file(&path)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        let format = args.get(2).and_then(|f| Format::from_param(f)).ok_or("no format")?;
        let layout = args.get(3).and_then(|l| parse_layout(l)).ok_or("no layout")?;
        let indicators: usize = args.get(4).ok_or("no size")?.parse()?;
        let dir = PathBuf::from(args.get(5).ok_or("no dir")?);
        return child(format, layout, indicators, &dir);
    }
    let dir = args.get(1).map_or_else(std::env::temp_dir, PathBuf::from);
    let me = std::env::current_exe()?;
    println!("{:<9} {:<18} {:>10} {:>8} {:>10} {:>14}", "format", "layout", "cells", "seconds", "MiB", "peak RSS MiB");
    for (format, layout, sizes) in RUNS {
        for indicators in sizes {
            let out = Command::new(&me).args(["--child", format.as_param(), layout, &indicators.to_string()]).arg(&dir).output()?;
            if !out.status.success() {
                eprintln!("{} failed: {}", format.as_param(), String::from_utf8_lossy(&out.stderr));
                continue;
            }
            let line = String::from_utf8_lossy(&out.stdout);
            let f: Vec<&str> = line.split_whitespace().collect();
            if let [name, cells, secs, bytes, rss] = f[..] {
                let mib = |s: &str, div: f64| s.parse::<f64>().map_or(0.0, |v| v / div);
                println!("{name:<9} {layout:<18} {cells:>10} {secs:>8} {:>10.1} {:>14.1}", mib(bytes, 1024.0 * 1024.0), mib(rss, 1024.0));
            }
        }
    }
    Ok(())
}
