//! Real data end to end, as the README's real-data path goes: the TERC states, the PRG-derived
//! boundaries of about 2019, GUGiK's areas and BDL's population of 2020, all from
//! ../shared/data, imported with the real binary into an empty database; then facts anyone
//! can check: every gmina has a boundary and neighbours (symmetric), Warszawa's and Kraków's
//! neighbours are the real ones, and population density 2020 is computed for every gmina,
//! with every large difference from the density on the gmina's own outline explained (sea
//! waters counted since 2023, or a boundary change since 2019).

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use common::{Db, data, population_2020};
use geo::ChamberlainDuquetteArea;

/// The one indicator this story needs, over the variables the real files give: BDL's
/// population (the export's series "ogółem, ogółem") and GUGiK's area.
const CATALOGUE: &str = r#"version = "test-1"

[[variable]]
code = "p2137_ogolem_ogolem"
name_pl = "Ludność ogółem"
name_en = "Population"
unit = "osoba"
source = "GUS BDL"

[[variable]]
code = "powierzchnia"
name_pl = "Powierzchnia"
name_en = "Area"
unit = "km²"
source = "GUGiK"

[[indicator]]
code = "GESTOSC"
name_pl = "Gęstość zaludnienia"
name_en = "Population density"
area = "demografia"
service_pl = "Ludność"
service_en = "Population"
kind = "context"
dimension = "quantity"
polarity = "neutral"
factor = 1.0
numerator = "p2137_ogolem_ogolem"
denominator = "powierzchnia"
unit_pl = "osoby na km²"
unit_en = "persons per km²"
decimals = 0
applies_to = ["gmina_miejska", "gmina_wiejska", "gmina_miejsko_wiejska", "miasto_na_prawach_powiatu"]
definition_pl = "Mieszkańcy na km²"
definition_en = "Inhabitants per km²"
source = "GUS BDL; GUGiK"
"#;

fn path(rel: &str) -> String {
    data(rel).display().to_string()
}

