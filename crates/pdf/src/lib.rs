//! A small PDF document builder for Miernik's printable reports: flowing A4 portrait pages with
//! headings, wrapped paragraphs, tables that break across pages (repeating their header row) and
//! simple vector graphics, all in embedded DejaVu Sans so Polish text renders and extracts
//! (Type0/CIDFontType2 fonts, Identity-H, subset, with a ToUnicode CMap).
//!
//! The output is a tagged PDF, readable by screen readers: every piece of content is either in
//! the structure tree (`Document` → `H1`–`H6`, `P`, `Table` → `TR` → `TH`/`TD`, `Figure` with its
//! [`Graphic::alt`] text) or marked as an artifact (page footers, rules, shading, a table's header
//! row repeated on later pages, drawings without a text alternative). The catalog carries the
//! document's language, the Info dictionary and XMP metadata its title, shown by viewers.
//!
//! ```
//! use pdf::{DocInfo, Document};
//! let mut doc = Document::new(DocInfo { title: "Raport".into(), ..DocInfo::default() });
//! doc.heading(1, "Gmina Łęczyca");
//! doc.paragraph("Zażółć gęślą jaźń.");
//! let bytes = doc.finish();
//! assert!(bytes.starts_with(b"%PDF-"));
//! ```

#![forbid(unsafe_code)]

mod font;
mod layout;
mod render;
mod tags;
mod wrap;

pub use layout::Document;

/// Document metadata and the running footer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocInfo {
    /// Document title (`/Title` in the Info dictionary and `dc:title` in the XMP metadata; viewers
    /// show it in the title bar).
    pub title: String,
    /// Author (`/Author`).
    pub author: String,
    /// Subject (`/Subject`).
    pub subject: String,
    /// Natural language of the text, e.g. `"pl"` (`/Lang` in the catalog).
    pub lang: String,
    /// Text at the left of every page's footer; the right side shows `N / M`.
    pub footer: String,
    /// Creation date as (year, month, day); `None` writes no date, so output is deterministic.
    pub created: Option<(u16, u8, u8)>,
}

impl Default for DocInfo {
    /// Empty strings, `lang` = `"pl"`, no date.
    fn default() -> DocInfo {
        DocInfo { title: String::new(), author: String::new(), subject: String::new(), lang: "pl".to_string(), footer: String::new(), created: None }
    }
}

/// Horizontal alignment of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Align {
    /// Flush left (text starts at the anchor).
    #[default]
    Left,
    /// Flush right (text ends at the anchor).
    Right,
    /// Centred on the anchor.
    Center,
}

/// An sRGB colour, 0–255 per channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Black.
    pub const BLACK: Rgb = Rgb(0, 0, 0);
    /// White.
    pub const WHITE: Rgb = Rgb(255, 255, 255);
}

/// One vector shape of a [`Graphic`]. Coordinates are in points with the origin at the
/// TOP-LEFT of the graphic's box and y growing downwards. Shapes with non-finite coordinates or
/// non-positive sizes are skipped.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// An axis-aligned rectangle (top-left corner `x`, `y`).
    Rect {
        /// Left edge.
        x: f32,
        /// Top edge.
        y: f32,
        /// Width (must be > 0).
        w: f32,
        /// Height (must be > 0).
        h: f32,
        /// Fill colour, if filled.
        fill: Option<Rgb>,
        /// Outline colour and line width, if stroked.
        stroke: Option<(Rgb, f32)>,
    },
    /// An open polyline through `points` (at least two).
    Line {
        /// The vertices in order.
        points: Vec<(f32, f32)>,
        /// Line colour.
        color: Rgb,
        /// Line width (must be > 0).
        width: f32,
        /// Dashed instead of solid.
        dash: bool,
    },
    /// A circle (e.g. a chart marker).
    Circle {
        /// Centre x.
        cx: f32,
        /// Centre y.
        cy: f32,
        /// Radius (must be > 0).
        r: f32,
        /// Fill colour, if filled.
        fill: Option<Rgb>,
        /// Outline colour and line width, if stroked.
        stroke: Option<(Rgb, f32)>,
    },
    /// A single line of text (not wrapped).
    Text {
        /// Anchor x; the text starts, ends or is centred here according to `align`.
        x: f32,
        /// Baseline y.
        y: f32,
        /// The text.
        text: String,
        /// Font size in points (must be > 0).
        size: f32,
        /// Bold face instead of regular.
        bold: bool,
        /// Text colour.
        color: Rgb,
        /// Alignment relative to `x`.
        align: Align,
    },
}

/// A small vector drawing of `width` × `height` points (a chart, a bar, a legend).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Graphic {
    /// Width of the drawing's box in points.
    pub width: f32,
    /// Height of the drawing's box in points.
    pub height: f32,
    /// Shapes, painted in order.
    pub shapes: Vec<Shape>,
    /// What the drawing shows, in words, for readers who cannot see it (the `Figure`'s `/Alt`,
    /// read out by screen readers instead of the shapes). Empty means the drawing is decoration
    /// and is tagged as an artifact, not as a figure.
    pub alt: String,
}

impl Graphic {
    /// An empty drawing of the given size, without a text alternative.
    pub fn new(width: f32, height: f32) -> Graphic {
        Graphic { width, height, shapes: Vec::new(), alt: String::new() }
    }

    /// The drawing with `alt` as its text alternative (see [`Graphic::alt`]).
    pub fn with_alt(mut self, alt: impl Into<String>) -> Graphic {
        self.alt = alt.into();
        self
    }

    /// Adds a shape (painted after the ones already there).
    pub fn push(&mut self, shape: Shape) -> &mut Graphic {
        self.shapes.push(shape);
        self
    }
}

/// The content of one table cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Regular text, wrapped to the column.
    Text(String),
    /// Bold text, wrapped to the column.
    Bold(String),
    /// A drawing, scaled down (never up) to fit the cell's inner box, keeping its aspect ratio;
    /// a `Figure` inside the cell if it has a text alternative.
    Graphic(Graphic),
}

impl Cell {
    /// A regular text cell.
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// A bold text cell.
    pub fn bold(s: impl Into<String>) -> Cell {
        Cell::Bold(s.into())
    }
}

/// A table column.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// Header text (bold, wrapped, at most four lines).
    pub title: String,
    /// Fraction of the text width; fractions should sum to 1 (they are normalised if not).
    pub width: f32,
    /// Alignment of the header and the cells.
    pub align: Align,
}

impl Column {
    /// A column with the given header, width fraction and alignment.
    pub fn new(title: impl Into<String>, width: f32, align: Align) -> Column {
        Column { title: title.into(), width, align }
    }
}

/// A table: a header row from the columns' titles and body rows of cells. Rows shorter than the
/// column list are padded with empty cells; extra cells are ignored. Tagged as one `Table`
/// however many pages it spans: the header row's cells are `TH` for their column, the body's
/// `TD` (the first cell of a row `TH` for its row if `row_headers`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Table {
    /// The columns, left to right.
    pub columns: Vec<Column>,
    /// The body rows.
    pub rows: Vec<Vec<Cell>>,
    /// Shade every other body row.
    pub zebra: bool,
    /// The first cell of each body row names the row (e.g. the indicator): it is tagged as a
    /// header cell for its row.
    pub row_headers: bool,
}
