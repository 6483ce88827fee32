//! The rules console (#23): each version of a rule script or tariff records who made it, when,
//! and why. Versions stored before (imports) keep these empty.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Versioned {
    RuleScripts,
    Tariffs,
    Author,
    Comment,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Versioned::RuleScripts, Versioned::Tariffs] {
            // SQLite adds one column per statement.
            for column in [
                // A staff member's address may be 254 characters.
                text_null(Versioned::Author),
                text_null(Versioned::Comment),
                timestamp_with_time_zone_null(Versioned::CreatedAt),
            ] {
                manager
                    .alter_table(
                        Table::alter()
                            .table(table)
                            .add_column(column.to_owned())
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Versioned::RuleScripts, Versioned::Tariffs] {
            for column in [Versioned::Author, Versioned::Comment, Versioned::CreatedAt] {
                manager
                    .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                    .await?;
            }
        }
        Ok(())
    }
}
