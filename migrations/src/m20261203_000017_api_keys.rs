//! A gemeente's API keys for the admin API: named, with scopes, an optional expiry, revocable.
//! Only the SHA-256 of a key is stored (unique: a presented key is found by it). A name is
//! unique in a gemeente among its keys not revoked, so a revoked key's name can be used again;
//! that is a partial index, which SQLite and PostgreSQL both take in the same words.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    TenantId,
    Name,
    KeyHash,
    Scopes,
    CreatedAt,
    CreatedBy,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

/// One name per gemeente among the keys that are not revoked.
const LIVE_NAME_INDEX: &str =
    "CREATE UNIQUE INDEX api_keys_live_name ON api_keys (tenant_id, name) WHERE revoked_at IS NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(big_pk_auto(ApiKeys::Id))
                    .col(big_integer(ApiKeys::TenantId))
                    .col(string_len(ApiKeys::Name, 100))
                    // 64 hex digits of SHA-256; never the key itself.
                    .col(string_len_uniq(ApiKeys::KeyHash, 64))
                    // Comma-separated scope names, e.g. `products:read,letters:read`.
                    .col(string_len(ApiKeys::Scopes, 200))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    // The maker as the audit log reads them (a staff member's address, or the
                    // command line), kept when the account changes.
                    .col(string_len(ApiKeys::CreatedBy, 254))
                    .col(timestamp_with_time_zone_null(ApiKeys::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeys::Table, ApiKeys::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_keys_tenant")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::TenantId)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(LIVE_NAME_INDEX)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiKeys::Table).to_owned())
            .await
    }
}
