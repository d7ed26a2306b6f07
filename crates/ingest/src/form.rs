//! Questionnaire (form) definitions in TOML, in the catalogue's style (`catalogue/forms/*.toml`):
//! a `[form]` head, `[[field]]`s bound to catalogue variables with their limits and help, and
//! `[[rule]]`s between fields written in the formula language joined by one comparator
//! (`oddzialy_sp <= uczniowie_sp`). Every error names the file, the line and the field, like the
//! catalogue reader's; nothing here panics on any input.
//!
//! ```toml
//! [form]
//! code = "oswiata"
//! title_pl = "Oświata"
//! title_en = "Education"
//! change_threshold = 0.3          # ±30 % against last year asks for a comment (the default)
//!
//! [[field]]
//! variable = "uczniowie_sp"       # a catalogue variable
//! label_pl = "Uczniowie szkół podstawowych"
//! label_en = "Primary school pupils"
//! required = true
//! min = 0
//! integer = true
//!
//! [[rule]]
//! check = "oddzialy_sp <= uczniowie_sp"
//! message_pl = "Oddziałów nie może być więcej niż uczniów"
//! message_en = "There cannot be more classes than pupils"
//! ```

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::limits::bytes;

/// The largest form file read, in bytes.
pub const MAX_FORM_BYTES: u64 = 1 << 20;
/// The most fields a form may have.
pub const MAX_FIELDS: usize = 200;
/// The most rules a form may have.
pub const MAX_RULES: usize = 200;
/// The change against last year that asks for a comment when a form does not say: ±30 %.
pub const DEFAULT_CHANGE_THRESHOLD: f64 = 0.3;

/// A checked form definition.
#[derive(Debug, Clone, PartialEq)]
pub struct FormDef {
    /// 1–32 ASCII letters, digits, `_` or `-`.
    pub code: String,
    pub title_pl: String,
    pub title_en: String,
    pub description_pl: Option<String>,
    pub description_en: Option<String>,
    /// A relative change against last year beyond which a value needs a comment (0.3 = ±30 %).
    pub change_threshold: f64,
    pub fields: Vec<FieldDef>,
    pub rules: Vec<RuleDef>,
}

/// One field of a form: a catalogue variable and how it is asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// The catalogue variable the value is stored as.
    pub variable: String,
    pub label_pl: String,
    pub label_en: String,
    pub help_pl: Option<String>,
    pub help_en: Option<String>,
    /// The measure unit shown beside the input ("osoba", "zł").
    pub measure_unit: Option<String>,
    /// Submitting needs a value (a draft may leave it empty).
    pub required: bool,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Only whole numbers.
    pub integer: bool,
    /// This field's own change threshold; `None`: the form's ([`FormDef::change_threshold_of`]).
    pub change_threshold: Option<f64>,
    /// The line of the field's `variable` in the file.
    pub line: usize,
}

/// A comparator of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Le,
    Lt,
    Ge,
    Gt,
    Eq,
    Ne,
}

impl Comparator {
    /// As written in a rule: `<=`, `<`, `>=`, `>`, `==`, `!=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::Le => "<=",
            Comparator::Lt => "<",
            Comparator::Ge => ">=",
            Comparator::Gt => ">",
            Comparator::Eq => "==",
            Comparator::Ne => "!=",
        }
    }

    /// As people read it: `≤`, `<`, `≥`, `>`, `=`, `≠`.
    pub fn sign(self) -> &'static str {
        match self {
            Comparator::Le => "≤",
            Comparator::Lt => "<",
            Comparator::Ge => "≥",
            Comparator::Gt => ">",
            Comparator::Eq => "=",
            Comparator::Ne => "≠",
        }
    }

    /// Whether `left OP right` holds. Equality allows a relative difference of 1e-9, so sums of
    /// decimals typed in a form (0.1 + 0.2 == 0.3) compare as people expect.
    pub fn holds(self, left: f64, right: f64) -> bool {
        let equal = (left - right).abs() <= 1e-9 * left.abs().max(right.abs()).max(1.0);
        match self {
            Comparator::Le => left <= right || equal,
            Comparator::Lt => left < right && !equal,
            Comparator::Ge => left >= right || equal,
            Comparator::Gt => left > right && !equal,
            Comparator::Eq => equal,
            Comparator::Ne => !equal,
        }
    }
}

