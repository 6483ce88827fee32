//! The digitaal loket (#25): "In het digitaal loket vraagt u een parkeerproduct aan."
//!
//! - `GET /aanvragen`: the gemeente's product types open for application.
//! - `GET/POST /aanvragen/{type}`: the form (name, postal address with postcode and house number
//!   first, e-mail address unless logged in, a permit's plates, a remark, the captcha); sent, the
//!   reference on screen and in a confirmation mail.
//! - `GET /aanvragen/status/{token}`: where an application stands, from the mailed link alone,
//!   with its exchange; `POST` answers the gemeente's question.
//! - `GET /mijn-aanvragen`: "Mijn aanvragen", the logged-in resident's applications.

use crate::page::{PageContext, ResidentPage};
use minijinja::{Value, context};
use parkportal_domain::loket::application::{ApplicationInput, ApplicationProblem, REMARK_MAX};
use parkportal_domain::loket::decisions::{Answered, MESSAGE_MAX};
use parkportal_domain::loket::{ApplicationView, ApplyError, DecideError, Sender};
use parkportal_domain::product_type::{ProductKind, ProductTypeSpec};
use parkportal_domain::{Tenant, Token};
use parkportal_web::AppError;
use parkportal_web::dates::local_date_time;
use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{Response, handler};
use serde::Deserialize;
use std::sync::Arc;

/// The form's fields in the order the page asks them (postcode and house number first).
const FIELDS: &[&str] = &[
    "postcode",
    "house_number",
    "street",
    "city",
    "name",
    "email",
    "plates",
    "remark",
];

/// The page's gemeente: the loket is a gemeente's, never the platform's.
fn gemeente(page: &PageContext) -> Result<Arc<Tenant>, AppError> {
    page.site.tenant.clone().ok_or(AppError::NotFound)
}

fn kind_key(t: &ProductTypeSpec) -> &'static str {
    match t.kind {
        ProductKind::VisitorScheme => "product.kind.visitor_scheme",
        ProductKind::Permit => "product.kind.permit",
    }
}

/// The loket of a suspended gemeente: it takes no applications (409 on its forms).
fn suspended(
    page: &PageContext,
    tenant: &Tenant,
    status: StatusCode,
) -> Result<Response, AppError> {
    page.private(
        "apply_list.html",
        status,
        context! {
            types => Vec::<Value>::new(),
            suspended => true,
            privacy => tenant.links.privacy.as_ref().map(|l| l.as_str().to_owned()),
        },
    )
}

/// `GET /aanvragen`: what the gemeente lets residents apply for.
#[handler]
pub async fn list(page: PageContext) -> Result<Response, AppError> {
    let tenant = gemeente(&page)?;
    if tenant.suspension.is_some() {
        return suspended(&page, &tenant, StatusCode::OK);
    }
    let types: Vec<Value> = page
        .state
        .loket()
        .open_types(&tenant)
        .await?
        .iter()
        .map(|t| {
            context! {
                name => t.name.clone(),
                kind => kind_key(t),
                href => page.site.link(&format!("/aanvragen/{}", t.code)),
            }
        })
        .collect();
    page.private(
        "apply_list.html",
        StatusCode::OK,
        context! {
            types => types,
            privacy => tenant.links.privacy.as_ref().map(|l| l.as_str().to_owned()),
        },
    )
}

/// A fresh captcha challenge.
async fn captcha(page: &PageContext) -> Result<Value, AppError> {
    let c = page
        .state
        .loket()
        .challenge(page.prefs.language, &page.client)
        .await
        .map_err(AppError::internal)?
        .map_err(|_| AppError::TooManyRequests)?;
    Ok(context! { id => c.id, question => c.question })
}

/// The form as typed.
#[derive(Debug, Default, Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    naam: String,
    #[serde(default)]
    straat: String,
    #[serde(default)]
    huisnummer: String,
    #[serde(default)]
    postcode: String,
    #[serde(default)]
    plaats: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    kentekens: String,
    #[serde(default)]
    opmerking: String,
    #[serde(default)]
    captcha_id: String,
    #[serde(default)]
    captcha_answer: String,
}

