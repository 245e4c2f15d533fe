//! Refunds: partial, cumulative cap, idempotent per out_refund_no, queries.

use super::support::{Harness, order, order_no};
use juhe_domain::channels::{ChannelError, PaymentChannel, RefundRequest, RefundState, TradeState};
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;

fn refund(order_no: &str, refund_no: &str, fen: i64) -> RefundRequest {
    RefundRequest {
        order_no: order_no.to_owned(),
        channel_trade_no: None,
        refund_no: refund_no.to_owned(),
        order_amount: Money(1000),
        amount: Money(fen),
        reason: Some("顾客退货".into()),
    }
}

#[tokio::test]
async fn partial_refunds_never_exceed_the_paid_amount() {
    let h = Harness::start().await;
    let no = order_no("RF");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 1000)).await.expect("create");

    let unpaid = h.channel.refund(&h.ctx, &refund(&no, &order_no("R"), 100)).await;
    assert!(matches!(unpaid, Err(ChannelError::Declined { .. })), "an unpaid order cannot be refunded: {unpaid:?}");

    assert_eq!(h.simulate_pay(&no).await, 200);
    let first_no = order_no("R");
    let first = h.channel.refund(&h.ctx, &refund(&no, &first_no, 600)).await.expect("refund");
    assert_eq!(first.state, RefundState::Processing);
    assert!(first.channel_refund_no.as_deref().is_some_and(|r| r.starts_with("50")));

    let again = h.channel.refund(&h.ctx, &refund(&no, &first_no, 600)).await.expect("same refund again");
    assert_eq!(again.channel_refund_no, first.channel_refund_no, "idempotent per out_refund_no");

    let too_much = h.channel.refund(&h.ctx, &refund(&no, &order_no("R"), 401)).await;
    assert!(
        matches!(too_much, Err(ChannelError::Declined { ref code, .. }) if code == "INVALID_REQUEST"),
        "{too_much:?}"
    );
    let rest = h.channel.refund(&h.ctx, &refund(&no, &order_no("R"), 400)).await.expect("the rest");
    assert!(rest.channel_refund_no.is_some());

    let queried = h.channel.refund_query(&h.ctx, &no, &first_no).await.expect("refund query");
    assert_eq!(queried.state, RefundState::Succeeded);
    assert!(queried.succeeded_at.is_some());
    let wrong_order = h.channel.refund_query(&h.ctx, &order_no("X"), &first_no).await;
    assert!(matches!(wrong_order, Err(ChannelError::Unknown(_))), "refund of another trade: {wrong_order:?}");
    let missing = h.channel.refund_query(&h.ctx, &no, &order_no("R")).await.expect("missing refund");
    assert_eq!(missing.state, RefundState::NotFound);

    // A refunded trade is still a paid one (WeChat REFUND).
    assert_eq!(h.channel.query(&h.ctx, &no).await.expect("query").state, TradeState::Paid);
}

#[tokio::test]
async fn refund_system_error_is_unknown() {
    let h = Harness::start().await;
    let no = order_no("RFE");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 1000)).await.expect("create");
    assert_eq!(h.simulate_pay(&no).await, 200);
    h.fail_next(1, "error").await;
    let result = h.channel.refund(&h.ctx, &refund(&no, &order_no("R"), 100)).await;
    assert!(matches!(result, Err(ChannelError::Unknown(_))), "money may have moved: {result:?}");
}
