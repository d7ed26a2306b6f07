//! Validation of one unit's answers to a form (pure, no I/O): values that are not numbers,
//! required fields left empty, values outside the field's limits or not whole, rules between
//! fields, and changes against last year beyond the threshold — warnings that a comment
//! resolves. Every message names the field's label, the limit and the value, in Polish and
//! English. Typed numbers are read the Polish way too (`1 234,5`): [`parse_number`].

use std::collections::HashMap;

use ingest::form::{FieldDef, FormDef};

/// One answer as typed or uploaded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entry {
    /// The field's catalogue variable.
    pub variable: String,
    /// The number, when there is one.
    pub value: Option<f64>,
    /// The text as typed when it is not a number (kept so the person sees what they wrote).
    pub raw: Option<String>,
    /// The explanation a warning asks for.
    pub comment: Option<String>,
}

impl Entry {
    /// An entry from typed text: empty → no value; a number ([`parse_number`]) → its value;
    /// anything else → kept as `raw`. An empty comment is no comment.
    pub fn typed(variable: &str, text: &str, comment: Option<&str>) -> Entry {
        let text = text.trim();
        let (value, raw) = if text.is_empty() {
            (None, None)
        } else {
            match parse_number(text) {
                Some(v) => (Some(v), None),
                None => (None, Some(text.to_owned())),
            }
        };
        let comment = comment.map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned);
        Entry { variable: variable.to_owned(), value, raw, comment }
    }

    fn has_comment(&self) -> bool {
        self.comment.as_deref().is_some_and(|c| !c.trim().is_empty())
    }
}

/// What the checks compare with: the unit's values of last year and the peer group's medians
/// (of the same year), by variable.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckContext {
    pub last_year: HashMap<String, f64>,
    pub peer_median: HashMap<String, f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Blocks submitting.
    Error,
    /// Blocks submitting until resolved by a comment (when it needs one).
    Warning,
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingKind {
    /// The text typed is not a number.
    NotANumber,
    /// A required field is empty (only when submitting).
    Required,
    BelowMin,
    AboveMax,
    /// The field takes whole numbers only.
    NotWhole,
    /// The form's rule of this index (in `FormDef::rules`) does not hold.
    Rule(usize),
    /// The value changed against last year beyond the field's threshold.
    ChangeVsLastYear,
    /// With no value of last year: the value is more than [`PEER_FACTOR`] times above or below
    /// the peer median (a wrong measure unit, a digit too many).
    FarFromPeers,
}

impl FindingKind {
    /// A stable short name (`not_a_number`, `required`, `below_min`, `above_max`, `not_whole`,
    /// `rule`, `change`, `peers`) for files and element ids.
    pub fn code(self) -> &'static str {
        match self {
            FindingKind::NotANumber => "not_a_number",
            FindingKind::Required => "required",
            FindingKind::BelowMin => "below_min",
            FindingKind::AboveMax => "above_max",
            FindingKind::NotWhole => "not_whole",
            FindingKind::Rule(_) => "rule",
            FindingKind::ChangeVsLastYear => "change",
            FindingKind::FarFromPeers => "peers",
        }
    }
}

/// One problem with the answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The variable of the field the message belongs to; a rule's is its first variable.
    pub field: String,
    pub severity: Severity,
    pub kind: FindingKind,
    pub message_pl: String,
    pub message_en: String,
    /// A warning that a comment on the field resolves.
    pub needs_comment: bool,
    /// The field has that comment.
    pub resolved: bool,
}

impl Finding {
    /// Whether this finding stops a submission: an error, or a warning still unexplained.
    pub fn blocks(&self) -> bool {
        match self.severity {
            Severity::Error => true,
            Severity::Warning => self.needs_comment && !self.resolved,
        }
    }
}

/// How many times above or below the peer median a value with no last year's value to
/// compare with asks for a comment.
pub const PEER_FACTOR: f64 = 10.0;

