//! The allocation letter (toewijzingsbrief) as typed content, and the port that renders it.
//!
//! A letter carries a product's code and PIN to its holder by post. The PIN exists in memory only
//! while a product is issued, so the letter is rendered then; the renderer (`crates/letters`)
//! receives everything already decided here, texts included, and knows no language itself.

use chrono::NaiveDate;

use crate::{Language, ParseError, Pin, ProductCode};

/// A Dutch postcode, normalised to `1234 AB`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Postcode(String);

impl Postcode {
    /// Parses `1234AB`, `1234 ab` and the like; the first digit is never 0.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let b = s.as_bytes();
        let valid = b.len() == 6
            && b[0] != b'0'
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4..].iter().all(u8::is_ascii_uppercase);
        if !valid {
            return Err(ParseError::new(
                "postcode",
                "not four digits and two letters",
            ));
        }
        Ok(Self(format!("{} {}", &s[..4], &s[4..])))
    }

    /// `1234 AB`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who the letter goes to, as a Dutch postal address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The name on the first line, e.g. `J. de Vries`.
    pub name: String,
    /// The street.
    pub street: String,
    /// The house number with its addition, e.g. `12` or `12 A-bis`.
    pub house_number: String,
    /// The postcode.
    pub postcode: Postcode,
    /// The place, printed in capitals.
    pub city: String,
}

/// A field of a postal address, for an error tied to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientField {
    /// The name.
    Name,
    /// The street.
    Street,
    /// The house number with its addition.
    HouseNumber,
    /// The postcode.
    Postcode,
    /// The place.
    City,
}

impl RecipientField {
    /// The stable code of the field's error, e.g. `recipient_postcode_invalid`.
    pub fn error_code(self) -> &'static str {
        match self {
            Self::Name => "recipient_name_invalid",
            Self::Street => "recipient_street_invalid",
            Self::HouseNumber => "recipient_house_number_invalid",
            Self::Postcode => "recipient_postcode_invalid",
            Self::City => "recipient_city_invalid",
        }
    }
}

/// A postal address as typed: every field is checked by [`Recipient::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecipientInput<'a> {
    /// The name.
    pub name: &'a str,
    /// The street.
    pub street: &'a str,
    /// The house number with its addition.
    pub house_number: &'a str,
    /// The postcode, with or without its space.
    pub postcode: &'a str,
    /// The place.
    pub city: &'a str,
}

/// Whether a letter's font prints `c`, in lower case and in capitals (the place is printed in
/// capitals): the Latin, Greek and Cyrillic letters of the shipped Noto Sans with their combining
/// accents and the usual punctuation. A postal address in the Netherlands is written in Latin
/// letters; the rest is room for names. Anything else (private use, unassigned code points, other
/// scripts, emoji) would print as a blank box, and PDF/A forbids that. `crates/letters` renders
/// every character this accepts, in both cases, in its tests.
pub fn prints(c: char) -> bool {
    matches!(c,
        ' '..='~'
        | '\u{00A0}'..='\u{024F}'   // Latin-1 Supplement, Latin Extended-A and -B
        | '\u{0300}'..='\u{036F}'   // combining accents
        | '\u{0374}'..='\u{03FF}'   // Greek
        | '\u{0400}'..='\u{04FF}'   // Cyrillic
        | '\u{1E00}'..='\u{1EF9}'   // Latin Extended Additional
        | '\u{2012}'..='\u{2015}'   // dashes
        | '\u{2018}'..='\u{201E}'   // quotation marks
        | '\u{2026}'                // ellipsis
    ) && !matches!(c,
        // Code points the font lacks, or whose capital it lacks.
        '\u{019B}' | '\u{023F}' | '\u{0240}'
        | '\u{0376}' | '\u{0377}' | '\u{0378}'..='\u{0379}' | '\u{037F}'..='\u{0383}'
        | '\u{038B}' | '\u{038D}' | '\u{03A2}' | '\u{03CF}' | '\u{03D7}' | '\u{03F3}'
        | '\u{1E9C}' | '\u{1E9D}' | '\u{1E9F}'
    )
}