impl ApplyForm {
    fn input(&self) -> ApplicationInput {
        ApplicationInput {
            name: self.naam.clone(),
            street: self.straat.clone(),
            house_number: self.huisnummer.clone(),
            postcode: self.postcode.clone(),
            city: self.plaats.clone(),
            email: self.email.clone(),
            plates: self.kentekens.clone(),
            remark: self.opmerking.clone(),
        }
    }
}

/// What the form page shows besides the form.
struct Shown {
    status: StatusCode,
    /// Field → message.
    errors: std::collections::BTreeMap<&'static str, String>,
    /// A message about the whole form (too many applications).
    message: Option<String>,
}

async fn show_form(
    page: &PageContext,
    tenant: &Tenant,
    product_type: &ProductTypeSpec,
    input: &ApplicationInput,
    shown: Shown,
) -> Result<Response, AppError> {
    // The form's own names: a summary link and an error lead to the field they are about.
    let errors: std::collections::BTreeMap<&str, String> = shown
        .errors
        .iter()
        .map(|(field, message)| (form_name(field), message.clone()))
        .collect();
    let summary: Vec<Value> = FIELDS
        .iter()
        .chain(["captcha"].iter())
        .filter_map(|f| {
            shown
                .errors
                .get(f)
                .map(|m| context! { field => form_name(f), message => m.clone() })
        })
        .collect();
    let captcha = captcha(page).await?;
    let (field, error) = match shown.errors.get("captcha") {
        Some(m) => ("captcha", m.clone()),
        None => ("", String::new()),
    };
    page.private(
        "apply_form.html",
        shown.status,
        context! {
            product_type => context! {
                name => product_type.name.clone(),
                permit => product_type.kind == ProductKind::Permit,
                max_plates => product_type.max_plates,
            },
            action => page.site.link(&format!("/aanvragen/{}", product_type.code)),
            back => page.site.link("/aanvragen"),
            input => context! {
                naam => input.name.clone(),
                straat => input.street.clone(),
                huisnummer => input.house_number.clone(),
                postcode => input.postcode.clone(),
                plaats => input.city.clone(),
                email => input.email.clone(),
                kentekens => input.plates.clone(),
                opmerking => input.remark.clone(),
            },
            account_email => page.account.as_ref().map(|a| a.email.to_string()),
            errors => errors,
            summary => summary,
            message => shown.message,
            captcha => captcha,
            field => field,
            error => error,
            remark_max => REMARK_MAX,
            privacy => tenant.links.privacy.as_ref().map(|l| l.as_str().to_owned()),
        },
    )
}

/// The form's name of a field the use case names.
fn form_name(field: &str) -> &'static str {
    match field {
        "name" => "naam",
        "street" => "straat",
        "house_number" => "huisnummer",
        "postcode" => "postcode",
        "city" => "plaats",
        "email" => "email",
        "plates" => "kentekens",
        "remark" => "opmerking",
        _ => "captcha",
    }
}

/// The message of a field's problem.
fn problem_text(page: &PageContext, problem: ApplicationProblem, max_plates: u8) -> String {
    page.text(
        &format!("apply.error.{}.{}", problem.field, problem.code),
        &[
            ("max", max_plates.to_string()),
            ("remark_max", REMARK_MAX.to_string()),
        ],
    )
}

