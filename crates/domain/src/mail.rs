//! E-mail: what the domain wants to say ([`MailMessage`]), how it becomes a mail
//! ([`MailComposer`], templates in the web kit), the outbox every mail leaves from
//! ([`OutboxRepository`]) and the worker that hands due mails to a [`MailTransport`] with retries
//! and back-off, so that nothing is lost while the mail server is down.

use crate::email::EmailAddress;
use crate::ids::{MailId, TenantId};
use crate::ports::StoreError;
use crate::tenant::Language;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use std::sync::Arc;

/// The gemeente a mail is about: its name and logo head the mail.
#[derive(Debug, Clone)]
pub struct MailBrand {
    /// The gemeente.
    pub tenant: TenantId,
    /// Its name.
    pub name: String,
    /// An absolute URL of its logo.
    pub logo_url: String,
    /// Its time zone, for dates in the mail.
    pub time_zone: Tz,
}

/// What a mail says, before it is put into words.
#[derive(Debug, Clone)]
pub enum MailMessage {
    /// A product waits to be coupled to the recipient's account.
    Coupling {
        /// The product type's name ("Bezoekersregeling").
        product: String,
        /// The zone's name.
        zone: String,
        /// The single-use link.
        link: String,
        /// When the link stops working.
        expires_at: DateTime<Utc>,
        /// A permit for more than one plate: the mail says one must be switched on.
        plate_switch: bool,
    },
    /// Someone gave the recipient a mandate on a product: the link couples it to an account.
    Mandate {
        /// The owner's address.
        owner: String,
        /// The product type's name.
        product: String,
        /// The zone's name.
        zone: String,
        /// The one plate the mandate is for, if any.
        plate: Option<crate::plate::Plate>,
        /// The balance given, in the product's unit, when it has one of its own.
        amount: Option<(crate::product_type::BalanceUnit, rust_decimal::Decimal)>,
        /// The single-use link.
        link: String,
        /// When the link stops working.
        expires_at: DateTime<Utc>,
    },
    /// The one-time link with which a new staff member enrols in the console (or one whose
    /// second factor was reset enrols again).
    StaffEnrolment {
        /// The staff member's name.
        name: String,
        /// The single-use link.
        link: String,
        /// When the link stops working.
        expires_at: DateTime<Utc>,
    },
    /// An application in the digitaal loket was received: its reference and status link.
    ApplicationReceived {
        /// The reference the applicant quotes.
        reference: String,
        /// The product type's name.
        product: String,
        /// The status page's link.
        link: String,
    },
    /// An application was rejected: the reason, and the status link.
    ApplicationRejected {
        /// The reference the applicant quotes.
        reference: String,
        /// The product type's name.
        product: String,
        /// Why.
        reason: String,
        /// A status page link.
        link: String,
    },
    /// The gemeente asks the applicant for more information, answered on the status page.
    ApplicationQuestion {
        /// The reference the applicant quotes.
        reference: String,
        /// The product type's name.
        product: String,
        /// The question.
        question: String,
        /// The status page link, where the answer is given.
        link: String,
    },
    /// An application made while logged in was granted: the product is in the account.
    ApplicationGranted {
        /// The reference the applicant quotes.
        reference: String,
        /// The product type's name.
        product: String,
        /// The portal's products page.
        link: String,
    },
    /// A link to set a new password ("Wachtwoord vergeten?").
    PasswordReset {
        /// The single-use link.
        link: String,
        /// When the link stops working.
        expires_at: DateTime<Utc>,
    },
}

/// A mail ready for the outbox.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// The recipient.
    pub to: EmailAddress,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
    /// The gemeente it is about, if any.
    pub tenant: Option<TenantId>,
    /// The plates it mentions: the privacy job takes them out once the gemeente's retention has
    /// passed, should the mail still be kept.
    pub plates: Vec<crate::plate::Plate>,
}

/// Composing a mail failed (a template is broken).
#[derive(Debug, thiserror::Error)]
#[error("composing a mail failed: {0}")]
pub struct ComposeError(pub String);

/// Turns a message into a mail in the recipient's language, with the gemeente's name and logo.
pub trait MailComposer: Send + Sync {
    /// The mail to `to` saying `message`.
    fn compose(
        &self,
        to: &EmailAddress,
        language: Language,
        brand: Option<&MailBrand>,
        message: &MailMessage,
    ) -> Result<OutgoingMail, ComposeError>;
}