/// `s` trimmed, with the hyphens that word processors put in names (U+2010, U+2011) written as
/// the plain hyphen a letter prints and a person types when searching.
fn plain(s: &str) -> String {
    s.trim().replace(['\u{2010}', '\u{2011}'], "-")
}

/// Whether `s` (trimmed) has 1 to `max` characters, each one a letter prints.
fn printable(s: &str, max: usize) -> bool {
    let n = s.chars().count();
    (1..=max).contains(&n) && s.chars().all(prints)
}

impl Recipient {
    /// The longest name (the window holds about 40 characters a line at 10 pt; a longer
    /// name still prints, smaller).
    pub const NAME_MAX: usize = 100;
    /// The longest street.
    pub const STREET_MAX: usize = 100;
    /// The longest house number with its addition.
    pub const HOUSE_NUMBER_MAX: usize = 20;
    /// The longest place name.
    pub const CITY_MAX: usize = 60;

    /// Checks a typed address: every field trimmed and present, within its length and without
    /// control characters; a house number starting with a digit; a Dutch postcode. Every field
    /// that fails is named.
    pub fn parse(input: &RecipientInput<'_>) -> Result<Self, Vec<RecipientField>> {
        let (name, street, house_number, city) = (
            plain(input.name),
            plain(input.street),
            plain(input.house_number),
            plain(input.city),
        );
        let (name, street, house_number, city) = (
            name.as_str(),
            street.as_str(),
            house_number.as_str(),
            city.as_str(),
        );
        let postcode = Postcode::parse(input.postcode);
        let mut wrong = Vec::new();
        if !printable(name, Self::NAME_MAX) {
            wrong.push(RecipientField::Name);
        }
        if !printable(street, Self::STREET_MAX) {
            wrong.push(RecipientField::Street);
        }
        if !printable(house_number, Self::HOUSE_NUMBER_MAX)
            || !house_number.starts_with(|c: char| c.is_ascii_digit())
        {
            wrong.push(RecipientField::HouseNumber);
        }
        if postcode.is_err() {
            wrong.push(RecipientField::Postcode);
        }
        if !printable(city, Self::CITY_MAX) {
            wrong.push(RecipientField::City);
        }
        match postcode {
            Ok(postcode) if wrong.is_empty() => Ok(Self {
                name: name.to_owned(),
                street: street.to_owned(),
                house_number: house_number.to_owned(),
                postcode,
                city: city.to_owned(),
            }),
            _ => Err(wrong),
        }
    }

    /// An address as stored after [`Recipient::parse`] accepted it: not checked again, so that a
    /// stricter check later never makes a stored product unreadable.
    pub fn from_stored(
        name: String,
        street: String,
        house_number: String,
        postcode: Postcode,
        city: String,
    ) -> Self {
        Self {
            name,
            street,
            house_number,
            postcode,
            city,
        }
    }

    /// The address lines for a window envelope: name, street and number, and
    /// `1234 AB  PLAATS` (one space inside the postcode, two before the place, as PostNL asks).
    pub fn address_lines(&self) -> Vec<String> {
        vec![
            self.name.trim().to_owned(),
            format!("{} {}", self.street.trim(), self.house_number.trim()),
            format!(
                "{}  {}",
                self.postcode.as_str(),
                self.city.trim().to_uppercase()
            ),
        ]
    }
}

/// The kind of a logo image, as the renderer must know it to decode the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoKind {
    /// An SVG document.
    Svg,
    /// A PNG image.
    Png,
}

/// The sending gemeente.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// The gemeente's name, e.g. `Gemeente Dijkstad`.
    pub name: String,
    /// The logo's bytes and kind, if the gemeente has one.
    pub logo: Option<(Vec<u8>, LogoKind)>,
    /// The return address, one line each (the first usually the gemeente's name); printed small
    /// above the recipient's address in the envelope window.
    pub return_address: Vec<String>,
    /// The contact line of the footer: telephone, web site, opening hours.
    pub contact: String,
}

