//! The GUS TERC register (`WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD;STAN_NA`) as CSV or XML, read
//! whole and validated as a state of the territorial division: one STAN_NA, unique codes,
//! every gmina's powiat and every powiat's województwo present, the "Urzędowy" variant.
//! The file is read whole, so it may be at most [`crate::limits::MAX_WHOLE_FILE_BYTES`] (the real ones are
//! 0.2–1 MB), a field at most [`MAX_FIELD_BYTES`]; a file of another kind (an XLSX, a BDL
//! export, a GeoJSON) is refused naming the subcommand that reads it.

use std::collections::HashSet;
use std::path::Path;

use model::{Date, TerytCode, UnitKind};
use quick_xml::events::Event;

use crate::IngestError;
use crate::limits::{MAX_FIELD_BYTES, bytes};
use crate::sniff::{self, Import};

/// One row of a TERC file.
#[derive(Debug, Clone, PartialEq)]
pub struct TercRow {
    /// 1-based line of the row in the file (CSV), or the line its `<row>` starts on (XML).
    pub line: u64,
    pub code: TerytCode,
    /// NAZWA as in the file.
    pub name: String,
    pub kind: UnitKind,
    /// NAZWA_DOD as in the file, e.g. `gmina miejska, miasto stołeczne`.
    pub name_extra: String,
}

/// A whole TERC state: every row and the date the state is of (STAN_NA).
#[derive(Debug, Clone, PartialEq)]
pub struct TercFile {
    pub state_date: Date,
    pub rows: Vec<TercRow>,
}

const HEADER: [&str; 7] = ["WOJ", "POW", "GMI", "RODZ", "NAZWA", "NAZWA_DOD", "STAN_NA"];

/// Reads a TERC file, CSV or XML (told apart by content).
pub fn read_terc(path: &Path) -> Result<TercFile, IngestError> {
    let file = path.display().to_string();
    let bytes = sniff::read_whole(path, "a TERC register (the real ones are under 1 MB)", |head, name| sniff::check(head, name, Import::Units))?;
    parse_terc(&bytes, &file)
}

fn err(file: &str, line: u64, message: impl Into<String>) -> IngestError {
    IngestError::format(file, line, message)
}

fn field_too_long(file: &str, line: u64, what: &str, len: usize) -> IngestError {
    err(file, line, format!("{what} is {} long, past the limit of {} for one field", bytes(len as u64), bytes(MAX_FIELD_BYTES as u64)))
}

/// Checks UTF-8 and strips a BOM; the error names the line of the first bad byte.
pub(crate) fn utf8<'a>(bytes: &'a [u8], file: &str) -> Result<&'a str, IngestError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() as u64 + 1;
        err(file, line, "the file is not UTF-8 (perhaps Windows-1250); convert it with `iconv -f cp1250 -t utf-8 FILE > FILE.utf8`")
    })
}

/// Parses the bytes of a TERC file, CSV or XML.
pub fn parse_terc(bytes: &[u8], file: &str) -> Result<TercFile, IngestError> {
    if let Some(hint) = sniff::check(bytes, "", Import::Units) {
        return Err(err(file, 0, hint));
    }
    let text = utf8(bytes, file)?;
    if text.trim().is_empty() {
        return Err(err(file, 0, "the file is empty"));
    }
    let raw = if text.trim_start().starts_with('<') { parse_xml(text, file)? } else { parse_csv(text, file)? };
    validate(raw, file)
}

struct Raw {
    line: u64,
    fields: [String; 7],
}

