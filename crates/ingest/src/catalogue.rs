//! The indicator catalogue file (TOML; `catalogue/indicators.toml` is the starter one).
//! Every error names the file, the line and the field: unknown keys, wrong enum values,
//! formulas that do not parse (with the character), variables a formula reads that the
//! file does not declare, duplicate codes, unknown unit kinds.

use std::collections::HashSet;
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

pub const AREAS: [&str; 9] = [
    "edukacja",
    "polityka_spoleczna",
    "kultura_rekreacja",
    "drogi_transport",
    "srodowisko_komunalne",
    "mieszkalnictwo_mienie",
    "finanse",
    "demografia",
    "gospodarka",
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
    for v in &cat.variables {
        let at = v.code.span().start;
        model::VariableCode::parse(v.code.get_ref()).map_err(|e| err(at, format!("variable code: {e}")))?;
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
