//! The parking repository port and the decisions it lets the use cases make over a locked
//! product.

use super::breakdown::CostBreakdown;
use super::model::{GrantDue, ParkingProblem, ParkingSession, ProductView, Window};
use super::rules::{RuleVersions, Verdict};
use crate::Clock;
use crate::email::EmailAddress;
use crate::ids::{AccountId, MandateId, ProductId, SessionId};
use crate::ledger::{LedgerPosting, Wallet};
use crate::plate::Plate;
use crate::ports::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A product locked for a write, as the decision sees it.
#[derive(Debug, Clone)]
pub struct Locked {
    /// The product, its balance as locked.
    pub product: ProductView,
    /// Its running and planned sessions that overlap the decision's window.
    pub active: Vec<ParkingSession>,
    /// The moment of the decision. A change reads it from the clock after the lock is taken:
    /// a moment read before would judge a session as it was before the writes the lock waited
    /// for (a stop it waited for would look like a session still running).
    pub now: DateTime<Utc>,
}

/// A new reservation, as the decision made it.
#[derive(Debug, Clone)]
pub struct Reservation {
    /// The plate.
    pub plate: Plate,
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// The cost, in the smallest unit.
    pub reserved: i64,
    /// The versions of the rules that priced it.
    pub versions: RuleVersions,
    /// How its cost is made up.
    pub breakdown: CostBreakdown,
    /// The balance that pays for it.
    pub wallet: Wallet,
}

impl Reservation {
    /// Its charge, once stored as `session` of `product`.
    pub fn posting(&self, product: ProductId, session: SessionId) -> LedgerPosting {
        LedgerPosting::session((product, self.wallet), session, 0, self.reserved)
    }
}

/// What a decision over a locked product says.
#[derive(Debug, Clone)]
pub enum Decision<T> {
    /// Refused, with the rules' verdict.
    Refuse(Box<Verdict>),
    /// A wrong request that no rule judges (a start in the past, an end before the start, ...).
    Invalid(ParkingProblem),
    /// The plate already parks on the product at that time, in this session (`None` when the
    /// one asking may not see it: a mandatee is not shown the owner's sessions).
    AlreadyParked(Option<Box<ParkingSession>>),
    /// Go ahead.
    Proceed(T),
}

/// Decides a new session over a locked product.
pub type StartDecider = dyn Fn(&Locked) -> Decision<Reservation> + Send + Sync;
/// Decides a new end of a session over a locked product: the new end, and the new reservation
/// (the whole session's cost at its own prices).
pub type ChangeDecider = dyn Fn(&Locked, &ParkingSession) -> Decision<SessionChange> + Send + Sync;

/// A change of an existing session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionChange {
    /// The new end.
    pub end: DateTime<Utc>,
    /// What the session holds afterwards, in the smallest unit.
    pub reserved: i64,
    /// Whether it is a deletion (of a planned session).
    pub delete: bool,
    /// The new breakdown of its cost (an extension), if it changes.
    pub breakdown: Option<CostBreakdown>,
    /// The balance that paid for the session, which takes the difference.
    pub wallet: Wallet,
}

impl SessionChange {
    /// The reservation or refund that makes up the difference to what `current` holds.
    pub fn posting(&self, current: &ParkingSession) -> LedgerPosting {
        let wallet = (current.product, self.wallet);
        LedgerPosting::session(wallet, current.id, current.reserved, self.reserved)
    }
}

/// The outcome of a write.
#[derive(Debug, Clone)]
pub enum Outcome<T> {
    /// Done.
    Done(T),
    /// Refused by the rules.
    Refused(Box<Verdict>),
    /// Wrong request.
    Invalid(ParkingProblem),
    /// Refused (`plate_already_parked`): the plate already parks on the product at that time,
    /// in this session (the owner's or a mandatee's); `None` when the one asking may not see it
    /// (a mandatee sees only their own sessions).
    AlreadyParked(Option<Box<ParkingSession>>),
    /// No such product or session for this resident.
    NotFound,
}

