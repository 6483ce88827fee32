//! What the history, the settings, the plate switch and the privacy job need:
//!
//! - `accounts.start_product_id` and `accounts.contrast`: "Start met product" and the contrast
//!   scheme ("Instellingen"; the language has its column since accounts exist);
//! - `tenants.plate_retention_days`: after how many days a session's plate is anonymised, 91
//!   (13 weeks) unless the gemeente chose fewer; never more (a CHECK);
//! - `product_plates.active`: the plate of a multi-plate permit that is active ("De
//!   kentekenswitch"), at most one per product (a partial unique index);
//! - `outbox.plates`: the plates a mail mentions, so the privacy job can take them out of mails
//!   that are still kept;
//! - indexes for the history's keyset pages (sessions by end, entries by id) and for finding
//!   the plates still to anonymise without reading the anonymised ones again.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    StartProductId,
    Contrast,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    PlateRetentionDays,
}

#[derive(DeriveIden)]
enum ProductPlates {
    Table,
    Active,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Plates,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    ProductId,
    Id,
}

/// The most a gemeente may keep a plate: 13 weeks.
const MAX_RETENTION_DAYS: i32 = 91;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        let columns = [
            (
                Accounts::Table.into_iden(),
                big_integer_null(Accounts::StartProductId),
            ),
            (
                Accounts::Table.into_iden(),
                string_len_null(Accounts::Contrast, 10),
            ),
            (
                Tenants::Table.into_iden(),
                integer(Tenants::PlateRetentionDays)
                    .default(MAX_RETENTION_DAYS)
                    .check(Expr::col(Tenants::PlateRetentionDays).between(1, MAX_RETENTION_DAYS))
                    .to_owned(),
            ),
            (
                ProductPlates::Table.into_iden(),
                boolean(ProductPlates::Active).default(false).to_owned(),
            ),
            (Outbox::Table.into_iden(), text_null(Outbox::Plates)),
        ];
        for (table, mut column) in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ledger_entries_product_id")
                    .table(LedgerEntries::Table)
                    .col(LedgerEntries::ProductId)
                    .col(LedgerEntries::Id)
                    .to_owned(),
            )
            .await?;
        // Partial indexes read the same on both databases; sea-query's builder has no WHERE for
        // them, hence the plain SQL.
        let db = manager.get_connection();
        // History: a product's sessions, the latest end first. It leads with the same columns
        // as `parking_sessions_product_end`, which the checks of a start read by a range of
        // ends: an index by start would tempt SQLite's planner into reading a product's whole
        // past for them (measured: the sessions page 6x slower with 1,000,000 sessions).
        // `deleted_at` is a column, not a condition, so that counting the sessions not deleted
        // reads the index alone (SQLite does not count a partial index's condition as covered).
        db.execute_unprepared(
            "CREATE INDEX parking_sessions_history \
             ON parking_sessions (product_id, end_at, id, deleted_at)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX product_plates_one_active ON product_plates (product_id) \
             WHERE active",
        )
        .await?;
        // The sessions whose plate is still there, by end and (deleted ones only, so that a
        // start does not write this index) by deletion: the privacy job reads only those, never
        // the ones it anonymised before.
        db.execute_unprepared(
            "CREATE INDEX parking_sessions_plate_kept ON parking_sessions (end_at) \
             WHERE plate <> ''",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX parking_sessions_deleted_plate_kept ON parking_sessions (deleted_at) \
             WHERE plate <> '' AND deleted_at IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for index in [
            "parking_sessions_deleted_plate_kept",
            "parking_sessions_plate_kept",
            "product_plates_one_active",
            "ledger_entries_product_id",
            "parking_sessions_history",
        ] {
            db.execute_unprepared(&format!("DROP INDEX {index}"))
                .await?;
        }
        let columns = [
            (Outbox::Table.into_iden(), Outbox::Plates.into_iden()),
            (
                ProductPlates::Table.into_iden(),
                ProductPlates::Active.into_iden(),
            ),
            (
                Tenants::Table.into_iden(),
                Tenants::PlateRetentionDays.into_iden(),
            ),
            (Accounts::Table.into_iden(), Accounts::Contrast.into_iden()),
            (
                Accounts::Table.into_iden(),
                Accounts::StartProductId.into_iden(),
            ),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
