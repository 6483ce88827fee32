//! Products as their owners see them: one joined query for the product with its gemeente, type
//! and zone, and how its rows and its sessions' rows become domain values.

use crate::entities::{mandates, parking_sessions, product_plates, products};
use parkportal_domain::calendar::CapPeriod;
use parkportal_domain::parking::{MandateAccess, ParkingSession, ProductView, RuleVersions};
use parkportal_domain::plate::Plate;
use parkportal_domain::{
    AccountId, BalanceUnit, Code, MandateId, PeriodicGrant, ProductId, ProductKind, SessionId,
    StoreError, TenantId,
};
use sea_orm::sea_query::{
    Alias, Condition, Expr, ExprTrait, JoinType, Query, SelectStatement, UnionType,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryFilter,
    QueryOrder, QueryResult,
};

pub(super) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::new(format!("stored {what} does not parse: {e}"))
}

/// Selects every column of entity `E` from the table aliased `table`, each aliased
/// `{prefix}{column}`, which is how `FromQueryResult::from_query_result(row, prefix)` reads them.
pub(super) fn select_all_of<E: EntityTrait>(
    query: &mut SelectStatement,
    table: &Alias,
    prefix: &str,
) {
    for column in E::Column::iter() {
        query.expr_as(
            Expr::col((table.clone(), Alias::new(column.as_str()))),
            Alias::new(format!("{prefix}{}", column.as_str())),
        );
    }
}

