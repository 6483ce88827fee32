//! The dashboard's figures as aggregates in the database: each a COUNT or SUM with the gemeente
//! in its WHERE clause, so that no row is loaded to be counted.
//!
//! Sessions and ledger entries have no gemeente of their own: they are narrowed to the
//! gemeente's products by a subquery on `products_tenant`, and each then reads a short range of
//! its product's index (`parking_sessions_product_end`, `ledger_entries_product_time`). The rule
//! errors read `rule_errors_tenant_time`.

use crate::database::Database;
use crate::entities::{
    applications, ledger_entries, parking_sessions, payments, products, rule_errors,
};
use async_trait::async_trait;
use parkportal_domain::dashboard::{
    DashboardFigures, DashboardRepository, DashboardWindow, ErrorFilter, ErrorPeriod, euros,
};
use parkportal_domain::history::EntryKind;
use parkportal_domain::rules_console::RuleKind;
use parkportal_domain::{RuleErrorEntry, StoreError, TenantId};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// The dashboard's repository on a database.
#[derive(Clone)]
pub struct SeaDashboardRepository {
    db: Database,
}

impl SeaDashboardRepository {
    /// On `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// The ids of the products of `tenant`.
fn products_of(tenant: TenantId) -> SelectStatement {
    Query::select()
        .column(products::Column::Id)
        .from(products::Entity)
        .and_where(Expr::col(products::Column::TenantId).eq(tenant.0))
        .to_owned()
}

/// A count as stored, never below zero.
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[async_trait]
impl DashboardRepository for SeaDashboardRepository {
    async fn figures(
        &self,
        tenant: TenantId,
        window: &DashboardWindow,
    ) -> Result<DashboardFigures, StoreError> {
        let conn = self.db.connection();
        // `.all()` rather than `.one()`: a bound LIMIT makes SQLite prepare the statement again
        // at every use; an aggregate has one row anyway.
        let held: Vec<(i64, i64)> = products::Entity::find()
            .select_only()
            .column_as(products::Column::Id.count(), "n")
            // Products nobody has coupled yet have no owner, and COUNT(DISTINCT) skips NULL.
            .column_as(Expr::cust("COUNT(DISTINCT owner_id)"), "owners")
            .filter(products::Column::TenantId.eq(tenant.0))
            .filter(products::Column::Status.eq("active"))
            .filter(products::Column::ValidUntil.gt(window.now))
            .into_tuple()
            .all(conn)
            .await
            .map_err(StoreError::new)?;
        let (products, residents) = held.first().copied().unwrap_or_default();

        use parking_sessions::Column as S;
        let sessions: Vec<i64> = parking_sessions::Entity::find()
            .select_only()
            .column_as(S::Id.count(), "n")
            .filter(S::ProductId.in_subquery(products_of(tenant)))
            // A session started today has not ended before today began: this bounds the read
            // of each product's (product_id, end_at) index to its recent sessions.
            .filter(S::EndAt.gt(window.day_start))
            .filter(S::StartAt.gte(window.day_start))
            .filter(S::StartAt.lt(window.day_end))
            .filter(S::StartAt.lte(window.now))
            .filter(S::DeletedAt.is_null())
            .into_tuple()
            .all(conn)
            .await
            .map_err(StoreError::new)?;

        // A payment is credited the moment it is paid, by a top-up entry in the ledger that
        // names the provider's id: today's entries are a short range of each product's
        // (product_id, created_at) index, and each finds its payment by that id.
        let (l, p) = (Alias::new("l"), Alias::new("p"));
        let col = |t: &Alias, c: &str| Expr::col((t.clone(), Alias::new(c)));
        let paid = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            // A sum is numeric on PostgreSQL: cast back to a bigint both read as i64.
            .expr_as(
                Expr::cust("CAST(COALESCE(SUM(p.price_cents), 0) AS BIGINT)"),
                Alias::new("cents"),
            )
            .from_as(ledger_entries::Entity, l.clone())
            .join_as(
                JoinType::InnerJoin,
                payments::Entity,
                p.clone(),
                col(&p, "provider_ref")
                    .equals((l.clone(), Alias::new("reference")))
                    .and(col(&p, "product_id").equals((l.clone(), Alias::new("product_id")))),
            )
            .and_where(col(&l, "product_id").in_subquery(products_of(tenant)))
            .and_where(col(&l, "kind").eq(EntryKind::TopUp.as_str()))
            .and_where(col(&l, "created_at").gte(window.day_start))
            .and_where(col(&l, "created_at").lt(window.day_end))
            // No condition on the payment's status: only paying it posts the entry (and paid
            // never changes again), and one would lead SQLite to read every paid payment first.
            .to_owned();
        let row = conn.query_one(&paid).await.map_err(StoreError::new)?;
        let (top_ups, cents): (i64, i64) = match row {
            Some(r) => (
                r.try_get("", "n").map_err(StoreError::new)?,
                r.try_get("", "cents").map_err(StoreError::new)?,
            ),
            None => (0, 0),
        };

        use rule_errors::Column as R;
        let errors: Vec<i64> = rule_errors::Entity::find()
            .select_only()
            .column_as(R::Id.count(), "n")
            .filter(R::TenantId.eq(tenant.0))
            .filter(R::OccurredAt.gte(window.errors_since))
            .into_tuple()
            .all(conn)
            .await
            .map_err(StoreError::new)?;

        // The queue's index (tenant, status, created_at) answers this.
        let open: Vec<i64> = applications::Entity::find()
            .select_only()
            .column_as(applications::Column::Id.count(), "n")
            .filter(applications::Column::TenantId.eq(tenant.0))
            .filter(applications::Column::Status.is_in(["received", "in_review", "info_needed"]))
            .into_tuple()
            .all(conn)
            .await
            .map_err(StoreError::new)?;

        Ok(DashboardFigures {
            open_applications: count(open.first().copied().unwrap_or(0)),
            products: count(products),
            residents: count(residents),
            sessions_today: count(sessions.first().copied().unwrap_or(0)),
            top_ups_today: count(top_ups),
            top_ups_total: euros(cents),
            rule_errors: count(errors.first().copied().unwrap_or(0)),
        })
    }

    async fn rule_errors(
        &self,
        tenant: TenantId,
        (period, filter): (&ErrorPeriod, &ErrorFilter),
        limit: u64,
        offset: u64,
    ) -> Result<Vec<RuleErrorEntry>, StoreError> {
        use rule_errors::Column as R;
        let mut select = rule_errors::Entity::find().filter(R::TenantId.eq(tenant.0));
        if let Some(hook) = &filter.hook {
            select = select.filter(R::Function.eq(hook.as_str()));
        }
        if let Some(product_type) = &filter.product_type {
            // A script's errors are recorded under its file's name.
            select = select.filter(R::Script.eq(RuleKind::Script.file_name(product_type)));
        }
        if let Some(version) = filter.version {
            select = select.filter(R::ScriptVersion.eq(version));
        }
        if let Some(from) = period.from {
            select = select.filter(R::OccurredAt.gte(from));
        }
        if let Some(until) = period.until {
            select = select.filter(R::OccurredAt.lt(until));
        }
        // The id breaks ties: errors of one moment keep the order they were recorded in.
        let rows = select
            .order_by_desc(R::OccurredAt)
            .order_by_desc(R::Id)
            .limit(limit)
            .offset(offset)
            .all(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(rows
            .into_iter()
            .map(|r| crate::rules::rule_error_of(tenant, r))
            .collect())
    }
}
