//! "Historie": a product's sessions and the entries of its ledger, newest first, a page at a
//! time. Pages follow a keyset cursor (the last row shown), never an offset, so the first page
//! costs the same however long the history is, and a page never repeats or skips a row when new
//! ones arrive in between.

use crate::ParseError;
use crate::accounts::Account;
use crate::ids::{AccountId, EntryId, ProductId, SessionId};
use crate::parking::{ProductAccess, ProductView};
use crate::plate::Plate;
use crate::ports::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::fmt;
use std::sync::Arc;

/// How many rows a page has unless asked otherwise ("de laatste 10").
pub const DEFAULT_PAGE: u32 = 10;
/// The most rows one page may have.
pub const MAX_PAGE: u32 = 100;

/// A session as history shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastSession {
    /// Its id.
    pub id: SessionId,
    /// Who started it (the owner, or later a mandatee); `None` once that account was deleted.
    pub account: Option<AccountId>,
    /// The plate; `None` once the privacy job has anonymised it.
    pub plate: Option<Plate>,
    /// Start.
    pub start: DateTime<Utc>,
    /// End (the moment of stopping when stopped early).
    pub end: DateTime<Utc>,
    /// What it cost, in the balance's smallest unit.
    pub cost: i64,
}

/// Why the balance changed: the kinds of ledger entry (DESIGN §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// The balance the product was issued with.
    Opening,
    /// A periodic grant (minutes per year, ...).
    Grant,
    /// A top-up paid with iDEAL.
    TopUp,
    /// The cost of a session, reserved at its start or extension.
    Reservation,
    /// The unused part of a session, back on stop or delete.
    Refund,
    /// Balance given to a mandatee.
    MandateGrant,
    /// What a mandatee left, back on revocation.
    MandateReturn,
    /// A correction, with its reason (made before the help desk named its staff member).
    Correction,
    /// A correction by a medewerker at the help desk, naming them, with its reason.
    StaffCorrection,
    /// What was left of a revoked product's paid balance, refunded to the payer.
    PayerRefund,
}

impl EntryKind {
    /// Every kind.
    pub const ALL: [EntryKind; 10] = [
        Self::Opening,
        Self::Grant,
        Self::TopUp,
        Self::Reservation,
        Self::Refund,
        Self::MandateGrant,
        Self::MandateReturn,
        Self::Correction,
        Self::StaffCorrection,
        Self::PayerRefund,
    ];

    /// The stable name: the stored value, the API's `kind` and the catalogue key's last part.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opening => "opening",
            Self::Grant => "grant",
            Self::TopUp => "top_up",
            Self::Reservation => "reservation",
            Self::Refund => "refund",
            Self::MandateGrant => "mandate_grant",
            Self::MandateReturn => "mandate_return",
            Self::Correction => "correction",
            Self::StaffCorrection => "staff_correction",
            Self::PayerRefund => "payer_refund",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| ParseError::new("entry kind", format!("{s:?} is not a kind")))
    }
}

/// A change of the balance ("transactie").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// Its id.
    pub id: EntryId,
    /// When it was booked.
    pub at: DateTime<Utc>,
    /// Why.
    pub kind: EntryKind,
    /// The change in the balance's smallest unit: credits positive, charges negative.
    pub amount: i64,
    /// The session it belongs to, if any.
    pub session: Option<SessionId>,
    /// That session's plate (`None` once the privacy job anonymised it) and start, so that the
    /// entry names what it was for.
    pub about: Option<(Option<Plate>, DateTime<Utc>)>,
    /// Staff's reason of a correction.
    pub note: Option<String>,
}

/// Where the next page of sessions starts: after the session with this end and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionCursor {
    /// The last shown session's end.
    pub end: DateTime<Utc>,
    /// The last shown session's id (sessions may end at the same moment).
    pub id: SessionId,
}

impl SessionCursor {
    /// Parses `<end in microseconds since 1970>.<id>`.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let bad = || ParseError::new("cursor", format!("{s:?} is not a cursor of this list"));
        let (micros, id) = s.split_once('.').ok_or_else(bad)?;
        let end = micros
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(bad)?;
        let id = id.parse::<i64>().map_err(|_| bad())?;
        Ok(Self {
            end,
            id: SessionId(id),
        })
    }
}

