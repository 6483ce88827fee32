//! The `zones` table: the areas (locaties) a gemeente's products are valid in.

use sea_orm::entity::prelude::*;

/// A zone of a gemeente.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "zones")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub code: String,
    pub name: String,
    pub position: i32,
    pub retired_at: Option<ChronoDateTimeUtc>,
    pub postcodes: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
