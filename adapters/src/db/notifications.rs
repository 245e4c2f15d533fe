//! `NotificationRepo`: the merchant-notification outbox (each row delivered by its delivery
//! job), with every attempt recorded.

use super::effects::write_effects;
use super::entities::notification_attempts::{self, Column as A};
use super::entities::notifications::{self, Column as C};
use super::errors::db_err;
use super::mapping::db_time;
use super::query::{fetch_page, get_scoped, in_scope, newest_first, scoped};
use super::store::{SqlStore, commit};
use juhe_domain::effects::Effects;
use juhe_domain::ids::PlatformId;
use juhe_domain::page::{Page, PageRequest};
use juhe_domain::payments::notification::{DeliveryAttempt, DeliveryStatus, Notification};
use juhe_domain::payments::ports::NotificationRepo;
use juhe_domain::repo::{RepoError, RepoResult};
use juhe_domain::scope::Scope;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
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
    async fn get_unscoped(&self, id: &str) -> RepoResult<Option<Notification>> {
        notifications::Entity::find_by_id(id)
            .one(self.connection())
            .await
            .map_err(db_err)?
            .map(notifications::Model::into_domain)
            .transpose()
    }

    /// The delivery state and the attempt, in one transaction (an attempt is recorded once:
    /// (notification, attempt number) is the key).
    async fn record_attempt(
        &self,
        attempt: &DeliveryAttempt,
        status: DeliveryStatus,
        next_attempt_at: Option<OffsetDateTime>,
    ) -> RepoResult<()> {
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
        let updated = update.filter(C::Id.eq(attempt.notification_id.as_str())).exec(&txn).await.map_err(db_err)?;
        if updated.rows_affected == 0 {
            return Err(RepoError::NotFound);
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
        commit(txn).await
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

    /// Pending and due now; its delivery job (in `effects`) is revived or brought forward.
    async fn resend(&self, scope: &Scope, id: &str, now: OffsetDateTime, effects: &Effects) -> RepoResult<()> {
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
        write_effects(&txn, effects).await?;
        self.commit_effects(txn, effects).await
    }
}

/// When the successful attempt ended (the port passes no clock of its own).
fn delivered_at(attempt: &DeliveryAttempt) -> OffsetDateTime {
    attempt.started_at + Duration::milliseconds(attempt.latency_ms)
}
