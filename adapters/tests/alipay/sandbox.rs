//! The sandbox's own identity: persisted (0600), stable across restarts, never in Debug output;
//! unpaid trades close at `time_expire`; `simulate/pay` with `"notify": false`.

use crate::support::{next, order, receiver, start, start_with_notify_url};
use juhe_adapters::channels::alipay::AlipaySandbox;
use juhe_domain::channels::{PaymentChannel, TradeState};
use juhe_domain::payments::way::PayWay;
use serde_json::json;

#[test]
fn identity_persists_privately() {
    let dir = tempfile::tempdir().expect("dir");
    let first = AlipaySandbox::load_or_create(dir.path()).expect("create");
    let second = AlipaySandbox::load_or_create(dir.path()).expect("load");
    assert_eq!(first.app_id(), second.app_id());
    assert_eq!(first.sdk_credentials_json(), second.sdk_credentials_json());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("alipay.json")).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (config, secrets) = first.provision_account("http://127.0.0.1:1/gateway.do");
    for key in ["gateway", "app_id", "alipay_public_key_pem", "sys_service_provider_id"] {
        assert!(config[key].is_string(), "{key}");
    }
    assert!(secrets["app_private_key_pem"].as_str().is_some_and(|k| k.contains("PRIVATE KEY")));
    assert!(!config.to_string().contains("PRIVATE KEY"));
    assert!(!format!("{first:?}").contains("PRIVATE KEY"));
    let smid = first.provision_sub_merchant();
    assert!(smid.len() == 16 && smid.starts_with("2088"));
}

#[tokio::test]
async fn unpaid_trades_close_at_time_expire() {
    let h = start().await;
    let mut req = order(PayWay::AliJsapi, 100);
    req.payer_id = Some("2088102169481075".into());
    req.expire_at = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    h.channel.create(&h.ctx, &req).await.expect("create");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::Closed);
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 409);
}

#[tokio::test]
async fn simulate_pay_can_keep_the_notification_back() {
    let (url, mut rx) = receiver("success").await;
    let h = start_with_notify_url(&url).await;
    let quiet = order(PayWay::AliQr, 100);
    h.channel.create(&h.ctx, &quiet).await.expect("precreate");
    let (status, _) = h.control("/simulate/pay", json!({ "out_trade_no": quiet.order_no, "notify": false })).await;
    assert_eq!(status, 200);
    assert_eq!(h.channel.query(&h.ctx, &quiet.order_no).await.expect("query").state, TradeState::Paid);
    // The next notification to arrive is the other trade's: none was sent for the quiet one.
    let loud = order(PayWay::AliQr, 100);
    h.channel.create(&h.ctx, &loud).await.expect("precreate");
    assert_eq!(h.simulate_pay(&loud.order_no).await.0, 200);
    let (_, body) = next(&mut rx).await;
    let out_trade_no = form_urlencoded::parse(&body).find(|(k, _)| k == "out_trade_no").map(|(_, v)| v.into_owned());
    assert_eq!(out_trade_no.as_deref(), Some(loud.order_no.as_str()));
    assert!(tokio::time::timeout(std::time::Duration::from_millis(1500), rx.recv()).await.is_err(), "nothing else");
}
