//! UP_QR: QR apply (idempotent per orderNo), query, payment, void; what the adapter refuses itself.

use crate::support::{order, start};
use juhe_domain::channels::{ChannelCode, ChannelError, PaymentChannel, TradeState};
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;
use serde_json::json;

fn declined_code<T: std::fmt::Debug>(result: Result<T, ChannelError>) -> String {
    match result {
        Err(ChannelError::Declined { code, .. }) => code,
        other => panic!("expected a decline, got {other:?}"),
    }
}

#[tokio::test]
async fn qr_apply_is_idempotent_and_pays() {
    let h = start().await;
    let req = order(1234);
    let created = h.channel.create(&h.ctx, &req).await.expect("qr apply");
    let code_url = created.pay_data["code_url"].as_str().expect("code_url").to_owned();
    assert!(code_url.starts_with(&format!("{}/qr/", h.base)), "{code_url}");

    // The same order again: the same QR code, no second transaction.
    let again = h.channel.create(&h.ctx, &req).await.expect("repeat");
    assert_eq!(again.pay_data, created.pay_data);
    // The same orderNo with other content: a transaction exists under it, so Unknown.
    let mut changed = req.clone();
    changed.amount = Money(999);
    assert!(matches!(h.channel.create(&h.ctx, &changed).await, Err(ChannelError::Unknown(_))));

    let status = h.channel.query(&h.ctx, &req.order_no).await.expect("query");
    assert_eq!((status.state, status.amount, status.paid_at), (TradeState::NotPaid, Some(Money(1234)), None));
    assert!(status.channel_trade_no.is_some());

    // The page behind the QR code shows the order.
    let page = h.http.get(&code_url).send().await.expect("qr page").text().await.expect("html");
    assert!(page.contains("12.34") && page.contains(&req.order_no), "{page}");

    let (code, body) = h.simulate_pay(&req.order_no).await;
    assert_eq!((code, body["orig_resp_code"].as_str()), (200, Some("00")));
    let paid = h.channel.query(&h.ctx, &req.order_no).await.expect("query paid");
    assert_eq!((paid.state, paid.amount), (TradeState::Paid, Some(Money(1234))));
    assert!(paid.paid_at.is_some());
    assert_eq!(paid.channel_trade_no, status.channel_trade_no);

    // Paid: applying again is not a decline (money moved under this orderNo: `12`), and a void
    // is refused (`35`: refund it instead).
    assert!(matches!(h.channel.create(&h.ctx, &req).await, Err(ChannelError::Unknown(_))));
    assert_eq!(declined_code(h.channel.close(&h.ctx, &req.order_no).await), "35");
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 200, "paying twice changes nothing");
}

#[tokio::test]
async fn close_voids_an_unpaid_order() {
    let h = start().await;
    let req = order(100);
    h.channel.create(&h.ctx, &req).await.expect("qr apply");
    h.channel.close(&h.ctx, &req.order_no).await.expect("void");
    h.channel.close(&h.ctx, &req.order_no).await.expect("closing twice is fine");
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::Closed);
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 409);
    // A closed order number cannot be used again.
    assert_eq!(declined_code(h.channel.create(&h.ctx, &req).await), "45");

    // Unknown order numbers: closing is a no-op, querying says NotFound, and the voided number
    // cannot be applied for afterwards.
    h.channel.close(&h.ctx, "NOSUCHORDER1").await.expect("closing an unknown order");
    assert_eq!(h.channel.query(&h.ctx, "NOSUCHORDER2").await.expect("query").state, TradeState::NotFound);
    assert_eq!(h.simulate_pay("NOSUCHORDER3").await.0, 404);
    let mut late = order(100);
    late.order_no = "NOSUCHORDER1".into();
    assert_eq!(declined_code(h.channel.create(&h.ctx, &late).await), "45");
}

#[tokio::test]
async fn unpaid_qr_codes_close_at_pay_timeout() {
    let h = start().await;
    let mut req = order(100);
    req.expire_at = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    h.channel.create(&h.ctx, &req).await.expect("qr apply");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::Closed);
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 409);
}

#[tokio::test]
async fn ways_terminals_and_what_is_refused_before_any_call() {
    let h = start().await;
    assert_eq!(h.channel.code(), ChannelCode::Unionpay);
    assert_eq!(h.channel.ways(), &[PayWay::UpQr, PayWay::Barcode]);
    let mut wechat = order(1);
    wechat.way = PayWay::WxNative;
    assert!(matches!(h.channel.create(&h.ctx, &wechat).await, Err(ChannelError::Unsupported)));
    assert_eq!(declined_code(h.channel.create(&h.ctx, &order(0)).await), "juhe.invalid-amount");
    let mut bad_no = order(1);
    bad_no.order_no = "has/slash".into();
    assert_eq!(declined_code(h.channel.create(&h.ctx, &bad_no).await), "juhe.invalid-order-no");

    // The binding's terminal is sent; the gateway checks its format.
    let mut ctx = h.ctx.clone();
    if let Some(binding) = ctx.binding.as_mut() {
        binding.config = json!({ "term_id": "T0000042" });
    }
    h.channel.create(&ctx, &order(1)).await.expect("terminal T0000042");
    if let Some(binding) = ctx.binding.as_mut() {
        binding.config = json!({ "term_id": "T42" });
    }
    assert_eq!(declined_code(h.channel.create(&ctx, &order(1)).await), "30");

    // No binding: merchant-level calls are a configuration error, not a channel call.
    let mut unbound = h.ctx.clone();
    unbound.binding = None;
    assert!(matches!(h.channel.create(&unbound, &order(1)).await, Err(ChannelError::Config(_))));
    assert!(matches!(h.channel.query(&unbound, "T1").await, Err(ChannelError::Config(_))));
}
