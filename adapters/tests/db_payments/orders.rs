//! Orders: round trips, idempotency keys, tenant isolation, lists, and optimistic saves that
//! write their effects (notifications with their delivery jobs, jobs, audit rows, payment
//! exceptions) in the same transaction or not at all.

use crate::fixture::{Fixture, audit_rows, conflict, page};
use crate::support::{job_about, jobs_about, new_order, notification, notifying, order, shop};
use juhe_domain::channels::ChannelCode;
use juhe_domain::effects::Effects;
use juhe_domain::jobs::{JobKind, JobState, NewJob};
use juhe_domain::money::Money;
use juhe_domain::payments::exception::{ExceptionKind, PaymentException, Resolution};
use juhe_domain::payments::notification::EventType;
use juhe_domain::payments::order::OrderStatus;
use juhe_domain::payments::ports::{ExceptionFilter, ExceptionRepo, NotificationRepo, OrderFilter, OrderRepo};
use juhe_domain::repo::RepoError;
use serde_json::json;
use time::Duration;

fn none() -> Effects {
    Effects::none()
}

#[tokio::test]
async fn orders_round_trip_and_are_unique_per_merchant() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let shop_a = shop(&fx, None, "Shop A").await;
    let shop_b = shop(&fx, None, "Shop B").await;
    let mut o = new_order(&fx, &shop_a, 12_345, OrderStatus::Paid);
    o.store_id = Some(fx.store_at(&shop_a.merchant, "Counter").await.id);
    o.created_at += Duration::nanoseconds(123_456_789); // stored at microsecond precision
    OrderRepo::insert(s, &o, &none()).await.unwrap();

    let got = OrderRepo::get_unscoped(s, &o.order_no).await.unwrap().unwrap();
    let mut want = o.clone();
    want.created_at -= Duration::nanoseconds(789);
    assert_eq!(serde_json::to_value(&got).unwrap(), serde_json::to_value(&want).unwrap());
    assert_eq!((got.amount, got.fee, got.version), (Money(12_345), Money(74), 1));
    assert!(OrderRepo::get_unscoped(s, "nope").await.unwrap().is_none());

    let found = s.find_by_out_trade_no(&shop_a.merchant.id, &o.out_trade_no).await.unwrap().unwrap();
    assert_eq!(found.order_no, o.order_no);
    assert!(s.find_by_out_trade_no(&shop_b.merchant.id, &o.out_trade_no).await.unwrap().is_none());

    // The merchant's idempotency key; another merchant may use the same one.
    let mut again = new_order(&fx, &shop_a, 1, OrderStatus::Created);
    again.out_trade_no = o.out_trade_no.clone();
    assert_eq!(conflict(OrderRepo::insert(s, &again, &none()).await.unwrap_err()), "orders.out_trade_no");
    let mut other = new_order(&fx, &shop_b, 1, OrderStatus::Created);
    other.out_trade_no = o.out_trade_no.clone();
    OrderRepo::insert(s, &other, &none()).await.unwrap();
    let mut same_no = new_order(&fx, &shop_b, 1, OrderStatus::Created);
    same_no.order_no = o.order_no.clone();
    assert_eq!(conflict(OrderRepo::insert(s, &same_no, &none()).await.unwrap_err()), "orders.order_no");

    // Money invariants hold in the database too.
    let zero = new_order(&fx, &shop_a, 0, OrderStatus::Created);
    assert!(matches!(OrderRepo::insert(s, &zero, &none()).await, Err(RepoError::Backend(_))));
    let mut over = new_order(&fx, &shop_a, 100, OrderStatus::Paid);
    over.refund_reserved = Money(101);
    assert!(matches!(OrderRepo::insert(s, &over, &none()).await, Err(RepoError::Backend(_))));
    fx.finish().await;
}

