//! The built-in demo: a small synthetic country (real województwa names, invented powiaty
//! and gminy of every kind, invented numbers), loaded through the same import paths as real
//! data. Everything it creates is marked with the source `demo` so the portal can say the
//! data is synthetic.

use std::collections::HashMap;

use ingest::{TercFile, TercRow};
use model::{TerytCode, UnitKind};
use store::{ObsRow, Store};

use crate::rng::Rng;
use crate::{AppError, KnownChanges, plan_territory};

/// The starter catalogue, built in: the demo computes its indicators.
pub const STARTER_CATALOGUE: &str = include_str!("../../../catalogue/indicators.toml");

/// The import source that marks demo data.
pub const DEMO_MARKER_SOURCE: &str = "demo";

const WOJEWODZTWA: [(&str, &str); 16] = [
    ("02", "DOLNOŚLĄSKIE"),
    ("04", "KUJAWSKO-POMORSKIE"),
    ("06", "LUBELSKIE"),
    ("08", "LUBUSKIE"),
    ("10", "ŁÓDZKIE"),
    ("12", "MAŁOPOLSKIE"),
    ("14", "MAZOWIECKIE"),
    ("16", "OPOLSKIE"),
    ("18", "PODKARPACKIE"),
    ("20", "PODLASKIE"),
    ("22", "POMORSKIE"),
    ("24", "ŚLĄSKIE"),
    ("26", "ŚWIĘTOKRZYSKIE"),
    ("28", "WARMIŃSKO-MAZURSKIE"),
    ("30", "WIELKOPOLSKIE"),
    ("32", "ZACHODNIOPOMORSKIE"),
];

const STEMS: [&str; 16] = [
    "Brzoz", "Dąbr", "Lip", "Jawor", "Olsz", "Świerk", "Kalin", "Wierzb", "Grab", "Buk", "Jodł", "Modrzew",
    "Klon", "Jesion", "Cis", "Sosn",
];
const ENDINGS: [&str; 8] = ["owo", "ów", "ice", "no", "ka", "in", "iec", "any"];

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

