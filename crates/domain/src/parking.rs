//! Parking sessions ("Parkeeracties") and the ledger behind a product's balance (DESIGN §4).
//!
//! A session is the half-open interval [start, end) of one plate in the product's zone; its state
//! follows from the clock. Starting or extending reserves its cost from the balance (that is the
//! charge; nothing is settled later); stopping early refunds the unused part and deleting a planned
//! session refunds all of it, at the prices the session was made with. Every write locks the
//! product row first and is one transaction, so the limits hold across instances and the balance
//! never goes below zero.

use crate::Clock;
use crate::accounts::Account;
use crate::calendar::{self, CapPeriod};
use crate::ids::{AccountId, ProductId, SessionId, TenantId};
use crate::plate::Plate;
use crate::ports::StoreError;
use crate::product_type::{BalanceUnit, PeriodicGrant, ProductKind};
use crate::rules::{AlternativeKind, ReasonCode};
use crate::tenant::Code;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use std::sync::Arc;

/// Where a session stands, by the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Starts later (gepland).
    Planned,
    /// Running now (lopend).
    Running,
    /// Over.
    Ended,
    /// A planned session that was deleted.
    Deleted,
}

/// A parking session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkingSession {
    /// Its id.
    pub id: SessionId,
    /// Its product.
    pub product: ProductId,
    /// Who started it.
    pub account: AccountId,
    /// The plate.
    pub plate: Plate,
    /// Start.
    pub start: DateTime<Utc>,
    /// End (exclusive); moved to the moment of stopping when stopped early.
    pub end: DateTime<Utc>,
    /// What it holds of the balance, in the balance's smallest unit.
    pub reserved: i64,
    /// The rule script version it was priced with.
    pub script_version: i64,
    /// The tariff version it was priced with.
    pub tariff_version: i64,
    /// How its cost was made up, in words.
    pub breakdown: String,
    /// When it was deleted (planned sessions only).
    pub deleted_at: Option<DateTime<Utc>>,
}

impl ParkingSession {
    /// Its state at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> SessionState {
        if self.deleted_at.is_some() {
            SessionState::Deleted
        } else if now < self.start {
            SessionState::Planned
        } else if now < self.end {
            SessionState::Running
        } else {
            SessionState::Ended
        }
    }
}

/// A product as the resident who owns it sees it.
#[derive(Debug, Clone)]
pub struct ProductView {
    /// Its id.
    pub id: ProductId,
    /// Its gemeente.
    pub tenant: TenantId,
    /// The gemeente's slug.
    pub tenant_slug: String,
    /// The gemeente's name.
    pub tenant_name: String,
    /// The version of the gemeente's configuration (its rules change with it).
    pub tenant_version: i64,
    /// The gemeente's time zone.
    pub time_zone: Tz,
    /// The product type's code.
    pub type_code: Code,
    /// The product type's name.
    pub type_name: String,
    /// Visitor scheme or permit.
    pub kind: ProductKind,
    /// The unit of its balance.
    pub unit: BalanceUnit,
    /// The balance credited per period, if any.
    pub grant: Option<PeriodicGrant>,
    /// The zone's code.
    pub zone_code: Code,
    /// The zone's name.
    pub zone_name: String,
    /// Valid from (inclusive).
    pub valid_from: DateTime<Utc>,
    /// Valid until (exclusive).
    pub valid_until: DateTime<Utc>,
    /// The balance, in its smallest unit.
    pub balance: i64,
    /// Its plates.
    pub plates: Vec<Plate>,
}

impl ProductView {
    /// The balance in its unit (euros, minutes, sessions).
    pub fn balance_amount(&self) -> Decimal {
        self.unit.from_smallest(self.balance)
    }
}

/// What the rules are asked about a session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionCheck {
    /// The gemeente's time zone.
    pub time_zone: Tz,
    /// The zone's code.
    pub zone: String,
    /// The plate, normalised.
    pub plate: String,
    /// Start.
    pub start: DateTime<Utc>,
    /// End (exclusive).
    pub end: DateTime<Utc>,
    /// The balance available, in the balance's unit.
    pub balance: Decimal,
    /// What the session holds already (an extension), in the balance's unit.
    pub reserved: Decimal,
    /// The other running and planned sessions of the product.
    pub others: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

