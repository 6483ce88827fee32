//! Two columns that let a start be decided on a plain read of the product:
//!
//! - `revision` counts every write to a product's sessions or balance, so that a start decided
//!   on what was read is written only if nothing changed since (the write checks the revision
//!   it read), and goes through the product's lock otherwise;
//! - `sessions_until` is a bound no live session of the product ends after (NULL: no session),
//!   so that a start after it needs no read of the product's sessions. Starts and extensions
//!   raise it; stops and deletes leave it, since a bound that is too late only costs a read.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Revision,
    SessionsUntil,
}

#[derive(DeriveIden)]
enum ParkingSessions {
    Table,
    ProductId,
    EndAt,
    DeletedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(big_integer(Products::Revision).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(timestamp_with_time_zone_null(Products::SessionsUntil))
                    .to_owned(),
            )
            .await?;
        // The bound for the sessions that exist already.
        let latest_end = Query::select()
            .expr(Expr::col((ParkingSessions::Table, ParkingSessions::EndAt)).max())
            .from(ParkingSessions::Table)
            .and_where(
                Expr::col((ParkingSessions::Table, ParkingSessions::ProductId))
                    .equals((Products::Table, Products::Id)),
            )
            .and_where(Expr::col((ParkingSessions::Table, ParkingSessions::DeletedAt)).is_null())
            .to_owned();
        manager
            .exec_stmt(
                Query::update()
                    .table(Products::Table)
                    .value(Products::SessionsUntil, latest_end)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Products::SessionsUntil, Products::Revision] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Products::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