/// Checks a unit's answers against the form. `submitting`: empty required fields are errors
/// (a draft may leave them). Entries for variables that are not fields of the form are
/// ignored; of two entries for one field the first counts. Findings come in the order of the
/// form's fields (a rule's under its first variable), each field's own before the rules'.
pub fn check(form: &FormDef, entries: &[Entry], ctx: &CheckContext, submitting: bool) -> Vec<Finding> {
    let mut by_var: HashMap<&str, &Entry> = HashMap::new();
    for e in entries {
        by_var.entry(e.variable.as_str()).or_insert(e);
    }
    let mut out = Vec::new();
    for field in &form.fields {
        check_field(form, field, by_var.get(field.variable.as_str()).copied(), ctx, submitting, &mut out);
    }
    let value_of = |v: &str| by_var.get(v).and_then(|e| e.value).filter(|x| x.is_finite());
    for (i, rule) in form.rules.iter().enumerate() {
        let Some(outcome) = rule.evaluate(&value_of) else { continue };
        if outcome.holds {
            continue;
        }
        let Some(anchor) = rule.variables.first() else { continue };
        let (l, r) = (outcome.left, outcome.right);
        out.push(Finding {
            field: anchor.clone(),
            severity: Severity::Error,
            kind: FindingKind::Rule(i),
            message_pl: format!(
                "{} (reguła {}: {} {} {} nie jest spełniona)",
                rule.message_pl,
                rule.check,
                num(l, Lang::Pl),
                rule.op.sign(),
                num(r, Lang::Pl)
            ),
            message_en: format!(
                "{} (rule {}: {} {} {} does not hold)",
                rule.message_en,
                rule.check,
                num(l, Lang::En),
                rule.op.sign(),
                num(r, Lang::En)
            ),
            needs_comment: false,
            resolved: false,
        });
    }
    let position: HashMap<&str, usize> = form.fields.iter().enumerate().map(|(i, f)| (f.variable.as_str(), i)).collect();
    out.sort_by_key(|f| position.get(f.field.as_str()).copied().unwrap_or(usize::MAX));
    out
}

/// Whether answers with these findings may be submitted: no error, every warning that needs
/// a comment has one.
pub fn can_submit(findings: &[Finding]) -> bool {
    !findings.iter().any(Finding::blocks)
}

