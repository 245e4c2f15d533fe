//! Payer-presented barcodes: paid at once, paying until the payer confirms, failed; reverse.

use super::support::{Harness, order_no};
use juhe_domain::channels::{BarcodePay, ChannelError, PaymentChannel, ReverseOutcome, TradeState};
use juhe_domain::money::Money;
use juhe_domain::secret::Secret;

fn barcode(no: &str, auth_code: &str) -> BarcodePay {
    BarcodePay {
        order_no: no.to_owned(),
        amount: Money(888),
        subject: "收银台".into(),
        auth_code: Secret::new(auth_code.to_owned()),
        store_id: Some("store-1".into()),
        client_ip: None,
    }
}

#[tokio::test]
async fn barcode_paid_paying_and_failed() {
    let h = Harness::start().await;

    let paid_no = order_no("BAR");
    let paid = h.channel.barcode_pay(&h.ctx, &barcode(&paid_no, "134567890123450000")).await.expect("pay");
    assert_eq!(paid.state, TradeState::Paid);
    assert_eq!(paid.amount, Some(Money(888)));
    assert!(paid.channel_trade_no.is_some());
    // Submitting the same barcode order again answers its state, never a second charge.
    let again = h.channel.barcode_pay(&h.ctx, &barcode(&paid_no, "134567890123450000")).await.expect("again");
    assert_eq!(again.channel_trade_no, paid.channel_trade_no);

    let paying_no = order_no("BAR");
    let paying = h.channel.barcode_pay(&h.ctx, &barcode(&paying_no, "134567890123451111")).await.expect("paying");
    assert_eq!(paying.state, TradeState::Paying);
    assert_eq!(h.channel.query(&h.ctx, &paying_no).await.expect("query").state, TradeState::Paying);
    assert_eq!(h.simulate_pay(&paying_no).await, 200, "the payer confirms");
    assert_eq!(h.channel.query(&h.ctx, &paying_no).await.expect("query").state, TradeState::Paid);

    let failed_no = order_no("BAR");
    let failed = h.channel.barcode_pay(&h.ctx, &barcode(&failed_no, "134567890123452222")).await.expect("failed");
    assert_eq!(failed.state, TradeState::Failed);
    assert!(failed.message.is_some());

    let invalid = h.channel.barcode_pay(&h.ctx, &barcode(&order_no("BAR"), "284567890123450000")).await;
    assert!(matches!(invalid, Err(ChannelError::Declined { ref code, .. }) if code == "PARAM_ERROR"), "{invalid:?}");
}

#[tokio::test]
async fn reverse_revokes_paying_and_paid_barcode_trades() {
    let h = Harness::start().await;
    let paying_no = order_no("REV");
    h.channel.barcode_pay(&h.ctx, &barcode(&paying_no, "104567890123451111")).await.expect("paying");
    assert_eq!(h.channel.reverse(&h.ctx, &paying_no).await.expect("reverse"), ReverseOutcome::Reversed);
    assert_eq!(h.channel.query(&h.ctx, &paying_no).await.expect("query").state, TradeState::Revoked);
    assert_eq!(h.simulate_pay(&paying_no).await, 409, "a revoked trade cannot be paid");

    let paid_no = order_no("REV");
    h.channel.barcode_pay(&h.ctx, &barcode(&paid_no, "104567890123450000")).await.expect("paid");
    assert_eq!(h.channel.reverse(&h.ctx, &paid_no).await.expect("reverse"), ReverseOutcome::Reversed);
    assert_eq!(h.channel.query(&h.ctx, &paid_no).await.expect("query").state, TradeState::Revoked);

    let missing = h.channel.reverse(&h.ctx, &order_no("REV")).await;
    assert!(
        matches!(missing, Err(ChannelError::Declined { ref code, .. }) if code == "ORDER_NOT_EXIST"),
        "{missing:?}"
    );
}

#[tokio::test]
async fn barcode_system_error_is_unknown_and_nothing_happened() {
    let h = Harness::start().await;
    let no = order_no("BARERR");
    h.fail_next(1, "error").await;
    let result = h.channel.barcode_pay(&h.ctx, &barcode(&no, "134567890123450000")).await;
    assert!(matches!(result, Err(ChannelError::Unknown(_))), "money may have moved: {result:?}");
    assert_eq!(h.channel.query(&h.ctx, &no).await.expect("query").state, TradeState::NotFound);
}
