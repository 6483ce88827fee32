//! Staff management in a gemeente's console: a beheerder invites medewerkers and beheerders,
//! changes their roles, deactivates and reactivates them and resets their second factor; a
//! platformbeheerder does the same in any gemeente. Every action is in the audit trail, in the
//! gemeente, written with the change.
//!
//! An account is one person's across gemeenten: deactivating it or resetting its second factor
//! reaches every gemeente it works for. A beheerder may do that only to accounts that work
//! nowhere they are not beheerder; elsewhere they can take the role in their own gemeente away.
//! Nobody changes their own account here (a slip would lock them out): another beheerder or
//! the operator's command line does. Only a platformbeheerder gives an existing account (of
//! another gemeente) a role here: a beheerder could otherwise pull in, and look into, another
//! gemeente's staff, and keep that gemeente's beheerder from deactivating them.

use super::{
    EnrolError, Enrolment, NewLink, NewStaff, Role, RoleChange, StaffListing, StaffMember,
};
use crate::audit::{Actor, AuditEntry};
use crate::email::EmailAddress;
use crate::ids::{StaffId, TenantId};
use crate::secret::Token;
use chrono::{DateTime, Utc};

/// Who manages, where, in which role, from which client.
#[derive(Debug, Clone)]
pub struct StaffAct {
    /// The staff member acting.
    pub by: StaffMember,
    /// The gemeente whose console they act in.
    pub tenant: TenantId,
    /// Their role there.
    pub role: Role,
    /// Their client's network address.
    pub origin: String,
}

impl StaffAct {
    /// The audit entry of `action` about staff member `staff`, in the gemeente.
    fn entry(&self, action: &'static str, at: DateTime<Utc>) -> AuditEntry {
        AuditEntry::new(Actor::of(&self.by), action, &self.origin, at)
            .within(Some(self.tenant), Some(self.role))
    }
}

/// What an invitation did.
#[derive(Debug)]
pub enum Invited {
    /// A new account with its enrolment link (mailed when mail is configured).
    Account(NewLink),
    /// The address already had this account: it got the role in this gemeente and logs in as
    /// it did.
    RoleAdded(StaffId),
}

/// Why a management action was not done.
#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    /// The staff member has no role in this gemeente (the console answers 404).
    #[error("staff_not_here")]
    NotHere,
    /// The address already works in this gemeente.
    #[error("staff_already_here")]
    AlreadyHere,
    /// One's own account is changed by someone else.
    #[error("own_account")]
    OwnAccount,
    /// The account works in a gemeente where the actor is not beheerder: only a
    /// platformbeheerder may change it as a whole.
    #[error("account_elsewhere")]
    AccountElsewhere,
    /// The link or the store failed.
    #[error(transparent)]
    Enrol(#[from] EnrolError),
}

impl From<crate::ports::StoreError> for ManageError {
    fn from(e: crate::ports::StoreError) -> Self {
        Self::Enrol(e.into())
    }
}

/// The staff management of a gemeente's console.
#[derive(Clone)]
pub struct StaffManagement {
    enrolment: Enrolment,
}

impl StaffManagement {
    /// The use cases on the ports (and the mailing) of `enrolment`.
    pub fn new(enrolment: Enrolment) -> Self {
        Self { enrolment }
    }

    /// The staff of `tenant`, by name.
    pub async fn members(&self, tenant: TenantId) -> Result<Vec<StaffListing>, ManageError> {
        Ok(self.enrolment.ports.repo.members_in(tenant).await?)
    }

    /// The beheerders of every gemeente (for the platform's list of gemeenten).
    pub async fn beheerders(&self) -> Result<Vec<super::Beheerder>, ManageError> {
        Ok(self.enrolment.ports.repo.beheerders().await?)
    }

    /// Staff member `staff` of `tenant`.
    pub async fn member(
        &self,
        tenant: TenantId,
        staff: StaffId,
    ) -> Result<StaffListing, ManageError> {
        self.enrolment
            .ports
            .repo
            .member_in(tenant, staff)
            .await?
            .ok_or(ManageError::NotHere)
    }

