//! Products, sessions and the ledger in memory: the parking ports as the store keeps their
//! promises (one product per view, postings applied to the balance they name, no balance below
//! zero), without SQL.

use crate::Clock;
use crate::email::EmailAddress;
use crate::ids::{AccountId, MandateId, ProductId, SessionId};
use crate::ledger::{LedgerPosting, Wallet};
use crate::parking::{
    ChangeDecider, Decision, GrantDue, Locked, Outcome, ParkingRepository, ParkingSession,
    ProductAccess, ProductView, StartDecider, Window,
};
use crate::plate::Plate;
use crate::ports::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Mutex;

#[derive(Default)]
struct State {
    /// Each account's view of the products it reaches.
    views: Vec<(AccountId, ProductView)>,
    sessions: Vec<ParkingSession>,
    postings: Vec<LedgerPosting>,
    /// The mandates given, with their mandatee's address.
    mandatees: Vec<(ProductId, MandateId, EmailAddress)>,
}

/// The parking store in memory.
#[derive(Default)]
pub(crate) struct FakeParking {
    state: Mutex<State>,
}

impl FakeParking {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Lets `account` reach `view`.
    pub(crate) fn with(self, account: AccountId, view: ProductView) -> Self {
        self.state().views.push((account, view));
        self
    }

    /// Records that `mandate` on `product` went to `email`.
    pub(crate) fn with_mandatee(self, product: ProductId, mandate: MandateId, email: &str) -> Self {
        let email = EmailAddress::parse(email).unwrap_or_else(|e| panic!("{e}"));
        self.state().mandatees.push((product, mandate, email));
        self
    }

    /// Suspends the gemeente of every product (they all have one).
    pub(crate) fn suspend(&self) {
        for (_, view) in &mut self.state().views {
            view.tenant_suspended = true;
        }
    }

    /// Every posting so far, in order.
    pub(crate) fn postings(&self) -> Vec<LedgerPosting> {
        self.state().postings.clone()
    }

    /// The balance `account` sees on `product`.
    pub(crate) fn balance(&self, account: AccountId, product: ProductId) -> Option<i64> {
        let state = self.state();
        view_of(&state, account, product).map(|v| v.balance)
    }

    /// The stored session `id`.
    pub(crate) fn stored(&self, id: SessionId) -> Option<ParkingSession> {
        self.state().sessions.iter().find(|s| s.id == id).cloned()
    }
}

fn view_of(state: &State, account: AccountId, product: ProductId) -> Option<ProductView> {
    state
        .views
        .iter()
        .find(|(a, v)| *a == account && v.id == product)
        .map(|(_, v)| v.clone())
}

fn live(state: &State, product: ProductId, now: DateTime<Utc>) -> Vec<ParkingSession> {
    state
        .sessions
        .iter()
        .filter(|s| s.product == product && s.deleted_at.is_none() && s.stopped_at.is_none())
        .filter(|s| s.end > now)
        .cloned()
        .collect()
}

/// Applies `posting` to every view that shows the balance it names, refusing one that would
/// take that balance below zero (the database's CHECK constraint).
fn post(state: &mut State, posting: &LedgerPosting) -> Result<(), StoreError> {
    let shows = |v: &ProductView| {
        let spends = Wallet::of_view(v);
        v.id == posting.product && spends == posting.wallet
    };
    for (_, view) in state.views.iter_mut().filter(|(_, v)| shows(v)) {
        view.balance += posting.amount;
        if view.balance < 0 {
            return Err(StoreError::new("balance below zero"));
        }
        view.revision += 1;
    }
    state.postings.push(posting.clone());
    Ok(())
}

fn refused<T, U>(decision: Decision<T>) -> Result<T, Outcome<U>> {
    match decision {
        Decision::Proceed(t) => Ok(t),
        Decision::Refuse(verdict) => Err(Outcome::Refused(verdict)),
        Decision::Invalid(problem) => Err(Outcome::Invalid(problem)),
        Decision::AlreadyParked(other) => Err(Outcome::AlreadyParked(other)),
    }
}

#[async_trait]
impl ProductAccess for FakeParking {
    async fn product_of(
        &self,
        account: AccountId,
        product: ProductId,
    ) -> Result<Option<ProductView>, StoreError> {
        Ok(view_of(&self.state(), account, product))
    }
}

#[async_trait]
impl ParkingRepository for FakeParking {
    async fn products_of(&self, account: AccountId) -> Result<Vec<ProductView>, StoreError> {
        let state = self.state();
        let mine = state.views.iter().filter(|(a, _)| *a == account);
        Ok(mine.map(|(_, v)| v.clone()).collect())
    }

