//! The `product_name_words` table: the words of each holder's name, for the help desk's search.

use sea_orm::entity::prelude::*;

/// A word of a product's holder's name.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_name_words")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub product_id: i64,
    /// Lower case, at most 40 characters (`parkportal_domain::search::name_words`).
    pub word: String,
    /// The word's first characters (`parkportal_domain::search::word_head`).
    pub head: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
