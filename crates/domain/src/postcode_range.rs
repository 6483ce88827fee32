//! The postcode ranges a zone covers (#24), so that the digitaal loket can place an address in
//! a zone: `3511-3514` (every postcode of four digits 3511 to 3514), `3511 AA-3511 ZZ`, or one
//! postcode area `3511`.

use crate::ParseError;
use crate::letters::Postcode;

/// An inclusive range of Dutch postcodes, each end as four digits and two letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PostcodeRange {
    from: u32,
    to: u32,
}

/// At most this many ranges per zone: a zone is a neighbourhood, not a list of streets.
pub const MAX_RANGES: usize = 200;

/// A postcode as a number that orders as postcodes do: `1234 AB` is 1234·676 + 0·26 + 1.
fn key(digits: u32, letters: [u8; 2]) -> u32 {
    digits * 676 + u32::from(letters[0] - b'A') * 26 + u32::from(letters[1] - b'A')
}

/// One end of a range: four digits, or four digits and two letters; `low` says which end a
/// bare area stands for (`AA` or `ZZ`).
fn end(text: &str, low: bool) -> Option<u32> {
    let s: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let b = s.as_bytes();
    let digits = b.get(..4)?;
    if digits[0] == b'0' || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let number = s.get(..4)?.parse::<u32>().ok()?;
    let letters = match &b[4..] {
        [] if low => [b'A', b'A'],
        [] => [b'Z', b'Z'],
        [a, z] if a.is_ascii_uppercase() && z.is_ascii_uppercase() => [*a, *z],
        _ => return None,
    };
    Some(key(number, letters))
}

/// A key back as `1234 AB`.
fn text_of(key: u32) -> String {
    let digits = key / 676;
    let rest = key % 676;
    // Both letters are below 26, so the casts cannot truncate.
    let first = char::from(b'A' + (rest / 26) as u8);
    let second = char::from(b'A' + (rest % 26) as u8);
    format!("{digits} {first}{second}")
}

impl PostcodeRange {
    /// Parses `3511`, `3511-3514`, `3511 AA-3511 ZZ` or `3511AB` (a dash or an en dash between
    /// the ends); the first end may not lie after the second.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let bad = || {
            ParseError::new(
                "postcodes",
                format!(
                    "{:?} is not a postcode or a range of postcodes",
                    text.trim()
                ),
            )
        };
        let (from, to) = match text.split_once(['-', '–']) {
            Some((a, b)) => (end(a, true), end(b, false)),
            None => (end(text, true), end(text, false)),
        };
        let (from, to) = (from.ok_or_else(bad)?, to.ok_or_else(bad)?);
        if from > to {
            return Err(ParseError::new(
                "postcodes",
                format!("{:?} ends before it begins", text.trim()),
            ));
        }
        Ok(Self { from, to })
    }

    /// Parses one range per line (or separated by commas); blank lines are ignored.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, ParseError> {
        let ranges = text
            .split(['\n', ','])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(Self::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if ranges.len() > MAX_RANGES {
            return Err(ParseError::new(
                "postcodes",
                format!("at most {MAX_RANGES} ranges"),
            ));
        }
        Ok(ranges)
    }

    /// Whether `postcode` lies in this range.
    pub fn contains(&self, postcode: &Postcode) -> bool {
        end(postcode.as_str(), true).is_some_and(|k| self.from <= k && k <= self.to)
    }

    /// Whether this range and `other` share a postcode.
    pub fn overlaps(&self, other: &Self) -> bool {
        self.from <= other.to && other.from <= self.to
    }

    /// The range as written back: `3511-3514` when it covers whole areas, `3511 AB` for one
    /// postcode, else `3511 AA-3511 KZ`.
    pub fn text(&self) -> String {
        let whole = self.from.is_multiple_of(676) && self.to % 676 == 675;
        match (whole, self.from / 676 == self.to / 676) {
            (true, true) => (self.from / 676).to_string(),
            (true, false) => format!("{}-{}", self.from / 676, self.to / 676),
            (false, _) if self.from == self.to => text_of(self.from),
            (false, _) => format!("{}-{}", text_of(self.from), text_of(self.to)),
        }
    }
}

impl std::fmt::Display for PostcodeRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

/// The ranges as one line, comma-separated (the audit trail, the zone list).
pub fn list_text(ranges: &[PostcodeRange]) -> String {
    ranges
        .iter()
        .map(PostcodeRange::text)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(s: &str) -> PostcodeRange {
        PostcodeRange::parse(s).unwrap()
    }

    #[test]
    fn ranges_are_read_in_the_ways_a_gemeente_writes_them() {
        assert_eq!(range("3511").text(), "3511");
        assert_eq!(range(" 3511 - 3514 ").text(), "3511-3514");
        assert_eq!(range("3511aa–3511zz").text(), "3511");
        assert_eq!(range("3511 AB").text(), "3511 AB");
        assert_eq!(range("3511 AB-3512 CD").text(), "3511 AB-3512 CD");
        for bad in [
            "",
            "351",
            "0511",
            "3514-3511",
            "3511 A",
            "35 11 AB x",
            "abcd",
            "3511-",
        ] {
            assert!(PostcodeRange::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_range_holds_the_postcodes_between_its_ends() {
        let pc = |s: &str| Postcode::parse(s).unwrap();
        let r = range("3511 KA-3512 AB");
        assert!(r.contains(&pc("3511KA")));
        assert!(r.contains(&pc("3511 ZZ")));
        assert!(r.contains(&pc("3512 AB")));
        assert!(!r.contains(&pc("3511 JZ")));
        assert!(!r.contains(&pc("3512 AC")));
        assert!(range("3511-3514").overlaps(&range("3514 ZZ")));
        assert!(!range("3511-3514").overlaps(&range("3515")));
    }

    #[test]
    fn a_list_takes_lines_and_commas_and_has_a_limit() {
        let list = PostcodeRange::parse_list("3511-3514\n\n3520, 3521 AB\n").unwrap();
        assert_eq!(list_text(&list), "3511-3514, 3520, 3521 AB");
        let many = (1000..1000 + MAX_RANGES + 1)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(PostcodeRange::parse_list(&many).is_err());
    }
}
