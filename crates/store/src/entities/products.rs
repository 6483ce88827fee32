//! The `products` table: products issued to residents.

use sea_orm::entity::prelude::*;

/// A product.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub product_type_id: i64,
    pub zone_id: i64,
    pub code: String,
    pub pin_hash: String,
    pub valid_from: ChronoDateTimeUtc,
    pub valid_until: ChronoDateTimeUtc,
    pub status: String,
    pub owner_id: Option<i64>,
    pub issued_at: ChronoDateTimeUtc,
    pub balance: i64,
    /// Counts every write to the product's sessions or balance (see [`crate::parking`]).
    pub revision: i64,
    /// No live session of the product ends after this (NULL: none at all).
    pub sessions_until: Option<ChronoDateTimeUtc>,
    /// The person a letter went to, for products issued by post (NULL otherwise).
    pub holder_name: Option<String>,
    pub holder_street: Option<String>,
    pub holder_house_number: Option<String>,
    /// Normalised, `1234 AB`.
    pub holder_postcode: Option<String>,
    pub holder_city: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
