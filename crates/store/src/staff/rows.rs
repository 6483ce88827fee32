//! The staff tables' rows as the domain's values, and the steps the repository's transactions
//! share (sessions made, replaced and ended, second factors and links written, an account
//! inserted).

use crate::by_key::OneByKey;
use crate::entities::{
    staff_enrolments, staff_members, staff_recovery_codes, staff_roles, staff_sessions,
};
use chrono::{DateTime, Utc};
use parkportal_domain::ids::{StaffId, TenantId};
use parkportal_domain::secret::TokenHash;
use parkportal_domain::staff::{
    Assignment, EmailTaken, NewStaff, Role, StaffCredentials, StaffMember, Stage,
};
use parkportal_domain::{EmailAddress, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, Set, SqlErr,
};

/// The domain member of a row and its roles.
pub(super) fn to_member(
    row: &staff_members::Model,
    roles: Vec<Assignment>,
) -> Result<StaffMember, StoreError> {
    Ok(StaffMember {
        id: StaffId(row.id),
        email: EmailAddress::parse(&row.email)
            .map_err(|e| StoreError::new(format!("stored staff e-mail address: {e}")))?,
        name: row.name.clone(),
        platform_admin: row.platform_admin,
        active: row.active,
        roles,
    })
}

/// A stored role name as a role.
pub(super) fn to_role(name: &str) -> Result<Role, StoreError> {
    Role::parse(name).ok_or_else(|| StoreError::new(format!("stored staff role: {name}")))
}

/// The roles of `staff` per gemeente.
pub(super) async fn roles_of(
    conn: &impl ConnectionTrait,
    staff: i64,
) -> Result<Vec<Assignment>, StoreError> {
    staff_roles::Entity::find()
        .filter(staff_roles::Column::StaffId.eq(staff))
        .all(conn)
        .await
        .map_err(StoreError::new)?
        .iter()
        .map(|r| {
            Ok(Assignment {
                tenant: TenantId(r.tenant_id),
                role: to_role(&r.role)?,
            })
        })
        .collect()
}

/// The member of `row`, with their roles read.
pub(super) async fn member_of(
    conn: &impl ConnectionTrait,
    row: &staff_members::Model,
) -> Result<StaffMember, StoreError> {
    to_member(row, roles_of(conn, row.id).await?)
}

/// The member of id `staff`, if there is one.
pub(super) async fn find_member(
    conn: &impl ConnectionTrait,
    staff: i64,
) -> Result<Option<StaffMember>, StoreError> {
    let row = staff_members::Entity::find_by_id(staff)
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)?;
    match row {
        Some(row) => Ok(Some(member_of(conn, &row).await?)),
        None => Ok(None),
    }
}

/// The credentials of `row`.
pub(super) async fn credentials_of_row(
    conn: &impl ConnectionTrait,
    row: Option<staff_members::Model>,
) -> Result<Option<StaffCredentials>, StoreError> {
    let Some(row) = row else {
        return Ok(None);
    };
    let member = member_of(conn, &row).await?;
    Ok(Some(StaffCredentials {
        member,
        password_hash: row.password_hash,
        totp_secret: row.totp_secret,
        last_step: row.totp_last_step,
    }))
}

/// Stores a login session of `staff` at `stage`, begun `now`.
pub(super) async fn insert_session(
    conn: &impl ConnectionTrait,
    staff: i64,
    token: &TokenHash,
    stage: Stage,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    staff_sessions::ActiveModel {
        token_hash: Set(token.as_str().to_owned()),
        staff_id: Set(staff),
        stage: Set(stage.as_str().to_owned()),
        started_at: Set(now),
        last_seen_at: Set(now),
    }
    .insert(conn)
    .await
    .map_err(StoreError::new)?;
    Ok(())
}

