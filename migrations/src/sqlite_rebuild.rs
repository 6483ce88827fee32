//! Rebuilding SQLite tables whose constraints change, the way SQLite documents it (SQLite cannot
//! alter a column or a CHECK): a new table from the old definition with its edits, its rows
//! copied, the old one dropped, the new one renamed, its indexes and AUTOINCREMENT counter
//! restored; every table of a change on one connection with foreign keys off, in one transaction
//! that checks every foreign key before it commits.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseExecutor;
use sea_orm_migration::sea_orm::sqlx::{self, Row, SqliteConnection};

/// A table and its definition's edits: each `before` replaced by its `after`.
pub(crate) type Rebuild = (&'static str, Vec<(String, String)>);

/// A migration's failure with what went wrong.
pub(crate) fn failed(what: impl std::fmt::Display) -> DbErr {
    DbErr::Migration(what.to_string())
}

/// `sql` with each `before` replaced by its `after`; each must occur exactly once (a definition
/// that differs from the one this migration was written against stops it, never half-applies).
pub(crate) fn edited(table: &str, sql: &str, edits: &[(String, String)]) -> Result<String, DbErr> {
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

/// Rebuilds `table` with its definition edited, in the caller's transaction.
async fn rebuild(conn: &mut SqliteConnection, (table, edits): &Rebuild) -> Result<(), DbErr> {
    let table = *table;
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
    let new = edited(table, &edited(table, &definition, &renamed)?, edits)?;
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
async fn rebuild_all(conn: &mut SqliteConnection, tables: &[Rebuild]) -> Result<(), DbErr> {
    exec(conn, "BEGIN IMMEDIATE").await?;
    let done = async {
        for table in tables {
            rebuild(conn, table).await?;
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
pub(crate) async fn run(manager: &SchemaManager<'_>, tables: &[Rebuild]) -> Result<(), DbErr> {
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
    let done = rebuild_all(&mut conn, tables).await;
    // Never hand the pool a connection without foreign keys.
    if exec(&mut conn, "PRAGMA foreign_keys = ON").await.is_err() {
        let _ = conn.close().await;
    }
    done
}
