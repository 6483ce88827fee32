//! Allocation letters: a product issued to a person by post keeps that person's name and postal
//! address (the help desk finds and reads them; the letter is addressed with them), and the
//! letters made for it. A letter carries the PIN, which exists nowhere else in readable form, so
//! its PDF is kept only for reprinting for a limited time: housekeeping then clears `pdf` and the
//! row stays as the record that a letter was made.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    HolderName,
    HolderStreet,
    HolderHouseNumber,
    HolderPostcode,
    HolderCity,
}

#[derive(DeriveIden)]
enum ProductLetters {
    Table,
    Id,
    TenantId,
    ProductId,
    Language,
    Pdf,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            string_len_null(Products::HolderName, 100),
            string_len_null(Products::HolderStreet, 100),
            string_len_null(Products::HolderHouseNumber, 20),
            // Normalised "1234 AB", so a search with or without the space finds it.
            string_len_null(Products::HolderPostcode, 7),
            string_len_null(Products::HolderCity, 60),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Products::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ProductLetters::Table)
                    .col(big_pk_auto(ProductLetters::Id))
                    .col(big_integer(ProductLetters::TenantId))
                    .col(big_integer(ProductLetters::ProductId))
                    .col(string_len(ProductLetters::Language, 2))
                    // NULL once the letter's time for reprinting has passed.
                    .col(blob_null(ProductLetters::Pdf))
                    .col(timestamp_with_time_zone(ProductLetters::CreatedAt))
                    .col(timestamp_with_time_zone(ProductLetters::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProductLetters::Table, ProductLetters::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProductLetters::Table, ProductLetters::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("product_letters_product")
                    .table(ProductLetters::Table)
                    .col(ProductLetters::TenantId)
                    .col(ProductLetters::ProductId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("product_letters_expiry")
                    .table(ProductLetters::Table)
                    .col(ProductLetters::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProductLetters::Table).to_owned())
            .await?;
        for column in [
            Products::HolderCity,
            Products::HolderPostcode,
            Products::HolderHouseNumber,
            Products::HolderStreet,
            Products::HolderName,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Products::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