impl Sender {
    /// The sender as a gemeente's bundle describes it: its return address (or its name alone
    /// when the bundle gives none), contact line and logo.
    pub fn of(config: &crate::TenantConfig) -> Self {
        let return_address = if config.letter_return_address.is_empty() {
            vec![config.name.clone()]
        } else {
            config.letter_return_address.clone()
        };
        Self {
            name: config.name.clone(),
            logo: Self::logo_of(&config.logo),
            return_address,
            contact: config.letter_contact.clone().unwrap_or_default(),
        }
    }

    /// The logo of a tenant (`image/svg+xml` or `image/png`), if it is of a kind letters draw.
    pub fn logo_of(logo: &crate::Logo) -> Option<(Vec<u8>, LogoKind)> {
        match logo.content_type.as_str() {
            "image/svg+xml" => Some((logo.bytes.clone(), LogoKind::Svg)),
            "image/png" => Some((logo.bytes.clone(), LogoKind::Png)),
            _ => None,
        }
    }
}

/// The texts of a letter in its language, placeholders already filled in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LetterTexts {
    /// The document's title (PDF metadata), e.g. `Toewijzingsbrief`.
    pub title: String,
    /// The label before the subject, `Betreft` or `Subject`.
    pub subject_label: String,
    /// The subject itself.
    pub subject: String,
    /// The salutation, e.g. `Geachte J. de Vries,`.
    pub salutation: String,
    /// The explanation, one paragraph each.
    pub paragraphs: Vec<String>,
    /// The label of the product code.
    pub code_label: String,
    /// The label of the PIN.
    pub pin_label: String,
    /// The label of the product type.
    pub type_label: String,
    /// The label of the zone.
    pub zone_label: String,
    /// The label of the validity.
    pub valid_label: String,
    /// The caption under the QR code.
    pub qr_caption: String,
    /// The closing, e.g. `Met vriendelijke groet,`.
    pub closing: String,
    /// Place and date as printed, e.g. `Dijkstad, 3 december 2026`.
    pub place_and_date: String,
    /// The validity as printed, e.g. `tot en met 31 december 2027`.
    pub valid_until: String,
}

/// Everything on one allocation letter.
#[derive(Debug, Clone)]
pub struct Letter {
    /// Who it goes to.
    pub recipient: Recipient,
    /// Who sends it.
    pub sender: Sender,
    /// The letter's language (its texts are already in it; the PDF's metadata says it).
    pub language: Language,
    /// The place the letter is dated in.
    pub place: String,
    /// The date of the letter.
    pub date: NaiveDate,
    /// The product type's name, e.g. `Bezoekersvergunning`.
    pub product_type: String,
    /// The zone's name.
    pub zone: String,
    /// The last day of validity, if the product ends.
    pub valid_until: Option<NaiveDate>,
    /// The product code, printed as the API returns it (`ACDEF-GHJKM`).
    pub code: ProductCode,
    /// The PIN, printed once and never put in the link.
    pub pin: Pin,
    /// The link to "Voeg product toe" with the code filled in (see [`claim_link`]).
    pub claim_url: String,
    /// The texts, filled in for this letter: `LetterTemplate::texts` of `crates/letters` makes
    /// them from the rest of the letter and the gemeente's theme.
    pub texts: LetterTexts,
}

/// The link on a letter: the resident's "Voeg product toe" page at `portal_base` (the gemeente's
/// public URL with its path, no trailing slash) with the code filled in; never the PIN.
pub fn claim_link(portal_base: &str, code: &ProductCode) -> String {
    // The code's alphabet and dash need no escaping in a query.
    format!(
        "{}/producten/toevoegen?code={code}",
        portal_base.trim_end_matches('/')
    )
}

/// Why a letter could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LetterError {
    /// The logo could not be read; the detail says why.
    #[error("letter.logo: {0}")]
    Logo(String),
    /// The PDF library refused the document (e.g. PDF/A validation); the detail says why.
    #[error("letter.pdf: {0}")]
    Pdf(String),
    /// The letter template is missing or malformed.
    #[error("letter.template: {0}")]
    Template(String),
    /// The claim link is too long for a QR code.
    #[error("letter.qr: {0}")]
    Qr(String),
}

