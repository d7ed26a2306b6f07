//! Data coverage: for every indicator in force, the units it applies to and how many of them
//! have a value in each year; the input variables its formulas read, how much of each is
//! there; which inputs are missing, where they come from and the command that imports them.
//!
//! An input is *missing* when it has no observation at all for the units the indicator
//! applies to, or when in a year in which the indicator has no value it has none while
//! another input of the indicator has some (the year the data stops short). Counts are of
//! the current units the snapshot holds: observations of closed (historical) units, or of
//! units no indicator applies to, are not counted.

use std::collections::HashMap;
use std::sync::Arc;

use model::{Flag, UnitKind};
use store::{Store, StoredVariable};

use crate::groups::comparison_level;
use crate::{AppError, Computed, IndicatorDef};

/// The coverage of every indicator in force, in catalogue order.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Coverage {
    /// The years of the snapshot (the years present in the data); empty when nothing could be
    /// computed (no observation of any catalogue variable for a current unit).
    pub years: Vec<i32>,
    pub indicators: Vec<IndicatorCoverage>,
}

impl Coverage {
    /// How many indicators have at least one value.
    pub fn with_values(&self) -> usize {
        self.indicators.iter().filter(|i| i.values > 0).count()
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct IndicatorCoverage {
    pub code: String,
    pub name_pl: String,
    pub name_en: String,
    pub area: String,
    pub kind: String,
    /// The unit kinds it applies to, as the catalogue names them.
    pub applies_to: Vec<String>,
    /// Current units of those kinds.
    pub units: usize,
    /// Per year of the snapshot: how many of those units have a value.
    pub values_by_year: Vec<YearCount>,
    /// Values in all years.
    pub values: usize,
    /// The newest year with a value, and how many units have one then.
    pub latest_year: Option<i32>,
    pub units_latest: usize,
    /// The variables its formulas read, numerator first.
    pub inputs: Vec<InputCoverage>,
}

impl IndicatorCoverage {
    /// The inputs that are missing.
    pub fn missing(&self) -> impl Iterator<Item = &InputCoverage> {
        self.inputs.iter().filter(|v| v.gap != Gap::None)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct YearCount {
    pub year: i32,
    pub units: usize,
}

/// Whether (and when) an input is missing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gap {
    /// Not missing.
    None,
    /// No observation at all for the units the indicator applies to.
    NoData,
    /// None in these years, in which the indicator has no value and another input has data.
    Years(Vec<i32>),
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct InputCoverage {
    pub variable: String,
    pub name_pl: String,
    pub name_en: String,
    pub measure_unit: Option<String>,
    /// `numerator`, `denominator` or `both`.
    pub role: &'static str,
    /// Whether the catalogue declares the variable (a formula may name one it does not).
    pub declared: bool,
    /// The variable's source as the catalogue states it.
    pub source: Option<String>,
    /// Values for the units the indicator applies to, all years.
    pub observations: usize,
    /// Observations without a value whose flag says why (confidential, did not occur).
    pub flagged: usize,
    /// Years with at least one value.
    pub years: Vec<i32>,
    pub latest_year: Option<i32>,
    /// Units with a value in `latest_year`.
    pub units_latest: usize,
    pub gap: Gap,
    /// Where the variable comes from and the command that imports it (at least one).
    pub imports: Vec<ImportWay>,
}

/// One way to get a variable's data: the source in words and the command.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportWay {
    pub source_pl: String,
    pub source_en: String,
    pub command: String,
}

/// The coverage of the indicators in force. `computed` is the snapshot (None when nothing
/// could be computed: then every indicator is counted as having no value and no input any
/// observation). Reads the catalogue, the variables and their references from `store`; the
/// counting runs on a blocking thread.
pub async fn coverage(store: &Store, computed: Option<Arc<Computed>>) -> Result<Coverage, AppError> {
    let defs: Vec<IndicatorDef> = match &computed {
        Some(c) => c.definitions.clone(),
        None => store
            .indicators()
            .await?
            .into_iter()
            .map(|s| {
                serde_json::from_str(&s.definition).map_err(|e| AppError::Invalid(format!("indicator {}: stored definition unreadable: {e}", s.code)))
            })
            .collect::<Result<_, _>>()?,
    };
    if defs.is_empty() {
        return Err(AppError::NoCatalogue);
    }
    let variables = store.variables().await?;
    let refs = store.variable_refs().await?;
    // Without a snapshot, the current units of each kind are counted from the register.
    let kinds: Vec<UnitKind> = match &computed {
        Some(_) => Vec::new(),
        None => store
            .units()
            .await?
            .into_iter()
            .filter(|u| !u.historical && u.valid_to.is_none() && (comparison_level(u.kind).is_some() || u.kind == UnitKind::Kraj))
            .map(|u| u.kind)
            .collect(),
    };
    tokio::task::spawn_blocking(move || build(computed.as_deref(), &defs, &variables, &refs, &kinds))
        .await
        .map_err(|e| AppError::Invalid(format!("the coverage count failed: {e}")))?
}

/// The variables a formula reads, in order of first appearance.
fn formula_variables(text: &str) -> Result<Vec<String>, String> {
    let expr = formula::parse(text).map_err(|e| e.to_string())?;
    Ok(expr.variables().into_iter().map(str::to_owned).collect())
}

fn build(
    c: Option<&Computed>,
    defs: &[IndicatorDef],
    variables: &[StoredVariable],
    refs: &[(i64, String, String)],
    kinds: &[UnitKind],
) -> Result<Coverage, AppError> {
    let by_code: HashMap<&str, &StoredVariable> = variables.iter().map(|v| (v.code.as_str(), v)).collect();
    let mut refs_of: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    for (id, system, r) in refs {
        refs_of.entry(*id).or_default().push((system.clone(), r.clone()));
    }
    let (first_year, n_years, n_units) = match c {
        Some(c) => (c.snapshot.first_year(), c.snapshot.years(), c.snapshot.units()),
        None => (0, 0, kinds.len()),
    };
    let years: Vec<i32> = (0..n_years).map(|y| first_year + y as i32).collect();
    let span = years.first().zip(years.last()).map(|(a, b)| (*a, *b));
    // Flagged cells without a value, by snapshot variable: (unit, year index).
    let mut flagged: HashMap<u32, Vec<(u32, u16)>> = HashMap::new();
    if let Some(c) = c {
        for (&(v, u, y), f) in &c.flags {
            if !f.carries_value() && *f != Flag::Missing {
                flagged.entry(v).or_default().push((u, y));
            }
        }
    }
    let mut out = Vec::with_capacity(defs.len());
    for d in defs {
        let wanted: Vec<UnitKind> = d.applies_to.iter().filter_map(|k| UnitKind::parse(k).ok()).collect();
        // The units it applies to: the snapshot's own reading when there is one.
        let si = c.and_then(|c| c.snapshot.indicator_index(&d.code));
        let applies: Vec<bool> = match (c, si) {
            (Some(c), Some(si)) => c.snapshot.indicator(si).applies.to_vec(),
            (Some(c), None) => c.kinds.iter().map(|k| wanted.contains(k)).collect(),
            (None, _) => kinds.iter().map(|k| wanted.contains(k)).collect(),
        };
        let members: Vec<usize> = (0..n_units).filter(|&u| applies.get(u).copied().unwrap_or(false)).collect();
        let per_year: Vec<usize> = (0..n_years)
            .map(|y| match (c, si) {
                (Some(c), Some(si)) => members.iter().filter(|&&u| c.snapshot.value(si, u, y).is_some()).count(),
                _ => 0,
            })
            .collect();
        let latest = (0..n_years).rev().find(|&y| per_year[y] > 0);
        // The inputs, numerator first; a variable read by both is one input.
        let num = formula_variables(&d.numerator).map_err(|e| AppError::Invalid(format!("indicator {} numerator: {e}", d.code)))?;
        let den = match &d.denominator {
            Some(t) => formula_variables(t).map_err(|e| AppError::Invalid(format!("indicator {} denominator: {e}", d.code)))?,
            None => Vec::new(),
        };
        let mut roles: Vec<(String, &'static str)> = num.into_iter().map(|v| (v, "numerator")).collect();
        for v in den {
            match roles.iter_mut().find(|(c, _)| *c == v) {
                Some(r) => r.1 = "both",
                None => roles.push((v, "denominator")),
            }
        }
        // Per input, the units with a value in each year.
        let counts: Vec<Vec<usize>> = roles
            .iter()
            .map(|(code, _)| {
                let vi = c.and_then(|c| c.snapshot.variable_index(code).map(|v| (c, v)));
                (0..n_years)
                    .map(|y| match vi {
                        Some((c, v)) => members.iter().filter(|&&u| c.snapshot.variable(v, u, y).is_some()).count(),
                        None => 0,
                    })
                    .collect()
            })
            .collect();
        let inputs = roles
            .iter()
            .enumerate()
            .map(|(k, (code, role))| {
                let mine = &counts[k];
                let observations: usize = mine.iter().sum();
                let with: Vec<i32> = (0..n_years).filter(|&y| mine[y] > 0).map(|y| first_year + y as i32).collect();
                let last = (0..n_years).rev().find(|&y| mine[y] > 0);
                let gap = if observations == 0 {
                    Gap::NoData
                } else {
                    let short: Vec<i32> = (0..n_years)
                        .filter(|&y| per_year[y] == 0 && mine[y] == 0 && counts.iter().enumerate().any(|(o, other)| o != k && other[y] > 0))
                        .map(|y| first_year + y as i32)
                        .collect();
                    if short.is_empty() { Gap::None } else { Gap::Years(short) }
                };
                let stored = by_code.get(code.as_str()).copied();
                let vi = c.and_then(|c| c.snapshot.variable_index(code));
                let flagged = vi
                    .and_then(|v| flagged.get(&(v as u32)))
                    .map_or(0, |cells| cells.iter().filter(|(u, _)| applies.get(*u as usize).copied().unwrap_or(false)).count());
                let var_refs = stored.and_then(|v| refs_of.get(&v.id)).map(Vec::as_slice).unwrap_or(&[]);
                let want_years = match &gap {
                    Gap::Years(ys) => ys.first().zip(ys.last()).map(|(a, b)| (*a, *b)),
                    _ => span,
                };
                InputCoverage {
                    variable: code.clone(),
                    name_pl: stored.map_or_else(|| code.clone(), |v| v.name_pl.clone()),
                    name_en: stored.and_then(|v| v.name_en.clone()).or_else(|| stored.map(|v| v.name_pl.clone())).unwrap_or_else(|| code.clone()),
                    measure_unit: stored.and_then(|v| v.measure_unit.clone()),
                    role,
                    declared: stored.is_some(),
                    source: stored.and_then(|v| v.source.clone()),
                    observations,
                    flagged,
                    years: with,
                    latest_year: last.map(|y| first_year + y as i32),
                    units_latest: last.map_or(0, |y| mine[y]),
                    imports: import_ways(code, stored.and_then(|v| v.source.as_deref()), var_refs, want_years),
                    gap,
                }
            })
            .collect();
        out.push(IndicatorCoverage {
            code: d.code.clone(),
            name_pl: d.name_pl.clone(),
            name_en: d.name_en.clone(),
            area: d.area.clone(),
            kind: d.kind.clone(),
            applies_to: d.applies_to.clone(),
            units: members.len(),
            values_by_year: years.iter().zip(&per_year).map(|(&year, &units)| YearCount { year, units }).collect(),
            values: per_year.iter().sum(),
            latest_year: latest.map(|y| first_year + y as i32),
            units_latest: latest.map_or(0, |y| per_year[y]),
            inputs,
        });
    }
    Ok(Coverage { years, indicators: out })
}

/// Where a variable's data comes from and the commands that import it, from its code, its
/// stated source and its catalogue references (`bdl_series`, `bdl_variable`, `mf_position`).
/// `years` is the span to ask the BDL API for. Always at least one way: a file in the long
/// layout imports any variable.
pub fn import_ways(code: &str, source: Option<&str>, refs: &[(String, String)], years: Option<(i32, i32)>) -> Vec<ImportWay> {
    let mut ways = Vec::new();
    let way = |pl: String, en: String, command: String| ImportWay { source_pl: pl, source_en: en, command };
    if code == ingest::areas::AREA_VARIABLE {
        ways.push(way(
            "GUGiK, wykaz powierzchni JST (XLSX)".into(),
            "GUGiK, list of the areas of units (XLSX)".into(),
            "miernik import areas Wykaz_powierzchni….xlsx".into(),
        ));
    }
    if code.starts_with("cke8_") {
        ways.push(way(
            "CKE, wyniki egzaminu ósmoklasisty szkół (CSV)".into(),
            "CKE, schools' eighth-grade exam results (CSV)".into(),
            "miernik import cke PLIK.csv".into(),
        ));
    }
    for (system, r) in refs {
        match system.as_str() {
            "bdl_series" => {
                let parts: Vec<&str> = r.split('|').collect();
                let subject = parts.first().copied().unwrap_or("");
                // subject|dim|…|measure: the dimensions are what lies between.
                let (dims, measure) = match parts.len() {
                    0 | 1 => (&[][..], None),
                    n => (&parts[1..n - 1], parts.last().copied().filter(|m| !m.is_empty())),
                };
                let mut what = subject.to_owned();
                if !dims.is_empty() {
                    what.push_str(&format!(" ({})", dims.join("; ")));
                }
                if let Some(m) = measure {
                    what.push_str(&format!(", {m}"));
                }
                ways.push(way(format!("eksport BDL {what}"), format!("BDL web export {what}"), "miernik import observations PLIK.csv".into()));
            }
            "bdl_variable" => {
                let span = years.map(|(a, b)| if a == b { format!(" --years {a}") } else { format!(" --years {a}-{b}") }).unwrap_or_default();
                ways.push(way(
                    format!("API BDL, zmienna {r}"),
                    format!("BDL API, variable {r}"),
                    format!("miernik import bdl --preset catalogue{span}"),
                ));
            }
            "mf_position" => ways.push(way(
                format!("MF, sprawozdania budżetowe Rb-27S/Rb-28S, pozycja {r}"),
                format!("MF budget reports Rb-27S/Rb-28S, item {r}"),
                "miernik import budget PLIK.xml".into(),
            )),
            _ => {}
        }
    }
    // Collected from the JSTs themselves: a campaign of a form that asks for it (issue 17).
    if ways.is_empty() && source.map(str::trim) == Some(store::CAMPAIGN_SOURCE) {
        ways.push(way(
            "ankieta wypełniana przez JST w Mierniku (kampania z formularzem, który o nią pyta)".into(),
            "a questionnaire the JSTs fill in in Miernik (a campaign of a form that asks for it)".into(),
            "miernik campaign add --form … --name … --year … --deadline … --publish-on … --units …".into(),
        ));
    }
    if ways.is_empty() {
        let (pl, en) = match source.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => {
                (format!("{s}, plik w układzie długim unit,variable,year,value"), format!("{s}, a file in the long layout unit,variable,year,value"))
            }
            None => ("plik w układzie długim unit,variable,year,value".to_owned(), "a file in the long layout unit,variable,year,value".to_owned()),
        };
        ways.push(way(pl, en, "miernik import observations PLIK.csv".into()));
    }
    ways
}

/// Years as compact runs: `2015–2024, 2026`.
pub fn year_runs(years: &[i32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut k = 0;
    while k < years.len() {
        let start = years[k];
        let mut end = start;
        while k + 1 < years.len() && years[k + 1] == end + 1 {
            k += 1;
            end = years[k];
        }
        out.push(if start == end { start.to_string() } else { format!("{start}–{end}") });
        k += 1;
    }
    out.join(", ")
}

/// Years with the same count as runs: `[(2015, 2024, 2477), (2025, 2025, 0)]`.
pub fn count_runs(by_year: &[YearCount]) -> Vec<(i32, i32, usize)> {
    let mut out: Vec<(i32, i32, usize)> = Vec::new();
    for yc in by_year {
        match out.last_mut() {
            Some((_, end, n)) if *n == yc.units && *end + 1 == yc.year => *end = yc.year,
            _ => out.push((yc.year, yc.year, yc.units)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_and_counts_run_together() {
        assert_eq!(year_runs(&[2015, 2016, 2017, 2020, 2022, 2023]), "2015–2017, 2020, 2022–2023");
        assert_eq!(year_runs(&[]), "");
        let by: Vec<YearCount> =
            [(2015, 5), (2016, 5), (2017, 4), (2018, 5), (2020, 5)].iter().map(|&(year, units)| YearCount { year, units }).collect();
        assert_eq!(count_runs(&by), vec![(2015, 2016, 5), (2017, 2017, 4), (2018, 2018, 5), (2020, 2020, 5)]);
    }

    #[test]
    fn every_variable_has_a_way_in() {
        let r = |s: &str, v: &str| (s.to_owned(), v.to_owned());
        let w = import_ways(
            "ludnosc_30vi",
            Some("GUS BDL"),
            &[r("bdl_series", "P1336|ogółem|ogółem|osoba"), r("bdl_variable", "72305")],
            Some((2015, 2024)),
        );
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].source_pl, "eksport BDL P1336 (ogółem; ogółem), osoba");
        assert_eq!(w[0].command, "miernik import observations PLIK.csv");
        assert!(w[1].source_en.contains("72305") && w[1].command == "miernik import bdl --preset catalogue --years 2015-2024", "{w:?}");
        assert!(import_ways("powierzchnia", None, &[], None)[0].command.starts_with("miernik import areas"));
        assert_eq!(import_ways("cke8_mat_suma", None, &[], None)[0].command, "miernik import cke PLIK.csv");
        let asked = import_ways("dowozeni_sp", Some("ankieta"), &[], None);
        assert!(asked[0].command.starts_with("miernik campaign add --form") && asked[0].source_pl.contains("ankieta"), "{asked:?}");
        assert_eq!(import_ways("dochody", None, &[r("mf_position", "dochody_ogolem")], None)[0].command, "miernik import budget PLIK.xml");
        let plain = import_ways("x", Some("urząd"), &[r("population_date", "31_xii")], None);
        assert_eq!(plain.len(), 1);
        assert_eq!(plain[0].command, "miernik import observations PLIK.csv");
        assert_eq!(plain[0].source_pl, "urząd, plik w układzie długim unit,variable,year,value");
    }
}
