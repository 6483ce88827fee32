//! "Opwaarderen" in the JSON API: `GET|POST /v1/products/{id}/top-ups`,
//! `GET /v1/products/{id}/top-ups/{payment}`, and the provider's webhook at
//! `POST /v1/payments/webhook`.

use super::BearerToken;
use super::parking::Amount;
use super::refusals::{Failure, declare};
use super::values::Time;
use super::{Caller, failure};
use crate::top_up::{description, return_base};
use parkportal_domain::rules::ReasonCode;
use parkportal_domain::top_up::{Bought, Notified, Payment, PaymentStatus, TopUpError};
use parkportal_domain::{BalanceUnit, PaymentId, ProductId};
use parkportal_web::ErrorCode;
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::param::Path;
use poem_openapi::payload::{Form, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};

/// The top-up endpoints.
pub struct TopUpsApi;

/// A top-up option.
#[derive(Debug, Object)]
pub struct TopUpItem {
    /// What `option` names in a POST: the amount as a decimal string in the product's unit.
    pub id: String,
    /// What it adds to the balance.
    pub amount: Amount,
    /// What it costs (EUR).
    pub price: Amount,
}

/// The options still possible under the period's cap.
#[derive(Debug, Object)]
pub struct TopUpList {
    /// In the gemeente's order; empty when none is possible.
    pub items: Vec<TopUpItem>,
    /// Why none is possible: `top_up_cap_reached`, `rule_error` or `tenant_suspended`.
    #[oai(nullable)]
    pub reason: Option<String>,
}

/// [Betaal].
#[derive(Debug, Object)]
pub struct NewTopUp {
    /// The id of one of the options.
    pub option: String,
}

/// A payment of a top-up.
#[derive(Debug, Object)]
pub struct PaymentItem {
    /// Its id.
    pub id: i64,
    /// `open`, `pending`, `paid`, `canceled`, `expired` or `failed`.
    pub status: String,
    /// What it adds to the balance when paid.
    pub amount: Amount,
    /// What it costs (EUR).
    pub price: Amount,
    /// Where the payer pays, while it is open (absolute).
    #[oai(nullable)]
    pub checkout_url: Option<String>,
    /// When an unfinished payment expires.
    pub expires_at: Time,
    /// The product's balance now.
    pub balance: Amount,
}

/// A payment was created.
#[derive(ApiResponse)]
pub enum PaymentCreated {
    /// Created: send the payer to `checkout_url`.
    #[oai(status = 201)]
    Created(Json<PaymentItem>),
}

/// The webhook's body: only the provider's payment id (form-encoded).
#[derive(Debug, Object, serde::Deserialize)]
pub struct WebhookForm {
    /// The provider's payment id (`tr_...`).
    pub id: String,
}

/// The webhook was taken.
#[derive(ApiResponse)]
pub enum WebhookTaken {
    /// Taken (also for an id that is not ours: nothing is told about it).
    #[oai(status = 200)]
    Ok,
}

fn payment_item(p: &Payment, unit: BalanceUnit, balance: i64) -> PaymentItem {
    PaymentItem {
        id: p.id.0,
        status: p.status.as_str().to_owned(),
        amount: Amount::of(unit, unit.from_smallest(p.amount)),
        price: Amount::of(BalanceUnit::Money, p.price()),
        checkout_url: (p.status == PaymentStatus::Open)
            .then(|| p.checkout_url.clone())
            .flatten(),
        expires_at: p.expires_at.into(),
        balance: Amount::of(unit, unit.from_smallest(balance)),
    }
}

declare!(ListRefusals [bearer] { 404 => [NotFound] });
declare!(CreateRefusals [bearer, body, once] {
    404 => [NotFound],
    409 => [TenantSuspended],
    422 => [OptionInvalid, InsufficientBalance, MaxConcurrentSessions, EndOfDay, OutsideAllowedHours, TopUpCapReached, MandatesUnavailable, PlateAlreadyParked, RuleError],
    503 => [PaymentProviderUnavailable],
});
declare!(PaymentRefusals [bearer] { 404 => [NotFound] });
declare!(WebhookRefusals [body, once] { 503 => [PaymentProviderUnavailable] });

