//! The charts and maps as a page sees them: well-formed, accessible, escaped SVG that never
//! holds NaN, checked by a small XML reader and a few hundred pseudo-random inputs.
#![allow(clippy::unwrap_used)] // tests may unwrap (the workspace lint is for data from outside)

use std::collections::{HashMap, HashSet};

use viz::*;

/// One element as the checker read it.
#[derive(Debug)]
struct Element {
    name: String,
    attrs: HashMap<String, String>,
    /// Its text content (direct children only), unescaped.
    text: String,
}

/// Attributes that hold numbers (or path data) only.
const NUMERIC: [&str; 14] = ["x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height", "d", "viewBox", "stroke-width"];

/// Reads `svg` as XML and fails on anything a browser's XML parser would reject (unbalanced
/// or unquoted tags, raw `&` or `<`, repeated attributes, repeated ids, references to ids
/// that are not there) and on anything the crate promises not to write (NaN, inf, more than
/// one decimal in a coordinate, a root without its accessible name). Returns the elements in
/// document order.
fn check(svg: &str) -> Vec<Element> {
    assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"), "one svg element: {svg}");
    for bad in ["NaN", "inf", "Infinity"] {
        assert!(!svg.contains(bad), "{bad} in {svg}");
    }
    let unescape = |s: &str| -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(at) = rest.find('&') {
            out.push_str(&rest[..at]);
            let end = rest[at..].find(';').unwrap_or_else(|| panic!("an entity ends with ';' in {s}")) + at;
            out.push(match &rest[at + 1..end] {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "#39" => '\'',
                e => panic!("unknown entity &{e}; in {s}"),
            });
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    };
    let mut elements: Vec<Element> = Vec::new();
    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut rest = svg;
    let mut roots = 0;
    while !rest.is_empty() {
        let at = rest.find('<').unwrap_or(rest.len());
        let text = &rest[..at];
        assert!(!text.contains('>') || stack.last().is_some_and(|(n, _)| n == "style"), "a raw '>' in text {text:?}");
        if !text.is_empty() {
            let (_, owner) = stack.last().unwrap_or_else(|| panic!("text outside the root: {text:?}"));
            let t = if stack.last().is_some_and(|(n, _)| n == "style") { text.to_owned() } else { unescape(text) };
            elements[*owner].text.push_str(&t);
        }
        if at == rest.len() {
            break;
        }
        let end = rest[at..].find('>').expect("a tag closes") + at;
        let tag = &rest[at + 1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let (open, _) = stack.pop().unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(open, name, "</{name}> closes <{open}>");
            continue;
        }
        let (tag, empty) = match tag.strip_suffix('/') {
            Some(t) => (t, true),
            None => (tag, false),
        };
        let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
        let name = &tag[..name_end];
        assert!(!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()), "a tag name: <{tag}>");
        let mut attrs = HashMap::new();
        let mut a = tag[name_end..].trim_start();
        while !a.is_empty() {
            let eq = a.find("=\"").unwrap_or_else(|| panic!("attribute without =\" in <{tag}>"));
            let key = &a[..eq];
            assert!(key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':'), "attribute name {key:?} in <{tag}>");
            let close = a[eq + 2..].find('"').unwrap_or_else(|| panic!("unclosed value in <{tag}>")) + eq + 2;
            let raw = &a[eq + 2..close];
            assert!(!raw.contains('<'), "'<' in an attribute of <{tag}>");
            assert!(attrs.insert(key.to_owned(), unescape(raw)).is_none(), "{key} twice in <{tag}>");
            let after = &a[close + 1..];
            assert!(after.is_empty() || after.starts_with(char::is_whitespace), "attributes run together in <{tag}>");
            a = after.trim_start();
        }
        for key in NUMERIC {
            if let Some(v) = attrs.get(key) {
                check_numbers(key, v);
            }
        }
        if stack.is_empty() {
            roots += 1;
        }
        elements.push(Element { name: name.to_owned(), attrs, text: String::new() });
        if !empty {
            stack.push((name.to_owned(), elements.len() - 1));
        }
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
    assert_eq!(roots, 1, "one root");
    // Ids are unique and every reference points at one.
    let mut ids = HashSet::new();
    for e in &elements {
        if let Some(id) = e.attrs.get("id") {
            assert!(ids.insert(id.clone()), "id {id} twice");
        }
    }
    let root = &elements[0];
    assert!(root.attrs.get("viewBox").is_some_and(|v| v.starts_with("0 0 ")), "a viewBox");
    assert!(matches!(root.attrs.get("role").map(String::as_str), Some("img" | "group")), "a role");
    let labelled = root.attrs.get("aria-labelledby").expect("aria-labelledby");
    for r in labelled.split(' ') {
        let target =
            elements.iter().find(|e| e.attrs.get("id") == Some(&r.to_owned())).unwrap_or_else(|| panic!("aria-labelledby {r} points at nothing"));
        assert!(target.name == "title" || target.name == "desc", "labelled by <{}>", target.name);
    }
    assert_eq!(elements[1].name, "title", "the title comes first");
    for e in &elements {
        for v in e.attrs.values().chain(std::iter::once(&e.text)) {
            let mut s = v.as_str();
            while let Some(at) = s.find("url(#") {
                let end = s[at..].find(')').expect("url( closes") + at;
                assert!(ids.contains(&s[at + 5..end]), "url(#{}) points at nothing", &s[at + 5..end]);
                s = &s[end..];
            }
        }
    }
    elements
}

