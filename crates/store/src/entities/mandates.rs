//! The `mandates` table: who may park on whose product, with what balance.

use sea_orm::entity::prelude::*;

/// A mandate.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mandates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    /// Who gave it; NULL once that account was deleted.
    pub owner_id: Option<i64>,
    pub email: String,
    pub mandatee_id: Option<i64>,
    pub plate: Option<String>,
    pub country: Option<String>,
    pub balance: i64,
    pub imported: bool,
    pub status: String,
    pub created_at: ChronoDateTimeUtc,
    pub accepted_at: Option<ChronoDateTimeUtc>,
    pub revoked_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