/// The synthetic territorial state.
fn territory(rng: &mut Rng) -> TercFile {
    let mut rows = Vec::new();
    for (w, wname) in WOJEWODZTWA {
        rows.extend(row(w, wname.to_owned(), UnitKind::Wojewodztwo));
        for p in 1..=4 {
            let pc = format!("{w}{p:02}");
            let pname = name(rng).to_lowercase();
            rows.extend(row(&pc, format!("{pname}ski"), UnitKind::Powiat));
            for g in 1..=5u8 {
                let kind = match g {
                    1 => UnitKind::GminaMiejska,
                    2 | 3 => UnitKind::GminaWiejska,
                    _ => UnitKind::GminaMiejskoWiejska,
                };
                let gname = if g == 1 { capitalise(&pname) } else { name(rng) };
                let rodz = kind.rodz().unwrap_or('2');
                rows.extend(row(&format!("{pc}{g:02}{rodz}"), gname.clone(), kind));
                if kind == UnitKind::GminaMiejskoWiejska {
                    rows.extend(row(&format!("{pc}{g:02}4"), gname.clone(), UnitKind::Miasto));
                    rows.extend(row(&format!("{pc}{g:02}5"), gname, UnitKind::ObszarWiejski));
                }
            }
        }
        let city = name(rng);
        rows.extend(row(&format!("{w}61"), city.clone(), UnitKind::MiastoNaPrawachPowiatu));
        rows.extend(row(&format!("{w}61011"), city, UnitKind::GminaMiejska));
    }
    TercFile { state_date: model::new_year(2024).unwrap_or(time::Date::MIN), rows }
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
        return Err(AppError::Invalid(
            "this database already holds real units; the demo needs an empty database (use another --db)".to_owned(),
        ));
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let file = territory(&mut rng);
    let (plan, _) = plan_territory(&[], &file, "(demo)", &KnownChanges::default());
    store.apply_territory(&plan).await?;

    let codes: HashMap<String, i64> =
        store.unit_codes().await?.into_iter().map(|c| (c.code.as_str().to_owned(), c.unit_id)).collect();
    // The catalogue first, so the demo has indicators and its variables exist.
    let cat = ingest::catalogue::parse_catalogue(STARTER_CATALOGUE, "catalogue/indicators.toml")
        .map_err(|e| AppError::Invalid(e.to_string()))?;
    crate::indicators::store_catalogue(store, &cat, "catalogue/indicators.toml").await?;
    let var_ids: HashMap<String, i64> = store.variables().await?.into_iter().map(|v| (v.code, v.id)).collect();

    let mut import = store.begin_observation_import(DEMO_MARKER_SOURCE, "(demo)").await?;
    // Gminy get values; powiaty, województwa and Poland get the sums of additive variables.
    let years = 2010..=2024i64;
    let mut sums: HashMap<(usize, String, i64), f64> = HashMap::new();
    let mut rows = Vec::new();
    let gminy: Vec<&TercRow> = file.rows.iter().filter(|r| r.kind.is_gmina()).collect();
    for r in gminy {
        let Some(&unit_id) = codes.get(r.code.as_str()) else { continue };
        let city = r.code.as_str().get(2..4) == Some("61");
        // Urbanisation 0..1 and wealth (standard normal) drive every variable together.
        let urban = if city { 1.0 } else {
            match r.kind {
                UnitKind::GminaMiejska => 0.85,
                UnitKind::GminaMiejskoWiejska => 0.45,
                _ => 0.1,
            }
        };
        let wealth = rng.normal() * 0.7 + urban * 0.5;
        let base_pop = if city { rng.range(60_000.0, 700_000.0) } else if r.kind == UnitKind::GminaMiejska { rng.range(8_000.0, 60_000.0) } else { rng.range(3_000.0, 25_000.0) };
        let mut own: HashMap<&str, Vec<f64>> = HashMap::new();
        for (vi, v) in cat.variables.iter().enumerate() {
            let Some(syn) = &v.synthetic else { continue };
            let code = v.code.get_ref().as_str();
            let level = syn.rate * (syn.spread * rng.normal() + syn.urban * (urban - 0.5) + syn.wealth * 0.3 * wealth).exp();
            let mut series = Vec::new();
            for (t, _) in years.clone().enumerate() {
                let trend = (1.0 + syn.trend).powi(t as i32) * (0.03 * rng.normal()).exp();
                let x = match syn.per.as_deref() {
                    None if code == "ludnosc" => base_pop * trend,
                    None if code == "powierzchnia" => level * (1.0 - 0.6 * urban),
                    None => level * trend,
                    Some(per) => {
                        let whole = own.get(per).and_then(|p| p.get(t)).copied().unwrap_or(0.0);
                        // A part in its whole's unit (rate < 1) never exceeds it: shares stay ≤ 100 %.
                        let part = syn.rate < 1.0 && cat.variables.iter().any(|p| p.code.get_ref() == per && p.unit == v.unit);
                        if part { (whole * level * trend).min(whole) } else { whole * level * trend }
                    }
                };
                let x = if v.additive && v.unit.as_deref().is_some_and(|u| matches!(u, "osoba" | "szt." | "szt" | "obiekt")) { x.round() } else { (x * 100.0).round() / 100.0 };
                series.push(x);
            }
            let Some(&var_id) = var_ids.get(code) else { continue };
            for (t, year) in years.clone().enumerate() {
                let x = series[t];
                rows.push(ObsRow { variable_id: var_id, unit_id, year, value: Some(x), flag: 0 });
                if v.additive {
                    for p in [r.code.powiat(), r.code.wojewodztwo(), Some(TerytCode::country())].into_iter().flatten() {
                        *sums.entry((vi, p.as_str().to_owned(), year)).or_default() += x;
                    }
                }
            }
            own.insert(code, series);
        }
    }
    for ((vi, code, year), v) in sums {
        let var = cat.variables[vi].code.get_ref();
        if let (Some(&unit_id), Some(&variable_id)) = (codes.get(&code), var_ids.get(var)) {
            rows.push(ObsRow { variable_id, unit_id, year, value: Some((v * 100.0).round() / 100.0), flag: 0 });
        }
    }
    rows.sort_by_key(|r| (r.variable_id, r.unit_id, r.year));
    let n = rows.len() as u64;
    import.write(rows).await?;
    import.finish(n, n, 0).await?;
    // Synthetic adjacency (the demo has no boundaries yet): the gminy of a powiat form a
    // ring, and the first gminy of consecutive powiaty of a województwo touch.
    let mut pairs = Vec::new();
    for (w, _) in WOJEWODZTWA {
        let mut firsts = Vec::new();
        for p in 1..=4 {
            let ids: Vec<i64> = (1..=5u8)
                .filter_map(|g| file.rows.iter().find(|r| r.kind.is_gmina() && r.code.as_str().starts_with(&format!("{w}{p:02}{g:02}"))))
                .filter_map(|r| codes.get(r.code.as_str()).copied())
                .collect();
            for k in 0..ids.len() {
                pairs.push((ids[k], ids[(k + 1) % ids.len()]));
            }
            firsts.extend(ids.first().copied());
        }
        for k in 1..firsts.len() {
            pairs.push((firsts[k - 1], firsts[k]));
        }
    }
    store.replace_adjacency(DEMO_MARKER_SOURCE, &pairs).await?;
    Ok(true)
}
