//! The flowing layout: [`Document`] places headings, paragraphs, tables and graphics on A4 pages
//! (as shapes in top-left page coordinates, each marked with the structure element it belongs to
//! or as an artifact), builds the structure tree alongside, and hands both to the PDF writer on
//! `finish`.

use crate::font::Fonts;
use crate::tags::{Elem, Mark, Op, ROOT, Role};
use crate::wrap::{wrap, wrap_spaced};
use crate::{Align, Cell, DocInfo, Graphic, Rgb, Shape, Table};

/// A4 width in points.
pub(crate) const PAGE_W: f32 = 595.276;
/// A4 height in points.
pub(crate) const PAGE_H: f32 = 841.89;
/// Page margin on all sides (18 mm).
const MARGIN: f32 = 51.024;
/// Top of the body area.
const TOP: f32 = MARGIN;
/// Bottom of the body area.
const BOTTOM: f32 = PAGE_H - MARGIN;
/// Baseline of the footer line (inside the bottom margin).
const FOOTER_BASELINE: f32 = PAGE_H - 28.0;
/// Tolerance for "fits" comparisons.
const EPS: f32 = 0.01;

/// Body text size and line height factor.
const BODY_SIZE: f32 = 10.0;
const LINE: f32 = 1.35;
/// Largest font size accepted (larger sizes are clamped).
const MAX_SIZE: f32 = 144.0;

/// Table text size, line height and cell padding.
const T_SIZE: f32 = 9.0;
const T_LH: f32 = T_SIZE * 1.3;
const PAD_X: f32 = 4.0;
const PAD_Y: f32 = 3.0;
const HEADER_MAX_LINES: usize = 4;

const TEXT: Rgb = Rgb(25, 25, 25);
const HEADING: Rgb = Rgb(18, 42, 82);
const RULE_DARK: Rgb = Rgb(80, 80, 80);
const RULE_LIGHT: Rgb = Rgb(200, 200, 200);
const HEADER_FILL: Rgb = Rgb(230, 235, 242);
const ZEBRA_FILL: Rgb = Rgb(245, 246, 248);
const FOOTER: Rgb = Rgb(110, 110, 110);

/// A heading waiting to be kept together with the block that follows it.
struct Keep {
    page: usize,
    op_start: usize,
    y_start: f32,
}

/// A PDF document being built: content flows down A4 portrait pages with ~18 mm margins.
///
/// Nothing panics on odd input: empty strings draw nothing, over-long words are broken, characters
/// missing from the font are drawn as `?`, invalid shapes are skipped.
pub struct Document {
    info: DocInfo,
    fonts: Fonts,
    pages: Vec<Vec<Op>>,
    y: f32,
    keep: Option<Keep>,
    /// The structure tree; `elems[ROOT]` is the `Document` element.
    elems: Vec<Elem>,
    /// The mark given to text placed now.
    cur: Mark,
}

/// One table cell prepared for drawing.
enum CellBox<'a> {
    Empty,
    Text { lines: Vec<String>, bold: bool },
    Graphic { g: &'a Graphic, scale: f32 },
}

impl Document {
    /// A new document with one empty A4 portrait page.
    pub fn new(info: DocInfo) -> Document {
        let root = Elem { role: Role::Document, parent: ROOT, kids: Vec::new(), alt: String::new(), bbox: None };
        Document { info, fonts: Fonts::load(), pages: vec![Vec::new()], y: TOP, keep: None, elems: vec![root], cur: Mark::Layout }
    }

    /// Usable width between the margins, in points.
    pub fn text_width(&self) -> f32 {
        PAGE_W - 2.0 * MARGIN
    }

    /// Height of the body area of a page, in points.
    pub fn text_height(&self) -> f32 {
        BOTTOM - TOP
    }

    /// Vertical space left on the current page, in points.
    pub fn remaining(&self) -> f32 {
        (BOTTOM - self.y).max(0.0)
    }

    /// Width of `text` in points in the regular or bold face (0 for invalid sizes).
    pub fn measure(&self, text: &str, size: f32, bold: bool) -> f32 {
        if !size.is_finite() || size <= 0.0 {
            return 0.0;
        }
        self.fonts.get(bold).measure(text, size)
    }

    /// Wraps `text` into lines no wider than `width` points (breaking on spaces, and inside words
    /// longer than the width); `'\n'` forces a break. The same wrapping the paragraphs use.
    pub fn wrap(&self, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
        let font = self.fonts.get(bold);
        let size = if size.is_finite() && size > 0.0 { size.min(MAX_SIZE) } else { BODY_SIZE };
        wrap(text, width, &|s: &str| font.measure(s, size))
    }

    /// [`Document::wrap`] with the spaces between lines kept at their ends (see [`wrap_spaced`]).
    fn wrap_spaced(&self, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
        let font = self.fonts.get(bold);
        let size = if size.is_finite() && size > 0.0 { size.min(MAX_SIZE) } else { BODY_SIZE };
        wrap_spaced(text, width, &|s: &str| font.measure(s, size))
    }

    /// Number of pages the document has so far (trailing empty pages are not counted).
    pub fn page_count(&self) -> usize {
        let mut n = self.pages.len();
        while n > 1 && self.pages[n - 1].is_empty() {
            n -= 1;
        }
        n.max(1)
    }

