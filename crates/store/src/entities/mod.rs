//! sea-orm entities: one module per table, mirroring the migrations.

pub mod accounts;
pub mod auth_sessions;
pub mod captchas;
pub mod email_links;
pub mod favorites;
pub mod idempotency_keys;
pub mod ledger_entries;
pub mod mandates;
pub mod outbox;
pub mod parking_sessions;
pub mod payments;
pub mod platform_facts;
pub mod product_plates;
pub mod product_types;
pub mod products;
pub mod remember_tokens;
pub mod rule_errors;
pub mod simulated_payments;
pub mod tenant_hosts;
pub mod tenants;
pub mod throttles;
pub mod zones;
