//! Products and parking sessions in the JSON API: the same use cases as the pages. Amounts are
//! written as `{"value": "3.50", "unit": "EUR"}` and read as decimal strings in the product's
//! unit; times are RFC 3339.

use super::BearerToken;
use super::refusals::{Failure, declare};
use super::values::Time;
use super::{Caller, failure};
use crate::input::vehicle;
use crate::refusal_texts;
use chrono::{DateTime, Utc};
use parkportal_domain::coupling::ClaimError;
use parkportal_domain::parking::{
    ListedSession, Outcome, ParkingProblem, ParkingSession, ProductCard, SessionState,
    StartRequest, Verdict,
};
use parkportal_domain::rules::ReasonCode;
use parkportal_domain::{BalanceUnit, ProductId, SessionId};
use parkportal_web::{ApiFailure, ErrorCode};

use poem::Request;
use poem::http::StatusCode;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use rust_decimal::Decimal;

/// The parking endpoints.
pub struct ParkingApi;

/// An amount in a unit.
// serde writes it too: in the download of the resident's data (`own_data`).
#[derive(Debug, Clone, Object, serde::Serialize)]
pub struct Amount {
    /// The value as a decimal string: two decimals for euros, whole minutes or sessions.
    pub value: String,
    /// `EUR`, `minutes` or `sessions`.
    pub unit: String,
}

impl Amount {
    /// `amount` (in the unit) of `unit`.
    pub fn of(unit: BalanceUnit, amount: Decimal) -> Self {
        let (value, unit) = match unit {
            BalanceUnit::Money => (format!("{:.2}", amount.round_dp(2)), "EUR"),
            BalanceUnit::Minutes => (amount.round_dp(0).to_string(), "minutes"),
            BalanceUnit::Sessions => (amount.round_dp(0).to_string(), "sessions"),
            BalanceUnit::None => (amount.round_dp(0).to_string(), "none"),
        };
        Self {
            value,
            unit: unit.to_owned(),
        }
    }
}

/// A product on the resident's list.
#[derive(Debug, Object)]
pub struct ProductItem {
    /// Its id.
    pub id: i64,
    /// The product type's name.
    pub name: String,
    /// The gemeente's name.
    pub gemeente: String,
    /// The zone's name.
    pub zone: String,
    /// Valid until (exclusive).
    pub valid_until: Time,
    /// The balance.
    pub balance: Amount,
    /// Running sessions now.
    pub running: u32,
    /// Planned sessions.
    pub planned: u32,
    /// The owner's address when the product is used through a mandate; null for own products.
    #[oai(nullable)]
    pub mandated_by: Option<String>,
    /// The plates of a permit, as written.
    pub plates: Vec<String>,
    /// The active plate of a permit for several plates ("kentekenswitch"); null while none is
    /// (the resident risks a fine) and for other products.
    #[oai(nullable)]
    pub active_plate: Option<String>,
}

/// A list of products.
#[derive(Debug, Object)]
pub struct ProductList {
    /// The products, by gemeente.
    pub items: Vec<ProductItem>,
}

/// A parking session.
#[derive(Debug, Object)]
pub struct SessionItem {
    /// Its id.
    pub id: i64,
    /// Its product.
    pub product: i64,
    /// The plate as written (Dutch plates with their dashes).
    pub plate: String,
    /// The plate's country.
    pub country: String,
    /// Start.
    pub start: Time,
    /// End (exclusive).
    pub end: Time,
    /// `planned`, `running`, `ended` or `deleted`.
    pub state: String,
    /// What it holds of the balance.
    pub cost: Amount,
    /// How the cost is made up (per local day: paid minutes and amount).
    pub breakdown: serde_json::Value,
    /// Whether the caller started it, and so may stop or extend it.
    pub mine: bool,
    /// For the owner, the address of the mandatee who started it; null for the caller's own
    /// sessions and for a mandatee.
    #[oai(nullable)]
    pub started_by: Option<String>,
}

/// A list of sessions.
#[derive(Debug, Object)]
pub struct SessionList {
    /// Running and planned sessions, by start.
    pub items: Vec<SessionItem>,
}

/// A new session.
#[derive(Debug, Object)]
pub struct NewSession {
    /// The plate.
    pub plate: String,
    /// The plate's country (two letters); NL when left out.
    #[oai(nullable)]
    pub country: Option<String>,
    /// Start (RFC 3339; a leap second is 400); now when left out.
    #[oai(nullable)]
    pub start: Option<Time>,
    /// End (RFC 3339; a leap second is 400); 00:00 of the next local day when left out.
    #[oai(nullable)]
    pub end: Option<Time>,
}

