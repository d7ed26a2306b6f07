//! Serialisation of laid-out pages to PDF bytes: content streams with marked content, the
//! structure tree (tagged PDF), subset Type0/CIDFontType2 fonts (Identity-H, /W widths, ToUnicode
//! CMap), metadata (Info and XMP), Flate compression.

use std::collections::{BTreeMap, BTreeSet};

use pdf_writer::types::{ArtifactSubtype, ArtifactType, CidFontType, FontFlags, SystemInfo, TabOrder, TableHeaderScope};
use pdf_writer::writers::StructTreeRoot;
use pdf_writer::{Content, Date, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;

use crate::font::{Font, Fonts};
use crate::layout::{PAGE_H, PAGE_W, valid};
use crate::tags::{Elem, Mark, Op, ROOT, Role};
use crate::{DocInfo, Rgb, Shape};

const SYSTEM_INFO: SystemInfo = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };

/// Glyph use of one font across the document.
struct FontUse<'a> {
    font: &'a Font,
    /// Resource name in the pages (`F1`, `F2`).
    res: &'static [u8],
    gids: BTreeSet<u16>,
    /// Original glyph id → the Unicode character it stands for.
    unicode: BTreeMap<u16, char>,
    remapper: GlyphRemapper,
}

impl<'a> FontUse<'a> {
    fn new(font: &'a Font, res: &'static [u8]) -> FontUse<'a> {
        FontUse { font, res, gids: BTreeSet::new(), unicode: BTreeMap::new(), remapper: GlyphRemapper::new() }
    }

    fn collect(&mut self, text: &str) {
        for c in text.chars() {
            if let Some((gid, direct)) = self.font.glyph(c) {
                self.gids.insert(gid);
                let u = if direct {
                    c
                } else if c.is_whitespace() {
                    ' '
                } else {
                    '?'
                };
                let e = self.unicode.entry(gid).or_insert(u);
                // Prefer the lowest code point (e.g. U+0020 over U+00A0) so output is order-independent.
                if u < *e {
                    *e = u;
                }
            }
        }
    }

    /// Assigns the CIDs (new glyph ids of the subset) in ascending order of original glyph ids.
    fn assign(&mut self) {
        for &g in &self.gids {
            self.remapper.remap(g);
        }
    }

    /// Big-endian CID bytes for a string.
    fn encode(&self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            if let Some((gid, _)) = self.font.glyph(c) {
                let cid = self.remapper.get(gid).unwrap_or(0);
                out.extend_from_slice(&cid.to_be_bytes());
            }
        }
        out
    }
}