    /// A heading: level 1 ≈ 18 pt, 2 ≈ 13 pt, 3 (and above) ≈ 11 pt, bold. It is never left alone
    /// at the bottom of a page: if the next block does not start on the same page, the heading
    /// moves to the next page with it.
    pub fn heading(&mut self, level: u8, text: &str) {
        let (size, before, after) = match level {
            0 | 1 => (18.0, 16.0, 8.0),
            2 => (13.0, 14.0, 5.0),
            _ => (11.0, 10.0, 4.0),
        };
        let lines = self.wrap_spaced(text, size, true, self.text_width());
        if lines.is_empty() {
            return;
        }
        let lh = size * 1.25;
        let rule = level <= 1;
        let elem = self.open(Role::Heading(level.clamp(1, 6)), ROOT);
        self.cur = Mark::Elem(elem);
        self.gap(before);
        let h = lines.len() as f32 * lh + if rule { 4.0 } else { 0.0 };
        self.ensure(h + after + 3.0 * BODY_SIZE * LINE);
        if self.keep.is_none() {
            let page = self.pages.len().saturating_sub(1);
            let op_start = self.ops().len();
            self.keep = Some(Keep { page, op_start, y_start: self.y });
        }
        let font = self.fonts.get(true);
        let base = baseline(font.ascent, font.descent, size, lh);
        for line in lines {
            if !line.is_empty() {
                let y = self.y + base;
                self.text(MARGIN, y, line, size, true, HEADING);
            }
            self.y += lh;
        }
        if rule {
            self.y += 2.0;
            let y = self.y;
            let w = self.text_width();
            self.push(Shape::Line { points: vec![(MARGIN, y), (MARGIN + w, y)], color: HEADING, width: 0.8, dash: false }, Mark::Layout);
            self.y += 2.0;
        }
        self.gap(after);
    }

    /// A paragraph in 10 pt regular text, wrapped to the text width.
    pub fn paragraph(&mut self, text: &str) {
        self.paragraph_with(text, BODY_SIZE, false, TEXT);
    }

    /// A paragraph with the given size (points), weight and colour; line height is 1.35 × size.
    /// The first two lines (three after a heading) are kept together on one page.
    pub fn paragraph_with(&mut self, text: &str, size: f32, bold: bool, color: Rgb) {
        if !size.is_finite() || size <= 0.0 {
            return;
        }
        let size = size.min(MAX_SIZE);
        let lines = self.wrap_spaced(text, size, bold, self.text_width());
        if lines.is_empty() {
            return;
        }
        let lh = size * LINE;
        let elem = self.open(Role::Paragraph, ROOT);
        self.cur = Mark::Elem(elem);
        let keep_lines = if self.keep.is_some() { 3 } else { 2 };
        self.ensure(lines.len().min(keep_lines) as f32 * lh);
        let font = self.fonts.get(bold);
        let base = baseline(font.ascent, font.descent, size, lh);
        for line in lines {
            if self.y + lh > BOTTOM + EPS && !self.at_top() {
                self.new_page();
            }
            if !line.is_empty() {
                let y = self.y + base;
                self.text(MARGIN, y, line, size, bold, color);
                self.placed();
            }
            self.y += lh;
        }
        self.gap(size * 0.55);
    }

    /// Vertical space in points (ignored if not positive); a space running past the bottom of the
    /// page ends the page.
    pub fn space(&mut self, points: f32) {
        if !points.is_finite() || points <= 0.0 {
            return;
        }
        self.y += points;
        if self.y > BOTTOM + EPS {
            self.new_page();
        }
    }

    /// Starts a new page (does nothing if the current page is still empty).
    pub fn page_break(&mut self) {
        if !self.ops_ref().is_empty() {
            self.keep = None;
            self.new_page();
        }
    }

    /// A block figure at the left margin, at its natural size (scaled down if wider than the text
    /// width or taller than a page). It moves to a new page if it does not fit. Tagged as a
    /// `Figure` with the graphic's [`Graphic::alt`] text (an artifact if it has none).
    pub fn graphic(&mut self, g: &Graphic) {
        if !positive(g.width) || !positive(g.height) {
            return;
        }
        let mut scale = 1.0f32.min(self.text_width() / g.width).min(self.text_height() / g.height);
        let h = g.height * scale;
        self.ensure(h);
        let avail = BOTTOM - self.y;
        if h > avail + EPS {
            // Still too tall after a heading moved along with it: shrink a little, or move on.
            if avail >= 0.6 * h {
                scale *= avail / h;
            } else {
                self.keep = None;
                self.new_page();
            }
        }
        let y = self.y;
        let mark = self.figure(g, ROOT);
        self.place_graphic(g, MARGIN, y, scale, mark);
        self.y += g.height * scale;
        self.placed();
        self.gap(8.0);
    }

