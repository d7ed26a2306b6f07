//! Service-user survey question sets (TOML) and paper results (CSV/XLSX), bounded.
//!
//! A question set (`catalogue/surveys/*.toml`) is a `[set]` head and `[[question]]`s, each
//! answered on the 1–5 scale or "nie wiem / don't know":
//!
//! ```toml
//! [set]
//! code = "szkola"                  # 1–32 ASCII letters, digits, `_` or `-`
//! sector = "edukacja"              # a catalogue area code
//! title_pl = "Szkoła podstawowa — ankieta dla rodziców"
//! title_en = "Primary school — parents' survey"
//! intro_pl = "…"                   # optional
//! intro_en = "…"
//! satisfied_from = 4               # answers ≥ 4 count as satisfied (the default)
//! free_text_pl = "Uwagi"           # optional free-text field
//! free_text_en = "Remarks"
//!
//! [[question]]
//! code = "bezpieczenstwo"
//! text_pl = "…"
//! text_en = "…"
//! ```
//!
//! Paper results are one row per returned questionnaire under a header of question codes
//! (and optionally `uwagi` / `comment`): cells 1–5, "nie wiem" (`nw`, `n`, `?`, `0`) or empty.
//! The read is all or nothing; an error names the file, the line, the column and quotes the
//! bad text (at most 40 characters). Nothing here panics on any input.

use std::collections::HashSet;
use std::io::Cursor;

use calamine::Data;
use serde::Deserialize;
use toml::Spanned;

use crate::limits::bytes as size_words;

/// The largest question-set file, in bytes.
pub const MAX_SET_BYTES: usize = 256 << 10;
/// The most questions a set may have.
pub const MAX_QUESTIONS: usize = 40;
/// The most answered questionnaires one paper file may hold.
pub const MAX_PAPER_ROWS: usize = 20_000;
/// The largest paper file, in bytes (the portal takes 5 MB uploads).
pub const MAX_PAPER_BYTES: usize = 8 << 20;
/// The longest free-text remark, in characters (on paper and on the web form).
pub const MAX_COMMENT_CHARS: usize = 4_000;
/// Characters of a bad cell an error quotes.
const QUOTE: usize = 40;

/// A checked question set.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveySet {
    pub code: String,
    /// A catalogue area code (`edukacja`, `polityka_spoleczna`); checked by the caller.
    pub sector: String,
    pub title_pl: String,
    pub title_en: String,
    pub intro_pl: Option<String>,
    pub intro_en: Option<String>,
    pub questions: Vec<Question>,
    /// The free-text field's label (pl, en), when the set asks for remarks.
    pub free_text: Option<(String, String)>,
    /// The lowest score counted as satisfied (1–5; default 4).
    pub satisfied_from: u8,
}

impl SurveySet {
    /// The question with `code`.
    pub fn question(&self, code: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.code == code)
    }
}

/// One question, answered 1–5 or "don't know".
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub code: String,
    pub text_pl: String,
    pub text_en: String,
}

