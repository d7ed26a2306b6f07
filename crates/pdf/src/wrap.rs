//! Greedy line wrapping of text to a width, breaking on spaces and, for words longer than the
//! width, between characters.

/// White space at which a line may break (no-break spaces are kept inside words).
pub(crate) fn is_break_space(c: char) -> bool {
    c.is_whitespace() && !matches!(c, '\u{00A0}' | '\u{202F}' | '\u{2007}' | '\n')
}

/// Wraps `text` into lines no wider than `width` according to `measure`.
///
/// Words are separated by single spaces in the output; `'\n'` forces a line break (blank lines
/// are kept inside the text, leading and trailing blank lines are dropped). A word wider than
/// `width` is split between characters, with at least one character per line, so every line fits
/// except a single character wider than `width` itself.
pub(crate) fn wrap(text: &str, width: f32, measure: &dyn Fn(&str) -> f32) -> Vec<String> {
    wrap_ends(text, width, measure).into_iter().map(|(line, _)| line).collect()
}

/// [`wrap`] with spaces kept for text extraction: a non-empty line that ended at white space
/// (rather than inside a word, or at the end of the text) gets a trailing `' '`, so that the
/// lines read one after another give back the words with their spaces (screen readers and text
/// extraction follow the structure tree, which just joins the lines). The space is invisible;
/// measure a line without it.
pub(crate) fn wrap_spaced(text: &str, width: f32, measure: &dyn Fn(&str) -> f32) -> Vec<String> {
    wrap_ends(text, width, measure).into_iter().map(|(line, space)| if space && !line.is_empty() { line + " " } else { line }).collect()
}

/// The lines of [`wrap`], each with whether it ended at white space.
fn wrap_ends(text: &str, width: f32, measure: &dyn Fn(&str) -> f32) -> Vec<(String, bool)> {
    let width = if width.is_finite() { width } else { 0.0 };
    let mut lines: Vec<(String, bool)> = Vec::new();
    for hard in text.split('\n') {
        let mut current = String::new();
        let mut any = false;
        for word in hard.split(is_break_space).filter(|w| !w.is_empty()) {
            any = true;
            if !current.is_empty() {
                let candidate = format!("{current} {word}");
                if measure(&candidate) <= width + 1e-3 {
                    current = candidate;
                    continue;
                }
                lines.push((std::mem::take(&mut current), true));
            }
            if measure(word) <= width + 1e-3 {
                current = word.to_string();
            } else {
                let mut pieces = break_word(word, width, measure);
                current = pieces.pop().unwrap_or_default();
                lines.extend(pieces.into_iter().map(|p| (p, false)));
            }
        }
        if !current.is_empty() {
            lines.push((current, true));
        } else if !any {
            lines.push((String::new(), true));
        }
    }
    while lines.last().is_some_and(|l| l.0.is_empty()) {
        lines.pop();
    }
    let first = lines.iter().position(|l| !l.0.is_empty()).unwrap_or(lines.len());
    lines.drain(..first);
    if let Some(last) = lines.last_mut() {
        last.1 = false;
    }
    lines
}

/// Splits one word into pieces that each fit `width` (at least one character each).
fn break_word(word: &str, width: f32, measure: &dyn Fn(&str) -> f32) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut piece = String::new();
    for c in word.chars() {
        let mut candidate = piece.clone();
        candidate.push(c);
        if piece.is_empty() || measure(&candidate) <= width + 1e-3 {
            piece = candidate;
        } else {
            pieces.push(std::mem::replace(&mut piece, c.to_string()));
        }
    }
    if !piece.is_empty() {
        pieces.push(piece);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::font::Fonts;

    fn words(s: &str) -> Vec<String> {
        s.split(is_break_space).filter(|w| !w.is_empty()).map(String::from).collect()
    }

    #[test]
    fn lines_fit_and_words_keep_order() {
        let fonts = Fonts::load();
        let m = |s: &str| fonts.regular.measure(s, 10.0);
        let text = "Zażółć gęślą jaźń — gmina wiejska „Łęczyca” osiąga wskaźnik ≥ 12,5 ± 0,3 \
                    w porównaniu z grupą porównawczą… Ćwierć miliona złotych na mieszkańca.";
        for width in [40.0, 80.0, 120.0, 200.0, 493.0] {
            let lines = wrap(text, width, &m);
            assert!(!lines.is_empty());
            for l in &lines {
                assert!(m(l) <= width + 1e-3, "{l:?} is {} > {width}", m(l));
                assert!(!l.starts_with(' ') && !l.ends_with(' '));
            }
            let joined: String = lines.concat();
            let expected: String = words(text).concat();
            assert_eq!(joined.replace(' ', ""), expected, "width {width}");
        }
        // At a comfortable width no word is broken: words come back exactly.
        let lines = wrap(text, 200.0, &m);
        assert_eq!(words(&lines.join(" ")), words(text));
        assert!(lines.len() >= 3);
    }

    #[test]
    fn long_words_are_broken() {
        let fonts = Fonts::load();
        let m = |s: &str| fonts.regular.measure(s, 10.0);
        let word = "Konstantynopolitańczykowianeczka".repeat(4);
        let lines = wrap(&word, 60.0, &m);
        assert!(lines.len() > 4);
        assert!(lines.iter().all(|l| m(l) <= 60.0 + 1e-3));
        assert_eq!(lines.concat(), word);
        // Zero or negative width: one character per line, nothing lost, no panic.
        let lines = wrap("abc de", 0.0, &m);
        assert_eq!(lines, vec!["a", "b", "c", "d", "e"]);
        let lines = wrap("abc", f32::NAN, &m);
        assert_eq!(lines.concat(), "abc");
    }

    #[test]
    fn spaced_lines_join_back_into_the_text() {
        let fonts = Fonts::load();
        let m = |s: &str| fonts.regular.measure(s, 10.0);
        let text = "Zażółć gęślą jaźń — gmina wiejska „Łęczyca”\nosiąga wskaźnik ≥ 12,5 ± 0,3 w porównaniu z grupą.";
        for width in [60.0, 120.0, 300.0] {
            let spaced = wrap_spaced(text, width, &m);
            assert_eq!(spaced.iter().map(|l| l.trim_end()).collect::<Vec<_>>(), wrap(text, width, &m), "width {width}");
            assert_eq!(spaced.concat(), text.replace('\n', " "), "width {width}");
        }
        // A word broken between lines joins without a space.
        let word = "Konstantynopolitańczykowianeczka";
        assert_eq!(wrap_spaced(&format!("{word} x"), 60.0, &m).concat(), format!("{word} x"));
    }

    #[test]
    fn newlines_and_blanks() {
        let fonts = Fonts::load();
        let m = |s: &str| fonts.regular.measure(s, 10.0);
        assert!(wrap("", 100.0, &m).is_empty());
        assert!(wrap("   \n \t ", 100.0, &m).is_empty());
        assert_eq!(wrap("a\n\nb\n", 100.0, &m), vec!["a", "", "b"]);
        assert_eq!(wrap("  a   b  ", 100.0, &m), vec!["a b"]);
        // No-break space keeps words together.
        let lines = wrap("xxxx w\u{a0}gminie", 60.0, &m);
        assert_eq!(lines, vec!["xxxx", "w\u{a0}gminie"]);
    }
}
