//! Words and numbers as the exports print them: headers, flag words in each language,
//! full-precision and rounded decimal numbers.

use std::fmt::Write as _;

use model::Flag;

use crate::Lang;

/// The most decimals a format shows; more are treated as this many.
pub(crate) const MAX_DECIMALS: u8 = 15;

/// The word a human-readable export (CSV-PL, XLSX) shows for `flag` in `lang`; empty
/// for [`Flag::Final`].
pub fn flag_word(flag: Flag, lang: Lang) -> &'static str {
    match (lang, flag) {
        (_, Flag::Final) => "",
        (Lang::Pl, Flag::Preliminary) => "wstępne",
        (Lang::Pl, Flag::Estimated) => "szacunek",
        (Lang::Pl, Flag::Confidential) => "tajemnica statystyczna",
        (Lang::Pl, Flag::NotOccurred) => "zjawisko nie wystąpiło",
        (Lang::Pl, Flag::Missing) => "brak danych",
        (Lang::En, Flag::Preliminary) => "preliminary",
        (Lang::En, Flag::Estimated) => "estimate",
        (Lang::En, Flag::Confidential) => "confidential",
        (Lang::En, Flag::NotOccurred) => "did not occur",
        (Lang::En, Flag::Missing) => "no data",
    }
}

/// What `flag` means, in `lang`: the text of the flag legends.
pub fn flag_meaning(flag: Flag, lang: Lang) -> &'static str {
    match (lang, flag) {
        (Lang::Pl, Flag::Final) => "wartość ostateczna",
        (Lang::Pl, Flag::Preliminary) => "wartość wstępna, może jeszcze zostać zmieniona",
        (Lang::Pl, Flag::Estimated) => "wartość szacunkowa",
        (Lang::Pl, Flag::Confidential) => "dane objęte tajemnicą statystyczną, wartość nie jest publikowana",
        (Lang::Pl, Flag::NotOccurred) => "zjawisko nie wystąpiło",
        (Lang::Pl, Flag::Missing) => "brak danych",
        (Lang::En, Flag::Final) => "final value",
        (Lang::En, Flag::Preliminary) => "preliminary value that may still be revised",
        (Lang::En, Flag::Estimated) => "estimated value",
        (Lang::En, Flag::Confidential) => "suppressed for statistical confidentiality; no value is published",
        (Lang::En, Flag::NotOccurred) => "the phenomenon did not occur",
        (Lang::En, Flag::Missing) => "no data",
    }
}

/// The JSON-stat `status` symbol of `flag`: `p`, `e`, `c`, `-`, `m`; `None` for
/// [`Flag::Final`], which gets no status entry.
pub fn jsonstat_status(flag: Flag) -> Option<&'static str> {
    match flag {
        Flag::Final => None,
        Flag::Preliminary => Some("p"),
        Flag::Estimated => Some("e"),
        Flag::Confidential => Some("c"),
        Flag::NotOccurred => Some("-"),
        Flag::Missing => Some("m"),
    }
}

/// A non-final flag, or `None`.
pub(crate) fn shown_flag(flag: Option<Flag>) -> Option<Flag> {
    flag.filter(|f| *f != Flag::Final)
}

/// A finite value, or `None`.
pub(crate) fn finite(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite())
}

/// The columns of the tabular formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Column {
    UnitCode,
    UnitName,
    IndicatorCode,
    IndicatorName,
    Year,
    Value,
    MeasureUnit,
    Flag,
}

impl Column {
    /// The text of a key column for indicator `i` and unit `u` (empty when out of range);
    /// none for the year, the value and the flag, which each writer writes its own way.
    pub(crate) fn text(self, meta: &crate::Meta, i: usize, u: usize) -> Option<&str> {
        let unit = meta.units.get(u);
        let indicator = meta.indicators.get(i);
        Some(match self {
            Column::UnitCode => unit.map_or("", |u| u.code.as_str()),
            Column::UnitName => unit.map_or("", |u| u.name.as_str()),
            Column::IndicatorCode => indicator.map_or("", |i| i.code.as_str()),
            Column::IndicatorName => indicator.map_or("", |i| i.name.as_str()),
            Column::MeasureUnit => indicator.map_or("", |i| i.measure_unit.as_str()),
            Column::Year | Column::Value | Column::Flag => return None,
        })
    }

