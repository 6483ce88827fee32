//! Migrations taken down and up again under a running application.

use super::TestApp;
use parkportal_migrations::{Migrator, MigratorTrait};
use sea_orm::{DatabaseConnection, DbErr};

/// A connection of its own to `app`'s database: on SQLite another connection of the pool may
/// still hold the schema from before a migration went down, and a column added again would
/// read to it as one it already has.
pub async fn own_connection(app: &TestApp) -> parkportal_store::Database {
    parkportal_store::Database::connect(&parkportal_store::DatabaseSettings {
        url: app.config.database_url(),
        max_connections: 1,
        busy_timeout: std::time::Duration::from_secs(5),
    })
    .await
    .unwrap()
}

/// Takes down migration `name` and every one after it (newest first), so that a test of a
/// migration keeps testing it when later ones come.
pub async fn down_through(db: &DatabaseConnection, name: &str) -> Result<(), DbErr> {
    let all = Migrator::migrations();
    let at = all
        .iter()
        .position(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no migration {name}"));
    Migrator::down(db, Some((all.len() - at) as u32)).await
}
