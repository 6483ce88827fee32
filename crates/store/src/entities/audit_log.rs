//! The `audit_log` table: the audit trail of the staff side, append-only.

use sea_orm::entity::prelude::*;

/// An entry of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: ChronoDateTimeUtc,
    /// The staff member who acted, if one did (no foreign key: entries outlive accounts).
    pub actor_id: Option<i64>,
    pub actor: String,
    pub role: Option<String>,
    pub tenant_id: Option<i64>,
    pub action: String,
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    /// `ok` or `refused`.
    pub result: String,
    pub reason: Option<String>,
    pub origin: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
