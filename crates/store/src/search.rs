//! The help desk's search in the database: every query names the gemeente in its own WHERE,
//! each kind of term is a lookup in an index (migration 21), and the search's audit entry is
//! written as soon as they are read, before any is returned.

use crate::audit;
use crate::database::Database;
use crate::entities::{
    accounts, email_links, product_name_words as words, product_plates, product_types, products,
};
use crate::products::COUPLING;
use async_trait::async_trait;
use parkportal_domain::StoreError;
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::ids::{ProductId, TenantId};
use parkportal_domain::search::{
    HEAD_CHARS, ProductHit, SearchQuery, SearchRepository, name_words, prefix_end, word_head,
};
use parkportal_domain::secret::ProductCode;
use sea_orm::TransactionTrait;
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, Order, Query, SelectStatement, SimpleExpr, UnionType,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Set,
};
use std::collections::HashMap;

/// Products searched in the database.
#[derive(Clone, Debug)]
pub struct SeaSearchRepository {
    db: Database,
}

impl SeaSearchRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Writes the words of `name` for product `product` of `tenant`, in the issuing transaction.
pub(crate) async fn index_name(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    product: i64,
    name: &str,
) -> Result<(), StoreError> {
    for word in name_words(name) {
        words::ActiveModel {
            tenant_id: Set(tenant.0),
            product_id: Set(product),
            head: Set(word_head(&word)),
            word: Set(word),
            ..Default::default()
        }
        .insert(txn)
        .await
        .map_err(StoreError::new)?;
    }
    Ok(())
}

/// The products of `tenant` with a name word that begins with `prefix`.
fn with_word(tenant: TenantId, prefix: &str) -> SelectStatement {
    let mut select = Query::select()
        .column(words::Column::ProductId)
        .from(words::Entity)
        .and_where(Expr::col(words::Column::TenantId).eq(tenant.0))
        .and_where(Expr::col(words::Column::Word).gte(prefix))
        .to_owned();
    if let Some(end) = prefix_end(prefix) {
        select.and_where(Expr::col(words::Column::Word).lt(end));
    }
    select
}

/// The ids of the products coupled to the account of `email` or whose coupling mail went to it
/// (not a mandatee's invitation: that is someone else's address): two index lookups, read
/// before the products, since a condition on products that joins or ORs the two makes the
/// planners walk the gemeente's products instead (PostgreSQL chose a backward scan of them all).
async fn mailed_or_owned(
    conn: &impl ConnectionTrait,
    email: &parkportal_domain::EmailAddress,
) -> Result<Vec<i64>, StoreError> {
    let owned = Query::select()
        .column(products::Column::Id)
        .from(products::Entity)
        .and_where(
            Expr::col(products::Column::OwnerId).in_subquery(
                Query::select()
                    .column(accounts::Column::Id)
                    .from(accounts::Entity)
                    .and_where(Expr::col(accounts::Column::Email).eq(email.as_str()))
                    .to_owned(),
            ),
        )
        .to_owned();
    let union = Query::select()
        .column(email_links::Column::ProductId)
        .from(email_links::Entity)
        .and_where(Expr::col(email_links::Column::Email).eq(email.as_str()))
        .and_where(Expr::col(email_links::Column::Purpose).eq(COUPLING))
        .and_where(Expr::col(email_links::Column::MandateId).is_null())
        .and_where(Expr::col(email_links::Column::ProductId).is_not_null())
        .union(UnionType::All, owned)
        .to_owned();
    conn.query_all(&union)
        .await
        .map_err(StoreError::new)?
        .iter()
        .map(|row| row.try_get_by_index::<i64>(0).map_err(StoreError::new))
        .collect()
}

