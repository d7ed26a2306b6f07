//! BDL exports' series sent to catalogue variables ([`ReadOptions::series`]), their measure
//! converted; BDL's comma-separated export variant. Expected numbers are read from the real
//! files in ../shared/data by the test itself, not taken from the code under test.

use std::path::{Path, PathBuf};

use ingest::catalogue::series_key;
use ingest::{IngestError, ReadOptions, Record, RowError, SeriesMap, SeriesTarget, open_observations};
use model::VariableCode;

fn bdl(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/bdl/bdl_web_exports").join(name)
}

fn code(s: &str) -> VariableCode {
    VariableCode::parse(s).expect("code")
}

/// A series of a map: (subject, dims, measure, variable, variable's unit).
type Entry<'a> = (&'a str, &'a [&'a str], &'a str, &'a str, Option<&'a str>);

fn map(entries: &[Entry<'_>]) -> SeriesMap {
    entries
        .iter()
        .map(|(subject, dims, measure, var, unit)| {
            let dims: Vec<String> = dims.iter().map(|d| (*d).to_owned()).collect();
            (series_key(subject, &dims), SeriesTarget { variable: code(var), unit: unit.map(str::to_owned), measure: (*measure).to_owned() })
        })
        .collect()
}

fn opts(series: SeriesMap) -> ReadOptions {
    ReadOptions { series, ..ReadOptions::default() }
}

struct Read {
    records: Vec<Record>,
    errors: Vec<RowError>,
    series: Vec<ingest::SeriesOutcome>,
}

fn drain(path: &Path, opts: &ReadOptions) -> Result<Read, IngestError> {
    let mut r = open_observations(path, opts)?;
    let mut records = Vec::new();
    let mut errors = Vec::new();
    while let Some(rec) = r.next_record()? {
        match rec {
            Ok(x) => records.push(x),
            Err(e) => errors.push(e),
        }
    }
    Ok(Read { records, errors, series: r.series().to_vec() })
}

fn value(records: &[Record], unit: &str, var: &str, year: i16) -> Option<f64> {
    records.iter().find(|r| r.unit.as_str() == unit && r.variable.as_str() == var && r.year.get() == year).and_then(|r| r.value).map(|v| v.get())
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).expect("write");
    p
}

/// The P2137 CTAB of 2024: `ogółem;ogółem` and `70 i więcej;ogółem`, per województwo. Read
/// here with a plain split, independently of the reader.
fn p2137_2024(kod: &str) -> (f64, f64) {
    let text = std::fs::read_to_string(bdl("LUDN_2137_CTAB_20260414235116.csv")).expect("file");
    let line = text.lines().find(|l| l.starts_with(kod)).expect("row");
    let f: Vec<&str> = line.split(';').collect();
    (f[2].parse().expect("number"), f[3].parse().expect("number"))
}

#[test]
fn a_mapped_series_goes_to_its_variable_and_the_other_keeps_a_code_of_its_own() {
    let series = map(&[("P2137", &["ogółem", "ogółem"], "osoba", "ludnosc", Some("osoba"))]);
    let r = drain(&bdl("LUDN_2137_CTAB_20260414235116.csv"), &opts(series)).expect("reads");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let (total, old) = p2137_2024("0200000");
    assert_eq!(value(&r.records, "02", "ludnosc", 2024), Some(total));
    assert_eq!(value(&r.records, "02", "p2137_70_i_wiecej_ogolem", 2024), Some(old));
    assert_eq!(r.series.len(), 2);
    let (mapped, unmapped) = (&r.series[0], &r.series[1]);
    assert!(mapped.mapped && mapped.variable.as_str() == "ludnosc" && mapped.conversion.is_identity(), "{mapped:?}");
    assert_eq!((mapped.subject.as_str(), mapped.measure.as_deref()), ("P2137", Some("osoba")));
    assert_eq!(mapped.records, 16, "one value per województwo");
    assert!(!unmapped.mapped && unmapped.variable.as_str() == "p2137_70_i_wiecej_ogolem", "{unmapped:?}");
    assert_eq!(unmapped.dims, vec!["70 i więcej", "ogółem"]);
    // Without a map: today's codes for both.
    let plain = drain(&bdl("LUDN_2137_CTAB_20260414235116.csv"), &ReadOptions::default()).expect("reads");
    assert!(plain.series.iter().all(|s| !s.mapped));
    assert_eq!(value(&plain.records, "02", "p2137_ogolem_ogolem", 2024), Some(total));
}

