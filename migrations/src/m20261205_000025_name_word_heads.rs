//! The name search newest first (#22): each name word gets its head (its first three
//! characters) and an index (gemeente, head, product, word), so that the products with a word
//! beginning with a prefix of three or more characters are walked newest first and the walk
//! stops at a full page, instead of every match of a common prefix being read and sorted. The
//! index by product becomes (product, word): the other words of a name are probed in it alone.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum ProductNameWords {
    Table,
    TenantId,
    ProductId,
    Word,
    Head,
}

/// Creates index `name` on the words table's `columns`.
async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    columns: &[ProductNameWords],
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(ProductNameWords::Table);
    for column in columns {
        index.col(column.into_iden());
    }
    manager.create_index(index.to_owned()).await
}

/// Drops index `name` of the words table.
async fn drop_index(manager: &SchemaManager<'_>, name: &str) -> Result<(), DbErr> {
    manager
        .drop_index(
            Index::drop()
                .name(name)
                .table(ProductNameWords::Table)
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Compared byte by byte on PostgreSQL too, as the word is (migration 21).
        let head = if manager.get_database_backend() == DbBackend::Postgres {
            ColumnDef::new(ProductNameWords::Head)
                .string_len(3)
                .not_null()
                .default("")
                .extra("COLLATE \"C\"")
                .to_owned()
        } else {
            string_len(ProductNameWords::Head, 3).default("").to_owned()
        };
        manager
            .alter_table(
                Table::alter()
                    .table(ProductNameWords::Table)
                    .add_column(head)
                    .to_owned(),
            )
            .await?;
        // SUBSTR counts characters on both databases, as `word_head` does.
        manager
            .get_connection()
            .execute_unprepared("UPDATE product_name_words SET head = SUBSTR(word, 1, 3)")
            .await?;
        index(
            manager,
            "product_name_words_head",
            &[
                ProductNameWords::TenantId,
                ProductNameWords::Head,
                ProductNameWords::ProductId,
                ProductNameWords::Word,
            ],
        )
        .await?;
        drop_index(manager, "product_name_words_product").await?;
        index(
            manager,
            "product_name_words_probe",
            &[ProductNameWords::ProductId, ProductNameWords::Word],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, "product_name_words_probe").await?;
        index(
            manager,
            "product_name_words_product",
            &[ProductNameWords::ProductId],
        )
        .await?;
        drop_index(manager, "product_name_words_head").await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ProductNameWords::Table)
                    .drop_column(ProductNameWords::Head)
                    .to_owned(),
            )
            .await
    }
}
