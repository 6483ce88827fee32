//! The composition root: builds the store, hands it to the domain's use cases as ports, and serves
//! the portal and the staff console with the web kit's middleware around it.

use crate::bundle;
use crate::config::Config;
use crate::demo_mode::DemoMode;
use crate::rule_errors::DbRuleErrorSink;
use crate::wiring;
use parkportal_admin::{Console, ConsoleServices};
use parkportal_domain::housekeeping::Housekeeping;
use parkportal_domain::platform::PlatformFacts;
use parkportal_domain::privacy::Privacy;
use parkportal_domain::staff::StaffManagement;
use parkportal_domain::suspension::Suspensions;
use parkportal_domain::{Clock, Hostname, PublicUrl, TenantDirectory};
use parkportal_portal::Portal;
use parkportal_rules::engine::RuleEngine;
use parkportal_rules::{RuleBook, Validator};
use parkportal_store::{Database, DatabaseSettings, SeaFactRepository, SeaTenantRepository};
use parkportal_web::i18n::Catalogues;
use parkportal_web::kind::Serve;
use parkportal_web::observe::Observe;
use parkportal_web::templates::Templates;
use parkportal_web::{AppError, RouteKind, WebSettings, WebState};
use poem::endpoint::StaticFilesEndpoint;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::Compression;
use poem::{Endpoint, EndpointExt, IntoResponse, Route, Server};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is unusable.
    #[error("{0}")]
    Config(String),
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Database(#[source] parkportal_domain::StoreError),
    /// The demo gemeenten could not be read or imported.
    #[error("demo gemeenten: {0}")]
    Demo(String),
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The version shown in "Over Parkportal" and the API.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Opens the configured database (creating the embedded file's folder) and migrates it.
pub async fn open_database(config: &Config) -> Result<Database, StartError> {
    if config.is_embedded()
        && let Some(parent) = config.database.path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| StartError::Config(format!("cannot create {}: {e}", parent.display())))?;
    }
    let settings = DatabaseSettings {
        url: config.database_url(),
        max_connections: config.database.max_connections,
        busy_timeout: Duration::from_secs(config.database.busy_timeout_seconds),
    };
    let db = Database::connect(&settings)
        .await
        .map_err(StartError::Database)?;
    db.migrate().await.map_err(StartError::Database)?;
    Ok(db)
}

/// The gemeenten use cases on `db`, validating rule scripts with the configured sandbox and
/// remembering what a host or slug selected for `server.tenant_cache`, as measured on `clock`.
pub fn tenant_directory(
    config: &Config,
    db: &Database,
    clock: Arc<dyn Clock>,
) -> Result<TenantDirectory, StartError> {
    let base =
        bundle::base_tokens(&config.paths.themes).map_err(|e| StartError::Config(e.to_string()))?;
    let validator = Validator::new(Arc::new(RuleEngine::new(config.rules.limits())));
    Ok(TenantDirectory::new(
        Arc::new(SeaTenantRepository::new(db.clone())),
        base,
        Arc::new(validator),
        clock,
    )
    .remembering(config.server.tenant_cache.0))
}

/// The host names of `staff.hosts`, which serve only the console.
#[derive(Clone)]
struct ConsoleHosts(Arc<Vec<Hostname>>);

