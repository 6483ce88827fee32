//! The account repository: accounts and their login sessions.

use crate::database::Database;
use crate::entities::{accounts, auth_sessions};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parkportal_domain::accounts::{Credentials, StoredSession};
use parkportal_domain::secret::TokenHash;
use parkportal_domain::{
    Account, AccountId, AccountRepository, EmailAddress, Language, StoreError,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

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

#[async_trait]
impl AccountRepository for SeaAccountRepository {
    async fn credentials(&self, email: &EmailAddress) -> Result<Option<Credentials>, StoreError> {
        let row = accounts::Entity::find()
            .filter(accounts::Column::Email.eq(email.as_str()))
            .one(self.db.connection())
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
        auth_sessions::ActiveModel {
            token_hash: Set(token.as_str().to_owned()),
            account_id: Set(account.0),
            created_at: Set(now),
            last_seen_at: Set(now),
            ..Default::default()
        }
        .insert(self.db.connection())
        .await
        .map_err(StoreError::new)?;
        Ok(())
    }

    async fn session(&self, token: &TokenHash) -> Result<Option<StoredSession>, StoreError> {
        let conn = self.db.connection();
        let Some(session) = auth_sessions::Entity::find()
            .filter(auth_sessions::Column::TokenHash.eq(token.as_str()))
            .one(conn)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(None);
        };
        let Some(account) = accounts::Entity::find_by_id(session.account_id)
            .one(conn)
            .await
            .map_err(StoreError::new)?
        else {
            return Ok(None);
        };
        Ok(Some(StoredSession {
            account: to_account(&account)?,
            last_seen_at: session.last_seen_at,
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
}