/// The open type of the path, or 404.
async fn open_type(
    page: &PageContext,
    tenant: &Tenant,
    code: &str,
) -> Result<ProductTypeSpec, AppError> {
    page.state
        .loket()
        .open_type(tenant, code)
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /aanvragen/{type}`: the empty form.
#[handler]
pub async fn form_page(page: PageContext, Path(code): Path<String>) -> Result<Response, AppError> {
    let tenant = gemeente(&page)?;
    if tenant.suspension.is_some() {
        return suspended(&page, &tenant, StatusCode::CONFLICT);
    }
    let product_type = open_type(&page, &tenant, &code).await?;
    let shown = Shown {
        status: StatusCode::OK,
        errors: Default::default(),
        message: None,
    };
    show_form(
        &page,
        &tenant,
        &product_type,
        &ApplicationInput::default(),
        shown,
    )
    .await
}

/// `POST /aanvragen/{type}`: takes the application; the reference follows on screen and by
/// mail, or the form again with what was typed and every mistake named.
#[handler]
pub async fn submit(
    page: PageContext,
    Path(code): Path<String>,
    Form(f): Form<ApplyForm>,
) -> Result<Response, AppError> {
    let tenant = gemeente(&page)?;
    let product_type = open_type(&page, &tenant, &code).await?;
    let input = f.input();
    let outcome = page
        .state
        .loket()
        .apply(
            &tenant,
            &code,
            &input,
            Sender {
                captcha: Some((&f.captcha_id, &f.captcha_answer)),
                client: &page.client,
                account: page.account.as_ref(),
                language: page.prefs.language,
            },
        )
        .await;
    let mut shown = Shown {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        errors: Default::default(),
        message: None,
    };
    match outcome {
        Ok(applied) => {
            return page.private(
                "apply_sent.html",
                StatusCode::OK,
                context! {
                    reference => applied.reference,
                    status => applied.status.as_str(),
                    email => applied.email.to_string(),
                    product_type => product_type.name.clone(),
                    mine => page.account.is_some().then(|| page.site.link("/mijn-aanvragen")),
                },
            );
        }
        Err(ApplyError::Invalid(problems)) => {
            for p in problems {
                shown
                    .errors
                    .entry(p.field)
                    .or_insert_with(|| problem_text(&page, p, product_type.max_plates));
            }
        }
        Err(ApplyError::CaptchaWrong) => {
            shown.errors.insert("captcha", page.t("captcha.wrong"));
        }
        Err(ApplyError::Blocked(_)) => {
            shown.status = StatusCode::TOO_MANY_REQUESTS;
            shown.message = Some(page.t("apply.too_many"));
        }
        Err(ApplyError::NotOpen) => return Err(AppError::NotFound),
        Err(ApplyError::Suspended) => return suspended(&page, &tenant, StatusCode::CONFLICT),
        Err(e) => return Err(AppError::internal(e)),
    }
    show_form(&page, &tenant, &product_type, &input, shown).await
}

/// An application as the status page and "Mijn aanvragen" show it.
fn view_value(page: &PageContext, view: &ApplicationView, tz: chrono_tz::Tz) -> Value {
    let language = page.prefs.language;
    let messages: Vec<Value> = view
        .messages
        .iter()
        .map(|m| {
            context! {
                kind => m.kind.as_str(),
                label => page.t(&format!("apply.exchange.{}", m.kind.as_str())),
                body => m.body.clone(),
                at => local_date_time(m.at, tz, language),
            }
        })
        .collect();
    context! {
        reference => view.reference.clone(),
        gemeente => view.gemeente.clone(),
        product_type => view.product_type.clone(),
        status => view.status.as_str(),
        status_text => page.t(&format!("apply.status.{}", view.status.as_str())),
        plates => view.plates.iter().map(|p| p.display()).collect::<Vec<_>>(),
        created => local_date_time(view.created_at, tz, language),
        decided => view.decided_at.map(|d| local_date_time(d, tz, language)),
        message => view.message.clone(),
        messages => messages,
    }
}

/// The application of the status link `token`, on its own gemeente's site, with its time zone.
async fn linked(
    page: &PageContext,
    token: &str,
) -> Result<(Token, ApplicationView, chrono_tz::Tz), AppError> {
    let token = Token::parse(token).ok_or(AppError::NotFound)?;
    let found = page
        .state
        .loket()
        .status(&token, &page.client)
        .await?
        .map_err(|_| AppError::TooManyRequests)?;
    // A gemeente's link opens on its own site (or the platform's), never in another's look.
    let view = found
        .filter(|v| {
            page.site
                .tenant
                .as_ref()
                .is_none_or(|t| t.slug.as_str() == v.slug)
        })
        .ok_or(AppError::NotFound)?;
    let tz = page
        .state
        .tenants()
        .by_slug(&view.slug)
        .await?
        .map_or(chrono_tz::Europe::Amsterdam, |t| t.time_zone);
    Ok((token, view, tz))
}

/// What the status page shows besides the application: the answer typed and its error, or
/// that an answer was just sent.
#[derive(Default)]
struct AnswerShown {
    typed: String,
    error: Option<String>,
    sent: bool,
}

fn status_response(
    page: &PageContext,
    token: &Token,
    view: &ApplicationView,
    tz: chrono_tz::Tz,
    status: StatusCode,
    shown: AnswerShown,
) -> Result<Response, AppError> {
    page.private(
        "apply_status.html",
        status,
        context! {
            application => view_value(page, view, tz),
            // The question is answered on the page of the link that brought the applicant.
            answer_action => page.site.link(&format!("/aanvragen/status/{}", token.expose())),
            answer => shown.typed,
            answer_error => shown.error,
            answer_sent => shown.sent,
            answer_max => MESSAGE_MAX,
        },
    )
}

/// `?beantwoord=1` after an answer was stored.
#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    #[serde(default)]
    beantwoord: Option<String>,
}

/// `GET /aanvragen/status/{token}`: where the application of the mailed link stands, with its
/// exchange, and a question of the gemeente's to answer.
#[handler]
pub async fn status_page(
    page: PageContext,
    Path(token): Path<String>,
    Query(query): Query<StatusQuery>,
) -> Result<Response, AppError> {
    let (token, view, tz) = linked(&page, &token).await?;
    let shown = AnswerShown {
        sent: query.beantwoord.is_some(),
        ..AnswerShown::default()
    };
    status_response(&page, &token, &view, tz, StatusCode::OK, shown)
}

/// The answer form of the status page.
#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    antwoord: String,
}

/// `POST /aanvragen/status/{token}`: the applicant's answer to the gemeente's question; the
/// application goes in review again.
#[handler]
pub async fn answer(
    page: PageContext,
    Path(token): Path<String>,
    Form(f): Form<AnswerForm>,
) -> Result<Response, AppError> {
    let (token, view, tz) = linked(&page, &token).await?;
    let refused = |status: StatusCode, key: &str| {
        let shown = AnswerShown {
            typed: f.antwoord.clone(),
            error: Some(page.text(key, &[("max", MESSAGE_MAX.to_string())])),
            sent: false,
        };
        status_response(&page, &token, &view, tz, status, shown)
    };
    match page.state.loket().answer(&token, &f.antwoord).await {
        Ok(Answered::Stored) => Ok(page.see_other(&page.site.link(&format!(
            "/aanvragen/status/{}?beantwoord=1",
            token.expose()
        )))),
        Ok(Answered::NotAsked) => refused(StatusCode::CONFLICT, "apply.answer_not_asked"),
        Ok(Answered::Unknown) => Err(AppError::NotFound),
        Err(DecideError::MessageInvalid) => {
            refused(StatusCode::UNPROCESSABLE_ENTITY, "apply.answer_invalid")
        }
        Err(e) => Err(AppError::internal(e)),
    }
}

/// `GET /mijn-aanvragen`: "Mijn aanvragen", newest first.
#[handler]
pub async fn mine(resident: ResidentPage) -> Result<Response, AppError> {
    let page = &resident.page;
    let views = page.state.loket().mine(resident.account.id).await?;
    let mut items = Vec::with_capacity(views.len());
    for view in &views {
        let tz = page
            .state
            .tenants()
            .by_slug(&view.slug)
            .await?
            .map_or(chrono_tz::Europe::Amsterdam, |t| t.time_zone);
        items.push(view_value(page, view, tz));
    }
    page.private(
        "my_applications.html",
        StatusCode::OK,
        context! {
            applications => items,
            apply => page.site.tenant.as_ref().map(|_| page.site.link("/aanvragen")),
        },
    )
}
