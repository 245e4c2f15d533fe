//! Refunds: the domain decides the order's totals, the repository saves them with a version
//! check, so that no interleaving of requests can refund more than was paid; settlement
//! happens exactly once; reads are scoped like the merchant.

use crate::fixture::{Fixture, conflict, page};
use crate::support::{Shop, job_about, jobs_about, new_refund, notification, notifying, order, shop};
use juhe_domain::effects::Effects;
use juhe_domain::jobs::{JobKind, JobState, NewJob};
use juhe_domain::money::Money;
use juhe_domain::payments::notification::EventType;
use juhe_domain::payments::order::{Order, OrderStatus};
use juhe_domain::payments::order_refunds::RefundRefused;
use juhe_domain::payments::ports::{NotificationRepo, OrderRepo, RefundRepo};
use juhe_domain::payments::refund::{Refund, RefundStatus};
use juhe_domain::repo::RepoError;

async fn stored(fx: &Fixture, order: &Order) -> Order {
    OrderRepo::get_unscoped(&fx.store, &order.order_no).await.unwrap().unwrap()
}

/// The refund's follow-up job, as the refund service writes it with the reservation.
fn followup(refund: &Refund) -> Effects {
    let mut effects = Effects::none();
    effects.job(NewJob::new(&refund.platform_id, JobKind::RefundFollowup, &refund.refund_no, refund.created_at));
    effects
}

/// Reserves `refund` the way the refund service does: read the order, let the domain decide,
/// save, and decide again on the fresh order when another change got there first.
async fn reserve(fx: &Fixture, refund: &Refund) -> Result<(), RefundRefused> {
    loop {
        let order = OrderRepo::get_unscoped(&fx.store, &refund.order_no).await.unwrap().unwrap();
        let reserved = order.reserve_refund(refund.amount)?;
        match fx.store.reserve(refund, &reserved, &followup(refund)).await {
            Ok(()) => return Ok(()),
            Err(RepoError::Conflict(c)) if c == "version" => continue,
            Err(e) => panic!("reserve failed: {e:?}"),
        }
    }
}

async fn reserved(fx: &Fixture, refund: &Refund) -> Refund {
    assert_eq!(reserve(fx, refund).await, Ok(()));
    refund.clone()
}

/// `refund` ended in `status`, as the services build it.
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

/// Settles `refund` to `status` the way the services do (the domain computes the order's
/// totals from the order it read), retrying on a stale order.
async fn settle(fx: &Fixture, refund: &Refund, status: RefundStatus, effects: &Effects) -> Result<(), RepoError> {
    let done = settled(fx, refund, status);
    loop {
        let order = OrderRepo::get_unscoped(&fx.store, &refund.order_no).await.unwrap().unwrap();
        let totals = order.settle_refund(refund.amount, status == RefundStatus::Succeeded).unwrap();
        match fx.store.settle(&done, &totals, effects).await {
            Err(RepoError::Conflict(c)) if c == "version" => continue,
            other => return other,
        }
    }
}

async fn outbox_rows(fx: &Fixture, resource_no: &str) -> u64 {
    NotificationRepo::list(&fx.store, &fx.root(), Some(resource_no), page(1, 50)).await.unwrap().total
}

