//! The snapshot against a straightforward reference: every value cell by cell, every group's
//! statistics from `stats::describe` over the members gathered one by one, every rank from
//! `stats::positions`; and an incremental change against a full rebuild.
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

use std::sync::Arc;

use engine::snapshot::{IndicatorSpec, Inputs, NO_GROUP, Partition, Snapshot};
use engine::stats::{aggregate, describe, positions};
use formula::{Column, Program, parse};
use model::Polarity;
use proptest::prelude::*;

fn spec(code: &str, num: &str, den: Option<&str>, factor: f64, polarity: Polarity, applies: Arc<[bool]>) -> IndicatorSpec {
    let n = parse(num).unwrap();
    let d = den.map(|d| parse(d).unwrap());
    IndicatorSpec {
        code: code.to_owned(),
        polarity,
        factor,
        max_lag: n.max_lag().max(d.as_ref().map_or(0, |d| d.max_lag())),
        numerator: Program::compile(&n),
        denominator: d.as_ref().map(Program::compile),
        applies,
    }
}

#[derive(Debug, Clone)]
struct World {
    units: usize,
    years: usize,
    a: Vec<Option<f64>>,
    b: Vec<Option<f64>>,
    groups: Vec<u32>,
    applies: Vec<bool>,
}

fn world() -> impl Strategy<Value = World> {
    // Few distinct values so ties are common; zeros so division by zero happens.
    world_of(1..12, 1..5, -3..6)
}

fn world_of(units: std::ops::Range<usize>, years: std::ops::Range<usize>, values: std::ops::Range<i32>) -> impl Strategy<Value = World> {
    (units, years).prop_flat_map(move |(units, years)| {
        let cells = units * years;
        let cell = prop_oneof![3 => values.clone().prop_map(|v| Some(f64::from(v))), 1 => Just(None)];
        (
            Just(units),
            Just(years),
            proptest::collection::vec(cell.clone(), cells),
            proptest::collection::vec(cell, cells),
            proptest::collection::vec(prop_oneof![4 => 0u32..3, 1 => Just(NO_GROUP)], units * years),
            proptest::collection::vec(prop_oneof![5 => Just(true), 1 => Just(false)], units),
        )
            .prop_map(|(units, years, a, b, groups, applies)| World { units, years, a, b, groups, applies })
    })
}

fn build(w: &World) -> Snapshot {
    Snapshot::build(build_inputs(w))
}

fn build_inputs(w: &World) -> Inputs {
    let applies: Arc<[bool]> = Arc::from(w.applies.as_slice());
    Inputs {
        units: w.units,
        first_year: 2010,
        years: w.years,
        variables: vec![("a".into(), Column::from_options(w.a.clone())), ("b".into(), Column::from_options(w.b.clone()))],
        indicators: vec![
            spec("ratio", "a", Some("b"), 100.0, Polarity::HigherBetter, applies.clone()),
            spec("plain", "a + b", None, 1.0, Polarity::LowerBetter, applies.clone()),
            spec("growth", "a - lag(a, 1)", Some("lag(a, 1)"), 1.0, Polarity::Neutral, applies),
        ],
        partitions: vec![
            Partition { name: "all".into(), keys: vec!["all".into()], cell_group: vec![0; w.units * w.years] },
            Partition { name: "some".into(), keys: vec!["x".into(), "y".into(), "z".into()], cell_group: w.groups.clone() },
        ],
    }
}

/// Numerator and denominator of each reference indicator at (unit, year), by hand.
fn parts(w: &World, i: usize, u: usize, y: usize) -> (Option<f64>, Option<Option<f64>>) {
    let c = u * w.years + y;
    let lag = |v: &Vec<Option<f64>>| if y == 0 { None } else { v[c - 1] };
    match i {
        0 => (w.a[c], Some(w.b[c])),
        1 => (w.a[c].zip(w.b[c]).map(|(a, b)| a + b), None),
        _ => (w.a[c].zip(lag(&w.a)).map(|(a, l)| a - l), Some(lag(&w.a))),
    }
}

fn reference_value(w: &World, i: usize, u: usize, y: usize) -> Option<f64> {
    if !w.applies[u] {
        return None;
    }
    let factor = [100.0, 1.0, 1.0][i];
    match parts(w, i, u, y) {
        (Some(n), None) => Some(factor * n),
        (Some(n), Some(Some(d))) if d != 0.0 => Some(factor * n / d),
        _ => None,
    }
    .filter(|v| v.is_finite())
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs())),
        (None, None) => true,
        _ => false,
    }
}

