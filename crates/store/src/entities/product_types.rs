//! The `product_types` table: visitor schemes and permits a gemeente offers.

use sea_orm::entity::prelude::*;

/// A product type of a gemeente.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_types")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub unit: String,
    pub position: i32,
    pub grant_period: Option<String>,
    pub grant_amount: Option<i64>,
    pub top_ups: Option<String>,
    pub retired_at: Option<ChronoDateTimeUtc>,
    pub validity_months: i32,
    pub open_for_application: bool,
    pub letter_on_grant: bool,
    pub max_plates: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
