//! Issuing one product in a gemeente's console (medewerkers and up): the recipient's postal
//! address, the product's type, zone, validity, plates and opening balance, and how it reaches
//! its holder (the allocation letter, the coupling mail, or both). The code and PIN are shown
//! once, on the answer to the form; the letter is kept for reprinting for `letters.keep`.

use crate::auth::client_of;
use crate::page::{ConsolePage, context_of};
use minijinja::{Value, context};
use parkportal_domain::audit::{Actor, AuditEntry};
use parkportal_domain::coupling::{IssueError, IssueRequest, Issued, Issuer};
use parkportal_domain::plate::Plate;
use parkportal_domain::tenant::TenantOverview;
use parkportal_domain::{
    EmailAddress, Language, ProductCode, Recipient, RecipientField, RecipientInput,
};
use parkportal_web::AppError;
use poem::http::{StatusCode, header};
use poem::web::{Form, Path};
use poem::{Request, Response, handler};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The issue form as typed.
#[derive(Debug, Default, Deserialize)]
pub struct IssueForm {
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
    taal: String,
    #[serde(default)]
    producttype: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    geldig_tot: String,
    #[serde(default)]
    kentekens: String,
    #[serde(default)]
    saldo: String,
    /// `ja` when the letter is to be made.
    #[serde(default)]
    brief: String,
    /// `ja` when the coupling mail is to be sent.
    #[serde(default)]
    mail: String,
}

/// The fields in the order the form shows them; `algemeen` is the form as a whole.
const FORM_ORDER: [&str; 14] = [
    "algemeen",
    "naam",
    "straat",
    "huisnummer",
    "postcode",
    "plaats",
    "email",
    "taal",
    "producttype",
    "zone",
    "geldig_tot",
    "kentekens",
    "saldo",
    "verzending",
];

/// The form's field of an address field.
fn field_of(f: RecipientField) -> &'static str {
    match f {
        RecipientField::Name => "naam",
        RecipientField::Street => "straat",
        RecipientField::HouseNumber => "huisnummer",
        RecipientField::Postcode => "postcode",
        RecipientField::City => "plaats",
    }
}

fn base(page: &ConsolePage) -> Result<String, AppError> {
    Ok(format!(
        "/beheer/{}/producten",
        context_of(page)?.tenant.slug
    ))
}

/// The gemeente's product types and zones, for the form's choices.
async fn overview(page: &ConsolePage) -> Result<TenantOverview, AppError> {
    let tenant = context_of(page)?.tenant.id;
    page.console
        .web()
        .tenants()
        .overview(tenant)
        .await?
        .ok_or(AppError::NotFound)
}

/// The choices of the form: product types (with their kind and unit) and zones.
fn choices(page: &ConsolePage, overview: &TenantOverview) -> Value {
    // What is retired issues nothing new: it is not offered.
    let types: Vec<Value> = overview
        .product_types
        .iter()
        .filter(|t| !t.retired)
        .map(|t| {
            context! {
                code => t.code.as_str(),
                name => t.name.clone(),
                kind => page.t(&format!("console.issue.kind_{}", t.kind.as_str())),
                unit => t.unit.as_str(),
            }
        })
        .collect();
    let zones: Vec<Value> = overview
        .zones
        .iter()
        .filter(|z| !z.retired)
        .map(|z| context! { code => z.code.as_str(), name => z.name.clone() })
        .collect();
    context! { types => types, zones => zones }
}

/// Renders the form with `form`'s values and `errors` (field → message).
async fn render_form(
    page: &ConsolePage,
    status: StatusCode,
    form: Value,
    errors: BTreeMap<&'static str, String>,
) -> Result<Response, AppError> {
    let overview = overview(page).await?;
    // The summary names the mistakes in the order of the form.
    let summary: Vec<Value> = FORM_ORDER
        .iter()
        .filter_map(|field| {
            errors
                .get(field)
                .map(|message| context! { field => *field, message => message })
        })
        .collect();
    page.render(
        "product_issue.html",
        status,
        context! {
            form => form,
            choices => choices(page, &overview),
            base => base(page)?,
            errors => errors,
            summary => summary,
        },
    )
    .await
}