fn parse_csv(text: &str, file: &str) -> Result<Vec<Raw>, IngestError> {
    let mut lines = text.split('\n').enumerate();
    let header = lines.next().map(|(_, l)| l.trim_end_matches('\r').trim()).unwrap_or("");
    let found: Vec<&str> = header.split(';').take(HEADER.len() + 1).map(str::trim).collect();
    if found.len() != 7 || !found.iter().zip(HEADER).all(|(a, b)| a.eq_ignore_ascii_case(b)) {
        let hint = if !header.contains(';') && (header.contains(',') || header.contains('\t')) { " — the separator must be `;`" } else { "" };
        return Err(err(file, 1, format!("the header must be `{}`; found `{}`{hint}", HEADER.join(";"), truncate(header, 80))));
    }
    let mut rows = Vec::new();
    for (i, line) in lines {
        let line_no = i as u64 + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let count = memchr::memchr_iter(b';', line.as_bytes()).count() + 1;
        if count != 7 {
            return Err(err(file, line_no, format!("expected 7 fields separated by `;`, found {count}")));
        }
        let parts: Vec<&str> = line.split(';').collect();
        if let Some(k) = parts.iter().position(|p| p.len() > MAX_FIELD_BYTES) {
            return Err(field_too_long(file, line_no, HEADER[k], parts[k].len()));
        }
        let fields = std::array::from_fn(|k| parts.get(k).map_or(String::new(), |s| s.trim().to_owned()));
        rows.push(Raw { line: line_no, fields });
    }
    Ok(rows)
}

fn parse_xml(text: &str, file: &str) -> Result<Vec<Raw>, IngestError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let bytes = text.as_bytes();
    let mut rows = Vec::new();
    let mut current: Option<Raw> = None;
    let mut field: Option<usize> = None;
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
    loop {
        let event = reader.read_event().map_err(|e| {
            let l = line_at(reader.error_position());
            err(file, l, format!("malformed XML: {e}"))
        })?;
        match event {
            Event::Start(e) if e.name().as_ref() == "row" => {
                let l = line_at(reader.buffer_position());
                current = Some(Raw { line: l, fields: Default::default() });
            }
            Event::Start(e) => {
                field = HEADER.iter().position(|h| *h == e.name().as_ref());
            }
            Event::Empty(_) => {}
            Event::Text(t) => {
                if let (Some(row), Some(k)) = (current.as_mut(), field) {
                    row.fields[k].push_str(&t.xml10_content());
                    if row.fields[k].len() > MAX_FIELD_BYTES {
                        let l = line_at(reader.buffer_position());
                        return Err(field_too_long(file, l, &format!("<{}>", HEADER[k]), row.fields[k].len()));
                    }
                }
            }
            Event::GeneralRef(r) => {
                if let (Some(row), Some(k)) = (current.as_mut(), field) {
                    let name = r.xml10_content();
                    let ch = match name.as_ref() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => r.resolve_char_ref().ok().flatten(),
                    };
                    if let Some(c) = ch {
                        row.fields[k].push(c);
                    }
                }
            }
            Event::End(e) if e.name().as_ref() == "row" => {
                if let Some(mut row) = current.take() {
                    for f in &mut row.fields {
                        *f = f.trim().to_owned();
                    }
                    rows.push(row);
                }
                field = None;
            }
            Event::End(_) => field = None,
            Event::Eof => break,
            _ => {}
        }
    }
    if rows.is_empty() {
        if text.contains("plik_zawartosc") {
            return Err(err(
                file,
                0,
                "this is a response of the TERYT web service (e.g. PobierzKatalogTERC), not a TERC file: the TERC file is inside it as a base64-encoded ZIP in <plik_zawartosc>; decode and unzip it, then read the XML or CSV inside",
            ));
        }
        return Err(err(file, 0, "no <row> elements: this is not a TERC XML file (expected <teryt><catalog><row>…)"));
    }
    Ok(rows)
}