    /// Invites `email` (named `name`) as `role` in the gemeente: a new account gets an
    /// enrolment link; an existing one gets the role.
    pub async fn invite(
        &self,
        act: &StaffAct,
        email: &EmailAddress,
        name: &str,
        role: Role,
    ) -> Result<Invited, ManageError> {
        let ports = &self.enrolment.ports;
        let now = ports.clock.now();
        if let Some(existing) = ports.repo.credentials(email).await? {
            let member = existing.member;
            if member.role_in(act.tenant).is_some() {
                return Err(ManageError::AlreadyHere);
            }
            if !act.by.platform_admin {
                return Err(ManageError::AccountElsewhere);
            }
            let entry = act
                .entry("staff.role_changed", now)
                .about("staff", member.id);
            let entry = with_change(entry, None, Some(role));
            ports
                .repo
                .set_role(act.tenant, member.id, Some(role), &entry)
                .await?;
            return Ok(Invited::RoleAdded(member.id));
        }
        let new = NewStaff {
            email: email.clone(),
            name: name.to_owned(),
            platform_admin: false,
            role: Some(super::Assignment {
                tenant: act.tenant,
                role,
            }),
        };
        let token = Token::generate().map_err(EnrolError::from)?;
        let expires_at = now + ports.settings.enrolment_link;
        let entry = act.entry("staff.invited", now);
        let entry = with_change(entry, None, Some(role));
        let mail = self.enrolment.mail(email, name, &token, expires_at)?;
        // A simultaneous invitation of the same address made the account first.
        let staff = ports
            .repo
            .create(&new, &token.hash(), expires_at, &entry, mail.as_ref())
            .await?
            .map_err(|_| ManageError::AlreadyHere)?;
        Ok(Invited::Account(NewLink {
            staff,
            token,
            expires_at,
        }))
    }

    /// Gives `staff` `role` in the gemeente, or (`None`) takes their role there away; `None`
    /// when it already was so. Effective at their next request.
    pub async fn change_role(
        &self,
        act: &StaffAct,
        staff: StaffId,
        role: Option<Role>,
    ) -> Result<Option<RoleChange>, ManageError> {
        let target = self.member(act.tenant, staff).await?;
        if target.member.id == act.by.id {
            return Err(ManageError::OwnAccount);
        }
        if target.member.platform_admin && !act.by.platform_admin {
            return Err(ManageError::AccountElsewhere);
        }
        let now = self.enrolment.ports.clock.now();
        let entry = act.entry("staff.role_changed", now).about("staff", staff);
        let entry = with_change(entry, Some(target.role), role);
        Ok(self
            .enrolment
            .ports
            .repo
            .set_role(act.tenant, staff, role, &entry)
            .await?)
    }

    /// Deactivates (every session ends at once) or, with `active`, reactivates the account of
    /// `staff`; `false` when it already was so.
    pub async fn set_active(
        &self,
        act: &StaffAct,
        staff: StaffId,
        active: bool,
    ) -> Result<bool, ManageError> {
        let target = self.whole_account(act, staff).await?;
        let action = if active {
            "staff.reactivated"
        } else {
            "staff.deactivated"
        };
        let now = self.enrolment.ports.clock.now();
        let entry = act.entry(action, now).about("staff", target.id);
        Ok(self
            .enrolment
            .ports
            .repo
            .set_active(target.id, active, &entry)
            .await?)
    }

    /// Forgets the second factor of `staff`, ends their sessions and sends a new enrolment
    /// link (also the way to renew an invitation that expired).
    pub async fn reset_second_factor(
        &self,
        act: &StaffAct,
        staff: StaffId,
    ) -> Result<NewLink, ManageError> {
        let target = self.whole_account(act, staff).await?;
        let ports = &self.enrolment.ports;
        let now = ports.clock.now();
        let token = Token::generate().map_err(EnrolError::from)?;
        let expires_at = now + ports.settings.enrolment_link;
        let entry = act
            .entry("staff.second_factor_reset", now)
            .about("staff", target.id);
        let mail = self
            .enrolment
            .mail(&target.email, &target.name, &token, expires_at)?;
        ports
            .repo
            .reset_second_factor(target.id, &token.hash(), expires_at, &entry, mail.as_ref())
            .await?;
        Ok(NewLink {
            staff: target.id,
            token,
            expires_at,
        })
    }

    /// Whether `act` may change the account of `staff` as a whole (see the module's note).
    pub fn may_change_account(act: &StaffAct, target: &StaffMember) -> bool {
        if act.by.platform_admin {
            return !target.platform_admin;
        }
        !target.platform_admin
            && target
                .roles
                .iter()
                .all(|a| act.by.role_in(a.tenant) == Some(Role::TenantAdmin))
    }

    /// The account of `staff`, when it is here, not the actor's and `act` may change it.
    async fn whole_account(
        &self,
        act: &StaffAct,
        staff: StaffId,
    ) -> Result<StaffMember, ManageError> {
        let target = self.member(act.tenant, staff).await?.member;
        if target.id == act.by.id {
            return Err(ManageError::OwnAccount);
        }
        if !Self::may_change_account(act, &target) {
            return Err(ManageError::AccountElsewhere);
        }
        Ok(target)
    }
}

/// `entry` saying the role went from `before` to `after` (`none` for no role).
fn with_change(mut entry: AuditEntry, before: Option<Role>, after: Option<Role>) -> AuditEntry {
    let name = |r: Option<Role>| r.map_or("none", Role::as_str);
    entry.reason = Some(format!("{}→{}", name(before), name(after)));
    entry
}
