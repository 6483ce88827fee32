//! The letter's texts: `letters/allocation.toml` of the gemeente's theme, else of the default
//! theme, with a table per language (`[nl]`, `[en]`). A theme overrides the whole file.
//!
//! Placeholders in the texts: `{name}` (the recipient), `{gemeente}`, `{product}`, `{zone}`,
//! `{portal}` (the portal's address as a person reads it), `{link}` (the claim link), `{place}`,
//! `{today}` (the letter's date) and `{date}` (the last day of validity, in `valid_until` only).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use parkportal_domain::{Language, Letter, LetterError, LetterTexts};
use serde::Deserialize;

/// The texts of one language as written in the template.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Texts {
    title: String,
    subject_label: String,
    subject: String,
    salutation: String,
    paragraphs: Vec<String>,
    code_label: String,
    pin_label: String,
    type_label: String,
    zone_label: String,
    valid_label: String,
    valid_until: String,
    valid_indefinitely: String,
    qr_caption: String,
    closing: String,
    place_and_date: String,
    /// The names of the months, January first, for dates in the text.
    months: [String; 12],
}

/// A loaded letter template: the texts of each language it has.
#[derive(Debug, Clone)]
pub struct LetterTemplate {
    languages: BTreeMap<String, Texts>,
}

/// The template's path inside a theme folder.
const FILE: &str = "letters/allocation.toml";

impl LetterTemplate {
    /// Reads the template of `theme` under `themes_dir`, falling back to the default theme's
    /// when the theme has none.
    pub fn load(themes_dir: &Path, theme: &str) -> Result<Self, LetterError> {
        let own = themes_dir.join(theme).join(FILE);
        let path = if own.is_file() {
            own
        } else {
            themes_dir.join("default").join(FILE)
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| LetterError::Template(format!("{}: {e}", path.display())))?;
        Self::parse(&text).map_err(|e| LetterError::Template(format!("{}: {e}", path.display())))
    }

    /// Parses a template's text; every language of [`Language::ALL`] must be present.
    pub fn parse(text: &str) -> Result<Self, String> {
        let languages: BTreeMap<String, Texts> = toml::from_str(text).map_err(|e| e.to_string())?;
        if let Some(missing) = Language::ALL
            .iter()
            .find(|l| !languages.contains_key(l.code()))
        {
            return Err(format!("no [{}] table", missing.code()));
        }
        Ok(Self { languages })
    }

    /// The texts of `letter` in its language, placeholders filled in from the letter; `portal`
    /// is the portal's address as printed (e.g. `dijkstad.parkportal.nl`).
    pub fn texts(&self, letter: &Letter, portal: &str) -> Result<LetterTexts, LetterError> {
        let code = letter.language.code();
        let t = self
            .languages
            .get(code)
            .ok_or_else(|| LetterError::Template(format!("no [{code}] table")))?;
        let date = |d: NaiveDate| {
            let month = usize::try_from(d.month0()).unwrap_or(0);
            let name = t.months.get(month).map_or("", String::as_str);
            format!("{} {name} {}", d.day(), d.year())
        };
        let fill = |s: &str| {
            s.replace("{name}", letter.recipient.name.trim())
                .replace("{gemeente}", &letter.sender.name)
                .replace("{product}", &letter.product_type)
                .replace("{zone}", &letter.zone)
                .replace("{portal}", portal)
                .replace("{link}", &letter.claim_url)
                .replace("{place}", &letter.place)
                .replace("{today}", &date(letter.date))
        };
        Ok(LetterTexts {
            title: fill(&t.title),
            subject_label: fill(&t.subject_label),
            subject: fill(&t.subject),
            salutation: fill(&t.salutation),
            paragraphs: t.paragraphs.iter().map(|p| fill(p)).collect(),
            code_label: fill(&t.code_label),
            pin_label: fill(&t.pin_label),
            type_label: fill(&t.type_label),
            zone_label: fill(&t.zone_label),
            valid_label: fill(&t.valid_label),
            qr_caption: fill(&t.qr_caption),
            closing: fill(&t.closing),
            place_and_date: fill(&t.place_and_date),
            valid_until: match letter.valid_until {
                Some(d) => fill(&t.valid_until).replace("{date}", &date(d)),
                None => fill(&t.valid_indefinitely),
            },
        })
    }
}
