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

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::sqlx::{self, Row, SqliteConnection};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseExecutor};

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

fn failed(what: impl std::fmt::Display) -> DbErr {
    DbErr::Migration(what.to_string())
}

/// `sql` with each `before` replaced by its `after`; each must occur exactly once (a definition
/// that differs from the one this migration was written against stops it, never half-applies).
fn edited(table: &str, sql: &str, edits: &[(String, String)]) -> Result<String, DbErr> {
    let mut out = sql.to_owned();
    for (before, after) in edits {
        // A match must end where the definition or clause does (`"x" integer` would also be
        // the start of `"x" integer NOT NULL`).
        let matches: Vec<_> = out
            .match_indices(before.as_str())
            .filter(|(at, m)| {
                let rest = &out[at + m.len()..];
                !rest.starts_with(" NOT NULL")
                    && rest
                        .chars()
                        .next()
                        .is_none_or(|c| matches!(c, ',' | ')' | ' ' | '('))
            })
            .map(|(at, _)| at)
            .collect();
        let [at] = matches[..] else {
            return Err(failed(format!(
                "{table}: expected `{before}` once in its definition, found it {} times",
                matches.len()
            )));
        };
        out.replace_range(at..at + before.len(), after);
    }
    Ok(out)
}

/// Runs `sql`: built from this file's constants and the database's own schema, never from input.
async fn exec(conn: &mut SqliteConnection, sql: &str) -> Result<(), DbErr> {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(|e| failed(format!("{sql}: {e}")))
}

/// Rebuilds `r.table` with its definition edited, in the caller's transaction.
async fn rebuild(
    conn: &mut SqliteConnection,
    r: &AccountRef,
    direction: Direction,
) -> Result<(), DbErr> {
    let table = r.table;
    let definition: String =
        sqlx::query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?")
            .bind(table)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| failed(format!("{table}: {e}")))?
            .get(0);
    let indexes: Vec<String> = sqlx::query(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| failed(format!("{table}: {e}")))?
    .into_iter()
    .map(|row| row.get(0))
    .collect();
    // A run that rebuilt the tables and stopped before the migration was recorded left them in
    // their new form: nothing to edit, and the edits would not find what they replace.
    let edits = r.edits(direction);
    if edits
        .iter()
        .all(|(from, to)| !definition.contains(from.as_str()) && definition.contains(to.as_str()))
    {
        return Ok(());
    }
    let counter: Option<i64> = sqlx::query("SELECT seq FROM sqlite_sequence WHERE name = ?")
        .bind(table)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| failed(format!("{table}: {e}")))?
        .map(|row| row.get(0));
    let renamed = [(
        format!("CREATE TABLE \"{table}\" "),
        format!("CREATE TABLE \"{table}_new\" "),
    )];
    let new = edited(table, &edited(table, &definition, &renamed)?, &edits)?;
    exec(conn, &new).await?;
    // The same columns in the same order: only constraints changed.
    exec(
        conn,
        &format!("INSERT INTO \"{table}_new\" SELECT * FROM \"{table}\""),
    )
    .await?;
    exec(conn, &format!("DROP TABLE \"{table}\"")).await?;
    exec(
        conn,
        &format!("ALTER TABLE \"{table}_new\" RENAME TO \"{table}\""),
    )
    .await?;
    for index in &indexes {
        exec(conn, index).await?;
    }
    // Ids are never handed out twice, also those of rows deleted before: the counter goes
    // back, and is made anew when the copy left none (an empty table has none after the copy).
    if let Some(seq) = counter {
        let updated = sqlx::query("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?")
            .bind(seq)
            .bind(table)
            .execute(&mut *conn)
            .await
            .map_err(|e| failed(format!("{table}: {e}")))?;
        if updated.rows_affected() == 0 {
            sqlx::query("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)")
                .bind(table)
                .bind(seq)
                .execute(&mut *conn)
                .await
                .map_err(|e| failed(format!("{table}: {e}")))?;
        }
    }
    Ok(())
}

/// Every table rebuilt in one transaction, with every foreign key checked before it commits.
async fn rebuild_all(conn: &mut SqliteConnection, direction: Direction) -> Result<(), DbErr> {
    exec(conn, "BEGIN IMMEDIATE").await?;
    let done = async {
        for r in &REFS {
            rebuild(conn, r, direction).await?;
        }
        let broken = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&mut *conn)
            .await
            .map_err(failed)?;
        if !broken.is_empty() {
            return Err(failed(format!(
                "{} rows break a foreign key after the rebuild",
                broken.len()
            )));
        }
        exec(conn, "COMMIT").await
    }
    .await;
    if done.is_err() {
        let _ = exec(conn, "ROLLBACK").await;
    }
    done
}

/// SQLite: the rebuild on a connection of its own, since foreign keys can only be switched off
/// outside a transaction, and must be (dropping the old table would otherwise run the `ON DELETE`
/// actions of the tables that point at it, nulling the ledger's sessions).
async fn sqlite(manager: &SchemaManager<'_>, direction: Direction) -> Result<(), DbErr> {
    let DatabaseExecutor::Connection(db) = manager.get_connection() else {
        return Err(failed(
            "the SQLite rebuild needs the pool, not a transaction",
        ));
    };
    let mut conn = db
        .get_sqlite_connection_pool()
        .acquire()
        .await
        .map_err(failed)?;
    exec(&mut conn, "PRAGMA foreign_keys = OFF").await?;
    let done = rebuild_all(&mut conn, direction).await;
    // Never hand the pool a connection without foreign keys.
    if exec(&mut conn, "PRAGMA foreign_keys = ON").await.is_err() {
        let _ = conn.close().await;
    }
    done
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
