//! Staff corrections of balances in the database: each posted through the one ledger writer
//! under the product's row lock, checked against zero there, with its row in
//! `balance_corrections` and its audit entry in the same transaction.

use crate::audit;
use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::{balance_corrections as rows, product_types, products, staff_members};
use crate::ledger::post_entry;
use crate::parking::ledger::abandon;
use crate::parking::lock_product_row;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::corrections::{
    Corrected, Correction, CorrectionOutcome, CorrectionRepository, Proposal, RefusedBecause,
};
use parkportal_domain::ids::{CorrectionId, StaffId};
use parkportal_domain::ledger::LedgerPosting;
use parkportal_domain::{BalanceUnit, ProductCode, ProductId, StoreError, TenantId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::HashMap;

/// Corrections in the database.
#[derive(Clone, Debug)]
pub struct SeaCorrectionRepository {
    db: Database,
}

impl SeaCorrectionRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Posts `amount` of `staff`'s correction to `product` (locked, `balance` now) for `reason`:
/// the entry's id, or the refusal when it would go below zero.
async fn post_correction(
    txn: &DatabaseTransaction,
    (product, balance): (i64, i64),
    (amount, reason, staff): (i64, &str, StaffId),
    now: DateTime<Utc>,
) -> Result<Result<i64, RefusedBecause>, StoreError> {
    if balance.checked_add(amount).is_none_or(|b| b < 0) {
        return Ok(Err(RefusedBecause::BelowZero));
    }
    let posting = LedgerPosting::correction(ProductId(product), amount, reason.to_owned(), staff);
    post_entry(txn, &posting, now)
        .await?
        .map(Ok)
        .ok_or_else(|| StoreError::new("a correction's entry was not written"))
}

#[async_trait]
impl CorrectionRepository for SeaCorrectionRepository {
    async fn product(
        &self,
        tenant: TenantId,
        code: &ProductCode,
    ) -> Result<Option<(ProductId, BalanceUnit)>, StoreError> {
        let conn = self.db.connection();
        let Some(product) = crate::products::in_tenant_or_refused(conn, tenant, code, None).await?
        else {
            return Ok(None);
        };
        let unit: Option<String> = product_types::Entity::find_by_id(product.product_type_id)
            .filter(product_types::Column::TenantId.eq(tenant.0))
            .select_only()
            .column(product_types::Column::Unit)
            .into_tuple()
            .one(conn)
            .await
            .map_err(StoreError::new)?;
        let unit = unit.ok_or_else(|| StoreError::new("a product without its type"))?;
        let unit = BalanceUnit::parse(&unit).map_err(|_| StoreError::new("a stored unit"))?;
        Ok(Some((ProductId(product.id), unit)))
    }

    async fn propose(
        &self,
        tenant: TenantId,
        p: Proposal<'_>,
        now: DateTime<Utc>,
        entry: &AuditEntry,
    ) -> Result<CorrectionOutcome, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let refused = match lock_product_row(&self.db, &txn, p.product).await? {
            Some(row) if row.tenant_id != tenant.0 => Err(RefusedBecause::NotFound),
            None => Err(RefusedBecause::NotFound),
            Some(row) if row.status != "active" => Err(RefusedBecause::NotActive),
            Some(row) => Ok(row.balance),
        };
        let balance = match refused {
            Ok(balance) => balance,
            Err(why) => {
                abandon(txn).await?;
                return Ok(CorrectionOutcome::Refused(why));
            }
        };
        let entry_id = if p.apply {
            match post_correction(
                &txn,
                (p.product.0, balance),
                (p.amount, p.reason, p.staff),
                now,
            )
            .await?
            {
                Ok(id) => Some(id),
                Err(why) => {
                    abandon(txn).await?;
                    return Ok(CorrectionOutcome::Refused(why));
                }
            }
        } else {
            None
        };
        let row = rows::ActiveModel {
            tenant_id: Set(tenant.0),
            product_id: Set(p.product.0),
            amount: Set(p.amount),
            reason: Set(p.reason.to_owned()),
            proposed_by: Set(p.staff.0),
            proposed_at: Set(now),
            status: Set(if p.apply { "applied" } else { "pending" }.to_owned()),
            decided_by: Set(p.apply.then_some(p.staff.0)),
            decided_at: Set(p.apply.then_some(now)),
            entry_id: Set(entry_id),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(StoreError::new)?;
        audit::write(&txn, entry).await?;
        txn.commit().await.map_err(StoreError::new)?;
        let id = CorrectionId(row.id);
        Ok(CorrectionOutcome::Done(if p.apply {
            Corrected::Applied {
                id,
                balance: balance + p.amount,
            }
        } else {
            Corrected::Waiting(id)
        }))
    }

    async fn decide(
        &self,
        tenant: TenantId,
        correction: CorrectionId,
        (staff, approve): (StaffId, bool),
        now: DateTime<Utc>,
        entry: &AuditEntry,
    ) -> Result<CorrectionOutcome, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let find =
            || rows::Entity::find_by_id(correction.0).filter(rows::Column::TenantId.eq(tenant.0));
        let Some(first) = find().one_by_key(&txn).await.map_err(StoreError::new)? else {
            abandon(txn).await?;
            return Ok(CorrectionOutcome::Refused(RefusedBecause::NotFound));
        };
        let product = lock_product_row(&self.db, &txn, ProductId(first.product_id)).await?;
        // Read again under the lock: a second decision may have won.
        let row = find()
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
            .ok_or_else(|| StoreError::new("a correction vanished under its lock"))?;
        let refused = match &product {
            _ if row.status != "pending" => Some(RefusedBecause::Decided),
            _ if row.proposed_by == staff.0 => Some(RefusedBecause::OwnCorrection),
            None => Some(RefusedBecause::NotFound),
            Some(p) if approve && p.status != "active" => Some(RefusedBecause::NotActive),
            Some(_) => None,
        };
        if let Some(why) = refused {
            abandon(txn).await?;
            return Ok(CorrectionOutcome::Refused(why));
        }
        let balance = product.map_or(0, |p| p.balance);
        let entry_id = if approve {
            let reason = row.reason.as_str();
            match post_correction(
                &txn,
                (row.product_id, balance),
                (row.amount, reason, staff),
                now,
            )
            .await?
            {
                Ok(id) => Some(id),
                Err(why) => {
                    abandon(txn).await?;
                    return Ok(CorrectionOutcome::Refused(why));
                }
            }
        } else {
            None
        };
        rows::Entity::update_many()
            .col_expr(
                rows::Column::Status,
                Expr::value(if approve { "applied" } else { "rejected" }),
            )
            .col_expr(rows::Column::DecidedBy, Expr::value(staff.0))
            .col_expr(rows::Column::DecidedAt, Expr::value(now))
            .col_expr(rows::Column::EntryId, Expr::value(entry_id))
            .filter(rows::Column::Id.eq(row.id))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        audit::write(&txn, entry).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(CorrectionOutcome::Done(if approve {
            Corrected::Applied {
                id: correction,
                balance: balance + row.amount,
            }
        } else {
            Corrected::Rejected(correction)
        }))
    }

    async fn list(
        &self,
        tenant: TenantId,
        product: Option<ProductId>,
        limit: u64,
    ) -> Result<Vec<Correction>, StoreError> {
        let conn = self.db.connection();
        let mut select = rows::Entity::find().filter(rows::Column::TenantId.eq(tenant.0));
        select = match product {
            Some(p) => select
                .filter(rows::Column::ProductId.eq(p.0))
                .order_by_desc(rows::Column::Id),
            None => select
                .filter(rows::Column::Status.eq("pending"))
                .order_by_asc(rows::Column::ProposedAt)
                .order_by_asc(rows::Column::Id),
        };
        let found = select
            .limit(limit)
            .all(conn)
            .await
            .map_err(StoreError::new)?;
        // The products (in this gemeente) with their units, and the staff by address.
        let ids: Vec<i64> = found.iter().map(|r| r.product_id).collect();
        let products: HashMap<i64, (String, i64)> = products::Entity::find()
            .filter(products::Column::TenantId.eq(tenant.0))
            .filter(products::Column::Id.is_in(ids))
            .select_only()
            .columns([
                products::Column::Id,
                products::Column::Code,
                products::Column::ProductTypeId,
            ])
            .into_tuple::<(i64, String, i64)>()
            .all(conn)
            .await
            .map_err(StoreError::new)?
            .into_iter()
            .map(|(id, code, t)| (id, (code, t)))
            .collect();
        let units: HashMap<i64, String> = product_types::Entity::find()
            .filter(product_types::Column::TenantId.eq(tenant.0))
            .select_only()
            .columns([product_types::Column::Id, product_types::Column::Unit])
            .into_tuple::<(i64, String)>()
            .all(conn)
            .await
            .map_err(StoreError::new)?
            .into_iter()
            .collect();
        let staff_ids: Vec<i64> = found
            .iter()
            .flat_map(|r| [Some(r.proposed_by), r.decided_by])
            .flatten()
            .collect();
        let staff: HashMap<i64, String> = staff_members::Entity::find()
            .filter(staff_members::Column::Id.is_in(staff_ids))
            .select_only()
            .columns([staff_members::Column::Id, staff_members::Column::Email])
            .into_tuple::<(i64, String)>()
            .all(conn)
            .await
            .map_err(StoreError::new)?
            .into_iter()
            .collect();
        let corrupt = |what: &str| StoreError::new(format!("a stored correction: {what}"));
        found
            .into_iter()
            .map(|r| {
                let (code, type_id) = products
                    .get(&r.product_id)
                    .ok_or_else(|| corrupt("product"))?;
                let unit = units.get(type_id).ok_or_else(|| corrupt("type"))?;
                Ok(Correction {
                    id: CorrectionId(r.id),
                    product: ProductId(r.product_id),
                    code: ProductCode::parse(code).map_err(|_| corrupt("code"))?,
                    unit: BalanceUnit::parse(unit).map_err(|_| corrupt("unit"))?,
                    amount: r.amount,
                    reason: r.reason,
                    proposed_by: (
                        StaffId(r.proposed_by),
                        staff.get(&r.proposed_by).cloned().unwrap_or_default(),
                    ),
                    proposed_at: r.proposed_at,
                    status: r.status,
                    decided_by: r.decided_by.and_then(|d| staff.get(&d).cloned()),
                })
            })
            .collect()
    }
}
