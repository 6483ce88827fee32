//! The staff side of the loket: the queue, an application's page with its duplicates, and the
//! three decisions (approve through the desk of *Allocation letters*, reject with a reason,
//! ask for more information). Every read of an applicant's data and every decision is in the
//! audit trail, a refusal too.

use super::Loket;
use super::decisions::{
    Answered, Decidable, MessageKind, MessageText, OutgoingMessage, QueueFilter, QueueItem,
    Related, StaffApplication, StaffDecision,
};
use crate::audit::AuditEntry;
use crate::coupling::{IssueError, IssueRequest, Issuer};
use crate::ids::ApplicationId;
use crate::mail::{ComposeError, MailMessage};
use crate::ports::StoreError;
use crate::secret::{RandomError, Token};
use crate::tenant::{Code, Tenant};

/// What a medewerker chooses when approving (the rule approves with the defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Approval {
    /// The zone; default the one whose postcode ranges hold the address, else the first.
    pub zone: Option<Code>,
    /// Make the allocation letter (to the applicant's address; never for one coupled at once,
    /// whose letter's claim could only fail); `None`: as the product type's setting says.
    pub letter: Option<bool>,
    /// The revision the decision is taken on (the page's); `None`: as it is now.
    pub seen: Option<i64>,
}

/// Why a decision was not taken.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    /// No such application in this gemeente.
    #[error("not_found")]
    NotFound,
    /// It was decided (or changed) meanwhile.
    #[error("application_decided")]
    Decided,
    /// The reason or question is empty or too long.
    #[error("message_invalid")]
    MessageInvalid,
    /// Issuing the product was refused (a retired type, a suspended gemeente, ...).
    #[error(transparent)]
    Issue(#[from] IssueError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The link could not be drawn.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// The mail could not be composed.
    #[error(transparent)]
    Compose(#[from] ComposeError),
}

impl DecideError {
    /// The stable code of a refusal the caller can act on; `None` for a failure inside.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::NotFound => Some("not_found"),
            Self::Decided => Some("application_decided"),
            Self::MessageInvalid => Some("message_invalid"),
            Self::Issue(e) => e.code(),
            _ => None,
        }
    }
}

/// A rejection or a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    Reject,
    Question,
}

impl Loket {
    /// The queue of `tenant` under `filter`, oldest first; its reading is `audit`'s entry
    /// (`application.list`) about the applications shown.
    pub async fn queue(
        &self,
        tenant: &Tenant,
        filter: &QueueFilter,
        audit: AuditEntry,
    ) -> Result<Vec<QueueItem>, StoreError> {
        self.repo.queue(tenant.id, filter, &audit).await
    }

    /// Application `id` of `tenant` with its duplicates; its reading is `audit`'s entry
    /// (`application.read`). Another gemeente's is `None`.
    pub async fn staff_view(
        &self,
        tenant: &Tenant,
        id: ApplicationId,
        audit: AuditEntry,
    ) -> Result<Option<(StaffApplication, Related)>, StoreError> {
        self.view_with(tenant, id, Some(&audit.about("application", id)))
            .await
    }

    /// Application `id` of `tenant` again after a refused decision on it: the refusal is the
    /// request's entry in the audit trail, so this reading writes none.
    pub async fn staff_view_after_refusal(
        &self,
        tenant: &Tenant,
        id: ApplicationId,
    ) -> Result<Option<(StaffApplication, Related)>, StoreError> {
        self.view_with(tenant, id, None).await
    }

