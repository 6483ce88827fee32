//! What the portal holds about one resident, as "Download mijn gegevens" hands it over: the
//! account, its products, the sessions (with plates) and transactions, favorites, mandates given
//! and received, payments and the mails kept for the address. Amounts stay in their product's
//! smallest unit here, with the unit beside them; the web layer writes them out.

use crate::email::EmailAddress;
use crate::history::EntryKind;
use crate::ids::{
    AccountId, EntryId, FavoriteId, MailId, MandateId, PaymentId, ProductId, SessionId,
};
use crate::mandates::MandateStatus;
use crate::plate::Plate;
use crate::product_type::{BalanceUnit, ProductKind};
use crate::settings::Contrast;
use crate::tenant::Language;
use crate::top_up::PaymentStatus;
use chrono::{DateTime, Utc};

/// Everything about one resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnDataExport {
    /// The account.
    pub account: AccountRecord,
    /// The products the resident owns.
    pub products: Vec<ProductRecord>,
    /// The resident's own sessions (on any product) and every session on their products.
    pub sessions: Vec<SessionRecord>,
    /// The ledger entries of their products and of the mandates they received.
    pub transactions: Vec<TransactionRecord>,
    /// The favorites of their products.
    pub favorites: Vec<FavoriteRecord>,
    /// Mandates the resident gave.
    pub mandates_given: Vec<MandateRecord>,
    /// Mandates given to the resident (their account or their address).
    pub mandates_received: Vec<MandateRecord>,
    /// Top-ups the resident paid or started.
    pub payments: Vec<PaymentRecord>,
    /// Mails to the resident's address still kept in the outbox.
    pub mails: Vec<MailRecord>,
    /// Applications in the digitaal loket made from the account or to its address.
    pub applications: Vec<ApplicationRecord>,
}

/// The account itself, with its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// Its id.
    pub id: AccountId,
    /// The address it logs in with.
    pub email: EmailAddress,
    /// The language chosen, if any.
    pub language: Option<Language>,
    /// The contrast scheme chosen, if any.
    pub contrast: Option<Contrast>,
    /// "Start met product", if chosen.
    pub start_product: Option<ProductId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its password was last set.
    pub password_changed_at: DateTime<Utc>,
}

/// What a record says about the product it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductFacts {
    /// Its id.
    pub id: ProductId,
    /// The gemeente's name.
    pub gemeente: String,
    /// The product type's name.
    pub type_name: String,
    /// Visitor scheme or permit.
    pub kind: ProductKind,
    /// The zone's name.
    pub zone: String,
    /// The unit of its balance, in which every amount about it is counted.
    pub unit: BalanceUnit,
}

/// A product the resident owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord {
    /// The product.
    pub product: ProductFacts,
    /// The code on its allocation letter.
    pub code: String,
    /// Its balance, in the smallest unit.
    pub balance: i64,
    /// Valid from (inclusive).
    pub valid_from: DateTime<Utc>,
    /// Valid until (exclusive).
    pub valid_until: DateTime<Utc>,
    /// A permit's plates.
    pub plates: Vec<Plate>,
}

/// A parking session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Its id.
    pub id: SessionId,
    /// Its product.
    pub product: ProductId,
    /// The unit of `reserved`.
    pub unit: BalanceUnit,
    /// Whether the resident started it (else a mandatee on the resident's product did).
    pub started_by_resident: bool,
    /// The mandate it was started through, if any.
    pub mandate: Option<MandateId>,
    /// The plate; `None` once anonymised (13 weeks after it ended, or sooner).
    pub plate: Option<Plate>,
    /// Start.
    pub start: DateTime<Utc>,
    /// End (the moment of stopping when stopped early).
    pub end: DateTime<Utc>,
    /// When it was stopped early.
    pub stopped_at: Option<DateTime<Utc>>,
    /// When it was deleted (a planned session).
    pub deleted_at: Option<DateTime<Utc>>,
    /// What it cost, in the smallest unit.
    pub reserved: i64,
}

/// A ledger entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionRecord {
    /// Its id.
    pub id: EntryId,
    /// The product whose ledger it is in.
    pub product: ProductId,
    /// The mandate's balance it belongs to, if not the product's own.
    pub mandate: Option<MandateId>,
    /// The unit of `amount`.
    pub unit: BalanceUnit,
    /// Why the balance changed.
    pub kind: EntryKind,
    /// The change, in the smallest unit: credits positive.
    pub amount: i64,
    /// The session it belongs to, if any.
    pub session: Option<SessionId>,
    /// Staff's reason of a correction.
    pub note: Option<String>,
    /// When it was booked.
    pub at: DateTime<Utc>,
}

/// A favorite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FavoriteRecord {
    /// Its id.
    pub id: FavoriteId,
    /// Its product.
    pub product: ProductId,
    /// Its plate.
    pub plate: Plate,
    /// Its name.
    pub name: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// A mandate, given or received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateRecord {
    /// Its id.
    pub id: MandateId,
    /// The product it is on.
    pub product: ProductFacts,
    /// Who gave it (for a mandate received; `None` for one given, or once the owner's account
    /// is gone).
    pub owner: Option<EmailAddress>,
    /// The address it was given to; `None` once its mandatee deleted their account.
    pub email: Option<EmailAddress>,
    /// The one plate it is for, if any.
    pub plate: Option<Plate>,
    /// Its own balance, in the smallest unit.
    pub balance: i64,
    /// Imported from the previous system (spends the owner's balance).
    pub imported: bool,
    /// Where it stands.
    pub status: MandateStatus,
    /// When it was given.
    pub created_at: DateTime<Utc>,
    /// When it was accepted.
    pub accepted_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A top-up payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    /// Its id.
    pub id: PaymentId,
    /// The product it tops up.
    pub product: ProductId,
    /// The unit of `amount`.
    pub unit: BalanceUnit,
    /// What it adds, in the smallest unit.
    pub amount: i64,
    /// What it costs, in cents.
    pub price_cents: i64,
    /// Where it stands.
    pub status: PaymentStatus,
    /// When it was started.
    pub created_at: DateTime<Utc>,
}

/// A mail kept in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRecord {
    /// Its id.
    pub id: MailId,
    /// Its subject.
    pub subject: String,
    /// Its text.
    pub text: String,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it was sent, if it was.
    pub sent_at: Option<DateTime<Utc>>,
}

/// An application in the digitaal loket, with everything it holds about the applicant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRecord {
    /// Its reference.
    pub reference: String,
    /// The gemeente's name.
    pub gemeente: String,
    /// The product type's name.
    pub product_type: String,
    /// Where it stands.
    pub status: crate::loket::application::ApplicationStatus,
    /// The applicant's name and postal address; `None` for one made without the account to its
    /// address, where someone else may have typed them (only what was mailed to the address is
    /// the resident's then: reference, status, the gemeente's messages).
    pub applicant: Option<crate::letters::Recipient>,
    /// The address its mails go to.
    pub email: EmailAddress,
    /// The plates asked for.
    pub plates: Vec<Plate>,
    /// The applicant's remark.
    pub remark: Option<String>,
    /// The exchange with the gemeente: questions, answers, a reason.
    pub messages: Vec<crate::loket::decisions::ApplicationMessage>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
}
