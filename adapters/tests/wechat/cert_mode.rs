//! Platform-certificate mode: the sandbox signs with a certificate's key and names its serial;
//! the adapter picks the certificate by `Wechatpay-Serial`, and refuses unknown serials,
//! expired certificates and certificates of another key.

use super::support::{Harness, order, order_no};
use juhe_adapters::crypto::generate_rsa_pkcs8_pem;
use juhe_domain::channels::{ChannelError, ChannelNotification, PaymentChannel, TradeState};
use juhe_domain::payments::way::PayWay;
use serde_json::json;

const KEY: &str = include_str!("fixtures/platform_key.pem");
const CERT: &str = include_str!("fixtures/platform_cert.pem");
const SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
const EXPIRED_CERT: &str = include_str!("fixtures/expired_cert.pem");
const EXPIRED_SERIAL: &str = "3775B6A45ACD40E3B4E3E7C3A1D2F0A9C8B7D601";
const OTHER_KEY_CERT: &str = include_str!("fixtures/other_key_cert.pem");

fn unknown_with<T: std::fmt::Debug>(result: Result<T, ChannelError>, why: &str) {
    match result {
        Err(ChannelError::Unknown(reason)) => assert!(reason.contains(why), "{reason}"),
        other => panic!("expected Unknown({why}…), got {other:?}"),
    }
}

fn bad_with<T: std::fmt::Debug>(result: Result<T, ChannelError>, why: &str) {
    match result {
        Err(ChannelError::BadMessage(reason)) => assert!(reason.contains(why), "{reason}"),
        other => panic!("expected BadMessage({why}…), got {other:?}"),
    }
}

#[tokio::test]
async fn answers_and_notifications_verify_with_a_platform_certificate() {
    let h = Harness::start_with_certificate(KEY, CERT).await;
    assert!(h.ctx.account.config.get("platform_public_key_id").is_none(), "certificate mode alone");
    let no = order_no("CRT");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 300)).await.expect("create verifies");
    assert_eq!(h.simulate_pay(&no).await, 200);

    let captured = h.notification(0).await;
    assert_eq!(captured.request().header("Wechatpay-Serial"), Some(SERIAL));
    let parsed = h.channel.parse_notification(&h.ctx, &captured.request()).await.expect("verified");
    assert!(matches!(parsed, ChannelNotification::Payment { ref order_no, .. } if *order_no == no), "{parsed:?}");
    assert_eq!(h.channel.query(&h.ctx, &no).await.expect("query").state, TradeState::Paid);

    // Both modes at once (WeChat's migration): the serial picks the certificate; a rotated-out
    // (expired) certificate beside the current one does no harm.
    let (_, other_public) = generate_rsa_pkcs8_pem(2048).expect("key");
    let both = h.ctx_with(
        json!({
            "platform_public_key_id": "PUB_KEY_ID_0114000000000000000000000000000000",
            "platform_public_key_pem": other_public,
            "platform_certificates": [
                { "serial_no": EXPIRED_SERIAL, "certificate_pem": EXPIRED_CERT },
                { "serial_no": SERIAL.to_lowercase(), "certificate_pem": CERT },
            ],
        }),
        json!({}),
    );
    assert_eq!(h.channel.query(&both, &no).await.expect("query").state, TradeState::Paid);
    assert!(h.channel.parse_notification(&both, &captured.request()).await.is_ok());
    // …and a public-key id the account does not have is still unknown.
    let pub_id = captured.with_header("wechatpay-serial", "PUB_KEY_ID_0114000000000000000000000000000001");
    bad_with(h.channel.parse_notification(&both, &pub_id.request()).await, "unknown key");
}

#[tokio::test]
async fn public_key_mode_stays_the_default_and_may_carry_certificates() {
    let h = Harness::start().await;
    let id = h.ctx.account.config["platform_public_key_id"].as_str().expect("public-key mode").to_owned();
    let no = order_no("PKM");
    let both =
        h.ctx_with(json!({ "platform_certificates": [{ "serial_no": SERIAL, "certificate_pem": CERT }] }), json!({}));
    h.channel.create(&both, &order(PayWay::WxNative, &no, 100)).await.expect("create");
    assert_eq!(h.simulate_pay(&no).await, 200);
    let captured = h.notification(0).await;
    assert_eq!(captured.request().header("Wechatpay-Serial"), Some(id.as_str()));
    assert!(h.channel.parse_notification(&both, &captured.request()).await.is_ok());
}

#[tokio::test]
async fn an_unknown_serial_is_refused() {
    let h = Harness::start_with_certificate(KEY, CERT).await;
    let no = order_no("UKS");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 100)).await.expect("create");
    // The account knows only another certificate: the sandbox's serial names nothing it trusts.
    let other = h.ctx_with(
        json!({ "platform_certificates": [{ "serial_no": EXPIRED_SERIAL, "certificate_pem": EXPIRED_CERT }] }),
        json!({}),
    );
    unknown_with(h.channel.query(&other, &no).await, "unknown key");

    assert_eq!(h.simulate_pay(&no).await, 200);
    let captured = h.notification(0).await;
    bad_with(h.channel.parse_notification(&other, &captured.request()).await, "unknown key");
    let renamed = captured.with_header("wechatpay-serial", "0123456789ABCDEF0123456789ABCDEF01234567");
    bad_with(h.channel.parse_notification(&h.ctx, &renamed.request()).await, "unknown key");
}

#[tokio::test]
async fn an_expired_certificate_is_refused() {
    let h = Harness::start_with_certificate(KEY, EXPIRED_CERT).await;
    assert_eq!(h.ctx.account.config["platform_certificates"][0]["serial_no"], EXPIRED_SERIAL);
    let no = order_no("EXP");
    unknown_with(h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 100)).await, "expired");
    // Created all the same (an unverifiable answer is no decline): its notification is refused too.
    assert_eq!(h.simulate_pay(&no).await, 200);
    let captured = h.notification(0).await;
    bad_with(h.channel.parse_notification(&h.ctx, &captured.request()).await, "expired");
}

#[tokio::test]
async fn a_certificate_of_another_key_is_refused() {
    let h = Harness::start_with_certificate(KEY, CERT).await;
    let no = order_no("OKC");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 100)).await.expect("create");
    let other = h.ctx_with(
        json!({ "platform_certificates": [{ "serial_no": SERIAL, "certificate_pem": OTHER_KEY_CERT }] }),
        json!({}),
    );
    unknown_with(h.channel.query(&other, &no).await, "does not verify");
    assert_eq!(h.simulate_pay(&no).await, 200);
    let captured = h.notification(0).await;
    bad_with(h.channel.parse_notification(&other, &captured.request()).await, "does not verify");
}

#[tokio::test]
async fn certificate_config_is_checked() {
    let h = Harness::start_with_certificate(KEY, CERT).await;
    let no = order_no("CFG");
    let config = |patch| h.ctx_with(patch, json!({}));
    for bad in [
        json!({ "platform_certificates": [{ "serial_no": EXPIRED_SERIAL, "certificate_pem": CERT }] }),
        json!({ "platform_certificates": [{ "serial_no": SERIAL, "certificate_pem": "not a certificate" }] }),
        json!({ "platform_certificates": [{ "certificate_pem": CERT }] }),
        json!({ "platform_certificates": { "serial_no": SERIAL } }),
        json!({ "platform_certificates": [] }),
    ] {
        let result = h.channel.create(&config(bad.clone()), &order(PayWay::WxNative, &no, 100)).await;
        assert!(matches!(result, Err(ChannelError::Config(_))), "{bad}: {result:?}");
    }
}
