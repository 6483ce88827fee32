//! "Wachtwoord vergeten?": the address and a captcha, [Verzenden]; the link from the mail, a new
//! password, its repetition and a captcha, [Wijzigen].

use crate::page::PageContext;
use minijinja::{Value, context};
use parkportal_domain::password_reset::{ResetDelivery, ResetError};
use parkportal_domain::{NewPassword, Token};
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::{Form, Path};
use poem::{Response, handler};
use serde::Deserialize;

/// Mails the link, if the address has an account, apart from the request: the resident's answer
/// neither waits for it nor differs by it.
pub(crate) fn deliver_later(page: &PageContext, delivery: ResetDelivery) {
    let resets = page.state.resets().clone();
    tokio::spawn(async move {
        if let Err(e) = resets.deliver(delivery).await {
            tracing::error!(error = %parkportal_web::error::chain(&e), "password reset mail");
        }
    });
}

/// A fresh challenge for the form.
async fn captcha(page: &PageContext) -> Result<Value, AppError> {
    let c = page
        .state
        .resets()
        .challenge(page.prefs.language, &page.client)
        .await
        .map_err(AppError::internal)?
        .map_err(|_| AppError::TooManyRequests)?;
    Ok(context! { id => c.id, question => c.question })
}

fn blocked_text(page: &PageContext, until: chrono::DateTime<chrono::Utc>) -> String {
    let tz = page
        .site
        .tenant
        .as_ref()
        .map_or(chrono_tz::Europe::Amsterdam, |t| t.time_zone);
    let time = until.with_timezone(&tz).format("%H:%M").to_string();
    page.text("reset.blocked", &[("time", time)])
}

/// `GET /wachtwoord-vergeten`.
#[handler]
pub async fn form(page: PageContext) -> Result<Response, AppError> {
    let captcha = captcha(&page).await?;
    page.private(
        "reset_request.html",
        StatusCode::OK,
        context! { captcha => captcha },
    )
}

/// The request form.
#[derive(Debug, Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    captcha_id: String,
    #[serde(default)]
    captcha_answer: String,
}

/// `POST /wachtwoord-vergeten`: [Verzenden]. The same page follows whether or not the address has
/// an account.
#[handler]
pub async fn request(page: PageContext, Form(f): Form<RequestForm>) -> Result<Response, AppError> {
    let outcome = page
        .state
        .resets()
        .request(
            &f.email,
            &f.captcha_id,
            &f.captcha_answer,
            &page.client,
            page.site.tenant.as_deref(),
            page.prefs.language,
        )
        .await;
    let (field, error) = match outcome {
        Ok(delivery) => {
            deliver_later(&page, delivery);
            return page.private(
                "reset_sent.html",
                StatusCode::OK,
                context! { email => f.email.trim().to_lowercase() },
            );
        }
        Err(ResetError::CaptchaWrong) => ("captcha", page.t("captcha.wrong")),
        Err(ResetError::EmailInvalid) => ("email", page.t("login.email_invalid")),
        Err(ResetError::Blocked(b)) => ("form", blocked_text(&page, b.until)),
        Err(e) => return Err(AppError::internal(e)),
    };
    let captcha = captcha(&page).await?;
    let status = if field == "form" {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page.private(
        "reset_request.html",
        status,
        context! { captcha => captcha, email => f.email, field => field, error => error },
    )
}

fn link_problem(page: &PageContext, e: ResetError) -> Result<Response, AppError> {
    let (key, status) = match e {
        ResetError::LinkUnknown => ("reset.unknown", StatusCode::NOT_FOUND),
        ResetError::LinkUsed => ("reset.used", StatusCode::GONE),
        ResetError::LinkExpired => ("reset.expired", StatusCode::GONE),
        ResetError::Blocked(_) => ("coupling.blocked", StatusCode::TOO_MANY_REQUESTS),
        other => return Err(AppError::internal(other)),
    };
    page.private("reset_problem.html", status, context! { problem => key })
}

/// `GET /wachtwoord-herstellen/{token}`: the new password.
#[handler]
pub async fn new_password(
    page: PageContext,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let Some(token) = Token::parse(&token) else {
        return link_problem(&page, ResetError::LinkUnknown);
    };
    let email = match page.state.resets().link(&token, &page.client).await {
        Ok(email) => email,
        Err(e) => return link_problem(&page, e),
    };
    let captcha = captcha(&page).await?;
    page.private(
        "reset_password.html",
        StatusCode::OK,
        context! { email => email.as_str(), captcha => captcha, action => page.path.clone() },
    )
}

/// The new-password form.
#[derive(Debug, Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    wachtwoord: String,
    #[serde(default)]
    herhaling: String,
    #[serde(default)]
    captcha_id: String,
    #[serde(default)]
    captcha_answer: String,
}

/// `POST /wachtwoord-herstellen/{token}`: [Wijzigen].
#[handler]
pub async fn change(
    page: PageContext,
    Path(token): Path<String>,
    Form(f): Form<NewPasswordForm>,
) -> Result<Response, AppError> {
    let Some(token) = Token::parse(&token) else {
        return link_problem(&page, ResetError::LinkUnknown);
    };
    let resets = page.state.resets();
    let email = match resets.link(&token, &page.client).await {
        Ok(email) => email,
        Err(e) => return link_problem(&page, e),
    };
    let (field, error) = match NewPassword::parse(&f.wachtwoord, &f.herhaling) {
        Err(problem) => {
            let field = if problem == parkportal_domain::password::PasswordProblem::Mismatch {
                "herhaling"
            } else {
                "wachtwoord"
            };
            (field, page.t(&format!("password.{}", problem.code())))
        }
        Ok(password) => match resets
            .confirm(
                &token,
                &password,
                &f.captcha_id,
                &f.captcha_answer,
                &page.client,
            )
            .await
        {
            Ok(_) => return page.private("reset_done.html", StatusCode::OK, context! {}),
            Err(ResetError::CaptchaWrong) => ("captcha", page.t("captcha.wrong")),
            Err(e) => return link_problem(&page, e),
        },
    };
    let captcha = captcha(&page).await?;
    page.private(
        "reset_password.html",
        StatusCode::UNPROCESSABLE_ENTITY,
        context! {
            email => email.as_str(),
            captcha => captcha,
            action => page.path.clone(),
            field => field,
            error => error,
        },
    )
}
