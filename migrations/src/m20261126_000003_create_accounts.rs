//! Resident accounts and their login sessions, products waiting to be coupled (with their plates),
//! single-use e-mail links, and the outbox every mail leaves from.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Zones {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ProductTypes {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Email,
    PasswordHash,
    Language,
    CreatedAt,
    PasswordChangedAt,
}

#[derive(DeriveIden)]
enum AuthSessions {
    Table,
    Id,
    TokenHash,
    AccountId,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    TenantId,
    ProductTypeId,
    ZoneId,
    Code,
    PinHash,
    ValidFrom,
    ValidUntil,
    Status,
    OwnerId,
    IssuedAt,
}

#[derive(DeriveIden)]
enum ProductPlates {
    Table,
    Id,
    ProductId,
    Plate,
    Country,
    Position,
}

#[derive(DeriveIden)]
enum EmailLinks {
    Table,
    Id,
    Purpose,
    TokenHash,
    Email,
    ProductId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Recipient,
    Subject,
    BodyText,
    BodyHtml,
    TenantId,
    CreatedAt,
    Attempts,
    NextAttemptAt,
    ClaimedBy,
    ClaimedUntil,
    SentAt,
    LastError,
}

fn fk(
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

fn index(
    name: &str,
    table: impl IntoIden + 'static,
    cols: &[&'static str],
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(Alias::new(*col));
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(big_pk_auto(Accounts::Id))
                    // Stored lower-cased: one account per address however it is typed.
                    .col(string_len_uniq(Accounts::Email, 254))
                    .col(string_len(Accounts::PasswordHash, 200))
                    .col(string_len_null(Accounts::Language, 8))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .col(timestamp_with_time_zone(Accounts::PasswordChangedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuthSessions::Table)
                    .col(big_pk_auto(AuthSessions::Id))
                    .col(string_len_uniq(AuthSessions::TokenHash, 64))
                    .col(big_integer(AuthSessions::AccountId))
                    .col(timestamp_with_time_zone(AuthSessions::CreatedAt))
                    .col(timestamp_with_time_zone(AuthSessions::LastSeenAt))
                    .foreign_key(&mut fk(
                        (AuthSessions::Table, AuthSessions::AccountId),
                        (Accounts::Table, Accounts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "auth_sessions_account",
                AuthSessions::Table,
                &["account_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(big_pk_auto(Products::Id))
                    .col(big_integer(Products::TenantId))
                    .col(big_integer(Products::ProductTypeId))
                    .col(big_integer(Products::ZoneId))
                    // Unique across gemeenten: a code from a letter identifies its product alone.
                    .col(string_len_uniq(Products::Code, 16))
                    .col(string_len(Products::PinHash, 200))
                    .col(timestamp_with_time_zone(Products::ValidFrom))
                    .col(timestamp_with_time_zone(Products::ValidUntil))
                    .col(string_len(Products::Status, 20))
                    .col(big_integer_null(Products::OwnerId))
                    .col(timestamp_with_time_zone(Products::IssuedAt))
                    .check(Expr::col(Products::Status).is_in(["active", "blocked"]))
                    .foreign_key(&mut fk(
                        (Products::Table, Products::TenantId),
                        (Tenants::Table, Tenants::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (Products::Table, Products::ProductTypeId),
                        (ProductTypes::Table, ProductTypes::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        (Products::Table, Products::ZoneId),
                        (Zones::Table, Zones::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        (Products::Table, Products::OwnerId),
                        (Accounts::Table, Accounts::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("products_owner", Products::Table, &["owner_id"]))
            .await?;
        manager
            .create_index(index("products_tenant", Products::Table, &["tenant_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProductPlates::Table)
                    .col(big_pk_auto(ProductPlates::Id))
                    .col(big_integer(ProductPlates::ProductId))
                    .col(string_len(ProductPlates::Plate, 12))
                    .col(string_len(ProductPlates::Country, 2))
                    .col(integer(ProductPlates::Position))
                    .foreign_key(&mut fk(
                        (ProductPlates::Table, ProductPlates::ProductId),
                        (Products::Table, Products::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "product_plates_plate",
                    ProductPlates::Table,
                    &["product_id", "country", "plate"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmailLinks::Table)
                    .col(big_pk_auto(EmailLinks::Id))
                    .col(string_len(EmailLinks::Purpose, 20))
                    .col(string_len_uniq(EmailLinks::TokenHash, 64))
                    .col(string_len(EmailLinks::Email, 254))
                    .col(big_integer_null(EmailLinks::ProductId))
                    .col(timestamp_with_time_zone(EmailLinks::CreatedAt))
                    .col(timestamp_with_time_zone(EmailLinks::ExpiresAt))
                    .col(timestamp_with_time_zone_null(EmailLinks::UsedAt))
                    .check(Expr::col(EmailLinks::Purpose).is_in(["coupling", "password_reset"]))
                    .foreign_key(&mut fk(
                        (EmailLinks::Table, EmailLinks::ProductId),
                        (Products::Table, Products::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(big_pk_auto(Outbox::Id))
                    .col(string_len(Outbox::Recipient, 254))
                    .col(string_len(Outbox::Subject, 200))
                    .col(text(Outbox::BodyText))
                    .col(text(Outbox::BodyHtml))
                    .col(big_integer_null(Outbox::TenantId))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    // Which worker holds the claim: only it may mark the mail sent or failed.
                    .col(string_len_null(Outbox::ClaimedBy, 32))
                    .col(timestamp_with_time_zone_null(Outbox::ClaimedUntil))
                    .col(timestamp_with_time_zone_null(Outbox::SentAt))
                    .col(text_null(Outbox::LastError))
                    .foreign_key(&mut fk(
                        (Outbox::Table, Outbox::TenantId),
                        (Tenants::Table, Tenants::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "outbox_due",
                Outbox::Table,
                &["sent_at", "next_attempt_at"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Outbox::Table.into_iden(),
            EmailLinks::Table.into_iden(),
            ProductPlates::Table.into_iden(),
            Products::Table.into_iden(),
            AuthSessions::Table.into_iden(),
            Accounts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
