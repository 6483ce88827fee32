//! The parking repository: products as their owners see them, sessions, and the ledger. Every
//! write locks the product row first (PostgreSQL `FOR UPDATE`; SQLite's `BEGIN IMMEDIATE`) and is
//! one transaction; the balance column carries a CHECK that it never goes below zero.

use crate::database::{Backend, Database};
use crate::entities::{
    accounts, ledger_entries, parking_sessions, product_plates, product_types, products, tenants,
    zones,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::calendar::CapPeriod;
use parkportal_domain::parking::{
    ChangeDecider, Decision, GrantDue, Locked, Outcome, ParkingRepository, ParkingSession,
    ProductView, StartDecider,
};
use parkportal_domain::plate::Plate;
use parkportal_domain::{
    AccountId, BalanceUnit, Code, PeriodicGrant, ProductId, ProductKind, SessionId, StoreError,
    TenantId,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TryInsertResult,
};

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

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::new(format!("stored {what} does not parse: {e}"))
}

async fn view_of<C: ConnectionTrait>(
    conn: &C,
    row: &products::Model,
) -> Result<ProductView, StoreError> {
    let tenant = tenants::Entity::find_by_id(row.tenant_id)
        .one(conn)
        .await
        .map_err(StoreError::new)?
        .ok_or_else(|| StoreError::new("product without gemeente"))?;
    let pt = product_types::Entity::find_by_id(row.product_type_id)
        .one(conn)
        .await
        .map_err(StoreError::new)?
        .ok_or_else(|| StoreError::new("product without type"))?;
    let zone = zones::Entity::find_by_id(row.zone_id)
        .one(conn)
        .await
        .map_err(StoreError::new)?
        .ok_or_else(|| StoreError::new("product without zone"))?;
    let plates = product_plates::Entity::find()
        .filter(product_plates::Column::ProductId.eq(row.id))
        .order_by_asc(product_plates::Column::Position)
        .all(conn)
        .await
        .map_err(StoreError::new)?
        .iter()
        .map(|p| Plate::from_stored(&p.plate, &p.country).map_err(|e| corrupt("plate", e)))
        .collect::<Result<Vec<_>, _>>()?;
    let unit = BalanceUnit::parse(&pt.unit).map_err(|e| corrupt("unit", e))?;
    let grant = match (pt.grant_period.as_deref(), pt.grant_amount) {
        (Some(period), Some(amount)) => Some(PeriodicGrant {
            period: CapPeriod::parse(period).ok_or_else(|| corrupt("grant period", period))?,
            amount: unit.from_smallest(amount),
        }),
        _ => None,
    };
    Ok(ProductView {
        id: ProductId(row.id),
        tenant: TenantId(tenant.id),
        tenant_slug: tenant.slug,
        tenant_name: tenant.name,
        time_zone: tenant
            .time_zone
            .parse()
            .map_err(|e| corrupt("time zone", e))?,
        type_code: Code::parse(&pt.code).map_err(|e| corrupt("product type", e))?,
        type_name: pt.name,
        kind: ProductKind::parse(&pt.kind).map_err(|e| corrupt("kind", e))?,
        unit,
        grant,
        zone_code: Code::parse(&zone.code).map_err(|e| corrupt("zone", e))?,
        zone_name: zone.name,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        balance: row.balance,
        plates,
    })
}

fn to_session(row: parking_sessions::Model) -> Result<ParkingSession, StoreError> {
    Ok(ParkingSession {
        id: SessionId(row.id),
        product: ProductId(row.product_id),
        account: AccountId(row.account_id),
        plate: Plate::from_stored(&row.plate, &row.country).map_err(|e| corrupt("plate", e))?,
        start: row.start_at,
        end: row.end_at,
        reserved: row.reserved,
        script_version: row.script_version,
        tariff_version: row.tariff_version,
        breakdown: row.breakdown,
        deleted_at: row.deleted_at,
    })
}