    /// The machine key (the header of machine CSV).
    pub(crate) fn key(self) -> &'static str {
        match self {
            Column::UnitCode => "unit_code",
            Column::UnitName => "unit_name",
            Column::IndicatorCode => "indicator_code",
            Column::IndicatorName => "indicator_name",
            Column::Year => "year",
            Column::Value => "value",
            Column::MeasureUnit => "measure_unit",
            Column::Flag => "flag",
        }
    }

    /// The header for people, in `lang`.
    pub(crate) fn label(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::Pl, Column::UnitCode) => "Kod TERYT",
            (Lang::Pl, Column::UnitName) => "Jednostka",
            (Lang::Pl, Column::IndicatorCode) => "Kod wskaźnika",
            (Lang::Pl, Column::IndicatorName) => "Wskaźnik",
            (Lang::Pl, Column::Year) => "Rok",
            (Lang::Pl, Column::Value) => "Wartość",
            (Lang::Pl, Column::MeasureUnit) => "Jednostka miary",
            (Lang::Pl, Column::Flag) => "Flaga",
            (Lang::En, Column::UnitCode) => "TERYT code",
            (Lang::En, Column::UnitName) => "Unit",
            (Lang::En, Column::IndicatorCode) => "Indicator code",
            (Lang::En, Column::IndicatorName) => "Indicator",
            (Lang::En, Column::Year) => "Year",
            (Lang::En, Column::Value) => "Value",
            (Lang::En, Column::MeasureUnit) => "Unit of measure",
            (Lang::En, Column::Flag) => "Flag",
        }
    }
}

/// Other words of the human-readable exports.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Word {
    DataSheet,
    MetaSheet,
    Title,
    Generated,
    Source,
    Query,
    Indicators,
    Name,
    Definition,
    Decimals,
    FlagLegend,
    ShownAs,
    Code,
    Meaning,
    Empty,
    ItalicNote,
    UnitsDim,
}

impl Word {
    pub(crate) fn get(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::Pl, Word::DataSheet) => "Dane",
            (Lang::Pl, Word::MetaSheet) => "Metadane",
            (Lang::Pl, Word::Title) => "Tytuł",
            (Lang::Pl, Word::Generated) => "Wygenerowano",
            (Lang::Pl, Word::Source) => "Źródło",
            (Lang::Pl, Word::Query) => "Zapytanie",
            (Lang::Pl, Word::Indicators) => "Wskaźniki",
            (Lang::Pl, Word::Name) => "Nazwa",
            (Lang::Pl, Word::Definition) => "Definicja",
            (Lang::Pl, Word::Decimals) => "Miejsca po przecinku",
            (Lang::Pl, Word::FlagLegend) => "Objaśnienie flag",
            (Lang::Pl, Word::ShownAs) => "Oznaczenie",
            (Lang::Pl, Word::Code) => "Kod",
            (Lang::Pl, Word::Meaning) => "Znaczenie",
            (Lang::Pl, Word::Empty) => "(puste)",
            (Lang::Pl, Word::ItalicNote) => {
                "W układzie szerokim wartości wstępne i szacunkowe zapisano kursywą, a w miejscu brakującej wartości podano oznaczenie flagi."
            }
            (Lang::Pl, Word::UnitsDim) => "Jednostka terytorialna",
            (Lang::En, Word::DataSheet) => "Data",
            (Lang::En, Word::MetaSheet) => "Metadata",
            (Lang::En, Word::Title) => "Title",
            (Lang::En, Word::Generated) => "Generated",
            (Lang::En, Word::Source) => "Source",
            (Lang::En, Word::Query) => "Query",
            (Lang::En, Word::Indicators) => "Indicators",
            (Lang::En, Word::Name) => "Name",
            (Lang::En, Word::Definition) => "Definition",
            (Lang::En, Word::Decimals) => "Decimals",
            (Lang::En, Word::FlagLegend) => "Flag legend",
            (Lang::En, Word::ShownAs) => "Shown as",
            (Lang::En, Word::Code) => "Code",
            (Lang::En, Word::Meaning) => "Meaning",
            (Lang::En, Word::Empty) => "(empty)",
            (Lang::En, Word::ItalicNote) => {
                "In a wide layout, preliminary and estimated values are in italics, and a missing value shows its flag's word."
            }
            (Lang::En, Word::UnitsDim) => "Territorial unit",
        }
    }
}

