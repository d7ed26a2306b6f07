//! The private view: the public snapshot with the approved but not yet published
//! questionnaire values applied, unit by unit, through [`engine::snapshot::Snapshot::update_unit`]
//! (no full rebuild: per unit its changed variables' rows and the indicator-years reading
//! them), and the marks of what those values change — the (indicator, unit, year) cells whose
//! value differs from the public one and the (variable, unit, year) inputs that differ — for
//! the unit card's "niepublikowane / unpublished".
//!
//! Only those allowed to read a unit's unpublished values see this view (the web checks
//! `Action::ReadUnpublished`); the public snapshot is never touched: the overlay shares its
//! untouched arrays and copies what it changes. With nothing pending the view *is* the public
//! snapshot (the same `Arc`, no copy).
//!
//! Limits, as `update_unit`'s: group membership is the public build's (a pending population
//! that would move a unit across a typology threshold does not move it here), and a slowly
//! changing input's pending value is not carried into neighbouring years; both are right
//! again at the full build that follows publication. A pending value whose variable no
//! indicator reads, or whose year the snapshot does not span, or of a unit the snapshot does
//! not hold, is skipped and counted ([`Private::skipped`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use engine::snapshot::{Inputs, NO_GROUP, Partition, Snapshot};
use formula::Column;

use crate::Computed;

/// One approved, unpublished value as the overlay takes it (from
/// `app::campaigns::pending_values`).
#[derive(Debug, Clone, PartialEq)]
pub struct PendingCell {
    pub unit_id: i64,
    pub variable_code: String,
    pub year: i64,
    /// `None`: an empty answer, which publishes nothing and is skipped here too.
    pub value: Option<f64>,
    pub campaign_id: i64,
}

/// One unit's share of the overlay.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitOverlay {
    /// The cells applied: (variable index, year index) → value.
    applied: BTreeMap<(usize, usize), f64>,
    /// The campaigns whose values these are.
    pub campaigns: BTreeSet<i64>,
    /// This unit's pending values not applied (variable or year not in the snapshot, no value).
    pub skipped: usize,
    /// (indicator, year index) whose private value differs from the public one.
    pub cells: BTreeSet<(usize, usize)>,
    /// (variable index, year index) whose pending value differs from the public one.
    pub inputs: BTreeSet<(usize, usize)>,
}

impl UnitOverlay {
    /// Whether anything shown differs from the public snapshot.
    pub fn is_marked(&self) -> bool {
        !self.cells.is_empty() || !self.inputs.is_empty()
    }

    /// How many pending cells are applied.
    pub fn applied(&self) -> usize {
        self.applied.len()
    }
}

/// The public snapshot with every pending unit applied, and the marks.
#[derive(Debug, Clone)]
pub struct Private {
    public: Arc<Computed>,
    public_version: u64,
    computed: Arc<Computed>,
    /// By snapshot unit index: units with pending values.
    units: BTreeMap<usize, UnitOverlay>,
    /// Pending values of units the snapshot does not hold.
    unplaced: usize,
}

impl Private {
    /// The view with nothing pending: the public snapshot itself.
    pub fn public(public: Arc<Computed>, public_version: u64) -> Private {
        Private { computed: public.clone(), public, public_version, units: BTreeMap::new(), unplaced: 0 }
    }

    /// The public snapshot with every pending value applied: one `update_unit` per unit, or
    /// past [`WHOLE_BUILD_UNITS`] units one full build of the public inputs with every pending
    /// cell set (the same result, bit for bit).
    pub fn build(public: Arc<Computed>, public_version: u64, pending: &[PendingCell]) -> Private {
        Private::public(public, public_version).sync(pending)
    }

    /// This view with `unit_id`'s pending values replaced by `pending` (the unit's whole
    /// current set: a cell pending before and not now goes back to its public value). The
    /// other units' overlays are kept as they are.
    pub fn with_unit(&self, unit_id: i64, pending: &[PendingCell]) -> Private {
        let mine: Vec<&PendingCell> = pending.iter().filter(|p| p.unit_id == unit_id).collect();
        self.with_units(std::iter::once((unit_id, mine.as_slice())), false)
    }