/// One product as a resident reaches it: all that the use cases around parking (top-ups,
/// mandates, history, favorites, settings) need of the parking store.
#[async_trait]
pub trait ProductAccess: Send + Sync {
    /// One product, if `account` owns it or reaches it through a mandate.
    async fn product_of(
        &self,
        account: AccountId,
        product: ProductId,
    ) -> Result<Option<ProductView>, StoreError>;
}

/// Products, sessions and the ledger.
#[async_trait]
pub trait ParkingRepository: ProductAccess {
    /// The products `account` owns.
    async fn products_of(&self, account: AccountId) -> Result<Vec<ProductView>, StoreError>;
    /// The running and planned sessions of a product `account` owns (none when it does not).
    async fn active_sessions(
        &self,
        account: AccountId,
        product: ProductId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ParkingSession>, StoreError>;
    /// The addresses of the mandatees of `mandates` given on `product` (those of another
    /// product are not among them).
    async fn mandatee_addresses(
        &self,
        product: ProductId,
        mandates: &[MandateId],
    ) -> Result<Vec<(MandateId, EmailAddress)>, StoreError>;
    /// The running and planned sessions of every product `account` owns, by start.
    async fn live_sessions_of(
        &self,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ParkingSession>, StoreError>;
    /// One session of a product `account` owns.
    async fn session_of(
        &self,
        account: AccountId,
        session: SessionId,
    ) -> Result<Option<ParkingSession>, StoreError>;
    /// Remembers the product the resident last chose (the start screen after login).
    async fn set_last_product(
        &self,
        account: AccountId,
        product: ProductId,
    ) -> Result<(), StoreError>;
    /// Makes `plate` the active plate of permit `product` and every other plate of it inactive,
    /// atomically; whether the product had that plate.
    async fn set_active_plate(&self, product: ProductId, plate: &Plate)
    -> Result<bool, StoreError>;
    /// The product the resident last chose, while it is still theirs.
    async fn last_product(&self, account: AccountId) -> Result<Option<ProductId>, StoreError>;
    /// The plates of the product's newest sessions, newest first, each once ("Kenteken
    /// opzoeken").
    async fn recent_plates(
        &self,
        account: AccountId,
        product: ProductId,
        limit: u64,
    ) -> Result<Vec<Plate>, StoreError>;
    /// Credits a due grant once (idempotent under races); whether it credited it now.
    async fn credit_grant(
        &self,
        product: ProductId,
        grant: &GrantDue,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Credits `grant` when due, lets `decide` judge the product (which `account` must own)
    /// with its sessions that overlap `window`, and stores the session with its reservation,
    /// atomically. `product` is the view the caller just read, in one consistent read: the
    /// store may decide on it and write only if the product has not changed since (its
    /// revision), or decide again over the locked product.
    async fn start(
        &self,
        account: AccountId,
        product: &ProductView,
        grant: Option<GrantDue>,
        window: Window,
        now: DateTime<Utc>,
        decide: &StartDecider,
    ) -> Result<Outcome<ParkingSession>, StoreError>;
    /// Locks the session's product, reads the session again and the time from `clock`, lets
    /// `decide` judge a new end (or a deletion) over the sessions that overlap `window` and
    /// are still live then, and stores it with the reservation or refund that makes up the
    /// difference, in one transaction. `window` may be read earlier: it only bounds the read.
    /// A change made for the resident by staff carries its `audit` entry (about the session),
    /// written in the same transaction when the change is made.
    async fn change(
        &self,
        account: AccountId,
        session: SessionId,
        window: Window,
        clock: &dyn Clock,
        decide: &ChangeDecider,
        audit: Option<&crate::audit::AuditEntry>,
    ) -> Result<Outcome<ParkingSession>, StoreError>;
    /// The product and the account that started session `session`, when its product is one of
    /// `tenant`'s and it still has its plate (staff act on it for that account).
    async fn starter_in(
        &self,
        tenant: crate::ids::TenantId,
        session: SessionId,
    ) -> Result<Option<(ProductId, Option<AccountId>)>, StoreError>;
}
