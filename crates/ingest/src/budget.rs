//! Budget reports Rb-27S (revenue) and Rb-28S (expenditure) as the BeSTi@ reporting system
//! exports them: an XML `PaczkaSprawozdan` of `Jednostka` elements, each with its reports
//! (`Rb-27s` / `Rb-28s`) and their `Pozycja` rows by dział / rozdział / paragraf (`Paragraf`
//! holds three digits, `P4` the fourth).
//!
//! Variables, one per classification level and measure (amounts summed in grosze, exactly):
//!
//! | code | what |
//! |---|---|
//! | `rb28s_ww` | the report's total of a measure |
//! | `rb28s_dz801_ww` | a dział |
//! | `rb28s_rozdz80101_ww` | a rozdział |
//! | `rb28s_rozdz80101_par4010_ww` | a paragraf within a rozdział (the report's own row) |
//! | `rb28s_par4010_ww` | a paragraf over every rozdział |
//!
//! Measures: Rb-28S `pl` plan, `za` zaangażowanie, `ww` wydatki wykonane, `zo` zobowiązania;
//! Rb-27S `pl` plan, `na` należności, `dw` dochody wykonane, `no` należności pozostałe do
//! zapłaty, `nz` zaległości netto, `np` nadpłaty (and any other amount element, by its name).
//! A missing element is a missing amount, never a zero: a level gets a value only when some
//! row of it has the element.
//!
//! A quarter's report is cumulative from 1 January. Quarter 4 is the year: its variables are
//! the codes above. Quarters 1–3 get `_q1` … `_q3` after the report (`rb28s_q2_dz801_ww`),
//! so a half-year's figures are never taken for a year's.
//!
//! The unit is the JST of `WK`/`PK`/`GK`/`GT` (a gmina when `GK` is not `00`, else a powiat
//! when `PK` is not `00`, else a województwo). A JST's own (consolidated) report — a
//! `Jednostka` whose `Typ` is not `JB` — is stored under these codes, and a year's execution
//! also under the catalogue's MF variables where the position matches ([`CATALOGUE`]); any
//! `Typ` but `JB` is taken for the JST itself, whatever code BeSTi@ gives a gmina, powiat or
//! województwo there (no real JST-level package was at hand: the tests relabel the real
//! unit-level package). A
//! package of budget units' reports (`Typ` `JB`, e.g. the schools of a gmina) is not the
//! JST's budget: it is refused unless [`BudgetOptions::sum_units`], which stores the sum of
//! the package's units under `rb28s_jb_…` codes, apart from the JST's own figures, and
//! refuses a unit twice or a JST's own report mixed with its units' (double counting).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use model::{Flag, TerytCode, Value, VariableCode, Year};
use quick_xml::events::Event;

use crate::limits::MAX_FIELD_BYTES;
use crate::observations::{Layout, Record, RecordSource, VariableInfo};
use crate::sniff::{self, Import};
use crate::{IngestError, RowError};

#[derive(Debug, Clone, Copy, Default)]
pub struct BudgetOptions {
    /// Sum the reports of a package of budget units (`Typ` `JB`) into `…_jb_…` variables
    /// of their JST instead of refusing the package.
    pub sum_units: bool,
}

/// What a package held, for the import summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetSummary {
    /// `Rb-27S`, `Rb-28S` or both, with year and period, e.g. `Rb-28S 2022 IV kw.`.
    pub reports: Vec<String>,
    /// Reports (one per `Jednostka` and kind) and their `Pozycja` rows.
    pub report_count: usize,
    pub positions: usize,
    /// JSTs the values were stored for.
    pub jst: Vec<String>,
    /// Budget units summed into their JST (with `sum_units`); empty otherwise.
    pub summed_units: Vec<String>,
}

/// The observations of a report package, computed when opened.
pub struct BudgetReader {
    records: std::vec::IntoIter<Record>,
    total: usize,
    variables: Vec<VariableInfo>,
    pub summary: BudgetSummary,
}

impl RecordSource for BudgetReader {
    fn layout(&self) -> Layout {
        Layout::Long
    }
    fn next_record(&mut self) -> Result<Option<Result<Record, RowError>>, IngestError> {
        Ok(self.records.next().map(Ok))
    }
    fn variables(&self) -> &[VariableInfo] {
        &self.variables
    }
    fn progress(&self) -> (u64, u64) {
        ((self.total - self.records.len()) as u64, self.total as u64)
    }
}

