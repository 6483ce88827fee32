//! The product repository: products, their plates and coupling links, and the mails about them.

mod desk;

use crate::accounts::to_account;
use crate::audit;
use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::{
    accounts, email_links, mandates, product_letters, product_plates, product_types, products,
    tenants, zones,
};
use crate::ledger::post;
use crate::outbox::enqueue_on;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::coupling::{
    CoupleOutcome, DeskOutcome, IssueOutcome, IssueWith, KeptLetter, LinkRecord, NewLink,
    NewProduct, PinChange, ProductSummary, StaffProductView,
};
use parkportal_domain::ledger::LedgerPosting;
use parkportal_domain::mail::OutgoingMail;
use parkportal_domain::plate::Plate;
use parkportal_domain::secret::TokenHash;
use parkportal_domain::tenant::Code;
use parkportal_domain::{
    AccountId, EmailAddress, Language, ProductCode, ProductId, ProductRepository, StoreError,
    TenantId,
};
use parkportal_domain::{BalanceUnit, Postcode, ProductKind, Recipient};
use sea_orm::SqlErr;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

/// Products in the database.
#[derive(Clone, Debug)]
pub struct SeaProductRepository {
    db: Database,
}

impl SeaProductRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

pub(crate) const COUPLING: &str = "coupling";

/// The ids of `product`'s type and zone, read in the issuing transaction: on PostgreSQL under a
/// share lock, so that a retirement or a change of unit either waits for this issue or is seen
/// by it. `Err(Ok(outcome))` when the type or zone was retired meanwhile.
async fn id_by_code<C: ConnectionTrait>(
    conn: &C,
    product: &NewProduct,
) -> Result<Result<(i64, i64), IssueOutcome>, StoreError> {
    let shared = conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    let mut pt = product_types::Entity::find()
        .filter(product_types::Column::TenantId.eq(product.tenant.0))
        .filter(product_types::Column::Code.eq(product.product_type.as_str()));
    let mut z = zones::Entity::find()
        .filter(zones::Column::TenantId.eq(product.tenant.0))
        .filter(zones::Column::Code.eq(product.zone.as_str()));
    if shared {
        pt = pt.lock_shared();
        z = z.lock_shared();
    }
    // The zone first, as a save of the catalogue locks them, so the two never wait on each other.
    let z = z
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)?
        .ok_or_else(|| StoreError::new(format!("no zone {}", product.zone)))?;
    let pt = pt
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)?
        .ok_or_else(|| StoreError::new(format!("no product type {}", product.product_type)))?;
    if pt.unit != product.unit.as_str() {
        return Err(StoreError::new(format!(
            "the unit of product type {} changed while a product was issued",
            product.product_type
        )));
    }
    Ok(match (pt.retired_at, z.retired_at) {
        (Some(_), _) => Err(IssueOutcome::Retired { zone: false }),
        (None, Some(_)) => Err(IssueOutcome::Retired { zone: true }),
        (None, None) => Ok((pt.id, z.id)),
    })
}

async fn summary<C: ConnectionTrait>(
    conn: &C,
    product: &products::Model,
) -> Result<ProductSummary, StoreError> {
    let tenant = tenants::Entity::find_by_id(product.tenant_id)
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)?
        .ok_or_else(|| StoreError::new("product without gemeente"))?;
    let pt = product_types::Entity::find_by_id(product.product_type_id)
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)?
        .ok_or_else(|| StoreError::new("product without type"))?;
    let zone = zones::Entity::find_by_id(product.zone_id)
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)?
        .ok_or_else(|| StoreError::new("product without zone"))?;
    let plates = product_plates::Entity::find()
        .filter(product_plates::Column::ProductId.eq(product.id))
        .count(conn)
        .await
        .map_err(StoreError::new)?;
    let kind = parkportal_domain::ProductKind::parse(&pt.kind)
        .map_err(|_| StoreError::new("stored product kind"))?;
    let plate_switch = parkportal_domain::parking::switches_plates(
        kind,
        usize::try_from(plates).unwrap_or(usize::MAX),
    );
    Ok(ProductSummary {
        id: ProductId(product.id),
        tenant: TenantId(tenant.id),
        time_zone: tenant
            .time_zone
            .parse()
            .map_err(|e| StoreError::new(format!("stored time zone: {e}")))?,
        tenant_name: tenant.name,
        type_name: pt.name,
        zone_name: zone.name,
        valid_until: product.valid_until,
        owner: product.owner_id.map(AccountId),
        plate_switch,
    })
}