/// A rule between fields: two formulas and a comparator.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDef {
    /// The rule as written (`oddzialy_sp <= uczniowie_sp`).
    pub check: String,
    pub left: formula::Program,
    pub op: Comparator,
    pub right: formula::Program,
    pub message_pl: String,
    pub message_en: String,
    /// The field variables the rule reads, in the order they first appear in `check`; the first
    /// is the field a finding of the rule anchors to.
    pub variables: Vec<String>,
    /// The line of the rule's `check` in the file.
    pub line: usize,
}

/// Both sides of a rule computed, and whether the rule holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleOutcome {
    pub left: f64,
    pub right: f64,
    pub holds: bool,
}

impl RuleDef {
    /// Computes the rule over the values `value_of` gives; `None` when a side has no value (a
    /// field it reads is empty, or it divides by zero): such a rule is not checked.
    pub fn evaluate(&self, value_of: &dyn Fn(&str) -> Option<f64>) -> Option<RuleOutcome> {
        let side = |p: &formula::Program| -> Option<f64> {
            let columns: Vec<formula::Column> = p.variables().iter().map(|v| formula::Column::from_options([value_of(v)])).collect();
            let inputs: Vec<&formula::Column> = columns.iter().collect();
            p.eval(formula::Grid { units: 1, years: 1 }, &inputs).ok()?.get(0)
        };
        let (left, right) = (side(&self.left)?, side(&self.right)?);
        Some(RuleOutcome { left, right, holds: self.op.holds(left, right) })
    }
}

impl FormDef {
    /// The field bound to `variable`.
    pub fn field(&self, variable: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.variable == variable)
    }

    /// The change threshold that applies to `field`: its own, else the form's.
    pub fn change_threshold_of(&self, field: &FieldDef) -> f64 {
        field.change_threshold.unwrap_or(self.change_threshold)
    }

    /// Refuses a form bound to a variable `known` does not know (the app passes the store's
    /// or the catalogue's variables); the error names the field's line. `file` names the form.
    pub fn check_variables(&self, file: &str, known: &dyn Fn(&str) -> bool) -> Result<(), FormError> {
        match self.fields.iter().find(|f| !known(&f.variable)) {
            None => Ok(()),
            Some(f) => Err(FormError {
                file: file.to_owned(),
                line: f.line,
                message: crate::tame(&format!(
                    "field `{}`: there is no such variable in the catalogue (import the catalogue that declares it first)",
                    f.variable
                ))
                .into_owned(),
            }),
        }
    }
}