/// `GET /beheer/{gemeente}/producten/uitgeven`: the empty form, with the gemeente's defaults.
#[handler]
pub async fn issue_form(page: ConsolePage) -> Result<Response, AppError> {
    let tenant = &context_of(&page)?.tenant;
    let overview = overview(&page).await?;
    // The same default as the command line: the first visitor scheme, the first zone.
    let first_type = overview
        .product_types
        .iter()
        .filter(|t| !t.retired)
        .find(|t| t.kind == parkportal_domain::ProductKind::VisitorScheme)
        .or(overview.product_types.iter().find(|t| !t.retired))
        .map(|t| t.code.as_str().to_owned())
        .unwrap_or_default();
    let first_zone = overview
        .zones
        .iter()
        .find(|z| !z.retired)
        .map(|z| z.code.as_str().to_owned())
        .unwrap_or_default();
    let values = context! {
        taal => tenant.default_language.code(),
        producttype => first_type,
        zone => first_zone,
        brief => "ja",
    };
    render_form(&page, StatusCode::OK, values, BTreeMap::new()).await
}

/// What a valid form asks for, or the message of each field that is wrong.
fn parse(
    page: &ConsolePage,
    f: &IssueForm,
) -> Result<IssueRequest, BTreeMap<&'static str, String>> {
    let mut errors = BTreeMap::new();
    let recipient = Recipient::parse(&RecipientInput {
        name: &f.naam,
        street: &f.straat,
        house_number: &f.huisnummer,
        postcode: &f.postcode,
        city: &f.plaats,
    })
    .map_err(|wrong| {
        for field in wrong {
            errors.insert(
                field_of(field),
                page.t(&format!("console.issue.error_{}", field_of(field))),
            );
        }
    })
    .ok();
    let email = match f.email.trim() {
        "" => None,
        typed => match EmailAddress::parse(typed) {
            Ok(e) => Some(e),
            Err(_) => {
                errors.insert("email", page.t("console.issue.error_email"));
                None
            }
        },
    };
    let letter = f.brief == "ja";
    let mail = f.mail == "ja";
    if !letter && !mail {
        errors.insert("verzending", page.t("console.issue.error_delivery"));
    } else if mail && email.is_none() && !errors.contains_key("email") {
        errors.insert("email", page.t("console.issue.error_email_for_mail"));
    }
    let language = Language::parse(&f.taal)
        .map_err(|_| errors.insert("taal", page.t("console.issue.error_language")))
        .ok();
    let valid_until = match f.geldig_tot.trim() {
        "" => None,
        // A date field sends 2027-12-31; where it is a text field, people type 31-12-2027.
        typed => chrono::NaiveDate::parse_from_str(typed, "%Y-%m-%d")
            .or_else(|_| chrono::NaiveDate::parse_from_str(typed, "%d-%m-%Y"))
            .map_err(|_| errors.insert("geldig_tot", page.t("console.issue.error_valid_until")))
            .ok(),
    };
    let plates = Plate::parse_list(&f.kentekens)
        .map_err(|_| errors.insert("kentekens", page.t("console.issue.error_plates")))
        .unwrap_or_default();
    let balance = match f.saldo.trim() {
        "" => None,
        // A Dutch decimal comma is what people type.
        typed => typed
            .replace(',', ".")
            .parse::<rust_decimal::Decimal>()
            .map_err(|_| errors.insert("saldo", page.t("console.issue.error_balance")))
            .ok(),
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(IssueRequest {
        tenant: String::new(),
        product_type: Some(f.producttype.clone()),
        zone: Some(f.zone.clone()),
        // The coupling mail goes only when asked; an address alone is not a request to mail.
        email: email.filter(|_| mail),
        plates,
        valid_until,
        balance,
        recipient,
        letter,
        letter_language: language,
        issuer: None,
        application: None,
    })
}

/// The field and message of a refusal of the use case, and its stable code for the trail.
fn refusal(page: &ConsolePage, e: &IssueError) -> Option<(&'static str, String, &'static str)> {
    let code = e.code()?;
    let (field, key) = match code {
        "product_type_unknown" => ("producttype", "error_type"),
        "zone_unknown" => ("zone", "error_zone"),
        "product_type_retired" => ("producttype", "error_type_retired"),
        "zone_retired" => ("zone", "error_zone_retired"),
        "balance_invalid" => ("saldo", "error_balance_unfit"),
        "valid_until_passed" => ("geldig_tot", "error_valid_until_passed"),
        "valid_until_too_far" => ("geldig_tot", "error_valid_until_too_far"),
        "tenant_suspended" => ("algemeen", "error_suspended"),
        _ => return None,
    };
    Some((field, page.t(&format!("console.issue.{key}")), code))
}

