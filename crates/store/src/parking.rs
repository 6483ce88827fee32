//! The parking repository: products as their owners see them, sessions, and the ledger.
//!
//! Every write is one transaction; the balance column carries a CHECK that it never goes below
//! zero; every write to a product's sessions or balance counts the product's `revision` up.
//! Changes lock the product row first (PostgreSQL `FOR UPDATE`; SQLite's `BEGIN IMMEDIATE`).
//! A start, the busiest write, first tries without the lock: it decides on a plain read and
//! writes only if the revision is still the one read, which is what the lock would have
//! guaranteed; otherwise (or with a grant to credit) it decides again under the lock.

use crate::by_key::OneByKey;
use crate::database::{Backend, Database};
use crate::entities::{accounts, ledger_entries, parking_sessions, product_plates, products};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::calendar::CapPeriod;
use parkportal_domain::parking::{
    ChangeDecider, Decision, GrantDue, Locked, Outcome, ParkingRepository, ParkingSession,
    ProductView, Reservation, StartDecider, Window,
};
use parkportal_domain::plate::Plate;
use parkportal_domain::{
    AccountId, BalanceUnit, Code, PeriodicGrant, ProductId, ProductKind, SessionId, StoreError,
    TenantId,
};
use sea_orm::sea_query::{
    Alias, Condition, Expr, ExprTrait, JoinType, Order, Query, SelectStatement,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    FromQueryResult, IdenStatic, Iterable, QueryFilter, QueryOrder, QueryResult, QuerySelect, Set,
    Statement, TryInsertResult, Value,
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

/// Selects every column of entity `E` from the table aliased `table`, each aliased
/// `{prefix}{column}`, which is how `FromQueryResult::from_query_result(row, prefix)` reads them.
fn select_all_of<E: EntityTrait>(query: &mut SelectStatement, table: &Alias, prefix: &str) {
    for column in E::Column::iter() {
        query.expr_as(
            Expr::col((table.clone(), Alias::new(column.as_str()))),
            Alias::new(format!("{prefix}{}", column.as_str())),
        );
    }
}

/// Products as their owners see them (`p_*` columns, then the gemeente, type and zone they
/// belong to), in one query: the caller adds which products.
fn view_query() -> SelectStatement {
    let (p, t, pt, z) = (
        Alias::new("p"),
        Alias::new("t"),
        Alias::new("pt"),
        Alias::new("z"),
    );
    let mut query = Query::select();
    select_all_of::<products::Entity>(&mut query, &p, "p_");
    for (table, column, alias) in [
        (&t, "slug", "tenant_slug"),
        (&t, "name", "tenant_name"),
        (&t, "time_zone", "time_zone"),
        (&t, "version", "tenant_version"),
        (&pt, "code", "type_code"),
        (&pt, "name", "type_name"),
        (&pt, "kind", "kind"),
        (&pt, "unit", "unit"),
        (&pt, "grant_period", "grant_period"),
        (&pt, "grant_amount", "grant_amount"),
        (&z, "code", "zone_code"),
        (&z, "name", "zone_name"),
    ] {
        query.expr_as(
            Expr::col((table.clone(), Alias::new(column))),
            Alias::new(alias),
        );
    }
    query
        .from_as(products::Entity, p.clone())
        .join_as(
            JoinType::InnerJoin,
            Alias::new("tenants"),
            t.clone(),
            Expr::col((t, Alias::new("id"))).equals((p.clone(), Alias::new("tenant_id"))),
        )
        .join_as(
            JoinType::InnerJoin,
            Alias::new("product_types"),
            pt.clone(),
            Expr::col((pt, Alias::new("id"))).equals((p.clone(), Alias::new("product_type_id"))),
        )
        .join_as(
            JoinType::InnerJoin,
            Alias::new("zones"),
            z.clone(),
            Expr::col((z, Alias::new("id"))).equals((p, Alias::new("zone_id"))),
        )
        .to_owned()
}

/// Restricts a product query (its products aliased `p`) to the active products of `account`.
fn owned_by(query: &mut SelectStatement, account: AccountId) {
    let p = Alias::new("p");
    query
        .and_where(Expr::col((p.clone(), Alias::new("owner_id"))).eq(account.0))
        .and_where(Expr::col((p, Alias::new("status"))).eq("active"));
}

/// A row of [`view_query`] as a product view, with the plates of a permit (one more query).
async fn view_from<C: ConnectionTrait>(
    conn: &C,
    r: &QueryResult,
) -> Result<ProductView, StoreError> {
    let row = products::Model::from_query_result(r, "p_").map_err(StoreError::new)?;
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
        tenant: TenantId(row.tenant_id),
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
        revision: row.revision,
        sessions_until: row.sessions_until,
    })
}

