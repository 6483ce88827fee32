//! The audit trail of the staff side: who did what, to what, in which gemeente, with what result,
//! from where and when. A change's entry is written in the change's own transaction (the store
//! function of the change takes the entry with its command), so a change that rolls back leaves
//! no entry and no change exists without one; an event that changes nothing (a login, a refusal,
//! a read of personal data) is written on its own through [`AuditRepository::record`]. The log is
//! append-only: only housekeeping removes entries older than the retention.

use crate::ids::{StaffId, TenantId};
use crate::ports::StoreError;
use crate::staff::Role;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditResult {
    /// It happened.
    Ok,
    /// It was refused before anything changed (a wrong code, a missing right, a bad input).
    Refused,
}

impl AuditResult {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Refused => "refused",
        }
    }

    /// The result of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ok" => Some(Self::Ok),
            "refused" => Some(Self::Refused),
            _ => None,
        }
    }
}

/// Who acted: a staff member (by id, with the address they had then, so the entry still reads
/// after the account changes), an API key of the admin API (by id and name), or the command
/// line of the server's operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A staff member in the console.
    Staff {
        /// The account.
        id: StaffId,
        /// Its address at the time.
        email: String,
    },
    /// Someone whose account is not known: the address typed at a login (only when it is one:
    /// a password pasted in the wrong field never lands in the log), or nothing.
    Unknown(String),
    /// The operator on the server's command line.
    Operator,
    /// A call of the admin API, made with an API key of the gemeente.
    ApiKey {
        /// The key.
        id: crate::ids::ApiKeyId,
        /// Its name at the time.
        name: String,
    },
    /// The gemeente's rule script, deciding an application in the digitaal loket.
    Rule,
}

impl Actor {
    /// A staff member as the actor.
    pub fn of(member: &crate::staff::StaffMember) -> Self {
        Self::Staff {
            id: member.id,
            email: member.email.to_string(),
        }
    }