/// Catalogue variables filled from a JST's own year report: (code, report, position, measure).
/// Positions: `""` total, `dz…`, `rozdz…`, `rozdz…_par…`, `par…`, or `[dz…]par6050-6069`.
pub const CATALOGUE: &[(&str, Report, &str)] = &[
    ("wydatki_ogolem", Report::Rb28s, ""),
    ("wydatki_801", Report::Rb28s, "dz801"),
    ("wydatki_80101", Report::Rb28s, "rozdz80101"),
    ("wydatki_80104", Report::Rb28s, "rozdz80104"),
    ("wydatki_852", Report::Rb28s, "dz852"),
    ("wydatki_85219", Report::Rb28s, "rozdz85219"),
    ("wydatki_85202", Report::Rb28s, "rozdz85202"),
    ("wydatki_855", Report::Rb28s, "dz855"),
    ("wydatki_921", Report::Rb28s, "dz921"),
    ("wydatki_926", Report::Rb28s, "dz926"),
    ("wydatki_600", Report::Rb28s, "dz600"),
    ("wydatki_900", Report::Rb28s, "dz900"),
    ("wydatki_90002", Report::Rb28s, "rozdz90002"),
    ("wydatki_700", Report::Rb28s, "dz700"),
    ("wydatki_750", Report::Rb28s, "dz750"),
    ("wydatki_757", Report::Rb28s, "dz757"),
    ("wydatki_inwestycyjne", Report::Rb28s, "par6050-6069"),
    ("wydatki_majatkowe_600", Report::Rb28s, "dz600_par6050-6069"),
    ("dochody_ogolem", Report::Rb27s, ""),
    ("subwencja_oswiatowa", Report::Rb27s, "rozdz75801"),
    ("subwencja_ogolna", Report::Rb27s, "dz758"),
    ("dochody_oplata_odpadowa", Report::Rb27s, "rozdz90002_par0490"),
    ("dochody_pit", Report::Rb27s, "rozdz75621_par0010"),
    ("dochody_cit", Report::Rb27s, "rozdz75621_par0020"),
    ("podatek_nieruchomosci", Report::Rb27s, "par0310"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Report {
    Rb27s,
    Rb28s,
}

impl Report {
    fn prefix(self) -> &'static str {
        match self {
            Report::Rb27s => "rb27s",
            Report::Rb28s => "rb28s",
        }
    }
    fn name(self) -> &'static str {
        match self {
            Report::Rb27s => "Rb-27S",
            Report::Rb28s => "Rb-28S",
        }
    }
    /// The measure of execution, the one the catalogue's variables take.
    fn executed(self) -> &'static str {
        match self {
            Report::Rb27s => "dw",
            Report::Rb28s => "ww",
        }
    }
}

fn measure_name(report: Report, m: &str) -> String {
    let known = match (report, m) {
        (_, "pl") => "plan",
        (Report::Rb28s, "za") => "zaangażowanie",
        (Report::Rb28s, "ww") => "wydatki wykonane",
        (Report::Rb28s, "zo") => "zobowiązania ogółem",
        (Report::Rb28s, "zw") => "zobowiązania wymagalne",
        (Report::Rb28s, "wfs") => "wydatki w ramach funduszu sołeckiego",
        (Report::Rb27s, "na") => "należności",
        (Report::Rb27s, "po") => "potrącenia",
        (Report::Rb27s, "dw") => "dochody wykonane",
        (Report::Rb27s, "no") => "należności pozostałe do zapłaty",
        (Report::Rb27s, "nz") => "zaległości netto",
        (Report::Rb27s, "np") => "nadpłaty",
        (Report::Rb27s, "so") => "skutki obniżenia górnych stawek podatków",
        (Report::Rb27s, "su") => "skutki udzielonych ulg i zwolnień",
        (Report::Rb27s, "uz") => "umorzenie zaległości podatkowych",
        (Report::Rb27s, "ot") => "rozłożenie na raty, odroczenie, zwolnienie z poboru",
        _ => "",
    };
    if known.is_empty() { format!("kolumna {}", m.to_uppercase()) } else { format!("{known} ({})", m.to_uppercase()) }
}

fn format_err(file: &str, line: u64, message: impl Into<String>) -> IngestError {
    IngestError::format(file, line, message)
}

/// An element of the document: name, text, children, the line it starts on.
struct El {
    name: String,
    /// The `Id` attribute (reports carry one).
    id: String,
    text: String,
    children: Vec<El>,
    line: u64,
}

