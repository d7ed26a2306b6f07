//! A synthetic country at any scale for `miernik bench compute`: units in Poland's
//! proportions (16 województwa; 66 miasta na prawach powiatu and 314 powiaty per 2,900
//! units; the rest gminy, 12 % miejskie, 62 % wiejskie, 26 % miejsko-wiejskie), variables
//! proportional to population with a unit-level rate, a trend and noise (2 % of cells
//! missing, 0.5 % zero so that division by zero happens), and indicators of four shapes over
//! them. Nothing here touches a database: it feeds the engine directly, so the benchmark
//! times the engine alone.

use std::sync::Arc;

use engine::snapshot::{IndicatorSpec, Inputs};
use formula::{Column, Program};
use model::{Polarity, UnitKind};

use crate::groups::{UnitPlace, fixed_partitions};
use crate::rng::Rng;

/// The formula of a synthetic indicator (variables by index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `a / b`
    Ratio(usize, usize),
    /// `(a + b) / c`
    SumRatio(usize, usize, usize),
    /// `(a − lag(a, 1)) / lag(a, 1)`
    Growth(usize),
    /// `(a − b) / c`
    DiffRatio(usize, usize, usize),
}

impl Shape {
    pub fn name(self) -> &'static str {
        match self {
            Shape::Ratio(..) => "ratio",
            Shape::SumRatio(..) => "sum_ratio",
            Shape::Growth(..) => "growth",
            Shape::DiffRatio(..) => "diff_ratio",
        }
    }

    /// The variables `a, b, c` (unused ones none).
    pub fn vars(self) -> [Option<usize>; 3] {
        match self {
            Shape::Ratio(a, b) => [Some(a), Some(b), None],
            Shape::SumRatio(a, b, c) | Shape::DiffRatio(a, b, c) => [Some(a), Some(b), Some(c)],
            Shape::Growth(a) => [Some(a), None, None],
        }
    }

    fn formulas(self) -> (String, String) {
        let v = |i: usize| format!("v{i}");
        match self {
            Shape::Ratio(a, b) => (v(a), v(b)),
            Shape::SumRatio(a, b, c) => (format!("{} + {}", v(a), v(b)), v(c)),
            Shape::Growth(a) => (format!("{0} - lag({0}, 1)", v(a)), format!("lag({}, 1)", v(a))),
            Shape::DiffRatio(a, b, c) => (format!("{} - {}", v(a), v(b)), v(c)),
        }
    }
}

/// The generated world: the engine's inputs and what a peer needs to redo the computation.
#[derive(Debug)]
pub struct BenchWorld {
    pub inputs: Inputs,
    pub places: Vec<UnitPlace>,
    pub shapes: Vec<Shape>,
    /// How many variables were generated (`v0` is the population).
    pub variables: usize,
}

fn kinds(units: usize) -> Vec<UnitKind> {
    let woj = units.min(16);
    let rest = units - woj;
    let mnpp = (rest * 66 / 2900).min(rest);
    let powiaty = (rest * 314 / 2900).min(rest - mnpp);
    let gminy = rest - mnpp - powiaty;
    let mut out = vec![UnitKind::Wojewodztwo; woj];
    out.extend(std::iter::repeat_n(UnitKind::MiastoNaPrawachPowiatu, mnpp));
    out.extend(std::iter::repeat_n(UnitKind::Powiat, powiaty));
    for g in 0..gminy {
        out.push(match g % 50 {
            0..=5 => UnitKind::GminaMiejska,
            6..=36 => UnitKind::GminaWiejska,
            _ => UnitKind::GminaMiejskoWiejska,
        });
    }
    out
}

