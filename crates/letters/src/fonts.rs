//! The letter's fonts, Noto Sans regular and bold from the `ttf-noto-sans` crate (Apache-2.0), and
//! a greedy line breaker on their metrics: krilla places text but measures and breaks none.

use krilla::text::Font;
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

/// One style of the font: krilla's handle to draw with, and the bytes to measure with.
#[derive(Clone)]
pub(crate) struct Face {
    /// What krilla draws with (subset on embedding).
    pub(crate) font: Font,
    bytes: &'static [u8],
}

impl Face {
    /// Loads a face from bytes compiled into the binary; `None` only if the bytes are no font.
    pub(crate) fn new(bytes: &'static [u8]) -> Option<Self> {
        // Parse once here so that `width` can rely on the bytes being a font.
        FontRef::new(bytes).ok()?;
        Some(Self {
            font: Font::new(bytes.into(), 0)?,
            bytes,
        })
    }

    /// The advance width of `text` at `size` points, without kerning (which only narrows text,
    /// so a line measured this way never overflows).
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let Ok(font) = FontRef::new(self.bytes) else {
            return 0.0;
        };
        let charmap = font.charmap();
        let metrics = font.glyph_metrics(Size::new(size), LocationRef::default());
        text.chars()
            .map(|c| {
                charmap
                    .map(c)
                    .and_then(|g| metrics.advance_width(g))
                    .unwrap_or(size / 2.0)
            })
            .sum()
    }

    /// Breaks `text` into lines of at most `max_width` points at spaces; a single word wider than
    /// that stays whole on its own line (a URL is better overlong than broken).
    pub(crate) fn wrap(&self, text: &str, size: f32, max_width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            if line.is_empty() {
                line.push_str(word);
                continue;
            }
            let candidate = format!("{line} {word}");
            if self.width(&candidate, size) <= max_width {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word.to_owned()));
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}

/// The regular and bold faces.
#[derive(Clone)]
pub(crate) struct Fonts {
    pub(crate) regular: Face,
    pub(crate) bold: Face,
}

impl Fonts {
    /// Both faces; `None` would mean the font crate ships broken files.
    pub(crate) fn load() -> Option<Self> {
        Some(Self {
            regular: Face::new(ttf_noto_sans::REGULAR)?,
            bold: Face::new(ttf_noto_sans::BOLD)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_break_at_spaces_within_the_width() {
        let fonts = Fonts::load().unwrap();
        let text = "Ga naar het portaal, log in en kies Voeg product toe. Vul daar de productcode en de pincode in.";
        let lines = fonts.regular.wrap(text, 10.0, 150.0);
        assert!(lines.len() > 2);
        assert_eq!(lines.join(" "), text);
        for line in &lines {
            assert!(fonts.regular.width(line, 10.0) <= 150.0, "{line}");
        }
        assert_eq!(
            fonts
                .regular
                .wrap("https://a-very-long-link.example/x", 10.0, 20.0)
                .len(),
            1
        );
    }
}