    /// A table: bold header row (repeated on every page the table spans), wrapped cell text,
    /// row heights from content, page breaks between rows (a row taller than a page is split
    /// between its lines), thin rules, optional zebra shading. Tagged as one `Table` of `TR`s
    /// with `TH` (header row; row headers if [`Table::row_headers`]) and `TD` cells; graphic cells
    /// hold a `Figure`.
    pub fn table(&mut self, table: &Table) {
        let n = table.columns.len();
        if n == 0 {
            return;
        }
        let tw = self.text_width();
        let fr: Vec<f32> = table.columns.iter().map(|c| if c.width.is_finite() && c.width > 0.0 { c.width } else { 0.0 }).collect();
        let sum: f32 = fr.iter().sum();
        let widths: Vec<f32> = if sum > 0.0 && sum.is_finite() { fr.iter().map(|f| f / sum * tw).collect() } else { vec![tw / n as f32; n] };
        let mut xs = Vec::with_capacity(n);
        let mut x = MARGIN;
        for w in &widths {
            xs.push(x);
            x += w;
        }
        let aligns: Vec<Align> = table.columns.iter().map(|c| c.align).collect();

        // Header cells.
        let header: Vec<Vec<String>> =
            table.columns.iter().zip(&widths).map(|(c, w)| self.cell_lines(&c.title, true, *w, HEADER_MAX_LINES)).collect();
        let header_lines = header.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let header_h = header_lines as f32 * T_LH + 2.0 * PAD_Y;
        let fresh_avail = self.text_height() - header_h;

        // Body cells.
        let rows: Vec<Vec<CellBox>> =
            table.rows.iter().map(|row| (0..n).map(|i| self.cell_box(row.get(i), widths[i], fresh_avail - 2.0 * PAD_Y)).collect()).collect();

        let geo = TableGeo { xs: &xs, widths: &widths, aligns: &aligns, width: tw };
        let first = rows.first().map(|r| part_height(r, 0, usize::MAX, true).min(3.0 * T_LH + 2.0 * PAD_Y)).unwrap_or(0.0);
        self.ensure(header_h + first);
        let table_elem = self.open(Role::Table, ROOT);
        let head_row = self.open(Role::Row, table_elem);
        let head_marks: Vec<Mark> = (0..n).map(|_| Mark::Elem(self.open(Role::Header { column: true }, head_row))).collect();
        self.draw_header(&geo, &header, header_h, &head_marks);
        self.placed();
        // On later pages the header row is drawn again as page furniture: it is already in the tree.
        let repeated = vec![Mark::Header; n];

        for (i, row) in rows.iter().enumerate() {
            let marks = self.row_marks(table_elem, row, table.row_headers);
            let shade = table.zebra && i % 2 == 1;
            let mut start = 0usize;
            let mut gfx = true;
            let mut on_page_rows = 0usize;
            let mut guard = 0usize;
            loop {
                guard += 1;
                let need = part_height(row, start, usize::MAX, gfx);
                let avail = BOTTOM - self.y;
                if need <= avail + EPS || guard > 10_000 {
                    self.draw_row_part(&geo, row, &marks, start, usize::MAX, gfx, need, shade);
                    break;
                }
                if need <= fresh_avail + EPS || avail < T_LH + 2.0 * PAD_Y || on_page_rows > 0 {
                    self.new_page();
                    self.draw_header(&geo, &header, header_h, &repeated);
                    on_page_rows = 0;
                    continue;
                }
                // Taller than any page: draw the lines that fit here, continue on the next page.
                let k = (((avail - 2.0 * PAD_Y) / T_LH).floor() as usize).max(1);
                let h = part_height(row, start, k, false).min(avail.max(0.0));
                self.draw_row_part(&geo, row, &marks, start, k, gfx, h, shade);
                start += k;
                gfx = false;
                on_page_rows += 1;
            }
        }
        let y = self.y;
        self.rule(MARGIN, MARGIN + tw, y, RULE_DARK, 0.6);
        self.gap(10.0);
    }

    /// Finishes the document: adds the footer (`info.footer` left, `N / M` right; an artifact) to
    /// every page and returns the PDF bytes.
    pub fn finish(self) -> Vec<u8> {
        let count = self.page_count();
        let mut pages = self.pages;
        pages.truncate(count);
        if pages.is_empty() {
            pages.push(Vec::new());
        }
        let fonts = &self.fonts;
        let size = 8.0;
        let left_edge = MARGIN;
        let right_edge = PAGE_W - MARGIN;
        for (i, page) in pages.iter_mut().enumerate() {
            let num = format!("{} / {}", i + 1, count);
            let num_w = fonts.regular.measure(&num, size);
            let mut footer = |shape: Shape| page.push(Op { shape, mark: Mark::Footer });
            footer(Shape::Line {
                points: vec![(left_edge, FOOTER_BASELINE - 10.0), (right_edge, FOOTER_BASELINE - 10.0)],
                color: RULE_LIGHT,
                width: 0.4,
                dash: false,
            });
            let room = right_edge - left_edge - num_w - 12.0;
            let left = truncate(&self.info.footer, room, &|s: &str| fonts.regular.measure(s, size));
            if !left.is_empty() {
                footer(text_shape(left_edge, FOOTER_BASELINE, left, size, false, FOOTER));
            }
            footer(text_shape(right_edge - num_w, FOOTER_BASELINE, num, size, false, FOOTER));
        }
        crate::render::write(&self.info, fonts, &pages, &self.elems)
    }

    // ----- internals -------------------------------------------------------------------------

    /// The shapes of the pages laid out so far (for tests).
    #[cfg(test)]
    pub(crate) fn pages(&self) -> Vec<Vec<Shape>> {
        self.pages.iter().map(|p| p.iter().map(|op| op.shape.clone()).collect()).collect()
    }

    /// The pages with their marks and the structure tree (for tests).
    #[cfg(test)]
    pub(crate) fn tagged(&self) -> (&[Vec<Op>], &[Elem]) {
        (&self.pages, &self.elems)
    }

    /// A new structure element under `parent`, after its existing children.
    fn open(&mut self, role: Role, parent: usize) -> usize {
        let id = self.elems.len();
        self.elems.push(Elem { role, parent, kids: Vec::new(), alt: String::new(), bbox: None });
        if let Some(p) = self.elems.get_mut(parent) {
            p.kids.push(id);
        }
        id
    }

    /// The mark of a drawing's shapes: a new `Figure` under `parent` if it has a text
    /// alternative, otherwise decoration.
    fn figure(&mut self, g: &Graphic, parent: usize) -> Mark {
        let alt = g.alt.trim();
        if alt.is_empty() {
            return Mark::Layout;
        }
        let id = self.open(Role::Figure, parent);
        self.elems[id].alt = alt.to_owned();
        Mark::Elem(id)
    }

    /// A new body row of table `table`: its `TR`, a cell element per column and the marks of
    /// the cells' content (the cell, or the figure inside it).
    fn row_marks(&mut self, table: usize, row: &[CellBox], row_headers: bool) -> Vec<Mark> {
        let tr = self.open(Role::Row, table);
        let mut marks = Vec::with_capacity(row.len());
        for (i, cell) in row.iter().enumerate() {
            let role = if row_headers && i == 0 { Role::Header { column: false } } else { Role::Data };
            let id = self.open(role, tr);
            marks.push(match cell {
                CellBox::Graphic { g, .. } => self.figure(g, id),
                _ => Mark::Elem(id),
            });
        }
        marks
    }

    fn push(&mut self, shape: Shape, mark: Mark) {
        self.ops().push(Op { shape, mark });
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let i = self.pages.len() - 1;
        &mut self.pages[i]
    }

