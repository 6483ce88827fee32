//! Issue #15: facts the database records about itself (whether `serve` created it as the
//! embedded demo), and remember-me families: every token descending from one [Onthoud mij]
//! login shares a family, a replaced token keeps what its exchange made (sealed), and the
//! sessions a family opened are linked to it, so that a stolen token's reuse ends them all.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PlatformFacts {
    Table,
    Key,
    Value,
    RecordedAt,
}

#[derive(DeriveIden)]
enum RememberTokens {
    Table,
    Id,
    Family,
    Successor,
}

#[derive(DeriveIden)]
enum AuthSessions {
    Table,
    RememberFamily,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PlatformFacts::Table)
                    .col(string_len(PlatformFacts::Key, 64).primary_key())
                    .col(string_len(PlatformFacts::Value, 200))
                    .col(timestamp_with_time_zone(PlatformFacts::RecordedAt))
                    .to_owned(),
            )
            .await?;
        // The id of the family's first token. Every token that exists now starts a family of
        // its own: which replaced token led to which was not recorded before.
        manager
            .alter_table(
                Table::alter()
                    .table(RememberTokens::Table)
                    .add_column(big_integer(RememberTokens::Family).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(RememberTokens::Table)
                    .value(RememberTokens::Family, Expr::col(RememberTokens::Id))
                    .to_owned(),
            )
            .await?;
        // Set when the token is exchanged: the new session and token, sealed under this token
        // (64 bytes as hex), so that a parallel request of the same device gets the same ones.
        manager
            .alter_table(
                Table::alter()
                    .table(RememberTokens::Table)
                    .add_column(string_len_null(RememberTokens::Successor, 128))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("remember_tokens_family")
                    .table(RememberTokens::Table)
                    .col(RememberTokens::Family)
                    .to_owned(),
            )
            .await?;
        // The family whose login or exchange opened the session, if any.
        manager
            .alter_table(
                Table::alter()
                    .table(AuthSessions::Table)
                    .add_column(big_integer_null(AuthSessions::RememberFamily))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("auth_sessions_remember_family")
                    .table(AuthSessions::Table)
                    .col(AuthSessions::RememberFamily)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("auth_sessions_remember_family")
                    .table(AuthSessions::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuthSessions::Table)
                    .drop_column(AuthSessions::RememberFamily)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("remember_tokens_family")
                    .table(RememberTokens::Table)
                    .to_owned(),
            )
            .await?;
        for column in [RememberTokens::Successor, RememberTokens::Family] {
            manager
                .alter_table(
                    Table::alter()
                        .table(RememberTokens::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(PlatformFacts::Table).to_owned())
            .await
    }
}
