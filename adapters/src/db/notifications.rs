//! `NotificationRepo`: the merchant-notification outbox, claimed by delivery workers under a
//! lease, with every attempt recorded.

use super::entities::notification_attempts::{self, Column as A};
use super::entities::notifications::{self, Column as C};
use super::errors::db_err;
use super::mapping::db_time;
use super::query::{fetch_page, get_scoped, in_scope, newest_first, oldest_first, scoped, time_key, time_value};
use super::store::{SqlStore, commit, insert_audit};
use juhe_domain::audit::AuditEntry;
use juhe_domain::ids::PlatformId;
use juhe_domain::page::{Page, PageRequest};
use juhe_domain::payments::notification::{DeliveryAttempt, DeliveryStatus, Notification};
use juhe_domain::payments::ports::NotificationRepo;
use juhe_domain::repo::{RepoError, RepoResult};
use juhe_domain::scope::Scope;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    Select,
};
use time::{Duration, OffsetDateTime};

/// Inserts the notifications a state change causes, on `conn` (the transaction of the change).
pub(crate) async fn insert_outbox(conn: &impl ConnectionTrait, outbox: &[Notification]) -> RepoResult<()> {
    if outbox.is_empty() {
        return Ok(());
    }
    notifications::Entity::insert_many(outbox.iter().map(notifications::from_domain))
        .exec_without_returning(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

#[async_trait::async_trait]
impl NotificationRepo for SqlStore {
    /// Selects the due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent workers pass
    /// over each other's rows instead of waiting for them), sets the lease on them, and reads
    /// back exactly the rows this call leased, all in one transaction. SQLite's query builder
    /// drops the lock clause: its single writer serialises the claims instead.
    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        worker: &str,
        limit: u64,
    ) -> RepoResult<Vec<Notification>> {
        let backend = self.backend();
        let txn = self.begin().await?;
        let ids: Vec<String> = due_ids(backend, now, limit).into_tuple().all(&txn).await.map_err(db_err)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        notifications::Entity::update_many()
            .col_expr(C::LockedBy, Expr::val(worker))
            .col_expr(C::LockedUntil, Expr::val(db_time(lease_until)))
            .filter(C::Id.is_in(ids.iter().map(String::as_str)))
            // Re-checked, so a row can only be leased while it is due and free.
            .filter(due(backend, now))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        let leased = notifications::Entity::find()
            .filter(C::Id.is_in(ids.iter().map(String::as_str)))
            .filter(C::LockedBy.eq(worker))
            .filter(time_key(backend, C::LockedUntil).eq(time_value(backend, lease_until)));
        let rows = oldest_first(leased, backend, C::NextAttemptAt).all(&txn).await.map_err(db_err)?;
        commit(txn).await?;
        rows.into_iter().map(notifications::Model::into_domain).collect()
    }

    /// The state change is conditional on `locked_by = worker` and comes first: when the claim
    /// is lost, nothing (not even the attempt) is written.
    async fn record_attempt(
        &self,
        attempt: &DeliveryAttempt,
        worker: &str,
        status: DeliveryStatus,
        next_attempt_at: Option<OffsetDateTime>,
    ) -> RepoResult<bool> {
        let txn = self.begin().await?;
        let update = notifications::Entity::update_many()
            .col_expr(C::Attempts, Expr::val(attempt.attempt_no))
            .col_expr(C::Status, Expr::val(status.as_str()))
            .col_expr(C::LockedBy, Expr::val(None::<String>))
            .col_expr(C::LockedUntil, Expr::val(None::<OffsetDateTime>))
            .apply_if(next_attempt_at, |u, next| u.col_expr(C::NextAttemptAt, Expr::val(db_time(next))))
            .apply_if((status == DeliveryStatus::Delivered).then(|| delivered_at(attempt)), |u, at| {
                u.col_expr(C::DeliveredAt, Expr::val(db_time(at)))
            });
        let updated = update
            .filter(C::Id.eq(attempt.notification_id.as_str()))
            .filter(C::LockedBy.eq(worker))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if updated.rows_affected == 0 {
            return Ok(false);
        }
        let platform: Option<String> = notifications::Entity::find_by_id(attempt.notification_id.as_str())
            .select_only()
            .column(C::PlatformId)
            .into_tuple()
            .one(&txn)
            .await
            .map_err(db_err)?;
        let platform = PlatformId::from_trusted(platform.ok_or(RepoError::NotFound)?);
        notification_attempts::Entity::insert(notification_attempts::from_domain(attempt, &platform))
            .exec_without_returning(&txn)
            .await
            .map_err(db_err)?;
        commit(txn).await?;
        Ok(true)
    }

    async fn get(&self, scope: &Scope, id: &str) -> RepoResult<Option<Notification>> {
        get_scoped::<notifications::Entity>(self.connection(), scope, id)
            .await?
            .map(notifications::Model::into_domain)
            .transpose()
    }

    /// Newest first.
    async fn list(
        &self,
        scope: &Scope,
        resource_no: Option<&str>,
        page: PageRequest,
    ) -> RepoResult<Page<Notification>> {
        let select =
            scoped::<notifications::Entity>(scope).apply_if(resource_no, |q, no| q.filter(C::ResourceNo.eq(no)));
        let select = newest_first(select, self.backend(), C::CreatedAt);
        fetch_page(self.connection(), select, page, notifications::Model::into_domain).await
    }

    /// Oldest first; none when the notification is outside the scope.
    async fn attempts(&self, scope: &Scope, id: &str) -> RepoResult<Vec<DeliveryAttempt>> {
        let in_scope_id = Query::select()
            .column(C::Id)
            .from(notifications::Entity)
            .and_where(C::Id.eq(id))
            .cond_where(in_scope::<notifications::Entity>(scope))
            .take();
        let rows = notification_attempts::Entity::find()
            .filter(A::NotificationId.in_subquery(in_scope_id))
            .order_by_asc(A::AttemptNo)
            .all(self.connection())
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(notification_attempts::Model::into_domain).collect())
    }

    /// Clears the lease too: a worker still delivering the old claim can no longer record it.
    async fn resend(&self, scope: &Scope, id: &str, now: OffsetDateTime, audit: &AuditEntry) -> RepoResult<()> {
        let txn = self.begin().await?;
        let updated = notifications::Entity::update_many()
            .col_expr(C::Status, Expr::val(DeliveryStatus::Pending.as_str()))
            .col_expr(C::NextAttemptAt, Expr::val(db_time(now)))
            .col_expr(C::LockedBy, Expr::val(None::<String>))
            .col_expr(C::LockedUntil, Expr::val(None::<OffsetDateTime>))
            .filter(in_scope::<notifications::Entity>(scope))
            .filter(C::Id.eq(id))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if updated.rows_affected == 0 {
            return Err(RepoError::NotFound);
        }
        insert_audit(&txn, audit).await?;
        self.commit_audited(txn).await
    }
}

