//! A gemeente's API keys for the admin API (`/api/admin/v1`, `Authorization: Bearer KEY`):
//! named, per gemeente, with scopes, an optional expiry, revocable. A key is shown once, when it
//! is made; the database keeps only its SHA-256 (like session tokens), so a stolen table gives
//! no key. A key authenticates for its own gemeente only: the tenant comes from the key, and the
//! admin API scopes every query by it.
//!
//! Making and revoking a key are audited in the write's own transaction; a refusal (a bad name,
//! a name in use, an expiry in the past, a key that is not there) is recorded on its own, so
//! every attempt leaves exactly one entry.

use crate::audit::{Actor, AuditEntry, AuditRepository};
use crate::clock::Clock;
use crate::ids::{ApiKeyId, TenantId};
use crate::ports::StoreError;
use crate::secret::{RandomError, Token, TokenHash};
use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use std::collections::BTreeSet;
use std::sync::Arc;

/// What an API key may do in the admin API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Issue products (and their allocation letters).
    ProductsIssue,
    /// Read products.
    ProductsRead,
    /// Read (and download) allocation letters.
    LettersRead,
    /// Change the gemeente's configuration.
    ConfigWrite,
    /// Decide on applications.
    ApplicationsDecide,
}

impl Scope {
    /// Every scope, in the order the console shows them.
    pub const ALL: [Scope; 5] = [
        Self::ProductsIssue,
        Self::ProductsRead,
        Self::LettersRead,
        Self::ConfigWrite,
        Self::ApplicationsDecide,
    ];

    /// The scope's name, as typed, stored and shown: `products:issue`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProductsIssue => "products:issue",
            Self::ProductsRead => "products:read",
            Self::LettersRead => "letters:read",
            Self::ConfigWrite => "config:write",
            Self::ApplicationsDecide => "applications:decide",
        }
    }

    /// The scope named `s` (exactly, as [`Scope::as_str`] writes it).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == s)
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a set of scopes was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// No scope was given: a key that may do nothing is a mistake.
    #[error("api_key_scopes_missing")]
    Missing,
    /// A name is no scope; it is named so that the typo can be found.
    #[error("api_key_scopes_unknown: {0}")]
    Unknown(String),
}

impl ScopeError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "api_key_scopes_missing",
            Self::Unknown(_) => "api_key_scopes_unknown",
        }
    }
}

/// The scopes of a key: at least one, each once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    /// The scopes of `names` (surrounding spaces and empty names ignored); the first unknown
    /// name is refused by name, and no scope at all is refused.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, ScopeError> {
        let mut set = BTreeSet::new();
        for name in names.into_iter().map(str::trim).filter(|n| !n.is_empty()) {
            let scope = Scope::parse(name).ok_or_else(|| ScopeError::Unknown(name.to_owned()))?;
            set.insert(scope);
        }
        if set.is_empty() {
            return Err(ScopeError::Missing);
        }
        Ok(Self(set))
    }

    /// The scopes of `S1,S2` (as typed on the command line and as stored).
    pub fn parse(s: &str) -> Result<Self, ScopeError> {
        Self::from_names(s.split(','))
    }

    /// Whether `scope` is one of them.
    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    /// The scopes, in the order of [`Scope::ALL`].
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }
}

impl std::fmt::Display for Scopes {
    /// `S1,S2`: what [`Scopes::parse`] reads back.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.iter().map(Scope::as_str).collect();
        f.write_str(&names.join(","))
    }
}

/// What every key starts with, so that a key found in a log or a repository is recognised.
pub const API_KEY_PREFIX: &str = "ppk_";

/// An API key itself: `ppk_` and 64 hex digits (256 random bits), URL-safe characters only.
/// Shown once; its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(Token);

impl std::fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKeySecret(…)")
    }
}

impl ApiKeySecret {
    /// A fresh key from the system's random source.
    pub fn generate() -> Result<Self, RandomError> {
        Ok(Self(Token::generate()?))
    }