/// The owned product `id`, locked for the rest of the transaction.
async fn lock_owned(
    db: &Database,
    txn: &DatabaseTransaction,
    account: AccountId,
    id: i64,
) -> Result<Option<products::Model>, StoreError> {
    let mut select = products::Entity::find_by_id(id)
        .filter(products::Column::OwnerId.eq(account.0))
        .filter(products::Column::Status.eq("active"));
    if db.backend() == Backend::Postgres {
        select = select.lock_exclusive();
    }
    select.one(txn).await.map_err(StoreError::new)
}

async fn active_of<C: ConnectionTrait>(
    conn: &C,
    product: i64,
    now: DateTime<Utc>,
) -> Result<Vec<ParkingSession>, StoreError> {
    parking_sessions::Entity::find()
        .filter(parking_sessions::Column::ProductId.eq(product))
        .filter(parking_sessions::Column::DeletedAt.is_null())
        .filter(parking_sessions::Column::EndAt.gt(now))
        .order_by_asc(parking_sessions::Column::StartAt)
        .order_by_asc(parking_sessions::Column::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)?
        .into_iter()
        .map(to_session)
        .collect()
}

/// Adds `delta` (signed, smallest unit) to the balance and records it, in `txn`.
async fn book(
    txn: &DatabaseTransaction,
    product: i64,
    kind: &str,
    delta: i64,
    session: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if delta == 0 {
        return Ok(());
    }
    ledger_entries::ActiveModel {
        product_id: Set(product),
        kind: Set(kind.to_owned()),
        amount: Set(delta),
        session_id: Set(session),
        grant_key: Set(None),
        reference: Set(None),
        note: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(StoreError::new)?;
    products::Entity::update_many()
        .col_expr(
            products::Column::Balance,
            Expr::col(products::Column::Balance).add(delta),
        )
        .filter(products::Column::Id.eq(product))
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    Ok(())
}

/// Credits `grant` once: the unique (product, grant key) index makes a second credit of the same
/// period a no-op, also when two transactions race for it.
async fn credit(
    txn: &DatabaseTransaction,
    product: i64,
    grant: &GrantDue,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let entry = ledger_entries::ActiveModel {
        product_id: Set(product),
        kind: Set("grant".to_owned()),
        amount: Set(grant.amount),
        session_id: Set(None),
        grant_key: Set(Some(grant.key.clone())),
        reference: Set(None),
        note: Set(None),
        created_at: Set(now),
        ..Default::default()
    };
    let inserted = ledger_entries::Entity::insert(entry)
        .on_conflict_do_nothing_on([
            ledger_entries::Column::ProductId,
            ledger_entries::Column::GrantKey,
        ])
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    if matches!(inserted, TryInsertResult::Inserted(_)) {
        products::Entity::update_many()
            .col_expr(
                products::Column::Balance,
                Expr::col(products::Column::Balance).add(grant.amount),
            )
            .filter(products::Column::Id.eq(product))
            .exec(txn)
            .await
            .map_err(StoreError::new)?;
    }
    Ok(())
}

#[async_trait]
impl ParkingRepository for SeaParkingRepository {
    async fn products_of(&self, account: AccountId) -> Result<Vec<ProductView>, StoreError> {
        let conn = self.db.connection();
        let rows = products::Entity::find()
            .filter(products::Column::OwnerId.eq(account.0))
            .filter(products::Column::Status.eq("active"))
            .order_by_asc(products::Column::TenantId)
            .order_by_asc(products::Column::Id)
            .all(conn)
            .await
            .map_err(StoreError::new)?;
        let mut views = Vec::with_capacity(rows.len());
        for row in &rows {
            views.push(view_of(conn, row).await?);
        }
        Ok(views)
    }

    async fn product_of(
        &self,
        account: AccountId,
        product: ProductId,
    ) -> Result<Option<ProductView>, StoreError> {
        let conn = self.db.connection();
        let row = products::Entity::find_by_id(product.0)
            .filter(products::Column::OwnerId.eq(account.0))
            .filter(products::Column::Status.eq("active"))
            .one(conn)
            .await
            .map_err(StoreError::new)?;
        match row {
            Some(row) => view_of(conn, &row).await.map(Some),
            None => Ok(None),
        }
    }

    async fn active_sessions(
        &self,
        account: AccountId,
        product: ProductId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ParkingSession>, StoreError> {
        let conn = self.db.connection();
        let owned = products::Entity::find_by_id(product.0)
            .filter(products::Column::OwnerId.eq(account.0))
            .one(conn)
            .await
            .map_err(StoreError::new)?;
        if owned.is_none() {
            return Ok(Vec::new());
        }
        active_of(conn, product.0, now).await
    }

    async fn session_of(
        &self,
        account: AccountId,
        session: SessionId,
    ) -> Result<Option<ParkingSession>, StoreError> {
        let conn = self.db.connection();
        let Some(row) = parking_sessions::Entity::find_by_id(session.0)
            .one(conn)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(None);
        };
        let owned = products::Entity::find_by_id(row.product_id)
            .filter(products::Column::OwnerId.eq(account.0))
            .one(conn)
            .await
            .map_err(StoreError::new)?;
        match owned {
            Some(_) => to_session(row).map(Some),
            None => Ok(None),
        }
    }

    async fn set_last_product(
        &self,
        account: AccountId,
        product: ProductId,
    ) -> Result<(), StoreError> {
        accounts::Entity::update_many()
            .col_expr(accounts::Column::LastProductId, Expr::value(product.0))
            .filter(accounts::Column::Id.eq(account.0))
            .exec(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(())
    }

    async fn last_product(&self, account: AccountId) -> Result<Option<ProductId>, StoreError> {
        let conn = self.db.connection();
        let Some(last) = accounts::Entity::find_by_id(account.0)
            .one(conn)
            .await
            .map_err(StoreError::new)?
            .and_then(|a| a.last_product_id)
        else {
            return Ok(None);
        };
        let still_owned = products::Entity::find_by_id(last)
            .filter(products::Column::OwnerId.eq(account.0))
            .filter(products::Column::Status.eq("active"))
            .one(conn)
            .await
            .map_err(StoreError::new)?;
        Ok(still_owned.map(|p| ProductId(p.id)))
    }

    async fn recent_plates(
        &self,
        account: AccountId,
        product: ProductId,
        limit: u64,
    ) -> Result<Vec<Plate>, StoreError> {
        let conn = self.db.connection();
        let owned = products::Entity::find_by_id(product.0)
            .filter(products::Column::OwnerId.eq(account.0))
            .one(conn)
            .await
            .map_err(StoreError::new)?;
        if owned.is_none() {
            return Ok(Vec::new());
        }
        // The newest sessions first; the first time a plate appears is its latest use.
        let rows = parking_sessions::Entity::find()
            .filter(parking_sessions::Column::ProductId.eq(product.0))
            .order_by_desc(parking_sessions::Column::CreatedAt)
            .order_by_desc(parking_sessions::Column::Id)
            .limit(limit * 10)
            .all(conn)
            .await
            .map_err(StoreError::new)?;
        let mut plates: Vec<Plate> = Vec::new();
        for row in rows {
            let plate =
                Plate::from_stored(&row.plate, &row.country).map_err(|e| corrupt("plate", e))?;
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
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_write().await?;
        let mut select = products::Entity::find_by_id(product.0);
        if self.db.backend() == Backend::Postgres {
            select = select.lock_exclusive();
        }
        if select.one(&txn).await.map_err(StoreError::new)?.is_none() {
            return Ok(());
        }
        credit(&txn, product.0, grant, now).await?;
        txn.commit().await.map_err(StoreError::new)
    }

    async fn start(
        &self,
        account: AccountId,
        product: ProductId,
        grant: Option<GrantDue>,
        now: DateTime<Utc>,
        decide: &StartDecider,
    ) -> Result<Outcome<ParkingSession>, StoreError> {
        let txn = self.db.begin_write().await?;
        if lock_owned(&self.db, &txn, account, product.0)
            .await?
            .is_none()
        {
            return Ok(Outcome::NotFound);
        }
        if let Some(grant) = &grant {
            credit(&txn, product.0, grant, now).await?;
        }
        // Read again after the grant: the decision sees the balance as it is.
        let row = products::Entity::find_by_id(product.0)
            .one(&txn)
            .await
            .map_err(StoreError::new)?
            .ok_or_else(|| StoreError::new("locked product vanished"))?;
        let locked = Locked {
            product: view_of(&txn, &row).await?,
            active: active_of(&txn, product.0, now).await?,
        };
        let reservation = match decide(&locked) {
            Decision::Proceed(r) => r,
            Decision::Refuse(verdict) => return Ok(Outcome::Refused(verdict)),
            Decision::Invalid(problem) => return Ok(Outcome::Invalid(problem)),
        };
        let session = parking_sessions::ActiveModel {
            product_id: Set(product.0),
            account_id: Set(account.0),
            plate: Set(reservation.plate.normalised().to_owned()),
            country: Set(reservation.plate.country().as_str().to_owned()),
            start_at: Set(reservation.start),
            end_at: Set(reservation.end),
            reserved: Set(reservation.reserved),
            script_version: Set(reservation.versions.0),
            tariff_version: Set(reservation.versions.1),
            breakdown: Set(reservation.breakdown.clone()),
            created_at: Set(now),
            stopped_at: Set(None),
            deleted_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(StoreError::new)?;
        book(
            &txn,
            product.0,
            "reservation",
            -reservation.reserved,
            Some(session.id),
            now,
        )
        .await?;
        txn.commit().await.map_err(StoreError::new)?;
        to_session(session).map(Outcome::Done)
    }

    async fn change(
        &self,
        account: AccountId,
        session: SessionId,
        now: DateTime<Utc>,
        decide: &ChangeDecider,
    ) -> Result<Outcome<ParkingSession>, StoreError> {
        let txn = self.db.begin_write().await?;
        let Some(row) = parking_sessions::Entity::find_by_id(session.0)
            .one(&txn)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(Outcome::NotFound);
        };
        let Some(product) = lock_owned(&self.db, &txn, account, row.product_id).await? else {
            return Ok(Outcome::NotFound);
        };
        // Read the session again under the product's lock: a parallel change may have won.
        let row = parking_sessions::Entity::find_by_id(session.0)
            .one(&txn)
            .await
            .map_err(StoreError::new)?
            .ok_or_else(|| StoreError::new("session vanished under its product's lock"))?;
        let current = to_session(row)?;
        let locked = Locked {
            product: view_of(&txn, &product).await?,
            active: active_of(&txn, product.id, now).await?,
        };
        let change = match decide(&locked, &current) {
            Decision::Proceed(c) => c,
            Decision::Refuse(verdict) => return Ok(Outcome::Refused(verdict)),
            Decision::Invalid(problem) => return Ok(Outcome::Invalid(problem)),
        };
        let mut update = parking_sessions::Entity::update_many()
            .col_expr(
                parking_sessions::Column::Reserved,
                Expr::value(change.reserved),
            )
            .filter(parking_sessions::Column::Id.eq(session.0));
        if change.delete {
            update = update.col_expr(parking_sessions::Column::DeletedAt, Expr::value(now));
        } else {
            update = update.col_expr(parking_sessions::Column::EndAt, Expr::value(change.end));
            if change.end < current.end {
                update = update.col_expr(parking_sessions::Column::StoppedAt, Expr::value(now));
            }
        }
        update.exec(&txn).await.map_err(StoreError::new)?;
        // What the session gives back (positive) or takes more (negative).
        let delta = current.reserved - change.reserved;
        let kind = if delta > 0 { "refund" } else { "reservation" };
        book(&txn, product.id, kind, delta, Some(session.0), now).await?;
        let row = parking_sessions::Entity::find_by_id(session.0)
            .one(&txn)
            .await
            .map_err(StoreError::new)?
            .ok_or_else(|| StoreError::new("session vanished"))?;
        txn.commit().await.map_err(StoreError::new)?;
        to_session(row).map(Outcome::Done)
    }
}
