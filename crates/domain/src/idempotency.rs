//! Requests that create something, made once however often they arrive: the API's
//! `Idempotency-Key` and the one-time token of a confirm form (a double click on [Bevestigen]).
//!
//! The first request with a key claims it with the fingerprint of what it asks; its answer is
//! kept with the key. A repeat with the same fingerprint gets that answer again; one that arrives
//! while the first still runs waits for it; one with another fingerprint is refused. Keys belong
//! to an account and are kept for a configurable time (24 hours by default); housekeeping deletes
//! them after it.

use crate::Clock;
use crate::ids::AccountId;
use crate::ports::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The longest key a client may send, in bytes.
pub const MAX_KEY_LENGTH: usize = 255;
/// A claim without an answer this old belongs to a request that died (a crashed instance, a
/// panic): a repeat may take it over. The writes behind a key take milliseconds.
const ABANDONED_AFTER_SECONDS: i64 = 60;

/// A key as a client sent it: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The key of a header value; `None` when it is empty, too long or not visible ASCII.
    pub fn parse(s: &str) -> Option<Self> {
        (!s.is_empty() && s.len() <= MAX_KEY_LENGTH && s.bytes().all(|b| b.is_ascii_graphic()))
            .then(|| Self(s.to_owned()))
    }

    /// The key of a confirm form's one-time token (its own name space: a client's key never
    /// meets a form's).
    pub fn of_form(token: &str) -> Option<Self> {
        Self::parse(token).map(|t| Self(format!("form:{}", t.0)))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a request asks, in 64 hex digits: a repeat must ask the very same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The SHA-256 of `parts`, each length-prefixed so that no two splits give one print.
    pub fn of(parts: &[&[u8]]) -> Self {
        let mut hash = Sha256::new();
        for part in parts {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part);
        }
        Self(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }

    /// As stored.
    pub fn from_stored(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The answer the first request got, as it is given again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    /// The HTTP status.
    pub status: u16,
    /// Its `Content-Type`, if any.
    pub content_type: Option<String>,
    /// Its `Location`, if any (a form's redirect).
    pub location: Option<String>,
    /// The body (text: JSON, or nothing for a redirect).
    pub body: String,
}

/// A key as the store found it when a request tried to claim it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key was free (or its old use expired): this request claimed it and goes ahead.
    Claimed,
    /// Another request holds the key: its fingerprint, and its answer once it has one.
    Held {
        /// What that request asked.
        fingerprint: Fingerprint,
        /// Its answer; `None` while it still runs.
        answer: Option<StoredAnswer>,
    },
}

/// Where keys and their answers are kept.
#[async_trait]
pub trait IdempotencyRepository: Send + Sync {
    /// Claims `key` of `account` for a request with `fingerprint`, first dropping a use of it
    /// claimed before `expired_before`, or one still without an answer claimed before
    /// `abandoned_before`. Atomic: of simultaneous claims, one wins.
    async fn claim(
        &self,
        account: AccountId,
        key: &IdempotencyKey,
        fingerprint: &Fingerprint,
        now: DateTime<Utc>,
        (expired_before, abandoned_before): (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Claim, StoreError>;
    /// Keeps the answer of the request that claimed `key`.
    async fn complete(
        &self,
        account: AccountId,
        key: &IdempotencyKey,
        answer: &StoredAnswer,
    ) -> Result<(), StoreError>;
    /// Gives `key` up without an answer (the request failed inside): a repeat may try again.
    async fn release(&self, account: AccountId, key: &IdempotencyKey) -> Result<(), StoreError>;
}

/// What a request with a key does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// Go ahead, then [`Idempotency::complete`] or [`Idempotency::release`].
    Proceed,
    /// Answer this: the first request's answer.
    Replay(StoredAnswer),
    /// The first request with the key still runs: wait a moment and begin again, or answer 409
    /// `idempotency_key_in_use`.
    InUse,
    /// The key was used for another request (422 `idempotency_key_reused`).
    Reused,
}

/// The use case.
#[derive(Clone)]
pub struct Idempotency {
    repo: Arc<dyn IdempotencyRepository>,
    clock: Arc<dyn Clock>,
    keep: Duration,
}

impl Idempotency {
    /// Keys kept for `keep`.
    pub fn new(
        repo: Arc<dyn IdempotencyRepository>,
        clock: Arc<dyn Clock>,
        keep: Duration,
    ) -> Self {
        Self { repo, clock, keep }
    }

    /// Claims `key` for a request with `fingerprint`, or says what to answer instead.
    pub async fn begin(
        &self,
        account: AccountId,
        key: &IdempotencyKey,
        fingerprint: &Fingerprint,
    ) -> Result<Begin, StoreError> {
        let now = self.clock.now();
        Ok(
            match self
                .repo
                .claim(
                    account,
                    key,
                    fingerprint,
                    now,
                    (
                        now - self.keep,
                        now - Duration::seconds(ABANDONED_AFTER_SECONDS),
                    ),
                )
                .await?
            {
                Claim::Claimed => Begin::Proceed,
                Claim::Held { fingerprint: f, .. } if &f != fingerprint => Begin::Reused,
                Claim::Held {
                    answer: Some(answer),
                    ..
                } => Begin::Replay(answer),
                Claim::Held { answer: None, .. } => Begin::InUse,
            },
        )
    }

    /// Keeps `answer` for the repeats of the request that claimed `key`.
    pub async fn complete(
        &self,
        account: AccountId,
        key: &IdempotencyKey,
        answer: &StoredAnswer,
    ) -> Result<(), StoreError> {
        self.repo.complete(account, key, answer).await
    }

    /// Gives `key` up: the request failed and a repeat may try again.
    pub async fn release(
        &self,
        account: AccountId,
        key: &IdempotencyKey,
    ) -> Result<(), StoreError> {
        self.repo.release(account, key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_of_at_most_255_bytes() {
        assert!(IdempotencyKey::parse("a").is_some());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_some());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_none());
        assert!(IdempotencyKey::parse("").is_none());
        assert!(IdempotencyKey::parse("with space").is_none());
        assert!(IdempotencyKey::parse("é").is_none());
        assert_eq!(
            IdempotencyKey::of_form("abc").map(|k| k.as_str().to_owned()),
            Some("form:abc".to_owned())
        );
    }

    #[test]
    fn fingerprints_tell_splits_apart() {
        assert_eq!(
            Fingerprint::of(&[b"ab", b"c"]),
            Fingerprint::of(&[b"ab", b"c"])
        );
        assert_ne!(
            Fingerprint::of(&[b"ab", b"c"]),
            Fingerprint::of(&[b"a", b"bc"])
        );
        assert_eq!(Fingerprint::of(&[b"x"]).as_str().len(), 64);
    }
}
