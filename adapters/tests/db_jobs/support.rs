//! Small helpers over `JobRepo` for the job contract tests.

use crate::fixture::{Fixture, page};
use juhe_domain::jobs::model::AttemptResult;
use juhe_domain::jobs::{Job, JobFilter, JobKind, JobOutcome, JobRepo, NewJob};
use time::{Duration, OffsetDateTime};

/// The lease every claim in these tests asks for.
pub const LEASE: Duration = Duration::seconds(60);

/// Enqueues one job of `kind` about `key`, due at `run_at`.
pub async fn enqueue(fx: &Fixture, kind: JobKind, key: &str, run_at: OffsetDateTime) -> Job {
    JobRepo::enqueue(&fx.store, &[NewJob::new(&fx.platform, kind, key, run_at)]).await.unwrap();
    by_key(fx, kind, key).await
}

/// The platform's job of `kind` about `key` (there is at most one).
pub async fn by_key(fx: &Fixture, kind: JobKind, key: &str) -> Job {
    let filter = JobFilter { kind: Some(kind), key: Some(key.to_owned()), ..Default::default() };
    let mut found = JobRepo::list(&fx.store, &fx.platform, &filter, page(1, 10)).await.unwrap();
    assert_eq!(found.total, 1, "one job of {kind:?} about {key}");
    found.items.remove(0)
}

/// Reloads `job`.
pub async fn reload(fx: &Fixture, job: &Job) -> Job {
    JobRepo::get(&fx.store, &fx.platform, job.id.as_str()).await.unwrap().expect("the job exists")
}

/// Claims at `now` for `worker`, with the test lease.
pub async fn claim(fx: &Fixture, worker: &str, now: OffsetDateTime, limit: u64) -> Vec<Job> {
    JobRepo::claim(&fx.store, worker, now, now + LEASE, limit).await.unwrap()
}

pub fn keys(jobs: &[Job]) -> Vec<String> {
    jobs.iter().map(|j| j.key.clone()).collect()
}

/// Finishes a claimed `job` as the worker does: the domain decides, the repository writes
/// (only while `worker` holds the lease).
pub async fn finish(fx: &Fixture, job: &Job, worker: &str, outcome: JobOutcome, now: OffsetDateTime) -> bool {
    let done = job.finish(&outcome, worker, now, now);
    JobRepo::finish(&fx.store, job, worker, &done).await.unwrap()
}

/// The job's run history as (attempt number, worker, result).
pub async fn history(fx: &Fixture, job: &Job) -> Vec<(i32, String, AttemptResult)> {
    let attempts = JobRepo::attempts(&fx.store, &fx.platform, job.id.as_str()).await.unwrap();
    attempts.into_iter().map(|a| (a.attempt_no, a.worker, a.result)).collect()
}
