//! Tokens sealed under another token, so that the database can keep them without being able to
//! read them: only a client that presents the key token again can.
//!
//! The database keeps only the SHA-256 of a token ([`Token::hash`]). Sealing XORs each token
//! with its own keystream, [`Token::derive`] of the key token for a label and the token's
//! position: a value the stored hash does not give. The key tokens are 256-bit random and each
//! seals one set of tokens once, so no keystream is used twice. There is no integrity tag:
//! whoever can change the stored value can change any row anyway, and a changed value opens to
//! a token that matches nothing.

use crate::secret::{Token, hex};

/// Bytes in a token.
const TOKEN_BYTES: usize = 32;

/// Tokens sealed under a key token, as hex (64 digits per token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed(String);

impl Sealed {
    /// A sealed value as read back from the database.
    pub fn from_stored(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The sealed value as hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn keystream(key: &Token, label: &str, index: usize) -> [u8; TOKEN_BYTES] {
    // A derived value is 64 hex digits by construction, so it always has its bytes.
    hex_bytes(&key.derive(&format!("{label}/{index}"))).unwrap_or([0; TOKEN_BYTES])
}

fn token_bytes(token: &Token) -> Option<[u8; TOKEN_BYTES]> {
    hex_bytes(token.expose())
}

fn hex_bytes(text: &str) -> Option<[u8; TOKEN_BYTES]> {
    let hex = text.as_bytes();
    if hex.len() != TOKEN_BYTES * 2 {
        return None;
    }
    let mut out = [0u8; TOKEN_BYTES];
    for (i, pair) in hex.chunks(2).enumerate() {
        let text = std::str::from_utf8(pair).ok()?;
        *out.get_mut(i)? = u8::from_str_radix(text, 16).ok()?;
    }
    Some(out)
}

fn xor(a: [u8; TOKEN_BYTES], b: [u8; TOKEN_BYTES]) -> [u8; TOKEN_BYTES] {
    std::array::from_fn(|i| a[i] ^ b[i])
}

impl Token {
    /// `tokens` sealed under this token for `label` (the purpose, so that one key never opens
    /// a value sealed for another).
    pub fn seal(&self, label: &str, tokens: &[&Token]) -> Sealed {
        let mut out = String::with_capacity(tokens.len() * TOKEN_BYTES * 2);
        for (i, token) in tokens.iter().enumerate() {
            // A token is 64 hex digits by construction, so it always has its bytes.
            let plain = token_bytes(token).unwrap_or([0; TOKEN_BYTES]);
            out.push_str(&hex(&xor(plain, keystream(self, label, i))));
        }
        Sealed(out)
    }

    /// The tokens sealed under this token for `label`; `None` when `sealed` is no sealed value.
    pub fn unseal(&self, label: &str, sealed: &Sealed) -> Option<Vec<Token>> {
        let text = sealed.as_str();
        if text.is_empty() || !text.len().is_multiple_of(TOKEN_BYTES * 2) {
            return None;
        }
        text.as_bytes()
            .chunks(TOKEN_BYTES * 2)
            .enumerate()
            .map(|(i, chunk)| {
                let chunk = Token::parse(std::str::from_utf8(chunk).ok()?)?;
                let plain = xor(token_bytes(&chunk)?, keystream(self, label, i));
                Token::parse(&hex(&plain))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_key_token_opens_what_it_sealed() {
        let key = Token::generate().unwrap();
        let (a, b) = (Token::generate().unwrap(), Token::generate().unwrap());
        let sealed = key.seal("test", &[&a, &b]);
        assert_eq!(sealed.as_str().len(), 128);
        assert!(!sealed.as_str().contains(a.expose()) && !sealed.as_str().contains(b.expose()));
        assert_eq!(
            key.unseal("test", &sealed),
            Some(vec![a.clone(), b.clone()])
        );

        let other = Token::generate().unwrap();
        assert_ne!(
            other.unseal("test", &sealed),
            Some(vec![a.clone(), b.clone()])
        );
        assert_ne!(key.unseal("other", &sealed), Some(vec![a, b]));
        // The keystream is not the stored hash of the key.
        assert_ne!(&sealed.as_str()[..64], key.hash().as_str());
        assert_eq!(key.unseal("test", &Sealed::from_stored("abc")), None);
        assert_eq!(key.unseal("test", &Sealed::from_stored("")), None);
    }

    #[test]
    fn two_tokens_sealed_together_do_not_share_a_keystream() {
        let key = Token::generate().unwrap();
        let a = Token::generate().unwrap();
        let sealed = key.seal("test", &[&a, &a]);
        assert_ne!(&sealed.as_str()[..64], &sealed.as_str()[64..]);
    }
}
