//! The `simulated_payments` table: the built-in simulated iDEAL provider's own payments.

use sea_orm::entity::prelude::*;

/// A simulated payment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "simulated_payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub price: String,
    pub description: String,
    pub redirect_url: String,
    pub status: String,
    pub idempotency_key: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
