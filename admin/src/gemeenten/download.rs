//! `GET /beheer/platform/gemeenten/{slug}/bundel.tar.gz`: a gemeente as the bundle `parkportal
//! tenants export` writes, packed as `tenants/<slug>/...`; uploading it on an empty server
//! gives the same gemeente. Each download is on the record (`tenant.exported`).

use crate::auth::client_of;
use crate::page::ConsolePage;
use parkportal_domain::TenantSlug;
use parkportal_domain::audit::{Actor, AuditEntry};
use parkportal_domain::staff::Role;
use parkportal_web::AppError;
use poem::http::header;
use poem::web::Path;
use poem::{Request, Response, handler};

/// `GET`: the archive, as an attachment.
#[handler]
pub async fn bundle(
    page: ConsolePage,
    req: &Request,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let slug = TenantSlug::parse(&slug).map_err(|_| AppError::NotFound)?;
    let tenants = page.console.web().tenants();
    let config = tenants.export(&slug).await?.ok_or(AppError::NotFound)?;
    let tenant = tenants
        .by_slug(slug.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    let bytes = page
        .console
        .bundles()
        .write(&config, &format!("tenants/{slug}/"))
        .map_err(AppError::internal)?;
    let member = page
        .visitor
        .member
        .clone()
        .ok_or_else(|| AppError::internal("a download without its staff member"))?;
    let entry = AuditEntry::new(
        Actor::of(&member),
        "tenant.exported",
        &client_of(req),
        page.web.clock().now(),
    )
    .about("tenant", &slug)
    .within(Some(tenant.id), Some(Role::PlatformAdmin));
    page.console.auth().audit().record(&entry).await?;
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, "application/gzip")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{slug}.tar.gz\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(bytes))
}
