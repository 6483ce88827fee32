//! The digitaal loket (#25): "In het digitaal loket vraagt u een parkeerproduct aan." A person,
//! logged in or not, applies for a product type the gemeente opened for application; the
//! application gets a reference, a confirmation mail with a link to its status page, and waits
//! for a decision. At most a configured number a day per address and per client.

pub mod application;
pub mod decisions;
pub mod rule;
mod staff;

pub use staff::{Approval, DecideError};

use crate::accounts::Account;
use crate::audit::{AuditEntry, AuditRepository};
use crate::captcha::{CaptchaError, Captchas, Challenge};
use crate::clock::Clock;
use crate::coupling::ProductDesk;
use crate::ids::ApplicationId;
use crate::ids::{AccountId, TenantId};
use crate::mail::{ComposeError, MailBrand, MailComposer, MailMessage, OutgoingMail};
use crate::parking::{RulesOf, RulesPort};
use crate::plate::Plate;
use crate::ports::StoreError;
use crate::product_type::ProductTypeSpec;
use crate::secret::{RandomError, Token};
use crate::tenancy::TenantDirectory;
use crate::tenant::{Code, Language, PublicUrl, Tenant};
use crate::throttle::{Blocked, FailurePolicy, Throttle, hashed_key};
use application::{ApplicationInput, ApplicationProblem, ApplicationStatus, new_reference};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use rule::{ApplicationFacts, RuleDecision};
use std::sync::Arc;

/// Captcha challenges per client per ten minutes, as for a password reset.
const CHALLENGES_PER_CLIENT: u32 = 60;

/// An application to store, with the hash of its status link.
#[derive(Debug, Clone)]
pub struct NewApplication {
    /// The gemeente.
    pub tenant: TenantId,
    /// The product type applied for.
    pub product_type: Code,
    /// The reference the applicant quotes.
    pub reference: String,
    /// Name and postal address.
    pub applicant: crate::letters::Recipient,
    /// Where mails go.
    pub email: crate::email::EmailAddress,
    /// The language of its mails.
    pub language: Language,
    /// The plates asked for.
    pub plates: Vec<Plate>,
    /// The remark.
    pub remark: Option<String>,
    /// The account it was made from, when logged in.
    pub account: Option<AccountId>,
    /// The SHA-256 of the status link's token.
    pub token_hash: crate::secret::TokenHash,
    /// When.
    pub at: DateTime<Utc>,
    /// What the rule answered: `approve`, `review`, `reject` or `rule_error`.
    pub rule_outcome: &'static str,
    /// The rule's reason, when it rejected: stored rejected at once.
    pub rejection: Option<String>,
    /// The rejection's entry in the audit trail (the store names the application in it).
    pub audit: Option<AuditEntry>,
}

/// An application as its applicant sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationView {
    /// Its id.
    pub id: ApplicationId,
    /// The reference.
    pub reference: String,
    /// The gemeente's name.
    pub gemeente: String,
    /// The gemeente's slug.
    pub slug: String,
    /// The product type's name.
    pub product_type: String,
    /// The product type's code.
    pub product_type_code: String,
    /// Where it stands.
    pub status: ApplicationStatus,
    /// The plates asked for.
    pub plates: Vec<Plate>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// The reason of a rejection, or the question of the gemeente.
    pub message: Option<String>,
    /// The exchange with the gemeente, oldest first.
    pub messages: Vec<decisions::ApplicationMessage>,
}

/// How storing an application ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Stored, its mail queued.
    Created(ApplicationId),
    /// The reference exists already: draw another.
    ReferenceTaken,
}