impl El {
    fn child(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name == name)
    }
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

fn id_of(e: &quick_xml::events::BytesStart<'_>) -> String {
    match e.try_get_attribute("Id") {
        Ok(Some(a)) => a.value.trim().to_owned(),
        _ => String::new(),
    }
}

/// Deeper than this is not a report package; the limit keeps hostile input cheap.
const MAX_DEPTH: usize = 64;

fn parse_xml(file: &str, text: &str) -> Result<El, IngestError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let bytes = text.as_bytes();
    let mut line = 1u64;
    let mut counted = 0usize;
    let mut line_at = |pos: u64| {
        let pos = usize::try_from(pos).unwrap_or(bytes.len()).min(bytes.len());
        if pos > counted {
            line += memchr::memchr_iter(b'\n', &bytes[counted..pos]).count() as u64;
            counted = pos;
        }
        line
    };
    let mut stack: Vec<El> = Vec::new();
    let mut root: Option<El> = None;
    let name_of = |raw: &str| raw.to_owned();
    loop {
        let pos = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            let l = line_at(reader.error_position());
            let msg = e.to_string();
            let hint = if msg.contains("end of input") { " — the file ends too early: it is truncated" } else { "" };
            format_err(file, l, format!("not well-formed XML: {msg}{hint}"))
        })?;
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() && stack.is_empty() => {
                let l = line_at(pos);
                return Err(format_err(file, l, format!("a second root element <{}> after the end of the first", name_of(e.name().as_ref()))));
            }
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    let l = line_at(pos);
                    return Err(format_err(file, l, format!("elements nested deeper than {MAX_DEPTH}: not a report package")));
                }
                let l = line_at(pos);
                stack.push(El { name: name_of(e.local_name().as_ref()), id: id_of(&e), text: String::new(), children: Vec::new(), line: l });
            }
            Event::Empty(e) => {
                let l = line_at(pos);
                let el = El { name: name_of(e.local_name().as_ref()), id: id_of(&e), text: String::new(), children: Vec::new(), line: l };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&content);
                    if top.text.len() > MAX_FIELD_BYTES {
                        return Err(format_err(file, line_at(pos), too_much_text(&top.name)));
                    }
                } else if !content.trim().is_empty() {
                    let l = line_at(pos);
                    return Err(format_err(file, l, "text outside of any element: this is not an XML report package"));
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.into_inner());
                    if top.text.len() > MAX_FIELD_BYTES {
                        return Err(format_err(file, line_at(pos), too_much_text(&top.name)));
                    }
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    let name = r.xml10_content();
                    let ch = match name.as_ref() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => r.resolve_char_ref().ok().flatten(),
                    };
                    match ch {
                        Some(c) => top.text.push(c),
                        None => return Err(format_err(file, line_at(pos), format!("unknown entity `&{name};`"))),
                    }
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(format_err(file, line_at(pos), "an end tag without its start"));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        let path: Vec<&str> = stack.iter().map(|e| e.name.as_str()).collect();
        return Err(format_err(file, line_at(u64::MAX), format!("the file ends inside <{}> ({}): it is truncated", open.name, path.join("/"))));
    }
    root.ok_or_else(|| format_err(file, 0, "no XML element in the file: this is not a BeSTi@ report package (XML)"))
}

/// The identity of a reporting unit.
#[derive(Clone, PartialEq, Eq)]
struct Ident {
    nazwa: String,
    typ: String,
    regon: String,
    wk: String,
    pk: String,
    gk: String,
    gt: String,
}

fn field(el: &El, name: &str) -> String {
    el.child(name).map(|c| c.text.trim().to_owned()).unwrap_or_default()
}

