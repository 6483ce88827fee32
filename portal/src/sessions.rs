//! "Parkeeracties" of the chosen product: the tabs Lopend and Gepland, [+] for a new session
//! with its cost before [Bevestigen], the checks with their alternatives, [Stop], [Verwijder] and
//! [Verleng], and "Kenteken opzoeken".

use crate::once;
use crate::products::{header_values, own_card};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use minijinja::{Value, context};
use parkportal_domain::calendar;
use parkportal_domain::idempotency::{Begin, Fingerprint, IdempotencyKey, StoredAnswer};
use parkportal_domain::parking::{
    Outcome, ParkingProblem, ParkingSession, SessionState, StartRequest, Verdict,
    needs_active_plate,
};
use parkportal_domain::plate::{Country, Plate};
use parkportal_domain::rules::ReasonCode;
use parkportal_domain::top_up::TopUps;
use parkportal_domain::{Account, BalanceUnit, ProductId, SessionId};
use parkportal_web::dates::{end_label, local_date_time};
use parkportal_web::format::amount;
use parkportal_web::{AppError, PageContext};
use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use rust_decimal::Decimal;
use serde::Deserialize;

fn session_values(page: &PageContext, s: &ParkingSession, unit: BalanceUnit, tz: Tz) -> Value {
    let now = page.state.parking().now();
    context! {
        id => s.id.0,
        plate => s.plate.display(),
        country => s.plate.country().as_str(),
        foreign => s.plate.country() != Country::NL,
        start => local_date_time(s.start, tz, page.prefs.language),
        end => end_label(s.end, tz, page.prefs.language),
        cost => (unit != BalanceUnit::None).then(|| amount(unit, unit.from_smallest(s.reserved), page.prefs.language)),
        running => s.state(now) == SessionState::Running,
        end_href => page.site.link(&format!("/parkeeracties/{}/beeindigen", s.id.0)),
        extend_href => page.site.link(&format!("/parkeeracties/{}/verlengen", s.id.0)),
        // Who started a session acts on it: the owner sees a mandatee's without actions.
        mine => page.account.as_ref().is_some_and(|a| a.id == s.account),
    }
}

/// The query of the sessions page.
#[derive(Debug, Deserialize)]
pub struct TabQuery {
    /// `gepland` shows the planned sessions; else the running ones.
    tab: Option<String>,
    /// `nu`: the session just started now, its typed start having passed.
    gestart: Option<String>,
}

/// `GET /producten/{id}/parkeeracties`: the tabs Lopend and Gepland with their counts.
#[handler]
pub async fn list(
    mut page: PageContext,
    Path(id): Path<i64>,
    Query(q): Query<TabQuery>,
) -> Result<Response, AppError> {
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    let card = own_card(&mut page, &account, ProductId(id)).await?;
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
        .partition(|s| s.state(now) == SessionState::Running);
    // The owner sees who started a mandatee's session: the mandate's address.
    let mandatees = if sessions.iter().any(|s| s.account != account.id) {
        page.state
            .mandates()
            .list(&account, ProductId(id))
            .await
            .map_err(AppError::internal)?
            .map(|(_, given)| given)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let shown: Vec<Value> = if planned_tab { &planned } else { &running }
        .iter()
        .map(|s| {
            let by = s
                .mandate
                .and_then(|m| mandatees.iter().find(|g| g.id == m))
                .map(|g| g.email.to_string());
            context! { ..session_values(&page, s, unit, tz), ..context! { by => by } }
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
                notice => (q.gestart.as_deref() == Some("nu")).then(|| page.t("sessions.started_now")),
                switch_href => needs_active_plate(&card.product)
                    .then(|| page.site.link(&format!("/producten/{id}/kentekenswitch"))),
            },
        )?
        .into_response())
}

/// The query of the new-session form: a plate chosen in "Kenteken opzoeken".
#[derive(Debug, Deserialize)]
pub struct NewQuery {
    kenteken: Option<String>,
    land: Option<String>,
}

fn form_values(
    page: &PageContext,
    id: i64,
    tz: Tz,
    fields: &SessionFields,
    error: Option<String>,
) -> Value {
    context! {
        start_now => fields.starts_now(),
        action => page.site.link(&format!("/producten/{id}/parkeeracties/nieuw")),
        lookup_href => page.site.link(&format!("/producten/{id}/kentekens")),
        back_href => page.site.link(&format!("/producten/{id}/parkeeracties")),
        kenteken => fields.kenteken.clone(),
        land => fields.land.clone().unwrap_or_else(|| "NL".into()),
        startdatum => fields.startdatum.clone(),
        starttijd => fields.starttijd.clone(),
        einddatum => fields.einddatum.clone(),
        eindtijd => fields.eindtijd.clone(),
        error => error,
        zone_name => tz.name(),
    }
}

