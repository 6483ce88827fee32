//! Staff accounts, apart from residents' accounts (one person may have both under one address;
//! they share nothing): the medewerkers and beheerders of a gemeente and the platformbeheerders,
//! each logging in with a password and a second factor, enrolled through a one-time link.

mod enrolment;
mod login;
mod management;
pub mod totp;

pub use enrolment::{
    ChosenPassword, ENROLMENT_PATH, EnrolError, Enrolled, Enrolment, NewLink, OpenLink,
};
pub use login::{CodeError, PasswordStep, StaffAuth, StaffLoginError, StaffState};
pub use management::{Invited, ManageError, StaffAct, StaffManagement};

use crate::audit::AuditEntry;
use crate::email::EmailAddress;
use crate::ids::{StaffId, TenantId};
use crate::mail::OutgoingMail;
use crate::password::{NewPassword, PasswordProblem};
use crate::ports::StoreError;
use crate::secret::TokenHash;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

/// What a staff member may do in a gemeente, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Medewerker: products, letters, helping residents, applications.
    Staff,
    /// Beheerder: all of that plus the gemeente's configuration, its staff and its audit log.
    TenantAdmin,
    /// Platformbeheerder: gemeenten and their beheerders, the platform's audit log, and every
    /// gemeente's console with a beheerder's rights.
    PlatformAdmin,
}

impl Role {
    /// The stored and configured name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::TenantAdmin => "tenant_admin",
            Self::PlatformAdmin => "platform_admin",
        }
    }

    /// The role of a stored or typed name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "staff" => Some(Self::Staff),
            "tenant_admin" => Some(Self::TenantAdmin),
            "platform_admin" => Some(Self::PlatformAdmin),
            _ => None,
        }
    }

    /// Whether this role may open what `needed` may (the roles form a ladder).
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

/// A role in one gemeente.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    /// The gemeente.
    pub tenant: TenantId,
    /// The role there (`Staff` or `TenantAdmin`).
    pub role: Role,
}

/// A staff member as the console sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    /// The account's id.
    pub id: StaffId,
    /// The address they log in with.
    pub email: EmailAddress,
    /// Their name, as shown in the console and the audit log.
    pub name: String,
    /// Whether they are a platformbeheerder.
    pub platform_admin: bool,
    /// A deactivated account cannot log in and its sessions have ended.
    pub active: bool,
    /// Their roles per gemeente.
    pub roles: Vec<Assignment>,
}

/// The address domain of the demo's staff accounts.
pub const DEMO_STAFF_DOMAIN: &str = "demo.parkportal.nl";

impl StaffMember {
    /// Whether this is one of the demo's accounts, which work only in the demo.
    pub fn is_demo(&self) -> bool {
        self.email
            .as_str()
            .rsplit_once('@')
            .is_some_and(|(_, domain)| domain == DEMO_STAFF_DOMAIN)
    }

    /// Their role in `tenant`: a platformbeheerder has one everywhere; `None` where they have
    /// none (the console answers 404 there).
    pub fn role_in(&self, tenant: TenantId) -> Option<Role> {
        if self.platform_admin {
            return Some(Role::PlatformAdmin);
        }
        self.roles
            .iter()
            .filter(|a| a.tenant == tenant)
            .map(|a| a.role)
            .max()
    }
}

/// A staff member with what proves them, for the login only.
#[derive(Debug, Clone)]
pub struct StaffCredentials {
    /// The member.
    pub member: StaffMember,
    /// The argon2id PHC string; `None` until they chose a password at enrolment.
    pub password_hash: Option<String>,
    /// The confirmed TOTP secret in base32; `None` until enrolled (or after a reset).
    pub totp_secret: Option<String>,
    /// The last TOTP step accepted: a code of it or an earlier step is a replay.
    pub last_step: Option<i64>,
}

/// How far a login session has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The password was right; the second factor is asked.
    Code,
    /// An enrolment link was used and the password chosen; the authenticator is being set up.
    Enrol,
    /// Logged in.
    Active,
}

impl Stage {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Enrol => "enrol",
            Self::Active => "active",
        }
    }

    /// The stage of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "code" => Some(Self::Code),
            "enrol" => Some(Self::Enrol),
            "active" => Some(Self::Active),
            _ => None,
        }
    }
}

/// A login session of a staff member, as stored.
#[derive(Debug, Clone)]
pub struct StaffSession {
    /// Whose.
    pub member: StaffMember,
    /// How far it has come.
    pub stage: Stage,
    /// When it began (the longest login counts from here).
    pub started_at: DateTime<Utc>,
    /// When it was last used.
    pub last_seen_at: DateTime<Utc>,
}

/// An account to create.
#[derive(Debug, Clone)]
pub struct NewStaff {
    /// The address.
    pub email: EmailAddress,
    /// The name.
    pub name: String,
    /// A platformbeheerder, or else someone with `role`.
    pub platform_admin: bool,
    /// Their first role in a gemeente.
    pub role: Option<Assignment>,
}

