//! Storage: sea-orm entities and the repositories that implement the domain's ports, on SQLite
//! (the embedded default) and PostgreSQL alike. Only the composition root (`src/`) knows this crate.

mod accounts;
mod audit;
mod by_key;
mod dashboard;
mod database;
mod entities;
mod favorites;
mod guards;
mod history;
mod idempotency;
mod ledger;
mod mandates;
mod outbox;
mod own_data;
mod parking;
mod payments;
mod platform;
mod privacy;
mod products;
mod remember;
mod rules;
mod settings;
mod staff;
mod tenants;
mod top_up_options;

pub use accounts::SeaAccountRepository;
pub use audit::SeaAuditRepository;
pub use dashboard::SeaDashboardRepository;
pub use database::{Backend, Database, DatabaseSettings, WriteGate, redact_url};
pub use favorites::SeaFavoriteRepository;
pub use guards::{SeaCaptchaRepository, SeaHousekeepingRepository, SeaThrottleRepository};
pub use history::SeaHistoryRepository;
pub use idempotency::SeaIdempotencyRepository;
pub use mandates::SeaMandateRepository;
pub use outbox::SeaOutboxRepository;
pub use own_data::SeaOwnDataRepository;
pub use parking::SeaParkingRepository;
pub use payments::{SeaPaymentRepository, SimulatedProvider, origin_of};
pub use platform::SeaFactRepository;
pub use privacy::SeaPrivacyRepository;
pub use products::SeaProductRepository;
pub use rules::SeaRuleRepository;
pub use settings::SeaSettingsRepository;
pub use staff::SeaStaffRepository;
pub use tenants::SeaTenantRepository;
