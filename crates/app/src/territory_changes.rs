//! The shipped registry of territorial changes (`catalogue/territory_changes.csv`): the
//! changes the TERC states cannot tell — code and kind changes before the oldest state the
//! README imports, gminy merged into others, splits and boundary changes that keep a code.
//! Embedded in the binary, parsed once.

use std::sync::OnceLock;

use model::{Date, TerytCode};

/// The registry as shipped.
const REGISTRY: &str = include_str!("../../../catalogue/territory_changes.csv");

/// What happened to a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeKind {
    /// The same JST got a new RODZ digit (e.g. a gmina miejska became miejsko-wiejska).
    KindChange,
    /// The same JST got a new code.
    CodeChange,
    /// The territory changed, the code stayed.
    Boundary,
    /// The unit ceased; its territory went to `successor`.
    Merged,
    /// A part of `code` became the new unit `successor`.
    Split,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 5] = [ChangeKind::KindChange, ChangeKind::CodeChange, ChangeKind::Boundary, ChangeKind::Merged, ChangeKind::Split];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::KindChange => "kind_change",
            ChangeKind::CodeChange => "code_change",
            ChangeKind::Boundary => "boundary",
            ChangeKind::Merged => "merged",
            ChangeKind::Split => "split",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ChangeKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// Whether the change alters a territory (rather than only a code).
    pub fn alters_territory(self) -> bool {
        matches!(self, ChangeKind::Boundary | ChangeKind::Merged | ChangeKind::Split)
    }

    /// Whether the change keeps the same JST under another code.
    pub fn same_jst(self) -> bool {
        matches!(self, ChangeKind::KindChange | ChangeKind::CodeChange)
    }
}

/// One row of the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerritoryChange {
    /// The day the change took effect (usually 1 January).
    pub date: Date,
    pub kind: ChangeKind,
    /// The code the change is about: 7 digits for a gmina, 4 for a powiat, 2 for a
    /// województwo (as `TerytCode` parses them).
    pub code: String,
    /// The unit that continues (kind/code change), takes the territory (merged) or was
    /// carved out (split).
    pub successor: Option<String>,
    pub name: String,
    /// The file and the evidence the row rests on.
    pub source: String,
}

/// The registry, parsed once. A registry that does not parse is a build defect caught by
/// the unit tests; at run time its bad rows are left out (never a panic).
pub fn registry() -> &'static [TerritoryChange] {
    static PARSED: OnceLock<Vec<TerritoryChange>> = OnceLock::new();
    PARSED.get_or_init(|| parse_registry(REGISTRY).map(|(rows, _)| rows).unwrap_or_default())
}

/// True when the territory of any of `codes` changed between the year `from_year` and the
/// year `to_year` — a change of kind boundary, merged or split (of the code or of its
/// successor) took effect on a date `d` with `from_year < year(d) <= to_year`. The
/// territory of year Y is the territory on 31 XII Y, so a change on 2025-01-01 separates
/// 2024 from 2025. The years may be given in either order.
pub fn territory_changed(codes: &[&str], from_year: i32, to_year: i32) -> bool {
    let (lo, hi) = if from_year <= to_year { (from_year, to_year) } else { (to_year, from_year) };
    registry().iter().any(|c| {
        c.kind.alters_territory()
            && lo < c.date.year()
            && c.date.year() <= hi
            && codes.iter().any(|code| {
                let code = code.trim();
                c.code == code || c.successor.as_deref() == Some(code)
            })
    })
}

/// The same-JST successor of an old code (kind or code change), with the date the old code
/// ended: the registry's answer to "which current unit continues this code?".
pub fn successor_of(code: &str) -> Option<(&'static str, Date)> {
    registry().iter().find(|c| c.kind.same_jst() && c.code == code).and_then(|c| c.successor.as_deref().map(|s| (s, c.date)))
}

/// The date a unit ceased (merged into another), if the registry says so.
pub fn ceased(code: &str) -> Option<Date> {
    registry().iter().filter(|c| c.kind == ChangeKind::Merged && c.code == code).map(|c| c.date).min()
}