/// Where applications are kept.
#[async_trait]
pub trait ApplicationRepository: Send + Sync {
    /// Stores `application` with its confirmation `mail` in one transaction.
    async fn create(
        &self,
        application: &NewApplication,
        mail: &OutgoingMail,
    ) -> Result<Stored, StoreError>;
    /// The application whose status link has the token hashing to `token_hash`.
    async fn by_token(
        &self,
        token_hash: &crate::secret::TokenHash,
    ) -> Result<Option<ApplicationView>, StoreError>;
    /// The applications made from `account`, newest first.
    async fn of_account(&self, account: AccountId) -> Result<Vec<ApplicationView>, StoreError>;
    /// The active products of `product_type` of `tenant` at the address of `applicant` or
    /// holding one of `plates`, and the open applications for either (`except` left out).
    async fn related(
        &self,
        tenant: TenantId,
        product_type: &Code,
        applicant: &crate::letters::Recipient,
        plates: &[Plate],
        except: Option<ApplicationId>,
        now: DateTime<Utc>,
    ) -> Result<decisions::Related, StoreError>;
    /// The queue of `tenant` under `filter`, oldest first, at most [`decisions::QUEUE_MAX`];
    /// `audit` (about the ids shown) is written in the same transaction.
    async fn queue(
        &self,
        tenant: TenantId,
        filter: &decisions::QueueFilter,
        audit: &AuditEntry,
    ) -> Result<Vec<decisions::QueueItem>, StoreError>;
    /// Application `id` of `tenant` for its page, read in the transaction that writes `audit`;
    /// one just received goes in review ("in behandeling"): a person has it before them.
    /// Without `audit` (the page again after a refused decision, whose refusal is the
    /// request's entry) nothing is written.
    async fn staff_view(
        &self,
        tenant: TenantId,
        id: ApplicationId,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<decisions::StaffApplication>, StoreError>;
    /// What deciding application `id` of `tenant` needs.
    async fn decidable(
        &self,
        tenant: TenantId,
        id: ApplicationId,
    ) -> Result<Option<decisions::Decidable>, StoreError>;
    /// Stores a rejection or a question of `tenant`, with its message, mail and entry, only
    /// while the application still has the status it was decided from; `false` otherwise.
    async fn decide(
        &self,
        tenant: TenantId,
        decision: &decisions::StaffDecision,
    ) -> Result<bool, StoreError>;
    /// Stores the applicant's `answer` to the open question of the application whose link
    /// hashes to `token_hash`; it goes in review again.
    async fn answer(
        &self,
        token_hash: &crate::secret::TokenHash,
        answer: &decisions::MessageText,
        at: DateTime<Utc>,
    ) -> Result<decisions::Answered, StoreError>;
}

/// The zone in use whose postcode ranges hold `postcode`, if one does (zones in use never
/// share a postcode).
pub fn zone_of(
    zones: &[crate::tenant::ZoneSpec],
    postcode: &crate::letters::Postcode,
) -> Option<Code> {
    zones
        .iter()
        .filter(|z| !z.retired)
        .find(|z| z.postcodes.iter().any(|r| r.contains(postcode)))
        .map(|z| z.code.clone())
}

/// The loket's limits.
#[derive(Debug, Clone, Copy)]
pub struct LoketSettings {
    /// Applications a day per e-mail address and per client.
    pub per_day: u32,
}

/// Why an application was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The gemeente does not offer this product type for application.
    #[error("product_type_not_open")]
    NotOpen,
    /// The gemeente is suspended: it takes no applications.
    #[error("tenant_suspended")]
    Suspended,
    /// Fields are wrong, each named.
    #[error("invalid: {0:?}")]
    Invalid(Vec<ApplicationProblem>),
    /// The captcha's answer was wrong, or the challenge used or expired.
    #[error("captcha_wrong")]
    CaptchaWrong,
    /// The day's applications from this address or client were made.
    #[error(transparent)]
    Blocked(#[from] Blocked),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The reference or token could not be drawn.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// The mail could not be composed.
    #[error(transparent)]
    Compose(#[from] ComposeError),
}

/// An application taken.
#[derive(Debug, Clone)]
pub struct Applied {
    /// Its id.
    pub id: ApplicationId,
    /// The reference.
    pub reference: String,
    /// Where it stands.
    pub status: ApplicationStatus,
    /// The address the confirmation went to.
    pub email: crate::email::EmailAddress,
}

/// Who sends an application: the captcha they answered, their client, their account when
/// logged in, the language of the page.
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    /// The challenge's id and the answer typed; `None` only for a logged-in sender (the API,
    /// whose bearer token is the proof of a person).
    pub captcha: Option<(&'a str, &'a str)>,
    /// The client's address (the day's limit counts per client too).
    pub client: &'a str,
    /// The logged-in account, whose address is used.
    pub account: Option<&'a Account>,
    /// The page's language (the mails' unless the account chose one).
    pub language: Language,
}

/// The loket's use cases.
#[derive(Clone)]
pub struct Loket {
    tenants: TenantDirectory,
    repo: Arc<dyn ApplicationRepository>,
    captchas: Captchas,
    throttle: Throttle,
    composer: Arc<dyn MailComposer>,
    clock: Arc<dyn Clock>,
    platform_url: PublicUrl,
    settings: LoketSettings,
    desk: ProductDesk,
    rules: Arc<dyn RulesPort>,
    audit: Arc<dyn AuditRepository>,
}

/// What the loket is built on.
pub struct LoketPorts {
    /// The gemeenten and their product types.
    pub tenants: TenantDirectory,
    /// Where applications are kept.
    pub repo: Arc<dyn ApplicationRepository>,
    /// The captcha.
    pub captchas: Captchas,
    /// The limits' counters.
    pub throttle: Throttle,
    /// Mails in words.
    pub composer: Arc<dyn MailComposer>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Where links point when a gemeente has no address of its own.
    pub platform_url: PublicUrl,
    /// Issuing the product of a granted application.
    pub desk: ProductDesk,
    /// The gemeente's rules (`application(ctx)`).
    pub rules: Arc<dyn RulesPort>,
    /// Where refused decisions are recorded.
    pub audit: Arc<dyn AuditRepository>,
}

impl Loket {
    /// On its ports, with `settings`.
    pub fn new(ports: LoketPorts, settings: LoketSettings) -> Self {
        Self {
            tenants: ports.tenants,
            repo: ports.repo,
            captchas: ports.captchas,
            throttle: ports.throttle,
            composer: ports.composer,
            clock: ports.clock,
            platform_url: ports.platform_url,
            settings,
            desk: ports.desk,
            rules: ports.rules,
            audit: ports.audit,
        }
    }

