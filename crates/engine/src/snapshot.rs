//! The columnar snapshot: every indicator's value for every unit and year, and the
//! statistics of every group of the fixed partitions (country, województwo, typology), built
//! in one pass over dense arrays and never changed afterwards. A change makes a *new*
//! snapshot that shares every untouched array with the old one ([`Snapshot::update_unit`]),
//! so whoever holds the old one keeps reading it undisturbed.
//!
//! Layout and memory (the plan behind the numbers in the closing note of issue 3):
//! * variables: one unit-major [`Column`] per variable (cell `u·years + y`), as the formula
//!   evaluator reads them — 9 bytes a cell. A change never copies a column (391 KB each,
//!   59 MB for 150 variables at Poland's scale): the changed unit's row (`years` cells) goes
//!   into the variable's patch, a short list of whole unit rows that take the column's place,
//!   copied on write; once a patch holds more than 1/32 of the units it is folded into a new
//!   column, one column copy spread over that many changes;
//! * indicator values: per indicator and year a chunk of `units` f64, NaN meaning missing
//!   (NaN never leaves: accessors return `Option`) — 8 bytes a cell, every chunk written by
//!   the build in place into one block (see `table`). A change does not copy a chunk: the
//!   unit's new value is laid over it (a chunk is made whole only when a reader asks for it
//!   whole, and folded into a copy of its own after 1/32 of its units changed);
//! * group statistics: per indicator and year one [`StatRow`] (72 bytes) per group, in one
//!   block likewise; a change lays the new rows of the changed unit's groups over the chunk;
//! * positions (rank, percentile, quartile, z) are *not* stored: a unit's rank is one pass
//!   over its group's values (≤ 2,500 comparisons), cheaper to compute than 2 bytes × 3
//!   partitions × every cell (≈ 200 MB at Poland's scale) would be to keep. Whole ranking
//!   tables come from [`Snapshot::ranking`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use formula::{Column, Grid, Program};
use model::Polarity;

use crate::keysort::{KeySortBuf, PACKED_UNIT_MASK, from_sort_key, packed_item, sort_by_key_bits, sort_key, sort_packed};
use crate::stats::{GroupStats, Position, quantile_sorted, quartile_class, sum_lanes, sum_sq_dev};
use crate::table::{Table, View, zeroed};

/// One indicator's place in the build's blocks: its values and its statistics, every year.
type Region<'a> = (&'a mut [f64], &'a mut [StatRow]);

/// A recomputed year of one indicator: year index, the unit's new value, and the new rows of
/// its groups' statistics (place in the chunk, row; none when it is in no group that year).
type YearPatch = (usize, f64, Option<Vec<(u32, StatRow)>>);

/// No group: the unit is not in this partition that year (or not a member at all).
pub const NO_GROUP: u32 = u32::MAX;

/// An indicator ready to compute: `factor × numerator / denominator`.
#[derive(Debug, Clone)]
pub struct IndicatorSpec {
    pub code: String,
    pub polarity: Polarity,
    pub factor: f64,
    pub numerator: Program,
    pub denominator: Option<Program>,
    /// How many years back the formulas look (nested lags summed).
    pub max_lag: usize,
    /// Per unit: whether the indicator applies to it. Units it does not apply to have no
    /// value and belong to no group for it (they are not counted as missing either).
    pub applies: Arc<[bool]>,
}

/// A fixed partition of the units into groups, per year (a unit's typology class can change
/// when its population crosses a threshold).
#[derive(Debug, Clone)]
pub struct Partition {
    /// `country`, `wojewodztwo`, `typology`, …
    pub name: String,
    /// The groups' keys, e.g. `gmina` or `gmina|14` or `gmina_wiejska:5-10k`.
    pub keys: Vec<String>,
    /// Year-major (`y·units + u`): the group index of each unit in each year, or [`NO_GROUP`].
    pub cell_group: Vec<u32>,
}

/// Everything the snapshot is computed from.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub units: usize,
    pub first_year: i32,
    pub years: usize,
    /// Variable codes with their unit-major columns (`units × years` cells each).
    pub variables: Vec<(String, Column)>,
    pub indicators: Vec<IndicatorSpec>,
    pub partitions: Vec<Partition>,
}

/// One group's statistics for one indicator and year; NaN stands for none.
#[derive(Debug, Clone, Copy, PartialEq, zerocopy::FromZeros)]
pub struct StatRow {
    pub n: u32,
    pub missing: u32,
    pub min: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub max: f64,
    pub mean: f64,
    pub sd: f64,
    pub aggregate: f64,
}

impl StatRow {
    const EMPTY: StatRow = StatRow {
        n: 0,
        missing: 0,
        min: f64::NAN,
        q1: f64::NAN,
        median: f64::NAN,
        q3: f64::NAN,
        max: f64::NAN,
        mean: f64::NAN,
        sd: f64::NAN,
        aggregate: f64::NAN,
    };

    pub fn to_stats(&self) -> GroupStats {
        let o = |v: f64| v.is_finite().then_some(v);
        GroupStats {
            n: self.n as usize,
            missing: self.missing as usize,
            min: o(self.min),
            q1: o(self.q1),
            median: o(self.median),
            q3: o(self.q3),
            max: o(self.max),
            mean: o(self.mean),
            sd: o(self.sd),
            aggregate: o(self.aggregate),
        }
    }
}

/// A partition with its members listed per group and year.
#[derive(Debug)]
struct PartitionIndex {
    name: String,
    keys: Vec<String>,
    cell_group: Vec<u32>,
    /// Members of group `g` in year `y`: `members[offsets[g·years + y]..offsets[g·years + y + 1]]`.
    offsets: Vec<u32>,
    members: Vec<u32>,
    /// Where this partition's groups start in a [`StatRow`] chunk.
    stat_offset: usize,
}

/// The computed state. Cheap to clone (arrays are shared).
#[derive(Debug, Clone)]
pub struct Snapshot {
    units: usize,
    first_year: i32,
    years: usize,
    var_codes: Arc<Vec<String>>,
    var_index: Arc<HashMap<String, usize>>,
    variables: Vec<Variable>,
    indicators: Arc<Vec<IndicatorSpec>>,
    ind_index: Arc<HashMap<String, usize>>,
    /// Per indicator: where each of its numerator's / denominator's variables is, if known.
    bindings: Arc<Vec<Binding>>,
    partitions: Arc<Vec<PartitionIndex>>,
    stat_width: usize,
    /// Chunk `i·years + y`: indicator `i` in year `y`, one f64 per unit, NaN = missing.
    values: Table<f64>,
    /// Chunk `i·years + y`: one row per group of every partition.
    stats: Table<StatRow>,
}

/// One variable's cells: the unit-major column as built, shared by every snapshot derived from
/// the build, and the rows of the units [`Snapshot::update_unit`] changed since, which take
/// the column's place for those units.
#[derive(Debug, Clone)]
struct Variable {
    column: Arc<Column>,
    patch: Option<Arc<Patch>>,
}

/// Whole rows replacing a [`Variable`]'s column rows: `units` ascending, the row of
/// `units[k]` at cells `k·years..(k + 1)·years` of `rows`.
#[derive(Debug, Clone)]
struct Patch {
    units: Vec<u32>,
    rows: Column,
}

impl Variable {
    /// This variable with `unit`'s cells `(year index, value)` set (a non-finite or no value
    /// is missing). The unit's row goes into a copy of the patch; once the patch holds more
    /// than [`patch_limit`] units it is folded into a new column (one copy of the column,
    /// spread over that many changes).
    fn with_row(&self, unit: usize, years: usize, units: usize, cells: impl Iterator<Item = (usize, Option<f64>)>) -> Variable {
        let mut patch = self.patch.as_deref().cloned().unwrap_or(Patch { units: Vec::new(), rows: Column::missing(0) });
        let k = match patch.units.binary_search(&(unit as u32)) {
            Ok(k) => k,
            Err(k) => {
                let s = unit * years;
                patch.units.insert(k, unit as u32);
                patch.rows.values.splice(k * years..k * years, self.column.values[s..s + years].iter().copied());
                patch.rows.valid.splice(k * years..k * years, self.column.valid[s..s + years].iter().copied());
                k
            }
        };
        for (y, x) in cells {
            let c = k * years + y;
            (patch.rows.values[c], patch.rows.valid[c]) = match x.filter(|x| x.is_finite()) {
                Some(x) => (x, true),
                None => (0.0, false),
            };
        }
        if patch.units.len() <= patch_limit(units) {
            return Variable { column: self.column.clone(), patch: Some(Arc::new(patch)) };
        }
        let mut column = (*self.column).clone();
        for (k, &u) in patch.units.iter().enumerate() {
            let (s, d) = (k * years, u as usize * years);
            column.values[d..d + years].copy_from_slice(&patch.rows.values[s..s + years]);
            column.valid[d..d + years].copy_from_slice(&patch.rows.valid[s..s + years]);
        }
        Variable { column: Arc::new(column), patch: None }
    }
}

