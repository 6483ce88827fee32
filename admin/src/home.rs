//! The console's landing pages: the list of gemeenten a staff member works for, a gemeente's
//! console home (its dashboard), and the platform's page of every gemeente.

use crate::page::{ConsolePage, context_of};
use crate::suspension::gemeente_values;
use minijinja::context;
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::Query;
use poem::{Response, handler};
use serde::Deserialize;

/// `GET /beheer`: the gemeenten the staff member works for (every one for a
/// platformbeheerder), each with the role they have there.
#[handler]
pub async fn choose(page: ConsolePage) -> Result<Response, AppError> {
    let member = page
        .visitor
        .member
        .clone()
        .ok_or_else(|| AppError::internal("a signed page without its staff member"))?;
    let tenants = page.console.web().tenants().list().await?;
    let gemeenten: Vec<_> = tenants
        .iter()
        .filter_map(|t| {
            member.role_in(t.id).map(|role| {
                context! {
                    slug => t.slug.as_str(),
                    name => t.name.clone(),
                    role => role.as_str(),
                }
            })
        })
        .collect();
    page.render(
        "choose.html",
        StatusCode::OK,
        context! { gemeenten => gemeenten, platform_admin => member.platform_admin },
    )
    .await
}

/// `GET /beheer/{gemeente}`: the console home of a gemeente: its dashboard, who works here in
/// which role, and how many recovery codes are left.
#[handler]
pub async fn gemeente(page: ConsolePage) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let left = page.console.auth().recovery_codes_left(&ctx.staff).await?;
    let figures = crate::dashboard::figures(&page, ctx).await?;
    page.render(
        "gemeente_home.html",
        StatusCode::OK,
        context! {
            role => ctx.role.as_str(),
            name => ctx.staff.name.clone(),
            recovery_left => left,
            recovery_low => left < 3,
            figures => figures,
            // Its staff still work here; the page says that residents cannot start anything.
            g => gemeente_values(&ctx.tenant),
        },
    )
    .await
}

/// After a suspension or resumption: `?geschorst={slug}` or `?hervat={slug}`.
#[derive(Debug, Default, Deserialize)]
pub struct PlatformQuery {
    geschorst: Option<String>,
    hervat: Option<String>,
}

/// `GET /beheer/platform`: every gemeente on the platform, each with a link to its console,
/// whether it is active or suspended (since when, why) and the way to suspend or resume it.
#[handler]
pub async fn platform(
    Query(q): Query<PlatformQuery>,
    page: ConsolePage,
) -> Result<Response, AppError> {
    let tenants = page.console.web().tenants().list().await?;
    let beheerders = page
        .console
        .staff()
        .beheerders()
        .await
        .map_err(AppError::internal)?;
    let gemeenten: Vec<_> = tenants
        .iter()
        .map(|t| {
            let admins: Vec<_> = beheerders
                .iter()
                .filter(|b| b.tenant == t.id)
                .map(|b| context! { name => b.name.clone(), email => b.email.to_string(), active => b.active })
                .collect();
            context! { beheerders => admins, ..gemeente_values(t) }
        })
        .collect();
    // The message after a change, only while the gemeente is as it says (a link that is
    // passed on does not claim what no longer holds).
    let done = tenants.iter().find_map(|t| {
        let suspended = t.suspension.is_some();
        if q.geschorst.as_deref() == Some(t.slug.as_str()) && suspended {
            Some(page.text(
                "console.suspension.done_suspended",
                &[("name", t.name.clone())],
            ))
        } else if q.hervat.as_deref() == Some(t.slug.as_str()) && !suspended {
            Some(page.text(
                "console.suspension.done_resumed",
                &[("name", t.name.clone())],
            ))
        } else {
            None
        }
    });
    page.render(
        "platform_home.html",
        StatusCode::OK,
        context! { gemeenten => gemeenten, done => done },
    )
    .await
}
