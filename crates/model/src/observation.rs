//! Variables, years, values and their flags: the parts of an observation.

use std::fmt;

use crate::code::TerytCode;

/// The code of a variable (a raw data series), usable in indicator formulas:
/// a letter or `_`, then letters, digits or `_`; at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VariableCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VariableCodeError {
    #[error("variable code is empty")]
    Empty,
    #[error("variable code `{0}` is longer than 64 characters")]
    TooLong(String),
    #[error("variable code `{0}` must start with a letter or `_` and contain only ASCII letters, digits and `_`")]
    Chars(String),
}

impl VariableCode {
    pub fn parse(s: &str) -> Result<Self, VariableCodeError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(VariableCodeError::Empty);
        }
        if s.len() > 64 {
            return Err(VariableCodeError::TooLong(s.to_owned()));
        }
        let mut bytes = s.bytes();
        let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
        if !first_ok || !bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(VariableCodeError::Chars(s.to_owned()));
        }
        Ok(VariableCode(s.to_owned()))
    }

    /// Makes a valid code out of free text: ASCII-folded, lower case, runs of other
    /// characters replaced by `_`, a leading `v_` if it would start with a digit.
    pub fn slug(text: &str) -> Self {
        let folded = crate::fold(text);
        let mut out = String::with_capacity(folded.len());
        for ch in folded.chars() {
            if ch.is_ascii_alphanumeric() {
                out.push(ch);
            } else if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
        }
        while out.ends_with('_') {
            out.pop();
        }
        if out.is_empty() || out.as_bytes()[0].is_ascii_digit() {
            out.insert_str(0, "v_");
        }
        out.truncate(64);
        while out.ends_with('_') {
            out.pop();
        }
        VariableCode(out)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VariableCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A reference year of an observation, 1900–2100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Year(i16);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("year `{0}` is not a whole number from 1900 to 2100")]
pub struct YearError(pub String);

impl Year {
    pub const MIN: i16 = 1900;
    pub const MAX: i16 = 2100;

    pub fn parse(s: &str) -> Result<Self, YearError> {
        let t = s.trim();
        t.parse::<i16>().ok().and_then(Year::new).ok_or_else(|| YearError(t.to_owned()))
    }

    pub fn new(y: i16) -> Option<Self> {
        (Self::MIN..=Self::MAX).contains(&y).then_some(Year(y))
    }

    pub fn get(self) -> i16 {
        self.0
    }
}

impl fmt::Display for Year {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The status of an observed value. "Confidential" is not "did not occur" is not "missing":
/// the portal and the statistics treat each differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flag {
    /// A final value.
    Final,
    /// A preliminary value that may still be revised.
    Preliminary,
    /// An estimate.
    Estimated,
    /// Suppressed for statistical confidentiality; no value is published.
    Confidential,
    /// The phenomenon did not occur (a true zero or not applicable).
    NotOccurred,
    /// No data.
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown flag `{0}`; valid: final, preliminary, estimated, confidential, not_occurred, missing")]
pub struct FlagError(pub String);

impl Flag {
    pub const ALL: [Flag; 6] = [Flag::Final, Flag::Preliminary, Flag::Estimated, Flag::Confidential, Flag::NotOccurred, Flag::Missing];

    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Final => "final",
            Flag::Preliminary => "preliminary",
            Flag::Estimated => "estimated",
            Flag::Confidential => "confidential",
            Flag::NotOccurred => "not_occurred",
            Flag::Missing => "missing",
        }
    }

    /// Parses a flag name; an empty text is `final`.
    pub fn parse(s: &str) -> Result<Self, FlagError> {
        let t = s.trim();
        if t.is_empty() {
            return Ok(Flag::Final);
        }
        Flag::ALL.into_iter().find(|f| f.as_str().eq_ignore_ascii_case(t)).ok_or_else(|| FlagError(t.to_owned()))
    }

    /// A small stable number for storage.
    pub fn to_i16(self) -> i16 {
        match self {
            Flag::Final => 0,
            Flag::Preliminary => 1,
            Flag::Estimated => 2,
            Flag::Confidential => 3,
            Flag::NotOccurred => 4,
            Flag::Missing => 5,
        }
    }

    pub fn from_i16(n: i16) -> Option<Self> {
        Flag::ALL.into_iter().find(|f| f.to_i16() == n)
    }

    /// Whether a value must accompany this flag (final, preliminary, estimated).
    pub fn carries_value(self) -> bool {
        matches!(self, Flag::Final | Flag::Preliminary | Flag::Estimated)
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A finite number. Parsing accepts a decimal point or a decimal comma and spaces
/// (also non-breaking) as thousands separators: `1 234,5`, `1234.5`, `-3e2`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Value(f64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("value is empty")]
    Empty,
    #[error("value `{0}` is not a number")]
    NotANumber(String),
    #[error("value `{0}` mixes a decimal comma and a decimal point")]
    Ambiguous(String),
    #[error("value `{0}` is not finite")]
    NotFinite(String),
}