/// Writes the pages (marked shapes in top-left page coordinates) and their structure tree as a
/// tagged PDF document.
pub(crate) fn write(info: &DocInfo, fonts: &Fonts, pages: &[Vec<Op>], elems: &[Elem]) -> Vec<u8> {
    let mut uses = [FontUse::new(&fonts.regular, b"F1"), FontUse::new(&fonts.bold, b"F2")];
    for page in pages {
        for op in page {
            if let Shape::Text { text, bold, .. } = &op.shape {
                uses[usize::from(*bold)].collect(text);
            }
        }
    }
    for u in &mut uses {
        u.assign();
    }

    let mut pdf = Pdf::new();
    let mut next = 0i32;
    let mut alloc = || {
        next += 1;
        Ref::new(next)
    };
    let catalog_id = alloc();
    let pages_id = alloc();
    let info_id = alloc();
    let tree_id = alloc();
    let xmp_id = alloc();

    // Fonts.
    let mut font_refs: Vec<(&'static [u8], Ref)> = Vec::new();
    for u in &uses {
        if u.gids.is_empty() {
            continue;
        }
        let type0 = alloc();
        let cid_id = alloc();
        let desc_id = alloc();
        let file_id = alloc();
        let cmap_id = alloc();
        let map_id = alloc();
        write_font(&mut pdf, u, [type0, cid_id, desc_id, file_id, cmap_id, map_id]);
        font_refs.push((u.res, type0));
    }

    // Pages. `mcrs[e]`: the (page, MCID) of element e's marked-content sequences, in order;
    // `page_mcids[p][mcid]`: the element of each sequence on page p.
    let mut page_ids = Vec::with_capacity(pages.len());
    let mut mcrs: Vec<Vec<(usize, i32)>> = vec![Vec::new(); elems.len()];
    let mut page_mcids: Vec<Vec<usize>> = Vec::with_capacity(pages.len());
    for (index, page) in pages.iter().enumerate() {
        let page_id = alloc();
        let content_id = alloc();
        page_ids.push(page_id);
        let (content, mcids) = page_content(page, &uses, elems);
        for (mcid, &e) in mcids.iter().enumerate() {
            if let Some(list) = mcrs.get_mut(e) {
                list.push((index, i32::try_from(mcid).unwrap_or(i32::MAX)));
            }
        }
        page_mcids.push(mcids);
        pdf.stream(content_id, &deflate(&content)).filter(Filter::FlateDecode);
        let mut p = pdf.page(page_id);
        p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        p.parent(pages_id);
        p.contents(content_id);
        p.struct_parents(i32::try_from(index).unwrap_or(i32::MAX));
        p.tab_order(TabOrder::StructureOrder);
        {
            let mut res = p.resources();
            let mut f = res.fonts();
            for (name, r) in &font_refs {
                f.pair(Name(name), *r);
            }
        }
        p.finish();
    }
    pdf.pages(pages_id).kids(page_ids.iter().copied()).count(page_ids.len() as i32);

    write_structure(&mut pdf, &mut alloc, tree_id, elems, &mcrs, &page_mcids, &page_ids);
    let xmp = xmp(info);
    pdf.metadata(xmp_id, xmp.as_bytes());

    {
        let mut cat = pdf.catalog(catalog_id);
        cat.pages(pages_id);
        if !info.lang.is_empty() {
            cat.lang(TextStr(&info.lang));
        }
        cat.viewer_preferences().display_doc_title(true);
        cat.mark_info().marked(true);
        cat.pair(Name(b"StructTreeRoot"), tree_id);
        cat.metadata(xmp_id);
    }
    {
        let mut di = pdf.document_info(info_id);
        di.title(TextStr(&info.title));
        di.author(TextStr(&info.author));
        di.subject(TextStr(&info.subject));
        di.creator(TextStr("Miernik"));
        di.producer(TextStr("Miernik pdf"));
        if let Some((y, m, d)) = info.created {
            di.creation_date(Date::new(y).month(m).day(d));
        }
    }
    pdf.finish()
}

/// Writes the structure tree: the root (with the parent tree mapping each page's MCIDs to their
/// elements) and every element that has content or must stay (table cells, the document).
fn write_structure(
    pdf: &mut Pdf,
    alloc: &mut dyn FnMut() -> Ref,
    tree_id: Ref,
    elems: &[Elem],
    mcrs: &[Vec<(usize, i32)>],
    page_mcids: &[Vec<usize>],
    page_ids: &[Ref],
) {
    // Children always come after their parent, so one backward pass settles who is kept.
    let mut alive = vec![false; elems.len()];
    for i in (0..elems.len()).rev() {
        let e = &elems[i];
        alive[i] = e.role.kept_empty() || !mcrs[i].is_empty() || e.kids.iter().any(|&k| alive.get(k).copied().unwrap_or(false));
    }
    let refs: Vec<Option<Ref>> = alive.iter().map(|&a| a.then(&mut *alloc)).collect();
    let page_ref = |p: usize| page_ids.get(p).copied();

    for (i, e) in elems.iter().enumerate() {
        let Some(id) = refs[i] else { continue };
        let mut el = pdf.struct_element(id);
        el.custom_kind(Name(e.role.name()));
        let parent = if i == ROOT { Some(tree_id) } else { refs.get(e.parent).copied().flatten() };
        if let Some(p) = parent {
            el.parent(p);
        }
        if let Some(pg) = mcrs[i].first().and_then(|(p, _)| page_ref(*p)) {
            el.page(pg);
        }
        if !e.alt.is_empty() {
            el.alt(TextStr(&e.alt));
        }
        match e.role {
            Role::Header { column } => {
                el.attributes().push().table().scope(if column { TableHeaderScope::Column } else { TableHeaderScope::Row });
            }
            Role::Figure => {
                if let Some((_, [x, y, w, h])) = e.bbox {
                    el.attributes().push().layout().bbox(Rect::new(n(x), n(PAGE_H - y - h), n(x + w), n(PAGE_H - y)));
                }
            }
            _ => {}
        }
        let kids: Vec<Ref> = e.kids.iter().filter_map(|&k| refs.get(k).copied().flatten()).collect();
        if !kids.is_empty() || !mcrs[i].is_empty() {
            let mut k = el.children();
            for r in kids {
                k.struct_element(r);
            }
            for &(p, mcid) in &mcrs[i] {
                let mut m = k.marked_content_ref();
                m.marked_content_id(mcid);
                if let Some(pg) = page_ref(p) {
                    m.page(pg);
                }
            }
        }
    }

    let mut root = pdf.indirect(tree_id).start::<StructTreeRoot>();
    if let Some(doc) = refs.first().copied().flatten() {
        root.child(doc);
    }
    {
        // Written by hand: each page's value is an inline array of element references.
        let mut tree = root.insert(Name(b"ParentTree")).dict();
        let mut nums = tree.insert(Name(b"Nums")).array();
        for (p, mcids) in page_mcids.iter().enumerate() {
            nums.item(i32::try_from(p).unwrap_or(i32::MAX));
            nums.push().array().items(mcids.iter().filter_map(|&e| refs.get(e).copied().flatten()));
        }
    }
    root.parent_tree_next_key(i32::try_from(page_mcids.len()).unwrap_or(i32::MAX));
}

/// XMP metadata: the title and language (PDF/UA wants the title here too), author, producer.
fn xmp(info: &DocInfo) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let clean = |s: &str| esc(&s.chars().filter(|c| !c.is_control() || *c == '\t').collect::<String>());
    let mut x = String::from("<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n");
    x.push_str("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n");
    x.push_str("<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n");
    x.push_str(&format!(
        "<dc:format>application/pdf</dc:format>\n<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:title>\n",
        clean(&info.title)
    ));
    if !info.lang.is_empty() {
        x.push_str(&format!("<dc:language><rdf:Bag><rdf:li>{}</rdf:li></rdf:Bag></dc:language>\n", clean(&info.lang)));
    }
    if !info.author.is_empty() {
        x.push_str(&format!("<dc:creator><rdf:Seq><rdf:li>{}</rdf:li></rdf:Seq></dc:creator>\n", clean(&info.author)));
    }
    x.push_str("<pdf:Producer>Miernik pdf</pdf:Producer>\n</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>");
    x
}