    /// The product types of `tenant` open for application, in display order.
    pub async fn open_types(&self, tenant: &Tenant) -> Result<Vec<ProductTypeSpec>, StoreError> {
        Ok(self
            .tenants
            .overview(tenant.id)
            .await?
            .map(|o| o.product_types)
            .unwrap_or_default()
            .into_iter()
            .filter(|t| t.open_for_application && !t.retired)
            .collect())
    }

    /// The open type `code` of `tenant`, if it is one.
    pub async fn open_type(
        &self,
        tenant: &Tenant,
        code: &str,
    ) -> Result<Option<ProductTypeSpec>, StoreError> {
        Ok(self
            .open_types(tenant)
            .await?
            .into_iter()
            .find(|t| t.code.as_str() == code))
    }

    /// A captcha challenge for the form, at most [`CHALLENGES_PER_CLIENT`] per ten minutes.
    pub async fn challenge(
        &self,
        language: Language,
        client: &str,
    ) -> Result<Result<Challenge, Blocked>, CaptchaError> {
        let now = self.clock.now();
        let key = hashed_key("loket-captcha:client", client);
        if let Err(blocked) = self
            .throttle
            .rate(&key, now, Duration::minutes(10), CHALLENGES_PER_CLIENT)
            .await?
        {
            return Ok(Err(blocked));
        }
        self.captchas.challenge(language).await.map(Ok)
    }