/// Generates `units × years` cells of `max(4, indicators / 5)` variables and `indicators`
/// indicators over them.
pub fn bench_world(units: usize, indicators: usize, years: usize, seed: u64) -> BenchWorld {
    let mut rng = Rng(seed | 1);
    let kinds = kinds(units);
    let places: Vec<UnitPlace> =
        kinds.iter().enumerate().map(|(u, &kind)| UnitPlace { kind, wojewodztwo: format!("{:02}", 2 * (u % 16) + 2) }).collect();
    let n_vars = (indicators / 5).max(4);
    let cells = units * years;
    // Population: the size of the unit drives every variable.
    let base: Vec<f64> = kinds
        .iter()
        .map(|k| {
            let median = match k {
                UnitKind::Wojewodztwo => 2_000_000.0,
                UnitKind::MiastoNaPrawachPowiatu => 120_000.0,
                UnitKind::Powiat => 80_000.0,
                UnitKind::GminaMiejska => 25_000.0,
                _ => 8_000.0,
            };
            median * (0.6 * rng.normal()).exp()
        })
        .collect();
    let mut variables = Vec::with_capacity(n_vars);
    for v in 0..n_vars {
        let rate = if v == 0 { 1.0 } else { 10f64.powf(rng.range(-3.0, 1.0)) };
        let trend = if v == 0 { -0.002 } else { rng.range(-0.02, 0.06) };
        let integer = v % 2 == 0;
        let mut col = Column::missing(cells);
        for (u, &size) in base.iter().enumerate() {
            let unit_rate = rate * (0.3 * rng.normal()).exp();
            for y in 0..years {
                let c = u * years + y;
                let r = rng.unit();
                if v > 0 && r < 0.02 {
                    continue; // missing
                }
                let x = if v > 0 && r < 0.025 {
                    0.0
                } else {
                    let x = size * unit_rate * (1.0 + trend).powi(y as i32) * (0.05 * rng.normal()).exp();
                    if integer { x.round() } else { (x * 100.0).round() / 100.0 }
                };
                col.values[c] = x;
                col.valid[c] = true;
            }
        }
        variables.push((format!("v{v}"), col));
    }
    let applies: Arc<[bool]> = Arc::from(vec![true; units]);
    let mut shapes = Vec::with_capacity(indicators);
    let mut specs = Vec::with_capacity(indicators);
    for i in 0..indicators {
        let pick = |rng: &mut Rng| rng.below(n_vars);
        let shape = match rng.below(20) {
            0..=11 => Shape::Ratio(pick(&mut rng), pick(&mut rng)),
            12..=14 => Shape::SumRatio(pick(&mut rng), pick(&mut rng), pick(&mut rng)),
            15..=16 => Shape::Growth(pick(&mut rng)),
            _ => Shape::DiffRatio(pick(&mut rng), pick(&mut rng), pick(&mut rng)),
        };
        let polarity = [Polarity::HigherBetter, Polarity::LowerBetter, Polarity::Neutral][rng.below(3)];
        let factor = [1.0, 100.0, 1000.0][rng.below(3)];
        let (num, den) = shape.formulas();
        let (num, den) = match (formula::parse(&num), formula::parse(&den)) {
            (Ok(n), Ok(d)) => (n, d),
            _ => continue, // cannot happen: the formulas above are well-formed
        };
        specs.push(IndicatorSpec {
            code: format!("I{i:04}"),
            polarity,
            factor,
            max_lag: num.max_lag().max(den.max_lag()),
            numerator: Program::compile(&num),
            denominator: Some(Program::compile(&den)),
            applies: applies.clone(),
        });
        shapes.push(shape);
    }
    let population = &variables[0].1;
    let partitions = fixed_partitions(&places, years, &|u, y| population.get(u * years + y));
    BenchWorld { inputs: Inputs { units, first_year: 2010, years, variables, indicators: specs, partitions }, places, shapes, variables: n_vars }
}

