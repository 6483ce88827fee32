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

use parkportal_domain::{Letter, LetterError, LetterRenderer};

/// The letter renderer: holds the parsed fonts so each letter only lays out and serialises.
#[derive(Clone)]
pub struct PdfLetters {
    fonts: fonts::Fonts,
}

impl PdfLetters {
    /// A renderer with the shipped fonts.
    pub fn new() -> Result<Self, LetterError> {
        let fonts = fonts::Fonts::load()
            .ok_or_else(|| LetterError::Pdf("the shipped font could not be read".into()))?;
        Ok(Self { fonts })
    }
}

impl LetterRenderer for PdfLetters {
    fn render(&self, letter: &Letter) -> Result<Vec<u8>, LetterError> {
        render::render(&self.fonts, letter)
    }
}
