//! New sources with real samples (issue 16, point 9), through the real binary: CKE's school
//! results of the egzamin ósmoklasisty 2025 (mazowieckie) aggregated to gminy, checked
//! against an independent reading of the file; and an MF budget report of a JST itself,
//! built from the real unit-level BeSTi@ package (no real JST-level file is at hand).

mod common;

use std::collections::BTreeMap;

use common::{Db, data};

const CKE: &str = "cke/wyniki_testow_2025_mazowieckie_szkoly.csv";

/// The CKE indicator as the catalogue defines it: Σ takers × mean ÷ Σ takers.
const CATALOGUE: &str = r#"version = "test-cke"

[[variable]]
code = "cke8_pol_zdajacy"
name_pl = "Zdający, język polski"
unit = "osoba"
source = "CKE"

[[variable]]
code = "cke8_pol_suma"
name_pl = "Suma wyników, język polski"
unit = "osobo-procent"
source = "CKE"

[[indicator]]
code = "CKE_POL"
name_pl = "Średni wynik egzaminu ósmoklasisty z języka polskiego"
name_en = "Mean result of the eighth-grade exam in Polish"
area = "edukacja"
service_pl = "Szkoły podstawowe"
service_en = "Primary schools"
kind = "monitoring"
dimension = "quality"
polarity = "higher_better"
factor = 1.0
numerator = "cke8_pol_suma"
denominator = "cke8_pol_zdajacy"
unit_pl = "%"
unit_en = "%"
decimals = 1
applies_to = ["gmina_miejska", "gmina_wiejska", "gmina_miejsko_wiejska"]
definition_pl = "Średni wynik zdających, ważony liczbą zdających"
definition_en = "Mean result of the takers, weighted by their number"
source = "CKE"
"#;

/// The file's records, read by a plain quote-aware splitter (not Miernik's reader): fields
/// split on `,` and records on line breaks outside quotes, `""` a quote; with the 1-based
/// line each record starts on.
fn records(text: &str) -> Vec<(u64, Vec<String>)> {
    let mut out = Vec::new();
    let (mut field, mut fields) = (String::new(), Vec::new());
    let (mut quoted, mut line, mut start) = (false, 1u64, 1u64);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            '\n' if !quoted => {
                fields.push(std::mem::take(&mut field));
                out.push((start, std::mem::take(&mut fields)));
                line += 1;
                start = line;
            }
            '\n' => {
                field.push(c);
                line += 1;
            }
            '\r' if !quoted => {}
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        out.push((start, fields));
    }
    out
}

fn number(s: &str) -> Option<f64> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.replace(',', ".").parse::<f64>().expect("a number"))
}

/// One school as the test reads it: the line, the 7-digit code and (takers, mean) in Polish.
struct School {
    line: u64,
    code: String,
    takers: f64,
    mean: Option<f64>,
}

fn schools() -> Vec<School> {
    let text = std::fs::read_to_string(data(CKE)).expect("the CKE file");
    let recs = records(&text);
    let header = &recs[0].1;
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name}"));
    let (code, takers, mean) = (col("Kod teryt gminy"), col("liczba_zdających_polski"), col("mean_polski"));
    recs[1..]
        .iter()
        .map(|(line, f)| School { line: *line, code: f[code].clone(), takers: number(&f[takers]).unwrap_or(0.0), mean: number(&f[mean]) })
        .collect()
}

/// The observations of a variable by unit code, for one year, read from the store.
async fn stored(db: &Db, variable: &str, year: i64) -> BTreeMap<String, f64> {
    let store = db.store().await;
    let id = store.variables().await.expect("variables").into_iter().find(|v| v.code == variable).map(|v| v.id).expect("variable");
    let codes: BTreeMap<i64, String> = store.units().await.expect("units").into_iter().map(|u| (u.id, u.code.as_str().to_owned())).collect();
    let mut out = BTreeMap::new();
    for (unit, y, value, _) in store.variable_values_flagged(id).await.expect("values") {
        if y == year
            && let Some(v) = value
        {
            out.insert(codes[&unit].clone(), v);
        }
    }
    store.close().await;
    out
}

