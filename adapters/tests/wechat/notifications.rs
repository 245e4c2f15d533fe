//! Notifications sent by the sandbox, verified and decrypted by the adapter; tampering,
//! wrong signatures and stale timestamps are refused.

use super::support::{Captured, Harness, order, order_no};
use juhe_adapters::crypto::rsa_sign_pkcs8_pem_b64;
use juhe_domain::channels::{
    ChannelError, ChannelNotification, PaymentChannel, RefundRequest, RefundState, TradeState,
};
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;
use time::OffsetDateTime;

/// Re-signs a captured notification with the platform key at `timestamp` (a valid signature).
fn resigned(h: &Harness, captured: &Captured, timestamp: i64) -> Captured {
    let file = h.sandbox_file();
    let key = file["platform_private_key_pem"].as_str().expect("platform key");
    let nonce = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(&captured.body);
    message.push(b'\n');
    let signature = rsa_sign_pkcs8_pem_b64(key, &message).expect("sign");
    captured
        .with_header("wechatpay-timestamp", &timestamp.to_string())
        .with_header("wechatpay-nonce", nonce)
        .with_header("wechatpay-signature", &signature)
}

fn is_bad(result: Result<ChannelNotification, ChannelError>) -> bool {
    matches!(result, Err(ChannelError::BadMessage(_)))
}

#[tokio::test]
async fn payment_and_refund_notifications_verify_and_decrypt() {
    let h = Harness::start().await;
    let no = order_no("NTF");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 2500)).await.expect("create");
    assert_eq!(h.simulate_pay(&no).await, 200);

    let captured = h.notification(0).await;
    assert_eq!(captured.request().header("Wechatpay-Signature-Type"), Some("WECHATPAY2-SHA256-RSA2048"));
    assert!(captured.request().header("Wechatpay-Serial").is_some_and(|s| s.starts_with("PUB_KEY_ID_")));
    let envelope: serde_json::Value = serde_json::from_slice(&captured.body).expect("json");
    assert_eq!(envelope["resource"]["algorithm"], "AEAD_AES_256_GCM");
    assert!(!String::from_utf8_lossy(&captured.body).contains(&no), "the resource is encrypted");

    let parsed = h.channel.parse_notification(&h.ctx, &captured.request()).await.expect("verified");
    let ChannelNotification::Payment { order_no, sub_merchant_id, status } = parsed else {
        panic!("expected a payment, got {parsed:?}");
    };
    assert_eq!(order_no, no);
    assert_eq!(sub_merchant_id, Some(h.sub_mchid()));
    assert_eq!(status.state, TradeState::Paid);
    assert_eq!(status.amount, Some(Money(2500)));
    assert!(status.channel_trade_no.is_some() && status.paid_at.is_some());

    let refund_no = order_no_refund();
    let request = RefundRequest {
        order_no: no.clone(),
        channel_trade_no: status.channel_trade_no.clone(),
        refund_no: refund_no.clone(),
        order_amount: Money(2500),
        amount: Money(500),
        reason: None,
    };
    h.channel.refund(&h.ctx, &request).await.expect("refund");
    let captured = h.notification(1).await;
    let parsed = h.channel.parse_notification(&h.ctx, &captured.request()).await.expect("verified");
    let ChannelNotification::Refund { refund_no: got, order_no: of, amount, status, .. } = parsed else {
        panic!("expected a refund, got {parsed:?}");
    };
    assert_eq!((got, of, amount), (refund_no, no, Some(Money(500))));
    assert_eq!(status.state, RefundState::Succeeded);

    let ack = h.channel.ack(true);
    assert_eq!((ack.status, ack.body.as_str()), (200, r#"{"code":"SUCCESS"}"#));
    let nack = h.channel.ack(false);
    assert_eq!(nack.status, 500);
    assert!(nack.body.contains("\"FAIL\""));
}

fn order_no_refund() -> String {
    order_no("RN")
}

#[tokio::test]
async fn tampered_wrongly_signed_or_stale_notifications_are_refused() {
    let h = Harness::start().await;
    let no = order_no("BAD");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 100)).await.expect("create");
    assert_eq!(h.simulate_pay(&no).await, 200);
    let captured = h.notification(0).await;
    assert!(h.channel.parse_notification(&h.ctx, &captured.request()).await.is_ok());

    let mut tampered = captured.clone();
    let text = String::from_utf8(tampered.body.clone()).expect("utf8").replace("支付成功", "支付失败");
    tampered.body = text.into_bytes();
    assert_ne!(tampered.body, captured.body);
    assert!(is_bad(h.channel.parse_notification(&h.ctx, &tampered.request()).await), "tampered body");

    let wrong_signature = captured.with_header("wechatpay-signature", "bm90IGEgc2lnbmF0dXJl");
    assert!(is_bad(h.channel.parse_notification(&h.ctx, &wrong_signature.request()).await), "wrong signature");

    let wrong_serial = captured.with_header("wechatpay-serial", "PUB_KEY_ID_0000");
    assert!(is_bad(h.channel.parse_notification(&h.ctx, &wrong_serial.request()).await), "unknown key id");

    let now = OffsetDateTime::now_utc().unix_timestamp();
    let fresh = resigned(&h, &captured, now - 10);
    assert!(h.channel.parse_notification(&h.ctx, &fresh.request()).await.is_ok(), "valid re-signature accepted");
    let stale = resigned(&h, &captured, now - 301);
    assert!(is_bad(h.channel.parse_notification(&h.ctx, &stale.request()).await), "old timestamp");
    let future = resigned(&h, &captured, now + 400);
    assert!(is_bad(h.channel.parse_notification(&h.ctx, &future.request()).await), "future timestamp");

    // Signed correctly but not decryptable with our APIv3 key.
    let other_key =
        h.ctx_with(serde_json::json!({}), serde_json::json!({ "api_v3_key": "ffffffffffffffffffffffffffffffff" }));
    assert!(is_bad(h.channel.parse_notification(&other_key, &captured.request()).await), "wrong api_v3_key");

    // A notification must never be believed without its headers.
    let bare = Captured { headers: Vec::new(), body: captured.body.clone() };
    assert!(is_bad(h.channel.parse_notification(&h.ctx, &bare.request()).await), "no headers");
}