impl Value {
    pub fn new(v: f64) -> Option<Self> {
        v.is_finite().then_some(Value(v))
    }

    pub fn get(self) -> f64 {
        self.0
    }

    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(ValueError::Empty);
        }
        let simple = t.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
        let parsed = if simple {
            t.parse::<f64>()
        } else {
            let has_comma = t.contains(',');
            if has_comma && t.contains('.') {
                return Err(ValueError::Ambiguous(t.to_owned()));
            }
            let cleaned: String = t.chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}')).map(|c| if c == ',' { '.' } else { c }).collect();
            if !cleaned.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) {
                return Err(ValueError::NotANumber(t.to_owned()));
            }
            cleaned.parse::<f64>()
        };
        // Rust also reads "inf" and "NaN", but those never pass the character filter above.
        let v = parsed.map_err(|_| ValueError::NotANumber(t.to_owned()))?;
        Value::new(v).ok_or_else(|| ValueError::NotFinite(t.to_owned()))
    }
}

/// One value of one variable for one unit and year.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub unit: TerytCode,
    pub variable: VariableCode,
    pub year: Year,
    /// `None` only with a flag that carries no value (confidential, not occurred, missing).
    pub value: Option<Value>,
    pub flag: Flag,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_value(input: &str, expected: Result<f64, &str>) {
        match (Value::parse(input), expected) {
            (Ok(v), Ok(e)) => assert_eq!(v.get(), e, "{input:?}"),
            (Err(err), Err(fragment)) => {
                assert!(err.to_string().contains(fragment), "{input:?}: {err}")
            }
            (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn values_parse_in_polish_and_english_notation() {
        check_value("2165,84", Ok(2165.84));
        check_value("1 234,5", Ok(1234.5));
        check_value("1\u{a0}234", Ok(1234.0));
        check_value("-3e2", Ok(-300.0));
        check_value(" 42 ", Ok(42.0));
        check_value("", Err("empty"));
        check_value("12abc", Err("not a number"));
        check_value("1.234,5", Err("mixes"));
        check_value("NaN", Err("not a number"));
        check_value("inf", Err("not a number"));
        check_value("1e999", Err("not finite"));
    }

    #[test]
    fn variable_codes_are_identifiers() {
        assert!(VariableCode::parse("ludnosc_ogolem").is_ok());
        assert!(VariableCode::parse("_x1").is_ok());
        assert!(VariableCode::parse("1x").is_err());
        assert!(VariableCode::parse("ludność").is_err());
        assert_eq!(VariableCode::slug("P2137 ogółem; 70 i więcej").as_str(), "p2137_ogolem_70_i_wiecej");
        assert_eq!(VariableCode::slug("70 lat").as_str(), "v_70_lat");
    }

    #[test]
    fn years_and_flags_validate() {
        assert_eq!(Year::parse("2020").map(Year::get), Ok(2020));
        assert!(Year::parse("20").is_err());
        assert!(Year::parse("2020.5").is_err());
        assert_eq!(Flag::parse(""), Ok(Flag::Final));
        assert_eq!(Flag::parse("Confidential"), Ok(Flag::Confidential));
        assert!(Flag::parse("maybe").is_err());
        for f in Flag::ALL {
            assert_eq!(Flag::from_i16(f.to_i16()), Some(f));
        }
    }
}