/// What `miernik bench compute` measured.
#[derive(Debug, Clone)]
pub struct ComputeBench {
    pub units: usize,
    pub indicators: usize,
    pub variables: usize,
    pub years: usize,
    pub groups: usize,
    /// Generating the synthetic data (not part of the timed work).
    pub generate_seconds: f64,
    /// The full recompute: every indicator's values, every fixed-partition group's
    /// statistics, and every unit's rank in each of its three groups for every year.
    pub seconds: f64,
    /// Every ranking table once more, group by group as a reader asks for them (not part of
    /// the recompute; the same ranks, checked equal).
    pub ranks_seconds: f64,
    /// The snapshot's arrays.
    pub snapshot_mb: f64,
    /// The process's peak resident memory (VmHWM), including the generated inputs.
    pub peak_rss_mb: f64,
    /// Median over 9 units of an incremental rebuild after one unit's every variable changed
    /// in one year.
    pub incremental_ms: f64,
    /// Median over 101 units of a nearest-neighbours request (k = 10, 10 context variables,
    /// standardisation of the unit's level included).
    pub nearest_neighbours_ms: f64,
    /// Sum of all ranks (so the work cannot be skipped; also a quick equality check).
    pub rank_checksum: u64,
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(0.0, |kib| kib / 1024.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn num(v: f64) -> String {
    if v.is_nan() { String::new() } else { format!("{v}") }
}

/// Generates a world, times the full recompute, an incremental rebuild and nearest
/// neighbours, and (with `dump`) writes inputs and outputs as CSV for a peer to redo and
/// compare (see `bench/engine-vs-duckdb.sh`).
pub fn compute_bench(units: usize, indicators: usize, years: usize, dump: Option<&std::path::Path>) -> std::io::Result<ComputeBench> {
    use std::io::Write;
    use std::time::Instant;

    let t = Instant::now();
    let world = bench_world(units, indicators, years, 0x5EED_2026);
    let generate_seconds = t.elapsed().as_secs_f64();
    let dumped_inputs = match dump {
        Some(dir) => Some(dump_inputs(dir, &world)?),
        None => None,
    };
    let BenchWorld { inputs, places, variables, .. } = world;

    // The full recompute: values, statistics and every unit's rank in its three groups, the
    // ranks summed per indicator-year-partition into a checksum so the work cannot be skipped.
    let sum = std::sync::atomic::AtomicU64::new(0);
    let sink = |_: usize, _: usize, _: usize, _: &[u32], ranks: &[u32]| {
        let s: u64 = ranks.iter().map(|&r| u64::from(r)).sum();
        sum.fetch_add(s, std::sync::atomic::Ordering::Relaxed);
    };
    let t = Instant::now();
    let snap = engine::snapshot::Snapshot::build_with_ranks(inputs, Some(&sink));
    let seconds = t.elapsed().as_secs_f64();
    let checksum = sum.load(std::sync::atomic::Ordering::Relaxed);

    // The ranking tables once more, one group at a time, as a reader gets them (and for the
    // dump): not part of the recompute.
    let t = Instant::now();
    let mut table_checksum = 0u64;
    let mut table = Vec::new();
    let mut rank_rows: Option<std::io::BufWriter<std::fs::File>> = match dump {
        Some(dir) => {
            let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("ranks.csv"))?);
            writeln!(w, "indicator,partition,unit,year,rank")?;
            Some(w)
        }
        None => None,
    };
    let partitions: Vec<String> = snap.partition_names().map(str::to_owned).collect();
    let mut groups = 0;
    for (p, pname) in partitions.iter().enumerate() {
        groups += snap.group_keys(p).len();
        for i in 0..snap.indicator_count() {
            for y in 0..years {
                for g in 0..snap.group_keys(p).len() {
                    snap.ranking(i, p, g, y, &mut table);
                    for &(u, r) in &table {
                        table_checksum = table_checksum.wrapping_add(u64::from(r));
                        if let Some(w) = rank_rows.as_mut() {
                            writeln!(w, "{i},{pname},{u},{},{r}", 2010 + y)?;
                        }
                    }
                }
            }
        }
    }
    let ranks_seconds = t.elapsed().as_secs_f64();
    if table_checksum != checksum {
        return Err(std::io::Error::other(format!("ranks differ: {checksum} in the recompute, {table_checksum} in the tables")));
    }
    if let Some(mut w) = rank_rows {
        w.flush()?;
    }
    if let (Some(dir), Some(())) = (dump, dumped_inputs) {
        dump_outputs(dir, &snap, &partitions)?;
    }

    // Incremental: one unit's every variable changes in the middle year.
    let mid = years / 2;
    let mut inc = Vec::new();
    for k in 0..9 {
        let unit = (k * 7919 + 100) % units;
        let changes: Vec<(usize, usize, Option<f64>)> =
            (0..variables).map(|v| (v, mid, snap.variable(v, unit, mid).map(|x| x * 1.1 + 1.0))).collect();
        let t = Instant::now();
        let next = snap.update_unit(unit, &changes);
        inc.push(t.elapsed().as_secs_f64() * 1000.0);
        drop(next);
    }

    // Nearest neighbours on 10 context variables in the last year, as a request computes
    // them: gather the pool's values, standardise, find the k nearest.
    let last = years - 1;
    let context: Vec<String> = snap.variable_codes().iter().take(10).cloned().collect();
    let spec = crate::nearest::NearestSpec::parse(&context.join(","), 10).map_err(|e| std::io::Error::other(e.to_string()))?;
    let kinds: Vec<model::UnitKind> = places.iter().map(|p| p.kind).collect();
    let mut nn = Vec::new();
    for k in 0..101 {
        let unit = (k * 31 + 17) % units;
        let t = Instant::now();
        let found = crate::nearest::nearest(&snap, &kinds, unit, last, &spec);
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if found.is_ok_and(|f| !f.neighbours.is_empty()) {
            nn.push(ms);
        }
    }
    let mem = snap.memory();
    Ok(ComputeBench {
        units,
        indicators: snap.indicator_count(),
        variables,
        years,
        groups,
        generate_seconds,
        ranks_seconds,
        seconds,
        snapshot_mb: mem.total() as f64 / (1024.0 * 1024.0),
        peak_rss_mb: peak_rss_mb(),
        incremental_ms: median(inc),
        nearest_neighbours_ms: median(nn),
        rank_checksum: checksum,
    })
}

