//! The benchmarks' synthetic country ([`crate::synth::bench_world`]) written into a store
//! through the same calls as real imports — a TERC state, a catalogue, one observation
//! import — so `miernik bench load` can time the way from the store to a snapshot at
//! Poland's scale.

use std::collections::HashMap;

use ingest::{TercFile, TercRow};
use model::{TerytCode, UnitKind};
use store::{ObsRow, Store};

use crate::synth::{BenchWorld, Shape, bench_world};
use crate::{AppError, KnownChanges, plan_territory};

/// The seed of the benchmarks' country (as `bench pages`).
const SEED: u64 = 0x5EED_2026;

/// What was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredWorld {
    pub units: usize,
    pub variables: usize,
    pub indicators: usize,
    pub observations: u64,
}

/// TERYT codes for the world's units: województwa from their places, powiaty numbered 01…
/// and cities with powiat rights 61… within each, gminy spread over their województwo's
/// powiaty with the RODZ digit of their kind.
fn codes(world: &BenchWorld) -> Result<Vec<String>, AppError> {
    let kinds: Vec<UnitKind> = world.places.iter().map(|p| p.kind).collect();
    let mut powiaty: HashMap<&str, Vec<String>> = HashMap::new();
    let mut next_powiat: HashMap<&str, u32> = HashMap::new();
    let mut next_city: HashMap<&str, u32> = HashMap::new();
    let mut codes = vec![String::new(); kinds.len()];
    let too_many = || AppError::Invalid("the synthetic country is too big for two-digit powiat and gmina numbers; use fewer --units".to_owned());
    // Województwa and powiat-level units first, so gminy find their powiaty.
    for (u, p) in world.places.iter().enumerate() {
        let w = p.wojewodztwo.as_str();
        codes[u] = match p.kind {
            UnitKind::Wojewodztwo => w.to_owned(),
            UnitKind::MiastoNaPrawachPowiatu => {
                let k = next_city.entry(w).or_insert(61);
                *k += 1;
                if *k > 100 {
                    return Err(too_many());
                }
                format!("{w}{:02}", *k - 1)
            }
            UnitKind::Powiat => {
                let k = next_powiat.entry(w).or_insert(1);
                *k += 1;
                if *k > 61 {
                    return Err(too_many());
                }
                let code = format!("{w}{:02}", *k - 1);
                powiaty.entry(w).or_default().push(code.clone());
                code
            }
            _ => continue,
        };
    }
    let mut turn: HashMap<&str, usize> = HashMap::new();
    let mut in_powiat: HashMap<String, u32> = HashMap::new();
    for (u, p) in world.places.iter().enumerate() {
        if !p.kind.is_gmina() {
            continue;
        }
        let w = p.wojewodztwo.as_str();
        let list = powiaty.get(w).ok_or_else(too_many)?;
        let t = turn.entry(w).or_insert(0);
        let powiat = list[*t % list.len()].clone();
        *t += 1;
        let n = in_powiat.entry(powiat.clone()).or_insert(0);
        *n += 1;
        if *n > 99 {
            return Err(too_many());
        }
        codes[u] = format!("{powiat}{:02}{}", *n, p.kind.rodz().unwrap_or('2'));
    }
    Ok(codes)
}

fn variable_code(v: usize) -> String {
    if v == 0 { "ludnosc".to_owned() } else { format!("v{v}") }
}

fn formulas(shape: Shape) -> (String, String) {
    let v = variable_code;
    match shape {
        Shape::Ratio(a, b) => (v(a), v(b)),
        Shape::SumRatio(a, b, c) => (format!("{} + {}", v(a), v(b)), v(c)),
        Shape::Growth(a) => (format!("{0} - lag({0}, 1)", v(a)), format!("lag({}, 1)", v(a))),
        Shape::DiffRatio(a, b, c) => (format!("{} - {}", v(a), v(b)), v(c)),
    }
}

