//! The password rules residents see before they type: at least 8 characters with letters and
//! digits, or at least 20 characters without further demands; never one of the common passwords.

use std::collections::HashSet;
use std::sync::OnceLock;

/// The shipped list of common passwords, lower case, one per line (`#` starts a comment).
const COMMON: &str = include_str!("../data/common-passwords.txt");

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// The shortest password that must mix letters and digits.
pub const MIN_LENGTH: usize = 8;
/// From this length on a password needs nothing else (a passphrase).
pub const PASSPHRASE_LENGTH: usize = 20;
/// Longer passwords are refused: hashing them would be work for nothing (and a way to tire us).
pub const MAX_LENGTH: usize = 200;

/// Why a new password was refused. Each has a stable code and a translated message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    /// Shorter than 8 characters.
    #[error("password_too_short")]
    TooShort,
    /// A staff member's: shorter than 12 characters.
    #[error("password_too_short_for_staff")]
    TooShortForStaff,
    /// Between 8 and 20 characters without both letters and digits.
    #[error("password_needs_letters_and_digits")]
    NeedsLettersAndDigits,
    /// Longer than [`MAX_LENGTH`].
    #[error("password_too_long")]
    TooLong,
    /// On the list of common passwords.
    #[error("password_too_common")]
    TooCommon,
    /// The repetition differs.
    #[error("password_mismatch")]
    Mismatch,
}

impl PasswordProblem {
    /// The stable code (also the catalogue key under `password.`).
    pub fn code(self) -> &'static str {
        match self {
            Self::TooShort => "password_too_short",
            Self::TooShortForStaff => "password_too_short_for_staff",
            Self::NeedsLettersAndDigits => "password_needs_letters_and_digits",
            Self::TooLong => "password_too_long",
            Self::TooCommon => "password_too_common",
            Self::Mismatch => "password_mismatch",
        }
    }
}

/// A new password that meets the rules. Only this type can be hashed into an account.
#[derive(Clone)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

impl NewPassword {
    /// Checks `password` and its repetition against the rules.
    pub fn parse(password: &str, repeat: &str) -> Result<Self, PasswordProblem> {
        let length = password.chars().count();
        if length > MAX_LENGTH {
            return Err(PasswordProblem::TooLong);
        }
        if length < MIN_LENGTH {
            return Err(PasswordProblem::TooShort);
        }
        if length < PASSPHRASE_LENGTH {
            let letters = password.chars().any(char::is_alphabetic);
            let digits = password.chars().any(|c| c.is_ascii_digit());
            if !(letters && digits) {
                return Err(PasswordProblem::NeedsLettersAndDigits);
            }
        }
        if common().contains(password.to_lowercase().as_str()) {
            return Err(PasswordProblem::TooCommon);
        }
        if password != repeat {
            return Err(PasswordProblem::Mismatch);
        }
        Ok(Self(password.to_owned()))
    }

    /// The password itself, for the hasher.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(p: &str) -> Result<NewPassword, PasswordProblem> {
        NewPassword::parse(p, p)
    }

    #[test]
    fn the_list_is_large() {
        assert!(common().len() >= 10_000, "{}", common().len());
        assert!(common().contains("password1"));
        assert!(common().contains("wachtwoord"));
    }

    #[test]
    fn short_passwords_need_letters_and_digits() {
        assert_eq!(check("kort1").unwrap_err(), PasswordProblem::TooShort);
        assert_eq!(
            check("alleenletters").unwrap_err(),
            PasswordProblem::NeedsLettersAndDigits
        );
        assert_eq!(
            check("1234567890").unwrap_err(),
            PasswordProblem::NeedsLettersAndDigits
        );
        assert!(check("fietsbel42").is_ok());
    }

    #[test]
    fn passphrases_need_nothing_else() {
        assert!(check("paarse olifant op de fiets").is_ok());
        assert_eq!(
            check("paarse olifant").unwrap_err(),
            PasswordProblem::NeedsLettersAndDigits
        );
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        assert_eq!(check("Password1").unwrap_err(), PasswordProblem::TooCommon);
        assert_eq!(check("Welkom01").unwrap_err(), PasswordProblem::TooCommon);
    }

    #[test]
    fn the_repetition_must_match_and_long_is_refused() {
        assert_eq!(
            NewPassword::parse("fietsbel42", "fietsbel43").unwrap_err(),
            PasswordProblem::Mismatch
        );
        assert_eq!(
            check(&"a1".repeat(101)).unwrap_err(),
            PasswordProblem::TooLong
        );
    }

    #[test]
    fn debug_never_shows_the_password() {
        assert!(!format!("{:?}", check("fietsbel42").unwrap()).contains("fiets"));
    }
}
