//! `/beheer/{gemeente}/aanvragen` (#25): the digitaal loket's queue for every medewerker.
//!
//! - `GET aanvragen?status=&soort=&dagen=`: the open applications (or those of one status), of
//!   one product type, made at least so many days ago; oldest first, with the days open.
//! - `GET aanvragen/{id}`: one application with its exchange and duplicate warnings (an active
//!   product or another open application at the same address or for the same plate); opening
//!   one just received puts it "in behandeling".
//! - `POST aanvragen/{id}` with `besluit=toekennen` (`zone`, `brief=ja`), `afwijzen` (`reden`)
//!   or `vragen` (`vraag`): 303 back with `?gedaan=`; refused, the page again (422, 409, 404).
//!
//! Every list and page is an entry of the audit trail (`application.list`, `application.read`),
//! every decision too (`application.approve` with the product's `product.issue`,
//! `application.reject`, `application.ask`), refusals with their code.

use crate::page::{ConsolePage, context_of, see_other};
use minijinja::{Value, context};
use parkportal_domain::coupling::Issuer;
use parkportal_domain::loket::application::ApplicationStatus;
use parkportal_domain::loket::decisions::{
    MESSAGE_MAX, QueueFilter, Related, StaffApplication, days_open,
};
use parkportal_domain::loket::{Approval, DecideError, zone_of};
use parkportal_domain::{ApplicationId, Code, TenantOverview};
use parkportal_web::AppError;
use parkportal_web::dates::local_date_time;
use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The most days the age filter takes (ten years).
const DAYS_MAX: u32 = 3650;

/// The queue's filters as the query string has them.
#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    soort: String,
    #[serde(default)]
    dagen: String,
}

/// The decision form: which decision and its fields.
#[derive(Debug, Default, Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    besluit: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    brief: String,
    #[serde(default)]
    reden: String,
    #[serde(default)]
    vraag: String,
    #[serde(default)]
    versie: String,
}

impl DecideForm {
    /// The revision the page showed; a form without one (forged) matches none.
    fn seen(&self) -> Option<i64> {
        Some(self.versie.trim().parse().unwrap_or(-1))
    }
}

/// What the page after a decision says.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    gedaan: Option<String>,
}

fn base(page: &ConsolePage) -> Result<String, AppError> {
    Ok(format!(
        "/beheer/{}/aanvragen",
        context_of(page)?.tenant.slug
    ))
}

async fn overview(page: &ConsolePage) -> Result<TenantOverview, AppError> {
    page.console
        .web()
        .tenants()
        .overview(context_of(page)?.tenant.id)
        .await?
        .ok_or(AppError::NotFound)
}

fn status_text(page: &ConsolePage, status: ApplicationStatus) -> String {
    page.t(&format!("console.applications.status.{}", status.as_str()))
}

fn rule_text(page: &ConsolePage, outcome: Option<&str>) -> String {
    page.t(&format!(
        "console.applications.rule.{}",
        outcome.unwrap_or("none")
    ))
}

/// `GET /beheer/{gemeente}/aanvragen`: the queue.
#[handler]
pub async fn queue(
    page: ConsolePage,
    req: &Request,
    Query(q): Query<QueueQuery>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let overview = overview(&page).await?;
    let status = ApplicationStatus::parse(q.status.trim());
    let product_type = Code::parse(q.soort.trim()).ok();
    let days = q.dagen.trim();
    let (min_days, days_error) = match days {
        "" => (None, None),
        typed => match typed.parse::<u32>() {
            Ok(n) if n <= DAYS_MAX => (Some(n), None),
            _ => (
                None,
                Some(page.text(
                    "console.applications.days_invalid",
                    &[("max", DAYS_MAX.to_string())],
                )),
            ),
        },
    };
    let filter = QueueFilter {
        status,
        product_type: product_type.clone(),
        min_days,
    };
    let entry = page.entry(req, "application.list")?;
    let now = entry.at;
    let items = page
        .console
        .loket()
        .queue(&ctx.tenant, &filter, entry)
        .await?;
    let tz = ctx.tenant.time_zone;
    let language = page.prefs.language;
    let base = base(&page)?;
    let rows: Vec<Value> = items
        .iter()
        .map(|a| {
            context! {
                link => format!("{base}/{}", a.id),
                reference => a.reference.clone(),
                product_type => a.product_type.1.clone(),
                status => status_text(&page, a.status),
                name => a.name.clone(),
                address => a.address.clone(),
                created => local_date_time(a.created_at, tz, language),
                days => days_open(a.created_at, now),
                rule => rule_text(&page, a.rule_outcome.as_deref()),
            }
        })
        .collect();
    let statuses: Vec<Value> = ApplicationStatus::ALL
        .iter()
        .map(|s| {
            context! {
                value => s.as_str(),
                text => status_text(&page, *s),
                selected => status == Some(*s),
            }
        })
        .collect();
    let types: Vec<Value> = overview
        .product_types
        .iter()
        .map(|t| {
            context! {
                value => t.code.as_str(),
                text => t.name.clone(),
                selected => product_type.as_ref() == Some(&t.code),
            }
        })
        .collect();
    let status_code = if days_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page.render(
        "applications.html",
        status_code,
        context! {
            base => base,
            rows => rows,
            statuses => statuses,
            types => types,
            dagen => days,
            days_error => days_error,
            filtered => status.is_some() || product_type.is_some() || min_days.is_some(),
            decided => status.is_some_and(ApplicationStatus::decided),
        },
    )
    .await
}

