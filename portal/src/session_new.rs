//! [+] on "Parkeeracties": a new session with its cost before [Bevestigen], "nu" kept as a
//! choice until the moment of confirming, and one session however often [Bevestigen] arrives.

use crate::done::SessionDone;
use crate::input::vehicle;
use crate::once;
use crate::page::{PageContext, ProductPage};
use crate::products::header_values;
use crate::refusal_texts;
use crate::session_check::{Asked, check_page, local, problem_text, rfc3339};
use chrono_tz::Tz;
use minijinja::{Value, context};
use parkportal_domain::ProductId;
use parkportal_domain::idempotency::{Begin, Fingerprint, IdempotencyKey, StoredAnswer};
use parkportal_domain::parking::{
    Outcome, ParkingProblem, ParkingSession, SessionState, StartRequest, Verdict,
};
use parkportal_domain::rules::ReasonCode;
use parkportal_web::AppError;
use parkportal_web::dates::{end_label, local_date_time};
use parkportal_web::page::urlencode;
use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;
/// The form's field a problem is about, if one is.
/// The field a problem is about: `start` and `end` mark a moment's date and time together. A
/// session outside the product's validity is about its end when it starts now.
fn field_of(problem: ParkingProblem, starts_now: bool) -> Option<&'static str> {
    match problem {
        ParkingProblem::OutsideValidity if starts_now => Some("end"),
        ParkingProblem::StartInPast | ParkingProblem::OutsideValidity => Some("start"),
        ParkingProblem::EndBeforeStart | ParkingProblem::NotLater => Some("end"),
        ParkingProblem::PlateNotOnPermit | ParkingProblem::PlateNotOnMandate => Some("kenteken"),
        _ => None,
    }
}

/// The query of the new-session form: a plate chosen in "Kenteken opzoeken".
#[derive(Debug, Deserialize)]
pub struct NewQuery {
    kenteken: Option<String>,
    land: Option<String>,
    /// The start and end typed before "Kenteken opzoeken", brought back.
    #[serde(flatten)]
    moments: TypedMoments,
}

/// `&name=value…` of what the new-session form carries through "Kenteken opzoeken", each value
/// encoded; what is empty or longer than [`TypedMoments::MAX`] is left out.
pub(crate) fn carried(fields: &[(&str, Option<&str>)]) -> String {
    fields
        .iter()
        .filter_map(|(name, value)| {
            value
                .filter(|v| !v.is_empty() && v.len() <= TypedMoments::MAX)
                .map(|v| format!("&{name}={}", urlencode(v)))
        })
        .collect()
}

/// The start and end a resident typed in the new-session form, carried through "Kenteken
/// opzoeken" and back so that picking a plate loses nothing.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct TypedMoments {
    startmoment: Option<String>,
    startdatum: Option<String>,
    starttijd: Option<String>,
    einddatum: Option<String>,
    eindtijd: Option<String>,
}

impl TypedMoments {
    /// The most a carried value may be: a date, a time with seconds, or `later`.
    const MAX: usize = 20;

    fn of(fields: &SessionFields) -> Self {
        Self {
            startmoment: fields.startmoment.clone(),
            startdatum: Some(fields.startdatum.clone()),
            starttijd: Some(fields.starttijd.clone()),
            einddatum: Some(fields.einddatum.clone()),
            eindtijd: Some(fields.eindtijd.clone()),
        }
    }

    /// `&startmoment=later&startdatum=…` for a link (what is empty or too long is left out).
    pub(crate) fn query(&self) -> String {
        carried(&[
            ("startmoment", self.startmoment.as_deref()),
            ("startdatum", self.startdatum.as_deref()),
            ("starttijd", self.starttijd.as_deref()),
            ("einddatum", self.einddatum.as_deref()),
            ("eindtijd", self.eindtijd.as_deref()),
        ])
    }

