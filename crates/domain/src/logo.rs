//! A gemeente's logo: SVG without anything that could run or load from elsewhere, or PNG.

use crate::ParseError;

/// A logo image: SVG or PNG bytes with their media type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    /// `image/svg+xml` or `image/png`.
    pub content_type: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

impl Logo {
    /// The largest logo accepted: logos are shown small, a larger file is a mistake.
    pub const MAX_BYTES: usize = 256 * 1024;

    /// Parses a logo from a file name and its bytes; SVG must not carry scripts.
    pub fn parse(file_name: &str, bytes: Vec<u8>) -> Result<Self, ParseError> {
        if bytes.len() > Self::MAX_BYTES {
            return Err(ParseError::new(
                "logo",
                format!("{file_name} is larger than 256 KiB"),
            ));
        }
        let lower = file_name.to_ascii_lowercase();
        if lower.ends_with(".svg") {
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| ParseError::new("logo", format!("{file_name} is not UTF-8 SVG")))?;
            let folded = text.to_ascii_lowercase();
            if !folded.contains("<svg") {
                return Err(ParseError::new(
                    "logo",
                    format!("{file_name} has no <svg> element"),
                ));
            }
            // Logos are served from our own origin; an SVG that scripts or pulls in other content
            // would run there. Entities are refused too, as they can spell any of this.
            let forbidden = [
                "<script",
                "javascript:",
                "<foreignobject",
                "<iframe",
                "<embed",
                "<object",
                "data:",
                "&#",
                "<!entity",
                "http:",
                "https:",
            ];
            let without_namespaces = folded
                .replace("http://www.w3.org/2000/svg", "")
                .replace("http://www.w3.org/1999/xlink", "");
            if forbidden.iter().any(|f| without_namespaces.contains(f))
                || has_event_attribute(&folded)
            {
                return Err(ParseError::new(
                    "logo",
                    format!("{file_name} contains scripting"),
                ));
            }
            Ok(Self {
                content_type: "image/svg+xml".to_owned(),
                bytes,
            })
        } else if lower.ends_with(".png") {
            if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
                return Err(ParseError::new(
                    "logo",
                    format!("{file_name} is not a PNG file"),
                ));
            }
            Ok(Self {
                content_type: "image/png".to_owned(),
                bytes,
            })
        } else {
            Err(ParseError::new(
                "logo",
                format!("{file_name} must be .svg or .png"),
            ))
        }
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

/// Whether lower-cased SVG text has an `on…=` event-handler attribute (after any white space or
/// a slash, as `<svg/onload=…>`).
fn has_event_attribute(folded: &str) -> bool {
    folded.match_indices("on").any(|(i, _)| {
        let before = folded[..i].chars().next_back();
        if !before.is_some_and(|c| c.is_whitespace() || c == '/') {
            return false;
        }
        let rest = &folded[i + 2..];
        let name_len = rest.bytes().take_while(|b| b.is_ascii_lowercase()).count();
        name_len > 0 && rest[name_len..].trim_start().starts_with('=')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_logos_may_not_script() {
        let ok = br#"<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>"#
            .to_vec();
        assert!(Logo::parse("logo.svg", ok).is_ok());
        let script = br#"<svg><script>alert(1)</script></svg>"#.to_vec();
        assert!(Logo::parse("logo.svg", script).is_err());
        for bad in [
            r#"<svg><rect onload = "x()"/></svg>"#,
            r#"<svg/onload="x()"></svg>"#,
            "<svg\n\tonclick='x()'></svg>",
            r#"<svg><a href="javascript&#58;x()">a</a></svg>"#,
            r#"<svg><foreignObject><p>x</p></foreignObject></svg>"#,
            r#"<svg><use href="data:image/svg+xml,..."/></svg>"#,
            r#"<svg><image href="https://tracker.example/x.png"/></svg>"#,
        ] {
            assert!(
                Logo::parse("logo.svg", bad.as_bytes().to_vec()).is_err(),
                "{bad}"
            );
        }
        let namespaced = br#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><title>Online</title></svg>"#;
        assert!(
            Logo::parse("logo.svg", namespaced.to_vec()).is_ok(),
            "a word starting with on is no handler"
        );
        let png = b"\x89PNG\r\n\x1a\nrest".to_vec();
        assert_eq!(Logo::parse("logo.PNG", png).unwrap().extension(), "png");
        assert!(Logo::parse("logo.gif", vec![1]).is_err());
    }
}
