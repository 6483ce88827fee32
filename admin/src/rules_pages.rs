//! The rules console (#23) for a gemeente's beheerders: each product type's rule script and
//! tariff in an editor that works without JavaScript, [Controleer] listing every problem with
//! its line and column and the prices the draft would charge, and [Opslaan] with a comment
//! making a new version; the versions listed with who made them, when and why.
//!
//! Every POST leaves one audit entry: a check `rules.checked`, a save `rules.saved` (written by
//! the use case with the versions before and after, or with `unchanged`), refusals with their
//! code.

use crate::page::{ConsolePage, context_of, see_other};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use minijinja::{Value, context};
use parkportal_domain::Code;
use parkportal_domain::audit::Actor;
use parkportal_domain::rules_console::{
    Interval, MAX_PREVIEW_DAYS, RuleChange, RuleCheck, RuleKind, RuleProblem, RuleSaveError,
    RuleSaved, RuleVersion, Schedule, TypeRules,
};
use parkportal_domain::tenant::BalanceUnit;
use parkportal_web::AppError;
use parkportal_web::format::exact_amount as amount;
use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The editor form's body limit: a script of the engine's 64 KiB, percent-encoded (up to three
/// bytes a byte), with the other fields.
pub const FORM_LIMIT: usize = 3 * 64 * 1024 + 16 * 1024;

/// The editor's form.
#[derive(Debug, Default, Deserialize)]
pub struct EditorForm {
    #[serde(default)]
    bron: String,
    #[serde(default)]
    toelichting: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    van: String,
    #[serde(default)]
    tot: String,
    /// When the new version takes effect (local `datetime-local`; empty: at once).
    #[serde(default)]
    ingang: String,
    #[serde(default)]
    actie: String,
}

/// What the page after a save says.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    gedaan: Option<String>,
    versie: Option<i64>,
}

/// The kind a path's last word names: `script` or `tarief`; anything else is no page.
pub(crate) fn kind_of(word: &str) -> Result<RuleKind, AppError> {
    match word {
        "script" => Ok(RuleKind::Script),
        "tarief" => Ok(RuleKind::Tariff),
        _ => Err(AppError::NotFound),
    }
}

/// The path word of `kind`.
pub(crate) fn word_of(kind: RuleKind) -> &'static str {
    match kind {
        RuleKind::Script => "script",
        RuleKind::Tariff => "tarief",
    }
}

/// The product type code of a path; anything else is no page.
pub(crate) fn code_of(text: &str) -> Result<Code, AppError> {
    Code::parse(text).map_err(|_| AppError::NotFound)
}

pub(crate) fn base(page: &ConsolePage) -> Result<String, AppError> {
    Ok(format!("/beheer/{}/regels", context_of(page)?.tenant.slug))
}

/// A moment as the console shows it, in the gemeente's time.
pub(crate) fn moment(page: &ConsolePage, at: DateTime<Utc>) -> Result<String, AppError> {
    let tz = context_of(page)?.tenant.time_zone;
    Ok(at.with_timezone(&tz).format("%d-%m-%Y %H:%M").to_string())
}

/// A `datetime-local` value read in the page's gemeente's time (the earlier of an autumn hour
/// twice); `None` when it is no such value.
pub(crate) fn local_moment(page: &ConsolePage, text: &str) -> Option<DateTime<Utc>> {
    let tz = context_of(page).ok()?.tenant.time_zone;
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|t| tz.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc))
}

/// The moment a form's `ingang` asks a new version to take effect: `None` for at once, `Err`
/// with the message key when it is no moment (the use case refuses one not in the future).
pub(crate) fn effective_from(
    page: &ConsolePage,
    text: &str,
) -> Result<Option<DateTime<Utc>>, &'static str> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    local_moment(page, text)
        .map(Some)
        .ok_or("console.rules.bad_moment")
}

/// The values of `schedule` for a page: the version in force and the next with its moment.
fn schedule_of(page: &ConsolePage, schedule: Schedule) -> Result<Value, AppError> {
    let next = match schedule.next {
        Some((version, from)) => Some(context! { version => version, from => moment(page, from)? }),
        None => None,
    };
    Ok(context! { in_force => schedule.in_force, next => next })
}

