//! The catalogue's BDL references against BDL's own metadata (`miernik bdl check-catalogue`).
//! For every catalogue variable with a `bdl_id`, `/variables/{id}` is compared with what the
//! catalogue expects of it:
//!
//! - subject: BDL's `subjectId` is one of the variable's `bdl_series` subjects;
//! - dimensions: BDL's `n1`…`nK` equal one series' `dims` (case, diacritics and whitespace
//!   folded; a mismatch shows the exact texts);
//! - measure: BDL's `measureUnitName` is that series' `measure`, and converts to the
//!   variable's `unit`;
//! - level: BDL's `level` (the lowest level it has the variable at) reaches the levels of
//!   the indicators that read the variable (gminy 6, powiaty and cities with powiat rights 5,
//!   województwa 2, Poland 0).
//!
//! A variable with `bdl_series` and no `bdl_id` is looked up among its subject's variables
//! (`/variables?subject-id=…`) by its dimensions: the id found is the one to add.

pub use ingest::catalogue::{BdlSeries, Catalogue, CatalogueError, CatalogueVariable, read_catalogue};

use crate::BdlError;
use crate::meta::{Answer, MetaSource, VariableMeta};
use crate::preset::{identifiers, level_of_kind};

/// What the check says of one variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// BDL's metadata agree with the catalogue.
    Ok,
    /// They disagree: see the problems.
    Mismatch,
    /// BDL does not know the id (or no variable of the subject has the dimensions).
    NotFound,
    /// No `bdl_id` yet; BDL's id for the series was found.
    IdFound,
    /// Not checked: the API could not be asked and the cache does not have the answer.
    Unchecked,
}

impl Verdict {
    /// The key in JSON.
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Mismatch => "mismatch",
            Verdict::NotFound => "not_found",
            Verdict::IdFound => "id_found",
            Verdict::Unchecked => "unchecked",
        }
    }

    /// Polish / English, for the table.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "zgodny / ok",
            Verdict::Mismatch => "niezgodny / mismatch",
            Verdict::NotFound => "brak w BDL / not found",
            Verdict::IdFound => "do uzupełnienia / id found",
            Verdict::Unchecked => "nie sprawdzono / not checked",
        }
    }

    /// Whether the verdict fails the check (exit status 1).
    pub fn fails(self) -> bool {
        matches!(self, Verdict::Mismatch | Verdict::NotFound | Verdict::Unchecked)
    }
}

/// One disagreement: the field and both sides, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `subject`, `dims`, `measure`, `unit` or `level`.
    pub field: &'static str,
    pub bdl: String,
    pub catalogue: String,
    /// Why, when the texts do not say it (a unit without a conversion).
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field == "level" {
            return write!(f, "level: BDL «{}» < potrzebny / needed «{}»", self.bdl, self.catalogue);
        }
        write!(f, "{}: BDL «{}» ≠ katalog / catalogue «{}»", self.field, self.bdl, self.catalogue)?;
        if !self.reason.is_empty() {
            write!(f, " ({})", self.reason)?;
        }
        Ok(())
    }
}

/// The check of one variable.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableCheck {
    pub code: String,
    pub bdl_id: Option<i64>,
    pub verdict: Verdict,
    pub problems: Vec<Problem>,
    /// BDL's metadata of `bdl_id`.
    pub meta: Option<VariableMeta>,
    /// The name of BDL's subject of it.
    pub subject_name: Option<String>,
    /// Without a `bdl_id`: the variables of the series' subjects whose dimensions match.
    pub candidates: Vec<VariableMeta>,
    pub series: Vec<BdlSeries>,
    pub unit: Option<String>,
    /// The lowest level the indicators reading the variable need, and those indicators.
    pub needed_level: Option<u8>,
    pub needed_by: Vec<String>,
    /// The unit kinds those indicators apply to.
    pub needed_kinds: Vec<String>,
    pub notes: Vec<String>,
    /// Why BDL says no, or why it was not checked.
    pub error: Option<String>,
}

/// The check of a whole catalogue.
#[derive(Debug)]
pub struct CatalogueCheck {
    /// Variables with a `bdl_id` or `bdl_series`, in file order.
    pub variables: Vec<VariableCheck>,
    /// Variables without either (not from BDL).
    pub skipped: usize,
    /// The failure that stopped the asking (told once); unchecked variables follow from it.
    pub stopped: Option<BdlError>,
    pub fetched: u64,
    pub cached: u64,
}

impl CatalogueCheck {
    pub fn count(&self, v: Verdict) -> usize {
        self.variables.iter().filter(|c| c.verdict == v).count()
    }

