//! A sub-merchant's own app (`sub_appid`) is provisioned with it; WeChat refuses a `sub_appid`
//! that is not the sub-merchant's. The adapter sends the binding's (matching) one, or none, on
//! every way.

use super::support::{Harness, order, order_no};
use juhe_domain::channels::{BarcodePay, ChannelError, PaymentChannel, RefundRequest, ReverseOutcome, TradeState};
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;
use juhe_domain::secret::Secret;

fn param_error<T: std::fmt::Debug>(result: Result<T, ChannelError>) {
    assert!(matches!(result, Err(ChannelError::Declined { ref code, .. }) if code == "PARAM_ERROR"), "{result:?}");
}

fn barcode(no: &str) -> BarcodePay {
    BarcodePay {
        order_no: no.to_owned(),
        amount: Money(300),
        subject: "收银台".into(),
        auth_code: Secret::new("134567890123450000".into()),
        store_id: None,
        client_ip: None,
    }
}

#[tokio::test]
async fn each_sub_merchant_has_its_own_app() {
    let h = Harness::start().await;
    let own = h.own_sub_appid();
    assert!(own.starts_with("wx") && own.len() == 18, "{own}");
    let other = h.sandbox.provision_sub_merchant();
    assert_ne!(h.sandbox.sub_appid(&other), Some(own));
    assert_eq!(h.sandbox.sub_appid("1900000109"), None, "not a sub-merchant of this sandbox");
}

#[tokio::test]
async fn a_foreign_sub_appid_is_refused_and_nothing_is_created() {
    let h = Harness::start().await;
    let other_app = h.sandbox.sub_appid(&h.sandbox.provision_sub_merchant()).expect("app");
    let ctx = h.ctx_with_sub_appid(&other_app);

    let native = order_no("FSA");
    param_error(h.channel.create(&ctx, &order(PayWay::WxNative, &native, 100)).await);
    assert_eq!(h.channel.query(&h.ctx, &native).await.expect("query").state, TradeState::NotFound);
    let mut jsapi = order(PayWay::WxJsapi, &order_no("FSA"), 100);
    jsapi.payer_id = Some("oSubOpenid000000000000000000".into());
    param_error(h.channel.create(&ctx, &jsapi).await);
    let bar = order_no("FSA");
    param_error(h.channel.barcode_pay(&ctx, &barcode(&bar)).await);
    assert_eq!(h.channel.query(&h.ctx, &bar).await.expect("query").state, TradeState::NotFound);

    // Reverse checks it too: a paid barcode trade stays paid.
    let paid = order_no("FSA");
    h.channel.barcode_pay(&h.ctx, &barcode(&paid)).await.expect("paid without sub_appid");
    param_error(h.channel.reverse(&ctx, &paid).await);
    assert_eq!(h.channel.query(&h.ctx, &paid).await.expect("query").state, TradeState::Paid);
}

#[tokio::test]
async fn the_sub_merchants_own_app_works_on_every_way() {
    let h = Harness::start().await;
    let own = h.own_sub_appid();
    let ctx = h.ctx_with_sub_appid(&own);
    for way in [PayWay::WxJsapi, PayWay::WxMini, PayWay::WxNative, PayWay::WxH5, PayWay::WxApp] {
        let mut req = order(way, &order_no("OSA"), 100);
        req.payer_id = Some("oSubOpenid000000000000000000".into());
        let created = h.channel.create(&ctx, &req).await.unwrap_or_else(|e| panic!("{way:?}: {e:?}"));
        let app_id = match way {
            PayWay::WxJsapi | PayWay::WxMini => created.pay_data["jsapi"]["appId"].as_str(),
            PayWay::WxApp => created.pay_data["app"]["appid"].as_str(),
            _ => Some(own.as_str()),
        };
        assert_eq!(app_id, Some(own.as_str()), "{way:?} pays in the sub-merchant's app");
        h.channel.close(&ctx, &req.order_no).await.expect("close");
    }

    let paid = order_no("OSA");
    assert_eq!(h.channel.barcode_pay(&ctx, &barcode(&paid)).await.expect("barcode").state, TradeState::Paid);
    let refund = RefundRequest {
        order_no: paid.clone(),
        channel_trade_no: None,
        refund_no: order_no("OSR"),
        order_amount: Money(300),
        amount: Money(100),
        reason: None,
    };
    h.channel.refund(&ctx, &refund).await.expect("refund");
    let reversible = order_no("OSA");
    h.channel.barcode_pay(&ctx, &barcode(&reversible)).await.expect("barcode");
    assert_eq!(h.channel.reverse(&ctx, &reversible).await.expect("reverse"), ReverseOutcome::Reversed);
}
