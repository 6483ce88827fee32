//! "Parkeeracties" of the chosen product: the tabs Lopend and Gepland, and [Stop] and
//! [Verwijder]. [+] is in `session_new`, [Verleng] in `session_extend`, the check page both share
//! in `session_check`.

use crate::page::{PageContext, ProductPage};
use crate::products::{header_values, own_card};
use chrono_tz::Tz;
use minijinja::{Value, context};
use parkportal_domain::parking::{Outcome, ParkingSession, SessionState, has_plate_switch};
use parkportal_domain::plate::Plate;
use parkportal_domain::{Account, BalanceUnit, ProductId, SessionId};
use parkportal_web::AppError;
use parkportal_web::dates::{end_label, local_date_time};
use parkportal_web::format::amount;
use poem::web::{Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

pub(crate) fn session_values(
    page: &PageContext,
    s: &ParkingSession,
    unit: BalanceUnit,
    tz: Tz,
) -> Value {
    let now = page.state.parking().now();
    context! {
        id => s.id.0,
        plate => s.plate.display(),
        start => local_date_time(s.start, tz, page.prefs.language),
        end => end_label(s.end, tz, page.prefs.language),
        cost => (unit != BalanceUnit::None).then(|| amount(unit, unit.from_smallest(s.reserved), page.prefs.language)),
        running => s.state(now) == SessionState::Running,
        end_href => page.site.link(&format!("/parkeeracties/{}/beeindigen", s.id.0)),
        extend_href => page.site.link(&format!("/parkeeracties/{}/verlengen", s.id.0)),
        // Who started a session acts on it: the owner sees a mandatee's without actions.
        mine => page.account.as_ref().is_some_and(|a| Some(a.id) == s.account),
    }
}

/// The query of the sessions page.
#[derive(Debug, Deserialize)]
pub struct TabQuery {
    /// `gepland` shows the planned sessions; else the running ones.
    tab: Option<String>,
}

/// `GET /producten/{id}/parkeeracties`: the tabs Lopend and Gepland with their counts.
#[handler]
pub async fn list(
    Path(id): Path<i64>,
    Query(q): Query<TabQuery>,
    ProductPage {
        mut page,
        account,
        card,
    }: ProductPage,
) -> Result<Response, AppError> {
    let parking = page.state.parking();
    parking
        .choose(&account, ProductId(id))
        .await
        .map_err(AppError::internal)?;
    let sessions = parking
        .sessions(&account, ProductId(id))
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    let now = parking.now();
    let tz = card.product.time_zone;
    let unit = card.product.unit;
    let planned_tab = q.tab.as_deref() == Some("gepland");
    let (running, planned): (Vec<_>, Vec<_>) = sessions
        .iter()
        .partition(|l| l.session.state(now) == SessionState::Running);
    let shown: Vec<Value> = if planned_tab { &planned } else { &running }
        .iter()
        .map(|l| {
            let by = l.started_by.as_ref().map(ToString::to_string);
            context! { ..session_values(&page, &l.session, unit, tz), ..context! { by => by } }
        })
        .collect();
    let base = page.site.link(&format!("/producten/{id}/parkeeracties"));
    Ok(page
        .render(
            "sessions.html",
            context! {
                product => header_values(&page, &card),
                sessions => shown,
                planned_tab => planned_tab,
                running_count => running.len(),
                planned_count => planned.len(),
                running_href => base.clone(),
                planned_href => format!("{base}?tab=gepland"),
                new_href => format!("{base}/nieuw"),
                switch_href => has_plate_switch(&card.product)
                    .then(|| page.site.link(&format!("/producten/{id}/kentekenswitch"))),
                active_plate => card.product.active_plate.as_ref().map(Plate::display),
            },
        )?
        .into_response())
}

/// A session of the resident with its product's card, or 404.
pub(crate) async fn own_session(
    page: &mut PageContext,
    account: &Account,
    id: i64,
) -> Result<(ParkingSession, parkportal_domain::parking::ProductCard), AppError> {
    let session = page
        .state
        .parking()
        .session(account, SessionId(id))
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    let card = own_card(page, account, session.product).await?;
    Ok((session, card))
}

/// `GET /parkeeracties/{id}/beeindigen`: "Wilt u deze parkeeractie stoppen / verwijderen?"
#[handler]
pub async fn end_confirm(mut page: PageContext, Path(id): Path<i64>) -> Result<Response, AppError> {
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    let (session, card) = own_session(&mut page, &account, id).await?;
    let now = page.state.parking().now();
    let state = session.state(now);
    if matches!(state, SessionState::Ended | SessionState::Deleted) {
        return Err(AppError::NotFound);
    }
    let tz = card.product.time_zone;
    Ok(page
        .render(
            "session_end.html",
            context! {
                product => header_values(&page, &card),
                session => session_values(&page, &session, card.product.unit, tz),
                planned => state == SessionState::Planned,
                action => page.site.link(&format!("/parkeeracties/{id}/beeindigen")),
                back_href => page.site.link(&format!("/producten/{}/parkeeracties", session.product.0)),
            },
        )?
        .into_response())
}

/// `POST /parkeeracties/{id}/beeindigen`: [Stop] (the unused part comes back) or [Verwijder]
/// (all of it comes back).
#[handler]
pub async fn finish(mut page: PageContext, Path(id): Path<i64>) -> Result<Response, AppError> {
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    let (session, card) = own_session(&mut page, &account, id).await?;
    let tab_link = |tab: &str| {
        page.site.link(&format!(
            "/producten/{}/parkeeracties{tab}",
            session.product.0
        ))
    };
    match page
        .state
        .parking()
        .end(&account, SessionId(id))
        .await
        .map_err(AppError::internal)?
    {
        // Back to the tab it was on: what the change did tells (a planned one is deleted).
        Outcome::Done(after) => {
            let started = after.start <= page.state.parking().now();
            let to = tab_link(if started { "" } else { "?tab=gepland" });
            let said = page.session_ended(&session, &after, &card.product);
            Ok(page.see_other_saying(&to, &said))
        }
        // Ended in the meantime (another tab, its end passing): the list shows how it stands.
        Outcome::Invalid(_) => Ok(page.see_other(&tab_link(""))),
        Outcome::Refused(_) | Outcome::AlreadyParked(_) | Outcome::NotFound => {
            Err(AppError::NotFound)
        }
    }
}