#[test]
fn a_series_in_thousands_is_converted_to_the_variables_unit() {
    let dir = tempfile::tempdir().expect("dir");
    // A CREL in thousands of persons, decimal commas, as BDL writes them.
    let text = "\"Kod\";\"Nazwa\";\"Wiek\";\"Rok\";\"Wartosc\";\"Jednostka miary\";\"Atrybut\";\n\
                0201011;\"Bolesławiec (1)\";\"ogółem\";\"2020\";38,486;\"tys. osób\";\"\";\n\
                0201011;\"Bolesławiec (1)\";\"ogółem\";\"2021\";12,345;\"tys. osób\";\"\";\n\
                0201011;\"Bolesławiec (1)\";\"ogółem\";\"2022\";;\"tys. osób\";\"x\";\n\
                0201022;\"Bolesławiec (2)\";\"ogółem\";\"2020\";0,7;\"tys. osób\";\"\";\n";
    let p = write(&dir, "LUDN_9001_CREL_1.csv", text);
    let series = map(&[("P9001", &["Ogółem "], "tys. osób", "ludnosc", Some("osoba"))]);
    let r = drain(&p, &opts(series.clone())).expect("reads");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(value(&r.records, "0201011", "ludnosc", 2020), Some(38486.0));
    assert_eq!(value(&r.records, "0201011", "ludnosc", 2021), Some(12345.0), "exact, no binary noise");
    assert_eq!(value(&r.records, "0201022", "ludnosc", 2020), Some(700.0));
    let confidential = r.records.iter().find(|x| x.year.get() == 2022).expect("2022");
    assert_eq!((confidential.value, confidential.flag), (None, model::Flag::Confidential));
    assert_eq!(r.series[0].conversion.factor(), 1000.0);
    assert_eq!(r.series[0].records, 4);

    // A measure the variable's unit cannot take: the whole file is refused naming the
    // series, its measure and the variable's unit.
    let bad = map(&[("P9001", &["ogółem"], "tys. osób", "ludnosc", Some("zł"))]);
    let e = drain(&p, &opts(bad)).err().expect("refused");
    let m = e.to_string();
    assert!(m.contains("P9001 `ogółem`") && m.contains("`tys. osób`") && m.contains("`ludnosc` in `zł`"), "{m}");
    assert!(m.contains("LUDN_9001_CREL_1.csv: line 2"), "{m}");

    // A measure that changes within a mapped series is a row error at its cell.
    let changed = text.replace("0,7;\"tys. osób\"", "700;\"osoba\"");
    let p = write(&dir, "LUDN_9001_CREL_2.csv", &changed);
    let r = drain(&p, &opts(series)).expect("reads");
    assert_eq!(r.errors.len(), 1, "{:?}", r.records);
    assert_eq!(r.errors[0].line, 5);
    assert!(r.errors[0].message.contains("`osoba` here but in `tys. osób` before"), "{}", r.errors[0]);
}

#[test]
fn the_file_has_no_measure_then_the_catalogues_is_used() {
    // LUDN_1872 writes `-` for the measure: the catalogue's `tys. osób` (say) is taken.
    let dir = tempfile::tempdir().expect("dir");
    let text = "\"Kod\";\"Nazwa\";\"Lokalizacja\";\"Rok\";\"Wartosc\";\"Jednostka miary\";\"Atrybut\";\n\
                0201011;\"Bolesławiec (1)\";\"ogółem\";\"2020\";1,5;\"-\";\"\";\n";
    let p = write(&dir, "LUDN_9002_CREL_1.csv", text);
    let r = drain(&p, &opts(map(&[("P9002", &["ogółem"], "tys. osób", "x", Some("osoba"))]))).expect("reads");
    assert_eq!(value(&r.records, "0201011", "x", 2020), Some(1500.0));
    assert_eq!(r.series[0].measure.as_deref(), Some("tys. osób"));
}

