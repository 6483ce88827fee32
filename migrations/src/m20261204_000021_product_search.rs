//! The help desk's search: the words of each holder's name (lower case, split at everything
//! that is not a letter or a digit, at most 40 characters each) in `product_name_words`, so that
//! a name is found by the beginnings of its words through an index; and the indexes that make
//! the other searches (postcode, plate, the coupling mail's address) lookups instead of scans.
//! The words of the products already there are written here; from now on issuing writes them.
//! On PostgreSQL the words compare byte by byte (`COLLATE "C"`), as on SQLite, so that a
//! search for the beginning of a word is a range of the index on both.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProductNameWords {
    Table,
    Id,
    TenantId,
    ProductId,
    Word,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    TenantId,
    HolderName,
    HolderPostcode,
}

#[derive(DeriveIden)]
enum ProductPlates {
    Table,
    Plate,
    ProductId,
}

#[derive(DeriveIden)]
enum EmailLinks {
    Table,
    Email,
}

/// The words of a name, as `parkportal_domain::search::name_words` writes them (kept here as
/// it was when this migration was written: a migration never changes with the code after it).
fn words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in name.split(|c: char| !c.is_alphanumeric()) {
        let word: String = word.to_lowercase().chars().take(40).collect();
        if !word.is_empty() && !words.contains(&word) {
            words.push(word);
        }
    }
    words
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let word = if manager.get_database_backend() == DbBackend::Postgres {
            ColumnDef::new(ProductNameWords::Word)
                .string_len(40)
                .not_null()
                .extra("COLLATE \"C\"")
                .to_owned()
        } else {
            string_len(ProductNameWords::Word, 40)
        };
        manager
            .create_table(
                Table::create()
                    .table(ProductNameWords::Table)
                    .col(big_pk_auto(ProductNameWords::Id))
                    .col(big_integer(ProductNameWords::TenantId))
                    .col(big_integer(ProductNameWords::ProductId))
                    .col(word)
                    .to_owned(),
            )
            .await?;
        for (name, table, columns) in [
            (
                "product_name_words_search",
                ProductNameWords::Table.into_iden(),
                vec![
                    ProductNameWords::TenantId.into_iden(),
                    ProductNameWords::Word.into_iden(),
                    ProductNameWords::ProductId.into_iden(),
                ],
            ),
            (
                "product_name_words_product",
                ProductNameWords::Table.into_iden(),
                vec![ProductNameWords::ProductId.into_iden()],
            ),
            (
                "products_tenant_postcode",
                Products::Table.into_iden(),
                vec![
                    Products::TenantId.into_iden(),
                    Products::HolderPostcode.into_iden(),
                ],
            ),
            (
                "product_plates_by_plate",
                ProductPlates::Table.into_iden(),
                vec![
                    ProductPlates::Plate.into_iden(),
                    ProductPlates::ProductId.into_iden(),
                ],
            ),
            (
                "email_links_email",
                EmailLinks::Table.into_iden(),
                vec![EmailLinks::Email.into_iden()],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        // The words of the names already there.
        let named = Query::select()
            .columns([Products::Id, Products::TenantId, Products::HolderName])
            .from(Products::Table)
            .and_where(Expr::col(Products::HolderName).is_not_null())
            .to_owned();
        let rows = manager.get_connection().query_all(&named).await?;
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let tenant: i64 = row.try_get("", "tenant_id")?;
            let name: String = row.try_get("", "holder_name")?;
            for word in words(&name) {
                let insert = Query::insert()
                    .into_table(ProductNameWords::Table)
                    .columns([
                        ProductNameWords::TenantId,
                        ProductNameWords::ProductId,
                        ProductNameWords::Word,
                    ])
                    .values([tenant.into(), id.into(), word.into()])
                    .map_err(|e| DbErr::Custom(e.to_string()))?
                    .to_owned();
                manager.exec_stmt(insert).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("email_links_email", EmailLinks::Table.into_iden()),
            ("product_plates_by_plate", ProductPlates::Table.into_iden()),
            ("products_tenant_postcode", Products::Table.into_iden()),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table(ProductNameWords::Table).to_owned())
            .await
    }
}