fn console_hosts(config: &Config) -> Result<ConsoleHosts, StartError> {
    let hosts = config
        .staff
        .hosts
        .iter()
        .map(|h| Hostname::parse(h).map_err(|e| StartError::Config(format!("staff.hosts: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ConsoleHosts(Arc::new(hosts)))
}

impl ConsoleHosts {
    /// `portal`, except that on a console host every request is sent to `/beheer`: no
    /// gemeente's pages on the console's own host name.
    fn only_console(
        self,
        portal: impl Endpoint<Output = poem::Response> + 'static,
    ) -> impl Endpoint<Output = poem::Response> {
        portal.around(move |ep, req| {
            let hosts = self.0.clone();
            async move {
                let host = req
                    .headers()
                    .get(poem::http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .and_then(|h| Hostname::parse(h).ok());
                if host.is_some_and(|h| hosts.contains(&h)) {
                    return Ok(poem::Response::builder()
                        .status(poem::http::StatusCode::SEE_OTHER)
                        .header(poem::http::header::LOCATION, "/beheer")
                        .header(poem::http::header::CACHE_CONTROL, "no-store")
                        .finish());
                }
                ep.call(req).await
            }
        })
    }
}

/// A running server.
pub struct Application {
    addr: SocketAddr,
    public_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    db: Database,
    tenants: TenantDirectory,
    rule_book: Arc<RuleBook>,
    rule_errors: DbRuleErrorSink,
    state: Portal,
    console: Console,
    demo_staff: Vec<crate::demo_staff::DemoStaff>,
    stop_worker: watch::Sender<bool>,
    worker: Option<JoinHandle<()>>,
    batch_worker: Option<JoinHandle<()>>,
    housekeeping: Housekeeping,
    privacy: Privacy,
    sweeper: Option<JoinHandle<()>>,
    demo_resident: bool,
}

impl Application {
    /// Opens and migrates the database, imports the demo gemeenten into an empty embedded
    /// database, binds the listening socket and starts serving.
    pub async fn start(config: &Config, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let db = open_database(config).await?;
        let tenants = tenant_directory(config, &db, clock.clone())?;
        let (rule_book, rule_errors, rules) = wiring::rules_port(config, &db);
        let facts = PlatformFacts::new(Arc::new(SeaFactRepository::new(db.clone())), clock.clone());
        let mut demo_resident = false;
        if config.is_embedded() && tenants.is_empty().await.map_err(StartError::Database)? {
            // Only an empty database needs the folder: a later start works without it.
            let demo = bundle::read_all(&config.paths.tenants)
                .map_err(|e| StartError::Demo(e.to_string()))?;
            let imported = tenants
                .import_if_empty(&demo)
                .await
                .map_err(|e| StartError::Demo(e.to_string()))?;
            tracing::info!(count = imported, "imported the demo gemeenten");
            demo_resident = imported > 0;
            // Recorded once the demo gemeenten are in: an import that failed half-way leaves
            // no demo behind, and every later start of this database knows it is the demo. A
            // first start with a real part configured imports them too but makes no demo.
            if demo_resident && crate::demo_mode::real_part(config).is_none() {
                facts
                    .record_demo(
                        "serve imported the demo gemeenten into the empty embedded database",
                    )
                    .await
                    .map_err(StartError::Database)?;
            }
        }
        let demo_mode = DemoMode::decide(config, &facts)
            .await
            .map_err(StartError::Database)?;
        demo_mode.log();
        let addr = format!("{}:{}", config.server.host, config.server.port);
        let acceptor = TcpListener::bind(addr.clone())
            .into_acceptor()
            .await
            .map_err(|source| StartError::Listen {
                addr: addr.clone(),
                source,
            })?;
        let local = acceptor
            .local_addr()
            .into_iter()
            .find_map(|a| a.as_socket_addr().copied())
            .ok_or_else(|| StartError::Listen {
                addr: addr.clone(),
                source: std::io::Error::other("no local address"),
            })?;
        let public_url = match &config.server.public_url {
            Some(url) => url.clone(),
            None => format!("http://{}:{}", config.server.host, local.port()),
        };
        let public =
            PublicUrl::parse(&public_url).map_err(|e| StartError::Config(e.to_string()))?;
        let catalogues = Catalogues::embedded().map_err(StartError::Config)?;
        let templates = Arc::new(
            Templates::load(&config.paths.themes, &catalogues).map_err(StartError::Config)?,
        );
        let services = wiring::services(
            config,
            &db,
            tenants.clone(),
            clock.clone(),
            templates.clone(),
            catalogues.clone(),
            public.clone(),
            rules.clone(),
            demo_mode,
        )?;
        if demo_resident {
            crate::demo::create_resident(&services).await?;
        }
        let top_ups = services.top_ups.clone();
        let (stop_worker, worker_stop) = watch::channel(false);
        let worker = wiring::spawn_outbox_worker(
            config,
            &db,
            clock.clone(),
            demo_mode,
            worker_stop.clone(),
        )?;
        let housekeeping = wiring::housekeeping(config, &db, clock.clone());
        let privacy = wiring::privacy(&db, clock.clone());
        let worker_stop_batches = worker_stop.clone();
        let sweeper =
            wiring::spawn_housekeeping(housekeeping.clone(), privacy.clone(), top_ups, worker_stop);
        let clock_for_console = clock.clone();
        let web = WebState::new(
            tenants.clone(),
            Arc::new(db.clone()),
            clock,
            templates,
            catalogues,
            WebSettings {
                public_url: public,
                version: VERSION.to_owned(),
                client_ip_header: config.server.client_ip_header.clone(),
                body_limit: config.server.body_limit_kib as usize * 1024,
            },
        );
        let (staff_auth, enrolment, audit) = wiring::staff(
            config,
            &db,
            clock_for_console.clone(),
            demo_mode.is_on(),
            &public_url,
        )?;
        let console_services = ConsoleServices {
            auth: staff_auth,
            staff: StaffManagement::new(enrolment.clone()),
            enrolment,
            dashboard: wiring::dashboard(&db, clock_for_console.clone()),
            // The directory the pages read, so that a change is shown on this instance at once.
            suspensions: Suspensions::new(
                tenants.clone(),
                audit.clone(),
                clock_for_console.clone(),
            ),
            api_keys: wiring::api_keys(&db, audit, clock_for_console.clone()),
            bundles: Arc::new(crate::bundle_archives::ArchiveBundles::new(tenants.clone())),
            batches: wiring::batches(
                config,
                &db,
                services.desk.clone(),
                clock_for_console.clone(),
            ),
            desk: services.desk.clone(),
            loket: services.loket.clone(),
            search: parkportal_domain::search::ProductSearch::new(Arc::new(
                parkportal_store::SeaSearchRepository::new(db.clone()),
            )),
            dossiers: parkportal_domain::dossier::Dossiers::new(
                Arc::new(parkportal_store::SeaDossierRepository::new(db.clone())),
                clock_for_console.clone(),
            ),
            parking: services.parking.clone(),
            revocations: parkportal_domain::revocation::Revocations::new(
                Arc::new(parkportal_store::SeaRevocationRepository::new(db.clone())),
                services.parking.clone(),
                clock_for_console.clone(),
            ),
            rules: parkportal_domain::rules_console::RulesConsole::new(
                tenants.clone(),
                tenants.validator(),
                rules.clone(),
            ),
            gemeente_look: parkportal_domain::gemeente_look::GemeenteLook::new(tenants.clone()),
            payer_refunds: parkportal_domain::payer_refunds::PayerRefunds::new(
                Arc::new(parkportal_store::SeaPayerRefundRepository::new(db.clone())),
                services.top_ups.provider(),
                clock_for_console.clone(),
            ),
            corrections: parkportal_domain::corrections::Corrections::new(
                Arc::new(parkportal_store::SeaCorrectionRepository::new(db.clone())),
                clock_for_console.clone(),
                config
                    .desk
                    .limits()
                    .map_err(|e| StartError::Config(e.to_string()))?,
            ),
        };
        let batch_worker =
            wiring::spawn_batch_worker(config, &console_services.batches, worker_stop_batches)?;
        let mut demo_staff = Vec::new();
        // Demo staff only where the demo is: never beside a real part (an https public URL,
        // a mail server, a real payment provider), so never where the public URL is https.
        if demo_resident && demo_mode.is_on() {
            let demo_tenants = tenants.list().await.map_err(StartError::Database)?;
            demo_staff = crate::demo_staff::create(
                &console_services,
                &demo_tenants,
                clock_for_console.as_ref(),
            )
            .await?;
        }
        let console = Console::new(web.clone(), console_services, &config.paths.themes)
            .map_err(StartError::Config)?;
        let state = Portal::new(web.clone(), services);
        // Every refusal of a file (missing, a folder, a path out of the folder, a method) is the
        // themed 404: it names no path and tells nothing of the disk.
        let files = StaticFilesEndpoint::new(config.paths.themes.join("default").join("static"))
            .around(|files, req| async move {
                match files.call(req).await {
                    Ok(resp) => Ok(resp.into_response()),
                    Err(_) => Err(poem::Error::from(AppError::NotFound)),
                }
            })
            .with(Serve(RouteKind::Asset));
        // Files and the operational endpoints depend on no gemeente and work without the
        // database; `/beheer` is the staff console's and every other path the portal's.
        let routes = parkportal_web::ops::attach(Route::new())
            .nest("/static", files)
            .nest("/beheer", parkportal_admin::routes(console.clone()))
            .nest("/api/admin", parkportal_admin::api::routes(console.clone()))
            .nest(
                "/",
                console_hosts(config)?.only_console(parkportal_portal::routes(state.clone())),
            );
        // Outermost first: Observe (request id, client address, the shared state), Compression
        // (which undoes a request's Content-Encoding lazily, so the body limit counts
        // decompressed bytes); each front end then resolves its gemeente and login, and each
        // route its CSRF token, the limits on its input and its error answers.
        let app = routes.with(Compression::new()).with(Observe::new(web));
        let state_for_app = state;
        let (tx, rx) = oneshot::channel::<()>();
        let grace = Duration::from_secs(config.server.shutdown_timeout_seconds);
        let task = tokio::spawn(async move {
            Server::new_with_acceptor(acceptor)
                .run_with_graceful_shutdown(
                    app,
                    async move {
                        let _ = rx.await;
                    },
                    Some(grace),
                )
                .await
        });
        Ok(Self {
            addr: local,
            public_url,
            shutdown: Some(tx),
            task,
            db,
            tenants,
            rule_book,
            rule_errors,
            state: state_for_app,
            console,
            demo_staff,
            stop_worker,
            worker,
            batch_worker,
            housekeeping,
            privacy,
            sweeper: Some(sweeper),
            demo_resident,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL of the listening socket (`http://127.0.0.1:port`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The configured (or derived) public URL.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The gemeenten use cases of this application, for tests and the CLI.
    pub fn tenants(&self) -> &TenantDirectory {
        &self.tenants
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The gemeenten's rules, read from the database and compiled once per version.
    pub fn rule_book(&self) -> &RuleBook {
        &self.rule_book
    }

    /// Where failed rule-script calls are recorded.
    pub fn rule_errors(&self) -> &DbRuleErrorSink {
        &self.rule_errors
    }

    /// Whether this start created the demo resident (on a fresh embedded database).
    pub fn created_demo_resident(&self) -> bool {
        self.demo_resident
    }

    /// The housekeeping of this instance (it also runs by itself every ten minutes).
    pub fn housekeeping(&self) -> &Housekeeping {
        &self.housekeeping
    }

    /// The privacy job of this instance (it runs with housekeeping every ten minutes).
    pub fn privacy(&self) -> &Privacy {
        &self.privacy
    }

    /// The use cases as the portal's pages see them.
    pub fn state(&self) -> &Portal {
        &self.state
    }

    /// A gemeente's API keys: the authentication of the admin API's bearer keys.
    pub fn api_keys(&self) -> &parkportal_domain::api_keys::ApiKeys {
        self.console.api_keys()
    }

    /// The letter batches: uploads, their progress, and a worker of their own for tests that
    /// stop a batch halfway (with `batches.worker = false`).
    pub fn batches(&self) -> &parkportal_domain::batches::LetterBatches {
        self.console.batches()
    }

    /// The console's state: its login, enrolment and audit trail, for tests and the CLI.
    pub fn console(&self) -> &Console {
        &self.console
    }

    /// The demo staff this start created (on a fresh embedded demo database), to print.
    pub fn demo_staff(&self) -> &[crate::demo_staff::DemoStaff] {
        &self.demo_staff
    }

    /// Stops accepting connections, lets running requests finish, lets the outbox worker finish
    /// the mail it is sending, and closes the database.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let result = self.task.await.map_err(std::io::Error::other)?;
        let _ = self.stop_worker.send(true);
        for task in [
            self.worker.take(),
            self.batch_worker.take(),
            self.sweeper.take(),
        ]
        .into_iter()
        .flatten()
        {
            let _ = task.await;
        }
        let _ = self.db.close().await;
        result
    }

    /// Serves until `signal` (see [`shutdown_signal`]) fires, then shuts down gracefully.
    pub async fn serve_until(
        self,
        signal: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        signal.await;
        tracing::info!("shutting down: letting running requests finish");
        self.stop().await
    }
}

/// SIGTERM or SIGINT (Ctrl-C). The handlers are installed when this is called, not when the future
/// is first awaited, so call it before announcing the server: a signal that arrives in between
/// then still shuts down gracefully instead of killing the process.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {},
                        _ = int.recv() => {},
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
