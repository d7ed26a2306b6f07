//! Tagged-PDF check of a two-page document (heading, paragraphs, a table running over the page
//! break, figures): poppler must call it tagged, and the structure tree read back with
//! `qpdf --json` must have the document's language and title, cover every page (each MCID in the
//! content streams belongs to exactly one element, and all content is marked), keep the table
//! one `Table` of `TR`s with `TH` and `TD` cells, give every `Figure` a text alternative, and read
//! in the order the document was written — the order `pdftotext -raw` extracts it in, too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use pdf::{Align, Cell, Column, DocInfo, Document, Graphic, Rgb, Shape, Table};
use serde_json::Value;

const TITLE: &str = "Raport: Gmina Źródła 2024";
const FOOTER: &str = "Miernik · Gmina Źródła";
const HEADING: &str = "Gmina Źródła — wskaźniki 2024";
const INTRO: &str = "Raport porównuje wskaźniki gminy z grupą podobnych gmin. Zażółć gęślą jaźń.";
const FILL: &str = "Wartości powyżej mediany grupy oznaczono kolorem niebieskim, a słupki pokazują położenie \
    gminy między najniższą a najwyższą wartością w grupie porównawczej.";
const TABLE_HEADING: &str = "Wskaźniki szczegółowe";
const TREND_HEADING: &str = "Trend dochodów";
const TREND_LABEL: &str = "Dochody 2019–2024";
const TREND_ALT: &str = "Trend 2019–2024: z 4120,0 do 7400,0 zł na mieszkańca";
const END: &str = "Koniec raportu.";
const COLUMNS: [&str; 4] = ["Wskaźnik", "Wartość", "Mediana", "Położenie"];

fn bar_alt(i: usize) -> String {
    format!("Pozycja w grupie: mediana 50,0; ta jednostka {i},5")
}

fn row(i: usize) -> Vec<Cell> {
    let mut bar = Graphic::new(100.0, 10.0).with_alt(bar_alt(i));
    bar.push(Shape::Rect { x: 0.0, y: 1.0, w: 100.0, h: 8.0, fill: Some(Rgb(224, 224, 224)), stroke: None });
    bar.push(Shape::Circle { cx: i as f32 * 3.0, cy: 5.0, r: 3.0, fill: Some(Rgb::BLACK), stroke: None });
    vec![Cell::text(format!("Wskaźnik numer {i} gminy")), Cell::text(format!("{i},5 zł")), Cell::text("50,0 zł"), Cell::Graphic(bar)]
}

const ROWS: usize = 30;

fn trend() -> Graphic {
    let mut g = Graphic::new(300.0, 80.0).with_alt(TREND_ALT);
    g.push(Shape::Text { x: 0.0, y: 10.0, text: TREND_LABEL.into(), size: 8.0, bold: true, color: Rgb::BLACK, align: Align::Left });
    g.push(Shape::Line { points: vec![(0.0, 70.0), (100.0, 50.0), (300.0, 20.0)], color: Rgb(31, 94, 168), width: 1.5, dash: false });
    g
}

/// The document, and the words of its real content in the order it was written.
fn build() -> (Vec<u8>, usize, Vec<String>) {
    let mut doc = Document::new(DocInfo { title: TITLE.into(), footer: FOOTER.into(), lang: "pl".into(), ..DocInfo::default() });
    let mut words: Vec<String> = Vec::new();
    let mut say = |s: &str| words.extend(s.split_whitespace().map(String::from));
    doc.heading(1, HEADING);
    say(HEADING);
    doc.paragraph(INTRO);
    say(INTRO);
    for _ in 0..12 {
        doc.paragraph(FILL);
        say(FILL);
    }
    doc.heading(2, TABLE_HEADING);
    say(TABLE_HEADING);
    let table = Table {
        columns: vec![
            Column::new(COLUMNS[0], 0.4, Align::Left),
            Column::new(COLUMNS[1], 0.15, Align::Right),
            Column::new(COLUMNS[2], 0.15, Align::Right),
            Column::new(COLUMNS[3], 0.3, Align::Left),
        ],
        rows: (0..ROWS).map(row).collect(),
        zebra: true,
        row_headers: true,
    };
    doc.table(&table);
    COLUMNS.iter().for_each(|c| say(c));
    for r in &table.rows {
        for c in r {
            if let Cell::Text(t) = c {
                say(t);
            }
        }
    }
    doc.heading(2, TREND_HEADING);
    say(TREND_HEADING);
    doc.graphic(&trend());
    say(TREND_LABEL);
    doc.paragraph(END);
    say(END);
    let pages = doc.page_count();
    (doc.finish(), pages, words)
}

