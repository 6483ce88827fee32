//! `parkportal products issue|link` and `parkportal outbox list|show`: staff's tools until the admin
//! console exists, using the same use cases as the pages.

use crate::app::{self, StartError};
use crate::config::Config;
use crate::demo_mode::DemoMode;
use crate::wiring;
use chrono::NaiveDate;
use parkportal_domain::audit::Actor;
use parkportal_domain::coupling::{IssueRequest, Issuer, LinkRequest};
use parkportal_domain::plate::Plate;
use parkportal_domain::{Clock, EmailAddress, MailId, OutboxRepository, PublicUrl, SystemClock};
use parkportal_domain::{Language, Recipient, RecipientField, RecipientInput};
use parkportal_store::SeaOutboxRepository;
use parkportal_web::i18n::Catalogues;
use parkportal_web::templates::Templates;
use std::process::ExitCode;
use std::sync::Arc;

/// What `products issue` is given on the command line, before it is parsed into an
/// [`IssueRequest`].
#[derive(Debug, Clone, clap::Args)]
pub struct IssueArgs {
    /// The gemeente's slug.
    #[arg(long)]
    pub tenant: String,
    /// Product type code (default: the gemeente's first visitor scheme).
    #[arg(long = "type")]
    pub product_type: Option<String>,
    /// Zone code (default: the gemeente's first zone).
    #[arg(long)]
    pub zone: Option<String>,
    /// The resident's e-mail address: a coupling link is mailed there.
    #[arg(long)]
    pub email: Option<String>,
    /// Plates, comma-separated (a foreign plate as DE:B-AB123).
    #[arg(long)]
    pub plates: Option<String>,
    /// The last valid day, YYYY-MM-DD (default: one year from today).
    #[arg(long)]
    pub valid_until: Option<String>,
    /// The opening balance in the product type's unit: 25.00 (euros), 600 (minutes).
    #[arg(long)]
    pub balance: Option<String>,
    /// The recipient's name, for the allocation letter (with --street, --house-number,
    /// --postcode and --city).
    #[arg(long)]
    pub name: Option<String>,
    /// The recipient's street.
    #[arg(long)]
    pub street: Option<String>,
    /// The recipient's house number with its addition, e.g. "12 A".
    #[arg(long)]
    pub house_number: Option<String>,
    /// The recipient's postcode, e.g. 1234AB.
    #[arg(long)]
    pub postcode: Option<String>,
    /// The recipient's place.
    #[arg(long)]
    pub city: Option<String>,
    /// The letter's language, nl or en (default: the gemeente's).
    #[arg(long)]
    pub language: Option<String>,
    /// Make the allocation letter and write its PDF to this file (needs the recipient).
    #[arg(long)]
    pub letter: Option<std::path::PathBuf>,
}

/// The recipient of `args`, when any of its fields is given: all of them then.
fn recipient_of(args: &IssueArgs) -> Result<Option<Recipient>, String> {
    let fields = [
        &args.name,
        &args.street,
        &args.house_number,
        &args.postcode,
        &args.city,
    ];
    if fields.iter().all(|f| f.is_none()) {
        return Ok(None);
    }
    let field = |f: &Option<String>| f.clone().unwrap_or_default();
    let (name, street, house_number, postcode, city) = (
        field(&args.name),
        field(&args.street),
        field(&args.house_number),
        field(&args.postcode),
        field(&args.city),
    );
    Recipient::parse(&RecipientInput {
        name: &name,
        street: &street,
        house_number: &house_number,
        postcode: &postcode,
        city: &city,
    })
    .map(Some)
    .map_err(|wrong| {
        let names: Vec<&str> = wrong
            .iter()
            .map(|f| match f {
                RecipientField::Name => "--name",
                RecipientField::Street => "--street",
                RecipientField::HouseNumber => "--house-number (starting with a digit)",
                RecipientField::Postcode => "--postcode (1234AB)",
                RecipientField::City => "--city",
            })
            .collect();
        format!("missing or invalid: {}", names.join(", "))
    })
}

