//! A gemeente can be suspended by a platformbeheerder: since when, by whom (the address the
//! audit trail names too) and why. All three are NULL while the gemeente is active; the audit
//! trail keeps the history of every suspension and resumption, the row only the current state.
//! It is operational state: a gemeente's bundle neither carries nor changes it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    SuspendedAt,
    SuspendedBy,
    SuspensionReason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            timestamp_with_time_zone_null(Tenants::SuspendedAt),
            string_null(Tenants::SuspendedBy),
            text_null(Tenants::SuspensionReason),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tenants::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Tenants::SuspensionReason,
            Tenants::SuspendedBy,
            Tenants::SuspendedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tenants::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
