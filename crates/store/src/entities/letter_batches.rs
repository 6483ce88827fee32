//! The `letter_batches` table: a batch of allocation letters as a job, claimed by an instance
//! through a lease, with its progress and, once done, its PDF for a limited time.

use sea_orm::entity::prelude::*;

/// A batch.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "letter_batches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub file_name: String,
    /// `queued`, `running` or `done`.
    pub state: String,
    pub rows_total: i32,
    pub rows_issued: i32,
    pub rows_refused: i32,
    /// `staff`, `api_key` or `operator`.
    pub actor_kind: String,
    pub actor_ref: Option<i64>,
    pub actor_name: String,
    pub role: Option<String>,
    pub origin: String,
    pub created_at: ChronoDateTimeUtc,
    pub finished_at: Option<ChronoDateTimeUtc>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<ChronoDateTimeUtc>,
    /// The letters, one a page; NULL until done and again once their time has passed.
    pub pdf: Option<Vec<u8>>,
    pub pdf_expires_at: Option<ChronoDateTimeUtc>,
    /// The key the upload came with (an `Idempotency-Key`, a form's one-time token), if any.
    pub request_key: Option<String>,
    /// The SHA-256 of what that upload sent, to tell a repeat from another upload.
    pub request_print: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
