//! Per-gemeente assets: the theme's design tokens as CSS custom properties, and the logo.

use crate::state::Portal;
use parkportal_web::{AppError, Site};
use poem::http::header;
use poem::web::{Data, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

/// The cache-busting query of assets.
#[derive(Debug, Deserialize)]
pub struct Versioned {
    v: Option<i64>,
}

fn cache_control(site: &Site, asked: Option<i64>) -> &'static str {
    let current = site.tenant.as_ref().map_or(0, |t| t.version);
    // A versioned URL never changes content; anything else must be revalidated.
    if asked == Some(current) {
        "public, max-age=86400"
    } else {
        "no-cache"
    }
}

/// `GET /theme.css`: the default theme's tokens with the gemeente's laid over them, as CSS custom
/// properties named the NL Design System way. The contrast schemes in the static stylesheet
/// override these.
#[handler]
pub fn theme_css(
    Data(state): Data<&Portal>,
    Data(site): Data<&Site>,
    Query(q): Query<Versioned>,
) -> Response {
    let base = state.tenants().base_tokens();
    let tokens = match &site.tenant {
        Some(tenant) => base.overlaid_with(&tenant.tokens),
        None => base.clone(),
    };
    let css = format!(":root {{\n{}}}\n", tokens.to_css_declarations());
    css.with_content_type("text/css; charset=utf-8")
        .with_header(header::CACHE_CONTROL, cache_control(site, q.v))
        .into_response()
}

/// `GET /logo`: the gemeente's logo. SVG is served with a policy that forbids scripts, in case a
/// file ever slipped past the import check.
#[handler]
pub async fn logo(
    Data(state): Data<&Portal>,
    Data(site): Data<&Site>,
    Query(q): Query<Versioned>,
) -> Result<Response, AppError> {
    let tenant = site.tenant.as_ref().ok_or(AppError::NotFound)?;
    let logo = state
        .tenants()
        .logo(tenant.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(logo
        .bytes
        .with_content_type(logo.content_type)
        .with_header(header::CACHE_CONTROL, cache_control(site, q.v))
        .with_header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        )
        .into_response())
}
