//! `parkportal staff create|reset-2fa|deactivate|reactivate`: the operator's way to make staff
//! accounts, to let a staff member back in after a lost authenticator, and to shut one out, until
//! the console can. Each prints a one-time
//! enrolment link (and, with a mail server configured, mails it through the outbox); the audit
//! trail names the command line as the actor.

use crate::app::{self, StartError};
use crate::config::Config;
use crate::wiring;
use parkportal_domain::audit::Actor;
use parkportal_domain::staff::{Assignment, EnrolError, Enrolment, NewLink, NewStaff, Role};
use parkportal_domain::{Clock, EmailAddress, SystemClock};
use parkportal_store::Database;
use std::process::ExitCode;
use std::sync::Arc;

/// Where the operator's changes come from, in the audit trail.
const ORIGIN: &str = "cli";

/// What `staff create` is given on the command line.
#[derive(Debug, Clone, clap::Args)]
pub struct CreateArgs {
    /// The address they log in with.
    #[arg(long)]
    pub email: String,
    /// Their name, as the console and the audit log show it.
    #[arg(long)]
    pub name: String,
    /// A platformbeheerder (instead of --tenant and --role).
    #[arg(long)]
    pub platform_admin: bool,
    /// The gemeente's slug (with --role).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Their role there: staff (medewerker) or tenant_admin (beheerder).
    #[arg(long)]
    pub role: Option<String>,
}

/// What `staff reset-2fa`, `deactivate` and `reactivate` are given on the command line.
#[derive(Debug, Clone, clap::Args)]
pub struct EmailArgs {
    /// The staff member's address.
    #[arg(long)]
    pub email: String,
}

fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// The enrolment use cases and the public URL links are built from, on the configured database.
async fn open(config: &Config) -> Result<(Enrolment, String, Database), StartError> {
    let db = app::open_database(config).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // The operator's commands make and reset real accounts; the demo's need no command.
    let (_, enrolment, _) = wiring::staff(config, &db, clock, false, &config.public_url())?;
    Ok((enrolment, config.public_url(), db))
}

/// Prints a new link and its expiry.
fn print_link(link: &NewLink, public_url: &str) {
    println!("staff:       {}", link.staff);
    println!("link:        {}", link.url(public_url));
    println!(
        "valid until: {} (UTC)",
        link.expires_at.format("%Y-%m-%d %H:%M")
    );
    println!("the link works once: hand it over in person or by a channel you trust");
}

/// Why an enrolment step failed, for the operator.
fn refused(e: &EnrolError, email: &str) -> ExitCode {
    match e {
        EnrolError::EmailTaken(_) => usage(&format!("{email} already has a staff account")),
        EnrolError::UnknownStaff => usage(&format!("no staff account has the address {email}")),
        other => crate::cli::fail(other),
    }
}

/// The one role `args` ask for: platformbeheerder, or a role in one gemeente (by slug).
fn role_asked(args: &CreateArgs) -> Result<(bool, Option<(String, Role)>), String> {
    match (args.platform_admin, &args.tenant, &args.role) {
        (true, None, None) => Ok((true, None)),
        (true, _, _) => Err("--platform-admin takes no --tenant or --role".into()),
        (false, Some(slug), Some(role)) => match Role::parse(role) {
            Some(role @ (Role::Staff | Role::TenantAdmin)) => {
                Ok((false, Some((slug.clone(), role))))
            }
            _ => Err(format!("--role must be staff or tenant_admin, not {role}")),
        },
        (false, Some(_), None) => Err("--tenant needs --role staff or --role tenant_admin".into()),
        (false, None, Some(_)) => Err("--role needs --tenant SLUG".into()),
        (false, None, None) => Err("give --platform-admin, or --tenant SLUG with --role".into()),
    }
}

/// `parkportal staff create ...`
pub async fn create(config: &Config, args: CreateArgs) -> ExitCode {
    let email = match EmailAddress::parse(&args.email) {
        Ok(e) => e,
        Err(e) => return usage(&format!("--email: {e}")),
    };
    let name = args.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return usage("--name must have 1 to 200 characters");
    }
    let (platform_admin, role) = match role_asked(&args) {
        Ok(r) => r,
        Err(e) => return usage(&e),
    };
    let (enrolment, public_url, db) = match open(config).await {
        Ok(o) => o,
        Err(e) => return crate::cli::fail(&e),
    };
    let assignment = match role {
        Some((slug, role)) => {
            let tenants = match app::tenant_directory(config, &db, Arc::new(SystemClock)) {
                Ok(t) => t,
                Err(e) => return crate::cli::fail(&e),
            };
            match tenants.by_slug(&slug).await {
                Ok(Some(tenant)) => Some(Assignment {
                    tenant: tenant.id,
                    role,
                }),
                Ok(None) => return usage(&format!("no gemeente with slug {slug}")),
                Err(e) => return crate::cli::fail(&e),
            }
        }
        None => None,
    };
    let new = NewStaff {
        email,
        name: name.to_owned(),
        platform_admin,
        role: assignment,
    };
    match enrolment.create(&new, Actor::Operator, ORIGIN).await {
        Ok(link) => {
            print_link(&link, &public_url);
            ExitCode::SUCCESS
        }
        Err(e) => refused(&e, new.email.as_str()),
    }
}

/// `parkportal staff reset-2fa --email E`
pub async fn reset_second_factor(config: &Config, args: EmailArgs) -> ExitCode {
    let email = match EmailAddress::parse(&args.email) {
        Ok(e) => e,
        Err(e) => return usage(&format!("--email: {e}")),
    };
    let (enrolment, public_url, _db) = match open(config).await {
        Ok(o) => o,
        Err(e) => return crate::cli::fail(&e),
    };
    match enrolment
        .reset_second_factor(&email, Actor::Operator, ORIGIN)
        .await
    {
        Ok(link) => {
            println!("second factor and recovery codes forgotten, sessions ended");
            print_link(&link, &public_url);
            ExitCode::SUCCESS
        }
        Err(e) => refused(&e, email.as_str()),
    }
}

/// `parkportal staff deactivate|reactivate --email E`
pub async fn set_active(config: &Config, args: EmailArgs, active: bool) -> ExitCode {
    let email = match EmailAddress::parse(&args.email) {
        Ok(e) => e,
        Err(e) => return usage(&format!("--email: {e}")),
    };
    let (enrolment, _, _db) = match open(config).await {
        Ok(o) => o,
        Err(e) => return crate::cli::fail(&e),
    };
    match enrolment
        .set_active(&email, active, Actor::Operator, ORIGIN)
        .await
    {
        Ok(true) if active => {
            println!("{email} is active again");
            ExitCode::SUCCESS
        }
        Ok(true) => {
            println!("{email} is deactivated: its sessions have ended");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            let state = if active { "active" } else { "deactivated" };
            println!("{email} already was {state}");
            ExitCode::SUCCESS
        }
        Err(e) => refused(&e, email.as_str()),
    }
}