#[OpenApi]
impl TopUpsApi {
    /// The top-up options of an own visitor scheme that are still possible under the period's
    /// cap (the cap counts open and pending payments too).
    #[oai(path = "/v1/products/:id/top-ups", method = "get")]
    async fn list(
        &self,
        req: &Request,
        _auth: BearerToken,
        id: Path<i64>,
    ) -> Result<Json<TopUpList>, Failure<ListRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let offer = caller
            .state
            .top_ups()
            .offer(&account, ProductId(id.0))
            .await
            .map_err(failure::internal)?
            .ok_or_else(|| caller.not_found())?;
        let unit = offer.product.unit;
        Ok(Json(TopUpList {
            items: offer
                .options
                .iter()
                .map(|o| TopUpItem {
                    id: o.id(unit),
                    amount: Amount::of(unit, o.amount),
                    price: Amount::of(BalanceUnit::Money, o.price),
                })
                .collect(),
            reason: offer.refusal.map(|r| r.as_str().to_owned()),
        }))
    }

    /// [Betaal]: opens a payment of one option; 201 with the `checkout_url` to send the payer
    /// to. Over the cap is 422 `top_up_cap_reached`; an id that is not an option 422
    /// `option_invalid`; an unreachable provider 503 `payment_provider_unavailable`; a
    /// suspended gemeente 409 `tenant_suspended` (as for a start).
    #[oai(path = "/v1/products/:id/top-ups", method = "post")]
    async fn create(
        &self,
        req: &Request,
        _auth: BearerToken,
        id: Path<i64>,
        body: Json<NewTopUp>,
    ) -> Result<PaymentCreated, Failure<CreateRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let top_ups = caller.state.top_ups();
        let offer = top_ups
            .offer(&account, ProductId(id.0))
            .await
            .map_err(failure::internal)?
            .ok_or_else(|| caller.not_found())?;
        let bought = top_ups
            .buy(
                &account,
                ProductId(id.0),
                &body.option,
                &return_base(&caller.page),
                &description(&caller.page, &offer.product),
            )
            .await;
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
        match bought {
            Ok(Some(Bought::Created(p))) => Ok(PaymentCreated::Created(Json(payment_item(
                &p,
                offer.product.unit,
                offer.product.balance,
            )))),
            Ok(Some(Bought::UnknownOption)) => {
                Err(caller.fail(unprocessable, ErrorCode::OptionInvalid).into())
            }
            // The gemeente's state, not the request, is in the way: the same status as a start.
            Ok(Some(Bought::Refused(ReasonCode::TenantSuspended))) => Err(caller
                .fail(StatusCode::CONFLICT, ErrorCode::TenantSuspended)
                .into()),
            Ok(Some(Bought::Refused(reason))) => {
                Err(caller.fail(unprocessable, reason.into()).into())
            }
            Ok(None) => Err(caller.not_found().into()),
            Err(TopUpError::Provider(e)) => {
                tracing::warn!(error = %e, "payment not created");
                Err(caller
                    .fail(
                        StatusCode::SERVICE_UNAVAILABLE,
                        ErrorCode::PaymentProviderUnavailable,
                    )
                    .into())
            }
            Err(e) => Err(failure::internal(e).into()),
        }
    }

    /// One payment of an own product, after asking the provider when it is still going on;
    /// with the balance afterwards.
    #[oai(path = "/v1/products/:id/top-ups/:payment", method = "get")]
    async fn payment(
        &self,
        req: &Request,
        _auth: BearerToken,
        id: Path<i64>,
        payment: Path<i64>,
    ) -> Result<Json<PaymentItem>, Failure<PaymentRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let (payment, product) = caller
            .state
            .top_ups()
            .payment(&account, ProductId(id.0), PaymentId(payment.0))
            .await
            .map_err(failure::internal)?
            .ok_or_else(|| caller.not_found())?;
        Ok(Json(payment_item(&payment, product.unit, product.balance)))
    }

    /// The payment provider's webhook: a form with only `id`, unsigned, so the payment is
    /// fetched from the provider and what it says is settled. A provider that cannot be reached
    /// is 503, and the provider tries again.
    #[oai(path = "/v1/payments/webhook", method = "post")]
    async fn webhook(
        &self,
        req: &Request,
        body: Form<WebhookForm>,
    ) -> Result<WebhookTaken, Failure<WebhookRefusals>> {
        let caller = Caller::of(req)?;
        match caller.state.top_ups().notify(body.id.trim()).await {
            Ok(Notified::Settled(settled)) => {
                tracing::info!(?settled, "payment webhook");
                Ok(WebhookTaken::Ok)
            }
            Ok(Notified::Unknown) => {
                tracing::info!("payment webhook for an unknown payment");
                Ok(WebhookTaken::Ok)
            }
            Err(TopUpError::Provider(e)) => {
                tracing::warn!(error = %e, "payment webhook: provider not reached");
                Err(caller
                    .fail(
                        StatusCode::SERVICE_UNAVAILABLE,
                        ErrorCode::PaymentProviderUnavailable,
                    )
                    .into())
            }
            Err(e) => Err(failure::internal(e).into()),
        }
    }
}
