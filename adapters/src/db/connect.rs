//! Opening the database (SQLite file or PostgreSQL server), migrating it and checking it.

use juhe_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sea_orm::{DatabaseConnection, DbErr, SqlxPostgresConnector, SqlxSqliteConnector};
use std::str::FromStr;
use std::time::Duration;

/// PostgreSQL pool size per process (API replicas and workers each hold one pool).
const PG_MAX_CONNECTIONS: u32 = 20;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long SQLite waits for a write lock held by another process (e.g. a CLI next to the server).
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects to `sqlite:…` or `postgres://…`.
///
/// SQLite gets exactly one connection (WAL, foreign keys on, a busy timeout): one writer at a
/// time is how SQLite works anyway, and one connection keeps an in-memory database alive. The
/// price: code must never query the pool while it holds a transaction (that waits forever).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    if url.starts_with("sqlite:") {
        connect_sqlite(url).await
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        connect_postgres(url).await
    } else {
        Err(DbErr::Conn(sea_orm::RuntimeErr::Internal(format!(
            "unsupported database URL scheme (want sqlite: or postgres://): {}",
            url.split(':').next().unwrap_or_default()
        ))))
    }
}

async fn connect_sqlite(url: &str) -> Result<DatabaseConnection, DbErr> {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let mut options =
        SqliteConnectOptions::from_str(url).map_err(conn_err)?.foreign_keys(true).busy_timeout(SQLITE_BUSY_TIMEOUT);
    if !in_memory {
        create_parent_dir(options.get_filename())?;
        options =
            options.create_if_missing(true).journal_mode(SqliteJournalMode::Wal).synchronous(SqliteSynchronous::Normal);
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // The one connection lives as long as the pool (an in-memory database would vanish).
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await
        .map_err(conn_err)?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

async fn connect_postgres(url: &str) -> Result<DatabaseConnection, DbErr> {
    let options = PgConnectOptions::from_str(url).map_err(conn_err)?;
    let pool = PgPoolOptions::new()
        .max_connections(PG_MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(conn_err)?;
    Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
}

fn create_parent_dir(file: &std::path::Path) -> Result<(), DbErr> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::Internal(format!("creating {}: {e}", dir.display())))),
        _ => Ok(()),
    }
}

fn conn_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into()))
}

/// Applies the pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// A round trip to the database (readiness checks).
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}