fn dump_inputs(dir: &std::path::Path, world: &BenchWorld) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let create = |name: &str| std::fs::File::create(dir.join(name)).map(|f| std::io::BufWriter::with_capacity(1 << 20, f));
    let inputs = &world.inputs;
    let parts = &inputs.partitions;
    let mut w = create("units.csv")?;
    writeln!(w, "unit,level,woj,typology")?;
    for (u, place) in world.places.iter().enumerate() {
        // The typology can change by year; the peer gets it per year below.
        let level = crate::groups::comparison_level(place.kind).unwrap_or("");
        writeln!(w, "{u},{level},{},", place.wojewodztwo)?;
    }
    w.flush()?;
    let mut w = create("typology.csv")?;
    writeln!(w, "unit,year,typology")?;
    for y in 0..inputs.years {
        for u in 0..inputs.units {
            let g = parts[2].cell_group[y * inputs.units + u];
            if g != engine::snapshot::NO_GROUP {
                writeln!(w, "{u},{},{}", inputs.first_year + y as i32, parts[2].keys[g as usize])?;
            }
        }
    }
    w.flush()?;
    let mut w = create("variables.csv")?;
    writeln!(w, "variable,unit,year,value")?;
    for (v, (_, col)) in inputs.variables.iter().enumerate() {
        for u in 0..inputs.units {
            for y in 0..inputs.years {
                let x = col.get(u * inputs.years + y).map_or(String::new(), |x| format!("{x}"));
                writeln!(w, "{v},{u},{},{x}", inputs.first_year + y as i32)?;
            }
        }
    }
    w.flush()?;
    let mut w = create("indicators.csv")?;
    writeln!(w, "indicator,polarity,factor,shape,a,b,c")?;
    for (i, (spec, shape)) in inputs.indicators.iter().zip(&world.shapes).enumerate() {
        let [a, b, c] = shape.vars().map(|v| v.map_or(String::new(), |v| v.to_string()));
        writeln!(w, "{i},{},{},{},{a},{b},{c}", spec.polarity, spec.factor, shape.name())?;
    }
    w.flush()
}

fn dump_outputs(dir: &std::path::Path, snap: &engine::snapshot::Snapshot, partitions: &[String]) -> std::io::Result<()> {
    use std::io::Write;
    let create = |name: &str| std::fs::File::create(dir.join(name)).map(|f| std::io::BufWriter::with_capacity(1 << 20, f));
    let first = snap.first_year();
    let mut w = create("values.csv")?;
    writeln!(w, "indicator,unit,year,value")?;
    for i in 0..snap.indicator_count() {
        for u in 0..snap.units() {
            for y in 0..snap.years() {
                writeln!(w, "{i},{u},{},{}", first + y as i32, snap.value(i, u, y).map_or(String::new(), |v| format!("{v}")))?;
            }
        }
    }
    w.flush()?;
    let mut w = create("stats.csv")?;
    writeln!(w, "indicator,partition,group,year,n,missing,min,q1,median,q3,max,mean,sd,aggregate")?;
    for i in 0..snap.indicator_count() {
        for (p, pname) in partitions.iter().enumerate() {
            for (g, key) in snap.group_keys(p).iter().enumerate() {
                for y in 0..snap.years() {
                    if snap.members(p, g, y).is_empty() {
                        continue;
                    }
                    let s = snap.group_stats(i, p, g, y);
                    writeln!(
                        w,
                        "{i},{pname},{key},{},{},{},{},{},{},{},{},{},{},{}",
                        first + y as i32,
                        s.n,
                        s.missing,
                        num(s.min),
                        num(s.q1),
                        num(s.median),
                        num(s.q3),
                        num(s.max),
                        num(s.mean),
                        num(s.sd),
                        num(s.aggregate)
                    )?;
                }
            }
        }
    }
    w.flush()
}

