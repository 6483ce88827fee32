//! "De kentekenswitch": the plates of a permit for several plates; [Selecteer] makes one
//! active. While none is, a warning says the resident risks a fine.

use crate::input::vehicle;
use crate::page::{PageContext, ProductPage};
use crate::products::header_values;
use minijinja::{Value, context};
use parkportal_domain::ProductId;
use parkportal_domain::parking::{ProductCard, ProductView, SwitchOutcome, has_plate_switch};
use parkportal_domain::plate::Plate;
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

/// A plate as the form sends it: `<country>:<normalised>`.
fn form_value(plate: &Plate) -> String {
    format!("{}:{}", plate.country().as_str(), plate.normalised())
}

fn parse_form_value(value: &str) -> Option<Plate> {
    let (country, plate) = value.split_once(':')?;
    vehicle(plate, Some(country)).ok()
}

fn plates(product: &ProductView) -> Vec<Value> {
    product
        .plates
        .iter()
        .map(|p| {
            context! {
                value => form_value(p),
                label => p.display(),
                active => product.active_plate.as_ref() == Some(p),
            }
        })
        .collect()
}

/// The page's values; `extra` adds a message.
fn page_values(page: &PageContext, card: &ProductCard, id: i64, extra: Value) -> Value {
    context! {
        ..extra,
        ..context! {
            product => header_values(page, card),
            plates => plates(&card.product),
            active => card.product.active_plate.as_ref().map(Plate::display),
            action => page.site.link(&format!("/producten/{id}/kentekenswitch")),
        }
    }
}

/// The query of the page.
#[derive(Debug, Deserialize)]
pub struct SwitchQuery {
    /// `1` after [Selecteer].
    gekozen: Option<u8>,
}

/// `GET /producten/{id}/kentekenswitch`.
#[handler]
pub async fn show(
    Path(id): Path<i64>,
    Query(q): Query<SwitchQuery>,
    ProductPage {
        mut page,
        account: _,
        card,
    }: ProductPage,
) -> Result<Response, AppError> {
    if !has_plate_switch(&card.product) {
        return Err(AppError::NotFound);
    }
    Ok(page
        .render(
            "plate_switch.html",
            page_values(
                &page,
                &card,
                id,
                context! { chosen => q.gekozen == Some(1) },
            ),
        )?
        .into_response())
}

/// The form of [Selecteer].
#[derive(Debug, Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    kenteken: String,
}

/// `POST /producten/{id}/kentekenswitch`: [Selecteer].
#[handler]
pub async fn select(
    Path(id): Path<i64>,
    Form(f): Form<SwitchForm>,
    ProductPage {
        mut page,
        account,
        card,
    }: ProductPage,
) -> Result<Response, AppError> {
    let outcome = match parse_form_value(&f.kenteken) {
        Some(plate) => page
            .state
            .parking()
            .switch_plate(&account, ProductId(id), &plate)
            .await
            .map_err(AppError::internal)?,
        None => SwitchOutcome::NotOnPermit,
    };
    match outcome {
        SwitchOutcome::Switched(_) => Ok(page.see_other(&format!(
            "{}?gekozen=1",
            page.site.link(&format!("/producten/{id}/kentekenswitch"))
        ))),
        SwitchOutcome::NotFound | SwitchOutcome::NoSwitch => Err(AppError::NotFound),
        SwitchOutcome::NotOnPermit => Ok(page
            .render(
                "plate_switch.html",
                page_values(
                    &page,
                    &card,
                    id,
                    context! { error => page.t("plate_switch.choose") },
                ),
            )?
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response()),
    }
}
