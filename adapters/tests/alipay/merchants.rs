//! Whom a call is for, as at Alipay: a 直付通 platform's trades must name a secondary merchant it
//! provisioned; an ISV call carries the `app_auth_token` the merchant granted. And the adapter
//! sends what its account's model asks for.

use crate::support::{order, serve, start};
use juhe_adapters::channels::alipay::AlipaySandbox;
use juhe_domain::channels::{ChannelError, PaymentChannel, TradeState};
use juhe_domain::payments::way::PayWay;
use poem::Route;
use serde_json::json;
use std::sync::Arc;

#[tokio::test]
async fn zft_trades_name_a_provisioned_secondary_merchant() {
    let h = start().await;
    let precreate = |biz: serde_json::Value| h.call("alipay.trade.precreate", biz);
    let base = json!({ "out_trade_no": "ZFT0001", "total_amount": "1.00", "subject": "x" });
    let without = precreate(base.clone()).await;
    assert_eq!(without["sub_code"], "ACQ.PLATFORM_BUSINESS_ACQUIRE_MODE_MUST_MERCHANT_ID", "{without}");
    let mut unknown = base.clone();
    unknown["sub_merchant"] = json!({ "merchant_id": "2088000000000000" });
    assert_eq!(precreate(unknown).await["sub_code"], "ACQ.SECONDARY_MERCHANT_ID_INVALID");
    let mut known = base;
    known["sub_merchant"] = json!({ "merchant_id": h.smid() });
    assert_eq!(precreate(known).await["code"], "10000");

    // Through the adapter: a binding whose smid the platform never provisioned is declined.
    let mut stranger = h.ctx.clone();
    stranger.binding.as_mut().expect("binding").sub_merchant_id = "2088000000000001".into();
    match h.channel.create(&stranger, &order(PayWay::AliQr, 100)).await {
        Err(ChannelError::Declined { code, .. }) => assert_eq!(code, "ACQ.SECONDARY_MERCHANT_ID_INVALID"),
        other => panic!("unprovisioned smid: {other:?}"),
    }
    // ZFT ignores a binding's app_auth_token (the platform trades on its own app).
    let mut with_token = h.ctx.clone();
    with_token.binding.as_mut().expect("binding").config = json!({ "app_auth_token": "202501BBforeign" });
    h.channel.create(&with_token, &order(PayWay::AliQr, 100)).await.expect("zft order");
}

#[tokio::test]
async fn provisioned_merchants_survive_a_restart() {
    let h = start().await;
    let isv = h.isv_ctx();
    // The same sandbox directory served again, as after a restart.
    let again = Arc::new(AlipaySandbox::load_or_create(h.dir.path()).expect("reload"));
    let addr = serve(Route::new().nest("/sandbox/alipay", again.routes())).await;
    let gateway = json!(format!("http://{addr}/sandbox/alipay/gateway.do"));
    for ctx in [h.ctx.clone(), isv] {
        let mut ctx = ctx;
        ctx.account.config["gateway"] = gateway.clone();
        h.channel.create(&ctx, &order(PayWay::AliQr, 100)).await.expect("known after restart");
    }
}

#[tokio::test]
async fn isv_calls_act_for_the_merchant_that_granted_the_token() {
    let h = start().await;
    let isv = h.isv_ctx();
    // No sub_merchant needed: the trade is the merchant's own.
    let mut req = order(PayWay::AliJsapi, 700);
    req.payer_id = Some("2088102169481075".into());
    h.channel.create(&isv, &req).await.expect("isv create");
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 200);
    assert_eq!(h.channel.query(&isv, &req.order_no).await.expect("query").state, TradeState::Paid);
    // The platform's own app (no token) does not see the merchant's trade: the token was sent.
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::NotFound);

    // An ISV binding without the merchant's token cannot act for it; a model juhe does not know.
    let mut no_token = isv.clone();
    no_token.binding.as_mut().expect("binding").config = json!({});
    assert!(matches!(h.channel.query(&no_token, &req.order_no).await, Err(ChannelError::Config(_))));
    let mut unknown_model = h.ctx.clone();
    unknown_model.account.config["model"] = json!("direct");
    assert!(matches!(h.channel.query(&unknown_model, &req.order_no).await, Err(ChannelError::Config(_))));
}
