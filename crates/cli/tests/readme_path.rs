//! The README's "Real data, step by step", run exactly as written: the commands are read from
//! the README's first `sh` block of that section, every file name is looked up in
//! ../shared/data (the same files, as downloaded), the catalogue is the shipped one. Commands
//! that need the network (`import bdl`) or never end (`serve`) are left out, and commented
//! lines are skipped. Then, indicator by indicator: how many units get values, and every
//! indicator without values has its missing inputs named by `miernik coverage`.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use common::{Db, data, population_2020};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

/// The commands of the README's real-data path, one argument vector per command.
fn readme_commands() -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(repo("README.md")).expect("README");
    let start = readme.find("## Prawdziwe dane krok po kroku").expect("the real-data section");
    let section = &readme[start..];
    let block = section.split("```sh\n").nth(1).expect("an sh block").split("```").next().expect("its end");
    block
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("miernik "))
        .map(|l| {
            let l = l.split(" #").next().unwrap_or(l);
            l.split_whitespace().skip(1).map(str::to_owned).collect()
        })
        .collect()
}

/// Every file under ../shared/data by its name.
fn shared_files() -> HashMap<String, PathBuf> {
    fn walk(dir: &Path, out: &mut HashMap<String, PathBuf>) {
        for e in std::fs::read_dir(dir).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if let Some(n) = p.file_name().and_then(|n| n.to_str()) {
                out.insert(n.to_owned(), p.clone());
            }
        }
    }
    let mut out = HashMap::new();
    walk(&data(""), &mut out);
    out
}

fn looks_like_file(arg: &str) -> bool {
    [".csv", ".xlsx", ".xml", ".geojson", ".json", ".toml", ".shp"].iter().any(|e| arg.ends_with(e))
}

/// Codes whose territory changed between the end of `from` and the end of `to`, read from the
/// shipped registry directly (boundary, merged, split), not through Miernik's loader.
fn changed_codes(from: i32, to: i32) -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo("catalogue/territory_changes.csv")).expect("registry");
    let mut out = BTreeSet::new();
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let f: Vec<&str> = line.splitn(6, ',').collect();
        if f.len() < 5 || !matches!(f[1], "boundary" | "merged" | "split") {
            continue;
        }
        let year: i32 = f[0][..4].parse().expect("year");
        if from < year && year <= to {
            out.insert(f[2].to_owned());
            if !f[3].is_empty() {
                out.insert(f[3].to_owned());
            }
        }
    }
    out
}

