//! Lays out one letter on an A4 page. Every position is in millimetres from the top-left corner
//! (see [`crate::page`]); text positions are baselines.

use chrono::{Datelike, NaiveDate};
use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::TextDirection;
use krilla::{Document, SerializeSettings};
use parkportal_domain::{Letter, LetterError};

use crate::fonts::{Face, Fonts};
use crate::page::{
    ADDRESS_MAX_LINES, ADDRESS_TOP, FOLD_MARKS, LEFT, PAGE_HEIGHT, PAGE_WIDTH, PUNCH_MARK, RIGHT,
    WINDOW, pt,
};
use crate::{logo, qr};

/// Body text size in points.
const BODY: f32 = 10.0;
/// Body line distance in millimetres (about 1.4 × the size).
const LEADING: f32 = 4.9;
/// The size of the code and PIN: large enough to read without glasses.
const FIGURES: f32 = 22.0;
/// Dark grey for rules and small print, still well above 4.5:1 on white.
const GREY: (u8, u8, u8) = (85, 85, 85);

/// Renders `letter` to the bytes of a PDF/A-2b document.
pub(crate) fn render(fonts: &Fonts, letter: &Letter) -> Result<Vec<u8>, LetterError> {
    render_all(fonts, std::slice::from_ref(letter))
}

