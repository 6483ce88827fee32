//! Revoking a product at the help desk (every medewerker): a page that says what will happen
//! (its live sessions stop with their refunds, its mandates end, it can no longer be used or
//! claimed) and asks for the reason, which is required since money moves; the POST revokes it
//! and returns to the product page, which shows the balance left and what was paid for it.

use crate::page::{ConsolePage, context_of, see_other};
use crate::product_page::{code_or_refused, last_day, viewed, viewed_for_form};
use minijinja::context;
use parkportal_domain::coupling::{MAX_REASON_CHARS, StaffProductView};
use parkportal_web::AppError;
use parkportal_web::format::exact_amount as amount;
use poem::http::StatusCode;
use poem::web::{Form, Path};
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The form: the reason.
#[derive(Debug, Default, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    reden: String,
}

/// Renders the confirmation for `p`, with the reason as typed and `error`.
async fn render(
    page: &ConsolePage,
    status: StatusCode,
    p: &StaffProductView,
    reason: &str,
    error: Option<(&'static str, String)>,
) -> Result<Response, AppError> {
    let ctx = context_of(page)?;
    let base = format!("/beheer/{}/producten/{}", ctx.tenant.slug, p.code);
    let values = context! {
        base => base.clone(),
        action => format!("{base}/intrekken"),
        code => p.code.to_string(),
        type_name => p.product_type.1.clone(),
        holder => p.holder.as_ref().map(|h| h.name.clone()),
        last_day => last_day(ctx.tenant.time_zone, p.valid_until),
        balance => amount(p.unit, p.unit.from_smallest(p.balance), page.prefs.language),
        active => p.status == "active",
        reden => reason,
        // A missing reason belongs to its field; anything else to the form as a whole.
        error_field => error.as_ref().map(|(f, _)| *f),
        error => error.map(|(_, m)| m),
    };
    page.render("product_revoke.html", status, values).await
}

/// `GET /beheer/{gemeente}/producten/{code}/intrekken`.
#[handler]
pub async fn revoke_form(
    page: ConsolePage,
    req: &Request,
    Path((_, code)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let p = viewed_for_form(&page, req, &code).await?;
    render(&page, StatusCode::OK, &p, "", None).await
}

/// `POST /beheer/{gemeente}/producten/{code}/intrekken`: revoked, 303 to the product page with
/// `?gedaan=ingetrokken`; without a reason 422; not active 409.
#[handler]
pub async fn revoke(
    page: ConsolePage,
    req: &Request,
    Path((_, code)): Path<(String, String)>,
    Form(f): Form<RevokeForm>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let mut entry = page.entry(req, "product.revoked")?;
    let code = code_or_refused(&page, &code, &entry).await?;
    let reason = f.reden.trim();
    let refusal = if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        Some("reason_invalid")
    } else {
        entry.reason = Some(reason.to_owned());
        match page
            .console
            .revocations()
            .revoke(ctx.tenant.id, &code, &entry)
            .await
        {
            Ok(_) => {
                return Ok(see_other(&format!(
                    "/beheer/{}/producten/{code}?gedaan=ingetrokken",
                    ctx.tenant.slug
                )));
            }
            Err(e) => match e.code() {
                Some(code) => Some(code),
                None => return Err(AppError::internal(e)),
            },
        }
    };
    let reason_code = refusal.unwrap_or("reason_invalid");
    // The refusal is the reading's record, about the product (or 404 for another's).
    let p = viewed(&page, &code, &entry.refused(reason_code)).await?;
    let status = match reason_code {
        "reason_invalid" => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::CONFLICT,
    };
    let message = page.t(&format!("console.revoke.refused.{reason_code}"));
    let field = match reason_code {
        "reason_invalid" => "reden",
        _ => "algemeen",
    };
    render(&page, status, &p, reason, Some((field, message))).await
}
