//! Connecting to the database and migrating it.

use parkportal_domain::{Readiness, StoreError};
use parkportal_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use std::sync::Arc;
use std::time::Duration;

/// Which database engine a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, the embedded default.
    Sqlite,
    /// PostgreSQL, for production and several instances.
    Postgres,
}

/// How to reach the database.
#[derive(Clone)]
pub struct DatabaseSettings {
    /// `sqlite://path?mode=rwc` or `postgres://user:password@host/db`.
    pub url: String,
    /// Connections in the pool.
    pub max_connections: u32,
    /// How long a SQLite writer waits for the lock before giving up.
    pub busy_timeout: Duration,
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("busy_timeout", &self.busy_timeout)
            .finish()
    }
}

/// A URL with its password replaced by `***`, for logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = match rest.split_once('/') {
        Some((authority, path)) => (authority, format!("/{path}")),
        None => (rest, String::new()),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{path}")
        }
        None => url.to_owned(),
    }
}

/// An open connection pool.
#[derive(Clone, Debug)]
pub struct Database {
    conn: DatabaseConnection,
    backend: Backend,
    /// SQLite only: the queue of this process's writers.
    write_gate: Option<Arc<tokio::sync::Mutex<()>>>,
}

/// A place in the queue of writers; the next writer starts when it is dropped.
#[must_use = "the gate must be held until the transaction ends"]
pub struct WriteGate(
    #[expect(dead_code, reason = "held for its drop, which lets the next writer in")]
    Option<tokio::sync::OwnedMutexGuard<()>>,
);

impl Database {
    /// Opens a pool. SQLite gets WAL, `synchronous=FULL` (money survives a power cut), a busy
    /// timeout and foreign keys; the file is created when missing.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, StoreError> {
        let backend = if settings.url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if settings.url.starts_with("postgres://")
            || settings.url.starts_with("postgresql://")
        {
            Backend::Postgres
        } else {
            return Err(StoreError::new(format!(
                "database.url must start with sqlite: or postgres:// (got {})",
                redact_url(&settings.url)
            )));
        };
        let mut options = ConnectOptions::new(settings.url.clone());
        options
            .max_connections(settings.max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        if backend == Backend::Sqlite {
            let busy = settings.busy_timeout;
            options.map_sqlx_sqlite_opts(move |o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(busy)
                    .foreign_keys(true)
            });
        }
        let conn = sea_orm::Database::connect(options)
            .await
            .map_err(StoreError::new)?;
        let write_gate =
            (backend == Backend::Sqlite).then(|| Arc::new(tokio::sync::Mutex::new(())));
        Ok(Self {
            conn,
            backend,
            write_gate,
        })
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.conn, None)
            .await
            .map_err(StoreError::new)
    }

    /// The names of the migrations that have been applied, oldest first.
    pub async fn applied_migrations(&self) -> Result<Vec<String>, StoreError> {
        let applied = Migrator::get_applied_migrations(&self.conn)
            .await
            .map_err(StoreError::new)?;
        Ok(applied.iter().map(|m| m.name().to_owned()).collect())
    }

    /// The names of all migrations this build knows.
    pub fn known_migrations() -> Vec<String> {
        Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect()
    }

    /// The engine.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The underlying connection, for the repositories of this crate.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Starts a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: a deferred
    /// transaction that reads before it writes cannot take the write lock when another connection
    /// committed in between (SQLITE_BUSY_SNAPSHOT, which no busy timeout waits out); taking the
    /// lock up front makes it wait its turn instead.
    ///
    /// On SQLite, writers of this process also queue here first, one at a time: SQLite allows
    /// one writer anyway, and waiting in line is far quicker than its busy handler's sleeps. Keep
    /// the returned gate until the transaction ends.
    pub async fn begin_write(&self) -> Result<(WriteGate, DatabaseTransaction), StoreError> {
        let gate = match &self.write_gate {
            Some(gate) => Some(gate.clone().lock_owned().await),
            None => None,
        };
        let options = TransactionOptions {
            sqlite_transaction_mode: (self.backend == Backend::Sqlite)
                .then_some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        let txn = self
            .conn
            .begin_with_options(options)
            .await
            .map_err(StoreError::new)?;
        Ok((WriteGate(gate), txn))
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(self) -> Result<(), StoreError> {
        self.conn.close().await.map_err(StoreError::new)
    }
}

#[async_trait::async_trait]
impl Readiness for Database {
    async fn ping(&self) -> Result<(), StoreError> {
        self.conn
            .execute_unprepared("SELECT 1")
            .await
            .map(|_| ())
            .map_err(StoreError::new)
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(
            redact_url("postgres://postgres:s3cret@127.0.0.1:5432/parkportal"),
            "postgres://postgres:***@127.0.0.1:5432/parkportal"
        );
        assert_eq!(
            redact_url("sqlite://data/parkportal.db?mode=rwc"),
            "sqlite://data/parkportal.db?mode=rwc"
        );
        assert!(!redact_url("postgres://u:p%40ss@h/db").contains("p%40ss"));
    }
}
