//! A letter batch remembers the key its upload came with (an API client's `Idempotency-Key`,
//! or the one-time token of the console's form) and the print of its sheet, so that a repeated
//! upload (a retry after a lost answer, a double click) finds the batch it made instead of
//! issuing every row again. One key per uploader in a gemeente: the unique index decides between
//! simultaneous repeats. Both NULL for batches uploaded without a key.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LetterBatches {
    Table,
    TenantId,
    ActorKind,
    ActorRef,
    RequestKey,
    RequestPrint,
}

const INDEX: &str = "letter_batches_request_key";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            string_len_null(LetterBatches::RequestKey, 300),
            string_len_null(LetterBatches::RequestPrint, 64),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(LetterBatches::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // NULL keys never collide: batches without a key are as many as uploaded.
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(LetterBatches::Table)
                    .col(LetterBatches::TenantId)
                    .col(LetterBatches::ActorKind)
                    .col(LetterBatches::ActorRef)
                    .col(LetterBatches::RequestKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(LetterBatches::Table)
                    .to_owned(),
            )
            .await?;
        for column in [LetterBatches::RequestPrint, LetterBatches::RequestKey] {
            manager
                .alter_table(
                    Table::alter()
                        .table(LetterBatches::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
