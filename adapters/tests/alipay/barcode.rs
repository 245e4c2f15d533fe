//! Barcode pay by auth code: paid, paying until the payer confirms, declined, unknown; reverse.

use crate::support::{Harness, order_no, start};
use juhe_domain::channels::{BarcodePay, ChannelError, PaymentChannel, ReverseOutcome, TradeState};
use juhe_domain::money::Money;
use juhe_domain::secret::Secret;

fn barcode(auth_code: &str, fen: i64) -> BarcodePay {
    BarcodePay {
        order_no: order_no("BAR"),
        amount: Money(fen),
        subject: "条码支付".into(),
        auth_code: Secret::new(auth_code.into()),
        store_id: Some("st_1".into()),
        client_ip: None,
    }
}

async fn state(h: &Harness, order_no: &str) -> TradeState {
    h.channel.query(&h.ctx, order_no).await.expect("query").state
}

#[tokio::test]
async fn paid_at_once_and_repeat_is_answered_by_a_query() {
    let h = start().await;
    let req = barcode("2812345678900000", 888);
    let paid = h.channel.barcode_pay(&h.ctx, &req).await.expect("pay");
    assert_eq!((paid.state, paid.amount), (TradeState::Paid, Some(Money(888))));
    assert!(paid.channel_trade_no.is_some() && paid.paid_at.is_some());
    // Alipay answers ACQ.TRADE_HAS_SUCCESS to a repeat; the adapter reports the paid trade.
    let again = h.channel.barcode_pay(&h.ctx, &req).await.expect("repeat");
    assert_eq!((again.state, again.channel_trade_no), (TradeState::Paid, paid.channel_trade_no.clone()));

    // Reversing a paid barcode trade refunds it; the trade still counts as paid.
    assert_eq!(h.channel.reverse(&h.ctx, &req.order_no).await.expect("reverse"), ReverseOutcome::Reversed);
    assert_eq!(state(&h, &req.order_no).await, TradeState::Paid);
}

#[tokio::test]
async fn paying_until_the_payer_confirms() {
    let h = start().await;
    let req = barcode("28123456789012341111", 500);
    let paying = h.channel.barcode_pay(&h.ctx, &req).await.expect("pay");
    assert_eq!(paying.state, TradeState::Paying);
    assert_eq!(state(&h, &req.order_no).await, TradeState::NotPaid);
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 200);
    assert_eq!(state(&h, &req.order_no).await, TradeState::Paid);
}

#[tokio::test]
async fn declined_codes_and_wrong_wallets() {
    let h = start().await;
    let req = barcode("2812345678902222", 500);
    match h.channel.barcode_pay(&h.ctx, &req).await {
        Err(ChannelError::Declined { code, message }) => {
            assert_eq!(code, "ACQ.PAYMENT_AUTH_CODE_INVALID");
            assert!(!message.is_empty());
        }
        other => panic!("declined auth code: {other:?}"),
    }
    assert_eq!(state(&h, &req.order_no).await, TradeState::NotFound);
    // A WeChat code is not an Alipay one.
    assert!(matches!(
        h.channel.barcode_pay(&h.ctx, &barcode("134567890123456789", 1)).await,
        Err(ChannelError::Declined { .. })
    ));
}

#[tokio::test]
async fn unknown_outcome_then_reverse_with_retry() {
    let h = start().await;
    let req = barcode("2812345678903333", 700);
    let err = h.channel.barcode_pay(&h.ctx, &req).await.expect_err("20000");
    assert!(err.money_may_have_moved(), "{err:?}");
    assert_eq!(h.channel.reverse(&h.ctx, &req.order_no).await.expect("cancel"), ReverseOutcome::Retry);
    assert_eq!(h.channel.reverse(&h.ctx, &req.order_no).await.expect("cancel again"), ReverseOutcome::Reversed);
    assert_eq!(state(&h, &req.order_no).await, TradeState::Closed);
}

#[tokio::test]
async fn reversing_a_trade_alipay_never_saw_blocks_a_late_payment() {
    let h = start().await;
    let req = barcode("2812345678900000", 300);
    assert_eq!(h.channel.reverse(&h.ctx, &req.order_no).await.expect("cancel"), ReverseOutcome::Reversed);
    match h.channel.barcode_pay(&h.ctx, &req).await {
        Err(ChannelError::Declined { code, .. }) => assert_eq!(code, "ACQ.TRADE_HAS_CLOSE"),
        other => panic!("late pay after cancel: {other:?}"),
    }
}
