//! Partial and full refunds by out_request_no, never above what was paid, and refund queries.

use crate::support::{Harness, order, start};
use juhe_domain::channels::{ChannelError, PaymentChannel, RefundRequest, RefundState, TradeState};
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;

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
    let req = order(PayWay::AliQr, 1000);
    h.channel.create(&h.ctx, &req).await.expect("precreate");
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
    assert!(first.succeeded_at.is_some());
    // The same refund again moves nothing and is still a success (settled by a refund query).
    assert_eq!(h.channel.refund(&h.ctx, &r1).await.expect("repeat").state, RefundState::Succeeded);
    assert_eq!(
        declined_code(h.channel.refund(&h.ctx, &refund(&order_no, "R1", 400)).await),
        "ACQ.REQUEST_AMOUNT_EXCEED"
    );

    // Never above what was paid.
    assert_eq!(
        declined_code(h.channel.refund(&h.ctx, &refund(&order_no, "R2", 701)).await),
        "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    );
    assert_eq!(
        h.channel.refund(&h.ctx, &refund(&order_no, "R2", 700)).await.expect("rest").state,
        RefundState::Succeeded
    );
    assert_eq!(declined_code(h.channel.refund(&h.ctx, &refund(&order_no, "R3", 1)).await), "ACQ.TRADE_STATUS_ERROR");
    // Fully refunded (Alipay: TRADE_CLOSED after payment) still reads as paid.
    assert_eq!(h.channel.query(&h.ctx, &order_no).await.expect("query").state, TradeState::Paid);

    let q1 = h.channel.refund_query(&h.ctx, &order_no, "R1").await.expect("refund query");
    assert_eq!(q1.state, RefundState::Succeeded);
    assert!(q1.succeeded_at.is_some());
    assert_eq!(h.channel.refund_query(&h.ctx, &order_no, "R9").await.expect("missing").state, RefundState::NotFound);
    assert_eq!(
        h.channel.refund_query(&h.ctx, "NOSUCHORDER", "R1").await.expect("no trade").state,
        RefundState::NotFound
    );
}

#[tokio::test]
async fn unpaid_trades_cannot_be_refunded() {
    let h = start().await;
    let req = order(PayWay::AliQr, 1000);
    let created = h.channel.create(&h.ctx, &req).await.expect("precreate");
    // Not scanned: there is no trade to refund; scanned but unpaid: not refundable.
    let refund_1 = refund(&req.order_no, "R1", 1);
    assert_eq!(declined_code(h.channel.refund(&h.ctx, &refund_1).await), "ACQ.TRADE_NOT_EXIST");
    h.scan(created.pay_data["code_url"].as_str().expect("code_url")).await;
    assert_eq!(declined_code(h.channel.refund(&h.ctx, &refund_1).await), "ACQ.TRADE_STATUS_ERROR");
    assert_eq!(declined_code(h.channel.refund(&h.ctx, &refund("NOSUCHORDER", "R1", 1)).await), "ACQ.TRADE_NOT_EXIST");
    assert!(matches!(
        h.channel.refund(&h.ctx, &refund(&req.order_no, "R0", 0)).await,
        Err(ChannelError::Declined { .. })
    ));
}
