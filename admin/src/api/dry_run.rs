//! `POST /v1/rules/dry-run` (scope `config:write`): a gemeente's own CI tries a session against
//! the rules in force at its start, through the same check a real start makes (#23): every
//! hook's answer, the decision with its reasons and alternatives, and the cost with its
//! breakdown, amounts as the resident API writes them.

use super::ApiKey;
use crate::api::caller::Caller;
use chrono::{DateTime, Utc};
use parkportal_domain::Code;
use parkportal_domain::api_keys::Scope;
use parkportal_domain::calendar::without_leap_second;
use parkportal_domain::parking::Verdict;
use parkportal_domain::plate::Plate;
use parkportal_domain::rules_dry_run::{DryRun, DryRunError, MAX_OTHER_SESSIONS, Scenario};
use parkportal_web::refusals::Failure;
use parkportal_web::{AppError, ErrorCode, declare_refusals};
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use rust_decimal::Decimal;

/// The dry-run endpoint.
pub struct DryRunApi;

/// A session to try.
#[derive(Debug, Object)]
pub struct DryRunBody {
    /// The product type's code.
    #[oai(validator(max_length = 40))]
    pub product_type: String,
    /// The zone's code.
    #[oai(validator(max_length = 40))]
    pub zone: String,
    /// The plate: `AB-12-34`, or a foreign one as `DE:B-XY123`.
    #[oai(validator(max_length = 20))]
    pub plate: String,
    /// Start (RFC 3339), at most ten years before or after now.
    pub start: DateTime<Utc>,
    /// End (RFC 3339), at most 31 days after the start.
    pub end: DateTime<Utc>,
    /// The balance as a decimal string in the product type's unit (`"25.00"` euros, `"600"`
    /// minutes); more than any session costs when left out.
    #[oai(validator(max_length = 20))]
    pub balance: Option<String>,
    /// Sessions of the product running at the start (and until after the end).
    #[oai(validator(maximum(value = "100")))]
    pub running: Option<u32>,
    /// Sessions of the product planned after the end.
    #[oai(validator(maximum(value = "100")))]
    pub planned: Option<u32>,
    /// Whether a mandatee starts it rather than the owner.
    pub mandatee: Option<bool>,
    /// What was topped up in the top-up cap's period, as a decimal string; none when left out.
    #[oai(validator(max_length = 20))]
    pub top_ups: Option<String>,
}

/// An amount as the resident API writes it.
#[derive(Debug, Object)]
pub struct AmountItem {
    /// A decimal string: `"3.50"` euros, `"90"` minutes.
    pub value: String,
    /// `EUR`, `minutes` or `sessions`.
    pub unit: String,
}

/// A session that would be allowed instead.
#[derive(Debug, Object)]
pub struct AlternativeItem {
    /// `end_of_day`, `shorten_to_balance` or `start_later`.
    pub kind: String,
    /// Its start (RFC 3339).
    pub start: DateTime<Utc>,
    /// Its end (RFC 3339).
    pub end: DateTime<Utc>,
    /// What it costs.
    pub cost: AmountItem,
}

/// What the rules decide.
#[derive(Debug, Object)]
pub struct DecisionItem {
    /// Whether the session may start.
    pub allowed: bool,
    /// Why not, as the resident API's codes (`insufficient_balance`, `end_of_day`, ...); empty
    /// when allowed.
    pub reasons: Vec<String>,
    /// What would be allowed instead.
    pub alternatives: Vec<AlternativeItem>,
}

/// The versions of script and tariff that answered (0: none).
#[derive(Debug, Object)]
pub struct VersionsItem {
    /// The rule script's version.
    pub script: i64,
    /// The tariff's version.
    pub tariff: i64,
}

/// What the rules answered.
#[derive(Debug, Object)]
pub struct DryRunItem {
    /// Every hook's answer by its name (`max_concurrent_sessions`, `end_of_day_deactivation`,
    /// `allowed_hours`, `top_up_cap`, `mandates_available`, `cost`): the script's, or the
    /// default where it defines none; a failing hook as `{"rule_error": message}`.
    pub hooks: std::collections::BTreeMap<String, serde_json::Value>,
    /// The decision.
    pub decision: DecisionItem,
    /// What the session costs.
    pub cost: AmountItem,
    /// How the cost is made up, as the resident API's sessions show it.
    pub breakdown: serde_json::Value,
    /// The versions in force at the start, which answered.
    pub versions: VersionsItem,
}

/// The answer of `POST /v1/rules/dry-run`.
#[derive(ApiResponse)]
enum DryRunAnswer {
    /// What the rules answered.
    #[oai(status = 200)]
    Ok(Json<DryRunItem>),
}

declare_refusals!(DryRunRefusals [bearer, body] {
    403 => [Forbidden],
    422 => [ProductTypeUnknown, ZoneUnknown, PlateInvalid, EndBeforeStart, SessionTooLong,
            StartOutOfRange, BalanceInvalid, AmountInvalid],
});