/// Replaces `staff`'s session `old`, which must be at stage `from`, by the active session `new`;
/// `false` when there is no such session (it ended, or a parallel request replaced it first:
/// the delete makes only one of them succeed).
pub(super) async fn replace_session(
    txn: &DatabaseTransaction,
    staff: i64,
    old: &TokenHash,
    from: Stage,
    new: &TokenHash,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let ended = staff_sessions::Entity::delete_many()
        .filter(staff_sessions::Column::TokenHash.eq(old.as_str()))
        .filter(staff_sessions::Column::StaffId.eq(staff))
        .filter(staff_sessions::Column::Stage.eq(from.as_str()))
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    if ended.rows_affected != 1 {
        return Ok(false);
    }
    insert_session(txn, staff, new, Stage::Active, now).await?;
    Ok(true)
}

/// Ends every session of `staff`.
pub(super) async fn end_sessions(txn: &DatabaseTransaction, staff: i64) -> Result<(), StoreError> {
    staff_sessions::Entity::delete_many()
        .filter(staff_sessions::Column::StaffId.eq(staff))
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    Ok(())
}

/// Forgets `staff`'s recovery codes.
pub(super) async fn forget_recovery_codes(
    txn: &DatabaseTransaction,
    staff: i64,
) -> Result<(), StoreError> {
    staff_recovery_codes::Entity::delete_many()
        .filter(staff_recovery_codes::Column::StaffId.eq(staff))
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    Ok(())
}

/// Forgets `staff`'s second factor: the confirmed secret, the one being set up and the last
/// step accepted (a new secret's steps start afresh).
pub(super) async fn forget_second_factor(
    txn: &DatabaseTransaction,
    staff: i64,
) -> Result<(), StoreError> {
    staff_members::Entity::update_many()
        .col_expr(
            staff_members::Column::TotpSecret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            staff_members::Column::TotpPending,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            staff_members::Column::TotpLastStep,
            Expr::value(Option::<i64>::None),
        )
        .filter(staff_members::Column::Id.eq(staff))
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    forget_recovery_codes(txn, staff).await
}

/// Stores an unused enrolment link of `staff`.
pub(super) async fn insert_link(
    txn: &DatabaseTransaction,
    staff: i64,
    link: &TokenHash,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    staff_enrolments::ActiveModel {
        token_hash: Set(link.as_str().to_owned()),
        staff_id: Set(staff),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
    .insert(txn)
    .await
    .map_err(StoreError::new)?;
    Ok(())
}

/// Rolls back a transaction that changed nothing worth keeping (explicitly, so that SQLite's
/// write lock is free before the next writer of this process starts).
pub(super) async fn undo(txn: DatabaseTransaction) -> Result<(), StoreError> {
    txn.rollback().await.map_err(StoreError::new)
}

/// Inserts the account, its first role and its link; `Err(EmailTaken)` when the address has an
/// account (found first, or raced in by a parallel create: the unique index tells).
pub(super) async fn insert_member(
    txn: &DatabaseTransaction,
    new: &NewStaff,
    link: &TokenHash,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Result<i64, EmailTaken>, StoreError> {
    let taken = staff_members::Entity::find()
        .filter(staff_members::Column::Email.eq(new.email.as_str()))
        .count(txn)
        .await
        .map_err(StoreError::new)?;
    if taken > 0 {
        return Ok(Err(EmailTaken));
    }
    let inserted = staff_members::ActiveModel {
        email: Set(new.email.as_str().to_owned()),
        name: Set(new.name.clone()),
        password_hash: Set(None),
        totp_secret: Set(None),
        totp_pending: Set(None),
        totp_last_step: Set(None),
        platform_admin: Set(new.platform_admin),
        active: Set(true),
        created_at: Set(now),
        deactivated_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await;
    let row = match inserted {
        Ok(row) => row,
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Ok(Err(EmailTaken));
        }
        Err(e) => return Err(StoreError::new(e)),
    };
    if let Some(assignment) = new.role {
        staff_roles::ActiveModel {
            staff_id: Set(row.id),
            tenant_id: Set(assignment.tenant.0),
            role: Set(assignment.role.as_str().to_owned()),
        }
        .insert(txn)
        .await
        .map_err(StoreError::new)?;
    }
    insert_link(txn, row.id, link, now, expires_at).await?;
    Ok(Ok(row.id))
}
