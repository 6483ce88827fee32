//! Deciding applications (#25): what the staff queue and detail show, the duplicates an
//! application has, and what a decision stores (its message with a link, its mail, its entry in
//! the audit trail) in one transaction.

use super::application::ApplicationStatus;
use crate::audit::AuditEntry;
use crate::email::EmailAddress;
use crate::ids::{AccountId, ApplicationId};
use crate::letters::Recipient;
use crate::mail::OutgoingMail;
use crate::plate::Plate;
use crate::product_type::ProductKind;
use crate::secret::TokenHash;
use crate::tenant::{Code, Language};
use chrono::{DateTime, Utc};

/// The longest question, reason or answer (a letter's page, not a dossier).
pub const MESSAGE_MAX: usize = 2000;

/// What a message of an application's exchange is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// The gemeente asks for more information.
    Question,
    /// The applicant answers on the status page.
    Answer,
    /// The reason of a rejection (the rule's or a medewerker's).
    Reason,
}

impl MessageKind {
    /// The stable name in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Question => "question",
            Self::Answer => "answer",
            Self::Reason => "reason",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Question, Self::Answer, Self::Reason]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A message of an application's exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationMessage {
    /// Question, answer or reason.
    pub kind: MessageKind,
    /// As written.
    pub body: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A question, a reason or an answer as typed: trimmed, 1 to [`MESSAGE_MAX`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageText(String);

impl MessageText {
    /// `text` trimmed, or `None` when empty or longer than [`MESSAGE_MAX`].
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        (!text.is_empty() && text.chars().count() <= MESSAGE_MAX).then(|| Self(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message the gemeente sends: stored in the exchange with the hash of the status link its
/// mail carries (each mail its own link: only hashes are kept, so an earlier link cannot be
/// mailed again).
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    /// Question or reason.
    pub kind: MessageKind,
    /// The text.
    pub body: String,
    /// The hash of the status link in `mail`.
    pub token_hash: TokenHash,
    /// The mail to the applicant.
    pub mail: OutgoingMail,
}

/// The open applications and products of the same type at the same address or for the same
/// plates: the rule's counts and the detail page's warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Related {
    /// Codes of active products whose holder lives at the address.
    pub products_at_address: Vec<String>,
    /// References of other open applications for the address.
    pub applications_at_address: Vec<String>,
    /// Active products holding one of the plates, with the plate.
    pub products_for_plates: Vec<(String, Plate)>,
    /// Other open applications asking for one of the plates, with the plate.
    pub applications_for_plates: Vec<(String, Plate)>,
}

impl Related {
    /// The counts a rule script sees (products and applications, each counted once).
    pub fn counts(&self) -> super::rule::Counts {
        let distinct = |items: &[(String, Plate)]| {
            let mut seen: Vec<&str> = items.iter().map(|(r, _)| r.as_str()).collect();
            seen.sort_unstable();
            seen.dedup();
            seen.len() as i64
        };
        super::rule::Counts {
            active_products_at_address: self.products_at_address.len() as i64,
            open_applications_at_address: self.applications_at_address.len() as i64,
            active_products_for_plates: distinct(&self.products_for_plates),
            open_applications_for_plates: distinct(&self.applications_for_plates),
        }
    }

    /// Whether there is anything to warn about.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Which applications the queue shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// One status; `None`: every open one (received, in review, information asked).
    pub status: Option<ApplicationStatus>,
    /// One product type.
    pub product_type: Option<Code>,
    /// Only those made at least this many days ago.
    pub min_days: Option<u32>,
}

/// The most rows the queue shows at once (oldest first: those waiting longest).
pub const QUEUE_MAX: u64 = 200;

/// A row of the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    /// Its id.
    pub id: ApplicationId,
    /// Its reference.
    pub reference: String,
    /// The product type's code and name.
    pub product_type: (Code, String),
    /// Where it stands.
    pub status: ApplicationStatus,
    /// The applicant's name.
    pub name: String,
    /// The postcode and house number.
    pub address: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// What the rule answered: `approve`, `review`, `reject`, `rule_error`.
    pub rule_outcome: Option<String>,
}

/// Whole days between `from` and `now` (the queue's "dagen open").
pub fn days_open(from: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (now - from).num_days().max(0)
}

/// An application as staff see it on its own page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffApplication {
    /// Its id.
    pub id: ApplicationId,
    /// Its reference.
    pub reference: String,
    /// The product type's code, name and kind.
    pub product_type: (Code, String, ProductKind),
    /// Where it stands.
    pub status: ApplicationStatus,
    /// Name and postal address.
    pub applicant: Recipient,
    /// Where its mails go.
    pub email: EmailAddress,
    /// The language of its mails.
    pub language: Language,
    /// The plates asked for.
    pub plates: Vec<Plate>,
    /// The applicant's remark.
    pub remark: Option<String>,
    /// The account it was made from (coupled at once when granted).
    pub account: Option<AccountId>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// The code of the product granted.
    pub product: Option<String>,
    /// What the rule answered.
    pub rule_outcome: Option<String>,
    /// The exchange, oldest first.
    pub messages: Vec<ApplicationMessage>,
    /// Counted up by every decision, question and answer: what the page's decision is taken
    /// on.
    pub revision: i64,
}

