//! The `payment_refunds` table: what is left of a revoked product's paid balance, going back to
//! the payer through the top-up payment it came from.

use sea_orm::entity::prelude::*;

/// A refund through one payment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_refunds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub product_id: i64,
    pub payment_id: i64,
    pub amount: i64,
    pub price_cents: i64,
    pub reason: String,
    pub staff_id: i64,
    pub status: String,
    pub provider_ref: Option<String>,
    pub provider_status: Option<String>,
    pub error: Option<String>,
    pub entry_id: i64,
    pub created_at: ChronoDateTimeUtc,
    pub sent_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
