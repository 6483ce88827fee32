//! Storage: sea-orm entities and the repositories that implement the domain's ports, on SQLite
//! (the embedded default) and PostgreSQL alike. Only the composition root (`src/`) knows this crate.

mod database;
mod entities;
mod rules;
mod tenants;

pub use database::{Backend, Database, DatabaseSettings, redact_url};
pub use rules::SeaRuleRepository;
pub use tenants::SeaTenantRepository;
