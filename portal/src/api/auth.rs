//! The account part of the JSON API: login and logout with bearer tokens, the captcha, password
//! reset, accepting a coupling link, and who is logged in. The same use cases as the pages.

use super::BearerToken;
use super::refusals::{Failure, declare};
use super::values::Time;
use super::{Caller, failure};
use parkportal_domain::accounts::LoginError;
use parkportal_domain::coupling::{CouplingError, ProductSummary};
use parkportal_domain::password_reset::ResetError;
use parkportal_domain::{NewPassword, Token};
use parkportal_web::ErrorCode;
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

/// The account endpoints.
pub struct AuthApi;

/// `POST /v1/auth/login`.
#[derive(Debug, Object)]
pub struct LoginRequest {
    /// The e-mail address (the username).
    pub email: String,
    /// The password.
    pub password: String,
}

/// A session for `Authorization: Bearer`.
#[derive(Debug, Object)]
pub struct TokenResponse {
    /// The bearer token; it ends like a page session, through logout or the idle time-out.
    pub token: String,
}

/// A captcha challenge.
#[derive(Debug, Object)]
pub struct CaptchaResponse {
    /// Send it back as `captcha_id`.
    pub id: String,
    /// The question, in the language of `Accept-Language`.
    pub question: String,
}

/// `POST /v1/auth/password-reset`.
#[derive(Debug, Object)]
pub struct ResetRequest {
    /// The account's address.
    pub email: String,
    /// The challenge from `GET /v1/captcha`.
    pub captcha_id: String,
    /// Its answer.
    pub captcha_answer: String,
}

/// `POST /v1/auth/password-reset/confirm`.
#[derive(Debug, Object)]
pub struct ResetConfirm {
    /// The token from the link in the mail.
    pub token: String,
    /// The new password.
    pub password: String,
    /// Its repetition.
    pub password_repeat: String,
    /// A challenge from `GET /v1/captcha`.
    pub captcha_id: String,
    /// Its answer.
    pub captcha_answer: String,
}

/// `POST /v1/couplings/accept`.
#[derive(Debug, Object)]
pub struct CouplingAccept {
    /// The token from the link in the mail.
    pub token: String,
    /// A password for the new account, when the address has none.
    #[oai(nullable)]
    pub password: Option<String>,
    /// Its repetition.
    #[oai(nullable)]
    pub password_repeat: Option<String>,
}

/// A product as the account part of the API shows it.
#[derive(Debug, Object)]
pub struct CoupledProduct {
    /// Its id.
    pub id: i64,
    /// The gemeente's name.
    pub gemeente: String,
    /// The product type's name.
    pub name: String,
    /// The zone's name.
    pub zone: String,
    /// Valid until (exclusive), RFC 3339.
    pub valid_until: Time,
}

impl From<ProductSummary> for CoupledProduct {
    fn from(p: ProductSummary) -> Self {
        Self {
            id: p.id.0,
            gemeente: p.tenant_name,
            name: p.type_name,
            zone: p.zone_name,
            valid_until: p.valid_until.into(),
        }
    }
}

/// The outcome of accepting a coupling link.
#[derive(Debug, Object)]
pub struct CouplingResult {
    /// The coupled product.
    pub product: CoupledProduct,
    /// A bearer token, when the account was created just now.
    #[oai(nullable)]
    pub token: Option<String>,
}

/// The logged-in resident.
#[derive(Debug, Object)]
pub struct Me {
    /// The account's id.
    pub id: i64,
    /// The address it logs in with.
    pub email: String,
    /// Its language, when chosen (`nl` or `en`).
    #[oai(nullable)]
    pub language: Option<String>,
}

/// Accepting a coupling link answers 200, or 201 when it created the account.
#[derive(ApiResponse)]
pub enum AcceptResponse {
    /// Coupled to the logged-in account.
    #[oai(status = 200)]
    Coupled(Json<CouplingResult>),
    /// The account was created and the product coupled to it.
    #[oai(status = 201)]
    Created(Json<CouplingResult>),
}

/// Done; nothing to say.
#[derive(ApiResponse)]
pub enum Done {
    /// Done.
    #[oai(status = 204)]
    NoContent,
}

/// Accepted; a mail follows when the account exists.
#[derive(ApiResponse)]
pub enum Accepted {
    /// Accepted.
    #[oai(status = 202)]
    Accepted,
}

