//! The theme (#24): `/beheer/{gemeente}/thema`, the gemeente's colour tokens as a form grouped by
//! what they colour, each text/background pair with its WCAG contrast ratio; [Controleren]
//! shows the ratios and a preview with the candidate colours, [Opslaan] stores them unless a pair
//! is below AA (refused, the failing pairs named). A token file in the NL Design System's JSON
//! is uploaded into the form (checked, not stored) and downloaded from `thema/tokens.json`.
//!
//! The previews never apply the gemeente's colours to the console itself: the stylesheet
//! `thema/voorbeeld.css` sets them on the preview's box only, or, for the whole-page preview
//! `thema/voorbeeld` (a page of the portal's own parts and stylesheet), on that page.
//!
//! Every POST leaves one audit entry: `tenant.theme_changed` (each token before and after) or
//! refused with its code, `tenant.theme_checked` for a check or an upload.

use crate::look_shared;
use crate::page::{ConsolePage, context_of, see_other};
use minijinja::{Value, context};
use parkportal_domain::gemeente_look::{LookChange, LookError, LookOutcome};
use parkportal_domain::staff::Role;
use parkportal_domain::theme::{ThemeTokens, parse_hex_colour};
use parkportal_domain::theme_form::{
    FIELDS, PairRatio, TokenGroup, nested_json, overlay_of, preview_css, ratios,
};
use parkportal_web::inputs::form_pairs;
use parkportal_web::page::urlencode;
use parkportal_web::{AppError, multipart};
use poem::http::{StatusCode, header};
use poem::web::Query;
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The body limit of the theme's POST: the form, or a token file of at most 64 KiB.
pub const FORM_LIMIT: usize = 128 * 1024;

/// The largest token file read.
const FILE_MAX: usize = 64 * 1024;

/// The prefix of the hidden fields that carry the tokens the form does not show (fonts, radius).
const OTHER: &str = "ander:";

/// A candidate: the gemeente's own tokens as the form would store them, and what was typed.
struct Candidate {
    /// The gemeente's tokens (laid over the theme's).
    own: ThemeTokens,
    /// The colour fields as typed, by token name.
    typed: BTreeMap<String, String>,
    /// Fields whose value is no colour.
    wrong: Vec<String>,
}

impl Candidate {
    /// The gemeente's tokens `own` (stored, or from a token file), shown as they are.
    fn stored(base: &ThemeTokens, own: ThemeTokens) -> Self {
        let merged = base.overlaid_with(&own);
        let typed = FIELDS
            .iter()
            .filter_map(|f| {
                merged
                    .get(f.name)
                    .map(|v| (f.name.to_owned(), v.to_owned()))
            })
            .collect();
        Self {
            own,
            typed,
            wrong: Vec::new(),
        }
    }

    /// What a form sent: its colours over the theme, and the other tokens it carried.
    fn sent(base: &ThemeTokens, pairs: &[(String, String)]) -> Self {
        let mut others = BTreeMap::new();
        let mut typed = BTreeMap::new();
        for (name, value) in pairs {
            if let Some(token) = name.strip_prefix(OTHER) {
                others.insert(token.to_owned(), value.clone());
            } else if FIELDS.iter().any(|f| f.name == name) {
                typed.insert(name.clone(), value.trim().to_owned());
            }
        }
        let wrong: Vec<String> = typed
            .iter()
            .filter(|(_, v)| parse_hex_colour(v).is_none())
            .map(|(k, _)| k.clone())
            .collect();
        // Other tokens that do not pass the stylesheet's check are dropped: no form of ours
        // sends them.
        let others = ThemeTokens::from_map(others).unwrap_or_default();
        let colours: BTreeMap<String, String> = typed
            .iter()
            .filter(|(k, _)| !wrong.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let own = ThemeTokens::from_map(overlay_of(base, &others, &colours)).unwrap_or_default();
        Self { own, typed, wrong }
    }
}

/// What the page after a save says.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    gedaan: Option<String>,
}