/// What the price preview of `check` shows, in `unit`: a week of prices and the price of the
/// interval typed as `(from, to)`.
pub(crate) fn preview_of(
    page: &ConsolePage,
    unit: BalanceUnit,
    check: &RuleCheck,
    (from, to): (&str, &str),
) -> Value {
    let lang = page.prefs.language;
    let price = |d| amount(unit, d, lang);
    context! {
        week => check.week.iter().map(|d| context! {
            day => page.t(&format!("console.rules.weekday.{}", chrono::Datelike::weekday(&d.date).num_days_from_monday())),
            date => d.date.format("%d-%m-%Y").to_string(),
            one_hour => price(d.one_hour),
            two_hours => price(d.two_hours),
            whole_day => price(d.whole_day),
        }).collect::<Vec<_>>(),
        interval => check.interval.map(price),
        from => from.replace('T', " "),
        to => to.replace('T', " "),
    }
}

/// `GET /beheer/{gemeente}/regels`: the product types with their versions in force.
#[handler]
pub async fn list(page: ConsolePage) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let base = base(&page)?;
    let rows: Vec<Value> = page
        .console
        .rules()
        .overview(&ctx.tenant)
        .await?
        .iter()
        .map(|r: &TypeRules| {
            Ok(context! {
                code => r.code.as_str(),
                name => r.name.clone(),
                script => schedule_of(&page, r.script)?,
                tariff => schedule_of(&page, r.tariff)?,
                script_link => format!("{base}/{}/script", r.code),
                tariff_link => format!("{base}/{}/tarief", r.code),
            })
        })
        .collect::<Result<_, AppError>>()?;
    let dry_run = format!("{base}/uitproberen");
    page.render(
        "rules.html",
        StatusCode::OK,
        context! {
            rows => rows,
            dry_run => dry_run,
            dry_run_application => format!("{base}/aanvraag-uitproberen"),
        },
    )
    .await
}

/// Where a save or a going back leads: the editor at `back`, saying what was stored (and that
/// it is `scheduled`); a refusal for the page to show; or the failure.
pub(crate) async fn after_save(
    page: &ConsolePage,
    (back, entry, scheduled): (&str, &parkportal_domain::audit::AuditEntry, bool),
    saved: Result<RuleSaved, RuleSaveError>,
) -> Result<Result<Response, RuleSaveError>, AppError> {
    let (stored, unchanged) = if scheduled {
        ("gepland", "ongewijzigd-dan")
    } else {
        ("opgeslagen", "ongewijzigd")
    };
    if let Ok(RuleSaved::Unchanged(version)) = &saved {
        // Nothing was stored, so the use case wrote nothing: the attempt is on the record.
        let mut entry = entry.clone();
        entry.reason = Some(format!("{version} unchanged"));
        page.console.record(&entry).await?;
    }
    match saved {
        Ok(RuleSaved::Stored { after, .. }) => Ok(Ok(see_other(&format!(
            "{back}?gedaan={stored}&versie={after}"
        )))),
        Ok(RuleSaved::Unchanged(_)) => Ok(Ok(see_other(&format!("{back}?gedaan={unchanged}")))),
        Err(RuleSaveError::Store(e)) => Err(e.into()),
        Err(refusal) => Ok(Err(refusal)),
    }
}

/// The product type and kind a path names in the page's gemeente, with its versions
/// (newest first); 404 for anything else.
pub(crate) async fn typed_versions(
    page: &ConsolePage,
    code: &str,
    word: &str,
) -> Result<(Code, RuleKind, TypeRules, Vec<RuleVersion>), AppError> {
    let (code, kind) = (code_of(code)?, kind_of(word)?);
    let (row, versions) = page
        .console
        .rules()
        .versions(&context_of(page)?.tenant, &code, kind)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((code, kind, row, versions))
}

/// What the editor shows besides the form.
struct Shown<'a> {
    status: StatusCode,
    check: Option<&'a RuleCheck>,
    problems: &'a [RuleProblem],
    error: Option<(&'static str, String)>,
    done: Option<String>,
}

/// Records `entry` refused with `code`: every POST of the rules console leaves one entry.
pub(crate) async fn refused(
    page: &ConsolePage,
    entry: parkportal_domain::audit::AuditEntry,
    code: &str,
) -> Result<(), AppError> {
    page.console.record(&entry.refused(code)).await
}

/// A refusal's page: 422 with `problems` and `error` (field, message).
fn refused_page<'a>(
    problems: &'a [RuleProblem],
    error: Option<(&'static str, String)>,
) -> Shown<'a> {
    Shown {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        check: None,
        problems,
        error,
        done: None,
    }
}

