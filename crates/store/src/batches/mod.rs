//! Letter batches in the database: the job row with its lease and progress, its rows, and its
//! PDF while kept. Every query a person's request makes names the gemeente in its own WHERE;
//! the worker's queries go by the batch it claimed. A row is marked issued by the product's own
//! transaction (see `products.rs`), so this file only refuses rows and finishes batches.

mod stored;
mod summary;

use crate::audit;
use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::{letter_batch_rows as rows, letter_batches as batches, tenants};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::StoreError;
use parkportal_domain::audit::{Actor, AuditEntry};
use parkportal_domain::batches::{
    BatchPage, BatchRepository, BatchState, BatchSummary, ClaimedBatch, NewBatch, PendingRow,
    ReportLine, Stored,
};
use parkportal_domain::idempotency::{Fingerprint, IdempotencyKey};
use parkportal_domain::ids::{BatchId, TenantId};
use parkportal_domain::letters::Recipient;
use parkportal_domain::secret::ProductCode;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
pub(crate) use stored::page_json;
use stored::{StoredRow, actor_parts, count, issuer_of, page_of};
use summary::{SummaryRow, summaries, summary_in, summary_of};

/// Batches in the database.
#[derive(Clone, Debug)]
pub struct SeaBatchRepository {
    db: Database,
}

impl SeaBatchRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Stores `batch` with its rows pending and `audit`, in one transaction.
    async fn insert(
        &self,
        batch: &NewBatch<'_>,
        audit: &AuditEntry,
    ) -> Result<BatchId, StoreError> {
        let (kind, actor_ref, actor_name) = actor_parts(&batch.issuer.actor);
        let (_gate, txn) = self.db.begin_write().await?;
        let inserted = batches::ActiveModel {
            tenant_id: Set(batch.tenant.0),
            file_name: Set(batch.file_name.chars().take(200).collect()),
            state: Set(BatchState::Queued.as_str().to_owned()),
            rows_total: Set(i32::try_from(batch.rows.len()).map_err(StoreError::new)?),
            rows_issued: Set(0),
            rows_refused: Set(0),
            actor_kind: Set(kind.to_owned()),
            actor_ref: Set(actor_ref),
            actor_name: Set(actor_name.chars().take(320).collect()),
            role: Set(batch.issuer.role.map(|r| r.as_str().to_owned())),
            origin: Set(batch.issuer.origin.chars().take(100).collect()),
            created_at: Set(batch.at),
            request_key: Set(batch.repeat.map(|r| r.key.as_str().to_owned())),
            request_print: Set(batch.repeat.map(|r| r.print.as_str().to_owned())),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(StoreError::new)?;
        // Many rows to a statement: a batch of thousands is stored in a blink.
        for chunk in batch.rows.chunks(200) {
            let mut models = Vec::with_capacity(chunk.len());
            for row in chunk {
                models.push(rows::ActiveModel {
                    batch_id: Set(inserted.id),
                    line: Set(line_of(row.line)),
                    request: Set(
                        serde_json::to_string(&StoredRow::of(row)).map_err(StoreError::new)?
                    ),
                    state: Set("pending".to_owned()),
                    ..Default::default()
                });
            }
            rows::Entity::insert_many(models)
                .exec(&txn)
                .await
                .map_err(StoreError::new)?;
        }
        audit::write(&txn, &audit.clone().about("batch", inserted.id)).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(BatchId(inserted.id))
    }
}

/// The batch `batch` of `tenant`, its PDF with it.
async fn of_tenant(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    batch: BatchId,
) -> Result<Option<batches::Model>, StoreError> {
    batches::Entity::find()
        .filter(batches::Column::TenantId.eq(tenant.0))
        .filter(batches::Column::Id.eq(batch.0))
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)
}

fn line_of(line: usize) -> i32 {
    i32::try_from(line).unwrap_or(i32::MAX)
}

