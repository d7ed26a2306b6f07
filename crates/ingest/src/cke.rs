//! School-level results of the egzamin ósmoklasisty (the exam at the end of primary school)
//! as published by CKE/OKE, aggregated to gminy as observations of the catalogue's
//! `cke8_S_zdajacy` and `cke8_S_suma` for the subjects S = `pol`, `mat`, `ang`.
//!
//! The file: a CSV (`,` or `;`, fields quoted when needed, UTF-8, a BOM allowed) with a header
//! naming `Kod teryt gminy` (the school's gmina, 7 digits) and, per subject, the number of
//! takers and their mean score in % — `liczba_zdających_polski`, `mean_polski` (also
//! `średni wynik …`), likewise `matematyka`, `angielski`; other columns (names, address,
//! RSPO, the other statistics) are not read, and a header field may hold a line break (the
//! real sample's `rodzaj placówki`). Numbers take a decimal comma or point.
//!
//! Schools of an urban–rural gmina carry the code of its town part (RODZ 4) or rural part
//! (RODZ 5): they count for the gmina (the same six digits, RODZ 3). A school of a Warsaw
//! district (8) or a delegatura (9) counts for its city (the powiat's four digits, `011`).
//!
//! Per gmina and subject: `cke8_S_zdajacy` = Σ takers and `cke8_S_suma` = Σ takers × mean,
//! over the schools whose mean is published, so that `suma / zdajacy` is the gmina's mean
//! weighted by takers. A school with takers but no published mean (CKE publishes none for
//! very few takers: in the 2025 sample every school with fewer than 5) adds to neither, and
//! is counted in the summary; so is a school without takers.
//!
//! The year is the exam's: [`CkeOptions::year`], else the one four-digit year in the file
//! name (`wyniki_testow_2025_…`); without either the file is refused.
//!
//! All or nothing: a bad row makes the reader hand out its errors (file, line, column) and no
//! observation. The file is read whole, within [`crate::limits::MAX_WHOLE_FILE_BYTES`] (the results of all
//! of Poland's ~15,000 schools are a few MB).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use model::{Flag, TerytCode, Value, VariableCode, Year};

use crate::limits::{MAX_COLUMNS, MAX_FIELD_BYTES, bytes, quote, thousands};
use crate::observations::{Layout, Record, RecordSource, VariableInfo};
use crate::sniff::{self, Import, Kind};
use crate::{IngestError, RowError};

/// The subjects read: (variable part, the header's word, name in Polish).
pub const SUBJECTS: [(&str, &str, &str); 3] =
    [("pol", "polski", "język polski"), ("mat", "matematyka", "matematyka"), ("ang", "angielski", "język angielski")];

/// Bad rows listed before the reader stops looking for more.
const MAX_ROW_ERRORS: usize = 100;

#[derive(Debug, Clone, Default)]
pub struct CkeOptions {
    /// The exam year (default: the year in the file name).
    pub year: Option<Year>,
    /// The register's gminy, to look a school's gmina up in (without it, codes stay as the
    /// file gives them).
    pub gminy: Option<GminaIndex>,
}

/// The gminy a register knows: every code a gmina has had → its current code, and the first
/// six digits of each current gmina → its code. A school's gmina code is looked up in the
/// first, then by its six digits in the second (CKE's register may lag: the 2025 results
/// give Kazanów as 1436012, a gmina wiejska until 2024-12-31, 1436013 since); a code found
/// in neither stays as it is (and is an unknown unit when imported).
/// A city with powiat rights is one JST with two records, the gmina and the city-powiat
/// (`city_powiats`: gmina code → powiat code): its figures are written under both.
#[derive(Debug, Clone, Default)]
pub struct GminaIndex {
    pub codes: HashMap<String, String>,
    pub by_base: HashMap<String, String>,
    pub city_powiats: HashMap<String, String>,
}

