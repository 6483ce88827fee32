//! A gemeente's API keys in its console (beheerders, and platformbeheerders in any gemeente):
//! the list of its keys without their secrets, the form that makes one (the key is shown once,
//! in the answer to the POST, never in a URL), and the confirmed revocation. Every attempt,
//! made or refused, leaves one entry in the audit trail: the use case writes it.

use crate::page::{ConsolePage, context_of, see_other};
use crate::staff_pages::Done;
use chrono::{DateTime, NaiveDate, Utc};
use minijinja::{Value, context};
use parkportal_domain::api_keys::{
    ApiKeyError, ApiKeyRecord, ApiKeyStatus, ApiKeys, Scope, Scopes, check_expiry, check_name,
    expiry_after,
};
use parkportal_domain::ids::ApiKeyId;
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{Request, Response, handler};
use std::collections::BTreeMap;

/// The form that makes a key, as typed: its scopes are checkboxes of one name, so the body is
/// read as pairs.
#[derive(Debug, Default)]
struct Typed {
    naam: String,
    scopes: Vec<String>,
    verloopt: String,
}

impl Typed {
    fn of(fields: &[(String, String)]) -> Self {
        let mut typed = Self::default();
        for (name, value) in fields {
            match name.as_str() {
                "naam" => typed.naam = value.trim().to_owned(),
                "scopes" => typed.scopes.push(value.clone()),
                "verloopt" => typed.verloopt = value.trim().to_owned(),
                _ => {}
            }
        }
        typed
    }

    fn values(&self) -> Value {
        context! { naam => &self.naam, scopes => &self.scopes, verloopt => &self.verloopt }
    }
}

fn keys(page: &ConsolePage) -> &ApiKeys {
    page.console.api_keys()
}

fn base(page: &ConsolePage) -> Result<String, AppError> {
    Ok(format!(
        "/beheer/{}/api-sleutels",
        context_of(page)?.tenant.slug
    ))
}

/// The key id of a path; anything else is no key (404).
fn key_id(raw: &str) -> Option<ApiKeyId> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).map(ApiKeyId)
}

/// The scope's text key: `products:issue` reads `console.api_keys.scope.products_issue`.
fn scope_key(scope: Scope) -> String {
    scope.as_str().replace(':', "_")
}

/// The scopes for the form's checkboxes, each with its text key.
fn scope_choices() -> Vec<Value> {
    Scope::ALL
        .into_iter()
        .map(|s| context! { value => s.as_str(), key => scope_key(s) })
        .collect()
}

/// The last day a key works that works until `until` (exclusive, the end of a local day).
fn last_day(page: &ConsolePage, until: DateTime<Utc>) -> Result<String, AppError> {
    let tz = context_of(page)?.tenant.time_zone;
    Ok((until - chrono::Duration::seconds(1))
        .with_timezone(&tz)
        .format("%d-%m-%Y")
        .to_string())
}

/// An instant in the gemeente's time, for the list.
fn local(page: &ConsolePage, at: DateTime<Utc>) -> Result<String, AppError> {
    let tz = context_of(page)?.tenant.time_zone;
    Ok(at.with_timezone(&tz).format("%d-%m-%Y %H:%M").to_string())
}

fn row(page: &ConsolePage, key: &ApiKeyRecord, now: DateTime<Utc>) -> Result<Value, AppError> {
    let status = key.status(now);
    let last_use = match key.last_used_at {
        Some(at) => local(page, at)?,
        None => page.t("console.api_keys.never"),
    };
    let expires = match key.expires_at {
        Some(at) => last_day(page, at)?,
        None => page.t("console.api_keys.no_expiry"),
    };
    Ok(context! {
        id => key.id.0,
        name => &key.name,
        scopes => key.scopes.iter().map(Scope::as_str).collect::<Vec<_>>(),
        created => local(page, key.created_at)?,
        created_by => &key.created_by,
        last_use => last_use,
        expires => expires,
        status => page.t(&format!("console.api_keys.status_{}", status.as_str())),
        revocable => status != ApiKeyStatus::Revoked,
    })
}

/// The list of keys with the form, its values `form` and `errors`, answered with `status`.
async fn list_page(
    page: &ConsolePage,
    status: StatusCode,
    form: Value,
    errors: BTreeMap<&str, String>,
    message: Option<String>,
) -> Result<Response, AppError> {
    let tenant = context_of(page)?.tenant.id;
    let now = keys(page).now();
    let rows = keys(page)
        .list(tenant)
        .await?
        .iter()
        .map(|k| row(page, k, now))
        .collect::<Result<Vec<_>, _>>()?;
    page.render(
        "api_keys.html",
        status,
        context! {
            rows => rows, base => base(page)?, form => form, errors => errors,
            scopes => scope_choices(), message => message,
        },
    )
    .await
}

/// `GET /beheer/{gemeente}/api-sleutels`: the gemeente's keys and the form to make one.
#[handler]
pub async fn list(page: ConsolePage, Query(done): Query<Done>) -> Result<Response, AppError> {
    let id = done.id.filter(|id| *id > 0).map(ApiKeyId);
    let message = match (done.gedaan.as_str(), id) {
        ("ingetrokken", Some(id)) => {
            let tenant = context_of(&page)?.tenant.id;
            match keys(&page).get(tenant, id).await {
                Ok(key) => Some(page.text("console.api_keys.done_revoked", &[("name", key.name)])),
                Err(ApiKeyError::NotFound) => None,
                Err(e) => return Err(AppError::internal(e)),
            }
        }
        _ => None,
    };
    let form = Typed::default().values();
    list_page(&page, StatusCode::OK, form, BTreeMap::new(), message).await
}

