//! "Opwaarderen" of the chosen own visitor scheme: the options still possible under the period's
//! cap, [Betaal] to the provider's checkout, and the result when the payer returns (the new
//! balance after a successful payment).

use crate::page::{PageContext, ResidentPage};
use crate::products::product_header;
use crate::refusal_texts;
use minijinja::{Value, context};
use parkportal_domain::parking::ProductView;
use parkportal_domain::product_type::TopUpOption;
use parkportal_domain::rules::ReasonCode;
use parkportal_domain::top_up::{Bought, Offer, Payment, PaymentStatus, TopUpError};
use parkportal_domain::{BalanceUnit, PaymentId, ProductId};
use parkportal_web::AppError;
use parkportal_web::dates::local_day;
use parkportal_web::format::amount;
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::{Form, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

/// The option as the page shows it: "€ 25,00", or "600 minuten voor € 12,00".
pub(crate) fn option_label(page: &PageContext, unit: BalanceUnit, o: &TopUpOption) -> String {
    let lang = page.prefs.language;
    let bought = amount(unit, o.amount, lang);
    if unit == BalanceUnit::Money && o.amount == o.price {
        bought
    } else {
        let price = amount(BalanceUnit::Money, o.price, lang);
        page.text("top_up.option_for", &[("amount", bought), ("price", price)])
    }
}

/// The absolute address of this site (the gemeente's own, or the platform's), where the payer
/// returns after the checkout: never taken from the request's Host header.
pub(crate) fn return_base(page: &PageContext) -> String {
    let platform = &page.state.settings().public_url;
    match &page.site.tenant {
        Some(t) => t.public_url(platform),
        None => platform.as_str().to_owned(),
    }
}

/// The text a payment's description carries (the payer's bank statement shows it).
pub(crate) fn description(page: &PageContext, offer_product: &ProductView) -> String {
    page.text(
        "top_up.description",
        &[
            ("product", offer_product.type_name.clone()),
            ("gemeente", offer_product.tenant_name.clone()),
        ],
    )
}

/// The page's own policy: its form leads to the provider's checkout, which may pass the payer
/// on to the bank at once (any https site then); a provider on plain http (a test double) by
/// its origin.
fn with_checkout_policy(page: &PageContext, mut response: Response) -> Response {
    let mut targets = vec!["https:".to_owned()];
    targets.extend(
        page.state
            .top_ups()
            .checkout_origins()
            .into_iter()
            .filter(|o| o.starts_with("http://")),
    );
    let policy = parkportal_web::observe::policy_with_form_targets(&targets.join(" "));
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// What the resident's own product `id` offers, or 404; the page becomes one of the product's
/// gemeente.
async fn offer(page: &mut PageContext, id: i64) -> Result<Offer, AppError> {
    let account = page.account.clone().ok_or(AppError::NotFound)?;
    let offer = page
        .state
        .top_ups()
        .offer(&account, ProductId(id))
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    page.show_product(&offer.product).await?;
    Ok(offer)
}

/// What the page says of the period's cap: the maximum and what is left, when the next period
/// starts, and what an unfinished payment holds of it.
fn cap_lines(page: &PageContext, offer: &Offer) -> Vec<String> {
    let Some(cap) = offer.cap else {
        return Vec::new();
    };
    let p = &offer.product;
    let units = |v: i64| amount(p.unit, p.unit.from_smallest(v), page.prefs.language);
    let mut lines = vec![page.text(
        "top_up.cap",
        &[("limit", units(cap.limit)), ("left", units(cap.left()))],
    )];
    if offer.options.is_empty() && cap.left() > 0 {
        lines.push(page.text("top_up.cap_no_option_fits", &[]));
    }
    if cap.unfinished > 0 {
        lines.push(page.text(
            "top_up.cap_unfinished",
            &[("amount", units(cap.unfinished))],
        ));
    }
    if let Some(renews) = cap.renews {
        let date = local_day(renews, p.time_zone, page.prefs.language);
        lines.push(page.text("top_up.cap_renews", &[("date", date)]));
    }
    lines
}

fn render(
    page: &PageContext,
    offer: &Offer,
    chosen: Option<&str>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let unit = offer.product.unit;
    let options: Vec<Value> = offer
        .options
        .iter()
        .map(|o| {
            let id = o.id(unit);
            context! {
                checked => chosen == Some(id.as_str()),
                id => id,
                label => option_label(page, unit, o),
            }
        })
        .collect();
    let response = page
        .render(
            "top_up.html",
            context! {
                product => product_header(page, &offer.product),
                options => options,
                // Said once: a refused [Betaal] names the same reason as its error.
                refusal => offer
                    .refusal
                    .map(|r| page.t(&refusal_texts::reason(r, false)))
                    .filter(|r| error.as_ref() != Some(r)),
                action => page.site.link(&format!("/producten/{id}/opwaarderen", id = offer.product.id.0)),
                error => error.clone(),
                cap => cap_lines(page, offer),
                simulated => page.state.top_ups().simulated(),
                sessions_href => page.site.link(&format!("/producten/{id}/parkeeracties", id = offer.product.id.0)),
            },
        )?
        .with_status(status)
        .into_response();
    Ok(with_checkout_policy(page, response))
}

/// `GET /producten/{id}/opwaarderen`.
#[handler]
pub async fn show(mut page: PageContext, Path(id): Path<i64>) -> Result<Response, AppError> {
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    let offer = offer(&mut page, id).await?;
    page.state
        .parking()
        .choose(&account, ProductId(id))
        .await
        .map_err(AppError::internal)?;
    render(&page, &offer, None, None, StatusCode::OK)
}

/// The form of [Betaal].
#[derive(Debug, Deserialize)]
pub struct PayForm {
    optie: Option<String>,
}

/// `POST /producten/{id}/opwaarderen`: [Betaal] opens the payment and sends the payer to the
/// provider's checkout.
#[handler]
pub async fn pay(
    Path(id): Path<i64>,
    Form(f): Form<PayForm>,
    ResidentPage { mut page, account }: ResidentPage,
) -> Result<Response, AppError> {
    let current = offer(&mut page, id).await?;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let Some(option) = f.optie.as_deref().filter(|o| !o.is_empty()) else {
        return render(
            &page,
            &current,
            None,
            Some(page.t("top_up.choose")),
            unprocessable,
        );
    };
    let bought = page
        .state
        .top_ups()
        .buy(
            &account,
            ProductId(id),
            option,
            &return_base(&page),
            &description(&page, &current.product),
        )
        .await;
    match bought {
        Ok(Some(Bought::Created(payment))) => match payment.checkout_url {
            Some(url) => Ok(page.see_other(&url)),
            None => Err(AppError::internal("a created payment without checkout")),
        },
        Ok(Some(Bought::UnknownOption)) => render(
            &page,
            &current,
            None,
            Some(page.t("top_up.choose")),
            unprocessable,
        ),
        Ok(Some(Bought::Refused(reason))) => {
            // Shown with what is still possible now.
            let now = offer(&mut page, id).await?;
            let message = page.t(&refusal_texts::reason(reason, false));
            // A suspended gemeente is in the way, not the request: as for a start.
            let status = if reason == ReasonCode::TenantSuspended {
                StatusCode::CONFLICT
            } else {
                unprocessable
            };
            render(&page, &now, Some(option), Some(message), status)
        }
        Ok(None) => Err(AppError::NotFound),
        Err(TopUpError::Provider(e)) => {
            tracing::warn!(error = %e, "payment not created");
            render(
                &page,
                &current,
                Some(option),
                Some(page.t("top_up.provider_down")),
                StatusCode::SERVICE_UNAVAILABLE,
            )
        }
        Err(e) => Err(AppError::internal(e)),
    }
}

/// The kind of the result page's message: paid is done, a payment under way information, one
/// the payer stopped or let expire a warning, one that failed an error.
fn outcome_kind(payment: &Payment) -> &'static str {
    match payment.status {
        PaymentStatus::Paid => "ok",
        PaymentStatus::Open | PaymentStatus::Pending => "info",
        PaymentStatus::Canceled | PaymentStatus::Expired => "warning",
        PaymentStatus::Failed => "error",
    }
}

/// What the result page says about `payment`.
fn outcome_key(payment: &Payment) -> &'static str {
    match payment.status {
        PaymentStatus::Paid => "top_up.result.paid",
        PaymentStatus::Open => "top_up.result.open",
        PaymentStatus::Pending => "top_up.result.pending",
        PaymentStatus::Canceled => "top_up.result.canceled",
        PaymentStatus::Failed => "top_up.result.failed",
        PaymentStatus::Expired => "top_up.result.expired",
    }
}