async fn render(
    page: &ConsolePage,
    (code, kind): (&Code, RuleKind),
    form: &EditorForm,
    shown: Shown<'_>,
) -> Result<Response, AppError> {
    let ctx = context_of(page)?;
    let Some((row, versions)) = page
        .console
        .rules()
        .versions(&ctx.tenant, code, kind)
        .await?
    else {
        return Err(AppError::NotFound);
    };
    let action = format!("{}/{code}/{}", base(page)?, word_of(kind));
    let versions = crate::rules_versions::summaries(page, &versions)?;
    let preview = shown
        .check
        .map(|c| preview_of(page, row.unit, c, (&form.van, &form.tot)));
    let zones: Vec<Value> = row
        .zones
        .iter()
        .map(|(code, name)| context! { code => code, name => name })
        .collect();
    let problems: Vec<Value> = shown
        .problems
        .iter()
        .map(|p| {
            context! {
                line => (p.line > 0).then_some(p.line),
                column => (p.column > 0).then_some(p.column),
                message => p.message.clone(),
            }
        })
        .collect();
    let (error_field, error) = shown.error.unzip();
    page.render(
        "rules_editor.html",
        shown.status,
        context! {
            action => action,
            back => base(page)?,
            kind => word_of(kind),
            file => kind.file_name(code),
            code => code.as_str(),
            type_name => row.name,
            schedule => schedule_of(page, match kind { RuleKind::Script => row.script, RuleKind::Tariff => row.tariff })?,
            form => context! {
                bron => form.bron.clone(), toelichting => form.toelichting.clone(), ingang => form.ingang.clone(),
                zone => form.zone.clone(), van => form.van.clone(), tot => form.tot.clone(),
            },
            lines => form.bron.lines().count().max(12) + 2,
            checked => shown.check.is_some(),
            problems => problems,
            preview => preview,
            zones => zones,
            versions => versions,
            error_field => error_field,
            error => error,
            done => shown.done,
        },
    )
    .await
}

/// `GET /beheer/{gemeente}/regels/{type}/{script|tarief}`: the editor on the version in force.
#[handler]
pub async fn editor(
    page: ConsolePage,
    Path((_, code, word)): Path<(String, String, String)>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let (code, kind) = (code_of(&code)?, kind_of(&word)?);
    let ctx = context_of(&page)?;
    let versions = page
        .console
        .rules()
        .versions(&ctx.tenant, &code, kind)
        .await?
        .ok_or(AppError::NotFound)?
        .1;
    let now = page.console.web().clock().now();
    let form = EditorForm {
        bron: RuleVersion::in_force(&versions, now)
            .map(|v| v.source.clone())
            .unwrap_or_default(),
        ..EditorForm::default()
    };
    let done = match (done.gedaan.as_deref(), done.versie) {
        (Some("opgeslagen"), Some(v)) => {
            Some(page.text("console.rules.done.saved", &[("version", v.to_string())]))
        }
        (Some("gepland"), Some(v)) => versions
            .iter()
            .find(|found| found.version == v)
            .and_then(|found| found.effective_from)
            .map(|from| {
                Ok::<_, AppError>(page.text(
                    "console.rules.done.scheduled",
                    &[("version", v.to_string()), ("from", moment(&page, from)?)],
                ))
            })
            .transpose()?,
        (Some("ongewijzigd"), _) => Some(page.t("console.rules.done.unchanged")),
        (Some("ongewijzigd-dan"), _) => Some(page.t("console.rules.done.unchanged_then")),
        _ => None,
    };
    let shown = Shown {
        status: StatusCode::OK,
        check: None,
        problems: &[],
        error: None,
        done,
    };
    render(&page, (&code, kind), &form, shown).await
}

/// The interval the form asks to price, read in the gemeente's time: `None` when none was
/// typed, `Err` with the field's message key when it is half or wrong.
fn interval(
    page: &ConsolePage,
    form: &EditorForm,
) -> Result<Option<Interval>, (&'static str, &'static str)> {
    let read = |field: &'static str, text: &str| {
        local_moment(page, text).ok_or((field, "console.rules.bad_moment"))
    };
    match (form.van.trim(), form.tot.trim()) {
        ("", "") => Ok(None),
        (van, tot) => {
            let (from, to) = (read("van", van)?, read("tot", tot)?);
            if to <= from {
                return Err(("tot", "console.rules.bad_interval"));
            }
            if to - from > chrono::Duration::days(MAX_PREVIEW_DAYS) {
                return Err(("tot", "console.rules.interval_too_long"));
            }
            Ok(Some((from, to)))
        }
    }
}