/// A proposal instead of a refused session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    /// Its kind.
    pub kind: AlternativeKind,
    /// Its start.
    pub start: DateTime<Utc>,
    /// Its end.
    pub end: DateTime<Utc>,
    /// What the whole session costs, in the balance's unit.
    pub cost: Decimal,
}

/// What the rules answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The cost of the session as asked, in the balance's unit.
    pub cost: Decimal,
    /// How the cost is made up.
    pub breakdown: String,
    /// Why it is refused; empty when allowed.
    pub reasons: Vec<ReasonCode>,
    /// What fits instead.
    pub alternatives: Vec<Alternative>,
}

impl Verdict {
    /// Whether the session may go ahead.
    pub fn allowed(&self) -> bool {
        self.reasons.is_empty()
    }
}

/// The rules of one product type at one version (the rules engine implements it).
pub trait Pricing: Send + Sync {
    /// (script version, tariff version).
    fn versions(&self) -> (i64, i64);
    /// Checks a session and finds the alternatives.
    fn check(&self, req: &SessionCheck, now: DateTime<Utc>) -> Verdict;
    /// The cost of [start, end), in the balance's unit.
    fn cost(
        &self,
        req: &SessionCheck,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Decimal, String>;
}

/// Whose rules: a gemeente at a version of its configuration (which changes with its rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesOf {
    /// The gemeente.
    pub tenant: TenantId,
    /// Its slug, for messages.
    pub slug: String,
    /// The version of its configuration.
    pub version: i64,
}

impl RulesOf {
    /// The rules of `product`'s gemeente.
    pub fn of(product: &ProductView) -> Self {
        Self {
            tenant: product.tenant,
            slug: product.tenant_slug.clone(),
            version: product.tenant_version,
        }
    }
}

/// Where the rules come from.
#[async_trait]
pub trait RulesPort: Send + Sync {
    /// The current rules of a product type.
    async fn current(
        &self,
        tenant: &RulesOf,
        product_type: &Code,
    ) -> Result<Arc<dyn Pricing>, String>;
    /// The rules at the versions a session was priced with.
    async fn pinned(
        &self,
        tenant: &RulesOf,
        product_type: &Code,
        script_version: i64,
        tariff_version: i64,
    ) -> Result<Arc<dyn Pricing>, String>;
}

/// A product locked for a write, as the decision sees it.
#[derive(Debug, Clone)]
pub struct Locked {
    /// The product, its balance as locked.
    pub product: ProductView,
    /// Its running and planned sessions that overlap the decision's window.
    pub active: Vec<ParkingSession>,
}

/// The stretch of time whose sessions a decision needs: those that overlap [from, until). A
/// product may have thousands of planned sessions; a check reads only the ones that matter to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub until: DateTime<Utc>,
}

impl Window {
    /// The window of a session [start, end): itself and the day after it, where a "start later"
    /// alternative may land.
    pub fn around(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self {
            from: start,
            until: end + Duration::days(1),
        }
    }
}

/// A periodic grant that is due: credited once, under `key`, whatever races for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantDue {
    /// The period's key (its start).
    pub key: String,
    /// The amount, in the smallest unit.
    pub amount: i64,
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
    /// The rule versions.
    pub versions: (i64, i64),
    /// The breakdown.
    pub breakdown: String,
}

/// What a decision over a locked product says.
#[derive(Debug, Clone)]
pub enum Decision<T> {
    /// Refused, with the rules' verdict.
    Refuse(Box<Verdict>),
    /// A wrong request that no rule judges (a start in the past, an end before the start, ...).
    Invalid(ParkingProblem),
    /// Go ahead.
    Proceed(T),
}

/// Decides a new session over a locked product.
pub type StartDecider = dyn Fn(&Locked) -> Decision<Reservation> + Send + Sync;
/// Decides a new end of a session over a locked product: the new end, and the new reservation
/// (the whole session's cost at its own prices).
pub type ChangeDecider = dyn Fn(&Locked, &ParkingSession) -> Decision<SessionChange> + Send + Sync;

/// A change of an existing session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionChange {
    /// The new end.
    pub end: DateTime<Utc>,
    /// What the session holds afterwards, in the smallest unit.
    pub reserved: i64,
    /// Whether it is a deletion (of a planned session).
    pub delete: bool,
}

