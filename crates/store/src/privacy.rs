//! Anonymising plates: sessions in batches through the partial index of sessions that still
//! have a plate (`parking_sessions_plate_kept`), mails through the plates they recorded.

use crate::database::Database;
use crate::entities::{outbox, parking_sessions, products, tenants};
use crate::parking::has_plate;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::plate::Plate;
use parkportal_domain::privacy::{Anonymised, PlateRetention, PrivacyRepository, without_plates};
use parkportal_domain::{StoreError, TenantId};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect, Set,
};

/// Sessions anonymised per transaction: a first run on a large database holds no lock long.
const BATCH: u64 = 1_000;

/// The privacy repository on a database.
#[derive(Clone)]
pub struct SeaPrivacyRepository {
    db: Database,
}

impl SeaPrivacyRepository {
    /// On `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The sessions of `tenant` that ended before `before`, or (planned ones) were deleted
    /// before it: a deleted session may have been planned far ahead.
    async fn sessions(&self, tenant: TenantId, before: DateTime<Utc>) -> Result<u64, StoreError> {
        use parking_sessions::Column as C;
        let mut total = 0;
        for over in [C::EndAt.lt(before), C::DeletedAt.lt(before)] {
            total += self.sessions_where(tenant, over).await?;
        }
        Ok(total)
    }

    async fn sessions_where(
        &self,
        tenant: TenantId,
        over: sea_orm::sea_query::SimpleExpr,
    ) -> Result<u64, StoreError> {
        use parking_sessions::Column as C;
        let mut total = 0;
        loop {
            let of_tenant = Query::select()
                .column(products::Column::Id)
                .from(products::Entity)
                .and_where(Expr::col(products::Column::TenantId).eq(tenant.0))
                .to_owned();
            let (_gate, txn) = self.db.begin_write().await?;
            let ids: Vec<i64> = parking_sessions::Entity::find()
                .select_only()
                .column(C::Id)
                .filter(has_plate())
                .filter(over.clone())
                .filter(C::ProductId.in_subquery(of_tenant))
                .limit(BATCH)
                .into_tuple()
                .all(&txn)
                .await
                .map_err(StoreError::new)?;
            if ids.is_empty() {
                txn.rollback().await.map_err(StoreError::new)?;
                return Ok(total);
            }
            let done = parking_sessions::Entity::update_many()
                .col_expr(C::Plate, Expr::value(""))
                .col_expr(C::Country, Expr::value(""))
                .filter(C::Id.is_in(ids))
                .filter(has_plate())
                .exec(&txn)
                .await
                .map_err(StoreError::new)?;
            txn.commit().await.map_err(StoreError::new)?;
            total += done.rows_affected;
        }
    }

    async fn mails(
        &self,
        tenant: Option<TenantId>,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        use outbox::Column as C;
        let mut query = outbox::Entity::find()
            .filter(C::Plates.is_not_null())
            .filter(C::CreatedAt.lt(before));
        query = match tenant {
            Some(t) => query.filter(C::TenantId.eq(t.0)),
            None => query.filter(C::TenantId.is_null()),
        };
        let mut count = 0;
        loop {
            let (_gate, txn) = self.db.begin_write().await?;
            let rows = query
                .clone()
                .limit(BATCH)
                .all(&txn)
                .await
                .map_err(StoreError::new)?;
            if rows.is_empty() {
                txn.rollback().await.map_err(StoreError::new)?;
                return Ok(count);
            }
            count += rows.len() as u64;
            for row in rows {
                let plates: Vec<Plate> = row
                    .plates
                    .as_deref()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|p| {
                        let (country, plate) = p.split_once(':')?;
                        Plate::from_stored(plate, country).ok()
                    })
                    .collect();
                let subject = without_plates(&row.subject, &plates);
                let text = without_plates(&row.body_text, &plates);
                let html = without_plates(&row.body_html, &plates);
                let mut model = row.into_active_model();
                model.subject = Set(subject);
                model.body_text = Set(text);
                model.body_html = Set(html);
                model.plates = Set(None);
                model.update(&txn).await.map_err(StoreError::new)?;
            }
            txn.commit().await.map_err(StoreError::new)?;
        }
    }
}

/// How a mail records the plates it mentions: `NL:AB1234,DE:BXY123`.
pub(crate) fn plates_column(plates: &[Plate]) -> Option<String> {
    (!plates.is_empty()).then(|| {
        plates
            .iter()
            .map(|p| format!("{}:{}", p.country().as_str(), p.normalised()))
            .collect::<Vec<_>>()
            .join(",")
    })
}

#[async_trait]
impl PrivacyRepository for SeaPrivacyRepository {
    async fn retentions(&self) -> Result<Vec<(TenantId, PlateRetention)>, StoreError> {
        tenants::Entity::find()
            .all(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .into_iter()
            .map(|t| {
                let retention = PlateRetention::days(i64::from(t.plate_retention_days))
                    .map_err(|e| StoreError::new(format!("stored plate retention: {e}")))?;
                Ok((TenantId(t.id), retention))
            })
            .collect()
    }

    async fn anonymise(
        &self,
        tenant: Option<TenantId>,
        before: DateTime<Utc>,
    ) -> Result<Anonymised, StoreError> {
        let sessions = match tenant {
            Some(t) => self.sessions(t, before).await?,
            None => 0,
        };
        let mails = self.mails(tenant, before).await?;
        Ok(Anonymised { sessions, mails })
    }
}
