//! What the order service relies on: a declined create is safe to fail over, a timed-out create
//! is unknown and was really performed (without a duplicate on retry), a lost reply is unknown
//! although the operation happened, an unreachable channel did nothing, and nothing unverifiable
//! is believed.

use super::support::{Harness, order, order_no};
use juhe_adapters::crypto::generate_rsa_pkcs8_pem;
use juhe_domain::channels::{ChannelError, PaymentChannel, RefundRequest, RefundState, TradeState};
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn system_error_on_create_is_declined_and_nothing_was_created() {
    let h = Harness::start().await;
    let no = order_no("FE");
    h.fail_next(1, "error").await;
    let result = h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 100)).await;
    assert!(matches!(result, Err(ChannelError::Declined { ref code, .. }) if code == "SYSTEM_ERROR"), "{result:?}");
    assert_eq!(h.channel.query(&h.ctx, &no).await.expect("query").state, TradeState::NotFound);
    // The fault was used up: the next call goes through.
    assert!(h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 100)).await.is_ok());
}

#[tokio::test]
async fn timeout_on_create_is_unknown_and_the_order_exists_once() {
    let impatient = reqwest::Client::builder().timeout(Duration::from_secs(1)).build().expect("client");
    let h = Harness::start_with(impatient).await;
    let no = order_no("FT");
    h.fail_next(1, "timeout").await;
    let started = Instant::now();
    let result = h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 100)).await;
    assert!(matches!(result, Err(ChannelError::Unknown(_))), "{result:?}");
    assert!(result.as_ref().err().is_some_and(ChannelError::money_may_have_moved));
    assert!(started.elapsed() < Duration::from_secs(5), "the client gave up, it did not wait 15 s");

    // The sandbox performed it: the trade exists, and creating again returns the same one.
    assert_eq!(h.channel.query(&h.ctx, &no).await.expect("query").state, TradeState::NotPaid);
    let first = h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 100)).await.expect("create again");
    let second = h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 100)).await.expect("and again");
    assert_eq!(first.pay_data, second.pay_data, "one trade, one code_url");
}

fn unknown<T: std::fmt::Debug>(result: Result<T, ChannelError>) {
    assert!(matches!(result, Err(ChannelError::Unknown(_))), "the outcome is unknown: {result:?}");
}

#[tokio::test]
async fn a_lost_reply_leaves_the_outcome_unknown_but_the_operation_happened() {
    let h = Harness::start().await;
    let started = Instant::now();

    let no = order_no("LR");
    h.fail_next(1, "lost_reply").await;
    unknown(h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 1000)).await);
    assert_eq!(h.channel.query(&h.ctx, &no).await.expect("query").state, TradeState::NotPaid, "created");

    assert_eq!(h.simulate_pay(&no).await, 200);
    let refund_no = order_no("LRR");
    let refund = RefundRequest {
        order_no: no.clone(),
        channel_trade_no: None,
        refund_no: refund_no.clone(),
        order_amount: Money(1000),
        amount: Money(400),
        reason: None,
    };
    h.fail_next(1, "lost_reply").await;
    unknown(h.channel.refund(&h.ctx, &refund).await);
    let made = h.channel.refund_query(&h.ctx, &no, &refund_no).await.expect("refund query");
    assert_eq!(made.state, RefundState::Succeeded, "the refund was made");

    let open = order_no("LRC");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &open, 100)).await.expect("create");
    h.fail_next(1, "lost_reply").await;
    unknown(h.channel.close(&h.ctx, &open).await);
    assert_eq!(h.channel.query(&h.ctx, &open).await.expect("query").state, TradeState::Closed, "closed");
    assert!(started.elapsed() < Duration::from_secs(5), "cut at once, not a timeout");
}

#[tokio::test]
async fn fault_modes_are_checked() {
    let h = Harness::start().await;
    let (status, body) = h.control("/simulate/fail-next", json!({ "count": 1, "mode": "sometimes" })).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("lost_reply")), "{body}");
}

