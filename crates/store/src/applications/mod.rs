//! Applications in the digitaal loket (#25): stored with their first mail in one transaction,
//! read back by a status link or by the account they were made from, listed and decided by
//! staff (every decision conditional on the revision it was taken on, so two medewerkers
//! never both decide), and granted in the transaction of the product that grants them.

mod related;
mod rows;
mod with_others;

use crate::audit;
use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::{applications, product_types, products};
use crate::outbox::enqueue_on;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::letters::Recipient;
use parkportal_domain::loket::application::ApplicationStatus;
use parkportal_domain::loket::decisions::{
    Answered, Decidable, MessageKind, MessageText, QUEUE_MAX, QueueFilter, QueueItem, Related,
    StaffApplication, StaffDecision,
};
use parkportal_domain::loket::{ApplicationRepository, ApplicationView, NewApplication, Stored};
use parkportal_domain::mail::OutgoingMail;
use parkportal_domain::plate::Plate;
use parkportal_domain::product_type::ProductKind;
use parkportal_domain::secret::TokenHash;
use parkportal_domain::tenant::Code;
use parkportal_domain::{AccountId, ApplicationId, StoreError, TenantId};
use rows::*;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
};
use std::collections::HashMap;
pub(crate) use with_others::{erase_of, granted_with, mark_granted, records_of};

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

