//! Refunding a revoked product's paid balance to the payer (every medewerker): a page that shows
//! what goes back through which payment and asks the reason, required since money moves; the
//! POST books and sends it (and sends again what waited) and returns to the product page.

use crate::page::{ConsolePage, context_of, see_other};
use crate::product_page::{code_or_refused, viewed, viewed_for_form};
use minijinja::{Value, context};
use parkportal_domain::BalanceUnit;
use parkportal_domain::coupling::StaffProductView;
use parkportal_domain::payer_refunds::{PayerRefundError, RefundOverview, RefundState};
use parkportal_web::AppError;
use parkportal_web::format::exact_amount as amount;
use poem::http::StatusCode;
use poem::web::{Form, Path};
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The form: the reason.
#[derive(Debug, Default, Deserialize)]
pub struct RefundForm {
    #[serde(default)]
    reden: String,
}

/// `cents` as euros in the page's language.
fn euros(page: &ConsolePage, cents: i64) -> String {
    let money = BalanceUnit::Money;
    amount(money, money.from_smallest(cents), page.prefs.language)
}

/// What the product page and the form show of `o` for `p`: the total that could go back now,
/// and the refunds made.
pub(crate) fn overview_values(
    page: &ConsolePage,
    p: &StaffProductView,
    o: &RefundOverview,
) -> Result<Value, AppError> {
    let tz = context_of(page)?.tenant.time_zone;
    let (units, cents) = o.refundable_total();
    let refunds: Vec<Value> = o
        .refunds
        .iter()
        .map(|r| {
            let state = match r.state {
                RefundState::Sent => page.text(
                    "console.refund.state.sent",
                    &[(
                        "status",
                        page.t(&format!(
                            "console.refund.provider.{}",
                            r.provider_status.as_deref().unwrap_or("queued")
                        )),
                    )],
                ),
                RefundState::Unsent => page.t("console.refund.state.unsent"),
                RefundState::Refused => page.t("console.refund.state.refused"),
            };
            context! {
                at => crate::product_page::moment(tz, r.created_at),
                price => euros(page, r.price_cents),
                units => amount(p.unit, p.unit.from_smallest(r.amount), page.prefs.language),
                payment => r.payment_ref.clone(),
                reference => r.provider_ref.clone(),
                state => state,
                reason => r.reason.clone(),
            }
        })
        .collect();
    Ok(context! {
        revoked => o.revoked,
        refundable => (cents > 0).then(|| euros(page, cents)),
        refundable_units => (p.unit != BalanceUnit::Money && units > 0)
            .then(|| amount(p.unit, p.unit.from_smallest(units), page.prefs.language)),
        parts => o.refundable.iter().map(|part| context! {
            payment => part.provider_ref.clone(),
            price => euros(page, part.price_cents),
        }).collect::<Vec<_>>(),
        unsent => o.unsent(),
        refunds => refunds,
    })
}

/// Renders the form for `p`, with the reason as typed and `error`.
async fn render(
    page: &ConsolePage,
    status: StatusCode,
    p: &StaffProductView,
    reason: &str,
    error: Option<(&'static str, String)>,
) -> Result<Response, AppError> {
    let ctx = context_of(page)?;
    let overview = page
        .console
        .payer_refunds()
        .overview(ctx.tenant.id, p.id)
        .await?;
    let base = format!("/beheer/{}/producten/{}", ctx.tenant.slug, p.code);
    let values = context! {
        base => base.clone(),
        action => format!("{base}/terugbetalen"),
        code => p.code.to_string(),
        type_name => p.product_type.1.clone(),
        holder => p.holder.as_ref().map(|h| h.name.clone()),
        balance => amount(p.unit, p.unit.from_smallest(p.balance), page.prefs.language),
        reden => reason,
        error_field => error.as_ref().map(|(f, _)| *f),
        error => error.map(|(_, m)| m),
        ..overview_values(page, p, &overview)?
    };
    page.render("product_refund.html", status, values).await
}

/// `GET /beheer/{gemeente}/producten/{code}/terugbetalen`.
#[handler]
pub async fn refund_form(
    page: ConsolePage,
    req: &Request,
    Path((_, code)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let p = viewed_for_form(&page, req, &code).await?;
    render(&page, StatusCode::OK, &p, "", None).await
}

/// `POST /beheer/{gemeente}/producten/{code}/terugbetalen`: 303 to the product page with
/// `?gedaan=terugbetaald` (all taken), `terugbetaling_wacht` (the provider not reached: sent
/// again next time) or `terugbetaling_geweigerd`; without a reason 422; not revoked or nothing
/// to refund 409.
#[handler]
pub async fn refund(
    page: ConsolePage,
    req: &Request,
    Path((_, code)): Path<(String, String)>,
    Form(f): Form<RefundForm>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let entry = page.entry(req, "product.payer_refund")?;
    let code = code_or_refused(&page, &code, &entry).await?;
    let outcome = page
        .console
        .payer_refunds()
        .refund(ctx.tenant.id, &code, (ctx.staff.id, &f.reden), &entry)
        .await;
    let refusal = match outcome {
        Ok(report) => {
            let word = if report.refused > 0 {
                "terugbetaling_geweigerd"
            } else if report.waiting > 0 {
                "terugbetaling_wacht"
            } else {
                "terugbetaald"
            };
            return Ok(see_other(&format!(
                "/beheer/{}/producten/{code}?gedaan={word}",
                ctx.tenant.slug
            )));
        }
        Err(PayerRefundError::Failed(e)) => return Err(AppError::internal(e)),
        Err(e) => e.code().unwrap_or("not_found"),
    };
    // The refusal is the reading's record, about the product (or 404 for another's).
    let p = viewed(&page, &code, &entry.refused(refusal)).await?;
    let (status, field) = match refusal {
        "reason_invalid" => (StatusCode::UNPROCESSABLE_ENTITY, "reden"),
        _ => (StatusCode::CONFLICT, "algemeen"),
    };
    let message = page.t(&format!("console.refund.refused.{refusal}"));
    render(&page, status, &p, &f.reden, Some((field, message))).await
}
