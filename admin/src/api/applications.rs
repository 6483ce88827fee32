//! The digitaal loket's decisions in the admin API (#25), under the key scope
//! `applications:decide`: `GET /v1/applications?status=` lists the gemeente's applications (the
//! open ones unless a status is asked), `POST /v1/applications/{id}/approve` (`{"letter": true,
//! "zone": "code"}`, both optional), `/reject` (`{"reason"}`) and `/ask` (`{"question"}`) decide
//! one, as a medewerker in the console's queue does. Another gemeente's id is 404 before the
//! scope is looked at; every call is in the audit trail by the key.

use super::ApiKey;
use super::caller::Caller;
use parkportal_domain::ApplicationId;
use parkportal_domain::api_keys::Scope;
use parkportal_domain::coupling::Issuer;
use parkportal_domain::loket::application::ApplicationStatus;
use parkportal_domain::loket::decisions::{QueueFilter, days_open};
use parkportal_domain::loket::{Approval, DecideError};
use parkportal_web::refusals::Failure;
use parkportal_web::{AppError, ErrorCode, declare_refusals};
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};

/// The loket's operations.
pub struct ApplicationsApi;

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum StatusParam {
    /// Received; no one has decided yet.
    Received,
    /// A medewerker has opened it, or the applicant answered a question.
    InReview,
    /// The gemeente asked the applicant something.
    InfoNeeded,
    /// Granted: its product was issued.
    Granted,
    /// Rejected, with a reason.
    Rejected,
}

impl StatusParam {
    fn status(self) -> ApplicationStatus {
        match self {
            Self::Received => ApplicationStatus::Received,
            Self::InReview => ApplicationStatus::InReview,
            Self::InfoNeeded => ApplicationStatus::InfoNeeded,
            Self::Granted => ApplicationStatus::Granted,
            Self::Rejected => ApplicationStatus::Rejected,
        }
    }
}

/// An application in the list.
#[derive(Debug, Object)]
pub struct ApplicationRow {
    /// Its id.
    pub id: i64,
    /// The reference its applicant quotes.
    pub reference: String,
    /// The product type's code.
    pub product_type: String,
    /// The product type's name.
    pub product_type_name: String,
    /// `received`, `in_review`, `info_needed`, `granted` or `rejected`.
    pub status: String,
    /// The applicant's name.
    pub name: String,
    /// Postcode and house number.
    pub address: String,
    /// When it was made.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Whole days since.
    pub days_open: i64,
    /// What the gemeente's rule answered: `approve`, `approve_unplaced`, `review`, `reject`
    /// or `rule_error`.
    #[oai(nullable)]
    pub rule_outcome: Option<String>,
}

/// The gemeente's applications.
#[derive(Debug, Object)]
pub struct ApplicationRows {
    /// Oldest first, at most 200.
    pub items: Vec<ApplicationRow>,
}

/// An approval.
#[derive(Debug, Object)]
pub struct ApproveBody {
    /// Make the allocation letter (to the application's address; never for an applicant with
    /// an account, whose product is coupled at once); the product type's setting
    /// (`letter_on_grant`) when left out.
    #[oai(default)]
    pub letter: Option<bool>,
    /// The zone's code; the zone whose postcode ranges hold the address unless given (422
    /// `zone_unknown` when it lies in none).
    #[oai(default)]
    pub zone: Option<String>,
}

/// A rejection.
#[derive(Debug, Object)]
pub struct RejectBody {
    /// Why, mailed to the applicant in their language (1 to 2000 characters).
    pub reason: String,
}

/// A question.
#[derive(Debug, Object)]
pub struct AskBody {
    /// What the gemeente asks, mailed to the applicant, who answers on the status page (1 to
    /// 2000 characters).
    pub question: String,
}

/// An application decided.
#[derive(Debug, Object)]
pub struct Decided {
    /// Its id.
    pub id: i64,
    /// Where it stands now: `granted`, `rejected` or `info_needed`.
    pub status: String,
}

declare_refusals!(ListRefusals [bearer] { 403 => [Forbidden] });
declare_refusals!(DecideRefusals [bearer, body] {
    403 => [Forbidden],
    404 => [NotFound],
    409 => [ApplicationDecided, TenantSuspended, ProductTypeRetired, ProductTypeUnknown, LettersUnavailable],
    422 => [MessageInvalid, ZoneUnknown, ZoneRetired, RecipientInvalid],
});

impl Caller {
    /// The application `id` of the key's gemeente, or 404 (recorded) for any other.
    async fn application(&self, id: i64) -> poem::Result<ApplicationId> {
        let id = ApplicationId(id);
        let ours = id.0 > 0
            && self
                .console
                .loket()
                .is_of(self.key.tenant, id)
                .await
                .map_err(AppError::from)?;
        if ours {
            return Ok(id);
        }
        Err(self
            .refuse(StatusCode::NOT_FOUND, ErrorCode::NotFound, None)
            .await?)
    }

    /// The caller of a decision on application `id`: the application of the key's gemeente
    /// (404 otherwise, before the scope), the scope, and the gemeente, each refusal recorded.
    async fn deciding(
        req: &Request,
        id: i64,
    ) -> poem::Result<(Self, ApplicationId, parkportal_domain::Tenant)> {
        let caller = Self::of(req)?;
        let id = caller.application(id).await?;
        caller
            .require(Scope::ApplicationsDecide, Some(("application", id.0)))
            .await?;
        let tenant = caller.tenant().await?;
        Ok((caller, id, tenant))
    }

    /// The issuer of this call's decisions: the key.
    fn issuer(&self) -> Issuer {
        Issuer {
            actor: self.key.actor(),
            role: None,
            origin: self.origin.clone(),
        }
    }

