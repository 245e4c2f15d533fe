//! Refunds: reservations that can never over-refund under any concurrency, settlement exactly
//! once, and reads scoped like the merchant.

use crate::fixture::{Fixture, conflict, page};
use crate::support::{Shop, new_refund, notification, order, shop};
use juhe_domain::money::Money;
use juhe_domain::payments::notification::EventType;
use juhe_domain::payments::order::{Order, OrderStatus};
use juhe_domain::payments::ports::{NotificationRepo, OrderRepo, RefundRepo, ReserveRefused};
use juhe_domain::payments::refund::{Refund, RefundStatus};
use juhe_domain::repo::RepoError;
use time::Duration;

async fn stored(fx: &Fixture, order: &Order) -> Order {
    OrderRepo::get_unscoped(&fx.store, &order.order_no).await.unwrap().unwrap()
}

async fn reserved(fx: &Fixture, refund: &Refund) -> Refund {
    assert_eq!(fx.store.reserve(refund).await.unwrap(), Ok(()));
    refund.clone()
}

/// `refund` settled to `status` (with its outbox event), as the services do it.
fn settled(fx: &Fixture, refund: &Refund, status: RefundStatus) -> Refund {
    let now = fx.now();
    Refund {
        status,
        channel_refund_no: Some(format!("50300{}", refund.refund_no)),
        succeeded_at: (status == RefundStatus::Succeeded).then_some(now),
        updated_at: now,
        ..refund.clone()
    }
}

async fn outbox_rows(fx: &Fixture, resource_no: &str) -> u64 {
    NotificationRepo::list(&fx.store, &fx.root(), Some(resource_no), page(1, 50)).await.unwrap().total
}

#[tokio::test]
async fn reservations_refuse_unpaid_orders_and_excess_and_roll_back_duplicates() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let sh = shop(&fx, None, "Shop").await;
    let unpaid = order(&fx, &sh, 100, OrderStatus::Created).await;
    assert_eq!(s.reserve(&new_refund(&fx, &unpaid, 10)).await.unwrap(), Err(ReserveRefused::NotRefundable));
    assert_eq!(stored(&fx, &unpaid).await.refund_reserved, Money(0));

    let o = order(&fx, &sh, 100, OrderStatus::Paid).await;
    let first = reserved(&fx, &new_refund(&fx, &o, 60)).await;
    let got = RefundRepo::get_unscoped(s, &first.refund_no).await.unwrap().unwrap();
    assert_eq!(
        (got.status, got.amount, got.out_refund_no.as_str()),
        (RefundStatus::Processing, Money(60), first.out_refund_no.as_str())
    );
    assert_eq!(s.reserve(&new_refund(&fx, &o, 41)).await.unwrap(), Err(ReserveRefused::ExceedsAvailable));
    let after = stored(&fx, &o).await;
    assert_eq!((after.refund_reserved, after.refunded_amount, after.version), (Money(60), Money(0), 1));

    // A repeated out_refund_no takes its reservation back with it.
    let mut dup = new_refund(&fx, &o, 10);
    dup.out_refund_no = first.out_refund_no.clone();
    assert_eq!(conflict(s.reserve(&dup).await.unwrap_err()), "refunds.out_refund_no");
    assert_eq!(stored(&fx, &o).await.refund_reserved, Money(60));
    assert!(RefundRepo::get_unscoped(s, &dup.refund_no).await.unwrap().is_none());

    // The order must exist and be the refund's merchant's.
    let mut missing = new_refund(&fx, &o, 10);
    missing.order_no = "20260101000000missing".into();
    assert!(matches!(s.reserve(&missing).await, Err(RepoError::NotFound)));
    let other = shop(&fx, None, "Other").await;
    let mut foreign = new_refund(&fx, &o, 10);
    foreign.merchant_id = other.merchant.id.clone();
    assert!(matches!(s.reserve(&foreign).await, Err(RepoError::NotFound)));
    // A non-positive amount is refused by the database and nothing is kept.
    assert!(matches!(s.reserve(&new_refund(&fx, &o, -5)).await, Err(RepoError::Backend(_))));
    assert_eq!(stored(&fx, &o).await.refund_reserved, Money(60));

    // Exactly what is left may still be reserved.
    reserved(&fx, &new_refund(&fx, &o, 40)).await;
    assert_eq!(s.reserve(&new_refund(&fx, &o, 1)).await.unwrap(), Err(ReserveRefused::ExceedsAvailable));
    assert_eq!(stored(&fx, &o).await.refund_reserved, Money(100));
    fx.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reservations_never_over_refund() {
    let fx = Fixture::new().await;
    let sh = shop(&fx, None, "Shop").await;
    let o = order(&fx, &sh, 100, OrderStatus::Paid).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (store, refund) = (fx.store.clone(), new_refund(&fx, &o, 30));
            tokio::spawn(async move { store.reserve(&refund).await })
        })
        .collect();
    let (mut ok, mut exceeded) = (0, 0);
    for task in tasks {
        match task.await.unwrap().unwrap() {
            Ok(()) => ok += 1,
            Err(ReserveRefused::ExceedsAvailable) => exceeded += 1,
            Err(other) => panic!("unexpected refusal {other:?}"),
        }
    }
    assert_eq!((ok, exceeded), (3, 17));
    assert_eq!(stored(&fx, &o).await.refund_reserved, Money(90));
    assert_eq!(fx.store.list_for_order(&o.order_no).await.unwrap().len(), 3);
    fx.finish().await;
}

