//! The parking repository: products as their owners see them, sessions, and the ledger.
//!
//! Every write is one transaction; the balance column carries a CHECK that it never goes below
//! zero; every write to a product's sessions or balance counts the product's `revision` up.
//! Changes lock the product row first (PostgreSQL `FOR UPDATE`; SQLite's `BEGIN IMMEDIATE`).
//! A start, the busiest write, first tries without the lock: it decides on a plain read and
//! writes only if the revision is still the one read, which is what the lock would have
//! guaranteed; otherwise (or with a grant to credit) it decides again under the lock.

pub(crate) mod ledger;
mod sessions;
mod view;

use crate::by_key::OneByKey;
use crate::database::{Backend, Database};
use crate::entities::{accounts, mandates, parking_sessions, products};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ledger::{abandon, as_read, changed, credit, credited, decide_on, reserve, reserve_mandated};
use parkportal_domain::parking::{
    ChangeDecider, Decision, GrantDue, Locked, MandateAccess, Outcome, ParkingRepository,
    ParkingSession, ProductAccess, ProductView, StartDecider, Window,
};
use parkportal_domain::plate::Plate;
use parkportal_domain::{
    AccountId, Clock, EmailAddress, MandateId, ProductId, SessionId, StoreError,
};
use sea_orm::sea_query::{Alias, Condition, Expr, Order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use sessions::{active_of, is_owner, lock_with_overlapping, owns, with_overlapping};
use view::{corrupt, owned_by, owned_view, view_from};
pub(crate) use view::{has_plate, product_view, to_session, view_query};

/// Products, sessions and the ledger in the database.
#[derive(Clone, Debug)]
pub struct SeaParkingRepository {
    db: Database,
}

impl SeaParkingRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl SeaParkingRepository {
    /// Locks the row of `product` in `txn` (PostgreSQL; SQLite's writer holds the whole
    /// database); whether it exists.
    async fn lock_product(
        &self,
        txn: &DatabaseTransaction,
        product: ProductId,
    ) -> Result<bool, StoreError> {
        Ok(lock_product_row(&self.db, txn, product).await?.is_some())
    }

    /// A start by a mandatee: always under the product's lock, decided on the mandate's
    /// balance (or the owner's, for a mandate without one) and every live session of the
    /// product (they all count towards its limits).
    async fn start_mandated(
        &self,
        account: AccountId,
        view: &ProductView,
        (grant, mandate): (Option<GrantDue>, MandateAccess),
        window: Window,
        now: DateTime<Utc>,
        decide: &StartDecider,
    ) -> Result<Outcome<ParkingSession>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let Some((_, active)) =
            lock_with_overlapping(&self.db, &txn, account, view.id.0, now, window).await?
        else {
            abandon(txn).await?;
            return Ok(Outcome::NotFound);
        };
        if let Some(grant) = &grant {
            credit(&txn, view.id, grant, now).await?;
        }
        // Read under the lock: the mandate may have been revoked or spent meanwhile.
        let Some(locked) = owned_view(&txn, account, view.id.0)
            .await?
            .filter(|v| v.mandate.as_ref().map(|m| m.id) == Some(mandate.id))
        else {
            abandon(txn).await?;
            return Ok(Outcome::NotFound);
        };
        let sessions_until = locked.sessions_until;
        let reservation = match decide_on(locked, active, now, decide) {
            Ok(r) => r,
            Err(outcome) => {
                abandon(txn).await?;
                return Ok(*outcome);
            }
        };
        let session = reserve_mandated(
            &txn,
            account,
            (view.id, mandate.id.0),
            sessions_until,
            &reservation,
            now,
        )
        .await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(Outcome::Done(session))
    }
}

/// Locks the row of `product` in `txn` (PostgreSQL `FOR UPDATE`; SQLite's writer holds the
/// whole database) and reads it.
pub(crate) async fn lock_product_row(
    db: &Database,
    txn: &DatabaseTransaction,
    product: ProductId,
) -> Result<Option<products::Model>, StoreError> {
    let mut select = products::Entity::find_by_id(product.0);
    if db.backend() == Backend::Postgres {
        select = select.lock_exclusive();
    }
    select.one_by_key(txn).await.map_err(StoreError::new)
}

#[async_trait]
impl ProductAccess for SeaParkingRepository {
    async fn product_of(
        &self,
        account: AccountId,
        product: ProductId,
    ) -> Result<Option<ProductView>, StoreError> {
        owned_view(self.db.connection(), account, product.0).await
    }
}