/// An enrolment link as stored.
#[derive(Debug, Clone)]
pub struct StoredLink {
    /// For whom.
    pub member: StaffMember,
    /// Until when it works.
    pub expires_at: DateTime<Utc>,
    /// When it was used, if it was.
    pub used_at: Option<DateTime<Utc>>,
}

/// A staff member as a gemeente's console lists them: their role there and how far their
/// enrolment is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffListing {
    /// The member, with every role they have.
    pub member: StaffMember,
    /// Their role in the gemeente listed.
    pub role: Role,
    /// Whether they confirmed a second factor (and so can log in).
    pub enrolled: bool,
    /// Until when their newest unused enrolment link works, if one does.
    pub link_expires_at: Option<DateTime<Utc>>,
}

/// A beheerder of a gemeente, as the platform's list of gemeenten names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beheerder {
    /// The gemeente.
    pub tenant: TenantId,
    /// The account.
    pub id: StaffId,
    /// Their name.
    pub name: String,
    /// Their address.
    pub email: EmailAddress,
    /// Whether the account is active.
    pub active: bool,
}

/// A role changed: what it was before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleChange {
    /// The role before (`None`: they had none in the gemeente).
    pub before: Option<Role>,
}

/// The address already has a staff account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("staff_email_taken")]
pub struct EmailTaken;