/// The code and PIN of an allocation letter.
#[derive(Debug, Object)]
pub struct ClaimRequest {
    /// The product code (with or without its dash, any case).
    pub code: String,
    /// The PIN.
    pub pin: String,
}

/// A new end.
#[derive(Debug, Object)]
pub struct SessionPatch {
    /// The later end (RFC 3339; a leap second is 400).
    pub end: Time,
}

/// A session was created.
#[derive(ApiResponse)]
pub enum Created {
    /// Created.
    #[oai(status = 201)]
    Created(Json<SessionItem>),
}

fn state_name(s: SessionState) -> &'static str {
    match s {
        SessionState::Planned => "planned",
        SessionState::Running => "running",
        SessionState::Ended => "ended",
        SessionState::Deleted => "deleted",
    }
}

/// `s` as the API shows it to its caller, who started it (`mine`) or is told who did
/// (`started_by`).
fn session_item(listed: &ListedSession, unit: BalanceUnit, now: DateTime<Utc>) -> SessionItem {
    let s = &listed.session;
    SessionItem {
        mine: listed.mine,
        started_by: listed.started_by.as_ref().map(ToString::to_string),
        id: s.id.0,
        product: s.product.0,
        plate: s.plate.display(),
        country: s.plate.country().as_str().to_owned(),
        start: s.start.into(),
        end: s.end.into(),
        state: state_name(s.state(now)).to_owned(),
        cost: Amount::of(unit, unit.from_smallest(s.reserved)),
        breakdown: serde_json::to_value(&s.breakdown).unwrap_or(serde_json::Value::Null),
    }
}

pub(super) fn product_item(card: &ProductCard) -> ProductItem {
    let p = &card.product;
    ProductItem {
        id: p.id.0,
        name: p.type_name.clone(),
        gemeente: p.tenant_name.clone(),
        zone: p.zone_name.clone(),
        valid_until: p.valid_until.into(),
        balance: Amount::of(p.unit, p.balance_amount()),
        running: u32::try_from(card.running).unwrap_or(u32::MAX),
        planned: u32::try_from(card.planned).unwrap_or(u32::MAX),
        plates: p.plates.iter().map(|p| p.display()).collect(),
        active_plate: p.active_plate.as_ref().map(|p| p.display()),
        mandated_by: p.mandate.as_ref().map(|m| m.owner_email.clone()),
    }
}

impl Caller {
    /// A refusal by the rules: 409 with the reasons, the manual's message for the first (in
    /// words of extending for an extension), and every alternative that fits (post its start and
    /// end to accept it; for an extension, patch its end).
    fn refused(&self, verdict: &Verdict, unit: BalanceUnit, extension: bool) -> poem::Error {
        let first = verdict
            .reasons
            .first()
            .copied()
            .unwrap_or(ReasonCode::RuleError);
        let message = self.page.t(&refusal_texts::reason(first, extension));
        let mut extra = serde_json::Map::new();
        extra.insert(
            "reasons".into(),
            verdict.reasons.iter().map(|r| r.as_str()).collect(),
        );
        extra.insert(
            "alternatives".into(),
            verdict
                .alternatives
                .iter()
                .map(|a| {
                    let cost = Amount::of(unit, a.cost);
                    serde_json::json!({
                        "kind": a.kind.as_str(),
                        "start": Time::text(a.start),
                        "end": Time::text(a.end),
                        "cost": { "value": cost.value, "unit": cost.unit },
                    })
                })
                .collect(),
        );
        ApiFailure {
            status: StatusCode::CONFLICT,
            code: verdict
                .reasons
                .first()
                .map_or(ErrorCode::RuleError, |r| (*r).into()),
            message,
            extra: Some(extra),
        }
        .into()
    }

    pub(super) fn invalid(&self, problem: ParkingProblem) -> poem::Error {
        self.fail(StatusCode::UNPROCESSABLE_ENTITY, problem.into())
    }

    pub(super) fn not_found(&self) -> poem::Error {
        self.fail(StatusCode::NOT_FOUND, ErrorCode::NotFound)
    }

    /// `plate_already_parked`: 409 naming the session the plate parks in (`session_id`; null
    /// for a mandatee blocked by a session they may not see).
    fn already_parked(&self, other: Option<&ParkingSession>) -> poem::Error {
        let code = ErrorCode::PlateAlreadyParked;
        let mut extra = serde_json::Map::new();
        extra.insert("session_id".into(), other.map(|s| s.id.0).into());
        extra.insert("reasons".into(), vec![code.as_str()].into());
        extra.insert("alternatives".into(), serde_json::Value::Array(Vec::new()));
        ApiFailure {
            status: StatusCode::CONFLICT,
            code,
            message: self.page.t(code.message_key()),
            extra: Some(extra),
        }
        .into()
    }

