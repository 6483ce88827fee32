//! What the look's pages (settings, logo, theme; #24) share: the gemeente's configuration with
//! the version a form sends back, that version read from a multipart form, a refusal on the
//! record, and the sample balance of the header previews.

use crate::page::{ConsolePage, context_of};
use parkportal_domain::TenantConfig;
use parkportal_domain::tenant::BalanceUnit;
use parkportal_web::AppError;
use parkportal_web::multipart::Part;
use poem::Request;

/// The page's gemeente's configuration now, with its version.
pub(crate) async fn current(page: &ConsolePage) -> Result<(TenantConfig, i64), AppError> {
    let ctx = context_of(page)?;
    page.console
        .gemeente_look()
        .current(&ctx.tenant.slug)
        .await?
        .ok_or(AppError::NotFound)
}

/// The version a multipart form (`versie`) was shown with; -1 (never current) when it has none.
pub(crate) fn version_of(parts: &[Part]) -> i64 {
    parts
        .iter()
        .find(|p| p.name == "versie")
        .and_then(|p| std::str::from_utf8(&p.data).ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(-1)
}

/// Records `action` on the page's gemeente as refused for `code`.
pub(crate) async fn refused(
    page: &ConsolePage,
    req: &Request,
    action: &'static str,
    code: &str,
) -> Result<(), AppError> {
    let ctx = context_of(page)?;
    let entry = page
        .entry(req, action)?
        .about("tenant", ctx.tenant.slug.as_str())
        .refused(code);
    page.console.record(&entry).await
}

/// The balance the header previews show, in the page's language.
pub(crate) fn sample_balance(page: &ConsolePage) -> String {
    parkportal_web::format::amount(
        BalanceUnit::Money,
        rust_decimal::Decimal::new(1250, 2),
        page.prefs.language,
    )
}