fn ident(el: &El) -> Ident {
    Ident {
        nazwa: field(el, "Nazwa"),
        typ: field(el, "Typ"),
        regon: field(el, "Regon"),
        wk: field(el, "WK"),
        pk: field(el, "PK"),
        gk: field(el, "GK"),
        gt: field(el, "GT"),
    }
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// An amount in zł with a decimal point, as grosze.
fn grosze(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (body.contains('.') && frac.is_empty())
    {
        return Err(format!("`{t}` is not an amount in zł (digits with a decimal point, e.g. 1234.56)"));
    }
    if frac.len() > 2 {
        return Err(format!("`{t}` has more than two decimals: not an amount in zł and grosze"));
    }
    let whole: i64 = int.parse().map_err(|_| format!("`{t}` is too large an amount"))?;
    let cents: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
    let v = whole.checked_mul(100).and_then(|w| w.checked_add(cents)).ok_or_else(|| format!("`{t}` is too large an amount"))?;
    Ok(if neg { -v } else { v })
}

/// The period of a report: (year, quarter 1–4).
fn period(el: &El, path: &str, file: &str) -> Result<(Year, u8), IngestError> {
    let e = |m: String| format_err(file, el.line, format!("{path}: {m}"));
    let rok = field(el, "Rok");
    let year = Year::parse(&rok).map_err(|err| e(format!("Rok: {err}")))?;
    let typ = field(el, "TypOkresu");
    if typ != "Kwartal" {
        return Err(e(format!("TypOkresu `{typ}`: only quarterly reports (`Kwartal`) are read")));
    }
    let okres = field(el, "Okres");
    match okres.parse::<u8>() {
        Ok(q @ 1..=4) => Ok((year, q)),
        _ => Err(e(format!("Okres `{okres}` is not a quarter 1–4"))),
    }
}

/// The JST of a reporting unit's codes.
fn jst(id: &Ident) -> Result<TerytCode, String> {
    if !digits(&id.wk, 2) {
        return Err(format!("WK `{}` is not a two-digit województwo code", id.wk));
    }
    let code = if !id.gk.is_empty() && id.gk != "00" {
        if !digits(&id.pk, 2) || !digits(&id.gk, 2) || !digits(&id.gt, 1) {
            return Err(format!("PK `{}`, GK `{}`, GT `{}` do not make a gmina code (2, 2 and 1 digits)", id.pk, id.gk, id.gt));
        }
        format!("{}{}{}{}", id.wk, id.pk, id.gk, id.gt)
    } else if !id.pk.is_empty() && id.pk != "00" {
        if !digits(&id.pk, 2) {
            return Err(format!("PK `{}` is not a two-digit powiat code", id.pk));
        }
        format!("{}{}", id.wk, id.pk)
    } else {
        id.wk.clone()
    };
    TerytCode::parse(&code).map_err(|e| e.to_string())
}

/// One report read: its kind, unit, period, identity and its rows' amounts by position.
struct Read {
    report: Report,
    unit: TerytCode,
    year: Year,
    quarter: u8,
    ident: Ident,
    /// The report's `Id` attribute.
    id: String,
    path: String,
    line: u64,
    /// (dział, rozdział, paragraf 4 digits, measure) → grosze.
    rows: Vec<(String, String, String, String, i64)>,
    positions: usize,
}

/// A file that is not XML and of a known other kind (an XLSX, a GeoJSON, a CSV of TERC or of
/// observations): the subcommand that reads it. Another XML (TERC's) is told by its root
/// element, which the message names as well.
fn wrong_kind(head: &[u8], name: &str) -> Option<String> {
    match sniff::sniff(head, name)? {
        sniff::Kind::TercXml | sniff::Kind::Xml => None,
        kind => sniff::wrong_file(kind, Import::Budget),
    }
}

/// Opens a report package from a file.
pub fn open_budget(path: &Path, opts: &BudgetOptions) -> Result<BudgetReader, IngestError> {
    let file = path.display().to_string();
    let content = sniff::read_whole(path, "a report package (a JST's package is under 1 MB); split the package", wrong_kind)?;
    read_budget(&file, &content, opts)
}

/// Reads a report package from bytes. Never panics; every problem names the file, the line
/// and the element path.
pub fn read_budget(file: &str, bytes: &[u8], opts: &BudgetOptions) -> Result<BudgetReader, IngestError> {
    if let Some(hint) = wrong_kind(bytes, "") {
        return Err(format_err(file, 0, hint));
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(format_err(file, 0, "the file is empty"));
    }
    let text = std::str::from_utf8(body)
        .map_err(|e| format_err(file, 0, format!("not UTF-8 text (byte {}): not a BeSTi@ XML report package", e.valid_up_to())))?;
    let root = parse_xml(file, text)?;
    if root.name != "PaczkaSprawozdan" {
        let hint = sniff::sniff(bytes, "").and_then(|k| sniff::wrong_file(k, Import::Budget)).map(|h| format!("; {h}")).unwrap_or_default();
        return Err(format_err(
            file,
            root.line,
            format!("the root element is <{}>, not <PaczkaSprawozdan>: this is not a BeSTi@ report package (Rb-27S/Rb-28S XML){hint}", root.name),
        ));
    }
    let package_period = root.child("Okres").map(|p| period(p, "PaczkaSprawozdan/Okres", file)).transpose()?;
    let Some(jednostki) = root.child("Jednostki") else {
        return Err(format_err(file, root.line, "PaczkaSprawozdan: no <Jednostki> element"));
    };
    let mut reads: Vec<Read> = Vec::new();
    for (i, j) in jednostki.all("Jednostka").enumerate() {
        let jpath = format!("PaczkaSprawozdan/Jednostki/Jednostka[{}]", i + 1);
        let id = ident(j);
        let Some(spr) = j.child("Sprawozdania") else {
            return Err(format_err(file, j.line, format!("{jpath}: no <Sprawozdania> element")));
        };
        for (k, rep) in spr.children.iter().enumerate() {
            let rpath = format!("{jpath}/Sprawozdania/{}[{}]", rep.name, k + 1);
            let report = match rep.name.to_ascii_lowercase().as_str() {
                "rb-27s" => Report::Rb27s,
                "rb-28s" => Report::Rb28s,
                _ => {
                    return Err(format_err(
                        file,
                        rep.line,
                        format!("{rpath}: report <{}> is not read (only Rb-27S and Rb-28S); nothing was imported", rep.name),
                    ));
                }
            };
            let (year, quarter) = match (rep.child("Okres"), package_period) {
                (Some(p), Some(pp)) if period(p, &format!("{rpath}/Okres"), file)? != pp => {
                    return Err(format_err(
                        file,
                        p.line,
                        format!("{rpath}/Okres: the report's period differs from the package's (PaczkaSprawozdan/Okres)"),
                    ));
                }
                (Some(p), _) => period(p, &format!("{rpath}/Okres"), file)?,
                (None, Some(pp)) => pp,
                (None, None) => return Err(format_err(file, rep.line, format!("{rpath}: no <Okres> (period) for the report"))),
            };
            let own = rep.child("Jednostka").map(ident);
            let id = match own {
                Some(o) if (&o.wk, &o.pk, &o.gk, &o.gt, &o.typ, &o.regon) != (&id.wk, &id.pk, &id.gk, &id.gt, &id.typ, &id.regon) => {
                    return Err(format_err(
                        file,
                        rep.line,
                        format!(
                            "{rpath}/Jednostka: the report's unit (Regon `{}`, WK/PK/GK/GT {}{}{}{}) differs from its <Jednostka> (Regon `{}`, {}{}{}{})",
                            o.regon, o.wk, o.pk, o.gk, o.gt, id.regon, id.wk, id.pk, id.gk, id.gt
                        ),
                    ));
                }
                Some(o) => o,
                None => id.clone(),
            };
            let unit = jst(&id).map_err(|m| format_err(file, j.line, format!("{jpath}: {m}")))?;
            let mut rows = Vec::new();
            let mut positions = 0;
            let pozycje = rep.child("Pozycje");
            for (n, p) in pozycje.into_iter().flat_map(|ps| ps.all("Pozycja")).enumerate() {
                positions += 1;
                let ppath = format!("{rpath}/Pozycje/Pozycja[{}]", n + 1);
                let e = |f: &str, m: String| format_err(file, p.line, format!("{ppath}/{f}: {m}"));
                let dz = field(p, "Dzial");
                if !digits(&dz, 3) {
                    return Err(e("Dzial", format!("`{dz}` is not a three-digit dział")));
                }
                let rz = field(p, "Rozdzial");
                if !digits(&rz, 5) || !rz.starts_with(&dz) {
                    return Err(e("Rozdzial", format!("`{rz}` is not a five-digit rozdział of dział {dz}")));
                }
                let par = field(p, "Paragraf");
                if !digits(&par, 3) {
                    return Err(e("Paragraf", format!("`{par}` is not a three-digit paragraf (the fourth digit is in P4)")));
                }
                let p4 = field(p, "P4");
                if !digits(&p4, 1) {
                    return Err(e("P4", format!("`{p4}` is not the paragraf's fourth digit")));
                }
                let par4 = format!("{par}{p4}");
                for c in &p.children {
                    if matches!(c.name.as_str(), "Dzial" | "Rozdzial" | "Grupa" | "Paragraf" | "P4") {
                        continue;
                    }
                    if !c.children.is_empty() || c.name.is_empty() || !c.name.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        return Err(e(&c.name, "unexpected element in a position".to_owned()));
                    }
                    let amount = grosze(&c.text).map_err(|m| e(&c.name, m))?;
                    rows.push((dz.clone(), rz.clone(), par4.clone(), c.name.to_ascii_lowercase(), amount));
                }
            }
            reads.push(Read { report, unit, year, quarter, ident: id, id: rep.id.clone(), path: rpath, line: rep.line, rows, positions });
        }
    }
    if reads.is_empty() {
        return Err(format_err(
            file,
            jednostki.line,
            "PaczkaSprawozdan/Jednostki: no report (Jednostka/Sprawozdania/Rb-27s or Rb-28s) in the package",
        ));
    }
    aggregate(file, reads, opts)
}

