//! Builds the use cases from the configuration and the database: what the server and the CLI
//! share, so that a mail queued by `parkportal products issue` is the same as one queued by a page.

use crate::app::StartError;
use crate::config::Config;
use crate::config::ProviderChoice;
use crate::demo_mode::DemoMode;
use crate::mollie::MollieProvider;
use crate::passwords::Argon2Hasher;
use crate::rule_errors::DbRuleErrorSink;
use crate::smtp::SmtpTransport;
use parkportal_domain::RuleRepository;
use parkportal_domain::api_keys::ApiKeys;
use parkportal_domain::audit::AuditRepository;
use parkportal_domain::batches::{BatchSettings, LetterBatches};
use parkportal_domain::captcha::Captchas;
use parkportal_domain::dashboard::Dashboard;
use parkportal_domain::favorites::Favorites;
use parkportal_domain::history::History;
use parkportal_domain::housekeeping::{Housekeeping, Retention};
use parkportal_domain::idempotency::Idempotency;
use parkportal_domain::loket::{Loket, LoketPorts};
use parkportal_domain::mandates::{MandateSettings, Mandates};
use parkportal_domain::own_data::OwnData;
use parkportal_domain::parking::{Parking, ParkingRepository, ProductAccess, RulesPort};
use parkportal_domain::password_reset::PasswordResets;
use parkportal_domain::privacy::Privacy;
use parkportal_domain::settings::Settings;
use parkportal_domain::staff::{Enrolment, StaffAuth, StaffPorts, StaffRepository, StaffSettings};
use parkportal_domain::throttle::Throttle;
use parkportal_domain::top_up::{ProviderWithCheckout, TopUpSettings, TopUps};
use parkportal_domain::{
    Accounts, AuthSettings, Clock, MailComposer, OutboxRepository, OutboxWorker, ProductDesk,
    PublicUrl, TenantDirectory,
};
use parkportal_portal::Services;
use parkportal_rules::engine::RuleEngine;
use parkportal_rules::{RuleBook, RuleBookPort};
use parkportal_store::{
    Database, SeaAccountRepository, SeaAuditRepository, SeaCaptchaRepository,
    SeaFavoriteRepository, SeaHistoryRepository, SeaHousekeepingRepository,
    SeaIdempotencyRepository, SeaMandateRepository, SeaOutboxRepository, SeaOwnDataRepository,
    SeaParkingRepository, SeaPaymentRepository, SeaPrivacyRepository, SeaProductRepository,
    SeaSettingsRepository, SeaStaffRepository, SeaThrottleRepository, SimulatedProvider,
};
use parkportal_store::{
    SeaApiKeyRepository, SeaApplicationRepository, SeaBatchRepository, SeaDashboardRepository,
    SeaRuleRepository,
};
use parkportal_web::i18n::Catalogues;
use parkportal_web::mail::TemplateMailComposer;
use parkportal_web::templates::Templates;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The use cases on `db`, with links built from `public_url` and sessions checked by `rules`;
/// `demo` says whether the pages may show the outbox (see [`DemoMode`]).
#[expect(
    clippy::too_many_arguments,
    reason = "the composition root hands each part over by name; a struct of them would only be unpacked again here"
)]
pub fn services(
    config: &Config,
    db: &Database,
    tenants: TenantDirectory,
    clock: Arc<dyn Clock>,
    templates: Arc<Templates>,
    catalogues: Catalogues,
    public_url: PublicUrl,
    rules: Arc<dyn RulesPort>,
    demo: DemoMode,
) -> Result<Services, StartError> {
    let hasher = Argon2Hasher::new(config.auth.hash_memory_kib, config.auth.hash_iterations)
        .map_err(|e| StartError::Config(format!("auth: {e}")))?;
    let accounts_repo = Arc::new(SeaAccountRepository::new(db.clone()));
    let accounts = Accounts::new(
        accounts_repo.clone(),
        Arc::new(hasher),
        clock.clone(),
        Throttle::new(Arc::new(SeaThrottleRepository::new(db.clone()))),
        AuthSettings {
            idle_timeout: config.auth.idle_timeout.to_chrono(),
            coupling_link: config.auth.coupling_link.to_chrono(),
            remember_me: config.auth.remember_me.to_chrono(),
            reset_link: config.auth.reset_link.to_chrono(),
        },
    );
    let composer: Arc<dyn MailComposer> =
        Arc::new(TemplateMailComposer::new(templates, catalogues));
    let captchas = Captchas::new(
        Arc::new(SeaCaptchaRepository::new(db.clone())),
        clock.clone(),
    );
    let resets = PasswordResets::new(
        accounts.clone(),
        captchas.clone(),
        composer.clone(),
        public_url.clone(),
    );
    let desk = ProductDesk::new(
        Arc::new(SeaProductRepository::new(db.clone())),
        accounts.clone(),
        tenants.clone(),
        composer.clone(),
        clock.clone(),
        public_url.clone(),
    )
    .with_letters(
        Arc::new(
            parkportal_letters::PdfLetters::with_themes(&config.paths.themes)
                .map_err(|e| StartError::Config(format!("letters: {e}")))?,
        ),
        config.letters.keep.to_chrono(),
    );
    let loket = Loket::new(
        LoketPorts {
            tenants: tenants.clone(),
            repo: Arc::new(SeaApplicationRepository::new(db.clone())),
            captchas,
            throttle: accounts.throttle().clone(),
            composer: composer.clone(),
            clock: clock.clone(),
            platform_url: public_url.clone(),
            desk: desk.clone(),
            rules: rules.clone(),
            audit: Arc::new(SeaAuditRepository::new(db.clone())),
        },
        config
            .loket
            .settings()
            .map_err(|e| StartError::Config(e.0))?,
    );
    let outbox: Arc<dyn OutboxRepository> = Arc::new(SeaOutboxRepository::new(db.clone()));
    let parking_store = Arc::new(SeaParkingRepository::new(db.clone()));
    let parking_repo: Arc<dyn ParkingRepository> = parking_store.clone();
    // The use cases around parking only read a resident's product (favorites also its plates).
    let product_access: Arc<dyn ProductAccess> = parking_store;
    let parking = Parking::new(
        parking_repo.clone(),
        rules.clone(),
        clock.clone(),
        config.parking.start_grace.to_chrono(),
    );
    let history = History::new(
        product_access.clone(),
        Arc::new(SeaHistoryRepository::new(db.clone())),
        clock.clone(),
    );
    let favorites = Favorites::new(
        Arc::new(SeaFavoriteRepository::new(db.clone())),
        parking_repo.clone(),
        clock.clone(),
    );
    let top_ups = TopUps::new(
        Arc::new(SeaPaymentRepository::new(db.clone())),
        product_access.clone(),
        rules.clone(),
        payment_provider(config, db, &public_url, clock.clone())?,
        clock.clone(),
        TopUpSettings {
            expiry: config.payments.expiry.to_chrono(),
            webhook_url: public_url.join("/api/v1/payments/webhook"),
            provider_name: match config.payments.provider {
                ProviderChoice::Simulated => "simulated",
                ProviderChoice::Mollie => "mollie",
            },
        },
    );
    let mandates = Mandates::new(
        Arc::new(SeaMandateRepository::new(db.clone())),
        product_access.clone(),
        accounts_repo.clone(),
        rules.clone(),
        tenants.clone(),
        composer.clone(),
        clock.clone(),
        MandateSettings {
            link_valid: config.auth.coupling_link.to_chrono(),
            per_day: config.mandates.invitations_per_day,
            platform_url: public_url.clone(),
        },
    );
    let settings = Settings::new(
        Arc::new(SeaSettingsRepository::new(db.clone())),
        product_access,
    );
    let own_data = OwnData::new(
        Arc::new(SeaOwnDataRepository::new(db.clone())),
        rules.clone(),
        accounts.clone(),
    );
    let idempotency = Idempotency::new(
        Arc::new(SeaIdempotencyRepository::new(db.clone())),
        clock.clone(),
        config.parking.idempotency_keys.to_chrono(),
    );
    Ok(Services {
        loket,
        idempotency,
        own_data,
        parking,
        history,
        favorites,
        settings,
        top_ups,
        mandates,
        tenants,
        accounts,
        desk,
        resets,
        outbox,
        demo_mode: demo.is_on(),
    })
}