/// `GET /producten/{id}/opwaarderen/{payment}`: where the payer returns from the checkout.
#[handler]
pub async fn result(
    Path((id, payment)): Path<(i64, i64)>,
    ResidentPage { mut page, account }: ResidentPage,
) -> Result<Response, AppError> {
    let (payment, product) = page
        .state
        .top_ups()
        .payment(&account, ProductId(id), PaymentId(payment))
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    page.show_product(&product).await?;
    let lang = page.prefs.language;
    let going_on = !payment.status.is_final();
    let response = page
        .render(
            "top_up_result.html",
            context! {
                product => product_header(&page, &product),
                paid => payment.status == PaymentStatus::Paid,
                kind => outcome_kind(&payment),
                going_on => going_on,
                message => page.t(outcome_key(&payment)),
                bought => option_label(&page, product.unit, &TopUpOption {
                    amount: product.unit.from_smallest(payment.amount),
                    price: payment.price(),
                }),
                balance => amount(product.unit, product.balance_amount(), lang),
                checkout_url => (payment.status == PaymentStatus::Open).then_some(payment.checkout_url.clone()).flatten(),
                refresh_href => page.site.link(&format!("/producten/{id}/opwaarderen/{}", payment.id.0)),
                again_href => page.site.link(&format!("/producten/{id}/opwaarderen")),
                sessions_href => page.site.link(&format!("/producten/{id}/parkeeracties")),
                simulated => page.state.top_ups().simulated(),
            },
        )?
        .into_response();
    Ok(response)
}
