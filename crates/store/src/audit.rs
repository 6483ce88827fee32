//! The audit trail in the database: entries written on their own or inside the transaction of
//! the change they record, read back newest first, and removed only by housekeeping.

use crate::database::{Backend, Database};
use crate::entities::audit_log;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::StoreError;
use parkportal_domain::audit::{AuditEntry, AuditFilter, AuditRepository, StoredAuditEntry};
use parkportal_domain::ids::{AuditId, StaffId, TenantId};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// The audit trail in the database.
#[derive(Clone, Debug)]
pub struct SeaAuditRepository {
    db: Database,
}

impl SeaAuditRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Writes `entry` on `conn`: the transaction of the change it records, so that the change and
/// its entry commit or roll back together.
pub(crate) async fn write(
    conn: &impl ConnectionTrait,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    audit_log::ActiveModel {
        at: Set(entry.at),
        actor_id: Set(entry.actor.staff_id().map(|id| id.0)),
        actor: Set(entry.actor.label()),
        role: Set(entry.role.map(|r| r.as_str().to_owned())),
        tenant_id: Set(entry.tenant.map(|t| t.0)),
        action: Set(entry.action.to_owned()),
        object_kind: Set(entry.object.as_ref().map(|o| o.kind.to_owned())),
        object_id: Set(entry.object.as_ref().map(|o| o.id.clone())),
        result: Set(entry.result.as_str().to_owned()),
        reason: Set(entry.reason.clone()),
        origin: Set(entry.origin.clone()),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(StoreError::new)?;
    Ok(())
}

/// Removes the entries older than `before`: the only code that deletes from the audit trail.
/// On PostgreSQL the table's trigger lets a DELETE through only while the transaction-local
/// `parkportal.audit_housekeeping` is on, which this sets for its own transaction alone.
pub(crate) async fn remove_older_than(
    db: &Database,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let (_gate, txn) = db.begin_write().await?;
    if db.backend() == Backend::Postgres {
        txn.execute_unprepared("SET LOCAL parkportal.audit_housekeeping = 'on'")
            .await
            .map_err(StoreError::new)?;
    }
    let removed = audit_log::Entity::delete_many()
        .filter(audit_log::Column::At.lt(before))
        .exec(&txn)
        .await
        .map_err(StoreError::new)?
        .rows_affected;
    txn.commit().await.map_err(StoreError::new)?;
    Ok(removed)
}

pub(crate) fn to_stored(row: audit_log::Model) -> StoredAuditEntry {
    StoredAuditEntry {
        id: AuditId(row.id),
        actor_id: row.actor_id.map(StaffId),
        actor: row.actor,
        role: row.role,
        tenant: row.tenant_id.map(TenantId),
        action: row.action,
        object_kind: row.object_kind,
        object_id: row.object_id,
        result: row.result,
        reason: row.reason,
        origin: row.origin,
        at: row.at,
    }
}

#[async_trait]
impl AuditRepository for SeaAuditRepository {
    async fn record(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        write(self.db.connection(), entry).await
    }

    async fn entries(
        &self,
        filter: &AuditFilter,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<StoredAuditEntry>, StoreError> {
        let mut select = audit_log::Entity::find();
        if let Some(tenant) = filter.tenant {
            select = select.filter(audit_log::Column::TenantId.eq(tenant.0));
        }
        if let Some(actor) = &filter.actor {
            let pattern = format!("%{}%", like_escaped(&actor.to_lowercase()));
            select = select.filter(
                Expr::expr(Func::lower(Expr::col(audit_log::Column::Actor)))
                    .like(LikeExpr::new(pattern).escape('\\')),
            );
        }
        if let Some(action) = &filter.action {
            let pattern = format!("{}%", like_escaped(action));
            select = select.filter(
                Expr::col(audit_log::Column::Action).like(LikeExpr::new(pattern).escape('\\')),
            );
        }
        if let Some(kind) = &filter.object_kind {
            select = select.filter(audit_log::Column::ObjectKind.eq(kind.as_str()));
        }
        if let Some(id) = &filter.object_id {
            select = select.filter(audit_log::Column::ObjectId.eq(id.as_str()));
        }
        if let Some(result) = filter.result {
            select = select.filter(audit_log::Column::Result.eq(result.as_str()));
        }
        if let Some(from) = filter.from {
            select = select.filter(audit_log::Column::At.gte(from));
        }
        if let Some(until) = filter.until {
            select = select.filter(audit_log::Column::At.lt(until));
        }
        // The id breaks ties: entries of one moment keep the order they were written in.
        let rows = select
            .order_by_desc(audit_log::Column::At)
            .order_by_desc(audit_log::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(rows.into_iter().map(to_stored).collect())
    }
}

/// `text` with the wildcards of LIKE (and the escape itself) escaped by a backslash, so that
/// what someone typed is matched as typed.
fn like_escaped(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            _ => vec![c],
        })
        .collect()
}
