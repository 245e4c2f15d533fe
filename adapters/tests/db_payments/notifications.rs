//! The notification outbox: leases that two workers never share, attempts recorded only by the
//! lease holder, manual resends, and reads scoped like the merchant.

use crate::fixture::{Fixture, audit_rows, page};
use crate::support::{Shop, notification, publish, shop};
use juhe_domain::payments::notification::{DeliveryAttempt, DeliveryStatus, EventType, Notification};
use juhe_domain::payments::ports::NotificationRepo;
use juhe_domain::repo::RepoError;
use std::collections::HashSet;
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

#[tokio::test]
async fn claims_lease_due_rows_to_one_worker_until_the_lease_ends() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let sh = shop(&fx, None, "Shop").await;
    let t0 = fx.now();
    let early = outbox(&fx, &sh, 1, t0 - Duration::seconds(30)).await;
    let due = outbox(&fx, &sh, 2, t0).await;
    let future = outbox(&fx, &sh, 1, t0 + Duration::minutes(5)).await;
    let lease = t0 + Duration::seconds(60);

    let a = s.claim_due(t0, lease, "worker-a", 2).await.unwrap();
    assert_eq!(ids(&a), vec![early[0].id.clone(), ids(&due).into_iter().min().unwrap()], "most overdue first");
    let b = s.claim_due(t0, lease, "worker-b", 10).await.unwrap();
    assert_eq!(ids(&b), vec![ids(&due).into_iter().max().unwrap()]);
    assert!(s.claim_due(t0 + Duration::seconds(59), lease, "worker-c", 10).await.unwrap().is_empty());

    // Once the lease has run out, the rows are due again; the future one only when its time comes.
    let later = t0 + Duration::seconds(60);
    let c = s.claim_due(later, later + Duration::hours(1), "worker-c", 10).await.unwrap();
    assert_eq!(c.len(), 3);
    let at_five = t0 + Duration::minutes(5);
    let d = s.claim_due(at_five, at_five + Duration::seconds(60), "worker-d", 10).await.unwrap();
    assert_eq!(ids(&d), ids(&future));
    fx.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_workers_never_share_a_notification() {
    let fx = Fixture::new().await;
    let sh = shop(&fx, None, "Shop").await;
    let t0 = fx.now();
    let notes = outbox(&fx, &sh, 30, t0).await;
    let tasks: Vec<_> = (0..6)
        .map(|w| {
            let store = fx.store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let got = store.claim_due(t0, t0 + Duration::minutes(1), &format!("worker-{w}"), 4).await.unwrap();
                    if got.is_empty() {
                        return mine;
                    }
                    mine.extend(got.into_iter().map(|n| n.id));
                }
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for task in tasks {
        claimed.extend(task.await.unwrap());
    }
    let distinct: HashSet<_> = claimed.iter().cloned().collect();
    assert_eq!(claimed.len(), distinct.len(), "a notification was claimed twice");
    assert_eq!(distinct, ids(&notes).into_iter().collect::<HashSet<_>>());
    fx.finish().await;
}

#[tokio::test]
async fn only_the_lease_holder_records_attempts() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let sh = shop(&fx, None, "Shop").await;
    let t0 = fx.now();
    let n = outbox(&fx, &sh, 1, t0).await.remove(0);
    let root = fx.root();
    let lease = t0 + Duration::seconds(60);
    assert_eq!(s.claim_due(t0, lease, "worker-a", 1).await.unwrap().len(), 1);

    let retry_at = t0 + Duration::seconds(15);
    assert!(
        !s.record_attempt(&attempt(&n, 1, t0, false), "worker-b", DeliveryStatus::Pending, Some(retry_at))
            .await
            .unwrap()
    );
    assert!(s.attempts(&root, &n.id).await.unwrap().is_empty(), "a lost claim writes nothing");
    let untouched = NotificationRepo::get(s, &root, &n.id).await.unwrap().unwrap();
    assert_eq!((untouched.attempts, untouched.next_attempt_at), (0, n.next_attempt_at));

    assert!(
        s.record_attempt(&attempt(&n, 1, t0, false), "worker-a", DeliveryStatus::Pending, Some(retry_at))
            .await
            .unwrap()
    );
    let got = NotificationRepo::get(s, &root, &n.id).await.unwrap().unwrap();
    assert_eq!(
        (got.status, got.attempts, got.next_attempt_at, got.delivered_at),
        (DeliveryStatus::Pending, 1, retry_at, None)
    );
    // The lease is released with the record: a second record is refused, and the row is
    // claimable at its next time even though the old lease has not run out.
    assert!(!s.record_attempt(&attempt(&n, 2, t0, true), "worker-a", DeliveryStatus::Delivered, None).await.unwrap());
    assert_eq!(
        ids(&s.claim_due(retry_at, retry_at + Duration::seconds(60), "worker-b", 5).await.unwrap()),
        vec![n.id.clone()]
    );

    let second = retry_at + Duration::seconds(1);
    assert!(
        s.record_attempt(&attempt(&n, 2, second, true), "worker-b", DeliveryStatus::Delivered, None).await.unwrap()
    );
    let got = NotificationRepo::get(s, &root, &n.id).await.unwrap().unwrap();
    assert_eq!((got.status, got.attempts, got.next_attempt_at), (DeliveryStatus::Delivered, 2, retry_at));
    assert_eq!(got.delivered_at, Some(second + Duration::milliseconds(1500)));
    assert!(
        s.claim_due(second + Duration::hours(1), second + Duration::hours(2), "worker-a", 5).await.unwrap().is_empty()
    );

    let attempts = s.attempts(&root, &n.id).await.unwrap();
    let seen: Vec<_> = attempts.iter().map(|a| (a.attempt_no, a.http_status, a.success, a.started_at)).collect();
    assert_eq!(seen, vec![(1, Some(502), false, t0), (2, Some(200), true, second)], "oldest first");
    assert_eq!((attempts[0].latency_ms, attempts[0].response_excerpt.as_str()), (1500, "bad gateway"));
    fx.finish().await;
}