    /// This view brought in line with `pending` (every pending value now): only the units
    /// whose pending set differs from the one applied are updated — one `update_unit` each,
    /// or a whole build when more than [`WHOLE_BUILD_UNITS`] differ —, and units no longer
    /// pending go back to their public values.
    pub fn sync(&self, pending: &[PendingCell]) -> Private {
        let mut by_unit: BTreeMap<i64, Vec<&PendingCell>> = BTreeMap::new();
        for p in pending {
            by_unit.entry(p.unit_id).or_default().push(p);
        }
        for &u in self.units.keys() {
            if let Some(&id) = self.public.unit_ids.get(u) {
                by_unit.entry(id).or_default();
            }
        }
        // Units the snapshot does not hold are counted afresh.
        let base = Private { unplaced: 0, ..self.clone() };
        base.with_units(by_unit.iter().map(|(&id, cells)| (id, cells.as_slice())), true)
    }

    /// Sets the pending values of each unit listed (its whole set). With `whole_allowed` and
    /// more than [`WHOLE_BUILD_UNITS`] units changed, every applied cell (the listed units'
    /// new ones, the others' as they were) goes into one full build instead.
    fn with_units<'a>(&self, units: impl Iterator<Item = (i64, &'a [&'a PendingCell])>, whole_allowed: bool) -> Private {
        let public = &*self.public;
        let ps = &public.snapshot;
        let mut next = Private {
            public: self.public.clone(),
            public_version: self.public_version,
            computed: self.computed.clone(),
            units: self.units.clone(),
            unplaced: self.unplaced,
        };
        let index: HashMap<i64, usize> = public.unit_ids.iter().enumerate().map(|(u, &id)| (id, u)).collect();
        // The units whose pending set differs from the one applied, with the new set.
        let mut changed: Vec<(usize, UnitOverlay)> = Vec::new();
        for (unit_id, cells) in units {
            let Some(&u) = index.get(&unit_id) else {
                next.unplaced += cells.len();
                continue;
            };
            let overlay = resolve(ps, cells);
            let same = match next.units.get(&u) {
                Some(c) => c.applied == overlay.applied && c.skipped == overlay.skipped && c.campaigns == overlay.campaigns,
                None => overlay.applied.is_empty() && overlay.skipped == 0,
            };
            if !same {
                changed.push((u, overlay));
            }
        }
        if changed.is_empty() {
            return next;
        }
        if whole_allowed && changed.len() > WHOLE_BUILD_UNITS {
            for (u, overlay) in changed {
                next.units.insert(u, overlay);
            }
            next.units.retain(|_, o| !o.applied.is_empty() || o.skipped > 0);
            next.computed = whole(&self.public, &mut next.units);
            return next;
        }
        let mut snapshot: Option<Snapshot> = None;
        for (u, mut overlay) in changed {
            let before = next.units.get(&u).map(|o| &o.applied);
            // The unit's cells: the pending ones, and those pending before and not now back
            // to their public values.
            let mut changes: Vec<(usize, usize, Option<f64>)> = before
                .into_iter()
                .flatten()
                .filter(|(k, _)| !overlay.applied.contains_key(k))
                .map(|(&(v, y), _)| (v, y, ps.variable(v, u, y)))
                .collect();
            changes.extend(overlay.applied.iter().filter(|(k, x)| before.and_then(|b| b.get(k)) != Some(x)).map(|(&(v, y), &x)| (v, y, Some(x))));
            if !changes.is_empty() {
                let base = snapshot.as_ref().unwrap_or(&next.computed.snapshot);
                snapshot = Some(base.update_unit(u, &changes));
            }
            let current = snapshot.as_ref().unwrap_or(&next.computed.snapshot);
            mark(ps, current, u, &mut overlay);
            if overlay.applied.is_empty() && overlay.skipped == 0 {
                next.units.remove(&u);
            } else {
                next.units.insert(u, overlay);
            }
        }
        if let Some(s) = snapshot {
            next.computed = if next.units.values().all(|o| o.applied.is_empty()) {
                self.public.clone()
            } else {
                Arc::new(private_computed(public, s, &next.units))
            };
        }
        next
    }

    /// The private view's snapshot and names (the public `Arc` itself when nothing is applied).
    pub fn computed(&self) -> &Arc<Computed> {
        &self.computed
    }

    /// The public snapshot this overlays.
    pub fn public_snapshot(&self) -> &Arc<Computed> {
        &self.public
    }

    /// The version of the public snapshot this overlays (`LiveSnapshot::version`).
    pub fn public_version(&self) -> u64 {
        self.public_version
    }