    /// Takes an application for `code` of `tenant` from `sender`: the form checked, then the
    /// captcha, then the day's limits; stored with its confirmation mail. A logged-in sender
    /// applies with their account's address.
    pub async fn apply(
        &self,
        tenant: &Tenant,
        code: &str,
        input: &ApplicationInput,
        sender: Sender<'_>,
    ) -> Result<Applied, ApplyError> {
        let Sender {
            captcha,
            client,
            account,
            language,
        } = sender;
        if tenant.suspension.is_some() {
            return Err(ApplyError::Suspended);
        }
        let product_type = self
            .open_type(tenant, code)
            .await?
            .ok_or(ApplyError::NotOpen)?;
        let input = match account {
            Some(a) => ApplicationInput {
                email: a.email.to_string(),
                ..input.clone()
            },
            None => input.clone(),
        };
        let fields = input.parse(&product_type).map_err(ApplyError::Invalid)?;
        match (captcha, account) {
            (Some((id, answer)), _) => {
                if !self.captchas.verify(id, answer).await? {
                    return Err(ApplyError::CaptchaWrong);
                }
            }
            (None, Some(_)) => {}
            (None, None) => return Err(ApplyError::CaptchaWrong),
        }
        let now = self.clock.now();
        let keys = [
            hashed_key("loket:client", client),
            hashed_key("loket:email", fields.email.as_str()),
        ];
        // A key blocked already refuses before either is counted: a client at its limit (a
        // library's shared address) does not use up the day of the address typed, nor the
        // reverse.
        self.throttle.check(&keys, now).await??;
        for key in &keys {
            self.throttle
                .rate(key, now, Duration::days(1), self.settings.per_day)
                .await??;
        }
        let brand = self.brand(tenant);
        let base = tenant.public_url(&self.platform_url);
        let language = account.and_then(|a| a.language).unwrap_or(language);
        let (decision, zone) = self.rule_decides(tenant, &product_type, &fields, now).await;
        // An approval for an address in no zone is a person's to place: the rule would issue
        // the product in an arbitrary zone.
        let approve = matches!(decision, Ok(RuleDecision::Approve)) && zone.is_some();
        let rule_outcome = match &decision {
            Ok(RuleDecision::Approve) if !approve => "approve_unplaced",
            Ok(d) => d.as_str(),
            Err(()) => "rule_error",
        };
        let rule_entry = |action: &'static str| {
            AuditEntry::new(crate::audit::Actor::Rule, action, client, now)
                .within(Some(tenant.id), None)
        };
        let rejection = match &decision {
            Ok(RuleDecision::Reject(reason)) => Some(reason.clone()),
            _ => None,
        };
        let (reference, id) = loop {
            let reference = new_reference()?;
            let token = Token::generate()?;
            let link = format!("{base}/aanvragen/status/{}", token.expose());
            let product = product_type.name.clone();
            // A rejection by the rule is its one mail: its reason, reference and link.
            let message = match &rejection {
                Some(reason) => MailMessage::ApplicationRejected {
                    reference: reference.clone(),
                    product,
                    reason: reason.clone(),
                    link,
                },
                None => MailMessage::ApplicationReceived {
                    reference: reference.clone(),
                    product,
                    link,
                },
            };
            let mail = self
                .composer
                .compose(&fields.email, language, Some(&brand), &message)?;
            let application = NewApplication {
                tenant: tenant.id,
                product_type: product_type.code.clone(),
                reference: reference.clone(),
                applicant: fields.applicant.clone(),
                email: fields.email.clone(),
                language,
                plates: fields.plates.clone(),
                remark: fields.remark.clone(),
                account: account.map(|a| a.id),
                token_hash: token.hash(),
                at: now,
                rule_outcome,
                rejection: rejection.clone(),
                // A rejection by the rule is a decision, on the record as a medewerker's is.
                audit: rejection.as_ref().map(|_| rule_entry("application.reject")),
            };
            match self.repo.create(&application, &mail).await? {
                Stored::ReferenceTaken => continue,
                Stored::Created(id) => break (reference, id),
            }
        };
        let mut status = if rejection.is_some() {
            ApplicationStatus::Rejected
        } else {
            ApplicationStatus::Received
        };
        if approve {
            // Stored first, granted after: should issuing be refused, the application waits in
            // the queue (the rule's answer shown, the refusal on the record) instead of being
            // lost. Granted on revision 0: a medewerker's question meanwhile wins.
            let issuer = crate::coupling::Issuer {
                actor: crate::audit::Actor::Rule,
                role: None,
                origin: client.to_owned(),
            };
            let approval = Approval {
                zone,
                letter: None,
                seen: Some(0),
            };
            match self.grant(tenant, id, &approval, issuer).await {
                Ok(()) => status = ApplicationStatus::Granted,
                Err(e) => {
                    tracing::error!(gemeente = %tenant.slug, reference = %reference, error = %e, "an application the rule approved was not granted");
                    if let Some(code) = e.code() {
                        let entry = rule_entry("application.approve").about("application", id);
                        self.audit.record(&entry.refused(code)).await?;
                    }
                }
            }
        }
        Ok(Applied {
            id,
            reference,
            status,
            email: fields.email,
        })
    }

