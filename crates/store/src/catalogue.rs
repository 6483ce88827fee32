//! A gemeente's zones and product types written and read (#24): by a whole configuration's save
//! (`tenants import`, a bundle) and by the console's catalogue pages. Retiring stamps the moment;
//! what has products is never deleted, nor does a product type with products change its kind or
//! unit (its products' balances are kept in it): both are refused inside the transaction.

use crate::entities::{product_types, products, zones};
use chrono::{DateTime, Utc};
use parkportal_domain::calendar::CapPeriod;
use parkportal_domain::ports::{CatalogueUse, InUse, SaveTenantError};
use parkportal_domain::postcode_range::PostcodeRange;
use parkportal_domain::{
    BalanceUnit, Code, PeriodicGrant, ProductKind, ProductTypeSpec, StoreError, ZoneSpec,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::collections::BTreeMap;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::new(format!("stored {what}: {e}"))
}

/// Whether `conn` speaks to PostgreSQL, which takes row locks (SQLite writes one at a time).
fn postgres<C: ConnectionTrait>(conn: &C) -> bool {
    conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres
}

/// The stored text of `ranges`: one per line, none as NULL.
fn postcodes_text(ranges: &[PostcodeRange]) -> Option<String> {
    (!ranges.is_empty()).then(|| {
        ranges
            .iter()
            .map(PostcodeRange::text)
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// When a zone or type that is to be `retired` was retired: when it already was, or `now`.
fn retired_at(
    retired: bool,
    was: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    retired.then(|| was.unwrap_or(now))
}

/// Gemeente `tenant`'s zones, in display order.
pub(crate) async fn zones_of<C: ConnectionTrait>(
    conn: &C,
    tenant: i64,
) -> Result<Vec<ZoneSpec>, StoreError> {
    zones::Entity::find()
        .filter(zones::Column::TenantId.eq(tenant))
        .order_by_asc(zones::Column::Position)
        .all(conn)
        .await
        .map_err(StoreError::new)?
        .into_iter()
        .map(|z| {
            Ok(ZoneSpec {
                code: Code::parse(&z.code).map_err(|e| corrupt("zone", e))?,
                name: z.name,
                postcodes: z
                    .postcodes
                    .as_deref()
                    .unwrap_or_default()
                    .lines()
                    .map(PostcodeRange::parse)
                    .collect::<Result<_, _>>()
                    .map_err(|e| corrupt("postcodes", e))?,
                retired: z.retired_at.is_some(),
            })
        })
        .collect()
}

/// Gemeente `tenant`'s product types, in display order.
pub(crate) async fn types_of<C: ConnectionTrait>(
    conn: &C,
    tenant: i64,
) -> Result<Vec<ProductTypeSpec>, StoreError> {
    product_types::Entity::find()
        .filter(product_types::Column::TenantId.eq(tenant))
        .order_by_asc(product_types::Column::Position)
        .all(conn)
        .await
        .map_err(StoreError::new)?
        .into_iter()
        .map(|p| {
            let unit = BalanceUnit::parse(&p.unit).map_err(|e| corrupt("unit", e))?;
            let grant = match (p.grant_period.as_deref(), p.grant_amount) {
                (Some(period), Some(amount)) => Some(PeriodicGrant {
                    period: CapPeriod::parse(period)
                        .ok_or_else(|| corrupt("grant period", period))?,
                    amount: unit.from_smallest(amount),
                }),
                _ => None,
            };
            Ok(ProductTypeSpec {
                code: Code::parse(&p.code).map_err(|e| corrupt("product type", e))?,
                name: p.name,
                kind: ProductKind::parse(&p.kind).map_err(|e| corrupt("kind", e))?,
                top_ups: crate::top_up_options::decode(p.top_ups.as_deref(), unit)?,
                unit,
                grant,
                validity_months: u16::try_from(p.validity_months)
                    .map_err(|e| corrupt("validity", e))?,
                retired: p.retired_at.is_some(),
                open_for_application: p.open_for_application,
                max_plates: u8::try_from(p.max_plates).map_err(|e| corrupt("max plates", e))?,
                letter_on_grant: p.letter_on_grant,
            })
        })
        .collect()
}

/// Products per zone id (`zones`) or per product type id.
async fn counts<C: ConnectionTrait>(
    conn: &C,
    tenant: i64,
    column: products::Column,
) -> Result<BTreeMap<i64, u64>, StoreError> {
    let rows: Vec<(i64, i64)> = products::Entity::find()
        .select_only()
        .column(column)
        .column_as(products::Column::Id.count(), "n")
        .filter(products::Column::TenantId.eq(tenant))
        .group_by(column)
        .into_tuple()
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// How many products each zone and product type of gemeente `tenant` has.
pub(crate) async fn usage<C: ConnectionTrait>(
    conn: &C,
    tenant: i64,
) -> Result<CatalogueUse, StoreError> {
    let by_zone = counts(conn, tenant, products::Column::ZoneId).await?;
    let by_type = counts(conn, tenant, products::Column::ProductTypeId).await?;
    let zones = zones::Entity::find()
        .filter(zones::Column::TenantId.eq(tenant))
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    let types = product_types::Entity::find()
        .filter(product_types::Column::TenantId.eq(tenant))
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    Ok(CatalogueUse {
        zones: zones
            .into_iter()
            .map(|z| (z.code, by_zone.get(&z.id).copied().unwrap_or(0)))
            .collect(),
        product_types: types
            .into_iter()
            .map(|t| (t.code, by_type.get(&t.id).copied().unwrap_or(0)))
            .collect(),
    })
}

/// Whether anything of gemeente `tenant` refers to `column` = `id`.
async fn has_products<C: ConnectionTrait>(
    conn: &C,
    tenant: i64,
    column: products::Column,
    id: i64,
) -> Result<bool, StoreError> {
    let n = products::Entity::find()
        .filter(products::Column::TenantId.eq(tenant))
        .filter(column.eq(id))
        .count(conn)
        .await
        .map_err(StoreError::new)?;
    Ok(n > 0)
}

/// Writes `zones` as gemeente `tenant`'s, in their order, at `now`: a stored zone not among them
/// is deleted, or the save refused when it has products.
pub(crate) async fn save_zones<C: ConnectionTrait>(
    txn: &C,
    tenant: i64,
    zones_now: &[ZoneSpec],
    now: DateTime<Utc>,
) -> Result<(), SaveTenantError> {
    let mut known = zones::Entity::find().filter(zones::Column::TenantId.eq(tenant));
    if postgres(txn) {
        // Issuing reads its zone under a share lock: it waits for this, or this for it.
        known = known.lock_exclusive();
    }
    let known = known.all(txn).await.map_err(StoreError::new)?;
    {
        for gone in known
            .iter()
            .filter(|k| !zones_now.iter().any(|z| z.code.as_str() == k.code))
        {
            if has_products(txn, tenant, products::Column::ZoneId, gone.id).await? {
                return Err(SaveTenantError::InUse(InUse {
                    zones: vec![gone.code.clone()],
                    product_types: Vec::new(),
                }));
            }
            zones::Entity::delete_by_id(gone.id)
                .exec(txn)
                .await
                .map_err(StoreError::new)?;
        }
    }
    for (position, zone) in zones_now.iter().enumerate() {
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        match known.iter().find(|z| z.code == zone.code.as_str()) {
            Some(known) => {
                let mut active: zones::ActiveModel = known.clone().into();
                active.name = Set(zone.name.clone());
                active.position = Set(position);
                active.postcodes = Set(postcodes_text(&zone.postcodes));
                active.retired_at = Set(retired_at(zone.retired, known.retired_at, now));
                active.update(txn).await.map_err(StoreError::new)?;
            }
            None => {
                zones::ActiveModel {
                    tenant_id: Set(tenant),
                    code: Set(zone.code.as_str().to_owned()),
                    name: Set(zone.name.clone()),
                    position: Set(position),
                    postcodes: Set(postcodes_text(&zone.postcodes)),
                    retired_at: Set(retired_at(zone.retired, None, now)),
                    ..Default::default()
                }
                .insert(txn)
                .await
                .map_err(StoreError::new)?;
            }
        }
    }
    Ok(())
}

fn grant_period(pt: &ProductTypeSpec) -> Option<String> {
    pt.grant.map(|g| g.period.as_str().to_owned())
}

fn grant_amount(pt: &ProductTypeSpec) -> Option<i64> {
    pt.grant.and_then(|g| pt.unit.to_smallest(g.amount))
}

/// Writes `types` as gemeente `tenant`'s, in their order, at `now`; refused when a type with
/// products would change its kind or unit.
pub(crate) async fn save_types<C: ConnectionTrait>(
    txn: &C,
    tenant: i64,
    types: &[ProductTypeSpec],
    now: DateTime<Utc>,
) -> Result<(), SaveTenantError> {
    let mut known =
        product_types::Entity::find().filter(product_types::Column::TenantId.eq(tenant));
    if postgres(txn) {
        // Issuing reads its type under a share lock: a product counted below is committed, and
        // one issued after this sees the unit and retirement written here.
        known = known.lock_exclusive();
    }
    let known = known.all(txn).await.map_err(StoreError::new)?;
    let mut in_use = Vec::new();
    for (position, pt) in types.iter().enumerate() {
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        let mut active = match known.iter().find(|t| t.code == pt.code.as_str()) {
            Some(known) => {
                let changes_measure =
                    known.kind != pt.kind.as_str() || known.unit != pt.unit.as_str();
                if changes_measure
                    && has_products(txn, tenant, products::Column::ProductTypeId, known.id).await?
                {
                    in_use.push(known.code.clone());
                    continue;
                }
                let mut active: product_types::ActiveModel = known.clone().into();
                active.retired_at = Set(retired_at(pt.retired, known.retired_at, now));
                active
            }
            None => product_types::ActiveModel {
                tenant_id: Set(tenant),
                code: Set(pt.code.as_str().to_owned()),
                retired_at: Set(retired_at(pt.retired, None, now)),
                ..Default::default()
            },
        };
        active.name = Set(pt.name.clone());
        active.kind = Set(pt.kind.as_str().to_owned());
        active.unit = Set(pt.unit.as_str().to_owned());
        active.position = Set(position);
        active.grant_period = Set(grant_period(pt));
        active.grant_amount = Set(grant_amount(pt));
        active.top_ups = Set(crate::top_up_options::encode(&pt.top_ups, pt.unit));
        active.validity_months = Set(i32::from(pt.validity_months));
        active.open_for_application = Set(pt.open_for_application);
        active.max_plates = Set(i32::from(pt.max_plates));
        active.letter_on_grant = Set(pt.letter_on_grant);
        active.save(txn).await.map_err(StoreError::new)?;
    }
    if in_use.is_empty() {
        Ok(())
    } else {
        Err(SaveTenantError::InUse(InUse {
            zones: Vec::new(),
            product_types: in_use,
        }))
    }
}
