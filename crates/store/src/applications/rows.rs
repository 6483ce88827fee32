//! Reading and writing an application's rows: what the repository's operations share.

use crate::by_key::OneByKey;
use crate::entities::{application_messages, applications, product_types, tenants};
use chrono::{DateTime, Utc};
use parkportal_domain::email::EmailAddress;
use parkportal_domain::letters::{Postcode, Recipient};
use parkportal_domain::loket::ApplicationView;
use parkportal_domain::loket::application::ApplicationStatus;
use parkportal_domain::loket::decisions::{ApplicationMessage, MessageKind};
use parkportal_domain::plate::Plate;
use parkportal_domain::secret::TokenHash;
use parkportal_domain::tenant::Language;
use parkportal_domain::{ApplicationId, StoreError, TenantId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;

/// The statuses of an application not decided yet.
pub(super) const OPEN: [&str; 3] = ["received", "in_review", "info_needed"];

/// The revision counted up: what every decision, question and answer sets.
pub(super) fn revised() -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::ExprTrait;
    Expr::col(applications::Column::Revision).add(1)
}

pub(super) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::new(format!("stored application {what}: {e}"))
}

/// The tagged plates of a row (a line each).
pub(super) fn plates_of(text: Option<&str>) -> Result<Vec<Plate>, StoreError> {
    text.unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| Plate::parse_tagged(l).map_err(|e| corrupt("plate", e)))
        .collect()
}

pub(super) fn status_of(row: &applications::Model) -> Result<ApplicationStatus, StoreError> {
    ApplicationStatus::parse(&row.status).ok_or_else(|| corrupt("status", &row.status))
}

/// The applicant's name and address of `row`.
pub(super) fn applicant_of(row: &applications::Model) -> Result<Recipient, StoreError> {
    Ok(Recipient::from_stored(
        row.name.clone(),
        row.street.clone(),
        row.house_number.clone(),
        Postcode::parse(&row.postcode).map_err(|e| corrupt("postcode", e))?,
        row.city.clone(),
    ))
}

pub(super) fn email_of(row: &applications::Model) -> Result<EmailAddress, StoreError> {
    EmailAddress::parse(&row.email).map_err(|e| corrupt("e-mail address", e))
}

pub(super) fn language_of(row: &applications::Model) -> Result<Language, StoreError> {
    Language::parse(&row.language).map_err(|e| corrupt("language", e))
}

/// The exchanges of the applications `ids`, each oldest first.
pub(super) async fn messages_of<C: ConnectionTrait>(
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
pub(super) async fn type_of<C: ConnectionTrait>(
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
pub(super) async fn type_of_row<C: ConnectionTrait>(
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
pub(super) async fn row_in<C: ConnectionTrait>(
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
pub(super) async fn add_message<C: ConnectionTrait>(
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
/// `row` as its applicant sees it, with its gemeente's and type's names and its exchange.
pub(super) async fn view<C: ConnectionTrait>(
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
pub(super) async fn by_link<C: ConnectionTrait>(
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
