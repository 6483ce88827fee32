//! `GET/POST /beheer/{gemeente}/instellingen` (#24): a gemeente's settings for its beheerders:
//! display name, contact line and return address (letters and the footer), default language,
//! time zone, the footer's links, plate retention; host names and the public URL for the
//! platformbeheerder alone (a beheerder sees them, cannot change them). The form is saved
//! against the version it was shown with; what was typed stays on every refusal.
//!
//! Every POST leaves one audit entry: `tenant.settings_changed` with each setting before and
//! after, or refused with its code.

use crate::page::{ConsolePage, context_of, see_other};
use minijinja::{Value, context};
use parkportal_domain::footer_links::LINK_MAX;
use parkportal_domain::gemeente_look::{
    CONTACT_MAX, FieldProblem, GemeenteSettings, LookChange, LookError, LookOutcome, NAME_MAX,
    RETURN_LINE_MAX, SettingsInput,
};
use parkportal_domain::privacy::PlateRetention;
use parkportal_domain::staff::Role;
use parkportal_domain::tenant::LETTER_RETURN_LINES;
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::{Form, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The time zones offered: the Netherlands in Europe, and in the Caribbean (Bonaire, Sint
/// Eustatius and Saba). Any other IANA name a gemeente has stays selectable.
const TIME_ZONES: &[&str] = &["Europe/Amsterdam", "America/Kralendijk"];

/// The settings form.
#[derive(Debug, Default, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    naam: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    retouradres: String,
    #[serde(default)]
    taal: String,
    #[serde(default)]
    tijdzone: String,
    #[serde(default)]
    privacy: String,
    #[serde(default)]
    contactpagina: String,
    #[serde(default)]
    toegankelijkheid: String,
    #[serde(default)]
    bewaartermijn: String,
    /// Sent only by the platformbeheerder's form.
    hostnamen: Option<String>,
    /// Sent only by the platformbeheerder's form.
    publieke_url: Option<String>,
    #[serde(default)]
    versie: String,
}

impl SettingsForm {
    fn input(&self) -> SettingsInput {
        SettingsInput {
            name: self.naam.clone(),
            contact: self.contact.clone(),
            return_address: self.retouradres.clone(),
            default_language: self.taal.clone(),
            time_zone: self.tijdzone.clone(),
            privacy_url: self.privacy.clone(),
            contact_url: self.contactpagina.clone(),
            accessibility_url: self.toegankelijkheid.clone(),
            plate_retention_days: self.bewaartermijn.clone(),
            hosts: self.hostnamen.clone(),
            public_url: self.publieke_url.clone(),
        }
    }
}

/// What the page after a save says.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    gedaan: Option<String>,
}

const ACTION: &str = "tenant.settings_changed";

/// Whether the page's visitor is a platformbeheerder here.
fn platform(page: &ConsolePage) -> Result<bool, AppError> {
    Ok(context_of(page)?.role == Role::PlatformAdmin)
}

/// What a page shows of a refusal: a message, and per field its error.
struct Refusal {
    status: StatusCode,
    message: Option<String>,
    fields: Vec<(&'static str, String)>,
}

async fn show(
    page: &ConsolePage,
    input: &SettingsInput,
    version: i64,
    refusal: Option<Refusal>,
    saved: bool,
) -> Result<Response, AppError> {
    let ctx = context_of(page)?;
    let status = refusal.as_ref().map_or(StatusCode::OK, |r| r.status);
    let errors: std::collections::BTreeMap<&str, String> = refusal
        .as_ref()
        .map(|r| r.fields.iter().cloned().collect())
        .unwrap_or_default();
    let summary: Vec<Value> = refusal
        .as_ref()
        .map(|r| {
            r.fields
                .iter()
                .map(|(field, message)| context! { field => *field, message => message.clone() })
                .collect()
        })
        .unwrap_or_default();
    let mut zones: Vec<String> = TIME_ZONES.iter().map(|z| (*z).to_owned()).collect();
    if !zones.contains(&input.time_zone) && !input.time_zone.is_empty() {
        zones.push(input.time_zone.clone());
    }
    page.render(
        "gemeente_settings.html",
        status,
        context! {
            action => format!("/beheer/{}/instellingen", ctx.tenant.slug),
            platform => platform(page)?,
            input => context! {
                naam => input.name.clone(),
                contact => input.contact.clone(),
                retouradres => input.return_address.clone(),
                taal => input.default_language.clone(),
                tijdzone => input.time_zone.clone(),
                privacy => input.privacy_url.clone(),
                contactpagina => input.contact_url.clone(),
                toegankelijkheid => input.accessibility_url.clone(),
                bewaartermijn => input.plate_retention_days.clone(),
                hostnamen => input.hosts.clone().unwrap_or_default(),
                publieke_url => input.public_url.clone().unwrap_or_default(),
            },
            version => version,
            zones => zones,
            errors => errors,
            summary => summary,
            message => refusal.and_then(|r| r.message),
            saved => saved,
            limits => context! {
                name => NAME_MAX,
                contact => CONTACT_MAX,
                return_lines => LETTER_RETURN_LINES,
                return_line => RETURN_LINE_MAX,
                link => LINK_MAX,
                retention => PlateRetention::MAX_DAYS,
            },
        },
    )
    .await
}

/// The gemeente's settings now, with the version of its configuration.
async fn current(page: &ConsolePage) -> Result<(GemeenteSettings, i64), AppError> {
    let (config, version) = crate::look_shared::current(page).await?;
    Ok((GemeenteSettings::of(&config), version))
}

/// `GET`: the settings as they are.
#[handler]
pub async fn form(page: ConsolePage, Query(done): Query<Done>) -> Result<Response, AppError> {
    let (settings, version) = current(&page).await?;
    let saved = done.gedaan.as_deref() == Some("opgeslagen");
    show(&page, &SettingsInput::of(&settings), version, None, saved).await
}

/// The form's name of a setting the use case names.
fn form_field(setting: &str) -> &'static str {
    match setting {
        "name" => "naam",
        "contact" => "contact",
        "return_address" => "retouradres",
        "default_language" => "taal",
        "time_zone" => "tijdzone",
        "privacy_url" => "privacy",
        "contact_url" => "contactpagina",
        "accessibility_url" => "toegankelijkheid",
        "plate_retention_days" => "bewaartermijn",
        "hosts" => "hostnamen",
        _ => "publieke_url",
    }
}

