//! Measure units of BDL series and catalogue variables, and converting a value from one to
//! the other (`tys. osób` → `osoba`: ×1000). Units are compared case- and space-insensitively
//! (`tys. zł`, `Tys.zł`). Identical units need no table; otherwise both must be in the table
//! below and measure the same quantity. Every factor of the table is a power of ten, so a
//! converted value is the decimal the text of the value says, shifted (no binary rounding
//! noise such as 12.345 × 1000 = 12345.000000000002).

use std::fmt;

/// The quantity a unit measures, and its size as a power of ten of the quantity's base unit.
const TABLE: &[(&str, Quantity, i32)] = &[
    ("osoba", Quantity::People, 0),
    ("osoby", Quantity::People, 0),
    ("osób", Quantity::People, 0),
    ("tys.osób", Quantity::People, 3),
    ("tys.osoby", Quantity::People, 3),
    ("zł", Quantity::Money, 0),
    ("tys.zł", Quantity::Money, 3),
    ("mln.zł", Quantity::Money, 6),
    ("mlnzł", Quantity::Money, 6),
    ("mld.zł", Quantity::Money, 9),
    ("mldzł", Quantity::Money, 9),
    ("m²", Quantity::Area, -4),
    ("m2", Quantity::Area, -4),
    ("ha", Quantity::Area, 0),
    ("km²", Quantity::Area, 2),
    ("km2", Quantity::Area, 2),
    ("szt.", Quantity::Pieces, 0),
    ("szt", Quantity::Pieces, 0),
    ("tys.szt.", Quantity::Pieces, 3),
    ("tys.szt", Quantity::Pieces, 3),
    ("%", Quantity::Percent, 0),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quantity {
    People,
    Money,
    Area,
    Pieces,
    Percent,
}

/// A unit as compared: lower case, without any whitespace.
pub fn normalize(unit: &str) -> String {
    unit.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

fn lookup(unit: &str) -> Option<(Quantity, i32)> {
    let n = normalize(unit);
    TABLE.iter().find(|(u, _, _)| *u == n).map(|(_, q, e)| (*q, *e))
}

/// A conversion from one measure unit to another: a multiplication by 10^`exp10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Conversion {
    pub exp10: i32,
}

impl Conversion {
    pub const IDENTITY: Conversion = Conversion { exp10: 0 };

    /// The factor as a number (×1000 for `tys. osób` → `osoba`).
    pub fn factor(self) -> f64 {
        10f64.powi(self.exp10)
    }

    pub fn is_identity(self) -> bool {
        self.exp10 == 0
    }

    /// `value` read from `text` (the decimal it was parsed from), converted: the nearest
    /// number to the shifted decimal. Without the text's decimals, plain multiplication.
    pub fn apply(self, value: f64, text: &str) -> f64 {
        if self.exp10 == 0 {
            return value;
        }
        let x = value * self.factor();
        let t = text.trim();
        if t.contains(['e', 'E']) {
            return x;
        }
        let decimals = t.rfind(['.', ',']).map_or(0, |i| t.len() - i - 1) as i32;
        let keep = (decimals - self.exp10).max(0) as usize;
        format!("{x:.keep$}").parse().unwrap_or(x)
    }
}

impl fmt::Display for Conversion {
    /// `×1000`, `×0.01`, `×1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.exp10 >= 0 {
            write!(f, "×1{}", "0".repeat(self.exp10 as usize))
        } else {
            write!(f, "×0.{}1", "0".repeat((-self.exp10 - 1) as usize))
        }
    }
}

/// Why a value in one unit cannot be written in another.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeasureError {
    #[error("`{from}` and `{to}` measure different things")]
    Incompatible { from: String, to: String },
    #[error("no conversion is known from `{from}` to `{to}` (known: {known})", known = known_units())]
    Unknown { from: String, to: String },
}

fn known_units() -> String {
    ["osoba", "tys. osób", "zł", "tys. zł", "mln zł", "mld zł", "m²", "ha", "km²", "szt.", "tys. szt.", "%"].join(", ")
}