fn check_against_reference(w: &World, s: &Snapshot) -> Result<(), TestCaseError> {
    let pols = [Polarity::HigherBetter, Polarity::LowerBetter, Polarity::Neutral];
    for i in 0..3 {
        for y in 0..w.years {
            for u in 0..w.units {
                prop_assert!(close(s.value(i, u, y), reference_value(w, i, u, y)), "value i{i} u{u} y{y}");
            }
            for (p, part_groups) in [(0usize, 1usize), (1, 3)] {
                for g in 0..part_groups {
                    let members: Vec<usize> = (0..w.units)
                        .filter(|&u| w.applies[u])
                        .filter(|&u| if p == 0 { true } else { w.groups[y * w.units + u] == g as u32 })
                        .collect();
                    let vals: Vec<Option<f64>> = members.iter().map(|&u| reference_value(w, i, u, y)).collect();
                    let mut present: Vec<f64> = vals.iter().flatten().copied().collect();
                    let missing = vals.len() - present.len();
                    let mut want = describe(&mut present, missing);
                    want.aggregate = aggregate(
                        [100.0, 1.0, 1.0][i],
                        members.iter().filter_map(|&u| match parts(w, i, u, y) {
                            (Some(n), None) => Some((n, None)),
                            (Some(n), Some(Some(d))) => Some((n, Some(d))),
                            _ => None,
                        }),
                    );
                    let got = s.group_stats(i, p, g, y).to_stats();
                    prop_assert_eq!((got.n, got.missing), (want.n, want.missing), "n i{} p{} g{} y{}", i, p, g, y);
                    for (a, b) in [
                        (got.min, want.min),
                        (got.q1, want.q1),
                        (got.median, want.median),
                        (got.q3, want.q3),
                        (got.max, want.max),
                        (got.mean, want.mean),
                        (got.sd, want.sd),
                        (got.aggregate, want.aggregate),
                    ] {
                        prop_assert!(close(a, b), "stats i{i} p{p} g{g} y{y}: {got:?} vs {want:?}");
                    }
                    let want_pos = positions(&vals, pols[i]);
                    let mut table = Vec::new();
                    s.ranking(i, p, g, y, &mut table);
                    for (k, &u) in members.iter().enumerate() {
                        let got = s.position(i, p, u, y).unwrap_or_default();
                        prop_assert_eq!(got.rank, want_pos[k].rank, "rank i{} p{} u{} y{}", i, p, u, y);
                        prop_assert!(close(got.percentile, want_pos[k].percentile));
                        prop_assert!(close(got.z, want_pos[k].z), "z {:?} {:?}", got.z, want_pos[k].z);
                        let in_table = table.iter().find(|(m, _)| *m as usize == u).map(|(_, r)| *r);
                        prop_assert_eq!(in_table, want_pos[k].rank);
                    }
                    // An ad-hoc group of the same members gives the same statistics.
                    let m32: Vec<u32> = members.iter().map(|&u| u as u32).collect();
                    let (adhoc, adhoc_pos) = s.adhoc_group(i, y, &m32);
                    prop_assert!(close(adhoc.median, want.median) && close(adhoc.aggregate, want.aggregate));
                    prop_assert_eq!(adhoc_pos.iter().map(|p| p.rank).collect::<Vec<_>>(), want_pos.iter().map(|p| p.rank).collect::<Vec<_>>());
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn snapshot_matches_reference(w in world()) {
        let s = build(&w);
        check_against_reference(&w, &s)?;
        // Every unit's card year in one pass equals the unit-by-unit reading.
        let one_by_one: Vec<Option<usize>> = (0..w.units).map(|u| s.card_year(u)).collect();
        prop_assert_eq!(s.card_years(), one_by_one);
    }

    #[test]
    fn ranks_handed_out_by_the_build_equal_positions(w in world()) {
        let got = std::sync::Mutex::new(Vec::new());
        let units = w.units;
        let sink = |i: usize, y: usize, p: usize, listed: &[u32], ranks: &[u32]| {
            // Per unit (0: not listed), each unit listed at most once.
            let mut per_unit = vec![0u32; units];
            for (&u, &r) in listed.iter().zip(ranks) {
                assert_eq!(per_unit[u as usize], 0, "unit {u} listed twice");
                per_unit[u as usize] = r;
            }
            got.lock().unwrap().push((i, y, p, per_unit));
        };
        let with_ranks = Snapshot::build_with_ranks(build_inputs(&w), Some(&sink));
        let plain = build(&w);
        let got = got.into_inner().unwrap();
        prop_assert_eq!(got.len(), 3 * w.years * 2);
        for (i, y, p, ranks) in got {
            for (u, &r) in ranks.iter().enumerate() {
                let want = plain.position(i, p, u, y).and_then(|pos| pos.rank).unwrap_or(0);
                prop_assert_eq!(r, want, "i{} y{} p{} u{}", i, y, p, u);
            }
        }
        prop_assert_eq!(with_ranks.value(0, 0, 0), plain.value(0, 0, 0));
    }

    #[test]
    fn positions_from_a_rank_index_equal_positions_from_a_pass(w in world()) {
        let s = build(&w);
        for p in 0..s.partition_names().count() {
            for y in 0..w.years {
                let index = s.rank_index(p, y);
                for i in 0..s.indicator_count() {
                    for u in 0..s.units() {
                        prop_assert_eq!(s.position_indexed(&index, i, u), s.position(i, p, u, y), "i{} y{} p{} u{}", i, y, p, u);
                    }
                }
            }
        }
    }

    #[test]
    fn incremental_change_equals_full_rebuild(w in world(), unit in 0usize..12, year in 0usize..5, a in proptest::option::of(-3i32..6), b in proptest::option::of(-3i32..6)) {
        let unit = unit % w.units;
        let year = year % w.years;
        let old = build(&w);
        let mut w2 = w.clone();
        w2.a[unit * w.years + year] = a.map(f64::from);
        w2.b[unit * w.years + year] = b.map(f64::from);
        let new = old.update_unit(unit, &[(0, year, a.map(f64::from)), (1, year, b.map(f64::from))]);
        check_against_reference(&w2, &new)?;
        // The old snapshot is untouched.
        check_against_reference(&w, &old)?;
    }
}

#[test]
fn hand_checked_three_units() {
    // Units 0,1,2; one year. a = 10, 20, 30; b = 2, 0, 5. ratio = 100·a/b: 500, missing
    // (b = 0), 600. Aggregate over units with both parts: 100·(10+20+30)/(2+0+5) = 857.142857…
    let w = World {
        units: 3,
        years: 1,
        a: vec![Some(10.0), Some(20.0), Some(30.0)],
        b: vec![Some(2.0), Some(0.0), Some(5.0)],
        groups: vec![0, 0, 1],
        applies: vec![true; 3],
    };
    let s = build(&w);
    assert_eq!(s.value(0, 0, 0), Some(500.0));
    assert_eq!(s.value(0, 1, 0), None, "division by zero is missing");
    let st = s.group_stats(0, 0, 0, 0).to_stats();
    assert_eq!((st.n, st.missing), (2, 1));
    assert_eq!(st.median, Some(550.0));
    assert!((st.aggregate.unwrap() - 6000.0 / 7.0).abs() < 1e-9);
    assert_eq!(s.position(0, 0, 2, 0).unwrap().rank, Some(1), "600 is best when higher is better");
    assert_eq!(s.position(0, 0, 1, 0), Some(Default::default()), "a missing value takes no rank");
}

#[test]
fn the_latest_year_is_per_indicator_and_a_card_opens_on_the_year_most_indicators_reach() {
    // Two units, three years. a has values in every year for unit 0 but only in 2010 for
    // unit 1; b only in 2010–2011. ratio = a/b reaches 2011, plain = a + b 2011, growth (a's
    // change) 2012 for unit 0.
    let w = World {
        units: 2,
        years: 3,
        a: vec![Some(1.0), Some(2.0), Some(3.0), Some(5.0), None, None],
        b: vec![Some(1.0), Some(1.0), None, Some(1.0), Some(1.0), None],
        groups: vec![0; 6],
        applies: vec![true; 2],
    };
    let s = build(&w);
    assert_eq!(s.latest_year_of(0, None), Some(1), "ratio needs b, which ends in 2011");
    assert_eq!(s.latest_year_of(2, None), Some(2), "growth needs only a");
    assert_eq!(s.latest_year_of(2, Some(&[1])), None, "unit 1 has no growth at all");
    assert_eq!(s.latest_year_of(0, Some(&[1])), Some(0));
    assert_eq!(s.unit_latest_year(2, 0), Some(2));
    // Unit 0: 2011 has ratio, plain and growth (3 of 3); 2012 only growth (1 of 3).
    assert_eq!(s.card_year(0), Some(1), "one indicator alone does not open the card on its year");
    assert_eq!(s.card_year(1), Some(0));
    // The one-pass form for every unit says the same.
    assert_eq!(s.card_years(), vec![s.card_year(0), s.card_year(1)]);
}

/// Every value and every group's statistics of two snapshots, compared bit for bit (NaN
/// equal to NaN): an incremental change must give exactly what a full build gives.
fn assert_identical(w: &World, got: &Snapshot, want: &Snapshot) -> Result<(), TestCaseError> {
    let bits = |r: engine::snapshot::StatRow| {
        [r.min, r.q1, r.median, r.q3, r.max, r.mean, r.sd, r.aggregate]
            .map(f64::to_bits)
            .to_vec()
            .into_iter()
            .chain([u64::from(r.n), u64::from(r.missing)])
            .collect::<Vec<_>>()
    };
    for i in 0..3 {
        for y in 0..w.years {
            for u in 0..w.units {
                prop_assert_eq!(got.value(i, u, y).map(f64::to_bits), want.value(i, u, y).map(f64::to_bits), "value i{} u{} y{}", i, u, y);
            }
            for (p, groups) in [(0usize, 1usize), (1, 3)] {
                for g in 0..groups {
                    prop_assert_eq!(bits(got.group_stats(i, p, g, y)), bits(want.group_stats(i, p, g, y)), "stats i{} p{} g{} y{}", i, p, g, y);
                }
            }
        }
        for v in 0..2 {
            for u in 0..w.units {
                for y in 0..w.years {
                    prop_assert_eq!(got.variable(v, u, y).map(f64::to_bits), want.variable(v, u, y).map(f64::to_bits));
                }
            }
        }
    }
    Ok(())
}

/// One unit's change: `(variable, year, value)` cells.
type Change = (usize, Vec<(usize, usize, Option<f64>)>);

fn changes() -> impl Strategy<Value = Vec<Change>> {
    let cell = (0usize..2, 0usize..5, proptest::option::of((-3i32..6).prop_map(f64::from)));
    proptest::collection::vec((0usize..12, proptest::collection::vec(cell, 1..4)), 1..8)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A sequence of changes (one or several variables, one or several years, the first and
    /// the last year, the lagged indicator's window) applied one unit at a time equals a
    /// full build of the final data, bit for bit; every snapshot along the way stays as it was.
    #[test]
    fn changes_in_sequence_equal_a_full_build_bit_for_bit(w in world(), seq in changes()) {
        let mut snap = build(&w);
        let mut cur = w.clone();
        let mut history = vec![(cur.clone(), snap.clone())];
        for (unit, cells) in seq {
            let unit = unit % w.units;
            let cells: Vec<(usize, usize, Option<f64>)> = cells.into_iter().map(|(v, y, x)| (v, y % w.years, x)).collect();
            for &(v, y, x) in &cells {
                let col = if v == 0 { &mut cur.a } else { &mut cur.b };
                col[unit * w.years + y] = x;
            }
            snap = snap.update_unit(unit, &cells);
            let fresh = build(&cur);
            assert_identical(&cur, &snap, &fresh)?;
            // An ad-hoc group in no particular order reads the changed cells too.
            let members: Vec<u32> = (0..w.units as u32).rev().collect();
            for i in 0..3 {
                for y in 0..w.years {
                    let (got, want) = (snap.adhoc_group(i, y, &members), fresh.adhoc_group(i, y, &members));
                    prop_assert_eq!(format!("{got:?}"), format!("{want:?}"), "ad hoc i{} y{}", i, y);
                }
            }
            history.push((cur.clone(), snap.clone()));
        }
        for (w, s) in &history {
            assert_identical(w, s, &build(w))?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    /// Groups of up to a few hundred with many distinct values, and changes that throw a
    /// value to either end or take it away: the new order statistics lie anywhere from next
    /// to the old quartiles to far from them, the old quartiles themselves may vanish.
    #[test]
    fn large_groups_and_far_moves_equal_a_full_build_bit_for_bit(
        w in world_of(30..300, 1..4, -40..60),
        seq in proptest::collection::vec((0usize..300, 0usize..2, 0usize..3, prop_oneof![Just(None), Just(Some(-1e6)), Just(Some(1e6)), (-40i32..60).prop_map(|v| Some(f64::from(v)))]), 1..6),
    ) {
        let mut snap = build(&w);
        let mut cur = w.clone();
        for (unit, v, y, x) in seq {
            let (unit, y) = (unit % w.units, y % w.years);
            let col = if v == 0 { &mut cur.a } else { &mut cur.b };
            col[unit * w.years + y] = x;
            snap = snap.update_unit(unit, &[(v, y, x)]);
            assert_identical(&cur, &snap, &build(&cur))?;
        }
    }
}

#[test]
fn a_change_in_the_first_and_the_last_year_reaches_the_lagged_indicator() {
    let w = World {
        units: 3,
        years: 3,
        a: vec![Some(1.0), Some(2.0), Some(4.0), Some(2.0), Some(2.0), Some(3.0), Some(5.0), None, Some(1.0)],
        b: vec![Some(1.0); 9],
        groups: vec![0, 0, 1, 0, 1, 1, 2, 2, 2],
        applies: vec![true; 3],
    };
    let s = build(&w);
    assert_eq!(s.value(2, 0, 1), Some(1.0), "growth (2 − 1)/1");
    // Year 0 of unit 0: growth moves in year 1 (the lag), not in year 2.
    let first = s.update_unit(0, &[(0, 0, Some(4.0))]);
    assert_eq!(first.value(2, 0, 1), Some(-0.5));
    assert_eq!(first.value(2, 0, 2), s.value(2, 0, 2));
    // The last year: the lag's reach ends at the last year.
    let last = first.update_unit(0, &[(0, 2, None)]);
    assert_eq!(last.value(2, 0, 2), None);
    assert_eq!(last.value(0, 0, 2), None);
    assert_eq!(last.group_stats(0, 0, 0, 2).to_stats().missing, 1);
    assert_eq!(s.value(2, 0, 1), Some(1.0), "the first snapshot is untouched");
}

#[test]
fn group_membership_stays_as_built() {
    // Documented limitation: partitions are inputs. A change that would move the unit into
    // another group (a population crossing a typology threshold) leaves it where the build
    // put it; only a full build with new partitions moves it.
    let w = World { units: 2, years: 1, a: vec![Some(1.0), Some(2.0)], b: vec![Some(1.0); 2], groups: vec![0, 1], applies: vec![true; 2] };
    let s = build(&w).update_unit(0, &[(0, 0, Some(1_000_000.0))]);
    assert_eq!(s.group_of(1, 0, 0), Some(0));
    assert_eq!(s.members(1, 0, 0), &[0]);
}

#[test]
fn changed_rows_are_folded_into_the_column_and_every_snapshot_keeps_its_own() {
    // 10 units: a variable's patch holds up to 4 changed units, the 5th folds it.
    let units = 10;
    let w = World {
        units,
        years: 2,
        a: (0..units * 2).map(|c| Some(c as f64)).collect(),
        b: (0..units * 2).map(|c| Some(1.0 + (c % 3) as f64)).collect(),
        groups: (0..units * 2).map(|c| (c % 3) as u32).collect(),
        applies: vec![true; units],
    };
    let mut cur = w.clone();
    let mut snaps = vec![(cur.clone(), build(&w))];
    for (k, u) in [3, 7, 3, 0, 9, 5, 1, 8].into_iter().enumerate() {
        let x = Some(100.0 + k as f64);
        cur.a[u * 2 + 1] = x;
        cur.b[u * 2] = None;
        let next = snaps[snaps.len() - 1].1.update_unit(u, &[(0, 1, x), (1, 0, None)]);
        snaps.push((cur.clone(), next));
    }
    for (w, s) in &snaps {
        assert_identical(w, s, &build(w)).expect("equal to a full build");
    }
    let base = build(&w).memory().variables;
    let last = &snaps[snaps.len() - 1].1;
    assert!(last.memory().variables < base + base / 2, "the patch was folded, not grown without end");
    assert_eq!(last.variable(0, 3, 1), Some(102.0), "the later change to a unit wins");
    assert_eq!(snaps[1].1.variable(0, 3, 1), Some(100.0));
    assert_eq!(snaps[0].1.variable(0, 3, 1), Some(7.0));
}

/// Changes to more units than an overlay holds (of a value chunk: 8 units; of a statistics
/// chunk: 8 of its 21 rows) fold the overlays into chunks of their own; after each change the
/// snapshot still equals a full build bit for bit, read item by item and chunk by chunk, and
/// the first snapshot is left as it was.
#[test]
fn changes_past_the_overlay_limit_equal_a_full_build_bit_for_bit() {
    let (units, years) = (60, 3);
    let cell = |c: usize, m: usize| match (c * 7919 + m) % 17 {
        0 => None,
        k => Some(k as f64 - 4.0),
    };
    let mut w = World {
        units,
        years,
        a: (0..units * years).map(|c| cell(c, 1)).collect(),
        b: (0..units * years).map(|c| cell(c, 5)).collect(),
        groups: vec![0; units * years],
        applies: (0..units).map(|u| u % 11 != 3).collect(),
    };
    let inputs = |w: &World| {
        let mut i = build_inputs(w);
        // Twenty groups, a unit's group by its number (year-major cells).
        i.partitions[1] = Partition {
            name: "many".into(),
            keys: (0..20).map(|g| format!("g{g}")).collect(),
            cell_group: (0..units * years).map(|c| ((c % units) % 20) as u32).collect(),
        };
        i
    };
    let bits = |s: &Snapshot| {
        let mut out = Vec::new();
        for i in 0..3 {
            for y in 0..years {
                out.extend(s.year_values(i, y).iter().map(|v| v.to_bits()));
                out.extend((0..units).map(|u| s.value(i, u, y).map_or(1, f64::to_bits)));
                for (p, groups) in [(0, 1), (1, 20)] {
                    for g in 0..groups {
                        let r = s.group_stats(i, p, g, y);
                        out.extend([r.min, r.q1, r.median, r.q3, r.max, r.mean, r.sd, r.aggregate].map(f64::to_bits));
                        out.extend([u64::from(r.n), u64::from(r.missing)]);
                    }
                }
            }
        }
        out
    };
    let first = Snapshot::build(inputs(&w));
    let first_bits = bits(&first);
    let mut snap = first.clone();
    for step in 0..45 {
        let (unit, y) = ((step * 37) % units, step % years);
        let x = if step % 9 == 4 { None } else { Some((step % 13) as f64 - 5.0) };
        w.a[unit * years + y] = x;
        snap = snap.update_unit(unit, &[(0, y, x)]);
        assert_eq!(bits(&snap), bits(&Snapshot::build(inputs(&w))), "after change {step}");
    }
    assert_eq!(bits(&first), first_bits, "the first snapshot is unchanged");
    assert_ne!(bits(&snap), first_bits);
}

/// Edges of the build's blocks: no partitions (no statistics at all), no units, no years —
/// values still computed where there are any, nothing indexed past an end.
#[test]
fn a_build_without_groups_units_or_years_is_well_formed() {
    let w = World {
        units: 3,
        years: 2,
        a: vec![Some(1.0), Some(2.0), Some(3.0), None, Some(5.0), Some(6.0)],
        b: vec![Some(2.0); 6],
        groups: vec![0; 6],
        applies: vec![true; 3],
    };
    let mut inputs = build_inputs(&w);
    inputs.partitions.clear();
    let s = Snapshot::build(inputs);
    assert_eq!(s.value(0, 0, 1), Some(100.0), "2 / 2 × 100");
    assert_eq!(s.value(0, 1, 1), None, "a missing numerator");
    assert_eq!(s.value(1, 2, 0), Some(7.0), "5 + 2");
    assert_eq!(s.year_values(1, 1).len(), 3);
    assert_eq!(s.memory().stats, 0);
    for (units, years) in [(0, 2), (3, 0)] {
        let mut inputs = build_inputs(&World { units, years, a: vec![], b: vec![], groups: vec![], applies: vec![true; units] });
        inputs.partitions.truncate(1);
        let s = Snapshot::build(inputs);
        assert_eq!((s.units(), s.years()), (units, years));
        assert_eq!(s.value(0, 0, 0), None);
        assert_eq!(s.latest_year_of(0, None), None);
        assert_eq!(s.memory().values, 0);
    }
}
