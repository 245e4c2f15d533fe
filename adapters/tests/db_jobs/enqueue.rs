//! Enqueue: one job per (kind, key), which then runs no later than the new due time: a pending
//! one is brought forward (never put back), a running one left to its run, a finished one
//! revived in place (same id, its history kept).

use crate::fixture::{Fixture, page};
use crate::support::{by_key, claim, enqueue, finish, history, keys, reload};
use juhe_domain::jobs::model::AttemptResult;
use juhe_domain::jobs::{JobFilter, JobKind, JobOutcome, JobRepo, JobState, NewJob};
use serde_json::json;
use time::Duration;

fn with_payload(fx: &Fixture, kind: JobKind, key: &str, run_at: time::OffsetDateTime, v: i64) -> NewJob {
    NewJob { payload: json!({"v": v}), ..NewJob::new(&fx.platform, kind, key, run_at) }
}

#[tokio::test]
async fn enqueuing_twice_keeps_one_job_and_only_brings_it_forward() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let t0 = fx.now();
    let kind = JobKind::OrderFollowup;
    JobRepo::enqueue(s, &[with_payload(&fx, kind, "O1", t0 + Duration::seconds(60), 1)]).await.unwrap();
    let first = by_key(&fx, kind, "O1").await;
    assert_eq!(
        (first.state, first.next_run_at, first.attempts, first.failures),
        (JobState::Pending, t0 + Duration::seconds(60), 0, 0)
    );
    assert_eq!(
        (first.payload.clone(), first.platform_id.clone(), first.lease_owner.clone()),
        (json!({"v": 1}), fx.platform.clone(), None)
    );

    // Pending: a later enqueue changes nothing; a sooner one brings the same job forward.
    JobRepo::enqueue(s, &[with_payload(&fx, kind, "O1", t0 + Duration::seconds(120), 2)]).await.unwrap();
    let later = by_key(&fx, kind, "O1").await;
    assert_eq!(
        (later.id.clone(), later.next_run_at, later.payload.clone()),
        (first.id.clone(), first.next_run_at, json!({"v": 1}))
    );
    JobRepo::enqueue(s, &[with_payload(&fx, kind, "O1", t0, 3)]).await.unwrap();
    let again = by_key(&fx, kind, "O1").await;
    assert_eq!(
        (again.id.clone(), again.next_run_at, again.payload.clone(), again.state),
        (first.id.clone(), t0, json!({"v": 3}), JobState::Pending)
    );
    // Twice in one call, too.
    let twice = [with_payload(&fx, kind, "O2", t0, 1), with_payload(&fx, kind, "O2", t0, 2)];
    JobRepo::enqueue(s, &twice).await.unwrap();
    assert_eq!(by_key(&fx, kind, "O2").await.payload, json!({"v": 1}));
    // The same key of another kind is another job.
    enqueue(&fx, JobKind::RefundFollowup, "O1", t0).await;
    let about = JobFilter { key: Some("O1".into()), ..Default::default() };
    assert_eq!(JobRepo::list(s, &fx.platform, &about, page(1, 10)).await.unwrap().total, 2);

    // Running: left alone (its worker keeps the lease, its run decides what comes next).
    let at = t0 + Duration::seconds(60);
    let claimed = claim(&fx, "worker-a", at, 10).await;
    assert!(keys(&claimed).contains(&"O1".to_owned()));
    let running = by_key(&fx, kind, "O1").await;
    JobRepo::enqueue(s, &[with_payload(&fx, kind, "O1", t0, 4)]).await.unwrap();
    let still = reload(&fx, &running).await;
    assert_eq!(
        (still.state, still.lease_owner.as_deref(), still.lease_until, still.next_run_at, still.payload),
        (JobState::Running, Some("worker-a"), running.lease_until, running.next_run_at, json!({"v": 3}))
    );
    assert!(finish(&fx, &running, "worker-a", JobOutcome::Done, at).await);
    fx.finish().await;
}

#[tokio::test]
async fn a_finished_job_is_revived_by_enqueue() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let t0 = fx.now();
    let kind = JobKind::NotificationDelivery;

    // Succeeded → pending again, in place, with the new payload and due time.
    enqueue(&fx, kind, "done", t0).await;
    let job = claim(&fx, "worker-a", t0, 1).await.remove(0);
    assert!(finish(&fx, &job, "worker-a", JobOutcome::Done, t0).await);
    let succeeded = reload(&fx, &job).await;
    assert_eq!((succeeded.state, succeeded.finished_at), (JobState::Succeeded, Some(t0)));
    let t1 = t0 + Duration::minutes(10);
    JobRepo::enqueue(s, &[with_payload(&fx, kind, "done", t1, 7)]).await.unwrap();
    let revived = reload(&fx, &job).await;
    assert_eq!(
        (revived.state, revived.next_run_at, revived.payload.clone(), revived.failures, revived.finished_at),
        (JobState::Pending, t1, json!({"v": 7}), 0, None)
    );
    assert_eq!((revived.attempts, history(&fx, &job).await.len()), (1, 1), "its history is kept");
    assert!(claim(&fx, "worker-a", t1 - Duration::seconds(1), 10).await.is_empty(), "due at its new time");
    let rerun = claim(&fx, "worker-a", t1, 10).await;
    assert_eq!((keys(&rerun), rerun[0].attempts), (vec!["done".to_owned()], 2));
    assert!(finish(&fx, &rerun[0], "worker-a", JobOutcome::Done, t1).await);
    let runs: Vec<_> = history(&fx, &job).await.into_iter().map(|(no, _, r)| (no, r)).collect();
    assert_eq!(runs, vec![(1, AttemptResult::Succeeded), (2, AttemptResult::Succeeded)]);

    // Dead → pending with its failures cleared.
    let dead = enqueue(&fx, kind, "dead", t1).await;
    let claimed = claim(&fx, "worker-a", t1, 10).await;
    assert_eq!(keys(&claimed), vec!["dead".to_owned()]);
    assert!(finish(&fx, &claimed[0], "worker-a", JobOutcome::Fatal("gone".into()), t1).await);
    assert_eq!((reload(&fx, &dead).await.state, reload(&fx, &dead).await.failures), (JobState::Dead, 1));
    enqueue(&fx, kind, "dead", t1).await;
    let revived = reload(&fx, &dead).await;
    assert_eq!((revived.state, revived.failures, revived.finished_at), (JobState::Pending, 0, None));

    // Cancelled → pending.
    let cancelled = enqueue(&fx, kind, "cancelled", t1 + Duration::hours(1)).await;
    let audit = fx.audit(&fx.root_path(), "job.cancel", "job", cancelled.id.as_str());
    JobRepo::cancel(s, &fx.platform, cancelled.id.as_str(), t1, &audit).await.unwrap();
    assert_eq!(reload(&fx, &cancelled).await.state, JobState::Cancelled);
    enqueue(&fx, kind, "cancelled", t1).await;
    assert_eq!(reload(&fx, &cancelled).await.state, JobState::Pending);
    assert_eq!(keys(&claim(&fx, "worker-b", t1, 10).await), vec!["dead".to_owned(), "cancelled".to_owned()]);
    fx.finish().await;
}