    pub fn fails(&self) -> bool {
        self.variables.iter().any(|c| c.verdict.fails())
    }
}

/// Text folded for comparison: lower case, Polish (and common Latin) diacritics dropped,
/// whitespace runs made one space, trimmed.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        if ('\u{300}'..='\u{36f}').contains(&c) {
            continue; // combining marks of decomposed text
        }
        out.push(match c {
            'ą' | 'á' | 'à' | 'â' | 'ä' | 'ã' => 'a',
            'ć' | 'č' | 'ç' => 'c',
            'ę' | 'é' | 'è' | 'ê' | 'ë' | 'ě' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ł' => 'l',
            'ń' | 'ñ' | 'ň' => 'n',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ś' | 'š' => 's',
            'ź' | 'ż' | 'ž' => 'z',
            'ú' | 'ù' | 'û' | 'ü' | 'ů' => 'u',
            'ý' => 'y',
            'ř' => 'r',
            '\u{a0}' => ' ',
            c => c,
        });
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A measure unit folded for comparison: as [`fold`], without any whitespace, `²`/`³` as digits.
pub fn fold_measure(s: &str) -> String {
    fold(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '²' => '2',
            '³' => '3',
            c => c,
        })
        .collect()
}

/// A subject id folded: upper case, `P` added to a bare number.
fn fold_subject(s: &str) -> String {
    let t = s.trim().to_uppercase();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) { format!("P{t}") } else { t }
}

fn dims_equal(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| fold(x) == fold(y))
}

/// BDL's name of a unit level.
pub fn level_name(level: u8) -> &'static str {
    match level {
        0 => "Polska",
        1 => "makroregiony",
        2 => "województwa",
        3 => "regiony",
        4 => "podregiony",
        5 => "powiaty",
        6 => "gminy",
        7 => "miejscowości statystyczne",
        _ => "?",
    }
}

/// How a value in BDL's measure `bdl` becomes the catalogue unit `unit`: the factor, or why
/// it cannot (the importer's own conversion table, `ingest::measure`).
pub fn measure_factor(bdl: &str, unit: &str) -> Result<f64, String> {
    ingest::measure::conversion(bdl, unit).map(|c| c.factor()).map_err(|e| e.to_string())
}

/// What the indicators reading a variable need of it.
#[derive(Debug, Clone, Default)]
struct Needs {
    /// The lowest BDL level any of them needs.
    level: Option<u8>,
    /// Their codes.
    by: Vec<String>,
    /// The unit kinds they apply to.
    kinds: Vec<String>,
}

fn needs(cat: &Catalogue, code: &str) -> Needs {
    let mut n = Needs::default();
    for i in &cat.indicators {
        let den = i.denominator.as_ref().map_or("", |d| d.get_ref().as_str());
        if !identifiers(i.numerator.get_ref()).chain(identifiers(den)).any(|w| w == code) {
            continue;
        }
        n.by.push(i.code.get_ref().clone());
        if let Some(l) = i.applies_to.iter().filter_map(|k| level_of_kind(k)).max() {
            n.level = Some(n.level.map_or(l, |x: u8| x.max(l)));
        }
        for k in &i.applies_to {
            if !n.kinds.contains(k) {
                n.kinds.push(k.clone());
            }
        }
    }
    n
}