/// One subject's counts over the file's schools.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectSummary {
    /// `pol`, `mat`, `ang`.
    pub subject: String,
    /// Takers in every school that reports some.
    pub takers: u64,
    /// Takers in schools with a published mean: the sum of `cke8_S_zdajacy` written.
    pub takers_with_mean: u64,
    pub schools_with_mean: u64,
    /// Schools with takers but no mean (left out of the gmina's figures).
    pub schools_without_mean: u64,
    /// Schools that report no takers (an empty cell or 0).
    pub schools_without_takers: u64,
}

/// What a file held, for the import summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CkeSummary {
    pub year: Year,
    /// Where the year came from (`--year`, the file name).
    pub year_from: String,
    /// Schools (data rows) read.
    pub schools: u64,
    /// Schools that add to no subject (no takers or no published mean in any).
    pub schools_skipped: u64,
    /// Schools counted for their gmina through a town part (RODZ 4), a rural part (RODZ 5)
    /// or a city district (8, 9).
    pub town_part_schools: u64,
    pub rural_part_schools: u64,
    pub district_schools: u64,
    /// Gminy with a value written.
    pub gminy: usize,
    /// Of them, cities with powiat rights, written under their city-powiat code too.
    pub city_powiats: usize,
    pub subjects: Vec<SubjectSummary>,
    /// Subjects the file has that are not read (other languages).
    pub other_subjects: Vec<String>,
    /// Gmina codes the register does not know, found by their first six digits: (the file's
    /// code, the register's).
    pub by_base: Vec<(String, String)>,
}

/// The gminy's observations, computed when the file is opened.
pub struct CkeReader {
    records: std::vec::IntoIter<Result<Record, RowError>>,
    total: usize,
    variables: Vec<VariableInfo>,
    pub summary: CkeSummary,
}

impl RecordSource for CkeReader {
    fn layout(&self) -> Layout {
        Layout::Long
    }
    fn next_record(&mut self) -> Result<Option<Result<Record, RowError>>, IngestError> {
        Ok(self.records.next())
    }
    fn variables(&self) -> &[VariableInfo] {
        &self.variables
    }
    fn progress(&self) -> (u64, u64) {
        ((self.total - self.records.len()) as u64, self.total as u64)
    }
}

fn format_err(file: &str, line: u64, message: impl Into<String>) -> IngestError {
    IngestError::format(file, line, message)
}

/// Opens a CKE results file.
pub fn open_cke(path: &Path, opts: &CkeOptions) -> Result<CkeReader, IngestError> {
    let file = path.display().to_string();
    let content = sniff::read_whole(path, "a file of exam results (all of Poland's schools are a few MB); split it", wrong_kind)?;
    read_cke(&file, sniff::name_of(path), &content, opts)
}

/// A file of a known other kind: what it is and the subcommand that reads it.
fn wrong_kind(head: &[u8], name: &str) -> Option<String> {
    let kind = sniff::sniff(head, name)?;
    match kind {
        Kind::Xlsx | Kind::Xls | Kind::Xml | Kind::Json => {
            Some("to nie jest plik CSV: wyniki CKE zapisz jako CSV (UTF-8) / this is not a CSV file: save CKE's results as CSV (UTF-8)".to_owned())
        }
        Kind::TercCsv | Kind::TercXml => sniff::wrong_file(kind, Import::Observations),
        _ => sniff::wrong_file(kind, Import::Units),
    }
}