/// No payment provider: every payment fails to be created (nothing is charged).
struct NoProvider;

#[async_trait::async_trait]
impl parkportal_domain::top_up::PaymentProvider for NoProvider {
    fn simulated(&self) -> bool {
        false
    }

    fn checkout_origins(&self) -> Vec<String> {
        Vec::new()
    }

    async fn create(
        &self,
        _: &parkportal_domain::top_up::PaymentRequest,
    ) -> Result<parkportal_domain::top_up::ProviderPayment, parkportal_domain::top_up::ProviderError>
    {
        Err(parkportal_domain::top_up::ProviderError(
            "no payment provider is configured".into(),
        ))
    }

    async fn fetch(
        &self,
        _: &str,
    ) -> Result<parkportal_domain::top_up::ProviderPayment, parkportal_domain::top_up::ProviderError>
    {
        Err(parkportal_domain::top_up::ProviderError(
            "no payment provider is configured".into(),
        ))
    }

    async fn refund(
        &self,
        _: &parkportal_domain::top_up::RefundRequest,
    ) -> Result<parkportal_domain::top_up::ProviderRefund, parkportal_domain::top_up::RefundFailure>
    {
        // Kept to be sent again once a provider is configured.
        Err(parkportal_domain::top_up::RefundFailure::Unsure(
            "no payment provider is configured".into(),
        ))
    }
}