#[tokio::test]
async fn orders_are_scoped_like_their_merchant() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let (a, b) = (fx.agent(None, "A").await, fx.agent(None, "B").await);
    let mine = shop(&fx, Some(&a), "Mine").await;
    let sibling = shop(&fx, Some(&a), "Sibling").await;
    let far = shop(&fx, Some(&b), "Far").await;
    let (o1, o2, o3) = (
        order(&fx, &mine, 100, OrderStatus::Paid).await,
        order(&fx, &sibling, 200, OrderStatus::Paid).await,
        order(&fx, &far, 300, OrderStatus::Paid).await,
    );
    let merchant_scope = fx.scope(&mine.merchant.path);
    assert!(OrderRepo::get(s, &merchant_scope, &o1.order_no).await.unwrap().is_some());
    assert!(OrderRepo::get(s, &merchant_scope, &o2.order_no).await.unwrap().is_none(), "a sibling's order");
    let listed = OrderRepo::list(s, &merchant_scope, &OrderFilter::default(), page(1, 10)).await.unwrap();
    assert_eq!(listed.items.iter().map(|o| &o.order_no).collect::<Vec<_>>(), vec![&o1.order_no]);

    let agent_scope = fx.scope(&a.path);
    assert!(OrderRepo::get(s, &agent_scope, &o2.order_no).await.unwrap().is_some());
    assert!(OrderRepo::get(s, &agent_scope, &o3.order_no).await.unwrap().is_none());
    assert_eq!(OrderRepo::list(s, &agent_scope, &OrderFilter::default(), page(1, 10)).await.unwrap().total, 2);
    let other_platform = juhe_domain::scope::Scope::platform(juhe_domain::ids::PlatformId::generate());
    assert!(OrderRepo::get(s, &other_platform, &o1.order_no).await.unwrap().is_none());
    // A filter naming a merchant outside the scope finds nothing either.
    let theirs = OrderFilter { merchant_id: Some(far.merchant.id.clone()), ..Default::default() };
    assert_eq!(OrderRepo::list(s, &agent_scope, &theirs, page(1, 10)).await.unwrap().total, 0);
    fx.finish().await;
}

#[tokio::test]
async fn order_lists_filter_and_page_newest_first() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let sh = shop(&fx, None, "Shop").await;
    let other = shop(&fx, None, "Other").await;
    let first = order(&fx, &sh, 100, OrderStatus::Paid).await;
    let mut alipay = new_order(&fx, &sh, 200, OrderStatus::Created);
    alipay.channel = Some(ChannelCode::Alipay);
    OrderRepo::insert(s, &alipay, &none()).await.unwrap();
    let closed = order(&fx, &sh, 300, OrderStatus::Closed).await;
    let theirs = order(&fx, &other, 400, OrderStatus::Paid).await;
    let root = fx.root();
    let root_ref = &root;
    let nos = |filter: OrderFilter, p| async move {
        let got = OrderRepo::list(s, root_ref, &filter, p).await.unwrap();
        (got.total, got.items.into_iter().map(|o| o.order_no).collect::<Vec<_>>())
    };

    let all = nos(OrderFilter::default(), page(1, 10)).await;
    let newest_first = vec![&theirs, &closed, &alipay, &first].into_iter().map(|o| o.order_no.clone()).collect();
    assert_eq!(all, (4, newest_first));
    assert_eq!(nos(OrderFilter::default(), page(2, 3)).await, (4, vec![first.order_no.clone()]));
    let by_merchant = OrderFilter { merchant_id: Some(sh.merchant.id.clone()), ..Default::default() };
    assert_eq!(nos(by_merchant, page(1, 10)).await.0, 3);
    let paid = OrderFilter { status: Some(OrderStatus::Paid), ..Default::default() };
    assert_eq!(nos(paid, page(1, 10)).await, (2, vec![theirs.order_no.clone(), first.order_no.clone()]));
    let ali = OrderFilter { channel: Some(ChannelCode::Alipay), ..Default::default() };
    assert_eq!(nos(ali, page(1, 10)).await, (1, vec![alipay.order_no.clone()]));
    let by_key = OrderFilter { out_trade_no: Some(closed.out_trade_no.clone()), ..Default::default() };
    assert_eq!(nos(by_key, page(1, 10)).await, (1, vec![closed.order_no.clone()]));
    // `since` inclusive, `until` exclusive.
    let window = OrderFilter { since: Some(alipay.created_at), until: Some(theirs.created_at), ..Default::default() };
    assert_eq!(nos(window, page(1, 10)).await, (2, vec![closed.order_no.clone(), alipay.order_no.clone()]));
    assert_eq!(OrderRepo::list(s, &root, &OrderFilter::default(), page(9, 10)).await.unwrap().items.len(), 0);
    fx.finish().await;
}

