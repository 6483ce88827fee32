//! `/beheer/{gemeente}/producttypen` (#24): a gemeente's product types for its beheerders. The
//! list shows each type's kind, unit, validity, products and state, with links to its rule
//! script and tariff in the rules console; `producttypen/nieuw` adds one; `producttypen/{type}`
//! edits its name, kind and unit (fixed once it has products: their balances are kept in
//! them), validity, periodic grant and top-ups, retires it (its products keep working, no new
//! one is issued) or takes it into use again.
//!
//! Every POST leaves one audit entry (`product_type.created`, `.changed`, `.retired`,
//! `.restored` with the type before and after, or refused with its code).

use crate::catalogue_shared::{self, Refused};
use crate::page::{ConsolePage, context_of, see_other};
use minijinja::{Value, context};
use parkportal_domain::calendar::CapPeriod;
use parkportal_domain::catalogue::{
    CatalogueEdit, CatalogueProblem, NAME_MAX, NEW, ProductTypeInput, TopUpInput,
};
use parkportal_domain::product_type::{BalanceUnit, MAX_VALIDITY_MONTHS, ProductKind};
use parkportal_domain::{Code, ProductTypeSpec, TenantConfig};
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The form's fields as sent, in order: the top-up rows repeat `opwaardering_bedrag` and
/// `opwaardering_prijs`.
type Sent = Vec<(String, String)>;

/// The value of field `name`, or empty.
fn field(sent: &Sent, name: &str) -> String {
    sent.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Every value of field `name`, in order.
fn fields(sent: &Sent, name: &str) -> Vec<String> {
    sent.iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .collect()
}

/// The input typed.
fn input_of(sent: &Sent) -> ProductTypeInput {
    let amounts = fields(sent, "opwaardering_bedrag");
    let prices = fields(sent, "opwaardering_prijs");
    ProductTypeInput {
        code: field(sent, "code"),
        name: field(sent, "naam"),
        kind: field(sent, "soort"),
        unit: field(sent, "eenheid"),
        validity_months: field(sent, "geldigheid"),
        grant_period: field(sent, "toekenning_periode"),
        grant_amount: field(sent, "toekenning_bedrag"),
        top_ups: (0..amounts.len().max(prices.len()))
            .map(|i| TopUpInput {
                amount: amounts.get(i).cloned().unwrap_or_default(),
                price: prices.get(i).cloned().unwrap_or_default(),
            })
            .collect(),
        open_for_application: field(sent, "aanvragen") == "ja",
        max_plates: field(sent, "kentekens"),
        letter_on_grant: field(sent, "brief") == "ja",
    }
}

fn version_of(sent: &Sent) -> i64 {
    field(sent, "versie").trim().parse().unwrap_or(-1)
}

/// What the page after a change says.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    gedaan: Option<String>,
}

/// The fields of the form as the use case names them, and as the form does.
const FIELDS: &[(&str, &str)] = &[
    ("code", "code"),
    ("name", "naam"),
    ("kind", "soort"),
    ("unit", "eenheid"),
    ("validity_months", "geldigheid"),
    ("max_plates", "kentekens"),
    ("grant_period", "toekenning_periode"),
    ("grant_amount", "toekenning_bedrag"),
    ("top_ups", "opwaarderingen"),
];

/// The changes the pages confirm.
const DONE: &[&str] = &["aangemaakt", "opgeslagen", "buiten_gebruik", "in_gebruik"];

/// Rows of the top-up table: the type's own and at least two empty ones (four in all at least).
const TOP_UP_ROWS: usize = 4;

/// The periods a grant may have.
const PERIODS: [CapPeriod; 4] = [
    CapPeriod::CalendarYear,
    CapPeriod::Quarter,
    CapPeriod::Month,
    CapPeriod::Rolling12Months,
];

fn confirmation(page: &ConsolePage, done: &Done) -> Option<String> {
    let done = done.gedaan.as_deref()?;
    DONE.contains(&done)
        .then(|| page.t(&format!("console.product_types.done.{done}")))
}

fn base(page: &ConsolePage) -> Result<String, AppError> {
    Ok(format!(
        "/beheer/{}/producttypen",
        context_of(page)?.tenant.slug
    ))
}

/// The products of each product type, by code.
async fn usage(page: &ConsolePage) -> Result<std::collections::BTreeMap<String, u64>, AppError> {
    let tenant = context_of(page)?.tenant.id;
    Ok(page
        .console
        .web()
        .tenants()
        .catalogue_use(tenant)
        .await?
        .product_types)
}

fn kind_text(page: &ConsolePage, kind: &str) -> String {
    page.t(&format!("console.product_types.kind.{kind}"))
}

fn unit_text(page: &ConsolePage, unit: &str) -> String {
    page.t(&format!("console.product_types.unit.{unit}"))
}

