//! `JobRepo`: the durable job table. Workers lease jobs (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so concurrent claimers pass over each other's rows; SQLite's single writer
//! serialises the claims), renew the lease while running, and write the result only while they
//! still hold it.

use super::effects::enqueue_jobs;
use super::entities::job_attempts::{self, Column as A};
use super::entities::jobs::{self, Column as C};
use super::errors::db_err;
use super::mapping::db_time;
use super::query::{fetch_page, oldest_first, time_key, time_value};
use super::store::{SqlStore, commit, insert_audit};
use juhe_domain::audit::AuditEntry;
use juhe_domain::ids::{JobId, PlatformId};
use juhe_domain::jobs::model::AttemptResult;
use juhe_domain::jobs::{Job, JobAttempt, JobFilter, JobFinish, JobKind, JobRepo, JobState, KindStats, NewJob};
use juhe_domain::page::{Page, PageRequest};
use juhe_domain::repo::{RepoError, RepoResult};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select,
};
use time::OffsetDateTime;

#[async_trait::async_trait]
impl JobRepo for SqlStore {
    async fn enqueue(&self, new: &[NewJob]) -> RepoResult<()> {
        let txn = self.begin().await?;
        enqueue_jobs(&txn, new).await?;
        commit(txn).await?;
        self.jobs_signal().notify_waiters();
        Ok(())
    }

    async fn claim(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u64,
    ) -> RepoResult<Vec<Job>> {
        let backend = self.backend();
        let txn = self.begin().await?;
        let candidates: Vec<(String, String, String, i32, Option<String>)> =
            runnable_ids(backend, now, limit).into_tuple().all(&txn).await.map_err(db_err)?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = candidates.iter().map(|c| c.0.as_str()).collect();
        jobs::Entity::update_many()
            .col_expr(C::State, Expr::val(JobState::Running.as_str()))
            .col_expr(C::LeaseOwner, Expr::val(worker))
            .col_expr(C::LeaseUntil, Expr::val(db_time(lease_until)))
            .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
            .col_expr(C::UpdatedAt, Expr::val(db_time(now)))
            .filter(C::Id.is_in(ids.iter().copied()))
            // Re-checked, so a job is only leased while it is runnable.
            .filter(runnable(backend, now))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        // Runs whose worker stopped: recorded, so the history shows the takeover.
        for (id, platform, state, attempts, owner) in &candidates {
            if state == JobState::Running.as_str() {
                let attempt = JobAttempt {
                    job_id: JobId::from_trusted(id.clone()),
                    attempt_no: *attempts,
                    worker: owner.clone().unwrap_or_default(),
                    started_at: now,
                    finished_at: now,
                    result: AttemptResult::LeaseExpired,
                    error: Some("the worker stopped before finishing; lease expired".into()),
                };
                insert_attempt(&txn, &attempt, &PlatformId::from_trusted(platform.clone())).await?;
            }
        }
        let leased = jobs::Entity::find()
            .filter(C::Id.is_in(ids.iter().copied()))
            .filter(C::LeaseOwner.eq(worker))
            .filter(time_key(backend, C::LeaseUntil).eq(time_value(backend, lease_until)));
        let rows = oldest_first(leased, backend, C::NextRunAt).all(&txn).await.map_err(db_err)?;
        commit(txn).await?;
        rows.into_iter().map(jobs::Model::into_domain).collect()
    }

    async fn heartbeat(&self, job: &Job, worker: &str, lease_until: OffsetDateTime) -> RepoResult<bool> {
        let updated = jobs::Entity::update_many()
            .col_expr(C::LeaseUntil, Expr::val(db_time(lease_until)))
            .filter(held_by(job, worker))
            .exec(self.connection())
            .await
            .map_err(db_err)?;
        Ok(updated.rows_affected == 1)
    }

