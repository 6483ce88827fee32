//! The `applications` table: applications in the digitaal loket.

use sea_orm::entity::prelude::*;

/// An application for a product.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "applications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub product_type_id: i64,
    pub reference: String,
    pub status: String,
    pub name: String,
    pub street: String,
    pub house_number: String,
    pub postcode: String,
    pub city: String,
    pub email: String,
    pub language: String,
    pub plates: Option<String>,
    pub remark: Option<String>,
    pub account_id: Option<i64>,
    pub token_hash: String,
    pub message: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub decided_at: Option<ChronoDateTimeUtc>,
    pub product_id: Option<i64>,
    pub rule_outcome: Option<String>,
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
