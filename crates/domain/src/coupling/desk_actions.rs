//! The help desk's actions on a product that is not yet a resident's own business: a new PIN
//! with a new letter, the coupling mail sent again, the validity extended. Each is one
//! transaction with its audit entry (about the product, with the medewerker's reason); each
//! refusal is on the record too, by the caller, with its stable code.

use super::{LetterDesk, NewLink, ProductDesk, StaffProductView, place_of, render};
use crate::audit::{Actor, AuditEntry};
use crate::calendar;
use crate::email::EmailAddress;
use crate::ids::{ProductId, TenantId};
use crate::letters::{Letter, LetterError, claim_link};
use crate::plate::Plate;
use crate::ports::StoreError;
use crate::secret::{Pin, ProductCode};
use crate::staff::Role;
use crate::tenant::Language;
use chrono::{DateTime, Months, NaiveDate, Utc};

/// The longest reason a medewerker may give (the audit trail keeps it).
pub const MAX_REASON_CHARS: usize = 500;

/// Who acts at the desk, on which product of which gemeente, and why.
#[derive(Debug, Clone)]
pub struct DeskAct {
    /// The gemeente's slug (the path's).
    pub tenant: String,
    /// The product's code.
    pub code: ProductCode,
    /// The medewerker.
    pub actor: Actor,
    /// Their role in the gemeente.
    pub role: Role,
    /// Their client's address.
    pub origin: String,
    /// Why, as typed (trimmed; empty is none).
    pub reason: Option<String>,
}

impl DeskAct {
    /// The audit entry of `action` in `tenant` at `now`, with the reason given.
    pub fn entry(&self, action: &'static str, tenant: TenantId, now: DateTime<Utc>) -> AuditEntry {
        let mut entry = AuditEntry::new(self.actor.clone(), action, &self.origin, now)
            .within(Some(tenant), Some(self.role));
        entry.reason = self.reason.clone();
        entry
    }
}

/// Why a desk action was not carried out; [`DeskError::code`] is its stable name.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// No such product in this gemeente.
    #[error("no such product in this gemeente")]
    NotFound,
    /// The product is coupled to an account already.
    #[error("the product is coupled to an account")]
    Coupled,
    /// The product was revoked or otherwise ended.
    #[error("the product is not active")]
    NotActive,
    /// The new last valid day is not after the present one.
    #[error("the new last valid day is not later than the present one")]
    NotLater,
    /// The new last valid day is further ahead than issuing allows.
    #[error("the new last valid day is too far ahead")]
    TooFar,
    /// The reason is longer than [`MAX_REASON_CHARS`].
    #[error("the reason is too long")]
    ReasonTooLong,
    /// Nobody's account holds the product (uncoupling).
    #[error("the product is not coupled")]
    NotCoupled,
    /// A session of the product is running or planned (uncoupling): stop it first.
    #[error("a session of the product is live")]
    SessionsLive,
    /// Only a permit's plates are changed here.
    #[error("the product is not a permit")]
    NotAPermit,
    /// A permit keeps at least one plate.
    #[error("a permit needs a plate")]
    PlatesMissing,
    /// The letter could not be made.
    #[error(transparent)]
    Letter(#[from] LetterError),
    /// No randomness for the PIN.
    #[error(transparent)]
    Random(#[from] crate::secret::RandomError),
    /// Hashing the PIN failed.
    #[error(transparent)]
    Hash(#[from] crate::accounts::HashError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DeskError {
    /// The stable code of a refusal (`None`: a failure, not the medewerker's to mend).
    pub fn code(&self) -> Option<&'static str> {
        Some(match self {
            Self::NotFound => "not_found",
            Self::Coupled => "product_coupled",
            Self::NotActive => "product_not_active",
            Self::NotLater => "valid_until_not_later",
            Self::TooFar => "valid_until_too_far",
            Self::ReasonTooLong => "reason_too_long",
            Self::NotCoupled => "product_not_coupled",
            Self::SessionsLive => "sessions_live",
            Self::NotAPermit => "not_a_permit",
            Self::PlatesMissing => "plates_missing",
            Self::Letter(_) | Self::Random(_) | Self::Hash(_) | Self::Store(_) => return None,
        })
    }
}

impl From<super::IssueError> for DeskError {
    fn from(e: super::IssueError) -> Self {
        match e {
            super::IssueError::UnknownTenant(_) | super::IssueError::UnknownProduct { .. } => {
                Self::NotFound
            }
            super::IssueError::Letter(e) => Self::Letter(e),
            super::IssueError::Store(e) => Self::Store(e),
            other => Self::Store(StoreError::new(other)),
        }
    }
}

/// A new PIN, to be shown once, with the new letter when one was made.
#[derive(Debug, Clone)]
pub struct NewPin {
    /// The product.
    pub product: ProductId,
    /// Its code.
    pub code: ProductCode,
    /// The new PIN (stored only as a hash; the old one no longer works).
    pub pin: Pin,
    /// The new letter and until when it is kept, when the product has a postal holder.
    pub letter: Option<(Vec<u8>, DateTime<Utc>)>,
}

/// What the store does with a new PIN.
#[derive(Debug, Clone)]
pub struct PinChange<'a> {
    /// The new PIN's hash.
    pub pin_hash: String,
    /// The new letter, if one was made.
    pub letter: Option<&'a super::NewLetter>,
    /// The action's audit entry.
    pub audit: &'a AuditEntry,
}

