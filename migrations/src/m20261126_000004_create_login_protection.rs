//! What protects logins: remember-me tokens, captcha challenges and the counters of failed or
//! frequent attempts (shared by every server instance).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RememberTokens {
    Table,
    Id,
    TokenHash,
    AccountId,
    CreatedAt,
    ExpiresAt,
    ReplacedAt,
}

#[derive(DeriveIden)]
enum Captchas {
    Table,
    Id,
    ChallengeId,
    AnswerHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Throttles {
    Table,
    Key,
    Count,
    WindowStart,
    BlockedUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RememberTokens::Table)
                    .col(big_pk_auto(RememberTokens::Id))
                    .col(string_len_uniq(RememberTokens::TokenHash, 64))
                    .col(big_integer(RememberTokens::AccountId))
                    .col(timestamp_with_time_zone(RememberTokens::CreatedAt))
                    .col(timestamp_with_time_zone(RememberTokens::ExpiresAt))
                    // Set when the token was exchanged for a new one: for a minute it still opens
                    // a session, so that two tabs using it at once do not log the resident out.
                    .col(timestamp_with_time_zone_null(RememberTokens::ReplacedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RememberTokens::Table, RememberTokens::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("remember_tokens_account")
                    .table(RememberTokens::Table)
                    .col(RememberTokens::AccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Captchas::Table)
                    .col(big_pk_auto(Captchas::Id))
                    .col(string_len_uniq(Captchas::ChallengeId, 64))
                    .col(string_len(Captchas::AnswerHash, 64))
                    .col(timestamp_with_time_zone(Captchas::CreatedAt))
                    .col(timestamp_with_time_zone(Captchas::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Captchas::UsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Throttles::Table)
                    // What is counted: "login:account:<hash>", "login:client:<address>", ...
                    .col(string_len(Throttles::Key, 200).primary_key())
                    .col(integer(Throttles::Count))
                    .col(timestamp_with_time_zone(Throttles::WindowStart))
                    .col(timestamp_with_time_zone_null(Throttles::BlockedUntil))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Throttles::Table.into_iden(),
            Captchas::Table.into_iden(),
            RememberTokens::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