#[tokio::test]
async fn save_is_optimistic_and_writes_its_outbox_in_the_same_transaction() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let sh = shop(&fx, None, "Shop").await;
    let o = order(&fx, &sh, 1000, OrderStatus::Created).await;

    let mut paid = o.clone();
    paid.status = OrderStatus::Paid;
    paid.paid_at = Some(fx.now());
    paid.channel_trade_no = Some("4200001".into());
    paid.payer_id = Some("o-payer".into());
    paid.pay_data = Some(json!({"prepay_id": "wx1"}));
    paid.fee = Money(6);
    paid.updated_at = fx.now();
    // Ignored by save: what identifies the order and its request.
    paid.amount = Money(1);
    paid.out_trade_no = "changed".into();
    let evt = notification(&fx, &sh, EventType::OrderPaid, &o.order_no, fx.now());
    s.save(&paid, &notifying(std::slice::from_ref(&evt))).await.unwrap();

    let got = OrderRepo::get_unscoped(s, &o.order_no).await.unwrap().unwrap();
    assert_eq!((got.status, got.paid_at, got.version), (OrderStatus::Paid, paid.paid_at, 2));
    assert_eq!((got.channel_trade_no.as_deref(), got.payer_id.as_deref()), (Some("4200001"), Some("o-payer")));
    assert_eq!((got.pay_data, got.fee, got.updated_at), (paid.pay_data.clone(), Money(6), paid.updated_at));
    assert_eq!((got.amount, got.out_trade_no.as_str()), (Money(1000), o.out_trade_no.as_str()));
    let stored = NotificationRepo::get(s, &fx.root(), &evt.id).await.unwrap().unwrap();
    assert_eq!((stored.resource_no, stored.payload), (o.order_no.clone(), evt.payload.clone()));
    // The notification's delivery job came with it, due when the notification is.
    let delivery = job_about(&fx, JobKind::NotificationDelivery, &evt.id).await.expect("delivery job");
    assert_eq!((delivery.state, delivery.next_run_at), (JobState::Pending, evt.next_attempt_at));

    // The refund totals the domain decided are saved too (versioned like the rest).
    let mut reserving = paid.clone();
    reserving.version = 2;
    reserving.refund_reserved = Money(400);
    reserving.refunded_amount = Money(100);
    s.save(&reserving, &none()).await.unwrap();
    let got = OrderRepo::get_unscoped(s, &o.order_no).await.unwrap().unwrap();
    assert_eq!((got.refund_reserved, got.refunded_amount, got.version), (Money(400), Money(100), 3));
    // … and the database refuses totals that break refunded ≤ reserved ≤ amount.
    let mut broken = reserving.clone();
    broken.version = 3;
    broken.refund_reserved = Money(1001);
    assert!(matches!(s.save(&broken, &none()).await, Err(RepoError::Backend(_))));
    let mut broken = reserving.clone();
    broken.version = 3;
    broken.refunded_amount = Money(401);
    assert!(matches!(s.save(&broken, &none()).await, Err(RepoError::Backend(_))));
    let got = OrderRepo::get_unscoped(s, &o.order_no).await.unwrap().unwrap();
    assert_eq!((got.refund_reserved, got.refunded_amount, got.version), (Money(400), Money(100), 3));

    let mut ghost = new_order(&fx, &sh, 10, OrderStatus::Created);
    ghost.order_no = "20260101000000missing".into();
    assert!(matches!(s.save(&ghost, &none()).await, Err(RepoError::NotFound)));
    let mut evt_ghost = notification(&fx, &sh, EventType::OrderClosed, &ghost.order_no, fx.now());
    evt_ghost.resource_no = ghost.order_no.clone();
    assert!(matches!(s.save(&ghost, &notifying(std::slice::from_ref(&evt_ghost))).await, Err(RepoError::NotFound)));
    assert!(NotificationRepo::get(s, &fx.root(), &evt_ghost.id).await.unwrap().is_none());
    assert!(jobs_about(&fx, &evt_ghost.id).await.is_empty());

    // A failing outbox insert (a duplicate event id) takes the order change back with it.
    let mut next = reserving.clone();
    next.version = 3;
    next.status = OrderStatus::PartiallyRefunded;
    assert!(s.save(&next, &notifying(std::slice::from_ref(&evt))).await.is_err());
    let got = OrderRepo::get_unscoped(s, &o.order_no).await.unwrap().unwrap();
    assert_eq!((got.status, got.version), (OrderStatus::Paid, 3));
    fx.finish().await;
}

