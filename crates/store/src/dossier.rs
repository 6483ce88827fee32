//! The help desk's product page in the database: the product found by its gemeente and code in
//! one query, everything else by the product's id (which that query proved the gemeente's), and
//! the reading's audit entry written in the same transaction.

use crate::audit;
use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::{
    accounts, audit_log, email_links, ledger_entries, mandates, parking_sessions, payments,
    product_letters, product_plates,
};
use crate::history::transaction;
use crate::products::{in_tenant_or_refused, staff_view_of};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::StoreError;
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::dossier::{
    DOSSIER_ROWS, DeskLetter, DeskMail, DeskMandate, DeskPayment, DossierRepository, Listed,
    OpenSession, ProductDossier,
};
use parkportal_domain::email::EmailAddress;
use parkportal_domain::ids::{MandateId, SessionId, TenantId};
use parkportal_domain::plate::Plate;
use parkportal_domain::secret::ProductCode;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

/// Product pages read from the database.
#[derive(Clone, Debug)]
pub struct SeaDossierRepository {
    db: Database,
}

impl SeaDossierRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// The first [`DOSSIER_ROWS`] rows of `select` (already ordered) and how many it has in all.
async fn listed<E, T>(
    conn: &impl ConnectionTrait,
    select: Select<E>,
    map: impl Fn(E::Model) -> Result<T, StoreError>,
) -> Result<Listed<T>, StoreError>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    let total = select.clone().count(conn).await.map_err(StoreError::new)?;
    let rows = select
        .limit(DOSSIER_ROWS)
        .all(conn)
        .await
        .map_err(StoreError::new)?
        .into_iter()
        .map(map)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Listed { rows, total })
}

/// A stored plate, `None` where an erased account's plate was taken out.
fn plate_of(plate: &str, country: &str) -> Result<Option<Plate>, StoreError> {
    if plate.is_empty() {
        return Ok(None);
    }
    Plate::from_stored(plate, country)
        .map(Some)
        .map_err(|_| StoreError::new(format!("a stored plate that is not one: {plate}")))
}

#[async_trait]
impl DossierRepository for SeaDossierRepository {
    async fn dossier(
        &self,
        tenant: TenantId,
        code: &ProductCode,
        now: DateTime<Utc>,
        entry: &AuditEntry,
    ) -> Result<Option<ProductDossier>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let Some(row) = in_tenant_or_refused(&txn, tenant, code, Some(entry)).await? else {
            txn.commit().await.map_err(StoreError::new)?;
            return Ok(None);
        };
        let id = row.id;
        let owner = row.owner_id;
        // The trail before this reading is written, so that the page shows what came before.
        let trail = listed(
            &txn,
            audit_log::Entity::find()
                .filter(audit_log::Column::TenantId.eq(tenant.0))
                .filter(audit_log::Column::ObjectKind.eq("product"))
                .filter(audit_log::Column::ObjectId.eq(id.to_string()))
                .order_by_desc(audit_log::Column::At)
                .order_by_desc(audit_log::Column::Id),
            |r| Ok(audit::to_stored(r)),
        )
        .await?;
        let product = staff_view_of(&txn, row, code, now).await?;
        let account = match owner {
            None => None,
            Some(owner) => accounts::Entity::find_by_id(owner)
                .one(&txn)
                .await
                .map_err(StoreError::new)?
                .and_then(|a| EmailAddress::parse(&a.email).ok()),
        };
        let active_plate = product_plates::Entity::find()
            .filter(product_plates::Column::ProductId.eq(id))
            .filter(product_plates::Column::Active.eq(true))
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
            .map(|p| plate_of(&p.plate, &p.country))
            .transpose()?
            .flatten();
        let sessions = listed(
            &txn,
            crate::revocation::live_of(id, now)
                .order_by_asc(parking_sessions::Column::StartAt)
                .order_by_asc(parking_sessions::Column::Id),
            |s| {
                Ok(OpenSession {
                    id: SessionId(s.id),
                    plate: plate_of(&s.plate, &s.country)?,
                    start: s.start_at,
                    end: s.end_at,
                    reserved: s.reserved,
                    by_mandatee: s.mandate_id.is_some(),
                })
            },
        )
        .await?;
        // The owner's wallet: a mandate's own entries are the mandate's.
        let ledger = listed(
            &txn,
            ledger_entries::Entity::find()
                .filter(ledger_entries::Column::ProductId.eq(id))
                .filter(ledger_entries::Column::MandateId.is_null())
                .order_by_desc(ledger_entries::Column::Id),
            transaction,
        )
        .await?;
        let mandates = listed(
            &txn,
            mandates::Entity::find()
                .filter(mandates::Column::ProductId.eq(id))
                .order_by_desc(mandates::Column::Id),
            |m| {
                Ok(DeskMandate {
                    id: MandateId(m.id),
                    email: m.email,
                    status: m.status,
                    balance: m.balance,
                    plate: match (m.plate, m.country) {
                        (Some(p), Some(c)) => plate_of(&p, &c)?,
                        _ => None,
                    },
                    created_at: m.created_at,
                })
            },
        )
        .await?;
        let payments = listed(
            &txn,
            payments::Entity::find()
                .filter(payments::Column::ProductId.eq(id))
                .order_by_desc(payments::Column::Id),
            |p| {
                Ok(DeskPayment {
                    id: p.id,
                    amount: p.amount,
                    price_cents: p.price_cents,
                    status: p.status,
                    provider_ref: p.provider_ref,
                    created_at: p.created_at,
                })
            },
        )
        .await?;
        let mails = listed(
            &txn,
            email_links::Entity::find()
                .filter(email_links::Column::ProductId.eq(id))
                .order_by_desc(email_links::Column::Id),
            |l| {
                Ok(DeskMail {
                    // A mandate's invitation is a coupling link too, of the mandate.
                    purpose: match l.mandate_id {
                        Some(_) => "mandate".to_owned(),
                        None => l.purpose,
                    },
                    email: l.email,
                    created_at: l.created_at,
                    expires_at: l.expires_at,
                    used_at: l.used_at,
                })
            },
        )
        .await?;
        // The letters without their PDFs (each tens of kilobytes): whether one is kept is enough.
        let letters_of = product_letters::Entity::find()
            .filter(product_letters::Column::TenantId.eq(tenant.0))
            .filter(product_letters::Column::ProductId.eq(id));
        let letters = Listed {
            total: letters_of
                .clone()
                .count(&txn)
                .await
                .map_err(StoreError::new)?,
            rows: letters_of
                .select_only()
                .column(product_letters::Column::Language)
                .column(product_letters::Column::CreatedAt)
                .column(product_letters::Column::ExpiresAt)
                .column_as(
                    Expr::col(product_letters::Column::Pdf).is_not_null(),
                    "kept",
                )
                .order_by_desc(product_letters::Column::Id)
                .limit(DOSSIER_ROWS)
                .into_tuple::<(String, DateTime<Utc>, DateTime<Utc>, bool)>()
                .all(&txn)
                .await
                .map_err(StoreError::new)?
                .into_iter()
                .map(|(language, created_at, expires_at, kept)| DeskLetter {
                    language,
                    created_at,
                    expires_at,
                    kept: kept && expires_at > now,
                })
                .collect(),
        };
        audit::write(&txn, &entry.clone().about("product", id)).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(Some(ProductDossier {
            product,
            account,
            active_plate,
            sessions,
            ledger,
            mandates,
            payments,
            mails,
            letters,
            audit: trail,
        }))
    }
}
