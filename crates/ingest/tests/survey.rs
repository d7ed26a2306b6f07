//! Question sets and paper results: line-numbered errors, bounded reads, no panics.

use ingest::survey::{Answer, SurveySet, parse_set, read_paper};
use proptest::prelude::*;

const SET: &str = r#"[set]
code = "proba"
sector = "edukacja"
title_pl = "Próba"
title_en = "Trial"
free_text_pl = "Uwagi"
free_text_en = "Remarks"

[[question]]
code = "q1"
text_pl = "Pierwsze"
text_en = "First"

[[question]]
code = "q2"
text_pl = "Drugie"
text_en = "Second"
"#;

fn set() -> SurveySet {
    parse_set(SET, "proba.toml").expect("value")
}

#[test]
fn a_set_reads_with_its_defaults() {
    let s = set();
    assert_eq!(s.code, "proba");
    assert_eq!(s.satisfied_from, 4);
    assert_eq!(s.questions.len(), 2);
    assert_eq!(s.free_text, Some(("Uwagi".into(), "Remarks".into())));
}

#[test]
fn the_standard_sets_read() {
    for (file, min, max, sector) in [("szkola.toml", 8, 10, "edukacja"), ("ops.toml", 6, 8, "polityka_spoleczna")] {
        let text = std::fs::read_to_string(format!("{}/../../catalogue/surveys/{file}", env!("CARGO_MANIFEST_DIR"))).expect("value");
        let s = parse_set(&text, file).expect("value");
        assert!((min..=max).contains(&s.questions.len()), "{file}: {}", s.questions.len());
        assert_eq!(s.sector, sector);
        assert!(s.free_text.is_some());
    }
}

#[test]
fn set_errors_name_the_line() {
    let dup = SET.replace("code = \"q2\"", "code = \"q1\"");
    let e = parse_set(&dup, "x.toml").expect_err("an error");
    assert_eq!(e.line, 15, "{e}");
    assert!(e.to_string().starts_with("x.toml:15:"), "{e}");
    let bad = SET.replace("code = \"proba\"", "code = \"pró ba\"");
    assert_eq!(parse_set(&bad, "x.toml").expect_err("an error").line, 2);
    let half = SET.replace("free_text_en = \"Remarks\"\n", "");
    assert!(parse_set(&half, "x.toml").expect_err("an error").message.contains("both"));
    let sat = SET.replace("[set]\n", "[set]\nsatisfied_from = 9\n");
    assert!(parse_set(&sat, "x.toml").expect_err("an error").message.contains("satisfied_from"));
    assert!(parse_set("[set]\ncode = 1", "x.toml").is_err());
}

#[test]
fn paper_csv_reads_scores_dont_knows_blanks_and_remarks() {
    let csv = "q1;q2;uwagi\n5;nie wiem;Super\n1;;\n;;\n?;3;\n";
    let rows = read_paper(csv.as_bytes(), "p.csv", &set()).expect("value");
    assert_eq!(rows.len(), 3, "the empty line is skipped");
    assert_eq!(rows[0].scores, vec![("q1".into(), Answer::Score(5)), ("q2".into(), Answer::DontKnow)]);
    assert_eq!(rows[0].comment.as_deref(), Some("Super"));
    assert_eq!(rows[1].scores[1].1, Answer::Blank);
    assert_eq!(rows[2].line, 5);
    assert_eq!(rows[2].scores[0].1, Answer::DontKnow);
    let commas = "Q2,q1\n4,2\n";
    let rows = read_paper(commas.as_bytes(), "p.csv", &set()).expect("value");
    assert_eq!(rows[0].scores, vec![("q1".into(), Answer::Score(2)), ("q2".into(), Answer::Score(4))]);
}

#[test]
fn a_bad_cell_names_file_line_column_and_a_short_quote() {
    let csv = format!("q1;q2\n5;4\n3;{}\n", "x".repeat(500));
    let e = read_paper(csv.as_bytes(), "p.csv", &set()).expect_err("an error");
    assert_eq!((e.line, e.column.as_deref()), (3, Some("2 (q2)")));
    assert_eq!(e.text.as_deref().map(|t| t.chars().count()), Some(41), "40 characters and the cut mark");
    assert!(e.to_string().starts_with("p.csv, line 3, column 2 (q2): `xxx"), "{e}");
    let e = read_paper(b"q1;q2\n6;1\n", "p.csv", &set()).expect_err("an error");
    assert_eq!((e.line, e.text.as_deref()), (2, Some("6")));
    let e = read_paper(b"q1;q3\n1;1\n", "p.csv", &set()).expect_err("an error");
    assert_eq!((e.line, e.column.as_deref(), e.text.as_deref()), (1, Some("2"), Some("q3")));
    let e = read_paper(b"q1\n1\n", "p.csv", &set()).expect_err("an error");
    assert!(e.message.contains("q2"), "{e}");
    let e = read_paper(b"q1;q2\n1;2;3\n", "p.csv", &set()).expect_err("an error");
    assert_eq!((e.line, e.column.as_deref()), (2, Some("3")));
    assert!(read_paper(b"", "p.csv", &set()).is_err());
    assert!(read_paper(b"q1;q2\n\xff;1\n", "p.csv", &set()).expect_err("an error").message.contains("UTF-8"));
}

#[test]
fn paper_xlsx_reads_through_the_bounded_reader() {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "q1").expect("value");
    sheet.write_string(0, 1, "q2").expect("value");
    sheet.write_string(0, 2, "comment").expect("value");
    sheet.write_number(1, 0, 4.0).expect("value");
    sheet.write_string(1, 1, "nw").expect("value");
    sheet.write_string(1, 2, "ok").expect("value");
    sheet.write_number(2, 0, 2.0).expect("value");
    sheet.write_number(2, 1, 7.0).expect("value");
    let bytes = book.save_to_buffer().expect("value");
    let e = read_paper(&bytes, "p.xlsx", &set()).expect_err("an error");
    assert_eq!((e.line, e.column.as_deref(), e.text.as_deref()), (3, Some("B (q2)"), Some("7")));

    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "q1").expect("value");
    sheet.write_string(0, 1, "q2").expect("value");
    sheet.write_number(1, 0, 4.0).expect("value");
    sheet.write_number(1, 1, 5.0).expect("value");
    let rows = read_paper(&book.save_to_buffer().expect("value"), "p.xlsx", &set()).expect("value");
    assert_eq!(rows[0].scores, vec![("q1".into(), Answer::Score(4)), ("q2".into(), Answer::Score(5))]);
}

#[test]
fn more_than_twenty_thousand_questionnaires_are_refused() {
    let mut csv = String::from("q1;q2\n");
    for _ in 0..20_001 {
        csv.push_str("1;2\n");
    }
    let e = read_paper(csv.as_bytes(), "p.csv", &set()).expect_err("an error");
    assert!(e.message.contains("20000"), "{e}");
    csv.truncate("q1;q2\n".len() + 4 * 20_000);
    assert_eq!(read_paper(csv.as_bytes(), "p.csv", &set()).expect("value").len(), 20_000);
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = read_paper(&bytes, "r.csv", &set());
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend(&bytes);
        let _ = read_paper(&zip, "r.xlsx", &set());
        let _ = parse_set(&String::from_utf8_lossy(&bytes), "r.toml");
    }

    #[test]
    fn random_cells_never_panic(cells in proptest::collection::vec("[ -~ąęł;,\"\n]{0,12}", 0..30)) {
        let csv = format!("q1;q2;uwagi\n{}", cells.join(";"));
        let _ = read_paper(csv.as_bytes(), "r.csv", &set());
    }
}