/// Why a request is wrong, before any rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParkingProblem {
    /// The start lies more than a minute in the past.
    #[error("start_in_past")]
    StartInPast,
    /// The end is not after the start.
    #[error("end_before_start")]
    EndBeforeStart,
    /// Outside the product's validity.
    #[error("outside_validity")]
    OutsideValidity,
    /// The session is over or deleted: nothing to change.
    #[error("session_over")]
    SessionOver,
    /// An extension must end later.
    #[error("not_later")]
    NotLater,
    /// A running session is stopped, not deleted; a planned one deleted, not stopped.
    #[error("wrong_action")]
    WrongAction,
    /// A permit's session must be for one of its plates.
    #[error("plate_not_on_permit")]
    PlateNotOnPermit,
}

impl ParkingProblem {
    /// The stable code (also the catalogue key under `parking.problem.`).
    pub fn code(self) -> &'static str {
        match self {
            Self::StartInPast => "start_in_past",
            Self::EndBeforeStart => "end_before_start",
            Self::OutsideValidity => "outside_validity",
            Self::SessionOver => "session_over",
            Self::NotLater => "not_later",
            Self::WrongAction => "wrong_action",
            Self::PlateNotOnPermit => "plate_not_on_permit",
        }
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
    /// No such product or session for this resident.
    NotFound,
}

/// Products, sessions and the ledger.
#[async_trait]
pub trait ParkingRepository: Send + Sync {
    /// The products `account` owns.
    async fn products_of(&self, account: AccountId) -> Result<Vec<ProductView>, StoreError>;
    /// One product, if `account` owns it.
    async fn product_of(
        &self,
        account: AccountId,
        product: ProductId,
    ) -> Result<Option<ProductView>, StoreError>;
    /// The running and planned sessions of a product `account` owns (none when it does not).
    async fn active_sessions(
        &self,
        account: AccountId,
        product: ProductId,
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
    /// Credits a due grant once (idempotent under races).
    async fn credit_grant(
        &self,
        product: ProductId,
        grant: &GrantDue,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Locks the product (which `account` must own), credits `grant` when due, lets `decide`
    /// judge the sessions that overlap `window`, and stores the session with its reservation,
    /// in one transaction. `product` is the view read before: the lock refreshes its balance.
    async fn start(
        &self,
        account: AccountId,
        product: &ProductView,
        grant: Option<GrantDue>,
        window: Window,
        now: DateTime<Utc>,
        decide: &StartDecider,
    ) -> Result<Outcome<ParkingSession>, StoreError>;
    /// Locks the session's product, lets `decide` judge a new end (or a deletion) over the
    /// sessions that overlap `window`, and stores it with the reservation or refund that makes
    /// up the difference, in one transaction.
    async fn change(
        &self,
        account: AccountId,
        session: SessionId,
        window: Window,
        now: DateTime<Utc>,
        decide: &ChangeDecider,
    ) -> Result<Outcome<ParkingSession>, StoreError>;
}

/// The grant of `product` due at `now`, if its type has one: keyed by the period's first local
/// day, so that it is credited once per period.
pub fn grant_due(product: &ProductView, now: DateTime<Utc>) -> Option<GrantDue> {
    let grant = product.grant?;
    let period: CapPeriod = grant.period;
    let (start, _) = period.bounds(product.time_zone, now);
    Some(GrantDue {
        key: calendar::local_date(product.time_zone, start).to_string(),
        amount: product.unit.to_smallest(grant.amount)?,
    })
}

/// How far in the past a start may lie: the time a resident needs to fill in the form.
const START_SLACK_SECONDS: i64 = 60;

/// A new session as asked.
#[derive(Debug, Clone)]
pub struct StartRequest {
    /// The plate.
    pub plate: Plate,
    /// Start; now when absent.
    pub start: Option<DateTime<Utc>>,
    /// End; 00:00 of the next local day when absent (shown as 23:59:59).
    pub end: Option<DateTime<Utc>>,
}

/// Why a parking use case failed inside.
#[derive(Debug, thiserror::Error)]
pub enum ParkingError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The rules could not be loaded.
    #[error("rules: {0}")]
    Rules(String),
}

/// A product with the numbers its card shows.
#[derive(Debug, Clone)]
pub struct ProductCard {
    /// The product.
    pub product: ProductView,
    /// Running sessions now.
    pub running: usize,
    /// Planned sessions.
    pub planned: usize,
}

/// A request that passed the checks before the rules.
struct Prepared {
    view: ProductView,
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    pricing: Arc<dyn Pricing>,
}

/// The parking use cases.
#[derive(Clone)]
pub struct Parking {
    repo: Arc<dyn ParkingRepository>,
    rules: Arc<dyn RulesPort>,
    clock: Arc<dyn Clock>,
}

fn to_smallest(unit: BalanceUnit, amount: Decimal) -> i64 {
    // Costs are rounded to the unit by the rules; a unit without balance charges nothing.
    unit.to_smallest(amount).unwrap_or(0)
}

impl Parking {
    /// On their ports.
    pub fn new(
        repo: Arc<dyn ParkingRepository>,
        rules: Arc<dyn RulesPort>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { repo, rules, clock }
    }

