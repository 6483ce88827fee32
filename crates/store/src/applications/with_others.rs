//! What other parts of the store do with applications in their own transactions: the
//! resident's own data and deletion, and the grant in the product's transaction.

use super::rows::*;
use crate::audit;
use crate::entities::applications;
use crate::outbox::enqueue_on;
use chrono::{DateTime, Utc};
use parkportal_domain::loket::decisions::{ApplicationGrant, MessageKind};
use parkportal_domain::own_data::ApplicationRecord;
use parkportal_domain::{StoreError, TenantId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

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