/// The payment provider `payments.provider` names, with the simulated checkout when that is it.
fn payment_provider(
    config: &Config,
    db: &Database,
    public_url: &PublicUrl,
    clock: Arc<dyn Clock>,
) -> Result<ProviderWithCheckout, StartError> {
    Ok(match config.payments.provider {
        // Like the demo outbox: a deployment on https never gets the simulation, which would
        // hand out balance for nothing. Top-ups fail until a real provider is configured.
        ProviderChoice::Simulated if public_url.as_str().starts_with("https://") => {
            tracing::warn!(
                "payments.provider is simulated but server.public_url is https: the simulated \
                 checkout is off and top-ups fail until payments.provider = \"mollie\" is set"
            );
            (Arc::new(NoProvider), None)
        }
        ProviderChoice::Simulated => {
            let simulated = Arc::new(SimulatedProvider::new(
                db.clone(),
                public_url.clone(),
                clock,
                config.payments.expiry.to_chrono(),
            ));
            (simulated.clone(), Some(simulated))
        }
        ProviderChoice::Mollie => {
            let key = config.payments.mollie.api_key.clone().unwrap_or_default();
            let mollie = MollieProvider::new(key, &config.payments.mollie.base_url)
                .map_err(|e| StartError::Config(format!("payments.mollie: {e}")))?;
            (Arc::new(mollie), None)
        }
    })
}

/// The outbox worker of this instance, polling every `outbox.poll_interval` until `stop` turns
/// true. `None` without `smtp.host`: then mails stay in the outbox (for the demo page in `demo`
/// mode, for `parkportal outbox` always).
pub fn spawn_outbox_worker(
    config: &Config,
    db: &Database,
    clock: Arc<dyn Clock>,
    demo: DemoMode,
    mut stop: watch::Receiver<bool>,
) -> Result<Option<JoinHandle<()>>, StartError> {
    let Some(transport) = SmtpTransport::from_config(&config.smtp).map_err(StartError::Config)?
    else {
        if demo.is_on() {
            tracing::info!("no smtp.host: mails stay in the outbox (demo mode, see /demo/outbox)");
        } else {
            tracing::warn!(
                "no smtp.host: mails are queued but not sent until smtp.host is set; \
                 `parkportal outbox list` shows them"
            );
        }
        return Ok(None);
    };
    let worker = OutboxWorker::new(
        Arc::new(SeaOutboxRepository::new(db.clone())),
        Arc::new(transport),
        clock,
    );
    let interval = config.outbox.poll_interval.0;
    Ok(Some(tokio::spawn(async move {
        loop {
            match worker.run_once().await {
                Ok(run) if run.sent + run.failed > 0 => {
                    tracing::info!(sent = run.sent, failed = run.failed, "outbox");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %parkportal_web::error::chain(&e), "outbox"),
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.changed() => break,
            }
        }
    })))
}

