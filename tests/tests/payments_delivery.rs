//! Merchant notification delivery: the retry schedule (with a compressed clock), every attempt
//! recorded, manual resend, and delivery surviving a server restart.

use juhe_domain::payments::notification::RETRY_SCHEDULE_SECS;
use juhe_tests::clock::ShiftClock;
use juhe_tests::webhook::Receiver;
use juhe_tests::{TestServer, fast_jobs, fast_payments};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

async fn paid_order(server: &TestServer, demo: &juhe_api::demo::DemoOutput, hook: &Receiver) -> String {
    let open = server.open(&demo.merchant.app_id, &demo.merchant.app_secret);
    let body = json!({"merchant_no": demo.merchant.merchant_no, "out_trade_no": format!("D{}", &uuid::Uuid::new_v4().simple().to_string()[..16]),
        "amount": 88, "currency": "CNY", "way": "ALI_QR", "subject": "delivery", "notify_url": hook.url});
    let r = open.post("/open/v1/orders", &body.to_string()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let order_no = r.json["order_no"].as_str().unwrap().to_owned();
    server.http.post("/sandbox/alipay/simulate/pay", None, &json!({"out_trade_no": order_no})).await;
    server.wait_order_status(&order_no, "paid").await;
    order_no
}

/// Waits until the receiver saw `n` attempts and the server recorded all of them: the next
/// attempt is scheduled when the attempt is recorded, so the test must not move the clock before.
async fn wait_attempts(server: &TestServer, admin: &str, order_no: &str, hook: &Receiver, n: u32) {
    for _ in 0..400 {
        if hook.hits() >= n {
            let list = server.http.get(&format!("/admin/v1/notifications?resource_no={order_no}"), Some(admin)).await;
            if let Some(id) = list.json["items"][0]["id"].as_str() {
                let detail = server.http.get(&format!("/admin/v1/notifications/{id}"), Some(admin)).await;
                if detail.json["attempts"].as_array().map_or(0, Vec::len) >= n as usize {
                    return;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("expected {n} recorded attempts, the receiver saw {}", hook.hits());
}

#[tokio::test]
async fn retries_follow_the_16_attempt_schedule_and_every_attempt_is_recorded() {
    let clock = Arc::new(ShiftClock::default());
    let server = TestServer::spawn_full(|_| {}, clock.clone(), fast_payments(), fast_jobs(), None).await;
    let demo = server.demo().await;
    let admin = server.login(&demo.admin.username, &demo.admin.password).await;
    let hook = Receiver::spawn().await;
    hook.set_down(true);
    let order_no = paid_order(&server, &demo, &hook).await;
    wait_attempts(&server, &admin, &order_no, &hook, 1).await;

    // Each next attempt waits for its slot: two seconds short of it (margin for a slow machine, since
    // the shifted clock also runs in real time), nothing; at it, one more.
    for (i, delay) in RETRY_SCHEDULE_SECS.iter().enumerate().skip(1) {
        let before = hook.hits();
        clock.advance(delay - 2);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(hook.hits(), before, "attempt {} came early", i + 1);
        clock.advance(2);
        wait_attempts(&server, &admin, &order_no, &hook, before + 1).await;
    }
    // After the 16th failure nothing more is sent.
    clock.advance(48 * 3600);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(hook.hits(), 16);

    let list = server.http.get(&format!("/admin/v1/notifications?resource_no={order_no}"), Some(&admin)).await;
    let id = list.json["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(list.json["items"][0]["status"], "exhausted");
    let detail = server.http.get(&format!("/admin/v1/notifications/{id}"), Some(&admin)).await;
    let attempts = detail.json["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 16);
    assert!(attempts.iter().all(|a| a["http_status"] == 500 && a["success"] == false));

    // The merchant fixes the endpoint; a manual resend delivers it.
    hook.set_down(false);
    let r = server.http.post(&format!("/admin/v1/notifications/{id}/resend"), Some(&admin), &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = hook.wait_for("order.paid", &order_no).await;
    assert!(got.verifies(&demo.merchant.app_secret));
    for _ in 0..400 {
        let d = server.http.get(&format!("/admin/v1/notifications/{id}"), Some(&admin)).await;
        if d.json["notification"]["status"] == "delivered" {
            assert_eq!(d.json["attempts"].as_array().unwrap().len(), 17);
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("resend was not recorded as delivered");
}

#[tokio::test]
async fn a_notification_written_before_a_crash_is_delivered_after_restart() {
    let no_jobs = |c: &mut juhe_api::config::Config| c.jobs_enabled = false;
    let server =
        TestServer::spawn_full(no_jobs, Arc::new(juhe_domain::clock::SystemClock), fast_payments(), fast_jobs(), None)
            .await;
    let demo = server.demo().await;
    let hook = Receiver::spawn().await;
    let order_no = paid_order(&server, &demo, &hook).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hook.hits(), 0, "no delivery worker ran before the 'crash'");

    let data = server.stop();
    let restarted = TestServer::spawn_full(
        |_| {},
        Arc::new(juhe_domain::clock::SystemClock),
        fast_payments(),
        fast_jobs(),
        Some(data),
    )
    .await;
    let got = hook.wait_for("order.paid", &order_no).await;
    assert!(got.verifies(&demo.merchant.app_secret));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(hook.received().len(), 1, "delivered once");
    drop(restarted);
}
