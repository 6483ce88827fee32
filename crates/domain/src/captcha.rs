//! The self-hosted captcha: a question in words that a screen reader reads out and a person answers
//! easily ("Hoeveel is zeven plus vijf?"), drawn from a large and varied set. The answer is kept
//! server-side as a hash; a challenge can be answered once and expires within minutes.

use crate::ports::StoreError;
use crate::secret::{RandomError, Token};
use crate::tenant::Language;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The challenges.
#[async_trait]
pub trait CaptchaRepository: Send + Sync {
    /// Stores a challenge.
    async fn create(
        &self,
        id: &str,
        answer_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Uses up the challenge `id` when it is unused and unexpired, returning its answer hash.
    /// A challenge is used up whatever the answer, so that it cannot be tried twice.
    async fn take(&self, id: &str, now: DateTime<Utc>) -> Result<Option<String>, StoreError>;
}

/// A challenge to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Its id, sent back with the answer.
    pub id: String,
    /// The question, in the visitor's language.
    pub question: String,
}

/// How long a challenge can be answered.
pub const CAPTCHA_LIFETIME_MINUTES: i64 = 10;

const NL_NUMBERS: [&str; 21] = [
    "nul",
    "een",
    "twee",
    "drie",
    "vier",
    "vijf",
    "zes",
    "zeven",
    "acht",
    "negen",
    "tien",
    "elf",
    "twaalf",
    "dertien",
    "veertien",
    "vijftien",
    "zestien",
    "zeventien",
    "achttien",
    "negentien",
    "twintig",
];
const EN_NUMBERS: [&str; 21] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];
const NL_DAYS: [&str; 7] = [
    "maandag",
    "dinsdag",
    "woensdag",
    "donderdag",
    "vrijdag",
    "zaterdag",
    "zondag",
];
const EN_DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const NL_WORDS: [&str; 24] = [
    "fiets", "gracht", "molen", "tulp", "kaas", "brug", "haven", "straat", "parkeren", "auto",
    "plein", "toren", "water", "dijk", "polder", "zomer", "winter", "bloem", "markt", "trein",
    "boot", "regen", "stoep", "kade",
];
const EN_WORDS: [&str; 24] = [
    "bicycle", "canal", "mill", "tulip", "cheese", "bridge", "harbour", "street", "parking", "car",
    "square", "tower", "water", "dike", "meadow", "summer", "winter", "flower", "market", "train",
    "boat", "rain", "pavement", "quay",
];
const NL_ORDINALS: [&str; 5] = ["eerste", "tweede", "derde", "vierde", "vijfde"];
const EN_ORDINALS: [&str; 5] = ["first", "second", "third", "fourth", "fifth"];

fn random_below(n: usize) -> Result<usize, RandomError> {
    // Two bytes of a fresh token: plenty for choosing among a few dozen options.
    let token = Token::generate()?;
    let v = u16::from_str_radix(&token.expose()[..4], 16).unwrap_or(0);
    Ok(usize::from(v) % n.max(1))
}