    /// The clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The resident's products with their numbers of running and planned sessions; periodic
    /// grants that are due are credited first.
    pub async fn products(&self, account: &Account) -> Result<Vec<ProductCard>, ParkingError> {
        let now = self.clock.now();
        let mut products = self.repo.products_of(account.id).await?;
        let mut credited = false;
        for p in &products {
            if let Some(grant) = grant_due(p, now) {
                self.repo.credit_grant(p.id, &grant, now).await?;
                credited = true;
            }
        }
        if credited {
            products = self.repo.products_of(account.id).await?;
        }
        let mut cards = Vec::with_capacity(products.len());
        for product in products {
            let active = self
                .repo
                .active_sessions(account.id, product.id, now)
                .await?;
            let running = active
                .iter()
                .filter(|s| s.state(now) == SessionState::Running)
                .count();
            cards.push(ProductCard {
                running,
                planned: active.len() - running,
                product,
            });
        }
        Ok(cards)
    }

    /// One product of the resident, with its due grant credited.
    pub async fn product(
        &self,
        account: &Account,
        product: ProductId,
    ) -> Result<Option<ProductView>, ParkingError> {
        let now = self.clock.now();
        let Some(view) = self.repo.product_of(account.id, product).await? else {
            return Ok(None);
        };
        if let Some(grant) = grant_due(&view, now) {
            self.repo.credit_grant(view.id, &grant, now).await?;
            return Ok(self.repo.product_of(account.id, product).await?);
        }
        Ok(Some(view))
    }

    /// Marks `product` as the one the resident works with (it opens after the next login).
    pub async fn choose(&self, account: &Account, product: ProductId) -> Result<(), ParkingError> {
        Ok(self.repo.set_last_product(account.id, product).await?)
    }

    /// The product the resident last worked with.
    pub async fn last_product(&self, account: &Account) -> Result<Option<ProductId>, ParkingError> {
        Ok(self.repo.last_product(account.id).await?)
    }

    /// "Kenteken opzoeken": the plates recently parked on the product.
    pub async fn recent_plates(
        &self,
        account: &Account,
        product: ProductId,
    ) -> Result<Vec<Plate>, ParkingError> {
        Ok(self.repo.recent_plates(account.id, product, 20).await?)
    }

    /// One session of a product of the resident.
    pub async fn session(
        &self,
        account: &Account,
        session: SessionId,
    ) -> Result<Option<ParkingSession>, ParkingError> {
        Ok(self.repo.session_of(account.id, session).await?)
    }

    /// The running and planned sessions of a product of the resident; `None` when it is not
    /// theirs.
    pub async fn sessions(
        &self,
        account: &Account,
        product: ProductId,
    ) -> Result<Option<Vec<ParkingSession>>, ParkingError> {
        if self.repo.product_of(account.id, product).await?.is_none() {
            return Ok(None);
        }
        let now = self.clock.now();
        Ok(Some(
            self.repo.active_sessions(account.id, product, now).await?,
        ))
    }

    /// Checks a request before any rule and loads the rules it is judged by.
    async fn prepare(
        &self,
        account: &Account,
        product: ProductId,
        request: &StartRequest,
    ) -> Result<Result<Prepared, Outcome<ParkingSession>>, ParkingError> {
        let Some(view) = self.repo.product_of(account.id, product).await? else {
            return Ok(Err(Outcome::NotFound));
        };
        self.prepare_on(view, request).await
    }