/// The page of `candidate`, with `message` (a problem) above the form.
async fn show(
    page: &ConsolePage,
    status: StatusCode,
    candidate: &Candidate,
    version: i64,
    (message, saved): (Option<String>, bool),
) -> Result<Response, AppError> {
    let ctx = context_of(page)?;
    let base_tokens = page.console.gemeente_look().base_tokens().clone();
    let effective = base_tokens.overlaid_with(&candidate.own);
    let all = ratios(&effective);
    let failing: Vec<Value> = all
        .iter()
        .filter(|p| !p.passes())
        .map(|p| pair_values(page, p))
        .collect();
    let groups: Vec<Value> = TokenGroup::ALL
        .iter()
        .map(|g| {
            let fields: Vec<Value> = FIELDS
                .iter()
                .filter(|f| f.group == *g)
                .map(|f| {
                    context! {
                        name => f.name,
                        label => page.t(&format!("console.theme.token.{}", f.name)),
                        value => candidate.typed.get(f.name).cloned().unwrap_or_default(),
                        wrong => candidate.wrong.iter().any(|w| w == f.name),
                    }
                })
                .collect();
            let pairs: Vec<Value> = all
                .iter()
                .filter(|p| p.group() == Some(*g))
                .map(|p| pair_values(page, p))
                .collect();
            context! {
                id => g.as_str(),
                title => page.t(&format!("console.theme.group.{}", g.as_str())),
                fields => fields,
                pairs => pairs,
            }
        })
        .collect();
    let others: Vec<Value> = candidate
        .own
        .iter()
        .filter(|(name, _)| !FIELDS.iter().any(|f| f.name == *name))
        .map(|(name, value)| context! { field => format!("{OTHER}{name}"), name => name, value => value })
        .collect();
    let base = format!("/beheer/{}/thema", ctx.tenant.slug);
    let query = candidate_query(&candidate.own);
    page.render(
        "gemeente_theme.html",
        status,
        context! {
            action => base.clone(),
            preview_css => format!("{base}/voorbeeld.css?{query}"),
            preview_page => format!("{base}/voorbeeld?{query}"),
            download => format!("{base}/tokens.json"),
            logo_url => format!("/g/{}/logo?v={version}", ctx.tenant.slug),
            name => ctx.tenant.name.clone(),
            version => version,
            groups => groups,
            others => others,
            failing => failing,
            message => message,
            saved => saved,
            file_kib => FILE_MAX / 1024,
        },
    )
    .await
}

/// A pair as the page shows it: both tokens' labels, the ratio and whether it passes.
fn pair_values(page: &ConsolePage, pair: &PairRatio) -> Value {
    let ratio = pair.ratio.map(|r| {
        let text = format!("{:.2}", (r * 100.0).floor() / 100.0);
        if page.prefs.language == parkportal_domain::Language::Nl {
            text.replace('.', ",")
        } else {
            text
        }
    });
    let required = if pair.required >= 4.5 { "4,5" } else { "3" };
    context! {
        foreground => page.t(&format!("console.theme.token.{}", pair.foreground)),
        background => page.t(&format!("console.theme.token.{}", pair.background)),
        ratio => ratio,
        required => if page.prefs.language == parkportal_domain::Language::Nl { required.to_owned() } else { required.replace(',', ".") },
        passes => pair.passes(),
    }
}

/// The query that carries a candidate's tokens to the previews.
fn candidate_query(own: &ThemeTokens) -> String {
    std::iter::once("kandidaat=1".to_owned())
        .chain(
            own.iter()
                .map(|(name, value)| format!("{}={}", urlencode(name), urlencode(value))),
        )
        .collect::<Vec<_>>()
        .join("&")
}

/// The gemeente's stored tokens and the version of its configuration.
async fn stored(page: &ConsolePage) -> Result<(ThemeTokens, i64), AppError> {
    let (config, version) = look_shared::current(page).await?;
    Ok((config.tokens, version))
}

/// `GET`: the form with the stored colours.
#[handler]
pub async fn form(page: ConsolePage, Query(done): Query<Done>) -> Result<Response, AppError> {
    let (own, version) = stored(&page).await?;
    let base = page.console.gemeente_look().base_tokens().clone();
    let saved = done.gedaan.as_deref() == Some("opgeslagen");
    show(
        &page,
        StatusCode::OK,
        &Candidate::stored(&base, own),
        version,
        (None, saved),
    )
    .await
}

