//! Gemeenten with their hosts, zones and product types.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Slug,
    Name,
    PublicUrl,
    TimeZone,
    DefaultLanguage,
    Theme,
    Tokens,
    Logo,
    LogoContentType,
    Version,
}

#[derive(DeriveIden)]
enum TenantHosts {
    Table,
    Id,
    TenantId,
    Host,
}

#[derive(DeriveIden)]
enum Zones {
    Table,
    Id,
    TenantId,
    Code,
    Name,
    Position,
}

#[derive(DeriveIden)]
enum ProductTypes {
    Table,
    Id,
    TenantId,
    Code,
    Name,
    Kind,
    Unit,
    Position,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(big_pk_auto(Tenants::Id))
                    .col(string_len_uniq(Tenants::Slug, 40))
                    .col(string_len(Tenants::Name, 100))
                    .col(string_len_null(Tenants::PublicUrl, 300))
                    .col(string_len(Tenants::TimeZone, 64))
                    .col(string_len(Tenants::DefaultLanguage, 8))
                    .col(string_len(Tenants::Theme, 40))
                    .col(text(Tenants::Tokens))
                    .col(blob(Tenants::Logo))
                    .col(string_len(Tenants::LogoContentType, 40))
                    .col(big_integer(Tenants::Version).default(1))
                    .check(Expr::col(Tenants::DefaultLanguage).is_in(["nl", "en"]))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TenantHosts::Table)
                    .col(big_pk_auto(TenantHosts::Id))
                    .col(big_integer(TenantHosts::TenantId))
                    .col(string_len_uniq(TenantHosts::Host, 253))
                    .foreign_key(&mut tenant_fk(TenantHosts::Table, TenantHosts::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Zones::Table)
                    .col(big_pk_auto(Zones::Id))
                    .col(big_integer(Zones::TenantId))
                    .col(string_len(Zones::Code, 40))
                    .col(string_len(Zones::Name, 100))
                    .col(integer(Zones::Position))
                    .foreign_key(&mut tenant_fk(Zones::Table, Zones::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("zones_tenant_code")
                    .table(Zones::Table)
                    .col(Zones::TenantId)
                    .col(Zones::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProductTypes::Table)
                    .col(big_pk_auto(ProductTypes::Id))
                    .col(big_integer(ProductTypes::TenantId))
                    .col(string_len(ProductTypes::Code, 40))
                    .col(string_len(ProductTypes::Name, 100))
                    .col(string_len(ProductTypes::Kind, 20))
                    .col(string_len(ProductTypes::Unit, 20))
                    .col(integer(ProductTypes::Position))
                    .check(Expr::col(ProductTypes::Kind).is_in(["visitor_scheme", "permit"]))
                    .check(
                        Expr::col(ProductTypes::Unit)
                            .is_in(["money", "minutes", "sessions", "none"]),
                    )
                    .foreign_key(&mut tenant_fk(ProductTypes::Table, ProductTypes::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("product_types_tenant_code")
                    .table(ProductTypes::Table)
                    .col(ProductTypes::TenantId)
                    .col(ProductTypes::Code)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ProductTypes::Table.into_iden(),
            Zones::Table.into_iden(),
            TenantHosts::Table.into_iden(),
            Tenants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