/// Writes the Type0 font, its CIDFontType2 descendant, descriptor, (subset) font file, ToUnicode
/// CMap and, if subsetting failed and the whole font is embedded, a CIDToGIDMap.
fn write_font(pdf: &mut Pdf, u: &FontUse, ids: [Ref; 6]) {
    let [type0, cid_id, desc_id, file_id, cmap_id, map_id] = ids;
    let font = u.font;
    let subset = subsetter::subset(font.data, 0, &u.remapper).ok();
    let base = format!("{}+{}", tag(&u.gids, font.name), font.name);
    let base = Name(base.as_bytes());

    pdf.type0_font(type0).base_font(base).encoding_predefined(Name(b"Identity-H")).descendant_font(cid_id).to_unicode(cmap_id);

    let cids: Vec<u16> = u.remapper.remapped_gids().collect();
    {
        let mut cid = pdf.cid_font(cid_id);
        cid.subtype(CidFontType::Type2);
        cid.base_font(base);
        cid.system_info(SYSTEM_INFO);
        cid.font_descriptor(desc_id);
        cid.default_width(to_1000(font.advance(0)));
        cid.widths().consecutive(0, cids.iter().map(|&g| to_1000(font.advance(g))));
        if subset.is_some() {
            cid.cid_to_gid_map_predefined(Name(b"Identity"));
        } else {
            cid.cid_to_gid_map_stream(map_id);
        }
    }
    if subset.is_none() {
        let map: Vec<u8> = cids.iter().flat_map(|g| g.to_be_bytes()).collect();
        pdf.stream(map_id, &deflate(&map)).filter(Filter::FlateDecode);
    }

    let b = font.bbox;
    pdf.font_descriptor(desc_id)
        .name(base)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(to_1000(b[0]), to_1000(b[1]), to_1000(b[2]), to_1000(b[3])))
        .italic_angle(0.0)
        .ascent(to_1000(font.ascent))
        .descent(to_1000(font.descent))
        .cap_height(to_1000(font.cap_height))
        .stem_v(if font.bold { 140.0 } else { 80.0 })
        .font_file2(file_id);

    let data: &[u8] = subset.as_deref().unwrap_or(font.data);
    let packed = deflate(data);
    let mut s = pdf.stream(file_id, &packed);
    s.filter(Filter::FlateDecode);
    s.pair(Name(b"Length1"), i32::try_from(data.len()).unwrap_or(i32::MAX));
    s.finish();

    let mut cmap = pdf_writer::types::UnicodeCmap::new(Name(b"Miernik-UCS"), SYSTEM_INFO);
    for (gid, ch) in &u.unicode {
        if let Some(cid) = u.remapper.get(*gid) {
            cmap.pair(cid, *ch);
        }
    }
    let cmap = cmap.finish();
    pdf.stream(cmap_id, &deflate(cmap.as_slice())).filter(Filter::FlateDecode);
}

