//! A resident may delete their account (AVG/GDPR). The product's books outlive the person: the
//! sessions a product's ledger entries pay for, the payments that credited it and the mandates
//! whose balances are part of it stay, with the account they pointed at taken out.
//!
//! - `parking_sessions.account_id`, `payments.account_id` and `mandates.owner_id` become
//!   nullable, and deleting an account sets them NULL instead of deleting the rows (their foreign
//!   keys went `ON DELETE CASCADE`, which would have taken the ledger's sessions with them).
//!
//! PostgreSQL changes the columns and constraints in place. SQLite cannot alter a column: each
//! table is rebuilt the way SQLite documents (a new table from the old definition with the two
//! changes, its rows copied, the old one dropped, the new one renamed, its indexes and
//! AUTOINCREMENT counter restored), on one connection with foreign keys off, in one transaction
//! that checks every foreign key before it commits.

use crate::sqlite_rebuild::{self, failed};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A column that points at an account, and what deleting the account did and now does to it.
struct AccountRef {
    table: &'static str,
    column: &'static str,
}

const REFS: [AccountRef; 3] = [
    AccountRef {
        table: "parking_sessions",
        column: "account_id",
    },
    AccountRef {
        table: "payments",
        column: "account_id",
    },
    AccountRef {
        table: "mandates",
        column: "owner_id",
    },
];

/// Which way the migration goes: to nullable columns that deleting an account sets NULL, or back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

impl AccountRef {
    /// The column's definition and its foreign key's action as the create statement writes them
    /// (`before`), and as they become (`after`).
    fn edits(&self, direction: Direction) -> [(String, String); 2] {
        let (column, table) = (self.column, "accounts");
        // SQLite's names of the types sea-query asked for.
        let strict = format!("\"{column}\" integer NOT NULL");
        let loose = format!("\"{column}\" integer NULL");
        let cascade =
            format!("FOREIGN KEY (\"{column}\") REFERENCES \"{table}\" (\"id\") ON DELETE CASCADE");
        let set_null = format!(
            "FOREIGN KEY (\"{column}\") REFERENCES \"{table}\" (\"id\") ON DELETE SET NULL"
        );
        match direction {
            Direction::Up => [(strict, loose), (cascade, set_null)],
            Direction::Down => [(loose, strict), (set_null, cascade)],
        }
    }
}

/// SQLite: every table rebuilt with its definition edited, in one transaction.
async fn sqlite(manager: &SchemaManager<'_>, direction: Direction) -> Result<(), DbErr> {
    let tables: Vec<_> = REFS
        .iter()
        .map(|r| (r.table, r.edits(direction).to_vec()))
        .collect();
    sqlite_rebuild::run(manager, &tables).await
}

/// PostgreSQL: the columns and their foreign keys changed in place, in the migration's
/// transaction.
async fn postgres(manager: &SchemaManager<'_>, direction: Direction) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for r in &REFS {
        let (table, column) = (r.table, r.column);
        let row = db
            .query_one_raw(sea_orm_migration::sea_orm::Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT c.conname FROM pg_constraint c \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) \
                 WHERE c.conrelid = $1::regclass AND c.contype = 'f' AND a.attname = $2",
                [table.into(), column.into()],
            ))
            .await?
            .ok_or_else(|| failed(format!("{table}.{column} has no foreign key")))?;
        let constraint: String = row.try_get("", "conname")?;
        let (nullability, action) = match direction {
            Direction::Up => ("DROP NOT NULL", "SET NULL"),
            Direction::Down => ("SET NOT NULL", "CASCADE"),
        };
        db.execute_unprepared(&format!(
            "ALTER TABLE \"{table}\" ALTER COLUMN \"{column}\" {nullability}, \
             DROP CONSTRAINT \"{constraint}\", \
             ADD CONSTRAINT \"{constraint}\" FOREIGN KEY (\"{column}\") \
             REFERENCES accounts (id) ON DELETE {action}"
        ))
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => sqlite(manager, Direction::Up).await,
            _ => postgres(manager, Direction::Up).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => sqlite(manager, Direction::Down).await,
            _ => postgres(manager, Direction::Down).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite_rebuild::edited;

    #[test]
    fn a_definition_is_edited_where_expected_only() {
        let sql = "CREATE TABLE \"payments\" ( \"id\" integer, \"account_id\" integer NOT NULL, \
                   \"amount\" integer NOT NULL, FOREIGN KEY (\"account_id\") REFERENCES \
                   \"accounts\" (\"id\") ON DELETE CASCADE )";
        let r = &REFS[1];
        let up = edited("payments", sql, &r.edits(Direction::Up)).unwrap();
        assert!(up.contains("\"account_id\" integer NULL,"));
        assert!(up.contains("\"amount\" integer NOT NULL"));
        assert!(up.contains("ON DELETE SET NULL"));
        assert_eq!(
            edited("payments", &up, &r.edits(Direction::Down)).unwrap(),
            sql
        );
        assert!(edited("payments", &up, &r.edits(Direction::Up)).is_err());
    }
}