/// Path data and numbers: only digits, signs, dots, spaces and path commands; at most two
/// decimals.
fn check_numbers(key: &str, v: &str) {
    if v == "100%" {
        return;
    }
    assert!(v.chars().all(|c| c.is_ascii_digit() || " .-MLlZzH".contains(c)), "{key}=\"{v}\"");
    for num in v.split(|c: char| !(c.is_ascii_digit() || c == '.')) {
        if let Some((_, frac)) = num.split_once('.') {
            assert!(frac.len() <= 2 && !frac.contains('.'), "{key}=\"{v}\": {num}");
        }
    }
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

fn texts<'a>(e: &'a [Element], name: &str) -> Vec<&'a str> {
    e.iter().filter(|x| x.name == name).map(|x| x.text.as_str()).collect()
}

fn count(e: &[Element], name: &str) -> usize {
    e.iter().filter(|x| x.name == name).count()
}

/// A tiny xorshift, for pseudo-random inputs without dependencies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A value: mostly ordinary, sometimes one of the awkward ones.
    fn value(&mut self) -> f64 {
        const SPECIAL: [f64; 11] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, 1e308, -1e308, 1e-308, 5e-324, f64::MAX, 5.0];
        match self.below(4) {
            0 => SPECIAL[self.below(SPECIAL.len() as u64) as usize],
            1 => (self.unit() - 0.5) * 10f64.powi(self.below(40) as i32 - 20),
            _ => (self.unit() * 1000.0).round() / 7.0 - 50.0,
        }
    }

    fn text(&mut self) -> &'static str {
        const TEXTS: [&str; 6] = ["", "Kraków", "<script>alert('x')</script>", "A & B \"C\"", "żółw\u{1}\t\n", "]]> <!-- x"];
        TEXTS[self.below(TEXTS.len() as u64) as usize]
    }
}

fn odd_fmt(v: f64) -> String {
    format!("<{v}&>")
}

