//! A gemeente's logo: an SVG written back through an allow-list (see [`svg`]), or a PNG read
//! whole within memory limits (see [`png`]). What is stored and served is the result, so a logo
//! from the console, a folder or a bundle can neither run nor load anything.

mod png;
mod svg;

use crate::ParseError;
pub use png::MAX_SIDE;

/// A logo image: SVG or PNG bytes with their media type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    /// `image/svg+xml` or `image/png`.
    pub content_type: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// Why a logo file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoProblem {
    /// Over [`Logo::MAX_BYTES`].
    #[error("is larger than 256 KiB")]
    TooLarge,
    /// Neither `.svg` nor `.png`.
    #[error("must be .svg or .png")]
    NotSvgOrPng,
    /// An SVG that is not UTF-8 text.
    #[error("is not UTF-8 text")]
    NotUtf8,
    /// An SVG that does not parse as XML (or has too many nodes).
    #[error("is not well-formed XML: {0}")]
    NotXml(String),
    /// An SVG with a document type declaration: entities are never expanded.
    #[error("declares a DTD (entities are not allowed)")]
    Dtd,
    /// An SVG nesting its elements more than 64 deep.
    #[error("nests its elements more than 64 deep")]
    TooDeep,
    /// An XML file whose root is no `<svg>`.
    #[error("has no <svg> root element")]
    NoSvgRoot,
    /// An SVG of which nothing drawable was left after sanitising.
    #[error("draws nothing once scripts and outside references are removed")]
    NothingLeft,
    /// A `.png` without the PNG signature.
    #[error("is not a PNG file")]
    NotPng,
    /// A PNG that does not decode.
    #[error("is a damaged PNG file")]
    PngBroken,
    /// A PNG declaring more pixels than a logo needs.
    #[error("declares {width} × {height} pixels; at most 2048 × 2048")]
    PngTooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
}

impl LogoProblem {
    /// The stable code of the problem (for translated messages and the API).
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge => "too_large",
            Self::NotSvgOrPng => "not_svg_or_png",
            Self::NotUtf8 => "not_utf8",
            Self::NotXml(_) => "not_xml",
            Self::Dtd => "dtd",
            Self::TooDeep => "too_deep",
            Self::NoSvgRoot => "no_svg_root",
            Self::NothingLeft => "nothing_left",
            Self::NotPng => "not_png",
            Self::PngBroken => "png_broken",
            Self::PngTooLarge { .. } => "png_too_large",
        }
    }
}

/// A logo as it will be stored, with what sanitising removed from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SanitisedLogo {
    /// The logo.
    pub logo: Logo,
    /// What was left out of an SVG (`<script>`, `onload`, ...); empty for a PNG.
    pub removed: Vec<String>,
}

impl Logo {
    /// The largest logo accepted: logos are shown small, a larger file is a mistake.
    pub const MAX_BYTES: usize = 256 * 1024;

    /// Reads a logo from a file name and its bytes: an SVG sanitised, a PNG checked whole.
    pub fn sanitise(file_name: &str, bytes: &[u8]) -> Result<SanitisedLogo, LogoProblem> {
        if bytes.len() > Self::MAX_BYTES {
            return Err(LogoProblem::TooLarge);
        }
        let lower = file_name.to_ascii_lowercase();
        if lower.ends_with(".svg") {
            let text = std::str::from_utf8(bytes).map_err(|_| LogoProblem::NotUtf8)?;
            let clean = svg::sanitise(text.trim_start_matches('\u{feff}'))?;
            Ok(SanitisedLogo {
                logo: Self {
                    content_type: "image/svg+xml".to_owned(),
                    bytes: clean.text.into_bytes(),
                },
                removed: clean.removed,
            })
        } else if lower.ends_with(".png") {
            png::check(bytes)?;
            Ok(SanitisedLogo {
                logo: Self {
                    content_type: "image/png".to_owned(),
                    bytes: bytes.to_vec(),
                },
                removed: Vec::new(),
            })
        } else {
            Err(LogoProblem::NotSvgOrPng)
        }
    }

    /// [`Logo::sanitise`] for files (a folder, a bundle): the problem named with the file.
    pub fn parse(file_name: &str, bytes: Vec<u8>) -> Result<Self, ParseError> {
        Self::sanitise(file_name, &bytes)
            .map(|s| s.logo)
            .map_err(|p| ParseError::new("logo", format!("{file_name} {p}")))
    }

    /// The file extension that fits the media type.
    pub fn extension(&self) -> &'static str {
        if self.content_type == "image/png" {
            "png"
        } else {
            "svg"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logos_are_sanitised_or_refused_by_their_kind() {
        let ok = br#"<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>"#;
        assert_eq!(
            Logo::parse("logo.svg", ok.to_vec()).unwrap().bytes,
            ok.to_vec()
        );
        let script = br#"<svg><script>alert(1)</script><rect/></svg>"#;
        let clean = Logo::sanitise("logo.svg", script).unwrap();
        assert_eq!(clean.removed, vec!["<script>".to_owned()]);
        assert!(
            !String::from_utf8(clean.logo.bytes)
                .unwrap()
                .contains("script")
        );
        let png = png::tests::tiny_png();
        assert_eq!(Logo::parse("logo.PNG", png).unwrap().extension(), "png");
        assert_eq!(
            Logo::sanitise("logo.gif", &[1]),
            Err(LogoProblem::NotSvgOrPng)
        );
        assert_eq!(
            Logo::sanitise("logo.png", &vec![0; Logo::MAX_BYTES + 1]),
            Err(LogoProblem::TooLarge)
        );
        assert_eq!(
            Logo::sanitise("logo.svg", &[0xff, 0xfe]),
            Err(LogoProblem::NotUtf8)
        );
        let err = Logo::parse("logo.svg", b"<svg><rect></svg>".to_vec()).unwrap_err();
        assert!(
            err.detail.starts_with("logo.svg is not well-formed XML"),
            "{err}"
        );
    }
}
