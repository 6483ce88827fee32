//! Rule scripts and tariffs, versioned per product type; failures of rule scripts; periodic grants
//! of product types.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ProductTypes {
    Table,
    GrantPeriod,
    GrantAmount,
}

#[derive(DeriveIden, Clone, Copy)]
enum RuleScripts {
    Table,
    Id,
    TenantId,
    ProductType,
    Version,
    Source,
}

#[derive(DeriveIden, Clone, Copy)]
enum Tariffs {
    Table,
    Id,
    TenantId,
    ProductType,
    Version,
    Source,
}

#[derive(DeriveIden)]
enum RuleErrors {
    Table,
    Id,
    TenantId,
    Script,
    ScriptVersion,
    Function,
    Message,
    OccurredAt,
}

fn tenant_fk(
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// A versioned source table: one row per version of a product type's script or tariff. An empty
/// source is a version that removes it (the built-in defaults apply again).
fn versioned(
    table: impl IntoIden + Clone + 'static,
    id: impl IntoIden + 'static,
    tenant: impl IntoIden + Clone + 'static,
    product_type: impl IntoIden + 'static,
    version: impl IntoIden + 'static,
    source: impl IntoIden + 'static,
) -> TableCreateStatement {
    Table::create()
        .table(table.clone())
        .col(big_pk_auto(id))
        .col(big_integer(tenant.clone()))
        .col(string_len(product_type, 40))
        .col(big_integer(version))
        .col(text(source))
        .foreign_key(&mut tenant_fk(table, tenant))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(ProductTypes::Table)
                    .add_column(string_len_null(ProductTypes::GrantPeriod, 20))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ProductTypes::Table)
                    .add_column(big_integer_null(ProductTypes::GrantAmount))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(versioned(
                RuleScripts::Table,
                RuleScripts::Id,
                RuleScripts::TenantId,
                RuleScripts::ProductType,
                RuleScripts::Version,
                RuleScripts::Source,
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("rule_scripts_version")
                    .table(RuleScripts::Table)
                    .col(RuleScripts::TenantId)
                    .col(RuleScripts::ProductType)
                    .col(RuleScripts::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(versioned(
                Tariffs::Table,
                Tariffs::Id,
                Tariffs::TenantId,
                Tariffs::ProductType,
                Tariffs::Version,
                Tariffs::Source,
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tariffs_version")
                    .table(Tariffs::Table)
                    .col(Tariffs::TenantId)
                    .col(Tariffs::ProductType)
                    .col(Tariffs::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RuleErrors::Table)
                    .col(big_pk_auto(RuleErrors::Id))
                    .col(big_integer(RuleErrors::TenantId))
                    .col(string_len(RuleErrors::Script, 100))
                    .col(big_integer(RuleErrors::ScriptVersion))
                    .col(string_len(RuleErrors::Function, 64))
                    .col(text(RuleErrors::Message))
                    .col(timestamp_with_time_zone(RuleErrors::OccurredAt))
                    .foreign_key(&mut tenant_fk(RuleErrors::Table, RuleErrors::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("rule_errors_tenant_time")
                    .table(RuleErrors::Table)
                    .col(RuleErrors::TenantId)
                    .col(RuleErrors::OccurredAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RuleErrors::Table.into_iden(),
            Tariffs::Table.into_iden(),
            RuleScripts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [
            ProductTypes::GrantAmount.into_iden(),
            ProductTypes::GrantPeriod.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ProductTypes::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