impl LetterError {
    /// The stable code of the error, for logs and API answers.
    pub fn code(&self) -> &'static str {
        match self {
            LetterError::Logo(_) => "letter.logo",
            LetterError::Pdf(_) => "letter.pdf",
            LetterError::Template(_) => "letter.template",
            LetterError::Qr(_) => "letter.qr",
        }
    }
}

/// The port: fills a letter's texts from its gemeente's template and renders it to the bytes
/// of a PDF.
pub trait LetterRenderer: Send + Sync {
    /// The texts of `letter` (everything but its texts decided) from the letter template of the
    /// theme `theme`, or of the default theme when that has none; `portal` is the portal's
    /// address as a person reads it.
    fn texts(&self, letter: &Letter, theme: &str, portal: &str)
    -> Result<LetterTexts, LetterError>;
    /// One A4 PDF for `letter`.
    fn render(&self, letter: &Letter) -> Result<Vec<u8>, LetterError>;
    /// One PDF with every letter of `letters` on a page of its own, in their order (a batch
    /// for the printer).
    fn render_all(&self, letters: &[Letter]) -> Result<Vec<u8>, LetterError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_are_normalised() {
        assert_eq!(Postcode::parse("1234ab").unwrap().as_str(), "1234 AB");
        assert_eq!(Postcode::parse(" 1234 AB ").unwrap().as_str(), "1234 AB");
        assert!(Postcode::parse("0234AB").is_err());
        assert!(Postcode::parse("123AB").is_err());
        assert!(Postcode::parse("1234A1").is_err());
        assert!(Postcode::parse("1234ÄB").is_err());
    }

    #[test]
    fn address_lines_follow_postnl() {
        let r = Recipient {
            name: "J. de Vries".into(),
            street: "Kerkstraat".into(),
            house_number: "12 A".into(),
            postcode: Postcode::parse("1234ab").unwrap(),
            city: "Dijkstad".into(),
        };
        assert_eq!(
            r.address_lines(),
            ["J. de Vries", "Kerkstraat 12 A", "1234 AB  DIJKSTAD"]
        );
    }

    #[test]
    fn a_typed_address_is_checked_field_by_field() {
        let ok = Recipient::parse(&RecipientInput {
            name: " J. de Vries ",
            street: "Kerkstraat",
            house_number: "12 A",
            postcode: "1234ab",
            city: "Dijkstad",
        })
        .unwrap();
        assert_eq!(ok.name, "J. de Vries");
        assert_eq!(ok.postcode.as_str(), "1234 AB");
        let long = "x".repeat(Recipient::NAME_MAX + 1);
        let wrong = Recipient::parse(&RecipientInput {
            name: &long,
            street: " ",
            house_number: "A12",
            postcode: "12345",
            city: "Dijk\nstad",
        })
        .unwrap_err();
        assert_eq!(
            wrong,
            [
                RecipientField::Name,
                RecipientField::Street,
                RecipientField::HouseNumber,
                RecipientField::Postcode,
                RecipientField::City
            ]
        );
    }

    #[test]
    fn only_what_a_letter_prints_is_an_address() {
        let with_name = |name: &str| {
            Recipient::parse(&RecipientInput {
                name,
                street: "Kerkstraat",
                house_number: "1",
                postcode: "1234 AB",
                city: "Dijkstad",
            })
        };
        for name in [
            "Zoë Çelik-d'Hondt",
            "Ελένη Παπαδοπούλου",
            "Ольга Смирнова",
            "José Martínez",
        ] {
            assert!(with_name(name).is_ok(), "{name}");
        }
        for name in [
            "Jan \u{1F600}",
            "\u{E000}",
            "\u{d6217}x",
            "王小明",
            "Jan\u{200B}",
        ] {
            assert_eq!(
                with_name(name).unwrap_err(),
                [RecipientField::Name],
                "{name:?}"
            );
        }
    }

    #[test]
    fn the_claim_link_has_the_code_and_no_pin() {
        let code = ProductCode::parse("ACDEFGHJKM").unwrap();
        assert_eq!(
            claim_link("https://dijkstad.example/", &code),
            "https://dijkstad.example/producten/toevoegen?code=ACDEF-GHJKM"
        );
    }
}