/// The letter batches on `db`, their rows issued by `desk`.
pub fn batches(
    config: &Config,
    db: &Database,
    desk: ProductDesk,
    clock: Arc<dyn Clock>,
) -> LetterBatches {
    LetterBatches::new(
        Arc::new(SeaBatchRepository::new(db.clone())),
        desk,
        clock,
        BatchSettings {
            lease: config.batches.lease.to_chrono(),
            parallel: config.batches.parallel(),
            keep: config.letters.keep.to_chrono(),
        },
    )
}

/// The batch worker of this instance: takes one batch after another, looking every
/// `batches.poll_interval` while none waits, until `stop` turns true. `None` with
/// `batches.worker = false`.
pub fn spawn_batch_worker(
    config: &Config,
    batches: &LetterBatches,
    mut stop: watch::Receiver<bool>,
) -> Result<Option<JoinHandle<()>>, StartError> {
    if !config.batches.worker {
        return Ok(None);
    }
    // Unique among the instances that share the database: the process and a random part.
    let token = parkportal_domain::Token::generate()
        .map_err(|e| StartError::Config(format!("batches: {e}")))?;
    let owner = format!(
        "{}-{}",
        std::process::id(),
        token.expose().chars().take(12).collect::<String>()
    );
    let runner = batches.runner(owner);
    let interval = config.batches.poll_interval.0;
    Ok(Some(tokio::spawn(async move {
        loop {
            let worked = tokio::select! {
                run = runner.run_once(None) => run,
                _ = stop.changed() => break,
            };
            let idle = match worked {
                Ok(Some(run)) => {
                    tracing::info!(batch = %run.batch, issued = run.issued, refused = run.refused, finished = run.finished, "letter batch");
                    false
                }
                Ok(None) => true,
                Err(e) => {
                    tracing::warn!(error = %parkportal_web::error::chain(&e), "letter batch");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = stop.changed() => break,
                }
            }
        }
    })))
}

/// How often each instance deletes what has served its purpose.
const HOUSEKEEPING_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// The staff side's login and enrolment on `db`, and its audit trail: the password hasher and
/// the throttles as the residents' login has them (the throttles count under keys of their own);
/// `demo` lets the demo's staff log in; enrolment links are under `public_url`.
pub fn staff(
    config: &Config,
    db: &Database,
    clock: Arc<dyn Clock>,
    demo: bool,
    public_url: &str,
) -> Result<(StaffAuth, Enrolment, Arc<dyn AuditRepository>), StartError> {
    let hasher = Argon2Hasher::new(config.auth.hash_memory_kib, config.auth.hash_iterations)
        .map_err(|e| StartError::Config(format!("auth: {e}")))?;
    let hasher = Arc::new(hasher);
    let repo: Arc<dyn StaffRepository> = Arc::new(SeaStaffRepository::new(db.clone()));
    let audit: Arc<dyn AuditRepository> = Arc::new(SeaAuditRepository::new(db.clone()));
    let throttle = Throttle::new(Arc::new(SeaThrottleRepository::new(db.clone())));
    let settings = StaffSettings {
        idle_timeout: config.staff.idle_timeout.to_chrono(),
        max_session: config.staff.max_session.to_chrono(),
        enrolment_link: config.staff.enrolment_link.to_chrono(),
        demo_accounts: demo,
    };
    let ports = StaffPorts {
        repo,
        audit: audit.clone(),
        hasher,
        clock,
        throttle,
        settings,
    };
    let auth = StaffAuth::new(ports.clone());
    // Every enrolment link is mailed (through the outbox, in the transaction that makes it):
    // an invitation from the console reaches the invitee only so. Without a mail server the
    // mail waits in the outbox (the demo shows it); the command line prints the link as well.
    let catalogues = Catalogues::embedded().map_err(StartError::Config)?;
    let templates =
        Arc::new(Templates::load(&config.paths.themes, &catalogues).map_err(StartError::Config)?);
    let composer: Arc<dyn MailComposer> =
        Arc::new(TemplateMailComposer::new(templates, catalogues));
    let enrolment = Enrolment::new(ports).mailing(composer, public_url);
    Ok((auth, enrolment, audit))
}

