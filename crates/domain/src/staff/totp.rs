//! The second factor: time-based one-time passwords (RFC 6238 over RFC 4226: HMAC-SHA1, 30-second
//! steps, 6 digits, one step of skew either way) and the recovery codes that stand in for a lost
//! authenticator. Both are small enough to write here rather than pull in a crate.

use crate::secret::{RandomError, hex};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Seconds in a step.
pub const STEP_SECONDS: i64 = 30;
/// Digits in a code.
const DIGITS: u32 = 6;
/// Bytes of a secret: 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
/// The base32 alphabet of RFC 4648, which authenticator apps read.
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A TOTP secret. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(…)")
    }
}

impl TotpSecret {
    /// A fresh random secret.
    pub fn generate() -> Result<Self, RandomError> {
        let mut bytes = vec![0u8; SECRET_BYTES];
        crate::secret::fill_random(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// A secret written in base32 (as stored, or typed from an app), spaces and case ignored.
    pub fn from_base32(text: &str) -> Option<Self> {
        let mut bits: u64 = 0;
        let mut count = 0;
        let mut out = Vec::new();
        for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
            let value = BASE32
                .iter()
                .position(|b| char::from(*b) == c.to_ascii_uppercase())?;
            bits = (bits << 5) | value as u64;
            count += 5;
            if count >= 8 {
                count -= 8;
                out.push((bits >> count) as u8);
                bits &= (1 << count) - 1;
            }
        }
        (out.len() >= 10).then_some(Self(out))
    }

    /// The secret in base32 without padding: what is stored, shown and put in the QR code.
    pub fn to_base32(&self) -> String {
        let mut out = String::new();
        let mut bits: u64 = 0;
        let mut count = 0;
        for byte in &self.0 {
            bits = (bits << 8) | u64::from(*byte);
            count += 8;
            while count >= 5 {
                count -= 5;
                out.push(char::from(BASE32[((bits >> count) & 31) as usize]));
            }
            bits &= (1 << count) - 1;
        }
        if count > 0 {
            out.push(char::from(BASE32[((bits << (5 - count)) & 31) as usize]));
        }
        out
    }

    /// The base32 text in groups of four, easier to type over.
    pub fn grouped(&self) -> String {
        let text = self.to_base32();
        text.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The `otpauth://` URI an authenticator app reads from the QR code.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let issuer = percent(issuer);
        format!(
            "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            percent(account),
            self.to_base32()
        )
    }

    /// The code of `step` (HOTP of the step counter).
    pub fn code_at(&self, step: i64) -> String {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
        let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = usize::from(digest[digest.len() - 1] & 0x0f);
        let word = u32::from_be_bytes([
            digest[offset] & 0x7f,
            digest[offset + 1],
            digest[offset + 2],
            digest[offset + 3],
        ]);
        format!(
            "{:0width$}",
            word % 10u32.pow(DIGITS),
            width = DIGITS as usize
        )
    }

    /// The step a code typed at `now` matches (the current step or one either side), if any,
    /// compared in constant time. Whether the step was used before is the caller's question.
    pub fn matching_step(&self, code: &str, now: DateTime<Utc>) -> Option<i64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let current = step_of(now);
        [current - 1, current, current + 1]
            .into_iter()
            .find(|step| same(&self.code_at(*step), &code))
    }
}

/// The step `now` falls in.
pub fn step_of(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(STEP_SECONDS)
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;
/// Characters in a recovery code: 25^16 ≈ 2^74, so a fast hash is safe to store.
const RECOVERY_LENGTH: usize = 16;

/// A recovery code: sixteen characters of the product codes' alphabet, shown in groups of four.
/// Each works once; the database keeps only its SHA-256.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(…)")
    }
}

impl RecoveryCode {
    /// A fresh code.
    pub fn generate() -> Result<Self, RandomError> {
        Ok(Self(crate::secret::random_code(RECOVERY_LENGTH)?))
    }

    /// What someone typed, if it has the shape of a recovery code (any case, dashes and spaces
    /// ignored).
    pub fn parse(input: &str) -> Option<Self> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        (s.len() == RECOVERY_LENGTH && crate::secret::in_code_alphabet(&s)).then_some(Self(s))
    }

    /// The code as shown once: `ABCD-EFGH-JKMN-PQRT`.
    pub fn shown(&self) -> String {
        self.0
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// What the database keeps.
    pub fn hash(&self) -> String {
        hex(&Sha256::digest(self.0.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The RFC 6238 appendix B secret ("12345678901234567890") and its SHA-1 codes, cut to six
    /// digits.
    #[test]
    fn codes_match_the_rfc_test_vectors() {
        let secret = TotpSecret(b"12345678901234567890".to_vec());
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            let at = Utc.timestamp_opt(time, 0).unwrap();
            assert_eq!(secret.code_at(step_of(at)), code, "at {time}");
            assert_eq!(secret.matching_step(code, at), Some(step_of(at)));
        }
    }

    #[test]
    fn one_step_of_skew_is_accepted_and_two_are_not() {
        let secret = TotpSecret::generate().unwrap();
        let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
        let step = step_of(now);
        assert_eq!(
            secret.matching_step(&secret.code_at(step - 1), now),
            Some(step - 1)
        );
        assert_eq!(
            secret.matching_step(&secret.code_at(step + 1), now),
            Some(step + 1)
        );
        let old = secret.code_at(step - 2);
        if ![step - 1, step, step + 1]
            .iter()
            .any(|s| secret.code_at(*s) == old)
        {
            assert_eq!(secret.matching_step(&old, now), None);
        }
        assert_eq!(secret.matching_step("12345", now), None);
        assert_eq!(secret.matching_step("abcdef", now), None);
    }

    #[test]
    fn base32_round_trips_and_reads_like_apps_write_it() {
        let secret = TotpSecret(b"12345678901234567890".to_vec());
        assert_eq!(secret.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            TotpSecret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq"),
            Some(secret.clone())
        );
        assert_eq!(secret.grouped().split(' ').count(), 8);
        let fresh = TotpSecret::generate().unwrap();
        assert_eq!(TotpSecret::from_base32(&fresh.to_base32()), Some(fresh));
        assert_eq!(TotpSecret::from_base32("not base32!"), None);
        assert!(!format!("{secret:?}").contains("GEZD"));
    }

    #[test]
    fn the_uri_names_issuer_account_and_parameters() {
        let secret = TotpSecret(b"12345678901234567890".to_vec());
        let uri = secret.otpauth_uri("Parkportal Dijkstad", "an@dijkstad.nl");
        assert_eq!(
            uri,
            "otpauth://totp/Parkportal%20Dijkstad:an%40dijkstad.nl?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Parkportal%20Dijkstad&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn recovery_codes_parse_back_in_any_case_and_hash_alike() {
        let code = RecoveryCode::generate().unwrap();
        let shown = code.shown();
        assert_eq!(shown.len(), 19);
        let typed = RecoveryCode::parse(&shown.to_lowercase()).unwrap();
        assert_eq!(typed.hash(), code.hash());
        assert!(RecoveryCode::parse("123456").is_none());
        assert_ne!(RecoveryCode::generate().unwrap().hash(), code.hash());
    }
}
