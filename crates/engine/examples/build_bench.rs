//! The engine's full build on a synthetic country, without the rest of Miernik: for
//! profiling (`valgrind --tool=callgrind`, `perf record`) and for checking that a change to
//! the build leaves every output bit the same.
//!
//! `cargo run --release -p engine --example build_bench -- [UNITS] [INDICATORS] [YEARS] [RUNS]`
//! (defaults 2900 750 15 1). Prints per run the build's seconds, then the peak RSS, the rank
//! checksum and a hash of every value and statistic's bits. The world is shaped like
//! `app::synth::bench_world` (same proportions, four indicator shapes, three partitions),
//! not identical to it; `miernik bench compute` stays the benchmark of record.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use engine::snapshot::{IndicatorSpec, Inputs, NO_GROUP, Partition, Snapshot};
use formula::{Column, Program};
use model::Polarity;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-300);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Level of a unit: 0 województwo, 1 miasto na prawach powiatu, 2 powiat, 3.. gmina kinds.
fn kinds(units: usize) -> Vec<usize> {
    let woj = units.min(16);
    let rest = units - woj;
    let mnpp = (rest * 66 / 2900).min(rest);
    let powiaty = (rest * 314 / 2900).min(rest - mnpp);
    let gminy = rest - mnpp - powiaty;
    let mut out = vec![0; woj];
    out.extend(std::iter::repeat_n(1, mnpp));
    out.extend(std::iter::repeat_n(2, powiaty));
    out.extend((0..gminy).map(|g| match g % 50 {
        0..=5 => 3,
        6..=36 => 4,
        _ => 5,
    }));
    out
}

fn world(units: usize, indicators: usize, years: usize) -> Inputs {
    let mut rng = Rng(0x5EED_2026 | 1);
    let kinds = kinds(units);
    let n_vars = (indicators / 5).max(4);
    let cells = units * years;
    let base: Vec<f64> =
        kinds.iter().map(|k| [2_000_000.0, 120_000.0, 80_000.0, 25_000.0, 8_000.0, 8_000.0][*k] * (0.6 * rng.normal()).exp()).collect();
    let mut variables = Vec::with_capacity(n_vars);
    for v in 0..n_vars {
        let rate = if v == 0 { 1.0 } else { 10f64.powf(rng.range(-3.0, 1.0)) };
        let trend = if v == 0 { -0.002 } else { rng.range(-0.02, 0.06) };
        let mut col = Column::missing(cells);
        for (u, &size) in base.iter().enumerate() {
            let unit_rate = rate * (0.3 * rng.normal()).exp();
            for y in 0..years {
                let c = u * years + y;
                let r = rng.unit();
                if v > 0 && r < 0.02 {
                    continue;
                }
                let x = if v > 0 && r < 0.025 {
                    0.0
                } else {
                    let x = size * unit_rate * (1.0 + trend).powi(y as i32) * (0.05 * rng.normal()).exp();
                    if v % 2 == 0 { x.round() } else { (x * 100.0).round() / 100.0 }
                };
                col.values[c] = x;
                col.valid[c] = true;
            }
        }
        variables.push((format!("v{v}"), col));
    }
    let applies: Arc<[bool]> = Arc::from(vec![true; units]);
    let mut specs = Vec::with_capacity(indicators);
    for i in 0..indicators {
        let mut pick = || rng.below(n_vars);
        let (a, b, c) = (pick(), pick(), pick());
        let (num, den) = match rng.below(20) {
            0..=11 => (format!("v{a}"), format!("v{b}")),
            12..=14 => (format!("v{a} + v{b}"), format!("v{c}")),
            15..=16 => (format!("v{a} - lag(v{a}, 1)"), format!("lag(v{a}, 1)")),
            _ => (format!("v{a} - v{b}"), format!("v{c}")),
        };
        let polarity = [Polarity::HigherBetter, Polarity::LowerBetter, Polarity::Neutral][rng.below(3)];
        let factor = [1.0, 100.0, 1000.0][rng.below(3)];
        let (num, den) = (formula::parse(&num).expect("formula"), formula::parse(&den).expect("formula"));
        specs.push(IndicatorSpec {
            code: format!("I{i:04}"),
            polarity,
            factor,
            max_lag: num.max_lag().max(den.max_lag()),
            numerator: Program::compile(&num),
            denominator: Some(Program::compile(&den)),
            applies: applies.clone(),
        });
    }
    // Partitions: level; level × województwo; kind × population class per year.
    let level = |k: usize| k.min(3);
    let country = Partition {
        name: "country".into(),
        keys: (0..4).map(|l| format!("l{l}")).collect(),
        cell_group: (0..cells).map(|c| level(kinds[c % units]) as u32).collect(),
    };
    let woj = Partition {
        name: "wojewodztwo".into(),
        keys: (0..64).map(|k| format!("l{}|{}", k / 16, k % 16)).collect(),
        cell_group: (0..cells).map(|c| (level(kinds[c % units]) * 16 + (c % units) % 16) as u32).collect(),
    };
    let thresholds = [5e3, 1e4, 2e4, 5e4, 1e5, 2e5];
    let pop = &variables[0].1;
    let typology = Partition {
        name: "typology".into(),
        keys: (0..6 * 7).map(|k| format!("k{}:{}", k / 7, k % 7)).collect(),
        cell_group: (0..cells)
            .map(|c| {
                let (y, u) = (c / units, c % units);
                match pop.get(u * years + y) {
                    Some(p) => (kinds[u] * 7 + thresholds.iter().filter(|&&t| p >= t).count()) as u32,
                    None => NO_GROUP,
                }
            })
            .collect(),
    };
    Inputs { units, first_year: 2010, years, variables, indicators: specs, partitions: vec![country, woj, typology] }
}