/// What the store found when it changed a product (under the product's lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskOutcome {
    /// Changed.
    Done,
    /// Not a product of this gemeente.
    NotFound,
    /// Coupled meanwhile.
    Coupled,
    /// Not active.
    NotActive,
    /// Its validity already reaches as far (an extension only).
    NotLater,
    /// Nobody holds it (uncoupling only).
    NotCoupled,
    /// A session is live (uncoupling only).
    SessionsLive,
}

impl DeskOutcome {
    /// `Ok` when done, else the refusal.
    pub fn done(self) -> Result<(), DeskError> {
        match self {
            Self::Done => Ok(()),
            Self::NotFound => Err(DeskError::NotFound),
            Self::Coupled => Err(DeskError::Coupled),
            Self::NotActive => Err(DeskError::NotActive),
            Self::NotLater => Err(DeskError::NotLater),
            Self::NotCoupled => Err(DeskError::NotCoupled),
            Self::SessionsLive => Err(DeskError::SessionsLive),
        }
    }
}

impl ProductDesk {
    /// The product of `act` as staff see it, without recording the read (the action records
    /// itself), refused unless it is active.
    async fn acted_on(
        &self,
        tenant: TenantId,
        act: &DeskAct,
    ) -> Result<StaffProductView, DeskError> {
        if act
            .reason
            .as_ref()
            .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
        {
            return Err(DeskError::ReasonTooLong);
        }
        let view = self
            .products
            .staff_view(tenant, &act.code, self.clock.now(), None)
            .await?
            .ok_or(DeskError::NotFound)?;
        if view.status != "active" {
            return Err(DeskError::NotActive);
        }
        Ok(view)
    }

    /// A new PIN for a product nobody has coupled yet (its letter was lost): the old PIN stops
    /// working at once, the kept letters with it are deleted, and when the product has a postal
    /// holder a new letter is made in the language of its last one.
    pub async fn new_pin(&self, act: &DeskAct) -> Result<NewPin, DeskError> {
        let context = self.context(&act.tenant, true).await?;
        let tenant = &context.tenant;
        let view = self.acted_on(tenant.id, act).await?;
        if view.coupled {
            return Err(DeskError::Coupled);
        }
        let now = self.clock.now();
        let pin = Pin::generate()?;
        let pin_hash = self.accounts.hasher().hash(pin.expose()).await?;
        let letter = match (&self.letters, &context.sender, &view.holder) {
            (Some(desk), Some(sender), Some(holder)) => {
                let language = self
                    .products
                    .letter_language(view.id)
                    .await?
                    .unwrap_or(tenant.default_language);
                Some(
                    self.letter_for(desk, &view, tenant, sender, holder, language, &pin)
                        .await?,
                )
            }
            _ => None,
        };
        let audit = act
            .entry("product.new_pin", tenant.id, now)
            .about("product", view.id.0);
        let change = PinChange {
            pin_hash,
            letter: letter.as_ref(),
            audit: &audit,
        };
        self.products
            .replace_pin(tenant.id, view.id, change, now)
            .await?
            .done()?;
        Ok(NewPin {
            product: view.id,
            code: view.code,
            pin,
            letter: letter.map(|l| (l.pdf, l.expires_at)),
        })
    }

    /// The letter of `view` with `pin`, to be kept for reprinting.
    #[allow(clippy::too_many_arguments)]
    async fn letter_for(
        &self,
        desk: &LetterDesk,
        view: &StaffProductView,
        tenant: &crate::tenant::Tenant,
        sender: &crate::letters::Sender,
        holder: &crate::letters::Recipient,
        language: Language,
        pin: &Pin,
    ) -> Result<super::NewLetter, DeskError> {
        let tz = tenant.time_zone;
        let letter = Letter {
            recipient: holder.clone(),
            sender: sender.clone(),
            language,
            place: place_of(&tenant.name),
            date: calendar::local_date(tz, self.clock.now()),
            product_type: view.product_type.1.clone(),
            zone: view.zone.1.clone(),
            valid_until: Some(last_day(tz, view.valid_until)),
            claim_url: claim_link(&tenant.public_url(&self.platform_url), &view.code),
            code: view.code.clone(),
            pin: pin.clone(),
            texts: Default::default(),
        };
        let pdf = render(desk, letter, tenant, &self.platform_url).await?;
        Ok(super::NewLetter {
            language,
            pdf,
            expires_at: self.clock.now() + desk.keep,
        })
    }

