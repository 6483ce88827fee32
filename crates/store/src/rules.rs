//! Rule scripts and tariffs, versioned per product type, and the rule-error table.

use crate::database::Database;
use crate::entities::rule_errors;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::rule_schedule::{at_once, in_force_at};
use parkportal_domain::rules_console::RuleKind;
use parkportal_domain::{
    Code, ProductTypeSpec, RuleErrorEntry, RuleRepository, RuleSourceVersion, RuleSources,
    RulesStamp, StoreError, TenantId,
};
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
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

    /// What the table keeps.
    fn kind(self) -> RuleKind {
        match self {
            SourceTable::Scripts => RuleKind::Script,
            SourceTable::Tariffs => RuleKind::Tariff,
        }
    }
}

/// Where each version of a gemeente's table stands: product type, number and the moment it
/// takes effect, without the sources (which may be long).
async fn places<C: ConnectionTrait>(
    conn: &C,
    tenant: i64,
    table: SourceTable,
) -> Result<Vec<RuleSourceVersion>, StoreError> {
    let query = Query::select()
        .columns(["product_type", "version", "effective_from"].map(Alias::new))
        .from(table.name())
        .and_where(Expr::col(Alias::new("tenant_id")).eq(tenant))
        .order_by(Alias::new("version"), Order::Asc)
        .to_owned();
    let rows = conn.query_all(&query).await.map_err(StoreError::new)?;
    rows.iter()
        .map(|r| {
            let pt: String = r.try_get("", "product_type").map_err(StoreError::new)?;
            Ok(RuleSourceVersion {
                product_type: Code::parse(&pt)
                    .map_err(|e| StoreError::new(format!("stored product type: {e}")))?,
                version: r.try_get("", "version").map_err(StoreError::new)?,
                source: String::new(),
                effective_from: r
                    .try_get::<Option<DateTime<Utc>>>("", "effective_from")
                    .map_err(StoreError::new)?,
            })
        })
        .collect()
}

/// Of `places`, per product type, the version in force `at` and, when `later`, every version
/// taking effect after `at`.
fn from_on(
    places: Vec<RuleSourceVersion>,
    at: DateTime<Utc>,
    later: bool,
) -> Vec<RuleSourceVersion> {
    let mut by_type: BTreeMap<Code, Vec<RuleSourceVersion>> = BTreeMap::new();
    for place in places {
        by_type
            .entry(place.product_type.clone())
            .or_default()
            .push(place);
    }
    let mut kept = Vec::new();
    for versions in by_type.values() {
        if let Some(current) = in_force_at(versions, at, RuleSourceVersion::take_over) {
            kept.push(current.clone());
        }
        if later {
            kept.extend(
                versions
                    .iter()
                    .filter(|v| v.effective_from.is_some_and(|from| from > at))
                    .cloned(),
            );
        }
    }
    kept
}

/// `wanted` with their sources read.
async fn with_sources<C: ConnectionTrait>(
    conn: &C,
    tenant: i64,
    table: SourceTable,
    mut wanted: Vec<RuleSourceVersion>,
) -> Result<Vec<RuleSourceVersion>, StoreError> {
    if wanted.is_empty() {
        return Ok(wanted);
    }
    let col = |name: &str| Expr::col(Alias::new(name));
    let any = wanted.iter().fold(Cond::any(), |any, v| {
        any.add(
            col("product_type")
                .eq(v.product_type.as_str())
                .and(col("version").eq(v.version)),
        )
    });
    let query = Query::select()
        .columns(["product_type", "version", "source"].map(Alias::new))
        .from(table.name())
        .and_where(col("tenant_id").eq(tenant))
        .cond_where(any)
        .to_owned();
    let rows = conn.query_all(&query).await.map_err(StoreError::new)?;
    let mut sources: BTreeMap<(String, i64), String> = BTreeMap::new();
    for r in rows {
        sources.insert(
            (
                r.try_get("", "product_type").map_err(StoreError::new)?,
                r.try_get("", "version").map_err(StoreError::new)?,
            ),
            r.try_get("", "source").map_err(StoreError::new)?,
        );
    }
    for v in &mut wanted {
        v.source = sources
            .remove(&(v.product_type.to_string(), v.version))
            .ok_or_else(|| StoreError::new(format!("version {} vanished", v.version)))?;
    }
    Ok(wanted)
}

/// Per product type the version in force `at` and, when `later`, every version scheduled
/// after it, with their sources.
async fn sources_from<C: ConnectionTrait>(
    conn: &C,
    tenant: i64,
    table: SourceTable,
    (at, later): (DateTime<Utc>, bool),
) -> Result<Vec<RuleSourceVersion>, StoreError> {
    let wanted = from_on(places(conn, tenant, table).await?, at, later);
    with_sources(conn, tenant, table, wanted).await
}

/// The sources in force `at` by product type (none where the one in force removed it), for
/// `tenants export`.
pub(crate) async fn current_sources<C: ConnectionTrait>(
    conn: &C,
    tenant: i64,
    table: SourceTable,
    at: DateTime<Utc>,
) -> Result<BTreeMap<Code, String>, StoreError> {
    Ok(sources_from(conn, tenant, table, (at, false))
        .await?
        .into_iter()
        .filter(|v| !v.source.is_empty())
        .map(|v| (v.product_type, v.source))
        .collect())
}