/// (user + system CPU seconds, minor page faults) of this process so far.
fn cpu_and_faults() -> (f64, u64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let f: Vec<u64> = rest.split_whitespace().map(|x| x.parse().unwrap_or(0)).collect();
    // After the name: state(0) ppid pgrp session tty tpgid flags minflt(7) cminflt majflt cmajflt utime(11) stime(12)
    let get = |k: usize| f.get(k).copied().unwrap_or(0);
    ((get(11) + get(12)) as f64 / 100.0, get(7))
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(0.0, |kib| kib / 1024.0)
}

/// FNV-1a over every value's and statistic's bits.
fn output_hash(s: &Snapshot) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let mut eat = |x: u64| {
        h ^= x;
        h = h.wrapping_mul(0x100_0000_01b3);
    };
    for i in 0..s.indicator_count() {
        for y in 0..s.years() {
            for u in 0..s.units() {
                eat(s.value(i, u, y).map_or(1, f64::to_bits));
            }
            for p in 0..s.partition_names().count() {
                for g in 0..s.group_keys(p).len() {
                    let st = s.group_stats(i, p, g, y);
                    eat(st.n as u64);
                    eat(st.missing as u64);
                    for v in [st.min, st.q1, st.median, st.q3, st.max, st.mean, st.sd, st.aggregate] {
                        eat(v.to_bits());
                    }
                }
            }
        }
    }
    h
}

fn main() {
    let arg = |k: usize, d: usize| std::env::args().nth(k).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (units, indicators, years, runs) = (arg(1, 2900), arg(2, 750), arg(3, 15), arg(4, 1));
    let mut last = None;
    let mut checksum = 0;
    for run in 0..runs {
        drop(last.take());
        let inputs = world(units, indicators, years);
        let sum = AtomicU64::new(0);
        let sink = |_: usize, _: usize, _: usize, _: &[u32], ranks: &[u32]| {
            let s: u64 = ranks.iter().map(|&r| u64::from(r)).sum();
            sum.fetch_add(s, Ordering::Relaxed);
        };
        let (cpu0, faults0) = cpu_and_faults();
        let t = Instant::now();
        let snap = Snapshot::build_with_ranks(inputs, Some(&sink));
        let wall = t.elapsed().as_secs_f64();
        let (cpu1, faults1) = cpu_and_faults();
        println!("run {run}: build {wall:.3} s wall, {:.2} s cpu, {} minor faults", cpu1 - cpu0, faults1 - faults0);
        checksum = sum.load(Ordering::Relaxed);
        last = Some(snap);
    }
    println!("peak_rss_mb {:.1}", peak_rss_mb());
    // As `miernik bench compute` does next: nine incremental changes, each dropped.
    if let Some(snap) = &last {
        let mid = years / 2;
        for k in 0..9 {
            let unit = (k * 7919 + 100) % units;
            let changes: Vec<(usize, usize, Option<f64>)> =
                (0..snap.variable_codes().len()).map(|v| (v, mid, snap.variable(v, unit, mid).map(|x| x * 1.1 + 1.0))).collect();
            drop(snap.update_unit(unit, &changes));
        }
        println!("peak_rss_mb after 9 incremental changes {:.1}", peak_rss_mb());
    }
    if let Some(s) = &last {
        let m = s.memory();
        let mb = |b: usize| b as f64 / (1024.0 * 1024.0);
        println!(
            "snapshot_mb {:.1} (variables {:.1}, values {:.1}, stats {:.1}, partitions {:.1})",
            mb(m.total()),
            mb(m.variables),
            mb(m.values),
            mb(m.stats),
            mb(m.partitions)
        );
    }
    println!("rank_checksum {checksum}");
    if let (None, Some(s)) = (std::env::var_os("NO_HASH"), &last) {
        println!("output_hash {:016x}", output_hash(s));
    }
}
