//! The `product_letters` table: allocation letters made for a product, their PDF kept for
//! reprinting until `expires_at` and cleared by housekeeping after it (it holds the PIN).

use sea_orm::entity::prelude::*;

/// A letter.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_letters")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub product_id: i64,
    pub language: String,
    /// The PDF; NULL once its time for reprinting has passed.
    pub pdf: Option<Vec<u8>>,
    pub created_at: ChronoDateTimeUtc,
    pub expires_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