type Key = (TerytCode, String, Year);

fn aggregate(file: &str, reads: Vec<Read>, opts: &BudgetOptions) -> Result<BudgetReader, IngestError> {
    // Group the reports by (kind, JST, period) and decide what each group is.
    let mut groups: BTreeMap<(Report, String, i16, u8), Vec<&Read>> = BTreeMap::new();
    for r in &reads {
        groups.entry((r.report, r.unit.as_str().to_owned(), r.year.get(), r.quarter)).or_default().push(r);
    }
    let mut summed = Vec::new();
    for ((report, unit, year, q), rs) in &groups {
        let units: Vec<&&Read> = rs.iter().filter(|r| r.ident.typ == "JB").collect();
        let what = format!("{} {year} quarter {q} of JST {unit}", report.name());
        if units.is_empty() {
            if let [a, b, ..] = rs.as_slice() {
                return Err(format_err(file, b.line, format!("{} and {}: two reports {what}; refusing to count it twice", a.path, b.path)));
            }
            continue;
        }
        if units.len() < rs.len() {
            let own = rs.iter().find(|r| r.ident.typ != "JB").map_or("", |r| r.path.as_str());
            return Err(format_err(
                file,
                units[0].line,
                format!(
                    "{own}: the JST's own report {what} comes with reports of its budget units (Typ JB); its figures already include theirs, so the package would count them twice"
                ),
            ));
        }
        if !opts.sum_units {
            let names: Vec<&str> = units.iter().take(3).map(|r| r.ident.nazwa.as_str()).collect();
            return Err(format_err(
                file,
                0,
                format!(
                    "the package holds {} report(s) {what} of budget units (Typ JB: {}{}), not the JST's own report; their sum is not the JST's budget. Import with --sum-units to store the sum of these units under rb27s_jb_…/rb28s_jb_… variables, apart from the JST's own figures",
                    units.len(),
                    names.join(", "),
                    if units.len() > 3 { ", …" } else { "" }
                ),
            ));
        }
        // A unit twice: the same report Id, or the same Regon and name. (Regon alone is not
        // enough: in the real 2022 Kutno packages two schools carry the same Regon.)
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for r in &units {
            let by_id = (!r.id.is_empty()).then(|| format!("id {}", r.id));
            let by_unit = format!("unit {}|{}", r.ident.regon, model::fold(&r.ident.nazwa));
            let first = by_id.and_then(|k| seen.insert(k, &r.path)).or_else(|| seen.insert(by_unit, &r.path));
            if let Some(first) = first {
                return Err(format_err(
                    file,
                    r.line,
                    format!(
                        "{first} and {}: budget unit `{}` (Regon `{}`) reports {what} twice; refusing to count it twice",
                        r.path, r.ident.nazwa, r.ident.regon
                    ),
                ));
            }
            summed.push(format!("{} ({})", r.ident.nazwa, r.ident.regon));
        }
    }

    let mut sums: BTreeMap<Key, (i64, u64)> = BTreeMap::new();
    let mut infos: BTreeMap<String, VariableInfo> = BTreeMap::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut add = |file: &str, key: Key, amount: i64, line: u64, info: &dyn Fn() -> VariableInfo| -> Result<(), IngestError> {
        let e = sums.entry(key.clone()).or_insert((0, line));
        e.0 = e.0.checked_add(amount).ok_or_else(|| format_err(file, line, format!("the sum of {} overflows", key.1)))?;
        infos.entry(key.1).or_insert_with(info);
        Ok(())
    };
    for r in &reads {
        let jb = r.ident.typ == "JB";
        if !jb {
            names.entry(r.unit.as_str().to_owned()).or_insert_with(|| r.ident.nazwa.clone());
        }
        let mut prefix = r.report.prefix().to_owned();
        let mut lead = r.report.name().to_owned();
        if jb {
            prefix.push_str("_jb");
            lead.push_str(", suma sprawozdań jednostek budżetowych");
        }
        if r.quarter < 4 {
            prefix.push_str(&format!("_q{}", r.quarter));
            lead.push_str(&format!(", narastająco do końca {} kwartału", ["I", "II", "III"][usize::from(r.quarter - 1)]));
        }
        for (dz, rz, par, m, amount) in &r.rows {
            let levels = [
                (String::new(), "ogółem".to_owned()),
                (format!("_dz{dz}"), format!("dział {dz}")),
                (format!("_rozdz{rz}"), format!("rozdział {rz}")),
                (format!("_rozdz{rz}_par{par}"), format!("rozdział {rz}, § {par}")),
                (format!("_par{par}"), format!("§ {par}")),
            ];
            for (pos, label) in levels {
                let code = format!("{prefix}{pos}_{m}");
                let variable = VariableCode::parse(&code).map_err(|e| format_err(file, r.line, format!("{}: {e}", r.path)))?;
                let info = || VariableInfo {
                    code: variable.clone(),
                    name_pl: format!("{lead}: {label} — {}", measure_name(r.report, m)),
                    measure_unit: Some("zł".to_owned()),
                    bdl_subgroup: None,
                };
                add(file, (r.unit.clone(), code.clone(), r.year), *amount, r.line, &info)?;
            }
            // The catalogue's variables: a JST's own year report, execution only.
            if jb || r.quarter != 4 || m != r.report.executed() {
                continue;
            }
            for (code, report, pos) in CATALOGUE {
                if *report != r.report || !catalogue_match(pos, dz, rz, par) {
                    continue;
                }
                let variable = VariableCode::parse(code).map_err(|e| format_err(file, r.line, e.to_string()))?;
                let info =
                    || VariableInfo { code: variable.clone(), name_pl: (*code).to_owned(), measure_unit: Some("zł".to_owned()), bdl_subgroup: None };
                add(file, (r.unit.clone(), (*code).to_owned(), r.year), *amount, r.line, &info)?;
            }
        }
    }
    let mut records = Vec::with_capacity(sums.len());
    for ((unit, code, year), (grosze, line)) in sums {
        let variable = VariableCode::parse(&code).map_err(|e| format_err(file, line, e.to_string()))?;
        let value = Value::new(grosze as f64 / 100.0).ok_or_else(|| format_err(file, line, format!("{code}: not a finite amount")))?;
        let unit_name = names.get(unit.as_str()).cloned();
        records.push(Record { line, unit, unit_name, variable, year, value: Some(value), flag: Flag::Final });
    }
    let quarter_word = |q: u8| ["I", "II", "III", "IV"][usize::from(q.clamp(1, 4) - 1)];
    let mut kinds = BTreeSet::new();
    let mut jsts = BTreeSet::new();
    for r in &reads {
        kinds.insert(format!("{} {} {} kw.", r.report.name(), r.year.get(), quarter_word(r.quarter)));
        jsts.insert(r.unit.as_str().to_owned());
    }
    let summary = BudgetSummary {
        reports: kinds.into_iter().collect(),
        report_count: reads.len(),
        positions: reads.iter().map(|r| r.positions).sum(),
        jst: jsts.into_iter().collect(),
        summed_units: summed,
    };
    let total = records.len();
    Ok(BudgetReader { records: records.into_iter(), total, variables: infos.into_values().collect(), summary })
}

