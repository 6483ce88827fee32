//! A batch's summary read without its PDF, which may be tens of megabytes: the list, the
//! batch's page and the API's answers read this.

use super::stored::{actor_of, count};
use crate::entities::letter_batches as batches;
use chrono::{DateTime, Utc};
use parkportal_domain::StoreError;
use parkportal_domain::batches::{BatchState, BatchSummary};
use parkportal_domain::ids::{BatchId, TenantId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};

/// A batch as its summary needs it: every column it shows, and whether the PDF is there
/// rather than the PDF, which may be tens of megabytes.
#[derive(Debug, FromQueryResult)]
pub(super) struct SummaryRow {
    id: i64,
    file_name: String,
    state: String,
    rows_total: i32,
    rows_issued: i32,
    rows_refused: i32,
    actor_kind: String,
    actor_ref: Option<i64>,
    actor_name: String,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    pdf_expires_at: Option<DateTime<Utc>>,
    has_pdf: bool,
}

/// The batches of `tenant`, selected as [`SummaryRow`]s.
pub(super) fn summaries(tenant: TenantId) -> sea_orm::Select<batches::Entity> {
    use batches::Column as C;
    batches::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::FileName,
            C::State,
            C::RowsTotal,
            C::RowsIssued,
            C::RowsRefused,
            C::ActorKind,
            C::ActorRef,
            C::ActorName,
            C::CreatedAt,
            C::FinishedAt,
            C::PdfExpiresAt,
        ])
        .column_as(Expr::col(C::Pdf).is_not_null(), "has_pdf")
        .filter(C::TenantId.eq(tenant.0))
}

/// The summary of batch `batch` of `tenant`, without its PDF.
pub(super) async fn summary_in(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    batch: BatchId,
) -> Result<Option<BatchSummary>, StoreError> {
    summaries(tenant)
        .filter(batches::Column::Id.eq(batch.0))
        .into_model::<SummaryRow>()
        .one(conn)
        .await
        .map_err(StoreError::new)?
        .map(summary_of)
        .transpose()
}

pub(super) fn summary_of(row: SummaryRow) -> Result<BatchSummary, StoreError> {
    Ok(BatchSummary {
        id: BatchId(row.id),
        state: BatchState::parse(&row.state)
            .ok_or_else(|| StoreError::new(format!("batch state {}", row.state)))?,
        created_by: actor_of(&row.actor_kind, row.actor_ref, &row.actor_name),
        file_name: row.file_name,
        total: count(row.rows_total),
        issued: count(row.rows_issued),
        refused: count(row.rows_refused),
        created_at: row.created_at,
        finished_at: row.finished_at,
        // `pdf_expires_at` stays as the record of when it went; the PDF itself is cleared.
        pdf_until: row.pdf_expires_at.filter(|_| row.has_pdf),
    })
}