    /// The session outcome as a response; `extension` when it answers a new end.
    fn session_outcome(
        &self,
        outcome: Outcome<ParkingSession>,
        unit: BalanceUnit,
        extension: bool,
    ) -> poem::Result<SessionItem> {
        let now = self.state.parking().now();
        match outcome {
            // The caller acted on it, so it is theirs to see without a "started by".
            Outcome::Done(session) => {
                // The session the caller just started or extended: theirs.
                let listed = ListedSession {
                    session,
                    mine: true,
                    started_by: None,
                };
                Ok(session_item(&listed, unit, now))
            }
            Outcome::Refused(verdict) => Err(self.refused(&verdict, unit, extension)),
            Outcome::AlreadyParked(other) => Err(self.already_parked(other.as_deref())),
            Outcome::Invalid(problem) => Err(self.invalid(problem)),
            Outcome::NotFound => Err(self.not_found()),
        }
    }

    /// The unit of the product of `session`, or 404.
    async fn unit_of_session(&self, session: SessionId) -> poem::Result<BalanceUnit> {
        let (account, _) = self.bearer()?;
        let parking = self.state.parking();
        let Some(s) = parking
            .session(&account, session)
            .await
            .map_err(failure::internal)?
        else {
            return Err(self.not_found());
        };
        let product = parking
            .product(&account, s.product)
            .await
            .map_err(failure::internal)?
            .ok_or_else(|| self.not_found())?;
        Ok(product.unit)
    }
}

declare!(ProductsRefusals [bearer] {});
declare!(ClaimRefusals [bearer, body, once] {
    404 => [NotFound],
    422 => [ClaimUnknown],
    429 => [TooManyAttempts],
});
declare!(AllSessionsRefusals [bearer] {});
declare!(SessionsRefusals [bearer] { 404 => [NotFound] });
declare!(StartRefusals [bearer, body, once] {
    404 => [NotFound],
    409 => [InsufficientBalance, MaxConcurrentSessions, EndOfDay, OutsideAllowedHours, TopUpCapReached, MandatesUnavailable, PlateAlreadyParked, RuleError, TenantSuspended],
    422 => [CountryInvalid, PlateInvalid, StartInPast, EndBeforeStart, OutsideValidity, SessionOver, NotLater, PlateNotOnPermit, PlateNotOnMandate],
});
declare!(ExtendRefusals [bearer, body] {
    404 => [NotFound],
    409 => [InsufficientBalance, MaxConcurrentSessions, EndOfDay, OutsideAllowedHours, TopUpCapReached, MandatesUnavailable, PlateAlreadyParked, RuleError, TenantSuspended],
    422 => [StartInPast, EndBeforeStart, OutsideValidity, SessionOver, NotLater, PlateNotOnPermit, PlateNotOnMandate],
});
declare!(EndRefusals [bearer] {
    404 => [NotFound],
    409 => [InsufficientBalance, MaxConcurrentSessions, EndOfDay, OutsideAllowedHours, TopUpCapReached, MandatesUnavailable, PlateAlreadyParked, RuleError],
    422 => [StartInPast, EndBeforeStart, OutsideValidity, SessionOver, NotLater, PlateNotOnPermit, PlateNotOnMandate],
});

