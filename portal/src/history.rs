//! "Historie" of the chosen product: the tabs Parkeeracties (n) and Transacties (n), the newest
//! 10 first and [Toon meer] for the next 10. Without JavaScript [Toon meer] opens the next page;
//! with it the rows are appended in place (and load by themselves on a phone as the list's end
//! scrolls into view), from the same URL with `deel=1`.

use crate::page::{PageContext, ProductPage};
use crate::products::header_values;
use chrono_tz::Tz;
use minijinja::{Value, context};
use parkportal_domain::history::{DEFAULT_PAGE, HistoryError, PastSession, Rows, Tab, Transaction};
use parkportal_domain::{BalanceUnit, ProductId};
use parkportal_web::AppError;
use parkportal_web::dates::{end_label, local_date_time};
use parkportal_web::format::amount;
use poem::web::{Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

/// The query of the history page.
#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    /// `transacties` shows the transactions; else the sessions.
    tab: Option<String>,
    /// The cursor: rows after this one.
    na: Option<String>,
    /// `1`: only the rows and the next [Toon meer], for the script that appends them.
    deel: Option<u8>,
}

fn cost(page: &PageContext, unit: BalanceUnit, smallest: i64) -> Option<String> {
    (unit != BalanceUnit::None)
        .then(|| amount(unit, unit.from_smallest(smallest), page.prefs.language))
}

fn session_values(page: &PageContext, s: &PastSession, unit: BalanceUnit, tz: Tz) -> Value {
    context! {
        plate => s.plate.as_ref().map(|p| p.display()),
        start => local_date_time(s.start, tz, page.prefs.language),
        end => end_label(s.end, tz, page.prefs.language),
        cost => cost(page, unit, s.cost),
    }
}

fn transaction_values(page: &PageContext, t: &Transaction, unit: BalanceUnit, tz: Tz) -> Value {
    let sign = if t.amount < 0 { "−" } else { "+" };
    // A reservation or refund names the session it belongs to.
    let session = t.about.as_ref().map(|(plate, start)| {
        let start = local_date_time(*start, tz, page.prefs.language);
        match plate {
            Some(plate) => page.text(
                "history.for_session",
                &[("plate", plate.display()), ("start", start)],
            ),
            None => page.text("history.for_anonymised_session", &[("start", start)]),
        }
    });
    context! {
        at => local_date_time(t.at, tz, page.prefs.language),
        session => session,
        reason => page.t(&format!("history.kind.{}", t.kind.as_str())),
        note => t.note.clone(),
        amount => cost(page, unit, t.amount.abs()).map(|a| format!("{sign} {a}")),
        credit => t.amount >= 0,
    }
}

/// "na 13 weken", or in days when the gemeente keeps plates for a part of a week.
fn retention_text(page: &PageContext, days: i32) -> String {
    let (key, count) = match days {
        1 => ("history.anonymised_after_day", 1),
        d if d % 7 == 0 && d >= 14 => ("history.anonymised_after_weeks", d / 7),
        d => ("history.anonymised_after_days", d),
    };
    page.text(key, &[("count", count.to_string())])
}

/// `GET /producten/{id}/historie`: the product's sessions or (`?tab=transacties`) its
/// transactions, newest first, 10 at a time.
#[handler]
pub async fn show(
    Path(id): Path<i64>,
    Query(q): Query<HistoryQuery>,
    ProductPage {
        page,
        account,
        card,
    }: ProductPage,
) -> Result<Response, AppError> {
    let product = ProductId(id);
    let (unit, tz) = (card.product.unit, card.product.time_zone);
    let history = page.state.history();
    let transactions_tab = q.tab.as_deref() == Some("transacties");
    let tab = if transactions_tab {
        Tab::Transactions
    } else {
        Tab::PastSessions
    };
    let base = page.site.link(&format!("/producten/{id}/historie"));
    let tab_href = format!(
        "{base}?tab={}",
        if transactions_tab {
            "transacties"
        } else {
            "parkeeracties"
        }
    );
    let found = match history
        .page(&account, product, tab, q.na.as_deref(), DEFAULT_PAGE)
        .await
    {
        Ok(Some(found)) => found,
        Ok(None) => return Err(AppError::NotFound),
        Err(HistoryError::BadCursor(_)) => return Err(AppError::BadRequest),
        Err(HistoryError::Store(e)) => return Err(AppError::internal(e)),
    };
    let rows: Vec<Value> = match &found.rows {
        Rows::Sessions(rows) => rows
            .iter()
            .map(|s| session_values(&page, s, unit, tz))
            .collect(),
        Rows::Transactions(rows) => rows
            .iter()
            .map(|t| transaction_values(&page, t, unit, tz))
            .collect(),
    };
    let next = found.next;
    let more_href = next.map(|c| format!("{tab_href}&na={c}"));
    let values = context! {
        rows => rows,
        transactions_tab => transactions_tab,
        more_href => more_href,
    };
    if q.deel == Some(1) {
        return Ok(page.render("_history_rows.html", values)?.into_response());
    }
    page.state
        .parking()
        .choose(&account, product)
        .await
        .map_err(AppError::internal)?;
    let counts = history
        .counts(&account, product)
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    Ok(page
        .render(
            "history.html",
            context! {
                ..values,
                ..context! {
                    product => header_values(&page, &card),
                    sessions_count => counts.sessions,
                    transactions_count => counts.transactions,
                    sessions_href => base.clone(),
                    // A mandatee sees their own sessions only, and no transactions.
                    transactions_href => card.product.mandate.is_none().then(|| format!("{base}?tab=transacties")),
                    newest_href => q.na.is_some().then_some(tab_href),
                    retention => retention_text(&page, card.product.plate_retention_days),
                    // The planned ones are no history yet: said apart, with the way to them.
                    planned => card.planned,
                    planned_href => page.site.link(&format!("/producten/{id}/parkeeracties?tab=gepland")),
                }
            },
        )?
        .into_response())
}
