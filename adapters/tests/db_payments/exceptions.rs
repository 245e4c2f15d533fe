//! Payment exceptions: written as effects of the change that found them, scoped like their
//! merchant, resolved exactly once.

use crate::fixture::{Fixture, audit_rows, conflict, page};
use crate::support::{Shop, order, shop};
use juhe_domain::effects::Effects;
use juhe_domain::payments::exception::{ExceptionKind, ExceptionStatus, PaymentException, Resolution};
use juhe_domain::payments::order::OrderStatus;
use juhe_domain::payments::ports::{ExceptionFilter, ExceptionRepo, OrderRepo};
use serde_json::json;

/// An exception about a new order of `shop`, stored with the order's change (as the payment
/// service does when money arrives on a closed order).
async fn found(fx: &Fixture, shop: &Shop, kind: ExceptionKind, resolution: Resolution) -> PaymentException {
    let mut o = order(fx, shop, 100, OrderStatus::Closed).await;
    let exception = PaymentException::new(
        &fx.platform,
        &shop.merchant.id,
        &shop.merchant.path,
        kind,
        &o.order_no,
        json!({"previous_status": "closed", "amount": 100}),
        resolution,
        fx.now(),
    );
    o.status = OrderStatus::Paid;
    let mut effects = Effects::none();
    effects.exception(exception.clone());
    OrderRepo::save(&fx.store, &o, &effects).await.unwrap();
    exception
}

fn resolved(fx: &Fixture, e: &PaymentException, resolution: Resolution, by: &str) -> PaymentException {
    PaymentException {
        status: ExceptionStatus::Resolved,
        resolution,
        note: Some(format!("{by} decided")),
        resolved_by: Some(by.into()),
        resolved_at: Some(fx.now()),
        refund_no: (resolution == Resolution::Refund).then(|| "R2026".to_owned()),
        ..e.clone()
    }
}

#[tokio::test]
async fn an_exception_is_stored_with_its_change_and_resolved_once() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let sh = shop(&fx, None, "Shop").await;
    let e = found(&fx, &sh, ExceptionKind::PaidAfterClose, Resolution::Hold).await;

    let got = ExceptionRepo::get(s, &fx.root(), e.id.as_str()).await.unwrap().unwrap();
    assert_eq!(serde_json::to_value(&got).unwrap(), serde_json::to_value(&e).unwrap());
    assert_eq!((got.status, got.resolution), (ExceptionStatus::Open, Resolution::Hold));
    assert!(ExceptionRepo::get_unscoped(s, e.id.as_str()).await.unwrap().is_some());
    assert!(ExceptionRepo::get_unscoped(s, "exc_missing").await.unwrap().is_none());

    // The first resolution wins, with its audit row.
    let accepted = resolved(&fx, &e, Resolution::Accept, "operator-1");
    let mut effects = Effects::none();
    effects.audit(fx.audit(&sh.merchant.path, "exception.resolve", "payment_exception", e.id.as_str()));
    ExceptionRepo::resolve(s, &accepted, &effects).await.unwrap();
    let got = ExceptionRepo::get(s, &fx.root(), e.id.as_str()).await.unwrap().unwrap();
    assert_eq!(
        (got.status, got.resolution, got.resolved_by.as_deref(), got.note.as_deref(), got.resolved_at),
        (
            ExceptionStatus::Resolved,
            Resolution::Accept,
            Some("operator-1"),
            Some("operator-1 decided"),
            accepted.resolved_at
        )
    );
    assert_eq!((got.kind, got.order_no.as_str(), got.evidence), (e.kind, e.order_no.as_str(), e.evidence.clone()));
    assert_eq!(audit_rows(&fx, e.id.as_str()).await, 1);

    // A second resolution (another operator, or the job) is refused and writes nothing.
    let refunded = resolved(&fx, &e, Resolution::Refund, "system");
    let mut effects = Effects::none();
    effects.audit(fx.audit(&sh.merchant.path, "exception.resolve", "payment_exception", e.id.as_str()));
    assert_eq!(conflict(ExceptionRepo::resolve(s, &refunded, &effects).await.unwrap_err()), "exception_state");
    let got = ExceptionRepo::get(s, &fx.root(), e.id.as_str()).await.unwrap().unwrap();
    assert_eq!(
        (got.resolution, got.resolved_by.as_deref(), got.refund_no),
        (Resolution::Accept, Some("operator-1"), None)
    );
    assert_eq!(audit_rows(&fx, e.id.as_str()).await, 1);

    // One closed on the spot (nothing moved) is resolved already.
    let closed = found(&fx, &sh, ExceptionKind::UnknownAtChannel, Resolution::Closed).await;
    let got = ExceptionRepo::get(s, &fx.root(), closed.id.as_str()).await.unwrap().unwrap();
    assert_eq!((got.status, got.resolved_by.as_deref()), (ExceptionStatus::Resolved, Some("system")));
    let again = resolved(&fx, &closed, Resolution::Dismiss, "operator-1");
    assert_eq!(conflict(ExceptionRepo::resolve(s, &again, &Effects::none()).await.unwrap_err()), "exception_state");
    fx.finish().await;
}

