//! The built-in demo: a small synthetic country (real województwa names, invented powiaty
//! and gminy of every kind, invented numbers, hexagons for boundaries), loaded through the
//! same import paths as real data. Everything it creates is marked with the source `demo` so
//! the portal can say the data is synthetic.

use std::collections::HashMap;

use ingest::{TercFile, TercRow};
use model::{TerytCode, UnitKind};
use store::{NewBoundary, ObsRow, Store};

use crate::hexgrid::{GminaSpec, PowiatSpec, WojSpec};
use crate::rng::Rng;
use crate::{AppError, KnownChanges, plan_territory};

/// The starter catalogue, built in: the demo computes its indicators.
pub const STARTER_CATALOGUE: &str = include_str!("../../../catalogue/indicators.toml");

/// The import source that marks demo data.
pub const DEMO_MARKER_SOURCE: &str = "demo";

/// The województwa: code, name, the rough centre of the real one (lon, lat), where the demo
/// grows its hexes, and the real area in thousand km², which sets how many powiaty it gets.
const WOJEWODZTWA: [(&str, &str, (f64, f64), f64); 16] = [
    ("02", "DOLNOŚLĄSKIE", (16.4, 51.1), 19.9),
    ("04", "KUJAWSKO-POMORSKIE", (18.5, 53.05), 18.0),
    ("06", "LUBELSKIE", (22.9, 51.2), 25.1),
    ("08", "LUBUSKIE", (15.3, 52.2), 14.0),
    ("10", "ŁÓDZKIE", (19.4, 51.6), 18.2),
    ("12", "MAŁOPOLSKIE", (20.2, 49.85), 15.2),
    ("14", "MAZOWIECKIE", (21.1, 52.5), 35.6),
    ("16", "OPOLSKIE", (17.9, 50.6), 9.4),
    ("18", "PODKARPACKIE", (22.2, 49.9), 17.8),
    ("20", "PODLASKIE", (22.9, 53.3), 20.2),
    ("22", "POMORSKIE", (17.9, 54.2), 18.3),
    ("24", "ŚLĄSKIE", (19.0, 50.5), 12.3),
    ("26", "ŚWIĘTOKRZYSKIE", (20.75, 50.75), 11.7),
    ("28", "WARMIŃSKO-MAZURSKIE", (20.8, 53.85), 24.2),
    ("30", "WIELKOPOLSKIE", (17.2, 52.3), 29.8),
    ("32", "ZACHODNIOPOMORSKIE", (15.5, 53.6), 22.9),
];

const STEMS: [&str; 24] = [
    "Brzoz", "Dąbr", "Lip", "Jawor", "Olsz", "Świerk", "Kalin", "Wierzb", "Grab", "Buk", "Jodł", "Modrzew", "Klon", "Jesion", "Cis", "Sosn",
    "Orzech", "Głog", "Wiąz", "Topol", "Jarzęb", "Leszcz", "Czarn", "Biał",
];
const ENDINGS: [&str; 10] = ["owo", "ów", "ice", "no", "ka", "in", "iec", "any", "ówka", "owice"];

