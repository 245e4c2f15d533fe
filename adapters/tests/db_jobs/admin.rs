//! The operators' side: retry and cancel (only from the states that allow them, audited),
//! reads limited to the platform, and queue statistics per kind.

use crate::fixture::{Fixture, audit_rows, conflict, page};
use crate::support::{claim, enqueue, finish, keys, reload};
use juhe_domain::ids::PlatformId;
use juhe_domain::jobs::{Job, JobFilter, JobKind, JobOutcome, JobRepo, JobState, KindStats, NewJob};
use juhe_domain::repo::RepoError;
use time::{Duration, OffsetDateTime};

async fn retry(fx: &Fixture, job: &Job, now: OffsetDateTime) -> Result<(), RepoError> {
    let audit = fx.audit(&fx.root_path(), "job.retry", "job", job.id.as_str());
    JobRepo::retry(&fx.store, &fx.platform, job.id.as_str(), now, &audit).await
}

async fn cancel(fx: &Fixture, job: &Job, now: OffsetDateTime) -> Result<(), RepoError> {
    let audit = fx.audit(&fx.root_path(), "job.cancel", "job", job.id.as_str());
    JobRepo::cancel(&fx.store, &fx.platform, job.id.as_str(), now, &audit).await
}

/// `job` claimed at `now` and parked dead by a fatal run.
async fn kill(fx: &Fixture, job: &Job, now: OffsetDateTime) {
    let claimed = claim(fx, "worker-a", now, 10).await;
    let run = claimed.iter().find(|j| j.id == job.id).expect("the job is due");
    assert!(finish(fx, run, "worker-a", JobOutcome::Fatal("payload unreadable".into()), now).await);
}

#[tokio::test]
async fn retry_makes_a_dead_job_due_now_with_its_failures_cleared() {
    let fx = Fixture::new().await;
    let t0 = fx.now();
    let job = enqueue(&fx, JobKind::ExceptionResolution, "E1", t0).await;
    kill(&fx, &job, t0).await;
    assert_eq!(reload(&fx, &job).await.state, JobState::Dead);

    let now = t0 + Duration::hours(2);
    retry(&fx, &job, now).await.unwrap();
    let got = reload(&fx, &job).await;
    assert_eq!((got.state, got.next_run_at, got.failures, got.finished_at), (JobState::Pending, now, 0, None));
    assert_eq!(audit_rows(&fx, job.id.as_str()).await, 1);
    let run = claim(&fx, "worker-b", now, 10).await;
    assert_eq!((keys(&run), run[0].attempts), (vec!["E1".to_owned()], 2));

    // Running or succeeded: refused, and not audited.
    assert_eq!(conflict(retry(&fx, &job, now).await.unwrap_err()), "job_state");
    assert!(finish(&fx, &run[0], "worker-b", JobOutcome::Done, now).await);
    assert_eq!(conflict(retry(&fx, &job, now).await.unwrap_err()), "job_state");
    assert_eq!(reload(&fx, &job).await.state, JobState::Succeeded);
    assert_eq!(audit_rows(&fx, job.id.as_str()).await, 1);

    // A pending job waiting for later can be run now.
    let waiting = enqueue(&fx, JobKind::ExceptionResolution, "E2", now + Duration::days(1)).await;
    retry(&fx, &waiting, now).await.unwrap();
    assert_eq!(keys(&claim(&fx, "worker-b", now, 10).await), vec!["E2".to_owned()]);

    // Unknown, or another platform's: not found.
    let audit = fx.audit(&fx.root_path(), "job.retry", "job", "job_missing");
    assert!(matches!(
        JobRepo::retry(&fx.store, &fx.platform, "job_missing", now, &audit).await,
        Err(RepoError::NotFound)
    ));
    let elsewhere = PlatformId::generate();
    assert!(matches!(
        JobRepo::retry(&fx.store, &elsewhere, job.id.as_str(), now, &audit).await,
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        JobRepo::cancel(&fx.store, &elsewhere, job.id.as_str(), now, &audit).await,
        Err(RepoError::NotFound)
    ));
    fx.finish().await;
}

#[tokio::test]
async fn cancel_stops_pending_and_dead_jobs_but_not_a_running_one() {
    let fx = Fixture::new().await;
    let t0 = fx.now();
    let kind = JobKind::RefundFollowup;
    let running = enqueue(&fx, kind, "running", t0).await;
    let claimed = claim(&fx, "worker-a", t0, 10).await;
    let pending = enqueue(&fx, kind, "pending", t0 + Duration::hours(1)).await;
    let dead = enqueue(&fx, kind, "dead", t0 - Duration::seconds(1)).await;
    kill(&fx, &dead, t0).await;

    assert_eq!(conflict(cancel(&fx, &running, t0).await.unwrap_err()), "job_state");
    assert_eq!(audit_rows(&fx, running.id.as_str()).await, 0);
    let got = reload(&fx, &running).await;
    assert_eq!((got.state, got.lease_owner.as_deref()), (JobState::Running, Some("worker-a")));
    assert!(finish(&fx, &claimed[0], "worker-a", JobOutcome::Done, t0).await, "its worker is undisturbed");

    let later = t0 + Duration::minutes(1);
    cancel(&fx, &pending, later).await.unwrap();
    cancel(&fx, &dead, later).await.unwrap();
    for job in [&pending, &dead] {
        let got = reload(&fx, job).await;
        assert_eq!((got.state, got.finished_at), (JobState::Cancelled, Some(later)));
        assert_eq!(audit_rows(&fx, job.id.as_str()).await, 1);
    }
    assert!(claim(&fx, "worker-a", later + Duration::days(1), 10).await.is_empty());
    assert_eq!(conflict(cancel(&fx, &pending, later).await.unwrap_err()), "job_state");
    assert_eq!(conflict(cancel(&fx, &running, later).await.unwrap_err()), "job_state", "succeeded");
    // A cancelled job can be retried.
    retry(&fx, &pending, later).await.unwrap();
    assert_eq!(keys(&claim(&fx, "worker-a", later, 10).await), vec!["pending".to_owned()]);
    fx.finish().await;
}