/// The disagreements of BDL's metadata with the catalogue's expectation of the variable.
pub fn compare(meta: &VariableMeta, series: &[BdlSeries], unit: Option<&str>, needed_level: Option<u8>, needed_by: &[String]) -> Vec<Problem> {
    let mut out = Vec::new();
    if !series.is_empty() {
        let same_subject: Vec<&BdlSeries> = series.iter().filter(|s| fold_subject(s.subject.get_ref()) == fold_subject(&meta.subject_id)).collect();
        if same_subject.is_empty() {
            out.push(Problem {
                field: "subject",
                bdl: meta.subject_id.clone(),
                catalogue: series.iter().map(|s| s.subject.get_ref().as_str()).collect::<Vec<_>>().join(", "),
                reason: String::new(),
            });
        }
        let pool: Vec<&BdlSeries> = if same_subject.is_empty() { series.iter().collect() } else { same_subject };
        // The series the id stands for: equal dimensions, else the one with most in common.
        let best = pool.iter().copied().find(|s| dims_equal(&s.dims, &meta.dims)).unwrap_or_else(|| {
            pool.iter()
                .copied()
                .max_by_key(|s| {
                    let same = s.dims.iter().zip(&meta.dims).filter(|(a, b)| fold(a) == fold(b)).count();
                    (same, usize::MAX - s.dims.len().abs_diff(meta.dims.len()))
                })
                .unwrap_or(pool[0])
        });
        if !dims_equal(&best.dims, &meta.dims) {
            out.push(Problem { field: "dims", bdl: meta.dims.join("; "), catalogue: best.dims.join("; "), reason: String::new() });
        }
        if fold_measure(&best.measure) != fold_measure(&meta.measure_unit_name) {
            out.push(Problem { field: "measure", bdl: meta.measure_unit_name.clone(), catalogue: best.measure.clone(), reason: String::new() });
        }
    }
    if let Some(u) = unit
        && let Err(why) = measure_factor(&meta.measure_unit_name, u)
    {
        out.push(Problem { field: "unit", bdl: meta.measure_unit_name.clone(), catalogue: u.to_owned(), reason: why });
    }
    if let Some(need) = needed_level {
        let short = |l: u8| format!("{l} ({})", level_name(l));
        let ok = meta.level.is_some_and(|l| l >= need);
        if !ok {
            let mut by: Vec<&str> = needed_by.iter().map(String::as_str).take(5).collect();
            if needed_by.len() > 5 {
                by.push("…");
            }
            out.push(Problem {
                field: "level",
                bdl: meta.level.map_or_else(|| "brak / none".to_owned(), short),
                catalogue: format!("{} — {}", short(need), by.join(", ")),
                reason: String::new(),
            });
        }
    }
    out
}

/// The variables among `list` a series names: the same subject and dimensions.
pub fn resolve<'a>(series: &BdlSeries, list: &'a [VariableMeta]) -> Vec<&'a VariableMeta> {
    list.iter().filter(|v| fold_subject(&v.subject_id) == fold_subject(series.subject.get_ref()) && dims_equal(&series.dims, &v.dims)).collect()
}

fn notes_of(meta: &VariableMeta, unit: Option<&str>, subject_name: Option<&str>, kinds: &[String]) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(u) = unit
        && let Ok(f) = measure_factor(&meta.measure_unit_name, u)
        && f != 1.0
    {
        notes.push(format!("wartości × {f} z «{}» na «{u}» / values × {f} from «{}» to «{u}»", meta.measure_unit_name, meta.measure_unit_name));
    }
    if let Some(n) = subject_name {
        let f = fold(n);
        let budget = f.contains("gmin") && ["budzet", "dochod", "wydatk", "przychod", "rozchod"].iter().any(|w| f.contains(w));
        let upper: Vec<&str> = kinds.iter().map(String::as_str).filter(|k| matches!(*k, "powiat" | "wojewodztwo")).collect();
        // BDL's powiat and województwo rows of a gmina-budget variable are sums of the gminy.
        if budget && !upper.is_empty() {
            notes.push(format!(
                "«{n}»: wiersze powiatów i województw to sumy budżetów gmin, nie własne budżety ({k}) / powiat and województwo rows are sums of the gminy's budgets, not their own ({k})",
                k = upper.join(", ")
            ));
        }
        if budget && f.contains("bez miast na prawach powiatu") && kinds.iter().any(|k| k == "miasto_na_prawach_powiatu") {
            notes.push(format!(
                "«{n}»: wariant bez miast na prawach powiatu, a wskaźniki obejmują te miasta / the variant leaves out the cities with powiat rights, which the indicators cover"
            ));
        }
    }
    notes
}

impl VariableCheck {
    /// A variable not yet checked: what the catalogue says of it and what its indicators need.
    fn unchecked(v: &CatalogueVariable, bdl_id: Option<i64>, needed: Needs) -> VariableCheck {
        VariableCheck {
            code: v.code.get_ref().clone(),
            bdl_id,
            verdict: Verdict::Unchecked,
            problems: Vec::new(),
            meta: None,
            subject_name: None,
            candidates: Vec::new(),
            series: v.bdl_series.clone(),
            unit: v.unit.clone(),
            needed_level: needed.level,
            needed_by: needed.by,
            needed_kinds: needed.kinds,
            notes: Vec::new(),
            error: None,
        }
    }
}

