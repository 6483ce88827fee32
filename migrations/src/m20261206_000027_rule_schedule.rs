//! Scheduling in the rules console (#23): each version of a rule script or tariff takes effect
//! from a moment, which may lie in the future (a new year's tariff from 1 January). A session is
//! priced by the versions in force at its start.
//!
//! Versions stored before take effect in the order of their numbers, as they did: each gets the
//! latest `created_at` of its own and the earlier versions, and those stored before the console
//! kept `created_at` (imports) keep none, which the server reads as "since always".

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Versioned {
    RuleScripts,
    Tariffs,
    EffectiveFrom,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name) in [
            (Versioned::RuleScripts, "rule_scripts"),
            (Versioned::Tariffs, "tariffs"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(timestamp_with_time_zone_null(Versioned::EffectiveFrom))
                        .to_owned(),
                )
                .await?;
            // `name` is one of two constants: nothing from outside reaches the SQL.
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "UPDATE {name} SET effective_from = (SELECT MAX(v.created_at) FROM {name} v \
                     WHERE v.tenant_id = {name}.tenant_id AND v.product_type = {name}.product_type \
                     AND v.version <= {name}.version)"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Versioned::RuleScripts, Versioned::Tariffs] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column(Versioned::EffectiveFrom)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
