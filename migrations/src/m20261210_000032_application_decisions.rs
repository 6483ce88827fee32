//! Digitaal loket (#25), deciding: an application names the product it was granted with
//! (`product_id`; products are never deleted) and what the gemeente's rule answered
//! (`rule_outcome`: `approve`, `approve_unplaced`, `review`, `reject` or `rule_error`), and its
//! `revision`, counted up by every decision, question and answer (a decision is taken only on
//! the revision the medewerker saw); `application_messages`
//! keeps its exchange in order: the gemeente's questions, the applicant's answers and a
//! rejection's reason, each mailed one with the hash of the status link its mail carried
//! (only hashes are kept, so each mail gets a link of its own). Messages go with their
//! application. And a product type's `letter_on_grant`: an application granted makes the
//! allocation letter too.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Applications {
    Table,
    Id,
    ProductId,
    RuleOutcome,
    Revision,
}

#[derive(DeriveIden)]
enum ProductTypes {
    Table,
    LetterOnGrant,
}

#[derive(DeriveIden)]
enum ApplicationMessages {
    Table,
    Id,
    ApplicationId,
    Kind,
    Body,
    TokenHash,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Applications::Table)
                    .add_column(big_integer_null(Applications::ProductId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Applications::Table)
                    .add_column(string_len_null(Applications::RuleOutcome, 20))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Applications::Table)
                    .add_column(big_integer(Applications::Revision).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ProductTypes::Table)
                    .add_column(boolean(ProductTypes::LetterOnGrant).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApplicationMessages::Table)
                    .col(big_pk_auto(ApplicationMessages::Id))
                    .col(big_integer(ApplicationMessages::ApplicationId))
                    .col(string_len(ApplicationMessages::Kind, 12))
                    .col(text(ApplicationMessages::Body))
                    // The SHA-256 of the status link its mail carried, if it was mailed.
                    .col(string_len_null(ApplicationMessages::TokenHash, 64).unique_key())
                    .col(timestamp_with_time_zone(ApplicationMessages::CreatedAt))
                    .check(
                        Expr::col(ApplicationMessages::Kind)
                            .is_in(["question", "answer", "reason"]),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ApplicationMessages::Table,
                                ApplicationMessages::ApplicationId,
                            )
                            .to(Applications::Table, Applications::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("application_messages_application")
                    .table(ApplicationMessages::Table)
                    .col(ApplicationMessages::ApplicationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApplicationMessages::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ProductTypes::Table)
                    .drop_column(ProductTypes::LetterOnGrant)
                    .to_owned(),
            )
            .await?;
        for column in [
            Applications::Revision,
            Applications::RuleOutcome,
            Applications::ProductId,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Applications::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
