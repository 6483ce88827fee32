//! The `rule_errors` table: failed rule-script calls, for administrators.

use sea_orm::entity::prelude::*;

/// One failure.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rule_errors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub script: String,
    pub script_version: i64,
    pub function: String,
    pub message: String,
    pub occurred_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
