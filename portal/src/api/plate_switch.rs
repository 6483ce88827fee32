//! "De kentekenswitch" in the JSON API: `PUT /v1/products/{id}/active-plate`.

use super::BearerToken;
use super::parking::{ProductItem, product_item};
use super::refusals::{Failure, declare};
use super::{Caller, failure};
use crate::input::vehicle;
use parkportal_domain::ProductId;
use parkportal_domain::parking::{ParkingProblem, SwitchOutcome};
use parkportal_web::ErrorCode;
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

/// The plate switch endpoint.
pub struct PlateSwitchApi;

/// The plate to make active.
#[derive(Debug, Object)]
pub struct ActivePlate {
    /// One of the permit's plates (with or without dashes).
    pub plate: String,
    /// Its country (two letters); NL when left out.
    #[oai(nullable)]
    pub country: Option<String>,
}

declare!(PutRefusals [bearer, body] {
    404 => [NotFound],
    422 => [PlateSwitchUnavailable, PlateNotOnPermit],
});

#[OpenApi]
impl PlateSwitchApi {
    /// [Selecteer]: makes one plate of a permit for several plates the active one. A plate not
    /// on the permit is refused (422 `plate_not_on_permit`), as is a product without a plate
    /// switch (422 `plate_switch_unavailable`).
    #[oai(path = "/v1/products/:id/active-plate", method = "put")]
    async fn put(
        &self,
        req: &Request,
        _auth: BearerToken,
        id: Path<i64>,
        body: Json<ActivePlate>,
    ) -> Result<Json<ProductItem>, Failure<PutRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let plate = vehicle(&body.plate, body.country.as_deref()).ok();
        let parking = caller.state.parking();
        let outcome = match plate {
            Some(plate) => parking
                .switch_plate(&account, ProductId(id.0), &plate)
                .await
                .map_err(failure::internal)?,
            None => SwitchOutcome::NotOnPermit,
        };
        match outcome {
            SwitchOutcome::Switched(_) => {
                let card = parking
                    .card(&account, ProductId(id.0))
                    .await
                    .map_err(failure::internal)?
                    .ok_or_else(|| caller.not_found())?;
                Ok(Json(product_item(&card)))
            }
            SwitchOutcome::NotFound => Err(caller.not_found().into()),
            SwitchOutcome::NoSwitch => Err(caller
                .fail(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::PlateSwitchUnavailable,
                )
                .into()),
            SwitchOutcome::NotOnPermit => {
                Err(caller.invalid(ParkingProblem::PlateNotOnPermit).into())
            }
        }
    }
}
