//! The `letter_batch_rows` table: one recipient of a batch, pending until its product is issued
//! (or refused), marked in the transaction that issues it.

use sea_orm::entity::prelude::*;

/// A row of a batch.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "letter_batch_rows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub batch_id: i64,
    /// Its line in the uploaded sheet.
    pub line: i32,
    /// The checked row as JSON.
    pub request: String,
    /// `pending`, `issued` or `refused`.
    pub state: String,
    pub product_id: Option<i64>,
    pub code: Option<String>,
    /// The refusal's stable code.
    pub result: Option<String>,
    /// The letter's page content with its PIN, as JSON, until the batch PDF is made.
    pub letter: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