    /// The mails' brand of `tenant`.
    fn brand(&self, tenant: &Tenant) -> MailBrand {
        let base = tenant.public_url(&self.platform_url);
        MailBrand {
            tenant: tenant.id,
            name: tenant.name.clone(),
            logo_url: format!("{base}/logo?v={}", tenant.version),
            time_zone: tenant.time_zone,
        }
    }

    /// What `application(ctx)` of the type's rules says about `fields` (`Err`: the rules
    /// failed, recorded, which means review), and the zone the address lies in.
    async fn rule_decides(
        &self,
        tenant: &Tenant,
        product_type: &ProductTypeSpec,
        fields: &application::ApplicationFields,
        now: DateTime<Utc>,
    ) -> (Result<RuleDecision, ()>, Option<Code>) {
        let related = match self
            .repo
            .related(
                tenant.id,
                &product_type.code,
                &fields.applicant,
                &fields.plates,
                None,
                now,
            )
            .await
        {
            Ok(related) => related,
            Err(e) => {
                tracing::error!(gemeente = %tenant.slug, error = %e, "the facts of an application could not be read");
                return (Err(()), None);
            }
        };
        let zones = self
            .tenants
            .overview(tenant.id)
            .await
            .ok()
            .flatten()
            .map(|o| o.zones)
            .unwrap_or_default();
        let facts = ApplicationFacts {
            gemeente: tenant.slug.to_string(),
            product_type: product_type.code.clone(),
            time_zone: tenant.time_zone,
            postcode: fields.applicant.postcode.clone(),
            house_number: fields.applicant.house_number.clone(),
            zone: zone_of(&zones, &fields.applicant.postcode),
            plates: fields.plates.clone(),
            counts: related.counts(),
        };
        let of = RulesOf {
            tenant: tenant.id,
            slug: tenant.slug.to_string(),
            version: tenant.version,
        };
        let decision = match self.rules.in_force(&of, &product_type.code, now).await {
            Ok(rules) => rules.application(&facts, now).map_err(|_| ()),
            Err(e) => {
                tracing::warn!(gemeente = %tenant.slug, error = %e, "the rules of an application do not load");
                Err(())
            }
        };
        (decision, facts.zone)
    }

    /// The application of a status link; a client that keeps trying links that do not exist
    /// has to wait, as with other links.
    pub async fn status(
        &self,
        token: &Token,
        client: &str,
    ) -> Result<Result<Option<ApplicationView>, Blocked>, StoreError> {
        let keys = [hashed_key("loket-link:client", client)];
        let now = self.clock.now();
        if let Err(blocked) = self.throttle.check(&keys, now).await? {
            return Ok(Err(blocked));
        }
        let found = self.repo.by_token(&token.hash()).await?;
        if found.is_none() {
            self.throttle.fail(&keys, now, FailurePolicy::LINKS).await?;
        }
        Ok(Ok(found))
    }

    /// "Mijn aanvragen": the applications made from `account`, newest first.
    pub async fn mine(&self, account: AccountId) -> Result<Vec<ApplicationView>, StoreError> {
        self.repo.of_account(account).await
    }
}