impl fmt::Display for SessionCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.end.timestamp_micros(), self.id)
    }
}

/// Where the next page of transactions starts: after the entry with this id (entries are
/// numbered in the order they were booked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryCursor(pub EntryId);

impl EntryCursor {
    /// Parses the entry id.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        s.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(|id| Self(EntryId(id)))
            .ok_or_else(|| ParseError::new("cursor", format!("{s:?} is not a cursor of this list")))
    }
}

impl fmt::Display for EntryCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One page of a list, and where the next one starts (`None`: this was the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, C> {
    /// The rows, newest first.
    pub items: Vec<T>,
    /// The cursor of the next page.
    pub next: Option<C>,
}

/// How many rows each tab has ("Parkeeracties (n)", "Transacties (n)").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryCounts {
    /// Sessions (deleted planned sessions do not count).
    pub sessions: u64,
    /// Ledger entries.
    pub transactions: u64,
}

/// Reading a product's history. Callers have checked that the product is the resident's.
#[async_trait]
pub trait HistoryRepository: Send + Sync {
    /// Up to `limit` sessions of `product` that were not deleted (and started by
    /// `started_by`, when given), the latest end first, after `after` when given.
    async fn sessions(
        &self,
        (product, only, started_by): (ProductId, Option<AccountId>, Option<DateTime<Utc>>),
        after: Option<SessionCursor>,
        limit: u32,
    ) -> Result<Vec<PastSession>, StoreError>;
    /// Up to `limit` ledger entries of the owner's balance of `product`, newest first, after
    /// `after` when given.
    async fn transactions(
        &self,
        product: ProductId,
        after: Option<EntryCursor>,
        limit: u32,
    ) -> Result<Vec<Transaction>, StoreError>;
    /// How many sessions (of `only`'s, when given; started by `started_by`, when given) and
    /// entries of the owner's balance `product` has.
    async fn counts(
        &self,
        (product, only, started_by): (ProductId, Option<AccountId>, Option<DateTime<Utc>>),
    ) -> Result<HistoryCounts, StoreError>;
}

/// The two tabs of "Historie".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Every session, planned ones too (the API's list).
    Sessions,
    /// "Parkeeracties": the sessions that have started, the planned ones being no history yet.
    PastSessions,
    /// "Transacties".
    Transactions,
}

/// The rows of one page of a tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rows {
    /// Sessions, the latest end first.
    Sessions(Vec<PastSession>),
    /// Transactions, newest first.
    Transactions(Vec<Transaction>),
}

/// One page of a tab of a product's history.
#[derive(Debug, Clone)]
pub struct HistoryPage {
    /// The product (its unit and time zone say how to show the rows).
    pub product: ProductView,
    /// The rows.
    pub rows: Rows,
    /// The cursor of the next page, as text; `None` on the last page.
    pub next: Option<String>,
}

