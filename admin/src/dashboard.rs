//! The dashboard of a gemeente's console home: its figures as labelled tiles, for every staff
//! role. The rule-error figure links to the list of rule errors for those who may open it
//! (beheerders); a medewerker sees the number only.

use crate::access::StaffContext;
use crate::page::ConsolePage;
use minijinja::{Value, context};
use parkportal_domain::BalanceUnit;
use parkportal_domain::staff::Role;
use parkportal_web::AppError;
use parkportal_web::format::exact_amount as amount;

/// The figures of the context's gemeente now, as the home page's template reads them.
pub async fn figures(page: &ConsolePage, ctx: &StaffContext) -> Result<Value, AppError> {
    let tz = ctx.tenant.time_zone;
    let dashboard = page.console.dashboard();
    let f = dashboard.figures(ctx.tenant.id, tz).await?;
    let now = dashboard.window(tz).now.with_timezone(&tz);
    let errors_link = ctx
        .role
        .allows(Role::TenantAdmin)
        .then(|| format!("/beheer/{}/regelfouten", ctx.tenant.slug));
    Ok(context! {
        // In figures, so that a day reads the same in both languages.
        as_of => now.format("%d-%m-%Y %H:%M").to_string(),
        products => f.products,
        residents => f.residents,
        sessions_today => f.sessions_today,
        top_ups_today => f.top_ups_today,
        // "€ 35,00" never breaks between the sign and the number on a narrow screen.
        top_ups_total => amount(BalanceUnit::Money, f.top_ups_total, page.prefs.language)
            .replace(' ', "\u{a0}"),
        rule_errors => f.rule_errors,
        errors_link => errors_link,
        open_applications => f.open_applications,
        applications_link => format!("/beheer/{}/aanvragen", ctx.tenant.slug),
    })
}