/// Staff accounts, their login sessions, enrolment links and second factors. Every change takes
/// its audit entry and writes it in its own transaction.
#[async_trait]
pub trait StaffRepository: Send + Sync {
    /// Creates an account with its first role and its enrolment link, and queues `mail` (the
    /// link) in the outbox, in one transaction.
    async fn create(
        &self,
        new: &NewStaff,
        link: &TokenHash,
        expires_at: DateTime<Utc>,
        audit: &AuditEntry,
        mail: Option<&OutgoingMail>,
    ) -> Result<Result<StaffId, EmailTaken>, StoreError>;
    /// The account with this address, with what proves it.
    async fn credentials(
        &self,
        email: &EmailAddress,
    ) -> Result<Option<StaffCredentials>, StoreError>;
    /// The account with this id, with what proves it.
    async fn credentials_of(&self, id: StaffId) -> Result<Option<StaffCredentials>, StoreError>;
    /// The enrolment link with this hash.
    async fn link(&self, link: &TokenHash) -> Result<Option<StoredLink>, StoreError>;
    /// Uses the unused, unexpired link: sets the password, forgets any second factor and
    /// recovery codes, ends every session of the account and starts `session` at
    /// [`Stage::Enrol`]. `None` when the link is used or expired by `now`.
    async fn use_link(
        &self,
        link: &TokenHash,
        password_hash: &str,
        session: &TokenHash,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Option<StaffMember>, StoreError>;
    /// The secret being set up at enrolment, if one was made.
    async fn pending_secret(&self, staff: StaffId) -> Result<Option<String>, StoreError>;
    /// Keeps `secret` as the one being set up, unless one is already (two tabs of the
    /// enrolment page show the same QR code); the secret kept comes back.
    async fn set_pending_secret(&self, staff: StaffId, secret: &str) -> Result<String, StoreError>;
    /// Makes the pending secret the account's second factor with `step` accepted, stores the
    /// recovery codes' hashes (replacing any), and replaces the enrolment session `old` by the
    /// active session `new`. `false` when `old` is no longer an enrolment session.
    #[expect(clippy::too_many_arguments, reason = "one transaction's inputs")]
    async fn confirm_second_factor(
        &self,
        staff: StaffId,
        step: i64,
        recovery: &[String],
        old: &TokenHash,
        new: &TokenHash,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Stores a new login session at `stage`, with the entry of the step that made it.
    async fn create_session(
        &self,
        staff: StaffId,
        token: &TokenHash,
        stage: Stage,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;
    /// The session with this hash.
    async fn session(&self, token: &TokenHash) -> Result<Option<StaffSession>, StoreError>;
    /// Records activity.
    async fn touch_session(&self, token: &TokenHash, now: DateTime<Utc>) -> Result<(), StoreError>;
    /// Ends a session (logout, time-out), with the entry that says why.
    async fn end_session(&self, token: &TokenHash, audit: &AuditEntry) -> Result<(), StoreError>;
    /// Accepts TOTP `step` if it is later than the last accepted one (a replay is refused:
    /// `false`) and replaces the code session `old` by the active session `new`.
    async fn accept_code(
        &self,
        staff: StaffId,
        step: i64,
        old: &TokenHash,
        new: &TokenHash,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Uses the unused recovery code with this hash (`false`: none such) and replaces the code
    /// session `old` by the active session `new`.
    async fn use_recovery_code(
        &self,
        staff: StaffId,
        hash: &str,
        old: &TokenHash,
        new: &TokenHash,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// How many recovery codes are left unused.
    async fn recovery_codes_left(&self, staff: StaffId) -> Result<u32, StoreError>;
    /// Deactivates the account (`active` false: every session of it ends in the same
    /// transaction) or reactivates it; `false` when it already was so.
    async fn set_active(
        &self,
        staff: StaffId,
        active: bool,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// The staff with a role in `tenant`, by name.
    async fn members_in(&self, tenant: TenantId) -> Result<Vec<StaffListing>, StoreError>;
    /// The beheerders of every gemeente, by gemeente and name.
    async fn beheerders(&self) -> Result<Vec<Beheerder>, StoreError>;
    /// The staff member `staff` if they have a role in `tenant`.
    async fn member_in(
        &self,
        tenant: TenantId,
        staff: StaffId,
    ) -> Result<Option<StaffListing>, StoreError>;
    /// Gives `staff` `role` in `tenant` (`None`: takes their role there away); `None` when it
    /// already was so (and nothing is written).
    async fn set_role(
        &self,
        tenant: TenantId,
        staff: StaffId,
        role: Option<Role>,
        audit: &AuditEntry,
    ) -> Result<Option<RoleChange>, StoreError>;
    /// Forgets the second factor and the recovery codes, ends every session and stores a new
    /// enrolment link (the way back in after a lost authenticator).
    async fn reset_second_factor(
        &self,
        staff: StaffId,
        link: &TokenHash,
        expires_at: DateTime<Utc>,
        audit: &AuditEntry,
        mail: Option<&OutgoingMail>,
    ) -> Result<(), StoreError>;
}

/// What the staff use cases stand on: the accounts, the audit trail, the password hasher, the
/// clock, the counters of failures and the settings.
#[derive(Clone)]
pub struct StaffPorts {
    /// Staff accounts, sessions, links and second factors.
    pub repo: std::sync::Arc<dyn StaffRepository>,
    /// The audit trail.
    pub audit: std::sync::Arc<dyn crate::audit::AuditRepository>,
    /// Passwords (argon2id).
    pub hasher: std::sync::Arc<dyn crate::accounts::PasswordHasher>,
    /// The clock.
    pub clock: std::sync::Arc<dyn crate::Clock>,
    /// The counters of failures.
    pub throttle: crate::throttle::Throttle,
    /// Time-outs and lifetimes.
    pub settings: StaffSettings,
}

/// Time-outs and lifetimes of the console's login.
#[derive(Debug, Clone, Copy)]
pub struct StaffSettings {
    /// A session without activity for this long has ended (15 minutes by default).
    pub idle_timeout: Duration,
    /// The longest a login lasts, however active (10 hours by default).
    pub max_session: Duration,
    /// How long an enrolment link works (24 hours by default).
    pub enrolment_link: Duration,
    /// Whether the demo's staff accounts (at [`DEMO_STAFF_DOMAIN`]) may log in: only while the
    /// server runs as the demo, so never where the public URL is https.
    pub demo_accounts: bool,
}

impl Default for StaffSettings {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::minutes(15),
            max_session: Duration::hours(10),
            enrolment_link: Duration::hours(24),
            demo_accounts: false,
        }
    }
}

/// The shortest staff password: stricter than a resident's.
pub const STAFF_MIN_LENGTH: usize = 12;

/// A new staff password: the resident rules, and at least [`STAFF_MIN_LENGTH`] characters.
#[derive(Debug, Clone)]
pub struct StaffPassword(NewPassword);

impl StaffPassword {
    /// Checks `password` and its repetition.
    pub fn parse(password: &str, repeat: &str) -> Result<Self, PasswordProblem> {
        if password.chars().count() < STAFF_MIN_LENGTH {
            return Err(PasswordProblem::TooShortForStaff);
        }
        NewPassword::parse(password, repeat).map(Self)
    }

    /// The password, for the hasher.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(platform_admin: bool, roles: Vec<Assignment>) -> StaffMember {
        StaffMember {
            id: StaffId(1),
            email: EmailAddress::parse("an@dijkstad.nl").unwrap(),
            name: "An".into(),
            platform_admin,
            active: true,
            roles,
        }
    }

    #[test]
    fn roles_form_a_ladder_and_a_platformbeheerder_has_one_everywhere() {
        assert!(Role::TenantAdmin.allows(Role::Staff));
        assert!(!Role::Staff.allows(Role::TenantAdmin));
        assert!(Role::PlatformAdmin.allows(Role::TenantAdmin));
        let staff = member(
            false,
            vec![Assignment {
                tenant: TenantId(1),
                role: Role::Staff,
            }],
        );
        assert_eq!(staff.role_in(TenantId(1)), Some(Role::Staff));
        assert_eq!(staff.role_in(TenantId(2)), None);
        assert_eq!(
            member(true, vec![]).role_in(TenantId(2)),
            Some(Role::PlatformAdmin)
        );
        for role in [Role::Staff, Role::TenantAdmin, Role::PlatformAdmin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }

    #[test]
    fn a_staff_password_has_at_least_twelve_characters_and_the_resident_rules() {
        assert_eq!(
            StaffPassword::parse("fietsbel42", "fietsbel42").unwrap_err(),
            PasswordProblem::TooShortForStaff
        );
        assert_eq!(
            StaffPassword::parse("fietsbel4242", "fietsbel4243").unwrap_err(),
            PasswordProblem::Mismatch
        );
        assert!(StaffPassword::parse("fietsbel4242", "fietsbel4242").is_ok());
    }
}