/// Pending, due at `now`, and not leased (or the lease has run out).
fn due(backend: DbBackend, now: OffsetDateTime) -> Condition {
    let lease_free = Condition::any()
        .add(C::LockedUntil.is_null())
        .add(time_key(backend, C::LockedUntil).lte(time_value(backend, now)));
    Condition::all()
        .add(C::Status.eq(DeliveryStatus::Pending.as_str()))
        .add(time_key(backend, C::NextAttemptAt).lte(time_value(backend, now)))
        .add(lease_free)
}

/// The ids of up to `limit` due rows, most overdue first, locked for the claim.
fn due_ids(backend: DbBackend, now: OffsetDateTime, limit: u64) -> Select<notifications::Entity> {
    oldest_first(notifications::Entity::find().filter(due(backend, now)), backend, C::NextAttemptAt)
        .select_only()
        .column(C::Id)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
}

/// When the successful attempt ended (the port passes no clock of its own).
fn delivered_at(attempt: &DeliveryAttempt) -> OffsetDateTime {
    attempt.started_at + Duration::milliseconds(attempt.latency_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_skip_rows_other_workers_hold_on_postgres() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let pg = due_ids(DbBackend::Postgres, now, 5).build(DbBackend::Postgres).to_string();
        assert!(pg.ends_with("FOR UPDATE SKIP LOCKED"), "{pg}");
        let sqlite = due_ids(DbBackend::Sqlite, now, 5).build(DbBackend::Sqlite).to_string();
        assert!(!sqlite.contains("FOR UPDATE") && sqlite.contains("rtrim"), "{sqlite}");
    }
}