    fn ops_ref(&self) -> &[Op] {
        self.pages.last().map(Vec::as_slice).unwrap_or(&[])
    }

    fn at_top(&self) -> bool {
        self.y <= TOP + EPS
    }

    /// Space between blocks; dropped at the top of a page.
    fn gap(&mut self, points: f32) {
        if !self.at_top() {
            self.y += points;
        }
    }

    /// Content placed: a pending heading has found its follower.
    fn placed(&mut self) {
        self.keep = None;
    }

    /// Starts a new page unless `h` points still fit on this one (or it is empty).
    fn ensure(&mut self, h: f32) {
        if self.y + h > BOTTOM + EPS && !self.at_top() {
            self.new_page();
        }
    }

    /// Starts a new page, carrying a pending heading over to it.
    fn new_page(&mut self) {
        let cur = self.pages.len().saturating_sub(1);
        let mut moved = Vec::new();
        let mut carry = 0.0;
        if let Some(k) = self.keep.take() {
            let y = self.y;
            let ops = self.ops();
            if k.page == cur && k.y_start > TOP + 0.5 && k.op_start <= ops.len() {
                moved = ops.split_off(k.op_start);
                let dy = TOP - k.y_start;
                for op in &mut moved {
                    shift_y(&mut op.shape, dy);
                }
                carry = y - k.y_start;
            }
        }
        let kept = !moved.is_empty();
        self.pages.push(moved);
        self.y = TOP + carry;
        if kept {
            self.keep = Some(Keep { page: self.pages.len() - 1, op_start: 0, y_start: TOP });
        }
    }

    /// Text belonging to the current element ([`Document::cur`]).
    fn text(&mut self, x: f32, y: f32, text: String, size: f32, bold: bool, color: Rgb) {
        let mark = self.cur;
        self.push(text_shape(x, y, text, size, bold, color), mark);
    }

    /// A horizontal rule (decoration).
    fn rule(&mut self, x0: f32, x1: f32, y: f32, color: Rgb, width: f32) {
        self.push(Shape::Line { points: vec![(x0, y), (x1, y)], color, width, dash: false }, Mark::Layout);
    }

    /// Draws `g` with its top-left corner at (`x0`, `y0`) page coordinates, scaled by `scale`,
    /// its shapes marked `mark` (a figure also gets its box).
    fn place_graphic(&mut self, g: &Graphic, x0: f32, y0: f32, scale: f32, mark: Mark) {
        let mut out = Vec::with_capacity(g.shapes.len());
        for shape in &g.shapes {
            if let Some(shape) = self.transform(shape, x0, y0, scale) {
                out.push(Op { shape, mark });
            }
        }
        let page = self.pages.len().saturating_sub(1);
        if let Mark::Elem(id) = mark
            && let Some(e) = self.elems.get_mut(id)
            && e.bbox.is_none()
        {
            e.bbox = Some((page, [x0, y0, g.width * scale, g.height * scale]));
        }
        self.ops().extend(out);
    }

    /// A graphic's shape in page coordinates, with text alignment resolved; `None` if invalid.
    fn transform(&self, shape: &Shape, x0: f32, y0: f32, k: f32) -> Option<Shape> {
        let px = |x: f32| x0 + x * k;
        let py = |y: f32| y0 + y * k;
        let stroke = |s: &Option<(Rgb, f32)>| s.and_then(|(c, w)| positive(w).then_some((c, w * k)));
        let out = match shape {
            Shape::Rect { x, y, w, h, fill, stroke: st } => {
                if !(positive(*w) && positive(*h)) {
                    return None;
                }
                Shape::Rect { x: px(*x), y: py(*y), w: w * k, h: h * k, fill: *fill, stroke: stroke(st) }
            }
            Shape::Circle { cx, cy, r, fill, stroke: st } => {
                if !positive(*r) {
                    return None;
                }
                Shape::Circle { cx: px(*cx), cy: py(*cy), r: r * k, fill: *fill, stroke: stroke(st) }
            }
            Shape::Line { points, color, width, dash } => {
                if !positive(*width) {
                    return None;
                }
                let points = points.iter().map(|(x, y)| (px(*x), py(*y))).collect();
                Shape::Line { points, color: *color, width: width * k, dash: *dash }
            }
            Shape::Text { x, y, text, size, bold, color, align } => {
                if !positive(*size) || !x.is_finite() {
                    return None;
                }
                let size = (size * k).min(MAX_SIZE);
                let w = self.measure(text, size, *bold);
                let dx = match align {
                    Align::Left => 0.0,
                    Align::Right => w,
                    Align::Center => w / 2.0,
                };
                text_shape(px(*x) - dx, py(*y), text.clone(), size, *bold, *color)
            }
        };
        valid(&out).then_some(out)
    }

    /// Wrapped lines of a table cell's text, at most `max_lines` (the last one ending in `…`).
    fn cell_lines(&self, text: &str, bold: bool, col_w: f32, max_lines: usize) -> Vec<String> {
        let inner = col_w - 2.0 * PAD_X;
        if inner < 1.0 {
            return Vec::new();
        }
        let font = self.fonts.get(bold);
        let m = |s: &str| font.measure(s, T_SIZE);
        let mut lines = wrap_spaced(text, inner, &m);
        if lines.len() > max_lines {
            lines.truncate(max_lines);
            if let Some(last) = lines.last_mut() {
                let t = truncate(&format!("{}…", last.trim_end()), inner, &m);
                *last = if t.ends_with('…') { t } else { format!("{t}…") };
            }
        }
        lines
    }

