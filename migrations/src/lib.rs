//! The one migration set of Parkportal, run on SQLite and on PostgreSQL alike.
//!
//! Each issue adds its own migration file; a migration that has shipped is never edited (the
//! migration's name comes from its file name, so never rename one either).

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_create_tenants;
mod m20261126_000002_create_rules;
mod m20261126_000003_create_accounts;
mod m20261126_000004_create_login_protection;
mod m20261126_000005_create_sessions;
mod m20261126_000006_add_product_revision;
mod m20261126_000007_history_settings_privacy;
mod m20261126_000008_create_favorites;
mod m20261126_000009_create_payments;
mod m20261126_000010_create_mandates;
mod m20261202_000011_create_idempotency_keys;
mod m20261203_000012_demo_mode_and_remember_families;
mod m20261203_000013_erasable_accounts;
mod m20261203_000014_create_staff_and_audit;
mod m20261203_000015_tenant_suspension;
mod m20261203_000016_letter_sender;
mod m20261203_000017_api_keys;
mod m20261203_000018_product_letters;
mod m20261203_000019_letter_batches;
mod m20261204_000020_batch_repeats;
mod m20261204_000021_product_search;
mod m20261204_000022_product_page;
mod m20261204_000023_balance_corrections;
mod m20261204_000024_payer_refunds;
mod m20261205_000025_name_word_heads;
mod m20261205_000026_rule_version_notes;
mod m20261206_000027_rule_schedule;
mod m20261207_000028_footer_links;
mod m20261208_000029_catalogue;
mod m20261209_000030_open_for_application;
mod m20261209_000031_applications;
mod m20261210_000032_application_decisions;
mod sqlite_rebuild;

/// Applies every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_tenants::Migration),
            Box::new(m20261126_000002_create_rules::Migration),
            Box::new(m20261126_000003_create_accounts::Migration),
            Box::new(m20261126_000004_create_login_protection::Migration),
            Box::new(m20261126_000005_create_sessions::Migration),
            Box::new(m20261126_000006_add_product_revision::Migration),
            Box::new(m20261126_000007_history_settings_privacy::Migration),
            Box::new(m20261126_000008_create_favorites::Migration),
            Box::new(m20261126_000009_create_payments::Migration),
            Box::new(m20261126_000010_create_mandates::Migration),
            Box::new(m20261202_000011_create_idempotency_keys::Migration),
            Box::new(m20261203_000012_demo_mode_and_remember_families::Migration),
            Box::new(m20261203_000013_erasable_accounts::Migration),
            Box::new(m20261203_000014_create_staff_and_audit::Migration),
            Box::new(m20261203_000015_tenant_suspension::Migration),
            Box::new(m20261203_000016_letter_sender::Migration),
            Box::new(m20261203_000017_api_keys::Migration),
            Box::new(m20261203_000018_product_letters::Migration),
            Box::new(m20261203_000019_letter_batches::Migration),
            Box::new(m20261204_000020_batch_repeats::Migration),
            Box::new(m20261204_000021_product_search::Migration),
            Box::new(m20261204_000022_product_page::Migration),
            Box::new(m20261204_000023_balance_corrections::Migration),
            Box::new(m20261204_000024_payer_refunds::Migration),
            Box::new(m20261205_000025_name_word_heads::Migration),
            Box::new(m20261205_000026_rule_version_notes::Migration),
            Box::new(m20261206_000027_rule_schedule::Migration),
            Box::new(m20261207_000028_footer_links::Migration),
            Box::new(m20261208_000029_catalogue::Migration),
            Box::new(m20261209_000030_open_for_application::Migration),
            Box::new(m20261209_000031_applications::Migration),
            Box::new(m20261210_000032_application_decisions::Migration),
        ]
    }
}
