//! "Inloggen in 2Park": login in two steps (e-mail address, then password) and [Uitloggen].

use crate::auth::{self, SESSION_COOKIE};
use crate::page::PageContext;
use crate::preferences::return_path;
use minijinja::context;
use parkportal_domain::EmailAddress;
use parkportal_domain::accounts::LoginError;
use parkportal_web::AppError;
use parkportal_web::cookies;
use parkportal_web::inputs::decode_component;
use parkportal_web::page::urlencode;
use poem::http::{StatusCode, header};
use poem::web::{Form, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

/// The query of the login page.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// Where to go after logging in.
    terug: Option<String>,
    /// Why the resident is here: `time-out` or `uitgelogd`.
    reden: Option<String>,
}

/// The first step: the e-mail address.
#[derive(Debug, Deserialize)]
pub struct EmailForm {
    email: String,
    #[serde(default)]
    terug: Option<String>,
}

/// The second step: the password.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    wachtwoord: String,
    /// [Onthoud mij], present when ticked.
    #[serde(default)]
    onthoud: Option<String>,
    #[serde(default)]
    terug: Option<String>,
}

/// The cookie that carries the address from the first step to the second, so that the second
/// step is a page of its own (reloadable, and back-button safe).
const EMAIL_COOKIE: &str = "pp_login_email";

fn email_cookie(email: &EmailAddress, secure: bool) -> String {
    let value = urlencode(email.as_str());
    cookies::login_cookie(EMAIL_COOKIE, &value, Some(1800), secure)
}

fn remembered_email(req: &poem::Request, secure: bool) -> Option<EmailAddress> {
    let raw = cookies::get_login(req, EMAIL_COOKIE, secure)?;
    EmailAddress::parse(&decode_component(raw.as_bytes()).ok()?).ok()
}

fn render_step(
    page: &PageContext,
    template: &str,
    status: StatusCode,
    values: minijinja::Value,
) -> Result<Response, AppError> {
    let html = page.render(template, values)?;
    Ok(html
        .with_status(status)
        .with_header(header::CACHE_CONTROL, "no-store")
        .into_response())
}

/// `GET /inloggen`: the first step, the e-mail address.
#[handler]
pub async fn form(page: PageContext, Query(q): Query<LoginQuery>) -> Result<Response, AppError> {
    let terug = return_path(&page.site, q.terug.as_deref());
    if page.account.is_some() {
        return Ok(page.see_other(&terug));
    }
    // Logged out as asked is done; logged out by the time-out is something to heed.
    let (reason, kind) = match q.reden.as_deref() {
        Some("time-out") => (Some("login.timed_out"), "warning"),
        Some("uitgelogd") => (Some("login.logged_out"), "ok"),
        _ if page.timed_out => (Some("login.timed_out"), "warning"),
        _ => (None, "info"),
    };
    let apply_href = match &page.site.tenant {
        Some(tenant) if tenant.suspension.is_none() => page
            .state
            .tenants()
            .overview(tenant.id)
            .await?
            .is_some_and(|o| o.takes_applications())
            .then(|| page.site.link("/aanvragen")),
        _ => None,
    };
    render_step(
        &page,
        "login_email.html",
        StatusCode::OK,
        context! {
            terug => terug,
            reason => reason,
            reason_kind => kind,
            // On a gemeente's site whose loket takes applications: where to apply.
            apply_href => apply_href,
        },
    )
}

/// `POST /inloggen`: the address; the password step follows on a page of its own.
#[handler]
pub fn submit_email(page: PageContext, Form(f): Form<EmailForm>) -> Result<Response, AppError> {
    let terug = return_path(&page.site, f.terug.as_deref());
    let Ok(email) = EmailAddress::parse(&f.email) else {
        return render_step(
            &page,
            "login_email.html",
            StatusCode::UNPROCESSABLE_ENTITY,
            context! { terug => terug, email => f.email, error => "login.email_invalid" },
        );
    };
    let next = format!(
        "{}?terug={}",
        page.site.link("/inloggen/wachtwoord"),
        urlencode(&terug)
    );
    let mut resp = page.see_other(&next);
    let cookie = email_cookie(&email, page.state.settings().secure_cookies());
    auth::append_cookie(&mut resp, &cookie);
    Ok(resp)
}