/// A question and its answer, before storing.
fn draw(language: Language) -> Result<(String, String), RandomError> {
    let nl = language == Language::Nl;
    let numbers = if nl { &NL_NUMBERS } else { &EN_NUMBERS };
    Ok(match random_below(5)? {
        0 => {
            let (a, b) = (1 + random_below(10)?, 1 + random_below(10)?);
            let q = if nl {
                format!("Hoeveel is {} plus {}?", numbers[a], numbers[b])
            } else {
                format!("What is {} plus {}?", numbers[a], numbers[b])
            };
            (q, (a + b).to_string())
        }
        1 => {
            let a = 5 + random_below(16)?;
            let b = 1 + random_below(a - 1)?;
            let q = if nl {
                format!("Hoeveel is {} min {}?", numbers[a], numbers[b])
            } else {
                format!("What is {} minus {}?", numbers[a], numbers[b])
            };
            (q, (a - b).to_string())
        }
        2 => {
            let a = random_below(20)?;
            let q = if nl {
                format!("Welk getal komt na {}?", numbers[a])
            } else {
                format!("Which number comes after {}?", numbers[a])
            };
            (q, (a + 1).to_string())
        }
        3 => {
            let days = if nl { &NL_DAYS } else { &EN_DAYS };
            let d = random_below(7)?;
            let q = if nl {
                format!("Welke dag komt na {}?", days[d])
            } else {
                let day = days[d];
                let mut chars = day.chars();
                let capital: String = chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default();
                format!("Which day comes after {capital}?")
            };
            (q, days[(d + 1) % 7].to_owned())
        }
        _ => {
            let words = if nl { &NL_WORDS } else { &EN_WORDS };
            let ordinals = if nl { &NL_ORDINALS } else { &EN_ORDINALS };
            let word = words[random_below(words.len())?];
            let n = random_below(word.chars().count().min(5))?;
            let letter = word.chars().nth(n).map(String::from).unwrap_or_default();
            let q = if nl {
                format!(
                    "Wat is de {} letter van het woord \u{201c}{word}\u{201d}?",
                    ordinals[n]
                )
            } else {
                format!(
                    "What is the {} letter of the word \u{201c}{word}\u{201d}?",
                    ordinals[n]
                )
            };
            (q, letter)
        }
    })
}

/// What a person may type for an answer: trimmed, lower case, a number word read as its digits.
fn normalise(answer: &str) -> String {
    let a = answer.trim().trim_end_matches('.').to_lowercase();
    NL_NUMBERS
        .iter()
        .position(|w| *w == a || (a == "één" && *w == "een"))
        .or_else(|| EN_NUMBERS.iter().position(|w| *w == a))
        .map_or(a, |n| n.to_string())
}

fn hash(answer: &str) -> String {
    Sha256::digest(normalise(answer).as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Why a challenge could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CaptchaError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No random id could be drawn.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// The captcha use cases.
#[derive(Clone)]
pub struct Captchas {
    repo: Arc<dyn CaptchaRepository>,
    clock: Arc<dyn crate::Clock>,
}

impl Captchas {
    /// On their port.
    pub fn new(repo: Arc<dyn CaptchaRepository>, clock: Arc<dyn crate::Clock>) -> Self {
        Self { repo, clock }
    }

    /// A new challenge in `language`.
    pub async fn challenge(&self, language: Language) -> Result<Challenge, CaptchaError> {
        let (question, answer) = draw(language)?;
        let id = Token::generate()?.expose()[..32].to_owned();
        let now = self.clock.now();
        self.repo
            .create(
                &id,
                &hash(&answer),
                now,
                now + Duration::minutes(CAPTCHA_LIFETIME_MINUTES),
            )
            .await?;
        Ok(Challenge { id, question })
    }

    /// Whether `answer` answers challenge `id`; uses the challenge up either way.
    pub async fn verify(&self, id: &str, answer: &str) -> Result<bool, StoreError> {
        if id.is_empty() || id.len() > 64 {
            return Ok(false);
        }
        let stored = self.repo.take(id, self.clock.now()).await?;
        Ok(stored.is_some_and(|h| h == hash(answer)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn questions_vary_and_their_answers_check() {
        let mut seen = HashSet::new();
        for _ in 0..300 {
            for language in [Language::Nl, Language::En] {
                let (q, a) = draw(language).unwrap();
                assert!(q.ends_with('?'), "{q}");
                assert!(!a.is_empty(), "{q}");
                assert_eq!(hash(&a), hash(&format!("  {} ", a.to_uppercase())));
                seen.insert(q);
            }
        }
        assert!(seen.len() > 150, "only {} different questions", seen.len());
    }

    #[test]
    fn number_words_count_as_their_digits() {
        assert_eq!(normalise("Twaalf"), "12");
        assert_eq!(normalise("twelve"), "12");
        assert_eq!(normalise("één"), "1");
        assert_eq!(normalise(" 7. "), "7");
        assert_eq!(normalise("dinsdag"), "dinsdag");
    }
}
