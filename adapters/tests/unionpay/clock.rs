//! The sandbox's time is the injected clock: transaction times, settlement dates and the
//! statements follow it.

use crate::support::{ShiftClock, order, start_with};
use juhe_domain::channels::PaymentChannel;
use juhe_domain::clock::Clock;
use std::sync::Arc;

#[tokio::test]
async fn transaction_times_and_statements_follow_the_clock() {
    let clock = Arc::new(ShiftClock::default());
    clock.advance(3 * 86_400);
    let h = start_with("http://127.0.0.1:9/unused", |s| s.with_clock(clock.clone())).await;
    let mut req = order(100);
    req.expire_at = clock.now() + time::Duration::minutes(15);
    h.channel.create(&h.ctx, &req).await.expect("qr apply");
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 200);
    let paid_at = h.channel.query(&h.ctx, &req.order_no).await.expect("query").paid_at.expect("paid_at");
    assert!((paid_at - clock.now()).abs() < time::Duration::minutes(1), "{paid_at} is the clock's time");

    // The clock's today has a statement with the payment; the wall clock's tomorrow is past.
    let today = clock.now().to_offset(time::macros::offset!(+8)).date();
    let csv = String::from_utf8(h.channel.download_bill(&h.ctx, today).await.expect("statement")).expect("utf-8");
    assert!(csv.contains(&req.order_no), "{csv}");
    let wall = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8)).date();
    h.channel.download_bill(&h.ctx, wall.next_day().expect("day")).await.expect("a past day for the clock");
}