    /// The coupling mail sent again, to `email`, for a product nobody holds: a new link; the
    /// product's older links stop working.
    pub async fn resend_coupling(
        &self,
        act: &DeskAct,
        email: &EmailAddress,
    ) -> Result<(), DeskError> {
        let context = self.context(&act.tenant, false).await?;
        let tenant = &context.tenant;
        let view = self.acted_on(tenant.id, act).await?;
        if view.coupled {
            return Err(DeskError::Coupled);
        }
        let (link, mail, _) = self
            .invite(
                tenant,
                (
                    &view.product_type.1,
                    &view.zone.1,
                    crate::parking::switches_plates(view.kind, view.plates.len()),
                ),
                email,
                None,
            )
            .await?;
        let audit = act
            .entry("product.coupling_mail", tenant.id, self.clock.now())
            .about("product", view.id.0);
        let link: NewLink = link;
        if self
            .products
            .add_link(view.id, &link, &mail, self.clock.now(), Some(&audit))
            .await?
        {
            Ok(())
        } else {
            Err(DeskError::Coupled)
        }
    }

    /// The product's validity extended to the end of `day` (local), a day after its present
    /// last day and no further ahead than issuing allows.
    pub async fn extend(&self, act: &DeskAct, day: NaiveDate) -> Result<(), DeskError> {
        let context = self.context(&act.tenant, false).await?;
        let tenant = &context.tenant;
        let view = self.acted_on(tenant.id, act).await?;
        let tz = tenant.time_zone;
        let now = self.clock.now();
        let today = calendar::local_date(tz, now);
        let furthest = today
            .checked_add_months(Months::new(12 * super::MAX_VALIDITY_YEARS))
            .unwrap_or(today);
        if day > furthest {
            return Err(DeskError::TooFar);
        }
        let until = calendar::day_bounds(tz, day).1;
        if until <= view.valid_until {
            return Err(DeskError::NotLater);
        }
        let mut audit = act
            .entry("product.extended", tenant.id, now)
            .about("product", view.id.0);
        // Before and after, then the medewerker's words.
        let change = format!("{} -> {}", last_day(tz, view.valid_until), day);
        audit.reason = Some(match audit.reason.take() {
            Some(reason) => format!("{change}: {reason}"),
            None => change,
        });
        self.products
            .extend(tenant.id, view.id, until, &audit)
            .await?
            .done()
    }
}

impl ProductDesk {
    /// The plates of a permit replaced by `plates` (in that order, each once): the plate switched
    /// on stays on when it is among them; otherwise none is, and the resident switches one on.
    /// Sessions already made keep their plates. The plates are not in the audit entry: the trail
    /// is kept far longer than plates may be.
    pub async fn change_plates(&self, act: &DeskAct, plates: &[Plate]) -> Result<(), DeskError> {
        let context = self.context(&act.tenant, false).await?;
        let tenant = &context.tenant;
        let view = self.acted_on(tenant.id, act).await?;
        if view.kind != crate::ProductKind::Permit {
            return Err(DeskError::NotAPermit);
        }
        let mut unique: Vec<Plate> = Vec::with_capacity(plates.len());
        for plate in plates {
            if !unique.contains(plate) {
                unique.push(plate.clone());
            }
        }
        if unique.is_empty() {
            return Err(DeskError::PlatesMissing);
        }
        let audit = act
            .entry("product.plates_changed", tenant.id, self.clock.now())
            .about("product", view.id.0);
        self.products
            .replace_plates(tenant.id, view.id, &unique, &audit)
            .await?
            .done()
    }

    /// Uncouples the product from the account that holds it (the resident lost access to it,
    /// or it was coupled to the wrong account): refused while a session of it is running or
    /// planned; the mandates that account gave end (what they hold back on the balance), its
    /// favorites of the product go, and the product keeps its balance, ready for a new PIN or
    /// coupling mail.
    pub async fn uncouple(&self, act: &DeskAct) -> Result<(), DeskError> {
        let context = self.context(&act.tenant, false).await?;
        let tenant = &context.tenant;
        let view = self.acted_on(tenant.id, act).await?;
        if !view.coupled {
            return Err(DeskError::NotCoupled);
        }
        let audit = act
            .entry("product.uncoupled", tenant.id, self.clock.now())
            .about("product", view.id.0);
        self.products
            .uncouple(tenant.id, view.id, self.clock.now(), &audit)
            .await?
            .done()
    }
}

/// The last valid day (local) of a validity that ends (exclusive) at `until`.
fn last_day(tz: chrono_tz::Tz, until: DateTime<Utc>) -> NaiveDate {
    calendar::local_date(tz, until - chrono::Duration::seconds(1))
}
