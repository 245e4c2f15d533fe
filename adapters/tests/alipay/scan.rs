//! A precreated (QR) trade does not exist at Alipay until the payer scans the code: query and close
//! answer `ACQ.TRADE_NOT_EXIST` — the adapter reads `NotFound` and `Declined` — and the code stays
//! payable until its `time_expire`; a cancel closes it for good.

use crate::support::{ShiftClock, order, start, start_with};
use juhe_domain::channels::{ChannelError, PaymentChannel, ReverseOutcome, TradeState};
use juhe_domain::clock::Clock;
use juhe_domain::payments::way::PayWay;
use serde_json::json;
use std::sync::Arc;

fn declined_code<T: std::fmt::Debug>(result: Result<T, ChannelError>) -> String {
    match result {
        Err(ChannelError::Declined { code, .. }) => code,
        other => panic!("expected a decline, got {other:?}"),
    }
}

#[tokio::test]
async fn a_precreated_trade_exists_once_the_payer_scans() {
    let h = start().await;
    let req = order(PayWay::AliQr, 300);
    let created = h.channel.create(&h.ctx, &req).await.expect("precreate");
    let code_url = created.pay_data["code_url"].as_str().expect("code_url").to_owned();

    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::NotFound);
    let raw = h.call("alipay.trade.query", json!({ "out_trade_no": req.order_no })).await;
    assert_eq!(raw["sub_code"], "ACQ.TRADE_NOT_EXIST", "{raw}");
    assert_eq!(declined_code(h.channel.close(&h.ctx, &req.order_no).await), "ACQ.TRADE_NOT_EXIST");

    // The payer scans: now Alipay has a trade waiting for payment, and closing it works.
    assert!(h.scan(&code_url).await.contains("3.00"));
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::NotPaid);
    h.channel.close(&h.ctx, &req.order_no).await.expect("close");
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::Closed);
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 409);
}

#[tokio::test]
async fn a_failed_close_leaves_the_code_payable_until_it_expires() {
    let clock = Arc::new(ShiftClock::default());
    let h = start_with("http://127.0.0.1:9/unused", |s| s.with_clock(clock.clone())).await;
    // The close found nothing to close: the payer can still scan and pay.
    let req = order(PayWay::AliQr, 100);
    h.channel.create(&h.ctx, &req).await.expect("precreate");
    assert!(h.channel.close(&h.ctx, &req.order_no).await.is_err());
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 200, "scanned and paid after the close");
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::Paid);

    // Past its time_expire an unscanned code is dead, and was never a trade.
    let mut late = order(PayWay::AliQr, 100);
    late.expire_at = clock.now() + time::Duration::minutes(2);
    let code_url = h.channel.create(&h.ctx, &late).await.expect("precreate").pay_data["code_url"].clone();
    clock.advance(121);
    assert!(h.scan(code_url.as_str().expect("code_url")).await.contains("ACQ.TRADE_HAS_CLOSE"));
    assert_eq!(h.simulate_pay(&late.order_no).await.0, 409);
    assert_eq!(h.channel.query(&h.ctx, &late.order_no).await.expect("query").state, TradeState::NotFound);
}

#[tokio::test]
async fn a_cancel_closes_an_unscanned_code_for_good() {
    let h = start().await;
    let req = order(PayWay::AliQr, 100);
    h.channel.create(&h.ctx, &req).await.expect("precreate");
    assert_eq!(h.channel.reverse(&h.ctx, &req.order_no).await.expect("cancel"), ReverseOutcome::Reversed);
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 409);
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::Closed);
}
