//! Telling the common wrong file by its first bytes and name — a GeoJSON given to
//! `import observations`, an XLSX given to `import units` — so that a reader refuses it
//! naming the subcommand that reads it, instead of a parse error about its first line.
//!
//! [`sniff`] says what a file looks like; [`wrong_file`] says, for the subcommand it was
//! given to, whether that is wrong and what to use instead (Polish, then English). Readers
//! call [`check`] before parsing, where a file of another kind can never be read anyway.

use std::io::Read;
use std::path::Path;

/// How many bytes of a file are looked at.
pub const HEAD_BYTES: usize = 64 * 1024;

/// What a file looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A ZIP named `.xlsx`/`.xlsm` or not named `.zip`: an Excel workbook.
    Xlsx,
    /// An old Excel workbook (OLE container).
    Xls,
    /// A ZIP named `.zip` (e.g. PRG or TERC as downloaded).
    Zip,
    GeoJson,
    /// A shapefile's `.shp` (or its `.shx`, `.dbf`, `.prj` by name).
    Shapefile,
    /// The TERC register as CSV (`WOJ;POW;GMI;RODZ;…`).
    TercCsv,
    /// The TERC register as XML (`<teryt><catalog …>`).
    TercXml,
    /// A BeSTi@ budget report package (`<PaczkaSprawozdan>`).
    Budget,
    /// A BDL web export (`"Kod";"Nazwa";…`).
    BdlExport,
    /// Observations in the long layout (`unit,variable,year,value`, Polish names too).
    LongCsv,
    /// The indicator catalogue (TOML with `[[variable]]` / `[[indicator]]`).
    Catalogue,
    /// Another XML document.
    Xml,
    /// Another JSON document.
    Json,
}

/// The `miernik import` subcommand a file was given to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Import {
    Units,
    Observations,
    Areas,
    Budget,
    Boundaries,
    Indicators,
}

