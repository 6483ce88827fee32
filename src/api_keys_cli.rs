//! `parkportal api-keys create|list|revoke`: the operator's way to make, see and revoke a
//! gemeente's keys for the admin API, through the same use case as the console. `create` prints
//! what it made and then the key alone on the last line of its output, so that a script takes
//! it with `tail -n 1`; the key is shown this once. The audit trail names the command line as
//! the actor.

use crate::app;
use crate::config::Config;
use crate::wiring;
use chrono::NaiveDate;
use parkportal_domain::api_keys::{ApiKeyError, ApiKeyRecord, ApiKeys, Scopes};
use parkportal_domain::audit::{Actor, AuditEntry};
use parkportal_domain::ids::ApiKeyId;
use parkportal_domain::{Clock, SystemClock, Tenant};
use parkportal_store::SeaAuditRepository;
use std::process::ExitCode;
use std::sync::Arc;

/// Where the operator's changes come from, in the audit trail.
const ORIGIN: &str = "cli";

/// What `api-keys create` is given on the command line.
#[derive(Debug, Clone, clap::Args)]
pub struct CreateArgs {
    /// The gemeente's slug.
    #[arg(long)]
    pub tenant: String,
    /// The key's name (unique in the gemeente among keys not revoked), e.g. the system using it.
    #[arg(long)]
    pub name: String,
    /// What the key may do, comma-separated: products:issue, products:read, letters:read,
    /// config:write, applications:decide.
    #[arg(long)]
    pub scopes: String,
    /// The last day the key works, YYYY-MM-DD in the gemeente's time zone (default: no expiry).
    #[arg(long)]
    pub expires: Option<String>,
}

/// What `api-keys list` is given.
#[derive(Debug, Clone, clap::Args)]
pub struct ListArgs {
    /// The gemeente's slug.
    #[arg(long)]
    pub tenant: String,
}

/// What `api-keys revoke` is given: the key by its name (among keys not revoked) or its id.
#[derive(Debug, Clone, clap::Args)]
pub struct RevokeArgs {
    /// The gemeente's slug.
    #[arg(long)]
    pub tenant: String,
    /// The key's name.
    #[arg(long, conflicts_with = "id", required_unless_present = "id")]
    pub name: Option<String>,
    /// The key's id, as `api-keys list` shows it.
    #[arg(long)]
    pub id: Option<i64>,
}

fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// The use case and the gemeente of `slug`, on the configured database; a missing gemeente is
/// a usage error.
async fn open(config: &Config, slug: &str) -> Result<(ApiKeys, Tenant), ExitCode> {
    let db = app::open_database(config)
        .await
        .map_err(|e| crate::cli::fail(&e))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let tenants =
        app::tenant_directory(config, &db, clock.clone()).map_err(|e| crate::cli::fail(&e))?;
    let tenant = match tenants.by_slug(slug).await {
        Ok(Some(tenant)) => tenant,
        Ok(None) => return Err(usage(&format!("no gemeente with slug {slug}"))),
        Err(e) => return Err(crate::cli::fail(&e)),
    };
    let audit = Arc::new(SeaAuditRepository::new(db.clone()));
    Ok((wiring::api_keys(&db, audit, clock), tenant))
}

/// The operator's audit entry of `action` now.
fn entry(action: &'static str) -> AuditEntry {
    AuditEntry::new(Actor::Operator, action, ORIGIN, SystemClock.now())
}

/// Why the use case refused, for the operator.
fn refused(e: &ApiKeyError, name: &str) -> ExitCode {
    match e {
        ApiKeyError::NameMissing => usage("--name must not be empty"),
        ApiKeyError::NameTooLong => usage("--name must have at most 100 characters"),
        ApiKeyError::NameTaken => usage(&format!(
            "the gemeente already has a key named {name} (revoke it first, or choose another name)"
        )),
        ApiKeyError::ExpiryPassed => usage("--expires must be today or later"),
        ApiKeyError::NotFound => usage("the gemeente has no such key"),
        ApiKeyError::AlreadyRevoked => usage("the key was revoked already"),
        ApiKeyError::Scopes(e) => usage(&format!("--scopes: {e}")),
        other => crate::cli::fail(other),
    }
}