fn check_id(src: &mut MetaSource<'_>, v: &CatalogueVariable, id: i64, needed: Needs) -> VariableCheck {
    let mut c = VariableCheck::unchecked(v, Some(id), needed);
    let meta = match src.variable(id) {
        Ok(Some(Answer::Found(m))) => m,
        Ok(Some(Answer::NotFound(why))) => {
            c.verdict = Verdict::NotFound;
            c.error = Some(why);
            return c;
        }
        Ok(None) => return c,
        Err(e) => {
            c.error = Some(e.to_string());
            return c;
        }
    };
    c.subject_name = match src.subject_name(&meta.subject_id) {
        Ok(Some(Answer::Found(n))) => Some(n),
        _ => None,
    };
    c.problems = compare(&meta, &v.bdl_series, v.unit.as_deref(), c.needed_level, &c.needed_by);
    c.notes = notes_of(&meta, v.unit.as_deref(), c.subject_name.as_deref(), &c.needed_kinds);
    if v.bdl_series.is_empty() {
        c.notes.push("brak bdl_series: temat i wymiary nieporównane / no bdl_series: subject and dimensions not compared".to_owned());
    }
    c.verdict = if c.problems.is_empty() { Verdict::Ok } else { Verdict::Mismatch };
    c.meta = Some(meta);
    c
}

fn check_series(src: &mut MetaSource<'_>, v: &CatalogueVariable, needed: Needs) -> VariableCheck {
    let mut c = VariableCheck::unchecked(v, None, needed);
    let mut missing = Vec::new();
    for s in &v.bdl_series {
        let list = match src.subject_variables(s.subject.get_ref()) {
            Ok(Some(Answer::Found(l))) => l,
            Ok(Some(Answer::NotFound(why))) => {
                missing.push(format!("{}: {why}", s.subject.get_ref()));
                continue;
            }
            Ok(None) => return c,
            Err(e) => {
                c.error = Some(e.to_string());
                return c;
            }
        };
        let found = resolve(s, &list);
        if found.is_empty() {
            missing.push(format!("{}: brak zmiennej o wymiarach / no variable with the dimensions «{}»", s.subject.get_ref(), s.dims.join("; ")));
        }
        for m in found {
            if !c.candidates.iter().any(|x| x.id == m.id) {
                c.candidates.push(m.clone());
            }
        }
    }
    if c.candidates.is_empty() {
        c.verdict = Verdict::NotFound;
        c.error = Some(missing.join("; "));
        return c;
    }
    if !missing.is_empty() {
        c.notes.push(missing.join("; "));
    }
    // A candidate that disagrees on measure, unit or level is no id to add as it stands.
    let checks: Vec<Vec<Problem>> = c.candidates.iter().map(|m| compare(m, &v.bdl_series, v.unit.as_deref(), c.needed_level, &c.needed_by)).collect();
    if let Some(i) = checks.iter().position(Vec::is_empty) {
        if let Ok(Some(Answer::Found(n))) = src.subject_name(&c.candidates[i].subject_id) {
            c.subject_name = Some(n);
        }
        c.notes.extend(notes_of(&c.candidates[i], v.unit.as_deref(), c.subject_name.as_deref(), &c.needed_kinds));
        c.verdict = Verdict::IdFound;
    } else {
        c.problems = checks.into_iter().next().unwrap_or_default();
        c.verdict = Verdict::Mismatch;
    }
    c
}