/// How many changed units a variable's patch holds before it is folded into its column:
/// 1/32 of the units (at most 3 % more cells to read through the patch), at least 4.
fn patch_limit(units: usize) -> usize {
    (units / 32).max(4)
}

#[derive(Debug, Clone)]
struct Binding {
    numerator: Vec<Option<usize>>,
    denominator: Vec<Option<usize>>,
}

/// Receives ranks during a build: `(indicator, year index, partition, units, their ranks)`,
/// the units of the partition's groups that have a value, each with its competition rank in
/// its group (units without a value or group are not listed).
pub type RankSink<'a> = dyn Fn(usize, usize, usize, &[u32], &[u32]) + Sync + 'a;

/// Ranks of every unit for every indicator in one partition and year (0: no rank); see
/// [`Snapshot::rank_index`].
#[derive(Debug, Clone)]
pub struct RankIndex {
    pub partition: usize,
    pub year: usize,
    units: usize,
    ranks: Vec<u32>,
}

/// Bytes held by a snapshot's arrays, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryUse {
    pub variables: usize,
    pub values: usize,
    pub stats: usize,
    pub partitions: usize,
}

impl MemoryUse {
    pub fn total(&self) -> usize {
        self.variables + self.values + self.stats + self.partitions
    }
}

/// One group's counts and the aggregate's sums in one indicator-year, gathered in unit order.
#[derive(Debug, Clone, Copy, Default)]
struct GroupAcc {
    n: u32,
    missing: u32,
    contributors: u32,
    sum_num: f64,
    sum_den: f64,
}

/// Scratch buffers of one worker, reused across indicators and years.
#[derive(Default)]
struct Scratch {
    /// The present values as [`packed_item`]s.
    present: Vec<u64>,
    /// Per unit, in the year computed: its contribution to Σ numerator and Σ denominator,
    /// and its packed counts (see [`group_sums`]).
    cn: Vec<f64>,
    cd: Vec<f64>,
    flags: Vec<u64>,
    /// Per partition (`units` places each): its groups' present values, ascending.
    sorted: Vec<f64>,
    /// Per group of every partition (flat, at the partition's `stat_offset`).
    acc: Vec<GroupAcc>,
    /// Where each group (flat) starts in its partition's region of `sorted`, and the fill
    /// pointers while dealing values out.
    starts: Vec<u32>,
    fill: Vec<u32>,
    all: Vec<u32>,
    ranks: Vec<u32>,
    /// The units of `sorted`, place by place.
    sorted_units: Vec<u32>,
    /// The present values in ascending order: unit and value.
    order: Vec<(u32, f64)>,
    /// The indicator's numerator and denominator, year-major (`y·units + u`), NaN = missing.
    num_t: Vec<f64>,
    den_t: Vec<f64>,
    sort_buf: Vec<u64>,
    sort_hist: Vec<u32>,
}

impl Snapshot {
    /// Computes everything: every indicator's values, then every fixed-partition group's
    /// statistics, spread over the machine's cores.
    pub fn build(inputs: Inputs) -> Snapshot {
        Self::build_with_ranks(inputs, None)
    }

