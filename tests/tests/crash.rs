//! A real crash: the `juhe` binary is killed with SIGKILL (no graceful stop, nothing flushed)
//! while it is delivering a notification for an order it has just marked paid. Restarted on the
//! same database, it takes the job over once the dead worker's lease runs out and delivers.
//! The binary is the one `cargo test --workspace --all-targets` (`make test`) builds.

use juhe_tests::process::{Juhe, demo_of, free_port, site};
use juhe_tests::webhook::Receiver;
use juhe_tests::{Client, OpenClient};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_server_killed_while_notifying_delivers_after_restart() {
    let site = site().await;
    let port = free_port();
    let server = Juhe::serve(&site, port, true, &[]).await;
    let demo = demo_of(&site);
    let base = format!("http://127.0.0.1:{port}");
    let merchant = &demo["merchant"];
    let open = OpenClient::hmac(&base, merchant["app_id"].as_str().unwrap(), merchant["app_secret"].as_str().unwrap());

    // The merchant's endpoint hangs: the delivery is in flight when the server dies.
    let hook = Receiver::spawn().await;
    hook.set_delay(Duration::from_secs(60));
    let body = json!({"merchant_no": merchant["merchant_no"], "out_trade_no": "CRASH-0001", "amount": 100,
        "currency": "CNY", "way": "WX_NATIVE", "subject": "crash", "notify_url": hook.url});
    let r = open.post("/open/v1/orders", &body.to_string()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let order_no = r.json["order_no"].as_str().unwrap().to_owned();
    let http = reqwest::Client::new();
    let paid = http
        .post(format!("{base}/sandbox/wechat/simulate/pay"))
        .json(&json!({"out_trade_no": order_no}))
        .send()
        .await
        .unwrap();
    assert!(paid.status().is_success());
    for _ in 0..300 {
        if hook.hits() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(hook.hits() > 0, "the delivery started");
    server.kill9();
    assert!(hook.received().is_empty(), "nothing was delivered before the crash");

    hook.set_delay(Duration::ZERO);
    let _restarted = Juhe::serve(&site, port, false, &[]).await;
    let delivered = hook.wait_for("order.paid", &order_no).await;
    assert!(delivered.verifies(merchant["app_secret"].as_str().unwrap()));
    assert_eq!(delivered.json()["data"]["status"], "paid");
}

/// The channel lives on (the sandboxes run as their own process) while juhe is killed with a
/// refund call in flight (the channel did it; its answer never came). The channel's
/// notifications cannot reach this server (its public URL leads nowhere), so only the restarted
/// server's refund follow-up job can find out — and the merchant hears `refund.succeeded`.
#[tokio::test]
async fn a_server_killed_with_a_refund_in_flight_finishes_it_after_restart() {
    let site = site().await;
    let (channel_port, port) = (free_port(), free_port());
    // Seeded on the port the sandboxes will keep: the channel accounts point there.
    Juhe::serve(&site, channel_port, true, &[]).await.kill9();
    let demo = demo_of(&site);
    let _channels = Juhe::sandboxes(&site, channel_port).await;
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let env = [
        ("JUHE_SANDBOX_ENABLED", "false"),
        ("JUHE_PUBLIC_URL", nowhere.as_str()),
        ("JUHE_REQUERY_AFTER_SECS", "3"),
        ("JUHE_CHANNEL_TIMEOUT_MS", "20000"),
    ];
    let server = Juhe::serve(&site, port, false, &env).await;
    let (base, channel) =
        (format!("http://127.0.0.1:{port}"), Client::new(&format!("http://127.0.0.1:{channel_port}")));
    let merchant = &demo["merchant"];
    let open = OpenClient::hmac(&base, merchant["app_id"].as_str().unwrap(), merchant["app_secret"].as_str().unwrap());
    let hook = Receiver::spawn().await;
    let body = json!({"merchant_no": merchant["merchant_no"], "out_trade_no": "CRASH-REFUND-1", "amount": 1000,
        "currency": "CNY", "way": "WX_NATIVE", "subject": "crash", "notify_url": hook.url});
    let r = open.post("/open/v1/orders", &body.to_string()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let order_no = r.json["order_no"].as_str().unwrap().to_owned();
    channel.post("/sandbox/wechat/simulate/pay", None, &json!({"out_trade_no": order_no})).await;
    hook.wait_for("order.paid", &order_no).await;

    let admin = Client::new(&base);
    let login = json!({"username": demo["admin"]["username"], "password": demo["admin"]["password"]});
    let token =
        admin.post("/admin/v1/auth/login", None, &login).await.json["access_token"].as_str().unwrap().to_owned();
    // The order's follow-up job (which found it paid: no callback reaches this server) has
    // finished: no other call can take the planned failure meant for the refund.
    for _ in 0..300 {
        let jobs = admin.get(&format!("/admin/v1/jobs?kind=order.followup&key={order_no}"), Some(&token)).await;
        if jobs.json["items"][0]["state"] == "succeeded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The refund call never gets an answer: the server is killed while waiting for it.
    channel.post("/sandbox/wechat/simulate/fail-next", None, &json!({"count": 1, "mode": "timeout"})).await;
    let refund = json!({"order_no": order_no, "out_refund_no": "CRASH-R-1", "amount": 400}).to_string();
    let pending = tokio::spawn({
        let open = open.clone();
        async move { open.post("/open/v1/refunds", &refund).await }
    });
    let admin = Client::new(&base);
    let login = json!({"username": demo["admin"]["username"], "password": demo["admin"]["password"]});
    let token =
        admin.post("/admin/v1/auth/login", None, &login).await.json["access_token"].as_str().unwrap().to_owned();
    let mut refund_no = None;
    for _ in 0..300 {
        let d = admin.get(&format!("/admin/v1/orders/{order_no}"), Some(&token)).await;
        if let Some(no) = d.json["refunds"][0]["refund_no"].as_str() {
            assert_eq!(d.json["refunds"][0]["status"], "processing");
            refund_no = Some(no.to_owned());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let refund_no = refund_no.expect("the refund was recorded before the channel call");
    server.kill9();
    let _ = pending.await;

    let _restarted = Juhe::serve(&site, port, false, &env).await;
    let done = hook.wait_for("refund.succeeded", &refund_no).await.json();
    assert_eq!(
        (done["data"]["out_refund_no"].as_str(), done["data"]["amount"].as_i64()),
        (Some("CRASH-R-1"), Some(400))
    );
    let token =
        admin.post("/admin/v1/auth/login", None, &login).await.json["access_token"].as_str().unwrap().to_owned();
    let d = admin.get(&format!("/admin/v1/orders/{order_no}"), Some(&token)).await;
    assert_eq!(
        (d.json["order"]["status"].as_str(), d.json["order"]["refunded_amount"].as_i64()),
        (Some("partially_refunded"), Some(400))
    );
}
