//! Merchant-presented orders: every way's pay_data, idempotent create, query and close.

use super::support::{Harness, order, order_no};
use juhe_adapters::crypto::AwsSigner;
use juhe_domain::channels::{ChannelError, PaymentChannel, TradeState};
use juhe_domain::crypto::Signer;
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;
use serde_json::Value;

/// The service provider's public key, from the provisioned private key.
fn sp_public_pem(h: &Harness) -> (AwsSigner, String) {
    let pem = h.ctx.secrets.expose()["private_key_pem"].as_str().expect("pem").to_owned();
    let signer = AwsSigner::new(&pem).expect("signer");
    let public = signer.platform_rsa_public_pem();
    (signer, public)
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} missing in {v}"))
}

#[tokio::test]
async fn native_is_idempotent_and_queryable_then_closes() {
    let h = Harness::start().await;
    let no = order_no("NAT");
    let created = h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 1234)).await.expect("create");
    let code_url = text(&created.pay_data, "code_url").to_owned();
    assert!(code_url.starts_with("weixin://wxpay/bizpayurl?pr="), "{code_url}");

    let again = h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 1234)).await.expect("same create");
    assert_eq!(again.pay_data["code_url"], code_url, "same parameters → same code_url");
    let conflict = h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 999)).await;
    assert!(
        matches!(conflict, Err(ChannelError::Declined { ref code, .. }) if code == "OUT_TRADE_NO_USED"),
        "{conflict:?}"
    );

    let status = h.channel.query(&h.ctx, &no).await.expect("query");
    assert_eq!(status.state, TradeState::NotPaid);
    assert_eq!(status.amount, Some(Money(1234)));

    h.channel.close(&h.ctx, &no).await.expect("close");
    assert_eq!(h.channel.query(&h.ctx, &no).await.expect("query").state, TradeState::Closed);
    assert_eq!(h.simulate_pay(&no).await, 409, "a closed order cannot be paid");
    h.channel.close(&h.ctx, &no).await.expect("close is idempotent");
}

#[tokio::test]
async fn unknown_order_is_not_found_and_paid_order_cannot_close() {
    let h = Harness::start().await;
    let missing = h.channel.query(&h.ctx, &order_no("NONE")).await.expect("query");
    assert_eq!(missing.state, TradeState::NotFound);

    let no = order_no("PAID");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 500)).await.expect("create");
    assert_eq!(h.simulate_pay(&no).await, 200);
    let paid = h.channel.query(&h.ctx, &no).await.expect("query");
    assert_eq!(paid.state, TradeState::Paid);
    assert!(paid.channel_trade_no.as_deref().is_some_and(|t| t.starts_with("4200") && t.len() == 28));
    assert!(paid.paid_at.is_some());
    let close = h.channel.close(&h.ctx, &no).await;
    assert!(matches!(close, Err(ChannelError::Declined { ref code, .. }) if code == "ORDERPAID"), "{close:?}");
}

#[tokio::test]
async fn jsapi_and_mini_pay_data_carry_a_valid_pay_sign() {
    let h = Harness::start().await;
    let (signer, public) = sp_public_pem(&h);
    let sp_appid = text(&h.ctx.account.config, "sp_appid").to_owned();

    let mut req = order(PayWay::WxJsapi, &order_no("JS"), 100);
    let missing = h.channel.create(&h.ctx, &req).await;
    assert!(matches!(missing, Err(ChannelError::Declined { .. })), "JSAPI needs an openid: {missing:?}");
    req.payer_id = Some("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into());
    let created = h.channel.create(&h.ctx, &req).await.expect("jsapi");
    let js = &created.pay_data["jsapi"];
    assert_eq!(text(js, "appId"), sp_appid);
    assert_eq!(text(js, "signType"), "RSA");
    assert!(text(js, "package").starts_with("prepay_id=wx"));
    let message = format!(
        "{}\n{}\n{}\n{}\n",
        text(js, "appId"),
        text(js, "timeStamp"),
        text(js, "nonceStr"),
        text(js, "package")
    );
    assert!(signer.verify_rsa_sha256_b64(&public, message.as_bytes(), text(js, "paySign")), "paySign verifies");
    assert!(!signer.verify_rsa_sha256_b64(&public, b"other", text(js, "paySign")));

    // Mini-program with the merchant's own app: the payer is a sub_openid, appId the sub_appid.
    let ctx = h.ctx_with_sub_appid(&h.own_sub_appid());
    let mut mini = order(PayWay::WxMini, &order_no("MINI"), 100);
    mini.payer_id = Some("oSubOpenid000000000000000000".into());
    let created = h.channel.create(&ctx, &mini).await.expect("mini");
    let js = &created.pay_data["jsapi"];
    assert_eq!(text(js, "appId"), h.own_sub_appid());
    let message = format!(
        "{}\n{}\n{}\n{}\n",
        text(js, "appId"),
        text(js, "timeStamp"),
        text(js, "nonceStr"),
        text(js, "package")
    );
    assert!(signer.verify_rsa_sha256_b64(&public, message.as_bytes(), text(js, "paySign")));
}

#[tokio::test]
async fn h5_and_app_pay_data() {
    let h = Harness::start().await;
    let (signer, public) = sp_public_pem(&h);

    let created = h.channel.create(&h.ctx, &order(PayWay::WxH5, &order_no("H5"), 100)).await.expect("h5");
    assert!(text(&created.pay_data, "h5_url").starts_with("https://wx.tenpay.com/"));
    let mut no_ip = order(PayWay::WxH5, &order_no("H5"), 100);
    no_ip.client_ip = None;
    let refused = h.channel.create(&h.ctx, &no_ip).await;
    assert!(matches!(refused, Err(ChannelError::Declined { ref code, .. }) if code == "PARAM_ERROR"), "{refused:?}");

    let created = h.channel.create(&h.ctx, &order(PayWay::WxApp, &order_no("APP"), 100)).await.expect("app");
    let app = &created.pay_data["app"];
    assert_eq!(text(app, "package"), "Sign=WXPay");
    assert_eq!(text(app, "partnerid"), h.sub_mchid());
    let message = format!(
        "{}\n{}\n{}\n{}\n",
        text(app, "appid"),
        text(app, "timestamp"),
        text(app, "noncestr"),
        text(app, "prepayid")
    );
    assert!(signer.verify_rsa_sha256_b64(&public, message.as_bytes(), text(app, "sign")));
}

#[tokio::test]
async fn non_wechat_ways_are_unsupported() {
    let h = Harness::start().await;
    let result = h.channel.create(&h.ctx, &order(PayWay::AliQr, &order_no("ALI"), 100)).await;
    assert_eq!(result, Err(ChannelError::Unsupported));
    assert!(h.channel.ways().contains(&PayWay::Barcode));
}