    /// A key a client presented; anything not shaped like one of ours is `None`.
    pub fn parse(presented: &str) -> Option<Self> {
        let rest = presented.trim().strip_prefix(API_KEY_PREFIX)?;
        Token::parse(rest).map(Self)
    }

    /// The key as it is handed out, once.
    pub fn expose(&self) -> String {
        format!("{API_KEY_PREFIX}{}", self.0.expose())
    }

    /// What the database keeps: the token hash of the key's random part (a fast hash is right
    /// for 256 random bits, see [`Token::hash`]).
    pub fn hash(&self) -> TokenHash {
        self.0.hash()
    }
}

/// The longest name of a key, in characters.
pub const NAME_MAX: usize = 100;

/// How long a key's last use may be stale: its use is written at most once per this interval,
/// so that a busy client does not cost a write per request.
pub const LAST_USE_GRANULARITY: Duration = Duration::minutes(1);

/// A key as stored (without its secret, which is not stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// Its id.
    pub id: ApiKeyId,
    /// Its gemeente.
    pub tenant: TenantId,
    /// Its name, unique in the gemeente among keys not revoked.
    pub name: String,
    /// What it may do.
    pub scopes: Scopes,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Who made it, as the audit log reads them.
    pub created_by: String,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used (to the minute, see [`LAST_USE_GRANULARITY`]).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Whether a key works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyStatus {
    /// It authenticates.
    Active,
    /// Its expiry has passed.
    Expired,
    /// It was revoked.
    Revoked,
}

impl ApiKeyStatus {
    /// The status's name: `active`, `expired`, `revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }
}

impl ApiKeyRecord {
    /// The key as the actor of an audit entry.
    pub fn actor(&self) -> Actor {
        Actor::ApiKey {
            id: self.id,
            name: self.name.clone(),
        }
    }

    /// Whether the key works at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> ApiKeyStatus {
        if self.revoked_at.is_some() {
            ApiKeyStatus::Revoked
        } else if self.expires_at.is_some_and(|until| until <= now) {
            ApiKeyStatus::Expired
        } else {
            ApiKeyStatus::Active
        }
    }
}

/// A key to store.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// Its gemeente.
    pub tenant: TenantId,
    /// Its name (trimmed, checked).
    pub name: String,
    /// Its scopes.
    pub scopes: Scopes,
    /// The hash of its secret.
    pub hash: TokenHash,
    /// When it is made.
    pub created_at: DateTime<Utc>,
    /// Who makes it, as the audit log reads them.
    pub created_by: String,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A key that authenticated: all the admin API needs to know of its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedKey {
    /// The key.
    pub id: ApiKeyId,
    /// Its gemeente: the only one whose data the call may reach.
    pub tenant: TenantId,
    /// Its name, the actor of the call in the audit log.
    pub name: String,
    /// What it may do.
    pub scopes: Scopes,
}

impl AuthenticatedKey {
    /// Whether the key may do what `scope` permits.
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(scope)
    }

    /// The key as the actor of an audit entry.
    pub fn actor(&self) -> Actor {
        Actor::ApiKey {
            id: self.id,
            name: self.name.clone(),
        }
    }
}

/// Why making or revoking a key was not done.
#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    /// The name is empty.
    #[error("api_key_name_missing")]
    NameMissing,
    /// The name is longer than [`NAME_MAX`] characters.
    #[error("api_key_name_long")]
    NameTooLong,
    /// A key of the gemeente that is not revoked has this name.
    #[error("api_key_name_taken")]
    NameTaken,
    /// The scopes were refused.
    #[error(transparent)]
    Scopes(#[from] ScopeError),
    /// The expiry is not in the future.
    #[error("api_key_expiry_passed")]
    ExpiryPassed,
    /// The gemeente has no such key (another gemeente's key included).
    #[error("api_key_not_found")]
    NotFound,
    /// The key was revoked before.
    #[error("api_key_revoked")]
    AlreadyRevoked,
    /// No random key could be made.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiKeyError {
    /// The stable code, for the audit log and the pages' texts.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NameMissing => "api_key_name_missing",
            Self::NameTooLong => "api_key_name_long",
            Self::NameTaken => "api_key_name_taken",
            Self::Scopes(e) => e.code(),
            Self::ExpiryPassed => "api_key_expiry_passed",
            Self::NotFound => "api_key_not_found",
            Self::AlreadyRevoked => "api_key_revoked",
            Self::Random(_) => "random_failed",
            Self::Store(_) => "store_failed",
        }
    }

    /// Whether the error is a refusal of what was asked (recorded as such), not a failure.
    fn is_refusal(&self) -> bool {
        !matches!(self, Self::Random(_) | Self::Store(_))
    }
}