#[async_trait]
impl ParkingRepository for SeaParkingRepository {
    async fn products_of(&self, account: AccountId) -> Result<Vec<ProductView>, StoreError> {
        let conn = self.db.connection();
        let mut query = view_query();
        owned_by(&mut query, account);
        let p = Alias::new("p");
        query
            .order_by((p.clone(), Alias::new("tenant_id")), Order::Asc)
            .order_by((p, Alias::new("id")), Order::Asc);
        let rows = conn.query_all(&query).await.map_err(StoreError::new)?;
        let mut views = Vec::with_capacity(rows.len());
        for row in &rows {
            views.push(view_from(conn, row).await?);
        }
        Ok(views)
    }

    async fn active_sessions(
        &self,
        account: AccountId,
        product: ProductId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ParkingSession>, StoreError> {
        let conn = self.db.connection();
        if !owns(conn, account, product).await? {
            return Ok(Vec::new());
        }
        active_of(conn, product.0, now).await
    }

    async fn mandatee_addresses(
        &self,
        product: ProductId,
        given: &[MandateId],
    ) -> Result<Vec<(MandateId, EmailAddress)>, StoreError> {
        let ids: Vec<i64> = given.iter().map(|m| m.0).collect();
        mandates::Entity::find()
            .filter(mandates::Column::ProductId.eq(product.0))
            .filter(mandates::Column::Id.is_in(ids))
            .all(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .into_iter()
            .map(|m| {
                let email = EmailAddress::parse(&m.email)
                    .map_err(|_| StoreError::new("a mandate's stored address is no address"))?;
                Ok((MandateId(m.id), email))
            })
            .collect()
    }

    async fn live_sessions_of(
        &self,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ParkingSession>, StoreError> {
        sessions::live_of_account(self.db.connection(), account, now).await
    }

    async fn session_of(
        &self,
        account: AccountId,
        session: SessionId,
    ) -> Result<Option<ParkingSession>, StoreError> {
        let conn = self.db.connection();
        // An anonymised session (its plate gone) is history only: nothing to act on.
        let Some(row) = parking_sessions::Entity::find_by_id(session.0)
            .filter(has_plate())
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(None);
        };
        // The session's own account, while it still reaches the product (a revoked mandate
        // does not).
        if row.account_id != Some(account.0)
            || !owns(conn, account, ProductId(row.product_id)).await?
        {
            return Ok(None);
        }
        to_session(row).map(Some)
    }

    async fn set_last_product(
        &self,
        account: AccountId,
        product: ProductId,
    ) -> Result<(), StoreError> {
        // Every page about a product chooses it, and most of the time it is chosen already: a
        // read answers then. An update, even one that changes no row, takes SQLite's write lock
        // and queues behind every other writer.
        let chosen = accounts::Entity::find_by_id(account.0)
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .and_then(|a| a.last_product_id);
        if chosen == Some(product.0) {
            return Ok(());
        }
        accounts::Entity::update_many()
            .col_expr(accounts::Column::LastProductId, Expr::value(product.0))
            .filter(accounts::Column::Id.eq(account.0))
            .filter(
                Condition::any()
                    .add(accounts::Column::LastProductId.is_null())
                    .add(accounts::Column::LastProductId.ne(product.0)),
            )
            .exec(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(())
    }

    async fn set_active_plate(
        &self,
        product: ProductId,
        plate: &Plate,
    ) -> Result<bool, StoreError> {
        use crate::entities::product_plates::{Column as C, Entity};
        // Two statements in one transaction: at most one plate may be active (a unique partial
        // index), and PostgreSQL checks that row by row within a single UPDATE. The product's
        // lock comes first, so that a second switch clears after the first one committed
        // rather than missing its new plate and breaking the index.
        let (_gate, txn) = self.db.begin_write().await?;
        if !self.lock_product(&txn, product).await? {
            abandon(txn).await?;
            return Ok(false);
        }
        Entity::update_many()
            .col_expr(C::Active, Expr::value(false))
            .filter(C::ProductId.eq(product.0))
            .filter(C::Active.eq(true))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        let set = Entity::update_many()
            .col_expr(C::Active, Expr::value(true))
            .filter(C::ProductId.eq(product.0))
            .filter(C::Plate.eq(plate.normalised()))
            .filter(C::Country.eq(plate.country().as_str()))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        if set.rows_affected != 1 {
            abandon(txn).await?;
            return Ok(false);
        }
        txn.commit().await.map_err(StoreError::new)?;
        Ok(true)
    }

    async fn last_product(&self, account: AccountId) -> Result<Option<ProductId>, StoreError> {
        let conn = self.db.connection();
        let Some(last) = accounts::Entity::find_by_id(account.0)
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?
            .and_then(|a| a.last_product_id)
        else {
            return Ok(None);
        };
        let reachable = owned_view(conn, account, last).await?;
        Ok(reachable.map(|p| p.id))
    }

    async fn recent_plates(
        &self,
        account: AccountId,
        product: ProductId,
        limit: u64,
    ) -> Result<Vec<Plate>, StoreError> {
        let conn = self.db.connection();
        if !owns(conn, account, product).await? {
            return Ok(Vec::new());
        }
        // The newest sessions first; the first time a plate appears is its latest use.
        let mut query = parking_sessions::Entity::find()
            .filter(parking_sessions::Column::ProductId.eq(product.0));
        if !is_owner(conn, account, product).await? {
            query = query.filter(parking_sessions::Column::AccountId.eq(account.0));
        }
        let rows = query
            // Anonymised plates are gone from here too.
            .filter(has_plate())
            .order_by_desc(parking_sessions::Column::CreatedAt)
            .order_by_desc(parking_sessions::Column::Id)
            .limit(limit * 10)
            .all(conn)
            .await
            .map_err(StoreError::new)?;
        let mut plates: Vec<Plate> = Vec::new();
        for row in rows {
            let plate = Plate::from_stored(&row.plate, &row.country)
                .map_err(|_| corrupt("plate", "not a plate"))?;
            if !plates.contains(&plate) {
                plates.push(plate);
            }
            if plates.len() as u64 >= limit {
                break;
            }
        }
        Ok(plates)
    }

    async fn credit_grant(
        &self,
        product: ProductId,
        grant: &GrantDue,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // Every view of a product with a grant asks for it; once the period's grant is in, a
        // read answers, so that showing a permit never queues behind the writers.
        if credited(self.db.connection(), product, grant).await? {
            return Ok(false);
        }
        let (_gate, txn) = self.db.begin_write().await?;
        if !self.lock_product(&txn, product).await? {
            abandon(txn).await?;
            return Ok(false);
        }
        let credited = credit(&txn, product, grant, now).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(credited)
    }

    async fn start(
        &self,
        account: AccountId,
        product: &ProductView,
        grant: Option<GrantDue>,
        window: Window,
        now: DateTime<Utc>,
        decide: &StartDecider,
    ) -> Result<Outcome<ParkingSession>, StoreError> {
        let view = product;
        let product = view.id;
        // First decided on what was read and written only if the product's revision is still
        // the one read: no lock is held while reading and deciding, and the write's first
        // statement locks the row only if it is still at that revision. When no session of the product ends
        // after the start, the view the caller read suffices; else the product is read again
        // with the sessions that overlap. A refusal writes nothing, so the read suffices for
        // it. A grant still to credit, or a write in between, goes the locked way.
        let grant_pending = match &grant {
            Some(g) => !credited(self.db.connection(), product, g).await?,
            None => false,
        };
        if let Some(mandate) = view.mandate.clone() {
            return self
                .start_mandated(account, view, (grant, mandate), window, now, decide)
                .await;
        }
        if !grant_pending {
            let overlaps_nothing = view
                .sessions_until
                .is_none_or(|until| until <= Ord::max(now, window.from));
            let (read, active) = if overlaps_nothing {
                (view.clone(), Vec::new())
            } else {
                let Some((row, active)) =
                    with_overlapping(self.db.connection(), account, product.0, now, window).await?
                else {
                    return Ok(Outcome::NotFound);
                };
                (as_read(view, &row), active)
            };
            let revision = read.revision;
            let reservation = match decide_on(read, active, now, decide) {
                Ok(r) => r,
                Err(outcome) => return Ok(*outcome),
            };
            // PostgreSQL runs the one statement atomically by itself; SQLite's statements run
            // in a transaction behind the write gate.
            let written = if self.db.backend() == Backend::Postgres {
                reserve(
                    self.db.connection(),
                    account,
                    product,
                    revision,
                    &reservation,
                    now,
                )
                .await?
            } else {
                let (_gate, txn) = self.db.begin_write().await?;
                let written = reserve(&txn, account, product, revision, &reservation, now).await?;
                if written.is_some() {
                    txn.commit().await.map_err(StoreError::new)?;
                } else {
                    abandon(txn).await?;
                }
                written
            };
            if let Some(session) = written {
                return Ok(Outcome::Done(session));
            }
        }
        let (_gate, txn) = self.db.begin_write().await?;
        let Some((mut row, mut active)) =
            lock_with_overlapping(&self.db, &txn, account, product.0, now, window).await?
        else {
            abandon(txn).await?;
            return Ok(Outcome::NotFound);
        };
        if let Some(grant) = &grant
            && credit(&txn, product, grant, now).await?
        {
            // Read again after the grant: the decision sees the balance as it is.
            (row, active) = with_overlapping(&txn, account, product.0, now, window)
                .await?
                .ok_or_else(|| StoreError::new("locked product vanished"))?;
        }
        let reservation = match decide_on(as_read(view, &row), active, now, decide) {
            Ok(r) => r,
            Err(outcome) => {
                abandon(txn).await?;
                return Ok(*outcome);
            }
        };
        let session = reserve(&txn, account, product, row.revision, &reservation, now)
            .await?
            .ok_or_else(|| StoreError::new("a locked product changed its revision"))?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(Outcome::Done(session))
    }

    async fn change(
        &self,
        account: AccountId,
        session: SessionId,
        window: Window,
        clock: &dyn Clock,
        decide: &ChangeDecider,
        audit: Option<&parkportal_domain::audit::AuditEntry>,
    ) -> Result<Outcome<ParkingSession>, StoreError> {
        // Read before the lock, the moment only bounds which sessions are read: one read later
        // sees no session that this one misses.
        let early = clock.now();
        let (_gate, txn) = self.db.begin_write().await?;
        // Only who started a session changes it: an owner's sessions are the owner's, a
        // mandatee's the mandatee's (whose money it holds).
        let Some(row) = parking_sessions::Entity::find_by_id(session.0)
            .filter(parking_sessions::Column::AccountId.eq(account.0))
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
        else {
            abandon(txn).await?;
            return Ok(Outcome::NotFound);
        };
        let Some((_, active)) =
            lock_with_overlapping(&self.db, &txn, account, row.product_id, early, window).await?
        else {
            abandon(txn).await?;
            return Ok(Outcome::NotFound);
        };
        // Read the session again under the product's lock: a parallel change may have won. The
        // decision's moment is read only now, after every write the lock waited for.
        let row = parking_sessions::Entity::find_by_id(session.0)
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
            .ok_or_else(|| StoreError::new("session vanished under its product's lock"))?;
        let now = clock.now();
        let current = to_session(row)?;
        let locked = Locked {
            product: owned_view(&txn, account, current.product.0)
                .await?
                .ok_or_else(|| StoreError::new("locked product vanished"))?,
            active: active.into_iter().filter(|s| s.end > now).collect(),
            now,
        };
        let sessions_until = locked.product.sessions_until;
        // The money of a session started through a mandate is that mandate's, unless it spends
        // the owner's; the actor reaches the product through that same mandate.
        if locked.product.mandate.as_ref().map(|m| m.id) != current.mandate {
            abandon(txn).await?;
            return Ok(Outcome::NotFound);
        }
        let change = match decide(&locked, &current) {
            Decision::Proceed(c) => c,
            Decision::Refuse(verdict) => {
                abandon(txn).await?;
                return Ok(Outcome::Refused(verdict));
            }
            Decision::Invalid(problem) => {
                abandon(txn).await?;
                return Ok(Outcome::Invalid(problem));
            }
            Decision::AlreadyParked(other) => {
                abandon(txn).await?;
                return Ok(Outcome::AlreadyParked(other));
            }
        };
        let mut update = parking_sessions::Entity::update_many()
            .col_expr(
                parking_sessions::Column::Reserved,
                Expr::value(change.reserved),
            )
            .filter(parking_sessions::Column::Id.eq(session.0));
        if let Some(breakdown) = &change.breakdown {
            update = update.col_expr(
                parking_sessions::Column::Breakdown,
                Expr::value(breakdown.to_stored()),
            );
        }
        if change.delete {
            update = update.col_expr(parking_sessions::Column::DeletedAt, Expr::value(now));
        } else {
            update = update.col_expr(parking_sessions::Column::EndAt, Expr::value(change.end));
            if change.end < current.end {
                update = update.col_expr(parking_sessions::Column::StoppedAt, Expr::value(now));
            }
        }
        update.exec(&txn).await.map_err(StoreError::new)?;
        // An extension may move the product's bound of session ends; a stop or a delete
        // leaves it, since a bound that is too late only costs a read.
        let raised =
            (!change.delete && sessions_until.is_none_or(|u| u < change.end)).then_some(change.end);
        let posting = change.posting(&current);
        changed(&txn, current.product.0, &posting, raised, now).await?;
        let row = parking_sessions::Entity::find_by_id(session.0)
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
            .ok_or_else(|| StoreError::new("session vanished"))?;
        if let Some(entry) = audit {
            crate::audit::write(&txn, entry).await?;
        }
        txn.commit().await.map_err(StoreError::new)?;
        to_session(row).map(Outcome::Done)
    }

    async fn starter_in(
        &self,
        tenant: parkportal_domain::TenantId,
        session: SessionId,
    ) -> Result<Option<(ProductId, Option<AccountId>)>, StoreError> {
        let conn = self.db.connection();
        let Some(row) = parking_sessions::Entity::find_by_id(session.0)
            .filter(has_plate())
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(None);
        };
        // The gemeente's own products only, in the query.
        let theirs = products::Entity::find_by_id(row.product_id)
            .filter(products::Column::TenantId.eq(tenant.0))
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?;
        Ok(theirs.map(|p| (ProductId(p.id), row.account_id.map(AccountId))))
    }
}