/// How to write a value measured in `from` in the unit `to`.
pub fn conversion(from: &str, to: &str) -> Result<Conversion, MeasureError> {
    // BDL writes `-` for a series without a measure unit (counts of events such as marriages):
    // nothing to convert, the values are taken in the variable's unit.
    if normalize(from) == normalize(to) || matches!(normalize(from).as_str(), "-" | "") {
        return Ok(Conversion::IDENTITY);
    }
    match (lookup(from), lookup(to)) {
        (Some((qf, ef)), Some((qt, et))) if qf == qt => Ok(Conversion { exp10: ef - et }),
        (Some(_), Some(_)) => Err(MeasureError::Incompatible { from: from.to_owned(), to: to.to_owned() }),
        _ => Err(MeasureError::Unknown { from: from.to_owned(), to: to.to_owned() }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn factor(from: &str, to: &str) -> f64 {
        conversion(from, to).unwrap().factor()
    }

    #[test]
    fn the_table_converts_within_a_quantity() {
        assert_eq!(factor("tys. osób", "osoba"), 1000.0);
        assert_eq!(factor("osoba", "tys. osób"), 0.001);
        assert_eq!(factor("tys. zł", "zł"), 1000.0);
        assert_eq!(factor("mln zł", "zł"), 1_000_000.0);
        assert_eq!(factor("mln zł", "tys. zł"), 1000.0);
        assert_eq!(factor("km²", "ha"), 100.0);
        assert_eq!(factor("ha", "km²"), 0.01);
        assert_eq!(factor("tys. szt.", "szt."), 1000.0);
        assert_eq!(factor("%", "%"), 1.0);
        assert_eq!(factor("-", "szt."), 1.0, "BDL's `-`: no measure stated, nothing to convert");
    }

    #[test]
    fn case_and_spaces_do_not_matter_and_identical_units_need_no_table() {
        assert_eq!(factor("Tys.  Osób", "osoba"), 1000.0);
        assert_eq!(factor("tys.zł", "ZŁ"), 1000.0);
        assert!(conversion("zł na 1 mieszkańca", "zł  na 1  Mieszkańca").unwrap().is_identity());
        assert!(conversion("‰", "‰").unwrap().is_identity());
    }

    #[test]
    fn other_pairs_are_errors_naming_both_units() {
        let e = conversion("zł", "osoba").unwrap_err();
        assert!(matches!(e, MeasureError::Incompatible { .. }), "{e}");
        assert!(e.to_string().contains("`zł`") && e.to_string().contains("`osoba`"), "{e}");
        let e = conversion("%", "zł").unwrap_err();
        assert!(matches!(e, MeasureError::Incompatible { .. }), "{e}");
        let e = conversion("‰", "%").unwrap_err();
        assert!(matches!(e, MeasureError::Unknown { .. }), "{e}");
        assert!(e.to_string().contains("known: osoba"), "{e}");
        assert!(conversion("zł na 1 mieszkańca", "zł").is_err());
    }

    #[test]
    fn applying_shifts_the_decimal_without_binary_noise() {
        let k = conversion("tys. osób", "osoba").unwrap();
        // The plain product is off in the last bits for many decimals; the shift is not.
        for (text, want) in [("12.345", 12345.0), ("0,001", 1.0), ("38,486", 38486.0), ("1.1", 1100.0), ("7", 7000.0), ("2.0005", 2000.5)] {
            let v: f64 = text.replace(',', ".").parse().unwrap();
            assert_eq!(k.apply(v, text), want, "{text}");
        }
        let down = conversion("ha", "km²").unwrap();
        assert_eq!(down.apply(1234.5, "1234,5"), 12.345);
        assert_eq!(down.apply(3.0, "3"), 0.03);
        assert_eq!(Conversion::IDENTITY.apply(0.1, "0.1"), 0.1);
        assert_eq!(k.to_string(), "×1000");
        assert_eq!(down.to_string(), "×0.01");
        assert_eq!(Conversion::IDENTITY.to_string(), "×1");
    }
}
