//! The acquirer serves only merchants it opened: a `merId` the sandbox never provisioned is
//! refused `31`, before anything happens; provisioned ones stay valid across restarts.

use crate::support::{order, serve, start};
use juhe_adapters::channels::unionpay::UnionpaySandbox;
use juhe_domain::channels::{ChannelError, PaymentChannel, TradeState};
use poem::Route;
use serde_json::json;
use std::sync::Arc;

#[tokio::test]
async fn unknown_merchants_are_refused() {
    let h = start().await;
    let mut stranger = h.ctx.clone();
    stranger.binding.as_mut().expect("binding").sub_merchant_id = "898000000000001".into();
    let req = order(100);
    match h.channel.create(&stranger, &req).await {
        Err(ChannelError::Declined { code, .. }) => assert_eq!(code, "31"),
        other => panic!("unprovisioned merId: {other:?}"),
    }
    // Nothing was created, for that merchant or any.
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::NotFound);
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 404);

    // The raw request too, and the merchant's statement; the institution's needs no merId.
    let (acq_code, cert_id, key) = (h.config("acq_code"), h.config("cert_id"), h.private_key());
    let query = [
        ("version", "1.0.0"),
        ("reqType", "0350000903"),
        ("acqCode", acq_code.as_str()),
        ("merId", "898000000000001"),
        ("termId", "00000001"),
        ("orderNo", "RAW1"),
        ("orderTime", "20250101120000"),
        ("certId", cert_id.as_str()),
    ];
    let (status, answer) = h.raw_call(&query, &key).await;
    assert_eq!((status, answer.get("respCode").map(String::as_str)), (200, Some("31")));
    let today = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8)).date();
    assert!(matches!(h.channel.download_bill(&stranger, today).await, Err(ChannelError::Declined { .. })));
    let mut institution = h.ctx.clone();
    institution.binding = None;
    h.channel.download_bill(&institution, today).await.expect("the institution's statement");
}

#[tokio::test]
async fn provisioned_merchants_survive_a_restart() {
    let h = start().await;
    let again = Arc::new(UnionpaySandbox::load_or_create(h.dir.path()).expect("reload"));
    let addr = serve(Route::new().nest("/sandbox/unionpay", again.routes())).await;
    let mut ctx = h.ctx.clone();
    ctx.account.config["gateway"] = json!(format!("http://{addr}/sandbox/unionpay/gateway"));
    h.channel.create(&ctx, &order(100)).await.expect("known after restart");
}
