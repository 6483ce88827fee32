//! Licence plates (kentekens): normalised (upper case, no dashes or spaces), checked against the
//! Dutch sidecodes, and shown with the dashes the sidecode puts in. Foreign plates carry their
//! country and are accepted without the Dutch check.

use crate::ParseError;
use std::fmt;

/// The fourteen Dutch sidecodes, as patterns of letters (X) and digits (9) with their dashes.
const SIDECODES: [&str; 14] = [
    "XX-99-99", "99-99-XX", "99-XX-99", "XX-99-XX", "XX-XX-99", "99-XX-XX", "99-XXX-9", "9-XXX-99",
    "XX-999-X", "X-999-XX", "XXX-99-X", "X-99-XXX", "9-XX-999", "999-XX-9",
];

/// Letter groups that are never issued.
const NEVER_ISSUED: [&str; 11] = [
    "GVD", "KKK", "NSB", "PKK", "PSV", "TBS", "SS", "SD", "PVV", "SGP", "VVD",
];

/// A country code of two letters (ISO 3166-1 alpha-2, as on the plate's euro band).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

impl Country {
    /// The Netherlands, the default.
    pub const NL: Country = Country(*b"NL");

    /// Parses two letters, any case.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let upper = s.trim().to_ascii_uppercase();
        match upper.as_bytes() {
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Ok(Country([*a, *b])),
            _ => Err(ParseError::new(
                "country",
                format!("{s:?} is not a two-letter country code"),
            )),
        }
    }

    /// The code, e.g. `NL`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A licence plate with its country.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Plate {
    country: Country,
    normalised: String,
    /// The Dutch sidecode (1 to 14); 0 for foreign plates.
    sidecode: u8,
}

/// Upper case without dashes and spaces.
fn normalise(input: &str) -> String {
    input
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\u{a0}'))
        .flat_map(char::to_uppercase)
        .collect()
}

fn shape(plate: &str) -> String {
    plate
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { 'X' })
        .collect()
}

impl Plate {
    /// Parses a plate in the command line's and the admin API's form: a Dutch plate as typed
    /// (`AB-12-34`), a foreign one after its country code (`DE:B-XY123`).
    pub fn parse_tagged(input: &str) -> Result<Self, ParseError> {
        let input = input.trim();
        match input.split_once(':') {
            Some((country, plate)) => Self::parse(plate, Country::parse(country)?),
            None => Self::parse(input, Country::NL),
        }
    }

    /// Parses a comma-separated list of [`Plate::parse_tagged`] plates; empty items are skipped.
    pub fn parse_list(list: &str) -> Result<Vec<Self>, ParseError> {
        list.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                Self::parse_tagged(p).map_err(|e| ParseError::new("plate", format!("{p}: {e}")))
            })
            .collect()
    }

    /// Parses a plate of `country`. A Dutch plate must fit one of the fourteen sidecodes and the
    /// letter rules of the newer series; a foreign one may be 1 to 12 letters and digits.
    pub fn parse(input: &str, country: Country) -> Result<Self, ParseError> {
        let normalised = normalise(input);
        if normalised.is_empty() || !normalised.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ParseError::new(
                "plate",
                "use only letters and digits (dashes and spaces are fine)",
            ));
        }
        if country != Country::NL {
            if normalised.len() > 12 {
                return Err(ParseError::new(
                    "plate",
                    "a plate has at most 12 letters and digits",
                ));
            }
            return Ok(Self {
                country,
                normalised,
                sidecode: 0,
            });
        }
        let found = SIDECODES
            .iter()
            .position(|pattern| pattern.replace('-', "") == shape(&normalised));
        let Some(index) = found else {
            return Err(ParseError::new(
                "plate",
                format!("{input:?} is not a Dutch licence plate"),
            ));
        };
        let sidecode = u8::try_from(index + 1).unwrap_or(0);
        let letters: String = normalised
            .chars()
            .filter(char::is_ascii_alphabetic)
            .collect();
        if sidecode >= 4 {
            // The newer series use no C or Q and no vowels, except the royal AA and the O of
            // semi-trailers.
            let royal_or_trailer = normalised.starts_with("AA") || normalised.starts_with('O');
            let bad = letters
                .chars()
                .any(|c| c == 'C' || c == 'Q' || (!royal_or_trailer && "AEIOU".contains(c)));
            if bad {
                return Err(ParseError::new(
                    "plate",
                    format!("{input:?} is not a Dutch licence plate"),
                ));
            }
        }
        let groups = Self::groups(&normalised, sidecode);
        if groups
            .iter()
            .any(|g| NEVER_ISSUED.iter().any(|n| g.contains(n)))
        {
            return Err(ParseError::new(
                "plate",
                format!("{input:?} is not a Dutch licence plate"),
            ));
        }
        Ok(Self {
            country,
            normalised,
            sidecode,
        })
    }

    /// Parses a stored plate (normalised text and country).
    pub fn from_stored(normalised: &str, country: &str) -> Result<Self, ParseError> {
        Self::parse(normalised, Country::parse(country)?)
    }

    fn groups(normalised: &str, sidecode: u8) -> Vec<String> {
        let pattern = SIDECODES[usize::from(sidecode.max(1)) - 1];
        let mut chars = normalised.chars();
        pattern
            .split('-')
            .map(|group| chars.by_ref().take(group.len()).collect())
            .collect()
    }

    /// The plate as stored and compared: upper case, no dashes.
    pub fn normalised(&self) -> &str {
        &self.normalised
    }

    /// The country.
    pub fn country(&self) -> Country {
        self.country
    }

    /// The Dutch sidecode (1 to 14), or `None` for a foreign plate.
    pub fn sidecode(&self) -> Option<u8> {
        (self.sidecode > 0).then_some(self.sidecode)
    }

    /// The country code of a foreign plate, `None` for a Dutch one: pages show the country only
    /// when it is not NL.
    pub fn foreign_country(&self) -> Option<String> {
        (self.country != Country::NL).then(|| self.country.as_str().to_owned())
    }

    /// The plate as people write it: `AB-12-CD` for Dutch plates, the normalised text (with the
    /// country) for foreign ones.
    pub fn display(&self) -> String {
        match self.sidecode() {
            Some(code) => Self::groups(&self.normalised, code).join("-"),
            None => format!("{} ({})", self.normalised, self.country),
        }
    }

    /// The plate in the form [`Plate::parse_tagged`] reads back: `AB-12-CD`, or `DE:BXY123`.
    pub fn tagged(&self) -> String {
        match self.foreign_country() {
            Some(country) => format!("{country}:{}", self.normalised),
            None => self.display(),
        }
    }
}

