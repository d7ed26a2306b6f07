//! End-to-end test: builds a realistic multi-page Polish unit report, writes it to a temp folder
//! and checks it with poppler (pdftoppm, pdftotext, pdfinfo) and, if present, `qpdf --check`.

use std::path::{Path, PathBuf};
use std::process::Command;

use pdf::{Align, Cell, Column, DocInfo, Document, Graphic, Rgb, Shape, Table};

const SENTENCE_1: &str = "Zażółć gęślą jaźń – „PCHNĄĆ W TĘ ŁÓDŹ JEŻA LUB OŚM SKRZYŃ FIG”.";
const SENTENCE_2: &str = "Wskaźnik ≥ 95% i ≤ 100% — wynik 2,5 ± 0,3 × średnia… gminy Źródła.";
const LONG: &str = "Raport przedstawia wybrane wskaźniki gminy na tle grupy porównawczej, czyli \
    gmin o podobnej liczbie mieszkańców i podobnym charakterze. Wartości powyżej mediany grupy \
    oznaczono kolorem niebieskim; słupki pokazują położenie gminy między minimum a maksimum w \
    grupie, a pionowa kreska — medianę. Dane pochodzą z publicznych rejestrów i sprawozdań \
    budżetowych; źródła każdego wskaźnika wymieniono w przypisach na końcu dokumentu.";

const BLUE: Rgb = Rgb(31, 94, 168);
const GRAY: Rgb = Rgb(225, 228, 232);
const DARK: Rgb = Rgb(60, 60, 60);

fn bar(value: f32, median: f32) -> Graphic {
    let w = 120.0;
    let mut g = Graphic::new(w, 10.0);
    g.push(Shape::Rect { x: 0.0, y: 1.0, w, h: 8.0, fill: Some(GRAY), stroke: None });
    g.push(Shape::Rect { x: 0.0, y: 1.0, w: w * value, h: 8.0, fill: Some(BLUE), stroke: None });
    g.push(Shape::Line { points: vec![(w * median, 0.0), (w * median, 10.0)], color: DARK, width: 1.2, dash: false });
    g
}

fn line_chart(width: f32) -> Graphic {
    let (h, left, bottom, top) = (200.0, 40.0, 170.0, 14.0);
    let plot_w = width - left - 10.0;
    let mut g = Graphic::new(width, h);
    let years = [2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024];
    let gmina = [4120.0, 4380.0, 4710.0, 5050.0, 5590.0, 6120.0, 6890.0, 7400.0];
    let median = [4000.0, 4250.0, 4500.0, 4900.0, 5300.0, 5800.0, 6500.0, 7000.0];
    let (lo, hi) = (3500.0f32, 8000.0f32);
    let x = |i: usize| left + plot_w * i as f32 / (years.len() - 1) as f32;
    let y = |v: f32| bottom - (v - lo) / (hi - lo) * (bottom - top);
    for k in 0..=4 {
        let v = lo + (hi - lo) * k as f32 / 4.0;
        g.push(Shape::Line { points: vec![(left, y(v)), (left + plot_w, y(v))], color: GRAY, width: 0.5, dash: k != 0 });
        g.push(Shape::Text { x: left - 4.0, y: y(v) + 3.0, text: format!("{v:.0}"), size: 7.5, bold: false, color: DARK, align: Align::Right });
    }
    for (i, yr) in years.iter().enumerate() {
        g.push(Shape::Text { x: x(i), y: bottom + 12.0, text: yr.to_string(), size: 7.5, bold: false, color: DARK, align: Align::Center });
    }
    let pts = |s: &[f32]| s.iter().enumerate().map(|(i, v)| (x(i), y(*v))).collect::<Vec<_>>();
    g.push(Shape::Line { points: pts(&median), color: DARK, width: 1.2, dash: true });
    g.push(Shape::Line { points: pts(&gmina), color: BLUE, width: 1.8, dash: false });
    for p in pts(&gmina) {
        g.push(Shape::Circle { cx: p.0, cy: p.1, r: 2.6, fill: Some(Rgb::WHITE), stroke: Some((BLUE, 1.2)) });
    }
    g.push(Shape::Text {
        x: left,
        y: 8.0,
        text: "Dochody na mieszkańca [zł] — gmina (ciągła) i mediana grupy (przerywana)".into(),
        size: 8.0,
        bold: true,
        color: DARK,
        align: Align::Left,
    });
    g
}

fn indicator_table(section: usize, rows: usize) -> Table {
    let names = [
        "Dochody własne na mieszkańca",
        "Wydatki inwestycyjne w relacji do wydatków ogółem",
        "Zadłużenie względem dochodów",
        "Udział dzieci objętych wychowaniem przedszkolnym",
        "Długość sieci wodociągowej na 100 km²",
        "Średni wynik egzaminu ósmoklasisty z matematyki",
        "Liczba przychodni na 10 tys. mieszkańców",
        "Odsetek odpadów zebranych selektywnie",
    ];
    Table {
        columns: vec![
            Column::new("Wskaźnik", 0.36, Align::Left),
            Column::new("Wartość", 0.12, Align::Right),
            Column::new("Mediana grupy", 0.13, Align::Right),
            Column::new("Pozycja", 0.11, Align::Center),
            Column::new("Na tle grupy (min–max)", 0.28, Align::Left),
        ],
        rows: (0..rows)
            .map(|i| {
                let v = ((i * 37 + section * 11) % 100) as f32 / 100.0;
                let m = ((i * 13 + 40) % 60 + 20) as f32 / 100.0;
                let name = names[i % names.len()];
                let first = if i % 5 == 0 { Cell::bold(name) } else { Cell::text(name) };
                vec![
                    first,
                    Cell::text(format!("{:.1}", v * 1000.0).replace('.', ",")),
                    Cell::text(format!("{:.1}", m * 1000.0).replace('.', ",")),
                    Cell::text(format!("{} / 48", (i * 7) % 48 + 1)),
                    Cell::Graphic(bar(v, m)),
                ]
            })
            .collect(),
        zebra: true,
        row_headers: true,
    }
}

