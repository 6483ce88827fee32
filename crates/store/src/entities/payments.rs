//! The `payments` table: top-up checkouts.

use sea_orm::entity::prelude::*;

/// A payment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    /// Who paid; NULL once that account was deleted.
    pub account_id: Option<i64>,
    pub amount: i64,
    pub price_cents: i64,
    pub status: String,
    pub provider: String,
    pub provider_ref: Option<String>,
    pub checkout_url: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub expires_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
