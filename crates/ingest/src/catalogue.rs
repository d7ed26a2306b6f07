//! The indicator catalogue file (TOML; `catalogue/indicators.toml` is the starter one).
//! Every error names the file, the line and the field: unknown keys, wrong enum values,
//! formulas that do not parse (with the character), variables a formula reads that the
//! file does not declare, duplicate codes, unknown unit kinds.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use model::{Polarity, UnitKind};

use crate::limits::{MAX_CATALOGUE_BYTES, bytes};
use serde::Deserialize;
use toml::Spanned;

/// How the demo invents a variable (see the catalogue's header).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Synthetic {
    pub per: Option<String>,
    pub rate: f64,
    pub spread: f64,
    pub urban: f64,
    pub wealth: f64,
    pub trend: f64,
    /// With `per`: an added share of the whole that follows the unit's wealth (standard
    /// normal-ish), so a balance such as net migration can take either sign.
    #[serde(default)]
    pub wealth_shift: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueVariable {
    pub code: Spanned<String>,
    pub name_pl: String,
    pub name_en: Option<String>,
    pub unit: Option<String>,
    pub source: Option<String>,
    pub bdl_id: Option<i64>,
    pub bdl_note: Option<String>,
    pub mf_position: Option<String>,
    #[serde(default)]
    pub additive: bool,
    pub synthetic: Option<Synthetic>,
    /// Marks a population variable and the day its stock is counted: [`POPULATION_DATES`].
    pub population_date: Option<String>,
    /// An input that changes seldom (area, network length): DESIGN's "slowly changing inputs".
    #[serde(default)]
    pub slowly_changing: bool,
    /// The BDL series (web-export subject and dimensions) that feed this variable.
    #[serde(default)]
    pub bdl_series: Vec<BdlSeries>,
}

/// One BDL series feeding a catalogue variable: the subject (subgroup) id as in an export's
/// file name (`LUDN_2137_…` → `P2137`), the dimension values in the export's order (CREL
/// dimension columns, or the CTAB header parts before the year) and BDL's measure unit of it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BdlSeries {
    pub subject: Spanned<String>,
    pub dims: Vec<String>,
    pub measure: String,
}

impl BdlSeries {
    /// The key an export's series is matched on: see [`series_key`].
    pub fn key(&self) -> (String, Vec<String>) {
        series_key(self.subject.get_ref(), &self.dims)
    }
}

/// The matching key of a BDL series: the subject upper-cased, each dimension value trimmed,
/// with inner whitespace runs made one space and lower-cased (exports are not consistent in
/// either, the meaning is).
pub fn series_key(subject: &str, dims: &[String]) -> (String, Vec<String>) {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    (subject.trim().to_uppercase(), dims.iter().map(|d| norm(d)).collect())
}

/// The days a population stock can be counted on: 31 December and 30 June.
pub const POPULATION_DATES: [&str; 2] = ["31_xii", "30_vi"];

/// Whether `s` is a BDL subject (subgroup) id: `P` and 1–6 digits, e.g. `P2137`.
pub fn is_bdl_subject(s: &str) -> bool {
    let digits = s.strip_prefix('P').unwrap_or("");
    (1..=6).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueIndicator {
    pub code: Spanned<String>,
    pub name_pl: String,
    pub name_en: String,
    pub area: String,
    pub service_pl: String,
    pub service_en: Option<String>,
    pub kind: String,
    pub dimension: String,
    pub polarity: String,
    #[serde(default = "one")]
    pub factor: f64,
    pub numerator: Spanned<String>,
    pub denominator: Option<Spanned<String>>,
    pub unit_pl: String,
    pub unit_en: Option<String>,
    /// The measure unit's forms after a number, by CLDR plural category: Polish `one`
    /// ("1 uczeń na szkołę"), `few` ("2 uczniowie…"), `many` ("5 uczniów…"), `other`
    /// (fractions: "1,5 ucznia…"); English `one` and `other`. Without them `unit_pl` /
    /// `unit_en` is written after every number (right for "%", "zł na mieszkańca").
    #[serde(default)]
    pub unit_pl_forms: Option<UnitForms>,
    #[serde(default)]
    pub unit_en_forms: Option<UnitForms>,
    #[serde(default)]
    pub decimals: u8,
    pub applies_to: Vec<String>,
    pub definition_pl: String,
    pub definition_en: Option<String>,
    pub source: String,
    /// The population stock a per-capita denominator counts ([`POPULATION_DATES`]); required
    /// when the denominator is one variable with a `population_date`, and equal to it.
    pub population_base: Option<String>,
    /// Where the rule for that base is documented (GUS's methodological note, yearbook…).
    pub population_base_source: Option<String>,
}

/// A measure unit's forms by plural category (see `CatalogueIndicator::unit_pl_forms`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitForms {
    pub one: Option<String>,
    pub few: Option<String>,
    pub many: Option<String>,
    pub other: String,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub version: String,
    #[serde(default, rename = "variable")]
    pub variables: Vec<CatalogueVariable>,
    #[serde(default, rename = "indicator")]
    pub indicators: Vec<CatalogueIndicator>,
}

