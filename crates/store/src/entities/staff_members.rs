//! The `staff_members` table: the accounts of the staff side, apart from residents' accounts.

use sea_orm::entity::prelude::*;

/// A staff member's account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lower-cased.
    pub email: String,
    pub name: String,
    /// The argon2id PHC string, once chosen through the enrolment link.
    pub password_hash: Option<String>,
    /// The confirmed TOTP secret, base32.
    pub totp_secret: Option<String>,
    /// The TOTP secret being set up at enrolment, base32.
    pub totp_pending: Option<String>,
    /// The last TOTP step accepted.
    pub totp_last_step: Option<i64>,
    pub platform_admin: bool,
    pub active: bool,
    pub created_at: ChronoDateTimeUtc,
    pub deactivated_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