/// The ids of the page (`offset`, `limit`) of the products of `tenant`, newest first, with a
/// word beginning with each of `prefixes` (distinct, as `name_words` gives them). A condition
/// per word on products made SQLite walk all the gemeente's products newest first until a page
/// was full (100 ms for a common name among a million); an INTERSECT of the words' ranges read
/// every match of each (60 ms for two common prefixes); the walk of one word's head reads
/// about a page.
async fn named(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    prefixes: &[String],
    page: (u64, u64),
) -> Result<Vec<i64>, StoreError> {
    // PostgreSQL meets two sets by hashing both whole, so there every other prefix is probed.
    let merges = conn.get_database_backend() != DbBackend::Postgres;
    let Some(mut select) =
        walked(tenant, prefixes, merges).or_else(|| intersected(tenant, prefixes))
    else {
        return Ok(Vec::new());
    };
    select.limit(page.1).offset(page.0);
    conn.query_all(&select)
        .await
        .map_err(StoreError::new)?
        .iter()
        .map(|row| row.try_get_by_index::<i64>(0).map_err(StoreError::new))
        .collect()
}

/// The products of `tenant` with a word beginning with each of `prefixes`, newest first, as
/// walks of the index of heads (migration 25), each in product order: one walk per prefix as
/// long as a head, met by an INTERSECT that SQLite merges as it goes (`merges`), so the
/// database stops at a full page, and the shorter prefixes probed in each product's own words
/// on the way. Without `merges` (PostgreSQL, whose INTERSECT reads both sets whole) the longest
/// prefix is walked and every other probed. `None` when no prefix is as long as a head.
fn walked(tenant: TenantId, prefixes: &[String], merges: bool) -> Option<SelectStatement> {
    let (mut long, mut short): (Vec<&String>, Vec<&String>) = prefixes
        .iter()
        .partition(|p| p.chars().count() >= HEAD_CHARS);
    if !merges && long.len() > 1 {
        // The longest first: the likeliest to be the rarest, so the shortest walk.
        long.sort_by_key(|p| std::cmp::Reverse(p.chars().count()));
        short.extend(long.drain(1..));
    }
    let walk = |prefix: &str| {
        let w = Alias::new("w");
        Query::select()
            .column((w.clone(), words::Column::ProductId))
            .from_as(words::Entity, w.clone())
            .and_where(Expr::col((w.clone(), words::Column::TenantId)).eq(tenant.0))
            .and_where(Expr::col((w.clone(), words::Column::Head)).eq(word_head(prefix)))
            .and_where(if merges {
                // SQLite: the unary plus keeps the index of words out of the choice, which
                // its planner took for some prefixes and then read and sorted every match
                // (25-140 ms under 8 searches at once); the head's index reads in order.
                unindexed_range(r#""w"."word""#, prefix)
            } else {
                in_range((w, words::Column::Word), prefix)
            })
            .to_owned()
    };
    let mut long = long.into_iter();
    let mut select = walk(long.next()?);
    for prefix in short {
        let x = Alias::new("x");
        select.and_where(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from_as(words::Entity, x.clone())
                .and_where(
                    Expr::col((x.clone(), words::Column::ProductId))
                        .equals((Alias::new("w"), words::Column::ProductId)),
                )
                .and_where(in_range((x, words::Column::Word), prefix))
                .to_owned(),
        ));
    }
    let mut others = long.peekable();
    if others.peek().is_none() {
        // A name's words are distinct, but one prefix may begin two of them.
        select.distinct();
    }
    for prefix in others {
        select.union(UnionType::Intersect, walk(prefix));
    }
    select.order_by(words::Column::ProductId, Order::Desc);
    Some(select)
}

/// `column` (quoted SQL) begins with `prefix`, as a range that SQLite's planner uses no index
/// of `column` for (`+column`): what it walks is chosen by the other conditions.
fn unindexed_range(column: &str, prefix: &str) -> SimpleExpr {
    let from = Expr::cust_with_values(format!("+{column} >= ?"), [prefix]);
    match prefix_end(prefix) {
        Some(end) => from.and(Expr::cust_with_values(format!("+{column} < ?"), [end])),
        None => from,
    }
}

/// `column` begins with `prefix`: a range, so that an index on it serves.
fn in_range(column: (Alias, words::Column), prefix: &str) -> SimpleExpr {
    let from = Expr::col(column.clone()).gte(prefix);
    match prefix_end(prefix) {
        Some(end) => from.and(Expr::col(column).lt(end)),
        None => from,
    }
}