/// Stores the coupling link of `product`.
async fn insert_link(
    txn: &DatabaseTransaction,
    product: i64,
    link: &NewLink,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    email_links::ActiveModel {
        purpose: Set(COUPLING.to_owned()),
        token_hash: Set(link.token.as_str().to_owned()),
        email: Set(link.email.as_str().to_owned()),
        product_id: Set(Some(product)),
        created_at: Set(now),
        expires_at: Set(link.expires_at),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(StoreError::new)?;
    Ok(())
}

/// Uses the unused, unexpired link `token` (one conditional update: of two racing requests only
/// one succeeds) and couples its product to `account` unless another account owns it.
async fn use_link_and_couple(
    txn: &DatabaseTransaction,
    token: &TokenHash,
    account: i64,
    now: DateTime<Utc>,
) -> Result<CoupleOutcome, StoreError> {
    let Some(link) = email_links::Entity::find()
        .filter(email_links::Column::TokenHash.eq(token.as_str()))
        .filter(email_links::Column::Purpose.eq(COUPLING))
        .one_by_key(txn)
        .await
        .map_err(StoreError::new)?
    else {
        return Ok(CoupleOutcome::LinkUsed);
    };
    let used = email_links::Entity::update_many()
        .col_expr(email_links::Column::UsedAt, Expr::value(now))
        .filter(email_links::Column::Id.eq(link.id))
        .filter(email_links::Column::UsedAt.is_null())
        .filter(email_links::Column::ExpiresAt.gt(now))
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    if used.rows_affected != 1 {
        return Ok(CoupleOutcome::LinkUsed);
    }
    let Some(product_id) = link.product_id else {
        return Err(StoreError::new("coupling link without product"));
    };
    if let Some(mandate) = link.mandate_id {
        // A mandate's invitation couples the mandate, not the product: while it is still
        // waiting, and never to the product's owner.
        let accepted = mandates::Entity::update_many()
            .col_expr(mandates::Column::MandateeId, Expr::value(account))
            .col_expr(mandates::Column::Status, Expr::value("accepted"))
            .col_expr(mandates::Column::AcceptedAt, Expr::value(now))
            .filter(mandates::Column::Id.eq(mandate))
            .filter(mandates::Column::Status.eq("invited"))
            .filter(mandates::Column::OwnerId.ne(account))
            .exec(txn)
            .await
            .map_err(StoreError::new)?;
        return Ok(if accepted.rows_affected == 1 {
            CoupleOutcome::Coupled
        } else {
            CoupleOutcome::OwnedByOther
        });
    }
    let coupled = products::Entity::update_many()
        .col_expr(products::Column::OwnerId, Expr::value(account))
        .filter(products::Column::Id.eq(product_id))
        .filter(
            products::Column::OwnerId
                .is_null()
                .or(products::Column::OwnerId.eq(account)),
        )
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    if coupled.rows_affected != 1 {
        return Ok(CoupleOutcome::OwnedByOther);
    }
    Ok(CoupleOutcome::Coupled)
}

#[async_trait]
impl ProductRepository for SeaProductRepository {
    async fn issue(
        &self,
        product: &NewProduct,
        with: IssueWith<'_>,
        now: DateTime<Utc>,
    ) -> Result<IssueOutcome, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        // A batch row first: the mark is the guard against issuing it twice (an instance that
        // took the batch over may have issued it already; then this transaction rolls back).
        if let Some(row) = with.batch_row
            && !crate::batches::mark_issued(&txn, row.batch, row.line, &product.code, &row.page)
                .await?
        {
            return Ok(IssueOutcome::RowDone);
        }
        // An application likewise: granted only while open, or nothing is issued.
        if let Some(grant) = with.application
            && !crate::applications::mark_granted(&txn, product.tenant, grant, now).await?
        {
            return Ok(IssueOutcome::RowDone);
        }
        let taken = products::Entity::find()
            .filter(products::Column::Code.eq(product.code.as_str()))
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?;
        if taken.is_some() {
            return Ok(IssueOutcome::CodeTaken);
        }
        let (type_id, zone_id) = match id_by_code(&txn, product).await? {
            Ok(ids) => ids,
            Err(refused) => return Ok(refused),
        };
        let row = products::ActiveModel {
            tenant_id: Set(product.tenant.0),
            product_type_id: Set(type_id),
            zone_id: Set(zone_id),
            code: Set(product.code.as_str().to_owned()),
            pin_hash: Set(product.pin_hash.clone()),
            valid_from: Set(product.valid_from),
            valid_until: Set(product.valid_until),
            status: Set("active".to_owned()),
            // Applied for while logged in: coupled at once.
            owner_id: Set(with.application.and_then(|g| g.owner).map(|a| a.0)),
            issued_at: Set(now),
            // The opening balance comes with its entry, below.
            balance: Set(0),
            holder_name: Set(product.holder.as_ref().map(|h| h.name.clone())),
            holder_street: Set(product.holder.as_ref().map(|h| h.street.clone())),
            holder_house_number: Set(product.holder.as_ref().map(|h| h.house_number.clone())),
            holder_postcode: Set(product
                .holder
                .as_ref()
                .map(|h| h.postcode.as_str().to_owned())),
            holder_city: Set(product.holder.as_ref().map(|h| h.city.clone())),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(StoreError::new)?;
        if let Some(holder) = &product.holder {
            crate::search::index_name(&txn, product.tenant, row.id, &holder.name).await?;
        }
        let opening = LedgerPosting::opening(ProductId(row.id), product.opening);
        post(&txn, &opening, now).await?;
        for (position, plate) in product.plates.iter().enumerate() {
            product_plates::ActiveModel {
                product_id: Set(row.id),
                plate: Set(plate.normalised().to_owned()),
                country: Set(plate.country().as_str().to_owned()),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(StoreError::new)?;
        }
        if let Some((link, mail)) = with.invite {
            insert_link(&txn, row.id, link, now).await?;
            enqueue_on(&txn, mail, now).await?;
        }
        if let Some(letter) = with.letter {
            desk::insert_letter(&txn, product.tenant, row.id, letter, now).await?;
        }
        if let Some(entry) = with.audit {
            audit::write(&txn, &entry.clone().about("product", row.id)).await?;
        }
        if let Some(batch_row) = with.batch_row {
            crate::batches::name_product(&txn, batch_row.batch, batch_row.line, row.id).await?;
        }
        if let Some(grant) = with.application {
            crate::applications::granted_with(&txn, grant, row.id, now).await?;
        }
        txn.commit().await.map_err(StoreError::new)?;
        Ok(IssueOutcome::Issued(ProductId(row.id)))
    }

    async fn id_in(
        &self,
        tenant: TenantId,
        code: &ProductCode,
    ) -> Result<Option<ProductId>, StoreError> {
        let row = products::Entity::find()
            .filter(products::Column::TenantId.eq(tenant.0))
            .filter(products::Column::Code.eq(code.as_str()))
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(row.map(|r| ProductId(r.id)))
    }

    async fn staff_view(
        &self,
        tenant: TenantId,
        code: &ProductCode,
        now: DateTime<Utc>,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<StaffProductView>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let Some(row) = in_tenant_or_refused(&txn, tenant, code, audit).await? else {
            txn.commit().await.map_err(StoreError::new)?;
            return Ok(None);
        };
        let view = staff_view_of(&txn, row, code, now).await?;
        if let Some(audit) = audit {
            audit::write(&txn, &audit.clone().about("product", view.id.0)).await?;
        }
        txn.commit().await.map_err(StoreError::new)?;
        Ok(Some(view))
    }

    async fn kept_letter(
        &self,
        tenant: TenantId,
        code: &ProductCode,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Option<KeptLetter>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let Some(product) = in_tenant_or_refused(&txn, tenant, code, Some(audit)).await? else {
            txn.commit().await.map_err(StoreError::new)?;
            return Ok(None);
        };
        let letter = product_letters::Entity::find()
            .filter(product_letters::Column::TenantId.eq(tenant.0))
            .filter(product_letters::Column::ProductId.eq(product.id))
            .filter(product_letters::Column::ExpiresAt.gt(now))
            .filter(product_letters::Column::Pdf.is_not_null())
            .order_by_desc(product_letters::Column::Id)
            .one(&txn)
            .await
            .map_err(StoreError::new)?;
        let entry = audit.clone().about("product", product.id);
        let kept = letter.and_then(|l| {
            l.pdf.map(|pdf| KeptLetter {
                code: code.clone(),
                product: ProductId(product.id),
                pdf,
                expires_at: l.expires_at,
            })
        });
        match kept {
            Some(_) => audit::write(&txn, &entry).await?,
            None => audit::write(&txn, &entry.refused("letter_not_kept")).await?,
        }
        txn.commit().await.map_err(StoreError::new)?;
        Ok(kept)
    }

    async fn coupling_link(&self, token: &TokenHash) -> Result<Option<LinkRecord>, StoreError> {
        let conn = self.db.connection();
        let Some(link) = email_links::Entity::find()
            .filter(email_links::Column::TokenHash.eq(token.as_str()))
            .filter(email_links::Column::Purpose.eq(COUPLING))
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(None);
        };
        let Some(product_id) = link.product_id else {
            return Ok(None);
        };
        let Some(product) = products::Entity::find_by_id(product_id)
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(None);
        };
        Ok(Some(LinkRecord {
            email: EmailAddress::parse(&link.email)
                .map_err(|e| StoreError::new(format!("stored e-mail address: {e}")))?,
            product: summary(conn, &product).await?,
            expires_at: link.expires_at,
            used_at: link.used_at,
            mandated_by: match (link.mandate_id, product.owner_id) {
                (Some(_), Some(owner)) => accounts::Entity::find_by_id(owner)
                    .one_by_key(conn)
                    .await
                    .map_err(StoreError::new)?
                    .and_then(|a| EmailAddress::parse(&a.email).ok()),
                _ => None,
            },
        }))
    }

    async fn couple(
        &self,
        token: &TokenHash,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<CoupleOutcome, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let outcome = use_link_and_couple(&txn, token, account.0, now).await?;
        if matches!(outcome, CoupleOutcome::Coupled) {
            txn.commit().await.map_err(StoreError::new)?;
        }
        Ok(outcome)
    }

    async fn by_code(
        &self,
        code: &ProductCode,
    ) -> Result<Option<(ProductId, String, Option<AccountId>)>, StoreError> {
        Ok(products::Entity::find()
            .filter(products::Column::Code.eq(code.as_str()))
            .filter(products::Column::Status.eq("active"))
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .map(|p| (ProductId(p.id), p.pin_hash, p.owner_id.map(AccountId))))
    }

    async fn claim(&self, product: ProductId, account: AccountId) -> Result<bool, StoreError> {
        // Conditional: of two residents claiming at once, one gets it.
        let done = products::Entity::update_many()
            .col_expr(products::Column::OwnerId, Expr::value(account.0))
            .filter(products::Column::Id.eq(product.0))
            .filter(
                products::Column::OwnerId
                    .is_null()
                    .or(products::Column::OwnerId.eq(account.0)),
            )
            .exec(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(done.rows_affected == 1)
    }

    async fn summary_by_code(
        &self,
        code: &ProductCode,
    ) -> Result<Option<ProductSummary>, StoreError> {
        let conn = self.db.connection();
        let Some(product) = products::Entity::find()
            .filter(products::Column::Code.eq(code.as_str()))
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(None);
        };
        summary(conn, &product).await.map(Some)
    }

    async fn add_link(
        &self,
        product: ProductId,
        link: &NewLink,
        mail: &OutgoingMail,
        now: DateTime<Utc>,
        entry: Option<&AuditEntry>,
    ) -> Result<bool, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        // Under the product's lock: a coupling that wins the race makes the link needless.
        if crate::parking::lock_product_row(&self.db, &txn, product)
            .await?
            .is_none_or(|p| p.owner_id.is_some())
        {
            crate::parking::ledger::abandon(txn).await?;
            return Ok(false);
        }
        // Only the newest link of the product works: an older one may sit in a mailbox that is
        // no longer the resident's.
        email_links::Entity::update_many()
            .col_expr(email_links::Column::ExpiresAt, Expr::value(now))
            .filter(email_links::Column::ProductId.eq(product.0))
            .filter(email_links::Column::Purpose.eq(COUPLING))
            .filter(email_links::Column::MandateId.is_null())
            .filter(email_links::Column::UsedAt.is_null())
            .filter(email_links::Column::ExpiresAt.gt(now))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        insert_link(&txn, product.0, link, now).await?;
        enqueue_on(&txn, mail, now).await?;
        if let Some(entry) = entry {
            audit::write(&txn, entry).await?;
        }
        txn.commit().await.map_err(StoreError::new)?;
        Ok(true)
    }

    async fn letter_language(&self, product: ProductId) -> Result<Option<Language>, StoreError> {
        let language: Option<String> = product_letters::Entity::find()
            .select_only()
            .column(product_letters::Column::Language)
            .filter(product_letters::Column::ProductId.eq(product.0))
            .order_by_desc(product_letters::Column::Id)
            .limit(1)
            .into_tuple()
            .one(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(language.and_then(|l| Language::parse(&l).ok()))
    }

    async fn replace_pin(
        &self,
        tenant: TenantId,
        product: ProductId,
        change: PinChange<'_>,
        now: DateTime<Utc>,
    ) -> Result<DeskOutcome, StoreError> {
        desk::replace_pin(&self.db, (tenant, product), change, now).await
    }

    async fn replace_plates(
        &self,
        tenant: TenantId,
        product: ProductId,
        plates: &[Plate],
        entry: &AuditEntry,
    ) -> Result<DeskOutcome, StoreError> {
        desk::replace_plates(&self.db, (tenant, product), plates, entry).await
    }

    async fn uncouple(
        &self,
        tenant: TenantId,
        product: ProductId,
        now: DateTime<Utc>,
        entry: &AuditEntry,
    ) -> Result<DeskOutcome, StoreError> {
        desk::uncouple(&self.db, (tenant, product), now, entry).await
    }

    async fn extend(
        &self,
        tenant: TenantId,
        product: ProductId,
        until: DateTime<Utc>,
        entry: &AuditEntry,
    ) -> Result<DeskOutcome, StoreError> {
        desk::extend(&self.db, (tenant, product), until, entry).await
    }

    async fn couple_new_account(
        &self,
        token: &TokenHash,
        password_hash: &str,
        language: Language,
        now: DateTime<Utc>,
    ) -> Result<CoupleOutcome, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let Some(link) = email_links::Entity::find()
            .filter(email_links::Column::TokenHash.eq(token.as_str()))
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(CoupleOutcome::LinkUsed);
        };
        let exists = accounts::Entity::find()
            .filter(accounts::Column::Email.eq(link.email.as_str()))
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?;
        if exists.is_some() {
            return Ok(CoupleOutcome::AccountExists);
        }
        // A racing creation of the same address fails on the unique e-mail column and rolls
        // the whole transaction back; the resident then logs in instead.
        let created = accounts::ActiveModel {
            email: Set(link.email.clone()),
            password_hash: Set(password_hash.to_owned()),
            language: Set(Some(language.code().to_owned())),
            created_at: Set(now),
            password_changed_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        let row = match created {
            Ok(row) => row,
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                return Ok(CoupleOutcome::AccountExists);
            }
            Err(e) => return Err(StoreError::new(e)),
        };
        match use_link_and_couple(&txn, token, row.id, now).await? {
            CoupleOutcome::Coupled => {
                txn.commit().await.map_err(StoreError::new)?;
                Ok(CoupleOutcome::Created(to_account(&row)?))
            }
            other => Ok(other),
        }
    }
}