/// Appends `v` with the shortest digits that read back as the same `f64`, never in
/// exponent notation (e.g. `1234.5`, `0.0001`, `-3`).
pub(crate) fn push_full(buf: &mut String, v: f64) {
    // `Display` for f64 is the shortest round-trip form without an exponent.
    let _ = write!(buf, "{v}");
}

/// Appends `v` rounded half away from zero to `decimals` places, as its shortest
/// round-trip decimal form reads (so 2.675 gives 2.68, as a person expects), with
/// `sep` as the decimal separator and no thousands separators. A result of zero has no
/// minus sign.
pub(crate) fn push_rounded(buf: &mut String, v: f64, decimals: u8, sep: char) {
    let d = usize::from(decimals.min(MAX_DECIMALS));
    let full = format!("{}", v.abs());
    let (int, frac) = full.split_once('.').unwrap_or((full.as_str(), ""));
    // The kept digits, integer and fraction together, as ASCII digits.
    let mut digits: Vec<u8> = Vec::with_capacity(int.len() + d + 1);
    digits.extend_from_slice(int.as_bytes());
    let frac = frac.as_bytes();
    for k in 0..d {
        digits.push(frac.get(k).copied().unwrap_or(b'0'));
    }
    if frac.get(d).is_some_and(|c| *c >= b'5') {
        // Carry from the last kept digit.
        let mut k = digits.len();
        loop {
            if k == 0 {
                digits.insert(0, b'1');
                break;
            }
            k -= 1;
            if digits[k] == b'9' {
                digits[k] = b'0';
            } else {
                digits[k] += 1;
                break;
            }
        }
    }
    let int_len = digits.len() - d;
    if v.is_sign_negative() && digits.iter().any(|c| *c != b'0') {
        buf.push('-');
    }
    for c in &digits[..int_len] {
        buf.push(char::from(*c));
    }
    if d > 0 {
        buf.push(sep);
        for c in &digits[int_len..] {
            buf.push(char::from(*c));
        }
    }
}

