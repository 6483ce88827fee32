//! The `parking_sessions` table: every session, with what it holds of its product's balance.

use sea_orm::entity::prelude::*;

/// A session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "parking_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    /// Who started it; NULL once that account was deleted.
    pub account_id: Option<i64>,
    pub plate: String,
    pub country: String,
    pub start_at: ChronoDateTimeUtc,
    pub end_at: ChronoDateTimeUtc,
    pub reserved: i64,
    pub script_version: i64,
    pub tariff_version: i64,
    pub breakdown: String,
    pub created_at: ChronoDateTimeUtc,
    pub stopped_at: Option<ChronoDateTimeUtc>,
    pub deleted_at: Option<ChronoDateTimeUtc>,
    pub mandate_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
