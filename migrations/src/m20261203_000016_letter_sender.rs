//! Allocation letters carry the gemeente's return address and a contact line, from its bundle
//! (`letter_return_address`, `letter_contact` in `tenant.toml`). Both are NULL until a bundle
//! sets them; the return address is stored as its lines joined by newlines.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    LetterReturnAddress,
    LetterContact,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            text_null(Tenants::LetterReturnAddress),
            text_null(Tenants::LetterContact),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tenants::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Tenants::LetterContact, Tenants::LetterReturnAddress] {
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