fn coupling_failure(caller: &Caller, e: CouplingError) -> poem::Error {
    match e {
        CouplingError::Unknown => {
            caller.fail(StatusCode::NOT_FOUND, ErrorCode::CouplingLinkUnknown)
        }
        CouplingError::Used => caller.fail(StatusCode::GONE, ErrorCode::CouplingLinkUsed),
        CouplingError::Expired => caller.fail(StatusCode::GONE, ErrorCode::CouplingLinkExpired),
        CouplingError::Foreign => {
            caller.fail(StatusCode::FORBIDDEN, ErrorCode::CouplingLinkForeign)
        }
        CouplingError::OwnedByOther => {
            caller.fail(StatusCode::CONFLICT, ErrorCode::ProductOwnedByOther)
        }
        CouplingError::AccountExists => caller.fail(StatusCode::CONFLICT, ErrorCode::AccountExists),
        CouplingError::Blocked(_) => caller.fail_with(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::TooManyAttempts,
            "coupling.blocked",
        ),
        other => failure::internal(other),
    }
}

fn reset_failure(caller: &Caller, e: ResetError) -> poem::Error {
    match e {
        ResetError::CaptchaWrong => {
            caller.fail(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::CaptchaWrong)
        }
        ResetError::EmailInvalid => caller.fail_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::EmailInvalid,
            "login.email_invalid",
        ),
        ResetError::Blocked(b) => caller.blocked(b.until, "reset.blocked"),
        ResetError::LinkUnknown => caller.fail(StatusCode::NOT_FOUND, ErrorCode::ResetLinkUnknown),
        ResetError::LinkUsed => caller.fail(StatusCode::GONE, ErrorCode::ResetLinkUsed),
        ResetError::LinkExpired => caller.fail(StatusCode::GONE, ErrorCode::ResetLinkExpired),
        other => failure::internal(other),
    }
}

fn new_password(caller: &Caller, password: &str, repeat: &str) -> poem::Result<NewPassword> {
    NewPassword::parse(password, repeat)
        .map_err(|p| caller.fail(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::from(p)))
}

fn link_token(caller: &Caller, token: &str, unknown: ErrorCode) -> poem::Result<Token> {
    Token::parse(token).ok_or_else(|| caller.fail(StatusCode::NOT_FOUND, unknown))
}

declare!(LoginRefusals [body, once] { 401 => [InvalidCredentials], 429 => [TooManyAttempts] });
declare!(LogoutRefusals [bearer, once] {});
declare!(CaptchaRefusals [] { 429 => [TooManyAttempts] });
declare!(PasswordResetRefusals [body, once] {
    404 => [ResetLinkUnknown],
    410 => [ResetLinkUsed, ResetLinkExpired],
    422 => [CaptchaWrong, EmailInvalid],
    429 => [TooManyAttempts],
});
declare!(PasswordResetConfirmRefusals [body, once] {
    404 => [ResetLinkUnknown],
    410 => [ResetLinkUsed, ResetLinkExpired],
    422 => [CaptchaWrong, EmailInvalid, PasswordTooShort, PasswordNeedsLettersAndDigits, PasswordTooLong, PasswordTooCommon, PasswordMismatch],
    429 => [TooManyAttempts],
});
declare!(AcceptRefusals [body, once] {
    403 => [CouplingLinkForeign],
    404 => [CouplingLinkUnknown],
    409 => [ProductOwnedByOther, AccountExists],
    410 => [CouplingLinkUsed, CouplingLinkExpired],
    422 => [PasswordTooShort, PasswordNeedsLettersAndDigits, PasswordTooLong, PasswordTooCommon, PasswordMismatch],
    429 => [TooManyAttempts],
});
declare!(MeRefusals [bearer] {});

#[OpenApi]
impl AuthApi {
    /// Logs in: answers a bearer token. After ten failures in a row for the address or from the
    /// client, attempts wait (429) for a delay that grows.
    #[oai(path = "/v1/auth/login", method = "post")]
    async fn login(
        &self,
        req: &Request,
        body: Json<LoginRequest>,
    ) -> Result<Json<TokenResponse>, Failure<LoginRefusals>> {
        let caller = Caller::of(req)?;
        match caller
            .state
            .accounts()
            .login(&body.email, &body.password, &caller.page.client)
            .await
        {
            Ok(signed_in) => Ok(Json(TokenResponse {
                token: signed_in.token.expose().to_owned(),
            })),
            Err(LoginError::InvalidCredentials) => Err(caller
                .fail(StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials)
                .into()),
            Err(LoginError::Blocked(b)) => Err(caller.blocked(b.until, "login.blocked").into()),
            Err(other) => Err(failure::internal(other).into()),
        }
    }

    /// Logs out: the bearer token stops working.
    #[oai(path = "/v1/auth/logout", method = "post")]
    async fn logout(
        &self,
        req: &Request,
        _auth: BearerToken,
    ) -> Result<Done, Failure<LogoutRefusals>> {
        let caller = Caller::of(req)?;
        let (_, token) = caller.bearer()?;
        caller
            .state
            .accounts()
            .logout(&token)
            .await
            .map_err(failure::internal)?;
        Ok(Done::NoContent)
    }

