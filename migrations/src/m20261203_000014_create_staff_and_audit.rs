//! The staff side: staff accounts (apart from residents' accounts) with their roles per gemeente,
//! enrolment links, login sessions and recovery codes; and the audit trail.
//!
//! The audit trail is append-only. On PostgreSQL a trigger refuses every UPDATE, DELETE and
//! TRUNCATE of `audit_log`, except a DELETE made while the transaction-local setting
//! `parkportal.audit_housekeeping` is `on`, which only the store's housekeeping function sets
//! (with `SET LOCAL`, so it ends with that transaction). This stops the application's own code
//! and a careless query, not the owner of the database, who may drop the trigger. SQLite has no
//! settings to ask: a trigger there refuses UPDATE, and deletes are left to discipline (the
//! housekeeping function is the only code that deletes).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StaffMembers {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    TotpSecret,
    TotpPending,
    TotpLastStep,
    PlatformAdmin,
    Active,
    CreatedAt,
    DeactivatedAt,
}

#[derive(DeriveIden)]
enum StaffRoles {
    Table,
    StaffId,
    TenantId,
    Role,
}

#[derive(DeriveIden)]
enum StaffEnrolments {
    Table,
    TokenHash,
    StaffId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum StaffSessions {
    Table,
    TokenHash,
    StaffId,
    Stage,
    StartedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum StaffRecoveryCodes {
    Table,
    Id,
    StaffId,
    CodeHash,
    UsedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorId,
    Actor,
    Role,
    TenantId,
    Action,
    ObjectKind,
    ObjectId,
    Result,
    Reason,
    Origin,
}

/// A foreign key from `table.column` to the staff member, going with the account.
fn to_staff(
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(StaffMembers::Table, StaffMembers::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// An index `name` on `cols` of `table`.
fn index(
    name: &str,
    table: impl IntoIden + 'static,
    cols: &[&'static str],
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(Alias::new(*col));
    }
    index.to_owned()
}

/// PostgreSQL: the function and triggers that keep `audit_log` append-only.
const POSTGRES_APPEND_ONLY: &str = r"
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
        AND current_setting('parkportal.audit_housekeeping', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
";

/// SQLite: an entry is never changed.
const SQLITE_NO_UPDATE: &str = "
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StaffMembers::Table)
                    .col(big_pk_auto(StaffMembers::Id))
                    // Stored lower-cased, like residents' addresses.
                    .col(string_len_uniq(StaffMembers::Email, 254))
                    .col(string_len(StaffMembers::Name, 200))
                    // Unset until the password is chosen through the enrolment link.
                    .col(string_len_null(StaffMembers::PasswordHash, 200))
                    // Base32; the confirmed one, and the one being set up at enrolment.
                    .col(string_len_null(StaffMembers::TotpSecret, 64))
                    .col(string_len_null(StaffMembers::TotpPending, 64))
                    // The last TOTP step accepted: its code and earlier ones are replays.
                    .col(big_integer_null(StaffMembers::TotpLastStep))
                    .col(boolean(StaffMembers::PlatformAdmin))
                    .col(boolean(StaffMembers::Active))
                    .col(timestamp_with_time_zone(StaffMembers::CreatedAt))
                    .col(timestamp_with_time_zone_null(StaffMembers::DeactivatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StaffRoles::Table)
                    .col(big_integer(StaffRoles::StaffId))
                    .col(big_integer(StaffRoles::TenantId))
                    .col(string_len(StaffRoles::Role, 20))
                    // One role per gemeente; the platform-wide role is `platform_admin` above.
                    .primary_key(
                        Index::create()
                            .col(StaffRoles::StaffId)
                            .col(StaffRoles::TenantId),
                    )
                    .check(Expr::col(StaffRoles::Role).is_in(["staff", "tenant_admin"]))
                    .foreign_key(&mut to_staff(StaffRoles::Table, StaffRoles::StaffId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffRoles::Table, StaffRoles::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "staff_roles_tenant",
                StaffRoles::Table,
                &["tenant_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StaffEnrolments::Table)
                    .col(string_len(StaffEnrolments::TokenHash, 64).primary_key())
                    .col(big_integer(StaffEnrolments::StaffId))
                    .col(timestamp_with_time_zone(StaffEnrolments::CreatedAt))
                    .col(timestamp_with_time_zone(StaffEnrolments::ExpiresAt))
                    .col(timestamp_with_time_zone_null(StaffEnrolments::UsedAt))
                    .foreign_key(&mut to_staff(
                        StaffEnrolments::Table,
                        StaffEnrolments::StaffId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "staff_enrolments_staff",
                StaffEnrolments::Table,
                &["staff_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StaffSessions::Table)
                    .col(string_len(StaffSessions::TokenHash, 64).primary_key())
                    .col(big_integer(StaffSessions::StaffId))
                    .col(string_len(StaffSessions::Stage, 10))
                    .col(timestamp_with_time_zone(StaffSessions::StartedAt))
                    .col(timestamp_with_time_zone(StaffSessions::LastSeenAt))
                    .check(Expr::col(StaffSessions::Stage).is_in(["code", "enrol", "active"]))
                    .foreign_key(&mut to_staff(StaffSessions::Table, StaffSessions::StaffId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "staff_sessions_staff",
                StaffSessions::Table,
                &["staff_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StaffRecoveryCodes::Table)
                    .col(big_pk_auto(StaffRecoveryCodes::Id))
                    .col(big_integer(StaffRecoveryCodes::StaffId))
                    .col(string_len(StaffRecoveryCodes::CodeHash, 64))
                    .col(timestamp_with_time_zone_null(StaffRecoveryCodes::UsedAt))
                    .foreign_key(&mut to_staff(
                        StaffRecoveryCodes::Table,
                        StaffRecoveryCodes::StaffId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "staff_recovery_codes_staff",
                StaffRecoveryCodes::Table,
                &["staff_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    // No foreign keys: an entry outlives the account and the gemeente it names.
                    .col(big_integer_null(AuditLog::ActorId))
                    .col(string_len(AuditLog::Actor, 254))
                    .col(string_len_null(AuditLog::Role, 20))
                    .col(big_integer_null(AuditLog::TenantId))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_len_null(AuditLog::ObjectKind, 32))
                    // Text: a search names every id it found.
                    .col(text_null(AuditLog::ObjectId))
                    .col(string_len(AuditLog::Result, 10))
                    .col(text_null(AuditLog::Reason))
                    .col(string_len(AuditLog::Origin, 100))
                    .check(Expr::col(AuditLog::Result).is_in(["ok", "refused"]))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "audit_log_tenant_at",
                AuditLog::Table,
                &["tenant_id", "at"],
            ))
            .await?;
        manager
            .create_index(index("audit_log_at", AuditLog::Table, &["at"]))
            .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => db.execute_unprepared(POSTGRES_APPEND_ONLY).await?,
            _ => db.execute_unprepared(SQLITE_NO_UPDATE).await?,
        };
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping the table drops its triggers; PostgreSQL's function goes after it.
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS audit_log_append_only()")
                .await?;
        }
        for table in [
            StaffRecoveryCodes::Table.into_iden(),
            StaffSessions::Table.into_iden(),
            StaffEnrolments::Table.into_iden(),
            StaffRoles::Table.into_iden(),
            StaffMembers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