/// `text` cut to at most `max` UTF-16 units (Excel's measure), ending in `…` when cut.
pub(crate) fn cap_utf16(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    // UTF-8 never takes fewer bytes than UTF-16 units, so short texts need no count.
    if text.len() <= max || text.encode_utf16().count() <= max {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut units = 0;
    let mut end = 0;
    for (i, ch) in text.char_indices() {
        if units + ch.len_utf16() > max.saturating_sub(1) {
            break;
        }
        units += ch.len_utf16();
        end = i + ch.len_utf8();
    }
    let mut cut = text[..end].to_owned();
    cut.push('…');
    std::borrow::Cow::Owned(cut)
}

/// A CSV cell made safe from formula injection, by OWASP's rule: a cell that begins with
/// `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe, so that a
/// spreadsheet shows it as text rather than run it as a formula (`=HYPERLINK(…)` becomes
/// `'=HYPERLINK(…)`). A cell that is a plain number (`-3.5`, `+2`, `-1e-7`, `-3,5`) is
/// left as it is: a spreadsheet reads it as that number, never as a formula. So this may be
/// put over every cell of a row, text or number, and it is meant for every CSV (or TSV)
/// Miernik writes: both dialects here use it for their text cells. XLSX needs none of it:
/// its text cells are strings, which Excel never evaluates.
pub fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') if !plain_number(cell) => std::borrow::Cow::Owned(format!("'{cell}")),
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

/// `[+-]digits[(.|,)digits][(e|E)[+-]digits]`, nothing else.
fn plain_number(s: &str) -> bool {
    fn digits(b: &[u8]) -> usize {
        b.iter().take_while(|c| c.is_ascii_digit()).count()
    }
    let mut b = s.as_bytes();
    if let [b'+' | b'-', rest @ ..] = b {
        b = rest;
    }
    let n = digits(b);
    if n == 0 {
        return false;
    }
    b = &b[n..];
    if let [b'.' | b',', rest @ ..] = b {
        let n = digits(rest);
        if n == 0 {
            return false;
        }
        b = &rest[n..];
    }
    if let [b'e' | b'E', rest @ ..] = b {
        let rest = match rest {
            [b'+' | b'-', r @ ..] => r,
            r => r,
        };
        let n = digits(rest);
        if n == 0 {
            return false;
        }
        b = &rest[n..];
    }
    b.is_empty()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)
mod tests {
    use super::*;

    fn rounded(v: f64, d: u8) -> String {
        let mut s = String::new();
        push_rounded(&mut s, v, d, ',');
        s
    }

    #[test]
    fn rounding_is_half_away_from_zero_on_the_written_digits() {
        assert_eq!(rounded(2.675, 2), "2,68");
        assert_eq!(rounded(0.125, 2), "0,13");
        assert_eq!(rounded(-0.125, 2), "-0,13");
        assert_eq!(rounded(-0.004, 2), "0,00");
        assert_eq!(rounded(999.995, 2), "1000,00");
        assert_eq!(rounded(1234.5, 0), "1235");
        assert_eq!(rounded(9.5, 0), "10");
        assert_eq!(rounded(0.0, 1), "0,0");
        assert_eq!(rounded(-0.0, 0), "0");
        assert_eq!(rounded(12.0, 3), "12,000");
        assert_eq!(rounded(1e-7, 3), "0,000");
        assert_eq!(rounded(1e20, 1), "100000000000000000000,0");
        assert_eq!(rounded(0.1 + 0.2, 15), "0,300000000000000");
        assert_eq!(rounded(1.5, 200), format!("1,5{}", "0".repeat(14)));
    }

    #[test]
    fn full_precision_round_trips() {
        for v in [1234.5, 0.1 + 0.2, -1e-12, 1e300, 5e-324, 2.0] {
            let mut s = String::new();
            push_full(&mut s, v);
            assert!(!s.contains('e'), "{s}");
            assert_eq!(s.parse::<f64>().unwrap(), v);
        }
    }

    #[test]
    fn caps() {
        assert_eq!(cap_utf16("abc", 5), "abc");
        let long = "ż".repeat(10);
        let cut = cap_utf16(&long, 5);
        assert_eq!(cut, "żżżż…");
        assert_eq!(cut.encode_utf16().count(), 5);
    }

    #[test]
    fn a_cell_a_spreadsheet_would_run_as_a_formula_gets_an_apostrophe_and_a_number_does_not() {
        for (cell, safe) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("=1+1", "'=1+1"),
            ("+48 123", "'+48 123"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-", "'-"),
            ("-1-1", "'-1-1"),
            ("-1.", "'-1."),
            ("-.5", "'-.5"),
            ("-1e", "'-1e"),
            ("-3.5 zł", "'-3.5 zł"),
            // Plain numbers: read as numbers, left alone.
            ("-3.5", "-3.5"),
            ("-3,5", "-3,5"),
            ("+2", "+2"),
            ("-1e-7", "-1e-7"),
            ("-12E+3", "-12E+3"),
            // Nothing to do.
            ("Łódź", "Łódź"),
            ("", ""),
            ("a=b", "a=b"),
            ("'=x", "'=x"),
            (" =1", " =1"),
        ] {
            assert_eq!(csv_safe(cell), safe, "{cell:?}");
        }
        assert!(matches!(csv_safe("Kraków"), std::borrow::Cow::Borrowed(_)), "no copy of a safe cell");
    }
}
