//! The columnar snapshot: every indicator's value for every unit and year, and the
//! statistics of every group of the fixed partitions (country, województwo, typology), built
//! in one pass over dense arrays and never changed afterwards. A change makes a *new*
//! snapshot that shares every untouched array with the old one ([`Snapshot::update_unit`]),
//! so whoever holds the old one keeps reading it undisturbed.
//!
//! Layout and memory (the plan behind the numbers in the closing note of issue 3):
//! * variables: one unit-major [`Column`] per variable (cell `u·years + y`), as the formula
//!   evaluator reads them — 9 bytes a cell;
//! * indicator values: per indicator and year a chunk of `units` f64, NaN meaning missing
//!   (NaN never leaves: accessors return `Option`) — 8 bytes a cell. Year chunks make an
//!   incremental change copy 23 KB per indicator, not the whole series;
//! * group statistics: per indicator and year one [`StatRow`] (72 bytes) per group;
//! * positions (rank, percentile, quartile, z) are *not* stored: a unit's rank is one pass
//!   over its group's values (≤ 2,500 comparisons), cheaper to compute than 2 bytes × 3
//!   partitions × every cell (≈ 200 MB at Poland's scale) would be to keep. Whole ranking
//!   tables come from [`Snapshot::ranking`].

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use formula::{Column, Grid, Program};
use model::Polarity;

use crate::stats::{GroupStats, Position, quantile_sorted, quartile_class};

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
#[derive(Debug, Clone, Copy, PartialEq)]
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
    variables: Vec<Arc<Column>>,
    indicators: Arc<Vec<IndicatorSpec>>,
    ind_index: Arc<HashMap<String, usize>>,
    /// Per indicator: where each of its numerator's / denominator's variables is, if known.
    bindings: Arc<Vec<Binding>>,
    partitions: Arc<Vec<PartitionIndex>>,
    stat_width: usize,
    /// `values[i][y]`: indicator `i` in year `y`, one f64 per unit, NaN = missing.
    values: Vec<Vec<Arc<Vec<f64>>>>,
    /// `stats[i][y]`: one row per group of every partition.
    stats: Vec<Vec<Arc<Vec<StatRow>>>>,
}

#[derive(Debug, Clone)]
struct Binding {
    numerator: Vec<Option<usize>>,
    denominator: Vec<Option<usize>>,
}

/// Receives ranks during a build: `(indicator, year index, partition, rank of every unit)`.
pub type RankSink<'a> = dyn Fn(usize, usize, usize, &[u32]) + Sync + 'a;

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

