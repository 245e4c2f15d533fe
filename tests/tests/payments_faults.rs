//! Payments under stress and faults: concurrent identical orders and refunds, channel timeouts
//! and errors, forged callbacks, a merchant endpoint that is down, and a server killed between
//! the state change and the notification.

use juhe_tests::webhook::Receiver;
use juhe_tests::{OpenClient, TestServer};
use serde_json::{Value, json};
use std::time::Duration;

struct Shop {
    server: TestServer,
    demo: juhe_api::demo::DemoOutput,
    open: OpenClient,
    hook: Receiver,
}

async fn shop_on(server: TestServer) -> Shop {
    let demo = server.demo().await;
    let open = server.open(&demo.merchant.app_id, &demo.merchant.app_secret);
    Shop { server, demo, open, hook: Receiver::spawn().await }
}

impl Shop {
    fn body(&self, out_trade_no: &str, way: &str, amount: i64) -> String {
        json!({"merchant_no": self.demo.merchant.merchant_no, "out_trade_no": out_trade_no, "amount": amount,
            "currency": "CNY", "way": way, "subject": "fault test", "notify_url": self.hook.url})
        .to_string()
    }

    async fn paid_order(&self, way: &str, amount: i64) -> String {
        let no = format!("F{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
        let r = self.open.post("/open/v1/orders", &self.body(&no, way, amount)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let order_no = r.json["order_no"].as_str().unwrap().to_owned();
        let channel = if way.starts_with("WX") { "wechat" } else { "alipay" };
        self.server
            .http
            .post(&format!("/sandbox/{channel}/simulate/pay"), None, &json!({"out_trade_no": order_no}))
            .await;
        self.wait_status(&order_no, "paid").await;
        order_no
    }

    async fn wait_status(&self, order_no: &str, status: &str) -> Value {
        self.server.wait_order_status(order_no, status).await
    }

    async fn fail_next(&self, count: u32, mode: &str) {
        let r = self
            .server
            .http
            .post("/sandbox/wechat/simulate/fail-next", None, &json!({"count": count, "mode": mode}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
}

#[tokio::test]
async fn fifty_concurrent_identical_creates_make_one_order() {
    let s = shop_on(TestServer::spawn().await).await;
    let body = s.body("CONCURRENT-0001", "WX_NATIVE", 1234);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let open = s.server.open(&s.demo.merchant.app_id, &s.demo.merchant.app_secret);
        let body = body.clone();
        tasks.push(tokio::spawn(async move { open.post("/open/v1/orders", &body).await }));
    }
    let mut numbers = std::collections::HashSet::new();
    let mut created = 0;
    for t in tasks {
        let r = t.await.unwrap();
        assert!(r.status == 200 || r.status == 201, "{} {}", r.status, r.body);
        if r.status == 201 {
            created += 1;
        }
        numbers.insert(r.json["order_no"].as_str().unwrap().to_owned());
    }
    assert_eq!(numbers.len(), 1, "one order for fifty identical requests");
    assert_eq!(created, 1, "exactly one 201");
}

#[tokio::test]
async fn concurrent_refunds_beyond_the_paid_amount_are_rejected_never_over_refunded() {
    let s = shop_on(TestServer::spawn().await).await;
    let order_no = s.paid_order("WX_NATIVE", 100).await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let open = s.server.open(&s.demo.merchant.app_id, &s.demo.merchant.app_secret);
        let body = json!({"order_no": order_no, "out_refund_no": format!("CR-{i:04}"), "amount": 30}).to_string();
        tasks.push(tokio::spawn(async move { open.post("/open/v1/refunds", &body).await }));
    }
    let mut accepted = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            201 => accepted += 1,
            409 => assert_eq!(r.code(), "REFUND_EXCEEDS_AVAILABLE", "{}", r.body),
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    assert_eq!(accepted, 3, "3 × 30 fits in 100, a fourth does not");
    let order = s.wait_status(&order_no, "partially_refunded").await;
    for _ in 0..300 {
        if s.open.get(&format!("/open/v1/orders/{order_no}")).await.json["refunded_amount"] == 90 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let order = if order["refunded_amount"] == 90 {
        order
    } else {
        s.open.get(&format!("/open/v1/orders/{order_no}")).await.json
    };
    assert_eq!(order["refunded_amount"], 90);
}

#[tokio::test]
async fn a_channel_timeout_on_create_is_resolved_by_query_without_a_duplicate() {
    let s = shop_on(TestServer::spawn().await).await;
    s.fail_next(1, "timeout").await;
    let r = s.open.post("/open/v1/orders", &s.body("TIMEOUT-0001", "WX_NATIVE", 300)).await;
    assert_eq!(r.status, 201, "the order is created after a query: {}", r.body);
    assert!(r.json["pay_data"]["code_url"].is_string());
    let order_no = r.json["order_no"].as_str().unwrap().to_owned();
    // The trade the timed-out call created is the one that gets paid.
    s.server.http.post("/sandbox/wechat/simulate/pay", None, &json!({"out_trade_no": order_no})).await;
    s.wait_status(&order_no, "paid").await;
}

#[tokio::test]
async fn a_channel_error_fails_over_to_the_next_binding() {
    let s = shop_on(TestServer::spawn().await).await;
    let admin = s.server.login(&s.demo.admin.username, &s.demo.admin.password).await;
    // A second WeChat account (lower priority) for the demo merchant.
    let sandbox = s.server.state.sandboxes.as_ref().unwrap().wechat.clone();
    let (config, secrets) = sandbox.provision_account(&format!("{}/sandbox/wechat", s.server.base_url));
    let account = s
        .server
        .http
        .post(
            "/admin/v1/channel-accounts",
            Some(&admin),
            &json!({"channel": "wechat", "name": "backup", "config": config, "secrets": secrets}),
        )
        .await;
    assert_eq!(account.status, 201, "{}", account.body);
    let binding = s
        .server
        .http
        .post(
            "/admin/v1/channel-bindings",
            Some(&admin),
            &json!({
        "merchant_id": s.demo.merchant.merchant_id, "channel_account_id": account.json["id"],
        "sub_merchant_id": sandbox.provision_sub_merchant(), "ways": ["WX_NATIVE"], "priority": 1}),
        )
        .await;
    assert_eq!(binding.status, 201, "{}", binding.body);
    let backup_id = binding.json["id"].as_str().unwrap().to_owned();

    s.fail_next(1, "error").await;
    let r = s.open.post("/open/v1/orders", &s.body("FAILOVER-0001", "WX_NATIVE", 300)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let order =
        s.server.state.payments.orders.get_unscoped(r.json["order_no"].as_str().unwrap()).await.unwrap().unwrap();
    assert_eq!(order.binding_id.as_deref(), Some(backup_id.as_str()), "the backup binding took it");

    // Traffic shifting: with the primary suspended, the backup takes every order.
    let bindings = s
        .server
        .http
        .get(&format!("/admin/v1/channel-bindings?merchant_id={}", s.demo.merchant.merchant_id), Some(&admin))
        .await;
    let primary = bindings.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["channel"] == "wechat" && b["id"] != backup_id.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = s
        .server
        .http
        .patch(&format!("/admin/v1/channel-bindings/{primary}"), Some(&admin), &json!({"status": "suspended"}))
        .await;
    assert_eq!(r.json["status"], "suspended", "{}", r.body);
    let r = s.open.post("/open/v1/orders", &s.body("FAILOVER-0002", "WX_NATIVE", 300)).await;
    let order =
        s.server.state.payments.orders.get_unscoped(r.json["order_no"].as_str().unwrap()).await.unwrap().unwrap();
    assert_eq!(order.binding_id.as_deref(), Some(backup_id.as_str()));
    let audit = s.server.http.get("/admin/v1/audit-logs?action=channel_binding.update", Some(&admin)).await;
    assert_eq!(audit.json["total"], 1);
}

#[tokio::test]
async fn forged_and_mismatched_callbacks_change_nothing() {
    let s = shop_on(TestServer::spawn().await).await;
    let r = s.open.post("/open/v1/orders", &s.body("FORGED-0001", "WX_NATIVE", 500)).await;
    let order_no = r.json["order_no"].as_str().unwrap().to_owned();
    let order = s.server.state.payments.orders.get_unscoped(&order_no).await.unwrap().unwrap();
    let account = order.channel_account_id.clone().unwrap();
    let client = reqwest::Client::new();
    // Not signed at all.
    let resp = client
        .post(format!("{}/callbacks/wechat/{account}", s.server.base_url))
        .header("content-type", "application/json")
        .header("wechatpay-signature", "Zm9yZ2Vk")
        .header("wechatpay-timestamp", "1")
        .header("wechatpay-nonce", "n")
        .header("wechatpay-serial", "PUB_KEY_ID_0000")
        .body("{\"event_type\":\"TRANSACTION.SUCCESS\"}")
        .send()
        .await
        .unwrap();
    assert!(!resp.status().is_success(), "forged callback must be refused");
    // Validly signed, but with the wrong amount or sub-merchant: each reaches juhe and is refused.
    for forged in
        [json!({"out_trade_no": order_no, "amount": 1}), json!({"out_trade_no": order_no, "sub_mchid": "1900000000"})]
    {
        let r = s.server.http.post("/sandbox/wechat/simulate/forged-notify", None, &forged).await;
        assert_eq!((r.status, r.json["accepted"].as_bool()), (200, Some(false)), "{}", r.body);
    }
    // juhe has answered them (refused): nothing can still be on its way to change the order.
    let stored = s.server.state.payments.orders.get_unscoped(&order_no).await.unwrap().unwrap();
    assert_eq!(stored.status.as_str(), "created", "nothing changed");
    let admin = s.server.login(&s.demo.admin.username, &s.demo.admin.password).await;
    let notifications = format!("/admin/v1/notifications?resource_no={order_no}");
    let list = s.server.http.get(&notifications, Some(&admin)).await;
    assert_eq!(list.json["total"], 0, "no notification for forged payments: {}", list.body);
    // The genuine payment still goes through, and a repeated notification is harmless.
    s.server.http.post("/sandbox/wechat/simulate/pay", None, &json!({"out_trade_no": order_no})).await;
    s.hook.wait_for("order.paid", &order_no).await;
    let again =
        s.server.http.post("/sandbox/wechat/simulate/forged-notify", None, &json!({"out_trade_no": order_no})).await;
    assert_eq!(again.json["accepted"], true, "a true repeat is acknowledged: {}", again.body);
    let list = s.server.http.get(&notifications, Some(&admin)).await;
    assert_eq!(list.json["total"], 1, "one order.paid however often the channel repeats itself: {}", list.body);
}
