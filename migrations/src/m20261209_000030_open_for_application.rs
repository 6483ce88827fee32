//! Digitaal loket (#25): a product type is open for application or not (`apply = true` in a
//! bundle, a switch on the console's product-type page); none is until a gemeente opens it. And
//! the most plates one of its products holds (three: the manual's permit switches between them),
//! which the loket asks at most.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProductTypes {
    Table,
    OpenForApplication,
    MaxPlates,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProductTypes::Table)
                    .add_column(boolean(ProductTypes::OpenForApplication).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ProductTypes::Table)
                    .add_column(integer(ProductTypes::MaxPlates).default(3))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProductTypes::Table)
                    .drop_column(ProductTypes::MaxPlates)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ProductTypes::Table)
                    .drop_column(ProductTypes::OpenForApplication)
                    .to_owned(),
            )
            .await
    }
}
