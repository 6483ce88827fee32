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

/// Adds `column` to `table`: one statement per column, as SQLite wants.
async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: ColumnDef,
) -> Result<(), DbErr> {
    let mut column = column;
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(&mut column)
                .to_owned(),
        )
        .await
}

/// An index `name` on `column` of `table`.
async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .create_index(
            Index::create()
                .name(name)
                .table(table)
                .col(column)
                .to_owned(),
        )
        .await
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
        add_column(
            manager,
            RememberTokens::Table,
            big_integer(RememberTokens::Family).default(0).to_owned(),
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
        add_column(
            manager,
            RememberTokens::Table,
            string_len_null(RememberTokens::Successor, 128),
        )
        .await?;
        index(
            manager,
            "remember_tokens_family",
            RememberTokens::Table,
            RememberTokens::Family,
        )
        .await?;
        // The family whose login or exchange opened the session, if any.
        add_column(
            manager,
            AuthSessions::Table,
            big_integer_null(AuthSessions::RememberFamily),
        )
        .await?;
        index(
            manager,
            "auth_sessions_remember_family",
            AuthSessions::Table,
            AuthSessions::RememberFamily,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            (
                "auth_sessions_remember_family",
                AuthSessions::Table.into_iden(),
            ),
            ("remember_tokens_family", RememberTokens::Table.into_iden()),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        let columns = [
            (
                AuthSessions::Table.into_iden(),
                AuthSessions::RememberFamily.into_iden(),
            ),
            (
                RememberTokens::Table.into_iden(),
                RememberTokens::Successor.into_iden(),
            ),
            (
                RememberTokens::Table.into_iden(),
                RememberTokens::Family.into_iden(),
            ),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table(PlatformFacts::Table).to_owned())
            .await
    }
}
