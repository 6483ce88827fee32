//! Making staff accounts and enrolling them: a one-time link (24 hours by default) opens a page to
//! choose the password, then the authenticator is set up from a QR code and confirmed with a
//! code, and ten recovery codes are shown once. A lost authenticator is reset by the operator
//! (`parkportal staff reset-2fa`), which makes a new link.

use super::totp::{RECOVERY_CODES, RecoveryCode, TotpSecret};
use super::{EmailTaken, NewStaff, StaffMember, StaffPassword, StaffPorts, StaffSession};
use crate::accounts::HashError;
use crate::audit::{Actor, AuditEntry};
use crate::email::EmailAddress;
use crate::ids::StaffId;
use crate::mail::{MailComposer, MailMessage, OutgoingMail};
use crate::ports::StoreError;
use crate::secret::{RandomError, Token};
use crate::tenant::Language;
use crate::throttle::Blocked;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Where an enrolment link leads, under the public URL.
pub const ENROLMENT_PATH: &str = "/beheer/inschrijven/";

/// A new enrolment link: handed out once.
#[derive(Debug)]
pub struct NewLink {
    /// For whom.
    pub staff: StaffId,
    /// The token in the link.
    pub token: Token,
    /// Until when it works.
    pub expires_at: DateTime<Utc>,
}

impl NewLink {
    /// The link under `public_url` (without a trailing slash).
    pub fn url(&self, public_url: &str) -> String {
        format!(
            "{}{ENROLMENT_PATH}{}",
            public_url.trim_end_matches('/'),
            self.token.expose()
        )
    }
}

/// What an enrolment link is, when opened.
#[derive(Debug, Clone)]
pub enum OpenLink {
    /// It works, for this staff member.
    Valid(StaffMember),
    /// It was used.
    Used,
    /// It expired.
    Expired,
    /// No such link.
    Unknown,
}

/// The password was chosen: the enrolment goes on in this session.
#[derive(Debug)]
pub struct ChosenPassword {
    /// The session's token (at the enrolment stage).
    pub session: Token,
    /// Whose.
    pub member: StaffMember,
}

/// The second factor was confirmed: logged in, with the recovery codes to show once.
#[derive(Debug)]
pub struct Enrolled {
    /// The logged-in session's token.
    pub session: Token,
    /// The recovery codes, never shown again.
    pub recovery: Vec<RecoveryCode>,
}

