//! Two `juhe serve` processes (each with its own job worker, pools and caches) on one PostgreSQL
//! database: every job runs exactly once — each order's follow-up job asks the channel once
//! (counted at the sandbox), each merchant notification arrives once, every delivery job has
//! exactly one successful run — while both workers take part. PostgreSQL only
//! (the embedded SQLite is one process's database); CI runs it against PostgreSQL.

use juhe_tests::process::{Juhe, demo_of, free_port, site};
use juhe_tests::webhook::Receiver;
use juhe_tests::{Client, OpenClient};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

const ORDERS: usize = 30;

#[tokio::test]
async fn two_server_processes_run_each_job_exactly_once() {
    if juhe_tests::backend() != "postgres" {
        eprintln!("skipped: needs JUHE_TEST_DATABASE_URL (PostgreSQL)");
        return;
    }
    let site = site().await;
    let (port_a, port_b) = (free_port(), free_port());
    // Two jobs at a time each and a slow merchant endpoint, so neither worker can take them all.
    let env = [("JUHE_JOB_CONCURRENCY", "2"), ("JUHE_JOB_POLL_MS", "50"), ("JUHE_REQUERY_AFTER_SECS", "2")];
    let _a = Juhe::serve(&site, port_a, true, &env).await;
    let _b = Juhe::serve(&site, port_b, false, &env).await;
    let demo = demo_of(&site);
    let (base_a, base_b) = (format!("http://127.0.0.1:{port_a}"), format!("http://127.0.0.1:{port_b}"));
    let merchant = &demo["merchant"];
    let (app, secret) = (merchant["app_id"].as_str().unwrap(), merchant["app_secret"].as_str().unwrap());
    let hook = Receiver::spawn().await;
    hook.set_delay(Duration::from_millis(100));
    let channel = Client::new(&base_a);
    let mut order_nos = Vec::new();
    for i in 0..ORDERS {
        // Orders arrive at either server, as behind a load balancer.
        let open = OpenClient::hmac(if i % 2 == 0 { &base_a } else { &base_b }, app, secret);
        let body = json!({"merchant_no": merchant["merchant_no"], "out_trade_no": format!("TWO-{i:04}"),
            "amount": 100 + i, "currency": "CNY", "way": "WX_NATIVE", "subject": "two servers", "notify_url": hook.url});
        let r = open.post("/open/v1/orders", &body.to_string()).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let no = r.json["order_no"].as_str().unwrap().to_owned();
        // Paid at the channel (A's sandbox, where the demo accounts point) at once, without a
        // notification: only the order's follow-up job, querying the channel, can find out.
        channel.post("/sandbox/wechat/simulate/pay", None, &json!({"out_trade_no": no, "notify": false})).await;
        order_nos.push(no);
    }
    for no in &order_nos {
        hook.wait_for("order.paid", no).await;
    }
    // Sync point passed: every notification arrived. None may have arrived twice.
    let mut per_event: HashMap<String, usize> = HashMap::new();
    for r in hook.received() {
        *per_event.entry(r.event_id).or_default() += 1;
    }
    assert!(per_event.values().all(|n| *n == 1), "a notification was delivered twice: {per_event:?}");
    let calls = channel.get("/sandbox/wechat/calls", None).await.json;
    for no in &order_nos {
        let queries = &calls[format!("GET /v3/pay/partner/transactions/out-trade-no/{no}")];
        assert_eq!(queries.as_u64(), Some(1), "order {no}: its follow-up job asked the channel once: {calls}");
    }

    let admin = Client::new(&base_a);
    let login = json!({"username": demo["admin"]["username"], "password": demo["admin"]["password"]});
    let token =
        admin.post("/admin/v1/auth/login", None, &login).await.json["access_token"].as_str().unwrap().to_owned();
    let list = admin.get("/admin/v1/jobs?kind=notification.delivery&page_size=200", Some(&token)).await;
    let items = list.json["items"].as_array().expect("jobs").clone();
    assert_eq!(items.len(), ORDERS, "{}", list.body);
    let mut workers = HashSet::new();
    for job in &items {
        let id = job["id"].as_str().unwrap();
        let detail = admin.get(&format!("/admin/v1/jobs/{id}"), Some(&token)).await;
        let attempts = detail.json["attempts"].as_array().unwrap();
        let succeeded: Vec<_> = attempts.iter().filter(|a| a["result"] == "succeeded").collect();
        assert_eq!(succeeded.len(), 1, "job {id} ran successfully {} times: {}", succeeded.len(), detail.body);
        workers.insert(succeeded[0]["worker"].as_str().unwrap().to_owned());
    }
    assert_eq!(workers.len(), 2, "both processes' workers took part: {workers:?}");
}