/// Whether a row (dział, rozdział, 4-digit paragraf) belongs to a [`CATALOGUE`] position.
fn catalogue_match(pos: &str, dz: &str, rz: &str, par: &str) -> bool {
    let mut ok = true;
    for part in pos.split('_').filter(|p| !p.is_empty()) {
        ok &= if let Some(d) = part.strip_prefix("dz") {
            d == dz
        } else if let Some(r) = part.strip_prefix("rozdz") {
            r == rz
        } else if let Some(p) = part.strip_prefix("par") {
            match p.split_once('-') {
                Some((lo, hi)) => lo <= par && par <= hi,
                None => p == par,
            }
        } else {
            false
        };
    }
    ok
}

/// The error of an element whose text passes [`MAX_FIELD_BYTES`].
fn too_much_text(element: &str) -> String {
    format!("<{element}> holds more than {} of text, the limit for one element", crate::limits::bytes(MAX_FIELD_BYTES as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The real Kutno expenditure package (Rb-28S 2022 Q4 of 7 schools, `Typ` JB) cut to its
    /// first unit, relabelled as a JST's own report: name, `Typ`, Regon and WK/PK/GK/GT/PT
    /// replaced where the package names the unit (its `Jednostka` and the report's header).
    /// No real JST-level package is at hand; MF publishes them in this structure.
    fn own_package(nazwa: &str, typ: &str, regon: &str, codes: [&str; 5]) -> Vec<u8> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/budget/bestia_xml_kutno_schools/Sprawozdania_2022_IVKwartal_Wydatki.xml");
        let text = std::fs::read_to_string(path).expect("the real package");
        let end = text.find("</Jednostka><Jednostka>").expect("several units");
        let first = format!("{}</Jednostka></Jednostki></PaczkaSprawozdan>", &text[..end]);
        let school =
            "<Nazwa>Szkoła Podstawowa Nr 7</Nazwa><Typ>JB</Typ><Regon>001070630     </Regon><WK>10</WK><PK>02</PK><GK>01</GK><GT>1</GT><PT>0</PT>";
        assert_eq!(first.matches(school).count(), 2, "the unit is named in its Jednostka and in its report");
        let [wk, pk, gk, gt, pt] = codes;
        let jst =
            format!("<Nazwa>{nazwa}</Nazwa><Typ>{typ}</Typ><Regon>{regon}</Regon><WK>{wk}</WK><PK>{pk}</PK><GK>{gk}</GK><GT>{gt}</GT><PT>{pt}</PT>");
        first.replace(school, &jst).into_bytes()
    }

    /// Σ of an amount element over the package, in grosze, read straight from the text.
    fn total(bytes: &[u8], element: &str) -> i64 {
        let text = String::from_utf8_lossy(bytes);
        let open = format!("<{element}>");
        text.split(&open)
            .skip(1)
            .map(|rest| {
                let amount = &rest[..rest.find('<').expect("end tag")];
                let (zl, gr) = amount.split_once('.').expect("decimal point");
                zl.parse::<i64>().expect("zł") * 100 + gr.parse::<i64>().expect("gr")
            })
            .sum()
    }

    #[test]
    fn a_jsts_own_report_is_read_under_its_teryt_code_at_every_level_without_sum_units() {
        for (nazwa, typ, codes, unit) in [
            ("Gmina Miasto Kutno", "GM", ["10", "02", "01", "1", "0"], "1002011"),
            ("Powiat Kutnowski", "PW", ["10", "02", "00", "0", "1"], "1002"),
            ("Miasto Łódź", "MNP", ["10", "61", "01", "1", "2"], "1061011"),
            ("Województwo Łódzkie", "WOJ", ["10", "00", "00", "0", "0"], "10"),
        ] {
            let bytes = own_package(nazwa, typ, "750148552     ", codes);
            let mut r = read_budget("own.xml", &bytes, &BudgetOptions::default()).unwrap_or_else(|e| panic!("{nazwa}: {e}"));
            assert_eq!(r.summary.jst, vec![unit.to_owned()], "{nazwa}");
            assert!(r.summary.summed_units.is_empty());
            assert_eq!(r.summary.reports, vec!["Rb-28S 2022 IV kw.".to_owned()]);
            let mut recs = Vec::new();
            while let Ok(Some(Ok(rec))) = r.next_record() {
                recs.push(rec);
            }
            assert!(recs.iter().all(|x| x.unit.as_str() == unit && x.unit_name.as_deref() == Some(nazwa)), "{nazwa}");
            assert!(!recs.iter().any(|x| x.variable.as_str().contains("_jb")), "a JST's own figures, not a sum of units");
            let value =
                |code: &str| recs.iter().find(|x| x.variable.as_str() == code).and_then(|x| x.value).map(|v| (v.get() * 100.0).round() as i64);
            assert_eq!(value("rb28s_ww"), Some(total(&bytes, "WW")), "{nazwa}");
            assert_eq!(value("rb28s_pl"), Some(total(&bytes, "PL")), "{nazwa}");
            assert_eq!(value("wydatki_ogolem"), value("rb28s_ww"), "the year's execution fills the catalogue's variable");
        }
        // A gmina's code needs its type: WK/PK/GK without GT is no TERYT code.
        let e = read_budget("own.xml", &own_package("Gmina", "GM", "1", ["10", "02", "01", "", "0"]), &BudgetOptions::default())
            .err()
            .map(|e| e.to_string())
            .expect("refused");
        assert!(e.contains("Jednostka[1]") && e.contains("GT"), "{e}");
    }
}
