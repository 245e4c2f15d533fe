//! Money off the happy path, observed only through paths that cannot produce the effect by
//! themselves: admin reads (which never ask the channel) and the merchant's notifications.
//! A callback alone pays an order; the follow-up job pays one whose notification was lost;
//! money on a closed order becomes an exception and is refunded; a refund the channel never
//! got is re-submitted or failed; a reverse and a refund never overlap.

use juhe_tests::webhook::Receiver;
use juhe_tests::{OpenClient, TestServer};
use serde_json::{Value, json};
use std::time::Duration;

struct Shop {
    server: TestServer,
    demo: juhe_api::demo::DemoOutput,
    open: OpenClient,
    hook: Receiver,
    admin: String,
}

async fn shop(tweak: impl FnOnce(&mut juhe_api::config::Config)) -> Shop {
    shop_with(tweak, juhe_tests::fast_payments()).await
}

async fn shop_with(
    tweak: impl FnOnce(&mut juhe_api::config::Config),
    settings: juhe_domain::payments::service::PaymentSettings,
) -> Shop {
    let server = TestServer::spawn_full(
        tweak,
        std::sync::Arc::new(juhe_domain::clock::SystemClock),
        settings,
        juhe_tests::fast_jobs(),
        None,
    )
    .await;
    let demo = server.demo().await;
    let open = server.open(&demo.merchant.app_id, &demo.merchant.app_secret);
    let admin = server.login(&demo.admin.username, &demo.admin.password).await;
    Shop { server, demo, open, hook: Receiver::spawn().await, admin }
}

