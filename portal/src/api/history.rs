//! "Historie" in the JSON API: a product's sessions and transactions, newest first, in pages
//! that follow `next_cursor` until it is null.

use super::BearerToken;
use super::parking::Amount;
use super::refusals::{Failure, declare};
use super::values::Time;
use super::{Caller, failure};
use parkportal_domain::ProductId;
use parkportal_domain::history::{HistoryError, HistoryPage, Rows, Tab, page_size};
use parkportal_web::ErrorCode;
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

/// The history endpoints.
pub struct HistoryApi;

/// A session in the history.
#[derive(Debug, Object)]
pub struct PastSessionItem {
    /// Its id.
    pub id: i64,
    /// The plate as written; null once anonymised (after the gemeente's retention, at most 13
    /// weeks after the session ended).
    #[oai(nullable)]
    pub plate: Option<String>,
    /// The plate's country; null once anonymised.
    #[oai(nullable)]
    pub country: Option<String>,
    /// Start.
    pub start: Time,
    /// End (exclusive): the moment of stopping when stopped early.
    pub end: Time,
    /// What it cost, in the product's unit.
    pub cost: Amount,
}

/// A change of the balance.
#[derive(Debug, Object)]
pub struct TransactionItem {
    /// Its id.
    pub id: i64,
    /// When it was booked.
    pub at: Time,
    /// `opening`, `grant`, `top_up`, `reservation`, `refund`, `mandate_grant`,
    /// `mandate_return`, `correction`, `staff_correction` (a help-desk correction) or
    /// `payer_refund` (a revoked product's balance refunded to the payer).
    pub kind: String,
    /// The change: positive for credits, negative for charges. All entries sum to the balance.
    pub amount: Amount,
    /// The session a reservation or refund belongs to.
    #[oai(nullable)]
    pub session: Option<i64>,
    /// The reason given with a correction.
    #[oai(nullable)]
    pub note: Option<String>,
}

/// A page of sessions.
#[derive(Debug, Object)]
pub struct PastSessionPage {
    /// The latest end first.
    pub items: Vec<PastSessionItem>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

/// A page of transactions.
#[derive(Debug, Object)]
pub struct TransactionPage {
    /// Newest first.
    pub items: Vec<TransactionItem>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

impl Caller {
    /// A page of `tab`, or 404 (not the resident's product) or 422 (a cursor of something
    /// else).
    async fn history_page(
        &self,
        id: i64,
        tab: Tab,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> poem::Result<HistoryPage> {
        let (account, _) = self.bearer()?;
        match self
            .state
            .history()
            .page(&account, ProductId(id), tab, cursor, page_size(limit))
            .await
        {
            Ok(Some(page)) => Ok(page),
            Ok(None) => Err(self.not_found()),
            Err(HistoryError::BadCursor(_)) => {
                Err(self.fail(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::CursorInvalid))
            }
            Err(HistoryError::Store(e)) => Err(failure::internal(e)),
        }
    }
}

declare!(SessionsRefusals [bearer] { 404 => [NotFound], 422 => [CursorInvalid] });
declare!(TransactionsRefusals [bearer] { 404 => [NotFound], 422 => [CursorInvalid] });

#[OpenApi]
impl HistoryApi {
    /// The product's sessions, the latest end first (deleted planned sessions are left out).
    /// `limit` is 10 unless given, at most 100.
    #[oai(path = "/v1/products/:id/history/sessions", method = "get")]
    async fn sessions(
        &self,
        req: &Request,
        _auth: BearerToken,
        id: Path<i64>,
        cursor: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u32>>,
    ) -> Result<Json<PastSessionPage>, Failure<SessionsRefusals>> {
        let caller = Caller::of(req)?;
        let page = caller
            .history_page(id.0, Tab::Sessions, cursor.0.as_deref(), limit.0)
            .await?;
        let unit = page.product.unit;
        let Rows::Sessions(rows) = page.rows else {
            return Err(failure::internal(std::io::Error::other("not sessions")).into());
        };
        Ok(Json(PastSessionPage {
            items: rows
                .into_iter()
                .map(|s| PastSessionItem {
                    id: s.id.0,
                    plate: s.plate.as_ref().map(|p| p.display()),
                    country: s.plate.as_ref().map(|p| p.country().as_str().to_owned()),
                    start: s.start.into(),
                    end: s.end.into(),
                    cost: Amount::of(unit, unit.from_smallest(s.cost)),
                })
                .collect(),
            next_cursor: page.next,
        }))
    }

    /// The product's transactions (every change of its balance), newest first. `limit` is 10
    /// unless given, at most 100.
    #[oai(path = "/v1/products/:id/history/transactions", method = "get")]
    async fn transactions(
        &self,
        req: &Request,
        _auth: BearerToken,
        id: Path<i64>,
        cursor: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u32>>,
    ) -> Result<Json<TransactionPage>, Failure<TransactionsRefusals>> {
        let caller = Caller::of(req)?;
        let page = caller
            .history_page(id.0, Tab::Transactions, cursor.0.as_deref(), limit.0)
            .await?;
        let unit = page.product.unit;
        let Rows::Transactions(rows) = page.rows else {
            return Err(failure::internal(std::io::Error::other("not transactions")).into());
        };
        Ok(Json(TransactionPage {
            items: rows
                .into_iter()
                .map(|t| TransactionItem {
                    id: t.id.0,
                    at: t.at.into(),
                    kind: t.kind.as_str().to_owned(),
                    amount: Amount::of(unit, unit.from_smallest(t.amount)),
                    session: t.session.map(|s| s.0),
                    note: t.note,
                })
                .collect(),
            next_cursor: page.next,
        }))
    }
}
