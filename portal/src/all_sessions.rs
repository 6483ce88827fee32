//! "Alle parkeeracties": the running and planned sessions of all the resident's products, each
//! on a card; choosing a card selects its product and shows that product's sessions.

use crate::page::PageContext;
use minijinja::{Value, context};
use parkportal_domain::parking::SessionState;
use parkportal_web::AppError;
use parkportal_web::dates::{end_label, local_date_time};
use poem::{IntoResponse, Response, handler};

/// `GET /parkeeracties`.
#[handler]
pub async fn list(page: PageContext) -> Result<Response, AppError> {
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    let parking = page.state.parking();
    let now = parking.now();
    let cards: Vec<Value> = parking
        .all_sessions(&account)
        .await
        .map_err(AppError::internal)?
        .iter()
        .map(|(listed, p)| {
            let s = &listed.session;
            let running = s.state(now) == SessionState::Running;
            let tab = if running { "" } else { "?tab=gepland" };
            context! {
                plate => s.plate.display(),
                running => running,
                start => local_date_time(s.start, p.time_zone, page.prefs.language),
                end => end_label(s.end, p.time_zone, page.prefs.language),
                product => p.type_name.clone(),
                zone => p.zone_name.clone(),
                gemeente => p.tenant_name.clone(),
                href => page.site.link(&format!("/producten/{}{tab}", p.id.0)),
            }
        })
        .collect();
    Ok(page
        .render("all_sessions.html", context! { cards => cards })?
        .into_response())
}