#[test]
fn a_sparkline_leaves_gaps_for_missing_years_and_marks_the_last_point() {
    let s = sparkline("sp-1", "Trend 2019–2023", &[Some(1.0), None, Some(3.0), Some(2.0), None]);
    let e = check(&s);
    assert!(s.contains(r#"width="80" height="20""#), "a fixed size for a table cell");
    assert!(s.contains(r#"aria-labelledby="sp-1-t""#));
    let d = &e.iter().find(|x| x.name == "path").expect("a line").attrs["d"];
    assert_eq!(d.matches('M').count(), 2, "a gap after the first year: {d}");
    assert_eq!(count(&e, "circle"), 2, "the lone first year and the last year with a value");
    let last = e.iter().rfind(|x| x.name == "circle").unwrap();
    assert_eq!(last.attrs["r"], "2.5");
    assert_eq!(last.attrs["cx"], "57.8", "the fourth of five years: 3 + 3/4 × 73");
    check(&sparkline("sp-2", "nic", &[None, None]));
    check(&sparkline("sp-3", "nic", &[]));
    let flat = sparkline("sp-4", "flat", &[Some(2.0), Some(2.0)]);
    assert!(flat.contains("M3 10L76 10"), "a constant series is drawn in the middle: {flat}");
}

#[test]
fn a_quartile_bar_shades_worst_to_best_and_marks_the_best_end_and_the_unit() {
    let q = Quartiles { min: 0.0, q1: 25.0, median: 50.0, q3: 75.0, max: 100.0 };
    let hb = quartile_bar("qb", "t", &q, Some(90.0), Direction::HigherBetter);
    let lb = quartile_bar("qb", "t", &q, Some(90.0), Direction::LowerBetter);
    let nb = quartile_bar("qb", "t", &q, None, Direction::Neutral);
    for s in [&hb, &lb, &nb] {
        check(s);
    }
    let fills =
        |s: &str| -> Vec<String> { check(s).into_iter().filter(|e| e.name == "rect").filter_map(|e| e.attrs.get("fill").cloned()).take(4).collect() };
    let (h, l) = (fills(&hb), fills(&lb));
    assert_eq!(h.iter().rev().cloned().collect::<Vec<_>>(), l, "the shading turns with the direction");
    assert_eq!(h[3], "#2166ac", "the best quarter is the dark blue one");
    let plus = |s: &str| check(s).into_iter().find(|e| e.name == "text" && e.text == "+").map(|e| e.attrs["x"].parse::<f64>().unwrap());
    assert!(plus(&hb).unwrap() > 140.0, "+ at the right when higher is better");
    assert!(plus(&lb).unwrap() < 10.0, "+ at the left when lower is better");
    assert_eq!(plus(&nb), None, "no best end for a neutral indicator");
    assert!(hb.contains("M136 5L141 12L136 19L131 12Z"), "a diamond at 90 % of the bar (10 + 0.9 × 140): {hb}");
    assert!(!nb.contains("Z\" fill=\"#000\""), "no value, no marker");
    let flat = Quartiles { min: 3.0, q1: 3.0, median: 3.0, q3: 3.0, max: 3.0 };
    let f = quartile_bar("qf", "t", &flat, Some(3.0), Direction::HigherBetter);
    check(&f);
    assert!(f.contains("M80 5"), "min = max: the value in the middle: {f}");
    let outside = quartile_bar("qo", "t", &q, Some(200.0), Direction::HigherBetter);
    assert!(outside.contains("M150 5"), "a value beyond the maximum widens the scale: {outside}");
}

#[test]
fn a_distribution_shows_dots_or_a_histogram_the_median_and_the_selected_unit() {
    let vals: Vec<f64> = (0..50).map(f64::from).collect();
    let d = distribution("r", "Rozkład", "Opis", &vals, Some(10.0), "Gmina & co", &fmt);
    let e = check(&d);
    assert_eq!(count(&e, "circle"), 50);
    assert!(texts(&e, "text").contains(&"Gmina & co 10.0"), "the selected unit labelled");
    assert_eq!(texts(&e, "text").iter().filter(|t| t.ends_with(".0") && !t.contains(' ')).count(), 6, "ticks 0, 10 … 50");
    let dashed = e.iter().find(|x| x.attrs.contains_key("stroke-dasharray")).expect("the median");
    assert_eq!(dashed.attrs["x1"], "314.3", "the median 24.5 on the axis 0..50 at 36 + 24.5/50 × 568");
    assert_eq!(texts(&e, "desc"), vec!["Opis"]);
    let d2 = distribution("r", "Rozkład", "Opis", &vals, Some(10.0), "Gmina & co", &fmt);
    assert_eq!(d, d2, "deterministic");
    let many: Vec<f64> = (0..1000).map(|i| f64::from(i % 97)).collect();
    let hist = distribution("r", "t", "d", &many, None, "", &fmt);
    let e = check(&hist);
    assert_eq!(count(&e, "circle"), 0, "a histogram above 400 values");
    assert!(count(&e, "rect") >= 35, "{}", count(&e, "rect"));
    let one = distribution("r", "t", "d", &[5.0], Some(5.0), "", &fmt);
    assert!(check(&one).iter().any(|x| x.name == "text" && x.text == "5.0"), "a single value, unlabelled selection: {one}");
    check(&distribution("r", "t", "d", &[], None, "x", &fmt));
    check(&distribution("r", "t", "d", &[f64::NAN], Some(f64::INFINITY), "x", &fmt));
}

#[test]
fn a_time_series_draws_band_median_and_unit_with_a_legend() {
    let pts: Vec<SeriesPoint> = (2010..2025)
        .rev()
        .map(|y| SeriesPoint { year: y, unit: (y != 2015).then_some(f64::from(y - 2000)), q1: Some(5.0), median: Some(10.0), q3: Some(15.0) })
        .collect();
    let legend = SeriesLegend { unit: "Kraków", median: "mediana", band: "połowa jednostek (Q1–Q3)" };
    let t = time_series("s", "t", "d", &pts, &legend, &fmt);
    let e = check(&t);
    assert_eq!(count(&e, "circle"), 14 + 1, "a point a year with a value, and one in the legend");
    let words = texts(&e, "text");
    for w in ["Kraków", "mediana", "połowa jednostek (Q1–Q3)", "2010", "2024"] {
        assert!(words.contains(&w), "{w} in {words:?}");
    }
    let paths: Vec<&Element> = e.iter().filter(|x| x.name == "path").collect();
    assert_eq!(paths.len(), 3, "band, median, unit");
    assert_eq!(paths[2].attrs["d"].matches('M').count(), 2, "the unit's line breaks at 2015");
    assert!(paths[1].attrs.contains_key("stroke-dasharray"), "the median dashed");
    let xs: Vec<f64> = e.iter().filter(|x| x.name == "circle").take(14).map(|x| x.attrs["cx"].parse().unwrap()).collect();
    assert!(xs.windows(2).all(|w| w[0] < w[1]), "years in order even when given backwards");
    let no_unit = time_series("s", "t", "d", &pts, &SeriesLegend { unit: "", ..legend }, &fmt);
    let e = check(&no_unit);
    assert_eq!(count(&e, "circle"), 0);
    assert!(!texts(&e, "text").contains(&"Kraków"));
    let long = "a very long caption that takes most of the width of the chart";
    let tall = time_series("s", "t", "d", &pts, &SeriesLegend { unit: long, median: long, band: long }, &fmt);
    check(&tall);
    assert!(!tall.contains("viewBox=\"0 0 640 240\""), "the legend takes more rows");
    check(&time_series("s", "t", "d", &[], &legend, &fmt));
    let lone = [SeriesPoint { year: 2020, unit: Some(1.0), q1: Some(0.0), median: Some(1.0), q3: Some(2.0) }];
    check(&time_series("s", "t", "d", &lone, &legend, &fmt));
}

fn hexagon(key: String, cx: f64, cy: f64, r: f64) -> Shape {
    let ring = (0..=6).map(|i| f64::from(i % 6) * std::f64::consts::PI / 3.0).map(|a| (cx + r * a.cos() / 0.6, cy + r * a.sin())).collect();
    Shape { key, polygons: vec![vec![ring]] }
}

#[test]
fn a_choropleth_links_every_area_marks_no_data_and_draws_the_selection_last() {
    let shapes: Vec<Shape> = (0..6).map(|i| hexagon(format!("{i:02}"), 15.0 + f64::from(i), 52.0, 0.5)).collect();
    let g = MapGeometry::new(shapes, 640.0);
    assert_eq!((g.len(), g.index("03")), (6, Some(3)));
    let classes = vec!["1 – 2".to_owned(), "2 – 3".to_owned(), "3 – <4>".to_owned()];
    let hrefs: Vec<String> = (0..6).map(|i| format!("/jst/{i:02}?a=1&b=2")).collect();
    let labels: Vec<String> = (0..6).map(|i| format!("Gmina {i} <b>: {i},5")).collect();
    let areas: Vec<MapArea<'_>> = (0..6)
        .map(|i| MapArea { shape: i, fill_class: if i == 5 { None } else { Some(i % 3) }, href: &hrefs[i], label: &labels[i], selected: i == 2 })
        .collect();
    let svg = choropleth("mapa-w", "Mapa", "Opis", &g, &areas, &Legend { title: "zł", classes: &classes, no_data: "brak danych" }, false);
    let e = check(&svg);
    assert_eq!(e[0].attrs["role"], "group", "the links stay reachable by assistive technology");
    let links: Vec<&Element> = e.iter().filter(|x| x.name == "a").collect();
    assert_eq!(links.len(), 6);
    assert_eq!(links[0].attrs["href"], "/jst/00?a=1&b=2");
    assert_eq!(links[0].attrs["aria-label"], "Gmina 0 <b>: 0,5");
    assert!(svg.contains("Gmina 0 &lt;b&gt;: 0,5"), "labels escaped");
    assert!(texts(&e, "title").contains(&"Gmina 4 <b>: 4,5"), "hover shows name and value");
    assert!(svg.contains(&format!("#mapa-w .vc1{{fill:{}}}", palette(3, false)[1])), "fills from the palette");
    assert!(svg.contains(r#"<path class="vc1""#));
    assert!(svg.contains(r#"<path class="vnd""#) && svg.contains("url(#mapa-w-nd)"), "no data hatched");
    let sel = svg.rfind(r#"class="vsel""#).unwrap();
    assert!(sel > svg.rfind("</a>").unwrap(), "the selection on top");
    for t in ["zł", "1 – 2", "2 – 3", "3 – <4>", "brak danych"] {
        assert!(texts(&e, "text").contains(&t), "legend {t}");
    }
    let style = texts(&e, "style")[0];
    for rule in style.split('}').filter(|r| !r.is_empty()) {
        assert!(rule.split('{').next().unwrap().split(',').all(|s| s.starts_with("#mapa-w ")), "a rule for this map only: {rule}");
    }
    let reversed = choropleth("m2", "Mapa", "Opis", &g, &areas, &Legend { title: "zł", classes: &classes, no_data: "brak" }, true);
    assert!(reversed.contains(&format!("#m2 .vc0{{fill:{}}}", palette(3, false)[2])), "reversed: class 0 darkest");
    let complete: Vec<MapArea<'_>> = areas.iter().map(|a| MapArea { fill_class: Some(0), ..a.clone() }).collect();
    let full = choropleth("m3", "Mapa", "Opis", &g, &complete, &Legend { title: "zł", classes: &classes, no_data: "brak danych" }, false);
    assert!(!full.contains("brak danych"), "no 'no data' swatch when every area has data");
}

#[test]
fn a_link_map_is_links_with_labels_and_one_fill() {
    let shapes: Vec<Shape> =
        (0..16).map(|i| hexagon(format!("{:02}", 2 * i + 2), 14.0 + f64::from(i % 4) * 2.0, 49.0 + f64::from(i / 4) * 1.5, 0.8)).collect();
    let g = MapGeometry::new(shapes, 640.0);
    let hrefs: Vec<String> = (0..16).map(|i| format!("/jst/{:02}", 2 * i + 2)).collect();
    let areas: Vec<MapArea<'_>> =
        (0..16).map(|k| MapArea { shape: k, fill_class: Some(3), href: &hrefs[k], label: &hrefs[k], selected: false }).collect();
    let svg = link_map("mapa-woj", "Województwa", &g, &areas);
    let e = check(&svg);
    assert_eq!(svg.matches("href=\"/jst/").count(), 16);
    assert_eq!(e.iter().filter(|x| x.name == "path" && x.attrs.get("class").map(String::as_str) == Some("vf")).count(), 16);
    assert_eq!(count(&e, "desc"), 0);
    let empty = MapGeometry::new(Vec::new(), 640.0);
    check(&link_map("m", "t", &empty, &[]));
    check(&choropleth("m", "t", "d", &empty, &[], &Legend { title: "x", classes: &[], no_data: "brak" }, false));
    let out_of_range = [MapArea { shape: 99, fill_class: Some(99), href: "/", label: "x", selected: true }];
    let svg = choropleth("m", "t", "d", &g, &out_of_range, &Legend { title: "x", classes: &[], no_data: "" }, false);
    assert_eq!(check(&svg).iter().filter(|x| x.name == "a").count(), 0, "an area without a shape is left out");
}

#[test]
fn nothing_a_caller_writes_comes_out_as_markup() {
    let evil = "<script>alert('x')</script>\"&";
    let q = Quartiles { min: 0.0, q1: 1.0, median: 2.0, q3: 3.0, max: 4.0 };
    let pts = [SeriesPoint { year: 2020, unit: Some(1.0), q1: Some(0.0), median: Some(1.0), q3: Some(2.0) }; 2];
    let shapes = vec![hexagon("a".into(), 19.0, 52.0, 1.0)];
    let g = MapGeometry::new(shapes, 300.0);
    let classes = vec![evil.to_owned()];
    let areas = [MapArea { shape: 0, fill_class: Some(0), href: evil, label: evil, selected: true }];
    let all = [
        sparkline(evil, evil, &[Some(1.0), Some(2.0)]),
        quartile_bar(evil, evil, &q, Some(1.0), Direction::LowerBetter),
        distribution(evil, evil, evil, &[1.0, 2.0], Some(1.0), evil, &odd_fmt),
        time_series(evil, evil, evil, &pts, &SeriesLegend { unit: evil, median: evil, band: evil }, &odd_fmt),
        choropleth(evil, evil, evil, &g, &areas, &Legend { title: evil, classes: &classes, no_data: evil }, false),
        link_map(evil, evil, &g, &areas),
    ];
    for svg in &all {
        let e = check(svg);
        assert!(!svg.contains("<script") && svg.contains("&lt;script&gt;"), "{svg}");
        assert!(e.iter().all(|x| x.name != "script"));
        assert!(e[0].attrs["id"].chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "a safe id: {}", e[0].attrs["id"]);
    }
}

#[test]
fn charts_with_different_ids_can_share_a_page() {
    let q = Quartiles { min: 0.0, q1: 1.0, median: 2.0, q3: 3.0, max: 4.0 };
    let g = MapGeometry::new(vec![hexagon("a".into(), 19.0, 52.0, 1.0)], 300.0);
    let areas = [MapArea { shape: 0, fill_class: None, href: "/", label: "a", selected: false }];
    let page = [
        sparkline("sp-1", "a", &[Some(1.0)]),
        sparkline("sp-2", "a", &[Some(1.0)]),
        quartile_bar("qb-1", "b", &q, None, Direction::Neutral),
        distribution("rozklad", "c", "d", &[1.0], None, "", &fmt),
        choropleth("mapa-w", "e", "f", &g, &areas, &Legend { title: "x", classes: &[], no_data: "brak" }, false),
    ]
    .concat();
    let mut ids = HashSet::new();
    for part in page.split(" id=\"").skip(1) {
        let id = &part[..part.find('"').unwrap()];
        assert!(ids.insert(id.to_owned()), "id {id} twice on the page");
    }
    assert!(ids.len() >= 10, "{ids:?}");
}

#[test]
fn no_input_makes_anything_panic_or_write_nan() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for round in 0..400 {
        let len = rng.below(if round % 10 == 0 { 600 } else { 30 }) as usize;
        let vals: Vec<f64> = (0..len).map(|_| rng.value()).collect();
        let opt: Vec<Option<f64>> = vals.iter().map(|&v| (rng.below(4) != 0).then_some(v)).collect();
        let sel = if rng.below(3) == 0 { Some(rng.value()) } else { None };
        let text = rng.text();
        check(&sparkline("a", text, &opt));
        check(&distribution("b", text, rng.text(), &vals, sel, rng.text(), &fmt));
        let q: Vec<f64> = (0..5).map(|_| rng.value()).collect();
        let dir = [Direction::HigherBetter, Direction::LowerBetter, Direction::Neutral][round % 3];
        check(&quartile_bar("c", text, &Quartiles { min: q[0], q1: q[1], median: q[2], q3: q[3], max: q[4] }, sel, dir));
        let pts: Vec<SeriesPoint> = opt
            .iter()
            .map(|v| SeriesPoint {
                year: 1990 + rng.below(40) as i32,
                unit: *v,
                q1: v.map(|v| v - 1.0),
                median: *v,
                q3: (rng.below(2) == 0).then(|| rng.value()),
            })
            .collect();
        check(&time_series("d", text, "d", &pts, &SeriesLegend { unit: rng.text(), median: rng.text(), band: rng.text() }, &fmt));
        let k = rng.below(9) as usize;
        for breaks in [quantile_breaks(&vals, k), natural_breaks(&vals, k)] {
            assert!(breaks.len() < k.max(1), "{k} classes at most: {breaks:?}");
            assert!(breaks.windows(2).all(|w| w[0] < w[1]) && breaks.iter().all(|b| b.is_finite()), "{breaks:?}");
            for &v in &vals {
                assert!(class_of(v, &breaks) <= breaks.len());
            }
        }
        let (lo, hi) = (rng.value(), rng.value());
        let ticks = nice_ticks(lo, hi, rng.below(12) as usize);
        assert!(ticks.len() <= 101 && ticks.iter().all(|t| t.is_finite()), "{lo} {hi}: {ticks:?}");
        if round % 4 == 0 {
            let shapes: Vec<Shape> = (0..rng.below(8))
                .map(|s| {
                    let polygons = (0..rng.below(3))
                        .map(|_| {
                            (0..rng.below(3))
                                .map(|_| {
                                    let (cx, cy) = (14.0 + rng.unit() * 10.0, 49.0 + rng.unit() * 6.0);
                                    (0..rng.below(12))
                                        .map(|_| if rng.below(20) == 0 { (rng.value(), rng.value()) } else { (cx + rng.unit(), cy + rng.unit()) })
                                        .collect()
                                })
                                .collect()
                        })
                        .collect();
                    Shape { key: format!("k{s}"), polygons }
                })
                .collect();
            let n = shapes.len();
            let g = MapGeometry::new(shapes, if rng.below(5) == 0 { rng.value() } else { 640.0 });
            assert!(g.height().is_finite() && g.width().is_finite());
            let classes: Vec<String> = (0..rng.below(9)).map(|i| format!("{i}")).collect();
            let areas: Vec<MapArea<'_>> = (0..n + 1)
                .map(|i| MapArea {
                    shape: i,
                    fill_class: (rng.below(4) != 0).then(|| rng.below(10) as usize),
                    href: "/x",
                    label: text,
                    selected: rng.below(5) == 0,
                })
                .collect();
            check(&choropleth("m", text, "d", &g, &areas, &Legend { title: text, classes: &classes, no_data: rng.text() }, rng.below(2) == 0));
            check(&link_map("w", text, &g, &areas));
        }
    }
}

#[test]
fn the_checker_itself_rejects_broken_svg() {
    let ok = r#"<svg id="a" role="img" aria-labelledby="a-t" viewBox="0 0 1 1"><title id="a-t">x</title></svg>"#;
    check(ok);
    let broken = [
        r#"<svg id="a" role="img" aria-labelledby="a-t" viewBox="0 0 1 1"><title id="a-t">x</svg>"#,
        r#"<svg id="a" role="img" aria-labelledby="a-t" viewBox="0 0 1 1"><title id="a-t">a & b</title></svg>"#,
        r#"<svg id="a" role="img" aria-labelledby="a-x" viewBox="0 0 1 1"><title id="a-t">x</title></svg>"#,
        r#"<svg id="a" role="img" aria-labelledby="a-t" viewBox="0 0 1 1"><title id="a-t">x</title><rect x="NaN"/></svg>"#,
        r#"<svg id="a" role="img" aria-labelledby="a-t" viewBox="0 0 1 1"><title id="a-t">x</title><rect x="1.234"/></svg>"#,
        r#"<svg id="a" role="img" aria-labelledby="a-t" viewBox="0 0 1 1"><title id="a-t">x</title><rect id="a"/></svg>"#,
        r#"<svg id="a" role="img" aria-labelledby="a-t" viewBox="0 0 1 1"><title id="a-t">x</title><rect fill="url(#b)"/></svg>"#,
        r#"<svg id="a" aria-labelledby="a-t" viewBox="0 0 1 1"><title id="a-t">x</title></svg>"#,
    ];
    for svg in broken {
        assert!(std::panic::catch_unwind(|| check(svg)).is_err(), "accepted {svg}");
    }
}

#[test]
fn a_choropleth_without_its_svg_legend_is_one_tab_stop_and_gives_the_legend_as_items() {
    let shapes: Vec<Shape> = (0..5).map(|i| hexagon(format!("{i:02}"), 15.0 + f64::from(i), 52.0, 0.5)).collect();
    let g = MapGeometry::new(shapes, 640.0);
    let classes = vec!["1 – 2".to_owned(), "2 – 3".to_owned()];
    let hrefs: Vec<String> = (0..5).map(|i| format!("/jst/{i:02}")).collect();
    let areas: Vec<MapArea<'_>> = (0..5)
        .map(|i| MapArea { shape: i, fill_class: if i == 4 { None } else { Some(i % 2) }, href: &hrefs[i], label: &hrefs[i], selected: i == 3 })
        .collect();
    let legend = Legend { title: "zł", classes: &classes, no_data: "brak danych" };
    let svg = choropleth_map("mapa-w", "Mapa", "Opis", &g, &areas, &legend, false);
    let e = check(&svg);
    let links: Vec<&Element> = e.iter().filter(|x| x.name == "a").collect();
    assert_eq!(links.len(), 5);
    let stops: Vec<&str> = links.iter().map(|a| a.attrs.get("tabindex").map(String::as_str).unwrap_or("none")).collect();
    assert_eq!(stops, ["-1", "-1", "-1", "0", "-1"], "one Tab stop, on the selected area");
    assert_eq!(count(&e, "text"), 0, "no legend text inside the SVG");
    let items = legend_swatches(&legend, &areas, false);
    assert_eq!(items, vec![(Some(palette(2, false)[0]), "1 – 2"), (Some(palette(2, false)[1]), "2 – 3"), (None, "brak danych")]);
    let plain: Vec<MapArea<'_>> = areas.iter().map(|a| MapArea { selected: false, ..a.clone() }).collect();
    let first = choropleth_map("m", "t", "d", &g, &plain, &legend, true);
    assert_eq!(first.matches(r#"tabindex="0""#).count(), 1);
    assert!(first.find(r#"tabindex="0""#) < first.find(r#"tabindex="-1""#), "without a selection the first area is the stop");
    assert!(!choropleth("m", "t", "d", &g, &areas, &legend, false).contains("tabindex"), "the map with its SVG legend keeps its links as they were");
}