/// `GET /producten/{id}/parkeeracties/nieuw`: [+], with now and the end of the day filled in.
#[handler]
pub async fn new_form(
    mut page: PageContext,
    Path(id): Path<i64>,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    let card = own_card(&mut page, &account, ProductId(id)).await?;
    let tz = card.product.time_zone;
    let now = page.state.parking().now().with_timezone(&tz);
    let fields = SessionFields {
        kenteken: q.kenteken.unwrap_or_default(),
        land: q.land,
        // "Nu" stays a choice: the moment of [Bevestigen] is the start, however long the
        // resident looks at the cost. The date and time are there for a later start.
        startmoment: Some("nu".into()),
        startdatum: now.format("%Y-%m-%d").to_string(),
        starttijd: now.format("%H:%M").to_string(),
        einddatum: now.format("%Y-%m-%d").to_string(),
        eindtijd: "23:59:59".into(),
        ..SessionFields::default()
    };
    let values = form_values(&page, id, tz, &fields, None);
    Ok(page
        .render(
            "session_new.html",
            context! { product => header_values(&page, &card), ..values },
        )?
        .into_response())
}

/// The new-session form, and its confirmation.
#[derive(Debug, Default, Deserialize)]
pub struct SessionFields {
    #[serde(default)]
    csrf: String,
    /// `bekijk` (show the cost) or `bevestig` ([Bevestigen]).
    #[serde(default)]
    stap: String,
    #[serde(default)]
    kenteken: String,
    land: Option<String>,
    /// `nu` (start at the moment of confirming) or `later` (the date and time below).
    startmoment: Option<String>,
    #[serde(default)]
    startdatum: String,
    #[serde(default)]
    starttijd: String,
    #[serde(default)]
    einddatum: String,
    #[serde(default)]
    eindtijd: String,
    /// On confirmation: the exact start (RFC 3339, or `nu`) and end, or an alternative's
    /// "start|end".
    start: Option<String>,
    end: Option<String>,
    gekozen: Option<String>,
    /// The confirm form's one-time token: a second [Bevestigen] (a double click) gets the first
    /// one's answer and makes nothing.
    eenmalig: Option<String>,
}

impl SessionFields {
    /// Whether the resident chose "nu" (the form's default) rather than the typed start; a
    /// form without the choice means the typed start.
    fn starts_now(&self) -> bool {
        self.startmoment.as_deref() == Some("nu")
    }
}