    /// The staff member's id, if the actor is one.
    pub fn staff_id(&self) -> Option<StaffId> {
        match self {
            Self::Staff { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// How the actor reads in the log.
    pub fn label(&self) -> String {
        match self {
            Self::Staff { email, .. } => email.clone(),
            Self::Unknown(typed) if typed.is_empty() => "(unknown)".to_owned(),
            Self::Unknown(typed) => typed.chars().take(200).collect(),
            Self::Operator => "command line".to_owned(),
            Self::ApiKey { name, .. } => format!("api-sleutel {name}"),
            Self::Rule => "regel (digitaal loket)".to_owned(),
        }
    }
}

/// What an entry is about: the kind of object and its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditObject {
    /// `staff`, `product`, `tenant`, `session`, ...
    pub kind: &'static str,
    /// Its id (or ids, comma-separated, for a search).
    pub id: String,
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Who.
    pub actor: Actor,
    /// In which role, if a role was in play.
    pub role: Option<Role>,
    /// In which gemeente (`None`: the platform, or a login).
    pub tenant: Option<TenantId>,
    /// What, as a dotted name: `staff.login`, `staff.code`, `staff.created`, ...
    pub action: &'static str,
    /// To what.
    pub object: Option<AuditObject>,
    /// How it ended.
    pub result: AuditResult,
    /// Why, where a reason was asked or a refusal has one (a stable code).
    pub reason: Option<String>,
    /// The client's network address, or `cli`.
    pub origin: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl AuditEntry {
    /// An entry of `action` by `actor` from `origin` at `at`, ended `ok`, about nothing yet.
    pub fn new(actor: Actor, action: &'static str, origin: &str, at: DateTime<Utc>) -> Self {
        Self {
            actor,
            role: None,
            tenant: None,
            action,
            object: None,
            result: AuditResult::Ok,
            reason: None,
            origin: origin.chars().take(100).collect(),
            at,
        }
    }

    /// About `kind` `id`.
    pub fn about(mut self, kind: &'static str, id: impl ToString) -> Self {
        self.object = Some(AuditObject {
            kind,
            id: id.to_string(),
        });
        self
    }

    /// In `tenant` as `role`.
    pub fn within(mut self, tenant: Option<TenantId>, role: Option<Role>) -> Self {
        self.tenant = tenant;
        self.role = role;
        self
    }

    /// Ended `ok`, with `reason` (what changed, say).
    pub fn with_reason(mut self, reason: String) -> Self {
        self.reason = Some(reason);
        self
    }

    /// Refused, for `reason`.
    pub fn refused(mut self, reason: &str) -> Self {
        self.result = AuditResult::Refused;
        self.reason = Some(reason.to_owned());
        self
    }
}

/// An entry as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAuditEntry {
    /// Its id.
    pub id: crate::ids::AuditId,
    /// The staff member who acted, if one did.
    pub actor_id: Option<StaffId>,
    /// How the actor reads.
    pub actor: String,
    /// The role, by its stored name.
    pub role: Option<String>,
    /// The gemeente.
    pub tenant: Option<TenantId>,
    /// The action.
    pub action: String,
    /// The object's kind.
    pub object_kind: Option<String>,
    /// The object's id.
    pub object_id: Option<String>,
    /// `ok` or `refused`.
    pub result: String,
    /// The reason.
    pub reason: Option<String>,
    /// Where from.
    pub origin: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Which entries to read: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this gemeente's entries (`None`: every entry, for the platform).
    pub tenant: Option<TenantId>,
    /// Only entries whose actor reads like this (a part of the address, any case).
    pub actor: Option<String>,
    /// Only actions starting with this (`staff.login` takes the password and the code step).
    pub action: Option<String>,
    /// Only entries about objects of this kind (`staff`, `path`, ...).
    pub object_kind: Option<String>,
    /// Only entries about the object with this id.
    pub object_id: Option<String>,
    /// Only entries that ended so.
    pub result: Option<AuditResult>,
    /// Only entries written at or after this.
    pub from: Option<DateTime<Utc>>,
    /// Only entries written before this.
    pub until: Option<DateTime<Utc>>,
}

/// Entries shown on a page of the audit log.
pub const AUDIT_PAGE_SIZE: u64 = 50;
/// The most entries one export holds.
pub const AUDIT_EXPORT_MAX: u64 = 100_000;

/// One page of the log, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// Its entries.
    pub entries: Vec<StoredAuditEntry>,
    /// Which page, from 1.
    pub page: u64,
    /// Whether an older page follows.
    pub has_next: bool,
}

/// The last page a paged list of the console shows: a page number beyond it reads as it, so
/// that no typed number makes an offset the database refuses (or an overflow).
pub const MAX_PAGE: u64 = 100_000;

/// Page `page` (from 1) of the entries matching `filter`, newest first.
pub async fn page_of(
    repo: &dyn AuditRepository,
    filter: &AuditFilter,
    page: u64,
) -> Result<AuditPage, StoreError> {
    let page = page.clamp(1, MAX_PAGE);
    let mut entries = repo
        .entries(filter, AUDIT_PAGE_SIZE + 1, (page - 1) * AUDIT_PAGE_SIZE)
        .await?;
    let has_next = entries.len() as u64 > AUDIT_PAGE_SIZE;
    entries.truncate(AUDIT_PAGE_SIZE as usize);
    Ok(AuditPage {
        entries,
        page,
        has_next,
    })
}

/// The audit trail's storage: writing and reading, never deleting (only housekeeping removes
/// entries past the retention, through its own port).
#[async_trait]
pub trait AuditRepository: Send + Sync {
    /// Writes an entry on its own (an event that changes nothing else).
    async fn record(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// The entries matching `filter`, newest first: at most `limit`, after skipping `offset`.
    async fn entries(
        &self,
        filter: &AuditFilter,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<StoredAuditEntry>, StoreError>;
}
