//! The parking use cases: products, starting (with a quote first), extending and ending sessions.

use super::charging::{held, suspended, used_part};
use super::model::{ParkingProblem, ParkingSession, ProductView, SessionState, Window, grant_due};
use super::ports::{Decision, Locked, Outcome, ParkingRepository, Reservation, SessionChange};
use super::rules::{Pricing, RuleError, RulesOf, RulesPort, SessionCheck, Verdict};
use crate::Clock;
use crate::accounts::Account;
use crate::calendar::{self};
use crate::ids::{AccountId, ProductId, SessionId};
use crate::ledger::Wallet;
use crate::plate::Plate;
use crate::ports::StoreError;
use crate::product_type::ProductKind;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use std::sync::Arc;

/// A new session as asked.
#[derive(Debug, Clone)]
pub struct StartRequest {
    /// The plate.
    pub plate: Plate,
    /// Start; now (the moment the request is decided) when absent.
    pub start: Option<DateTime<Utc>>,
    /// End; 00:00 of the next local day when absent (shown as 23:59:59).
    pub end: Option<DateTime<Utc>>,
}

impl StartRequest {
    /// Whether `session` starts later than the start asked: a typed start that had just passed
    /// was moved to the moment of confirming (the resident is told).
    pub fn moved_to_now(&self, session: &ParkingSession) -> bool {
        self.start.is_some_and(|asked| asked < session.start)
    }
}

/// `other` as `account` may see it: the owner sees every session of the product, a mandatee
/// only their own.
fn as_seen_by(
    account: AccountId,
    view: &ProductView,
    other: &ParkingSession,
) -> Option<Box<ParkingSession>> {
    (view.mandate.is_none() || other.account == Some(account)).then(|| Box::new(other.clone()))
}

/// The live session among `active` in which `plate` parks at some moment of [start, end), other
/// than `except`: a plate parks once per product at a time, whoever of owner and mandatees
/// started it.
fn parked<'a>(
    active: &'a [ParkingSession],
    plate: &Plate,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    except: Option<SessionId>,
    now: DateTime<Utc>,
) -> Option<&'a ParkingSession> {
    active.iter().find(|s| {
        Some(s.id) != except
            && &s.plate == plate
            && matches!(s.state(now), SessionState::Running | SessionState::Planned)
            && s.start < end
            && start < s.end
    })
}

/// Why a parking use case failed inside.
#[derive(Debug, thiserror::Error)]
pub enum ParkingError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The rules could not be loaded.
    #[error("rules: {0}")]
    Rules(RuleError),
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
    pub(super) repo: Arc<dyn ParkingRepository>,
    rules: Arc<dyn RulesPort>,
    pub(super) clock: Arc<dyn Clock>,
    start_grace: Duration,
}

/// The sessions of `view` that `account` sees: all of them for the owner (a mandatee's too),
/// only their own for a mandatee. Every one of them counts towards the product's limits. Only
/// running and planned ones: a stopped session is over even when a clock reads a moment before
/// its stop (another instance's, a little behind).
pub(super) fn shown_to(
    account: &Account,
    view: &ProductView,
    mut sessions: Vec<ParkingSession>,
    now: DateTime<Utc>,
) -> Vec<ParkingSession> {
    sessions.retain(|s| matches!(s.state(now), SessionState::Running | SessionState::Planned));
    if view.mandate.is_some() {
        sessions.retain(|s| s.account == Some(account.id));
    }
    sessions
}