/// What `products link` is given on the command line.
#[derive(Debug, Clone, clap::Args)]
pub struct LinkArgs {
    /// The gemeente's slug.
    #[arg(long)]
    pub tenant: String,
    /// The product's code, as on its allocation letter.
    #[arg(long)]
    pub code: String,
    /// Where the new coupling link goes.
    #[arg(long)]
    pub email: String,
}

fn usage(message: String) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// `parkportal products issue ...`
pub async fn issue(config: &Config, args: IssueArgs) -> ExitCode {
    let email = match args.email.as_deref().map(EmailAddress::parse).transpose() {
        Ok(e) => e,
        Err(e) => return usage(format!("--email: {e}")),
    };
    let plates = match args.plates.as_deref().map(Plate::parse_list).transpose() {
        Ok(p) => p.unwrap_or_default(),
        Err(e) => return usage(format!("--plates: {e}")),
    };
    let valid_until = match args
        .valid_until
        .as_deref()
        .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d"))
        .transpose()
    {
        Ok(d) => d,
        Err(e) => return usage(format!("--valid-until must be YYYY-MM-DD: {e}")),
    };
    let balance = match args
        .balance
        .as_deref()
        .map(|b| b.trim().parse::<rust_decimal::Decimal>())
        .transpose()
    {
        Ok(b) => b,
        Err(e) => {
            return usage(format!(
                "--balance must be a decimal like 25.00 or 600: {e}"
            ));
        }
    };
    let recipient = match recipient_of(&args) {
        Ok(r) => r,
        Err(e) => return usage(e),
    };
    if args.letter.is_some() && recipient.is_none() {
        return usage(
            "--letter needs --name, --street, --house-number, --postcode and --city".into(),
        );
    }
    let letter_language = match args.language.as_deref().map(Language::parse).transpose() {
        Ok(l) => l,
        Err(_) => return usage("--language must be nl or en".into()),
    };
    let desk = match open_desk(config).await {
        Ok(d) => d,
        Err(e) => return crate::cli::fail(&e),
    };
    let letter_file = args.letter.clone();
    // The file is made before anything is issued, new and readable by its owner only (it will
    // hold the PIN): an existing file or a folder that cannot be written stops here.
    let mut letter_out = match &letter_file {
        Some(path) => match new_private_file(path) {
            Ok(file) => Some(file),
            Err(e) => return usage(format!("--letter {}: {e}", path.display())),
        },
        None => None,
    };
    let request = IssueRequest {
        tenant: args.tenant,
        product_type: args.product_type,
        zone: args.zone,
        email,
        plates,
        valid_until,
        balance,
        recipient,
        letter: letter_file.is_some(),
        letter_language,
        issuer: Some(Issuer {
            actor: Actor::Operator,
            role: None,
            origin: "cli".into(),
        }),
        application: None,
    };
    match desk.issue(request).await {
        Ok(issued) => {
            let mut written = true;
            if let (Some(path), Some(file), Some((pdf, kept_until))) =
                (&letter_file, letter_out.as_mut(), &issued.letter)
            {
                use std::io::Write;
                match file.write_all(pdf).and_then(|()| file.sync_all()) {
                    Ok(()) => println!(
                        "letter:      {} (kept for reprinting until {} UTC)",
                        path.display(),
                        kept_until.format("%Y-%m-%d %H:%M")
                    ),
                    Err(e) => {
                        // The product exists (its code and PIN follow); the exit code says
                        // the letter is missing, and it can be fetched while it is kept.
                        eprintln!(
                            "error: the letter could not be written to {}: {e}",
                            path.display()
                        );
                        written = false;
                    }
                }
            }
            println!("product:     {}", issued.id);
            println!("code:        {}", issued.code);
            println!("pin:         {}", issued.pin.expose());
            println!(
                "valid until: {} (UTC, exclusive)",
                issued.valid_until.format("%Y-%m-%d %H:%M")
            );
            match issued.mailed_to {
                Some(to) => println!("coupling link queued in the outbox for {to}"),
                None => {
                    println!("no e-mail address: print the code and PIN on an allocation letter")
                }
            }
            if written {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            // Nothing was issued: the empty letter file goes again.
            if let Some(path) = &letter_file {
                let _ = std::fs::remove_file(path);
            }
            crate::cli::fail(&e)
        }
    }
}

/// A new file at `path` that only its owner may read (on Unix; elsewhere the default).
fn new_private_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// `parkportal products link ...`: the same use case as every new coupling link.
pub async fn link(config: &Config, args: LinkArgs) -> ExitCode {
    let email = match EmailAddress::parse(&args.email) {
        Ok(e) => e,
        Err(e) => return usage(format!("--email: {e}")),
    };
    let desk = match open_desk(config).await {
        Ok(d) => d,
        Err(e) => return crate::cli::fail(&e),
    };
    let request = LinkRequest {
        tenant: args.tenant,
        code: args.code,
        email,
    };
    match desk.link(request).await {
        Ok(linked) => {
            println!("product:     {}", linked.product);
            println!(
                "coupling link queued in the outbox for {}",
                linked.mailed_to
            );
            ExitCode::SUCCESS
        }
        Err(e) => crate::cli::fail(&e),
    }
}

async fn open_desk(config: &Config) -> Result<parkportal_domain::ProductDesk, StartError> {
    Ok(open_services(config).await?.desk)
}

/// The use cases on the configured database, for commands that act as the server would.
pub async fn open_services(config: &Config) -> Result<parkportal_portal::Services, StartError> {
    let db = app::open_database(config).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let tenants = app::tenant_directory(config, &db, clock.clone())?;
    let catalogues = Catalogues::embedded().map_err(StartError::Config)?;
    let templates =
        Arc::new(Templates::load(&config.paths.themes, &catalogues).map_err(StartError::Config)?);
    let public = PublicUrl::parse(&config.public_url())
        .map_err(|e| StartError::Config(format!("server.public_url: {e}")))?;
    let (_, _, rules) = wiring::rules_port(config, &db);
    // Commands serve no pages: the demo page is none of their business.
    let demo = DemoMode::Off("a command, not the server");
    wiring::services(
        config, &db, tenants, clock, templates, catalogues, public, rules, demo,
    )
}

async fn outbox_repo(config: &Config) -> Result<SeaOutboxRepository, StartError> {
    Ok(SeaOutboxRepository::new(app::open_database(config).await?))
}

/// `parkportal outbox list`: the newest mails, one per line.
pub async fn outbox_list(config: &Config, limit: u64) -> ExitCode {
    let repo = match outbox_repo(config).await {
        Ok(r) => r,
        Err(e) => return crate::cli::fail(&e),
    };
    match repo.list(limit).await {
        Ok(mails) => {
            for m in mails {
                let state = match (m.sent_at, &m.last_error) {
                    (Some(at), _) => format!("sent {}", at.format("%Y-%m-%d %H:%M:%S")),
                    (None, Some(e)) => format!("waiting ({} failed: {e})", m.attempts),
                    (None, None) => "waiting".to_owned(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{state}",
                    m.id,
                    m.created_at.format("%Y-%m-%d %H:%M:%S"),
                    m.to,
                    m.subject
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => crate::cli::fail(&e),
    }
}

/// `parkportal outbox show ID`: one mail's headers and plain text.
pub async fn outbox_show(config: &Config, id: i64) -> ExitCode {
    let repo = match outbox_repo(config).await {
        Ok(r) => r,
        Err(e) => return crate::cli::fail(&e),
    };
    match repo.get(MailId(id)).await {
        Ok(Some(m)) => {
            println!("To: {}", m.to);
            println!("Subject: {}", m.subject);
            println!("Queued: {}", m.created_at.to_rfc3339());
            match m.sent_at {
                Some(at) => println!("Sent: {}", at.to_rfc3339()),
                None => println!("Sent: not yet ({} failed attempts)", m.attempts),
            }
            println!();
            println!("{}", m.text);
            ExitCode::SUCCESS
        }
        Ok(None) => usage(format!("no mail {id} in the outbox")),
        Err(e) => crate::cli::fail(&e),
    }
}
