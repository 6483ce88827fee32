//! Mandates: given, listed, revoked and imported, each write one transaction under the
//! product's lock. A mandate's own balance is a sum of its own ledger entries (they carry the
//! mandate), the owner's of the others.

use crate::by_key::OneByKey;
use crate::database::{Backend, Database};
use crate::entities::{accounts, email_links, mandates, parking_sessions, product_types, products};
use crate::ledger::post;
use crate::outbox::enqueue_on;
use crate::parking::ledger::{abandon, changed};
use crate::parking::lock_product_row;
use crate::parking::to_session;
use crate::products::COUPLING;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::ledger::{LedgerPosting, Wallet};
use parkportal_domain::mandates::{
    Given, ImportEntry, ImportProblem, ImportTarget, Imported, Mandate, MandateRepository,
    MandateStatus, NewMandate, Revoked, SessionEnd,
};
use parkportal_domain::parking::ParkingSession;
use parkportal_domain::plate::Plate;
use parkportal_domain::{
    AccountId, EmailAddress, MandateId, ProductId, ProductKind, StoreError, TenantId,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

/// Mandates in the database.
#[derive(Clone, Debug)]
pub struct SeaMandateRepository {
    db: Database,
}

impl SeaMandateRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::new(format!("stored mandate {what} does not parse"))
}

fn to_mandate(row: mandates::Model) -> Result<Mandate, StoreError> {
    let plate = match (&row.plate, &row.country) {
        (Some(p), Some(c)) => Some(Plate::from_stored(p, c).map_err(|_| corrupt("plate"))?),
        _ => None,
    };
    Ok(Mandate {
        id: MandateId(row.id),
        product: ProductId(row.product_id),
        email: EmailAddress::parse(&row.email).map_err(|_| corrupt("address"))?,
        mandatee: row.mandatee_id.map(AccountId),
        plate,
        balance: row.balance,
        imported: row.imported,
        status: MandateStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        created_at: row.created_at,
    })
}

/// The live (not revoked) mandate of `product` for `email`, if any.
async fn live_for(
    txn: &DatabaseTransaction,
    product: i64,
    email: &str,
) -> Result<Option<mandates::Model>, StoreError> {
    mandates::Entity::find()
        .filter(mandates::Column::ProductId.eq(product))
        .filter(mandates::Column::Email.eq(email))
        .filter(mandates::Column::Status.ne(MandateStatus::Revoked.as_str()))
        .one_by_key(txn)
        .await
        .map_err(StoreError::new)
}

