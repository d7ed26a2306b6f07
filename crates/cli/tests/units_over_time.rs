//! Units over time with the real files: the TERC states of 2018–2026, BDL's unemployment
//! export RYNE_1944 (2003–2024, every level, with codes that changed before 2018) and the
//! two exports that give Warszawa's population 2020 under its gmina and its powiat record.
//! Expected numbers are computed here from the files themselves (and the shipped registry
//! of changes, read with its own small parser), never taken from Miernik's answers.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use common::{Db, TERC_STATES, data};

const RYNE: &str = "bdl/bdl_web_exports/RYNE_1944_CTAB_20250616184618.csv";
const WAW_2022: &str = "bdl/bdl_web_exports/LUDN_2137_CREL_20220407210714.csv";
const WAW_2025: &str = "bdl/bdl_web_exports/LUDN_2137_CREL_20250203183614.csv";

fn path(rel: &str) -> String {
    data(rel).display().to_string()
}

fn db_with_states(states: &[&str]) -> Db {
    let db = Db::new();
    for f in states {
        db.ok(&["import", "units", &path(f)]);
    }
    db
}

/// Splits a `;`-separated line with `"`-quoted fields (a CTAB header packs `;` in quotes).
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in line.trim_end_matches('\r').chars() {
        match ch {
            '"' => quoted = !quoted,
            ';' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// BDL's 7-digit code in TERYT's own form: `0000000` Poland, `0200000` → `02`, `0201000` → `0201`.
fn canonical(code: &str) -> String {
    if code == "0000000" {
        "PL".to_owned()
    } else if &code[2..] == "00000" {
        code[..2].to_owned()
    } else if &code[4..] == "000" {
        code[..4].to_owned()
    } else {
        code.to_owned()
    }
}

/// The export as code → (name, year → value), only non-empty cells.
fn ctab(rel: &str) -> BTreeMap<String, (String, BTreeMap<i32, f64>)> {
    let text = std::fs::read_to_string(data(rel)).expect("file");
    let mut lines = text.lines();
    let header = fields(lines.next().expect("header"));
    let years: Vec<Option<i32>> = header
        .iter()
        .map(|h| h.split(';').find(|p| p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit())).map(|y| y.parse().expect("year")))
        .collect();
    let mut out = BTreeMap::new();
    for line in lines {
        let f = fields(line);
        if f.len() < 3 {
            continue;
        }
        let mut values = BTreeMap::new();
        for (i, v) in f.iter().enumerate().skip(2) {
            if let (Some(Some(y)), false) = (years.get(i), v.trim().is_empty()) {
                values.insert(*y, v.replace(',', ".").parse::<f64>().expect("value"));
            }
        }
        if !values.is_empty() {
            out.insert(canonical(&f[0]), (f[1].clone(), values));
        }
    }
    out
}

/// Every code of a TERC file (WOJ+POW+GMI+RODZ, without the trailing empty parts).
fn terc_codes(rel: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(data(rel)).expect("terc");
    text.trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.trim_end_matches('\r').split(';').collect();
            (f.len() >= 7).then(|| format!("{}{}{}{}", f[0], f[1], f[2], f[3]))
        })
        .collect()
}

/// The shipped registry's same-JST links (kind and code changes): old code → (new code, date).
fn registry_links() -> HashMap<String, (String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalogue/territory_changes.csv")).expect("registry");
    let mut out = HashMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let f: Vec<&str> = line.splitn(6, ',').collect();
        if matches!(f[1], "kind_change" | "code_change") {
            out.insert(f[2].to_owned(), (f[3].to_owned(), f[0].to_owned()));
        }
    }
    out
}

/// Codes of the file that neither a TERC state nor a registry chain leading to one knows.
fn unknown_codes(file: &BTreeMap<String, (String, BTreeMap<i32, f64>)>, register: &BTreeSet<String>) -> BTreeSet<String> {
    let links = registry_links();
    let linked = |code: &str| {
        let mut at = code.to_owned();
        for _ in 0..16 {
            match links.get(&at) {
                Some((next, _)) if register.contains(next) => return true,
                Some((next, _)) => at = next.clone(),
                None => return false,
            }
        }
        false
    };
    file.keys().filter(|c| c.as_str() != "PL" && !register.contains(*c) && !linked(c)).cloned().collect()
}