    async fn finish(&self, job: &Job, worker: &str, finish: &JobFinish) -> RepoResult<bool> {
        let txn = self.begin().await?;
        let updated = jobs::Entity::update_many()
            .col_expr(C::State, Expr::val(finish.state.as_str()))
            .col_expr(C::NextRunAt, Expr::val(db_time(finish.next_run_at)))
            .col_expr(C::Failures, Expr::val(finish.failures))
            .col_expr(C::LastError, Expr::val(finish.last_error.clone()))
            .col_expr(C::FinishedAt, Expr::val(finish.finished_at.map(db_time)))
            .col_expr(C::LeaseOwner, Expr::val(None::<String>))
            .col_expr(C::LeaseUntil, Expr::val(None::<OffsetDateTime>))
            .col_expr(C::UpdatedAt, Expr::val(db_time(finish.attempt.finished_at)))
            .filter(held_by(job, worker))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if updated.rows_affected == 0 {
            return Ok(false);
        }
        insert_attempt(&txn, &finish.attempt, &job.platform_id).await?;
        commit(txn).await?;
        Ok(true)
    }

    async fn get(&self, platform_id: &PlatformId, id: &str) -> RepoResult<Option<Job>> {
        jobs::Entity::find_by_id(id)
            .filter(C::PlatformId.eq(platform_id.as_str()))
            .one(self.connection())
            .await
            .map_err(db_err)?
            .map(jobs::Model::into_domain)
            .transpose()
    }

    async fn list(&self, platform_id: &PlatformId, filter: &JobFilter, page: PageRequest) -> RepoResult<Page<Job>> {
        let select = jobs::Entity::find()
            .filter(C::PlatformId.eq(platform_id.as_str()))
            .apply_if(filter.kind, |q, k| q.filter(C::Kind.eq(k.as_str())))
            .apply_if(filter.state, |q, s| q.filter(C::State.eq(s.as_str())))
            .apply_if(filter.key.as_deref(), |q, key| q.filter(C::Key.eq(key)));
        let select = oldest_first(select, self.backend(), C::NextRunAt);
        fetch_page(self.connection(), select, page, jobs::Model::into_domain).await
    }

    async fn attempts(&self, platform_id: &PlatformId, id: &str) -> RepoResult<Vec<JobAttempt>> {
        let rows = job_attempts::Entity::find()
            .filter(A::JobId.eq(id))
            .filter(A::PlatformId.eq(platform_id.as_str()))
            .order_by_asc(A::AttemptNo)
            .all(self.connection())
            .await
            .map_err(db_err)?;
        rows.into_iter().map(job_attempts::Model::into_domain).collect()
    }

    async fn retry(
        &self,
        platform_id: &PlatformId,
        id: &str,
        now: OffsetDateTime,
        audit: &AuditEntry,
    ) -> RepoResult<()> {
        let from = [JobState::Pending, JobState::Dead, JobState::Cancelled];
        let changes = jobs::Entity::update_many()
            .col_expr(C::State, Expr::val(JobState::Pending.as_str()))
            .col_expr(C::NextRunAt, Expr::val(db_time(now)))
            .col_expr(C::Failures, Expr::val(0))
            .col_expr(C::FinishedAt, Expr::val(None::<OffsetDateTime>));
        self.operator_change(platform_id, id, now, &from, changes, audit).await?;
        self.jobs_signal().notify_waiters();
        Ok(())
    }

    async fn cancel(
        &self,
        platform_id: &PlatformId,
        id: &str,
        now: OffsetDateTime,
        audit: &AuditEntry,
    ) -> RepoResult<()> {
        let changes = jobs::Entity::update_many()
            .col_expr(C::State, Expr::val(JobState::Cancelled.as_str()))
            .col_expr(C::FinishedAt, Expr::val(Some(db_time(now))));
        self.operator_change(platform_id, id, now, &[JobState::Pending, JobState::Dead], changes, audit).await
    }

