//! Allocation letters (toewijzingsbrieven) rendered in-process to an A4 PDF/A-2b with krilla:
//! the domain's [`LetterRenderer`] port. No external program and no system font is used; the font
//! is Noto Sans regular and bold from the `ttf-noto-sans` crate, under the Apache License 2.0 whose
//! text that crate ships beside the font files (`assets/LICENSE-2.0.txt`); a subset is embedded.
//!
//! The layout follows DIN 5008 form B, which Dutch window envelopes follow: the recipient's
//! address sits in the window field (see [`page`]).

mod fonts;
mod logo;
pub mod page;
mod qr;
mod render;
mod template;

pub use template::LetterTemplate;

use std::path::PathBuf;

use parkportal_domain::{Letter, LetterError, LetterRenderer, LetterTexts};

/// The letter renderer: holds the parsed fonts so each letter only lays out and serialises.
#[derive(Clone)]
pub struct PdfLetters {
    fonts: fonts::Fonts,
    /// The folder of themes whose `letters/allocation.toml` give the texts.
    themes: Option<PathBuf>,
}

impl PdfLetters {
    /// A renderer with the shipped fonts, for letters whose texts are filled in already.
    pub fn new() -> Result<Self, LetterError> {
        let fonts = fonts::Fonts::load()
            .ok_or_else(|| LetterError::Pdf("the shipped font could not be read".into()))?;
        Ok(Self {
            fonts,
            themes: None,
        })
    }

    /// A renderer that also fills in texts from the templates of the themes under `themes`.
    pub fn with_themes(themes: impl Into<PathBuf>) -> Result<Self, LetterError> {
        Ok(Self {
            themes: Some(themes.into()),
            ..Self::new()?
        })
    }
}

impl LetterRenderer for PdfLetters {
    fn texts(
        &self,
        letter: &Letter,
        theme: &str,
        portal: &str,
    ) -> Result<LetterTexts, LetterError> {
        let themes = self.themes.as_deref().ok_or_else(|| {
            LetterError::Template("no themes folder to read templates from".into())
        })?;
        // Read at every letter: a bundle import may change a theme's template, and the file is
        // small next to the rendering.
        LetterTemplate::load(themes, theme)?.texts(letter, portal)
    }

    fn render(&self, letter: &Letter) -> Result<Vec<u8>, LetterError> {
        render::render(&self.fonts, letter)
    }

    fn render_all(&self, letters: &[Letter]) -> Result<Vec<u8>, LetterError> {
        render::render_all(&self.fonts, letters)
    }
}
