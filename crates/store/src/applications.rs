//! Applications in the digitaal loket (#25): stored with their confirmation mail in one
//! transaction, read back by their status link or by the account they were made from.

use crate::database::Database;
use crate::entities::{applications, product_types, tenants};
use crate::outbox::enqueue_on;
use async_trait::async_trait;
use parkportal_domain::loket::application::ApplicationStatus;
use parkportal_domain::loket::{ApplicationRepository, ApplicationView, NewApplication, Stored};
use parkportal_domain::email::EmailAddress;
use parkportal_domain::letters::{Postcode, Recipient};
use parkportal_domain::mail::OutgoingMail;
use parkportal_domain::own_data::ApplicationRecord;
use parkportal_domain::plate::Plate;
use parkportal_domain::secret::TokenHash;
use parkportal_domain::{AccountId, StoreError};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    SqlErr,
};

/// Applications on the database.
#[derive(Clone, Debug)]
pub struct SeaApplicationRepository {
    db: Database,
}

impl SeaApplicationRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::new(format!("stored application {what}: {e}"))
}

/// The tagged plates of a row (a line each).
fn plates_of(text: Option<&str>) -> Result<Vec<Plate>, StoreError> {
    text.unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| Plate::parse_tagged(l).map_err(|e| corrupt("plate", e)))
        .collect()
}

/// The applicant's name and address of `row`.
fn applicant_of(row: &applications::Model) -> Result<Recipient, StoreError> {
    Ok(Recipient::from_stored(
        row.name.clone(),
        row.street.clone(),
        row.house_number.clone(),
        Postcode::parse(&row.postcode).map_err(|e| corrupt("postcode", e))?,
        row.city.clone(),
    ))
}

/// The applications made from `account` or to its address `email`, oldest first, with
/// everything they hold: for the resident's own data.
pub(crate) async fn records_of<C: ConnectionTrait>(
    conn: &C,
    account: i64,
    email: &str,
) -> Result<Vec<ApplicationRecord>, StoreError> {
    let rows = applications::Entity::find()
        .filter(
            Condition::any()
                .add(applications::Column::AccountId.eq(account))
                .add(applications::Column::Email.eq(email)),
        )
        .order_by_asc(applications::Column::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        let applicant = applicant_of(&row)?;
        let email = EmailAddress::parse(&row.email).map_err(|e| corrupt("e-mail address", e))?;
        let remark = row.remark.clone();
        let view = view(conn, row).await?;
        records.push(ApplicationRecord {
            reference: view.reference,
            gemeente: view.gemeente,
            product_type: view.product_type,
            status: view.status,
            applicant,
            email,
            plates: view.plates,
            remark,
            message: view.message,
            created_at: view.created_at,
            decided_at: view.decided_at,
        });
    }
    Ok(records)
}

/// Deletes the applications made from `account` or to its address `email` (the resident's
/// deletion takes them with it, open ones too: the resident withdraws them).
pub(crate) async fn erase_of<C: ConnectionTrait>(
    conn: &C,
    account: i64,
    email: &str,
) -> Result<(), StoreError> {
    applications::Entity::delete_many()
        .filter(
            Condition::any()
                .add(applications::Column::AccountId.eq(account))
                .add(applications::Column::Email.eq(email)),
        )
        .exec(conn)
        .await
        .map_err(StoreError::new)?;
    Ok(())
}

/// `row` as its applicant sees it, with its gemeente's and type's names.
async fn view<C: ConnectionTrait>(
    conn: &C,
    row: applications::Model,
) -> Result<ApplicationView, StoreError> {
    let tenant = tenants::Entity::find_by_id(row.tenant_id)
        .one(conn)
        .await
        .map_err(StoreError::new)?
        .ok_or_else(|| corrupt("gemeente", row.tenant_id))?;
    let product_type = product_types::Entity::find_by_id(row.product_type_id)
        .filter(product_types::Column::TenantId.eq(row.tenant_id))
        .one(conn)
        .await
        .map_err(StoreError::new)?
        .ok_or_else(|| corrupt("product type", row.product_type_id))?;
    Ok(ApplicationView {
        reference: row.reference,
        gemeente: tenant.name,
        slug: tenant.slug,
        product_type: product_type.name,
        status: ApplicationStatus::parse(&row.status)
            .ok_or_else(|| corrupt("status", &row.status))?,
        plates: plates_of(row.plates.as_deref())?,
        created_at: row.created_at,
        decided_at: row.decided_at,
        message: row.message,
    })
}

#[async_trait]
impl ApplicationRepository for SeaApplicationRepository {
    async fn create(
        &self,
        application: &NewApplication,
        mail: &OutgoingMail,
    ) -> Result<Stored, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let product_type = product_types::Entity::find()
            .filter(product_types::Column::TenantId.eq(application.tenant.0))
            .filter(product_types::Column::Code.eq(application.product_type.as_str()))
            .one(&txn)
            .await
            .map_err(StoreError::new)?
            .ok_or_else(|| StoreError::new("an application for no product type"))?;
        let a = &application.applicant;
        let plates: Vec<String> = application.plates.iter().map(Plate::tagged).collect();
        let row = applications::ActiveModel {
            tenant_id: Set(application.tenant.0),
            product_type_id: Set(product_type.id),
            reference: Set(application.reference.clone()),
            status: Set(ApplicationStatus::Received.as_str().to_owned()),
            name: Set(a.name.clone()),
            street: Set(a.street.clone()),
            house_number: Set(a.house_number.clone()),
            postcode: Set(a.postcode.as_str().to_owned()),
            city: Set(a.city.clone()),
            email: Set(application.email.as_str().to_owned()),
            language: Set(application.language.code().to_owned()),
            plates: Set((!plates.is_empty()).then(|| plates.join("\n"))),
            remark: Set(application.remark.clone()),
            account_id: Set(application.account.map(|a| a.0)),
            token_hash: Set(application.token_hash.as_str().to_owned()),
            message: Set(None),
            created_at: Set(application.at),
            decided_at: Set(None),
            ..Default::default()
        };
        match row.insert(&txn).await {
            Ok(_) => {}
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                txn.rollback().await.map_err(StoreError::new)?;
                return Ok(Stored::ReferenceTaken);
            }
            Err(e) => return Err(StoreError::new(e)),
        }
        enqueue_on(&txn, mail, application.at).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(Stored::Created)
    }

    async fn by_token(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<ApplicationView>, StoreError> {
        let conn = self.db.connection();
        let row = applications::Entity::find()
            .filter(applications::Column::TokenHash.eq(token_hash.as_str()))
            .one(conn)
            .await
            .map_err(StoreError::new)?;
        match row {
            Some(row) => view(conn, row).await.map(Some),
            None => Ok(None),
        }
    }

    async fn of_account(&self, account: AccountId) -> Result<Vec<ApplicationView>, StoreError> {
        let conn = self.db.connection();
        let rows = applications::Entity::find()
            .filter(applications::Column::AccountId.eq(account.0))
            .order_by_desc(applications::Column::CreatedAt)
            .order_by_desc(applications::Column::Id)
            .all(conn)
            .await
            .map_err(StoreError::new)?;
        let mut views = Vec::with_capacity(rows.len());
        for row in rows {
            views.push(view(conn, row).await?);
        }
        Ok(views)
    }
}