#[OpenApi]
impl ParkingApi {
    /// The resident's products with balance and numbers of running and planned sessions.
    #[oai(path = "/v1/products", method = "get")]
    async fn products(
        &self,
        req: &Request,
        _auth: BearerToken,
    ) -> Result<Json<ProductList>, Failure<ProductsRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let cards = caller
            .state
            .parking()
            .products(&account)
            .await
            .map_err(failure::internal)?;
        Ok(Json(ProductList {
            items: cards.iter().map(product_item).collect(),
        }))
    }

    /// [Voeg product toe]: the code and PIN of an allocation letter couple the product. Wrong
    /// combinations get one answer (422 `claim_unknown`); too many of them wait (429).
    #[oai(path = "/v1/products/claim", method = "post")]
    async fn claim(
        &self,
        req: &Request,
        _auth: BearerToken,
        body: Json<ClaimRequest>,
    ) -> Result<Json<ProductItem>, Failure<ClaimRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let product = match caller
            .state
            .desk()
            .claim(&account, &body.code, &body.pin, &caller.page.client)
            .await
        {
            Ok(p) => p,
            Err(ClaimError::Unknown) => {
                return Err(caller
                    .fail(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ClaimUnknown)
                    .into());
            }
            Err(ClaimError::Blocked(b)) => {
                return Err(caller.blocked(b.until, "claim.blocked").into());
            }
            Err(ClaimError::Store(e)) => return Err(failure::internal(e).into()),
        };
        let cards = caller
            .state
            .parking()
            .products(&account)
            .await
            .map_err(failure::internal)?;
        let card = cards
            .iter()
            .find(|c| c.product.id == product)
            .ok_or_else(|| caller.not_found())?;
        Ok(Json(product_item(card)))
    }

    /// "Alle parkeeracties": the running and planned sessions of all the resident's products,
    /// by start.
    #[oai(path = "/v1/sessions", method = "get")]
    async fn all_sessions(
        &self,
        req: &Request,
        _auth: BearerToken,
    ) -> Result<Json<SessionList>, Failure<AllSessionsRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let parking = caller.state.parking();
        let now = parking.now();
        let all = parking
            .all_sessions(&account)
            .await
            .map_err(failure::internal)?;
        Ok(Json(SessionList {
            items: all
                .iter()
                .map(|(listed, p)| session_item(listed, p.unit, now))
                .collect(),
        }))
    }

    /// The running and planned sessions of a product.
    #[oai(path = "/v1/products/:id/sessions", method = "get")]
    async fn sessions(
        &self,
        req: &Request,
        _auth: BearerToken,
        id: Path<i64>,
    ) -> Result<Json<SessionList>, Failure<SessionsRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let parking = caller.state.parking();
        let product = parking
            .product(&account, ProductId(id.0))
            .await
            .map_err(failure::internal)?
            .ok_or_else(|| caller.not_found())?;
        let sessions = parking
            .sessions(&account, ProductId(id.0))
            .await
            .map_err(failure::internal)?
            .ok_or_else(|| caller.not_found())?;
        let now = parking.now();
        Ok(Json(SessionList {
            items: sessions
                .iter()
                .map(|listed| session_item(listed, product.unit, now))
                .collect(),
        }))
    }

    /// Starts or plans a session. Refused: 409 with the reason and the alternatives; accept one
    /// by posting its start and end. While the gemeente is suspended: 409 `tenant_suspended`,
    /// without alternatives.
    #[oai(path = "/v1/products/:id/sessions", method = "post")]
    async fn start(
        &self,
        req: &Request,
        _auth: BearerToken,
        id: Path<i64>,
        body: Json<NewSession>,
    ) -> Result<Created, Failure<StartRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let parking = caller.state.parking();
        let product = parking
            .product(&account, ProductId(id.0))
            .await
            .map_err(failure::internal)?
            .ok_or_else(|| caller.not_found())?;
        let plate = vehicle(&body.plate, body.country.as_deref())
            .map_err(|e| caller.fail(StatusCode::UNPROCESSABLE_ENTITY, e.code))?;
        let unit = product.unit;
        let outcome = parking
            .start_on(
                &account,
                product,
                StartRequest {
                    plate,
                    start: body.start.map(|t| t.0),
                    end: body.end.map(|t| t.0),
                },
            )
            .await
            .map_err(failure::internal)?;
        Ok(Created::Created(Json(
            caller.session_outcome(outcome, unit, false)?,
        )))
    }

    /// [Verleng]: a later end, checked like a start; only the difference is reserved. While the
    /// gemeente is suspended: 409 `tenant_suspended` (the session runs out; it can be stopped).
    #[oai(path = "/v1/sessions/:id", method = "patch")]
    async fn extend(
        &self,
        req: &Request,
        _auth: BearerToken,
        id: Path<i64>,
        body: Json<SessionPatch>,
    ) -> Result<Json<SessionItem>, Failure<ExtendRefusals>> {
        let caller = Caller::of(req)?;
        let unit = caller.unit_of_session(SessionId(id.0)).await?;
        let (account, _) = caller.bearer()?;
        let outcome = caller
            .state
            .parking()
            .extend(&account, SessionId(id.0), body.end.0)
            .await
            .map_err(failure::internal)?;
        Ok(Json(caller.session_outcome(outcome, unit, true)?))
    }

    /// [Stop] a running session (the unused part is refunded) or [Verwijder] a planned one (all
    /// of it is refunded).
    #[oai(path = "/v1/sessions/:id", method = "delete")]
    async fn end(
        &self,
        req: &Request,
        _auth: BearerToken,
        id: Path<i64>,
    ) -> Result<Json<SessionItem>, Failure<EndRefusals>> {
        let caller = Caller::of(req)?;
        let unit = caller.unit_of_session(SessionId(id.0)).await?;
        let (account, _) = caller.bearer()?;
        let outcome = caller
            .state
            .parking()
            .end(&account, SessionId(id.0))
            .await
            .map_err(failure::internal)?;
        Ok(Json(caller.session_outcome(outcome, unit, false)?))
    }
}
