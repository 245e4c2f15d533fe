//! The sandbox's time is the injected clock: a request `timestamp` far from it is refused as
//! Alipay refuses it (`40002 isv.invalid-timestamp`), and trade times, bill dates and
//! notifications follow it.

use crate::support::{ShiftClock, beijing, next, order, receiver, start, start_with};
use juhe_adapters::channels::alipay::sandbox::TIMESTAMP_WINDOW;
use juhe_domain::channels::{ChannelError, PaymentChannel};
use juhe_domain::clock::Clock;
use juhe_domain::payments::way::PayWay;
use serde_json::json;
use std::sync::Arc;
use time::OffsetDateTime;

#[tokio::test]
async fn timestamps_far_from_the_clock_are_refused() {
    let h = start().await;
    let now = OffsetDateTime::now_utc();
    let minute = time::Duration::minutes(1);
    let stamped = |timestamp: Option<String>| {
        let mut params = h.params("alipay.trade.query", json!({ "out_trade_no": "NOSUCHORDER" }));
        params.retain(|(k, _)| k != "timestamp");
        if let Some(timestamp) = timestamp {
            params.push(("timestamp".into(), timestamp));
        }
        h.raw_call(params)
    };
    // Too late, too early, and a server stamping UTC wall time instead of Beijing time.
    for off in [TIMESTAMP_WINDOW + minute, -TIMESTAMP_WINDOW - minute, time::Duration::hours(-8)] {
        let answer = stamped(Some(beijing(now + off))).await;
        assert_eq!(
            (answer["code"].as_str(), answer["sub_code"].as_str()),
            (Some("40002"), Some("isv.invalid-timestamp"))
        );
    }
    assert_eq!(stamped(None).await["sub_code"], "isv.missing-timestamp");
    // Within the window the call goes through (to the business answer).
    for off in [TIMESTAMP_WINDOW - minute, minute - TIMESTAMP_WINDOW] {
        assert_eq!(stamped(Some(beijing(now + off))).await["sub_code"], "ACQ.TRADE_NOT_EXIST");
    }
}

#[tokio::test]
async fn a_sandbox_clock_far_ahead_refuses_the_adapters_stamps_unless_they_share_it() {
    let clock = Arc::new(ShiftClock::default());
    clock.advance(TIMESTAMP_WINDOW.whole_seconds() + 60);
    let h = start_with("http://127.0.0.1:9/unused", |s| s.with_clock(clock.clone())).await;
    match h.channel.create(&h.ctx, &order(PayWay::AliQr, 100)).await {
        Err(ChannelError::Declined { code, .. }) => assert_eq!(code, "isv.invalid-timestamp"),
        other => panic!("stale stamp: {other:?}"),
    }
    // The platform wires one clock into both: then they agree.
    let channel = h.channel.clone().with_clock(clock.clone());
    channel.create(&h.ctx, &order(PayWay::AliQr, 100)).await.expect("same clock");
}

#[tokio::test]
async fn trade_times_bills_and_notifications_follow_the_clock() {
    let (url, mut rx) = receiver("success").await;
    let clock = Arc::new(ShiftClock::default());
    clock.advance(3 * 86_400);
    let h = start_with(&url, |s| s.with_clock(clock.clone())).await;
    let channel = h.channel.clone().with_clock(clock.clone());
    let req = order(PayWay::AliQr, 100);
    let mut req = req;
    req.expire_at = clock.now() + time::Duration::minutes(15);
    channel.create(&h.ctx, &req).await.expect("precreate");
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 200);

    let paid = channel.query(&h.ctx, &req.order_no).await.expect("query");
    let paid_at = paid.paid_at.expect("paid_at");
    assert!((paid_at - clock.now()).abs() < time::Duration::minutes(1), "{paid_at} is the clock's time");
    let (_, body) = next(&mut rx).await;
    let field = |key: &str| form_urlencoded::parse(&body).find(|(k, _)| k == key).map(|(_, v)| v.into_owned());
    assert_eq!(field("gmt_payment"), Some(beijing(paid_at)));
    assert!(field("notify_time").is_some_and(|t| t[..10] == beijing(clock.now())[..10]));

    // The clock's today has a bill (with the trade); the wall clock's tomorrow is not future.
    let today = clock.now().to_offset(time::macros::offset!(+8)).date();
    assert!(!channel.download_bill(&h.ctx, today).await.expect("bill").is_empty());
    let wall_tomorrow = OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8)).date().next_day().expect("day");
    channel.download_bill(&h.ctx, wall_tomorrow).await.expect("a past day for the clock");
}
