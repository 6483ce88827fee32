//! The resident's own data in the JSON API: `GET /v1/account/data` answers everything the portal
//! holds about the resident (the same document "Download mijn gegevens" saves), and
//! `DELETE /v1/account` deletes the account, confirmed with the password.

mod document;

pub(crate) use document::DataExport;

use super::BearerToken;
use super::auth::Done;
use super::refusals::{Failure, declare};
use super::{Caller, failure};
use parkportal_domain::own_data::EraseError;
use parkportal_web::ErrorCode;
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

/// The own-data endpoints.
pub struct OwnDataApi;

/// `DELETE /v1/account`.
#[derive(Debug, Object)]
pub struct DeleteAccount {
    /// The account's password, to confirm.
    pub password: String,
}

/// The export, never kept by a cache.
#[derive(ApiResponse)]
pub enum ExportResponse {
    /// Everything the portal holds about the resident.
    #[oai(status = 200)]
    Ok(
        Json<DataExport>,
        /// `no-store`: personal data stays out of caches.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

declare!(DataRefusals [bearer] {});
declare!(DeleteRefusals [bearer, body] { 422 => [PasswordIncorrect], 429 => [TooManyAttempts] });

#[OpenApi]
impl OwnDataApi {
    /// Everything the portal holds about the resident (AVG/GDPR): the account, its products,
    /// sessions with plates (their own and those on their products), transactions, favorites,
    /// mandates given and received, payments and the mails kept for the address; never another
    /// resident's data.
    #[oai(path = "/v1/account/data", method = "get")]
    async fn data(
        &self,
        req: &Request,
        _auth: BearerToken,
    ) -> Result<ExportResponse, Failure<DataRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        let export = caller
            .state
            .own_data()
            .export(&account)
            .await
            .map_err(failure::internal)?
            .ok_or_else(|| caller.fail(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized))?;
        let now = caller.state.clock().now();
        Ok(ExportResponse::Ok(
            Json(DataExport::of(&export, now)),
            "no-store".to_owned(),
        ))
    }

    /// Deletes the account, confirmed with its password: running sessions stop and planned ones
    /// go (refunded), mandates given and received are revoked, products are uncoupled (they
    /// stay the gemeente's with their balance), and the personal data goes; the ledger keeps
    /// its amounts. Every token of the account stops working. A wrong password is 422
    /// `password_incorrect` and changes nothing; after ten in a row (counted with the logins)
    /// attempts wait (429).
    #[oai(path = "/v1/account", method = "delete")]
    async fn delete(
        &self,
        req: &Request,
        _auth: BearerToken,
        body: Json<DeleteAccount>,
    ) -> Result<Done, Failure<DeleteRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        match caller
            .state
            .own_data()
            .erase(&account, &body.password, &caller.page.client)
            .await
        {
            Ok(()) => Ok(Done::NoContent),
            Err(EraseError::PasswordIncorrect) => Err(caller
                .fail(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::PasswordIncorrect,
                )
                .into()),
            Err(EraseError::Blocked(b)) => Err(caller.blocked(b.until, "login.blocked").into()),
            Err(other) => Err(failure::internal(other).into()),
        }
    }
}
