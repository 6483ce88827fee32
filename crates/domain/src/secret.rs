//! Secrets handed to people (session cookies, links in e-mails, product codes and PINs) and the
//! hashes that are all the database ever keeps of the token kinds.

use crate::ParseError;
use sha2::{Digest, Sha256};

/// The system's random source failed; nothing secret can be made without it.
#[derive(Debug, thiserror::Error)]
#[error("the random source failed: {0}")]
pub struct RandomError(String);

fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| RandomError(e.to_string()))?;
    Ok(buf)
}

/// Fills `buf` from the system's random source.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), RandomError> {
    getrandom::fill(buf).map_err(|e| RandomError(e.to_string()))
}

/// A uniformly drawn index below `n` (rejection sampling: no modulo bias).
fn random_below(n: u8) -> Result<u8, RandomError> {
    let limit = u8::MAX - (u8::MAX % n);
    loop {
        let [b] = random_bytes::<1>()?;
        if b < limit {
            return Ok(b % n);
        }
    }
}

/// `bytes` as lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A bearer secret of 256 random bits, written as 64 hex digits: session cookies, remember-me
/// tokens, API tokens and links in e-mails. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

impl Token {
    /// A fresh token.
    pub fn generate() -> Result<Self, RandomError> {
        Ok(Self(hex(&random_bytes::<32>()?)))
    }

    /// A token a client sent back; anything that is not 64 hex digits cannot be one of ours.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(s.to_ascii_lowercase()))
    }

    /// The token itself, to hand out once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A value derived from this token for one `purpose` (a form's CSRF token, say): anyone who
    /// sees it learns nothing of the token, and without the token nobody can make it.
    pub fn derive(&self, purpose: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"parkportal\0");
        hasher.update(purpose.as_bytes());
        hasher.update(b"\0");
        hasher.update(self.0.as_bytes());
        hex(&hasher.finalize())
    }

    /// What the database keeps: a SHA-256 of the token. A fast hash is right here because the
    /// token has 256 bits of entropy; a stolen table gives nothing to guess from.
    pub fn hash(&self) -> TokenHash {
        TokenHash(hex(&Sha256::digest(self.0.as_bytes())))
    }
}

/// The stored form of a [`Token`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// A hash as read back from the database.
    pub fn from_stored(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The hash as 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The letters and digits of product codes, without the look-alikes 0/O, 1/I/L, 2/Z, 5/S and 8/B,
/// so that a code typed over from a letter is typed right.
const CODE_ALPHABET: &[u8] = b"ACDEFGHJKMNPQRTUVWXY34679";
/// Characters in a product code: 25^10 ≈ 10^14 codes, far beyond guessing.
const CODE_LENGTH: usize = 10;

/// `length` characters drawn uniformly from the code alphabet.
pub(crate) fn random_code(length: usize) -> Result<String, RandomError> {
    let n = u8::try_from(CODE_ALPHABET.len()).unwrap_or(u8::MAX);
    let mut code = String::with_capacity(length);
    for _ in 0..length {
        code.push(char::from(CODE_ALPHABET[usize::from(random_below(n)?)]));
    }
    Ok(code)
}

/// Whether every character of `s` is of the code alphabet.
pub(crate) fn in_code_alphabet(s: &str) -> bool {
    s.bytes().all(|b| CODE_ALPHABET.contains(&b))
}

/// The code on an allocation letter that, with its PIN, identifies a product. Shown in two groups
/// of five (`ACDEF-GHJKM`); typed in any case, with or without the dash or spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProductCode(String);

impl ProductCode {
    /// A fresh random code.
    pub fn generate() -> Result<Self, RandomError> {
        Ok(Self(random_code(CODE_LENGTH)?))
    }

    /// Parses what a resident typed.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if s.len() != CODE_LENGTH || !in_code_alphabet(&s) {
            return Err(ParseError::new(
                "product code",
                format!("not {CODE_LENGTH} characters of the code alphabet"),
            ));
        }
        Ok(Self(s))
    }

    /// The code as stored (no dash).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ProductCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (a, b) = self.0.split_at(CODE_LENGTH / 2);
        write!(f, "{a}-{b}")
    }
}

/// Digits in a PIN.
const PIN_LENGTH: usize = 6;

/// The PIN printed next to a product code. Kept only as an argon2 hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(…)")
    }
}

impl Pin {
    /// A fresh random PIN.
    pub fn generate() -> Result<Self, RandomError> {
        let mut pin = String::with_capacity(PIN_LENGTH);
        for _ in 0..PIN_LENGTH {
            pin.push(char::from(b'0' + random_below(10)?));
        }
        Ok(Self(pin))
    }

    /// Parses what a resident typed (spaces ignored).
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if s.len() != PIN_LENGTH || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::new("pin", format!("not {PIN_LENGTH} digits")));
        }
        Ok(Self(s))
    }

    /// The PIN itself, to print once or to hash.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = Token::generate().unwrap();
        let b = Token::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 64);
        assert_eq!(a.hash().as_str().len(), 64);
        assert_ne!(a.hash().as_str(), a.expose());
        assert_eq!(Token::parse(a.expose()).unwrap().hash(), a.hash());
        assert!(Token::parse("abc").is_none());
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn derived_values_differ_by_purpose_and_token() {
        let a = Token::generate().unwrap();
        let b = Token::generate().unwrap();
        assert_eq!(a.derive("csrf"), a.clone().derive("csrf"));
        assert_ne!(a.derive("csrf"), a.derive("other"));
        assert_ne!(a.derive("csrf"), b.derive("csrf"));
        assert_ne!(a.derive("csrf"), a.hash().as_str());
        assert_eq!(a.derive("csrf").len(), 64);
    }

    #[test]
    fn codes_avoid_look_alikes_and_parse_back() {
        for _ in 0..200 {
            let code = ProductCode::generate().unwrap();
            assert_eq!(code.as_str().len(), 10);
            for c in ['0', 'O', '1', 'I', 'L', '2', 'Z', '5', 'S', '8', 'B'] {
                assert!(!code.as_str().contains(c), "{code}");
            }
            let shown = code.to_string();
            assert_eq!(ProductCode::parse(&shown.to_lowercase()).unwrap(), code);
        }
        assert!(ProductCode::parse("ACDEF-GHJK0").is_err());
        assert!(ProductCode::parse("ACDEF").is_err());
    }

    #[test]
    fn pins_are_six_digits() {
        let pin = Pin::generate().unwrap();
        assert_eq!(pin.expose().len(), 6);
        assert!(pin.expose().bytes().all(|b| b.is_ascii_digit()));
        assert!(Pin::parse("12 34 56").is_ok());
        assert!(Pin::parse("12345").is_err());
        assert!(Pin::parse("12345a").is_err());
    }
}
