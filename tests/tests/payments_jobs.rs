//! Order lifecycle jobs: unpaid orders expire (closed at the channel, then locally), and an
//! order whose creation outcome was unknown is resolved by the re-query job.

use juhe_tests::clock::ShiftClock;
use juhe_tests::webhook::Receiver;
use juhe_tests::{TestServer, fast_jobs, fast_payments};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

async fn status_of(server: &TestServer, order_no: &str) -> String {
    server.state.payments.orders.get_unscoped(order_no).await.unwrap().unwrap().status.as_str().to_owned()
}

async fn wait_status(server: &TestServer, order_no: &str, want: &str) {
    for _ in 0..300 {
        if status_of(server, order_no).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("order {order_no} never became {want} (is {})", status_of(server, order_no).await);
}

#[tokio::test]
async fn unpaid_orders_expire_at_the_channel_and_locally() {
    let clock = Arc::new(ShiftClock::default());
    let server = TestServer::spawn_full(|_| {}, clock.clone(), fast_payments(), fast_jobs(), None).await;
    let demo = server.demo().await;
    let hook = Receiver::spawn().await;
    let open = server.open(&demo.merchant.app_id, &demo.merchant.app_secret);
    let body = json!({"merchant_no": demo.merchant.merchant_no, "out_trade_no": "EXPIRE-0001", "amount": 100, "currency": "CNY",
        "way": "WX_NATIVE", "subject": "expires", "expire_seconds": 60, "notify_url": hook.url});
    let r = open.post("/open/v1/orders", &body.to_string()).await;
    let order_no = r.json["order_no"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(status_of(&server, &order_no).await, "created", "not before expire_at");
    clock.advance(61);
    wait_status(&server, &order_no, "closed").await;
    hook.wait_for("order.closed", &order_no).await;
    // Closed at the channel too: the payer can no longer pay it there.
    let pay = server.http.post("/sandbox/wechat/simulate/pay", None, &json!({"out_trade_no": order_no})).await;
    assert!(pay.status >= 400, "the sandbox refuses to pay a closed order: {}", pay.body);
}

#[tokio::test]
async fn an_unknown_creation_outcome_is_resolved_by_the_requery_job() {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let open = server.open(&demo.merchant.app_id, &demo.merchant.app_secret);
    // The create and the follow-up query time out (a third fault absorbs a re-query job that
    // may run meanwhile): the API cannot know the outcome.
    server.http.post("/sandbox/wechat/simulate/fail-next", None, &json!({"count": 3, "mode": "timeout"})).await;
    let body = json!({"merchant_no": demo.merchant.merchant_no, "out_trade_no": "UNKNOWN-0001", "amount": 100, "currency": "CNY",
        "way": "WX_NATIVE", "subject": "unknown"});
    let r = open.post("/open/v1/orders", &body.to_string()).await;
    assert_eq!((r.status, r.code()), (502, "CHANNEL_ERROR"), "{}", r.body);
    let order = server
        .state
        .payments
        .orders
        .find_by_out_trade_no(&juhe_domain::ids::MerchantId::parse(&demo.merchant.merchant_id).unwrap(), "UNKNOWN-0001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.status.as_str(), "created", "the order is kept, with its channel, for the jobs");
    assert!(order.channel_account_id.is_some());
    // The trade did reach the channel; the payer pays it; the job's query finds it paid.
    let pay = server.http.post("/sandbox/wechat/simulate/pay", None, &json!({"out_trade_no": order.order_no})).await;
    assert_eq!(pay.status, 200, "{}", pay.body);
    wait_status(&server, &order.order_no, "paid").await;
    // The merchant retrying the same request now gets the same (paid) order, not a new one.
    let again = open.post("/open/v1/orders", &body.to_string()).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json["order_no"], order.order_no.as_str());
}