/// A gemeente's API keys on `db`, their refusals recorded in `audit`.
pub fn api_keys(db: &Database, audit: Arc<dyn AuditRepository>, clock: Arc<dyn Clock>) -> ApiKeys {
    ApiKeys::new(Arc::new(SeaApiKeyRepository::new(db.clone())), audit, clock)
}

/// The console's dashboard of a gemeente on `db`.
pub fn dashboard(db: &Database, clock: Arc<dyn Clock>) -> Dashboard {
    Dashboard::new(Arc::new(SeaDashboardRepository::new(db.clone())), clock)
}

/// The housekeeping of `db` (sessions, tokens, captchas, links, sent mails, counters, and audit
/// entries past their retention).
pub fn housekeeping(config: &Config, db: &Database, clock: Arc<dyn Clock>) -> Housekeeping {
    Housekeeping::new(
        Arc::new(SeaHousekeepingRepository::new(db.clone())),
        clock,
        Retention {
            idle_timeout: config.auth.idle_timeout.to_chrono(),
            keep_sent: config.outbox.keep_sent.to_chrono(),
            idempotency_keys: config.parking.idempotency_keys.to_chrono(),
            audit: config.audit.retention.to_chrono(),
            staff_idle_timeout: config.staff.idle_timeout.to_chrono(),
            decided_applications: config.loket.keep_decided.to_chrono(),
        },
    )
}

/// The privacy job of `db`: plates past their gemeente's retention are anonymised.
pub fn privacy(db: &Database, clock: Arc<dyn Clock>) -> Privacy {
    Privacy::new(Arc::new(SeaPrivacyRepository::new(db.clone())), clock)
}

/// Runs `housekeeping`, `privacy` and the expiry of open payments every ten minutes until
/// `stop` turns true. Every instance may run them: deletes, anonymisation and expiry are
/// idempotent.
pub fn spawn_housekeeping(
    housekeeping: Housekeeping,
    privacy: Privacy,
    top_ups: TopUps,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match top_ups.expire_overdue().await {
                Ok(0) => {}
                Ok(expired) => tracing::info!(expired, "open payments expired"),
                Err(e) => tracing::warn!(error = %parkportal_web::error::chain(&e), "payments"),
            }
            match housekeeping.run_once().await {
                Ok(purged) if !purged.is_empty() => tracing::info!(?purged, "housekeeping"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %parkportal_web::error::chain(&e), "housekeeping"),
            }
            // Counts only: plates never appear in logs.
            match privacy.run_once().await {
                Ok(done) if !done.is_empty() => tracing::info!(
                    sessions = done.sessions,
                    mails = done.mails,
                    "plates anonymised"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %parkportal_web::error::chain(&e), "privacy"),
            }
            tokio::select! {
                _ = tokio::time::sleep(HOUSEKEEPING_EVERY) => {}
                _ = stop.changed() => break,
            }
        }
    })
}

/// The gemeenten's rules as the domain's port: compiled once per version, failures recorded.
pub fn rules_port(
    config: &Config,
    db: &Database,
) -> (Arc<RuleBook>, DbRuleErrorSink, Arc<dyn RulesPort>) {
    let repo: Arc<dyn RuleRepository> = Arc::new(SeaRuleRepository::new(db.clone()));
    let book = Arc::new(RuleBook::new(
        Arc::new(RuleEngine::new(config.rules.limits())),
        repo.clone(),
    ));
    let sink = DbRuleErrorSink::spawn(repo);
    let port: Arc<dyn RulesPort> =
        Arc::new(RuleBookPort::new(book.clone(), Arc::new(sink.clone())));
    (book, sink, port)
}
