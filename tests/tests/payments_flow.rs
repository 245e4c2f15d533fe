//! End to end over HTTP, for each way on each sandbox channel: order → sandbox payer pays →
//! signed channel callback → order paid → signed merchant notification received and verified;
//! refunds partial and full; idempotency; close and cancel.

use juhe_tests::webhook::Receiver;
use juhe_tests::{OpenClient, Reply, TestServer};
use serde_json::{Value, json};

pub struct Shop {
    pub server: TestServer,
    pub demo: juhe_api::demo::DemoOutput,
    pub open: OpenClient,
    pub hook: Receiver,
}

pub async fn shop() -> Shop {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let open = server.open(&demo.merchant.app_id, &demo.merchant.app_secret);
    let hook = Receiver::spawn().await;
    Shop { server, demo, open, hook }
}

impl Shop {
    pub async fn order(&self, way: &str, extra: Value) -> Reply {
        let mut body = json!({
            "merchant_no": self.demo.merchant.merchant_no,
            "out_trade_no": format!("T{}", &uuid::Uuid::new_v4().simple().to_string()[..20]),
            "amount": 100,
            "currency": "CNY",
            "way": way,
            "subject": "测试商品",
            "notify_url": self.hook.url,
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.open.post("/open/v1/orders", &body.to_string()).await
    }

    /// Alipay creates QR trades only when the payer scans the code, WAP and app trades when the
    /// payer's browser or app submits them.
    pub async fn payer_opens(&self, way: &str, pay_data: &Value) {
        let client = reqwest::Client::new();
        let url = match way {
            "ALI_QR" => pay_data["code_url"].as_str().unwrap().to_owned(),
            "ALI_WAP" => pay_data["h5_url"].as_str().unwrap().to_owned(),
            "ALI_APP" => {
                format!(
                    "{}/sandbox/alipay/gateway.do?{}",
                    self.server.base_url,
                    pay_data["app"]["order_string"].as_str().unwrap()
                )
            }
            _ => return,
        };
        let r = client.get(&url).send().await.unwrap();
        assert!(r.status().is_success(), "{way}: payer page {}", r.status());
    }

    pub async fn simulate_pay(&self, channel: &str, order_no: &str) {
        let r = self
            .server
            .http
            .post(&format!("/sandbox/{channel}/simulate/pay"), None, &json!({"out_trade_no": order_no}))
            .await;
        assert!(r.status < 300, "simulate pay on {channel}: {} {}", r.status, r.body);
    }

    /// Waits until the stored order reaches `status` (callbacks are asynchronous).
    pub async fn wait_status(&self, order_no: &str, status: &str) -> Value {
        self.server.wait_order_status(order_no, status).await
    }

    pub async fn refund(&self, order_no: &str, amount: i64) -> Reply {
        let body = json!({"order_no": order_no, "out_refund_no": format!("R{}", &uuid::Uuid::new_v4().simple().to_string()[..20]), "amount": amount});
        self.open.post("/open/v1/refunds", &body.to_string()).await
    }
}

fn channel_of(way: &str) -> &'static str {
    match &way[..2] {
        "WX" => "wechat",
        "UP" => "unionpay",
        _ => "alipay",
    }
}

#[tokio::test]
async fn every_way_on_each_channel_is_paid_and_notified() {
    let s = shop().await;
    for (way, extra) in [
        ("WX_NATIVE", json!({})),
        ("WX_JSAPI", json!({"openid": "o_test_openid_1"})),
        ("WX_H5", json!({"client_ip": "203.0.113.9"})),
        ("WX_APP", json!({})),
        ("WX_MINI", json!({"openid": "o_test_openid_2"})),
        ("ALI_QR", json!({})),
        ("ALI_JSAPI", json!({"buyer_id": "2088102146225135"})),
        ("ALI_WAP", json!({"return_url": "https://shop.example/done"})),
        ("ALI_APP", json!({})),
        ("UP_QR", json!({})),
    ] {
        let r = s.order(way, extra).await;
        assert_eq!(r.status, 201, "{way}: {}", r.body);
        assert!(s.open.response_verifies(&r), "{way}: signed response");
        let order_no = r.json["order_no"].as_str().unwrap().to_owned();
        assert_eq!(r.json["status"], "created");
        assert_eq!(r.json["channel"], channel_of(way));
        assert!(
            r.json["pay_data"].is_object() && !r.json["pay_data"].as_object().unwrap().is_empty(),
            "{way}: pay_data {}",
            r.json
        );
        s.payer_opens(way, &r.json["pay_data"]).await;
        s.simulate_pay(channel_of(way), &order_no).await;
        let paid = s.wait_status(&order_no, "paid").await;
        assert!(paid["paid_at"].is_string());
        let note = s.hook.wait_for("order.paid", &order_no).await;
        assert!(note.verifies(&s.demo.merchant.app_secret), "{way}: notification signature");
        assert_eq!(note.json()["data"]["amount"], 100);
        assert_eq!(note.json()["data"], paid, "{way}: the notification carries the order object the API returns");
        assert_eq!(note.json()["id"], note.event_id);
    }
    assert_eq!(
        s.order("WX_NATIVE", json!({})).await.json["pay_data"]["code_url"].as_str().map(|u| u.starts_with("weixin://")),
        Some(true)
    );
}

#[tokio::test]
async fn the_same_request_returns_the_same_order_and_a_different_one_conflicts() {
    let s = shop().await;
    let body = json!({"merchant_no": s.demo.merchant.merchant_no, "out_trade_no": "IDEMP-0001", "amount": 500, "currency": "CNY",
        "way": "ALI_QR", "subject": "x"}).to_string();
    let first = s.open.post("/open/v1/orders", &body).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = s.open.post("/open/v1/orders", &body).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json["order_no"], first.json["order_no"]);
    let changed = body.replace("\"amount\":500", "\"amount\":501");
    let conflict = s.open.post("/open/v1/orders", &changed).await;
    assert_eq!((conflict.status, conflict.code()), (409, "OUT_TRADE_NO_CONFLICT"));
    let found = s
        .open
        .get(&format!("/open/v1/orders?merchant_no={}&out_trade_no=IDEMP-0001", s.demo.merchant.merchant_no))
        .await;
    assert_eq!(found.json["order_no"], first.json["order_no"]);
}