/// `POST`: a check, a save, or (multipart) an uploaded token file.
#[handler]
pub async fn submit(page: ConsolePage, req: &Request, body: Vec<u8>) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let base = page.console.gemeente_look().base_tokens().clone();
    let slug = ctx.tenant.slug.clone();
    let about = |action: &'static str| -> Result<_, AppError> {
        Ok(page.entry(req, action)?.about("tenant", slug.as_str()))
    };
    if let Some(boundary) = multipart::boundary(req) {
        return upload(&page, req, &body, &boundary).await;
    }
    let Ok(pairs) = form_pairs(&body) else {
        look_shared::refused(&page, req, "tenant.theme_changed", "not_a_form").await?;
        return Err(AppError::BadRequest);
    };
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let version = field("versie").trim().parse::<i64>().unwrap_or(-1);
    let candidate = Candidate::sent(&base, &pairs);
    let failing = ratios(&base.overlaid_with(&candidate.own))
        .iter()
        .any(|p| !p.passes());
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if field("actie") != "opslaan" {
        page.console
            .record(&about("tenant.theme_checked")?.with_reason("checked".into()))
            .await?;
        let status = if candidate.wrong.is_empty() {
            StatusCode::OK
        } else {
            unprocessable
        };
        return show(&page, status, &candidate, version, (None, false)).await;
    }
    if !candidate.wrong.is_empty() || failing {
        let code = if candidate.wrong.is_empty() {
            "contrast"
        } else {
            "not_a_colour"
        };
        page.console
            .record(&about("tenant.theme_changed")?.refused(code))
            .await?;
        let message = page.t(&format!("console.theme.refused.{code}"));
        return show(
            &page,
            unprocessable,
            &candidate,
            version,
            (Some(message), false),
        )
        .await;
    }
    let platform = ctx.role == Role::PlatformAdmin;
    let entry = page.entry(req, "tenant.theme_changed")?;
    let outcome = page
        .console
        .gemeente_look()
        .change(
            &slug,
            version,
            LookChange::Tokens(candidate.own.clone()),
            platform,
            entry,
        )
        .await;
    let (status, code) = match outcome {
        Ok(LookOutcome::Saved { .. }) => {
            return Ok(see_other(&format!(
                "/beheer/{slug}/thema?gedaan=opgeslagen"
            )));
        }
        Ok(LookOutcome::Stale) => (StatusCode::CONFLICT, "stale"),
        Err(LookError::Invalid(problems)) => {
            tracing::info!(?problems, "theme refused by the configuration's own check");
            (unprocessable, "invalid")
        }
        Err(LookError::NotFound) => return Err(AppError::NotFound),
        Err(LookError::Store(e)) => return Err(e.into()),
        Err(other) => return Err(AppError::internal(other)),
    };
    page.console
        .record(&about("tenant.theme_changed")?.refused(code))
        .await?;
    // After a conflict the form is shown over the version now stored (see the settings page).
    let (_, now) = stored(&page).await?;
    let message = page.t(&format!("console.theme.refused.{code}"));
    show(&page, status, &candidate, now, (Some(message), false)).await
}

/// An uploaded token file, loaded into the form (checked, not stored).
async fn upload(
    page: &ConsolePage,
    req: &Request,
    body: &[u8],
    boundary: &str,
) -> Result<Response, AppError> {
    let ctx = context_of(page)?;
    let base = page.console.gemeente_look().base_tokens().clone();
    let entry = page
        .entry(req, "tenant.theme_checked")?
        .about("tenant", ctx.tenant.slug.as_str());
    let Ok(parts) = multipart::parts(body, boundary) else {
        page.console.record(&entry.refused("not_multipart")).await?;
        return Err(AppError::BadRequest);
    };
    let version = look_shared::version_of(&parts);
    let file = parts
        .iter()
        .find(|p| p.name == "tokens" && p.filename.is_some() && !p.data.is_empty());
    let read = match file {
        None => Err("no_file"),
        Some(f) if f.data.len() > FILE_MAX => Err("too_large"),
        Some(f) => std::str::from_utf8(&f.data)
            .ok()
            .and_then(|text| ThemeTokens::from_json(text).ok())
            .ok_or("not_tokens"),
    };
    match read {
        Ok(tokens) => {
            page.console
                .record(&entry.with_reason("uploaded".into()))
                .await?;
            let candidate = Candidate::stored(&base, tokens);
            let message = page.t("console.theme.uploaded");
            show(
                page,
                StatusCode::OK,
                &candidate,
                version,
                (Some(message), false),
            )
            .await
        }
        Err(code) => {
            page.console.record(&entry.refused(code)).await?;
            let (own, now) = stored(page).await?;
            let message = page.text(
                &format!("console.theme.upload_refused.{code}"),
                &[("max", (FILE_MAX / 1024).to_string())],
            );
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            show(
                page,
                status,
                &Candidate::stored(&base, own),
                now,
                (Some(message), false),
            )
            .await
        }
    }
}

