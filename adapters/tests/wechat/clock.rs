//! The sandbox reads its time from the clock it is given: trade and refund times, order expiry,
//! the timestamps it signs and the window it checks, notifications.

use super::support::{Harness, order, order_no};
use juhe_domain::channels::{PaymentChannel, TradeState};
use juhe_domain::clock::Clock;
use juhe_domain::payments::way::PayWay;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

fn near(actual: OffsetDateTime, expected: OffsetDateTime) -> bool {
    (actual - expected).abs() < Duration::seconds(30)
}

#[tokio::test]
async fn the_sandbox_lives_on_its_clock() {
    let h = Harness::start().await;
    let then = datetime!(2024-03-07 11:00 +8);
    h.clock.set(then);

    let no = order_no("CLK");
    let mut req = order(PayWay::WxNative, &no, 100);
    req.expire_at = then + Duration::minutes(15);
    h.channel.create(&h.ctx, &req).await.expect("create in the clock's time");
    assert_eq!(h.simulate_pay(&no).await, 200);
    let paid = h.channel.query(&h.ctx, &no).await.expect("query");
    assert!(paid.paid_at.is_some_and(|at| near(at, then)), "paid at the clock's time: {:?}", paid.paid_at);
    assert!(paid.channel_trade_no.as_deref().is_some_and(|t| t.starts_with("420020240307")), "{paid:?}");

    // The notification is stamped, and signed, at the clock's time.
    let captured = h.notification(0).await;
    let envelope: serde_json::Value = serde_json::from_slice(&captured.body).expect("json");
    assert!(envelope["create_time"].as_str().is_some_and(|t| t.starts_with("2024-03-07T11:0")), "{envelope}");
    let signed_at: i64 = captured.request().header("Wechatpay-Timestamp").expect("timestamp").parse().expect("int");
    assert!((signed_at - then.unix_timestamp()).abs() < 30);
    h.channel.parse_notification(&h.ctx, &captured.request()).await.expect("verified on the same clock");

    // Answers are signed at the clock's time; requests are checked against it.
    let path = format!("/v3/refund/domestic/refunds/NONE000001?sub_mchid={}", h.sub_mchid());
    let answer = h.signed("GET", &path, None).await;
    let answered_at: i64 = answer.header("Wechatpay-Timestamp").expect("timestamp").parse().expect("int");
    assert!((answered_at - h.clock.now().unix_timestamp()).abs() < 30);
    let wall = OffsetDateTime::now_utc().unix_timestamp();
    let stale = h.signed_as("GET", &path, None, &format!("/sandbox/wechat{path}"), wall).await;
    assert_eq!((stale.status, stale.json()["code"].as_str()), (401, Some("SIGN_ERROR")), "wall time is stale here");

    // The unpaid order expires on the clock.
    let late = order_no("CLK");
    let mut req = order(PayWay::WxNative, &late, 100);
    req.expire_at = then + Duration::minutes(15);
    h.channel.create(&h.ctx, &req).await.expect("create");
    h.clock.set(then + Duration::minutes(16));
    assert_eq!(h.simulate_pay(&late).await, 409, "expired by the sandbox's clock");
    assert_eq!(h.channel.query(&h.ctx, &late).await.expect("query").state, TradeState::NotPaid);
}