/// The id of the path, if it is one.
fn id_of(id: &str) -> Option<ApplicationId> {
    id.parse::<i64>().ok().filter(|n| *n > 0).map(ApplicationId)
}

/// The page of `application` with its `related` ones, the decision forms as typed and the
/// `refused` message of a decision (its form's field and text).
struct Shown<'a> {
    form: &'a DecideForm,
    refused: Option<(&'static str, String)>,
    done: Option<String>,
}

async fn render(
    page: &ConsolePage,
    status: StatusCode,
    (application, related): &(StaffApplication, Related),
    shown: Shown<'_>,
) -> Result<Response, AppError> {
    let ctx = context_of(page)?;
    let tz = ctx.tenant.time_zone;
    let language = page.prefs.language;
    let now = page.console.web().clock().now();
    let a = application;
    let slug = ctx.tenant.slug.as_str();
    let base = base(page)?;
    let overview = overview(page).await?;
    // The zone the address lies in comes first; the medewerker may choose another in use.
    let placed = zone_of(&overview.zones, &a.applicant.postcode);
    let chosen = Code::parse(shown.form.zone.trim()).ok().or(placed.clone());
    let zones: Vec<Value> = overview
        .zones
        .iter()
        .filter(|z| !z.retired)
        .map(|z| {
            context! {
                value => z.code.as_str(),
                text => z.name.clone(),
                selected => chosen.as_ref() == Some(&z.code),
            }
        })
        .collect();
    let product_link = |code: &str| format!("/beheer/{slug}/producten/{code}");
    let mut warnings: Vec<Value> = Vec::new();
    for code in &related.products_at_address {
        warnings.push(context! {
            text => page.text("console.applications.dup.product_at_address", &[("code", code.clone())]),
            link => product_link(code),
        });
    }
    for reference in &related.applications_at_address {
        warnings.push(context! {
            text => page.text("console.applications.dup.application_at_address", &[("reference", reference.clone())]),
        });
    }
    for (code, plate) in &related.products_for_plates {
        warnings.push(context! {
            text => page.text("console.applications.dup.product_for_plate", &[("code", code.clone()), ("plate", plate.display())]),
            link => product_link(code),
        });
    }
    for (reference, plate) in &related.applications_for_plates {
        warnings.push(context! {
            text => page.text("console.applications.dup.application_for_plate", &[("reference", reference.clone()), ("plate", plate.display())]),
        });
    }
    let messages: Vec<Value> = a
        .messages
        .iter()
        .map(|m| {
            context! {
                kind => m.kind.as_str(),
                label => page.t(&format!("console.applications.exchange.{}", m.kind.as_str())),
                body => m.body.clone(),
                at => local_date_time(m.at, tz, language),
            }
        })
        .collect();
    let (error_field, error) = match shown.refused {
        Some((field, message)) => (Some(field), Some(message)),
        None => (None, None),
    };
    let values = context! {
        back => base.clone(),
        action => format!("{base}/{}", a.id),
        revision => a.revision,
        done => shown.done,
        reference => a.reference.clone(),
        status => status_text(page, a.status),
        open => !a.status.decided(),
        product_type => a.product_type.1.clone(),
        created => local_date_time(a.created_at, tz, language),
        days => days_open(a.created_at, now),
        decided => a.decided_at.map(|d| local_date_time(d, tz, language)),
        rule => rule_text(page, a.rule_outcome.as_deref()),
        name => a.applicant.name.clone(),
        address => a.applicant.address_lines(),
        email => a.email.to_string(),
        language => page.t(&format!("console.applications.language.{}", a.language.code())),
        account => a.account.is_some(),
        plates => a.plates.iter().map(|p| p.display()).collect::<Vec<_>>(),
        remark => a.remark.clone(),
        product => a.product.as_ref().map(|code| context! { code => code.clone(), link => product_link(code) }),
        zone_placed => placed.is_some(),
        messages => messages,
        warnings => warnings,
        zones => zones,
        // The type's setting checks it; what was sent keeps it.
        brief => shown.form.brief == "ja" || (shown.form.besluit.is_empty() && overview
            .product_types
            .iter()
            .any(|t| t.code == a.product_type.0 && t.letter_on_grant)),
        reden => shown.form.reden.clone(),
        vraag => shown.form.vraag.clone(),
        message_max => MESSAGE_MAX,
        error_field => error_field,
        error => error,
    };
    page.render("application.html", status, values).await
}

