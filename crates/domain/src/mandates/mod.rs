//! "Machtiging(en)": the owner of a visitor scheme lets someone else park on it, with a part of
//! the balance (the mandate's own balance, taken from the owner's) and optionally for one plate
//! only. The other gets a mail with a coupling link (creating an account when needed) and then
//! sees the product, "gemachtigd door <e-mail>". [Intrekken] stops the mandatee's running and
//! planned sessions, returns their unused part and the mandate's rest to the owner and ends the
//! access, in one transaction. Mandates imported from the previous system keep its conditions:
//! no balance of their own, they spend the owner's.

use crate::accounts::{Account, AccountRepository};
use crate::amount::DecimalText;
use crate::clock::Clock;
use crate::email::EmailAddress;
use crate::ids::{AccountId, MandateId, ProductId, SessionId};
use crate::ledger::{LedgerPosting, Wallet};
use crate::mail::{ComposeError, MailBrand, MailComposer, MailMessage, OutgoingMail};
use crate::parking::{
    ParkingSession, ProductAccess, ProductView, RuleError, RulesOf, RulesPort, SessionCheck,
    SessionState, used_part,
};
use crate::plate::Plate;
use crate::ports::StoreError;
use crate::product_type::{BalanceUnit, ProductKind};
use crate::rules::ReasonCode;
use crate::secret::{RandomError, Token, TokenHash};
use crate::tenancy::TenantDirectory;
use crate::tenant::PublicUrl;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use std::sync::Arc;

mod import;

pub use import::*;

/// Where a mandate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MandateStatus {
    /// Sent; the other has not coupled it yet.
    Invited,
    /// Coupled to the other's account.
    Accepted,
    /// Revoked by the owner.
    Revoked,
}

impl MandateStatus {
    /// The stable name (database and API).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invited => "invited",
            Self::Accepted => "accepted",
            Self::Revoked => "revoked",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Invited, Self::Accepted, Self::Revoked]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// A mandate as the owner's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mandate {
    /// Its id.
    pub id: MandateId,
    /// The product.
    pub product: ProductId,
    /// The address it was given to.
    pub email: EmailAddress,
    /// The account that accepted it.
    pub mandatee: Option<AccountId>,
    /// The one plate it is for, if any.
    pub plate: Option<Plate>,
    /// Its own balance, in the smallest unit (0 for an imported mandate).
    pub balance: i64,
    /// Imported from the previous system: it spends the owner's balance.
    pub imported: bool,
    /// Its status.
    pub status: MandateStatus,
    /// When it was given.
    pub created_at: DateTime<Utc>,
}

/// A mandate to store, with its invitation.
#[derive(Debug, Clone)]
pub struct NewMandate {
    /// The product; the owner must own it.
    pub product: ProductId,
    /// Its owner.
    pub owner: AccountId,
    /// The address.
    pub email: EmailAddress,
    /// The one plate, if any.
    pub plate: Option<Plate>,
    /// The balance to give, in the smallest unit.
    pub amount: i64,
    /// The hash of the invitation link's token.
    pub token: TokenHash,
    /// When the link stops working.
    pub link_expires_at: DateTime<Utc>,
    /// The invitation mail, queued in the same transaction.
    pub mail: OutgoingMail,
    /// The most invitations the owner may send since `since`.
    pub limit: (DateTime<Utc>, u32),
}

/// What giving a mandate came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Given {
    /// Stored, the balance moved, the mail queued.
    Given(Mandate),
    /// The amount is more than the owner's balance.
    InsufficientBalance,
    /// The address has a mandate on this product already.
    Exists,
    /// The owner sent the most invitations a day allows.
    LimitReached,
    /// Not the account's own active product.
    NotFound,
}

/// How a session of the mandatee ends at revocation, as decided on what was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionEnd {
    /// The session.
    pub session: SessionId,
    /// Its end and reservation as read: the store applies the change only if they still are.
    pub was: (DateTime<Utc>, i64),
    /// The new end (now, for a running session).
    pub end: DateTime<Utc>,
    /// What it holds afterwards (0 for a planned session, which is deleted).
    pub reserved: i64,
    /// Whether it is deleted (a planned session).
    pub delete: bool,
}

impl SessionEnd {
    /// What goes back to `wallet` (the balance that paid for the session) of `product`.
    pub fn refund(&self, product: ProductId, wallet: Wallet) -> LedgerPosting {
        LedgerPosting::session((product, wallet), self.session, self.was.1, self.reserved)
    }
}

/// What revoking came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// Revoked: what went back to the owner's balance, in the smallest unit.
    Revoked(i64),
    /// A session changed since it was read: decide again.
    Changed,
    /// No such live mandate on the account's own product.
    NotFound,
}

