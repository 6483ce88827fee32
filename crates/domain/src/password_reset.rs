//! "Wachtwoord vergeten?": the address and a captcha ask for a mail with a single-use link; the
//! link, a new password (twice) and a captcha set it. Every session and remember-me token of the
//! account ends, and the login delay of the address is lifted.

use crate::accounts::{Account, Accounts, HashError, login_account_key};
use crate::captcha::{CaptchaError, Captchas, Challenge};
use crate::coupling::NewLink;
use crate::email::EmailAddress;
use crate::mail::{ComposeError, MailBrand, MailComposer, MailMessage};
use crate::password::NewPassword;
use crate::ports::StoreError;
use crate::secret::{RandomError, Token};
use crate::tenant::{Language, PublicUrl, Tenant};
use crate::throttle::{Blocked, FailurePolicy, hashed_key};
use chrono::Duration;
use std::sync::Arc;

/// Reset requests per address per hour.
const PER_ADDRESS_PER_HOUR: u32 = 3;
/// Reset requests per client per hour.
const PER_CLIENT_PER_HOUR: u32 = 20;
/// Captcha challenges per client per ten minutes.
const CHALLENGES_PER_CLIENT: u32 = 60;

/// Why a reset could not be requested or completed.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// The captcha's answer was wrong, or the challenge was used or expired.
    #[error("captcha_wrong")]
    CaptchaWrong,
    /// The address is no address.
    #[error("email_invalid")]
    EmailInvalid,
    /// Too many requests.
    #[error(transparent)]
    Blocked(#[from] Blocked),
    /// No such link.
    #[error("reset_link_unknown")]
    LinkUnknown,
    /// The link was used.
    #[error("reset_link_used")]
    LinkUsed,
    /// The link expired.
    #[error("reset_link_expired")]
    LinkExpired,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something could not be drawn.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// The mail could not be composed.
    #[error(transparent)]
    Compose(#[from] ComposeError),
    /// The password could not be hashed.
    #[error(transparent)]
    Hash(#[from] HashError),
}

/// A reset request that passed the captcha and the limits. Whether the address has an account is
/// decided only when it is delivered, apart from the request, so that neither the answer nor
/// its timing tells known and unknown addresses apart.
#[derive(Debug, Clone)]
pub struct ResetDelivery {
    email: EmailAddress,
    site: Option<Tenant>,
    language: Language,
}

/// The reset use cases.
#[derive(Clone)]
pub struct PasswordResets {
    accounts: Accounts,
    captchas: Captchas,
    composer: Arc<dyn MailComposer>,
    platform_url: PublicUrl,
}

impl PasswordResets {
    /// On the accounts, the captcha and the mail composer.
    pub fn new(
        accounts: Accounts,
        captchas: Captchas,
        composer: Arc<dyn MailComposer>,
        platform_url: PublicUrl,
    ) -> Self {
        Self {
            accounts,
            captchas,
            composer,
            platform_url,
        }
    }

    /// [Verzenden]: checks the captcha and the limits, the same for every address, and returns
    /// what [`PasswordResets::deliver`] needs to mail the link if the address has an account.
    /// `site` is the gemeente the resident asked on, whose name heads the mail.
    pub async fn request(
        &self,
        email: &str,
        captcha_id: &str,
        captcha_answer: &str,
        client: &str,
        site: Option<&Tenant>,
        language: Language,
    ) -> Result<ResetDelivery, ResetError> {
        if !self.captchas.verify(captcha_id, captcha_answer).await? {
            return Err(ResetError::CaptchaWrong);
        }
        let email = EmailAddress::parse(email).map_err(|_| ResetError::EmailInvalid)?;
        let throttle = self.accounts.throttle();
        let now = self.accounts.clock().now();
        throttle
            .rate(
                &hashed_key("reset:account", email.as_str()),
                now,
                Duration::hours(1),
                PER_ADDRESS_PER_HOUR,
            )
            .await??;
        throttle
            .rate(
                &hashed_key("reset:client", client),
                now,
                Duration::hours(1),
                PER_CLIENT_PER_HOUR,
            )
            .await??;
        Ok(ResetDelivery {
            email,
            site: site.cloned(),
            language,
        })
    }

    /// Looks the address up and, when it has an account, mails the link. Run it apart from the
    /// request ([`ResetDelivery`] says why).
    pub async fn deliver(&self, delivery: ResetDelivery) -> Result<(), ResetError> {
        let ResetDelivery {
            email,
            site,
            language,
        } = delivery;
        let site = site.as_ref();
        let now = self.accounts.clock().now();
        let repo = self.accounts.repository();
        let Some(credentials) = repo.credentials(&email).await? else {
            return Ok(());
        };
        let token = Token::generate()?;
        let expires_at = now + self.accounts.settings().reset_link;
        let base = site.map_or_else(
            || self.platform_url.as_str().to_owned(),
            |t| t.public_url(&self.platform_url),
        );
        let brand = site.map(|t| MailBrand {
            tenant: t.id,
            name: t.name.clone(),
            logo_url: format!("{base}/logo?v={}", t.version),
            time_zone: t.time_zone,
        });
        let message = MailMessage::PasswordReset {
            link: format!("{base}/wachtwoord-herstellen/{}", token.expose()),
            expires_at,
        };
        let language = credentials.account.language.unwrap_or(language);
        let mail = self
            .composer
            .compose(&email, language, brand.as_ref(), &message)?;
        let link = NewLink {
            token: token.hash(),
            email,
            expires_at,
        };
        repo.create_reset_link(&link, &mail, now).await?;
        Ok(())
    }

    /// The address a reset link is for, or why it cannot be used. A client that keeps trying
    /// links that do not exist has to wait, as with coupling links.
    pub async fn link(&self, token: &Token, client: &str) -> Result<EmailAddress, ResetError> {
        let throttle = self.accounts.throttle();
        let keys = [hashed_key("reset-link:client", client)];
        let now = self.accounts.clock().now();
        throttle.check(&keys, now).await??;
        let Some((email, expires_at, used_at)) =
            self.accounts.repository().reset_link(&token.hash()).await?
        else {
            throttle.fail(&keys, now, FailurePolicy::LINKS).await?;
            return Err(ResetError::LinkUnknown);
        };
        if used_at.is_some() {
            return Err(ResetError::LinkUsed);
        }
        if self.accounts.clock().now() >= expires_at {
            return Err(ResetError::LinkExpired);
        }
        Ok(email)
    }

    /// [Wijzigen]: sets the new password, ends every session and remember-me token of the
    /// account, and lifts the login delay of its address and of the client that proved it reads
    /// the account's mail.
    pub async fn confirm(
        &self,
        token: &Token,
        password: &NewPassword,
        captcha_id: &str,
        captcha_answer: &str,
        client: &str,
    ) -> Result<Account, ResetError> {
        if !self.captchas.verify(captcha_id, captcha_answer).await? {
            return Err(ResetError::CaptchaWrong);
        }
        self.link(token, client).await?;
        let hash = self.accounts.hash_password(password).await?;
        let account = self
            .accounts
            .repository()
            .reset_password(&token.hash(), &hash, self.accounts.clock().now())
            .await?
            .ok_or(ResetError::LinkUsed)?;
        // The reset proves the resident: their address's run of failures ends, and this client
        // takes back the failures it made.
        let throttle = self.accounts.throttle();
        throttle
            .clear(&[login_account_key(account.email.as_str())])
            .await?;
        throttle
            .clear(&[hashed_key("login:client", client)])
            .await?;
        Ok(account)
    }

    /// A captcha challenge in `language` for `client`, at most 60 per client per ten minutes:
    /// every challenge is a row, and nobody needs more.
    pub async fn challenge(
        &self,
        language: Language,
        client: &str,
    ) -> Result<Result<Challenge, Blocked>, ResetError> {
        let now = self.accounts.clock().now();
        if let Err(blocked) = self
            .accounts
            .throttle()
            .rate(
                &hashed_key("captcha:client", client),
                now,
                Duration::minutes(10),
                CHALLENGES_PER_CLIENT,
            )
            .await?
        {
            return Ok(Err(blocked));
        }
        match self.captchas.challenge(language).await {
            Ok(c) => Ok(Ok(c)),
            Err(CaptchaError::Store(e)) => Err(e.into()),
            Err(CaptchaError::Random(e)) => Err(e.into()),
        }
    }
}
