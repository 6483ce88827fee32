//! Look and catalogue (#24): zones and product types are retired rather than deleted (their
//! products keep working, nothing new is issued in them), a zone lists the postcode ranges it
//! covers (the loket places an address with them), and a product type says how many months a
//! new product of it is valid.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Zones {
    Table,
    RetiredAt,
    Postcodes,
}

#[derive(DeriveIden, Clone, Copy)]
enum ProductTypes {
    Table,
    RetiredAt,
    ValidityMonths,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column at a time: SQLite alters a table by one column per statement.
        let columns = [
            (
                Zones::Table.into_iden(),
                timestamp_with_time_zone_null(Zones::RetiredAt),
            ),
            // One range per line, e.g. `3511-3514`: read only with the zone.
            (Zones::Table.into_iden(), text_null(Zones::Postcodes)),
            (
                ProductTypes::Table.into_iden(),
                timestamp_with_time_zone_null(ProductTypes::RetiredAt),
            ),
            // Twelve months: what every product was given before a type said otherwise.
            (
                ProductTypes::Table.into_iden(),
                integer(ProductTypes::ValidityMonths).default(12).to_owned(),
            ),
        ];
        for (table, column) in columns {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            (Zones::Table.into_iden(), Zones::RetiredAt.into_iden()),
            (Zones::Table.into_iden(), Zones::Postcodes.into_iden()),
            (
                ProductTypes::Table.into_iden(),
                ProductTypes::RetiredAt.into_iden(),
            ),
            (
                ProductTypes::Table.into_iden(),
                ProductTypes::ValidityMonths.into_iden(),
            ),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