/// The field of the form a refusal of the use case is about, and its text key.
fn field_of(e: &ApiKeyError) -> Option<(&'static str, &'static str)> {
    Some(match e {
        ApiKeyError::NameMissing => ("naam", "console.api_keys.error_name"),
        ApiKeyError::NameTooLong => ("naam", "console.api_keys.error_name_long"),
        ApiKeyError::NameTaken => ("naam", "console.api_keys.error_name_taken"),
        ApiKeyError::Scopes(_) => ("scopes", "console.api_keys.error_scopes"),
        ApiKeyError::ExpiryPassed => ("verloopt", "console.api_keys.error_expiry_passed"),
        _ => return None,
    })
}

/// `POST /beheer/{gemeente}/api-sleutels`: makes a key and shows it, this once, in the
/// answer; a refused form is shown again with what was typed and why.
#[handler]
pub async fn create(
    page: ConsolePage,
    req: &Request,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let (tenant, tz) = (ctx.tenant.id, ctx.tenant.time_zone);
    let audit = page.entry(req, "api_key.created")?;
    let typed = Typed::of(&fields);
    // Every field is read before anything is refused, so that the form names every mistake.
    let mut refusals: Vec<ApiKeyError> = Vec::new();
    let mut bad_date = false;
    if let Err(e) = check_name(&typed.naam) {
        refusals.push(e);
    }
    let scopes = Scopes::from_names(typed.scopes.iter().map(String::as_str))
        .map_err(|e| refusals.push(e.into()))
        .ok();
    let expires_at = match typed.verloopt.as_str() {
        "" => None,
        // A date field sends 2026-12-31; where it is a text field, people type 31-12-2026.
        text => match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(text.trim(), "%d-%m-%Y"))
        {
            Ok(day) => Some(expiry_after(tz, day)),
            Err(_) => {
                bad_date = true;
                None
            }
        },
    };
    if let Err(e) = check_expiry(expires_at, keys(&page).now()) {
        refusals.push(e);
    }
    let mut errors = BTreeMap::new();
    match scopes {
        Some(scopes) if refusals.is_empty() && !bad_date => {
            match keys(&page)
                .create(tenant, &typed.naam, scopes, expires_at, audit)
                .await
            {
                Ok((key, secret)) => {
                    let expires = key.expires_at.map(|at| last_day(&page, at)).transpose()?;
                    return page
                        .render(
                            "api_key_created.html",
                            StatusCode::OK,
                            context! {
                                base => base(&page)?, name => key.name, secret => secret.expose(),
                                scopes => key.scopes.iter().map(Scope::as_str).collect::<Vec<_>>(),
                                expires => expires,
                            },
                        )
                        .await;
                }
                Err(e) => match field_of(&e) {
                    // The use case recorded its refusal.
                    Some((field, key)) => {
                        errors.insert(field, page.t(key));
                    }
                    None => return Err(AppError::internal(e)),
                },
            }
        }
        _ => {
            let reason = refusals
                .first()
                .map_or("api_key_expiry_invalid", ApiKeyError::code);
            keys(&page).refuse(audit, reason).await?;
            for e in &refusals {
                if let Some((field, key)) = field_of(e) {
                    errors.entry(field).or_insert_with(|| page.t(key));
                }
            }
            if bad_date {
                errors.insert("verloopt", page.t("console.api_keys.error_expiry"));
            }
        }
    }
    list_page(
        &page,
        StatusCode::UNPROCESSABLE_ENTITY,
        typed.values(),
        errors,
        None,
    )
    .await
}

/// The key of the path in the gemeente, or the console's 404.
async fn found(page: &ConsolePage, raw: &str) -> Result<ApiKeyRecord, AppError> {
    let tenant = context_of(page)?.tenant.id;
    let id = key_id(raw).ok_or(AppError::NotFound)?;
    match keys(page).get(tenant, id).await {
        Ok(key) => Ok(key),
        Err(ApiKeyError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(AppError::internal(e)),
    }
}

/// `GET /beheer/{gemeente}/api-sleutels/{id}/intrekken`: the confirmation of a revocation.
#[handler]
pub async fn revoke_form(
    page: ConsolePage,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let key = found(&page, &id).await?;
    page.render(
        "api_key_revoke.html",
        StatusCode::OK,
        context! {
            base => base(&page)?, id => key.id.0, name => key.name,
            revoked => key.revoked_at.is_some(),
        },
    )
    .await
}

/// `POST /beheer/{gemeente}/api-sleutels/{id}/intrekken`: revokes the key at once.
#[handler]
pub async fn revoke(
    page: ConsolePage,
    req: &Request,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let tenant = context_of(&page)?.tenant.id;
    let audit = page.entry(req, "api_key.revoked")?;
    let Some(key) = key_id(&id) else {
        keys(&page)
            .refuse(audit.about("path", &id), "api_key_not_found")
            .await?;
        return Err(AppError::NotFound);
    };
    match keys(&page).revoke(tenant, key, audit).await {
        Ok(_) | Err(ApiKeyError::AlreadyRevoked) => {
            let to = format!("{}?gedaan=ingetrokken&id={}", base(&page)?, key.0);
            Ok(see_other(&to))
        }
        Err(ApiKeyError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(AppError::internal(e)),
    }
}
