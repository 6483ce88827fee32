//! The command line: `serve` (the default), `migrate`, `config`, `tenants import|export|check`,
//! `rules check|try`, `products issue|link`, `mandates import`, `outbox list|show` and
//! `staff create|reset-2fa` and `api-keys create|list|revoke`.

use crate::app::{self, Application, StartError};
use crate::bundle;
use crate::config::Config;
use clap::{Parser, Subcommand};
use parkportal_domain::audit::{Actor, AuditEntry};
use parkportal_domain::tenancy::problems;
use parkportal_domain::{Clock, ImportOutcome, SaveMode, SystemClock, TenantSlug};
use parkportal_rules::Validator;
use parkportal_rules::engine::RuleEngine;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Parkportal: the municipal parking portal for many gemeenten at once.
#[derive(Debug, Parser)]
#[command(name = "parkportal", version, about)]
pub struct Cli {
    /// Configuration file (default: ./parkportal.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do; `serve` when left out.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, import the demo gemeenten into an empty embedded database, and serve.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the effective configuration (secrets redacted).
    Config,
    /// Gemeenten as files.
    #[command(subcommand)]
    Tenants(TenantsCommand),
    /// Rule scripts and tariffs.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Products for residents.
    #[command(subcommand)]
    Products(ProductsCommand),
    /// The mails, sent and waiting.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Mandates ("machtigingen").
    #[command(subcommand)]
    Mandates(MandatesCommand),
    /// Staff accounts of the console.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// A gemeente's keys for the admin API.
    #[command(subcommand)]
    ApiKeys(ApiKeysCommand),
}

/// `parkportal api-keys ...`
#[derive(Debug, Subcommand)]
pub enum ApiKeysCommand {
    /// Make a key and print it, alone on the last line; it is shown this once.
    Create(crate::api_keys_cli::CreateArgs),
    /// List a gemeente's keys (never their secrets): name, scopes, made, last use, status.
    List(crate::api_keys_cli::ListArgs),
    /// Revoke a key at once, by name or id.
    Revoke(crate::api_keys_cli::RevokeArgs),
}

/// `parkportal staff ...`
#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create a staff account (a platformbeheerder, or a role in one gemeente) and print its
    /// one-time enrolment link.
    Create(crate::staff_cli::CreateArgs),
    /// Forget a staff member's authenticator and recovery codes, end their sessions, and print a
    /// new enrolment link.
    #[command(name = "reset-2fa")]
    ResetSecondFactor(crate::staff_cli::EmailArgs),
    /// Deactivate an account: its sessions end at once and it can no longer log in.
    Deactivate(crate::staff_cli::EmailArgs),
    /// Reactivate a deactivated account.
    Reactivate(crate::staff_cli::EmailArgs),
}

/// `parkportal mandates ...`
#[derive(Debug, Subcommand)]
pub enum MandatesCommand {
    /// Import the mandates of the previous system from a CSV file with the columns
    /// tenant,product_code,email,plate,accepted: all rows, or none.
    Import {
        /// The CSV file.
        file: PathBuf,
    },
}

/// `parkportal products ...`
#[derive(Debug, Subcommand)]
pub enum ProductsCommand {
    /// Issue a product and print its code and PIN; with --email, mail a coupling link; with
    /// --letter, write the allocation letter.
    Issue(Box<crate::products_cli::IssueArgs>),
    /// Mail a new coupling link for a product nobody holds (its resident deleted their account).
    Link(crate::products_cli::LinkArgs),
}

/// `parkportal outbox ...`
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// The newest mails: id, queued, recipient, subject, state.
    List {
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
    /// One mail with its text.
    Show {
        /// The mail's id.
        id: i64,
    },
}