#[tokio::test]
async fn resend_is_scoped_audited_and_makes_the_notification_due_now() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let a = fx.agent(None, "A").await;
    let mine = shop(&fx, Some(&a), "Mine").await;
    let sibling = shop(&fx, Some(&a), "Sibling").await;
    let t0 = fx.now();
    let n = outbox(&fx, &mine, 1, t0).await.remove(0);
    s.claim_due(t0, t0 + Duration::seconds(60), "worker-a", 1).await.unwrap();
    assert!(s.record_attempt(&attempt(&n, 16, t0, false), "worker-a", DeliveryStatus::Exhausted, None).await.unwrap());
    let later = t0 + Duration::hours(30);
    assert!(s.claim_due(later, later + Duration::seconds(60), "worker-a", 5).await.unwrap().is_empty(), "exhausted");

    let elsewhere = fx.scope(&sibling.merchant.path);
    let audit = fx.audit(&mine.merchant.path, "notification.resend", "notification", &n.id);
    assert!(matches!(s.resend(&elsewhere, &n.id, later, &audit).await, Err(RepoError::NotFound)));
    assert_eq!(audit_rows(&fx, &n.id).await, 0);

    let audit = fx.audit(&mine.merchant.path, "notification.resend", "notification", &n.id);
    s.resend(&fx.scope(&mine.merchant.path), &n.id, later, &audit).await.unwrap();
    let got = NotificationRepo::get(s, &fx.root(), &n.id).await.unwrap().unwrap();
    assert_eq!((got.status, got.attempts, got.next_attempt_at), (DeliveryStatus::Pending, 16, later));
    assert_eq!(audit_rows(&fx, &n.id).await, 1);
    let claimed = s.claim_due(later, later + Duration::seconds(60), "worker-b", 5).await.unwrap();
    assert_eq!(ids(&claimed), vec![n.id.clone()]);

    // A resend clears a live lease: the worker holding it can no longer record.
    let audit = fx.audit(&mine.merchant.path, "notification.resend", "notification", &n.id);
    s.resend(&fx.root(), &n.id, later, &audit).await.unwrap();
    assert!(
        !s.record_attempt(&attempt(&n, 17, later, true), "worker-b", DeliveryStatus::Delivered, None).await.unwrap()
    );
    assert_eq!(s.claim_due(later, later + Duration::seconds(60), "worker-c", 5).await.unwrap().len(), 1);
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
    s.claim_due(t0, t0 + Duration::seconds(60), "worker-a", 10).await.unwrap();
    assert!(
        s.record_attempt(&attempt(&theirs, 1, t0, true), "worker-a", DeliveryStatus::Delivered, None).await.unwrap()
    );

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
    assert!(s.attempts(&scope, &theirs.id).await.unwrap().is_empty());
    assert_eq!(s.attempts(&fx.scope(&a.path), &theirs.id).await.unwrap().len(), 1);
    assert_eq!(NotificationRepo::list(s, &fx.scope(&a.path), Some("ORDER-1"), page(1, 10)).await.unwrap().total, 3);
    fx.finish().await;
}