    fn cell_box<'a>(&self, cell: Option<&'a Cell>, col_w: f32, max_h: f32) -> CellBox<'a> {
        match cell {
            None => CellBox::Empty,
            Some(Cell::Text(t)) => CellBox::Text { lines: self.cell_lines(t, false, col_w, usize::MAX), bold: false },
            Some(Cell::Bold(t)) => CellBox::Text { lines: self.cell_lines(t, true, col_w, usize::MAX), bold: true },
            Some(Cell::Graphic(g)) => {
                let inner = col_w - 2.0 * PAD_X;
                if !positive(g.width) || !positive(g.height) || inner < 1.0 {
                    return CellBox::Empty;
                }
                let scale = 1.0f32.min(inner / g.width).min(max_h.max(1.0) / g.height);
                CellBox::Graphic { g, scale }
            }
        }
    }

    /// The header row; `marks` has each column's header cell (or says it is a repeat).
    fn draw_header(&mut self, geo: &TableGeo, header: &[Vec<String>], h: f32, marks: &[Mark]) {
        let y0 = self.y;
        self.push(Shape::Rect { x: MARGIN, y: y0, w: geo.width, h, fill: Some(HEADER_FILL), stroke: None }, Mark::Layout);
        self.rule(MARGIN, MARGIN + geo.width, y0, RULE_DARK, 0.8);
        let font = self.fonts.get(true);
        let base = baseline(font.ascent, font.descent, T_SIZE, T_LH);
        for (i, lines) in header.iter().enumerate() {
            self.cur = marks.get(i).copied().unwrap_or(Mark::Header);
            for (j, line) in lines.iter().enumerate() {
                let x = self.cell_x(geo, i, line, true);
                let y = y0 + PAD_Y + j as f32 * T_LH + base;
                self.text(x, y, line.clone(), T_SIZE, true, TEXT);
            }
        }
        self.rule(MARGIN, MARGIN + geo.width, y0 + h, RULE_DARK, 0.6);
        self.y = y0 + h;
    }

    /// Left x of a line of text in column `i`, according to the column's alignment.
    fn cell_x(&self, geo: &TableGeo, i: usize, line: &str, bold: bool) -> f32 {
        let x = geo.xs[i];
        let w = geo.widths[i];
        let lw = self.measure(line.trim_end_matches(' '), T_SIZE, bold);
        match geo.aligns[i] {
            Align::Left => x + PAD_X,
            Align::Right => x + w - PAD_X - lw,
            Align::Center => x + (w - lw) / 2.0,
        }
    }

    /// Lines `start..start + max_lines` of a body row (and its graphics if `gfx`), each cell's
    /// content marked with its entry in `marks`.
    #[allow(clippy::too_many_arguments)]
    fn draw_row_part(&mut self, geo: &TableGeo, row: &[CellBox], marks: &[Mark], start: usize, max_lines: usize, gfx: bool, h: f32, shade: bool) {
        let y0 = self.y;
        if shade {
            self.push(Shape::Rect { x: MARGIN, y: y0, w: geo.width, h, fill: Some(ZEBRA_FILL), stroke: None }, Mark::Layout);
        }
        let inner_h = (h - 2.0 * PAD_Y).max(0.0);
        for (i, cell) in row.iter().enumerate() {
            let mark = marks.get(i).copied().unwrap_or(Mark::Layout);
            self.cur = mark;
            match cell {
                CellBox::Empty => {}
                CellBox::Text { lines, bold } => {
                    let font = self.fonts.get(*bold);
                    let base = baseline(font.ascent, font.descent, T_SIZE, T_LH);
                    for (j, line) in lines.iter().skip(start).take(max_lines).enumerate() {
                        if line.is_empty() {
                            continue;
                        }
                        let x = self.cell_x(geo, i, line, *bold);
                        let y = y0 + PAD_Y + j as f32 * T_LH + base;
                        self.text(x, y, line.clone(), T_SIZE, *bold, TEXT);
                    }
                }
                CellBox::Graphic { g, scale } if gfx => {
                    let s = scale.min(inner_h / g.height);
                    if s <= 0.0 {
                        continue;
                    }
                    let (gw, gh) = (g.width * s, g.height * s);
                    let x = match geo.aligns[i] {
                        Align::Left => geo.xs[i] + PAD_X,
                        Align::Right => geo.xs[i] + geo.widths[i] - PAD_X - gw,
                        Align::Center => geo.xs[i] + (geo.widths[i] - gw) / 2.0,
                    };
                    let y = y0 + PAD_Y + (inner_h - gh) / 2.0;
                    self.place_graphic(g, x, y, s, mark);
                }
                CellBox::Graphic { .. } => {}
            }
        }
        self.rule(MARGIN, MARGIN + geo.width, y0 + h, RULE_LIGHT, 0.3);
        self.y = y0 + h;
    }
}

/// Column positions of a table being drawn.
struct TableGeo<'a> {
    xs: &'a [f32],
    widths: &'a [f32],
    aligns: &'a [Align],
    width: f32,
}

/// Height of a row part: text lines `start..start+max_lines` and (if `gfx`) the graphics.
fn part_height(row: &[CellBox], start: usize, max_lines: usize, gfx: bool) -> f32 {
    let mut inner = T_LH;
    for cell in row {
        let h = match cell {
            CellBox::Empty => 0.0,
            CellBox::Text { lines, .. } => lines.len().saturating_sub(start).min(max_lines) as f32 * T_LH,
            CellBox::Graphic { g, scale } if gfx => g.height * scale,
            CellBox::Graphic { .. } => 0.0,
        };
        inner = inner.max(h);
    }
    inner + 2.0 * PAD_Y
}

/// Baseline offset from the top of a line box of height `lh`, centring the font's
/// ascent–descent box vertically.
fn baseline(ascent: f32, descent: f32, size: f32, lh: f32) -> f32 {
    (lh - (ascent - descent) * size) / 2.0 + ascent * size
}

fn positive(v: f32) -> bool {
    v.is_finite() && v > 0.0
}

fn text_shape(x: f32, y: f32, text: String, size: f32, bold: bool, color: Rgb) -> Shape {
    Shape::Text { x, y, text, size, bold, color, align: Align::Left }
}