/// Why a page could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The cursor is not one this tab handed out.
    #[error(transparent)]
    BadCursor(ParseError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The history use cases.
#[derive(Clone)]
pub struct History {
    products: Arc<dyn ProductAccess>,
    repo: Arc<dyn HistoryRepository>,
    clock: Arc<dyn crate::Clock>,
}

/// The page size asked for, within 1..=[`MAX_PAGE`].
pub fn page_size(asked: Option<u32>) -> u32 {
    asked.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
}

/// Cuts one row more than a page off into the next cursor.
fn paged<T, C>(mut rows: Vec<T>, limit: u32, cursor: impl Fn(&T) -> C) -> Page<T, C> {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = if more { rows.last().map(cursor) } else { None };
    Page { items: rows, next }
}

impl History {
    /// On its ports: the products (whose they are), the history store and the clock (what has
    /// started by now).
    pub fn new(
        products: Arc<dyn ProductAccess>,
        repo: Arc<dyn HistoryRepository>,
        clock: Arc<dyn crate::Clock>,
    ) -> Self {
        Self {
            products,
            repo,
            clock,
        }
    }

    /// The product, when it is the resident's.
    pub async fn product(
        &self,
        account: &Account,
        product: ProductId,
    ) -> Result<Option<ProductView>, StoreError> {
        self.products.product_of(account.id, product).await
    }

    /// A page of `tab` of the product's history, after `cursor` (a `next` of the page before);
    /// `None` when the product is not the resident's.
    pub async fn page(
        &self,
        account: &Account,
        product: ProductId,
        tab: Tab,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Option<HistoryPage>, HistoryError> {
        let Some(view) = self.product(account, product).await? else {
            return Ok(None);
        };
        // A mandatee sees their own sessions only, and no transactions.
        let only = view.mandate.as_ref().map(|_| account.id);
        if only.is_some() && tab == Tab::Transactions {
            return Ok(None);
        }
        let (rows, next) = match tab {
            Tab::Sessions | Tab::PastSessions => {
                let after = cursor
                    .map(SessionCursor::parse)
                    .transpose()
                    .map_err(HistoryError::BadCursor)?;
                let started_by = (tab == Tab::PastSessions).then(|| self.clock.now());
                let rows = self
                    .repo
                    .sessions((product, only, started_by), after, limit + 1)
                    .await?;
                let page = paged(rows, limit, |s: &PastSession| SessionCursor {
                    end: s.end,
                    id: s.id,
                });
                (Rows::Sessions(page.items), page.next.map(|c| c.to_string()))
            }
            Tab::Transactions => {
                let after = cursor
                    .map(EntryCursor::parse)
                    .transpose()
                    .map_err(HistoryError::BadCursor)?;
                let rows = self.repo.transactions(product, after, limit + 1).await?;
                let page = paged(rows, limit, |t: &Transaction| EntryCursor(t.id));
                (
                    Rows::Transactions(page.items),
                    page.next.map(|c| c.to_string()),
                )
            }
        };
        Ok(Some(HistoryPage {
            product: view,
            rows,
            next,
        }))
    }

    /// The numbers on the tabs ("Parkeeracties": the sessions that have started); `None` when
    /// the product is not the resident's.
    pub async fn counts(
        &self,
        account: &Account,
        product: ProductId,
    ) -> Result<Option<HistoryCounts>, StoreError> {
        let Some(view) = self.product(account, product).await? else {
            return Ok(None);
        };
        let only = view.mandate.as_ref().map(|_| account.id);
        let now = self.clock.now();
        self.repo.counts((product, only, Some(now))).await.map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_what_they_write() {
        let cursor = SessionCursor {
            end: DateTime::from_timestamp_micros(1_795_000_000_123_456).unwrap(),
            id: SessionId(42),
        };
        assert_eq!(SessionCursor::parse(&cursor.to_string()), Ok(cursor));
        assert_eq!(EntryCursor::parse("17"), Ok(EntryCursor(EntryId(17))));
        for bad in ["", "17", "x.1", "1.x", "1.2.3", "99999999999999999999.1"] {
            assert!(SessionCursor::parse(bad).is_err(), "{bad:?}");
        }
        for bad in ["", "0", "-3", "1.5", "abc"] {
            assert!(EntryCursor::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_page_ends_where_the_rows_end() {
        let full = paged((1..=11).collect::<Vec<i32>>(), 10, |n| *n);
        assert_eq!((full.items.len(), full.next), (10, Some(10)));
        let last = paged((1..=10).collect::<Vec<i32>>(), 10, |n| *n);
        assert_eq!((last.items.len(), last.next), (10, None));
        assert_eq!(page_size(None), 10);
        assert_eq!(page_size(Some(0)), 1);
        assert_eq!(page_size(Some(5000)), 100);
    }

    #[test]
    fn entry_kinds_read_back() {
        for kind in EntryKind::ALL {
            assert_eq!(EntryKind::parse(kind.as_str()), Ok(kind));
        }
        assert!(EntryKind::parse("gift").is_err());
    }
}
