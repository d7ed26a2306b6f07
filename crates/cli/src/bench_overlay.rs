//! `miernik bench overlay`: the private view's incremental update — one unit's approved,
//! unpublished values (10 variables by default) applied through `Snapshot::update_unit`, as
//! `LiveSnapshot::apply_pending` does after an approval — against a full snapshot build of
//! the same synthetic country (`bench compute`'s) with the same values, measured in the same
//! run, and the two compared cell by cell.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Result, bail};
use app::{PendingCell, Private};

/// The seed `app::synth::bench_computed` builds its country from.
const SEED: u64 = 0x5EED_2026;

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// A group's statistics as bits (NaN, "none", equal to itself).
fn bits(r: &app::GroupStats) -> [u64; 10] {
    let f = |x: Option<f64>| x.map_or(u64::MAX, f64::to_bits);
    [r.n as u64, r.missing as u64, f(r.min), f(r.q1), f(r.median), f(r.q3), f(r.max), f(r.mean), f(r.sd), f(r.aggregate)]
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub fn overlay(units: usize, indicators: usize, years: usize, changed: usize, samples: usize, format: crate::SummaryFormat) -> Result<()> {
    if units < 100 || indicators == 0 || !(2..=60).contains(&years) || changed == 0 || samples == 0 {
        bail!("--units at least 100, --indicators at least 1, --years from 2 to 60, --changed and --samples at least 1");
    }
    let t = Instant::now();
    let public = Arc::new(app::synth::bench_computed(units, indicators, years));
    let generate_s = t.elapsed().as_secs_f64();
    let s = &public.snapshot;
    let codes = s.variable_codes().to_vec();
    // The population (v0) moves typology groups, which an incremental update does not: a
    // questionnaire's variables are others.
    let vars: Vec<usize> = (1..codes.len()).take(changed).collect();
    if vars.len() < changed {
        bail!("the country has only {} variables besides the population; ask for fewer (--changed)", codes.len() - 1);
    }
    let y = years - 1;
    let year = i64::from(s.first_year()) + y as i64;
    let gminy: Vec<usize> = (0..units).filter(|&u| public.codes[u].as_str().len() == 7).collect();
    let mut x = 0x9E37_79B9u64;
    let mut random_gmina = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        gminy[(x % gminy.len() as u64) as usize]
    };
    let value_of = |u: usize, v: usize| (s.variable(v, u, y).unwrap_or(100.0) * 1.1 + 1.0).round();
    let cells = |u: usize| -> Vec<PendingCell> {
        vars.iter()
            .map(|&v| PendingCell { unit_id: public.unit_ids[u], variable_code: codes[v].clone(), year, value: Some(value_of(u, v)), campaign_id: 1 })
            .collect()
    };

    // 1. An approval when nothing else is pending: the unit's values on the public view.
    let mut first = Vec::with_capacity(samples);
    let mut engine_only = Vec::with_capacity(samples);
    for _ in 0..samples {
        let u = random_gmina();
        let pending = cells(u);
        let t = Instant::now();
        let p = Private::build(public.clone(), 1, &pending);
        first.push(ms(t));
        if !p.is_marked(u) {
            bail!("unit {u}: the update marked nothing");
        }
        let changes: Vec<(usize, usize, Option<f64>)> = vars.iter().map(|&v| (v, y, Some(value_of(u, v)))).collect();
        let t = Instant::now();
        let _ = std::hint::black_box(s.update_unit(u, &changes));
        engine_only.push(ms(t));
    }
    // 2. An approval mid-campaign: the view already holds `held` other units.
    let mut mid = Vec::new();
    let mut rebuilds = Vec::new();
    for held in [100usize, 1000] {
        let held = held.min(gminy.len() / 2);
        let pending: Vec<PendingCell> = gminy.iter().take(held).flat_map(|&u| cells(u)).collect();
        let t = Instant::now();
        let view = Private::build(public.clone(), 1, &pending);
        rebuilds.push((held, ms(t)));
        let mut times = Vec::with_capacity(samples);
        for k in 0..samples {
            let u = gminy[held + k % (gminy.len() - held)];
            let t = Instant::now();
            let _ = std::hint::black_box(view.with_unit(public.unit_ids[u], &cells(u)));
            times.push(ms(t));
        }
        times.sort_by(f64::total_cmp);
        mid.push((held, percentile(&times, 0.5), times[times.len() - 1]));
    }

    // 3. A full build of the same country with one unit's values changed, best of 3, and
    // the incremental result checked against it.
    let u = gminy[gminy.len() / 2];
    let mut full = Vec::new();
    let mut built = None;
    for _ in 0..3 {
        let mut world = app::synth::bench_world(units, indicators, years, SEED);
        for &v in &vars {
            let col = &mut world.inputs.variables[v].1;
            col.values[u * years + y] = value_of(u, v);
            col.valid[u * years + y] = true;
        }
        let t = Instant::now();
        let b = app::Snapshot::build(world.inputs);
        full.push(ms(t));
        built = Some(b);
    }
    let Some(built) = built else { bail!("no build") };
    let private = Private::build(public.clone(), 1, &cells(u));
    let ps = &private.computed().snapshot;
    let (mut compared, mut differ) = (0usize, 0usize);
    let same = |a: Option<f64>, b: Option<f64>| a.map(f64::to_bits) == b.map(f64::to_bits);
    for i in 0..s.indicator_count() {
        for yy in 0..years {
            compared += 1;
            differ += usize::from(!same(ps.value(i, u, yy), built.value(i, u, yy)));
            for p in 0..s.partition_names().count() {
                if let Some(g) = s.group_of(p, u, yy) {
                    compared += 1;
                    differ += usize::from(bits(&ps.group_stats(i, p, g, yy).to_stats()) != bits(&built.group_stats(i, p, g, yy).to_stats()));
                }
            }
        }
    }
    // An unchanged unit's cells: the country was generated alike (else the comparison above
    // would be against another country).
    let other = gminy[0];
    let alike = (0..s.indicator_count()).all(|i| same(s.value(i, other, y), built.value(i, other, y)));
    if !alike {
        bail!("the full build's country differs from bench_computed's (seed?)");
    }
    if differ > 0 {
        bail!("the incremental update differs from the full build in {differ} of {compared} cells and group statistics");
    }

    first.sort_by(f64::total_cmp);
    engine_only.sort_by(f64::total_cmp);
    full.sort_by(f64::total_cmp);
    let (apply_p50, apply_max) = (percentile(&first, 0.5), first[first.len() - 1]);
    let full_ms = full[0];
    let marks = private.unit(u).map_or(0, |o| o.cells.len());
    match format {
        crate::SummaryFormat::Json => println!(
            "{}",
            serde_json::json!({
                "units": units, "indicators": indicators, "years": years, "changed_variables": changed, "samples": samples,
                "generate_seconds": generate_s,
                "apply_pending_ms": {"p50": apply_p50, "max": apply_max},
                "update_unit_ms_p50": percentile(&engine_only, 0.5),
                "apply_pending_with_others_ms": mid.iter().map(|(h, p50, max)| serde_json::json!({"pending_units": h, "p50": p50, "max": max})).collect::<Vec<_>>(),
                "private_rebuild_ms": rebuilds.iter().map(|(h, t)| serde_json::json!({"pending_units": h, "ms": t})).collect::<Vec<_>>(),
                "full_build_ms": full_ms,
                "ratio_full_over_apply": full_ms / apply_p50,
                "marked_cells": marks, "checked_cells": compared,
            })
        ),
        crate::SummaryFormat::Text => {
            println!(
                "{units} units × {indicators} indicators ({} variables) × {years} years; one gmina's {changed} variables changed in {year} (country generated in {generate_s:.2} s, not timed)",
                codes.len()
            );
            println!(
                "apply_pending, nothing else pending ({samples} random gminy): p50 {apply_p50:.2} ms  max {apply_max:.2} ms  (update_unit alone p50 {:.2} ms)   target ≤ 1000 ms",
                percentile(&engine_only, 0.5)
            );
            for (held, p50, max) in &mid {
                println!("apply_pending, {held} other units pending: p50 {p50:.2} ms  max {max:.2} ms");
            }
            for (held, t) in &rebuilds {
                let how = if *held > app::overlay::WHOLE_BUILD_UNITS { "one full build" } else { "one update_unit per unit" };
                println!("private view rebuilt with {held} pending units (after a public rebuild; {how}): {t:.0} ms");
            }
            println!("full snapshot build (engine only, best of 3): {full_ms:.0} ms");
            println!("ratio full build / apply_pending p50: {:.0}×", full_ms / apply_p50);
            println!(
                "checked: the unit's {marks} marked indicator-years, and all its {compared} values and group statistics, equal the full build's bit for bit"
            );
        }
    }
    Ok(())
}