#[tokio::test]
async fn a_payment_whose_notification_is_lost_is_paid_but_unannounced() {
    let h = Harness::start().await;
    let no = order_no("LOST");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 700)).await.expect("create");
    assert_eq!(h.simulate_pay_unnotified(&no).await, 200);
    assert_eq!(h.channel.query(&h.ctx, &no).await.expect("query").state, TradeState::Paid, "paid all the same");

    // The next notification sent is the refund's: the payment's never was.
    let refund_no = order_no("LOSTR");
    let request = RefundRequest {
        order_no: no.clone(),
        channel_trade_no: None,
        refund_no: refund_no.clone(),
        order_amount: Money(700),
        amount: Money(100),
        reason: None,
    };
    h.channel.refund(&h.ctx, &request).await.expect("refund");
    let first = h.channel.parse_notification(&h.ctx, &h.notification(0).await.request()).await.expect("verified");
    assert!(matches!(first, ChannelNotification::Refund { refund_no: ref got, .. } if *got == refund_no), "{first:?}");
    assert_eq!(h.notifications_received(), 1);

    // By default the payer's payment is announced.
    let told = order_no("TOLD");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &told, 700)).await.expect("create");
    assert_eq!(h.simulate_pay(&told).await, 200);
    let second = h.channel.parse_notification(&h.ctx, &h.notification(1).await.request()).await.expect("verified");
    assert!(matches!(second, ChannelNotification::Payment { ref order_no, .. } if *order_no == told), "{second:?}");
}