#[test]
fn a_named_variable_checks_a_file_whose_series_are_all_mapped() {
    let p = bdl("LUDN_2137_CTAB_20260414235116.csv");
    let both = map(&[
        ("P2137", &["ogółem", "ogółem"], "osoba", "ludnosc", Some("osoba")),
        ("P2137", &["70 i więcej", "ogółem"], "osoba", "ludnosc_70", Some("osoba")),
    ]);
    let (total, old) = p2137_2024("1400000");
    for named in ["ludnosc", "ludnosc_70"] {
        let o = ReadOptions { variable: Some(code(named)), ..opts(both.clone()) };
        let r = drain(&p, &o).expect("every series mapped: --variable is a check");
        assert_eq!(value(&r.records, "14", "ludnosc", 2024), Some(total));
        assert_eq!(value(&r.records, "14", "ludnosc_70", 2024), Some(old));
    }
    let o = ReadOptions { variable: Some(code("dochody")), ..opts(both) };
    let e = drain(&p, &o).err().expect("not one of them");
    assert!(e.to_string().contains("--variable `dochody` is not one of the variables") && e.to_string().contains("ludnosc, ludnosc_70"), "{e}");
    // One series mapped, the other not: refused as before, saying why.
    let one = map(&[("P2137", &["ogółem", "ogółem"], "osoba", "ludnosc", Some("osoba"))]);
    let o = ReadOptions { variable: Some(code("ludnosc")), ..opts(one) };
    let e = drain(&p, &o).err().expect("refused");
    assert!(e.to_string().contains("more than one series") && e.to_string().contains("maps only some of them"), "{e}");
    let o = ReadOptions { variable: Some(code("ludnosc")), ..ReadOptions::default() };
    let e = drain(&p, &o).err().expect("refused");
    assert!(e.to_string().contains("import the catalogue first"), "{e}");
}

#[test]
fn a_named_variable_for_a_crel_takes_further_series_only_when_all_are_mapped() {
    let dir = tempfile::tempdir().expect("dir");
    let text = "\"Kod\";\"Nazwa\";\"Wiek\";\"Rok\";\"Wartosc\";\"Jednostka miary\";\"Atrybut\";\n\
                0201011;\"Bolesławiec (1)\";\"ogółem\";\"2020\";10;\"osoba\";\"\";\n\
                0201011;\"Bolesławiec (1)\";\"70 i więcej\";\"2020\";3;\"osoba\";\"\";\n";
    let p = write(&dir, "LUDN_9003_CREL_1.csv", text);
    let both = map(&[("P9003", &["ogółem"], "osoba", "a", Some("osoba")), ("P9003", &["70 i więcej"], "osoba", "b", Some("osoba"))]);
    let r = drain(&p, &ReadOptions { variable: Some(code("a")), ..opts(both) }).expect("reads");
    assert_eq!((value(&r.records, "0201011", "a", 2020), value(&r.records, "0201011", "b", 2020)), (Some(10.0), Some(3.0)));
    let first_only = map(&[("P9003", &["ogółem"], "osoba", "a", Some("osoba"))]);
    let e = drain(&p, &ReadOptions { variable: Some(code("a")), ..opts(first_only) }).err().expect("second series unmapped");
    assert!(e.to_string().contains("line 3") && e.to_string().contains("more than one series"), "{e}");
}

/// Rewrites a `;` BDL export with `,` as the separator (as BDL's export can write it):
/// `always` quotes every field (`"Kod","Nazwa",…`), otherwise only those that need it;
/// `point` writes decimals with a point instead of a quoted comma.
fn to_comma(text: &str, always: bool, point: bool) -> String {
    let mut r = csv::ReaderBuilder::new().delimiter(b';').has_headers(false).flexible(true).from_reader(text.as_bytes());
    let style = if always { csv::QuoteStyle::Always } else { csv::QuoteStyle::Necessary };
    let mut w = csv::WriterBuilder::new().delimiter(b',').quote_style(style).flexible(true).from_writer(Vec::new());
    for rec in r.records() {
        let rec = rec.expect("record");
        let fields: Vec<String> = rec
            .iter()
            .map(|f| {
                let numeric = !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit() || b == b',' || b == b'-');
                if point && numeric { f.replace(',', ".") } else { f.to_owned() }
            })
            .collect();
        w.write_record(&fields).expect("write");
    }
    String::from_utf8(w.into_inner().expect("flush")).expect("utf-8")
}

