//! The built-in demo: a small synthetic country (real województwa names, invented powiaty
//! and gminy of every kind, invented numbers), loaded through the same import paths as real
//! data. Everything it creates is marked with the source `demo` so the portal can say the
//! data is synthetic.

use std::collections::HashMap;

use ingest::{TercFile, TercRow};
use model::{TerytCode, UnitKind};
use store::{NewVariable, ObsRow, Store};

use crate::rng::Rng;
use crate::{AppError, KnownChanges, plan_territory};

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
    let mut import = store.begin_observation_import(DEMO_MARKER_SOURCE, "(demo)").await?;
    let vars = [
        ("ludnosc", "Ludność ogółem (stan 31 XII)", "Population (31 Dec)", "osoba"),
        ("bezrobotni", "Bezrobotni zarejestrowani ogółem", "Registered unemployed", "osoba"),
        ("wydatki_oswiata", "Wydatki na oświatę i wychowanie (dział 801)", "Education expenditure (section 801)", "zł"),
    ];
    let mut var_ids = Vec::new();
    for (code, pl, en, unit) in vars {
        var_ids.push(
            import
                .create_variable(&NewVariable {
                    code: code.to_owned(),
                    name_pl: pl.to_owned(),
                    name_en: Some(en.to_owned()),
                    measure_unit: Some(unit.to_owned()),
                    source: Some(DEMO_MARKER_SOURCE.to_owned()),
                    refs: Vec::new(),
                })
                .await?,
        );
    }

    // Gminy get values; powiaty, województwa and Poland get the sums (additive variables).
    let years = 2015..=2024i64;
    let mut sums: HashMap<(usize, String, i64), f64> = HashMap::new();
    let mut rows = Vec::new();
    for r in file.rows.iter().filter(|r| r.kind.is_gmina()) {
        let Some(&unit_id) = codes.get(r.code.as_str()) else { continue };
        let city = r.code.as_str().get(2..4) == Some("61");
        let base_pop = if city { rng.range(60_000.0, 700_000.0) } else if r.kind == UnitKind::GminaMiejska { rng.range(8_000.0, 60_000.0) } else { rng.range(3_000.0, 25_000.0) };
        let trend = rng.range(-0.012, 0.008);
        let unemp_rate = rng.range(0.02, 0.09);
        let edu_per_head = rng.range(1_400.0, 2_600.0);
        for (i, year) in years.clone().enumerate() {
            let t = i as f64;
            let pop = (base_pop * (1.0 + trend).powf(t)).round();
            let unemp = (pop * unemp_rate * (1.0 - 0.05 * t).max(0.4) * rng.range(0.9, 1.1)).round();
            let edu = (pop * edu_per_head * (1.0 + 0.05 * t) * rng.range(0.95, 1.05)).round();
            for (vi, v) in [pop, unemp, edu].into_iter().enumerate() {
                rows.push(ObsRow { variable_id: var_ids[vi], unit_id, year, value: Some(v), flag: 0 });
                let mut parents = vec![r.code.powiat(), r.code.wojewodztwo(), Some(TerytCode::country())];
                if city {
                    parents[0] = r.code.powiat();
                }
                for p in parents.into_iter().flatten() {
                    *sums.entry((vi, p.as_str().to_owned(), year)).or_default() += v;
                }
            }
        }
    }
    for ((vi, code, year), v) in sums {
        if let Some(&unit_id) = codes.get(&code) {
            rows.push(ObsRow { variable_id: var_ids[vi], unit_id, year, value: Some(v), flag: 0 });
        }
    }
    rows.sort_by_key(|r| (r.variable_id, r.unit_id, r.year));
    let n = rows.len() as u64;
    import.write(rows).await?;
    import.finish(n, n, 0).await?;
    Ok(true)
}
