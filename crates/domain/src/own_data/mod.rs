//! The resident's own data (AVG/GDPR): "Download mijn gegevens" hands over everything the portal
//! holds about them, and "Account verwijderen" deletes the account, confirmed with the password.
//!
//! A deletion stops the running sessions (the unused part refunded at their own prices) and
//! deletes the planned ones (refunded whole), revokes the mandates given and received with their
//! usual effects, uncouples the products (they stay the gemeente's, with their balance, and can
//! be coupled again with a new link) and takes out what is personal: the account with its
//! address and password, its login sessions and tokens, settings and request keys, the plates of
//! its sessions and of every session on its products, the favorites of its products, its mail
//! links and the mails kept for its address. The ledger keeps every entry and amount; the
//! sessions, payments and mandates its entries point at stay, without the person.

mod model;

pub use model::*;

use crate::accounts::{Account, Accounts, LoginError};
use crate::ids::AccountId;
use crate::mandates::{SessionEnd, session_end};
use crate::parking::{ParkingSession, ProductView, RuleError, RulesPort};
use crate::ports::StoreError;
use crate::throttle::Blocked;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// What the store did with a deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erased {
    /// The account is gone, everything in one transaction.
    Erased,
    /// A live session changed since the ends were decided: decide again.
    Changed,
    /// There is no such account (any more).
    NotFound,
}

/// Where the resident's data is read and deleted.
#[async_trait]
pub trait OwnDataRepository: Send + Sync {
    /// Everything about `account`, read in one consistent snapshot; `None` without the account.
    async fn export(&self, account: AccountId) -> Result<Option<OwnDataExport>, StoreError>;
    /// The live sessions a deletion of `account` ends: every running or planned session on its
    /// own products (a mandatee's too) and its own on products it reaches through a mandate,
    /// each with its product as the owner sees it (for the session's prices).
    async fn live_sessions(
        &self,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<Vec<(ProductView, ParkingSession)>, StoreError>;
    /// Deletes `account` in one transaction under the locks of every product it touches: ends
    /// the live sessions as `ends` says (only if they are still as read, else
    /// [`Erased::Changed`]), revokes the mandates given and received (the rest back to the
    /// owner), uncouples the products, and takes out what is personal (see the module).
    async fn erase(
        &self,
        account: &Account,
        ends: &[SessionEnd],
        now: DateTime<Utc>,
    ) -> Result<Erased, StoreError>;
}

/// Why an account was not deleted.
#[derive(Debug, thiserror::Error)]
pub enum EraseError {
    /// The password is wrong (`password_incorrect`); nothing changed.
    #[error("password_incorrect")]
    PasswordIncorrect,
    /// Too many wrong passwords for the address or from the client: wait.
    #[error(transparent)]
    Blocked(#[from] Blocked),
    /// The rules that price a session's refund could not be loaded.
    #[error("rules: {0}")]
    Rules(RuleError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many times a deletion decides again when sessions change under it.
const ERASE_ATTEMPTS: usize = 5;

/// The use cases of the resident's own data.
#[derive(Clone)]
pub struct OwnData {
    repo: Arc<dyn OwnDataRepository>,
    rules: Arc<dyn RulesPort>,
    accounts: Accounts,
}

impl OwnData {
    /// On their ports: the store, the rules (a refund's prices) and the accounts (the password,
    /// its counters and the clock).
    pub fn new(
        repo: Arc<dyn OwnDataRepository>,
        rules: Arc<dyn RulesPort>,
        accounts: Accounts,
    ) -> Self {
        Self {
            repo,
            rules,
            accounts,
        }
    }

    /// [Download mijn gegevens]: everything the portal holds about the resident, and never
    /// anyone else's; `None` when the account is gone.
    pub async fn export(&self, account: &Account) -> Result<Option<OwnDataExport>, StoreError> {
        self.repo.export(account.id).await
    }

    /// [Account verwijderen], confirmed with the password (counted like a login's). Deleting
    /// an account that is already gone (a second click) succeeds.
    pub async fn erase(
        &self,
        account: &Account,
        password: &str,
        client: &str,
    ) -> Result<(), EraseError> {
        // No password is never the right one, and not a guess worth counting.
        if password.is_empty() {
            return Err(EraseError::PasswordIncorrect);
        }
        self.accounts
            .confirm_password(account, password, client)
            .await
            .map_err(|e| match e {
                LoginError::InvalidCredentials => EraseError::PasswordIncorrect,
                LoginError::Blocked(b) => EraseError::Blocked(b),
                LoginError::Store(e) => EraseError::Store(e),
                LoginError::Random(e) => EraseError::Store(StoreError::new(e)),
            })?;
        for _ in 0..ERASE_ATTEMPTS {
            let now = self.accounts.clock().now();
            let mut ends = Vec::new();
            for (view, session) in self.repo.live_sessions(account.id, now).await? {
                let end = session_end(self.rules.as_ref(), &view, &session, now)
                    .await
                    .map_err(EraseError::Rules)?;
                ends.push(end);
            }
            match self.repo.erase(account, &ends, now).await? {
                Erased::Erased | Erased::NotFound => return Ok(()),
                Erased::Changed => continue,
            }
        }
        Err(StoreError::new("the account's sessions kept changing during its deletion").into())
    }
}
