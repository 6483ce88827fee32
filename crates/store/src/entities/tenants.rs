//! The `tenants` table: one row per gemeente.

use sea_orm::entity::prelude::*;

/// A gemeente row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub public_url: Option<String>,
    pub time_zone: String,
    pub default_language: String,
    pub theme: String,
    pub tokens: String,
    pub logo: Vec<u8>,
    pub logo_content_type: String,
    pub version: i64,
    pub plate_retention_days: i32,
    pub suspended_at: Option<ChronoDateTimeUtc>,
    pub suspended_by: Option<String>,
    pub suspension_reason: Option<String>,
    /// The return address on letters, its lines joined by newlines (a line holds none).
    pub letter_return_address: Option<String>,
    pub letter_contact: Option<String>,
    pub privacy_url: Option<String>,
    pub contact_url: Option<String>,
    pub accessibility_url: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
