//! Remember-me tokens in the database: families, exchanges and revocation (see the domain's
//! `accounts::remember` for the rules). Each function is one transaction.

use crate::accounts::{insert_session, to_account};
use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::{accounts, auth_sessions, remember_tokens};
use chrono::{DateTime, Utc};
use parkportal_domain::accounts::{RememberExchange, RememberUse};
use parkportal_domain::sealed::Sealed;
use parkportal_domain::secret::TokenHash;
use parkportal_domain::{AccountId, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// Stores an unreplaced token of `family`.
async fn insert_token(
    conn: &impl ConnectionTrait,
    account: i64,
    token: &TokenHash,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    family: i64,
) -> Result<remember_tokens::Model, StoreError> {
    remember_tokens::ActiveModel {
        token_hash: Set(token.as_str().to_owned()),
        account_id: Set(account),
        created_at: Set(now),
        expires_at: Set(expires_at),
        replaced_at: Set(None),
        family: Set(family),
        successor: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(StoreError::new)
}

/// Stores the first token of a new family (its id names the family) and links `session`.
pub(crate) async fn create(
    db: &Database,
    account: AccountId,
    token: &TokenHash,
    session: &TokenHash,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (_gate, txn) = db.begin_write().await?;
    // A family is named after its first token, whose id is known once it is stored.
    let row = insert_token(&txn, account.0, token, now, expires_at, 0).await?;
    remember_tokens::Entity::update_many()
        .col_expr(remember_tokens::Column::Family, Expr::value(row.id))
        .filter(remember_tokens::Column::Id.eq(row.id))
        .exec(&txn)
        .await
        .map_err(StoreError::new)?;
    auth_sessions::Entity::update_many()
        .col_expr(auth_sessions::Column::RememberFamily, Expr::value(row.id))
        .filter(auth_sessions::Column::TokenHash.eq(session.as_str()))
        .filter(auth_sessions::Column::AccountId.eq(account.0))
        .exec(&txn)
        .await
        .map_err(StoreError::new)?;
    txn.commit().await.map_err(StoreError::new)
}

/// Deletes every token of `family` and every session it opened; the number of sessions.
async fn revoke_family(txn: &impl ConnectionTrait, family: i64) -> Result<u64, StoreError> {
    remember_tokens::Entity::delete_many()
        .filter(remember_tokens::Column::Family.eq(family))
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    let ended = auth_sessions::Entity::delete_many()
        .filter(auth_sessions::Column::RememberFamily.eq(family))
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    Ok(ended.rows_affected)
}

/// Uses token `old`: exchanges it, gives back its exchange within `grace`, or revokes its family.
pub(crate) async fn rotate(
    db: &Database,
    old: &TokenHash,
    exchange: &RememberExchange,
    now: DateTime<Utc>,
    grace: chrono::Duration,
) -> Result<RememberUse, StoreError> {
    let (_gate, txn) = db.begin_write().await?;
    let find = || {
        remember_tokens::Entity::find()
            .filter(remember_tokens::Column::TokenHash.eq(old.as_str()))
            .filter(remember_tokens::Column::ExpiresAt.gt(now))
    };
    let Some(row) = find().one_by_key(&txn).await.map_err(StoreError::new)? else {
        return Ok(RememberUse::Unknown);
    };
    let Some(account) = accounts::Entity::find_by_id(row.account_id)
        .one_by_key(&txn)
        .await
        .map_err(StoreError::new)?
    else {
        return Ok(RememberUse::Unknown);
    };
    let account = to_account(&account)?;
    let replayed = |row: remember_tokens::Model, account| RememberUse::Replayed {
        account,
        sealed: row.successor.map(Sealed::from_stored),
    };
    match row.replaced_at {
        Some(at) if now - at < grace => return Ok(replayed(row, account)),
        Some(_) => {
            let sessions = revoke_family(&txn, row.family).await?;
            txn.commit().await.map_err(StoreError::new)?;
            return Ok(RememberUse::FamilyRevoked {
                account: account.id,
                family: row.family,
                sessions,
            });
        }
        None => {}
    }
    // The conditional update lets one of two racing uses of the token exchange it; it writes
    // the sealed successor with the mark, so the other finds both together.
    let replaced = remember_tokens::Entity::update_many()
        .col_expr(remember_tokens::Column::ReplacedAt, Expr::value(now))
        .col_expr(
            remember_tokens::Column::Successor,
            Expr::value(exchange.sealed.as_str()),
        )
        .filter(remember_tokens::Column::Id.eq(row.id))
        .filter(remember_tokens::Column::ReplacedAt.is_null())
        .exec(&txn)
        .await
        .map_err(StoreError::new)?;
    if replaced.rows_affected != 1 {
        // A parallel use exchanged it first and has committed (its update held ours back):
        // read what it sealed.
        let again = find().one_by_key(&txn).await.map_err(StoreError::new)?;
        return Ok(again.map_or(RememberUse::Unknown, |row| replayed(row, account)));
    }
    let next = &exchange.next;
    insert_token(
        &txn,
        row.account_id,
        next,
        now,
        exchange.expires_at,
        row.family,
    )
    .await?;
    insert_session(&txn, account.id, &exchange.session, now, Some(row.family)).await?;
    txn.commit().await.map_err(StoreError::new)?;
    Ok(RememberUse::Exchanged(account))
}

/// Revokes the family of `token` (logout): its tokens and its sessions.
pub(crate) async fn revoke(db: &Database, token: &TokenHash) -> Result<(), StoreError> {
    let (_gate, txn) = db.begin_write().await?;
    let row = remember_tokens::Entity::find()
        .filter(remember_tokens::Column::TokenHash.eq(token.as_str()))
        .one_by_key(&txn)
        .await
        .map_err(StoreError::new)?;
    if let Some(row) = row {
        revoke_family(&txn, row.family).await?;
    }
    txn.commit().await.map_err(StoreError::new)
}

/// Erases the sealed successors of tokens replaced before `before`: past the grace nobody may
/// open them, and a replay then revokes the family instead.
pub(crate) async fn erase_successors(
    conn: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<(), StoreError> {
    remember_tokens::Entity::update_many()
        .col_expr(
            remember_tokens::Column::Successor,
            Expr::value(Option::<String>::None),
        )
        .filter(remember_tokens::Column::ReplacedAt.lt(before))
        .filter(remember_tokens::Column::Successor.is_not_null())
        .exec(conn)
        .await
        .map_err(StoreError::new)?;
    Ok(())
}
