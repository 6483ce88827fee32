//! Staff corrections of a balance: each ledger entry may name the staff member who made it
//! (`ledger_entries.staff_id`), and every correction is a row of `balance_corrections`, applied
//! at once or waiting (`pending`) for a second medewerker's approval when it is above the
//! gemeente's limit; its decision (`applied`, `rejected`) names who decided, and an applied one
//! its ledger entry.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    StaffId,
}

#[derive(DeriveIden)]
enum BalanceCorrections {
    Table,
    Id,
    TenantId,
    ProductId,
    Amount,
    Reason,
    ProposedBy,
    ProposedAt,
    Status,
    DecidedBy,
    DecidedAt,
    EntryId,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LedgerEntries::Table)
                    .add_column(big_integer_null(LedgerEntries::StaffId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BalanceCorrections::Table)
                    .col(big_pk_auto(BalanceCorrections::Id))
                    .col(big_integer(BalanceCorrections::TenantId))
                    .col(big_integer(BalanceCorrections::ProductId))
                    .col(big_integer(BalanceCorrections::Amount))
                    .col(string_len(BalanceCorrections::Reason, 500))
                    .col(big_integer(BalanceCorrections::ProposedBy))
                    .col(timestamp_with_time_zone(BalanceCorrections::ProposedAt))
                    .col(string_len(BalanceCorrections::Status, 10))
                    .col(big_integer_null(BalanceCorrections::DecidedBy))
                    .col(timestamp_with_time_zone_null(BalanceCorrections::DecidedAt))
                    .col(big_integer_null(BalanceCorrections::EntryId))
                    .check(
                        Expr::col(BalanceCorrections::Status)
                            .is_in(["pending", "applied", "rejected"]),
                    )
                    .check(Expr::col(BalanceCorrections::Amount).ne(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(BalanceCorrections::Table, BalanceCorrections::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "balance_corrections_waiting",
                vec![
                    BalanceCorrections::TenantId,
                    BalanceCorrections::Status,
                    BalanceCorrections::ProposedAt,
                ],
            ),
            (
                "balance_corrections_product",
                vec![BalanceCorrections::ProductId],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(BalanceCorrections::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(BalanceCorrections::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LedgerEntries::Table)
                    .drop_column(LedgerEntries::StaffId)
                    .to_owned(),
            )
            .await
    }
}