/// The same as an INTERSECT of the index ranges of the words, sorted and cut: for prefixes
/// shorter than a head, whose words are not together in the index of heads.
fn intersected(tenant: TenantId, prefixes: &[String]) -> Option<SelectStatement> {
    let mut words = prefixes.iter().map(|p| with_word(tenant, p));
    let mut select = words.next()?;
    for other in words {
        select.union(UnionType::Intersect, other);
    }
    // A name's words are distinct in the index, but one prefix may match two of them.
    if prefixes.len() == 1 {
        select.distinct();
    }
    select.order_by(words::Column::ProductId, Order::Desc);
    Some(select)
}

/// `select` narrowed to what `query` finds.
fn narrowed(select: Select<products::Entity>, query: &SearchQuery) -> Select<products::Entity> {
    use products::Column as P;
    match query {
        SearchQuery::Code(code) => select.filter(P::Code.eq(code.as_str())),
        SearchQuery::Postcode(postcode) => select.filter(P::HolderPostcode.eq(postcode.as_str())),
        SearchQuery::Plate(plate) => select.filter(
            P::Id.in_subquery(
                Query::select()
                    .column(product_plates::Column::ProductId)
                    .from(product_plates::Entity)
                    .and_where(Expr::col(product_plates::Column::Plate).eq(plate.as_str()))
                    .to_owned(),
            ),
        ),
        // Looked up first, in `search`: see `mailed_or_owned`.
        SearchQuery::Email(_) => select,
        // Looked up first, in `search`: see `named`.
        SearchQuery::Name(_) => select,
    }
}

#[async_trait]
impl SearchRepository for SeaSearchRepository {
    async fn search(
        &self,
        tenant: TenantId,
        query: &SearchQuery,
        (offset, limit): (u64, u64),
        audit: &AuditEntry,
    ) -> Result<Vec<ProductHit>, StoreError> {
        // Read in a read transaction (one snapshot; on SQLite beside the other readers, not
        // behind the one writer), then the entry naming what was read in a short write of its
        // own: nothing is returned unless that entry is stored.
        let txn = self
            .db
            .connection()
            .begin()
            .await
            .map_err(StoreError::new)?;
        let mut select = products::Entity::find().filter(products::Column::TenantId.eq(tenant.0));
        let mut page = (offset, limit);
        match query {
            SearchQuery::Email(email) => {
                select =
                    select.filter(products::Column::Id.is_in(mailed_or_owned(&txn, email).await?));
            }
            SearchQuery::Name(prefixes) => {
                // The page is cut among the words already.
                let ids = named(&txn, tenant, prefixes, page).await?;
                select = select.filter(products::Column::Id.is_in(ids));
                page = (0, limit);
            }
            _ => {}
        }
        let found = narrowed(select, query)
            .order_by_desc(products::Column::Id)
            .offset(page.0)
            .limit(page.1)
            .all(&txn)
            .await
            .map_err(StoreError::new)?;
        let types: HashMap<i64, String> = product_types::Entity::find()
            .filter(product_types::Column::TenantId.eq(tenant.0))
            .all(&txn)
            .await
            .map_err(StoreError::new)?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
        txn.commit().await.map_err(StoreError::new)?;
        let ids: Vec<String> = found.iter().map(|p| p.id.to_string()).collect();
        let (_gate, write) = self.db.begin_write().await?;
        audit::write(&write, &audit.clone().about("product", ids.join(","))).await?;
        write.commit().await.map_err(StoreError::new)?;
        found
            .into_iter()
            .map(|p| {
                Ok(ProductHit {
                    id: ProductId(p.id),
                    code: ProductCode::parse(&p.code).map_err(StoreError::new)?,
                    product_type: types.get(&p.product_type_id).cloned().unwrap_or_default(),
                    holder_name: p.holder_name,
                    holder_postcode: p.holder_postcode,
                    holder_city: p.holder_city,
                    status: p.status,
                    valid_until: p.valid_until,
                    coupled: p.owner_id.is_some(),
                })
            })
            .collect()
    }
}
