//! Orders: round trips, idempotency keys, tenant isolation, lists, optimistic saves with their
//! outbox, and the expiry and re-query jobs.

use crate::fixture::{Fixture, conflict, page};
use crate::support::{new_order, notification, order, shop};
use juhe_domain::channels::ChannelCode;
use juhe_domain::money::Money;
use juhe_domain::payments::notification::EventType;
use juhe_domain::payments::order::OrderStatus;
use juhe_domain::payments::ports::{NotificationRepo, OrderFilter, OrderRepo};
use juhe_domain::repo::RepoError;
use serde_json::json;
use time::Duration;

#[tokio::test]
async fn orders_round_trip_and_are_unique_per_merchant() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let shop_a = shop(&fx, None, "Shop A").await;
    let shop_b = shop(&fx, None, "Shop B").await;
    let mut o = new_order(&fx, &shop_a, 12_345, OrderStatus::Paid);
    o.store_id = Some(fx.store_at(&shop_a.merchant, "Counter").await.id);
    o.created_at += Duration::nanoseconds(123_456_789); // stored at microsecond precision
    OrderRepo::insert(s, &o).await.unwrap();

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
    assert_eq!(conflict(OrderRepo::insert(s, &again).await.unwrap_err()), "orders.out_trade_no");
    let mut other = new_order(&fx, &shop_b, 1, OrderStatus::Created);
    other.out_trade_no = o.out_trade_no.clone();
    OrderRepo::insert(s, &other).await.unwrap();
    let mut same_no = new_order(&fx, &shop_b, 1, OrderStatus::Created);
    same_no.order_no = o.order_no.clone();
    assert_eq!(conflict(OrderRepo::insert(s, &same_no).await.unwrap_err()), "orders.order_no");

    // Money invariants hold in the database too.
    let zero = new_order(&fx, &shop_a, 0, OrderStatus::Created);
    assert!(matches!(OrderRepo::insert(s, &zero).await, Err(RepoError::Backend(_))));
    let mut over = new_order(&fx, &shop_a, 100, OrderStatus::Paid);
    over.refund_reserved = Money(101);
    assert!(matches!(OrderRepo::insert(s, &over).await, Err(RepoError::Backend(_))));
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
    OrderRepo::insert(s, &alipay).await.unwrap();
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
    // Ignored by save: the refund totals, and what identifies the order.
    paid.refund_reserved = Money(500);
    paid.refunded_amount = Money(500);
    paid.amount = Money(1);
    paid.out_trade_no = "changed".into();
    let evt = notification(&fx, &sh, EventType::OrderPaid, &o.order_no, fx.now());
    s.save(&paid, std::slice::from_ref(&evt)).await.unwrap();

    let got = OrderRepo::get_unscoped(s, &o.order_no).await.unwrap().unwrap();
    assert_eq!((got.status, got.paid_at, got.version), (OrderStatus::Paid, paid.paid_at, 2));
    assert_eq!((got.channel_trade_no.as_deref(), got.payer_id.as_deref()), (Some("4200001"), Some("o-payer")));
    assert_eq!((got.pay_data, got.fee, got.updated_at), (paid.pay_data.clone(), Money(6), paid.updated_at));
    assert_eq!((got.refund_reserved, got.refunded_amount, got.amount), (Money(0), Money(0), Money(1000)));
    assert_eq!(got.out_trade_no, o.out_trade_no);
    let stored = NotificationRepo::get(s, &fx.root(), &evt.id).await.unwrap().unwrap();
    assert_eq!((stored.resource_no, stored.payload), (o.order_no.clone(), evt.payload.clone()));

    // Stale: nothing is written, the notification neither.
    let mut stale = paid.clone();
    stale.status = OrderStatus::Closed;
    let evt2 = notification(&fx, &sh, EventType::OrderClosed, &o.order_no, fx.now());
    assert_eq!(conflict(s.save(&stale, std::slice::from_ref(&evt2)).await.unwrap_err()), "version");
    assert_eq!(OrderRepo::get_unscoped(s, &o.order_no).await.unwrap().unwrap().status, OrderStatus::Paid);
    assert!(NotificationRepo::get(s, &fx.root(), &evt2.id).await.unwrap().is_none());
    let listed = NotificationRepo::list(s, &fx.root(), Some(&o.order_no), page(1, 10)).await.unwrap();
    assert_eq!(listed.total, 1);

    let mut ghost = new_order(&fx, &sh, 10, OrderStatus::Created);
    ghost.order_no = "20260101000000missing".into();
    assert!(matches!(s.save(&ghost, &[]).await, Err(RepoError::NotFound)));

    // A failing outbox insert (a duplicate event id) takes the order change back with it.
    let mut next = paid.clone();
    next.version = 2;
    next.status = OrderStatus::Cancelled;
    assert!(s.save(&next, std::slice::from_ref(&evt)).await.is_err());
    let got = OrderRepo::get_unscoped(s, &o.order_no).await.unwrap().unwrap();
    assert_eq!((got.status, got.version), (OrderStatus::Paid, 2));
    fx.finish().await;
}

#[tokio::test]
async fn jobs_find_unpaid_orders_oldest_first() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let sh = shop(&fx, None, "Shop").await;
    let t0 = fx.now();
    let mut make = Vec::new();
    // (status, minutes until expiry)
    for (status, expires_in) in [
        (OrderStatus::Created, 5),
        (OrderStatus::Paying, 1),
        (OrderStatus::Created, 30),
        (OrderStatus::Paid, 1),
        (OrderStatus::Closed, 1),
        (OrderStatus::Created, 2),
    ] {
        let mut o = new_order(&fx, &sh, 100, status);
        o.expire_at = t0 + Duration::minutes(expires_in);
        OrderRepo::insert(s, &o).await.unwrap();
        make.push(o);
    }
    let nos =
        |orders: Vec<juhe_domain::payments::order::Order>| orders.into_iter().map(|o| o.order_no).collect::<Vec<_>>();
    let at = t0 + Duration::minutes(5);
    let due = nos(s.expired(at, 10).await.unwrap());
    assert_eq!(due, vec![make[1].order_no.clone(), make[5].order_no.clone(), make[0].order_no.clone()]);
    assert_eq!(nos(s.expired(at, 2).await.unwrap()), due[..2].to_vec());
    assert!(s.expired(t0, 10).await.unwrap().is_empty());

    // Created before `before` (exclusive), unpaid, oldest first.
    let pending = nos(s.pending_before(make[5].created_at, 10).await.unwrap());
    assert_eq!(pending, vec![make[0].order_no.clone(), make[1].order_no.clone(), make[2].order_no.clone()]);
    assert_eq!(nos(s.pending_before(make[5].created_at, 1).await.unwrap()), vec![make[0].order_no.clone()]);
    fx.finish().await;
}
