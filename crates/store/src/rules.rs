//! Rule scripts and tariffs, versioned per product type, and the rule-error table.

use crate::database::Database;
use crate::entities::rule_errors;
use async_trait::async_trait;
use parkportal_domain::{
    Code, ProductTypeSpec, RuleErrorEntry, RuleRepository, RuleSourceVersion, RuleSources,
    StoreError, TenantId,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement,
};
use std::collections::BTreeMap;

/// The two versioned tables, which share their shape.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SourceTable {
    /// `rule_scripts`
    Scripts,
    /// `tariffs`
    Tariffs,
}

impl SourceTable {
    fn table_name(self) -> &'static str {
        match self {
            SourceTable::Scripts => "rule_scripts",
            SourceTable::Tariffs => "tariffs",
        }
    }

    pub(crate) fn name(self) -> Alias {
        Alias::new(self.table_name())
    }
}

/// Every version row of a gemeente's table, oldest first.
async fn versions<C: ConnectionTrait>(
    conn: &C,
    tenant: i64,
    table: SourceTable,
) -> Result<Vec<(String, i64, String)>, StoreError> {
    let query = Query::select()
        .columns([
            Alias::new("product_type"),
            Alias::new("version"),
            Alias::new("source"),
        ])
        .from(table.name())
        .and_where(Expr::col(Alias::new("tenant_id")).eq(tenant))
        .order_by(Alias::new("version"), Order::Asc)
        .to_owned();
    let rows = conn.query_all(&query).await.map_err(StoreError::new)?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String>("", "product_type")
                    .map_err(StoreError::new)?,
                r.try_get::<i64>("", "version").map_err(StoreError::new)?,
                r.try_get::<String>("", "source").map_err(StoreError::new)?,
            ))
        })
        .collect()
}

/// The latest version per product type, without the ones whose latest version removed them.
/// Only the newest rows are read, however many versions have been stored.
async fn latest<C: ConnectionTrait>(
    conn: &C,
    tenant: i64,
    table: SourceTable,
) -> Result<Vec<RuleSourceVersion>, StoreError> {
    let name = table.table_name();
    // `tenant` is an integer and `name` a constant: nothing from outside is spliced into the SQL.
    let sql = format!(
        "SELECT t.product_type, t.version, t.source FROM {name} t WHERE t.tenant_id = {tenant} AND t.version = \
         (SELECT MAX(v.version) FROM {name} v WHERE v.tenant_id = t.tenant_id AND v.product_type = t.product_type) \
         ORDER BY t.product_type"
    );
    let rows = conn
        .query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .map_err(StoreError::new)?;
    let mut found = Vec::new();
    for r in rows {
        let source: String = r.try_get("", "source").map_err(StoreError::new)?;
        if source.is_empty() {
            continue;
        }
        let pt: String = r.try_get("", "product_type").map_err(StoreError::new)?;
        let product_type =
            Code::parse(&pt).map_err(|e| StoreError::new(format!("stored product type: {e}")))?;
        found.push(RuleSourceVersion {
            product_type,
            version: r.try_get("", "version").map_err(StoreError::new)?,
            source,
        });
    }
    Ok(found)
}

/// The current sources by product type, for `tenants export`.
pub(crate) async fn current_sources<C: ConnectionTrait>(
    conn: &C,
    tenant: i64,
    table: SourceTable,
) -> Result<BTreeMap<Code, String>, StoreError> {
    Ok(latest(conn, tenant, table)
        .await?
        .into_iter()
        .map(|v| (v.product_type, v.source))
        .collect())
}

