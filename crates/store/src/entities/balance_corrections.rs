//! The `balance_corrections` table: staff corrections of a balance, applied or waiting for a
//! second medewerker's approval.

use sea_orm::entity::prelude::*;

/// A correction.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "balance_corrections")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub product_id: i64,
    pub amount: i64,
    pub reason: String,
    pub proposed_by: i64,
    pub proposed_at: ChronoDateTimeUtc,
    pub status: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<ChronoDateTimeUtc>,
    pub entry_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
