//! Housekeeping: what has served its purpose leaves the database. Idle sessions, expired
//! remember-me tokens, captchas and links, counters nobody trips over any more, and sent mails
//! after `outbox.keep_sent` (privacy: an address and a link are personal data), and entries of the
//! audit trail after `audit.retention`; and the PDF of an allocation letter (it holds the PIN)
//! after `letters.keep`; and applications of the digitaal loket, with their plates, after
//! `loket.keep_decided` from their decision.

use crate::ports::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// The moments before which things go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// Now: what expired before it goes (remember-me tokens, captchas).
    pub now: DateTime<Utc>,
    /// Remember-me tokens replaced before this are past their grace: what their exchange
    /// sealed is erased (the tokens stay until they expire, to recognise a stolen copy).
    pub replaced_before: DateTime<Utc>,
    /// Sessions last seen before this have timed out.
    pub sessions_seen_before: DateTime<Utc>,
    /// E-mail links that expired before this go (kept a while so a late click still gets a clear
    /// "expired" page rather than "unknown").
    pub links_expired_before: DateTime<Utc>,
    /// Mails sent before this go.
    pub mails_sent_before: DateTime<Utc>,
    /// Counters idle since before this, and not blocking, go.
    pub counters_idle_before: DateTime<Utc>,
    /// Idempotency keys claimed before this go (with the answers kept for them).
    pub idempotency_keys_before: DateTime<Utc>,
    /// Entries of the audit trail written before this go.
    pub audit_before: DateTime<Utc>,
    /// Console sessions last seen before this have timed out.
    pub staff_sessions_seen_before: DateTime<Utc>,
    /// Applications decided (granted or rejected) before this go, with their plates.
    pub applications_decided_before: DateTime<Utc>,
}

/// How many rows went, per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    /// Login sessions.
    pub sessions: u64,
    /// Remember-me tokens.
    pub remember_tokens: u64,
    /// Captcha challenges.
    pub captchas: u64,
    /// E-mail links.
    pub links: u64,
    /// Sent mails.
    pub mails: u64,
    /// Throttle counters.
    pub counters: u64,
    /// Idempotency keys.
    pub idempotency_keys: u64,
    /// Entries of the audit trail.
    pub audit_entries: u64,
    /// Console sessions timed out (their time-out was recorded when the cookie came back, if it
    /// did).
    pub staff_sessions: u64,
    /// Enrolment links used or expired before the links' cutoff.
    pub staff_links: u64,
    /// Allocation letters whose PDF (with its PIN) was deleted at the end of their keeping.
    pub letters: u64,
    /// Batch PDFs (with the PINs of the batch) deleted at the end of their keeping.
    pub batch_letters: u64,
    /// Applications deleted the kept time after their decision.
    pub applications: u64,
}

impl Purged {
    /// Whether anything went.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Deleting what the cutoffs say.
#[async_trait]
pub trait HousekeepingRepository: Send + Sync {
    /// Deletes everything older than its cutoff.
    async fn purge(&self, cutoffs: &Cutoffs) -> Result<Purged, StoreError>;
}

/// How long things are kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// The idle time-out of sessions.
    pub idle_timeout: Duration,
    /// How long sent mails stay in the outbox.
    pub keep_sent: Duration,
    /// How long idempotency keys are kept.
    pub idempotency_keys: Duration,
    /// How long entries of the audit trail are kept.
    pub audit: Duration,
    /// The idle time-out of console sessions.
    pub staff_idle_timeout: Duration,
    /// How long a decided application is kept.
    pub decided_applications: Duration,
}

/// The housekeeping use case; every instance may run it, deletes are idempotent.
#[derive(Clone)]
pub struct Housekeeping {
    repo: Arc<dyn HousekeepingRepository>,
    clock: Arc<dyn crate::Clock>,
    retention: Retention,
}

impl Housekeeping {
    /// On its port.
    pub fn new(
        repo: Arc<dyn HousekeepingRepository>,
        clock: Arc<dyn crate::Clock>,
        retention: Retention,
    ) -> Self {
        Self {
            repo,
            clock,
            retention,
        }
    }

    /// Deletes what is past its time.
    pub async fn run_once(&self) -> Result<Purged, StoreError> {
        let now = self.clock.now();
        self.repo
            .purge(&Cutoffs {
                now,
                replaced_before: now - Duration::seconds(crate::accounts::REMEMBER_GRACE_SECONDS),
                sessions_seen_before: now - self.retention.idle_timeout,
                links_expired_before: now - Duration::days(30),
                mails_sent_before: now - self.retention.keep_sent,
                counters_idle_before: now - Duration::days(1),
                idempotency_keys_before: now - self.retention.idempotency_keys,
                audit_before: now - self.retention.audit,
                staff_sessions_seen_before: now - self.retention.staff_idle_timeout,
                applications_decided_before: now - self.retention.decided_applications,
            })
            .await
    }
}