impl Parking {
    /// On their ports. A typed start that has passed by less than `start_grace` is moved to
    /// now; one further back is refused.
    pub fn new(
        repo: Arc<dyn ParkingRepository>,
        rules: Arc<dyn RulesPort>,
        clock: Arc<dyn Clock>,
        start_grace: Duration,
    ) -> Self {
        Self {
            repo,
            rules,
            clock,
            start_grace,
        }
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
                credited |= self.repo.credit_grant(p.id, &grant, now).await?;
            }
        }
        if credited {
            products = self.repo.products_of(account.id).await?;
        }
        let mut cards = Vec::with_capacity(products.len());
        for product in products {
            cards.push(self.card_of(account, product, now).await?);
        }
        Ok(cards)
    }

    /// One product of the resident with its numbers, its due grant credited: the header of a
    /// page about that product. `None` when it is not theirs.
    pub async fn card(
        &self,
        account: &Account,
        product: ProductId,
    ) -> Result<Option<ProductCard>, ParkingError> {
        let Some(view) = self.product(account, product).await? else {
            return Ok(None);
        };
        Ok(Some(self.card_of(account, view, self.clock.now()).await?))
    }

    async fn card_of(
        &self,
        account: &Account,
        product: ProductView,
        now: DateTime<Utc>,
    ) -> Result<ProductCard, ParkingError> {
        let active = self
            .repo
            .active_sessions(account.id, product.id, now)
            .await?;
        let active = shown_to(account, &product, active, now);
        let running = active
            .iter()
            .filter(|s| s.state(now) == SessionState::Running)
            .count();
        Ok(ProductCard {
            running,
            planned: active.len() - running,
            product,
        })
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
        if let Some(grant) = grant_due(&view, now)
            && self.repo.credit_grant(view.id, &grant, now).await?
        {
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

    /// One session of a product of the resident.
    pub async fn session(
        &self,
        account: &Account,
        session: SessionId,
    ) -> Result<Option<ParkingSession>, ParkingError> {
        Ok(self.repo.session_of(account.id, session).await?)
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
        // Nothing new on a suspended gemeente, whatever the request (checked again under the
        // product's lock, on the gemeente's state read with the product).
        if view.tenant_suspended {
            return Ok(Err(Outcome::Refused(suspended(view.unit))));
        }
        let now = self.clock.now();
        let tz = view.time_zone;
        let start = request.start.unwrap_or(now);
        if start < now - self.start_grace {
            return Ok(Err(Outcome::Invalid(ParkingProblem::StartInPast)));
        }
        // A start that passed while the resident looked at the cost counts from now.
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
        if let Some(only) = view.mandate.as_ref().and_then(|m| m.plate.as_ref())
            && only != &request.plate
        {
            return Ok(Err(Outcome::Invalid(ParkingProblem::PlateNotOnMandate)));
        }
        let pricing = self
            .rules
            .in_force(&RulesOf::of(&view), &view.type_code, start)
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
            Err(Outcome::Refused(verdict)) => return Ok(Outcome::Refused(verdict)),
            Err(_) => return Ok(Outcome::NotFound),
        };
        let active = self
            .repo
            .active_sessions(account.id, product, p.now)
            .await?;
        if let Some(other) = parked(&active, &request.plate, (p.start, p.end), None, p.now) {
            return Ok(Outcome::AlreadyParked(as_seen_by(
                account.id, &p.view, other,
            )));
        }
        let check = SessionCheck {
            time_zone: p.view.time_zone,
            zone: p.view.zone_code.to_string(),
            plate: request.plate.normalised().to_owned(),
            start: p.start,
            end: p.end,
            balance: p.view.unit.from_smallest(p.view.balance),
            reserved: Decimal::ZERO,
            others: active.iter().map(|s| (s.start, s.end)).collect(),
            top_ups_in_period: Decimal::ZERO,
            mandatee: p.view.mandate.is_some(),
            extends: None,
        };
        let verdict = p.pricing.check(&check, p.now);
        if !verdict.allowed() {
            return Ok(Outcome::Refused(Box::new(verdict)));
        }
        // The quote refuses what confirming would: a cost the balance cannot hold.
        Ok(
            match held(p.view.unit, verdict, p.pricing.as_ref(), p.now) {
                Ok((_, verdict)) => Outcome::Done(Box::new(verdict)),
                Err(refused) => Outcome::Refused(refused),
            },
        )
    }

    /// Starts or plans a session: checked by the rules over the product as it stands, its cost
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
        let asking = account.id;
        let decide = move |locked: &Locked| {
            if locked.product.tenant_suspended {
                return Decision::Refuse(suspended(locked.product.unit));
            }
            if let Some(other) = parked(&locked.active, &plate, (start, end), None, locked.now) {
                return Decision::AlreadyParked(as_seen_by(asking, &locked.product, other));
            }
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
                top_ups_in_period: Decimal::ZERO,
                mandatee: locked.product.mandate.is_some(),
                extends: None,
            };
            let verdict = pricing.check(&check, now);
            if !verdict.allowed() {
                return Decision::Refuse(Box::new(verdict));
            }
            let (reserved, verdict) = match held(unit, verdict, pricing.as_ref(), now) {
                Ok(held) => held,
                Err(refused) => return Decision::Refuse(refused),
            };
            Decision::Proceed(Reservation {
                plate: plate.clone(),
                start,
                end,
                reserved,
                versions: pricing.versions(),
                breakdown: verdict.breakdown,
                wallet: Wallet::of_view(&locked.product),
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
        self.pinned_by(account.id, session).await
    }

    /// [`Parking::pinned`] by the account's id.
    async fn pinned_by(
        &self,
        account: AccountId,
        session: SessionId,
    ) -> Result<Option<(ParkingSession, ProductView, Arc<dyn Pricing>)>, ParkingError> {
        let Some(current) = self.repo.session_of(account, session).await? else {
            return Ok(None);
        };
        let Some(view) = self.repo.product_of(account, current.product).await? else {
            return Ok(None);
        };
        let pricing = self
            .rules
            .pinned(&RulesOf::of(&view), &view.type_code, current.versions)
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
        let tz = view.time_zone;
        let asking = account.id;
        // Every judgement is on the session and the moment read under the product's lock: a
        // stop that the lock waited for leaves nothing to extend.
        let decide = move |locked: &Locked, current: &ParkingSession| {
            let now = locked.now;
            if matches!(
                current.state(now),
                SessionState::Ended | SessionState::Deleted
            ) {
                return Decision::Invalid(ParkingProblem::SessionOver);
            }
            if new_end <= current.end {
                return Decision::Invalid(ParkingProblem::NotLater);
            }
            // A running session of a suspended gemeente runs out at its end; it gets no more.
            if locked.product.tenant_suspended {
                return Decision::Refuse(suspended(locked.product.unit));
            }
            if new_end > locked.product.valid_until {
                return Decision::Invalid(ParkingProblem::OutsideValidity);
            }
            // Only the added time can meet another session of the plate.
            if let Some(other) = parked(
                &locked.active,
                &current.plate,
                (current.end, new_end),
                Some(current.id),
                now,
            ) {
                return Decision::AlreadyParked(as_seen_by(asking, &locked.product, other));
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
                top_ups_in_period: Decimal::ZERO,
                mandatee: locked.product.mandate.is_some(),
                extends: Some(current.end),
            };
            let verdict = pricing.check(&check, now);
            if !verdict.allowed() {
                return Decision::Refuse(Box::new(verdict));
            }
            let (reserved, verdict) = match held(unit, verdict, pricing.as_ref(), now) {
                Ok(held) => held,
                Err(refused) => return Decision::Refuse(refused),
            };
            Decision::Proceed(SessionChange {
                end: new_end,
                reserved: reserved.max(current.reserved),
                delete: false,
                breakdown: Some(verdict.breakdown),
                wallet: Wallet::of_view(&locked.product),
            })
        };
        let window = Window::around(self.clock.now(), new_end);
        Ok(self
            .repo
            .change(
                account.id,
                session,
                window,
                self.clock.as_ref(),
                &decide,
                None,
            )
            .await?)
    }

    /// [Stop] a running session (the unused part is refunded at its own prices) or
    /// [Verwijder] a planned one (all of it is refunded). A session stopped at the very instant
    /// it began has not run and goes like a planned one.
    pub async fn end(
        &self,
        account: &Account,
        session: SessionId,
    ) -> Result<Outcome<ParkingSession>, ParkingError> {
        self.end_by(account.id, session, None).await
    }

    /// [Stop] or [Verwijder] by staff of `tenant` for the account that started the session (its
    /// refund as the resident's own), `audit` (about the session) written with the change.
    /// `NotFound`: not a session of this gemeente's products, or one that nobody's account
    /// reaches any more.
    pub async fn end_for_staff(
        &self,
        tenant: crate::ids::TenantId,
        session: SessionId,
        audit: &crate::audit::AuditEntry,
    ) -> Result<Outcome<ParkingSession>, ParkingError> {
        let Some((_, Some(account))) = self.repo.starter_in(tenant, session).await? else {
            return Ok(Outcome::NotFound);
        };
        let audit = audit.clone().about("session", session.0);
        self.end_by(account, session, Some(&audit)).await
    }

    /// [`Parking::end`] for `account`, with staff's `audit` entry when staff act.
    async fn end_by(
        &self,
        account: AccountId,
        session: SessionId,
        audit: Option<&crate::audit::AuditEntry>,
    ) -> Result<Outcome<ParkingSession>, ParkingError> {
        let Some((_, view, pricing)) = self.pinned_by(account, session).await? else {
            return Ok(Outcome::NotFound);
        };
        let tz = view.time_zone;
        let decide = move |locked: &Locked, current: &ParkingSession| {
            let now = locked.now;
            let gone = SessionChange {
                end: current.end,
                reserved: 0,
                delete: true,
                breakdown: None,
                wallet: Wallet::of_view(&locked.product),
            };
            match current.state(now) {
                // A session stopped at the instant it began has not run: it goes like a
                // planned one (an end equal to its start would be no session at all).
                SessionState::Running if now == current.start => Decision::Proceed(gone),
                SessionState::Planned => Decision::Proceed(gone),
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
                        top_ups_in_period: Decimal::ZERO,
                        mandatee: locked.product.mandate.is_some(),
                        extends: None,
                    };
                    Decision::Proceed(SessionChange {
                        end: now,
                        reserved: used_part(pricing.as_ref(), &check, unit, current.reserved, now),
                        delete: false,
                        breakdown: None,
                        wallet: gone.wallet,
                    })
                }
                SessionState::Ended | SessionState::Deleted => {
                    Decision::Invalid(ParkingProblem::SessionOver)
                }
            }
        };
        let now = self.clock.now();
        Ok(self
            .repo
            .change(
                account,
                session,
                Window::around(now, now),
                self.clock.as_ref(),
                &decide,
                audit,
            )
            .await?)
    }
}