/// Whether a shape draws anything.
fn drawn(shape: &Shape, uses: &[FontUse; 2]) -> bool {
    valid(shape)
        && match shape {
            Shape::Text { text, bold, .. } => !uses[usize::from(*bold)].encode(text).is_empty(),
            _ => true,
        }
}

/// The content stream of one page, each run of shapes with the same mark in one marked-content
/// sequence: the element's tag with the next MCID, or `/Artifact`. Also returns the element of
/// each MCID.
fn page_content(page: &[Op], uses: &[FontUse; 2], elems: &[Elem]) -> (Vec<u8>, Vec<usize>) {
    let mut c = Content::new();
    let mut mcids: Vec<usize> = Vec::new();
    let mut open: Option<Mark> = None;
    for Op { shape, mark } in page {
        if !drawn(shape, uses) {
            continue;
        }
        if open != Some(*mark) {
            if open.is_some() {
                c.end_marked_content();
            }
            match mark {
                Mark::Elem(e) => {
                    let tag = elems.get(*e).map(|el| el.role.name()).unwrap_or(b"Span");
                    let mcid = i32::try_from(mcids.len()).unwrap_or(i32::MAX);
                    c.begin_marked_content_with_properties(Name(tag)).properties().identify(mcid);
                    mcids.push(*e);
                }
                Mark::Layout => {
                    c.begin_marked_content_with_properties(Name(b"Artifact")).properties().artifact().kind(ArtifactType::Layout);
                }
                Mark::Header => {
                    c.begin_marked_content_with_properties(Name(b"Artifact")).properties().artifact().kind(ArtifactType::Pagination);
                }
                Mark::Footer => {
                    let mut props = c.begin_marked_content_with_properties(Name(b"Artifact"));
                    props.properties().artifact().kind(ArtifactType::Pagination).subtype(ArtifactSubtype::Footer);
                }
            }
            open = Some(*mark);
        }
        match shape {
            Shape::Rect { x, y, w, h, fill, stroke } => {
                c.rect(n(*x), n(PAGE_H - y - h), n(*w), n(*h));
                paint(&mut c, *fill, *stroke);
            }
            Shape::Circle { cx, cy, r, fill, stroke } => {
                let (x, y, r) = (n(*cx), n(PAGE_H - cy), n(*r));
                let k = n(r * 0.552_284_8);
                c.move_to(x + r, y);
                c.cubic_to(x + r, y + k, x + k, y + r, x, y + r);
                c.cubic_to(x - k, y + r, x - r, y + k, x - r, y);
                c.cubic_to(x - r, y - k, x - k, y - r, x, y - r);
                c.cubic_to(x + k, y - r, x + r, y - k, x + r, y);
                c.close_path();
                paint(&mut c, *fill, *stroke);
            }
            Shape::Line { points, color, width, dash } => {
                stroke_color(&mut c, *color);
                c.set_line_width(n(*width));
                if *dash {
                    c.set_dash_pattern([n((3.0 * width).max(2.0)), n((2.0 * width).max(1.5))], 0.0);
                } else {
                    c.set_dash_pattern([], 0.0);
                }
                let mut it = points.iter();
                if let Some((x, y)) = it.next() {
                    c.move_to(n(*x), n(PAGE_H - y));
                }
                for (x, y) in it {
                    c.line_to(n(*x), n(PAGE_H - y));
                }
                c.stroke();
            }
            Shape::Text { x, y, text, size, bold, color, .. } => {
                let u = &uses[usize::from(*bold)];
                let bytes = u.encode(text);
                if bytes.is_empty() {
                    continue;
                }
                c.begin_text();
                c.set_font(Name(u.res), n(*size));
                fill_color(&mut c, *color);
                c.set_text_matrix([1.0, 0.0, 0.0, 1.0, n(*x), n(PAGE_H - y)]);
                c.show(Str(&bytes));
                c.end_text();
            }
        }
    }
    if open.is_some() {
        c.end_marked_content();
    }
    (c.finish().into_vec(), mcids)
}

fn paint(c: &mut Content, fill: Option<Rgb>, stroke: Option<(Rgb, f32)>) {
    if let Some(f) = fill {
        fill_color(c, f);
    }
    if let Some((s, w)) = stroke {
        stroke_color(c, s);
        c.set_line_width(n(w));
        c.set_dash_pattern([], 0.0);
    }
    match (fill.is_some(), stroke.is_some()) {
        (true, true) => c.fill_nonzero_and_stroke(),
        (true, false) => c.fill_nonzero(),
        (false, true) => c.stroke(),
        (false, false) => c.end_path(),
    };
}

fn comp(v: u8) -> f32 {
    (f32::from(v) / 255.0 * 1000.0).round() / 1000.0
}

