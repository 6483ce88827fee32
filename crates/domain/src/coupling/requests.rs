//! What the product desk's use cases are asked, what they answer, and why they refuse.

use crate::accounts::LoginError;
use crate::audit::Actor;
use crate::email::EmailAddress;
use crate::ids::ProductId;
use crate::letters::{LetterError, Recipient};
use crate::mail::ComposeError;
use crate::plate::Plate;
use crate::ports::StoreError;
use crate::secret::{Pin, ProductCode, RandomError, Token};
use crate::staff::Role;
use crate::tenant::Language;
use chrono::{DateTime, NaiveDate, Utc};

use super::ProductSummary;

/// What `parkportal products issue` asks for.
#[derive(Debug, Clone, Default)]
pub struct IssueRequest {
    /// The gemeente's slug.
    pub tenant: String,
    /// The product type's code; default the gemeente's first visitor scheme in use.
    pub product_type: Option<String>,
    /// The zone's code; default the gemeente's first zone in use.
    pub zone: Option<String>,
    /// Where the coupling link goes, if anywhere.
    pub email: Option<EmailAddress>,
    /// The plates.
    pub plates: Vec<Plate>,
    /// The last valid day; default the product type's validity from today.
    pub valid_until: Option<NaiveDate>,
    /// The opening balance in the product type's unit (`25.00` euros, `600` minutes).
    pub balance: Option<rust_decimal::Decimal>,
    /// The person it goes to by post: kept with the product, and the letter's address.
    pub recipient: Option<Recipient>,
    /// Make the allocation letter (needs `recipient`).
    pub letter: bool,
    /// The letter's language; default the gemeente's.
    pub letter_language: Option<Language>,
    /// Who issues, for the audit trail (`None` only where no person acts: the demo's set-up
    /// and tests).
    pub issuer: Option<Issuer>,
    /// The application of the digitaal loket this product grants, granted in the product's
    /// transaction (only while it is open).
    pub application: Option<crate::loket::decisions::ApplicationGrant>,
}

/// Who issues a product, for its audit entry.
#[derive(Debug, Clone)]
pub struct Issuer {
    /// A staff member, an API key or the command line.
    pub actor: Actor,
    /// The role in play, if any.
    pub role: Option<Role>,
    /// The client's address, or `cli`.
    pub origin: String,
}

/// What `parkportal products link` asks for: a new coupling link for a product nobody holds
/// (its resident deleted their account), mailed to `email`.
#[derive(Debug, Clone)]
pub struct LinkRequest {
    /// The gemeente's slug: staff link only their own gemeente's products.
    pub tenant: String,
    /// The product's code (from its letter).
    pub code: String,
    /// Where the new link goes.
    pub email: EmailAddress,
}

/// A new coupling link, mailed.
#[derive(Debug, Clone)]
pub struct Linked {
    /// The product.
    pub product: ProductId,
    /// The address the link was mailed to.
    pub mailed_to: EmailAddress,
    /// The link's token (also in the mail), for callers that couple at once. Never printed.
    pub coupling_token: Token,
}

/// A product just issued: print the code and PIN on the letter, once.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Its id.
    pub id: ProductId,
    /// The code.
    pub code: ProductCode,
    /// The PIN (stored only as a hash).
    pub pin: Pin,
    /// Valid until (exclusive).
    pub valid_until: DateTime<Utc>,
    /// The address the coupling link was mailed to.
    pub mailed_to: Option<EmailAddress>,
    /// The coupling link's token (also in the mail), for callers that couple at once: the demo
    /// set-up. Never printed.
    pub coupling_token: Option<Token>,
    /// The allocation letter's PDF and until when it is kept for reprinting, when one was made.
    pub letter: Option<(Vec<u8>, DateTime<Utc>)>,
}