    /// The answer to a decision's `result`: the status it left, or the refusal. A refusal the
    /// use case recorded is not recorded again.
    fn decided(
        &self,
        id: ApplicationId,
        result: Result<(), DecideError>,
        status: ApplicationStatus,
    ) -> poem::Result<Json<Decided>> {
        let (http, code) = match result {
            Ok(()) => {
                return Ok(Json(Decided {
                    id: id.0,
                    status: status.as_str().to_owned(),
                }));
            }
            Err(e) => match e.code() {
                Some("not_found") => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
                Some("application_decided") => {
                    (StatusCode::CONFLICT, ErrorCode::ApplicationDecided)
                }
                Some("tenant_suspended") => (StatusCode::CONFLICT, ErrorCode::TenantSuspended),
                Some("product_type_retired") => {
                    (StatusCode::CONFLICT, ErrorCode::ProductTypeRetired)
                }
                Some("letters_unavailable") => {
                    (StatusCode::CONFLICT, ErrorCode::LettersUnavailable)
                }
                Some("message_invalid") => {
                    (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::MessageInvalid)
                }
                Some("zone_unknown") => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ZoneUnknown),
                Some("product_type_unknown") => {
                    (StatusCode::CONFLICT, ErrorCode::ProductTypeUnknown)
                }
                Some("recipient_invalid") => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::RecipientInvalid,
                ),
                Some("zone_retired") => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ZoneRetired),
                _ => return Err(AppError::internal(e).into()),
            },
        };
        Err(parkportal_web::ApiFailure::new(http, code, self.page.t(code.message_key())).into())
    }
}

#[OpenApi]
impl ApplicationsApi {
    /// The gemeente's applications, oldest first (scope `applications:decide`): the open ones
    /// (received, in review, waiting for an answer), or those of one `status`.
    #[oai(path = "/v1/applications", method = "get")]
    async fn list(
        &self,
        req: &Request,
        _auth: ApiKey,
        /// One status; every open one when left out.
        status: Query<Option<StatusParam>>,
    ) -> Result<Json<ApplicationRows>, Failure<ListRefusals>> {
        let caller = Caller::of(req)?;
        caller.require(Scope::ApplicationsDecide, None).await?;
        let tenant = caller.tenant().await?;
        let filter = QueueFilter {
            status: status.0.map(StatusParam::status),
            ..QueueFilter::default()
        };
        let entry = caller.entry();
        let now = entry.at;
        let items = caller
            .console
            .loket()
            .queue(&tenant, &filter, entry)
            .await
            .map_err(AppError::from)?;
        Ok(Json(ApplicationRows {
            items: items
                .into_iter()
                .map(|a| ApplicationRow {
                    id: a.id.0,
                    days_open: days_open(a.created_at, now),
                    product_type: a.product_type.0.to_string(),
                    product_type_name: a.product_type.1,
                    status: a.status.as_str().to_owned(),
                    created_at: a.created_at,
                    reference: a.reference,
                    name: a.name,
                    address: a.address,
                    rule_outcome: a.rule_outcome,
                })
                .collect(),
        }))
    }

    /// Grants an application (scope `applications:decide`): its product is issued as the
    /// console's approval issues it (the coupling mail, or coupled at once to the account it
    /// was made from; a letter when asked).
    #[oai(path = "/v1/applications/:id/approve", method = "post")]
    async fn approve(
        &self,
        req: &Request,
        _auth: ApiKey,
        /// The application's id.
        id: Path<i64>,
        body: Json<ApproveBody>,
    ) -> Result<Json<Decided>, Failure<DecideRefusals>> {
        let (caller, id, tenant) = Caller::deciding(req, id.0).await?;
        let zone = match body.zone.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(typed) => match parkportal_domain::Code::parse(typed) {
                Ok(code) => Some(code),
                Err(_) => {
                    return Err(caller
                        .refuse(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            ErrorCode::ZoneUnknown,
                            Some(("application", id.0)),
                        )
                        .await?
                        .into());
                }
            },
        };
        let approval = Approval {
            zone,
            letter: body.letter,
            seen: None,
        };
        let result = caller
            .console
            .loket()
            .approve(&tenant, id, &approval, caller.issuer())
            .await;
        Ok(caller.decided(id, result, ApplicationStatus::Granted)?)
    }

    /// Rejects an application with a reason, mailed to the applicant in their language (scope
    /// `applications:decide`).
    #[oai(path = "/v1/applications/:id/reject", method = "post")]
    async fn reject(
        &self,
        req: &Request,
        _auth: ApiKey,
        /// The application's id.
        id: Path<i64>,
        body: Json<RejectBody>,
    ) -> Result<Json<Decided>, Failure<DecideRefusals>> {
        let (caller, id, tenant) = Caller::deciding(req, id.0).await?;
        let result = caller
            .console
            .loket()
            .reject(&tenant, (id, None), &body.reason, caller.issuer())
            .await;
        Ok(caller.decided(id, result, ApplicationStatus::Rejected)?)
    }

    /// Asks the applicant for more information, mailed with a link to the status page where
    /// they answer (scope `applications:decide`).
    #[oai(path = "/v1/applications/:id/ask", method = "post")]
    async fn ask(
        &self,
        req: &Request,
        _auth: ApiKey,
        /// The application's id.
        id: Path<i64>,
        body: Json<AskBody>,
    ) -> Result<Json<Decided>, Failure<DecideRefusals>> {
        let (caller, id, tenant) = Caller::deciding(req, id.0).await?;
        let result = caller
            .console
            .loket()
            .ask(&tenant, (id, None), &body.question, caller.issuer())
            .await;
        Ok(caller.decided(id, result, ApplicationStatus::InfoNeeded)?)
    }
}
