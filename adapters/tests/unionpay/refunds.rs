//! Refunds as transactions of their own (orderNo = refund number): partial and full, never above
//! what was paid, idempotent per refund number, and refund queries.

use crate::support::{Harness, order, start};
use juhe_domain::channels::{ChannelError, PaymentChannel, RefundRequest, RefundState, TradeState};
use juhe_domain::money::Money;

fn refund(order_no: &str, refund_no: &str, fen: i64) -> RefundRequest {
    RefundRequest {
        order_no: order_no.into(),
        channel_trade_no: None,
        refund_no: refund_no.into(),
        order_amount: Money(1000),
        amount: Money(fen),
        reason: Some("顾客退货".into()),
    }
}

async fn paid_order(h: &Harness) -> String {
    let req = order(1000);
    h.channel.create(&h.ctx, &req).await.expect("qr apply");
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 200);
    req.order_no
}

fn declined_code<T: std::fmt::Debug>(result: Result<T, ChannelError>) -> String {
    match result {
        Err(ChannelError::Declined { code, .. }) => code,
        other => panic!("expected a decline, got {other:?}"),
    }
}

#[tokio::test]
async fn partial_then_full_refunds() {
    let h = start().await;
    let order_no = paid_order(&h).await;
    let r1 = refund(&order_no, "R1", 300);
    let first = h.channel.refund(&h.ctx, &r1).await.expect("refund 1");
    assert_eq!(first.state, RefundState::Succeeded);
    assert!(first.succeeded_at.is_some() && first.channel_refund_no.is_some());
    // The same refund again moves nothing and answers the same refund.
    let repeat = h.channel.refund(&h.ctx, &r1).await.expect("repeat");
    assert_eq!((repeat.state, &repeat.channel_refund_no), (RefundState::Succeeded, &first.channel_refund_no));
    // The same refund number with another amount: a refund exists under it, outcome open.
    let err = h.channel.refund(&h.ctx, &refund(&order_no, "R1", 400)).await.expect_err("36");
    assert!(err.money_may_have_moved(), "{err:?}");

    // Never above what was paid.
    assert_eq!(declined_code(h.channel.refund(&h.ctx, &refund(&order_no, "R2", 701)).await), "33");
    assert_eq!(
        h.channel.refund(&h.ctx, &refund(&order_no, "R2", 700)).await.expect("rest").state,
        RefundState::Succeeded
    );
    assert_eq!(declined_code(h.channel.refund(&h.ctx, &refund(&order_no, "R3", 1)).await), "33");
    // Fully refunded still reads as paid: the refunds are juhe's to track.
    assert_eq!(h.channel.query(&h.ctx, &order_no).await.expect("query").state, TradeState::Paid);

    let q1 = h.channel.refund_query(&h.ctx, &order_no, "R1").await.expect("refund query");
    assert_eq!((q1.state, &q1.channel_refund_no), (RefundState::Succeeded, &first.channel_refund_no));
    assert!(q1.succeeded_at.is_some());
    let missing = h.channel.refund_query(&h.ctx, &order_no, "R9").await.expect("missing");
    assert_eq!(missing.state, RefundState::NotFound);
    // A refund of another order, or a payment's number, is no refund of this order.
    assert_eq!(h.channel.refund_query(&h.ctx, "OTHERORDER", "R1").await.expect("other").state, RefundState::NotFound);
    let own = h.channel.refund_query(&h.ctx, &order_no, &order_no).await.expect("payment number");
    assert_eq!(own.state, RefundState::NotFound);
    // And a refund number is no payment.
    assert_eq!(h.channel.query(&h.ctx, "R1").await.expect("query refund no").state, TradeState::NotFound);
}

#[tokio::test]
async fn only_paid_orders_can_be_refunded() {
    let h = start().await;
    let req = order(1000);
    h.channel.create(&h.ctx, &req).await.expect("qr apply");
    assert_eq!(declined_code(h.channel.refund(&h.ctx, &refund(&req.order_no, "R1", 1)).await), "35");
    assert_eq!(declined_code(h.channel.refund(&h.ctx, &refund("NOSUCHORDER", "R2", 1)).await), "35");
    assert_eq!(declined_code(h.channel.refund(&h.ctx, &refund(&req.order_no, "R0", 0)).await), "juhe.invalid-amount");

    // A reversed payment has nothing left to refund.
    let order_no = paid_order(&h).await;
    h.channel.reverse(&h.ctx, &order_no).await.expect("reverse");
    assert_eq!(declined_code(h.channel.refund(&h.ctx, &refund(&order_no, "R3", 1)).await), "35");
}