impl fmt::Display for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nl(s: &str) -> Result<Plate, ParseError> {
        Plate::parse(s, Country::NL)
    }

    #[test]
    fn every_sidecode_is_recognised_and_formatted() {
        let examples = [
            ("ab1234", 1, "AB-12-34"),
            ("1234AB", 2, "12-34-AB"),
            ("12ab34", 3, "12-AB-34"),
            ("GB12HJ", 4, "GB-12-HJ"),
            ("GBHJ12", 5, "GB-HJ-12"),
            ("12GBHJ", 6, "12-GB-HJ"),
            ("12GBH3", 7, "12-GBH-3"),
            ("1GBH23", 8, "1-GBH-23"),
            ("GB123H", 9, "GB-123-H"),
            ("G123BH", 10, "G-123-BH"),
            ("GBH12J", 11, "GBH-12-J"),
            ("G12BHJ", 12, "G-12-BHJ"),
            ("1GB234", 13, "1-GB-234"),
            ("123GB4", 14, "123-GB-4"),
        ];
        for (input, code, shown) in examples {
            let plate = nl(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(
                (plate.sidecode(), plate.display().as_str()),
                (Some(code), shown),
                "{input}"
            );
        }
    }

    #[test]
    fn dashes_spaces_and_case_do_not_matter() {
        assert_eq!(nl(" gb-12 hj ").unwrap(), nl("GB12HJ").unwrap());
        assert_eq!(nl("gb-12-hj").unwrap().normalised(), "GB12HJ");
    }

    #[test]
    fn impossible_dutch_plates_are_refused() {
        for bad in [
            "",
            "ABC",
            "GB12HJK",
            "G-B-1-2-H-J!",
            "GA12HJ",
            "GC12HJ",
            "GB12QJ",
            "12-SS-34",
            "NSB-12-F",
            "1234567",
            "ABCDEF",
        ] {
            assert!(nl(bad).is_err(), "{bad} accepted");
        }
        assert!(nl("AA-12-BB").is_ok(), "the royal AA");
    }

    #[test]
    fn foreign_plates_keep_their_country() {
        let de = Plate::parse("B-MW 1234", Country::parse("de").unwrap()).unwrap();
        assert_eq!(
            (de.normalised(), de.sidecode(), de.display().as_str()),
            ("BMW1234", None, "BMW1234 (DE)")
        );
        assert!(Plate::parse("ÄB-12", Country::parse("DE").unwrap()).is_err());
        assert!(Plate::parse("ABCDEFGHIJKLM", Country::parse("BE").unwrap()).is_err());
        assert!(Country::parse("NLD").is_err());
        assert_eq!(
            Plate::from_stored("GB12HJ", "NL").unwrap().display(),
            "GB-12-HJ"
        );
    }
}