/// A key's name as typed: trimmed, 1 to [`NAME_MAX`] characters.
pub fn check_name(typed: &str) -> Result<String, ApiKeyError> {
    let name = typed.trim();
    if name.is_empty() {
        return Err(ApiKeyError::NameMissing);
    }
    if name.chars().count() > NAME_MAX {
        return Err(ApiKeyError::NameTooLong);
    }
    Ok(name.to_owned())
}

/// An expiry for a key made at `now`: none, or one in the future.
pub fn check_expiry(
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), ApiKeyError> {
    match expires_at {
        Some(until) if until <= now => Err(ApiKeyError::ExpiryPassed),
        _ => Ok(()),
    }
}

/// The expiry of a key valid through local `date` of `tz`: the start of the next day.
pub fn expiry_after(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    crate::calendar::day_bounds(tz, date).1
}

/// A name in use (a key not revoked has it): what the store answers a create with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameTaken;

/// Storage of API keys. Every query but [`ApiKeyRepository::by_hash`] is scoped by the
/// gemeente's id; every write takes its audit entry and writes it in its own transaction.
#[async_trait]
pub trait ApiKeyRepository: Send + Sync {
    /// Stores `new` with `audit` (about the new key, once it has an id), or refuses a name
    /// that a key of the gemeente not revoked has.
    async fn create(
        &self,
        new: &NewApiKey,
        audit: &AuditEntry,
    ) -> Result<Result<ApiKeyRecord, NameTaken>, StoreError>;
    /// The keys of `tenant`, revoked ones included, newest first.
    async fn list(&self, tenant: TenantId) -> Result<Vec<ApiKeyRecord>, StoreError>;
    /// Key `id` of `tenant` (`None` for a key of another gemeente).
    async fn get(&self, tenant: TenantId, id: ApiKeyId)
    -> Result<Option<ApiKeyRecord>, StoreError>;
    /// Revokes key `id` of `tenant` at `at` with `audit`; `false` (and no entry) when it is not
    /// there or was revoked already.
    async fn revoke(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// The key whose secret hashes to `hash`, in whichever gemeente.
    async fn by_hash(&self, hash: &TokenHash) -> Result<Option<ApiKeyRecord>, StoreError>;
    /// Records that key `id` of `tenant` was used at `at`.
    async fn touch(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// The use cases of API keys: making, listing and revoking them (console and command line),
/// and authenticating a presented key (the admin API).
#[derive(Clone)]
pub struct ApiKeys {
    repo: Arc<dyn ApiKeyRepository>,
    audit: Arc<dyn AuditRepository>,
    clock: Arc<dyn Clock>,
}

impl ApiKeys {
    /// The use cases on their ports.
    pub fn new(
        repo: Arc<dyn ApiKeyRepository>,
        audit: Arc<dyn AuditRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { repo, audit, clock }
    }

    /// The time now, for pages that show a key's status.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Makes a key of `tenant` named `name` with `scopes`, working until `expires_at` (if
    /// given); `audit` (action `api_key.created`, its actor the maker) is written with it, or
    /// as a refusal. The secret is returned once and never again.
    pub async fn create(
        &self,
        tenant: TenantId,
        name: &str,
        scopes: Scopes,
        expires_at: Option<DateTime<Utc>>,
        audit: AuditEntry,
    ) -> Result<(ApiKeyRecord, ApiKeySecret), ApiKeyError> {
        let role = audit.role;
        let audit = audit.within(Some(tenant), role);
        let made = self
            .try_create(tenant, name, scopes, expires_at, &audit)
            .await;
        self.refused_on_error(made, audit).await
    }

    async fn try_create(
        &self,
        tenant: TenantId,
        name: &str,
        scopes: Scopes,
        expires_at: Option<DateTime<Utc>>,
        audit: &AuditEntry,
    ) -> Result<(ApiKeyRecord, ApiKeySecret), ApiKeyError> {
        let name = check_name(name)?;
        let now = self.clock.now();
        check_expiry(expires_at, now)?;
        let secret = ApiKeySecret::generate()?;
        let new = NewApiKey {
            tenant,
            name,
            scopes,
            hash: secret.hash(),
            created_at: now,
            created_by: audit.actor.label(),
            expires_at,
        };
        match self.repo.create(&new, audit).await? {
            Ok(record) => Ok((record, secret)),
            Err(NameTaken) => Err(ApiKeyError::NameTaken),
        }
    }

    /// Records `audit` as refused for `reason`: for input the caller could not even read (a
    /// scope that is none, a date that is none), so that the attempt is on the record too.
    pub async fn refuse(&self, audit: AuditEntry, reason: &str) -> Result<(), StoreError> {
        self.audit.record(&audit.refused(reason)).await
    }

    /// `result`, with its refusal recorded on `audit` when it is one.
    async fn refused_on_error<T>(
        &self,
        result: Result<T, ApiKeyError>,
        audit: AuditEntry,
    ) -> Result<T, ApiKeyError> {
        if let Err(e) = &result
            && e.is_refusal()
        {
            self.refuse(audit, e.code()).await?;
        }
        result
    }

    /// The keys of `tenant`, newest first.
    pub async fn list(&self, tenant: TenantId) -> Result<Vec<ApiKeyRecord>, StoreError> {
        self.repo.list(tenant).await
    }

    /// Key `id` of `tenant`; a key of another gemeente is [`ApiKeyError::NotFound`].
    pub async fn get(&self, tenant: TenantId, id: ApiKeyId) -> Result<ApiKeyRecord, ApiKeyError> {
        self.repo
            .get(tenant, id)
            .await?
            .ok_or(ApiKeyError::NotFound)
    }

    /// Revokes key `id` of `tenant` at once; `audit` (action `api_key.revoked`) is written
    /// with it, or as a refusal (not there, another gemeente's, revoked before).
    pub async fn revoke(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        audit: AuditEntry,
    ) -> Result<ApiKeyRecord, ApiKeyError> {
        let role = audit.role;
        let audit = audit.within(Some(tenant), role).about("api_key", id);
        let revoked = self.try_revoke(tenant, id, &audit).await;
        self.refused_on_error(revoked, audit).await
    }

    async fn try_revoke(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        audit: &AuditEntry,
    ) -> Result<ApiKeyRecord, ApiKeyError> {
        let mut key = self.get(tenant, id).await?;
        if key.revoked_at.is_some() {
            return Err(ApiKeyError::AlreadyRevoked);
        }
        let now = self.clock.now();
        // Revoked meanwhile by someone else: the same as before.
        if !self.repo.revoke(tenant, id, now, audit).await? {
            return Err(ApiKeyError::AlreadyRevoked);
        }
        key.revoked_at = Some(now);
        Ok(key)
    }

    /// A presented key that no longer authenticates but was one of a gemeente's (revoked or
    /// expired), with its status: its use is recorded where that gemeente's beheerder reads,
    /// since it may have leaked. `None` for anything else.
    pub async fn spent(
        &self,
        presented: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(ApiKeyRecord, ApiKeyStatus)>, StoreError> {
        let Some(secret) = ApiKeySecret::parse(presented) else {
            return Ok(None);
        };
        Ok(self
            .repo
            .by_hash(&secret.hash())
            .await?
            .map(|key| {
                let status = key.status(now);
                (key, status)
            })
            .filter(|(_, status)| *status != ApiKeyStatus::Active))
    }

    /// The key `presented` (the admin API's bearer token) at `now`: its id, gemeente, name and
    /// scopes when it is known, not revoked and not expired; `None` otherwise, without saying
    /// why (a caller learns nothing from guessing).
    ///
    /// The key's last use is written only when the stored one is older than
    /// [`LAST_USE_GRANULARITY`]: "last used" to the minute is enough for a beheerder, and a
    /// write per request would make every API call a write.
    pub async fn authenticate(
        &self,
        presented: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<AuthenticatedKey>, StoreError> {
        let Some(secret) = ApiKeySecret::parse(presented) else {
            return Ok(None);
        };
        let Some(key) = self.repo.by_hash(&secret.hash()).await? else {
            return Ok(None);
        };
        if key.status(now) != ApiKeyStatus::Active {
            return Ok(None);
        }
        if key
            .last_used_at
            .is_none_or(|last| now - last >= LAST_USE_GRANULARITY)
        {
            self.repo.touch(key.tenant, key.id, now).await?;
        }
        Ok(Some(AuthenticatedKey {
            id: key.id,
            tenant: key.tenant,
            name: key.name,
            scopes: key.scopes,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_from_a_comma_list_and_back() {
        let s = Scopes::parse("letters:read, products:issue,products:issue").unwrap();
        assert!(s.contains(Scope::ProductsIssue) && s.contains(Scope::LettersRead));
        assert!(!s.contains(Scope::ConfigWrite));
        assert_eq!(s.to_string(), "products:issue,letters:read");
        assert_eq!(Scopes::parse(&s.to_string()).unwrap(), s);
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        let all = Scope::ALL.map(Scope::as_str).join(",");
        assert_eq!(Scopes::parse(&all).unwrap().iter().count(), 5);
    }

    #[test]
    fn an_unknown_scope_is_named_and_an_empty_set_refused() {
        let e = Scopes::parse("products:read,products:write").unwrap_err();
        assert_eq!(e, ScopeError::Unknown("products:write".into()));
        assert!(e.to_string().contains("products:write"));
        assert_eq!(e.code(), "api_key_scopes_unknown");
        assert_eq!(Scopes::parse("").unwrap_err(), ScopeError::Missing);
        assert_eq!(Scopes::parse(" , ").unwrap_err(), ScopeError::Missing);
        assert!(Scope::parse("Products:Read").is_none());
    }

    #[test]
    fn keys_are_url_safe_hashed_and_parse_back() {
        let key = ApiKeySecret::generate().unwrap();
        let shown = key.expose();
        assert!(shown.starts_with("ppk_") && shown.len() == 68);
        assert!(
            shown
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        );
        assert_eq!(ApiKeySecret::parse(&shown).unwrap().hash(), key.hash());
        assert!(!key.hash().as_str().contains(&shown[4..]));
        assert!(!format!("{key:?}").contains(&shown[4..]));
        assert!(ApiKeySecret::parse(&shown[4..]).is_none());
        assert!(ApiKeySecret::parse("ppk_abc").is_none());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(check_name("  koppeling  ").unwrap(), "koppeling");
        assert!(matches!(check_name("   "), Err(ApiKeyError::NameMissing)));
        assert!(matches!(
            check_name(&"x".repeat(101)),
            Err(ApiKeyError::NameTooLong)
        ));
        assert!(check_name(&"é".repeat(100)).is_ok());
    }

    #[test]
    fn a_key_expires_at_the_end_of_its_last_day() {
        let tz: Tz = "Europe/Amsterdam".parse().unwrap();
        let until = expiry_after(tz, NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        assert_eq!(until.to_rfc3339(), "2026-12-31T23:00:00+00:00");
    }
}
