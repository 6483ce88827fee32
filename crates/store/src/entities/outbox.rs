//! The `outbox` table: every mail, queued until it is sent.

use sea_orm::entity::prelude::*;

/// A mail.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub tenant_id: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
    pub attempts: i32,
    pub next_attempt_at: ChronoDateTimeUtc,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<ChronoDateTimeUtc>,
    pub sent_at: Option<ChronoDateTimeUtc>,
    pub last_error: Option<String>,
    /// The plates the mail mentions (normalised, comma-separated), for the privacy job.
    pub plates: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