/// (unit, variable, year, value, flag) of every record.
fn plain(records: &[Record]) -> Vec<(String, String, i16, Option<f64>, model::Flag)> {
    records.iter().map(|r| (r.unit.as_str().to_owned(), r.variable.as_str().to_owned(), r.year.get(), r.value.map(|v| v.get()), r.flag)).collect()
}

#[test]
fn the_comma_separated_variant_reads_like_the_original() {
    let dir = tempfile::tempdir().expect("dir");
    for name in ["FINA_1586_CREL_20250113234236.csv", "LUDN_1336_CTAB_20260608161213.csv", "LUDN_2137_CTAB_20260414235116.csv"] {
        let original = std::fs::read_to_string(bdl(name)).expect("file");
        // The header and 60 rows: decimal commas (FINA), a CTAB of one and of two series.
        let head: String = original.lines().take(61).map(|l| format!("{l}\n")).collect();
        let want = drain(&write(&dir, name, &head), &ReadOptions::default()).expect("original");
        assert!(want.errors.is_empty() && !want.records.is_empty(), "{name}");
        assert!(
            name.starts_with("LUDN") || want.records.iter().any(|r| r.value.is_some_and(|v| v.get().fract() != 0.0)),
            "{name}: the sample has decimals"
        );
        for (always, point) in [(true, false), (false, false), (false, true)] {
            let comma = to_comma(&head, always, point);
            assert!(comma.starts_with(if always { "\"Kod\",\"Nazwa\"," } else { "Kod,Nazwa," }), "{comma}");
            let sub = tempfile::tempdir().expect("dir");
            let got = drain(&write(&sub, name, &comma), &ReadOptions::default()).unwrap_or_else(|e| panic!("{name} ({always}, {point}): {e}"));
            assert!(got.errors.is_empty(), "{name} ({always}, {point}): {:?}", got.errors.first());
            assert_eq!(plain(&got.records), plain(&want.records), "{name} ({always}, {point})");
        }
    }
}

#[test]
fn a_comma_file_refuses_what_it_cannot_read_for_sure() {
    let dir = tempfile::tempdir().expect("dir");
    let head = "\"Kod\",\"Nazwa\",\"Wiek\",\"Rok\",\"Wartosc\",\"Jednostka miary\",\"Atrybut\",\n";
    let text = format!(
        "{head}\
         0201011,\"Bolesławiec (1)\",\"ogółem\",\"2020\",\"1,234\",\"osoba\",\"\",\n\
         0201011,\"Bolesławiec (1)\",\"ogółem\",\"2021\",12,5,\"osoba\",\"\",\n\
         0201011,\"Bolesławiec (1)\",\"ogółem\",\"2022\",\"12,5\",\"osoba\",\"\",\n\
         0201011,\"Bolesławiec (1)\",\"ogółem\",\"2023\",1234,\"osoba\",\"\",\n"
    );
    let r = drain(&write(&dir, "LUDN_2137_CREL_1.csv", &text), &ReadOptions::default()).expect("opens");
    assert_eq!(r.errors.len(), 2, "{:?}", r.errors);
    assert_eq!(r.errors[0].line, 2);
    assert!(r.errors[0].message.contains("`1,234` is ambiguous"), "{}", r.errors[0]);
    assert_eq!(r.errors[1].line, 3);
    assert!(r.errors[1].message.contains("must be in quotes"), "{}", r.errors[1]);
    let years: Vec<(i16, Option<f64>)> = r.records.iter().map(|x| (x.year.get(), x.value.map(|v| v.get()))).collect();
    assert_eq!(years, vec![(2022, Some(12.5)), (2023, Some(1234.0))]);
}
