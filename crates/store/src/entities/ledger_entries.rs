//! The `ledger_entries` table: every change of a product's balance.

use sea_orm::entity::prelude::*;

/// An entry.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    pub kind: String,
    pub amount: i64,
    pub session_id: Option<i64>,
    pub grant_key: Option<String>,
    pub reference: Option<String>,
    pub note: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub mandate_id: Option<i64>,
    /// The staff member who made it (a correction).
    pub staff_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
