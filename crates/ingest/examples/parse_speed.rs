//! Parse speed of the long-layout CSV reader: writes N rows (the first argument, default
//! 1 000 000) like `0201011,ludnosc,2020,38486.5` to a temporary file, reads them back and
//! prints rows per second. Not a test: a number for the benchmark script.
//!
//! `cargo run --release -p ingest --example parse_speed -- 5000000`

use std::io::{BufWriter, Write};
use std::time::Instant;

use ingest::{ReadOptions, open_observations};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: u64 = match std::env::args().nth(1) {
        Some(a) => a.replace('_', "").parse()?,
        None => 1_000_000,
    };
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("observations.csv");
    let written = Instant::now();
    {
        let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
        writeln!(out, "unit,variable,year,value")?;
        // 2477 gmina-like codes × 30 years × as many variables as it takes.
        let years = 30u64;
        let units = 2477u64;
        for i in 0..rows {
            let unit = i % units;
            let year = 1995 + (i / units) % years;
            let var = i / (units * years);
            let (pow, gmi) = (unit / 40 + 1, unit % 40 + 1);
            let value = (i % 100_000) as f64 * 1.5 + 0.5;
            writeln!(out, "02{pow:02}{gmi:02}1,zmienna_{var},{year},{value}")?;
        }
        out.flush()?;
    }
    let size = std::fs::metadata(&path)?.len();
    eprintln!("wrote {rows} rows ({:.1} MB) in {:.2} s", size as f64 / 1e6, written.elapsed().as_secs_f64());

    let start = Instant::now();
    let mut reader = open_observations(&path, &ReadOptions::default())?;
    let (mut ok, mut bad, mut sum) = (0u64, 0u64, 0.0f64);
    while let Some(record) = reader.next_record()? {
        match record {
            Ok(r) => {
                ok += 1;
                sum += r.value.map_or(0.0, model::Value::get);
            }
            Err(_) => bad += 1,
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{ok} records, {bad} row errors in {secs:.3} s: {:.0} rows/s, {:.0} MB/s (checksum {sum:.1})",
        ok as f64 / secs,
        size as f64 / 1e6 / secs
    );
    Ok(())
}
