//! Digitaal loket (#25): a product type is open for application or not (`apply = true` in a
//! bundle, a switch on the console's product-type page); none is until a gemeente opens it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProductTypes {
    Table,
    OpenForApplication,
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
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