/// What deciding reads of an application before it decides (no personal data shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decidable {
    /// The reference, for the mails.
    pub reference: String,
    /// The product type's code and name.
    pub product_type: (Code, String),
    /// Where it stands.
    pub status: ApplicationStatus,
    /// Name and postal address (the product's holder, the letter's address).
    pub applicant: Recipient,
    /// Where its mails go.
    pub email: EmailAddress,
    /// The language of its mails.
    pub language: Language,
    /// The plates asked for.
    pub plates: Vec<Plate>,
    /// The account it was made from.
    pub account: Option<AccountId>,
    /// Its revision now.
    pub revision: i64,
}

/// A rejection or a question to store.
#[derive(Debug, Clone)]
pub struct StaffDecision {
    /// The application.
    pub id: ApplicationId,
    /// The revision it is decided on: stored only while the application is open and still at
    /// it (of two medewerkers deciding at once, one wins and the other is told).
    pub seen: i64,
    /// The reason or question, with its link and mail.
    pub message: OutgoingMessage,
    /// Its entry in the audit trail.
    pub audit: AuditEntry,
}

/// What the store keeps with a product issued for an application, in the product's
/// transaction: the application granted (only when still open), the product named, coupled to
/// the applicant's account when they applied logged in, their mail and the decision's entry.
#[derive(Debug, Clone)]
pub struct ApplicationGrant {
    /// The application.
    pub id: ApplicationId,
    /// The revision it is granted on (see [`StaffDecision::seen`]).
    pub seen: i64,
    /// The account the product is coupled to at once.
    pub owner: Option<AccountId>,
    /// The mail to a logged-in applicant (one who applied anonymously gets the coupling mail).
    pub mail: Option<OutgoingMail>,
    /// The decision's entry in the audit trail.
    pub audit: AuditEntry,
}

/// How answering a question ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// Stored; the application is in review again.
    Stored,
    /// No question is open (answered already, or decided).
    NotAsked,
    /// No application has this link.
    Unknown,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn related_counts_each_product_and_application_once() {
        let plate = |p: &str| Plate::parse_tagged(p).unwrap();
        let related = Related {
            products_at_address: vec!["ACDEF-GHJKM".into()],
            applications_at_address: Vec::new(),
            products_for_plates: vec![
                ("ACDEF-GHJKM".into(), plate("AB-12-34")),
                ("ACDEF-GHJKM".into(), plate("DE:BXY123")),
            ],
            applications_for_plates: vec![("AV-KM4T-X9QA".into(), plate("AB-12-34"))],
        };
        let counts = related.counts();
        assert_eq!(counts.active_products_at_address, 1);
        assert_eq!(
            counts.active_products_for_plates, 1,
            "one product, two plates"
        );
        assert_eq!(counts.open_applications_for_plates, 1);
        assert!(!related.is_empty() && Related::default().is_empty());
    }

    #[test]
    fn messages_are_trimmed_and_bounded() {
        assert_eq!(
            MessageText::parse("  Waarom?  ").unwrap().as_str(),
            "Waarom?"
        );
        assert!(MessageText::parse("   ").is_none());
        assert!(MessageText::parse(&"x".repeat(MESSAGE_MAX + 1)).is_none());
        assert_eq!(MessageKind::parse("reason"), Some(MessageKind::Reason));
    }
}
