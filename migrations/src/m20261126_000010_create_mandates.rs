//! Mandates ("Machtigingen"): an owner lets another person park on a product.
//!
//! - `mandates`: to whom (the address, and once accepted the account), optionally one plate,
//!   and the mandate's own balance taken from the owner's (`imported` mandates of the previous
//!   system have none: they spend the owner's balance); an address has one mandate per product
//!   that is not revoked (a partial unique index);
//! - `parking_sessions.mandate_id`: the mandate a session was started through;
//! - `ledger_entries.mandate_id`: an entry on the mandate's balance instead of the owner's, so
//!   that each balance is the sum of its own entries (a partial index keeps the owner's entries
//!   countable from the index alone);
//! - `email_links.mandate_id`: the invitation link that couples the mandate to an account.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Mandates {
    Table,
    Id,
    ProductId,
    OwnerId,
    Email,
    MandateeId,
    Plate,
    Country,
    Balance,
    Imported,
    Status,
    CreatedAt,
    AcceptedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ParkingSessions {
    Table,
    MandateId,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    MandateId,
}

#[derive(DeriveIden)]
enum EmailLinks {
    Table,
    MandateId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Mandates::Table)
                    .col(big_pk_auto(Mandates::Id))
                    .col(big_integer(Mandates::ProductId))
                    .col(big_integer(Mandates::OwnerId))
                    .col(string_len(Mandates::Email, 254))
                    .col(big_integer_null(Mandates::MandateeId))
                    .col(string_len_null(Mandates::Plate, 12))
                    .col(string_len_null(Mandates::Country, 2))
                    // In the balance's smallest unit; never below zero.
                    .col(big_integer(Mandates::Balance).default(0))
                    .col(boolean(Mandates::Imported).default(false))
                    .col(string_len(Mandates::Status, 10))
                    .col(timestamp_with_time_zone(Mandates::CreatedAt))
                    .col(timestamp_with_time_zone_null(Mandates::AcceptedAt))
                    .col(timestamp_with_time_zone_null(Mandates::RevokedAt))
                    .check(Expr::col(Mandates::Balance).gte(0))
                    .check(Expr::col(Mandates::Status).is_in(["invited", "accepted", "revoked"]))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Mandates::Table, Mandates::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Mandates::Table, Mandates::OwnerId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Mandates::Table, Mandates::MandateeId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "mandates_product",
                vec![Mandates::ProductId, Mandates::Status],
            ),
            (
                "mandates_mandatee",
                vec![Mandates::MandateeId, Mandates::Status],
            ),
            // The invitations an owner sent lately (the daily limit).
            (
                "mandates_owner_created",
                vec![Mandates::OwnerId, Mandates::CreatedAt],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Mandates::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        // One mandate per address and product that is not revoked; sea-query writes no partial
        // indexes, and both databases read this statement alike.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX mandates_live_email ON mandates (product_id, email) \
                 WHERE status <> 'revoked'",
            )
            .await?;
        // SQLite adds one column per statement.
        for table in [
            ParkingSessions::Table.into_iden(),
            LedgerEntries::Table.into_iden(),
            EmailLinks::Table.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(big_integer_null(Alias::new("mandate_id")))
                        .to_owned(),
                )
                .await?;
        }
        // A mandate's live sessions are read at revocation.
        manager
            .create_index(
                Index::create()
                    .name("parking_sessions_mandate")
                    .table(ParkingSessions::Table)
                    .col(ParkingSessions::MandateId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ledger_entries_mandate")
                    .table(LedgerEntries::Table)
                    .col(LedgerEntries::MandateId)
                    .to_owned(),
            )
            .await?;
        // The owner's entries of a product, which history counts from the index alone
        // (`mandate_id` is a column too: SQLite does not take a partial index's condition as
        // covered).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ledger_entries_owner ON ledger_entries (product_id, id, mandate_id) \
                 WHERE mandate_id IS NULL",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("email_links_mandate")
                    .table(EmailLinks::Table)
                    .col(EmailLinks::MandateId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, index) in [
            (
                ParkingSessions::Table.into_iden(),
                "parking_sessions_mandate",
            ),
            (LedgerEntries::Table.into_iden(), "ledger_entries_mandate"),
            (EmailLinks::Table.into_iden(), "email_links_mandate"),
        ] {
            manager
                .drop_index(Index::drop().name(index).table(table.clone()).to_owned())
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column(Alias::new("mandate_id"))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Mandates::Table).to_owned())
            .await
    }
}
