//! The `remember_tokens` table: devices that keep a login ([Onthoud mij]), by token hash.

use sea_orm::entity::prelude::*;

/// A remember-me token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "remember_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub token_hash: String,
    pub account_id: i64,
    pub created_at: ChronoDateTimeUtc,
    pub expires_at: ChronoDateTimeUtc,
    pub replaced_at: Option<ChronoDateTimeUtc>,
    /// The id of the first token of the [Onthoud mij] login this one descends from.
    pub family: i64,
    /// Once replaced: the session and token the exchange made, sealed under this token.
    pub successor: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
