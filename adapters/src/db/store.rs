//! `SqlStore`: the one type that implements every repository port on a sea-orm connection.

use super::entities::audit_logs;
use super::errors::db_err;
use super::lookups::Lookups;
use super::query::{Versioned, update_versioned};
use juhe_domain::audit::AuditEntry;
use juhe_domain::effects::Effects;
use juhe_domain::ids::PlatformId;
use juhe_domain::repo::RepoResult;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    TransactionTrait,
};
use std::sync::Arc;
use std::time::Duration;

/// The repositories on SQLite or PostgreSQL. Cheap to clone (the pool is shared).
///
/// Inside a transaction every statement runs on the transaction, never on the pool: SQLite has
/// a single connection, and the transaction holds it.
#[derive(Clone, Debug)]
pub struct SqlStore {
    db: DatabaseConnection,
    pub(crate) lookups: Arc<Lookups>,
    /// Rung after a commit that created due jobs, so this process's workers start at once.
    jobs_signal: Arc<tokio::sync::Notify>,
}

impl SqlStore {
    /// Every read goes to the database.
    pub fn new(db: DatabaseConnection) -> Self {
        Self::with_lookup_cache(db, Duration::ZERO)
    }

    /// Caches the order path's lookups for `ttl` (see `lookups.rs`; zero = no caching).
    pub fn with_lookup_cache(db: DatabaseConnection, ttl: Duration) -> Self {
        Self { db, lookups: Arc::new(Lookups::new(ttl)), jobs_signal: Arc::new(tokio::sync::Notify::new()) }
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Notified when this process wrote jobs (other processes' jobs are found by polling).
    pub fn jobs_signal(&self) -> Arc<tokio::sync::Notify> {
        self.jobs_signal.clone()
    }

    /// Commits a change written with its effects, then wakes this process's workers when the
    /// effects included jobs.
    pub(crate) async fn commit_effects(&self, txn: DatabaseTransaction, effects: &Effects) -> RepoResult<()> {
        txn.commit().await.map_err(db_err)?;
        if !effects.jobs.is_empty() {
            self.jobs_signal.notify_waiters();
        }
        Ok(())
    }

    pub(crate) fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    pub(crate) async fn begin(&self) -> RepoResult<DatabaseTransaction> {
        self.db.begin().await.map_err(db_err)
    }

    /// Inserts a row and its audit entry in one transaction.
    pub(crate) async fn insert_with_audit<A>(&self, row: A, audit: &AuditEntry) -> RepoResult<()>
    where
        A: ActiveModelTrait + Send,
    {
        let txn = self.begin().await?;
        A::Entity::insert(row).exec_without_returning(&txn).await.map_err(db_err)?;
        insert_audit(&txn, audit).await?;
        self.commit_audited(txn).await
    }

    /// An optimistic update (see `update_versioned`) and its audit entry in one transaction.
    pub(crate) async fn update_with_audit<E, A>(
        &self,
        changes: A,
        id: &str,
        platform: &PlatformId,
        version: i64,
        audit: &AuditEntry,
    ) -> RepoResult<()>
    where
        E: Versioned,
        A: ActiveModelTrait<Entity = E> + Send,
    {
        let txn = self.begin().await?;
        update_versioned(&txn, changes, id, platform, version).await?;
        insert_audit(&txn, audit).await?;
        self.commit_audited(txn).await
    }

    /// Commits an audited change (an admin's), after which cached lookups are stale.
    pub(crate) async fn commit_audited(&self, txn: DatabaseTransaction) -> RepoResult<()> {
        let committed = txn.commit().await.map_err(db_err);
        self.lookups.invalidate();
        committed
    }
}

/// Writes an audit entry on `conn` (the transaction of the change it records).
pub(crate) async fn insert_audit(conn: &impl ConnectionTrait, entry: &AuditEntry) -> RepoResult<()> {
    audit_logs::Entity::insert(audit_logs::from_domain(entry)).exec_without_returning(conn).await.map_err(db_err)?;
    Ok(())
}

pub(crate) async fn commit(txn: DatabaseTransaction) -> RepoResult<()> {
    txn.commit().await.map_err(db_err)
}
