//! `GET/POST /beheer/platform/gemeenten/nieuw`: a new gemeente from a form (its slug, name and
//! time zone) with its first beheerder, who gets an enrolment link. The gemeente starts with
//! the default theme, a logo of its initials and one zone; its beheerder configures the rest.

use crate::auth::client_of;
use crate::page::ConsolePage;
use chrono_tz::Tz;
use minijinja::{Value, context};
use parkportal_domain::audit::Actor;
use parkportal_domain::founding::{FoundError, NewGemeente, found};
use parkportal_domain::tenant::RESERVED_SLUGS;
use parkportal_domain::{EmailAddress, TenantSlug};
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::Form;
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The time zone a new gemeente gets unless another is chosen.
const DEFAULT_ZONE: &str = "Europe/Amsterdam";

/// The form as sent.
#[derive(Debug, Default, Deserialize)]
pub struct NewForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    naam: String,
    #[serde(default)]
    tijdzone: String,
    #[serde(default)]
    beheerder_naam: String,
    #[serde(default)]
    beheerder_email: String,
}

/// Every time zone, Europe/Amsterdam first.
fn zones() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| tz.name())
        .filter(|name| *name != DEFAULT_ZONE)
        .collect();
    names.sort_unstable();
    names.insert(0, DEFAULT_ZONE);
    names
}

async fn show(
    page: &ConsolePage,
    status: StatusCode,
    sent: &NewForm,
    errors: &[(&str, String)],
) -> Result<Response, AppError> {
    let list: Vec<Value> = errors
        .iter()
        .map(|(field, message)| context! { field => *field, message => message.clone() })
        .collect();
    let by_field: std::collections::BTreeMap<&str, String> = errors
        .iter()
        .map(|(field, message)| (*field, message.clone()))
        .collect();
    let chosen = match sent.tijdzone.trim() {
        "" => DEFAULT_ZONE,
        other => other,
    };
    page.render(
        "gemeente_new.html",
        status,
        context! {
            form => context! {
                slug => sent.slug.trim(), naam => sent.naam.trim(), tijdzone => chosen,
                beheerder_naam => sent.beheerder_naam.trim(),
                beheerder_email => sent.beheerder_email.trim(),
            },
            zones => zones(),
            errors => list,
            e => by_field,
        },
    )
    .await
}

/// `GET`: the empty form.
#[handler]
pub async fn form(page: ConsolePage) -> Result<Response, AppError> {
    show(&page, StatusCode::OK, &NewForm::default(), &[]).await
}

/// A name of 1 to 100 characters.
fn name_of(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty() && text.chars().count() <= 100).then(|| text.to_owned())
}

/// The form read into a new gemeente, or the catalogue key of each field's error.
fn read(f: &NewForm) -> Result<NewGemeente, Vec<(&'static str, &'static str)>> {
    let mut errors = Vec::new();
    let slug_text = f.slug.trim();
    let slug = TenantSlug::parse(slug_text)
        .map_err(|_| {
            let key = if RESERVED_SLUGS.contains(&slug_text) {
                "console.gemeente_new.slug_reserved"
            } else {
                "console.gemeente_new.slug_invalid"
            };
            errors.push(("slug", key));
        })
        .ok();
    let name = name_of(&f.naam);
    if name.is_none() {
        errors.push(("naam", "console.gemeente_new.name_invalid"));
    }
    let time_zone = f.tijdzone.trim().parse::<Tz>().ok();
    if time_zone.is_none() {
        errors.push(("tijdzone", "console.gemeente_new.zone_invalid"));
    }
    let admin_name = name_of(&f.beheerder_naam);
    if admin_name.is_none() {
        errors.push(("beheerder_naam", "console.gemeente_new.name_invalid"));
    }
    let admin_email = EmailAddress::parse(f.beheerder_email.trim()).ok();
    if admin_email.is_none() {
        errors.push(("beheerder_email", "console.gemeente_new.email_invalid"));
    }
    match (slug, name, time_zone, admin_name, admin_email) {
        (Some(slug), Some(name), Some(time_zone), Some(admin_name), Some(admin_email))
            if errors.is_empty() =>
        {
            Ok(NewGemeente {
                slug,
                name,
                time_zone,
                admin_name,
                admin_email,
            })
        }
        _ => Err(errors),
    }
}

/// The form again with `errors` (field, key) in its summary and at their fields; the refusal
/// is in the audit trail with the fields it names.
async fn refuse(
    page: &ConsolePage,
    req: &Request,
    sent: &NewForm,
    errors: &[(&str, &str)],
) -> Result<Response, AppError> {
    let fields: Vec<&str> = errors.iter().map(|(field, _)| *field).collect();
    let reason = format!("invalid:{}", fields.join(","));
    crate::refusals::record(&page.console, req, "tenant.created", &reason).await?;
    let errors: Vec<(&str, String)> = errors
        .iter()
        .map(|(field, key)| (*field, page.t(key)))
        .collect();
    show(page, StatusCode::UNPROCESSABLE_ENTITY, sent, &errors).await
}

/// `POST`: makes the gemeente and its first beheerder, whose invitation is mailed.
#[handler]
pub async fn submit(
    page: ConsolePage,
    req: &Request,
    Form(f): Form<NewForm>,
) -> Result<Response, AppError> {
    let new = match read(&f) {
        Ok(new) => new,
        Err(errors) => return refuse(&page, req, &f, &errors).await,
    };
    let member = page
        .visitor
        .member
        .clone()
        .ok_or_else(|| AppError::internal("a new gemeente without its staff member"))?;
    let founded = found(
        page.console.web().tenants(),
        page.console.enrolment(),
        &new,
        Actor::of(&member),
        &client_of(req),
        page.web.clock().now(),
    )
    .await;
    let founded = match founded {
        Ok(founded) => founded,
        Err(FoundError::SlugTaken) => {
            return refuse(
                &page,
                req,
                &f,
                &[("slug", "console.gemeente_new.slug_taken")],
            )
            .await;
        }
        Err(FoundError::EmailTaken) => {
            let error = ("beheerder_email", "console.gemeente_new.email_taken");
            return refuse(&page, req, &f, &[error]).await;
        }
        Err(FoundError::Invalid(problems)) => {
            tracing::warn!(?problems, "a new gemeente's defaults did not validate");
            return Err(AppError::internal("the defaults of a new gemeente"));
        }
        Err(FoundError::Save(e)) => return Err(AppError::internal(e)),
        Err(FoundError::Enrol(e)) => return Err(AppError::internal(e)),
        Err(FoundError::Store(e)) => return Err(e.into()),
    };
    let tz = new.time_zone;
    page.render(
        "gemeente_created.html",
        StatusCode::OK,
        context! {
            name => new.name.clone(),
            slug => new.slug.as_str(),
            admin_name => new.admin_name.clone(),
            admin_email => new.admin_email.as_str(),
            until => founded.link.expires_at.with_timezone(&tz).format("%d-%m-%Y %H:%M").to_string(),
        },
    )
    .await
}
