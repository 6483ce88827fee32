//! A gemeente's staff as its console lists them, and their roles changed.

use super::rows::{to_member, to_role, undo};
use crate::audit;
use crate::database::Database;
use crate::entities::{staff_enrolments, staff_members, staff_roles};
use chrono::{DateTime, Utc};
use parkportal_domain::StoreError;
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::ids::{StaffId, TenantId};
use parkportal_domain::staff::{Assignment, Beheerder, Role, RoleChange, StaffListing};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;

/// The staff with a role in `tenant` (only `staff` when given), by name: four queries however
/// many there are (their role here, the accounts, all their roles, their unused links).
pub(super) async fn listings(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    staff: Option<StaffId>,
) -> Result<Vec<StaffListing>, StoreError> {
    let mut here = staff_roles::Entity::find().filter(staff_roles::Column::TenantId.eq(tenant.0));
    if let Some(staff) = staff {
        here = here.filter(staff_roles::Column::StaffId.eq(staff.0));
    }
    let here = here.all(conn).await.map_err(StoreError::new)?;
    if here.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = here.iter().map(|r| r.staff_id).collect();
    let members = staff_members::Entity::find()
        .filter(staff_members::Column::Id.is_in(ids.clone()))
        .order_by_asc(staff_members::Column::Name)
        .order_by_asc(staff_members::Column::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    let mut roles: HashMap<i64, Vec<Assignment>> = HashMap::new();
    for r in staff_roles::Entity::find()
        .filter(staff_roles::Column::StaffId.is_in(ids.clone()))
        .all(conn)
        .await
        .map_err(StoreError::new)?
    {
        roles.entry(r.staff_id).or_default().push(Assignment {
            tenant: TenantId(r.tenant_id),
            role: to_role(&r.role)?,
        });
    }
    let mut links: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for l in staff_enrolments::Entity::find()
        .filter(staff_enrolments::Column::StaffId.is_in(ids))
        .filter(staff_enrolments::Column::UsedAt.is_null())
        .all(conn)
        .await
        .map_err(StoreError::new)?
    {
        let newest = links.entry(l.staff_id).or_insert(l.expires_at);
        *newest = (*newest).max(l.expires_at);
    }
    let role_here: HashMap<i64, &str> =
        here.iter().map(|r| (r.staff_id, r.role.as_str())).collect();
    members
        .iter()
        .map(|row| {
            let role = to_role(role_here.get(&row.id).copied().unwrap_or_default())?;
            Ok(StaffListing {
                member: to_member(row, roles.remove(&row.id).unwrap_or_default())?,
                role,
                enrolled: row.totp_secret.is_some(),
                link_expires_at: links.get(&row.id).copied(),
            })
        })
        .collect()
}

/// Sets or removes the role of `staff` in `tenant` with its entry, in one transaction; `None`
/// when it already was so.
pub(super) async fn set_role(
    db: &Database,
    tenant: TenantId,
    staff: StaffId,
    role: Option<Role>,
    audit: &AuditEntry,
) -> Result<Option<RoleChange>, StoreError> {
    let (_gate, txn) = db.begin_write().await?;
    let current = staff_roles::Entity::find_by_id((staff.0, tenant.0))
        .one(&txn)
        .await
        .map_err(StoreError::new)?;
    let before = current.as_ref().map(|r| to_role(&r.role)).transpose()?;
    if before == role {
        undo(txn).await?;
        return Ok(None);
    }
    match (current, role) {
        (Some(row), None) => {
            staff_roles::Entity::delete_by_id((row.staff_id, row.tenant_id))
                .exec(&txn)
                .await
                .map_err(StoreError::new)?;
        }
        (Some(row), Some(role)) => {
            let mut row: staff_roles::ActiveModel = row.into();
            row.role = Set(role.as_str().to_owned());
            row.update(&txn).await.map_err(StoreError::new)?;
        }
        (None, Some(role)) => {
            staff_roles::ActiveModel {
                staff_id: Set(staff.0),
                tenant_id: Set(tenant.0),
                role: Set(role.as_str().to_owned()),
            }
            .insert(&txn)
            .await
            .map_err(StoreError::new)?;
        }
        (None, None) => {}
    }
    audit::write(&txn, audit).await?;
    txn.commit().await.map_err(StoreError::new)?;
    Ok(Some(RoleChange { before }))
}

/// The beheerders of every gemeente, by gemeente and name: two queries.
pub(super) async fn beheerders(conn: &impl ConnectionTrait) -> Result<Vec<Beheerder>, StoreError> {
    let roles = staff_roles::Entity::find()
        .filter(staff_roles::Column::Role.eq(Role::TenantAdmin.as_str()))
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    let ids: Vec<i64> = roles.iter().map(|r| r.staff_id).collect();
    let members: HashMap<i64, staff_members::Model> = staff_members::Entity::find()
        .filter(staff_members::Column::Id.is_in(ids))
        .all(conn)
        .await
        .map_err(StoreError::new)?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut found = roles
        .iter()
        .filter_map(|r| members.get(&r.staff_id).map(|m| (r.tenant_id, m)))
        .map(|(tenant, m)| {
            Ok(Beheerder {
                tenant: TenantId(tenant),
                id: StaffId(m.id),
                name: m.name.clone(),
                email: to_member(m, Vec::new())?.email,
                active: m.active,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    found.sort_by(|a, b| (a.tenant.0, &a.name).cmp(&(b.tenant.0, &b.name)));
    Ok(found)
}
