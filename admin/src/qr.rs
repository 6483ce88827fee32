//! The enrolment page's QR code, drawn in-process as SVG for inline use in the page.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// `text` as an inline `<svg>` (no XML declaration), or `None` when it is too long for a QR
/// code (an `otpauth://` URI never is).
pub fn svg(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    let start = image.find("<svg")?;
    Some(image[start..].to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_otpauth_uri_becomes_an_inline_svg() {
        let image = super::svg("otpauth://totp/Parkportal:an%40dijkstad.nl?secret=GEZDGNBV")
            .expect("a short URI fits");
        assert!(image.starts_with("<svg"));
        assert!(image.contains("<path") || image.contains("<rect"));
        assert!(!image.contains("<?xml"));
    }
}