fn tool(name: &str) -> bool {
    Command::new(name).arg("--version").output().is_ok()
}

/// Runs `cmd args… file tail…` and returns its standard output.
fn run_with(cmd: &str, args: &[&str], file: &Path, tail: &[&str]) -> String {
    let out = Command::new(cmd).args(args).arg(file).args(tail).output().unwrap_or_else(|e| panic!("run {cmd}: {e}"));
    assert!(out.status.success(), "{cmd} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

fn run(cmd: &str, args: &[&str], file: &Path) -> String {
    run_with(cmd, args, file, &[])
}

/// The objects of a PDF as `qpdf --json` (version 2) gives them.
struct Objects {
    map: serde_json::Map<String, Value>,
}

impl Objects {
    fn read(file: &Path) -> (Objects, Value) {
        let json: Value = serde_json::from_str(&run("qpdf", &["--json=2"], file)).expect("qpdf json");
        let map = json["qpdf"][1].as_object().expect("objects").clone();
        (Objects { map }, json)
    }

    /// The value of `r` ("12 0 R"; a stream's dictionary), or `v` itself if it is no reference.
    fn get<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v.as_str().filter(|s| s.ends_with(" R")).and_then(|r| self.map.get(&format!("obj:{r}"))) {
            Some(o) => o.get("value").or_else(|| o.get("stream").and_then(|s| s.get("dict"))).expect("object value"),
            None => v,
        }
    }

    fn trailer(&self) -> &Value {
        &self.map["trailer"]["value"]
    }
}

/// A structure element read back.
#[derive(Debug, Default)]
struct Node {
    role: String,
    alt: Option<String>,
    attrs: Vec<Value>,
    kids: Vec<Node>,
    /// Marked content: (page reference, MCID).
    mcrs: Vec<(String, i64)>,
    /// This element's object reference.
    id: String,
}

fn text_of(v: &Value) -> Option<String> {
    v.as_str().and_then(|s| s.strip_prefix("u:")).map(str::to_owned)
}

fn walk(o: &Objects, id: &str) -> Node {
    let key = Value::String(id.to_owned());
    let e = o.get(&key);
    assert_eq!(e["/Type"], "/StructElem", "{id}");
    let pg = e.get("/Pg").and_then(Value::as_str).map(str::to_owned);
    let mut node = Node {
        role: e["/S"].as_str().expect("/S").trim_start_matches('/').to_owned(),
        alt: e.get("/Alt").and_then(text_of),
        attrs: match e.get("/A") {
            Some(Value::Array(a)) => a.iter().map(|x| o.get(x).clone()).collect(),
            Some(x) => vec![o.get(x).clone()],
            None => Vec::new(),
        },
        id: id.to_owned(),
        ..Node::default()
    };
    let kids = match e.get("/K") {
        Some(Value::Array(a)) => a.clone(),
        Some(k) => vec![k.clone()],
        None => Vec::new(),
    };
    for k in &kids {
        match k {
            Value::Number(n) => node.mcrs.push((pg.clone().expect("/Pg for an MCID kid"), n.as_i64().expect("MCID"))),
            Value::String(r) => node.kids.push(walk(o, r)),
            Value::Object(m) => {
                assert_eq!(m["/Type"], "/MCR");
                let page = m.get("/Pg").and_then(Value::as_str).map(str::to_owned).or(pg.clone()).expect("/Pg");
                node.mcrs.push((page, m["/MCID"].as_i64().expect("MCID")));
            }
            other => panic!("unexpected kid {other}"),
        }
    }
    node
}

fn preorder<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
    out.push(n);
    for k in &n.kids {
        preorder(k, out);
    }
}