/// Where mandates are kept. Every write locks the product first.
#[async_trait]
pub trait MandateRepository: Send + Sync {
    /// The live (not revoked) mandates of `product`, newest first.
    async fn mandates(&self, product: ProductId) -> Result<Vec<Mandate>, StoreError>;
    /// Stores a mandate with its link and mail and moves the amount from the owner's balance
    /// to the mandate's (`mandate_grant` entries on both), in one transaction.
    async fn give(&self, new: &NewMandate, now: DateTime<Utc>) -> Result<Given, StoreError>;
    /// The running and planned sessions started through `mandate`.
    async fn live_sessions(
        &self,
        mandate: MandateId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ParkingSession>, StoreError>;
    /// Ends the sessions as `ends` says (refunds to the mandate's balance, or the owner's for an
    /// imported one), returns the mandate's rest to the owner (`mandate_return`), marks it
    /// revoked and expires its link, in one transaction under the product's lock.
    async fn revoke(
        &self,
        owner: AccountId,
        product: ProductId,
        mandate: MandateId,
        ends: &[SessionEnd],
        now: DateTime<Utc>,
    ) -> Result<Revoked, StoreError>;
    /// The active product of gemeente `tenant` with `code`.
    async fn import_target(
        &self,
        tenant: crate::ids::TenantId,
        code: &str,
    ) -> Result<Option<ImportTarget>, StoreError>;
    /// Stores every row of an import, or none (a row that does not fit names its line).
    async fn import(
        &self,
        rows: &[ImportEntry],
        now: DateTime<Utc>,
    ) -> Result<Result<Imported, ImportProblem>, StoreError>;
}

/// Why a mandate could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum MandateError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The rules could not be loaded.
    #[error("rules: {0}")]
    Rules(RuleError),
    /// No token could be drawn.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// The mail could not be composed.
    #[error(transparent)]
    Compose(#[from] ComposeError),
}

/// Why a new mandate is refused; each has its own message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The gemeente's rules give no mandates on this product (`mandates_unavailable`).
    Unavailable,
    /// The rules failed (`rule_error`).
    RuleError,
    /// More than the balance (`insufficient_balance`).
    InsufficientBalance,
    /// Not an amount of the product's unit, or zero (`amount_invalid`).
    AmountInvalid,
    /// The owner's own address (`own_address`).
    OwnAddress,
    /// The address has a mandate on this product (`mandate_exists`).
    Exists,
    /// Too many invitations today (`mandate_limit_reached`).
    LimitReached,
}

impl Refusal {
    /// The stable code (also the catalogue key under `mandates.refusal.`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Unavailable => "mandates_unavailable",
            Self::RuleError => "rule_error",
            Self::InsufficientBalance => "insufficient_balance",
            Self::AmountInvalid => "amount_invalid",
            Self::OwnAddress => "own_address",
            Self::Exists => "mandate_exists",
            Self::LimitReached => "mandate_limit_reached",
        }
    }
}

/// What asking for a new mandate came to.
#[derive(Debug, Clone)]
pub enum GiveOutcome {
    /// Given.
    Given(Mandate),
    /// Refused.
    Refused(Refusal),
}

/// The settings of mandates.
#[derive(Debug, Clone)]
pub struct MandateSettings {
    /// How long an invitation link works.
    pub link_valid: Duration,
    /// How many invitations an owner may send in 24 hours.
    pub per_day: u32,
    /// The platform's public URL (links in mails).
    pub platform_url: PublicUrl,
}

/// The mandate use cases.
#[derive(Clone)]
pub struct Mandates {
    repo: Arc<dyn MandateRepository>,
    products: Arc<dyn ProductAccess>,
    accounts: Arc<dyn AccountRepository>,
    rules: Arc<dyn RulesPort>,
    tenants: TenantDirectory,
    composer: Arc<dyn MailComposer>,
    clock: Arc<dyn Clock>,
    settings: MandateSettings,
}

/// What an invitation mail says besides its link.
struct InviteText {
    owner: String,
    product: String,
    zone: String,
    plate: Option<Plate>,
    amount: Option<(BalanceUnit, Decimal)>,
}

/// How many times revocation decides again when sessions change under it.
const REVOKE_ATTEMPTS: usize = 5;

