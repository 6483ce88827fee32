//! Balance corrections at the help desk (every medewerker): the form on a product (a signed
//! amount and a required reason), the list of corrections waiting for a second medewerker, and
//! a waiting correction's page where another medewerker approves or rejects it.

use crate::page::{ConsolePage, context_of, see_other};
use crate::product_page::Done;
use crate::product_page::{code_or_refused, moment, viewed, viewed_for_form};
use minijinja::{Value, context};
use parkportal_domain::BalanceUnit;
use parkportal_domain::corrections::{Corrected, Correction, CorrectionError, CorrectionRequest};
use parkportal_domain::coupling::StaffProductView;
use parkportal_domain::ids::CorrectionId;
use parkportal_web::AppError;
use parkportal_web::format::exact_amount as amount;
use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The correction form as typed.
#[derive(Debug, Default, Deserialize)]
pub struct CorrectionForm {
    #[serde(default)]
    bedrag: String,
    #[serde(default)]
    reden: String,
}

/// A decision on a waiting correction: `goedkeuren` or `afwijzen`.
#[derive(Debug, Default, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    besluit: String,
}

/// `amount` (smallest unit) of `unit` as the page's language writes it, with its sign.
fn units(page: &ConsolePage, unit: BalanceUnit, value: i64) -> String {
    let text = amount(unit, unit.from_smallest(value), page.prefs.language);
    if value > 0 { format!("+{text}") } else { text }
}

/// A correction as a list shows it.
pub(crate) fn row(page: &ConsolePage, c: &Correction) -> Result<Value, AppError> {
    let ctx = context_of(page)?;
    let tz = ctx.tenant.time_zone;
    Ok(context! {
        id => c.id.0,
        url => format!("/beheer/{}/correcties/{}", ctx.tenant.slug, c.id.0),
        product_url => format!("/beheer/{}/producten/{}", ctx.tenant.slug, c.code),
        code => c.code.to_string(),
        amount => units(page, c.unit, c.amount),
        reason => c.reason.clone(),
        proposed_by => c.proposed_by.1.clone(),
        proposed_at => moment(tz, c.proposed_at),
        status => page.t(&format!("console.corrections.status.{}", c.status)),
        pending => c.status == "pending",
        own => c.proposed_by.0 == ctx.staff.id,
        decided_by => c.decided_by.clone(),
    })
}

/// Renders the correction form of `p` with `form` as typed and `error` (field, message).
async fn render_form(
    page: &ConsolePage,
    status: StatusCode,
    p: &StaffProductView,
    form: Value,
    error: Option<(&str, String)>,
) -> Result<Response, AppError> {
    let ctx = context_of(page)?;
    let language = page.prefs.language;
    let limit = page.console.corrections().limits().of(p.unit);
    let base = format!("/beheer/{}/producten/{}", ctx.tenant.slug, p.code);
    let values = context! {
        base => base.clone(),
        action => format!("{base}/saldo"),
        code => p.code.to_string(),
        type_name => p.product_type.1.clone(),
        holder => p.holder.as_ref().map(|h| h.name.clone()),
        balance => amount(p.unit, p.unit.from_smallest(p.balance), language),
        limit => limit.map(|l| amount(p.unit, p.unit.from_smallest(l), language)),
        impossible => match (p.status.as_str(), limit) {
            ("active", Some(_)) => None,
            ("active", None) => Some(page.t("console.corrections.refused.no_balance")),
            _ => Some(page.t("console.corrections.refused.product_not_active")),
        },
        form => form,
        error_field => error.as_ref().map(|(f, _)| f.to_string()),
        error => error.map(|(_, m)| m),
    };
    page.render("correction_form.html", status, values).await
}

/// `GET /beheer/{gemeente}/producten/{code}/saldo`: the correction form.
#[handler]
pub async fn correction_form(
    page: ConsolePage,
    req: &Request,
    Path((_, code)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let p = viewed_for_form(&page, req, &code).await?;
    render_form(&page, StatusCode::OK, &p, context! {}, None).await
}

/// The field of a refusal's code.
fn field_of(code: &str) -> &'static str {
    match code {
        "amount_invalid" | "balance_below_zero" => "bedrag",
        "reason_invalid" => "reden",
        _ => "algemeen",
    }
}