/// The tokens a preview shows: with `kandidaat=1` those of its query, else the stored ones;
/// either laid over the theme's. Tokens that do not pass the stylesheet's check are left out.
async fn preview_tokens(page: &ConsolePage, req: &Request) -> Result<ThemeTokens, AppError> {
    let base = page.console.gemeente_look().base_tokens().clone();
    let pairs = form_pairs(req.uri().query().unwrap_or_default().as_bytes())
        .map_err(|_| AppError::BadRequest)?;
    let own = if pairs.iter().any(|(k, v)| k == "kandidaat" && v == "1") {
        let mut checked = BTreeMap::new();
        for (name, value) in pairs {
            let one = BTreeMap::from([(name.clone(), value.clone())]);
            if ThemeTokens::from_map(one).is_ok() && name != "kandidaat" && name != "v" {
                checked.insert(name, value);
            }
        }
        ThemeTokens::from_map(checked).unwrap_or_default()
    } else {
        stored(page).await?.0
    };
    Ok(base.overlaid_with(&own))
}

/// `GET /beheer/{gemeente}/thema/voorbeeld.css`: the tokens on the console's preview box, and a
/// swatch per colour field.
#[handler]
pub async fn preview_stylesheet(page: ConsolePage, req: &Request) -> Result<Response, AppError> {
    let tokens = preview_tokens(&page, req).await?;
    let mut css = preview_css(&tokens);
    for f in FIELDS {
        css.push_str(&format!(
            ".cc-swatch--{name} {{ background: var(--{name}); }}\n",
            name = f.name
        ));
    }
    Ok(css
        .with_content_type("text/css; charset=utf-8")
        .with_header(header::CACHE_CONTROL, "no-store")
        .into_response())
}

/// `GET /beheer/{gemeente}/thema/voorbeeld`: a page of the portal's own parts in the tokens of
/// the query, with the portal's stylesheet; the console's look is not on it.
#[handler]
pub async fn preview_page(page: ConsolePage, req: &Request) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let query = req.uri().query().unwrap_or_default();
    let (_, version) = stored(&page).await?;
    let balance = look_shared::sample_balance(&page);
    page.render(
        "theme_preview_page.html",
        StatusCode::OK,
        context! {
            page_css => format!("/beheer/{}/thema/voorbeeld-pagina.css?{query}", ctx.tenant.slug),
            logo_url => format!("/g/{}/logo?v={version}", ctx.tenant.slug),
            name => ctx.tenant.name.clone(),
            back => format!("/beheer/{}/thema", ctx.tenant.slug),
            balance => balance,
        },
    )
    .await
}

/// `GET /beheer/{gemeente}/thema/voorbeeld-pagina.css`: the tokens of the query on the whole
/// preview page (`:root`), as the portal's `theme.css` sets them.
#[handler]
pub async fn preview_page_stylesheet(
    page: ConsolePage,
    req: &Request,
) -> Result<Response, AppError> {
    let tokens = preview_tokens(&page, req).await?;
    let css = format!(":root {{\n{}}}\n", tokens.to_css_declarations());
    Ok(css
        .with_content_type("text/css; charset=utf-8")
        .with_header(header::CACHE_CONTROL, "no-store")
        .into_response())
}

/// `GET /beheer/{gemeente}/thema/tokens.json`: the gemeente's own tokens as the NL Design
/// System's nested token file.
#[handler]
pub async fn download(page: ConsolePage) -> Result<Response, AppError> {
    let ctx = context_of(&page)?;
    let (own, _) = stored(&page).await?;
    Ok(nested_json(&own)
        .with_content_type("application/json")
        .with_header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-tokens.json\"", ctx.tenant.slug),
        )
        .with_header(header::CACHE_CONTROL, "no-store")
        .into_response())
}