/// Products as their owners see them (`p_*` columns, then the gemeente, type and zone they
/// belong to), in one query: the caller adds which products.
pub(crate) fn view_query() -> SelectStatement {
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
        (&t, "plate_retention_days", "plate_retention_days"),
        (&t, "suspended_at", "tenant_suspended_at"),
        (&pt, "code", "type_code"),
        (&pt, "name", "type_name"),
        (&pt, "kind", "kind"),
        (&pt, "unit", "unit"),
        (&pt, "grant_period", "grant_period"),
        (&pt, "grant_amount", "grant_amount"),
        (&pt, "top_ups", "top_ups"),
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

/// Restricts a product query (its products aliased `p`) to the active products `account` owns
/// or uses through an accepted mandate, with that mandate's columns (`m_*`, NULL for the owner).
pub(super) fn owned_by(query: &mut SelectStatement, account: AccountId) {
    let (p, m) = (Alias::new("p"), Alias::new("m"));
    // One set of ids from two index lookups: an OR (of the join's columns, or of two IN
    // lists) makes PostgreSQL read every product.
    let reached = Query::select()
        .column(products::Column::Id)
        .from(products::Entity)
        .and_where(Expr::col(products::Column::OwnerId).eq(account.0))
        .union(
            UnionType::All,
            Query::select()
                .column(mandates::Column::ProductId)
                .from(mandates::Entity)
                .and_where(Expr::col(mandates::Column::MandateeId).eq(account.0))
                .and_where(Expr::col(mandates::Column::Status).eq("accepted"))
                .to_owned(),
        )
        .to_owned();
    for column in ["id", "balance", "imported", "plate", "country"] {
        query.expr_as(
            Expr::col((m.clone(), Alias::new(column))),
            Alias::new(format!("m_{column}")),
        );
    }
    query
        .join_as(
            JoinType::LeftJoin,
            Alias::new("mandates"),
            m.clone(),
            Condition::all()
                .add(
                    Expr::col((m.clone(), Alias::new("product_id")))
                        .equals((p.clone(), Alias::new("id"))),
                )
                .add(Expr::col((m.clone(), Alias::new("mandatee_id"))).eq(account.0))
                .add(Expr::col((m, Alias::new("status"))).eq("accepted")),
        )
        .and_where(Expr::col((p.clone(), Alias::new("id"))).in_subquery(reached))
        .and_where(Expr::col((p, Alias::new("status"))).eq("active"));
}

/// A row of [`view_query`] as a product view, with the plates of a permit (one more query).
pub(super) async fn view_from<C: ConnectionTrait>(
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
    let top_ups: Option<String> = r.try_get("", "top_ups").map_err(StoreError::new)?;
    let mandate = mandate_of(conn, r, &row).await?;
    let top_ups = crate::top_up_options::decode(top_ups.as_deref(), unit)?;
    // Only permits carry plates that matter to a session; a visitor scheme needs no query.
    let mut plates = Vec::new();
    let mut active_plate = None;
    if kind == ProductKind::Permit {
        let rows = product_plates::Entity::find()
            .filter(product_plates::Column::ProductId.eq(row.id))
            .order_by_asc(product_plates::Column::Position)
            .all(conn)
            .await
            .map_err(StoreError::new)?;
        for p in rows {
            let plate = Plate::from_stored(&p.plate, &p.country)
                .map_err(|_| corrupt("plate", "not a plate"))?;
            if p.active {
                active_plate = Some(plate.clone());
            }
            plates.push(plate);
        }
    }
    Ok(ProductView {
        id: ProductId(row.id),
        tenant: TenantId(row.tenant_id),
        tenant_slug: get_s("tenant_slug")?,
        tenant_name: get_s("tenant_name")?,
        tenant_version: r.try_get("", "tenant_version").map_err(StoreError::new)?,
        time_zone: get_s("time_zone")?
            .parse()
            .map_err(|e| corrupt("time zone", e))?,
        tenant_suspended: r
            .try_get::<Option<chrono::DateTime<chrono::Utc>>>("", "tenant_suspended_at")
            .map_err(StoreError::new)?
            .is_some(),
        type_code: Code::parse(&get_s("type_code")?).map_err(|e| corrupt("product type", e))?,
        type_name: get_s("type_name")?,
        kind,
        unit,
        grant,
        top_ups,
        zone_code: Code::parse(&get_s("zone_code")?).map_err(|e| corrupt("zone", e))?,
        zone_name: get_s("zone_name")?,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        balance: match &mandate {
            Some((_, Some(own))) => *own,
            _ => row.balance,
        },
        mandate: mandate.map(|(access, _)| access),
        plates,
        active_plate,
        plate_retention_days: r
            .try_get("", "plate_retention_days")
            .map_err(StoreError::new)?,
        revision: row.revision,
        sessions_until: row.sessions_until,
    })
}

/// The mandate a row of [`view_query`] (with [`owned_by`]) was reached through, with its own
/// balance (`None` for a mandate that spends the owner's); `None` for the owner.
async fn mandate_of<C: ConnectionTrait>(
    conn: &C,
    r: &QueryResult,
    row: &products::Model,
) -> Result<Option<(MandateAccess, Option<i64>)>, StoreError> {
    // Queries without `owned_by` have no such columns: they are the owner's.
    let Ok(Some(id)) = r.try_get::<Option<i64>>("", "m_id") else {
        return Ok(None);
    };
    let balance: i64 = r.try_get("", "m_balance").map_err(StoreError::new)?;
    let imported: bool = r.try_get("", "m_imported").map_err(StoreError::new)?;
    let plate: Option<String> = r.try_get("", "m_plate").map_err(StoreError::new)?;
    let country: Option<String> = r.try_get("", "m_country").map_err(StoreError::new)?;
    let plate = match (plate, country) {
        (Some(p), Some(c)) => {
            Some(Plate::from_stored(&p, &c).map_err(|_| corrupt("plate", "not a plate"))?)
        }
        _ => None,
    };
    let owner_email = match row.owner_id {
        Some(owner) => crate::entities::accounts::Entity::find_by_id(owner)
            .all(conn)
            .await
            .map_err(StoreError::new)?
            .into_iter()
            .next()
            .map(|a| a.email)
            .unwrap_or_default(),
        None => String::new(),
    };
    let access = MandateAccess {
        id: MandateId(id),
        owner_email,
        plate,
        own_balance: !imported,
    };
    Ok(Some((access, (!imported).then_some(balance))))
}

/// The active product `id` of `account` as its owner sees it.
pub(super) async fn owned_view<C: ConnectionTrait>(
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

/// Product `id` as its owner sees it, whoever that is (or nobody): the view that prices its
/// sessions.
pub(crate) async fn product_view<C: ConnectionTrait>(
    conn: &C,
    id: i64,
) -> Result<Option<ProductView>, StoreError> {
    let mut query = view_query();
    query.and_where(Expr::col((Alias::new("p"), Alias::new("id"))).eq(id));
    match conn.query_one(&query).await.map_err(StoreError::new)? {
        Some(row) => view_from(conn, &row).await.map(Some),
        None => Ok(None),
    }
}

pub(crate) fn to_session(row: parking_sessions::Model) -> Result<ParkingSession, StoreError> {
    Ok(ParkingSession {
        id: SessionId(row.id),
        product: ProductId(row.product_id),
        account: row.account_id.map(AccountId),
        plate: Plate::from_stored(&row.plate, &row.country)
            .map_err(|_| corrupt("plate", "not a plate"))?,
        start: row.start_at,
        end: row.end_at,
        reserved: row.reserved,
        versions: RuleVersions::new(row.script_version, row.tariff_version),
        breakdown: parkportal_domain::parking::CostBreakdown::from_stored(&row.breakdown),
        deleted_at: row.deleted_at,
        stopped_at: row.stopped_at,
        mandate: row.mandate_id.map(MandateId),
    })
}

/// Sessions whose plate was not anonymised. The empty text is written out rather than bound: a
/// bound value that a partial index (`parking_sessions_plate_kept`) depends on makes SQLite
/// prepare the statement again at every use. Plates stay out of error messages (and so out of
/// logs).
pub(crate) fn has_plate() -> sea_orm::sea_query::SimpleExpr {
    Expr::col((parking_sessions::Entity, parking_sessions::Column::Plate)).ne(Expr::cust("''"))
}
