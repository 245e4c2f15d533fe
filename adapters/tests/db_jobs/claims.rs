//! Claims: due jobs in due order, leased to one worker until the lease runs out; abandoned runs
//! taken over (and recorded); heartbeats; results written only by the lease holder.

use crate::fixture::Fixture;
use crate::support::{LEASE, claim, enqueue, finish, history, keys, reload};
use juhe_domain::jobs::model::AttemptResult;
use juhe_domain::jobs::{JobKind, JobOutcome, JobRepo, JobState};
use time::Duration;

#[tokio::test]
async fn claims_take_due_jobs_most_overdue_first() {
    let fx = Fixture::new().await;
    let t0 = fx.now();
    let kind = JobKind::OrderFollowup;
    // Created in this order; due in another.
    enqueue(&fx, kind, "late", t0 - Duration::seconds(10)).await;
    enqueue(&fx, kind, "later", t0).await;
    enqueue(&fx, kind, "future", t0 + Duration::milliseconds(250)).await;
    enqueue(&fx, kind, "early", t0 - Duration::seconds(60)).await;
    enqueue(&fx, JobKind::NotificationDelivery, "earliest", t0 - Duration::minutes(5)).await;

    let first = claim(&fx, "worker-a", t0, 2).await;
    assert_eq!(keys(&first), vec!["earliest".to_owned(), "early".to_owned()], "by next_run_at, not by creation");
    let job = &first[1];
    assert_eq!(
        (job.state, job.lease_owner.as_deref(), job.lease_until, job.attempts),
        (JobState::Running, Some("worker-a"), Some(t0 + LEASE), 1)
    );
    // Due at exactly `now` counts; a quarter second later does not.
    assert_eq!(keys(&claim(&fx, "worker-b", t0, 10).await), vec!["late".to_owned(), "later".to_owned()]);
    assert!(claim(&fx, "worker-c", t0, 10).await.is_empty());
    let soon = t0 + Duration::milliseconds(250);
    assert_eq!(keys(&claim(&fx, "worker-c", soon, 10).await), vec!["future".to_owned()]);
    fx.finish().await;
}

#[tokio::test]
async fn a_lease_holds_until_it_runs_out_then_the_job_is_taken_over() {
    let fx = Fixture::new().await;
    let t0 = fx.now();
    let kind = JobKind::RefundFollowup;
    let early = enqueue(&fx, kind, "early", t0 - Duration::seconds(30)).await;
    let due = enqueue(&fx, kind, "due", t0).await;
    enqueue(&fx, kind, "future", t0 + Duration::minutes(5)).await;

    assert_eq!(keys(&claim(&fx, "worker-a", t0, 1).await), vec!["early".to_owned()]);
    assert_eq!(keys(&claim(&fx, "worker-b", t0, 10).await), vec!["due".to_owned()]);
    // Neither is claimed again while its lease holds (whoever asks).
    for (worker, at) in [
        ("worker-a", t0),
        ("worker-c", t0 + Duration::seconds(30)),
        ("worker-c", t0 + LEASE - Duration::milliseconds(1)),
    ] {
        assert!(claim(&fx, worker, at, 10).await.is_empty(), "{worker} at {at}");
    }

    // The lease ran out (their workers died): both are taken over, and the history says so.
    let later = t0 + LEASE;
    let taken = JobRepo::claim(&fx.store, "worker-c", later, later + Duration::hours(1), 10).await.unwrap();
    assert_eq!(keys(&taken), vec!["early".to_owned(), "due".to_owned()]);
    for job in &taken {
        assert_eq!((job.state, job.lease_owner.as_deref(), job.attempts), (JobState::Running, Some("worker-c"), 2));
    }
    assert_eq!(history(&fx, &early).await, vec![(1, "worker-a".to_owned(), AttemptResult::LeaseExpired)]);
    assert_eq!(history(&fx, &due).await, vec![(1, "worker-b".to_owned(), AttemptResult::LeaseExpired)]);
    let attempts = JobRepo::attempts(&fx.store, &fx.platform, early.id.as_str()).await.unwrap();
    assert!(attempts[0].error.is_some());

    // The new holder's lease holds in turn; the future job comes when its time does.
    let at_five = t0 + Duration::minutes(5);
    assert_eq!(keys(&claim(&fx, "worker-d", at_five, 10).await), vec!["future".to_owned()]);
    assert!(finish(&fx, &taken[0], "worker-c", JobOutcome::Done, at_five).await);
    let runs = history(&fx, &early).await;
    assert_eq!(
        runs,
        vec![
            (1, "worker-a".to_owned(), AttemptResult::LeaseExpired),
            (2, "worker-c".to_owned(), AttemptResult::Succeeded)
        ]
    );
    assert_eq!(reload(&fx, &early).await.attempts, 2);
    fx.finish().await;
}