/// The product of `tenant` with `code`, read in `txn`; when the gemeente has none, `entry`
/// (when given) is written refused `not_found` for the caller to commit.
pub(crate) async fn in_tenant_or_refused(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    code: &ProductCode,
    entry: Option<&AuditEntry>,
) -> Result<Option<products::Model>, StoreError> {
    let row = products::Entity::find()
        .filter(products::Column::TenantId.eq(tenant.0))
        .filter(products::Column::Code.eq(code.as_str()))
        .one_by_key(txn)
        .await
        .map_err(StoreError::new)?;
    if let (None, Some(entry)) = (&row, entry) {
        audit::write(txn, &entry.clone().refused("not_found")).await?;
    }
    Ok(row)
}

/// The staff's view of product `row` (of its gemeente, checked by the caller's query).
pub(crate) async fn staff_view_of(
    conn: &impl ConnectionTrait,
    row: products::Model,
    code: &ProductCode,
    now: DateTime<Utc>,
) -> Result<StaffProductView, StoreError> {
    let corrupt = |what: &str| StoreError::new(format!("product {}: {what}", row.id));
    let pt = product_types::Entity::find_by_id(row.product_type_id)
        .filter(product_types::Column::TenantId.eq(row.tenant_id))
        .one(conn)
        .await
        .map_err(StoreError::new)?
        .ok_or_else(|| corrupt("no product type"))?;
    let zone = zones::Entity::find_by_id(row.zone_id)
        .filter(zones::Column::TenantId.eq(row.tenant_id))
        .one(conn)
        .await
        .map_err(StoreError::new)?
        .ok_or_else(|| corrupt("no zone"))?;
    let plates = product_plates::Entity::find()
        .filter(product_plates::Column::ProductId.eq(row.id))
        .order_by_asc(product_plates::Column::Position)
        .all(conn)
        .await
        .map_err(StoreError::new)?
        .into_iter()
        .map(|p| Plate::from_stored(&p.plate, &p.country).map_err(|_| corrupt("plate")))
        .collect::<Result<Vec<_>, _>>()?;
    let letter = product_letters::Entity::find()
        .filter(product_letters::Column::TenantId.eq(row.tenant_id))
        .filter(product_letters::Column::ProductId.eq(row.id))
        .filter(product_letters::Column::ExpiresAt.gt(now))
        .filter(product_letters::Column::Pdf.is_not_null())
        .order_by_desc(product_letters::Column::Id)
        .one(conn)
        .await
        .map_err(StoreError::new)?;
    let holder = match (
        &row.holder_name,
        &row.holder_street,
        &row.holder_house_number,
        &row.holder_postcode,
        &row.holder_city,
    ) {
        (Some(name), Some(street), Some(house_number), Some(postcode), Some(city)) => {
            Some(Recipient::from_stored(
                name.clone(),
                street.clone(),
                house_number.clone(),
                Postcode::parse(postcode).map_err(|_| corrupt("holder postcode"))?,
                city.clone(),
            ))
        }
        _ => None,
    };
    Ok(StaffProductView {
        id: ProductId(row.id),
        code: code.clone(),
        product_type: (
            Code::parse(&pt.code).map_err(|_| corrupt("type code"))?,
            pt.name,
        ),
        kind: ProductKind::parse(&pt.kind).map_err(|_| corrupt("kind"))?,
        unit: BalanceUnit::parse(&pt.unit).map_err(|_| corrupt("unit"))?,
        zone: (
            Code::parse(&zone.code).map_err(|_| corrupt("zone code"))?,
            zone.name,
        ),
        status: row.status,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        issued_at: row.issued_at,
        holder,
        coupled: row.owner_id.is_some(),
        plates,
        balance: row.balance,
        letter_kept_until: letter.map(|l| l.expires_at),
    })
}