    /// True when the view is the public snapshot (nothing applied).
    pub fn is_public(&self) -> bool {
        Arc::ptr_eq(&self.computed, &self.public)
    }

    /// Unit `u`'s (snapshot index) overlay, if it has pending values.
    pub fn unit(&self, u: usize) -> Option<&UnitOverlay> {
        self.units.get(&u)
    }

    /// Whether anything shown for unit `u` differs from the public snapshot.
    pub fn is_marked(&self, u: usize) -> bool {
        self.units.get(&u).is_some_and(UnitOverlay::is_marked)
    }

    /// Whether indicator `i`'s value for unit `u` in year index `y` differs from the public one.
    pub fn cell_marked(&self, i: usize, u: usize, y: usize) -> bool {
        self.units.get(&u).is_some_and(|o| o.cells.contains(&(i, y)))
    }

    /// Whether variable `v`'s value for unit `u` in year index `y` is a pending one that
    /// differs from the public value.
    pub fn input_marked(&self, v: usize, u: usize, y: usize) -> bool {
        self.units.get(&u).is_some_and(|o| o.inputs.contains(&(v, y)))
    }

    /// The units (snapshot indices) with pending values.
    pub fn units(&self) -> impl Iterator<Item = (usize, &UnitOverlay)> {
        self.units.iter().map(|(&u, o)| (u, o))
    }

    /// Pending cells applied, over every unit.
    pub fn applied(&self) -> usize {
        self.units.values().map(|o| o.applied.len()).sum()
    }

    /// Pending values not applied: of units the snapshot does not hold, or whose variable or
    /// year it does not hold, or without a value.
    pub fn skipped(&self) -> usize {
        self.unplaced + self.units.values().map(|o| o.skipped).sum::<usize>()
    }
}

/// Past this many units to update at once the private view is built whole — one
/// `Snapshot::build` over the public inputs with every pending cell set, ~1.6 s at Poland's
/// scale (`miernik bench overlay`) — rather than by one `update_unit` per unit (~11 ms each).
pub const WHOLE_BUILD_UNITS: usize = 100;

/// A unit's pending values resolved to snapshot cells.
fn resolve(s: &Snapshot, cells: &[&PendingCell]) -> UnitOverlay {
    let mut overlay = UnitOverlay::default();
    for c in cells {
        let v = s.variable_index(&c.variable_code);
        let y = i32::try_from(c.year).ok().and_then(|y| s.year_index(y));
        match (v, y, c.value.filter(|x| x.is_finite())) {
            (Some(v), Some(y), Some(x)) => {
                overlay.applied.insert((v, y), x);
                overlay.campaigns.insert(c.campaign_id);
            }
            _ => overlay.skipped += 1,
        }
    }
    overlay
}

/// The private `Computed` built whole: the public snapshot's inputs with every applied cell
/// of `units` set, and their marks (the public `Arc` itself when nothing is applied).
fn whole(public: &Arc<Computed>, units: &mut BTreeMap<usize, UnitOverlay>) -> Arc<Computed> {
    if units.values().all(|o| o.applied.is_empty()) {
        return public.clone();
    }
    let ps = &public.snapshot;
    let mut inputs = inputs_of(ps);
    let years = ps.years();
    for (&u, o) in units.iter() {
        for (&(v, y), &x) in &o.applied {
            if let Some((_, col)) = inputs.variables.get_mut(v) {
                col.values[u * years + y] = x;
                col.valid[u * years + y] = true;
            }
        }
    }
    let snapshot = Snapshot::build(inputs);
    for (&u, o) in units.iter_mut() {
        mark(ps, &snapshot, u, o);
    }
    Arc::new(private_computed(public, snapshot, units))
}

/// What `s` was built from, read back through its accessors: the variables' cells, the
/// indicators, the partitions' groups.
fn inputs_of(s: &Snapshot) -> Inputs {
    let (units, years) = (s.units(), s.years());
    let variables = s
        .variable_codes()
        .iter()
        .enumerate()
        .map(|(v, code)| {
            let mut col = Column::missing(units * years);
            for u in 0..units {
                for y in 0..years {
                    if let Some(x) = s.variable(v, u, y) {
                        col.values[u * years + y] = x;
                        col.valid[u * years + y] = true;
                    }
                }
            }
            (code.clone(), col)
        })
        .collect();
    let partitions = s
        .partition_names()
        .enumerate()
        .map(|(p, name)| Partition {
            name: name.to_owned(),
            keys: s.group_keys(p).to_vec(),
            cell_group: (0..years).flat_map(|y| (0..units).map(move |u| s.group_of(p, u, y).map_or(NO_GROUP, |g| g as u32))).collect(),
        })
        .collect();
    Inputs {
        units,
        first_year: s.first_year(),
        years,
        variables,
        indicators: (0..s.indicator_count()).map(|i| s.indicator(i).clone()).collect(),
        partitions,
    }
}

