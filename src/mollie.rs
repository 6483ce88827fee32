//! The Mollie payments API as the domain's payment provider: create with an idempotency key,
//! fetch by id (the webhook carries only the id, unsigned, so the status is always fetched), and
//! refund part of a paid payment (`POST /payments/{id}/refunds`, with an idempotency key).

use async_trait::async_trait;
use parkportal_domain::top_up::{
    PaymentProvider, PaymentRequest, PaymentStatus, ProviderError, ProviderPayment, ProviderRefund,
    RefundFailure, RefundRequest,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// A Mollie account's payments.
pub struct MollieProvider {
    client: reqwest::Client,
    api_key: String,
    base_url: String,
}

impl MollieProvider {
    /// With `api_key` on the API at `base_url` (`https://api.mollie.com/v2`).
    pub fn new(api_key: String, base_url: &str) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("Parkportal/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            client,
            api_key,
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
    }

    /// POSTs `body` to `path` under `idempotency_key`: a retry after a lost answer makes
    /// nothing twice, Mollie answers with what the first request made.
    async fn post(
        &self,
        path: &str,
        idempotency_key: &str,
        body: &serde_json::Value,
    ) -> reqwest::Result<reqwest::Response> {
        self.client
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(&self.api_key)
            .header("Idempotency-Key", idempotency_key)
            .json(body)
            .send()
            .await
    }
}

/// A payment in Mollie's words (the fields we read).
#[derive(Debug, Deserialize)]
struct MolliePayment {
    id: String,
    status: String,
    amount: MollieAmount,
    #[serde(rename = "_links", default)]
    links: MollieLinks,
}

#[derive(Debug, Deserialize)]
struct MollieAmount {
    currency: String,
    /// A string with two decimals, as Mollie sends it.
    value: String,
}

#[derive(Debug, Default, Deserialize)]
struct MollieLinks {
    checkout: Option<MollieLink>,
}

#[derive(Debug, Deserialize)]
struct MollieLink {
    href: String,
}

/// Mollie's error body (`application/hal+json`).
#[derive(Debug, Deserialize)]
struct MollieProblem {
    title: Option<String>,
    detail: Option<String>,
}

fn status_of(s: &str) -> Result<PaymentStatus, ProviderError> {
    match s {
        // Card payments pass through "authorized"; for us it is still under way.
        "authorized" => Ok(PaymentStatus::Pending),
        other => PaymentStatus::parse(other)
            .ok_or_else(|| ProviderError(format!("unknown status {other:?}"))),
    }
}

impl MolliePayment {
    fn into_provider(self) -> Result<ProviderPayment, ProviderError> {
        if self.amount.currency != "EUR" {
            return Err(ProviderError(format!(
                "payment {} is in {}",
                self.id, self.amount.currency
            )));
        }
        let price: Decimal = self
            .amount
            .value
            .parse()
            .map_err(|_| ProviderError(format!("amount {:?}", self.amount.value)))?;
        Ok(ProviderPayment {
            status: status_of(&self.status)?,
            price,
            checkout_url: self.links.checkout.map(|l| l.href),
            id: self.id,
        })
    }
}

async fn read(response: reqwest::Response) -> Result<ProviderPayment, ProviderError> {
    let status = response.status();
    if !status.is_success() {
        // The title and detail say what was wrong; the request and its key are not repeated.
        let problem: Option<MollieProblem> = response.json().await.ok();
        let (title, detail) = problem
            .map(|p| (p.title.unwrap_or_default(), p.detail.unwrap_or_default()))
            .unwrap_or_default();
        return Err(ProviderError(format!("HTTP {status}: {title}: {detail}")));
    }
    response
        .json::<MolliePayment>()
        .await
        .map_err(|e| ProviderError(format!("unreadable payment: {e}")))?
        .into_provider()
}

/// A refund in Mollie's words (the fields we read).
#[derive(Debug, Deserialize)]
struct MollieRefund {
    id: String,
    status: String,
}

/// Whether `id` has the shape of one of Mollie's ids, so that it may go into a path.
fn is_mollie_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A refund's answer: a 4xx is Mollie's refusal (nothing refunded), anything else unanswered
/// is unsure (it may have been made; the idempotency key makes sending it again safe).
async fn read_refund(response: reqwest::Response) -> Result<ProviderRefund, RefundFailure> {
    let status = response.status();
    if !status.is_success() {
        let problem: Option<MollieProblem> = response.json().await.ok();
        let (title, detail) = problem
            .map(|p| (p.title.unwrap_or_default(), p.detail.unwrap_or_default()))
            .unwrap_or_default();
        let why = format!("HTTP {status}: {title}: {detail}");
        return Err(if status.is_client_error() {
            RefundFailure::Refused(why)
        } else {
            RefundFailure::Unsure(why)
        });
    }
    let refund: MollieRefund = response
        .json()
        .await
        .map_err(|e| RefundFailure::Unsure(format!("unreadable refund: {e}")))?;
    Ok(ProviderRefund {
        id: refund.id,
        status: refund.status,
    })
}

fn transport(e: reqwest::Error) -> ProviderError {
    // Without the URL: it is ours, and the error's Display would repeat it.
    ProviderError(format!("unreachable: {}", e.without_url()))
}

#[async_trait]
impl PaymentProvider for MollieProvider {
    fn simulated(&self) -> bool {
        false
    }

    fn checkout_origins(&self) -> Vec<String> {
        // Mollie's hosted checkout; a test double serves its checkout from the API's host.
        let mut origins = vec!["https://www.mollie.com".to_owned()];
        if !self.base_url.starts_with("https://api.mollie.com") {
            origins.push(parkportal_store::origin_of(&self.base_url));
        }
        origins
    }

    async fn create(&self, request: &PaymentRequest) -> Result<ProviderPayment, ProviderError> {
        let body = json!({
            "amount": { "currency": "EUR", "value": format!("{:.2}", request.price) },
            "description": request.description,
            "redirectUrl": request.redirect_url,
            "webhookUrl": request.webhook_url,
            "method": "ideal",
            "metadata": { "payment": request.payment.0 },
        });
        let response = self
            .post("/payments", &request.idempotency_key, &body)
            .await
            .map_err(transport)?;
        read(response).await
    }

    async fn fetch(&self, id: &str) -> Result<ProviderPayment, ProviderError> {
        // The id came from outside (the webhook): only Mollie's own shape goes into the path.
        if !is_mollie_id(id) {
            return Err(ProviderError("not a payment id".into()));
        }
        let response = self
            .client
            .get(format!("{}/payments/{id}", self.base_url))
            .bearer_auth(&self.api_key)
            .send()
            .await
            .map_err(transport)?;
        read(response).await
    }

    async fn refund(&self, request: &RefundRequest) -> Result<ProviderRefund, RefundFailure> {
        let id = &request.payment_ref;
        if !is_mollie_id(id) {
            return Err(RefundFailure::Refused("not a payment id".into()));
        }
        let body = json!({
            "amount": { "currency": "EUR", "value": format!("{:.2}", request.price) },
            "description": request.description,
        });
        let response = self
            .post(
                &format!("/payments/{id}/refunds"),
                &request.idempotency_key,
                &body,
            )
            .await
            .map_err(|e| RefundFailure::Unsure(transport(e).0))?;
        read_refund(response).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documented_payment_reads() {
        // The shape of Mollie's "Get payment" example.
        let body = r#"{"resource":"payment","id":"tr_7UhSN1zuXS","mode":"test",
            "amount":{"value":"10.00","currency":"EUR"},"description":"Order #12345",
            "status":"open","method":"ideal",
            "_links":{"self":{"href":"https://api.mollie.com/v2/payments/tr_7UhSN1zuXS","type":"application/hal+json"},
            "checkout":{"href":"https://www.mollie.com/checkout/select-method/7UhSN1zuXS","type":"text/html"}}}"#;
        let p: MolliePayment = serde_json::from_str(body).unwrap();
        let p = p.into_provider().unwrap();
        assert_eq!(p.id, "tr_7UhSN1zuXS");
        assert_eq!(p.status, PaymentStatus::Open);
        assert_eq!(p.price, "10.00".parse::<Decimal>().unwrap());
        assert_eq!(
            p.checkout_url.as_deref(),
            Some("https://www.mollie.com/checkout/select-method/7UhSN1zuXS")
        );
        assert_eq!(status_of("authorized"), Ok(PaymentStatus::Pending));
        assert!(status_of("refunded-ish").is_err());
    }

    #[tokio::test]
    async fn an_id_of_another_shape_never_reaches_the_url() {
        // Nothing listens here: a request would fail with "unreachable", not this refusal.
        let mollie = MollieProvider::new("test_x".into(), "http://127.0.0.1:9/v2").unwrap();
        for id in ["../payments", "tr_1/refunds", "", "tr_1?x=1"] {
            assert_eq!(
                mollie.fetch(id).await,
                Err(ProviderError("not a payment id".into())),
                "{id:?}"
            );
        }
    }
}