pub const AREAS: [&str; 11] = [
    "edukacja",
    "polityka_spoleczna",
    "kultura_rekreacja",
    "drogi_transport",
    "srodowisko_komunalne",
    "mieszkalnictwo_mienie",
    "finanse",
    "demografia",
    "gospodarka",
    "zdrowie",
    "zrownowazony_rozwoj",
];
pub const KINDS: [&str; 2] = ["monitoring", "context"];
pub const DIMENSIONS: [&str; 4] = ["quantity", "quality", "availability", "efficiency"];

/// A catalogue that cannot be used: where (line 0: the file as a whole) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {}", if *line > 0 { format!(":{line}") } else { String::new() }, crate::tame(message))]
pub struct CatalogueError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

/// Reads and checks a catalogue file.
pub fn read_catalogue(path: &Path) -> Result<Catalogue, CatalogueError> {
    let file = path.display().to_string();
    let whole = |message: String| CatalogueError { file: file.clone(), line: 0, message };
    let size = std::fs::metadata(path).map_err(|e| whole(format!("cannot read: {e}")))?.len();
    if size > MAX_CATALOGUE_BYTES {
        return Err(whole(format!("the file is {}, past the limit of {} for the catalogue", bytes(size), bytes(MAX_CATALOGUE_BYTES))));
    }
    let head = crate::sniff::head_of(path).map_err(|e| whole(format!("cannot read: {e}")))?;
    if let Some(hint) = crate::sniff::check(&head, crate::sniff::name_of(path), crate::sniff::Import::Indicators) {
        return Err(whole(hint));
    }
    let text = std::fs::read_to_string(path).map_err(|e| whole(format!("cannot read: {e}")))?;
    parse_catalogue(&text, &file)
}