#[tokio::test]
async fn settlement_happens_once_and_moves_the_order_totals() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let sh = shop(&fx, None, "Shop").await;
    let o = order(&fx, &sh, 100, OrderStatus::Paid).await;
    let r30 = reserved(&fx, &new_refund(&fx, &o, 30)).await;
    let r70 = reserved(&fx, &new_refund(&fx, &o, 70)).await;

    let ok30 = settled(&fx, &r30, RefundStatus::Succeeded);
    let evt = notification(&fx, &sh, EventType::RefundSucceeded, &r30.refund_no, fx.now());
    s.settle(&ok30, std::slice::from_ref(&evt)).await.unwrap();
    let got = RefundRepo::get_unscoped(s, &r30.refund_no).await.unwrap().unwrap();
    assert_eq!(
        (got.status, got.succeeded_at, got.channel_refund_no.clone()),
        (RefundStatus::Succeeded, ok30.succeeded_at, ok30.channel_refund_no.clone())
    );
    let after = stored(&fx, &o).await;
    assert_eq!(
        (after.status, after.refunded_amount, after.refund_reserved),
        (OrderStatus::PartiallyRefunded, Money(30), Money(100))
    );
    assert_eq!((after.version, after.updated_at), (2, ok30.updated_at));
    assert_eq!(outbox_rows(&fx, &r30.refund_no).await, 1);

    // A second settlement (callback after poll) writes nothing, its event neither.
    let evt2 = notification(&fx, &sh, EventType::RefundFailed, &r30.refund_no, fx.now());
    let again = settled(&fx, &r30, RefundStatus::Failed);
    assert_eq!(conflict(s.settle(&again, std::slice::from_ref(&evt2)).await.unwrap_err()), "refund_state");
    assert_eq!(RefundRepo::get_unscoped(s, &r30.refund_no).await.unwrap().unwrap().status, RefundStatus::Succeeded);
    let unchanged = stored(&fx, &o).await;
    assert_eq!((unchanged.refunded_amount, unchanged.refund_reserved, unchanged.version), (Money(30), Money(100), 2));
    assert_eq!(outbox_rows(&fx, &r30.refund_no).await, 1);
    let mut ghost = settled(&fx, &r30, RefundStatus::Succeeded);
    ghost.refund_no = "Rmissing".into();
    assert!(matches!(s.settle(&ghost, &[]).await, Err(RepoError::NotFound)));
    assert!(s.settle(&r70, &[]).await.is_err(), "processing is not a final state");

    // A failed refund gives its reservation back; the caller's amount never counts, the stored one does.
    let mut failed = settled(&fx, &r70, RefundStatus::Failed);
    failed.amount = Money(1);
    s.settle(&failed, &[]).await.unwrap();
    let after = stored(&fx, &o).await;
    assert_eq!(
        (after.status, after.refunded_amount, after.refund_reserved),
        (OrderStatus::PartiallyRefunded, Money(30), Money(30))
    );
    assert_eq!(after.version, 2, "a release does not change what save writes");

    // A closed refund releases too; the rest, refunded, makes the order fully refunded.
    let r69 = reserved(&fx, &new_refund(&fx, &o, 69)).await;
    let closed = reserved(&fx, &new_refund(&fx, &o, 1)).await;
    assert_eq!(s.reserve(&new_refund(&fx, &o, 1)).await.unwrap(), Err(ReserveRefused::ExceedsAvailable));
    s.settle(&settled(&fx, &closed, RefundStatus::Closed), &[]).await.unwrap();
    s.settle(&settled(&fx, &r69, RefundStatus::Succeeded), &[]).await.unwrap();
    let almost = stored(&fx, &o).await;
    assert_eq!(
        (almost.status, almost.refunded_amount, almost.refund_reserved),
        (OrderStatus::PartiallyRefunded, Money(99), Money(99))
    );
    let last = reserved(&fx, &new_refund(&fx, &o, 1)).await;
    s.settle(&settled(&fx, &last, RefundStatus::Succeeded), &[]).await.unwrap();
    let done = stored(&fx, &o).await;
    assert_eq!(
        (done.status, done.refunded_amount, done.refund_reserved),
        (OrderStatus::Refunded, Money(100), Money(100))
    );
    assert_eq!(done.version, 4);
    assert_eq!(s.reserve(&new_refund(&fx, &o, 1)).await.unwrap(), Err(ReserveRefused::NotRefundable));
    fx.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_settlements_add_up() {
    let fx = Fixture::new().await;
    let sh = shop(&fx, None, "Shop").await;
    let o = order(&fx, &sh, 100, OrderStatus::Paid).await;
    let mut refunds = Vec::new();
    for _ in 0..4 {
        refunds.push(reserved(&fx, &new_refund(&fx, &o, 25)).await);
    }
    let tasks: Vec<_> = refunds
        .iter()
        .map(|r| {
            let (store, done) = (fx.store.clone(), settled(&fx, r, RefundStatus::Succeeded));
            tokio::spawn(async move { store.settle(&done, &[]).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let done = stored(&fx, &o).await;
    assert_eq!((done.status, done.refunded_amount, done.version), (OrderStatus::Refunded, Money(100), 5));
    fx.finish().await;
}

#[tokio::test]
async fn refunds_are_scoped_and_listed_for_their_order_and_the_polling_job() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let a = fx.agent(None, "A").await;
    let mine: Shop = shop(&fx, Some(&a), "Mine").await;
    let sibling = shop(&fx, Some(&a), "Sibling").await;
    let o = order(&fx, &mine, 1000, OrderStatus::Paid).await;
    let theirs = order(&fx, &sibling, 1000, OrderStatus::Paid).await;
    let r1 = reserved(&fx, &new_refund(&fx, &o, 100)).await;
    let r2 = reserved(&fx, &new_refund(&fx, &o, 200)).await;
    let r3 = reserved(&fx, &new_refund(&fx, &theirs, 300)).await;
    s.settle(&settled(&fx, &r2, RefundStatus::Succeeded), &[]).await.unwrap();

    let merchant_scope = fx.scope(&mine.merchant.path);
    assert_eq!(RefundRepo::get(s, &merchant_scope, &r1.refund_no).await.unwrap().unwrap().order_no, o.order_no);
    assert!(RefundRepo::get(s, &merchant_scope, &r3.refund_no).await.unwrap().is_none(), "a sibling's refund");
    assert!(RefundRepo::get(s, &fx.scope(&a.path), &r3.refund_no).await.unwrap().is_some());
    let found = s.find_by_out_refund_no(&mine.merchant.id, &r1.out_refund_no).await.unwrap().unwrap();
    assert_eq!(found.refund_no, r1.refund_no);
    assert!(s.find_by_out_refund_no(&sibling.merchant.id, &r1.out_refund_no).await.unwrap().is_none());

    let listed: Vec<_> = s.list_for_order(&o.order_no).await.unwrap().into_iter().map(|r| r.refund_no).collect();
    assert_eq!(listed, vec![r1.refund_no.clone(), r2.refund_no.clone()], "oldest first");

    // Processing ones created before the cut-off (exclusive), oldest first.
    let nos = |rs: Vec<Refund>| rs.into_iter().map(|r| r.refund_no).collect::<Vec<_>>();
    let later = r3.created_at + Duration::seconds(1);
    assert_eq!(nos(s.processing_before(later, 10).await.unwrap()), vec![r1.refund_no.clone(), r3.refund_no.clone()]);
    assert_eq!(nos(s.processing_before(later, 1).await.unwrap()), vec![r1.refund_no.clone()]);
    assert_eq!(nos(s.processing_before(r3.created_at, 10).await.unwrap()), vec![r1.refund_no.clone()]);
    fx.finish().await;
}
