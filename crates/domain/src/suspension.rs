//! Suspending and resuming a gemeente: a platformbeheerder closes a gemeente's portal for a
//! while. Nothing new can be started or bought there (a session started, planned or extended,
//! a top-up paid for); what runs runs out, and viewing, stopping (with its refund), history,
//! the resident's own data and logging out keep working. The rule is decided in the use cases
//! that start something ([`crate::parking::Parking`], [`crate::top_up::TopUps`]) on the
//! gemeente's state as read with the product, not in the pages.
//!
//! A change is one transaction with its audit entry (`tenant.suspended` with the reason,
//! `tenant.resumed`); asking for the state a gemeente is in already changes nothing and writes
//! nothing, and says so. A suspension without a usable reason is refused and that refusal is
//! on the record (`tenant.suspended`, refused, `reason_empty` or `reason_too_long`), as every
//! refused request of the console is. The instance that makes the change forgets the gemeenten it
//! remembered ([`crate::TenantDirectory::remembering`]) at once, so its pages show the notice
//! from the next request; another instance shows it once its remembered answer is older than
//! its `server.tenant_cache` (5 seconds by default). The refusals do not wait for that: the
//! products they judge are read with their gemeente's state on every instance.

use crate::audit::{Actor, AuditEntry, AuditRepository};
use crate::clock::Clock;
use crate::ports::StoreError;
use crate::staff::Role;
use crate::tenancy::TenantDirectory;
use crate::tenant::Tenant;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// The most characters a reason may have.
pub const REASON_MAX: usize = 500;

/// Why, since when and by whom a gemeente is suspended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspension {
    /// Since when.
    pub since: DateTime<Utc>,
    /// Who suspended it, as the audit trail names them (the address of the platformbeheerder).
    pub by: String,
    /// Why, as typed.
    pub reason: String,
}

/// A reason for a suspension: 1 to [`REASON_MAX`] characters once trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuspensionReason(String);

/// Why a typed reason is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReasonProblem {
    /// Nothing was typed.
    #[error("reason_empty")]
    Empty,
    /// More than [`REASON_MAX`] characters.
    #[error("reason_too_long")]
    TooLong,
}

impl SuspensionReason {
    /// Parses a typed reason.
    pub fn parse(typed: &str) -> Result<Self, ReasonProblem> {
        let reason = typed.trim();
        if reason.is_empty() {
            Err(ReasonProblem::Empty)
        } else if reason.chars().count() > REASON_MAX {
            Err(ReasonProblem::TooLong)
        } else {
            Ok(Self(reason.to_owned()))
        }
    }

    /// The reason as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What to do with a gemeente.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuspensionChange {
    /// Suspend it so.
    Suspend(Suspension),
    /// Make it active again.
    Resume,
}

/// What a change came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuspensionOutcome {
    /// Changed: the gemeente as it is now.
    Changed(Tenant),
    /// It was in that state already; nothing changed and nothing was recorded.
    Already(Tenant),
    /// The reason was refused; nothing changed (the refusal is on the record).
    Refused(ReasonProblem),
    /// No such gemeente.
    NotFound,
}

/// Suspending and resuming gemeenten.
#[derive(Clone)]
pub struct Suspensions {
    directory: TenantDirectory,
    audit: Arc<dyn AuditRepository>,
    clock: Arc<dyn Clock>,
}

impl Suspensions {
    /// On the platform's gemeenten (the directory the pages use, so that what it remembers is
    /// forgotten with a change), the audit trail (for refusals) and the clock.
    pub fn new(
        directory: TenantDirectory,
        audit: Arc<dyn AuditRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            directory,
            audit,
            clock,
        }
    }

    /// Suspends gemeente `slug` for the reason `typed`, by `actor` (a platformbeheerder) from
    /// `origin`.
    pub async fn suspend(
        &self,
        slug: &str,
        typed: &str,
        actor: Actor,
        origin: &str,
    ) -> Result<SuspensionOutcome, StoreError> {
        let now = self.clock.now();
        let reason = match SuspensionReason::parse(typed) {
            Ok(reason) => reason,
            Err(problem) => {
                let Some(tenant) = self.directory.by_slug(slug).await? else {
                    return Ok(SuspensionOutcome::NotFound);
                };
                let entry = AuditEntry::new(actor, "tenant.suspended", origin, now)
                    .about("tenant", tenant.id.0)
                    .within(Some(tenant.id), Some(Role::PlatformAdmin))
                    .refused(&problem.to_string());
                self.audit.record(&entry).await?;
                return Ok(SuspensionOutcome::Refused(problem));
            }
        };
        let suspension = Suspension {
            since: now,
            by: actor.label(),
            reason: reason.as_str().to_owned(),
        };
        let mut entry = AuditEntry::new(actor, "tenant.suspended", origin, now);
        entry.reason = Some(reason.as_str().to_owned());
        self.change(slug, SuspensionChange::Suspend(suspension), entry)
            .await
    }

    /// Makes gemeente `slug` active again, by `actor` from `origin`.
    pub async fn resume(
        &self,
        slug: &str,
        actor: Actor,
        origin: &str,
    ) -> Result<SuspensionOutcome, StoreError> {
        let entry = AuditEntry::new(actor, "tenant.resumed", origin, self.clock.now());
        self.change(slug, SuspensionChange::Resume, entry).await
    }

    async fn change(
        &self,
        slug: &str,
        change: SuspensionChange,
        entry: AuditEntry,
    ) -> Result<SuspensionOutcome, StoreError> {
        // The slug names the gemeente; its id does not change, so a remembered answer serves.
        let Some(tenant) = self.directory.by_slug(slug).await? else {
            return Ok(SuspensionOutcome::NotFound);
        };
        let entry = entry
            .about("tenant", tenant.id.0)
            .within(Some(tenant.id), Some(Role::PlatformAdmin));
        self.directory
            .change_suspension(tenant.id, &change, &entry)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_trimmed_and_bounded() {
        assert_eq!(
            SuspensionReason::parse("  onderhoud ").unwrap().as_str(),
            "onderhoud"
        );
        assert_eq!(SuspensionReason::parse(" \n "), Err(ReasonProblem::Empty));
        assert!(SuspensionReason::parse(&"é".repeat(REASON_MAX)).is_ok());
        assert_eq!(
            SuspensionReason::parse(&"x".repeat(REASON_MAX + 1)),
            Err(ReasonProblem::TooLong)
        );
    }
}
