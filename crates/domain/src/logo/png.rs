//! A PNG logo read whole before it is stored: its declared size bounded before a pixel is
//! decoded, and decoding held to a memory limit, so that a small file declaring a huge image
//! (a decompression bomb) costs nothing.

use super::LogoProblem;
use std::io::Cursor;

/// The widest and tallest logo accepted, in pixels: it is shown at most a few hundred wide.
pub const MAX_SIDE: u32 = 2048;

/// What decoding may allocate beyond the image itself.
const DECODER_BYTES: usize = 8 * 1024 * 1024;

/// The most bytes the decoded image may take (a `MAX_SIDE` square of 16-bit RGBA would be 32 MiB).
const IMAGE_BYTES: usize = 16 * 1024 * 1024;

/// Reads the PNG whole and answers its size, or why it is refused.
pub fn check(bytes: &[u8]) -> Result<(u32, u32), LogoProblem> {
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(LogoProblem::NotPng);
    }
    let limits = png::Limits {
        bytes: DECODER_BYTES,
    };
    let decoder = png::Decoder::new_with_limits(Cursor::new(bytes), limits);
    let mut reader = decoder.read_info().map_err(|_| LogoProblem::PngBroken)?;
    let (width, height) = (reader.info().width, reader.info().height);
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(LogoProblem::PngTooLarge { width, height });
    }
    let size = reader
        .output_buffer_size()
        .filter(|n| *n <= IMAGE_BYTES)
        .ok_or(LogoProblem::PngTooLarge { width, height })?;
    let mut pixels = vec![0; size];
    reader
        .next_frame(&mut pixels)
        .map_err(|_| LogoProblem::PngBroken)?;
    Ok((width, height))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A PNG of `width` × `height` grey pixels.
    pub(crate) fn png_of(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, width, height);
            encoder.set_color(png::ColorType::Grayscale);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header().unwrap();
            let pixels = vec![0x80; (width * height) as usize];
            writer.write_image_data(&pixels).unwrap();
        }
        out
    }

    /// A one-pixel PNG.
    pub(crate) fn tiny_png() -> Vec<u8> {
        png_of(1, 1)
    }

    /// `png` with the width and height its header declares replaced (and the header's checksum
    /// made right again, so that only the size is wrong).
    pub(crate) fn declaring(mut png: Vec<u8>, width: u32, height: u32) -> Vec<u8> {
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn a_small_png_is_read_whole() {
        assert_eq!(check(&png_of(40, 20)), Ok((40, 20)));
        assert_eq!(check(b"GIF89a"), Err(LogoProblem::NotPng));
        let mut cut = png_of(40, 20);
        cut.truncate(cut.len() - 20);
        assert_eq!(check(&cut), Err(LogoProblem::PngBroken));
    }

    #[test]
    fn a_declared_size_past_the_bound_is_refused_before_decoding() {
        let bomb = declaring(png_of(1, 1), 100_000, 100_000);
        assert_eq!(
            check(&bomb),
            Err(LogoProblem::PngTooLarge {
                width: 100_000,
                height: 100_000
            })
        );
        let wide = declaring(png_of(1, 1), 4000, 10);
        assert!(matches!(check(&wide), Err(LogoProblem::PngTooLarge { .. })));
    }
}