/// `parkportal rules ...`
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Compile a rule script: exit 0, or print FILE:line:col: message and fail.
    Check {
        /// The script.
        file: PathBuf,
    },
    /// Evaluate every hook and the cost of a session on a gemeente folder.
    Try {
        /// The gemeente folder (with tenant.toml).
        tenant_dir: PathBuf,
        /// Product type code (default: the first visitor scheme).
        #[arg(long)]
        product_type: Option<String>,
        /// Zone code (default: the first zone).
        #[arg(long)]
        zone: Option<String>,
        /// Start: 2026-03-02T10:00 (local to the gemeente) or with an offset.
        #[arg(long)]
        start: String,
        /// End, likewise.
        #[arg(long)]
        end: String,
        /// Balance in the product type's unit (25.00 euros, 600 minutes).
        #[arg(long)]
        balance: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `parkportal tenants ...`
#[derive(Debug, Subcommand)]
pub enum TenantsCommand {
    /// Import a gemeente folder (with tenant.toml), or every such folder inside DIR.
    Import {
        /// The folder.
        dir: PathBuf,
    },
    /// Write a gemeente's configuration as a folder.
    Export {
        /// The gemeente's slug.
        slug: String,
        /// The folder to write (created when missing).
        dir: PathBuf,
    },
    /// Check gemeente folders without touching the database.
    Check {
        /// The folder.
        dir: PathBuf,
    },
}

/// Runs a parsed command line with a loaded configuration.
pub async fn run(cli: Cli, config: Config) -> ExitCode {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&config).await,
        Command::Migrate => match app::open_database(&config).await {
            Ok(db) => {
                let applied = db
                    .applied_migrations()
                    .await
                    .map(|m| m.len())
                    .unwrap_or_default();
                println!("database migrated: {applied} migrations applied");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Command::Config => {
            print!("{}", config.to_redacted_toml());
            ExitCode::SUCCESS
        }
        Command::Tenants(cmd) => tenants(&config, cmd).await,
        Command::Products(ProductsCommand::Issue(args)) => {
            crate::products_cli::issue(&config, *args).await
        }
        Command::Products(ProductsCommand::Link(args)) => {
            crate::products_cli::link(&config, args).await
        }
        Command::Staff(StaffCommand::Create(args)) => crate::staff_cli::create(&config, args).await,
        Command::Staff(StaffCommand::Deactivate(args)) => {
            crate::staff_cli::set_active(&config, args, false).await
        }
        Command::Staff(StaffCommand::Reactivate(args)) => {
            crate::staff_cli::set_active(&config, args, true).await
        }
        Command::Staff(StaffCommand::ResetSecondFactor(args)) => {
            crate::staff_cli::reset_second_factor(&config, args).await
        }
        Command::ApiKeys(ApiKeysCommand::Create(args)) => {
            crate::api_keys_cli::create(&config, args).await
        }
        Command::ApiKeys(ApiKeysCommand::List(args)) => {
            crate::api_keys_cli::list(&config, args).await
        }
        Command::ApiKeys(ApiKeysCommand::Revoke(args)) => {
            crate::api_keys_cli::revoke(&config, args).await
        }
        Command::Mandates(MandatesCommand::Import { file }) => {
            crate::mandates_cli::import(&config, &file).await
        }
        Command::Outbox(OutboxCommand::List { limit }) => {
            crate::products_cli::outbox_list(&config, limit).await
        }
        Command::Outbox(OutboxCommand::Show { id }) => {
            crate::products_cli::outbox_show(&config, id).await
        }
        Command::Rules(RulesCommand::Check { file }) => crate::rules_cli::check(&config, &file),
        Command::Rules(RulesCommand::Try {
            tenant_dir,
            product_type,
            zone,
            start,
            end,
            balance,
            json,
        }) => {
            let args = crate::rules_cli::TryArgs {
                product_type,
                zone,
                start,
                end,
                balance,
                json,
            };
            crate::rules_cli::try_rules(&config, &tenant_dir, &args)
        }
    }
}

/// Prints the error with its causes and fails.
pub(crate) fn fail(e: &dyn std::error::Error) -> ExitCode {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    eprintln!("error: {text}");
    ExitCode::FAILURE
}

async fn serve(config: &Config) -> ExitCode {
    let database = if config.is_embedded() {
        format!("embedded SQLite at {}", config.database.path.display())
    } else {
        parkportal_store::redact_url(&config.database_url())
    };
    tracing::info!(database = %database, version = app::VERSION, "starting Parkportal");
    match Application::start(config, Arc::new(SystemClock)).await {
        Ok(app) => {
            let signal = app::shutdown_signal();
            println!(
                "Parkportal {} is running at {} (press Ctrl-C to stop)",
                app::VERSION,
                app.public_url()
            );
            if let Ok(tenants) = app.tenants().list().await {
                for t in tenants {
                    println!("  {}: {}/g/{}/", t.name, app.public_url(), t.slug);
                }
            }
            if app.created_demo_resident() {
                println!(
                    "Demo resident: log in at {}/inloggen as {} with password {}",
                    app.public_url(),
                    crate::demo::DEMO_EMAIL,
                    crate::demo::DEMO_PASSWORD
                );
            }
            if !app.demo_staff().is_empty() {
                println!(
                    "Demo staff: log in at {}/beheer with password {} and a code of the TOTP \
                     secret (an authenticator app, or oathtool --totp -b SECRET):",
                    app.public_url(),
                    crate::demo_staff::DEMO_STAFF_PASSWORD
                );
                for staff in app.demo_staff() {
                    println!("  {} ({}): {}", staff.email, staff.what, staff.secret);
                }
            }
            if app.state().top_ups().simulated() {
                println!(
                    "iDEAL payments are simulated: no real money moves (payments.provider = \"simulated\")"
                );
                tracing::warn!(
                    "payments.provider is simulated: the iDEAL checkout is a simulation and no \
                     money moves; set payments.provider = \"mollie\" for real payments"
                );
            }
            match app.serve_until(signal).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e),
            }
        }
        Err(e) => fail(&e),
    }
}

