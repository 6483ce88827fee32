//! Digitaal loket (#25): `applications`, one row per application for a product: the applicant's
//! name, postal address, e-mail address and plates, the reference they quote, the SHA-256 of
//! their status link's token, where it stands (`received`, `in_review`, `info_needed`,
//! `granted`, `rejected`) and the gemeente's message (a rejection's reason, a question). The
//! account it was made from, when logged in, goes with the account (`SET NULL`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Applications {
    Table,
    Id,
    TenantId,
    ProductTypeId,
    Reference,
    Status,
    Name,
    Street,
    HouseNumber,
    Postcode,
    City,
    Email,
    Language,
    Plates,
    Remark,
    AccountId,
    TokenHash,
    Message,
    CreatedAt,
    DecidedAt,
}

#[derive(DeriveIden)]
enum Tenants {
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
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Applications::Table)
                    .col(big_pk_auto(Applications::Id))
                    .col(big_integer(Applications::TenantId))
                    .col(big_integer(Applications::ProductTypeId))
                    .col(string_len_uniq(Applications::Reference, 20))
                    .col(string_len(Applications::Status, 20))
                    .col(string_len(Applications::Name, 100))
                    .col(string_len(Applications::Street, 100))
                    .col(string_len(Applications::HouseNumber, 20))
                    .col(string_len(Applications::Postcode, 7))
                    .col(string_len(Applications::City, 60))
                    .col(string_len(Applications::Email, 254))
                    .col(string_len(Applications::Language, 8))
                    // Tagged plates (`AB-12-34`, `DE:BXY123`), a line each.
                    .col(text_null(Applications::Plates))
                    .col(text_null(Applications::Remark))
                    .col(big_integer_null(Applications::AccountId))
                    .col(string_len_uniq(Applications::TokenHash, 64))
                    .col(text_null(Applications::Message))
                    .col(timestamp_with_time_zone(Applications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Applications::DecidedAt))
                    .check(Expr::col(Applications::Status).is_in([
                        "received",
                        "in_review",
                        "info_needed",
                        "granted",
                        "rejected",
                    ]))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Applications::Table, Applications::TenantId)
                            .to(Tenants::Table, Tenants::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Applications::Table, Applications::ProductTypeId)
                            .to(ProductTypes::Table, ProductTypes::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Applications::Table, Applications::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The queue of a gemeente by status and age; an account's list.
        manager
            .create_index(
                Index::create()
                    .name("applications_tenant_status")
                    .table(Applications::Table)
                    .col(Applications::TenantId)
                    .col(Applications::Status)
                    .col(Applications::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("applications_account")
                    .table(Applications::Table)
                    .col(Applications::AccountId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Applications::Table).to_owned())
            .await
    }
}