fn truncate(s: &str, n: usize) -> String {
    model::excerpt(s, n).into_owned()
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn row(raw: &Raw, file: &str) -> Result<(TercRow, Date), IngestError> {
    let [woj, pow, gmi, rodz, name, extra, stan] = &raw.fields;
    let e = |m: String| err(file, raw.line, m);
    if !digits(woj, 2) {
        return Err(e(format!("WOJ `{woj}` must be 2 digits")));
    }
    for (label, v, n) in [("POW", pow, 2), ("GMI", gmi, 2), ("RODZ", rodz, 1)] {
        if !v.is_empty() && !digits(v, n) {
            return Err(e(format!("{label} `{v}` must be empty or {n} digit(s)")));
        }
    }
    let kind = match (pow.is_empty(), gmi.is_empty(), rodz.is_empty()) {
        (true, true, true) => UnitKind::Wojewodztwo,
        (false, true, true) if extra.contains("na prawach powiatu") => UnitKind::MiastoNaPrawachPowiatu,
        (false, true, true) => UnitKind::Powiat,
        (false, false, false) => rodz
            .chars()
            .next()
            .and_then(UnitKind::from_rodz)
            .ok_or_else(|| e(format!("RODZ `{rodz}` is not a kind of unit (1, 2, 3, 4, 5, 8 or 9)")))?,
        _ => {
            return Err(e(format!(
                "WOJ/POW/GMI/RODZ `{woj}/{pow}/{gmi}/{rodz}` do not form a unit: a gmina needs all four, a powiat no GMI/RODZ, a województwo only WOJ"
            )));
        }
    };
    if let Some(said) = kind_from_extra(extra)
        && said != kind
    {
        let by = if rodz.is_empty() { "the empty POW/GMI make".to_owned() } else { format!("RODZ `{rodz}` makes") };
        return Err(e(format!("RODZ inconsistent with the kind: {by} this a {}, but NAZWA_DOD says `{extra}`", kind.name_pl())));
    }
    let code = TerytCode::parse(&format!("{woj}{pow}{gmi}{rodz}")).map_err(|x| e(x.to_string()))?;
    if name.is_empty() {
        return Err(e("NAZWA is empty".to_owned()));
    }
    let date = model::parse_date(stan).ok_or_else(|| e(format!("STAN_NA `{stan}` is not a date YYYY-MM-DD")))?;
    Ok((TercRow { line: raw.line, code, name: name.clone(), kind, name_extra: extra.clone() }, date))
}

/// The kind NAZWA_DOD names, when it is one of the phrases GUS uses (`gmina wiejska`,
/// `miasto na prawach powiatu`, `gmina miejska, miasto stołeczne`, …); `None` for other text.
fn kind_from_extra(extra: &str) -> Option<UnitKind> {
    if extra.contains("na prawach powiatu") {
        return Some(UnitKind::MiastoNaPrawachPowiatu);
    }
    let head = extra.split(',').next().unwrap_or("").trim();
    Some(match head {
        "województwo" => UnitKind::Wojewodztwo,
        "powiat" => UnitKind::Powiat,
        "gmina miejska" => UnitKind::GminaMiejska,
        "gmina wiejska" => UnitKind::GminaWiejska,
        "gmina miejsko-wiejska" => UnitKind::GminaMiejskoWiejska,
        "miasto" => UnitKind::Miasto,
        "obszar wiejski" => UnitKind::ObszarWiejski,
        "dzielnica" => UnitKind::Dzielnica,
        "delegatura" => UnitKind::Delegatura,
        _ => return None,
    })
}

fn validate(raw: Vec<Raw>, file: &str) -> Result<TercFile, IngestError> {
    let mut rows = Vec::with_capacity(raw.len());
    let mut state: Option<(Date, u64)> = None;
    for r in &raw {
        let (row, date) = row(r, file)?;
        match state {
            None => state = Some((date, r.line)),
            Some((d, first)) if d != date => {
                return Err(err(
                    file,
                    r.line,
                    format!("STAN_NA {} differs from {} on line {first}; a file holds one state", model::format_date(date), model::format_date(d)),
                ));
            }
            Some(_) => {}
        }
        rows.push(row);
    }
    let Some((state_date, _)) = state else {
        return Err(err(file, 0, "the file has a header but no rows"));
    };
    let mut seen: HashSet<&str> = HashSet::with_capacity(rows.len());
    for r in &rows {
        if !seen.insert(r.code.as_str()) {
            return Err(err(file, r.line, format!("code {} appears twice", r.code)));
        }
    }
    for r in &rows {
        let needed = match r.kind {
            UnitKind::Wojewodztwo => None,
            UnitKind::Powiat | UnitKind::MiastoNaPrawachPowiatu => r.code.wojewodztwo(),
            UnitKind::Miasto | UnitKind::ObszarWiejski => {
                let gmina = r.code.with_rodz('3');
                if gmina.as_ref().is_none_or(|g| !seen.contains(g.as_str())) {
                    return Err(err(
                        file,
                        r.line,
                        format!(
                            "{} `{}` is a part of an urban-rural gmina, but the gmina (RODZ 3) is missing: this looks like the TERC \"Adresowy\" variant — download the \"Urzędowy\" (official) variant instead",
                            r.code, r.name
                        ),
                    ));
                }
                r.code.powiat()
            }
            _ => r.code.powiat(),
        };
        if let Some(parent) = needed
            && !seen.contains(parent.as_str())
        {
            return Err(err(file, r.line, format!("{} `{}` lies in {parent}, which is not in the file", r.code, r.name)));
        }
    }
    Ok(TercFile { state_date, rows })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn real(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/teryt").join(name)
    }

    fn kinds(f: &TercFile) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for r in &f.rows {
            *m.entry(r.kind.as_str()).or_insert(0) += 1;
        }
        m
    }

    /// (file, STAN_NA, data rows, RODZ 1/2/3) as SOURCES.md states them, checked against the
    /// files with `awk -F';' '{print $4"|"$6}' | sort | uniq -c`.
    const OFFICIAL: [(&str, &str, usize, [usize; 3]); 6] = [
        ("TERC_Urzedowy_2018-10-02.csv", "2018-01-02", 4167, [302, 1548, 628]),
        ("TERC_Urzedowy_2020-01-01_state.csv", "2020-01-01", 4194, [302, 1533, 642]),
        ("TERC_Urzedowy_2025-03-20.csv", "2024-01-01", 4332, [302, 1464, 711]),
        ("TERC_Urzedowy_2025-11-18.csv", "2025-01-01", 4348, [302, 1459, 718]),
        ("TERC_Urzedowy_2026-01-08.csv", "2026-01-01", 4360, [302, 1453, 724]),
        ("TERC_Urzedowy_2026-01-08.xml", "2026-01-01", 4360, [302, 1453, 724]),
    ];

    #[test]
    fn every_official_state_reads_with_the_documented_counts_per_kind() {
        for (name, state, rows, [m, w, mw]) in OFFICIAL {
            let f = read_terc(&real(name)).expect(name);
            assert_eq!(model::format_date(f.state_date), state, "{name}");
            assert_eq!(f.rows.len(), rows, "{name}");
            let k = kinds(&f);
            assert_eq!((k["gmina_miejska"], k["gmina_wiejska"], k["gmina_miejsko_wiejska"]), (m, w, mw), "{name}");
            assert_eq!(k["wojewodztwo"], 16, "{name}");
            assert_eq!((k["powiat"], k["miasto_na_prawach_powiatu"]), (314, 66), "{name}");
            assert_eq!((k["miasto"], k["obszar_wiejski"]), (mw, mw), "{name}: parts of urban-rural gminy");
            assert_eq!((k["dzielnica"], k["delegatura"]), (18, 19), "{name}");
            assert_eq!(k.values().sum::<usize>(), rows, "{name}: no other kinds");
        }
    }

    #[test]
    fn every_file_in_the_teryt_folder_is_read_or_refused_with_a_reason() {
        let dir = real("");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("dir") {
            let path = entry.expect("entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_owned();
            if name.ends_with(".md") {
                continue;
            }
            seen += 1;
            let result = read_terc(&path);
            if OFFICIAL.iter().any(|o| o.0 == name) {
                assert!(result.is_ok(), "{name}: {result:?}");
            } else if name.starts_with("TERC_Adresowy") {
                let e = result.expect_err(&name).to_string();
                assert!(e.contains("Adresowy") && e.contains("Urzędowy"), "{e}");
            } else if name.starts_with("teryt_ws1_") {
                let e = result.expect_err(&name).to_string();
                assert!(e.contains("web service") && e.contains("plik_zawartosc"), "{e}");
            } else {
                // A file added to shared/data later must not break CI: it has to be read,
                // or refused with a reason that names the file.
                if let Err(e) = result {
                    assert!(e.to_string().contains(&name), "{name}: {e}");
                }
            }
        }
        assert_eq!(seen, 8);
    }

    #[test]
    fn csv_and_xml_of_the_same_state_give_the_same_rows() {
        let csv = read_terc(&real("TERC_Urzedowy_2026-01-08.csv")).expect("csv");
        let xml = read_terc(&real("TERC_Urzedowy_2026-01-08.xml")).expect("xml");
        assert_eq!(csv.state_date, xml.state_date);
        assert_eq!(csv.rows.len(), 4360);
        let strip = |f: &TercFile| f.rows.iter().map(|r| (r.code.clone(), r.name.clone(), r.kind, r.name_extra.clone())).collect::<Vec<_>>();
        assert_eq!(strip(&csv), strip(&xml));
        let warszawa = csv.rows.iter().find(|r| r.code.as_str() == "1465").expect("Warsaw powiat");
        assert_eq!(warszawa.kind, UnitKind::MiastoNaPrawachPowiatu);
        assert_eq!((xml.rows[0].line, xml.rows[1].line), (4, 13), "an XML row carries the line of its <row>");
        assert_eq!((csv.rows[0].line, csv.rows[1].line), (2, 3));
    }

    #[test]
    fn the_address_variant_is_refused_with_a_hint() {
        let e = read_terc(&real("TERC_Adresowy_2025-03-20.csv")).expect_err("Adresowy").to_string();
        assert!(e.contains("Adresowy") && e.contains("Urzędowy"), "{e}");
    }

    fn check(input: &[u8], line: u64, fragment: &str) {
        match parse_terc(input, "t.csv") {
            Ok(_) => panic!("{:?} should fail", String::from_utf8_lossy(input)),
            Err(IngestError::Format { line: l, message, .. }) => {
                assert_eq!(l, line, "{message}");
                assert!(message.contains(fragment), "`{fragment}` not in: {message}");
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }

    const H: &str = "WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD;STAN_NA\n";

    #[test]
    fn broken_terc_files_say_where_and_why() {
        check(b"", 0, "empty");
        check(H.as_bytes(), 0, "no rows");
        check(b"WOJ,POW,GMI,RODZ,NAZWA,NAZWA_DOD,STAN_NA\n", 1, "separator");
        check(b"KOD;NAZWA\n", 1, "header must be");
        check(format!("{H}02;;;;X;w;2026-01-01\n02;01;;;y\n").as_bytes(), 3, "7 fields");
        check(format!("{H}0A;;;;X;w;2026-01-01\n").as_bytes(), 2, "WOJ");
        check(format!("{H}02;;;;X;w;2026-01-01\n02;01;01;7;g;x;2026-01-01\n").as_bytes(), 3, "RODZ");
        check(format!("{H}02;;;;X;w;2026-01-01\n02;;01;1;g;x;2026-01-01\n").as_bytes(), 3, "do not form");
        check(format!("{H}02;;;;X;w;2026-01-01\n02;01;;;p;powiat;2026-01-02\n").as_bytes(), 3, "differs");
        check(format!("{H}02;;;;X;w;26-01-01\n").as_bytes(), 2, "STAN_NA");
        check(format!("{H}02;;;;X;w;2026-01-01\n02;;;;X;w;2026-01-01\n").as_bytes(), 3, "twice");
        check(format!("{H}02;;;;X;w;2026-01-01\n02;01;01;1;g;x;2026-01-01\n").as_bytes(), 3, "not in the file");
        check(format!("{H}02;;;;X;w;2026-01-01\n04;01;;;p;powiat;2026-01-01\n").as_bytes(), 3, "0401 `p` lies in 04, which is not in the file");
        check(
            format!("{H}02;;;;X;województwo;2026-01-01\n02;01;;;p;powiat;2026-01-01\n02;01;01;2;g;gmina miejska;2026-01-01\n").as_bytes(),
            4,
            "RODZ inconsistent with the kind: RODZ `2` makes this a gmina wiejska, but NAZWA_DOD says `gmina miejska`",
        );
        check(format!("{H}02;;;;X;województwo;2026-01-01\n02;01;;;p;województwo;2026-01-01\n").as_bytes(), 3, "RODZ inconsistent with the kind");
        check(
            format!("{H}02;;;;X;w;2026-01-01\n02;01;;;p;powiat;2026-01-01\n02;01;01;1;g;x;2026-01-01\n02;01;01;1;g;x;2026-01-01\n").as_bytes(),
            5,
            "0201011 appears twice",
        );
        check(b"WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD\n", 1, "found `WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD`");
        check(b"\xef\xbb\xbf\r\n\r\n", 0, "empty");
        check(format!("{H}02;;;;X;w;2026-01-01\n02;01;;;p;powiat;2026-01-01\n02;01;01;4;t;m;2026-01-01\n").as_bytes(), 4, "Adresowy");
        let mut cp1250 = format!("{H}02;;;;X;w;2026-01-01\n02;01;;;p;powiat;2026-01-01\n02;01;01;1;").into_bytes();
        cp1250.extend_from_slice(b"\xb3\xf3d\xbc;x;2026-01-01\n");
        check(&cp1250, 4, "UTF-8");
        check(b"<teryt><catalog></catalog></teryt>", 0, "no <row>");
        check(b"<teryt><row><WOJ>02</WOJ></ro", 1, "XML");
    }

    #[test]
    fn bom_crlf_and_lf_all_read() {
        let body =
            "02;;;;DOLNOŚLĄSKIE;województwo;2026-01-01\n02;01;;;bolesławiecki;powiat;2026-01-01\n02;01;01;1;Bolesławiec;gmina miejska;2026-01-01\n";
        let lf = format!("{H}{body}");
        let crlf = lf.replace('\n', "\r\n");
        let bom = format!("\u{feff}{crlf}");
        for input in [lf, crlf, bom] {
            let f = parse_terc(input.as_bytes(), "t").expect("reads");
            assert_eq!(f.rows.len(), 3);
            assert_eq!(f.rows[2].name, "Bolesławiec");
            assert_eq!(f.rows[2].line, 4);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn no_input_makes_the_terc_reader_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = parse_terc(&bytes, "fuzz");
            let mut csv = H.as_bytes().to_vec();
            csv.extend_from_slice(&bytes);
            let _ = parse_terc(&csv, "fuzz");
            let mut xml = b"<teryt><catalog><row>".to_vec();
            xml.extend_from_slice(&bytes);
            let _ = parse_terc(&xml, "fuzz");
        }

        /// Valid files with a few bytes changed, or cut short: closer to real damage than noise.
        #[test]
        fn no_damage_to_a_valid_terc_file_makes_the_reader_panic(
            xml in proptest::prelude::any::<bool>(),
            edits in proptest::collection::vec((0usize..2000, proptest::prelude::any::<u8>()), 0..6),
            cut in 0usize..2000,
        ) {
            let csv_text = format!("\u{feff}{H}02;;;;DOLNOŚLĄSKIE;województwo;2026-01-01\r\n02;01;;;bolesławiecki;powiat;2026-01-01\r\n02;01;01;1;Bolesławiec;gmina miejska;2026-01-01\r\n02;01;02;3;Nowogrodziec;gmina miejsko-wiejska;2026-01-01\r\n02;01;02;4;Nowogrodziec;miasto;2026-01-01\r\n");
            let xml_text = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<teryt>\r\n  <catalog name=\"TERC\" type=\"ALL\" date=\"2026-01-01\">\r\n    <row>\r\n      <WOJ>02</WOJ>\r\n      <POW />\r\n      <GMI />\r\n      <RODZ />\r\n      <NAZWA>DOLNOŚLĄSKIE &amp; co</NAZWA>\r\n      <NAZWA_DOD>województwo</NAZWA_DOD>\r\n      <STAN_NA>2026-01-01</STAN_NA>\r\n    </row>\r\n  </catalog>\r\n</teryt>\r\n";
            let mut bytes = if xml { xml_text.as_bytes().to_vec() } else { csv_text.into_bytes() };
            for (at, b) in edits {
                let n = bytes.len().max(1);
                if let Some(slot) = bytes.get_mut(at % n) {
                    *slot = b;
                }
            }
            bytes.truncate(cut);
            let dir = tempfile::tempdir().expect("dir");
            let path = dir.path().join("terc");
            std::fs::write(&path, &bytes).expect("write");
            let _ = read_terc(&path);
        }
    }
}
