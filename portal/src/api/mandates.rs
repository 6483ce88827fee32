//! "Machtiging(en)" in the JSON API: `GET|POST /v1/products/{id}/mandates` and
//! `DELETE /v1/products/{id}/mandates/{mid}`, for own products only.

use super::BearerToken;
use super::parking::Amount;
use super::refusals::{Failure, declare};
use super::values::AmountText;
use super::{Caller, failure};
use crate::input::GiveMandate;
use crate::refusal_texts;
use parkportal_domain::mandates::{GiveOutcome, Mandate, MandateStatus, Refusal};
use parkportal_domain::parking::ProductView;
use parkportal_domain::plate::Plate;
use parkportal_domain::{MandateId, ProductId};
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

/// The mandate endpoints.
pub struct MandatesApi;

/// A mandate.
#[derive(Debug, Object)]
pub struct MandateItem {
    /// Its id.
    pub id: i64,
    /// The address it was given to.
    pub email: String,
    /// The one plate it is for (`null`: any plate).
    #[oai(nullable)]
    pub plate: Option<String>,
    /// That plate's country.
    #[oai(nullable)]
    pub country: Option<String>,
    /// Its own balance (`null` for a mandate of the previous system, which spends the owner's).
    #[oai(nullable)]
    pub balance: Option<Amount>,
    /// Whether the other coupled it to an account.
    pub accepted: bool,
}

/// The mandates of a product.
#[derive(Debug, Object)]
pub struct MandateList {
    /// Newest first.
    pub items: Vec<MandateItem>,
}

/// A new mandate.
#[derive(Debug, Object)]
pub struct NewMandate {
    /// The other's e-mail address: the invitation goes there.
    pub email: String,
    /// One plate the other may park with (any plate when left out).
    #[oai(nullable)]
    pub plate: Option<String>,
    /// That plate's country (two letters); NL when left out.
    #[oai(nullable)]
    pub country: Option<String>,
    /// The part of the owner's balance given: a decimal string in the product's unit, more than
    /// zero, with at most its decimals ("10.50" euros, "60" minutes); anything else, a JSON
    /// number too, is 422 `amount_invalid`.
    pub amount: AmountText,
}

/// A mandate was given.
#[derive(ApiResponse)]
pub enum MandateCreated {
    /// Given; the invitation is on its way.
    #[oai(status = 201)]
    Created(Json<MandateItem>),
}

/// A mandate was revoked.
#[derive(ApiResponse)]
pub enum MandateRevoked {
    /// Revoked: the mandatee's sessions ended, the rest returned to the owner.
    #[oai(status = 204)]
    NoContent,
}

fn item(product: &ProductView, m: &Mandate) -> MandateItem {
    MandateItem {
        id: m.id.0,
        email: m.email.to_string(),
        plate: m.plate.as_ref().map(Plate::display),
        country: m.plate.as_ref().map(|p| p.country().as_str().to_owned()),
        balance: (!m.imported)
            .then(|| Amount::of(product.unit, product.unit.from_smallest(m.balance))),
        accepted: m.status == MandateStatus::Accepted,
    }
}

declare!(ListRefusals [bearer] { 404 => [NotFound] });
declare!(CreateRefusals [bearer, body, once] {
    404 => [NotFound],
    422 => [
        EmailInvalid, CountryInvalid, PlateInvalid, AmountInvalid, MandatesUnavailable,
        InsufficientBalance, OwnAddress, MandateExists, MandateLimitReached,
    ],
    503 => [RuleError],
});
declare!(RevokeRefusals [bearer] { 404 => [NotFound] });

#[OpenApi]
impl MandatesApi {
    /// The mandates of an own product, with whether each was accepted.
    #[oai(path = "/v1/products/:id/mandates", method = "get")]
    async fn list(
        &self,
        req: &Request,
        _auth: BearerToken,
        id: Path<i64>,
    ) -> Result<Json<MandateList>, Failure<ListRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let (product, mandates) = caller
            .state
            .mandates()
            .list(&account, ProductId(id.0))
            .await
            .map_err(failure::internal)?
            .ok_or_else(|| caller.not_found())?;
        Ok(Json(MandateList {
            items: mandates.iter().map(|m| item(&product, m)).collect(),
        }))
    }

    /// [Bewaar]: gives the address a mandate with an amount of the owner's balance (422
    /// `insufficient_balance` when it is more), optionally for one plate; 422
    /// `mandates_unavailable` where the gemeente gives none, `amount_invalid`, `own_address`,
    /// `mandate_exists`, `mandate_limit_reached`, `email_invalid`, `plate_invalid`.
    #[oai(path = "/v1/products/:id/mandates", method = "post")]
    async fn create(
        &self,
        req: &Request,
        _auth: BearerToken,
        id: Path<i64>,
        body: Json<NewMandate>,
    ) -> Result<MandateCreated, Failure<CreateRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let invalid = |code| caller.fail(StatusCode::UNPROCESSABLE_ENTITY, code);
        // The unit's decimals and zero are the use case's to refuse: only it knows the product.
        let GiveMandate {
            email,
            plate,
            amount,
        } = GiveMandate::parse(
            &body.email,
            body.plate.as_deref(),
            body.country.as_deref(),
            body.amount.decimal().ok(),
        )
        .map_err(|e| invalid(e.code))?;
        let mandates = caller.state.mandates();
        let outcome = mandates
            .give(&account, ProductId(id.0), &email, plate, amount)
            .await
            .map_err(failure::internal)?
            .ok_or_else(|| caller.not_found())?;
        match outcome {
            GiveOutcome::Given(m) => {
                let (product, _) = mandates
                    .list(&account, ProductId(id.0))
                    .await
                    .map_err(failure::internal)?
                    .ok_or_else(|| caller.not_found())?;
                Ok(MandateCreated::Created(Json(item(&product, &m))))
            }
            GiveOutcome::Refused(refusal) => {
                // The mandates page's own words for each refusal.
                let key = refusal_texts::mandate(refusal);
                let status = if refusal == Refusal::RuleError {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                Err(caller.fail_with(status, refusal.into(), &key).into())
            }
        }
    }

    /// [Intrekken]: stops the mandatee's running and planned sessions, returns their unused
    /// part and the mandate's rest to the owner and ends the mandatee's access.
    #[oai(path = "/v1/products/:id/mandates/:mid", method = "delete")]
    async fn revoke(
        &self,
        req: &Request,
        _auth: BearerToken,
        id: Path<i64>,
        mid: Path<i64>,
    ) -> Result<MandateRevoked, Failure<RevokeRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        caller
            .state
            .mandates()
            .revoke(&account, ProductId(id.0), MandateId(mid.0))
            .await
            .map_err(failure::internal)?
            .ok_or_else(|| caller.not_found())?;
        Ok(MandateRevoked::NoContent)
    }
}