/// The bench world as the portal sees it: 2,900 units with TERYT-shaped codes in a
/// hierarchy (województwa 02–32, their powiaty and miasta na prawach powiatu, gminy with
/// the RODZ digit of their kind), names, and a catalogue entry per indicator spread over
/// nine areas and five services each (one in ten a context indicator). For `miernik bench
/// pages`.
pub fn bench_computed(units: usize, indicators: usize, years: usize) -> crate::Computed {
    use model::TerytCode;
    let world = bench_world(units, indicators, years, 0x5EED_2026);
    let BenchWorld { inputs, places, shapes, variables } = world;
    let kinds: Vec<UnitKind> = places.iter().map(|p| p.kind).collect();
    let specs: Vec<(String, Polarity)> = inputs.indicators.iter().map(|s| (s.code.clone(), s.polarity)).collect();
    let snapshot = engine::snapshot::Snapshot::build(inputs);
    // Codes: per województwo, counters of powiaty (01–60), cities (61–99) and of gminy per powiat.
    let mut powiaty: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    let mut next_powiat: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut next_city: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut gminy_in: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut turn: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut codes = Vec::with_capacity(units);
    for (u, p) in places.iter().enumerate() {
        let w = &p.wojewodztwo;
        let text = match p.kind {
            UnitKind::Wojewodztwo => w.clone(),
            UnitKind::MiastoNaPrawachPowiatu => {
                let k = next_city.entry(w.clone()).or_insert(61);
                *k += 1;
                format!("{w}{:02}011", (*k - 1).min(99))
            }
            UnitKind::Powiat => {
                let k = next_powiat.entry(w.clone()).or_insert(1);
                *k += 1;
                let code = format!("{w}{:02}", (*k - 1).min(60));
                powiaty.entry(w.clone()).or_default().push(code.clone());
                code
            }
            kind => {
                let list = powiaty.get(w).cloned().unwrap_or_else(|| vec![format!("{w}01")]);
                let t = turn.entry(w.clone()).or_insert(0);
                let powiat = list[*t % list.len()].clone();
                *t += 1;
                let n = gminy_in.entry(powiat.clone()).or_insert(0);
                *n += 1;
                format!("{powiat}{:02}{}", (*n).min(99), kind.rodz().unwrap_or('2'))
            }
        };
        codes.push(TerytCode::parse(&text).unwrap_or_else(|_| TerytCode::country()));
        let _ = u;
    }
    let names: Vec<String> = (0..units).map(|u| format!("Jednostka {u}")).collect();
    // The catalogue's areas, so synthetic indicators land in the portal's sections.
    let areas = &ingest::catalogue::AREAS;
    let all_kinds: Vec<String> =
        ["gmina_miejska", "gmina_wiejska", "gmina_miejsko_wiejska", "miasto_na_prawach_powiatu", "powiat", "wojewodztwo"].map(String::from).to_vec();
    let definitions = specs
        .iter()
        .zip(&shapes)
        .enumerate()
        .map(|(i, ((code, polarity), shape))| {
            let (numerator, denominator) = shape.formulas();
            crate::IndicatorDef {
                code: code.clone(),
                name_pl: format!("Wskaźnik syntetyczny {i}"),
                name_en: format!("Synthetic indicator {i}"),
                area: areas[i % areas.len()].to_owned(),
                kind: if i % 10 == 9 { "context".into() } else { "monitoring".into() },
                dimension: "quantity".into(),
                polarity: match polarity {
                    Polarity::HigherBetter => "higher_better",
                    Polarity::LowerBetter => "lower_better",
                    Polarity::Neutral => "neutral",
                }
                .into(),
                factor: 1.0,
                numerator,
                denominator: Some(denominator),
                unit_pl: "szt.".into(),
                decimals: 1,
                applies_to: all_kinds.clone(),
                service_pl: format!("Usługa {}", (i / areas.len()) % 5),
                service_en: format!("Service {}", (i / areas.len()) % 5),
                unit_en: "units".into(),
                definition_pl: String::new(),
                definition_en: String::new(),
                source: "syntetyczne / synthetic".into(),
                unit_pl_forms: None,
                unit_en_forms: None,
                population_base: None,
                population_base_source: None,
            }
        })
        .collect();
    let variables = (0..variables)
        .map(|v| crate::VariableInfo {
            code: format!("v{v}"),
            name_pl: format!("Zmienna {v}"),
            name_en: format!("Variable {v}"),
            measure_unit: String::new(),
        })
        .collect();
    crate::Computed::assemble(snapshot, (1..=units as i64).collect(), codes, names, kinds, definitions, variables)
}
