//! What the coupling use cases keep and the port they keep it through: products with their
//! code and PIN hash, coupling links, and what the store did with them.

use crate::accounts::Account;
use crate::audit::AuditEntry;
use crate::email::EmailAddress;
use crate::ids::{AccountId, ProductId, TenantId};
use crate::letters::Recipient;
use crate::mail::OutgoingMail;
use crate::plate::Plate;
use crate::ports::StoreError;
use crate::secret::{ProductCode, TokenHash};
use crate::tenant::{Code, Language};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A product to store.
#[derive(Debug, Clone)]
pub struct NewProduct {
    /// Its gemeente.
    pub tenant: TenantId,
    /// The code of its product type.
    pub product_type: Code,
    /// The code of its zone.
    pub zone: Code,
    /// The unit its type had when it was checked: the store refuses the product when the type
    /// changed it meanwhile (its opening balance was counted in this one).
    pub unit: crate::product_type::BalanceUnit,
    /// The code on the letter.
    pub code: ProductCode,
    /// The argon2id hash of the PIN.
    pub pin_hash: String,
    /// Valid from (inclusive).
    pub valid_from: DateTime<Utc>,
    /// Valid until (exclusive).
    pub valid_until: DateTime<Utc>,
    /// Its plates (a permit's; a visitor scheme usually has none).
    pub plates: Vec<Plate>,
    /// The opening balance, in the smallest unit (an `opening` ledger entry).
    pub opening: i64,
    /// The person it was issued to by post, if it was.
    pub holder: Option<Recipient>,
}

/// An allocation letter to keep with its product for reprinting until `expires_at`.
#[derive(Debug, Clone)]
pub struct NewLetter {
    /// The letter's language.
    pub language: Language,
    /// The PDF (it holds the PIN).
    pub pdf: Vec<u8>,
    /// When the PDF is deleted.
    pub expires_at: DateTime<Utc>,
}

/// What is stored in the transaction of a new product besides the product itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct IssueWith<'a> {
    /// The coupling link and its mail, when it goes to an address.
    pub invite: Option<(&'a NewLink, &'a OutgoingMail)>,
    /// The letter, when one was made.
    pub letter: Option<&'a NewLetter>,
    /// The audit entry of the issue; the store names the new product as its object.
    pub audit: Option<&'a AuditEntry>,
    /// The batch row this product is issued for: the store marks it issued, with its page,
    /// in the same transaction, and issues nothing when it is no longer pending.
    pub batch_row: Option<&'a crate::batches::BatchRowIssue>,
    /// The application this product grants: the store grants it first, names the product in
    /// it, couples the product to its account when it has one, and queues its mail and entry;
    /// it issues nothing when the application is no longer open.
    pub application: Option<&'a crate::loket::decisions::ApplicationGrant>,
}

/// A product as staff (and the admin API) see it.
#[derive(Debug, Clone)]
pub struct StaffProductView {
    /// Its id.
    pub id: ProductId,
    /// The code on its letter.
    pub code: ProductCode,
    /// Its product type's code and name.
    pub product_type: (Code, String),
    /// Visitor scheme or permit.
    pub kind: crate::ProductKind,
    /// The unit of its balance.
    pub unit: crate::BalanceUnit,
    /// Its zone's code and name.
    pub zone: (Code, String),
    /// `active`, or what ended it.
    pub status: String,
    /// Valid from (inclusive).
    pub valid_from: DateTime<Utc>,
    /// Valid until (exclusive).
    pub valid_until: DateTime<Utc>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// The person it was issued to by post, if it was.
    pub holder: Option<Recipient>,
    /// Whether a resident's account holds it.
    pub coupled: bool,
    /// Its plates, in order.
    pub plates: Vec<Plate>,
    /// Its balance in the smallest unit.
    pub balance: i64,
    /// Until when its newest letter is kept for reprinting, if one is.
    pub letter_kept_until: Option<DateTime<Utc>>,
}

/// A kept letter, for reprinting.
#[derive(Debug, Clone)]
pub struct KeptLetter {
    /// The product's code.
    pub code: ProductCode,
    /// The product.
    pub product: ProductId,
    /// The PDF.
    pub pdf: Vec<u8>,
    /// When the PDF is deleted.
    pub expires_at: DateTime<Utc>,
}

/// A coupling link to store with its product.
#[derive(Debug, Clone)]
pub struct NewLink {
    /// The hash of the link's token.
    pub token: TokenHash,
    /// The address it was sent to.
    pub email: EmailAddress,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// What the store did with a new product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueOutcome {
    /// Stored, with its mail queued in the same transaction.
    Issued(ProductId),
    /// The random code exists already; draw another.
    CodeTaken,
    /// The batch row was issued (or refused) already, by an instance that took the batch
    /// over: nothing was stored.
    RowDone,
    /// The zone (`true`) or the product type (`false`) was retired after the request was
    /// checked: nothing was stored.
    Retired {
        /// Whether it was the zone.
        zone: bool,
    },
}

/// A product as the coupling page shows it.
#[derive(Debug, Clone)]
pub struct ProductSummary {
    /// Its id.
    pub id: ProductId,
    /// Its gemeente.
    pub tenant: TenantId,
    /// The gemeente's name.
    pub tenant_name: String,
    /// The gemeente's time zone, for its dates.
    pub time_zone: chrono_tz::Tz,
    /// The product type's name.
    pub type_name: String,
    /// The zone's name.
    pub zone_name: String,
    /// Valid until (exclusive).
    pub valid_until: DateTime<Utc>,
    /// Its owner, once coupled.
    pub owner: Option<AccountId>,
    /// A permit for more than one plate: one of them must be switched on (the manual's "Let
    /// op" on coupling).
    pub plate_switch: bool,
}

