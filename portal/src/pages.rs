//! The general pages: home (the platform's list of gemeenten, or a gemeente's start page), the
//! menu, "Over Parkportal" and the accessibility statement.

use crate::page::PageContext;
use crate::preferences::return_path;
use chrono::Locale;
use minijinja::{Value, context};
use parkportal_domain::parking::ProductView;
use parkportal_domain::parking::has_plate_switch;
use parkportal_domain::top_up::TopUps;
use parkportal_domain::{Account, BalanceUnit, Language, ProductKind};
use parkportal_web::AppError;
use poem::web::{Html, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

/// `GET /`: for a logged-in resident the start screen (the sessions of the product last used);
/// else on the platform the list of gemeenten, on a gemeente its start page.
#[handler]
pub async fn home(page: PageContext) -> Result<Response, AppError> {
    if let Some(account) = &page.account {
        let target = crate::products::start_screen(&page, account).await?;
        return Ok(page.see_other(&target));
    }
    public_home(&page).await.map(IntoResponse::into_response)
}

async fn public_home(page: &PageContext) -> Result<Html<String>, AppError> {
    let state = &page.state;
    match page.site.tenant.clone() {
        None => {
            let tenants = state.tenants().list().await?;
            let items: Vec<_> = tenants
                .iter()
                .map(|t| {
                    context! {
                        name => t.name.clone(),
                        href => format!("/g/{}/", t.slug),
                        logo_url => format!("/g/{}/logo?v={}", t.slug, t.version),
                    }
                })
                .collect();
            page.render("home_platform.html", context! { tenants => items })
        }
        Some(tenant) => {
            let overview = state
                .tenants()
                .overview(tenant.id)
                .await?
                .ok_or(AppError::NotFound)?;
            let now = state.clock().now().with_timezone(&tenant.time_zone);
            let locale = match page.prefs.language {
                Language::Nl => Locale::nl_NL,
                Language::En => Locale::en_GB,
            };
            // What is retired issues nothing new: the start page names what a resident can get.
            let zones: Vec<_> = overview
                .zones
                .iter()
                .filter(|z| !z.retired)
                .map(|z| z.name.clone())
                .collect();
            let products: Vec<_> = overview
                .product_types
                .iter()
                .filter(|p| !p.retired)
                .map(|p| {
                    let kind = match p.kind {
                        ProductKind::VisitorScheme => "product.kind.visitor_scheme",
                        ProductKind::Permit => "product.kind.permit",
                    };
                    let unit = match p.unit {
                        BalanceUnit::Money => "product.unit.money",
                        BalanceUnit::Minutes => "product.unit.minutes",
                        BalanceUnit::Sessions => "product.unit.sessions",
                        BalanceUnit::None => "product.unit.none",
                    };
                    // What the gemeente takes applications for is one link from here.
                    let apply_href = p
                        .open_for_application
                        .then(|| page.site.link(&format!("/aanvragen/{}", p.code)));
                    context! { name => p.name.clone(), kind => kind, unit => unit, apply_href => apply_href }
                })
                .collect();
            let open = overview.takes_applications();
            page.render(
                "home_tenant.html",
                context! {
                    apply => open.then(|| page.site.link("/aanvragen")),
                    zones => zones,
                    products => products,
                    local_time => now.format_localized("%A %-d %B %Y, %H:%M", locale).to_string(),
                },
            )
        }
    }
}

/// The query of the menu: where "Verlaat het menu" returns to.
#[derive(Debug, Deserialize)]
pub struct MenuQuery {
    terug: Option<String>,
}

/// The options of `product` for `account` (the menu's group under the product's name, and the
/// desktop's navigation beside a product's pages): what the product offers and the rules allow.
pub(crate) async fn product_options(
    page: &PageContext,
    account: &Account,
    product: &ProductView,
) -> Result<Value, AppError> {
    let id = product.id;
    let href = |rest: &str| page.site.link(&format!("/producten/{}{rest}", id.0));
    // "Of deze optie beschikbaar is, is afhankelijk van uw gemeente en/of van het
    // geselecteerde product": the rules say.
    // Also while mandates given earlier live on (imported ones, or the gemeente turned
    // them off since): [Intrekken] must stay within reach.
    let available = page
        .state
        .mandates()
        .available(product)
        .await
        .map_err(AppError::internal)?
        .is_ok();
    let mandates = available
        || page
            .state
            .mandates()
            .list(account, id)
            .await
            .map_err(AppError::internal)?
            .is_some_and(|(_, given)| !given.is_empty());
    let own = product.mandate.is_none();
    Ok(context! {
        name => product.type_name.clone(),
        place => format!("{}, {}", product.zone_name, product.tenant_name),
        sessions_href => href("/parkeeracties"),
        history_href => href("/historie"),
        favorites_href => own.then(|| href("/favorieten")),
        mandates_href => mandates.then(|| href("/machtigingen")),
        top_up_href => TopUps::sells(product).then(|| href("/opwaarderen")),
        switch_href => has_plate_switch(product).then(|| href("/kentekenswitch")),
    })
}

/// `GET /menu`: the menu as a page of its own, so that it works without JavaScript.
#[handler]
pub async fn menu(page: PageContext, Query(q): Query<MenuQuery>) -> Result<Html<String>, AppError> {
    let terug = return_path(&page.site, q.terug.as_deref());
    // Logged in: the options of the product last worked with.
    let mut product_menu = None;
    if let Some(account) = &page.account {
        let parking = page.state.parking();
        let last = parking
            .last_product(account)
            .await
            .map_err(AppError::internal)?;
        if let Some(id) = last
            && let Some(product) = parking
                .product(account, id)
                .await
                .map_err(AppError::internal)?
        {
            product_menu = Some(product_options(&page, account, &product).await?);
        }
    }
    page.render(
        "menu.html",
        context! { terug => terug, product_menu => product_menu },
    )
}

/// `GET /over`: "Over Parkportal", with the version the helpdesk asks for.
#[handler]
pub fn about(page: PageContext) -> Result<Html<String>, AppError> {
    page.render("about.html", context! {})
}

/// `GET /toegankelijkheid`: the accessibility statement.
#[handler]
pub fn accessibility(page: PageContext) -> Result<Html<String>, AppError> {
    page.render("accessibility.html", context! {})
}
