//! The job store and the handlers the workers call.

use super::model::{Job, JobAttempt, JobFinish, JobKind, JobOutcome, JobState, NewJob};
use crate::audit::AuditEntry;
use crate::ids::PlatformId;
use crate::page::{Page, PageRequest};
use crate::repo::RepoResult;
use serde::Serialize;
use time::OffsetDateTime;

#[derive(Clone, Debug, Default)]
pub struct JobFilter {
    pub kind: Option<JobKind>,
    pub state: Option<JobState>,
    /// Jobs about one record (an order or refund number, a notification id).
    pub key: Option<String>,
}

/// Queue health of one kind (metrics and the admin overview).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KindStats {
    pub kind: JobKind,
    /// Pending jobs already due.
    pub due: u64,
    /// Pending jobs due later.
    pub scheduled: u64,
    pub running: u64,
    pub dead: u64,
    /// How long the most overdue pending job has waited, in seconds (0 when none is due).
    pub oldest_due_secs: i64,
}

#[async_trait::async_trait]
pub trait JobRepo: Send + Sync {
    /// Creates the jobs on their own (most jobs are written as effects of a state change,
    /// in its transaction). Same rules as there: (kind, key) is one job, which then runs no
    /// later than the new due time — a finished one is revived, a pending one brought forward,
    /// a running one left to its run.
    async fn enqueue(&self, jobs: &[NewJob]) -> RepoResult<()>;
    /// Leases up to `limit` runnable jobs to `worker` until `lease_until`: pending ones due at
    /// `now`, and running ones whose lease ran out (their worker died). Most overdue first.
    /// Each claimed job's `attempts` is raised; a taken-over job gets a `lease_expired` attempt.
    /// Two workers (in any processes) never get the same job while its lease holds.
    async fn claim(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u64,
    ) -> RepoResult<Vec<Job>>;
    /// Extends the lease of a running job (heartbeat); false when `worker` lost it.
    async fn heartbeat(&self, job: &Job, worker: &str, lease_until: OffsetDateTime) -> RepoResult<bool>;
    /// Writes a run's result and attempt, only while `worker` holds the lease (false: the
    /// lease was lost and nothing was written).
    async fn finish(&self, job: &Job, worker: &str, finish: &JobFinish) -> RepoResult<bool>;
    async fn get(&self, platform_id: &PlatformId, id: &str) -> RepoResult<Option<Job>>;
    /// Most urgent first (by `next_run_at`).
    async fn list(&self, platform_id: &PlatformId, filter: &JobFilter, page: PageRequest) -> RepoResult<Page<Job>>;
    /// Oldest first.
    async fn attempts(&self, platform_id: &PlatformId, id: &str) -> RepoResult<Vec<JobAttempt>>;
    /// An operator's retry: a pending, dead or cancelled job becomes due now with its failure
    /// count cleared (`Conflict("job_state")` for a running or succeeded one), audited.
    async fn retry(
        &self,
        platform_id: &PlatformId,
        id: &str,
        now: OffsetDateTime,
        audit: &AuditEntry,
    ) -> RepoResult<()>;
    /// An operator's cancel of a pending or dead job (`Conflict("job_state")` otherwise), audited.
    async fn cancel(
        &self,
        platform_id: &PlatformId,
        id: &str,
        now: OffsetDateTime,
        audit: &AuditEntry,
    ) -> RepoResult<()>;
    /// Every kind's queue, across platforms (operators' metrics).
    async fn stats(&self, now: OffsetDateTime) -> RepoResult<Vec<KindStats>>;
}

/// Runs one kind of job. Handlers must be idempotent: a run whose worker died is run again.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync {
    async fn run(&self, job: &Job) -> JobOutcome;
}