#[tokio::test]
async fn the_readme_real_data_path_ends_in_real_numbers() {
    let db = Db::new();
    let files = shared_files();
    let commands = readme_commands();
    assert!(commands.len() >= 15, "the README's path: {commands:?}");
    let mut ran = Vec::new();
    let mut compute_stderr = String::new();
    for cmd in &commands {
        if cmd.first().is_some_and(|c| c == "serve") || cmd.get(1).is_some_and(|c| c == "bdl") {
            continue; // never ends / needs the network
        }
        let args: Vec<String> = cmd
            .iter()
            .map(|a| {
                if !looks_like_file(a) {
                    return a.clone();
                }
                if a.starts_with("catalogue/") {
                    return repo(a).display().to_string();
                }
                files.get(a).unwrap_or_else(|| panic!("README names {a}, which ../shared/data does not have")).display().to_string()
            })
            .collect();
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = db.run(&argv);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "README step `miernik {}` failed: {stderr}", cmd.join(" "));
        if cmd[0] == "compute" {
            compute_stderr = stderr;
        }
        ran.push(cmd.join(" "));
    }
    assert!(ran.iter().any(|c| c.starts_with("compute")), "the path computes: {ran:?}");

    let store = db.store().await;
    let computed = app::compute(&store).await.expect("compute");
    let snap = &computed.snapshot;
    let years: Vec<i32> = (snap.first_year()..snap.first_year() + snap.years() as i32).collect();
    // Units with a value, per indicator and year.
    let mut counts: BTreeMap<String, BTreeMap<i32, usize>> = BTreeMap::new();
    for d in &computed.definitions {
        let i = snap.indicator_index(&d.code).expect("indicator");
        let per_year = counts.entry(d.code.clone()).or_default();
        for &y in &years {
            let yi = snap.year_index(y).expect("year");
            let n = (0..computed.unit_ids.len()).filter(|&u| snap.value(i, u, yi).is_some()).count();
            if n > 0 {
                per_year.insert(y, n);
            }
        }
    }
    for (code, per_year) in &counts {
        println!("{code}: {per_year:?}");
    }
    let with_values: BTreeSet<&str> = counts.iter().filter(|(_, c)| !c.is_empty()).map(|(k, _)| k.as_str()).collect();
    assert_eq!(counts.len(), computed.definitions.len());

    // Density 2020: every gmina of the 2020 population export, through its 2020 code, unless
    // its territory changed between 2020 and the 2025 area list (then the area of 2025 is not
    // its area of 2020: no value, not a wrong one).
    let dem = snap.indicator_index("DEM_01").expect("density");
    let index: HashMap<i64, usize> = computed.unit_ids.iter().enumerate().map(|(k, &id)| (id, k)).collect();
    let y2020 = snap.year_index(2020).expect("2020");
    let changed = changed_codes(2020, 2025);
    let mut expected = 0;
    let mut missing = Vec::new();
    // The export holds the gminy of 2020 (RODZ 1–3) only.
    for code in population_2020().into_keys() {
        let id = store.unit_id_for_code(&model::TerytCode::parse(&code).expect("code")).await.expect("lookup").expect("known unit");
        let u = index[&id];
        let now = computed.codes[u].as_str().to_owned();
        if changed.contains(&code) || changed.contains(&now) {
            assert!(snap.value(dem, u, y2020).is_none(), "{code}: territory changed since 2020, yet a density from the 2025 area");
            continue;
        }
        expected += 1;
        if snap.value(dem, u, y2020).is_none() {
            missing.push(code);
        }
    }
    assert!(missing.is_empty(), "no density 2020 for {} gminy: {missing:?}", missing.len());
    assert!(expected > 2400, "{expected}");
    assert!(counts["DEM_01"].get(&2020).copied().unwrap_or(0) >= expected);

    // Density 2024 for the 16 województwa (population 2024 in two exports, area carried back).
    let y2024 = snap.year_index(2024).expect("2024");
    let woj: Vec<usize> = (0..computed.codes.len()).filter(|&u| computed.kinds[u] == model::UnitKind::Wojewodztwo).collect();
    assert_eq!(woj.len(), 16);
    for &u in &woj {
        let carried = !changed_codes(2024, 2025).contains(computed.codes[u].as_str());
        assert_eq!(snap.value(dem, u, y2024).is_some(), carried, "województwo {} 2024", computed.codes[u]);
    }

    // Every indicator whose inputs all have observations gets values; every other one is
    // named by compute's warning and by coverage with its missing inputs.
    let variables_with_data: BTreeSet<String> = {
        let mut set = BTreeSet::new();
        for v in store.variables().await.expect("variables") {
            if !store.variable_values(v.id).await.expect("values").iter().all(|(_, _, x)| x.is_none()) {
                set.insert(v.code);
            }
        }
        set
    };
    let coverage = db.json(&["coverage", "--format", "json"]);
    let entries = coverage["indicators"].as_array().expect("coverage indicators");
    assert_eq!(entries.len(), computed.definitions.len());
    for e in entries {
        let code = e["code"].as_str().expect("code");
        let inputs: Vec<&str> = e["inputs"].as_array().expect("inputs").iter().map(|i| i["variable"].as_str().expect("input code")).collect();
        let all_present = inputs.iter().all(|i| variables_with_data.contains(*i));
        if with_values.contains(code) {
            continue;
        }
        let missing: Vec<&str> = e["inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .filter(|i| i["gap"] != "none")
            .map(|i| {
                assert!(i["imports"].as_array().is_some_and(|w| !w.is_empty()), "{code}: no way to import {}", i["variable"]);
                i["variable"].as_str().expect("code")
            })
            .collect();
        assert!(!all_present || inputs.is_empty(), "{code}: every input has data ({inputs:?}), yet no values");
        assert!(!missing.is_empty(), "{code} has no values and coverage names no missing input: {e}");
        assert!(compute_stderr.contains(code), "compute does not warn about {code}: {compute_stderr}");
    }
    // The inputs these files hold fill their indicators (a regression guard on the mapping of
    // BDL series to catalogue variables): population, area, unemployed, own revenue,
    // investment, marriages, exam results.
    for v in ["ludnosc", "powierzchnia", "bezrobotni", "dochody_wlasne", "wydatki_inwestycyjne", "cke8_mat_suma"] {
        assert!(variables_with_data.contains(v), "{v} has no data after the README path");
    }
    println!("{} of {} indicators have values", with_values.len(), counts.len());
}