/// A question set that cannot be used: where (line 0: the text as a whole) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {}", if *line > 0 { format!(":{line}") } else { String::new() }, crate::tame(message))]
pub struct SetError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    set: Spanned<RawHead>,
    #[serde(default, rename = "question")]
    questions: Vec<RawQuestion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHead {
    code: Spanned<String>,
    sector: Spanned<String>,
    title_pl: String,
    title_en: String,
    intro_pl: Option<String>,
    intro_en: Option<String>,
    satisfied_from: Option<i64>,
    free_text_pl: Option<String>,
    free_text_en: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    code: Spanned<String>,
    text_pl: String,
    text_en: String,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

fn code_ok(code: &str) -> bool {
    !code.is_empty() && code.len() <= 32 && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The header names that mark the free-text column of a paper file.
const COMMENT_HEADERS: [&str; 4] = ["uwagi", "comment", "comments", "uwagi / comment"];

/// Parses and checks a question set; `file` names it in errors.
pub fn parse_set(text: &str, file: &str) -> Result<SurveySet, SetError> {
    let err = |offset: usize, message: String| SetError { file: file.to_owned(), line: line_of(text, offset), message };
    if text.len() > MAX_SET_BYTES {
        return Err(SetError {
            file: file.to_owned(),
            line: 0,
            message: format!(
                "the text is {}, past the limit of {} for a question set",
                size_words(text.len() as u64),
                size_words(MAX_SET_BYTES as u64)
            ),
        });
    }
    let raw: RawSet = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| line_of(text, s.start));
        SetError { file: file.to_owned(), line, message: crate::tame(e.message().trim()).into_owned() }
    })?;
    let head_at = raw.set.span().start;
    let head = raw.set.into_inner();
    let code_at = head.code.span().start;
    let code = head.code.into_inner();
    if !code_ok(&code) {
        return Err(err(code_at, format!("[set], field `code`: `{code}`: use 1–32 ASCII letters, digits, `_` or `-`")));
    }
    let sector_at = head.sector.span().start;
    let sector = head.sector.into_inner();
    if !code_ok(&sector) {
        return Err(err(sector_at, format!("[set], field `sector`: `{sector}`: give a catalogue area code, e.g. `edukacja`")));
    }
    for (name, value) in [("title_pl", &head.title_pl), ("title_en", &head.title_en)] {
        if value.trim().is_empty() {
            return Err(err(head_at, format!("[set], field `{name}`: empty")));
        }
    }
    let satisfied_from = match head.satisfied_from {
        None => 4,
        Some(v @ 2..=5) => v as u8,
        Some(v) => return Err(err(head_at, format!("[set], field `satisfied_from`: {v}: use 2–5 (the lowest score that counts as satisfied)"))),
    };
    let free_text = match (nonempty(head.free_text_pl), nonempty(head.free_text_en)) {
        (Some(pl), Some(en)) => Some((pl, en)),
        (None, None) => None,
        _ => return Err(err(head_at, "[set]: give both `free_text_pl` and `free_text_en`, or neither".into())),
    };
    if raw.questions.is_empty() {
        return Err(err(head_at, "the set has no [[question]]: a survey asks at least one".into()));
    }
    if raw.questions.len() > MAX_QUESTIONS {
        let at = raw.questions[MAX_QUESTIONS].code.span().start;
        return Err(err(at, format!("the set has {} questions, past the limit of {MAX_QUESTIONS}", raw.questions.len())));
    }
    let mut seen = HashSet::new();
    let mut questions = Vec::with_capacity(raw.questions.len());
    for q in raw.questions {
        let at = q.code.span().start;
        let qcode = q.code.into_inner();
        if !code_ok(&qcode) {
            return Err(err(at, format!("question, field `code`: `{qcode}`: use 1–32 ASCII letters, digits, `_` or `-`")));
        }
        if COMMENT_HEADERS.contains(&qcode.to_lowercase().as_str()) {
            return Err(err(at, format!("question `{qcode}`: this code names the remarks column of paper files; choose another")));
        }
        if !seen.insert(qcode.to_lowercase()) {
            return Err(err(at, format!("question `{qcode}`: a second question with this code")));
        }
        for (name, value) in [("text_pl", &q.text_pl), ("text_en", &q.text_en)] {
            if value.trim().is_empty() {
                return Err(err(at, format!("question `{qcode}`, field `{name}`: empty")));
            }
        }
        questions.push(Question { code: qcode, text_pl: q.text_pl.trim().to_owned(), text_en: q.text_en.trim().to_owned() });
    }
    Ok(SurveySet {
        code,
        sector,
        title_pl: head.title_pl.trim().to_owned(),
        title_en: head.title_en.trim().to_owned(),
        intro_pl: nonempty(head.intro_pl),
        intro_en: nonempty(head.intro_en),
        questions,
        free_text,
        satisfied_from,
    })
}

/// One answer to one question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 1 (worst) to 5 (best).
    Score(u8),
    /// "nie wiem / don't know": counted apart, never in a mean or a share.
    DontKnow,
    /// Not answered.
    Blank,
}

impl Answer {
    /// A cell's text as an answer: `1`–`5` (also `4.0` from a spreadsheet), the "don't know"
    /// words, or empty; `None` for anything else.
    pub fn parse(text: &str) -> Option<Answer> {
        let t = text.trim().to_lowercase();
        match t.as_str() {
            "" => Some(Answer::Blank),
            "nie wiem" | "niewiem" | "nw" | "n" | "?" | "0" | "dk" | "don't know" | "dont know" => Some(Answer::DontKnow),
            _ => {
                let t = t.strip_suffix(".0").or_else(|| t.strip_suffix(",0")).unwrap_or(&t);
                match t {
                    "1" | "2" | "3" | "4" | "5" => t.parse().ok().map(Answer::Score),
                    _ => None,
                }
            }
        }
    }
}

