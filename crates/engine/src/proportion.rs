//! Proportions and means with their 95 % intervals (Wilson; t for the mean).
//!
//! Survey results (issue 19) are small samples: a school's 30–200 parents. The Wilson score
//! interval stays inside [0, 1] and keeps its coverage near 0 and 1 where the normal ("Wald")
//! interval collapses, and the mean's interval uses Student's t below 30 answers, where the
//! normal quantile would be too narrow. Pure functions, no I/O.

/// The standard normal quantile of 0.975: the z of a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval of `successes` out of `n` at the normal quantile `z` (use
/// [`Z95`] for 95 %): (lo, hi), both in [0, 1]. `None` when `n` is 0 (nothing observed) or
/// `successes` exceeds `n` (not a proportion).
pub fn wilson(successes: u64, n: u64, z: f64) -> Option<(f64, f64)> {
    if n == 0 || successes > n || !z.is_finite() || z < 0.0 {
        return None;
    }
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    // At 0 and at n the bound is 0 (or 1) exactly; rounding would leave 1e-17 off it.
    let lo = if successes == 0 { 0.0 } else { (centre - half).max(0.0) };
    let hi = if p == 1.0 { 1.0 } else { (centre + half).min(1.0) };
    Some((lo, hi))
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom (df ≥ 1): a table to 30,
/// past it the Cornish–Fisher expansion around the normal quantile (error below 1e-5).
pub fn t975(df: u64) -> f64 {
    const TABLE: [f64; 30] = [
        12.706_204_736,
        4.302_652_730,
        3.182_446_305,
        2.776_445_105,
        2.570_581_836,
        2.446_911_851,
        2.364_624_252,
        2.306_004_135,
        2.262_157_163,
        2.228_138_852,
        2.200_985_160,
        2.178_812_830,
        2.160_368_656,
        2.144_786_688,
        2.131_449_546,
        2.119_905_299,
        2.109_815_578,
        2.100_922_040,
        2.093_024_054,
        2.085_963_447,
        2.079_613_845,
        2.073_873_068,
        2.068_657_610,
        2.063_898_562,
        2.059_538_553,
        2.055_529_439,
        2.051_830_516,
        2.048_407_142,
        2.045_229_642,
        2.042_272_456,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[(df - 1) as usize],
        _ => {
            let z = Z95;
            let d = df as f64;
            let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
            z + (z3 + z) / (4.0 * d)
                + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * d * d)
                + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * d * d * d)
        }
    }
}

/// The mean of `values` with its 95 % interval (mean ± t·s/√n, t of n − 1 degrees of
/// freedom): (mean, lo, hi). `None` with fewer than two values (no spread to measure) or a
/// value that is not finite.
pub fn mean_ci(values: &[f64]) -> Option<(f64, f64, f64)> {
    if values.len() < 2 || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    let half = t975(values.len() as u64 - 1) * (var / n).sqrt();
    Some((mean, mean - half, mean + half))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expansion_meets_the_table_at_thirty() {
        // t(31) lies just below t(30) and above z.
        let t31 = t975(31);
        assert!(t31 < t975(30) && t31 > Z95, "{t31}");
        assert!((t975(40) - 2.021_075_39).abs() < 1e-5, "{}", t975(40));
        assert!((t975(120) - 1.979_930_40).abs() < 1e-5, "{}", t975(120));
    }
}
