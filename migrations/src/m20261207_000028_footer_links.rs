//! Look and catalogue (#24): a gemeente's privacy statement, contact page and
//! toegankelijkheidsverklaring, set in the console and linked from the portal's footer.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Tenants {
    Table,
    PrivacyUrl,
    ContactUrl,
    AccessibilityUrl,
}

const COLUMNS: [Tenants; 3] = [
    Tenants::PrivacyUrl,
    Tenants::ContactUrl,
    Tenants::AccessibilityUrl,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column at a time: SQLite alters a table by one column per statement.
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tenants::Table)
                        .add_column(string_len_null(column, 300))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tenants::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