fn check_field(form: &FormDef, field: &FieldDef, entry: Option<&Entry>, ctx: &CheckContext, submitting: bool, out: &mut Vec<Finding>) {
    let label = (field.label_pl.as_str(), field.label_en.as_str());
    let error = |kind: FindingKind, pl: String, en: String| Finding {
        field: field.variable.clone(),
        severity: Severity::Error,
        kind,
        message_pl: format!("{}: {pl}", label.0),
        message_en: format!("{}: {en}", label.1),
        needs_comment: false,
        resolved: false,
    };
    let value = entry.and_then(|e| e.value);
    let raw = entry.and_then(|e| e.raw.as_deref()).map(str::trim).filter(|r| !r.is_empty());
    let Some(v) = value.filter(|v| v.is_finite()) else {
        if let Some(raw) = raw.or(value.map(|_| "")) {
            let shown = excerpt(raw);
            out.push(error(
                FindingKind::NotANumber,
                format!("„{shown}” nie jest liczbą (wpisz na przykład 1234 albo 1 234,5)"),
                format!("“{shown}” is not a number (write, for example, 1234 or 1234.5)"),
            ));
        } else if submitting && field.required {
            out.push(error(FindingKind::Required, "pole wymagane — wpisz wartość".into(), "required — enter a value".into()));
        }
        return;
    };
    let (pl, en) = (num(v, Lang::Pl), num(v, Lang::En));
    if let Some(min) = field.min
        && v < min
    {
        out.push(error(
            FindingKind::BelowMin,
            format!("wartość {pl} jest mniejsza niż najmniejsza dopuszczalna, {}", num(min, Lang::Pl)),
            format!("{en} is below the smallest allowed value, {}", num(min, Lang::En)),
        ));
    }
    if let Some(max) = field.max
        && v > max
    {
        out.push(error(
            FindingKind::AboveMax,
            format!("wartość {pl} jest większa niż największa dopuszczalna, {}", num(max, Lang::Pl)),
            format!("{en} is above the largest allowed value, {}", num(max, Lang::En)),
        ));
    }
    if field.integer && v.fract() != 0.0 {
        out.push(error(FindingKind::NotWhole, format!("wartość {pl} musi być liczbą całkowitą"), format!("{en} must be a whole number")));
    }
    let resolved = entry.is_some_and(Entry::has_comment);
    let warning = |kind: FindingKind, pl: String, en: String| Finding {
        field: field.variable.clone(),
        severity: Severity::Warning,
        kind,
        message_pl: format!("{}: {pl}", label.0),
        message_en: format!("{}: {en}", label.1),
        needs_comment: true,
        resolved,
    };
    let threshold = form.change_threshold_of(field);
    if let Some(&last) = ctx.last_year.get(&field.variable).filter(|l| l.is_finite()) {
        let beyond = if last == 0.0 { v != 0.0 } else { ((v - last) / last).abs() > threshold + 1e-9 };
        if beyond {
            let t = percent(threshold * 100.0);
            let (change_pl, change_en) = if last == 0.0 {
                (format!("zmiana z 0 na {pl}"), format!("a change from 0 to {en}"))
            } else {
                let p = percent((v - last) / last.abs() * 100.0);
                (
                    format!("zmiana o {}\u{a0}% wobec ubiegłego roku ({})", signed(&p.0, v > last), num(last, Lang::Pl)),
                    format!("a change of {}% against last year ({})", signed(&p.1, v > last), num(last, Lang::En)),
                )
            };
            out.push(warning(
                FindingKind::ChangeVsLastYear,
                format!("{pl} to {change_pl}, więcej niż ±{}\u{a0}% — wyjaśnij ją w komentarzu", t.0),
                format!("{en} is {change_en}, more than ±{}% — explain it in a comment", t.1),
            ));
        }
    } else if let Some(&median) = ctx.peer_median.get(&field.variable).filter(|m| m.is_finite() && **m > 0.0)
        && v > 0.0
        && (v > median * PEER_FACTOR || v * PEER_FACTOR < median)
    {
        let (pl_way, en_way) = if v > median { ("większa", "above") } else { ("mniejsza", "below") };
        out.push(warning(
            FindingKind::FarFromPeers,
            format!(
                "wartość {pl} jest ponad {} razy {pl_way} od mediany podobnych jednostek ({}) — sprawdź jednostkę miary i wyjaśnij ją w komentarzu",
                num(PEER_FACTOR, Lang::Pl),
                num(median, Lang::Pl)
            ),
            format!(
                "{en} is more than {} times {en_way} the median of similar units ({}) — check the measure unit and explain it in a comment",
                num(PEER_FACTOR, Lang::En),
                num(median, Lang::En)
            ),
        ));
    }
}

