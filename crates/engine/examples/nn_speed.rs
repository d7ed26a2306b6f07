//! Nearest neighbours at Poland's scale: 2,900 units × 10 context variables, k = 10, for
//! every unit in turn; prints the time per query next to a naive peer (distances to all,
//! then a full sort) measured in the same run. `cargo run --release -p engine --example nn_speed`

use std::time::Instant;

use engine::neighbours::ContextMatrix;

fn main() {
    let (units, vars, k) = (2900usize, 10usize, 10usize);
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let cols: Vec<Vec<Option<f64>>> = (0..vars).map(|_| (0..units).map(|_| Some(next() * 1000.0)).collect()).collect();
    let refs: Vec<&[Option<f64>]> = cols.iter().map(Vec::as_slice).collect();
    let m = ContextMatrix::standardise(units, &refs);
    let w = vec![1.0; vars];

    let start = Instant::now();
    let mut checksum = 0usize;
    for t in 0..units {
        checksum += m.nearest(t, &w, k, None).map(|n| n[0].unit).unwrap_or(0);
    }
    let ours = start.elapsed().as_secs_f64() / units as f64;

    // The peer: the same distances, then a full sort of all of them.
    let z: Vec<Vec<f64>> = (0..units).map(|u| m.row(u).to_vec()).collect();
    let start = Instant::now();
    let mut peer_sum = 0usize;
    for t in 0..units {
        let mut d: Vec<(f64, usize)> = (0..units)
            .filter(|&u| u != t)
            .map(|u| (z[u].iter().zip(&z[t]).map(|(a, b)| (a - b) * (a - b)).sum::<f64>(), u))
            .collect();
        d.sort_by(|a, b| a.0.total_cmp(&b.0));
        peer_sum += d[0].1;
    }
    let peer = start.elapsed().as_secs_f64() / units as f64;
    println!(
        "nearest neighbours, {units} units × {vars} variables, k = {k}: {:.1} µs per query (naive full sort: {:.1} µs; ratio {:.2}); target ≤ 1000 µs; same answers: {}",
        ours * 1e6,
        peer * 1e6,
        peer / ours,
        if checksum == peer_sum { "yes" } else { "NO" }
    );
}
