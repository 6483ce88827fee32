//! `GET/POST /beheer/{gemeente}/regels/uitproberen`: the rules console's dry-run (#23). A
//! beheerder describes a session — product type, zone, plate, start and end, balance, running
//! and planned sessions, what was topped up, owner or mandatee — and sees what the rules in
//! force at its start answer, through the same check a real start makes: every hook, the
//! decision with its reasons and alternatives, the cost and how it is made up. Nothing is
//! started; the try is on the record (`rules.dry_run`).

use crate::page::{ConsolePage, context_of};
use crate::rules_pages::{local_moment, moment, refused};
use chrono::{Duration, DurationRound, Utc};
use minijinja::{Value, context};
use parkportal_domain::Code;
use parkportal_domain::parking::Verdict;
use parkportal_domain::plate::Plate;
use parkportal_domain::rules_dry_run::{DryRun, DryRunError, MAX_OTHER_SESSIONS, Scenario};
use parkportal_domain::tenant::{BalanceUnit, TenantOverview};
use parkportal_web::AppError;
use parkportal_web::format::exact_amount as amount;
use poem::http::StatusCode;
use poem::web::Form;
use poem::{Request, Response, handler};
use rust_decimal::Decimal;
use serde::Deserialize;

/// The scenario's form, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ScenarioForm {
    #[serde(default)]
    producttype: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    kenteken: String,
    #[serde(default)]
    van: String,
    #[serde(default)]
    tot: String,
    #[serde(default)]
    saldo: String,
    #[serde(default)]
    lopend: String,
    #[serde(default)]
    gepland: String,
    #[serde(default)]
    opgewaardeerd: String,
    #[serde(default)]
    wie: String,
}

/// A field and the key of its message.
type FieldError = (&'static str, &'static str);

/// A typed amount (`2,50` or `2.50`) that is not negative; `None` when empty.
fn typed_amount(text: &str) -> Result<Option<Decimal>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.replace(',', ".").parse::<Decimal>() {
        Ok(d) if !d.is_sign_negative() => Ok(Some(d)),
        _ => Err(()),
    }
}

/// A typed count from 0 to [`MAX_OTHER_SESSIONS`] (empty: 0).
fn typed_count(text: &str) -> Result<u32, ()> {
    match text.trim() {
        "" => Ok(0),
        t => t
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= MAX_OTHER_SESSIONS)
            .ok_or(()),
    }
}

/// The scenario `form` describes, or the first field that is wrong.
fn scenario_of(page: &ConsolePage, form: &ScenarioForm) -> Result<Scenario, FieldError> {
    let product_type = Code::parse(form.producttype.trim())
        .map_err(|_| ("producttype", "console.dry_run.pick"))?;
    let plate = Plate::parse_tagged(form.kenteken.trim())
        .map_err(|_| ("kenteken", "console.dry_run.bad_plate"))?;
    let start = local_moment(page, &form.van).ok_or(("van", "console.rules.bad_moment"))?;
    let end = local_moment(page, &form.tot).ok_or(("tot", "console.rules.bad_moment"))?;
    let balance = typed_amount(&form.saldo).map_err(|_| ("saldo", "console.dry_run.bad_amount"))?;
    let top_ups = typed_amount(&form.opgewaardeerd)
        .map_err(|_| ("opgewaardeerd", "console.dry_run.bad_amount"))?;
    let running = typed_count(&form.lopend).map_err(|_| ("lopend", "console.dry_run.bad_count"))?;
    let planned =
        typed_count(&form.gepland).map_err(|_| ("gepland", "console.dry_run.bad_count"))?;
    Ok(Scenario {
        product_type,
        zone: Some(form.zone.trim().to_owned()).filter(|z| !z.is_empty()),
        plate,
        start,
        end,
        balance,
        running,
        planned,
        top_ups: top_ups.unwrap_or_default(),
        mandatee: form.wie == "gemachtigde",
    })
}

