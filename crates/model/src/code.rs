//! TERYT codes of territorial units, validated, and the level they name.

use std::fmt;

/// The level of the territorial division a code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    Kraj,
    Wojewodztwo,
    Powiat,
    /// Gminy and their statistical parts (RODZ 4/5) and districts (RODZ 8/9).
    Gmina,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Kraj => "kraj",
            Level::Wojewodztwo => "wojewodztwo",
            Level::Powiat => "powiat",
            Level::Gmina => "gmina",
        }
    }
}

/// A TERYT code: `PL` for the country, 2 digits (województwo), 4 digits (powiat) or
/// 7 digits (gmina or its part, including the RODZ digit).
///
/// BDL's 7-digit notation (`0200000` województwo, `0201000` powiat, `0000000` Poland) is
/// accepted by [`TerytCode::parse_lenient`] and turned into the canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TerytCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("TERYT code is empty")]
    Empty,
    #[error("TERYT code `{0}` must have 2, 4 or 7 digits (or be `PL`)")]
    Length(String),
    #[error("TERYT code `{0}` may contain digits only")]
    NotDigits(String),
    #[error("TERYT code `{0}` has an odd województwo number (they are 02, 04, …, 32)")]
    Wojewodztwo(String),
    #[error("TERYT code `{0}` has RODZ digit `{1}`; valid are 1, 2, 3, 4, 5, 8, 9")]
    Rodz(String, char),
    #[error("TERYT code `{0}` has a zero powiat or gmina number")]
    ZeroPart(String),
}

impl TerytCode {
    /// The country, Poland.
    pub fn country() -> Self {
        TerytCode("PL".to_owned())
    }

    /// Parses a canonical code: `PL`, `WW`, `WWPP` or `WWPPGGR`.
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(CodeError::Empty);
        }
        if s.eq_ignore_ascii_case("PL") {
            return Ok(Self::country());
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::NotDigits(s.to_owned()));
        }
        if !matches!(s.len(), 2 | 4 | 7) {
            return Err(CodeError::Length(s.to_owned()));
        }
        let b = s.as_bytes();
        let woj = (b[0] - b'0') * 10 + (b[1] - b'0');
        if woj == 0 || woj > 32 || woj % 2 == 1 {
            return Err(CodeError::Wojewodztwo(s.to_owned()));
        }
        if s.len() >= 4 && &s[2..4] == "00" {
            return Err(CodeError::ZeroPart(s.to_owned()));
        }
        if s.len() == 7 {
            if &s[4..6] == "00" {
                return Err(CodeError::ZeroPart(s.to_owned()));
            }
            let r = char::from(b[6]);
            if !matches!(r, '1' | '2' | '3' | '4' | '5' | '8' | '9') {
                return Err(CodeError::Rodz(s.to_owned(), r));
            }
        }
        Ok(TerytCode(s.to_owned()))
    }

    /// Parses a canonical code or BDL's padded 7-digit notation (`0000000` → `PL`,
    /// `0200000` → `02`, `0201000` → `0201`).
    pub fn parse_lenient(s: &str) -> Result<Self, CodeError> {
        let t = s.trim();
        if t.len() == 7 && t.bytes().all(|b| b.is_ascii_digit()) {
            if t == "0000000" {
                return Ok(Self::country());
            }
            if &t[2..] == "00000" {
                return Self::parse(&t[..2]);
            }
            if &t[4..] == "000" {
                return Self::parse(&t[..4]);
            }
        }
        Self::parse(t)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        match self.0.len() {
            2 if self.0 != "PL" => Level::Wojewodztwo,
            4 => Level::Powiat,
            7 => Level::Gmina,
            _ => Level::Kraj,
        }
    }

    /// The RODZ digit of a 7-digit code.
    pub fn rodz(&self) -> Option<char> {
        (self.0.len() == 7).then(|| char::from(self.0.as_bytes()[6]))
    }

    /// The code of the województwo this unit lies in (itself for a województwo).
    pub fn wojewodztwo(&self) -> Option<TerytCode> {
        (self.level() != Level::Kraj).then(|| TerytCode(self.0[..2].to_owned()))
    }

    /// The code of the powiat this unit lies in (itself for a powiat).
    pub fn powiat(&self) -> Option<TerytCode> {
        (self.0.len() >= 4).then(|| TerytCode(self.0[..4].to_owned()))
    }

    /// `WWPPGG`: the part of a gmina code that survives a change of its kind (RODZ).
    pub fn gmina_base(&self) -> Option<&str> {
        (self.0.len() == 7).then(|| &self.0[..6])
    }

    /// The same gmina base with another RODZ digit.
    pub fn with_rodz(&self, rodz: char) -> Option<TerytCode> {
        let base = self.gmina_base()?;
        TerytCode::parse(&format!("{base}{rodz}")).ok()
    }
}

impl fmt::Display for TerytCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, &str>) {
        let got = TerytCode::parse_lenient(input).map(|c| c.as_str().to_owned()).map_err(|e| e.to_string());
        match expected {
            Ok(code) => assert_eq!(got, Ok(code.to_owned()), "input {input:?}"),
            Err(fragment) => {
                let err = got.expect_err(input);
                assert!(err.contains(fragment), "{input:?}: {err} lacks {fragment}");
            }
        }
    }

    #[test]
    fn canonical_and_bdl_codes_parse() {
        check("02", Ok("02"));
        check("0201", Ok("0201"));
        check("0201011", Ok("0201011"));
        check(" 1465011 ", Ok("1465011"));
        check("0000000", Ok("PL"));
        check("pl", Ok("PL"));
        check("0200000", Ok("02"));
        check("1465000", Ok("1465"));
    }

    #[test]
    fn malformed_codes_say_why() {
        check("", Err("empty"));
        check("02a1", Err("digits only"));
        check("123", Err("2, 4 or 7"));
        check("03", Err("odd"));
        check("0201016", Err("RODZ"));
        check("0200011", Err("zero"));
    }

    #[test]
    fn code_parts_are_derived() {
        let c = TerytCode::parse("0614052").expect("valid");
        assert_eq!(c.level(), Level::Gmina);
        assert_eq!(c.rodz(), Some('2'));
        assert_eq!(c.gmina_base(), Some("061405"));
        assert_eq!(c.powiat().map(|p| p.0), Some("0614".to_owned()));
        assert_eq!(c.wojewodztwo().map(|p| p.0), Some("06".to_owned()));
        assert_eq!(c.with_rodz('3').map(|p| p.0), Some("0614053".to_owned()));
        assert_eq!(TerytCode::country().level(), Level::Kraj);
    }
}