    /// [`Snapshot::build`] that also ranks every unit in each of its fixed-partition groups
    /// (out of the same sort the statistics need) and hands each indicator-year-partition's
    /// ranks to `ranks(indicator, year, partition, units, their ranks)` (see [`RankSink`]). The
    /// snapshot does not keep them (see the module's memory plan); exports of whole ranking
    /// tables and the benchmark's full recompute use this.
    pub fn build_with_ranks(inputs: Inputs, ranks: Option<&RankSink<'_>>) -> Snapshot {
        let Inputs { units, first_year, years, variables, indicators, partitions } = inputs;
        let var_codes: Vec<String> = variables.iter().map(|(c, _)| c.clone()).collect();
        let var_index: HashMap<String, usize> = var_codes.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect();
        let variables: Vec<Variable> = variables.into_iter().map(|(_, c)| Variable { column: Arc::new(c), patch: None }).collect();
        let bind = |p: &Program| p.variables().iter().map(|v| var_index.get(v).copied()).collect::<Vec<_>>();
        let bindings: Vec<Binding> = indicators
            .iter()
            .map(|i| Binding { numerator: bind(&i.numerator), denominator: i.denominator.as_ref().map(bind).unwrap_or_default() })
            .collect();
        let mut stat_offset = 0;
        let partitions: Vec<PartitionIndex> = partitions
            .into_iter()
            .map(|p| {
                let idx = index_partition(p, units, years, stat_offset);
                stat_offset += idx.keys.len();
                idx
            })
            .collect();
        let mut snap = Snapshot {
            units,
            first_year,
            years,
            var_codes: Arc::new(var_codes),
            var_index: Arc::new(var_index),
            variables,
            indicators: Arc::new(indicators),
            ind_index: Arc::new(HashMap::new()),
            bindings: Arc::new(bindings),
            partitions: Arc::new(partitions),
            stat_width: stat_offset,
            values: Table::new(0, units, Vec::new(), f64::NAN),
            stats: Table::new(0, stat_offset, Vec::new(), StatRow::EMPTY),
        };
        snap.ind_index = Arc::new(snap.indicators.iter().enumerate().map(|(i, s)| (s.code.clone(), i)).collect());

        // Every chunk is written in place into one block per table (see `table`); each
        // worker takes an indicator's region of both.
        let n = snap.indicators.len();
        let mut values = zeroed::<f64>(n * years * units);
        let mut stats = zeroed::<StatRow>(n * years * stat_offset);
        // (Without groups an indicator's statistics are an empty slice.)
        let mut stat_regions = stats.chunks_mut((years * stat_offset).max(1));
        let regions: Vec<std::sync::Mutex<Option<Region<'_>>>> =
            values.chunks_mut((years * units).max(1)).map(|v| std::sync::Mutex::new(Some((v, stat_regions.next().unwrap_or_default())))).collect();
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(n.max(1));
        let next = AtomicUsize::new(0);
        let done: Vec<Vec<usize>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut scratch = Scratch::default();
                        let mut out = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= n {
                                break out;
                            }
                            let region = regions.get(i).and_then(|r| r.lock().ok()?.take());
                            if let Some((vals, rows)) = region {
                                snap.compute_indicator(i, &mut scratch, ranks, vals, rows);
                                out.push(i);
                            }
                        }
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
        });
        drop(regions);
        // An indicator whose worker failed has no values and empty statistics.
        let mut computed = vec![false; n];
        for i in done.into_iter().flatten() {
            computed[i] = true;
        }
        for i in (0..n).filter(|&i| !computed[i]) {
            values[i * years * units..(i + 1) * years * units].fill(f64::NAN);
            stats[i * years * stat_offset..(i + 1) * years * stat_offset].fill(StatRow::EMPTY);
        }
        snap.values = Table::new(n * years, units, values, f64::NAN);
        snap.stats = Table::new(n * years, stat_offset, stats, StatRow::EMPTY);
        snap
    }

    /// Numerator and denominator of indicator `i` over a grid of `rows` (each a unit whose
    /// years `y0..y0 + len` are taken), unit-major.
    fn eval_parts(&self, i: usize, rows: &[u32], y0: usize, len: usize) -> (Column, Option<Column>) {
        let spec = &self.indicators[i];
        let b = &self.bindings[i];
        let num = self.eval_program(&spec.numerator, &b.numerator, rows, y0, len);
        let den = spec.denominator.as_ref().map(|d| self.eval_program(d, &b.denominator, rows, y0, len));
        (num, den)
    }

    /// One formula over a grid of `rows` × years `y0..y0 + len`, unit-major; `idx` binds its
    /// variables to the snapshot's.
    fn eval_program(&self, p: &Program, idx: &[Option<usize>], rows: &[u32], y0: usize, len: usize) -> Column {
        let grid = Grid { units: rows.len(), years: len };
        let all = rows.len() == self.units && y0 == 0 && len == self.years && rows.iter().enumerate().all(|(k, &u)| k == u as usize);
        // Whole columns are read in place; a subset is copied out; a variable without data
        // reads as one shared all-missing column.
        let missing = if idx.iter().any(Option::is_none) { Column::missing(grid.len()) } else { Column::missing(0) };
        let gathered: Vec<Option<Column>> = idx
            .iter()
            .map(|v| match v {
                Some(v) if !all || self.variables[*v].patch.is_some() => Some(self.gather(*v, rows, y0, len)),
                _ => None,
            })
            .collect();
        let cols: Vec<&Column> = idx
            .iter()
            .zip(&gathered)
            .map(|(v, g)| match (v, g) {
                (_, Some(g)) => g,
                (Some(v), None) => &*self.variables[*v].column,
                (None, None) => &missing,
            })
            .collect();
        p.eval(grid, &cols).unwrap_or_else(|_| Column::missing(grid.len()))
    }

    /// Variable `v`'s cells of `rows` (units) in years `y0..y0 + len`, unit-major.
    fn gather(&self, v: usize, rows: &[u32], y0: usize, len: usize) -> Column {
        let var = &self.variables[v];
        let col = &*var.column;
        let years = self.years;
        let n = rows.len() * len;
        let mut out = Column { values: Vec::with_capacity(n), valid: Vec::with_capacity(n) };
        if len == 1 {
            // One cell a unit (no lag): a plain strided read, not a copy call per unit.
            out.values.extend(rows.iter().map(|&u| col.values[u as usize * years + y0]));
            out.valid.extend(rows.iter().map(|&u| col.valid[u as usize * years + y0]));
        } else {
            // A few cells a unit: element by element, not a copy call per unit.
            for &u in rows {
                let s = u as usize * years + y0;
                out.values.extend(col.values[s..s + len].iter().copied());
                out.valid.extend(col.valid[s..s + len].iter().copied());
            }
        }
        // The changed units' rows over the column's.
        if let Some(patch) = &var.patch {
            let mut put = |j: usize, k: usize| {
                let (src, dst) = (k * years + y0, j * len);
                out.values[dst..dst + len].copy_from_slice(&patch.rows.values[src..src + len]);
                out.valid[dst..dst + len].copy_from_slice(&patch.rows.valid[src..src + len]);
            };
            if rows.windows(2).all(|w| w[0] < w[1]) {
                for (k, u) in patch.units.iter().enumerate() {
                    if let Ok(j) = rows.binary_search(u) {
                        put(j, k);
                    }
                }
            } else {
                for (j, u) in rows.iter().enumerate() {
                    if let Ok(k) = patch.units.binary_search(u) {
                        put(j, k);
                    }
                }
            }
        }
        out
    }

    /// Indicator `i`'s values (`vals`, a chunk of `units` per year) and statistics (`rows`, a
    /// chunk of `stat_width` per year), written in place.
    fn compute_indicator(&self, i: usize, s: &mut Scratch, ranks: Option<&RankSink<'_>>, vals: &mut [f64], rows: &mut [StatRow]) {
        let (units, years) = (self.units, self.years);
        if s.all.len() != units {
            s.all = (0..units as u32).collect();
        }
        let all = std::mem::take(&mut s.all);
        // A formula that is one variable reads its column in place (most denominators).
        let whole = |p: &Program, idx: &[Option<usize>]| -> Cow<'_, Column> {
            match p.as_variable().and_then(|j| *idx.get(j)?) {
                Some(v) if self.variables[v].patch.is_none() => Cow::Borrowed(&*self.variables[v].column),
                _ => Cow::Owned(self.eval_program(p, idx, &all, 0, years)),
            }
        };
        let b = &self.bindings[i];
        let num = whole(&self.indicators[i].numerator, &b.numerator);
        let den = self.indicators[i].denominator.as_ref().map(|d| whole(d, &b.denominator));
        s.all = all;
        let spec = &self.indicators[i];
        transpose(&num, units, years, &mut s.num_t);
        if let Some(d) = &den {
            transpose(d, units, years, &mut s.den_t);
        }
        let has_den = den.is_some();
        let width = self.stat_width;
        for y in 0..years {
            let chunk = &mut vals[y * units..(y + 1) * units];
            self.year_pass(spec, y, has_den, s, chunk);
            sort_packed(&mut s.present, &mut s.sort_buf, &mut s.sort_hist, |u| sort_key(chunk[u as usize]));
            self.year_stats(i, y, has_den, chunk, s, &mut rows[y * width..(y + 1) * width], ranks);
        }
    }

    /// Year index `y` of one indicator: its values (NaN = missing or not applicable;
    /// into `chunk`), the present ones as sort keys into `s.present`, and, for every group of
    /// every partition (flat, at the partition's `stat_offset`, into `s.acc`), how many
    /// members miss a value, how many have one, and the aggregate's sums over the members
    /// (in the lanes of [`lane_sums`], the order every path sums a group in).
    fn year_pass(&self, spec: &IndicatorSpec, y: usize, has_den: bool, s: &mut Scratch, chunk: &mut [f64]) {
        let units = self.units;
        let num = &s.num_t[y * units..(y + 1) * units];
        let den = if has_den { &s.den_t[y * units..(y + 1) * units] } else { num };
        let applies = &spec.applies[..units];
        // One pass over the units: the value, the sort key of a present one, and what the
        // unit adds to its groups (see `unit_parts`).
        s.cn.resize(units, 0.0);
        s.cd.resize(units, 0.0);
        s.flags.resize(units, 0);
        s.present.resize(units, 0);
        let out = UnitParts { chunk, cn: &mut s.cn, cd: &mut s.cd, flags: &mut s.flags, present: &mut s.present };
        let n_present =
            if has_den { unit_parts::<true>(spec.factor, num, den, applies, out) } else { unit_parts::<false>(spec.factor, num, den, applies, out) };
        s.present.truncate(n_present);
        // Per group, over its members listed in unit order.
        let (cn, cd, flags) = (&s.cn[..], &s.cd[..], &s.flags[..]);
        let acc = &mut s.acc;
        acc.clear();
        acc.resize(self.stat_width, GroupAcc::default());
        for p in self.partitions.iter() {
            for g in 0..p.keys.len() {
                let k = g * self.years + y;
                let members = &p.members[p.offsets[k] as usize..p.offsets[k + 1] as usize];
                let (sum_num, sum_den, counts) = group_sums(members, cn, cd, flags);
                let field = |i| count_field(counts, i, members, flags);
                acc[p.stat_offset + g] = GroupAcc { n: field(0), missing: field(1), contributors: field(2), sum_num, sum_den };
            }
        }
    }

    /// Statistics of every group of every partition for one indicator-year, out of the
    /// present values sorted once (`s.present`) and the counts and sums of
    /// [`Snapshot::year_pass`] (`s.acc`): per partition, one pass over that order deals the
    /// values out to its groups, so every group comes out sorted without sorting it again;
    /// and when `ranks` is given, each unit's competition rank in its groups from the same
    /// order. Writes one row per group of every partition into `rows` (flat, as `acc`).
    #[allow(clippy::too_many_arguments)]
    fn year_stats(&self, i: usize, y: usize, has_den: bool, chunk: &[f64], s: &mut Scratch, rows: &mut [StatRow], ranks: Option<&RankSink<'_>>) {
        let units = self.units;
        let spec = &self.indicators[i];
        let lower_better = spec.polarity == Polarity::LowerBetter;
        let n_parts = self.partitions.len();
        let acc = &s.acc[..];
        // Where each group starts in its partition's region of `sorted` (flat like `acc`).
        s.fill.clear();
        for p in self.partitions.iter() {
            let mut at = 0u32;
            s.fill.extend(acc[p.stat_offset..p.stat_offset + p.keys.len()].iter().map(|e| {
                let start = at;
                at += e.n;
                start
            }));
        }
        s.starts.clear();
        s.starts.extend_from_slice(&s.fill);
        // The order once as units and their values (the value read back from the unit's
        // cell rather than decoded from its key, which is the same number).
        s.order.clear();
        s.order.extend(s.present.iter().map(|&x| {
            let u = (x & PACKED_UNIT_MASK) as u32;
            (u, chunk[u as usize])
        }));
        s.sorted.resize(units * n_parts, 0.0);
        s.sorted_units.resize(units * n_parts, 0);
        let (sorted_all, sorted_units_all, fill) = (&mut s.sorted[..], &mut s.sorted_units[..], &mut s.fill[..]);
        for (pi, p) in self.partitions.iter().enumerate() {
            let cg = &p.cell_group[y * units..(y + 1) * units];
            let (sorted, sorted_units) = (&mut sorted_all[pi * units..(pi + 1) * units], &mut sorted_units_all[pi * units..(pi + 1) * units]);
            let fill = &mut fill[p.stat_offset..p.stat_offset + p.keys.len()];
            // Each value goes to its group's fill pointer, a load and store per value; of
            // two neighbours in the order of the same group the second waits for the first's
            // store. When one group holds most of the values (the country partition's
            // gminy), that group's pointer is kept in a register instead, so only the other
            // groups' (rarely neighbouring) values go through memory.
            let groups = &acc[p.stat_offset..p.stat_offset + p.keys.len()];
            let (big, big_n) = groups.iter().enumerate().map(|(g, e)| (g, e.n)).max_by_key(|&(_, n)| n).unwrap_or((0, 0));
            let total: u32 = groups.iter().map(|e| e.n).sum();
            let big = if big_n as u64 * 4 >= total as u64 * 3 { big as u32 } else { NO_GROUP - 1 };
            let mut at_big = fill.get(big as usize).map_or(0, |&f| f as usize);
            for &(u, v) in &s.order {
                let g = cg[u as usize];
                if g == big {
                    sorted[at_big] = v;
                    sorted_units[at_big] = u;
                    at_big += 1;
                    continue;
                }
                if g == NO_GROUP {
                    continue;
                }
                let at = fill[g as usize] as usize;
                fill[g as usize] += 1;
                sorted[at] = v;
                sorted_units[at] = u;
            }
        }
        let (sorted_all, sorted_units_all) = (&s.sorted[..], &s.sorted_units[..]);
        for (pi, p) in self.partitions.iter().enumerate() {
            let sorted = &sorted_all[pi * units..(pi + 1) * units];
            for g in 0..p.keys.len() {
                let k = p.stat_offset + g;
                let (lo, e) = (s.starts[k] as usize, &acc[k]);
                let mut row = describe_sorted(&sorted[lo..lo + e.n as usize], e.missing);
                row.aggregate = aggregate_of(spec.factor, has_den, e.sum_num, e.sum_den, e.contributors);
                rows[k] = row;
            }
        }
        if let Some(sink) = ranks {
            s.ranks.resize(units, 0);
            for (pi, p) in self.partitions.iter().enumerate() {
                // The partition's groups lie one after another from place 0.
                let total = p.keys.len().checked_sub(1).map_or(0, |last| (s.starts[p.stat_offset + last] + acc[p.stat_offset + last].n) as usize);
                let (sorted, sorted_units) = (&sorted_all[pi * units..pi * units + total], &sorted_units_all[pi * units..pi * units + total]);
                let rank_at = &mut s.ranks[..total];
                for g in 0..p.keys.len() {
                    let k = p.stat_offset + g;
                    let (lo, hi) = (s.starts[k] as usize, (s.starts[k] + acc[k].n) as usize);
                    competition_ranks(&sorted[lo..hi], lower_better, &mut rank_at[lo..hi]);
                }
                sink(i, y, pi, sorted_units, rank_at);
            }
        }
    }

    // ----- reading -----

    pub fn units(&self) -> usize {
        self.units
    }

    pub fn first_year(&self) -> i32 {
        self.first_year
    }

    pub fn years(&self) -> usize {
        self.years
    }

    /// The year index of a calendar year, if the snapshot covers it.
    pub fn year_index(&self, year: i32) -> Option<usize> {
        let y = usize::try_from(year - self.first_year).ok()?;
        (y < self.years).then_some(y)
    }

    pub fn indicator_count(&self) -> usize {
        self.indicators.len()
    }

    pub fn indicator(&self, i: usize) -> &IndicatorSpec {
        &self.indicators[i]
    }

    pub fn indicator_index(&self, code: &str) -> Option<usize> {
        self.ind_index.get(code).copied()
    }

    pub fn variable_index(&self, code: &str) -> Option<usize> {
        self.var_index.get(code).copied()
    }

    pub fn variable_codes(&self) -> &[String] {
        &self.var_codes
    }

    /// A variable's value for a unit and year index.
    pub fn variable(&self, v: usize, unit: usize, y: usize) -> Option<f64> {
        if unit >= self.units || y >= self.years {
            return None;
        }
        let var = self.variables.get(v)?;
        match var.patch.as_ref().map(|p| (p, p.units.binary_search(&(unit as u32)))) {
            Some((p, Ok(k))) => p.rows.get(k * self.years + y),
            _ => var.column.get(unit * self.years + y),
        }
    }

    /// Indicator `i`'s value for `unit` in year index `y`.
    pub fn value(&self, i: usize, unit: usize, y: usize) -> Option<f64> {
        if i >= self.indicators.len() || y >= self.years {
            return None;
        }
        let v = self.values.get(self.chunk_of(i, y), unit)?;
        (!v.is_nan()).then_some(v)
    }

    /// Where indicator `i`'s year index `y` is in the tables of values and statistics.
    fn chunk_of(&self, i: usize, y: usize) -> usize {
        i * self.years + y
    }

    /// All units' values of indicator `i` in year index `y` (NaN = missing).
    pub fn year_values(&self, i: usize, y: usize) -> &[f64] {
        self.values.chunk(self.chunk_of(i, y))
    }

    /// [`Snapshot::year_values`] without making a chunk an incremental change touched whole.
    fn year_view(&self, i: usize, y: usize) -> View<'_, f64> {
        self.values.view(self.chunk_of(i, y))
    }

    /// The newest year index in which indicator `i` has a value for any of `units` (every
    /// unit when `units` is `None`); none when it has no value at all.
    pub fn latest_year_of(&self, i: usize, units: Option<&[usize]>) -> Option<usize> {
        if i >= self.indicators.len() {
            return None;
        }
        (0..self.years).rev().find(|&y| {
            let vals = self.year_view(i, y);
            match units {
                None => vals.iter().any(|v| !v.is_nan()),
                Some(us) => us.iter().any(|&u| u < vals.len() && !vals.get(u).is_nan()),
            }
        })
    }

    /// The year index a unit's card opens on: the newest year in which `unit` has a value
    /// for more than half of the indicators it has any value of (so one indicator reaching
    /// a year further than the rest does not open the card on a year of empty rows); none
    /// when it has no value at all.
    pub fn card_year(&self, unit: usize) -> Option<usize> {
        let mut per_year = vec![0usize; self.years];
        let mut with_any = 0usize;
        for i in 0..self.indicators.len() {
            if !self.indicators[i].applies.get(unit).copied().unwrap_or(false) {
                continue;
            }
            let mut any = false;
            for (y, n) in per_year.iter_mut().enumerate() {
                if self.value(i, unit, y).is_some() {
                    *n += 1;
                    any = true;
                }
            }
            with_any += usize::from(any);
        }
        if with_any == 0 {
            return None;
        }
        // Past the majority rule (which always finds a year unless values are scattered
        // thinly), the year with the most values, the newest of equals.
        (0..self.years).rev().find(|&y| 2 * per_year[y] > with_any).or_else(|| (0..self.years).max_by_key(|&y| per_year[y]))
    }

    /// [`Snapshot::card_year`] of every unit at once, reading each indicator-year chunk in
    /// order (one pass over the values, not one cache miss per unit × indicator × year).
    pub fn card_years(&self) -> Vec<Option<usize>> {
        let n = self.units;
        let mut per_year = vec![0u32; n * self.years];
        let mut with_any = vec![0u32; n];
        let mut any = vec![false; n];
        for (i, spec) in self.indicators.iter().enumerate() {
            any.iter_mut().for_each(|a| *a = false);
            for y in 0..self.years {
                let counts = &mut per_year[y * n..(y + 1) * n];
                for (u, v) in self.year_view(i, y).iter().enumerate().take(n) {
                    if !v.is_nan() && spec.applies.get(u).copied().unwrap_or(false) {
                        counts[u] += 1;
                        any[u] = true;
                    }
                }
            }
            for (w, a) in with_any.iter_mut().zip(&any) {
                *w += u32::from(*a);
            }
        }
        (0..n)
            .map(|u| {
                let with_any = with_any[u];
                if with_any == 0 {
                    return None;
                }
                let count = |y: usize| per_year[y * n + u];
                (0..self.years).rev().find(|&y| 2 * count(y) > with_any).or_else(|| (0..self.years).max_by_key(|&y| count(y)))
            })
            .collect()
    }

    /// The newest year index in which indicator `i` has a value for `unit`.
    pub fn unit_latest_year(&self, i: usize, unit: usize) -> Option<usize> {
        (0..self.years).rev().find(|&y| self.value(i, unit, y).is_some())
    }

    pub fn partition_names(&self) -> impl Iterator<Item = &str> {
        self.partitions.iter().map(|p| p.name.as_str())
    }

    pub fn partition_index(&self, name: &str) -> Option<usize> {
        self.partitions.iter().position(|p| p.name == name)
    }

    pub fn group_keys(&self, p: usize) -> &[String] {
        &self.partitions[p].keys
    }

    /// The group of `unit` in partition `p` in year index `y`.
    pub fn group_of(&self, p: usize, unit: usize, y: usize) -> Option<usize> {
        let g = *self.partitions.get(p)?.cell_group.get(y * self.units + unit)?;
        (g != NO_GROUP).then_some(g as usize)
    }

    /// The members of group `g` of partition `p` in year index `y`.
    pub fn members(&self, p: usize, g: usize, y: usize) -> &[u32] {
        let part = &self.partitions[p];
        let k = g * self.years + y;
        &part.members[part.offsets[k] as usize..part.offsets[k + 1] as usize]
    }

    /// Precomputed statistics of group `g` of partition `p` for indicator `i` in year index `y`.
    pub fn group_stats(&self, i: usize, p: usize, g: usize, y: usize) -> StatRow {
        self.stats.get(self.chunk_of(i, y), self.partitions[p].stat_offset + g).unwrap_or(StatRow::EMPTY)
    }

    /// A unit's position in its group of a fixed partition: one pass over the group.
    pub fn position(&self, i: usize, p: usize, unit: usize, y: usize) -> Option<Position> {
        let g = self.group_of(p, unit, y)?;
        if !self.indicators[i].applies[unit] {
            return None;
        }
        let st = self.group_stats(i, p, g, y);
        Some(self.position_among(i, unit, y, self.members(p, g, y), st.mean, st.sd))
    }

    /// A unit's position among `members` given the group's mean and sd.
    fn position_among(&self, i: usize, unit: usize, y: usize, members: &[u32], mean: f64, sd: f64) -> Position {
        let spec = &self.indicators[i];
        let vals = self.year_values(i, y);
        let x = vals[unit];
        if x.is_nan() {
            return Position::default();
        }
        // Branch-free: a NaN compares false, so it is never "better"; the polarity is
        // decided once, outside the loop (the unit card asks this for every indicator).
        let applies = &spec.applies[..];
        let count = |better_than: fn(f64, f64) -> bool| {
            let (mut better, mut n) = (0u32, 0u32);
            for &m in members {
                let (v, ok) = (vals[m as usize], applies[m as usize]);
                n += u32::from(ok & !v.is_nan());
                better += u32::from(ok & better_than(v, x));
            }
            (better, n)
        };
        let (better, n) = match spec.polarity {
            Polarity::LowerBetter => count(|v, x| v < x),
            Polarity::HigherBetter | Polarity::Neutral => count(|v, x| v > x),
        };
        let rank = better + 1;
        let percentile = if n <= 1 { 50.0 } else { 100.0 * f64::from(n - rank) / f64::from(n - 1) };
        let z = (sd.is_finite() && sd > 0.0 && mean.is_finite()).then(|| (x - mean) / sd);
        Position { rank: Some(rank), percentile: Some(percentile), quartile: Some(quartile_class(percentile)), z }
    }

    /// The ranking table of one group of a fixed partition: `(unit, rank)` best first, ties
    /// in unit order; units without a value are left out.
    pub fn ranking(&self, i: usize, p: usize, g: usize, y: usize, out: &mut Vec<(u32, u32)>) {
        out.clear();
        let spec = &self.indicators[i];
        let vals = self.year_values(i, y);
        let mut keyed: Vec<(u64, u32)> = self
            .members(p, g, y)
            .iter()
            .filter(|&&m| spec.applies[m as usize] && !vals[m as usize].is_nan())
            .map(|&m| {
                let k = sort_key(vals[m as usize]);
                (if spec.polarity == Polarity::LowerBetter { k } else { !k }, m)
            })
            .collect();
        keyed.sort_unstable();
        let mut rank = 1u32;
        for (k, &(key, m)) in keyed.iter().enumerate() {
            if k > 0 && key != keyed[k - 1].0 {
                rank = k as u32 + 1;
            }
            out.push((m, rank));
        }
    }

    /// Every unit's rank in its group of partition `p` in year index `y`, for every
    /// indicator: one sort per group (as [`Snapshot::ranking`]). A reader that shows many
    /// indicators for one unit (the unit card) then takes each position in O(1) instead of a
    /// pass over the group; 4 bytes × indicators × units.
    pub fn rank_index(&self, p: usize, y: usize) -> RankIndex {
        let units = self.units;
        let mut ranks = vec![0u32; self.indicators.len() * units];
        let mut out = Vec::new();
        for i in 0..self.indicators.len() {
            for g in 0..self.partitions[p].keys.len() {
                self.ranking(i, p, g, y, &mut out);
                for &(m, r) in &out {
                    ranks[i * units + m as usize] = r;
                }
            }
        }
        RankIndex { partition: p, year: y, units, ranks }
    }

    /// A unit's position in its group of a fixed partition, from a [`RankIndex`] of that
    /// partition and year: the same as [`Snapshot::position`], without the pass.
    pub fn position_indexed(&self, index: &RankIndex, i: usize, unit: usize) -> Option<Position> {
        let (p, y) = (index.partition, index.year);
        let g = self.group_of(p, unit, y)?;
        if !self.indicators[i].applies[unit] {
            return None;
        }
        let rank = *index.ranks.get(i * index.units + unit)?;
        let x = self.values.get(self.chunk_of(i, y), unit).unwrap_or(f64::NAN);
        if rank == 0 || x.is_nan() {
            return Some(Position::default());
        }
        let st = self.group_stats(i, p, g, y);
        let n = st.n;
        let percentile = if n <= 1 { 50.0 } else { 100.0 * f64::from(n - rank) / f64::from(n - 1) };
        let z = (st.sd.is_finite() && st.sd > 0.0 && st.mean.is_finite()).then(|| (x - st.mean) / st.sd);
        Some(Position { rank: Some(rank), percentile: Some(percentile), quartile: Some(quartile_class(percentile)), z })
    }

    /// Statistics of any set of units (custom groups, neighbours, nearest neighbours) for
    /// indicator `i` in year index `y`, with each member's position, in `members` order.
    /// Units the indicator does not apply to are left out of the group.
    pub fn adhoc_group(&self, i: usize, y: usize, members: &[u32]) -> (GroupStats, Vec<Position>) {
        let spec = &self.indicators[i];
        let members: Vec<u32> = members.iter().copied().filter(|&m| (m as usize) < self.units && spec.applies[m as usize]).collect();
        let row = self.group_row(i, y, &members, self.year_values(i, y));
        let positions = members.iter().map(|&m| self.position_among(i, m as usize, y, &members, row.mean, row.sd)).collect();
        (row.to_stats(), positions)
    }

    /// What the snapshot's arrays take, in bytes.
    pub fn memory(&self) -> MemoryUse {
        let cells = self.units * self.years;
        MemoryUse {
            variables: self
                .variables
                .iter()
                .map(|v| cells * (8 + 1) + v.patch.as_ref().map_or(0, |p| p.units.len() * (4 + self.years * (8 + 1))))
                .sum(),
            values: self.values.bytes(),
            stats: self.stats.bytes(),
            partitions: self.partitions.iter().map(|p| (p.cell_group.len() + p.members.len() + p.offsets.len()) * 4).sum(),
        }
    }

    // ----- incremental change -----

    /// A new snapshot in which `unit`'s variables take the values in `changes`
    /// (`(variable index, year index, value)`; of two changes to one cell the later wins),
    /// recomputing only what depends on them: the indicators that read a changed variable, in
    /// the years from the first change to the last one and on as far as their lags reach, and
    /// the statistics of the unit's groups in those years. Everything else is shared with
    /// `self`, which is left as it was. The result equals a full [`Snapshot::build`] on the
    /// changed variables bit for bit.
    ///
    /// Group membership is not recomputed: the partitions are inputs, fixed at the build.
    /// A change that moves the unit to another group — above all a population change that
    /// crosses a typology class threshold, in its own year or, through the nearest-year
    /// rule, in a neighbouring year without population — is **not** reflected: the unit
    /// stays in its old groups until the next full build. The caller must rebuild (or call
    /// this only for variables no partition is derived from) when membership can change.
    ///
    /// Cost: the changed variables' patches (a row per changed unit, no column copied); per
    /// recomputed indicator-year the unit's new value and its groups' new rows laid over the
    /// chunks (a few dozen bytes; see `table`), and for each of the unit's groups a few passes
    /// over its members: their present values sorted as integer keys (the build's order, so the
    /// quantiles, mean and sd come out the same), and the aggregate's sums out of the formulas
    /// evaluated once over the union of the unit's groups (each variable's cells of that union
    /// gathered once per change and shared by every indicator that reads it). No column is
    /// copied or evaluated whole.
    pub fn update_unit(&self, unit: usize, changes: &[(usize, usize, Option<f64>)]) -> Snapshot {
        let mut next = self.clone();
        if unit >= self.units {
            return next;
        }
        // Per changed variable: the first and the last year changed. The new cells go into
        // the variable's patch (a copy of the old one with the unit's row added), not into
        // its column, which stays shared.
        let mut changed: HashMap<usize, (usize, usize)> = HashMap::new();
        let mut by_var: Vec<(usize, usize, Option<f64>)> =
            changes.iter().copied().filter(|&(v, y, _)| v < self.variables.len() && y < self.years).collect();
        by_var.sort_by_key(|&(v, _, _)| v); // stable: of two changes to one cell the later wins
        for cells in by_var.chunk_by(|a, b| a.0 == b.0) {
            let v = cells[0].0;
            next.variables[v] = self.variables[v].with_row(unit, self.years, self.units, cells.iter().map(|&(_, y, x)| (y, x)));
            let (from, to) = cells.iter().fold((usize::MAX, 0), |(f, t), &(_, y, _)| (f.min(y), t.max(y)));
            changed.insert(v, (from, to));
        }
        if changed.is_empty() {
            return next;
        }
        // Each indicator reading a changed variable, from the first year changed to the last
        // one plus the indicator's lags.
        let affected: Vec<(usize, usize, usize)> = (0..self.indicators.len())
            .filter_map(|i| {
                let b = &self.bindings[i];
                let years = b.numerator.iter().chain(&b.denominator).flatten().filter_map(|v| changed.get(v));
                let (from, last) =
                    years.fold(None, |acc: Option<(usize, usize)>, &(f, l)| Some(acc.map_or((f, l), |(af, al)| (af.min(f), al.max(l)))))?;
                Some((i, from, (last + self.indicators[i].max_lag).min(self.years - 1)))
            })
            .collect();
        // The unit's groups in every year something is recomputed, and which variables'
        // cells over their members the formulas will read: each gathered once, on first use.
        let mut reach: Vec<Option<Reach>> = (0..self.years).map(|_| None).collect();
        let mut wanted: HashMap<(usize, usize, usize), usize> = HashMap::new();
        for &(i, from, to) in &affected {
            let b = &self.bindings[i];
            for (y, slot) in reach.iter_mut().enumerate().take(to + 1).skip(from) {
                let r = slot.get_or_insert_with(|| self.reach(unit, y));
                if r.groups.is_empty() {
                    continue;
                }
                let y0 = y.saturating_sub(self.indicators[i].max_lag);
                for &v in b.numerator.iter().chain(&b.denominator).flatten() {
                    let k = wanted.len();
                    wanted.entry((v, y, y0)).or_insert(k);
                }
            }
        }
        let gathered: Vec<OnceLock<Vec<Column>>> = (0..wanted.len()).map(|_| OnceLock::new()).collect();
        let shared = Shared { unit, reach: &reach, wanted: &wanted, gathered: &gathered };

        let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(affected.len().max(1));
        let next_ref = &next;
        let cursor = AtomicUsize::new(0);
        type Recomputed = (usize, Vec<YearPatch>);
        let recomputed: Vec<Recomputed> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut scratch = UpdateScratch::default();
                        let mut out = Vec::new();
                        loop {
                            let k = cursor.fetch_add(1, Ordering::Relaxed);
                            let Some(&(i, from, to)) = affected.get(k) else {
                                break out;
                            };
                            out.push((i, next_ref.recompute_unit(i, from, to, &shared, &mut scratch)));
                        }
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
        });
        for (i, years) in recomputed {
            for (y, v, rows) in years {
                let k = next.chunk_of(i, y);
                next.values.set(k, &[(unit as u32, v)]);
                if let Some(rows) = rows {
                    next.stats.set(k, &rows);
                }
            }
        }
        next
    }

    /// `unit`'s groups in year index `y` and the union of their members.
    fn reach(&self, unit: usize, y: usize) -> Reach {
        let groups: Vec<(usize, usize)> = (0..self.partitions.len()).filter_map(|p| Some((p, self.group_of(p, unit, y)?))).collect();
        let mut rows: Vec<u32> = Vec::new();
        let mut row_of = Vec::new();
        if !groups.is_empty() {
            row_of = vec![u32::MAX; self.units];
            for &(p, g) in &groups {
                for &m in self.members(p, g, y) {
                    row_of[m as usize] = 0;
                }
            }
            for (u, r) in row_of.iter_mut().enumerate() {
                if *r == 0 {
                    *r = rows.len() as u32;
                    rows.push(u as u32);
                }
            }
        }
        Reach { groups, rows, row_of }
    }

    /// Indicator `i` for the changed unit in years `from..=to` on the new variables (`self`
    /// holds them; its values and statistics are still the old ones), with the statistics of
    /// the unit's groups in those years. `None` statistics: the unit is in no group that year.
    fn recompute_unit(&self, i: usize, from: usize, to: usize, sh: &Shared<'_>, s: &mut UpdateScratch) -> Vec<YearPatch> {
        let (spec, unit) = (&self.indicators[i], sh.unit);
        let (num, den) = self.eval_parts(i, &[unit as u32], 0, self.years);
        let mut out = Vec::new();
        for y in from..=to {
            let new = if spec.applies[unit] { ratio(spec.factor, &num, den.as_ref(), y) } else { f64::NAN };
            let rows = match &sh.reach[y] {
                Some(r) if !r.groups.is_empty() => Some(self.reach_rows(i, y, new, r, sh, s)),
                _ => None,
            };
            out.push((y, new, rows));
        }
        out
    }

    /// The [`StatRow`]s of the unit's groups for indicator `i` in year index `y` (each with
    /// its place in the statistics chunk) when the unit's value is `new`, equal to what
    /// [`Snapshot::build`] computes: the present values sorted (as integer keys) for the order
    /// statistics, mean and sd, the aggregate's sums taken over the members in unit order, as
    /// the build takes them.
    fn reach_rows(&self, i: usize, y: usize, new: f64, r: &Reach, sh: &Shared<'_>, s: &mut UpdateScratch) -> Vec<(u32, StatRow)> {
        let spec = &self.indicators[i];
        let b = &self.bindings[i];
        let y0 = y.saturating_sub(spec.max_lag);
        let len = y - y0 + 1;
        // The formulas over the union's rows, a block of rows at a time (the evaluator's
        // intermediate columns stay under 20 KB, reused by the allocator rather than faulted
        // in fresh as whole-union ones were), keeping each row's numerator and denominator in
        // year `y`.
        let UpdateScratch { num, den, .. } = s;
        let run = |p: &Program, idx: &[Option<usize>], out: &mut Column| {
            out.values.clear();
            out.valid.clear();
            let found: Vec<Option<&[Column]>> = idx
                .iter()
                .map(|v| {
                    let v = (*v)?;
                    let k = *sh.wanted.get(&(v, y, y0))?;
                    Some(sh.gathered[k].get_or_init(|| r.rows.chunks(EVAL_BLOCK).map(|b| self.gather(v, b, y0, len)).collect()).as_slice())
                })
                .collect();
            // A formula that is one variable is that variable's cells.
            if let Some(blocks) = p.as_variable().and_then(|j| *found.get(j)?) {
                for c in blocks {
                    if len == 1 {
                        out.values.extend_from_slice(&c.values);
                        out.valid.extend_from_slice(&c.valid);
                    } else {
                        out.values.extend(c.values.chunks_exact(len).map(|c| c[len - 1]));
                        out.valid.extend(c.valid.chunks_exact(len).map(|c| c[len - 1]));
                    }
                }
                return;
            }
            for (bi, block) in r.rows.chunks(EVAL_BLOCK).enumerate() {
                let grid = Grid { units: block.len(), years: len };
                // A variable without data reads as all missing.
                let missing = Column::missing(if found.iter().any(Option::is_none) { grid.len() } else { 0 });
                let cols: Vec<&Column> = found.iter().map(|c| c.and_then(|c| c.get(bi)).unwrap_or(&missing)).collect();
                let res = p.eval(grid, &cols).unwrap_or_else(|_| Column::missing(grid.len()));
                if len == 1 {
                    out.values.extend_from_slice(&res.values);
                    out.valid.extend_from_slice(&res.valid);
                } else {
                    out.values.extend(res.values.chunks_exact(len).map(|c| c[len - 1]));
                    out.valid.extend(res.valid.chunks_exact(len).map(|c| c[len - 1]));
                }
            }
        };
        run(&spec.numerator, &b.numerator, num);
        let den = spec.denominator.as_ref().map(|d| {
            run(d, &b.denominator, den);
            &*den
        });
        let num = &*num;
        let applies = &*spec.applies;
        let vals = self.year_view(i, y);
        let mut rows = Vec::with_capacity(r.groups.len());
        for &(p, g) in &r.groups {
            let members = self.members(p, g, y);
            let missing = member_keys(members, applies, &vals, (sh.unit as u32, new), &mut s.keys);
            let (sn, sd, k) = member_sums(members, applies, &r.row_of, num, den);
            // The build's order: ascending, so min, quantiles and the sums come out the same.
            sort_by_key_bits(&mut s.keys, &mut s.key_buf, |&k| k);
            s.sorted.clear();
            s.sorted.extend(s.keys.iter().map(|&k| from_sort_key(k)));
            let mut row = describe_sorted(&s.sorted, missing);
            row.aggregate = aggregate_of(spec.factor, den.is_some(), sn, sd, k);
            rows.push(((self.partitions[p].stat_offset + g) as u32, row));
        }
        rows
    }

    /// A group's [`StatRow`] for indicator `i` in year index `y` from given values. The
    /// aggregate needs each member's numerator and denominator in year `y`: the formulas are
    /// evaluated over the members and only the years their lags reach back to.
    fn group_row(&self, i: usize, y: usize, members: &[u32], vals: &[f64]) -> StatRow {
        let spec = &self.indicators[i];
        let members: Vec<u32> = members.iter().copied().filter(|&m| spec.applies[m as usize]).collect();
        let mut present: Vec<f64> = members.iter().map(|&m| vals[m as usize]).filter(|v| !v.is_nan()).collect();
        present.sort_unstable_by(f64::total_cmp);
        let mut row = describe_sorted(&present, (members.len() - present.len()) as u32);
        let y0 = y.saturating_sub(spec.max_lag);
        let len = y - y0 + 1;
        let (num, den) = self.eval_parts(i, &members, y0, len);
        let (sn, sd, k) = lane_sums(members.len(), |j| {
            let c = j * len + (y - y0);
            match (num.get(c), den.as_ref().map(|d| d.get(c))) {
                (Some(a), None) => Some((a, 0.0)),
                (Some(a), Some(Some(b))) => Some((a, b)),
                _ => None,
            }
        });
        row.aggregate = aggregate_of(spec.factor, den.is_some(), sn, sd, k);
        row
    }
}