#[tokio::test]
async fn a_heartbeat_extends_the_lease_of_its_holder_only() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let t0 = fx.now();
    enqueue(&fx, JobKind::ExceptionResolution, "slow", t0).await;
    let job = claim(&fx, "worker-a", t0, 1).await.remove(0);
    let extended = t0 + LEASE * 2;

    assert!(!JobRepo::heartbeat(s, &job, "worker-b", t0 + Duration::hours(5)).await.unwrap(), "not the holder");
    assert!(JobRepo::heartbeat(s, &job, "worker-a", extended).await.unwrap());
    assert_eq!(reload(&fx, &job).await.lease_until, Some(extended));
    // After the old lease time, before the new one: nothing to take.
    assert!(claim(&fx, "worker-b", t0 + LEASE + Duration::seconds(1), 10).await.is_empty());
    assert!(claim(&fx, "worker-b", extended - Duration::milliseconds(1), 10).await.is_empty());
    // The other worker's heartbeat did not extend anything: at the new lease time it is taken over.
    let taken = claim(&fx, "worker-b", extended, 10).await;
    assert_eq!(taken.len(), 1);
    assert!(!JobRepo::heartbeat(s, &job, "worker-a", extended + Duration::hours(1)).await.unwrap(), "lost");
    assert_eq!(reload(&fx, &job).await.lease_until, Some(extended + LEASE));
    fx.finish().await;
}

#[tokio::test]
async fn a_worker_that_lost_its_lease_writes_nothing() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let t0 = fx.now();
    let job = enqueue(&fx, JobKind::OrderFollowup, "O1", t0).await;
    let mine = claim(&fx, "worker-a", t0, 1).await.remove(0);
    let later = t0 + LEASE;
    let theirs = claim(&fx, "worker-b", later, 1).await.remove(0);

    // worker-a wakes up after the takeover: its result is refused, whatever it was.
    for outcome in [JobOutcome::Done, JobOutcome::Failed("timeout".into()), JobOutcome::Fatal("gone".into())] {
        assert!(!finish(&fx, &mine, "worker-a", outcome, later).await);
    }
    let got = reload(&fx, &job).await;
    assert_eq!(
        (got.state, got.lease_owner.as_deref(), got.failures, got.last_error.clone(), got.finished_at),
        (JobState::Running, Some("worker-b"), 0, None, None)
    );
    assert_eq!(history(&fx, &job).await, vec![(1, "worker-a".to_owned(), AttemptResult::LeaseExpired)]);
    // Nor can another worker finish what it never claimed.
    assert!(!finish(&fx, &theirs, "worker-c", JobOutcome::Done, later).await);

    // The holder's result is written, and releases the lease.
    let retry_at = later + Duration::minutes(1);
    assert!(finish(&fx, &theirs, "worker-b", JobOutcome::Again(retry_at), later).await);
    let got = reload(&fx, &job).await;
    assert_eq!(
        (got.state, got.next_run_at, got.lease_owner, got.lease_until),
        (JobState::Pending, retry_at, None, None)
    );
    assert!(!finish(&fx, &theirs, "worker-b", JobOutcome::Done, later).await, "finished once");
    assert!(!JobRepo::heartbeat(s, &theirs, "worker-b", retry_at).await.unwrap());
    assert_eq!(history(&fx, &job).await.last().unwrap(), &(2, "worker-b".to_owned(), AttemptResult::Rescheduled));
    fx.finish().await;
}
