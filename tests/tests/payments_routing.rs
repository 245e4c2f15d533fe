//! Routing: daily caps reserved at order creation and released on close, the circuit breaker
//! skipping a failing account, and the admin view of usage.

use juhe_tests::webhook::Receiver;
use juhe_tests::{OpenClient, TestServer};
use serde_json::{Value, json};

struct World {
    server: TestServer,
    demo: juhe_api::demo::DemoOutput,
    open: OpenClient,
    admin: String,
    _hook: Receiver,
}

async fn world() -> World {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let open = server.open(&demo.merchant.app_id, &demo.merchant.app_secret);
    let admin = server.login(&demo.admin.username, &demo.admin.password).await;
    World { server, demo, open, admin, _hook: Receiver::spawn().await }
}

impl World {
    async fn order(&self, way: &str, amount: i64) -> juhe_tests::Reply {
        let body = json!({"merchant_no": self.demo.merchant.merchant_no, "out_trade_no": format!("Q{}", &uuid::Uuid::new_v4().simple().to_string()[..16]),
            "amount": amount, "currency": "CNY", "way": way, "subject": "routing"});
        self.open.post("/open/v1/orders", &body.to_string()).await
    }

    async fn binding(&self, channel: &str) -> Value {
        let r = self
            .server
            .http
            .get(
                &format!("/admin/v1/channel-bindings?merchant_id={}", self.demo.merchant.merchant_id),
                Some(&self.admin),
            )
            .await;
        r.json["items"].as_array().unwrap().iter().find(|b| b["channel"] == channel).unwrap().clone()
    }

    async fn usage(&self, binding_id: &str) -> Value {
        let r =
            self.server.http.get(&format!("/admin/v1/channel-bindings/{binding_id}/usage"), Some(&self.admin)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json
    }
}

#[tokio::test]
async fn daily_caps_are_reserved_on_create_released_on_close_and_kept_on_pay() {
    let w = world().await;
    let b = w.binding("alipay").await;
    let id = b["id"].as_str().unwrap();
    let r = w
        .server
        .http
        .patch(
            &format!("/admin/v1/channel-bindings/{id}"),
            Some(&w.admin),
            &json!({"daily_count_cap": 2, "daily_amount_cap": 1000}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let first = w.order("ALI_QR", 400).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = w.order("ALI_QR", 400).await;
    assert_eq!(second.status, 201);
    let u = w.usage(id).await;
    assert_eq!((u["binding_count_used"].as_i64(), u["binding_amount_used"].as_i64()), (Some(2), Some(800)));
    // A third order passes the count cap: no other binding takes ALI_QR, so it is refused.
    let third = w.order("ALI_QR", 100).await;
    assert_eq!((third.status, third.code()), (429, "QUOTA_EXCEEDED"), "{}", third.body);
    // Closing an order gives its reservation back (once, however often it is closed). The payer
    // scanned it first: Alipay has no trade to close behind a QR code nobody scanned.
    let code_url = first.json["pay_data"]["code_url"].as_str().unwrap();
    assert!(reqwest::get(code_url).await.unwrap().status().is_success(), "the payer scans");
    let no = first.json["order_no"].as_str().unwrap();
    w.open.post(&format!("/open/v1/orders/{no}/close"), "").await;
    w.open.post(&format!("/open/v1/orders/{no}/close"), "").await;
    let u = w.usage(id).await;
    assert_eq!((u["binding_count_used"].as_i64(), u["binding_amount_used"].as_i64()), (Some(1), Some(400)));
    // The amount cap counts too: 400 + 700 > 1000.
    assert_eq!(w.order("ALI_QR", 700).await.code(), "QUOTA_EXCEEDED");
    let paid = w.order("ALI_QR", 600).await;
    assert_eq!(paid.status, 201, "{}", paid.body);
    let no = paid.json["order_no"].as_str().unwrap().to_owned();
    w.server.http.post("/sandbox/alipay/simulate/pay", None, &json!({"out_trade_no": no})).await;
    w.server.wait_order_status(&no, "paid").await;
    let u = w.usage(id).await;
    assert_eq!(u["binding_amount_used"].as_i64(), Some(1000), "a paid order keeps its reservation");
    // Other channels are unaffected.
    assert_eq!(w.order("WX_NATIVE", 5000).await.status, 201);
}

#[tokio::test]
async fn an_open_breaker_skips_the_failing_account_until_it_cools_down() {
    let w = world().await;
    let b = w.binding("wechat").await;
    let id = b["id"].as_str().unwrap().to_owned();
    // Three failed creates in a row (the test settings open the breaker at 3 calls, 60 % errors).
    let r = w.server.http.post("/sandbox/wechat/simulate/fail-next", None, &json!({"count": 3, "mode": "error"})).await;
    assert_eq!(r.status, 200);
    for _ in 0..3 {
        let r = w.order("WX_NATIVE", 100).await;
        assert_eq!((r.status, r.code()), (502, "CHANNEL_ERROR"), "{}", r.body);
    }
    assert_eq!(w.usage(&id).await["breaker_open"], true);
    // The channel is healthy again, but the breaker holds traffic off it for the cool-down.
    let r = w.order("WX_NATIVE", 100).await;
    assert_eq!(r.code(), "CHANNEL_ERROR", "skipped while open: {}", r.body);
    let failed_orders = w.server.http.get("/admin/v1/orders?status=failed", Some(&w.admin)).await;
    assert_eq!(failed_orders.json["total"], 4, "each refused order is recorded as failed");
    // Alipay, another account, is not affected.
    assert_eq!(w.order("ALI_QR", 100).await.status, 201);
}