/// What an incremental change recomputes in one year: the changed unit's groups and the
/// union of their members.
struct Reach {
    /// `(partition, group)` of each of the unit's groups; empty when it is in none.
    groups: Vec<(usize, usize)>,
    /// The members of any of those groups, ascending: the rows the formulas are evaluated on.
    rows: Vec<u32>,
    /// Per unit: its index in `rows` (meaningful for members only).
    row_of: Vec<u32>,
}

/// What the workers of one incremental change share.
struct Shared<'a> {
    unit: usize,
    /// Per year index: the unit's groups, if that year is recomputed.
    reach: &'a [Option<Reach>],
    /// `(variable, year, first year of the window)` → index into `gathered`.
    wanted: &'a HashMap<(usize, usize, usize), usize>,
    /// The variable's cells of the year's `Reach::rows` over the window, in blocks of
    /// [`EVAL_BLOCK`] rows, gathered on first use.
    gathered: &'a [OnceLock<Vec<Column>>],
}

/// Scratch buffers of one incremental worker.
struct UpdateScratch {
    keys: Vec<u64>,
    sorted: Vec<f64>,
    /// Numerator and denominator of each row of a [`Reach`] in the year computed.
    num: Column,
    den: Column,
    key_buf: KeySortBuf<u64>,
}