    /// A carried value, if it came and is not too long.
    fn get(value: &Option<String>) -> Option<String> {
        value.clone().filter(|v| v.len() <= Self::MAX)
    }
}

fn form_values(
    page: &PageContext,
    id: i64,
    tz: Tz,
    fields: &SessionFields,
    error: Option<(String, Option<&'static str>)>,
) -> Value {
    let (error, error_field) = match error {
        Some((message, field)) => (Some(message), field),
        None => (None, None),
    };
    context! {
        start_now => fields.starts_now(),
        action => page.site.link(&format!("/producten/{id}/parkeeracties/nieuw")),
        back_href => page.site.link(&format!("/producten/{id}/parkeeracties")),
        kenteken => fields.kenteken.clone(),
        land => fields.land.clone().unwrap_or_else(|| "NL".into()),
        startdatum => fields.startdatum.clone(),
        starttijd => fields.starttijd.clone(),
        einddatum => fields.einddatum.clone(),
        eindtijd => fields.eindtijd.clone(),
        error => error,
        // The field the error is about: it is marked invalid and described by the error.
        error_field => error_field,
        zone_name => tz.name(),
    }
}

/// `GET /producten/{id}/parkeeracties/nieuw`: [+], with now and the end of the day filled in.
#[handler]
pub async fn new_form(
    Path(id): Path<i64>,
    Query(q): Query<NewQuery>,
    ProductPage {
        mut page,
        account: _,
        card,
    }: ProductPage,
) -> Result<Response, AppError> {
    let tz = card.product.time_zone;
    let now = page.state.parking().now().with_timezone(&tz);
    let fields = SessionFields {
        // A plate chosen in "Kenteken opzoeken" arrives normalised: shown as it is written.
        kenteken: q
            .kenteken
            .map(|k| match vehicle(&k, q.land.as_deref()) {
                Ok(p) if p.sidecode().is_some() => p.display(),
                Ok(p) => p.normalised().to_owned(),
                Err(_) => k,
            })
            .unwrap_or_default(),
        land: q.land,
        // "Nu" stays a choice: the moment of [Bevestigen] is the start, however long the
        // resident looks at the cost. The date and time are there for a later start. What was
        // typed before "Kenteken opzoeken" comes back instead.
        startmoment: Some(
            TypedMoments::get(&q.moments.startmoment)
                .filter(|m| m == "later")
                .unwrap_or_else(|| "nu".into()),
        ),
        startdatum: TypedMoments::get(&q.moments.startdatum)
            .unwrap_or_else(|| now.format("%Y-%m-%d").to_string()),
        starttijd: TypedMoments::get(&q.moments.starttijd)
            .unwrap_or_else(|| now.format("%H:%M").to_string()),
        einddatum: TypedMoments::get(&q.moments.einddatum)
            .unwrap_or_else(|| now.format("%Y-%m-%d").to_string()),
        eindtijd: TypedMoments::get(&q.moments.eindtijd).unwrap_or_else(|| "23:59:59".into()),
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
    /// `bekijk` (show the cost) or `bevestig` ([Bevestigen]).
    #[serde(default)]
    pub(crate) stap: String,
    #[serde(default)]
    pub(crate) kenteken: String,
    pub(crate) land: Option<String>,
    /// `nu` (start at the moment of confirming) or `later` (the date and time below).
    pub(crate) startmoment: Option<String>,
    #[serde(default)]
    pub(crate) startdatum: String,
    #[serde(default)]
    pub(crate) starttijd: String,
    #[serde(default)]
    pub(crate) einddatum: String,
    #[serde(default)]
    pub(crate) eindtijd: String,
    /// On confirmation: the exact start (RFC 3339, or `nu`) and end, or an alternative's
    /// "start|end".
    pub(crate) start: Option<String>,
    pub(crate) end: Option<String>,
    pub(crate) gekozen: Option<String>,
    /// "Kenteken opzoeken", a button of the form (its own name: the form's hidden `stap` is sent
    /// along with it).
    pub(crate) opzoeken: Option<String>,
    /// The confirm form's one-time token: a second [Bevestigen] (a double click) gets the first
    /// one's answer and makes nothing.
    pub(crate) eenmalig: Option<String>,
}

impl SessionFields {
    /// Whether the resident chose "nu" (the form's default) rather than the typed start; a
    /// form without the choice means the typed start.
    pub(crate) fn starts_now(&self) -> bool {
        self.startmoment.as_deref() == Some("nu")
    }
}

/// `POST /producten/{id}/parkeeracties/nieuw`: [Bekijk kosten], then [Bevestigen].
#[handler]
pub async fn new_submit(
    Path(id): Path<i64>,
    Form(f): Form<SessionFields>,
    ProductPage {
        mut page,
        account,
        card,
    }: ProductPage,
) -> Result<Response, AppError> {
    let tz = card.product.time_zone;
    // "Kenteken opzoeken" is a button of the form: the lookup carries what was typed along.
    if f.opzoeken.is_some() {
        let lookup = page.site.link(&format!("/producten/{id}/kentekens"));
        let moments = TypedMoments::of(&f).query();
        let query = moments.strip_prefix('&').unwrap_or(&moments);
        let typed = carried(&[
            ("kenteken", Some(f.kenteken.as_str())),
            ("land", f.land.as_deref()),
        ]);
        return Ok(page.see_other(&format!("{lookup}?{query}{typed}")));
    }
    // A refused form comes back with everything the resident typed (the confirm page carries
    // it along).
    let form_page =
        |error: (String, Option<&'static str>), parked: Option<Value>, status: StatusCode| {
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
    let form_error = |error: String, field: Option<&'static str>| {
        form_page((error, field), None, StatusCode::UNPROCESSABLE_ENTITY)
    };
    let plate = match vehicle(&f.kenteken, f.land.as_deref()) {
        Ok(p) => p,
        Err(e) => return form_error(page.t(e.code.message_key()), Some(e.field)),
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
            (None, _) => return form_error(page.t("parking.problem.time_invalid"), Some("start")),
            (_, None) => return form_error(page.t("parking.problem.time_invalid"), Some("end")),
        }
    };
    let request = StartRequest {
        plate: plate.clone(),
        start,
        end: Some(end),
    };
    let starts_now = request.start.is_none();
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
                extend_href => (other.account == Some(account.id)).then(|| {
                    page.site.link(&format!("/parkeeracties/{}/verlengen", other.id.0))
                }),
            }
        });
        form_page(
            (
                page.t(&refusal_texts::reason(
                    ReasonCode::PlateAlreadyParked,
                    false,
                )),
                Some("kenteken"),
            ),
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
            Outcome::Invalid(problem) => {
                form_error(problem_text(&page, problem), field_of(problem, starts_now))
            }
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
        Begin::InUse => return form_error(page.t("sessions.confirm_in_use"), None),
        Begin::Reused => return form_error(page.t("sessions.already_confirmed"), None),
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
        (Outcome::Done(session), Some(to)) => {
            let done = if session.state(page.state.parking().now()) == SessionState::Planned {
                SessionDone::Planned
            } else if request.moved_to_now(&session) {
                SessionDone::StartedNow
            } else {
                SessionDone::Started
            };
            let said = page.session_done(done, &session, &card.product, 0);
            Ok(page.see_other_saying(&to, &said))
        }
        (Outcome::Refused(v), _) => refused(&v, StatusCode::CONFLICT),
        (Outcome::AlreadyParked(other), _) => already_parked(other),
        (Outcome::Invalid(problem), _) => {
            form_error(problem_text(&page, problem), field_of(problem, starts_now))
        }
        (Outcome::Done(_) | Outcome::NotFound, _) => Err(AppError::NotFound),
    }
}