#[async_trait]
impl ApplicationRepository for SeaApplicationRepository {
    async fn create(
        &self,
        application: &NewApplication,
        mail: &OutgoingMail,
    ) -> Result<Stored, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let product_type = type_of(&txn, application.tenant, application.product_type.as_str())
            .await?
            .ok_or_else(|| StoreError::new("an application for no product type"))?;
        let a = &application.applicant;
        let plates: Vec<String> = application.plates.iter().map(Plate::tagged).collect();
        let rejected = application.rejection.is_some();
        let row = applications::ActiveModel {
            tenant_id: Set(application.tenant.0),
            product_type_id: Set(product_type.id),
            reference: Set(application.reference.clone()),
            status: Set(if rejected {
                ApplicationStatus::Rejected
            } else {
                ApplicationStatus::Received
            }
            .as_str()
            .to_owned()),
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
            message: Set(application.rejection.clone()),
            created_at: Set(application.at),
            decided_at: Set(rejected.then_some(application.at)),
            product_id: Set(None),
            rule_outcome: Set(Some(application.rule_outcome.to_owned())),
            revision: Set(0),
            ..Default::default()
        };
        let row = match row.insert(&txn).await {
            Ok(row) => row,
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                txn.rollback().await.map_err(StoreError::new)?;
                return Ok(Stored::ReferenceTaken);
            }
            Err(e) => return Err(StoreError::new(e)),
        };
        if let Some(reason) = &application.rejection {
            // The rule's reason, in the exchange as a medewerker's would be; its mail is the
            // one below, with the application's own link.
            add_message(
                &txn,
                row.id,
                MessageKind::Reason,
                reason,
                None,
                application.at,
            )
            .await?;
        }
        if let Some(entry) = &application.audit {
            audit::write(&txn, &entry.clone().about("application", row.id)).await?;
        }
        enqueue_on(&txn, mail, application.at).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(Stored::Created(ApplicationId(row.id)))
    }

    async fn by_token(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<ApplicationView>, StoreError> {
        let conn = self.db.connection();
        match by_link(conn, token_hash).await? {
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

    async fn related(
        &self,
        tenant: TenantId,
        product_type: &Code,
        applicant: &Recipient,
        plates: &[Plate],
        except: Option<ApplicationId>,
        now: DateTime<Utc>,
    ) -> Result<Related, StoreError> {
        related::related(
            &self.db,
            tenant,
            product_type,
            applicant,
            plates,
            except,
            now,
        )
        .await
    }

    async fn queue(
        &self,
        tenant: TenantId,
        filter: &QueueFilter,
        entry: &AuditEntry,
    ) -> Result<Vec<QueueItem>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let types: HashMap<i64, product_types::Model> = product_types::Entity::find()
            .filter(product_types::Column::TenantId.eq(tenant.0))
            .all(&txn)
            .await
            .map_err(StoreError::new)?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let mut query =
            applications::Entity::find().filter(applications::Column::TenantId.eq(tenant.0));
        query = match filter.status {
            Some(status) => query.filter(applications::Column::Status.eq(status.as_str())),
            None => query.filter(applications::Column::Status.is_in(OPEN)),
        };
        if let Some(code) = &filter.product_type {
            let id = types
                .values()
                .find(|t| t.code == code.as_str())
                .map_or(0, |t| t.id);
            query = query.filter(applications::Column::ProductTypeId.eq(id));
        }
        if let Some(days) = filter.min_days {
            query = query.filter(
                applications::Column::CreatedAt.lte(entry.at - Duration::days(days.into())),
            );
        }
        // Open ones wait longest first; decided ones are looked up newest first.
        let decided = filter.status.is_some_and(ApplicationStatus::decided);
        let query = if decided {
            query
                .order_by_desc(applications::Column::DecidedAt)
                .order_by_desc(applications::Column::Id)
        } else {
            query
                .order_by_asc(applications::Column::CreatedAt)
                .order_by_asc(applications::Column::Id)
        };
        let rows = query
            .limit(QUEUE_MAX)
            .all(&txn)
            .await
            .map_err(StoreError::new)?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
        audit::write(&txn, &entry.clone().about("application", ids.join(","))).await?;
        txn.commit().await.map_err(StoreError::new)?;
        rows.into_iter()
            .map(|row| {
                let pt = types
                    .get(&row.product_type_id)
                    .ok_or_else(|| corrupt("product type", row.product_type_id))?;
                Ok(QueueItem {
                    id: ApplicationId(row.id),
                    product_type: (
                        Code::parse(&pt.code).map_err(|e| corrupt("type code", e))?,
                        pt.name.clone(),
                    ),
                    status: status_of(&row)?,
                    address: format!("{} {}", row.postcode, row.house_number),
                    reference: row.reference,
                    name: row.name,
                    created_at: row.created_at,
                    rule_outcome: row.rule_outcome,
                })
            })
            .collect()
    }

    async fn staff_view(
        &self,
        tenant: TenantId,
        id: ApplicationId,
        entry: Option<&AuditEntry>,
    ) -> Result<Option<StaffApplication>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let Some(mut row) = row_in(&txn, tenant, id).await? else {
            if let Some(entry) = entry {
                audit::write(&txn, &entry.clone().refused("not_found")).await?;
            }
            txn.commit().await.map_err(StoreError::new)?;
            return Ok(None);
        };
        if let Some(entry) = entry {
            audit::write(&txn, entry).await?;
        }
        if entry.is_some() && row.status == ApplicationStatus::Received.as_str() {
            // A person has it before them: "in behandeling" for the applicant too.
            let marked = applications::Entity::update_many()
                .col_expr(
                    applications::Column::Status,
                    Expr::value(ApplicationStatus::InReview.as_str()),
                )
                .filter(applications::Column::Id.eq(row.id))
                .filter(applications::Column::Status.eq(ApplicationStatus::Received.as_str()))
                .exec(&txn)
                .await
                .map_err(StoreError::new)?;
            if marked.rows_affected == 1 {
                row.status = ApplicationStatus::InReview.as_str().to_owned();
            }
        }
        let pt = type_of_row(&txn, &row).await?;
        let product = match row.product_id {
            Some(p) => products::Entity::find_by_id(p)
                .one_by_key(&txn)
                .await
                .map_err(StoreError::new)?
                .map(|p| p.code),
            None => None,
        };
        let messages = messages_of(&txn, [row.id])
            .await?
            .remove(&row.id)
            .unwrap_or_default();
        txn.commit().await.map_err(StoreError::new)?;
        Ok(Some(StaffApplication {
            id,
            product_type: (
                Code::parse(&pt.code).map_err(|e| corrupt("type code", e))?,
                pt.name,
                ProductKind::parse(&pt.kind).map_err(|e| corrupt("kind", e))?,
            ),
            status: status_of(&row)?,
            applicant: applicant_of(&row)?,
            email: email_of(&row)?,
            language: language_of(&row)?,
            plates: plates_of(row.plates.as_deref())?,
            account: row.account_id.map(AccountId),
            product,
            messages,
            revision: row.revision,
            reference: row.reference,
            remark: row.remark,
            created_at: row.created_at,
            decided_at: row.decided_at,
            rule_outcome: row.rule_outcome,
        }))
    }

    async fn decidable(
        &self,
        tenant: TenantId,
        id: ApplicationId,
    ) -> Result<Option<Decidable>, StoreError> {
        let conn = self.db.connection();
        let Some(row) = row_in(conn, tenant, id).await? else {
            return Ok(None);
        };
        let pt = type_of_row(conn, &row).await?;
        Ok(Some(Decidable {
            product_type: (
                Code::parse(&pt.code).map_err(|e| corrupt("type code", e))?,
                pt.name,
            ),
            status: status_of(&row)?,
            applicant: applicant_of(&row)?,
            email: email_of(&row)?,
            language: language_of(&row)?,
            plates: plates_of(row.plates.as_deref())?,
            account: row.account_id.map(AccountId),
            revision: row.revision,
            reference: row.reference,
        }))
    }

    async fn decide(&self, tenant: TenantId, decision: &StaffDecision) -> Result<bool, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let at = decision.audit.at;
        let message = &decision.message;
        let (status, decided_at) = match message.kind {
            MessageKind::Reason => (ApplicationStatus::Rejected, Some(at)),
            _ => (ApplicationStatus::InfoNeeded, None),
        };
        let done = applications::Entity::update_many()
            .col_expr(applications::Column::Status, Expr::value(status.as_str()))
            .col_expr(applications::Column::DecidedAt, Expr::value(decided_at))
            .col_expr(
                applications::Column::Message,
                Expr::value(message.body.clone()),
            )
            .col_expr(applications::Column::Revision, revised())
            .filter(applications::Column::Id.eq(decision.id.0))
            .filter(applications::Column::TenantId.eq(tenant.0))
            .filter(applications::Column::Status.is_in(OPEN))
            .filter(applications::Column::Revision.eq(decision.seen))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        if done.rows_affected != 1 {
            txn.rollback().await.map_err(StoreError::new)?;
            return Ok(false);
        }
        add_message(
            &txn,
            decision.id.0,
            message.kind,
            &message.body,
            Some(&message.token_hash),
            at,
        )
        .await?;
        enqueue_on(&txn, &message.mail, at).await?;
        audit::write(&txn, &decision.audit).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(true)
    }

    async fn answer(
        &self,
        token_hash: &TokenHash,
        answer: &MessageText,
        at: DateTime<Utc>,
    ) -> Result<Answered, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let Some(row) = by_link(&txn, token_hash).await? else {
            txn.rollback().await.map_err(StoreError::new)?;
            return Ok(Answered::Unknown);
        };
        let done = applications::Entity::update_many()
            .col_expr(
                applications::Column::Status,
                Expr::value(ApplicationStatus::InReview.as_str()),
            )
            .col_expr(applications::Column::Revision, revised())
            .filter(applications::Column::Id.eq(row.id))
            .filter(applications::Column::Status.eq(ApplicationStatus::InfoNeeded.as_str()))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        if done.rows_affected != 1 {
            txn.rollback().await.map_err(StoreError::new)?;
            return Ok(Answered::NotAsked);
        }
        add_message(&txn, row.id, MessageKind::Answer, answer.as_str(), None, at).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(Answered::Stored)
    }
}
