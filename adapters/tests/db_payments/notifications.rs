//! The notification outbox: each notification written with its delivery job, attempts recorded
//! with the delivery state, manual resends that bring the delivery job forward, and reads
//! scoped like the merchant. (Who may deliver when is the delivery job's lease: see db_jobs.)

use crate::fixture::{Fixture, audit_rows, page};
use crate::support::{Shop, job_about, notification, publish, shop};
use juhe_domain::effects::Effects;
use juhe_domain::jobs::{JobKind, JobOutcome, JobRepo, JobState, NewJob};
use juhe_domain::payments::notification::{DeliveryAttempt, DeliveryStatus, EventType, Notification};
use juhe_domain::payments::ports::NotificationRepo;
use juhe_domain::repo::RepoError;
use time::{Duration, OffsetDateTime};

fn attempt(n: &Notification, no: i32, at: OffsetDateTime, success: bool) -> DeliveryAttempt {
    DeliveryAttempt {
        notification_id: n.id.clone(),
        attempt_no: no,
        started_at: at,
        http_status: Some(if success { 200 } else { 502 }),
        latency_ms: 1500,
        response_excerpt: if success { "success".into() } else { "bad gateway".into() },
        success,
    }
}

/// `count` pending notifications of `shop`, due at `due`, stored in one order change.
async fn outbox(fx: &Fixture, shop: &Shop, count: usize, due: OffsetDateTime) -> Vec<Notification> {
    let notes: Vec<_> = (0..count).map(|_| notification(fx, shop, EventType::OrderPaid, "placeholder", due)).collect();
    publish(fx, shop, &notes).await;
    notes
}

fn ids(notes: &[Notification]) -> Vec<String> {
    notes.iter().map(|n| n.id.clone()).collect()
}

/// The resend effects the admin service builds: the audit row and the delivery job, due now.
fn resend_effects(fx: &Fixture, shop: &Shop, n: &Notification, now: OffsetDateTime) -> Effects {
    let mut effects = Effects::none();
    effects.audit(fx.audit(&shop.merchant.path, "notification.resend", "notification", &n.id)).job(NewJob::new(
        &fx.platform,
        JobKind::NotificationDelivery,
        &n.id,
        now,
    ));
    effects
}

/// Runs the delivery job of `n` once (claimed at `now`) and finishes it with `outcome`.
async fn run_delivery_job(fx: &Fixture, n: &Notification, now: OffsetDateTime, outcome: JobOutcome) {
    let claimed = JobRepo::claim(&fx.store, "worker-a", now, now + Duration::seconds(60), 10).await.unwrap();
    let job = claimed.into_iter().find(|j| j.key == n.id).expect("the delivery job is due");
    let finish = job.finish(&outcome, "worker-a", now, now);
    assert!(JobRepo::finish(&fx.store, &job, "worker-a", &finish).await.unwrap());
}

#[tokio::test]
async fn every_notification_gets_its_delivery_job() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let sh = shop(&fx, None, "Shop").await;
    let t0 = fx.now();
    let now = outbox(&fx, &sh, 2, t0).await;
    let later = outbox(&fx, &sh, 1, t0 + Duration::minutes(5)).await;
    for n in now.iter().chain(&later) {
        let job = job_about(&fx, JobKind::NotificationDelivery, &n.id).await.expect("delivery job");
        assert_eq!((job.state, job.next_run_at, job.attempts), (JobState::Pending, n.next_attempt_at, 0));
        let stored = s.get_unscoped(&n.id).await.unwrap().unwrap();
        assert_eq!(
            (stored.status, stored.attempts, stored.next_attempt_at),
            (DeliveryStatus::Pending, 0, n.next_attempt_at)
        );
    }
    assert!(s.get_unscoped("evt_missing").await.unwrap().is_none());
    // The jobs are due with their notifications, not before.
    let claimed = JobRepo::claim(s, "worker-a", t0, t0 + Duration::seconds(60), 10).await.unwrap();
    let mut keys: Vec<_> = claimed.into_iter().map(|j| j.key).collect();
    keys.sort();
    let mut want = ids(&now);
    want.sort();
    assert_eq!(keys, want);
    fx.finish().await;
}