#[tokio::test]
async fn cke_school_results_become_gmina_sums_weighted_by_takers() {
    let db = Db::new();
    for s in ["teryt/TERC_Urzedowy_2025-11-18.csv", "teryt/TERC_Urzedowy_2026-01-08.csv"] {
        db.ok(&["import", "units", data(s).to_str().expect("path")]);
    }
    let file = data(CKE);
    let path = file.to_str().expect("path");

    // A broken copy first: one mean that is not a number. Refused naming file, line, column;
    // nothing imported.
    let text = std::fs::read_to_string(&file).expect("file");
    let all = schools();
    let victim = all.iter().find(|s| s.mean.is_some()).expect("a school with a mean");
    let lines: Vec<&str> = text.split('\n').collect();
    let mut fields = records(lines[victim.line as usize - 1]).remove(0).1;
    let header = &records(&text)[0].1;
    let at = header.iter().position(|h| h == "mean_polski").expect("mean_polski");
    assert_eq!(at + 1, 14, "mean_polski is column 14");
    fields[at] = "6x".to_owned();
    let quote = |f: &String| if f.contains([',', '"', '\n']) { format!("\"{}\"", f.replace('"', "\"\"")) } else { f.clone() };
    let broken_row = fields.iter().map(quote).collect::<Vec<_>>().join(",");
    let broken: String =
        lines.iter().enumerate().map(|(i, l)| if i + 1 == victim.line as usize { broken_row.as_str() } else { l }).collect::<Vec<_>>().join("\n");
    let bad = db.path("wyniki_2025_zepsute.csv");
    std::fs::write(&bad, broken).expect("write");
    let e = db.fails(&["import", "cke", bad.to_str().expect("path")]);
    assert!(e.contains("wyniki_2025_zepsute.csv") && e.contains("nothing was imported"), "{e}");
    assert!(e.contains(&format!("line {}, column 14 (mean_polski)", victim.line)), "{e}");
    assert!(e.contains("not a number"), "{e}");

    let r = db.json(&["import", "cke", path, "--format", "json"]);
    assert_eq!(r["year"], 2025, "the year from the file name: {r}");
    assert_eq!(r["schools"].as_u64(), Some(all.len() as u64), "{r}");
    assert_eq!(r["rejected"], 0);
    // CKE's register lags: Kazanów, gmina miejsko-wiejska 1436013 since 2025-01-01, is
    // 1436012 in the file; only the 2025 and 2026 states are imported here, so the register
    // never had that code and the gmina is found by its first six digits.
    assert!(r["by_base"].as_array().is_some_and(|p| p.contains(&serde_json::json!(["1436012", "1436013"]))), "{r}");
    // Takers in Polish over all schools: 49,918 (as SOURCES.md says), of whom those in
    // schools without a published mean are left out of the gmina sums.
    let takers: f64 = all.iter().map(|s| s.takers).sum();
    let with_mean: f64 = all.iter().filter(|s| s.mean.is_some()).map(|s| s.takers).sum();
    assert_eq!(takers, 49_918.0);
    assert_eq!(r["subjects"]["pol"]["takers"].as_f64(), Some(takers), "{r}");
    assert_eq!(r["subjects"]["pol"]["takers_with_mean"].as_f64(), Some(with_mean), "{r}");
    let no_mean = all.iter().filter(|s| s.takers > 0.0 && s.mean.is_none()).count() as u64;
    assert!(no_mean > 0);
    assert_eq!(r["subjects"]["pol"]["schools_without_mean"].as_u64(), Some(no_mean), "{r}");

    // Per gmina (the first six digits, RODZ 4/5 schools into RODZ 3): the sums stored.
    let mut expected: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for s in all.iter().filter(|s| s.mean.is_some()) {
        let rodz = &s.code[6..];
        let gmina = if rodz == "4" || rodz == "5" { format!("{}3", &s.code[..6]) } else { s.code.clone() };
        let e = expected.entry(gmina).or_default();
        e.0 += s.takers;
        e.1 += s.takers * s.mean.expect("mean");
    }
    assert_eq!(r["gminy"].as_u64(), Some(expected.len() as u64), "{r}");
    let zdajacy = stored(&db, "cke8_pol_zdajacy", 2025).await;
    let suma = stored(&db, "cke8_pol_suma", 2025).await;
    // Gminy whose code changed on 2026-01-01 are stored under their unit's current code.
    let current = |code: &str| if zdajacy.contains_key(code) { code.to_owned() } else { format!("{}3", &code[..6]) };
    // A city with powiat rights (Warszawa, Radom, …) is one JST with two records: its
    // figures are under the city-powiat (4 digits) too.
    let (gminy, cities): (BTreeMap<&String, &f64>, BTreeMap<&String, &f64>) = zdajacy.iter().partition(|(c, _)| c.len() == 7);
    assert_eq!(gminy.len(), expected.len());
    assert_eq!(cities.keys().map(|c| c.as_str()).collect::<Vec<_>>(), ["1461", "1462", "1463", "1464", "1465"]);
    for (c, v) in &cities {
        assert_eq!(zdajacy[&format!("{c}011")], **v, "{c}");
    }
    assert_eq!(r["city_powiats"], 5, "{r}");
    let total: f64 = gminy.values().copied().sum();
    assert_eq!(total, with_mean);
    assert_eq!(total + (takers - with_mean), 49_918.0);
    for (g, (n, s)) in &expected {
        let c = current(g);
        assert_eq!(zdajacy.get(&c), Some(n), "{g}");
        let got = suma[&c];
        assert!((got - s).abs() <= 1e-9 * s.abs(), "{g}: {got} vs {s}");
    }

    // One urban–rural gmina with schools in its town (RODZ 4) and rural part (RODZ 5): its
    // indicator is Σ(n·mean)/Σn over both, computed here from the file.
    let parts = |base: &str, rodz: &str| all.iter().filter(|s| s.code == format!("{base}{rodz}") && s.mean.is_some()).count();
    let base = all.iter().map(|s| &s.code[..6]).find(|b| parts(b, "4") > 0 && parts(b, "5") > 0).expect("a gmina with both parts").to_owned();
    let (n, nm) = all
        .iter()
        .filter(|s| s.code.starts_with(&base) && s.mean.is_some())
        .fold((0.0, 0.0), |(n, nm), s| (n + s.takers, nm + s.takers * s.mean.expect("mean")));
    let cat = db.path("cke.toml");
    std::fs::write(&cat, CATALOGUE).expect("catalogue");
    db.ok(&["import", "indicators", cat.to_str().expect("path")]);
    let gmina = current(&format!("{base}3"));
    let c = db.json(&["compare", "--unit", &gmina, "--indicator", "CKE_POL", "--year", "2025", "--group", "wojewodztwo", "--format", "json"]);
    let mean = c["value"].as_f64().expect("a value");
    assert!((mean - nm / n).abs() < 1e-9, "{gmina}: {mean} vs {}", nm / n);
    // Not the plain mean of the school means, unless the schools are of one size.
    let school_means: Vec<f64> = all.iter().filter(|s| s.code.starts_with(&base)).filter_map(|s| s.mean).collect();
    let plain = school_means.iter().sum::<f64>() / school_means.len() as f64;
    assert!((plain - nm / n).abs() > 1e-6, "the test gmina should tell weighted from plain");

    // Importing the same file again changes nothing.
    let again = db.json(&["import", "cke", path, "--format", "json"]);
    assert_eq!((again["inserted"].as_u64(), again["changed"].as_u64()), (Some(0), Some(0)), "{again}");
}