/// `POST /beheer/{gemeente}/regels/{type}/{script|tarief}`: `actie=controleer` checks the draft
/// (200, or 422 with its problems; audited `rules.checked`); `actie=opslaan` saves it as a new
/// version with the comment (303 back with `?gedaan=opgeslagen&versie=N`, or
/// `?gedaan=ongewijzigd`; audited `rules.saved` by the use case), or refuses with every problem
/// (422) and the draft kept. Every POST leaves one entry, refusals with their code.
#[handler]
pub async fn submit(
    page: ConsolePage,
    req: &Request,
    Path((_, code, word)): Path<(String, String, String)>,
    Form(form): Form<EditorForm>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let action = match form.actie.as_str() {
        "controleer" => "rules.checked",
        _ => "rules.saved",
    };
    let entry = page.entry(req, action)?;
    let (code, kind) = match (code_of(&code), kind_of(&word)) {
        (Ok(code), Ok(kind)) => (code, kind),
        _ => {
            refused(
                &page,
                entry.about("rules", format!("{code}/{word}")),
                "not_found",
            )
            .await?;
            return Err(AppError::NotFound);
        }
    };
    let entry = entry.about(kind.as_str(), code.as_str());
    // A textarea sends CRLF line ends; the stored source keeps the file's own.
    let form = EditorForm {
        bron: form.bron.replace("\r\n", "\n"),
        ..form
    };
    let now = page.console.web().clock().now();
    match form.actie.as_str() {
        "controleer" => {
            let asked = match interval(&page, &form) {
                Ok(asked) => asked,
                Err((field, key)) => {
                    refused(&page, entry, "invalid_input").await?;
                    let shown = refused_page(&[], Some((field, page.t(key))));
                    return render(&page, (&code, kind), &form, shown).await;
                }
            };
            let Some(check) = page
                .console
                .rules()
                .check(
                    &ctx.tenant,
                    (&code, kind),
                    &form.bron,
                    (Some(form.zone.as_str()).filter(|z| !z.is_empty()), asked),
                    now,
                )
                .await?
            else {
                refused(&page, entry, "not_found").await?;
                return Err(AppError::NotFound);
            };
            let (status, error) = if check.problems.is_empty() {
                page.console.record(&entry).await?;
                (StatusCode::OK, None)
            } else {
                refused(&page, entry, "rules_invalid").await?;
                let message = page.t("console.rules.fix_problems");
                (StatusCode::UNPROCESSABLE_ENTITY, Some(("bron", message)))
            };
            let shown = Shown {
                status,
                check: Some(&check),
                problems: &check.problems,
                error,
                done: None,
            };
            render(&page, (&code, kind), &form, shown).await
        }
        "opslaan" => {
            let effective_from = match effective_from(&page, &form.ingang) {
                Ok(from) => from,
                Err(key) => {
                    refused(&page, entry, "invalid_input").await?;
                    let shown = refused_page(&[], Some(("ingang", page.t(key))));
                    return render(&page, (&code, kind), &form, shown).await;
                }
            };
            let change = RuleChange {
                source: form.bron.clone(),
                comment: form.toelichting.clone(),
                author: Actor::of(&ctx.staff).label(),
                at: now,
                effective_from,
            };
            let saved = page
                .console
                .rules()
                .save(&ctx.tenant, (&code, kind), &change, &entry)
                .await;
            let back = format!("{}/{code}/{}", base(&page)?, word_of(kind));
            let scheduled = change.effective_from.is_some();
            let error = match after_save(&page, (&back, &entry, scheduled), saved).await? {
                Ok(done) => return Ok(done),
                Err(refusal) => refusal,
            };
            refused(&page, entry, error.code().unwrap_or("internal")).await?;
            match error {
                RuleSaveError::CommentInvalid => {
                    let message = page.t("console.rules.comment_invalid");
                    let shown = refused_page(&[], Some(("toelichting", message)));
                    render(&page, (&code, kind), &form, shown).await
                }
                RuleSaveError::EffectiveFromInvalid => {
                    let message = page.t("console.rules.effective_past");
                    let shown = refused_page(&[], Some(("ingang", message)));
                    render(&page, (&code, kind), &form, shown).await
                }
                RuleSaveError::Problems(problems) => {
                    let message = page.t("console.rules.not_saved");
                    let shown = refused_page(&problems, Some(("bron", message)));
                    render(&page, (&code, kind), &form, shown).await
                }
                _ => Err(AppError::NotFound),
            }
        }
        _ => {
            refused(&page, entry, "invalid_input").await?;
            Err(AppError::BadRequest)
        }
    }
}