#[tokio::test]
async fn attempts_are_recorded_once_with_the_delivery_state() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let sh = shop(&fx, None, "Shop").await;
    let t0 = fx.now();
    let n = outbox(&fx, &sh, 1, t0).await.remove(0);
    let root = fx.root();

    let retry_at = t0 + Duration::seconds(15);
    s.record_attempt(&attempt(&n, 1, t0, false), DeliveryStatus::Pending, Some(retry_at)).await.unwrap();
    let got = NotificationRepo::get(s, &root, &n.id).await.unwrap().unwrap();
    assert_eq!(
        (got.status, got.attempts, got.next_attempt_at, got.delivered_at),
        (DeliveryStatus::Pending, 1, retry_at, None)
    );

    let second = retry_at + Duration::seconds(1);
    s.record_attempt(&attempt(&n, 2, second, true), DeliveryStatus::Delivered, None).await.unwrap();
    let got = NotificationRepo::get(s, &root, &n.id).await.unwrap().unwrap();
    assert_eq!((got.status, got.attempts, got.next_attempt_at), (DeliveryStatus::Delivered, 2, retry_at));
    assert_eq!(got.delivered_at, Some(second + Duration::milliseconds(1500)));

    // An attempt is recorded once; a repeat changes nothing, the delivery state neither.
    assert!(s.record_attempt(&attempt(&n, 2, second, false), DeliveryStatus::Exhausted, None).await.is_err());
    let got = NotificationRepo::get(s, &root, &n.id).await.unwrap().unwrap();
    assert_eq!((got.status, got.attempts), (DeliveryStatus::Delivered, 2));
    let mut ghost = attempt(&n, 1, t0, true);
    ghost.notification_id = "evt_missing".into();
    assert!(matches!(s.record_attempt(&ghost, DeliveryStatus::Delivered, None).await, Err(RepoError::NotFound)));

    let attempts = NotificationRepo::attempts(s, &root, &n.id).await.unwrap();
    let seen: Vec<_> = attempts.iter().map(|a| (a.attempt_no, a.http_status, a.success, a.started_at)).collect();
    assert_eq!(seen, vec![(1, Some(502), false, t0), (2, Some(200), true, second)], "oldest first");
    assert_eq!((attempts[0].latency_ms, attempts[0].response_excerpt.as_str()), (1500, "bad gateway"));
    fx.finish().await;
}

#[tokio::test]
async fn resend_is_scoped_audited_and_makes_the_notification_and_its_job_due_now() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let a = fx.agent(None, "A").await;
    let mine = shop(&fx, Some(&a), "Mine").await;
    let sibling = shop(&fx, Some(&a), "Sibling").await;
    let t0 = fx.now();
    let n = outbox(&fx, &mine, 1, t0).await.remove(0);
    s.record_attempt(&attempt(&n, 16, t0, false), DeliveryStatus::Exhausted, None).await.unwrap();
    run_delivery_job(&fx, &n, t0, JobOutcome::Done).await;
    let later = t0 + Duration::hours(30);
    assert!(JobRepo::claim(s, "worker-a", later, later + Duration::seconds(60), 5).await.unwrap().is_empty());

    // Outside the scope: not found, and none of the effects is written.
    let elsewhere = fx.scope(&sibling.merchant.path);
    let effects = resend_effects(&fx, &mine, &n, later);
    assert!(matches!(s.resend(&elsewhere, &n.id, later, &effects).await, Err(RepoError::NotFound)));
    assert_eq!(audit_rows(&fx, &n.id).await, 0);
    let finished = job_about(&fx, JobKind::NotificationDelivery, &n.id).await.unwrap();
    assert_eq!(finished.state, JobState::Succeeded);
    let untouched = NotificationRepo::get(s, &fx.root(), &n.id).await.unwrap().unwrap();
    assert_eq!(untouched.status, DeliveryStatus::Exhausted);

    // In scope: pending and due now (attempts keep counting), audited, its finished job revived.
    let effects = resend_effects(&fx, &mine, &n, later);
    s.resend(&fx.scope(&mine.merchant.path), &n.id, later, &effects).await.unwrap();
    let got = NotificationRepo::get(s, &fx.root(), &n.id).await.unwrap().unwrap();
    assert_eq!((got.status, got.attempts, got.next_attempt_at), (DeliveryStatus::Pending, 16, later));
    assert_eq!(audit_rows(&fx, &n.id).await, 1);
    let job = job_about(&fx, JobKind::NotificationDelivery, &n.id).await.unwrap();
    // Revived in place: the same job, so its run history stays with it.
    assert_eq!((job.state, job.next_run_at, job.id.clone()), (JobState::Pending, later, finished.id.clone()));
    let claimed = JobRepo::claim(s, "worker-b", later, later + Duration::seconds(60), 5).await.unwrap();
    assert_eq!(claimed.iter().map(|j| j.key.clone()).collect::<Vec<_>>(), vec![n.id.clone()]);

    // A delivery job waiting for a later attempt is brought forward by a resend.
    let job = claimed.into_iter().next().unwrap();
    let next_try = later + Duration::hours(3);
    let finish = job.finish(&JobOutcome::Again(next_try), "worker-b", later, later);
    assert!(JobRepo::finish(s, &job, "worker-b", &finish).await.unwrap());
    let soon = later + Duration::minutes(1);
    s.resend(&fx.root(), &n.id, soon, &resend_effects(&fx, &mine, &n, soon)).await.unwrap();
    let job = job_about(&fx, JobKind::NotificationDelivery, &n.id).await.unwrap();
    assert_eq!((job.state, job.next_run_at), (JobState::Pending, soon));
    assert_eq!(JobRepo::claim(s, "worker-c", soon, soon + Duration::seconds(60), 5).await.unwrap().len(), 1);
    assert_eq!(audit_rows(&fx, &n.id).await, 2);
    fx.finish().await;
}