/// When each version of a gemeente's table takes effect and when it was made.
async fn moments<C: ConnectionTrait>(
    conn: &C,
    tenant: i64,
    table: SourceTable,
) -> Result<Vec<(Option<DateTime<Utc>>, Option<DateTime<Utc>>)>, StoreError> {
    let query = Query::select()
        .columns(["effective_from", "created_at"].map(Alias::new))
        .from(table.name())
        .and_where(Expr::col(Alias::new("tenant_id")).eq(tenant))
        .to_owned();
    let rows = conn.query_all(&query).await.map_err(StoreError::new)?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("", "effective_from").map_err(StoreError::new)?,
                r.try_get("", "created_at").map_err(StoreError::new)?,
            ))
        })
        .collect()
}

/// Adds a version for every product type whose source differs from the one in force when
/// `stamp`'s versions take effect, and a removing (empty) version for every product type whose
/// source is gone. Unchanged sources make no version, so importing the same folder twice
/// changes nothing; and a scheduled import leaves a source that equals the one in force now
/// alone (a bundle read now and put back with a moment must not undo a version pending
/// before that moment). What it added, as the audit trail names it: `rules/x.rhai 1 → 2`.
pub(crate) async fn save_versions<C: ConnectionTrait>(
    conn: &C,
    tenant: i64,
    table: SourceTable,
    sources: &BTreeMap<Code, String>,
    (product_types, stamp): (&[ProductTypeSpec], &RulesStamp),
) -> Result<Vec<String>, StoreError> {
    let all = places(conn, tenant, table).await?;
    let mut newest: BTreeMap<Code, i64> = BTreeMap::new();
    for v in &all {
        let n = newest.entry(v.product_type.clone()).or_default();
        *n = Ord::max(*n, v.version);
    }
    let then = match stamp.effective_from {
        Some(from) => from,
        None => at_once(stamp.at, moments(conn, tenant, table).await?),
    };
    let in_force = |at| {
        let wanted = from_on(all.clone(), at, false);
        async move {
            Ok::<_, StoreError>(
                with_sources(conn, tenant, table, wanted)
                    .await?
                    .into_iter()
                    .map(|v| (v.product_type, (v.version, v.source)))
                    .collect::<BTreeMap<Code, (i64, String)>>(),
            )
        }
    };
    let current = in_force(then).await?;
    let now = match stamp.effective_from {
        Some(_) => in_force(stamp.at).await?,
        None => current.clone(),
    };
    let mut added = Vec::new();
    for pt in product_types {
        let wanted = sources.get(&pt.code).cloned().unwrap_or_default();
        let (before, stored) = current.get(&pt.code).cloned().unwrap_or_default();
        let served = now
            .get(&pt.code)
            .map(|(_, s)| s.clone())
            .unwrap_or_default();
        if stored == wanted || served == wanted {
            continue;
        }
        let version = newest.get(&pt.code).copied().unwrap_or_default() + 1;
        let row = NewVersion {
            source: &wanted,
            author: stamp.author.as_deref(),
            comment: stamp.comment.as_deref(),
            // A version for at once is made when it takes effect (so it reads as one for at once).
            created_at: if stamp.effective_from.is_some() {
                stamp.at
            } else {
                then
            },
            effective_from: then,
        };
        insert_version(conn, (tenant, table), (&pt.code, version), &row).await?;
        let file = table.kind().file_name(&pt.code);
        added.push(match stamp.effective_from {
            Some(from) => format!("{file} {before} → {version} from {}", from.to_rfc3339()),
            None => format!("{file} {before} → {version}"),
        });
    }
    Ok(added)
}

/// What a version row holds besides its gemeente and product type, as read and written.
pub(crate) const VERSION_COLUMNS: [&str; 6] = [
    "version",
    "source",
    "author",
    "comment",
    "created_at",
    "effective_from",
];

/// A version row to add.
pub(crate) struct NewVersion<'a> {
    /// Its source (empty: it removes the script or tariff).
    pub source: &'a str,
    /// Who made it (`None`: an import).
    pub author: Option<&'a str>,
    /// Why (`None`: an import).
    pub comment: Option<&'a str>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it takes effect.
    pub effective_from: DateTime<Utc>,
}

/// Adds `row` as version `version` of `code` of gemeente `tenant` in `table`.
pub(crate) async fn insert_version<C: ConnectionTrait>(
    conn: &C,
    (tenant, table): (i64, SourceTable),
    (code, version): (&Code, i64),
    row: &NewVersion<'_>,
) -> Result<(), StoreError> {
    let insert = Query::insert()
        .into_table(table.name())
        .columns(
            ["tenant_id", "product_type"]
                .into_iter()
                .chain(VERSION_COLUMNS)
                .map(Alias::new),
        )
        .values([
            tenant.into(),
            code.as_str().into(),
            version.into(),
            row.source.into(),
            row.author.map(str::to_owned).into(),
            row.comment.map(str::to_owned).into(),
            row.created_at.into(),
            row.effective_from.into(),
        ])
        .map_err(StoreError::new)?
        .to_owned();
    conn.execute(&insert).await.map_err(StoreError::new)?;
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
    async fn sources(
        &self,
        tenant: TenantId,
        at: DateTime<Utc>,
    ) -> Result<RuleSources, StoreError> {
        let conn = self.db.connection();
        Ok(RuleSources {
            scripts: sources_from(conn, tenant.0, SourceTable::Scripts, (at, true)).await?,
            tariffs: sources_from(conn, tenant.0, SourceTable::Tariffs, (at, true)).await?,
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