/// Shortens `text` with a trailing `…` until it fits `width` (empty if nothing fits).
fn truncate(text: &str, width: f32, measure: &dyn Fn(&str) -> f32) -> String {
    let text = text.replace('\n', " ");
    if measure(&text) <= width {
        return text;
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let s: String = chars.iter().collect::<String>().trim_end().to_string() + "…";
        if measure(&s) <= width {
            return s;
        }
    }
    String::new()
}

/// Whether every coordinate and size of a shape is finite and sizes are positive.
pub(crate) fn valid(shape: &Shape) -> bool {
    let fin = |v: &[f32]| v.iter().all(|x| x.is_finite());
    let st = |s: &Option<(Rgb, f32)>| s.is_none_or(|(_, w)| positive(w));
    match shape {
        Shape::Rect { x, y, w, h, fill, stroke } => {
            fin(&[*x, *y]) && positive(*w) && positive(*h) && st(stroke) && (fill.is_some() || stroke.is_some())
        }
        Shape::Circle { cx, cy, r, fill, stroke } => fin(&[*cx, *cy]) && positive(*r) && st(stroke) && (fill.is_some() || stroke.is_some()),
        Shape::Line { points, width, .. } => points.len() >= 2 && positive(*width) && points.iter().all(|(x, y)| x.is_finite() && y.is_finite()),
        Shape::Text { x, y, text, size, .. } => fin(&[*x, *y]) && positive(*size) && !text.is_empty(),
    }
}

