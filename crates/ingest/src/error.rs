//! Errors of the readers: whole-file errors and row errors, both saying where.

use std::borrow::Cow;
use std::fmt;

use crate::limits::{QUOTE_CHARS, quote};

/// The file as a whole cannot be read (missing, wrong format, wrong encoding, bad header).
/// Displayed, a message quotes at most [`QUOTE_CHARS`] characters of any input (see [`tame`]).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{file}: cannot read: {source}")]
    Io { file: String, source: std::io::Error },
    /// `line` is 1-based; 0 when the problem is not tied to a line.
    #[error("{file}: {at}{msg}", at = if *line > 0 { format!("line {line}: ") } else { String::new() }, msg = tame(message))]
    Format { file: String, line: u64, message: String },
    /// A feature of a boundary file: its 1-based number and the field (attribute or `geometry`).
    #[error("{file}: feature {feature}, field {f}: {msg}", f = quote(field), msg = tame(message))]
    Feature { file: String, feature: usize, field: String, message: String },
}

impl IngestError {
    /// A [`IngestError::Format`]; the message is [`tame`]d when made, so no copy of it (the
    /// app's report, a log) carries more than a short quote of the input.
    pub(crate) fn format(file: &str, line: u64, message: impl Into<String>) -> IngestError {
        IngestError::Format { file: file.to_owned(), line, message: tame(&message.into()).into_owned() }
    }
}

/// One bad row or cell. `line` is the 1-based physical line (the header is line 1);
/// `column` the 1-based column number with the header's name of it when known.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub file: String,
    pub line: u64,
    pub column: Option<(usize, String)>,
    pub message: String,
}

impl RowError {
    /// A row error whose message and column name are [`tame`]d.
    pub(crate) fn new(file: &str, line: u64, column: Option<(usize, &str)>, message: impl Into<String>) -> RowError {
        RowError {
            file: file.to_owned(),
            line,
            column: column.map(|(n, name)| (n, quote(name).into_owned())),
            message: tame(&message.into()).into_owned(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some((n, name)) = &self.column {
            write!(f, ": column {n} ({})", quote(name))?;
        }
        write!(f, ": {}", tame(&self.message))
    }
}

impl std::error::Error for RowError {}

/// A message that quotes input between backticks (`` value `…` is not a number ``, as the
/// model's errors do) with every quoted span cut to [`QUOTE_CHARS`] characters, and the whole
/// cut to eight times that: however long the input, the message stays a line.
pub fn tame(message: &str) -> Cow<'_, str> {
    if message.len() <= QUOTE_CHARS {
        return Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len().min(QUOTE_CHARS * 16));
    let mut rest = message;
    while let Some(open) = rest.find('`') {
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        let Some(close) = rest.find('`') else {
            out.push_str(&quote(rest));
            rest = "";
            break;
        };
        out.push_str(&quote(&rest[..close]));
        out.push('`');
        rest = &rest[close + 1..];
        if out.len() > QUOTE_CHARS * 32 {
            break; // a message of thousands of quotes: the cut below ends it
        }
    }
    out.push_str(rest);
    match model::excerpt(&out, QUOTE_CHARS * 8) {
        Cow::Borrowed(_) => Cow::Owned(out),
        Cow::Owned(cut) => Cow::Owned(cut),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_on_a_character_boundary_and_marks_the_cut() {
        assert_eq!(model::excerpt("abc", 3), "abc");
        assert!(matches!(model::excerpt("abc", 3), Cow::Borrowed(_)));
        assert_eq!(model::excerpt("abcd", 3), "abc…");
        assert_eq!(model::excerpt("ąęśćżź", 2), "ąę…", "two characters, not two bytes");
        assert_eq!(model::excerpt("", 0), "");
        assert_eq!(model::excerpt("x", 0), "…");
        let long = "ł".repeat(100_000);
        let cut = model::excerpt(&long, QUOTE_CHARS);
        assert_eq!(cut.chars().count(), QUOTE_CHARS + 1);
    }

    #[test]
    fn tame_cuts_every_quoted_span_and_keeps_the_words_around_them() {
        let value = "9".repeat(1_000_000);
        let m = format!("value `{value}` is not a number");
        let t = tame(&m);
        assert!(t.starts_with("value `999") && t.ends_with("…` is not a number"), "{t}");
        assert!(t.chars().count() < QUOTE_CHARS + 30, "{}", t.len());
        let two = format!("`{value}` and `{value}` differ");
        assert!(tame(&two).ends_with("…` differ"));
        let open = format!("no end `{value}");
        assert!(tame(&open).chars().count() < QUOTE_CHARS + 10);
        let plain = "x".repeat(100_000);
        assert!(tame(&plain).chars().count() <= QUOTE_CHARS * 8 + 1);
        assert_eq!(tame("short `one`"), "short `one`");
        let many = (0..10_000).map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ");
        assert!(tame(&many).chars().count() <= QUOTE_CHARS * 8 + 1);
    }

    #[test]
    fn errors_display_a_short_quote_of_a_huge_input() {
        let huge = "x".repeat(10_000_000);
        let e = IngestError::Format { file: "f.csv".into(), line: 2, message: format!("value `{huge}` is not a number") };
        assert!(e.to_string().len() < 400);
        let r = RowError { file: "f.csv".into(), line: 2, column: Some((4, huge.clone())), message: format!("`{huge}`") };
        assert!(r.to_string().len() < 800);
    }
}