/// `POST /beheer/{gemeente}/producten/uitgeven`: issues the product and shows its code and PIN
/// once; a form with mistakes comes back with what was typed and every mistake named.
#[handler]
pub async fn issue(
    page: ConsolePage,
    req: &Request,
    Form(f): Form<IssueForm>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let origin = client_of(req);
    let (errors, reason) = match parse(&page, &f) {
        Ok(request) => {
            let request = IssueRequest {
                tenant: ctx.tenant.slug.to_string(),
                issuer: Some(Issuer {
                    actor: Actor::of(&ctx.staff),
                    role: Some(ctx.role),
                    origin: origin.clone(),
                }),
                ..request
            };
            match page.console.desk().issue(request).await {
                Ok(issued) => return issued_page(&page, &f, &issued).await,
                Err(e) => match refusal(&page, &e) {
                    Some((field, message, reason)) => (BTreeMap::from([(field, message)]), reason),
                    None => return Err(AppError::internal(e)),
                },
            }
        }
        Err(errors) => (errors, "invalid_input"),
    };
    let entry = AuditEntry::new(
        Actor::of(&ctx.staff),
        "product.issue",
        &origin,
        page.console.web().clock().now(),
    )
    .within(Some(ctx.tenant.id), Some(ctx.role))
    .refused(reason);
    page.console.auth().audit().record(&entry).await?;
    let form = context! {
        naam => f.naam, straat => f.straat, huisnummer => f.huisnummer, postcode => f.postcode,
        plaats => f.plaats, email => f.email, taal => f.taal, producttype => f.producttype,
        zone => f.zone, geldig_tot => f.geldig_tot, kentekens => f.kentekens, saldo => f.saldo,
        brief => f.brief, mail => f.mail,
    };
    render_form(&page, StatusCode::UNPROCESSABLE_ENTITY, form, errors).await
}

/// The answer to an issued product: its code and PIN, this once.
async fn issued_page(
    page: &ConsolePage,
    f: &IssueForm,
    issued: &Issued,
) -> Result<Response, AppError> {
    let tz = context_of(page)?.tenant.time_zone;
    let base = base(page)?;
    let overview = overview(page).await?;
    let type_name = overview
        .product_types
        .iter()
        .find(|t| t.code.as_str() == f.producttype)
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let zone_name = overview
        .zones
        .iter()
        .find(|z| z.code.as_str() == f.zone)
        .map(|z| z.name.clone())
        .unwrap_or_default();
    // `valid_until` is exclusive: the last valid day is the one before it, locally.
    let last_day = (issued.valid_until - chrono::Duration::seconds(1))
        .with_timezone(&tz)
        .format("%d-%m-%Y")
        .to_string();
    let values = context! {
        code => issued.code.to_string(),
        pin => issued.pin.expose(),
        name => f.naam.trim(),
        type_name => type_name,
        zone_name => zone_name,
        last_day => last_day,
        mailed_to => issued.mailed_to.as_ref().map(ToString::to_string),
        letter_url => issued.letter.as_ref().map(|_| format!("{base}/{}/brief.pdf", issued.code)),
        kept_until => issued.letter.as_ref().map(|(_, until)| {
            until.with_timezone(&tz).format("%d-%m-%Y %H:%M").to_string()
        }),
        base => base,
    };
    page.render("product_issued.html", StatusCode::CREATED, values)
        .await
}

/// `GET /beheer/{gemeente}/producten/{code}/brief.pdf`: the kept letter of a product of this
/// gemeente, while it is kept; its reading is in the audit trail.
#[handler]
pub async fn kept_letter(
    page: ConsolePage,
    req: &Request,
    Path((_, code)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let entry = page.entry(req, "letter.read")?;
    let code = crate::product_page::code_or_refused(&page, &code, &entry).await?;
    let kept = page
        .console
        .desk()
        .kept_letter(ctx.tenant.id, &code, &entry)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(pdf_response(&kept.code, kept.pdf))
}

/// A letter's PDF as a download that no cache keeps (it holds a PIN).
pub fn pdf_response(code: &ProductCode, pdf: Vec<u8>) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, "application/pdf")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"toewijzingsbrief-{code}.pdf\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(pdf)
}
