//! "Alle producten" (one card per gemeente, then its products), choosing a product, and "Voeg
//! product toe" with the code and PIN of an allocation letter.

use crate::page::{PageContext, ResidentPage};
use crate::preferences::return_path;
use minijinja::{Value, context};
use parkportal_domain::coupling::ClaimError;
use parkportal_domain::parking::has_plate_switch;
use parkportal_domain::parking::{ProductCard, ProductView};
use parkportal_domain::plate::Plate;
use parkportal_domain::{Account, ProductCode, ProductId};
use parkportal_web::AppError;
use parkportal_web::dates::last_local_day;
use parkportal_web::flash::Flash;
use parkportal_web::format::amount;
use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

/// The values of a product card.
pub(crate) fn card_values(page: &PageContext, card: &ProductCard) -> Value {
    let p = &card.product;
    context! {
        id => p.id.0,
        name => p.type_name.clone(),
        gemeente => p.tenant_name.clone(),
        zone => p.zone_name.clone(),
        valid_until => last_local_day(p.valid_until, p.time_zone, page.prefs.language),
        balance => amount(p.unit, p.balance_amount(), page.prefs.language),
        has_balance => p.unit != parkportal_domain::BalanceUnit::None,
        running => card.running,
        planned => card.planned,
        href => page.site.link(&format!("/producten/{}", p.id.0)),
        logo_url => format!("/g/{}/logo", p.tenant_slug),
        mandated_by => p.mandate.as_ref().map(|m| m.owner_email.clone()),
        plate_switch => has_plate_switch(p),
        active_plate => p.active_plate.as_ref().map(Plate::display),
    }
}

/// The header of a page about one product: its name and location in the middle, its balance on
/// the right.
pub(crate) fn header_values(page: &PageContext, card: &ProductCard) -> Value {
    product_header(page, &card.product)
}

/// The product in the page header: name, zone, its gemeente and balance.
pub(crate) fn product_header(page: &PageContext, p: &ProductView) -> Value {
    context! {
        name => p.type_name.clone(),
        zone => p.zone_name.clone(),
        gemeente => p.tenant_name.clone(),
        balance => (p.unit != parkportal_domain::BalanceUnit::None)
            .then(|| amount(p.unit, p.balance_amount(), page.prefs.language)),
    }
}

/// The resident's card of `product`, or 404; the page becomes one of the product's own
/// gemeente (its theme, logo and name), whatever host or prefix it was reached through.
pub(crate) async fn own_card(
    page: &mut PageContext,
    account: &Account,
    product: ProductId,
) -> Result<ProductCard, AppError> {
    let card = page
        .state
        .parking()
        .card(account, product)
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    page.show_product(&card.product).await?;
    Ok(card)
}

/// The query of "Alle producten".
#[derive(Debug, Deserialize)]
pub struct ProductsQuery {
    /// [Toon producten] of this gemeente.
    gemeente: Option<String>,
}

/// `GET /producten`: one card per gemeente; with `?gemeente=` its products.
#[handler]
pub async fn all(page: PageContext, Query(q): Query<ProductsQuery>) -> Result<Response, AppError> {
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    let cards = page
        .state
        .parking()
        .products(&account)
        .await
        .map_err(AppError::internal)?;
    let mut gemeenten: Vec<Value> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for c in &cards {
        let slug = c.product.tenant_slug.as_str();
        if seen.contains(&slug) {
            continue;
        }
        seen.push(slug);
        let count = cards
            .iter()
            .filter(|o| o.product.tenant_slug == slug)
            .count();
        gemeenten.push(context! {
            slug => slug,
            name => c.product.tenant_name.clone(),
            count => count,
            // "Alle producten" spans gemeenten: each says whether it is closed for now.
            suspended => c.product.tenant_suspended,
            logo_url => format!("/g/{slug}/logo"),
            href => format!("{}?gemeente={slug}", page.site.link("/producten")),
        });
    }
    let chosen = q.gemeente.as_deref().filter(|g| seen.contains(g));
    let products: Vec<Value> = match chosen {
        Some(slug) => cards
            .iter()
            .filter(|c| c.product.tenant_slug == slug)
            .map(|c| card_values(&page, c))
            .collect(),
        None => Vec::new(),
    };
    let gemeente_name = chosen.and_then(|slug| {
        cards
            .iter()
            .find(|c| c.product.tenant_slug == slug)
            .map(|c| c.product.tenant_name.clone())
    });
    Ok(page
        .render(
            "products.html",
            context! {
                gemeenten => gemeenten,
                products => products,
                chosen => chosen,
                gemeente_name => gemeente_name,
            },
        )?
        .into_response())
}

/// The query of choosing a product.
#[derive(Debug, Deserialize)]
pub struct ChooseQuery {
    /// `gepland`: open the tab of planned sessions.
    tab: Option<String>,
}

