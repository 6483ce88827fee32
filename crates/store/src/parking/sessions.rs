//! Reading a product's sessions: the ones that overlap a window (with the product, unlocked or
//! locked) and the ones still live.

use super::view::{owned_by, select_all_of, to_session};
use crate::by_key::OneByKey;
use crate::database::{Backend, Database};
use crate::entities::{mandates, parking_sessions, products};
use chrono::{DateTime, Utc};
use parkportal_domain::parking::{ParkingSession, Window};
use parkportal_domain::{AccountId, ProductId, StoreError};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, JoinType, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect,
};

/// Whether `account` owns `product`.
pub(super) async fn is_owner<C: ConnectionTrait>(
    conn: &C,
    account: AccountId,
    product: ProductId,
) -> Result<bool, StoreError> {
    Ok(products::Entity::find_by_id(product.0)
        .filter(products::Column::OwnerId.eq(account.0))
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)?
        .is_some())
}

/// Whether `account` reaches `product`: owns it, or has an accepted mandate on it.
pub(super) async fn owns<C: ConnectionTrait>(
    conn: &C,
    account: AccountId,
    product: ProductId,
) -> Result<bool, StoreError> {
    if is_owner(conn, account, product).await? {
        return Ok(true);
    }
    Ok(!mandates::Entity::find()
        .filter(mandates::Column::ProductId.eq(product.0))
        .filter(mandates::Column::MandateeId.eq(account.0))
        .filter(mandates::Column::Status.eq("accepted"))
        .all(conn)
        .await
        .map_err(StoreError::new)?
        .is_empty())
}

/// The owned, active product `id` with its live sessions that overlap `window` after `now`, in
/// one statement.
pub(super) async fn with_overlapping<C: ConnectionTrait>(
    conn: &C,
    account: AccountId,
    id: i64,
    now: DateTime<Utc>,
    window: Window,
) -> Result<Option<(products::Model, Vec<ParkingSession>)>, StoreError> {
    let (p, s) = (Alias::new("p"), Alias::new("s"));
    let col = |table: &Alias, c: &str| Expr::col((table.clone(), Alias::new(c)));
    let mut query = Query::select();
    select_all_of::<products::Entity>(&mut query, &p, "p_");
    select_all_of::<parking_sessions::Entity>(&mut query, &s, "s_");
    query
        .from_as(products::Entity, p.clone())
        .join_as(
            JoinType::LeftJoin,
            parking_sessions::Entity,
            s.clone(),
            Condition::all()
                .add(col(&s, "product_id").equals((p.clone(), Alias::new("id"))))
                .add(col(&s, "deleted_at").is_null())
                .add(col(&s, "end_at").gt(Ord::max(now, window.from)))
                .add(col(&s, "start_at").lt(window.until)),
        )
        .and_where(col(&p, "id").eq(id))
        .order_by((s.clone(), Alias::new("start_at")), Order::Asc)
        .order_by((s, Alias::new("id")), Order::Asc);
    owned_by(&mut query, account);
    let rows = conn.query_all(&query).await.map_err(StoreError::new)?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let product = products::Model::from_query_result(first, "p_").map_err(StoreError::new)?;
    let mut sessions = Vec::new();
    for row in &rows {
        // The product without overlapping sessions comes as one row of NULL sessions.
        let session: Option<i64> = row.try_get("s_", "id").map_err(StoreError::new)?;
        if session.is_some() {
            sessions.push(to_session(
                parking_sessions::Model::from_query_result(row, "s_").map_err(StoreError::new)?,
            )?);
        }
    }
    Ok(Some((product, sessions)))
}

/// [`with_overlapping`], with the product locked for the rest of the transaction.
///
/// On SQLite the transaction already holds the writer's lock, so one statement reads both.
/// PostgreSQL first locks the product row in a statement of its own: a statement that waited
/// for a row lock still reads the other tables as they were when it began, so a joined read
/// would miss the sessions that the previous holder of the lock had just committed.
pub(super) async fn lock_with_overlapping(
    db: &Database,
    txn: &DatabaseTransaction,
    account: AccountId,
    id: i64,
    now: DateTime<Utc>,
    window: Window,
) -> Result<Option<(products::Model, Vec<ParkingSession>)>, StoreError> {
    if db.backend() == Backend::Postgres {
        let locked = products::Entity::find()
            .select_only()
            .column(products::Column::Id)
            .filter(products::Column::Id.eq(id))
            .lock_exclusive()
            .into_tuple::<i64>()
            .all(txn)
            .await
            .map_err(StoreError::new)?;
        if locked.is_empty() {
            return Ok(None);
        }
    }
    with_overlapping(txn, account, id, now, window).await
}

/// The live sessions of the products `which` selects that end after `now`, by start.
async fn live_where<C: ConnectionTrait>(
    conn: &C,
    which: impl sea_orm::sea_query::IntoCondition,
    now: DateTime<Utc>,
) -> Result<Vec<ParkingSession>, StoreError> {
    parking_sessions::Entity::find()
        .filter(which)
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

/// The live sessions of `product` that end after `now`.
pub(super) async fn active_of<C: ConnectionTrait>(
    conn: &C,
    product: i64,
    now: DateTime<Utc>,
) -> Result<Vec<ParkingSession>, StoreError> {
    live_where(conn, parking_sessions::Column::ProductId.eq(product), now).await
}

/// The running and planned sessions of every active product `account` owns, by start.
pub(super) async fn live_of_account<C: ConnectionTrait>(
    conn: &C,
    account: AccountId,
    now: DateTime<Utc>,
) -> Result<Vec<ParkingSession>, StoreError> {
    let owned = Query::select()
        .column(products::Column::Id)
        .from(products::Entity)
        .and_where(Expr::col(products::Column::OwnerId).eq(account.0))
        .and_where(Expr::col(products::Column::Status).eq("active"))
        .to_owned();
    // And the account's own sessions on products it reaches through a mandate.
    let mandated = Query::select()
        .column(mandates::Column::ProductId)
        .from(mandates::Entity)
        .and_where(Expr::col(mandates::Column::MandateeId).eq(account.0))
        .and_where(Expr::col(mandates::Column::Status).eq("accepted"))
        .to_owned();
    // Two reads, each along the index of a product's sessions (an OR would read them all).
    let mut sessions = live_where(
        conn,
        parking_sessions::Column::ProductId.in_subquery(owned),
        now,
    )
    .await?;
    let own_mandated = Condition::all()
        .add(parking_sessions::Column::ProductId.in_subquery(mandated))
        .add(parking_sessions::Column::AccountId.eq(account.0));
    sessions.extend(live_where(conn, own_mandated, now).await?);
    sessions.sort_by_key(|s| (s.start, s.id));
    Ok(sessions)
}