/// An order-preserving integer key of a finite f64 (so sorting is a plain integer sort).
fn sort_key(v: f64) -> u64 {
    let b = v.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

/// Scratch buffers of one worker, reused across indicators and years.
#[derive(Default)]
struct Scratch {
    present: Vec<(u64, u32)>,
    sorted: Vec<f64>,
    counts: Vec<u32>,
    missing: Vec<u32>,
    sum_num: Vec<f64>,
    sum_den: Vec<f64>,
    contributors: Vec<u32>,
    fill: Vec<u32>,
    all: Vec<u32>,
    ranks: Vec<u32>,
    last_key: Vec<u64>,
    last_rank: Vec<u32>,
}

impl Snapshot {
    /// Computes everything: every indicator's values, then every fixed-partition group's
    /// statistics, spread over the machine's cores.
    pub fn build(inputs: Inputs) -> Snapshot {
        Self::build_with_ranks(inputs, None)
    }

    /// [`Snapshot::build`] that also ranks every unit in each of its fixed-partition groups
    /// (out of the same sort the statistics need) and hands each indicator-year-partition's
    /// ranks to `ranks(indicator, year, partition, rank per unit)` (0 = no rank). The
    /// snapshot does not keep them (see the module's memory plan); exports of whole ranking
    /// tables and the benchmark's full recompute use this.
    pub fn build_with_ranks(inputs: Inputs, ranks: Option<&RankSink<'_>>) -> Snapshot {
        let Inputs { units, first_year, years, variables, indicators, partitions } = inputs;
        let var_codes: Vec<String> = variables.iter().map(|(c, _)| c.clone()).collect();
        let var_index: HashMap<String, usize> = var_codes.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect();
        let variables: Vec<Arc<Column>> = variables.into_iter().map(|(_, c)| Arc::new(c)).collect();
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
            values: Vec::new(),
            stats: Vec::new(),
        };
        snap.ind_index = Arc::new(snap.indicators.iter().enumerate().map(|(i, s)| (s.code.clone(), i)).collect());

        let n = snap.indicators.len();
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(n.max(1));
        let next = AtomicUsize::new(0);
        let mut results: Vec<Option<(Vec<Arc<Vec<f64>>>, Vec<Arc<Vec<StatRow>>>)>> = (0..n).map(|_| None).collect();
        let done: Vec<Vec<(usize, (Vec<Arc<Vec<f64>>>, Vec<Arc<Vec<StatRow>>>))>> = std::thread::scope(|s| {
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
                            out.push((i, snap.compute_indicator(i, &mut scratch, ranks)));
                        }
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
        });
        for (i, r) in done.into_iter().flatten() {
            results[i] = Some(r);
        }
        let empty_years = || -> (Vec<Arc<Vec<f64>>>, Vec<Arc<Vec<StatRow>>>) {
            (
                (0..years).map(|_| Arc::new(vec![f64::NAN; units])).collect(),
                (0..years).map(|_| Arc::new(vec![StatRow::EMPTY; stat_offset])).collect(),
            )
        };
        for r in results {
            let (v, s) = r.unwrap_or_else(empty_years);
            snap.values.push(v);
            snap.stats.push(s);
        }
        snap
    }

    /// Numerator and denominator of indicator `i` over a grid of `rows` (each a unit whose
    /// years `y0..y0 + len` are taken), unit-major.
    fn eval_parts(&self, i: usize, rows: &[u32], y0: usize, len: usize) -> (Column, Option<Column>) {
        let spec = &self.indicators[i];
        let grid = Grid { units: rows.len(), years: len };
        let all = rows.len() == self.units && y0 == 0 && len == self.years && rows.iter().enumerate().all(|(k, &u)| k == u as usize);
        // Whole columns are read in place; a subset is copied out; a variable without data
        // reads as one shared all-missing column.
        let missing = Column::missing(grid.len());
        let run = |p: &Program, idx: &[Option<usize>]| {
            let gathered: Vec<Option<Column>> = idx
                .iter()
                .map(|v| match v {
                    Some(v) if !all => {
                        let c = &self.variables[*v];
                        let mut out = Column { values: Vec::with_capacity(grid.len()), valid: Vec::with_capacity(grid.len()) };
                        for &u in rows {
                            let s = u as usize * self.years + y0;
                            out.values.extend_from_slice(&c.values[s..s + len]);
                            out.valid.extend_from_slice(&c.valid[s..s + len]);
                        }
                        Some(out)
                    }
                    _ => None,
                })
                .collect();
            let cols: Vec<&Column> = idx
                .iter()
                .zip(&gathered)
                .map(|(v, g)| match (v, g) {
                    (_, Some(g)) => g,
                    (Some(v), None) => &*self.variables[*v],
                    (None, None) => &missing,
                })
                .collect();
            p.eval(grid, &cols).unwrap_or_else(|_| Column::missing(grid.len()))
        };
        let b = &self.bindings[i];
        let num = run(&spec.numerator, &b.numerator);
        let den = spec.denominator.as_ref().map(|d| run(d, &b.denominator));
        (num, den)
    }

    fn compute_indicator(&self, i: usize, scratch: &mut Scratch, ranks: Option<&RankSink<'_>>) -> (Vec<Arc<Vec<f64>>>, Vec<Arc<Vec<StatRow>>>) {
        let (units, years) = (self.units, self.years);
        if scratch.all.len() != units {
            scratch.all = (0..units as u32).collect();
        }
        let all = std::mem::take(&mut scratch.all);
        let (num, den) = self.eval_parts(i, &all, 0, years);
        scratch.all = all;
        let spec = &self.indicators[i];
        let mut values = Vec::with_capacity(years);
        let mut stats = Vec::with_capacity(years);
        let mut chunk = vec![f64::NAN; units];
        for y in 0..years {
            for u in 0..units {
                let c = u * years + y;
                chunk[u] = if spec.applies[u] { ratio(spec.factor, &num, den.as_ref(), c) } else { f64::NAN };
            }
            let mut rows = vec![StatRow::EMPTY; self.stat_width];
            self.year_stats(spec, y, &chunk, &num, den.as_ref(), scratch, &mut rows);
            if let Some(sink) = ranks {
                self.year_ranks(i, y, scratch, sink);
            }
            values.push(Arc::new(chunk.clone()));
            stats.push(Arc::new(rows));
        }
        (values, stats)
    }

    /// Statistics of every group of every partition for one indicator-year: one sort of all
    /// present values, then each partition's groups taken out of the sorted order in one pass
    /// (so every group comes out sorted without sorting it again).
    #[allow(clippy::too_many_arguments)]
    fn year_stats(
        &self,
        spec: &IndicatorSpec,
        y: usize,
        chunk: &[f64],
        num: &Column,
        den: Option<&Column>,
        s: &mut Scratch,
        rows: &mut [StatRow],
    ) {
        let (units, years) = (self.units, self.years);
        s.present.clear();
        s.present.extend(chunk.iter().enumerate().filter(|(_, v)| !v.is_nan()).map(|(u, v)| (sort_key(*v), u as u32)));
        s.present.sort_unstable_by_key(|p| p.0);
        for p in self.partitions.iter() {
            let g_n = p.keys.len();
            let cg = &p.cell_group[y * units..(y + 1) * units];
            s.counts.clear();
            s.counts.resize(g_n + 1, 0);
            s.missing.clear();
            s.missing.resize(g_n, 0);
            s.sum_num.clear();
            s.sum_num.resize(g_n, 0.0);
            s.sum_den.clear();
            s.sum_den.resize(g_n, 0.0);
            s.contributors.clear();
            s.contributors.resize(g_n, 0);
            for u in 0..units {
                let g = cg[u];
                if g == NO_GROUP || !spec.applies[u] {
                    continue;
                }
                let g = g as usize;
                if chunk[u].is_nan() {
                    s.missing[g] += 1;
                } else {
                    s.counts[g + 1] += 1;
                }
                let c = u * years + y;
                let (nv, dv) = (num.get(c), den.map(|d| d.get(c)));
                match (nv, dv) {
                    (Some(a), None) => {
                        s.sum_num[g] += a;
                        s.contributors[g] += 1;
                    }
                    (Some(a), Some(Some(b))) => {
                        s.sum_num[g] += a;
                        s.sum_den[g] += b;
                        s.contributors[g] += 1;
                    }
                    _ => {}
                }
            }
            for g in 0..g_n {
                s.counts[g + 1] += s.counts[g];
            }
            s.sorted.clear();
            s.sorted.resize(s.present.len(), 0.0);
            s.fill.clear();
            s.fill.extend_from_slice(&s.counts[..g_n]);
            for &(_, u) in &s.present {
                let g = cg[u as usize];
                if g == NO_GROUP {
                    continue;
                }
                let g = g as usize;
                s.sorted[s.fill[g] as usize] = chunk[u as usize];
                s.fill[g] += 1;
            }
            for g in 0..g_n {
                let sorted = &s.sorted[s.counts[g] as usize..s.counts[g + 1] as usize];
                let mut row = describe_sorted(sorted, s.missing[g]);
                row.aggregate = if s.contributors[g] == 0 {
                    f64::NAN
                } else if den.is_some() {
                    if s.sum_den[g] == 0.0 { f64::NAN } else { finite_or_nan(spec.factor * s.sum_num[g] / s.sum_den[g]) }
                } else {
                    finite_or_nan(spec.factor * s.sum_num[g])
                };
                rows[p.stat_offset + g] = row;
            }
        }
    }

    /// Competition ranks in every partition out of the sorted order `year_stats` left in
    /// `s.present`: walking it best first, a unit's rank is one more than the members of
    /// its group seen before it, unless it ties the previous one.
    fn year_ranks(&self, i: usize, y: usize, s: &mut Scratch, sink: &RankSink<'_>) {
        let units = self.units;
        let lower_better = self.indicators[i].polarity == Polarity::LowerBetter;
        for (pi, p) in self.partitions.iter().enumerate() {
            let cg = &p.cell_group[y * units..(y + 1) * units];
            s.ranks.clear();
            s.ranks.resize(units, 0);
            s.fill.clear();
            s.fill.resize(p.keys.len(), 0);
            s.last_key.clear();
            s.last_key.resize(p.keys.len(), 0);
            s.last_rank.clear();
            s.last_rank.resize(p.keys.len(), 0);
            let present = std::mem::take(&mut s.present);
            let last_rank = &mut s.last_rank;
            let mut step = |&(key, u): &(u64, u32)| {
                let g = cg[u as usize];
                if g == NO_GROUP {
                    return;
                }
                let g = g as usize;
                let seen = s.fill[g];
                let r = if seen > 0 && s.last_key[g] == key { last_rank[g] } else { seen + 1 };
                s.ranks[u as usize] = r;
                last_rank[g] = r;
                s.fill[g] = seen + 1;
                s.last_key[g] = key;
            };
            if lower_better {
                present.iter().for_each(&mut step);
            } else {
                present.iter().rev().for_each(&mut step);
            }
            s.present = present;
            sink(i, y, pi, &s.ranks);
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
        self.variables.get(v)?.get(unit * self.years + y)
    }

    /// Indicator `i`'s value for `unit` in year index `y`.
    pub fn value(&self, i: usize, unit: usize, y: usize) -> Option<f64> {
        let v = *self.values.get(i)?.get(y)?.get(unit)?;
        (!v.is_nan()).then_some(v)
    }

    /// All units' values of indicator `i` in year index `y` (NaN = missing).
    pub fn year_values(&self, i: usize, y: usize) -> &[f64] {
        &self.values[i][y]
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
        self.stats[i][y][self.partitions[p].stat_offset + g]
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
        let vals = &self.values[i][y];
        let x = vals[unit];
        if x.is_nan() {
            return Position::default();
        }
        let (mut better, mut n) = (0u32, 0u32);
        for &m in members {
            let v = vals[m as usize];
            if v.is_nan() || !spec.applies[m as usize] {
                continue;
            }
            n += 1;
            better += u32::from(match spec.polarity {
                Polarity::LowerBetter => v < x,
                Polarity::HigherBetter | Polarity::Neutral => v > x,
            });
        }
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
        let vals = &self.values[i][y];
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

    /// Statistics of any set of units (custom groups, neighbours, nearest neighbours) for
    /// indicator `i` in year index `y`, with each member's position, in `members` order.
    /// Units the indicator does not apply to are left out of the group.
    pub fn adhoc_group(&self, i: usize, y: usize, members: &[u32]) -> (GroupStats, Vec<Position>) {
        let spec = &self.indicators[i];
        let members: Vec<u32> =
            members.iter().copied().filter(|&m| (m as usize) < self.units && spec.applies[m as usize]).collect();
        let row = self.group_row(i, y, &members, &self.values[i][y]);
        let positions = members.iter().map(|&m| self.position_among(i, m as usize, y, &members, row.mean, row.sd)).collect();
        (row.to_stats(), positions)
    }

    /// What the snapshot's arrays take, in bytes.
    pub fn memory(&self) -> MemoryUse {
        let cells = self.units * self.years;
        MemoryUse {
            variables: self.variables.len() * cells * (8 + 1),
            values: self.values.len() * cells * 8,
            stats: self.stats.len() * self.years * self.stat_width * std::mem::size_of::<StatRow>(),
            partitions: self.partitions.iter().map(|p| (p.cell_group.len() + p.members.len() + p.offsets.len()) * 4).sum(),
        }
    }

    // ----- incremental change -----

    /// A new snapshot in which `unit`'s variables take the values in `changes`
    /// (`(variable index, year index, value)`), recomputing only what depends on them: the
    /// indicators that read a changed variable, in the years from the change on as far as
    /// their lags reach, and the statistics of the unit's groups in those years. Everything
    /// else is shared with `self`.
    pub fn update_unit(&self, unit: usize, changes: &[(usize, usize, Option<f64>)]) -> Snapshot {
        let mut next = self.clone();
        if unit >= self.units {
            return next;
        }
        let mut first_changed: HashMap<usize, usize> = HashMap::new();
        for &(v, y, value) in changes {
            if v >= self.variables.len() || y >= self.years {
                continue;
            }
            let col = Arc::make_mut(&mut next.variables[v]);
            let c = unit * self.years + y;
            match value.filter(|x| x.is_finite()) {
                Some(x) => {
                    col.values[c] = x;
                    col.valid[c] = true;
                }
                None => {
                    col.values[c] = 0.0;
                    col.valid[c] = false;
                }
            }
            let e = first_changed.entry(v).or_insert(y);
            *e = (*e).min(y);
        }
        if first_changed.is_empty() {
            return next;
        }
        let affected: Vec<(usize, usize, usize)> = (0..self.indicators.len())
            .filter_map(|i| {
                let b = &self.bindings[i];
                let from = b.numerator.iter().chain(&b.denominator).flatten().filter_map(|v| first_changed.get(v)).min()?;
                let to = (*from + self.indicators[i].max_lag).min(self.years - 1);
                Some((i, *from, to))
            })
            .collect();
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(affected.len().max(1));
        let next_ref = &next;
        let cursor = AtomicUsize::new(0);
        type Patch = (usize, Vec<(usize, Arc<Vec<f64>>, Arc<Vec<StatRow>>)>);
        let patches: Vec<Patch> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut out = Vec::new();
                        loop {
                            let k = cursor.fetch_add(1, Ordering::Relaxed);
                            let Some(&(i, from, to)) = affected.get(k) else { break out };
                            out.push((i, next_ref.recompute_unit(i, unit, from, to)));
                        }
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
        });
        for (i, years) in patches {
            for (y, v, s) in years {
                next.values[i][y] = v;
                next.stats[i][y] = s;
            }
        }
        next
    }

    /// Indicator `i` for `unit` in years `from..=to` on the new variables, with the unit's
    /// groups' statistics recomputed from their members.
    fn recompute_unit(&self, i: usize, unit: usize, from: usize, to: usize) -> Vec<(usize, Arc<Vec<f64>>, Arc<Vec<StatRow>>)> {
        let spec = &self.indicators[i];
        let (num, den) = self.eval_parts(i, &[unit as u32], 0, self.years);
        let mut out = Vec::new();
        for y in from..=to {
            let mut vals = self.values[i][y].to_vec();
            vals[unit] = if spec.applies[unit] { ratio(spec.factor, &num, den.as_ref(), y) } else { f64::NAN };
            let vals: Arc<Vec<f64>> = Arc::new(vals);
            let mut rows = self.stats[i][y].to_vec();
            // Rebuild each of the unit's groups from its members, with the new values.
            for (pi, p) in self.partitions.iter().enumerate() {
                let Some(g) = self.group_of(pi, unit, y) else { continue };
                let members = self.members(pi, g, y);
                let row = self.group_row(i, y, members, &vals);
                rows[p.stat_offset + g] = row;
            }
            out.push((y, vals, Arc::new(rows)));
        }
        out
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
        let (mut sn, mut sd, mut k) = (0.0, 0.0, 0u32);
        for j in 0..members.len() {
            let c = j * len + (y - y0);
            match (num.get(c), den.as_ref().map(|d| d.get(c))) {
                (Some(a), None) => {
                    sn += a;
                    k += 1;
                }
                (Some(a), Some(Some(b))) => {
                    sn += a;
                    sd += b;
                    k += 1;
                }
                _ => {}
            }
        }
        row.aggregate = if k == 0 {
            f64::NAN
        } else if den.is_some() {
            if sd == 0.0 { f64::NAN } else { finite_or_nan(spec.factor * sn / sd) }
        } else {
            finite_or_nan(spec.factor * sn)
        };
        row
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

/// Statistics of already sorted present values (aggregate left NaN).
fn describe_sorted(sorted: &[f64], missing: u32) -> StatRow {
    let n = sorted.len();
    if n == 0 {
        return StatRow { missing, ..StatRow::EMPTY };
    }
    let mean = sorted.iter().sum::<f64>() / n as f64;
    let sd = if n < 2 {
        f64::NAN
    } else {
        let ss: f64 = sorted.iter().map(|v| (v - mean) * (v - mean)).sum();
        (ss / (n - 1) as f64).sqrt()
    };
    let q = |p| quantile_sorted(sorted, p).unwrap_or(f64::NAN);
    StatRow {
        n: n as u32,
        missing,
        min: sorted[0],
        q1: q(0.25),
        median: q(0.5),
        q3: q(0.75),
        max: sorted[n - 1],
        mean,
        sd,
        aggregate: f64::NAN,
    }
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