/// Stores an invitation link of `mandate` (to `email`) with its mail.
async fn invite(
    txn: &DatabaseTransaction,
    (product, mandate): (i64, i64),
    email: &str,
    (token, expires_at, mail): (&str, DateTime<Utc>, &parkportal_domain::mail::OutgoingMail),
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    email_links::ActiveModel {
        // A coupling link, of a mandate rather than a product.
        purpose: Set(COUPLING.to_owned()),
        token_hash: Set(token.to_owned()),
        email: Set(email.to_owned()),
        product_id: Set(Some(product)),
        mandate_id: Set(Some(mandate)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(StoreError::new)?;
    enqueue_on(txn, mail, now).await?;
    Ok(())
}

async fn live_of(
    conn: &impl sea_orm::ConnectionTrait,
    mandate: i64,
    now: DateTime<Utc>,
) -> Result<Vec<ParkingSession>, StoreError> {
    parking_sessions::Entity::find()
        .filter(parking_sessions::Column::MandateId.eq(mandate))
        .filter(parking_sessions::Column::DeletedAt.is_null())
        // A stopped session is over, even when `now` was read before its stop: deciding on it
        // again would delete it and refund what it used.
        .filter(parking_sessions::Column::StoppedAt.is_null())
        .filter(parking_sessions::Column::EndAt.gt(now))
        .order_by_asc(parking_sessions::Column::Id)
        .all(conn)
        .await
        .map_err(StoreError::new)?
        .into_iter()
        .map(to_session)
        .collect()
}

/// Ends a live session as `end` says, in `txn` under its product's lock: a running one stops,
/// a planned one is deleted, and what it no longer holds goes back to `wallet`, the balance
/// that paid for it.
pub(crate) async fn end_session(
    txn: &DatabaseTransaction,
    (product, wallet): (i64, Wallet),
    end: &SessionEnd,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut update = parking_sessions::Entity::update_many()
        .col_expr(
            parking_sessions::Column::Reserved,
            Expr::value(end.reserved),
        )
        .filter(parking_sessions::Column::Id.eq(end.session.0));
    if end.delete {
        update = update.col_expr(parking_sessions::Column::DeletedAt, Expr::value(now));
    } else {
        update = update
            .col_expr(parking_sessions::Column::EndAt, Expr::value(end.end))
            .col_expr(parking_sessions::Column::StoppedAt, Expr::value(now));
    }
    update.exec(txn).await.map_err(StoreError::new)?;
    let refund = end.refund(ProductId(product), wallet);
    changed(txn, product, &refund, None, now).await
}

/// Closes a live mandate of `product` whose sessions have ended, in `txn` under the product's
/// lock: what it holds goes back to the owner (`mandate_return`), it is revoked, its plate goes
/// (privacy) and an invitation not used yet stops working. What went back.
pub(crate) async fn close(
    txn: &DatabaseTransaction,
    product: i64,
    mandate: i64,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let rest = mandates::Entity::find_by_id(mandate)
        .one_by_key(txn)
        .await
        .map_err(StoreError::new)?
        .map_or(0, |m| m.balance);
    if rest > 0 {
        for posting in LedgerPosting::mandate_return(ProductId(product), MandateId(mandate), rest) {
            post(txn, &posting, now).await?;
        }
    }
    // Its plate is no longer needed (privacy); the address stays, for the owner's history.
    mandates::Entity::update_many()
        .col_expr(
            mandates::Column::Status,
            Expr::value(MandateStatus::Revoked.as_str()),
        )
        .col_expr(mandates::Column::RevokedAt, Expr::value(now))
        .col_expr(mandates::Column::Plate, Expr::value(Option::<String>::None))
        .col_expr(
            mandates::Column::Country,
            Expr::value(Option::<String>::None),
        )
        .filter(mandates::Column::Id.eq(mandate))
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    email_links::Entity::update_many()
        .col_expr(email_links::Column::ExpiresAt, Expr::value(now))
        .filter(email_links::Column::MandateId.eq(mandate))
        .filter(email_links::Column::UsedAt.is_null())
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    Ok(rest)
}

/// Closes every mandate of `product` not revoked yet (see [`close`]), in `txn` under the
/// product's lock: when the product is revoked or leaves its holder.
pub(crate) async fn close_all(
    txn: &DatabaseTransaction,
    product: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let open: Vec<i64> = mandates::Entity::find()
        .filter(mandates::Column::ProductId.eq(product))
        .filter(mandates::Column::Status.ne(MandateStatus::Revoked.as_str()))
        .all(txn)
        .await
        .map_err(StoreError::new)?
        .into_iter()
        .map(|m| m.id)
        .collect();
    for mandate in open {
        close(txn, product, mandate, now).await?;
    }
    Ok(())
}

#[async_trait]
impl MandateRepository for SeaMandateRepository {
    async fn mandates(&self, product: ProductId) -> Result<Vec<Mandate>, StoreError> {
        mandates::Entity::find()
            .filter(mandates::Column::ProductId.eq(product.0))
            .filter(mandates::Column::Status.ne(MandateStatus::Revoked.as_str()))
            .order_by_desc(mandates::Column::Id)
            .all(self.db.connection())
            .await
            .map_err(StoreError::new)?
            .into_iter()
            .map(to_mandate)
            .collect()
    }

    async fn give(&self, new: &NewMandate, now: DateTime<Utc>) -> Result<Given, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let Some(product) = lock_product_row(&self.db, &txn, new.product)
            .await?
            .filter(|p| p.owner_id == Some(new.owner.0) && p.status == "active")
        else {
            abandon(txn).await?;
            return Ok(Given::NotFound);
        };
        // The owner's row too: two gives on two products of one owner count one after the other
        // (SQLite's writer holds the whole database already).
        if self.db.backend() == Backend::Postgres {
            accounts::Entity::find_by_id(new.owner.0)
                .lock_exclusive()
                .all(&txn)
                .await
                .map_err(StoreError::new)?;
        }
        let (since, most) = new.limit;
        // Invitations the owner sent: mandates imported from the previous system are not.
        let sent = mandates::Entity::find()
            .filter(mandates::Column::OwnerId.eq(new.owner.0))
            .filter(mandates::Column::Imported.eq(false))
            .filter(mandates::Column::CreatedAt.gte(since))
            .count(&txn)
            .await
            .map_err(StoreError::new)?;
        if sent >= u64::from(most) {
            abandon(txn).await?;
            return Ok(Given::LimitReached);
        }
        if live_for(&txn, product.id, new.email.as_str())
            .await?
            .is_some()
        {
            abandon(txn).await?;
            return Ok(Given::Exists);
        }
        if new.amount > product.balance {
            abandon(txn).await?;
            return Ok(Given::InsufficientBalance);
        }
        let row = mandates::ActiveModel {
            product_id: Set(product.id),
            owner_id: Set(Some(new.owner.0)),
            email: Set(new.email.as_str().to_owned()),
            mandatee_id: Set(None),
            plate: Set(new.plate.as_ref().map(|p| p.normalised().to_owned())),
            country: Set(new.plate.as_ref().map(|p| p.country().as_str().to_owned())),
            balance: Set(0),
            imported: Set(false),
            status: Set(MandateStatus::Invited.as_str().to_owned()),
            created_at: Set(now),
            accepted_at: Set(None),
            revoked_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(StoreError::new)?;
        // From the owner's balance to the mandate's: two entries, one on each.
        for posting in LedgerPosting::mandate_grant(new.product, MandateId(row.id), new.amount) {
            post(&txn, &posting, now).await?;
        }
        invite(
            &txn,
            (product.id, row.id),
            new.email.as_str(),
            (new.token.as_str(), new.link_expires_at, &new.mail),
            now,
        )
        .await?;
        let stored = mandates::Entity::find_by_id(row.id)
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
            .ok_or_else(|| StoreError::new("mandate vanished"))?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(Given::Given(to_mandate(stored)?))
    }

    async fn live_sessions(
        &self,
        mandate: MandateId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ParkingSession>, StoreError> {
        live_of(self.db.connection(), mandate.0, now).await
    }

    async fn revoke(
        &self,
        owner: AccountId,
        product: ProductId,
        mandate: MandateId,
        ends: &[SessionEnd],
        now: DateTime<Utc>,
    ) -> Result<Revoked, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        if lock_product_row(&self.db, &txn, product)
            .await?
            .filter(|p| p.owner_id == Some(owner.0))
            .is_none()
        {
            abandon(txn).await?;
            return Ok(Revoked::NotFound);
        }
        let Some(row) = mandates::Entity::find_by_id(mandate.0)
            .filter(mandates::Column::ProductId.eq(product.0))
            .filter(mandates::Column::Status.ne(MandateStatus::Revoked.as_str()))
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
        else {
            abandon(txn).await?;
            return Ok(Revoked::NotFound);
        };
        // The ends were decided on a read before the lock: they hold only if every live
        // session is still as read.
        let live = live_of(&txn, mandate.0, now).await?;
        let unchanged = live.len() == ends.len()
            && live.iter().all(|s| {
                ends.iter()
                    .any(|e| e.session == s.id && e.was == (s.end, s.reserved))
            });
        if !unchanged {
            abandon(txn).await?;
            return Ok(Revoked::Changed);
        }
        let wallet = Wallet::of_mandate(mandate, !row.imported);
        for end in ends {
            end_session(&txn, (product.0, wallet), end, now).await?;
        }
        let rest = close(&txn, product.0, mandate.0, now).await?;
        txn.commit().await.map_err(StoreError::new)?;
        Ok(Revoked::Revoked(rest))
    }

    async fn import_target(
        &self,
        tenant: TenantId,
        code: &str,
    ) -> Result<Option<ImportTarget>, StoreError> {
        let conn = self.db.connection();
        let Some(product) = products::Entity::find()
            .filter(products::Column::TenantId.eq(tenant.0))
            .filter(products::Column::Code.eq(code.trim().to_uppercase()))
            .filter(products::Column::Status.eq("active"))
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(None);
        };
        let owner = match product.owner_id {
            Some(id) => accounts::Entity::find_by_id(id)
                .one_by_key(conn)
                .await
                .map_err(StoreError::new)?
                .map(|a| {
                    EmailAddress::parse(&a.email)
                        .map(|e| (AccountId(a.id), e))
                        .map_err(|_| StoreError::new("stored address does not parse"))
                })
                .transpose()?,
            None => None,
        };
        let pt = product_types::Entity::find_by_id(product.product_type_id)
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?
            .ok_or_else(|| StoreError::new("product without type"))?;
        let zone = crate::entities::zones::Entity::find_by_id(product.zone_id)
            .one_by_key(conn)
            .await
            .map_err(StoreError::new)?
            .ok_or_else(|| StoreError::new("product without zone"))?;
        Ok(Some(ImportTarget {
            product: ProductId(product.id),
            owner,
            kind: ProductKind::parse(&pt.kind).map_err(StoreError::new)?,
            type_name: pt.name,
            zone_name: zone.name,
        }))
    }

    async fn import(
        &self,
        entries: &[ImportEntry],
        now: DateTime<Utc>,
    ) -> Result<Result<Imported, ImportProblem>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let mut done = Imported::default();
        for e in entries {
            if live_for(&txn, e.product.0, e.row.email.as_str())
                .await?
                .is_some()
            {
                abandon(txn).await?;
                return Ok(Err(ImportProblem {
                    line: e.row.line,
                    problem: format!(
                        "{} has a mandate on product {} already",
                        e.row.email, e.row.product_code
                    ),
                }));
            }
            let status = if e.mandatee.is_some() {
                MandateStatus::Accepted
            } else {
                MandateStatus::Invited
            };
            let row = mandates::ActiveModel {
                product_id: Set(e.product.0),
                owner_id: Set(Some(e.owner.0)),
                email: Set(e.row.email.as_str().to_owned()),
                mandatee_id: Set(e.mandatee.map(|a| a.0)),
                plate: Set(e.row.plate.as_ref().map(|p| p.normalised().to_owned())),
                country: Set(e
                    .row
                    .plate
                    .as_ref()
                    .map(|p| p.country().as_str().to_owned())),
                balance: Set(0),
                imported: Set(true),
                status: Set(status.as_str().to_owned()),
                created_at: Set(now),
                accepted_at: Set(e.mandatee.map(|_| now)),
                revoked_at: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(StoreError::new)?;
            match &e.invite {
                Some((token, expires_at, mail)) => {
                    invite(
                        &txn,
                        (e.product.0, row.id),
                        e.row.email.as_str(),
                        (token.as_str(), *expires_at, mail),
                        now,
                    )
                    .await?;
                    done.invited += 1;
                }
                None => done.accepted += 1,
            }
        }
        txn.commit().await.map_err(StoreError::new)?;
        Ok(Ok(done))
    }
}
