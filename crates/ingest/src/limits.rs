//! The limits every reader keeps, so that no file — a mistaken one or a hostile one — makes an
//! import use unbounded memory or print unbounded text. A file past a limit is refused before
//! the memory is spent, with a message that names the limit and says how to ask for less.
//!
//! Each limit is far above the largest real file of its kind (the samples in `shared/data`
//! and the full official publications), so only a broken, wrong or hostile file meets it.

/// Characters of input an error message quotes (a value, a header, a name); longer text is
/// cut with `…`. A 100 MB bad value must not become 100 MB of stderr.
pub const QUOTE_CHARS: usize = 200;

/// Bytes of one CSV record: a line, or several when a quoted field holds line breaks. The
/// longest real record, a BDL CTAB row of many years, is a few KB; a record past this is a
/// quote left open or not a CSV at all. The csv reader holds one record at a time, so this
/// bounds its memory.
pub const MAX_RECORD_BYTES: u64 = 1 << 20;

/// Bytes of one field: a CSV field, the text of an XLSX cell, of an XML element (TERC,
/// BeSTi@) or a GeoJSON property. Real fields are codes, names and numbers: tens of bytes.
pub const MAX_FIELD_BYTES: usize = 64 << 10;

/// Columns of a CSV header, and the last column of an XLSX sheet that may hold data (its
/// declared used range too). The long layout has 4–5 columns, a BDL CTAB export one per
/// series × year (~100), GUGiK's list of areas 6. Excel's own limit is 16,384.
pub const MAX_COLUMNS: usize = 1_000;

/// Rows of an XLSX sheet: Excel's own grid (row 1,048,576 is its last). A cell below it is
/// not Excel's, and a sheet declaring one is refused before it is read.
pub const MAX_XLSX_ROWS: u32 = 1_048_576;

/// Bytes an XLSX workbook unpacks to: the sum of the sizes its ZIP directory declares for
/// its parts (the reader never unpacks more than a part declares). A million rows of the
/// long layout unpack to ~150 MB; a ZIP bomb (10 MB unpacking to 2.6 GB) is refused unread.
pub const MAX_XLSX_UNPACKED_BYTES: u64 = 256 << 20;

/// Bytes of an XLSX's shared strings table unpacked: it is held whole, as one string per
/// entry (~48 bytes each in memory), so it gets a tighter limit than the sheet, which is
/// streamed.
pub const MAX_XLSX_SHARED_STRINGS_BYTES: u64 = 64 << 20;

/// Bytes of an XLSX's styles (`styles.xml`) unpacked: calamine parses every format, font,
/// fill and border into memory (~200 bytes each, from as little as 6 bytes of XML). Excel
/// allows 64,000 formats, a few MB of XML.
pub const MAX_XLSX_STYLES_BYTES: u64 = 8 << 20;

/// Compression ratio (unpacked ÷ packed) of one part of an XLSX larger than 1 MiB. Office
/// programs' sheets compress 5–30 to 1; deflate cannot pass ~1030 to 1, which is what ZIP
/// bombs use.
pub const MAX_XLSX_RATIO: u64 = 500;

/// Bytes of a file read whole: a TERC register (CSV or XML; the real ones are 0.2–1 MB) and
/// a BeSTi@ report package (a JST's package is well under 1 MB; the XML tree costs ~5× the
/// file in memory).
pub const MAX_WHOLE_FILE_BYTES: u64 = 64 << 20;

/// Bytes of the indicator catalogue (TOML; the starter one is ~100 KB).
pub const MAX_CATALOGUE_BYTES: u64 = 16 << 20;

/// Bytes of a boundary file: a GeoJSON, or each of a shapefile's `.shp` and `.dbf`. PRG's
/// gminy at full resolution are ~150 MB as a shapefile; the simplified GeoJSONs in
/// `shared/data` are 0.1–3 MB.
pub const MAX_BOUNDARY_FILE_BYTES: u64 = 512 << 20;

/// Positions (vertices) of a whole boundary file. Each costs ~32 bytes while read (the raw
/// ring and the converted polygon), so 20 M cost ~640 MB; PRG's gminy have fewer than 10 M,
/// the GeoJSONs in `shared/data` under 200 k. Counted while parsing: the parse stops at the
/// first position past the limit.
pub const MAX_BOUNDARY_POSITIONS: usize = 20_000_000;

/// `n` bytes in words: `64 KiB`, `1 MiB`, `256 MiB`, or the number of bytes.
pub fn bytes(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{} bytes", thousands(n))
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Input quoted in a message: at most [`QUOTE_CHARS`] characters.
pub(crate) fn quote(s: &str) -> std::borrow::Cow<'_, str> {
    model::excerpt(s, QUOTE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_words() {
        assert_eq!(bytes(MAX_RECORD_BYTES), "1 MiB");
        assert_eq!(bytes(MAX_FIELD_BYTES as u64), "64 KiB");
        assert_eq!(bytes(MAX_XLSX_UNPACKED_BYTES), "256 MiB");
        assert_eq!(bytes(1_234_567), "1,234,567 bytes");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(16_384), "16,384");
    }
}
