//! Profiling aid: generate the bench world and time only the full build, N times.
fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let ranks = std::env::args().nth(2).as_deref() != Some("noranks");
    let indicators: usize = std::env::args().nth(3).and_then(|a| a.parse().ok()).unwrap_or(750);
    for _ in 0..n {
        let world = app::synth::bench_world(2900, indicators, 15, 0x5EED_2026);
        let sum = std::sync::atomic::AtomicU64::new(0);
        let sink = |_: usize, _: usize, _: usize, _: &[u32], r: &[u32]| {
            let s: u64 = r.iter().map(|&r| u64::from(r)).sum();
            sum.fetch_add(s, std::sync::atomic::Ordering::Relaxed);
        };
        let (t, cpu) = (std::time::Instant::now(), cpu_seconds());
        let snap = if ranks {
            engine::snapshot::Snapshot::build_with_ranks(world.inputs, Some(&sink))
        } else {
            engine::snapshot::Snapshot::build(world.inputs)
        };
        println!(
            "build {:.3} s wall, {:.2} s cpu ({} indicators) checksum {}",
            t.elapsed().as_secs_f64(),
            cpu_seconds() - cpu,
            snap.indicator_count(),
            sum.into_inner()
        );
    }
}

/// User + system CPU time of this process so far (clock ticks of 10 ms), which a busy
/// machine inflates far less than wall time.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |r| r.1);
    let f: Vec<f64> = rest.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    // After the name: state is not a number, so utime/stime are the 12th/13th numbers.
    (f.get(10).copied().unwrap_or(0.0) + f.get(11).copied().unwrap_or(0.0)) / 100.0
}
