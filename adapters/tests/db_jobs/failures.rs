//! Failing runs: the domain's backoff is kept by the table, and a job that always fails ends
//! dead with its last error, without holding up other jobs of its kind.

use crate::fixture::Fixture;
use crate::support::{claim, enqueue, finish, history, keys, reload};
use juhe_domain::jobs::model::AttemptResult;
use juhe_domain::jobs::{JobKind, JobOutcome, JobRepo, JobState};
use time::Duration;

#[tokio::test]
async fn a_job_that_always_fails_backs_off_and_ends_dead() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let kind = JobKind::NotificationDelivery;
    let policy = kind.policy();
    let t0 = fx.now();
    let broken = enqueue(&fx, kind, "broken", t0).await;
    let mut healthy = None;

    let mut now = t0;
    for failure in 1..=policy.max_failures {
        if failure == 4 {
            // Another job of the same kind, due while the broken one backs off, is run.
            let due = now - Duration::seconds(1);
            healthy = Some(enqueue(&fx, kind, "healthy", due).await);
            let claimed = claim(&fx, "worker-b", due, 10).await;
            assert_eq!(keys(&claimed), vec!["healthy".to_owned()]);
            assert!(finish(&fx, &claimed[0], "worker-b", JobOutcome::Done, due).await);
        }
        let claimed = claim(&fx, "worker-a", now, 10).await;
        assert_eq!(keys(&claimed), vec!["broken".to_owned()], "run {failure}");
        assert_eq!(claimed[0].attempts, failure);
        assert!(finish(&fx, &claimed[0], "worker-a", JobOutcome::Failed(format!("boom {failure}")), now).await);

        let got = reload(&fx, &broken).await;
        assert_eq!((got.failures, got.last_error.clone()), (failure, Some(format!("boom {failure}"))));
        assert_eq!((got.lease_owner.clone(), got.lease_until), (None, None));
        if failure < policy.max_failures {
            let wait = Duration::try_from(policy.delay(failure)).unwrap();
            assert_eq!((got.state, got.next_run_at, got.finished_at), (JobState::Pending, now + wait, None));
            assert!(claim(&fx, "worker-a", now + wait - Duration::milliseconds(1), 10).await.is_empty(), "backing off");
            now += wait;
        } else {
            assert_eq!((got.state, got.finished_at), (JobState::Dead, Some(now)));
        }
    }
    // Dead stays dead.
    assert!(claim(&fx, "worker-a", now + Duration::days(30), 10).await.is_empty());

    let attempts = JobRepo::attempts(s, &fx.platform, broken.id.as_str()).await.unwrap();
    let seen: Vec<_> = attempts.iter().map(|a| (a.attempt_no, a.result, a.error.clone())).collect();
    let want: Vec<_> =
        (1..=policy.max_failures).map(|n| (n, AttemptResult::Failed, Some(format!("boom {n}")))).collect();
    assert_eq!(seen, want);
    let healthy = reload(&fx, &healthy.unwrap()).await;
    assert_eq!((healthy.state, healthy.failures), (JobState::Succeeded, 0));
    assert_eq!(history(&fx, &healthy).await, vec![(1, "worker-b".to_owned(), AttemptResult::Succeeded)]);
    fx.finish().await;
}

#[tokio::test]
async fn a_success_or_a_reschedule_clears_the_failures() {
    let fx = Fixture::new().await;
    let t0 = fx.now();
    let kind = JobKind::OrderFollowup;
    let job = enqueue(&fx, kind, "flaky", t0).await;
    let claimed = claim(&fx, "worker-a", t0, 1).await.remove(0);
    assert!(finish(&fx, &claimed, "worker-a", JobOutcome::Failed("db down".into()), t0).await);
    let retry_at = reload(&fx, &job).await.next_run_at;
    let claimed = claim(&fx, "worker-a", retry_at, 1).await.remove(0);
    let next = retry_at + Duration::minutes(2);
    assert!(finish(&fx, &claimed, "worker-a", JobOutcome::Again(next), retry_at).await);
    let got = reload(&fx, &job).await;
    assert_eq!((got.state, got.failures, got.next_run_at), (JobState::Pending, 0, next));
    assert_eq!(got.last_error.as_deref(), Some("db down"), "the last error stays visible");
    let claimed = claim(&fx, "worker-a", next, 1).await.remove(0);
    assert!(finish(&fx, &claimed, "worker-a", JobOutcome::Done, next).await);
    let results: Vec<_> = history(&fx, &job).await.into_iter().map(|(_, _, r)| r).collect();
    assert_eq!(results, vec![AttemptResult::Failed, AttemptResult::Rescheduled, AttemptResult::Succeeded]);
    fx.finish().await;
}