fn stderr_of(db: &Db, args: &[&str]) -> (bool, String, String) {
    let out = db.run(args);
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn unknown_units_are_counted_as_distinct_codes() {
    let file = ctab(RYNE);
    // Only the newest state: the file's codes that changed from 2019 on are unknown too.
    let db = db_with_states(&[TERC_STATES[4]]);
    let unknown = unknown_codes(&file, &terc_codes(TERC_STATES[4]));
    assert!(unknown.len() > 20, "more than the 20 errors an import collects: {}", unknown.len());
    let rows: u64 = unknown.iter().map(|c| file[c].1.len() as u64).sum();
    let err = db.fails(&["import", "observations", &path(RYNE)]);
    let want = format!("{} unknown unit code(s) (the first 10 listed), first at", unknown.len());
    assert!(err.contains(&want), "{want} in {err}");
    assert!(!err.contains(&format!("{rows} unknown")), "rows are not codes: {err}");
    // The first few are listed with name and rows, the rest counted.
    let listed: Vec<&str> = err.lines().filter(|l| l.trim_start().starts_with("line ") && l.contains("unknown unit ")).collect();
    assert_eq!(listed.len(), 10, "{err}");
    assert!(err.contains("the first 10 listed"), "{err}");
    for l in &listed {
        let code = l.split("unknown unit ").nth(1).and_then(|r| r.split_whitespace().next()).expect("code");
        assert!(unknown.contains(code), "{code} listed but known: {l}");
    }

    // With every state, only what the registry cannot link stays unknown.
    let db = db_with_states(&TERC_STATES);
    let register: BTreeSet<String> = TERC_STATES.iter().flat_map(|s| terc_codes(s)).collect();
    let unknown = unknown_codes(&file, &register);
    let err = db.fails(&["import", "observations", &path(RYNE)]);
    let want = format!("{} unknown unit code(s), first at", unknown.len());
    assert!(err.contains(&want), "{want} in {err}");
    for code in &unknown {
        assert!(err.contains(code.as_str()), "{code} in {err}");
    }
}

#[tokio::test]
async fn old_codes_continue_the_current_unit_and_historical_units_end_with_their_data() {
    let file = ctab(RYNE);
    let db = db_with_states(&TERC_STATES);
    let register: BTreeSet<String> = TERC_STATES.iter().flat_map(|s| terc_codes(s)).collect();
    let (ok, _, err) = stderr_of(&db, &["import", "observations", &path(RYNE), "--create-missing-units"]);
    assert!(ok, "{err}");
    let store = db.store().await;
    let variable = store.variables().await.expect("variables").into_iter().find(|v| v.code.starts_with("p1944")).expect("P1944's variable");

    // Pieszyce: one unit, 2003–2015 from 0202031 (gmina miejska), 2016–2024 from 0202033.
    let code = |c: &str| model::TerytCode::parse(c).expect("code");
    let pieszyce = store.unit_id_for_code(&code("0202033")).await.expect("lookup").expect("Pieszyce");
    assert_eq!(store.unit_id_for_code(&code("0202031")).await.expect("lookup"), Some(pieszyce), "the old code is the same unit");
    let hist: BTreeMap<i64, f64> = store
        .history(pieszyce, variable.id)
        .await
        .expect("history")
        .into_iter()
        .filter(|h| h.superseded_by.is_none())
        .map(|h| (h.year, h.value.expect("value")))
        .collect();
    let years: Vec<i64> = hist.keys().copied().collect();
    assert_eq!(years, (2003..=2024).collect::<Vec<_>>());
    for (y, v) in &hist {
        let from = if *y <= 2015 { "0202031" } else { "0202033" };
        assert_eq!(Some(v), file[from].1.get(&(*y as i32)), "{y} from {from}");
    }
    let at = db.json(&["units", "--search", "Pieszyce", "--at", "2020-06-30", "--format", "json"]);
    let gminy: Vec<&serde_json::Value> =
        at.as_array().expect("array").iter().filter(|u| u["kind"].as_str().is_some_and(|k| k.starts_with("gmina"))).collect();
    assert_eq!(gminy.len(), 1, "one Pieszyce in 2020: {at}");
    assert_eq!(gminy[0]["code"], "0202033");
    let then = db.json(&["units", "--search", "Pieszyce", "--at", "2010-06-30", "--format", "json"]);
    assert!(then.as_array().expect("array").iter().any(|u| u["code"] == "0202031" && u["kind"] == "gmina_miejska"), "{then}");

    // Every code the registry links is an alias of a current unit, never a historical unit.
    let units = store.units().await.expect("units");
    let historical: Vec<_> = units.iter().filter(|u| u.historical).collect();
    let links = registry_links();
    for old in file.keys().filter(|c| links.contains_key(*c) && !register.contains(*c)) {
        let id = store.unit_id_for_code(&code(old)).await.expect("lookup").expect("linked");
        let unit = units.iter().find(|u| u.id == id).expect("unit");
        assert!(!unit.historical && unit.valid_to.is_none(), "{old} → {}", unit.code);
    }
    // Wałbrzych was one gmina under two codes (powiat wałbrzyski until 2012, a city with powiat
    // rights since): its series runs through 2012–2013 on one unit.
    let walbrzych = store.unit_id_for_code(&code("0265011")).await.expect("lookup").expect("Wałbrzych");
    let years: BTreeSet<i64> = store.history(walbrzych, variable.id).await.expect("history").iter().map(|h| h.year).collect();
    assert!(years.contains(&2012) && years.contains(&2013), "{years:?}");

    // The historical units created are exactly the unknown codes, each valid until the
    // 1 January after its last year with data.
    let unknown = unknown_codes(&file, &register);
    let created: BTreeSet<String> = historical.iter().map(|u| u.code.as_str().to_owned()).collect();
    assert_eq!(created, unknown);
    for u in &historical {
        let last = *file[u.code.as_str()].1.keys().last().expect("data");
        let to = u.valid_to.expect("a historical unit is closed");
        assert!(to > time::Date::from_calendar_date(last, time::Month::December, 31).expect("date"), "{} {to}", u.code);
        assert!(to <= model::new_year(last + 1).expect("date"), "{} {to} after the year after {last}", u.code);
    }
    // Zielona Góra (gmina wiejska) was merged into the city on 2015-01-01: separate, closed.
    let zg = historical.iter().find(|u| u.code.as_str() == "0809102").expect("Zielona Góra (2)");
    assert_eq!(zg.valid_to, model::new_year(2015));

    // Importing the same file again changes nothing.
    let again = db.json(&["import", "observations", &path(RYNE), "--create-missing-units", "--format", "json"]);
    assert_eq!((again["inserted"].as_u64(), again["changed"].as_u64()), (Some(0), Some(0)), "{again}");
}

/// Population 2020 of a code in a CREL export, read straight from the file.
fn crel_2020(rel: &str, code: &str) -> f64 {
    let text = std::fs::read_to_string(data(rel)).expect("file");
    text.lines()
        .map(fields)
        .find(|f| f[0] == code && f[2] == "ogółem" && f[3] == "ogółem" && f[4] == "2020")
        .map(|f| f[5].replace(',', ".").parse().expect("value"))
        .expect("a 2020 row")
}

#[tokio::test]
async fn two_records_of_warszawa_are_reconciled_and_reported() {
    let gmina_2020 = crel_2020(WAW_2022, "1465011");
    let powiat_2020 = crel_2020(WAW_2025, "1465000");
    assert_ne!(gmina_2020, powiat_2020, "the two exports disagree (the second was revised after the 2021 census)");
    let db = db_with_states(&TERC_STATES[..3]);
    let (ok, _, err) = stderr_of(&db, &["import", "observations", &path(WAW_2022)]);
    assert!(ok && !err.contains("conflicting records"), "{err}");
    let (ok, _, err) = stderr_of(&db, &["import", "observations", &path(WAW_2025)]);
    assert!(ok, "{err}");
    // Reported: both codes, both values, the line and that the stored one was replaced.
    let line: Vec<&str> = err.lines().filter(|l| l.contains("conflicting records of one JST")).collect();
    assert_eq!(line.len(), 1, "exactly the year both records have (2020): {err}");
    for part in ["rozbieżne rekordy jednej JST", " 2020:", &format!("1465 = {powiat_2020} (line 3)"), &format!("1465011 = {gmina_2020} (stored)")] {
        assert!(line[0].contains(part), "{part} in {}", line[0]);
    }

    // The rule: this import's value stands for the JST, on both records; the old one is history.
    let store = db.store().await;
    let code = |c: &str| model::TerytCode::parse(c).expect("code");
    let gmina = store.unit_id_for_code(&code("1465011")).await.expect("lookup").expect("gmina record");
    let powiat = store.unit_id_for_code(&code("1465")).await.expect("lookup").expect("powiat record");
    // The variable the series "ogółem, ogółem" went to: the one the powiat record has.
    let mut variable = None;
    for v in store.variables().await.expect("variables") {
        if store.observation(v.id, powiat, 2019).await.expect("obs").is_some() {
            variable = Some(v);
        }
    }
    let variable = variable.expect("the 2025 export's variable");
    assert_eq!(store.unit(powiat).await.expect("unit").expect("unit").same_jst_id, Some(gmina), "one JST, two records");
    assert_eq!(store.observation(variable.id, gmina, 2020).await.expect("obs").and_then(|o| o.0), Some(powiat_2020));
    assert_eq!(store.observation(variable.id, powiat, 2020).await.expect("obs").and_then(|o| o.0), Some(powiat_2020));
    let hist = store.history(gmina, variable.id).await.expect("history");
    assert!(hist.iter().any(|h| h.year == 2020 && h.value == Some(gmina_2020) && h.superseded_by.is_some()), "{hist:?}");
    // Years only the powiat record has stay on it alone.
    assert!(store.observation(variable.id, gmina, 2019).await.expect("obs").is_none());
    // Settled: the same file again finds nothing to report.
    let (ok, out, err) = stderr_of(&db, &["import", "observations", &path(WAW_2025), "--format", "json"]);
    assert!(ok && !err.contains("conflicting records"), "{err}");
    assert!(out.contains("\"changed\":0"), "{out}");

    // Within one file the gmina record (the JST's own) wins, reported with both lines; two
    // codes of one unit keep the code valid that year.
    let csv = db.path("two_records.csv");
    std::fs::write(
        &csv,
        "unit,variable,year,value\n1465,waw,2021,100\n1465011,waw,2021,90\n0202031,waw,2015,7\n0202033,waw,2015,8\n0202033,waw,2016,9\n",
    )
    .expect("write");
    let (ok, _, err) = stderr_of(&db, &["import", "observations", csv.to_str().expect("p")]);
    assert!(ok, "{err}");
    assert!(err.contains("waw 2021: kept 1465011 = 90 (line 3); 1465 = 100 (line 2) set to the kept value"), "{err}");
    assert!(err.contains("waw 2015: kept 0202031 = 7 (line 4); 0202033 = 8 (line 5) dropped"), "{err}");
    let waw = store.variables().await.expect("variables").into_iter().find(|v| v.code == "waw").expect("waw");
    assert_eq!(store.observation(waw.id, powiat, 2021).await.expect("obs").and_then(|o| o.0), Some(90.0));
    let pieszyce = store.unit_id_for_code(&code("0202033")).await.expect("lookup").expect("unit");
    assert_eq!(store.observation(waw.id, pieszyce, 2015).await.expect("obs").and_then(|o| o.0), Some(7.0));
    assert_eq!(store.observation(waw.id, pieszyce, 2016).await.expect("obs").and_then(|o| o.0), Some(9.0));
}