fn fill_color(c: &mut Content, Rgb(r, g, b): Rgb) {
    c.set_fill_rgb(comp(r), comp(g), comp(b));
}

fn stroke_color(c: &mut Content, Rgb(r, g, b): Rgb) {
    c.set_stroke_rgb(comp(r), comp(g), comp(b));
}

/// A coordinate clamped to a sane range and rounded to 0.01 pt (keeps streams small and valid).
fn n(v: f32) -> f32 {
    if !v.is_finite() {
        return 0.0;
    }
    (v.clamp(-100_000.0, 100_000.0) * 100.0).round() / 100.0
}

/// Em units to PDF glyph space (1/1000 em), rounded.
fn to_1000(em: f32) -> f32 {
    (em * 1000.0).round()
}

/// Zlib (Flate) compression.
fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// A deterministic six-letter subset tag derived from the glyph set.
fn tag(gids: &BTreeSet<u16>, name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    };
    name.bytes().for_each(&mut feed);
    for g in gids {
        g.to_be_bytes().into_iter().for_each(&mut feed);
    }
    (0..6).map(|i| char::from(b'A' + ((h >> (i * 8)) % 26) as u8)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Document, Graphic};

    #[test]
    fn output_is_deterministic_and_small() {
        let build = || {
            let mut d = Document::new(DocInfo { title: "Tytuł".into(), footer: "Miernik".into(), ..DocInfo::default() });
            d.heading(1, "Zażółć gęślą jaźń");
            d.paragraph("ĄĆĘŁŃÓŚŹŻ „cytat” – — … ≥ ≤ ± ×");
            d.graphic(&Graphic::new(10.0, 10.0));
            d.finish()
        };
        let a = build();
        let b = build();
        assert_eq!(a, b);
        assert!(a.len() < 60_000, "{} bytes", a.len());
        let s = String::from_utf8_lossy(&a);
        for key in
            ["/Identity-H", "/ToUnicode", "/CIDFontType2", "/FontFile2", "/DisplayDocTitle true", "/Lang (pl)", "/W [", "/CIDToGIDMap /Identity"]
        {
            assert!(s.contains(key), "{key} missing");
        }
    }

    #[test]
    fn output_is_tagged() {
        let mut d = Document::new(DocInfo { title: "Raport: Gmina <Łęczyca> & 2024".into(), lang: "en".into(), ..DocInfo::default() });
        d.heading(1, "Nagłówek");
        d.paragraph(&"Akapit. ".repeat(1500));
        // A drawing without shapes has no content to tag; this one has.
        d.graphic(&Graphic::new(10.0, 10.0).with_alt("Pusty"));
        let mut g = Graphic::new(10.0, 10.0).with_alt("Opis");
        g.push(Shape::Circle { cx: 5.0, cy: 5.0, r: 4.0, fill: Some(crate::Rgb::BLACK), stroke: None });
        d.graphic(&g);
        let pages = d.page_count();
        assert!(pages >= 2);
        let pdf = d.finish();
        // pdf-writer puts dictionary entries on lines of their own.
        let s = String::from_utf8_lossy(&pdf).split_whitespace().collect::<Vec<_>>().join(" ");
        for key in [
            "/MarkInfo << /Marked true >>",
            "/StructTreeRoot ",
            "/ParentTree << /Nums [0 [",
            "/S /Document",
            "/S /H1",
            "/S /P",
            "/S /Figure",
            "/Alt (Opis)",
            "/Lang (en)",
            "/Tabs /S",
            "/Type /Metadata",
        ] {
            assert!(s.contains(key), "{key} missing");
        }
        assert!(s.contains(&format!("/ParentTreeNextKey {pages}")));
        for p in 0..pages {
            assert!(s.contains(&format!("/StructParents {p}")), "page {p}");
        }
        assert!(!s.contains("(Pusty)"), "an empty figure is left out");
        assert!(s.contains("<rdf:li xml:lang=\"x-default\">Raport: Gmina &lt;Łęczyca&gt; &amp; 2024</rdf:li>"), "XMP title escaped");
    }

    #[test]
    fn empty_document_is_one_page() {
        let d = Document::new(DocInfo::default());
        assert_eq!(d.page_count(), 1);
        let pdf = d.finish();
        let s = String::from_utf8_lossy(&pdf);
        assert!(s.contains("/Count 1"));
    }

    #[test]
    fn subset_tag_is_letters() {
        let t = tag(&[1u16, 2, 3].into_iter().collect(), "DejaVuSans");
        assert_eq!(t.len(), 6);
        assert!(t.chars().all(|c| c.is_ascii_uppercase()));
    }
}