/// `YYYY-MM-DD (UTC time)` of an instant, for the operator.
fn utc(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `parkportal api-keys create ...`
pub async fn create(config: &Config, args: CreateArgs) -> ExitCode {
    let scopes = match Scopes::parse(&args.scopes) {
        Ok(s) => s,
        Err(e) => return usage(&format!("--scopes: {e}")),
    };
    let last_day = match args
        .expires
        .as_deref()
        .map(|d| d.trim().parse::<NaiveDate>())
    {
        None => None,
        Some(Ok(day)) => Some(day),
        Some(Err(_)) => return usage("--expires must be a date as YYYY-MM-DD"),
    };
    let (keys, tenant) = match open(config, &args.tenant).await {
        Ok(o) => o,
        Err(code) => return code,
    };
    let expires_at =
        last_day.map(|day| parkportal_domain::api_keys::expiry_after(tenant.time_zone, day));
    let made = keys
        .create(
            tenant.id,
            &args.name,
            scopes,
            expires_at,
            entry("api_key.created"),
        )
        .await;
    match made {
        Ok((key, secret)) => {
            println!("api key {} ({}) of {}", key.id, key.name, tenant.slug);
            println!("scopes:      {}", key.scopes);
            match (last_day, key.expires_at) {
                (Some(day), Some(at)) => println!("valid until: {day} (to {})", utc(at)),
                _ => println!("valid until: no expiry (until revoked)"),
            }
            println!("the key below is shown this once: only its hash is kept");
            println!("{}", secret.expose());
            ExitCode::SUCCESS
        }
        Err(e) => refused(&e, args.name.trim()),
    }
}

/// One line of `api-keys list`.
fn line(key: &ApiKeyRecord, now: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        key.id,
        key.name,
        key.scopes,
        utc(key.created_at),
        key.created_by,
        key.last_used_at.map_or_else(|| "never".to_owned(), utc),
        key.expires_at.map_or_else(|| "-".to_owned(), utc),
        key.status(now).as_str(),
    )
}

/// `parkportal api-keys list --tenant SLUG`: the keys, newest first, tab-separated.
pub async fn list(config: &Config, args: ListArgs) -> ExitCode {
    let (keys, tenant) = match open(config, &args.tenant).await {
        Ok(o) => o,
        Err(code) => return code,
    };
    match keys.list(tenant.id).await {
        Ok(list) => {
            println!("id\tname\tscopes\tcreated\tby\tlast use\texpires\tstatus");
            let now = keys.now();
            for key in &list {
                println!("{}", line(key, now));
            }
            ExitCode::SUCCESS
        }
        Err(e) => crate::cli::fail(&e),
    }
}

/// `parkportal api-keys revoke --tenant SLUG --name NAME|--id ID`
pub async fn revoke(config: &Config, args: RevokeArgs) -> ExitCode {
    let (keys, tenant) = match open(config, &args.tenant).await {
        Ok(o) => o,
        Err(code) => return code,
    };
    let (id, name) = match (&args.id, &args.name) {
        (Some(id), _) => (ApiKeyId(*id), id.to_string()),
        (None, Some(name)) => {
            // By name: the key not revoked that has it (names are unique among those).
            let list = match keys.list(tenant.id).await {
                Ok(list) => list,
                Err(e) => return crate::cli::fail(&e),
            };
            let name = name.trim();
            match list
                .iter()
                .find(|k| k.name == name && k.revoked_at.is_none())
            {
                Some(key) => (key.id, name.to_owned()),
                None => return usage(&format!("the gemeente has no key named {name} in use")),
            }
        }
        (None, None) => return usage("give --name NAME or --id ID"),
    };
    match keys.revoke(tenant.id, id, entry("api_key.revoked")).await {
        Ok(key) => {
            println!(
                "api key {} ({}) of {} is revoked",
                key.id, key.name, tenant.slug
            );
            ExitCode::SUCCESS
        }
        Err(e) => refused(&e, &name),
    }
}