/// A coupling link as stored.
#[derive(Debug, Clone)]
pub struct LinkRecord {
    /// The address it was sent to.
    pub email: EmailAddress,
    /// The product it couples.
    pub product: ProductSummary,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was used, if it was.
    pub used_at: Option<DateTime<Utc>>,
    /// For a mandate's invitation: the owner who gives it.
    pub mandated_by: Option<EmailAddress>,
}

/// What the store did when asked to couple.
#[derive(Debug, Clone)]
pub enum CoupleOutcome {
    /// Coupled (now or already to this account), the link used up.
    Coupled,
    /// Someone used the link first.
    LinkUsed,
    /// The product belongs to another account.
    OwnedByOther,
    /// The account was created (coupling without an account).
    Created(Account),
    /// An account with the address appeared meanwhile: log in instead.
    AccountExists,
}

/// Products, their coupling links and the mails about them.
#[async_trait]
pub trait ProductRepository: Send + Sync {
    /// Stores a product with what comes `with` it (its link and mail, its letter, its audit
    /// entry), in one transaction.
    async fn issue(
        &self,
        product: &NewProduct,
        with: IssueWith<'_>,
        now: DateTime<Utc>,
    ) -> Result<IssueOutcome, StoreError>;
    /// The id of the product of `tenant` with `code`, if it has one: no personal data, so no
    /// audit entry (the admin API answers 404 for another gemeente's code before anything else).
    async fn id_in(
        &self,
        tenant: TenantId,
        code: &ProductCode,
    ) -> Result<Option<ProductId>, StoreError>;
    /// The product of `tenant` with `code` as staff see it, writing `audit` (when given) in the
    /// same transaction: about the product, or refused `not_found`.
    async fn staff_view(
        &self,
        tenant: TenantId,
        code: &ProductCode,
        now: DateTime<Utc>,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<StaffProductView>, StoreError>;
    /// The newest letter of the product of `tenant` with `code` whose PDF is still kept at `now`,
    /// writing `audit` in the same transaction: about the product when there is one (refused
    /// `letter_not_kept` when its letter is gone), refused `not_found` when there is none.
    async fn kept_letter(
        &self,
        tenant: TenantId,
        code: &ProductCode,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Option<KeptLetter>, StoreError>;
    /// The coupling link with this token hash.
    async fn coupling_link(&self, token: &TokenHash) -> Result<Option<LinkRecord>, StoreError>;
    /// Uses the link and couples its product to `account`, in one transaction.
    async fn couple(
        &self,
        token: &TokenHash,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<CoupleOutcome, StoreError>;
    /// The product with this code: its id, PIN hash and owner.
    async fn by_code(
        &self,
        code: &ProductCode,
    ) -> Result<Option<(ProductId, String, Option<AccountId>)>, StoreError>;
    /// Couples a product without owner to `account`; `false` when another owns it.
    async fn claim(&self, product: ProductId, account: AccountId) -> Result<bool, StoreError>;
    /// The product with this code, as the coupling page shows it (with its owner).
    async fn summary_by_code(
        &self,
        code: &ProductCode,
    ) -> Result<Option<ProductSummary>, StoreError>;
    /// Stores a new coupling link of a product nobody holds, with its mail, in one transaction
    /// under the product's lock; the product's older unused links stop working. `false` when
    /// the product has an owner (meanwhile). `audit`, when given, is written with it, about
    /// the product.
    async fn add_link(
        &self,
        product: ProductId,
        link: &NewLink,
        mail: &OutgoingMail,
        now: DateTime<Utc>,
        audit: Option<&AuditEntry>,
    ) -> Result<bool, StoreError>;
    /// The language of the product's newest letter, if it has one.
    async fn letter_language(&self, product: ProductId) -> Result<Option<Language>, StoreError>;
    /// Replaces the PIN of product `product` of `tenant` (active, nobody's) under its lock: the
    /// kept letters lose their PDFs (they print the old PIN), the new letter is stored, and the
    /// change's audit entry written, in one transaction.
    async fn replace_pin(
        &self,
        tenant: TenantId,
        product: ProductId,
        change: super::desk_actions::PinChange<'_>,
        now: DateTime<Utc>,
    ) -> Result<super::desk_actions::DeskOutcome, StoreError>;
    /// Replaces the plates of product `product` of `tenant` (active) by `plates`, under its
    /// lock, keeping the active plate when it is among them, with `audit`.
    async fn replace_plates(
        &self,
        tenant: TenantId,
        product: ProductId,
        plates: &[Plate],
        audit: &AuditEntry,
    ) -> Result<super::desk_actions::DeskOutcome, StoreError>;
    /// Uncouples product `product` of `tenant` (active, coupled, no live session at `now`)
    /// under its lock: its open mandates closed, the holder's favorites of it deleted, `audit`
    /// written, in one transaction.
    async fn uncouple(
        &self,
        tenant: TenantId,
        product: ProductId,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<super::desk_actions::DeskOutcome, StoreError>;
    /// Moves the end of the validity of product `product` of `tenant` (active) to `until`,
    /// later than it is, under its lock, with `audit` in the same transaction.
    async fn extend(
        &self,
        tenant: TenantId,
        product: ProductId,
        until: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<super::desk_actions::DeskOutcome, StoreError>;
    /// Creates the account of the link's address, uses the link and couples its product, in one
    /// transaction.
    async fn couple_new_account(
        &self,
        token: &TokenHash,
        password_hash: &str,
        language: Language,
        now: DateTime<Utc>,
    ) -> Result<CoupleOutcome, StoreError>;
}
