//! Real-format notifications from the sandbox, verified by `parse_notification`; anything
//! tampered with, wrongly signed, signed by another certificate or for another acquirer code is a
//! `BadMessage`.

use crate::support::{Received, barcode, form, next, order, payer_code, receiver, sign, start_with_notify_url};
use juhe_adapters::crypto::generate_rsa_pkcs8_pem;
use juhe_domain::channels::{
    Ack, ChannelError, ChannelNotification, InboundRequest, PaymentChannel, RefundRequest, RefundState, TradeState,
};
use juhe_domain::money::Money;
use serde_json::json;
use std::collections::BTreeMap;

fn inbound((headers, body): &Received) -> InboundRequest<'_> {
    InboundRequest { headers, body }
}

fn fields(body: &[u8]) -> BTreeMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// Rewrites one form field of a notification body (the signature left as it was).
fn with_field(body: &[u8], key: &str, value: &str) -> Vec<u8> {
    let mut fields = fields(body);
    fields.insert(key.to_owned(), value.to_owned());
    form(&fields).into_bytes()
}

#[tokio::test]
async fn payment_and_refund_notifications_verify() {
    let (url, mut rx) = receiver(200).await;
    let h = start_with_notify_url(&url).await;
    let req = order(4321);
    h.channel.create(&h.ctx, &req).await.expect("qr apply");
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 200);

    let received = next(&mut rx).await;
    let content_type = received.0.iter().find(|(k, _)| k == "content-type").map(|(_, v)| v.as_str());
    assert!(content_type.is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")));
    assert_eq!(fields(&received.1).get("reqType").map(String::as_str), Some("0250000903"));
    match h.channel.parse_notification(&h.ctx, &inbound(&received)).await.expect("verifies") {
        ChannelNotification::Payment { order_no, sub_merchant_id, status } => {
            assert_eq!((order_no, sub_merchant_id), (req.order_no.clone(), Some(h.mer_id())));
            assert_eq!((status.state, status.amount), (TradeState::Paid, Some(Money(4321))));
            assert!(status.paid_at.is_some() && status.channel_trade_no.is_some());
        }
        other => panic!("expected a payment notification: {other:?}"),
    }

    // Tampered amount, forged signature, another certId, a repeated field, not a form at all.
    let body = &received.1;
    let repeated = [body.as_slice(), b"&txnAmt=1"].concat();
    for bad in [
        with_field(body, "txnAmt", "1"),
        with_field(body, "signature", &"QUJD".repeat(86)),
        with_field(body, "certId", "69999999999"),
        repeated,
        b"not a form".to_vec(),
    ] {
        let bad = (received.0.clone(), bad);
        let result = h.channel.parse_notification(&h.ctx, &inbound(&bad)).await;
        assert!(matches!(result, Err(ChannelError::BadMessage(_))), "{result:?}");
    }
    // Wrongly signed: a tampered notification re-signed with a key that is not UnionPay's.
    let (forger_key, _) = generate_rsa_pkcs8_pem(2048).expect("key");
    let mut forged = fields(body);
    forged.insert("txnAmt".into(), "1".into());
    sign(&mut forged, forger_key.expose());
    let forged = (received.0.clone(), form(&forged).into_bytes());
    let result = h.channel.parse_notification(&h.ctx, &inbound(&forged)).await;
    assert!(matches!(result, Err(ChannelError::BadMessage(_))), "{result:?}");
    // A genuine notification for another institution of ours is not for this account.
    let mut other_institution = h.ctx.clone();
    other_institution.account.config["acq_code"] = json!("49999999");
    let result = h.channel.parse_notification(&other_institution, &inbound(&received)).await;
    assert!(matches!(result, Err(ChannelError::BadMessage(_))), "{result:?}");

    // A refund is notified too, naming the refund and its order.
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
    // Callbacks are checked without a binding (the account's callback URL).
    let mut account_only = h.ctx.clone();
    account_only.binding = None;
    match h.channel.parse_notification(&account_only, &inbound(&received)).await.expect("verifies") {
        ChannelNotification::Refund { refund_no, order_no, sub_merchant_id, amount, status } => {
            assert_eq!((refund_no.as_str(), order_no.as_str()), ("RF1", req.order_no.as_str()));
            assert_eq!((sub_merchant_id, amount), (Some(h.mer_id()), Some(Money(21))));
            assert_eq!(status.state, RefundState::Succeeded);
            assert!(status.succeeded_at.is_some() && status.channel_refund_no.is_some());
        }
        other => panic!("expected a refund notification: {other:?}"),
    }
}

#[tokio::test]
async fn barcode_payments_are_notified() {
    let (url, mut rx) = receiver(200).await;
    let h = start_with_notify_url(&url).await;
    let req = barcode(&payer_code("1111"), 66);
    h.channel.barcode_pay(&h.ctx, &req).await.expect("paying");
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 200);
    let received = next(&mut rx).await;
    match h.channel.parse_notification(&h.ctx, &inbound(&received)).await.expect("verifies") {
        ChannelNotification::Payment { order_no, status, .. } => {
            assert_eq!((order_no, status.state, status.amount), (req.order_no, TradeState::Paid, Some(Money(66))));
        }
        other => panic!("expected a payment notification: {other:?}"),
    }
}

#[tokio::test]
async fn notifications_are_retried_until_http_200() {
    let (url, mut rx) = receiver(500).await;
    let h = start_with_notify_url(&url).await;
    let req = order(1);
    h.channel.create(&h.ctx, &req).await.expect("qr apply");
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 200);
    let first = next(&mut rx).await;
    let second = next(&mut rx).await;
    assert_eq!(first.1, second.1, "the same signed notification again");
    assert_eq!(fields(&first.1).get("orderNo"), Some(&req.order_no));
}

#[test]
fn acks_are_http_status_first() {
    let channel = juhe_adapters::channels::unionpay::UnionpayChannel::new(reqwest::Client::new());
    assert_eq!(channel.ack(true), Ack { status: 200, content_type: "text/plain", body: "ok".into() });
    let nack = channel.ack(false);
    assert_eq!((nack.status, nack.body.as_str()), (500, "fail"));
}

#[tokio::test]
async fn simulate_pay_can_keep_the_notification_back() {
    let (url, mut rx) = receiver(200).await;
    let h = start_with_notify_url(&url).await;
    let quiet = order(100);
    h.channel.create(&h.ctx, &quiet).await.expect("qr apply");
    let (status, _) = h.control("/simulate/pay", json!({ "out_trade_no": quiet.order_no, "notify": false })).await;
    assert_eq!(status, 200);
    assert_eq!(h.channel.query(&h.ctx, &quiet.order_no).await.expect("query").state, TradeState::Paid);
    // The next notification to arrive is the other order's: none was sent for the quiet one.
    let loud = order(100);
    h.channel.create(&h.ctx, &loud).await.expect("qr apply");
    assert_eq!(h.simulate_pay(&loud.order_no).await.0, 200);
    let received = next(&mut rx).await;
    assert_eq!(fields(&received.1).get("orderNo"), Some(&loud.order_no));
    assert!(tokio::time::timeout(std::time::Duration::from_millis(1500), rx.recv()).await.is_err(), "nothing else");
}
