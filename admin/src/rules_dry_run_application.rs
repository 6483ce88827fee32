//! `GET/POST /beheer/{gemeente}/regels/aanvraag-uitproberen`: the dry-run of an application
//! (#25). A beheerder describes an application (product type, postcode and house number, the
//! plates, and how many active products and open applications of the type the address and the
//! plates already have) and sees what `application(ctx)` in force now answers: approve, review
//! or reject with its reason, or the failure that would leave it to staff; and the zone the
//! postcode lies in. Nothing is stored; the try is on the record (`rules.dry_run`).

use crate::page::{ConsolePage, context_of};
use crate::rules_pages::refused;
use minijinja::{Value, context};
use parkportal_domain::Code;
use parkportal_domain::letters::Postcode;
use parkportal_domain::loket::rule::{Counts, RuleDecision};
use parkportal_domain::plate::Plate;
use parkportal_domain::rules_dry_run::{
    ApplicationDryRun, ApplicationScenario, DryRunError, MAX_OTHER_SESSIONS,
};
use parkportal_domain::tenant::TenantOverview;
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::Form;
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The scenario's form, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ApplicationForm {
    #[serde(default)]
    producttype: String,
    #[serde(default)]
    postcode: String,
    #[serde(default)]
    huisnummer: String,
    #[serde(default)]
    kentekens: String,
    #[serde(default)]
    producten_adres: String,
    #[serde(default)]
    aanvragen_adres: String,
    #[serde(default)]
    producten_kenteken: String,
    #[serde(default)]
    aanvragen_kenteken: String,
}

/// The counts' fields, in the order the form asks them.
const COUNTS: [&str; 4] = [
    "producten_adres",
    "aanvragen_adres",
    "producten_kenteken",
    "aanvragen_kenteken",
];

/// A field and the key of its message.
type FieldError = (&'static str, &'static str);

/// A typed count from 0 to [`MAX_OTHER_SESSIONS`] (empty: 0).
fn count(text: &str) -> Option<i64> {
    match text.trim() {
        "" => Some(0),
        t => t
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=i64::from(MAX_OTHER_SESSIONS)).contains(n)),
    }
}

/// The scenario `form` describes, or the first field that is wrong.
fn scenario_of(form: &ApplicationForm) -> Result<ApplicationScenario, FieldError> {
    let product_type = Code::parse(form.producttype.trim())
        .map_err(|_| ("producttype", "console.dry_run.pick"))?;
    let postcode = Postcode::parse(&form.postcode)
        .map_err(|_| ("postcode", "console.dry_run_application.bad_postcode"))?;
    let house_number = form.huisnummer.trim();
    if house_number.is_empty() || house_number.chars().count() > 20 {
        return Err(("huisnummer", "console.dry_run_application.bad_house_number"));
    }
    let plates = Plate::parse_list(&form.kentekens.replace('\n', ","))
        .map_err(|_| ("kentekens", "console.dry_run.bad_plate"))?;
    let typed = [
        &form.producten_adres,
        &form.aanvragen_adres,
        &form.producten_kenteken,
        &form.aanvragen_kenteken,
    ];
    let mut counts = [0i64; 4];
    for (i, text) in typed.iter().enumerate() {
        counts[i] = count(text).ok_or((COUNTS[i], "console.dry_run.bad_count"))?;
    }
    Ok(ApplicationScenario {
        product_type,
        postcode,
        house_number: house_number.to_owned(),
        plates,
        counts: Counts {
            active_products_at_address: counts[0],
            open_applications_at_address: counts[1],
            active_products_for_plates: counts[2],
            open_applications_for_plates: counts[3],
        },
    })
}

/// What a run shows: the decision in words, the zone, the versions.
fn outcome(page: &ConsolePage, run: &ApplicationDryRun, overview: &TenantOverview) -> Value {
    let (decision, reason, failure) = match &run.decision {
        // As an application would be: an address in no zone waits for a person.
        Ok(RuleDecision::Approve) if run.zone.is_none() => ("approve_unplaced", None, None),
        Ok(RuleDecision::Approve) => ("approve", None, None),
        Ok(RuleDecision::Review) => ("review", None, None),
        Ok(RuleDecision::Reject(reason)) => ("reject", Some(reason.clone()), None),
        Err(message) => ("rule_error", None, Some(message.clone())),
    };
    let zone = run.zone.as_ref().map(|code| {
        overview
            .zones
            .iter()
            .find(|z| &z.code == code)
            .map_or_else(|| code.to_string(), |z| z.name.clone())
    });
    context! {
        decision => page.t(&format!("console.dry_run_application.decision.{decision}")),
        approve => decision == "approve",
        reason => reason,
        failure => failure,
        zone => zone,
        script => run.versions.script.0,
    }
}