/// Why an enrolment step failed.
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    /// The address already has an account.
    #[error(transparent)]
    EmailTaken(#[from] EmailTaken),
    /// No staff account has this address.
    #[error("unknown_staff")]
    UnknownStaff,
    /// The link was used or expired meanwhile.
    #[error("link_unusable")]
    LinkUnusable,
    /// The confirmation code is not the app's current one.
    #[error("wrong_code")]
    WrongCode,
    /// Too many wrong codes in a row: wait.
    #[error(transparent)]
    Blocked(#[from] Blocked),
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// The mail of the link could not be composed.
    #[error("the enrolment mail: {0}")]
    Mail(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No token or secret could be made.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// How enrolment links are mailed: the composer and the public URL the links are under.
#[derive(Clone)]
struct Mailing {
    composer: Arc<dyn MailComposer>,
    public_url: String,
}

/// Making accounts, enrolling them, and deactivating them.
#[derive(Clone)]
pub struct Enrolment {
    mailing: Option<Mailing>,
    pub(super) ports: StaffPorts,
}

impl Enrolment {
    /// The use cases on their ports.
    pub fn new(ports: StaffPorts) -> Self {
        Self {
            mailing: None,
            ports,
        }
    }

    /// These use cases, mailing every new enrolment link (under `public_url`) with `composer`
    /// through the outbox, in the transaction that makes the link.
    pub fn mailing(mut self, composer: Arc<dyn MailComposer>, public_url: &str) -> Self {
        self.mailing = Some(Mailing {
            composer,
            public_url: public_url.to_owned(),
        });
        self
    }

    /// The mail of `link` for `name` at `to`, when links are mailed.
    pub(super) fn mail(
        &self,
        to: &EmailAddress,
        name: &str,
        token: &Token,
        expires_at: DateTime<Utc>,
    ) -> Result<Option<OutgoingMail>, EnrolError> {
        let Some(mailing) = &self.mailing else {
            return Ok(None);
        };
        let link = NewLink {
            staff: StaffId(0),
            token: token.clone(),
            expires_at,
        };
        let message = MailMessage::StaffEnrolment {
            name: name.to_owned(),
            link: link.url(&mailing.public_url),
            expires_at,
        };
        let mail = mailing
            .composer
            .compose(to, Language::Nl, None, &message)
            .map_err(|e| EnrolError::Mail(e.to_string()))?;
        Ok(Some(mail))
    }

    /// Creates an account with its first role and an enrolment link, by `actor` from `origin`.
    pub async fn create(
        &self,
        new: &NewStaff,
        actor: Actor,
        origin: &str,
    ) -> Result<NewLink, EnrolError> {
        let now = self.ports.clock.now();
        let token = Token::generate()?;
        let expires_at = now + self.ports.settings.enrolment_link;
        let entry = AuditEntry::new(actor, "staff.created", origin, now).within(
            new.role.map(|a| a.tenant),
            new.role
                .map(|a| a.role)
                .or(new.platform_admin.then_some(super::Role::PlatformAdmin)),
        );
        let mail = self.mail(&new.email, &new.name, &token, expires_at)?;
        let staff = self
            .ports
            .repo
            .create(new, &token.hash(), expires_at, &entry, mail.as_ref())
            .await??;
        Ok(NewLink {
            staff,
            token,
            expires_at,
        })
    }

    /// Whether `email` already has a staff account (asked before a new gemeente is made for
    /// its first beheerder).
    pub async fn has_account(&self, email: &EmailAddress) -> Result<bool, StoreError> {
        Ok(self.ports.repo.credentials(email).await?.is_some())
    }

    /// Forgets the second factor of the account of `email`, ends its sessions and makes a new
    /// enrolment link (break glass, by `actor` from `origin`).
    pub async fn reset_second_factor(
        &self,
        email: &EmailAddress,
        actor: Actor,
        origin: &str,
    ) -> Result<NewLink, EnrolError> {
        let now = self.ports.clock.now();
        let member = self
            .ports
            .repo
            .credentials(email)
            .await?
            .ok_or(EnrolError::UnknownStaff)?
            .member;
        let token = Token::generate()?;
        let expires_at = now + self.ports.settings.enrolment_link;
        let entry = AuditEntry::new(actor, "staff.second_factor_reset", origin, now)
            .about("staff", member.id);
        let mail = self.mail(&member.email, &member.name, &token, expires_at)?;
        self.ports
            .repo
            .reset_second_factor(member.id, &token.hash(), expires_at, &entry, mail.as_ref())
            .await?;
        Ok(NewLink {
            staff: member.id,
            token,
            expires_at,
        })
    }

    /// Deactivates the account of `email` (its sessions end at once and it can no longer log
    /// in or enrol) or, with `active`, reactivates it, by `actor` from `origin`. `false` when it
    /// already was so.
    pub async fn set_active(
        &self,
        email: &EmailAddress,
        active: bool,
        actor: Actor,
        origin: &str,
    ) -> Result<bool, EnrolError> {
        let member = self
            .ports
            .repo
            .credentials(email)
            .await?
            .ok_or(EnrolError::UnknownStaff)?
            .member;
        let action = if active {
            "staff.reactivated"
        } else {
            "staff.deactivated"
        };
        let entry = AuditEntry::new(actor, action, origin, self.ports.clock.now())
            .about("staff", member.id);
        Ok(self
            .ports
            .repo
            .set_active(member.id, active, &entry)
            .await?)
    }

    /// What the link of `token` is now.
    pub async fn open(&self, token: &Token) -> Result<OpenLink, StoreError> {
        let Some(link) = self.ports.repo.link(&token.hash()).await? else {
            return Ok(OpenLink::Unknown);
        };
        Ok(if link.used_at.is_some() {
            OpenLink::Used
        } else if link.expires_at <= self.ports.clock.now()
            || !link.member.active
            || (link.member.is_demo() && !self.ports.settings.demo_accounts)
        {
            OpenLink::Expired
        } else {
            OpenLink::Valid(link.member)
        })
    }

    /// Uses the link: sets `password` and goes on to the authenticator in a new session.
    pub async fn choose_password(
        &self,
        token: &Token,
        password: &StaffPassword,
        client: &str,
    ) -> Result<ChosenPassword, EnrolError> {
        let OpenLink::Valid(member) = self.open(token).await? else {
            return Err(EnrolError::LinkUnusable);
        };
        let hash = self.ports.hasher.hash(password.expose()).await?;
        let session = Token::generate()?;
        let now = self.ports.clock.now();
        let entry = AuditEntry::new(Actor::of(&member), "staff.enrolment.password", client, now)
            .about("staff", member.id);
        let member = self
            .ports
            .repo
            .use_link(&token.hash(), &hash, &session.hash(), now, &entry)
            .await?
            .ok_or(EnrolError::LinkUnusable)?;
        Ok(ChosenPassword { session, member })
    }

    /// The secret being set up for the enrolment session's staff member (made at the first ask,
    /// then the same until confirmed, so a reload shows the same QR code).
    pub async fn secret(&self, session: &StaffSession) -> Result<TotpSecret, EnrolError> {
        let id = session.member.id;
        if let Some(secret) = self
            .ports
            .repo
            .pending_secret(id)
            .await?
            .and_then(|s| TotpSecret::from_base32(&s))
        {
            return Ok(secret);
        }
        let fresh = TotpSecret::generate()?;
        let kept = self
            .ports
            .repo
            .set_pending_secret(id, &fresh.to_base32())
            .await?;
        TotpSecret::from_base32(&kept)
            .ok_or_else(|| StoreError::new("the secret being set up is not base32").into())
    }

    /// Confirms the authenticator with a code of the secret being set up: the second factor
    /// is on, ten recovery codes are made, and the enrolment session becomes a logged-in one.
    pub async fn confirm(
        &self,
        token: &Token,
        session: &StaffSession,
        code: &str,
        client: &str,
    ) -> Result<Enrolled, EnrolError> {
        let member = &session.member;
        let now = self.ports.clock.now();
        // The login's code step's counters: a guess here is a guess there.
        let keys = super::login::code_keys(member, client);
        let entry = AuditEntry::new(
            Actor::of(member),
            "staff.enrolment.second_factor",
            client,
            now,
        )
        .about("staff", member.id);
        if let Err(blocked) = self.ports.throttle.attempt(&keys, now).await? {
            self.ports.audit.record(&entry.refused("blocked")).await?;
            return Err(blocked.into());
        }
        let secret = self.secret(session).await?;
        let Some(step) = secret.matching_step(code, now) else {
            self.ports
                .audit
                .record(&entry.refused("wrong_code"))
                .await?;
            return Err(EnrolError::WrongCode);
        };
        let recovery = (0..RECOVERY_CODES)
            .map(|_| RecoveryCode::generate())
            .collect::<Result<Vec<_>, _>>()?;
        let hashes: Vec<String> = recovery.iter().map(RecoveryCode::hash).collect();
        let new = Token::generate()?;
        let confirmed = self
            .ports
            .repo
            .confirm_second_factor(
                member.id,
                step,
                &hashes,
                &token.hash(),
                &new.hash(),
                now,
                &entry,
            )
            .await?;
        if !confirmed {
            return Err(EnrolError::LinkUnusable);
        }
        self.ports.throttle.forgive(&keys, now).await?;
        Ok(Enrolled {
            session: new,
            recovery,
        })
    }
}
