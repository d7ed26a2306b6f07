//! Wilson intervals and mean intervals against published values.

use engine::proportion::{Z95, mean_ci, t975, wilson};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn wilson_of_eight_in_ten_is_the_textbook_interval() {
    let (lo, hi) = wilson(8, 10, Z95).expect("value");
    assert!(close(lo, 0.490, 0.001) && close(hi, 0.943, 0.001), "{lo} {hi}");
}

#[test]
fn wilson_stays_inside_zero_and_one_at_the_edges() {
    let (lo, hi) = wilson(0, 30, Z95).expect("value");
    assert_eq!(lo, 0.0);
    assert!(close(hi, 0.1135, 0.0005), "{hi}");
    let (lo, hi) = wilson(30, 30, Z95).expect("value");
    assert!(close(lo, 0.8865, 0.0005), "{lo}");
    assert_eq!(hi, 1.0);
    // Newcombe (1998), example: 81 of 263 → 0.2553 to 0.3662.
    let (lo, hi) = wilson(81, 263, Z95).expect("value");
    assert!(close(lo, 0.2553, 0.0005) && close(hi, 0.3662, 0.0005), "{lo} {hi}");
}

#[test]
fn wilson_refuses_what_is_not_a_proportion() {
    assert_eq!(wilson(0, 0, Z95), None);
    assert_eq!(wilson(3, 2, Z95), None);
    assert_eq!(wilson(1, 2, f64::NAN), None);
}

#[test]
fn the_mean_interval_uses_t_for_small_samples() {
    // 1..=5: mean 3, sd 1.5811, t(4) = 2.7764 → 3 ± 1.9632.
    let (m, lo, hi) = mean_ci(&[1.0, 2.0, 3.0, 4.0, 5.0]).expect("value");
    assert!(close(m, 3.0, 1e-12));
    assert!(close(lo, 1.0368, 1e-3) && close(hi, 4.9632, 1e-3), "{lo} {hi}");
    assert!(close(t975(1), 12.706, 1e-3));
    assert!(close(t975(29), 2.0452, 1e-4));
    assert!(t975(1000) > Z95 && t975(1000) < 1.963);
}

#[test]
fn the_mean_needs_two_finite_values() {
    assert_eq!(mean_ci(&[]), None);
    assert_eq!(mean_ci(&[4.0]), None);
    assert_eq!(mean_ci(&[4.0, f64::NAN]), None);
    let (m, lo, hi) = mean_ci(&[4.0, 4.0, 4.0]).expect("value");
    assert_eq!((m, lo, hi), (4.0, 4.0, 4.0));
}