fn attr<'a>(n: &'a Node, owner: &str, key: &str) -> Option<&'a Value> {
    n.attrs.iter().find(|a| a["/O"] == owner).and_then(|a| a.get(key))
}

/// Scans a content stream: the MCIDs of its marked-content sequences, in order, and whether every
/// painting operator is inside a marked-content sequence (tagged or artifact).
fn scan_content(data: &[u8]) -> (Vec<i64>, Vec<String>) {
    let mut mcids = Vec::new();
    let mut unmarked = Vec::new();
    let mut depth = 0i32;
    let mut tokens: Vec<String> = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let c = data[i];
        match c {
            b'(' => {
                // A literal string: skip it, minding escapes and nested parentheses.
                let mut level = 0;
                while i < data.len() {
                    match data[i] {
                        b'\\' => i += 1,
                        b'(' => level += 1,
                        b')' => {
                            level -= 1;
                            if level == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                tokens.push("(str)".into());
                i += 1;
            }
            b'<' if data.get(i + 1) != Some(&b'<') => {
                while i < data.len() && data[i] != b'>' {
                    i += 1;
                }
                tokens.push("<hex>".into());
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                let start = i;
                if data[i..].starts_with(b"<<") || data[i..].starts_with(b">>") {
                    i += 2;
                } else {
                    i += 1;
                    while i < data.len() && !data[i].is_ascii_whitespace() && !b"()<>[]/".contains(&data[i]) {
                        i += 1;
                    }
                }
                let tok = String::from_utf8_lossy(&data[start..i]).into_owned();
                match tok.as_str() {
                    "BDC" | "BMC" => {
                        depth += 1;
                        if tok == "BDC"
                            && let Some(p) = tokens.iter().rposition(|t| t == "/MCID")
                            && tokens.len() - p <= 4
                        {
                            mcids.push(tokens[p + 1].parse().expect("MCID number"));
                        }
                        tokens.clear();
                    }
                    "EMC" => {
                        depth -= 1;
                        assert!(depth >= 0, "EMC without BDC");
                    }
                    "Tj" | "TJ" | "'" | "\"" | "f" | "F" | "f*" | "S" | "s" | "B" | "B*" | "b" | "b*" | "Do" | "sh" if depth == 0 => {
                        unmarked.push(tok.clone());
                    }
                    _ => tokens.push(tok),
                }
            }
        }
    }
    assert_eq!(depth, 0, "unbalanced marked content");
    (mcids, unmarked)
}

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("miernik-pdf-tagged");
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn the_pdf_is_tagged_with_a_structure_covering_every_page_in_reading_order() {
    let (bytes, pages, words) = build();
    assert_eq!(pages, 2, "the test document is meant to run over two pages");
    let file = out_dir().join("tagged.pdf");
    std::fs::write(&file, &bytes).expect("write pdf");
    if !(tool("pdfinfo") && tool("pdftotext") && tool("qpdf")) {
        if std::env::var("MIERNIK_REQUIRE_POPPLER").as_deref() == Ok("1") {
            panic!("MIERNIK_REQUIRE_POPPLER=1 but pdfinfo/pdftotext/qpdf are missing");
        }
        eprintln!("poppler-utils or qpdf not installed: skipping the tagged-PDF checks");
        return;
    }

    let info = run("pdfinfo", &[], &file);
    assert!(info.lines().any(|l| l.starts_with("Tagged:") && l.ends_with("yes")), "{info}");
    assert!(info.lines().any(|l| l.starts_with("Title:") && l.ends_with(TITLE)), "{info}");
    let check = Command::new("qpdf").arg("--check").arg(&file).output().expect("qpdf --check");
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));

    // Catalog and metadata.
    let (o, json) = Objects::read(&file);
    let cat = o.get(&o.trailer()["/Root"]);
    assert_eq!(cat["/MarkInfo"]["/Marked"], true);
    assert_eq!(text_of(&cat["/Lang"]).as_deref(), Some("pl"));
    assert_eq!(cat["/ViewerPreferences"]["/DisplayDocTitle"], true);
    assert_eq!(text_of(&o.get(&o.trailer()["/Info"])["/Title"]).as_deref(), Some(TITLE));
    let xmp = Command::new("qpdf")
        .arg(format!("--show-object={}", cat["/Metadata"].as_str().expect("metadata ref")))
        .arg("--raw-stream-data")
        .arg(&file)
        .output()
        .expect("qpdf");
    assert!(String::from_utf8_lossy(&xmp.stdout).contains(&format!(">{TITLE}</rdf:li>")), "dc:title in XMP");

    // The structure tree.
    let root = o.get(&cat["/StructTreeRoot"]);
    assert_eq!(root["/Type"], "/StructTreeRoot");
    let doc_ref = root["/K"].as_str().or_else(|| root["/K"][0].as_str()).expect("root kid");
    let tree = walk(&o, doc_ref);
    assert_eq!(tree.role, "Document");
    let mut all = Vec::new();
    preorder(&tree, &mut all);

    // Every page: its /StructParents key in the parent tree, whose array names, for each MCID in
    // the page's content, the element that holds it; nothing painted outside marked content.
    let nums = root["/ParentTree"]["/Nums"].as_array().expect("/Nums");
    let parent_tree: BTreeMap<i64, Vec<String>> = nums
        .chunks(2)
        .map(|kv| {
            (kv[0].as_i64().expect("key"), o.get(&kv[1]).as_array().expect("array").iter().map(|r| r.as_str().expect("ref").to_owned()).collect())
        })
        .collect();
    assert_eq!(root["/ParentTreeNextKey"].as_i64(), Some(parent_tree.len() as i64));
    let page_list = json["pages"].as_array().expect("pages");
    assert_eq!(page_list.len(), pages);
    let mut keys = BTreeSet::new();
    for (p, page) in page_list.iter().enumerate() {
        let page_ref = page["object"].as_str().expect("page ref");
        let dict = o.get(&page["object"]);
        assert_eq!(dict["/Tabs"], "/S", "page {p}");
        let key = dict["/StructParents"].as_i64().unwrap_or_else(|| panic!("page {p} has no /StructParents"));
        assert!(keys.insert(key), "page {p}: key {key} used twice");
        let owners = &parent_tree[&key];
        let mut content = Vec::new();
        for c in page["contents"].as_array().expect("contents") {
            let out = Command::new("qpdf")
                .arg(format!("--show-object={}", c.as_str().expect("ref")))
                .arg("--filtered-stream-data")
                .arg(&file)
                .output()
                .expect("qpdf");
            content.extend(out.stdout);
        }
        let (mcids, unmarked) = scan_content(&content);
        assert!(unmarked.is_empty(), "page {p}: painting outside marked content: {unmarked:?}");
        assert!(!mcids.is_empty(), "page {p} has no tagged content");
        assert_eq!(mcids, (0..owners.len() as i64).collect::<Vec<_>>(), "page {p}: MCIDs 0, 1, … each with its owner");
        // The tree references each of them exactly once, from the element the parent tree names.
        let in_tree: Vec<(i64, &str)> =
            all.iter().flat_map(|n| n.mcrs.iter().filter(|(pg, _)| pg == page_ref).map(|(_, m)| (*m, n.id.as_str()))).collect();
        let mut sorted = in_tree.clone();
        sorted.sort();
        let expected: Vec<(i64, &str)> = owners.iter().enumerate().map(|(m, r)| (m as i64, r.as_str())).collect();
        assert_eq!(sorted, expected, "page {p}: structure tree and parent tree agree");
    }

    // Headings, one table over both pages with header and data cells, figures with alt text.
    let roles: Vec<&str> = tree.kids.iter().map(|k| k.role.as_str()).collect();
    assert_eq!(roles[..2], ["H1", "P"]);
    assert_eq!(roles.iter().filter(|r| **r == "H2").count(), 2);
    let tables: Vec<&&Node> = all.iter().filter(|n| n.role == "Table").collect();
    assert_eq!(tables.len(), 1, "one Table for a table over two pages");
    let table = tables[0];
    assert_eq!(table.kids.len(), 1 + ROWS);
    let mut table_pages = BTreeSet::new();
    for (r, tr) in table.kids.iter().enumerate() {
        assert_eq!(tr.role, "TR");
        let cells: Vec<&str> = tr.kids.iter().map(|c| c.role.as_str()).collect();
        let want: Vec<&str> = if r == 0 { vec!["TH"; 4] } else { vec!["TH", "TD", "TD", "TD"] };
        assert_eq!(cells, want, "row {r}");
        for c in &tr.kids {
            if c.role == "TH" {
                let scope = if r == 0 { "/Column" } else { "/Row" };
                assert_eq!(attr(c, "/Table", "/Scope").and_then(Value::as_str), Some(scope), "row {r}");
            }
            let mut inside = Vec::new();
            preorder(c, &mut inside);
            table_pages.extend(inside.iter().flat_map(|n| n.mcrs.iter().map(|(pg, _)| pg.clone())));
        }
    }
    assert_eq!(table_pages.len(), 2, "the table's cells are on both pages");
    let figures: Vec<&&Node> = all.iter().filter(|n| n.role == "Figure").collect();
    assert_eq!(figures.len(), ROWS + 1, "a figure per bar and the trend");
    for f in &figures {
        assert!(f.alt.as_deref().is_some_and(|a| !a.trim().is_empty()), "figure without /Alt");
        let bbox = attr(f, "/Layout", "/BBox").and_then(Value::as_array).expect("figure /BBox");
        assert!(bbox.len() == 4 && bbox[2].as_f64() > bbox[0].as_f64() && bbox[3].as_f64() > bbox[1].as_f64());
        assert!(!f.mcrs.is_empty(), "a figure has content");
    }
    let alts: Vec<&str> = figures.iter().filter_map(|f| f.alt.as_deref()).collect();
    assert_eq!(alts[0], bar_alt(0));
    assert_eq!(alts[ROWS], TREND_ALT);

    // Reading order: the structure's text, depth first (poppler reads it out), is the content
    // in the order it was written; `pdftotext -raw` gives the same words with only the page
    // furniture (footers, the header row repeated on page 2) in between.
    let struct_text = run("pdfinfo", &["-struct-text"], &file);
    let struct_words: Vec<String> = struct_text
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"').and_then(|s| s.strip_suffix('"')))
        .flat_map(|s| s.split_whitespace().map(String::from).collect::<Vec<_>>())
        .collect();
    assert_eq!(struct_words, words, "structure text in writing order");
    let raw = run_with("pdftotext", &["-raw", "-enc", "UTF-8"], &file, &["-"]);
    let raw_words: Vec<&str> = raw.split_whitespace().collect();
    let furniture: BTreeSet<String> = FOOTER
        .split_whitespace()
        .chain(COLUMNS)
        .map(String::from)
        .chain((1..=pages).flat_map(|p| [p.to_string(), format!("{p}/{pages}")]))
        .chain(["/".to_string()])
        .collect();
    let mut left = Vec::new();
    let mut it = raw_words.iter();
    for w in &words {
        loop {
            let Some(r) = it.next() else { panic!("{w:?} not found in pdftotext order") };
            if r == w {
                break;
            }
            left.push(*r);
        }
    }
    left.extend(it);
    assert!(left.iter().all(|w| furniture.contains(*w)), "pdftotext has more than page furniture besides the structure's text: {left:?}");
    assert!(left.iter().filter(|w| **w == COLUMNS[0]).count() == 1, "the header row repeated once, on page 2: {left:?}");
}
