//! The logical structure of a document being laid out: structure elements (the tags a screen
//! reader follows) and the mark every piece of page content carries — the element it belongs to,
//! or that it is an artifact (page furniture outside the structure).

use crate::Shape;

/// The standard structure type of an element (PDF 1.7, 14.8.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The root: the whole document.
    Document,
    /// A heading of level 1–6.
    Heading(u8),
    /// A paragraph.
    Paragraph,
    /// A table (one element however many pages it spans).
    Table,
    /// A table row.
    Row,
    /// A header cell for its column (`column` = true) or its row.
    Header { column: bool },
    /// A data cell.
    Data,
    /// A drawing with a text alternative.
    Figure,
}

impl Role {
    /// The structure type's name (`/S`), also the tag of its marked-content sequences.
    pub(crate) fn name(self) -> &'static [u8] {
        match self {
            Role::Document => b"Document",
            Role::Heading(1) => b"H1",
            Role::Heading(2) => b"H2",
            Role::Heading(3) => b"H3",
            Role::Heading(4) => b"H4",
            Role::Heading(5) => b"H5",
            Role::Heading(_) => b"H6",
            Role::Paragraph => b"P",
            Role::Table => b"Table",
            Role::Row => b"TR",
            Role::Header { .. } => b"TH",
            Role::Data => b"TD",
            Role::Figure => b"Figure",
        }
    }

    /// Table cells stay in the tree even when empty, so every row has all its columns.
    pub(crate) fn kept_empty(self) -> bool {
        matches!(self, Role::Document | Role::Header { .. } | Role::Data)
    }
}

/// A structure element: its role, its place in the tree and what assistive technology reads.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Elem {
    pub role: Role,
    /// Index of the parent element (the root is its own parent).
    pub parent: usize,
    /// Child elements, in reading order.
    pub kids: Vec<usize>,
    /// Text alternative (figures).
    pub alt: String,
    /// A figure's box: page index and (left, top, width, height) in top-left page coordinates.
    pub bbox: Option<(usize, [f32; 4])>,
}

/// The root element's index.
pub(crate) const ROOT: usize = 0;

/// What a piece of page content is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    /// Real content of the element with this index.
    Elem(usize),
    /// Layout furniture: rules, shading.
    Layout,
    /// Pagination furniture: a table's header row repeated on a later page.
    Header,
    /// Pagination furniture: the page footer and its number.
    Footer,
}

/// A shape placed on a page, with its mark.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Op {
    pub shape: Shape,
    pub mark: Mark,
}
