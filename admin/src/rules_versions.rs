//! The versions of a product type's script or tariff in the rules console (#23): one version
//! with its lines, going back to it (a new version equal to it, with a comment), and the diff
//! between any two.

use crate::page::{ConsolePage, context_of};
use crate::rules_pages::{
    after_save, base, code_of, effective_from, kind_of, moment, refused, typed_versions, word_of,
};
use minijinja::{Value, context};
use parkportal_domain::audit::Actor;
use parkportal_domain::line_diff::{Change, diff};
use parkportal_domain::rules_console::{RuleChange, RuleSaveError, RuleVersion};
use parkportal_web::AppError;
use poem::http::StatusCode;
use poem::web::{Form, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

/// The form that goes back to a version.
#[derive(Debug, Default, Deserialize)]
pub struct RestoreForm {
    #[serde(default)]
    toelichting: String,
    /// When the new version takes effect (local `datetime-local`; empty: at once).
    #[serde(default)]
    ingang: String,
}

/// The two versions to compare.
#[derive(Debug, Default, Deserialize)]
pub struct Compare {
    van: Option<String>,
    naar: Option<String>,
}

/// The values of each of `versions` for a page, with where it stands now, in their order.
pub(crate) fn summaries(
    page: &ConsolePage,
    versions: &[RuleVersion],
) -> Result<Vec<Value>, AppError> {
    let now = page.console.web().clock().now();
    versions
        .iter()
        .zip(RuleVersion::standings(versions, now))
        .map(|(v, standing)| {
            Ok(context! {
                version => v.version,
                author => v.author.clone(),
                at => v.created_at.map(|t| moment(page, t)).transpose()?,
                from => v.effective_from.map(|t| moment(page, t)).transpose()?,
                standing => standing.as_str(),
                comment => v.comment.clone(),
                removed => v.source.is_empty(),
            })
        })
        .collect()
}

/// The summary of the version numbered `number` among `versions`.
fn summary_of(
    page: &ConsolePage,
    versions: &[RuleVersion],
    number: i64,
) -> Result<Value, AppError> {
    let at = versions
        .iter()
        .position(|v| v.version == number)
        .ok_or(AppError::NotFound)?;
    summaries(page, versions)?
        .into_iter()
        .nth(at)
        .ok_or(AppError::NotFound)
}

/// Renders version `number` of the path's script or tariff, with `error` at the form.
async fn render(
    page: &ConsolePage,
    (code, word, number): (&str, &str, &str),
    status: StatusCode,
    (form, error): (&RestoreForm, Option<(&'static str, String)>),
) -> Result<Response, AppError> {
    let number: i64 = number.parse().map_err(|_| AppError::NotFound)?;
    let (code, kind, row, versions) = typed_versions(page, code, word).await?;
    let v = versions
        .iter()
        .find(|v| v.version == number)
        .ok_or(AppError::NotFound)?;
    let editor = format!("{}/{code}/{}", base(page)?, word_of(kind));
    page.render(
        "rules_version.html",
        status,
        context! {
            back => editor.clone(),
            action => format!("{editor}/versies/{number}"),
            compare => (number > 1).then(|| format!("{editor}/verschil?van={}&naar={number}", number - 1)),
            file => kind.file_name(&code),
            type_name => row.name,
            current => RuleVersion::in_force(&versions, page.console.web().clock().now()).is_some_and(|c| c.version == number),
            lines => v.source.lines().enumerate().map(|(i, l)| context! { n => i + 1, text => l }).collect::<Vec<_>>(),
            toelichting => form.toelichting.clone(),
            ingang => form.ingang.clone(),
            error_field => error.as_ref().map(|(f, _)| *f),
            error => error.map(|(_, m)| m),
            ..summary_of(page, &versions, v.version)?
        },
    )
    .await
}

/// `GET /beheer/{gemeente}/regels/{type}/{script|tarief}/versies/{n}`: one version's source.
#[handler]
pub async fn version(
    page: ConsolePage,
    Path((_, code, word, number)): Path<(String, String, String, String)>,
) -> Result<Response, AppError> {
    let form = RestoreForm::default();
    render(
        &page,
        (&code, &word, &number),
        StatusCode::OK,
        (&form, None),
    )
    .await
}

/// `POST /beheer/{gemeente}/regels/{type}/{script|tarief}/versies/{n}`: goes back to version
/// `n` with `toelichting` (required): a new version equal to it, audited `rules.restored` with
/// the versions before and after; 303 to the editor (`?gedaan=opgeslagen&versie=M`, or
/// `ongewijzigd` when it is the version in force). Refused: 422 with the reason at the form.
#[handler]
pub async fn restore(
    page: ConsolePage,
    req: &Request,
    Path((_, code, word, number)): Path<(String, String, String, String)>,
    Form(form): Form<RestoreForm>,
) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let entry = page.entry(req, "rules.restored")?;
    let parsed = (code_of(&code), kind_of(&word), number.parse::<i64>());
    let (Ok(type_code), Ok(kind), Ok(n)) = parsed else {
        refused(
            &page,
            entry.about("rules", format!("{code}/{word}")),
            "not_found",
        )
        .await?;
        return Err(AppError::NotFound);
    };
    let entry = entry.about(kind.as_str(), type_code.as_str());
    let effective_from = match effective_from(&page, &form.ingang) {
        Ok(from) => from,
        Err(message) => {
            refused(&page, entry, "invalid_input").await?;
            let error = Some(("ingang", page.t(message)));
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render(&page, (&code, &word, &number), status, (&form, error)).await;
        }
    };
    let change = RuleChange {
        source: String::new(),
        comment: form.toelichting.clone(),
        author: Actor::of(&ctx.staff).label(),
        at: page.console.web().clock().now(),
        effective_from,
    };
    let editor = format!("{}/{type_code}/{}", base(&page)?, word_of(kind));
    let restored = page
        .console
        .rules()
        .restore(&ctx.tenant, (&type_code, kind, n), &change, &entry)
        .await;
    let scheduled = change.effective_from.is_some();
    let error = match after_save(&page, (&editor, &entry, scheduled), restored).await? {
        Ok(done) => return Ok(done),
        Err(refusal) => refusal,
    };
    refused(&page, entry, error.code().unwrap_or("internal")).await?;
    let message = match &error {
        RuleSaveError::CommentInvalid => ("toelichting", page.t("console.rules.comment_invalid")),
        RuleSaveError::EffectiveFromInvalid => ("ingang", page.t("console.rules.effective_past")),
        RuleSaveError::Problems(problems) => (
            "algemeen",
            page.text(
                "console.rules.restore_invalid",
                &[(
                    "problems",
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                )],
            ),
        ),
        _ => return Err(AppError::NotFound),
    };
    render(
        &page,
        (&code, &word, &number),
        StatusCode::UNPROCESSABLE_ENTITY,
        (&form, Some(message)),
    )
    .await
}

/// The version `typed` names among `versions`, or `default` when nothing was typed.
fn pick<'a>(
    versions: &'a [RuleVersion],
    typed: Option<&str>,
    default: Option<&'a RuleVersion>,
) -> Option<&'a RuleVersion> {
    match typed.map(str::trim) {
        Some(t) if !t.is_empty() => t
            .parse::<i64>()
            .ok()
            .and_then(|n| versions.iter().find(|v| v.version == n)),
        _ => default,
    }
}