impl Default for UpdateScratch {
    fn default() -> Self {
        UpdateScratch { keys: Vec::new(), sorted: Vec::new(), num: Column::missing(0), den: Column::missing(0), key_buf: KeySortBuf::default() }
    }
}

/// Rows of a [`Reach`] per formula evaluation in an incremental change: few enough that the
/// evaluator's intermediate columns stay small, enough that its per-call cost does not count.
const EVAL_BLOCK: usize = 1024;

/// The present values of `members` (ascending; those the indicator applies to) as sort keys
/// into `keys`, the value of `changed.0` being `changed.1` rather than the one in `vals`;
/// returns how many have no value.
fn member_keys(members: &[u32], applies: &[bool], vals: &View<'_, f64>, changed: (u32, f64), keys: &mut Vec<u64>) -> u32 {
    keys.clear();
    keys.reserve(members.len());
    let mut missing = 0u32;
    vals.each_at(members, |m, v| {
        if applies[m as usize] {
            let v = if m == changed.0 { changed.1 } else { v };
            if v.is_nan() {
                missing += 1;
            } else {
                keys.push(sort_key(v));
            }
        }
    });
    missing
}

/// The aggregate's sums over `members`, as the build adds them: Σ numerator, Σ denominator
/// and how many members have both (the numerator, without a denominator). `row_of` maps a
/// unit to its cell in `num` and `den`.
fn member_sums(members: &[u32], applies: &[bool], row_of: &[u32], num: &Column, den: Option<&Column>) -> (f64, f64, u32) {
    let (nv, nok) = (&num.values[..], &num.valid[..]);
    match den {
        None => lane_sums(members.len(), |j| {
            let m = members[j] as usize;
            let c = row_of[m] as usize;
            (applies[m] && nok[c]).then(|| (nv[c], 0.0))
        }),
        Some(d) => {
            let (dv, dok) = (&d.values[..], &d.valid[..]);
            lane_sums(members.len(), |j| {
                let m = members[j] as usize;
                let c = row_of[m] as usize;
                (applies[m] && nok[c] && dok[c]).then(|| (nv[c], dv[c]))
            })
        }
    }
}