/// A form definition that cannot be used: where (line 0: the file as a whole) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {}", if *line > 0 { format!(":{line}") } else { String::new() }, crate::tame(message))]
pub struct FormError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    form: Spanned<RawHead>,
    #[serde(default, rename = "field")]
    fields: Vec<RawField>,
    #[serde(default, rename = "rule")]
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHead {
    code: Spanned<String>,
    title_pl: String,
    title_en: String,
    description_pl: Option<String>,
    description_en: Option<String>,
    change_threshold: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    variable: Spanned<String>,
    label_pl: String,
    label_en: String,
    help_pl: Option<String>,
    help_en: Option<String>,
    measure_unit: Option<String>,
    #[serde(default)]
    required: bool,
    min: Option<f64>,
    max: Option<f64>,
    #[serde(default)]
    integer: bool,
    change_threshold: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    check: Spanned<String>,
    message_pl: String,
    message_en: String,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

/// Reads and checks a form file (at most [`MAX_FORM_BYTES`]).
pub fn read_form(path: &Path) -> Result<FormDef, FormError> {
    let file = path.display().to_string();
    let whole = |message: String| FormError { file: file.clone(), line: 0, message };
    let size = std::fs::metadata(path).map_err(|e| whole(format!("cannot read: {e}")))?.len();
    if size > MAX_FORM_BYTES {
        return Err(whole(format!("the file is {}, past the limit of {} for a form", bytes(size), bytes(MAX_FORM_BYTES))));
    }
    let raw = std::fs::read(path).map_err(|e| whole(format!("cannot read: {e}")))?;
    let text = String::from_utf8(raw).map_err(|_| whole("the file is not UTF-8 text (a form is a TOML file)".into()))?;
    parse_form(&text, &file)
}

/// Parses and checks form text, then refuses a field whose variable `known` does not know.
pub fn parse_form_checked(text: &str, file: &str, known: &dyn Fn(&str) -> bool) -> Result<FormDef, FormError> {
    let form = parse_form(text, file)?;
    form.check_variables(file, known)?;
    Ok(form)
}

/// Parses and checks form text; `file` names it in errors.
pub fn parse_form(text: &str, file: &str) -> Result<FormDef, FormError> {
    let err = |offset: usize, message: String| FormError {
        file: file.to_owned(),
        line: line_of(text, offset),
        message: crate::tame(&message).into_owned(),
    };
    if text.len() as u64 > MAX_FORM_BYTES {
        return Err(FormError {
            file: file.to_owned(),
            line: 0,
            message: format!("the text is {}, past the limit of {} for a form", bytes(text.len() as u64), bytes(MAX_FORM_BYTES)),
        });
    }
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| line_of(text, s.start));
        FormError { file: file.to_owned(), line, message: crate::tame(e.message().trim()).into_owned() }
    })?;
    let head_at = raw.form.span().start;
    let head = raw.form.into_inner();
    let code_at = head.code.span().start;
    let code = head.code.into_inner();
    if code.is_empty() || code.len() > 32 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(err(code_at, format!("[form], field `code`: `{code}`: use 1–32 ASCII letters, digits, `_` or `-`")));
    }
    for (name, value) in [("title_pl", &head.title_pl), ("title_en", &head.title_en)] {
        if value.trim().is_empty() {
            return Err(err(head_at, format!("[form], field `{name}`: empty")));
        }
    }
    let change_threshold = head.change_threshold.unwrap_or(DEFAULT_CHANGE_THRESHOLD);
    threshold_ok(change_threshold).map_err(|m| err(head_at, format!("[form], field `change_threshold`: {m}")))?;
    if raw.fields.is_empty() {
        return Err(err(head_at, "the form has no [[field]]: a form asks for at least one value".into()));
    }
    if raw.fields.len() > MAX_FIELDS {
        let at = raw.fields[MAX_FIELDS].variable.span().start;
        return Err(err(at, format!("the form has {} fields, past the limit of {MAX_FIELDS}", raw.fields.len())));
    }
    if raw.rules.len() > MAX_RULES {
        let at = raw.rules[MAX_RULES].check.span().start;
        return Err(err(at, format!("the form has {} rules, past the limit of {MAX_RULES}", raw.rules.len())));
    }

    let mut seen = HashSet::new();
    let mut fields = Vec::with_capacity(raw.fields.len());
    for f in raw.fields {
        let at = f.variable.span().start;
        let variable = f.variable.into_inner();
        let bad = |name: &str, msg: String| err(at, format!("field `{variable}`, `{name}`: {msg}"));
        if variable.trim() != variable {
            return Err(bad("variable", "remove the spaces around the code".into()));
        }
        model::VariableCode::parse(&variable).map_err(|e| err(at, format!("field, `variable`: {e}")))?;
        if !seen.insert(variable.clone()) {
            return Err(bad("variable", "this variable has a field already; a variable is asked for once".into()));
        }
        for (name, value) in [("label_pl", &f.label_pl), ("label_en", &f.label_en)] {
            if value.trim().is_empty() {
                return Err(bad(name, "empty".into()));
            }
        }
        for (name, value) in [("min", f.min), ("max", f.max)] {
            if value.is_some_and(|v| !v.is_finite()) {
                return Err(bad(name, "must be a finite number".into()));
            }
        }
        if let (Some(min), Some(max)) = (f.min, f.max)
            && min > max
        {
            return Err(bad("min", format!("{min} is above max {max}")));
        }
        if let Some(t) = f.change_threshold {
            threshold_ok(t).map_err(|m| bad("change_threshold", m))?;
        }
        fields.push(FieldDef {
            line: line_of(text, at),
            variable,
            label_pl: f.label_pl,
            label_en: f.label_en,
            help_pl: nonempty(f.help_pl),
            help_en: nonempty(f.help_en),
            measure_unit: nonempty(f.measure_unit),
            required: f.required,
            min: f.min,
            max: f.max,
            integer: f.integer,
            change_threshold: f.change_threshold,
        });
    }

    let mut rules = Vec::with_capacity(raw.rules.len());
    for (i, r) in raw.rules.into_iter().enumerate() {
        let at = r.check.span().start;
        let check = r.check.into_inner();
        let bad = |msg: String| err(at, format!("rule {} (`{check}`), field `check`: {msg}", i + 1));
        let (left_text, op, right_text, right_from) = split_check(&check).map_err(&bad)?;
        let side = |src: &str, from: usize| -> Result<formula::Expr, FormError> {
            if src.trim().is_empty() {
                let which = if from == 0 { "left" } else { "right" };
                return Err(bad(format!("the {which} side of `{}` is empty", op.symbol())));
            }
            let expr = formula::parse(src)
                .map_err(|e| bad(format!("at character {}: expected {}, found {}", from + e.span.start + 1, e.expected, e.found)))?;
            if expr.max_lag() > 0 {
                return Err(bad("`lag` cannot be used: a rule compares the values of one year's form".into()));
            }
            Ok(expr)
        };
        let left = formula::Program::compile(&side(left_text, 0)?);
        let right = formula::Program::compile(&side(right_text, right_from)?);
        let mut variables: Vec<String> = Vec::new();
        for v in left.variables().iter().chain(right.variables()) {
            if !variables.contains(v) {
                variables.push(v.clone());
            }
        }
        if variables.is_empty() {
            return Err(bad("the rule reads no field".into()));
        }
        if let Some(v) = variables.iter().find(|v| !seen.contains(v.as_str())) {
            return Err(bad(format!("variable `{v}` is not a field of this form")));
        }
        for (name, value) in [("message_pl", &r.message_pl), ("message_en", &r.message_en)] {
            if value.trim().is_empty() {
                return Err(err(at, format!("rule {} (`{check}`), field `{name}`: empty", i + 1)));
            }
        }
        rules.push(RuleDef { line: line_of(text, at), check, left, op, right, message_pl: r.message_pl, message_en: r.message_en, variables });
    }

    Ok(FormDef {
        code,
        title_pl: head.title_pl,
        title_en: head.title_en,
        description_pl: nonempty(head.description_pl),
        description_en: nonempty(head.description_en),
        change_threshold,
        fields,
        rules,
    })
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