    /// A captcha challenge for the password reset: a question in words.
    #[oai(path = "/v1/captcha", method = "get")]
    async fn captcha(
        &self,
        req: &Request,
    ) -> Result<Json<CaptchaResponse>, Failure<CaptchaRefusals>> {
        let caller = Caller::of(req)?;
        let c = caller
            .state
            .resets()
            .challenge(caller.page.prefs.language, &caller.page.client)
            .await
            .map_err(failure::internal)?
            .map_err(|b| caller.blocked(b.until, "reset.blocked"))?;
        Ok(Json(CaptchaResponse {
            id: c.id,
            question: c.question,
        }))
    }

    /// Asks for a password-reset mail. The answer is the same whether or not the account exists.
    #[oai(path = "/v1/auth/password-reset", method = "post")]
    async fn password_reset(
        &self,
        req: &Request,
        body: Json<ResetRequest>,
    ) -> Result<Accepted, Failure<PasswordResetRefusals>> {
        let caller = Caller::of(req)?;
        let delivery = caller
            .state
            .resets()
            .request(
                &body.email,
                &body.captcha_id,
                &body.captcha_answer,
                &caller.page.client,
                caller.page.site.tenant.as_deref(),
                caller.page.prefs.language,
            )
            .await
            .map_err(|e| reset_failure(&caller, e))?;
        crate::password_reset::deliver_later(&caller.page, delivery);
        Ok(Accepted::Accepted)
    }

    /// Sets a new password with the token from the mail; every session of the account ends.
    #[oai(path = "/v1/auth/password-reset/confirm", method = "post")]
    async fn password_reset_confirm(
        &self,
        req: &Request,
        body: Json<ResetConfirm>,
    ) -> Result<Done, Failure<PasswordResetConfirmRefusals>> {
        let caller = Caller::of(req)?;
        let token = link_token(&caller, &body.token, ErrorCode::ResetLinkUnknown)?;
        let password = new_password(&caller, &body.password, &body.password_repeat)?;
        caller
            .state
            .resets()
            .confirm(
                &token,
                &password,
                &body.captcha_id,
                &body.captcha_answer,
                &caller.page.client,
            )
            .await
            .map_err(|e| reset_failure(&caller, e))?;
        Ok(Done::NoContent)
    }

    /// Accepts a coupling link: with a bearer token for the address's account; without one,
    /// `password` and `password_repeat` create the account (201, with a bearer token).
    #[oai(path = "/v1/couplings/accept", method = "post")]
    async fn accept(
        &self,
        req: &Request,
        body: Json<CouplingAccept>,
    ) -> Result<AcceptResponse, Failure<AcceptRefusals>> {
        let caller = Caller::of(req)?;
        let token = link_token(&caller, &body.token, ErrorCode::CouplingLinkUnknown)?;
        let desk = caller.state.desk();
        if caller.page.bearer
            && let Some(account) = &caller.page.account
        {
            let product = desk
                .accept(&token, account, &caller.page.client)
                .await
                .map_err(|e| coupling_failure(&caller, e))?;
            return Ok(AcceptResponse::Coupled(Json(CouplingResult {
                product: product.into(),
                token: None,
            })));
        }
        let offer = desk
            .offer(&token, &caller.page.client)
            .await
            .map_err(|e| coupling_failure(&caller, e))?;
        if offer.account_exists {
            return Err(coupling_failure(&caller, CouplingError::AccountExists).into());
        }
        let password = new_password(
            &caller,
            body.password.as_deref().unwrap_or_default(),
            body.password_repeat.as_deref().unwrap_or_default(),
        )?;
        let (signed_in, product) = desk
            .accept_creating_account(
                &token,
                &password,
                caller.page.prefs.language,
                &caller.page.client,
            )
            .await
            .map_err(|e| coupling_failure(&caller, e))?;
        Ok(AcceptResponse::Created(Json(CouplingResult {
            product: product.into(),
            token: Some(signed_in.token.expose().to_owned()),
        })))
    }

    /// The logged-in resident.
    #[oai(path = "/v1/me", method = "get")]
    async fn me(&self, req: &Request, _auth: BearerToken) -> Result<Json<Me>, Failure<MeRefusals>> {
        let caller = Caller::of(req)?;
        let (account, _) = caller.bearer()?;
        Ok(Json(Me {
            id: account.id.0,
            email: account.email.to_string(),
            language: account.language.map(|l| l.code().to_owned()),
        }))
    }
}