/// Marks the pending row of `batch` at `line` issued as `code` with its `page`, in the
/// product's transaction `txn`: `false` when it is no longer pending (then nothing changed).
pub(crate) async fn mark_issued(
    txn: &impl ConnectionTrait,
    batch: BatchId,
    line: usize,
    code: &ProductCode,
    page: &BatchPage,
) -> Result<bool, StoreError> {
    let marked = rows::Entity::update_many()
        .col_expr(rows::Column::State, Expr::value("issued"))
        .col_expr(rows::Column::Code, Expr::value(code.as_str()))
        .col_expr(rows::Column::Letter, Expr::value(page_json(page)?))
        .filter(rows::Column::BatchId.eq(batch.0))
        .filter(rows::Column::Line.eq(line_of(line)))
        .filter(rows::Column::State.eq("pending"))
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    Ok(marked.rows_affected == 1)
}

/// Names the product `product` on the issued row of `batch` at `line` and counts it issued.
/// Late in the product's transaction: the count locks the batch's row until the commit, and
/// rows issued at once should wait for each other no longer than that.
pub(crate) async fn name_product(
    txn: &impl ConnectionTrait,
    batch: BatchId,
    line: usize,
    product: i64,
) -> Result<(), StoreError> {
    rows::Entity::update_many()
        .col_expr(rows::Column::ProductId, Expr::value(product))
        .filter(rows::Column::BatchId.eq(batch.0))
        .filter(rows::Column::Line.eq(line_of(line)))
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    batches::Entity::update_many()
        .col_expr(
            batches::Column::RowsIssued,
            Expr::col(batches::Column::RowsIssued).add(1),
        )
        .filter(batches::Column::Id.eq(batch.0))
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    Ok(())
}

#[async_trait]
impl BatchRepository for SeaBatchRepository {
    async fn create(&self, batch: NewBatch<'_>, audit: &AuditEntry) -> Result<Stored, StoreError> {
        let stored = self.insert(&batch, audit).await;
        match (stored, batch.repeat) {
            (Ok(id), _) => Ok(Stored::New(id)),
            // A simultaneous repeat stored its batch first (the unique index refused this
            // one): that batch is the answer.
            (Err(e), Some(repeat)) => {
                let earlier = self
                    .by_key(batch.tenant, &batch.issuer.actor, &repeat.key)
                    .await?;
                match earlier {
                    Some((batch, print)) => Ok(Stored::Earlier { batch, print }),
                    None => Err(e),
                }
            }
            (Err(e), None) => Err(e),
        }
    }

