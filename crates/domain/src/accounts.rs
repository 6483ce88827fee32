//! Resident accounts: one login (the e-mail address) for every gemeente, passwords hashed with
//! argon2id, and login sessions kept in the database so several server instances share them.

use crate::Clock;
use crate::email::EmailAddress;
use crate::ids::AccountId;
use crate::password::NewPassword;
use crate::ports::StoreError;
use crate::secret::{RandomError, Token, TokenHash};
use crate::tenant::Language;
use crate::throttle::{Blocked, FailurePolicy, Throttle, hashed_key};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

mod remember;

pub use remember::{REMEMBER_GRACE_SECONDS, RememberExchange, RememberUse};

/// A resident's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// The address it logs in with.
    pub email: EmailAddress,
    /// The language mails are written in; `None` until the resident chooses.
    pub language: Option<Language>,
}

/// An account with its password hash, for login only.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The account.
    pub account: Account,
    /// The argon2id PHC string.
    pub password_hash: String,
}

/// A login session as stored.
#[derive(Debug, Clone)]
pub struct StoredSession {
    /// The account it belongs to.
    pub account: Account,
    /// When the resident was last seen in it.
    pub last_seen_at: DateTime<Utc>,
}

/// Accounts and login sessions.
#[async_trait]
pub trait AccountRepository: Send + Sync {
    /// The account with this address, with its password hash.
    async fn credentials(&self, email: &EmailAddress) -> Result<Option<Credentials>, StoreError>;
    /// Stores a new login session.
    async fn create_session(
        &self,
        account: AccountId,
        token: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The session with this token hash.
    async fn session(&self, token: &TokenHash) -> Result<Option<StoredSession>, StoreError>;
    /// Records activity in a session.
    async fn touch_session(&self, token: &TokenHash, now: DateTime<Utc>) -> Result<(), StoreError>;
    /// Ends a session.
    async fn end_session(&self, token: &TokenHash) -> Result<(), StoreError>;
    /// Stores a remember-me token that starts a family of its own ([Onthoud mij] at a login) and
    /// links the login's session `session` to that family, in one transaction.
    async fn create_remember(
        &self,
        account: AccountId,
        token: &TokenHash,
        session: &TokenHash,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Uses the unexpired remember-me token `old`, in one transaction: unreplaced, it is replaced
    /// by `exchange` (its session and next token are stored in its family); replaced less than
    /// `grace` ago, what that exchange sealed comes back and nothing is created; replaced longer
    /// ago, every token of its family is revoked and every session of the family ends.
    async fn rotate_remember(
        &self,
        old: &TokenHash,
        exchange: &RememberExchange,
        now: DateTime<Utc>,
        grace: Duration,
    ) -> Result<RememberUse, StoreError>;
    /// Revokes the family of a remember-me token: its tokens go and its sessions end, in one
    /// transaction.
    async fn revoke_remember(&self, token: &TokenHash) -> Result<(), StoreError>;
    /// Stores a password-reset link for an existing account and queues its mail, in one
    /// transaction.
    async fn create_reset_link(
        &self,
        link: &crate::coupling::NewLink,
        mail: &crate::mail::OutgoingMail,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The password-reset link with this token hash: its address, expiry and use.
    async fn reset_link(
        &self,
        token: &TokenHash,
    ) -> Result<Option<(EmailAddress, DateTime<Utc>, Option<DateTime<Utc>>)>, StoreError>;
    /// Uses the unused, unexpired reset link, sets the account's password and ends all its
    /// sessions and remember-me tokens, in one transaction. `None` when the link is used up.
    async fn reset_password(
        &self,
        token: &TokenHash,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Account>, StoreError>;
}

/// Hashing failed (the parameters are unusable).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(pub String);

/// Slow, salted hashing of passwords and PINs (argon2id), off the request threads.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// A PHC string for `secret`.
    async fn hash(&self, secret: &str) -> Result<String, HashError>;
    /// Whether `secret` matches `hash`. With `None` it does the same work against a dummy hash and
    /// answers `false`, so that an unknown address costs as much time as a known one.
    async fn verify(&self, secret: &str, hash: Option<&str>) -> bool;
}

/// Time-outs and lifetimes of the login machinery.
#[derive(Debug, Clone, Copy)]
pub struct AuthSettings {
    /// A session without activity for this long has ended.
    pub idle_timeout: Duration,
    /// How long a coupling link in an e-mail works.
    pub coupling_link: Duration,
    /// How long a device remembers a login ([Onthoud mij]).
    pub remember_me: Duration,
    /// How long a password-reset link works.
    pub reset_link: Duration,
}

/// Why a login failed. The resident sees one message for all of these.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown address or wrong password: deliberately one case.
    #[error("invalid_credentials")]
    InvalidCredentials,
    /// Too many failures in a row for this address or from this client: wait.
    #[error(transparent)]
    Blocked(#[from] Blocked),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No token could be made.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// What a session cookie stands for.
#[derive(Debug, Clone)]
pub enum SessionState {
    /// Logged in.
    Active(Account),
    /// The session ended through the idle time-out: the login page says so.
    TimedOut,
    /// No such session (never was, logged out, or cleaned up).
    Unknown,
}

/// A session just started: the token goes into the cookie, once.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The session token.
    pub token: Token,
    /// Who logged in.
    pub account: Account,
}

/// Sessions are touched at most this often, so that browsing does not write on every page.
const TOUCH_EVERY_SECONDS: i64 = 30;

/// The login use cases.
#[derive(Clone)]
pub struct Accounts {
    repo: Arc<dyn AccountRepository>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    throttle: Throttle,
    settings: AuthSettings,
}

/// The throttle key of the logins of an address (whether or not it has an account).
pub fn login_account_key(email: &str) -> String {
    hashed_key("login:account", &email.trim().to_lowercase())
}

/// The throttle keys of a login attempt: the address and the client it came from.
pub fn login_keys(email: &str, client: &str) -> Vec<(String, FailurePolicy)> {
    vec![
        (login_account_key(email), FailurePolicy::LOGIN_ACCOUNT),
        (
            hashed_key("login:client", client),
            FailurePolicy::LOGIN_CLIENT,
        ),
    ]
}

impl Accounts {
    /// The use cases on their ports.
    pub fn new(
        repo: Arc<dyn AccountRepository>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        throttle: Throttle,
        settings: AuthSettings,
    ) -> Self {
        Self {
            repo,
            hasher,
            clock,
            throttle,
            settings,
        }
    }

    /// The account repository (for the use cases built on this one).
    pub fn repository(&self) -> &Arc<dyn AccountRepository> {
        &self.repo
    }

    /// The counters of failures.
    pub fn throttle(&self) -> &Throttle {
        &self.throttle
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The settings.
    pub fn settings(&self) -> AuthSettings {
        self.settings
    }

    /// The password hasher (coupling creates accounts with it).
    pub fn hasher(&self) -> &dyn PasswordHasher {
        self.hasher.as_ref()
    }

    /// Hashes a new password.
    pub async fn hash_password(&self, password: &NewPassword) -> Result<String, HashError> {
        self.hasher.hash(password.expose()).await
    }

    /// Checks the address and password and starts a session. An unknown address costs the same
    /// argon2 work as a wrong password and gets the same answer. After ten failures in a row for
    /// the address or from the client (`client`, its network address) the next attempts wait,
    /// even with the right password, for a delay that grows with every further failure.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        client: &str,
    ) -> Result<SignedIn, LoginError> {
        let credentials = self.verified(email, password, client).await?;
        self.start_session(credentials.account).await
    }

    /// Checks the password of a logged-in resident before a step that cannot be undone (deleting
    /// the account). It counts on the login's own counters: a stolen session gets no second
    /// budget of guesses here, and after ten failures in a row both wait.
    pub async fn confirm_password(
        &self,
        account: &Account,
        password: &str,
        client: &str,
    ) -> Result<(), LoginError> {
        let credentials = self
            .verified(account.email.as_str(), password, client)
            .await?;
        if credentials.account.id != account.id {
            return Err(LoginError::InvalidCredentials);
        }
        Ok(())
    }

    /// The account of `email` when `password` is its password, counted on the counters of the
    /// address and the client (see [`Accounts::login`]).
    async fn verified(
        &self,
        email: &str,
        password: &str,
        client: &str,
    ) -> Result<Credentials, LoginError> {
        let keys = login_keys(email, client);
        let now = self.clock.now();
        self.throttle.attempt(&keys, now).await??;
        let credentials = match EmailAddress::parse(email) {
            Ok(email) => self.repo.credentials(&email).await?,
            Err(_) => None,
        };
        let ok = self
            .hasher
            .verify(
                password,
                credentials.as_ref().map(|c| c.password_hash.as_str()),
            )
            .await;
        match credentials {
            Some(c) if ok => {
                self.throttle.forgive(&keys, now).await?;
                Ok(c)
            }
            // The failure was counted when the attempt was reserved.
            _ => Err(LoginError::InvalidCredentials),
        }
    }

    /// Starts a session for an account that just proved itself (login, or a new account).
    pub async fn start_session(&self, account: Account) -> Result<SignedIn, LoginError> {
        let token = Token::generate()?;
        self.repo
            .create_session(account.id, &token.hash(), self.clock.now())
            .await?;
        Ok(SignedIn { token, account })
    }

    /// What a session cookie stands for now; ends the session when it has been idle too long.
    pub async fn resume(&self, token: &Token) -> Result<SessionState, StoreError> {
        let hash = token.hash();
        let Some(session) = self.repo.session(&hash).await? else {
            return Ok(SessionState::Unknown);
        };
        let now = self.clock.now();
        if now - session.last_seen_at >= self.settings.idle_timeout {
            self.repo.end_session(&hash).await?;
            return Ok(SessionState::TimedOut);
        }
        if now - session.last_seen_at >= Duration::seconds(TOUCH_EVERY_SECONDS) {
            self.repo.touch_session(&hash, now).await?;
        }
        Ok(SessionState::Active(session.account))
    }

    /// Ends the session ([Uitloggen]).
    pub async fn logout(&self, token: &Token) -> Result<(), StoreError> {
        self.repo.end_session(&token.hash()).await
    }
}