/// Adds a version for every product type whose source changed, and a removing (empty) version
/// for every product type whose source is gone. Unchanged sources keep their version, so
/// importing the same folder twice changes nothing.
pub(crate) async fn save_versions<C: ConnectionTrait>(
    conn: &C,
    tenant: i64,
    table: SourceTable,
    sources: &BTreeMap<Code, String>,
    product_types: &[ProductTypeSpec],
) -> Result<(), StoreError> {
    let mut current: BTreeMap<String, (i64, String)> = BTreeMap::new();
    for (product_type, version, source) in versions(conn, tenant, table).await? {
        current.insert(product_type, (version, source));
    }
    for pt in product_types {
        let wanted = sources.get(&pt.code).cloned().unwrap_or_default();
        let (version, stored) = current
            .get(pt.code.as_str())
            .cloned()
            .unwrap_or((0, String::new()));
        if wanted == stored {
            continue;
        }
        let insert = Query::insert()
            .into_table(table.name())
            .columns([
                Alias::new("tenant_id"),
                Alias::new("product_type"),
                Alias::new("version"),
                Alias::new("source"),
            ])
            .values([
                tenant.into(),
                pt.code.as_str().into(),
                (version + 1).into(),
                wanted.into(),
            ])
            .map_err(StoreError::new)?
            .to_owned();
        conn.execute(&insert).await.map_err(StoreError::new)?;
    }
    Ok(())
}

/// Rule sources and errors in the database.
#[derive(Clone, Debug)]
pub struct SeaRuleRepository {
    db: Database,
}

impl SeaRuleRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl RuleRepository for SeaRuleRepository {
    async fn sources(&self, tenant: TenantId) -> Result<RuleSources, StoreError> {
        let conn = self.db.connection();
        Ok(RuleSources {
            scripts: latest(conn, tenant.0, SourceTable::Scripts).await?,
            tariffs: latest(conn, tenant.0, SourceTable::Tariffs).await?,
        })
    }

    async fn source_at(
        &self,
        tenant: TenantId,
        product_type: &Code,
        tariff: bool,
        version: i64,
    ) -> Result<Option<String>, StoreError> {
        if version <= 0 {
            return Ok(None);
        }
        let table = if tariff {
            SourceTable::Tariffs
        } else {
            SourceTable::Scripts
        };
        let query = Query::select()
            .column(Alias::new("source"))
            .from(table.name())
            .and_where(Expr::col(Alias::new("tenant_id")).eq(tenant.0))
            .and_where(Expr::col(Alias::new("product_type")).eq(product_type.as_str()))
            .and_where(Expr::col(Alias::new("version")).eq(version))
            .to_owned();
        let row = self
            .db
            .connection()
            .query_one(&query)
            .await
            .map_err(StoreError::new)?;
        let source = row
            .map(|r| r.try_get::<String>("", "source"))
            .transpose()
            .map_err(StoreError::new)?;
        Ok(source.filter(|s| !s.is_empty()))
    }

    async fn record_error(&self, entry: RuleErrorEntry) -> Result<(), StoreError> {
        // Messages come from scripts' errors; keep the table readable whatever a script does.
        let message: String = entry.message.chars().take(2000).collect();
        let script: String = entry.script.chars().take(100).collect();
        let function: String = entry.function.chars().take(64).collect();
        rule_errors::ActiveModel {
            tenant_id: Set(entry.tenant.0),
            script: Set(script),
            script_version: Set(entry.script_version),
            function: Set(function),
            message: Set(message),
            occurred_at: Set(entry.at),
            ..Default::default()
        }
        .insert(self.db.connection())
        .await
        .map_err(StoreError::new)?;
        Ok(())
    }

    async fn errors(
        &self,
        tenant: TenantId,
        limit: u64,
    ) -> Result<Vec<RuleErrorEntry>, StoreError> {
        let rows = rule_errors::Entity::find()
            .filter(rule_errors::Column::TenantId.eq(tenant.0))
            .order_by_desc(rule_errors::Column::OccurredAt)
            .order_by_desc(rule_errors::Column::Id)
            .limit(limit)
            .all(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(rows.into_iter().map(|r| rule_error_of(tenant, r)).collect())
    }
}

/// A stored rule error of `tenant` as the domain's entry.
pub(crate) fn rule_error_of(tenant: TenantId, r: rule_errors::Model) -> RuleErrorEntry {
    RuleErrorEntry {
        tenant,
        script: r.script,
        script_version: r.script_version,
        function: r.function,
        message: r.message,
        at: r.occurred_at,
    }
}