#[tokio::test]
async fn exceptions_are_scoped_like_their_merchant_and_listed_newest_first() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let (a, b) = (fx.agent(None, "A").await, fx.agent(None, "B").await);
    let mine = shop(&fx, Some(&a), "Mine").await;
    let sibling = shop(&fx, Some(&a), "Sibling").await;
    let far = shop(&fx, Some(&b), "Far").await;
    let e1 = found(&fx, &mine, ExceptionKind::PaidAfterClose, Resolution::Refund).await;
    let e2 = found(&fx, &mine, ExceptionKind::UnknownAtChannel, Resolution::Closed).await;
    let e3 = found(&fx, &sibling, ExceptionKind::PaidAfterClose, Resolution::Hold).await;
    let e4 = found(&fx, &far, ExceptionKind::PaidAfterClose, Resolution::Hold).await;
    let ids = |items: Vec<PaymentException>| items.into_iter().map(|e| e.id.to_string()).collect::<Vec<_>>();
    let all = ExceptionFilter::default();

    let merchant = fx.scope(&mine.merchant.path);
    assert!(ExceptionRepo::get(s, &merchant, e1.id.as_str()).await.unwrap().is_some());
    assert!(ExceptionRepo::get(s, &merchant, e3.id.as_str()).await.unwrap().is_none(), "another merchant's");
    let listed = ExceptionRepo::list(s, &merchant, &all, page(1, 10)).await.unwrap();
    assert_eq!((listed.total, ids(listed.items)), (2, vec![e2.id.to_string(), e1.id.to_string()]));
    let other_merchant = fx.scope(&sibling.merchant.path);
    assert!(ExceptionRepo::get(s, &other_merchant, e1.id.as_str()).await.unwrap().is_none());
    let theirs = ExceptionRepo::list(s, &other_merchant, &all, page(1, 10)).await.unwrap();
    assert_eq!(ids(theirs.items), vec![e3.id.to_string()]);

    let agent = fx.scope(&a.path);
    assert_eq!(ExceptionRepo::list(s, &agent, &all, page(1, 10)).await.unwrap().total, 3);
    assert!(ExceptionRepo::get(s, &agent, e4.id.as_str()).await.unwrap().is_none());
    assert_eq!(ExceptionRepo::list(s, &fx.root(), &all, page(1, 10)).await.unwrap().total, 4);
    let other_platform = juhe_domain::scope::Scope::platform(juhe_domain::ids::PlatformId::generate());
    assert!(ExceptionRepo::get(s, &other_platform, e1.id.as_str()).await.unwrap().is_none());
    assert_eq!(ExceptionRepo::list(s, &other_platform, &all, page(1, 10)).await.unwrap().total, 0);

    // Filters, inside the scope only.
    let open = ExceptionFilter { status: Some(ExceptionStatus::Open), ..Default::default() };
    assert_eq!(
        ids(ExceptionRepo::list(s, &agent, &open, page(1, 10)).await.unwrap().items),
        vec![e3.id.to_string(), e1.id.to_string()]
    );
    let unknown = ExceptionFilter { kind: Some(ExceptionKind::UnknownAtChannel), ..Default::default() };
    assert_eq!(
        ids(ExceptionRepo::list(s, &agent, &unknown, page(1, 10)).await.unwrap().items),
        vec![e2.id.to_string()]
    );
    let about = ExceptionFilter { order_no: Some(e4.order_no.clone()), ..Default::default() };
    assert_eq!(ExceptionRepo::list(s, &agent, &about, page(1, 10)).await.unwrap().total, 0);
    assert_eq!(ExceptionRepo::list(s, &fx.root(), &about, page(1, 10)).await.unwrap().total, 1);
    let second = ExceptionRepo::list(s, &agent, &all, page(2, 2)).await.unwrap();
    assert_eq!((second.total, ids(second.items)), (3, vec![e1.id.to_string()]));
    fx.finish().await;
}
