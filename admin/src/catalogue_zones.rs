//! `/beheer/{gemeente}/zones` (#24): a gemeente's zones for its beheerders. The list shows each
//! zone's postcode ranges, its products and whether it is in use; `zones/nieuw` adds one;
//! `zones/{zone}` edits its name and postcodes, retires it (its products keep working, no new
//! product is issued in it), takes it into use again, or deletes it when nothing refers to it.
//!
//! Every POST leaves one audit entry (`zone.created`, `zone.changed`, `zone.retired`,
//! `zone.restored`, `zone.deleted` with the zone before and after, or refused with its code).

use crate::catalogue_shared::{self, Refused};
use crate::page::{ConsolePage, context_of, see_other};
use minijinja::{Value, context};
use parkportal_domain::catalogue::{CatalogueEdit, CatalogueProblem, NAME_MAX, NEW, ZoneInput};
use parkportal_domain::postcode_range::list_text;
use parkportal_domain::{Code, TenantConfig, ZoneSpec};
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The zone form (and the retire, restore and delete buttons: `actie`).
#[derive(Debug, Default, Deserialize)]
pub struct ZoneForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    naam: String,
    #[serde(default)]
    postcodes: String,
    #[serde(default)]
    versie: String,
    #[serde(default)]
    actie: String,
}

impl ZoneForm {
    fn input(&self) -> ZoneInput {
        ZoneInput {
            code: self.code.clone(),
            name: self.naam.clone(),
            postcodes: self.postcodes.clone(),
        }
    }

    fn version(&self) -> i64 {
        self.versie.trim().parse().unwrap_or(-1)
    }
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
    ("postcodes", "postcodes"),
];

/// The changes the pages confirm.
const DONE: &[&str] = &[
    "aangemaakt",
    "opgeslagen",
    "buiten_gebruik",
    "in_gebruik",
    "verwijderd",
];

/// The confirmation for `done`, if it is one of the pages' own.
fn confirmation(page: &ConsolePage, done: &Done) -> Option<String> {
    let done = done.gedaan.as_deref()?;
    DONE.contains(&done)
        .then(|| page.t(&format!("console.zones.done.{done}")))
}

fn base(page: &ConsolePage) -> Result<String, AppError> {
    Ok(format!("/beheer/{}/zones", context_of(page)?.tenant.slug))
}

/// The products of each zone, by code.
async fn usage(page: &ConsolePage) -> Result<std::collections::BTreeMap<String, u64>, AppError> {
    let tenant = context_of(page)?.tenant.id;
    Ok(page
        .console
        .web()
        .tenants()
        .catalogue_use(tenant)
        .await?
        .zones)
}

/// `GET /beheer/{gemeente}/zones`: the zones with their postcodes, products and state.
#[handler]
pub async fn list(page: ConsolePage, Query(done): Query<Done>) -> Result<Response, AppError> {
    let (config, _) = crate::look_shared::current(&page).await?;
    let used = usage(&page).await?;
    let base = base(&page)?;
    let rows: Vec<Value> = config
        .zones
        .iter()
        .map(|z| {
            context! {
                code => z.code.as_str(),
                name => z.name.clone(),
                postcodes => list_text(&z.postcodes),
                products => used.get(z.code.as_str()).copied().unwrap_or(0),
                retired => z.retired,
                link => format!("{base}/{}", z.code),
            }
        })
        .collect();
    page.render(
        "catalogue_zones.html",
        StatusCode::OK,
        context! {
            rows => rows,
            new_link => format!("{base}/{NEW}"),
            done => confirmation(&page, &done),
        },
    )
    .await
}

/// What the zone page shows besides the form.
struct Shown<'a> {
    zone: Option<&'a ZoneSpec>,
    products: u64,
    version: i64,
    refused: Option<Refused>,
    problems: &'a [CatalogueProblem],
    done: Option<String>,
}

async fn show(
    page: &ConsolePage,
    input: &ZoneInput,
    shown: Shown<'_>,
) -> Result<Response, AppError> {
    let base = base(page)?;
    let (errors, summary) = catalogue_shared::errors(page, shown.problems, FIELDS);
    let status = match (&shown.refused, shown.problems.is_empty()) {
        (Some(r), _) => r.status,
        (None, false) => StatusCode::UNPROCESSABLE_ENTITY,
        (None, true) => StatusCode::OK,
    };
    let action = match shown.zone {
        Some(z) => format!("{base}/{}", z.code),
        None => format!("{base}/{NEW}"),
    };
    page.render(
        "catalogue_zone.html",
        status,
        context! {
            zone => shown.zone.map(|z| context! {
                code => z.code.as_str(),
                name => z.name.clone(),
                retired => z.retired,
            }),
            input => context! {
                code => input.code.clone(),
                naam => input.name.clone(),
                postcodes => input.postcodes.clone(),
            },
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
        },
    )
    .await
}

