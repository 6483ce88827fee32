//! The digitaal loket in the JSON API (#25): `POST /v1/applications` applies for a product type
//! a gemeente opened for application, with the account's e-mail address (the bearer token
//! stands in for the captcha); `GET /v1/applications` lists the account's applications, as
//! "Mijn aanvragen" does.

use super::BearerToken;
use super::refusals::{Failure, declare};
use super::values::Time;
use super::{Caller, failure};
use parkportal_domain::loket::application::{ApplicationInput, ApplicationProblem};
use parkportal_domain::loket::{ApplicationView, ApplyError, Sender};
use parkportal_web::{ApiFailure, ErrorCode};
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

/// The loket's endpoints.
pub struct ApplicationsApi;

/// An application to send.
#[derive(Debug, Object)]
pub struct NewApplication {
    /// The gemeente's slug (`GET /v1/tenants`).
    pub gemeente: String,
    /// The code of a product type the gemeente opened for application
    /// (`open_for_application` in `GET /v1/tenants`).
    pub product_type: String,
    /// The applicant's name, as on their post (at most 100 characters).
    pub name: String,
    /// The street.
    pub street: String,
    /// The house number with its addition, e.g. `12 A`.
    pub house_number: String,
    /// The postcode, e.g. `1234 AB`.
    pub postcode: String,
    /// The place.
    pub city: String,
    /// A permit's plates (`AB-12-34`, `DE:BXY123`), each once, at most the type's maximum;
    /// not read for a visitor scheme.
    #[oai(default)]
    pub plates: Vec<String>,
    /// A remark for the gemeente (at most 1000 characters).
    #[oai(default)]
    pub remark: Option<String>,
}

/// An application taken.
#[derive(Debug, Object)]
pub struct AppliedItem {
    /// Its id.
    pub id: i64,
    /// The reference the applicant quotes, e.g. `AV-KM4T-X9QA`.
    pub reference: String,
    /// `received`, or what the gemeente's rule decided at once: `granted` or `rejected`.
    pub status: String,
}

/// A message of an application's exchange.
#[derive(Debug, Object)]
pub struct ApplicationMessageItem {
    /// `question` (the gemeente's), `answer` (the applicant's) or `reason` (of a rejection).
    pub kind: String,
    /// As written.
    pub body: String,
    /// When.
    pub at: Time,
}

/// An application of the account.
#[derive(Debug, Object)]
pub struct ApplicationItem {
    /// Its id.
    pub id: i64,
    /// Its reference.
    pub reference: String,
    /// The gemeente's slug.
    pub gemeente: String,
    /// The gemeente's name.
    pub gemeente_name: String,
    /// The product type's code (as `POST` takes it).
    pub product_type: String,
    /// The product type's name.
    pub product_type_name: String,
    /// `received`, `in_review`, `info_needed`, `granted` or `rejected`.
    pub status: String,
    /// The plates asked for.
    pub plates: Vec<String>,
    /// The exchange with the gemeente, oldest first (a question is answered on the status page
    /// of the mailed link).
    pub messages: Vec<ApplicationMessageItem>,
    /// When it was made.
    pub created_at: Time,
    /// When it was decided.
    #[oai(nullable)]
    pub decided_at: Option<Time>,
}

/// The account's applications.
#[derive(Debug, Object)]
pub struct ApplicationList {
    /// Newest first.
    pub items: Vec<ApplicationItem>,
}

/// An application was taken.
#[derive(ApiResponse)]
pub enum ApplicationCreated {
    /// Taken; its confirmation (or the rule's decision) is mailed to the account's address.
    #[oai(status = 201)]
    Created(Json<AppliedItem>),
}

declare!(ApplyRefusals [bearer, body] {
    404 => [NotFound],
    409 => [TenantSuspended],
    422 => [RecipientInvalid, PlateInvalid, PlatesRequired, PlatesTooMany, RemarkTooLong],
    429 => [TooManyAttempts],
});
declare!(ListRefusals [bearer] {});

fn item(v: &ApplicationView) -> ApplicationItem {
    ApplicationItem {
        id: v.id.0,
        reference: v.reference.clone(),
        gemeente: v.slug.clone(),
        gemeente_name: v.gemeente.clone(),
        product_type: v.product_type_code.clone(),
        product_type_name: v.product_type.clone(),
        status: v.status.as_str().to_owned(),
        plates: v.plates.iter().map(|p| p.display()).collect(),
        messages: v
            .messages
            .iter()
            .map(|m| ApplicationMessageItem {
                kind: m.kind.as_str().to_owned(),
                body: m.body.clone(),
                at: Time(m.at),
            })
            .collect(),
        created_at: Time(v.created_at),
        decided_at: v.decided_at.map(Time),
    }
}