#[tokio::test]
async fn reads_are_the_platforms_and_sorted_by_due_time() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let t0 = fx.now();
    let b = enqueue(&fx, JobKind::OrderFollowup, "B", t0 + Duration::seconds(20)).await;
    let a = enqueue(&fx, JobKind::OrderFollowup, "A", t0 + Duration::seconds(10)).await;
    let c = enqueue(&fx, JobKind::RefundFollowup, "C", t0).await;
    let elsewhere = PlatformId::generate();
    JobRepo::enqueue(s, &[NewJob::new(&elsewhere, JobKind::OrderFollowup, "X", t0 + Duration::seconds(5))])
        .await
        .unwrap();

    let all = JobRepo::list(s, &fx.platform, &JobFilter::default(), page(1, 10)).await.unwrap();
    assert_eq!((all.total, keys(&all.items)), (3, vec!["C".to_owned(), "A".to_owned(), "B".to_owned()]));
    let orders = JobFilter { kind: Some(JobKind::OrderFollowup), ..Default::default() };
    assert_eq!(keys(&JobRepo::list(s, &fx.platform, &orders, page(2, 1)).await.unwrap().items), vec!["B".to_owned()]);
    claim(&fx, "worker-a", t0, 1).await;
    let running = JobFilter { state: Some(JobState::Running), ..Default::default() };
    let listed = JobRepo::list(s, &fx.platform, &running, page(1, 10)).await.unwrap();
    assert_eq!(keys(&listed.items), vec!["C".to_owned()]);
    let theirs = JobRepo::list(s, &elsewhere, &JobFilter::default(), page(1, 10)).await.unwrap();
    assert_eq!(keys(&theirs.items), vec!["X".to_owned()]);

    assert!(JobRepo::get(s, &elsewhere, a.id.as_str()).await.unwrap().is_none());
    assert!(JobRepo::get(s, &fx.platform, "job_missing").await.unwrap().is_none());
    assert_eq!(reload(&fx, &b).await.key, "B");
    assert!(JobRepo::attempts(s, &elsewhere, c.id.as_str()).await.unwrap().is_empty());
    fx.finish().await;
}

#[tokio::test]
async fn stats_count_each_kinds_queue() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let t0 = fx.now();
    let kind = JobKind::OrderFollowup;
    let dead = enqueue(&fx, kind, "dead", t0 - Duration::seconds(100)).await;
    kill(&fx, &dead, t0).await;
    let done = enqueue(&fx, kind, "done", t0 - Duration::seconds(90)).await;
    let run = claim(&fx, "worker-a", t0, 10).await;
    assert!(finish(&fx, &run[0], "worker-a", JobOutcome::Done, t0).await);
    assert_eq!(reload(&fx, &done).await.state, JobState::Succeeded);
    let cancelled = enqueue(&fx, kind, "cancelled", t0).await;
    let audit = fx.audit(&fx.root_path(), "job.cancel", "job", cancelled.id.as_str());
    JobRepo::cancel(s, &fx.platform, cancelled.id.as_str(), t0, &audit).await.unwrap();
    enqueue(&fx, kind, "running", t0 - Duration::seconds(50)).await;
    assert_eq!(keys(&claim(&fx, "worker-a", t0, 10).await), vec!["running".to_owned()]);

    enqueue(&fx, kind, "overdue", t0 - Duration::seconds(30)).await;
    enqueue(&fx, kind, "due-now", t0).await;
    enqueue(&fx, kind, "later", t0 + Duration::seconds(60)).await;
    enqueue(&fx, JobKind::NotificationDelivery, "n1", t0 - Duration::seconds(5)).await;
    enqueue(&fx, JobKind::RefundFollowup, "r1", t0 + Duration::hours(1)).await;
    // Another platform's job counts too (the statistics are the operators' view of the queue).
    JobRepo::enqueue(s, &[NewJob::new(&PlatformId::generate(), JobKind::RefundFollowup, "r2", t0)]).await.unwrap();

    let stats = JobRepo::stats(s, t0).await.unwrap();
    let of = |kind: JobKind| stats.iter().find(|k| k.kind == kind).cloned().unwrap();
    assert_eq!(stats.len(), JobKind::ALL.len());
    let zero = |kind| KindStats { kind, due: 0, scheduled: 0, running: 0, dead: 0, oldest_due_secs: 0 };
    assert_eq!(of(kind), KindStats { due: 2, scheduled: 1, running: 1, dead: 1, oldest_due_secs: 30, ..zero(kind) });
    let n = JobKind::NotificationDelivery;
    assert_eq!(of(n), KindStats { due: 1, oldest_due_secs: 5, ..zero(n) });
    let r = JobKind::RefundFollowup;
    assert_eq!(of(r), KindStats { due: 1, scheduled: 1, ..zero(r) });
    assert_eq!(of(JobKind::ExceptionResolution), zero(JobKind::ExceptionResolution));
    // A minute on, the scheduled one is due and the backlog is older.
    let later = JobRepo::stats(s, t0 + Duration::seconds(60)).await.unwrap();
    let o = later.iter().find(|k| k.kind == kind).unwrap();
    assert_eq!((o.due, o.scheduled, o.oldest_due_secs), (3, 0, 90));
    fx.finish().await;
}
