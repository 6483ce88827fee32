//! The QR code of the claim link, drawn as filled rectangles (one per run of dark modules).

use krilla::geom::{PathBuilder, Rect};
use krilla::surface::Surface;
use parkportal_domain::LetterError;
use qrcode::{Color, EcLevel, QrCode};

/// Draws the QR code of `data` with its top-left corner at (`x`, `y`) and `size` points wide,
/// the quiet zone of four modules included in `size` (the page around it is white).
pub(crate) fn draw(
    surface: &mut Surface<'_>,
    data: &str,
    x: f32,
    y: f32,
    size: f32,
) -> Result<(), LetterError> {
    // Level M survives a crease or a coffee stain and keeps a link of ~100 characters small.
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| LetterError::Qr(e.to_string()))?;
    let width = code.width();
    let colors = code.to_colors();
    let quiet = 4;
    let module = size / (width + 2 * quiet) as f32;
    let mut path = PathBuilder::new();
    for row in 0..width {
        let mut col = 0;
        while col < width {
            if colors[row * width + col] != Color::Dark {
                col += 1;
                continue;
            }
            let start = col;
            while col < width && colors[row * width + col] == Color::Dark {
                col += 1;
            }
            if let Some(rect) = Rect::from_xywh(
                x + (start + quiet) as f32 * module,
                y + (row + quiet) as f32 * module,
                (col - start) as f32 * module,
                module,
            ) {
                path.push_rect(rect);
            }
        }
    }
    if let Some(path) = path.finish() {
        surface.draw_path(&path);
    }
    Ok(())
}