/// `GET /beheer/{gemeente}/aanvragen/{id}`: the application; another gemeente's is 404.
#[handler]
pub async fn show(
    page: ConsolePage,
    req: &Request,
    Path((_, id)): Path<(String, String)>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let id = id_of(&id).ok_or(AppError::NotFound)?;
    let entry = page.entry(req, "application.read")?;
    let found = page
        .console
        .loket()
        .staff_view(&ctx.tenant, id, entry)
        .await?
        .ok_or(AppError::NotFound)?;
    let done = done
        .gedaan
        .filter(|d| ["toegekend", "afgewezen", "gevraagd"].contains(&d.as_str()))
        .map(|d| page.t(&format!("console.applications.done.{d}")));
    let form = DecideForm::default();
    let shown = Shown {
        form: &form,
        refused: None,
        done,
    };
    render(&page, StatusCode::OK, &found, shown).await
}

/// `POST /beheer/{gemeente}/aanvragen/{id}`: a decision.
#[handler]
pub async fn decide(
    page: ConsolePage,
    req: &Request,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<DecideForm>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let loket = page.console.loket();
    let Some(id) = id_of(&id) else {
        // No application has this id: on the record as any other that is not there.
        crate::refusals::record(&page.console, req, "application.decide", "not_found").await?;
        return Err(AppError::NotFound);
    };
    let entry = page.entry(req, "application.decide")?;
    let issuer = Issuer {
        actor: entry.actor.clone(),
        role: entry.role,
        origin: entry.origin.clone(),
    };
    let (result, done, field) = match f.besluit.as_str() {
        "toekennen" => {
            let approval = Approval {
                zone: Code::parse(f.zone.trim()).ok(),
                // The box is shown ticked when the type asks for letters: what is sent decides.
                letter: Some(f.brief == "ja"),
                seen: f.seen(),
            };
            (
                loket.approve(&ctx.tenant, id, &approval, issuer).await,
                "toegekend",
                "zone",
            )
        }
        "afwijzen" => (
            loket
                .reject(&ctx.tenant, (id, f.seen()), &f.reden, issuer)
                .await,
            "afgewezen",
            "reden",
        ),
        "vragen" => (
            loket
                .ask(&ctx.tenant, (id, f.seen()), &f.vraag, issuer)
                .await,
            "gevraagd",
            "vraag",
        ),
        _ => {
            // A form without a decision (forged): on the record, the page again.
            crate::refusals::record(&page.console, req, "application.decide", "invalid").await?;
            let found = loket
                .staff_view_after_refusal(&ctx.tenant, id)
                .await?
                .ok_or(AppError::NotFound)?;
            let message = page.t("console.applications.refused.invalid");
            let shown = Shown {
                form: &f,
                refused: Some(("algemeen", message)),
                done: None,
            };
            return render(&page, StatusCode::UNPROCESSABLE_ENTITY, &found, shown).await;
        }
    };
    let code = match result {
        Ok(()) => return Ok(see_other(&format!("{}/{id}?gedaan={done}", base(&page)?))),
        Err(DecideError::NotFound) => return Err(AppError::NotFound),
        Err(e) => match e.code() {
            Some(code) => code,
            None => return Err(AppError::internal(e)),
        },
    };
    let found = loket
        .staff_view_after_refusal(&ctx.tenant, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (status, field) = match code {
        "message_invalid" => (StatusCode::UNPROCESSABLE_ENTITY, field),
        "application_decided" => (StatusCode::CONFLICT, "algemeen"),
        "zone_unknown" | "zone_retired" => (StatusCode::UNPROCESSABLE_ENTITY, "zone"),
        _ => (StatusCode::CONFLICT, "algemeen"),
    };
    let known = [
        "message_invalid",
        "application_decided",
        "zone_unknown",
        "zone_retired",
        "product_type_retired",
        "tenant_suspended",
        "letters_unavailable",
    ];
    let message = if known.contains(&code) {
        page.text(
            &format!("console.applications.refused.{code}"),
            &[("max", MESSAGE_MAX.to_string())],
        )
    } else {
        page.text(
            "console.applications.refused.other",
            &[("code", code.to_owned())],
        )
    };
    let shown = Shown {
        form: &f,
        refused: Some((field, message)),
        done: None,
    };
    render(&page, status, &found, shown).await
}
