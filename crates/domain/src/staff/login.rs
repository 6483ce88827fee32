//! The console's login: the password first, then a code from the authenticator app (or a
//! recovery code), each step on its own throttles; sessions with an idle time-out and a longest
//! life; every event in the audit trail.

use super::totp::{RecoveryCode, TotpSecret};
use super::{StaffMember, StaffPorts, StaffSession, StaffSettings, Stage};
use crate::audit::{Actor, AuditEntry, AuditRepository};
use crate::email::EmailAddress;
use crate::ports::StoreError;
use crate::secret::{RandomError, Token};
use crate::throttle::{Blocked, FailurePolicy, hashed_key};
use chrono::Duration;
use std::sync::Arc;

/// Why the password step failed.
#[derive(Debug, thiserror::Error)]
pub enum StaffLoginError {
    /// Unknown address, wrong password or a deactivated account: deliberately one case.
    #[error("invalid_credentials")]
    InvalidCredentials,
    /// Too many failures in a row for the address or from the client: wait.
    #[error(transparent)]
    Blocked(#[from] Blocked),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No token could be made.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// What the right password leads to.
#[derive(Debug)]
pub enum PasswordStep {
    /// The code is asked next, in the session of this token.
    Code(Token),
    /// The account has no second factor (it was reset): only its enrolment link leads in.
    NotEnrolled,
}

/// Why the code step failed.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    /// Neither a current code nor an unused recovery code.
    #[error("wrong_code")]
    Wrong,
    /// A code of a step already accepted (a replay).
    #[error("code_used")]
    Replayed,
    /// Too many wrong codes in a row: wait.
    #[error(transparent)]
    Blocked(#[from] Blocked),
    /// The session is not waiting for a code (timed out, or already in).
    #[error("no_login")]
    NoLogin,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No token could be made.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// What a console cookie stands for.
#[derive(Debug, Clone)]
pub enum StaffState {
    /// Logged in.
    Active(StaffSession),
    /// Half-way: the code is asked, or the authenticator is being set up.
    Pending(StaffSession),
    /// The session ended through the idle time-out or its longest life: the login says so.
    TimedOut,
    /// No such session.
    Unknown,
}

/// Sessions are touched at most this often.
const TOUCH_EVERY_SECONDS: i64 = 30;

/// The failures of the password step count apart from the residents' logins and from the code
/// step, with the same policy.
fn password_keys(email: &str, client: &str) -> Vec<(String, FailurePolicy)> {
    vec![
        (
            hashed_key("staff-login:account", &email.trim().to_lowercase()),
            FailurePolicy::LOGIN_ACCOUNT,
        ),
        (
            hashed_key("staff-login:client", client),
            FailurePolicy::LOGIN_CLIENT,
        ),
    ]
}

/// The counters of the code step (and of the enrolment's confirmation): per account and per
/// client.
pub(super) fn code_keys(member: &StaffMember, client: &str) -> Vec<(String, FailurePolicy)> {
    vec![
        (
            format!("staff-code:account:{}", member.id),
            FailurePolicy::LOGIN_ACCOUNT,
        ),
        (
            hashed_key("staff-code:client", client),
            FailurePolicy::LOGIN_CLIENT,
        ),
    ]
}

/// The console's login use cases.
#[derive(Clone)]
pub struct StaffAuth {
    ports: StaffPorts,
}

impl StaffAuth {
    /// The use cases on their ports.
    pub fn new(ports: StaffPorts) -> Self {
        Self { ports }
    }

    /// The settings.
    pub fn settings(&self) -> StaffSettings {
        self.ports.settings
    }

    /// The audit trail (the console records its reads and refusals through it).
    pub fn audit(&self) -> &Arc<dyn AuditRepository> {
        &self.ports.audit
    }

    /// Checks address and password; on success the code is asked next in a new session. An
    /// unknown address costs the same argon2 work as a wrong password and gets the same answer.
    pub async fn password(
        &self,
        email: &str,
        password: &str,
        client: &str,
    ) -> Result<PasswordStep, StaffLoginError> {
        let keys = password_keys(email, client);
        let now = self.ports.clock.now();
        let credentials = match EmailAddress::parse(email) {
            Ok(email) => self.ports.repo.credentials(&email).await?,
            Err(_) => None,
        };
        let typed = EmailAddress::parse(email).map_or_else(|_| String::new(), |e| e.to_string());
        let actor = credentials
            .as_ref()
            .map_or_else(|| Actor::Unknown(typed), |c| Actor::of(&c.member));
        let entry = AuditEntry::new(actor, "staff.login.password", client, now);
        if let Err(blocked) = self.ports.throttle.attempt(&keys, now).await? {
            self.ports.audit.record(&entry.refused("blocked")).await?;
            return Err(blocked.into());
        }
        let hash = credentials
            .as_ref()
            .and_then(|c| c.password_hash.as_deref());
        let ok = self.ports.hasher.verify(password, hash).await;
        let usable = |c: &super::StaffCredentials| {
            ok && c.member.active && (self.ports.settings.demo_accounts || !c.member.is_demo())
        };
        let Some(credentials) = credentials.filter(usable) else {
            let reason = self.failure(&keys, "invalid_credentials", now).await?;
            self.ports.audit.record(&entry.refused(reason)).await?;
            return Err(StaffLoginError::InvalidCredentials);
        };
        self.ports.throttle.forgive(&keys, now).await?;
        let entry = entry.about("staff", credentials.member.id);
        if credentials.totp_secret.is_none() {
            self.ports
                .audit
                .record(&entry.refused("not_enrolled"))
                .await?;
            return Ok(PasswordStep::NotEnrolled);
        }
        let token = Token::generate()?;
        self.ports
            .repo
            .create_session(
                credentials.member.id,
                &token.hash(),
                Stage::Code,
                now,
                &entry,
            )
            .await?;
        Ok(PasswordStep::Code(token))
    }

    /// Checks the code of a session waiting for one: a TOTP code of the current step or one
    /// either side, never one already accepted; or an unused recovery code, which is then used
    /// up. On success the waiting session is replaced by a logged-in one, whose token comes back.
    pub async fn code(
        &self,
        session: &Token,
        code: &str,
        client: &str,
    ) -> Result<(Token, StaffMember), CodeError> {
        let now = self.ports.clock.now();
        let Some(pending) = self
            .ports
            .repo
            .session(&session.hash())
            .await?
            .filter(|s| s.stage == Stage::Code && self.live(s, now))
        else {
            return Err(CodeError::NoLogin);
        };
        let member = pending.member;
        let keys = code_keys(&member, client);
        let entry = AuditEntry::new(Actor::of(&member), "staff.login.code", client, now)
            .about("staff", member.id);
        if let Err(blocked) = self.ports.throttle.attempt(&keys, now).await? {
            self.ports.audit.record(&entry.refused("blocked")).await?;
            return Err(blocked.into());
        }
        let credentials = self
            .ports
            .repo
            .credentials_of(member.id)
            .await?
            .filter(|c| {
                c.member.active && (self.ports.settings.demo_accounts || !c.member.is_demo())
            });
        let secret = credentials
            .as_ref()
            .and_then(|c| c.totp_secret.as_deref())
            .and_then(TotpSecret::from_base32);
        let new = Token::generate()?;
        if let Some(step) = secret.and_then(|s| s.matching_step(code, now)) {
            let accepted = self
                .ports
                .repo
                .accept_code(member.id, step, &session.hash(), &new.hash(), now, &entry)
                .await?;
            if !accepted {
                let reason = self.failure(&keys, "code_used", now).await?;
                self.ports.audit.record(&entry.refused(reason)).await?;
                return Err(CodeError::Replayed);
            }
        } else if let Some(recovery) = RecoveryCode::parse(code) {
            let entry = AuditEntry {
                action: "staff.login.recovery_code",
                ..entry
            };
            let used = self
                .ports
                .repo
                .use_recovery_code(
                    member.id,
                    &recovery.hash(),
                    &session.hash(),
                    &new.hash(),
                    now,
                    &entry,
                )
                .await?;
            if !used {
                let reason = self.failure(&keys, "wrong_code", now).await?;
                self.ports.audit.record(&entry.refused(reason)).await?;
                return Err(CodeError::Wrong);
            }
        } else {
            let reason = self.failure(&keys, "wrong_code", now).await?;
            self.ports.audit.record(&entry.refused(reason)).await?;
            return Err(CodeError::Wrong);
        }
        self.ports.throttle.forgive(&keys, now).await?;
        Ok((new, member))
    }

    /// The reason a failure is recorded with: `reason`, or `locked_out` when this failure
    /// started a wait (the lock-out is an event of its own in the audit trail).
    async fn failure(
        &self,
        keys: &[(String, FailurePolicy)],
        reason: &'static str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<&'static str, StoreError> {
        let names: Vec<String> = keys.iter().map(|(k, _)| k.clone()).collect();
        Ok(match self.ports.throttle.check(&names, now).await? {
            Err(_) => "locked_out",
            Ok(()) => reason,
        })
    }

    /// Whether a session is within its idle time-out and its longest life at `now`.
    fn live(&self, s: &StaffSession, now: chrono::DateTime<chrono::Utc>) -> bool {
        now - s.last_seen_at < self.ports.settings.idle_timeout
            && now - s.started_at < self.ports.settings.max_session
    }

    /// What a console cookie stands for now; a session past its idle time-out or its longest
    /// life, or of a deactivated account, ends (and the time-out is in the audit trail).
    pub async fn resume(&self, token: &Token, client: &str) -> Result<StaffState, StoreError> {
        self.resume_as(token, client, true).await
    }

    /// [`Self::resume`] for a request a page's script makes by itself (a progress poll): it
    /// does not count as activity, so a console left open times out as one left alone does.
    pub async fn resume_in_background(
        &self,
        token: &Token,
        client: &str,
    ) -> Result<StaffState, StoreError> {
        self.resume_as(token, client, false).await
    }

    async fn resume_as(
        &self,
        token: &Token,
        client: &str,
        touch: bool,
    ) -> Result<StaffState, StoreError> {
        let hash = token.hash();
        let Some(session) = self.ports.repo.session(&hash).await? else {
            return Ok(StaffState::Unknown);
        };
        let now = self.ports.clock.now();
        let allowed = session.member.active
            && (self.ports.settings.demo_accounts || !session.member.is_demo());
        if !self.live(&session, now) || !allowed {
            let reason = if allowed {
                "staff.timeout"
            } else {
                "staff.session_refused"
            };
            let entry = AuditEntry::new(Actor::of(&session.member), reason, client, now)
                .about("staff", session.member.id);
            self.ports.repo.end_session(&hash, &entry).await?;
            return Ok(StaffState::TimedOut);
        }
        if touch && now - session.last_seen_at >= Duration::seconds(TOUCH_EVERY_SECONDS) {
            self.ports.repo.touch_session(&hash, now).await?;
        }
        Ok(match session.stage {
            Stage::Active => StaffState::Active(session),
            Stage::Code | Stage::Enrol => StaffState::Pending(session),
        })
    }

    /// Ends the session ([Uitloggen]).
    pub async fn logout(
        &self,
        token: &Token,
        member: &StaffMember,
        client: &str,
    ) -> Result<(), StoreError> {
        let entry = AuditEntry::new(
            Actor::of(member),
            "staff.logout",
            client,
            self.ports.clock.now(),
        )
        .about("staff", member.id);
        self.ports.repo.end_session(&token.hash(), &entry).await
    }

    /// How many recovery codes `member` has left.
    pub async fn recovery_codes_left(&self, member: &StaffMember) -> Result<u32, StoreError> {
        self.ports.repo.recovery_codes_left(member.id).await
    }
}