/// `GET /producten/{id}`: chooses the product and shows its sessions.
#[handler]
pub async fn choose(
    Path(id): Path<i64>,
    Query(q): Query<ChooseQuery>,
    ResidentPage { page, account }: ResidentPage,
) -> Result<Response, AppError> {
    let parking = page.state.parking();
    if parking
        .product(&account, ProductId(id))
        .await
        .map_err(AppError::internal)?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    parking
        .choose(&account, ProductId(id))
        .await
        .map_err(AppError::internal)?;
    let tab = if q.tab.as_deref() == Some("gepland") {
        "?tab=gepland"
    } else {
        ""
    };
    Ok(page.see_other(
        &page
            .site
            .link(&format!("/producten/{id}/parkeeracties{tab}")),
    ))
}

/// The query of "Voeg product toe": the link on an allocation letter fills in the code.
#[derive(Debug, Deserialize)]
pub struct ClaimQuery {
    #[serde(default)]
    code: Option<String>,
}

/// `GET /producten/toevoegen?code=ACDEF-GHJKM`: "Voeg product toe", the code of a letter's link
/// filled in. A visitor without a login comes back here with the code after logging in.
#[handler]
pub async fn claim_form(
    mut page: PageContext,
    Query(q): Query<ClaimQuery>,
) -> Result<Response, AppError> {
    // Only a well-formed code is carried: it goes into the page and the login's return path.
    let code = q
        .code
        .as_deref()
        .and_then(|c| ProductCode::parse(c).ok())
        .map(|c| c.to_string());
    if page.account.is_none() {
        if let Some(code) = &code {
            page.path = format!("{}?code={code}", page.path);
        }
        return Ok(page.login_redirect());
    }
    Ok(page
        .render("claim.html", context! { code => code.unwrap_or_default() })?
        .into_response())
}

/// The claim form.
#[derive(Debug, Deserialize)]
pub struct ClaimForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    pin: String,
}

/// `POST /producten/toevoegen`: [Voeg product toe].
#[handler]
pub async fn claim(page: PageContext, Form(f): Form<ClaimForm>) -> Result<Response, AppError> {
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    let error = match page
        .state
        .desk()
        .claim(&account, &f.code, &f.pin, &page.client)
        .await
    {
        Ok(product) => {
            let parking = page.state.parking();
            parking
                .choose(&account, product)
                .await
                .map_err(AppError::internal)?;
            let view = parking
                .product(&account, product)
                .await
                .map_err(AppError::internal)?
                .ok_or_else(|| AppError::internal("a claimed product is not the account's"))?;
            let said = Flash::ok(
                page.text("done.claimed", &[("name", view.type_name.clone())]),
                Some(page.text(
                    "done.claimed_detail",
                    &[
                        ("zone", view.zone_name.clone()),
                        ("gemeente", view.tenant_name.clone()),
                    ],
                )),
            );
            let to = page
                .site
                .link(&format!("/producten/{}/parkeeracties", product.0));
            return Ok(page.see_other_saying(&to, &said));
        }
        Err(ClaimError::Unknown) => page.t("claim.unknown"),
        Err(ClaimError::Blocked(b)) => {
            let tz = page
                .site
                .tenant
                .as_ref()
                .map_or(chrono_tz::Europe::Amsterdam, |t| t.time_zone);
            let time = b.until.with_timezone(&tz).format("%H:%M:%S").to_string();
            page.text("claim.blocked", &[("time", time)])
        }
        Err(ClaimError::Store(e)) => return Err(AppError::internal(e)),
    };
    Ok(page
        .render("claim.html", context! { code => f.code, error => error })?
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response())
}

/// Where a resident starts after logging in: the sessions of the start product chosen in
/// "Instellingen", else of the product last worked with, else "Alle producten".
pub(crate) async fn start_screen(
    page: &PageContext,
    account: &Account,
) -> Result<String, AppError> {
    let chosen = page
        .state
        .account_settings()
        .of(account)
        .await
        .map_err(AppError::internal)?
        .start_product;
    let last = match chosen {
        Some(product) => Some(product),
        None => page
            .state
            .parking()
            .last_product(account)
            .await
            .map_err(AppError::internal)?,
    };
    if let Some(p) = last {
        return Ok(page.site.link(&format!("/producten/{}/parkeeracties", p.0)));
    }
    // Nothing worked with yet: a single product is the one to work with, products of a single
    // gemeente are shown at once; otherwise the resident picks the gemeente.
    let cards = page
        .state
        .parking()
        .products(account)
        .await
        .map_err(AppError::internal)?;
    Ok(match cards.as_slice() {
        [only] => page
            .site
            .link(&format!("/producten/{}/parkeeracties", only.product.id.0)),
        [first, rest @ ..]
            if rest
                .iter()
                .all(|c| c.product.tenant == first.product.tenant) =>
        {
            format!(
                "{}?gemeente={}",
                page.site.link("/producten"),
                first.product.tenant_slug
            )
        }
        _ => page.site.link("/producten"),
    })
}

/// The return path after a login: the page the resident came from, else the start screen.
pub(crate) async fn after_login(
    page: &PageContext,
    account: &Account,
    terug: Option<&str>,
) -> Result<String, AppError> {
    match terug.filter(|t| !t.is_empty() && *t != page.site.link("/")) {
        Some(t) => Ok(return_path(&page.site, Some(t))),
        None => start_screen(page, account).await,
    }
}
