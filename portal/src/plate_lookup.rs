//! "Kenteken opzoeken" of the new-session form: the tabs Favorieten and Recent geparkeerde
//! kentekens (not being favorites); choosing one fills the plate field.

use crate::page::ProductPage;
use crate::products::header_values;
use crate::session_new::{TypedMoments, carried};
use minijinja::{Value, context};
use parkportal_domain::ProductId;
use parkportal_domain::plate::Plate;
use parkportal_web::AppError;
use poem::web::{Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

/// The query of the page.
#[derive(Debug, Deserialize)]
pub struct LookupQuery {
    /// `recent` shows the recent plates; else the favorites.
    tab: Option<String>,
    /// What the new-session form held: carried to the plate picked, and back.
    #[serde(flatten)]
    typed: TypedMoments,
    /// The plate typed before the lookup (only for the way back: a pick brings its own).
    kenteken: Option<String>,
    land: Option<String>,
}

impl LookupQuery {
    /// `&kenteken=…&land=…` of the plate typed before, encoded, or nothing.
    fn typed_plate(&self) -> String {
        carried(&[
            ("kenteken", self.kenteken.as_deref()),
            ("land", self.land.as_deref()),
        ])
    }
}

/// `GET /producten/{id}/kentekens`: "Kenteken opzoeken", the favorites or (`?tab=recent`) the
/// plates recently parked that are not favorites.
#[handler]
pub async fn plates(
    Path(id): Path<i64>,
    Query(q): Query<LookupQuery>,
    ProductPage {
        mut page,
        account,
        card,
    }: ProductPage,
) -> Result<Response, AppError> {
    let new = page
        .site
        .link(&format!("/producten/{id}/parkeeracties/nieuw"));
    let moments = q.typed.query();
    let pick = |p: &Plate| {
        format!(
            "{new}?kenteken={}&land={}{moments}",
            p.normalised(),
            p.country().as_str()
        )
    };
    let lookup = page
        .state
        .favorites()
        .lookup(&account, ProductId(id))
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    let recent: Vec<Value> = lookup
        .recent
        .iter()
        .map(|p| {
            context! {
                plate => p.display(),
                href => pick(p),
            }
        })
        .collect();
    let favorites: Vec<Value> = lookup
        .favorites
        .iter()
        .map(|f| context! { ..crate::favorites::favorite_values(f), ..context! { href => pick(&f.plate) } })
        .collect();
    let base = page.site.link(&format!("/producten/{id}/kentekens"));
    Ok(page
        .render(
            "plates.html",
            context! {
                product => header_values(&page, &card),
                // A product used through a mandate has no favorites: its recent plates only.
                mandated => card.product.mandate.is_some(),
                recent_tab => q.tab.as_deref() == Some("recent") || card.product.mandate.is_some(),
                favorites => favorites,
                plates => recent,
                favorites_href => format!("{base}?tab=favorieten{moments}"),
                recent_href => format!("{base}?tab=recent{moments}"),
                manage_href => page.site.link(&format!("/producten/{id}/favorieten")),
                // Back without a pick: the plate typed before comes back too.
                back_href => format!("{new}?{}", format!("{}{moments}", q.typed_plate()).trim_start_matches('&')),
            },
        )?
        .into_response())
}