#[tokio::test]
async fn real_gminy_from_an_empty_database_to_neighbours_and_density() {
    let db = Db::new();
    for s in ["teryt/TERC_Urzedowy_2018-10-02.csv", "teryt/TERC_Urzedowy_2020-01-01_state.csv"] {
        db.ok(&["import", "units", &path(s)]);
    }

    // Boundaries of about 2019: every feature matched (four through a code changed on
    // 2020-01-01), no gmina left without one.
    let gminy = db.json(&["import", "boundaries", &path("boundaries/kreperu_gminy.geojson"), "--date", "2019-12-31", "--format", "json"]);
    assert_eq!(gminy["features"], 2477);
    assert_eq!(gminy["matched"], 2477);
    assert_eq!(gminy["unmatched"].as_array().map(Vec::len), Some(0));
    assert_eq!(gminy["without_boundary"].as_array().map(Vec::len), Some(0), "{}", gminy["without_boundary"]);
    assert_eq!(gminy["changed_codes"].as_array().map(Vec::len), Some(4), "{}", gminy["changed_codes"]);
    for f in ["kreperu_powiaty.geojson", "kreperu_voivodeships.geojson"] {
        let r = db.json(&["import", "boundaries", &path(&format!("boundaries/{f}")), "--date", "2019-12-31", "--format", "json"]);
        assert_eq!(r["features"], r["matched"], "{f}");
    }

    // Neighbours as pairs: symmetric, within one level, every gmina has some.
    let csv = db.ok(&["neighbours", "--level", "gmina", "--format", "csv"]);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let (ci, ni) = (
        header.iter().position(|h| *h == "code").expect("code column"),
        header.iter().position(|h| *h == "neighbour_code").expect("neighbour_code column"),
    );
    let listed: Vec<(String, String)> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[ci].to_owned(), f[ni].to_owned())
        })
        .collect();
    // Each pair once; the relation is both ways.
    let once: BTreeSet<(String, String)> = listed.iter().map(|(a, b)| if a < b { (a.clone(), b.clone()) } else { (b.clone(), a.clone()) }).collect();
    assert_eq!(once.len(), listed.len(), "a pair listed twice");
    assert_eq!(listed.len(), gminy["neighbour_pairs"].as_u64().expect("pairs") as usize);
    let pairs: BTreeSet<(String, String)> = once.iter().flat_map(|(a, b)| [(a.clone(), b.clone()), (b.clone(), a.clone())]).collect();
    assert!(pairs.iter().all(|(a, b)| a.len() == 7 && b.len() == 7), "gminy with gminy only");
    let with: BTreeSet<&str> = pairs.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(with.len(), 2477, "every gmina has a neighbour");
    let of = |code: &str| -> BTreeSet<String> { pairs.iter().filter(|p| p.0 == code).map(|p| p.1.clone()).collect() };
    // Asked unit by unit, the relation is symmetric: each of Kraków's neighbours has Kraków.
    for n in of("1261011") {
        let theirs = db.ok(&["neighbours", "--unit", &n, "--format", "csv"]);
        assert!(theirs.contains("1261011"), "{n} does not list Kraków: {theirs}");
    }
    // Kraków: Zabierzów, Zielonki, Michałowice, Kocmyrzów-Luborzyca, Igołomia-Wawrzeńczyce,
    // Niepołomice, Wieliczka, Świątniki Górne, Mogilany, Skawina, Liszki, Wielka Wieś.
    let krakow = of("1261011");
    for n in ["1206162", "1206172", "1206082", "1206052", "1206022", "1219043", "1219053", "1206143", "1206092", "1206113", "1206072", "1206152"] {
        assert!(krakow.contains(n), "Kraków–{n}: {krakow:?}");
    }
    // Warszawa: Łomianki, Marki, Ząbki, Józefów, Piaseczno, Raszyn, Stare Babice, Izabelin.
    let warszawa = of("1465011");
    for n in ["1432053", "1434021", "1434031", "1417011", "1418043", "1421062", "1432072", "1432022"] {
        assert!(warszawa.contains(n), "Warszawa–{n}: {warszawa:?}");
    }

    // The later states (the areas list is of 2025-01-01), then the areas — the only list
    // there is — used for 2020 (a user's explicit choice, `--year`), and BDL's population 2020.
    for s in ["teryt/TERC_Urzedowy_2025-03-20.csv", "teryt/TERC_Urzedowy_2025-11-18.csv", "teryt/TERC_Urzedowy_2026-01-08.csv"] {
        db.ok(&["import", "units", &path(s)]);
    }
    db.ok(&["import", "areas", &path("area/Wykaz_powierzchni_wg_stanu_na_01012025_ha_km2.xlsx"), "--year", "2020"]);
    db.ok(&["import", "observations", &path("bdl/bdl_web_exports/LUDN_2137_CREL_20220407210714.csv")]);
    let cat = db.path("gestosc.toml");
    std::fs::write(&cat, CATALOGUE).expect("catalogue");
    db.ok(&["import", "indicators", &cat.display().to_string()]);

    let store = db.store().await;
    let computed = app::compute(&store).await.expect("compute");
    let snap = &computed.snapshot;
    let (i, y) = (snap.indicator_index("GESTOSC").expect("indicator"), snap.year_index(2020).expect("2020"));

    // Every gmina of the population file (all 2477 of 2020) has a density: looked up
    // through its 2020 code, whatever its code is now.
    let population = population_2020();
    assert_eq!(population.len(), 2477);
    let index: HashMap<i64, usize> = computed.unit_ids.iter().enumerate().map(|(k, &id)| (id, k)).collect();
    let mut density: BTreeMap<String, f64> = BTreeMap::new();
    for code in population.keys() {
        let id = store.unit_id_for_code(&model::TerytCode::parse(code).expect("code")).await.expect("lookup").expect("known unit");
        let u = *index.get(&id).unwrap_or_else(|| panic!("{code} is not a current JST"));
        let d = snap.value(i, u, y).unwrap_or_else(|| panic!("no density 2020 for {code} {}", computed.names[u]));
        density.insert(code.clone(), d);
    }
    assert_eq!(density.len(), 2477);
    // Checked by hand against the file: Warszawa's 51 720 ha are 517.20 km².
    let waw = density["1465011"];
    assert!((waw - population["1465011"] / 517.20).abs() < 0.5, "Warszawa {waw}");

    // The differences are explainable. Against the density on the gmina's own 2019 outline
    // (population ÷ the polygon's area), the ratio of the two areas is ~1 for the typical
    // gmina; the outlines were simplified by their publisher, which skews small units (a
    // town and the rural gmina around it err in opposite directions, by up to ~30 %). Far
    // beyond that stand only the coastal gminy whose area counts internal sea waters since
    // 2023 (Gdańsk: more than twice its land), and below it the gminy that lost territory in
    // 2025 (Kamienica gave Szczawa, Supraśl gave Grabówka).
    let outline_km2 = outline_areas();
    let mut ratio: BTreeMap<&str, f64> = BTreeMap::new();
    for (code, d) in &density {
        ratio.insert(code.as_str(), population[code] / d / outline_km2[&code[..6]]);
    }
    let mut dev: Vec<f64> = ratio.values().map(|r| (r - 1.0).abs()).collect();
    dev.sort_by(f64::total_cmp);
    assert!(dev[dev.len() / 2] < 0.02, "median difference {}", dev[dev.len() / 2]);
    let coastal = |c: &str| ["22", "32", "28"].contains(&&c[..2]);
    let sea: Vec<(&str, f64)> = ratio.iter().filter(|(_, r)| **r > 1.5).map(|(c, r)| (*c, *r)).collect();
    assert!(sea.iter().all(|(c, _)| coastal(c)), "an inland gmina with 50 % more area than its outline: {sea:?}");
    assert!(sea.len() >= 3, "{sea:?}");
    assert!(ratio["2261011"] > 2.0, "Gdańsk {}", ratio["2261011"]);
    for (code, name) in [("1207052", "Kamienica"), ("2002093", "Supraśl")] {
        assert!(ratio[code] < 0.9, "{name} lost territory in 2025: {}", ratio[code]);
    }
}

/// The area of each gmina's 2019 outline in km² (spherical, on the original file), by the
/// first six digits of its code (four gminy changed their RODZ digit on 2020-01-01).
fn outline_areas() -> HashMap<String, f64> {
    let bytes = std::fs::read(data("boundaries/kreperu_gminy.geojson")).expect("file");
    let file = ingest::parse_geojson("kreperu_gminy.geojson", &bytes).expect("parses");
    file.features.iter().map(|f| (f.code.as_str()[..6].to_owned(), f.geometry.chamberlain_duquette_unsigned_area() / 1e6)).collect()
}