/// The field and message of a refusal of the use case.
fn field_of(e: &DryRunError) -> Option<FieldError> {
    Some(match e {
        DryRunError::UnknownType => ("producttype", "console.dry_run.pick"),
        DryRunError::UnknownZone => ("zone", "console.dry_run.pick"),
        DryRunError::EndBeforeStart => ("tot", "console.rules.bad_interval"),
        DryRunError::TooLong => ("tot", "console.rules.interval_too_long"),
        DryRunError::StartOutOfRange => ("van", "console.dry_run.too_far"),
        DryRunError::OutOfRange => ("lopend", "console.dry_run.bad_count"),
        DryRunError::Rules(_) | DryRunError::Store(_) => return None,
    })
}

/// A hook's answer as a beheerder reads it: amounts as amounts, yes and no, a failure named.
fn answer_text(page: &ConsolePage, value: &serde_json::Value) -> String {
    use serde_json::Value as J;
    let lang = page.prefs.language;
    match value {
        J::Null => page.t("console.dry_run.none"),
        J::Bool(true) => page.t("console.dry_run.yes"),
        J::Bool(false) => page.t("console.dry_run.no"),
        J::String(s) => s.clone(),
        J::Number(n) => n.to_string(),
        J::Array(items) => items
            .iter()
            .map(|i| answer_text(page, i))
            .collect::<Vec<_>>()
            .join(", "),
        J::Object(map) => {
            if let Some(error) = map.get("rule_error") {
                return page.text(
                    "console.dry_run.failed",
                    &[("message", answer_text(page, error))],
                );
            }
            let unit = match map.get("unit").and_then(J::as_str) {
                Some("EUR") => Some(BalanceUnit::Money),
                Some("minutes") => Some(BalanceUnit::Minutes),
                Some("sessions") => Some(BalanceUnit::Sessions),
                _ => None,
            };
            let value = map
                .get("value")
                .and_then(J::as_str)
                .and_then(|v| v.parse::<Decimal>().ok());
            if let (Some(unit), Some(value)) = (unit, value) {
                return amount(unit, value, lang);
            }
            map.iter()
                .map(|(k, v)| format!("{k}: {}", answer_text(page, v)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

/// What a run shows: the decision, the cost and its days, the alternatives, every hook.
fn outcome(page: &ConsolePage, run: &DryRun) -> Result<Value, AppError> {
    let verdict: &Verdict = &run.verdict;
    let unit = verdict.breakdown.unit.balance_unit();
    let lang = page.prefs.language;
    let price = |d: Decimal| amount(unit, d, lang);
    let alternatives = verdict
        .alternatives
        .iter()
        .map(|a| {
            Ok(context! {
                kind => page.t(&format!("console.dry_run.alternative.{}", a.kind.as_str())),
                start => moment(page, a.start)?,
                end => moment(page, a.end)?,
                cost => price(a.cost),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(context! {
        allowed => verdict.allowed(),
        reasons => verdict.reasons.iter().map(|r| context! {
            code => r.as_str(),
            text => page.t(&format!("console.dry_run.reason.{}", r.as_str())),
        }).collect::<Vec<_>>(),
        cost => price(verdict.cost()),
        days => verdict.breakdown.days.iter().map(|d| context! {
            date => d.date.format("%d-%m-%Y").to_string(),
            minutes => d.paid_seconds / 60,
            amount => price(d.amount),
            capped => d.capped,
        }).collect::<Vec<_>>(),
        note => verdict.breakdown.note.clone(),
        alternatives => alternatives,
        hooks => run.hooks.iter().map(|(name, v)| context! {
            name => name.clone(),
            answer => answer_text(page, v),
        }).collect::<Vec<_>>(),
        script => run.versions.script.0,
        tariff => run.versions.tariff.0,
        zone => run.zone.clone(),
    })
}

/// The page's gemeente with its product types and zones, which the form offers.
async fn overview_of(page: &ConsolePage) -> Result<TenantOverview, AppError> {
    page.console
        .web()
        .tenants()
        .overview(context_of(page)?.tenant.id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Renders the page with `form` on `overview`, the outcome of a run and a refusal at its field.
async fn render(
    page: &ConsolePage,
    (status, overview): (StatusCode, &TenantOverview),
    form: &ScenarioForm,
    (run, error): (Option<&DryRun>, Option<FieldError>),
) -> Result<Response, AppError> {
    let ctx = context_of(page)?;
    let types: Vec<Value> = overview
        .product_types
        .iter()
        .map(|p| context! { code => p.code.as_str(), name => p.name.clone() })
        .collect();
    let zones: Vec<Value> = overview
        .zones
        .iter()
        .map(|z| context! { code => z.code.as_str(), name => z.name.clone() })
        .collect();
    let outcome = run.map(|r| outcome(page, r)).transpose()?;
    page.render(
        "rules_dry_run.html",
        status,
        context! {
            action => format!("/beheer/{}/regels/uitproberen", ctx.tenant.slug),
            back => format!("/beheer/{}/regels", ctx.tenant.slug),
            types => types,
            zones => zones,
            form => context! {
                producttype => form.producttype.clone(), zone => form.zone.clone(),
                kenteken => form.kenteken.clone(), van => form.van.clone(), tot => form.tot.clone(),
                saldo => form.saldo.clone(), lopend => form.lopend.clone(),
                gepland => form.gepland.clone(), opgewaardeerd => form.opgewaardeerd.clone(),
                wie => if form.wie == "gemachtigde" { "gemachtigde" } else { "eigenaar" },
            },
            outcome => outcome,
            error_field => error.map(|(f, _)| f),
            error => error.map(|(_, key)| page.t(key)),
        },
    )
    .await
}

/// `GET`: the form, on the gemeente's first product type and zone, an example plate, from the
/// next whole hour for two hours.
#[handler]
pub async fn show(page: ConsolePage) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let overview = overview_of(&page).await?;
    let now = page.console.web().clock().now();
    let hour = now.duration_trunc(Duration::hours(1)).unwrap_or(now) + Duration::hours(1);
    let local = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&ctx.tenant.time_zone)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let form = ScenarioForm {
        producttype: overview
            .product_types
            .first()
            .map(|p| p.code.to_string())
            .unwrap_or_default(),
        zone: overview
            .zones
            .first()
            .map(|z| z.code.to_string())
            .unwrap_or_default(),
        // An example plate: the rules seldom look at it, and a try needs one.
        kenteken: "AB-12-34".into(),
        van: local(hour),
        tot: local(hour + Duration::hours(2)),
        wie: "eigenaar".into(),
        ..ScenarioForm::default()
    };
    render(&page, (StatusCode::OK, &overview), &form, (None, None)).await
}

/// `POST`: tries the scenario (200 with the outcome, audited `rules.dry_run`), or refuses it
/// at its field (422, audited with the code), the form kept as typed.
#[handler]
pub async fn submit(
    page: ConsolePage,
    req: &Request,
    Form(form): Form<ScenarioForm>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let entry = page.entry(req, "rules.dry_run")?;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let scenario = match scenario_of(&page, &form) {
        Ok(scenario) => scenario,
        Err(error) => {
            refused(&page, entry, "invalid_input").await?;
            let overview = overview_of(&page).await?;
            let status = (unprocessable, &overview);
            return render(&page, status, &form, (None, Some(error))).await;
        }
    };
    let entry = entry.about("product_type", scenario.product_type.as_str());
    let now = page.console.web().clock().now();
    match page
        .console
        .rules()
        .dry_run(&ctx.tenant, &scenario, now)
        .await
    {
        Ok(run) => {
            page.console.record(&entry).await?;
            let overview = overview_of(&page).await?;
            let status = (StatusCode::OK, &overview);
            render(&page, status, &form, (Some(&run), None)).await
        }
        Err(e) => match (field_of(&e), e.code()) {
            (Some(error), Some(code)) => {
                refused(&page, entry, code).await?;
                let overview = overview_of(&page).await?;
                let status = (unprocessable, &overview);
                render(&page, status, &form, (None, Some(error))).await
            }
            _ => Err(AppError::internal(e)),
        },
    }
}
