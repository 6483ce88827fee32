//! Sessions and products as the parking use cases see them, the problems a request can have
//! before any rule, and the periodic grant that is due.

use super::breakdown::CostBreakdown;
use super::rules::RuleVersions;
use crate::calendar::{self, CapPeriod};
use crate::email::EmailAddress;
use crate::ids::{AccountId, MandateId, ProductId, SessionId, TenantId};
use crate::plate::Plate;
use crate::product_type::{BalanceUnit, PeriodicGrant, ProductKind, TopUpOption};
use crate::tenant::Code;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

/// Where a session stands, by the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Starts later (gepland).
    Planned,
    /// Running now (lopend).
    Running,
    /// Over.
    Ended,
    /// A planned session that was deleted.
    Deleted,
}

/// A parking session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkingSession {
    /// Its id.
    pub id: SessionId,
    /// Its product.
    pub product: ProductId,
    /// Who started it; `None` once that account was deleted (which ended the session first).
    pub account: Option<AccountId>,
    /// The plate.
    pub plate: Plate,
    /// Start.
    pub start: DateTime<Utc>,
    /// End (exclusive); moved to the moment of stopping when stopped early.
    pub end: DateTime<Utc>,
    /// What it holds of the balance, in the balance's smallest unit.
    pub reserved: i64,
    /// The versions of the rules it was priced with.
    pub versions: RuleVersions,
    /// How its cost was made up; `None` when what is stored cannot be read as one.
    pub breakdown: Option<CostBreakdown>,
    /// When it was deleted (planned sessions only).
    pub deleted_at: Option<DateTime<Utc>>,
    /// When it was stopped early ([Stop], or a revocation): it is over, whatever a clock says.
    pub stopped_at: Option<DateTime<Utc>>,
    /// The mandate it was started through, if any: its refunds go to that mandate's balance.
    pub mandate: Option<MandateId>,
}

/// A running or planned session as the lists of its product show it to one resident.
#[derive(Debug, Clone)]
pub struct ListedSession {
    /// The session.
    pub session: ParkingSession,
    /// Whether the resident started it, and so may stop or extend it.
    pub mine: bool,
    /// For the product's owner, the address of the mandatee who started it; `None` for the
    /// resident's own sessions (and so always for a mandatee, who sees only their own).
    pub started_by: Option<EmailAddress>,
}

impl ParkingSession {
    /// Its state at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> SessionState {
        if self.deleted_at.is_some() {
            SessionState::Deleted
        } else if self.stopped_at.is_some() {
            // Its end is the moment of stopping; a clock that reads earlier (another instance's,
            // a moment read before a lock) must not bring it back to life.
            SessionState::Ended
        } else if now < self.start {
            SessionState::Planned
        } else if now < self.end {
            SessionState::Running
        } else {
            SessionState::Ended
        }
    }
}

/// A product as the resident who owns it sees it.
#[derive(Debug, Clone)]
pub struct ProductView {
    /// Its id.
    pub id: ProductId,
    /// Its gemeente.
    pub tenant: TenantId,
    /// The gemeente's slug.
    pub tenant_slug: String,
    /// The gemeente's name.
    pub tenant_name: String,
    /// The version of the gemeente's configuration (its rules change with it).
    pub tenant_version: i64,
    /// The gemeente's time zone.
    pub time_zone: Tz,
    /// Whether the gemeente is suspended, as read with the product: nothing new can be started
    /// or bought on it (see [`crate::suspension`]).
    pub tenant_suspended: bool,
    /// The product type's code.
    pub type_code: Code,
    /// The product type's name.
    pub type_name: String,
    /// Visitor scheme or permit.
    pub kind: ProductKind,
    /// The unit of its balance.
    pub unit: BalanceUnit,
    /// The balance credited per period, if any.
    pub grant: Option<PeriodicGrant>,
    /// What may be bought with iDEAL ("Opwaarderen"); empty when nothing.
    pub top_ups: Vec<TopUpOption>,
    /// The zone's code.
    pub zone_code: Code,
    /// The zone's name.
    pub zone_name: String,
    /// Valid from (inclusive).
    pub valid_from: DateTime<Utc>,
    /// Valid until (exclusive).
    pub valid_until: DateTime<Utc>,
    /// The balance, in its smallest unit.
    pub balance: i64,
    /// Its plates.
    pub plates: Vec<Plate>,
    /// The plate of a permit that is active ("De kentekenswitch"), if one is.
    pub active_plate: Option<Plate>,
    /// After how many days the gemeente anonymises a session's plate (at most 91, 13 weeks).
    pub plate_retention_days: i32,
    /// Set when the resident uses the product through a mandate of its owner: then `balance` is
    /// the mandate's own (or the owner's, for a mandate imported without one).
    pub mandate: Option<MandateAccess>,
    /// Counts every write to the product's sessions or balance: a write decided on this view
    /// is made only while the product is still at this revision.
    pub revision: i64,
    /// No live session of the product ends after this (`None`: it has none), as read with the
    /// view: a start after it overlaps nothing.
    pub sessions_until: Option<DateTime<Utc>>,
}