/// The code of the first problem of a refused form, and the fields it names (`None`: one the
/// API cannot cause, the e-mail address being the account's).
fn problem_code(problems: &[ApplicationProblem]) -> Option<(ErrorCode, Vec<&'static str>)> {
    let address: Vec<&'static str> = problems
        .iter()
        .filter(|p| ["name", "street", "house_number", "postcode", "city"].contains(&p.field))
        .map(|p| p.field)
        .collect();
    if !address.is_empty() {
        return Some((ErrorCode::RecipientInvalid, address));
    }
    let code = match problems.first().map(|p| (p.field, p.code)) {
        Some(("plates", "required")) => ErrorCode::PlatesRequired,
        Some(("plates", "too_many")) => ErrorCode::PlatesTooMany,
        Some(("plates", _)) => ErrorCode::PlateInvalid,
        Some(("remark", _)) => ErrorCode::RemarkTooLong,
        _ => return None,
    };
    Some((code, Vec::new()))
}

#[OpenApi]
impl ApplicationsApi {
    /// Applies for a product in a gemeente's digitaal loket with the account's e-mail address.
    /// 201 with the reference and the status; the gemeente's rule may grant (the product is then
    /// coupled to the account at once) or reject at once. 404 for a gemeente or product type not
    /// open for application, 409 `tenant_suspended`, 422 for what is wrong (`recipient_invalid`
    /// with `fields`, `plate_invalid`, `plates_required`, `plates_too_many`, `remark_too_long`),
    /// 429 after the day's applications from this address or client.
    #[oai(path = "/v1/applications", method = "post")]
    async fn apply(
        &self,
        req: &Request,
        _auth: BearerToken,
        body: Json<NewApplication>,
    ) -> Result<ApplicationCreated, Failure<ApplyRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let tenant = caller
            .state
            .tenants()
            .by_slug(body.gemeente.trim())
            .await
            .map_err(failure::internal)?
            .ok_or_else(|| caller.not_found())?;
        let input = ApplicationInput {
            name: body.name.clone(),
            street: body.street.clone(),
            house_number: body.house_number.clone(),
            postcode: body.postcode.clone(),
            city: body.city.clone(),
            email: account.email.to_string(),
            plates: body.plates.join(","),
            remark: body.remark.clone().unwrap_or_default(),
        };
        let sender = Sender {
            captcha: None,
            client: &caller.page.client,
            account: Some(&account),
            language: caller.page.prefs.language,
        };
        match caller
            .state
            .loket()
            .apply(&tenant, body.product_type.trim(), &input, sender)
            .await
        {
            Ok(applied) => Ok(ApplicationCreated::Created(Json(AppliedItem {
                id: applied.id.0,
                reference: applied.reference,
                status: applied.status.as_str().to_owned(),
            }))),
            Err(ApplyError::NotOpen) => Err(caller.not_found().into()),
            Err(ApplyError::Suspended) => Err(caller
                .fail(StatusCode::CONFLICT, ErrorCode::TenantSuspended)
                .into()),
            Err(ApplyError::Invalid(problems)) => {
                let Some((code, fields)) = problem_code(&problems) else {
                    return Err(failure::internal(ApplyError::Invalid(problems)).into());
                };
                let mut refusal = ApiFailure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    code,
                    caller.page.t(code.message_key()),
                );
                if !fields.is_empty() {
                    let names: Vec<serde_json::Value> =
                        fields.into_iter().map(Into::into).collect();
                    refusal.extra = Some(serde_json::Map::from_iter([(
                        "fields".to_owned(),
                        names.into(),
                    )]));
                }
                Err(poem::Error::from(refusal).into())
            }
            Err(ApplyError::Blocked(blocked)) => {
                Err(caller.blocked(blocked.until, "apply.too_many_until").into())
            }
            Err(e) => Err(failure::internal(e).into()),
        }
    }

    /// The account's applications, newest first ("Mijn aanvragen").
    #[oai(path = "/v1/applications", method = "get")]
    async fn list(
        &self,
        req: &Request,
        _auth: BearerToken,
    ) -> Result<Json<ApplicationList>, Failure<ListRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let views = caller
            .state
            .loket()
            .mine(account.id)
            .await
            .map_err(failure::internal)?;
        Ok(Json(ApplicationList {
            items: views.iter().map(item).collect(),
        }))
    }
}