#[tokio::test]
async fn a_stale_save_writes_neither_the_order_nor_any_of_its_effects() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let sh = shop(&fx, None, "Shop").await;
    let o = order(&fx, &sh, 1000, OrderStatus::Created).await;
    let mut paid = o.clone();
    paid.status = OrderStatus::Paid;
    s.save(&paid, &none()).await.unwrap();

    // Every kind of effect rides on a save from the stale version 1.
    let mut stale = o.clone();
    stale.status = OrderStatus::Closed;
    let evt = notification(&fx, &sh, EventType::OrderClosed, &o.order_no, fx.now());
    let exception = PaymentException::new(
        &fx.platform,
        &sh.merchant.id,
        &sh.merchant.path,
        ExceptionKind::UnknownAtChannel,
        &o.order_no,
        json!({"why": "test"}),
        Resolution::Hold,
        fx.now(),
    );
    let mut effects = notifying(std::slice::from_ref(&evt));
    effects
        .job(NewJob::new(&fx.platform, JobKind::ExceptionResolution, exception.id.as_str(), fx.now()))
        .audit(fx.audit(&sh.merchant.path, "order.close", "order", &o.order_no))
        .exception(exception.clone());
    assert_eq!(conflict(s.save(&stale, &effects).await.unwrap_err()), "version");

    let got = OrderRepo::get_unscoped(s, &o.order_no).await.unwrap().unwrap();
    assert_eq!((got.status, got.version), (OrderStatus::Paid, 2));
    assert!(NotificationRepo::get(s, &fx.root(), &evt.id).await.unwrap().is_none());
    assert_eq!(NotificationRepo::list(s, &fx.root(), Some(&o.order_no), page(1, 10)).await.unwrap().total, 0);
    assert!(jobs_about(&fx, &evt.id).await.is_empty(), "no delivery job");
    assert!(jobs_about(&fx, exception.id.as_str()).await.is_empty(), "no resolution job");
    assert!(ExceptionRepo::get(s, &fx.root(), exception.id.as_str()).await.unwrap().is_none());
    let about_order = ExceptionFilter { order_no: Some(o.order_no.clone()), ..Default::default() };
    assert_eq!(ExceptionRepo::list(s, &fx.root(), &about_order, page(1, 10)).await.unwrap().total, 0);
    assert_eq!(audit_rows(&fx, &o.order_no).await, 0);

    // The same effects on the fresh version are all written, with the change.
    let mut fresh = stale.clone();
    fresh.version = 2;
    s.save(&fresh, &effects).await.unwrap();
    assert_eq!(OrderRepo::get_unscoped(s, &o.order_no).await.unwrap().unwrap().status, OrderStatus::Closed);
    assert!(NotificationRepo::get(s, &fx.root(), &evt.id).await.unwrap().is_some());
    assert!(job_about(&fx, JobKind::NotificationDelivery, &evt.id).await.is_some());
    assert!(job_about(&fx, JobKind::ExceptionResolution, exception.id.as_str()).await.is_some());
    assert!(ExceptionRepo::get(s, &fx.root(), exception.id.as_str()).await.unwrap().is_some());
    assert_eq!(audit_rows(&fx, &o.order_no).await, 1);
    fx.finish().await;
}

#[tokio::test]
async fn an_insert_writes_its_follow_up_job_or_nothing() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let sh = shop(&fx, None, "Shop").await;
    let o = new_order(&fx, &sh, 100, OrderStatus::Created);
    let first_look = o.created_at + Duration::seconds(10);
    let mut effects = none();
    effects.job(NewJob::new(&fx.platform, JobKind::OrderFollowup, &o.order_no, first_look));
    OrderRepo::insert(s, &o, &effects).await.unwrap();
    let job = job_about(&fx, JobKind::OrderFollowup, &o.order_no).await.expect("follow-up job");
    assert_eq!((job.state, job.next_run_at, job.attempts, job.failures), (JobState::Pending, first_look, 0, 0));
    assert_eq!(job.platform_id, fx.platform);

    // A repeated out_trade_no is refused, and its follow-up job with it.
    let mut dup = new_order(&fx, &sh, 100, OrderStatus::Created);
    dup.out_trade_no = o.out_trade_no.clone();
    let mut effects = none();
    effects.job(NewJob::new(&fx.platform, JobKind::OrderFollowup, &dup.order_no, first_look));
    assert_eq!(conflict(OrderRepo::insert(s, &dup, &effects).await.unwrap_err()), "orders.out_trade_no");
    assert!(jobs_about(&fx, &dup.order_no).await.is_empty());

    // A failing effect (the same notification twice) takes the order back with it.
    let other = new_order(&fx, &sh, 100, OrderStatus::Created);
    let evt = notification(&fx, &sh, EventType::OrderPaid, &other.order_no, fx.now());
    let mut effects = notifying(&[evt.clone(), evt.clone()]);
    effects.job(NewJob::new(&fx.platform, JobKind::OrderFollowup, &other.order_no, first_look));
    assert!(OrderRepo::insert(s, &other, &effects).await.is_err());
    assert!(OrderRepo::get_unscoped(s, &other.order_no).await.unwrap().is_none());
    assert!(NotificationRepo::get(s, &fx.root(), &evt.id).await.unwrap().is_none());
    assert!(jobs_about(&fx, &other.order_no).await.is_empty());
    assert!(jobs_about(&fx, &evt.id).await.is_empty());
    fx.finish().await;
}