/// An amount of `verdict`'s unit.
fn amount_of(verdict: &Verdict, amount: Decimal) -> AmountItem {
    let unit = verdict.breakdown.unit;
    let json = unit.amount_json(amount);
    AmountItem {
        value: json["value"].as_str().unwrap_or_default().to_owned(),
        unit: unit.api_name().to_owned(),
    }
}

impl DryRunItem {
    /// The answer of `run`.
    pub fn of(run: DryRun) -> Self {
        let verdict = &run.verdict;
        Self {
            decision: DecisionItem {
                allowed: verdict.allowed(),
                reasons: verdict
                    .reasons
                    .iter()
                    .map(|r| r.as_str().to_owned())
                    .collect(),
                alternatives: verdict
                    .alternatives
                    .iter()
                    .map(|a| AlternativeItem {
                        kind: a.kind.as_str().to_owned(),
                        start: without_leap_second(a.start),
                        end: without_leap_second(a.end),
                        cost: amount_of(verdict, a.cost),
                    })
                    .collect(),
            },
            cost: amount_of(verdict, verdict.cost()),
            breakdown: serde_json::to_value(&verdict.breakdown).unwrap_or_default(),
            versions: VersionsItem {
                script: run.versions.script.0,
                tariff: run.versions.tariff.0,
            },
            hooks: run.hooks.into_iter().collect(),
        }
    }
}

/// A decimal string that is not negative.
fn decimal(text: Option<&str>) -> Result<Option<Decimal>, ()> {
    match text.map(str::trim) {
        None => Ok(None),
        Some(t) => match t.parse::<Decimal>() {
            Ok(d) if !d.is_sign_negative() => Ok(Some(d)),
            _ => Err(()),
        },
    }
}

/// The scenario of `body`, or the code of its first problem.
fn scenario_of(body: &DryRunBody) -> Result<Scenario, ErrorCode> {
    let product_type =
        Code::parse(body.product_type.trim()).map_err(|_| ErrorCode::ProductTypeUnknown)?;
    let plate = Plate::parse_tagged(body.plate.trim()).map_err(|_| ErrorCode::PlateInvalid)?;
    let balance = decimal(body.balance.as_deref()).map_err(|_| ErrorCode::BalanceInvalid)?;
    let top_ups = decimal(body.top_ups.as_deref()).map_err(|_| ErrorCode::AmountInvalid)?;
    Ok(Scenario {
        product_type,
        zone: Some(body.zone.trim().to_owned()),
        plate,
        start: body.start,
        end: body.end,
        balance,
        running: body.running.unwrap_or(0).min(MAX_OTHER_SESSIONS),
        planned: body.planned.unwrap_or(0).min(MAX_OTHER_SESSIONS),
        top_ups: top_ups.unwrap_or_default(),
        mandatee: body.mandatee.unwrap_or(false),
    })
}

/// The code of a refusal of the use case, if it is the caller's to fix.
fn refusal_of(e: &DryRunError) -> Option<ErrorCode> {
    Some(match e {
        DryRunError::UnknownType => ErrorCode::ProductTypeUnknown,
        DryRunError::UnknownZone => ErrorCode::ZoneUnknown,
        DryRunError::EndBeforeStart => ErrorCode::EndBeforeStart,
        DryRunError::TooLong => ErrorCode::SessionTooLong,
        DryRunError::StartOutOfRange => ErrorCode::StartOutOfRange,
        DryRunError::OutOfRange => ErrorCode::BadRequest,
        DryRunError::Rules(_) | DryRunError::Store(_) => return None,
    })
}

#[OpenApi]
impl DryRunApi {
    /// Tries a session against the rules in force at its start (scope `config:write`), as a
    /// real start would check it, without starting anything. On the record as `rules.dry_run`.
    #[oai(path = "/v1/rules/dry-run", method = "post")]
    async fn dry_run(
        &self,
        req: &Request,
        _auth: ApiKey,
        body: Json<DryRunBody>,
    ) -> Result<DryRunAnswer, Failure<DryRunRefusals>> {
        let caller = Caller::of(req)?;
        caller.require(Scope::ConfigWrite, None).await?;
        let tenant = caller.tenant().await?;
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
        let scenario = match scenario_of(&body.0) {
            Ok(scenario) => scenario,
            Err(code) => return Err(caller.refuse(unprocessable, code, None).await?.into()),
        };
        let now = caller.console.web().clock().now();
        let run = caller
            .console
            .rules()
            .dry_run(&tenant, &scenario, now)
            .await;
        match run {
            Ok(run) => {
                let entry = caller
                    .entry()
                    .about("product_type", scenario.product_type.as_str());
                caller.console.record(&entry).await?;
                Ok(DryRunAnswer::Ok(Json(DryRunItem::of(run))))
            }
            Err(e) => match refusal_of(&e) {
                Some(code) => {
                    let status = if code == ErrorCode::BadRequest {
                        StatusCode::BAD_REQUEST
                    } else {
                        unprocessable
                    };
                    Err(caller.refuse(status, code, None).await?.into())
                }
                None => Err(poem::Error::from(AppError::internal(e)).into()),
            },
        }
    }
}
