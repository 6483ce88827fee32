//! `GET/POST /beheer/platform/gemeenten/uploaden`: a gemeente from a bundle, as `parkportal
//! tenants import` brings one in. The archive is read in memory and checked whole before
//! anything is stored; every problem is listed with its file and line. A gemeente that exists
//! is replaced only when the form says so. The import and its `tenant.imported` entry are one
//! transaction.

use super::BundleProblem;
use crate::auth::client_of;
use crate::page::{ConsolePage, see_other};
use minijinja::{Value, context};
use parkportal_domain::audit::{Actor, AuditEntry};
use parkportal_domain::ports::{SaveMode, SaveTenantError};
use parkportal_domain::staff::Role;
use parkportal_domain::tenancy::{ImportError, ImportOutcome};
use parkportal_domain::{TenantConfig, TenantSlug};
use parkportal_web::AppError;
use parkportal_web::multipart;
use poem::http::StatusCode;
use poem::web::Query;
use poem::{Request, Response, handler};
use serde::Deserialize;

/// Where the form is.
const PATH: &str = "/beheer/platform/gemeenten/uploaden";

/// What a finished upload leads back with.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    klaar: String,
    #[serde(default)]
    actie: String,
}

/// `GET`: the form, with what the last upload did.
#[handler]
pub async fn form(page: ConsolePage, Query(done): Query<Done>) -> Result<Response, AppError> {
    let imported = match TenantSlug::parse(done.klaar.trim()) {
        Ok(slug) => page.console.web().tenants().by_slug(slug.as_str()).await?,
        Err(_) => None,
    };
    let notice = imported.map(|t| {
        let key = if done.actie == "bijgewerkt" {
            "console.bundles.updated"
        } else {
            "console.bundles.created"
        };
        context! {
            text => page.text(key, &[("name", t.name.clone())]),
            slug => t.slug.as_str(),
        }
    });
    show(&page, StatusCode::OK, context! { notice => notice }).await
}

async fn show(page: &ConsolePage, status: StatusCode, values: Value) -> Result<Response, AppError> {
    page.render(
        "gemeente_upload.html",
        status,
        context! { limit_mib => super::UPLOAD_LIMIT / (1024 * 1024), ..values },
    )
    .await
}

/// The form again, with `problems` in its error summary (and `field` marked).
async fn refuse(
    page: &ConsolePage,
    req: &Request,
    field: &str,
    problems: &[BundleProblem],
    replace: bool,
) -> Result<Response, AppError> {
    // On the record: a refused upload names why (an invalid bundle, or one that exists).
    let reason = if field == "vervang" {
        "exists"
    } else {
        "invalid_bundle"
    };
    crate::refusals::record(&page.console, req, "tenant.imported", reason).await?;
    let problems: Vec<Value> = problems
        .iter()
        .map(|p| context! { file => p.file.clone(), line => p.line, message => p.message.clone() })
        .collect();
    show(
        page,
        StatusCode::UNPROCESSABLE_ENTITY,
        context! { problems => problems, error_field => field, replace => replace },
    )
    .await
}

fn problem(file: &str, message: String) -> BundleProblem {
    BundleProblem {
        file: file.to_owned(),
        line: None,
        message,
    }
}