    /// [`Parking::prepare`] on a product view already read.
    async fn prepare_on(
        &self,
        view: ProductView,
        request: &StartRequest,
    ) -> Result<Result<Prepared, Outcome<ParkingSession>>, ParkingError> {
        let now = self.clock.now();
        let tz = view.time_zone;
        let start = request.start.unwrap_or(now);
        if start < now - Duration::seconds(START_SLACK_SECONDS) {
            return Ok(Err(Outcome::Invalid(ParkingProblem::StartInPast)));
        }
        // A start "now" that the form sent a moment ago counts from now.
        let start = start.max(now);
        let end = request
            .end
            .unwrap_or_else(|| calendar::end_of_day(tz, start));
        if end <= start {
            return Ok(Err(Outcome::Invalid(ParkingProblem::EndBeforeStart)));
        }
        if start < view.valid_from || end > view.valid_until {
            return Ok(Err(Outcome::Invalid(ParkingProblem::OutsideValidity)));
        }
        if view.kind == ProductKind::Permit && !view.plates.contains(&request.plate) {
            return Ok(Err(Outcome::Invalid(ParkingProblem::PlateNotOnPermit)));
        }
        let pricing = self
            .rules
            .current(&RulesOf::of(&view), &view.type_code)
            .await
            .map_err(ParkingError::Rules)?;
        Ok(Ok(Prepared {
            view,
            now,
            start,
            end,
            pricing,
        }))
    }

    /// What starting would cost and whether the checks pass, without reserving anything: the
    /// cost and its breakdown the resident sees before [Bevestigen].
    pub async fn quote(
        &self,
        account: &Account,
        product: ProductId,
        request: StartRequest,
    ) -> Result<Outcome<Box<Verdict>>, ParkingError> {
        let p = match self.prepare(account, product, &request).await? {
            Ok(p) => p,
            Err(Outcome::Invalid(problem)) => return Ok(Outcome::Invalid(problem)),
            Err(_) => return Ok(Outcome::NotFound),
        };
        let active = self
            .repo
            .active_sessions(account.id, product, p.now)
            .await?;
        let check = SessionCheck {
            time_zone: p.view.time_zone,
            zone: p.view.zone_code.to_string(),
            plate: request.plate.normalised().to_owned(),
            start: p.start,
            end: p.end,
            balance: p.view.unit.from_smallest(p.view.balance),
            reserved: Decimal::ZERO,
            others: active.iter().map(|s| (s.start, s.end)).collect(),
        };
        let verdict = Box::new(p.pricing.check(&check, p.now));
        Ok(if verdict.allowed() {
            Outcome::Done(verdict)
        } else {
            Outcome::Refused(verdict)
        })
    }

    /// Starts or plans a session: checked by the rules over the locked product, its cost
    /// reserved from the balance.
    pub async fn start(
        &self,
        account: &Account,
        product: ProductId,
        request: StartRequest,
    ) -> Result<Outcome<ParkingSession>, ParkingError> {
        let Some(view) = self.repo.product_of(account.id, product).await? else {
            return Ok(Outcome::NotFound);
        };
        self.start_on(account, view, request).await
    }

    /// [`Parking::start`] on the resident's product as just read by [`Parking::product`] (which
    /// is how callers that show the product anyway save reading it twice).
    pub async fn start_on(
        &self,
        account: &Account,
        view: ProductView,
        request: StartRequest,
    ) -> Result<Outcome<ParkingSession>, ParkingError> {
        let Prepared {
            view,
            now,
            start,
            end,
            pricing,
        } = match self.prepare_on(view, &request).await? {
            Ok(p) => p,
            Err(outcome) => return Ok(outcome),
        };
        let tz = view.time_zone;
        let plate = request.plate.clone();
        let decide = move |locked: &Locked| {
            let unit = locked.product.unit;
            let check = SessionCheck {
                time_zone: tz,
                zone: locked.product.zone_code.to_string(),
                plate: plate.normalised().to_owned(),
                start,
                end,
                balance: unit.from_smallest(locked.product.balance),
                reserved: Decimal::ZERO,
                others: locked.active.iter().map(|s| (s.start, s.end)).collect(),
            };
            let verdict = pricing.check(&check, now);
            if !verdict.allowed() {
                return Decision::Refuse(Box::new(verdict));
            }
            Decision::Proceed(Reservation {
                plate: plate.clone(),
                start,
                end,
                reserved: to_smallest(unit, verdict.cost),
                versions: pricing.versions(),
                breakdown: verdict.breakdown,
            })
        };
        Ok(self
            .repo
            .start(
                account.id,
                &view,
                grant_due(&view, now),
                Window::around(start, end),
                now,
                &decide,
            )
            .await?)
    }