/// Parses and checks catalogue text; `file` names it in errors.
pub fn parse_catalogue(text: &str, file: &str) -> Result<Catalogue, CatalogueError> {
    let err = |offset: usize, message: String| CatalogueError {
        file: file.to_owned(),
        line: line_of(text, offset),
        message: crate::tame(&message).into_owned(),
    };
    let cat: Catalogue = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| line_of(text, s.start));
        CatalogueError { file: file.to_owned(), line, message: crate::tame(e.message().trim()).into_owned() }
    })?;
    let mut vars = HashSet::new();
    let mut series: HashMap<(String, Vec<String>), &str> = HashMap::new();
    for v in &cat.variables {
        let at = v.code.span().start;
        let code = v.code.get_ref();
        model::VariableCode::parse(code).map_err(|e| err(at, format!("variable code: {e}")))?;
        if let Some(d) = &v.population_date
            && !POPULATION_DATES.contains(&d.as_str())
        {
            return Err(err(at, format!("variable `{code}`, field `population_date`: `{d}` is not one of {}", POPULATION_DATES.join(", "))));
        }
        for s in &v.bdl_series {
            let at = s.subject.span().start;
            let subject = s.subject.get_ref();
            let bad = |msg: String| err(at, format!("variable `{code}`, field `bdl_series`: {msg}"));
            if !is_bdl_subject(subject) {
                return Err(bad(format!(
                    "subject `{subject}` is not a BDL subject id such as `P2137` (the number in the export's file name LUDN_2137_…)"
                )));
            }
            if s.dims.is_empty() {
                return Err(bad(format!("subject `{subject}`: give the series' dimension values in `dims`, e.g. [\"ogółem\", \"ogółem\"]")));
            }
            if s.dims.iter().any(|d| d.trim().is_empty()) {
                return Err(bad(format!("subject `{subject}`: a dimension value in `dims` is empty")));
            }
            if s.dims.iter().chain([&s.measure]).any(|d| d.contains('|')) {
                return Err(bad(format!("subject `{subject}`: `|` cannot appear in `dims` or `measure` (it separates them where they are stored)")));
            }
            if s.measure.trim().is_empty() {
                return Err(bad(format!("subject `{subject}`: `measure` is empty (write BDL's measure unit of the series, e.g. \"osoba\")")));
            }
            if let Some(other) = series.insert(s.key(), code) {
                return Err(bad(format!(
                    "the series {subject} `{}` is claimed by variable `{other}` too; a series feeds one variable",
                    s.dims.join("; ")
                )));
            }
        }
        if let Some(s) = &v.synthetic {
            if let Some(per) = &s.per
                && !vars.contains(per.as_str())
            {
                return Err(err(at, format!("variable `{}`: synthetic.per `{per}` is not declared above it", v.code.get_ref())));
            }
            if ![s.rate, s.spread, s.urban, s.wealth, s.trend].iter().all(|x| x.is_finite()) {
                return Err(err(at, format!("variable `{}`: synthetic numbers must be finite", v.code.get_ref())));
            }
        }
        if !vars.insert(v.code.get_ref().as_str()) {
            return Err(err(at, format!("variable `{}` is declared twice", v.code.get_ref())));
        }
    }
    let mut codes = HashSet::new();
    for ind in &cat.indicators {
        let code = ind.code.get_ref();
        let at = ind.code.span().start;
        let bad = |field: &str, msg: String| err(at, format!("indicator `{code}`, field `{field}`: {msg}"));
        if code.is_empty() || code.len() > 32 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(bad("code", "use 1–32 ASCII letters, digits or `_`".into()));
        }
        if !codes.insert(code.as_str()) {
            return Err(bad("code", "this code appears twice".into()));
        }
        for (field, value, allowed) in
            [("area", &ind.area, &AREAS[..]), ("kind", &ind.kind, &KINDS[..]), ("dimension", &ind.dimension, &DIMENSIONS[..])]
        {
            if !allowed.contains(&value.as_str()) {
                return Err(bad(field, format!("`{value}` is not one of {}", allowed.join(", "))));
            }
        }
        let polarity = Polarity::parse(&ind.polarity).map_err(|e| bad("polarity", e.to_string()))?;
        if ind.kind == "context" && polarity != Polarity::Neutral {
            return Err(bad(
                "polarity",
                format!(
                    "`{}`: a context indicator describes the conditions of a unit and is never judged better or worse; write polarity = \"neutral\", or kind = \"monitoring\" if it is to be judged",
                    ind.polarity
                ),
            ));
        }
        if !ind.factor.is_finite() || ind.factor == 0.0 {
            return Err(bad("factor", "must be a finite number other than 0".into()));
        }
        // Polish needs every category a number can take; English has no few or many.
        for (field, forms, needed) in
            [("unit_pl_forms", &ind.unit_pl_forms, &["one", "few", "many"][..]), ("unit_en_forms", &ind.unit_en_forms, &["one"][..])]
        {
            let Some(f) = forms else { continue };
            let given = [("one", &f.one), ("few", &f.few), ("many", &f.many)];
            for (name, value) in given {
                match value {
                    None if needed.contains(&name) => {
                        return Err(bad(field, format!("give the `{name}` form too (one, few, many and other in Polish; one and other in English)")));
                    }
                    Some(_) if !needed.contains(&name) => return Err(bad(field, format!("English has no `{name}` form: give `one` and `other`"))),
                    Some(v) if v.trim().is_empty() => return Err(bad(field, format!("the `{name}` form is empty"))),
                    _ => {}
                }
            }
            if f.other.trim().is_empty() {
                return Err(bad(field, "the `other` form is empty".into()));
            }
        }
        if ind.decimals > 6 {
            return Err(bad("decimals", "at most 6".into()));
        }
        if ind.applies_to.is_empty() {
            return Err(bad("applies_to", "name at least one unit kind".into()));
        }
        for k in &ind.applies_to {
            UnitKind::parse(k).map_err(|e| bad("applies_to", e.to_string()))?;
        }
        for (field, f) in [("numerator", Some(&ind.numerator)), ("denominator", ind.denominator.as_ref())] {
            let Some(f) = f else { continue };
            let expr = formula::parse(f.get_ref()).map_err(|e| err(f.span().start, format!("indicator `{code}`, field `{field}`: {e}")))?;
            if let Some(v) = expr.variables().into_iter().find(|v| !vars.contains(v)) {
                return Err(err(f.span().start, format!("indicator `{code}`, field `{field}`: variable `{v}` is not declared in this file")));
            }
            if field == "denominator"
                && let formula::ExprKind::Variable(v) = &expr.kind
                && let Some(date) = cat.variables.iter().find(|x| x.code.get_ref() == v).and_then(|x| x.population_date.as_deref())
            {
                if ind.population_base.as_deref() != Some(date) {
                    return Err(bad(
                        "population_base",
                        format!(
                            "the denominator `{v}` is a population counted on {date}: write population_base = \"{date}\" and population_base_source = \"…\" (where GUS states that base for this figure){}",
                            ind.population_base.as_deref().map(|b| format!(", not `{b}`")).unwrap_or_default()
                        ),
                    ));
                }
                if ind.population_base_source.as_deref().is_none_or(|s| s.trim().is_empty()) {
                    return Err(bad(
                        "population_base_source",
                        format!(
                            "the denominator `{v}` is a population: write population_base_source = \"…\" (where GUS states the {date} base for this figure)"
                        ),
                    ));
                }
            }
        }
        if let Some(b) = &ind.population_base {
            if !POPULATION_DATES.contains(&b.as_str()) {
                return Err(bad("population_base", format!("`{b}` is not one of {}", POPULATION_DATES.join(", "))));
            }
            if ind.population_base_source.as_deref().is_none_or(|s| s.trim().is_empty()) {
                return Err(bad("population_base_source", "say where the population base of this figure is documented".into()));
            }
        } else if ind.population_base_source.is_some() {
            return Err(bad("population_base_source", "given without population_base".into()));
        }
    }
    if cat.indicators.is_empty() {
        return Err(err(0, "the catalogue has no [[indicator]]".into()));
    }
    Ok(cat)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    const GOOD: &str = r#"version = "t"
