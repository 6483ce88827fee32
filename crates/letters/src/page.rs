//! The page's geometry in millimetres from the top-left corner of an A4 sheet, and the conversion
//! to PDF points. Public so tests can check a rendering against the same numbers.

/// The page's width.
pub const PAGE_WIDTH: f32 = 210.0;
/// The page's height.
pub const PAGE_HEIGHT: f32 = 297.0;
/// The left margin of the text (DIN 5008: 25 mm; the window's 20 mm is for the address only).
pub const LEFT: f32 = 25.0;
/// The right edge of the text.
pub const RIGHT: f32 = 190.0;

/// The address field of a DIN 5008 form B letter: `(left, top, width, height)`.
pub const WINDOW: (f32, f32, f32, f32) = (20.0, 45.0, 85.0, 45.0);
/// Where the recipient's address starts: below the field's top 17.7 mm, which hold the return line.
pub const ADDRESS_TOP: f32 = 62.7;
/// At most this many address lines fit the field.
pub const ADDRESS_MAX_LINES: usize = 6;

/// Folding marks (fold to DL) and the punch mark, on the left edge.
pub const FOLD_MARKS: [f32; 2] = [105.0, 210.0];
/// The punch mark: the middle of the page.
pub const PUNCH_MARK: f32 = 148.5;

/// Millimetres to PDF points.
pub fn pt(mm: f32) -> f32 {
    mm * 72.0 / 25.4
}
