//! The account repository: accounts and their login sessions.

use crate::by_key::OneByKey;
use crate::database::Database;
use crate::entities::{accounts, auth_sessions, email_links, remember_tokens};
use crate::outbox::enqueue_on;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::accounts::{Credentials, RememberExchange, RememberUse, StoredSession};
use parkportal_domain::coupling::NewLink;
use parkportal_domain::mail::OutgoingMail;
use parkportal_domain::secret::TokenHash;
use parkportal_domain::{
    Account, AccountId, AccountRepository, EmailAddress, Language, StoreError,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

const PASSWORD_RESET: &str = "password_reset";

/// Accounts in the database.
#[derive(Clone, Debug)]
pub struct SeaAccountRepository {
    db: Database,
}

impl SeaAccountRepository {
    /// A repository on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// The domain account of a row.
pub(crate) fn to_account(row: &accounts::Model) -> Result<Account, StoreError> {
    Ok(Account {
        id: AccountId(row.id),
        email: EmailAddress::parse(&row.email)
            .map_err(|e| StoreError::new(format!("stored e-mail address: {e}")))?,
        language: row
            .language
            .as_deref()
            .map(Language::parse)
            .transpose()
            .map_err(|e| StoreError::new(format!("stored language: {e}")))?,
    })
}

/// Marks every unused reset link of `email` used.
async fn void_reset_links(
    txn: &sea_orm::DatabaseTransaction,
    email: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    email_links::Entity::update_many()
        .col_expr(email_links::Column::UsedAt, Expr::value(now))
        .filter(email_links::Column::Purpose.eq(PASSWORD_RESET))
        .filter(email_links::Column::Email.eq(email))
        .filter(email_links::Column::UsedAt.is_null())
        .exec(txn)
        .await
        .map_err(StoreError::new)?;
    Ok(())
}

/// Stores a login session, of remember-me `family` when that family's login or exchange opened
/// it.
pub(crate) async fn insert_session(
    conn: &impl ConnectionTrait,
    account: AccountId,
    token: &TokenHash,
    now: DateTime<Utc>,
    family: Option<i64>,
) -> Result<(), StoreError> {
    auth_sessions::ActiveModel {
        token_hash: Set(token.as_str().to_owned()),
        account_id: Set(account.0),
        created_at: Set(now),
        last_seen_at: Set(now),
        remember_family: Set(family),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(StoreError::new)?;
    Ok(())
}

#[async_trait]
impl AccountRepository for SeaAccountRepository {
    async fn credentials(&self, email: &EmailAddress) -> Result<Option<Credentials>, StoreError> {
        let row = accounts::Entity::find()
            .filter(accounts::Column::Email.eq(email.as_str()))
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        row.map(|row| {
            Ok(Credentials {
                account: to_account(&row)?,
                password_hash: row.password_hash,
            })
        })
        .transpose()
    }

    async fn create_session(
        &self,
        account: AccountId,
        token: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        insert_session(self.db.connection(), account, token, now, None).await
    }

    async fn session(&self, token: &TokenHash) -> Result<Option<StoredSession>, StoreError> {
        // One query for the session and its account: every request of a resident asks it.
        let (s, a) = (Alias::new("s"), Alias::new("a"));
        let query = Query::select()
            .expr_as(Expr::col((a.clone(), Alias::new("id"))), Alias::new("id"))
            .expr_as(
                Expr::col((a.clone(), Alias::new("email"))),
                Alias::new("email"),
            )
            .expr_as(
                Expr::col((a.clone(), Alias::new("language"))),
                Alias::new("language"),
            )
            .expr_as(
                Expr::col((s.clone(), Alias::new("last_seen_at"))),
                Alias::new("last_seen_at"),
            )
            .from_as(Alias::new("auth_sessions"), s.clone())
            .join_as(
                JoinType::InnerJoin,
                Alias::new("accounts"),
                a.clone(),
                Expr::col((a, Alias::new("id"))).equals((s.clone(), Alias::new("account_id"))),
            )
            .and_where(Expr::col((s, Alias::new("token_hash"))).eq(token.as_str()))
            .to_owned();
        let Some(row) = self
            .db
            .connection()
            .query_one(&query)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(None);
        };
        let email: String = row.try_get("", "email").map_err(StoreError::new)?;
        let language: Option<String> = row.try_get("", "language").map_err(StoreError::new)?;
        Ok(Some(StoredSession {
            account: Account {
                id: AccountId(row.try_get("", "id").map_err(StoreError::new)?),
                email: EmailAddress::parse(&email)
                    .map_err(|e| StoreError::new(format!("stored e-mail address: {e}")))?,
                language: language
                    .as_deref()
                    .map(Language::parse)
                    .transpose()
                    .map_err(|e| StoreError::new(format!("stored language: {e}")))?,
            },
            last_seen_at: row.try_get("", "last_seen_at").map_err(StoreError::new)?,
        }))
    }

    async fn touch_session(&self, token: &TokenHash, now: DateTime<Utc>) -> Result<(), StoreError> {
        auth_sessions::Entity::update_many()
            .col_expr(auth_sessions::Column::LastSeenAt, now.into())
            .filter(auth_sessions::Column::TokenHash.eq(token.as_str()))
            .exec(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(())
    }

    async fn end_session(&self, token: &TokenHash) -> Result<(), StoreError> {
        auth_sessions::Entity::delete_many()
            .filter(auth_sessions::Column::TokenHash.eq(token.as_str()))
            .exec(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        Ok(())
    }

    async fn create_remember(
        &self,
        account: AccountId,
        token: &TokenHash,
        session: &TokenHash,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        crate::remember::create(&self.db, account, token, session, now, expires_at).await
    }

    async fn rotate_remember(
        &self,
        old: &TokenHash,
        exchange: &RememberExchange,
        now: DateTime<Utc>,
        grace: chrono::Duration,
    ) -> Result<RememberUse, StoreError> {
        crate::remember::rotate(&self.db, old, exchange, now, grace).await
    }

    async fn revoke_remember(&self, token: &TokenHash) -> Result<(), StoreError> {
        crate::remember::revoke(&self.db, token).await
    }

    async fn create_reset_link(
        &self,
        link: &NewLink,
        mail: &OutgoingMail,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        // Only the newest link works: an older one in a mailbox someone else reads is void.
        void_reset_links(&txn, link.email.as_str(), now).await?;
        email_links::ActiveModel {
            purpose: Set(PASSWORD_RESET.to_owned()),
            token_hash: Set(link.token.as_str().to_owned()),
            email: Set(link.email.as_str().to_owned()),
            product_id: Set(None),
            created_at: Set(now),
            expires_at: Set(link.expires_at),
            used_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(StoreError::new)?;
        enqueue_on(&txn, mail, now).await?;
        txn.commit().await.map_err(StoreError::new)
    }

    async fn reset_link(
        &self,
        token: &TokenHash,
    ) -> Result<Option<(EmailAddress, DateTime<Utc>, Option<DateTime<Utc>>)>, StoreError> {
        let row = email_links::Entity::find()
            .filter(email_links::Column::TokenHash.eq(token.as_str()))
            .filter(email_links::Column::Purpose.eq(PASSWORD_RESET))
            .one_by_key(self.db.connection())
            .await
            .map_err(StoreError::new)?;
        row.map(|r| {
            let email = EmailAddress::parse(&r.email)
                .map_err(|e| StoreError::new(format!("stored e-mail address: {e}")))?;
            Ok((email, r.expires_at, r.used_at))
        })
        .transpose()
    }

    async fn reset_password(
        &self,
        token: &TokenHash,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Account>, StoreError> {
        let (_gate, txn) = self.db.begin_write().await?;
        let Some(link) = email_links::Entity::find()
            .filter(email_links::Column::TokenHash.eq(token.as_str()))
            .filter(email_links::Column::Purpose.eq(PASSWORD_RESET))
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(None);
        };
        let used = email_links::Entity::update_many()
            .col_expr(email_links::Column::UsedAt, Expr::value(now))
            .filter(email_links::Column::Id.eq(link.id))
            .filter(email_links::Column::UsedAt.is_null())
            .filter(email_links::Column::ExpiresAt.gt(now))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        if used.rows_affected != 1 {
            return Ok(None);
        }
        let Some(account) = accounts::Entity::find()
            .filter(accounts::Column::Email.eq(link.email.as_str()))
            .one_by_key(&txn)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(None);
        };
        void_reset_links(&txn, &link.email, now).await?;
        accounts::Entity::update_many()
            .col_expr(accounts::Column::PasswordHash, Expr::value(password_hash))
            .col_expr(accounts::Column::PasswordChangedAt, Expr::value(now))
            .filter(accounts::Column::Id.eq(account.id))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        auth_sessions::Entity::delete_many()
            .filter(auth_sessions::Column::AccountId.eq(account.id))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        remember_tokens::Entity::delete_many()
            .filter(remember_tokens::Column::AccountId.eq(account.id))
            .exec(&txn)
            .await
            .map_err(StoreError::new)?;
        txn.commit().await.map_err(StoreError::new)?;
        to_account(&account).map(Some)
    }
}
