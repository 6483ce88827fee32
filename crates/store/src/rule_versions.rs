//! The versions of a product type's rule script or tariff as the rules console reads and
//! writes them (#23), with who made each, when and why.

use crate::audit;
use crate::database::Database;
use crate::rules::{NewVersion, SourceTable, VERSION_COLUMNS, insert_version};
use chrono::{DateTime, Utc};
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::rule_schedule::at_once;
use parkportal_domain::rules_console::{RuleChange, RuleKind, RuleSaved, RuleVersion};
use parkportal_domain::{Code, StoreError, TenantId};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, QueryResult};

/// The table `kind` is kept in.
fn table_of(kind: RuleKind) -> SourceTable {
    match kind {
        RuleKind::Script => SourceTable::Scripts,
        RuleKind::Tariff => SourceTable::Tariffs,
    }
}

/// The versions of `code` of `tenant` in `kind`'s table, newest first.
fn select(tenant: TenantId, code: &Code, kind: RuleKind) -> SelectStatement {
    let col = |name: &str| Expr::col(Alias::new(name));
    Query::select()
        .columns(VERSION_COLUMNS.map(Alias::new))
        .from(table_of(kind).name())
        .and_where(col("tenant_id").eq(tenant.0))
        .and_where(col("product_type").eq(code.as_str()))
        .order_by(Alias::new("version"), Order::Desc)
        .to_owned()
}

fn version_of(row: &QueryResult) -> Result<RuleVersion, StoreError> {
    Ok(RuleVersion {
        version: row.try_get("", "version").map_err(StoreError::new)?,
        source: row.try_get("", "source").map_err(StoreError::new)?,
        author: row.try_get("", "author").map_err(StoreError::new)?,
        comment: row.try_get("", "comment").map_err(StoreError::new)?,
        created_at: row
            .try_get::<Option<DateTime<Utc>>>("", "created_at")
            .map_err(StoreError::new)?,
        effective_from: row
            .try_get::<Option<DateTime<Utc>>>("", "effective_from")
            .map_err(StoreError::new)?,
    })
}

/// The versions of `kind` of `tenant`'s product type `code`, newest first.
pub(crate) async fn list(
    db: &Database,
    tenant: TenantId,
    code: &Code,
    kind: RuleKind,
) -> Result<Vec<RuleVersion>, StoreError> {
    db.connection()
        .query_all(&select(tenant, code, kind))
        .await
        .map_err(StoreError::new)?
        .iter()
        .map(version_of)
        .collect()
}

/// Stores `change` as the next version, unless it equals the version in force when it would
/// take effect, with `audit` (its reason the versions before and after, and when the new one
/// takes effect if later) and the gemeente's configuration version moved on, so every instance
/// reads its rules again: one transaction. The gemeente's row is updated first, so
/// that two saves of one gemeente on PostgreSQL take turns (SQLite has one writer anyway).
pub(crate) async fn save(
    db: &Database,
    tenant: TenantId,
    (code, kind): (&Code, RuleKind),
    change: &RuleChange,
    audit: &AuditEntry,
) -> Result<RuleSaved, StoreError> {
    let (_gate, txn) = db.begin_write().await?;
    let bump = Query::update()
        .table(Alias::new("tenants"))
        .value(
            Alias::new("version"),
            Expr::col(Alias::new("version")).add(1),
        )
        .and_where(Expr::col(Alias::new("id")).eq(tenant.0))
        .to_owned();
    let bumped = txn.execute(&bump).await.map_err(StoreError::new)?;
    if bumped.rows_affected() != 1 {
        return Err(StoreError::new(format!("no gemeente {}", tenant.0)));
    }
    let all = txn
        .query_all(&select(tenant, code, kind))
        .await
        .map_err(StoreError::new)?
        .iter()
        .map(version_of)
        .collect::<Result<Vec<_>, _>>()?;
    // At once means after every version stored for at once before it, whatever this
    // instance's clock says.
    let from = match change.effective_from {
        Some(from) => from,
        None => at_once(
            change.at,
            all.iter().map(|v| (v.effective_from, v.created_at)),
        ),
    };
    let (number, same) = match RuleVersion::in_force(&all, from) {
        Some(v) => (v.version, v.source == change.source),
        // None in force then: an empty draft is what is (the defaults).
        None => (0, change.source.is_empty()),
    };
    if same {
        // Dropped unsaved: the configuration version stays where it was.
        return Ok(RuleSaved::Unchanged(number));
    }
    let after = all.first().map_or(0, |v| v.version) + 1;
    let row = NewVersion {
        source: &change.source,
        author: Some(&change.author),
        comment: Some(&change.comment),
        // A version for at once is made when it takes effect (so it reads as one for at once).
        created_at: if change.effective_from.is_some() {
            change.at
        } else {
            from
        },
        effective_from: from,
    };
    insert_version(&txn, (tenant.0, table_of(kind)), (code, after), &row).await?;
    let mut entry = audit.clone();
    entry.tenant = Some(tenant);
    entry.reason = Some(match change.effective_from {
        Some(from) => format!("{number} → {after} from {}", from.to_rfc3339()),
        None => format!("{number} → {after}"),
    });
    audit::write(&txn, &entry).await?;
    txn.commit().await.map_err(StoreError::new)?;
    Ok(RuleSaved::Stored {
        before: number,
        after,
    })
}