    async fn stats(&self, now: OffsetDateTime) -> RepoResult<Vec<KindStats>> {
        let backend = self.backend();
        let conn = self.connection();
        let mut out = Vec::new();
        for kind in JobKind::ALL {
            let of = |state: JobState| {
                jobs::Entity::find().filter(C::Kind.eq(kind.as_str())).filter(C::State.eq(state.as_str()))
            };
            let is_due = time_key(backend, C::NextRunAt).lte(time_value(backend, now));
            let due = of(JobState::Pending).filter(is_due.clone());
            let oldest: Option<jobs::Model> =
                oldest_first(due.clone(), backend, C::NextRunAt).one(conn).await.map_err(db_err)?;
            out.push(KindStats {
                kind,
                due: due.count(conn).await.map_err(db_err)?,
                scheduled: of(JobState::Pending).filter(is_due.not()).count(conn).await.map_err(db_err)?,
                running: of(JobState::Running).count(conn).await.map_err(db_err)?,
                dead: of(JobState::Dead).count(conn).await.map_err(db_err)?,
                oldest_due_secs: oldest.map_or(0, |j| Ord::max((now - j.next_run_at).whole_seconds(), 0)),
            });
        }
        Ok(out)
    }
}

impl SqlStore {
    /// An operator's state change of one job, only from `from`, with its audit row.
    async fn operator_change(
        &self,
        platform_id: &PlatformId,
        id: &str,
        now: OffsetDateTime,
        from: &[JobState],
        changes: sea_orm::UpdateMany<jobs::Entity>,
        audit: &AuditEntry,
    ) -> RepoResult<()> {
        let txn = self.begin().await?;
        let updated = changes
            .col_expr(C::UpdatedAt, Expr::val(db_time(now)))
            .filter(C::Id.eq(id))
            .filter(C::PlatformId.eq(platform_id.as_str()))
            .filter(C::State.is_in(from.iter().map(|s| s.as_str())))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if updated.rows_affected == 0 {
            let exists = jobs::Entity::find_by_id(id)
                .filter(C::PlatformId.eq(platform_id.as_str()))
                .count(&txn)
                .await
                .map_err(db_err)?;
            return Err(if exists > 0 { RepoError::Conflict("job_state".into()) } else { RepoError::NotFound });
        }
        insert_audit(&txn, audit).await?;
        commit(txn).await
    }
}

/// Still running under `worker`'s lease.
fn held_by(job: &Job, worker: &str) -> Condition {
    Condition::all()
        .add(C::Id.eq(job.id.as_str()))
        .add(C::State.eq(JobState::Running.as_str()))
        .add(C::LeaseOwner.eq(worker))
}

/// Due pending jobs, and running ones whose lease has run out.
fn runnable(backend: DbBackend, now: OffsetDateTime) -> Condition {
    let due = Condition::all()
        .add(C::State.eq(JobState::Pending.as_str()))
        .add(time_key(backend, C::NextRunAt).lte(time_value(backend, now)));
    let abandoned = Condition::all()
        .add(C::State.eq(JobState::Running.as_str()))
        .add(time_key(backend, C::LeaseUntil).lte(time_value(backend, now)));
    Condition::any().add(due).add(abandoned)
}

/// Up to `limit` runnable jobs, most overdue first, locked for the claim (id, platform, state,
/// attempts, lease owner).
fn runnable_ids(backend: DbBackend, now: OffsetDateTime, limit: u64) -> Select<jobs::Entity> {
    oldest_first(jobs::Entity::find().filter(runnable(backend, now)), backend, C::NextRunAt)
        .select_only()
        .columns([C::Id, C::PlatformId, C::State, C::Attempts, C::LeaseOwner])
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
}

async fn insert_attempt(conn: &impl ConnectionTrait, attempt: &JobAttempt, platform: &PlatformId) -> RepoResult<()> {
    job_attempts::Entity::insert(job_attempts::from_domain(attempt, platform))
        .exec_without_returning(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_skip_rows_other_workers_hold_on_postgres() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let pg = runnable_ids(DbBackend::Postgres, now, 5).build(DbBackend::Postgres).to_string();
        assert!(pg.ends_with("FOR UPDATE SKIP LOCKED"), "{pg}");
        assert!(pg.contains(r#"ORDER BY "jobs"."next_run_at" ASC"#), "{pg}");
    }
}