/// The message of a field's problem.
fn field_message(page: &ConsolePage, problem: FieldProblem) -> String {
    page.text(
        &format!("console.settings.error.{}.{}", problem.field, problem.code),
        &[
            ("max", NAME_MAX.to_string()),
            ("contact_max", CONTACT_MAX.to_string()),
            ("lines", LETTER_RETURN_LINES.to_string()),
            ("line_max", RETURN_LINE_MAX.to_string()),
            ("days", PlateRetention::MAX_DAYS.to_string()),
        ],
    )
}

/// `POST`: checks the settings typed and saves them with their audit entry.
#[handler]
pub async fn submit(
    page: ConsolePage,
    req: &Request,
    Form(sent): Form<SettingsForm>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let entry = page.entry(req, ACTION)?;
    let (settings, version) = current(&page).await?;
    let input = sent.input();
    // What the page shows again: a beheerder's form sends no host names or public URL.
    let shown_input = {
        let stored = SettingsInput::of(&settings);
        SettingsInput {
            hosts: input.hosts.clone().or(stored.hosts),
            public_url: input.public_url.clone().or(stored.public_url),
            ..input.clone()
        }
    };
    let shown = sent.versie.trim().parse::<i64>().unwrap_or(-1);
    let refuse = |code: &str| {
        entry
            .clone()
            .about("tenant", ctx.tenant.slug.as_str())
            .refused(code)
    };
    let parsed = match input.parse(&settings) {
        Ok(parsed) => parsed,
        Err(problems) => {
            page.console.record(&refuse("invalid")).await?;
            let fields = problems
                .iter()
                .map(|p| (form_field(p.field), field_message(&page, *p)))
                .collect();
            let refusal = Refusal {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: None,
                fields,
            };
            return show(&page, &shown_input, shown, Some(refusal), false).await;
        }
    };
    let outcome = page
        .console
        .gemeente_look()
        .change(
            &ctx.tenant.slug,
            shown,
            LookChange::Settings(parsed),
            platform(&page)?,
            entry.clone(),
        )
        .await;
    let (status, message, fields, code) = match outcome {
        Ok(LookOutcome::Saved { .. }) => {
            let path = format!("/beheer/{}/instellingen?gedaan=opgeslagen", ctx.tenant.slug);
            return Ok(see_other(&path));
        }
        Ok(LookOutcome::Stale) => (
            StatusCode::CONFLICT,
            Some(page.t("console.settings.stale")),
            Vec::new(),
            "stale",
        ),
        Err(LookError::PlatformOnly) => (
            StatusCode::FORBIDDEN,
            None,
            vec![(
                "hostnamen",
                page.t("console.settings.error.hosts.platform_only"),
            )],
            "platform_only",
        ),
        Err(LookError::HostTaken { host, owner }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            vec![(
                "hostnamen",
                page.text(
                    "console.settings.error.hosts.taken",
                    &[("host", host.to_string()), ("owner", owner.to_string())],
                ),
            )],
            "host_taken",
        ),
        Err(LookError::Invalid(problems)) => {
            tracing::info!(
                ?problems,
                "settings refused by the configuration's own check"
            );
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(page.t("console.settings.invalid")),
                Vec::new(),
                "invalid",
            )
        }
        Err(LookError::NotFound) => return Err(AppError::NotFound),
        // A settings change touches no zone or product type.
        Err(e @ (LookError::Catalogue(_) | LookError::InUse(_))) => {
            return Err(AppError::internal(e));
        }
        Err(LookError::Store(e)) => return Err(e.into()),
    };
    page.console.record(&refuse(code)).await?;
    // After a conflict the form is shown again over the version now stored: saving it again is
    // a deliberate choice to put these values over the other change.
    let version = if code == "stale" { version } else { shown };
    let refusal = Refusal {
        status,
        message,
        fields,
    };
    show(&page, &shown_input, version, Some(refusal), false).await
}