/// The real Kutno expenditure package (7 schools) cut to its first unit and relabelled as the
/// own report of a JST: `Typ`, name, Regon and WK/PK/GK/GT/PT replaced in both places.
fn own_report(nazwa: &str, typ: &str, codes: [&str; 5]) -> String {
    let text = std::fs::read_to_string(data("budget/bestia_xml_kutno_schools/Sprawozdania_2022_IVKwartal_Wydatki.xml")).expect("read");
    let end = text.find("</Jednostka><Jednostka>").expect("several units");
    let first = format!("{}</Jednostka></Jednostki></PaczkaSprawozdan>", &text[..end]);
    let school =
        "<Nazwa>Szkoła Podstawowa Nr 7</Nazwa><Typ>JB</Typ><Regon>001070630     </Regon><WK>10</WK><PK>02</PK><GK>01</GK><GT>1</GT><PT>0</PT>";
    assert_eq!(first.matches(school).count(), 2);
    let [wk, pk, gk, gt, pt] = codes;
    first.replace(
        school,
        &format!(
            "<Nazwa>{nazwa}</Nazwa><Typ>{typ}</Typ><Regon>750148552     </Regon><WK>{wk}</WK><PK>{pk}</PK><GK>{gk}</GK><GT>{gt}</GT><PT>{pt}</PT>"
        ),
    )
}

/// Σ of `<WW>` in a package, in zł, read from the text.
fn executed(xml: &str) -> f64 {
    let grosze: i64 = xml
        .split("<WW>")
        .skip(1)
        .map(|r| {
            let (zl, gr) = r[..r.find('<').expect("end")].split_once('.').expect("decimal point");
            zl.parse::<i64>().expect("zł") * 100 + gr.parse::<i64>().expect("gr")
        })
        .sum();
    grosze as f64 / 100.0
}

#[test]
fn a_jsts_own_budget_report_is_imported_under_its_teryt_code_without_sum_units() {
    let db = Db::new();
    db.ok(&["import", "units", data("teryt/TERC_Urzedowy_2025-11-18.csv").to_str().expect("path")]);
    for (nazwa, typ, codes, unit) in
        [("Gmina Miasto Kutno", "GM", ["10", "02", "01", "1", "0"], "1002011"), ("Powiat Kutnowski", "PW", ["10", "02", "00", "0", "1"], "1002")]
    {
        let xml = own_report(nazwa, typ, codes);
        let f = db.path(&format!("rb28s_{unit}.xml"));
        std::fs::write(&f, &xml).expect("write");
        let r = db.json(&["import", "budget", f.to_str().expect("path"), "--format", "json"]);
        assert_eq!(r["jst"], serde_json::json!([unit]), "{r}");
        assert_eq!(r["summed_units"], 0, "{r}");
        let h = db.json(&["history", "--unit", unit, "--variable", "rb28s_ww", "--format", "json"]);
        let v = h[0]["value"].as_f64().expect("value");
        assert!((v - executed(&xml)).abs() < 0.005, "{unit}: {v} vs {}", executed(&xml));
        let catalogue = db.json(&["history", "--unit", unit, "--variable", "wydatki_ogolem", "--format", "json"]);
        assert_eq!(catalogue[0]["value"], h[0]["value"], "{unit}");
    }
}
