//! Refunds to the payer in the database: booked under the product's row lock (each part a row of
//! `payment_refunds` and a `payer_refund` entry through the one ledger writer, with the audit
//! entry, in one transaction), and the provider's answer recorded afterwards, a refusal reversing
//! its entry under the same lock.

use crate::audit;
use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::{payment_refunds as rows, payments, products};
use crate::ledger::post_entry;
use crate::parking::ledger::abandon;
use crate::parking::lock_product_row;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::ids::StaffId;
use parkportal_domain::ledger::LedgerPosting;
use parkportal_domain::payer_refunds::{
    Booked, PaidTopUp, PayerRefund, PayerRefundRepository, RefundOverview, RefundState, plan,
};
use parkportal_domain::top_up::{PaymentStatus, ProviderRefund, RefundFailure};
use parkportal_domain::{PaymentId, ProductCode, ProductId, StoreError, TenantId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::HashMap;

/// How many refunds the product page lists.
const LISTED: u64 = 25;

/// Refunds in the database.
#[derive(Clone, Debug)]
pub struct SeaPayerRefundRepository {
    db: Database,
}

impl SeaPayerRefundRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// The paid top-ups of `product`, newest first, with what went back through each already.
async fn paid_top_ups(
    conn: &impl ConnectionTrait,
    product: i64,
) -> Result<Vec<PaidTopUp>, StoreError> {
    let paid = payments::Entity::find()
        .filter(payments::Column::ProductId.eq(product))
        .filter(payments::Column::Status.eq(PaymentStatus::Paid.as_str()))
        .filter(payments::Column::ProviderRef.is_not_null())
        .order_by_desc(payments::Column::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    let refunded: HashMap<i64, (i64, i64)> = rows::Entity::find()
        .filter(rows::Column::ProductId.eq(product))
        .filter(rows::Column::Status.ne(RefundState::Refused.as_str()))
        .all(conn)
        .await
        .map_err(StoreError::new)?
        .into_iter()
        .fold(HashMap::new(), |mut sums, r| {
            let sum = sums.entry(r.payment_id).or_insert((0, 0));
            *sum = (sum.0 + r.amount, sum.1 + r.price_cents);
            sums
        });
    Ok(paid
        .into_iter()
        .filter_map(|p| {
            let (refunded, refunded_cents) = refunded.get(&p.id).copied().unwrap_or((0, 0));
            Some(PaidTopUp {
                payment: PaymentId(p.id),
                provider_ref: p.provider_ref?,
                amount: p.amount,
                price_cents: p.price_cents,
                refunded,
                refunded_cents,
            })
        })
        .collect())
}

/// `rows` as the domain sees them, each with its payment's provider id.
async fn refunds_of(
    conn: &impl ConnectionTrait,
    found: Vec<rows::Model>,
) -> Result<Vec<PayerRefund>, StoreError> {
    let ids: Vec<i64> = found.iter().map(|r| r.payment_id).collect();
    let refs: HashMap<i64, Option<String>> = payments::Entity::find()
        .filter(payments::Column::Id.is_in(ids))
        .select_only()
        .column(payments::Column::Id)
        .column(payments::Column::ProviderRef)
        .into_tuple::<(i64, Option<String>)>()
        .all(conn)
        .await
        .map_err(StoreError::new)?
        .into_iter()
        .collect();
    found
        .into_iter()
        .map(|r| {
            Ok(PayerRefund {
                id: r.id,
                payment_ref: refs
                    .get(&r.payment_id)
                    .cloned()
                    .flatten()
                    .unwrap_or_default(),
                amount: r.amount,
                price_cents: r.price_cents,
                reason: r.reason,
                staff: StaffId(r.staff_id),
                state: RefundState::parse(&r.status)
                    .ok_or_else(|| StoreError::new(format!("refund status {:?}", r.status)))?,
                provider_ref: r.provider_ref,
                provider_status: r.provider_status,
                error: r.error,
                created_at: r.created_at,
            })
        })
        .collect()
}

#[async_trait]
impl PayerRefundRepository for SeaPayerRefundRepository {
    async fn product(
        &self,
        tenant: TenantId,
        code: &ProductCode,
    ) -> Result<Option<ProductId>, StoreError> {
        let conn = self.db.connection();
        Ok(
            crate::products::in_tenant_or_refused(conn, tenant, code, None)
                .await?
                .map(|p| ProductId(p.id)),
        )
    }

    async fn overview(
        &self,
        tenant: TenantId,
        product: ProductId,
    ) -> Result<RefundOverview, StoreError> {
        let conn = self.db.connection();
        let Some(row) = products::Entity::find_by_id(product.0)
            .filter(products::Column::TenantId.eq(tenant.0))
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(RefundOverview {
                revoked: false,
                refundable: Vec::new(),
                refunds: Vec::new(),
            });
        };
        let revoked = row.status == "blocked";
        let refundable = if revoked {
            plan(row.balance, &paid_top_ups(conn, row.id).await?)
        } else {
            Vec::new()
        };
        let found = rows::Entity::find()
            .filter(rows::Column::TenantId.eq(tenant.0))
            .filter(rows::Column::ProductId.eq(product.0))
            .order_by_desc(rows::Column::Id)
            .limit(LISTED)
            .all(conn)
            .await
            .map_err(StoreError::new)?;
        Ok(RefundOverview {
            revoked,
            refundable,
            refunds: refunds_of(conn, found).await?,
        })
    }

    async fn book(
        &self,
        tenant: TenantId,
        product: ProductId,
        (staff, reason): (StaffId, &str),
        now: DateTime<Utc>,
        entry: &AuditEntry,
    ) -> Result<Booked, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let row = match lock_product_row(&self.db, &txn, product).await? {
            Some(p) if p.tenant_id == tenant.0 && p.status == "blocked" => p,
            Some(p) if p.tenant_id == tenant.0 => {
                abandon(txn).await?;
                return Ok(Booked::NotRevoked);
            }
            _ => {
                abandon(txn).await?;
                return Ok(Booked::NotFound);
            }
        };
        // Planned again under the lock: what another medewerker booked meanwhile is gone.
        let parts = plan(row.balance, &paid_top_ups(&txn, row.id).await?);
        let mut booked = Vec::new();
        for part in &parts {
            let posting =
                LedgerPosting::payer_refund(product, part.amount, reason.to_owned(), staff);
            let entry_id = post_entry(&txn, &posting, now)
                .await?
                .ok_or_else(|| StoreError::new("a refund's entry was not written"))?;
            let stored = rows::ActiveModel {
                tenant_id: Set(tenant.0),
                product_id: Set(product.0),
                payment_id: Set(part.payment.0),
                amount: Set(part.amount),
                price_cents: Set(part.price_cents),
                reason: Set(reason.to_owned()),
                staff_id: Set(staff.0),
                status: Set(RefundState::Unsent.as_str().to_owned()),
                entry_id: Set(entry_id),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(StoreError::new)?;
            booked.push(stored);
        }
        if !booked.is_empty() {
            audit::write(&txn, entry).await?;
        }
        let booked = refunds_of(&txn, booked).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(Booked::Booked(booked))
    }

    async fn unsent(&self, product: ProductId) -> Result<Vec<PayerRefund>, StoreError> {
        let conn = self.db.connection();
        let found = rows::Entity::find()
            .filter(rows::Column::ProductId.eq(product.0))
            .filter(rows::Column::Status.eq(RefundState::Unsent.as_str()))
            .order_by_asc(rows::Column::Id)
            .all(conn)
            .await
            .map_err(StoreError::new)?;
        refunds_of(conn, found).await
    }

    async fn answered(
        &self,
        refund: &PayerRefund,
        answer: &Result<ProviderRefund, RefundFailure>,
        now: DateTime<Utc>,
        entry: &AuditEntry,
    ) -> Result<(), StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let product = rows::Entity::find_by_id(refund.id)
            .select_only()
            .column(rows::Column::ProductId)
            .into_tuple::<i64>()
            .one(&txn)
            .await
            .map_err(StoreError::new)?
            .ok_or_else(|| StoreError::new("a refund vanished"))?;
        // Refusals move the balance: under the product's lock, like every posting.
        lock_product_row(&self.db, &txn, ProductId(product)).await?;
        let mut update = rows::Entity::update_many()
            .filter(rows::Column::Id.eq(refund.id))
            .filter(rows::Column::Status.eq(RefundState::Unsent.as_str()));
        update = match answer {
            Ok(taken) => update
                .col_expr(
                    rows::Column::Status,
                    Expr::value(RefundState::Sent.as_str()),
                )
                .col_expr(rows::Column::ProviderRef, Expr::value(taken.id.clone()))
                .col_expr(
                    rows::Column::ProviderStatus,
                    Expr::value(taken.status.clone()),
                )
                .col_expr(rows::Column::SentAt, Expr::value(now))
                .col_expr(rows::Column::Error, Expr::value(Option::<String>::None)),
            Err(RefundFailure::Refused(why)) => update
                .col_expr(
                    rows::Column::Status,
                    Expr::value(RefundState::Refused.as_str()),
                )
                .col_expr(rows::Column::Error, Expr::value(why.clone())),
            Err(RefundFailure::Unsure(why)) => {
                update.col_expr(rows::Column::Error, Expr::value(why.clone()))
            }
        };
        let changed = update
            .exec(&txn)
            .await
            .map_err(StoreError::new)?
            .rows_affected;
        if changed == 0 {
            // Answered already (another medewerker sent it at the same time).
            abandon(txn).await?;
            return Ok(());
        }
        if let Err(RefundFailure::Refused(_)) = answer {
            // The balance is whole again: the same kind, the other way.
            let back = LedgerPosting::payer_refund(
                ProductId(product),
                -refund.amount,
                refund.reason.clone(),
                refund.staff,
            );
            post_entry(&txn, &back, now).await?;
        }
        audit::write(&txn, entry).await?;
        txn.commit().await.map_err(StoreError::new)
    }
}
