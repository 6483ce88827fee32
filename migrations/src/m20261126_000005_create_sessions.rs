//! Parking sessions and the ledger: every change of a product's balance is an entry, the balance
//! on the product row is their sum and can never go below zero, and the product row is what every
//! write to its sessions or balance locks first.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    LastProductId,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Balance,
}

#[derive(DeriveIden)]
enum ParkingSessions {
    Table,
    Id,
    ProductId,
    AccountId,
    Plate,
    Country,
    StartAt,
    EndAt,
    Reserved,
    ScriptVersion,
    TariffVersion,
    Breakdown,
    CreatedAt,
    StoppedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
    ProductId,
    Kind,
    Amount,
    SessionId,
    GrantKey,
    Reference,
    Note,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement; a CHECK on an added column holds for new writes.
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(
                        big_integer(Products::Balance)
                            .default(0)
                            .check(Expr::col(Products::Balance).gte(0)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(big_integer_null(Accounts::LastProductId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ParkingSessions::Table)
                    .col(big_pk_auto(ParkingSessions::Id))
                    .col(big_integer(ParkingSessions::ProductId))
                    .col(big_integer(ParkingSessions::AccountId))
                    .col(string_len(ParkingSessions::Plate, 12))
                    .col(string_len(ParkingSessions::Country, 2))
                    .col(timestamp_with_time_zone(ParkingSessions::StartAt))
                    .col(timestamp_with_time_zone(ParkingSessions::EndAt))
                    // What the session has taken from the balance, in the balance's smallest unit.
                    .col(big_integer(ParkingSessions::Reserved))
                    .col(big_integer(ParkingSessions::ScriptVersion))
                    .col(big_integer(ParkingSessions::TariffVersion))
                    .col(text(ParkingSessions::Breakdown))
                    .col(timestamp_with_time_zone(ParkingSessions::CreatedAt))
                    .col(timestamp_with_time_zone_null(ParkingSessions::StoppedAt))
                    .col(timestamp_with_time_zone_null(ParkingSessions::DeletedAt))
                    .check(Expr::col(ParkingSessions::Reserved).gte(0))
                    .check(
                        Expr::col(ParkingSessions::EndAt).gt(Expr::col(ParkingSessions::StartAt)),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ParkingSessions::Table, ParkingSessions::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ParkingSessions::Table, ParkingSessions::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Running and planned sessions of a product: those that end after now.
        manager
            .create_index(
                Index::create()
                    .name("parking_sessions_product_end")
                    .table(ParkingSessions::Table)
                    .col(ParkingSessions::ProductId)
                    .col(ParkingSessions::EndAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LedgerEntries::Table)
                    .col(big_pk_auto(LedgerEntries::Id))
                    .col(big_integer(LedgerEntries::ProductId))
                    .col(string_len(LedgerEntries::Kind, 20))
                    // Signed, in the balance's smallest unit: credits positive, charges negative.
                    .col(big_integer(LedgerEntries::Amount))
                    .col(big_integer_null(LedgerEntries::SessionId))
                    // "<period start>" of a periodic grant: unique per product, so a grant is
                    // credited once per period however many requests race for it.
                    .col(string_len_null(LedgerEntries::GrantKey, 40))
                    // The payment provider's id of a top-up: unique, so a payment credits once.
                    .col(string_len_null(LedgerEntries::Reference, 100))
                    .col(text_null(LedgerEntries::Note))
                    .col(timestamp_with_time_zone(LedgerEntries::CreatedAt))
                    .check(Expr::col(LedgerEntries::Kind).is_in([
                        "opening",
                        "grant",
                        "top_up",
                        "reservation",
                        "refund",
                        "mandate_grant",
                        "mandate_return",
                        "correction",
                    ]))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LedgerEntries::Table, LedgerEntries::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(LedgerEntries::Table, LedgerEntries::SessionId)
                            .to(ParkingSessions::Table, ParkingSessions::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "ledger_entries_grant",
                vec![LedgerEntries::ProductId, LedgerEntries::GrantKey],
            ),
            ("ledger_entries_reference", vec![LedgerEntries::Reference]),
        ] {
            let mut index = Index::create();
            index.name(name).table(LedgerEntries::Table).unique();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ledger_entries_product_time")
                    .table(LedgerEntries::Table)
                    .col(LedgerEntries::ProductId)
                    .col(LedgerEntries::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LedgerEntries::Table.into_iden(),
            ParkingSessions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::LastProductId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .drop_column(Products::Balance)
                    .to_owned(),
            )
            .await
    }
}