    async fn pinned(
        &self,
        account: &Account,
        session: SessionId,
    ) -> Result<Option<(ParkingSession, ProductView, Arc<dyn Pricing>)>, ParkingError> {
        let Some(current) = self.repo.session_of(account.id, session).await? else {
            return Ok(None);
        };
        let Some(view) = self.repo.product_of(account.id, current.product).await? else {
            return Ok(None);
        };
        let pricing = self
            .rules
            .pinned(
                &RulesOf::of(&view),
                &view.type_code,
                current.script_version,
                current.tariff_version,
            )
            .await
            .map_err(ParkingError::Rules)?;
        Ok(Some((current, view, pricing)))
    }

    /// [Verleng]: a later end, checked like a start, at the session's own prices; only the
    /// difference is reserved.
    pub async fn extend(
        &self,
        account: &Account,
        session: SessionId,
        new_end: DateTime<Utc>,
    ) -> Result<Outcome<ParkingSession>, ParkingError> {
        let Some((_, view, pricing)) = self.pinned(account, session).await? else {
            return Ok(Outcome::NotFound);
        };
        let now = self.clock.now();
        let tz = view.time_zone;
        let decide = move |locked: &Locked, current: &ParkingSession| {
            if matches!(
                current.state(now),
                SessionState::Ended | SessionState::Deleted
            ) {
                return Decision::Invalid(ParkingProblem::SessionOver);
            }
            if new_end <= current.end {
                return Decision::Invalid(ParkingProblem::NotLater);
            }
            if new_end > locked.product.valid_until {
                return Decision::Invalid(ParkingProblem::OutsideValidity);
            }
            let unit = locked.product.unit;
            let check = SessionCheck {
                time_zone: tz,
                zone: locked.product.zone_code.to_string(),
                plate: current.plate.normalised().to_owned(),
                start: current.start,
                end: new_end,
                balance: unit.from_smallest(locked.product.balance),
                reserved: unit.from_smallest(current.reserved),
                others: locked
                    .active
                    .iter()
                    .filter(|s| s.id != current.id)
                    .map(|s| (s.start, s.end))
                    .collect(),
            };
            let verdict = pricing.check(&check, now);
            if !verdict.allowed() {
                return Decision::Refuse(Box::new(verdict));
            }
            Decision::Proceed(SessionChange {
                end: new_end,
                reserved: to_smallest(unit, verdict.cost).max(current.reserved),
                delete: false,
            })
        };
        Ok(self
            .repo
            .change(
                account.id,
                session,
                Window::around(now, new_end),
                now,
                &decide,
            )
            .await?)
    }

    /// [Stop] a running session (the unused part is refunded at its own prices) or
    /// [Verwijder] a planned one (all of it is refunded).
    pub async fn end(
        &self,
        account: &Account,
        session: SessionId,
    ) -> Result<Outcome<ParkingSession>, ParkingError> {
        let Some((_, view, pricing)) = self.pinned(account, session).await? else {
            return Ok(Outcome::NotFound);
        };
        let now = self.clock.now();
        let tz = view.time_zone;
        let decide = move |locked: &Locked, current: &ParkingSession| match current.state(now) {
            SessionState::Planned => Decision::Proceed(SessionChange {
                end: current.end,
                reserved: 0,
                delete: true,
            }),
            SessionState::Running => {
                let unit = locked.product.unit;
                let check = SessionCheck {
                    time_zone: tz,
                    zone: locked.product.zone_code.to_string(),
                    plate: current.plate.normalised().to_owned(),
                    start: current.start,
                    end: now,
                    balance: unit.from_smallest(locked.product.balance),
                    reserved: unit.from_smallest(current.reserved),
                    others: Vec::new(),
                };
                // The part used, at the session's own prices; never more than it holds.
                let used = pricing
                    .cost(&check, current.start, now)
                    .map(|c| to_smallest(unit, c))
                    .unwrap_or(current.reserved);
                Decision::Proceed(SessionChange {
                    end: now,
                    reserved: used.min(current.reserved),
                    delete: false,
                })
            }
            SessionState::Ended | SessionState::Deleted => {
                Decision::Invalid(ParkingProblem::SessionOver)
            }
        };
        Ok(self
            .repo
            .change(account.id, session, Window::around(now, now), now, &decide)
            .await?)
    }
}