    async fn active_sessions(
        &self,
        _account: AccountId,
        product: ProductId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ParkingSession>, StoreError> {
        Ok(live(&self.state(), product, now))
    }

    async fn mandatee_addresses(
        &self,
        product: ProductId,
        mandates: &[MandateId],
    ) -> Result<Vec<(MandateId, EmailAddress)>, StoreError> {
        Ok(self
            .state()
            .mandatees
            .iter()
            .filter(|(p, m, _)| *p == product && mandates.contains(m))
            .map(|(_, m, email)| (*m, email.clone()))
            .collect())
    }

    async fn live_sessions_of(
        &self,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ParkingSession>, StoreError> {
        let state = self.state();
        let sessions = state.sessions.iter().filter(|s| s.account == Some(account));
        Ok(sessions.filter(|s| s.end > now).cloned().collect())
    }

    async fn session_of(
        &self,
        account: AccountId,
        session: SessionId,
    ) -> Result<Option<ParkingSession>, StoreError> {
        let found = self.stored(session);
        Ok(found.filter(|s| s.account == Some(account)))
    }

    async fn starter_in(
        &self,
        _: crate::ids::TenantId,
        session: SessionId,
    ) -> Result<Option<(ProductId, Option<AccountId>)>, StoreError> {
        Ok(self.stored(session).map(|s| (s.product, s.account)))
    }

    async fn set_last_product(&self, _: AccountId, _: ProductId) -> Result<(), StoreError> {
        Ok(())
    }

    async fn set_active_plate(&self, _: ProductId, _: &Plate) -> Result<bool, StoreError> {
        Ok(false)
    }

    async fn last_product(&self, _: AccountId) -> Result<Option<ProductId>, StoreError> {
        Ok(None)
    }

    async fn recent_plates(
        &self,
        _: AccountId,
        _: ProductId,
        _: u64,
    ) -> Result<Vec<Plate>, StoreError> {
        Ok(Vec::new())
    }

    async fn credit_grant(
        &self,
        product: ProductId,
        grant: &GrantDue,
        _now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut state = self.state();
        let posting = LedgerPosting::grant(product, grant);
        if state.postings.contains(&posting) {
            return Ok(false);
        }
        post(&mut state, &posting)?;
        Ok(true)
    }

    async fn start(
        &self,
        account: AccountId,
        product: &ProductView,
        _grant: Option<GrantDue>,
        _window: Window,
        now: DateTime<Utc>,
        decide: &StartDecider,
    ) -> Result<Outcome<ParkingSession>, StoreError> {
        let mut state = self.state();
        let Some(view) = view_of(&state, account, product.id) else {
            return Ok(Outcome::NotFound);
        };
        let active = live(&state, view.id, now);
        let locked = Locked {
            product: view.clone(),
            active,
            now,
        };
        let r = match refused(decide(&locked)) {
            Ok(r) => r,
            Err(outcome) => return Ok(outcome),
        };
        let id = SessionId(i64::try_from(state.sessions.len()).unwrap_or(i64::MAX) + 1);
        let session = ParkingSession {
            id,
            product: view.id,
            account: Some(account),
            plate: r.plate.clone(),
            start: r.start,
            end: r.end,
            reserved: r.reserved,
            versions: r.versions,
            breakdown: Some(r.breakdown.clone()),
            deleted_at: None,
            stopped_at: None,
            mandate: view.mandate.as_ref().map(|m| m.id),
        };
        post(&mut state, &r.posting(view.id, id))?;
        state.sessions.push(session.clone());
        Ok(Outcome::Done(session))
    }

    async fn change(
        &self,
        account: AccountId,
        session: SessionId,
        _window: Window,
        clock: &dyn Clock,
        decide: &ChangeDecider,
        _audit: Option<&crate::audit::AuditEntry>,
    ) -> Result<Outcome<ParkingSession>, StoreError> {
        let mut state = self.state();
        let now = clock.now();
        let found = state.sessions.iter().position(|s| s.id == session);
        let Some(at) = found.filter(|&i| state.sessions[i].account == Some(account)) else {
            return Ok(Outcome::NotFound);
        };
        let current = state.sessions[at].clone();
        let Some(view) = view_of(&state, account, current.product) else {
            return Ok(Outcome::NotFound);
        };
        let active = live(&state, view.id, now);
        let locked = Locked {
            product: view,
            active,
            now,
        };
        let change = match refused(decide(&locked, &current)) {
            Ok(c) => c,
            Err(outcome) => return Ok(outcome),
        };
        post(&mut state, &change.posting(&current))?;
        let stored = &mut state.sessions[at];
        stored.reserved = change.reserved;
        if change.delete {
            stored.deleted_at = Some(now);
        } else {
            if change.end < stored.end {
                stored.stopped_at = Some(now);
            }
            stored.end = change.end;
        }
        Ok(Outcome::Done(stored.clone()))
    }
}