/// `POST`: reads the uploaded archive, checks it, and imports it.
#[handler]
pub async fn submit(page: ConsolePage, req: &Request, body: Vec<u8>) -> Result<Response, AppError> {
    // A body that is no file upload at all (no form of ours sends one): 400, on the record.
    let parts = multipart::boundary(req).and_then(|b| multipart::parts(&body, &b).ok());
    let Some(parts) = parts else {
        crate::refusals::record(&page.console, req, "tenant.imported", "not_multipart").await?;
        return Err(AppError::BadRequest);
    };
    let replace = parts.iter().any(|p| p.name == "vervang" && p.data == b"ja");
    let file = parts
        .iter()
        .find(|p| p.name == "bundel" && p.filename.is_some() && !p.data.is_empty());
    let Some(file) = file else {
        let missing = problem("", page.t("console.bundles.no_file"));
        return refuse(&page, req, "bundel", &[missing], replace).await;
    };
    // Inflating and checking take a while: off the threads that serve requests.
    let archives = page.console.bundles();
    let bytes = file.data.to_vec();
    let read = tokio::task::spawn_blocking(move || archives.read(&bytes))
        .await
        .map_err(AppError::internal)?;
    let config = match read {
        Ok(config) => config,
        Err(problems) => return refuse(&page, req, "bundel", &problems, replace).await,
    };
    let tenants = page.console.web().tenants();
    if !replace && let Some(existing) = tenants.export(&config.slug).await? {
        let taken = problem(
            "",
            page.text(
                "console.bundles.exists",
                &[
                    ("slug", existing.slug.to_string()),
                    ("name", existing.name.clone()),
                ],
            ),
        );
        return refuse(&page, req, "vervang", &[taken], replace).await;
    }
    import(&page, req, &config, replace).await
}

async fn import(
    page: &ConsolePage,
    req: &Request,
    config: &TenantConfig,
    replace: bool,
) -> Result<Response, AppError> {
    let member = page
        .visitor
        .member
        .clone()
        .ok_or_else(|| AppError::internal("an upload without its staff member"))?;
    let entry = AuditEntry::new(
        Actor::of(&member),
        "tenant.imported",
        &client_of(req),
        page.web.clock().now(),
    )
    .within(None, Some(Role::PlatformAdmin));
    let mode = if replace {
        SaveMode::Upsert
    } else {
        SaveMode::CreateOnly
    };
    let manifest = "tenant.toml";
    let problems = match page
        .console
        .web()
        .tenants()
        .import_audited(config, &entry, mode)
        .await
    {
        Ok(outcome) => {
            let done = match outcome {
                ImportOutcome::Created(_) => "aangemaakt",
                ImportOutcome::Updated(_) => "bijgewerkt",
            };
            return Ok(see_other(&format!(
                "{PATH}?klaar={}&actie={done}",
                config.slug
            )));
        }
        Err(ImportError::Invalid { problems, .. }) => problems
            .iter()
            .map(|p| problem(manifest, p.to_string()))
            .collect(),
        Err(ImportError::Save(SaveTenantError::HostTaken { host, owner })) => {
            vec![problem(
                manifest,
                page.text(
                    "console.bundles.host_taken",
                    &[("host", host.to_string()), ("owner", owner.to_string())],
                ),
            )]
        }
        // Made meanwhile, perhaps on another instance: replaced only when asked.
        Err(ImportError::Save(SaveTenantError::Exists)) => {
            let taken = problem(
                "",
                page.text(
                    "console.bundles.exists",
                    &[
                        ("slug", config.slug.to_string()),
                        ("name", config.name.clone()),
                    ],
                ),
            );
            return refuse(page, req, "vervang", &[taken], replace).await;
        }
        Err(ImportError::Save(SaveTenantError::InUse(in_use))) => {
            let zones = in_use.zones.iter().map(|code| ("zone_in_use", code));
            let types = in_use
                .product_types
                .iter()
                .map(|code| ("type_in_use", code));
            zones
                .chain(types)
                .map(|(key, code)| {
                    let text =
                        page.text(&format!("console.bundles.{key}"), &[("code", code.clone())]);
                    problem(manifest, text)
                })
                .collect()
        }
        Err(ImportError::Save(SaveTenantError::Store(e))) => return Err(e.into()),
        // Only a gemeente's own bundle (the admin API's) is saved so.
        Err(ImportError::Save(SaveTenantError::Protected(fields))) => {
            return Err(AppError::internal(format!(
                "an upload saved as a gemeente's own bundle: {fields:?}"
            )));
        }
    };
    refuse(page, req, "bundel", &problems, replace).await
}