fn build() -> (Vec<u8>, usize) {
    let mut doc = Document::new(DocInfo {
        title: "Raport jednostki: Gmina Źródła".into(),
        author: "Miernik".into(),
        subject: "Wskaźniki gminy na tle grupy porównawczej".into(),
        lang: "pl".into(),
        footer: "Miernik — raport jednostki: Gmina Źródła (gmina wiejska, woj. łódzkie)".into(),
        created: Some((2025, 3, 14)),
    });
    doc.heading(1, "Gmina Źródła — raport jednostki");
    doc.paragraph(SENTENCE_1);
    doc.paragraph(SENTENCE_2);
    doc.paragraph(LONG);
    doc.heading(2, "Trend dochodów");
    let w = doc.text_width();
    doc.graphic(&line_chart(w));
    doc.paragraph("Wykres pokazuje dochody ogółem na mieszkańca w latach 2017–2024.");
    for (s, title) in ["Finanse", "Edukacja", "Infrastruktura i środowisko", "Zdrowie i pomoc społeczna"].iter().enumerate() {
        doc.heading(2, &format!("{}. {}", s + 1, title));
        doc.paragraph(LONG);
        doc.heading(3, "Wskaźniki szczegółowe");
        doc.table(&indicator_table(s, 28 + s * 6));
    }
    doc.heading(2, "Uwagi metodologiczne");
    doc.paragraph(&[LONG; 3].join(" "));
    let pages = doc.page_count();
    (doc.finish(), pages)
}

fn tool(name: &str) -> bool {
    Command::new(name).arg("-v").output().is_ok()
}

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("miernik-pdf-render");
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn polish_report_renders_and_extracts() {
    let (bytes, pages) = build();
    assert!(pages >= 4, "expected a multi-page report, got {pages}");
    assert!(bytes.len() < 300_000, "report is {} bytes", bytes.len());
    assert_eq!(build().0, bytes, "output must be deterministic");
    let dir = out_dir();
    let file = dir.join("report.pdf");
    std::fs::write(&file, &bytes).expect("write pdf");
    eprintln!("wrote {} ({} bytes, {pages} pages)", file.display(), bytes.len());

    let have = tool("pdftoppm") && tool("pdftotext") && tool("pdfinfo");
    if !have {
        if std::env::var("MIERNIK_REQUIRE_POPPLER").as_deref() == Ok("1") {
            panic!("MIERNIK_REQUIRE_POPPLER=1 but pdftoppm/pdftotext/pdfinfo are missing");
        }
        eprintln!("poppler-utils not installed: skipping rendering checks");
        return;
    }

    // Page 1 renders to a non-trivial PNG.
    let png_base = dir.join("page1");
    let st = Command::new("pdftoppm")
        .args(["-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&file)
        .arg(&png_base)
        .status()
        .expect("run pdftoppm");
    assert!(st.success(), "pdftoppm failed");
    let png = std::fs::read(png_base.with_extension("png")).expect("png exists");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(png.len() > 10_000, "png only {} bytes", png.len());
    let w = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    let h = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
    assert!((490..=500).contains(&w) && (697..=706).contains(&h), "A4 at 60 dpi, got {w}×{h}");

    // The text comes back as the same Unicode.
    let out = Command::new("pdftotext").args(["-enc", "UTF-8"]).arg(&file).arg("-").output().expect("run pdftotext");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains(SENTENCE_1), "sentence 1 not extracted:\n{}", &text[..text.len().min(2000)]);
    assert!(text.contains(SENTENCE_2), "sentence 2 not extracted");
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(norm(&text).contains(&norm(LONG)), "wrapped paragraph not extracted in order");
    assert!(text.contains("Na tle grupy (min–max)"));
    // Page numbers (pdftotext drops the spaces of a line made only of one-letter words: "1/8").
    let squashed = text.replace(' ', "");
    assert!(squashed.contains(&format!("\n1/{pages}\n")) && squashed.contains(&format!("\n{pages}/{pages}\n")));

    // Page count and metadata.
    let info = Command::new("pdfinfo").arg(&file).output().expect("run pdfinfo");
    let info = String::from_utf8_lossy(&info.stdout).to_string();
    let n: usize = info.lines().find_map(|l| l.strip_prefix("Pages:")).and_then(|v| v.trim().parse().ok()).expect("Pages: line");
    assert_eq!(n, pages);
    assert!(info.contains("Raport jednostki: Gmina Źródła"), "{info}");

    let fonts = Command::new("pdffonts").arg(&file).output();
    if let Ok(fonts) = fonts {
        let f = String::from_utf8_lossy(&fonts.stdout);
        assert!(f.contains("DejaVuSans-Bold") && f.contains("CID TrueType"), "{f}");
        assert!(f.lines().skip(2).all(|l| l.contains(" yes yes yes ")), "fonts must be embedded, subset, with ToUnicode:\n{f}");
    }

    if tool("qpdf") {
        let q = Command::new("qpdf").arg("--check").arg(&file).output().expect("run qpdf");
        assert!(q.status.success(), "qpdf --check: {}", String::from_utf8_lossy(&q.stdout));
    } else {
        eprintln!("qpdf not installed: skipping qpdf --check");
    }
}