/// Where [`unit_parts`] writes, one place per unit (`present`: a place per present value,
/// filled from the start).
struct UnitParts<'a> {
    chunk: &'a mut [f64],
    cn: &'a mut [f64],
    cd: &'a mut [f64],
    flags: &'a mut [u64],
    present: &'a mut [u64],
}

/// For every unit in one year: its value `factor × num / den` (NaN when missing, not
/// applicable, divided by zero or not finite), its sort key among the present ones, what it
/// adds to Σ numerator and Σ denominator of its groups (0 when it does not contribute:
/// adding +0 leaves a sum as skipping would) and its packed counts (has a value, misses one,
/// contributes; [`COUNT_BITS`] bits each). Returns how many values are present. `DEN`:
/// whether the indicator has a denominator (`den` is ignored without one).
fn unit_parts<const DEN: bool>(factor: f64, num: &[f64], den: &[f64], applies: &[bool], out: UnitParts<'_>) -> usize {
    let UnitParts { chunk, cn, cd, flags, present } = out;
    let mut n = 0;
    let cells = chunk.iter_mut().zip(cn.iter_mut()).zip(cd.iter_mut()).zip(flags.iter_mut());
    for (u, ((((((v, cn), cd), flag), &a), &b), &ok)) in cells.zip(num).zip(den).zip(applies).enumerate() {
        let x = match (ok, DEN) {
            (false, _) => f64::NAN,
            (true, true) if b == 0.0 => f64::NAN,
            (true, true) => finite_or_nan(factor * a / b),
            (true, false) => finite_or_nan(factor * a),
        };
        let has = !x.is_nan();
        let contributes = ok && !(a.is_nan() || (DEN && b.is_nan()));
        *v = x;
        *cn = if contributes { a } else { 0.0 };
        *cd = if contributes && DEN { b } else { 0.0 };
        *flag = u64::from(has) | u64::from(ok && !has) << COUNT_BITS | u64::from(contributes) << (2 * COUNT_BITS);
        // Written always, kept only when present: no branch on the data.
        if let Some(slot) = present.get_mut(n) {
            *slot = packed_item(x, u as u32);
        }
        n += usize::from(has);
    }
    n
}