    async fn by_key(
        &self,
        tenant: TenantId,
        actor: &Actor,
        key: &IdempotencyKey,
    ) -> Result<Option<(BatchId, Fingerprint)>, StoreError> {
        let (kind, actor_ref, _) = actor_parts(actor);
        let Some(actor_ref) = actor_ref else {
            // Keys belong to a person or an API key; the operator's uploads have none.
            return Ok(None);
        };
        let found = batches::Entity::find()
            .filter(batches::Column::TenantId.eq(tenant.0))
            .filter(batches::Column::ActorKind.eq(kind))
            .filter(batches::Column::ActorRef.eq(actor_ref))
            .filter(batches::Column::RequestKey.eq(key.as_str()))
            .one(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(found.map(|b| {
            let print = Fingerprint::from_stored(b.request_print.unwrap_or_default());
            (BatchId(b.id), print)
        }))
    }

    async fn claim(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<ClaimedBatch>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let takeable = || {
            sea_orm::Condition::any()
                .add(batches::Column::State.eq(BatchState::Queued.as_str()))
                .add(
                    sea_orm::Condition::all()
                        .add(batches::Column::State.eq(BatchState::Running.as_str()))
                        .add(batches::Column::LeaseUntil.lt(now)),
                )
        };
        let candidates = batches::Entity::find()
            .select_only()
            .column(batches::Column::Id)
            .filter(takeable())
            .order_by_asc(batches::Column::CreatedAt)
            .order_by_asc(batches::Column::Id)
            .limit(5)
            .into_tuple::<i64>()
            .all(&txn)
            .await
            .map_err(StoreError::new)?;
        for id in candidates {
            // Conditional on being takeable still: two instances never both take a batch.
            let taken = batches::Entity::update_many()
                .col_expr(
                    batches::Column::State,
                    Expr::value(BatchState::Running.as_str()),
                )
                .col_expr(batches::Column::LeaseOwner, Expr::value(owner))
                .col_expr(batches::Column::LeaseUntil, Expr::value(until))
                .filter(batches::Column::Id.eq(id))
                .filter(takeable())
                .exec(&txn)
                .await
                .map_err(StoreError::new)?;
            if taken.rows_affected != 1 {
                continue;
            }
            let Some(row) = batches::Entity::find_by_id(id)
                .one_by_key(&txn)
                .await
                .map_err(StoreError::new)?
            else {
                continue;
            };
            let slug = tenants::Entity::find_by_id(row.tenant_id)
                .one_by_key(&txn)
                .await
                .map_err(StoreError::new)?
                .map(|t| t.slug)
                .ok_or_else(|| StoreError::new("the batch's gemeente is gone"))?;
            txn.commit().await.map_err(StoreError::new)?;
            return Ok(Some(ClaimedBatch {
                id: BatchId(row.id),
                tenant: TenantId(row.tenant_id),
                slug,
                issuer: issuer_of(&row),
            }));
        }
        txn.commit().await.map_err(StoreError::new)?;
        Ok(None)
    }

    async fn renew(
        &self,
        batch: BatchId,
        owner: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let renewed = batches::Entity::update_many()
            .col_expr(batches::Column::LeaseUntil, Expr::value(until))
            .filter(batches::Column::Id.eq(batch.0))
            .filter(batches::Column::LeaseOwner.eq(owner))
            .filter(batches::Column::State.eq(BatchState::Running.as_str()))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(renewed.rows_affected == 1)
    }

    async fn pending(&self, batch: BatchId, limit: usize) -> Result<Vec<PendingRow>, StoreError> {
        let found = rows::Entity::find()
            .filter(rows::Column::BatchId.eq(batch.0))
            .filter(rows::Column::State.eq("pending"))
            .order_by_asc(rows::Column::Line)
            .limit(u64::try_from(limit).unwrap_or(u64::MAX))
            .all(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(found
            .into_iter()
            .map(|r| {
                let line = count(r.line);
                PendingRow {
                    line,
                    row: serde_json::from_str::<StoredRow>(&r.request)
                        .ok()
                        .and_then(|s| s.row(line)),
                }
            })
            .collect())
    }

    async fn refuse(
        &self,
        batch: BatchId,
        line: usize,
        code: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let refused = rows::Entity::update_many()
            .col_expr(rows::Column::State, Expr::value("refused"))
            .col_expr(rows::Column::Result, Expr::value(code))
            .filter(rows::Column::BatchId.eq(batch.0))
            .filter(rows::Column::Line.eq(line_of(line)))
            .filter(rows::Column::State.eq("pending"))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        if refused.rows_affected == 1 {
            batches::Entity::update_many()
                .col_expr(
                    batches::Column::RowsRefused,
                    Expr::col(batches::Column::RowsRefused).add(1),
                )
                .filter(batches::Column::Id.eq(batch.0))
                .exec(&txn)
                .await
                .map_err(StoreError::new)?;
            audit::write(&txn, audit).await?;
        }
        txn.commit().await.map_err(StoreError::new)?;
        Ok(())
    }

    async fn pages(&self, batch: BatchId) -> Result<Vec<(Recipient, BatchPage)>, StoreError> {
        let found = rows::Entity::find()
            .filter(rows::Column::BatchId.eq(batch.0))
            .filter(rows::Column::State.eq("issued"))
            .order_by_asc(rows::Column::Line)
            .all(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        let mut pages = Vec::with_capacity(found.len());
        for r in found {
            let stored: StoredRow = serde_json::from_str(&r.request).map_err(StoreError::new)?;
            let recipient = stored
                .recipient()
                .ok_or_else(|| StoreError::new(format!("batch row {} has no address", r.line)))?;
            let letter = r
                .letter
                .as_deref()
                .ok_or_else(|| StoreError::new(format!("batch row {} has no page", r.line)))?;
            pages.push((recipient, page_of(letter)?));
        }
        Ok(pages)
    }

    async fn finish(
        &self,
        batch: BatchId,
        pdf: Option<&[u8]>,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let pending = rows::Entity::find()
            .select_only()
            .column(rows::Column::Id)
            .filter(rows::Column::BatchId.eq(batch.0))
            .filter(rows::Column::State.eq("pending"))
            .limit(1)
            .into_tuple::<i64>()
            .all(&txn)
            .await
            .map_err(StoreError::new)?;
        if !pending.is_empty() {
            return Ok(false);
        }
        let done = batches::Entity::update_many()
            .col_expr(
                batches::Column::State,
                Expr::value(BatchState::Done.as_str()),
            )
            .col_expr(batches::Column::Pdf, Expr::value(pdf.map(<[u8]>::to_vec)))
            .col_expr(
                batches::Column::PdfExpiresAt,
                Expr::value(pdf.map(|_| expires)),
            )
            .col_expr(batches::Column::FinishedAt, Expr::value(now))
            .col_expr(
                batches::Column::LeaseOwner,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                batches::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(batches::Column::Id.eq(batch.0))
            .filter(batches::Column::State.ne(BatchState::Done.as_str()))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        if done.rows_affected != 1 {
            return Ok(false);
        }
        // The PINs now live in the PDF only.
        rows::Entity::update_many()
            .col_expr(rows::Column::Letter, Expr::value(Option::<String>::None))
            .filter(rows::Column::BatchId.eq(batch.0))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(true)
    }

    async fn list(&self, tenant: TenantId, limit: u64) -> Result<Vec<BatchSummary>, StoreError> {
        let found = summaries(tenant)
            .order_by_desc(batches::Column::CreatedAt)
            .order_by_desc(batches::Column::Id)
            .limit(limit)
            .into_model::<SummaryRow>()
            .all(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        found.into_iter().map(summary_of).collect()
    }

    async fn summary(
        &self,
        tenant: TenantId,
        batch: BatchId,
    ) -> Result<Option<BatchSummary>, StoreError> {
        summary_in(self.db.connection(), tenant, batch).await
    }

    async fn report(
        &self,
        tenant: TenantId,
        batch: BatchId,
        audit: &AuditEntry,
    ) -> Result<Option<Vec<ReportLine>>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        if summary_in(&txn, tenant, batch).await?.is_none() {
            audit::write(&txn, &audit.clone().refused("not_found")).await?;
            txn.commit().await.map_err(StoreError::new)?;
            return Ok(None);
        }
        let found = rows::Entity::find()
            .filter(rows::Column::BatchId.eq(batch.0))
            .order_by_asc(rows::Column::Line)
            .all(&txn)
            .await
            .map_err(StoreError::new)?;
        let mut lines = Vec::with_capacity(found.len());
        for r in found {
            let stored: StoredRow = serde_json::from_str(&r.request).map_err(StoreError::new)?;
            lines.push(ReportLine {
                line: count(r.line),
                // As the letter prints it (`ACDEF-GHJKM`).
                code: r
                    .code
                    .map(|c| ProductCode::parse(&c).map_or(c, |code| code.to_string())),
                recipient: stored.name,
                result: match r.state.as_str() {
                    "refused" => r.result.unwrap_or_else(|| "refused".to_owned()),
                    other => other.to_owned(),
                },
            });
        }
        audit::write(&txn, &audit.clone().about("batch", batch.0)).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(Some(lines))
    }

    async fn pdf(
        &self,
        tenant: TenantId,
        batch: BatchId,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let pdf = of_tenant(&txn, tenant, batch)
            .await?
            .filter(|r| r.pdf_expires_at.is_some_and(|until| until > now))
            .and_then(|r| r.pdf);
        let entry = match pdf {
            Some(_) => audit.clone().about("batch", batch.0),
            None => audit.clone().about("batch", batch.0).refused("not_found"),
        };
        audit::write(&txn, &entry).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(pdf)
    }
}