/// A mail as the outbox keeps it.
#[derive(Debug, Clone)]
pub struct QueuedMail {
    /// Its id.
    pub id: MailId,
    /// The recipient.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// How many times sending failed.
    pub attempts: i32,
    /// When it was sent, if it was.
    pub sent_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// The outbox table.
#[async_trait]
pub trait OutboxRepository: Send + Sync {
    /// Queues a mail (use cases that write more than a mail queue theirs in their own transaction).
    async fn enqueue(&self, mail: &OutgoingMail, now: DateTime<Utc>) -> Result<MailId, StoreError>;
    /// Claims up to `limit` due mails for `claimant` until `now + lease`: no other worker, in
    /// this process or another, gets them until the lease ends. A claim is one conditional update
    /// per mail, so that two workers never claim the same mail.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u64,
        claimant: &str,
    ) -> Result<Vec<QueuedMail>, StoreError>;
    /// Records that a mail `claimant` holds went out, keeping `text` and `html` (with the links
    /// taken out) as its record. A worker whose lease ran out changes nothing.
    async fn mark_sent(
        &self,
        id: MailId,
        claimant: &str,
        now: DateTime<Utc>,
        text: &str,
        html: &str,
    ) -> Result<(), StoreError>;
    /// Records a failed attempt of `claimant` and when to try again.
    async fn mark_failed(
        &self,
        id: MailId,
        claimant: &str,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The newest mails, newest first.
    async fn list(&self, limit: u64) -> Result<Vec<QueuedMail>, StoreError>;
    /// One mail.
    async fn get(&self, id: MailId) -> Result<Option<QueuedMail>, StoreError>;
}

/// Sending failed; the mail stays in the outbox and is tried again later.
#[derive(Debug, thiserror::Error)]
#[error("sending failed: {0}")]
pub struct TransportError(pub String);

/// A way to deliver mail (SMTP in production).
#[async_trait]
pub trait MailTransport: Send + Sync {
    /// Delivers one mail.
    async fn send(&self, mail: &QueuedMail) -> Result<(), TransportError>;
}

/// The wait before the next attempt after `attempts` failures: 30 s doubling up to an hour, so a
/// mail server that is down for a day still gets every mail once it is back.
pub fn back_off(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    Duration::seconds((30_i64 << exponent).min(3600))
}

/// Sends what is due from the outbox. Run [`OutboxWorker::run_once`] on every poll; several
/// instances may run it at once.
#[derive(Clone)]
pub struct OutboxWorker {
    repo: Arc<dyn OutboxRepository>,
    transport: Arc<dyn MailTransport>,
    clock: Arc<dyn crate::Clock>,
}

/// What one run of the worker did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxRun {
    /// Mails that went out.
    pub sent: usize,
    /// Mails that failed and wait for their next attempt.
    pub failed: usize,
}

/// How long a claim of one mail lasts: far longer than an SMTP conversation with its time-outs,
/// short enough that a crashed worker's mail is picked up by another within minutes.
const LEASE_SECONDS: i64 = 600;
/// Mails per run. Each is claimed just before it is sent, so a slow server never lets a claim
/// run out while the mail waits its turn.
const BATCH: usize = 20;

/// A sent mail keeps its words but not its working links: every run of 32 or more hexadecimal
/// digits (the tokens of coupling and reset links) becomes `…`. The database then holds no
/// usable link, only its hash.
pub fn redact_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 32 {
            out.push('…');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

impl OutboxWorker {
    /// A worker sending through `transport`.
    pub fn new(
        repo: Arc<dyn OutboxRepository>,
        transport: Arc<dyn MailTransport>,
        clock: Arc<dyn crate::Clock>,
    ) -> Self {
        Self {
            repo,
            transport,
            clock,
        }
    }

    /// Sends what is due, claiming one mail at a time. A failure is kept on its mail
    /// (`last_error`, shown by `parkportal outbox`); the caller logs the counts.
    pub async fn run_once(&self) -> Result<OutboxRun, StoreError> {
        let claimant = crate::secret::Token::generate()
            .map_err(|e| StoreError::new(e.to_string()))?
            .expose()[..32]
            .to_owned();
        let (mut sent, mut failed) = (0, 0);
        for _ in 0..BATCH {
            let now = self.clock.now();
            let Some(mail) = self
                .repo
                .claim_due(now, Duration::seconds(LEASE_SECONDS), 1, &claimant)
                .await?
                .pop()
            else {
                break;
            };
            match self.transport.send(&mail).await {
                Ok(()) => {
                    let (text, html) = (redact_tokens(&mail.text), redact_tokens(&mail.html));
                    self.repo
                        .mark_sent(mail.id, &claimant, self.clock.now(), &text, &html)
                        .await?;
                    sent += 1;
                }
                Err(e) => {
                    let next = self.clock.now() + back_off(mail.attempts + 1);
                    failed += 1;
                    self.repo
                        .mark_failed(mail.id, &claimant, &e.0, next)
                        .await?;
                }
            }
        }
        Ok(OutboxRun { sent, failed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sent_mails_keep_no_working_link() {
        let token = "ab".repeat(32);
        let text = format!("Open: https://x.nl/koppel/{token}\nCode 12-34 blijft.");
        let redacted = redact_tokens(&text);
        assert_eq!(redacted, "Open: https://x.nl/koppel/…\nCode 12-34 blijft.");
        assert_eq!(redact_tokens("cafe 2026 deadbeef"), "cafe 2026 deadbeef");
    }

    #[test]
    fn back_off_doubles_up_to_an_hour() {
        assert_eq!(back_off(1), Duration::seconds(30));
        assert_eq!(back_off(2), Duration::seconds(60));
        assert_eq!(back_off(5), Duration::seconds(480));
        assert_eq!(back_off(8), Duration::seconds(3600));
        assert_eq!(back_off(100), Duration::seconds(3600));
    }
}