/// `GET /beheer/{gemeente}/producttypen`: the types with their kind, unit, validity and state.
#[handler]
pub async fn list(page: ConsolePage, Query(done): Query<Done>) -> Result<Response, AppError> {
    let (config, _) = crate::look_shared::current(&page).await?;
    let used = usage(&page).await?;
    let base = base(&page)?;
    let rules = format!("/beheer/{}/regels", context_of(&page)?.tenant.slug);
    let rows: Vec<Value> = config
        .product_types
        .iter()
        .map(|t| {
            context! {
                code => t.code.as_str(),
                name => t.name.clone(),
                kind => kind_text(&page, t.kind.as_str()),
                unit => unit_text(&page, t.unit.as_str()),
                validity => page.text(
                    "console.product_types.months",
                    &[("count", t.validity_months.to_string())],
                ),
                products => used.get(t.code.as_str()).copied().unwrap_or(0),
                retired => t.retired,
                link => format!("{base}/{}", t.code),
                script_link => format!("{rules}/{}/script", t.code),
                tariff_link => format!("{rules}/{}/tarief", t.code),
            }
        })
        .collect();
    page.render(
        "catalogue_types.html",
        StatusCode::OK,
        context! {
            rows => rows,
            new_link => format!("{base}/{NEW}"),
            done => confirmation(&page, &done),
        },
    )
    .await
}

/// What the type page shows besides the form.
struct Shown<'a> {
    product_type: Option<&'a ProductTypeSpec>,
    products: u64,
    version: i64,
    refused: Option<Refused>,
    problems: &'a [CatalogueProblem],
    done: Option<String>,
}

async fn show(
    page: &ConsolePage,
    input: &ProductTypeInput,
    shown: Shown<'_>,
) -> Result<Response, AppError> {
    let ctx = context_of(page)?;
    let base = base(page)?;
    let (errors, summary) = catalogue_shared::errors(page, shown.problems, FIELDS);
    let status = match (&shown.refused, shown.problems.is_empty()) {
        (Some(r), _) => r.status,
        (None, false) => StatusCode::UNPROCESSABLE_ENTITY,
        (None, true) => StatusCode::OK,
    };
    let action = match shown.product_type {
        Some(t) => format!("{base}/{}", t.code),
        None => format!("{base}/{NEW}"),
    };
    let options = |values: &[&str], text: &dyn Fn(&str) -> String| -> Vec<Value> {
        values
            .iter()
            .map(|v| context! { value => *v, label => text(v) })
            .collect()
    };
    let kinds = options(
        &[
            ProductKind::VisitorScheme.as_str(),
            ProductKind::Permit.as_str(),
        ],
        &|k| kind_text(page, k),
    );
    let units = options(
        &[
            BalanceUnit::Money.as_str(),
            BalanceUnit::Minutes.as_str(),
            BalanceUnit::Sessions.as_str(),
            BalanceUnit::None.as_str(),
        ],
        &|u| unit_text(page, u),
    );
    let periods: Vec<Value> = PERIODS
        .iter()
        .map(|p| {
            context! {
                value => p.as_str(),
                label => page.t(&format!("console.product_types.period.{}", p.as_str())),
            }
        })
        .collect();
    let rows = input.top_ups.len().max(TOP_UP_ROWS - 2) + 2;
    let top_ups: Vec<Value> = (0..rows)
        .map(|i| {
            let row = input.top_ups.get(i).cloned().unwrap_or_default();
            context! { n => i + 1, amount => row.amount, price => row.price }
        })
        .collect();
    let in_use = shown.products > 0;
    let rules = format!("/beheer/{}/regels", ctx.tenant.slug);
    page.render(
        "catalogue_type.html",
        status,
        context! {
            product_type => shown.product_type.map(|t| context! {
                code => t.code.as_str(),
                name => t.name.clone(),
                retired => t.retired,
                kind => kind_text(page, t.kind.as_str()),
                unit => unit_text(page, t.unit.as_str()),
                script_link => format!("{rules}/{}/script", t.code),
                tariff_link => format!("{rules}/{}/tarief", t.code),
            }),
            input => context! {
                code => input.code.clone(),
                naam => input.name.clone(),
                soort => input.kind.clone(),
                eenheid => input.unit.clone(),
                geldigheid => input.validity_months.clone(),
                toekenning_periode => input.grant_period.clone(),
                toekenning_bedrag => input.grant_amount.clone(),
                aanvragen => input.open_for_application,
                kentekens => input.max_plates.clone(),
                brief => input.letter_on_grant,
            },
            top_ups => top_ups,
            kinds => kinds,
            units => units,
            periods => periods,
            in_use => in_use,
            products => shown.products,
            action => action,
            back => base,
            version => shown.version,
            errors => errors,
            summary => summary,
            details => shown.refused.as_ref().map(|r| r.details.clone()).unwrap_or_default(),
            message => shown.refused.map(|r| r.message),
            done => shown.done,
            name_max => NAME_MAX,
            max_months => MAX_VALIDITY_MONTHS,
            max_plates => parkportal_domain::product_type::MAX_PLATES,
        },
    )
    .await
}

/// The product type `code` of `config`, or 404.
fn type_of<'c>(config: &'c TenantConfig, code: &str) -> Result<&'c ProductTypeSpec, AppError> {
    config
        .product_types
        .iter()
        .find(|t| t.code.as_str() == code)
        .ok_or(AppError::NotFound)
}

