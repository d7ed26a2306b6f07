//! The embedded DejaVu Sans fonts: character-to-glyph lookup (with fallbacks), advance widths and
//! the vertical metrics that layout and the PDF font dictionaries need.

use ttf_parser::{Face, GlyphId};

/// One embedded TrueType font with the metrics the builder needs, all in em units (1.0 = font size).
pub(crate) struct Font {
    /// Raw font file bytes (embedded or subset when writing).
    pub data: &'static [u8],
    /// Parsed face; `None` only if the embedded bytes could not be parsed (never in practice).
    face: Option<Face<'static>>,
    /// PostScript-like base name used in the PDF (`DejaVuSans`, `DejaVuSans-Bold`).
    pub name: &'static str,
    /// Whether this is the bold face (for the font descriptor's stem width and weight).
    pub bold: bool,
    units_per_em: f32,
    /// Typographic ascender, em units (positive).
    pub ascent: f32,
    /// Typographic descender, em units (negative).
    pub descent: f32,
    /// Height of capital letters, em units.
    pub cap_height: f32,
    /// Font bounding box (x_min, y_min, x_max, y_max), em units.
    pub bbox: [f32; 4],
    space: u16,
    question: u16,
}

/// Characters that take no room and draw nothing (skipped when measuring and rendering).
pub(crate) fn is_invisible(c: char) -> bool {
    (c.is_control() && c != '\n') || matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{2028}' | '\u{2029}')
}

impl Font {
    fn load(data: &'static [u8], name: &'static str, bold: bool) -> Font {
        let face = Face::parse(data, 0).ok();
        let mut font = Font {
            data,
            face: None,
            name,
            bold,
            units_per_em: 1000.0,
            ascent: 0.93,
            descent: -0.24,
            cap_height: 0.73,
            bbox: [-1.0, -0.4, 2.0, 1.2],
            space: 0,
            question: 0,
        };
        if let Some(face) = face {
            let upem = f32::from(face.units_per_em().max(1));
            font.units_per_em = upem;
            font.ascent = f32::from(face.ascender()) / upem;
            font.descent = f32::from(face.descender()) / upem;
            font.cap_height = face.capital_height().map(|h| f32::from(h) / upem).unwrap_or(0.73);
            let b = face.global_bounding_box();
            font.bbox = [f32::from(b.x_min) / upem, f32::from(b.y_min) / upem, f32::from(b.x_max) / upem, f32::from(b.y_max) / upem];
            font.space = face.glyph_index(' ').map(|g| g.0).unwrap_or(0);
            font.question = face.glyph_index('?').map(|g| g.0).unwrap_or(0);
            font.face = Some(face);
        }
        font
    }

    /// The glyph for a character: `Some((gid, direct))`, where `direct` is false when the font has
    /// no glyph for it and a fallback was used (space for white space, `?` otherwise, or glyph 0).
    /// `None` for invisible characters, which are skipped.
    pub fn glyph(&self, c: char) -> Option<(u16, bool)> {
        if is_invisible(c) || c == '\n' {
            return None;
        }
        let direct = self.face.as_ref().and_then(|f| f.glyph_index(c)).map(|g| g.0).filter(|&g| g != 0);
        match direct {
            Some(g) => Some((g, true)),
            None if c.is_whitespace() => Some((self.space, false)),
            None => Some((self.question, false)),
        }
    }

    /// Advance width of a glyph in em units.
    pub fn advance(&self, gid: u16) -> f32 {
        self.face.as_ref().and_then(|f| f.glyph_hor_advance(GlyphId(gid))).map(|a| f32::from(a) / self.units_per_em).unwrap_or(0.5)
    }

    /// Width of `text` at `size` points, in points.
    pub fn measure(&self, text: &str, size: f32) -> f32 {
        let em: f32 = text.chars().filter_map(|c| self.glyph(c)).map(|(g, _)| self.advance(g)).sum();
        em * size
    }
}

/// The two faces the builder uses.
pub(crate) struct Fonts {
    pub regular: Font,
    pub bold: Font,
}

impl Fonts {
    /// Loads DejaVu Sans regular and bold from the `dejavu` crate's embedded bytes.
    pub fn load() -> Fonts {
        Fonts { regular: Font::load(dejavu::sans::regular(), "DejaVuSans", false), bold: Font::load(dejavu::sans::bold(), "DejaVuSans-Bold", true) }
    }

    /// The regular or the bold face.
    pub fn get(&self, bold: bool) -> &Font {
        if bold { &self.bold } else { &self.regular }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polish_letters_have_glyphs() {
        let fonts = Fonts::load();
        for font in [&fonts.regular, &fonts.bold] {
            for c in "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ„”–—…≥≤±×".chars() {
                let (g, direct) = font.glyph(c).expect("visible");
                assert!(direct, "{c} missing in {}", font.name);
                assert_ne!(g, 0);
            }
        }
    }

    #[test]
    fn missing_and_invisible_characters() {
        let fonts = Fonts::load();
        let f = &fonts.regular;
        // A private-use character is not in DejaVu: falls back to '?'.
        let (g, direct) = f.glyph('\u{E000}').expect("fallback");
        assert!(!direct);
        assert_eq!(Some(g), f.glyph('?').map(|x| x.0));
        assert_eq!(f.glyph('\u{7}'), None);
        assert_eq!(f.measure("\u{7}\u{200B}", 10.0), 0.0);
    }

    #[test]
    fn metrics_are_sane() {
        let fonts = Fonts::load();
        let f = &fonts.regular;
        assert!(f.ascent > 0.8 && f.ascent < 1.0);
        assert!(f.descent < -0.1 && f.descent > -0.4);
        // Bold is wider than regular.
        assert!(fonts.bold.measure("Gmina", 10.0) > f.measure("Gmina", 10.0));
        // Measuring is additive.
        let a = f.measure("ab", 12.0);
        let b = f.measure("a", 12.0) + f.measure("b", 12.0);
        assert!((a - b).abs() < 1e-4);
    }
}
