//! Revoking a product in the database: under the product's row lock, only when it is the
//! gemeente's, active and without live sessions; its mandates closed (what they hold back to the
//! owner, through the one ledger writer), its unused links expired, its status `revoked`, and
//! the audit entry, in one transaction. A revoked product's stored status is `blocked`, the name
//! the schema's CHECK constraint has had for it from the first migration.

use crate::audit;
use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::{email_links, parking_sessions, products};
use crate::parking::ledger::abandon;
use crate::parking::lock_product_row;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::revocation::{RevocationRepository, RevokeOutcome};
use parkportal_domain::{ProductCode, ProductId, SessionId, StoreError, TenantId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

/// Revocations in the database.
#[derive(Clone, Debug)]
pub struct SeaRevocationRepository {
    db: Database,
}

impl SeaRevocationRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// The live (running or planned) sessions of `product` at `now`.
pub(crate) fn live_of(
    product: i64,
    now: DateTime<Utc>,
) -> sea_orm::Select<parking_sessions::Entity> {
    parking_sessions::Entity::find()
        .filter(parking_sessions::Column::ProductId.eq(product))
        .filter(parking_sessions::Column::DeletedAt.is_null())
        .filter(parking_sessions::Column::StoppedAt.is_null())
        .filter(parking_sessions::Column::EndAt.gt(now))
}

#[async_trait]
impl RevocationRepository for SeaRevocationRepository {
    async fn live(
        &self,
        tenant: TenantId,
        code: &ProductCode,
        now: DateTime<Utc>,
    ) -> Result<Option<(ProductId, Vec<SessionId>)>, StoreError> {
        let conn = self.db.connection();
        let Some(product) = crate::products::in_tenant_or_refused(conn, tenant, code, None).await?
        else {
            return Ok(None);
        };
        let sessions = live_of(product.id, now)
            .order_by_asc(parking_sessions::Column::Id)
            .all(conn)
            .await
            .map_err(StoreError::new)?
            .into_iter()
            .map(|s| SessionId(s.id))
            .collect();
        Ok(Some((ProductId(product.id), sessions)))
    }

    async fn revoke(
        &self,
        tenant: TenantId,
        product: ProductId,
        now: DateTime<Utc>,
        entry: &AuditEntry,
    ) -> Result<RevokeOutcome, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let refused = match lock_product_row(&self.db, &txn, product).await? {
            None => Some(RevokeOutcome::NotFound),
            Some(p) if p.tenant_id != tenant.0 => Some(RevokeOutcome::NotFound),
            Some(p) if p.status != "active" => Some(RevokeOutcome::NotActive),
            Some(_) => None,
        };
        let refused = match refused {
            Some(r) => Some(r),
            None => {
                let live = live_of(product.0, now)
                    .count(&txn)
                    .await
                    .map_err(StoreError::new)?;
                (live > 0).then_some(RevokeOutcome::SessionsLeft)
            }
        };
        if let Some(outcome) = refused {
            abandon(txn).await?;
            return Ok(outcome);
        }
        crate::mandates::close_all(&txn, product.0, now).await?;
        // No link of it couples anything any more.
        email_links::Entity::update_many()
            .col_expr(email_links::Column::ExpiresAt, Expr::value(now))
            .filter(email_links::Column::ProductId.eq(product.0))
            .filter(email_links::Column::UsedAt.is_null())
            .filter(email_links::Column::ExpiresAt.gt(now))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        // The revision counts up, so that a start decided on the active product does not write.
        products::Entity::update_many()
            .col_expr(products::Column::Status, Expr::value("blocked"))
            .col_expr(
                products::Column::Revision,
                Expr::col(products::Column::Revision).add(1),
            )
            .filter(products::Column::Id.eq(product.0))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        let left = products::Entity::find_by_id(product.0)
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
            .map_or(0, |p| p.balance);
        audit::write(&txn, entry).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(RevokeOutcome::Revoked(left))
    }
}
