//! Refunds to the payer of what is left of a revoked product's paid balance, and the ledger kind
//! a desk correction has by name.
//!
//! - `payment_refunds`: one row per top-up payment a refund goes back through (Mollie refunds a
//!   payment, never an account), with the units it takes off the balance, the euros it returns,
//!   the medewerker and reason, and where it stands: `unsent` (booked, the provider not yet
//!   reached), `sent` (the provider took it; its id and status as it answered) or `refused` (the
//!   provider refused it, and its entry was reversed).
//! - `ledger_entries.kind` gains `payer_refund` and `staff_correction`; the corrections made at
//!   the desk before (a `correction` naming its staff member) become `staff_correction`.
//!
//! PostgreSQL replaces the CHECK in place. SQLite cannot alter a CHECK: `ledger_entries` is
//! rebuilt (see `sqlite_rebuild`). Going down fails while a `payer_refund` entry exists, since
//! the old CHECK has no name for it.

use crate::sqlite_rebuild::{self, failed};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PaymentRefunds {
    Table,
    Id,
    TenantId,
    ProductId,
    PaymentId,
    Amount,
    PriceCents,
    Reason,
    StaffId,
    Status,
    ProviderRef,
    ProviderStatus,
    Error,
    EntryId,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
}

/// The kinds before, as the CHECK lists them.
const OLD_KINDS: &str = "'opening', 'grant', 'top_up', 'reservation', 'refund', 'mandate_grant', \
                         'mandate_return', 'correction'";
/// The kinds after.
const NEW_KINDS: &str = "'opening', 'grant', 'top_up', 'reservation', 'refund', 'mandate_grant', \
                         'mandate_return', 'correction', 'staff_correction', 'payer_refund'";

/// The CHECK on `ledger_entries.kind` from `from` to `to`.
async fn kinds(manager: &SchemaManager<'_>, from: &str, to: &str) -> Result<(), DbErr> {
    let check = |kinds: &str| format!("CHECK (\"kind\" IN ({kinds}))");
    match manager.get_database_backend() {
        DatabaseBackend::Sqlite => {
            sqlite_rebuild::run(
                manager,
                &[("ledger_entries", vec![(check(from), check(to))])],
            )
            .await
        }
        _ => {
            let db = manager.get_connection();
            let row = db
                .query_one_raw(Statement::from_string(
                    DatabaseBackend::Postgres,
                    "SELECT conname FROM pg_constraint WHERE conrelid = 'ledger_entries'::regclass \
                     AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%kind%'",
                ))
                .await?
                .ok_or_else(|| failed("ledger_entries.kind has no CHECK"))?;
            let name: String = row.try_get("", "conname")?;
            db.execute_unprepared(&format!(
                "ALTER TABLE ledger_entries DROP CONSTRAINT \"{name}\", \
                 ADD CONSTRAINT \"{name}\" {}",
                check(to)
            ))
            .await
            .map(|_| ())
        }
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PaymentRefunds::Table)
                    .col(big_pk_auto(PaymentRefunds::Id))
                    .col(big_integer(PaymentRefunds::TenantId))
                    .col(big_integer(PaymentRefunds::ProductId))
                    .col(big_integer(PaymentRefunds::PaymentId))
                    // Units off the balance, and euro cents back to the payer.
                    .col(big_integer(PaymentRefunds::Amount))
                    .col(big_integer(PaymentRefunds::PriceCents))
                    .col(string_len(PaymentRefunds::Reason, 500))
                    .col(big_integer(PaymentRefunds::StaffId))
                    .col(string_len(PaymentRefunds::Status, 10))
                    .col(string_len_null(PaymentRefunds::ProviderRef, 100))
                    .col(string_len_null(PaymentRefunds::ProviderStatus, 20))
                    .col(text_null(PaymentRefunds::Error))
                    .col(big_integer(PaymentRefunds::EntryId))
                    .col(timestamp_with_time_zone(PaymentRefunds::CreatedAt))
                    .col(timestamp_with_time_zone_null(PaymentRefunds::SentAt))
                    .check(Expr::col(PaymentRefunds::Status).is_in(["unsent", "sent", "refused"]))
                    .check(Expr::col(PaymentRefunds::Amount).gt(0))
                    .check(Expr::col(PaymentRefunds::PriceCents).gt(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PaymentRefunds::Table, PaymentRefunds::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PaymentRefunds::Table, PaymentRefunds::PaymentId)
                            .to(Payments::Table, Payments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("payment_refunds_product", PaymentRefunds::ProductId),
            ("payment_refunds_payment", PaymentRefunds::PaymentId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(PaymentRefunds::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        kinds(manager, OLD_KINDS, NEW_KINDS).await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE ledger_entries SET kind = 'staff_correction' \
                 WHERE kind = 'correction' AND staff_id IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let refunded = db
            .query_one_raw(Statement::from_string(
                manager.get_database_backend(),
                "SELECT id FROM ledger_entries WHERE kind = 'payer_refund' LIMIT 1",
            ))
            .await?;
        if refunded.is_some() {
            return Err(failed(
                "ledger_entries holds refunds to payers, which the schema before has no kind for",
            ));
        }
        db.execute_unprepared(
            "UPDATE ledger_entries SET kind = 'correction' WHERE kind = 'staff_correction'",
        )
        .await?;
        kinds(manager, NEW_KINDS, OLD_KINDS).await?;
        manager
            .drop_table(Table::drop().table(PaymentRefunds::Table).to_owned())
            .await
    }
}