fn threshold_ok(t: f64) -> Result<(), String> {
    if t.is_finite() && t > 0.0 { Ok(()) } else { Err(format!("{t} is not a share above 0 (0.3 = ±30 %)")) }
}

/// Splits a rule at its one comparator: (left, comparator, right, the character offset where
/// the right side starts).
fn split_check(check: &str) -> Result<(&str, Comparator, &str, usize), String> {
    let is_cmp = |c: char| matches!(c, '<' | '>' | '=' | '!');
    let Some((at, c)) = check.char_indices().find(|(_, c)| is_cmp(*c)) else {
        return Err("no comparator: write two expressions joined by one of <= < >= > == !=".into());
    };
    let next = check[at + c.len_utf8()..].chars().next();
    let (op, len) = match (c, next) {
        ('<', Some('=')) => (Comparator::Le, 2),
        ('>', Some('=')) => (Comparator::Ge, 2),
        ('=', Some('=')) => (Comparator::Eq, 2),
        ('!', Some('=')) => (Comparator::Ne, 2),
        ('<', _) => (Comparator::Lt, 1),
        ('>', _) => (Comparator::Gt, 1),
        ('=', _) => return Err("write `==` for equal".into()),
        _ => return Err("write `!=` for not equal".into()),
    };
    let (left, right) = (&check[..at], &check[at + len..]);
    if right.contains(is_cmp) {
        return Err("more than one comparator: a rule compares two expressions once".into());
    }
    Ok((left, op, right, check[..at + len].chars().count()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    const GOOD: &str = r#"[form]
code = "t"
title_pl = "Test"
title_en = "Test"

[[field]]
variable = "a"
label_pl = "A"
label_en = "A"
required = true
min = 0
integer = true

[[field]]
variable = "b"
label_pl = "B"
label_en = "B"
max = 100
change_threshold = 0.5

[[rule]]
check = "b <= a * 2"
message_pl = "B za duże"
message_en = "B too large"
"#;

    fn fails(text: &str) -> FormError {
        match parse_form(text, "f.toml") {
            Err(e) => e,
            Ok(_) => panic!("accepted: {text}"),
        }
    }

    fn line_with(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l.contains(needle)).map(|i| i + 1).unwrap_or_else(|| panic!("no `{needle}`"))
    }

    #[test]
    fn a_good_form_parses_with_defaults() {
        let f = parse_form(GOOD, "f.toml").unwrap();
        assert_eq!(f.code, "t");
        assert_eq!(f.change_threshold, DEFAULT_CHANGE_THRESHOLD);
        assert_eq!(f.fields.len(), 2);
        let (a, b) = (&f.fields[0], &f.fields[1]);
        assert!(a.required && a.integer && !b.required && !b.integer);
        assert_eq!((a.min, a.max, b.min, b.max), (Some(0.0), None, None, Some(100.0)));
        assert_eq!(f.change_threshold_of(a), 0.3);
        assert_eq!(f.change_threshold_of(b), 0.5);
        assert_eq!(a.line, line_with(GOOD, "variable = \"a\""));
        assert_eq!(f.field("b").map(|x| x.label_en.as_str()), Some("B"));
        let r = &f.rules[0];
        assert_eq!((r.op, r.check.as_str()), (Comparator::Le, "b <= a * 2"));
        assert_eq!(r.variables, ["b", "a"]);
        assert_eq!(r.line, line_with(GOOD, "check ="));
    }

    #[test]
    fn rules_evaluate_and_skip_missing_sides() {
        let f = parse_form(GOOD, "f.toml").unwrap();
        let r = &f.rules[0];
        let out = r.evaluate(&|v| match v {
            "a" => Some(10.0),
            "b" => Some(25.0),
            _ => None,
        });
        assert_eq!(out, Some(RuleOutcome { left: 25.0, right: 20.0, holds: false }));
        let out = r.evaluate(&|v| if v == "a" { Some(10.0) } else { Some(20.0) }).unwrap();
        assert!(out.holds);
        assert_eq!(r.evaluate(&|v| if v == "a" { None } else { Some(1.0) }), None);
    }

    #[test]
    fn comparators_parse_and_hold() {
        for (sym, op, (l, r), holds) in [
            ("<=", Comparator::Le, (1.0, 1.0), true),
            ("<", Comparator::Lt, (1.0, 1.0), false),
            (">=", Comparator::Ge, (2.0, 1.0), true),
            (">", Comparator::Gt, (1.0, 2.0), false),
            ("==", Comparator::Eq, (0.1 + 0.2, 0.3), true),
            ("!=", Comparator::Ne, (0.1 + 0.2, 0.3), false),
        ] {
            let text = GOOD.replace("b <= a * 2", &format!("b {sym} a"));
            let f = parse_form(&text, "f.toml").unwrap();
            assert_eq!(f.rules[0].op, op, "{sym}");
            assert_eq!(op.symbol(), sym);
            assert_eq!(op.holds(l, r), holds, "{l} {sym} {r}");
        }
    }

    #[test]
    fn errors_say_line_and_field() {
        // An unknown key anywhere is refused, on its line.
        for (after, key) in
            [("title_en = \"Test\"\n", "colour = 1\n"), ("integer = true\n", "hint = \"x\"\n"), ("message_en = \"B too large\"\n", "level = 2\n")]
        {
            let text = GOOD.replace(after, &format!("{after}{key}"));
            let e = fails(&text);
            let k = key.split(' ').next().unwrap();
            assert!(e.to_string().contains(k), "{e}");
            assert_eq!(e.line, line_with(&text, key.trim()), "{e}");
            assert!(e.to_string().starts_with(&format!("f.toml:{}: ", e.line)), "{e}");
        }
        // The same variable twice: the second field's line.
        let text = GOOD.replace("variable = \"b\"", "variable = \"a\"");
        let e = fails(&text);
        assert_eq!(e.line, line_with(&text, "label_pl = \"B\"") - 1, "{e}");
        assert!(e.to_string().contains("field `a`") && e.to_string().contains("once"), "{e}");
        // A rule reading a variable that is not a field names the rule and the code.
        let text = GOOD.replace("b <= a * 2", "b <= c");
        let e = fails(&text);
        assert_eq!(e.line, line_with(&text, "check ="), "{e}");
        assert!(e.to_string().contains("rule 1 (`b <= c`)") && e.to_string().contains("variable `c` is not a field"), "{e}");
        // min above max.
        let e = fails(&GOOD.replace("max = 100", "max = 100\nmin = 101"));
        assert!(e.to_string().contains("field `b`, `min`: 101 is above max 100"), "{e}");
        let e = fails(&GOOD.replace("max = 100", "max = inf"));
        assert!(e.to_string().contains("`max`: must be a finite"), "{e}");
        // No fields at all.
        let head = GOOD.split("[[field]]").next().unwrap();
        let e = fails(head);
        assert!(e.to_string().contains("no [[field]]"), "{e}");
        // Empty labels, bad thresholds, bad codes.
        let e = fails(&GOOD.replace("label_en = \"B\"", "label_en = \" \""));
        assert!(e.to_string().contains("field `b`, `label_en`: empty"), "{e}");
        let e = fails(&GOOD.replace("change_threshold = 0.5", "change_threshold = -1"));
        assert!(e.to_string().contains("`change_threshold`"), "{e}");
        let e = fails(&GOOD.replace("title_en = \"Test\"\n", "title_en = \"Test\"\nchange_threshold = 0\n"));
        assert!(e.to_string().contains("[form], field `change_threshold`"), "{e}");
        let e = fails(&GOOD.replace("code = \"t\"", "code = \"a b\""));
        assert!(e.to_string().contains("[form], field `code`"), "{e}");
        assert_eq!(e.line, 2);
        let e = fails(&GOOD.replace("variable = \"b\"", "variable = \"1b\""));
        assert!(e.to_string().contains("`variable`"), "{e}");
        let e = fails(&GOOD.replace("message_pl = \"B za duże\"", "message_pl = \"\""));
        assert!(e.to_string().contains("`message_pl`: empty"), "{e}");
        // A missing key is named.
        let e = fails(&GOOD.replace("label_pl = \"A\"\n", ""));
        assert!(e.to_string().contains("label_pl"), "{e}");
        assert!(e.line > 0, "{e}");
    }

    #[test]
    fn bad_checks_are_explained() {
        for (check, says) in [
            ("b a", "no comparator"),
            ("b = a", "`==`"),
            ("b ! a", "`!=`"),
            ("b <= a <= 3", "more than one comparator"),
            ("1 <= 2", "reads no field"),
            ("lag(b, 1) <= a", "`lag`"),
            ("b <= a +", "at character 9"),
            (" <= a", "the left side of `<=` is empty"),
            ("b >  ", "the right side of `>` is empty"),
        ] {
            let e = fails(&GOOD.replace("b <= a * 2", check));
            assert!(e.to_string().contains(says), "{check}: {e}");
            assert!(e.to_string().contains("field `check`"), "{check}: {e}");
        }
    }

    #[test]
    fn bounds_are_kept() {
        let field = |i: usize| format!("[[field]]\nvariable = \"v{i}\"\nlabel_pl = \"x\"\nlabel_en = \"x\"\n");
        let head = GOOD.split("[[field]]").next().unwrap();
        let many: String = (0..=MAX_FIELDS).map(field).collect();
        let e = fails(&format!("{head}{many}"));
        assert!(e.to_string().contains("past the limit of 200"), "{e}");
        let ok: String = (0..MAX_FIELDS).map(field).collect();
        parse_form(&format!("{head}{ok}"), "f.toml").unwrap();
        let rules: String = (0..=MAX_RULES).map(|_| "[[rule]]\ncheck = \"v0 <= v1\"\nmessage_pl = \"x\"\nmessage_en = \"x\"\n").collect();
        let e = fails(&format!("{head}{ok}{rules}"));
        assert!(e.to_string().contains("rules, past the limit of 200"), "{e}");
        let big = format!("{GOOD}# {}\n", "x".repeat(MAX_FORM_BYTES as usize));
        let e = fails(&big);
        assert!(e.to_string().contains("past the limit"), "{e}");
        assert_eq!(e.line, 0);
    }

    #[test]
    fn variables_missing_from_the_catalogue_are_refused() {
        let known = |v: &str| v == "a";
        let e = parse_form_checked(GOOD, "f.toml", &known).unwrap_err();
        assert_eq!(e.line, line_with(GOOD, "variable = \"b\""), "{e}");
        assert!(e.to_string().contains("field `b`") && e.to_string().contains("no such variable"), "{e}");
        parse_form_checked(GOOD, "f.toml", &|v| v == "a" || v == "b").unwrap();
    }

    #[test]
    fn the_shipped_forms_parse_and_are_bound_to_the_shipped_catalogue() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue");
        let cat = crate::catalogue::read_catalogue(&root.join("indicators.toml")).unwrap();
        let known: HashSet<&str> = cat.variables.iter().map(|v| v.code.get_ref().as_str()).collect();
        let mut forms = Vec::new();
        for entry in std::fs::read_dir(root.join("forms")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("toml") {
                continue;
            }
            let form = read_form(&path).unwrap();
            form.check_variables(&path.display().to_string(), &|v| known.contains(v)).unwrap();
            assert!(!form.rules.is_empty() && form.fields.iter().all(|f| f.help_pl.is_some() && f.help_en.is_some()), "{}", form.code);
            forms.push(form);
        }
        assert!(!forms.is_empty(), "no form in catalogue/forms");
        let form = read_form(&root.join("forms/oswiata.toml")).unwrap();
        assert!((6..=10).contains(&form.fields.len()) && (2..=4).contains(&form.rules.len()), "{form:?}");
        // Variables the gminy report through a shipped form are marked as such in the catalogue.
        let reported: Vec<&str> =
            cat.variables.iter().filter(|v| v.source.as_deref() == Some("ankieta")).map(|v| v.code.get_ref().as_str()).collect();
        assert!(!reported.is_empty() && reported.iter().all(|v| forms.iter().any(|f| f.field(v).is_some())), "{reported:?}");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let _ = parse_form(&"[".repeat(200_000), "x");
        let _ = parse_form(&format!("a = {}", "[".repeat(200_000)), "x");
        let _ = parse_form(&GOOD.replace("b <= a * 2", &format!("b <= {}a{}", "(".repeat(100_000), ")".repeat(100_000))), "x");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_text(s in "\\PC{0,400}") {
            let _ = parse_form(&s, "x");
        }

        #[test]
        fn never_panics_on_random_bytes(b in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = parse_form(&String::from_utf8_lossy(&b), "x");
        }

        #[test]
        fn never_panics_on_mangled_forms(cut in 0usize..600, junk in "[\\[\\]=<>!\"a-z0-9 \n.,()*+-]{0,20}") {
            let mut s = GOOD.to_owned();
            let at = (0..=cut.min(s.len())).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
            s.insert_str(at, &junk);
            let _ = parse_form(&s, "x");
        }
    }
}
