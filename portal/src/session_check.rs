//! The page after [Bekijk kosten] or a refused [Bevestigen] or [Verleng]: the cost with its
//! breakdown, or the reasons with the alternatives that fit; and the times the forms carry.

use crate::page::PageContext;
use crate::products::header_values;
use crate::refusal_texts;
use crate::session_new::SessionFields;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use minijinja::{Value, context};
use parkportal_domain::BalanceUnit;
use parkportal_domain::calendar;
use parkportal_domain::parking::{CostBreakdown, ParkingProblem, ParkingSession, Verdict};
use parkportal_domain::plate::Plate;
use parkportal_domain::rules::{AlternativeKind, ReasonCode};
use parkportal_domain::top_up::TopUps;
use parkportal_web::AppError;
use parkportal_web::dates::{end_label, local_date_time};
use parkportal_web::format::amount;
use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use rust_decimal::Decimal;
/// A local date and time typed in the form, as UTC; 23:59:59 is the end of that day.
pub(crate) fn local(tz: Tz, date: &str, time: &str) -> Option<DateTime<Utc>> {
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    let time = time.trim();
    if time == "23:59:59" || time == "24:00" {
        return Some(calendar::day_bounds(tz, date).1);
    }
    let time = NaiveTime::parse_from_str(time, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M:%S"))
        .ok()
        // chrono reads "10:00:60" as a leap second; no clock on a parking sign shows one.
        .filter(|t| !calendar::is_leap_second(t))?;
    Some(calendar::local_instant(tz, date.and_time(time)))
}

/// The exact times of [Bevestigen], as the check page wrote them.
pub(crate) fn rfc3339(s: &str) -> Option<DateTime<Utc>> {
    calendar::parse_rfc3339(s)
}

pub(crate) fn problem_text(page: &PageContext, problem: ParkingProblem) -> String {
    page.t(&format!("parking.problem.{}", problem.code()))
}

/// The cost's breakdown per local day.
fn breakdown(page: &PageContext, unit: BalanceUnit, breakdown: &CostBreakdown) -> Vec<Value> {
    let locale = match page.prefs.language {
        parkportal_domain::Language::Nl => chrono::Locale::nl_NL,
        parkportal_domain::Language::En => chrono::Locale::en_GB,
    };
    breakdown
        .days
        .iter()
        .map(|d| {
            context! {
                date => d.date.format_localized("%A %-d %B", locale).to_string(),
                minutes => d.paid_seconds / 60,
                cost => amount(unit, d.amount, page.prefs.language),
                capped => d.capped,
            }
        })
        .collect()
}

/// What the check page shows: a new session (with what the resident typed, carried along so
/// that a refused confirmation gives the form back as it was) or an extension.
pub(crate) enum Asked<'a> {
    /// A new session; `start: None` is "nu".
    Start {
        fields: &'a SessionFields,
        start: Option<DateTime<Utc>>,
    },
    /// A later end for `session`.
    Extension { session: &'a ParkingSession },
}

/// The end of allowed hours as read: hours that run to midnight end at 24:00, not at the 00:00
/// the day starts with.
fn closing_time(to: NaiveTime) -> String {
    if to == NaiveTime::MIN {
        "24:00".to_owned()
    } else {
        to.format("%H:%M").to_string()
    }
}

/// The page after [Bekijk kosten] or a refused [Bevestigen]: the cost, or the reasons with the
/// alternatives that fit.
#[expect(
    clippy::too_many_arguments,
    reason = "the check page takes what the start and extend handlers already hold, each by reference"
)]
pub(crate) fn check_page(
    page: &PageContext,
    id: i64,
    card: &parkportal_domain::parking::ProductCard,
    plate: &Plate,
    asked: Asked<'_>,
    end: DateTime<Utc>,
    verdict: &Verdict,
    action: String,
    status: StatusCode,
) -> Result<Response, AppError> {
    let tz = card.product.time_zone;
    let unit = card.product.unit;
    let now = page.state.parking().now();
    let (start, start_value, fields, extension) = match asked {
        Asked::Start { fields, start } => (
            start.map_or(now, |s| s.max(now)),
            start.map_or_else(|| "nu".to_owned(), |s| s.to_rfc3339()),
            Some(fields),
            None,
        ),
        Asked::Extension { session } => (
            session.start,
            session.start.to_rfc3339(),
            None,
            Some(session),
        ),
    };
    // An extension reserves only the difference: its alternatives show what they add.
    let held = extension.map_or(Decimal::ZERO, |s| unit.from_smallest(s.reserved));
    let alternatives: Vec<Value> = verdict
        .alternatives
        .iter()
        .enumerate()
        .map(|(i, a)| {
            // "Tot het einde van de dag" that ends before midnight (the allowed hours' end)
            // says when it ends.
            let local_end = a.end.with_timezone(&tz).time();
            let label = if a.kind == AlternativeKind::EndOfDay && local_end != NaiveTime::MIN {
                page.text(
                    "parking.alternative.until",
                    &[("time", local_end.format("%H:%M").to_string())],
                )
            } else {
                page.t(&format!("parking.alternative.{}", a.kind.as_str()))
            };
            context! {
                value => format!("{}|{}", a.start.to_rfc3339(), a.end.to_rfc3339()),
                label => label,
                start => local_date_time(a.start, tz, page.prefs.language),
                end => end_label(a.end, tz, page.prefs.language),
                cost => amount(unit, a.cost - held, page.prefs.language),
                first => i == 0,
            }
        })
        .collect();
    let reasons: Vec<String> = verdict
        .reasons
        .iter()
        // Texts of an extension speak of extending, not of starting.
        .map(|r| page.t(&refusal_texts::reason(*r, extension.is_some())))
        .collect();
    // Outside the allowed hours: which hours those are.
    let allowed_hours = verdict.allowed_hours.map(|(from, to)| {
        page.text(
            "sessions.allowed_hours",
            &[
                ("from", from.format("%H:%M").to_string()),
                ("to", closing_time(to)),
            ],
        )
    });
    Ok(page
        .render(
            "session_check.html",
            context! {
                product => header_values(page, card),
                allowed => verdict.allowed(),
                reasons => reasons,
                allowed_hours => allowed_hours,
                alternatives => alternatives,
                plate => plate.display(),
                // As typed, so that a refused confirmation gives it back as it was.
                kenteken => fields.map_or_else(|| plate.normalised().to_owned(), |f| f.kenteken.clone()),
                land => plate.country().as_str(),
                start => local_date_time(start, tz, page.prefs.language),
                end => end_label(end, tz, page.prefs.language),
                start_value => start_value,
                end_value => end.to_rfc3339(),
                extending => extension.is_some(),
                eenmalig => parkportal_domain::Token::generate().map_err(AppError::internal)?.expose().to_owned(),
                startmoment => fields.map(|f| if f.starts_now() { "nu" } else { "later" }),
                startdatum => fields.map(|f| f.startdatum.clone()),
                starttijd => fields.map(|f| f.starttijd.clone()),
                einddatum => fields.map(|f| f.einddatum.clone()),
                eindtijd => fields.map(|f| f.eindtijd.clone()),
                cost => amount(unit, verdict.cost(), page.prefs.language),
                has_cost => unit != BalanceUnit::None,
                breakdown => breakdown(page, unit, &verdict.breakdown),
                action => action,
                back_href => page.site.link(&format!("/producten/{id}/parkeeracties/nieuw")),
                // "Uw saldo is niet toereikend": the way out the manual gives is a top-up.
                top_up_href => (verdict.reasons.contains(&ReasonCode::InsufficientBalance)
                    && TopUps::sells(&card.product))
                    .then(|| page.site.link(&format!("/producten/{id}/opwaarderen"))),
            },
        )?
        .with_status(status)
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn hours_that_run_to_midnight_close_at_24_00() {
        let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(closing_time(at(21, 0)), "21:00");
        assert_eq!(closing_time(at(23, 30)), "23:30");
        assert_eq!(closing_time(NaiveTime::MIN), "24:00");
    }

    #[test]
    fn form_times_are_local_and_2359_59_is_the_end_of_the_day() {
        let tz = chrono_tz::Europe::Amsterdam;
        let start = local(tz, "2026-03-02", "10:00").unwrap();
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap());
        let end = local(tz, "2026-03-02", "23:59:59").unwrap();
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 3, 2, 23, 0, 0).unwrap());
        assert!(local(tz, "2026-13-02", "10:00").is_none());
        assert!(
            local(tz, "2026-03-02", "10:00:60").is_none(),
            "a leap second"
        );
        assert!(
            rfc3339("2026-03-02T10:00:60+01:00").is_none(),
            "a leap second"
        );
    }
}