/// A fixed pseudo-random number of one cell (SplitMix64 of its coordinates).
fn cell_hash(variable: i64, unit: i64, year: i64) -> u64 {
    let mut z = (variable as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (unit as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (year as u64);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn name(rng: &mut Rng) -> String {
    let s = STEMS[(rng.next() % STEMS.len() as u64) as usize];
    let e = ENDINGS[(rng.next() % ENDINGS.len() as u64) as usize];
    format!("{s}{e}")
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn row(code: &str, name: String, kind: UnitKind) -> Option<TercRow> {
    Some(TercRow { line: 0, code: TerytCode::parse(code).ok()?, name, kind, name_extra: kind.name_pl().to_owned() })
}

/// Whether a code is (in) a city with powiat rights: powiat number 61 and above.
fn in_city(code: &TerytCode) -> bool {
    code.as_str().get(2..4).and_then(|p| p.parse::<u8>().ok()).is_some_and(|p| p >= 61)
}

/// The synthetic territorial state and the plan of its map: each województwo has 4–8
/// powiaty (more for a bigger real one) of 3–9 gminy of mixed kinds, and 1–3 cities with
/// powiat rights (powiat codes 61, 62, 63).
fn territory(rng: &mut Rng) -> (TercFile, Vec<WojSpec<String>>) {
    let mut rows = Vec::new();
    let mut map = Vec::new();
    for (w, wname, anchor, area) in WOJEWODZTWA {
        rows.extend(row(w, wname.to_owned(), UnitKind::Wojewodztwo));
        let by_area = 4.0 + 4.0 * (area - 9.4) / (35.6 - 9.4);
        let n_powiaty = (by_area.round() as usize + rng.below(3)).saturating_sub(1).clamp(4, 8);
        let mut powiaty = Vec::new();
        for p in 1..=n_powiaty {
            let pc = format!("{w}{p:02}");
            let pname = name(rng).to_lowercase();
            rows.extend(row(&pc, format!("{pname}ski"), UnitKind::Powiat));
            let mut gminy = Vec::new();
            for g in 1..=3 + rng.below(7) {
                // The seat comes first: a town, alone or with its countryside; then a mix
                // close to the real one (about 12 % miejskie, 27 % miejsko-wiejskie).
                let draw = rng.unit();
                let kind = match (g, draw) {
                    (1, d) if d < 0.6 => UnitKind::GminaMiejska,
                    (1, _) => UnitKind::GminaMiejskoWiejska,
                    (_, d) if d < 0.12 => UnitKind::GminaMiejska,
                    (_, d) if d < 0.40 => UnitKind::GminaMiejskoWiejska,
                    _ => UnitKind::GminaWiejska,
                };
                let gname = if g == 1 { capitalise(&pname) } else { name(rng) };
                let rodz = kind.rodz().unwrap_or('2');
                let gc = format!("{pc}{g:02}{rodz}");
                rows.extend(row(&gc, gname.clone(), kind));
                if kind == UnitKind::GminaMiejskoWiejska {
                    rows.extend(row(&format!("{pc}{g:02}4"), gname.clone(), UnitKind::Miasto));
                    rows.extend(row(&format!("{pc}{g:02}5"), gname, UnitKind::ObszarWiejski));
                }
                // Hexes: a town one, the countryside two or three.
                let weight = match kind {
                    UnitKind::GminaMiejska => 1,
                    UnitKind::GminaMiejskoWiejska => 2,
                    _ => 2 + rng.below(2) as u32,
                };
                gminy.push(GminaSpec { key: gc, weight });
            }
            powiaty.push(PowiatSpec { key: pc, city: false, gminy });
        }
        for c in 61..=60 + 1 + rng.below(3) {
            let city = name(rng);
            let (pc, gc) = (format!("{w}{c}"), format!("{w}{c}011"));
            rows.extend(row(&pc, city.clone(), UnitKind::MiastoNaPrawachPowiatu));
            rows.extend(row(&gc, city, UnitKind::GminaMiejska));
            powiaty.push(PowiatSpec { key: pc, city: true, gminy: vec![GminaSpec { key: gc, weight: 1 }] });
        }
        map.push(WojSpec { key: w.to_owned(), anchor, powiaty });
    }
    (TercFile { state_date: model::new_year(2024).unwrap_or(time::Date::MIN), rows }, map)
}

/// Whether the database holds the demo data.
pub async fn is_demo(store: &Store) -> Result<bool, AppError> {
    Ok(store.imports(1000).await?.iter().any(|i| i.source == DEMO_MARKER_SOURCE))
}

/// Loads the demo into an empty database (does nothing if the demo is already there).
/// Returns whether it loaded anything.
pub async fn load_demo(store: &Store) -> Result<bool, AppError> {
    if is_demo(store).await? {
        return Ok(false);
    }
    if store.count("unit").await? > 0 {
        return Err(AppError::Invalid("this database already holds real units; the demo needs an empty database (use another --db)".to_owned()));
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (file, map) = territory(&mut rng);
    // The map has a generator of its own, so that changing it leaves the numbers alone.
    let layout = crate::hexgrid::layout("PL".to_owned(), &map, &mut Rng(0x4845_5847_5249_4421))
        .map_err(|e| AppError::Invalid(format!("the demo's map does not fit: {e}")))?;
    let (plan, _) = plan_territory(&[], &file, "(demo)", &KnownChanges::default());
    store.apply_territory(&plan).await?;

    let codes: HashMap<String, i64> = store.unit_codes().await?.into_iter().map(|c| (c.code.as_str().to_owned(), c.unit_id)).collect();
    // The catalogue first, so the demo has indicators and its variables exist.
    let cat = ingest::catalogue::parse_catalogue(STARTER_CATALOGUE, "catalogue/indicators.toml").map_err(|e| AppError::Invalid(e.to_string()))?;
    crate::indicators::store_catalogue(store, &cat, "catalogue/indicators.toml").await?;
    let var_ids: HashMap<String, i64> = store.variables().await?.into_iter().map(|v| (v.code, v.id)).collect();

    let mut import = store.begin_observation_import(DEMO_MARKER_SOURCE, "(demo)").await?;
    // Gminy get values; powiaty, województwa and Poland get the sums of additive variables
    // and the population-weighted means of the others (an average wage is not a sum).
    let years = 2010..=2024i64;
    let mut sums: HashMap<(usize, String, i64), f64> = HashMap::new();
    let mut means: HashMap<(usize, String, i64), (f64, f64)> = HashMap::new();
    let mut rows = Vec::new();
    let gminy: Vec<&TercRow> = file.rows.iter().filter(|r| r.kind.is_gmina()).collect();
    for r in gminy {
        let Some(&unit_id) = codes.get(r.code.as_str()) else { continue };
        let city = in_city(&r.code);
        // Urbanisation 0..1 and wealth (standard normal) drive every variable together.
        let urban = if city {
            1.0
        } else {
            match r.kind {
                UnitKind::GminaMiejska => 0.85,
                UnitKind::GminaMiejskoWiejska => 0.45,
                _ => 0.1,
            }
        };
        let wealth = rng.normal() * 0.7 + urban * 0.5;
        let base_pop = if city {
            rng.range(60_000.0, 700_000.0)
        } else if r.kind == UnitKind::GminaMiejska {
            rng.range(8_000.0, 60_000.0)
        } else {
            rng.range(3_000.0, 25_000.0)
        };
        let mut own: HashMap<&str, Vec<f64>> = HashMap::new();
        // The institutions' variables (issue 18) draw from a stream of their own, so adding
        // them left every other value of the demo as it was.
        let mut side = Rng(cell_hash(0x1D57, unit_id, 0) | 1);
        for (vi, v) in cat.variables.iter().enumerate() {
            let Some(syn) = &v.synthetic else { continue };
            let code = v.code.get_ref().as_str();
            let rng: &mut Rng = if crate::demo_cycle::OWN_STREAM.contains(&code) { &mut side } else { &mut rng };
            let counts = v.additive && v.unit.as_deref().is_some_and(|u| matches!(u, "osoba" | "szt." | "szt" | "obiekt"));
            let round = |x: f64| if counts { x.round() } else { (x * 100.0).round() / 100.0 };
            let level = syn.rate * (syn.spread * rng.normal() + syn.urban * (urban - 0.5) + syn.wealth * 0.3 * wealth).exp();
            let mut series = Vec::new();
            for (t, _) in years.clone().enumerate() {
                let trend = (1.0 + syn.trend).powi(t as i32) * (0.03 * rng.normal()).exp();
                // A part in its whole's unit (rate < 1) never exceeds it: shares stay ≤ 100 %.
                let mut cap = f64::INFINITY;
                let x = match syn.per.as_deref() {
                    None if code == "ludnosc" => base_pop * trend,
                    // Cities with powiat rights: 1,000–3,500 inhabitants per km² (Kraków 2,450).
                    None if code == "powierzchnia" && city => base_pop / (1_800.0 * (0.35 * rng.normal()).exp()),
                    None if code == "powierzchnia" => level * (1.0 - 0.6 * urban),
                    None => level * trend,
                    Some(per) => {
                        let whole = own.get(per).and_then(|p| p.get(t)).copied().unwrap_or(0.0);
                        let part = syn.rate < 1.0 && cat.variables.iter().any(|p| p.code.get_ref() == per && p.unit == v.unit);
                        if part {
                            cap = whole;
                        }
                        whole * (level * trend + syn.wealth_shift * wealth)
                    }
                };
                let x = round(x);
                // Capped after rounding, so the rounding cannot lift a part over its whole.
                let x = x.min(cap);
                series.push(x);
            }
            // Effects of known size (`demo_cycle::PLANTED`), after the values are drawn.
            crate::demo_cycle::plant(r.code.as_str(), code, *years.start(), &mut series, &own, &round);
            let Some(&var_id) = var_ids.get(code) else { continue };
            for (t, year) in years.clone().enumerate() {
                let x = series[t];
                // Like GUS, some cells of gminy and powiaty are not published: a few
                // confidential, a few counts of things that do not exist in the unit. The
                // totals of higher units still include them (as GUS's do); population and
                // area are always published. Decided by a hash, so the generator's random
                // stream (and every other value) stays as it was.
                let hidden = !matches!(code, "ludnosc" | "powierzchnia") && r.code.as_str().len() > 2;
                let (value, flag) = match hidden.then(|| cell_hash(var_id, unit_id, year) % 1000) {
                    Some(h) if h < 4 => (None, model::Flag::Confidential),
                    Some(h) if h < 6 && x == x.round() => (None, model::Flag::NotOccurred),
                    _ => (Some(x), model::Flag::Final),
                };
                rows.push(ObsRow { variable_id: var_id, unit_id, year, value, flag: i64::from(flag.to_i16()) });
                let higher = [r.code.powiat(), r.code.wojewodztwo(), Some(TerytCode::country())].into_iter().flatten();
                if v.additive {
                    for p in higher {
                        *sums.entry((vi, p.as_str().to_owned(), year)).or_default() += x;
                    }
                } else if let Some(&pop) = own.get("ludnosc").and_then(|p| p.get(t)) {
                    for p in higher {
                        let m = means.entry((vi, p.as_str().to_owned(), year)).or_default();
                        *m = (m.0 + x * pop, m.1 + pop);
                    }
                }
            }
            own.insert(code, series);
        }
    }
    let means = means.into_iter().filter(|(_, (_, pop))| *pop > 0.0).map(|(k, (weighted, pop))| (k, weighted / pop));
    for ((vi, code, year), v) in sums.into_iter().chain(means) {
        let var = cat.variables[vi].code.get_ref();
        if let (Some(&unit_id), Some(&variable_id)) = (codes.get(&code), var_ids.get(var)) {
            rows.push(ObsRow { variable_id, unit_id, year, value: Some((v * 100.0).round() / 100.0), flag: 0 });
        }
    }
    rows.sort_by_key(|r| (r.variable_id, r.unit_id, r.year));
    let n = rows.len() as u64;
    import.write(rows).await?;
    import.finish(n, n, 0).await?;
    // Hexagons for boundaries; neighbours are units of one level whose hexes share an edge.
    let id = |code: &str| codes.get(code).copied();
    let boundaries: Vec<NewBoundary> =
        layout.shapes.into_iter().filter_map(|s| Some(NewBoundary { unit_id: id(&s.key)?, geometry: s.geometry, bbox: s.bbox })).collect();
    store.replace_boundaries(DEMO_MARKER_SOURCE, "(demo)", &boundaries).await?;
    let pairs: Vec<(i64, i64)> = layout.adjacency.iter().filter_map(|(a, b)| Some((id(a)?, id(b)?))).collect();
    store.replace_adjacency(DEMO_MARKER_SOURCE, &pairs).await?;
    // Demo users, the sample form and a campaign in progress (issue 17).
    crate::demo_people::load_demo_people(store).await?;
    // Priorities, plans, good practices, reorganisations and a functional area (issue 18).
    let computed = crate::compute(store).await?;
    crate::demo_cycle::seed(store, &computed).await?;
    // Exchange groups and service-user surveys (issue 19).
    crate::demo_exchange::seed(store, &computed).await?;
    Ok(true)
}