/// Renders `letters` to one PDF/A-2b document, a page each in their order. The font subset and
/// the logo are embedded once for all of them, so a batch of a thousand stays small.
pub(crate) fn render_all(fonts: &Fonts, letters: &[Letter]) -> Result<Vec<u8>, LetterError> {
    let first = letters
        .first()
        .ok_or_else(|| LetterError::Pdf("no letters to render".into()))?;
    // PDF/A-2b: archivable, without the tagging PDF/A-2a would demand.
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_B)
        .finish()
        .map_err(|e| LetterError::Pdf(format!("{e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    document.set_metadata(
        Metadata::new()
            .title(first.texts.title.clone())
            .language(first.language.code().to_owned())
            .authors(vec![first.sender.name.clone()])
            .creator("Parkportal".to_owned())
            // PDF/A needs a date; the letter's own keeps one letter's bytes the same on reprint.
            .creation_date(letter_date(first.date)),
    );
    let page_settings = PageSettings::from_wh(pt(PAGE_WIDTH), pt(PAGE_HEIGHT))
        .ok_or_else(|| LetterError::Pdf("page size".into()))?;
    for letter in letters {
        let mut page = document.start_page_with(page_settings.clone());
        let mut surface = page.surface();
        let result = draw_page(&mut surface, fonts, letter);
        surface.finish();
        page.finish();
        result?;
    }
    document
        .finish()
        .map_err(|e| LetterError::Pdf(format!("{e:?}")))
}

/// Draws everything on the page.
fn draw_page(s: &mut Surface<'_>, fonts: &Fonts, letter: &Letter) -> Result<(), LetterError> {
    let texts = &letter.texts;
    set_fill(s, (0, 0, 0));

    // Head: the gemeente's name left, its logo right.
    text(s, &fonts.bold, 15.0, LEFT, 24.0, &letter.sender.name);
    if let Some((bytes, kind)) = &letter.sender.logo {
        logo::draw(s, bytes, *kind, (pt(150.0), pt(12.0), pt(40.0), pt(25.0)))?;
    }
    marks(s);

    // The return line in the window field's top 17.7 mm, small, on one line.
    let (window_left, window_top, window_width, _) = WINDOW;
    let address_left = window_left + 5.0;
    let return_line = letter.sender.return_address.join(" · ");
    set_fill(s, GREY);
    let return_size = fit_size(&fonts.regular, &return_line, 7.0, window_width - 10.0);
    text(
        s,
        &fonts.regular,
        return_size,
        address_left,
        window_top + 13.0,
        &return_line,
    );
    set_fill(s, (0, 0, 0));

    // The recipient from 62.7 mm: the first baseline one ascent (3.77 mm at 10 pt) lower, so
    // that even the tallest letter stays below the return line's space.
    for (i, line) in letter
        .recipient
        .address_lines()
        .iter()
        .take(ADDRESS_MAX_LINES)
        .enumerate()
    {
        let size = fit_size(&fonts.regular, line, BODY, window_width - 10.0);
        text(
            s,
            &fonts.regular,
            size,
            address_left,
            ADDRESS_TOP + 3.9 + i as f32 * 4.3,
            line,
        );
    }

    // Place and date, subject, salutation, explanation.
    let mut y = 103.0;
    text(s, &fonts.regular, BODY, LEFT, y, &texts.place_and_date);
    y += 9.0;
    let label_width = mm(fonts.bold.width(&texts.subject_label, BODY)) + 1.2;
    text(s, &fonts.bold, BODY, LEFT, y, &texts.subject_label);
    text(s, &fonts.bold, BODY, LEFT + label_width, y, &texts.subject);
    y += 9.0;
    text(s, &fonts.regular, BODY, LEFT, y, &texts.salutation);
    y += LEADING + 2.0;
    for paragraph in &texts.paragraphs {
        for line in fonts.regular.wrap(paragraph, BODY, pt(RIGHT - LEFT)) {
            text(s, &fonts.regular, BODY, LEFT, y, &line);
            y += LEADING;
        }
        y += 2.0;
    }

    y = code_block(s, fonts, letter, y + 2.0)?;

    text(s, &fonts.regular, BODY, LEFT, y + 8.0, &texts.closing);
    text(
        s,
        &fonts.regular,
        BODY,
        LEFT,
        y + 8.0 + LEADING,
        &letter.sender.name,
    );

    // The contact line as a footer above a thin rule.
    set_stroke(s, GREY, 0.5);
    line(s, (LEFT, 282.0), (RIGHT, 282.0));
    s.set_stroke(None);
    set_fill(s, GREY);
    let size = fit_size(&fonts.regular, &letter.sender.contact, 8.0, RIGHT - LEFT);
    text(s, &fonts.regular, size, LEFT, 287.0, &letter.sender.contact);
    Ok(())
}

/// The boxed block with the code, the PIN, the product's facts, the QR code and the link; returns
/// the y below it.
fn code_block(
    s: &mut Surface<'_>,
    fonts: &Fonts,
    letter: &Letter,
    top: f32,
) -> Result<f32, LetterError> {
    let texts = &letter.texts;
    let height = 64.0;
    set_stroke(s, GREY, 0.8);
    s.set_fill(None);
    if let Some(rect) = Rect::from_xywh(pt(LEFT), pt(top), pt(RIGHT - LEFT), pt(height)) {
        let mut path = PathBuilder::new();
        path.push_rect(rect);
        if let Some(path) = path.finish() {
            s.draw_path(&path);
        }
    }
    s.set_stroke(None);
    set_fill(s, (0, 0, 0));

    let x = LEFT + 5.0;
    // The code exactly as the API returns it (`ACDEF-GHJKM`) and the PIN's digits, each in one
    // run of text so a copy, a screen reader and pdftotext read the same characters.
    text(s, &fonts.regular, 9.0, x, top + 7.0, &texts.code_label);
    text(
        s,
        &fonts.bold,
        FIGURES,
        x,
        top + 16.0,
        &letter.code.to_string(),
    );
    text(s, &fonts.regular, 9.0, x, top + 23.0, &texts.pin_label);
    text(s, &fonts.bold, FIGURES, x, top + 32.0, letter.pin.expose());

    let facts = [
        (&texts.type_label, &letter.product_type),
        (&texts.zone_label, &letter.zone),
        (&texts.valid_label, &texts.valid_until),
    ];
    let value_x = x
        + 2.0
        + facts
            .iter()
            .map(|(label, _)| mm(fonts.bold.width(label, BODY)))
            .fold(0.0, f32::max);
    for (i, (label, value)) in facts.iter().enumerate() {
        let y = top + 40.0 + i as f32 * LEADING;
        text(s, &fonts.bold, BODY, x, y, label);
        let size = fit_size(&fonts.regular, value, BODY, 120.0 - value_x);
        text(s, &fonts.regular, size, value_x, y, value);
    }

    // The QR code (the claim link, never the PIN) at the right, its caption below it.
    let qr_size = 40.0;
    let qr_x = RIGHT - 3.0 - qr_size;
    qr::draw(s, &letter.claim_url, pt(qr_x), pt(top + 1.0), pt(qr_size))?;
    let caption_size = fit_size(&fonts.regular, &texts.qr_caption, 8.0, qr_size);
    let caption_width = mm(fonts.regular.width(&texts.qr_caption, caption_size));
    text(
        s,
        &fonts.regular,
        caption_size,
        qr_x + (qr_size - caption_width) / 2.0,
        top + qr_size + 2.0,
        &texts.qr_caption,
    );

    // The link itself for who cannot scan, on the block's last line.
    let link_size = fit_size(&fonts.regular, &letter.claim_url, 9.0, RIGHT - LEFT - 10.0);
    text(
        s,
        &fonts.regular,
        link_size,
        x,
        top + height - 5.0,
        &letter.claim_url,
    );
    Ok(top + height)
}

/// Folding marks for a DL envelope and the punch mark, on the left edge.
fn marks(s: &mut Surface<'_>) {
    set_stroke(s, GREY, 0.4);
    for y in FOLD_MARKS {
        line(s, (3.0, y), (8.0, y));
    }
    line(s, (3.0, PUNCH_MARK), (10.0, PUNCH_MARK));
    s.set_stroke(None);
}

/// One run of text with its baseline at (`x`, `y`) millimetres.
fn text(s: &mut Surface<'_>, face: &Face, size: f32, x: f32, y: f32, content: &str) {
    s.draw_text(
        Point::from_xy(pt(x), pt(y)),
        face.font.clone(),
        size,
        content,
        false,
        TextDirection::Auto,
    );
}

/// `size`, or smaller so `content` fits `width` millimetres (a long street name or link still
/// prints whole, on its line, instead of running out of the window or off the page).
fn fit_size(face: &Face, content: &str, size: f32, width: f32) -> f32 {
    let natural = mm(face.width(content, size));
    if natural <= width {
        size
    } else {
        size * width / natural
    }
}

/// A straight line between two points in millimetres, with the current stroke.
fn line(s: &mut Surface<'_>, from: (f32, f32), to: (f32, f32)) {
    let mut path = PathBuilder::new();
    path.move_to(pt(from.0), pt(from.1));
    path.line_to(pt(to.0), pt(to.1));
    if let Some(path) = path.finish() {
        s.draw_path(&path);
    }
}

fn set_fill(s: &mut Surface<'_>, (r, g, b): (u8, u8, u8)) {
    s.set_fill(Some(Fill {
        paint: rgb::Color::new(r, g, b).into(),
        ..Fill::default()
    }));
}

fn set_stroke(s: &mut Surface<'_>, (r, g, b): (u8, u8, u8), width: f32) {
    s.set_stroke(Some(Stroke {
        paint: rgb::Color::new(r, g, b).into(),
        width,
        ..Stroke::default()
    }));
}

/// The letter's date as the document's date (midnight, no time zone: it is a calendar date).
fn letter_date(date: NaiveDate) -> DateTime {
    let year = u16::try_from(date.year()).unwrap_or(2000);
    let month = u8::try_from(date.month()).unwrap_or(1);
    let day = u8::try_from(date.day()).unwrap_or(1);
    DateTime::new(year).month(month).day(day)
}

/// Points to millimetres.
fn mm(points: f32) -> f32 {
    points * 25.4 / 72.0
}