/// The zone `code` of `config`, or 404.
fn zone_of<'c>(config: &'c TenantConfig, code: &str) -> Result<&'c ZoneSpec, AppError> {
    config
        .zones
        .iter()
        .find(|z| z.code.as_str() == code)
        .ok_or(AppError::NotFound)
}

/// `GET /beheer/{gemeente}/zones/nieuw`: the empty form.
#[handler]
pub async fn new_form(page: ConsolePage) -> Result<Response, AppError> {
    let (_, version) = crate::look_shared::current(&page).await?;
    let shown = Shown {
        zone: None,
        products: 0,
        version,
        refused: None,
        problems: &[],
        done: None,
    };
    show(&page, &ZoneInput::default(), shown).await
}

/// `POST /beheer/{gemeente}/zones/nieuw`: adds the zone typed.
#[handler]
pub async fn create(
    page: ConsolePage,
    req: &Request,
    Form(sent): Form<ZoneForm>,
) -> Result<Response, AppError> {
    let (config, version) = crate::look_shared::current(&page).await?;
    let input = sent.input();
    let mut shown = Shown {
        zone: None,
        products: 0,
        version: sent.version(),
        refused: None,
        problems: &[],
        done: None,
    };
    let zone = match input.parse(None, &config.zones) {
        Ok(zone) => zone,
        Err(problems) => {
            let code = sent.code.trim();
            catalogue_shared::refused(&page, req, "zone.created", ("zone", code), "invalid")
                .await?;
            shown.problems = &problems;
            return show(&page, &input, shown).await;
        }
    };
    let code = zone.code.clone();
    match catalogue_shared::make(&page, req, sent.version(), CatalogueEdit::AddZone(zone)).await? {
        None => Ok(see_other(&format!(
            "{}/{code}?gedaan=aangemaakt",
            base(&page)?
        ))),
        Some(refused) => {
            // After a conflict the form is shown over the version now stored.
            shown.version = version;
            shown.refused = Some(refused);
            show(&page, &input, shown).await
        }
    }
}

/// `GET /beheer/{gemeente}/zones/{zone}`: the zone's form and its state.
#[handler]
pub async fn edit_form(
    page: ConsolePage,
    Path((_, code)): Path<(String, String)>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let (config, version) = crate::look_shared::current(&page).await?;
    let zone = zone_of(&config, &code)?;
    let products = usage(&page).await?.get(&code).copied().unwrap_or(0);
    let shown = Shown {
        zone: Some(zone),
        products,
        version,
        refused: None,
        problems: &[],
        done: confirmation(&page, &done),
    };
    show(&page, &ZoneInput::of(zone), shown).await
}

/// `POST /beheer/{gemeente}/zones/{zone}`: saves the name and postcodes (`actie=opslaan`),
/// retires (`buiten_gebruik`), restores (`in_gebruik`) or deletes (`verwijderen`) the zone.
#[handler]
pub async fn submit(
    page: ConsolePage,
    req: &Request,
    Path((_, code)): Path<(String, String)>,
    Form(sent): Form<ZoneForm>,
) -> Result<Response, AppError> {
    let (config, version) = crate::look_shared::current(&page).await?;
    let Ok(zone) = zone_of(&config, &code) else {
        catalogue_shared::refused(&page, req, "zone.changed", ("zone", &code), "not_found").await?;
        return Err(AppError::NotFound);
    };
    let products = usage(&page).await?.get(&code).copied().unwrap_or(0);
    let input = match sent.actie.as_str() {
        "opslaan" => sent.input(),
        _ => ZoneInput::of(zone),
    };
    let mut shown = Shown {
        zone: Some(zone),
        products,
        version: sent.version(),
        refused: None,
        problems: &[],
        done: None,
    };
    let zone_code: Code = zone.code.clone();
    let (edit, done) = match sent.actie.as_str() {
        "opslaan" => match input.parse(Some(zone), &config.zones) {
            Ok(edited) => (CatalogueEdit::EditZone(edited), "opgeslagen"),
            Err(problems) => {
                catalogue_shared::refused(&page, req, "zone.changed", ("zone", &code), "invalid")
                    .await?;
                shown.problems = &problems;
                return show(&page, &input, shown).await;
            }
        },
        "buiten_gebruik" => (CatalogueEdit::RetireZone(zone_code, true), "buiten_gebruik"),
        "in_gebruik" => (CatalogueEdit::RetireZone(zone_code, false), "in_gebruik"),
        "verwijderen" => (CatalogueEdit::DeleteZone(zone_code), "verwijderd"),
        _ => {
            catalogue_shared::refused(&page, req, "zone.changed", ("zone", &code), "invalid")
                .await?;
            return Err(AppError::BadRequest);
        }
    };
    match catalogue_shared::make(&page, req, sent.version(), edit).await? {
        None if done == "verwijderd" => {
            Ok(see_other(&format!("{}?gedaan=verwijderd", base(&page)?)))
        }
        None => Ok(see_other(&format!("{}/{code}?gedaan={done}", base(&page)?))),
        Some(refused) => {
            shown.version = version;
            shown.refused = Some(refused);
            show(&page, &input, shown).await
        }
    }
}
