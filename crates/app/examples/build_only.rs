//! Profiling aid: generate the bench world and time only the full build, N times.
fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let ranks = std::env::args().nth(2).as_deref() != Some("noranks");
    for _ in 0..n {
        let world = app::synth::bench_world(2900, 750, 15, 0x5EED_2026);
        let sum = std::sync::atomic::AtomicU64::new(0);
        let sink = |_: usize, _: usize, _: usize, r: &[u32]| {
            let s: u64 = r.iter().map(|&r| u64::from(r)).sum();
            sum.fetch_add(s, std::sync::atomic::Ordering::Relaxed);
        };
        let t = std::time::Instant::now();
        let snap = if ranks { engine::snapshot::Snapshot::build_with_ranks(world.inputs, Some(&sink)) } else { engine::snapshot::Snapshot::build(world.inputs) };
        println!("build {:.3} s  ({} indicators) checksum {}", t.elapsed().as_secs_f64(), snap.indicator_count(), sum.into_inner());
    }
}
