//! The `accounts` table: resident accounts, one per e-mail address.

use sea_orm::entity::prelude::*;

/// An account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub language: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub password_changed_at: ChronoDateTimeUtc,
    pub last_product_id: Option<i64>,
    pub start_product_id: Option<i64>,
    pub contrast: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