#[tokio::test]
async fn nothing_listening_is_unreachable() {
    let h = Harness::start().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let ctx = h.ctx_with(json!({ "base_url": format!("http://127.0.0.1:{port}") }), json!({}));
    let result = h.channel.create(&ctx, &order(PayWay::WxNative, &order_no("UR"), 100)).await;
    assert!(matches!(result, Err(ChannelError::Unreachable(_))), "{result:?}");
}

#[tokio::test]
async fn requests_signed_with_a_wrong_key_are_refused() {
    let h = Harness::start().await;
    let (other_key, _) = generate_rsa_pkcs8_pem(2048).expect("key");
    let ctx = h.ctx_with(json!({}), json!({ "private_key_pem": other_key.expose() }));
    let result = h.channel.create(&ctx, &order(PayWay::WxNative, &order_no("WK"), 100)).await;
    assert!(matches!(result, Err(ChannelError::Declined { ref code, .. }) if code == "SIGN_ERROR"), "{result:?}");

    let wrong_serial = h.ctx_with(json!({ "serial_no": "0123456789ABCDEF" }), json!({}));
    let result = h.channel.create(&wrong_serial, &order(PayWay::WxNative, &order_no("WS"), 100)).await;
    assert!(matches!(result, Err(ChannelError::Declined { ref code, .. }) if code == "SIGN_ERROR"), "{result:?}");

    // No Authorization at all.
    let raw = h.http.get(format!("{}/v3/pay/partner/transactions/out-trade-no/X123456", h.sandbox_url)).send().await;
    let raw = raw.expect("send");
    assert_eq!(raw.status().as_u16(), 401);
    assert!(raw.headers().contains_key("wechatpay-signature"), "error answers are signed too");
    let body: serde_json::Value = raw.json().await.expect("json");
    assert_eq!(body["code"], "SIGN_ERROR");
}

#[tokio::test]
async fn answers_that_do_not_verify_are_unknown() {
    let h = Harness::start().await;
    let (_, other_public) = generate_rsa_pkcs8_pem(2048).expect("key");
    let ctx = h.ctx_with(json!({ "platform_public_key_pem": other_public }), json!({}));
    let no = order_no("UV");
    let result = h.channel.create(&ctx, &order(PayWay::WxNative, &no, 100)).await;
    assert!(matches!(result, Err(ChannelError::Unknown(_))), "never trusted: {result:?}");
    // It was created all the same: exactly why an unverifiable answer is not a decline.
    assert_eq!(h.channel.query(&h.ctx, &no).await.expect("query").state, TradeState::NotPaid);

    let wrong_id = h.ctx_with(json!({ "platform_public_key_id": "PUB_KEY_ID_0199" }), json!({}));
    let result = h.channel.query(&wrong_id, &no).await;
    assert!(matches!(result, Err(ChannelError::Unknown(_))), "{result:?}");
}

#[tokio::test]
async fn foreign_sub_merchants_and_bad_config_are_refused() {
    let h = Harness::start().await;
    let mut ctx = h.ctx.clone();
    if let Some(binding) = ctx.binding.as_mut() {
        binding.sub_merchant_id = "1900000109".into();
    }
    let result = h.channel.create(&ctx, &order(PayWay::WxNative, &order_no("SUB"), 100)).await;
    assert!(matches!(result, Err(ChannelError::Declined { ref code, .. }) if code == "INVALID_REQUEST"), "{result:?}");

    let broken = h.ctx_with(json!({}), json!({ "api_v3_key": "short" }));
    let result = h.channel.query(&broken, &order_no("CFG")).await;
    assert!(matches!(result, Err(ChannelError::Config(_))), "{result:?}");
    let mut no_binding = h.ctx.clone();
    no_binding.binding = None;
    let result = h.channel.query(&no_binding, &order_no("CFG")).await;
    assert!(matches!(result, Err(ChannelError::Config(_))), "{result:?}");
}
