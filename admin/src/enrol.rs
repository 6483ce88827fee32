//! Enrolment by the one-time link: choose the password, set up the authenticator app from the
//! QR code (or the secret typed over) and confirm it with a code, then the ten recovery codes,
//! shown once.

use crate::auth::{self, client_of};
use crate::page::{ConsolePage, see_other};
use crate::qr;
use minijinja::context;
use parkportal_domain::Token;
use parkportal_domain::audit::{Actor, AuditEntry};
use parkportal_domain::staff::{EnrolError, OpenLink, StaffPassword, StaffSession, Stage};
use parkportal_web::AppError;
use parkportal_web::cookies::append_cookie;
use poem::http::StatusCode;
use poem::web::{Form, Path};
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The password form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    wachtwoord: String,
    #[serde(default)]
    herhaling: String,
}

/// The confirmation code.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// The page for a link that does not work (any more), with its status.
async fn problem(page: &ConsolePage, link: &OpenLink) -> Result<Response, AppError> {
    let (status, key) = match link {
        OpenLink::Used => (StatusCode::GONE, "console.enrol.used"),
        OpenLink::Expired => (StatusCode::GONE, "console.enrol.expired"),
        _ => (StatusCode::NOT_FOUND, "console.enrol.unknown"),
    };
    page.render("enrol_problem.html", status, context! { problem => key })
        .await
}

/// `GET /beheer/inschrijven/{token}`: choose the password.
#[handler]
pub async fn password_form(
    page: ConsolePage,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let link = match Token::parse(&token) {
        Some(t) => page.console.enrolment().open(&t).await?,
        None => OpenLink::Unknown,
    };
    let OpenLink::Valid(member) = &link else {
        return problem(&page, &link).await;
    };
    page.render(
        "enrol_password.html",
        StatusCode::OK,
        context! { token => token, name => member.name.clone(), email => member.email.to_string() },
    )
    .await
}

/// `POST /beheer/inschrijven/{token}`: the password; the authenticator follows.
#[handler]
pub async fn choose_password(
    page: ConsolePage,
    req: &Request,
    Path(token): Path<String>,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let parsed = Token::parse(&token);
    let link = match &parsed {
        Some(t) => page.console.enrolment().open(t).await?,
        None => OpenLink::Unknown,
    };
    let (Some(parsed), OpenLink::Valid(member)) = (parsed, &link) else {
        crate::refusals::record(
            &page.console,
            req,
            "staff.enrolment.password",
            "link_unusable",
        )
        .await?;
        return problem(&page, &link).await;
    };
    let client = client_of(req);
    let password = match StaffPassword::parse(&f.wachtwoord, &f.herhaling) {
        Ok(p) => p,
        Err(problem) => {
            let entry = AuditEntry::new(
                Actor::of(member),
                "staff.enrolment.password",
                &client,
                page.web.clock().now(),
            )
            .about("staff", member.id)
            .refused(problem.code());
            page.console.auth().audit().record(&entry).await?;
            let field = if problem == parkportal_domain::password::PasswordProblem::Mismatch {
                "herhaling"
            } else {
                "wachtwoord"
            };
            return page
                .render(
                    "enrol_password.html",
                    StatusCode::UNPROCESSABLE_ENTITY,
                    context! {
                        token => token,
                        name => member.name.clone(),
                        email => member.email.to_string(),
                        error => page.text(&format!("password.{}", problem.code()), &[]),
                        error_field => field,
                    },
                )
                .await;
        }
    };
    match page
        .console
        .enrolment()
        .choose_password(&parsed, &password, &client)
        .await
    {
        Ok(chosen) => {
            let mut resp = see_other("/beheer/tweede-factor");
            let cookie = auth::session_cookie(&chosen.session, page.console.secure());
            append_cookie(&mut resp, &cookie);
            Ok(resp)
        }
        Err(EnrolError::LinkUnusable) => {
            crate::refusals::record(
                &page.console,
                req,
                "staff.enrolment.password",
                "link_unusable",
            )
            .await?;
            problem(&page, &OpenLink::Used).await
        }
        Err(e) => Err(AppError::internal(e)),
    }
}

/// The enrolment session of the visitor, if they are setting up their authenticator.
fn enrolling(page: &ConsolePage) -> Option<(Token, StaffSession)> {
    let session = page.visitor.pending.clone()?;
    let token = page.visitor.session.clone()?;
    (session.stage == Stage::Enrol).then_some((token, session))
}

/// The authenticator page's values for `session`.
async fn app_values(
    page: &ConsolePage,
    session: &StaffSession,
) -> Result<minijinja::Value, AppError> {
    let secret = page
        .console
        .enrolment()
        .secret(session)
        .await
        .map_err(AppError::internal)?;
    let issuer = "Parkportal";
    let uri = secret.otpauth_uri(issuer, session.member.email.as_str());
    let image = qr::svg(&uri).ok_or_else(|| AppError::internal("the QR code did not fit"))?;
    Ok(context! {
        qr => minijinja::Value::from_safe_string(image),
        secret => secret.grouped(),
        email => session.member.email.to_string(),
        issuer => issuer,
    })
}

/// `GET /beheer/tweede-factor`: the QR code and the secret, and the confirmation code.
#[handler]
pub async fn app_form(page: ConsolePage) -> Result<Response, AppError> {
    let Some((_, session)) = enrolling(&page) else {
        return Ok(see_other("/beheer/inloggen"));
    };
    let values = app_values(&page, &session).await?;
    page.render("enrol_app.html", StatusCode::OK, values).await
}

/// `POST /beheer/tweede-factor`: the confirmation; the recovery codes are shown once.
#[handler]
pub async fn confirm(
    page: ConsolePage,
    req: &Request,
    Form(f): Form<CodeForm>,
) -> Result<Response, AppError> {
    let Some((token, session)) = enrolling(&page) else {
        crate::refusals::record(
            &page.console,
            req,
            "staff.enrolment.second_factor",
            "no_enrolment",
        )
        .await?;
        return Ok(see_other("/beheer/inloggen"));
    };
    let result = page
        .console
        .enrolment()
        .confirm(&token, &session, &f.code, &client_of(req))
        .await;
    let (status, error) = match result {
        Ok(enrolled) => {
            let codes: Vec<String> = enrolled.recovery.iter().map(|c| c.shown()).collect();
            let next = crate::login::landing_path(&page, &session.member).await?;
            let mut resp = page
                .render(
                    "enrol_done.html",
                    StatusCode::OK,
                    context! { codes => codes, next => next },
                )
                .await?;
            let cookie = auth::session_cookie(&enrolled.session, page.console.secure());
            append_cookie(&mut resp, &cookie);
            return Ok(resp);
        }
        Err(EnrolError::WrongCode) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            page.text("console.code.wrong", &[]),
        ),
        Err(EnrolError::Blocked(b)) => (
            StatusCode::TOO_MANY_REQUESTS,
            page.text(
                "console.login.blocked",
                &[(
                    "minutes",
                    crate::login::minutes_until(&page, b.until).to_string(),
                )],
            ),
        ),
        Err(EnrolError::LinkUnusable) => {
            crate::refusals::record(
                &page.console,
                req,
                "staff.enrolment.second_factor",
                "no_enrolment",
            )
            .await?;
            return Ok(see_other("/beheer/inloggen"));
        }
        Err(e) => return Err(AppError::internal(e)),
    };
    let values = app_values(&page, &session).await?;
    page.render(
        "enrol_app.html",
        status,
        context! { error => error, ..values },
    )
    .await
}