impl Mandates {
    /// On their ports.
    #[expect(
        clippy::too_many_arguments,
        reason = "the composition root hands each port over by name"
    )]
    pub fn new(
        repo: Arc<dyn MandateRepository>,
        products: Arc<dyn ProductAccess>,
        accounts: Arc<dyn AccountRepository>,
        rules: Arc<dyn RulesPort>,
        tenants: TenantDirectory,
        composer: Arc<dyn MailComposer>,
        clock: Arc<dyn Clock>,
        settings: MandateSettings,
    ) -> Self {
        Self {
            repo,
            products,
            accounts,
            rules,
            tenants,
            composer,
            clock,
            settings,
        }
    }

    /// The account's own product that can have mandates at all: a visitor scheme with a
    /// balance, not itself used through a mandate.
    async fn own(
        &self,
        account: &Account,
        product: ProductId,
    ) -> Result<Option<ProductView>, StoreError> {
        Ok(self
            .products
            .product_of(account.id, product)
            .await?
            .filter(|v| {
                v.mandate.is_none()
                    && v.kind == ProductKind::VisitorScheme
                    && v.unit != BalanceUnit::None
            }))
    }

    /// An invitation from gemeente `tenant` to `email`: the link's token hash, when it stops
    /// working, and the mail in `language`.
    fn invitation(
        &self,
        tenant: &crate::tenant::Tenant,
        email: &EmailAddress,
        language: crate::tenant::Language,
        text: InviteText,
    ) -> Result<(TokenHash, DateTime<Utc>, OutgoingMail), MandateError> {
        let token = Token::generate()?;
        let expires_at = self.clock.now() + self.settings.link_valid;
        let base = tenant.public_url(&self.settings.platform_url);
        let brand = MailBrand {
            tenant: tenant.id,
            name: tenant.name.clone(),
            logo_url: format!("{base}/logo?v={}", tenant.version),
            time_zone: tenant.time_zone,
        };
        let message = MailMessage::Mandate {
            owner: text.owner,
            product: text.product,
            zone: text.zone,
            plate: text.plate,
            amount: text.amount,
            link: format!("{base}/koppel/{}", token.expose()),
            expires_at,
        };
        let mail = self
            .composer
            .compose(email, language, Some(&brand), &message)?;
        Ok((token.hash(), expires_at, mail))
    }

    /// Whether the gemeente's rules give mandates on `product` (`mandates_available`).
    pub async fn available(
        &self,
        product: &ProductView,
    ) -> Result<Result<(), Refusal>, MandateError> {
        if product.mandate.is_some() || product.kind != ProductKind::VisitorScheme {
            return Ok(Err(Refusal::Unavailable));
        }
        let now = self.clock.now();
        let pricing = self
            .rules
            .in_force(&RulesOf::of(product), &product.type_code, now)
            .await
            .map_err(MandateError::Rules)?;
        Ok(
            match pricing.mandates_available(&SessionCheck::of_product(product, now), now) {
                Ok(true) => Ok(()),
                Ok(false) => Err(Refusal::Unavailable),
                Err(ReasonCode::RuleError) | Err(_) => Err(Refusal::RuleError),
            },
        )
    }

    /// The live mandates of the account's own `product`; `None` when it is not theirs or can
    /// have none.
    pub async fn list(
        &self,
        account: &Account,
        product: ProductId,
    ) -> Result<Option<(ProductView, Vec<Mandate>)>, MandateError> {
        let Some(view) = self.own(account, product).await? else {
            return Ok(None);
        };
        let mandates = self.repo.mandates(product).await?;
        Ok(Some((view, mandates)))
    }

    /// [Bewaar]: gives `email` a mandate on the account's own `product`, optionally for
    /// `plate` only, with `amount` (in the product's unit, more than zero, at most its decimals)
    /// of the owner's balance; the other gets a mail with a coupling link. `None` when the
    /// product is not theirs.
    pub async fn give(
        &self,
        account: &Account,
        product: ProductId,
        email: &EmailAddress,
        plate: Option<Plate>,
        amount: DecimalText,
    ) -> Result<Option<GiveOutcome>, MandateError> {
        let Some(view) = self.own(account, product).await? else {
            return Ok(None);
        };
        if let Err(refusal) = self.available(&view).await? {
            return Ok(Some(GiveOutcome::Refused(refusal)));
        }
        if email == &account.email {
            return Ok(Some(GiveOutcome::Refused(Refusal::OwnAddress)));
        }
        // A mandate of nothing would still mail an invitation: zero is refused as well.
        let Ok(amount) = view.unit.positive(amount) else {
            return Ok(Some(GiveOutcome::Refused(Refusal::AmountInvalid)));
        };
        let smallest = amount.smallest();
        if smallest > view.balance {
            return Ok(Some(GiveOutcome::Refused(Refusal::InsufficientBalance)));
        }
        let now = self.clock.now();
        let tenant = self
            .tenants
            .by_slug(&view.tenant_slug)
            .await?
            .ok_or_else(|| StoreError::new("a product's gemeente vanished"))?;
        let language = self
            .accounts
            .credentials(email)
            .await?
            .and_then(|c| c.account.language)
            .unwrap_or(tenant.default_language);
        let text = InviteText {
            owner: account.email.to_string(),
            product: view.type_name.clone(),
            zone: view.zone_name.clone(),
            plate: plate.clone(),
            amount: Some((view.unit, amount.value())),
        };
        let (token, expires_at, mail) = self.invitation(&tenant, email, language, text)?;
        let new = NewMandate {
            product,
            owner: account.id,
            email: email.clone(),
            plate,
            amount: smallest,
            token,
            link_expires_at: expires_at,
            mail,
            limit: (now - Duration::hours(24), self.settings.per_day),
        };
        Ok(Some(match self.repo.give(&new, now).await? {
            Given::Given(m) => GiveOutcome::Given(m),
            Given::InsufficientBalance => GiveOutcome::Refused(Refusal::InsufficientBalance),
            Given::Exists => GiveOutcome::Refused(Refusal::Exists),
            Given::LimitReached => GiveOutcome::Refused(Refusal::LimitReached),
            Given::NotFound => return Ok(None),
        }))
    }

    /// [Intrekken]: stops the mandatee's running sessions (the unused part back, at each
    /// session's own prices), deletes the planned ones (all back), returns the mandate's rest to
    /// the owner and ends the access. What went back to the owner; `None` when there is no such
    /// live mandate on the account's own product.
    pub async fn revoke(
        &self,
        account: &Account,
        product: ProductId,
        mandate: MandateId,
    ) -> Result<Option<i64>, MandateError> {
        let Some(view) = self.own(account, product).await? else {
            return Ok(None);
        };
        if !self
            .repo
            .mandates(product)
            .await?
            .iter()
            .any(|m| m.id == mandate)
        {
            return Ok(None);
        }
        for _ in 0..REVOKE_ATTEMPTS {
            let now = self.clock.now();
            let mut ends = Vec::new();
            for s in self.repo.live_sessions(mandate, now).await? {
                ends.push(self.end_of(&view, &s, now).await?);
            }
            match self
                .repo
                .revoke(account.id, product, mandate, &ends, now)
                .await?
            {
                Revoked::Revoked(returned) => return Ok(Some(returned)),
                Revoked::NotFound => return Ok(None),
                Revoked::Changed => continue,
            }
        }
        Err(StoreError::new("the mandate's sessions kept changing during revocation").into())
    }

    /// How a live session ends at revocation: see [`session_end`].
    async fn end_of(
        &self,
        view: &ProductView,
        s: &ParkingSession,
        now: DateTime<Utc>,
    ) -> Result<SessionEnd, MandateError> {
        session_end(self.rules.as_ref(), view, s, now)
            .await
            .map_err(MandateError::Rules)
    }
}

