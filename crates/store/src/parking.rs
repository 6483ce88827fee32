//! The parking repository: products as their owners see them, sessions, and the ledger. Every
//! write locks the product row first (PostgreSQL `FOR UPDATE`; SQLite's `BEGIN IMMEDIATE`) and is
//! one transaction; the balance column carries a CHECK that it never goes below zero.

use crate::database::{Backend, Database};
use crate::entities::{accounts, ledger_entries, parking_sessions, product_plates, products};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::calendar::CapPeriod;
use parkportal_domain::parking::{
    ChangeDecider, Decision, GrantDue, Locked, Outcome, ParkingRepository, ParkingSession,
    ProductView, StartDecider, Window,
};
use parkportal_domain::plate::Plate;
use parkportal_domain::{
    AccountId, BalanceUnit, Code, PeriodicGrant, ProductId, ProductKind, SessionId, StoreError,
    TenantId,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
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

/// The product as its owner sees it: one query joining its gemeente, type and zone, and one
/// for the plates of a permit.
async fn view_of<C: ConnectionTrait>(
    conn: &C,
    row: &products::Model,
) -> Result<ProductView, StoreError> {
    let (t, pt, z) = (Alias::new("t"), Alias::new("pt"), Alias::new("z"));
    let query = Query::select()
        .expr_as(
            Expr::col((t.clone(), Alias::new("id"))),
            Alias::new("tenant_id"),
        )
        .expr_as(
            Expr::col((t.clone(), Alias::new("slug"))),
            Alias::new("tenant_slug"),
        )
        .expr_as(
            Expr::col((t.clone(), Alias::new("name"))),
            Alias::new("tenant_name"),
        )
        .expr_as(
            Expr::col((t.clone(), Alias::new("time_zone"))),
            Alias::new("time_zone"),
        )
        .expr_as(
            Expr::col((t.clone(), Alias::new("version"))),
            Alias::new("tenant_version"),
        )
        .expr_as(
            Expr::col((pt.clone(), Alias::new("code"))),
            Alias::new("type_code"),
        )
        .expr_as(
            Expr::col((pt.clone(), Alias::new("name"))),
            Alias::new("type_name"),
        )
        .expr_as(
            Expr::col((pt.clone(), Alias::new("kind"))),
            Alias::new("kind"),
        )
        .expr_as(
            Expr::col((pt.clone(), Alias::new("unit"))),
            Alias::new("unit"),
        )
        .expr_as(
            Expr::col((pt.clone(), Alias::new("grant_period"))),
            Alias::new("grant_period"),
        )
        .expr_as(
            Expr::col((pt.clone(), Alias::new("grant_amount"))),
            Alias::new("grant_amount"),
        )
        .expr_as(
            Expr::col((z.clone(), Alias::new("code"))),
            Alias::new("zone_code"),
        )
        .expr_as(
            Expr::col((z.clone(), Alias::new("name"))),
            Alias::new("zone_name"),
        )
        .from_as(Alias::new("tenants"), t.clone())
        .join_as(
            sea_orm::sea_query::JoinType::InnerJoin,
            Alias::new("product_types"),
            pt.clone(),
            Expr::col((pt.clone(), Alias::new("id"))).eq(row.product_type_id),
        )
        .join_as(
            sea_orm::sea_query::JoinType::InnerJoin,
            Alias::new("zones"),
            z.clone(),
            Expr::col((z.clone(), Alias::new("id"))).eq(row.zone_id),
        )
        .and_where(Expr::col((t, Alias::new("id"))).eq(row.tenant_id))
        .to_owned();
    let r = conn
        .query_one(&query)
        .await
        .map_err(StoreError::new)?
        .ok_or_else(|| StoreError::new("product without gemeente, type or zone"))?;
    let get_s = |c: &str| r.try_get::<String>("", c).map_err(StoreError::new);
    let kind = ProductKind::parse(&get_s("kind")?).map_err(|e| corrupt("kind", e))?;
    let unit = BalanceUnit::parse(&get_s("unit")?).map_err(|e| corrupt("unit", e))?;
    let grant_period: Option<String> = r.try_get("", "grant_period").map_err(StoreError::new)?;
    let grant_amount: Option<i64> = r.try_get("", "grant_amount").map_err(StoreError::new)?;
    let grant = match (grant_period.as_deref(), grant_amount) {
        (Some(period), Some(amount)) => Some(PeriodicGrant {
            period: CapPeriod::parse(period).ok_or_else(|| corrupt("grant period", period))?,
            amount: unit.from_smallest(amount),
        }),
        _ => None,
    };
    // Only permits carry plates that matter to a session; a visitor scheme needs no query.
    let plates = if kind == ProductKind::Permit {
        product_plates::Entity::find()
            .filter(product_plates::Column::ProductId.eq(row.id))
            .order_by_asc(product_plates::Column::Position)
            .all(conn)
            .await
            .map_err(StoreError::new)?
            .iter()
            .map(|p| Plate::from_stored(&p.plate, &p.country).map_err(|e| corrupt("plate", e)))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        Vec::new()
    };
    Ok(ProductView {
        id: ProductId(row.id),
        tenant: TenantId(r.try_get("", "tenant_id").map_err(StoreError::new)?),
        tenant_slug: get_s("tenant_slug")?,
        tenant_name: get_s("tenant_name")?,
        tenant_version: r.try_get("", "tenant_version").map_err(StoreError::new)?,
        time_zone: get_s("time_zone")?
            .parse()
            .map_err(|e| corrupt("time zone", e))?,
        type_code: Code::parse(&get_s("type_code")?).map_err(|e| corrupt("product type", e))?,
        type_name: get_s("type_name")?,
        kind,
        unit,
        grant,
        zone_code: Code::parse(&get_s("zone_code")?).map_err(|e| corrupt("zone", e))?,
        zone_name: get_s("zone_name")?,
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

/// Whether `account` owns `product`.
async fn owns<C: ConnectionTrait>(
    conn: &C,
    account: AccountId,
    product: ProductId,
) -> Result<bool, StoreError> {
    Ok(products::Entity::find_by_id(product.0)
        .filter(products::Column::OwnerId.eq(account.0))
        .one(conn)
        .await
        .map_err(StoreError::new)?
        .is_some())
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

/// The live sessions of `product` that overlap `window`.
async fn overlapping<C: ConnectionTrait>(
    conn: &C,
    product: i64,
    now: DateTime<Utc>,
    window: Window,
) -> Result<Vec<ParkingSession>, StoreError> {
    parking_sessions::Entity::find()
        .filter(parking_sessions::Column::ProductId.eq(product))
        .filter(parking_sessions::Column::DeletedAt.is_null())
        .filter(parking_sessions::Column::EndAt.gt(Ord::max(now, window.from)))
        .filter(parking_sessions::Column::StartAt.lt(window.until))
        .order_by_asc(parking_sessions::Column::StartAt)
        .order_by_asc(parking_sessions::Column::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)?
        .into_iter()
        .map(to_session)
        .collect()
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
/// period a no-op, also when two transactions race for it. Whether it credited now.
async fn credit(
    txn: &DatabaseTransaction,
    product: i64,
    grant: &GrantDue,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
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
    if !matches!(inserted, TryInsertResult::Inserted(_)) {
        return Ok(false);
    }
    products::Entity::update_many()
        .col_expr(
            products::Column::Balance,
            Expr::col(products::Column::Balance).add(grant.amount),
        )
        .filter(products::Column::Id.eq(product))
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    Ok(true)
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
        if !owns(conn, account, product).await? {
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
        if !owns(conn, account, product).await? {
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
        let (_gate, txn) = self.db.begin_write().await?;
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
        product: &ProductView,
        grant: Option<GrantDue>,
        window: Window,
        now: DateTime<Utc>,
        decide: &StartDecider,
    ) -> Result<Outcome<ParkingSession>, StoreError> {
        let view = product;
        let product = view.id;
        let (_gate, txn) = self.db.begin_write().await?;
        let Some(mut row) = lock_owned(&self.db, &txn, account, product.0).await? else {
            return Ok(Outcome::NotFound);
        };
        if let Some(grant) = &grant
            && credit(&txn, product.0, grant, now).await?
        {
            // Read again after the grant: the decision sees the balance as it is.
            row = products::Entity::find_by_id(product.0)
                .one(&txn)
                .await
                .map_err(StoreError::new)?
                .ok_or_else(|| StoreError::new("locked product vanished"))?;
        }
        // The view read before the lock, with what may have changed since: the balance and the
        // validity, as locked.
        let locked = Locked {
            product: ProductView {
                balance: row.balance,
                valid_from: row.valid_from,
                valid_until: row.valid_until,
                ..view.clone()
            },
            active: overlapping(&txn, product.0, now, window).await?,
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
        window: Window,
        now: DateTime<Utc>,
        decide: &ChangeDecider,
    ) -> Result<Outcome<ParkingSession>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
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
            active: overlapping(&txn, product.id, now, window).await?,
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