/// A header name folded for matching: lower case, no diacritics, runs of spaces, `_`, `-`
/// and line breaks as one space.
fn fold_header(s: &str) -> String {
    model::fold(s).split(|c: char| c.is_whitespace() || c == '_' || c == '-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The columns read.
struct Columns {
    code: usize,
    name: Option<usize>,
    /// Per [`SUBJECTS`] entry: (takers, mean) when the file has the subject.
    subjects: Vec<Option<(usize, usize)>>,
    other: Vec<String>,
}

fn find_columns(file: &str, names: &[String]) -> Result<Columns, IngestError> {
    let folded: Vec<String> = names.iter().map(|n| fold_header(n)).collect();
    let find = |pred: &dyn Fn(&str) -> bool| folded.iter().position(|n| pred(n));
    let Some(code) = find(&|n| n == "kod teryt gminy").or_else(|| find(&|n| n.contains("teryt"))) else {
        return Err(format_err(
            file,
            1,
            format!(
                "no column `Kod teryt gminy` in the header (found: {}); expected CKE's school results with the gmina's TERYT code and, per subject, `liczba_zdających_polski` and `mean_polski`",
                quote(&names.iter().filter(|n| !n.is_empty()).map(|n| format!("`{}`", quote(n.trim()))).collect::<Vec<_>>().join(", "))
            ),
        ));
    };
    let name = find(&|n| n == "gmina nazwa" || n == "nazwa gminy");
    let mut subjects = Vec::new();
    for (_, word, _) in SUBJECTS {
        let takers = find(&|n| n == format!("liczba zdajacych {word}"));
        let mean = find(&|n| [format!("mean {word}"), format!("sredni wynik {word}"), format!("srednia {word}")].iter().any(|m| m == n));
        match (takers, mean) {
            (Some(t), Some(m)) => subjects.push(Some((t, m))),
            (None, None) => subjects.push(None),
            (Some(t), None) => {
                return Err(format_err(file, 1, format!("column `{}` has no mean beside it (`mean_{word}`)", quote(names[t].trim()))));
            }
            (None, Some(m)) => {
                return Err(format_err(
                    file,
                    1,
                    format!("column `{}` has no number of takers beside it (`liczba_zdających_{word}`)", quote(names[m].trim())),
                ));
            }
        }
    }
    if subjects.iter().all(Option::is_none) {
        return Err(format_err(
            file,
            1,
            "no subject in the header: expected `liczba_zdających_polski` and `mean_polski` (likewise `matematyka`, `angielski`)",
        ));
    }
    let other = folded
        .iter()
        .filter_map(|n| n.strip_prefix("liczba zdajacych "))
        .filter(|w| !SUBJECTS.iter().any(|(_, word, _)| word == w))
        .map(str::to_owned)
        .collect();
    Ok(Columns { code, name, subjects, other })
}

/// The exam year: the option, else the one four-digit year in the file name.
fn exam_year(file: &str, file_name: &str, opts: &CkeOptions) -> Result<(Year, String), IngestError> {
    if let Some(y) = opts.year {
        return Ok((y, "--year".to_owned()));
    }
    let mut found: Vec<Year> = Vec::new();
    for run in file_name.split(|c: char| !c.is_ascii_digit()).filter(|r| r.len() == 4) {
        if let Ok(y) = Year::parse(run)
            && !found.contains(&y)
        {
            found.push(y);
        }
    }
    match found.as_slice() {
        [y] => Ok((*y, format!("the file name `{}`", quote(file_name)))),
        [] => Err(format_err(file, 0, "cannot tell the exam year: the file name has no year (e.g. `wyniki_2025.csv`); say it with --year")),
        more => Err(format_err(
            file,
            0,
            format!(
                "cannot tell the exam year: the file name has several ({}); say it with --year",
                more.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// The gmina a school's code counts for, and how (0 own, 4/5 a part, 8 a district).
fn gmina_of(code: &str) -> Result<(TerytCode, char), String> {
    if code.len() != 7 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{code}` is not a 7-digit TERYT code of a gmina"));
    }
    let parsed = TerytCode::parse(code).map_err(|e| format!("`{code}`: {e}"))?;
    let rodz = parsed.rodz().unwrap_or('0');
    let gmina = match rodz {
        '1' | '2' | '3' => return Ok((parsed, '0')),
        '4' | '5' => parsed.with_rodz('3'),
        '8' | '9' => TerytCode::parse(&format!("{}011", &code[..4])).ok(),
        _ => None,
    };
    gmina.map(|g| (g, rodz)).ok_or_else(|| format!("`{code}`: RODZ {rodz} is not a gmina, a part of one or a city district"))
}

/// A whole, non-negative number of takers; `None` for an empty cell.
fn takers(text: &str) -> Result<Option<u64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let v = Value::parse(t).map_err(|e| e.to_string())?.get();
    if v < 0.0 || v.fract() != 0.0 || v > 1e7 {
        return Err(format!("`{t}` is not a number of takers (a whole number, 0 or more)"));
    }
    Ok(Some(v as u64))
}

/// A mean score in % (0–100); `None` for an empty cell.
fn mean(text: &str) -> Result<Option<f64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let v = Value::parse(t).map_err(|e| e.to_string())?.get();
    if !(0.0..=100.0).contains(&v) {
        return Err(format!("`{t}` is not a mean score in % (0–100)"));
    }
    Ok(Some(v))
}

#[derive(Default)]
struct Gmina {
    line: u64,
    name: Option<String>,
    /// Per [`SUBJECTS`] entry: (Σ takers, Σ takers × mean).
    sums: [(u64, f64); 3],
}

/// Reads a results file from its bytes; `file_name` may carry the year. Never panics.
pub fn read_cke(file: &str, file_name: &str, content: &[u8], opts: &CkeOptions) -> Result<CkeReader, IngestError> {
    if let Some(hint) = wrong_kind(content, file_name) {
        return Err(format_err(file, 0, hint));
    }
    let body = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(format_err(file, 0, "the file is empty"));
    }
    if let Err(e) = std::str::from_utf8(body) {
        return Err(format_err(
            file,
            1 + memchr::memchr_iter(b'\n', &body[..e.valid_up_to()]).count() as u64,
            "not UTF-8 text (perhaps Windows-1250); convert the file with `iconv -f cp1250 -t utf-8 FILE > FILE.utf8`",
        ));
    }
    // The csv reader counts the lines of a CRLF file wrongly; with LF it is exact.
    let lf: Vec<u8> = if memchr::memchr(b'\r', body).is_some() {
        let mut v = Vec::with_capacity(body.len());
        let mut i = 0;
        while i < body.len() {
            if !(body[i] == b'\r' && body.get(i + 1) == Some(&b'\n')) {
                v.push(body[i]);
            }
            i += 1;
        }
        v
    } else {
        body.to_vec()
    };
    let (year, year_from) = exam_year(file, file_name, opts)?;

    // The separator: of those that make the header name the code column, the one that splits
    // it into the most fields (`,` when none does).
    let mut chosen: Option<(usize, csv::Reader<&[u8]>, csv::ByteRecord)> = None;
    for delimiter in [b',', b';', b'\t'] {
        let mut rd = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(lf.as_slice());
        let mut header = csv::ByteRecord::new();
        match rd.read_byte_record(&mut header) {
            Ok(true) => {}
            Ok(false) => return Err(format_err(file, 0, "the file is empty")),
            Err(e) => return Err(format_err(file, 1, format!("the header cannot be read: {e}"))),
        }
        let names_code = header.iter().any(|f| fold_header(&String::from_utf8_lossy(f)).contains("teryt"));
        let score = if names_code { header.len() } else { 0 };
        if chosen.as_ref().is_none_or(|(best, _, _)| score > *best) {
            chosen = Some((score, rd, header));
        }
    }
    let Some((_, mut rd, header)) = chosen else { return Err(format_err(file, 1, "the header cannot be read")) };
    if header.len() > MAX_COLUMNS {
        return Err(format_err(
            file,
            1,
            format!("the header has {} columns, past the limit of {}", thousands(header.len() as u64), thousands(MAX_COLUMNS as u64)),
        ));
    }
    if let Some((i, f)) = header.iter().enumerate().find(|(_, f)| f.len() > MAX_FIELD_BYTES) {
        return Err(format_err(
            file,
            1,
            format!("column {} of the header is {} long, past the limit of {}", i + 1, bytes(f.len() as u64), bytes(MAX_FIELD_BYTES as u64)),
        ));
    }
    let names: Vec<String> = header.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
    let cols = find_columns(file, &names)?;
    let column = |i: usize| Some((i + 1, names.get(i).map_or("", |n| n.trim())));

    let mut subjects: Vec<SubjectSummary> =
        SUBJECTS.iter().map(|(s, _, _)| SubjectSummary { subject: (*s).to_owned(), ..SubjectSummary::default() }).collect();
    let mut gminy: BTreeMap<String, (TerytCode, Gmina)> = BTreeMap::new();
    let mut errors: Vec<RowError> = Vec::new();
    let mut by_base: BTreeSet<(String, String)> = BTreeSet::new();
    let (mut schools, mut skipped, mut town, mut rural, mut district) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut rec = csv::ByteRecord::new();
    loop {
        let line = rd.position().line();
        match rd.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let at = e.position().map_or(line, csv::Position::line);
                return Err(format_err(file, at, format!("not a readable CSV record: {e}")));
            }
        }
        let line = rec.position().map_or(line, csv::Position::line);
        if rec.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue; // a blank line
        }
        if errors.len() >= MAX_ROW_ERRORS {
            break;
        }
        schools += 1;
        let err = |col: usize, message: String| RowError::new(file, line, column(col), message);
        if let Some((i, f)) = rec.iter().enumerate().find(|(_, f)| f.len() > MAX_FIELD_BYTES) {
            errors.push(err(
                i,
                format!("this field is {} long, past the limit of {} for one field", bytes(f.len() as u64), bytes(MAX_FIELD_BYTES as u64)),
            ));
            continue;
        }
        // The text of a cell (the file is UTF-8, checked above); a missing cell is empty.
        let cell = |i: usize| rec.get(i).map_or("", |f| std::str::from_utf8(f).unwrap_or(""));
        let (gmina, part) = match gmina_of(cell(cols.code).trim()) {
            Ok(g) => g,
            Err(m) => {
                errors.push(err(cols.code, m));
                continue;
            }
        };
        let gmina = match &opts.gminy {
            Some(ix) => match ix.codes.get(gmina.as_str()) {
                Some(c) => TerytCode::parse(c).unwrap_or(gmina),
                None => match gmina.gmina_base().and_then(|b| ix.by_base.get(b)).and_then(|c| TerytCode::parse(c).ok()) {
                    Some(c) => {
                        if c != gmina {
                            by_base.insert((gmina.as_str().to_owned(), c.as_str().to_owned()));
                        }
                        c
                    }
                    None => gmina,
                },
            },
            None => gmina,
        };
        let mut values = [None; 3];
        let mut bad = false;
        for (k, c) in cols.subjects.iter().enumerate() {
            let Some((ct, cm)) = *c else { continue };
            let n = match takers(cell(ct)) {
                Ok(n) => n,
                Err(m) => {
                    errors.push(err(ct, m));
                    bad = true;
                    continue;
                }
            };
            let m = match mean(cell(cm)) {
                Ok(m) => m,
                Err(m) => {
                    errors.push(err(cm, m));
                    bad = true;
                    continue;
                }
            };
            if m.is_some() && n.unwrap_or(0) == 0 {
                errors.push(err(
                    cm,
                    format!("a mean score without takers (`{}` is {})", quote(names[ct].trim()), if n.is_some() { "0" } else { "empty" }),
                ));
                bad = true;
                continue;
            }
            values[k] = Some((n.unwrap_or(0), m));
        }
        if bad {
            continue;
        }
        match part {
            '4' => town += 1,
            '5' => rural += 1,
            '8' | '9' => district += 1,
            _ => {}
        }
        let entry = gminy.entry(gmina.as_str().to_owned()).or_insert_with(|| (gmina.clone(), Gmina { line, ..Gmina::default() }));
        if entry.1.name.is_none() {
            entry.1.name = cols.name.map(|c| cell(c).trim().to_owned()).filter(|n| !n.is_empty());
        }
        let mut counted = false;
        for (k, v) in values.iter().enumerate() {
            let Some((n, m)) = *v else { continue };
            let s = &mut subjects[k];
            if n == 0 {
                s.schools_without_takers += 1;
                continue;
            }
            s.takers += n;
            let Some(m) = m else {
                s.schools_without_mean += 1;
                continue;
            };
            s.takers_with_mean += n;
            s.schools_with_mean += 1;
            entry.1.sums[k].0 += n;
            entry.1.sums[k].1 += n as f64 * m;
            counted = true;
        }
        if !counted {
            skipped += 1;
        }
    }
    if schools == 0 && errors.is_empty() {
        return Err(format_err(file, 1, "no school below the header"));
    }

    let mut variables = Vec::new();
    for (k, (s, _, name)) in SUBJECTS.iter().enumerate() {
        if cols.subjects[k].is_none() {
            continue;
        }
        let v = |suffix: &str| VariableCode::parse(&format!("cke8_{s}_{suffix}")).map_err(|e| format_err(file, 0, e.to_string()));
        variables.push(VariableInfo {
            code: v("zdajacy")?,
            name_pl: format!("Egzamin ósmoklasisty, {name}: liczba zdających (w szkołach z opublikowanym średnim wynikiem)"),
            measure_unit: Some("osoba".to_owned()),
            bdl_subgroup: None,
        });
        variables.push(VariableInfo {
            code: v("suma")?,
            name_pl: format!("Egzamin ósmoklasisty, {name}: suma wyników (liczba zdających × średni wynik szkoły w %)"),
            measure_unit: Some("osobo-procent".to_owned()),
            bdl_subgroup: None,
        });
    }
    let mut records: Vec<Result<Record, RowError>> = Vec::new();
    let (mut written, mut cities) = (0usize, 0usize);
    if errors.is_empty() {
        for (gmina, g) in gminy.into_values() {
            let city = opts.gminy.as_ref().and_then(|ix| ix.city_powiats.get(gmina.as_str())).and_then(|p| TerytCode::parse(p).ok());
            cities += usize::from(city.is_some());
            let mut any = false;
            for (k, (s, _, _)) in SUBJECTS.iter().enumerate() {
                let (n, sum) = g.sums[k];
                if n == 0 {
                    continue;
                }
                any = true;
                for (suffix, value) in [("zdajacy", n as f64), ("suma", sum)] {
                    let variable = VariableCode::parse(&format!("cke8_{s}_{suffix}")).map_err(|e| format_err(file, g.line, e.to_string()))?;
                    let value = Value::new(value).ok_or_else(|| format_err(file, g.line, format!("{variable}: not a finite sum")))?;
                    for unit in std::iter::once(&gmina).chain(city.as_ref()) {
                        records.push(Ok(Record {
                            line: g.line,
                            unit: unit.clone(),
                            unit_name: g.name.clone(),
                            variable: variable.clone(),
                            year,
                            value: Some(value),
                            flag: Flag::Final,
                        }));
                    }
                }
            }
            written += usize::from(any);
        }
    } else {
        records = errors.into_iter().map(Err).collect();
    }
    let summary = CkeSummary {
        year,
        year_from,
        schools,
        schools_skipped: skipped,
        town_part_schools: town,
        rural_part_schools: rural,
        district_schools: district,
        gminy: written,
        city_powiats: cities,
        subjects: subjects.into_iter().zip(&cols.subjects).filter(|(_, c)| c.is_some()).map(|(s, _)| s).collect(),
        other_subjects: cols.other,
        by_base: by_base.into_iter().collect(),
    };
    let total = records.len();
    Ok(CkeReader { records: records.into_iter(), total, variables, summary })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "ID OKE,Gmina - nazwa,Kod teryt gminy,RSPO,\"rodzaj placówki\n\",liczba_zdających_polski,mean_polski,liczba_zdających_matematyka,mean_matematyka\n";

    fn read(body: &str) -> Result<CkeReader, IngestError> {
        read_cke("t.csv", "wyniki_2025.csv", format!("{HEAD}{body}").as_bytes(), &CkeOptions::default())
    }

    fn drain(r: &mut CkeReader) -> (Vec<Record>, Vec<RowError>) {
        let (mut ok, mut bad) = (Vec::new(), Vec::new());
        while let Ok(Some(x)) = r.next_record() {
            match x {
                Ok(rec) => ok.push(rec),
                Err(e) => bad.push(e),
            }
        }
        (ok, bad)
    }

    fn value(recs: &[Record], unit: &str, var: &str) -> Option<f64> {
        recs.iter().find(|r| r.unit.as_str() == unit && r.variable.as_str() == var).and_then(|r| r.value).map(Value::get)
    }

    #[test]
    fn parts_and_districts_count_for_their_gmina_weighted_by_takers() {
        let mut r = read(
            "7,Białobrzegi,1401014,1,x,10,\"60,5\",10,50\n\
             7,Białobrzegi,1401015,2,x,30,\"40\",4,\n\
             7,Promna,1401022,3,x,0,,,\n\
             7,Warszawa,1465028,4,x,20,70.25,20,\"30,0\"\n\
             7,Warszawa,1465011,5,x,5,80,5,90\n",
        )
        .expect("reads");
        let s = r.summary.clone();
        let (recs, bad) = drain(&mut r);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!((s.year.get(), s.schools, s.gminy), (2025, 5, 2));
        assert_eq!((s.town_part_schools, s.rural_part_schools, s.district_schools, s.schools_skipped), (1, 1, 1, 1));
        assert_eq!(value(&recs, "1401013", "cke8_pol_zdajacy"), Some(40.0));
        assert_eq!(value(&recs, "1401013", "cke8_pol_suma"), Some(10.0 * 60.5 + 30.0 * 40.0));
        assert_eq!(value(&recs, "1401013", "cke8_mat_zdajacy"), Some(10.0), "4 takers without a mean add to nothing");
        assert_eq!(value(&recs, "1465011", "cke8_mat_suma"), Some(20.0 * 30.0 + 5.0 * 90.0));
        assert_eq!(value(&recs, "1401022", "cke8_pol_zdajacy"), None, "no takers, no value");
        let mat = &s.subjects[1];
        assert_eq!((mat.takers, mat.takers_with_mean, mat.schools_without_mean, mat.schools_without_takers), (39, 35, 1, 1));
        assert_eq!(recs[0].line, 3, "the header holds a line break: the first school is on line 3");
        assert!(recs.iter().filter(|r| r.unit.as_str() == "1465011").all(|r| r.unit_name.as_deref() == Some("Warszawa")));
    }

    #[test]
    fn a_gmina_is_looked_up_in_the_register_by_its_code_then_by_its_six_digits() {
        let ix = GminaIndex {
            city_powiats: [("0601053".to_owned(), "0661".to_owned())].into_iter().collect(),
            codes: [("0601052", "0601053"), ("0601053", "0601053")].into_iter().map(|(a, b)| (a.to_owned(), b.to_owned())).collect(),
            by_base: [("143601", "1436013"), ("060105", "0601053")].into_iter().map(|(a, b)| (a.to_owned(), b.to_owned())).collect(),
        };
        let body = "7,Janów,0601052,1,x,10,50,,\n7,Janów,0601054,2,x,10,70,,\n7,Kazanów,1436012,3,x,20,40,,\n7,Kazanów,1436014,4,x,20,60,,\n7,Nowa,1499992,5,x,5,50,,\n";
        let opts = CkeOptions { gminy: Some(ix), ..CkeOptions::default() };
        let mut r = read_cke("t.csv", "w_2025.csv", format!("{HEAD}{body}").as_bytes(), &opts).expect("reads");
        assert_eq!(r.summary.by_base, vec![("1436012".to_owned(), "1436013".to_owned())], "an old code the register knows is no news");
        let (recs, _) = drain(&mut r);
        assert_eq!(value(&recs, "0601053", "cke8_pol_zdajacy"), Some(20.0), "the old code and the town part are one gmina");
        assert_eq!(value(&recs, "1436013", "cke8_pol_suma"), Some(20.0 * 40.0 + 20.0 * 60.0));
        assert_eq!(value(&recs, "1499992", "cke8_pol_zdajacy"), Some(5.0), "unknown everywhere: left for the import to refuse");
        assert_eq!((r.summary.gminy, r.summary.city_powiats), (3, 1));
        assert_eq!(value(&recs, "0661", "cke8_pol_zdajacy"), Some(20.0), "a city's figures under its city-powiat too");
    }

    #[test]
    fn a_bad_cell_is_reported_with_line_and_column_and_nothing_is_read() {
        let mut r = read("7,A,1401014,1,x,10,\"60,5\",10,50\n7,B,1401022,2,x,12,6x,10,50\n7,C,140102,3,x,1,1,1,1\n7,D,1401022,4,x,,50,1,101\n")
            .expect("reads");
        let (recs, bad) = drain(&mut r);
        assert!(recs.is_empty());
        let shown: Vec<String> = bad.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 4, "{shown:?}");
        assert!(shown[0].starts_with("t.csv:4: column 7 (mean_polski): value `6x` is not a number"), "{}", shown[0]);
        assert!(shown[1].starts_with("t.csv:5: column 3 (Kod teryt gminy)"), "{}", shown[1]);
        assert!(shown[2].contains("t.csv:6: column 7 (mean_polski): a mean score without takers"), "{}", shown[2]);
        assert!(shown[3].contains("t.csv:6: column 9 (mean_matematyka)") && shown[3].contains("0–100"), "{}", shown[3]);
    }

    #[test]
    fn the_year_and_the_header_are_checked() {
        let head = HEAD.as_bytes();
        let e = read_cke("t.csv", "wyniki.csv", head, &CkeOptions::default()).err().map(|e| e.to_string()).expect("no year");
        assert!(e.contains("--year"), "{e}");
        let e = read_cke("t.csv", "w_2024_2025.csv", head, &CkeOptions::default()).err().map(|e| e.to_string()).expect("two years");
        assert!(e.contains("2024, 2025"), "{e}");
        let r = read_cke(
            "t.csv",
            "w_20240101.csv",
            format!("{HEAD}7,A,1401022,1,x,5,50,5,50\n").as_bytes(),
            &CkeOptions { year: Year::new(2023), ..CkeOptions::default() },
        );
        assert_eq!(r.map(|r| r.summary.year.get()).ok(), Some(2023));
        let e = read_cke("t.csv", "w_2025.csv", b"a,b\n1,2\n", &CkeOptions::default()).err().map(|e| e.to_string()).expect("header");
        assert!(e.contains("Kod teryt gminy"), "{e}");
        let e = read_cke("t.csv", "w_2025.csv", b"Kod teryt gminy,liczba_zdajacych_polski\n1401022,5\n", &CkeOptions::default())
            .err()
            .map(|e| e.to_string())
            .expect("no mean");
        assert!(e.contains("no mean"), "{e}");
        let e = read_cke("t.csv", "w_2025.csv", b"unit,variable,year,value\n", &CkeOptions::default()).err().map(|e| e.to_string()).expect("kind");
        assert!(e.contains("`miernik import observations`"), "{e}");
        let semi =
            "Kod teryt gminy;liczba_zdających_angielski;mean_angielski;liczba_zdających_niemiecki;mean_niemiecki\r\n1401022;5;\"50,5\";3;40\r\n";
        let mut r = read_cke("t.csv", "w_2025.csv", semi.as_bytes(), &CkeOptions::default()).expect("semicolons, CRLF");
        assert_eq!(r.summary.other_subjects, vec!["niemiecki".to_owned()]);
        let (recs, _) = drain(&mut r);
        assert_eq!(value(&recs, "1401022", "cke8_ang_suma"), Some(252.5));
        assert_eq!(recs[0].line, 2);
        let e = read_cke("t.csv", "w_2025.csv", b"Kod teryt gminy,liczba_zdajacych_polski,mean_polski\n\xff\n", &CkeOptions::default())
            .err()
            .map(|e| e.to_string())
            .expect("not utf-8");
        assert!(e.contains("line 2") && e.contains("iconv"), "{e}");
    }
}