impl ProductView {
    /// The balance in its unit (euros, minutes, sessions).
    pub fn balance_amount(&self) -> Decimal {
        self.unit.from_smallest(self.balance)
    }
}

/// How a mandatee reaches a product ("gemachtigd door ...").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateAccess {
    /// The mandate.
    pub id: MandateId,
    /// The owner's address, shown on the product's card.
    pub owner_email: String,
    /// The one plate the mandatee may park, if the owner set one.
    pub plate: Option<Plate>,
    /// Whether the mandate holds a balance of its own (else it spends the owner's: mandates
    /// imported from the previous system).
    pub own_balance: bool,
}

/// The stretch of time whose sessions a decision needs: those that overlap [from, until). A
/// product may have thousands of planned sessions; a check reads only the ones that matter to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub until: DateTime<Utc>,
}

impl Window {
    /// The window of a session [start, end): itself and the day after it, where a "start later"
    /// alternative may land.
    pub fn around(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self {
            from: start,
            until: end + Duration::days(1),
        }
    }
}

/// A periodic grant that is due: credited once, under `key`, whatever races for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantDue {
    /// The period's key (its start).
    pub key: String,
    /// The amount, in the smallest unit.
    pub amount: i64,
}

/// Why a request is wrong, before any rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParkingProblem {
    /// The start lies more than a minute in the past.
    #[error("start_in_past")]
    StartInPast,
    /// The end is not after the start.
    #[error("end_before_start")]
    EndBeforeStart,
    /// Outside the product's validity.
    #[error("outside_validity")]
    OutsideValidity,
    /// The session is over or deleted: nothing to change.
    #[error("session_over")]
    SessionOver,
    /// An extension must end later.
    #[error("not_later")]
    NotLater,
    /// A permit's session must be for one of its plates.
    #[error("plate_not_on_permit")]
    PlateNotOnPermit,
    /// A mandate for one plate parks that plate only.
    #[error("plate_not_on_mandate")]
    PlateNotOnMandate,
}

impl ParkingProblem {
    /// The stable code (also the catalogue key under `parking.problem.`).
    pub fn code(self) -> &'static str {
        match self {
            Self::StartInPast => "start_in_past",
            Self::EndBeforeStart => "end_before_start",
            Self::OutsideValidity => "outside_validity",
            Self::SessionOver => "session_over",
            Self::NotLater => "not_later",
            Self::PlateNotOnPermit => "plate_not_on_permit",
            Self::PlateNotOnMandate => "plate_not_on_mandate",
        }
    }
}

/// The grant of `product` due at `now`, if its type has one: keyed by the period's first local
/// day, so that it is credited once per period.
pub fn grant_due(product: &ProductView, now: DateTime<Utc>) -> Option<GrantDue> {
    let grant = product.grant?;
    let period: CapPeriod = grant.period;
    let (start, _) = period.bounds(product.time_zone, now);
    Some(GrantDue {
        key: calendar::local_date(product.time_zone, start).to_string(),
        amount: product.unit.to_smallest(grant.amount)?,
    })
}