/// Reads a number as people type it: `1234`, `1234.5`, `1234,5`, `1 234,5` (spaces, no-break
/// or narrow no-break spaces between groups of three), `1.234,5` and `1,234.5` (both marks:
/// the last is the decimal one), `-5` or `−5`. One mark alone is a decimal one, Polish first:
/// `1,234` and `1.234` are both 1.234. `None` for anything else, empty text included.
pub fn parse_number(raw: &str) -> Option<f64> {
    let s = raw.trim();
    let (negative, s) = match s.chars().next()? {
        '-' | '\u{2212}' => (true, s.trim_start_matches(['-', '\u{2212}'])),
        '+' => (false, &s[1..]),
        _ => (false, s),
    };
    let s = s.trim_start();
    if s.is_empty() || raw.trim().chars().filter(|c| matches!(c, '-' | '\u{2212}' | '+')).count() > 1 {
        return None;
    }
    let spaced = |c: char| matches!(c, ' ' | '\u{a0}' | '\u{202f}');
    let (commas, dots) = (s.matches(',').count(), s.matches('.').count());
    // The decimal mark: the last of two kinds, else a single one; a mark repeated is grouping.
    let decimal = match (commas, dots) {
        (0, 0) => None,
        (1, 0) => Some(','),
        (0, 1) => Some('.'),
        (c, d) if c > 0 && d > 0 => {
            let last = s.rfind([',', '.'])?;
            let mark = if s[last..].starts_with(',') { ',' } else { '.' };
            if s.matches(mark).count() > 1 {
                return None;
            }
            Some(mark)
        }
        _ => None,
    };
    let (int, frac) = match decimal {
        Some(m) => s.rsplit_once(m)?,
        None => (s, ""),
    };
    if !frac.chars().all(|c| c.is_ascii_digit()) || (decimal.is_some() && frac.is_empty()) {
        return None;
    }
    // The whole part: digits in groups of three after the first, split by one kind of mark.
    let group_marks: Vec<char> = int.chars().filter(|c| !c.is_ascii_digit()).collect();
    let digits: String = if group_marks.is_empty() {
        int.to_owned()
    } else {
        let first = group_marks[0];
        let same_kind = |c: char| if spaced(first) { spaced(c) } else { c == first };
        if !group_marks.iter().all(|c| same_kind(*c)) || !(spaced(first) || matches!(first, ',' | '.')) {
            return None;
        }
        let groups: Vec<&str> = int.split(|c: char| !c.is_ascii_digit()).collect();
        let first_ok = groups.first().is_some_and(|g| (1..=3).contains(&g.len()));
        if !first_ok || !groups[1..].iter().all(|g| g.len() == 3) {
            return None;
        }
        groups.concat()
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let text = if frac.is_empty() { digits } else { format!("{digits}.{frac}") };
    let v: f64 = text.parse().ok()?;
    let v = if negative { -v } else { v };
    v.is_finite().then_some(v)
}

#[derive(Clone, Copy)]
enum Lang {
    Pl,
    En,
}

/// A number for a message: up to six decimals as needed, groups of three (no-break space and
/// decimal comma in Polish, comma and point in English).
fn num(v: f64, lang: Lang) -> String {
    let (group, point) = match lang {
        Lang::Pl => ('\u{a0}', ','),
        Lang::En => (',', '.'),
    };
    let s = format!("{:.6}", v.abs());
    let s = s.trim_end_matches('0').trim_end_matches('.');
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut out = String::with_capacity(s.len() + 8);
    if v < 0.0 && s.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        out.push('\u{2212}');
    }
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    out
}

/// A percentage, one decimal at most, in both languages; its sign left off.
fn percent(p: f64) -> (String, String) {
    let r = (p.abs() * 10.0).round() / 10.0;
    (num(r, Lang::Pl), num(r, Lang::En))
}

fn signed(p: &str, up: bool) -> String {
    format!("{}{p}", if up { '+' } else { '\u{2212}' })
}

