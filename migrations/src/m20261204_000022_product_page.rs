//! The help desk's product page reads, for one product, the audit entries about it and the
//! mails with a link about it: an index for each, so that a page is a lookup however long the
//! trail and the mail history grow.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    TenantId,
    ObjectKind,
    ObjectId,
    At,
}

#[derive(DeriveIden)]
enum EmailLinks {
    Table,
    ProductId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("audit_log_object")
                    .table(AuditLog::Table)
                    .col(AuditLog::TenantId)
                    .col(AuditLog::ObjectKind)
                    .col(AuditLog::ObjectId)
                    .col(AuditLog::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("email_links_product")
                    .table(EmailLinks::Table)
                    .col(EmailLinks::ProductId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("email_links_product")
                    .table(EmailLinks::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("audit_log_object")
                    .table(AuditLog::Table)
                    .to_owned(),
            )
            .await
    }
}