[[variable]]
code = "a"
name_pl = "A"
[[variable]]
code = "b"
name_pl = "B"
[[indicator]]
code = "X_01"
name_pl = "x"
name_en = "x"
area = "finanse"
service_pl = "s"
kind = "monitoring"
dimension = "quality"
polarity = "higher_better"
numerator = "a"
denominator = "b"
unit_pl = "zł"
applies_to = ["gmina_wiejska"]
definition_pl = "d"
source = "s"
"#;

    fn fails(text: &str) -> CatalogueError {
        match parse_catalogue(text, "k.toml") {
            Err(e) => e,
            Ok(_) => panic!("accepted: {text}"),
        }
    }

    #[test]
    fn a_good_file_parses() {
        let c = parse_catalogue(GOOD, "k.toml").unwrap();
        assert_eq!(c.indicators.len(), 1);
        assert_eq!(c.indicators[0].factor, 1.0);
    }

    #[test]
    fn errors_say_line_and_field() {
        let e = fails(&GOOD.replace("denominator = \"b\"", "denominator = \"b +\""));
        assert_eq!(e.line, 18, "{e}");
        assert!(e.to_string().contains("field `denominator`") && e.to_string().contains("at character"), "{e}");
        let e = fails(&GOOD.replace("denominator = \"b\"", "denominator = \"c\""));
        assert!(e.to_string().contains("variable `c` is not declared"), "{e}");
        let e = fails(&GOOD.replace("polarity = \"higher_better\"", "polarity = \"up\""));
        assert!(e.to_string().contains("polarity"), "{e}");
        // A context indicator is never judged: a judging polarity is refused, naming the field.
        let context = GOOD.replace("kind = \"monitoring\"", "kind = \"context\"");
        let e = fails(&context);
        assert!(e.to_string().contains("field `polarity`") && e.to_string().contains("never judged"), "{e}");
        assert!(e.line > 0, "{e}");
        parse_catalogue(&context.replace("polarity = \"higher_better\"", "polarity = \"neutral\""), "k.toml").unwrap();
        let e = fails(&GOOD.replace("source = \"s\"\n", "source = \"s\"\ncolour = 1\n"));
        assert!(e.to_string().contains("colour"), "{e}");
        assert!(e.line > 0);
        let e = fails(&GOOD.replace("[\"gmina_wiejska\"]", "[\"village\"]"));
        assert!(e.to_string().contains("applies_to"), "{e}");
        let e = read_catalogue(Path::new("/nonexistent/k.toml")).unwrap_err();
        assert!(e.to_string().starts_with("/nonexistent/k.toml: cannot read"), "{e}");
    }

    /// GOOD with `b` a population counted on 31 XII fed by two BDL series, and `a` fed by one.
    fn with_series() -> String {
        GOOD.replace(
            "code = \"b\"\nname_pl = \"B\"\n",
            "code = \"b\"\nname_pl = \"B\"\nunit = \"osoba\"\npopulation_date = \"31_xii\"\nslowly_changing = false\n\
             [[variable.bdl_series]]\nsubject = \"P2137\"\ndims = [\"ogółem\", \"ogółem\"]\nmeasure = \"osoba\"\n\
             [[variable.bdl_series]]\nsubject = \"P1336\"\ndims = [\"ogółem\"]\nmeasure = \"tys. osób\"\n",
        )
        .replace(
            "code = \"a\"\nname_pl = \"A\"\n",
            "code = \"a\"\nname_pl = \"A\"\nslowly_changing = true\n[[variable.bdl_series]]\nsubject = \"P2622\"\ndims = [\"ogółem\"]\nmeasure = \"zł\"\n",
        )
        .replace("source = \"s\"\n", "source = \"s\"\npopulation_base = \"31_xii\"\npopulation_base_source = \"GUS, metryka\"\n")
    }

    /// The 1-based line of the first occurrence of `needle` in `text`.
    fn line_with(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l.contains(needle)).map(|i| i + 1).unwrap_or_else(|| panic!("no `{needle}`"))
    }

    #[test]
    fn series_population_and_base_are_read() {
        let text = with_series();
        let c = parse_catalogue(&text, "k.toml").unwrap();
        let b = &c.variables[1];
        assert_eq!(b.population_date.as_deref(), Some("31_xii"));
        assert!(!b.slowly_changing && c.variables[0].slowly_changing);
        assert_eq!(b.bdl_series.len(), 2);
        assert_eq!(b.bdl_series[1].subject.get_ref(), "P1336");
        assert_eq!(b.bdl_series[1].measure, "tys. osób");
        assert_eq!(b.bdl_series[0].key(), ("P2137".to_owned(), vec!["ogółem".to_owned(), "ogółem".to_owned()]));
        assert_eq!(c.indicators[0].population_base.as_deref(), Some("31_xii"));
        assert_eq!(series_key(" p2137", &[" Ogółem  i\tX ".into()]), ("P2137".to_owned(), vec!["ogółem i x".to_owned()]));
        // The new areas are accepted.
        for area in ["zdrowie", "zrownowazony_rozwoj"] {
            parse_catalogue(&text.replace("area = \"finanse\"", &format!("area = \"{area}\"")), "k.toml").unwrap();
        }
    }

    #[test]
    fn series_errors_name_the_line_and_what_is_wrong() {
        let text = with_series();
        // A subject that is not a BDL id: the line of that subject.
        let bad = text.replace("subject = \"P1336\"", "subject = \"LUDN_1336\"");
        let e = fails(&bad);
        assert_eq!(e.line, line_with(&bad, "LUDN_1336"), "{e}");
        assert!(e.to_string().contains("variable `b`, field `bdl_series`") && e.to_string().contains("`LUDN_1336`"), "{e}");
        let e = fails(&text.replace("subject = \"P2622\"", "subject = \"P\""));
        assert!(e.to_string().contains("not a BDL subject"), "{e}");
        // No dimensions, an empty one.
        let bad = text.replace("dims = [\"ogółem\"]\nmeasure = \"tys. osób\"", "dims = []\nmeasure = \"tys. osób\"");
        let e = fails(&bad);
        assert_eq!(e.line, line_with(&bad, "P1336"), "{e}");
        assert!(e.to_string().contains("`dims`"), "{e}");
        let e = fails(&text.replace("dims = [\"ogółem\"]\nmeasure = \"zł\"", "dims = [\" \"]\nmeasure = \"zł\""));
        assert!(e.to_string().contains("empty"), "{e}");
        let e = fails(&text.replace("measure = \"zł\"", "measure = \"zł|x\""));
        assert!(e.to_string().contains("`|`"), "{e}");
        // A series claimed twice (the key ignores case and spacing): the second claim's line.
        let bad = text.replace("subject = \"P2622\"\ndims = [\"ogółem\"]", "subject = \"P2137\"\ndims = [\"Ogółem\", \" ogółem\"]");
        let e = fails(&bad);
        let second = bad.lines().enumerate().filter(|(_, l)| l.contains("subject = \"P2137\"")).map(|(i, _)| i + 1).nth(1);
        assert_eq!(Some(e.line), second, "{e}");
        assert!(e.to_string().contains("claimed by variable `a` too"), "{e}");
        // An unknown population date: the variable's line.
        let bad = text.replace("population_date = \"31_xii\"", "population_date = \"1_i\"");
        let e = fails(&bad);
        assert_eq!(e.line, line_with(&bad, "code = \"b\""), "{e}");
        assert!(e.to_string().contains("field `population_date`") && e.to_string().contains("31_xii, 30_vi"), "{e}");
    }

    #[test]
    fn a_per_capita_indicator_names_its_population_base() {
        let text = with_series();
        let at = line_with(&text, "code = \"X_01\"");
        // Missing: the error names the indicator, its line and what to write.
        let bad = text.replace("population_base = \"31_xii\"\npopulation_base_source = \"GUS, metryka\"\n", "");
        let e = fails(&bad);
        assert_eq!(e.line, at, "{e}");
        let m = e.to_string();
        assert!(m.contains("indicator `X_01`, field `population_base`") && m.contains("write population_base = \"31_xii\""), "{e}");
        // Another base than the denominator's date.
        let e = fails(&text.replace("population_base = \"31_xii\"", "population_base = \"30_vi\""));
        assert!(e.to_string().contains("not `30_vi`"), "{e}");
        // No source of the rule, or an empty one.
        let e = fails(&text.replace("population_base_source = \"GUS, metryka\"\n", ""));
        assert!(e.to_string().contains("field `population_base_source`"), "{e}");
        let e = fails(&text.replace("\"GUS, metryka\"", "\" \""));
        assert!(e.to_string().contains("field `population_base_source`"), "{e}");
        // A denominator that is more than the population variable needs no base, but one given
        // must still be a known date with a source.
        let sum = text.replace("denominator = \"b\"", "denominator = \"b + a\"");
        parse_catalogue(&sum.replace("population_base = \"31_xii\"\npopulation_base_source = \"GUS, metryka\"\n", ""), "k.toml").unwrap();
        let e = fails(&sum.replace("population_base = \"31_xii\"", "population_base = \"mid\""));
        assert!(e.to_string().contains("`mid` is not one of 31_xii, 30_vi"), "{e}");
        let e = fails(&sum.replace("population_base = \"31_xii\"\n", ""));
        assert!(e.to_string().contains("given without population_base"), "{e}");
        // Without a population date on the denominator, GOOD needs none.
        parse_catalogue(GOOD, "k.toml").unwrap();
    }

    #[test]
    fn the_starter_catalogue_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue/indicators.toml");
        let c = read_catalogue(&path).unwrap();
        assert!(c.indicators.len() >= 60, "{}", c.indicators.len());
        for area in AREAS {
            assert!(c.indicators.iter().filter(|i| i.area == area).count() >= 5, "area {area}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse_catalogue(&s, "x");
        }
    }
}