/// `GET /inloggen/wachtwoord`: the second step, the password.
#[handler]
pub fn password_form(
    page: PageContext,
    req: &poem::Request,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let terug = return_path(&page.site, q.terug.as_deref());
    if page.account.is_some() {
        return Ok(page.see_other(&terug));
    }
    let Some(email) = remembered_email(req, page.state.settings().secure_cookies()) else {
        return Ok(page.see_other(&format!(
            "{}?terug={}",
            page.site.link("/inloggen"),
            urlencode(&terug)
        )));
    };
    render_step(
        &page,
        "login_password.html",
        StatusCode::OK,
        context! { terug => terug, email => email.as_str() },
    )
}

/// `POST /inloggen/wachtwoord`: checks the password and starts the session.
#[handler]
pub async fn submit_password(
    page: PageContext,
    req: &poem::Request,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let terug = return_path(&page.site, f.terug.as_deref());
    let Some(email) = remembered_email(req, page.state.settings().secure_cookies()) else {
        return Ok(page.see_other(&page.site.link("/inloggen")));
    };
    let accounts = page.state.accounts();
    let failed = |error: String| {
        render_step(
            &page,
            "login_password.html",
            StatusCode::UNPROCESSABLE_ENTITY,
            context! { terug => terug.clone(), email => email.as_str(), error => error, remember => f.onthoud.is_some() },
        )
    };
    match accounts
        .login(email.as_str(), &f.wachtwoord, &page.client)
        .await
    {
        Ok(signed_in) => {
            let secure = page.state.settings().secure_cookies();
            // Back where the resident came from; else the start screen (the product last used).
            let target =
                crate::products::after_login(&page, &signed_in.account, f.terug.as_deref()).await?;
            let mut resp = page.see_other(&target);
            auth::append_cookie(&mut resp, &auth::session_cookie(&signed_in.token, secure));
            auth::append_cookie(&mut resp, &auth::clear_cookie(EMAIL_COOKIE, secure));
            // The language and contrast saved in "Instellingen" apply on this device from now.
            let saved = page
                .state
                .account_settings()
                .of(&signed_in.account)
                .await
                .map_err(AppError::internal)?;
            for cookie in parkportal_web::prefs::saved_cookies(&saved, secure) {
                auth::append_cookie(&mut resp, &cookie);
            }
            if f.onthoud.is_some() {
                let token = accounts
                    .remember(&signed_in)
                    .await
                    .map_err(AppError::internal)?;
                let max_age = accounts.settings().remember_me;
                auth::append_cookie(&mut resp, &auth::remember_cookie(&token, max_age, secure));
            }
            Ok(resp)
        }
        Err(LoginError::InvalidCredentials) => failed(page.t("login.invalid")),
        Err(LoginError::Blocked(b)) => {
            let tz = page
                .site
                .tenant
                .as_ref()
                .map_or(chrono_tz::Europe::Amsterdam, |t| t.time_zone);
            let until = b.until.with_timezone(&tz).format("%H:%M:%S").to_string();
            failed(page.text("login.blocked", &[("time", until)]))
        }
        Err(LoginError::Store(e)) => Err(AppError::internal(e)),
        Err(LoginError::Random(e)) => Err(AppError::internal(e)),
    }
}

/// `POST /uitloggen`: ends the session; the login page follows.
#[handler]
pub async fn logout(page: PageContext, req: &poem::Request) -> Result<Response, AppError> {
    let accounts = page.state.accounts();
    if let Some(token) = &page.session {
        accounts.logout(token).await?;
    }
    // Logging out also makes this device forget the login.
    let secure = page.state.settings().secure_cookies();
    if let Some(token) = cookies::get_login(req, auth::REMEMBER_COOKIE, secure)
        .and_then(|v| parkportal_domain::Token::parse(&v))
    {
        accounts.forget(&token).await?;
    }
    let mut resp = page.see_other(&format!("{}?reden=uitgelogd", page.site.link("/inloggen")));
    auth::append_cookie(&mut resp, &auth::clear_cookie(SESSION_COOKIE, secure));
    auth::append_cookie(
        &mut resp,
        &auth::clear_cookie(auth::REMEMBER_COOKIE, secure),
    );
    Ok(resp)
}