/// Moves a shape vertically by `dy` points.
fn shift_y(shape: &mut Shape, dy: f32) {
    match shape {
        Shape::Rect { y, .. } | Shape::Text { y, .. } => *y += dy,
        Shape::Circle { cy, .. } => *cy += dy,
        Shape::Line { points, .. } => points.iter_mut().for_each(|p| p.1 += dy),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Column;

    fn texts(page: &[Shape]) -> Vec<&str> {
        page.iter()
            .filter_map(|s| match s {
                Shape::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    fn big_table(rows: usize) -> Table {
        Table {
            columns: vec![
                Column::new("Wskaźnik", 0.5, Align::Left),
                Column::new("Wartość", 0.25, Align::Right),
                Column::new("Słupek", 0.25, Align::Left),
            ],
            rows: (0..rows)
                .map(|i| {
                    let mut g = Graphic::new(100.0, 8.0);
                    g.push(Shape::Rect { x: 0.0, y: 0.0, w: (i % 100) as f32 + 1.0, h: 8.0, fill: Some(Rgb(0, 90, 160)), stroke: None });
                    vec![Cell::text(format!("Wiersz {i}")), Cell::text(format!("{i},5")), Cell::Graphic(g)]
                })
                .collect(),
            zebra: true,
            row_headers: false,
        }
    }

    #[test]
    fn long_table_breaks_pages_and_repeats_header() {
        let mut doc = Document::new(DocInfo::default());
        doc.heading(1, "Tabela");
        doc.table(&big_table(300));
        let pages = doc.pages();
        assert!(pages.len() >= 5, "{} pages", pages.len());
        assert_eq!(doc.page_count(), pages.len());
        let mut seen = Vec::new();
        for (i, page) in pages.iter().enumerate() {
            let t = texts(page);
            assert!(t.contains(&"Wskaźnik") && t.contains(&"Słupek"), "header missing on page {i}");
            for s in t {
                if let Some(n) = s.strip_prefix("Wiersz ") {
                    seen.push(n.parse::<usize>().expect("row number"));
                }
            }
            // Nothing below the body area.
            for s in page {
                if let Shape::Text { y, .. } = s {
                    assert!(*y <= BOTTOM + EPS, "text below bottom on page {i}");
                }
            }
        }
        assert_eq!(seen, (0..300).collect::<Vec<_>>(), "every row once, in order");
    }

    /// The marks of the text shapes on a page: (text, mark).
    fn marked_texts(page: &[Op]) -> Vec<(&str, Mark)> {
        page.iter()
            .filter_map(|op| match &op.shape {
                Shape::Text { text, .. } => Some((text.as_str(), op.mark)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_table_over_pages_is_one_table_with_header_cells() {
        let mut doc = Document::new(DocInfo::default());
        doc.heading(1, "Tabela");
        let mut table = big_table(120);
        table.row_headers = true;
        table.rows[3][2] = Cell::Graphic(Graphic::new(100.0, 8.0).with_alt("Słupek wiersza 3"));
        doc.table(&table);
        doc.paragraph("Koniec.");
        let (pages, elems) = doc.tagged();
        assert!(pages.len() >= 3, "{} pages", pages.len());
        let tables: Vec<usize> = (0..elems.len()).filter(|&i| elems[i].role == Role::Table).collect();
        assert_eq!(tables.len(), 1, "one Table element for a table over {} pages", pages.len());
        let rows = &elems[tables[0]].kids;
        assert_eq!(rows.len(), 1 + table.rows.len(), "the header row and every body row");
        for (r, &tr) in rows.iter().enumerate() {
            assert_eq!(elems[tr].role, Role::Row);
            let cells: Vec<Role> = elems[tr].kids.iter().map(|&c| elems[c].role).collect();
            assert_eq!(cells.len(), table.columns.len(), "row {r}");
            let want_first = if r == 0 { Role::Header { column: true } } else { Role::Header { column: false } };
            assert_eq!(cells[0], want_first, "row {r}");
            let rest = if r == 0 { Role::Header { column: true } } else { Role::Data };
            assert!(cells[1..].iter().all(|c| *c == rest), "row {r}: {cells:?}");
        }
        // The header is structure on the first page and page furniture on the others.
        for (p, page) in pages.iter().enumerate() {
            let header: Vec<Mark> = marked_texts(page).into_iter().filter(|(t, _)| *t == "Wskaźnik").map(|(_, m)| m).collect();
            assert_eq!(header.len(), 1, "page {p}");
            match header[0] {
                Mark::Elem(e) if p == 0 => assert_eq!(elems[e].role, Role::Header { column: true }),
                Mark::Header if p > 0 => {}
                m => panic!("page {p}: header marked {m:?}"),
            }
            // Every row's first cell is its row header, and the footer is furniture.
            for (t, m) in marked_texts(page) {
                if t.starts_with("Wiersz ") {
                    assert!(matches!(m, Mark::Elem(e) if elems[e].role == Role::Header { column: false }), "{t}: {m:?}");
                }
            }
            assert!(page.iter().all(|op| op.mark != Mark::Footer), "no footer before finish");
        }
        // The graphic with a text alternative is a figure in its cell; the others are decoration.
        let figures: Vec<&Elem> = elems.iter().filter(|e| e.role == Role::Figure).collect();
        assert_eq!(figures.len(), 1);
        assert_eq!(figures[0].alt, "Słupek wiersza 3");
        assert_eq!(elems[figures[0].parent].role, Role::Data);
        assert!(figures[0].bbox.is_some_and(|(p, [_, _, w, h])| p == 0 && w > 0.0 && h > 0.0));
    }

    #[test]
    fn block_graphics_are_figures_only_with_a_text_alternative() {
        let mut doc = Document::new(DocInfo::default());
        let mut g = Graphic::new(200.0, 50.0);
        g.push(Shape::Rect { x: 0.0, y: 0.0, w: 20.0, h: 20.0, fill: Some(Rgb::BLACK), stroke: None });
        doc.graphic(&g);
        doc.graphic(&g.clone().with_alt("  Wykres: wzrost z 1 do 2  "));
        let (pages, elems) = doc.tagged();
        let marks: Vec<Mark> = pages[0].iter().map(|op| op.mark).collect();
        assert_eq!(marks.len(), 2);
        assert_eq!(marks[0], Mark::Layout);
        let Mark::Elem(f) = marks[1] else { panic!("{marks:?}") };
        assert_eq!((elems[f].role, elems[f].alt.as_str(), elems[f].parent), (Role::Figure, "Wykres: wzrost z 1 do 2", ROOT));
        let (_, [x, y, w, h]) = elems[f].bbox.expect("figure box");
        assert!((x - MARGIN).abs() < 1e-3 && y > TOP && (w - 200.0).abs() < 1e-3 && (h - 50.0).abs() < 1e-3);
    }

    #[test]
    fn headings_and_paragraphs_are_elements_in_order() {
        let mut doc = Document::new(DocInfo::default());
        doc.heading(0, "Tytuł");
        doc.heading(2, "Rozdział");
        doc.heading(9, "Punkt");
        doc.paragraph(&"Długi akapit tekstu. ".repeat(300));
        doc.paragraph("");
        let (pages, elems) = doc.tagged();
        let roles: Vec<Role> = elems[ROOT].kids.iter().map(|&k| elems[k].role).collect();
        assert_eq!(roles, vec![Role::Heading(1), Role::Heading(2), Role::Heading(6), Role::Paragraph]);
        // The paragraph runs over pages as one element; the H1's rule is decoration.
        let p = elems[ROOT].kids[3];
        let on: Vec<bool> = pages.iter().map(|pg| pg.iter().any(|op| op.mark == Mark::Elem(p))).collect();
        assert!(on.len() >= 2 && on.iter().all(|b| *b), "{on:?}");
        assert!(pages[0].iter().any(|op| matches!(op.shape, Shape::Line { .. }) && op.mark == Mark::Layout));
        assert!(pages[0].iter().all(|op| !matches!(op.shape, Shape::Line { .. }) || op.mark == Mark::Layout));
    }

    #[test]
    fn empty_table_draws_header() {
        let mut doc = Document::new(DocInfo::default());
        let mut t = big_table(0);
        t.columns[0].title = "Nagłówek".into();
        doc.table(&t);
        assert!(texts(&doc.pages()[0]).contains(&"Nagłówek"));
        assert!(doc.pages()[0].iter().any(|s| matches!(s, Shape::Rect { .. })));
    }

    #[test]
    fn heading_is_not_left_alone_at_page_bottom() {
        let mut doc = Document::new(DocInfo::default());
        // Fill the page until less than a heading plus a graphic is left.
        while doc.remaining() > 120.0 {
            doc.paragraph("Wypełnienie strony tekstem akapitu.");
        }
        doc.heading(2, "Wykres dochodów");
        doc.graphic(&Graphic {
            width: 400.0,
            height: 200.0,
            shapes: vec![Shape::Rect { x: 0.0, y: 0.0, w: 10.0, h: 10.0, fill: Some(Rgb::BLACK), stroke: None }],
            alt: "Wykres".into(),
        });
        let pages = doc.pages();
        assert_eq!(pages.len(), 2);
        assert!(!texts(&pages[0]).contains(&"Wykres dochodów"));
        assert!(texts(&pages[1]).contains(&"Wykres dochodów"));
        // The heading is at the top of the new page.
        let y = pages[1].iter().find_map(|s| match s {
            Shape::Text { y, text, .. } if text == "Wykres dochodów" => Some(*y),
            _ => None,
        });
        assert!(y.is_some_and(|y| y < TOP + 20.0), "{y:?}");
    }

    #[test]
    fn paragraphs_flow_over_pages_within_body() {
        let mut doc = Document::new(DocInfo::default());
        let text = "Zażółć gęślą jaźń. ".repeat(400);
        doc.paragraph(&text);
        assert!(doc.page_count() >= 2);
        let w = doc.text_width();
        for page in &doc.pages() {
            for s in page {
                if let Shape::Text { x, y, text, size, bold, .. } = s {
                    assert!(*y > TOP && *y <= BOTTOM + EPS);
                    // A trailing space (kept for text extraction) is invisible.
                    assert!(x + doc.measure(text.trim_end(), *size, *bold) <= MARGIN + w + 1e-3);
                }
            }
        }
    }

    #[test]
    fn huge_cells_split_across_pages() {
        let mut doc = Document::new(DocInfo::default());
        let t = Table {
            columns: vec![Column::new("A", 0.3, Align::Left), Column::new("B", 0.7, Align::Center)],
            rows: vec![vec![Cell::text("słowo ".repeat(3000)), Cell::bold("x")]],
            zebra: false,
            row_headers: true,
        };
        doc.table(&t);
        assert!(doc.page_count() >= 3);
        for page in &doc.pages() {
            assert!(texts(page).contains(&"A"));
        }
    }

    #[test]
    fn measure_behaves() {
        let doc = Document::new(DocInfo::default());
        assert_eq!(doc.measure("", 10.0, false), 0.0);
        assert_eq!(doc.measure("abc", 0.0, false), 0.0);
        assert_eq!(doc.measure("abc", f32::NAN, false), 0.0);
        let a = doc.measure("Łódź", 10.0, false);
        assert!(a > 15.0 && a < 35.0, "{a}");
        assert!((doc.measure("Łódź", 20.0, false) - 2.0 * a).abs() < 1e-3);
        assert!(doc.measure("Łódź", 10.0, true) > a);
        assert!((doc.text_width() - 493.2).abs() < 0.5);
    }

    #[test]
    fn invalid_shapes_are_skipped() {
        let mut doc = Document::new(DocInfo::default());
        let g = Graphic {
            width: 100.0,
            height: 50.0,
            shapes: vec![
                Shape::Rect { x: f32::NAN, y: 0.0, w: 1.0, h: 1.0, fill: Some(Rgb::BLACK), stroke: None },
                Shape::Rect { x: 0.0, y: 0.0, w: -1.0, h: 1.0, fill: Some(Rgb::BLACK), stroke: None },
                Shape::Line { points: vec![(0.0, 0.0), (f32::INFINITY, 1.0)], color: Rgb::BLACK, width: 1.0, dash: false },
                Shape::Line { points: vec![(0.0, 0.0)], color: Rgb::BLACK, width: 1.0, dash: false },
                Shape::Circle { cx: 1.0, cy: 1.0, r: 0.0, fill: Some(Rgb::BLACK), stroke: None },
                Shape::Text { x: 0.0, y: 0.0, text: "x".into(), size: -3.0, bold: false, color: Rgb::BLACK, align: Align::Left },
                Shape::Circle { cx: 10.0, cy: 10.0, r: 2.0, fill: Some(Rgb::BLACK), stroke: None },
            ],
            alt: String::new(),
        };
        doc.graphic(&g);
        assert_eq!(doc.pages()[0].len(), 1);
        doc.graphic(&Graphic { width: 0.0, height: 10.0, shapes: g.shapes.clone(), alt: "x".into() });
        doc.graphic(&Graphic { width: f32::NAN, height: 10.0, shapes: g.shapes, alt: "x".into() });
        assert_eq!(doc.pages()[0].len(), 1);
    }

    /// Small deterministic fuzz: random operations never panic and always give a PDF.
    #[test]
    fn random_input_never_panics() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet: Vec<char> = "aąbcćeęlłnńoósśzźżŻ „”–—…≥≤±×\n\t\u{0}\u{E000}\u{1F600}😀ﬁ".chars().collect();
        let floats = [0.0, -1.0, 1.0, 5.0, 50.0, 1e9, -1e9, f32::NAN, f32::INFINITY, 0.001, 600.0];
        for _round in 0..10 {
            let mut doc = Document::new(DocInfo { footer: "stopka ".repeat((next() % 40) as usize), title: "ż\u{0}".into(), ..DocInfo::default() });
            for _ in 0..25 {
                let len = (next() % 300) as usize;
                let s: String = (0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect();
                let f = |n: u64| floats[(n % floats.len() as u64) as usize];
                match next() % 7 {
                    0 => doc.heading((next() % 6) as u8, &s),
                    1 => doc.paragraph(&s),
                    2 => doc.paragraph_with(&s, f(next()), next() % 2 == 0, Rgb(1, 2, 3)),
                    3 => doc.space(f(next())),
                    4 => doc.page_break(),
                    5 => {
                        let g = Graphic {
                            width: f(next()),
                            height: f(next()),
                            shapes: vec![
                                Shape::Rect {
                                    x: f(next()),
                                    y: f(next()),
                                    w: f(next()),
                                    h: f(next()),
                                    fill: Some(Rgb(9, 9, 9)),
                                    stroke: Some((Rgb(1, 1, 1), f(next()))),
                                },
                                Shape::Text {
                                    x: f(next()),
                                    y: f(next()),
                                    text: s.clone(),
                                    size: f(next()),
                                    bold: true,
                                    color: Rgb::BLACK,
                                    align: Align::Center,
                                },
                                Shape::Line {
                                    points: vec![(f(next()), f(next())), (f(next()), f(next()))],
                                    color: Rgb::BLACK,
                                    width: f(next()),
                                    dash: true,
                                },
                            ],
                            alt: s.chars().take(20).collect(),
                        };
                        doc.graphic(&g);
                    }
                    _ => {
                        let ncol = (next() % 4) as usize;
                        let t = Table {
                            columns: (0..ncol).map(|_| Column::new(s.clone(), f(next()), Align::Right)).collect(),
                            rows: (0..(next() % 30))
                                .map(|_| vec![Cell::text(s.clone()), Cell::Graphic(Graphic::new(f(next()), f(next())))])
                                .collect(),
                            zebra: true,
                            row_headers: next() % 2 == 0,
                        };
                        doc.table(&t);
                    }
                }
            }
            let n = doc.page_count();
            assert!(n >= 1);
            let pdf = doc.finish();
            assert!(pdf.starts_with(b"%PDF-") && pdf.ends_with(b"%%EOF") || pdf.ends_with(b"%%EOF\n"));
        }
    }
}