/// One returned paper questionnaire.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperRow {
    /// Its line in the file (1-based; the header is line 1).
    pub line: u64,
    /// Every question of the set, in the set's order.
    pub scores: Vec<(String, Answer)>,
    pub comment: Option<String>,
}

/// Why a paper file was refused; nothing of it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperError {
    pub file: String,
    /// 1-based; 0: the file as a whole.
    pub line: u64,
    /// The column: its letter (XLSX) or number (CSV) and the header's name when known.
    pub column: Option<String>,
    /// The bad cell's text, at most 40 characters.
    pub text: Option<String>,
    pub message: String,
}

impl std::fmt::Display for PaperError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ", line {}", self.line)?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        if let Some(t) = &self.text {
            write!(f, ": `{t}`")?;
        }
        write!(f, ": {}", crate::tame(&self.message))
    }
}

impl std::error::Error for PaperError {}

/// What a header column holds.
#[derive(Clone, Copy)]
enum Col {
    Question(usize),
    Comment,
}

/// Reads paper results for `set` from CSV (`;` or `,`, UTF-8) or XLSX (its first sheet),
/// told by content; all rows or an error.
pub fn read_paper(bytes: &[u8], file_name: &str, set: &SurveySet) -> Result<Vec<PaperRow>, PaperError> {
    let whole = |message: String| PaperError { file: file_name.to_owned(), line: 0, column: None, text: None, message };
    if bytes.len() > MAX_PAPER_BYTES {
        return Err(whole(format!("the file is {}, past the limit of {}", size_words(bytes.len() as u64), size_words(MAX_PAPER_BYTES as u64))));
    }
    let grid = if bytes.starts_with(b"PK\x03\x04") { xlsx_grid(bytes, file_name)? } else { csv_grid(bytes, file_name)? };
    rows_of(grid, file_name, set)
}

/// A cell of either format: its text and its column's name in errors.
struct Grid {
    xlsx: bool,
    rows: Vec<(u64, Vec<String>)>,
}