/// Bits of each count in the packed counts of [`group_sums`] (a group of 2²¹ or more
/// members is counted field by field instead).
const COUNT_BITS: u32 = 21;

/// Count `i` (0: has a value, 1: misses one, 2: contributes) of a group out of its packed
/// `counts`; a group too big for [`COUNT_BITS`] is counted member by member instead.
fn count_field(counts: u64, i: u32, members: &[u32], flags: &[u64]) -> u32 {
    if members.len() < 1 << COUNT_BITS {
        ((counts >> (i * COUNT_BITS)) & ((1 << COUNT_BITS) - 1)) as u32
    } else {
        members.iter().filter(|&&m| (flags[m as usize] >> (i * COUNT_BITS)) & 1 == 1).count() as u32
    }
}

/// [`lane_sums`] over a group's `members` from each unit's contributions (`cn`, `cd`: 0 for a
/// unit that does not contribute) with its packed counts summed alongside.
fn group_sums(members: &[u32], cn: &[f64], cd: &[f64], flags: &[u64]) -> (f64, f64, u64) {
    let (mut a, mut b, mut counts) = ([0.0f64; 4], [0.0f64; 4], 0u64);
    let chunks = members.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        for l in 0..4 {
            let m = c[l] as usize;
            a[l] += cn[m];
            b[l] += cd[m];
            counts = counts.wrapping_add(flags[m]);
        }
    }
    for (l, &m) in rest.iter().enumerate() {
        let m = m as usize;
        a[l] += cn[m];
        b[l] += cd[m];
        counts = counts.wrapping_add(flags[m]);
    }
    ((a[0] + a[1]) + (a[2] + a[3]), (b[0] + b[1]) + (b[2] + b[3]), counts)
}