/// `POST /beheer/{gemeente}/producten/{code}/saldo`: the correction posted (303 to the product
/// with `?gedaan=saldo`), stored to wait for a second medewerker (`?gedaan=saldo_wacht`), or the
/// form again with what stood in the way.
#[handler]
pub async fn propose(
    page: ConsolePage,
    req: &Request,
    Path((_, code)): Path<(String, String)>,
    Form(f): Form<CorrectionForm>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let entry = page.entry(req, "balance.corrected")?;
    let code = code_or_refused(&page, &code, &entry).await?;
    // A Dutch decimal comma is what people type; a plus sign may lead.
    let typed = f.bedrag.trim().replace(',', ".");
    let parsed = typed
        .strip_prefix('+')
        .unwrap_or(&typed)
        .parse::<rust_decimal::Decimal>();
    let outcome = match parsed {
        Ok(value) => {
            page.console
                .corrections()
                .propose(CorrectionRequest {
                    tenant: ctx.tenant.id,
                    code: code.clone(),
                    amount: value,
                    reason: f.reden.clone(),
                    staff: ctx.staff.id,
                    audit: entry.clone(),
                })
                .await
        }
        Err(_) => Err(CorrectionError::AmountInvalid),
    };
    let base = format!("/beheer/{}/producten/{}", ctx.tenant.slug, code);
    match outcome {
        Ok(Corrected::Waiting(_)) => Ok(see_other(&format!("{base}?gedaan=saldo_wacht"))),
        Ok(_) => Ok(see_other(&format!("{base}?gedaan=saldo"))),
        Err(e) => {
            let Some(reason) = e.code() else {
                return Err(AppError::internal(e));
            };
            // The refusal is the reading's record, about the product.
            let p = viewed(&page, &code, &entry.refused(reason)).await?;
            let status = match reason {
                "product_not_active" | "no_balance" => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let message = page.t(&format!("console.corrections.refused.{reason}"));
            let form = context! { bedrag => f.bedrag, reden => f.reden };
            render_form(&page, status, &p, form, Some((field_of(reason), message))).await
        }
    }
}

/// `GET /beheer/{gemeente}/correcties`: the corrections waiting for a second medewerker.
#[handler]
pub async fn waiting(
    page: ConsolePage,
    req: &Request,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let list = page.console.corrections().waiting(ctx.tenant.id).await?;
    // Their reasons may name residents: the reading is on the record.
    let ids: Vec<String> = list.iter().map(|c| c.id.0.to_string()).collect();
    let entry = page
        .entry(req, "correction.list")?
        .about("correction", ids.join(","));
    page.console.auth().audit().record(&entry).await?;
    let rows = list
        .iter()
        .map(|c| row(&page, c))
        .collect::<Result<Vec<_>, _>>()?;
    // The decision just made, named on the list it returns to.
    let done = match done.gedaan.as_deref() {
        Some(word @ ("goedgekeurd" | "afgewezen" | "al_besloten")) => {
            Some(page.t(&format!("console.corrections.done.{word}")))
        }
        _ => None,
    };
    let values = context! { rows => rows, done => done };
    page.render("corrections.html", StatusCode::OK, values)
        .await
}

/// The waiting correction `id` of the page's gemeente, or 404.
async fn find(page: &ConsolePage, id: &str) -> Result<Correction, AppError> {
    let ctx = context_of(page)?;
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    page.console
        .corrections()
        .waiting(ctx.tenant.id)
        .await?
        .into_iter()
        .find(|c| c.id == CorrectionId(id))
        .ok_or(AppError::NotFound)
}

/// Renders a correction's page.
async fn render_one(
    page: &ConsolePage,
    status: StatusCode,
    c: &Correction,
    error: Option<String>,
) -> Result<Response, AppError> {
    let values = context! { c => row(page, c)?, error => error };
    page.render("correction.html", status, values).await
}

/// `GET /beheer/{gemeente}/correcties/{id}`: a waiting correction with its approval and
/// rejection (not for its proposer); a decided or unknown one is 404.
#[handler]
pub async fn show(
    page: ConsolePage,
    req: &Request,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let c = find(&page, &id).await?;
    let entry = page
        .entry(req, "correction.view")?
        .about("correction", c.id.0);
    page.console.auth().audit().record(&entry).await?;
    render_one(&page, StatusCode::OK, &c, None).await
}

/// `POST /beheer/{gemeente}/correcties/{id}` with `besluit`: approves (the correction is posted,
/// checked against zero again) or rejects it; 303 to the list with `?gedaan=`.
#[handler]
pub async fn decide(
    page: ConsolePage,
    req: &Request,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let approve = match f.besluit.as_str() {
        "goedkeuren" => true,
        "afwijzen" => false,
        _ => {
            let entry = page.entry(req, "balance.correction_decided")?;
            page.console
                .auth()
                .audit()
                .record(&entry.refused("invalid_input"))
                .await?;
            return Err(AppError::BadRequest);
        }
    };
    let action = if approve {
        "balance.correction_approved"
    } else {
        "balance.correction_rejected"
    };
    let entry = page.entry(req, action)?;
    let Some(correction) = id.parse::<i64>().ok().map(CorrectionId) else {
        page.console
            .auth()
            .audit()
            .record(&entry.refused("not_found"))
            .await?;
        return Err(AppError::NotFound);
    };
    let staff = ctx.staff.id;
    let outcome = page
        .console
        .corrections()
        .decide(ctx.tenant.id, correction, (staff, approve), entry.clone())
        .await;
    let list = format!("/beheer/{}/correcties", ctx.tenant.slug);
    match outcome {
        Ok(Corrected::Rejected(_)) => Ok(see_other(&format!("{list}?gedaan=afgewezen"))),
        Ok(_) => Ok(see_other(&format!("{list}?gedaan=goedgekeurd"))),
        Err(e) => {
            let Some(reason) = e.code() else {
                return Err(AppError::internal(e));
            };
            let refused = entry.about("correction", correction.0).refused(reason);
            page.console.auth().audit().record(&refused).await?;
            match reason {
                "not_found" => return Err(AppError::NotFound),
                // A second click, or another medewerker was first: the list says how it stands.
                "correction_decided" => {
                    return Ok(see_other(&format!("{list}?gedaan=al_besloten")));
                }
                _ => {}
            }
            let c = find(&page, &id).await?;
            let message = page.t(&format!("console.corrections.refused.{reason}"));
            render_one(&page, StatusCode::CONFLICT, &c, Some(message)).await
        }
    }
}
