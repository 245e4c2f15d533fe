//! Alipay's `trade_no` alone names a trade in query, close, cancel, refund and refund query (Alipay
//! prefers it when both numbers are given; they must then name the same trade).

use crate::support::{order, start};
use juhe_domain::channels::PaymentChannel;
use juhe_domain::payments::way::PayWay;
use serde_json::{Value, json};

const QUERY: &str = "alipay.trade.query";
const BUYER: &str = "2088102169481075";

fn sub_code(answer: &Value) -> &str {
    answer["sub_code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn trade_no_alone_names_the_trade() {
    let h = start().await;
    let mut req = order(PayWay::AliJsapi, 500);
    req.payer_id = Some(BUYER.into());
    let trade_no = h.channel.create(&h.ctx, &req).await.expect("create").channel_trade_no.expect("trade_no");

    let found = h.call(QUERY, json!({ "trade_no": trade_no })).await;
    assert_eq!((found["code"].as_str(), found["trade_status"].as_str()), (Some("10000"), Some("WAIT_BUYER_PAY")));
    assert_eq!(found["out_trade_no"], req.order_no.as_str());
    // Both numbers, naming different trades; neither; a trade_no Alipay never gave.
    let mismatch = h.call(QUERY, json!({ "trade_no": trade_no, "out_trade_no": "SOMETHINGELSE" })).await;
    assert_eq!(sub_code(&mismatch), "ACQ.TRADE_NOT_EXIST", "{mismatch}");
    assert_eq!(sub_code(&h.call(QUERY, json!({})).await), "ACQ.INVALID_PARAMETER");
    let unknown = h.call(QUERY, json!({ "trade_no": "2024010122001000000000000001" })).await;
    assert_eq!(sub_code(&unknown), "ACQ.TRADE_NOT_EXIST");

    // Paid, refunded and the refund queried by trade_no only.
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 200);
    let refund = json!({ "trade_no": trade_no, "refund_amount": "1.00", "out_request_no": "RT1" });
    let refunded = h.call("alipay.trade.refund", refund).await;
    assert_eq!((refunded["code"].as_str(), refunded["fund_change"].as_str()), (Some("10000"), Some("Y")), "{refunded}");
    let refund_query = json!({ "trade_no": trade_no, "out_request_no": "RT1" });
    let shown = h.call("alipay.trade.fastpay.refund.query", refund_query).await;
    assert_eq!(shown["refund_amount"], "1.00", "{shown}");

    // Close and cancel by trade_no only.
    let mut to_close = order(PayWay::AliJsapi, 100);
    to_close.payer_id = Some(BUYER.into());
    let close_no = h.channel.create(&h.ctx, &to_close).await.expect("create").channel_trade_no.expect("trade_no");
    let closed = h.call("alipay.trade.close", json!({ "trade_no": close_no })).await;
    assert_eq!(closed["code"], "10000", "{closed}");
    let after = h.call(QUERY, json!({ "out_trade_no": to_close.order_no })).await;
    assert_eq!(after["trade_status"], "TRADE_CLOSED");
    let mut to_cancel = order(PayWay::AliJsapi, 100);
    to_cancel.payer_id = Some(BUYER.into());
    let cancel_no = h.channel.create(&h.ctx, &to_cancel).await.expect("create").channel_trade_no.expect("trade_no");
    let cancelled = h.call("alipay.trade.cancel", json!({ "trade_no": cancel_no })).await;
    assert_eq!(
        (cancelled["code"].as_str(), cancelled["action"].as_str()),
        (Some("10000"), Some("close")),
        "{cancelled}"
    );
    assert_eq!(h.simulate_pay(&to_cancel.order_no).await.0, 409);
}

#[tokio::test]
async fn trade_no_finds_only_the_callers_trades() {
    let h = start().await;
    // A trade of a merchant that authorized the app is not the platform's to see.
    let isv = h.isv_ctx();
    let mut req = order(PayWay::AliJsapi, 100);
    req.payer_id = Some(BUYER.into());
    let trade_no = h.channel.create(&isv, &req).await.expect("create").channel_trade_no.expect("trade_no");
    assert_eq!(sub_code(&h.call(QUERY, json!({ "trade_no": trade_no })).await), "ACQ.TRADE_NOT_EXIST");
}