impl Shop {
    async fn order(&self, way: &str, amount: i64, extra: Value) -> Value {
        let no = format!("X{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
        let mut body = json!({"merchant_no": self.demo.merchant.merchant_no, "out_trade_no": no, "amount": amount,
            "currency": "CNY", "way": way, "subject": "exception test", "notify_url": self.hook.url});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let r = self.open.post("/open/v1/orders", &body.to_string()).await;
        assert!(r.status == 201, "{}", r.body);
        r.json
    }

    /// The order as stored, through the admin API (never synced with the channel).
    async fn stored(&self, order_no: &str) -> Value {
        let r = self.server.http.get(&format!("/admin/v1/orders/{order_no}"), Some(&self.admin)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json
    }

    async fn wait_stored(&self, order_no: &str, status: &str) -> Value {
        for _ in 0..300 {
            let d = self.stored(order_no).await;
            if d["order"]["status"] == status {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("order {order_no} never became {status}: {}", self.stored(order_no).await);
    }

    async fn pay_at_sandbox(&self, order_no: &str, notify: bool) {
        let r = self
            .server
            .http
            .post("/sandbox/wechat/simulate/pay", None, &json!({"out_trade_no": order_no, "notify": notify}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    async fn exceptions(&self, order_no: &str) -> Vec<Value> {
        let r = self.server.http.get(&format!("/admin/v1/exceptions?order_no={order_no}"), Some(&self.admin)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json["items"].as_array().unwrap().clone()
    }
}

#[tokio::test]
async fn a_callback_alone_makes_an_order_paid() {
    // No worker: no re-query, no delivery. Only the channel's callback can pay the order.
    let s = shop(|c| c.jobs_enabled = false).await;
    let order = s.order("WX_NATIVE", 300, json!({})).await;
    let order_no = order["order_no"].as_str().unwrap();
    assert_eq!(s.stored(order_no).await["order"]["status"], "created");
    s.pay_at_sandbox(order_no, true).await;
    let paid = s.wait_stored(order_no, "paid").await;
    assert!(paid["order"]["paid_at"].is_string());
    // The notification waits in the outbox for a worker.
    let n = s.server.http.get(&format!("/admin/v1/notifications?resource_no={order_no}"), Some(&s.admin)).await;
    assert_eq!(n.json["items"][0]["event_type"], "order.paid", "{}", n.body);
    assert_eq!(n.json["items"][0]["status"], "pending");
}

#[tokio::test]
async fn the_followup_job_pays_an_order_whose_notification_was_lost() {
    let s = shop(|_| {}).await;
    let order = s.order("WX_NATIVE", 400, json!({})).await;
    let order_no = order["order_no"].as_str().unwrap();
    s.pay_at_sandbox(order_no, false).await;
    // Nobody asks juhe about the order: only its follow-up job can find out.
    s.wait_stored(order_no, "paid").await;
    s.hook.wait_for("order.paid", order_no).await;
    let jobs = s.server.http.get(&format!("/admin/v1/jobs?key={order_no}"), Some(&s.admin)).await;
    assert_eq!(jobs.json["items"][0]["kind"], "order.followup", "{}", jobs.body);
}

#[tokio::test]
async fn without_the_worker_a_lost_notification_leaves_the_order_unpaid() {
    let s = shop(|c| c.jobs_enabled = false).await;
    let lost = s.order("WX_NATIVE", 400, json!({})).await;
    let lost_no = lost["order_no"].as_str().unwrap();
    s.pay_at_sandbox(lost_no, false).await;
    // Sync point: a second order paid with its notification, sent after the first payment.
    let seen = s.order("WX_NATIVE", 500, json!({})).await;
    let seen_no = seen["order_no"].as_str().unwrap();
    s.pay_at_sandbox(seen_no, true).await;
    s.wait_stored(seen_no, "paid").await;
    assert_eq!(s.stored(lost_no).await["order"]["status"], "created", "only the job could have paid it");
}

#[tokio::test]
async fn money_on_a_closed_order_is_an_exception_refunded_by_default() {
    let s = shop(|_| {}).await;
    let order = s.order("WX_NATIVE", 700, json!({})).await;
    let order_no = order["order_no"].as_str().unwrap();
    // Closed here while the channel's close got lost: the trade is still payable there.
    let payments = &s.server.state.payments;
    let mut stored = payments.orders.get_unscoped(order_no).await.unwrap().unwrap();
    stored.status = juhe_domain::payments::order::OrderStatus::Closed;
    payments.orders.save(&stored, &juhe_domain::effects::Effects::none()).await.unwrap();
    s.pay_at_sandbox(order_no, true).await;

    let exception = s.hook.wait_for("order.exception", order_no).await.json();
    assert_eq!(exception["data"]["exception"]["kind"], "paid_after_close");
    assert_eq!(exception["data"]["exception"]["resolution"], "refund");
    assert!(s.hook.received().iter().all(|r| r.json()["type"] != "order.paid"), "not an ordinary payment");
    // Resolved by the policy: refunded in full through the normal refund flow.
    let refund = s.hook.wait_for("refund.succeeded", order_no).await.json();
    assert_eq!(refund["data"]["amount"], 700);
    let d = s.wait_stored(order_no, "refunded").await;
    assert_eq!(d["order"]["refunded_amount"], 700);
    let list = s.exceptions(order_no).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["status"], "resolved");
    assert_eq!(list[0]["refund_no"], refund["data"]["refund_no"]);
    assert_eq!(list[0]["evidence"]["previous_status"], "closed");
}

#[tokio::test]
async fn a_held_exception_waits_for_an_operator_who_refunds_it() {
    let s = shop(|c| c.late_payment_policy = "hold".into()).await;
    let order = s.order("WX_NATIVE", 900, json!({})).await;
    let order_no = order["order_no"].as_str().unwrap();
    let payments = &s.server.state.payments;
    let mut stored = payments.orders.get_unscoped(order_no).await.unwrap().unwrap();
    stored.status = juhe_domain::payments::order::OrderStatus::Failed;
    payments.orders.save(&stored, &juhe_domain::effects::Effects::none()).await.unwrap();
    s.pay_at_sandbox(order_no, true).await;
    s.hook.wait_for("order.exception", order_no).await;
    let list = s.exceptions(order_no).await;
    assert_eq!((list[0]["status"].as_str(), list[0]["resolution"].as_str()), (Some("open"), Some("hold")));
    assert_eq!(s.stored(order_no).await["order"]["status"], "paid", "the money is real and stays until decided");
    let id = list[0]["exception_id"].as_str().unwrap();

    // The merchant's own users see it but cannot resolve it.
    let merchant = s.server.login("merchant", "demo-merchant-2026").await;
    let seen = s.server.http.get(&format!("/admin/v1/exceptions/{id}"), Some(&merchant)).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    let refused = s
        .server
        .http
        .post(&format!("/admin/v1/exceptions/{id}/resolve"), Some(&merchant), &json!({"resolution": "refund"}))
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);

    let r = s
        .server
        .http
        .post(
            &format!("/admin/v1/exceptions/{id}/resolve"),
            Some(&s.admin),
            &json!({"resolution": "refund", "note": "payer asked"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.json["status"].as_str(), r.json["note"].as_str()), (Some("resolved"), Some("payer asked")));
    s.hook.wait_for("refund.succeeded", order_no).await;
    let again = s
        .server
        .http
        .post(&format!("/admin/v1/exceptions/{id}/resolve"), Some(&s.admin), &json!({"resolution": "accept"}))
        .await;
    assert_eq!(again.status, 409, "resolved once: {}", again.body);
    let audit = s.server.http.get("/admin/v1/audit-logs?action=exception.resolve", Some(&s.admin)).await;
    assert_eq!(audit.json["total"], 1, "{}", audit.body);
}

#[tokio::test]
async fn a_refund_the_channel_never_received_is_resubmitted_with_the_same_number() {
    let s = shop(|_| {}).await;
    let order = s.order("WX_NATIVE", 1000, json!({})).await;
    let order_no = order["order_no"].as_str().unwrap();
    s.pay_at_sandbox(order_no, true).await;
    s.wait_stored(order_no, "paid").await;
    // The refund request fails at the channel with a system error: nothing was refunded there.
    s.server.http.post("/sandbox/wechat/simulate/fail-next", None, &json!({"count": 1, "mode": "error"})).await;
    let body = json!({"order_no": order_no, "out_refund_no": "LOST-REFUND-1", "amount": 300, "notify_url": s.hook.url});
    let r = s.open.post("/open/v1/refunds", &body.to_string()).await;
    assert_eq!((r.status, r.json["status"].as_str()), (201, Some("processing")), "{}", r.body);
    let refund_no = r.json["refund_no"].as_str().unwrap();
    let done = s.hook.wait_for("refund.succeeded", refund_no).await.json();
    assert_eq!(done["data"]["out_refund_no"], "LOST-REFUND-1");
    let d = s.wait_stored(order_no, "partially_refunded").await;
    assert_eq!(d["order"]["refunded_amount"], 300);
}

#[tokio::test]
async fn a_refund_the_channel_never_takes_fails_and_releases_its_amount() {
    let settings = juhe_domain::payments::service::PaymentSettings {
        refund_give_up_after: Duration::ZERO,
        ..juhe_tests::fast_payments()
    };
    let s = shop_with(|_| {}, settings).await;
    let order = s.order("WX_NATIVE", 1000, json!({})).await;
    let order_no = order["order_no"].as_str().unwrap();
    s.pay_at_sandbox(order_no, true).await;
    s.wait_stored(order_no, "paid").await;
    s.server.http.post("/sandbox/wechat/simulate/fail-next", None, &json!({"count": 1, "mode": "error"})).await;
    let body =
        json!({"order_no": order_no, "out_refund_no": "NEVER-TAKEN-1", "amount": 1000, "notify_url": s.hook.url});
    let r = s.open.post("/open/v1/refunds", &body.to_string()).await;
    let refund_no = r.json["refund_no"].as_str().unwrap().to_owned();
    s.hook.wait_for("refund.failed", &refund_no).await;
    let list = s.exceptions(order_no).await;
    assert_eq!(list[0]["kind"], "refund_not_received", "{list:?}");
    assert_eq!(list[0]["refund_no"], refund_no.as_str());
    // The amount is free again: a new refund of all of it is accepted.
    let body = json!({"order_no": order_no, "out_refund_no": "NEVER-TAKEN-2", "amount": 1000});
    let again = s.open.post("/open/v1/refunds", &body.to_string()).await;
    assert_eq!(again.status, 201, "{}", again.body);
}

#[tokio::test]
async fn a_reverse_is_refused_while_a_refund_is_in_flight() {
    let s = shop(|_| {}).await;
    let order = s.order("BARCODE", 800, json!({"auth_code": "134567890123450000"})).await;
    let order_no = order["order_no"].as_str().unwrap();
    assert_eq!(order["status"], "paid", "{order}");
    // A refund whose outcome is unknown stays processing (its amount reserved).
    s.server.http.post("/sandbox/wechat/simulate/fail-next", None, &json!({"count": 1, "mode": "error"})).await;
    let body = json!({"order_no": order_no, "out_refund_no": "INFLIGHT-1", "amount": 100});
    let r = s.open.post("/open/v1/refunds", &body.to_string()).await;
    assert_eq!(r.json["status"], "processing", "{}", r.body);
    let cancel = s.open.post(&format!("/open/v1/orders/{order_no}/cancel"), "").await;
    assert_eq!(cancel.status, 409, "{}", cancel.body);
    let d = s.stored(order_no).await;
    assert_ne!(d["order"]["status"], "cancelled");
}

#[tokio::test]
async fn an_alipay_qr_nobody_scanned_is_closed_by_the_api_and_at_expiry() {
    let clock = std::sync::Arc::new(juhe_tests::clock::ShiftClock::default());
    let server =
        TestServer::spawn_full(|_| {}, clock.clone(), juhe_tests::fast_payments(), juhe_tests::fast_jobs(), None).await;
    let demo = server.demo().await;
    let open = server.open(&demo.merchant.app_id, &demo.merchant.app_secret);
    let admin = server.login(&demo.admin.username, &demo.admin.password).await;
    let hook = Receiver::spawn().await;
    let order = |no: &str| {
        json!({"merchant_no": demo.merchant.merchant_no, "out_trade_no": no, "amount": 300, "currency": "CNY",
            "way": "ALI_QR", "subject": "unscanned", "expire_seconds": 60, "notify_url": hook.url})
        .to_string()
    };
    // Closed by the merchant: Alipay does not know the trade, which is as good as closed.
    let r = open.post("/open/v1/orders", &order("UNSCANNED-1")).await;
    let first = r.json["order_no"].as_str().unwrap().to_owned();
    let closed = open.post(&format!("/open/v1/orders/{first}/close"), "").await;
    assert_eq!((closed.status, closed.json["status"].as_str()), (200, Some("closed")), "{}", closed.body);

    // Left to expire: the follow-up job closes it and records why.
    let r = open.post("/open/v1/orders", &order("UNSCANNED-2")).await;
    let second = r.json["order_no"].as_str().unwrap().to_owned();
    clock.advance(61);
    server.wait_order_status(&second, "closed").await;
    hook.wait_for("order.closed", &second).await;
    let list = server.http.get(&format!("/admin/v1/exceptions?order_no={second}"), Some(&admin)).await;
    assert_eq!(list.json["items"][0]["kind"], "unknown_at_channel", "{}", list.body);
    assert_eq!(list.json["items"][0]["status"], "resolved");
    let job = server.http.get(&format!("/admin/v1/jobs?kind=order.followup&key={second}"), Some(&admin)).await;
    assert_eq!(job.json["items"][0]["state"], "succeeded", "finished, not retried forever: {}", job.body);
}

#[tokio::test]
async fn platform_operators_see_retry_and_cancel_jobs_and_others_cannot() {
    let s = shop(|_| {}).await;
    let order = s.order("WX_NATIVE", 100, json!({"expire_seconds": 3600})).await;
    let order_no = order["order_no"].as_str().unwrap();
    let agent = s.server.login(&s.demo.agent.username, &s.demo.agent.password).await;
    let refused = s.server.http.get("/admin/v1/jobs", Some(&agent)).await;
    assert_eq!(refused.status, 403, "{}", refused.body);

    let list = s.server.http.get(&format!("/admin/v1/jobs?key={order_no}"), Some(&s.admin)).await;
    let job = &list.json["items"][0];
    assert_eq!(
        (job["kind"].as_str(), job["state"].as_str()),
        (Some("order.followup"), Some("pending")),
        "{}",
        list.body
    );
    let id = job["id"].as_str().unwrap();
    let cancel = s.server.http.post(&format!("/admin/v1/jobs/{id}/cancel"), Some(&s.admin), &json!({})).await;
    assert_eq!((cancel.status, cancel.json["state"].as_str()), (200, Some("cancelled")), "{}", cancel.body);
    let again = s.server.http.post(&format!("/admin/v1/jobs/{id}/cancel"), Some(&s.admin), &json!({})).await;
    assert_eq!((again.status, again.code()), (409, "JOB_STATE"), "{}", again.body);
    let retry = s.server.http.post(&format!("/admin/v1/jobs/{id}/retry"), Some(&s.admin), &json!({})).await;
    assert_eq!(retry.status, 200, "{}", retry.body);
    // Run again: the retried job looks at the order (still unpaid) and waits for its next turn.
    let mut runs = Value::Null;
    for _ in 0..100 {
        let d = s.server.http.get(&format!("/admin/v1/jobs/{id}"), Some(&s.admin)).await;
        runs = d.json["attempts"].clone();
        if runs.as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(runs[0]["result"], "rescheduled", "the retried job ran: {runs}");
    let metrics = s.server.http.get("/metrics", None).await;
    for name in ["juhe_job_runs_total", "juhe_jobs_due", "juhe_jobs_oldest_due_seconds"] {
        assert!(metrics.body.contains(name), "{name} on /metrics: {}", metrics.body);
    }
    let stats = s.server.http.get("/admin/v1/jobs/stats", Some(&s.admin)).await;
    assert!(stats.json.as_array().unwrap().iter().any(|k| k["kind"] == "order.followup"), "{}", stats.body);
    let audit = s.server.http.get("/admin/v1/audit-logs?action=job.cancel", Some(&s.admin)).await;
    assert_eq!(audit.json["total"], 1, "{}", audit.body);
    let missing = s.server.http.get("/admin/v1/jobs/job_nope", Some(&s.admin)).await;
    assert_eq!((missing.status, missing.code()), (404, "JOB_NOT_FOUND"));
}
