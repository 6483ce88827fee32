//! What the catalogue's pages (zones and product types; #24) share: an edit made against the
//! version its form was shown with and how its refusal reads, with its audit entry either way,
//! and the messages of a form's fields.

use crate::page::{ConsolePage, context_of};
use minijinja::{Value, context};
use parkportal_domain::catalogue::{CatalogueEdit, CatalogueProblem, CatalogueRefusal, NAME_MAX};
use parkportal_domain::gemeente_look::{LookChange, LookError, LookOutcome};
use parkportal_domain::postcode_range::MAX_RANGES;
use parkportal_domain::product_type::MAX_VALIDITY_MONTHS;
use parkportal_web::AppError;
use poem::Request;
use poem::http::StatusCode;

/// A refused edit as the page shows it.
pub(crate) struct Refused {
    /// The answer's status.
    pub status: StatusCode,
    /// The message above the form.
    pub message: String,
    /// What the configuration's own check found, listed under the message.
    pub details: Vec<String>,
}

/// Makes `edit` to the page's gemeente if its configuration is at `version`: `Ok(None)` when
/// saved (the use case wrote its audit entry), else what the page says (its refusal recorded).
pub(crate) async fn make(
    page: &ConsolePage,
    req: &Request,
    version: i64,
    edit: CatalogueEdit,
) -> Result<Option<Refused>, AppError> {
    let ctx = context_of(page)?;
    let action = edit.action();
    let kind = if edit.of_zones() {
        "zone"
    } else {
        "product_type"
    };
    let object = format!("{}/{}", ctx.tenant.slug, edit.code());
    let entry = page.entry(req, action)?;
    let outcome = page
        .console
        .gemeente_look()
        .change(
            &ctx.tenant.slug,
            version,
            LookChange::Catalogue(edit),
            false,
            entry.clone(),
        )
        .await;
    let refusal = |status, code: &'static str| (status, code, Vec::new(), Vec::new());
    let (status, code, args, details) = match outcome {
        Ok(LookOutcome::Saved { .. }) => return Ok(None),
        Ok(LookOutcome::Stale) => refusal(StatusCode::CONFLICT, "stale"),
        Err(LookError::Catalogue(CatalogueRefusal::Unknown)) => {
            refusal(StatusCode::NOT_FOUND, "not_found")
        }
        Err(LookError::Catalogue(CatalogueRefusal::Taken)) => {
            refusal(StatusCode::UNPROCESSABLE_ENTITY, "taken")
        }
        Err(LookError::Catalogue(CatalogueRefusal::LastZone)) => {
            refusal(StatusCode::CONFLICT, "last_zone")
        }
        Err(LookError::Catalogue(CatalogueRefusal::Overlap(zone))) => (
            StatusCode::CONFLICT,
            "overlap",
            vec![("zone", zone)],
            Vec::new(),
        ),
        Err(LookError::InUse(_)) => refusal(StatusCode::CONFLICT, "in_use"),
        // What no form field holds: a tariff naming a zone deleted, charging in another unit.
        Err(LookError::Invalid(problems)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            Vec::new(),
            problems.iter().map(ToString::to_string).collect(),
        ),
        Err(LookError::NotFound) => return Err(AppError::NotFound),
        Err(LookError::Store(e)) => return Err(e.into()),
        Err(e @ (LookError::PlatformOnly | LookError::HostTaken { .. })) => {
            return Err(AppError::internal(e));
        }
    };
    page.console
        .record(&entry.about(kind, &object).refused(code))
        .await?;
    if code == "not_found" {
        return Err(AppError::NotFound);
    }
    Ok(Some(Refused {
        status,
        message: page.text(&format!("console.catalogue.refused.{code}"), &args),
        details,
    }))
}

/// Records the page's POST as refused with `code` (a form that could not be read, say).
pub(crate) async fn refused(
    page: &ConsolePage,
    req: &Request,
    action: &'static str,
    object: (&'static str, &str),
    code: &str,
) -> Result<(), AppError> {
    let ctx = context_of(page)?;
    // What was typed or put in the path goes on the record only as a code can be.
    let id = parkportal_domain::Code::parse(object.1.trim())
        .map_or_else(|_| "(invalid)".to_owned(), |c| c.to_string());
    let entry = page
        .entry(req, action)?
        .about(object.0, format!("{}/{id}", ctx.tenant.slug))
        .refused(code);
    page.console.record(&entry).await
}

/// The message of a field's problem, as the form names the field.
pub(crate) fn message(page: &ConsolePage, problem: &CatalogueProblem) -> String {
    page.text(
        &format!("console.catalogue.error.{}.{}", problem.field, problem.code),
        &[
            ("detail", problem.detail.clone().unwrap_or_default()),
            ("max", NAME_MAX.to_string()),
            ("ranges", MAX_RANGES.to_string()),
            ("months", MAX_VALIDITY_MONTHS.to_string()),
        ],
    )
}

/// The errors of a form by field, and the summary above it in the form's order of `fields`.
pub(crate) fn errors(
    page: &ConsolePage,
    problems: &[CatalogueProblem],
    fields: &[(&'static str, &'static str)],
) -> (std::collections::BTreeMap<&'static str, String>, Vec<Value>) {
    let mut by_field = std::collections::BTreeMap::new();
    for problem in problems {
        let field = fields
            .iter()
            .find(|(name, _)| *name == problem.field)
            .map_or("code", |(_, form)| *form);
        by_field
            .entry(field)
            .or_insert_with(|| message(page, problem));
    }
    let summary = fields
        .iter()
        .filter_map(|(_, form)| {
            by_field
                .get(form)
                .map(|m| context! { field => *form, message => m.clone() })
        })
        .collect();
    (by_field, summary)
}
