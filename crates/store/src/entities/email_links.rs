//! The `email_links` table: single-use links sent by e-mail, by the hash of their token.

use sea_orm::entity::prelude::*;

/// A link.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub purpose: String,
    pub token_hash: String,
    pub email: String,
    pub product_id: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
    pub expires_at: ChronoDateTimeUtc,
    pub used_at: Option<ChronoDateTimeUtc>,
    pub mandate_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