#[tokio::test]
async fn partial_and_full_refunds_are_notified_and_never_exceed_the_paid_amount() {
    let s = shop().await;
    for way in ["WX_NATIVE", "ALI_QR", "UP_QR"] {
        let order_no = s.order(way, json!({})).await.json["order_no"].as_str().unwrap().to_owned();
        assert_eq!(s.refund(&order_no, 10).await.code(), "ORDER_NOT_PAYABLE", "unpaid orders cannot be refunded");
        s.simulate_pay(channel_of(way), &order_no).await;
        s.wait_status(&order_no, "paid").await;
        let r1 = s.refund(&order_no, 30).await;
        assert_eq!(r1.status, 201, "{way}: {}", r1.body);
        let refund_no = r1.json["refund_no"].as_str().unwrap().to_owned();
        let note = s.hook.wait_for("refund.succeeded", &refund_no).await;
        let got = s.open.get(&format!("/open/v1/refunds/{refund_no}")).await;
        assert_eq!(note.json()["data"], got.json, "{way}: the notification carries the refund object the API returns");
        s.wait_status(&order_no, "partially_refunded").await;
        let too_much = s.refund(&order_no, 71).await;
        assert_eq!((too_much.status, too_much.code()), (409, "REFUND_EXCEEDS_AVAILABLE"), "{way}");
        let r2 = s.refund(&order_no, 70).await;
        assert_eq!(r2.status, 201, "{}", r2.body);
        let refunded = s.wait_status(&order_no, "refunded").await;
        assert_eq!(refunded["refunded_amount"], 100);
        let got = s.open.get(&format!("/open/v1/refunds/{refund_no}")).await;
        assert_eq!(got.json["status"], "succeeded");
        assert_eq!(s.refund(&order_no, 1).await.code(), "ORDER_NOT_PAYABLE");
    }
}

#[tokio::test]
async fn refund_numbers_must_be_6_to_64_of_the_allowed_characters() {
    let s = shop().await;
    let order_no = s.order("ALI_QR", json!({})).await.json["order_no"].as_str().unwrap().to_owned();
    s.simulate_pay("alipay", &order_no).await;
    s.wait_status(&order_no, "paid").await;
    for bad in ["r1", "has space 01", "退款-000001", "x".repeat(65).as_str()] {
        let body = json!({"order_no": order_no, "out_refund_no": bad, "amount": 10});
        let r = s.open.post("/open/v1/refunds", &body.to_string()).await;
        assert_eq!((r.status, r.code()), (400, "INVALID_REQUEST"), "{bad}: {}", r.body);
        assert!(r.body.contains("out_refund_no"), "{}", r.body);
    }
    let order = s.open.get(&format!("/open/v1/orders/{order_no}")).await;
    assert_eq!((order.json["status"].as_str(), order.json["refunded_amount"].as_i64()), (Some("paid"), Some(0)));
}

#[tokio::test]
async fn close_and_cancel_unpaid_orders() {
    let s = shop().await;
    for way in ["WX_NATIVE", "ALI_QR", "UP_QR"] {
        // The payer scanned but did not pay (an unscanned Alipay QR code is no trade to close).
        let created = s.order(way, json!({})).await;
        s.payer_opens(way, &created.json["pay_data"]).await;
        let order_no = created.json["order_no"].as_str().unwrap().to_owned();
        let closed = s.open.post(&format!("/open/v1/orders/{order_no}/close"), "").await;
        assert_eq!(closed.json["status"], "closed", "{way}: {}", closed.body);
        s.hook.wait_for("order.closed", &order_no).await;
        let again = s.open.post(&format!("/open/v1/orders/{order_no}/close"), "").await;
        assert_eq!((again.status, again.code()), (409, "ORDER_NOT_PAYABLE"));
        let created = s.order(way, json!({})).await;
        s.payer_opens(way, &created.json["pay_data"]).await;
        let order_no = created.json["order_no"].as_str().unwrap().to_owned();
        let cancelled = s.open.post(&format!("/open/v1/orders/{order_no}/cancel"), "").await;
        assert_eq!(cancelled.json["status"], "cancelled", "{way}: {}", cancelled.body);
    }
}