/// How a live session ends when the access it was started through goes (a revocation, or the
/// deletion of an account): a running one now, its unused part refunded at its own prices; a
/// planned one is deleted and refunded whole. `view` is the product as its owner sees it. The
/// error is the rules' when they cannot be loaded.
pub async fn session_end(
    rules: &dyn RulesPort,
    view: &ProductView,
    s: &ParkingSession,
    now: DateTime<Utc>,
) -> Result<SessionEnd, RuleError> {
    let running = s.state(now) == SessionState::Running && now > s.start;
    if !running {
        return Ok(SessionEnd {
            session: s.id,
            was: (s.end, s.reserved),
            end: s.end,
            reserved: 0,
            delete: true,
        });
    }
    let pricing = rules
        .pinned(&RulesOf::of(view), &view.type_code, s.versions)
        .await?;
    let check = SessionCheck {
        plate: s.plate.normalised().to_owned(),
        start: s.start,
        end: now,
        ..SessionCheck::of_product(view, now)
    };
    Ok(SessionEnd {
        session: s.id,
        was: (s.end, s.reserved),
        end: now,
        reserved: used_part(pricing.as_ref(), &check, view.unit, s.reserved, now),
        delete: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_refusals_have_stable_names() {
        for s in [
            MandateStatus::Invited,
            MandateStatus::Accepted,
            MandateStatus::Revoked,
        ] {
            assert_eq!(MandateStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(MandateStatus::parse("gone"), None);
        assert_eq!(Refusal::Unavailable.code(), "mandates_unavailable");
        assert_eq!(Refusal::InsufficientBalance.code(), "insufficient_balance");
    }
}

#[cfg(test)]
mod revocation_tests;