async fn overview_of(page: &ConsolePage) -> Result<TenantOverview, AppError> {
    page.console
        .web()
        .tenants()
        .overview(context_of(page)?.tenant.id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Renders the page with `form`, the outcome of a run and a refusal at its field.
async fn render(
    page: &ConsolePage,
    status: StatusCode,
    form: &ApplicationForm,
    (run, error): (Option<&ApplicationDryRun>, Option<FieldError>),
) -> Result<Response, AppError> {
    let ctx = context_of(page)?;
    let overview = overview_of(page).await?;
    let types: Vec<Value> = overview
        .product_types
        .iter()
        .map(|p| context! { code => p.code.as_str(), name => p.name.clone() })
        .collect();
    let outcome = run.map(|r| outcome(page, r, &overview));
    page.render(
        "rules_dry_run_application.html",
        status,
        context! {
            action => format!("/beheer/{}/regels/aanvraag-uitproberen", ctx.tenant.slug),
            back => format!("/beheer/{}/regels", ctx.tenant.slug),
            types => types,
            form => context! {
                producttype => form.producttype.clone(),
                postcode => form.postcode.clone(),
                huisnummer => form.huisnummer.clone(),
                kentekens => form.kentekens.clone(),
                producten_adres => form.producten_adres.clone(),
                aanvragen_adres => form.aanvragen_adres.clone(),
                producten_kenteken => form.producten_kenteken.clone(),
                aanvragen_kenteken => form.aanvragen_kenteken.clone(),
            },
            counts => COUNTS,
            max => MAX_OTHER_SESSIONS,
            outcome => outcome,
            error_field => error.map(|(f, _)| f),
            error => error.map(|(_, key)| page.t(key)),
        },
    )
    .await
}

/// `GET`: the form, on the first product type open for application (else the first), with an
/// example address.
#[handler]
pub async fn show(page: ConsolePage) -> Result<Response, AppError> {
    let overview = overview_of(&page).await?;
    let first = overview
        .product_types
        .iter()
        .find(|t| t.open_for_application)
        .or(overview.product_types.first());
    let form = ApplicationForm {
        producttype: first.map(|p| p.code.to_string()).unwrap_or_default(),
        postcode: "1234 AB".into(),
        huisnummer: "12".into(),
        ..ApplicationForm::default()
    };
    render(&page, StatusCode::OK, &form, (None, None)).await
}

/// `POST`: tries the scenario (200 with the outcome, audited `rules.dry_run`), or refuses it at
/// its field (422, audited with the code), the form kept as typed.
#[handler]
pub async fn submit(
    page: ConsolePage,
    req: &Request,
    Form(form): Form<ApplicationForm>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let entry = page.entry(req, "rules.dry_run")?;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let scenario = match scenario_of(&form) {
        Ok(scenario) => scenario,
        Err(error) => {
            refused(&page, entry, "invalid_input").await?;
            return render(&page, unprocessable, &form, (None, Some(error))).await;
        }
    };
    let entry = entry.about("product_type", scenario.product_type.as_str());
    let now = page.console.web().clock().now();
    match page
        .console
        .rules()
        .dry_run_application(&ctx.tenant, &scenario, now)
        .await
    {
        Ok(run) => {
            page.console.record(&entry).await?;
            render(&page, StatusCode::OK, &form, (Some(&run), None)).await
        }
        Err(DryRunError::UnknownType) => {
            refused(&page, entry, "product_type_unknown").await?;
            let error = ("producttype", "console.dry_run.pick");
            render(&page, unprocessable, &form, (None, Some(error))).await
        }
        Err(DryRunError::OutOfRange) => {
            refused(&page, entry, "invalid_input").await?;
            let error = ("producten_adres", "console.dry_run.bad_count");
            render(&page, unprocessable, &form, (None, Some(error))).await
        }
        Err(e) => Err(AppError::internal(e)),
    }
}
