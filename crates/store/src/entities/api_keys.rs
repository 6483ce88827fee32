//! The `api_keys` table: a gemeente's keys for the admin API, by the hash of their secret.

use sea_orm::entity::prelude::*;

/// An API key (its secret is not stored, only its hash).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    #[sea_orm(unique)]
    pub key_hash: String,
    /// Comma-separated scope names.
    pub scopes: String,
    pub created_at: ChronoDateTimeUtc,
    pub created_by: String,
    pub expires_at: Option<ChronoDateTimeUtc>,
    pub last_used_at: Option<ChronoDateTimeUtc>,
    pub revoked_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
