//! The gemeente's logo, SVG (through usvg and krilla-svg) or PNG, fitted into a box.

use std::sync::{Arc, LazyLock};

use krilla::geom::{Size, Transform};
use krilla::image::Image;
use krilla::surface::Surface;
use krilla_svg::{SurfaceExt, SvgSettings};
use parkportal_domain::{LetterError, LogoKind};
use usvg::{ImageHrefResolver, ImageKind, Options, Tree};

/// usvg's options for logos. Its default image resolver reads any local file an `<image href>`
/// names; a logo comes from a gemeente's upload, so only images embedded in the SVG itself (PNG
/// or JPEG data URLs) are drawn and every other reference draws nothing. Scripts are never run
/// by usvg. Text in a logo is drawn with Noto Sans, never with a system font.
static OPTIONS: LazyLock<Options<'static>> = LazyLock::new(|| {
    let mut options = Options {
        resources_dir: None,
        image_href_resolver: ImageHrefResolver {
            resolve_data: Box::new(|mime, data, _| match mime {
                "image/png" => Some(ImageKind::PNG(data)),
                "image/jpeg" | "image/jpg" => Some(ImageKind::JPEG(data)),
                _ => None,
            }),
            resolve_string: Box::new(|_, _| None),
        },
        ..Options::default()
    };
    let fontdb = Arc::make_mut(&mut options.fontdb);
    fontdb.load_font_data(ttf_noto_sans::REGULAR.to_vec());
    fontdb.load_font_data(ttf_noto_sans::BOLD.to_vec());
    options.font_family = "Noto Sans".to_owned();
    options
});

/// Draws the logo fitted into the box at (`x`, `y`) of `width` × `height` points, keeping its
/// proportions, aligned to the box's right edge (the logo stands top right).
pub(crate) fn draw(
    surface: &mut Surface<'_>,
    bytes: &[u8],
    kind: LogoKind,
    (x, y, width, height): (f32, f32, f32, f32),
) -> Result<(), LetterError> {
    match kind {
        LogoKind::Svg => {
            let tree = Tree::from_data(bytes, &OPTIONS)
                .map_err(|e| LetterError::Logo(format!("SVG: {e}")))?;
            let (w, h) = fit(tree.size().width(), tree.size().height(), width, height);
            let size = Size::from_wh(w, h).ok_or_else(|| LetterError::Logo("empty SVG".into()))?;
            surface.push_transform(&Transform::from_translate(x + width - w, y));
            let drawn = surface.draw_svg(&tree, size, SvgSettings::default());
            surface.pop();
            drawn.ok_or_else(|| LetterError::Logo("SVG could not be drawn".into()))
        }
        LogoKind::Png => {
            // No interpolation: PDF/A forbids asking the viewer to smooth images.
            let image = Image::from_png(bytes.to_vec().into(), false)
                .map_err(|e| LetterError::Logo(format!("PNG: {e}")))?;
            let (iw, ih) = image.size();
            let (w, h) = fit(iw as f32, ih as f32, width, height);
            let size = Size::from_wh(w, h).ok_or_else(|| LetterError::Logo("empty PNG".into()))?;
            surface.push_transform(&Transform::from_translate(x + width - w, y));
            surface.draw_image(image, size);
            surface.pop();
            Ok(())
        }
    }
}

/// The largest size of proportions `w` × `h` within `max_w` × `max_h`.
fn fit(w: f32, h: f32, max_w: f32, max_h: f32) -> (f32, f32) {
    if w <= 0.0 || h <= 0.0 {
        return (0.0, 0.0);
    }
    let scale = (max_w / w).min(max_h / h);
    (w * scale, h * scale)
}