/// `GET /beheer/{gemeente}/producttypen/nieuw`: the form with a visitor scheme in euros for a
/// year, the commonest.
#[handler]
pub async fn new_form(page: ConsolePage) -> Result<Response, AppError> {
    let (_, version) = crate::look_shared::current(&page).await?;
    let input = ProductTypeInput {
        kind: ProductKind::VisitorScheme.as_str().to_owned(),
        unit: BalanceUnit::Money.as_str().to_owned(),
        validity_months: parkportal_domain::product_type::DEFAULT_VALIDITY_MONTHS.to_string(),
        max_plates: parkportal_domain::product_type::DEFAULT_MAX_PLATES.to_string(),
        ..Default::default()
    };
    let shown = Shown {
        product_type: None,
        products: 0,
        version,
        refused: None,
        problems: &[],
        done: None,
    };
    show(&page, &input, shown).await
}

/// `POST /beheer/{gemeente}/producttypen/nieuw`: adds the type typed.
#[handler]
pub async fn create(
    page: ConsolePage,
    req: &Request,
    Form(sent): Form<Sent>,
) -> Result<Response, AppError> {
    let (config, version) = crate::look_shared::current(&page).await?;
    let input = input_of(&sent);
    let mut shown = Shown {
        product_type: None,
        products: 0,
        version: version_of(&sent),
        refused: None,
        problems: &[],
        done: None,
    };
    let product_type = match input.parse(None, &config.product_types, false) {
        Ok(t) => t,
        Err(problems) => {
            let object = ("product_type", input.code.trim());
            catalogue_shared::refused(&page, req, "product_type.created", object, "invalid")
                .await?;
            shown.problems = &problems;
            return show(&page, &input, shown).await;
        }
    };
    let code = product_type.code.clone();
    let edit = CatalogueEdit::AddProductType(product_type);
    match catalogue_shared::make(&page, req, version_of(&sent), edit).await? {
        None => Ok(see_other(&format!(
            "{}/{code}?gedaan=aangemaakt",
            base(&page)?
        ))),
        Some(refused) => {
            shown.version = version;
            shown.refused = Some(refused);
            show(&page, &input, shown).await
        }
    }
}

/// `GET /beheer/{gemeente}/producttypen/{type}`: the type's form and its state.
#[handler]
pub async fn edit_form(
    page: ConsolePage,
    Path((_, code)): Path<(String, String)>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let (config, version) = crate::look_shared::current(&page).await?;
    let product_type = type_of(&config, &code)?;
    let products = usage(&page).await?.get(&code).copied().unwrap_or(0);
    let shown = Shown {
        product_type: Some(product_type),
        products,
        version,
        refused: None,
        problems: &[],
        done: confirmation(&page, &done),
    };
    show(&page, &ProductTypeInput::of(product_type), shown).await
}

/// `POST /beheer/{gemeente}/producttypen/{type}`: saves the type (`actie=opslaan`), retires it
/// (`buiten_gebruik`) or takes it into use again (`in_gebruik`).
#[handler]
pub async fn submit(
    page: ConsolePage,
    req: &Request,
    Path((_, code)): Path<(String, String)>,
    Form(sent): Form<Sent>,
) -> Result<Response, AppError> {
    let (config, version) = crate::look_shared::current(&page).await?;
    let object = ("product_type", code.as_str());
    let Ok(product_type) = type_of(&config, &code) else {
        catalogue_shared::refused(&page, req, "product_type.changed", object, "not_found").await?;
        return Err(AppError::NotFound);
    };
    let products = usage(&page).await?.get(&code).copied().unwrap_or(0);
    let action = field(&sent, "actie");
    let input = match action.as_str() {
        "opslaan" => input_of(&sent),
        _ => ProductTypeInput::of(product_type),
    };
    let mut shown = Shown {
        product_type: Some(product_type),
        products,
        version: version_of(&sent),
        refused: None,
        problems: &[],
        done: None,
    };
    let type_code: Code = product_type.code.clone();
    let (edit, done) = match action.as_str() {
        "opslaan" => match input.parse(Some(product_type), &config.product_types, products > 0) {
            Ok(edited) => (CatalogueEdit::EditProductType(edited), "opgeslagen"),
            Err(problems) => {
                catalogue_shared::refused(&page, req, "product_type.changed", object, "invalid")
                    .await?;
                shown.problems = &problems;
                return show(&page, &input, shown).await;
            }
        },
        "buiten_gebruik" => (
            CatalogueEdit::RetireProductType(type_code, true),
            "buiten_gebruik",
        ),
        "in_gebruik" => (
            CatalogueEdit::RetireProductType(type_code, false),
            "in_gebruik",
        ),
        _ => {
            catalogue_shared::refused(&page, req, "product_type.changed", object, "invalid")
                .await?;
            return Err(AppError::BadRequest);
        }
    };
    match catalogue_shared::make(&page, req, version_of(&sent), edit).await? {
        None => Ok(see_other(&format!("{}/{code}?gedaan={done}", base(&page)?))),
        Some(refused) => {
            shown.version = version;
            shown.refused = Some(refused);
            show(&page, &input, shown).await
        }
    }
}
