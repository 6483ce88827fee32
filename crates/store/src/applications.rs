//! Applications in the digitaal loket (#25): stored with their first mail in one transaction,
//! read back by a status link or by the account they were made from, listed and decided by
//! staff (every decision conditional on the status it was decided from, so two medewerkers
//! never both decide), and granted in the transaction of the product that grants them.

use crate::audit;
use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::{
    application_messages, applications, product_plates, product_types, products, tenants,
};
use crate::outbox::enqueue_on;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use parkportal_domain::audit::AuditEntry;
use parkportal_domain::email::EmailAddress;
use parkportal_domain::letters::{Postcode, Recipient};
use parkportal_domain::loket::application::ApplicationStatus;
use parkportal_domain::loket::decisions::{
    Answered, ApplicationGrant, ApplicationMessage, Decidable, MessageKind, MessageText, QUEUE_MAX,
    QueueFilter, QueueItem, Related, StaffApplication, StaffDecision,
};
use parkportal_domain::loket::rule::house_number_key;
use parkportal_domain::loket::{ApplicationRepository, ApplicationView, NewApplication, Stored};
use parkportal_domain::mail::OutgoingMail;
use parkportal_domain::own_data::ApplicationRecord;
use parkportal_domain::plate::Plate;
use parkportal_domain::product_type::ProductKind;
use parkportal_domain::secret::TokenHash;
use parkportal_domain::tenant::{Code, Language};
use parkportal_domain::{AccountId, ApplicationId, StoreError, TenantId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, SqlErr, TransactionTrait,
};
use std::collections::HashMap;

/// The statuses of an application not decided yet.
const OPEN: [&str; 3] = ["received", "in_review", "info_needed"];

/// The revision counted up: what every decision, question and answer sets.
fn revised() -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::ExprTrait;
    Expr::col(applications::Column::Revision).add(1)
}

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

fn status_of(row: &applications::Model) -> Result<ApplicationStatus, StoreError> {
    ApplicationStatus::parse(&row.status).ok_or_else(|| corrupt("status", &row.status))
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

fn email_of(row: &applications::Model) -> Result<EmailAddress, StoreError> {
    EmailAddress::parse(&row.email).map_err(|e| corrupt("e-mail address", e))
}

fn language_of(row: &applications::Model) -> Result<Language, StoreError> {
    Language::parse(&row.language).map_err(|e| corrupt("language", e))
}

/// The exchanges of the applications `ids`, each oldest first.
async fn messages_of<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, Vec<ApplicationMessage>>, StoreError> {
    let rows = application_messages::Entity::find()
        .filter(application_messages::Column::ApplicationId.is_in(ids))
        .order_by_asc(application_messages::Column::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)?;
    let mut by_application: HashMap<i64, Vec<ApplicationMessage>> = HashMap::new();
    for row in rows {
        let kind = MessageKind::parse(&row.kind).ok_or_else(|| corrupt("message", &row.kind))?;
        by_application
            .entry(row.application_id)
            .or_default()
            .push(ApplicationMessage {
                kind,
                body: row.body,
                at: row.created_at,
            });
    }
    Ok(by_application)
}

/// The product type `code` of `tenant`.
async fn type_of<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    code: &str,
) -> Result<Option<product_types::Model>, StoreError> {
    product_types::Entity::find()
        .filter(product_types::Column::TenantId.eq(tenant.0))
        .filter(product_types::Column::Code.eq(code))
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)
}

/// The product type of `row`, in its gemeente.
async fn type_of_row<C: ConnectionTrait>(
    conn: &C,
    row: &applications::Model,
) -> Result<product_types::Model, StoreError> {
    product_types::Entity::find_by_id(row.product_type_id)
        .filter(product_types::Column::TenantId.eq(row.tenant_id))
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)?
        .ok_or_else(|| corrupt("product type", row.product_type_id))
}

/// The application `id` of `tenant`.
async fn row_in<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    id: ApplicationId,
) -> Result<Option<applications::Model>, StoreError> {
    applications::Entity::find_by_id(id.0)
        .filter(applications::Column::TenantId.eq(tenant.0))
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)
}

