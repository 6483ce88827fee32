//! Favorites ("Favorieten"): a plate with a name of at most 10 characters, per product, each
//! plate once per product.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Favorites {
    Table,
    Id,
    ProductId,
    Plate,
    Country,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Favorites::Table)
                    .col(big_pk_auto(Favorites::Id))
                    .col(big_integer(Favorites::ProductId))
                    .col(string_len(Favorites::Plate, 12))
                    .col(string_len(Favorites::Country, 2))
                    // Ten characters; PostgreSQL counts characters, not bytes.
                    .col(string_len(Favorites::Name, 10))
                    .col(timestamp_with_time_zone(Favorites::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Favorites::Table, Favorites::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("favorites_product_plate")
                    .table(Favorites::Table)
                    .col(Favorites::ProductId)
                    .col(Favorites::Plate)
                    .col(Favorites::Country)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Favorites::Table).to_owned())
            .await
    }
}