async fn tenants(config: &Config, cmd: TenantsCommand) -> ExitCode {
    match cmd {
        TenantsCommand::Check { dir } => {
            let base = match bundle::base_tokens(&config.paths.themes) {
                Ok(base) => base,
                Err(e) => return fail(&e),
            };
            let validator = Validator::new(Arc::new(RuleEngine::new(config.rules.limits())));
            let dirs = match bundle::bundle_dirs(&dir) {
                Ok(dirs) => dirs,
                Err(e) => return fail(&e),
            };
            let mut failed = false;
            for d in dirs {
                match bundle::read_bundle(&d).map(|c| (problems(&c, &base, &validator), c)) {
                    Ok((found, c)) if found.is_empty() => {
                        println!("{}: ok ({})", d.display(), c.name)
                    }
                    Ok((problems, _)) => {
                        failed = true;
                        for p in problems {
                            eprintln!("{}: {p}", d.display());
                        }
                    }
                    Err(e) => {
                        failed = true;
                        eprintln!("{e}");
                    }
                }
            }
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        TenantsCommand::Import { dir } => {
            let configs = match bundle::read_all(&dir) {
                Ok(c) => c,
                Err(e) => return fail(&e),
            };
            let directory = match open(config).await {
                Ok(d) => d,
                Err(e) => return fail(&e),
            };
            for c in &configs {
                // On the record as the operator's, like `staff create`.
                let entry =
                    AuditEntry::new(Actor::Operator, "tenant.imported", "cli", SystemClock.now());
                match directory.import_audited(c, &entry, SaveMode::Upsert).await {
                    Ok(ImportOutcome::Created(_)) => println!("created {} ({})", c.slug, c.name),
                    Ok(ImportOutcome::Updated(_)) => println!("updated {} ({})", c.slug, c.name),
                    Err(e) => return fail(&e),
                }
            }
            ExitCode::SUCCESS
        }
        TenantsCommand::Export { slug, dir } => {
            let slug = match TenantSlug::parse(&slug) {
                Ok(s) => s,
                Err(e) => return fail(&e),
            };
            let directory = match open(config).await {
                Ok(d) => d,
                Err(e) => return fail(&e),
            };
            match directory.export(&slug).await {
                Ok(Some(c)) => match bundle::write_bundle(&c, &dir) {
                    Ok(()) => {
                        println!("exported {slug} to {}", dir.display());
                        ExitCode::SUCCESS
                    }
                    Err(e) => fail(&e),
                },
                Ok(None) => {
                    eprintln!("error: no gemeente with slug {slug}");
                    ExitCode::FAILURE
                }
                Err(e) => fail(&e),
            }
        }
    }
}

async fn open(config: &Config) -> Result<parkportal_domain::TenantDirectory, StartError> {
    let db = app::open_database(config).await?;
    app::tenant_directory(config, &db, Arc::new(SystemClock))
}