/// Same value or both missing.
fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.to_bits() == b.to_bits(),
        (None, None) => true,
        _ => false,
    }
}

/// Unit `u`'s marks in `private` against `public`: every indicator-year whose value differs,
/// every applied input that differs.
fn mark(public: &Snapshot, private: &Snapshot, u: usize, overlay: &mut UnitOverlay) {
    overlay.cells.clear();
    overlay.inputs.clear();
    if overlay.applied.is_empty() {
        return;
    }
    for i in 0..public.indicator_count() {
        for y in 0..public.years() {
            if !same(public.value(i, u, y), private.value(i, u, y)) {
                overlay.cells.insert((i, y));
            }
        }
    }
    for (&(v, y), &x) in &overlay.applied {
        if !same(public.variable(v, u, y), Some(x)) {
            overlay.inputs.insert((v, y));
        }
    }
}

/// The public `Computed` around the private `snapshot`: names and definitions copied (the
/// struct holds them by value), the applied cells' flags dropped (a pending value replaces
/// whatever the public cell said: estimated, missing with a reason).
fn private_computed(public: &Computed, snapshot: Snapshot, units: &BTreeMap<usize, UnitOverlay>) -> Computed {
    let mut c = Computed::assemble(
        snapshot,
        public.unit_ids.clone(),
        public.codes.clone(),
        public.names.clone(),
        public.kinds.clone(),
        public.definitions.clone(),
        public.variables.clone(),
    );
    c.inputs = public.inputs.clone();
    c.flags = public.flags.clone();
    if !c.flags.is_empty() {
        for (&u, o) in units {
            for &(v, y) in o.applied.keys() {
                c.flags.remove(&(v as u32, u as u32, y as u16));
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use engine::snapshot::IndicatorSpec;
    use formula::Program;
    use model::{Polarity, UnitKind};

    use super::*;

    /// 6 units × 3 years (2020–2022), variables `a` and `b`, indicator `I` = a / b, one
    /// partition of one group.
    fn public() -> Arc<Computed> {
        let (units, years) = (6, 3);
        let col = |f: &dyn Fn(usize, usize) -> f64| {
            let mut c = Column::missing(units * years);
            for u in 0..units {
                for y in 0..years {
                    c.values[u * years + y] = f(u, y);
                    c.valid[u * years + y] = true;
                }
            }
            c
        };
        let parse = |s: &str| Program::compile(&formula::parse(s).expect("formula"));
        let s = Snapshot::build(Inputs {
            units,
            first_year: 2020,
            years,
            variables: vec![("a".into(), col(&|u, y| (10 * (u + 1) + y) as f64)), ("b".into(), col(&|_, _| 2.0))],
            indicators: vec![IndicatorSpec {
                code: "I".into(),
                polarity: Polarity::HigherBetter,
                factor: 1.0,
                numerator: parse("a"),
                denominator: Some(parse("b")),
                max_lag: 0,
                applies: Arc::from(vec![true; units]),
            }],
            partitions: vec![engine::snapshot::Partition { name: "country".into(), keys: vec!["all".into()], cell_group: vec![0; units * years] }],
        });
        Arc::new(Computed::for_tests(s, units, UnitKind::GminaWiejska))
    }

    fn cell(unit_id: i64, var: &str, year: i64, value: f64) -> PendingCell {
        PendingCell { unit_id, variable_code: var.into(), year, value: Some(value), campaign_id: 7 }
    }

    #[test]
    fn nothing_pending_is_the_public_snapshot_itself() {
        let p = public();
        let v = Private::build(p.clone(), 3, &[]);
        assert!(v.is_public());
        assert!(Arc::ptr_eq(v.computed(), &p));
        assert_eq!(v.public_version(), 3);
        assert!(!v.is_marked(0));
    }

    #[test]
    fn a_pending_value_changes_the_private_view_only_and_is_marked() {
        let p = public();
        let before = p.snapshot.value(0, 2, 1);
        // Unit id 3 is index 2; a = 987 in 2021 → I = 493.5.
        let v =
            Private::build(p.clone(), 1, &[cell(3, "a", 2021, 987.0), cell(3, "nope", 2021, 1.0), cell(3, "a", 1999, 1.0), cell(99, "a", 2021, 1.0)]);
        assert!(!v.is_public());
        assert_eq!(v.computed().snapshot.value(0, 2, 1), Some(493.5));
        assert_eq!(p.snapshot.value(0, 2, 1), before, "the public snapshot is untouched");
        assert!(v.cell_marked(0, 2, 1));
        assert!(!v.cell_marked(0, 2, 0) && !v.cell_marked(0, 1, 1));
        assert!(v.input_marked(0, 2, 1));
        assert!(!v.input_marked(1, 2, 1));
        assert_eq!(v.skipped(), 3, "unknown variable, year outside the snapshot, unknown unit");
        assert_eq!(v.applied(), 1);
        assert_eq!(v.unit(2).map(|o| o.campaigns.iter().copied().collect::<Vec<_>>()), Some(vec![7]));
        // The group's statistics in the private view include the pending value.
        let max = |s: &Snapshot| s.group_stats(0, 0, 0, 1).max;
        assert_eq!(max(&v.computed().snapshot), 493.5);
        assert!(max(&p.snapshot) < 100.0);
        assert_eq!(v.computed().unit_index("0201032"), Some(2), "names and codes come along");
    }

    #[test]
    fn replacing_a_units_pending_set_restores_cells_no_longer_pending() {
        let p = public();
        let v = Private::build(p.clone(), 1, &[cell(3, "a", 2021, 987.0), cell(3, "b", 2022, 4.0), cell(5, "a", 2020, 1.0)]);
        assert!(v.cell_marked(0, 2, 2) && v.cell_marked(0, 4, 0));
        // Unit 3 now has only b = 4 in 2022 pending: a in 2021 is public again.
        let w = v.with_unit(3, &[cell(3, "b", 2022, 4.0), cell(5, "a", 2020, 2.0)]);
        assert_eq!(w.computed().snapshot.value(0, 2, 1), p.snapshot.value(0, 2, 1));
        assert!(!w.cell_marked(0, 2, 1) && !w.input_marked(0, 2, 1));
        assert!(w.cell_marked(0, 2, 2));
        assert_eq!(w.computed().snapshot.value(0, 4, 0), Some(0.5), "unit 5 kept as it was, not re-read from the list");
        // And with nothing left pending for either, the view is the public one again.
        let x = w.with_unit(3, &[]).with_unit(5, &[]);
        assert!(x.is_public());
        assert_eq!(x.applied(), 0);
    }

    #[test]
    fn a_whole_build_equals_one_update_per_unit() {
        let p = public();
        let pending = [cell(1, "a", 2020, 5.0), cell(3, "b", 2021, 8.0), cell(3, "a", 2022, 1e6), cell(6, "b", 2020, 0.5)];
        let chained = Private::build(p.clone(), 1, &pending);
        let mut units = chained.units.clone();
        let whole = whole(&p, &mut units);
        assert_eq!(units, chained.units, "same marks");
        let (a, b) = (&chained.computed().snapshot, &whole.snapshot);
        for u in 0..a.units() {
            for y in 0..a.years() {
                assert_eq!(a.value(0, u, y).map(f64::to_bits), b.value(0, u, y).map(f64::to_bits), "unit {u} year {y}");
                assert_eq!(a.group_stats(0, 0, 0, y).to_stats(), b.group_stats(0, 0, 0, y).to_stats());
            }
        }
        assert!(units.get(&2).is_some_and(|o| o.cells.contains(&(0, 1)) && o.cells.contains(&(0, 2))));
    }

    #[test]
    fn a_pending_value_equal_to_the_public_one_marks_nothing() {
        let p = public();
        let same_value = p.snapshot.variable(0, 1, 0).expect("a");
        let v = Private::build(p.clone(), 1, &[cell(2, "a", 2020, same_value)]);
        assert_eq!(v.applied(), 1);
        assert!(!v.is_marked(1));
        assert_eq!(v.computed().snapshot.value(0, 1, 0), p.snapshot.value(0, 1, 0));
    }
}
