//! Every merchant-presented way, its pay_data, and query / close against the sandbox.

use crate::support::{order, start};
use juhe_domain::channels::{ChannelError, PaymentChannel, TradeState};
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;
use serde_json::json;

#[tokio::test]
async fn qr_precreate_is_idempotent_and_pays() {
    let h = start().await;
    let req = order(PayWay::AliQr, 1234);
    let created = h.channel.create(&h.ctx, &req).await.expect("precreate");
    let code_url = created.pay_data["code_url"].as_str().expect("code_url").to_owned();
    assert!(code_url.starts_with(&format!("{}/qr/", h.base)), "{code_url}");
    assert_eq!(created.channel_trade_no, None);

    // The same order again: the same QR code, no second trade.
    let again = h.channel.create(&h.ctx, &req).await.expect("repeat precreate");
    assert_eq!(again.pay_data, created.pay_data);
    // The same out_trade_no with other content is not a new trade: a trade exists, so Unknown.
    let mut changed = req.clone();
    changed.amount = Money(999);
    assert!(matches!(h.channel.create(&h.ctx, &changed).await, Err(ChannelError::Unknown(_))));

    // Nobody scanned the code yet: Alipay does not know the trade.
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::NotFound);

    // The payer scans: the cashier page behind the QR code shows the order, escaped.
    let page = h.scan(&code_url).await;
    assert!(page.contains("测试商品 &amp; test") && page.contains("12.34"), "{page}");
    let status = h.channel.query(&h.ctx, &req.order_no).await.expect("query");
    assert_eq!((status.state, status.amount), (TradeState::NotPaid, Some(Money(1234))));
    assert!(status.channel_trade_no.is_some());

    let (code, body) = h.simulate_pay(&req.order_no).await;
    assert_eq!((code, body["trade_status"].as_str()), (200, Some("TRADE_SUCCESS")));
    let paid = h.channel.query(&h.ctx, &req.order_no).await.expect("query paid");
    assert_eq!(paid.state, TradeState::Paid);
    assert!(paid.paid_at.is_some());
    assert_eq!(paid.channel_trade_no, status.channel_trade_no);

    // Paid: creating again is not a decline (money moved), closing is refused.
    assert!(matches!(h.channel.create(&h.ctx, &req).await, Err(ChannelError::Unknown(_))));
    match h.channel.close(&h.ctx, &req.order_no).await {
        Err(ChannelError::Declined { code, .. }) => assert_eq!(code, "ACQ.TRADE_STATUS_ERROR"),
        other => panic!("close of a paid trade: {other:?}"),
    }
}

#[tokio::test]
async fn jsapi_create_takes_buyer_id_or_open_id() {
    let h = start().await;
    let mut req = order(PayWay::AliJsapi, 100);
    req.payer_id = Some("2088102169481075".into());
    let created = h.channel.create(&h.ctx, &req).await.expect("create");
    let trade_no = created.pay_data["trade_no"].as_str().expect("trade_no");
    assert_eq!(created.channel_trade_no.as_deref(), Some(trade_no));

    let mut open_id = order(PayWay::AliJsapi, 100);
    open_id.payer_id = Some("074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5".into());
    assert!(h.channel.create(&h.ctx, &open_id).await.expect("create with open id").pay_data["trade_no"].is_string());

    let missing = order(PayWay::AliJsapi, 100);
    assert!(matches!(h.channel.create(&h.ctx, &missing).await, Err(ChannelError::Declined { .. })));

    // Close an unpaid trade; paying it afterwards is refused by the sandbox.
    h.channel.close(&h.ctx, &req.order_no).await.expect("close");
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::Closed);
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 409);
}

#[tokio::test]
async fn wap_url_opens_the_cashier_and_creates_the_trade() {
    let h = start().await;
    let req = order(PayWay::AliWap, 2000);
    let created = h.channel.create(&h.ctx, &req).await.expect("wap");
    let url = created.pay_data["h5_url"].as_str().expect("h5_url");
    assert!(url.starts_with(&format!("{}/gateway.do?", h.base)), "{url}");
    // As at Alipay, the trade exists once the payer opens the page.
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::NotFound);
    let page = h.http.get(url).send().await.expect("open h5_url");
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.expect("html").contains("20.00"));
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::NotPaid);
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 200);
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::Paid);
}

#[tokio::test]
async fn app_order_string_is_signed_for_the_gateway() {
    let h = start().await;
    let req = order(PayWay::AliApp, 1);
    let created = h.channel.create(&h.ctx, &req).await.expect("app");
    let order_string = created.pay_data["app"]["order_string"].as_str().expect("order_string").to_owned();
    assert!(order_string.contains("method=alipay.trade.app.pay") && order_string.contains("&sign="));
    // What the Alipay app does with it: submit it to the gateway.
    let answer: serde_json::Value = h
        .http
        .post(format!("{}/gateway.do", h.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(order_string)
        .send()
        .await
        .expect("submit")
        .json()
        .await
        .expect("json");
    assert_eq!(answer["alipay_trade_app_pay_response"]["code"], "10000", "{answer}");
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::NotPaid);
}

#[tokio::test]
async fn unknown_trades_unsupported_ways_and_foreign_tokens() {
    let h = start().await;
    assert_eq!(h.channel.query(&h.ctx, "NOSUCHORDER1").await.expect("query").state, TradeState::NotFound);
    // Nothing to close is not a close: the caller decides what a trade Alipay lacks means.
    match h.channel.close(&h.ctx, "NOSUCHORDER2").await {
        Err(ChannelError::Declined { code, .. }) => assert_eq!(code, "ACQ.TRADE_NOT_EXIST"),
        other => panic!("close of an unknown trade: {other:?}"),
    }
    assert_eq!(h.simulate_pay("NOSUCHORDER3").await.0, 404);
    assert!(matches!(h.channel.create(&h.ctx, &order(PayWay::WxNative, 1)).await, Err(ChannelError::Unsupported)));
    assert_eq!(h.channel.ways(), &[PayWay::AliQr, PayWay::AliJsapi, PayWay::AliWap, PayWay::AliApp, PayWay::Barcode]);

    // ISV model: the binding's app_auth_token is sent; the sandbox never issued this one.
    let mut ctx = h.isv_ctx();
    if let Some(binding) = ctx.binding.as_mut() {
        binding.config = json!({ "app_auth_token": "202501BBforeign" });
    }
    match h.channel.create(&ctx, &order(PayWay::AliQr, 1)).await {
        Err(ChannelError::Declined { code, .. }) => assert_eq!(code, "aop.invalid-app-auth-token"),
        other => panic!("foreign app_auth_token: {other:?}"),
    }

    // No binding: merchant-level creation is a configuration error, not a channel call.
    let mut unbound = h.ctx.clone();
    unbound.binding = None;
    assert!(matches!(h.channel.create(&unbound, &order(PayWay::AliQr, 1)).await, Err(ChannelError::Config(_))));
}