#[tokio::test]
async fn reservations_save_the_domains_decision_and_roll_back_duplicates() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let sh = shop(&fx, None, "Shop").await;
    let unpaid = order(&fx, &sh, 100, OrderStatus::Created).await;
    assert_eq!(reserve(&fx, &new_refund(&fx, &unpaid, 10)).await, Err(RefundRefused::NotRefundable));
    assert_eq!(stored(&fx, &unpaid).await.refund_reserved, Money(0));

    let o = order(&fx, &sh, 100, OrderStatus::Paid).await;
    let first = reserved(&fx, &new_refund(&fx, &o, 60)).await;
    let got = RefundRepo::get_unscoped(s, &first.refund_no).await.unwrap().unwrap();
    assert_eq!(
        (got.status, got.amount, got.out_refund_no.as_str()),
        (RefundStatus::Processing, Money(60), first.out_refund_no.as_str())
    );
    let job = job_about(&fx, JobKind::RefundFollowup, &first.refund_no).await.expect("the follow-up job");
    assert_eq!((job.state, job.next_run_at), (JobState::Pending, first.created_at));
    assert_eq!(reserve(&fx, &new_refund(&fx, &o, 41)).await, Err(RefundRefused::ExceedsAvailable));
    let after = stored(&fx, &o).await;
    assert_eq!((after.refund_reserved, after.refunded_amount, after.version), (Money(60), Money(0), 2));

    // A repeated out_refund_no takes its reservation (and its job) back with it.
    let mut dup = new_refund(&fx, &o, 10);
    dup.out_refund_no = first.out_refund_no.clone();
    let raised = after.reserve_refund(Money(10)).unwrap();
    assert_eq!(conflict(s.reserve(&dup, &raised, &followup(&dup)).await.unwrap_err()), "refunds.out_refund_no");
    let unchanged = stored(&fx, &o).await;
    assert_eq!((unchanged.refund_reserved, unchanged.version), (Money(60), 2));
    assert!(RefundRepo::get_unscoped(s, &dup.refund_no).await.unwrap().is_none());
    assert!(jobs_about(&fx, &dup.refund_no).await.is_empty());

    // The order must exist.
    let mut ghost = after.clone();
    ghost.order_no = "20260101000000missing".into();
    let mut missing = new_refund(&fx, &o, 10);
    missing.order_no = ghost.order_no.clone();
    assert!(matches!(s.reserve(&missing, &ghost, &followup(&missing)).await, Err(RepoError::NotFound)));
    assert!(RefundRepo::get_unscoped(s, &missing.refund_no).await.unwrap().is_none());
    // The database refuses a reservation past the amount, and a non-positive refund, whatever
    // the caller decided; nothing is kept.
    let mut over = after.clone();
    over.refund_reserved = Money(101);
    let r = new_refund(&fx, &o, 41);
    assert!(matches!(s.reserve(&r, &over, &followup(&r)).await, Err(RepoError::Backend(_))));
    let negative = new_refund(&fx, &o, -5);
    assert!(matches!(s.reserve(&negative, &after, &followup(&negative)).await, Err(RepoError::Backend(_))));
    let unchanged = stored(&fx, &o).await;
    assert_eq!((unchanged.refund_reserved, unchanged.version), (Money(60), 2));
    assert!(RefundRepo::get_unscoped(s, &r.refund_no).await.unwrap().is_none());
    assert!(RefundRepo::get_unscoped(s, &negative.refund_no).await.unwrap().is_none());
    assert!(jobs_about(&fx, &r.refund_no).await.is_empty());

    // Exactly what is left may still be reserved.
    reserved(&fx, &new_refund(&fx, &o, 40)).await;
    assert_eq!(reserve(&fx, &new_refund(&fx, &o, 1)).await, Err(RefundRefused::ExceedsAvailable));
    assert_eq!(stored(&fx, &o).await.refund_reserved, Money(100));
    fx.finish().await;
}