/// Σ a, Σ b and the count over the `n` members of a group whose `part(j)` (`j` the member's
/// place in the group's list, in unit order) is `(a, b)`: in four lanes by `j mod 4`,
/// added as (0 + 1) + (2 + 3). Every path that sums a group (the build, an incremental
/// change, an ad-hoc group) goes through here, so they agree to the bit; four independent
/// chains of additions keep the adder busy where one chain waits on each addition.
fn lane_sums(n: usize, part: impl Fn(usize) -> Option<(f64, f64)>) -> (f64, f64, u32) {
    let (mut a, mut b, mut k) = ([0.0f64; 4], [0.0f64; 4], 0u32);
    let full = n / 4 * 4;
    for j in (0..full).step_by(4) {
        for l in 0..4 {
            if let Some((x, y)) = part(j + l) {
                a[l] += x;
                b[l] += y;
                k += 1;
            }
        }
    }
    for l in 0..n - full {
        if let Some((x, y)) = part(full + l) {
            a[l] += x;
            b[l] += y;
            k += 1;
        }
    }
    ((a[0] + a[1]) + (a[2] + a[3]), (b[0] + b[1]) + (b[2] + b[3]), k)
}

/// A group's aggregate from its sums over the `k` units with a value: `factor·Σnum/Σden`, or
/// `factor·Σnum` without a denominator; NaN for none.
fn aggregate_of(factor: f64, has_den: bool, sn: f64, sd: f64, k: u32) -> f64 {
    if k == 0 {
        f64::NAN
    } else if has_den {
        if sd == 0.0 { f64::NAN } else { finite_or_nan(factor * sn / sd) }
    } else {
        finite_or_nan(factor * sn)
    }
}

/// The value itself if finite (with −0 made +0, so ties and printing see one zero), else NaN.
fn finite_or_nan(v: f64) -> f64 {
    if v.is_finite() { v + 0.0 } else { f64::NAN }
}

/// `factor × num / den` at cell `c`, NaN when missing, divided by zero or not finite.
fn ratio(factor: f64, num: &Column, den: Option<&Column>, c: usize) -> f64 {
    let Some(a) = num.get(c) else { return f64::NAN };
    let v = match den {
        None => factor * a,
        Some(d) => match d.get(c) {
            Some(b) if b != 0.0 => factor * a / b,
            _ => return f64::NAN,
        },
    };
    finite_or_nan(v)
}

/// A unit-major column (`u·years + y`) as year-major values (`y·units + u`), NaN for
/// missing: read in order, written to one run per year, so both sides stream through the
/// cache (reading a year straight out of the unit-major column would touch one cache line
/// per unit and year).
fn transpose(col: &Column, units: usize, years: usize, out: &mut Vec<f64>) {
    out.clear();
    out.resize(units * years, f64::NAN);
    let (v, ok) = (&col.values[..units * years], &col.valid[..units * years]);
    for (u, (row, row_ok)) in v.chunks_exact(years).zip(ok.chunks_exact(years)).enumerate() {
        for (y, (&x, &k)) in row.iter().zip(row_ok).enumerate() {
            if k {
                out[y * units + u] = x;
            }
        }
    }
}

/// Competition ranks (1, 2, 2, 4) of one group's members, given their values ascending,
/// into `ranks` place by place: best first, the lowest when lower is better, else the
/// highest.
fn competition_ranks(sorted: &[f64], lower_better: bool, ranks: &mut [u32]) {
    let n = sorted.len();
    if n == 0 {
        return;
    }
    if lower_better {
        // Place k is the (k + 1)-th best; a tie takes the rank of the first of its run.
        ranks[0] = 1;
        for k in 1..n {
            ranks[k] = if sorted[k] == sorted[k - 1] { ranks[k - 1] } else { k as u32 + 1 };
        }
    } else {
        // Place k is the (n − k)-th best.
        ranks[n - 1] = 1;
        for k in (0..n - 1).rev() {
            ranks[k] = if sorted[k] == sorted[k + 1] { ranks[k + 1] } else { (n - k) as u32 };
        }
    }
}

/// Statistics of already sorted present values (aggregate left NaN).
fn describe_sorted(sorted: &[f64], missing: u32) -> StatRow {
    let n = sorted.len();
    if n == 0 {
        return StatRow { missing, ..StatRow::EMPTY };
    }
    let mean = sum_lanes(sorted) / n as f64;
    let sd = if n < 2 { f64::NAN } else { (sum_sq_dev(sorted, mean) / (n - 1) as f64).sqrt() };
    let q = |p| quantile_sorted(sorted, p).unwrap_or(f64::NAN);
    StatRow { n: n as u32, missing, min: sorted[0], q1: q(0.25), median: q(0.5), q3: q(0.75), max: sorted[n - 1], mean, sd, aggregate: f64::NAN }
}

fn index_partition(p: Partition, units: usize, years: usize, stat_offset: usize) -> PartitionIndex {
    let g_n = p.keys.len();
    let mut counts = vec![0u32; g_n * years + 1];
    let mut cell_group = p.cell_group;
    cell_group.resize(units * years, NO_GROUP);
    for y in 0..years {
        for u in 0..units {
            let g = cell_group[y * units + u];
            if (g as usize) < g_n {
                counts[g as usize * years + y + 1] += 1;
            } else {
                cell_group[y * units + u] = NO_GROUP;
            }
        }
    }
    for k in 0..g_n * years {
        counts[k + 1] += counts[k];
    }
    let mut members = vec![0u32; counts[g_n * years] as usize];
    let mut fill = counts.clone();
    for y in 0..years {
        for u in 0..units {
            let g = cell_group[y * units + u];
            if g != NO_GROUP {
                let k = g as usize * years + y;
                members[fill[k] as usize] = u as u32;
                fill[k] += 1;
            }
        }
    }
    PartitionIndex { name: p.name, keys: p.keys, cell_group, offsets: counts, members, stat_offset }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flags of units 0..n: unit `u` has a value when `u % 3 != 0`, misses one when
    /// `u % 3 == 0`, contributes when `u % 2 == 0`.
    fn flags(n: usize) -> Vec<u64> {
        (0..n).map(|u| u64::from(u % 3 != 0) | u64::from(u % 3 == 0) << COUNT_BITS | u64::from(u % 2 == 0) << (2 * COUNT_BITS)).collect()
    }

    #[test]
    fn packed_counts_equal_counting_member_by_member() {
        let f = flags(1000);
        let members: Vec<u32> = (0..1000).filter(|u| u % 7 != 3).collect();
        let cn = vec![0.0; 1000];
        let (_, _, counts) = group_sums(&members, &cn, &cn, &f);
        let by_hand = |i: u32| members.iter().filter(|&&m| (f[m as usize] >> (i * COUNT_BITS)) & 1 == 1).count() as u32;
        for i in 0..3 {
            assert_eq!(count_field(counts, i, &members, &f), by_hand(i), "field {i}");
        }
        // A group of 2²¹ members or more is counted one by one (the packed sum would carry
        // from one field into the next).
        let big = 1usize << COUNT_BITS;
        let f = flags(big);
        let all: Vec<u32> = (0..big as u32).collect();
        let packed: u64 = f.iter().fold(0, |a, &x| a.wrapping_add(x));
        assert_eq!(count_field(packed, 0, &all, &f), (0..big).filter(|u| u % 3 != 0).count() as u32);
        assert_eq!(count_field(packed, 2, &all, &f), (big / 2) as u32);
    }

    #[test]
    fn group_sums_add_as_lane_sums_does() {
        let n = 103;
        let cn: Vec<f64> = (0..n).map(|u| if u % 5 == 0 { 0.0 } else { 1.0 / (u as f64 + 0.3) }).collect();
        let cd: Vec<f64> = (0..n).map(|u| if u % 5 == 0 { 0.0 } else { (u as f64).sqrt() * 1e7 }).collect();
        let f = flags(n);
        for len in [0, 1, 3, 4, 5, 17, 103] {
            let members: Vec<u32> = (0..len as u32).rev().collect();
            let (a, b, _) = group_sums(&members, &cn, &cd, &f);
            // Units of 5k do not contribute: skipped here, added as 0 above.
            let (x, y, k) = lane_sums(members.len(), |j| {
                let m = members[j] as usize;
                (!m.is_multiple_of(5)).then(|| (cn[m], cd[m]))
            });
            assert_eq!((a.to_bits(), b.to_bits()), (x.to_bits(), y.to_bits()), "{len} members");
            assert_eq!(k as usize, members.iter().filter(|&&m| m % 5 != 0).count());
        }
    }

    #[test]
    fn competition_ranks_share_a_rank_on_ties_and_skip_after() {
        let sorted = [1.0, 2.0, 2.0, 3.0, 5.0, 5.0, 5.0];
        let mut r = [0u32; 7];
        competition_ranks(&sorted, true, &mut r);
        assert_eq!(r, [1, 2, 2, 4, 5, 5, 5]);
        competition_ranks(&sorted, false, &mut r);
        assert_eq!(r, [7, 5, 5, 4, 1, 1, 1]);
        competition_ranks(&[], false, &mut []);
    }
}