/// Adds a message to the exchange of application `application`.
async fn add_message<C: ConnectionTrait>(
    conn: &C,
    application: i64,
    kind: MessageKind,
    body: &str,
    token_hash: Option<&TokenHash>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    application_messages::ActiveModel {
        application_id: Set(application),
        kind: Set(kind.as_str().to_owned()),
        body: Set(body.to_owned()),
        token_hash: Set(token_hash.map(|h| h.as_str().to_owned())),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(StoreError::new)?;
    Ok(())
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
        // Made from the account: everything is the resident's. Only to its address: someone
        // may have typed another's name, address and plates, so only what the gemeente mailed
        // to the address is theirs.
        let own = row.account_id == Some(account);
        let applicant = own.then(|| applicant_of(&row)).transpose()?;
        let email = email_of(&row)?;
        let remark = row.remark.clone().filter(|_| own);
        let view = view(conn, row).await?;
        records.push(ApplicationRecord {
            reference: view.reference,
            gemeente: view.gemeente,
            product_type: view.product_type,
            status: view.status,
            applicant,
            email,
            plates: if own { view.plates } else { Vec::new() },
            remark,
            messages: view
                .messages
                .into_iter()
                .filter(|m| own || m.kind != MessageKind::Answer)
                .collect(),
            created_at: view.created_at,
            decided_at: view.decided_at,
        });
    }
    Ok(records)
}

/// Deletes the applications made from `account` or to its address `email` (the resident's
/// deletion takes them with it, open ones too: the resident withdraws them); their messages
/// go with them.
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

/// Grants the application of `grant` of `tenant` in the transaction of the product that grants
/// it, while it is open; `false`: it is not (decided meanwhile), and nothing may be issued.
pub(crate) async fn mark_granted<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    grant: &ApplicationGrant,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = applications::Entity::update_many()
        .col_expr(applications::Column::Status, Expr::value("granted"))
        .col_expr(applications::Column::DecidedAt, Expr::value(now))
        .col_expr(applications::Column::Revision, revised())
        .filter(applications::Column::Id.eq(grant.id.0))
        .filter(applications::Column::TenantId.eq(tenant.0))
        .filter(applications::Column::Status.is_in(OPEN))
        .filter(applications::Column::Revision.eq(grant.seen))
        .exec(conn)
        .await
        .map_err(StoreError::new)?;
    Ok(done.rows_affected == 1)
}

/// Names `product` in the application of `grant`, and queues its mail and entry.
pub(crate) async fn granted_with<C: ConnectionTrait>(
    conn: &C,
    grant: &ApplicationGrant,
    product: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    applications::Entity::update_many()
        .col_expr(applications::Column::ProductId, Expr::value(product))
        .filter(applications::Column::Id.eq(grant.id.0))
        .exec(conn)
        .await
        .map_err(StoreError::new)?;
    if let Some(mail) = &grant.mail {
        enqueue_on(conn, mail, now).await?;
    }
    audit::write(conn, &grant.audit).await
}

/// `row` as its applicant sees it, with its gemeente's and type's names and its exchange.
async fn view<C: ConnectionTrait>(
    conn: &C,
    row: applications::Model,
) -> Result<ApplicationView, StoreError> {
    let tenant = tenants::Entity::find_by_id(row.tenant_id)
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)?
        .ok_or_else(|| corrupt("gemeente", row.tenant_id))?;
    let product_type = type_of_row(conn, &row).await?;
    let messages = messages_of(conn, [row.id])
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    Ok(ApplicationView {
        id: ApplicationId(row.id),
        status: status_of(&row)?,
        plates: plates_of(row.plates.as_deref())?,
        reference: row.reference,
        gemeente: tenant.name,
        slug: tenant.slug,
        product_type: product_type.name,
        product_type_code: product_type.code,
        created_at: row.created_at,
        decided_at: row.decided_at,
        message: row.message,
        messages,
    })
}