/// A local date and time typed in the form, as UTC; 23:59:59 is the end of that day.
fn local(tz: Tz, date: &str, time: &str) -> Option<DateTime<Utc>> {
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
fn rfc3339(s: &str) -> Option<DateTime<Utc>> {
    calendar::parse_rfc3339(s)
}

fn problem_text(page: &PageContext, problem: ParkingProblem) -> String {
    page.t(&format!("parking.problem.{}", problem.code()))
}

/// The cost's breakdown per local day, from the stored JSON.
fn breakdown(page: &PageContext, unit: BalanceUnit, json: &str) -> Vec<Value> {
    let parsed: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    parsed["days"]
        .as_array()
        .map(|days| {
            days.iter()
                .map(|d| {
                    let minutes = d["paid_seconds"].as_i64().unwrap_or(0) / 60;
                    let cost = d["amount"]
                        .as_str()
                        .and_then(|a| a.parse::<Decimal>().ok())
                        .unwrap_or_default();
                    let date = d["date"]
                        .as_str()
                        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                        .map(|date| {
                            date.format_localized(
                                "%A %-d %B",
                                match page.prefs.language {
                                    parkportal_domain::Language::Nl => chrono::Locale::nl_NL,
                                    parkportal_domain::Language::En => chrono::Locale::en_GB,
                                },
                            )
                            .to_string()
                        })
                        .unwrap_or_default();
                    context! {
                        date => date,
                        minutes => minutes,
                        cost => amount(unit, cost, page.prefs.language),
                        capped => d["capped"].as_bool().unwrap_or(false),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What the check page shows: a new session (with what the resident typed, carried along so
/// that a refused confirmation gives the form back as it was) or an extension.
enum Asked<'a> {
    /// A new session; `start: None` is "nu".
    Start {
        fields: &'a SessionFields,
        start: Option<DateTime<Utc>>,
    },
    /// A later end for `session`.
    Extension { session: &'a ParkingSession },
}

/// The page after [Bekijk kosten] or a refused [Bevestigen]: the cost, or the reasons with the
/// alternatives that fit.
#[allow(clippy::too_many_arguments)]
fn check_page(
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
    // Texts of an extension speak of extending, not of starting.
    let reason_section = if extension.is_some() {
        "parking.extend_reason"
    } else {
        "parking.reason"
    };
    let alternatives: Vec<Value> = verdict
        .alternatives
        .iter()
        .enumerate()
        .map(|(i, a)| {
            context! {
                value => format!("{}|{}", a.start.to_rfc3339(), a.end.to_rfc3339()),
                kind => format!("parking.alternative.{}", a.kind.as_str()),
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
        .map(|r| page.t(&format!("{reason_section}.{}", r.as_str())))
        .collect();
    Ok(page
        .render(
            "session_check.html",
            context! {
                product => header_values(page, card),
                allowed => verdict.allowed(),
                reasons => reasons,
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
                cost => amount(unit, verdict.cost, page.prefs.language),
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

/// `POST /producten/{id}/parkeeracties/nieuw`: [Bekijk kosten], then [Bevestigen].
#[handler]
pub async fn new_submit(
    mut page: PageContext,
    Path(id): Path<i64>,
    Form(f): Form<SessionFields>,
) -> Result<Response, AppError> {
    page.check_csrf(&f.csrf)?;
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    let card = own_card(&mut page, &account, ProductId(id)).await?;
    let tz = card.product.time_zone;
    // A refused form comes back with everything the resident typed (the confirm page carries
    // it along).
    let form_page = |error: String, parked: Option<Value>, status: StatusCode| {
        let values = form_values(&page, id, tz, &f, Some(error));
        Ok::<_, AppError>(
            page.render(
                "session_new.html",
                context! { product => header_values(&page, &card), parked => parked, ..values },
            )?
            .with_status(status)
            .into_response(),
        )
    };
    let form_error = |error: String| form_page(error, None, StatusCode::UNPROCESSABLE_ENTITY);
    let country = match Country::parse(f.land.as_deref().unwrap_or("NL")) {
        Ok(c) => c,
        Err(_) => return form_error(page.t("parking.problem.country_invalid")),
    };
    let plate = match Plate::parse(&f.kenteken, country) {
        Ok(p) => p,
        Err(_) => return form_error(page.t("parking.problem.plate_invalid")),
    };
    let confirming = f.stap == "bevestig";
    let (start, end) = if confirming {
        let chosen = f.gekozen.as_deref().and_then(|g| g.split_once('|'));
        let (s, e) = match chosen {
            Some((s, e)) => (rfc3339(s).map(Some), rfc3339(e)),
            None => (
                match f.start.as_deref() {
                    Some("nu") => Some(None),
                    other => other.and_then(rfc3339).map(Some),
                },
                f.end.as_deref().and_then(rfc3339),
            ),
        };
        match (s, e) {
            (Some(s), Some(e)) => (s, e),
            _ => return Err(AppError::BadRequest),
        }
    } else {
        let start = if f.starts_now() {
            Some(None)
        } else {
            local(tz, &f.startdatum, &f.starttijd).map(Some)
        };
        match (start, local(tz, &f.einddatum, &f.eindtijd)) {
            (Some(s), Some(e)) => (s, e),
            _ => return form_error(page.t("parking.problem.time_invalid")),
        }
    };
    let request = StartRequest {
        plate: plate.clone(),
        start,
        end: Some(end),
    };
    let parking = page.state.parking();
    let action = page
        .site
        .link(&format!("/producten/{id}/parkeeracties/nieuw"));
    let refused = |v: &Verdict, status: StatusCode| {
        check_page(
            &page,
            id,
            &card,
            &plate,
            Asked::Start { fields: &f, start },
            end,
            v,
            action.clone(),
            status,
        )
    };
    // The session the plate parks in, when the resident may see it; [Verleng] only on their own.
    let already_parked = |other: Option<Box<ParkingSession>>| {
        let parked = other.map(|other| {
            context! {
                start => local_date_time(other.start, tz, page.prefs.language),
                end => end_label(other.end, tz, page.prefs.language),
                extend_href => (other.account == account.id).then(|| {
                    page.site.link(&format!("/parkeeracties/{}/verlengen", other.id.0))
                }),
            }
        });
        form_page(
            page.t("parking.reason.plate_already_parked"),
            parked,
            StatusCode::CONFLICT,
        )
    };
    if !confirming {
        return match parking
            .quote(&account, ProductId(id), request)
            .await
            .map_err(AppError::internal)?
        {
            Outcome::Done(v) | Outcome::Refused(v) => refused(&v, StatusCode::OK),
            Outcome::AlreadyParked(other) => already_parked(other),
            Outcome::Invalid(problem) => form_error(problem_text(&page, problem)),
            Outcome::NotFound => Err(AppError::NotFound),
        };
    }
    // [Bevestigen] once: a second submission of the same confirm form (a double click) gets the
    // first one's answer.
    let key = f
        .eenmalig
        .as_deref()
        .and_then(IdempotencyKey::of_form)
        .ok_or(AppError::BadRequest)?;
    let fingerprint = Fingerprint::of(&[
        page.path.as_bytes(),
        plate.normalised().as_bytes(),
        plate.country().as_str().as_bytes(),
        f.start.as_deref().unwrap_or("").as_bytes(),
        f.end.as_deref().unwrap_or("").as_bytes(),
        f.gekozen.as_deref().unwrap_or("").as_bytes(),
    ]);
    match once::begin(&page.state, account.id, &key, &fingerprint)
        .await
        .map_err(AppError::internal)?
    {
        Begin::Proceed => {}
        Begin::Replay(answer) => return Ok(once::replay(answer)),
        Begin::InUse => return form_error(page.t("sessions.confirm_in_use")),
        Begin::Reused => return form_error(page.t("sessions.already_confirmed")),
    }
    // The start and keeping its answer run to their end in a task of their own: a resident who
    // leaves the page must not cancel the request between the two.
    let started = tokio::spawn({
        let (state, account, request, key) = (
            page.state.clone(),
            account.clone(),
            request.clone(),
            key.clone(),
        );
        let site = page.site.clone();
        async move {
            let outcome = state
                .parking()
                .start(&account, ProductId(id), request.clone())
                .await;
            let Ok(Outcome::Done(session)) = &outcome else {
                // Nothing was made: the token may be used again, for this form as it comes back.
                once::release(&state, account.id, &key).await;
                return (outcome, None);
            };
            let query = if session.state(state.parking().now()) == SessionState::Planned {
                "?tab=gepland"
            } else if request.moved_to_now(session) {
                "?gestart=nu"
            } else {
                ""
            };
            let to = site.link(&format!("/producten/{id}/parkeeracties{query}"));
            let answer = StoredAnswer {
                status: StatusCode::SEE_OTHER.as_u16(),
                content_type: None,
                location: Some(to.clone()),
                body: String::new(),
            };
            if let Err(e) = state
                .idempotency()
                .complete(account.id, &key, &answer)
                .await
            {
                // The session is made; only a repeat would not find the answer.
                tracing::error!(error = %e, "a confirm form's answer was not kept");
            }
            (outcome, Some(to))
        }
    });
    let (outcome, to) = match started.await {
        Ok(done) => done,
        Err(panicked) => {
            once::release(&page.state, account.id, &key).await;
            return Err(AppError::internal(panicked));
        }
    };
    match (outcome.map_err(AppError::internal)?, to) {
        (Outcome::Done(_), Some(to)) => Ok(page.see_other(&to)),
        (Outcome::Refused(v), _) => refused(&v, StatusCode::CONFLICT),
        (Outcome::AlreadyParked(other), _) => already_parked(other),
        (Outcome::Invalid(problem), _) => form_error(problem_text(&page, problem)),
        (Outcome::Done(_) | Outcome::NotFound, _) => Err(AppError::NotFound),
    }
}

/// A session of the resident with its product's card, or 404.
async fn own_session(
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

/// A form with only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    csrf: String,
}

/// `POST /parkeeracties/{id}/beeindigen`: [Stop] (the unused part comes back) or [Verwijder]
/// (all of it comes back).
#[handler]
pub async fn finish(
    mut page: PageContext,
    Path(id): Path<i64>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, AppError> {
    page.check_csrf(&f.csrf)?;
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    let (session, _) = own_session(&mut page, &account, id).await?;
    let planned = session.state(page.state.parking().now()) == SessionState::Planned;
    match page
        .state
        .parking()
        .end(&account, SessionId(id))
        .await
        .map_err(AppError::internal)?
    {
        Outcome::Done(_) | Outcome::Invalid(_) => {
            let tab = if planned { "?tab=gepland" } else { "" };
            Ok(page.see_other(&page.site.link(&format!(
                "/producten/{}/parkeeracties{tab}",
                session.product.0
            ))))
        }
        Outcome::Refused(_) | Outcome::AlreadyParked(_) | Outcome::NotFound => {
            Err(AppError::NotFound)
        }
    }
}

/// `GET /parkeeracties/{id}/verlengen`: [Verleng], a later end.
#[handler]
pub async fn extend_form(mut page: PageContext, Path(id): Path<i64>) -> Result<Response, AppError> {
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    let (session, card) = own_session(&mut page, &account, id).await?;
    let tz = card.product.time_zone;
    let proposal = session.end + Duration::hours(1);
    let local = proposal.with_timezone(&tz);
    extend_page(
        &page,
        &session,
        &card,
        local.format("%Y-%m-%d").to_string(),
        local.format("%H:%M").to_string(),
        None,
        StatusCode::OK,
    )
}

#[allow(clippy::too_many_arguments)]
fn extend_page(
    page: &PageContext,
    session: &ParkingSession,
    card: &parkportal_domain::parking::ProductCard,
    date: String,
    time: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let tz = card.product.time_zone;
    Ok(page
        .render(
            "session_extend.html",
            context! {
                product => header_values(page, card),
                session => session_values(page, session, card.product.unit, tz),
                einddatum => date,
                eindtijd => time,
                error => error,
                action => page.site.link(&format!("/parkeeracties/{}/verlengen", session.id.0)),
                back_href => page.site.link(&format!("/producten/{}/parkeeracties", session.product.0)),
            },
        )?
        .with_status(status)
        .into_response())
}

/// The extension form.
#[derive(Debug, Deserialize)]
pub struct ExtendForm {
    csrf: String,
    #[serde(default)]
    einddatum: String,
    #[serde(default)]
    eindtijd: String,
    /// An alternative's "start|end".
    gekozen: Option<String>,
}

/// `POST /parkeeracties/{id}/verlengen`: checked like a start; refused, the reasons with the
/// alternatives that fit.
#[handler]
pub async fn extend(
    mut page: PageContext,
    Path(id): Path<i64>,
    Form(f): Form<ExtendForm>,
) -> Result<Response, AppError> {
    page.check_csrf(&f.csrf)?;
    let Some(account) = page.account.clone() else {
        return Ok(page.login_redirect());
    };
    let (session, card) = own_session(&mut page, &account, id).await?;
    let tz = card.product.time_zone;
    let end = match f.gekozen.as_deref().and_then(|g| g.split_once('|')) {
        Some((_, e)) => rfc3339(e),
        None => local(tz, &f.einddatum, &f.eindtijd),
    };
    let Some(end) = end else {
        return extend_page(
            &page,
            &session,
            &card,
            f.einddatum,
            f.eindtijd,
            Some(page.t("parking.problem.time_invalid")),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    match page
        .state
        .parking()
        .extend(&account, SessionId(id), end)
        .await
        .map_err(AppError::internal)?
    {
        Outcome::Done(_) => Ok(page.see_other(
            &page
                .site
                .link(&format!("/producten/{}/parkeeracties", session.product.0)),
        )),
        Outcome::Refused(v) => check_page(
            &page,
            session.product.0,
            &card,
            &session.plate,
            Asked::Extension { session: &session },
            end,
            &v,
            page.site.link(&format!("/parkeeracties/{id}/verlengen")),
            StatusCode::CONFLICT,
        ),
        Outcome::AlreadyParked(other) => {
            let text = match other {
                Some(other) => page.state.catalogues().text(
                    page.prefs.language,
                    "sessions.extend_overlaps",
                    &[
                        (
                            "start",
                            local_date_time(other.start, tz, page.prefs.language),
                        ),
                        ("end", end_label(other.end, tz, page.prefs.language)),
                    ],
                ),
                None => page.t("parking.extend_reason.plate_already_parked"),
            };
            extend_page(
                &page,
                &session,
                &card,
                f.einddatum,
                f.eindtijd,
                Some(text),
                StatusCode::CONFLICT,
            )
        }
        Outcome::Invalid(problem) => extend_page(
            &page,
            &session,
            &card,
            f.einddatum,
            f.eindtijd,
            Some(problem_text(&page, problem)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Outcome::NotFound => Err(AppError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

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
