//! Request signatures cover "the URL minus the domain": the whole path the client requested —
//! the mount prefix of the sandbox included — and the query. The adapter signs the URL it
//! really calls, so it works against a base URL with or without a path.

use super::support::{Harness, order, order_no};
use juhe_domain::channels::{PaymentChannel, RefundRequest, TradeState};
use juhe_domain::clock::Clock;
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;

fn query_path(h: &Harness, no: &str) -> String {
    let sp_mchid = h.ctx.account.config["sp_mchid"].as_str().expect("sp_mchid").to_owned();
    format!("/v3/pay/partner/transactions/out-trade-no/{no}?sp_mchid={sp_mchid}&sub_mchid={}", h.sub_mchid())
}

#[tokio::test]
async fn the_sandbox_verifies_the_whole_path_requested() {
    let h = Harness::start().await;
    assert_eq!(h.mount(), "/sandbox/wechat");
    let no = order_no("SIG");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 100)).await.expect("create");
    let path = query_path(&h, &no);
    let now = h.clock.now().unix_timestamp();

    let whole = h.signed("GET", &path, None).await;
    assert_eq!(whole.status, 200, "signed over /sandbox/wechat/v3/…: {}", whole.json());
    assert_eq!(whole.json()["trade_state"], "NOTPAY");

    // A client that signs only the part after the mount point signed another URL.
    let after_mount = h.signed_as("GET", &path, None, &path, now).await;
    assert_eq!((after_mount.status, after_mount.json()["code"].as_str()), (401, Some("SIGN_ERROR")));
    // The query is part of what is signed.
    let without_query = path.split('?').next().expect("path").to_owned();
    let no_query = h.signed_as("GET", &path, None, &format!("/sandbox/wechat{without_query}"), now).await;
    assert_eq!(no_query.status, 401);
}

#[tokio::test]
async fn the_adapter_works_against_a_base_url_without_a_path() {
    let h = Harness::start_at_root().await;
    assert_eq!(h.mount(), "");
    let no = order_no("ROOT");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 500)).await.expect("create at the root");
    assert_eq!(h.channel.query(&h.ctx, &no).await.expect("query").state, TradeState::NotPaid);
    assert_eq!(h.simulate_pay(&no).await, 200);
    let refund = RefundRequest {
        order_no: no.clone(),
        channel_trade_no: None,
        refund_no: order_no("RR"),
        order_amount: Money(500),
        amount: Money(100),
        reason: None,
    };
    h.channel.refund(&h.ctx, &refund).await.expect("refund at the root");
    assert_eq!(h.channel.query(&h.ctx, &no).await.expect("query").state, TradeState::Paid);
    // And a raw request signed over the path alone, as at WeChat's own host.
    let raw = h.signed("GET", &query_path(&h, &no), None).await;
    assert_eq!(raw.status, 200, "{}", raw.json());
}
