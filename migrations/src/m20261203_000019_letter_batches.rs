//! Letter batches: a spreadsheet of recipients issued as one job. The job is a row of
//! `letter_batches`, claimed by any instance through a lease that runs out when the instance
//! dies (another then resumes it); each recipient is a row of `letter_batch_rows`, marked issued
//! in the very transaction that issues its product and stores its letter, so a resumed job never
//! issues a row twice and never loses a letter. A row's `letter` holds what its page of the
//! batch PDF needs, the PIN included, only until that PDF is made; the PDF itself is kept for
//! downloading until `pdf_expires_at` and then cleared by housekeeping.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum LetterBatches {
    Table,
    Id,
    TenantId,
    FileName,
    State,
    RowsTotal,
    RowsIssued,
    RowsRefused,
    ActorKind,
    ActorRef,
    ActorName,
    Role,
    Origin,
    CreatedAt,
    FinishedAt,
    LeaseOwner,
    LeaseUntil,
    Pdf,
    PdfExpiresAt,
}

#[derive(DeriveIden)]
enum LetterBatchRows {
    Table,
    Id,
    BatchId,
    Line,
    Request,
    State,
    ProductId,
    Code,
    Result,
    Letter,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LetterBatches::Table)
                    .col(big_pk_auto(LetterBatches::Id))
                    .col(big_integer(LetterBatches::TenantId))
                    .col(string_len(LetterBatches::FileName, 200))
                    // `queued`, `running` or `done`.
                    .col(string_len(LetterBatches::State, 10))
                    .col(integer(LetterBatches::RowsTotal))
                    .col(integer(LetterBatches::RowsIssued))
                    .col(integer(LetterBatches::RowsRefused))
                    // Who uploaded it, so that every product of the batch names them in the
                    // audit trail, whichever instance issues it: `staff`, `api_key` or
                    // `operator`, the id, and the address or key name at the time.
                    .col(string_len(LetterBatches::ActorKind, 10))
                    .col(big_integer_null(LetterBatches::ActorRef))
                    .col(string_len(LetterBatches::ActorName, 320))
                    .col(string_len_null(LetterBatches::Role, 20))
                    .col(string_len(LetterBatches::Origin, 100))
                    .col(timestamp_with_time_zone(LetterBatches::CreatedAt))
                    .col(timestamp_with_time_zone_null(LetterBatches::FinishedAt))
                    .col(string_len_null(LetterBatches::LeaseOwner, 80))
                    .col(timestamp_with_time_zone_null(LetterBatches::LeaseUntil))
                    .col(blob_null(LetterBatches::Pdf))
                    .col(timestamp_with_time_zone_null(LetterBatches::PdfExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LetterBatches::Table, LetterBatches::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("letter_batches_tenant")
                    .table(LetterBatches::Table)
                    .col(LetterBatches::TenantId)
                    .col(LetterBatches::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("letter_batches_state")
                    .table(LetterBatches::Table)
                    .col(LetterBatches::State)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LetterBatchRows::Table)
                    .col(big_pk_auto(LetterBatchRows::Id))
                    .col(big_integer(LetterBatchRows::BatchId))
                    .col(integer(LetterBatchRows::Line))
                    // The checked row as JSON: recipient, e-mail, language, type, zone, last
                    // valid day, plates, balance.
                    .col(text(LetterBatchRows::Request))
                    // `pending`, `issued` or `refused`.
                    .col(string_len(LetterBatchRows::State, 10))
                    .col(big_integer_null(LetterBatchRows::ProductId))
                    .col(string_len_null(LetterBatchRows::Code, 20))
                    // The refusal's stable code.
                    .col(string_len_null(LetterBatchRows::Result, 40))
                    // The page's content with the PIN, as JSON, until the batch PDF is made.
                    .col(text_null(LetterBatchRows::Letter))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LetterBatchRows::Table, LetterBatchRows::BatchId)
                            .to(LetterBatches::Table, LetterBatches::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("letter_batch_rows_line")
                    .table(LetterBatchRows::Table)
                    .col(LetterBatchRows::BatchId)
                    .col(LetterBatchRows::Line)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LetterBatchRows::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LetterBatches::Table).to_owned())
            .await?;
        Ok(())
    }
}