#[tokio::test]
async fn a_reservation_on_a_stale_order_writes_nothing() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let sh = shop(&fx, None, "Shop").await;
    let o = order(&fx, &sh, 100, OrderStatus::Paid).await;
    // Two requests read version 1; the first one's reservation bumps it.
    let (r1, r2) = (new_refund(&fx, &o, 70), new_refund(&fx, &o, 70));
    s.reserve(&r1, &o.reserve_refund(Money(70)).unwrap(), &followup(&r1)).await.unwrap();
    let evt = notification(&fx, &sh, EventType::RefundSucceeded, &r2.refund_no, fx.now());
    let mut effects = notifying(std::slice::from_ref(&evt));
    effects.job(NewJob::new(&fx.platform, JobKind::RefundFollowup, &r2.refund_no, fx.now()));
    effects.audit(fx.audit(&sh.merchant.path, "refund.create", "refund", &r2.refund_no));
    let stale = o.reserve_refund(Money(70)).unwrap();
    assert_eq!(conflict(s.reserve(&r2, &stale, &effects).await.unwrap_err()), "version");

    let after = stored(&fx, &o).await;
    assert_eq!((after.refund_reserved, after.version), (Money(70), 2));
    assert!(RefundRepo::get_unscoped(s, &r2.refund_no).await.unwrap().is_none());
    assert!(jobs_about(&fx, &r2.refund_no).await.is_empty());
    assert!(jobs_about(&fx, &evt.id).await.is_empty());
    assert_eq!(outbox_rows(&fx, &r2.refund_no).await, 0);
    assert_eq!(crate::fixture::audit_rows(&fx, &r2.refund_no).await, 0);
    assert_eq!(s.list_for_order(&o.order_no).await.unwrap().len(), 1);
    // Deciding again on the fresh order refuses it.
    assert_eq!(after.reserve_refund(Money(70)).unwrap_err(), RefundRefused::ExceedsAvailable);
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
            tokio::spawn(async move {
                loop {
                    let order = OrderRepo::get_unscoped(&store, &refund.order_no).await.unwrap().unwrap();
                    let reserved = match order.reserve_refund(refund.amount) {
                        Ok(next) => next,
                        Err(refused) => return Err(refused),
                    };
                    match store.reserve(&refund, &reserved, &followup(&refund)).await {
                        Ok(()) => return Ok(refund.refund_no),
                        // Another reservation got there first: decide again on the fresh order.
                        Err(RepoError::Conflict(c)) if c == "version" => continue,
                        Err(e) => panic!("reserve failed: {e:?}"),
                    }
                }
            })
        })
        .collect();
    let (mut ok, mut exceeded) = (Vec::new(), 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(refund_no) => ok.push(refund_no),
            Err(RefundRefused::ExceedsAvailable) => exceeded += 1,
            Err(other) => panic!("unexpected refusal {other:?}"),
        }
    }
    assert_eq!((ok.len(), exceeded), (3, 17));
    let after = stored(&fx, &o).await;
    assert_eq!((after.refund_reserved, after.version), (Money(90), 4));
    let mut listed: Vec<_> =
        fx.store.list_for_order(&o.order_no).await.unwrap().into_iter().map(|r| r.refund_no).collect();
    listed.sort();
    ok.sort();
    assert_eq!(listed, ok);
    for refund_no in &ok {
        assert!(job_about(&fx, JobKind::RefundFollowup, refund_no).await.is_some());
    }
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

    let evt = notification(&fx, &sh, EventType::RefundSucceeded, &r30.refund_no, fx.now());
    let before = stored(&fx, &o).await;
    let ok30 = settled(&fx, &r30, RefundStatus::Succeeded);
    let totals = before.settle_refund(r30.amount, true).unwrap();
    s.settle(&ok30, &totals, &notifying(std::slice::from_ref(&evt))).await.unwrap();
    let got = RefundRepo::get_unscoped(s, &r30.refund_no).await.unwrap().unwrap();
    assert_eq!(
        (got.status, got.succeeded_at, got.channel_refund_no.clone(), got.updated_at),
        (RefundStatus::Succeeded, ok30.succeeded_at, ok30.channel_refund_no.clone(), ok30.updated_at)
    );
    let after = stored(&fx, &o).await;
    assert_eq!(
        (after.status, after.refunded_amount, after.refund_reserved, after.version),
        (OrderStatus::PartiallyRefunded, Money(30), Money(100), 4)
    );
    assert_eq!(outbox_rows(&fx, &r30.refund_no).await, 1);
    assert!(job_about(&fx, JobKind::NotificationDelivery, &evt.id).await.is_some());

    // A second settlement (callback after poll), even on the fresh order, writes nothing: not
    // the refund, not the totals, not its event.
    let evt2 = notification(&fx, &sh, EventType::RefundFailed, &r30.refund_no, fx.now());
    let again = settled(&fx, &r30, RefundStatus::Failed);
    let totals = after.settle_refund(r30.amount, false).unwrap();
    let effects = notifying(std::slice::from_ref(&evt2));
    assert_eq!(conflict(s.settle(&again, &totals, &effects).await.unwrap_err()), "refund_state");
    assert_eq!(RefundRepo::get_unscoped(s, &r30.refund_no).await.unwrap().unwrap().status, RefundStatus::Succeeded);
    let twice = settled(&fx, &r30, RefundStatus::Succeeded);
    let totals = after.settle_refund(r30.amount, true).unwrap();
    assert_eq!(conflict(s.settle(&twice, &totals, &Effects::none()).await.unwrap_err()), "refund_state");
    let unchanged = stored(&fx, &o).await;
    assert_eq!(
        (unchanged.status, unchanged.refunded_amount, unchanged.refund_reserved, unchanged.version),
        (OrderStatus::PartiallyRefunded, Money(30), Money(100), 4)
    );
    assert_eq!(outbox_rows(&fx, &r30.refund_no).await, 1);
    assert!(jobs_about(&fx, &evt2.id).await.is_empty());

    // A settlement computed from a stale order writes nothing either: the refund stays processing.
    let stale = before.settle_refund(r70.amount, true).unwrap();
    let evt3 = notification(&fx, &sh, EventType::RefundSucceeded, &r70.refund_no, fx.now());
    let ok70 = settled(&fx, &r70, RefundStatus::Succeeded);
    assert_eq!(
        conflict(s.settle(&ok70, &stale, &notifying(std::slice::from_ref(&evt3))).await.unwrap_err()),
        "version"
    );
    assert_eq!(RefundRepo::get_unscoped(s, &r70.refund_no).await.unwrap().unwrap().status, RefundStatus::Processing);
    assert_eq!(stored(&fx, &o).await.version, 4);
    assert_eq!(outbox_rows(&fx, &r70.refund_no).await, 0);

    let mut ghost = settled(&fx, &r30, RefundStatus::Succeeded);
    ghost.refund_no = "Rmissing".into();
    assert!(matches!(s.settle(&ghost, &unchanged, &Effects::none()).await, Err(RepoError::NotFound)));
    assert!(s.settle(&r70, &unchanged, &Effects::none()).await.is_err(), "processing is not a final state");
    let other = order(&fx, &sh, 100, OrderStatus::Paid).await;
    assert!(s.settle(&ok70, &other, &Effects::none()).await.is_err(), "settled against another order");
    assert_eq!(RefundRepo::get_unscoped(s, &r70.refund_no).await.unwrap().unwrap().status, RefundStatus::Processing);

    // A failed refund gives its reservation back.
    settle(&fx, &r70, RefundStatus::Failed, &Effects::none()).await.unwrap();
    let after = stored(&fx, &o).await;
    assert_eq!(
        (after.status, after.refunded_amount, after.refund_reserved, after.version),
        (OrderStatus::PartiallyRefunded, Money(30), Money(30), 5)
    );

    // A closed refund releases too; the rest, refunded, makes the order fully refunded.
    let r69 = reserved(&fx, &new_refund(&fx, &o, 69)).await;
    let closed = reserved(&fx, &new_refund(&fx, &o, 1)).await;
    assert_eq!(reserve(&fx, &new_refund(&fx, &o, 1)).await, Err(RefundRefused::ExceedsAvailable));
    settle(&fx, &closed, RefundStatus::Closed, &Effects::none()).await.unwrap();
    settle(&fx, &r69, RefundStatus::Succeeded, &Effects::none()).await.unwrap();
    let almost = stored(&fx, &o).await;
    assert_eq!(
        (almost.status, almost.refunded_amount, almost.refund_reserved),
        (OrderStatus::PartiallyRefunded, Money(99), Money(99))
    );
    let last = reserved(&fx, &new_refund(&fx, &o, 1)).await;
    settle(&fx, &last, RefundStatus::Succeeded, &Effects::none()).await.unwrap();
    let done = stored(&fx, &o).await;
    assert_eq!(
        (done.status, done.refunded_amount, done.refund_reserved),
        (OrderStatus::Refunded, Money(100), Money(100))
    );
    assert_eq!(reserve(&fx, &new_refund(&fx, &o, 1)).await, Err(RefundRefused::NotRefundable));
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
    // Each refund is settled by two racers (a callback and a poll); per refund exactly one wins,
    // and every winner re-reads the order when another refund's settlement got there first.
    let tasks: Vec<_> = refunds
        .iter()
        .flat_map(|r| [r.clone(), r.clone()])
        .map(|r| {
            let (store, done) = (fx.store.clone(), settled(&fx, &r, RefundStatus::Succeeded));
            tokio::spawn(async move {
                loop {
                    let order = OrderRepo::get_unscoped(&store, &done.order_no).await.unwrap().unwrap();
                    // Fully refunded already (this refund's twin won, and so did the others): the
                    // domain refuses, and the repository must refuse the refund's second settlement.
                    let totals = order.settle_refund(done.amount, true).unwrap_or(order);
                    match store.settle(&done, &totals, &Effects::none()).await {
                        Err(RepoError::Conflict(c)) if c == "version" => continue,
                        other => return (done.refund_no.clone(), other),
                    }
                }
            })
        })
        .collect();
    let mut wins = std::collections::HashMap::<String, (u32, u32)>::new();
    for task in tasks {
        let (refund_no, result) = task.await.unwrap();
        let entry = wins.entry(refund_no).or_default();
        match result {
            Ok(()) => entry.0 += 1,
            Err(RepoError::Conflict(c)) if c == "refund_state" => entry.1 += 1,
            Err(e) => panic!("settle failed: {e:?}"),
        }
    }
    assert_eq!(wins.len(), 4);
    assert!(wins.values().all(|w| *w == (1, 1)), "{wins:?}");
    let done = stored(&fx, &o).await;
    assert_eq!(
        (done.status, done.refunded_amount, done.refund_reserved, done.version),
        (OrderStatus::Refunded, Money(100), Money(100), 9)
    );
    fx.finish().await;
}