/// The application whose first link, or the link of one of its messages, hashes to
/// `token_hash`.
async fn by_link<C: ConnectionTrait>(
    conn: &C,
    token_hash: &TokenHash,
) -> Result<Option<applications::Model>, StoreError> {
    let own = applications::Entity::find()
        .filter(applications::Column::TokenHash.eq(token_hash.as_str()))
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)?;
    if own.is_some() {
        return Ok(own);
    }
    let Some(message) = application_messages::Entity::find()
        .filter(application_messages::Column::TokenHash.eq(token_hash.as_str()))
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)?
    else {
        return Ok(None);
    };
    applications::Entity::find_by_id(message.application_id)
        .one_by_key(conn)
        .await
        .map_err(StoreError::new)
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
        // One snapshot: the counts a rule decides on belong together.
        let txn = self
            .db
            .connection()
            .begin()
            .await
            .map_err(StoreError::new)?;
        let Some(pt) = type_of(&txn, tenant, product_type.as_str()).await? else {
            return Ok(Related::default());
        };
        let house = house_number_key(&applicant.house_number);
        let active = Condition::all()
            .add(products::Column::TenantId.eq(tenant.0))
            .add(products::Column::ProductTypeId.eq(pt.id))
            .add(products::Column::Status.eq("active"))
            .add(products::Column::ValidUntil.gt(now));
        let mut related = Related::default();
        let at_postcode = products::Entity::find()
            .filter(active.clone())
            .filter(products::Column::HolderPostcode.eq(applicant.postcode.as_str()))
            .order_by_asc(products::Column::Id)
            .all(&txn)
            .await
            .map_err(StoreError::new)?;
        related.products_at_address = at_postcode
            .into_iter()
            .filter(|p| {
                p.holder_house_number
                    .as_deref()
                    .is_some_and(|h| house_number_key(h) == house)
            })
            .map(|p| p.code)
            .collect();
        if !plates.is_empty() {
            // Scoped to the gemeente's active products of the type in the query itself.
            let of_type = sea_orm::sea_query::Query::select()
                .column(products::Column::Id)
                .from(products::Entity)
                .cond_where(active.clone())
                .to_owned();
            let holding = product_plates::Entity::find()
                .filter(product_plates::Column::ProductId.in_subquery(of_type))
                .filter(
                    product_plates::Column::Plate
                        .is_in(plates.iter().map(|p| p.normalised().to_owned())),
                )
                .order_by_asc(product_plates::Column::ProductId)
                .all(&txn)
                .await
                .map_err(StoreError::new)?;
            let codes: HashMap<i64, String> = products::Entity::find()
                .filter(active)
                .filter(products::Column::Id.is_in(holding.iter().map(|h| h.product_id)))
                .all(&txn)
                .await
                .map_err(StoreError::new)?
                .into_iter()
                .map(|p| (p.id, p.code))
                .collect();
            for held in holding {
                let (Some(code), Some(plate)) = (
                    codes.get(&held.product_id),
                    plates.iter().find(|p| {
                        p.normalised() == held.plate && p.country().as_str() == held.country
                    }),
                ) else {
                    continue;
                };
                related
                    .products_for_plates
                    .push((code.clone(), plate.clone()));
            }
        }
        // The open applications of the type are the queue: few enough to compare here.
        let open = applications::Entity::find()
            .filter(applications::Column::TenantId.eq(tenant.0))
            .filter(applications::Column::ProductTypeId.eq(pt.id))
            .filter(applications::Column::Status.is_in(OPEN))
            .filter(applications::Column::Id.ne(except.map_or(0, |e| e.0)))
            .order_by_asc(applications::Column::Id)
            .all(&txn)
            .await
            .map_err(StoreError::new)?;
        txn.commit().await.map_err(StoreError::new)?;
        for other in open {
            if other.postcode == applicant.postcode.as_str()
                && house_number_key(&other.house_number) == house
            {
                related
                    .applications_at_address
                    .push(other.reference.clone());
            }
            for plate in plates_of(other.plates.as_deref())? {
                if plates.contains(&plate) {
                    related
                        .applications_for_plates
                        .push((other.reference.clone(), plate));
                }
            }
        }
        Ok(related)
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