/// Checks every variable of `cat` that names a BDL id or series, in file order.
/// `progress(done, total)` after each.
pub fn check_catalogue(cat: &Catalogue, src: &mut MetaSource<'_>, progress: &mut dyn FnMut(usize, usize)) -> CatalogueCheck {
    let todo: Vec<&CatalogueVariable> = cat.variables.iter().filter(|v| v.bdl_id.is_some() || !v.bdl_series.is_empty()).collect();
    let mut out = Vec::with_capacity(todo.len());
    for (i, v) in todo.iter().enumerate() {
        let needed = needs(cat, v.code.get_ref());
        out.push(match v.bdl_id {
            Some(id) => check_id(src, v, id, needed),
            None => check_series(src, v, needed),
        });
        progress(i + 1, todo.len());
    }
    CatalogueCheck {
        skipped: cat.variables.len() - todo.len(),
        variables: out,
        stopped: src.stopped.take(),
        fetched: src.fetched,
        cached: src.cached,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A series as the catalogue reader makes it (from a one-variable catalogue).
    fn series(subject: &str, dims: &[&str], measure: &str) -> BdlSeries {
        let dims = dims.iter().map(|d| format!("{d:?}")).collect::<Vec<_>>().join(", ");
        let text = format!(
            "version = \"t\"\n[[variable]]\ncode = \"x\"\nname_pl = \"x\"\n[[variable.bdl_series]]\nsubject = {subject:?}\ndims = [{dims}]\nmeasure = {measure:?}\n\n{}",
            INDICATOR
        );
        let cat = ingest::catalogue::parse_catalogue(&text, "t.toml").expect("catalogue");
        cat.variables[0].bdl_series[0].clone()
    }

    const INDICATOR: &str = "[[indicator]]\ncode = \"I\"\nname_pl = \"i\"\nname_en = \"i\"\narea = \"demografia\"\nservice_pl = \"s\"\nkind = \"context\"\ndimension = \"quantity\"\npolarity = \"neutral\"\nnumerator = \"x\"\nunit_pl = \"u\"\napplies_to = [\"gmina_wiejska\"]\ndefinition_pl = \"d\"\nsource = \"s\"\n";

    fn meta(id: i64, subject: &str, dims: &[&str], level: u8, measure: &str) -> VariableMeta {
        VariableMeta {
            id,
            subject_id: subject.into(),
            dims: dims.iter().map(|d| (*d).to_owned()).collect(),
            level: Some(level),
            measure_unit_id: None,
            measure_unit_name: measure.into(),
            years: vec![],
        }
    }

    #[test]
    fn folding_ignores_case_diacritics_and_whitespace_only() {
        assert_eq!(fold("  Ogółem\u{a0} OGÓŁEM "), "ogolem ogolem");
        assert_eq!(fold("Z\u{301}ródło"), fold("Źródło"), "decomposed diacritics");
        assert_ne!(fold("65-69"), fold("65–69"), "a dash is not folded away");
        assert_eq!(fold_measure("tys. zł"), fold_measure("TYS.ZŁ"));
        assert_eq!(fold_measure("km²"), "km2");
    }

    #[test]
    fn each_field_is_compared_and_reported_as_written() {
        let s = [series("P2137", &["ogółem", "ogółem"], "osoba")];
        let m = meta(72305, "P2137", &["Ogółem", "ogolem"], 6, "osoba");
        assert!(compare(&m, &s, Some("osoba"), Some(6), &[]).is_empty(), "folded dims agree");
        let m = meta(72305, "P2138", &["ogółem", "mężczyźni"], 5, "tys. zł");
        let p = compare(&m, &s, Some("osoba"), Some(6), &["DEM_01".into()]);
        let fields: Vec<&str> = p.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["subject", "dims", "measure", "unit", "level"]);
        assert_eq!(p[1].bdl, "ogółem; mężczyźni");
        assert_eq!(p[1].catalogue, "ogółem; ogółem");
        assert_eq!(p[4].bdl, "5 (powiaty)");
        assert!(p[4].catalogue.starts_with("6 (gminy)") && p[4].catalogue.contains("DEM_01"), "{}", p[4].catalogue);
        // A level above the need is fine; no series: only unit and level.
        let m = meta(1, "P1", &["x"], 7, "tys. osób");
        assert!(compare(&m, &[], Some("osoba"), Some(6), &[]).is_empty(), "thousands of persons convert to persons");
        let p = compare(&m, &[], Some("km²"), Some(2), &[]);
        assert_eq!((p.len(), p[0].field), (1, "unit"));
        assert!(p[0].to_string().contains("measure different things"), "the importer's reason: {}", p[0]);
    }

    #[test]
    fn the_series_the_id_stands_for_is_chosen_among_several() {
        let s = [series("P2137", &["ogółem", "ogółem"], "osoba"), series("P1336", &["ogółem", "miejsce zamieszkania"], "osoba")];
        let m = meta(5, "P1336", &["ogółem", "miejsce zamieszkania"], 6, "osoba");
        assert!(compare(&m, &s, None, None, &[]).is_empty());
        let m = meta(5, "P1336", &["ogółem", "miejsce zameldowania"], 6, "osoba");
        let p = compare(&m, &s, None, None, &[]);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].catalogue, "ogółem; miejsce zamieszkania", "compared with the series of the same subject");
    }

    #[test]
    fn series_resolve_by_subject_and_dimensions() {
        let list = [meta(1, "P2137", &["ogółem", "ogółem"], 6, "osoba"), meta(2, "P2137", &["ogółem", "mężczyźni"], 6, "osoba")];
        let found = resolve(&series("P2137", &["Ogółem", "Mężczyźni"], "osoba"), &list);
        assert_eq!(found.iter().map(|m| m.id).collect::<Vec<_>>(), [2]);
        assert!(resolve(&series("P2138", &["ogółem", "ogółem"], "osoba"), &list).is_empty());
        assert_eq!(measure_factor("ha", "km²"), Ok(0.01));
        assert_eq!(measure_factor("tys. zł", "zł"), Ok(1000.0));
        assert!(measure_factor("zł", "osoba").is_err());
    }
}