fn csv_grid(bytes: &[u8], file: &str) -> Result<Grid, PaperError> {
    let whole = |line: u64, message: String| PaperError { file: file.to_owned(), line, column: None, text: None, message };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() as u64 + 1;
        whole(line, "not UTF-8 text: save the file as CSV UTF-8 (or send the XLSX)".into())
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = if first.matches(';').count() >= first.matches(',').count() { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            whole(line, format!("not a CSV file: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() > MAX_QUESTIONS + 20 {
            return Err(whole(line, format!("{} columns: a survey has at most {MAX_QUESTIONS} questions and a remark", record.len())));
        }
        if rows.len() > MAX_PAPER_ROWS {
            return Err(whole(line, format!("more than {MAX_PAPER_ROWS} questionnaires in one file: split it")));
        }
        rows.push((line, record.iter().map(str::to_owned).collect()));
    }
    Ok(Grid { xlsx: false, rows })
}

fn xlsx_grid(bytes: &[u8], file: &str) -> Result<Grid, PaperError> {
    let wrap = |e: crate::IngestError| {
        let line = match &e {
            crate::IngestError::Format { line, .. } => *line,
            _ => 0,
        };
        PaperError { file: file.to_owned(), line, column: None, text: None, message: e.to_string() }
    };
    let mut book = crate::xlsx::open(Cursor::new(bytes), file).map_err(wrap)?;
    let sheet = crate::xlsx::pick_sheet(&book, None, file).map_err(wrap)?;
    let mut reader = crate::xlsx::rows(&mut book, &sheet, file).map_err(wrap)?;
    let mut rows = Vec::new();
    while let Some((line, cells)) = reader.next_row().map_err(wrap)? {
        if rows.len() > MAX_PAPER_ROWS {
            return Err(PaperError {
                file: file.to_owned(),
                line,
                column: None,
                text: None,
                message: format!("more than {MAX_PAPER_ROWS} questionnaires in one file: split it"),
            });
        }
        let texts = crate::xlsx::dense(&cells)
            .into_iter()
            .map(|d| match d {
                Data::Empty => String::new(),
                Data::String(s) => s,
                Data::Float(f) => {
                    if f.fract() == 0.0 && f.abs() < 1e15 {
                        format!("{}", f as i64)
                    } else {
                        f.to_string()
                    }
                }
                Data::Int(i) => i.to_string(),
                Data::Bool(b) => b.to_string(),
                other => other.to_string(),
            })
            .collect();
        rows.push((line, texts));
    }
    Ok(Grid { xlsx: true, rows })
}

fn rows_of(grid: Grid, file: &str, set: &SurveySet) -> Result<Vec<PaperRow>, PaperError> {
    let column_name = |i: usize, header: &str| {
        let place = if grid.xlsx { crate::sheet::column_letters(i) } else { (i + 1).to_string() };
        if header.is_empty() { place } else { format!("{place} ({})", model::excerpt(header, QUOTE)) }
    };
    let mut rows = grid.rows.iter().filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    let Some((header_line, header)) = rows.next() else {
        return Err(PaperError {
            file: file.to_owned(),
            line: 0,
            column: None,
            text: None,
            message: "the file is empty: the first row names the questions' codes".into(),
        });
    };
    let mut columns: Vec<Option<Col>> = Vec::with_capacity(header.len());
    let mut seen_q = vec![false; set.questions.len()];
    let mut seen_comment = false;
    for (i, h) in header.iter().enumerate() {
        let name = h.trim().trim_start_matches('\u{feff}');
        let folded = name.to_lowercase();
        let bad = |message: String| PaperError {
            file: file.to_owned(),
            line: *header_line,
            column: Some(column_name(i, "")),
            text: Some(model::excerpt(name, QUOTE).into_owned()),
            message,
        };
        if name.is_empty() {
            columns.push(None);
            continue;
        }
        if COMMENT_HEADERS.contains(&folded.as_str()) {
            if seen_comment {
                return Err(bad("a second remarks column".into()));
            }
            seen_comment = true;
            columns.push(Some(Col::Comment));
            continue;
        }
        match set.questions.iter().position(|q| q.code.to_lowercase() == folded) {
            Some(q) if seen_q[q] => return Err(bad("a second column of this question".into())),
            Some(q) => {
                seen_q[q] = true;
                columns.push(Some(Col::Question(q)));
            }
            None => {
                let codes: Vec<&str> = set.questions.iter().map(|q| q.code.as_str()).collect();
                return Err(bad(format!(
                    "not a question of set `{}`; the header names the questions' codes ({}) and optionally `uwagi`",
                    set.code,
                    model::excerpt(&codes.join(", "), 200)
                )));
            }
        }
    }
    if let Some(missing) = seen_q.iter().position(|s| !s) {
        return Err(PaperError {
            file: file.to_owned(),
            line: *header_line,
            column: None,
            text: None,
            message: format!(
                "no column for question `{}`; every question of the set has a column (leave its cells empty)",
                set.questions[missing].code
            ),
        });
    }
    let mut out = Vec::new();
    for (line, cells) in rows {
        let mut scores: Vec<(String, Answer)> = set.questions.iter().map(|q| (q.code.clone(), Answer::Blank)).collect();
        let mut comment = None;
        for (i, cell) in cells.iter().enumerate() {
            let bad = |message: String| PaperError {
                file: file.to_owned(),
                line: *line,
                column: Some(column_name(i, header.get(i).map_or("", |h| h.trim()))),
                text: Some(model::excerpt(cell.trim(), QUOTE).into_owned()),
                message,
            };
            match columns.get(i).copied().flatten() {
                None if cell.trim().is_empty() => {}
                None => return Err(bad("a value in a column without a header".into())),
                Some(Col::Comment) => {
                    let t = cell.trim();
                    if t.chars().count() > MAX_COMMENT_CHARS {
                        return Err(bad(format!("a remark longer than {MAX_COMMENT_CHARS} characters")));
                    }
                    comment = (!t.is_empty()).then(|| t.to_owned());
                }
                Some(Col::Question(q)) => match Answer::parse(cell) {
                    Some(a) => scores[q].1 = a,
                    None => return Err(bad("not an answer: use 1–5, `nie wiem` (nw, 0, ?) or leave it empty".into())),
                },
            }
        }
        if comment.is_none() && scores.iter().all(|(_, a)| *a == Answer::Blank) {
            continue;
        }
        out.push(PaperRow { line: *line, scores, comment });
    }
    Ok(out)
}