/// Why issuing failed; each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// No gemeente with this slug.
    #[error("no gemeente {0}")]
    UnknownTenant(String),
    /// The gemeente has no such product type (or no visitor scheme to default to).
    #[error("gemeente {tenant} has no product type {code}")]
    UnknownProductType {
        /// The gemeente.
        tenant: String,
        /// The code asked for.
        code: String,
    },
    /// The gemeente has no such zone (or no zone at all).
    #[error("gemeente {tenant} has no zone {code}")]
    UnknownZone {
        /// The gemeente.
        tenant: String,
        /// The code asked for.
        code: String,
    },
    /// The zone is retired: its products keep working, nothing new is issued in it.
    #[error("zone {0} is retired")]
    ZoneRetired(String),
    /// The product type is retired: its products keep working, nothing new is issued.
    #[error("product type {0} is retired")]
    ProductTypeRetired(String),
    /// The opening balance does not fit the product type's unit (cents of a minute, a negative
    /// amount, or a balance for a type without one).
    #[error("balance {amount} does not fit the unit of {code}")]
    BalanceUnfit {
        /// What was asked.
        amount: rust_decimal::Decimal,
        /// The product type.
        code: String,
    },
    /// The last valid day lies in the past.
    #[error("the last valid day {0} has passed")]
    ValidUntilPassed(NaiveDate),
    /// The gemeente has no product with this code.
    #[error("gemeente {tenant} has no product {code}")]
    UnknownProduct {
        /// The gemeente.
        tenant: String,
        /// The code asked for.
        code: String,
    },
    /// The product is coupled to an account: it needs no new link.
    #[error("product {0} is coupled to an account")]
    ProductCoupled(String),
    /// The gemeente is suspended: nothing new is issued.
    #[error("gemeente {0} is suspended")]
    TenantSuspended(String),
    /// The last valid day lies further ahead than [`MAX_VALIDITY_YEARS`] years.
    #[error("the last valid day {0} is too far ahead")]
    ValidUntilTooFar(NaiveDate),
    /// A letter was asked for without an address to send it to.
    #[error("a letter needs the recipient's name and address")]
    RecipientMissing,
    /// This server was started without a letter renderer.
    #[error("letters cannot be made here")]
    LettersUnavailable,
    /// The application this product would grant was decided meanwhile: nothing was issued.
    #[error("the application was decided meanwhile")]
    ApplicationDecided,
    /// The letter could not be made.
    #[error(transparent)]
    Letter(#[from] LetterError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No code, PIN or token could be drawn.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// The PIN could not be hashed.
    #[error(transparent)]
    Hash(#[from] crate::accounts::HashError),
    /// The mail could not be composed.
    #[error(transparent)]
    Compose(#[from] ComposeError),
}

impl IssueError {
    /// The stable code of a refusal that is the caller's to fix (the same in the console, the
    /// admin API and the audit trail); `None` for a failure inside.
    pub fn code(&self) -> Option<&'static str> {
        Some(match self {
            Self::UnknownTenant(_) => "tenant_unknown",
            Self::UnknownProductType { .. } => "product_type_unknown",
            Self::UnknownZone { .. } => "zone_unknown",
            Self::ZoneRetired(_) => "zone_retired",
            Self::ProductTypeRetired(_) => "product_type_retired",
            Self::BalanceUnfit { .. } => "balance_invalid",
            Self::ValidUntilPassed(_) => "valid_until_passed",
            Self::ValidUntilTooFar(_) => "valid_until_too_far",
            Self::TenantSuspended(_) => "tenant_suspended",
            Self::UnknownProduct { .. } => "not_found",
            Self::ProductCoupled(_) => "product_coupled",
            Self::RecipientMissing => "recipient_invalid",
            Self::ApplicationDecided => "application_decided",
            Self::LettersUnavailable => "letters_unavailable",
            _ => return None,
        })
    }
}

/// The furthest a product's validity reaches: a permit is renewed long before.
pub const MAX_VALIDITY_YEARS: u32 = 10;

/// Why a coupling link cannot be used. Each gets its own clear page.
#[derive(Debug, thiserror::Error)]
pub enum CouplingError {
    /// No such link.
    #[error("coupling_link_unknown")]
    Unknown,
    /// Used before.
    #[error("coupling_link_used")]
    Used,
    /// Past its expiry.
    #[error("coupling_link_expired")]
    Expired,
    /// Logged in as another address than the link was sent to.
    #[error("coupling_link_foreign")]
    Foreign,
    /// Too many links that do not exist from this client.
    #[error(transparent)]
    Blocked(#[from] crate::throttle::Blocked),
    /// The product is already another account's.
    #[error("product_owned_by_other")]
    OwnedByOther,
    /// The address has an account: log in to couple.
    #[error("account_exists")]
    AccountExists,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The password could not be hashed.
    #[error(transparent)]
    Hash(#[from] crate::accounts::HashError),
    /// The session could not be started.
    #[error(transparent)]
    Login(#[from] LoginError),
}

/// Why "Voeg product toe" failed.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// Unknown code, wrong PIN, or a product of someone else: deliberately one answer.
    #[error("claim_unknown")]
    Unknown,
    /// Too many wrong combinations for this code, account or client: wait.
    #[error(transparent)]
    Blocked(#[from] crate::throttle::Blocked),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A usable coupling link, for its page.
#[derive(Debug, Clone)]
pub struct CouplingOffer {
    /// The address the link was sent to (the username of the account).
    pub email: EmailAddress,
    /// The product.
    pub product: ProductSummary,
    /// Whether that address has an account.
    pub account_exists: bool,
    /// For a mandate's invitation: the owner who gives it.
    pub mandated_by: Option<EmailAddress>,
}

/// What issuing in one gemeente looks up once: the gemeente, its types and zones, and for
/// letters its sender block ([`super::ProductDesk::context`]).
#[derive(Debug, Clone)]
pub struct IssueContext {
    pub(super) tenant: crate::tenant::Tenant,
    pub(super) overview: crate::tenant::TenantOverview,
    pub(super) sender: Option<crate::letters::Sender>,
}

impl IssueContext {
    /// The gemeente.
    pub fn tenant(&self) -> &crate::tenant::Tenant {
        &self.tenant
    }
}

/// A request checked against its gemeente ([`super::ProductDesk::check`]): all that is decided
/// before a code and PIN are drawn.
#[derive(Debug, Clone)]
pub struct Checked<'c> {
    pub(super) product_type: &'c crate::tenant::ProductTypeSpec,
    pub(super) zone: &'c crate::tenant::ZoneSpec,
    pub(super) opening: i64,
    pub(super) today: NaiveDate,
    pub(super) last_day: NaiveDate,
    pub(super) valid_until: DateTime<Utc>,
    pub(super) plates: Vec<Plate>,
}
