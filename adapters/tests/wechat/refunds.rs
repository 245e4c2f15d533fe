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

/// WeChat's refund answers always carry the whole `amount` object.
const REFUND_AMOUNT_KEYS: [&str; 9] = [
    "currency",
    "discount_refund",
    "from",
    "payer_refund",
    "payer_total",
    "refund",
    "settlement_refund",
    "settlement_total",
    "total",
];

fn keys(value: &serde_json::Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

/// Opens a notification's AEAD_AES_256_GCM resource with the APIv3 key.
fn decrypt_resource(h: &Harness, body: &[u8]) -> serde_json::Value {
    use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    use base64::Engine;
    let envelope: serde_json::Value = serde_json::from_slice(body).expect("envelope");
    let resource = &envelope["resource"];
    let text = |key: &str| resource[key].as_str().expect("resource field").to_owned();
    let api_v3_key = h.ctx.secrets.expose()["api_v3_key"].as_str().expect("api_v3_key").to_owned();
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, api_v3_key.as_bytes()).expect("key"));
    let nonce = Nonce::try_assume_unique_for_key(text("nonce").as_bytes()).expect("nonce");
    let mut sealed = base64::engine::general_purpose::STANDARD.decode(text("ciphertext")).expect("b64");
    let plain = key.open_in_place(nonce, Aad::from(text("associated_data").as_bytes()), &mut sealed).expect("open");
    serde_json::from_slice(plain).expect("resource json")
}

#[tokio::test]
async fn refund_answers_and_notifications_carry_the_amount_object() {
    let h = Harness::start().await;
    let no = order_no("RAM");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 1000)).await.expect("create");
    assert_eq!(h.simulate_pay(&no).await, 200);
    let refund_no = order_no("R");
    let body = serde_json::json!({
        "sub_mchid": h.sub_mchid(), "out_trade_no": no, "out_refund_no": refund_no, "notify_url": h.ctx.notify_url,
        "amount": { "refund": 300, "total": 1000, "currency": "CNY" }
    });
    let created = h.signed("POST", "/v3/refund/domestic/refunds", Some(&body)).await;
    assert_eq!(created.status, 200, "{}", created.json());
    let amount = &created.json()["amount"];
    assert_eq!(keys(amount), REFUND_AMOUNT_KEYS, "{amount}");
    assert_eq!(amount["total"], 1000);
    assert_eq!(amount["refund"], 300);
    assert_eq!(amount["payer_total"], 1000);
    assert_eq!(amount["payer_refund"], 300);
    assert_eq!(amount["settlement_total"], 1000);
    assert_eq!(amount["settlement_refund"], 300);
    assert_eq!(amount["discount_refund"], 0);
    assert_eq!(amount["currency"], "CNY");
    assert_eq!(amount["from"], serde_json::json!([]));

    let query_path = format!("/v3/refund/domestic/refunds/{refund_no}?sub_mchid={}", h.sub_mchid());
    let queried = h.signed("GET", &query_path, None).await.json();
    assert_eq!(keys(&queried["amount"]), REFUND_AMOUNT_KEYS);
    assert_eq!(queried["amount"]["settlement_refund"], 300);

    // The notification's resource lists fewer amount fields, as WeChat's does.
    let notice = decrypt_resource(&h, &h.notification(1).await.body);
    assert_eq!(notice["out_refund_no"], refund_no.as_str());
    assert_eq!(keys(&notice["amount"]), ["payer_refund", "payer_total", "refund", "total"]);
    assert_eq!(notice["amount"]["payer_refund"], 300);
}