#[tokio::test]
async fn lists_are_newest_first_filtered_and_scoped() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let a = fx.agent(None, "A").await;
    let mine = shop(&fx, Some(&a), "Mine").await;
    let sibling = shop(&fx, Some(&a), "Sibling").await;
    let t0 = fx.now();
    let paid = notification(&fx, &mine, EventType::OrderPaid, "ORDER-1", t0);
    let refunded = notification(&fx, &mine, EventType::RefundSucceeded, "REFUND-1", t0);
    let closed = notification(&fx, &mine, EventType::OrderClosed, "ORDER-1", t0);
    publish(&fx, &mine, &[paid.clone(), refunded.clone(), closed.clone()]).await;
    let theirs = notification(&fx, &sibling, EventType::OrderPaid, "ORDER-1", t0);
    publish(&fx, &sibling, std::slice::from_ref(&theirs)).await;
    s.record_attempt(&attempt(&theirs, 1, t0, true), DeliveryStatus::Delivered, None).await.unwrap();

    let scope = fx.scope(&mine.merchant.path);
    let listed = NotificationRepo::list(s, &scope, None, page(1, 10)).await.unwrap();
    assert_eq!((listed.total, ids(&listed.items)), (3, vec![closed.id.clone(), refunded.id.clone(), paid.id.clone()]));
    let about_order = NotificationRepo::list(s, &scope, Some("ORDER-1"), page(1, 10)).await.unwrap();
    assert_eq!(ids(&about_order.items), vec![closed.id.clone(), paid.id.clone()]);
    let second_page = NotificationRepo::list(s, &scope, None, page(2, 2)).await.unwrap();
    assert_eq!((second_page.total, ids(&second_page.items)), (3, vec![paid.id.clone()]));
    let got = NotificationRepo::get(s, &scope, &paid.id).await.unwrap().unwrap();
    assert_eq!((got.event_type, got.payload, got.url), (EventType::OrderPaid, paid.payload.clone(), paid.url.clone()));

    // The sibling's notification and its attempts are invisible from here.
    assert!(NotificationRepo::get(s, &scope, &theirs.id).await.unwrap().is_none());
    assert!(NotificationRepo::attempts(s, &scope, &theirs.id).await.unwrap().is_empty());
    assert_eq!(NotificationRepo::attempts(s, &fx.scope(&a.path), &theirs.id).await.unwrap().len(), 1);
    assert_eq!(NotificationRepo::list(s, &fx.scope(&a.path), Some("ORDER-1"), page(1, 10)).await.unwrap().total, 3);
    fx.finish().await;
}