    async fn view_with(
        &self,
        tenant: &Tenant,
        id: ApplicationId,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<(StaffApplication, Related)>, StoreError> {
        let Some(application) = self.repo.staff_view(tenant.id, id, audit).await? else {
            return Ok(None);
        };
        let related = self
            .repo
            .related(
                tenant.id,
                &application.product_type.0,
                &application.applicant,
                &application.plates,
                Some(id),
                self.clock.now(),
            )
            .await?;
        Ok(Some((application, related)))
    }

    /// Whether application `id` is one of `tenant`'s (reading nothing of its applicant).
    pub async fn is_of(
        &self,
        tenant: crate::ids::TenantId,
        id: ApplicationId,
    ) -> Result<bool, StoreError> {
        Ok(self.repo.decidable(tenant, id).await?.is_some())
    }

    /// Grants application `id` of `tenant`: the product is issued through the desk (with the
    /// coupling mail, or coupled at once to the account it was applied from), with a letter
    /// when `approval` asks, and the application is granted in the same transaction. `issuer`
    /// acts: the audit trail gets `product.issue` and `application.approve`.
    pub async fn approve(
        &self,
        tenant: &Tenant,
        id: ApplicationId,
        approval: &Approval,
        issuer: Issuer,
    ) -> Result<(), DecideError> {
        let audit = entry(tenant, &issuer, "application.approve", id, self.clock.now());
        let result = self.grant(tenant, id, approval, issuer).await;
        self.record_refusal(&result, audit).await?;
        result
    }

    /// Rejects application `id` of `tenant` with `reason`, mailed to the applicant in their
    /// language with a link to the status page.
    pub async fn reject(
        &self,
        tenant: &Tenant,
        (id, seen): (ApplicationId, Option<i64>),
        reason: &str,
        issuer: Issuer,
    ) -> Result<(), DecideError> {
        self.ask_or_reject(tenant, (id, seen), reason, issuer, Ask::Reject)
            .await
    }

    /// Asks the applicant of application `id` of `tenant` for more information: mailed with a
    /// link to the status page, where they answer. `seen`: the revision asked on (the page's;
    /// `None`: as it is now), as for rejecting.
    pub async fn ask(
        &self,
        tenant: &Tenant,
        (id, seen): (ApplicationId, Option<i64>),
        question: &str,
        issuer: Issuer,
    ) -> Result<(), DecideError> {
        self.ask_or_reject(tenant, (id, seen), question, issuer, Ask::Question)
            .await
    }

    /// The applicant's answer to the open question of the application whose link is `token`.
    pub async fn answer(&self, token: &Token, answer: &str) -> Result<Answered, DecideError> {
        let answer = MessageText::parse(answer).ok_or(DecideError::MessageInvalid)?;
        Ok(self
            .repo
            .answer(&token.hash(), &answer, self.clock.now())
            .await?)
    }

    async fn ask_or_reject(
        &self,
        tenant: &Tenant,
        (id, seen): (ApplicationId, Option<i64>),
        text: &str,
        issuer: Issuer,
        ask: Ask,
    ) -> Result<(), DecideError> {
        let action = match ask {
            Ask::Reject => "application.reject",
            Ask::Question => "application.ask",
        };
        let audit = entry(tenant, &issuer, action, id, self.clock.now());
        let result = self
            .store_decision(tenant, (id, seen), text, ask, &audit)
            .await;
        self.record_refusal(&result, audit).await?;
        result
    }

    async fn store_decision(
        &self,
        tenant: &Tenant,
        (id, seen): (ApplicationId, Option<i64>),
        text: &str,
        ask: Ask,
        audit: &AuditEntry,
    ) -> Result<(), DecideError> {
        let text = MessageText::parse(text).ok_or(DecideError::MessageInvalid)?;
        let found = self.open(tenant, id, seen).await?;
        let token = Token::generate()?;
        let base = tenant.public_url(&self.platform_url);
        let link = format!("{base}/aanvragen/status/{}", token.expose());
        let (reference, product) = (found.reference.clone(), found.product_type.1.clone());
        let (kind, message) = match ask {
            Ask::Reject => (
                MessageKind::Reason,
                MailMessage::ApplicationRejected {
                    reference,
                    product,
                    reason: text.as_str().to_owned(),
                    link,
                },
            ),
            Ask::Question => (
                MessageKind::Question,
                MailMessage::ApplicationQuestion {
                    reference,
                    product,
                    question: text.as_str().to_owned(),
                    link,
                },
            ),
        };
        let mail = self.composer.compose(
            &found.email,
            found.language,
            Some(&self.brand(tenant)),
            &message,
        )?;
        let decision = StaffDecision {
            id,
            seen: found.revision,
            message: OutgoingMessage {
                kind,
                body: text.as_str().to_owned(),
                token_hash: token.hash(),
                mail,
            },
            audit: audit.clone(),
        };
        if self.repo.decide(tenant.id, &decision).await? {
            Ok(())
        } else {
            Err(DecideError::Decided)
        }
    }

    /// Application `id` of `tenant`, when it is still open (and at revision `seen`, when the
    /// decision was taken on one).
    async fn open(
        &self,
        tenant: &Tenant,
        id: ApplicationId,
        seen: Option<i64>,
    ) -> Result<Decidable, DecideError> {
        let found = self
            .repo
            .decidable(tenant.id, id)
            .await?
            .ok_or(DecideError::NotFound)?;
        if found.status.decided() || seen.is_some_and(|s| s != found.revision) {
            return Err(DecideError::Decided);
        }
        Ok(found)
    }

    /// The grant itself (see [`Loket::approve`]); the rule's approval takes this path too.
    pub(super) async fn grant(
        &self,
        tenant: &Tenant,
        id: ApplicationId,
        approval: &Approval,
        issuer: Issuer,
    ) -> Result<(), DecideError> {
        let found = self.open(tenant, id, approval.seen).await?;
        let now = self.clock.now();
        let overview = self.tenants.overview(tenant.id).await?;
        let (zones, types) = overview
            .map(|o| (o.zones, o.product_types))
            .unwrap_or_default();
        // An address in no zone is placed by a person: no product in an arbitrary zone.
        let zone = match &approval.zone {
            Some(zone) => zone.clone(),
            None => super::zone_of(&zones, &found.applicant.postcode).ok_or_else(|| {
                IssueError::UnknownZone {
                    tenant: tenant.slug.to_string(),
                    code: String::new(),
                }
            })?,
        };
        // The type's setting or the medewerker asks for the letter; a product coupled at once
        // gets none (its letter's claim could only fail).
        let letter_by_type = types
            .iter()
            .any(|t| t.code == found.product_type.0 && t.letter_on_grant);
        let letter = approval.letter.unwrap_or(letter_by_type) && found.account.is_none();
        // Applied while logged in: coupled at once, with a mail that says where it is. Else
        // the coupling mail goes to the address the application was made with.
        let mail = match found.account {
            Some(_) => {
                let base = tenant.public_url(&self.platform_url);
                Some(self.composer.compose(
                    &found.email,
                    found.language,
                    Some(&self.brand(tenant)),
                    &MailMessage::ApplicationGranted {
                        reference: found.reference.clone(),
                        product: found.product_type.1.clone(),
                        link: format!("{base}/producten"),
                    },
                )?)
            }
            None => None,
        };
        let grant = super::decisions::ApplicationGrant {
            id,
            seen: found.revision,
            owner: found.account,
            mail,
            audit: entry(tenant, &issuer, "application.approve", id, now),
        };
        let request = IssueRequest {
            tenant: tenant.slug.to_string(),
            product_type: Some(found.product_type.0.to_string()),
            zone: Some(zone.to_string()),
            email: found.account.is_none().then(|| found.email.clone()),
            plates: found.plates.clone(),
            recipient: Some(found.applicant.clone()),
            letter,
            letter_language: Some(found.language),
            issuer: Some(issuer),
            application: Some(grant),
            ..IssueRequest::default()
        };
        match self.desk.issue(request).await {
            Ok(_) => Ok(()),
            Err(IssueError::ApplicationDecided) => Err(DecideError::Decided),
            Err(e) => Err(e.into()),
        }
    }

    /// Records `audit` refused with the code of `result`'s refusal (a decision taken wrote its
    /// own entry; a failure inside is logged by the caller).
    async fn record_refusal(
        &self,
        result: &Result<(), DecideError>,
        audit: AuditEntry,
    ) -> Result<(), StoreError> {
        if let Err(e) = result
            && let Some(code) = e.code()
        {
            self.audit.record(&audit.refused(code)).await?;
        }
        Ok(())
    }
}

/// The entry of `action` on application `id` of `tenant` by `issuer`.
fn entry(
    tenant: &Tenant,
    issuer: &Issuer,
    action: &'static str,
    id: ApplicationId,
    at: chrono::DateTime<chrono::Utc>,
) -> AuditEntry {
    AuditEntry::new(issuer.actor.clone(), action, &issuer.origin, at)
        .within(Some(tenant.id), issuer.role)
        .about("application", id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_have_codes_and_failures_inside_none() {
        assert_eq!(DecideError::Decided.code(), Some("application_decided"));
        assert_eq!(DecideError::MessageInvalid.code(), Some("message_invalid"));
        assert_eq!(
            DecideError::Issue(IssueError::ProductTypeRetired("x".into())).code(),
            Some("product_type_retired")
        );
        assert_eq!(DecideError::Store(StoreError::new("x")).code(), None);
    }
}
