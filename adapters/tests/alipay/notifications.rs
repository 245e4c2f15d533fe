//! Real-format notifications from the sandbox, verified by `parse_notification`; anything tampered
//! with, wrongly signed or for another app is a `BadMessage`.

use crate::support::{Received, next, order, receiver, start_with_notify_url};
use juhe_domain::channels::{
    Ack, ChannelError, ChannelNotification, InboundRequest, PaymentChannel, RefundRequest, RefundState, TradeState,
};
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;
use serde_json::json;

fn inbound((headers, body): &Received) -> InboundRequest<'_> {
    InboundRequest { headers, body }
}

/// Rewrites one form field of a notification body.
fn with_field(body: &[u8], key: &str, value: &str) -> Vec<u8> {
    let pairs = form_urlencoded::parse(body)
        .map(|(k, v)| if k == key { (k.into_owned(), value.to_owned()) } else { (k.into_owned(), v.into_owned()) });
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish().into_bytes()
}

#[tokio::test]
async fn payment_and_refund_notifications_verify() {
    let (url, mut rx) = receiver("success").await;
    let h = start_with_notify_url(&url).await;
    let req = order(PayWay::AliQr, 4321);
    h.channel.create(&h.ctx, &req).await.expect("precreate");
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 200);

    let received = next(&mut rx).await;
    let content_type = received.0.iter().find(|(k, _)| k == "content-type").map(|(_, v)| v.as_str());
    assert!(content_type.is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")));
    match h.channel.parse_notification(&h.ctx, &inbound(&received)).await.expect("verifies") {
        ChannelNotification::Payment { order_no, status, .. } => {
            assert_eq!(order_no, req.order_no);
            assert_eq!((status.state, status.amount), (TradeState::Paid, Some(Money(4321))));
            assert!(status.paid_at.is_some() && status.channel_trade_no.is_some());
        }
        other => panic!("expected a payment notification: {other:?}"),
    }

    // Tampered amount, forged signature, RSA (SHA-1) sign type, repeated field: all refused.
    let body = &received.1;
    let forged_sign = "QUJD".repeat(86);
    let repeated = [body.as_slice(), b"&total_amount=0.01"].concat();
    for bad in [
        with_field(body, "total_amount", "0.01"),
        with_field(body, "sign", &forged_sign),
        with_field(body, "sign_type", "RSA"),
        repeated,
        b"not a form".to_vec(),
    ] {
        let bad = (received.0.clone(), bad);
        let result = h.channel.parse_notification(&h.ctx, &inbound(&bad)).await;
        assert!(matches!(result, Err(ChannelError::BadMessage(_))), "{result:?}");
    }
    // A genuine notification for another app of ours is not for this account.
    let mut other_app = h.ctx.clone();
    other_app.account.config["app_id"] = json!("2021000000000001");
    let result = h.channel.parse_notification(&other_app, &inbound(&received)).await;
    assert!(matches!(result, Err(ChannelError::BadMessage(_))), "{result:?}");

    // A refund is notified too, naming the refund.
    let refund = RefundRequest {
        order_no: req.order_no.clone(),
        channel_trade_no: None,
        refund_no: "RF1".into(),
        order_amount: Money(4321),
        amount: Money(21),
        reason: None,
    };
    h.channel.refund(&h.ctx, &refund).await.expect("refund");
    let received = next(&mut rx).await;
    match h.channel.parse_notification(&h.ctx, &inbound(&received)).await.expect("verifies") {
        ChannelNotification::Refund { refund_no, order_no, status, .. } => {
            assert_eq!((refund_no.as_str(), order_no.as_str()), ("RF1", req.order_no.as_str()));
            assert_eq!(status.state, RefundState::Succeeded);
        }
        other => panic!("expected a refund notification: {other:?}"),
    }
}

#[tokio::test]
async fn notifications_are_retried_until_success() {
    let (url, mut rx) = receiver("fail").await;
    let h = start_with_notify_url(&url).await;
    let req = order(PayWay::AliQr, 1);
    h.channel.create(&h.ctx, &req).await.expect("precreate");
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 200);
    let first = next(&mut rx).await;
    let second = next(&mut rx).await;
    let id =
        |r: &Received| form_urlencoded::parse(&r.1).find(|(k, _)| k == "out_trade_no").map(|(_, v)| v.into_owned());
    assert_eq!(id(&first), id(&second));
    assert_eq!(id(&first).as_deref(), Some(req.order_no.as_str()));
}

#[test]
fn acks_are_plain_text() {
    let channel = juhe_adapters::channels::alipay::AlipayChannel::new(reqwest::Client::new());
    assert_eq!(channel.ack(true), Ack { status: 200, content_type: "text/plain", body: "success".into() });
    assert_eq!(channel.ack(false).body, "fail");
}