/// The active product `id` of `account` as its owner sees it.
async fn owned_view<C: ConnectionTrait>(
    conn: &C,
    account: AccountId,
    id: i64,
) -> Result<Option<ProductView>, StoreError> {
    let mut query = view_query();
    owned_by(&mut query, account);
    query.and_where(Expr::col((Alias::new("p"), Alias::new("id"))).eq(id));
    // No LIMIT: the key finds one row at most, and a bound LIMIT makes SQLite re-prepare the
    // statement at every use.
    match conn.query_one(&query).await.map_err(StoreError::new)? {
        Some(row) => view_from(conn, &row).await.map(Some),
        None => Ok(None),
    }
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
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)?
        .is_some())
}

/// The owned, active product `id` with its live sessions that overlap `window` after `now`, in
/// one statement.
async fn with_overlapping<C: ConnectionTrait>(
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
async fn lock_with_overlapping(
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

/// The view read before, with what a write may have changed since, as `row` has it.
fn as_read(view: &ProductView, row: &products::Model) -> ProductView {
    ProductView {
        balance: row.balance,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        revision: row.revision,
        sessions_until: row.sessions_until,
        ..view.clone()
    }
}

/// What `decide` says over `product` and its `active` sessions: the reservation, or the
/// outcome that ends the start.
fn decide_on(
    product: ProductView,
    active: Vec<ParkingSession>,
    decide: &StartDecider,
) -> Result<Reservation, Box<Outcome<ParkingSession>>> {
    match decide(&Locked { product, active }) {
        Decision::Proceed(r) => Ok(r),
        Decision::Refuse(verdict) => Err(Box::new(Outcome::Refused(verdict))),
        Decision::Invalid(problem) => Err(Box::new(Outcome::Invalid(problem))),
    }
}

/// The live sessions of `product` that end after `now`.
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

/// Adds `delta` (signed, smallest unit) to the balance and records it, in `txn`; counts the
/// product's revision up also when nothing moves, since the caller changed a session, and sets
/// the product's `sessions_until` when the caller gives a new one.
async fn book(
    txn: &DatabaseTransaction,
    product: i64,
    (kind, delta): (&str, i64),
    session: Option<i64>,
    sessions_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if delta != 0 {
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
    }
    let mut update = products::Entity::update_many()
        .col_expr(
            products::Column::Balance,
            Expr::col(products::Column::Balance).add(delta),
        )
        .col_expr(
            products::Column::Revision,
            Expr::col(products::Column::Revision).add(1),
        )
        .filter(products::Column::Id.eq(product));
    if let Some(until) = sessions_until {
        update = update.col_expr(products::Column::SessionsUntil, Expr::value(until));
    }
    update.exec(txn).await.map_err(StoreError::new)?;
    Ok(())
}

/// Writes a new session, its reservation in the ledger and the balance it leaves, if the
/// product is still at `revision` and still the account's, active; `None` when it is not (a
/// write came in between). One round
/// trip: PostgreSQL chains the writes in one statement (atomic without a transaction around
/// it); SQLite runs the three statements of the text in one call, inside the caller's
/// transaction. Parameters are numbered (`$n`), which both understand, so each value is sent
/// once.
async fn reserve<C: ConnectionTrait>(
    conn: &C,
    account: AccountId,
    product: ProductId,
    revision: i64,
    r: &Reservation,
    now: DateTime<Utc>,
) -> Result<Option<ParkingSession>, StoreError> {
    const POSTGRES: &str = "WITH b AS (\
        UPDATE products SET balance = balance - $7, revision = revision + 1, \
        sessions_until = GREATEST(COALESCE(sessions_until, $6), $6) \
        WHERE id = $1 AND revision = $12 AND owner_id = $2 AND status = 'active' RETURNING id), \
        s AS (INSERT INTO parking_sessions (product_id, account_id, plate, country, start_at, \
        end_at, reserved, script_version, tariff_version, breakdown, created_at) \
        SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM b RETURNING id), \
        l AS (INSERT INTO ledger_entries (product_id, kind, amount, session_id, created_at) \
        SELECT $1, 'reservation', -$7, id, $11 FROM s WHERE $7 <> 0) \
        SELECT id FROM s";
    // changes() tells whether the statement before wrote its row.
    const SQLITE: &str = "\
        UPDATE products SET balance = balance - $7, revision = revision + 1, \
        sessions_until = MAX(COALESCE(sessions_until, $6), $6) \
        WHERE id = $1 AND revision = $12 AND owner_id = $2 AND status = 'active'; \
        INSERT INTO parking_sessions (product_id, account_id, plate, country, start_at, end_at, \
        reserved, script_version, tariff_version, breakdown, created_at) \
        SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 WHERE changes() = 1 RETURNING id; \
        INSERT INTO ledger_entries (product_id, kind, amount, session_id, created_at) \
        SELECT $1, 'reservation', -$7, last_insert_rowid(), $11 WHERE changes() = 1 AND $7 <> 0";
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => POSTGRES,
        _ => SQLITE,
    };
    let values: [Value; 12] = [
        product.0.into(),
        account.0.into(),
        r.plate.normalised().into(),
        r.plate.country().as_str().into(),
        r.start.into(),
        r.end.into(),
        r.reserved.into(),
        r.versions.0.into(),
        r.versions.1.into(),
        r.breakdown.as_str().into(),
        now.into(),
        revision.into(),
    ];
    // All rows, never just the first: reading one would stop SQLite before the statements
    // after the RETURNING one, and PostgreSQL's portal after its first row.
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map_err(StoreError::new)?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    Ok(Some(ParkingSession {
        id: SessionId(row.try_get("", "id").map_err(StoreError::new)?),
        product,
        account,
        plate: r.plate.clone(),
        start: r.start,
        end: r.end,
        reserved: r.reserved,
        script_version: r.versions.0,
        tariff_version: r.versions.1,
        breakdown: r.breakdown.clone(),
        deleted_at: None,
    }))
}

/// Ends `txn` without its writes before the caller's write gate opens for the next writer:
/// dropping it would only queue the rollback, and the next writer's `BEGIN IMMEDIATE` would
/// then wait in SQLite's busy handler, which the gate is there to spare it.
async fn abandon(txn: DatabaseTransaction) -> Result<(), StoreError> {
    txn.rollback().await.map_err(StoreError::new)
}

/// Whether `grant` was credited already.
async fn credited<C: ConnectionTrait>(
    conn: &C,
    product: ProductId,
    grant: &GrantDue,
) -> Result<bool, StoreError> {
    Ok(ledger_entries::Entity::find()
        .filter(ledger_entries::Column::ProductId.eq(product.0))
        .filter(ledger_entries::Column::GrantKey.eq(grant.key.as_str()))
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)?
        .is_some())
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
        .col_expr(
            products::Column::Revision,
            Expr::col(products::Column::Revision).add(1),
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

    async fn product_of(
        &self,
        account: AccountId,
        product: ProductId,
    ) -> Result<Option<ProductView>, StoreError> {
        owned_view(self.db.connection(), account, product.0).await
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
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(None);
        };
        let owned = products::Entity::find_by_id(row.product_id)
            .filter(products::Column::OwnerId.eq(account.0))
            .one_by_key(conn)
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
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?
            .and_then(|a| a.last_product_id)
        else {
            return Ok(None);
        };
        let still_owned = products::Entity::find_by_id(last)
            .filter(products::Column::OwnerId.eq(account.0))
            .filter(products::Column::Status.eq("active"))
            .one_by_key(conn)
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
    ) -> Result<bool, StoreError> {
        // Every view of a product with a grant asks for it; once the period's grant is in, a
        // read answers, so that showing a permit never queues behind the writers.
        if credited(self.db.connection(), product, grant).await? {
            return Ok(false);
        }
        let (_gate, txn) = self.db.begin_write().await?;
        let mut select = products::Entity::find_by_id(product.0);
        if self.db.backend() == Backend::Postgres {
            select = select.lock_exclusive();
        }
        if select
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
            .is_none()
        {
            abandon(txn).await?;
            return Ok(false);
        }
        let credited = credit(&txn, product.0, grant, now).await?;
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
        // the one read: no lock is held while reading and deciding, and PostgreSQL needs no
        // transaction around the one writing statement. When no session of the product ends
        // after the start, the view the caller read suffices; else the product is read again
        // with the sessions that overlap. A refusal writes nothing, so the read suffices for
        // it. A grant still to credit, or a write in between, goes the locked way.
        let grant_pending = match &grant {
            Some(g) => !credited(self.db.connection(), product, g).await?,
            None => false,
        };
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
            let reservation = match decide_on(read, active, decide) {
                Ok(r) => r,
                Err(outcome) => return Ok(*outcome),
            };
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
            && credit(&txn, product.0, grant, now).await?
        {
            // Read again after the grant: the decision sees the balance as it is.
            (row, active) = with_overlapping(&txn, account, product.0, now, window)
                .await?
                .ok_or_else(|| StoreError::new("locked product vanished"))?;
        }
        let reservation = match decide_on(as_read(view, &row), active, decide) {
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
        now: DateTime<Utc>,
        decide: &ChangeDecider,
    ) -> Result<Outcome<ParkingSession>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let Some(row) = parking_sessions::Entity::find_by_id(session.0)
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
        else {
            abandon(txn).await?;
            return Ok(Outcome::NotFound);
        };
        let Some((_, active)) =
            lock_with_overlapping(&self.db, &txn, account, row.product_id, now, window).await?
        else {
            abandon(txn).await?;
            return Ok(Outcome::NotFound);
        };
        // Read the session again under the product's lock: a parallel change may have won.
        let row = parking_sessions::Entity::find_by_id(session.0)
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
            .ok_or_else(|| StoreError::new("session vanished under its product's lock"))?;
        let current = to_session(row)?;
        let locked = Locked {
            product: owned_view(&txn, account, current.product.0)
                .await?
                .ok_or_else(|| StoreError::new("locked product vanished"))?,
            active,
        };
        let sessions_until = locked.product.sessions_until;
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
        // An extension may move the product's bound of session ends; a stop or a delete
        // leaves it, since a bound that is too late only costs a read.
        let raised =
            (!change.delete && sessions_until.is_none_or(|u| u < change.end)).then_some(change.end);
        book(
            &txn,
            current.product.0,
            (kind, delta),
            Some(session.0),
            raised,
            now,
        )
        .await?;
        let row = parking_sessions::Entity::find_by_id(session.0)
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
            .ok_or_else(|| StoreError::new("session vanished"))?;
        txn.commit().await.map_err(StoreError::new)?;
        to_session(row).map(Outcome::Done)
    }
}