/// Splits one CSV line into fields; `"` quotes a field, `""` inside quotes is a quote.
fn split_fields(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(ch) = chars.next() {
        if quoted {
            if ch == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(ch);
            }
        } else if ch == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if ch == ',' {
            out.push(std::mem::take(&mut field));
            at_start = true;
        } else {
            field.push(ch);
            at_start = false;
        }
    }
    if quoted {
        return Err("a quoted field is not closed".to_owned());
    }
    out.push(field);
    Ok(out)
}

const HEADER: [&str; 6] = ["date", "kind", "code", "successor", "name", "source"];

fn valid_code(field: &str, s: &str) -> Result<String, String> {
    let t = s.trim();
    let code = TerytCode::parse(t).map_err(|e| format!("field `{field}`: {e}"))?;
    if code.as_str() != t || t == "PL" {
        return Err(format!("field `{field}`: `{t}` is not a 2-, 4- or 7-digit TERYT code"));
    }
    Ok(t.to_owned())
}

/// Parses the registry text: `#` comment lines at the top, a header, then rows. Returns the
/// rows and the number of comment lines, or the first error with its line number.
pub(crate) fn parse_registry(text: &str) -> Result<(Vec<TerritoryChange>, usize), String> {
    let mut rows = Vec::new();
    let mut comments = 0usize;
    let mut header_seen = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if !header_seen && line.starts_with('#') {
            comments += 1;
            continue;
        }
        let fields = split_fields(line).map_err(|e| format!("territory_changes.csv line {n}: {e}"))?;
        if !header_seen {
            if fields.iter().map(|f| f.trim()).ne(HEADER) {
                return Err(format!("territory_changes.csv line {n}: the header must be `{}`", HEADER.join(",")));
            }
            header_seen = true;
            continue;
        }
        if fields.len() != HEADER.len() {
            return Err(format!("territory_changes.csv line {n}: {} fields, expected {}", fields.len(), HEADER.len()));
        }
        let err = |m: String| format!("territory_changes.csv line {n}: {m}");
        let date = model::parse_date(&fields[0]).ok_or_else(|| err(format!("field `date`: `{}` is not an ISO date", fields[0].trim())))?;
        let kind = ChangeKind::parse(&fields[1]).ok_or_else(|| {
            err(format!(
                "field `kind`: `{}` is not one of {}",
                fields[1].trim(),
                ChangeKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })?;
        let code = valid_code("code", &fields[2]).map_err(err)?;
        let successor = match fields[3].trim() {
            "" => None,
            s => Some(valid_code("successor", s).map_err(err)?),
        };
        if successor.is_none() && kind != ChangeKind::Boundary {
            return Err(err(format!("field `successor`: a `{}` row names its successor", kind.as_str())));
        }
        if successor.as_deref() == Some(code.as_str()) {
            return Err(err("field `successor`: the successor is the code itself".to_owned()));
        }
        let name = fields[4].trim().to_owned();
        let source = fields[5].trim().to_owned();
        if name.is_empty() {
            return Err(err("field `name` is empty".to_owned()));
        }
        if source.is_empty() {
            return Err(err("field `source` is empty".to_owned()));
        }
        rows.push(TerritoryChange { date, kind, code, successor, name, source });
    }
    if !header_seen {
        return Err("territory_changes.csv has no header".to_owned());
    }
    Ok((rows, comments))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_registry_parses_completely() {
        let (rows, comments) = parse_registry(REGISTRY).unwrap_or_else(|e| panic!("{e}"));
        assert!(comments > 0, "the registry names its method and sources in a header comment");
        let data_lines = REGISTRY.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).count() - 1;
        assert_eq!(rows.len(), data_lines, "every row parses");
        assert_eq!(registry().len(), rows.len());
    }

    #[test]
    fn registry_rows_are_consistent() {
        let rows = registry();
        let mut seen = std::collections::HashSet::new();
        for r in rows {
            assert!(seen.insert((r.date, r.kind, r.code.clone(), r.successor.clone())), "duplicate row {r:?}");
            assert!((1999..=2030).contains(&r.date.year()), "date out of range: {r:?}");
            if r.kind.same_jst() {
                let s = r.successor.as_deref().unwrap_or_default();
                assert_eq!(s.len(), r.code.len(), "a code change keeps the level: {r:?}");
                if r.kind == ChangeKind::KindChange {
                    assert_eq!(&s[..6], &r.code[..6], "a kind change keeps WWPPGG: {r:?}");
                }
            }
        }
        // Rows are in date order (then by code), so a reader sees the history as it went.
        let keys: Vec<_> = rows.iter().map(|r| (r.date, r.code.clone())).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "rows are ordered by date, then code");
        // A code never continues as two different units.
        for r in rows.iter().filter(|r| r.kind.same_jst()) {
            let n = rows.iter().filter(|o| o.kind.same_jst() && o.code == r.code).count();
            assert_eq!(n, 1, "{} has {n} same-JST successors", r.code);
            assert!(!rows.iter().any(|o| o.kind == ChangeKind::Merged && o.code == r.code), "{} both continues and ceased", r.code);
        }
    }

    #[test]
    fn bad_rows_are_refused_with_their_line() {
        let head = "# c\ndate,kind,code,successor,name,source\n";
        for (row, want) in [
            ("2025-13-01,split,1207052,1207132,x,y", "date"),
            ("2025-01-01,moved,1207052,1207132,x,y", "kind"),
            ("2025-01-01,split,1207056,1207132,x,y", "code"),
            ("2025-01-01,split,1207052,,x,y", "successor"),
            ("2025-01-01,split,1207052,1207132,x,", "source"),
            ("2025-01-01,split,1207052,1207132,x", "fields"),
            ("2025-01-01,split,1207052,1207132,x,\"y", "quoted"),
        ] {
            let e = parse_registry(&format!("{head}{row}\n")).expect_err(row);
            assert!(e.contains("line 3") && e.contains(want), "{row}: {e}");
        }
        let (rows, _) = parse_registry(&format!("{head}2025-01-01,boundary,1207,,\"a, b\",\"say \"\"x\"\"\"\n")).expect("quoted");
        assert_eq!(rows[0].name, "a, b");
        assert_eq!(rows[0].source, "say \"x\"");
        assert_eq!(rows[0].successor, None);
    }

    #[test]
    fn a_change_on_new_year_separates_the_years_around_it() {
        // Szczawa was carved out of Kamienica on 2025-01-01 (TERC 2024 → 2025).
        assert!(territory_changed(&["1207052"], 2024, 2025));
        assert!(territory_changed(&["1207132"], 2024, 2025), "the successor's territory changed too");
        assert!(territory_changed(&["1207052"], 2025, 2024), "either order");
        assert!(!territory_changed(&["1207052"], 2025, 2026));
        assert!(!territory_changed(&["1207052"], 2023, 2024));
        assert!(!territory_changed(&["1207052"], 2024, 2024));
        assert!(!territory_changed(&["1207"], 2024, 2025), "a split inside a powiat leaves the powiat alone");
        assert!(territory_changed(&["0000000", "2002093"], 2020, 2025));
        // Opole took in parts of four gminy on 2017-01-01; the powiaty of both sides changed.
        for code in ["1661011", "1661", "1609032", "1609"] {
            assert!(territory_changed(&[code], 2016, 2017), "{code}");
            assert!(!territory_changed(&[code], 2017, 2018), "{code}");
        }
        // A kind change alone leaves the territory as it was.
        assert!(!territory_changed(&["0202031", "0202033"], 2015, 2016));
        assert_eq!(successor_of("0202031"), Some(("0202033", model::new_year(2016).expect("date"))));
        assert_eq!(ceased("3203042"), model::new_year(2019));
    }
}
