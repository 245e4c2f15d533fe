//! Barcode pay by payer code: paid, paying until the payer confirms, declined, unknown; reversal
//! and void of barcode transactions.

use crate::support::{Harness, barcode, payer_code, start};
use juhe_domain::channels::{ChannelError, PaymentChannel, ReverseOutcome, TradeState};
use juhe_domain::money::Money;

async fn state(h: &Harness, order_no: &str) -> TradeState {
    h.channel.query(&h.ctx, order_no).await.expect("query").state
}

#[tokio::test]
async fn paid_at_once_repeat_answers_the_same_then_reversed() {
    let h = start().await;
    let req = barcode(&payer_code("0000"), 888);
    let paid = h.channel.barcode_pay(&h.ctx, &req).await.expect("pay");
    assert_eq!((paid.state, paid.amount), (TradeState::Paid, Some(Money(888))));
    assert!(paid.channel_trade_no.is_some() && paid.paid_at.is_some());
    // The same request again (a retry after a lost answer) reports the same payment.
    let again = h.channel.barcode_pay(&h.ctx, &req).await.expect("repeat");
    assert_eq!((again.state, again.channel_trade_no), (TradeState::Paid, paid.channel_trade_no.clone()));
    // Another payer code under the same orderNo: a transaction exists, outcome open.
    let mut other = req.clone();
    other.auth_code = juhe_domain::secret::Secret::new(payer_code("5555"));
    assert!(h.channel.barcode_pay(&h.ctx, &other).await.expect_err("36").money_may_have_moved());

    // Reversing a paid barcode transaction refunds it: it reads as revoked.
    assert_eq!(h.channel.reverse(&h.ctx, &req.order_no).await.expect("reverse"), ReverseOutcome::Reversed);
    assert_eq!(h.channel.reverse(&h.ctx, &req.order_no).await.expect("again"), ReverseOutcome::Reversed);
    assert_eq!(state(&h, &req.order_no).await, TradeState::Revoked);
}

#[tokio::test]
async fn paying_until_the_payer_confirms() {
    let h = start().await;
    let req = barcode(&payer_code("1111"), 500);
    let paying = h.channel.barcode_pay(&h.ctx, &req).await.expect("pay");
    assert_eq!((paying.state, paying.paid_at), (TradeState::Paying, None));
    assert_eq!(state(&h, &req.order_no).await, TradeState::Paying);
    assert_eq!(h.channel.barcode_pay(&h.ctx, &req).await.expect("repeat").state, TradeState::Paying);
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 200);
    let paid = h.channel.query(&h.ctx, &req.order_no).await.expect("query");
    assert_eq!((paid.state, paid.amount), (TradeState::Paid, Some(Money(500))));
    assert!(paid.paid_at.is_some());
}

#[tokio::test]
async fn declined_codes_and_wrong_wallets() {
    let h = start().await;
    let req = barcode(&payer_code("2222"), 500);
    match h.channel.barcode_pay(&h.ctx, &req).await {
        Err(ChannelError::Declined { code, message }) => {
            assert_eq!(code, "60");
            assert!(!message.is_empty());
        }
        other => panic!("declined payer code: {other:?}"),
    }
    assert_eq!(state(&h, &req.order_no).await, TradeState::NotFound);
    // WeChat and Alipay codes are not UnionPay's.
    for code in ["134567890123456789", "2812345678900000"] {
        match h.channel.barcode_pay(&h.ctx, &barcode(code, 1)).await {
            Err(ChannelError::Declined { code, .. }) => assert_eq!(code, "60"),
            other => panic!("foreign wallet code: {other:?}"),
        }
    }
}

#[tokio::test]
async fn unknown_outcome_then_reversal() {
    let h = start().await;
    let req = barcode(&payer_code("3333"), 700);
    let err = h.channel.barcode_pay(&h.ctx, &req).await.expect_err("04");
    assert!(matches!(err, ChannelError::Unknown(_)), "{err:?}");
    // The order service queries, then reverses.
    assert_eq!(state(&h, &req.order_no).await, TradeState::Paying);
    assert_eq!(h.channel.reverse(&h.ctx, &req.order_no).await.expect("reverse"), ReverseOutcome::Reversed);
    assert_eq!(state(&h, &req.order_no).await, TradeState::Revoked);
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 409, "a reversed payment cannot complete");
}

#[tokio::test]
async fn reversing_a_transaction_never_seen_blocks_a_late_payment() {
    let h = start().await;
    let req = barcode(&payer_code("0000"), 300);
    assert_eq!(h.channel.reverse(&h.ctx, &req.order_no).await.expect("reverse"), ReverseOutcome::Reversed);
    match h.channel.barcode_pay(&h.ctx, &req).await {
        Err(ChannelError::Declined { code, .. }) => assert_eq!(code, "46"),
        other => panic!("late pay after reversal: {other:?}"),
    }
    assert_eq!(state(&h, &req.order_no).await, TradeState::Revoked);
}

#[tokio::test]
async fn a_waiting_barcode_can_be_voided() {
    let h = start().await;
    let req = barcode(&payer_code("1111"), 300);
    assert_eq!(h.channel.barcode_pay(&h.ctx, &req).await.expect("pay").state, TradeState::Paying);
    h.channel.close(&h.ctx, &req.order_no).await.expect("void");
    assert_eq!(state(&h, &req.order_no).await, TradeState::Closed);
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 409);
}