#[tokio::test]
async fn barcode_payments_paid_failed_and_paying_then_reversed() {
    let s = shop().await;
    // WeChat codes: 18 digits starting 10-15; Alipay: starting 25-30. The sandbox decides by suffix.
    for (code, expect) in [
        ("134567890123450000", "paid"),
        ("284567890123450000", "paid"),
        ("134567890123452222", "failed"),
        ("284567890123452222", "failed"),
        ("6212345678901230000", "paid"),
        ("6212345678901232222", "failed"),
    ] {
        let r = s.order("BARCODE", json!({"auth_code": code})).await;
        assert!(r.status == 201, "{code}: {}", r.body);
        assert_eq!(r.json["status"], expect, "{code}: {}", r.body);
    }
    for code in ["134567890123451111", "284567890123451111", "6212345678901231111"] {
        let r = s.order("BARCODE", json!({"auth_code": code})).await;
        assert_eq!(r.json["status"], "paying", "{code}: {}", r.body);
        let order_no = r.json["order_no"].as_str().unwrap().to_owned();
        // Nobody confirms: after the polling window the server reverses it.
        s.wait_status(&order_no, "cancelled").await;
        s.hook.wait_for("order.cancelled", &order_no).await;
    }
    // A payer who confirms while the server polls: paid, not reversed.
    let r = s.order("BARCODE", json!({"auth_code": "134567890123451111"})).await;
    let order_no = r.json["order_no"].as_str().unwrap().to_owned();
    s.simulate_pay("wechat", &order_no).await;
    s.wait_status(&order_no, "paid").await;
    // A paid barcode order can be cancelled (reversed) by the merchant.
    let r = s.order("BARCODE", json!({"auth_code": "284567890123450000"})).await;
    let order_no = r.json["order_no"].as_str().unwrap_or_else(|| panic!("{}", r.body)).to_owned();
    let cancelled = s.open.post(&format!("/open/v1/orders/{order_no}/cancel"), "").await;
    assert_eq!(cancelled.json["status"], "cancelled", "{}", cancelled.body);
    let bad = s.order("BARCODE", json!({"auth_code": "999"})).await;
    assert_eq!(bad.code(), "INVALID_REQUEST");
}

#[tokio::test]
async fn scene_and_way_rules_are_enforced() {
    let s = shop().await;
    // The child number is offline-only: online ways are refused by risk control.
    let child = json!({"merchant_no": s.demo.merchant.child_merchant_no});
    let r = s.order("WX_H5", child.clone()).await;
    assert_eq!((r.status, r.code()), (403, "RISK_REJECTED"), "{}", r.body);
    let r = s.order("WX_NATIVE", child).await;
    assert_eq!(r.status, 201, "offline merchants take QR orders: {}", r.body);
    // With its only UnionPay binding suspended, nothing can take UP_QR.
    let admin = s.server.login(&s.demo.admin.username, &s.demo.admin.password).await;
    let bindings = s
        .server
        .http
        .get(&format!("/admin/v1/channel-bindings?merchant_id={}", s.demo.merchant.merchant_id), Some(&admin))
        .await;
    let up = bindings.json["items"].as_array().unwrap().iter().find(|b| b["channel"] == "unionpay").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.server
        .http
        .patch(&format!("/admin/v1/channel-bindings/{up}"), Some(&admin), &json!({"status": "suspended"}))
        .await;
    let r = s.order("UP_QR", json!({})).await;
    assert_eq!(r.code(), "NO_CHANNEL_AVAILABLE");
    let r = s.order("WX_JSAPI", json!({})).await;
    assert_eq!(r.code(), "INVALID_REQUEST", "openid is required");
    let r = s.order("WX_NATIVE", json!({"merchant_no": "M0000000000"})).await;
    assert_eq!(r.code(), "MERCHANT_NOT_FOUND");
    let r = s.order("WX_NATIVE", json!({"amount": 0})).await;
    assert_eq!(r.code(), "INVALID_REQUEST");
    // The merchant's own numbers: 6–32 characters of [A-Za-z0-9_-].
    for bad in ["short", "has space 01", "订单号-000001", "x".repeat(33).as_str()] {
        let r = s.order("WX_NATIVE", json!({"out_trade_no": bad})).await;
        assert_eq!((r.status, r.code()), (400, "INVALID_REQUEST"), "{bad}: {}", r.body);
        assert!(r.body.contains("out_trade_no"), "{}", r.body);
    }
}
