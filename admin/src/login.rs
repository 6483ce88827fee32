//! The console's login: e-mail address and password, then the code of the authenticator app
//! (or a recovery code) on a page of its own; [Uitloggen].

use crate::auth::{self, client_of};
use crate::page::{ConsolePage, see_other};
use minijinja::context;
use parkportal_domain::staff::{CodeError, PasswordStep, StaffLoginError, StaffMember};
use parkportal_web::AppError;
use parkportal_web::cookies::append_cookie;
use poem::http::StatusCode;
use poem::web::{Form, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The query of the login page.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// Why the visitor is here: `time-out` or `uitgelogd`.
    reden: Option<String>,
}

/// The first step.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    wachtwoord: String,
}

/// The second step.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// Minutes until `until`, at least one.
pub(crate) fn minutes_until(page: &ConsolePage, until: chrono::DateTime<chrono::Utc>) -> i64 {
    ((until - page.web.clock().now()).num_seconds() + 59)
        .div_euclid(60)
        .max(1)
}

/// `GET /beheer/inloggen`.
#[handler]
pub async fn form(page: ConsolePage, Query(q): Query<LoginQuery>) -> Result<Response, AppError> {
    if page.visitor.member.is_some() {
        return Ok(see_other("/beheer"));
    }
    let reason = match q.reden.as_deref() {
        Some("time-out") => Some("console.login.timed_out"),
        Some("uitgelogd") => Some("console.login.logged_out"),
        _ if page.visitor.timed_out => Some("console.login.timed_out"),
        _ => None,
    };
    page.render("login.html", StatusCode::OK, context! { reason => reason })
        .await
}

/// `POST /beheer/inloggen`: the password; the code is asked next.
#[handler]
pub async fn submit_password(
    page: ConsolePage,
    req: &Request,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    if page.visitor.member.is_some() {
        // Logged in already: a second login would leave the first behind, out of reach.
        crate::refusals::record(&page.console, req, "staff.login.password", "logged_in").await?;
        return Ok(see_other("/beheer"));
    }
    let step = page
        .console
        .auth()
        .password(&f.email, &f.wachtwoord, &client_of(req))
        .await;
    let (status, error) = match step {
        Ok(PasswordStep::Code(token)) => {
            let mut resp = see_other("/beheer/inloggen/code");
            append_cookie(
                &mut resp,
                &auth::session_cookie(&token, page.console.secure()),
            );
            return Ok(resp);
        }
        Ok(PasswordStep::NotEnrolled) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            page.text("console.login.not_enrolled", &[]),
        ),
        Err(StaffLoginError::InvalidCredentials) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            page.text("console.login.invalid", &[]),
        ),
        Err(StaffLoginError::Blocked(b)) => (
            StatusCode::TOO_MANY_REQUESTS,
            page.text(
                "console.login.blocked",
                &[("minutes", minutes_until(&page, b.until).to_string())],
            ),
        ),
        Err(e) => return Err(AppError::internal(e)),
    };
    page.render(
        "login.html",
        status,
        context! { email => f.email, error => error },
    )
    .await
}

/// `GET /beheer/inloggen/code`: the code of the authenticator app, once the password was right.
#[handler]
pub async fn code_form(page: ConsolePage) -> Result<Response, AppError> {
    if page.visitor.member.is_some() {
        return Ok(see_other("/beheer"));
    }
    if !waiting_for_code(&page) {
        return Ok(see_other("/beheer/inloggen"));
    }
    page.render("login_code.html", StatusCode::OK, context! {})
        .await
}

fn waiting_for_code(page: &ConsolePage) -> bool {
    page.visitor
        .pending
        .as_ref()
        .is_some_and(|s| s.stage == parkportal_domain::staff::Stage::Code)
}

/// `POST /beheer/inloggen/code`.
#[handler]
pub async fn submit_code(
    page: ConsolePage,
    req: &Request,
    Form(f): Form<CodeForm>,
) -> Result<Response, AppError> {
    let Some(session) = page
        .visitor
        .session
        .clone()
        .filter(|_| waiting_for_code(&page))
    else {
        crate::refusals::record(&page.console, req, "staff.login.code", "no_login").await?;
        return Ok(see_other("/beheer/inloggen"));
    };
    let result = page
        .console
        .auth()
        .code(&session, &f.code, &client_of(req))
        .await;
    let (status, error) = match result {
        Ok((token, member)) => {
            let mut resp = see_other(&landing_path(&page, &member).await?);
            append_cookie(
                &mut resp,
                &auth::session_cookie(&token, page.console.secure()),
            );
            return Ok(resp);
        }
        Err(CodeError::Wrong) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            page.text("console.code.wrong", &[]),
        ),
        Err(CodeError::Replayed) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            page.text("console.code.used", &[]),
        ),
        Err(CodeError::Blocked(b)) => (
            StatusCode::TOO_MANY_REQUESTS,
            page.text(
                "console.login.blocked",
                &[("minutes", minutes_until(&page, b.until).to_string())],
            ),
        ),
        Err(CodeError::NoLogin) => {
            crate::refusals::record(&page.console, req, "staff.login.code", "no_login").await?;
            return Ok(see_other("/beheer/inloggen"));
        }
        Err(e) => return Err(AppError::internal(e)),
    };
    page.render("login_code.html", status, context! { error => error })
        .await
}

/// Where `member` lands after logging in: their gemeente's console when they work for exactly
/// one, else the list to choose from.
pub async fn landing_path(page: &ConsolePage, member: &StaffMember) -> Result<String, AppError> {
    if let ([only], false) = (member.roles.as_slice(), member.platform_admin) {
        let tenants = page.console.web().tenants().list().await?;
        if let Some(t) = tenants.iter().find(|t| t.id == only.tenant) {
            return Ok(format!("/beheer/{}", t.slug));
        }
    }
    Ok("/beheer".to_owned())
}

/// `POST /beheer/uitloggen`.
#[handler]
pub async fn logout(page: ConsolePage, req: &Request) -> Result<Response, AppError> {
    let member = page
        .visitor
        .member
        .as_ref()
        .or(page.visitor.pending.as_ref().map(|s| &s.member));
    match (member, &page.visitor.session) {
        // Logged in or half-way: the session ends, with its entry.
        (Some(member), Some(token)) => {
            page.console
                .auth()
                .logout(token, member, &client_of(req))
                .await?;
        }
        _ => crate::refusals::record(&page.console, req, "staff.logout", "no_login").await?,
    }
    let mut resp = see_other("/beheer/inloggen?reden=uitgelogd");
    append_cookie(&mut resp, &auth::clear_cookie(page.console.secure()));
    Ok(resp)
}