#[tokio::test]
async fn refunds_are_scoped_and_listed_for_their_order() {
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
    settle(&fx, &r2, RefundStatus::Succeeded, &Effects::none()).await.unwrap();

    let merchant_scope = fx.scope(&mine.merchant.path);
    assert_eq!(RefundRepo::get(s, &merchant_scope, &r1.refund_no).await.unwrap().unwrap().order_no, o.order_no);
    assert!(RefundRepo::get(s, &merchant_scope, &r3.refund_no).await.unwrap().is_none(), "a sibling's refund");
    assert!(RefundRepo::get(s, &fx.scope(&a.path), &r3.refund_no).await.unwrap().is_some());
    let other_platform = juhe_domain::scope::Scope::platform(juhe_domain::ids::PlatformId::generate());
    assert!(RefundRepo::get(s, &other_platform, &r1.refund_no).await.unwrap().is_none());
    let found = s.find_by_out_refund_no(&mine.merchant.id, &r1.out_refund_no).await.unwrap().unwrap();
    assert_eq!(found.refund_no, r1.refund_no);
    assert!(s.find_by_out_refund_no(&sibling.merchant.id, &r1.out_refund_no).await.unwrap().is_none());

    let listed: Vec<_> = s.list_for_order(&o.order_no).await.unwrap().into_iter().map(|r| r.refund_no).collect();
    assert_eq!(listed, vec![r1.refund_no.clone(), r2.refund_no.clone()], "oldest first");
    fx.finish().await;
}
