//! The sandbox's own identity: persisted (0600), stable across restarts, never in Debug output;
//! unpaid trades close at `time_expire`.

use crate::support::{order, start};
use juhe_adapters::channels::alipay::AlipaySandbox;
use juhe_domain::channels::{PaymentChannel, TradeState};
use juhe_domain::payments::way::PayWay;

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
    let mut req = order(PayWay::AliQr, 100);
    req.expire_at = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    h.channel.create(&h.ctx, &req).await.expect("precreate");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::Closed);
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 409);
}