/// The world's catalogue as TOML: its variables (`ludnosc` and `v1`…) and indicators.
fn catalogue(world: &BenchWorld) -> String {
    let mut t = String::from("version = \"bench\"\n\n");
    for v in 0..world.variables {
        t.push_str(&format!(
            "[[variable]]\ncode = \"{}\"\nname_pl = \"Zmienna syntetyczna {v}\"\nname_en = \"Synthetic variable {v}\"\nunit = \"szt.\"\nsource = \"bench\"\n\n",
            variable_code(v)
        ));
    }
    let applies = ["wojewodztwo", "powiat", "miasto_na_prawach_powiatu", "gmina_miejska", "gmina_wiejska", "gmina_miejsko_wiejska"];
    let applies = applies.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ");
    for (spec, &shape) in world.inputs.indicators.iter().zip(&world.shapes) {
        let (num, den) = formulas(shape);
        t.push_str(&format!(
            "[[indicator]]\ncode = \"{code}\"\nname_pl = \"Wskaźnik syntetyczny {code}\"\nname_en = \"Synthetic indicator {code}\"\n\
             area = \"edukacja\"\nservice_pl = \"Syntetyczna\"\nservice_en = \"Synthetic\"\nkind = \"monitoring\"\ndimension = \"efficiency\"\n\
             polarity = \"{pol}\"\nfactor = {factor:?}\nnumerator = \"{num}\"\ndenominator = \"{den}\"\nunit_pl = \"-\"\nunit_en = \"-\"\n\
             decimals = 2\napplies_to = [{applies}]\ndefinition_pl = \"Syntetyczny ({shape}).\"\ndefinition_en = \"Synthetic ({shape}).\"\nsource = \"bench\"\n\n",
            code = spec.code,
            pol = spec.polarity.as_str(),
            factor = spec.factor,
            shape = shape.name(),
        ));
    }
    t
}

/// Writes the synthetic country of `units × indicators × years` into an empty `store`;
/// `progress` hears how many observations are written so far.
pub async fn store_bench_world(
    store: &Store,
    units: usize,
    indicators: usize,
    years: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<StoredWorld, AppError> {
    if store.count("unit").await? > 0 {
        return Err(AppError::Invalid("the benchmark needs an empty database".to_owned()));
    }
    let world = tokio::task::spawn_blocking(move || bench_world(units, indicators, years, SEED))
        .await
        .map_err(|e| AppError::Invalid(format!("the synthetic country was not generated: {e}")))?;
    let codes = codes(&world)?;
    let rows: Vec<TercRow> = world
        .places
        .iter()
        .zip(&codes)
        .enumerate()
        .map(|(u, (p, code))| {
            let code = TerytCode::parse(code).map_err(|e| AppError::Invalid(format!("synthetic code {code}: {e}")))?;
            Ok(TercRow { line: u as u64 + 2, code, name: format!("Jednostka {u}"), kind: p.kind, name_extra: p.kind.name_pl().to_owned() })
        })
        .collect::<Result<_, AppError>>()?;
    let file = TercFile { state_date: model::new_year(2024).unwrap_or(time::Date::MIN), rows };
    let (plan, _) = plan_territory(&[], &file, "(bench)", &KnownChanges::default());
    store.apply_territory(&plan).await?;
    let unit_ids: HashMap<String, i64> = store.unit_codes().await?.into_iter().map(|c| (c.code.as_str().to_owned(), c.unit_id)).collect();

    let cat = ingest::catalogue::parse_catalogue(&catalogue(&world), "(bench catalogue)").map_err(|e| AppError::Invalid(e.to_string()))?;
    crate::indicators::store_catalogue(store, &cat, "(bench catalogue)").await?;
    let var_ids: HashMap<String, i64> = store.variables().await?.into_iter().map(|v| (v.code, v.id)).collect();

    let first_year = i64::from(world.inputs.first_year);
    let mut import = store.begin_observation_import("bench", "(bench load)").await?;
    let mut written = 0u64;
    let mut batch = Vec::with_capacity(50_000);
    for (v, (_, col)) in world.inputs.variables.iter().enumerate() {
        let Some(&variable_id) = var_ids.get(&variable_code(v)) else { continue };
        for (u, code) in codes.iter().enumerate() {
            let Some(&unit_id) = unit_ids.get(code) else { continue };
            for y in 0..years {
                let c = u * years + y;
                if !col.valid[c] {
                    continue;
                }
                batch.push(ObsRow { variable_id, unit_id, year: first_year + y as i64, value: Some(col.values[c]), flag: 0 });
                if batch.len() == batch.capacity() {
                    written += batch.len() as u64;
                    import.write(std::mem::replace(&mut batch, Vec::with_capacity(50_000))).await?;
                    progress(written);
                }
            }
        }
    }
    written += batch.len() as u64;
    import.write(batch).await?;
    import.finish(written, written, 0).await?;
    progress(written);
    Ok(StoredWorld { units: codes.len(), variables: world.variables, indicators: world.inputs.indicators.len(), observations: written })
}