/// What the first bytes of a file (and its name, which may be empty) say it is; `None` when
/// they say nothing known.
pub fn sniff(head: &[u8], name: &str) -> Option<Kind> {
    let head = &head[..head.len().min(HEAD_BYTES)];
    let ext = Path::new(name).extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if head.starts_with(b"\xD0\xCF\x11\xE0") {
        return Some(Kind::Xls);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Some(if ext == "zip" { Kind::Zip } else { Kind::Xlsx });
    }
    if head.starts_with(&[0, 0, 0x27, 0x0a]) || matches!(ext.as_str(), "shp" | "shx" | "dbf" | "prj") {
        return Some(Kind::Shapefile);
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(text.len());
    let body = &text[start..];
    let has = |needle: &[u8]| memchr::memmem::find(text, needle).is_some();
    if body.starts_with(b"<") {
        return Some(if has(b"<PaczkaSprawozdan") {
            Kind::Budget
        } else if has(b"<teryt") || has(b"name=\"TERC\"") || has(b"plik_zawartosc") {
            Kind::TercXml
        } else {
            Kind::Xml
        });
    }
    let toml_table = |name: &str| body.split(|b| *b == b'\n').any(|l| String::from_utf8_lossy(l).trim() == name);
    if toml_table("[[variable]]") || toml_table("[[indicator]]") {
        return Some(Kind::Catalogue); // before JSON: a TOML table array starts with `[` too
    }
    let geo_words = has(b"\"FeatureCollection\"") || has(b"\"Feature\"") || has(b"\"coordinates\"");
    if body.starts_with(b"{") || body.starts_with(b"[") {
        return Some(if geo_words { Kind::GeoJson } else { Kind::Json });
    }
    if body.starts_with(b"var ") && geo_words {
        return Some(Kind::GeoJson); // GeoJSON wrapped as a JavaScript variable
    }
    let first_line = body.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let first_line = String::from_utf8_lossy(first_line);
    let first_line = first_line.trim_end_matches('\r');
    if first_line.starts_with("\"Kod\";\"Nazwa\"") || first_line.starts_with("Kod;Nazwa") {
        return Some(Kind::BdlExport);
    }
    let fields: Vec<String> = first_line.split([';', ',', '\t']).take(16).map(|f| model::fold(f.trim().trim_matches('"').trim())).collect();
    if fields.len() >= 4 && fields[..4] == ["woj", "pow", "gmi", "rodz"] {
        return Some(Kind::TercCsv);
    }
    let any = |names: &[&str]| fields.iter().any(|f| names.contains(&f.as_str()));
    if any(&["unit", "jednostka", "teryt", "kod"]) && any(&["variable", "zmienna"]) && any(&["year", "rok"]) && any(&["value", "wartosc"]) {
        return Some(Kind::LongCsv);
    }
    None
}

/// For a file of `kind` given to `miernik import {to}`: what it is and the subcommand that
/// reads it, Polish first, then English. `None` when the kind may be right for `to` (the
/// reader decides) or says nothing.
pub fn wrong_file(kind: Kind, to: Import) -> Option<String> {
    let use_ = |what_pl: &str, what_en: &str, sub: &str| {
        format!("to jest {what_pl}: użyj `miernik import {sub}` / this is {what_en}: use `miernik import {sub}`")
    };
    Some(match (kind, to) {
        (Kind::GeoJson, Import::Boundaries) | (Kind::Shapefile, Import::Boundaries) => return None,
        (Kind::GeoJson, _) => use_("plik granic (GeoJSON)", "a boundary file (GeoJSON)", "boundaries"),
        (Kind::Shapefile, _) => use_("plik granic (shapefile)", "a boundary file (shapefile)", "boundaries"),
        (Kind::TercCsv | Kind::TercXml, Import::Units) => return None,
        (Kind::TercCsv | Kind::TercXml, _) => use_("rejestr TERC", "the TERC register", "units"),
        (Kind::Budget, Import::Budget) => return None,
        (Kind::Budget, _) => use_("paczka sprawozdań budżetowych BeSTi@ (Rb-27S/Rb-28S)", "a BeSTi@ budget report package (Rb-27S/Rb-28S)", "budget"),
        (Kind::BdlExport | Kind::LongCsv, Import::Observations) => return None,
        (Kind::BdlExport, _) => use_("plik obserwacji (eksport BDL)", "an observation file (a BDL export)", "observations"),
        (Kind::LongCsv, _) => use_("plik obserwacji (unit,variable,year,value)", "an observation file (unit,variable,year,value)", "observations"),
        (Kind::Catalogue, Import::Indicators) => return None,
        (Kind::Catalogue, _) => use_("katalog wskaźników (TOML)", "the indicator catalogue (TOML)", "indicators"),
        (Kind::Xlsx, Import::Observations | Import::Areas) => return None,
        (Kind::Xlsx, Import::Units) => "to jest skoroszyt XLSX, a rejestr TERC to plik CSV lub XML z eteryt.stat.gov.pl (wariant „Urzędowy”); \
             obserwacje z XLSX importuje `miernik import observations`, wykaz powierzchni GUGiK — `miernik import areas` / \
             this is an XLSX workbook, while the TERC register is a CSV or XML file from eteryt.stat.gov.pl (the \"Urzędowy\" variant); \
             observations in XLSX are read by `miernik import observations`, GUGiK's list of areas by `miernik import areas`"
            .to_owned(),
        (Kind::Xlsx, _) => "to jest skoroszyt XLSX: obserwacje importuje `miernik import observations`, wykaz powierzchni GUGiK — \
             `miernik import areas` / this is an XLSX workbook: observations are read by `miernik import observations`, \
             GUGiK's list of areas by `miernik import areas`"
            .to_owned(),
        (Kind::Xls, Import::Observations | Import::Areas) => return None,
        (Kind::Xls, _) => "to jest stary skoroszyt Excela (XLS); obserwacje zapisz jako XLSX lub CSV i użyj `miernik import observations` / \
             this is an old Excel (XLS) workbook; save observations as XLSX or CSV and use `miernik import observations`"
            .to_owned(),
        (Kind::Zip, _) => {
            "to jest archiwum ZIP: rozpakuj je i podaj plik ze środka / this is a ZIP archive: unpack it and give the file inside".to_owned()
        }
        (Kind::Xml, Import::Observations) => "to jest plik XML, a obserwacje to CSV, XLSX lub eksport BDL / \
             this is an XML file, while observations are CSV, XLSX or a BDL export"
            .to_owned(),
        (Kind::Json, Import::Observations) => "to jest plik JSON, a obserwacje to CSV, XLSX lub eksport BDL / \
             this is a JSON file, while observations are CSV, XLSX or a BDL export"
            .to_owned(),
        (Kind::Xml | Kind::Json, _) => return None,
    })
}

/// The hint for these first bytes given to `to`, if they are of a known wrong kind.
pub fn check(head: &[u8], name: &str, to: Import) -> Option<String> {
    sniff(head, name).and_then(|k| wrong_file(k, to))
}

/// The first [`HEAD_BYTES`] of a file (fewer if it is shorter).
pub(crate) fn head_of(path: &Path) -> std::io::Result<Vec<u8>> {
    let f = std::fs::File::open(path)?;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    f.take(HEAD_BYTES as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// A file parsed whole, read after two refusals: a file of another kind (`wrong_kind` names it
/// from the head and the name), then one past [`crate::limits::MAX_WHOLE_FILE_BYTES`]; `what`
/// ends the size message ("for a TERC register (the real ones are under 1 MB)").
pub(crate) fn read_whole(path: &Path, what: &str, wrong_kind: impl FnOnce(&[u8], &str) -> Option<String>) -> Result<Vec<u8>, crate::IngestError> {
    use crate::limits::{MAX_WHOLE_FILE_BYTES, bytes};
    let file = path.display().to_string();
    let io = |source| crate::IngestError::Io { file: file.clone(), source };
    let size = std::fs::metadata(path).map_err(io)?.len();
    let head = head_of(path).map_err(io)?;
    if let Some(hint) = wrong_kind(&head, name_of(path)) {
        return Err(crate::IngestError::format(&file, 0, hint));
    }
    if size > MAX_WHOLE_FILE_BYTES {
        let message = format!("the file is {}, past the limit of {} for {what}", bytes(size), bytes(MAX_WHOLE_FILE_BYTES));
        return Err(crate::IngestError::format(&file, 0, message));
    }
    std::fs::read(path).map_err(io)
}

/// The file name of a path, for [`sniff`].
pub(crate) fn name_of(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(rel: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel)
    }

    fn kind_of(rel: &str) -> Option<Kind> {
        let p = data(rel);
        sniff(&head_of(&p).expect("read"), name_of(&p))
    }

    #[test]
    fn the_real_files_are_told_by_their_first_bytes() {
        assert_eq!(kind_of("boundaries/kreperu_powiaty.geojson"), Some(Kind::GeoJson));
        assert_eq!(kind_of("boundaries/waszkiewiczja_polska.json"), Some(Kind::GeoJson), "pretty-printed, `meta` first");
        assert_eq!(kind_of("boundaries/original_js/kreperu_powiaty.js.json"), Some(Kind::GeoJson), "wrapped in `var powiat =`");
        assert_eq!(kind_of("teryt/TERC_Urzedowy_2026-01-08.csv"), Some(Kind::TercCsv));
        assert_eq!(kind_of("teryt/TERC_Urzedowy_2026-01-08.xml"), Some(Kind::TercXml));
        assert_eq!(kind_of("budget/bestia_xml_kutno_schools/Sprawozdania_2022_IVKwartal_Dochody.xml"), Some(Kind::Budget));
        assert_eq!(kind_of("bdl/bdl_web_exports/LUDN_2137_CREL_20220407210714.csv"), Some(Kind::BdlExport));
        assert_eq!(kind_of("bdl/bdl_web_exports/RYNE_1944_CTAB_20250616184618.csv"), Some(Kind::BdlExport));
        assert_eq!(kind_of("area/Wykaz_powierzchni_wg_stanu_na_01012025_ha_km2.xlsx"), Some(Kind::Xlsx));
        let catalogue = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue/indicators.toml");
        assert_eq!(sniff(&head_of(&catalogue).expect("read"), "indicators.toml"), Some(Kind::Catalogue));
    }

    #[test]
    fn small_heads_are_told_apart() {
        assert_eq!(sniff(b"\xEF\xBB\xBFunit;variable;year;value\n", "x.csv"), Some(Kind::LongCsv));
        assert_eq!(sniff(b"Jednostka,Zmienna,Rok,Warto\xc5\x9b\xc4\x87\n", ""), Some(Kind::LongCsv));
        assert_eq!(sniff(b"\"WOJ\";\"POW\";\"GMI\";\"RODZ\";\"NAZWA\"\n", ""), Some(Kind::TercCsv));
        assert_eq!(sniff(b"PK\x03\x04rest", "prg.zip"), Some(Kind::Zip));
        assert_eq!(sniff(b"PK\x03\x04rest", "book"), Some(Kind::Xlsx));
        assert_eq!(sniff(b"\xD0\xCF\x11\xE0", ""), Some(Kind::Xls));
        assert_eq!(sniff(b"\0\0\x27\x0a", ""), Some(Kind::Shapefile));
        assert_eq!(sniff(b"  <?xml version='1.0'?><root/>", ""), Some(Kind::Xml));
        assert_eq!(sniff(b"{\"a\":1}", ""), Some(Kind::Json));
        assert_eq!(sniff(b"kod,nazwa\n", ""), None);
        assert_eq!(sniff(b"", ""), None);
    }

    #[test]
    fn a_wrong_file_names_the_subcommand_that_reads_it_in_polish_then_english() {
        let h = wrong_file(Kind::GeoJson, Import::Observations).expect("hint");
        assert!(h.starts_with("to jest plik granic (GeoJSON): użyj `miernik import boundaries` / this is a boundary file"), "{h}");
        assert!(wrong_file(Kind::TercCsv, Import::Observations).expect("hint").contains("`miernik import units`"));
        assert!(wrong_file(Kind::Budget, Import::Units).expect("hint").contains("`miernik import budget`"));
        assert!(wrong_file(Kind::BdlExport, Import::Units).expect("hint").contains("`miernik import observations`"));
        let x = wrong_file(Kind::Xlsx, Import::Units).expect("hint");
        assert!(x.contains("XLSX") && x.contains("eteryt.stat.gov.pl") && x.contains("`miernik import observations`"), "{x}");
        assert!(!x.contains("iconv") && !x.contains("1250"), "{x}");
        for (k, to) in [
            (Kind::GeoJson, Import::Boundaries),
            (Kind::TercXml, Import::Units),
            (Kind::Budget, Import::Budget),
            (Kind::LongCsv, Import::Observations),
            (Kind::Xlsx, Import::Areas),
            (Kind::Catalogue, Import::Indicators),
            (Kind::Xml, Import::Units),
        ] {
            assert_eq!(wrong_file(k, to), None, "{k:?} to {to:?}");
        }
    }
}