/// At most 60 characters of what was typed.
fn excerpt(raw: &str) -> String {
    let mut s: String = raw.chars().take(60).collect();
    if raw.chars().nth(60).is_some() {
        s.push('…');
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    const FORM: &str = r#"[form]
code = "t"
title_pl = "Test"
title_en = "Test"
change_threshold = 0.3

[[field]]
variable = "uczniowie"
label_pl = "Uczniowie"
label_en = "Pupils"
required = true
min = 0
max = 100000
integer = true

[[field]]
variable = "oddzialy"
label_pl = "Oddziały"
label_en = "Classes"
required = true
integer = true
change_threshold = 0.1

[[field]]
variable = "wydatki"
label_pl = "Wydatki"
label_en = "Expenditure"

[[rule]]
check = "oddzialy <= uczniowie"
message_pl = "Oddziałów więcej niż uczniów"
message_en = "More classes than pupils"
"#;

    fn form() -> FormDef {
        ingest::form::parse_form(FORM, "t.toml").unwrap()
    }

    fn e(variable: &str, text: &str) -> Entry {
        Entry::typed(variable, text, None)
    }

    fn kinds(f: &[Finding]) -> Vec<(&str, FindingKind)> {
        f.iter().map(|x| (x.field.as_str(), x.kind)).collect()
    }

    #[test]
    fn polish_and_english_numbers_are_read() {
        for (raw, want) in [
            ("1234", Some(1234.0)),
            ("1234.5", Some(1234.5)),
            ("1234,5", Some(1234.5)),
            ("1 234,5", Some(1234.5)),
            ("1\u{a0}234", Some(1234.0)),
            ("1\u{202f}234\u{202f}567,25", Some(1_234_567.25)),
            ("1.234,5", Some(1234.5)),
            ("1,234.5", Some(1234.5)),
            ("1.234.567", Some(1_234_567.0)),
            (" -12,5 ", Some(-12.5)),
            ("\u{2212}3", Some(-3.0)),
            ("+7", Some(7.0)),
            ("0,5", Some(0.5)),
            ("", None),
            ("  ", None),
            ("abc", None),
            ("12 34", None),
            ("1 2345", None),
            ("1,2,3", None),
            ("1.2.3,4.5", None),
            ("1,234,5", None),
            ("5,", None),
            ("--5", None),
            ("5-", None),
            ("1e5", None),
            ("NaN", None),
            ("inf", None),
            ("12 %", None),
            ("1 234.567,1", None),
        ] {
            assert_eq!(parse_number(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn typed_entries_keep_what_is_not_a_number() {
        assert_eq!(Entry::typed("a", " 1 234,5 ", Some("  ")), Entry { variable: "a".into(), value: Some(1234.5), raw: None, comment: None });
        assert_eq!(Entry::typed("a", "dużo", Some("bo tak")).raw.as_deref(), Some("dużo"));
        assert_eq!(Entry::typed("a", "", None), Entry { variable: "a".into(), ..Entry::default() });
    }

    #[test]
    fn required_fields_only_when_submitting() {
        let f = form();
        let entries = [e("uczniowie", "")];
        let draft = check(&f, &entries, &CheckContext::default(), false);
        assert!(draft.is_empty(), "{draft:?}");
        assert!(can_submit(&draft));
        let sub = check(&f, &entries, &CheckContext::default(), true);
        assert_eq!(kinds(&sub), [("uczniowie", FindingKind::Required), ("oddzialy", FindingKind::Required)]);
        assert!(sub[0].message_pl.starts_with("Uczniowie: ") && sub[0].message_en.starts_with("Pupils: "), "{sub:?}");
        assert!(!can_submit(&sub));
    }

    #[test]
    fn limits_whole_numbers_and_text_are_errors_naming_label_limit_and_value() {
        let f = form();
        let entries = [e("uczniowie", "100 001,5"), e("oddzialy", "dwa"), e("wydatki", "-3")];
        let found = check(&f, &entries, &CheckContext::default(), false);
        assert_eq!(
            kinds(&found),
            [("uczniowie", FindingKind::AboveMax), ("uczniowie", FindingKind::NotWhole), ("oddzialy", FindingKind::NotANumber)]
        );
        assert!(found.iter().all(|x| x.severity == Severity::Error && !x.needs_comment));
        assert_eq!(found[0].message_pl, "Uczniowie: wartość 100\u{a0}001,5 jest większa niż największa dopuszczalna, 100\u{a0}000");
        assert_eq!(found[0].message_en, "Pupils: 100,001.5 is above the largest allowed value, 100,000");
        assert!(found[2].message_pl.contains("„dwa”") && found[2].message_en.contains("“dwa”"), "{:?}", found[2]);
        let below = check(&f, &[e("uczniowie", "-1")], &CheckContext::default(), false);
        assert_eq!(kinds(&below), [("uczniowie", FindingKind::BelowMin)]);
        assert!(below[0].message_pl.contains("−1") && below[0].message_pl.contains("najmniejsza dopuszczalna, 0"), "{below:?}");
        assert!(!can_submit(&found));
    }

    #[test]
    fn rules_are_checked_when_both_sides_have_values() {
        let f = form();
        let found = check(&f, &[e("uczniowie", "10"), e("oddzialy", "12")], &CheckContext::default(), true);
        assert_eq!(kinds(&found), [("oddzialy", FindingKind::Rule(0))]);
        assert_eq!(found[0].severity, Severity::Error);
        assert!(found[0].message_pl.starts_with("Oddziałów więcej niż uczniów") && found[0].message_pl.contains("12 ≤ 10"), "{found:?}");
        assert!(found[0].message_en.contains("does not hold"), "{found:?}");
        // A side without a value: the rule is not checked (the required field is what fails).
        let found = check(&f, &[e("oddzialy", "12")], &CheckContext::default(), true);
        assert_eq!(kinds(&found), [("uczniowie", FindingKind::Required)]);
        assert!(check(&f, &[e("uczniowie", "12"), e("oddzialy", "12")], &CheckContext::default(), true).is_empty());
    }

    #[test]
    fn a_change_beyond_the_threshold_needs_a_comment() {
        let f = form();
        let ctx = CheckContext {
            last_year: [("uczniowie".to_owned(), 100.0), ("oddzialy".to_owned(), 10.0), ("wydatki".to_owned(), 0.0)].into(),
            ..CheckContext::default()
        };
        // +30 % is within ±30 %; classes +20 % is past the field's own ±10 %; 0 → 5 is a change.
        let entries = [e("uczniowie", "130"), e("oddzialy", "12"), e("wydatki", "5")];
        let found = check(&f, &entries, &ctx, true);
        assert_eq!(kinds(&found), [("oddzialy", FindingKind::ChangeVsLastYear), ("wydatki", FindingKind::ChangeVsLastYear)]);
        assert!(found.iter().all(|x| x.severity == Severity::Warning && x.needs_comment && !x.resolved));
        assert_eq!(
            found[0].message_pl,
            "Oddziały: 12 to zmiana o +20\u{a0}% wobec ubiegłego roku (10), więcej niż ±10\u{a0}% — wyjaśnij ją w komentarzu"
        );
        assert_eq!(found[0].message_en, "Classes: 12 is a change of +20% against last year (10), more than ±10% — explain it in a comment");
        assert!(found[1].message_pl.contains("zmiana z 0 na 5"), "{:?}", found[1]);
        assert!(!can_submit(&found));
        // -31 % of pupils is past ±30 %.
        let down = check(&f, &[e("uczniowie", "69")], &ctx, false);
        assert_eq!(kinds(&down), [("uczniowie", FindingKind::ChangeVsLastYear)]);
        assert!(down[0].message_en.contains("−31%"), "{down:?}");
        // Comments resolve the warnings.
        let explained =
            [e("uczniowie", "130"), Entry::typed("oddzialy", "12", Some("nowa szkoła")), Entry::typed("wydatki", "5", Some("pierwszy rok"))];
        let found = check(&f, &explained, &ctx, true);
        assert_eq!(found.len(), 2);
        assert!(found.iter().all(|x| x.resolved));
        assert!(can_submit(&found));
    }

    #[test]
    fn far_from_peers_asks_only_without_last_year() {
        let f = form();
        let mut ctx = CheckContext { peer_median: [("wydatki".to_owned(), 1000.0)].into(), ..CheckContext::default() };
        let found = check(&f, &[e("wydatki", "10001")], &ctx, false);
        assert_eq!(kinds(&found), [("wydatki", FindingKind::FarFromPeers)]);
        assert!(found[0].message_pl.contains("większa") && found[0].message_en.contains("above"), "{found:?}");
        assert_eq!(kinds(&check(&f, &[e("wydatki", "99")], &ctx, false)), [("wydatki", FindingKind::FarFromPeers)]);
        assert!(check(&f, &[e("wydatki", "9999")], &ctx, false).is_empty());
        ctx.last_year.insert("wydatki".into(), 10000.0);
        assert!(check(&f, &[e("wydatki", "10001")], &ctx, false).is_empty());
    }

    #[test]
    fn entries_outside_the_form_are_ignored_and_the_first_counts() {
        let f = form();
        let found = check(&f, &[e("obce", "x"), e("uczniowie", "5"), e("uczniowie", "x")], &CheckContext::default(), false);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn numbers_in_messages_follow_the_language() {
        assert_eq!(num(1234567.25, Lang::Pl), "1\u{a0}234\u{a0}567,25");
        assert_eq!(num(1234567.25, Lang::En), "1,234,567.25");
        assert_eq!(num(-0.5, Lang::En), "−0.5");
        assert_eq!(num(-0.0000001, Lang::Pl), "0");
        assert_eq!(num(100.0, Lang::Pl), "100");
    }
}
