//! The in-process `instant` load-test channel: refused unless `instant_channel_enabled`, and
//! when enabled it takes orders at once (barcode orders paid at once).

use juhe_tests::{OpenClient, Reply, TestServer};
use serde_json::json;

struct World {
    _server: TestServer,
    merchant_no: String,
    open: OpenClient,
}

/// A server without sandboxes (so the demo merchant has no other binding) whose demo merchant
/// is bound to an `instant` account only, set up through the admin API.
async fn world(enabled: bool) -> World {
    let server = TestServer::spawn_with(|c| {
        c.sandbox_enabled = false;
        c.instant_channel_enabled = enabled;
    })
    .await;
    let demo = server.demo().await;
    let admin = server.login(&demo.admin.username, &demo.admin.password).await;
    let account = server
        .http
        .post(
            "/admin/v1/channel-accounts",
            Some(&admin),
            &json!({"channel": "instant", "name": "load test", "config": {}, "secrets": {}}),
        )
        .await;
    assert_eq!(account.status, 201, "{}", account.body);
    let binding = server
        .http
        .post(
            "/admin/v1/channel-bindings",
            Some(&admin),
            &json!({
                "merchant_id": demo.merchant.merchant_id,
                "channel_account_id": account.json["id"],
                "sub_merchant_id": "instant-1",
                "ways": ["WX_NATIVE", "ALI_QR", "BARCODE"],
                "priority": 10,
            }),
        )
        .await;
    assert_eq!(binding.status, 201, "{}", binding.body);
    let bindings = server
        .http
        .get(&format!("/admin/v1/channel-bindings?merchant_id={}", demo.merchant.merchant_id), Some(&admin))
        .await;
    assert_eq!(bindings.json["items"].as_array().map(Vec::len), Some(1), "only the instant binding: {}", bindings.body);
    let open = server.open(&demo.merchant.app_id, &demo.merchant.app_secret);
    World { _server: server, merchant_no: demo.merchant.merchant_no, open }
}

impl World {
    async fn order(&self, way: &str, auth_code: Option<&str>) -> Reply {
        let mut body = json!({
            "merchant_no": self.merchant_no,
            "out_trade_no": format!("I{}", &uuid::Uuid::new_v4().simple().to_string()[..20]),
            "amount": 321,
            "currency": "CNY",
            "way": way,
            "subject": "load test",
        });
        if let Some(code) = auth_code {
            body["auth_code"] = json!(code);
        }
        self.open.post("/open/v1/orders", &body.to_string()).await
    }
}

#[tokio::test]
async fn the_instant_channel_is_refused_unless_enabled() {
    let w = world(false).await;
    for (way, code) in [("WX_NATIVE", None), ("BARCODE", Some("134567890123456789"))] {
        let r = w.order(way, code).await;
        assert_eq!((r.status, r.code()), (400, "NO_CHANNEL_AVAILABLE"), "{way}: {}", r.body);
    }
}

#[tokio::test]
async fn when_enabled_the_instant_channel_creates_and_pays_at_once() {
    let w = world(true).await;
    let r = w.order("WX_NATIVE", None).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json["status"], "created", "{}", r.body);
    assert_eq!(r.json["channel"], "instant", "{}", r.body);
    assert!(r.json["pay_data"]["code_url"].as_str().is_some_and(|u| u.starts_with("instant://")), "{}", r.body);
    // The query asks the channel, which reports the unpaid trade it created.
    let no = r.json["order_no"].as_str().unwrap();
    let q = w.open.get(&format!("/open/v1/orders/{no}")).await;
    assert_eq!((q.status, q.json["status"].as_str()), (200, Some("created")), "{}", q.body);

    // Any valid payment code pays at once (the instant channel serves every wallet).
    for code in ["134567890123456789", "284567890123456789"] {
        let r = w.order("BARCODE", Some(code)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.json["status"], "paid", "{}", r.body);
        assert!(r.json["paid_at"].is_string(), "{}", r.body);
    }
}