/// `GET /beheer/{gemeente}/regels/{type}/{script|tarief}/verschil?van=N&naar=M`: what changed
/// from version N to version M, line by line (both default to the two newest).
#[handler]
pub async fn compare(
    page: ConsolePage,
    Path((_, code, word)): Path<(String, String, String)>,
    Query(q): Query<Compare>,
) -> Result<Response, AppError> {
    let (code, kind, row, versions) = typed_versions(&page, &code, &word).await?;
    let (Some(from), Some(to)) = (
        pick(
            &versions,
            q.van.as_deref(),
            versions.get(1).or(versions.first()),
        ),
        pick(&versions, q.naar.as_deref(), versions.first()),
    ) else {
        return Err(AppError::NotFound);
    };
    let changes = diff(&from.source, &to.source);
    let changed = changes.iter().any(|l| l.change != Change::Same);
    let lines: Vec<Value> = changes
        .iter()
        .map(|l| {
            context! {
                change => match l.change { Change::Same => "same", Change::Removed => "removed", Change::Added => "added" },
                old => l.old, new => l.new, text => l.text.clone(),
            }
        })
        .collect();
    let editor = format!("{}/{code}/{}", base(&page)?, word_of(kind));
    page.render(
        "rules_diff.html",
        StatusCode::OK,
        context! {
            back => editor.clone(),
            action => format!("{editor}/verschil"),
            file => kind.file_name(&code),
            type_name => row.name,
            from => summary_of(&page, &versions, from.version)?,
            to => summary_of(&page, &versions, to.version)?,
            numbers => versions.iter().map(|v| v.version).collect::<Vec<_>>(),
            lines => lines,
            changed => changed,
        },
    )
    .await
}
